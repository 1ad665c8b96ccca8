package certs

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"
)

// ParsePEM builds a bundle from a certificate file (leaf and intermediates in any order,
// a root allowed) and a key file in PKCS#1, PKCS#8 or SEC1 form. Either file may also hold
// the other's blocks, so one combined PEM passed twice works.
func ParsePEM(certPEM, keyPEM []byte) (*Bundle, error) {
	certs, err := ParseCertificatesPEM(certPEM)
	if err != nil {
		return nil, err
	}
	key, err := parsePrivateKey(keyPEM)
	if err != nil {
		return nil, err
	}
	signer, err := toSigner(key)
	if err != nil {
		return nil, err
	}
	return assemble(signer, certs)
}

// LoadPEM reads the files behind tls.cert and tls.key; errors name the file at fault.
func LoadPEM(certPath, keyPath string) (*Bundle, error) {
	certPEM, err := os.ReadFile(certPath)
	if err != nil {
		return nil, fmt.Errorf("load tls.cert %q: %w", certPath, err)
	}
	certs, err := ParseCertificatesPEM(certPEM)
	if err != nil {
		return nil, fmt.Errorf("load tls.cert %q: %w", certPath, err)
	}
	keyPEM, err := os.ReadFile(keyPath)
	if err != nil {
		return nil, fmt.Errorf("load tls.key %q: %w", keyPath, err)
	}
	key, err := parsePrivateKey(keyPEM)
	if err != nil {
		return nil, fmt.Errorf("load tls.key %q: %w", keyPath, err)
	}
	signer, err := toSigner(key)
	if err != nil {
		return nil, fmt.Errorf("load tls.key %q: %w", keyPath, err)
	}
	b, err := assemble(signer, certs)
	if err != nil {
		return nil, fmt.Errorf("load tls.cert %q with tls.key %q: %w", certPath, keyPath, err)
	}
	return b, nil
}

// ParseCertificatesPEM returns every CERTIFICATE block in data, in file order, skipping other
// blocks (keys, parameters) and text around them. Data without any PEM block is tried as
// DER, the form Windows exports as .cer.
func ParseCertificatesPEM(data []byte) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	sawPEM := false
	for rest := data; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		sawPEM = true
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("certificate %d: %w", len(certs)+1, err)
		}
		certs = append(certs, c)
	}
	if !sawPEM && len(data) > 0 {
		if der, err := x509.ParseCertificates(data); err == nil {
			return der, nil
		}
	}
	if len(certs) == 0 {
		return nil, errors.New("no certificate found (want PEM \"CERTIFICATE\" blocks)")
	}
	return certs, nil
}

// LoadChainFile reads the extra intermediates behind tls.chain, for Bundle.AddIntermediates.
func LoadChainFile(path string) ([]*x509.Certificate, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load tls.chain %q: %w", path, err)
	}
	certs, err := ParseCertificatesPEM(data)
	if err != nil {
		return nil, fmt.Errorf("load tls.chain %q: %w", path, err)
	}
	return certs, nil
}

// parsePrivateKey takes the first private key block of data (PKCS#8, PKCS#1 or SEC1),
// or DER in one of those forms when data holds no PEM at all.
func parsePrivateKey(data []byte) (any, error) {
	sawPEM := false
	for rest := data; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		sawPEM = true
		if strings.Contains(block.Headers["Proc-Type"], "ENCRYPTED") || block.Type == "ENCRYPTED PRIVATE KEY" {
			return nil, errors.New("private key is encrypted: decrypt it (openssl pkey -in KEY -out KEY.plain) and keep it at mode 0600, or use a .pfx")
		}
		var key any
		var err error
		switch block.Type {
		case "PRIVATE KEY":
			key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
		case "RSA PRIVATE KEY":
			key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
		case "EC PRIVATE KEY":
			key, err = x509.ParseECPrivateKey(block.Bytes)
		default:
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", strings.ToLower(block.Type), err)
		}
		return key, nil
	}
	if !sawPEM && len(data) > 0 {
		if key, err := x509.ParsePKCS8PrivateKey(data); err == nil {
			return key, nil
		}
		if key, err := x509.ParsePKCS1PrivateKey(data); err == nil {
			return key, nil
		}
		if key, err := x509.ParseECPrivateKey(data); err == nil {
			return key, nil
		}
	}
	return nil, errors.New("no private key found (want PEM \"PRIVATE KEY\", \"RSA PRIVATE KEY\" or \"EC PRIVATE KEY\")")
}
