package auth

import "syscall"

// hashNiceSteps is how far below the rest of the process hashing threads run: five steps of
// nice give a thread at the process's priority three quarters of a contended core. Measured
// with 64 warm clients at 5,000 tokens/s and 32 clients sending hashed logins, 5 gave the best
// warm latency; 10 and 19 were no better for warm tokens and left the hashes less (a stopped-
// the-world collection must wait for every thread, the low ones included).
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
