package registry3

import (
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/regauth/regauth/integration/harness"
	"github.com/regauth/regauth/internal/frontserver"
	"github.com/regauth/regauth/tokens"
)

// blobSize is the layer the front must move at >= 0.9x of the registry's own speed.
const blobSize = 256 << 20

// BenchmarkBlob256MiB pushes and pulls one 256 MiB blob directly to the registry (its own TLS
// server) and through regauth's front (TLS, token check, Basic-free Bearer path), over HTTP/1.1
// and HTTP/2, in one run. Compare MB/s between "direct" and "front" lines; heap-MiB is the
// process's peak heap during the transfer, which must stay flat (no body buffering).
//
//	go test ./integration/registry3/ -run '^$' -bench Blob256MiB -benchtime 3x
func BenchmarkBlob256MiB(b *testing.B) {
	st := harness.Start(b, newEmbedded)
	direct := httptest.NewUnstartedServer(registryOf(b, st))
	direct.EnableHTTP2 = true
	direct.StartTLS()
	b.Cleanup(direct.Close)
	st.Server.Config.HTTP2 = frontserver.HTTP2Tuning()
	direct.Config.HTTP2 = frontserver.HTTP2Tuning()

	src := newPattern()
	digest := src.digest(blobSize)
	token := pushToken(b, st, "bench/blob")
	for _, target := range []struct {
		name, url string
		client    *http.Client
	}{
		{"direct", direct.URL, direct.Client()},
		{"front", st.URL, st.Client()},
	} {
		for _, h2 := range []bool{false, true} {
			proto := "http1.1"
			if h2 {
				proto = "h2"
			}
			client := clientFor(target.client, h2)
			b.Run(fmt.Sprintf("push/%s/%s", target.name, proto), func(b *testing.B) {
				b.SetBytes(blobSize)
				peak := watchHeap(b)
				for b.Loop() {
					push(b, client, target.url, token, digest, src)
				}
				b.ReportMetric(peak(), "heap-MiB")
			})
			b.Run(fmt.Sprintf("pull/%s/%s", target.name, proto), func(b *testing.B) {
				b.SetBytes(blobSize)
				peak := watchHeap(b)
				for b.Loop() {
					pull(b, client, target.url, token, digest)
				}
				b.ReportMetric(peak(), "heap-MiB")
			})
		}
	}
}

// registryOf rebuilds the stack's registry handler for a direct server on the same storage.
func registryOf(b *testing.B, st *harness.Stack) http.Handler {
	h, err := newEmbedded(harness.RegistryConfig{
		Realm: st.URL + "/auth", Service: harness.Service, Issuer: harness.Issuer,
		RootCertBundle: st.Dir + "/token/" + tokens.RootCertFile, StorageDir: st.Dir + "/registry",
	})
	if err != nil {
		b.Fatal(err)
	}
	return h
}

func pushToken(b *testing.B, st *harness.Stack, repo string) string {
	issued, err := st.Issuer.IssueAccess("testpush", []tokens.ResourceActions{{Type: "repository", Name: repo, Actions: []string{"pull", "push"}}})
	if err != nil {
		b.Fatal(err)
	}
	return issued.Token
}

func clientFor(base *http.Client, h2 bool) *http.Client {
	tr := base.Transport.(*http.Transport).Clone()
	tr.ForceAttemptHTTP2 = h2
	tr.TLSClientConfig = tr.TLSClientConfig.Clone()
	if h2 {
		tr.TLSClientConfig.NextProtos = []string{"h2"}
		tr.HTTP2 = frontserver.HTTP2Tuning()
	} else {
		tr.TLSClientConfig.NextProtos = []string{"http/1.1"}
		tr.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
	}
	tr.WriteBufferSize, tr.ReadBufferSize = 256<<10, 256<<10
	return &http.Client{Transport: tr, Timeout: 5 * time.Minute}
}

func push(b *testing.B, c *http.Client, base, token, digest string, src *pattern) {
	req, _ := http.NewRequest(http.MethodPost, base+"/v2/bench/blob/blobs/uploads/", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp := do(b, c, req, http.StatusAccepted)
	loc := resp.Header.Get("Location")
	if loc != "" && loc[0] == '/' {
		loc = base + loc
	}
	sep := "?"
	for i := 0; i < len(loc); i++ {
		if loc[i] == '?' {
			sep = "&"
		}
	}
	req, _ = http.NewRequest(http.MethodPut, loc+sep+"digest="+digest, src.reader(blobSize))
	req.ContentLength = blobSize
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set("Authorization", "Bearer "+token)
	do(b, c, req, http.StatusCreated)
}

func pull(b *testing.B, c *http.Client, base, token, digest string) {
	req, _ := http.NewRequest(http.MethodGet, base+"/v2/bench/blob/blobs/"+digest, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := c.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK || n != blobSize {
		b.Fatalf("pull: status %d, %d bytes, %v", resp.StatusCode, n, err)
	}
}

func do(b *testing.B, c *http.Client, req *http.Request, want int) *http.Response {
	resp, err := c.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != want {
		b.Fatalf("%s %s = %d %s, want %d", req.Method, req.URL.Path, resp.StatusCode, body, want)
	}
	return resp
}

// watchHeap samples the heap every 20 ms and returns a function giving the peak in MiB.
func watchHeap(b *testing.B) func() float64 {
	var peak atomic.Uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		var ms runtime.MemStats
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	return func() float64 {
		close(stop)
		<-done
		return float64(peak.Load()) / (1 << 20)
	}
}

// pattern is a repeating 1 MiB block of pseudo-random bytes: a 256 MiB body without 256 MiB
// of memory.
type pattern struct{ block []byte }

func newPattern() *pattern {
	p := &pattern{block: make([]byte, 1<<20)}
	var x uint64 = 0x9e3779b97f4a7c15
	for i := range p.block {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		p.block[i] = byte(x)
	}
	return p
}

func (p *pattern) reader(n int64) io.Reader {
	return &patternReader{p: p, left: n}
}

func (p *pattern) digest(n int64) string {
	h := sha256.New()
	if _, err := io.Copy(h, p.reader(n)); err != nil {
		panic(err)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

type patternReader struct {
	p    *pattern
	off  int
	left int64
}

func (r *patternReader) Read(b []byte) (int, error) {
	if r.left == 0 {
		return 0, io.EOF
	}
	n := copy(b, r.p.block[r.off:])
	if int64(n) > r.left {
		n = int(r.left)
	}
	r.off = (r.off + n) % len(r.p.block)
	r.left -= int64(n)
	return n, nil
}
