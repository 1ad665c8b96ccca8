package harness

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// BasicCompatibility is the classic scripts' way: plain `curl -u user:pass` on /v2/.
func BasicCompatibility(t *testing.T, st *Stack) {
	ctx := context.Background()
	if err := remote.Write(st.Ref(t, "test-hello:v2"), RandomImage(t), st.Options(ctx, Basic("testpush"))...); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, method, path, user, password string
		want                               int
		body                               string
	}{
		{"test lists the catalog", http.MethodGet, "/v2/_catalog", "test", Password, http.StatusOK, `"test-hello"`},
		{"test lists the tags", http.MethodGet, "/v2/test-hello/tags/list", "test", Password, http.StatusOK, `"v2"`},
		{"test reads a manifest", http.MethodHead, "/v2/test-hello/manifests/v2", "test", Password, http.StatusOK, ""},
		{"test may not start an upload", http.MethodPost, "/v2/test-hello/blobs/uploads/", "test", Password, http.StatusUnauthorized, ""},
		{"testpush starts an upload", http.MethodPost, "/v2/test-hello/blobs/uploads/", "testpush", Password, http.StatusAccepted, ""},
		{"test may not delete", http.MethodDelete, "/v2/test-hello/manifests/v2", "test", Password, http.StatusUnauthorized, ""},
		{"a wrong password is refused", http.MethodGet, "/v2/test-hello/tags/list", "test", "wrong", http.StatusUnauthorized, `"UNAUTHORIZED"`},
		{"an unknown user is refused", http.MethodGet, "/v2/_catalog", "nobody", Password, http.StatusUnauthorized, `"UNAUTHORIZED"`},
		{"the base endpoint accepts a valid user", http.MethodGet, "/v2/", "test", Password, http.StatusOK, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequestWithContext(ctx, tt.method, st.URL+tt.path, nil)
			req.SetBasicAuth(tt.user, tt.password)
			resp, err := st.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body bytes.Buffer
			_, _ = body.ReadFrom(resp.Body)
			if resp.StatusCode != tt.want {
				t.Fatalf("%s %s as %s = %d %s, want %d", tt.method, tt.path, tt.user, resp.StatusCode, body.String(), tt.want)
			}
			if tt.body != "" && !strings.Contains(body.String(), tt.body) {
				t.Errorf("body %s does not contain %s", body.String(), tt.body)
			}
			if resp.StatusCode == http.StatusUnauthorized && tt.method != http.MethodHead && !json.Valid([]byte(body.String())) {
				t.Errorf("401 body is not JSON: %q", body.String())
			}
		})
	}
}

// CatalogFiltering: everyone sees only what they may pull, through Basic and Bearer, with
// the registry's pagination intact.
func CatalogFiltering(t *testing.T, st *Stack) {
	ctx := context.Background()
	repos := []string{"alice/a", "alice/b", "alice/c", "public/x", "team/y"}
	for _, r := range repos {
		if err := remote.Write(st.Ref(t, r+":1"), RandomImage(t), st.Options(ctx, Basic("admin"))...); err != nil {
			t.Fatal(err)
		}
	}
	reg, err := name.NewRegistry(st.Host)
	if err != nil {
		t.Fatal(err)
	}
	bearer := []struct {
		who  string
		auth authn.Authenticator
		want []string
	}{
		{"alice", Basic("alice"), []string{"alice/a", "alice/b", "alice/c"}},
		{"test", Basic("test"), repos},
		{"anonymous", authn.Anonymous, []string{"public/x"}},
	}
	for _, tt := range bearer {
		t.Run("with a token "+tt.who+" sees only what they may pull", func(t *testing.T) {
			got, err := remote.Catalog(ctx, reg, st.Options(ctx, tt.auth)...)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("catalog = %v, want %v", got, tt.want)
			}
		})
	}
	t.Run("with Basic credentials pages follow the Link header", func(t *testing.T) {
		var got []string
		path := "/v2/_catalog?n=2"
		pages := 0
		for path != "" {
			status, header, body, err := st.Get(ctx, path, "alice", Password)
			if err != nil || status != http.StatusOK {
				t.Fatalf("GET %s = %d %s %v", path, status, body, err)
			}
			var page struct{ Repositories []string }
			if err := json.Unmarshal(body, &page); err != nil {
				t.Fatal(err)
			}
			if len(page.Repositories) > 2 {
				t.Fatalf("page of %d entries for n=2", len(page.Repositories))
			}
			got = append(got, page.Repositories...)
			pages++
			path = ""
			if link := header.Get("Link"); link != "" {
				path = link[strings.Index(link, "<")+1 : strings.Index(link, ">")]
			}
		}
		if want := []string{"alice/a", "alice/b", "alice/c"}; !slices.Equal(got, want) || pages != 2 {
			t.Fatalf("paged catalog = %v in %d pages, want %v in 2", got, pages, want)
		}
	})
	t.Run("a bad n is the registry's pagination error", func(t *testing.T) {
		status, _, body, err := st.Get(ctx, "/v2/_catalog?n=-1", "alice", Password)
		if err != nil || status != http.StatusBadRequest || !strings.Contains(string(body), "PAGINATION_NUMBER_INVALID") {
			t.Fatalf("n=-1 = %d %s %v", status, body, err)
		}
	})
}
