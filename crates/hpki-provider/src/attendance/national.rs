//! The national yearly run: every doctor's units and distinct codes over the three fiscal years
//! of the 日医生涯教育認定証, and whether they reach 60, from every tap and every approved credit
//! of the window. The taps are streamed from the store ordered by doctor, so memory holds one
//! doctor's taps, the window's talks and its approved credits, never every tap.

use std::collections::HashMap;

use hpki_attendance::certificate::{Progress, progress};
use hpki_attendance::credits::{CreditEntry, Source, YearSummary, by_fiscal_year};
use hpki_attendance::presence::stays;
use hpki_attendance::talk::{Talk, credit};
use hpki_attendance::{CurriculumCode, Units};
use hpki_store::ScannedTap;
use time::{Date, Month};

use super::AttendanceError;
use super::credits::entry_of;
use super::events::talk_of;
use crate::Provider;

/// One doctor's standing at the end of the window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Standing {
    /// The doctor.
    pub subscriber_id: String,
    /// Each fiscal year of the window, first to last (zero where nothing was earned).
    pub years: Vec<YearSummary>,
    /// Units + distinct codes over the window.
    pub progress: Progress,
}

/// What a run went through.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunTotals {
    /// Doctors with anything in the window.
    pub doctors: u64,
    /// Taps read.
    pub taps: u64,
    /// Doctors who reach the 認定証.
    pub certified: u64,
}

/// A talk with the day it counts on.
struct TalkOn {
    talk: Talk,
    date: Date,
}

/// The first and last second (Unix, Japan) of fiscal years `first..=last`.
fn window(first: i32, last: i32) -> Result<(Date, Date, i64, i64), AttendanceError> {
    let bad = || AttendanceError::bad_input("年度が正しくありません", "not a fiscal year");
    let start = Date::from_calendar_date(first, Month::April, 1).map_err(|_| bad())?;
    let end = Date::from_calendar_date(last + 1, Month::April, 1).map_err(|_| bad())?;
    let unix = |d: Date| {
        d.midnight()
            .assume_offset(hpki_clock::jst::OFFSET)
            .unix_timestamp()
    };
    Ok((
        start,
        end.previous_day().ok_or_else(bad)?,
        unix(start),
        unix(end),
    ))
}

impl Provider {
    /// Runs the 認定証 window ending with fiscal year `last_year` over every doctor, calling
    /// `each` with each doctor's standing (ordered by subscriber ID).
    pub async fn national_credits(
        &self,
        last_year: i32,
        mut each: impl FnMut(&Standing),
    ) -> Result<RunTotals, AttendanceError> {
        let rules = self.attendance_rules();
        let first_year = last_year - 2;
        let (from_day, to_day, from, to) = window(first_year, last_year)?;
        let store = &self.ca.store;
        let events = store
            .events_between(&from_day.to_string(), &to_day.to_string())
            .await?;
        let ids: Vec<i64> = events.iter().map(|e| e.event_id).collect();
        let mut talks: HashMap<i64, Vec<TalkOn>> = HashMap::new();
        for (event_id, row) in store.talks_of(&ids).await? {
            let talk = talk_of(&row);
            if talk.code.is_some() {
                let date = hpki_clock::jst::datetime_unix(talk.start).date();
                talks
                    .entry(event_id)
                    .or_default()
                    .push(TalkOn { talk, date });
            }
        }
        let mut others: HashMap<String, Vec<CreditEntry>> = HashMap::new();
        for row in store
            .approved_credits_between(&from_day.to_string(), &to_day.to_string())
            .await?
        {
            if let Some(e) = entry_of(&row) {
                others.entry(row.subscriber_id).or_default().push(e);
            }
        }
        let mut totals = RunTotals::default();
        let mut finish = |subscriber_id: String,
                          taps: &mut Vec<(i64, i64)>,
                          totals: &mut RunTotals,
                          others: &mut HashMap<String, Vec<CreditEntry>>| {
            let mut entries = others.remove(&subscriber_id).unwrap_or_default();
            taps.sort_unstable();
            for chunk in taps.chunk_by(|a, b| a.0 == b.0) {
                let Some(event_talks) = talks.get(&chunk[0].0) else {
                    continue;
                };
                let times: Vec<i64> = chunk.iter().map(|t| t.1).collect();
                let doctor_stays = stays(&times, &rules);
                for t in event_talks {
                    let c = credit(&t.talk, &doctor_stays, &rules);
                    if c.units > Units::ZERO {
                        entries.push(CreditEntry {
                            date: t.date,
                            units: c.units,
                            code: t.talk.code,
                            occupational: None,
                            source: Source::Attendance,
                            title: String::new(),
                        });
                    }
                }
            }
            taps.clear();
            let by_year = by_fiscal_year(&entries);
            let standing = Standing {
                years: (first_year..=last_year)
                    .map(|fy| {
                        by_year.get(&fy).cloned().unwrap_or(YearSummary {
                            fiscal_year: fy,
                            ..YearSummary::default()
                        })
                    })
                    .collect(),
                progress: progress(&entries, last_year),
                subscriber_id,
            };
            totals.doctors += 1;
            totals.certified += u64::from(standing.progress.met);
            each(&standing);
        };
        let mut current: Option<String> = None;
        let mut taps: Vec<(i64, i64)> = Vec::new();
        totals.taps = store
            .scan_doctor_taps(from, to, |t: ScannedTap| {
                if !super::taps::counts_flags(&t.flags) {
                    return;
                }
                if current.as_deref() != Some(t.subscriber_id.as_str())
                    && let Some(done) = current.replace(t.subscriber_id.clone())
                {
                    finish(done, &mut taps, &mut totals, &mut others);
                }
                taps.push((t.event_id, t.tapped_at));
            })
            .await?;
        if let Some(done) = current.take() {
            finish(done, &mut taps, &mut totals, &mut others);
        }
        // Doctors with credits of other sources only.
        let mut rest: Vec<String> = others.keys().cloned().collect();
        rest.sort();
        for s in rest {
            finish(s, &mut taps, &mut totals, &mut others);
        }
        Ok(totals)
    }
}

/// The distinct codes of `years`, for a report line.
pub fn distinct_codes(years: &[YearSummary]) -> usize {
    let mut all: Vec<CurriculumCode> = years.iter().flat_map(|y| y.codes.iter().copied()).collect();
    all.sort();
    all.dedup();
    all.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_runs_from_the_first_april_to_the_last_march() {
        let (from_day, to_day, from, to) = window(2024, 2026).unwrap();
        assert_eq!(
            (from_day.to_string(), to_day.to_string()),
            ("2024-04-01".to_string(), "2027-03-31".to_string())
        );
        // 2024-04-01 00:00 JST = 2024-03-31 15:00 UTC.
        assert_eq!(from, 1_711_897_200);
        assert_eq!(
            to - from,
            3 * 365 * 86_400,
            "no 29 February from April 2024 to March 2027"
        );
    }
}
