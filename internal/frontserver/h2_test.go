package frontserver

import (
	"context"
	"crypto/tls"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// HTTP/2 requests reach the handler through frameConn as they would through net/http's own
// HTTP/2 server: with their TLS state and the connection's context.
func TestHTTP2RequestsKeepTLSStateAndConnectionContext(t *testing.T) {
	ts := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.TLS == nil || r.TLS.NegotiatedProtocol != "h2" || !r.TLS.HandshakeComplete:
			http.Error(w, "no TLS state for an HTTP/2 request", http.StatusInternalServerError)
		case r.Context().Value(connKey{}) == nil:
			http.Error(w, "ConnContext's value is missing", http.StatusInternalServerError)
		case r.Context().Value(http.LocalAddrContextKey) == nil:
			http.Error(w, "net/http's connection context is missing", http.StatusInternalServerError)
		default:
			_, _ = io.WriteString(w, "ok")
		}
	}))
	resp, err := client(ts.roots, true).Get("https://" + ts.addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.ProtoMajor != 2 || resp.StatusCode != http.StatusOK {
		t.Fatalf("%s %s: %s", resp.Proto, resp.Status, body)
	}
}

// Shutdown sends idle HTTP/2 connections a GOAWAY and returns; an HTTP/2 connection it did not
// know of would stay active and hold it until its context ends.
func TestShutdownEndsIdleHTTP2Connections(t *testing.T) {
	ts := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "ok")
	}))
	c := client(ts.roots, true)
	resp, err := c.Get("https://" + ts.addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.ProtoMajor != 2 {
		t.Fatalf("spoke %s, want HTTP/2", resp.Proto)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := ts.srv.Shutdown(ctx); err != nil {
		t.Fatalf("shutdown with an idle HTTP/2 connection: %v", err)
	}
}

// A TLS 1.2 suite list without AES-128-GCM cannot carry HTTP/2: New says so instead of serving
// connections that clients then drop.
func TestNewRefusesSuitesHTTP2Forbids(t *testing.T) {
	_, err := New(http.NotFoundHandler(), &tls.Config{CipherSuites: []uint16{tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384}}, nil)
	if err == nil || !strings.Contains(err.Error(), "AES_128_GCM") {
		t.Fatalf("New with only AES-256-GCM: %v, want an error naming the missing suite", err)
	}
}
