//! The offices' JSON API for events: officers sign in with their API token (`hpki officer
//! token`), as for the registration authority's API. 研修会担当 (seminar) officers create events
//! for their office and manage them; HQ's seminar officers and auditors see every event.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use hpki_attendance::CurriculumCode;
use hpki_provider::attendance::events::EventInput;
use hpki_provider::attendance::report::EventReport;
use hpki_ra::workflow::Role;
use hpki_registration::{Officer, RegistrationError};
use hpki_store::EventRecord;
use hpki_text::Text;
use serde_json::{Value, json};

use super::taps::bearer;
use super::{AttendanceState, JsonError};

type ApiResult = Result<Response, JsonError>;

async fn officer(s: &AttendanceState, headers: &HeaderMap) -> Result<Officer, JsonError> {
    let token = bearer(headers).ok_or(RegistrationError::NotAuthenticated)?;
    Ok(s.ra.token_officer(token).await?)
}

fn forbidden(ja: &str, en: &str) -> JsonError {
    JsonError::new(StatusCode::FORBIDDEN, "forbidden", Text::new(ja, en))
}

fn require_seminar(o: &Officer) -> Result<(), JsonError> {
    if o.roles.contains(&Role::Seminar) {
        Ok(())
    } else {
        Err(forbidden(
            "研修会担当の権限が必要です",
            "the seminar role is required",
        ))
    }
}

/// The officer of the request and the event `id`, if the officer may manage (`write`) or read
/// it.
async fn event_of(
    s: &AttendanceState,
    headers: &HeaderMap,
    id: i64,
    write: bool,
) -> Result<(Officer, EventRecord), JsonError> {
    let o = officer(s, headers).await?;
    let e = s.provider.event(id).await?;
    if !super::may_handle(&o, &e, write) {
        return Err(forbidden(
            "この研修会を扱う権限がありません",
            "you may not handle this event",
        ));
    }
    Ok((o, e))
}

fn body_json<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, JsonError> {
    serde_json::from_slice(body).map_err(|e| {
        JsonError::new(
            StatusCode::BAD_REQUEST,
            "bad_input",
            Text::new(
                "リクエストのJSONが不正です",
                format!("the request body is not the JSON expected: {e}"),
            ),
        )
    })
}

/// The JSON of an event.
pub(super) fn event_json(e: &EventRecord) -> Value {
    let talks: Vec<Value> = e
        .talks
        .iter()
        .map(|t| {
            let code = t.curriculum_code.and_then(CurriculumCode::from_stored);
            json!({
                "no": t.talk_no, "title": t.title, "speaker": t.speaker,
                "starts_at": hpki_clock::jst::rfc3339_unix(t.starts_at), "ends_at": hpki_clock::jst::rfc3339_unix(t.ends_at),
                "code": code.map(CurriculumCode::number), "code_name": code.map(|c| c.name().ja),
                "units": hpki_attendance::Units::halves(u32::try_from(t.half_units).unwrap_or(0)),
                "occupational": t.occupational,
            })
        })
        .collect();
    json!({
        "id": e.event_id, "office_id": e.office_id, "title": e.title, "venue": e.venue, "date": e.event_date,
        "starts_at": hpki_clock::jst::rfc3339_unix(e.starts_at), "ends_at": hpki_clock::jst::rfc3339_unix(e.ends_at),
        "created_by": e.created_by, "talks": talks, "page": format!("/events/{}", e.event_id),
    })
}

pub(super) async fn events(State(s): State<AttendanceState>, headers: HeaderMap) -> ApiResult {
    officer(&s, &headers).await?;
    let list = s.provider.events().await?;
    Ok(Json(json!({"events": list.iter().map(event_json).collect::<Vec<_>>()})).into_response())
}

pub(super) async fn create_event(
    State(s): State<AttendanceState>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let o = officer(&s, &headers).await?;
    require_seminar(&o)?;
    let input: EventInput = body_json(&body)?;
    let id = s
        .provider
        .create_event(&o.actor(), &o.office.id, &input)
        .await?;
    let e = s.provider.event(id).await?;
    Ok((StatusCode::CREATED, Json(event_json(&e))).into_response())
}

pub(super) async fn event(
    State(s): State<AttendanceState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> ApiResult {
    officer(&s, &headers).await?;
    let e = s.provider.event(id).await?;
    Ok(Json(event_json(&e)).into_response())
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ReaderInput {
    label: String,
}

pub(super) async fn create_reader(
    State(s): State<AttendanceState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    body: Bytes,
) -> ApiResult {
    let (o, _) = event_of(&s, &headers, id, true).await?;
    let input: ReaderInput = body_json(&body)?;
    let r = s
        .provider
        .create_reader(&o.actor(), id, &input.label)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"reader_id": r.reader_id, "event_id": id, "token": r.token})),
    )
        .into_response())
}

pub(super) async fn import_ledger(
    State(s): State<AttendanceState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    body: Bytes,
) -> ApiResult {
    let (o, _) = event_of(&s, &headers, id, true).await?;
    let rows = s.provider.import_ledger(&o.actor(), id, &body).await?;
    Ok(Json(json!({"event_id": id, "rows": rows})).into_response())
}

async fn report_of(
    s: &AttendanceState,
    headers: &HeaderMap,
    id: i64,
) -> Result<EventReport, JsonError> {
    event_of(s, headers, id, false).await?;
    Ok(s.provider.event_report(id).await?)
}

pub(super) async fn report(
    State(s): State<AttendanceState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> ApiResult {
    let r = report_of(&s, &headers, id).await?;
    let unknown: Vec<Value> = r
        .unknown_taps
        .iter()
        .map(|t| json!({"uid": t.uid, "card_id": t.card_id, "tapped_at": hpki_clock::jst::rfc3339_unix(t.tapped_at), "flags": t.flags}))
        .collect();
    let mut body = serde_json::to_value(&r).unwrap_or_default();
    body["event"] = event_json(&r.event);
    body["unknown_taps"] = json!(unknown);
    Ok(Json(body).into_response())
}

pub(super) async fn attendance_csv(
    State(s): State<AttendanceState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> ApiResult {
    let r = report_of(&s, &headers, id).await?;
    Ok(super::export_response(id, &r, super::Export::Csv))
}

pub(super) async fn attendance_xlsx(
    State(s): State<AttendanceState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> ApiResult {
    let r = report_of(&s, &headers, id).await?;
    Ok(super::export_response(id, &r, super::Export::Xlsx))
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ContactlessInput {
    uid: String,
}

pub(super) async fn register_contactless(
    State(s): State<AttendanceState>,
    headers: HeaderMap,
    Path(card_id): Path<String>,
    body: Bytes,
) -> ApiResult {
    let o = officer(&s, &headers).await?;
    if !o
        .roles
        .iter()
        .any(|r| matches!(r, Role::Seminar | Role::CaOperator))
    {
        return Err(forbidden(
            "研修会担当または認証局運用の権限が必要です",
            "the seminar or CA operator role is required",
        ));
    }
    let input: ContactlessInput = body_json(&body)?;
    let (card_id, uid) = s
        .provider
        .register_contactless(&o.actor(), &card_id, &input.uid)
        .await?;
    Ok(Json(json!({"card_id": card_id, "uid": uid})).into_response())
}

fn credit_json(p: &hpki_provider::attendance::reported::PendingCredit) -> Value {
    let r = &p.row;
    json!({
        "id": r.entry_id, "subscriber_id": r.subscriber_id, "name": p.doctor.as_ref().map(|d| d.name_kanji.clone()),
        "office_id": p.doctor.as_ref().map(|d| d.office_id.clone()), "date": r.earned_on, "title": r.title,
        "units": hpki_attendance::Units::halves(u32::try_from(r.half_units).unwrap_or(0)), "code": r.curriculum_code,
        "source": r.source, "status": r.status,
    })
}

pub(super) async fn pending_credits(
    State(s): State<AttendanceState>,
    headers: HeaderMap,
) -> ApiResult {
    let o = officer(&s, &headers).await?;
    require_seminar(&o)?;
    let pending = s.provider.pending_credits().await?;
    let mine: Vec<Value> = pending
        .iter()
        .filter(|p| super::may_decide(&o, p.doctor.as_ref().map(|d| d.office_id.as_str())))
        .map(credit_json)
        .collect();
    Ok(Json(json!({"credits": mine})).into_response())
}

pub(super) async fn decide_credit(
    State(s): State<AttendanceState>,
    headers: HeaderMap,
    Path((id, decision)): Path<(i64, String)>,
) -> ApiResult {
    let o = officer(&s, &headers).await?;
    let approve = match decision.as_str() {
        "approve" => true,
        "reject" => false,
        _ => {
            return Err(JsonError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                Text::new("approve か reject です", "approve or reject"),
            ));
        }
    };
    let pending = s.provider.pending_credit(id).await?.ok_or_else(|| {
        JsonError::new(
            StatusCode::CONFLICT,
            "not_pending",
            Text::new(
                format!("申告 {id} は承認待ちではありません"),
                format!("credit {id} is not waiting for a decision"),
            ),
        )
    })?;
    if !super::may_decide(&o, pending.doctor.as_ref().map(|d| d.office_id.as_str())) {
        return Err(forbidden(
            "この申告を扱う権限がありません",
            "you may not decide on this credit",
        ));
    }
    if !s.provider.decide_credit(&o.actor(), id, approve).await? {
        return Err(JsonError::new(
            StatusCode::CONFLICT,
            "not_pending",
            Text::new(
                format!("申告 {id} は既に決定済みです"),
                format!("credit {id} was decided already"),
            ),
        ));
    }
    Ok(
        Json(json!({"id": id, "status": if approve { "approved" } else { "rejected" }}))
            .into_response(),
    )
}

pub(super) async fn import_credits(
    State(s): State<AttendanceState>,
    headers: HeaderMap,
    Path(source): Path<String>,
    body: Bytes,
) -> ApiResult {
    let o = officer(&s, &headers).await?;
    if !(o.has(Role::Seminar) && o.is_hq()) {
        return Err(forbidden(
            "日本医師会の研修会担当だけが取り込めます",
            "only HQ's seminar officers import credits",
        ));
    }
    let source =
        hpki_provider::attendance::reported::ImportSource::parse(&source).ok_or_else(|| {
            JsonError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                Text::new(
                    "取り込み元は society か board です",
                    "the source is society or board",
                ),
            )
        })?;
    let n = s.provider.import_credits(&o.actor(), source, &body).await?;
    Ok(Json(json!({"imported": n})).into_response())
}

pub(super) async fn revoke_reader(
    State(s): State<AttendanceState>,
    headers: HeaderMap,
    Path((id, reader)): Path<(i64, i64)>,
) -> ApiResult {
    let (o, _) = event_of(&s, &headers, id, true).await?;
    if !s.provider.revoke_reader(&o.actor(), id, reader).await? {
        return Err(JsonError::new(
            StatusCode::NOT_FOUND,
            "no_reader",
            Text::new(
                format!("読み取り機 {reader} は無効化済みか、ありません"),
                format!("reader {reader} is revoked already or does not exist"),
            ),
        ));
    }
    Ok(Json(json!({"event_id": id, "reader_id": reader, "revoked": true})).into_response())
}
