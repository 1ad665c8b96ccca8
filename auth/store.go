package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"
)

// StoreOptions configures a Store.
type StoreOptions struct {
	HtpasswdPath string
	GroupsPath   string // optional: without it nobody is in any group
	Logger       *slog.Logger

	// CacheTTL is how long a successful password check is remembered (0: 5 minutes,
	// negative: no cache); CacheSize bounds the entries (0: 10,000).
	CacheTTL  time.Duration
	CacheSize int
	// MaxConcurrentHashes bounds password hashing running at once (0: GOMAXPROCS when the
	// store is made, which is the CPUs the process may use, container limits included).
	MaxConcurrentHashes int
	// Hasher runs the password hashes (nil: InProcess).
	Hasher Hasher
	Now    func() time.Time // defaults to time.Now
	// OnVerify, when set, is told of every password check: from the cache or by hashing.
	OnVerify func(cacheHit bool)
}

// CacheStats counts credential cache hits and misses since start.
type CacheStats struct{ Hits, Misses uint64 }

// Store authenticates users from an htpasswd file and a group file, and reloads both on
// request. A failed reload keeps serving the last good pair, and logins never wait for a reload.
type Store struct {
	opts     StoreOptions
	log      *slog.Logger
	reload   sync.Mutex // one reload at a time, so an older read never replaces a newer one
	current  atomic.Pointer[storeSnapshot]
	cache    *credentialCache // nil when disabled
	slots    hashSlots
	inflight singleflight.Group
}

type storeSnapshot struct {
	users  *Htpasswd
	groups *Groups
}

var (
	_ Authenticator = (*Store)(nil)
	_ Directory     = (*Store)(nil)
)

// NewStore loads both files, failing if either cannot be read or parsed.
func NewStore(opts StoreOptions) (*Store, error) {
	if opts.HtpasswdPath == "" {
		return nil, errors.New("new auth store: no htpasswd file given")
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.CacheTTL == 0 {
		opts.CacheTTL = 5 * time.Minute
	}
	if opts.CacheSize <= 0 {
		opts.CacheSize = 10000
	}
	if opts.Hasher == nil {
		opts.Hasher = InProcess{}
	}
	if opts.MaxConcurrentHashes <= 0 {
		opts.MaxConcurrentHashes = runtime.GOMAXPROCS(0)
	}
	s := &Store{opts: opts, log: opts.Logger}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if opts.CacheTTL > 0 {
		s.cache = newCredentialCache(opts.CacheTTL, opts.CacheSize, opts.Now)
	}
	s.slots = make(hashSlots, opts.MaxConcurrentHashes)
	if err := s.Reload(); err != nil {
		return nil, err
	}
	return s, nil
}

// Reload re-reads both files and swaps them in together. On any error it keeps the last good
// pair and returns the error, which names the file. Refused htpasswd lines are logged.
func (s *Store) Reload() error {
	s.reload.Lock()
	defer s.reload.Unlock()

	users, warnings, err := LoadHtpasswd(s.opts.HtpasswdPath)
	if err != nil {
		return err
	}
	var groups *Groups
	if s.opts.GroupsPath != "" {
		if groups, err = LoadGroups(s.opts.GroupsPath); err != nil {
			return err
		}
	}
	for _, w := range warnings {
		s.log.Warn("htpasswd user refused",
			slog.String("file", w.File), slog.Int("line", w.Line),
			slog.String("user", w.User), slog.String("reason", w.Msg))
	}
	s.current.Store(&storeSnapshot{users: users, groups: groups})
	return nil
}

// Authenticate checks username and password against the current htpasswd file and returns
// the user with their groups, or ErrInvalidCredentials.
func (s *Store) Authenticate(ctx context.Context, username string, password Password) (Identity, error) {
	if err := ctx.Err(); err != nil {
		return Identity{}, err
	}
	if username == "" {
		return Identity{}, ErrInvalidCredentials
	}
	snap := s.current.Load()
	fingerprint, known := snap.users.Fingerprint(username)
	var key [32]byte
	if s.cache != nil && known {
		key = s.cache.key(username, password)
		if s.cache.valid(key, username, fingerprint) {
			s.verified(true)
			return Identity{Name: username, Groups: snap.groups.Of(username)}, nil
		}
	}
	ok, err := s.verify(ctx, snap, key, username, password)
	if err != nil {
		return Identity{}, err
	}
	if !ok {
		return Identity{}, ErrInvalidCredentials
	}
	if s.cache != nil {
		s.cache.remember(key, username, fingerprint)
	}
	return Identity{Name: username, Groups: snap.groups.Of(username)}, nil
}

func (s *Store) verified(cacheHit bool) {
	if s.opts.OnVerify != nil {
		s.opts.OnVerify(cacheHit)
	}
}

// verify hashes the password in one of the bounded slots. Identical checks that arrive
// together (64 clients starting with the same credentials) share one hash.
func (s *Store) verify(ctx context.Context, snap *storeSnapshot, key [32]byte, username string, password Password) (bool, error) {
	check := func() (any, error) {
		if err := s.slots.acquire(ctx); err != nil {
			return false, err
		}
		defer s.slots.release()
		s.verified(false)
		return snap.users.verifyWith(s.opts.Hasher, username, password), nil
	}
	if s.cache == nil || key == ([32]byte{}) { // no cache, or an unknown user: hash alone
		ok, err := check()
		return ok.(bool), err
	}
	// The key is an HMAC of user and password under the cache's secret: it names exactly this
	// check and reveals nothing. The snapshot is part of it so a reload starts afresh.
	v, err, _ := s.inflight.Do(fmt.Sprintf("%x/%p", key, snap), check)
	return v.(bool), err
}

// HashSlots is how many password hashes may run at once.
func (s *Store) HashSlots() int { return cap(s.slots) }

// CacheStats reports how often the credential cache spared a password hash.
func (s *Store) CacheStats() CacheStats {
	if s.cache == nil {
		return CacheStats{}
	}
	return CacheStats{Hits: s.cache.hits.Load(), Misses: s.cache.misses.Load()}
}

// Lookup returns the user's identity and password fingerprint without checking a password.
func (s *Store) Lookup(username string) (Identity, string, bool) {
	snap := s.current.Load()
	fp, ok := snap.users.Fingerprint(username)
	if !ok || username == "" {
		return Identity{}, "", false
	}
	return Identity{Name: username, Groups: snap.groups.Of(username)}, fp, true
}

// Users lists every usable user of the current htpasswd file with their groups, sorted.
func (s *Store) Users() []Identity {
	snap := s.current.Load()
	names := snap.users.Users()
	out := make([]Identity, 0, len(names))
	for _, n := range names {
		out = append(out, Identity{Name: n, Groups: snap.groups.Of(n)})
	}
	return out
}
