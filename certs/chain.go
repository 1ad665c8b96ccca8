package certs

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
)

// maxChain bounds chain building; real chains have one to three intermediates.
const maxChain = 10

// assemble picks the leaf for key among certs (in any order) and orders the rest into its
// chain. Certificates that belong to no chain of the leaf are dropped: CA exports often
// carry extra roots.
func assemble(key crypto.Signer, certs []*x509.Certificate) (*Bundle, error) {
	certs = dedupe(certs)
	leaf, err := pickLeaf(key.Public(), certs)
	if err != nil {
		return nil, err
	}
	inter, root, _ := buildChain(leaf, certs)
	return &Bundle{Leaf: leaf, Intermediates: inter, Root: root, Key: key}, nil
}

// AddIntermediates merges an extra chain file (tls.chain) into the bundle: the certificates may
// come in any order, duplicates and the leaf itself are ignored, and a self-signed root is kept
// in Root rather than served. A certificate that is not part of the leaf's chain is an error
// (most likely the wrong file), and then the bundle is left unchanged. Call it before the
// bundle is handed to a Holder.
func (b *Bundle) AddIntermediates(certs []*x509.Certificate) error {
	if b.Leaf == nil {
		return errors.New("add intermediates: bundle has no leaf")
	}
	pool := append([]*x509.Certificate{}, b.Intermediates...)
	if b.Root != nil {
		pool = append(pool, b.Root)
	}
	pool = dedupe(append(pool, certs...))
	inter, root, unused := buildChain(b.Leaf, pool)

	var stray []string
	for _, c := range unused {
		if bytes.Equal(c.Raw, b.Leaf.Raw) || isSelfSigned(c) {
			continue
		}
		stray = append(stray, fmt.Sprintf("%q", c.Subject.String()))
	}
	if len(stray) > 0 {
		return fmt.Errorf("add intermediates: %s not in the chain of %q", strings.Join(stray, ", "), b.Leaf.Subject.String())
	}
	if root == nil {
		root = b.Root
	}
	b.Intermediates, b.Root = inter, root
	return nil
}

// pickLeaf returns the certificate whose public key is the private key's. When several do
// (a renewal exported next to the old certificate), an end-entity beats a CA and the
// longest-lived wins.
func pickLeaf(pub crypto.PublicKey, certs []*x509.Certificate) (*x509.Certificate, error) {
	var leaf *x509.Certificate
	for _, c := range certs {
		if !samePublicKey(pub, c.PublicKey) {
			continue
		}
		if leaf == nil || (leaf.IsCA && !c.IsCA) || (leaf.IsCA == c.IsCA && c.NotAfter.After(leaf.NotAfter)) {
			leaf = c
		}
	}
	if leaf == nil {
		return nil, ErrKeyMismatch
	}
	return leaf, nil
}

func samePublicKey(a, b crypto.PublicKey) bool {
	e, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && e.Equal(b)
}

// buildChain walks from leaf to its root through pool by issuer name and signature. The
// self-signed end is returned as root (never served); unused holds what did not fit.
func buildChain(leaf *x509.Certificate, pool []*x509.Certificate) (inter []*x509.Certificate, root *x509.Certificate, unused []*x509.Certificate) {
	used := map[*x509.Certificate]bool{}
	for _, c := range pool {
		if bytes.Equal(c.Raw, leaf.Raw) {
			used[c] = true
		}
	}
	cur := leaf
	for !isSelfSigned(cur) && len(inter) < maxChain {
		parent := findIssuer(cur, pool, used)
		if parent == nil {
			break
		}
		used[parent] = true
		if isSelfSigned(parent) {
			root = parent
			break
		}
		inter = append(inter, parent)
		cur = parent
	}
	for _, c := range pool {
		if !used[c] {
			unused = append(unused, c)
		}
	}
	return inter, root, unused
}

// findIssuer prefers a cross-signed certificate over a self-signed one with the same name:
// the file's author put it there to be served.
func findIssuer(child *x509.Certificate, pool []*x509.Certificate, used map[*x509.Certificate]bool) *x509.Certificate {
	var best *x509.Certificate
	for _, c := range pool {
		if used[c] || !issuedBy(child, c) {
			continue
		}
		if best == nil || (isSelfSigned(best) && !isSelfSigned(c)) ||
			(isSelfSigned(best) == isSelfSigned(c) && c.NotAfter.After(best.NotAfter)) {
			best = c
		}
	}
	return best
}

// issuedBy reports whether parent signed child. A signature made with an algorithm Go no
// longer verifies (SHA-1, common in legacy exports) still counts when the names and key
// identifiers match: ordering the chain is not the place to judge it (Check warns instead).
func issuedBy(child, parent *x509.Certificate) bool {
	if !bytes.Equal(child.RawIssuer, parent.RawSubject) {
		return false
	}
	if len(child.AuthorityKeyId) > 0 && len(parent.SubjectKeyId) > 0 &&
		!bytes.Equal(child.AuthorityKeyId, parent.SubjectKeyId) {
		return false
	}
	err := parent.CheckSignature(child.SignatureAlgorithm, child.RawTBSCertificate, child.Signature)
	var insecure x509.InsecureAlgorithmError
	return err == nil || errors.As(err, &insecure)
}

func isSelfSigned(c *x509.Certificate) bool { return issuedBy(c, c) }

func dedupe(certs []*x509.Certificate) []*x509.Certificate {
	out := make([]*x509.Certificate, 0, len(certs))
	seen := map[string]bool{}
	for _, c := range certs {
		if c == nil || seen[string(c.Raw)] {
			continue
		}
		seen[string(c.Raw)] = true
		out = append(out, c)
	}
	return out
}
