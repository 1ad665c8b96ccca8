// Package browser drives the web UI in headless Chromium, end to end: a whole regauth started
// with app.New, the UI mounted beside it on one TLS port, images pushed through the front, and
// a person's clicks. Screenshots of every page land in the test's artifact directory (kept with
// `go test -artifacts`) and, with UPDATE_SCREENSHOTS=1, in docs/screenshots/.
package browser

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/gin-gonic/gin"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/sirupsen/logrus"

	"github.com/regauth/regauth/app"
	"github.com/regauth/regauth/auth"
	"github.com/regauth/regauth/config"
	"github.com/regauth/regauth/lockout"
	"github.com/regauth/regauth/registry/embedded"
	"github.com/regauth/regauth/ui"
)

func TestMain(m *testing.M) {
	gin.SetMode(gin.ReleaseMode)
	if os.Getenv("REGAUTH_TEST_LOG") == "" {
		logrus.SetOutput(io.Discard)
	}
	os.Exit(m.Run())
}

const (
	testPassword  = "test-password"
	adminPassword = "admin-password"
)

// acl: signed-in users pull everything but secret/*, admins do everything.
const aclYAML = `rules:
  - match: {group: admins}
    actions: ["*"]
    comment: group admins may do everything
  - match: {account: "/.+/", type: repository, name: "secret/*"}
    actions: []
    comment: secret/* is for admins only
  - match: {group: pusher, type: repository}
    actions: [pull, push]
  - match: {account: "/.+/", type: repository}
    actions: [pull]
    comment: every signed-in user may pull
  - match: {account: "/.+/", type: registry, name: catalog}
    actions: ["*"]
`

// chromium finds the browser; without one the test fails under CI and skips loudly elsewhere.
func chromium(t *testing.T) string {
	t.Helper()
	for _, c := range []string{"/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(c); err == nil {
			return p
		}
	}
	msg := "!!! headless Chromium is not installed (apt-get install -y chromium): the browser tests of the web UI did NOT run"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// stack is a running regauth with the UI mounted next to it.
type stack struct {
	host   string // 127.0.0.1:port
	url    string // https://host
	caPool *x509.CertPool
	spki   string // base64 SHA-256 of the server key, for Chromium's certificate pin
}

func startStack(t *testing.T) *stack {
	t.Helper()
	dir := t.TempDir()
	write := func(file, content string) {
		if err := os.WriteFile(filepath.Join(dir, file), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	var users strings.Builder
	for user, pw := range map[string]string{"test": testPassword, "admin": adminPassword, "ci": testPassword} {
		h, err := auth.HashBcrypt(auth.Password(pw), 4)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&users, "%s:%s\n", user, h)
	}
	write("htpasswd", users.String())
	write("groups", "pusher: ci\nadmins: admin\n")
	write("acl.yaml", aclYAML)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("REGAUTH_DATA_DIR", dir)
	t.Setenv("REGAUTH_LISTEN", ln.Addr().String())
	t.Setenv("REGAUTH_REGISTRY_DELETE", "true")
	t.Setenv("REGAUTH_AUDIT_OUTPUT", "off")
	cfg, err := config.Load(config.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	if os.Getenv("REGAUTH_TEST_LOG") != "" {
		logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	a, err := app.New(context.Background(), cfg, logger, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)

	// Until app wires the UI, build it here the way app will: the same users, ACL and token
	// issuer, and the embedded registry over the same storage.
	secret, err := os.ReadFile(filepath.Join(dir, "registry-http-secret"))
	if err != nil {
		t.Fatal(err)
	}
	registry, err := embedded.New(context.Background(), embedded.Options{
		Storage: embedded.FilesystemStorage(cfg.Registry.Storage), Delete: cfg.Registry.Delete,
		Realm: cfg.Realm(), Service: cfg.Token.Service, Issuer: cfg.Token.Issuer,
		RootCertBundle: a.RootCertFile, Secret: strings.TrimSpace(string(secret)),
	})
	if err != nil {
		t.Fatal(err)
	}
	limiter, err := lockout.New(lockout.NewMemoryStore(nil, 0), lockout.DefaultPolicy(), nil)
	if err != nil {
		t.Fatal(err)
	}
	sessionKey := make([]byte, 32)
	_, _ = rand.Read(sessionKey)
	webUI, err := ui.New(ui.Options{
		Logger: logger, Authenticator: a.Users, Directory: a.Users, Authorizer: a.ACL, Issuer: a.Issuer,
		Registry: registry, Limiter: limiter, Audit: a.Audit, PublicHost: ln.Addr().String(),
		SessionKey: sessionKey, Users: usersOf(cfg.Auth.Htpasswd, a.Users),
	})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/ui/", webUI)
	mux.Handle("/ui", webUI)
	mux.Handle("GET /{$}", http.RedirectHandler("/ui/", http.StatusFound))
	mux.Handle("/", a.Handler())
	srv := &http.Server{Handler: mux, TLSConfig: a.TLSConfig(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.ServeTLS(ln, "", "") }()
	t.Cleanup(func() { _ = srv.Close() })

	st := &stack{host: ln.Addr().String(), url: "https://" + ln.Addr().String(), caPool: x509.NewCertPool()}
	caPEM, err := os.ReadFile(a.DevCAFile)
	if err != nil || !st.caPool.AppendCertsFromPEM(caPEM) {
		t.Fatalf("dev CA %s: %v", a.DevCAFile, err)
	}
	conn, err := tls.Dial("tcp", st.host, &tls.Config{RootCAs: st.caPool})
	if err != nil {
		t.Fatalf("the front does not answer TLS: %v", err)
	}
	sum := sha256.Sum256(conn.ConnectionState().PeerCertificates[0].RawSubjectPublicKeyInfo)
	_ = conn.Close()
	st.spki = base64.StdEncoding.EncodeToString(sum[:])
	return st
}

// usersOf lists the users of the htpasswd file the server accepts, with their groups: the
// wiring the lead applies in app.
func usersOf(htpasswd string, dir auth.Directory) func() []auth.Identity {
	return func() []auth.Identity {
		f, err := auth.LoadHtpasswdFile(htpasswd)
		if err != nil {
			return nil
		}
		var out []auth.Identity
		for _, u := range f.Users() {
			if id, _, ok := dir.Lookup(u.Name); ok {
				out = append(out, id)
			}
		}
		return out
	}
}

// push sends images through the front with Basic credentials, as docker would.
func (st *stack) push(t *testing.T, repoTag string, img v1.Image) v1.Hash {
	t.Helper()
	ref, err := name.ParseReference(st.host + "/" + repoTag)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img, st.remoteOptions()...); err != nil {
		t.Fatalf("push %s: %v", repoTag, err)
	}
	d, _ := img.Digest()
	return d
}

func (st *stack) remoteOptions() []remote.Option {
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: st.caPool}}
	return []remote.Option{remote.WithAuth(&authn.Basic{Username: "admin", Password: adminPassword}), remote.WithTransport(tr)}
}

func image(t *testing.T, arch, variant string, created time.Time, app string) v1.Image {
	t.Helper()
	img, err := random.Image(180_000, 3)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Variant, cf.Created = "linux", arch, variant, v1.Time{Time: created}
	cf.Config.Entrypoint = []string{"/usr/local/bin/" + app}
	cf.Config.Cmd = []string{"serve", "--listen", ":8080"}
	cf.Config.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "APP_ENV=production"}
	cf.Config.ExposedPorts = map[string]struct{}{"8080/tcp": {}, "9090/tcp": {}}
	cf.Config.User = "65532:65532"
	cf.Config.WorkingDir = "/srv"
	cf.Config.Labels = map[string]string{
		"org.opencontainers.image.source":  "https://git.example.test/team/" + app,
		"org.opencontainers.image.version": "2.0.0",
		"maintainer":                       "platform team",
	}
	cf.History = []v1.History{
		{Created: v1.Time{Time: created.Add(-72 * time.Hour)}, CreatedBy: "ADD debian-bookworm-slim.tar.gz /", Comment: "base image"},
		{Created: v1.Time{Time: created.Add(-2 * time.Hour)}, CreatedBy: "RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates"},
		{Created: v1.Time{Time: created.Add(-2 * time.Hour)}, CreatedBy: "ENV APP_ENV=production", EmptyLayer: true},
		{Created: v1.Time{Time: created}, CreatedBy: "COPY " + app + " /usr/local/bin/" + app},
		{Created: v1.Time{Time: created}, CreatedBy: `ENTRYPOINT ["/usr/local/bin/` + app + `"]`, EmptyLayer: true},
	}
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func (st *stack) pushIndex(t *testing.T, repoTag string, created time.Time) v1.Hash {
	t.Helper()
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, p := range []struct{ arch, variant string }{{"amd64", ""}, {"arm64", ""}, {"arm", "v7"}} {
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{
			Add:        image(t, p.arch, p.variant, created, "gateway"),
			Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: p.arch, Variant: p.variant}},
		})
	}
	ref, err := name.ParseReference(st.host + "/" + repoTag)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.WriteIndex(ref, idx, st.remoteOptions()...); err != nil {
		t.Fatalf("push index %s: %v", repoTag, err)
	}
	d, _ := idx.Digest()
	return d
}

// shots saves screenshots to the test's artifact directory, and to docs/screenshots/ when
// UPDATE_SCREENSHOTS=1.
type shots struct {
	t      *testing.T
	dir    string
	update string
}

func newShots(t *testing.T) *shots {
	s := &shots{t: t, dir: t.ArtifactDir()}
	if os.Getenv("UPDATE_SCREENSHOTS") == "1" {
		s.update = filepath.Join("..", "..", "docs", "screenshots")
		if err := os.MkdirAll(s.update, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func (s *shots) take(ctx context.Context, file string) {
	s.t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		s.t.Fatalf("screenshot %s: %v", file, err)
	}
	for _, dir := range []string{s.dir, s.update} {
		if dir == "" {
			continue
		}
		if err := os.WriteFile(filepath.Join(dir, file), png, 0o644); err != nil {
			s.t.Fatal(err)
		}
	}
	s.t.Logf("screenshot %s (%d bytes) in %s", file, len(png), s.dir)
}

func TestABrowserSignsInBrowsesCopiesAPullCommandAndOnlyAnAdminDeletes(t *testing.T) {
	chrome := chromium(t)
	st := startStack(t)
	base := time.Now().Add(-3 * time.Hour).UTC().Truncate(time.Second)
	api := image(t, "amd64", "", base, "api")
	appDigest := st.push(t, "team/api:1.4.2", api)
	st.push(t, "team/api:latest", api)
	st.push(t, "team/api:1.4.1", image(t, "amd64", "", base.Add(-26*time.Hour), "api"))
	st.push(t, "team/api:1.3.0", image(t, "amd64", "", base.Add(-9*24*time.Hour), "api"))
	multiDigest := st.pushIndex(t, "team/gateway:2.0", base.Add(time.Hour))
	st.push(t, "tools/builder:3.1", image(t, "amd64", "", base.Add(-40*24*time.Hour), "builder"))
	st.push(t, "base/debian:bookworm", image(t, "amd64", "", base.Add(-5*24*time.Hour), "sh"))
	st.push(t, "secret/keys:1", image(t, "amd64", "", base, "keys"))

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(chrome),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("ignore-certificate-errors-spki-list", st.spki),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	defer cancelAlloc()
	ctx, cancelTab := chromedp.NewContext(alloc)
	defer cancelTab()
	shots := newShots(t)
	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("read %s: %v", sel, err)
		}
		return s
	}
	body := func() string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("body")))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}

	// Nobody may browse anonymously here: the UI asks to sign in.
	do("open the UI", chromedp.Navigate(st.url+"/"), chromedp.WaitVisible(chromedp.ID("signin-submit")))
	if loc, _ := chromedp.Run(ctx, chromedp.Location()); !strings.HasSuffix(loc, "/ui/signin") {
		t.Errorf("/ led to %s, want the sign-in page", loc)
	}
	shots.take(ctx, "signin.png")

	// A wrong password shows an error.
	do("sign in with a wrong password",
		chromedp.SendKeys(chromedp.ID("username"), "test"),
		chromedp.SendKeys(chromedp.ID("password"), "not-the-password"),
		chromedp.Click(chromedp.ID("signin-submit")),
		chromedp.WaitVisible(chromedp.ID("signin-error")),
	)
	if got := text("#signin-error"); got != "Wrong user name or password." {
		t.Errorf("error shown = %q", got)
	}
	shots.take(ctx, "signin-error.png")

	// Sign in as test: only what test may pull.
	do("sign in as test",
		chromedp.SendKeys(chromedp.ID("password"), testPassword),
		chromedp.Click(chromedp.ID("signin-submit")),
		chromedp.WaitVisible(chromedp.CSS("#filter")),
	)
	list := body()
	for _, repo := range []string{"team/api", "team/gateway", "tools/builder", "base/debian"} {
		if !strings.Contains(list, `href="/ui/repo/`+repo+`"`) {
			t.Errorf("test does not see %s", repo)
		}
	}
	if strings.Contains(list, "secret/keys") {
		t.Error("test sees secret/keys")
	}
	shots.take(ctx, "repositories.png")

	// The filter box works without JavaScript: a GET form.
	do("filter", chromedp.SendKeys(chromedp.ID("filter"), "gate\n"), chromedp.WaitVisible(chromedp.CSS(`a[href="/ui/repo/team/gateway"]`)))
	if strings.Contains(body(), `href="/ui/repo/team/api"`) {
		t.Error("the filter kept team/api")
	}

	// The repository page of the multi-arch image, then its tag.
	do("open team/gateway", chromedp.Click(chromedp.CSS(`a[href="/ui/repo/team/gateway"]`)), chromedp.WaitVisible(chromedp.ID("tags")))
	do("open team/api", chromedp.Navigate(st.url+"/ui/repo/team/api"), chromedp.WaitVisible(chromedp.ID("tags")))
	shots.take(ctx, "repository.png")
	do("open the multi-arch tag",
		chromedp.Navigate(st.url+"/ui/repo/team/gateway"),
		chromedp.WaitVisible(chromedp.ID("tags")),
		chromedp.Click(chromedp.CSS(`a.tag-link`)),
		chromedp.WaitVisible(chromedp.ID("platforms")),
	)
	page := body()
	for _, want := range []string{"linux/amd64", "linux/arm64", "linux/arm/v7", multiDigest.String(), "8080/tcp", "APP_ENV=production"} {
		if !strings.Contains(page, want) {
			t.Errorf("the tag page lacks %q", want)
		}
	}
	if strings.Contains(page, "delete-link") {
		t.Error("test is offered a delete button")
	}

	// Copy the pull command: the clipboard holds exactly the command.
	origin := st.url
	for _, perm := range []string{"clipboard-read", "clipboard-write"} {
		if _, err := chromedp.CallBrowser(ctx, browser.SetPermission, browser.SetPermissionParams{
			Permission: &browser.PermissionDescriptor{Name: perm}, Setting: browser.PermissionSettingGranted, Origin: origin,
		}); err != nil {
			t.Fatalf("grant %s: %v", perm, err)
		}
	}
	wantPull := "docker pull " + st.host + "/team/gateway:2.0"
	do("copy the pull command", chromedp.WaitVisible(chromedp.ID("copy-tag")), chromedp.Click(chromedp.ID("copy-tag")))
	copied := ""
	for range 50 {
		res, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.ID("copy-tag"), "data-copied"))
		if err == nil && res.Value != "" {
			copied = res.Value
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if copied != wantPull {
		t.Errorf("the button copied %q, want %q", copied, wantPull)
	}
	clip, err := chromedp.Run(ctx, chromedp.Evaluate[string](`navigator.clipboard.readText()`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Logf("reading the clipboard back is not possible here (%v); the button's data-copied attribute is the check", err)
	} else if clip != wantPull {
		t.Errorf("clipboard = %q, want %q", clip, wantPull)
	}
	if got := text("#copy-tag"); got != "Copied" {
		t.Errorf("the button says %q after copying, want Copied", got)
	}
	shots.take(ctx, "tag-multiarch.png")

	// The same page in dark mode and on a phone.
	if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}},
	}); err != nil {
		t.Fatal(err)
	}
	do("reload dark", chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("platforms")))
	shots.take(ctx, "tag-multiarch-dark.png")
	do("phone size",
		chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile),
		chromedp.Navigate(st.url+"/ui/"), chromedp.WaitVisible(chromedp.ID("filter")))
	shots.take(ctx, "repositories-phone-dark.png")
	if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{}); err != nil {
		t.Fatal(err)
	}
	do("desktop size", chromedp.EmulateReset(), chromedp.EmulateViewport(1280, 900))

	// test cannot delete: the confirm page refuses, and there is nothing to post.
	resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(st.url+"/ui/repo/team/api/-/delete/"+appDigest.String()))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != http.StatusForbidden {
		t.Errorf("test opening the delete page: status %d, want 403", resp.Status)
	}
	if strings.Contains(body(), "confirm-delete") {
		t.Error("test got a delete form")
	}
	shots.take(ctx, "delete-refused.png")

	do("sign out", chromedp.Navigate(st.url+"/ui/"), chromedp.WaitVisible(chromedp.ID("signout")), chromedp.Click(chromedp.ID("signout")), chromedp.WaitVisible(chromedp.ID("signin-submit")))

	// An admin deletes team/api:1.4.2 (and latest, the same manifest).
	do("sign in as admin",
		chromedp.SendKeys(chromedp.ID("username"), "admin"),
		chromedp.SendKeys(chromedp.ID("password"), adminPassword),
		chromedp.Click(chromedp.ID("signin-submit")),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/ui/repo/secret/keys"]`)),
	)
	do("open the tag", chromedp.Navigate(st.url+"/ui/repo/team/api/-/tag/1.4.2"), chromedp.WaitVisible(chromedp.ID("layers")))
	shots.take(ctx, "tag.png")
	do("ask to delete", chromedp.Click(chromedp.ID("delete-link")), chromedp.WaitVisible(chromedp.ID("confirm-delete")))
	confirm := body()
	if !strings.Contains(confirm, "1.4.2") || !strings.Contains(confirm, "latest") || !strings.Contains(confirm, "garbage collection") {
		t.Error("the confirm page does not name both tags and explain garbage collection")
	}
	shots.take(ctx, "delete-confirm.png")
	do("delete", chromedp.Click(chromedp.ID("confirm-delete")), chromedp.WaitVisible(chromedp.ID("deleted-notice")))
	after := body()
	if strings.Contains(after, ">1.4.2<") || strings.Contains(after, ">latest<") || !strings.Contains(after, ">1.4.1<") {
		t.Error("after the delete the repository page still lists 1.4.2/latest, or lost 1.4.1")
	}
	shots.take(ctx, "deleted.png")
	resp, err = chromedp.Run(ctx, chromedp.NavigateResponse(st.url+"/ui/repo/team/api/-/tag/1.4.2"))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != http.StatusNotFound {
		t.Errorf("the deleted tag answers %d, want 404", resp.Status)
	}
	// The registry agrees: the tag is gone for docker too.
	ref, _ := name.ParseReference(st.host + "/team/api:1.4.2")
	if _, err := remote.Head(ref, st.remoteOptions()...); err == nil {
		t.Error("the registry still serves team/api:1.4.2")
	}

	// The admin page explains a decision.
	do("explain",
		chromedp.Navigate(st.url+"/ui/admin?user=test&actions=pull,push&type=repository&name=team/api#explain"),
		chromedp.WaitVisible(chromedp.ID("verdict")),
	)
	if v := text("#verdict"); !strings.Contains(v, "allowed: pull") || !strings.Contains(v, "denied: push") || !strings.Contains(v, "every signed-in user may pull") {
		t.Errorf("verdict = %q", v)
	}
	shots.take(ctx, "admin.png")

	// Every screenshot is a PNG the docs can show.
	entries, _ := os.ReadDir(shots.dir)
	for _, e := range entries {
		b, _ := os.ReadFile(filepath.Join(shots.dir, e.Name()))
		if !bytes.HasPrefix(b, []byte("\x89PNG")) {
			t.Errorf("%s is not a PNG", e.Name())
		}
	}
}
