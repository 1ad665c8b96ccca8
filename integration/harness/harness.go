// Package harness starts a whole regauth stack on loopback for end-to-end tests: users, groups,
// the classic ACL, a token signing key, the token service and a real registry behind one TLS
// port. Each registry generation lives in its own test binary and passes its own constructor.
package harness

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/regauth/regauth/acl"
	"github.com/regauth/regauth/auth"
	"github.com/regauth/regauth/server"
	"github.com/regauth/regauth/tokens"
)

// Classic users: "test" may only pull, "testpush" is in group pusher.
const (
	Service  = "registry.test"
	Issuer   = "regauth-integration"
	Password = "password"
)

// ACL is the classic rules with additions that catalog filtering needs: alice sees only her
// namespace, bob may do nothing, and anonymous users may pull public/* and list what they
// can pull.
const ACL = `rules:
  - match: {account: bob}
    actions: []
    comment: bob may sign in and nothing else
  - match: {group: admins}
    actions: ["*"]
  - match: {account: alice, type: repository, name: "alice/*"}
    actions: [pull, push]
    comment: alice owns alice/*
  - match: {account: alice, type: repository}
    actions: []
    comment: alice sees nothing else
  - match: {group: pusher, type: repository}
    actions: [pull, push]
  - match: {account: "/.+/", type: repository}
    actions: [pull]
  - match: {account: "/.+/", type: registry, name: catalog}
    actions: ["*"]
  - match: {account: "", type: repository, name: "public/*"}
    actions: [pull]
  - match: {account: "", type: registry, name: catalog}
    actions: ["*"]
`

// RegistryConfig is what a registry needs to trust regauth.
type RegistryConfig struct {
	Realm, Service, Issuer, RootCertBundle, JWKS, StorageDir string
}

// NewRegistry builds the registry handler under test.
type NewRegistry func(cfg RegistryConfig) (http.Handler, error)

// Stack is a running regauth with a registry behind it.
type Stack struct {
	Dir       string
	URL       string // https://127.0.0.1:port
	Host      string // 127.0.0.1:port, as image references use it
	Transport http.RoundTripper
	Issuer    *tokens.Issuer
	Keys      *tokens.KeyPair
	Users     *auth.Store
	ACL       *acl.Store
	Server    *httptest.Server
	htpasswd  map[string]string // user -> password, to rewrite the file
	groups    string
}

// Start brings up the stack; it is torn down with the test.
func Start(t testing.TB, newRegistry NewRegistry) *Stack {
	t.Helper()
	dir := t.TempDir()
	st := &Stack{
		Dir:      dir,
		htpasswd: map[string]string{"test": Password, "testpush": Password, "admin": Password, "alice": Password, "bob": Password},
		groups:   "pusher: testpush\nadmins: admin\n",
	}
	st.writeUsers(t)
	if err := os.WriteFile(filepath.Join(dir, "groups"), []byte(st.groups), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "acl.yaml"), []byte(ACL), 0o644); err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo}))

	var err error
	st.Users, err = auth.NewStore(auth.StoreOptions{HtpasswdPath: filepath.Join(dir, "htpasswd"), GroupsPath: filepath.Join(dir, "groups"), Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	st.ACL, err = acl.NewStore(filepath.Join(dir, "acl.yaml"), logger)
	if err != nil {
		t.Fatal(err)
	}
	gen, err := tokens.EnsureKeys(filepath.Join(dir, "token"), "ES256", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	st.Keys = gen.KeyPair
	keys := tokens.StaticKeys{Pair: gen.KeyPair}
	st.Issuer, err = tokens.NewIssuer(tokens.IssuerOptions{Issuer: Issuer, Service: Service, TTL: 5 * time.Minute, RefreshTTL: time.Hour, Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	jwks, err := tokens.BuildJWKS(keys)
	if err != nil {
		t.Fatal(err)
	}
	jwksPath := filepath.Join(dir, "token", "jwks.json")
	if err := os.WriteFile(jwksPath, jwks.JSON(), 0o644); err != nil {
		t.Fatal(err)
	}

	ts := httptest.NewUnstartedServer(nil)
	st.Host = ts.Listener.Addr().String()
	st.URL = "https://" + st.Host
	reg, err := newRegistry(RegistryConfig{
		Realm: st.URL + "/auth", Service: Service, Issuer: Issuer,
		RootCertBundle: gen.RootFile, JWKS: jwksPath, StorageDir: filepath.Join(dir, "registry"),
	})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Options{
		Logger: logger, Authenticator: st.Users, Directory: st.Users, Authorizer: st.ACL,
		Issuer: st.Issuer, Keys: keys, Registry: reg,
	})
	if err != nil {
		t.Fatal(err)
	}
	ts.Config.Handler = srv.Handler()
	ts.EnableHTTP2 = true
	ts.StartTLS()
	t.Cleanup(ts.Close)
	st.Server = ts
	st.Transport = ts.Client().Transport
	return st
}

// SetPassword rewrites the htpasswd file with a new password for user and reloads it, as an
// admin changing a password would.
func (st *Stack) SetPassword(t testing.TB, user, password string) {
	t.Helper()
	st.htpasswd[user] = password
	st.writeUsers(t)
	if err := st.Users.Reload(); err != nil {
		t.Fatal(err)
	}
}

func (st *Stack) writeUsers(t testing.TB) {
	t.Helper()
	var b strings.Builder
	for _, u := range []string{"test", "testpush", "admin", "alice", "bob"} {
		h, err := auth.HashBcrypt(auth.Password(st.htpasswd[u]), 4)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s:%s\n", u, h)
	}
	if err := os.WriteFile(filepath.Join(st.Dir, "htpasswd"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// Client is an HTTP client that trusts the stack's certificate.
func (st *Stack) Client() *http.Client {
	return &http.Client{Transport: st.Transport, Timeout: 30 * time.Second}
}

// TLSConfig trusts the stack's certificate, for clients that take one.
func (st *Stack) TLSConfig() *tls.Config {
	return st.Server.Client().Transport.(*http.Transport).TLSClientConfig.Clone()
}

// Get performs a GET with optional Basic credentials and returns status and body.
func (st *Stack) Get(ctx context.Context, path, user, password string) (int, http.Header, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, st.URL+path, nil)
	if err != nil {
		return 0, nil, nil, err
	}
	if user != "" {
		req.SetBasicAuth(user, password)
	}
	resp, err := st.Client().Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, body, err
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
