//! `GET /events/{id}`: an event's public page (Japanese first, `?lang=en`): the day, the venue,
//! the talks with their times, curriculum codes and units, and what a doctor must do to have
//! them counted.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use hpki_attendance::Units;
use hpki_provider::attendance::AttendanceError;
use hpki_text::Lang;

use super::{AttendanceState, TalkLine};

#[derive(Template)]
#[template(path = "attendance/event.html")]
struct EventPage {
    lang: Lang,
    title: String,
    venue: String,
    date: String,
    talks: Vec<TalkLine>,
    total: String,
    window_minutes: i64,
}

#[derive(serde::Deserialize)]
pub(super) struct LangQuery {
    lang: Option<String>,
}

pub(super) async fn event_page(
    State(s): State<AttendanceState>,
    Path(id): Path<i64>,
    Query(q): Query<LangQuery>,
) -> Response {
    let lang = q.lang.as_deref().and_then(Lang::parse).unwrap_or_default();
    let e = match s.provider.event(id).await {
        Ok(e) => e,
        Err(AttendanceError::NoEvent(_)) => {
            return (
                StatusCode::NOT_FOUND,
                lang.pick("研修会が見つかりません", "No such event"),
            )
                .into_response();
        }
        Err(e) => {
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                hpki_text::Localized::text(&e).get(lang).to_owned(),
            )
                .into_response();
        }
    };
    let units = |h: i64| Units::halves(u32::try_from(h).unwrap_or(0));
    let talks = super::talk_lines(&e);
    let page = EventPage {
        lang,
        title: e.title.clone(),
        venue: e.venue.clone(),
        date: e.event_date.clone(),
        talks,
        total: e
            .talks
            .iter()
            .filter(|t| t.curriculum_code.is_some())
            .map(|t| units(t.half_units))
            .sum::<Units>()
            .to_string(),
        window_minutes: s.provider.attendance_rules().window_secs / 60,
    };
    match page.render() {
        Ok(h) => Html(h).into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, format!("template: {e}")).into_response(),
    }
}
