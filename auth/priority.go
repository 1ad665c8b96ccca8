package auth

import "runtime"

// atLowPriority runs a password hash on an OS thread of its own at a lowered scheduling
// priority, so that when hashes and other work compete for the cores, the kernel runs the other
// work first: a burst of cold logins soaks up idle CPU but cannot delay warm token requests,
// TLS handshakes or layer transfers by more than a scheduling tick. With nothing else to run,
// the hash gets whole cores as before.
//
// The goroutine keeps its thread locked and ends with it, so the lowered priority never leaks
// to another goroutine (lowering needs no privilege; raising it back would). A thread per
// hash costs tens of microseconds against tens of milliseconds of bcrypt.
//
// This helps only if the process has spare Ps: a hash holds its P while it runs, so with
// GOMAXPROCS at the number of CPUs, concurrent hashes would leave the rest of the process
// without one. regauth serve therefore runs with one P more per concurrent hash than it has
// CPUs; the kernel, not the Go scheduler, then decides who gets the cores, and it favours the
// threads at normal priority.
func atLowPriority(hash func() bool) bool {
	done := make(chan bool, 1)
	go func() {
		runtime.LockOSThread()
		lowerThreadPriority()
		done <- hash()
	}()
	return <-done
}
