package certs

import (
	"encoding/asn1"
	"fmt"
	"math/big"
)

// maxIterations bounds the key-derivation iteration counts a PFX may ask for. Real files use
// 1 to 600,000 at most (OpenSSL 2048, Windows 2000, Java 10,000); a million costs about a
// second per file, while a corrupt count near 2^31 in the unauthenticated MAC parameters
// would keep the loader busy for hours.
const maxIterations = 1_000_000

// checkIterations walks the readable DER of a PFX (the encrypted parts stay opaque) and
// refuses any salt-then-count pair (MAC data, PBE and PBKDF2 parameters) over maxIterations.
func checkIterations(der []byte, depth int) error {
	if depth > 24 {
		return nil
	}
	var elems []asn1.RawValue
	for rest := der; len(rest) > 0; {
		var v asn1.RawValue
		var err error
		if rest, err = asn1.Unmarshal(rest, &v); err != nil {
			return nil // not DER (ciphertext, or a leaf of the tree): nothing to check here
		}
		elems = append(elems, v)
	}
	for i, v := range elems {
		if i > 0 && v.Class == asn1.ClassUniversal && v.Tag == asn1.TagInteger && isOctetString(elems[i-1]) {
			if n := new(big.Int).SetBytes(v.Bytes); len(v.Bytes) > 0 && v.Bytes[0]&0x80 == 0 && n.Cmp(big.NewInt(maxIterations)) > 0 {
				return fmt.Errorf("key derivation iteration count %s is over the limit of %d", n, maxIterations)
			}
		}
		if v.IsCompound || isOctetString(v) {
			if err := checkIterations(v.Bytes, depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}

func isOctetString(v asn1.RawValue) bool {
	return v.Class == asn1.ClassUniversal && v.Tag == asn1.TagOctetString && !v.IsCompound
}
