package certs

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"strings"
	"testing"
	"time"
)

func TestAddIntermediates(t *testing.T) {
	root, inter := fixtureCert(t, "root.crt"), fixtureCert(t, "int.crt")
	now := time.Now()
	stranger := newTestPKI(t, newECKey(t), now, now.Add(time.Hour))
	tests := []struct {
		name     string
		add      []*x509.Certificate
		wantInts []string
		wantRoot bool
		wantErr  string
	}{
		{"the missing intermediate completes a leaf-only file", []*x509.Certificate{inter}, []string{"regauth Test Intermediate CA"}, false, ""},
		{"a chain file in reversed order with the root keeps the root apart", []*x509.Certificate{root, inter}, []string{"regauth Test Intermediate CA"}, true, ""},
		{"duplicates and the leaf itself are ignored", []*x509.Certificate{inter, fixtureCert(t, "leaf.crt"), inter}, []string{"regauth Test Intermediate CA"}, false, ""},
		{"nothing added changes nothing", nil, nil, false, ""},
		{"an unrelated intermediate is an error", []*x509.Certificate{inter, stranger.inter}, nil, false, "Go Test Intermediate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := LoadPFX(fixturePath("legacy-rc2-leaf-only.pfx"), fixturePassword)
			if err != nil {
				t.Fatal(err)
			}
			err = b.AddIntermediates(tt.add)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to name %q", err, tt.wantErr)
				}
				if len(b.Intermediates) != 0 {
					t.Fatal("bundle changed despite the error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(subjects(b.Intermediates), "|") != strings.Join(tt.wantInts, "|") || (b.Root != nil) != tt.wantRoot {
				t.Fatalf("intermediates %v root %v", subjects(b.Intermediates), b.Root != nil)
			}
		})
	}
	t.Run("adding the same chain twice keeps one copy", func(t *testing.T) {
		b, err := LoadPFX(fixturePath("modern-aes-chain.pfx"), fixturePassword)
		if err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if err := b.AddIntermediates([]*x509.Certificate{inter, root}); err != nil {
				t.Fatal(err)
			}
		}
		if len(b.Intermediates) != 1 || !sameCert(b.Root, root) {
			t.Fatalf("intermediates %v root %v", subjects(b.Intermediates), b.Root != nil)
		}
	})
}

func TestChainBuilding(t *testing.T) {
	now := time.Now()
	ca := func(name string) *x509.Certificate {
		return &x509.Certificate{
			Subject: pkix.Name{CommonName: name}, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
			IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
		}
	}
	rootKey, int1Key, int2Key, leafKey := newECKey(t), newECKey(t), newECKey(t), newECKey(t)
	root := issue(t, ca("root"), nil, rootKey.Public(), rootKey)
	int1 := issue(t, ca("int1"), root, int1Key.Public(), rootKey)
	int2 := issue(t, ca("int2"), int1, int2Key.Public(), int1Key)
	leaf := issue(t, &x509.Certificate{
		Subject: pkix.Name{CommonName: "leaf"}, DNSNames: []string{"registry.test"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
	}, int2, leafKey.Public(), int2Key)

	t.Run("two intermediates in shuffled order are served issuer first", func(t *testing.T) {
		b, err := assemble(leafKey, []*x509.Certificate{int1, root, leaf, int2})
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(subjects(b.Intermediates), ","); got != "int2,int1" || !sameCert(b.Root, root) {
			t.Fatalf("intermediates %s root %v", got, b.Root != nil)
		}
	})
	t.Run("a certificate with the issuer's name and key id but a foreign signature is not a chain link", func(t *testing.T) {
		impostorKey := newECKey(t)
		tmpl := ca("int2")
		tmpl.SubjectKeyId = int2.SubjectKeyId
		impostor := issue(t, tmpl, nil, impostorKey.Public(), impostorKey)
		b, err := assemble(leafKey, []*x509.Certificate{impostor, leaf})
		if err != nil {
			t.Fatal(err)
		}
		if len(b.Intermediates) != 0 || b.Root != nil {
			t.Fatalf("intermediates %v root %v", subjects(b.Intermediates), b.Root != nil)
		}
	})
	t.Run("a key matching two certificates picks the end-entity one", func(t *testing.T) {
		selfSigned := issue(t, ca("leaf as CA"), nil, leafKey.Public(), leafKey)
		got, err := pickLeaf(leafKey.Public(), []*x509.Certificate{selfSigned, leaf})
		if err != nil || !got.Equal(leaf) {
			t.Fatalf("picked %q, err %v", got.Subject.CommonName, err)
		}
	})
}
