//! The registration authority's JSON API, `/api/v1/` (described by `/api/v1/openapi.json`).
//!
//! Officers authenticate with a bearer token (`hpki officer token`). Every operation of the web
//! UI is here too: applications from draft to delivery, their history, offices. Errors are JSON
//! with a machine code and the message in Japanese and English; validation errors list every
//! field at fault.

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use hpki_ra::Lang;
use hpki_ra::application::{ApplicantPhoto, ApplicationForm, DocumentChecklist};
use hpki_ra::workflow::{Action, Stage, TransitionError};
use hpki_registration::engine::{parse_status, status_str};
use hpki_registration::{ActInput, Application, Officer, Registration, RegistrationError};
use hpki_text::{Localized, Text};
use serde::Deserialize;
use serde_json::{Value, json};

/// The API routes over `ra`.
pub fn router(ra: Registration) -> Router {
    Router::new()
        .route("/api/v1/openapi.json", get(openapi))
        .route("/api/v1/me", get(me))
        .route("/api/v1/offices", get(offices))
        .route("/api/v1/offices/{id}/status", post(office_status))
        .route("/api/v1/applications", get(list).post(create))
        .route("/api/v1/applications/{id}", get(show).put(save))
        .route("/api/v1/applications/{id}/photo", get(photo))
        .route("/api/v1/applications/{id}/history", get(history))
        .route("/api/v1/applications/{id}/actions/{action}", post(act))
        .route("/api/v1/applications/{id}/issue", post(issue))
        .route("/api/v1/cards/{card_id}/lost", post(card_lost))
        .route(
            "/api/v1/doctors/{subscriber_id}/revoke",
            post(revoke_doctor),
        )
        .with_state(ra)
}

/// An API error: status, machine code, messages.
pub struct ApiError(pub RegistrationError);

impl From<RegistrationError> for ApiError {
    fn from(e: RegistrationError) -> Self {
        ApiError(e)
    }
}

/// The machine code and HTTP status of an engine error.
pub fn classify(e: &RegistrationError) -> (StatusCode, &'static str) {
    use RegistrationError as E;
    match e {
        E::LoginFailed => (StatusCode::UNAUTHORIZED, "login_failed"),
        E::NotAuthenticated => (StatusCode::UNAUTHORIZED, "not_authenticated"),
        E::Locked { .. } => (StatusCode::LOCKED, "locked"),
        E::Busy => (StatusCode::SERVICE_UNAVAILABLE, "busy"),
        E::Register {
            override_possible: false,
            ..
        } => (StatusCode::CONFLICT, "register_conflict"),
        E::Register {
            override_possible: true,
            ..
        } => (StatusCode::CONFLICT, "register_reason_required"),
        E::WeakPassword => (StatusCode::BAD_REQUEST, "weak_password"),
        E::Csrf => (StatusCode::FORBIDDEN, "csrf"),
        E::NotFound { .. } => (StatusCode::NOT_FOUND, "not_found"),
        E::Forbidden { .. } => (StatusCode::FORBIDDEN, "forbidden"),
        E::Invalid(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid"),
        E::Transition(TransitionError::SeparationOfDuties { .. }) => {
            (StatusCode::FORBIDDEN, "separation_of_duties")
        }
        E::Transition(TransitionError::MissingRole { .. }) => {
            (StatusCode::FORBIDDEN, "missing_role")
        }
        E::Transition(TransitionError::ReasonRequired) => {
            (StatusCode::UNPROCESSABLE_ENTITY, "reason_required")
        }
        E::Transition(TransitionError::PapersNotArrived) => {
            (StatusCode::CONFLICT, "papers_not_arrived")
        }
        E::Transition(TransitionError::NotAllowed { .. }) => {
            (StatusCode::CONFLICT, "not_allowed_at_stage")
        }
        E::Conflict => (StatusCode::CONFLICT, "version_conflict"),
        E::BadInput(_) => (StatusCode::BAD_REQUEST, "bad_input"),
        E::Ca(hpki_ca::CaError::Store(hpki_store::StoreError::KeyCertified { .. })) => {
            (StatusCode::CONFLICT, "key_certified")
        }
        E::Ca(_) => (StatusCode::UNPROCESSABLE_ENTITY, "ca_refused"),
        E::Store(_) | E::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = classify(&self.0);
        let fields: Vec<Value> = match &self.0 {
            RegistrationError::Invalid(list) => list
                .iter()
                .map(|f| {
                    json!({"field": f.field, "code": f.code,
                           "message_ja": f.message(Lang::Ja), "message_en": f.message(Lang::En)})
                })
                .collect(),
            _ => Vec::new(),
        };
        let text = if fields.is_empty() {
            self.0.text()
        } else {
            Text::new(
                "入力内容に誤りがあります（fields を参照）",
                "the application has errors; see fields",
            )
        };
        let (message, en, ja) = (text.en.clone(), text.en, text.ja);
        let mut error = json!({"code": code, "message": message,
                               "message_en": en, "message_ja": ja, "fields": fields});
        if let RegistrationError::Register { findings, .. } = &self.0 {
            error["register"] = register_json(findings);
        }
        (status, Json(json!({ "error": error }))).into_response()
    }
}

type ApiResult<T> = Result<T, ApiError>;

/// A JSON request body whose rejection (malformed JSON, wrong types) is an API error in the
/// API's own JSON form, code `bad_input`.
pub struct ApiJson<T>(pub T);

impl<T, S> axum::extract::FromRequest<S> for ApiJson<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(ApiJson(v)),
            Err(e) => Err(ApiError(RegistrationError::bad_input(
                "リクエストのJSONが不正です",
                format!(
                    "the request body is not the JSON expected: {}",
                    e.body_text()
                ),
            ))),
        }
    }
}

async fn officer(ra: &Registration, headers: &HeaderMap) -> ApiResult<Officer> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or(RegistrationError::NotAuthenticated)?;
    Ok(ra.token_officer(token.trim()).await?)
}

fn officer_json(o: &Officer) -> Value {
    json!({"login": o.login, "name": o.name, "office_id": o.office.id,
           "office_name_ja": o.office.name_ja, "office_name_en": o.office.name_en,
           "office_kind": o.kind.as_str(),
           "roles": o.roles.iter().map(|r| r.as_str()).collect::<Vec<_>>()})
}

/// The JSON of an application.
pub fn application_json(a: &Application) -> Value {
    let r = &a.record;
    json!({
        "id": r.id, "version": r.version, "stage": a.stage.as_str(),
        "stage_label_ja": a.stage.label(Lang::Ja), "stage_label_en": a.stage.label(Lang::En),
        "office_id": r.office_id, "review_office_id": r.review_office_id,
        "form": a.form, "documents": a.documents, "has_photo": r.photo.is_some(),
        "papers_tracking": r.papers_tracking, "papers_arrived": r.papers_arrived,
        "subscriber_id": r.subscriber_id, "card_id": r.card_id,
        "created_at": r.created_at, "updated_at": r.updated_at,
    })
}

fn summary_json(r: &hpki_store::ApplicationRecord) -> Value {
    let stage = Stage::parse(&r.stage);
    json!({
        "id": r.id, "version": r.version, "stage": r.stage,
        "stage_label_ja": stage.map(|s| s.label(Lang::Ja)),
        "stage_label_en": stage.map(|s| s.label(Lang::En)),
        "office_id": r.office_id, "review_office_id": r.review_office_id,
        "name_kana": r.name_kana, "name_kanji": r.name_kanji, "license_number": r.license_number,
        "updated_at": r.updated_at,
    })
}

async fn openapi() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        crate::openapi::DOCUMENT,
    )
        .into_response()
}

async fn me(State(ra): State<Registration>, headers: HeaderMap) -> ApiResult<Json<Value>> {
    Ok(Json(officer_json(&officer(&ra, &headers).await?)))
}

async fn offices(State(ra): State<Registration>, headers: HeaderMap) -> ApiResult<Json<Value>> {
    officer(&ra, &headers).await?;
    let list: Vec<Value> = ra
        .offices()
        .await?
        .iter()
        .map(|o| {
            json!({"id": o.id, "kind": o.kind, "name_ja": o.name_ja, "name_en": o.name_en,
                   "prefecture_code": o.prefecture_code, "parent_id": o.parent_id,
                   "status": o.status})
        })
        .collect();
    Ok(Json(json!({"offices": list})))
}

#[derive(Deserialize)]
struct StatusBody {
    status: String,
}

async fn office_status(
    State(ra): State<Registration>,
    headers: HeaderMap,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<StatusBody>,
) -> ApiResult<Json<Value>> {
    let o = officer(&ra, &headers).await?;
    let status = parse_status(&body.status).ok_or_else(|| {
        RegistrationError::bad_input(
            format!(
                "局の状態 {:?} は不明です（not_opened・registered・accepting のいずれか）",
                body.status
            ),
            format!(
                "unknown office status {:?} (not_opened, registered, accepting)",
                body.status
            ),
        )
    })?;
    let office = ra.set_office_status(&o, &id, status).await?;
    Ok(Json(json!({"id": office.id, "status": status_str(status)})))
}

#[derive(Deserialize, Default)]
struct ListQuery {
    /// Comma-separated stages.
    stage: Option<String>,
    /// Search text.
    q: Option<String>,
    /// Only the officer's work queue.
    queue: Option<bool>,
}

async fn list(
    State(ra): State<Registration>,
    headers: HeaderMap,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<Value>> {
    let o = officer(&ra, &headers).await?;
    let mut stages = Vec::new();
    if let Some(s) = q.stage.as_deref().filter(|s| !s.is_empty()) {
        for part in s.split(',') {
            stages.push(Stage::parse(part.trim()).ok_or_else(|| {
                RegistrationError::bad_input("不明な状態です", format!("unknown stage {part:?}"))
            })?);
        }
    }
    if q.queue == Some(true) {
        let queue = Registration::queue_stages(&o);
        if stages.is_empty() {
            stages = queue;
        } else {
            stages.retain(|s| queue.contains(s));
            if stages.is_empty() {
                return Ok(Json(json!({"applications": []})));
            }
        }
    }
    let list = ra.list(&o, &stages, q.q.as_deref()).await?;
    Ok(Json(
        json!({"applications": list.iter().map(summary_json).collect::<Vec<_>>()}),
    ))
}

#[derive(Deserialize)]
struct DraftBody {
    version: Option<i64>,
    #[serde(default)]
    form: ApplicationForm,
    #[serde(default)]
    documents: DocumentChecklist,
    /// The applicant's photo, base64 (JPEG or PNG).
    photo_base64: Option<String>,
}

fn decode_photo(b64: Option<&str>) -> Result<Option<Vec<u8>>, RegistrationError> {
    let Some(b64) = b64 else { return Ok(None) };
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .map_err(|_| {
            RegistrationError::bad_input("写真のデータが不正です", "photo_base64 is not base64")
        })?;
    Ok(Some(bytes))
}

/// Accepts a readable JPEG or PNG photo up to
/// [`hpki_ra::application::MAX_PHOTO_BYTES`] (see [`ApplicantPhoto::inspect`]).
pub fn check_photo(bytes: &[u8]) -> Result<ApplicantPhoto, RegistrationError> {
    ApplicantPhoto::inspect(bytes).map_err(|e| RegistrationError::Invalid(vec![e]))
}

/// The draft's form with the photo's description, when a photo comes with it.
fn with_photo(
    mut form: ApplicationForm,
    photo: Option<&[u8]>,
) -> Result<ApplicationForm, RegistrationError> {
    if let Some(bytes) = photo {
        form.photo = Some(check_photo(bytes)?);
    }
    Ok(form)
}

async fn create(
    State(ra): State<Registration>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<DraftBody>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let o = officer(&ra, &headers).await?;
    let photo = decode_photo(body.photo_base64.as_deref())?;
    let form = with_photo(body.form, photo.as_deref())?;
    let app = ra.create_draft(&o, &form, &body.documents, photo).await?;
    Ok((StatusCode::CREATED, Json(application_json(&app))))
}

async fn show(
    State(ra): State<Registration>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    let o = officer(&ra, &headers).await?;
    let app = ra.get(&o, id).await?;
    let mut v = application_json(&app);
    v["register"] = register_json(&ra.register_findings(&app).await?);
    Ok(Json(v))
}

/// What the subscriber register says, each finding with its code, its details and its words.
pub fn register_json(findings: &[hpki_registration::RegisterFinding]) -> Value {
    Value::Array(
        findings
            .iter()
            .map(|f| {
                let mut v = serde_json::to_value(f).unwrap_or_default();
                let t = f.text();
                v["message_ja"] = t.ja.into();
                v["message_en"] = t.en.into();
                v
            })
            .collect(),
    )
}

async fn save(
    State(ra): State<Registration>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<DraftBody>,
) -> ApiResult<Json<Value>> {
    let o = officer(&ra, &headers).await?;
    let version = body
        .version
        .ok_or_else(|| RegistrationError::bad_input("version が必要です", "version is required"))?;
    let photo = decode_photo(body.photo_base64.as_deref())?;
    let form = with_photo(body.form, photo.as_deref())?;
    let app = ra
        .save_draft(&o, id, version, &form, &body.documents, photo)
        .await?;
    Ok(Json(application_json(&app)))
}

async fn photo(
    State(ra): State<Registration>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> ApiResult<Response> {
    let o = officer(&ra, &headers).await?;
    let app = ra.get(&o, id).await?;
    let bytes = app.record.photo.ok_or_else(|| {
        RegistrationError::not_found(
            format!("申請 {id} の写真"),
            format!("the photo of application {id}"),
        )
    })?;
    let ct = if bytes.starts_with(&[0xFF, 0xD8]) {
        "image/jpeg"
    } else {
        "image/png"
    };
    Ok(([(header::CONTENT_TYPE, ct)], Bytes::from(bytes)).into_response())
}

async fn history(
    State(ra): State<Registration>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    let o = officer(&ra, &headers).await?;
    let events: Vec<Value> = ra
        .history(&o, id)
        .await?
        .iter()
        .map(|e| {
            json!({"at": e.at, "login": e.login, "office_id": e.office_id, "action": e.action,
                   "from_stage": e.from_stage, "to_stage": e.to_stage, "reason": e.reason,
                   "details": serde_json::from_str::<Value>(&e.details).unwrap_or(Value::Null)})
        })
        .collect();
    Ok(Json(json!({"events": events})))
}

#[derive(Deserialize)]
struct ActBody {
    version: i64,
    reason: Option<String>,
    tracking: Option<String>,
}

async fn act(
    State(ra): State<Registration>,
    headers: HeaderMap,
    Path((id, action)): Path<(i64, String)>,
    ApiJson(body): ApiJson<ActBody>,
) -> ApiResult<Json<Value>> {
    let o = officer(&ra, &headers).await?;
    let action = Action::parse(&action).ok_or_else(|| {
        RegistrationError::bad_input("不明な操作です", format!("unknown action {action:?}"))
    })?;
    let input = ActInput {
        reason: body.reason,
        tracking: body.tracking,
    };
    let app = ra.act(&o, id, body.version, action, &input).await?;
    Ok(Json(application_json(&app)))
}

#[derive(Deserialize)]
struct IssueBody {
    version: i64,
    /// The applicant's PKCS#10 request for the signing certificate (PEM).
    sign_csr: String,
    /// The applicant's PKCS#10 request for the authentication certificate (PEM).
    auth_csr: String,
}

async fn issue(
    State(ra): State<Registration>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<IssueBody>,
) -> ApiResult<Json<Value>> {
    let o = officer(&ra, &headers).await?;
    let (app, sign, auth) = ra
        .issue_with_csrs(
            &o,
            id,
            body.version,
            body.sign_csr.as_bytes(),
            body.auth_csr.as_bytes(),
        )
        .await?;
    Ok(Json(json!({
        "application": application_json(&app),
        "sign_certificate": sign.pem(), "sign_serial": sign.serial_hex,
        "auth_certificate": auth.pem(), "auth_serial": auth.serial_hex,
    })))
}

async fn card_lost(
    State(ra): State<Registration>,
    headers: HeaderMap,
    Path(card_id): Path<String>,
) -> ApiResult<Json<Value>> {
    let o = officer(&ra, &headers).await?;
    let card = ra.report_card_lost(&o, &card_id).await?;
    Ok(Json(json!({
        "card_id": card.card_id, "status": card.status.as_str(),
        "sign_serial": card.sign_serial, "auth_serial": card.auth_serial,
    })))
}

#[derive(Deserialize)]
struct RevokeBody {
    /// RFC 5280 reason name (privilegeWithdrawn when the qualification is lost).
    reason: String,
}

async fn revoke_doctor(
    State(ra): State<Registration>,
    headers: HeaderMap,
    Path(subscriber_id): Path<String>,
    ApiJson(body): ApiJson<RevokeBody>,
) -> ApiResult<Json<Value>> {
    let o = officer(&ra, &headers).await?;
    let reason = hpki_ca::crl::parse_reason(&body.reason).map_err(RegistrationError::from)?;
    let serials = ra.revoke_doctor(&o, &subscriber_id, reason).await?;
    Ok(Json(
        json!({"subscriber_id": subscriber_id, "revoked": serials}),
    ))
}
