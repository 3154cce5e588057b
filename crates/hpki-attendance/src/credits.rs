//! Credit entries from every source, and a doctor's units and distinct curriculum codes per
//! fiscal year (April–March, named by the year it starts).

use std::collections::{BTreeMap, BTreeSet};

use hpki_text::Text;
use time::Date;

use crate::occupational::Occupational;
use crate::{CurriculumCode, Units};

/// Where a credit comes from.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// A talk attended, from the card taps.
    Attendance,
    /// Reported by the doctor (e-learning, a paper, a talk given) and approved by the office.
    SelfReported,
    /// Imported from a medical society (学会).
    Society,
    /// Imported from the specialist board (日本専門医機構).
    Board,
}

impl Source {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Attendance => "attendance",
            Source::SelfReported => "self_reported",
            Source::Society => "society",
            Source::Board => "board",
        }
    }

    /// From the stored form.
    pub fn parse(s: &str) -> Option<Source> {
        Some(match s {
            "attendance" => Source::Attendance,
            "self_reported" => Source::SelfReported,
            "society" => Source::Society,
            "board" => Source::Board,
            _ => return None,
        })
    }

    /// Its name.
    pub fn label(self) -> Text {
        match self {
            Source::Attendance => Text::new("講習会出席", "seminar attended"),
            Source::SelfReported => Text::new("自己申告", "self-reported"),
            Source::Society => Text::new("学会", "medical society"),
            Source::Board => Text::new("専門医機構", "specialist board"),
        }
    }
}

/// One credit a doctor holds.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CreditEntry {
    /// The day it was earned (in Japan).
    pub date: Date,
    /// Units.
    pub units: Units,
    /// Its curriculum code, if it has one.
    pub code: Option<CurriculumCode>,
    /// Its kind for 日医認定産業医, if it counts there.
    pub occupational: Option<Occupational>,
    /// Where it comes from.
    pub source: Source,
    /// What it was (the talk's title, the e-learning course).
    pub title: String,
}

/// A doctor's year.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct YearSummary {
    /// The fiscal year (2026 = April 2026 to March 2027).
    pub fiscal_year: i32,
    /// Units earned.
    pub units: Units,
    /// The distinct curriculum codes earned.
    pub codes: BTreeSet<CurriculumCode>,
}

/// The fiscal year of `date`.
pub fn fiscal_year(date: Date) -> i32 {
    hpki_clock::jst::fiscal_year(date)
}

/// Each fiscal year with entries, in order.
pub fn by_fiscal_year<'a>(
    entries: impl IntoIterator<Item = &'a CreditEntry>,
) -> BTreeMap<i32, YearSummary> {
    let mut years: BTreeMap<i32, YearSummary> = BTreeMap::new();
    for e in entries {
        let fy = fiscal_year(e.date);
        let year = years.entry(fy).or_insert_with(|| YearSummary {
            fiscal_year: fy,
            ..YearSummary::default()
        });
        year.units = year.units + e.units;
        year.codes.extend(e.code);
    }
    years
}

#[cfg(test)]
pub(crate) mod tests {
    use time::macros::date;

    use super::*;

    pub(crate) fn entry(date: Date, halves: u32, code: u8) -> CreditEntry {
        CreditEntry {
            date,
            units: Units::halves(halves),
            code: CurriculumCode::new(code),
            occupational: None,
            source: Source::Attendance,
            title: String::new(),
        }
    }

    #[test]
    fn the_fiscal_year_turns_on_the_first_of_april() {
        let years = by_fiscal_year(&[
            entry(date!(2026 - 03 - 31), 2, 1),
            entry(date!(2026 - 04 - 01), 2, 2),
            entry(date!(2027 - 03 - 31), 1, 2),
        ]);
        assert_eq!(years[&2025].units, Units::whole(1));
        assert_eq!(years[&2026].units, Units::halves(3));
        assert_eq!(years[&2026].codes.len(), 1, "a repeated code counts once");
        assert_eq!(years.len(), 2);
    }
}
