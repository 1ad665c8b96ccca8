package certs

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestEnsureDevCertificate(t *testing.T) {
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	dir := filepath.Join(t.TempDir(), "dev")

	first, err := EnsureDevCertificate(dir, []string{"registry.local"}, now)
	if err != nil {
		t.Fatal(err)
	}
	caSerial := first.Bundle.Root.SerialNumber

	t.Run("the first call creates CA and server certificate", func(t *testing.T) {
		if !first.Created {
			t.Error("Created = false on first use")
		}
		for _, f := range []string{first.CAFile, first.CertFile, first.KeyFile, filepath.Join(dir, "ca.key")} {
			if _, err := os.Stat(f); err != nil {
				t.Error(err)
			}
		}
		key, ok := first.Bundle.Key.(*ecdsa.PrivateKey)
		if !ok || key.Curve != elliptic.P256() {
			t.Errorf("key %T, want ECDSA P-256", first.Bundle.Key)
		}
	})
	t.Run("the server certificate verifies against the CA for every host", func(t *testing.T) {
		roots := x509.NewCertPool()
		roots.AddCert(first.Bundle.Root)
		for _, host := range []string{"localhost", "127.0.0.1", "::1", "registry.local"} {
			_, err := first.Bundle.Leaf.Verify(x509.VerifyOptions{DNSName: host, Roots: roots, CurrentTime: now})
			if err != nil {
				t.Errorf("%s: %v", host, err)
			}
		}
		if len(first.Bundle.TLSCertificate().Certificate) != 1 {
			t.Error("the CA must not be served")
		}
	})
	t.Run("key files are 0600", func(t *testing.T) {
		for _, f := range []string{first.KeyFile, filepath.Join(dir, "ca.key")} {
			fi, err := os.Stat(f)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != 0o600 {
				t.Errorf("%s mode %v, want 0600", f, fi.Mode().Perm())
			}
		}
	})
	t.Run("the second call reuses the same certificate", func(t *testing.T) {
		again, err := EnsureDevCertificate(dir, []string{"REGISTRY.local"}, now.Add(24*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if again.Created || again.Bundle.Leaf.SerialNumber.Cmp(first.Bundle.Leaf.SerialNumber) != 0 {
			t.Fatalf("Created %v, serial changed %v", again.Created, again.Bundle.Leaf.SerialNumber)
		}
	})
	t.Run("a loosened key mode is tightened on reuse", func(t *testing.T) {
		if err := os.Chmod(first.KeyFile, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := EnsureDevCertificate(dir, nil, now); err != nil {
			t.Fatal(err)
		}
		if fi, _ := os.Stat(first.KeyFile); fi.Mode().Perm() != 0o600 {
			t.Fatalf("mode %v", fi.Mode().Perm())
		}
	})

	regenerations := []struct {
		name   string
		hosts  []string
		now    time.Time
		breaks func(t *testing.T)
	}{
		{"a new host regenerates the server certificate but keeps the CA", []string{"registry.local", "10.0.0.7"}, now, nil},
		{"a certificate expiring within 30 days is regenerated", []string{"registry.local"}, now.Add(800 * 24 * time.Hour), nil},
		{"a missing server key is regenerated", []string{"registry.local"}, now, func(t *testing.T) {
			if err := os.Remove(first.KeyFile); err != nil {
				t.Fatal(err)
			}
		}},
		{"an unreadable server certificate is regenerated", []string{"registry.local"}, now, func(t *testing.T) {
			if err := os.WriteFile(first.CertFile, []byte("garbage"), 0o644); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range regenerations {
		t.Run(tt.name, func(t *testing.T) {
			before, err := EnsureDevCertificate(dir, []string{"registry.local"}, now)
			if err != nil {
				t.Fatal(err)
			}
			if tt.breaks != nil {
				tt.breaks(t)
			}
			after, err := EnsureDevCertificate(dir, tt.hosts, tt.now)
			if err != nil {
				t.Fatal(err)
			}
			if !after.Created || after.Bundle.Leaf.SerialNumber.Cmp(before.Bundle.Leaf.SerialNumber) == 0 {
				t.Fatalf("Created %v, serial unchanged", after.Created)
			}
			if after.Bundle.Root.SerialNumber.Cmp(caSerial) != 0 {
				t.Error("the CA was replaced")
			}
			if !covers(after.Bundle.Leaf, mustDevHosts(t, tt.hosts)) {
				t.Errorf("hosts not covered: %v %v", after.Bundle.Leaf.DNSNames, after.Bundle.Leaf.IPAddresses)
			}
			if err := after.Bundle.Validity(tt.now); err != nil {
				t.Error(err)
			}
		})
	}

	t.Run("an expiring CA is replaced with everything it signed", func(t *testing.T) {
		late := now.Add(10*365*24*time.Hour - 10*24*time.Hour)
		got, err := EnsureDevCertificate(dir, nil, late)
		if err != nil {
			t.Fatal(err)
		}
		if !got.Created || got.Bundle.Root.SerialNumber.Cmp(caSerial) == 0 || !issuedBy(got.Bundle.Leaf, got.Bundle.Root) {
			t.Fatal("CA not replaced")
		}
	})
	t.Run("a host with a port is refused", func(t *testing.T) {
		if _, err := EnsureDevCertificate(dir, []string{"registry.local:5043"}, now); err == nil {
			t.Fatal("no error")
		}
	})
}

func mustDevHosts(t *testing.T, extra []string) []string {
	t.Helper()
	h, err := devHosts(extra)
	if err != nil {
		t.Fatal(err)
	}
	return h
}
