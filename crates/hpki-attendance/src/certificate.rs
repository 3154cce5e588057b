//! The 日医生涯教育認定証: over three consecutive fiscal years, the units plus the number of
//! distinct curriculum codes reach 60 (a code earned again counts once). Also the picture the
//! doctor wants: where they stand and which code areas are still missing.

use std::collections::BTreeSet;

use crate::credits::{CreditEntry, fiscal_year};
use crate::{CurriculumCode, Units};

/// Units + distinct codes needed.
pub const REQUIRED: u32 = 60;

/// Progress towards the 認定証 over the three fiscal years ending with `last_year`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Progress {
    /// The first fiscal year of the window.
    pub first_year: i32,
    /// The last fiscal year of the window.
    pub last_year: i32,
    /// Units in the window.
    pub units: Units,
    /// Distinct codes in the window.
    pub codes: BTreeSet<CurriculumCode>,
    /// Units + codes, in half units (the units may end in .5).
    pub score_halves: u32,
    /// Whether units + codes ≥ 60.
    pub met: bool,
}

impl Progress {
    /// Units + codes as written (`"57.5"`).
    pub fn score(&self) -> Units {
        Units::halves(self.score_halves)
    }

    /// The codes not yet earned in the window.
    pub fn missing_codes(&self) -> Vec<CurriculumCode> {
        CurriculumCode::all()
            .filter(|c| !self.codes.contains(c))
            .collect()
    }
}

/// Progress over fiscal years `last_year − 2 ..= last_year`.
pub fn progress<'a>(
    entries: impl IntoIterator<Item = &'a CreditEntry>,
    last_year: i32,
) -> Progress {
    let first_year = last_year - 2;
    let mut units = Units::ZERO;
    let mut codes = BTreeSet::new();
    for e in entries {
        if (first_year..=last_year).contains(&fiscal_year(e.date)) {
            units = units + e.units;
            codes.extend(e.code);
        }
    }
    let codes_count = u32::try_from(codes.len()).unwrap_or(u32::MAX);
    let score_halves = units.as_halves().saturating_add(codes_count * 2);
    Progress {
        first_year,
        last_year,
        units,
        codes,
        score_halves,
        met: score_halves >= REQUIRED * 2,
    }
}

#[cfg(test)]
mod tests {
    use time::Duration;
    use time::macros::date;

    use super::*;
    use crate::credits::tests::entry;

    #[test]
    fn fifty_units_and_ten_codes_make_sixty() {
        // Ten talks of 5 units, each a different code, in FY2024–2026.
        let entries: Vec<_> = (0..10)
            .map(|i| {
                entry(
                    date!(2024 - 04 - 01) + Duration::days(100 * i),
                    10,
                    (i + 1) as u8,
                )
            })
            .collect();
        let p = progress(&entries, 2026);
        assert_eq!(
            (p.units, p.codes.len(), p.score_halves, p.met),
            (Units::whole(50), 10, 120, true)
        );
        assert_eq!(p.missing_codes().len(), 74);
    }

    #[test]
    fn a_repeated_code_counts_once() {
        // 50 units, all under code 1: 50 + 1 = 51.
        let entries: Vec<_> = (0..10)
            .map(|i| entry(date!(2025 - 05 - 01) + Duration::days(i), 10, 1))
            .collect();
        let p = progress(&entries, 2026);
        assert_eq!((p.score(), p.met), (Units::whole(51), false));
    }

    #[test]
    fn only_the_three_year_window_counts() {
        let mut entries = vec![entry(date!(2024 - 03 - 31), 20, 9)]; // FY2023: outside
        entries.extend((0..10).map(|i| entry(date!(2024 - 04 - 01), 10, (i + 1) as u8))); // FY2024
        entries.push(entry(date!(2027 - 04 - 01), 20, 11)); // FY2027: outside
        let p = progress(&entries, 2026);
        assert_eq!(
            (p.first_year, p.units, p.codes.len(), p.met),
            (2024, Units::whole(50), 10, true)
        );
        // One half unit short.
        let mut short = entries.clone();
        short[1].units = Units::halves(9);
        let p = progress(&short, 2026);
        assert_eq!((p.score().to_string(), p.met), ("59.5".to_string(), false));
        // A year later the window has moved past FY2024.
        assert!(!progress(&entries, 2027).met);
    }
}
