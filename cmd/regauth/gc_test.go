package main

import (
	"math"
	"runtime"
	"runtime/debug"
	"sync"
	"testing"
)

// env is a getenv with the given variables set.
func env(vars map[string]string) func(string) string {
	return func(name string) string { return vars[name] }
}

func TestServeTunesTheCollectorUnlessGOGCOrGOMEMLIMITIsSet(t *testing.T) {
	previousPercent, previousLimit := debug.SetGCPercent(100), debug.SetMemoryLimit(math.MaxInt64)
	t.Cleanup(func() { debug.SetGCPercent(previousPercent); debug.SetMemoryLimit(previousLimit) })

	collectGarbageLessOften(env(nil))
	if got := debug.SetGCPercent(100); got != gcPercent {
		t.Errorf("GOGC unset: GC percent %d, want %d", got, gcPercent)
	}
	if got := debug.SetMemoryLimit(math.MaxInt64); got != memoryLimit {
		t.Errorf("GOMEMLIMIT unset: memory limit %d, want %d", got, memoryLimit)
	}

	collectGarbageLessOften(env(map[string]string{"GOGC": "100", "GOMEMLIMIT": "1GiB"}))
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("GOGC=100 in the environment: GC percent %d, want it left at 100", got)
	}
	if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
		t.Errorf("GOMEMLIMIT in the environment: memory limit changed to %d", got)
	}
}

func TestServeGivesPasswordHashesPsOfTheirOwn(t *testing.T) {
	previous := runtime.GOMAXPROCS(3)
	t.Cleanup(func() { runtime.GOMAXPROCS(previous) })

	spareProcsForHashes(env(nil), 3)
	if got := runtime.GOMAXPROCS(3); got != 6 {
		t.Errorf("GOMAXPROCS unset: %d Ps, want 6 (3 plus one per hash slot)", got)
	}
	spareProcsForHashes(env(map[string]string{"GOMAXPROCS": "3"}), 3)
	if got := runtime.GOMAXPROCS(0); got != 3 {
		t.Errorf("GOMAXPROCS=3 in the environment: %d Ps, want 3", got)
	}
}

// checkFunc is a password check made of a function.
type checkFunc func(hash string, pw []byte) bool

func (f checkFunc) CheckPassword(hash string, pw []byte) bool { return f(hash, pw) }

// With hash workers, an in-process check is the rare fallback: it borrows a P for as long as
// it runs, and when the last one ends GOMAXPROCS is the runtime's default again.
func TestTheFallbackBorrowsAPForEachCheckAndGivesItBack(t *testing.T) {
	previous := runtime.GOMAXPROCS(0)
	t.Cleanup(func() { runtime.GOMAXPROCS(previous) })
	runtime.SetDefaultGOMAXPROCS()
	def := runtime.GOMAXPROCS(0)

	seen := make(chan int, 2)
	release := make(chan struct{}, 2)
	l := &procLender{next: checkFunc(func(string, []byte) bool {
		seen <- runtime.GOMAXPROCS(0)
		<-release
		return true
	})}
	check := func() {
		if !l.CheckPassword("hash", []byte("pw")) {
			t.Error("the lender changed the answer")
		}
	}
	release <- struct{}{}
	check()
	if alone := <-seen; alone != def+1 {
		t.Errorf("one check running: %d Ps, want %d (the default plus one)", alone, def+1)
	}
	if got := runtime.GOMAXPROCS(0); got != def {
		t.Errorf("after one check: %d Ps, want the default %d", got, def)
	}

	var wg sync.WaitGroup
	wg.Go(check)
	wg.Go(check)
	<-seen
	<-seen // both are running now
	if got := runtime.GOMAXPROCS(0); got != def+2 {
		t.Errorf("two checks running: %d Ps, want %d (the default %d plus one each)", got, def+2, def)
	}
	release <- struct{}{}
	release <- struct{}{}
	wg.Wait()
	if got := runtime.GOMAXPROCS(0); got != def {
		t.Errorf("after the checks: %d Ps, want the default %d", got, def)
	}
}
