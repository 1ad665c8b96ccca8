package tokens

import (
	"sync"
	"time"
)

// KeyRing is the Keys of a running server: one current signing key, and the keys it replaced,
// still trusted (listed in the JWKS, accepted by Verify) until their grace period ends so that
// tokens already handed out keep working through a rotation.
type KeyRing struct {
	mu       sync.RWMutex
	current  *KeyPair
	retired  []retiredKey
	grace    time.Duration
	now      func() time.Time
	snapshot []*KeyPair
}

type retiredKey struct {
	pair  *KeyPair
	until time.Time
}

// NewKeyRing starts a ring with kp as the signing key. grace is how long a replaced key stays
// trusted: at least the access token lifetime.
func NewKeyRing(kp *KeyPair, grace time.Duration, now func() time.Time) *KeyRing {
	if now == nil {
		now = time.Now
	}
	r := &KeyRing{current: kp, grace: grace, now: now}
	r.snapshot = []*KeyPair{kp}
	return r
}

// Rotate makes kp the signing key. Rotating to the key already in use changes nothing.
func (r *KeyRing) Rotate(kp *KeyPair) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if kp.KeyID == r.current.KeyID {
		r.current = kp // same key, maybe a renewed certificate
		r.rebuild()
		return
	}
	r.retired = append(r.retired, retiredKey{pair: r.current, until: r.now().Add(r.grace)})
	r.current = kp
	r.rebuild()
}

// Current is the signing key.
func (r *KeyRing) Current() *KeyPair {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.current
}

// Trusted is the signing key followed by retired keys still within their grace period.
func (r *KeyRing) Trusted() []*KeyPair {
	r.mu.RLock()
	expired := len(r.retired) > 0 && !r.now().Before(r.retired[0].until)
	snap := r.snapshot
	r.mu.RUnlock()
	if !expired {
		return snap
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.rebuild()
	return r.snapshot
}

// rebuild drops expired keys and recomputes the trusted list; callers hold mu.
func (r *KeyRing) rebuild() {
	now := r.now()
	kept := r.retired[:0]
	for _, k := range r.retired {
		if now.Before(k.until) && k.pair.KeyID != r.current.KeyID {
			kept = append(kept, k)
		}
	}
	r.retired = kept
	snap := []*KeyPair{r.current}
	for i := len(kept) - 1; i >= 0; i-- {
		snap = append(snap, kept[i].pair)
	}
	r.snapshot = snap
}
