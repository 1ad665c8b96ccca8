package certs

import (
	"bytes"
	"encoding/asn1"
	"errors"
	"fmt"
	"os"
	"strings"

	"software.sslmate.com/src/go-pkcs12"
)

// DecodePFX opens a PKCS#12 file, legacy (RC2-40/3DES, SHA-1 MAC, what OpenSSL 3 refuses) or
// modern (PBES2/AES). The certificates may come in any order: the leaf is the one matching
// the key, and the rest are ordered into its chain.
func DecodePFX(data []byte, password string) (*Bundle, error) {
	if err := sniffPKCS12(data); err != nil {
		return nil, err
	}
	if err := checkIterations(data, 0); err != nil {
		return nil, err
	}
	key, cert, cas, err := pkcs12.DecodeChain(data, password)
	if err != nil {
		switch {
		case errors.Is(err, pkcs12.ErrIncorrectPassword), errors.Is(err, pkcs12.ErrDecryption):
			return nil, ErrWrongPassword
		case err.Error() == "pkcs12: no MAC in data":
			return nil, fmt.Errorf("%w: the file has no password, use an empty one", ErrWrongPassword)
		case err.Error() == "pkcs12: private key missing":
			return nil, errors.New("the file holds no private key: export the certificate together with its private key")
		}
		return nil, err
	}
	signer, err := toSigner(key)
	if err != nil {
		return nil, err
	}
	return assemble(signer, append(cas, cert))
}

// LoadPFX reads and decodes the file behind the tls.pfx setting; errors name the file.
func LoadPFX(path, password string) (*Bundle, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load tls.pfx %q: %w", path, err)
	}
	b, err := DecodePFX(data, password)
	if err != nil {
		return nil, fmt.Errorf("load tls.pfx %q: %w", path, err)
	}
	return b, nil
}

// sniffPKCS12 tells "not a PKCS#12 file at all" apart from a PFX the decoder cannot open, so
// that a PEM file or random bytes give a clear error instead of an ASN.1 one.
func sniffPKCS12(data []byte) error {
	var pfx struct {
		Version  int
		AuthSafe struct {
			ContentType asn1.ObjectIdentifier
			Content     asn1.RawValue `asn1:"tag:0,explicit,optional"`
		}
		MacData asn1.RawValue `asn1:"optional"`
	}
	if _, err := asn1.Unmarshal(data, &pfx); err != nil {
		if bytes.Contains(data, []byte("-----BEGIN ")) {
			return fmt.Errorf("%w: this is PEM text; load it as a certificate and key instead", ErrNotPKCS12)
		}
		return ErrNotPKCS12
	}
	if pfx.Version != 3 {
		return fmt.Errorf("%w: PFX version %d, want 3", ErrNotPKCS12, pfx.Version)
	}
	if !strings.HasPrefix(pfx.AuthSafe.ContentType.String(), "1.2.840.113549.1.7.") {
		return ErrNotPKCS12
	}
	return nil
}
