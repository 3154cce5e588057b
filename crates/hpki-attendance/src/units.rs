//! Credits (単位) in steps of 0.5: one hour of a talk is one unit, thirty minutes half a unit.
//! Kept as a count of half units, so sums are exact.

use std::fmt;
use std::iter::Sum;
use std::ops::Add;

/// A number of units, a multiple of 0.5.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Units(u32);

impl Units {
    /// No units.
    pub const ZERO: Units = Units(0);

    /// `n` half units (`Units::halves(3)` is 1.5).
    pub const fn halves(n: u32) -> Units {
        Units(n)
    }

    /// `n` whole units.
    pub const fn whole(n: u32) -> Units {
        Units(n * 2)
    }

    /// The units that `minutes` of presence earn: 0.5 for every full 30 minutes (29 → 0,
    /// 30 → 0.5, 89 → 1.0, 90 → 1.5).
    pub fn for_minutes(minutes: i64) -> Units {
        Units(u32::try_from(minutes.max(0) / 30).unwrap_or(u32::MAX))
    }

    /// The count of half units.
    pub fn as_halves(self) -> u32 {
        self.0
    }

    /// Parses `"1"`, `"1.5"`, `"0.5"`; anything not a multiple of 0.5 is refused.
    pub fn parse(s: &str) -> Option<Units> {
        let s = s.trim();
        let (whole, frac) = match s.split_once('.') {
            Some((w, f)) => (w, f.trim_end_matches('0')),
            None => (s, ""),
        };
        let whole: u32 = if whole.is_empty() {
            0
        } else {
            whole.parse().ok()?
        };
        let half = match frac {
            "" => 0,
            "5" => 1,
            _ => return None,
        };
        whole.checked_mul(2)?.checked_add(half).map(Units)
    }

    /// The smaller of two.
    pub fn min(self, other: Units) -> Units {
        Units(self.0.min(other.0))
    }
}

impl Add for Units {
    type Output = Units;
    fn add(self, other: Units) -> Units {
        Units(self.0.saturating_add(other.0))
    }
}

impl Sum for Units {
    fn sum<I: Iterator<Item = Units>>(iter: I) -> Units {
        iter.fold(Units::ZERO, Add::add)
    }
}

/// `1.5`, `2`, `0.5`.
impl fmt::Display for Units {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_multiple_of(2) {
            write!(f, "{}", self.0 / 2)
        } else {
            write!(f, "{}.5", self.0 / 2)
        }
    }
}

impl serde::Serialize for Units {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(f64::from(self.0) / 2.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minutes_become_units_in_half_steps_at_the_boundaries() {
        assert_eq!(Units::for_minutes(29), Units::ZERO);
        assert_eq!(Units::for_minutes(30), Units::halves(1));
        assert_eq!(Units::for_minutes(59), Units::halves(1));
        assert_eq!(Units::for_minutes(60), Units::whole(1));
        assert_eq!(Units::for_minutes(89), Units::whole(1));
        assert_eq!(Units::for_minutes(90), Units::halves(3));
        assert_eq!(Units::for_minutes(-5), Units::ZERO);
    }

    #[test]
    fn units_are_written_and_read_as_people_write_them() {
        assert_eq!(Units::halves(3).to_string(), "1.5");
        assert_eq!(Units::whole(2).to_string(), "2");
        assert_eq!(Units::parse("1.5"), Some(Units::halves(3)));
        assert_eq!(Units::parse("2.0"), Some(Units::whole(2)));
        assert_eq!(Units::parse(".5"), Some(Units::halves(1)));
        assert_eq!(Units::parse("1.25"), None);
        assert_eq!(Units::parse("-1"), None);
        assert_eq!(serde_json::to_string(&Units::halves(3)).unwrap(), "1.5");
    }
}
