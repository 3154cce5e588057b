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
//! | `GET /portal/qr` | a QR code for the qualification check, renewed before it expires |
//! | `GET /portal/logout` | ends the session |
//! | `GET /doctors/{subscriber_id}`, `GET /api/v1/doctors/{subscriber_id}` | a doctor as the requester may see them: the doctor, a member (a session; audited), or the public; rate-limited per client |
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

struct CardRow {
    card_id: String,
    status: String,
    active: bool,
    expires: String,
    certificates: Vec<(String, String, String, String)>,
}

#[derive(Template)]
#[template(path = "portal/top.html")]
struct TopPage {
    lang: Lang,
    title: String,
    signed_in: bool,
    name: String,
    role: String,
    subscriber_id: String,
    cards: Vec<CardRow>,
    session_serial: String,
    session_until: String,
    fees: Vec<String>,
    csrf: String,
    message: Option<String>,
}

async fn top(State(s): State<Arc<OidcState>>, Signed { lang, p }: Signed) -> Response {
    render_top(&s, &p, lang, None).await
}

async fn render_top(s: &OidcState, p: &Portal, lang: Lang, note: Option<Text>) -> Response {
    let doctor = match doctor_or_fail(s, p, lang).await {
        Ok(d) => d,
        Err(r) => return r,
    };
    let cards = match s.provider().cards_of(&p.session.subscriber_id).await {
        Ok(c) => c,
        Err(e) => return refused(lang, &e),
    };
    let now = s.app().engine().now_unix() as i64;
    let cert_status = |c: &hpki_store::CertificateRecord| -> String {
        match c.status {
            CertStatus::Revoked => lang.pick("失効", "revoked").to_owned(),
            _ if c.not_after <= now => lang.pick("期限切れ", "expired").to_owned(),
            _ => lang.pick("有効", "valid").to_owned(),
        }
    };
    let rows = cards
        .iter()
        .map(|c| CardRow {
            card_id: c.card.card_id.clone(),
            status: match lang {
                Lang::Ja => c.card.status.label_ja().to_owned(),
                Lang::En => c.card.status.as_str().to_owned(),
            },
            active: c.card.status == hpki_store::CardStatus::Active,
            expires: unix(lang, c.card.expires_at),
            certificates: [
                (lang.pick("署名用", "Signing"), &c.sign),
                (lang.pick("認証用", "Authentication"), &c.auth),
            ]
            .into_iter()
            .filter_map(|(label, cert)| {
                cert.as_ref().map(|cert| {
                    (
                        label.to_owned(),
                        cert.serial_hex.clone(),
                        format!(
                            "{} – {}",
                            unix(lang, cert.not_before),
                            unix(lang, cert.not_after)
                        ),
                        cert_status(cert),
                    )
                })
            })
            .collect(),
        })
        .collect();
    let (serial, until) = p
        .session
        .holder
        .as_ref()
        .map(|h| (h.serial_hex.clone(), unix(lang, h.not_after as i64)))
        .unwrap_or_default();
    let fees = match s
        .app()
        .engine()
        .store
        .fees_of(&p.session.subscriber_id)
        .await
    {
        Ok(f) => f
            .iter()
            .map(|f| {
                let status = hpki_registration::fees::FeeStatus::parse(&f.status)
                    .map_or(f.status.as_str(), |st| st.label(lang));
                match lang {
                    Lang::Ja => format!("{}年度 {}円 {status}", f.fiscal_year, f.amount),
                    Lang::En => format!("FY{} ¥{} {status}", f.fiscal_year, f.amount),
                }
            })
            .collect(),
        Err(e) => return refused(lang, &LoginError::Store(e)),
    };
    let name = doctor.record.get(Item::Name).unwrap_or_default().to_owned();
    let page = TopPage {
        lang,
        title: lang.pick("トップ", "Top").to_owned(),
        signed_in: true,
        name,
        role: role_of(&p.session, lang),
        subscriber_id: p.session.subscriber_id.clone(),
        cards: rows,
        session_serial: serial,
        session_until: until,
        fees,
        csrf: p.csrf(),
        message: note.map(|t| t.get(lang).to_owned()),
    };
    p.finish(html(StatusCode::OK, page.render()))
}

struct DisclosureRowView {
    key: &'static str,
    label: String,
    registered: bool,
    members: bool,
    public: bool,
}

#[derive(Template)]
#[template(path = "portal/disclosure.html")]
struct DisclosurePage {
    lang: Lang,
    title: String,
    signed_in: bool,
    tables: Vec<Vec<DisclosureRowView>>,
    csrf: String,
    message: Option<String>,
}

async fn disclosure(State(s): State<Arc<OidcState>>, Signed { lang, p }: Signed) -> Response {
    render_disclosure(&s, &p, lang, None).await
}

async fn render_disclosure(s: &OidcState, p: &Portal, lang: Lang, note: Option<Text>) -> Response {
    let doctor = match doctor_or_fail(s, p, lang).await {
        Ok(d) => d,
        Err(r) => return r,
    };
    let table = |source: Source| {
        Item::of(source)
            .map(|item| {
                let d = doctor.settings.get(item);
                DisclosureRowView {
                    key: item.key(),
                    label: item.label().get(lang).to_owned(),
                    registered: doctor.record.has(item),
                    members: d.members,
                    public: d.public,
                }
            })
            .collect()
    };
    let page = DisclosurePage {
        lang,
        title: lang.pick("情報開示・非開示", "Disclosure").to_owned(),
        signed_in: true,
        tables: vec![table(Source::Issuance), table(Source::Profile)],
        csrf: p.csrf(),
        message: note.map(|t| t.get(lang).to_owned()),
    };
    p.finish(html(StatusCode::OK, page.render()))
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

/// The settings a disclosure form asks for: the bulk buttons, or each registered item's two
/// boxes (unregistered items keep what they had: the form shows no boxes for them).
fn settings_from_form(doctor: &Doctor, form: &[(String, String)]) -> Settings {
    let action = form
        .iter()
        .find(|(k, _)| k == "action")
        .map_or("save", |(_, v)| v.as_str());
    match action {
        "all_on" => return Settings::all(true),
        "all_off" => return Settings::all(false),
        _ => {}
    }
    let has = |k: String| form.iter().any(|(f, v)| *f == k && v == "1");
    let mut settings = doctor.settings.clone();
    for item in Item::ALL {
        if doctor.record.has(*item) {
            settings.set(
                *item,
                Disclosure {
                    members: has(format!("m.{}", item.key())),
                    public: has(format!("p.{}", item.key())),
                },
            );
        }
    }
    settings
}

async fn save_disclosure(
    State(s): State<Arc<OidcState>>,
    SignedForm { lang, p, form }: SignedForm,
) -> Response {
    let doctor = match doctor_or_fail(&s, &p, lang).await {
        Ok(d) => d,
        Err(r) => return r,
    };
    let settings = settings_from_form(&doctor, &form);
    if let Err(e) = s
        .provider()
        .save_disclosure(&p.session.subscriber_id, &settings)
        .await
    {
        return refused(lang, &e);
    }
    render_disclosure(
        &s,
        &p,
        lang,
        Some(Text::new(
            "開示設定を保存しました。",
            "Disclosure settings saved.",
        )),
    )
    .await
}

struct ProfileField {
    key: &'static str,
    label: String,
    max: usize,
    value: String,
}

#[derive(Template)]
#[template(path = "portal/profile.html")]
struct ProfilePage {
    lang: Lang,
    title: String,
    signed_in: bool,
    basic: Vec<(String, String, bool)>,
    fields: Vec<ProfileField>,
    csrf: String,
    error: Option<String>,
    message: Option<String>,
}

async fn profile(State(s): State<Arc<OidcState>>, Signed { lang, p }: Signed) -> Response {
    render_profile(&s, &p, lang, None, None, None).await
}

async fn render_profile(
    s: &OidcState,
    p: &Portal,
    lang: Lang,
    typed: Option<&[(String, String)]>,
    error: Option<Text>,
    note: Option<Text>,
) -> Response {
    let doctor = match doctor_or_fail(s, p, lang).await {
        Ok(d) => d,
        Err(r) => return r,
    };
    let today = s.provider().today();
    let basic = Item::of(Source::Issuance)
        .map(|i| {
            let v = doctor
                .record
                .value(i, today)
                .map(|v| shown_value(i, &v, lang))
                .unwrap_or_default();
            (i.label().get(lang).to_owned(), v, i == Item::Photo)
        })
        .collect();
    let fields = Item::of(Source::Profile)
        .map(|i| {
            let typed_value = typed.and_then(|t| {
                t.iter()
                    .find(|(k, _)| *k == format!("f.{}", i.key()))
                    .map(|(_, v)| v.clone())
            });
            ProfileField {
                key: i.key(),
                label: i.label().get(lang).to_owned(),
                max: i.max_chars(),
                value: typed_value
                    .unwrap_or_else(|| doctor.record.get(i).unwrap_or_default().to_owned()),
            }
        })
        .collect();
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let page = ProfilePage {
        lang,
        title: lang.pick("プロフィール", "Profile").to_owned(),
        signed_in: true,
        basic,
        fields,
        csrf: p.csrf(),
        error: error.map(|t| t.get(lang).to_owned()),
        message: note.map(|t| t.get(lang).to_owned()),
    };
    p.finish(html(status, page.render()))
}

async fn save_profile(
    State(s): State<Arc<OidcState>>,
    SignedForm { lang, p, form }: SignedForm,
) -> Response {
    let edits: Vec<(Item, String)> = form
        .iter()
        .filter_map(|(k, v)| {
            let item = Item::parse(k.strip_prefix("f.")?)?;
            Some((item, v.clone()))
        })
        .collect();
    match s
        .provider()
        .save_profile(&p.session.subscriber_id, &edits)
        .await
    {
        Ok(()) => {
            render_profile(
                &s,
                &p,
                lang,
                None,
                None,
                Some(Text::new("プロフィールを保存しました。", "Profile saved.")),
            )
            .await
        }
        Err(LoginError::BadInput(t)) => {
            render_profile(&s, &p, lang, Some(&form), Some(t), None).await
        }
        Err(e) => refused(lang, &e),
    }
}

#[derive(Template)]
#[template(path = "portal/shown.html")]
struct ShownPage {
    lang: Lang,
    title: String,
    signed_in: bool,
    viewer_note: String,
    rows: Vec<(&'static str, String, String, bool)>,
}

fn shown_rows(shown: &[Shown], lang: Lang) -> Vec<(&'static str, String, String, bool)> {
    shown
        .iter()
        .map(|s| {
            (
                s.item.key(),
                s.item.label().get(lang).to_owned(),
                shown_value(s.item, &s.value, lang),
                s.item == Item::Photo,
            )
        })
        .collect()
}

fn viewer_note(viewer: &Viewer, lang: Lang) -> String {
    match viewer {
        Viewer::Holder => lang.pick(
            "本人としての表示（すべての情報）",
            "As yourself (everything)",
        ),
        Viewer::Member => lang.pick(
            "会員（医師資格証でログインした医師）からの見え方",
            "As members (doctors signed in with their card) see this doctor",
        ),
        _ => lang.pick("一般からの見え方", "As the public sees this doctor"),
    }
    .to_owned()
}

async fn preview(
    State(s): State<Arc<OidcState>>,
    Query(q): Query<LangQuery>,
    Signed { lang, p }: Signed,
) -> Response {
    let doctor = match doctor_or_fail(&s, &p, lang).await {
        Ok(d) => d,
        Err(r) => return r,
    };
    let viewer = match q.viewer.as_deref() {
        Some("member") => Viewer::Member,
        _ => Viewer::Public,
    };
    let shown = s.provider().view_of(&doctor, &viewer);
    let page = ShownPage {
        lang,
        title: lang.pick("見え方の確認", "Preview").to_owned(),
        signed_in: true,
        viewer_note: viewer_note(&viewer, lang),
        rows: shown_rows(&shown, lang),
    };
    p.finish(html(StatusCode::OK, page.render()))
}

/// The viewer of a request about `subscriber_id`: the doctor themself or a member with a
/// live session (and who), else the public.
async fn viewer_of(
    s: &OidcState,
    headers: &HeaderMap,
    subscriber_id: &str,
) -> (Viewer, Option<String>) {
    let Some(cookie) = cookie_of(headers) else {
        return (Viewer::Public, None);
    };
    let Ok(revocation) = revocation(s).await else {
        return (Viewer::Public, None);
    };
    match s.provider().session(&cookie, &revocation).await {
        Ok(Some(session)) if session.subscriber_id == subscriber_id => {
            (Viewer::Holder, Some(session.subscriber_id))
        }
        Ok(Some(session)) if session.identity.hc_role == hpki_login::qualification::DOCTOR_ROLE => {
            (Viewer::Member, Some(session.subscriber_id))
        }
        _ => (Viewer::Public, None),
    }
}

async fn doctor_page(
    State(s): State<Arc<OidcState>>,
    Path(subscriber_id): Path<String>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    let lang = q.lang();
    let (viewer, looker) = viewer_of(&s, &headers, &subscriber_id).await;
    let shown = match s
        .provider()
        .look_at(&subscriber_id, &viewer, looker.as_deref())
        .await
    {
        Ok(Some(shown)) => shown,
        Ok(None) => {
            return message(
                lang,
                StatusCode::NOT_FOUND,
                Text::new("見つかりません", "Not found"),
                Text::new(
                    "この利用者IDの医師はいません。",
                    "No doctor has this subscriber ID.",
                ),
                false,
            );
        }
        Err(e) => return refused(lang, &e),
    };
    let page = ShownPage {
        lang,
        title: lang.pick("医師情報", "Doctor").to_owned(),
        signed_in: viewer != Viewer::Public,
        viewer_note: viewer_note(&viewer, lang),
        rows: shown_rows(&shown, lang),
    };
    let mut r = html(StatusCode::OK, page.render());
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

async fn doctor_api(
    State(s): State<Arc<OidcState>>,
    Path(subscriber_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let (viewer, looker) = viewer_of(&s, &headers, &subscriber_id).await;
    match s
        .provider()
        .look_at(&subscriber_id, &viewer, looker.as_deref())
        .await
    {
        Ok(Some(shown)) => {
            let items: serde_json::Map<String, serde_json::Value> = shown
                .iter()
                .map(|s| (s.item.key().to_owned(), json!(s.value)))
                .collect();
            let mut r = axum::Json(json!({"viewer": viewer.kind(), "items": items})).into_response();
            r.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            r
        }
        Ok(None) => (
            StatusCode::NOT_FOUND,
            axum::Json(json!({"error": "not_found",
                "message": {"ja": "この利用者IDの医師はいません。", "en": "No doctor has this subscriber ID."}})),
        )
            .into_response(),
        Err(e) => {
            let t = e.text();
            (
                StatusCode::SERVICE_UNAVAILABLE,
                axum::Json(json!({"error": "unavailable", "message": {"ja": t.ja, "en": t.en}})),
            )
                .into_response()
        }
    }
}

async fn report_lost(
    State(s): State<Arc<OidcState>>,
    SignedForm { lang, p, form }: SignedForm,
) -> Response {
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    if field("confirm") != Some("yes") {
        return render_top(
            &s,
            &p,
            lang,
            Some(Text::new(
                "紛失届は、確認のチェックを入れてから送信してください。",
                "Tick the confirmation before reporting the card lost.",
            )),
        )
        .await;
    }
    let card_id = field("card_id").unwrap_or_default();
    match s
        .provider()
        .report_lost(&p.session.subscriber_id, card_id)
        .await
    {
        Ok(_) => message(
            lang,
            StatusCode::OK,
            Text::new("紛失届を受け付けました", "Card reported lost"),
            Text::new(
                format!(
                    "カード {card_id} の証明書を失効させました。発行を受けた医師会に連絡が届いています。再発行は医師会の窓口で申請してください。"
                ),
                format!(
                    "The certificates of card {card_id} are revoked; the issuing office has been told. Apply for a new card at the office."
                ),
            ),
            false,
        ),
        Err(e) => refused(lang, &e),
    }
}

#[derive(Template)]
#[template(path = "portal/change.html")]
struct ChangePage {
    lang: Lang,
    title: String,
    signed_in: bool,
    current: String,
    csrf: String,
    error: Option<String>,
    postal_code: String,
    prefectures: Vec<(u8, &'static str, bool)>,
    city: String,
    building: String,
}

fn field<'a>(form: &'a [(String, String)], name: &str) -> &'a str {
    form.iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.as_str())
}

async fn change(State(s): State<Arc<OidcState>>, Signed { lang, p }: Signed) -> Response {
    render_change(&s, &p, lang, &[], None).await
}

async fn render_change(
    s: &OidcState,
    p: &Portal,
    lang: Lang,
    typed: &[(String, String)],
    error: Option<Text>,
) -> Response {
    let doctor = match doctor_or_fail(s, p, lang).await {
        Ok(d) => d,
        Err(r) => return r,
    };
    let chosen: Option<u8> = field(typed, "prefecture_code").parse().ok();
    let page = ChangePage {
        lang,
        title: lang.pick("住所変更の申請", "Change of address").to_owned(),
        signed_in: true,
        current: doctor
            .record
            .get(Item::Address)
            .unwrap_or_default()
            .to_owned(),
        csrf: p.csrf(),
        error: error.as_ref().map(|t| t.get(lang).to_owned()),
        postal_code: field(typed, "postal_code").to_owned(),
        prefectures: (1..=47u8)
            .filter_map(hpki_ra::prefecture::prefecture)
            .map(|pr| {
                (
                    pr.code,
                    lang.pick(pr.name_ja, pr.name_en),
                    Some(pr.code) == chosen,
                )
            })
            .collect(),
        city: field(typed, "city").to_owned(),
        building: field(typed, "building").to_owned(),
    };
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    p.finish(html(status, page.render()))
}

async fn request_change(
    State(s): State<Arc<OidcState>>,
    SignedForm { lang, p, form }: SignedForm,
) -> Response {
    let address = hpki_ra::application::Address {
        postal_code: field(&form, "postal_code").to_owned(),
        prefecture_code: field(&form, "prefecture_code").parse().ok(),
        city: field(&form, "city").to_owned(),
        building: field(&form, "building").to_owned(),
    };
    let ra = hpki_registration::Registration::new(s.app().engine().clone());
    match ra
        .request_address_change(&p.session.subscriber_id, &address)
        .await
    {
        Ok(id) => p.finish(message(
            lang,
            StatusCode::OK,
            Text::new("住所変更を申請しました", "Change of address requested"),
            Text::new(
                format!("申請番号 {id} で医師会の窓口に届きました。住民票をお持ちのうえ、窓口の案内に従ってください。"),
                format!("Your request (application {id}) went to your medical association's office; bring your residence certificate as they ask."),
            ),
            true,
        )),
        Err(hpki_registration::RegistrationError::BadInput(t)) => {
            render_change(&s, &p, lang, &form, Some(t)).await
        }
        Err(e) => message(
            lang,
            StatusCode::SERVICE_UNAVAILABLE,
            Text::new("申請できませんでした", "Not requested"),
            e.text(),
            true,
        ),
    }
}

#[derive(Template)]
#[template(path = "portal/audit.html")]
struct AuditPage {
    lang: Lang,
    title: String,
    signed_in: bool,
    rows: Vec<(String, String, String, String)>,
}

fn action_label(action: &str, lang: Lang) -> String {
    let (ja, en) = match action {
        "login.card" => ("カードでログイン", "signed in with the card"),
        "oidc.session_opened" => (
            "ログイン（連携先・ポータル）",
            "signed in (relying party or portal)",
        ),
        "oidc.session_ended" => ("ログアウト・セッション終了", "session ended"),
        "oidc.consent_granted" => ("連携先への情報提供に同意", "consented to a relying party"),
        "qualification.checked" => ("資格確認を受けた", "qualification checked"),
        "portal.disclosure_changed" => ("開示設定を変更", "disclosure settings changed"),
        "portal.profile_changed" => ("プロフィールを変更", "profile changed"),
        "portal.card_reported_lost" => ("紛失届", "card reported lost"),
        "portal.viewed" => ("会員が閲覧", "viewed by a member"),
        other => (other, other),
    };
    lang.pick(ja, en).to_owned()
}

async fn audit(State(s): State<Arc<OidcState>>, Signed { lang, p }: Signed) -> Response {
    let records = match s
        .provider()
        .audit_about(&p.session.subscriber_id, 200)
        .await
    {
        Ok(r) => r,
        Err(e) => return refused(lang, &e),
    };
    let rows = records
        .iter()
        .map(|r| {
            (
                unix(lang, r.at),
                r.actor.clone(),
                action_label(&r.action, lang),
                r.details.clone(),
            )
        })
        .collect();
    let page = AuditPage {
        lang,
        title: lang.pick("閲覧記録", "Access log").to_owned(),
        signed_in: true,
        rows,
    };
    p.finish(html(StatusCode::OK, page.render()))
}

#[derive(Template)]
#[template(path = "portal/qr.html")]
struct QrPage {
    lang: Lang,
    title: String,
    signed_in: bool,
    svg: String,
    url: String,
    expires: String,
    refresh: u64,
}

async fn qr(State(s): State<Arc<OidcState>>, Signed { lang, p }: Signed) -> Response {
    let Some(holder) = &p.session.holder else {
        return refused(
            lang,
            &LoginError::Unavailable("no certificate in the session".into()),
        );
    };
    let (token, expires) = match s
        .provider()
        .qr_token(
            s.keys(),
            &p.session.subscriber_id,
            &holder.serial_hex,
            &holder.role.role,
        )
        .await
    {
        Ok(t) => t,
        Err(e) => return refused(lang, &e),
    };
    let url = format!("{}/check/q/{token}", s.issuer());
    let svg = match qrcode::QrCode::with_error_correction_level(url.as_bytes(), qrcode::EcLevel::L)
    {
        Ok(code) => code
            .render::<qrcode::render::svg::Color<'_>>()
            .min_dimensions(320, 320)
            .build(),
        Err(e) => return refused(lang, &LoginError::Unavailable(e.to_string())),
    };
    let page = QrPage {
        lang,
        title: lang
            .pick("資格確認QRコード", "QR code for the qualification check")
            .to_owned(),
        signed_in: true,
        svg,
        url,
        expires: unix(lang, expires as i64),
        refresh: hpki_provider::qualification::QR_SECONDS * 3 / 4,
    };
    p.finish(html(StatusCode::OK, page.render()))
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
