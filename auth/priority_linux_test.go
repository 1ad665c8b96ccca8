package auth

import (
	"runtime"
	"syscall"
	"testing"
)

func TestHashesRunOnAThreadOfLowerPriority(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	base, err := threadNice(syscall.Gettid())
	if err != nil {
		t.Fatal(err)
	}
	var hashNice, hashTid int
	ok := atLowPriority(func() bool {
		hashTid = syscall.Gettid()
		hashNice, err = threadNice(hashTid)
		return true
	})
	if !ok || err != nil {
		t.Fatalf("atLowPriority = %v, err %v", ok, err)
	}
	if want := min(base+hashNiceSteps, 19); hashNice != want {
		t.Errorf("hash ran at nice %d, want %d (the caller's %d + %d)", hashNice, want, base, hashNiceSteps)
	}
	if hashTid == syscall.Gettid() {
		t.Error("hash ran on the caller's thread")
	}
	if after, _ := threadNice(syscall.Gettid()); after != base {
		t.Errorf("caller's thread went from nice %d to %d", base, after)
	}
}
