package atomicfile

import (
	"errors"
	"fmt"
)

// ErrLocked means another process holds the edit lock of a file.
var ErrLocked = errors.New("file is locked")

// LockedError names the file whose edit lock another process holds.
type LockedError struct {
	Path string // the file being edited, not the lock file
}

func (e *LockedError) Error() string {
	return fmt.Sprintf("another regauth command is editing %s (lock held on %s); try again when it is done", e.Path, LockPath(e.Path))
}

// Is makes errors.Is(err, ErrLocked) true.
func (e *LockedError) Is(target error) bool { return target == ErrLocked }

// LockPath is the sidecar file that carries path's edit lock.
func LockPath(path string) string { return path + ".lock" }
