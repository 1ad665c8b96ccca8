package hashproc

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/regauth/regauth/auth"
)

// workerEnv makes this test binary a hash worker (see TestMain), the way "regauth hash-worker"
// is one: the tests below run real worker processes. Its value says at which priority: "idle"
// as in regauth, or "normal" for tests whose outcome must not depend on the machine having
// idle CPU (go test runs other packages alongside).
const workerEnv = "REGAUTH_HASHPROC_TEST_WORKER"

func TestMain(m *testing.M) {
	if mode := os.Getenv(workerEnv); mode != "" {
		if err := work(os.Stdin, os.Stdout, mode == "idle"); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func bcryptHash(t *testing.T, cost int) string {
	t.Helper()
	h, err := auth.HashBcrypt(password, cost)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// countingHasher is the real in-process hasher, counting the checks it was given.
type countingHasher struct{ calls atomic.Int64 }

func (c *countingHasher) CheckPassword(hash string, pw []byte) bool {
	c.calls.Add(1)
	return auth.CheckPassword(hash, pw)
}

// newTestPool starts workers of this test binary at normal priority, or idle. patience 0 is
// the default; the tests that do not starve a worker on purpose give a minute.
func newTestPool(t *testing.T, workers int, mode string, patience time.Duration) (*Pool, *countingHasher) {
	t.Helper()
	fallback := &countingHasher{}
	p, err := New(Options{
		Workers: workers, Path: os.Args[0], Args: []string{"hashproc-worker", "-test.run=^$"},
		Env: []string{workerEnv + "=" + mode, "GOMAXPROCS=1"}, Stderr: os.Stderr, Fallback: fallback,
		Patience: patience,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p, fallback
}

func (p *Pool) pids() []int {
	p.mu.Lock()
	defer p.mu.Unlock()
	var pids []int
	for w := range p.all {
		pids = append(pids, w.cmd.Process.Pid)
	}
	return pids
}

func TestWorkersCheckEverySchemeThemselves(t *testing.T) {
	p, fallback := newTestPool(t, 2, "normal", time.Minute)
	all := map[string]string{"bcrypt": bcryptHash(t, 4)}
	for k, v := range hashes {
		all[k] = v
	}
	for scheme, hash := range all {
		if !p.CheckPassword(hash, []byte(password)) {
			t.Errorf("%s: the right password was refused", scheme)
		}
		for _, wrong := range []string{"correct horsE", "", password + "\x00", strings.Repeat("x", 3900)} {
			if p.CheckPassword(hash, []byte(wrong)) {
				t.Errorf("%s: %q was accepted", scheme, wrong)
			}
		}
	}
	if p.CheckPassword("plaintext", []byte("plaintext")) {
		t.Error("a hash of no accepted scheme matched")
	}
	if n := fallback.calls.Load(); n != 0 {
		t.Errorf("the fallback checked %d passwords; the workers should have checked all", n)
	}
}

func TestWorkersRunAtIdlePriorityWithOnlyTheirOwnEnvironment(t *testing.T) {
	t.Setenv("REGAUTH_TEST_SECRET", "hunter2")
	p, _ := newTestPool(t, 2, "idle", time.Minute)
	pids := p.pids() // each said it was ready after moving every thread
	if len(pids) != 2 {
		t.Fatalf("%d workers, want 2", len(pids))
	}
	for _, pid := range pids {
		stats, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/stat", pid))
		if len(stats) == 0 {
			t.Fatalf("worker %d has no threads in /proc", pid)
		}
		for _, path := range stats {
			fields, err := statFields(path)
			if err != nil {
				continue // the thread ended
			}
			if policy := fields[41]; policy != "5" {
				t.Errorf("worker %d thread %s: policy %s, want 5 (SCHED_IDLE)", pid, filepath.Base(filepath.Dir(path)), policy)
			}
		}
		env, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
		if err != nil {
			t.Fatal(err)
		}
		if got, want := string(env), workerEnv+"=idle\x00GOMAXPROCS=1\x00"; got != want {
			t.Errorf("worker %d environment %q, want only %q", pid, got, want)
		}
	}
}

// A stopped worker gets no CPU, like one at idle priority on a machine busy with other work:
// the check must not wait for it, and the worker must rejoin the pool once it answers.
func TestAStarvedWorkerHandsTheCheckToTheFallbackAndRejoinsLater(t *testing.T) {
	// A second of patience: a stopped worker runs for none of it, a running one for far
	// more than the 20 ms it needs, however busy the machine is with other tests.
	p, fallback := newTestPool(t, 1, "normal", time.Second)
	hash := bcryptHash(t, 4)
	pid := p.pids()[0]
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	answer := make(chan bool, 1)
	go func() { answer <- p.CheckPassword(hash, []byte(password)) }()
	select {
	case ok := <-answer:
		if !ok {
			t.Error("the right password was refused while the worker was stopped")
		}
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(pid, syscall.SIGCONT)
		t.Fatal("the check waited for the stopped worker; want the fallback after a patience")
	}
	if n := fallback.calls.Load(); n != 1 {
		t.Fatalf("the fallback checked %d passwords, want 1", n)
	}
	if p.CheckPassword(hash, []byte("wrong")) { // the worker is still busy: fallback again
		t.Error("a wrong password was accepted while the worker was stopped")
	}
	if n := fallback.calls.Load(); n != 2 {
		t.Fatalf("the fallback checked %d passwords, want 2", n)
	}
	if err := syscall.Kill(pid, syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(p.idle) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the worker did not rejoin the pool after it answered")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !p.CheckPassword(hash, []byte(password)) || fallback.calls.Load() != 2 {
		t.Errorf("after rejoining, the worker should check again (fallback calls %d, want 2)", fallback.calls.Load())
	}
	if got := p.pids(); len(got) != 1 || got[0] != pid {
		t.Errorf("workers %v, want the same one (%d)", got, pid)
	}
}

func TestDeadWorkersAreReplacedAndNoCheckIsLost(t *testing.T) {
	p, fallback := newTestPool(t, 2, "normal", time.Minute)
	hash := hashes["apr1"]
	old := p.pids()
	for _, pid := range old {
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
	}
	// Each dead worker fails one check, which the fallback answers; replacements start in
	// the background, meanwhile the fallback answers too.
	deadline := time.Now().Add(10 * time.Second)
	for i := 0; i < 2 || len(p.idle) < 2; i++ {
		want := i%2 == 0
		pw := password
		if !want {
			pw = "wrong"
		}
		if got := p.CheckPassword(hash, []byte(pw)); got != want {
			t.Errorf("check %d: %v, want %v", i, got, want)
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %d checks, %d of 2 workers are idle", i+1, len(p.idle))
		}
		time.Sleep(5 * time.Millisecond)
	}
	if n := fallback.calls.Load(); n < 2 {
		t.Errorf("the fallback checked %d passwords, want at least 2 (one per dead worker)", n)
	}
	before := fallback.calls.Load()
	if !p.CheckPassword(hash, []byte(password)) || fallback.calls.Load() != before {
		t.Error("a replacement worker did not check the password")
	}
	now := p.pids()
	if len(now) != 2 {
		t.Fatalf("%d workers alive, want 2", len(now))
	}
	for _, pid := range now {
		if slices.Contains(old, pid) {
			t.Errorf("worker %d was killed but is still counted", pid)
		}
	}
}

func TestCloseWhileCheckingAnswersEveryCheckAndLeavesNoWorker(t *testing.T) {
	p, _ := newTestPool(t, 2, "normal", time.Minute)
	pids := p.pids()
	// One worker stopped: a check sent to it is surely in flight when Close comes.
	if err := syscall.Kill(pids[0], syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	hash := bcryptHash(t, 4)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 5 {
				want := (i+j)%2 == 0
				pw := password
				if !want {
					pw = "wrong"
				}
				if got := p.CheckPassword(hash, []byte(pw)); got != want {
					t.Errorf("goroutine %d check %d: %v, want %v", i, j, got, want)
				}
			}
		}()
	}
	time.Sleep(100 * time.Millisecond)
	p.Close()
	for _, pid := range pids { // stopped and reaped by Close itself
		if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); err == nil {
			t.Errorf("worker %d still exists after Close", pid)
		}
	}
	wg.Wait()
	if left := p.pids(); len(left) != 0 {
		t.Errorf("workers %v counted after Close", left)
	}
}

func TestCloseEndsEveryWorker(t *testing.T) {
	p, _ := newTestPool(t, 2, "normal", time.Minute)
	pids := p.pids()
	p.Close()
	for _, pid := range pids {
		if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); err == nil {
			t.Errorf("worker %d still exists after Close", pid)
		}
	}
	if p.CheckPassword(hashes["sha1"], []byte(password)) != true {
		t.Error("a closed pool must still answer, through the fallback")
	}
}

func TestLongPasswordsGoToTheFallback(t *testing.T) {
	p, fallback := newTestPool(t, 1, "normal", time.Minute)
	long := []byte(strings.Repeat("p", maxRequest))
	if p.CheckPassword(hashes["sha1"], long) {
		t.Error("a wrong long password was accepted")
	}
	if n := fallback.calls.Load(); n != 1 {
		t.Errorf("the fallback checked %d passwords, want 1", n)
	}
}

func TestNewFailsWhenAWorkerCannotStart(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "no-such-regauth")
	_, err := New(Options{Workers: 1, Path: missing, Args: []string{"regauth"}, Fallback: auth.InProcess{}})
	if err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("error %v, want one naming %s", err, missing)
	}
	if _, err := New(Options{Workers: 1, Path: os.Args[0], Args: []string{"regauth"}}); err == nil {
		t.Error("a pool without a fallback was accepted")
	}
}

// timedHasher is the real in-process hasher, noting when it was first asked.
type timedHasher struct {
	mu    sync.Mutex
	first time.Time
}

func (h *timedHasher) CheckPassword(hash string, pw []byte) bool {
	h.mu.Lock()
	if h.first.IsZero() {
		h.first = time.Now()
	}
	h.mu.Unlock()
	return auth.CheckPassword(hash, pw)
}

// A worker that makes progress is waited for, but not for ever: past patienceRounds the
// fallback answers, and the worker rejoins when it is done.
func TestASlowWorkerIsWaitedForTenPatiencesThenLeft(t *testing.T) {
	const patience = 20 * time.Millisecond
	fallback := &timedHasher{}
	p, err := New(Options{
		Workers: 1, Path: os.Args[0], Args: []string{"hashproc-worker", "-test.run=^$"},
		Env: []string{workerEnv + "=normal", "GOMAXPROCS=1"}, Stderr: os.Stderr, Fallback: fallback,
		Patience: patience,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	hash := bcryptHash(t, 12) // about 240 ms of CPU, against a 200 ms bound
	start := time.Now()
	if !p.CheckPassword(hash, []byte(password)) {
		t.Error("the right password was refused")
	}
	if fallback.first.IsZero() {
		t.Fatal("the fallback was never asked")
	}
	// Left after about ten patiences; a broken progress rule would leave it after one. (A
	// machine busy with other tests may starve the worker for a patience now and then.)
	if waited := fallback.first.Sub(start); waited < 3*patience {
		t.Errorf("the check left a progressing worker after %v, want about %v", waited, patienceRounds*patience)
	}
	deadline := time.Now().Add(30 * time.Second)
	for len(p.idle) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the slow worker did not rejoin the pool")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// statFields reads a /proc stat file and returns its fields numbered as proc(5) numbers them
// (fields[1] is the pid, fields[3] the state); the command name, which may hold spaces, is
// skipped.
func statFields(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return append([]string{"", "", ""}, strings.Fields(string(b[bytes.LastIndexByte(b, ')')+2:]))...), nil
}

func TestProcessClockIsTheKernelsProcessCPUClock(t *testing.T) {
	// glibc's clock_getcpuclockid gives these (MAKE_PROCESS_CPUCLOCK(pid, CPUCLOCK_SCHED)).
	for pid, want := range map[int]int32{1: -14, 4194303: -33554430} {
		if got := processClock(pid); got != want {
			t.Errorf("processClock(%d) = %d, want %d", pid, got, want)
		}
	}
}

// processCPU reads another process's CPU-time clock: it grows while a worker hashes, to the
// nanosecond (the tick-counting CPU clocks would pass the other checks), and it agrees with
// the kernel's tick count in /proc/<pid>/stat.
func TestProcessCPUIsTheWorkersCPUTime(t *testing.T) {
	p, _ := newTestPool(t, 1, "normal", time.Minute)
	pid := p.pids()[0]
	before, err := processCPU(pid)
	if err != nil {
		t.Fatal(err)
	}
	hash := bcryptHash(t, 10)
	for range 3 {
		if !p.CheckPassword(hash, []byte(password)) {
			t.Fatal("the right password was refused")
		}
	}
	after, err := processCPU(pid)
	if err != nil {
		t.Fatal(err)
	}
	fields, err := statFields(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	// utime and stime, in ticks of 1/100 s (USER_HZ on Linux).
	var ticks int64
	for _, f := range fields[14:16] {
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		ticks += n
	}
	fromStat := time.Duration(ticks) * 10 * time.Millisecond
	// Three cost-10 compares take well over 60 ms on any machine this runs on.
	if after-before < 60*time.Millisecond {
		t.Errorf("the clock moved %v over three cost-10 compares", after-before)
	}
	if d := after - fromStat; d < -30*time.Millisecond || d > 30*time.Millisecond {
		t.Errorf("the clock says %v, /proc/%d/stat %v", after, pid, fromStat)
	}
	// A clock that counts ticks (of 1 to 10 ms) gives whole milliseconds; the scheduler's clock
	// does so once in a million reads.
	if before%time.Millisecond == 0 && after%time.Millisecond == 0 {
		t.Errorf("the clock read %v and %v: whole milliseconds, not the scheduler's nanoseconds", before, after)
	}
	if _, err := processCPU(1 << 22); err == nil { // pids stay below 2^22: no such process
		t.Error("the clock of a process that cannot exist was read")
	}
}
