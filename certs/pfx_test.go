package certs

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"software.sslmate.com/src/go-pkcs12"
)

func TestDecodePFX(t *testing.T) {
	root, inter, leaf := fixtureCert(t, "root.crt"), fixtureCert(t, "int.crt"), fixtureCert(t, "leaf.crt")
	tests := []struct {
		name     string
		file     string
		password string
		wantLeaf *x509.Certificate // nil: any leaf for *.registry.test issued by int.crt
		wantRoot *x509.Certificate
		wantInts int
		wantKey  string
	}{
		{"a legacy RC2-40 file with the full chain yields leaf, intermediate and root", "legacy-rc2-chain.pfx", fixturePassword, leaf, root, 1, "ecdsa"},
		{"a legacy RC2-40 file with only the leaf yields the leaf alone", "legacy-rc2-leaf-only.pfx", fixturePassword, leaf, nil, 0, "ecdsa"},
		{"a modern AES file yields leaf and intermediate", "modern-aes-chain.pfx", fixturePassword, leaf, nil, 1, "ecdsa"},
		{"a file with an empty password opens with the empty password", "modern-empty-password.pfx", "", leaf, nil, 1, "ecdsa"},
		{"a file listing root, intermediate, leaf is put back in serving order", "reversed-order.pfx", fixturePassword, leaf, root, 1, "ecdsa"},
		{"an RSA leaf comes with its RSA key", "rsa-leaf.pfx", fixturePassword, nil, nil, 1, "rsa"},
		{"an expired leaf still loads", "expired.pfx", fixturePassword, nil, nil, 1, "ecdsa"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := LoadPFX(fixturePath(tt.file), tt.password)
			if err != nil {
				t.Fatalf("LoadPFX: %v", err)
			}
			if tt.wantLeaf != nil && !b.Leaf.Equal(tt.wantLeaf) {
				t.Errorf("leaf = %q, want leaf.crt", b.Leaf.Subject)
			}
			if !slices.Equal(b.Leaf.DNSNames, []string{"*.registry.test", "registry.test"}) {
				t.Errorf("leaf DNS names = %v", b.Leaf.DNSNames)
			}
			if len(b.Intermediates) != tt.wantInts {
				t.Fatalf("intermediates = %v, want %d", subjects(b.Intermediates), tt.wantInts)
			}
			if tt.wantInts == 1 && !b.Intermediates[0].Equal(inter) {
				t.Errorf("intermediate = %q, want int.crt", b.Intermediates[0].Subject)
			}
			if !sameCert(b.Root, tt.wantRoot) {
				t.Errorf("root = %v, want %v", b.Root != nil, tt.wantRoot != nil)
			}
			if !samePublicKey(b.Key.Public(), b.Leaf.PublicKey) {
				t.Error("key does not match the leaf")
			}
			if got := keyKind(b.Key); got != tt.wantKey {
				t.Errorf("key type = %s, want %s", got, tt.wantKey)
			}
			if got := len(b.TLSCertificate().Certificate); got != 1+tt.wantInts {
				t.Errorf("served chain has %d certificates, want %d (root never served)", got, 1+tt.wantInts)
			}
		})
	}
}

func keyKind(k crypto.Signer) string {
	switch k.(type) {
	case *rsa.PrivateKey:
		return "rsa"
	case *ecdsa.PrivateKey:
		return "ecdsa"
	case ed25519.PrivateKey:
		return "ed25519"
	}
	return fmt.Sprintf("%T", k)
}

func TestLoadPFXErrors(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "absent.pfx")
	tests := []struct {
		name     string
		path     string
		password string
		want     error
		wantMsg  string
	}{
		{"a wrong password on a legacy file is ErrWrongPassword naming the file", fixturePath("legacy-rc2-chain.pfx"), "wrong",
			ErrWrongPassword, fmt.Sprintf("load tls.pfx %q: wrong password", fixturePath("legacy-rc2-chain.pfx"))},
		{"a wrong password on a modern file is ErrWrongPassword", fixturePath("modern-aes-chain.pfx"), "", ErrWrongPassword, "wrong password"},
		{"a password on a file without one is ErrWrongPassword", fixturePath("modern-empty-password.pfx"), fixturePassword, ErrWrongPassword, "wrong password"},
		{"random bytes are ErrNotPKCS12", fixturePath("not-a-pfx.pfx"), fixturePassword, ErrNotPKCS12, "not-a-pfx.pfx"},
		{"a PEM certificate is ErrNotPKCS12 with a hint", fixturePath("leaf.crt"), fixturePassword, ErrNotPKCS12, "PEM text"},
		{"a missing file is fs.ErrNotExist naming the file", missing, fixturePassword, fs.ErrNotExist, missing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := LoadPFX(tt.path, tt.password)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if b != nil {
				t.Error("bundle returned with an error")
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("err = %q, want it to contain %q", err, tt.wantMsg)
			}
		})
	}
}

func TestDecodePFXKeyMatchesNoCertificate(t *testing.T) {
	now := time.Now()
	pki := newTestPKI(t, newECKey(t), now, now.Add(time.Hour))
	data, err := pkcs12.Modern.Encode(newECKey(t), pki.leaf, []*x509.Certificate{pki.inter}, fixturePassword)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := DecodePFX(data, fixturePassword); !errors.Is(err, ErrKeyMismatch) {
		t.Fatalf("err = %v, want ErrKeyMismatch", err)
	}
}

func TestDecodePFXKeyTypes(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	encoders := map[string]*pkcs12.Encoder{"legacy RC2": pkcs12.LegacyRC2, "legacy DES": pkcs12.LegacyDES, "modern": pkcs12.Modern}
	for _, tt := range []struct {
		kind string
		key  crypto.Signer
	}{{"rsa", rsaKey}, {"ecdsa", newECKey(t)}, {"ed25519", edKey}} {
		for encName, enc := range encoders {
			t.Run(fmt.Sprintf("an %s key in a %s file decodes with its chain", tt.kind, encName), func(t *testing.T) {
				now := time.Now()
				pki := newTestPKI(t, tt.key, now, now.Add(time.Hour))
				// root first, leaf last: the order must not matter
				data, err := enc.Encode(tt.key, pki.root, []*x509.Certificate{pki.inter, pki.leaf}, fixturePassword)
				if err != nil {
					t.Fatal(err)
				}
				b, err := DecodePFX(data, fixturePassword)
				if err != nil {
					t.Fatal(err)
				}
				if keyKind(b.Key) != tt.kind || !b.Leaf.Equal(pki.leaf) || !sameCert(b.Root, pki.root) ||
					len(b.Intermediates) != 1 || !b.Intermediates[0].Equal(pki.inter) {
					t.Fatalf("got key %s leaf %q ints %v root %v", keyKind(b.Key), b.Leaf.Subject, subjects(b.Intermediates), b.Root != nil)
				}
			})
		}
	}
}

func TestDecodePFXPasswordlessFileWithAPassword(t *testing.T) {
	now := time.Now()
	key := newECKey(t)
	pki := newTestPKI(t, key, now, now.Add(time.Hour))
	data, err := pkcs12.Passwordless.Encode(key, pki.leaf, []*x509.Certificate{pki.inter}, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Run("opens with the empty password", func(t *testing.T) {
		if b, err := DecodePFX(data, ""); err != nil || !b.Leaf.Equal(pki.leaf) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("with a password is ErrWrongPassword saying the file has none", func(t *testing.T) {
		_, err := DecodePFX(data, fixturePassword)
		if !errors.Is(err, ErrWrongPassword) || !strings.Contains(err.Error(), "no password") {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestDecodePFXWithoutKeyExplainsIt(t *testing.T) {
	data, err := pkcs12.Modern.EncodeTrustStore([]*x509.Certificate{fixtureCert(t, "leaf.crt")}, fixturePassword)
	if err != nil {
		t.Fatal(err)
	}
	_, err = DecodePFX(data, fixturePassword)
	if err == nil || !strings.Contains(err.Error(), "private key") {
		t.Fatalf("err = %v, want it to mention the missing private key", err)
	}
}

func TestDecodePFXRefusesHugeIterationCounts(t *testing.T) {
	now := time.Now()
	key := newECKey(t)
	pki := newTestPKI(t, key, now, now.Add(time.Hour))
	for _, tt := range []struct {
		name string
		enc  *pkcs12.Encoder
	}{
		{"a legacy MAC asking for 2^31 iterations is refused before any work", pkcs12.LegacyRC2.WithIterations(2)},
		{"a modern MAC asking for 2^31 iterations is refused before any work", pkcs12.Modern.WithIterations(2)},
		{"a PBMAC1 file asking for 2^31 iterations is refused before any work", pkcs12.Modern2026.WithIterations(2)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			// encoding with 0x7ffffff0 iterations would take hours: encode small, then patch the counts
			data, err := tt.enc.Encode(key, pki.leaf, nil, fixturePassword)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := DecodePFX(data, fixturePassword); err != nil {
				t.Fatalf("unpatched file: %v", err)
			}
			patched := patchIterations(t, data)
			start := time.Now()
			_, err = DecodePFX(patched, fixturePassword)
			if err == nil || !strings.Contains(err.Error(), "iteration count") {
				t.Fatalf("err = %v", err)
			}
			if time.Since(start) > time.Second {
				t.Fatalf("took %v", time.Since(start))
			}
		})
	}
}

// patchIterations rewrites every INTEGER that follows a salt (the MAC and PBE iteration counts) into a
// count near 2^31, re-encoding the tree so that every enclosing length stays right.
func patchIterations(t *testing.T, der []byte) []byte {
	t.Helper()
	var walk func([]byte) []byte
	walk = func(b []byte) []byte {
		var out []byte
		prevOctet := false
		for rest := b; len(rest) > 0; {
			var v asn1.RawValue
			var err error
			if rest, err = asn1.Unmarshal(rest, &v); err != nil {
				return b
			}
			switch {
			case prevOctet && v.Class == asn1.ClassUniversal && v.Tag == asn1.TagInteger:
				v = asn1.RawValue{Class: v.Class, Tag: v.Tag, Bytes: []byte{0x7f, 0xff, 0xff, 0xf0}}
			case v.IsCompound || v.Tag == asn1.TagOctetString:
				v = asn1.RawValue{Class: v.Class, Tag: v.Tag, IsCompound: v.IsCompound, Bytes: walk(v.Bytes)}
			default:
				v.FullBytes = nil
			}
			prevOctet = v.Class == asn1.ClassUniversal && v.Tag == asn1.TagOctetString && !v.IsCompound
			enc, err := asn1.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, enc...)
		}
		return out
	}
	return walk(der)
}
