//! The accept loop every public listener runs (plain HTTP and the TLS listener of card login):
//! a bounded number of connections at once ([`MAX_CONNECTIONS`]; further ones wait in the
//! kernel's backlog), TCP_NODELAY, a per-connection handshake step (nothing for plain HTTP,
//! TLS for card login), and a time limit on each request's header ([`HEADER_TIMEOUT`]), so that
//! idle and half-sent connections are closed instead of held open. Each request carries
//! `ConnectInfo<SocketAddr>` and, when the handshake gives one, the [`ClientCertificate`].

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tower::ServiceExt as _;

use crate::ServerError;
use crate::tls::ClientCertificate;

/// How long a client may take to send a request's header (HTTP/1.1), the first one and each
/// next one on a kept-alive connection.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(30);
/// At most this many connections at once per listener (handshaking or open).
pub const MAX_CONNECTIONS: usize = 4096;

/// What a connection's handshake gives: the stream to speak HTTP on, the client certificate
/// it learnt, and whether the client chose HTTP/2 (ALPN `h2`; HTTP/1.1 otherwise).
pub struct Handshaken<IO> {
    /// The stream.
    pub io: IO,
    /// The TLS client's certificate chain; none on plain HTTP.
    pub client: Option<ClientCertificate>,
    /// HTTP/2 negotiated.
    pub h2: bool,
}

/// Serves `router` on `listener` until `shutdown` completes, each accepted connection first
/// through `handshake` (nothing there drops the connection). HTTP/1.1 is served by hyper's
/// own HTTP/1 connection, whose header timeout holds from the moment the connection opens
/// (hyper-util's version-sniffing `auto` connection waits for the first bytes without one).
pub async fn serve<H, F, IO>(
    listener: TcpListener,
    router: Router,
    shutdown: impl std::future::Future<Output = ()>,
    handshake: H,
) -> Result<(), ServerError>
where
    H: Fn(TcpStream) -> F + Clone + Send + 'static,
    F: std::future::Future<Output = Option<Handshaken<IO>>> + Send,
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let slots = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    tokio::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => match slot {
                Ok(s) => s,
                Err(_) => return Ok(()),
            },
            _ = &mut shutdown => return Ok(()),
        };
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                // Out of descriptors and the like: wait a moment rather than spin.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => return Ok(()),
        };
        // Responses go out in several writes (TLS records, header and body): without this,
        // Nagle's algorithm holds each small one back for the client's delayed ACK.
        let _ = tcp.set_nodelay(true);
        let (router, handshake) = (router.clone(), handshake.clone());
        tokio::spawn(async move {
            let _slot = slot;
            let Some(Handshaken { io, client, h2 }) = handshake(tcp).await else {
                return;
            };
            let service = router.map_request(move |req: hyper::Request<hyper::body::Incoming>| {
                let mut req = req.map(axum::body::Body::new);
                if let Some(client) = &client {
                    req.extensions_mut().insert(client.clone());
                }
                req.extensions_mut()
                    .insert(axum::extract::ConnectInfo::<SocketAddr>(peer));
                req
            });
            let service = TowerToHyperService::new(service);
            let io = TokioIo::new(io);
            if h2 {
                let _ = hyper::server::conn::http2::Builder::new(TokioExecutor::new())
                    .timer(TokioTimer::new())
                    .serve_connection(io, service)
                    .await;
            } else {
                let _ = hyper::server::conn::http1::Builder::new()
                    .timer(TokioTimer::new())
                    .header_read_timeout(HEADER_TIMEOUT)
                    .serve_connection(io, service)
                    .await;
            }
        });
    }
}
