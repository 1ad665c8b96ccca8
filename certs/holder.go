package certs

import (
	"crypto/tls"
	"errors"
	"sync/atomic"
)

// Holder keeps the certificate the front serves, for tls.Config.GetCertificate. A reload
// builds a new Bundle completely and swaps it in; a failed reload passes nil and the last
// good certificate keeps serving.
type Holder struct {
	cur atomic.Pointer[held]
}

// held pairs a bundle with its tls.Certificate, built once per swap rather than per handshake.
type held struct {
	bundle *Bundle
	cert   tls.Certificate
}

var errNoCertificate = errors.New("certs: no certificate loaded")

// NewHolder starts with b; b may be nil when the first certificate comes later.
func NewHolder(b *Bundle) *Holder {
	h := &Holder{}
	h.Swap(b)
	return h
}

// Swap serves b from the next handshake on; nil keeps the current certificate.
func (h *Holder) Swap(b *Bundle) {
	if b == nil || b.Leaf == nil || b.Key == nil {
		return
	}
	h.cur.Store(&held{bundle: b, cert: b.TLSCertificate()})
}

// GetCertificate has the signature of tls.Config.GetCertificate.
func (h *Holder) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	s := h.cur.Load()
	if s == nil {
		return nil, errNoCertificate
	}
	return &s.cert, nil
}

// Current is the bundle being served, or nil before the first Swap.
func (h *Holder) Current() *Bundle {
	if s := h.cur.Load(); s != nil {
		return s.bundle
	}
	return nil
}
