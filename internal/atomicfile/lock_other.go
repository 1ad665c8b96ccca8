//go:build !unix

package atomicfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// Lock is an exclusive edit lock on one file: a sidecar "<file>.lock" created with O_EXCL and
// removed on Unlock. (On Unix, flock is used instead and never goes stale.)
type Lock struct {
	path string
}

// TryLock takes path's edit lock without waiting; a *LockedError says someone else has it.
func TryLock(path string) (*Lock, error) {
	f, err := os.OpenFile(LockPath(path), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil, &LockedError{Path: path}
		}
		return nil, fmt.Errorf("lock %q: %w", path, err)
	}
	f.Close()
	return &Lock{path: LockPath(path)}, nil
}

// Unlock releases the lock; it may be called more than once.
func (l *Lock) Unlock() {
	if l == nil || l.path == "" {
		return
	}
	_ = os.Remove(l.path)
	l.path = ""
}
