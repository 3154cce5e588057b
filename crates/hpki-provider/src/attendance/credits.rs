//! A doctor's credits, as the portal shows them at once after a tap: every talk attended (from
//! the taps, by the rules), the approved credits of other sources, the units and distinct codes
//! of each fiscal year, and the progress towards the 日医生涯教育認定証.

use std::collections::BTreeMap;

use hpki_attendance::certificate::{Progress, progress};
use hpki_attendance::credits::{CreditEntry, Source, YearSummary, by_fiscal_year, fiscal_year};
use hpki_attendance::occupational::{Occupational, Renewal, renewal};
use hpki_attendance::presence::stays;
use hpki_attendance::talk::{Outcome, credit};
use hpki_attendance::{CurriculumCode, Units};
use hpki_store::{CreditRow, EventRecord, TapRecord};
use time::Date;

use super::AttendanceError;
use super::events::talk_of;
use super::taps::counts;
use crate::Provider;

/// One line of the doctor's history (受講履歴).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CreditLine {
    /// The credit.
    pub entry: CreditEntry,
    /// The event, for a talk attended.
    pub event: Option<String>,
    /// How the talk's credit came about, for a talk attended.
    pub outcome: Option<Outcome>,
    /// Minutes present, for a talk attended.
    pub minutes_present: Option<i64>,
}

/// A doctor's credits.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DoctorCredits {
    /// Every credit held, by day (talks that earned nothing included, with 0 units).
    pub history: Vec<CreditLine>,
    /// Credits reported by the doctor and not yet decided by the office.
    pub pending: Vec<CreditEntry>,
    /// Each fiscal year with credits.
    pub years: Vec<YearSummary>,
    /// The current fiscal year.
    pub this_year: YearSummary,
    /// The 認定証 window ending with the current fiscal year.
    pub certificate: Progress,
    /// 日医認定産業医: the 生涯研修 of the five years up to today, when the doctor has any
    /// 産業医研修 credit.
    pub occupational: Option<Renewal>,
}

fn date_of(unix: i64) -> Date {
    hpki_clock::jst::datetime_unix(unix).date()
}

/// The credit entry of a stored credit row, if it is readable.
pub fn entry_of(row: &CreditRow) -> Option<CreditEntry> {
    Some(CreditEntry {
        date: Date::parse(
            &row.earned_on,
            time::macros::format_description!("[year]-[month]-[day]"),
        )
        .ok()?,
        units: Units::halves(u32::try_from(row.half_units).ok()?),
        code: row.curriculum_code.and_then(CurriculumCode::from_stored),
        occupational: row.occupational.as_deref().and_then(Occupational::parse),
        source: Source::parse(&row.source)?,
        title: row.title.clone(),
    })
}

impl Provider {
    /// The talks attended by a doctor whose taps are `taps` (any events).
    pub async fn attended(&self, taps: &[TapRecord]) -> Result<Vec<CreditLine>, AttendanceError> {
        let rules = self.attendance_rules();
        let mut by_event: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
        for t in taps.iter().filter(|t| counts(t)) {
            by_event.entry(t.event_id).or_default().push(t.tapped_at);
        }
        let ids: Vec<i64> = by_event.keys().copied().collect();
        let talks = self.ca.store.talks_of(&ids).await?;
        let mut events: BTreeMap<i64, EventRecord> = BTreeMap::new();
        for id in &ids {
            if let Some(e) = self.ca.store.event(*id).await? {
                events.insert(*id, e);
            }
        }
        let mut lines = Vec::new();
        for (event_id, row) in &talks {
            let talk = talk_of(row);
            if talk.code.is_none() {
                continue;
            }
            let stays = stays(&by_event[event_id], &rules);
            let c = credit(&talk, &stays, &rules);
            lines.push(CreditLine {
                entry: CreditEntry {
                    date: date_of(talk.start),
                    units: c.units,
                    code: talk.code,
                    occupational: row.occupational.as_deref().and_then(Occupational::parse),
                    source: Source::Attendance,
                    title: row.title.clone(),
                },
                event: events.get(event_id).map(|e| e.title.clone()),
                outcome: Some(c.outcome),
                minutes_present: Some(c.minutes_present),
            });
        }
        Ok(lines)
    }

    /// The credits of the doctor `subscriber_id` as of `today`.
    pub async fn doctor_credits(
        &self,
        subscriber_id: &str,
        today: Date,
    ) -> Result<DoctorCredits, AttendanceError> {
        let taps = self.ca.store.taps_of(subscriber_id).await?;
        let mut history = self.attended(&taps).await?;
        let mut pending = Vec::new();
        for row in self.ca.store.credits_of(subscriber_id).await? {
            match row.status.as_str() {
                "approved" => history.extend(entry_of(&row).map(|entry| CreditLine {
                    entry,
                    event: None,
                    outcome: None,
                    minutes_present: None,
                })),
                "pending" => pending.extend(entry_of(&row)),
                _ => {}
            }
        }
        history.sort_by_key(|l| l.entry.date);
        let earned: Vec<CreditEntry> = history
            .iter()
            .filter(|l| l.entry.units > Units::ZERO)
            .map(|l| l.entry.clone())
            .collect();
        let years = by_fiscal_year(&earned);
        let fy = fiscal_year(today);
        let this_year = years.get(&fy).cloned().unwrap_or(YearSummary {
            fiscal_year: fy,
            ..YearSummary::default()
        });
        // The five years up to today: from the day after the same date five years ago (from
        // 29 February, the 28th).
        let back = today.replace_year(today.year() - 5).or_else(|_| {
            today
                .replace_day(28)
                .and_then(|d| d.replace_year(d.year() - 5))
        });
        let five_years_ago = back.ok().and_then(Date::next_day).unwrap_or(today);
        let occupational = earned
            .iter()
            .any(|e| e.occupational.is_some())
            .then(|| renewal(&earned, five_years_ago, today));
        Ok(DoctorCredits {
            occupational,
            certificate: progress(&earned, fy),
            years: years.into_values().collect(),
            this_year,
            history,
            pending,
        })
    }
}
