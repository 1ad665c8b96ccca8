package ui

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func newRequest(method, target string) *http.Request {
	req := httptest.NewRequest(method, target, nil)
	req.RemoteAddr = "192.0.2.10:40000"
	return req
}

func serve(f *fixture, req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	f.ui.ServeHTTP(rec, req)
	return rec
}

func TestTheTagPageOfAMultiArchIndexShowsEveryPlatform(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	p := f.standardImages()
	c := f.signedIn("test")
	page := c.get("/ui/repo/team/multi/-/tag/2.0")
	wantStatus(t, page, http.StatusOK)
	wantBody(t, page,
		p.multi.String(), "application/vnd.oci.image.index.v1&#43;json", // html/template escapes +
		">linux/amd64<", ">linux/arm64<", "Multi-platform image",
		`data-copy="docker pull `+publicHost+`/team/multi:2.0"`,
		`data-copy="docker pull `+publicHost+`/team/multi@`+p.multi.String()+`"`,
		p.children["linux/amd64"].String(),
		"[&#34;/usr/bin/hello&#34;]", "HELLO_MODE=friendly", "8080/tcp", "org.opencontainers.image.source", "platform",
		"COPY hello /usr/bin/hello", "ENV HELLO_MODE=friendly",
	)
	wantNotBody(t, page, "Delete…")
	// Choosing the other platform shows its manifest.
	arm := c.get("/ui/repo/team/multi/-/tag/2.0?platform=" + url.QueryEscape(p.children["linux/arm64"].String()))
	wantStatus(t, arm, http.StatusOK)
	wantBody(t, arm, `aria-current="page">linux/arm64<`, p.children["linux/arm64"].String())
	// A platform that is not in the index is not found; one that is not a digest is refused.
	wantStatus(t, c.get("/ui/repo/team/multi/-/tag/2.0?platform=sha256:"+strings.Repeat("a", 64)), http.StatusNotFound)
	wantStatus(t, c.get("/ui/repo/team/multi/-/tag/2.0?platform=linux/arm64"), http.StatusBadRequest)
	// The platform manifest opens by digest too.
	wantStatus(t, c.get("/ui/repo/team/multi/-/manifest/"+p.children["linux/arm64"].String()), http.StatusOK)
}

func TestTheRepositoryPageListsTagsNewestFirstOrByName(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	p := f.standardImages()
	c := f.signedIn("test")
	tagOrder := regexp.MustCompile(`class="tag-link" href="[^"]+">([^<]+)<`)
	order := func(r response) []string {
		var out []string
		for _, m := range tagOrder.FindAllStringSubmatch(r.body, -1) {
			out = append(out, m[1])
		}
		return out
	}
	newest := c.get("/ui/repo/team/app")
	wantStatus(t, newest, http.StatusOK)
	if got := strings.Join(order(newest), " "); got != "1.0 latest 0.9" {
		t.Errorf("newest first = %q, want 1.0 latest 0.9", got)
	}
	wantBody(t, newest, shortDigest(p.app.String()), "linux/amd64", "kB")
	byName := c.get("/ui/repo/team/app?sort=name")
	if got := strings.Join(order(byName), " "); got != "0.9 1.0 latest" {
		t.Errorf("by name = %q, want 0.9 1.0 latest", got)
	}
	multi := c.get("/ui/repo/team/multi")
	wantBody(t, multi, "multi-arch", ">linux/amd64<", ">linux/arm64<")
}

func TestRepositoryTagsArePaged(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	img := f.image("amd64", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	for i := range 7 {
		f.push(fmt.Sprintf("team/many:t%d", i), img)
	}
	f.ui.tagPageSize = 3
	c := f.signedIn("test")
	first := c.get("/ui/repo/team/many?sort=name")
	wantBody(t, first, ">t0<", ">t2<", "1–3 of 7", `href="/ui/repo/team/many?page=2&amp;sort=name"`)
	wantNotBody(t, first, ">t3<")
	last := c.get("/ui/repo/team/many?sort=name&page=3")
	wantBody(t, last, ">t6<", "7–7 of 7")
}

func TestRepositoriesArePagedGroupedAndFilteredOnTheServer(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	img := f.image("amd64", time.Now())
	for i := 1; i <= 12; i++ {
		f.push(fmt.Sprintf("ns/r%02d:1", i), img)
	}
	f.push("top:1", img)
	f.ui.pageSize = 5
	c := f.signedIn("test")
	first := c.get("/ui/")
	wantStatus(t, first, http.StatusOK)
	wantBody(t, first, "Top level", ">top<", ">ns/<", ">r01<", ">r04<", "1–5 of 13", "page 1 of 3", `href="/ui/?page=2"`)
	wantNotBody(t, first, ">r05<")
	second := c.get("/ui/?page=2")
	wantBody(t, second, ">r05<", ">r09<", "(continued)")
	wantNotBody(t, second, ">r04<", ">r10<", "Top level")
	filtered := c.get("/ui/?q=NS/R1")
	wantBody(t, filtered, ">r10<", ">r11<", ">r12<")
	wantNotBody(t, filtered, ">r01<", ">top<")
	none := c.get("/ui/?q=zzz")
	wantBody(t, none, "No repository matches")
	// Out-of-range and junk page numbers fall back to a real page.
	wantStatus(t, c.get("/ui/?page=999"), http.StatusOK)
	wantStatus(t, c.get("/ui/?page=-3"), http.StatusOK)
}

// fakeCatalog stands in for a registry with thousands of repositories and counts requests.
type fakeCatalog struct {
	names    []string
	requests atomic.Int64
}

func (fc *fakeCatalog) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	fc.requests.Add(1)
	if r.URL.Path != "/v2/_catalog" {
		http.NotFound(w, r)
		return
	}
	n, _ := strconv.Atoi(r.URL.Query().Get("n"))
	last := r.URL.Query().Get("last")
	start := 0
	for start < len(fc.names) && fc.names[start] <= last {
		start++
	}
	end := min(start+n, len(fc.names))
	if end < len(fc.names) {
		w.Header().Set("Link", `</v2/_catalog?last=`+fc.names[end-1]+`&n=`+strconv.Itoa(n)+`>; rel="next"`)
	}
	_ = json.NewEncoder(w).Encode(map[string][]string{"repositories": fc.names[start:end]})
}

func TestThousandsOfRepositoriesCostOneCatalogReadPerThousandNames(t *testing.T) {
	fc := &fakeCatalog{}
	for i := range 5000 {
		fc.names = append(fc.names, fmt.Sprintf("ns%02d/repo%04d", i%40, i))
	}
	// Sorted, as the registry returns them.
	f := newFixture(t, fixtureOptions{registry: func(http.Handler) http.Handler { return fc }})
	sortStrings(fc.names)
	c := f.signedIn("test")
	start := time.Now()
	page := c.get("/ui/?page=7")
	elapsed := time.Since(start)
	wantStatus(t, page, http.StatusOK)
	wantBody(t, page, "601–700 of 5000", "page 7 of 50", "5000 repositories in 40 namespaces")
	if got := fc.requests.Load(); got != 5 {
		t.Errorf("the page made %d registry requests, want 5 catalog pages", got)
	}
	if elapsed > 2*time.Second {
		t.Errorf("rendering a page of 5000 repositories took %v", elapsed)
	}
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

func TestBadPathsAreRefusedWithAnHTMLPage(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	f.standardImages()
	c := f.signedIn("test")
	long := strings.Repeat("a", 256)
	cases := []struct {
		method, target string
		status         int
	}{
		{"GET", "/ui/repo/team/../alice/private", http.StatusBadRequest},
		{"GET", "/ui/repo/team/./app", http.StatusBadRequest},
		{"GET", "/ui/repo/team%2Fapp", http.StatusBadRequest},
		{"GET", "/ui/repo/team%2fapp/-/tag/1.0", http.StatusBadRequest},
		{"GET", "/ui/repo/team%5Capp", http.StatusBadRequest},
		{"GET", "/ui/repo//team/app", http.StatusBadRequest},
		{"GET", "/ui/repo/" + long, http.StatusBadRequest},
		{"GET", "/ui/repo/Team/App", http.StatusBadRequest},
		{"GET", "/ui/repo/team/app/-/tag/..", http.StatusBadRequest},
		{"GET", "/ui/repo/team/app/-/tag/.hidden", http.StatusBadRequest},
		{"GET", "/ui/repo/team/app/-/tag/" + strings.Repeat("t", 129), http.StatusBadRequest},
		{"GET", "/ui/repo/team/app/-/manifest/sha256:abc", http.StatusBadRequest},
		{"GET", "/ui/repo/team/app/-/delete/latest", http.StatusBadRequest},
		{"GET", "/ui/repo/team/app/-/", http.StatusNotFound},
		{"GET", "/ui/repo/team/app/-/tags/1.0", http.StatusNotFound},
		{"GET", "/ui/repo/team/app/-/tag/nope", http.StatusNotFound},
		{"GET", "/ui/nothing-here", http.StatusNotFound},
		{"GET", "/ui/static/nothing.css", http.StatusNotFound},
		{"DELETE", "/ui/repo/team/app", http.StatusMethodNotAllowed},
		{"POST", "/ui/", http.StatusMethodNotAllowed},
		{"GET", "/ui/signout", http.StatusMethodNotAllowed},
		{"GET", "/ui/?q=" + strings.Repeat("x", 2000), http.StatusBadRequest},
	}
	for _, tc := range cases {
		t.Run(tc.method+" "+tc.target, func(t *testing.T) {
			r := c.do(tc.method, tc.target, nil)
			if r.status != tc.status {
				t.Fatalf("status = %d, want %d\n%s", r.status, tc.status, r.body)
			}
			if tc.target != "/ui/static/nothing.css" {
				if ct := r.header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
					t.Errorf("Content-Type = %q", ct)
				}
				wantBody(t, r, "<!doctype html>", "regauth")
			}
		})
	}
}

func TestEveryPageCarriesAStrictContentSecurityPolicy(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	f.standardImages()
	c := f.signedIn("test")
	for _, path := range []string{"/ui/", "/ui/signin", "/ui/repo/team/app", "/ui/repo/team/multi/-/tag/2.0", "/ui/nope"} {
		r := c.get(path)
		csp := r.header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("%s: CSP = %q", path, csp)
		}
		if strings.Contains(r.body, "<script>") || strings.Contains(r.body, " style=") || strings.Contains(r.body, "onclick") {
			t.Errorf("%s has inline script or style", path)
		}
		if strings.Contains(r.body, "http://") && !strings.Contains(r.body, "https://example.test") {
			t.Errorf("%s links outside", path)
		}
	}
	asset := c.get("/ui/static/style.css?v=" + f.ui.static.version["style.css"])
	wantStatus(t, asset, http.StatusOK)
	if !strings.Contains(asset.header.Get("Cache-Control"), "immutable") || !strings.Contains(asset.body, "prefers-color-scheme: dark") {
		t.Errorf("style.css: Cache-Control %q", asset.header.Get("Cache-Control"))
	}
}

func TestARegistryFailureIsAnErrorPageNotAPanic(t *testing.T) {
	failing := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte(`{"errors":[{"code":"UNKNOWN"}]}`))
	})
	panicking := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { panic("registry exploded") })
	garbage := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("{not json")) })
	for name, reg := range map[string]http.Handler{"500": failing, "panic": panicking, "garbage": garbage} {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, fixtureOptions{registry: func(http.Handler) http.Handler { return reg }})
			c := f.signedIn("test")
			for _, path := range []string{"/ui/", "/ui/repo/team/app", "/ui/repo/team/app/-/tag/1.0"} {
				r := c.get(path)
				if name == "garbage" && path == "/ui/repo/team/app/-/tag/1.0" {
					// A manifest that does not parse is shown as one the UI cannot open.
					wantStatus(t, r, http.StatusOK)
					wantBody(t, r, "does not know this kind of manifest")
					continue
				}
				if r.status < 500 {
					t.Errorf("%s: status %d, want a 5xx page", path, r.status)
				}
				wantBody(t, r, "<!doctype html>")
			}
		})
	}
}

func TestNewReportsEveryMissingPartAtOnce(t *testing.T) {
	_, err := New(Options{SessionKey: []byte("short")})
	if err == nil {
		t.Fatal("New accepted empty options")
	}
	for _, want := range []string{"no logger", "no user store", "no authorizer", "no token issuer", "no registry", "session key has 5 bytes", "no public host"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

func TestTheUITalksToTheRegistryWithTheViewersOwnToken(t *testing.T) {
	var (
		mu       sync.Mutex
		subjects []string
		f        *fixture
	)
	spy := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			claims, err := f.issuer.VerifyAccess(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
			if err != nil {
				t.Errorf("%s: token does not verify: %v", r.URL.Path, err)
			}
			if r.URL.Path == "/v2/_catalog" {
				if claims.Subject != catalogSubject || len(claims.Access) != 1 || claims.Access[0].Type != "registry" {
					t.Errorf("catalog read with %+v", claims)
				}
			} else {
				mu.Lock()
				subjects = append(subjects, claims.Subject)
				mu.Unlock()
				for _, a := range claims.Access {
					if a.Type != "repository" {
						t.Errorf("content read with access %+v", a)
					}
				}
			}
			next.ServeHTTP(w, r)
		})
	}
	f = newFixture(t, fixtureOptions{registry: spy})
	f.standardImages()
	c := f.signedIn("test")
	wantStatus(t, c.get("/ui/"), http.StatusOK)
	wantStatus(t, c.get("/ui/repo/team/multi/-/tag/2.0"), http.StatusOK)
	if len(subjects) == 0 {
		t.Fatal("no content request seen")
	}
	for _, s := range subjects {
		if s != "test" {
			t.Errorf("content read as %q, want test", s)
		}
	}
}
