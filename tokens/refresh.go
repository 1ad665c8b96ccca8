package tokens

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// refreshUse marks a refresh token; access tokens never carry it.
const refreshUse = "refresh"

// ErrInvalidRefreshToken is returned for every refresh token that must not be honoured: bad
// signature, expired, another issuer, or an access token presented as a refresh token.
var ErrInvalidRefreshToken = errors.New("invalid refresh token")

// RefreshClaims is the payload of a refresh token. Its audience is never the registry's
// service, so a registry refuses it as an access token.
type RefreshClaims struct {
	Registered
	Use         string `json:"use"`
	Fingerprint string `json:"fp"`                  // binds the token to the user's password hash
	ClientID    string `json:"client_id,omitempty"` // informational, for the audit log
}

func (is *Issuer) refreshAudience() string { return is.opts.Issuer + "/refresh" }

// IssueRefresh signs a long-lived refresh token for subject. fingerprint identifies the user's
// current password hash: when it changes, Verify refuses the token.
func (is *Issuer) IssueRefresh(subject, fingerprint, clientID string) (string, error) {
	if subject == "" || fingerprint == "" {
		return "", errors.New("refresh token needs a subject and a fingerprint")
	}
	now := is.opts.Now().Truncate(time.Second)
	jti, err := newID()
	if err != nil {
		return "", err
	}
	return sign(is.opts.Keys.Current(), RefreshClaims{
		Registered: Registered{
			Issuer:    is.opts.Issuer,
			Subject:   subject,
			Audience:  is.refreshAudience(),
			ExpiresAt: now.Add(is.opts.RefreshTTL).Unix(),
			NotBefore: now.Add(-10 * time.Second).Unix(),
			IssuedAt:  now.Unix(),
			ID:        jti,
		},
		Use:         refreshUse,
		Fingerprint: fingerprint,
		ClientID:    clientID,
	})
}

// VerifyRefresh checks a refresh token's signature, issuer, audience and lifetime and returns its
// claims. The caller still has to compare the fingerprint with the user's current one.
// A token verified in the last minute under the same trusted keys is not checked again.
func (is *Issuer) VerifyRefresh(raw string) (RefreshClaims, error) {
	key, trusted := sha256.Sum256([]byte(raw)), is.opts.Keys.Trusted()
	if c, ok := is.refreshes.get(key, trusted); ok {
		return c, nil
	}
	var c RefreshClaims
	if err := is.parse(raw, &c, is.refreshAudience()); err != nil {
		return RefreshClaims{}, fmt.Errorf("%w: %v", ErrInvalidRefreshToken, err)
	}
	if c.Use != refreshUse || c.Subject == "" || c.Fingerprint == "" {
		return RefreshClaims{}, fmt.Errorf("%w: not a refresh token", ErrInvalidRefreshToken)
	}
	is.refreshes.put(key, trusted, c, is.opts.Now())
	return c, nil
}

// ErrInvalidAccessToken is returned for an access token that must not be honoured.
var ErrInvalidAccessToken = errors.New("invalid access token")

// VerifyAccess checks an access token as a registry would and returns its claims.
func (is *Issuer) VerifyAccess(raw string) (AccessClaims, error) {
	var c AccessClaims
	if err := is.parse(raw, &c, is.opts.Service); err != nil {
		return AccessClaims{}, fmt.Errorf("%w: %v", ErrInvalidAccessToken, err)
	}
	return c, nil
}

func (is *Issuer) parse(raw string, claims jwt.Claims, audience string) error {
	trusted := is.opts.Keys.Trusted()
	methods := make([]string, 0, len(trusted))
	for _, kp := range trusted {
		methods = append(methods, kp.Method.Alg())
	}
	parser := jwt.NewParser(
		jwt.WithValidMethods(methods),
		jwt.WithIssuer(is.opts.Issuer),
		jwt.WithAudience(audience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(10*time.Second),
		jwt.WithTimeFunc(is.opts.Now),
	)
	_, err := parser.ParseWithClaims(raw, claims, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		for _, kp := range trusted {
			if kp.KeyID == kid && kp.Method.Alg() == t.Method.Alg() {
				return kp.Signer.Public(), nil
			}
		}
		// A key rotated out (or before a restart) is still ours if its certificate chains to
		// one of our roots: long-lived refresh tokens survive rotations this way.
		return is.chainedKey(t, trusted)
	})
	return err
}

// chainedKey returns the public key of the token's x5c certificate when that certificate is
// valid now and chains to the root of one of the trusted keys.
func (is *Issuer) chainedKey(t *jwt.Token, trusted []*KeyPair) (any, error) {
	raw, _ := t.Header["x5c"].([]any)
	if len(raw) == 0 {
		return nil, errors.New("unknown signing key")
	}
	var chain []*x509.Certificate
	for _, r := range raw {
		s, _ := r.(string)
		der, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return nil, fmt.Errorf("x5c: %w", err)
		}
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, fmt.Errorf("x5c: %w", err)
		}
		chain = append(chain, c)
	}
	roots, inter := x509.NewCertPool(), x509.NewCertPool()
	for _, kp := range trusted {
		roots.AddCert(kp.Root)
	}
	for _, c := range chain[1:] {
		inter.AddCert(c)
	}
	_, err := chain[0].Verify(x509.VerifyOptions{
		Roots: roots, Intermediates: inter, CurrentTime: is.opts.Now(),
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	})
	if err != nil {
		return nil, fmt.Errorf("unknown signing key: %w", err)
	}
	return chain[0].PublicKey, nil
}
