//! The hpki HTTP server: what relying parties fetch, and the registration authority's API.
//!
//! | route | what |
//! |---|---|
//! | `GET /crl/{root,sign,auth}.crl` | the CA's current CRL (DER, `application/pkix-crl`), re-signed after any revocation |
//! | `GET /ca/{root,sign,auth}.crt` | the CA certificate (DER, `application/pkix-cert`, AIA caIssuers) |
//! | `POST /ocsp/{sign,auth}` | RFC 6960 OCSP (`application/ocsp-request` → `application/ocsp-response`) |
//! | `GET /ocsp/{sign,auth}/{base64}` | RFC 5019 §5 GET form |
//! | `POST /tsa` | RFC 3161 time-stamping (`application/timestamp-query` → `application/timestamp-reply`; a malformed request gets a `rejection` / `badDataFormat` reply, HTTP 200; 404 when no TSA is set up) |
//! | `GET /ca/tsa.crt` | the TSA certificate (DER) |
//! | `GET /healthz` | liveness |
//! | `GET /` | a page listing the above (Japanese, English below) |
//! | `/ra/…` | the officers' web UI (Japanese, English with `?lang=en`), see [`ra_web`] |
//! | `/api/v1/…` | the registration authority's JSON API for officers (bearer tokens), see [`ra_api`] and `GET /api/v1/openapi.json` |
//! | `GET/POST /verify` | the public signature verification page (drop a signed PDF, XML or CAdES file; `?format=json`), see [`verify_web`] |
//! | `GET /login/card` | card login with the TLS client certificate (on the TLS listener), see [`login`] |
//! | `/.well-known/openid-configuration`, `/oidc/…` | the OpenID Connect provider (on the TLS listener only), see [`oidc`] |
//! | `/portal/…`, `/doctors/{id}`, `GET /api/v1/doctors/{id}` | the doctor's portal and a doctor as the requester may see them (TLS listener), see [`portal`] |
//! | `/api/v1/qualification/…`, `/check/…` | the qualification check (API, the phone's page; rate-limited per client), see [`qualification`] |
//! | `/demo-rp/` | an example relying party, only in `hpki demo` (TLS listener), see [`demo_rp`] |
//!
//! The operator interface (custodian activation, issuance) is served on a separate loopback
//! listener: see [`admin`]. The same public routes are served over TLS on a third listener
//! that asks for the card's authentication certificate: see [`tls`].
#![forbid(unsafe_code)]

pub mod accept;
pub mod admin;
pub mod attendance;
pub mod demo_rp;
pub mod forwarded_cert;
pub mod login;
pub mod oidc;
pub mod openapi;
pub mod portal;
pub mod qualification;
pub mod ra_api;
pub mod ra_form;
pub mod ra_text;
pub mod ra_web;
pub mod rate_limit;
pub mod tls;
pub mod verify_web;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::DefaultBodyLimit;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use hpki_ca::ocsp_responder::OcspResponder;
use hpki_ca::tsa::TsaResponder;
use hpki_ca::{CaName, Engine};
use hpki_text::{Localized, Text};
use tokio::sync::Mutex;

/// Errors starting the server.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The listen address could not be bound.
    #[error("cannot listen on {0}: {1}")]
    Bind(SocketAddr, std::io::Error),
    /// The operator listener must stay on this machine.
    #[error("the admin listener must be a loopback address, not {0}")]
    AdminNotLoopback(SocketAddr),
    /// The server stopped with an I/O error.
    #[error("server error: {0}")]
    Io(#[from] std::io::Error),
    /// The TLS certificate or key file cannot be used.
    #[error("TLS file {0}: {1}")]
    TlsFile(String, String),
    /// The TLS configuration was refused.
    #[error("TLS configuration: {0}")]
    Tls(String),
}

impl Localized for ServerError {
    fn text(&self) -> Text {
        match self {
            ServerError::Bind(f0, f1) => Text::new(
                format!("{f0} で待ち受けできません: {f1}"),
                format!("cannot listen on {f0}: {f1}"),
            ),
            ServerError::AdminNotLoopback(f0) => Text::new(
                format!("管理用の待ち受けはループバックアドレスに限ります: {f0}"),
                format!("the admin listener must be a loopback address, not {f0}"),
            ),
            ServerError::Io(f0) => Text::new(
                format!("サーバーのエラー：{}", hpki_text::io_error(f0).ja),
                format!("server error: {f0}"),
            ),
            ServerError::TlsFile(f0, f1) => Text::new(
                format!("TLSのファイル {f0} を使えません：{f1}"),
                format!("TLS file {f0}: {f1}"),
            ),
            ServerError::Tls(f0) => Text::new(
                format!("TLSの設定が受け付けられません：{f0}"),
                format!("TLS configuration: {f0}"),
            ),
        }
    }
}

struct CrlCache {
    der: Bytes,
    epoch: i64,
    refresh_at: u64,
}

/// Shared state of the handlers.
pub struct AppState {
    responder: OcspResponder,
    tsa: TsaResponder,
    crls: Mutex<HashMap<CaName, CrlCache>>,
}

impl AppState {
    /// State over an engine opened with its keys.
    pub fn new(engine: Arc<Engine>) -> Arc<Self> {
        Arc::new(AppState {
            tsa: TsaResponder::new(engine.clone()),
            responder: OcspResponder::new(engine),
            crls: Mutex::new(HashMap::new()),
        })
    }

    fn engine(&self) -> &Arc<Engine> {
        self.responder.engine()
    }

    /// The current CRL of `ca` (DER): cached until the CA revokes something or half its
    /// validity has passed, then re-signed. The CRL route serves it; card login checks with it.
    pub async fn current_crl(&self, ca: CaName) -> Result<Bytes, hpki_ca::CaError> {
        let epoch = self.responder.revocation_epoch(ca).await?;
        let mut crls = self.crls.lock().await;
        let now = self.engine().now_unix();
        if let Some(c) = crls.get(&ca)
            && c.epoch == epoch
            && now < c.refresh_at
        {
            return Ok(c.der.clone());
        }
        let p = self.engine().publish_crl(ca).await?;
        let der = Bytes::from(p.der);
        let refresh_at = p.this_update + (p.next_update - p.this_update) / 2;
        crls.insert(
            ca,
            CrlCache {
                der: der.clone(),
                epoch,
                refresh_at,
            },
        );
        Ok(der)
    }
}

/// At most this many octets in an OCSP or time-stamp request: one of either is a few hundred
/// octets (an OCSP request for 20 certificates, a TSA request with a SHA-512 imprint and the
/// longest nonce, stay far below).
pub const MAX_PROTOCOL_REQUEST_OCTETS: usize = 16 * 1024;

/// The router with every route.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/healthz", get(|| async { "ok" }))
        .route("/crl/{file}", get(crl))
        .route("/ca/{file}", get(ca_certificate))
        .route(
            "/ocsp/{ca}",
            post(ocsp_post).layer(DefaultBodyLimit::max(MAX_PROTOCOL_REQUEST_OCTETS)),
        )
        .route("/ocsp/{ca}/{*request}", get(ocsp_get))
        .route(
            "/tsa",
            post(tsa_post).layer(DefaultBodyLimit::max(MAX_PROTOCOL_REQUEST_OCTETS)),
        )
        .with_state(state.clone())
        .merge(ra_api::router(hpki_registration::Registration::new(
            state.engine().clone(),
        )))
        .merge(ra_web::router(hpki_registration::Registration::new(
            state.engine().clone(),
        )))
        .merge(verify_web::router(state.clone()))
        .merge(attendance::router(
            state.engine().clone(),
            state.engine().config.attendance.tap_burst,
            state.engine().config.attendance.tap_per_second,
        ))
        .merge(login::router(state))
}

/// Serve until Ctrl-C / SIGTERM. `ready` is called with the bound address once listening.
pub async fn serve(
    engine: Arc<Engine>,
    listen: SocketAddr,
    ready: impl FnOnce(SocketAddr),
) -> Result<(), ServerError> {
    serve_with_admin(engine, listen, None, |addr, _| ready(addr)).await
}

/// Serve the public routes on `listen` and, when given, the operator routes ([`admin`]) on
/// `admin_listen`, which must be a loopback address. `ready` gets both bound addresses.
pub async fn serve_with_admin(
    engine: Arc<Engine>,
    listen: SocketAddr,
    admin_listen: Option<SocketAddr>,
    ready: impl FnOnce(SocketAddr, Option<SocketAddr>),
) -> Result<(), ServerError> {
    let listeners = Listeners {
        admin: admin_listen,
        ..Listeners::public(listen)
    };
    serve_listeners(engine, listeners, |b| ready(b.public, b.admin)).await
}

/// Where the server listens.
pub struct Listeners {
    /// The public routes over plain HTTP.
    pub public: SocketAddr,
    /// The operator routes ([`admin`]), loopback only.
    pub admin: Option<SocketAddr>,
    /// The public routes over TLS, asking for the card's certificate ([`tls`]), with the
    /// OpenID Connect provider ([`oidc`]).
    pub tls: Option<TlsListener>,
    /// Reverse proxies whose RFC 9440 `Client-Cert` headers the plain-HTTP listener believes
    /// ([`forwarded_cert`]); with `issuer`, the provider is served there too.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// The provider's issuer identifier (its HTTPS base URL); `https://{TLS listener}` when
    /// not given.
    pub issuer: Option<String>,
    /// The example relying party of the demo ([`demo_rp`]), when serving the demo.
    pub demo_rp: Option<demo_rp::DemoRp>,
}

impl Listeners {
    /// The public routes on `public` only.
    pub fn public(public: SocketAddr) -> Listeners {
        Listeners {
            public,
            admin: None,
            tls: None,
            trusted_proxies: Vec::new(),
            issuer: None,
            demo_rp: None,
        }
    }
}

/// The TLS listener of card login and the OpenID Connect provider.
pub struct TlsListener {
    /// Where.
    pub addr: SocketAddr,
    /// The server's certificate chain and key.
    pub identity: tls::ServerIdentity,
}

/// The addresses bound, once listening.
#[derive(Clone, Copy, Debug)]
pub struct Bound {
    /// The plain-HTTP public listener.
    pub public: SocketAddr,
    /// The operator listener.
    pub admin: Option<SocketAddr>,
    /// The TLS listener.
    pub tls: Option<SocketAddr>,
}

/// Serve on `listeners` until Ctrl-C / SIGTERM. `ready` gets the bound addresses.
pub async fn serve_listeners(
    engine: Arc<Engine>,
    listeners: Listeners,
    ready: impl FnOnce(Bound),
) -> Result<(), ServerError> {
    if let Some(a) = listeners.admin
        && !a.ip().is_loopback()
    {
        return Err(ServerError::AdminNotLoopback(a));
    }
    let bind = |a: SocketAddr| async move {
        tokio::net::TcpListener::bind(a)
            .await
            .map_err(|e| ServerError::Bind(a, e))
    };
    let listener = bind(listeners.public).await?;
    let admin = match listeners.admin {
        Some(a) => Some(bind(a).await?),
        None => None,
    };
    let tls = match listeners.tls {
        Some(t) => {
            let auth_ca = engine
                .authority(CaName::Auth)
                .map(|a| vec![a.ca.cert.clone()])
                .unwrap_or_default();
            let listener = bind(t.addr).await?;
            Some((listener, tls::server_config(t.identity, &auth_ca)?))
        }
        None => None,
    };
    let bound = Bound {
        public: listener.local_addr()?,
        admin: admin.as_ref().map(|l| l.local_addr()).transpose()?,
        tls: tls.as_ref().map(|(l, _)| l.local_addr()).transpose()?,
    };
    let state = AppState::new(engine.clone());
    let mut routes = router(state.clone());
    // The provider: on the TLS listener, and behind a trusted proxy when it has an issuer.
    let proxied = !listeners.trusted_proxies.is_empty() && listeners.issuer.is_some();
    let issuer = match (listeners.issuer, bound.tls) {
        (Some(i), _) => Some(i),
        (None, Some(t)) => Some(format!("https://{t}")),
        (None, None) => None,
    };
    if let Some(issuer) = issuer.filter(|_| tls.is_some() || proxied) {
        let provider = oidc::OidcState::new(state.clone(), issuer)
            .await
            .map_err(|e| ServerError::Tls(e.to_string()))?;
        routes = routes
            .merge(oidc::router(provider.clone()))
            .merge(portal::router(
                provider.clone(),
                engine.config.login.check_burst,
                engine.config.login.check_per_second,
            ))
            .merge(qualification::router(
                provider.clone(),
                engine.config.login.check_burst,
                engine.config.login.check_per_second,
            ));
        if let Some(rp) = listeners.demo_rp {
            routes = routes.merge(demo_rp::router(provider, rp));
        }
    }
    let mut plain = if proxied {
        routes.clone()
    } else {
        router(state)
    };
    if !listeners.trusted_proxies.is_empty() {
        let trusted: Arc<[std::net::IpAddr]> = listeners.trusted_proxies.into();
        plain = plain.layer(axum::middleware::from_fn_with_state(
            trusted,
            forwarded_cert::accept_from,
        ));
    }
    ready(bound);
    let public = accept::serve(listener, plain, shutdown_signal(), |tcp| async move {
        Some(accept::Handshaken {
            io: tcp,
            client: None,
            h2: false,
        })
    });
    let admin = async {
        match admin {
            Some(admin) => axum::serve(admin, admin::router(engine))
                .with_graceful_shutdown(shutdown_signal())
                .await
                .map_err(ServerError::from),
            None => Ok(()),
        }
    };
    let tls = async {
        match tls {
            Some((listener, config)) => {
                tls::serve(listener, config, routes, shutdown_signal()).await
            }
            None => Ok(()),
        }
    };
    tokio::try_join!(public, admin, tls)?;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

fn der_response(content_type: &'static str, body: Bytes) -> Response {
    (
        [(header::CONTENT_TYPE, HeaderValue::from_static(content_type))],
        body,
    )
        .into_response()
}

fn not_found(what: &str) -> Response {
    (
        StatusCode::NOT_FOUND,
        format!("not found / 見つかりません: {what}\n"),
    )
        .into_response()
}

fn ca_from_file(file: &str, ext: &str) -> Option<CaName> {
    file.strip_suffix(ext).and_then(|n| CaName::parse(n).ok())
}

async fn crl(State(state): State<Arc<AppState>>, Path(file): Path<String>) -> Response {
    let Some(ca) = ca_from_file(&file, ".crl") else {
        return not_found(&file);
    };
    match state.current_crl(ca).await {
        Ok(der) => der_response("application/pkix-crl", der),
        Err(hpki_ca::CaError::Store(_)) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "database unavailable / データベースに接続できません\n",
        )
            .into_response(),
        Err(hpki_ca::CaError::NoKey(_)) | Err(hpki_ca::CaError::UnknownCa(_)) => not_found(&file),
        // Under custody, a new CRL needs the custodians to activate the CA key.
        Err(e @ hpki_ca::CaError::NotActivated(_)) => {
            (StatusCode::SERVICE_UNAVAILABLE, format!("{e}\n")).into_response()
        }
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, format!("{e}\n")).into_response(),
    }
}

async fn ca_certificate(State(state): State<Arc<AppState>>, Path(file): Path<String>) -> Response {
    if file == "tsa.crt" {
        return match state.tsa.certificate_der().await {
            Some(der) => der_response("application/pkix-cert", Bytes::from(der)),
            None => not_found(&file),
        };
    }
    let Some(ca) = ca_from_file(&file, ".crt") else {
        return not_found(&file);
    };
    match state.engine().authority(ca) {
        Ok(a) => der_response("application/pkix-cert", Bytes::from(a.ca.der.clone())),
        Err(_) => not_found(&file),
    }
}

async fn ocsp_post(
    State(state): State<Arc<AppState>>,
    Path(ca): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Ok(ca) = CaName::parse(&ca) else {
        return not_found(&ca);
    };
    if let Some(ct) = headers.get(header::CONTENT_TYPE)
        && ct.as_bytes() != b"application/ocsp-request"
    {
        return (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "expected application/ocsp-request\n",
        )
            .into_response();
    }
    let der = state.responder.respond(ca, &body).await;
    der_response("application/ocsp-response", Bytes::from(der))
}

/// RFC 3161 §3.4: a DER `TimeStampReq` posted as `application/timestamp-query`, answered
/// with a DER `TimeStampResp` as `application/timestamp-reply`. Every request that reaches the
/// TSA gets a `TimeStampResp` with HTTP 200, a rejection included (a body that is not a
/// `TimeStampReq` gets `badDataFormat`).
async fn tsa_post(State(state): State<Arc<AppState>>, headers: HeaderMap, body: Bytes) -> Response {
    if let Some(ct) = headers.get(header::CONTENT_TYPE)
        && ct.as_bytes() != b"application/timestamp-query"
    {
        return (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "expected application/timestamp-query / application/timestamp-query を送ってください\n",
        )
            .into_response();
    }
    match state.tsa.respond(&body).await {
        Ok(der) => der_response("application/timestamp-reply", Bytes::from(der)),
        Err(_) => {
            not_found("/tsa (no time-stamping authority is set up / タイムスタンプ局は未設定です)")
        }
    }
}

async fn ocsp_get(
    State(state): State<Arc<AppState>>,
    Path((ca, request)): Path<(String, String)>,
) -> Response {
    let Ok(ca) = CaName::parse(&ca) else {
        return not_found(&ca);
    };
    // RFC 5019 §5: the base64 of the DER request, URL-encoded; it may contain '/'.
    let decoded = percent_encoding::percent_decode_str(&request)
        .decode_utf8_lossy()
        .into_owned();
    let Ok(der) = base64::engine::general_purpose::STANDARD.decode(decoded.trim()) else {
        let body = hpki_ca::ocsp_responder::malformed_request_response();
        return der_response("application/ocsp-response", Bytes::from(body));
    };
    let resp = state.responder.respond(ca, &der).await;
    let max_age = state.engine().config.policy.ocsp_validity_hours * 3600 / 2;
    let mut r = der_response("application/ocsp-response", Bytes::from(resp));
    if let Ok(v) = HeaderValue::from_str(&format!(
        "max-age={max_age}, public, no-transform, must-revalidate"
    )) {
        r.headers_mut().insert(header::CACHE_CONTROL, v);
    }
    r
}

async fn index(State(state): State<Arc<AppState>>) -> Html<String> {
    let base = state
        .engine()
        .config
        .public_base_url
        .trim_end_matches('/')
        .to_owned();
    Html(format!(
        r#"<!doctype html>
<html lang="ja"><head><meta charset="utf-8"><title>hpki 認証局 / HPKI CA</title>
<style>body{{font-family:sans-serif;max-width:48rem;margin:2rem auto;line-height:1.6;color:#111}}code{{background:#eee;padding:0 .2em}}</style></head>
<body>
<h1>日医HPKI認証局（hpki）</h1>
<p>失効情報と証明書の公開窓口です。</p>
<ul>
<li>証明書失効リスト（CRL）: <code>{base}/crl/sign.crl</code>（署名用）, <code>{base}/crl/auth.crl</code>（認証用）, <code>{base}/crl/root.crl</code></li>
<li>OCSP: <code>{base}/ocsp/sign</code>, <code>{base}/ocsp/auth</code>（POST、RFC 5019 の GET も可）</li>
<li>CA証明書: <code>{base}/ca/root.crt</code>, <code>{base}/ca/sign.crt</code>, <code>{base}/ca/auth.crt</code></li>
<li>タイムスタンプ局（RFC 3161）: <code>{base}/tsa</code>（POST）、証明書 <code>{base}/ca/tsa.crt</code></li>
</ul>
<h2 lang="en">HPKI certification authority (hpki)</h2>
<p lang="en">Revocation status and CA certificates: CRLs at <code>/crl/{{sign,auth,root}}.crl</code>, OCSP at <code>/ocsp/{{sign,auth}}</code> (POST or RFC 5019 GET), CA certificates at <code>/ca/{{root,sign,auth}}.crt</code>; RFC 3161 time-stamping at <code>/tsa</code> (POST), its certificate at <code>/ca/tsa.crt</code>.</p>
</body></html>"#
    ))
}
