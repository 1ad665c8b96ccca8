package tokens

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"time"

	"github.com/regauth/regauth/certs"
	"github.com/regauth/regauth/internal/atomicfile"
)

// Generated key files under the token directory. The root signs the signing certificate, so a
// new signing key (rotation) never changes what the registry has to trust.
const (
	RootCertFile    = "root.crt"
	rootKeyFile     = "root.key"
	SigningKeyFile  = "signing.key"
	SigningCertFile = "signing.crt" // signing certificate followed by the root
)

const (
	rootValidity    = 10 * 365 * 24 * time.Hour
	signingValidity = 2 * 365 * 24 * time.Hour
	renewBefore     = 30 * 24 * time.Hour
)

// Generated reports what EnsureKeys found or made.
type Generated struct {
	KeyPair  *KeyPair
	RootFile string // the bundle for the registry's auth.token.rootcertbundle
	Created  bool   // true when any file was written
}

// EnsureKeys loads the signing key under dir, creating a root certificate and a signing key
// (ES256 or RS256) on first use. An existing key is reused; a signing certificate that expires
// within 30 days is renewed from the same root.
func EnsureKeys(dir, algorithm string, now time.Time) (*Generated, error) {
	if algorithm == "" {
		algorithm = "ES256"
	}
	if algorithm != "ES256" && algorithm != "RS256" {
		return nil, fmt.Errorf("token algorithm %q: want ES256 or RS256", algorithm)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create token key directory: %w", err)
	}
	g := &Generated{RootFile: filepath.Join(dir, RootCertFile)}

	rootKey, root, created, err := ensureRoot(dir, algorithm, now)
	if err != nil {
		return nil, err
	}
	g.Created = created

	kp, err := LoadKeyPair(filepath.Join(dir, SigningKeyFile), filepath.Join(dir, SigningCertFile))
	switch {
	case err == nil && !created && kp.Root.Equal(root) && now.Add(renewBefore).Before(kp.Chain[0].NotAfter):
		g.KeyPair = kp
		return g, nil
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return nil, err
	}
	g.KeyPair, err = newSigningKey(dir, algorithm, rootKey, root, now)
	g.Created = true
	return g, err
}

// RotateSigningKey replaces the signing key under dir with a new one signed by the same root,
// so the registry's rootcertbundle stays valid. A running regauth picks the new key up from
// the files; tokens signed by the old key stay valid until they expire.
func RotateSigningKey(dir, algorithm string, now time.Time) (*KeyPair, error) {
	if algorithm == "" {
		algorithm = "ES256"
	}
	keyPEM, err := os.ReadFile(filepath.Join(dir, rootKeyFile))
	if err != nil {
		return nil, fmt.Errorf("rotate token key: no root key (run keys init first): %w", err)
	}
	rootKey, err := ParsePrivateKeyPEM(keyPEM)
	if err != nil {
		return nil, fmt.Errorf("rotate token key: %w", err)
	}
	certData, err := os.ReadFile(filepath.Join(dir, RootCertFile))
	if err != nil {
		return nil, fmt.Errorf("rotate token key: %w", err)
	}
	roots, err := certs.ParseCertificatesPEM(certData)
	if err != nil {
		return nil, fmt.Errorf("rotate token key: root certificate: %w", err)
	}
	return newSigningKey(dir, algorithm, rootKey, roots[0], now)
}

// newSigningKey writes a fresh signing key and its certificate (followed by the root). The
// key is written first: a reader that sees the new key with the old certificate refuses the
// mismatched pair and keeps what it has until the certificate follows.
func newSigningKey(dir, algorithm string, rootKey crypto.Signer, root *x509.Certificate, now time.Time) (*KeyPair, error) {
	signer, err := newKey(algorithm)
	if err != nil {
		return nil, err
	}
	cert, err := createCertificate(signer.Public(), rootKey, root, now, signingValidity, false)
	if err != nil {
		return nil, fmt.Errorf("create token signing certificate: %w", err)
	}
	if err := writeKey(filepath.Join(dir, SigningKeyFile), signer); err != nil {
		return nil, err
	}
	if err := atomicfile.Write(filepath.Join(dir, SigningCertFile), append(certPEM(cert), certPEM(root)...), 0o644); err != nil {
		return nil, err
	}
	return NewKeyPair(signer, []*x509.Certificate{cert}, root)
}

func ensureRoot(dir, algorithm string, now time.Time) (crypto.Signer, *x509.Certificate, bool, error) {
	keyPath, certPath := filepath.Join(dir, rootKeyFile), filepath.Join(dir, RootCertFile)
	keyPEM, kerr := os.ReadFile(keyPath)
	certData, cerr := os.ReadFile(certPath)
	if kerr == nil && cerr == nil {
		key, err := ParsePrivateKeyPEM(keyPEM)
		if err != nil {
			return nil, nil, false, fmt.Errorf("load token root key %q: %w", keyPath, err)
		}
		found, err := certs.ParseCertificatesPEM(certData)
		if err != nil {
			return nil, nil, false, fmt.Errorf("load token root certificate %q: %w", certPath, err)
		}
		if !publicKeysEqual(key.Public(), found[0].PublicKey) {
			return nil, nil, false, fmt.Errorf("token root key %q does not match %q", keyPath, certPath)
		}
		return key, found[0], false, nil
	}
	if !errors.Is(kerr, fs.ErrNotExist) && kerr != nil {
		return nil, nil, false, fmt.Errorf("load token root key: %w", kerr)
	}
	key, err := newKey(algorithm)
	if err != nil {
		return nil, nil, false, err
	}
	root, err := createCertificate(key.Public(), key, nil, now, rootValidity, true)
	if err != nil {
		return nil, nil, false, fmt.Errorf("create token root certificate: %w", err)
	}
	if err := writeKey(keyPath, key); err != nil {
		return nil, nil, false, err
	}
	if err := atomicfile.Write(certPath, certPEM(root), 0o644); err != nil {
		return nil, nil, false, err
	}
	return key, root, true, nil
}

func newKey(algorithm string) (crypto.Signer, error) {
	if algorithm == "RS256" {
		return rsa.GenerateKey(rand.Reader, 3072)
	}
	return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
}

func createCertificate(pub crypto.PublicKey, parentKey crypto.Signer, parent *x509.Certificate, now time.Time, validity time.Duration, isCA bool) (*x509.Certificate, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 126))
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		NotBefore:             now.Add(-5 * time.Minute),
		NotAfter:              now.Add(validity),
		BasicConstraintsValid: true,
	}
	if isCA {
		tmpl.Subject = pkix.Name{Organization: []string{"regauth"}, CommonName: "regauth token root " + fmt.Sprintf("%032x", serial)[:8]}
		tmpl.IsCA = true
		tmpl.MaxPathLenZero = true
		tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature
		parent = tmpl
	} else {
		tmpl.Subject = pkix.Name{Organization: []string{"regauth"}, CommonName: "regauth token signer " + fmt.Sprintf("%032x", serial)[:8]}
		tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, parentKey)
	if err != nil {
		return nil, err
	}
	return x509.ParseCertificate(der)
}

func writeKey(path string, key crypto.Signer) error {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return fmt.Errorf("encode key %q: %w", path, err)
	}
	return atomicfile.Write(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600)
}

func certPEM(c *x509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
}
