//! The client certificate as a TLS-terminating reverse proxy forwards it (RFC 9440), accepted
//! only from the proxy addresses the operator configured (`hpki serve --trusted-proxy`).
//!
//! ```text
//! Client-Cert       = sf-binary            ; :BASE64(DER of the end-entity certificate):
//! Client-Cert-Chain = sf-list of sf-binary ; the rest of the chain, issuer after subject
//! ```
//!
//! RFC 9440 §4: "the [headers] ... MUST be sanitized by the TTRP"; and the origin "MUST only
//! accept the headers from a trusted TTRP". From any other peer the headers are ignored (and
//! removed), so that nobody signs in by typing a header. On hpki's own TLS listener the
//! certificate of the TLS connection is used and the headers are ignored too.
//!
//! From a trusted proxy, the client's address is also taken from the last `X-Forwarded-For`
//! entry (the one the proxy added for the peer it saw), so that per-client rate limits and the
//! audit name the client, not the proxy.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::tls::ClientCertificate;

/// `Client-Cert` (RFC 9440 §2.2).
pub const CLIENT_CERT: &str = "client-cert";
/// `Client-Cert-Chain` (RFC 9440 §2.3).
pub const CLIENT_CERT_CHAIN: &str = "client-cert-chain";
/// At most this many certificates in a forwarded chain.
const MAX_CHAIN: usize = 8;

/// One sf-binary (RFC 8941 §3.3.5): `:` base64 `:`.
fn binary(item: &str) -> Option<Vec<u8>> {
    let inner = item.trim().strip_prefix(':')?.strip_suffix(':')?;
    STANDARD.decode(inner).ok()
}

/// The chain of a request's RFC 9440 headers (leaf first), or none when `Client-Cert` is absent
/// or malformed.
pub fn chain(headers: &axum::http::HeaderMap) -> Option<Vec<Vec<u8>>> {
    let leaf = binary(headers.get(CLIENT_CERT)?.to_str().ok()?)?;
    let mut chain = vec![leaf];
    for value in headers.get_all(CLIENT_CERT_CHAIN) {
        for item in value.to_str().ok()?.split(',') {
            chain.push(binary(item)?);
        }
    }
    (chain.len() <= MAX_CHAIN).then_some(chain)
}

/// `X-Forwarded-For`.
pub const X_FORWARDED_FOR: &str = "x-forwarded-for";

/// The client's address a proxy forwarded: the last entry of the last `X-Forwarded-For` line.
pub fn forwarded_for(headers: &axum::http::HeaderMap) -> Option<IpAddr> {
    let line = headers.get_all(X_FORWARDED_FOR).iter().next_back()?;
    line.to_str().ok()?.rsplit(',').next()?.trim().parse().ok()
}

/// Middleware of the plain-HTTP listener: a request from one of `trusted` gets the forwarded
/// certificate as its [`ClientCertificate`] (none when the proxy sent none); from anyone else
/// the headers are dropped.
pub async fn accept_from(
    State(trusted): State<Arc<[IpAddr]>>,
    mut req: Request,
    next: Next,
) -> Response {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let from_proxy = peer.is_some_and(|p| trusted.contains(&p));
    if req.extensions().get::<ClientCertificate>().is_none() && from_proxy {
        let forwarded = chain(req.headers()).map(Arc::from);
        req.extensions_mut().insert(ClientCertificate(forwarded));
        if let Some(client) = forwarded_for(req.headers()) {
            req.extensions_mut()
                .insert(ConnectInfo(SocketAddr::new(client, 0)));
        }
    }
    req.headers_mut().remove(CLIENT_CERT);
    req.headers_mut().remove(CLIENT_CERT_CHAIN);
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::{HeaderMap, HeaderValue};

    #[test]
    fn the_client_is_the_last_address_the_proxy_added() {
        let mut h = HeaderMap::new();
        assert_eq!(forwarded_for(&h), None);
        h.insert(
            X_FORWARDED_FOR,
            HeaderValue::from_static("203.0.113.9, 198.51.100.7"),
        );
        assert_eq!(forwarded_for(&h), "198.51.100.7".parse().ok());
        h.insert(X_FORWARDED_FOR, HeaderValue::from_static("not an address"));
        assert_eq!(forwarded_for(&h), None);
    }

    #[test]
    fn the_headers_of_rfc_9440_are_read_as_structured_binaries() {
        let mut h = HeaderMap::new();
        assert_eq!(chain(&h), None);
        h.insert(CLIENT_CERT, HeaderValue::from_static(":AQID:"));
        assert_eq!(chain(&h), Some(vec![vec![1, 2, 3]]));
        h.insert(
            CLIENT_CERT_CHAIN,
            HeaderValue::from_static(":BAU=:, :Bg==:"),
        );
        assert_eq!(chain(&h), Some(vec![vec![1, 2, 3], vec![4, 5], vec![6]]));
        h.insert(CLIENT_CERT, HeaderValue::from_static("AQID"));
        assert_eq!(chain(&h), None, "not an sf-binary");
        h.insert(CLIENT_CERT, HeaderValue::from_static(":not base64!:"));
        assert_eq!(chain(&h), None);
    }
}
