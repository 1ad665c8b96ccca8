package harness

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
)

// PathAndNameAbuseIsRefusedCleanly sends what a hostile client might: path traversal, encoded
// slashes, overlong names, header injection in scope and service. Every answer must be a
// clean 4xx with a JSON body, never a 5xx, a crash or an injected header.
func PathAndNameAbuseIsRefusedCleanly(t *testing.T, st *Stack) {
	ctx := context.Background()
	long := strings.Repeat("a", 4096)
	cases := []struct{ name, path string }{
		{"dot-dot segments", "/v2/team/../../auth/tags/list"},
		{"an encoded dot-dot", "/v2/team/%2e%2e/%2e%2e/etc/tags/list"},
		{"encoded slashes", "/v2/team%2F..%2Fother/tags/list"},
		{"an overlong repository name", "/v2/" + long + "/tags/list"},
		{"an overlong tag", "/v2/team/app/manifests/" + long},
		{"a bad digest", "/v2/team/app/blobs/sha256:zzzz"},
		{"a NUL byte", "/v2/team%00app/tags/list"},
		{"upper-case names", "/v2/Team/App/tags/list"},
		{"catalog with a non-number n", "/v2/_catalog?n=lots"},
		{"a scope with CRLF", "/auth?service=" + Service + "&scope=repository%3Aa%3Apull%0D%0ASet-Cookie%3A+x%3Dy"},
		{"a service with CRLF", "/auth?service=registry%0D%0ASet-Cookie%3A+x%3Dy"},
		{"an overlong scope", "/auth?service=" + Service + "&scope=repository%3A" + long + "%3Apull"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, header, body, err := st.Get(ctx, tc.path, "test", Password)
			if err != nil {
				t.Fatal(err)
			}
			if status < 400 || status >= 500 {
				t.Fatalf("GET %.80s = %d %s, want a 4xx", tc.path, status, body)
			}
			if header.Get("Set-Cookie") != "" {
				t.Fatalf("a header was injected: Set-Cookie %q", header.Get("Set-Cookie"))
			}
			if len(body) > 0 && !json.Valid(body) {
				t.Errorf("body is not JSON: %.200s", body)
			}
		})
	}
	t.Run("a raw request line with a traversal never reaches outside /v2/", func(t *testing.T) {
		cfg := st.TLSConfig()
		cfg.NextProtos = []string{"http/1.1"}
		conn, err := tls.Dial("tcp", st.Host, cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		fmt.Fprintf(conn, "GET /v2/../../../etc/passwd HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", st.Host)
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode >= 500 || strings.Contains(string(b), "root:") {
			t.Fatalf("raw traversal = %d %.200s", resp.StatusCode, b)
		}
	})
}
