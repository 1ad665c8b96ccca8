package frontserver

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"net"
	"net/http"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

// countingListener counts the writes that reach the TCP connections it accepts.
type countingListener struct {
	net.Listener
	writes *atomic.Int64
}

func (l countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return countingConn{Conn: c, writes: l.writes}, nil
}

type countingConn struct {
	net.Conn
	writes *atomic.Int64
}

func (c countingConn) Write(p []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(p)
}

// testServer is New(h) served with ServeTLS on loopback.
type testServer struct {
	srv    *http.Server
	addr   string
	roots  *x509.CertPool // trusts the server's certificate
	writes *atomic.Int64  // socket writes so far
}

func serve(t *testing.T, h http.Handler) testServer {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(leaf)
	srv, err := New(h, &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	writes := new(atomic.Int64)
	go func() { _ = ServeTLS(srv, countingListener{ln, writes}) }()
	t.Cleanup(func() { _ = srv.Close() })
	return testServer{srv: srv, addr: ln.Addr().String(), roots: roots, writes: writes}
}

func client(roots *x509.CertPool, h2 bool) *http.Client {
	protocols := new(http.Protocols)
	protocols.SetHTTP1(!h2)
	protocols.SetHTTP2(h2)
	return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}, Protocols: protocols}}
}

// A 4 MiB answer written in two 2 MiB writes is 256 TLS records. Over HTTP/1.1 they leave in a
// handful of socket writes instead of 256. Over HTTP/2 the client takes 16 KiB DATA frames,
// 256 of them: each leaves in one socket write instead of two (a full record and the 9 bytes
// its header adds).
func TestLargeWritesLeaveInOneSocketWriteEach(t *testing.T) {
	body := make([]byte, 4<<20)
	if _, err := rand.Read(body); err != nil {
		t.Fatal(err)
	}
	ts := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		if r.Method == http.MethodHead {
			return
		}
		for chunk := range slices.Chunk(body, 2<<20) {
			if _, err := w.Write(chunk); err != nil {
				t.Error(err)
				return
			}
		}
	}))
	for _, h2 := range []bool{false, true} {
		c := client(ts.roots, h2)
		// Handshake and keep-alive first, so the count below is the answer's alone.
		if resp, err := c.Head("https://" + ts.addr + "/"); err != nil {
			t.Fatal(err)
		} else {
			resp.Body.Close()
		}
		before := ts.writes.Load()
		resp, err := c.Get("https://" + ts.addr + "/")
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || !bytes.Equal(got, body) {
			t.Fatalf("h2=%v: %d bytes (%v), not the %d written", h2, len(got), err, len(body))
		}
		n := ts.writes.Load() - before
		t.Logf("h2=%v (%s): %d socket writes for the answer", h2, resp.Proto, n)
		if !h2 && n > 4 {
			t.Errorf("HTTP/1.1: %d socket writes for two 2 MiB writes, want at most 4 (256 without gathering)", n)
		}
		if h2 && n > 256+32 {
			t.Errorf("HTTP/2: %d socket writes for 256 DATA frames, want at most 288 (over 512 without frameConn)", n)
		}
		c.CloseIdleConnections()
	}
}

// Small writes go out as they are, and a handler can still take the connection over.
func TestSmallWritesAndHijackPassThrough(t *testing.T) {
	ts := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/small" {
			_, _ = io.WriteString(w, "small answer")
			return
		}
		conn, rw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		defer conn.Close()
		_, _ = rw.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 8\r\nConnection: close\r\n\r\nhijacked")
		_ = rw.Flush()
	}))
	c := client(ts.roots, false)
	for path, want := range map[string]string{"/small": "small answer", "/hijack": "hijacked"} {
		resp, err := c.Get("https://" + ts.addr + path)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(bufio.NewReader(resp.Body))
		resp.Body.Close()
		if err != nil || string(got) != want {
			t.Errorf("%s: %q (%v), want %q", path, got, err, want)
		}
	}
}
