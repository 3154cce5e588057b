//! `hpki card login`: signs in at card login (`/login/card`) with the 医師資格証 itself and
//! prints what the server says. The authentication key on the card signs the TLS handshake
//! through PKCS#11 (the card interface of `hpki-token`); cards sign RSASSA-PKCS1-v1_5 only,
//! which TLS 1.3 does not allow for CertificateVerify (RFC 8446 §4.4.3), so this client speaks
//! TLS 1.2, as browsers do with such cards.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use hpki_token::{Card, KeyUse};
use rustls::client::ResolvesClientCert;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::sign::{CertifiedKey, Signer, SigningKey};
use rustls::{SignatureAlgorithm, SignatureScheme};
use zeroize::Zeroizing;

use crate::failure::fail;

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

/// Signs in at `url` (`https://host:port/login/card`) with `card` and `pin`, trusting the
/// server certificates that chain to `ca_pem`.
pub(crate) fn login(
    card: Arc<dyn Card>,
    pin: Zeroizing<String>,
    url: &str,
    ca_pem: &[u8],
) -> Result<LoginAnswer> {
    let rest = url.strip_prefix("https://").ok_or_else(|| {
        fail(
            "URL は https:// で始めてください",
            "the URL must start with https://",
        )
    })?;
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let path = if path.is_empty() { "/" } else { path };
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) => (h, p.parse::<u16>()?),
        None => (authority, 443),
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca_pem) {
        roots.add(cert?)?;
    }
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
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS12])?
        .with_root_certificates(roots)
        .with_client_cert_resolver(Arc::new(CardCertificate(Arc::new(certified))));
    let name = ServerName::try_from(host.to_owned())?;
    let connection = rustls::ClientConnection::new(Arc::new(config), name)?;
    let socket = TcpStream::connect((host, port))?;
    socket.set_read_timeout(Some(Duration::from_secs(60)))?;
    socket.set_write_timeout(Some(Duration::from_secs(60)))?;
    let mut tls = rustls::StreamOwned::new(connection, socket);
    // HTTP/1.0: one request, the body up to the close, no chunking.
    write!(
        tls,
        "GET {path} HTTP/1.0\r\nHost: {authority}\r\nAccept-Language: ja\r\n\r\n"
    )?;
    tls.flush()?;
    let mut response = Vec::new();
    let read = Read::by_ref(&mut tls)
        .take(1 << 20)
        .read_to_end(&mut response);
    // A server that closes without close_notify still sent a whole HTTP/1.0 answer.
    if let Err(e) = read
        && e.kind() != std::io::ErrorKind::UnexpectedEof
    {
        return Err(e.into());
    }
    let text = String::from_utf8_lossy(&response);
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let between = |start: &str| {
        text.split_once(start)
            .and_then(|(_, rest)| rest.split_once("</p>"))
            .map(|(m, _)| m.trim().to_owned())
    };
    let message = between("<p class=\"welcome\">")
        .or_else(|| between("<p id=\"reason\">"))
        .unwrap_or_default();
    Ok(LoginAnswer { status, message })
}
