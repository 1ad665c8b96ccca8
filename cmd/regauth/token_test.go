package main

import (
	"encoding/json"
	"encoding/pem"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/regauth/regauth/acl"
	"github.com/regauth/regauth/auth"
	"github.com/regauth/regauth/server"
	"github.com/regauth/regauth/tokens"
)

// tokenServer is the real token service over TLS, wired from real stores the way app does.
type tokenServer struct {
	url    string
	caFile string
	issuer *tokens.Issuer
}

func startTokenServer(t *testing.T, e *testEnv) *tokenServer {
	t.Helper()
	users, err := auth.NewStore(auth.StoreOptions{HtpasswdPath: e.htpasswd, GroupsPath: e.groups})
	if err != nil {
		t.Fatal(err)
	}
	rules, err := acl.NewStore(e.aclFile, nil)
	if err != nil {
		t.Fatal(err)
	}
	gen, err := tokens.EnsureKeys(filepath.Join(e.dir, "token"), "ES256", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	keys := tokens.StaticKeys{Pair: gen.KeyPair}
	issuer, err := tokens.NewIssuer(tokens.IssuerOptions{
		Issuer: "regauth-test", Service: "registry.test", TTL: 5 * time.Minute, RefreshTTL: time.Hour, Keys: keys,
	})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Options{
		Logger: slog.New(slog.DiscardHandler), Authenticator: users, Directory: users,
		Authorizer: rules, Issuer: issuer, Keys: keys,
	})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewTLSServer(srv.Handler())
	t.Cleanup(ts.Close)
	ca := filepath.Join(e.dir, "server-ca.pem")
	e.write(ca, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ts.Certificate().Raw})))
	return &tokenServer{url: ts.URL, caFile: ca, issuer: issuer}
}

func newTokenEnv(t *testing.T) (*testEnv, *tokenServer) {
	e := newTestEnv(t)
	e.write(e.aclFile, string(acl.ClassicYAML()))
	e.write(e.groups, "pusher: bob\n")
	e.addUser("bob", "Bob-token-pw-1")
	e.addUser("alice", "Alice-token-pw-1")
	return e, startTokenServer(t, e)
}

func TestTokenPrintsATokenTheIssuerAccepts(t *testing.T) {
	e, ts := newTokenEnv(t)
	t.Setenv(PasswordEnv, "Bob-token-pw-1")
	stdout, _ := e.mustRun(0, "", "token", "--server", ts.url, "--user", "bob", "--cacert", ts.caFile,
		"--scope", "repository:team/app:pull,push", "--scope", "repository:other:delete")
	token := strings.TrimSpace(stdout)
	if strings.Count(token, ".") != 2 || strings.ContainsAny(token, " \n{") {
		t.Fatalf("stdout is not just a JWT: %q", stdout)
	}
	claims, err := ts.issuer.VerifyAccess(token)
	if err != nil {
		t.Fatalf("VerifyAccess: %v", err)
	}
	if claims.Subject != "bob" || claims.Audience != "registry.test" {
		t.Errorf("claims = %+v", claims)
	}
	// The ACL grants what it grants; refused scopes are left out, not an error.
	if len(claims.Access) != 1 || claims.Access[0].Name != "team/app" || !slices.Equal(claims.Access[0].Actions, []string{"pull", "push"}) {
		t.Errorf("access = %+v; want pull,push on team/app only", claims.Access)
	}
}

func TestTokenReadsThePasswordFromStdinAndPrintsJSON(t *testing.T) {
	e, ts := newTokenEnv(t)
	e.secret("Alice-token-pw-1")
	stdout, _ := e.mustRun(0, "Alice-token-pw-1\n", "token", "--server", ts.url+"/", "--user", "alice", "--insecure",
		"--json", "--offline", "--service", "registry.test", "--scope", "repository:team/app:pull")
	var answer struct {
		Token        string `json:"token"`
		AccessToken  string `json:"access_token"`
		ExpiresIn    int    `json:"expires_in"`
		RefreshToken string `json:"refresh_token"`
	}
	if err := json.Unmarshal([]byte(stdout), &answer); err != nil {
		t.Fatalf("--json output is not JSON: %v\n%s", err, stdout)
	}
	if answer.Token == "" || answer.Token != answer.AccessToken || answer.ExpiresIn != 300 || answer.RefreshToken == "" {
		t.Errorf("answer = %+v", answer)
	}
	if _, err := ts.issuer.VerifyRefresh(answer.RefreshToken); err != nil {
		t.Errorf("refresh token: %v", err)
	}
}

func TestTokenFailuresPrintTheServersMessage(t *testing.T) {
	e, ts := newTokenEnv(t)
	tests := []struct {
		name     string
		password string
		args     []string
		code     int
		want     string
	}{
		{"a wrong password", "Wrong-pw-999", []string{"--user", "bob", "--cacert", ts.caFile}, 1, "401 Unauthorized: invalid username or password"},
		{"an unknown user", "Bob-token-pw-1", []string{"--user", "mallory", "--cacert", ts.caFile}, 1, "invalid username or password"},
		{"a malformed scope", "Bob-token-pw-1", []string{"--user", "bob", "--cacert", ts.caFile, "--scope", "nonsense"}, 2, "invalid scope"},
		{"another service", "Bob-token-pw-1", []string{"--user", "bob", "--cacert", ts.caFile, "--service", "other"}, 2, `unknown service "other"`},
		{"an untrusted certificate", "Bob-token-pw-1", []string{"--user", "bob"}, 1, "certificate"},
		{"both --insecure and --cacert", "Bob-token-pw-1", []string{"--user", "bob", "--insecure", "--cacert", ts.caFile}, 2, "none of the others can be"},
		{"no user", "Bob-token-pw-1", []string{}, 2, `"user" not set`},
		{"a password flag does not exist", "Bob-token-pw-1", []string{"--user", "bob", "--password", "x"}, 2, "unknown flag"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(PasswordEnv, e.secret(tt.password))
			code, stdout, stderr := e.run("", append([]string{"token", "--server", ts.url}, tt.args...)...)
			if code != tt.code {
				t.Errorf("exit %d, want %d; stderr: %s", code, tt.code, stderr)
			}
			if stdout != "" {
				t.Errorf("a failure printed to stdout: %q", stdout)
			}
			mustContain(t, "stderr", stderr, tt.want)
		})
	}
	code, _, stderr := e.run("", "token", "--server", ts.url, "--user", "bob", "--insecure")
	if code != 2 || !strings.Contains(stderr, "REGAUTH_PASSWORD") {
		t.Errorf("no password at all: exit %d, stderr %s", code, stderr)
	}
	code, _, stderr = e.run("", "token", "--server", "ftp://x", "--user", "bob")
	if code != 2 || !strings.Contains(stderr, "--server") {
		t.Errorf("a bad server URL: exit %d, stderr %s", code, stderr)
	}
}

func TestTokenDoesNotFollowRedirectsWithCredentials(t *testing.T) {
	e := newTestEnv(t)
	var sawAuth bool
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _, sawAuth = r.BasicAuth()
	}))
	defer target.Close()
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL+"/auth", http.StatusFound)
	}))
	defer redirector.Close()
	t.Setenv(PasswordEnv, e.secret("Redirect-pw-1"))
	code, _, stderr := e.run("", "token", "--server", redirector.URL, "--user", "bob")
	if code != 1 || sawAuth {
		t.Errorf("exit %d, credentials sent on: %v; stderr %s", code, sawAuth, stderr)
	}
}
