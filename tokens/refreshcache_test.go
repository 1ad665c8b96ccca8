package tokens

import (
	"errors"
	"testing"
	"time"
)

// refreshFromIssuer is an issuer signing with keys on clock's time, and a refresh token for
// alice that lives refreshTTL.
func refreshFromIssuer(t *testing.T, keys Keys, refreshTTL time.Duration, clock *testClock) (*Issuer, string) {
	t.Helper()
	is, err := NewIssuer(IssuerOptions{Issuer: "i", Service: "s", TTL: time.Minute, RefreshTTL: refreshTTL, Keys: keys, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	refresh, err := is.IssueRefresh("alice", "fp", "")
	if err != nil {
		t.Fatal(err)
	}
	return is, refresh
}

func TestARememberedRefreshTokenStillExpiresOnTime(t *testing.T) {
	clock := &testClock{now: time.Now()}
	is, refresh := refreshFromIssuer(t, StaticKeys{Pair: newTestKeyPair(t)}, 20*time.Second, clock)
	if _, err := is.VerifyRefresh(refresh); err != nil {
		t.Fatal(err)
	}
	clock.now = clock.now.Add(40 * time.Second) // within the cache's minute, past exp and its leeway
	if _, err := is.VerifyRefresh(refresh); !errors.Is(err, ErrInvalidRefreshToken) {
		t.Fatalf("expired refresh token accepted from the cache: %v", err)
	}
}

func TestARememberedRefreshTokenStopsWorkingWhenItsKeyIsNoLongerTrusted(t *testing.T) {
	clock := &testClock{now: time.Now()}
	first, err := EnsureKeys(t.TempDir(), "ES256", clock.now)
	if err != nil {
		t.Fatal(err)
	}
	ring := NewKeyRing(first.KeyPair, 10*time.Second, clock.Now) // shorter than the cache's minute
	is, refresh := refreshFromIssuer(t, ring, time.Hour, clock)
	// A key from another root takes over; the first stays trusted for its grace period, and a
	// token it signed is verified (and remembered) during it.
	replacement, err := EnsureKeys(t.TempDir(), "ES256", clock.now)
	if err != nil {
		t.Fatal(err)
	}
	ring.Rotate(replacement.KeyPair)
	if _, err := is.VerifyRefresh(refresh); err != nil {
		t.Fatalf("refresh token refused during its key's grace period: %v", err)
	}
	// The grace period ends while the signing key stays the same: the token must stop working
	// at once, although it was verified seconds ago.
	clock.now = clock.now.Add(11 * time.Second)
	if _, err := is.VerifyRefresh(refresh); !errors.Is(err, ErrInvalidRefreshToken) {
		t.Fatalf("refresh token of a key no longer trusted accepted from the cache: %v", err)
	}
}

// countingKeys counts how often the trusted keys are asked for: once per VerifyRefresh, and
// once more when the signature is actually checked.
type countingKeys struct {
	StaticKeys
	calls int
}

func (k *countingKeys) Trusted() []*KeyPair { k.calls++; return k.StaticKeys.Trusted() }

func TestARefreshTokenIsCheckedOnceAMinute(t *testing.T) {
	clock := &testClock{now: time.Now()}
	keys := &countingKeys{StaticKeys: StaticKeys{Pair: newTestKeyPair(t)}}
	is, refresh := refreshFromIssuer(t, keys, time.Hour, clock)
	verify := func() int {
		t.Helper()
		before := keys.calls
		if _, err := is.VerifyRefresh(refresh); err != nil {
			t.Fatal(err)
		}
		return keys.calls - before
	}
	if n := verify(); n != 2 {
		t.Fatalf("first use asked for the keys %d times, want 2 (lookup and signature check)", n)
	}
	if n := verify(); n != 1 {
		t.Errorf("second use within the minute asked %d times, want 1: the signature was checked again", n)
	}
	clock.now = clock.now.Add(refreshCacheTTL)
	if n := verify(); n != 2 {
		t.Errorf("use a minute later asked %d times, want 2: the signature was not checked again", n)
	}
}

func BenchmarkVerifyRefresh(b *testing.B) {
	is := newTestIssuer(b, &testClock{now: time.Now()})
	refresh, err := is.IssueRefresh("alice", "fp", "docker")
	if err != nil {
		b.Fatal(err)
	}
	b.Run("checked", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			is.refreshes = newRefreshCache(time.Now)
			if _, err := is.VerifyRefresh(refresh); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("remembered", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := is.VerifyRefresh(refresh); err != nil {
				b.Fatal(err)
			}
		}
	})
}
