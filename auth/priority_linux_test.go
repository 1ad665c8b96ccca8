package auth

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// threadSched is a thread's scheduling policy and nice value.
type threadSched struct{ policy, nice int }

// threadScheds maps every thread of this process to its policy and nice value, from /proc.
func threadScheds(t *testing.T) map[string]threadSched {
	t.Helper()
	stats, err := filepath.Glob("/proc/self/task/*/stat")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]threadSched{}
	for _, path := range stats {
		b, err := os.ReadFile(path)
		if err != nil {
			continue // the thread ended meanwhile
		}
		// Fields after "(comm) ": state is field 3, nice field 19, policy field 41.
		fields := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
		nice, err1 := strconv.Atoi(fields[19-3])
		policy, err2 := strconv.Atoi(fields[41-3])
		if err1 != nil || err2 != nil {
			t.Fatalf("%s: %v %v", path, err1, err2)
		}
		out[filepath.Base(filepath.Dir(path))] = threadSched{policy: policy, nice: nice}
	}
	return out
}

func TestHashesRunOnAnIdlePolicyThreadThatEndsWithThem(t *testing.T) {
	base, err := threadNice(syscall.Gettid())
	if err != nil {
		t.Fatal(err)
	}
	normal := threadSched{policy: 0, nice: base} // SCHED_OTHER
	// Several hashes, so that some run on threads other than the main one (see below).
	var hashTids []int
	for range 8 {
		var tid int
		var during map[string]threadSched
		ok := atLowPriority(func() bool {
			tid = syscall.Gettid()
			during = threadScheds(t)
			return true
		})
		if !ok {
			t.Fatal("atLowPriority returned false for a hash that succeeded")
		}
		hashTids = append(hashTids, tid)
		if got := during[strconv.Itoa(tid)]; got.policy != unix.SCHED_IDLE {
			t.Errorf("hash ran with policy %d (nice %d), want SCHED_IDLE (%d)", got.policy, got.nice, unix.SCHED_IDLE)
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
		for tid, s := range threadScheds(t) {
			if s != normal && tid != main {
				low = append(low, fmt.Sprintf("%s=policy %d nice %d", tid, s.policy, s.nice))
			}
		}
		if len(low) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("threads left at another priority than %+v after the hash: %v (hash threads %v)", normal, low, hashTids)
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
