package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/regauth/regauth/certs"
	"github.com/regauth/regauth/internal/frontserver"
	"github.com/regauth/regauth/registry/upstream"
)

// bareProxyCommand makes the bench binary, re-executed, serve as the bare proxy on the
// listening socket it inherits as descriptor 3.
const bareProxyCommand = "bare-proxy"

// serveBareProxy is the least a TLS-terminating proxy written in Go does: regauth's server
// settings and TLS policy with regauth's upstream handler (net/http's ReverseProxy with its
// tuned transport and copy buffers) as the whole handler — no routing, no authentication, no
// logging, no metrics. Its throughput is the best a Go front in a separate process reaches on
// this machine, so regauth in upstream mode is measured against it as well as against the
// registry alone.
//
// args: upstream URL, certificate file, key file. It serves on ln until ctx ends.
func serveBareProxy(ctx context.Context, ln net.Listener, args []string) error {
	if len(args) != 3 {
		return fmt.Errorf("%s: want UPSTREAM CERT KEY, got %d arguments", bareProxyCommand, len(args))
	}
	handler, err := upstream.New(upstream.Options{URL: args[0]})
	if err != nil {
		return fmt.Errorf("%s: %w", bareProxyCommand, err)
	}
	cert, err := tls.LoadX509KeyPair(args[1], args[2])
	if err != nil {
		return fmt.Errorf("%s: %w", bareProxyCommand, err)
	}
	srv, err := frontserver.New(handler, certs.ServerTLSConfig(func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
		return &cert, nil
	}), nil)
	if err != nil {
		return fmt.Errorf("%s: %w", bareProxyCommand, err)
	}
	errc := make(chan error, 1)
	go func() { errc <- frontserver.ServeTLS(srv, ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("%s: serve on %s: %w", bareProxyCommand, ln.Addr(), err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("%s: shutdown: %w", bareProxyCommand, err)
	}
	return nil
}

// inheritedListener is the listening socket the bench passed as descriptor 3; run by hand
// without one, it fails naming the descriptor.
func inheritedListener() (net.Listener, error) {
	f := os.NewFile(3, "listener")
	defer f.Close()
	ln, err := net.FileListener(f)
	if err != nil {
		return nil, fmt.Errorf("%s: descriptor 3 is not a listening socket: %w", bareProxyCommand, err)
	}
	return ln, nil
}

type bareProxyOptions struct {
	dir       string
	upstream  string // http://127.0.0.1:port of the plain registry
	cert, key string
}

// startBareProxy runs this binary as the bare proxy in front of the plain registry, on a
// socket the bench opened itself, so the address it measures cannot be another server's.
// It runs with regauth's collector setting (GOGC=1000), so the two differ only in what
// regauth does per request.
func startBareProxy(ctx context.Context, o bareProxyOptions, roots *x509.CertPool) (*process, string, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, "", fmt.Errorf("bare proxy: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", fmt.Errorf("bare proxy: %w", err)
	}
	defer ln.Close() // the child has its own copy
	f, err := ln.(*net.TCPListener).File()
	if err != nil {
		return nil, "", fmt.Errorf("bare proxy: %w", err)
	}
	defer f.Close()
	p, err := startProcessWithFiles("bare proxy", filepath.Join(o.dir, "bare-proxy.log"), []string{"GOGC=1000"},
		[]*os.File{f}, self, bareProxyCommand, o.upstream, o.cert, o.key)
	if err != nil {
		return nil, "", err
	}
	url := "https://" + ln.Addr().String()
	// The registry behind it challenges an anonymous /v2/.
	if err := waitReady(ctx, p, 30*time.Second, func(ctx context.Context) error {
		return expectStatus(ctx, roots, url+"/v2/", http.StatusUnauthorized)
	}); err != nil {
		p.stop()
		return nil, "", err
	}
	return p, url, nil
}
