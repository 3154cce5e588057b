"""A relying party of hpki's OpenID provider, built on authlib as a regional network would:
discovery, authorization code with PKCE (S256), the token request with client_secret_basic,
the ID token validated against the JWKS (signature, iss, aud, exp, nonce), and UserInfo.

The doctor's browser is played by `requests` with the card's authentication certificate and
key as its TLS client certificate: it opens the authorization URL, answers the consent page
(sharing the licence number when asked to), and hands the redirect back to the client.

With HPKI_CARD_BROWSER set (a JSON array: a command to which the authorization URL is
appended, e.g. `hpki card login --card-id … --consent --url`), that command is the browser
instead: the card itself signs the TLS handshake through PKCS#11, and the command prints the
redirect back to the relying party (CERT and KEY are then not used).

Usage: authlib_rp.py ISSUER ROOT_PEM CLIENT_ID CLIENT_SECRET REDIRECT_URI CERT KEY SCOPE
           [share-license|no-license]
Prints one JSON object: the validated ID token claims, the UserInfo response, the token
response's scope, and the code (for the replay check done by the caller).
"""

import html.parser
import json
import os
import subprocess
import sys

import requests
from authlib.integrations.requests_client import OAuth2Session
import warnings

warnings.filterwarnings("ignore", message="authlib.jose module is deprecated")
from authlib.jose import JsonWebKey, jwt  # noqa: E402
from authlib.common.security import generate_token


class Form(html.parser.HTMLParser):
    """The consent page's form: its action and fields."""

    def __init__(self):
        super().__init__()
        self.action = None
        self.fields = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.action = a.get("action")
        if tag == "input" and a.get("type") == "hidden":
            self.fields.append((a["name"], a.get("value", "")))


def main():
    issuer, root, client_id, secret, redirect_uri, cert, key, scope = sys.argv[1:9]
    share = len(sys.argv) > 9 and sys.argv[9] == "share-license"
    plain = requests.Session()
    plain.trust_env = False
    plain.verify = root
    meta = plain.get(f"{issuer}/.well-known/openid-configuration").json()
    assert meta["issuer"] == issuer, meta
    client = OAuth2Session(
        client_id,
        secret,
        scope=scope,
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
        token_endpoint_auth_method="client_secret_basic",
    )
    # The demo root only: no CA bundle from the environment (REQUESTS_CA_BUNDLE would win
    # over a session's own `verify`), no proxies.
    client.trust_env = False
    client.verify = root
    verifier = generate_token(64)
    nonce = generate_token(20)
    url, state = client.create_authorization_url(
        meta["authorization_endpoint"], code_verifier=verifier, nonce=nonce
    )

    card_browser = os.environ.get("HPKI_CARD_BROWSER")
    if card_browser:
        done = subprocess.run(json.loads(card_browser) + [url], capture_output=True, text=True)
        assert done.returncode == 0, (done.stdout, done.stderr)
        location = done.stdout.strip().splitlines()[-1]
    else:
        browser = requests.Session()
        browser.trust_env = False
        browser.verify = root
        browser.cert = (cert, key)
        r = browser.get(url, allow_redirects=False)
        if r.status_code == 200 and "/oidc/consent" in r.text:
            form = Form()
            form.feed(r.text)
            data = form.fields + [("decision", "approve")]
            if share:
                data.append(("share_license", "yes"))
            r = browser.post(f"{issuer}{form.action}", data=data, allow_redirects=False)
        assert r.status_code in (302, 303), (r.status_code, r.text[:500])
        location = r.headers["Location"]
    assert location.startswith(redirect_uri), location

    token = client.fetch_token(
        meta["token_endpoint"],
        authorization_response=location,
        code_verifier=verifier,
    )
    jwks = JsonWebKey.import_key_set(plain.get(meta["jwks_uri"]).json())
    claims = jwt.decode(
        token["id_token"],
        jwks,
        claims_options={
            "iss": {"essential": True, "value": issuer},
            "aud": {"essential": True, "value": client_id},
            "nonce": {"essential": True, "value": nonce},
        },
    )
    claims.validate()
    userinfo = client.get(meta["userinfo_endpoint"]).json()
    code = dict(
        p.split("=", 1) for p in location.split("?", 1)[1].split("&")
    )["code"]
    print(json.dumps({"id_token": dict(claims), "userinfo": userinfo,
                      "scope": token.get("scope"), "code": code}, ensure_ascii=False))


if __name__ == "__main__":
    main()
