package auth

import (
	"fmt"
	"runtime"
	"syscall"
)

// atLowPriority runs a password hash on an OS thread of its own at a lowered scheduling
// priority, so that when hashes and other work compete for the cores, the kernel runs the other
// work first: a burst of cold logins soaks up idle CPU but cannot hold up warm token requests,
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

// hashNiceSteps is how far below the rest of the process hashing threads run: five steps of
// nice give a thread at the process's priority three quarters of a contended core. Measured
// with 64 warm clients at 5,000 tokens/s and 32 clients sending hashed logins, 5 gave the best
// warm latency; 10 and 19 were no better for warm tokens and left the hashes less (a stopped-
// the-world collection must wait for every thread, the low ones included).
//
// SCHED_IDLE was tried too. Alone with the bench it gave warm p99 6–9 ms against 8–14 ms at
// nice +5, but a stopped-the-world collection then waits for a hashing thread that the kernel
// may not run for a second: with two busy processes beside regauth, pauses reached 1.2 s and
// one 5 s window served no token at all, where nice +5 kept every pause under 20 ms.
const hashNiceSteps = 5

// lowerThreadPriority moves the calling thread hashNiceSteps below its nice value; on Linux
// each thread has its own. Failure (a seccomp filter, say) only loses the preference, never
// the login.
func lowerThreadPriority() {
	tid := syscall.Gettid()
	nice, err := threadNice(tid)
	if err != nil {
		return
	}
	_ = syscall.Setpriority(syscall.PRIO_PROCESS, tid, min(nice+hashNiceSteps, 19))
}

// threadNice reads a thread's nice value (the raw system call answers 20 - nice).
func threadNice(tid int) (int, error) {
	raw, err := syscall.Getpriority(syscall.PRIO_PROCESS, tid)
	return 20 - raw, err
}
