package harness

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// Ref names a repository:tag on the stack.
func (st *Stack) Ref(t testing.TB, repoTag string) name.Reference {
	t.Helper()
	ref, err := name.ParseReference(st.Host+"/"+repoTag, name.StrictValidation)
	if err != nil {
		t.Fatal(err)
	}
	return ref
}

// Basic is go-containerregistry's password login, as `docker login` then push would use it.
func Basic(user string) authn.Authenticator {
	return &authn.Basic{Username: user, Password: Password}
}

// Options for go-containerregistry calls as user.
func (st *Stack) Options(ctx context.Context, a authn.Authenticator) []remote.Option {
	return []remote.Option{remote.WithAuth(a), remote.WithTransport(st.Transport), remote.WithContext(ctx)}
}

// RandomImage is a small image with two random layers.
func RandomImage(t testing.TB) v1.Image {
	t.Helper()
	img, err := random.Image(2048, 2)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// RequireRefused asserts err is the registry refusing access (not a transport failure).
func RequireRefused(t testing.TB, err error) {
	t.Helper()
	if err == nil {
		t.Fatal("the registry accepted a request the ACL does not allow")
	}
	var terr *transport.Error
	if !errors.As(err, &terr) {
		t.Fatalf("error is not the registry's refusal: %v", err)
	}
	if terr.StatusCode != http.StatusUnauthorized && terr.StatusCode != http.StatusForbidden {
		t.Fatalf("status %d, want 401 or 403: %v", terr.StatusCode, err)
	}
	codes := []string{}
	for _, d := range terr.Errors {
		codes = append(codes, string(d.Code))
	}
	if !slices.Contains(codes, "DENIED") && !slices.Contains(codes, "UNAUTHORIZED") {
		t.Fatalf("error codes %v, want DENIED or UNAUTHORIZED: %v", codes, err)
	}
	t.Logf("refused as expected: %v", err)
}

// ClassicWalkthrough is the Apache setup's promise: test may pull but not push; testpush (group
// pusher) pushes; test then pulls the very digest testpush pushed.
func ClassicWalkthrough(t *testing.T, st *Stack) {
	ctx := context.Background()
	ref := st.Ref(t, "test-hello:v2")
	img := RandomImage(t)
	want, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}

	err = remote.Write(ref, img, st.Options(ctx, Basic("test"))...)
	RequireRefused(t, err)

	if err := remote.Write(ref, img, st.Options(ctx, Basic("testpush"))...); err != nil {
		t.Fatalf("testpush (group pusher) could not push: %v", err)
	}
	pulled, err := remote.Image(ref, st.Options(ctx, Basic("test"))...)
	if err != nil {
		t.Fatalf("test could not pull what testpush pushed: %v", err)
	}
	got, err := pulled.Digest()
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Fatalf("pulled digest %s, pushed %s", got, want)
	}
	// Every layer really comes back, not just the manifest.
	layers, err := pulled.Layers()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range layers {
		rc, err := l.Compressed()
		if err != nil {
			t.Fatalf("pull layer: %v", err)
		}
		rc.Close()
	}
	tags, err := remote.List(ref.Context(), st.Options(ctx, Basic("test"))...)
	if err != nil || !slices.Contains(tags, "v2") {
		t.Fatalf("tags as test = %v, %v; want v2 listed", tags, err)
	}
	_, err = remote.Image(ref, st.Options(ctx, authn.Anonymous)...)
	RequireRefused(t, err)
}

// TokenResponse is the JSON of /auth.
type TokenResponse struct {
	Token        string `json:"token"`
	AccessToken  string `json:"access_token"`
	ExpiresIn    int    `json:"expires_in"`
	IssuedAt     string `json:"issued_at"`
	RefreshToken string `json:"refresh_token"`
}

// FetchTokenResponse is FetchToken for a request that must succeed.
func (st *Stack) FetchTokenResponse(t testing.TB, user string, query url.Values) (int, TokenResponse) {
	t.Helper()
	status, tr, body := st.FetchToken(t, user, query)
	if status != http.StatusOK {
		t.Fatalf("GET /auth as %s = %d %s", user, status, body)
	}
	return status, tr
}

// FetchToken asks /auth the way `curl -u user:password` would.
func (st *Stack) FetchToken(t testing.TB, user string, query url.Values) (int, TokenResponse, []byte) {
	t.Helper()
	status, _, body, err := st.Get(context.Background(), "/auth?"+query.Encode(), user, Password)
	if err != nil {
		t.Fatal(err)
	}
	var tr TokenResponse
	if status == http.StatusOK {
		if err := json.Unmarshal(body, &tr); err != nil {
			t.Fatalf("token response %s: %v", body, err)
		}
	}
	return status, tr, body
}

// CurlTokenIsAcceptedByTheRegistry is the "done": a token from curl -u works at the
// registry for what it grants and nothing else.
func CurlTokenIsAcceptedByTheRegistry(t *testing.T, st *Stack) {
	ctx := context.Background()
	if err := remote.Write(st.Ref(t, "curl/app:1"), RandomImage(t), st.Options(ctx, Basic("testpush"))...); err != nil {
		t.Fatal(err)
	}
	status, tr, body := st.FetchToken(t, "test", url.Values{"service": {Service}, "scope": {"repository:curl/app:pull,push"}})
	if status != http.StatusOK || tr.Token == "" || tr.Token != tr.AccessToken || tr.ExpiresIn < 60 || tr.IssuedAt == "" {
		t.Fatalf("GET /auth = %d %s", status, body)
	}
	bearer := func(method, path, token string) int {
		req, _ := http.NewRequestWithContext(ctx, method, st.URL+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := st.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := bearer(http.MethodGet, "/v2/curl/app/tags/list", tr.Token); got != http.StatusOK {
		t.Errorf("tags/list with test's token = %d, want 200", got)
	}
	if got := bearer(http.MethodPost, "/v2/curl/app/blobs/uploads/", tr.Token); got != http.StatusUnauthorized && got != http.StatusForbidden {
		t.Errorf("starting an upload with a pull-only token = %d, want 401/403", got)
	}
	if got := bearer(http.MethodGet, "/v2/other/tags/list", tr.Token); got != http.StatusUnauthorized && got != http.StatusForbidden {
		t.Errorf("another repository with test's token = %d, want 401/403", got)
	}
	if got := bearer(http.MethodGet, "/v2/curl/app/tags/list", ""); got != http.StatusUnauthorized {
		t.Errorf("no token = %d, want 401", got)
	}
	// A refresh token is not an access token.
	_, rt, _ := st.FetchToken(t, "test", url.Values{"service": {Service}, "offline_token": {"true"}, "scope": {"repository:curl/app:pull"}})
	if rt.RefreshToken == "" {
		t.Fatal("offline_token=true returned no refresh_token")
	}
	if got := bearer(http.MethodGet, "/v2/curl/app/tags/list", rt.RefreshToken); got != http.StatusUnauthorized {
		t.Errorf("refresh token used as an access token = %d, want 401", got)
	}
	// Pushing works with a curl-fetched token for testpush.
	status, tr, body = st.FetchToken(t, "testpush", url.Values{"service": {Service}, "scope": {"repository:curl/app:push,pull"}})
	if status != http.StatusOK {
		t.Fatalf("GET /auth as testpush = %d %s", status, body)
	}
	if got := bearer(http.MethodPost, "/v2/curl/app/blobs/uploads/", tr.Token); got != http.StatusAccepted {
		t.Errorf("starting an upload with testpush's token = %d, want 202", got)
	}
}

// RefreshTokenFlow is what docker does after login: it keeps only the refresh token and gets
// every access token with POST grant_type=refresh_token. A password change revokes it.
func RefreshTokenFlow(t *testing.T, st *Stack) {
	ctx := context.Background()
	status, tr, body := st.FetchToken(t, "testpush", url.Values{"service": {Service}, "account": {"testpush"}, "client_id": {"docker"}, "offline_token": {"true"}})
	if status != http.StatusOK || tr.RefreshToken == "" {
		t.Fatalf("docker-style login = %d %s, want a refresh_token", status, body)
	}
	identity := authn.FromConfig(authn.AuthConfig{IdentityToken: tr.RefreshToken})
	ref := st.Ref(t, "refresh/app:1")
	img := RandomImage(t)
	if err := remote.Write(ref, img, st.Options(ctx, identity)...); err != nil {
		t.Fatalf("push with the identity token: %v", err)
	}
	if _, err := remote.Image(ref, st.Options(ctx, identity)...); err != nil {
		t.Fatalf("pull with the identity token: %v", err)
	}
	// Presenting it did not use it up.
	if _, err := remote.Image(ref, st.Options(ctx, identity)...); err != nil {
		t.Fatalf("second pull with the same identity token: %v", err)
	}
	st.SetPassword(t, "testpush", "a-new-password")
	defer st.SetPassword(t, "testpush", Password)
	_, err := remote.Image(ref, st.Options(ctx, identity)...)
	if err == nil {
		t.Fatal("the identity token still works after a password change")
	}
	if !strings.Contains(err.Error(), "revoked") && !strings.Contains(err.Error(), "401") {
		t.Fatalf("error after password change does not say why: %v", err)
	}
	t.Logf("revoked as expected: %v", err)
}

// Catalog lists repositories for a user with the catalog right and refuses one without it.
func Catalog(t *testing.T, st *Stack) {
	ctx := context.Background()
	if err := remote.Write(st.Ref(t, "catalog/one:1"), RandomImage(t), st.Options(ctx, Basic("testpush"))...); err != nil {
		t.Fatal(err)
	}
	reg, err := name.NewRegistry(st.Host)
	if err != nil {
		t.Fatal(err)
	}
	repos, err := remote.Catalog(ctx, reg, st.Options(ctx, Basic("test"))...)
	if err != nil {
		t.Fatalf("catalog as test: %v", err)
	}
	if !slices.Contains(repos, "catalog/one") {
		t.Fatalf("catalog = %v, want catalog/one", repos)
	}
	_, err = remote.Catalog(ctx, reg, st.Options(ctx, Basic("bob"))...)
	RequireRefused(t, err)
}
