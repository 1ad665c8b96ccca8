package main

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/regauth/regauth/app"
	"github.com/regauth/regauth/registry/upstream"
)

// bareProxyCommand makes the bench binary, re-executed, serve as the bare proxy.
const bareProxyCommand = "bare-proxy"

// serveBareProxy is the least a TLS-terminating proxy written in Go does: net/http's server
// with regauth's TLS certificate and HTTP/2 tuning, and regauth's upstream handler (net/http's
// ReverseProxy with its tuned transport and copy buffers) as the whole handler — no routing,
// no authentication, no logging, no metrics. Its throughput is what a separate front process
// can reach on this machine, so regauth in upstream mode is measured against it as well as
// against the registry alone.
//
// args: listen address, upstream URL, certificate file, key file. It serves until ctx ends.
func serveBareProxy(ctx context.Context, args []string) error {
	if len(args) != 4 {
		return fmt.Errorf("%s: want LISTEN UPSTREAM CERT KEY, got %d arguments", bareProxyCommand, len(args))
	}
	handler, err := upstream.New(upstream.Options{URL: args[1]})
	if err != nil {
		return err
	}
	srv := &http.Server{Addr: args[0], Handler: handler, ReadHeaderTimeout: 15 * time.Second, HTTP2: app.HTTP2Tuning()}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServeTLS(args[2], args[3]) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

type bareProxyOptions struct {
	dir       string
	port      int
	upstream  string // http://127.0.0.1:port of the plain registry
	cert, key string
}

// startBareProxy runs this binary as the bare proxy in front of the plain registry.
func startBareProxy(ctx context.Context, o bareProxyOptions, roots *x509.CertPool) (*process, string, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, "", fmt.Errorf("bare proxy: %w", err)
	}
	listen := fmt.Sprintf("127.0.0.1:%d", o.port)
	p, err := startProcess("bare proxy", filepath.Join(o.dir, "bare-proxy.log"), nil,
		self, bareProxyCommand, listen, o.upstream, o.cert, o.key)
	if err != nil {
		return nil, "", err
	}
	url := "https://" + listen
	// The registry behind it challenges an anonymous /v2/.
	if err := waitReady(ctx, p, 30*time.Second, func(ctx context.Context) error {
		return expectStatus(ctx, roots, url+"/v2/", http.StatusUnauthorized)
	}); err != nil {
		p.stop()
		return nil, "", fmt.Errorf("%w\n%s", err, readTail(filepath.Join(o.dir, "bare-proxy.log")))
	}
	return p, url, nil
}
