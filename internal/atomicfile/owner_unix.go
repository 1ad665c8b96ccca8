//go:build unix

package atomicfile

import (
	"io/fs"
	"os"
	"syscall"
)

// keepOwner gives tmp the owner and group of the file it replaces. Only root may give a file
// away; anyone else keeps at least the group when they belong to it. Failures are ignored:
// the permission bits are kept either way.
func keepOwner(tmp *os.File, old fs.FileInfo) {
	if old == nil {
		return
	}
	st, ok := old.Sys().(*syscall.Stat_t)
	if !ok {
		return
	}
	uid, gid := int(st.Uid), int(st.Gid)
	if uid == os.Getuid() && gid == os.Getgid() {
		return
	}
	if tmp.Chown(uid, gid) != nil {
		_ = tmp.Chown(-1, gid)
	}
}
