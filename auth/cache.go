package auth

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"sync/atomic"
	"time"

	"github.com/regauth/regauth/internal/expiring"
)

// credentialCache remembers successful password checks for a short time, so that docker's
// token request before every pull and push does not cost a bcrypt comparison each. An entry is
// keyed by HMAC(secret, user, password) with a random per-process secret: memory never holds a
// password, nor anything that could be replayed or guessed offline without that secret. An
// entry also records the user's password fingerprint and is ignored once the htpasswd line
// changes or the user is gone.
type credentialCache struct {
	secret  [32]byte
	ttl     time.Duration
	now     func() time.Time
	entries *expiring.Map[[32]byte, cacheEntry]
	hits    atomic.Uint64
	misses  atomic.Uint64
}

type cacheEntry struct {
	user        string
	fingerprint string
}

func newCredentialCache(ttl time.Duration, size int, now func() time.Time) *credentialCache {
	c := &credentialCache{ttl: ttl, now: now, entries: expiring.New[[32]byte, cacheEntry](size, now)}
	_, _ = rand.Read(c.secret[:]) // crypto/rand.Read never returns an error (Go 1.24+)
	return c
}

func (c *credentialCache) key(user string, pw Password) [32]byte {
	m := hmac.New(sha256.New, c.secret[:])
	m.Write([]byte(user))
	m.Write([]byte{0})
	m.Write([]byte(pw.Reveal()))
	var k [32]byte
	m.Sum(k[:0])
	return k
}

// valid reports whether (user, pw) succeeded recently and the user's hash is still fingerprint.
func (c *credentialCache) valid(k [32]byte, user, fingerprint string) bool {
	if e, ok := c.entries.Get(k); ok && e.user == user && e.fingerprint == fingerprint {
		c.hits.Add(1)
		return true
	}
	c.misses.Add(1)
	return false
}

func (c *credentialCache) remember(k [32]byte, user, fingerprint string) {
	c.entries.Put(k, cacheEntry{user: user, fingerprint: fingerprint}, c.now().Add(c.ttl))
}

// hashSlots bounds concurrent password hashing to the CPUs: a burst of cold logins queues here.
// Each hash then runs at lowered priority (atLowPriority), so warm requests, which only touch
// the cache, go first.
type hashSlots chan struct{}

func (s hashSlots) acquire(ctx context.Context) error {
	select {
	case s <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s hashSlots) release() { <-s }
