package tokens

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

var testNow = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

func TestEnsureKeysCreatesOnceAndReusesAfterwards(t *testing.T) {
	for _, alg := range []string{"ES256", "RS256"} {
		t.Run(alg, func(t *testing.T) {
			dir := t.TempDir()
			first, err := EnsureKeys(dir, alg, testNow)
			if err != nil {
				t.Fatalf("EnsureKeys: %v", err)
			}
			if !first.Created {
				t.Error("first call did not report Created")
			}
			if first.KeyPair.Method.Alg() != alg {
				t.Errorf("method = %s, want %s", first.KeyPair.Method.Alg(), alg)
			}
			for _, name := range []string{SigningKeyFile, rootKeyFile} {
				info, err := os.Stat(filepath.Join(dir, name))
				if err != nil {
					t.Fatal(err)
				}
				if info.Mode().Perm() != 0o600 {
					t.Errorf("%s mode = %v, want 0600", name, info.Mode().Perm())
				}
			}
			second, err := EnsureKeys(dir, alg, testNow.Add(time.Hour))
			if err != nil {
				t.Fatalf("second EnsureKeys: %v", err)
			}
			if second.Created || second.KeyPair.KeyID != first.KeyPair.KeyID {
				t.Errorf("second call created=%v kid=%s, want reuse of kid %s", second.Created, second.KeyPair.KeyID, first.KeyPair.KeyID)
			}
			roots := x509.NewCertPool()
			roots.AddCert(second.KeyPair.Root)
			if _, err := second.KeyPair.Chain[0].Verify(x509.VerifyOptions{Roots: roots, CurrentTime: testNow, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
				t.Errorf("signing certificate does not chain to the root: %v", err)
			}
		})
	}
}

func TestEnsureKeysRenewsAnExpiringSigningCertificateFromTheSameRoot(t *testing.T) {
	dir := t.TempDir()
	first, err := EnsureKeys(dir, "ES256", testNow)
	if err != nil {
		t.Fatal(err)
	}
	later := first.KeyPair.Chain[0].NotAfter.Add(-24 * time.Hour)
	renewed, err := EnsureKeys(dir, "ES256", later)
	if err != nil {
		t.Fatal(err)
	}
	if renewed.KeyPair.KeyID == first.KeyPair.KeyID {
		t.Error("signing key was not renewed 1 day before expiry")
	}
	if !renewed.KeyPair.Root.Equal(first.KeyPair.Root) {
		t.Error("renewal changed the root the registry trusts")
	}
}

func TestThumbprintMatchesGoJose(t *testing.T) {
	kp := newTestKeyPair(t)
	want, err := (&jose.JSONWebKey{Key: kp.Signer.Public()}).Thumbprint(crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	if kp.KeyID != base64.RawURLEncoding.EncodeToString(want) {
		t.Errorf("kid = %s, go-jose thumbprint = %s", kp.KeyID, base64.RawURLEncoding.EncodeToString(want))
	}
	rsaKeys, err := EnsureKeys(t.TempDir(), "RS256", testNow)
	if err != nil {
		t.Fatal(err)
	}
	want, _ = (&jose.JSONWebKey{Key: rsaKeys.KeyPair.Signer.Public()}).Thumbprint(crypto.SHA256)
	if rsaKeys.KeyPair.KeyID != base64.RawURLEncoding.EncodeToString(want) {
		t.Errorf("RSA kid = %s, go-jose thumbprint = %s", rsaKeys.KeyPair.KeyID, base64.RawURLEncoding.EncodeToString(want))
	}
}

func TestLoadKeyPairRefusesBadKeys(t *testing.T) {
	dir := t.TempDir()
	g, err := EnsureKeys(dir, "ES256", testNow)
	if err != nil {
		t.Fatal(err)
	}
	certPath := filepath.Join(dir, SigningCertFile)
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	otherDER, _ := x509.MarshalPKCS8PrivateKey(other)
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	edDER, _ := x509.MarshalPKCS8PrivateKey(edKey)
	tests := []struct {
		name, keyPEM, wantErr string
	}{
		{"a key that matches no certificate", string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: otherDER})), "does not match"},
		{"an Ed25519 key", string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: edDER})), "ed25519"},
		{"a file with no PEM", "hello", "no PEM block"},
		{"a certificate instead of a key", string(g.KeyPair.RootPEM()), "not a private key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			keyPath := filepath.Join(t.TempDir(), "key.pem")
			if err := os.WriteFile(keyPath, []byte(tt.keyPEM), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := LoadKeyPair(keyPath, certPath)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), keyPath) {
				t.Fatalf("error = %v, want one naming %q and containing %q", err, keyPath, tt.wantErr)
			}
		})
	}
}

func TestLoadKeyPairAcceptsASelfSignedCertificateAsItsOwnRoot(t *testing.T) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	cert, err := createCertificate(key.Public(), key, nil, testNow, time.Hour, true)
	if err != nil {
		t.Fatal(err)
	}
	kp, err := NewKeyPair(key, []*x509.Certificate{cert}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !kp.Root.Equal(cert) || len(kp.x5c) != 1 {
		t.Errorf("root = %v, x5c has %d entries; want the certificate itself and 1", kp.Root.Subject, len(kp.x5c))
	}
}

func newTestKeyPair(t testing.TB) *KeyPair {
	t.Helper()
	g, err := EnsureKeys(t.TempDir(), "ES256", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return g.KeyPair
}
