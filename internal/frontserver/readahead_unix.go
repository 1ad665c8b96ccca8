//go:build unix

package frontserver

import (
	"errors"
	"io"
	"net"
	"os"
	"syscall"
)

// aheadReader reads one connection's socket ahead of TLS. One goroutine reads at a time, as
// TLS holds its input lock while it reads.
type aheadReader struct {
	conn   net.Conn
	raw    syscall.RawConn
	shared *readAheads
	buf    *[]byte // lent while data holds bytes not yet read
	data   []byte
}

// newAheadReader reads c ahead, or returns nil when c has no file descriptor to read.
func newAheadReader(c net.Conn, shared *readAheads) *aheadReader {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return nil
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	return &aheadReader{conn: c, raw: raw, shared: shared}
}

func (r *aheadReader) Read(p []byte) (int, error) {
	if len(r.data) > 0 {
		n := copy(p, r.data)
		r.data = r.data[n:]
		if len(r.data) == 0 {
			r.release()
		}
		return n, nil
	}
	if len(p) == 0 {
		return 0, nil
	}
	var n int
	var rerr error
	// RawConn.Read calls the function at once and again each time the socket turns
	// readable, until it returns true; deadlines and Close end the wait with an error.
	err := r.raw.Read(func(fd uintptr) bool {
		n, rerr = r.readSocket(int(fd), p)
		return !errors.Is(rerr, syscall.EAGAIN)
	})
	if err == nil {
		err = rerr
	} else if oe := (*net.OpError)(nil); errors.As(err, &oe) {
		err = oe.Err // RawConn names its errors "raw-read"; a Read reports them as a read's
	}
	switch {
	case err == nil, err == io.EOF:
		return n, err
	default:
		return n, &net.OpError{Op: "read", Net: r.conn.LocalAddr().Network(), Source: r.conn.LocalAddr(), Addr: r.conn.RemoteAddr(), Err: err}
	}
}

// readSocket reads what the socket holds: into a lent buffer, keeping what p has no room
// for, or straight into p when none is free or p is as large.
func (r *aheadReader) readSocket(fd int, p []byte) (int, error) {
	if len(p) < readAheadSize {
		r.buf = r.shared.get()
	}
	dst := p
	if r.buf != nil {
		dst = *r.buf
	}
	var n int
	var err error
	for {
		n, err = syscall.Read(fd, dst)
		if err != syscall.EINTR {
			break
		}
	}
	switch {
	case err == syscall.EAGAIN:
		r.release()
		return 0, err
	case err != nil:
		r.release()
		return 0, os.NewSyscallError("read", err)
	case n == 0:
		r.release()
		return 0, io.EOF
	case r.buf == nil:
		return n, nil
	}
	m := copy(p, dst[:n])
	if r.data = dst[m:n]; len(r.data) == 0 {
		r.release()
	}
	return m, nil
}

func (r *aheadReader) release() {
	if r.buf != nil {
		r.shared.put(r.buf)
		r.buf, r.data = nil, nil
	}
}
