//! 日医認定産業医: 50 units of 基礎研修 to qualify; renewal every five years with at least 20
//! units of 生涯研修, among them at least one unit each of 更新研修, 実地研修 and 専門研修.

use std::collections::BTreeMap;

use hpki_text::Text;
use time::Date;

use crate::Units;
use crate::credits::CreditEntry;

/// Units needed for renewal.
pub const RENEWAL_UNITS: u32 = 20;

/// The kinds of 産業医研修.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Occupational {
    /// 基礎研修 (towards the first certification).
    Basic,
    /// 生涯研修 更新研修.
    Update,
    /// 生涯研修 実地研修.
    Practice,
    /// 生涯研修 専門研修.
    Specialist,
}

impl Occupational {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            Occupational::Basic => "basic",
            Occupational::Update => "update",
            Occupational::Practice => "practice",
            Occupational::Specialist => "specialist",
        }
    }

    /// From the stored form.
    pub fn parse(s: &str) -> Option<Occupational> {
        Some(match s {
            "basic" => Occupational::Basic,
            "update" => Occupational::Update,
            "practice" => Occupational::Practice,
            "specialist" => Occupational::Specialist,
            _ => return None,
        })
    }

    /// Its name.
    pub fn label(self) -> Text {
        match self {
            Occupational::Basic => Text::new("基礎研修", "basic training"),
            Occupational::Update => Text::new("更新研修", "renewal training"),
            Occupational::Practice => Text::new("実地研修", "practical training"),
            Occupational::Specialist => Text::new("専門研修", "specialised training"),
        }
    }
}

/// Where a renewal stands for a five-year period.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Renewal {
    /// Units of 生涯研修 in the period, by kind (更新, 実地, 専門).
    pub by_kind: BTreeMap<Occupational, Units>,
    /// Their sum.
    pub units: Units,
    /// ≥ 20 units with at least one of each kind.
    pub met: bool,
}

/// The renewal over `from ..= to` (the certification's five years).
pub fn renewal<'a>(
    entries: impl IntoIterator<Item = &'a CreditEntry>,
    from: Date,
    to: Date,
) -> Renewal {
    let mut by_kind: BTreeMap<Occupational, Units> = [
        Occupational::Update,
        Occupational::Practice,
        Occupational::Specialist,
    ]
    .into_iter()
    .map(|k| (k, Units::ZERO))
    .collect();
    for e in entries {
        if let Some(kind) = e.occupational
            && kind != Occupational::Basic
            && (from..=to).contains(&e.date)
        {
            let u = by_kind.entry(kind).or_default();
            *u = *u + e.units;
        }
    }
    let units: Units = by_kind.values().copied().sum();
    let met =
        units >= Units::whole(RENEWAL_UNITS) && by_kind.values().all(|u| *u >= Units::whole(1));
    Renewal {
        by_kind,
        units,
        met,
    }
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;
    use crate::credits::Source;

    fn entry(date: Date, units: u32, kind: Occupational) -> CreditEntry {
        CreditEntry {
            date,
            units: Units::whole(units),
            code: None,
            occupational: Some(kind),
            source: Source::Society,
            title: String::new(),
        }
    }

    #[test]
    fn twenty_units_with_each_kind_renew() {
        let from = date!(2022 - 04 - 01);
        let to = date!(2027 - 03 - 31);
        let mut e = vec![
            entry(date!(2022 - 05 - 01), 1, Occupational::Update),
            entry(date!(2023 - 05 - 01), 1, Occupational::Practice),
            entry(date!(2024 - 05 - 01), 18, Occupational::Specialist),
        ];
        assert!(renewal(&e, from, to).met);
        // Without 実地: 20 units, still not renewed.
        e[1].occupational = Some(Occupational::Specialist);
        let r = renewal(&e, from, to);
        assert_eq!((r.units, r.met), (Units::whole(20), false));
        // 基礎研修 and credits outside the period do not count.
        let e = vec![
            entry(date!(2022 - 03 - 31), 5, Occupational::Update),
            entry(date!(2023 - 05 - 01), 30, Occupational::Basic),
            entry(date!(2023 - 05 - 01), 1, Occupational::Update),
            entry(date!(2023 - 05 - 01), 1, Occupational::Practice),
            entry(date!(2027 - 03 - 31), 17, Occupational::Specialist),
        ];
        let r = renewal(&e, from, to);
        assert_eq!((r.units, r.met), (Units::whole(19), false));
    }
}
