package auth

import (
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// nices maps every thread of this process to its nice value, from /proc.
func nices(t *testing.T) map[string]int {
	t.Helper()
	stats, err := filepath.Glob("/proc/self/task/*/stat")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, path := range stats {
		b, err := os.ReadFile(path)
		if err != nil {
			continue // the thread ended meanwhile
		}
		// Fields after "(comm) ": state is field 3, nice field 19.
		fields := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
		nice, err := strconv.Atoi(fields[19-3])
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out[filepath.Base(filepath.Dir(path))] = nice
	}
	return out
}

func TestHashesRunOnAThreadOfLowerPriorityThatEndsWithThem(t *testing.T) {
	base, err := threadNice(syscall.Gettid())
	if err != nil {
		t.Fatal(err)
	}
	want := min(base+hashNiceSteps, 19)
	if want == base {
		t.Skipf("the test runs at nice %d already: nothing lower to see", base)
	}
	// Several hashes, so that some run on threads other than the main one (see below).
	var hashTids []int
	for range 8 {
		var hashNice int
		ok := atLowPriority(func() bool {
			tid := syscall.Gettid()
			hashTids = append(hashTids, tid)
			hashNice, err = threadNice(tid)
			return true
		})
		if !ok || err != nil {
			t.Fatalf("atLowPriority = %v, err %v", ok, err)
		}
		if hashNice != want {
			t.Errorf("hash ran at nice %d, want %d (the process's %d + %d)", hashNice, want, base, hashNiceSteps)
		}
	}
	// The thread goes away with the hash's goroutine; no other thread of the process may be
	// left at the lowered priority, or ordinary goroutines would run on it. The one exception
	// is the main thread: the runtime cannot end it, so when a locked goroutine exits there, it
	// parks the thread for good (runtime.mexit), and nothing runs on it again.
	main := strconv.Itoa(os.Getpid())
	deadline := time.Now().Add(2 * time.Second)
	for {
		var low []string
		for tid, nice := range nices(t) {
			if nice != base && tid != main {
				low = append(low, tid+"="+strconv.Itoa(nice))
			}
		}
		if len(low) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("threads left at another priority than %d after the hash: %v (hash threads %v)", base, low, hashTids)
		}
		runtime.Gosched()
		time.Sleep(10 * time.Millisecond)
	}
}

func TestAPanicInAHashReachesTheCaller(t *testing.T) {
	defer func() {
		if p := recover(); p == nil || !strings.Contains(p.(string), "boom") {
			t.Fatalf("recovered %v, want the hash's panic", p)
		}
	}()
	atLowPriority(func() bool { panic("boom") })
	t.Fatal("atLowPriority returned after its hash panicked")
}

func TestAStoreHashesAsManyPasswordsAtOnceAsItHasPs(t *testing.T) {
	path := filepath.Join(t.TempDir(), "htpasswd")
	writeUsers(t, path, "alice")
	s, err := NewStore(StoreOptions{HtpasswdPath: path})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := s.HashSlots(), runtime.GOMAXPROCS(0); got != want {
		t.Errorf("HashSlots = %d, want GOMAXPROCS %d", got, want)
	}
}
