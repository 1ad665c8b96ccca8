package certs

import (
	"bytes"
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
)

// Errors callers tell apart with errors.Is; file-level wrappers add which file was being loaded.
var (
	// ErrWrongPassword reads well after the config key: "wrong password for tls.pfx".
	ErrWrongPassword = errors.New("wrong password")
	ErrNotPKCS12     = errors.New("not a PKCS#12 (.pfx/.p12) file")
	ErrKeyMismatch   = errors.New("private key matches no certificate")
	ErrExpired       = errors.New("certificate expired")
	ErrNotYetValid   = errors.New("certificate not yet valid")
)

// Bundle is a served identity: leaf first, then intermediates (root dropped), plus its private key.
type Bundle struct {
	Leaf          *x509.Certificate
	Intermediates []*x509.Certificate // leaf's issuer first
	Root          *x509.Certificate   // the self-signed root if the file had it (not served), else nil
	Key           crypto.Signer
}

// TLSCertificate is what the front hands to crypto/tls: the served chain without the root.
func (b *Bundle) TLSCertificate() tls.Certificate {
	chain := make([][]byte, 0, 1+len(b.Intermediates))
	chain = append(chain, b.Leaf.Raw)
	for _, c := range b.Intermediates {
		chain = append(chain, c.Raw)
	}
	return tls.Certificate{Certificate: chain, PrivateKey: b.Key, Leaf: b.Leaf}
}

// ChainPEM is the served chain as PEM, the form nginx, Apache and `registry:2` expect in server.crt.
func (b *Bundle) ChainPEM() []byte {
	var buf bytes.Buffer
	for _, c := range append([]*x509.Certificate{b.Leaf}, b.Intermediates...) {
		_ = pem.Encode(&buf, &pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
	}
	return buf.Bytes()
}

// KeyPEM exports the key unencrypted as PKCS#8, which every current TLS server reads.
func (b *Bundle) KeyPEM() ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(b.Key)
	if err != nil {
		return nil, fmt.Errorf("encode private key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// toSigner accepts the key types a TLS server can sign with (RSA, ECDSA, Ed25519).
func toSigner(key any) (crypto.Signer, error) {
	s, ok := key.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("unsupported private key type %T: need RSA, ECDSA or Ed25519", key)
	}
	return s, nil
}
