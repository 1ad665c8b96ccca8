package server_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/regauth/regauth/acl"
	"github.com/regauth/regauth/auth"
	"github.com/regauth/regauth/server"
	"github.com/regauth/regauth/tokens"
)

const (
	testService = "registry.example.test"
	testIssuer  = "regauth-test"
	testRealm   = "regauth test"
)

// The fixture's users: alice may only pull (and owns alice/*), bob is in group pusher, carol
// is in group admins. The passwords are distinctive so that a leak into the logs is easy to spot.
var testPasswords = map[string]string{
	"alice": "alice-Pa55word-7f3a",
	"bob":   "bob-Pa55word-91c2",
	"carol": "carol-Pa55word-e04d",
}

// extraRules go above the classic rules: personal namespaces, anonymous pull on public/*, and
// push to internal/* for alice from the internal network only.
const extraRules = `rules:
  - match: {account: "/.+/", name: "${account}/*"}
    actions: [pull, push, delete]
    comment: everyone owns a personal namespace

  - match: {account: "", type: repository, name: "public/*"}
    actions: [pull]
    comment: anonymous users may pull public/*

  - match: {account: alice, type: repository, name: "internal/*", ip: 10.0.0.0/8}
    actions: [pull, push]
    comment: alice may push internal images from the internal network

`

func testACL(t testing.TB) []byte {
	t.Helper()
	classic := string(acl.ClassicYAML())
	if strings.Count(classic, "\nrules:\n") != 1 {
		t.Fatal(`acl.ClassicYAML no longer has exactly one "rules:" line; fix testACL`)
	}
	return []byte(strings.Replace(classic, "\nrules:\n", "\n"+extraRules, 1))
}

// fixture is a token service built from real parts: an htpasswd and a group file, an acl.yaml,
// and a generated ES256 key with its root certificate, all under t.TempDir().
type fixture struct {
	dir       string
	handler   http.Handler
	issuer    *tokens.Issuer
	keyPair   *tokens.KeyPair
	users     *auth.Store
	passwords map[string]string
	logs      *syncBuffer
}

func newFixture(t testing.TB, options ...func(*server.Options)) *fixture {
	t.Helper()
	f := &fixture{dir: t.TempDir(), passwords: maps.Clone(testPasswords), logs: &syncBuffer{}}
	logger := slog.New(slog.NewJSONHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))

	f.writeHtpasswd(t)
	groupsPath := filepath.Join(f.dir, "groups")
	writeFile(t, groupsPath, []byte("pusher: bob\nadmins: carol\n"))
	aclPath := filepath.Join(f.dir, "acl.yaml")
	writeFile(t, aclPath, testACL(t))

	var err error
	f.users, err = auth.NewStore(auth.StoreOptions{
		HtpasswdPath: filepath.Join(f.dir, "htpasswd"), GroupsPath: groupsPath, Logger: logger,
	})
	if err != nil {
		t.Fatal(err)
	}
	rules, err := acl.NewStore(aclPath, logger)
	if err != nil {
		t.Fatal(err)
	}
	if got := rules.Policy().Len(); got != 7 {
		t.Fatalf("acl has %d rules, want 3 extra + 4 classic", got)
	}
	gen, err := tokens.EnsureKeys(filepath.Join(f.dir, "token"), "ES256", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	f.keyPair = gen.KeyPair
	keys := tokens.StaticKeys{Pair: gen.KeyPair}
	f.issuer, err = tokens.NewIssuer(tokens.IssuerOptions{
		Issuer: testIssuer, Service: testService, TTL: 5 * time.Minute, RefreshTTL: 24 * time.Hour, Keys: keys,
	})
	if err != nil {
		t.Fatal(err)
	}
	opts := server.Options{
		Logger: logger, Authenticator: f.users, Directory: f.users, Authorizer: rules,
		Issuer: f.issuer, Keys: keys, BasicRealm: testRealm,
	}
	for _, o := range options {
		o(&opts)
	}
	srv, err := server.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	f.handler = srv.Handler()
	return f
}

func (f *fixture) writeHtpasswd(t testing.TB) {
	t.Helper()
	var b strings.Builder
	for _, user := range slices.Sorted(maps.Keys(f.passwords)) {
		h, err := auth.HashBcrypt(auth.Password(f.passwords[user]), 4)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s:%s\n", user, h)
	}
	writeFile(t, filepath.Join(f.dir, "htpasswd"), []byte(b.String()))
}

// setPassword and deleteUser do what an admin does: rewrite the file, then reload.
func (f *fixture) setPassword(t testing.TB, user, password string) {
	t.Helper()
	f.passwords[user] = password
	f.writeHtpasswd(t)
	if err := f.users.Reload(); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) deleteUser(t testing.TB, user string) {
	t.Helper()
	delete(f.passwords, user)
	f.writeHtpasswd(t)
	if err := f.users.Reload(); err != nil {
		t.Fatal(err)
	}
}

func writeFile(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// syncBuffer is a bytes.Buffer the server may log into from any goroutine.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Requests.

func basic(user, password string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+password))
}

// basicFor is the Authorization header of a fixture user with the right password, or none for "".
func (f *fixture) basicFor(user string) string {
	if user == "" {
		return ""
	}
	return basic(user, f.passwords[user])
}

// params builds a query or form from key, value pairs; a key may repeat.
func params(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return v
}

func (f *fixture) serve(req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	f.handler.ServeHTTP(rec, req)
	return rec
}

func (f *fixture) get(authorization string, query url.Values) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, "/auth?"+query.Encode(), nil)
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	return f.serve(req)
}

func (f *fixture) post(form url.Values) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/auth", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return f.serve(req)
}

// Responses.

type tokenReply struct {
	Token        string `json:"token"`
	AccessToken  string `json:"access_token"`
	ExpiresIn    int    `json:"expires_in"`
	IssuedAt     string `json:"issued_at"`
	RefreshToken string `json:"refresh_token"`
}

type errorReply struct {
	Errors []struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"errors"`
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
}

// checkNoStoreJSON holds for every answer of the token endpoint, good or bad.
func checkNoStoreJSON(t testing.TB, h http.Header) {
	t.Helper()
	if mt, _, err := mime.ParseMediaType(h.Get("Content-Type")); err != nil || mt != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", h.Get("Content-Type"))
	}
	if cc := h.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
		t.Errorf("Cache-Control = %q, want no-store", cc)
	}
}

// granted checks what every successful token response must satisfy and returns the reply and
// the claims of its access token, verified as the registry would.
func (f *fixture) granted(t testing.TB, rec *httptest.ResponseRecorder) (tokenReply, tokens.AccessClaims) {
	t.Helper()
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d, want 200; body %s", rec.Code, rec.Body)
	}
	checkNoStoreJSON(t, rec.Header())
	if cl := rec.Header().Get("Content-Length"); cl != strconv.Itoa(rec.Body.Len()) {
		t.Errorf("Content-Length = %q for a body of %d bytes", cl, rec.Body.Len())
	}
	var r tokenReply
	if err := json.Unmarshal(rec.Body.Bytes(), &r); err != nil {
		t.Fatalf("decode token response %s: %v", rec.Body, err)
	}
	if r.Token == "" || r.Token != r.AccessToken {
		t.Errorf("token %q and access_token %q must be the same non-empty value", r.Token, r.AccessToken)
	}
	if r.ExpiresIn < 60 {
		t.Errorf("expires_in = %d, want >= 60", r.ExpiresIn)
	}
	issued, err := time.Parse(time.RFC3339, r.IssuedAt)
	if err != nil {
		t.Errorf("issued_at %q is not RFC 3339: %v", r.IssuedAt, err)
	} else if d := time.Since(issued); d < -time.Minute || d > time.Minute {
		t.Errorf("issued_at %s is %s away from now", r.IssuedAt, d)
	}
	claims, err := f.issuer.VerifyAccess(r.Token)
	if err != nil {
		t.Fatalf("the issued token does not verify: %v", err)
	}
	if claims.Audience != testService || claims.Issuer != testIssuer {
		t.Errorf("aud %q iss %q, want %q %q", claims.Audience, claims.Issuer, testService, testIssuer)
	}
	return r, claims
}

// refused checks an error response: status, the JSON body both docker and OAuth2 clients read,
// and a Basic challenge on (and only on) a 401.
func refused(t testing.TB, rec *httptest.ResponseRecorder, status int, oauthCode, registryCode string) errorReply {
	t.Helper()
	if rec.Code != status {
		t.Fatalf("status %d, want %d; body %s", rec.Code, status, rec.Body)
	}
	checkNoStoreJSON(t, rec.Header())
	var e errorReply
	if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil {
		t.Fatalf("decode error response %s: %v", rec.Body, err)
	}
	if len(e.Errors) != 1 || e.Errors[0].Code != registryCode {
		t.Errorf("errors = %+v, want one with code %s", e.Errors, registryCode)
	}
	if e.Error != oauthCode {
		t.Errorf("error = %q, want %q", e.Error, oauthCode)
	}
	if e.ErrorDescription == "" || len(e.Errors) == 1 && e.Errors[0].Message != e.ErrorDescription {
		t.Errorf("error_description %q and errors[0].message must be the same non-empty text", e.ErrorDescription)
	}
	challenge := rec.Header().Get("WWW-Authenticate")
	switch {
	case status == http.StatusUnauthorized && challenge != `Basic realm="regauth test"`:
		t.Errorf("WWW-Authenticate = %q, want the Basic challenge", challenge)
	case status != http.StatusUnauthorized && challenge != "":
		t.Errorf("WWW-Authenticate = %q on a %d", challenge, status)
	}
	return e
}

// scopesOf renders a token's access list in scope grammar, for readable comparisons.
func scopesOf(access []tokens.ResourceActions) []string {
	var out []string
	for _, a := range access {
		out = append(out, tokens.Scope{Type: a.Type, Class: a.Class, Name: a.Name, Actions: a.Actions}.String())
	}
	return out
}

// GET /auth: the Docker token protocol.

func TestGetGrantsWhatTheACLAllows(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, tc := range []struct {
		name      string
		user      string   // "" is anonymous: no Authorization header
		scopes    []string // one scope= parameter each
		extra     []string // more key, value pairs
		noService bool
		want      []string
	}{
		{name: "a pull-only user pulls one repository", user: "alice",
			scopes: []string{"repository:team/app:pull"}, want: []string{"repository:team/app:pull"}},
		{name: "a pull-only user asking push,pull gets only pull", user: "alice",
			scopes: []string{"repository:team/app:push,pull"}, want: []string{"repository:team/app:pull"}},
		{name: "a pusher asking push,pull gets both in that order", user: "bob",
			scopes: []string{"repository:team/app:push,pull"}, want: []string{"repository:team/app:push,pull"}},
		{name: "a pusher asking pull,push gets both in that order", user: "bob",
			scopes: []string{"repository:team/app:pull,push"}, want: []string{"repository:team/app:pull,push"}},
		{name: "repeated scope parameters each get an entry", user: "alice",
			scopes: []string{"repository:team/a:pull", "repository:team/b:pull"},
			want:   []string{"repository:team/a:pull", "repository:team/b:pull"}},
		{name: "space-joined scopes in one parameter each get an entry", user: "alice",
			scopes: []string{"repository:team/a:pull repository:team/b:pull"},
			want:   []string{"repository:team/a:pull", "repository:team/b:pull"}},
		{name: "two scopes naming one repository are merged into one entry", user: "bob",
			scopes: []string{"repository:team/app:pull", "repository:team/app:push"},
			want:   []string{"repository:team/app:pull,push"}},
		{name: "a name with a registry host and port keeps its colons", user: "alice",
			scopes: []string{"repository:localhost:5000/team/app:pull"}, want: []string{"repository:localhost:5000/team/app:pull"}},
		{name: "the catalog scope with * is granted to a signed-in user", user: "alice",
			scopes: []string{"registry:catalog:*"}, want: []string{"registry:catalog:*"}},
		{name: "a resource class is carried into the token", user: "alice",
			scopes: []string{"repository(plugin):team/app:pull"}, want: []string{"repository(plugin):team/app:pull"}},
		{name: "a user may push to their own namespace", user: "alice",
			scopes: []string{"repository:alice/tool:push,pull"}, want: []string{"repository:alice/tool:push,pull"}},
		{name: "an admin may delete", user: "carol",
			scopes: []string{"repository:team/app:delete"}, want: []string{"repository:team/app:delete"}},
		{name: "docker login without a scope gets a token with empty access", user: "alice",
			extra: []string{"account", "alice", "client_id", "docker"}},
		{name: "a request without service means this registry", user: "alice", noService: true,
			scopes: []string{"repository:team/app:pull"}, want: []string{"repository:team/app:pull"}},
		{name: "a signed-in user denied push gets 200 with empty access", user: "alice",
			scopes: []string{"repository:team/app:push"}},
		{name: "a signed-in user denied push on two repositories gets 200 with empty access", user: "alice",
			scopes: []string{"repository:team/a:push repository:team/b:push"}},
		{name: "a user asking push in another user's namespace gets only pull", user: "alice",
			scopes: []string{"repository:bob/tool:push,pull"}, want: []string{"repository:bob/tool:pull"}},
		{name: "an allowed and a denied scope give a token with only the allowed one", user: "alice",
			scopes: []string{"repository:team/app:push", "repository:alice/tool:push"}, want: []string{"repository:alice/tool:push"}},
		{name: "anonymous pulls from public/*",
			scopes: []string{"repository:public/base:pull"}, want: []string{"repository:public/base:pull"}},
		{name: "anonymous asking push,pull on public/* gets only pull",
			scopes: []string{"repository:public/base:push,pull"}, want: []string{"repository:public/base:pull"}},
		{name: "anonymous asking for a private repository gets 200 with empty access",
			scopes: []string{"repository:team/app:pull"}},
		{name: "anonymous asking for the catalog gets 200 with empty access",
			scopes: []string{"registry:catalog:*"}},
		{name: "anonymous never owns a namespace, not even the empty one",
			scopes: []string{"repository:/x:pull"}},
		{name: "an account parameter without credentials is ignored", extra: []string{"account", "alice"},
			scopes: []string{"repository:alice/tool:pull"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := params(tc.extra...)
			if !tc.noService {
				q.Set("service", testService)
			}
			for _, s := range tc.scopes {
				q.Add("scope", s)
			}
			reply, claims := f.granted(t, f.get(f.basicFor(tc.user), q))
			if got := scopesOf(claims.Access); !slices.Equal(got, tc.want) {
				t.Errorf("access = %q, want %q", got, tc.want)
			}
			if claims.Subject != tc.user {
				t.Errorf("sub = %q, want %q", claims.Subject, tc.user)
			}
			if reply.RefreshToken != "" {
				t.Error("a refresh token was issued without offline_token=true")
			}
		})
	}
}

// The registry reads "access": [] and "access": null alike, but a list is what the spec shows.
func TestTokenWithoutScopeCarriesAnEmptyAccessList(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	reply, _ := f.granted(t, f.get(f.basicFor("alice"), params("service", testService, "account", "alice")))
	parts := strings.Split(reply.Token, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d parts", len(parts))
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims map[string]json.RawMessage
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatal(err)
	}
	if got := string(claims["access"]); got != "[]" {
		t.Errorf("access = %s, want []", got)
	}
}

func TestGetIssuesARefreshTokenOnlyWhenAskedAndSignedIn(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, tc := range []struct {
		name        string
		user        string
		query       url.Values
		wantRefresh bool
	}{
		{"docker login with offline_token=true gets a refresh token", "alice",
			params("account", "alice", "client_id", "docker", "offline_token", "true", "service", testService), true},
		{"a token request with a scope and offline_token=true gets one too", "bob",
			params("client_id", "docker", "offline_token", "true", "service", testService, "scope", "repository:team/app:pull"), true},
		{"a request without offline_token gets none", "alice",
			params("client_id", "docker", "service", testService, "scope", "repository:team/app:pull"), false},
		{"offline_token=false gets none", "alice",
			params("client_id", "docker", "offline_token", "false", "service", testService), false},
		{"anonymous with offline_token=true gets none", "",
			params("client_id", "docker", "offline_token", "true", "service", testService, "scope", "repository:public/base:pull"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reply, _ := f.granted(t, f.get(f.basicFor(tc.user), tc.query))
			if !tc.wantRefresh {
				if reply.RefreshToken != "" {
					t.Errorf("got a refresh token, want none")
				}
				return
			}
			claims, err := f.issuer.VerifyRefresh(reply.RefreshToken)
			if err != nil {
				t.Fatalf("refresh token does not verify: %v", err)
			}
			if claims.Subject != tc.user || claims.ClientID != "docker" {
				t.Errorf("refresh token sub %q client_id %q, want %q docker", claims.Subject, claims.ClientID, tc.user)
			}
			if _, err := f.issuer.VerifyAccess(reply.RefreshToken); err == nil {
				t.Error("the refresh token is also accepted as an access token")
			}
		})
	}
}

func TestGetRefusesBadOrMalformedCredentialsWith401(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, tc := range []struct {
		name          string
		authorization string
		wantMessage   string
	}{
		{"a wrong password", basic("alice", "wrong-password"), "invalid username or password"},
		{"an unknown user", basic("mallory", "whatever"), "invalid username or password"},
		{"another user's password", basic("alice", testPasswords["bob"]), "invalid username or password"},
		{"an empty user name and password", basic("", ""), "invalid username or password"},
		{"the right password with a trailing newline", basic("alice", testPasswords["alice"]+"\n"), "invalid username or password"},
		{"a Bearer token instead of Basic", "Bearer xyz", "malformed Authorization header"},
		{"Basic credentials that are not base64", "Basic !!!notbase64", "malformed Authorization header"},
		{"Basic credentials without a colon", "Basic " + base64.StdEncoding.EncodeToString([]byte("alice")), "malformed Authorization header"},
		{"the word Basic alone", "Basic", "malformed Authorization header"},
		{"Digest credentials", `Digest username="alice", realm="regauth test"`, "malformed Authorization header"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := params("service", testService, "scope", "repository:team/app:pull", "offline_token", "true")
			e := refused(t, f.get(tc.authorization, q), http.StatusUnauthorized, "invalid_grant", "UNAUTHORIZED")
			if !strings.Contains(e.ErrorDescription, tc.wantMessage) {
				t.Errorf("error_description %q does not say %q", e.ErrorDescription, tc.wantMessage)
			}
		})
	}
}

// Nothing in a refused login may tell a wrong password from an unknown user.
func TestFailedLoginsForUnknownUsersAndWrongPasswordsAreIdentical(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, tc := range []struct {
		name                  string
		wrongPass, noSuchUser *httptest.ResponseRecorder
	}{
		{"on GET with Basic credentials",
			f.get(basic("alice", "wrong-password"), params("service", testService)),
			f.get(basic("mallory", "wrong-password"), params("service", testService))},
		{"on POST with the password grant",
			f.post(params("grant_type", "password", "username", "alice", "password", "wrong-password", "service", testService)),
			f.post(params("grant_type", "password", "username", "mallory", "password", "wrong-password", "service", testService))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			refused(t, tc.wrongPass, http.StatusUnauthorized, "invalid_grant", "UNAUTHORIZED")
			refused(t, tc.noSuchUser, http.StatusUnauthorized, "invalid_grant", "UNAUTHORIZED")
			if !bytes.Equal(tc.wrongPass.Body.Bytes(), tc.noSuchUser.Body.Bytes()) {
				t.Errorf("bodies differ:\nwrong password: %s\nunknown user:   %s", tc.wrongPass.Body, tc.noSuchUser.Body)
			}
			for _, h := range []string{"WWW-Authenticate", "Content-Type", "Cache-Control", "Content-Length"} {
				if a, b := tc.wrongPass.Header().Get(h), tc.noSuchUser.Header().Get(h); a != b {
					t.Errorf("%s differs: %q vs %q", h, a, b)
				}
			}
		})
	}
}

func TestGetRefusesMalformedScopesWith400(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	var many, manyActions []string
	for i := range 65 {
		many = append(many, fmt.Sprintf("repository:team/app%d:pull", i))
	}
	for i := range 17 {
		manyActions = append(manyActions, fmt.Sprintf("a%d", i))
	}
	for _, tc := range []struct {
		name   string
		scopes []string
	}{
		{"a scope without any colon", []string{"repository"}},
		{"a scope without actions", []string{"repository:team/app"}},
		{"a scope with an empty name", []string{"repository::pull"}},
		{"a scope with an empty action list", []string{"repository:team/app:"}},
		{"a scope with an empty action between commas", []string{"repository:team/app:pull,,push"}},
		{"a scope with a bad character in an action", []string{"repository:team/app:pu$h"}},
		{"a scope with an empty type", []string{":team/app:pull"}},
		{"a scope with an unclosed resource class", []string{"repository(plugin:team/app:pull"}},
		{"a scope with an empty resource class", []string{"repository():team/app:pull"}},
		{"a CRLF trying to inject a header", []string{"repository:team/app:pull\r\nSet-Cookie: session=evil"}},
		{"a CRLF inside the name", []string{"repository:team\r\nX-Injected: 1:pull"}},
		{"a NUL byte in the name", []string{"repository:team\x00app:pull"}},
		{"a quote in the name", []string{`repository:te"am:pull`}},
		{"a backslash in the name", []string{`repository:te\am:pull`}},
		{"a comma in the name", []string{"repository:team,app:x:pull"}},
		{"a scope longer than 1 KiB", []string{"repository:" + strings.Repeat("a", 1100) + ":pull"}},
		{"a name longer than 512 bytes", []string{"repository:" + strings.Repeat("a", 600) + ":pull"}},
		{"a megabyte of scope", []string{strings.Repeat("a:", 1<<19)}},
		{"more than 64 scopes in one parameter", []string{strings.Join(many, " ")}},
		{"more than 64 scopes as repeated parameters", many},
		{"more than 16 actions", []string{"repository:team/app:" + strings.Join(manyActions, ",")}},
		{"one good scope and one bad one", []string{"repository:team/app:pull", "nonsense"}},
	} {
		for _, user := range []string{"", "alice"} {
			who := "from anonymous"
			if user != "" {
				who = "from " + user
			}
			t.Run(tc.name+" "+who, func(t *testing.T) {
				q := params("service", testService)
				for _, s := range tc.scopes {
					q.Add("scope", s)
				}
				rec := f.get(f.basicFor(user), q)
				e := refused(t, rec, http.StatusBadRequest, "invalid_scope", "DENIED")
				if strings.ContainsAny(e.ErrorDescription, "\r\n\x00") {
					t.Errorf("error_description carries raw control characters: %q", e.ErrorDescription)
				}
				if len(e.ErrorDescription) > 2048 {
					t.Errorf("error_description is %d bytes long: the scope is echoed whole", len(e.ErrorDescription))
				}
				for _, h := range []string{"Set-Cookie", "X-Injected"} {
					if v := rec.Header().Get(h); v != "" {
						t.Errorf("response carries %s: %q", h, v)
					}
				}
			})
		}
	}
}

func TestGetRefusesRequestsForSomethingElseWith400(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, tc := range []struct {
		name          string
		authorization string
		query         url.Values
	}{
		{"an unknown service", f.basicFor("alice"),
			params("service", "other.example", "scope", "repository:team/app:pull")},
		{"an unknown service asked anonymously", "",
			params("service", "other.example", "scope", "repository:public/base:pull")},
		{"a very long unknown service", f.basicFor("alice"),
			params("service", strings.Repeat("s", 10000))},
		{"an account that does not match the Basic user", f.basicFor("alice"),
			params("service", testService, "account", "bob", "offline_token", "true")},
		{"an account that differs from the Basic user only in case", f.basicFor("alice"),
			params("service", testService, "account", "Alice")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := refused(t, f.get(tc.authorization, tc.query), http.StatusBadRequest, "invalid_request", "DENIED")
			if len(e.ErrorDescription) > 512 {
				t.Errorf("error_description is %d bytes long: client input is echoed whole", len(e.ErrorDescription))
			}
		})
	}
}

// Client addresses feed ip rules, so a forged X-Forwarded-For must not change a decision.
func TestGetDecidesIPRulesOnTheConnectionAddress(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, tc := range []struct {
		name          string
		remoteAddr    string
		forwardedFor  string
		wantScopeList []string
	}{
		{"a client on the internal network may push", "10.1.2.3:40000", "",
			[]string{"repository:internal/app:pull,push"}},
		{"an IPv4-mapped IPv6 internal address counts as internal", "[::ffff:10.1.2.3]:40000", "",
			[]string{"repository:internal/app:pull,push"}},
		{"an outside client may only pull", "192.0.2.7:40000", "",
			[]string{"repository:internal/app:pull"}},
		{"an outside client claiming an internal X-Forwarded-For may only pull", "192.0.2.7:40000", "10.1.2.3",
			[]string{"repository:internal/app:pull"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := params("service", testService, "scope", "repository:internal/app:pull,push")
			req := httptest.NewRequest(http.MethodGet, "/auth?"+q.Encode(), nil)
			req.RemoteAddr = tc.remoteAddr
			req.Header.Set("Authorization", f.basicFor("alice"))
			if tc.forwardedFor != "" {
				req.Header.Set("X-Forwarded-For", tc.forwardedFor)
				req.Header.Set("X-Real-IP", tc.forwardedFor)
			}
			_, claims := f.granted(t, f.serve(req))
			if got := scopesOf(claims.Access); !slices.Equal(got, tc.wantScopeList) {
				t.Errorf("access = %q, want %q", got, tc.wantScopeList)
			}
		})
	}
}

// POST /auth: the OAuth2 form (containerd, buildx, nerdctl; docker after login).

func TestPostPasswordGrantIssuesTokens(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, tc := range []struct {
		name        string
		form        url.Values
		wantSub     string
		wantAccess  []string
		wantRefresh bool
	}{
		{"containerd's password grant with form credentials",
			params("grant_type", "password", "username", "bob", "password", testPasswords["bob"], "service", testService,
				"client_id", "containerd", "scope", "repository:team/app:pull,push"),
			"bob", []string{"repository:team/app:pull,push"}, false},
		{"space-joined scopes in the form are each decided",
			params("grant_type", "password", "username", "alice", "password", testPasswords["alice"], "service", testService,
				"scope", "repository:team/app:push,pull repository:alice/tool:push"),
			"alice", []string{"repository:team/app:pull", "repository:alice/tool:push"}, false},
		{"a password grant without scope gets empty access",
			params("grant_type", "password", "username", "alice", "password", testPasswords["alice"], "service", testService),
			"alice", nil, false},
		{"access_type=offline adds a refresh token",
			params("grant_type", "password", "username", "alice", "password", testPasswords["alice"], "service", testService,
				"client_id", "containerd", "access_type", "offline", "scope", "repository:team/app:pull"),
			"alice", []string{"repository:team/app:pull"}, true},
		{"a password grant without service means this registry",
			params("grant_type", "password", "username", "carol", "password", testPasswords["carol"], "scope", "repository:team/app:delete"),
			"carol", []string{"repository:team/app:delete"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reply, claims := f.granted(t, f.post(tc.form))
			if claims.Subject != tc.wantSub {
				t.Errorf("sub = %q, want %q", claims.Subject, tc.wantSub)
			}
			if got := scopesOf(claims.Access); !slices.Equal(got, tc.wantAccess) {
				t.Errorf("access = %q, want %q", got, tc.wantAccess)
			}
			if got := reply.RefreshToken != ""; got != tc.wantRefresh {
				t.Fatalf("refresh token present = %v, want %v", got, tc.wantRefresh)
			}
			if tc.wantRefresh {
				if _, err := f.issuer.VerifyRefresh(reply.RefreshToken); err != nil {
					t.Errorf("refresh token does not verify: %v", err)
				}
			}
		})
	}
}

func TestPostRefusesBadGrants(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, tc := range []struct {
		name                    string
		form                    url.Values
		status                  int
		oauthCode, registryCode string
	}{
		{"a password grant with a wrong password",
			params("grant_type", "password", "username", "alice", "password", "wrong-password", "service", testService),
			http.StatusUnauthorized, "invalid_grant", "UNAUTHORIZED"},
		{"a password grant for an unknown user",
			params("grant_type", "password", "username", "mallory", "password", "whatever", "service", testService),
			http.StatusUnauthorized, "invalid_grant", "UNAUTHORIZED"},
		{"a password grant without a password",
			params("grant_type", "password", "username", "alice", "service", testService),
			http.StatusUnauthorized, "invalid_grant", "UNAUTHORIZED"},
		{"a password grant without a username",
			params("grant_type", "password", "password", testPasswords["alice"], "service", testService),
			http.StatusBadRequest, "invalid_request", "UNAUTHORIZED"},
		{"an unsupported grant_type",
			params("grant_type", "client_credentials", "client_id", "x", "client_secret", "y", "service", testService),
			http.StatusBadRequest, "unsupported_grant_type", "UNSUPPORTED"},
		{"a missing grant_type",
			params("username", "alice", "password", testPasswords["alice"], "service", testService),
			http.StatusBadRequest, "invalid_request", "UNSUPPORTED"},
		{"an unknown service",
			params("grant_type", "password", "username", "alice", "password", testPasswords["alice"], "service", "other.example"),
			http.StatusBadRequest, "invalid_request", "DENIED"},
		{"a malformed scope",
			params("grant_type", "password", "username", "alice", "password", testPasswords["alice"], "service", testService,
				"scope", "repository:team/app:pull\r\nSet-Cookie: x=y"),
			http.StatusBadRequest, "invalid_scope", "DENIED"},
		{"a refresh grant without a refresh token",
			params("grant_type", "refresh_token", "service", testService, "client_id", "docker"),
			http.StatusBadRequest, "invalid_request", "UNAUTHORIZED"},
		{"a refresh grant with a token that is not a JWT",
			params("grant_type", "refresh_token", "refresh_token", "not-a-token", "service", testService, "client_id", "docker"),
			http.StatusUnauthorized, "invalid_grant", "UNAUTHORIZED"},
		{"a password grant whose credentials are only in a query string",
			nil, http.StatusBadRequest, "invalid_request", "UNSUPPORTED"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var rec *httptest.ResponseRecorder
			if tc.form == nil {
				q := params("grant_type", "password", "username", "alice", "password", testPasswords["alice"])
				req := httptest.NewRequest(http.MethodPost, "/auth?"+q.Encode(), strings.NewReader(""))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				rec = f.serve(req)
			} else {
				rec = f.post(tc.form)
			}
			refused(t, rec, tc.status, tc.oauthCode, tc.registryCode)
		})
	}
}

func TestPostTruncatesAnEchoedGrantType(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	rec := f.post(params("grant_type", strings.Repeat("x", 10000), "service", testService))
	e := refused(t, rec, http.StatusBadRequest, "unsupported_grant_type", "UNSUPPORTED")
	if len(e.ErrorDescription) > 512 {
		t.Errorf("error_description is %d bytes long", len(e.ErrorDescription))
	}
}

func TestPostRefusesBodiesThatAreNotASmallForm(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	okForm := params("grant_type", "password", "username", "alice", "password", testPasswords["alice"], "service", testService).Encode()
	var multipartBody bytes.Buffer
	mw := multipart.NewWriter(&multipartBody)
	for _, kv := range [][2]string{{"grant_type", "password"}, {"username", "alice"}, {"password", testPasswords["alice"]}} {
		if err := mw.WriteField(kv[0], kv[1]); err != nil {
			t.Fatal(err)
		}
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name        string
		contentType string
		body        string
	}{
		{"a form larger than 64 KiB", "application/x-www-form-urlencoded",
			okForm + "&pad=" + strings.Repeat("a", 64<<10)},
		{"a form of several megabytes", "application/x-www-form-urlencoded",
			okForm + "&pad=" + strings.Repeat("a", 8<<20)},
		{"a JSON body", "application/json",
			`{"grant_type":"password","username":"alice","password":"` + testPasswords["alice"] + `"}`},
		{"a multipart body", mw.FormDataContentType(), multipartBody.String()},
		{"a body without Content-Type", "", okForm},
		{"a form with a broken percent escape", "application/x-www-form-urlencoded", okForm + "&scope=%zz"},
		{"a form with a malformed Content-Type", "application/x-www-form-urlencoded; charset", okForm},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodPost, "/auth", strings.NewReader(tc.body))
			if tc.contentType != "" {
				req.Header.Set("Content-Type", tc.contentType)
			}
			refused(t, f.serve(req), http.StatusBadRequest, "invalid_request", "UNSUPPORTED")
		})
	}
}

func TestPostReadsAFormJustUnderTheSizeLimit(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	form := params("grant_type", "password", "username", "alice", "password", testPasswords["alice"], "service", testService).Encode()
	form += "&pad=" + strings.Repeat("a", 64<<10-len(form)-len("&pad="))
	if len(form) != 64<<10 {
		t.Fatalf("form is %d bytes", len(form))
	}
	req := httptest.NewRequest(http.MethodPost, "/auth", strings.NewReader(form))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	f.granted(t, f.serve(req))
}

// docker login stores the refresh token as its identitytoken and fetches every later token with
// it; it never stores a rotated one, so a refresh must leave the token it was given working.
func TestRefreshGrantKeepsWorkingForTheSameUser(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	login, _ := f.granted(t, f.get(f.basicFor("alice"),
		params("account", "alice", "client_id", "docker", "offline_token", "true", "service", testService)))
	if login.RefreshToken == "" {
		t.Fatal("docker login got no refresh token")
	}
	for _, tc := range []struct {
		name  string
		extra []string
		want  []string
	}{
		{"the first refresh gets the user's access",
			nil, []string{"repository:team/app:pull", "repository:alice/tool:push,pull"}},
		{"a second refresh with the same token works as well",
			nil, []string{"repository:team/app:pull", "repository:alice/tool:push,pull"}},
		{"a refresh naming its own user works",
			[]string{"username", "alice"}, []string{"repository:team/app:pull", "repository:alice/tool:push,pull"}},
		{"a refresh asking access_type=offline gets no second refresh token",
			[]string{"access_type", "offline"}, []string{"repository:team/app:pull", "repository:alice/tool:push,pull"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			form := params(append([]string{"grant_type", "refresh_token", "refresh_token", login.RefreshToken,
				"client_id", "docker", "service", testService,
				"scope", "repository:team/app:push,pull repository:alice/tool:push,pull"}, tc.extra...)...)
			reply, claims := f.granted(t, f.post(form))
			if claims.Subject != "alice" {
				t.Errorf("sub = %q, want alice", claims.Subject)
			}
			if got := scopesOf(claims.Access); !slices.Equal(got, tc.want) {
				t.Errorf("access = %q, want %q", got, tc.want)
			}
			if reply.RefreshToken != "" {
				t.Error("a refresh grant returned a new refresh token; docker would never store it")
			}
		})
	}
}

func TestRefreshGrantRefusesTokensThatNoLongerHold(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		// prepare gets the fixture and a valid refresh token of alice's, and returns the form.
		prepare     func(t *testing.T, f *fixture, refresh string) url.Values
		wantMessage string
	}{
		{"an access token presented as a refresh token", func(t *testing.T, f *fixture, _ string) url.Values {
			reply, _ := f.granted(t, f.get(f.basicFor("alice"), params("service", testService, "scope", "repository:team/app:pull")))
			return params("grant_type", "refresh_token", "refresh_token", reply.Token, "service", testService)
		}, "invalid or expired refresh token"},
		{"a refresh token presented with the username of another user", func(t *testing.T, f *fixture, refresh string) url.Values {
			return params("grant_type", "refresh_token", "refresh_token", refresh, "username", "bob", "service", testService)
		}, "another user"},
		{"a refresh token whose signature was tampered with", func(t *testing.T, f *fixture, refresh string) url.Values {
			parts := strings.Split(refresh, ".")
			sig := []byte(parts[2])
			sig[len(sig)/2] ^= 'A' ^ 'B'
			if sig[len(sig)/2] == parts[2][len(sig)/2] {
				t.Fatal("tampering changed nothing")
			}
			return params("grant_type", "refresh_token", "refresh_token", parts[0]+"."+parts[1]+"."+string(sig), "service", testService)
		}, "invalid or expired refresh token"},
		{"a refresh token signed by another server's key", func(t *testing.T, _ *fixture, _ string) url.Values {
			other := newFixture(t)
			reply, _ := other.granted(t, other.get(other.basicFor("alice"), params("service", testService, "offline_token", "true")))
			return params("grant_type", "refresh_token", "refresh_token", reply.RefreshToken, "service", testService)
		}, "invalid or expired refresh token"},
		{"a refresh token after the user's password changed", func(t *testing.T, f *fixture, refresh string) url.Values {
			f.setPassword(t, "alice", "a-new-Pa55word")
			return params("grant_type", "refresh_token", "refresh_token", refresh, "client_id", "docker", "service", testService)
		}, "revoked"},
		{"a refresh token after the user was deleted", func(t *testing.T, f *fixture, refresh string) url.Values {
			f.deleteUser(t, "alice")
			return params("grant_type", "refresh_token", "refresh_token", refresh, "client_id", "docker", "service", testService)
		}, "revoked"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			login, _ := f.granted(t, f.get(f.basicFor("alice"),
				params("account", "alice", "client_id", "docker", "offline_token", "true", "service", testService)))
			// Use it once first, as docker does: a refresh token just verified (and remembered)
			// must be refused all the same once it no longer holds.
			f.granted(t, f.post(params("grant_type", "refresh_token", "refresh_token", login.RefreshToken, "service", testService)))
			form := tc.prepare(t, f, login.RefreshToken)
			e := refused(t, f.post(form), http.StatusUnauthorized, "invalid_grant", "UNAUTHORIZED")
			if !strings.Contains(e.ErrorDescription, tc.wantMessage) {
				t.Errorf("error_description %q does not mention %q", e.ErrorDescription, tc.wantMessage)
			}
		})
	}
}

// After a password change the old refresh token is dead, but logging in again with the new
// password gives a new one that works.
func TestLoginAgainAfterAPasswordChangeGivesAWorkingRefreshToken(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	loginQuery := params("account", "alice", "client_id", "docker", "offline_token", "true", "service", testService)
	old, _ := f.granted(t, f.get(f.basicFor("alice"), loginQuery))
	oldPassword := f.passwords["alice"]
	f.setPassword(t, "alice", "a-new-Pa55word")

	refused(t, f.get(basic("alice", oldPassword), loginQuery), http.StatusUnauthorized, "invalid_grant", "UNAUTHORIZED")
	fresh, _ := f.granted(t, f.get(f.basicFor("alice"), loginQuery))
	refresh := func(token string) *httptest.ResponseRecorder {
		return f.post(params("grant_type", "refresh_token", "refresh_token", token, "client_id", "docker",
			"service", testService, "scope", "repository:team/app:pull"))
	}
	refused(t, refresh(old.RefreshToken), http.StatusUnauthorized, "invalid_grant", "UNAUTHORIZED")
	_, claims := f.granted(t, refresh(fresh.RefreshToken))
	if got := scopesOf(claims.Access); !slices.Equal(got, []string{"repository:team/app:pull"}) {
		t.Errorf("access = %q", got)
	}
}

// The rest of the surface.

func TestOtherRoutes(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, tc := range []struct {
		name   string
		method string
		path   string
		check  func(t *testing.T, rec *httptest.ResponseRecorder)
	}{
		{"the JWKS lists the signing key's kid", http.MethodGet, "/auth/jwks.json", func(t *testing.T, rec *httptest.ResponseRecorder) {
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d; body %s", rec.Code, rec.Body)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q", ct)
			}
			var set tokens.JWKS
			if err := json.Unmarshal(rec.Body.Bytes(), &set); err != nil {
				t.Fatal(err)
			}
			if len(set.Keys) != 1 || set.Keys[0].Kid != f.keyPair.KeyID || set.Keys[0].Alg != "ES256" || set.Keys[0].Kty != "EC" {
				t.Errorf("keys = %+v, want one ES256 key with kid %q", set.Keys, f.keyPair.KeyID)
			}
		}},
		{"health is 200", http.MethodGet, "/healthz", func(t *testing.T, rec *httptest.ResponseRecorder) {
			if rec.Code != http.StatusOK || !json.Valid(rec.Body.Bytes()) {
				t.Errorf("status %d body %s", rec.Code, rec.Body)
			}
		}},
		{"an unknown path is a JSON 404", http.MethodGet, "/no/such/thing", func(t *testing.T, rec *httptest.ResponseRecorder) {
			refused(t, rec, http.StatusNotFound, "not_found", "NOT_FOUND")
		}},
		{"/v2/ without a registry is a JSON 404", http.MethodGet, "/v2/", func(t *testing.T, rec *httptest.ResponseRecorder) {
			refused(t, rec, http.StatusNotFound, "not_found", "NOT_FOUND")
		}},
		{"PUT /auth is a JSON 405", http.MethodPut, "/auth", func(t *testing.T, rec *httptest.ResponseRecorder) {
			refused(t, rec, http.StatusMethodNotAllowed, "invalid_request", "UNSUPPORTED")
		}},
		{"DELETE /auth is a JSON 405", http.MethodDelete, "/auth", func(t *testing.T, rec *httptest.ResponseRecorder) {
			refused(t, rec, http.StatusMethodNotAllowed, "invalid_request", "UNSUPPORTED")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.check(t, f.serve(httptest.NewRequest(tc.method, tc.path, nil)))
		})
	}
}

func TestNewNamesEveryMissingPart(t *testing.T) {
	_, err := server.New(server.Options{})
	if err == nil {
		t.Fatal("New accepted empty options")
	}
	for _, want := range []string{"no logger", "no user store", "no authorizer", "no token issuer"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}

// Over a real connection: docker login, a refresh, and an oversized form that must not take the
// server down.
func TestOverARealConnection(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ts := httptest.NewServer(f.handler)
	t.Cleanup(ts.Close)
	client := ts.Client()

	do := func(req *http.Request) *httptest.ResponseRecorder {
		t.Helper()
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		rec := httptest.NewRecorder()
		rec.Code = resp.StatusCode
		maps.Copy(rec.Header(), resp.Header)
		if _, err := io.Copy(rec.Body, resp.Body); err != nil {
			t.Fatal(err)
		}
		return rec
	}
	postForm := func(body string) *httptest.ResponseRecorder {
		req, err := http.NewRequest(http.MethodPost, ts.URL+"/auth", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return do(req)
	}

	req, err := http.NewRequest(http.MethodGet, ts.URL+"/auth?"+
		params("account", "bob", "client_id", "docker", "offline_token", "true", "service", testService).Encode(), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth("bob", f.passwords["bob"])
	login, _ := f.granted(t, do(req))

	huge := params("grant_type", "refresh_token", "refresh_token", login.RefreshToken, "service", testService).Encode() +
		"&pad=" + strings.Repeat("a", 4<<20)
	refused(t, postForm(huge), http.StatusBadRequest, "invalid_request", "UNSUPPORTED")

	_, claims := f.granted(t, postForm(params("grant_type", "refresh_token", "refresh_token", login.RefreshToken,
		"client_id", "docker", "service", testService, "scope", "repository:team/app:push,pull").Encode()))
	if got := scopesOf(claims.Access); !slices.Equal(got, []string{"repository:team/app:push,pull"}) {
		t.Errorf("access = %q", got)
	}
}

func TestLogsNeverContainPasswordsOrTokens(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	const wrongPassword = "wr0ng-Pa55word-5b1e"

	login, _ := f.granted(t, f.get(f.basicFor("alice"),
		params("account", "alice", "client_id", "docker", "offline_token", "true", "service", testService,
			"scope", "repository:team/app:pull")))
	refused(t, f.get(basic("alice", wrongPassword), params("service", testService)), http.StatusUnauthorized, "invalid_grant", "UNAUTHORIZED")
	refused(t, f.get(basic("mallory", wrongPassword), params("service", testService)), http.StatusUnauthorized, "invalid_grant", "UNAUTHORIZED")
	refused(t, f.get("Basic !!!"+wrongPassword, params("service", testService)), http.StatusUnauthorized, "invalid_grant", "UNAUTHORIZED")
	containerd, _ := f.granted(t, f.post(params("grant_type", "password", "username", "bob", "password", f.passwords["bob"],
		"service", testService, "access_type", "offline", "scope", "repository:team/app:push")))
	refused(t, f.post(params("grant_type", "password", "username", "bob", "password", wrongPassword, "service", testService)),
		http.StatusUnauthorized, "invalid_grant", "UNAUTHORIZED")
	refreshed, _ := f.granted(t, f.post(params("grant_type", "refresh_token", "refresh_token", login.RefreshToken,
		"client_id", "docker", "service", testService, "scope", "repository:team/app:pull")))
	refused(t, f.post(params("grant_type", "refresh_token", "refresh_token", login.Token, "service", testService)),
		http.StatusUnauthorized, "invalid_grant", "UNAUTHORIZED")
	f.setPassword(t, "alice", "a-new-Pa55word")
	refused(t, f.post(params("grant_type", "refresh_token", "refresh_token", login.RefreshToken, "service", testService)),
		http.StatusUnauthorized, "invalid_grant", "UNAUTHORIZED")

	logs := f.logs.String()
	for _, want := range []string{"token issued", "login refused", "refresh token revoked", "access decision"} {
		if !strings.Contains(logs, want) {
			t.Errorf("the logs lack %q; is the logger wired? logs:\n%s", want, logs)
		}
	}
	secrets := map[string]string{
		"alice's password":             testPasswords["alice"],
		"alice's new password":         "a-new-Pa55word",
		"bob's password":               testPasswords["bob"],
		"the wrong password":           wrongPassword,
		"alice's Basic credentials":    strings.TrimPrefix(basic("alice", testPasswords["alice"]), "Basic "),
		"the access token":             login.Token,
		"the refresh token":            login.RefreshToken,
		"containerd's access token":    containerd.Token,
		"containerd's refresh token":   containerd.RefreshToken,
		"the refreshed access token":   refreshed.Token,
		"any token signature":          strings.Split(login.Token, ".")[2],
		"the header name":              "Authorization",
		"the header name (lower case)": "authorization",
	}
	for what, secret := range secrets {
		if secret == "" {
			t.Fatalf("%s is empty", what)
		}
		if strings.Contains(logs, secret) {
			t.Errorf("the logs contain %s", what)
		}
	}
}

// FuzzBasicAndScopeParsing throws arbitrary Authorization headers and scope strings at GET /auth:
// the answer is always 200, 400 or 401 with a JSON body, and a 200 carries a verifiable token.
func FuzzBasicAndScopeParsing(f *testing.F) {
	fx := newFixture(f)
	alice := fx.basicFor("alice")
	for _, seed := range [][2]string{
		{alice, "repository:team/app:pull"},
		{alice, "registry:catalog:*"},
		{alice, "repository:localhost:5000/team/app:push,pull repository:alice/x:*"},
		{alice, "repository(plugin):team/app:pull"},
		{fx.basicFor("bob"), "repository:team/app:pull,push"},
		{"basic " + strings.TrimPrefix(alice, "Basic "), "repository:team/app:pull"},
		{basic("alice", "wrong"), "repository:team/app:push"},
		{basic("\x00\xff", "p:w"), "repository:a:b:c"},
		{"Bearer xyz", ""},
		{"Basic !!!notbase64", "repository:team/app:pull"},
		{"Basic", "::"},
		{"", "repository:public/base:pull"},
		{"", "repository:team/app:pull\r\nSet-Cookie: x=y"},
		{"", "repository:\xff\xfe:pull"},
		{"", strings.Repeat("repository:x:pull ", 70)},
		{"", "repository(:x:pull"},
		{"", "a:b:" + strings.Repeat("c,", 20)},
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, authorization, scope string) {
		q := url.Values{"service": {testService}, "scope": {scope}}
		rec := fx.get(authorization, q)
		switch rec.Code {
		case http.StatusOK, http.StatusBadRequest, http.StatusUnauthorized:
		default:
			t.Fatalf("status %d for Authorization %q scope %q; body %s", rec.Code, authorization, scope, rec.Body)
		}
		if !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("body is not JSON: %q", rec.Body)
		}
		checkNoStoreJSON(t, rec.Header())
		if rec.Code == http.StatusOK {
			fx.granted(t, rec)
		}
	})
}
