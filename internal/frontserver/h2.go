package frontserver

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/http"

	"golang.org/x/net/http2"
)

// maxRecordPayload is the most plaintext one TLS record carries: crypto/tls cuts a longer
// write into records of this size and writes each to the socket on its own.
const maxRecordPayload = 16 << 10

// serveHTTP2 makes srv speak HTTP/2 through x/net/http2, the server net/http bundles, so that
// the server writes its frames to a frameConn rather than straight to the *tls.Conn.
//
// A DATA frame of 16 KiB, the size Go clients, curl and containerd accept by default, is
// 16,393 bytes with its header: crypto/tls sends it as a full record and a 9-byte one, two
// system calls that each wake the reader. A 1 GiB pull took 131,538 socket writes that way
// and 67,017 with frameConn (one per frame).
func serveHTTP2(srv *http.Server) error {
	h2 := new(http2.Server) // its settings come from srv.HTTP2 and srv.IdleTimeout
	// ConfigureServer also registers the connections for srv.Shutdown, which sends them a
	// GOAWAY.
	if err := http2.ConfigureServer(srv, h2); err != nil {
		return fmt.Errorf("configure HTTP/2: %w", err)
	}
	if srv.TLSNextProto == nil { // x/net for Go 1.27 and later sets none
		srv.TLSNextProto = map[string]func(*http.Server, *tls.Conn, http.Handler){}
	}
	srv.TLSNextProto["h2"] = func(hs *http.Server, c *tls.Conn, h http.Handler) {
		// net/http hands over the connection's context (with ConnContext's values) through a
		// method of h, whose type is unexported, as it does to its own HTTP/2 server.
		var ctx context.Context
		if bc, ok := h.(interface{ BaseContext() context.Context }); ok {
			ctx = bc.BaseContext()
		}
		gc, _ := c.NetConn().(*gatheringConn)
		// ServeConn is marked deprecated in favour of net/http's own server, which takes
		// only a *tls.Conn; it remains the way to serve HTTP/2 on a net.Conn of one's own.
		h2.ServeConn(&frameConn{Conn: c, under: gc}, &http2.ServeConnOpts{Context: ctx, Handler: h, BaseConfig: hs})
	}
	return nil
}

// frameConn is the TLS connection as the HTTP/2 server sees it. A write longer than one
// record (the server writes a frame larger than its 4 KiB buffer in one call) has its
// records gathered under the TLS layer and sent with one system call. It keeps every other
// method of the *tls.Conn, ConnectionState among them, which gives requests their TLS state.
type frameConn struct {
	*tls.Conn
	under *gatheringConn // nil when the listener is not ServeTLS's
}

func (c *frameConn) Write(p []byte) (n int, err error) {
	if len(p) <= maxRecordPayload || c.under == nil {
		return c.Conn.Write(p)
	}
	c.under.gather()
	defer func() { // also on a panic: the connection must never stay gathering
		if serr := c.under.send(); err == nil {
			err = serr
		}
	}()
	return c.Conn.Write(p)
}
