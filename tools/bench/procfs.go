package main

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat CPU times: 100 on every Linux
// architecture Go supports (reading it properly needs sysconf, i.e. cgo).
const clockTicks = 100

// rssSampler records the peak resident memory of one process and its children (treeRSS),
// every 50 ms. VmHWM cannot be reset between phases, hence sampling.
type rssSampler struct {
	stop chan struct{}
	done chan struct{}
	mu   sync.Mutex
	peak uint64 // bytes
}

func sampleRSS(pid int) *rssSampler {
	s := &rssSampler{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		var children []int
		for i := 0; ; i++ {
			if i%20 == 0 { // once a second: scanning /proc costs the bench CPU
				children = childrenOf(pid)
			}
			if rss, err := treeRSS(pid, children); err == nil {
				s.mu.Lock()
				s.peak = max(s.peak, rss)
				s.mu.Unlock()
			}
			select {
			case <-s.stop:
				return
			case <-t.C:
			}
		}
	}()
	return s
}

// Peak stops sampling (after one last sample) and returns the highest treeRSS seen, in bytes.
func (s *rssSampler) Peak() uint64 {
	select {
	case <-s.stop:
	default:
		close(s.stop)
	}
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.peak
}

// treeRSS is pid's resident set (VmRSS) plus the anonymous resident memory (RssAnon) of its
// children. regauth's children are its hash workers, its own binary: their file pages are the
// parent's, already counted, so what they add is their own heap and stacks.
func treeRSS(pid int, children []int) (uint64, error) {
	total, err := statusKB(pid, "VmRSS")
	if err != nil {
		return 0, err
	}
	for _, child := range children {
		if anon, err := statusKB(child, "RssAnon"); err == nil {
			total += anon
		}
	}
	return total, nil
}

// statusKB reads one "Key: N kB" line of /proc/<pid>/status, in bytes.
func statusKB(pid int, key string) (uint64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, key+":"); ok {
			f := strings.Fields(rest) // "12345 kB"
			if len(f) == 2 && f[1] == "kB" {
				kb, err := strconv.ParseUint(f[0], 10, 64)
				return kb << 10, err
			}
		}
	}
	return 0, fmt.Errorf("no %s in /proc/%d/status", key, pid)
}

// cpuSnapshot is what has been spent so far: by the server process, by the bench itself, and by
// the whole machine, so a phase can say where the CPU went (and how much other users took).
type cpuSnapshot struct {
	at          time.Time
	server      time.Duration // user+system of the server process and its children
	bench       time.Duration // user+system of this process
	machineBusy time.Duration // all cores, everything but idle and iowait
}

func takeCPU(pid int) cpuSnapshot {
	s := cpuSnapshot{at: time.Now()}
	s.server = processTreeCPU(pid) // regauth's hash workers included
	s.bench = selfCPU()
	s.machineBusy, _ = machineBusy()
	return s
}

// selfCPU is the user+system time of this process so far.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// cpuUse is the average number of cores each party kept busy between two snapshots.
type cpuUse struct {
	Server, Bench, Others float64
}

func cpuBetween(a, b cpuSnapshot) cpuUse {
	wall := b.at.Sub(a.at).Seconds()
	if wall <= 0 {
		return cpuUse{}
	}
	u := cpuUse{
		Server: (b.server - a.server).Seconds() / wall,
		Bench:  (b.bench - a.bench).Seconds() / wall,
	}
	u.Others = max(0, (b.machineBusy-a.machineBusy).Seconds()/wall-u.Server-u.Bench)
	return u
}

func processCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// Fields after the command name, which is in parentheses and may hold spaces.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("malformed /proc/%d/stat", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("malformed /proc/%d/stat", pid)
	}
	// f[0] is field 3 (state); utime and stime are fields 14 and 15.
	ut, err1 := strconv.ParseUint(f[11], 10, 64)
	st, err2 := strconv.ParseUint(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("malformed /proc/%d/stat", pid)
	}
	return time.Duration(ut+st) * time.Second / clockTicks, nil
}

func machineBusy() (time.Duration, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, err
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 8 || f[0] != "cpu" {
		return 0, fmt.Errorf("unexpected /proc/stat")
	}
	var busy uint64
	for i, v := range f[1:] {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return 0, err
		}
		// user nice system idle iowait irq softirq steal [guest guest_nice, already in user]
		if i == 3 || i == 4 || i >= 8 {
			continue
		}
		busy += n
	}
	return time.Duration(busy) * time.Second / clockTicks, nil
}

// loadAvg is the 1-, 5- and 15-minute load average, as /proc/loadavg prints it.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// processTreeCPU is the CPU time spent so far by pid and its direct children (Apache's workers).
func processTreeCPU(pid int) time.Duration {
	total, _ := processCPU(pid)
	for _, child := range childrenOf(pid) {
		if d, err := processCPU(child); err == nil {
			total += d
		}
	}
	return total
}

// childrenOf lists pid's child processes.
func childrenOf(pid int) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var out []int
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err == nil && child != pid && parentOf(child) == pid {
			out = append(out, child)
		}
	}
	return out
}

// parentOf is the parent pid of pid, or -1.
func parentOf(pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return -1
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return -1
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 2 {
		return -1
	}
	ppid, err := strconv.Atoi(f[1])
	if err != nil {
		return -1
	}
	return ppid
}
