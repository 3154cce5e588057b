"""The OpenID Basic OP behaviours of hpki's provider, driven as relying parties and a browser
would: a single sign-on session shared by two relying parties, prompt=none|login, max_age,
ui_locales, request objects, logout, and a session ended by the certificate's revocation.

The browser is `requests` with a cookie jar kept in a file between phases (the caller revokes
the certificate between two of them); the relying parties use authlib.

Usage: op_checks.py PHASE ISSUER ROOT CERT KEY JAR CONFIDENTIAL_SECRET
  PHASE sso          mamenet (confidential) signs in with the card; haruka (public, PKCE)
                     then signs in through the session without a certificate; prompt=none works
  PHASE checks       prompt=login and max_age=0 need the card again; ui_locales=en; request
                     objects refused; id_token_hint; PKCE at the token endpoint; then logout
                     ends the session (prompt=none: login_required)
  PHASE after-revoke prompt=none: login_required (the session's certificate was revoked)
Prints one JSON object of findings; exits non-zero on the first failed expectation.
"""

import html.parser
import json
import pickle
import sys
import urllib.parse
import warnings

import requests

warnings.filterwarnings("ignore", message="authlib.jose module is deprecated")
from authlib.common.security import generate_token  # noqa: E402
from authlib.integrations.requests_client import OAuth2Session  # noqa: E402
from authlib.jose import JsonWebKey, jwt  # noqa: E402

REDIRECT = "http://127.0.0.1:9/callback"
# Another host, so another sector: another pairwise sub (OIDC Core §8.1).
HARUKA_REDIRECT = "http://localhost:9/callback"


class Form(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.action, self.fields, self.lang = None, [], None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang")
        if tag == "form":
            self.action = a.get("action")
        if tag == "input" and a.get("type") == "hidden":
            self.fields.append((a["name"], a.get("value", "")))


def session(root, cert=None):
    s = requests.Session()
    s.trust_env = False
    s.verify = root
    s.cert = cert
    return s


def expect(cond, what):
    if not cond:
        print(json.dumps({"failed": what}, ensure_ascii=False))
        sys.exit(1)


class Op:
    def __init__(self, issuer, root):
        self.issuer, self.root = issuer, root
        self.meta = session(root).get(f"{issuer}/.well-known/openid-configuration").json()
        self.jwks = JsonWebKey.import_key_set(session(root).get(self.meta["jwks_uri"]).json())

    def client(self, client_id, secret, scope, redirect=REDIRECT):
        kw = {"token_endpoint_auth_method": "client_secret_basic" if secret else "none"}
        c = OAuth2Session(client_id, secret, scope=scope, redirect_uri=redirect,
                          code_challenge_method="S256", **kw)
        c.trust_env = False
        c.verify = self.root
        return c

    def authorize(self, browser, client, extra=None, consent=True):
        """The browser's trip through the authorization endpoint: the final response (a
        redirect to the relying party, or a page), and the request's verifier and nonce."""
        verifier, nonce = generate_token(64), generate_token(20)
        url, _ = client.create_authorization_url(
            self.meta["authorization_endpoint"], code_verifier=verifier, nonce=nonce,
            **(extra or {}))
        r = browser.get(url, allow_redirects=False)
        if consent and r.status_code == 200 and "/oidc/consent" in r.text:
            form = Form()
            form.feed(r.text)
            r = browser.post(f"{self.issuer}{form.action}",
                             data=form.fields + [("decision", "approve")],
                             allow_redirects=False)
        return r, verifier, nonce

    def tokens(self, client, response, verifier, nonce):
        location = response.headers["Location"]
        token = client.fetch_token(self.meta["token_endpoint"],
                                   authorization_response=location, code_verifier=verifier)
        claims = jwt.decode(token["id_token"], self.jwks, claims_options={
            "iss": {"essential": True, "value": self.issuer},
            "aud": {"essential": True, "value": client.client_id},
            "nonce": {"essential": True, "value": nonce}})
        claims.validate()
        return dict(claims), token["id_token"]


def query_of(response):
    loc = response.headers.get("Location", "")
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(loc).query))


def main():
    phase, issuer, root, cert, key, jar, secret = sys.argv[1:8]
    op = Op(issuer, root)
    mamenet = op.client("mamenet", secret, "openid hpki")
    haruka = op.client("haruka", None, "openid profile", HARUKA_REDIRECT)
    out = {}
    if phase == "sso":
        card = session(root, (cert, key))
        r, v, n = op.authorize(card, mamenet)
        expect(r.status_code in (302, 303), f"mamenet sign-in: {r.status_code} {r.text[:300]}")
        first, _ = op.tokens(mamenet, r, v, n)
        # The same browser without the card: the session signs it in to another network.
        bare = session(root)
        bare.cookies = card.cookies
        r, v, n = op.authorize(bare, haruka)
        expect(r.status_code in (302, 303), f"haruka through SSO: {r.status_code} {r.text[:300]}")
        second, _ = op.tokens(haruka, r, v, n)
        expect(second["auth_time"] == first["auth_time"], "one card login for both")
        expect(second["sub"] != first["sub"], "pairwise: each network its own sub")
        # prompt=none with the session and the consent given: a code at once.
        r, v, n = op.authorize(bare, mamenet, {"prompt": "none"}, consent=False)
        expect("code" in query_of(r), f"prompt=none with a session: {r.headers}")
        third, _ = op.tokens(mamenet, r, v, n)
        expect(third["sub"] == first["sub"], "the same sub for the same network")
        out = {"first": first, "second": second}
        with open(jar, "wb") as f:
            pickle.dump(card.cookies, f)
    else:
        with open(jar, "rb") as f:
            cookies = pickle.load(f)
        bare = session(root)
        bare.cookies = cookies
        if phase == "checks":
            # prompt=login and max_age=0: the card again; without it, the refusal page.
            for extra in ({"prompt": "login"}, {"max_age": "0"}):
                r, _, _ = op.authorize(bare, mamenet, extra, consent=False)
                expect(r.status_code == 403 and "Location" not in r.headers,
                       f"{extra} without the card: {r.status_code}")
            # ui_locales=en: the consent page in English (a new consent is asked with prompt=consent).
            r, _, _ = op.authorize(bare, mamenet, {"prompt": "consent", "ui_locales": "en"},
                                   consent=False)
            form = Form()
            form.feed(r.text)
            expect(r.status_code == 200 and form.lang == "en", "ui_locales=en")
            # A request object: request_not_supported, back to the relying party with state.
            r = bare.get(op.meta["authorization_endpoint"], allow_redirects=False, params={
                "response_type": "code", "client_id": "mamenet", "redirect_uri": REDIRECT,
                "scope": "openid", "state": "st1", "request": "eyJhbGciOiJub25lIn0.e30."})
            q = query_of(r)
            expect(q.get("error") == "request_not_supported" and q.get("state") == "st1",
                   f"request object: {q}")
            # id_token_hint: this network's own ID token keeps the session; another network's
            # (signed by the provider, but not for this client) is not this session's.
            r, v, n = op.authorize(bare, mamenet, {"prompt": "none"}, consent=False)
            _, own = op.tokens(mamenet, r, v, n)
            r, v, n = op.authorize(bare, haruka, {"prompt": "none"}, consent=False)
            _, other = op.tokens(haruka, r, v, n)
            r, _, _ = op.authorize(bare, mamenet, {"prompt": "none", "id_token_hint": own},
                                   consent=False)
            expect("code" in query_of(r), f"own id_token_hint: {query_of(r)}")
            r, _, _ = op.authorize(bare, mamenet, {"prompt": "none", "id_token_hint": other},
                                   consent=False)
            expect(query_of(r).get("error") == "login_required",
                   f"another client's id_token_hint: {query_of(r)}")
            # PKCE at the token endpoint: a wrong code_verifier is invalid_grant, and the code
            # is used up.
            r, v, n = op.authorize(bare, mamenet, {"prompt": "none"}, consent=False)
            code = query_of(r)["code"]
            token_request = {"grant_type": "authorization_code", "code": code,
                             "redirect_uri": REDIRECT, "code_verifier": generate_token(64)}
            plain = session(root)
            t = plain.post(op.meta["token_endpoint"], data=token_request,
                           auth=("mamenet", secret))
            expect(t.status_code == 400 and t.json().get("error") == "invalid_grant",
                   f"wrong code_verifier: {t.status_code} {t.text}")
            token_request["code_verifier"] = v
            t = plain.post(op.meta["token_endpoint"], data=token_request,
                           auth=("mamenet", secret))
            expect(t.status_code == 400, f"the code after a failed PKCE check: {t.status_code}")
            # Logout ends the session.
            r = bare.get(op.meta["end_session_endpoint"], allow_redirects=False)
            expect(r.status_code == 200, f"logout: {r.status_code}")
            r, _, _ = op.authorize(bare, mamenet, {"prompt": "none"}, consent=False)
            expect(query_of(r).get("error") == "login_required", f"after logout: {query_of(r)}")
            out = {"checks": "passed"}
        elif phase == "after-revoke":
            r, _, _ = op.authorize(bare, mamenet, {"prompt": "none"}, consent=False)
            expect(query_of(r).get("error") == "login_required", f"after revoke: {query_of(r)}")
            out = {"after_revoke": "login_required"}
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
