//! Seminar attendance (出欠管理) on the public listener: the readers' tap API, the offices'
//! JSON API for events, readers, ledgers and attendance, and each event's public page.
//!
//! | route | who | what |
//! |---|---|---|
//! | `POST /api/v1/attendance/taps` | a reader (`Authorization: Bearer` reader token) | one tap; idempotent by the reader's nonce; rate-limited per client |
//! | `GET/POST /api/v1/attendance/events` | officers (研修会担当 to create; any officer to list) | events |
//! | `GET /api/v1/attendance/events/{id}` | officers | an event with its talks |
//! | `POST /api/v1/attendance/events/{id}/readers` | 研修会担当 of the organiser (or HQ) | a reader token, shown once |
//! | `POST /api/v1/attendance/events/{id}/readers/{reader}/revoke` | same | the reader's token stops working |
//! | `PUT /api/v1/attendance/events/{id}/ledger` | 研修会担当 of the organiser (or HQ) | the organiser's ledger (CSV, UTF-8 or Shift_JIS); every bad row listed, nothing taken |
//! | `GET /api/v1/attendance/events/{id}/report` | 研修会担当 of the organiser, HQ, auditors | attendance per doctor and the reconciliation's four lists |
//! | `GET /api/v1/attendance/events/{id}/attendance.csv`, `….xlsx` | same | the attendance list (CSV, UTF-8 with BOM; Excel with the reconciliation on a second sheet) |
//! | `POST /api/v1/cards/{card_id}/contactless` | 研修会担当, 認証局運用 | registers a card's contactless UID (IDm) |
//! | `GET /api/v1/credits/pending` | 研修会担当 (the doctor's office, or HQ) | credits doctors reported, waiting |
//! | `POST /api/v1/credits/{id}/approve`, `…/reject` | same | the decision, once |
//! | `POST /api/v1/credits/import/{society,board}` | 研修会担当 of HQ | credits of a medical society or the specialist board (CSV or JSON, see `hpki_provider::attendance::reported`); every bad row listed, nothing taken |
//! | `GET /events/{id}` | anyone | the event's page: date, venue, talks with curriculum codes and units |
//!
//! One file per audience: `api` (officers), `taps` (readers), `page` (the public page).

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use hpki_provider::Provider;
use hpki_provider::attendance::AttendanceError;
use hpki_registration::Registration;
use hpki_text::{Localized, Text};
use serde_json::json;

use crate::rate_limit::{self, RateLimiter};

mod api;
mod page;
mod taps;

/// At most this many octets in a ledger file (100,000 rows of a name and two numbers).
pub const MAX_LEDGER_OCTETS: usize = 8 * 1024 * 1024;

/// At most this many octets in any other attendance request.
pub const MAX_REQUEST_OCTETS: usize = 64 * 1024;

/// What the attendance routes need.
#[derive(Clone)]
pub struct AttendanceState {
    ra: Registration,
    provider: Provider,
}

/// The routes over the CA `engine`; taps are limited to `burst` at once and `per_second` after
/// that per client address (`[attendance] tap_burst`, `tap_per_second`).
pub fn router(engine: Arc<hpki_ca::Engine>, burst: u32, per_second: u32) -> Router {
    let state = AttendanceState {
        ra: Registration::new(engine.clone()),
        provider: Provider::new(engine),
    };
    let readers = Router::new()
        .route("/api/v1/attendance/taps", post(taps::tap))
        .layer(axum::middleware::from_fn_with_state(
            RateLimiter::new(burst, per_second),
            rate_limit::limit,
        ))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_REQUEST_OCTETS))
        .with_state(state.clone());
    Router::new()
        .route(
            "/api/v1/attendance/events",
            get(api::events).post(api::create_event),
        )
        .route("/api/v1/attendance/events/{id}", get(api::event))
        .route(
            "/api/v1/attendance/events/{id}/readers",
            post(api::create_reader),
        )
        .route("/api/v1/attendance/events/{id}/report", get(api::report))
        .route(
            "/api/v1/attendance/events/{id}/attendance.csv",
            get(api::attendance_csv),
        )
        .route(
            "/api/v1/attendance/events/{id}/attendance.xlsx",
            get(api::attendance_xlsx),
        )
        .route(
            "/api/v1/cards/{card_id}/contactless",
            post(api::register_contactless),
        )
        .route(
            "/api/v1/attendance/events/{id}/readers/{reader}/revoke",
            post(api::revoke_reader),
        )
        .route("/api/v1/credits/pending", get(api::pending_credits))
        .route("/api/v1/credits/{id}/{decision}", post(api::decide_credit))
        .route("/events/{id}", get(page::event_page))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_REQUEST_OCTETS))
        .route(
            "/api/v1/attendance/events/{id}/ledger",
            put(api::import_ledger).layer(axum::extract::DefaultBodyLimit::max(MAX_LEDGER_OCTETS)),
        )
        .route(
            "/api/v1/credits/import/{source}",
            post(api::import_credits)
                .layer(axum::extract::DefaultBodyLimit::max(MAX_LEDGER_OCTETS)),
        )
        .with_state(state)
        .merge(readers)
}

/// May the officer `o` manage (`write`: readers, ledger) or read (the attendance) the event
/// `e`? 研修会担当 of the organising office, or of HQ, manage and read; auditors read.
pub(crate) fn may_handle(
    o: &hpki_registration::Officer,
    e: &hpki_store::EventRecord,
    write: bool,
) -> bool {
    use hpki_ra::workflow::Role;
    let seminar = o.has(Role::Seminar) && (o.is_hq() || o.office.id == e.office_id);
    seminar || (!write && o.has(Role::Auditor))
}

/// May the officer `o` decide on a credit reported by a doctor of `office_id`? 研修会担当 of
/// that office, or of HQ.
pub(crate) fn may_decide(o: &hpki_registration::Officer, office_id: Option<&str>) -> bool {
    o.has(hpki_ra::workflow::Role::Seminar)
        && (o.is_hq() || office_id == Some(o.office.id.as_str()))
}

/// A talk as the pages list it (the event's public page, the office's event page).
pub(crate) struct TalkLine {
    /// `19:00–20:30`.
    pub(crate) time: String,
    /// 演題.
    pub(crate) title: String,
    /// 講師.
    pub(crate) speaker: String,
    /// `CC76 糖尿病`, or a dash for a greeting or a break.
    pub(crate) code: String,
    /// Units, or a dash.
    pub(crate) units: String,
}

/// `HH:MM` in Japan.
pub(crate) fn hhmm(unix: i64) -> String {
    let t = hpki_clock::jst::datetime_unix(unix);
    format!("{:02}:{:02}", t.hour(), t.minute())
}

/// The talks of `e` as the pages list them.
pub(crate) fn talk_lines(e: &hpki_store::EventRecord) -> Vec<TalkLine> {
    use hpki_attendance::{CurriculumCode, Units};
    e.talks
        .iter()
        .map(|t| {
            let code = t.curriculum_code.and_then(CurriculumCode::from_stored);
            TalkLine {
                time: format!("{}–{}", hhmm(t.starts_at), hhmm(t.ends_at)),
                title: t.title.clone(),
                speaker: t.speaker.clone(),
                code: code.map_or_else(|| "—".to_owned(), CurriculumCode::label),
                units: match code {
                    Some(_) => Units::halves(u32::try_from(t.half_units).unwrap_or(0)).to_string(),
                    None => "—".to_owned(),
                },
            }
        })
        .collect()
}

/// The formats the attendance list is downloaded in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Export {
    /// CSV, UTF-8 with BOM.
    Csv,
    /// Excel (.xlsx), with the reconciliation on a second sheet.
    Xlsx,
}

/// The attendance list of `report` (event `id`) as a download in `format`.
pub(crate) fn export_response(
    id: i64,
    report: &hpki_provider::attendance::report::EventReport,
    format: Export,
) -> Response {
    use axum::http::{HeaderValue, header};
    use hpki_provider::attendance::export;
    let (body, content_type, ext) = match format {
        Export::Csv => (
            export::attendance_csv(report).into_bytes(),
            "text/csv; charset=utf-8",
            "csv",
        ),
        Export::Xlsx => match export::attendance_xlsx(report) {
            Ok(b) => (
                b,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "xlsx",
            ),
            Err(e) => return JsonError::from(e).into_response(),
        },
    };
    let mut resp = body.into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"attendance-{id}.{ext}\""))
    {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    resp
}

/// An error as JSON: `{"code", "message", "message_ja", "message_en"}` (and `rows` for a ledger).
pub(crate) struct JsonError(StatusCode, &'static str, Text, Option<serde_json::Value>);

impl JsonError {
    fn new(status: StatusCode, code: &'static str, text: Text) -> JsonError {
        JsonError(status, code, text, None)
    }
}

impl From<AttendanceError> for JsonError {
    fn from(e: AttendanceError) -> JsonError {
        let (status, code) = match &e {
            AttendanceError::UnknownReader => (StatusCode::UNAUTHORIZED, "unknown_reader"),
            AttendanceError::NoEvent(_) => (StatusCode::NOT_FOUND, "no_event"),
            AttendanceError::BadInput(_) => (StatusCode::BAD_REQUEST, "bad_input"),
            AttendanceError::Ledger(_) => (StatusCode::UNPROCESSABLE_ENTITY, "bad_ledger"),
            AttendanceError::Store(hpki_store::StoreError::Conflict(_)) => {
                (StatusCode::CONFLICT, "conflict")
            }
            AttendanceError::Store(_) => (StatusCode::SERVICE_UNAVAILABLE, "store_unavailable"),
        };
        let rows = match &e {
            AttendanceError::Ledger(rows) => Some(json!(rows)),
            _ => None,
        };
        JsonError(status, code, e.text(), rows)
    }
}

impl From<hpki_registration::RegistrationError> for JsonError {
    fn from(e: hpki_registration::RegistrationError) -> JsonError {
        let (status, code) = crate::ra_api::classify(&e);
        JsonError::new(status, code, e.text())
    }
}

impl IntoResponse for JsonError {
    fn into_response(self) -> Response {
        let JsonError(status, code, text, rows) = self;
        let mut body =
            json!({"code": code, "message": text.en, "message_en": text.en, "message_ja": text.ja});
        if let Some(rows) = rows {
            body["rows"] = rows;
        }
        (status, Json(json!({ "error": body }))).into_response()
    }
}
