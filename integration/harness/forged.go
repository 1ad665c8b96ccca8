package harness

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// claimsFor is a valid-looking access token payload granting pull and push on repo.
func claimsFor(repo string, mutate func(jwt.MapClaims)) jwt.MapClaims {
	now := time.Now()
	c := jwt.MapClaims{
		"iss": Issuer, "sub": "testpush", "aud": Service,
		"exp": now.Add(5 * time.Minute).Unix(), "nbf": now.Add(-10 * time.Second).Unix(), "iat": now.Unix(),
		"jti":    "forged",
		"access": []map[string]any{{"type": "repository", "name": repo, "actions": []string{"pull", "push"}}},
	}
	if mutate != nil {
		mutate(c)
	}
	return c
}

func x5c(chain ...*x509.Certificate) []string {
	var out []string
	for _, c := range chain {
		out = append(out, base64.StdEncoding.EncodeToString(c.Raw))
	}
	return out
}

func signWith(t testing.TB, method jwt.SigningMethod, key any, header map[string]any, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	for k, v := range header {
		tok.Header[k] = v
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// foreignChain is a root and a signing certificate that regauth never issued.
func foreignChain(t testing.TB) (*ecdsa.PrivateKey, *x509.Certificate, *x509.Certificate) {
	t.Helper()
	rootKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	rootTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "evil root"}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	rootDER, _ := x509.CreateCertificate(rand.Reader, rootTmpl, rootTmpl, rootKey.Public(), rootKey)
	root, _ := x509.ParseCertificate(rootDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leafTmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: Issuer}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, root, key.Public(), rootKey)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(leafDER)
	return key, leaf, root
}

// ForgedTokensAreRefused presents tokens an attacker could make to the registry behind the
// front; every one must be refused while a genuine token for the same access works.
func ForgedTokensAreRefused(t *testing.T, st *Stack) {
	ctx := context.Background()
	const repo = "forged/app"
	if err := remote.Write(st.Ref(t, repo+":1"), RandomImage(t), st.Options(ctx, Basic("testpush"))...); err != nil {
		t.Fatal(err)
	}
	kp := st.Keys
	legit := map[string]any{"kid": kp.KeyID, "x5c": x5c(kp.Chain...)}
	genuine := signWith(t, kp.Method, kp.Signer, legit, claimsFor(repo, nil))

	pubDER, _ := x509.MarshalPKIXPublicKey(kp.Signer.Public())
	evilKey, evilLeaf, evilRoot := foreignChain(t)
	selfKey, selfLeaf, _ := foreignChain(t)
	_, rt := st.FetchTokenResponse(t, "testpush", url.Values{"service": {Service}, "offline_token": {"true"}})

	pullOnly := signWith(t, kp.Method, kp.Signer, legit, claimsFor(repo, func(c jwt.MapClaims) {
		c["access"] = []map[string]any{{"type": "repository", "name": repo, "actions": []string{"pull"}}}
	}))
	parts := strings.Split(pullOnly, ".")
	var payload map[string]any
	raw, _ := base64.RawURLEncoding.DecodeString(parts[1])
	_ = json.Unmarshal(raw, &payload)
	payload["access"] = []map[string]any{{"type": "repository", "name": "other/secret", "actions": []string{"pull", "push"}}}
	tamperedPayload, _ := json.Marshal(payload)
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString(tamperedPayload) + "." + parts[2]

	none := func() string {
		h, _ := json.Marshal(map[string]any{"alg": "none", "typ": "JWT", "kid": kp.KeyID, "x5c": x5c(kp.Chain...)})
		p, _ := json.Marshal(claimsFor(repo, nil))
		return base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(p) + "."
	}()

	forged := []struct{ name, token, path string }{
		{"alg none", none, "/v2/" + repo + "/tags/list"},
		{"HS256 signed with the public key", signWith(t, jwt.SigningMethodHS256, pubDER, legit, claimsFor(repo, nil)), "/v2/" + repo + "/tags/list"},
		{"a wrong issuer", signWith(t, kp.Method, kp.Signer, legit, claimsFor(repo, func(c jwt.MapClaims) { c["iss"] = "evil" })), "/v2/" + repo + "/tags/list"},
		{"a wrong audience", signWith(t, kp.Method, kp.Signer, legit, claimsFor(repo, func(c jwt.MapClaims) { c["aud"] = "other-registry" })), "/v2/" + repo + "/tags/list"},
		{"an expired token", signWith(t, kp.Method, kp.Signer, legit, claimsFor(repo, func(c jwt.MapClaims) {
			c["exp"] = time.Now().Add(-time.Hour).Unix()
			c["iat"] = time.Now().Add(-2 * time.Hour).Unix()
			c["nbf"] = time.Now().Add(-2 * time.Hour).Unix()
		})), "/v2/" + repo + "/tags/list"},
		{"a token not valid yet", signWith(t, kp.Method, kp.Signer, legit, claimsFor(repo, func(c jwt.MapClaims) { c["nbf"] = time.Now().Add(time.Hour).Unix() })), "/v2/" + repo + "/tags/list"},
		{"a tampered access claim", tampered, "/v2/other/secret/tags/list"},
		{"an unknown self-signed key", signWith(t, jwt.SigningMethodES256, selfKey, map[string]any{"x5c": x5c(selfLeaf)}, claimsFor(repo, nil)), "/v2/" + repo + "/tags/list"},
		{"an x5c chain to a foreign root", signWith(t, jwt.SigningMethodES256, evilKey, map[string]any{"x5c": x5c(evilLeaf, evilRoot)}, claimsFor(repo, nil)), "/v2/" + repo + "/tags/list"},
		{"a refresh token used as an access token", rt.RefreshToken, "/v2/" + repo + "/tags/list"},
		{"garbage", "not-a-token", "/v2/" + repo + "/tags/list"},
	}
	bearer := func(token, path string) int {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, st.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := st.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := bearer(genuine, "/v2/"+repo+"/tags/list"); got != http.StatusOK {
		t.Fatalf("a genuine token signed the same way was refused (%d): the forgeries below prove nothing", got)
	}
	for _, f := range forged {
		t.Run(f.name+" is refused", func(t *testing.T) {
			if got := bearer(f.token, f.path); got != http.StatusUnauthorized {
				t.Fatalf("GET %s with %s = %d, want 401", f.path, f.name, got)
			}
		})
	}
	t.Run("an access token used as a refresh token is refused", func(t *testing.T) {
		form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {genuine}, "service": {Service}, "client_id": {"docker"}}
		resp, err := st.Client().PostForm(st.URL+"/auth", form)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("POST refresh_token=<access token> = %d, want 401", resp.StatusCode)
		}
	})
}
