package certs

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/regauth/regauth/internal/atomicfile"
)

// DevCertificate is a development identity: a local CA (CAFile, to be trusted by clients)
// and a server certificate signed by it. Created says whether anything was (re)written.
type DevCertificate struct {
	Bundle   *Bundle
	CAFile   string
	CertFile string
	KeyFile  string
	Created  bool
}

const (
	devCAFile   = "ca.crt"
	devCAKey    = "ca.key"
	devCertFile = "server.crt"
	devKeyFile  = "server.key"

	devCALifetime = 10 * 365 * 24 * time.Hour
	// 825 days is the longest lifetime Apple platforms accept for a server certificate
	// from a locally trusted CA.
	devCertLifetime = 825 * 24 * time.Hour
)

// devDefaultHosts are always covered, so `docker login localhost:5043` works out of the box.
var devDefaultHosts = []string{"localhost", "127.0.0.1", "::1"}

// EnsureDevCertificate returns the development certificate under dir, creating it on first use
// and reusing it afterwards. The server certificate is regenerated when missing, unreadable,
// expiring within 30 days or not covering hosts; the CA is kept unless it is unusable itself,
// so a CA that clients already trust stays trusted.
func EnsureDevCertificate(dir string, hosts []string, now time.Time) (*DevCertificate, error) {
	want, err := devHosts(hosts)
	if err != nil {
		return nil, fmt.Errorf("dev certificate: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("dev certificate: %w", err)
	}
	dc := &DevCertificate{
		CAFile:   filepath.Join(dir, devCAFile),
		CertFile: filepath.Join(dir, devCertFile),
		KeyFile:  filepath.Join(dir, devKeyFile),
	}
	caKeyFile := filepath.Join(dir, devCAKey)

	ca, err := LoadPEM(dc.CAFile, caKeyFile)
	if err != nil || !ca.Leaf.IsCA || !isSelfSigned(ca.Leaf) || !fresh(ca.Leaf, now) {
		if ca, err = createDevCA(now); err != nil {
			return nil, fmt.Errorf("dev certificate: %w", err)
		}
		if err := writePair(dc.CAFile, caKeyFile, ca); err != nil {
			return nil, fmt.Errorf("dev certificate: %w", err)
		}
		dc.Created = true
	}

	server, err := LoadPEM(dc.CertFile, dc.KeyFile)
	if dc.Created || err != nil || !issuedBy(server.Leaf, ca.Leaf) || !fresh(server.Leaf, now) || !covers(server.Leaf, want) {
		if server, err = createDevServer(ca, want, now); err != nil {
			return nil, fmt.Errorf("dev certificate: %w", err)
		}
		if err := writePair(dc.CertFile, dc.KeyFile, server); err != nil {
			return nil, fmt.Errorf("dev certificate: %w", err)
		}
		dc.Created = true
	}
	for _, key := range []string{caKeyFile, dc.KeyFile} {
		if err := tightenKeyMode(key); err != nil {
			return nil, fmt.Errorf("dev certificate: %w", err)
		}
	}
	dc.Bundle = &Bundle{Leaf: server.Leaf, Root: ca.Leaf, Key: server.Key}
	return dc, nil
}

// devHosts normalises hosts (lower case, IPv6 brackets dropped) after the defaults.
func devHosts(extra []string) ([]string, error) {
	var out []string
	for _, h := range append(slices.Clone(devDefaultHosts), extra...) {
		h = strings.ToLower(strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(h), "["), "]"))
		if h == "" {
			continue
		}
		if ip := net.ParseIP(h); ip != nil {
			h = ip.String()
		} else if strings.ContainsAny(h, ":/ \t") {
			return nil, fmt.Errorf("invalid host %q: want a DNS name or an IP address, without port", h)
		}
		if !slices.Contains(out, h) {
			out = append(out, h)
		}
	}
	return out, nil
}

func covers(c *x509.Certificate, hosts []string) bool {
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			if !slices.ContainsFunc(c.IPAddresses, ip.Equal) {
				return false
			}
		} else if !slices.ContainsFunc(c.DNSNames, func(n string) bool { return strings.EqualFold(n, h) }) {
			return false
		}
	}
	return true
}

func fresh(c *x509.Certificate, now time.Time) bool {
	return !now.Before(c.NotBefore) && c.NotAfter.Sub(now) >= warnBefore
}

func createDevCA(now time.Time) (*Bundle, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		Subject: pkix.Name{
			Organization: []string{"regauth development"},
			CommonName:   "regauth development CA " + now.UTC().Format(time.DateOnly),
		},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(devCALifetime),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	return signDev(tmpl, nil, key)
}

func createDevServer(ca *Bundle, hosts []string, now time.Time) (*Bundle, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	notAfter := now.Add(devCertLifetime)
	if ca.Leaf.NotAfter.Before(notAfter) {
		notAfter = ca.Leaf.NotAfter
	}
	tmpl := &x509.Certificate{
		Subject: pkix.Name{
			Organization: []string{"regauth development"},
			CommonName:   hosts[0],
		},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	return signDev(tmpl, ca, key)
}

// signDev signs tmpl with ca, or self-signs it when ca is nil.
func signDev(tmpl *x509.Certificate, ca *Bundle, key *ecdsa.PrivateKey) (*Bundle, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, err
	}
	tmpl.SerialNumber = serial.Add(serial, big.NewInt(1))
	parent, signer := tmpl, any(key)
	if ca != nil {
		parent, signer = ca.Leaf, ca.Key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, signer)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &Bundle{Leaf: cert, Key: key}, nil
}

// writePair writes the key (0600) before the certificate: a crash in between leaves a pair
// that does not match, which the next run regenerates.
func writePair(certPath, keyPath string, b *Bundle) error {
	keyPEM, err := b.KeyPEM()
	if err != nil {
		return err
	}
	if err := atomicfile.Write(keyPath, keyPEM, 0o600); err != nil {
		return err
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: b.Leaf.Raw})
	return atomicfile.Write(certPath, certPEM, 0o644)
}

// tightenKeyMode restores 0600 on a reused key file someone loosened.
func tightenKeyMode(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if fi.Mode().Perm()&0o077 == 0 {
		return nil
	}
	if err := os.Chmod(path, 0o600); err != nil {
		return errors.Join(fmt.Errorf("key file %q is readable by others", path), err)
	}
	return nil
}
