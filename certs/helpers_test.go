package certs

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"
)

const fixturePassword = "changeit"

func fixturePath(name string) string { return filepath.Join("testdata", name) }

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(fixturePath(name))
	if err != nil {
		t.Fatalf("read fixture: %v", err)
	}
	return data
}

func fixtureCert(t testing.TB, name string) *x509.Certificate {
	t.Helper()
	certs, err := ParseCertificatesPEM(readFixture(t, name))
	if err != nil || len(certs) != 1 {
		t.Fatalf("fixture %s: %d certificates, %v", name, len(certs), err)
	}
	return certs[0]
}

// testPKI is a root -> intermediate -> leaf chain made in the test, for cases the fixtures
// do not cover (key types, dates, mismatches).
type testPKI struct {
	root, inter, leaf *x509.Certificate
	leafKey           crypto.Signer
}

func newECKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// newTestPKI issues a leaf for *.registry.test with leafKey, valid from notBefore to notAfter.
func newTestPKI(t testing.TB, leafKey crypto.Signer, notBefore, notAfter time.Time) *testPKI {
	t.Helper()
	rootKey, intKey := newECKey(t), newECKey(t)
	long := notAfter.Add(20 * 365 * 24 * time.Hour)
	root := issue(t, &x509.Certificate{
		Subject:   pkix.Name{CommonName: "Go Test Root"},
		NotBefore: notBefore.Add(-time.Hour), NotAfter: long,
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}, nil, rootKey.Public(), rootKey)
	inter := issue(t, &x509.Certificate{
		Subject:   pkix.Name{CommonName: "Go Test Intermediate"},
		NotBefore: notBefore.Add(-time.Hour), NotAfter: long,
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}, root, intKey.Public(), rootKey)
	leaf := issue(t, &x509.Certificate{
		Subject:   pkix.Name{CommonName: "*.registry.test"},
		DNSNames:  []string{"*.registry.test", "registry.test"},
		NotBefore: notBefore, NotAfter: notAfter,
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}, inter, leafKey.Public(), intKey)
	return &testPKI{root: root, inter: inter, leaf: leaf, leafKey: leafKey}
}

func issue(t testing.TB, tmpl, parent *x509.Certificate, pub crypto.PublicKey, signer crypto.Signer) *x509.Certificate {
	t.Helper()
	serial, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	if err != nil {
		t.Fatal(err)
	}
	tmpl.SerialNumber = serial
	if parent == nil {
		parent = tmpl
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, signer)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func subjects(certs []*x509.Certificate) []string {
	out := make([]string, len(certs))
	for i, c := range certs {
		out[i] = c.Subject.CommonName
	}
	return out
}

func sameCert(a, b *x509.Certificate) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(b)
}
