package auth

import (
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

// HashKind names a password hash scheme accepted in htpasswd files.
type HashKind string

// The hash schemes written by "htpasswd -B", "htpasswd -m" and "htpasswd -s".
const (
	KindBcrypt HashKind = "bcrypt"
	KindAPR1   HashKind = "apr1"
	KindSHA1   HashKind = "sha1"
)

const (
	shaPrefix     = "{SHA}"
	bcryptHashLen = 60
	// dummyBcrypt is a cost-10 bcrypt hash of a random string nobody knows; unknown users are
	// compared against it when the file has no usable hash to imitate.
	dummyBcrypt = "$2y$10$aEtkUz3w/jki0ipVBJZ3FOOQ8h0LArPJB9IxTan7g0rQKN45PTzgm"
)

// classifyHash recognises a stored hash, or returns why it is refused. The reason never
// quotes the hash: a refused "hash" may well be a plaintext password.
func classifyHash(hash string) (HashKind, string) {
	switch {
	case hash == "":
		return "", "empty password hash"
	case strings.HasPrefix(hash, "$2a$"), strings.HasPrefix(hash, "$2b$"), strings.HasPrefix(hash, "$2y$"):
		if _, err := bcrypt.Cost([]byte(hash)); err != nil || len(hash) != bcryptHashLen {
			return "", "malformed bcrypt hash"
		}
		return KindBcrypt, ""
	case strings.HasPrefix(hash, apr1Magic):
		if _, _, ok := parseAPR1(hash); !ok {
			return "", "malformed apr1 hash"
		}
		return KindAPR1, ""
	case strings.HasPrefix(hash, shaPrefix):
		if sum, err := base64.StdEncoding.Strict().DecodeString(hash[len(shaPrefix):]); err != nil || len(sum) != sha1.Size {
			return "", "malformed {SHA} hash"
		}
		return KindSHA1, ""
	case strings.HasPrefix(hash, "$1$"):
		return "", "unsupported hash (MD5 crypt)"
	case strings.HasPrefix(hash, "$5$"):
		return "", "unsupported hash (SHA-256 crypt)"
	case strings.HasPrefix(hash, "$6$"):
		return "", "unsupported hash (SHA-512 crypt)"
	default:
		return "", "unsupported hash (plaintext or DES crypt)"
	}
}

// CheckPassword reports whether pw matches hash, a stored htpasswd hash of one of the schemes
// regauth accepts (bcrypt, apr1, {SHA}); any other hash matches nothing.
func CheckPassword(hash string, pw []byte) bool {
	kind, _ := classifyHash(hash)
	return verifyHash(kind, hash, pw)
}

// verifyHash reports whether pw matches a hash that classifyHash accepted as kind.
func verifyHash(kind HashKind, hash string, pw []byte) bool {
	switch kind {
	case KindBcrypt:
		return bcrypt.CompareHashAndPassword([]byte(hash), pw) == nil
	case KindAPR1:
		return verifyAPR1(hash, pw)
	case KindSHA1:
		want, err := base64.StdEncoding.DecodeString(hash[len(shaPrefix):])
		if err != nil {
			return false
		}
		got := sha1.Sum(pw)
		return subtle.ConstantTimeCompare(got[:], want) == 1
	default:
		return false
	}
}

// HashBcrypt hashes pw for an htpasswd file in the "$2y$" form that "htpasswd -B" writes.
// Cost 0 means bcrypt.DefaultCost.
func HashBcrypt(pw Password, cost int) (string, error) {
	if cost == 0 {
		cost = bcrypt.DefaultCost
	}
	if cost < bcrypt.MinCost || cost > bcrypt.MaxCost {
		return "", fmt.Errorf("hash password: bcrypt cost %d outside %d..%d", cost, bcrypt.MinCost, bcrypt.MaxCost)
	}
	h, err := bcrypt.GenerateFromPassword([]byte(pw.Reveal()), cost)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	// Go writes "$2a$"; both mean the same algorithm, "$2y$" matches the htpasswd tool.
	return "$2y$" + string(h[len("$2a$"):]), nil
}
