package lockout

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"
)

func TestMemoryStoreConformance(t *testing.T) {
	testStore(t, func(t *testing.T) Store { return NewMemoryStore(time.Now, 10_000) })
}

func TestMemoryStoreStaysBounded(t *testing.T) {
	const maxKeys, inserted = 1000, 100_000
	clock := newFakeClock()
	s := NewMemoryStore(clock.Now, maxKeys)
	ctx := context.Background()

	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := range inserted {
		if _, err := s.Fail(ctx, fmt.Sprintf("key-%d", i), clock.Now(), time.Hour); err != nil {
			t.Fatal(err)
		}
		clock.Advance(time.Millisecond)
		// key-0 fails again every 997 inserts, fewer than maxKeys: never the oldest, it stays.
		if i%997 == 0 {
			if _, err := s.Fail(ctx, "key-0", clock.Now(), time.Hour); err != nil {
				t.Fatal(err)
			}
		}
	}
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)

	if got := s.Len(); got != maxKeys {
		t.Errorf("Len() = %d after %d keys, want the bound %d", got, inserted, maxKeys)
	}
	for key, want := range map[string]int{
		"key-1":                                 0,                // evicted long ago
		fmt.Sprintf("key-%d", inserted-maxKeys): 0,                // the oldest live one was evicted by key-0's refreshes
		fmt.Sprintf("key-%d", inserted-1):       1,                // the newest survives
		"key-0":                                 2 + inserted/997, // refreshed, so never the oldest
	} {
		f, err := s.Get(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		if f.Count != want {
			t.Errorf("Get(%s).Count = %d, want %d", key, f.Count, want)
		}
	}
	if grown := int64(after.HeapAlloc) - int64(before.HeapAlloc); grown > 4<<20 {
		t.Errorf("heap grew by %d bytes for %d live keys", grown, maxKeys)
	}
}

func TestMemoryStoreDropsExpiredCounters(t *testing.T) {
	clock := newFakeClock()
	s := NewMemoryStore(clock.Now, 100)
	ctx := context.Background()
	for i := range 50 {
		if _, err := s.Fail(ctx, fmt.Sprintf("old-%d", i), clock.Now(), time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	clock.Advance(30 * time.Second)
	if _, err := s.Fail(ctx, "young", clock.Now(), time.Minute); err != nil {
		t.Fatal(err)
	}
	clock.Advance(30 * time.Second)
	if _, err := s.Fail(ctx, "new", clock.Now(), time.Minute); err != nil {
		t.Fatal(err)
	}
	if got := s.Len(); got != 2 {
		t.Errorf("Len() = %d after the old counters expired, want 2 (young and new)", got)
	}
	clock.Advance(30 * time.Second)
	if f, _ := s.Get(ctx, "young"); f.Count != 0 {
		t.Errorf("young still counted %d after its window", f.Count)
	}
	if got := s.Len(); got != 1 {
		t.Errorf("Len() = %d after reading an expired counter, want 1", got)
	}
}

// BenchmarkMemoryStoreBytesPerKey reports what one Limiter-shaped counter costs, to size maxKeys.
func BenchmarkMemoryStoreBytesPerKey(b *testing.B) {
	const n = 100_000
	var before, after runtime.MemStats
	for range b.N {
		runtime.GC()
		runtime.ReadMemStats(&before)
		s := NewMemoryStore(time.Now, n)
		for i := range n {
			key := fmt.Sprintf("u:%032x:2001:db8:%x:%x::/64", i, i, i)
			if _, err := s.Fail(context.Background(), key, time.Now(), time.Hour); err != nil {
				b.Fatal(err)
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "bytes/key")
		runtime.KeepAlive(s)
	}
}
