package tokens

import (
	"crypto/sha256"
	"sync"
	"time"
)

// docker presents the same refresh token for every pull and push after `docker login`, and
// checking its ES256 signature costs more than signing the access token it buys. refreshCache
// remembers, for a minute, refresh tokens whose signature and claims were checked.
//
// Only the signature check is saved: the caller still compares the password fingerprint with
// the user's current one on every request, so a password change or a removed user revokes a
// token at once. An entry is keyed by the token's SHA-256 (the token itself is not kept),
// never outlives the token, and every entry is dropped when the signing key changes
// (rotation, reload), so a key taken out of service stops vouching for tokens within a minute
// at most, and at once when it is replaced.
type refreshCache struct {
	mu      sync.Mutex
	signer  *KeyPair // the current key when the entries were verified
	entries map[[sha256.Size]byte]refreshEntry
}

type refreshEntry struct {
	claims RefreshClaims
	until  time.Time
}

const (
	refreshCacheTTL     = time.Minute
	refreshCacheEntries = 4096
)

func newRefreshCache() *refreshCache {
	return &refreshCache{entries: make(map[[sha256.Size]byte]refreshEntry)}
}

// get returns the claims of a token verified less than a minute ago under the same key.
func (c *refreshCache) get(key [sha256.Size]byte, signer *KeyPair, now time.Time) (RefreshClaims, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.signer != signer {
		return RefreshClaims{}, false
	}
	e, ok := c.entries[key]
	if !ok || !now.Before(e.until) {
		return RefreshClaims{}, false
	}
	return e.claims, true
}

// put remembers a verified token until a minute from now or its expiry, whichever is first.
func (c *refreshCache) put(key [sha256.Size]byte, signer *KeyPair, claims RefreshClaims, now time.Time) {
	until := now.Add(refreshCacheTTL)
	if exp := time.Unix(claims.ExpiresAt, 0); exp.Before(until) {
		until = exp
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.signer != signer {
		clear(c.entries)
		c.signer = signer
	}
	if len(c.entries) >= refreshCacheEntries {
		// Full: drop what has lapsed, and if that is not enough, start over. Entries are a
		// minute's worth of distinct tokens; losing them costs one signature check each.
		for k, e := range c.entries {
			if !now.Before(e.until) {
				delete(c.entries, k)
			}
		}
		if len(c.entries) >= refreshCacheEntries {
			clear(c.entries)
		}
	}
	c.entries[key] = refreshEntry{claims: claims, until: until}
}
