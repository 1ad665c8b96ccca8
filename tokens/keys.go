package tokens

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"os"

	"github.com/golang-jwt/jwt/v5"

	"github.com/regauth/regauth/certs"
)

// KeyPair is a token signing key with the certificate chain that vouches for it.
type KeyPair struct {
	Signer crypto.Signer
	Chain  []*x509.Certificate // signing certificate first, then intermediates (never the root)
	Root   *x509.Certificate   // what the registry's rootcertbundle must hold
	KeyID  string              // RFC 7638 thumbprint of the public key
	Method jwt.SigningMethod   // ES256, ES384, RS256, ...
	x5c    []string
	header string // the JWT header, base64url-encoded once: it carries the whole x5c chain
	// sigSize is the length of a JWS signature by this key, to size a token at once.
	sigSize int
}

// NewKeyPair checks that signer matches the first certificate of chain and derives the JWT
// header fields. When root is nil the chain's last certificate is used if it is self-signed.
func NewKeyPair(signer crypto.Signer, chain []*x509.Certificate, root *x509.Certificate) (*KeyPair, error) {
	if len(chain) == 0 {
		return nil, errors.New("signing key has no certificate")
	}
	if !publicKeysEqual(signer.Public(), chain[0].PublicKey) {
		return nil, errors.New("signing key does not match the first certificate of the chain")
	}
	if last := chain[len(chain)-1]; isSelfSigned(last) {
		if root == nil {
			root = last
		}
		if len(chain) > 1 {
			chain = chain[:len(chain)-1]
		}
	}
	if root == nil {
		return nil, errors.New("certificate chain has no root: add the self-signed root certificate to token.cert")
	}
	method, err := signingMethod(signer)
	if err != nil {
		return nil, err
	}
	kid, err := Thumbprint(signer.Public())
	if err != nil {
		return nil, err
	}
	kp := &KeyPair{Signer: signer, Chain: chain, Root: root, KeyID: kid, Method: method, sigSize: signatureSize(signer.Public())}
	for _, c := range chain {
		kp.x5c = append(kp.x5c, base64.StdEncoding.EncodeToString(c.Raw))
	}
	header, err := json.Marshal(struct {
		Alg string   `json:"alg"`
		Kid string   `json:"kid"`
		Typ string   `json:"typ"`
		X5c []string `json:"x5c"`
	}{method.Alg(), kid, "JWT", kp.x5c})
	if err != nil {
		return nil, err
	}
	kp.header = base64.RawURLEncoding.EncodeToString(header)
	return kp, nil
}

// RootPEM is the certificate bundle a registry needs as auth.token.rootcertbundle.
func (k *KeyPair) RootPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: k.Root.Raw})
}

// LoadKeyPair reads a PEM private key and a PEM certificate chain (signing certificate first).
func LoadKeyPair(keyPath, certPath string) (*KeyPair, error) {
	keyPEM, err := os.ReadFile(keyPath)
	if err != nil {
		return nil, fmt.Errorf("load token key: %w", err)
	}
	signer, err := ParsePrivateKeyPEM(keyPEM)
	if err != nil {
		return nil, fmt.Errorf("load token key %q: %w", keyPath, err)
	}
	certPEM, err := os.ReadFile(certPath)
	if err != nil {
		return nil, fmt.Errorf("load token certificate: %w", err)
	}
	chain, err := certs.ParseCertificatesPEM(certPEM)
	if err != nil {
		return nil, fmt.Errorf("load token certificate %q: %w", certPath, err)
	}
	kp, err := NewKeyPair(signer, chain, nil)
	if err != nil {
		return nil, fmt.Errorf("load token key %q with certificate %q: %w", keyPath, certPath, err)
	}
	return kp, nil
}

// ParsePrivateKeyPEM accepts PKCS#8, PKCS#1 (RSA) and SEC1 (EC) keys. Ed25519 keys are refused:
// a registry:2 (v2.8.3) panics at start when its root bundle holds an Ed25519 key.
func ParsePrivateKeyPEM(data []byte) (crypto.Signer, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("no PEM block found")
	}
	var key any
	var err error
	switch block.Type {
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(block.Bytes)
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	default:
		return nil, fmt.Errorf("PEM block %q is not a private key", block.Type)
	}
	if err != nil {
		return nil, err
	}
	switch k := key.(type) {
	case *ecdsa.PrivateKey, *rsa.PrivateKey:
		return k.(crypto.Signer), nil
	case ed25519.PrivateKey:
		return nil, errors.New("ed25519 keys are not supported: registry:2 cannot verify them (use ECDSA P-256 or RSA)")
	default:
		return nil, fmt.Errorf("unsupported private key type %T", key)
	}
}

func signingMethod(signer crypto.Signer) (jwt.SigningMethod, error) {
	switch pub := signer.Public().(type) {
	case *ecdsa.PublicKey:
		switch pub.Curve {
		case elliptic.P256():
			return jwt.SigningMethodES256, nil
		case elliptic.P384():
			return jwt.SigningMethodES384, nil
		case elliptic.P521():
			return jwt.SigningMethodES512, nil
		}
		return nil, fmt.Errorf("unsupported curve %s", pub.Curve.Params().Name)
	case *rsa.PublicKey:
		if pub.N.BitLen() < 2048 {
			return nil, fmt.Errorf("RSA key of %d bits is too small (2048 at least)", pub.N.BitLen())
		}
		return jwt.SigningMethodRS256, nil
	}
	return nil, fmt.Errorf("unsupported signing key type %T", signer.Public())
}

// signatureSize is how long a JWS signature by the key pub is: r and s of the curve's size
// for ECDSA (RFC 7518 section 3.4), the modulus's size for RSA.
func signatureSize(pub crypto.PublicKey) int {
	switch pub := pub.(type) {
	case *ecdsa.PublicKey:
		return 2 * ((pub.Curve.Params().BitSize + 7) / 8)
	case *rsa.PublicKey:
		return pub.Size()
	}
	return 0
}

// Thumbprint is the RFC 7638 JWK thumbprint (SHA-256, base64url) of an EC or RSA public key:
// the hash of the required members, in lexicographic order, without white space.
func Thumbprint(pub crypto.PublicKey) (string, error) {
	k, err := publicJWK(pub)
	if err != nil {
		return "", fmt.Errorf("thumbprint: %w", err)
	}
	var canonical string
	if k.Kty == "EC" {
		canonical = `{"crv":"` + k.Crv + `","kty":"EC","x":"` + k.X + `","y":"` + k.Y + `"}`
	} else {
		canonical = `{"e":"` + k.E + `","kty":"RSA","n":"` + k.N + `"}`
	}
	sum := sha256.Sum256([]byte(canonical))
	return b64(sum[:]), nil
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func publicKeysEqual(a, b crypto.PublicKey) bool {
	type equaler interface{ Equal(crypto.PublicKey) bool }
	ea, ok := a.(equaler)
	return ok && ea.Equal(b)
}

func isSelfSigned(c *x509.Certificate) bool {
	return c.CheckSignatureFrom(c) == nil && string(c.RawIssuer) == string(c.RawSubject)
}
