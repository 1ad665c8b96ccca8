package tokens

import (
	"crypto/ecdsa"
	"errors"
	"fmt"

	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

// signature signs a JWS signing input with kp's key and returns the signature as JWS carries
// it (RFC 7518 section 3).
//
// An ECDSA key held in memory signs deterministically (RFC 6979): the nonce is derived from the
// key and the message, where Go's default also mixes in random bytes, hashing with SHA-512
// whatever the curve, which costs about a fifth more per signature. What the random bytes add
// is a guard against fault attacks, which need the same message signed more than once; every
// token carries its own jti, so none is. Verifiers see ordinary ECDSA signatures. Other keys
// sign through the JWT library.
func signature(kp *KeyPair, input []byte) ([]byte, error) {
	key, isKey := kp.Signer.(*ecdsa.PrivateKey)
	method, isECDSA := kp.Method.(*jwt.SigningMethodECDSA)
	if !isKey || !isECDSA {
		return kp.Method.Sign(string(input), kp.Signer)
	}
	h := method.Hash.New()
	h.Write(input)
	der, err := key.Sign(nil, h.Sum(nil), method.Hash) // nil rand: RFC 6979
	if err != nil {
		return nil, fmt.Errorf("ecdsa sign: %w", err)
	}
	return jwsECDSA(der, method.KeySize)
}

// jwsECDSA turns an ASN.1 ECDSA signature into JWS form: r and s as big-endian integers of
// size bytes each, one after the other.
func jwsECDSA(der []byte, size int) ([]byte, error) {
	var seq cryptobyte.String
	var r, s []byte
	in := cryptobyte.String(der)
	if !in.ReadASN1(&seq, asn1.SEQUENCE) || !in.Empty() ||
		!seq.ReadASN1Integer(&r) || !seq.ReadASN1Integer(&s) || !seq.Empty() {
		return nil, errors.New("ecdsa sign: malformed signature")
	}
	out := make([]byte, 2*size)
	if !putFixed(out[:size], r) || !putFixed(out[size:], s) {
		return nil, errors.New("ecdsa sign: signature does not fit the curve size")
	}
	return out, nil
}

// putFixed writes the non-negative integer n (big-endian, minimal) right-aligned into dst.
func putFixed(dst, n []byte) bool {
	for len(n) > 0 && n[0] == 0 {
		n = n[1:]
	}
	if len(n) > len(dst) {
		return false
	}
	copy(dst[len(dst)-len(n):], n)
	return true
}
