package main

import (
	"math"
	"runtime"
	"runtime/debug"
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
