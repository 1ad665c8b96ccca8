package upstream

import (
	"bytes"
	"crypto/rand"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"
)

func TestBlobBuffersLendLargeUpToTheBudget(t *testing.T) {
	p := newBlobBuffers(4<<10, 2)
	a, b := p.Get(), p.Get()
	if len(a) != 4<<10 || len(b) != 4<<10 {
		t.Fatalf("first two buffers: %d and %d bytes, want large (4096)", len(a), len(b))
	}
	c := p.Get()
	if len(c) != copyBufferSize || p.lent() != 2 {
		t.Fatalf("over the budget: %d bytes with %d large out, want the %d-byte fallback and 2 out", len(c), p.lent(), copyBufferSize)
	}
	p.Put(c)
	if p.lent() != 2 {
		t.Fatalf("returning a fallback buffer freed a large one: %d out", p.lent())
	}
	p.Put(a)
	if p.lent() != 1 {
		t.Fatalf("after returning a large buffer: %d out, want 1", p.lent())
	}
	if d := p.Get(); len(d) != 4<<10 {
		t.Fatalf("a returned large buffer was not lent again: got %d bytes", len(d))
	}
}

func TestIsBlobDownload(t *testing.T) {
	digest := "sha256:" + string(bytes.Repeat([]byte("a"), 64))
	for _, c := range []struct {
		method, path string
		want         bool
	}{
		{http.MethodGet, "/v2/team/app/blobs/" + digest, true},
		{http.MethodGet, "/v2/a/blobs/b/blobs/" + digest, true},
		{http.MethodHead, "/v2/team/app/blobs/" + digest, false},
		{http.MethodGet, "/v2/team/app/blobs/uploads/0192-uuid", false},
		{http.MethodGet, "/v2/team/blobs/app/manifests/latest", false},
		{http.MethodGet, "/v2/team/app/manifests/" + digest, false},
		{http.MethodPut, "/v2/team/app/blobs/uploads/0192-uuid", false},
	} {
		r := httptest.NewRequest(c.method, c.path, nil)
		if got := isBlobDownload(r); got != c.want {
			t.Errorf("%s %s: %v, want %v", c.method, c.path, got, c.want)
		}
	}
}

// A blob pull copies through a large buffer while it streams and gives it back at the end;
// other answers never take one. The upstream holds each answer half-sent until the test has
// looked, and the test looks once the client has bytes of it, so the proxy is mid-copy.
func TestBlobPullsCopyThroughALargeBuffer(t *testing.T) {
	body := make([]byte, 5<<20+12345) // several large reads and a short last one
	if _, err := rand.Read(body); err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{}, 1) // buffered: a failed request must not hang the test
	registry := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		_, _ = w.Write(body[:len(body)/2])
		w.(http.Flusher).Flush()
		<-release
		_, _ = w.Write(body[len(body)/2:])
	}))
	defer registry.Close()
	pools := newBlobBuffers(blobBufferSize, maxBlobBuffers)
	p, err := newProxy(Options{URL: registry.URL}, pools, new(net.Dialer).DialContext)
	if err != nil {
		t.Fatal(err)
	}
	front := httptest.NewServer(p)
	defer front.Close()

	for _, c := range []struct {
		path  string
		large int
	}{
		{"/v2/team/app/blobs/sha256:" + string(bytes.Repeat([]byte("b"), 64)), 1},
		{"/v2/team/app/manifests/latest", 0},
		{"/v2/team/app/blobs/uploads/0192-uuid", 0},
	} {
		started := make(chan struct{})
		got := make(chan []byte, 1)
		go func() {
			defer close(got)
			resp, err := http.Get(front.URL + c.path)
			if err != nil {
				t.Error(err)
				close(started)
				return
			}
			defer resp.Body.Close()
			first := make([]byte, 1024)
			_, err = io.ReadFull(resp.Body, first)
			close(started)
			if err != nil {
				t.Error(err)
				return
			}
			rest, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Error(err)
			}
			got <- append(first, rest...)
		}()
		<-started
		if n := pools.lent(); n != c.large {
			t.Errorf("GET %s: %d large buffers out while it streams, want %d", c.path, n, c.large)
		}
		release <- struct{}{}
		if b := <-got; !bytes.Equal(b, body) {
			t.Errorf("GET %s: %d bytes came through, not the %d the registry sent", c.path, len(b), len(body))
		}
		// The proxy gives its buffer back just after the last byte leaves it.
		deadline := time.Now().Add(5 * time.Second)
		for pools.lent() != 0 && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		if n := pools.lent(); n != 0 {
			t.Errorf("GET %s: %d large buffers still out after the answer", c.path, n)
		}
	}
}
