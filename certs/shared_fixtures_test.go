package certs

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"os"
	"path/filepath"
	"testing"
)

// sharedFixtures are PFX files made outside this repository with OpenSSL 3 (see its README.md),
// an outside check on top of testdata/. From the package directory it is ../../shared/fixtures/pfx.
var sharedFixtures = filepath.Join("..", "..", "shared", "fixtures", "pfx")

func TestSharedPFXFixtures(t *testing.T) {
	if _, err := os.Stat(sharedFixtures); err != nil {
		t.Skipf("outside fixtures %s not present: %v", sharedFixtures, err)
	}
	load := func(name string) []byte {
		t.Helper()
		data, err := os.ReadFile(filepath.Join(sharedFixtures, name))
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	one := func(name string) *x509.Certificate {
		t.Helper()
		certs, err := ParseCertificatesPEM(load(name))
		if err != nil || len(certs) != 1 {
			t.Fatalf("%s: %d certificates, %v", name, len(certs), err)
		}
		return certs[0]
	}
	leaf, inter, root := one("wildcard-leaf.crt"), one("wildcard-int.crt"), one("wildcard-root.crt")
	want, err := ParsePEM(load("wildcard-leaf.crt"), load("wildcard-leaf.key"))
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name     string
		file     string
		password string
		chain    string // a separate chain file, as for a leaf-only export
		wantRoot *x509.Certificate
	}{
		{"the legacy RC2-40 chain serves leaf and intermediate and keeps the root apart", "legacy-rc2-chain.pfx", "changeit", "", root},
		{"the legacy leaf-only file plus its intermediate file serves leaf and intermediate", "legacy-rc2-leaf-only.pfx", "changeit", "wildcard-int.crt", nil},
		{"the modern AES chain serves leaf and intermediate", "modern-aes-chain.pfx", "changeit", "", nil},
		{"the empty-password file serves leaf and intermediate", "modern-empty-password.pfx", "", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(sharedFixtures, tt.file)
			if _, err := os.Stat(path); err != nil {
				t.Skipf("%s not present", path)
			}
			b, err := LoadPFX(path, tt.password)
			if err != nil {
				t.Fatal(err)
			}
			if tt.chain != "" {
				extra, err := LoadChainFile(filepath.Join(sharedFixtures, tt.chain))
				if err != nil {
					t.Fatal(err)
				}
				if err := b.AddIntermediates(extra); err != nil {
					t.Fatal(err)
				}
			}
			served := b.TLSCertificate().Certificate
			if len(served) != 2 || !bytes.Equal(served[0], leaf.Raw) || !bytes.Equal(served[1], inter.Raw) {
				t.Fatalf("served chain %v, want wildcard-leaf.crt + wildcard-int.crt", subjects(append([]*x509.Certificate{b.Leaf}, b.Intermediates...)))
			}
			if !sameCert(b.Root, tt.wantRoot) {
				t.Errorf("root kept = %v, want %v", b.Root != nil, tt.wantRoot != nil)
			}
			if !samePublicKey(want.Key.Public(), b.Key.Public()) {
				t.Fatal("key does not match wildcard-leaf.key")
			}
			if k, ok := b.Key.(interface{ Equal(crypto.PrivateKey) bool }); !ok || !k.Equal(want.Key) {
				t.Fatal("private key differs from wildcard-leaf.key")
			}
		})
	}
}
