package auth

import (
	"crypto/md5"
	"crypto/subtle"
	"strings"
)

// Apache's MD5 scheme ("htpasswd -m"), the md5crypt algorithm with the magic "$apr1$":
// $apr1$<salt, up to 8 characters>$<22 characters of digest>.
const (
	apr1Magic     = "$apr1$"
	apr1MaxSalt   = 8
	apr1DigestLen = 22
	apr1Rounds    = 1000
	cryptAlphabet = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
)

// parseAPR1 splits a stored apr1 hash into salt and digest, or reports ok=false when no
// password could ever match it.
func parseAPR1(hash string) (salt, digest string, ok bool) {
	rest, found := strings.CutPrefix(hash, apr1Magic)
	if !found {
		return "", "", false
	}
	salt, digest, found = strings.Cut(rest, "$")
	if !found || len(salt) > apr1MaxSalt || len(digest) != apr1DigestLen {
		return "", "", false
	}
	for _, s := range []string{salt, digest} {
		for i := range len(s) {
			if strings.IndexByte(cryptAlphabet, s[i]) < 0 {
				return "", "", false
			}
		}
	}
	return salt, digest, true
}

// verifyAPR1 reports whether pw matches the stored apr1 hash, comparing in constant time.
func verifyAPR1(hash string, pw []byte) bool {
	salt, digest, ok := parseAPR1(hash)
	if !ok {
		return false
	}
	return subtle.ConstantTimeCompare(apr1Digest(pw, []byte(salt)), []byte(digest)) == 1
}

// apr1Digest computes the 22-character digest part of an apr1 hash.
func apr1Digest(pw, salt []byte) []byte {
	alt := md5.New()
	alt.Write(pw)
	alt.Write(salt)
	alt.Write(pw)
	altSum := alt.Sum(nil)

	h := md5.New()
	h.Write(pw)
	h.Write([]byte(apr1Magic))
	h.Write(salt)
	for n := len(pw); n > 0; n -= md5.Size {
		h.Write(altSum[:min(n, md5.Size)])
	}
	for n := len(pw); n > 0; n >>= 1 {
		if n&1 == 1 {
			h.Write([]byte{0})
		} else {
			h.Write(pw[:1])
		}
	}
	sum := h.Sum(nil)

	for i := range apr1Rounds {
		h.Reset()
		if i&1 == 1 {
			h.Write(pw)
		} else {
			h.Write(sum)
		}
		if i%3 != 0 {
			h.Write(salt)
		}
		if i%7 != 0 {
			h.Write(pw)
		}
		if i&1 == 1 {
			h.Write(sum)
		} else {
			h.Write(pw)
		}
		sum = h.Sum(sum[:0])
	}

	out := make([]byte, 0, apr1DigestLen)
	for _, g := range [5][3]int{{0, 6, 12}, {1, 7, 13}, {2, 8, 14}, {3, 9, 15}, {4, 10, 5}} {
		out = appendCrypt64(out, uint(sum[g[0]])<<16|uint(sum[g[1]])<<8|uint(sum[g[2]]), 4)
	}
	return appendCrypt64(out, uint(sum[11]), 2)
}

// appendCrypt64 appends n characters of crypt's base-64 encoding of v, least significant first.
func appendCrypt64(dst []byte, v uint, n int) []byte {
	for range n {
		dst = append(dst, cryptAlphabet[v&0x3f])
		v >>= 6
	}
	return dst
}
