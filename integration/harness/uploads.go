package harness

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"
)

// LayerUploadsOverHTTP11 pushes layers through the front the ways HTTP/1.1 clients do — one
// PUT of known length (crane), a chunked PATCH then an empty PUT (docker streams a layer) —
// and pulls them back byte for byte. A streamed upload whose client goes away before its
// last chunk, though the digest in its URL matches the bytes that did arrive, and one whose
// digest is wrong must not leave a blob behind.
func LayerUploadsOverHTTP11(t *testing.T, st *Stack) {
	const repo = "uploads/http11"
	cfg := st.TLSConfig()
	cfg.NextProtos = []string{"http/1.1"}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}, Timeout: time.Minute}
	t.Cleanup(client.CloseIdleConnections)

	base, err := url.Parse(st.URL)
	if err != nil {
		t.Fatal(err)
	}
	// at resolves a path or a Location (the registry's are relative) against the front.
	at := func(ref string) *url.URL {
		t.Helper()
		u, err := base.Parse(ref)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	do := func(method, ref string, body io.Reader, want int) *http.Response {
		t.Helper()
		target := at(ref).String()
		req, err := http.NewRequest(method, target, body)
		if err != nil {
			t.Fatal(err)
		}
		req.SetBasicAuth("testpush", Password)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, target, err)
		}
		if resp.ProtoMajor != 1 {
			t.Fatalf("%s %s went over %s, want HTTP/1.1", method, target, resp.Proto)
		}
		if resp.StatusCode != want {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			t.Fatalf("%s %s = %d %s, want %d", method, target, resp.StatusCode, b, want)
		}
		return resp
	}
	start := func() string {
		t.Helper()
		resp := do(http.MethodPost, "/v2/"+repo+"/blobs/uploads/", nil, http.StatusAccepted)
		resp.Body.Close()
		return resp.Header.Get("Location")
	}
	withDigest := func(location, digest string) string {
		u := at(location)
		q := u.Query()
		q.Set("digest", digest)
		u.RawQuery = q.Encode()
		return u.String()
	}
	pullsBack := func(layer []byte) {
		t.Helper()
		resp := do(http.MethodGet, "/v2/"+repo+"/blobs/"+digestOf(layer), nil, http.StatusOK)
		defer resp.Body.Close()
		h := sha256.New()
		n, err := io.Copy(h, resp.Body)
		if err != nil || n != int64(len(layer)) || fmt.Sprintf("sha256:%x", h.Sum(nil)) != digestOf(layer) {
			t.Fatalf("pulled %d bytes (%v) with digest sha256:%x, want %d bytes with %s", n, err, h.Sum(nil), len(layer), digestOf(layer))
		}
	}
	absent := func(digest string) {
		t.Helper()
		resp := do(http.MethodHead, "/v2/"+repo+"/blobs/"+digest, nil, http.StatusNotFound)
		resp.Body.Close()
	}

	// One PUT of known length.
	layer := randomLayer(t, 12<<20+321)
	resp := do(http.MethodPut, withDigest(start(), digestOf(layer)), bytes.NewReader(layer), http.StatusCreated)
	resp.Body.Close()
	pullsBack(layer)

	// A chunked PATCH (the reader hides the length), then an empty PUT with the digest.
	layer = randomLayer(t, 9<<20+77)
	resp = do(http.MethodPatch, start(), struct{ io.Reader }{bytes.NewReader(layer)}, http.StatusAccepted)
	resp.Body.Close()
	resp = do(http.MethodPut, withDigest(resp.Header.Get("Location"), digestOf(layer)), nil, http.StatusCreated)
	resp.Body.Close()
	pullsBack(layer)

	// A wrong digest.
	layer, other := randomLayer(t, 2<<20), randomLayer(t, 2<<20)
	resp = do(http.MethodPut, withDigest(start(), digestOf(other)), bytes.NewReader(layer), http.StatusBadRequest)
	resp.Body.Close()
	absent(digestOf(other))
	absent(digestOf(layer))

	// A client that streams a layer (chunked, as docker does) and goes away before its last
	// chunk, with the digest of what it did send in the URL: had the cut body been taken for a
	// whole one, that blob would now exist. (A body of announced length that arrives short is
	// refused by the registry's own length check.)
	sent := randomLayer(t, 3<<20)
	location := at(withDigest(start(), digestOf(sent))).RequestURI()
	conn, err := tls.Dial("tcp", st.Host, cfg)
	if err != nil {
		t.Fatal(err)
	}
	credentials := base64.StdEncoding.EncodeToString([]byte("testpush:" + Password))
	fmt.Fprintf(conn, "PUT %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Basic %s\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n",
		location, st.Host, credentials)
	for chunk := range slices.Chunk(sent, 256<<10) {
		if _, err := fmt.Fprintf(conn, "%x\r\n%s\r\n", len(chunk), chunk); err != nil {
			t.Fatal(err)
		}
	}
	conn.Close() // without the last, empty chunk
	// The registry ends that upload as soon as the connection's end reaches it; a blob made
	// from the cut body would appear within milliseconds.
	time.Sleep(time.Second)
	absent(digestOf(sent))
}

func randomLayer(t testing.TB, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func digestOf(b []byte) string { return fmt.Sprintf("sha256:%x", sha256.Sum256(b)) }
