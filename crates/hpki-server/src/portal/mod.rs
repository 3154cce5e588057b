//! The doctor's portal (医師資格証 会員ポータル) on the TLS listener: card login only (the
//! single sign-on session of HPKI login, or the card now), Japanese first (`?lang=en`), made for
//! a phone as much as a desk.
//!
//! | route | what |
//! |---|---|
//! | `GET /portal/` | top: the doctor, the cards with both certificates (validity, status), 紛失届, notices |
//! | `GET/POST /portal/disclosure` | 情報開示・非開示: 会員向け / 一般向け per item, すべて開示 / すべて非開示 |
//! | `GET/POST /portal/profile` | the issuance items (read-only) and the profile the doctor edits |
//! | `GET /portal/preview?as=member\|public` | what members or the public see |
//! | `POST /portal/lost` | report a card lost: revoked at once |
//! | `GET/POST /portal/change` | a change of address (記載事項変更): a draft application at the doctor's office |
//! | `GET /portal/audit` | who did what about the doctor |
//! | `GET /portal/credits`, `POST /portal/credits/report` | 生涯教育: units and curriculum codes this fiscal year, progress to the 認定証, the history of talks attended; 自己申告 of other credits, for the office to approve; `GET /portal/credits/certificate.pdf?year=` the year's 学習単位取得証 |
//! | `GET /portal/qr` | a QR code for the qualification check, renewed before it expires |
//! | `GET /portal/logout` | ends the session |
//! | `GET /doctors/{subscriber_id}`, `GET /api/v1/doctors/{subscriber_id}` | a doctor as the requester may see them: the doctor, a member (a session; audited), or the public; rate-limited per client |
//!
//! One file per page (`top`, `disclosure`, `profile`, `doctors`, `change`, `audit`, `credits`, `qr`); this
//! one holds the router, the signed-in doctor and the form extractors, and what the pages share.
//!
//! What anyone sees goes through [`hpki_disclosure::may_see`] in the engine
//! ([`hpki_provider::Provider::view_of`]); the pages only render it.

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::{Form, FromRequest, FromRequestParts, Path, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use hpki_disclosure::record::Shown;
use hpki_disclosure::{Disclosure, Item, Settings, Source, Viewer};
use hpki_provider::LoginError;
use hpki_provider::oidc::Session;
use hpki_provider::portal::Doctor;
use hpki_provider::secret::sha256_hex;
use hpki_store::CertStatus;
use hpki_text::{Lang, Localized, Text};
use serde::Deserialize;
use serde_json::json;

use crate::oidc::{OidcState, cookie_of, revocation, with_cookie};
use crate::rate_limit::{self, RateLimiter};
use crate::tls::ClientCertificate;

mod audit;
mod change;
mod credits;
mod disclosure;
mod doctors;
mod profile;
mod qr;
mod top;

use audit::audit;
use change::{change, request_change};
use credits::{certificate, credits, report_credit};
use disclosure::{disclosure, save_disclosure};
use doctors::{doctor_api, doctor_page, preview};
use profile::{profile, save_profile};
use qr::qr;
use top::{report_lost, top};

/// At most this many octets in a portal form.
const MAX_FORM_OCTETS: usize = 64 * 1024;

/// The routes.
pub fn router(state: Arc<OidcState>, burst: u32, per_second: u32) -> Router {
    // Anyone may ask about a doctor: per client address, as the qualification check.
    let doctors = Router::new()
        .route("/doctors/{subscriber_id}", get(doctor_page))
        .route("/api/v1/doctors/{subscriber_id}", get(doctor_api))
        .layer(axum::middleware::from_fn_with_state(
            RateLimiter::new(burst, per_second),
            rate_limit::limit,
        ))
        .with_state(state.clone());
    Router::new()
        .route("/portal/", get(top))
        .route("/portal", get(|| async { Redirect::to("/portal/") }))
        .route("/portal/disclosure", get(disclosure).post(save_disclosure))
        .route("/portal/profile", get(profile).post(save_profile))
        .route("/portal/preview", get(preview))
        .route("/portal/lost", post(report_lost))
        .route("/portal/change", get(change).post(request_change))
        .route("/portal/audit", get(audit))
        .route("/portal/credits", get(credits))
        .route("/portal/credits/report", post(report_credit))
        .route("/portal/credits/certificate.pdf", get(certificate))
        .route("/portal/qr", get(qr))
        .route("/portal/logout", get(logout))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_FORM_OCTETS))
        .with_state(state)
        .merge(doctors)
}

#[derive(Deserialize, Default)]
struct LangQuery {
    lang: Option<String>,
    #[serde(rename = "as")]
    viewer: Option<String>,
}

impl LangQuery {
    fn lang(&self) -> Lang {
        self.lang
            .as_deref()
            .and_then(Lang::parse)
            .unwrap_or_default()
    }
}

/// A signed-in doctor: the session, its cookie, and whether the cookie is new.
struct Portal {
    session: Session,
    cookie: String,
    new_cookie: bool,
}

impl Portal {
    fn csrf(&self) -> String {
        sha256_hex(&format!("portal:{}", self.cookie))
    }

    fn finish(&self, r: Response) -> Response {
        let mut r = with_cookie(r, self.new_cookie.then_some(self.cookie.as_str()));
        r.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        r
    }
}

/// The session of the request's cookie, else a card login now (opening a session).
async fn signed_in(
    s: &OidcState,
    headers: &HeaderMap,
    client: Option<&ClientCertificate>,
) -> Result<Portal, LoginError> {
    let revocation = revocation(s).await?;
    if let Some(cookie) = cookie_of(headers)
        && let Some(session) = s.provider().session(&cookie, &revocation).await?
    {
        return Ok(Portal {
            session,
            cookie,
            new_cookie: false,
        });
    }
    let chain = client.and_then(|c| c.0.clone()).ok_or(LoginError::Refused(
        hpki_login::card::Refusal::NoCertificate,
    ))?;
    let signed_in = s.provider().authenticate(&chain, &revocation).await?;
    let (cookie, session) = s.provider().new_session(&signed_in)?;
    s.provider()
        .open(&signed_in, &chain[0], &session, None)
        .await?;
    Ok(Portal {
        session,
        cookie,
        new_cookie: true,
    })
}

fn html(status: StatusCode, rendered: Result<String, askama::Error>) -> Response {
    match rendered {
        Ok(h) => (status, Html(h)).into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, format!("template: {e}")).into_response(),
    }
}

#[derive(Template)]
#[template(path = "portal/message.html")]
struct MessagePage {
    lang: Lang,
    title: String,
    signed_in: bool,
    failed: bool,
    text: String,
}

fn message(lang: Lang, status: StatusCode, title: Text, text: Text, signed_in: bool) -> Response {
    let mut r = html(
        status,
        MessagePage {
            lang,
            title: title.get(lang).to_owned(),
            signed_in,
            failed: !status.is_success(),
            text: text.get(lang).to_owned(),
        }
        .render(),
    );
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

fn refused(lang: Lang, e: &LoginError) -> Response {
    let status = match e {
        LoginError::Store(_) | LoginError::Ca(_) | LoginError::Unavailable(_) => {
            StatusCode::SERVICE_UNAVAILABLE
        }
        LoginError::BadInput(_) => StatusCode::BAD_REQUEST,
        _ => StatusCode::FORBIDDEN,
    };
    message(
        lang,
        status,
        Text::new("ログインできませんでした", "Not signed in"),
        e.text(),
        false,
    )
}

/// A request of a signed-in doctor: the page's language and the session (the request is
/// refused with the login page's reason otherwise).
struct Signed {
    lang: Lang,
    p: Portal,
}

impl FromRequestParts<Arc<OidcState>> for Signed {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, s: &Arc<OidcState>) -> Result<Signed, Response> {
        let lang = Query::<LangQuery>::try_from_uri(&parts.uri)
            .map(|q| q.lang())
            .unwrap_or_default();
        let client = parts.extensions.get::<ClientCertificate>().cloned();
        match signed_in(s, &parts.headers, client.as_ref()).await {
            Ok(p) => Ok(Signed { lang, p }),
            Err(e) => Err(refused(lang, &e)),
        }
    }
}

/// A form a signed-in doctor posted, its token checked against the session (CSRF).
struct SignedForm {
    lang: Lang,
    p: Portal,
    form: Vec<(String, String)>,
}

impl FromRequest<Arc<OidcState>> for SignedForm {
    type Rejection = Response;

    async fn from_request(req: Request, s: &Arc<OidcState>) -> Result<SignedForm, Response> {
        let (mut parts, body) = req.into_parts();
        let Signed { lang, p } = Signed::from_request_parts(&mut parts, s).await?;
        let Form(form) =
            Form::<Vec<(String, String)>>::from_request(Request::from_parts(parts, body), s)
                .await
                .map_err(IntoResponse::into_response)?;
        if !csrf_ok(&p, &form) {
            return Err(csrf_refused(lang));
        }
        Ok(SignedForm { lang, p, form })
    }
}

async fn doctor_or_fail(s: &OidcState, p: &Portal, lang: Lang) -> Result<Doctor, Response> {
    match s.provider().doctor(&p.session.subscriber_id).await {
        Ok(Some(d)) => Ok(d),
        Ok(None) => Err(refused(
            lang,
            &LoginError::NotRegistered(p.session.subscriber_id.clone()),
        )),
        Err(e) => Err(refused(lang, &e)),
    }
}

fn unix(lang: Lang, t: i64) -> String {
    let d = hpki_clock::jst::datetime_unix(t);
    match lang {
        Lang::Ja => format!(
            "{}年{}月{}日 {:02}:{:02}",
            d.year(),
            d.month() as u8,
            d.day(),
            d.hour(),
            d.minute()
        ),
        Lang::En => format!(
            "{}-{:02}-{:02} {:02}:{:02} JST",
            d.year(),
            d.month() as u8,
            d.day(),
            d.hour(),
            d.minute()
        ),
    }
}

fn role_of(session: &Session, lang: Lang) -> String {
    match (&session.identity.hc_role_ja, lang) {
        (Some(ja), Lang::Ja) => format!("{ja}（{}）", session.identity.hc_role),
        _ => session.identity.hc_role.clone(),
    }
}

/// A value as a page shows it: 年齢 with its unit.
fn shown_value(item: Item, value: &str, lang: Lang) -> String {
    match (item, lang) {
        (Item::Age, Lang::Ja) => format!("{value}歳"),
        (Item::Age, Lang::En) => format!("{value} years"),
        _ => value.to_owned(),
    }
}

fn csrf_ok(p: &Portal, form: &[(String, String)]) -> bool {
    form.iter().any(|(k, v)| {
        k == "csrf"
            && aws_lc_rs::constant_time::verify_slices_are_equal(v.as_bytes(), p.csrf().as_bytes())
                .is_ok()
    })
}

fn csrf_refused(lang: Lang) -> Response {
    message(
        lang,
        StatusCode::FORBIDDEN,
        Text::new("やり直してください", "Please try again"),
        Text::new(
            "フォームの有効期限が切れたか、別の画面から送信されました。もう一度開いてやり直してください。",
            "The form expired or was sent from another page; open it again and retry.",
        ),
        true,
    )
}

fn field<'a>(form: &'a [(String, String)], name: &str) -> &'a str {
    form.iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.as_str())
}

async fn logout(State(s): State<Arc<OidcState>>, headers: HeaderMap) -> Response {
    if let Some(cookie) = cookie_of(&headers) {
        let _ = s.provider().end_session(&cookie).await;
    }
    let mut r = message(
        Lang::Ja,
        StatusCode::OK,
        Text::new("ログアウトしました", "Signed out"),
        Text::new(
            "ログアウトしました。共用のパソコンではブラウザーを閉じてください。",
            "Signed out. On a shared computer, close the browser.",
        ),
        false,
    );
    if let Ok(v) =
        HeaderValue::from_str("hpki_sso=; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=0")
    {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}
