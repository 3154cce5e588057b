//! Credits from other sources than the taps: what a doctor reports in the portal (e-learning,
//! a paper, a talk given), waiting for the office's approval; and the lists medical societies
//! and the specialist board send, imported whole or not at all.
//!
//! Import layout (CSV with a header, UTF-8 or Shift_JIS; or a JSON array of objects with the
//! same keys):
//!
//! | column | content | |
//! |---|---|---|
//! | `reference` | the sender's own identifier of the credit | required; a reference imported before refuses the file |
//! | `license_no` | 医籍登録番号 of the doctor (in the subscriber register) | required |
//! | `date` | the day it was earned, `YYYY-MM-DD` | required |
//! | `units` | units, a multiple of 0.5 | required |
//! | `code` | curriculum code 1–84 | optional |
//! | `occupational` | `update`, `practice`, `specialist` or `basic` (日医認定産業医) | optional |
//! | `title` | what it was | required |

use hpki_attendance::ledger::{RowError, decode};
use hpki_attendance::occupational::Occupational;
use hpki_attendance::{CurriculumCode, Units};
use hpki_store::{AuditEvent, CreditRow};
use hpki_text::Text;
use serde_json::json;
use time::Date;

use super::AttendanceError;
use crate::Provider;
use crate::portal::doctor_actor;

/// At most this many credits in one import.
pub const MAX_IMPORT_ROWS: usize = 100_000;
/// At most this many units in one credit.
pub const MAX_UNITS: Units = Units::whole(20);

/// A credit as a doctor reports it, or a row of an import.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreditInput {
    /// The sender's reference (imports only).
    #[serde(default)]
    pub reference: Option<String>,
    /// 医籍登録番号 (imports only).
    #[serde(default)]
    pub license_no: Option<String>,
    /// `YYYY-MM-DD`.
    pub date: String,
    /// Units (`"1.5"` or `1.5`).
    #[serde(deserialize_with = "text_or_number")]
    pub units: String,
    /// Curriculum code (`"73"` or `73`).
    #[serde(default, deserialize_with = "optional_text_or_number")]
    pub code: Option<String>,
    /// 産業医研修 kind.
    #[serde(default)]
    pub occupational: Option<String>,
    /// What it was.
    pub title: String,
}

/// A JSON string or number, as text (CSV gives text; JSON senders write either).
#[derive(serde::Deserialize)]
#[serde(untagged)]
enum TextOrNumber {
    Text(String),
    Number(serde_json::Number),
}

impl TextOrNumber {
    fn text(self) -> String {
        match self {
            TextOrNumber::Text(t) => t,
            TextOrNumber::Number(n) => n.to_string(),
        }
    }
}

fn text_or_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    <TextOrNumber as serde::Deserialize>::deserialize(d).map(TextOrNumber::text)
}

fn optional_text_or_number<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<String>, D::Error> {
    <Option<TextOrNumber> as serde::Deserialize>::deserialize(d).map(|v| v.map(TextOrNumber::text))
}

/// A reported credit waiting for the office, and the doctor (the office is the doctor's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingCredit {
    /// The credit.
    pub row: CreditRow,
    /// The doctor in the register.
    pub doctor: Option<hpki_store::SubscriberRecord>,
}

/// Where imported credits come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportSource {
    /// A medical society (学会).
    Society,
    /// The specialist board (日本専門医機構).
    Board,
}

impl ImportSource {
    fn as_str(self) -> &'static str {
        match self {
            ImportSource::Society => "society",
            ImportSource::Board => "board",
        }
    }

    /// From `society` or `board`.
    pub fn parse(s: &str) -> Option<ImportSource> {
        match s {
            "society" => Some(ImportSource::Society),
            "board" => Some(ImportSource::Board),
            _ => None,
        }
    }
}

/// A credit's checked values: the day, units, code, kind, title.
type Checked = (
    Date,
    Units,
    Option<CurriculumCode>,
    Option<Occupational>,
    String,
);

/// The checked values of `input` (as of `today`).
fn checked(input: &CreditInput, today: Date) -> Result<Checked, Text> {
    let date = Date::parse(
        input.date.trim(),
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .map_err(|_| {
        Text::new(
            format!("日付 {:?} は YYYY-MM-DD ではありません", input.date),
            format!("date {:?} is not YYYY-MM-DD", input.date),
        )
    })?;
    if date > today {
        return Err(Text::new("日付が未来です", "the date is in the future"));
    }
    let units = Units::parse(&input.units)
        .filter(|u| *u > Units::ZERO && *u <= MAX_UNITS)
        .ok_or_else(|| {
            Text::new(
                format!(
                    "単位 {:?} は 0.5〜{MAX_UNITS} の 0.5 刻みにしてください",
                    input.units
                ),
                format!(
                    "units {:?}: 0.5 to {MAX_UNITS} in steps of 0.5",
                    input.units
                ),
            )
        })?;
    let code = match input
        .code
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        None => None,
        Some(c) => Some(CurriculumCode::parse(c).ok_or_else(|| {
            Text::new(
                format!("カリキュラムコード {c:?} は 1〜84 ではありません"),
                format!("curriculum code {c:?} is not 1-84"),
            )
        })?),
    };
    let occupational = match input
        .occupational
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        None => None,
        Some(o) => Some(Occupational::parse(o).ok_or_else(|| {
            Text::new(
                format!("産業医研修の種別 {o:?} は不明です"),
                format!("unknown occupational kind {o:?}"),
            )
        })?),
    };
    let title = input.title.trim();
    if title.is_empty() || title.chars().count() > 200 || title.chars().any(char::is_control) {
        return Err(Text::new(
            "内容は1〜200文字で入力してください",
            "the title: 1 to 200 characters",
        ));
    }
    Ok((date, units, code, occupational, title.to_owned()))
}

fn row(
    subscriber_id: &str,
    source: &str,
    status: &str,
    reference: Option<String>,
    c: Checked,
) -> CreditRow {
    let (date, units, code, occupational, title) = c;
    CreditRow {
        entry_id: 0,
        subscriber_id: subscriber_id.to_owned(),
        earned_on: date.to_string(),
        half_units: i64::from(units.as_halves()),
        curriculum_code: code.map(|c| i64::from(c.number())),
        occupational: occupational.map(|o| o.as_str().to_owned()),
        source: source.to_owned(),
        title,
        reference,
        status: status.to_owned(),
        decided_by: None,
    }
}

/// The rows of an import file: a JSON array, else CSV.
pub fn parse_import(bytes: &[u8]) -> Result<Vec<(u64, CreditInput)>, Vec<RowError>> {
    let whole = |problem: Text| vec![RowError { line: 0, problem }];
    let text = decode(bytes).map_err(|e| vec![e])?;
    if text.trim_start().starts_with('[') {
        let rows: Vec<CreditInput> = serde_json::from_str(&text)
            .map_err(|e| whole(Text::new("JSON を読み取れません", e.to_string())))?;
        return Ok(rows
            .into_iter()
            .enumerate()
            .map(|(i, r)| (i as u64 + 1, r))
            .collect());
    }
    let mut reader = csv::ReaderBuilder::new().from_reader(text.as_bytes());
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    for (i, record) in reader.deserialize::<CreditInput>().enumerate() {
        let line = i as u64 + 2;
        match record {
            Ok(r) => rows.push((line, r)),
            Err(e) => errors.push(RowError {
                line,
                problem: Text::new("CSV の行を読み取れません", e.to_string()),
            }),
        }
    }
    if errors.is_empty() {
        Ok(rows)
    } else {
        Err(errors)
    }
}

impl Provider {
    /// Records a credit the doctor `subscriber_id` reports, waiting for the office.
    pub async fn report_credit(
        &self,
        subscriber_id: &str,
        input: &CreditInput,
    ) -> Result<i64, AttendanceError> {
        let c = checked(input, self.today()).map_err(AttendanceError::BadInput)?;
        let r = row(subscriber_id, "self_reported", "pending", None, c);
        let audit = AuditEvent {
            actor: doctor_actor(subscriber_id),
            action: "credits.reported".into(),
            object: format!("subscriber/{subscriber_id}"),
            details: json!({"date": r.earned_on, "half_units": r.half_units, "code": r.curriculum_code, "title": r.title}),
        };
        let ids = self.ca.store.add_credits(&[r], &audit).await?;
        Ok(ids.first().copied().unwrap_or_default())
    }

    /// Credits reported by doctors and waiting for a decision, oldest first, with the doctor.
    pub async fn pending_credits(&self) -> Result<Vec<PendingCredit>, AttendanceError> {
        let mut out = Vec::new();
        for row in self.ca.store.pending_credits().await? {
            let doctor = self.ca.store.subscriber_by_id(&row.subscriber_id).await?;
            out.push(PendingCredit { row, doctor });
        }
        Ok(out)
    }

    /// The reported credit `entry_id`, if it is waiting.
    pub async fn pending_credit(
        &self,
        entry_id: i64,
    ) -> Result<Option<PendingCredit>, AttendanceError> {
        Ok(self
            .pending_credits()
            .await?
            .into_iter()
            .find(|p| p.row.entry_id == entry_id))
    }

    /// Approves (`approve`) or rejects the reported credit `entry_id` as `actor`; false when it
    /// is not waiting (decided already, or unknown).
    pub async fn decide_credit(
        &self,
        actor: &str,
        entry_id: i64,
        approve: bool,
    ) -> Result<bool, AttendanceError> {
        let audit = AuditEvent {
            actor: actor.to_owned(),
            action: if approve {
                "credits.approved"
            } else {
                "credits.rejected"
            }
            .into(),
            object: format!("credit/{entry_id}"),
            details: json!({}),
        };
        Ok(self
            .ca
            .store
            .decide_credit(entry_id, approve, &audit)
            .await?)
    }

    /// Imports the credits of `bytes` from `source` as `actor`: every row checked (the doctor
    /// in the register, the values), all of them recorded in one transaction or none. Returns
    /// how many.
    pub async fn import_credits(
        &self,
        actor: &str,
        source: ImportSource,
        bytes: &[u8],
    ) -> Result<usize, AttendanceError> {
        let rows = parse_import(bytes).map_err(AttendanceError::Ledger)?;
        if rows.len() > MAX_IMPORT_ROWS {
            return Err(AttendanceError::bad_input(
                format!("{MAX_IMPORT_ROWS} 件を超えています"),
                format!("more than {MAX_IMPORT_ROWS} credits"),
            ));
        }
        let today = self.today();
        let mut out = Vec::with_capacity(rows.len());
        let mut errors = Vec::new();
        for (line, input) in rows {
            let mut problem = None;
            let reference = input
                .reference
                .as_deref()
                .map(str::trim)
                .filter(|r| !r.is_empty() && r.len() <= 128)
                .map(str::to_owned);
            let license = input
                .license_no
                .as_deref()
                .map(str::trim)
                .unwrap_or_default()
                .to_owned();
            let subscriber = if license.is_empty() {
                None
            } else {
                self.ca.store.subscriber(&license).await?
            };
            match (&reference, &subscriber, checked(&input, today)) {
                (None, _, _) => {
                    problem = Some(Text::new(
                        "reference（1〜128文字）がありません",
                        "no reference (1 to 128 characters)",
                    ))
                }
                (_, None, _) => {
                    problem = Some(Text::new(
                        format!("医籍登録番号 {license:?} の医師は登録されていません"),
                        format!("no doctor with licence number {license:?} in the register"),
                    ))
                }
                (_, _, Err(t)) => problem = Some(t),
                (Some(reference), Some(s), Ok(c)) => out.push(row(
                    &s.subscriber_id,
                    source.as_str(),
                    "approved",
                    Some(reference.clone()),
                    c,
                )),
            }
            if let Some(problem) = problem {
                errors.push(RowError { line, problem });
            }
        }
        if !errors.is_empty() {
            return Err(AttendanceError::Ledger(errors));
        }
        let audit = AuditEvent {
            actor: actor.to_owned(),
            action: "credits.imported".into(),
            object: format!("credits/{}", source.as_str()),
            details: json!({"rows": out.len()}),
        };
        self.ca.store.add_credits(&out, &audit).await?;
        Ok(out.len())
    }
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    fn input(date: &str, units: &str) -> CreditInput {
        CreditInput {
            date: date.into(),
            units: units.into(),
            title: "e-learning".into(),
            ..CreditInput::default()
        }
    }

    #[test]
    fn a_report_is_checked_in_words() {
        let today = date!(2026 - 12 - 08);
        assert!(checked(&input("2026-12-08", "1.5"), today).is_ok());
        assert!(
            checked(&input("2026-12-09", "1"), today)
                .unwrap_err()
                .en
                .contains("future")
        );
        assert!(checked(&input("2026-12-01", "0"), today).is_err());
        assert!(checked(&input("2026-12-01", "1.25"), today).is_err());
        assert!(checked(&input("2026-12-01", "21"), today).is_err());
        let mut i = input("2026-12-01", "1");
        i.code = Some("0".into());
        assert!(checked(&i, today).unwrap_err().ja.contains("1〜84"));
    }

    #[test]
    fn imports_are_read_from_csv_or_json() {
        let csv = "reference,license_no,date,units,code,occupational,title\nJSIM-1,123456,2026-06-01,2,73,,総会\n";
        let rows = parse_import(csv.as_bytes()).unwrap();
        assert_eq!(
            (
                rows[0].0,
                rows[0].1.reference.as_deref(),
                rows[0].1.code.as_deref()
            ),
            (2, Some("JSIM-1"), Some("73"))
        );
        let json = r#"[{"reference":"B-1","license_no":"123456","date":"2026-06-01","units":"1","title":"領域講習","occupational":"specialist"}]"#;
        assert_eq!(
            parse_import(json.as_bytes()).unwrap()[0]
                .1
                .occupational
                .as_deref(),
            Some("specialist")
        );
        assert!(parse_import(b"[{\"nope\": 1}]").is_err());
        assert_eq!(
            parse_import("reference,license_no,date,units,title\na,b\n".as_bytes()).unwrap_err()[0]
                .line,
            2
        );
    }
}
