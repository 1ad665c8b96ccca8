package auth

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
)

// StoreOptions configures a Store.
type StoreOptions struct {
	HtpasswdPath string
	GroupsPath   string // optional: without it nobody is in any group
	Logger       *slog.Logger
}

// Store authenticates users from an htpasswd file and a group file, and reloads both on
// request. A failed reload keeps serving the last good pair, and logins never wait for a reload.
type Store struct {
	opts    StoreOptions
	log     *slog.Logger
	reload  sync.Mutex // one reload at a time, so an older read never replaces a newer one
	current atomic.Pointer[storeSnapshot]
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
	s := &Store{opts: opts, log: opts.Logger}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
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
	if !snap.users.Verify(username, password) {
		return Identity{}, ErrInvalidCredentials
	}
	return Identity{Name: username, Groups: snap.groups.Of(username)}, nil
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
