//! The OpenID Connect provider of HPKI login (医療認証基盤), served on the TLS listener so that
//! the authorization endpoint can ask for the card.
//!
//! | route | what |
//! |---|---|
//! | `GET /.well-known/openid-configuration` | discovery (OpenID Connect Discovery 1.0 §3) |
//! | `GET /oidc/jwks` | the ID-token keys (RFC 7517) |
//! | `GET/POST /oidc/authorize` | authorization code flow: card login (or the single sign-on session), consent, code |
//! | `POST /oidc/consent` | the consent screen's answer |
//! | `POST /oidc/token` | code → access token and ID token (`client_secret_basic`, `client_secret_post`, or `none` with PKCE) |
//! | `GET/POST /oidc/userinfo` | the claims the token's scopes allow (bearer token) |
//! | `GET /oidc/logout` | RP-initiated logout: ends the session, back to a registered `post_logout_redirect_uri` |
//!
//! Faults before the client and redirect URI are known good get a page, never a redirect
//! ([`hpki_login::authorize`]); every later one goes back to the relying party as
//! `error` / `error_description` / `state`.

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use base64::Engine as _;
use hpki_ca::CaName;
use hpki_login::authorize::{self, AuthorizationRequest, AuthorizeError, SCOPES_SUPPORTED};
use hpki_login::claims::{ACR_CARD, CLAIMS_SUPPORTED};
use hpki_login::oauth_error::{ErrorCode, OAuthError};
use hpki_login::pkce;
use hpki_provider::keys::Keys;
use hpki_provider::oidc::{Session, TokenRequest};
use hpki_provider::secret::sha256_hex;
use hpki_provider::{LoginError, Provider};
use hpki_text::{Lang, Localized, Text};
use hpki_verify::RevocationData;
use serde_json::json;

use crate::AppState;
use crate::tls::ClientCertificate;

/// The single sign-on cookie.
const COOKIE: &str = "hpki_sso";
/// At most this many octets in a token or userinfo request body.
const MAX_FORM_OCTETS: usize = 16 * 1024;

/// What the provider's handlers share.
pub struct OidcState {
    app: Arc<AppState>,
    provider: Provider,
    keys: Keys,
    issuer: String,
}

impl OidcState {
    /// The provider of `app`'s CA, known to relying parties as `issuer` (the HTTPS base URL,
    /// no trailing slash); loads or creates its keys.
    pub async fn new(app: Arc<AppState>, issuer: String) -> Result<Arc<OidcState>, LoginError> {
        let provider = Provider::new(app.engine().clone());
        let keys = provider.keys().await?;
        Ok(Arc::new(OidcState {
            app,
            provider,
            keys,
            issuer: issuer.trim_end_matches('/').to_owned(),
        }))
    }
}

impl OidcState {
    /// The issuer identifier.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The signing keys.
    pub fn keys(&self) -> &Keys {
        &self.keys
    }

    /// The provider engine.
    pub fn provider(&self) -> &Provider {
        &self.provider
    }

    /// The server's state.
    pub fn app(&self) -> &Arc<AppState> {
        &self.app
    }
}

/// The routes.
pub fn router(state: Arc<OidcState>) -> Router {
    Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/oidc/jwks", get(jwks))
        .route("/oidc/authorize", get(authorize_get).post(authorize_post))
        .route("/oidc/consent", axum::routing::post(consent))
        .route("/oidc/token", axum::routing::post(token))
        .route("/oidc/userinfo", get(userinfo).post(userinfo))
        .route("/oidc/logout", get(logout))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_FORM_OCTETS))
        .with_state(state)
}

fn no_store(mut r: Response) -> Response {
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

async fn discovery(State(s): State<Arc<OidcState>>) -> Response {
    let i = &s.issuer;
    axum::Json(json!({
        "issuer": i,
        "authorization_endpoint": format!("{i}/oidc/authorize"),
        "token_endpoint": format!("{i}/oidc/token"),
        "userinfo_endpoint": format!("{i}/oidc/userinfo"),
        "jwks_uri": format!("{i}/oidc/jwks"),
        "end_session_endpoint": format!("{i}/oidc/logout"),
        "scopes_supported": SCOPES_SUPPORTED,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code"],
        "subject_types_supported": ["pairwise", "public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "code_challenge_methods_supported": [pkce::S256],
        "claims_supported": CLAIMS_SUPPORTED,
        "acr_values_supported": [ACR_CARD],
        "prompt_values_supported": ["none", "login", "consent"],
        "ui_locales_supported": ["ja", "en"],
        "claims_locales_supported": ["ja", "ja-Kana-JP", "en"],
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
        "claims_parameter_supported": false,
    }))
    .into_response()
}

async fn jwks(State(s): State<Arc<OidcState>>) -> Response {
    axum::Json(s.keys.jwks()).into_response()
}

async fn authorize_get(
    State(s): State<Arc<OidcState>>,
    headers: HeaderMap,
    Query(params): Query<Vec<(String, String)>>,
    client: Option<axum::Extension<ClientCertificate>>,
) -> Response {
    authorize(&s, &headers, params, client.map(|c| c.0)).await
}

async fn authorize_post(
    State(s): State<Arc<OidcState>>,
    headers: HeaderMap,
    client: Option<axum::Extension<ClientCertificate>>,
    Form(params): Form<Vec<(String, String)>>,
) -> Response {
    authorize(&s, &headers, params, client.map(|c| c.0)).await
}

/// The redirect of an error to the relying party (RFC 6749 §4.1.2.1).
fn error_redirect(redirect_uri: &str, state: Option<&str>, error: &OAuthError) -> Response {
    let mut q = form_urlencoded::Serializer::new(String::new());
    q.append_pair("error", error.code.as_str());
    q.append_pair("error_description", &error.description);
    if let Some(st) = state {
        q.append_pair("state", st);
    }
    redirect_with(redirect_uri, &q.finish())
}

fn redirect_with(uri: &str, query: &str) -> Response {
    let sep = if uri.contains('?') { '&' } else { '?' };
    no_store(Redirect::to(&format!("{uri}{sep}{query}")).into_response())
}

async fn parse_request(
    s: &OidcState,
    params: &[(String, String)],
) -> Result<AuthorizationRequest, Response> {
    let client_id = params
        .iter()
        .find(|(k, _)| k == "client_id")
        .map(|(_, v)| v.as_str())
        .unwrap_or_default();
    let client = if client_id.is_empty() || client_id.len() > authorize::MAX_VALUE_OCTETS {
        None
    } else {
        match s.provider.client(client_id).await {
            Ok(c) => c,
            Err(e) => {
                return Err(message_page(
                    Lang::Ja,
                    StatusCode::SERVICE_UNAVAILABLE,
                    &e.text(),
                ));
            }
        }
    };
    authorize::parse(params, |_| client).map_err(|e| match e {
        AuthorizeError::NoRedirect(text) => message_page(Lang::Ja, StatusCode::BAD_REQUEST, &text),
        AuthorizeError::Redirect {
            redirect_uri,
            state,
            error,
        } => error_redirect(&redirect_uri, state.as_deref(), &error),
    })
}

pub(crate) fn cookie_of(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v.to_owned())
}

pub(crate) async fn revocation(s: &OidcState) -> Result<RevocationData, LoginError> {
    let crl = s
        .app
        .current_crl(CaName::Auth)
        .await
        .map_err(|e| LoginError::Unavailable(e.to_string()))?;
    Ok(RevocationData {
        crls: vec![crl.to_vec()],
        ..Default::default()
    })
}

async fn authorize(
    s: &OidcState,
    headers: &HeaderMap,
    params: Vec<(String, String)>,
    client_cert: Option<ClientCertificate>,
) -> Response {
    let request = match parse_request(s, &params).await {
        Ok(r) => r,
        Err(response) => return response,
    };
    let lang = request.ui_locale.unwrap_or_default();
    let back = |code: ErrorCode, why: &str| {
        error_redirect(
            &request.redirect_uri,
            request.state.as_deref(),
            &OAuthError::new(code, why),
        )
    };
    let revocation = match revocation(s).await {
        Ok(r) => r,
        Err(e) => return back(ErrorCode::TemporarilyUnavailable, &e.to_string()),
    };
    let now = s.app.engine().now_unix();
    let mut session = None;
    if let Some(cookie) = cookie_of(headers)
        && !request.prompt.login
    {
        match s.provider.session(&cookie, &revocation).await {
            Ok(found) => session = found,
            Err(e) => return back(ErrorCode::ServerError, &e.to_string()),
        }
    }
    // max_age: a session older than asked needs the card again (OIDC Core §3.1.2.1).
    // max_age=0 is prompt=login (OIDC Core §3.1.2.1 and its errata).
    if let (Some(max), Some(sess)) = (request.max_age, &session)
        && (max == 0 || now.saturating_sub(sess.auth_time) > max)
    {
        session = None;
    }
    // id_token_hint naming someone else: not this session.
    if let (Some(hint), Some(sess)) = (&request.id_token_hint, &session) {
        let expected = Provider::subject_for(&s.keys, &request.client, &sess.subscriber_id);
        if Provider::hinted_subject(&s.keys, hint, &request.client).as_deref()
            != Some(expected.as_str())
        {
            session = None;
        }
    }
    // A card login now: the session is written below, with the code when no page is needed.
    let mut opening = None;
    let session = match session {
        Some(sess) => sess,
        None if request.prompt.none => {
            return back(ErrorCode::LoginRequired, "no card login session");
        }
        None => match card_login(s, client_cert.as_ref(), &revocation).await {
            Ok((signed_in, certificate, cookie, sess)) => {
                opening = Some((signed_in, certificate, cookie));
                sess
            }
            Err(e) => return refusal_page(lang, &e),
        },
    };
    let consented = match s.provider.consented_scopes(&session, &request.client).await {
        Ok(c) => c,
        Err(e) => return back(ErrorCode::ServerError, &e.to_string()),
    };
    let covered = consented
        .as_ref()
        .is_some_and(|c| request.scopes.iter().all(|sc| c.contains(sc)));
    let set_cookie = opening.as_ref().map(|(_, _, cookie)| cookie.clone());
    let response = if covered && !request.prompt.consent {
        let granted: Vec<String> = request.scopes.clone();
        match &opening {
            // One commit: the session, its audit record and the code.
            Some((signed_in, certificate, _)) => match s
                .provider
                .open(signed_in, certificate, &session, Some((&request, &granted)))
                .await
            {
                Ok(Some(code)) => code_redirect(&request, &code),
                Ok(None) => back(ErrorCode::ServerError, "no code"),
                Err(e) => back(ErrorCode::ServerError, &e.to_string()),
            },
            None => issue_code(s, &request, &session, &granted).await,
        }
    } else if request.prompt.none {
        back(ErrorCode::ConsentRequired, "the doctor has not consented")
    } else {
        if let Some((signed_in, certificate, _)) = &opening
            && let Err(e) = s
                .provider
                .open(signed_in, certificate, &session, None)
                .await
        {
            return back(ErrorCode::ServerError, &e.to_string());
        }
        let cookie = set_cookie.clone().or_else(|| cookie_of(headers));
        consent_page(lang, &request, &session, &params, cookie.as_deref())
    };
    with_cookie(response, set_cookie.as_deref())
}

pub(crate) fn with_cookie(mut r: Response, cookie: Option<&str>) -> Response {
    if let Some(c) = cookie
        && let Ok(v) = HeaderValue::from_str(&format!(
            "{COOKIE}={c}; Path=/; Secure; HttpOnly; SameSite=Lax"
        ))
    {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

/// A card login from the connection's client certificate: who, the certificate, and the
/// session (cookie and record) to open for them, not written yet.
async fn card_login(
    s: &OidcState,
    client_cert: Option<&ClientCertificate>,
    revocation: &RevocationData,
) -> Result<(hpki_provider::SignedIn, Vec<u8>, String, Session), LoginError> {
    let chain = client_cert
        .and_then(|c| c.0.clone())
        .ok_or(LoginError::Refused(
            hpki_login::card::Refusal::NoCertificate,
        ))?;
    let signed_in = s.provider.authenticate(&chain, revocation).await?;
    let (cookie, session) = s.provider.new_session(&signed_in)?;
    Ok((signed_in, chain[0].clone(), cookie, session))
}

fn code_redirect(request: &AuthorizationRequest, code: &str) -> Response {
    let mut q = form_urlencoded::Serializer::new(String::new());
    q.append_pair("code", code);
    if let Some(st) = &request.state {
        q.append_pair("state", st);
    }
    redirect_with(&request.redirect_uri, &q.finish())
}

async fn issue_code(
    s: &OidcState,
    request: &AuthorizationRequest,
    session: &Session,
    granted: &[String],
) -> Response {
    match s.provider.issue_code(request, session, granted).await {
        Ok(code) => code_redirect(request, &code),
        Err(e) => error_redirect(
            &request.redirect_uri,
            request.state.as_deref(),
            &OAuthError::new(ErrorCode::ServerError, e.to_string()),
        ),
    }
}

struct ConsentTexts {
    html_lang: &'static str,
    title: &'static str,
    system: &'static str,
    asks: &'static str,
    license: &'static str,
    approve: &'static str,
    deny: &'static str,
}

const CONSENT_JA: ConsentTexts = ConsentTexts {
    html_lang: "ja",
    title: "情報提供の確認",
    system: "日医 医療認証基盤",
    asks: " が、あなたの次の情報を求めています。",
    license: "医籍登録番号も提供する",
    approve: "同意して続ける",
    deny: "同意しない",
};

const CONSENT_EN: ConsentTexts = ConsentTexts {
    html_lang: "en",
    title: "Share your information?",
    system: "JMA medical authentication platform",
    asks: " asks for the following information about you.",
    license: "Also share my medical licence number",
    approve: "Agree and continue",
    deny: "Do not agree",
};

#[derive(Template)]
#[template(path = "login/consent.html")]
struct ConsentPage {
    t: &'static ConsentTexts,
    who: String,
    client_name: String,
    items: Vec<String>,
    asks_license: bool,
    params: Vec<(String, String)>,
    csrf: String,
}

fn scope_item(scope: &str, lang: Lang) -> Option<&'static str> {
    Some(match (scope, lang) {
        ("openid", Lang::Ja) => "あなたを識別する番号（連携先ごとに異なります）",
        ("openid", Lang::En) => "An identifier for you (different for each relying party)",
        ("profile", Lang::Ja) => "氏名（漢字・カナ・ローマ字）",
        ("profile", Lang::En) => "Your name (kanji, kana, romaji)",
        ("hpki", Lang::Ja) => "資格（医師など）と医師資格証の利用者ID",
        ("hpki", Lang::En) => "Your qualification (e.g. Medical Doctor) and HPKI subscriber ID",
        ("hpki_profile", Lang::Ja) => {
            "会員向けに開示している情報（ポータルの情報開示・非開示の設定のとおり）"
        }
        ("hpki_profile", Lang::En) => {
            "What you disclose to members (as set in the portal's disclosure settings)"
        }
        _ => return None,
    })
}

fn csrf_for(cookie: &str) -> String {
    sha256_hex(&format!("consent:{cookie}"))
}

fn consent_page(
    lang: Lang,
    request: &AuthorizationRequest,
    session: &Session,
    params: &[(String, String)],
    cookie: Option<&str>,
) -> Response {
    let Some(cookie) = cookie else {
        return refusal_page(lang, &LoginError::Unavailable("no session cookie".into()));
    };
    let t = match lang {
        Lang::Ja => &CONSENT_JA,
        Lang::En => &CONSENT_EN,
    };
    let name = &session.identity.kanji;
    let who = Text::new(
        format!("{}{} 先生としてログインしています", name.family, name.given),
        format!(
            "Signed in as Dr. {} {}",
            session.identity.romaji.given, session.identity.romaji.family
        ),
    );
    let page = ConsentPage {
        t,
        who: who.get(lang).to_owned(),
        client_name: request.client.name.clone(),
        items: request
            .scopes
            .iter()
            .filter_map(|sc| scope_item(sc, lang))
            .map(str::to_owned)
            .collect(),
        asks_license: request.scopes.iter().any(|sc| sc == "hpki_license"),
        params: params
            .iter()
            .map(|(k, v)| (format!("q.{k}"), v.clone()))
            .collect(),
        csrf: csrf_for(cookie),
    };
    html(StatusCode::OK, page.render())
}

fn html(status: StatusCode, rendered: Result<String, askama::Error>) -> Response {
    match rendered {
        Ok(h) => {
            let mut r = no_store((status, Html(h)).into_response());
            r.headers_mut()
                .insert("x-frame-options", HeaderValue::from_static("DENY"));
            r
        }
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, format!("template: {e}")).into_response(),
    }
}

async fn consent(
    State(s): State<Arc<OidcState>>,
    headers: HeaderMap,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let params: Vec<(String, String)> = form
        .iter()
        .filter_map(|(k, v)| k.strip_prefix("q.").map(|k| (k.to_owned(), v.clone())))
        .collect();
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let request = match parse_request(&s, &params).await {
        Ok(r) => r,
        Err(response) => return response,
    };
    let lang = request.ui_locale.unwrap_or_default();
    let Some(cookie) = cookie_of(&headers) else {
        return message_page(
            lang,
            StatusCode::FORBIDDEN,
            &Text::new(
                "ログインの情報（Cookie）が届いていません。ブラウザーで Cookie を有効にして、連携先からやり直してください。",
                "The sign-in cookie did not arrive: allow cookies in the browser and start again from the relying party.",
            ),
        );
    };
    let csrf_ok = field("csrf").is_some_and(|c| {
        aws_lc_rs::constant_time::verify_slices_are_equal(
            c.as_bytes(),
            csrf_for(&cookie).as_bytes(),
        )
        .is_ok()
    });
    if !csrf_ok {
        return message_page(
            lang,
            StatusCode::FORBIDDEN,
            &Text::new(
                "この同意画面は無効です。連携先からやり直してください。",
                "This consent form is not valid; start again from the relying party.",
            ),
        );
    }
    let back = |code: ErrorCode, why: &str| {
        error_redirect(
            &request.redirect_uri,
            request.state.as_deref(),
            &OAuthError::new(code, why),
        )
    };
    let revocation = match revocation(&s).await {
        Ok(r) => r,
        Err(e) => return back(ErrorCode::TemporarilyUnavailable, &e.to_string()),
    };
    let session = match s.provider.session(&cookie, &revocation).await {
        Ok(Some(sess)) => sess,
        Ok(None) => return back(ErrorCode::LoginRequired, "the session has ended"),
        Err(e) => return back(ErrorCode::ServerError, &e.to_string()),
    };
    if field("decision") != Some("approve") {
        return back(ErrorCode::AccessDenied, "the doctor did not consent");
    }
    let share_license = field("share_license") == Some("yes");
    let granted: Vec<String> = request
        .scopes
        .iter()
        .filter(|sc| sc.as_str() != "hpki_license" || share_license)
        .cloned()
        .collect();
    if let Err(e) = s
        .provider
        .consent(&session, &request.client, &granted)
        .await
    {
        return back(ErrorCode::ServerError, &e.to_string());
    }
    issue_code(&s, &request, &session, &granted).await
}

fn token_error(e: &OAuthError) -> Response {
    let status = match e.code {
        ErrorCode::InvalidClient => StatusCode::UNAUTHORIZED,
        ErrorCode::ServerError => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::BAD_REQUEST,
    };
    let mut r = no_store((status, axum::Json(e.to_json())).into_response());
    if status == StatusCode::UNAUTHORIZED {
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"hpki\""),
        );
    }
    r
}

/// `client_secret_basic` (RFC 6749 §2.3.1: the ID and secret form-urlencoded, then Basic).
fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, b64) = v.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let raw = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .ok()?;
    let text = String::from_utf8(raw).ok()?;
    let (id, secret) = text.split_once(':')?;
    let decode = |s: &str| {
        form_urlencoded::parse(format!("x={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
    };
    Some((decode(id)?, decode(secret)?))
}

async fn token(
    State(s): State<Arc<OidcState>>,
    headers: HeaderMap,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let mut seen = std::collections::HashSet::new();
    if let Some((k, _)) = form.iter().find(|(k, _)| !seen.insert(k.as_str())) {
        return token_error(&OAuthError::new(
            ErrorCode::InvalidRequest,
            format!("parameter {k} is repeated"),
        ));
    }
    let field = |name: &str| form.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let (client_id, client_secret) = match (basic_credentials(&headers), field("client_id")) {
        (Some((id, secret)), body_id) if body_id.as_ref().is_none_or(|b| *b == id) => {
            (id, Some(secret))
        }
        (Some(_), Some(_)) => {
            return token_error(&OAuthError::new(
                ErrorCode::InvalidRequest,
                "client_id differs from the Basic credentials",
            ));
        }
        (None, Some(id)) => (id, field("client_secret")),
        _ => {
            return token_error(&OAuthError::new(
                ErrorCode::InvalidClient,
                "no client authentication",
            ));
        }
    };
    let request = TokenRequest {
        grant_type: field("grant_type").unwrap_or_default(),
        code: field("code").unwrap_or_default(),
        redirect_uri: field("redirect_uri").unwrap_or_default(),
        code_verifier: field("code_verifier"),
        client_id,
        client_secret,
    };
    match s.provider.token(&s.keys, &s.issuer, &request).await {
        Ok(t) => no_store(axum::Json(t).into_response()),
        Err(e) => token_error(&e),
    }
}

async fn userinfo(
    State(s): State<Arc<OidcState>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    // RFC 6750 §2.1 (header) or §2.2 (form body of a POST).
    let from_header = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim().to_owned());
    let from_body = form_urlencoded::parse(&body)
        .find(|(k, _)| k == "access_token")
        .map(|(_, v)| v.into_owned());
    let Some(token) = from_header.or(from_body) else {
        let mut r = (StatusCode::UNAUTHORIZED, "").into_response();
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"hpki\""),
        );
        return r;
    };
    match s.provider.userinfo(&s.keys, &token).await {
        Ok(claims) => no_store(axum::Json(claims).into_response()),
        Err(e) => {
            let mut r = (StatusCode::UNAUTHORIZED, axum::Json(e.to_json())).into_response();
            if let Ok(v) = HeaderValue::from_str(&format!(
                "Bearer realm=\"hpki\", error=\"{}\"",
                e.code.as_str()
            )) {
                r.headers_mut().insert(header::WWW_AUTHENTICATE, v);
            }
            r
        }
    }
}

/// RP-Initiated Logout 1.0 §2–§3: the session ends; the browser goes back to the client's
/// registered `post_logout_redirect_uri` (with `state`) when the `id_token_hint` names the
/// client, else to a page that says it is done.
async fn logout(
    State(s): State<Arc<OidcState>>,
    headers: HeaderMap,
    Query(q): Query<Vec<(String, String)>>,
) -> Response {
    let get = |name: &str| q.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    if let Some(cookie) = cookie_of(&headers)
        && let Err(e) = s.provider.end_session(&cookie).await
    {
        return message_page(Lang::Ja, StatusCode::SERVICE_UNAVAILABLE, &e.text());
    }
    let clear = HeaderValue::from_static("hpki_sso=; Path=/; Secure; HttpOnly; Max-Age=0");
    let mut target = None;
    if let Some(uri) = get("post_logout_redirect_uri") {
        let client_id = get("client_id");
        let client = match client_id {
            Some(id) => s.provider.client(&id).await.ok().flatten(),
            None => None,
        };
        let hinted = match (&client, get("id_token_hint")) {
            (Some(c), Some(h)) => Provider::hinted_subject(&s.keys, &h, c).is_some(),
            (Some(_), None) => true,
            _ => false,
        };
        if client.is_some_and(|c| hinted && c.post_logout_redirect_uris.contains(&uri)) {
            let mut query = form_urlencoded::Serializer::new(String::new());
            if let Some(st) = get("state") {
                query.append_pair("state", &st);
            }
            target = Some((uri, query.finish()));
        }
    }
    let mut r = match target {
        Some((uri, query)) if query.is_empty() => no_store(Redirect::to(&uri).into_response()),
        Some((uri, query)) => redirect_with(&uri, &query),
        None => message_page(
            Lang::Ja,
            StatusCode::OK,
            &Text::new("ログアウトしました。", "You are signed out."),
        ),
    };
    r.headers_mut().append(header::SET_COOKIE, clear);
    r
}

#[derive(Template)]
#[template(path = "login/message.html")]
struct MessagePage {
    html_lang: &'static str,
    title: &'static str,
    message: String,
}

fn message_page(lang: Lang, status: StatusCode, text: &Text) -> Response {
    let page = MessagePage {
        html_lang: lang.code(),
        title: match lang {
            Lang::Ja => "日医 医療認証基盤",
            Lang::En => "JMA medical authentication platform",
        },
        message: text.get(lang).to_owned(),
    };
    html(status, page.render())
}

fn refusal_page(lang: Lang, e: &LoginError) -> Response {
    message_page(lang, StatusCode::FORBIDDEN, &e.text())
}
