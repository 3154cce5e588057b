//! The qualification check (資格確認) for anyone: the API a phone app (or `hpki check`) calls
//! with the card, and the page a phone's camera opens from the portal's QR code. Rate-limited
//! per client address ([`crate::rate_limit`]); every check audited by the engine.
//!
//! | route | what |
//! |---|---|
//! | `POST /api/v1/qualification/challenge` | `{"nonce", "expires_at", "sign"}`: a nonce for the card to sign, used once, [`hpki_provider::qualification::CHALLENGE_SECONDS`] |
//! | `POST /api/v1/qualification/verify` | `{"certificate", "chain"?, "nonce"?, "signature"?}` (base64 DER, base64) → `{"result": {…}, "signed_result": JWS}` |
//! | `GET /check/` | the verifier's page: what to do |
//! | `GET /check/q/{token}` | a QR code of the portal, checked, in large type |
//! | `GET /check/r/{signed_result}` | a signed result (from the API) shown in large type |

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hpki_disclosure::Item;
use hpki_login::qualification::{Outcome, SIGNED_PREFIX};
use hpki_provider::qualification::{CheckResult, Presence};
use hpki_provider::{LoginError, Provider};
use hpki_text::{Lang, Localized};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::oidc::{OidcState, revocation};
use crate::rate_limit::{self, RateLimiter};

/// At most this many octets in a verify request (a chain of a few certificates).
const MAX_BODY_OCTETS: usize = 32 * 1024;
/// At most this many certificates in a chain.
const MAX_CHAIN: usize = 4;

/// The routes, rate-limited together: a burst of `burst` per client, then `per_second`.
pub fn router(state: Arc<OidcState>, burst: u32, per_second: u32) -> Router {
    let limiter = RateLimiter::new(burst, per_second);
    Router::new()
        .route("/api/v1/qualification/challenge", post(challenge))
        .route("/api/v1/qualification/verify", post(verify))
        .route("/check/", get(check_home))
        .route("/check/q/{token}", get(check_qr))
        .route("/check/r/{signed}", get(check_signed))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_OCTETS))
        .layer(axum::middleware::from_fn_with_state(
            limiter,
            rate_limit::limit,
        ))
        .with_state(state)
}

fn no_store(mut r: Response) -> Response {
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

fn api_error(status: StatusCode, code: &str, ja: &str, en: &str) -> Response {
    no_store(
        (
            status,
            axum::Json(json!({"error": code, "message": {"ja": ja, "en": en}})),
        )
            .into_response(),
    )
}

fn unavailable(e: &LoginError) -> Response {
    let t = e.text();
    no_store(
        (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(json!({"error": "unavailable", "message": {"ja": t.ja, "en": t.en}})),
        )
            .into_response(),
    )
}

fn checker(peer: Option<axum::Extension<ConnectInfo<std::net::SocketAddr>>>, via: &str) -> String {
    match peer {
        Some(axum::Extension(ConnectInfo(a))) => format!("{via} from {}", a.ip()),
        None => via.to_owned(),
    }
}

/// The body, if any, is read (and ignored) before answering: an HTTP/2 client still sending it
/// would otherwise see the stream reset under it.
async fn challenge(State(s): State<Arc<OidcState>>, _body: axum::body::Bytes) -> Response {
    match s.provider().challenge().await {
        Ok(c) => no_store(
            axum::Json(json!({
                "nonce": c.nonce,
                "expires_at": c.expires_at,
                "sign": format!("{SIGNED_PREFIX}{}", c.nonce),
            }))
            .into_response(),
        ),
        Err(e) => unavailable(&e),
    }
}

#[derive(Deserialize)]
struct VerifyRequest {
    certificate: String,
    #[serde(default)]
    chain: Vec<String>,
    nonce: Option<String>,
    signature: Option<String>,
}

async fn verify(
    State(s): State<Arc<OidcState>>,
    peer: Option<axum::Extension<ConnectInfo<std::net::SocketAddr>>>,
    body: axum::body::Bytes,
) -> Response {
    let Ok(req) = serde_json::from_slice::<VerifyRequest>(&body) else {
        return api_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "JSONの形式が正しくありません（certificate は必須です）。",
            "The body is not the expected JSON (certificate is required).",
        );
    };
    let decode = |b: &str| STANDARD.decode(b.trim());
    let mut chain = Vec::new();
    for part in std::iter::once(&req.certificate).chain(req.chain.iter().take(MAX_CHAIN)) {
        match decode(part) {
            Ok(der) => chain.push(der),
            Err(_) => {
                return api_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "証明書がBase64ではありません。",
                    "A certificate is not base64.",
                );
            }
        }
    }
    let presence = match (&req.nonce, &req.signature) {
        (Some(nonce), Some(sig)) => match decode(sig) {
            Ok(signature) if nonce.len() <= 128 => Some(Presence {
                nonce: nonce.clone(),
                signature,
            }),
            _ => {
                return api_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "署名がBase64ではないか、nonce が長すぎます。",
                    "The signature is not base64, or the nonce is too long.",
                );
            }
        },
        (None, None) => None,
        _ => {
            return api_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "nonce と signature は両方そろえて送ってください。",
                "Send nonce and signature together.",
            );
        }
    };
    let revocation = match revocation(&s).await {
        Ok(r) => r,
        Err(e) => return unavailable(&e),
    };
    let result = match s
        .provider()
        .check_card(
            &chain,
            presence.as_ref(),
            &revocation,
            &checker(peer, "api"),
        )
        .await
    {
        Ok(r) => r,
        Err(e) => return unavailable(&e),
    };
    match Provider::sign_result(s.keys(), s.issuer(), &result) {
        Ok(signed) => no_store(
            axum::Json(json!({
                "result": result.to_json(),
                "signed_result": signed,
                "show": format!("{}/check/r/{signed}", s.issuer()),
            }))
            .into_response(),
        ),
        Err(e) => unavailable(&e),
    }
}

#[derive(Deserialize, Default)]
struct LangQuery {
    lang: Option<String>,
}

struct ResultView {
    valid: bool,
    code: &'static str,
    message: String,
    role: String,
    card_present: bool,
    photo: Option<String>,
    rows: Vec<(String, String)>,
    checked_at: String,
}

#[derive(Template)]
#[template(path = "portal/check.html")]
struct CheckPage {
    lang: Lang,
    result: Option<ResultView>,
}

fn render(lang: Lang, result: Option<ResultView>) -> Response {
    match (CheckPage { lang, result }).render() {
        Ok(h) => no_store((StatusCode::OK, Html(h)).into_response()),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, format!("template: {e}")).into_response(),
    }
}

/// The page's view of a result's JSON (a [`CheckResult::to_json`] or a signed result's payload).
fn view_of(lang: Lang, r: &Value) -> ResultView {
    let outcome = r["result"]
        .as_str()
        .and_then(Outcome::parse)
        .unwrap_or(Outcome::Forged);
    let mut rows = Vec::new();
    let mut photo = None;
    for part in ["basic", "profile"] {
        if let Some(items) = r[part].as_object() {
            for item in Item::ALL {
                let Some(v) = items.get(item.key()).and_then(Value::as_str) else {
                    continue;
                };
                match item {
                    Item::Photo if v.starts_with("data:image/") => photo = Some(v.to_owned()),
                    Item::Photo => {}
                    Item::Age => rows.push((
                        item.label().get(lang).to_owned(),
                        lang.pick(&format!("{v}歳"), &format!("{v} years"))
                            .to_owned(),
                    )),
                    _ => rows.push((item.label().get(lang).to_owned(), v.to_owned())),
                }
            }
        }
    }
    let role = match (r["hc_role_ja"].as_str(), r["hc_role"].as_str(), lang) {
        (Some(ja), Some(en), Lang::Ja) => format!("{ja}（{en}）"),
        (_, Some(en), _) => en.to_owned(),
        _ => String::new(),
    };
    let checked = r["iat"].as_i64().unwrap_or_default();
    ResultView {
        valid: outcome == Outcome::Valid,
        code: outcome.code(),
        message: outcome.text().get(lang).to_owned(),
        role,
        card_present: r["card_present"] == true,
        photo,
        rows,
        checked_at: hpki_clock::jst::rfc3339_unix(checked),
    }
}

async fn check_home(Query(q): Query<LangQuery>) -> Response {
    let lang = q.lang.as_deref().and_then(Lang::parse).unwrap_or_default();
    render(lang, None)
}

async fn check_qr(
    State(s): State<Arc<OidcState>>,
    Path(token): Path<String>,
    Query(q): Query<LangQuery>,
    peer: Option<axum::Extension<ConnectInfo<std::net::SocketAddr>>>,
) -> Response {
    let lang = q.lang.as_deref().and_then(Lang::parse).unwrap_or_default();
    if token.len() > 4096 {
        return render(lang, Some(view_of(lang, &json!({"result": "forged"}))));
    }
    let result: CheckResult = match s
        .provider()
        .check_qr(s.keys(), &token, &checker(peer, "qr"))
        .await
    {
        Ok(r) => r,
        Err(e) => return unavailable(&e),
    };
    render(lang, Some(view_of(lang, &result.to_json())))
}

async fn check_signed(
    State(s): State<Arc<OidcState>>,
    Path(signed): Path<String>,
    Query(q): Query<LangQuery>,
) -> Response {
    let lang = q.lang.as_deref().and_then(Lang::parse).unwrap_or_default();
    let payload = (signed.len() <= 64 * 1024)
        .then(|| Provider::signed_result(s.keys(), &signed))
        .flatten()
        .unwrap_or_else(|| json!({"result": "forged"}));
    render(lang, Some(view_of(lang, &payload)))
}
