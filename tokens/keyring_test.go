package tokens

import (
	"errors"
	"testing"
	"time"
)

func TestKeyRingKeepsARotatedKeyTrustedForItsGracePeriod(t *testing.T) {
	clock := &testClock{now: testNow}
	dir := t.TempDir()
	first, err := EnsureKeys(dir, "ES256", testNow)
	if err != nil {
		t.Fatal(err)
	}
	ring := NewKeyRing(first.KeyPair, 10*time.Minute, clock.Now)
	second, err := EnsureKeys(dir, "ES256", first.KeyPair.Chain[0].NotAfter.Add(-time.Hour)) // renewal: new key, same root
	if err != nil {
		t.Fatal(err)
	}
	ring.Rotate(second.KeyPair)
	if ring.Current().KeyID != second.KeyPair.KeyID {
		t.Fatal("Rotate did not make the new key current")
	}
	if got := ring.Trusted(); len(got) != 2 || got[1].KeyID != first.KeyPair.KeyID {
		t.Fatalf("trusted during grace = %d keys, want new then old", len(got))
	}
	clock.now = clock.now.Add(11 * time.Minute)
	if got := ring.Trusted(); len(got) != 1 || got[0].KeyID != second.KeyPair.KeyID {
		t.Fatalf("trusted after grace = %d keys, want only the new one", len(got))
	}
	ring.Rotate(second.KeyPair)
	if len(ring.Trusted()) != 1 {
		t.Error("rotating to the key in use retired it")
	}
}

func TestRefreshTokensSurviveAKeyRotationFromTheSameRoot(t *testing.T) {
	clock := &testClock{now: time.Now()}
	dir := t.TempDir()
	first, err := EnsureKeys(dir, "ES256", clock.now)
	if err != nil {
		t.Fatal(err)
	}
	ring := NewKeyRing(first.KeyPair, time.Minute, clock.Now)
	is, err := NewIssuer(IssuerOptions{Issuer: "i", Service: "s", TTL: time.Minute, RefreshTTL: 30 * 24 * time.Hour, Keys: ring, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	old, err := is.IssueRefresh("alice", "fp", "docker")
	if err != nil {
		t.Fatal(err)
	}
	renewed, err := EnsureKeys(dir, "ES256", first.KeyPair.Chain[0].NotAfter.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	ring.Rotate(renewed.KeyPair)
	clock.now = clock.now.Add(2 * time.Hour) // the old key has left the ring
	if len(ring.Trusted()) != 1 {
		t.Fatal("old key still in the ring")
	}
	if _, err := is.VerifyRefresh(old); err != nil {
		t.Fatalf("refresh token signed before the rotation: %v", err)
	}

	foreign, err := EnsureKeys(t.TempDir(), "ES256", clock.now)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := NewIssuer(IssuerOptions{Issuer: "i", Service: "s", TTL: time.Minute, RefreshTTL: time.Hour, Keys: StaticKeys{Pair: foreign.KeyPair}, Now: clock.Now})
	forged, _ := other.IssueRefresh("alice", "fp", "")
	if _, err := is.VerifyRefresh(forged); !errors.Is(err, ErrInvalidRefreshToken) {
		t.Fatalf("a token whose x5c chains to a foreign root was accepted: %v", err)
	}
}
