package certs

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func pemCerts(certs ...*x509.Certificate) []byte {
	var buf bytes.Buffer
	for _, c := range certs {
		_ = pem.Encode(&buf, &pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
	}
	return buf.Bytes()
}

func pemKey(t *testing.T, typ string, der []byte) []byte {
	t.Helper()
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

func TestParsePEM(t *testing.T) {
	root, inter, leaf := fixtureCert(t, "root.crt"), fixtureCert(t, "int.crt"), fixtureCert(t, "leaf.crt")
	leafKey := readFixture(t, "leaf.key")
	tests := []struct {
		name     string
		certPEM  []byte
		keyPEM   []byte
		wantInts int
		wantRoot bool
	}{
		{"a cert file in reversed order (root, int, leaf) is served leaf first", pemCerts(root, inter, leaf), leafKey, 1, true},
		{"a cert file with int before leaf and no root", pemCerts(inter, leaf), leafKey, 1, false},
		{"a lone leaf has no intermediates", pemCerts(leaf), leafKey, 0, false},
		{"one combined file holding key and certificates works for both", append(pemCerts(leaf, inter), leafKey...), append(pemCerts(leaf, inter), leafKey...), 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := ParsePEM(tt.certPEM, tt.keyPEM)
			if err != nil {
				t.Fatal(err)
			}
			if !b.Leaf.Equal(leaf) || len(b.Intermediates) != tt.wantInts || (b.Root != nil) != tt.wantRoot {
				t.Fatalf("leaf %q ints %v root %v", b.Leaf.Subject, subjects(b.Intermediates), b.Root != nil)
			}
			if tt.wantInts == 1 && !b.Intermediates[0].Equal(inter) {
				t.Errorf("intermediate = %q", b.Intermediates[0].Subject)
			}
		})
	}
}

func TestParsePEMKeyFormats(t *testing.T) {
	now := time.Now()
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ecKey := newECKey(t)
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pkcs8 := func(k crypto.Signer) []byte {
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		return der
	}
	sec1, err := x509.MarshalECPrivateKey(ecKey)
	if err != nil {
		t.Fatal(err)
	}
	ecParams := pem.EncodeToMemory(&pem.Block{Type: "EC PARAMETERS", Bytes: []byte{6, 8, 42, 134, 72, 206, 61, 3, 1, 7}})
	tests := []struct {
		name   string
		key    crypto.Signer
		keyPEM []byte
	}{
		{"an RSA key in PKCS#1 form", rsaKey, pemKey(t, "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(rsaKey))},
		{"an RSA key in PKCS#8 form", rsaKey, pemKey(t, "PRIVATE KEY", pkcs8(rsaKey))},
		{"an ECDSA key in SEC1 form after EC PARAMETERS (openssl ecparam -genkey)", ecKey, append(ecParams, pemKey(t, "EC PRIVATE KEY", sec1)...)},
		{"an ECDSA key in PKCS#8 form", ecKey, pemKey(t, "PRIVATE KEY", pkcs8(ecKey))},
		{"an Ed25519 key in PKCS#8 form", edKey, pemKey(t, "PRIVATE KEY", pkcs8(edKey))},
		{"an ECDSA key in DER", ecKey, pkcs8(ecKey)},
	}
	for _, tt := range tests {
		t.Run(tt.name+" loads", func(t *testing.T) {
			pki := newTestPKI(t, tt.key, now, now.Add(time.Hour))
			b, err := ParsePEM(pemCerts(pki.leaf, pki.inter), tt.keyPEM)
			if err != nil {
				t.Fatal(err)
			}
			if !b.Leaf.Equal(pki.leaf) || !samePublicKey(b.Key.Public(), tt.key.Public()) {
				t.Fatal("wrong leaf or key")
			}
		})
	}
}

func TestParsePEMErrors(t *testing.T) {
	leaf := fixtureCert(t, "leaf.crt")
	other, err := x509.MarshalPKCS8PrivateKey(newECKey(t))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		certPEM []byte
		keyPEM  []byte
		wantErr error
		wantMsg string
	}{
		{"a key matching no certificate is ErrKeyMismatch", pemCerts(leaf), pemKey(t, "PRIVATE KEY", other), ErrKeyMismatch, ""},
		{"an encrypted key is refused with a hint", pemCerts(leaf), pemKey(t, "ENCRYPTED PRIVATE KEY", other), nil, "encrypted"},
		{"a key file without a key says so", pemCerts(leaf), pemCerts(leaf), nil, "no private key"},
		{"a cert file without certificates says so", readFixture(t, "leaf.key"), readFixture(t, "leaf.key"), nil, "no certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParsePEM(tt.certPEM, tt.keyPEM)
			if err == nil || (tt.wantErr != nil && !errors.Is(err, tt.wantErr)) || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Fatalf("err = %v, want %v containing %q", err, tt.wantErr, tt.wantMsg)
			}
		})
	}
}

func TestLoadPEM(t *testing.T) {
	dir := t.TempDir()
	certPath := filepath.Join(dir, "server.crt")
	data := pemCerts(fixtureCert(t, "root.crt"), fixtureCert(t, "int.crt"), fixtureCert(t, "leaf.crt"))
	if err := os.WriteFile(certPath, data, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Run("a reversed PEM chain file loads leaf first", func(t *testing.T) {
		b, err := LoadPEM(certPath, fixturePath("leaf.key"))
		if err != nil {
			t.Fatal(err)
		}
		if got := subjects(append(b.Intermediates, b.Root)); strings.Join(got, "|") != "regauth Test Intermediate CA|regauth Test Root CA" {
			t.Fatalf("chain = %v", got)
		}
	})
	t.Run("a missing key file is named in the error", func(t *testing.T) {
		missing := filepath.Join(dir, "nope.key")
		_, err := LoadPEM(certPath, missing)
		if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), `load tls.key "`+missing+`"`) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("a chain file in DER is read too", func(t *testing.T) {
		der := filepath.Join(dir, "int.cer")
		if err := os.WriteFile(der, fixtureCert(t, "int.crt").Raw, 0o644); err != nil {
			t.Fatal(err)
		}
		certs, err := LoadChainFile(der)
		if err != nil || len(certs) != 1 {
			t.Fatalf("certs %d, err %v", len(certs), err)
		}
	})
}

func TestExportRoundTrip(t *testing.T) {
	b, err := LoadPFX(fixturePath("legacy-rc2-chain.pfx"), fixturePassword)
	if err != nil {
		t.Fatal(err)
	}
	keyPEM, err := b.KeyPEM()
	if err != nil {
		t.Fatal(err)
	}
	t.Run("ChainPEM holds leaf then intermediate and no root", func(t *testing.T) {
		certs, err := ParseCertificatesPEM(b.ChainPEM())
		if err != nil {
			t.Fatal(err)
		}
		if len(certs) != 2 || !certs[0].Equal(b.Leaf) || !certs[1].Equal(b.Intermediates[0]) {
			t.Fatalf("chain = %v", subjects(certs))
		}
	})
	t.Run("KeyPEM is PKCS#8 and pairs with ChainPEM", func(t *testing.T) {
		if !bytes.HasPrefix(keyPEM, []byte("-----BEGIN PRIVATE KEY-----")) {
			t.Fatalf("key PEM starts %q", keyPEM[:30])
		}
		again, err := ParsePEM(b.ChainPEM(), keyPEM)
		if err != nil {
			t.Fatal(err)
		}
		if !again.Leaf.Equal(b.Leaf) || !again.Key.(*ecdsa.PrivateKey).Equal(b.Key) {
			t.Fatal("round trip changed leaf or key")
		}
	})
	t.Run("TLSCertificate serves leaf and intermediate with the key and Leaf set", func(t *testing.T) {
		tc := b.TLSCertificate()
		if len(tc.Certificate) != 2 || !bytes.Equal(tc.Certificate[0], b.Leaf.Raw) ||
			!bytes.Equal(tc.Certificate[1], b.Intermediates[0].Raw) || tc.Leaf != b.Leaf || tc.PrivateKey != b.Key {
			t.Fatal("unexpected tls.Certificate")
		}
	})
}
