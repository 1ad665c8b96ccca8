package certs

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestServerTLSConfig(t *testing.T) {
	dev, err := EnsureDevCertificate(t.TempDir(), nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	holder := NewHolder(dev.Bundle)
	ln, err := tls.Listen("tcp", "127.0.0.1:0", ServerTLSConfig(holder.GetCertificate))
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, r.Proto)
		}),
		ErrorLog:          log.New(io.Discard, "", 0), // refused handshakes are expected here
		ReadHeaderTimeout: 5 * time.Second,
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	addr := ln.Addr().String()

	roots := x509.NewCertPool()
	roots.AddCert(dev.Bundle.Root)
	client := func(min, max uint16, suites []uint16, protos []string) *tls.Config {
		return &tls.Config{RootCAs: roots, ServerName: "localhost", MinVersion: min, MaxVersion: max, CipherSuites: suites, NextProtos: protos}
	}
	tests := []struct {
		name      string
		config    *tls.Config
		wantOK    bool
		wantProto string
		wantAlert string
	}{
		{"a TLS 1.1 client is refused", client(tls.VersionTLS10, tls.VersionTLS11, nil, nil), false, "", "protocol version not supported"},
		{"a TLS 1.2 client offering only a CBC suite is refused",
			client(tls.VersionTLS12, tls.VersionTLS12, []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256}, nil), false, "", "handshake failure"},
		{"a TLS 1.2 client with AES-GCM connects and gets h2",
			client(tls.VersionTLS12, tls.VersionTLS12, []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256}, []string{"h2", "http/1.1"}), true, "h2", ""},
		{"a TLS 1.2 client with ChaCha20-Poly1305 connects over http/1.1",
			client(tls.VersionTLS12, tls.VersionTLS12, []uint16{tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256}, []string{"http/1.1"}), true, "http/1.1", ""},
		{"a TLS 1.3 client connects and gets h2", client(tls.VersionTLS13, tls.VersionTLS13, nil, []string{"h2", "http/1.1"}), true, "h2", ""},
		{"a TLS 1.3 client asking no protocol negotiates none", client(tls.VersionTLS13, tls.VersionTLS13, nil, nil), true, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr, tt.config)
			if !tt.wantOK {
				if err == nil {
					st := conn.ConnectionState()
					conn.Close()
					t.Fatalf("handshake succeeded: version %x suite %s", st.Version, tls.CipherSuiteName(st.CipherSuite))
				}
				// the server must be the one refusing, with a TLS alert
				if want := "remote error: tls: " + tt.wantAlert; !strings.Contains(err.Error(), want) {
					t.Fatalf("err = %v, want %q", err, want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if got := conn.ConnectionState().NegotiatedProtocol; got != tt.wantProto {
				t.Fatalf("ALPN = %q, want %q", got, tt.wantProto)
			}
		})
	}

	t.Run("an HTTP client that asks for HTTP/2 is served over HTTP/2", func(t *testing.T) {
		tr := &http.Transport{TLSClientConfig: client(tls.VersionTLS12, 0, nil, nil), ForceAttemptHTTP2: true}
		defer tr.CloseIdleConnections()
		resp, err := (&http.Client{Transport: tr, Timeout: 5 * time.Second}).Get("https://" + addr + "/")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.ProtoMajor != 2 || string(body) != "HTTP/2.0" {
			t.Fatalf("proto %s, body %q", resp.Proto, body)
		}
	})

	t.Run("after a swap to the RSA fixture a TLS 1.2 ECDHE-RSA client gets the new chain", func(t *testing.T) {
		rsaBundle, err := LoadPFX(fixturePath("rsa-leaf.pfx"), fixturePassword)
		if err != nil {
			t.Fatal(err)
		}
		holder.Swap(rsaBundle)
		fixtureRoots := x509.NewCertPool()
		fixtureRoots.AddCert(fixtureCert(t, "root.crt"))
		conn, err := tls.Dial("tcp", addr, &tls.Config{
			RootCAs: fixtureRoots, ServerName: "registry.test", MaxVersion: tls.VersionTLS12,
			CipherSuites: []uint16{tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384},
		})
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if chain := conn.ConnectionState().PeerCertificates; len(chain) != 2 || !chain[0].Equal(rsaBundle.Leaf) {
			t.Fatalf("served %d certificates", len(chain))
		}
	})
}
