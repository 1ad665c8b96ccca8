package tokens

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/golang-jwt/jwt/v5"
)

type testClock struct{ now time.Time }

func (c *testClock) Now() time.Time { return c.now }

func newTestIssuer(t testing.TB, clock *testClock) *Issuer {
	t.Helper()
	is, err := NewIssuer(IssuerOptions{
		Issuer: "regauth-test", Service: "registry", TTL: 5 * time.Minute, RefreshTTL: 24 * time.Hour,
		Keys: StaticKeys{Pair: newTestKeyPair(t)}, Now: clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	return is
}

func decodeSegment(t *testing.T, token string, i int) map[string]any {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(strings.Split(token, ".")[i])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestIssueAccessWritesTheClaimsBothRegistryGenerationsNeed(t *testing.T) {
	clock := &testClock{now: time.Now()}
	is := newTestIssuer(t, clock)
	access := []ResourceActions{{Type: "repository", Name: "team/app", Actions: []string{"pull"}}}
	got, err := is.IssueAccess("alice", access)
	if err != nil {
		t.Fatal(err)
	}
	header := decodeSegment(t, got.Token, 0)
	if header["alg"] != "ES256" {
		t.Errorf("alg = %v, want ES256", header["alg"])
	}
	if header["kid"] != is.opts.Keys.Current().KeyID {
		t.Errorf("kid = %v, want the RFC 7638 thumbprint", header["kid"])
	}
	x5c, _ := header["x5c"].([]any)
	if len(x5c) != 1 {
		t.Fatalf("x5c = %v, want the signing certificate", header["x5c"])
	}
	claims := decodeSegment(t, got.Token, 1)
	if aud, ok := claims["aud"].(string); !ok || aud != "registry" {
		t.Errorf("aud = %#v, want the single string \"registry\"", claims["aud"])
	}
	for _, k := range []string{"iss", "sub", "exp", "nbf", "iat", "jti", "access"} {
		if _, ok := claims[k]; !ok {
			t.Errorf("claim %q missing", k)
		}
	}
	if exp := int64(claims["exp"].(float64)); exp != clock.now.Truncate(time.Second).Add(5*time.Minute).Unix() {
		t.Errorf("exp = %d, want now+5m", exp)
	}
	// The x5c header must verify with go-jose against the root, the way the registry does it.
	jws, err := jose.ParseSigned(got.Token, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(is.opts.Keys.Current().Root)
	chains, err := jws.Signatures[0].Protected.Certificates(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
	if err != nil {
		t.Fatalf("x5c chain does not verify against the root bundle: %v", err)
	}
	if _, err := jws.Verify(chains[0][0].PublicKey); err != nil {
		t.Fatalf("signature does not verify with the x5c leaf: %v", err)
	}
}

func TestIssueAccessWithNothingGrantedStillHasAnAccessArray(t *testing.T) {
	is := newTestIssuer(t, &testClock{now: time.Now()})
	got, err := is.IssueAccess("", nil)
	if err != nil {
		t.Fatal(err)
	}
	if a, ok := decodeSegment(t, got.Token, 1)["access"].([]any); !ok || len(a) != 0 {
		t.Errorf("access = %#v, want []", decodeSegment(t, got.Token, 1)["access"])
	}
}

func TestTokenIDsAreUnique(t *testing.T) {
	is := newTestIssuer(t, &testClock{now: time.Now()})
	seen := map[string]bool{}
	for range 200 {
		got, err := is.IssueAccess("a", nil)
		if err != nil {
			t.Fatal(err)
		}
		if seen[got.Claims.ID] {
			t.Fatalf("jti %s repeated", got.Claims.ID)
		}
		seen[got.Claims.ID] = true
	}
}

func TestRefreshTokensVerifyAndRefuseWhatTheyMust(t *testing.T) {
	clock := &testClock{now: time.Now()}
	is := newTestIssuer(t, clock)
	refresh, err := is.IssueRefresh("alice", "fp1", "docker")
	if err != nil {
		t.Fatal(err)
	}
	c, err := is.VerifyRefresh(refresh)
	if err != nil {
		t.Fatalf("VerifyRefresh: %v", err)
	}
	if c.Subject != "alice" || c.Fingerprint != "fp1" || c.ClientID != "docker" {
		t.Errorf("claims = %+v", c)
	}
	if _, err := is.VerifyRefresh(refresh); err != nil {
		t.Errorf("a refresh token stopped working after one use: %v", err)
	}
	if _, err := is.VerifyAccess(refresh); !errors.Is(err, ErrInvalidAccessToken) {
		t.Errorf("refresh token accepted as an access token: %v", err)
	}

	access, _ := is.IssueAccess("alice", nil)
	other := newTestIssuer(t, clock)
	foreign, _ := other.IssueRefresh("alice", "fp1", "")
	tampered := refresh[:strings.LastIndexByte(refresh, '.')] + ".AAAA"
	noneAlg := jwt.NewWithClaims(jwt.SigningMethodNone, RefreshClaims{Registered: Registered{Issuer: "regauth-test", Subject: "alice", Audience: "regauth-test/refresh", ExpiresAt: clock.now.Add(time.Hour).Unix()}, Use: "refresh", Fingerprint: "fp1"})
	unsigned, _ := noneAlg.SignedString(jwt.UnsafeAllowNoneSignatureType)

	tests := []struct {
		name  string
		token string
		at    time.Time
	}{
		{"an access token presented as a refresh token", access.Token, clock.now},
		{"a token signed by another key", foreign, clock.now},
		{"a tampered signature", tampered, clock.now},
		{"alg none", unsigned, clock.now},
		{"an expired refresh token", refresh, clock.now.Add(25 * time.Hour)},
		{"garbage", "not.a.jwt", clock.now},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			saved := clock.now
			clock.now = tt.at
			defer func() { clock.now = saved }()
			if _, err := is.VerifyRefresh(tt.token); !errors.Is(err, ErrInvalidRefreshToken) {
				t.Fatalf("VerifyRefresh error = %v, want ErrInvalidRefreshToken", err)
			}
		})
	}
}

func TestNewIssuerReportsEveryProblemAtOnce(t *testing.T) {
	_, err := NewIssuer(IssuerOptions{TTL: time.Second})
	if err == nil {
		t.Fatal("NewIssuer accepted empty options")
	}
	for _, want := range []string{"issuer name", "service name", "shorter than 1m", "refresh token lifetime", "no signing key"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

func TestJWKSListsTheTrustedKeysWithThumbprintKids(t *testing.T) {
	kp := newTestKeyPair(t)
	set, err := BuildJWKS(StaticKeys{Pair: kp})
	if err != nil {
		t.Fatal(err)
	}
	var parsed jose.JSONWebKeySet
	if err := json.Unmarshal(set.JSON(), &parsed); err != nil {
		t.Fatalf("go-jose cannot read the JWKS: %v", err)
	}
	keys := parsed.Key(kp.KeyID)
	if len(keys) != 1 {
		t.Fatalf("JWKS has %d keys with kid %s, want 1", len(keys), kp.KeyID)
	}
	if !publicKeysEqual(kp.Signer.Public(), keys[0].Key) {
		t.Error("JWKS key differs from the signing key")
	}
}

func BenchmarkIssueAccess(b *testing.B) {
	is := newTestIssuer(b, &testClock{now: time.Now()})
	access := []ResourceActions{{Type: "repository", Name: "team/app", Actions: []string{"pull", "push"}}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := is.IssueAccess("alice", access); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseScopes(b *testing.B) {
	in := []string{"repository:team/app:pull,push repository:localhost:5000/x:pull"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseScopes(in); err != nil {
			b.Fatal(err)
		}
	}
}
