package atomicfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Replace writes data to path like Write, but an existing file keeps its permission bits and,
// where the system allows, its owner and group: an admin running a command as root must not
// leave the server's user unable to read its own user file. A new file gets perm. When path
// is a symbolic link, the file it points to is replaced and the link stays.
func Replace(path string, data []byte, perm os.FileMode) error {
	if target, err := filepath.EvalSymlinks(path); err == nil {
		path = target
	}
	info, err := os.Stat(path)
	switch {
	case err == nil:
		if !info.Mode().IsRegular() {
			return fmt.Errorf("write %q: not a regular file", path)
		}
		perm = info.Mode().Perm()
	case !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("write %q: %w", path, err)
	default:
		info = nil
	}
	return write(path, data, perm, func(tmp *os.File) { keepOwner(tmp, info) })
}
