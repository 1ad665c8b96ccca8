package tokens

import (
	"errors"
	"testing"
	"time"
)

func TestARememberedRefreshTokenStillExpiresOnTime(t *testing.T) {
	clock := &testClock{now: time.Now()}
	is, err := NewIssuer(IssuerOptions{
		Issuer: "i", Service: "s", TTL: time.Minute, RefreshTTL: 20 * time.Second,
		Keys: StaticKeys{Pair: newTestKeyPair(t)}, Now: clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	refresh, err := is.IssueRefresh("alice", "fp", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := is.VerifyRefresh(refresh); err != nil {
		t.Fatal(err)
	}
	clock.now = clock.now.Add(40 * time.Second) // within the cache's minute, past exp and its leeway
	if _, err := is.VerifyRefresh(refresh); !errors.Is(err, ErrInvalidRefreshToken) {
		t.Fatalf("expired refresh token accepted from the cache: %v", err)
	}
}

func TestReplacingTheSigningKeyForgetsRememberedRefreshTokens(t *testing.T) {
	clock := &testClock{now: time.Now()}
	first, err := EnsureKeys(t.TempDir(), "ES256", clock.now)
	if err != nil {
		t.Fatal(err)
	}
	ring := NewKeyRing(first.KeyPair, time.Second, clock.Now)
	is, err := NewIssuer(IssuerOptions{Issuer: "i", Service: "s", TTL: time.Minute, RefreshTTL: time.Hour, Keys: ring, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	refresh, err := is.IssueRefresh("alice", "fp", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := is.VerifyRefresh(refresh); err != nil {
		t.Fatal(err)
	}
	// A key from another root replaces the first one, whose grace period then ends: tokens
	// signed under the old root must stop working even though one was just verified.
	replacement, err := EnsureKeys(t.TempDir(), "ES256", clock.now)
	if err != nil {
		t.Fatal(err)
	}
	ring.Rotate(replacement.KeyPair)
	clock.now = clock.now.Add(2 * time.Second)
	if _, err := is.VerifyRefresh(refresh); !errors.Is(err, ErrInvalidRefreshToken) {
		t.Fatalf("refresh token of a replaced root accepted from the cache: %v", err)
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
			is.refreshes = newRefreshCache()
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
