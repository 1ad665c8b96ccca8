package hashproc

import (
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// Supported tells whether workers here can run at idle priority; elsewhere they would only
// add a process.
const Supported = true

// enterIdlePriority moves every thread of this process to SCHED_IDLE. Threads started later
// inherit it from the thread that starts them, so the pass is repeated until it finds no
// thread left at another policy (one started meanwhile by a thread not yet moved).
func enterIdlePriority() error {
	for range 5 {
		tids, err := filepath.Glob("/proc/self/task/*")
		if err != nil {
			return fmt.Errorf("threads of this process: %w", err)
		}
		moved := 0
		for _, dir := range tids {
			tid, err := strconv.Atoi(filepath.Base(dir))
			if err != nil {
				continue
			}
			attr, err := unix.SchedGetAttr(tid, 0)
			if err != nil || attr.Policy == unix.SCHED_IDLE {
				continue // ended meanwhile, or done
			}
			if err := unix.SchedSetAttr(tid, &unix.SchedAttr{Policy: unix.SCHED_IDLE}, 0); err != nil {
				return fmt.Errorf("SCHED_IDLE for thread %d: %w", tid, err)
			}
			moved++
		}
		if moved == 0 {
			return nil
		}
	}
	return fmt.Errorf("threads kept appearing at another policy than SCHED_IDLE")
}

// processCPU is the CPU time pid's threads have used so far, to the nanosecond, read from the
// kernel's CPU-time clock of the process (what clock_getcpuclockid(3) names): one system call
// however many threads the process has. /proc/<pid>/stat counts in 10 ms ticks, too coarse to
// tell a worker that gets a few percent of a core from one that gets none, and summing each
// thread's /proc schedstat cost about a millisecond of CPU a check here.
func processCPU(pid int) (time.Duration, error) {
	var ts unix.Timespec
	if err := unix.ClockGettime(processClock(pid), &ts); err != nil {
		if errors.Is(err, unix.EINVAL) {
			err = errors.New("no such process") // the kernel's answer for a clock of nobody
		}
		return 0, fmt.Errorf("CPU-time clock of process %d: %w", pid, err)
	}
	return time.Duration(ts.Nano()), nil
}

// processClock is the clock id of pid's CPU-time clock: the kernel's MAKE_PROCESS_CPUCLOCK(pid,
// CPUCLOCK_SCHED), the bitwise complement of the pid shifted left by three, ORed with 2. Linux
// pids stay below 2^22, so the id fits an int32 exactly.
func processClock(pid int) int32 { return int32(^pid)<<3 | 2 }
