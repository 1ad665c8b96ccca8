package main

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// procStat returns the fields of /proc/<pid>/stat after "(comm) ", so that field n (counted
// from 1, as in proc(5)) is at n-3.
func procStat(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return strings.Fields(string(b[bytes.LastIndexByte(b, ')')+2:])), nil
}

// hashWorkers lists the hash-worker children of pid.
func hashWorkers(t *testing.T, pid int) []int {
	t.Helper()
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	var out []int
	for _, path := range stats {
		f, err := procStat(path)
		if err != nil || f[4-3] != strconv.Itoa(pid) {
			continue
		}
		dir := filepath.Dir(path)
		cmdline, _ := os.ReadFile(filepath.Join(dir, "cmdline"))
		if strings.Contains(string(cmdline), hashWorkerCommand) {
			child, _ := strconv.Atoi(filepath.Base(dir))
			out = append(out, child)
		}
	}
	return out
}

// cpuOf is a process's user+system time in clock ticks.
func cpuOf(t *testing.T, pid int) int {
	t.Helper()
	f, err := procStat(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	u, _ := strconv.Atoi(f[14-3])
	s, _ := strconv.Atoi(f[15-3])
	return u + s
}

// TestServeHashesPasswordsInWorkersAtIdlePriority runs the real binary and checks that its
// password hashes run in hash-worker processes at SCHED_IDLE, one per CPU, with none of
// regauth's environment, and that they end with it even when it is killed.
func TestServeHashesPasswordsInWorkersAtIdlePriority(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("hash workers run on Linux only")
	}
	s := startServed(t, "", "REGAUTH_TEST_SECRET=hunter2")
	cmd, exited, base, client, data := s.cmd, s.exited, s.base, s.client, s.data

	workers := hashWorkers(t, cmd.Process.Pid)
	if len(workers) != runtime.GOMAXPROCS(0) {
		t.Fatalf("%d hash workers %v, want one per CPU (%d)", len(workers), workers, runtime.GOMAXPROCS(0))
	}
	before := 0
	for _, pid := range workers {
		stats, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/stat", pid))
		for _, path := range stats {
			if f, err := procStat(path); err == nil && f[41-3] != "5" {
				t.Errorf("worker %d thread %s: policy %s, want 5 (SCHED_IDLE)", pid, filepath.Base(filepath.Dir(path)), f[41-3])
			}
		}
		if env, _ := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid)); string(env) != "GOMAXPROCS=1\x00" {
			t.Errorf("worker %d environment %q, want only GOMAXPROCS=1", pid, env)
		}
		before += cpuOf(t, pid)
	}

	pw, err := os.ReadFile(filepath.Join(data, "admin-password"))
	if err != nil {
		t.Fatal(err)
	}
	login := func(user, password string) int {
		q := url.Values{"service": {"registry"}, "scope": {"repository:workers/app:pull"}}
		req, _ := http.NewRequest(http.MethodGet, base+"/auth?"+q.Encode(), nil)
		req.SetBasicAuth(user, password)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := login("admin", strings.TrimSpace(string(pw))); code != http.StatusOK {
		t.Errorf("admin login: %d, want 200", code)
	}
	for i := range 3 {
		if code := login(fmt.Sprintf("nobody%d", i), "guess"); code != http.StatusUnauthorized {
			t.Errorf("unknown user: %d, want 401", code)
		}
	}
	// Four cost-10 bcrypt checks take about 240 ms of CPU, in the workers. On a machine busy
	// with other tests a worker may be too slow and checks run in regauth instead, but the
	// workers still finish what they were sent: at least one hash, 6 ticks, at idle priority.
	deadline := time.Now().Add(2 * time.Minute)
	for {
		after := 0
		for _, pid := range workers {
			after += cpuOf(t, pid)
		}
		if after-before >= 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the workers used %d clock ticks for four password checks; the hashes ran elsewhere", after-before)
		}
		time.Sleep(100 * time.Millisecond)
	}

	// Killed outright, regauth cannot stop its workers: they end when their input does.
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-exited
	deadline = time.Now().Add(2 * time.Minute) // a worker in a hash at idle priority finishes it first
	for _, pid := range workers {
		for {
			f, err := procStat(fmt.Sprintf("/proc/%d/stat", pid))
			if err != nil || f[0] == "Z" { // gone, or ended and waiting for init to reap it
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("hash worker %d outlived regauth (state %s)", pid, f[0])
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}
