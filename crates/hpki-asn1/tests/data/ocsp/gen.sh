#!/bin/sh
# Regenerates the RFC 6960 OCSP fixtures used by `src/ocsp.rs` unit tests and
# `tests/ocsp.rs`, using the OpenSSL CLI (made with OpenSSL 3.0).
#
# Keys are throwaway and not kept: rerunning produces new keys, hashes, nonces
# and times, so the constants asserted by the tests must be updated afterwards
# (`openssl ocsp -reqin X -req_text`, `openssl ocsp -respin X -resp_text -noverify`).
set -eu
out="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"

ec="-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes"
openssl req -x509 $ec -keyout ca.key -out ca.pem -subj "/CN=Test OCSP CA/O=hpki" -days 3650 \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n' > leaf.ext
printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=OCSPSigning\nnoCheck=ignored\n' > ocsp.ext
issue() { # name subject serial extfile
    openssl req $ec -keyout "$1.key" -out "$1.csr" -subj "$2"
    openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -set_serial "$3" -days 3650 -extfile "$4" -out "$1.pem"
}
issue good "/CN=good.example/O=hpki" 0x1001 leaf.ext
issue revoked "/CN=revoked.example/O=hpki" 0x1002 leaf.ext
issue ocsp "/CN=OCSP responder/O=hpki" 0x2001 ocsp.ext

exp="$(date -u -d "$(openssl x509 -in good.pem -noout -enddate | cut -d= -f2)" +%y%m%d%H%M%SZ)"
printf 'V\t%s\t\t1001\tunknown\t/CN=good.example/O=hpki\n' "$exp" > index.txt
printf 'R\t%s\t260101120000Z,keyCompromise\t1002\tunknown\t/CN=revoked.example/O=hpki\n' "$exp" >> index.txt

openssl ocsp -issuer ca.pem -cert good.pem -reqout "$out/req-good-nonce.der"
openssl ocsp -issuer ca.pem -cert good.pem -no_nonce -reqout "$out/req-good-no-nonce.der"
openssl ocsp -issuer ca.pem -cert revoked.pem -reqout "$out/req-revoked-nonce.der"
openssl ocsp -issuer ca.pem -cert good.pem -cert revoked.pem -no_nonce -reqout "$out/req-two.der"
openssl ocsp -issuer ca.pem -cert good.pem -signer good.pem -signkey good.key -reqout "$out/req-signed.der"

resp() { # request response [extra args]
    req="$1"; rsp="$2"; shift 2
    openssl ocsp -index index.txt -rsigner ocsp.pem -rkey ocsp.key -CA ca.pem \
        -reqin "$out/$req" -respout "$out/$rsp" "$@"
}
resp req-good-nonce.der resp-good.der -ndays 7
resp req-revoked-nonce.der resp-revoked.der
resp req-two.der resp-two-keyid.der -resp_key_id -resp_no_certs
cp index.txt "$out/index.txt"
