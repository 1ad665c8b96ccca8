package upstream

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// countingConn counts the writes the proxy makes to the registry's socket.
type countingConn struct {
	net.Conn
	writes *atomic.Int64
}

func (c countingConn) Write(p []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(p)
}

// trickle hands its bytes out 16 KiB a read, as a client's stream arrives.
type trickle struct {
	r    io.Reader
	fail error // returned instead of io.EOF, once the bytes are out
}

func (t *trickle) Read(p []byte) (int, error) {
	n, err := t.r.Read(p[:min(len(p), 16<<10)])
	if err == io.EOF && t.fail != nil {
		return n, t.fail
	}
	return n, err
}

// uploadRig is a client, the proxy (served over HTTP/1.1 by httptest) and a registry that
// reads each upload to its end.
type uploadRig struct {
	front    *httptest.Server
	pools    *blobBuffers
	writes   atomic.Int64
	mu       sync.Mutex
	received []byte
	readErr  error
}

func newUploadRig(t *testing.T) *uploadRig {
	rig := &uploadRig{pools: newBlobBuffers(1<<20, 4)}
	registry := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		rig.mu.Lock()
		rig.received, rig.readErr = b, err
		rig.mu.Unlock()
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusCreated)
	}))
	t.Cleanup(registry.Close)
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := new(net.Dialer).DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return countingConn{Conn: c, writes: &rig.writes}, nil
	}
	p, err := newProxy(Options{URL: registry.URL}, rig.pools, dial)
	if err != nil {
		t.Fatal(err)
	}
	rig.front = httptest.NewServer(p)
	t.Cleanup(rig.front.Close)
	return rig
}

func (rig *uploadRig) upload(method string, body io.Reader, length int64) (*http.Response, error) {
	req, err := http.NewRequest(method, rig.front.URL+"/v2/team/app/blobs/uploads/0192-uuid", body)
	if err != nil {
		return nil, err
	}
	req.ContentLength = length
	return http.DefaultClient.Do(req)
}

// An upload reaches the registry in writes of a whole buffer, whether the client sends its
// length (a monolithic PUT) or streams it chunked (a PATCH), and the buffer goes back after
// it. Copied 32 KiB at a time, as net/http's transport does on its own, the 9 MiB below would
// take 250 writes or more.
func TestUploadsReachTheRegistryInBufferSizedWrites(t *testing.T) {
	blob := make([]byte, 9<<20+777)
	if _, err := rand.Read(blob); err != nil {
		t.Fatal(err)
	}
	const bufSize = 1 << 20
	fills := (len(blob) + bufSize - 1) / bufSize // 10
	for _, c := range []struct {
		name      string
		method    string
		length    int64
		maxWrites int
	}{
		// The transport's 256 KiB buffer takes the headers and the first bytes, then each fill
		// is one write.
		{"known length", http.MethodPut, int64(len(blob)), fills + 2},
		// Each fill is one chunk: its header and the start go into the transport's buffer,
		// which is written out, then the rest in one write, then the chunk's closing CRLF.
		{"chunked", http.MethodPatch, -1, 3*fills + 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			rig := newUploadRig(t)
			resp, err := rig.upload(c.method, &trickle{r: bytes.NewReader(blob)}, c.length)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusCreated {
				t.Fatalf("%s: %s", c.method, resp.Status)
			}
			rig.mu.Lock()
			defer rig.mu.Unlock()
			if !bytes.Equal(rig.received, blob) {
				t.Fatalf("the registry got %d bytes, not the %d sent", len(rig.received), len(blob))
			}
			if n := rig.writes.Load(); n > int64(c.maxWrites) {
				t.Errorf("%d writes to the registry's socket for %d bytes, want at most %d", n, len(blob), c.maxWrites)
			}
			deadline := time.Now().Add(5 * time.Second)
			for rig.pools.lent() != 0 && time.Now().Before(deadline) {
				time.Sleep(time.Millisecond)
			}
			if n := rig.pools.lent(); n != 0 {
				t.Errorf("%d buffers still out after the upload", n)
			}
		})
	}
}

// A client that goes away mid-upload must leave the registry with a failed upload, not one
// that ended early: a chunked body cut short reads as io.ErrUnexpectedEOF, which the copy
// must not take for its end.
func TestAnUploadCutShortFailsAtTheRegistry(t *testing.T) {
	rig := newUploadRig(t)
	blob := make([]byte, 3<<20+5)
	cut := errors.New("client gone")
	resp, err := rig.upload(http.MethodPatch, &trickle{r: bytes.NewReader(blob), fail: cut}, -1)
	if err == nil {
		resp.Body.Close()
		t.Fatalf("the client's upload failed on its side, yet the front answered %s", resp.Status)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		rig.mu.Lock()
		got, readErr := len(rig.received), rig.readErr
		rig.mu.Unlock()
		if readErr != nil {
			break
		}
		if got > 0 || time.Now().After(deadline) {
			t.Fatalf("the registry read %d bytes and saw no error: the cut upload looked complete", got)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
