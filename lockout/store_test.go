package lockout

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// testStore is the conformance suite every Store passes. Expiry is measured on the store's own
// clock (Redis expires keys itself), so the expiry test sleeps for real, briefly.
func testStore(t *testing.T, newStore func(t *testing.T) Store) {
	// Stores may keep failure times to the millisecond only.
	base := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	ctx := context.Background()
	fail := func(t *testing.T, s Store, key string, at time.Time, window time.Duration) Failures {
		t.Helper()
		f, err := s.Fail(ctx, key, at, window)
		if err != nil {
			t.Fatalf("Fail(%q): %v", key, err)
		}
		return f
	}
	get := func(t *testing.T, s Store, key string) Failures {
		t.Helper()
		f, err := s.Get(ctx, key)
		if err != nil {
			t.Fatalf("Get(%q): %v", key, err)
		}
		return f
	}
	same := func(a, b Failures) bool { return a.Count == b.Count && a.Last.Equal(b.Last) }

	t.Run("an unknown key has no failures", func(t *testing.T) {
		if f := get(t, newStore(t), "nobody"); !same(f, Failures{}) {
			t.Errorf("Get = %+v, want zero", f)
		}
	})

	t.Run("failures count up and remember the latest time", func(t *testing.T) {
		s := newStore(t)
		for i := 1; i <= 5; i++ {
			at := base.Add(time.Duration(i) * time.Second)
			want := Failures{Count: i, Last: at}
			if f := fail(t, s, "k", at, time.Hour); !same(f, want) {
				t.Fatalf("Fail #%d = %+v, want %+v", i, f, want)
			}
			if f := get(t, s, "k"); !same(f, want) {
				t.Fatalf("Get after Fail #%d = %+v, want %+v", i, f, want)
			}
		}
	})

	t.Run("the latest failure time never moves backwards", func(t *testing.T) {
		s := newStore(t)
		late := base.Add(time.Minute)
		fail(t, s, "k", late, time.Hour)
		if f := fail(t, s, "k", base, time.Hour); !same(f, Failures{Count: 2, Last: late}) {
			t.Errorf("Fail with an older time = %+v, want count 2 at %s", f, late)
		}
	})

	t.Run("keys are counted apart", func(t *testing.T) {
		s := newStore(t)
		fail(t, s, "a", base, time.Hour)
		fail(t, s, "a", base, time.Hour)
		fail(t, s, "b", base, time.Hour)
		if a, b := get(t, s, "a"), get(t, s, "b"); a.Count != 2 || b.Count != 1 {
			t.Errorf("counts a=%d b=%d, want 2 and 1", a.Count, b.Count)
		}
	})

	t.Run("reset forgets one key and counting starts over", func(t *testing.T) {
		s := newStore(t)
		fail(t, s, "a", base, time.Hour)
		fail(t, s, "a", base, time.Hour)
		fail(t, s, "b", base, time.Hour)
		if err := s.Reset(ctx, "a"); err != nil {
			t.Fatalf("Reset: %v", err)
		}
		if f := get(t, s, "a"); !same(f, Failures{}) {
			t.Errorf("Get after Reset = %+v, want zero", f)
		}
		if f := get(t, s, "b"); f.Count != 1 {
			t.Errorf("Reset of a changed b to %+v", f)
		}
		if f := fail(t, s, "a", base, time.Hour); f.Count != 1 {
			t.Errorf("Fail after Reset counted %d, want 1", f.Count)
		}
		if err := s.Reset(ctx, "never-seen"); err != nil {
			t.Errorf("Reset of a missing key: %v", err)
		}
	})

	t.Run("each failure restarts the window, and a quiet window forgets", func(t *testing.T) {
		const window = 600 * time.Millisecond
		s := newStore(t)
		fail(t, s, "k", base, window)
		time.Sleep(window / 2)
		fail(t, s, "k", base, window)
		time.Sleep(2 * window / 3) // past the first failure's window, within the second's
		if f := get(t, s, "k"); f.Count != 2 {
			t.Fatalf("Get within the restarted window = %+v, want count 2", f)
		}
		time.Sleep(window / 2)
		if f := get(t, s, "k"); !same(f, Failures{}) {
			t.Fatalf("Get after a quiet window = %+v, want zero", f)
		}
		if f := fail(t, s, "k", base, window); f.Count != 1 {
			t.Errorf("Fail after expiry counted %d, want 1", f.Count)
		}
	})

	t.Run("concurrent failures each get their own count", func(t *testing.T) {
		const goroutines, each = 16, 25
		s := newStore(t)
		var (
			mu     sync.Mutex
			counts []int
			wg     sync.WaitGroup
		)
		for g := range goroutines {
			wg.Go(func() {
				for i := range each {
					f, err := s.Fail(ctx, "hot", base.Add(time.Duration(g*each+i)*time.Millisecond), time.Hour)
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					counts = append(counts, f.Count)
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		slices.Sort(counts)
		for i, c := range counts {
			if c != i+1 {
				t.Fatalf("sorted counts[%d] = %d, want %d: two failures got the same count", i, c, i+1)
			}
		}
		want := Failures{Count: goroutines * each, Last: base.Add(time.Duration(goroutines*each-1) * time.Millisecond)}
		if f := get(t, s, "hot"); !same(f, want) {
			t.Errorf("Get = %+v, want %+v", f, want)
		}
	})

	t.Run("any key works, long or odd", func(t *testing.T) {
		s := newStore(t)
		for _, key := range []string{"", " ", "ключ", "a\x00b", "{slot}:x", strings.Repeat("k", 4096)} {
			if f := fail(t, s, key, base, time.Hour); f.Count != 1 {
				t.Errorf("Fail(%q) counted %d, want 1", truncateKey(key), f.Count)
			}
			if f := get(t, s, key); f.Count != 1 {
				t.Errorf("Get(%q) = %+v, want count 1", truncateKey(key), f)
			}
		}
	})

	t.Run("a cancelled context is an error", func(t *testing.T) {
		s := newStore(t)
		cancelled, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := s.Fail(cancelled, "k", base, time.Hour); err == nil {
			t.Error("Fail succeeded")
		}
		if _, err := s.Get(cancelled, "k"); err == nil {
			t.Error("Get succeeded")
		}
		if err := s.Reset(cancelled, "k"); err == nil {
			t.Error("Reset succeeded")
		}
	})
}

func truncateKey(k string) string {
	if len(k) > 20 {
		return fmt.Sprintf("%s... (%d bytes)", k[:20], len(k))
	}
	return k
}
