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
	"strings"
	"time"

	"github.com/regauth/regauth/internal/blobbuf"
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
	dialer := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	return newProxy(opts, newBlobBuffers(blobBufferSize, maxBlobBuffers), dialer.DialContext)
}

// Blob pulls copy through larger buffers than the rest, as far as a memory budget allows. A
// pull is a pipeline of three processes (registry, regauth, client): each read from the
// registry's socket lets the registry refill it, so the size of the reads sets how often both
// sides wake. One read of up to 2 MiB takes what the socket holds; at 256 KiB a GiB took about
// 4,000 reads. Measured on two cores, 1 GiB pulls then ran at 648 instead of 522 MB/s, and
// regauth and the registry spent 1.77 instead of 2.12 s of CPU per GB (docs/performance.md has the
// steps, docs/benchmarks.md the current figures).
const (
	blobBufferSize = 2 << 20
	maxBlobBuffers = 16 // 32 MiB: pulls beyond this many at once copy through copyBufferSize
	copyBufferSize = 256 << 10
)

// proxy sends blob downloads and everything else through two reverse proxies that differ only
// in their copy buffers.
type proxy struct {
	blobs, rest *httputil.ReverseProxy
}

// dialFunc dials the registry.
type dialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

func newProxy(opts Options, blobBuffers *blobBuffers, dial dialFunc) (*proxy, error) {
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
		transport = newTransport(dial, blobBuffers)
	}
	reverseProxy := func(buffers httputil.BufferPool) *httputil.ReverseProxy {
		return &httputil.ReverseProxy{
			Rewrite: func(r *httputil.ProxyRequest) {
				r.SetURL(target)
				r.SetXForwarded()
				// Keep the client's Host, so that the registry's Location headers point at the
				// front (it also reads X-Forwarded-Host and -Proto).
				r.Out.Host = r.In.Host
				wrapUpload(r.Out, blobBuffers)
			},
			Transport:     transport,
			FlushInterval: -1, // stream every write: chunked uploads and pulls must not wait
			BufferPool:    buffers,
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
		}
	}
	return &proxy{blobs: reverseProxy(blobBuffers), rest: reverseProxy(blobBuffers.fallback)}, nil
}

func (p *proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if isBlobDownload(r) {
		p.blobs.ServeHTTP(w, r)
		return
	}
	p.rest.ServeHTTP(w, r)
}

// isBlobDownload reports GET /v2/<name>/blobs/<digest>: the one request whose answer is a
// layer. Upload sessions (/blobs/uploads/...) are not; a repository named like ".../blobs/x"
// is not either, as its last part is no digest.
func isBlobDownload(r *http.Request) bool {
	if r.Method != http.MethodGet {
		return false
	}
	i := strings.LastIndex(r.URL.Path, "/blobs/")
	if i < 0 {
		return false
	}
	digest := r.URL.Path[i+len("/blobs/"):]
	return strings.Contains(digest, ":") && !strings.Contains(digest, "/")
}

// newTransport is tuned for a registry on the same host or network: many idle connections
// kept for reuse, no response-header timeout (an upload's answer comes only after its last
// byte) and no transparent compression of layers. dial should give up quickly (New's waits
// 5 s); the connections it makes copy uploads through buffers (uploads.go).
func newTransport(dial dialFunc, buffers *blobBuffers) *http.Transport {
	return &http.Transport{
		Proxy:               nil,
		DialContext:         dialUploads(dial, buffers),
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

// blobBuffers lends blob pulls large buffers while fewer than max are out, and the fallback
// pool's buffers beyond that (copy buffers larger than net/http's 32 KiB: a body then moves in
// fewer reads and writes, and each write fills whole TLS records), so that many pulls at once
// cannot grow memory without bound.
type blobBuffers struct {
	large    *blobbuf.Budget
	fallback *blobbuf.Pool
}

func newBlobBuffers(size, max int) *blobBuffers {
	return &blobBuffers{large: blobbuf.NewBudget(size, max), fallback: blobbuf.NewPool(copyBufferSize)}
}

func (p *blobBuffers) Get() []byte {
	if b, ok := p.large.TryGet(); ok {
		return b
	}
	return p.fallback.Get()
}

func (p *blobBuffers) Put(b []byte) {
	if len(b) == p.large.Size() {
		p.large.Put(b)
		return
	}
	p.fallback.Put(b)
}

// lent is the number of large buffers out.
func (p *blobBuffers) lent() int { return p.large.Lent() }
