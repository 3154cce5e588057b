//! A minimal HTTPS client for the card's programs (`hpki card login`, `hpki check`): one
//! HTTP/1.0 request per connection over rustls, trusting the CA certificates given, with the
//! card as the TLS client certificate when asked to.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use rustls::client::ResolvesClientCert;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};

use crate::failure::fail;

/// One HTTP answer.
pub(crate) struct Answer {
    /// Status code.
    pub status: u16,
    /// Header lines, names in lower case.
    pub headers: Vec<(String, String)>,
    /// The body as text.
    pub body: String,
}

impl Answer {
    /// The value of header `name` (lower case).
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Splits `https://host:port/path` into the authority, host, port and path.
pub(crate) fn split_url(url: &str) -> Result<(String, String, u16, String)> {
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
    Ok((authority.to_owned(), host.to_owned(), port, path.to_owned()))
}

/// An HTTPS client for the server of one URL.
pub(crate) struct Https {
    config: Arc<rustls::ClientConfig>,
    authority: String,
    host: String,
    port: u16,
}

impl Https {
    /// A client for the server of `url`, trusting certificates that chain to `ca_pem`;
    /// presenting the client certificate of `client` when given (TLS 1.2 then: cards sign
    /// PKCS#1 v1.5 only, which TLS 1.3 does not allow for CertificateVerify).
    pub(crate) fn new(
        url: &str,
        ca_pem: &[u8],
        client: Option<Arc<dyn ResolvesClientCert>>,
    ) -> Result<Https> {
        let (authority, host, port, _) = split_url(url)?;
        let mut roots = rustls::RootCertStore::empty();
        for cert in CertificateDer::pem_slice_iter(ca_pem) {
            roots.add(cert?)?;
        }
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let builder = rustls::ClientConfig::builder_with_provider(provider);
        let config = match client {
            Some(resolver) => builder
                .with_protocol_versions(&[&rustls::version::TLS12])?
                .with_root_certificates(roots)
                .with_client_cert_resolver(resolver),
            None => builder
                .with_safe_default_protocol_versions()?
                .with_root_certificates(roots)
                .with_no_client_auth(),
        };
        Ok(Https {
            config: Arc::new(config),
            authority,
            host,
            port,
        })
    }

    /// One request: `method path`, with `headers` and a `body` of `content_type`.
    pub(crate) fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<(&str, &str)>,
    ) -> Result<Answer> {
        let name = ServerName::try_from(self.host.clone())?;
        let connection = rustls::ClientConnection::new(self.config.clone(), name)?;
        let socket = TcpStream::connect((self.host.as_str(), self.port))?;
        socket.set_read_timeout(Some(Duration::from_secs(60)))?;
        socket.set_write_timeout(Some(Duration::from_secs(60)))?;
        let mut tls = rustls::StreamOwned::new(connection, socket);
        // HTTP/1.0: one request, the body up to the close, no chunking.
        let mut head = format!(
            "{method} {path} HTTP/1.0\r\nHost: {}\r\nAccept-Language: ja\r\n",
            self.authority
        );
        for (k, v) in headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        if let Some((content_type, b)) = body {
            head.push_str(&format!(
                "Content-Type: {content_type}\r\nContent-Length: {}\r\n",
                b.len()
            ));
        }
        head.push_str("\r\n");
        head.push_str(body.map_or("", |(_, b)| b));
        tls.write_all(head.as_bytes())?;
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
        let text = String::from_utf8_lossy(&response).into_owned();
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
        let mut lines = head.split("\r\n");
        let status = lines
            .next()
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        Ok(Answer {
            status,
            headers,
            body: body.to_owned(),
        })
    }
}
