#!/usr/bin/env bash
# Runs every test of hpki, installing what the tests need when it is missing:
#   Debian: openssl, curl, postgresql (server, only if none answers on 127.0.0.1:5432),
#           poppler-utils (pdftotext) and fonts-ipaexfont-gothic (IPAex Gothic) for the card face,
#           softhsm2 (stands for the IC cards and the HSM) and opensc (pkcs11-tool checks them),
#           chromium and chromium-driver (chromedriver) for the browser test of the officers'
#           web UI (crates/hpki-cli/tests/browser_acceptance.rs)
#           xmlsec1 (xmlsec1 --verify checks the XAdES signatures, crates/hpki-sign/tests/xades.rs)
#           pdfsig (poppler-utils) and libnss3-tools (certutil: the NSS database pdfsig trusts the
#           demo root in) check the PAdES signatures (crates/hpki-sign/tests/pades.rs)
#           pcscd, vsmartcard-vpcd (a virtual PC/SC reader on 127.0.0.1:35963), libpcsclite-dev and
#           pkgconf (hpki-reader links libpcsclite) for the seminar reader's test
#           (crates/hpki-reader/tests/vpcd.rs); pcscd is (re)started so that it has the vpcd reader
#   Chromium policy: /etc/chromium/policies/managed/hpki-test-client-certificate.json picks the
#           demo doctor's certificate for https://127.0.0.1 (headless Chromium shows no dialog)
#   PyPI:   pkilint (lint_pkix_cert, lint_crl, lint_ocsp_response)
#           pyhanko + pyhanko-cli (pyhanko sign validate / adesverify check the PAdES signatures)
#           signxml (its XAdESVerifier checks the XAdES signatures)
#           authlib + requests (an OpenID Connect relying party of the provider's tests)
#           openpyxl (reads back the attendance list's Excel file, crates/hpki-server/tests/attendance.rs)
#   npm:    openid-client (the other relying party, crates/hpki-server/tests/rp/node, `npm ci`
#           from its package-lock.json); Debian nodejs and npm when node is missing
# The suite runs on SQLite and on PostgreSQL (HPKI_TEST_DATABASE_URL, default
# postgres://postgres@127.0.0.1:5432/test). In CI (CI=true) nothing is ever skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

PKILINT_VERSION=0.13.3
PYHANKO_VERSION=0.38.0
PYHANKO_CLI_VERSION=0.6.0
SIGNXML_VERSION=5.2.0
AUTHLIB_VERSION=1.9.10
REQUESTS_VERSION=2.34.2
OPENPYXL_VERSION=3.1.5
say() { printf '\n== %s\n' "$*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

apt_missing=()
command -v openssl >/dev/null || apt_missing+=(openssl)
command -v curl >/dev/null || apt_missing+=(curl)
command -v base64 >/dev/null || apt_missing+=(coreutils)
command -v pdftotext >/dev/null || apt_missing+=(poppler-utils)
command -v pdfsig >/dev/null || apt_missing+=(poppler-utils)
command -v certutil >/dev/null || apt_missing+=(libnss3-tools)
[ -f /usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf ] || apt_missing+=(fonts-ipaexfont-gothic)
[ -f /usr/lib/softhsm/libsofthsm2.so ] && command -v softhsm2-util >/dev/null || apt_missing+=(softhsm2)
command -v pkcs11-tool >/dev/null || apt_missing+=(opensc)
command -v chromium >/dev/null || apt_missing+=(chromium)
command -v chromedriver >/dev/null || apt_missing+=(chromium-driver)
command -v xmlsec1 >/dev/null || apt_missing+=(xmlsec1)
command -v node >/dev/null || apt_missing+=(nodejs)
command -v npm >/dev/null || apt_missing+=(npm)
command -v pcscd >/dev/null || apt_missing+=(pcscd)
[ -f /usr/lib/pcsc/drivers/serial/libifdvpcd.so ] || apt_missing+=(vsmartcard-vpcd)
[ -f /usr/include/PCSC/winscard.h ] || apt_missing+=(libpcsclite-dev)
command -v pkg-config >/dev/null || apt_missing+=(pkgconf)
if [ ${#apt_missing[@]} -gt 0 ]; then
  say "installing Debian packages: ${apt_missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${apt_missing[@]}"
fi

# pcscd with the virtual reader of vsmartcard-vpcd: listening on 127.0.0.1:35963 (0x8C7B in
# /proc/net/tcp) once it has loaded the vpcd driver; a pcscd started before the driver was
# installed is restarted.
if ! grep -qiE ':8C7B [0-9A-F:]+ 0A' /proc/net/tcp 2>/dev/null; then
  say "starting pcscd with the vpcd virtual reader"
  as_root pkill -x pcscd 2>/dev/null || true
  sleep 1
  as_root pcscd
  for _ in $(seq 20); do grep -qiE ':8C7B [0-9A-F:]+ 0A' /proc/net/tcp && break; sleep 0.5; done
fi

# Headless Chromium cannot show the client-certificate dialog: this policy picks the demo
# doctor's certificate (issued by the JMA's authentication CA) for https://127.0.0.1 only, for
# the card-login browser test (crates/hpki-cli/tests/browser_acceptance.rs).
CHROMIUM_POLICY=/etc/chromium/policies/managed/hpki-test-client-certificate.json
CHROMIUM_POLICY_JSON='{"AutoSelectCertificateForUrls": ["{\"pattern\":\"https://127.0.0.1:*\",\"filter\":{\"ISSUER\":{\"O\":\"Japan Medical Association\"}}}"]}'
if [ "$(cat "$CHROMIUM_POLICY" 2>/dev/null)" != "$CHROMIUM_POLICY_JSON" ]; then
  say "installing the Chromium client-certificate policy for https://127.0.0.1 ($CHROMIUM_POLICY)"
  as_root mkdir -p "$(dirname "$CHROMIUM_POLICY")"
  printf '%s\n' "$CHROMIUM_POLICY_JSON" | as_root tee "$CHROMIUM_POLICY" >/dev/null
fi

if [ "$(python3 -m pip show pkilint 2>/dev/null | sed -n 's/^Version: //p')" != "$PKILINT_VERSION" ] \
   || ! command -v lint_pkix_cert >/dev/null; then
  say "installing pkilint $PKILINT_VERSION from PyPI"
  python3 -m pip install --quiet --disable-pip-version-check "pkilint==$PKILINT_VERSION"
  hash -r; if command -v pyenv >/dev/null; then pyenv rehash; fi
fi
for tool in lint_pkix_cert lint_crl lint_ocsp_response; do
  command -v "$tool" >/dev/null || { echo "missing $tool after installing pkilint" >&2; exit 1; }
done
if [ "$(python3 -m pip show pyhanko 2>/dev/null | sed -n 's/^Version: //p')" != "$PYHANKO_VERSION" ] \
   || [ "$(python3 -m pip show pyhanko-cli 2>/dev/null | sed -n 's/^Version: //p')" != "$PYHANKO_CLI_VERSION" ] \
   || ! command -v pyhanko >/dev/null; then
  say "installing pyhanko $PYHANKO_VERSION and pyhanko-cli $PYHANKO_CLI_VERSION from PyPI"
  python3 -m pip install --quiet --disable-pip-version-check \
    "pyhanko==$PYHANKO_VERSION" "pyhanko-cli==$PYHANKO_CLI_VERSION"
  hash -r; if command -v pyenv >/dev/null; then pyenv rehash; fi
fi
command -v pyhanko >/dev/null || { echo "missing pyhanko after installing pyhanko-cli" >&2; exit 1; }
if [ "$(python3 -m pip show signxml 2>/dev/null | sed -n 's/^Version: //p')" != "$SIGNXML_VERSION" ]; then
  say "installing signxml $SIGNXML_VERSION from PyPI"
  python3 -m pip install --quiet --disable-pip-version-check "signxml==$SIGNXML_VERSION"
fi
python3 -c 'import signxml.xades' || { echo "missing signxml.xades after installing signxml" >&2; exit 1; }
# authlib is the OpenID Connect relying party of the provider's tests (requests its HTTP client).
if [ "$(python3 -m pip show authlib 2>/dev/null | sed -n 's/^Version: //p')" != "$AUTHLIB_VERSION" ] \
   || [ "$(python3 -m pip show requests 2>/dev/null | sed -n 's/^Version: //p')" != "$REQUESTS_VERSION" ]; then
  say "installing authlib $AUTHLIB_VERSION and requests $REQUESTS_VERSION from PyPI"
  python3 -m pip install --quiet --disable-pip-version-check \
    "authlib==$AUTHLIB_VERSION" "requests==$REQUESTS_VERSION"
fi
python3 -c 'import authlib.integrations.requests_client, authlib.jose' \
  || { echo "missing authlib after installing it" >&2; exit 1; }
if [ "$(python3 -m pip show openpyxl 2>/dev/null | sed -n 's/^Version: //p')" != "$OPENPYXL_VERSION" ]; then
  say "installing openpyxl $OPENPYXL_VERSION from PyPI"
  python3 -m pip install --quiet --disable-pip-version-check "openpyxl==$OPENPYXL_VERSION"
fi
python3 -c 'import openpyxl' || { echo "missing openpyxl after installing it" >&2; exit 1; }
RP_NODE=crates/hpki-server/tests/rp/node
OPENID_CLIENT_VERSION=$(sed -n 's/.*"openid-client": "\(.*\)".*/\1/p' "$RP_NODE/package.json")
if ! grep -q "\"version\": \"$OPENID_CLIENT_VERSION\"" \
     "$RP_NODE/node_modules/openid-client/package.json" 2>/dev/null; then
  say "installing npm openid-client (npm ci in $RP_NODE)"
  npm ci --prefix "$RP_NODE" --no-audit --no-fund --silent
fi

export HPKI_TEST_DATABASE_URL="${HPKI_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}"
if [ "${HPKI_TEST_SKIP_POSTGRES:-0}" != 1 ]; then
  if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
    if ! command -v pg_ctlcluster >/dev/null; then
      say "installing PostgreSQL (no server answers on 127.0.0.1:5432)"
      as_root apt-get update -qq
      as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql
    fi
    say "starting PostgreSQL"
    as_root pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
    for _ in $(seq 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
  fi
  pg_isready -h 127.0.0.1 -p 5432 || { echo "PostgreSQL is required by the tests (set HPKI_TEST_SKIP_POSTGRES=1 to skip them outside CI)" >&2; exit 1; }
elif [ "${CI:-}" = true ]; then
  echo "HPKI_TEST_SKIP_POSTGRES=1 is not allowed in CI" >&2; exit 1
fi

say "cargo fmt --check"
cargo fmt --all -- --check
say "cargo clippy (all targets, warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings
say "cargo test (SQLite and PostgreSQL)"
cargo test --workspace --locked
