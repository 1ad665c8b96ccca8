package tokens

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// ResourceActions is one entry of a token's "access" claim.
type ResourceActions struct {
	Type    string   `json:"type"`
	Class   string   `json:"class,omitempty"`
	Name    string   `json:"name"`
	Actions []string `json:"actions"`
}

// AccessClaims is the payload of a registry access token. "aud" is a single string on purpose:
// registry:2 (v2.8.3) calls an array audience malformed.
type AccessClaims struct {
	Registered
	Access []ResourceActions `json:"access"`
}

// Registered holds the registered JWT claims both token kinds carry. "aud" is one string.
type Registered struct {
	Issuer    string `json:"iss"`
	Subject   string `json:"sub"`
	Audience  string `json:"aud"`
	ExpiresAt int64  `json:"exp"`
	NotBefore int64  `json:"nbf"`
	IssuedAt  int64  `json:"iat"`
	ID        string `json:"jti"`
}

// Keys gives the key that signs new tokens and every key still trusted for verification
// (the current one first, then older keys within their grace period).
type Keys interface {
	Current() *KeyPair
	Trusted() []*KeyPair
}

// StaticKeys is a Keys that never changes.
type StaticKeys struct{ Pair *KeyPair }

// Current returns the one key pair.
func (s StaticKeys) Current() *KeyPair { return s.Pair }

// Trusted returns the one key pair.
func (s StaticKeys) Trusted() []*KeyPair { return []*KeyPair{s.Pair} }

// IssuerOptions configures an Issuer.
type IssuerOptions struct {
	Issuer     string // "iss"
	Service    string // "aud": the registry's auth.token.service
	TTL        time.Duration
	RefreshTTL time.Duration
	Keys       Keys
	Now        func() time.Time // defaults to time.Now
}

// Issuer signs access and refresh tokens.
type Issuer struct {
	opts      IssuerOptions
	refreshes *refreshCache
}

// Issued is a signed access token and the claims it carries.
type Issued struct {
	Token     string
	ExpiresIn time.Duration
	IssuedAt  time.Time
	Claims    AccessClaims
}

// NewIssuer checks opts and returns an Issuer.
func NewIssuer(opts IssuerOptions) (*Issuer, error) {
	var errs []error
	if opts.Issuer == "" {
		errs = append(errs, errors.New("issuer name is empty"))
	}
	if opts.Service == "" {
		errs = append(errs, errors.New("service name is empty"))
	}
	if opts.TTL < time.Minute {
		errs = append(errs, fmt.Errorf("token lifetime %s is shorter than 1m (docker refreshes tokens once a minute)", opts.TTL))
	}
	if opts.RefreshTTL <= 0 {
		errs = append(errs, errors.New("refresh token lifetime must be positive"))
	}
	if opts.Keys == nil || opts.Keys.Current() == nil {
		errs = append(errs, errors.New("no signing key"))
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("token issuer: %w", errors.Join(errs...))
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Issuer{opts: opts, refreshes: newRefreshCache(opts.Now)}, nil
}

// Service is the audience of access tokens.
func (is *Issuer) Service() string { return is.opts.Service }

// IssueAccess signs an access token for subject ("" for anonymous) granting access.
func (is *Issuer) IssueAccess(subject string, access []ResourceActions) (Issued, error) {
	now := is.opts.Now().Truncate(time.Second)
	jti, err := newID()
	if err != nil {
		return Issued{}, err
	}
	if access == nil {
		access = []ResourceActions{}
	}
	claims := AccessClaims{
		Registered: Registered{
			Issuer:    is.opts.Issuer,
			Subject:   subject,
			Audience:  is.opts.Service,
			ExpiresAt: now.Add(is.opts.TTL).Unix(),
			NotBefore: now.Add(-10 * time.Second).Unix(),
			IssuedAt:  now.Unix(),
			ID:        jti,
		},
		Access: access,
	}
	signed, err := sign(is.opts.Keys.Current(), claims)
	if err != nil {
		return Issued{}, err
	}
	return Issued{Token: signed, ExpiresIn: is.opts.TTL, IssuedAt: now, Claims: claims}, nil
}

// sign produces header.payload.signature with the key's precomputed header, so a token costs
// one JSON encoding of the claims and one signature. The token is built in one buffer sized
// for it and copied once into the string: at thousands of tokens a second, every kilobyte
// allocated per token brings the next garbage collection closer.
func sign(kp *KeyPair, claims any) (string, error) {
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("sign token: %w", err)
	}
	enc := base64.RawURLEncoding
	buf := make([]byte, 0, len(kp.header)+1+enc.EncodedLen(len(payload))+1+enc.EncodedLen(kp.sigSize))
	buf = append(buf, kp.header...)
	buf = append(buf, '.')
	buf = enc.AppendEncode(buf, payload)
	sig, err := signature(kp, buf)
	if err != nil {
		return "", fmt.Errorf("sign token: %w", err)
	}
	buf = append(buf, '.')
	buf = enc.AppendEncode(buf, sig)
	return string(buf), nil
}

// newID returns a 128-bit random token id.
func newID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("token id: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// jwt.Claims for both token kinds, so the library can validate tokens we parse back.
func (c Registered) GetExpirationTime() (*jwt.NumericDate, error) { return unixDate(c.ExpiresAt), nil }
func (c Registered) GetIssuedAt() (*jwt.NumericDate, error)       { return unixDate(c.IssuedAt), nil }
func (c Registered) GetNotBefore() (*jwt.NumericDate, error)      { return unixDate(c.NotBefore), nil }
func (c Registered) GetIssuer() (string, error)                   { return c.Issuer, nil }
func (c Registered) GetSubject() (string, error)                  { return c.Subject, nil }
func (c Registered) GetAudience() (jwt.ClaimStrings, error)       { return jwt.ClaimStrings{c.Audience}, nil }

func unixDate(sec int64) *jwt.NumericDate {
	if sec == 0 {
		return nil
	}
	return jwt.NewNumericDate(time.Unix(sec, 0))
}
