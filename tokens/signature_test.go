package tokens

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"strconv"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

// selfSignedKeyPair wraps signer in a KeyPair with a self-signed certificate.
func selfSignedKeyPair(t *testing.T, signer crypto.Signer) *KeyPair {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test token signer"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, signer.Public(), signer)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	kp, err := NewKeyPair(signer, []*x509.Certificate{cert}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return kp
}

func TestTokensOfEveryKeyKindVerifyWithBothJOSELibraries(t *testing.T) {
	ecKey := func(c elliptic.Curve) crypto.Signer {
		k, err := ecdsa.GenerateKey(c, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	// Each signs deterministically: ECDSA as RFC 6979, RSA PKCS #1 v1.5 by construction.
	cases := []struct {
		alg    jose.SignatureAlgorithm
		signer crypto.Signer
	}{
		{jose.ES256, ecKey(elliptic.P256())},
		{jose.ES384, ecKey(elliptic.P384())},
		{jose.ES512, ecKey(elliptic.P521())}, // 66-byte r and s: not a whole number of words
		{jose.RS256, rsaKey},
	}
	claims := AccessClaims{
		Registered: Registered{Issuer: "regauth-test", Subject: "alice", Audience: "registry", ExpiresAt: time.Now().Add(time.Minute).Unix(), IssuedAt: time.Now().Unix(), ID: "id-1"},
		Access:     []ResourceActions{{Type: "repository", Name: "team/app", Actions: []string{"pull"}}},
	}
	for _, tc := range cases {
		t.Run(string(tc.alg), func(t *testing.T) {
			kp := selfSignedKeyPair(t, tc.signer)
			once, err1 := sign(kp, claims)
			again, err2 := sign(kp, claims)
			if err1 != nil || err2 != nil {
				t.Fatal(err1, err2)
			}
			if once != again {
				t.Error("the same claims signed twice gave two tokens: want RFC 6979 signatures")
			}
			// Many tokens, so that r or s with a leading zero byte (1 in 128 tokens) may turn
			// up; TestJWSFormPadsShortIntegersAndRefusesWhatDoesNotFit covers it for certain.
			for i := range 100 {
				c := claims
				c.ID = strconv.Itoa(i)
				token, err := sign(kp, c)
				if err != nil {
					t.Fatal(err)
				}
				jws, err := jose.ParseSigned(token, []jose.SignatureAlgorithm{tc.alg})
				if err != nil {
					t.Fatal(err)
				}
				if _, err := jws.Verify(tc.signer.Public()); err != nil {
					t.Fatalf("token %d: go-jose (registry:3) refuses the signature: %v", i, err)
				}
				if _, err := jwt.Parse(token, func(*jwt.Token) (any, error) { return tc.signer.Public(), nil },
					jwt.WithValidMethods([]string{string(tc.alg)})); err != nil {
					t.Fatalf("token %d: golang-jwt refuses the signature: %v", i, err)
				}
			}
		})
	}
}

// derSignature encodes r and s as an ASN.1 ECDSA signature.
func derSignature(r, s *big.Int) []byte {
	var b cryptobyte.Builder
	b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1BigInt(r)
		b.AddASN1BigInt(s)
	})
	return b.BytesOrPanic()
}

func TestJWSFormPadsShortIntegersAndRefusesWhatDoesNotFit(t *testing.T) {
	// s has its top bit set, so DER prefixes a zero byte that JWS must drop.
	s := new(big.Int).SetBytes(bytes.Repeat([]byte{0xff}, 32))
	got, err := jwsECDSA(derSignature(big.NewInt(1), s), 32)
	if err != nil {
		t.Fatal(err)
	}
	want := append(append(make([]byte, 31), 1), bytes.Repeat([]byte{0xff}, 32)...)
	if !bytes.Equal(got, want) {
		t.Errorf("jwsECDSA = %x\nwant        %x", got, want)
	}
	tooBig := new(big.Int).Lsh(big.NewInt(1), 256) // 33 bytes
	for name, der := range map[string][]byte{
		"r too large":    derSignature(tooBig, big.NewInt(1)),
		"r negative":     derSignature(big.NewInt(-128), big.NewInt(1)),
		"not a sequence": {0x02, 0x01, 0x01},
		"trailing bytes": append(derSignature(big.NewInt(1), big.NewInt(1)), 0),
		"empty":          nil,
	} {
		if _, err := jwsECDSA(der, 32); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
