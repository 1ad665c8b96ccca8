package hashproc

import (
	"bytes"
	"fmt"
	"os"
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

// processCPU is the time pid's threads have run so far, to the nanosecond (the first field
// of each thread's schedstat; /proc/<pid>/stat counts in 10 ms ticks, too coarse to tell a
// worker that gets a few percent of a core from one that gets none).
func processCPU(pid int) (time.Duration, error) {
	stats, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/schedstat", pid))
	if err != nil {
		return 0, fmt.Errorf("threads of process %d: %w", pid, err)
	}
	if len(stats) == 0 {
		return 0, fmt.Errorf("process %d: no threads in /proc", pid)
	}
	var total time.Duration
	for _, path := range stats {
		b, err := os.ReadFile(path)
		if err != nil {
			continue // the thread ended
		}
		ran, _, _ := bytes.Cut(b, []byte(" "))
		ns, err := strconv.ParseInt(string(ran), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", path, err)
		}
		total += time.Duration(ns)
	}
	return total, nil
}
