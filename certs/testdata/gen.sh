#!/usr/bin/env bash
# Regenerates the PFX and PEM fixtures of package certs with OpenSSL 3.
#
#   cd certs/testdata && ./gen.sh      (or: bash certs/testdata/gen.sh from anywhere)
#
# Chain: "regauth Test Root CA" -> "regauth Test Intermediate CA" -> leaf "*.registry.test"
# (SANs *.registry.test, registry.test). Validity dates and serial numbers are fixed, so a
# re-run only changes the random keys and salts; every file is rewritten from one run, so the
# set always stays consistent. Keys: ECDSA P-256, except rsa-leaf.pfx (RSA 2048).
#
# Outputs (password "changeit" unless noted):
#   legacy-rc2-chain.pfx      leaf+int+root, RC2-40-CBC certs, 3DES key, SHA-1 MAC (needs -legacy)
#   legacy-rc2-leaf-only.pfx  leaf only, same legacy algorithms (int.crt shipped apart)
#   modern-aes-chain.pfx      leaf+int, PBES2/AES-256-CBC, SHA-256 MAC
#   modern-empty-password.pfx leaf+int, empty password
#   reversed-order.pfx        root, int, leaf in that order (key bag not tied to a certificate)
#   rsa-leaf.pfx              RSA leaf for *.registry.test + int
#   expired.pfx               leaf valid 2020-01-01 .. 2021-01-01 + int
#   not-a-pfx.pfx             512 pseudo-random bytes (fixed AES-CTR keystream)
#   root.crt int.crt leaf.crt leaf.key (PKCS#8)
set -euo pipefail

OPENSSL=${OPENSSL:-/usr/bin/openssl}
PASS=changeit
# Fixed dates: 20 years of validity from the start of 2026; the expired leaf lived in 2020.
START=20260101000000Z
END=20460101000000Z
OLD_START=20200101000000Z
OLD_END=20210101000000Z

out=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

cat >ca.cnf <<'CNF'
[ca]
default_ca = ca_default

[ca_default]
dir             = .
database        = ./index.txt
new_certs_dir   = ./newcerts
serial          = ./serial
default_md      = sha256
policy          = policy_any
unique_subject  = no
copy_extensions = none
email_in_dn     = no

[policy_any]
commonName = supplied

[req]
distinguished_name = req_dn
prompt             = no

[req_dn]
CN = placeholder

[v3_root]
basicConstraints       = critical, CA:true
keyUsage               = critical, keyCertSign, cRLSign
subjectKeyIdentifier   = hash

[v3_int]
basicConstraints       = critical, CA:true, pathlen:0
keyUsage               = critical, keyCertSign, cRLSign, digitalSignature
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

[v3_leaf]
basicConstraints       = critical, CA:false
keyUsage               = critical, digitalSignature, keyEncipherment
extendedKeyUsage       = serverAuth
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
subjectAltName         = DNS:*.registry.test, DNS:registry.test
CNF

mkdir newcerts
touch index.txt
echo 1000 >serial

ec_key() { "$OPENSSL" genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
csr() { "$OPENSSL" req -new -config ca.cnf -key "$1" -subj "/CN=$2" -out "$3"; }
# sign CSR ISSUER_CERT ISSUER_KEY EXT START END OUT
sign() {
	"$OPENSSL" ca -batch -notext -config ca.cnf -in "$1" -cert "$2" -keyfile "$3" \
		-extensions "$4" -startdate "$5" -enddate "$6" -out "$7" 2>/dev/null
}

ec_key root.key
csr root.key "regauth Test Root CA" root.csr
"$OPENSSL" ca -batch -notext -config ca.cnf -selfsign -in root.csr -keyfile root.key \
	-extensions v3_root -startdate $START -enddate $END -out root.crt 2>/dev/null

ec_key int.key
csr int.key "regauth Test Intermediate CA" int.csr
sign int.csr root.crt root.key v3_int $START $END int.crt

ec_key leaf.key
csr leaf.key "*.registry.test" leaf.csr
sign leaf.csr int.crt int.key v3_leaf $START $END leaf.crt

"$OPENSSL" genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa.key 2>/dev/null
csr rsa.key "*.registry.test" rsa.csr
sign rsa.csr int.crt int.key v3_leaf $START $END rsa.crt

csr leaf.key "*.registry.test" old.csr
sign old.csr int.crt int.key v3_leaf $OLD_START $OLD_END old.crt

cat int.crt root.crt >int-root.pem
cat root.crt int.crt leaf.crt >root-int-leaf.pem

legacy=(-legacy -certpbe PBE-SHA1-RC2-40 -keypbe PBE-SHA1-3DES -macalg sha1)
modern=(-certpbe AES-256-CBC -keypbe AES-256-CBC -macalg sha256)
export_pfx() { # OUT PASSWORD [openssl pkcs12 args...]
	local o=$1 p=$2
	shift 2
	"$OPENSSL" pkcs12 -export -passout "pass:$p" -out "$out/$o" "$@"
}

export_pfx legacy-rc2-chain.pfx $PASS "${legacy[@]}" -in leaf.crt -inkey leaf.key -certfile int-root.pem -name registry.test
export_pfx legacy-rc2-leaf-only.pfx $PASS "${legacy[@]}" -in leaf.crt -inkey leaf.key -name registry.test
export_pfx modern-aes-chain.pfx $PASS "${modern[@]}" -in leaf.crt -inkey leaf.key -certfile int.crt -name registry.test
export_pfx modern-empty-password.pfx "" "${modern[@]}" -in leaf.crt -inkey leaf.key -certfile int.crt -name registry.test
# -nocerts keeps OpenSSL from moving the key's certificate to the front: the certificates
# then appear exactly in the order of -certfile (root, intermediate, leaf).
export_pfx reversed-order.pfx $PASS "${modern[@]}" -nocerts -inkey leaf.key -certfile root-int-leaf.pem 2>/dev/null
export_pfx rsa-leaf.pfx $PASS "${modern[@]}" -in rsa.crt -inkey rsa.key -certfile int.crt -name registry.test
export_pfx expired.pfx $PASS "${modern[@]}" -in old.crt -inkey leaf.key -certfile int.crt -name registry.test

head -c 512 /dev/zero |
	"$OPENSSL" enc -aes-128-ctr -K 000102030405060708090a0b0c0d0e0f -iv 0f0e0d0c0b0a09080706050403020100 \
		>"$out/not-a-pfx.pfx"

cp root.crt int.crt leaf.crt leaf.key "$out/"
chmod 0644 "$out"/*.pfx "$out"/*.crt
chmod 0644 "$out/leaf.key" # a test key: no secret
echo "wrote fixtures to $out"
