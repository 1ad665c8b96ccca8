package frontserver

import (
	"bufio"
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"sync"
)

// crypto/tls writes every record of at most 16 KiB with a system call of its own: a 2 MiB
// chunk of a layer from the upstream proxy took 128 writes to the socket, a 32 KiB chunk from
// the embedded registry two, and each write can wake the client. Over HTTP/1.x the front
// gathers the records of one response write of coalesceMin or more and sends them with one
// call. HTTP/2 writes its frames from a goroutine of its own, not from the handler's: there
// the gathering is per frame (frameConn in h2.go).

// coalesceMin is the smallest response write worth gathering: a smaller one is one or two
// records and goes out as it is.
const coalesceMin = 32 << 10

// gatheringConn is the TCP connection under the TLS layer. While a response write is in
// progress (gather to send), what TLS writes is appended to a buffer and sent in one call.
// Its reads take what the socket holds (readahead.go).
type gatheringConn struct {
	net.Conn
	buffers   *sync.Pool // shared by the listener's connections
	mu        sync.Mutex
	gathering bool
	buf       *[]byte
	ahead     *aheadReader // nil when the connection cannot be read ahead
}

func (c *gatheringConn) Read(p []byte) (int, error) {
	if c.ahead == nil {
		return c.Conn.Read(p)
	}
	return c.ahead.Read(p)
}

func (c *gatheringConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.gathering {
		return c.Conn.Write(p)
	}
	*c.buf = append(*c.buf, p...)
	return len(p), nil
}

func (c *gatheringConn) gather() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gathering = true
	c.buf = c.buffers.Get().(*[]byte)
}

// send writes what was gathered and stops gathering.
func (c *gatheringConn) send() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gathering = false
	var err error
	if len(*c.buf) > 0 {
		_, err = c.Conn.Write(*c.buf)
	}
	*c.buf = (*c.buf)[:0]
	c.buffers.Put(c.buf)
	c.buf = nil
	return err
}

// gatheringListener hands the TLS layer gathering connections. Its buffers hold the records
// of one response write each; one is lent only for that write and grows to the largest write
// it has held. Its connections share readAheads.
type gatheringListener struct {
	net.Listener
	buffers    *sync.Pool
	readAheads *readAheads
}

func (l gatheringListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &gatheringConn{Conn: c, buffers: l.buffers, ahead: newAheadReader(c, l.readAheads)}, nil
}

// ServeTLS serves srv (from New) on ln, a plain TCP listener, with TLS from srv.TLSConfig.
func ServeTLS(srv *http.Server, ln net.Listener) error {
	buffers := &sync.Pool{New: func() any { b := make([]byte, 0, 64<<10); return &b }}
	return srv.ServeTLS(gatheringListener{Listener: ln, buffers: buffers, readAheads: newReadAheads(readAheadSize, maxReadAheads)}, "", "")
}

type connKey struct{}

// rememberConn is the server's ConnContext: it keeps the gathering connection under a TLS
// connection where handlers can find it.
func rememberConn(ctx context.Context, c net.Conn) context.Context {
	if tc, ok := c.(*tls.Conn); ok {
		if gc, ok := tc.NetConn().(*gatheringConn); ok {
			return context.WithValue(ctx, connKey{}, gc)
		}
	}
	return ctx
}

// gatherWrites hands HTTP/1.x handlers a writer that gathers each large write.
func gatherWrites(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c, ok := r.Context().Value(connKey{}).(*gatheringConn); ok && r.ProtoMajor == 1 {
			w = &gatheringWriter{ResponseWriter: w, conn: c}
		}
		next.ServeHTTP(w, r)
	})
}

type gatheringWriter struct {
	http.ResponseWriter
	conn *gatheringConn
}

func (w *gatheringWriter) Write(p []byte) (n int, err error) {
	if len(p) < coalesceMin {
		return w.ResponseWriter.Write(p)
	}
	w.conn.gather()
	defer func() { // also on a panic: the connection must never stay gathering
		if serr := w.conn.send(); err == nil {
			err = serr
		}
	}()
	n, err = w.ResponseWriter.Write(p)
	// net/http buffers little and writes a large p straight through; flushing here sends
	// whatever it kept with the rest, so nothing waits in its buffer for a later write.
	if err == nil {
		err = http.NewResponseController(w.ResponseWriter).Flush()
	}
	return n, err
}

func (w *gatheringWriter) Flush() {
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

func (w *gatheringWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return http.NewResponseController(w.ResponseWriter).Hijack()
}

func (w *gatheringWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
