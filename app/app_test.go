package app

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/distribution/distribution/v3/configuration"
	"github.com/distribution/distribution/v3/registry/handlers"
	"github.com/gin-gonic/gin"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/sirupsen/logrus"

	"github.com/regauth/regauth/config"
	"github.com/regauth/regauth/tokens"
)

func TestMain(m *testing.M) {
	gin.SetMode(gin.ReleaseMode)
	logrus.SetLevel(logrus.WarnLevel)
	os.Exit(m.Run())
}

// testConfig is the zero configuration with a data directory of its own and a free port.
func testConfig(t *testing.T, dataDir string) (*config.Config, net.Listener) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("REGAUTH_DATA_DIR", dataDir)
	t.Setenv("REGAUTH_LISTEN", ln.Addr().String())
	cfg, err := config.Load(config.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return cfg, ln
}

func serve(t *testing.T, a *App, ln net.Listener) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx, ln, 5*time.Second) }()
	// Serve registers the file watches before it accepts: once it answers, edits are seen.
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	for i := 0; ; i++ {
		resp, err := client.Get("https://" + ln.Addr().String() + "/healthz")
		if err == nil {
			resp.Body.Close()
			break
		}
		if i == 100 {
			t.Fatalf("the front never answered: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve returned %v after shutdown, want nil", err)
		}
	})
}

func testLogger(t *testing.T) *slog.Logger {
	if os.Getenv("REGAUTH_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

func TestZeroConfigStartCreatesEverythingAndServesARegistry(t *testing.T) {
	dir := t.TempDir()
	cfg, ln := testConfig(t, dir)
	a, err := New(context.Background(), cfg, testLogger(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	if a.AdminPassword == "" || a.DevCAFile == "" {
		t.Fatalf("first start: admin password set=%v, dev CA %q", a.AdminPassword != "", a.DevCAFile)
	}
	saved, err := os.ReadFile(filepath.Join(dir, AdminPasswordFile))
	if err != nil || strings.TrimSpace(string(saved)) != a.AdminPassword.Reveal() {
		t.Fatalf("admin-password file = %q, %v", saved, err)
	}
	for _, f := range []string{AdminPasswordFile, "htpasswd", "token/signing.key", "token/root.key", "tls/server.key", "tls/ca.key"} {
		info, err := os.Stat(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode().Perm() != 0o600 {
			t.Errorf("%s mode = %v, want 0600", f, info.Mode().Perm())
		}
	}
	groups, _ := os.ReadFile(filepath.Join(dir, "groups"))
	if !strings.Contains(string(groups), "pusher:") || !strings.Contains(string(groups), "admins: admin") {
		t.Errorf("groups file = %q, want pusher and admins", groups)
	}
	serve(t, a, ln)

	pool := x509.NewCertPool()
	caPEM, err := os.ReadFile(a.DevCAFile)
	if err != nil || !pool.AppendCertsFromPEM(caPEM) {
		t.Fatalf("dev CA %s: %v", a.DevCAFile, err)
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true}
	ref, err := name.ParseReference(ln.Addr().String() + "/team/app:1")
	if err != nil {
		t.Fatal(err)
	}
	img, _ := random.Image(4096, 2)
	admin := &authn.Basic{Username: "admin", Password: a.AdminPassword.Reveal()}
	if err := remote.Write(ref, img, remote.WithAuth(admin), remote.WithTransport(tr)); err != nil {
		t.Fatalf("push as admin through the zero-config front: %v", err)
	}
	got, err := remote.Image(ref, remote.WithAuth(admin), remote.WithTransport(tr))
	if err != nil {
		t.Fatal(err)
	}
	want, _ := img.Digest()
	if d, _ := got.Digest(); d != want {
		t.Fatalf("pulled %s, pushed %s", d, want)
	}

	second, err := New(context.Background(), cfg, testLogger(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	if second.AdminPassword != "" {
		t.Error("a second start created the admin user again")
	}
	if second.Keys.Current().KeyID != a.Keys.Current().KeyID {
		t.Error("a second start made a new token key")
	}
}

func TestAConfiguredPathThatIsMissingIsAnErrorNotAGeneratedFile(t *testing.T) {
	cfg, _ := testConfig(t, t.TempDir())
	cfg.Auth.Htpasswd = filepath.Join(t.TempDir(), "missing-htpasswd")
	_, err := New(context.Background(), cfg, testLogger(t), nil)
	if err == nil || !strings.Contains(err.Error(), "missing-htpasswd") {
		t.Fatalf("error = %v, want one naming the missing file", err)
	}
}

// pfxCase is a .pfx the front must serve, with the chain it must send.
type pfxCase struct {
	name, pfx, password, chain string
	wantLeaf, wantInt, root    string
	serverName                 string
}

func TestTheFrontServesTheChainFromEveryKindOfPFX(t *testing.T) {
	td := filepath.Join("..", "certs", "testdata")
	cases := []pfxCase{
		{"legacy RC2 with chain", "legacy-rc2-chain.pfx", "changeit", "", "leaf.crt", "int.crt", "root.crt", "registry.test"},
		{"legacy RC2 leaf only plus tls.chain", "legacy-rc2-leaf-only.pfx", "changeit", "int.crt", "leaf.crt", "int.crt", "root.crt", "registry.test"},
		{"modern AES", "modern-aes-chain.pfx", "changeit", "", "leaf.crt", "int.crt", "root.crt", "registry.test"},
		{"empty password", "modern-empty-password.pfx", "", "", "leaf.crt", "int.crt", "root.crt", "registry.test"},
		{"root first", "reversed-order.pfx", "changeit", "", "leaf.crt", "int.crt", "root.crt", "registry.test"},
	}
	for i := range cases {
		cases[i].pfx = filepath.Join(td, cases[i].pfx)
		for _, p := range []*string{&cases[i].chain, &cases[i].wantLeaf, &cases[i].wantInt, &cases[i].root} {
			if *p != "" {
				*p = filepath.Join(td, *p)
			}
		}
	}
	shared := filepath.Join("..", "..", "shared", "fixtures", "pfx")
	if _, err := os.Stat(shared); err == nil {
		for _, c := range []pfxCase{
			{"outside check: legacy RC2 chain", "legacy-rc2-chain.pfx", "changeit", "", "", "", "", ""},
			{"outside check: legacy RC2 leaf only", "legacy-rc2-leaf-only.pfx", "changeit", "wildcard-int.crt", "", "", "", ""},
			{"outside check: modern AES", "modern-aes-chain.pfx", "changeit", "", "", "", "", ""},
			{"outside check: empty password", "modern-empty-password.pfx", "", "", "", "", "", ""},
		} {
			c.pfx = filepath.Join(shared, c.pfx)
			if c.chain != "" {
				c.chain = filepath.Join(shared, c.chain)
			}
			c.wantLeaf, c.wantInt, c.root = filepath.Join(shared, "wildcard-leaf.crt"), filepath.Join(shared, "wildcard-int.crt"), filepath.Join(shared, "wildcard-root.crt")
			c.serverName = "registry.example.test"
			cases = append(cases, c)
		}
	} else {
		t.Logf("outside PFX fixtures not found at %s: checking the project's own fixtures only", shared)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, ln := testConfig(t, t.TempDir())
			cfg.TLS.PFX, cfg.TLS.PFXPassword, cfg.TLS.Chain = c.pfx, config.Secret(c.password), c.chain
			a, err := New(context.Background(), cfg, testLogger(t), nil)
			if err != nil {
				t.Fatal(err)
			}
			serve(t, a, ln)
			roots := x509.NewCertPool()
			roots.AppendCertsFromPEM(mustRead(t, c.root))
			conn, err := tls.Dial("tcp", ln.Addr().String(), &tls.Config{RootCAs: roots, ServerName: c.serverName})
			if err != nil {
				t.Fatalf("TLS handshake verifying against the root: %v", err)
			}
			defer conn.Close()
			got := conn.ConnectionState().PeerCertificates
			want := [][]byte{pemDER(t, c.wantLeaf), pemDER(t, c.wantInt)}
			if len(got) != len(want) {
				t.Fatalf("served %d certificates, want leaf + intermediate (no root)", len(got))
			}
			for i := range want {
				if !bytes.Equal(got[i].Raw, want[i]) {
					t.Errorf("certificate %d served is %s, want the one in the expected PEM", i, got[i].Subject)
				}
			}
		})
	}
}

func TestAWrongPFXPasswordStopsTheStartWithAClearMessage(t *testing.T) {
	cfg, _ := testConfig(t, t.TempDir())
	cfg.TLS.PFX = filepath.Join("..", "certs", "testdata", "modern-aes-chain.pfx")
	cfg.TLS.PFXPassword = "nope"
	_, err := New(context.Background(), cfg, testLogger(t), nil)
	if err == nil || !strings.Contains(err.Error(), "wrong password") || !strings.Contains(err.Error(), "modern-aes-chain.pfx") {
		t.Fatalf("error = %v, want `wrong password` naming the file", err)
	}
	if strings.Contains(err.Error(), "nope") {
		t.Error("the error shows the password")
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func pemDER(t *testing.T, path string) []byte {
	t.Helper()
	block, _ := pem.Decode(mustRead(t, path))
	if block == nil {
		t.Fatalf("%s: no PEM", path)
	}
	return block.Bytes
}

func TestRegistryConfigOutputIsAcceptedByTheStockRegistry(t *testing.T) {
	cfg, _ := testConfig(t, t.TempDir())
	ra, err := WriteRegistryAuth(cfg, testLogger(t), filepath.Join(t.TempDir(), "registry-auth"), "")
	if err != nil {
		t.Fatal(err)
	}
	text := "version: 0.1\nstorage:\n  inmemory: {}\n" + ra.YAML
	parsed, err := configuration.Parse(strings.NewReader(text))
	if err != nil {
		t.Fatalf("the registry cannot parse what registry-config printed:\n%s\n%v", text, err)
	}
	reg := handlers.NewApp(context.Background(), parsed)

	kp, _, err := LoadTokenKeys(cfg, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	issuer, err := tokens.NewIssuer(tokens.IssuerOptions{Issuer: cfg.Token.Issuer, Service: cfg.Token.Service, TTL: time.Minute, RefreshTTL: time.Hour, Keys: tokens.StaticKeys{Pair: kp}})
	if err != nil {
		t.Fatal(err)
	}
	issued, err := issuer.IssueAccess("admin", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, header string
		want         int
	}{
		{"without a token the registry challenges with regauth's realm", "", http.StatusUnauthorized},
		{"with a regauth token the registry lets the client in", "Bearer " + issued.Token, http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, "/v2/", nil)
			if tc.header != "" {
				req.Header.Set("Authorization", tc.header)
			}
			rec := httptest.NewRecorder()
			reg.ServeHTTP(rec, req)
			if rec.Code != tc.want {
				t.Fatalf("GET /v2/ = %d %s, want %d", rec.Code, rec.Body, tc.want)
			}
			if tc.want == http.StatusUnauthorized && !strings.Contains(rec.Header().Get("WWW-Authenticate"), cfg.Realm()) {
				t.Errorf("challenge %q does not name the realm %s", rec.Header().Get("WWW-Authenticate"), cfg.Realm())
			}
		})
	}
}
