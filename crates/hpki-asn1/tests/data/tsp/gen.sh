#!/bin/sh
# Regenerates the RFC 3161 fixtures used by `tests/tsp.rs` with the OpenSSL CLI (made with
# OpenSSL 3.0): requests from `openssl ts -query`, a granted response from `openssl ts -reply`
# (a throwaway CA and TSA, genTime with milliseconds, accuracy, ordering, tsa name, ESS
# signing-certificate-v2) and a rejection (MD5 request, badAlg).
#
# Keys, nonces and times change at every run: update the constants the tests assert afterwards
# (`openssl ts -query -in X -text`, `openssl ts -reply -in X -text`).
set -eu
out="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"

printf 'hpki RFC 3161 fixture\n' > data.txt
cp data.txt "$out/data.txt"
openssl ts -query -data data.txt -sha256 -cert -no_nonce -out "$out/req-sha256-cert-no-nonce.tsq"
openssl ts -query -data data.txt -sha256 -out "$out/req-sha256-nonce.tsq"
openssl ts -query -data data.txt -sha512 -cert -tspolicy 1.2.3.4.5.6 -out "$out/req-sha512-policy.tsq"
openssl ts -query -data data.txt -md5 -no_nonce -out "$out/req-md5.tsq"

ec="-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes"
openssl req -x509 $ec -keyout ca.key -out ca.pem -subj "/CN=Test TSA Root/O=hpki" -days 3650 \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=critical,timeStamping\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n' > tsa.ext
openssl req $ec -keyout tsa.key -out tsa.csr -subj "/CN=Test TSA/O=hpki"
openssl x509 -req -in tsa.csr -CA ca.pem -CAkey ca.key -set_serial 0x3001 -days 3650 -extfile tsa.ext -out tsa.pem
echo 0100 > tsaserial
cat > tsa.cnf <<CNF
[ tsa ]
default_tsa = tsa1
[ tsa1 ]
serial = ./tsaserial
crypto_device = builtin
signer_cert = ./tsa.pem
certs = ./ca.pem
signer_key = ./tsa.key
signer_digest = sha256
default_policy = 1.2.3.4.1
other_policies = 1.2.3.4.5.6
digests = sha256, sha384, sha512
accuracy = secs:1, millisecs:500, microsecs:100
clock_precision_digits = 3
ordering = yes
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
CNF
openssl ts -reply -config tsa.cnf -queryfile "$out/req-sha256-nonce.tsq" -out "$out/resp-granted.tsr"
openssl ts -reply -config tsa.cnf -queryfile "$out/req-sha512-policy.tsq" -out "$out/resp-granted-policy.tsr"
openssl ts -reply -config tsa.cnf -queryfile "$out/req-md5.tsq" -out "$out/resp-rejected-md5.tsr"
openssl ts -verify -data data.txt -in "$out/resp-granted.tsr" -CAfile ca.pem -untrusted tsa.pem
cp ca.pem "$out/ca.pem"
cp tsa.pem "$out/tsa.pem"
