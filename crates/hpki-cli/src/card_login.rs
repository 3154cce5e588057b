//! `hpki card login`: signs in at card login (`/login/card`) with the 医師資格証 itself and
//! prints what the server says. The authentication key on the card signs the TLS handshake
//! through PKCS#11 (the card interface of `hpki-token`); cards sign RSASSA-PKCS1-v1_5 only,
//! which TLS 1.3 does not allow for CertificateVerify (RFC 8446 §4.4.3), so this client speaks
//! TLS 1.2, as browsers do with such cards.

use std::sync::Arc;

use anyhow::Result;
use hpki_token::{Card, KeyUse};
use rustls::client::ResolvesClientCert;
use rustls::pki_types::CertificateDer;
use rustls::sign::{CertifiedKey, Signer, SigningKey};
use rustls::{SignatureAlgorithm, SignatureScheme};
use zeroize::Zeroizing;

use crate::failure::fail;
use crate::https::{Answer, Https, split_url};

/// The answer of the server: HTTP status and the page's message.
pub(crate) struct LoginAnswer {
    /// 200 signed in, 403 refused.
    pub status: u16,
    /// The welcome or the refusal, as the page says it.
    pub message: String,
}

/// The card's authentication key as rustls sees it.
#[derive(Clone)]
struct CardKey {
    card: Arc<dyn Card>,
    pin: Arc<Zeroizing<String>>,
}

impl std::fmt::Debug for CardKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CardKey({})", self.card.card_id())
    }
}

impl SigningKey for CardKey {
    fn choose_scheme(&self, offered: &[SignatureScheme]) -> Option<Box<dyn Signer>> {
        offered
            .contains(&SignatureScheme::RSA_PKCS1_SHA256)
            .then(|| Box::new(self.clone()) as Box<dyn Signer>)
    }

    fn algorithm(&self) -> SignatureAlgorithm {
        SignatureAlgorithm::RSA
    }
}

impl Signer for CardKey {
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, rustls::Error> {
        self.card
            .sign(KeyUse::Authentication, &self.pin, message)
            .map_err(|e| rustls::Error::General(e.to_string()))
    }

    fn scheme(&self) -> SignatureScheme {
        SignatureScheme::RSA_PKCS1_SHA256
    }
}

#[derive(Debug)]
struct CardCertificate(Arc<CertifiedKey>);

impl ResolvesClientCert for CardCertificate {
    fn resolve(
        &self,
        _root_hint_subjects: &[&[u8]],
        _sigschemes: &[SignatureScheme],
    ) -> Option<Arc<CertifiedKey>> {
        Some(self.0.clone())
    }

    fn has_certs(&self) -> bool {
        true
    }
}

/// An HTTPS client whose TLS client certificate is the card's (a minimal browser for card
/// login).
pub(crate) struct CardBrowser {
    https: Https,
}

/// The page's message: the welcome, the refusal or the provider's message.
fn message(a: &Answer) -> String {
    let between = |start: &str| {
        a.body
            .split_once(start)
            .and_then(|(_, rest)| rest.split_once("</p>"))
            .map(|(m, _)| m.trim().to_owned())
    };
    between("<p class=\"welcome\">")
        .or_else(|| between("<p id=\"reason\">"))
        .or_else(|| between("<p class=\"message\" id=\"message\">"))
        .unwrap_or_default()
}

impl CardBrowser {
    /// A browser for the server of `url`, trusting certificates that chain to `ca_pem`, with
    /// `card`'s authentication certificate and key (PIN `pin`).
    pub(crate) fn new(
        card: Arc<dyn Card>,
        pin: Zeroizing<String>,
        url: &str,
        ca_pem: &[u8],
    ) -> Result<CardBrowser> {
        let leaf = card.certificate(KeyUse::Authentication)?.ok_or_else(|| {
            fail(
                "カードに認証用の証明書がありません",
                "the card holds no authentication certificate",
            )
        })?;
        let key = CardKey {
            card,
            pin: Arc::new(pin),
        };
        let certified = CertifiedKey::new(vec![CertificateDer::from(leaf)], Arc::new(key));
        Ok(CardBrowser {
            https: Https::new(
                url,
                ca_pem,
                Some(Arc::new(CardCertificate(Arc::new(certified)))),
            )?,
        })
    }

    fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        form: Option<&str>,
    ) -> Result<Answer> {
        self.https.request(
            method,
            path,
            headers,
            form.map(|b| ("application/x-www-form-urlencoded", b)),
        )
    }

    /// `GET path` (the card login page): the status and the page's message.
    pub(crate) fn login(&self, path: &str) -> Result<(u16, String)> {
        let a = self.request("GET", path, &[], None)?;
        Ok((a.status, message(&a)))
    }

    /// Opens an OpenID authorization request (`path` with its query) with the card and, when
    /// `consent`, agrees on the consent screen; returns where the provider sends the browser
    /// back (the relying party's redirect URI with the code).
    pub(crate) fn authorize(&self, path: &str, consent: bool) -> Result<String> {
        let a = self.request("GET", path, &[], None)?;
        let a = if a.status == 200 && a.body.contains("action=\"/oidc/consent\"") {
            if !consent {
                return Err(fail(
                    "同意画面が表示されました（--consent で同意します）",
                    "the consent screen was shown (--consent agrees)",
                ));
            }
            let cookie = a
                .header("set-cookie")
                .and_then(|c| c.split(';').next())
                .unwrap_or_default()
                .to_owned();
            let mut form = form_urlencoded::Serializer::new(String::new());
            for part in a.body.split("<input type=\"hidden\" name=\"").skip(1) {
                let Some((name, rest)) = part.split_once("\" value=\"") else {
                    continue;
                };
                let value = rest.split_once('"').map_or("", |(v, _)| v);
                form.append_pair(&unescape(name), &unescape(value));
            }
            let body = form.append_pair("decision", "approve").finish();
            self.request(
                "POST",
                "/oidc/consent",
                &[("Cookie", cookie.as_str())],
                Some(&body),
            )?
        } else {
            a
        };
        match (a.status, a.header("location")) {
            (302 | 303, Some(l)) => Ok(l.to_owned()),
            _ => Err(fail(
                format!(
                    "ログインできませんでした（HTTP {}）：{}",
                    a.status,
                    message(&a)
                ),
                format!("not signed in (HTTP {}): {}", a.status, message(&a)),
            )),
        }
    }
}

/// What askama escapes in attribute values, back.
fn unescape(s: &str) -> String {
    s.replace("&#x2f;", "/")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// Signs in at `url` (`https://host:port/login/card`) with `card` and `pin`, trusting the
/// server certificates that chain to `ca_pem`.
pub(crate) fn login(
    card: Arc<dyn Card>,
    pin: Zeroizing<String>,
    url: &str,
    ca_pem: &[u8],
) -> Result<LoginAnswer> {
    let browser = CardBrowser::new(card, pin, url, ca_pem)?;
    let (_, _, _, path) = split_url(url)?;
    let (status, message) = browser.login(&path)?;
    Ok(LoginAnswer { status, message })
}

/// Follows the authorization request `url` with the card (agreeing on the consent screen when
/// `consent`); returns the redirect to the relying party.
pub(crate) fn authorize(
    card: Arc<dyn Card>,
    pin: Zeroizing<String>,
    url: &str,
    ca_pem: &[u8],
    consent: bool,
) -> Result<String> {
    let browser = CardBrowser::new(card, pin, url, ca_pem)?;
    let (_, _, _, path) = split_url(url)?;
    browser.authorize(&path, consent)
}
