//! The officers' web UI, `/ra/`: server-rendered, Japanese by default (English with
//! `?lang=en`), usable without JavaScript.
//!
//! | page | what |
//! |---|---|
//! | `GET/POST /ra/login`, `POST /ra/logout` | sign in with the login ID and password; sign out |
//! | `GET /ra/` | the officer's work queue |
//! | `GET /ra/search?q=&stage=` | search by name (kanji, kana) or licence number |
//! | `GET /ra/applications/new`, `POST /ra/applications` | reception: a new application (kept as a draft, however incomplete) |
//! | `GET/POST /ra/applications/{id}` | an application: form, documents, photo, history; save or save and receive |
//! | `POST /ra/applications/{id}/act` | a step of the workflow (review, return, reject, issue, ship, …) |
//! | `GET /ra/applications/{id}/photo` | the applicant's photo |
//! | `GET /ra/dashboard` | the map of offices, cards issued, pending work |
//!
//! The session is an HttpOnly, SameSite=Strict cookie; every form carries the session's CSRF
//! token, checked before anything changes.

use hpki_text::Localized;
use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Form, Multipart, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use hpki_ra::Lang;
use hpki_ra::application::{ApplicantPhoto, FieldError};
use hpki_ra::workflow::{Action, Role, Stage};
use hpki_registration::auth::{SESSION_SECONDS, same_secret};
use hpki_registration::{ActInput, Application, Officer, Registration, RegistrationError};
use serde::Deserialize;
use time::OffsetDateTime;

use crate::ra_form::{self, FIELDS, Input, Section};
use crate::ra_text::{Texts, texts};

const SESSION_COOKIE: &str = "hpki_ra_session";
const LANG_COOKIE: &str = "hpki_lang";

/// The web UI routes over `ra`.
pub fn router(ra: Registration) -> Router {
    Router::new()
        .route("/ra", get(|| async { Redirect::to("/ra/") }))
        .route("/ra/", get(queue))
        .route("/ra/login", get(login_page).post(login))
        .route("/ra/logout", post(logout))
        .route("/ra/search", get(search))
        .route("/ra/applications/new", get(new_page))
        .route("/ra/applications", post(create))
        .route("/ra/applications/{id}", get(show).post(save))
        .route("/ra/applications/{id}/act", post(act))
        .route("/ra/applications/{id}/photo", get(photo))
        .route("/ra/dashboard", get(dashboard))
        .with_state(ra)
}

/// What every page shows around its content.
pub struct Chrome {
    t: &'static Texts,
    who: Option<String>,
    csrf: String,
    can_receive: bool,
    current: &'static str,
    lang_switch: String,
    notice: Option<String>,
}

#[derive(Deserialize, Default)]
struct LangQuery {
    lang: Option<String>,
    notice: Option<String>,
    /// Show the problems that refused reception (after a redirect).
    check: Option<String>,
}

fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The language: `?lang=` (remembered in a cookie), else the cookie, else Japanese.
fn lang_of(headers: &HeaderMap, q: Option<&str>) -> (Lang, Option<HeaderValue>) {
    match q {
        Some("en") => (
            Lang::En,
            HeaderValue::from_str(&format!("{LANG_COOKIE}=en; Path=/ra; SameSite=Lax")).ok(),
        ),
        Some("ja") => (
            Lang::Ja,
            HeaderValue::from_str(&format!("{LANG_COOKIE}=ja; Path=/ra; SameSite=Lax")).ok(),
        ),
        _ => match cookie(headers, LANG_COOKIE) {
            Some("en") => (Lang::En, None),
            _ => (Lang::Ja, None),
        },
    }
}

fn notice_text(t: &Texts, key: Option<&str>) -> Option<String> {
    match key {
        Some("saved") => Some(t.saved.to_owned()),
        _ => None,
    }
}

fn chrome(
    lang: Lang,
    officer: Option<(&Officer, &str)>,
    current: &'static str,
    path: &str,
) -> Chrome {
    let t = texts(lang);
    let sep = if path.contains('?') { '&' } else { '?' };
    Chrome {
        t,
        who: officer.map(|(o, _)| {
            let office = match lang {
                Lang::Ja => &o.office.name_ja,
                Lang::En => &o.office.name_en,
            };
            format!("{}（{}）", o.name, office)
        }),
        csrf: officer.map(|(_, c)| c.to_owned()).unwrap_or_default(),
        can_receive: officer.is_some_and(|(o, _)| o.has(Role::Reception) && !o.is_hq()),
        current,
        lang_switch: format!("{path}{sep}lang={}", t.other_lang_code),
        notice: None,
    }
}

fn render(page: impl Template, status: StatusCode, set_lang: Option<HeaderValue>) -> Response {
    match page.render() {
        Ok(html) => {
            let mut r = (status, Html(html)).into_response();
            if let Some(c) = set_lang {
                r.headers_mut().append(header::SET_COOKIE, c);
            }
            r.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            r
        }
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, format!("template: {e}")).into_response(),
    }
}

#[derive(Template)]
#[template(path = "ra/error.html")]
struct ErrorPage {
    c: Chrome,
    message: String,
}

fn error_page(lang: Lang, officer: Option<(&Officer, &str)>, e: &RegistrationError) -> Response {
    let (status, _) = crate::ra_api::classify(e);
    let message = e.text().get(lang).to_owned();
    render(
        ErrorPage {
            c: chrome(lang, officer, "", "/ra/"),
            message,
        },
        status,
        None,
    )
}

/// The signed-in officer and CSRF token, or the response that sends the browser to sign in.
async fn signed_in(ra: &Registration, headers: &HeaderMap) -> Result<(Officer, String), Response> {
    let Some(c) = cookie(headers, SESSION_COOKIE) else {
        return Err(Redirect::to("/ra/login").into_response());
    };
    ra.session(c)
        .await
        .map_err(|_| Redirect::to("/ra/login").into_response())
}

/// The signed-in officer of a request and the session's CSRF token. A request without a valid
/// session is sent to the sign-in page.
struct SignedIn {
    officer: Officer,
    csrf: String,
}

impl axum::extract::FromRequestParts<Registration> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        ra: &Registration,
    ) -> Result<Self, Self::Rejection> {
        let (officer, csrf) = signed_in(ra, &parts.headers).await?;
        Ok(SignedIn { officer, csrf })
    }
}

fn check_csrf(expected: &str, posted: Option<&str>) -> Result<(), RegistrationError> {
    match posted {
        Some(p) if !expected.is_empty() && same_secret(expected, p) => Ok(()),
        _ => Err(RegistrationError::Csrf),
    }
}

// ----- sign in -----

#[derive(Template)]
#[template(path = "ra/login.html")]
struct LoginPage {
    c: Chrome,
    error: Option<String>,
    login: String,
}

async fn login_page(headers: HeaderMap, Query(q): Query<LangQuery>) -> Response {
    let (lang, set) = lang_of(&headers, q.lang.as_deref());
    render(
        LoginPage {
            c: chrome(lang, None, "login", "/ra/login"),
            error: None,
            login: String::new(),
        },
        StatusCode::OK,
        set,
    )
}

#[derive(Deserialize)]
struct LoginForm {
    login: String,
    password: String,
}

async fn login(
    State(ra): State<Registration>,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    let (lang, _) = lang_of(&headers, None);
    match ra.sign_in(f.login.trim(), &f.password).await {
        Ok((cookie_value, _, _)) => {
            let mut r = Redirect::to("/ra/").into_response();
            if let Ok(v) = HeaderValue::from_str(&format!(
                "{SESSION_COOKIE}={cookie_value}; Path=/ra; HttpOnly; SameSite=Strict; Max-Age={SESSION_SECONDS}"
            )) {
                r.headers_mut().append(header::SET_COOKIE, v);
            }
            r
        }
        Err(e) => {
            let (status, _) = crate::ra_api::classify(&e);
            render(
                LoginPage {
                    c: chrome(lang, None, "login", "/ra/login"),
                    error: Some(e.text().get(lang).to_owned()),
                    login: f.login,
                },
                status,
                None,
            )
        }
    }
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf: Option<String>,
}

async fn logout(
    State(ra): State<Registration>,
    headers: HeaderMap,
    Form(f): Form<CsrfForm>,
) -> Response {
    if let Ok((_, csrf)) = signed_in(&ra, &headers).await
        && check_csrf(&csrf, f.csrf.as_deref()).is_ok()
        && let Some(c) = cookie(&headers, SESSION_COOKIE)
    {
        let _ = ra.sign_out(c).await;
    }
    let mut r = Redirect::to("/ra/login").into_response();
    r.headers_mut().append(
        header::SET_COOKIE,
        HeaderValue::from_static(
            "hpki_ra_session=; Path=/ra; HttpOnly; SameSite=Strict; Max-Age=0",
        ),
    );
    r
}

// ----- lists -----

struct Row {
    id: i64,
    name: String,
    kana: String,
    license: String,
    stage: &'static str,
    stage_label: &'static str,
    office: String,
    updated: String,
}

#[derive(Template)]
#[template(path = "ra/list.html")]
struct ListPage {
    c: Chrome,
    title: &'static str,
    search: bool,
    q: String,
    stages: Vec<(&'static str, &'static str, bool)>,
    rows: Vec<Row>,
    count: String,
    empty: &'static str,
}

fn time_text(unix: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix)
        .map(|t| {
            let t = t.to_offset(hpki_clock::jst::OFFSET);
            format!(
                "{:04}-{:02}-{:02} {:02}:{:02}",
                t.year(),
                u8::from(t.month()),
                t.day(),
                t.hour(),
                t.minute()
            )
        })
        .unwrap_or_default()
}

async fn rows(ra: &Registration, lang: Lang, list: Vec<hpki_store::ApplicationRecord>) -> Vec<Row> {
    let offices = ra.offices().await.unwrap_or_default();
    list.into_iter()
        .map(|r| {
            let stage = Stage::parse(&r.stage).unwrap_or(Stage::Draft);
            let office = offices
                .iter()
                .find(|o| o.id == r.office_id)
                .map(|o| {
                    if lang == Lang::Ja {
                        o.name_ja.clone()
                    } else {
                        o.name_en.clone()
                    }
                })
                .unwrap_or(r.office_id.clone());
            Row {
                id: r.id,
                name: if r.name_kanji.is_empty() {
                    "—".into()
                } else {
                    r.name_kanji
                },
                kana: r.name_kana,
                license: r.license_number,
                stage: stage.as_str(),
                stage_label: stage.label(lang),
                office,
                updated: time_text(r.updated_at),
            }
        })
        .collect()
}

async fn queue(
    State(ra): State<Registration>,
    SignedIn { officer, csrf }: SignedIn,
    headers: HeaderMap,
    Query(q): Query<LangQuery>,
) -> Response {
    let (lang, set) = lang_of(&headers, q.lang.as_deref());
    let stages = Registration::queue_stages(&officer);
    let list = if stages.is_empty() {
        Vec::new()
    } else {
        match ra.list(&officer, &stages, None).await {
            Ok(l) => l,
            Err(e) => return error_page(lang, Some((&officer, &csrf)), &e),
        }
    };
    let mut c = chrome(lang, Some((&officer, &csrf)), "queue", "/ra/");
    c.notice = notice_text(c.t, q.notice.as_deref());
    let t = c.t;
    render(
        ListPage {
            c,
            title: t.queue_title,
            search: false,
            q: String::new(),
            stages: Vec::new(),
            count: t.count.replace("{}", &list.len().to_string()),
            rows: rows(&ra, lang, list).await,
            empty: t.queue_empty,
        },
        StatusCode::OK,
        set,
    )
}

#[derive(Deserialize, Default)]
struct SearchQuery {
    q: Option<String>,
    stage: Option<String>,
    lang: Option<String>,
}

async fn search(
    State(ra): State<Registration>,
    SignedIn { officer, csrf }: SignedIn,
    headers: HeaderMap,
    Query(q): Query<SearchQuery>,
) -> Response {
    let (lang, set) = lang_of(&headers, q.lang.as_deref());
    let stage = q.stage.as_deref().and_then(Stage::parse);
    let text = q.q.clone().unwrap_or_default();
    let list = match ra
        .list(
            &officer,
            stage.as_slice(),
            Some(text.as_str()).filter(|s| !s.trim().is_empty()),
        )
        .await
    {
        Ok(l) => l,
        Err(e) => return error_page(lang, Some((&officer, &csrf)), &e),
    };
    let c = chrome(lang, Some((&officer, &csrf)), "search", "/ra/search");
    let t = c.t;
    render(
        ListPage {
            c,
            title: t.search_title,
            search: true,
            q: text,
            stages: Stage::ALL
                .iter()
                .map(|s| (s.as_str(), s.label(lang), Some(*s) == stage))
                .collect(),
            count: t.count.replace("{}", &list.len().to_string()),
            rows: rows(&ra, lang, list).await,
            empty: t.nothing_found,
        },
        StatusCode::OK,
        set,
    )
}

// ----- the application page -----

struct FieldView {
    name: &'static str,
    id: String,
    label: String,
    input_type: &'static str,
    checkbox: bool,
    value: String,
    checked: bool,
    options: Vec<(String, String)>,
    error: Option<String>,
    required: bool,
}

struct SectionView {
    title: &'static str,
    fields: Vec<FieldView>,
}

struct ErrorView {
    anchor: Option<String>,
    text: String,
}

struct AppInfo {
    stage: &'static str,
    stage_label: &'static str,
    office: String,
    review_office: String,
    tracking: Option<String>,
    papers_arrived: bool,
    subscriber: Option<String>,
    card: Option<String>,
}

struct ActionView {
    /// The error of this action's reason or tracking field, after a refused try.
    error: Option<String>,
    name: &'static str,
    label: &'static str,
    reason: bool,
    tracking: bool,
    csr: bool,
    danger: bool,
}

struct EventView {
    when: String,
    who: String,
    what: String,
    stage: String,
    reason: String,
}

#[derive(Template)]
#[template(path = "ra/application.html")]
struct AppPage {
    c: Chrome,
    title: String,
    id: i64,
    version: i64,
    form_action: String,
    app: Option<AppInfo>,
    sections: Vec<SectionView>,
    errors: Vec<ErrorView>,
    editable: bool,
    has_photo: bool,
    photo_error: Option<String>,
    actions: Vec<ActionView>,
    history: Vec<EventView>,
}

fn field_id(name: &str) -> String {
    format!("f-{}", name.replace('.', "-"))
}

fn sections(
    lang: Lang,
    values: &HashMap<String, String>,
    errors: &[FieldError],
) -> Vec<SectionView> {
    let t = texts(lang);
    let title = |s: Section| match s {
        Section::Application => t.section_application,
        Section::Applicant => t.section_applicant,
        Section::Workplace => t.section_workplace,
        Section::Contact => t.section_contact,
        Section::Delivery => t.section_delivery,
        Section::Documents => t.section_documents,
    };
    let mut out: Vec<SectionView> = Vec::new();
    for def in FIELDS {
        let error = errors
            .iter()
            .filter(|e| e.field == def.name)
            .map(|e| e.message(lang).to_owned())
            .collect::<Vec<_>>();
        let value = values.get(def.name).cloned().unwrap_or_default();
        let view = FieldView {
            name: def.name,
            id: field_id(def.name),
            label: if def.input == Input::Checkbox {
                ra_form::checkbox_label(def.name, lang)
            } else {
                ra_form::label(def.name, lang)
            },
            input_type: match def.input {
                Input::Date => "date",
                Input::Tel => "tel",
                Input::Email => "email",
                _ => "text",
            },
            checkbox: def.input == Input::Checkbox,
            checked: !value.is_empty(),
            options: match def.input {
                Input::Select(c) => ra_form::options(c, lang),
                _ => Vec::new(),
            },
            value,
            error: (!error.is_empty()).then(|| error.join(" ")),
            required: def.required,
        };
        match out.last_mut() {
            Some(s) if s.title == title(def.section) => s.fields.push(view),
            _ => out.push(SectionView {
                title: title(def.section),
                fields: vec![view],
            }),
        }
    }
    out
}

fn error_views(lang: Lang, errors: &[FieldError], failed: Option<Action>) -> Vec<ErrorView> {
    errors
        .iter()
        .map(|e| {
            let known = FIELDS.iter().any(|d| d.name == e.field);
            let anchor = match e.field {
                _ if known => Some(field_id(e.field)),
                "photo" => Some("photo".to_owned()),
                "tracking" => Some(format!("tracking-{}", Action::MainReview.as_str())),
                "reason" => failed.map(|a| format!("reason-{}", a.as_str())),
                _ => None,
            };
            ErrorView {
                anchor,
                text: if known {
                    format!("{}: {}", ra_form::label(e.field, lang), e.message(lang))
                } else {
                    e.message(lang).to_owned()
                },
            }
        })
        .collect()
}

/// Who is looking at a page: the engine, the language, the officer and their CSRF token.
struct Viewer<'a> {
    ra: &'a Registration,
    lang: Lang,
    officer: &'a Officer,
    csrf: &'a str,
    /// The action just refused, whose fields the errors belong to.
    failed: Option<Action>,
}

async fn app_page(
    v: &Viewer<'_>,
    app: &Application,
    values: Option<HashMap<String, String>>,
    errors: &[FieldError],
    notice: Option<String>,
) -> AppPage {
    let (ra, lang, officer, csrf) = (v.ra, v.lang, v.officer, v.csrf);
    let offices = ra.offices().await.unwrap_or_default();
    let office_name = |id: &str| {
        offices
            .iter()
            .find(|o| o.id == id)
            .map(|o| {
                if lang == Lang::Ja {
                    o.name_ja.clone()
                } else {
                    o.name_en.clone()
                }
            })
            .unwrap_or_else(|| id.to_owned())
    };
    let id = app.record.id;
    let values = values.unwrap_or_else(|| ra_form::to_fields(&app.form, &app.documents));
    let history = ra
        .history(officer, id)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|e| EventView {
            when: time_text(e.at),
            who: e.login.clone(),
            what: Action::parse(&e.action)
                .map(|a| a.label(lang).to_owned())
                .unwrap_or_else(|| match (e.action.as_str(), lang) {
                    ("draft_created", Lang::Ja) => "下書き作成".into(),
                    ("draft_saved", Lang::Ja) => "下書き保存".into(),
                    ("draft_created", Lang::En) => "Draft created".into(),
                    ("draft_saved", Lang::En) => "Draft saved".into(),
                    (other, _) => other.to_owned(),
                }),
            stage: Stage::parse(&e.to_stage)
                .map(|s| s.label(lang).to_owned())
                .unwrap_or(e.to_stage.clone()),
            reason: e.reason.unwrap_or_default(),
        })
        .collect();
    let actions = Registration::available_actions(officer, app)
        .into_iter()
        .filter(|a| {
            !matches!(a, Action::Submit | Action::Resubmit) || !Registration::may_edit(officer, app)
        })
        .map(|a| ActionView {
            error: errors
                .iter()
                .find(|e| {
                    (e.field == "reason" && v.failed == Some(a))
                        || (e.field == "tracking" && a == Action::MainReview)
                })
                .map(|e| e.message(lang).to_owned()),
            name: a.as_str(),
            label: a.label(lang),
            reason: a.needs_reason(),
            tracking: a == Action::MainReview,
            csr: a == Action::Issue,
            danger: matches!(a, Action::Reject | Action::Return),
        })
        .collect();
    let mut c = chrome(
        lang,
        Some((officer, csrf)),
        "",
        &format!("/ra/applications/{id}"),
    );
    c.notice = notice;
    let t = c.t;
    AppPage {
        title: format!(
            "{} {} {}",
            t.application_title,
            id,
            if app.record.name_kanji.is_empty() {
                String::new()
            } else {
                format!("— {}", app.record.name_kanji)
            }
        ),
        c,
        id,
        version: app.record.version,
        form_action: format!("/ra/applications/{id}"),
        app: Some(AppInfo {
            stage: app.stage.as_str(),
            stage_label: app.stage.label(lang),
            office: office_name(&app.record.office_id),
            review_office: office_name(&app.record.review_office_id),
            tracking: app.record.papers_tracking.clone(),
            papers_arrived: app.record.papers_arrived,
            subscriber: app.record.subscriber_id.clone(),
            card: app.record.card_id.clone(),
        }),
        sections: sections(lang, &values, errors),
        errors: error_views(lang, errors, v.failed),
        editable: Registration::may_edit(officer, app),
        has_photo: app.record.photo.is_some(),
        photo_error: errors
            .iter()
            .find(|e| e.field == "photo")
            .map(|e| e.message(lang).to_owned()),
        actions,
        history,
    }
}

async fn new_page(
    State(ra): State<Registration>,
    SignedIn { officer, csrf }: SignedIn,
    headers: HeaderMap,
    Query(q): Query<LangQuery>,
) -> Response {
    let (lang, set) = lang_of(&headers, q.lang.as_deref());
    let c = chrome(lang, Some((&officer, &csrf)), "new", "/ra/applications/new");
    let today = ra.today().to_string();
    let values = HashMap::from([("application_date".to_owned(), today)]);
    let t = c.t;
    render(
        AppPage {
            c,
            title: t.new_title.to_owned(),
            id: 0,
            version: 0,
            form_action: "/ra/applications".into(),
            app: None,
            sections: sections(lang, &values, &[]),
            errors: Vec::new(),
            editable: officer.has(Role::Reception) && !officer.is_hq(),
            has_photo: false,
            photo_error: None,
            actions: Vec::new(),
            history: Vec::new(),
        },
        StatusCode::OK,
        set,
    )
}

/// What a multipart form of the application page brings.
struct Posted {
    fields: HashMap<String, String>,
    photo: Option<Vec<u8>>,
}

async fn read_multipart(mut mp: Multipart) -> Result<Posted, RegistrationError> {
    let mut fields = HashMap::new();
    let mut photo = None;
    let bad = |e: axum::extract::multipart::MultipartError| {
        RegistrationError::bad_input("送信データを読めません", format!("form upload: {e}"))
    };
    while let Some(field) = mp.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or("").to_owned();
        if name == "photo" {
            let bytes = field.bytes().await.map_err(bad)?;
            if !bytes.is_empty() {
                photo = Some(bytes.to_vec());
            }
        } else {
            fields.insert(name, field.text().await.map_err(bad)?);
        }
    }
    Ok(Posted { fields, photo })
}

/// Reads the posted form; the photo, if any, is checked and described in the form.
fn posted_form(
    p: &Posted,
) -> Result<
    (
        hpki_ra::application::ApplicationForm,
        hpki_ra::application::DocumentChecklist,
    ),
    Vec<FieldError>,
> {
    let (mut form, docs) = ra_form::from_fields(&p.fields)?;
    if let Some(bytes) = &p.photo {
        form.photo = Some(ApplicantPhoto::inspect(bytes).map_err(|e| vec![e])?);
    }
    Ok((form, docs))
}

async fn create(
    State(ra): State<Registration>,
    SignedIn { officer, csrf }: SignedIn,
    headers: HeaderMap,
    mp: Multipart,
) -> Response {
    let (lang, _) = lang_of(&headers, None);
    let posted = match read_multipart(mp).await {
        Ok(p) => p,
        Err(e) => return error_page(lang, Some((&officer, &csrf)), &e),
    };
    if let Err(e) = check_csrf(&csrf, posted.fields.get("csrf").map(String::as_str)) {
        return error_page(lang, Some((&officer, &csrf)), &e);
    }
    let (form, docs) = match posted_form(&posted) {
        Ok(v) => v,
        Err(errors) => {
            // Nothing is saved yet: show the form again with everything typed.
            let c = chrome(lang, Some((&officer, &csrf)), "new", "/ra/applications/new");
            let t = c.t;
            return render(
                AppPage {
                    c,
                    title: t.new_title.to_owned(),
                    id: 0,
                    version: 0,
                    form_action: "/ra/applications".into(),
                    app: None,
                    sections: sections(lang, &posted.fields, &errors),
                    errors: error_views(lang, &errors, None),
                    editable: true,
                    has_photo: false,
                    photo_error: errors
                        .iter()
                        .find(|e| e.field == "photo")
                        .map(|e| e.message(lang).to_owned()),
                    actions: Vec::new(),
                    history: Vec::new(),
                },
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
            );
        }
    };
    let app = match ra
        .create_draft(&officer, &form, &docs, posted.photo.clone())
        .await
    {
        Ok(a) => a,
        Err(e) => return error_page(lang, Some((&officer, &csrf)), &e),
    };
    if posted.fields.get("submit_as").map(String::as_str) == Some("submit") {
        return submit_after_save(&ra, lang, &officer, &csrf, app).await;
    }
    Redirect::to(&format!("/ra/applications/{}?notice=saved", app.record.id)).into_response()
}

/// Receives a just-saved application. On refusal the browser is sent to the application's
/// page with `?check=1`, which shows why (the data is saved already), so a reload never
/// sends the form again.
async fn submit_after_save(
    ra: &Registration,
    lang: Lang,
    officer: &Officer,
    csrf: &str,
    app: Application,
) -> Response {
    let action = if app.stage == Stage::Returned {
        Action::Resubmit
    } else {
        Action::Submit
    };
    match ra
        .act(
            officer,
            app.record.id,
            app.record.version,
            action,
            &ActInput::default(),
        )
        .await
    {
        Ok(a) => Redirect::to(&format!("/ra/applications/{}", a.record.id)).into_response(),
        Err(RegistrationError::Invalid(_)) => {
            Redirect::to(&format!("/ra/applications/{}?check=1", app.record.id)).into_response()
        }
        Err(e) => error_page(lang, Some((officer, csrf)), &e),
    }
}

async fn show(
    State(ra): State<Registration>,
    SignedIn { officer, csrf }: SignedIn,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Query(q): Query<LangQuery>,
) -> Response {
    let (lang, set) = lang_of(&headers, q.lang.as_deref());
    match ra.get(&officer, id).await {
        Ok(app) => {
            let notice = notice_text(texts(lang), q.notice.as_deref());
            // After a refused reception: the form's and the documents' problems.
            let errors = if q.check.is_some() && Registration::may_edit(&officer, &app) {
                let today = ra.today();
                let mut e = app.form.validate(today);
                e.extend(app.documents.check(today));
                e
            } else {
                Vec::new()
            };
            let page = app_page(
                &Viewer {
                    ra: &ra,
                    lang,
                    officer: &officer,
                    csrf: &csrf,
                    failed: None,
                },
                &app,
                None,
                &errors,
                notice,
            )
            .await;
            render(page, StatusCode::OK, set)
        }
        Err(e) => error_page(lang, Some((&officer, &csrf)), &e),
    }
}

async fn save(
    State(ra): State<Registration>,
    SignedIn { officer, csrf }: SignedIn,
    headers: HeaderMap,
    Path(id): Path<i64>,
    mp: Multipart,
) -> Response {
    let (lang, _) = lang_of(&headers, None);
    let posted = match read_multipart(mp).await {
        Ok(p) => p,
        Err(e) => return error_page(lang, Some((&officer, &csrf)), &e),
    };
    if let Err(e) = check_csrf(&csrf, posted.fields.get("csrf").map(String::as_str)) {
        return error_page(lang, Some((&officer, &csrf)), &e);
    }
    let app = match ra.get(&officer, id).await {
        Ok(a) => a,
        Err(e) => return error_page(lang, Some((&officer, &csrf)), &e),
    };
    let version = posted
        .fields
        .get("version")
        .and_then(|v| v.parse().ok())
        .unwrap_or(app.record.version);
    let (form, docs) = match posted_form(&posted) {
        Ok(v) => v,
        Err(errors) => {
            let page = app_page(
                &Viewer {
                    ra: &ra,
                    lang,
                    officer: &officer,
                    csrf: &csrf,
                    failed: None,
                },
                &app,
                Some(posted.fields.clone()),
                &errors,
                None,
            )
            .await;
            return render(page, StatusCode::UNPROCESSABLE_ENTITY, None);
        }
    };
    let saved = match ra
        .save_draft(&officer, id, version, &form, &docs, posted.photo.clone())
        .await
    {
        Ok(a) => a,
        Err(e @ RegistrationError::Conflict) => {
            // Someone else saved meanwhile: show what this officer typed over the current
            // version, so nothing is lost, with the reason.
            let fresh = match ra.get(&officer, id).await {
                Ok(a) => a,
                Err(e) => return error_page(lang, Some((&officer, &csrf)), &e),
            };
            let text = e.text();
            let conflict = FieldError {
                field: "form",
                code: "version_conflict",
                message_ja: text.ja,
                message_en: text.en,
            };
            let page = app_page(
                &Viewer {
                    ra: &ra,
                    lang,
                    officer: &officer,
                    csrf: &csrf,
                    failed: None,
                },
                &fresh,
                Some(posted.fields.clone()),
                &[conflict],
                None,
            )
            .await;
            return render(page, StatusCode::CONFLICT, None);
        }
        Err(e) => return error_page(lang, Some((&officer, &csrf)), &e),
    };
    if posted.fields.get("submit_as").map(String::as_str) == Some("submit") {
        return submit_after_save(&ra, lang, &officer, &csrf, saved).await;
    }
    Redirect::to(&format!("/ra/applications/{id}?notice=saved")).into_response()
}

#[derive(Deserialize)]
struct ActForm {
    csrf: Option<String>,
    version: i64,
    action: String,
    reason: Option<String>,
    tracking: Option<String>,
    sign_csr: Option<String>,
    auth_csr: Option<String>,
}

async fn act(
    State(ra): State<Registration>,
    SignedIn { officer, csrf }: SignedIn,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(f): Form<ActForm>,
) -> Response {
    let (lang, _) = lang_of(&headers, None);
    if let Err(e) = check_csrf(&csrf, f.csrf.as_deref()) {
        return error_page(lang, Some((&officer, &csrf)), &e);
    }
    let Some(action) = Action::parse(&f.action) else {
        return error_page(
            lang,
            Some((&officer, &csrf)),
            &RegistrationError::bad_input(
                format!("操作 {:?} は不明です", f.action),
                format!("unknown action {:?}", f.action),
            ),
        );
    };
    let result = if action == Action::Issue {
        ra.issue_with_csrs(
            &officer,
            id,
            f.version,
            f.sign_csr.unwrap_or_default().as_bytes(),
            f.auth_csr.unwrap_or_default().as_bytes(),
        )
        .await
        .map(|(a, ..)| a)
    } else {
        let input = ActInput {
            reason: f.reason,
            tracking: f.tracking,
        };
        ra.act(&officer, id, f.version, action, &input).await
    };
    // A return or rejection without a reason is an error of the reason field.
    let result = result.map_err(|e| match e {
        RegistrationError::Transition(hpki_ra::workflow::TransitionError::ReasonRequired) => {
            RegistrationError::Invalid(vec![FieldError {
                field: "reason",
                code: "reason_required",
                message_ja: "差戻し・却下の理由を入力してください".into(),
                message_en: "Enter the reason for returning or rejecting.".into(),
            }])
        }
        other => other,
    });
    match result {
        Ok(_) => Redirect::to(&format!("/ra/applications/{id}")).into_response(),
        Err(RegistrationError::Invalid(errors)) => match ra.get(&officer, id).await {
            Ok(app) => {
                let page = app_page(
                    &Viewer {
                        ra: &ra,
                        lang,
                        officer: &officer,
                        csrf: &csrf,
                        failed: Some(action),
                    },
                    &app,
                    None,
                    &errors,
                    None,
                )
                .await;
                render(page, StatusCode::UNPROCESSABLE_ENTITY, None)
            }
            Err(e) => error_page(lang, Some((&officer, &csrf)), &e),
        },
        Err(e) => error_page(lang, Some((&officer, &csrf)), &e),
    }
}

async fn photo(
    State(ra): State<Registration>,
    SignedIn { officer, csrf: _ }: SignedIn,
    Path(id): Path<i64>,
) -> Response {
    match ra.get(&officer, id).await {
        Ok(app) => match app.record.photo {
            Some(bytes) => {
                let ct = app
                    .form
                    .photo
                    .as_ref()
                    .map(|p| p.format.media_type())
                    .unwrap_or("application/octet-stream");
                ([(header::CONTENT_TYPE, ct)], Bytes::from(bytes)).into_response()
            }
            None => StatusCode::NOT_FOUND.into_response(),
        },
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}

#[derive(Template)]
#[template(path = "ra/dashboard.html")]
struct DashboardPage {
    c: Chrome,
    map: String,
    issued: String,
    pending: String,
}

async fn dashboard(
    State(ra): State<Registration>,
    SignedIn { officer, csrf }: SignedIn,
    headers: HeaderMap,
    Query(q): Query<LangQuery>,
) -> Response {
    let (lang, set) = lang_of(&headers, q.lang.as_deref());
    let d = match ra.dashboard().await {
        Ok(d) => d,
        Err(e) => return error_page(lang, Some((&officer, &csrf)), &e),
    };
    render(
        DashboardPage {
            c: chrome(lang, Some((&officer, &csrf)), "dashboard", "/ra/dashboard"),
            map: hpki_ra::stats::japan_map_svg(&d.statuses, lang),
            issued: hpki_ra::stats::issuance_chart_svg(&d.issued, lang),
            pending: hpki_ra::stats::pending_work_svg(&d.pending, lang),
        },
        StatusCode::OK,
        set,
    )
}
