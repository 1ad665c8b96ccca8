package certs

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"software.sslmate.com/src/go-pkcs12"
)

func TestInspectPFXNamesTheAlgorithmsOfTheFixtures(t *testing.T) {
	const (
		rc2    = "pbeWithSHAAnd40BitRC2-CBC"
		des3   = "pbeWithSHAAnd3-KeyTripleDES-CBC"
		modern = "PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC)"
	)
	tests := []struct {
		file string
		want []PFXAlgorithm
	}{
		{"legacy-rc2-chain.pfx", []PFXAlgorithm{
			{Use: "MAC", Name: "HMAC-SHA1", OID: "1.3.14.3.2.26", Iterations: 2048, Legacy: true},
			{Use: "certificates", Name: rc2, OID: "1.2.840.113549.1.12.1.6", Iterations: 2048, Legacy: true, OpenSSL3Refuses: true},
			{Use: "private key", Name: des3, OID: "1.2.840.113549.1.12.1.3", Iterations: 2048, Legacy: true},
		}},
		{"modern-aes-chain.pfx", []PFXAlgorithm{
			{Use: "MAC", Name: "HMAC-SHA256", OID: "2.16.840.1.101.3.4.2.1", Iterations: 2048},
			{Use: "certificates", Name: modern, OID: "1.2.840.113549.1.5.13", Iterations: 2048},
			{Use: "private key", Name: modern, OID: "1.2.840.113549.1.5.13", Iterations: 2048},
		}},
	}
	dirs := []string{"testdata", filepath.Join("..", "..", "shared", "fixtures", "pfx")}
	for _, dir := range dirs {
		for _, tt := range tests {
			t.Run(filepath.Join(dir, tt.file), func(t *testing.T) {
				data, err := os.ReadFile(filepath.Join(dir, tt.file))
				if errors.Is(err, os.ErrNotExist) && dir != "testdata" {
					t.Skipf("outside fixture not present: %v", err)
				}
				if err != nil {
					t.Fatal(err)
				}
				got, err := InspectPFX(data)
				if err != nil {
					t.Fatal(err)
				}
				if len(got) != len(tt.want) {
					t.Fatalf("got %+v\nwant %+v", got, tt.want)
				}
				for i := range got {
					if got[i] != tt.want[i] {
						t.Errorf("algorithm %d = %+v\nwant %+v", i, got[i], tt.want[i])
					}
				}
			})
		}
	}
}

func TestInspectPFXReadsFilesWrittenByOtherEncoders(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "inspect.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		enc      *pkcs12.Encoder
		password string
		want     map[string]PFXAlgorithm // by use; OID and iterations not compared
	}{
		{"3DES everywhere (OpenSSL -descert)", pkcs12.LegacyDES, "pw", map[string]PFXAlgorithm{
			"MAC":          {Name: "HMAC-SHA1", Legacy: true},
			"certificates": {Name: "pbeWithSHAAnd3-KeyTripleDES-CBC", Legacy: true},
			"private key":  {Name: "pbeWithSHAAnd3-KeyTripleDES-CBC", Legacy: true},
		}},
		{"no protection at all", pkcs12.Passwordless, "", map[string]PFXAlgorithm{
			"MAC":          {Name: "none (integrity not protected)", Legacy: true},
			"certificates": {Name: "none (not encrypted)"},
			"private key":  {Name: "none (not encrypted)", Legacy: true},
		}},
		{"PBMAC1 (2026 defaults)", pkcs12.Modern2026, "pw", map[string]PFXAlgorithm{
			"MAC":          {Name: "PBMAC1"},
			"certificates": {Name: "PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC)"},
			"private key":  {Name: "PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC)"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := tt.enc.Encode(key, cert, nil, tt.password)
			if err != nil {
				t.Fatal(err)
			}
			got, err := InspectPFX(data)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %+v, want one per use of %v", got, tt.want)
			}
			for _, a := range got {
				w, ok := tt.want[a.Use]
				if !ok || a.Name != w.Name || a.Legacy != w.Legacy || a.OpenSSL3Refuses {
					t.Errorf("%s: got %+v, want %+v", a.Use, a, w)
				}
			}
		})
	}
}

func TestInspectPFXRefusesWhatIsNotPKCS12(t *testing.T) {
	for _, data := range [][]byte{nil, []byte("-----BEGIN CERTIFICATE-----\n"), {0x30, 0x03, 0x02, 0x01, 0x03}} {
		if _, err := InspectPFX(data); err == nil {
			t.Errorf("InspectPFX(%q) succeeded", data)
		}
	}
	data, err := os.ReadFile(filepath.Join("testdata", "not-a-pfx.pfx"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := InspectPFX(data); !errors.Is(err, ErrNotPKCS12) {
		t.Errorf("InspectPFX(not-a-pfx.pfx) = %v; want ErrNotPKCS12", err)
	}
}

func FuzzInspectPFX(f *testing.F) {
	for _, name := range []string{"legacy-rc2-chain.pfx", "modern-aes-chain.pfx", "not-a-pfx.pfx"} {
		if data, err := os.ReadFile(filepath.Join("testdata", name)); err == nil {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		algs, err := InspectPFX(data)
		if err == nil && len(algs) == 0 {
			t.Error("no error and no algorithm: every PFX has at least a MAC entry")
		}
	})
}
