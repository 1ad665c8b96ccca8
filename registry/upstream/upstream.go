// Package upstream forwards /v2/ to an external stock registry (registry:2 or registry:3) that
// is configured for token auth with regauth. Bodies stream both ways: multi-GB layers are
// never buffered, never size-limited and never cut by a timeout while they move.
package upstream

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync"
	"time"
)

// Options configure the proxy.
type Options struct {
	URL    string // http(s)://host:port of the registry
	Logger *slog.Logger
	// Transport overrides the tuned default, e.g. to trust a private CA for an https upstream.
	Transport http.RoundTripper
	// OnError, when set, is called for every request the upstream could not answer.
	OnError func()
}

// New returns the proxy handler.
func New(opts Options) (http.Handler, error) {
	target, err := url.Parse(opts.URL)
	if err != nil || (target.Scheme != "http" && target.Scheme != "https") || target.Host == "" {
		return nil, fmt.Errorf("registry.upstream %q: want http(s)://host:port", opts.URL)
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	transport := opts.Transport
	if transport == nil {
		transport = NewTransport()
	}
	return &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(target)
			r.SetXForwarded()
			// Keep the client's Host, so that the registry's Location headers point at the
			// front (it also reads X-Forwarded-Host and -Proto).
			r.Out.Host = r.In.Host
		},
		Transport:     transport,
		FlushInterval: -1, // stream every write: chunked uploads and pulls must not wait
		BufferPool:    newBufferPool(),
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			if errors.Is(err, context.Canceled) {
				return // the client went away; nobody is listening for an answer
			}
			logger.Warn("registry upstream unavailable", "upstream", target.Host, "method", r.Method, "path", r.URL.Path, "err", err)
			if opts.OnError != nil {
				opts.OnError()
			}
			writeUnavailable(w)
		},
	}, nil
}

// NewTransport is tuned for a registry on the same host or network: many idle connections
// kept for reuse, quick dial failures, no response-header timeout (an upload's answer comes
// only after its last byte) and no transparent compression of layers.
func NewTransport() *http.Transport {
	return &http.Transport{
		Proxy: nil,
		DialContext: (&net.Dialer{
			Timeout:   5 * time.Second,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		ForceAttemptHTTP2:   false,
		MaxIdleConns:        256,
		MaxIdleConnsPerHost: 128,
		IdleConnTimeout:     90 * time.Second,
		TLSHandshakeTimeout: 10 * time.Second,
		DisableCompression:  true,
		WriteBufferSize:     256 << 10,
		ReadBufferSize:      256 << 10,
	}
}

// writeUnavailable answers in the registry's error format, which every client prints.
func writeUnavailable(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Docker-Distribution-Api-Version", "registry/2.0")
	h.Set("Retry-After", "5")
	w.WriteHeader(http.StatusServiceUnavailable)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"errors": []map[string]string{{"code": "UNAVAILABLE", "message": "the registry behind regauth is not reachable; try again shortly"}},
	})
}

// bufferPool lends the proxy 256 KiB copy buffers instead of its default 32 KiB: a layer then
// moves in fewer reads and writes, and each write fills whole TLS records.
type bufferPool struct{ pool sync.Pool }

func newBufferPool() *bufferPool {
	return &bufferPool{pool: sync.Pool{New: func() any { b := make([]byte, 256<<10); return &b }}}
}

func (p *bufferPool) Get() []byte  { return *(p.pool.Get().(*[]byte)) }
func (p *bufferPool) Put(b []byte) { p.pool.Put(&b) }
