package main

import (
	"bytes"
	"context"
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/regauth/regauth/certs"
)

// TestMain lets this test binary serve as the bare proxy, as the bench binary does when the
// blob phase re-executes it.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == bareProxyCommand {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := runCommand(ctx, os.Args[1:])
		stop()
		os.Exit(code)
	}
	os.Exit(m.Run())
}

// TestBareProxyStreamsBothProtocolsToTheUpstream starts the bare proxy as the blob phase does
// (this binary re-executed, on a socket it inherits) in front of a plain HTTP server, fetches
// through it over HTTP/1.1 and HTTP/2, and stops it.
func TestBareProxyStreamsBothProtocolsToTheUpstream(t *testing.T) {
	body := bytes.Repeat([]byte("layer bytes "), 300_000) // 3.6 MB, several copy buffers
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v2/" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("X-Seen-Proto", r.Header.Get("X-Forwarded-Proto"))
		_, _ = w.Write(body)
	}))
	defer up.Close()
	// regauth's development certificate, as the bench serves.
	dir := t.TempDir()
	dc, err := certs.EnsureDevCertificate(dir, nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	caPEM, err := os.ReadFile(dc.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(caPEM) {
		t.Fatalf("%s holds no certificate", dc.CAFile)
	}
	p, base, err := startBareProxy(t.Context(), bareProxyOptions{dir: dir, upstream: up.URL, cert: dc.CertFile, key: dc.KeyFile}, roots)
	if err != nil {
		t.Fatal(err)
	}
	defer p.stop()
	for _, proto := range []string{protoH1, protoH2} {
		resp, err := newBlobClient(roots, proto).Get(base + "/v2/r/blobs/sha256:x")
		if err != nil {
			t.Fatalf("%s: %v", proto, err)
		}
		got, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		wantMajor := map[string]int{protoH1: 1, protoH2: 2}[proto]
		if err != nil || !bytes.Equal(got, body) || resp.ProtoMajor != wantMajor || resp.Header.Get("X-Seen-Proto") != "https" {
			t.Errorf("%s: got %d bytes (%v) over %s, upstream saw X-Forwarded-Proto %q; want %d bytes over HTTP/%d, https",
				proto, len(got), err, resp.Proto, resp.Header.Get("X-Seen-Proto"), len(body), wantMajor)
		}
	}
	p.stop()
	if p.err != nil {
		t.Errorf("the bare proxy ended with %v after SIGTERM, want a clean exit\n%s", p.err, p.logTail(20))
	}
}

func TestBareProxyNamesWhatItWants(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	err = serveBareProxy(t.Context(), ln, []string{"http://127.0.0.1:1"})
	if err == nil || !strings.Contains(err.Error(), "UPSTREAM CERT KEY") {
		t.Errorf("one argument gave %v, want the usage", err)
	}
	err = serveBareProxy(t.Context(), ln, []string{"ftp://x", "c", "k"})
	if err == nil || !strings.Contains(err.Error(), "http(s)://host:port") {
		t.Errorf("an ftp upstream gave %v, want the URL refused", err)
	}
	err = serveBareProxy(t.Context(), ln, []string{"http://127.0.0.1:1", "/nonexistent/cert", "/nonexistent/key"})
	if err == nil || !strings.Contains(err.Error(), "/nonexistent/cert") {
		t.Errorf("a missing certificate gave %v, want its path named", err)
	}
}

// TestTargetsMeasureTheUpstreamFrontAgainstTheBareProxy: the upstream row says what the bare
// proxy reached, and the added row compares regauth with it over the same protocol.
func TestTargetsMeasureTheUpstreamFrontAgainstTheBareProxy(t *testing.T) {
	res := func(path, proto string, mbps float64) *blobResult {
		return &blobResult{Path: path, Proto: proto, Size: 1 << 30, Op: "pull", Runs: []int{1}, MBps: []float64{mbps}}
	}
	r := &report{Blobs: []*blobResult{
		res(pathDirectTLS, protoH1, 1000), res(pathDirectTLS, protoH2, 800),
		res(pathBareProxy, protoH1, 700), res(pathBareProxy, protoH2, 400),
		res(pathFront, protoH1, 680), res(pathFront, protoH2, 300),
	}}
	var upstream, added *target
	for _, tg := range r.targets() {
		switch {
		case strings.HasPrefix(tg.What, "regauth → registry (upstream) / direct"):
			upstream = &tg
		case strings.HasPrefix(tg.What, "regauth → registry (upstream) / bare Go proxy"):
			added = &tg
		}
	}
	if upstream == nil || added == nil {
		t.Fatal("missing the upstream row or the bare-proxy row")
	}
	if !strings.Contains(upstream.Measured, "the bare Go proxy: lowest 0.50 (pull 1 GiB, HTTP/2") {
		t.Errorf("upstream row %q does not give the bare proxy's lowest ratio (400/800 over HTTP/2)", upstream.Measured)
	}
	// 680/700 = 0.97 over HTTP/1.1, 300/400 = 0.75 over HTTP/2: the lowest is HTTP/2's, a miss.
	if !strings.Contains(added.Measured, "lowest 0.75 (pull 1 GiB, HTTP/2") || added.Met == nil || *added.Met {
		t.Errorf("bare-proxy row: %q, met %v; want lowest 0.75 over HTTP/2, missed", added.Measured, added.Met)
	}
}
