package harness

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/regauth/regauth/registry/upstream"
)

// Upstream runs a registry handler as a separate plain-HTTP server on a fixed loopback
// address, the way a stock registry container sits behind the front, and can be stopped and
// started again on the same address.
type Upstream struct {
	Addr    string
	handler http.Handler
	srv     *http.Server
}

// StartUpstream serves h on a free loopback port.
func StartUpstream(t testing.TB, h http.Handler) *Upstream {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u := &Upstream{Addr: ln.Addr().String(), handler: h}
	u.serve(ln)
	t.Cleanup(u.Stop)
	return u
}

// URL is the upstream's base URL.
func (u *Upstream) URL() string { return "http://" + u.Addr }

// Proxy is regauth's front handler for this upstream.
func (u *Upstream) Proxy() (http.Handler, error) {
	return upstream.New(upstream.Options{URL: u.URL()})
}

func (u *Upstream) serve(ln net.Listener) {
	u.srv = &http.Server{Handler: u.handler, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = u.srv.Serve(ln) }()
}

// Stop closes the server and every connection, as a crashed registry would.
func (u *Upstream) Stop() {
	if u.srv != nil {
		_ = u.srv.Close()
		u.srv = nil
	}
}

// Restart listens on the same address again.
func (u *Upstream) Restart(t testing.TB) {
	t.Helper()
	var ln net.Listener
	var err error
	for i := 0; i < 50; i++ {
		if ln, err = net.Listen("tcp", u.Addr); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("restart upstream on %s: %v", u.Addr, err)
	}
	u.serve(ln)
}

// UpstreamDownAndBack: while the registry is down, clients get the registry's JSON error
// with 503 UNAVAILABLE; once it is back, the same front serves again with no restart.
func UpstreamDownAndBack(t *testing.T, st *Stack, up *Upstream) {
	ctx := context.Background()
	ref := st.Ref(t, "flaky/app:1")
	if err := remote.Write(ref, RandomImage(t), st.Options(ctx, Basic("testpush"))...); err != nil {
		t.Fatal(err)
	}
	up.Stop()
	status, header, body, err := st.Get(ctx, "/v2/flaky/app/tags/list", "test", Password)
	if err != nil {
		t.Fatal(err)
	}
	if status != http.StatusServiceUnavailable || !strings.Contains(string(body), `"UNAVAILABLE"`) || header.Get("Content-Type") != "application/json" {
		t.Fatalf("with the registry down: %d %s %q, want 503 JSON UNAVAILABLE", status, body, header.Get("Content-Type"))
	}
	_, err = remote.Image(ref, st.Options(ctx, Basic("test"))...)
	if err == nil || !strings.Contains(err.Error(), "UNAVAILABLE") {
		t.Fatalf("pull with the registry down: %v, want UNAVAILABLE", err)
	}
	if status, _, _, _ := st.Get(ctx, "/auth?service="+Service, "test", Password); status != http.StatusOK {
		t.Errorf("the token service must keep working while the registry is down, got %d", status)
	}
	up.Restart(t)
	var lastErr error
	for i := 0; i < 20; i++ {
		if _, lastErr = remote.Image(ref, st.Options(ctx, Basic("test"))...); lastErr == nil {
			return
		}
		if !errors.Is(lastErr, context.DeadlineExceeded) && !strings.Contains(lastErr.Error(), "UNAVAILABLE") {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("pull after the registry came back: %v", lastErr)
}
