// A relying party of hpki's OpenID provider on npm openid-client (v6), as a regional network
// would build it: discovery, authorization code with PKCE (S256) and nonce, the token request
// (client_secret_post), the ID token validated by openid-client against the JWKS, UserInfo.
//
// The doctor's browser is played by node:https with the card's authentication certificate and
// key as its TLS client certificate: it opens the authorization URL, answers the consent page,
// and hands the redirect back to the client. The demo root is trusted through
// NODE_EXTRA_CA_CERTS (set by the caller).
//
// With HPKI_CARD_BROWSER set (a JSON array: a command to which the authorization URL is
// appended, e.g. `hpki card login --card-id … --consent --url`), that command is the browser:
// the card itself signs the TLS handshake through PKCS#11 and the command prints the redirect
// back (CERT and KEY are then not used).
//
// Usage: node rp.mjs ISSUER ROOT_PEM CLIENT_ID CLIENT_SECRET REDIRECT_URI CERT KEY SCOPE
// Prints one JSON object: the ID token claims and the UserInfo response.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import * as client from 'openid-client';

const [issuer, rootFile, clientId, secret, redirectUri, certFile, keyFile, scope] =
  process.argv.slice(2);
const cardBrowser = process.env.HPKI_CARD_BROWSER ? JSON.parse(process.env.HPKI_CARD_BROWSER) : null;
const tls = cardBrowser ? {} : {
  ca: fs.readFileSync(rootFile),
  cert: fs.readFileSync(certFile),
  key: fs.readFileSync(keyFile),
};

/** One request of the browser; resolves to { status, headers, body }. */
function browse(url, { method = 'GET', body, cookie } = {}) {
  return new Promise((resolve, reject) => {
    const headers = {};
    if (cookie) headers.cookie = cookie;
    if (body) headers['content-type'] = 'application/x-www-form-urlencoded';
    const req = https.request(url, { method, headers, ...tls }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { data += c; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: data }));
    });
    req.on('error', reject);
    if (body) req.write(body);
    req.end();
  });
}

const decode = (s) => s.replace(/&quot;/g, '"').replace(/&#x27;/g, "'").replace(/&#39;/g, "'")
  .replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

const config = await client.discovery(new URL(issuer), clientId, secret);
const verifier = client.randomPKCECodeVerifier();
const nonce = client.randomNonce();
const state = client.randomState();
const url = client.buildAuthorizationUrl(config, {
  redirect_uri: redirectUri,
  scope,
  code_challenge: await client.calculatePKCECodeChallenge(verifier),
  code_challenge_method: 'S256',
  nonce,
  state,
});

/** The browser's trip through the authorization endpoint: the redirect back. */
async function browserLocation(authorizationUrl) {
  let res = await browse(authorizationUrl);
  if (res.status === 200 && res.body.includes('/oidc/consent')) {
    const cookie = (res.headers['set-cookie'] || []).map((c) => c.split(';')[0]).join('; ');
    const form = new URLSearchParams();
    for (const m of res.body.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)) {
      form.append(decode(m[1]), decode(m[2]));
    }
    form.append('decision', 'approve');
    res = await browse(new URL('/oidc/consent', issuer), {
      method: 'POST', body: form.toString(), cookie,
    });
  }
  if (res.status !== 302 && res.status !== 303) {
    throw new Error(`authorization: HTTP ${res.status}: ${res.body.slice(0, 300)}`);
  }
  return res.headers.location;
}

let location;
if (cardBrowser) {
  const out = execFileSync(cardBrowser[0], [...cardBrowser.slice(1), url.href], { encoding: 'utf8' });
  location = out.trim().split('\n').pop();
} else {
  location = await browserLocation(url);
}

const tokens = await client.authorizationCodeGrant(config, new URL(location), {
  pkceCodeVerifier: verifier,
  expectedNonce: nonce,
  expectedState: state,
  idTokenExpected: true,
});
const claims = tokens.claims();
const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
console.log(JSON.stringify({ id_token: claims, userinfo }));
