package auth

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

func newCachedStore(t testing.TB, clock *fakeClock, size int, users ...string) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "htpasswd")
	writeUsers(t, path, users...)
	s, err := NewStore(StoreOptions{HtpasswdPath: path, CacheTTL: time.Minute, CacheSize: size, Now: clock.now})
	if err != nil {
		t.Fatal(err)
	}
	return s, path
}

// writeUsers writes user:bcrypt(password-of-user) lines; the password of u is "pw-"+u.
func writeUsers(t testing.TB, path string, users ...string) {
	t.Helper()
	var content string
	for _, u := range users {
		h, err := HashBcrypt(Password("pw-"+u), 4)
		if err != nil {
			t.Fatal(err)
		}
		content += u + ":" + h + "\n"
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestCredentialCache(t *testing.T) {
	ctx := context.Background()
	t.Run("a second login with the same password is a cache hit", func(t *testing.T) {
		s, _ := newCachedStore(t, &fakeClock{time.Now()}, 100, "alice")
		for range 3 {
			if _, err := s.Authenticate(ctx, "alice", "pw-alice"); err != nil {
				t.Fatal(err)
			}
		}
		if st := s.CacheStats(); st.Hits != 2 || st.Misses != 1 {
			t.Fatalf("stats = %+v, want 2 hits and 1 miss", st)
		}
	})
	t.Run("a wrong password is never answered from the cache", func(t *testing.T) {
		s, _ := newCachedStore(t, &fakeClock{time.Now()}, 100, "alice")
		if _, err := s.Authenticate(ctx, "alice", "pw-alice"); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if _, err := s.Authenticate(ctx, "alice", "wrong"); !errors.Is(err, ErrInvalidCredentials) {
				t.Fatalf("wrong password: %v", err)
			}
		}
	})
	t.Run("a password change invalidates at once", func(t *testing.T) {
		s, path := newCachedStore(t, &fakeClock{time.Now()}, 100, "alice")
		if _, err := s.Authenticate(ctx, "alice", "pw-alice"); err != nil {
			t.Fatal(err)
		}
		h, _ := HashBcrypt("new-password", 4)
		if err := os.WriteFile(path, []byte("alice:"+h+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := s.Reload(); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Authenticate(ctx, "alice", "pw-alice"); !errors.Is(err, ErrInvalidCredentials) {
			t.Fatalf("old password after a change: %v, want refused", err)
		}
		if _, err := s.Authenticate(ctx, "alice", "new-password"); err != nil {
			t.Fatalf("new password: %v", err)
		}
	})
	t.Run("a deleted user is refused at once", func(t *testing.T) {
		s, path := newCachedStore(t, &fakeClock{time.Now()}, 100, "alice", "bob")
		if _, err := s.Authenticate(ctx, "alice", "pw-alice"); err != nil {
			t.Fatal(err)
		}
		writeUsers(t, path, "bob")
		if err := s.Reload(); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Authenticate(ctx, "alice", "pw-alice"); !errors.Is(err, ErrInvalidCredentials) {
			t.Fatalf("deleted user: %v, want refused", err)
		}
	})
	t.Run("entries expire after the TTL", func(t *testing.T) {
		clock := &fakeClock{time.Now()}
		s, _ := newCachedStore(t, clock, 100, "alice")
		_, _ = s.Authenticate(ctx, "alice", "pw-alice")
		clock.t = clock.t.Add(2 * time.Minute)
		_, _ = s.Authenticate(ctx, "alice", "pw-alice")
		if st := s.CacheStats(); st.Hits != 0 {
			t.Fatalf("stats = %+v, want no hit after the TTL", st)
		}
	})
	t.Run("the cache stays within its size", func(t *testing.T) {
		var users []string
		for i := range 20 {
			users = append(users, fmt.Sprintf("u%d", i))
		}
		s, _ := newCachedStore(t, &fakeClock{time.Now()}, 5, users...)
		for _, u := range users {
			if _, err := s.Authenticate(ctx, u, Password("pw-"+u)); err != nil {
				t.Fatal(err)
			}
		}
		if n := s.cache.entries.Len(); n != 5 {
			t.Fatalf("cache holds %d entries, want 5", n)
		}
		if _, err := s.Authenticate(ctx, "u19", "pw-u19"); err != nil || s.CacheStats().Hits != 1 {
			t.Fatalf("the newest entry was evicted: %v %+v", err, s.CacheStats())
		}
	})
	t.Run("the cache holds no password", func(t *testing.T) {
		s, _ := newCachedStore(t, &fakeClock{time.Now()}, 100, "alice")
		_, _ = s.Authenticate(ctx, "alice", "pw-alice")
		for k, e := range s.cache.entries.All() {
			if string(k[:]) == "pw-alice" || e.fingerprint == "pw-alice" {
				t.Fatal("password stored in the cache")
			}
		}
	})
}

func TestPasswordHashingWaitsForASlotAndHonoursCancellation(t *testing.T) {
	path := filepath.Join(t.TempDir(), "htpasswd")
	writeUsers(t, path, "alice")
	s, err := NewStore(StoreOptions{HtpasswdPath: path, CacheTTL: -1, MaxConcurrentHashes: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.slots.acquire(context.Background()); err != nil { // another login holds the only slot
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := s.Authenticate(ctx, "alice", "pw-alice"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Authenticate with every slot busy = %v, want the context's error", err)
	}
	s.slots.release()
	if _, err := s.Authenticate(context.Background(), "alice", "pw-alice"); err != nil {
		t.Fatalf("after the slot is free: %v", err)
	}
}

func BenchmarkAuthenticateWarm(b *testing.B) {
	s, _ := newCachedStore(b, &fakeClock{time.Now()}, 100, "alice")
	ctx := context.Background()
	_, _ = s.Authenticate(ctx, "alice", "pw-alice")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Authenticate(ctx, "alice", "pw-alice"); err != nil {
			b.Fatal(err)
		}
	}
}

func TestIdenticalConcurrentLoginsShareOnePasswordHash(t *testing.T) {
	path := filepath.Join(t.TempDir(), "htpasswd")
	h, err := HashBcrypt("pw-alice", 10)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("alice:"+h+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var hashes atomic.Int64
	s, err := NewStore(StoreOptions{HtpasswdPath: path, OnVerify: func(hit bool) {
		if !hit {
			hashes.Add(1)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := s.Authenticate(context.Background(), "alice", "pw-alice"); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if n := hashes.Load(); n > 4 {
		t.Fatalf("16 simultaneous logins with one password hashed it %d times, want about once", n)
	}
}
