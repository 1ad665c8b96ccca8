package server_test

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/regauth/regauth/lockout"
	"github.com/regauth/regauth/server"
)

type stepClock struct{ t time.Time }

func (c *stepClock) now() time.Time { return c.t }

func TestRepeatedFailedLoginsAreLockedPerUserAndAddress(t *testing.T) {
	clock := &stepClock{t: time.Now()}
	limiter, err := lockout.New(lockout.NewMemoryStore(clock.now, 0), lockout.Policy{
		UserIPThreshold: 3, IPThreshold: 100, Window: time.Hour, BaseDelay: 10 * time.Second, MaxDelay: time.Hour,
	}, clock.now)
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, func(o *server.Options) { o.Limiter = limiter })
	login := func(from, password string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, "/auth?"+params("service", testService).Encode(), nil)
		req.Header.Set("Authorization", basic("alice", password))
		req.RemoteAddr = from + ":40000"
		return f.serve(req)
	}
	for i := range 3 {
		if rec := login("192.0.2.7", "wrong"); rec.Code != http.StatusUnauthorized {
			t.Fatalf("failure %d = %d, want 401", i+1, rec.Code)
		}
	}
	t.Run("the attacker's address is locked, even with the right password", func(t *testing.T) {
		rec := login("192.0.2.7", testPasswords["alice"])
		if rec.Code != http.StatusTooManyRequests {
			t.Fatalf("status = %d %s, want 429", rec.Code, rec.Body)
		}
		if s, err := strconv.Atoi(rec.Header().Get("Retry-After")); err != nil || s < 1 || s > 10 {
			t.Errorf("Retry-After = %q, want 1..10 seconds", rec.Header().Get("Retry-After"))
		}
		refused(t, rec, http.StatusTooManyRequests, "temporarily_unavailable", "TOOMANYREQUESTS")
	})
	t.Run("the same user from another address is not locked out", func(t *testing.T) {
		if rec := login("198.51.100.9", testPasswords["alice"]); rec.Code != http.StatusOK {
			t.Fatalf("status = %d %s, want 200", rec.Code, rec.Body)
		}
	})
	t.Run("the lock ends, and a success resets the count", func(t *testing.T) {
		clock.t = clock.t.Add(11 * time.Second)
		if rec := login("192.0.2.7", testPasswords["alice"]); rec.Code != http.StatusOK {
			t.Fatalf("after the lock: %d %s, want 200", rec.Code, rec.Body)
		}
		if rec := login("192.0.2.7", "wrong"); rec.Code != http.StatusUnauthorized {
			t.Fatalf("one failure after a success: %d, want 401 (count reset)", rec.Code)
		}
	})
}
