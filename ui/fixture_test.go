package ui

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/sirupsen/logrus"

	"github.com/regauth/regauth/acl"
	"github.com/regauth/regauth/audit"
	"github.com/regauth/regauth/auth"
	"github.com/regauth/regauth/lockout"
	"github.com/regauth/regauth/registry/embedded"
	"github.com/regauth/regauth/tokens"
)

func TestMain(m *testing.M) {
	// The registry logs every request, and every 404 as an error.
	if os.Getenv("REGAUTH_TEST_LOG") == "" {
		logrus.SetOutput(io.Discard)
	}
	os.Exit(m.Run())
}

const (
	testService  = "registry.test"
	testIssuer   = "regauth-ui-test"
	testPassword = "password"
	publicHost   = "registry.example.test:5043"
)

// testACL: test may pull everything but alice/*; testpush may push; alice owns alice/* (with
// delete) and sees nothing else; admins may do everything; anonymous users may pull public/*.
const testACL = `rules:
  - match: {group: admins}
    actions: ["*"]
    comment: group admins may do everything
  - match: {account: alice, type: repository, name: "alice/*"}
    actions: [pull, push, delete]
    comment: alice owns alice/*
  - match: {account: alice}
    actions: []
    comment: alice sees nothing else
  - match: {account: "/.+/", type: repository, name: "alice/*"}
    actions: []
    comment: alice/* is private
  - match: {group: pusher, type: repository}
    actions: [pull, push]
  - match: {account: "/.+/", type: repository}
    actions: [pull]
    comment: every signed-in user may pull
  - match: {account: "", type: repository, name: "public/*"}
    actions: [pull]
    comment: anonymous users may pull public/*
`

// aclWithoutAnonymous is testACL without the anonymous rule.
var aclWithoutAnonymous = strings.Replace(testACL, `  - match: {account: "", type: repository, name: "public/*"}
    actions: [pull]
    comment: anonymous users may pull public/*
`, "", 1)

var testUsers = []string{"test", "testpush", "admin", "alice", "bob"}

// recordingAudit keeps audit events for assertions.
type recordingAudit struct {
	mu     sync.Mutex
	events []audit.Event
}

func (a *recordingAudit) Log(e audit.Event) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.events = append(a.events, e)
}

func (a *recordingAudit) kinds(kind string) []audit.Event {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []audit.Event
	for _, e := range a.events {
		if e.Kind == kind {
			out = append(out, e)
		}
	}
	return out
}

// fixture is a UI over real users, groups, ACL, token keys and the embedded registry.
type fixture struct {
	t        testing.TB
	dir      string
	users    *auth.Store
	acl      *acl.Store
	issuer   *tokens.Issuer
	registry http.Handler
	regURL   string // plain-HTTP server in front of the registry, for pushing fixtures
	ui       *handler
	audit    *recordingAudit
	now      time.Time
	nowMu    sync.Mutex
	limiter  *lockout.Limiter
}

type fixtureOptions struct {
	deleteOff bool
	registry  func(http.Handler) http.Handler // wraps the registry the UI sees
}

func newFixture(t testing.TB, fo fixtureOptions) *fixture {
	t.Helper()
	dir := t.TempDir()
	f := &fixture{t: t, dir: dir, audit: &recordingAudit{}, now: time.Now()}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	if os.Getenv("REGAUTH_TEST_LOG") != "" {
		logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	f.writeUsers(map[string]string{})
	f.write("groups", "pusher: testpush\nadmins: admin\n")
	f.write("acl.yaml", testACL)
	var err error
	f.users, err = auth.NewStore(auth.StoreOptions{HtpasswdPath: filepath.Join(dir, "htpasswd"), GroupsPath: filepath.Join(dir, "groups"), Logger: logger, CacheTTL: -1})
	if err != nil {
		t.Fatal(err)
	}
	f.acl, err = acl.NewStore(filepath.Join(dir, "acl.yaml"), logger)
	if err != nil {
		t.Fatal(err)
	}
	gen, err := tokens.EnsureKeys(filepath.Join(dir, "token"), "ES256", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	f.issuer, err = tokens.NewIssuer(tokens.IssuerOptions{Issuer: testIssuer, Service: testService, TTL: 5 * time.Minute, RefreshTTL: time.Hour, Keys: tokens.StaticKeys{Pair: gen.KeyPair}})
	if err != nil {
		t.Fatal(err)
	}
	f.registry, err = embedded.New(context.Background(), embedded.Options{
		Storage: embedded.FilesystemStorage(filepath.Join(dir, "registry")), Delete: !fo.deleteOff,
		Realm: "https://" + publicHost + "/auth", Service: testService, Issuer: testIssuer,
		RootCertBundle: gen.RootFile, Secret: "ui-test-secret-0123456789",
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(f.registry)
	t.Cleanup(srv.Close)
	f.regURL = strings.TrimPrefix(srv.URL, "http://")
	f.limiter, err = lockout.New(lockout.NewMemoryStore(f.clock, 0), lockout.Policy{
		UserIPThreshold: 3, IPThreshold: 50, Window: time.Hour, BaseDelay: time.Minute, MaxDelay: time.Hour,
	}, f.clock)
	if err != nil {
		t.Fatal(err)
	}
	reg := f.registry
	if fo.registry != nil {
		reg = fo.registry(reg)
	}
	h, err := New(Options{
		Logger: logger, Authenticator: f.users, Directory: f.users, Authorizer: f.acl, Issuer: f.issuer,
		Registry: reg, Limiter: f.limiter, Audit: f.audit, PublicHost: publicHost,
		SessionKey: []byte("0123456789abcdef0123456789abcdef-test-key"), Now: f.clock,
		Users: func() []auth.Identity {
			var out []auth.Identity
			for _, u := range testUsers {
				if id, _, ok := f.users.Lookup(u); ok {
					out = append(out, id)
				}
			}
			return out
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	f.ui = h.(*handler)
	return f
}

func (f *fixture) clock() time.Time {
	f.nowMu.Lock()
	defer f.nowMu.Unlock()
	return f.now
}

func (f *fixture) advance(d time.Duration) {
	f.nowMu.Lock()
	defer f.nowMu.Unlock()
	f.now = f.now.Add(d)
}

func (f *fixture) write(file, content string) {
	f.t.Helper()
	if err := os.WriteFile(filepath.Join(f.dir, file), []byte(content), 0o600); err != nil {
		f.t.Fatal(err)
	}
}

// writeUsers writes every test user with the shared password unless overridden.
func (f *fixture) writeUsers(passwords map[string]string) {
	f.t.Helper()
	var b strings.Builder
	for _, u := range testUsers {
		pw, ok := passwords[u]
		if !ok {
			pw = testPassword
		}
		if pw == "-" {
			continue // removed
		}
		h, err := auth.HashBcrypt(auth.Password(pw), 4)
		if err != nil {
			f.t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s:%s\n", u, h)
	}
	f.write("htpasswd", b.String())
	if f.users != nil {
		if err := f.users.Reload(); err != nil {
			f.t.Fatal(err)
		}
	}
}

func (f *fixture) setACL(content string) {
	f.t.Helper()
	f.write("acl.yaml", content)
	if err := f.acl.Reload(); err != nil {
		f.t.Fatal(err)
	}
}

// pushTransport hands the registry an admin token for whatever repository a request names.
type pushTransport struct {
	issuer *tokens.Issuer
}

var repoInPath = regexp.MustCompile(`^/v2/(.+?)/(?:manifests|blobs|tags)/`)

func (p pushTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	var access []tokens.ResourceActions
	if m := repoInPath.FindStringSubmatch(req.URL.Path); m != nil {
		access = append(access, tokens.ResourceActions{Type: "repository", Name: m[1], Actions: []string{"pull", "push", "delete"}})
	}
	if from := req.URL.Query().Get("from"); from != "" {
		access = append(access, tokens.ResourceActions{Type: "repository", Name: from, Actions: []string{"pull"}})
	}
	issued, err := p.issuer.IssueAccess("fixture-admin", access)
	if err != nil {
		return nil, err
	}
	req = req.Clone(req.Context())
	req.Header.Set("Authorization", "Bearer "+issued.Token)
	return http.DefaultTransport.RoundTrip(req)
}

func (f *fixture) ref(repoTag string) name.Reference {
	f.t.Helper()
	r, err := name.ParseReference(f.regURL+"/"+repoTag, name.Insecure)
	if err != nil {
		f.t.Fatal(err)
	}
	return r
}

// image makes a small image with a real-looking configuration.
func (f *fixture) image(arch string, created time.Time) v1.Image {
	f.t.Helper()
	img, err := random.Image(512, 2)
	if err != nil {
		f.t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		f.t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Created = "linux", arch, v1.Time{Time: created}
	cf.Config.Entrypoint = []string{"/usr/bin/hello"}
	cf.Config.Cmd = []string{"--greeting", "hi there"}
	cf.Config.Env = []string{"PATH=/usr/local/bin:/usr/bin", "HELLO_MODE=friendly"}
	cf.Config.ExposedPorts = map[string]struct{}{"8080/tcp": {}}
	cf.Config.Labels = map[string]string{"org.opencontainers.image.source": "https://example.test/hello", "team": "platform"}
	cf.History = []v1.History{
		{Created: v1.Time{Time: created.Add(-time.Hour)}, CreatedBy: "ADD rootfs.tar /"},
		{Created: v1.Time{Time: created.Add(-30 * time.Minute)}, CreatedBy: "ENV HELLO_MODE=friendly", EmptyLayer: true},
		{Created: v1.Time{Time: created}, CreatedBy: "COPY hello /usr/bin/hello"},
	}
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		f.t.Fatal(err)
	}
	return img
}

func (f *fixture) push(repoTag string, img v1.Image) v1.Hash {
	f.t.Helper()
	if err := remote.Write(f.ref(repoTag), img, remote.WithTransport(pushTransport{f.issuer})); err != nil {
		f.t.Fatalf("push %s: %v", repoTag, err)
	}
	d, _ := img.Digest()
	return d
}

// pushIndex pushes a two-platform index (linux/amd64, linux/arm64).
func (f *fixture) pushIndex(repoTag string, created time.Time) (v1.Hash, map[string]v1.Hash) {
	f.t.Helper()
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	children := map[string]v1.Hash{}
	for _, arch := range []string{"amd64", "arm64"} {
		img := f.image(arch, created)
		d, _ := img.Digest()
		children["linux/"+arch] = d
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{
			Add:        img,
			Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: arch}},
		})
	}
	if err := remote.WriteIndex(f.ref(repoTag), idx, remote.WithTransport(pushTransport{f.issuer})); err != nil {
		f.t.Fatalf("push index %s: %v", repoTag, err)
	}
	d, _ := idx.Digest()
	return d, children
}

// standardImages pushes the repositories most tests use and returns their digests.
type pushed struct {
	app, multi, private, public v1.Hash
	children                    map[string]v1.Hash
}

func (f *fixture) standardImages() pushed {
	f.t.Helper()
	base := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	var p pushed
	p.app = f.push("team/app:1.0", f.image("amd64", base))
	f.push("team/app:latest", mustImage(f.t, f, "team/app:1.0"))
	f.push("team/app:0.9", f.image("amd64", base.Add(-48*time.Hour)))
	p.multi, p.children = f.pushIndex("team/multi:2.0", base.Add(time.Hour))
	p.private = f.push("alice/private:1", f.image("amd64", base))
	p.public = f.push("public/hello:1", f.image("amd64", base))
	return p
}

func mustImage(t testing.TB, f *fixture, repoTag string) v1.Image {
	t.Helper()
	img, err := remote.Image(f.ref(repoTag), remote.WithTransport(pushTransport{f.issuer}))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// client is a browser stand-in: it keeps the session cookie, which a cookie jar would not
// send over the recorder's plain HTTP because it is Secure.
type client struct {
	f      *fixture
	cookie string
	remote string
}

func (f *fixture) client() *client { return &client{f: f, remote: "192.0.2.10:40000"} }

type response struct {
	status int
	header http.Header
	body   string
}

func (c *client) do(method, target string, form url.Values) response {
	c.f.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req := httptest.NewRequest(method, target, body)
	req.RemoteAddr = c.remote
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if c.cookie != "" {
		req.AddCookie(&http.Cookie{Name: sessionCookie, Value: c.cookie})
	}
	rec := httptest.NewRecorder()
	c.f.ui.ServeHTTP(rec, req)
	for _, ck := range rec.Result().Cookies() {
		if ck.Name == sessionCookie {
			if ck.MaxAge < 0 {
				c.cookie = ""
			} else {
				c.cookie = ck.Value
			}
		}
	}
	return response{status: rec.Code, header: rec.Header(), body: rec.Body.String()}
}

func (c *client) get(target string) response { return c.do(http.MethodGet, target, nil) }

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf reads the form token from a page.
func (c *client) csrf(page response) string {
	c.f.t.Helper()
	m := csrfRE.FindStringSubmatch(page.body)
	if m == nil {
		c.f.t.Fatalf("no CSRF token in the page (status %d)", page.status)
	}
	return m[1]
}

// signIn signs in through the form and fails the test unless it works.
func (c *client) signIn(user, password string) {
	c.f.t.Helper()
	if r := c.trySignIn(user, password); r.status != http.StatusSeeOther {
		c.f.t.Fatalf("sign in as %s: status %d\n%s", user, r.status, r.body)
	}
}

func (c *client) trySignIn(user, password string) response {
	c.f.t.Helper()
	page := c.get("/ui/signin")
	return c.do(http.MethodPost, "/ui/signin", url.Values{"csrf": {c.csrf(page)}, "username": {user}, "password": {password}})
}

func (f *fixture) signedIn(user string) *client {
	f.t.Helper()
	c := f.client()
	c.signIn(user, testPassword)
	return c
}

func wantStatus(t testing.TB, r response, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status = %d, want %d\n%s", r.status, status, r.body)
	}
}

func wantBody(t testing.TB, r response, substrings ...string) {
	t.Helper()
	for _, s := range substrings {
		if !strings.Contains(r.body, s) {
			t.Errorf("page lacks %q", s)
		}
	}
}

func wantNotBody(t testing.TB, r response, substrings ...string) {
	t.Helper()
	for _, s := range substrings {
		if strings.Contains(r.body, s) {
			t.Errorf("page shows %q, but must not", s)
		}
	}
}
