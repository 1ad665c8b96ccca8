package certs

import (
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
)

// PFXAlgorithm is one protection a PKCS#12 file uses, as `regauth cert inspect` reports it.
type PFXAlgorithm struct {
	Use        string // "MAC", "certificates" or "private key"
	Name       string // "HMAC-SHA1", "pbeWithSHAAnd40BitRC2-CBC", "PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC)", "none"
	OID        string // the algorithm's object identifier ("" for none)
	Iterations int    // key derivation rounds, 0 when not applicable
	// Legacy marks algorithms of the pre-2010 exports (RC2, RC4, DES, 3DES, a SHA-1 MAC, no
	// MAC at all): weak, and the reason to re-export the file.
	Legacy bool
	// OpenSSL3Refuses marks the algorithms OpenSSL 3 opens only with -legacy (RC2, RC4, DES).
	OpenSSL3Refuses bool
}

// InspectPFX lists the algorithms that protect a PKCS#12 file. They sit in the file's
// unencrypted outer structure, so no password is needed; key bags inside an encrypted
// container are covered by that container's algorithm and not listed apart. Each (use,
// algorithm) pair is listed once, in file order.
func InspectPFX(data []byte) ([]PFXAlgorithm, error) {
	if err := sniffPKCS12(data); err != nil {
		return nil, err
	}
	var pfx struct {
		Version  int
		AuthSafe pfxContentInfo
		MacData  asn1.RawValue `asn1:"optional"`
	}
	if _, err := asn1.Unmarshal(data, &pfx); err != nil {
		return nil, fmt.Errorf("read PKCS#12 structure: %w", err)
	}
	var out []PFXAlgorithm
	add := func(a PFXAlgorithm) {
		for _, have := range out {
			if have.Use == a.Use && have.Name == a.Name {
				return
			}
		}
		out = append(out, a)
	}

	mac, err := macAlgorithm(pfx.MacData)
	if err != nil {
		return nil, err
	}
	add(mac)

	if pfx.AuthSafe.ContentType.String() != oidData {
		return nil, fmt.Errorf("read PKCS#12 structure: public-key protected files (%s) are not supported", pfx.AuthSafe.ContentType)
	}
	authSafe, err := octets(pfx.AuthSafe.Content)
	if err != nil {
		return nil, err
	}
	var contents []pfxContentInfo
	if _, err := asn1.Unmarshal(authSafe, &contents); err != nil {
		return nil, fmt.Errorf("read PKCS#12 contents: %w", err)
	}
	for _, ci := range contents {
		switch ci.ContentType.String() {
		case oidData:
			raw, err := octets(ci.Content)
			if err != nil {
				return nil, err
			}
			var bags []struct {
				ID    asn1.ObjectIdentifier
				Value asn1.RawValue   `asn1:"tag:0,explicit"`
				Attrs []asn1.RawValue `asn1:"set,optional"`
			}
			if _, err := asn1.Unmarshal(raw, &bags); err != nil {
				return nil, fmt.Errorf("read PKCS#12 bags: %w", err)
			}
			for _, bag := range bags {
				switch bag.ID.String() {
				case oidShroudedKeyBag:
					var epki struct {
						Algorithm pkix.AlgorithmIdentifier
						Data      []byte
					}
					if _, err := asn1.Unmarshal(bag.Value.Bytes, &epki); err != nil {
						return nil, fmt.Errorf("read PKCS#12 key bag: %w", err)
					}
					add(encryption("private key", epki.Algorithm))
				case oidKeyBag:
					add(PFXAlgorithm{Use: "private key", Name: "none (not encrypted)", Legacy: true})
				case oidCertBag:
					add(PFXAlgorithm{Use: "certificates", Name: "none (not encrypted)"})
				}
			}
		case oidEncryptedData:
			var ed struct {
				Version int
				Info    struct {
					ContentType asn1.ObjectIdentifier
					Algorithm   pkix.AlgorithmIdentifier
					Content     asn1.RawValue `asn1:"tag:0,optional"`
				}
			}
			if _, err := asn1.Unmarshal(ci.Content.Bytes, &ed); err != nil {
				return nil, fmt.Errorf("read PKCS#12 encrypted contents: %w", err)
			}
			add(encryption("certificates", ed.Info.Algorithm))
		default:
			return nil, fmt.Errorf("read PKCS#12 contents: unsupported content type %s", ci.ContentType)
		}
	}
	return out, nil
}

type pfxContentInfo struct {
	ContentType asn1.ObjectIdentifier
	Content     asn1.RawValue `asn1:"tag:0,explicit,optional"`
}

const (
	oidData           = "1.2.840.113549.1.7.1"
	oidEncryptedData  = "1.2.840.113549.1.7.6"
	oidKeyBag         = "1.2.840.113549.1.12.10.1.1"
	oidShroudedKeyBag = "1.2.840.113549.1.12.10.1.2"
	oidCertBag        = "1.2.840.113549.1.12.10.1.3"
	oidPBES2          = "1.2.840.113549.1.5.13"
	oidPBKDF2         = "1.2.840.113549.1.5.12"
	oidPBMAC1         = "1.2.840.113549.1.5.14"
	oidSHA1           = "1.3.14.3.2.26"
	oidHMACWithSHA1   = "1.2.840.113549.2.7"
)

// octets unwraps the OCTET STRING inside a ContentInfo's [0] content (for an explicit tag,
// RawValue.Bytes is the whole inner element).
func octets(content asn1.RawValue) ([]byte, error) {
	var b []byte
	if _, err := asn1.Unmarshal(content.Bytes, &b); err != nil {
		return nil, fmt.Errorf("read PKCS#12 contents: %w", err)
	}
	return b, nil
}

func macAlgorithm(raw asn1.RawValue) (PFXAlgorithm, error) {
	if len(raw.FullBytes) == 0 {
		return PFXAlgorithm{Use: "MAC", Name: "none (integrity not protected)", Legacy: true}, nil
	}
	var mac struct {
		Mac struct {
			Algorithm pkix.AlgorithmIdentifier
			Digest    []byte
		}
		Salt       []byte
		Iterations int `asn1:"optional,default:1"`
	}
	if _, err := asn1.Unmarshal(raw.FullBytes, &mac); err != nil {
		return PFXAlgorithm{}, fmt.Errorf("read PKCS#12 MAC: %w", err)
	}
	oid := mac.Mac.Algorithm.Algorithm.String()
	a := PFXAlgorithm{Use: "MAC", OID: oid, Iterations: mac.Iterations}
	switch {
	case oid == oidPBMAC1:
		a.Name = "PBMAC1"
	case digestNames[oid] != "":
		a.Name = "HMAC-" + digestNames[oid]
	default:
		a.Name = "unknown MAC " + oid
	}
	a.Legacy = oid == oidSHA1
	return a, nil
}

var digestNames = map[string]string{
	oidSHA1:                  "SHA1",
	"2.16.840.1.101.3.4.2.4": "SHA224",
	"2.16.840.1.101.3.4.2.1": "SHA256",
	"2.16.840.1.101.3.4.2.2": "SHA384",
	"2.16.840.1.101.3.4.2.3": "SHA512",
}

// pbeAlgorithms are the PKCS#12 password-based ciphers (RFC 7292 appendix C): all legacy.
var pbeAlgorithms = map[string]struct {
	name    string
	refused bool // needs OpenSSL 3's legacy provider
}{
	"1.2.840.113549.1.12.1.1": {"pbeWithSHAAnd128BitRC4", true},
	"1.2.840.113549.1.12.1.2": {"pbeWithSHAAnd40BitRC4", true},
	"1.2.840.113549.1.12.1.3": {"pbeWithSHAAnd3-KeyTripleDES-CBC", false},
	"1.2.840.113549.1.12.1.4": {"pbeWithSHAAnd2-KeyTripleDES-CBC", false},
	"1.2.840.113549.1.12.1.5": {"pbeWithSHAAnd128BitRC2-CBC", true},
	"1.2.840.113549.1.12.1.6": {"pbeWithSHAAnd40BitRC2-CBC", true},
	"1.2.840.113549.1.5.3":    {"pbeWithMD5AndDES-CBC", true},
	"1.2.840.113549.1.5.10":   {"pbeWithSHA1AndDES-CBC", true},
}

var pbes2Ciphers = map[string]struct {
	name    string
	legacy  bool
	refused bool
}{
	"2.16.840.1.101.3.4.1.2":  {"AES-128-CBC", false, false},
	"2.16.840.1.101.3.4.1.22": {"AES-192-CBC", false, false},
	"2.16.840.1.101.3.4.1.42": {"AES-256-CBC", false, false},
	"1.2.840.113549.3.7":      {"DES-EDE3-CBC", true, false},
	"1.3.14.3.2.7":            {"DES-CBC", true, true},
	"1.2.840.113549.3.2":      {"RC2-CBC", true, true},
}

var prfNames = map[string]string{
	oidHMACWithSHA1:       "HMAC-SHA1",
	"1.2.840.113549.2.8":  "HMAC-SHA224",
	"1.2.840.113549.2.9":  "HMAC-SHA256",
	"1.2.840.113549.2.10": "HMAC-SHA384",
	"1.2.840.113549.2.11": "HMAC-SHA512",
}

// encryption names a bag or container cipher with its iteration count.
func encryption(use string, alg pkix.AlgorithmIdentifier) PFXAlgorithm {
	oid := alg.Algorithm.String()
	a := PFXAlgorithm{Use: use, OID: oid}
	if pbe, ok := pbeAlgorithms[oid]; ok {
		var params struct {
			Salt       []byte
			Iterations int
		}
		if _, err := asn1.Unmarshal(alg.Parameters.FullBytes, &params); err == nil {
			a.Iterations = params.Iterations
		}
		a.Name, a.Legacy, a.OpenSSL3Refuses = pbe.name, true, pbe.refused
		return a
	}
	if oid != oidPBES2 {
		a.Name = "unknown cipher " + oid
		return a
	}
	var params struct {
		KDF    pkix.AlgorithmIdentifier
		Cipher pkix.AlgorithmIdentifier
	}
	if _, err := asn1.Unmarshal(alg.Parameters.FullBytes, &params); err != nil {
		a.Name = "PBES2 (unreadable parameters)"
		return a
	}
	kdf := "unknown KDF " + params.KDF.Algorithm.String()
	if params.KDF.Algorithm.String() == oidPBKDF2 {
		var p struct {
			Salt       asn1.RawValue
			Iterations int
			KeyLength  int                      `asn1:"optional"`
			PRF        pkix.AlgorithmIdentifier `asn1:"optional"`
		}
		if _, err := asn1.Unmarshal(params.KDF.Parameters.FullBytes, &p); err == nil {
			a.Iterations = p.Iterations
			prf := prfNames[oidHMACWithSHA1] // the default when absent
			if len(p.PRF.Algorithm) > 0 {
				if prf = prfNames[p.PRF.Algorithm.String()]; prf == "" {
					prf = p.PRF.Algorithm.String()
				}
			}
			kdf = "PBKDF2-" + prf
		}
	}
	cipher, ok := pbes2Ciphers[params.Cipher.Algorithm.String()]
	if !ok {
		cipher.name = "cipher " + params.Cipher.Algorithm.String()
	}
	a.Name = fmt.Sprintf("PBES2 (%s, %s)", kdf, cipher.name)
	a.Legacy, a.OpenSSL3Refuses = cipher.legacy, cipher.refused
	return a
}
