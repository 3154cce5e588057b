//! `POST /api/v1/attendance/taps`: one tap from a reader, answered with what the reader shows.
//!
//! Request: `Authorization: Bearer <reader token>` and
//! `{"nonce": "…", "uid": "04A1B2C3D4E5F6", "card_id": "JMAC61100001", "tapped_at": 1796896800}`
//! (`uid` or `card_id` or both). Answer 200: `{"result": "entry"|"exit"|"duplicate"|
//! "unknown_card"|"lost_card"|"revoked_card", "message_ja", "message_en", "name", "flags",
//! "repeated", "event_id"}`; the same nonce sent again answers the same tap with
//! `"repeated": true` and records nothing.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hpki_provider::attendance::taps::TapInput;
use hpki_text::Text;
use serde_json::json;

use super::{AttendanceState, JsonError};

/// The bearer token of `headers`.
pub(super) fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
}

pub(super) async fn tap(
    State(s): State<AttendanceState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match answer(&s, &headers, &body).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

async fn answer(
    s: &AttendanceState,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Response, JsonError> {
    let token = bearer(headers).ok_or_else(|| {
        JsonError::new(
            StatusCode::UNAUTHORIZED,
            "unknown_reader",
            Text::new(
                "読み取り機のトークンがありません",
                "no reader token (Authorization: Bearer)",
            ),
        )
    })?;
    let input: TapInput = serde_json::from_slice(body).map_err(|e| {
        JsonError::new(
            StatusCode::BAD_REQUEST,
            "bad_input",
            Text::new(
                "タップのJSONが不正です",
                format!("the tap is not the JSON expected: {e}"),
            ),
        )
    })?;
    let a = s.provider.tap(token, &input).await?;
    Ok(Json(json!({
        "result": a.result, "message_ja": a.message.ja, "message_en": a.message.en, "name": a.name,
        "flags": a.flags, "repeated": a.repeated, "event_id": a.event_id,
    }))
    .into_response())
}
