package tokens

import (
	"crypto/sha256"
	"slices"
	"sync"
	"time"

	"github.com/regauth/regauth/internal/expiring"
)

// docker presents the same refresh token for every pull and push after `docker login`, and
// checking its ES256 signature costs more than signing the access token it buys. refreshCache
// remembers, for a minute, refresh tokens whose signature and claims were checked.
//
// Only the signature check is saved: the caller still compares the password fingerprint with
// the user's current one on every request, so a password change or a removed user revokes a
// token at once. An entry is keyed by the token's SHA-256 (the token itself is not kept) and
// never outlives the token. Every entry is dropped when the set of trusted keys changes
// (rotation, reload, a retired key's grace period ending), so a key stops vouching for tokens
// as soon as it is no longer trusted. One thing is noticed a minute late at most: the expiry of
// the x5c certificate that vouched for a token signed by a key since rotated out.
type refreshCache struct {
	mu      sync.Mutex
	trusted []*KeyPair // the trusted keys when the entries were verified
	entries *expiring.Map[[sha256.Size]byte, RefreshClaims]
}

const (
	refreshCacheTTL     = time.Minute
	refreshCacheEntries = 4096
)

func newRefreshCache(now func() time.Time) *refreshCache {
	return &refreshCache{entries: expiring.New[[sha256.Size]byte, RefreshClaims](refreshCacheEntries, now)}
}

// get returns the claims of a token verified less than a minute ago under the same trusted keys.
func (c *refreshCache) get(key [sha256.Size]byte, trusted []*KeyPair) (RefreshClaims, bool) {
	if !c.sameTrust(trusted, false) {
		return RefreshClaims{}, false
	}
	return c.entries.Get(key)
}

// put remembers a verified token until a minute from now or its expiry, whichever is first.
func (c *refreshCache) put(key [sha256.Size]byte, trusted []*KeyPair, claims RefreshClaims, now time.Time) {
	c.sameTrust(trusted, true)
	until := now.Add(refreshCacheTTL)
	if exp := time.Unix(claims.ExpiresAt, 0); exp.Before(until) {
		until = exp
	}
	c.entries.Put(key, claims, until)
}

// sameTrust reports whether trusted is the set the entries were verified under; with adopt,
// a different set replaces it and the entries are dropped.
func (c *refreshCache) sameTrust(trusted []*KeyPair, adopt bool) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if slices.Equal(c.trusted, trusted) {
		return true
	}
	if adopt {
		c.entries.Clear()
		c.trusted = slices.Clone(trusted)
	}
	return false
}
