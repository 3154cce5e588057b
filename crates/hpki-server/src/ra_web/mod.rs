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
//! | `GET/POST /ra/events`, `GET /ra/events/{id}`, `POST /ra/events/{id}/{readers,ledger}`, `GET /ra/events/{id}/attendance.{csv,xlsx}` | 研修会: events, reader tokens, the ledger, attendance and reconciliation (printable) |
//! | `GET /ra/credits`, `POST /ra/credits/{id}/{approve,reject}`, `POST /ra/credits/import` | 研修会担当: credits doctors reported; at HQ, imports from medical societies and the specialist board |
//! | `GET/POST /ra/oidc-clients`, `POST /ra/oidc-clients/{id}/{disable,enable}` | administrators: the OpenID provider's relying parties |
//!
//! The session is an HttpOnly, SameSite=Strict cookie; every form carries the session's CSRF
//! token, checked before anything changes.
//!
//! This module holds the routes and what every page shares (the chrome, the language, the
//! session and CSRF checks, rendering, the error page); the pages are in `sign_in`, `lists`,
//! `application`, `dashboard`, `events`, `credits` and `oidc_clients`.

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

mod application;
mod credits;
mod dashboard;
mod events;
mod lists;
mod oidc_clients;
mod sign_in;

use application::*;
use dashboard::*;
use events::*;
use lists::*;
use oidc_clients::*;
use sign_in::*;

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
        .route("/ra/credits", get(credits::credits))
        .route("/ra/credits/import", post(credits::import))
        .route("/ra/credits/{id}/{decision}", post(credits::decide))
        .route("/ra/events", get(events).post(create_event))
        .route("/ra/events/{id}", get(event))
        .route("/ra/events/{id}/readers", post(add_reader))
        .route(
            "/ra/events/{id}/readers/{reader}/revoke",
            post(events::revoke_reader),
        )
        .route("/ra/events/{id}/ledger", post(upload_ledger))
        .route("/ra/events/{id}/attendance.csv", get(events::csv))
        .route("/ra/events/{id}/attendance.xlsx", get(events::xlsx))
        .route("/ra/oidc-clients", get(clients).post(add_client))
        .route("/ra/oidc-clients/{id}/{what}", post(set_client))
        .with_state(ra)
}

/// What every page shows around its content.
pub struct Chrome {
    t: &'static Texts,
    who: Option<String>,
    csrf: String,
    can_receive: bool,
    is_admin: bool,
    can_events: bool,
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
        is_admin: officer.is_some_and(|(o, _)| o.has(Role::Administrator)),
        can_events: officer.is_some_and(|(o, _)| o.has(Role::Seminar) || o.has(Role::Auditor)),
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
