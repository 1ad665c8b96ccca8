package embedded

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/regauth/regauth/internal/blobbuf"
)

// countingSource counts what the pipeline reads from the client's body.
type countingSource struct {
	io.ReadCloser
	n *atomic.Int64
}

func (c countingSource) Read(p []byte) (int, error) {
	n, err := c.ReadCloser.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// uploadServer serves registry behind pipelineUploads over TLS, HTTP/1.1 only unless h2, and
// counts the bytes read from each request's body before the pipeline.
func uploadServer(t *testing.T, buffers *blobbuf.Budget, h2 bool, registry http.HandlerFunc) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var read atomic.Int64
	pipelined := pipelineUploads(registry, buffers)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r = r.WithContext(r.Context()) // a shallow copy, as regauth's metrics make: net/http keeps its own body
		r.Body = countingSource{ReadCloser: r.Body, n: &read}
		pipelined.ServeHTTP(w, r)
	}))
	srv.EnableHTTP2 = h2
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv, &read
}

// put uploads body with a PUT of known length, as crane sends a layer.
func put(t *testing.T, srv *httptest.Server, path string, body []byte) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPut, srv.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(answer)
}

// dial opens a TLS connection to srv for requests written by hand; it closes with the test.
func dial(t *testing.T, srv *httptest.Server) *tls.Conn {
	t.Helper()
	conn, err := tls.Dial("tcp", srv.Listener.Addr().String(), srv.Client().Transport.(*http.Transport).TLSClientConfig)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

func sha(b []byte) string { return fmt.Sprintf("%x", sha256.Sum256(b)) }

func randomBytes(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// The point of the pipeline: while the registry is busy with what it has, the client's next
// bytes are already being read. Here the registry takes one piece and then waits until more
// than both buffers' worth has been read from the client; read on the registry's goroutine,
// nothing more could be, and it would give up after five seconds.
func TestAnUploadIsReadAheadWhileTheRegistryWorksOnWhatItHas(t *testing.T) {
	const size = 4 << 20
	buffers := newUploadBuffers(64<<10, 4)
	var readWhileHeld atomic.Int64
	var srv *httptest.Server
	var read *atomic.Int64
	srv, read = uploadServer(t, buffers, false, func(w http.ResponseWriter, r *http.Request) {
		if _, ok := r.Body.(*pipelinedBody); !ok {
			http.Error(w, fmt.Sprintf("body is a %T", r.Body), http.StatusInternalServerError)
			return
		}
		h := sha256.New()
		if _, err := io.CopyN(h, r.Body, 32<<10); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		deadline := time.Now().Add(5 * time.Second)
		for read.Load() < 2*64<<10 && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		readWhileHeld.Store(read.Load())
		if _, err := io.Copy(h, r.Body); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		fmt.Fprintf(w, "%x", h.Sum(nil))
	})
	body := randomBytes(t, size)
	status, answer := put(t, srv, "/v2/team/app/blobs/uploads/0b1c", body)
	if status != http.StatusOK || answer != sha(body) {
		t.Fatalf("upload answered %d %q, want 200 with the body's sha256 %s", status, answer, sha(body))
	}
	if got := readWhileHeld.Load(); got < 2*64<<10 {
		t.Errorf("while the registry held its first 32 KiB, %d bytes had been read from the client; want both buffers' worth (%d)", got, 2*64<<10)
	}
	waitReturned(t, buffers)
}

// The registry checks the token and the upload before it reads: a refused upload must not
// have its body read (and a client waiting on Expect: 100-continue must not be told to send).
func TestNothingIsReadBeforeTheRegistryReads(t *testing.T) {
	buffers := newUploadBuffers(64<<10, 4)
	srv, read := uploadServer(t, buffers, false, func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(200 * time.Millisecond) // checking the token: time enough for a reader to start early
		http.Error(w, "no token", http.StatusUnauthorized)
	})
	conn := dial(t, srv)
	// The headers only: the client waits to be told to send its body.
	fmt.Fprintf(conn, "PUT /v2/team/app/blobs/uploads/0b1c HTTP/1.1\r\nHost: registry\r\nExpect: 100-continue\r\nContent-Length: %d\r\n\r\n", 1<<20)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("first answer %d, want 401 (no 100 Continue before the registry reads)", resp.StatusCode)
	}
	if n := read.Load(); n != 0 {
		t.Errorf("%d bytes of a refused upload were read", n)
	}
	if lent := buffers.Lent(); lent != 0 {
		t.Errorf("%d buffer pairs lent for an upload never read", lent)
	}
}

// A client that goes away mid-upload must fail the upload at the registry, never end it
// early as if the body were complete.
func TestABodyCutShortFailsAtTheRegistry(t *testing.T) {
	buffers := newUploadBuffers(64<<10, 4)
	type copyResult struct {
		n   int64
		err error
	}
	copied := make(chan copyResult, 1)
	srv, _ := uploadServer(t, buffers, false, func(w http.ResponseWriter, r *http.Request) {
		n, err := io.Copy(io.Discard, r.Body)
		copied <- copyResult{n, err}
	})
	conn := dial(t, srv)
	fmt.Fprintf(conn, "PUT /v2/team/app/blobs/uploads/0b1c HTTP/1.1\r\nHost: registry\r\nContent-Length: %d\r\n\r\n", 8<<20)
	if _, err := conn.Write(randomBytes(t, 3<<20)); err != nil {
		t.Fatal(err)
	}
	conn.Close()
	select {
	case c := <-copied:
		// io.ErrUnexpectedEOF, or a reset if the client's TLS stack left a ticket unread
		if c.err == nil || errors.Is(c.err, io.EOF) || c.n > 3<<20 {
			t.Errorf("the registry's copy ended with (%d bytes, %v), want an error after at most 3 MiB", c.n, c.err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the registry's copy did not end after the client went away")
	}
}

// A registry that gives up mid-body (a full disk, say) stops the reader, gets its buffers
// back, and the client is answered.
func TestARegistryGivingUpMidBodyStopsTheReader(t *testing.T) {
	buffers := newUploadBuffers(64<<10, 4)
	var bodyAfter atomic.Value
	srv, _ := uploadServer(t, buffers, false, func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.CopyN(io.Discard, r.Body, 100<<10); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		r.Body.Close()
		_, err := r.Body.Read(make([]byte, 1))
		bodyAfter.Store(fmt.Sprint(err))
		http.Error(w, "disk full", http.StatusInsufficientStorage)
	})
	status, _ := put(t, srv, "/v2/team/app/blobs/uploads/0b1c", randomBytes(t, 8<<20))
	if status != http.StatusInsufficientStorage {
		t.Fatalf("status %d, want 507", status)
	}
	if got := bodyAfter.Load(); got != http.ErrBodyReadAfterClose.Error() {
		t.Errorf("a read after Close gave %v, want %v", got, http.ErrBodyReadAfterClose)
	}
	waitReturned(t, buffers)
}

// A client that goes quiet mid-body, holding its connection open, still gets the registry's
// answer when the registry gives up: the reader waiting for its bytes is stopped.
func TestAQuietClientGetsTheAnswerOfARegistryThatGaveUp(t *testing.T) {
	buffers := newUploadBuffers(64<<10, 4)
	srv, _ := uploadServer(t, buffers, false, func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.CopyN(io.Discard, r.Body, 100<<10); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		http.Error(w, "disk full", http.StatusInsufficientStorage)
	})
	conn := dial(t, srv)
	fmt.Fprintf(conn, "PUT /v2/team/app/blobs/uploads/0b1c HTTP/1.1\r\nHost: registry\r\nContent-Length: %d\r\n\r\n", 8<<20)
	// More than the registry takes, less than the reader would (100 KiB and then both 64 KiB
	// buffers): the reader is left waiting for the client.
	if _, err := conn.Write(randomBytes(t, 150<<10)); err != nil {
		t.Fatal(err)
	}
	if err := conn.SetReadDeadline(time.Now().Add(quietClient + 4*time.Second)); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer while the client held its connection open: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusInsufficientStorage {
		t.Errorf("status %d, want 507", resp.StatusCode)
	}
	waitReturned(t, buffers)
}

// Beyond the budget an upload is read as before, and still arrives whole; so do HTTP/2
// uploads, which net/http already reads on the connection's own goroutine, and requests that
// are not blob uploads.
func TestUploadsBeyondTheBudgetAndOtherRequestsPassThrough(t *testing.T) {
	for _, tc := range []struct {
		name      string
		h2        bool
		path      string
		exhausted bool
		pipelined bool
	}{
		{"HTTP/1.1 upload", false, "/v2/team/app/blobs/uploads/0b1c", false, true},
		{"HTTP/1.1 upload beyond the budget", false, "/v2/team/app/blobs/uploads/0b1c", true, false},
		{"HTTP/2 upload", true, "/v2/team/app/blobs/uploads/0b1c", false, false},
		{"manifest", false, "/v2/team/app/manifests/v1", false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			buffers := newUploadBuffers(64<<10, 1)
			if tc.exhausted {
				whole, _ := buffers.TryGet()
				defer buffers.Put(whole)
			}
			srv, _ := uploadServer(t, buffers, tc.h2, func(w http.ResponseWriter, r *http.Request) {
				_, pipelined := r.Body.(*pipelinedBody)
				b, err := io.ReadAll(r.Body)
				if err != nil {
					http.Error(w, err.Error(), http.StatusInternalServerError)
					return
				}
				if pipelined && !r.Body.(*pipelinedBody).direct {
					w.Header().Set("Pipelined", "yes")
				}
				w.Header().Set("Proto", r.Proto)
				fmt.Fprintf(w, "%x", sha256.Sum256(b))
			})
			body := randomBytes(t, 1<<20+12345)
			req, err := http.NewRequest(http.MethodPut, srv.URL+tc.path, bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			answer, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || string(answer) != sha(body) {
				t.Fatalf("answered %d %q, want 200 with the body's sha256", resp.StatusCode, answer)
			}
			if got := resp.Header.Get("Pipelined") == "yes"; got != tc.pipelined {
				t.Errorf("pipelined = %v over %s, want %v", got, resp.Header.Get("Proto"), tc.pipelined)
			}
		})
	}
}

// Many chunked uploads at once, more than the budget pipelines, each read in pieces of odd
// sizes, arrive byte for byte.
func TestConcurrentUploadsArriveWhole(t *testing.T) {
	buffers := newUploadBuffers(64<<10, 3)
	srv, _ := uploadServer(t, buffers, false, func(w http.ResponseWriter, r *http.Request) {
		h := sha256.New()
		buf := make([]byte, 7777)
		if _, err := io.CopyBuffer(h, struct{ io.Reader }{r.Body}, buf); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		fmt.Fprintf(w, "%x", h.Sum(nil))
	})
	errs := make(chan error, 8)
	for i := range 8 {
		go func() {
			body := make([]byte, 3<<20+i*1000)
			if _, err := rand.Read(body); err != nil {
				errs <- err
				return
			}
			req, err := http.NewRequest(http.MethodPatch, srv.URL+"/v2/team/app/blobs/uploads/"+strconv.Itoa(i), io.MultiReader(bytes.NewReader(body)))
			if err != nil {
				errs <- err
				return
			}
			resp, err := srv.Client().Do(req) // a body of unknown length: chunked, as docker streams a layer
			if err != nil {
				errs <- err
				return
			}
			answer, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || string(answer) != sha(body) {
				errs <- fmt.Errorf("upload %d answered %d %q", i, resp.StatusCode, answer)
				return
			}
			errs <- nil
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	waitReturned(t, buffers)
}

// waitReturned fails the test unless every buffer pair is back within a second: the server
// may still be finishing the last request when its client has the answer.
func waitReturned(t *testing.T, buffers *blobbuf.Budget) {
	t.Helper()
	deadline := time.Now().Add(time.Second)
	for buffers.Lent() != 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if lent := buffers.Lent(); lent != 0 {
		t.Errorf("%d buffer pairs still lent", lent)
	}
}
