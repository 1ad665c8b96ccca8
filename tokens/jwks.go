package tokens

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"math/big"
)

// JWK is one public key of a JSON Web Key Set (RFC 7517), as registry:3's `jwks:` reads it.
type JWK struct {
	Kty string `json:"kty"`
	Use string `json:"use"`
	Alg string `json:"alg"`
	Kid string `json:"kid"`
	Crv string `json:"crv,omitempty"`
	X   string `json:"x,omitempty"`
	Y   string `json:"y,omitempty"`
	N   string `json:"n,omitempty"`
	E   string `json:"e,omitempty"`
}

// JWKS is a JSON Web Key Set.
type JWKS struct {
	Keys []JWK `json:"keys"`
}

// BuildJWKS lists the public halves of every trusted key, kid = RFC 7638 thumbprint.
func BuildJWKS(keys Keys) (JWKS, error) {
	set := JWKS{Keys: []JWK{}}
	for _, kp := range keys.Trusted() {
		k, err := publicJWK(kp.Signer.Public())
		if err != nil {
			return JWKS{}, fmt.Errorf("jwks: %w", err)
		}
		k.Use, k.Alg, k.Kid = "sig", kp.Method.Alg(), kp.KeyID
		set.Keys = append(set.Keys, k)
	}
	return set, nil
}

// publicJWK holds the key members of an EC or RSA public key (base64url, big-endian, EC
// coordinates padded to the curve size as RFC 7518 requires).
func publicJWK(pub crypto.PublicKey) (JWK, error) {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		size := (k.Curve.Params().BitSize + 7) / 8
		ecdh, err := k.ECDH()
		if err != nil {
			return JWK{}, err
		}
		raw := ecdh.Bytes() // 0x04 || X || Y
		return JWK{Kty: "EC", Crv: k.Curve.Params().Name, X: b64(raw[1 : 1+size]), Y: b64(raw[1+size:])}, nil
	case *rsa.PublicKey:
		return JWK{Kty: "RSA", N: b64(k.N.Bytes()), E: b64(big.NewInt(int64(k.E)).Bytes())}, nil
	}
	return JWK{}, fmt.Errorf("unsupported key type %T", pub)
}

// JSON renders the set.
func (s JWKS) JSON() []byte {
	b, _ := json.MarshalIndent(s, "", "  ")
	return append(b, '\n')
}
