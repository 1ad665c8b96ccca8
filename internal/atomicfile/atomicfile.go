// Package atomicfile writes files so that readers see the old contents or the new, never half.
// It is how regauth saves keys, certificates and the files admins edit through its commands.
package atomicfile

import (
	"fmt"
	"os"
	"path/filepath"
)

// Write replaces path with data: it writes a temporary file in the same directory, syncs it,
// gives it perm and renames it over path. On any error the old file is left untouched.
func Write(path string, data []byte, perm os.FileMode) error {
	return write(path, data, perm, nil)
}

// write is Write with a hook that may adjust the temporary file before it replaces path.
func write(path string, data []byte, perm os.FileMode, prepare func(*os.File)) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %q: %w", path, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if prepare != nil {
		prepare(tmp)
	}
	if err = tmp.Chmod(perm); err != nil {
		return fmt.Errorf("write %q: %w", path, err)
	}
	if _, err = tmp.Write(data); err != nil {
		return fmt.Errorf("write %q: %w", path, err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("write %q: %w", path, err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("write %q: %w", path, err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %q: %w", path, err)
	}
	return nil
}
