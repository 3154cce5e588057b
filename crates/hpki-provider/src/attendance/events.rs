//! Events (研修会・講習会) and their readers: an office's officer creates an event with its talks
//! and hands each reception PC or tablet a reader token.

use hpki_attendance::occupational::Occupational;
use hpki_attendance::talk::Talk;
use hpki_attendance::{CurriculumCode, Units};
use hpki_store::{AuditEvent, EventRecord, NewEvent, TalkRow};
use serde_json::json;
use time::{Date, PrimitiveDateTime, Time};

use super::AttendanceError;
use crate::Provider;
use crate::secret::{random_secret, sha256_hex};

/// At most this many talks in one event.
pub const MAX_TALKS: usize = 50;
/// At most this many characters in a title, a venue, a speaker or a reader's name.
pub const MAX_TEXT: usize = 200;

/// A talk as an officer enters it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TalkInput {
    /// 演題.
    pub title: String,
    /// 講師.
    #[serde(default)]
    pub speaker: String,
    /// Start, `HH:MM` on the event's day (Japan).
    pub start: String,
    /// End, `HH:MM`.
    pub end: String,
    /// The curriculum code (1–84); none for greetings and breaks.
    #[serde(default)]
    pub code: Option<u8>,
    /// Units (`"1.5"`); by default the talk's length in half hours.
    #[serde(default)]
    pub units: Option<String>,
    /// The kind of 産業医研修, if it counts there.
    #[serde(default)]
    pub occupational: Option<Occupational>,
}

/// An event as an officer enters it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventInput {
    /// 名称.
    pub title: String,
    /// 会場.
    pub venue: String,
    /// The day, `YYYY-MM-DD`.
    pub date: String,
    /// The talks.
    pub talks: Vec<TalkInput>,
}

/// A talk of a recorded event, as the rules take it.
pub fn talk_of(row: &TalkRow) -> Talk {
    Talk {
        start: row.starts_at,
        end: row.ends_at,
        code: row.curriculum_code.and_then(CurriculumCode::from_stored),
        units: Units::halves(u32::try_from(row.half_units).unwrap_or(0)),
    }
}

fn text_field(value: &str, ja: &str, en: &str, required: bool) -> Result<String, AttendanceError> {
    let v = value.trim();
    if required && v.is_empty() {
        return Err(AttendanceError::bad_input(
            format!("{ja}を入力してください"),
            format!("{en} is required"),
        ));
    }
    if v.chars().count() > MAX_TEXT || v.chars().any(char::is_control) {
        return Err(AttendanceError::bad_input(
            format!("{ja}は{MAX_TEXT}文字以内で、制御文字を含めないでください"),
            format!("{en}: at most {MAX_TEXT} characters, no control characters"),
        ));
    }
    Ok(v.to_string())
}

fn parse_date(s: &str) -> Result<Date, AttendanceError> {
    Date::parse(
        s.trim(),
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .map_err(|_| {
        AttendanceError::bad_input(
            format!("日付 {s:?} は YYYY-MM-DD ではありません"),
            format!("date {s:?} is not YYYY-MM-DD"),
        )
    })
}

fn parse_time(s: &str, n: usize) -> Result<Time, AttendanceError> {
    Time::parse(
        s.trim(),
        time::macros::format_description!("[hour padding:none]:[minute]"),
    )
    .map_err(|_| {
        AttendanceError::bad_input(
            format!("講演{n}の時刻 {s:?} は HH:MM ではありません"),
            format!("talk {n}: time {s:?} is not HH:MM"),
        )
    })
}

/// The event `input` checked, as the store takes it.
pub fn checked_event(office_id: &str, input: &EventInput) -> Result<NewEvent, AttendanceError> {
    let title = text_field(&input.title, "名称", "title", true)?;
    let venue = text_field(&input.venue, "会場", "venue", true)?;
    let date = parse_date(&input.date)?;
    if input.talks.is_empty() || input.talks.len() > MAX_TALKS {
        return Err(AttendanceError::bad_input(
            format!("講演は1〜{MAX_TALKS}件にしてください"),
            format!("an event has 1 to {MAX_TALKS} talks"),
        ));
    }
    let mut talks = Vec::with_capacity(input.talks.len());
    for (i, t) in input.talks.iter().enumerate() {
        let n = i + 1;
        let at = |time: Time| {
            PrimitiveDateTime::new(date, time)
                .assume_offset(hpki_clock::jst::OFFSET)
                .unix_timestamp()
        };
        let (start, end) = (at(parse_time(&t.start, n)?), at(parse_time(&t.end, n)?));
        if end <= start {
            return Err(AttendanceError::bad_input(
                format!("講演{n}の終了は開始より後にしてください"),
                format!("talk {n} must end after it starts"),
            ));
        }
        let code = match t.code {
            None => None,
            Some(c) => Some(CurriculumCode::new(c).ok_or_else(|| {
                AttendanceError::bad_input(
                    format!("講演{n}のカリキュラムコード {c} は 1〜84 ではありません"),
                    format!("talk {n}: curriculum code {c} is not 1-84"),
                )
            })?),
        };
        let units = match t.units.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
            None => Talk::units_for_length(start, end),
            Some(u) => Units::parse(u).ok_or_else(|| {
                AttendanceError::bad_input(
                    format!("講演{n}の単位 {u:?} は 0.5 刻みの数ではありません"),
                    format!("talk {n}: units {u:?} are not a multiple of 0.5"),
                )
            })?,
        };
        if units > Talk::units_for_length(start, end) {
            return Err(AttendanceError::bad_input(
                format!("講演{n}の単位 {units} は時間（1時間=1単位）を超えています"),
                format!("talk {n}: {units} units is more than its length allows (1 hour = 1 unit)"),
            ));
        }
        talks.push(TalkRow {
            talk_no: i64::try_from(n).unwrap_or(i64::MAX),
            title: text_field(
                &t.title,
                &format!("講演{n}の演題"),
                &format!("talk {n} title"),
                true,
            )?,
            speaker: text_field(
                &t.speaker,
                &format!("講演{n}の講師"),
                &format!("talk {n} speaker"),
                false,
            )?,
            starts_at: start,
            ends_at: end,
            curriculum_code: code.map(|c| i64::from(c.number())),
            half_units: if code.is_some() {
                i64::from(units.as_halves())
            } else {
                0
            },
            occupational: t.occupational.map(|o| o.as_str().to_string()),
        });
    }
    Ok(NewEvent {
        office_id: office_id.to_string(),
        title,
        venue,
        event_date: date.to_string(),
        talks,
    })
}

/// A reader just created: its token is shown this once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewReader {
    /// Its number.
    pub reader_id: i64,
    /// The token the reader sends (`Authorization: Bearer …`); kept only as SHA-256.
    pub token: String,
}

impl Provider {
    /// Creates the event `input` of `office_id` as `actor`, audited; returns its number.
    pub async fn create_event(
        &self,
        actor: &str,
        office_id: &str,
        input: &EventInput,
    ) -> Result<i64, AttendanceError> {
        let event = checked_event(office_id, input)?;
        let audit = AuditEvent {
            actor: actor.to_string(),
            action: "attendance.event.create".into(),
            object: String::new(),
            details: json!({"office": office_id, "title": event.title, "date": event.event_date, "talks": event.talks.len()}),
        };
        Ok(self.ca.store.create_event(&event, audit).await?)
    }

    /// The event `event_id` with its talks.
    pub async fn event(&self, event_id: i64) -> Result<EventRecord, AttendanceError> {
        self.ca
            .store
            .event(event_id)
            .await?
            .ok_or(AttendanceError::NoEvent(event_id))
    }

    /// The latest events (without talks).
    pub async fn events(&self) -> Result<Vec<EventRecord>, AttendanceError> {
        Ok(self.ca.store.events(500).await?)
    }

    /// Creates a reader named `label` for `event_id` as `actor`, audited.
    pub async fn create_reader(
        &self,
        actor: &str,
        event_id: i64,
        label: &str,
    ) -> Result<NewReader, AttendanceError> {
        let event = self.event(event_id).await?;
        let label = text_field(label, "読み取り機の名前", "reader name", true)?;
        let token = random_secret()
            .map_err(|_| AttendanceError::bad_input("乱数を得られません", "no randomness"))?;
        let audit = AuditEvent {
            actor: actor.to_string(),
            action: "attendance.reader.create".into(),
            object: String::new(),
            details: json!({"event": event.event_id, "label": label}),
        };
        let reader_id = self
            .ca
            .store
            .create_reader(event.event_id, &label, &sha256_hex(&token), audit)
            .await?;
        Ok(NewReader { reader_id, token })
    }
}

impl Provider {
    /// The readers of `event_id`.
    pub async fn readers(
        &self,
        event_id: i64,
    ) -> Result<Vec<hpki_store::ReaderRecord>, AttendanceError> {
        Ok(self.ca.store.readers_of(event_id).await?)
    }

    /// Revokes reader `reader_id` of `event_id` as `actor` (a tablet lost, a PC replaced): its
    /// token stops working at once. False if there is no such reader or it was revoked already.
    pub async fn revoke_reader(
        &self,
        actor: &str,
        event_id: i64,
        reader_id: i64,
    ) -> Result<bool, AttendanceError> {
        let audit = AuditEvent {
            actor: actor.to_string(),
            action: "attendance.reader.revoke".into(),
            object: format!("reader/{reader_id}"),
            details: json!({"event": event_id}),
        };
        Ok(self
            .ca
            .store
            .revoke_reader(event_id, reader_id, &audit)
            .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> EventInput {
        EventInput {
            title: "糖尿病診療の最新知見".into(),
            venue: "東京都医師会館".into(),
            date: "2026-12-10".into(),
            talks: vec![
                TalkInput {
                    title: "開会挨拶".into(),
                    speaker: String::new(),
                    start: "18:50".into(),
                    end: "19:00".into(),
                    code: None,
                    units: None,
                    occupational: None,
                },
                TalkInput {
                    title: "2型糖尿病の薬物療法".into(),
                    speaker: "日医 一郎".into(),
                    start: "19:00".into(),
                    end: "20:30".into(),
                    code: Some(76),
                    units: None,
                    occupational: None,
                },
            ],
        }
    }

    #[test]
    fn an_event_becomes_talks_in_japan_time_with_units_by_length() {
        let e = checked_event("pref-13", &input()).unwrap();
        assert_eq!(e.talks[1].half_units, 3);
        assert_eq!(e.talks[0].half_units, 0, "a greeting earns nothing");
        // 2026-12-10 19:00 JST = 10:00 UTC.
        assert_eq!(e.talks[1].starts_at, 1_796_896_800);
        assert_eq!(e.talks[1].ends_at - e.talks[1].starts_at, 5400);
    }

    #[test]
    fn bad_events_are_refused_in_words() {
        let mut i = input();
        i.talks[1].code = Some(85);
        assert!(
            checked_event("x", &i)
                .unwrap_err()
                .to_string()
                .contains("1-84")
        );
        let mut i = input();
        i.talks[1].units = Some("2".into());
        assert!(
            checked_event("x", &i)
                .unwrap_err()
                .to_string()
                .contains("more than its length")
        );
        let mut i = input();
        i.talks[1].end = "18:00".into();
        assert!(
            checked_event("x", &i)
                .unwrap_err()
                .to_string()
                .contains("end after")
        );
        let mut i = input();
        i.date = "2026/12/10".into();
        assert!(checked_event("x", &i).is_err());
        let mut i = input();
        i.title = "x".repeat(201);
        assert!(checked_event("x", &i).is_err());
    }
}
