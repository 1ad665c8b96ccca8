package acl

import (
	"log/slog"
	"sync"
	"sync/atomic"
)

// Store serves decisions from the current policy of one file and swaps in a
// new one on Reload; a file with errors never replaces a good policy.
type Store struct {
	path   string
	logger *slog.Logger
	cur    atomic.Pointer[Policy]
	mu     sync.Mutex // one Reload at a time, so an older file never wins a race
}

// NewStore loads path and fails if it is not a valid ACL, so a bad file stops
// the server at start instead of denying every request. A nil logger logs
// nothing.
func NewStore(path string, logger *slog.Logger) (*Store, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	pol, err := Load(path)
	if err != nil {
		return nil, err
	}
	s := &Store{path: path, logger: logger}
	s.cur.Store(pol)
	logger.Info("acl loaded", "path", path, "rules", pol.Len())
	return s, nil
}

// Reload re-reads the file. On error the last good policy stays in force and
// the error is logged and returned.
func (s *Store) Reload() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	pol, err := Load(s.path)
	if err != nil {
		s.logger.Error("acl reload failed; keeping the previous rules", "path", s.path, "rules", s.cur.Load().Len(), "err", err)
		return err
	}
	s.cur.Store(pol)
	s.logger.Info("acl reloaded", "path", s.path, "rules", pol.Len())
	return nil
}

// Authorize decides with the current policy.
func (s *Store) Authorize(req Request) Decision { return s.cur.Load().Authorize(req) }

// Policy is the policy currently in force.
func (s *Store) Policy() *Policy { return s.cur.Load() }
