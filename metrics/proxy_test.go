package metrics

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"runtime"
	"strings"
	"testing"
	"time"
)

const (
	mib      = 1 << 20
	bodySize = 10 * mib
	// The upload's first chunk is large enough to leave the client's own buffers; the
	// download's is small enough to sit in the server's 4 KiB write buffer unless flushed.
	uploadFirst   = 64 << 10
	downloadFirst = 1 << 10
)

// pattern is an endless, allocation-free source of body bytes.
type pattern struct{}

func (pattern) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(i)
	}
	return len(p), nil
}

// within fails the test when ch does not deliver in time, instead of hanging the run.
func within[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting for %s: something buffers the stream", what)
		panic("unreachable")
	}
}

// TestInstrumentProxyStreams10MiBBothWaysThroughAReverseProxy mirrors the front: the
// middleware around an httputil.ReverseProxy that flushes every write. Each direction is
// held after its first chunk until the other side has seen that chunk, which only happens
// when nothing on the way buffers the body.
func TestInstrumentProxyStreams10MiBBothWaysThroughAReverseProxy(t *testing.T) {
	sawUploadStart := make(chan struct{}) // the registry has read the upload's first chunk
	downloadGo := make(chan struct{})     // the client has read the download's first chunk
	uploaded := make(chan int64, 1)       // what the registry received in total
	downloadDone := make(chan struct{})   // the registry's handler has returned
	registry := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodPut:
			if _, err := io.ReadFull(r.Body, make([]byte, uploadFirst)); err != nil {
				t.Errorf("registry reading the first chunk: %v", err)
			}
			close(sawUploadStart)
			n, _ := io.Copy(io.Discard, r.Body)
			uploaded <- n + uploadFirst
			w.WriteHeader(http.StatusCreated)
		case http.MethodGet:
			defer close(downloadDone)
			w.Header().Set("Content-Type", "application/octet-stream")
			w.Write(make([]byte, downloadFirst))
			w.(http.Flusher).Flush()
			select {
			case <-downloadGo:
			case <-r.Context().Done():
				return
			}
			io.CopyN(w, pattern{}, bodySize-downloadFirst)
		}
	}))
	defer registry.Close()
	target, _ := url.Parse(registry.URL)
	proxy := &httputil.ReverseProxy{
		Rewrite:       func(r *httputil.ProxyRequest) { r.SetURL(target) },
		FlushInterval: -1,
	}
	m := New()
	front := httptest.NewServer(m.InstrumentProxy(proxy))
	defer front.Close()

	// Upload: the client holds back everything after the first chunk until the registry
	// has read that chunk.
	pr, pw := io.Pipe()
	go func() {
		pw.Write(make([]byte, uploadFirst))
		select {
		case <-sawUploadStart:
			_, err := io.CopyN(pw, pattern{}, bodySize-uploadFirst)
			pw.CloseWithError(err)
		case <-time.After(10 * time.Second):
			pw.CloseWithError(errors.New("the registry never saw the first chunk"))
		}
	}()
	req, _ := http.NewRequest(http.MethodPut, front.URL+"/v2/team/app/blobs/uploads/1", pr)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("upload answered %d", resp.StatusCode)
	}
	if got := within(t, uploaded, "the upload total"); got != bodySize {
		t.Errorf("registry received %d bytes, want %d", got, bodySize)
	}

	// Download: the first chunk must arrive while the registry's handler is still running.
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel() // on failure, frees the registry's handler (and the servers' Close)
	gotFirst := make(chan error, 1)
	go func() {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, front.URL+"/v2/team/app/blobs/sha256:abc", nil)
		r, err := http.DefaultClient.Do(req)
		if err == nil {
			resp = r
			_, err = io.ReadFull(resp.Body, make([]byte, downloadFirst))
		}
		gotFirst <- err
	}()
	if err := within(t, gotFirst, "the flushed first chunk"); err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	select {
	case <-downloadDone:
		t.Fatal("the registry's handler finished before the client got the first chunk")
	default:
	}
	close(downloadGo)
	rest, err := io.CopyBuffer(io.Discard, resp.Body, make([]byte, 32<<10))
	if err != nil {
		t.Fatal(err)
	}
	if rest+downloadFirst != bodySize {
		t.Errorf("client received %d bytes, want %d", rest+downloadFirst, bodySize)
	}
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	// Holding the body anywhere would cost at least its 10 MiB.
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 4*mib {
		t.Errorf("a 10 MiB download allocated %d KiB: the body is being buffered", alloc>>10)
	}

	front.Close() // waits for the middleware to record both requests
	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"regauth_proxy_requests_total", map[string]string{"method": "PUT", "code": "201"}, 1},
		{"regauth_proxy_requests_total", map[string]string{"method": "GET", "code": "200"}, 1},
		{"regauth_proxy_bytes_total", map[string]string{"direction": "in"}, bodySize},
		{"regauth_proxy_bytes_total", map[string]string{"direction": "out"}, bodySize},
	} {
		if got := value(t, m, c.name, c.labels); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
}

func TestTheWrappedWriterKeepsWhatTheOriginalCanDo(t *testing.T) {
	m := New()
	type caps struct{ flusher, hijacker, readerFrom, deadline bool }
	got := make(chan caps, 1)
	h := m.InstrumentProxy(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var c caps
		_, c.flusher = w.(http.Flusher)
		_, c.hijacker = w.(http.Hijacker)
		_, c.readerFrom = w.(io.ReaderFrom)
		c.deadline = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(time.Minute)) == nil
		got <- c
	}))

	// A real HTTP/1.1 connection can do everything.
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/v2/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if c := <-got; c != (caps{true, true, true, true}) {
		t.Errorf("over HTTP/1.1: %+v, want everything", c)
	}

	// A recorder cannot hijack or set deadlines; the wrapper must not pretend it can hijack.
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/v2/", nil))
	if c := <-got; c.hijacker || !c.flusher || c.deadline {
		t.Errorf("over a recorder: %+v, want a flusher that cannot hijack or set deadlines", c)
	}
}

func TestAHijackedUpgradeIsCountedAs101(t *testing.T) {
	m := New()
	counted := make(chan struct{})
	var upgrade http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, rw, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Errorf("hijack: %v", err)
			return
		}
		defer conn.Close()
		rw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: test\r\nConnection: Upgrade\r\n\r\nhello")
		rw.Flush()
	})
	upgrade = m.InstrumentProxy(upgrade)
	// The server does not wait for hijacked connections, so the test waits for the count.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer close(counted)
		upgrade.ServeHTTP(w, r)
	}))
	defer srv.Close()
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET /v2/ HTTP/1.1\r\nHost: x\r\nUpgrade: test\r\nConnection: Upgrade\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("status %d", resp.StatusCode)
	}
	within(t, counted, "the upgrade handler to return")
	if got := value(t, m, "regauth_proxy_requests_total", map[string]string{"method": "GET", "code": "101"}); got != 1 {
		t.Errorf("101 counted %v times, want 1 (all: %v)", got, countRequests(t, m))
	}
}

func TestInstrumentProxyCountsWhatItShould(t *testing.T) {
	tests := []struct {
		name     string
		method   string
		path     string
		body     string
		handler  http.HandlerFunc
		wantCode string // "" when the request must not be counted
		wantIn   float64
		wantOut  float64
	}{
		{
			name: "a body copied with io.Copy goes through ReadFrom", method: "GET", path: "/v2/x/manifests/latest",
			handler:  func(w http.ResponseWriter, r *http.Request) { io.Copy(w, strings.NewReader("manifest")) },
			wantCode: "200", wantOut: 8,
		},
		{
			name: "an interim 103 does not hide the final status", method: "GET", path: "/v2/",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusEarlyHints)
				w.WriteHeader(http.StatusUnauthorized)
				w.Write([]byte("{}"))
			},
			wantCode: "401", wantOut: 2,
		},
		{
			name: "a handler that writes nothing answered 200", method: "HEAD", path: "/v2",
			handler:  func(w http.ResponseWriter, r *http.Request) {},
			wantCode: "200",
		},
		{
			name: "an upload the handler only half reads counts what was read", method: "PATCH", path: "/v2/x/blobs/uploads/u",
			body: "0123456789",
			handler: func(w http.ResponseWriter, r *http.Request) {
				io.ReadFull(r.Body, make([]byte, 4))
				w.WriteHeader(http.StatusAccepted)
			},
			wantCode: "202", wantIn: 4,
		},
		{
			name: "an aborted download still counts", method: "GET", path: "/v2/x/blobs/sha256:1",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Write([]byte("partial"))
				panic(http.ErrAbortHandler)
			},
			wantCode: "200", wantOut: 7,
		},
		{
			name: "the token endpoint is not a proxy request", method: "GET", path: "/auth",
			handler: func(w http.ResponseWriter, r *http.Request) {
				if _, ok := w.(*recorder); ok {
					t.Error("/auth got a wrapped writer")
				}
				w.Write([]byte("token"))
			},
		},
		{
			name: "a path that only starts like v2 is not either", method: "GET", path: "/v2beta/x",
			handler: func(w http.ResponseWriter, r *http.Request) {},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := New()
			var body io.Reader
			if tt.body != "" {
				body = strings.NewReader(tt.body)
			}
			srv := httptest.NewServer(m.InstrumentProxy(tt.handler))
			req, _ := http.NewRequest(tt.method, srv.URL+tt.path, body)
			if resp, err := http.DefaultClient.Do(req); err == nil {
				io.Copy(io.Discard, resp.Body) // fails for the aborted download, as it should
				resp.Body.Close()
			}
			srv.Close() // waits for the handler, and so for the count
			in := value(t, m, "regauth_proxy_bytes_total", map[string]string{"direction": "in"})
			out := value(t, m, "regauth_proxy_bytes_total", map[string]string{"direction": "out"})
			if tt.wantCode == "" {
				if n := countRequests(t, m); n != 0 || in != 0 || out != 0 {
					t.Errorf("counted %v requests, %v in, %v out; want none", n, in, out)
				}
				return
			}
			if got := value(t, m, "regauth_proxy_requests_total", map[string]string{"method": tt.method, "code": tt.wantCode}); got != 1 {
				t.Errorf("requests{%s,%s} = %v, want 1 (all: %v)", tt.method, tt.wantCode, got, countRequests(t, m))
			}
			if in != tt.wantIn || out != tt.wantOut {
				t.Errorf("bytes in/out = %v/%v, want %v/%v", in, out, tt.wantIn, tt.wantOut)
			}
		})
	}
}

func countRequests(t *testing.T, m *Metrics) float64 {
	t.Helper()
	families, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var n float64
	for _, f := range families {
		if f.GetName() == "regauth_proxy_requests_total" {
			for _, s := range f.GetMetric() {
				n += s.GetCounter().GetValue()
			}
		}
	}
	return n
}
