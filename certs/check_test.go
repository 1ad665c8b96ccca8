package certs

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestCheck(t *testing.T) {
	notBefore := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	notAfter := time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
	pki := newTestPKI(t, newECKey(t), notBefore, notAfter)
	full := &Bundle{Leaf: pki.leaf, Intermediates: []*x509.Certificate{pki.inter}, Root: pki.root, Key: pki.leafKey}
	tests := []struct {
		name         string
		bundle       *Bundle
		now          time.Time
		want         []string
		wantValidity error
	}{
		{"a healthy certificate draws no warning", full, notAfter.Add(-90 * 24 * time.Hour), nil, nil},
		{"an expired leaf says how long ago and when", full, notAfter.Add(3*24*time.Hour + time.Hour),
			[]string{"certificate for *.registry.test expired 3 days ago (2026-11-25)"}, ErrExpired},
		{"a leaf expiring within 30 days says in how many days", full, notAfter.Add(-12 * 24 * time.Hour),
			[]string{"certificate for *.registry.test expires in 12 days (2026-11-25)"}, nil},
		{"a leaf expiring today counts hours", full, notAfter.Add(-5*time.Hour - time.Minute),
			[]string{"certificate for *.registry.test expires in 5 hours (2026-11-25)"}, nil},
		{"a leaf and intermediate not yet valid say from when", full, notBefore.Add(-24 * time.Hour),
			[]string{
				"certificate for *.registry.test is not valid before 2026-01-01 (in 1 day)",
				`intermediate "Go Test Intermediate" is not valid before 2025-12-31 (in 23 hours)`,
			}, ErrNotYetValid},
		{"a leaf without its intermediate reports the chain incomplete",
			&Bundle{Leaf: pki.leaf, Key: pki.leafKey}, notAfter.Add(-90 * 24 * time.Hour),
			[]string{`chain incomplete: issuer "Go Test Intermediate" not included (add it with tls.chain unless every client trusts it directly)`}, nil},
		{"a chain ending in an intermediate is complete without its root",
			&Bundle{Leaf: pki.leaf, Intermediates: []*x509.Certificate{pki.inter}, Key: pki.leafKey}, notAfter.Add(-90 * 24 * time.Hour), nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.bundle.Check(tt.now)
			if !slices.Equal(got, tt.want) {
				t.Errorf("Check =\n  %q\nwant\n  %q", got, tt.want)
			}
			if err := tt.bundle.Validity(tt.now); !errors.Is(err, tt.wantValidity) || (err == nil) != (tt.wantValidity == nil) {
				t.Errorf("Validity = %v, want %v", err, tt.wantValidity)
			}
		})
	}

	t.Run("the expired fixture loads and reports its expiry", func(t *testing.T) {
		b, err := LoadPFX(fixturePath("expired.pfx"), fixturePassword)
		if err != nil {
			t.Fatal(err)
		}
		now := time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)
		if err := b.Validity(now); !errors.Is(err, ErrExpired) {
			t.Fatalf("Validity = %v", err)
		}
		w := b.Check(now)
		if len(w) != 1 || !strings.HasPrefix(w[0], "certificate for *.registry.test expired 2157 days ago (2021-01-01)") {
			t.Fatalf("Check = %q", w)
		}
	})
	t.Run("a leaf-only legacy file is reported incomplete until the chain is added", func(t *testing.T) {
		b, err := LoadPFX(fixturePath("legacy-rc2-leaf-only.pfx"), fixturePassword)
		if err != nil {
			t.Fatal(err)
		}
		now := time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)
		if w := b.Check(now); len(w) != 1 || !strings.Contains(w[0], `issuer "regauth Test Intermediate CA" not included`) {
			t.Fatalf("Check = %q", w)
		}
		if err := b.AddIntermediates([]*x509.Certificate{fixtureCert(t, "int.crt")}); err != nil {
			t.Fatal(err)
		}
		if w := b.Check(now); len(w) != 0 {
			t.Fatalf("Check = %q", w)
		}
	})
	t.Run("a short RSA key is reported", func(t *testing.T) {
		weak, err := rsa.GenerateKey(rand.Reader, 1024)
		if err != nil {
			t.Skipf("this Go refuses 1024-bit RSA keys: %v", err)
		}
		p := newTestPKI(t, weak, notBefore, notAfter)
		b := &Bundle{Leaf: p.leaf, Intermediates: []*x509.Certificate{p.inter}, Key: weak}
		if w := b.Check(notBefore.Add(time.Hour)); len(w) != 1 || !strings.Contains(w[0], "1024 bits") {
			t.Fatalf("Check = %q", w)
		}
	})
}
