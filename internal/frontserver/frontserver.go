// Package frontserver holds the settings of the front's HTTP server in one place: timeouts,
// the header limit and HTTP/2 flow control. regauth serves with them, and so does the bench's
// bare proxy that regauth is measured against.
package frontserver

import (
	"crypto/tls"
	"log"
	"net/http"
	"time"
)

// New returns the front's server for handler. tlsConfig is the TLS policy (usually
// certs.ServerTLSConfig; New works on a copy); errorLog receives net/http's own complaints,
// nil for the standard logger. The error says why HTTP/2 cannot run with tlsConfig (a TLS 1.2
// suite list without the AES-128-GCM suite HTTP/2 requires).
//
// Serve it with ServeTLS, which lets large response writes over HTTP/1.x, and HTTP/2 frames,
// leave in one system call each.
//
// The server sets no read or write timeout for a whole request: a multi-GB layer may take
// longer than any bound worth setting (regauth sets deadlines per request on its own pages).
// The header deadline stops clients that never finish a request, and the idle timeout
// reclaims kept-alive connections.
func New(handler http.Handler, tlsConfig *tls.Config, errorLog *log.Logger) (*http.Server, error) {
	srv := &http.Server{
		Handler:           gatherWrites(handler),
		ConnContext:       rememberConn,
		TLSConfig:         tlsConfig.Clone(),
		ReadHeaderTimeout: 15 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          errorLog,
		HTTP2:             HTTP2Tuning(),
	}
	if err := serveHTTP2(srv); err != nil {
		return nil, err
	}
	return srv, nil
}

// HTTP2Tuning widens HTTP/2 flow control for layer-sized bodies: with Go's defaults a client
// uploading over HTTP/2 waits for a window update every few frames and moves at about half
// the speed of HTTP/1.1. Larger windows and frames let a stream run at disk speed.
func HTTP2Tuning() *http.HTTP2Config {
	return &http.HTTP2Config{
		MaxConcurrentStreams:          250,
		MaxReadFrameSize:              1 << 20,
		MaxReceiveBufferPerConnection: 64 << 20,
		MaxReceiveBufferPerStream:     16 << 20,
	}
}
