//! An example relying party (`/demo-rp/`, only in `hpki demo`): the seed's hospital portal
//! with an "HPKIログイン" button beside the password form, so that a person can watch the whole
//! flow in a browser — the card's certificate asked for, the consent screen, and back to
//! "ようこそ 日医太郎 先生".
//!
//! It is a confidential client of the provider like any other (`demo-rp`, registered by
//! `hpki demo`): authorization code with PKCE, state and nonce kept in its own cookie. One
//! shortcut: being in the same process, it redeems the code and fetches UserInfo by calling the
//! provider's token and UserInfo code directly rather than over HTTPS; the ID token is still
//! checked (signature by the JWKS key, `iss`, `aud`, `nonce`).
//!
//! | route | what |
//! |---|---|
//! | `GET /demo-rp/` | the portal's sign-in page |
//! | `GET /demo-rp/login` | to the provider's authorization endpoint |
//! | `GET /demo-rp/callback` | the code redeemed; the doctor welcomed by name |

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use hpki_login::pkce;
use hpki_provider::oidc::TokenRequest;
use hpki_provider::secret::random_secret;
use serde::Deserialize;

use crate::oidc::OidcState;

/// The demo relying party's registration.
#[derive(Clone, Debug)]
pub struct DemoRp {
    /// Its client ID.
    pub client_id: String,
    /// Its client secret.
    pub client_secret: String,
}

struct RpState {
    oidc: Arc<OidcState>,
    rp: DemoRp,
}

const COOKIE: &str = "demo_rp";

/// The routes.
pub fn router(oidc: Arc<OidcState>, rp: DemoRp) -> Router {
    Router::new()
        .route("/demo-rp/", get(home))
        .route("/demo-rp/login", get(login))
        .route("/demo-rp/callback", get(callback))
        .with_state(Arc::new(RpState { oidc, rp }))
}

#[derive(Template)]
#[template(path = "login/demo_rp.html")]
struct Page {
    welcome: Option<String>,
    facts: Vec<(String, String)>,
    error: String,
}

fn page(status: StatusCode, page: Page) -> Response {
    match page.render() {
        Ok(h) => {
            let mut r = (status, Html(h)).into_response();
            r.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            r
        }
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, format!("template: {e}")).into_response(),
    }
}

fn failed(why: impl Into<String>) -> Response {
    page(
        StatusCode::FORBIDDEN,
        Page {
            welcome: None,
            facts: vec![],
            error: why.into(),
        },
    )
}

async fn home() -> Response {
    page(
        StatusCode::OK,
        Page {
            welcome: None,
            facts: vec![],
            error: String::new(),
        },
    )
}

fn redirect_uri(s: &RpState) -> String {
    format!("{}/demo-rp/callback", s.oidc.issuer())
}

async fn login(State(s): State<Arc<RpState>>) -> Response {
    let (Ok(state), Ok(nonce), Ok(verifier)) = (random_secret(), random_secret(), random_secret())
    else {
        return failed("乱数を得られません");
    };
    let mut q = form_urlencoded::Serializer::new(String::new());
    q.append_pair("response_type", "code")
        .append_pair("client_id", &s.rp.client_id)
        .append_pair("redirect_uri", &redirect_uri(&s))
        .append_pair("scope", "openid profile hpki")
        .append_pair("state", &state)
        .append_pair("nonce", &nonce)
        .append_pair("code_challenge", &pkce::s256(&verifier))
        .append_pair("code_challenge_method", pkce::S256);
    let mut r = Redirect::to(&format!(
        "{}/oidc/authorize?{}",
        s.oidc.issuer(),
        q.finish()
    ))
    .into_response();
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{COOKIE}={state}.{nonce}.{verifier}; Path=/demo-rp/; Secure; HttpOnly; SameSite=Lax"
    )) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

#[derive(Deserialize)]
struct Callback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

async fn callback(
    State(s): State<Arc<RpState>>,
    headers: HeaderMap,
    Query(q): Query<Callback>,
) -> Response {
    if let Some(e) = q.error {
        return failed(format!("ログインできませんでした（{e}）"));
    }
    let kept = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v.to_owned())
        .unwrap_or_default();
    let mut parts = kept.split('.');
    let (Some(state), Some(nonce), Some(verifier)) = (parts.next(), parts.next(), parts.next())
    else {
        return failed("ログインの途中の情報がありません。最初からやり直してください。");
    };
    if q.state.as_deref() != Some(state) {
        return failed("state が一致しません。最初からやり直してください。");
    }
    let request = TokenRequest {
        grant_type: "authorization_code".into(),
        code: q.code.unwrap_or_default(),
        redirect_uri: redirect_uri(&s),
        code_verifier: Some(verifier.to_owned()),
        client_id: s.rp.client_id.clone(),
        client_secret: Some(s.rp.client_secret.clone()),
    };
    let provider = s.oidc.provider();
    let tokens = match provider
        .token(s.oidc.keys(), s.oidc.issuer(), &request)
        .await
    {
        Ok(t) => t,
        Err(e) => return failed(format!("トークンを受け取れませんでした（{e}）")),
    };
    let Some(claims) = s.oidc.keys().verify(&tokens.id_token) else {
        return failed("ID トークンの署名を検証できません");
    };
    if claims["iss"] != s.oidc.issuer()
        || claims["aud"] != s.rp.client_id.as_str()
        || claims["nonce"] != nonce
    {
        return failed("ID トークンの iss / aud / nonce が一致しません");
    }
    let info = match provider.userinfo(s.oidc.keys(), &tokens.access_token).await {
        Ok(i) => i,
        Err(e) => return failed(format!("UserInfo を受け取れませんでした（{e}）")),
    };
    let text = |v: &serde_json::Value| v.as_str().unwrap_or("").to_owned();
    let welcome = format!("ようこそ {} 先生", text(&info["name"]).replace('　', ""));
    let facts = vec![
        ("氏名（カナ）".into(), text(&info["name#ja-Kana-JP"])),
        ("氏名（ローマ字）".into(), text(&info["name#en"])),
        (
            "資格".into(),
            format!(
                "{}（{}）",
                text(&info["hc_role_ja"]),
                text(&info["hc_role"])
            ),
        ),
        ("HPKI 利用者ID".into(), text(&info["hpki_subscriber_id"])),
        ("認証方式 acr".into(), text(&claims["acr"])),
        ("amr".into(), claims["amr"].to_string()),
    ];
    let mut r = page(
        StatusCode::OK,
        Page {
            welcome: Some(welcome),
            facts,
            error: String::new(),
        },
    );
    r.headers_mut().append(
        header::SET_COOKIE,
        HeaderValue::from_static("demo_rp=; Path=/demo-rp/; Secure; HttpOnly; Max-Age=0"),
    );
    r
}
