//! A talk (講演) of an event and the units one doctor earns for it.
//!
//! The rule (defaults in [`Rules`]): a doctor present from no later than start + window to no
//! earlier than end − window earns the talk's units; otherwise, with partial credit on, the
//! units of the minutes present inside the talk (0.5 per full 30 minutes, never more than the
//! talk's units). A talk without a curriculum code (開会挨拶, 休憩) earns nothing. Only complete
//! stays count: an entry without an exit earns nothing until the exit arrives.

use crate::presence::Stay;
use crate::{CurriculumCode, Rules, Units};

/// One talk.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Talk {
    /// Starts, Unix seconds.
    pub start: i64,
    /// Ends, Unix seconds.
    pub end: i64,
    /// Its curriculum code; none for greetings and breaks, which earn nothing.
    pub code: Option<CurriculumCode>,
    /// The units it is worth in full (set by the organiser; by default its length in half hours).
    pub units: Units,
}

impl Talk {
    /// The units a talk from `start` to `end` is worth by its length.
    pub fn units_for_length(start: i64, end: i64) -> Units {
        Units::for_minutes((end - start) / 60)
    }
}

/// How a doctor's credit for a talk came about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Present for the whole talk (within the window): the talk's units.
    Full,
    /// Late or left early: the units of the time present.
    Partial,
    /// Not present long enough (or partial credit is off).
    Nothing,
    /// A greeting or a break: not a credited talk.
    NotCredited,
}

/// The credit one doctor earns for one talk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct TalkCredit {
    /// Units earned.
    pub units: Units,
    /// Whole minutes present inside the talk (complete stays only).
    pub minutes_present: i64,
    /// How.
    pub outcome: Outcome,
}

/// The credit for `talk` of a doctor with `stays`.
pub fn credit(talk: &Talk, stays: &[Stay], rules: &Rules) -> TalkCredit {
    let present: i64 = stays
        .iter()
        .filter_map(|s| s.exit.map(|exit| (s.entry, exit)))
        .map(|(entry, exit)| (exit.min(talk.end) - entry.max(talk.start)).max(0))
        .sum();
    let minutes_present = present / 60;
    if talk.code.is_none() {
        return TalkCredit {
            units: Units::ZERO,
            minutes_present,
            outcome: Outcome::NotCredited,
        };
    }
    let whole = stays.iter().any(|s| {
        s.entry <= talk.start + rules.window_secs
            && s.exit
                .is_some_and(|exit| exit >= talk.end - rules.window_secs)
    });
    if whole {
        return TalkCredit {
            units: talk.units,
            minutes_present,
            outcome: Outcome::Full,
        };
    }
    let partial = if rules.partial_credit {
        Units::for_minutes(minutes_present).min(talk.units)
    } else {
        Units::ZERO
    };
    let outcome = if partial == Units::ZERO {
        Outcome::Nothing
    } else {
        Outcome::Partial
    };
    TalkCredit {
        units: partial,
        minutes_present,
        outcome,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60;

    /// A two-hour talk from 0 to 120 minutes, code 76 (糖尿病), worth 2 units.
    fn two_hours() -> Talk {
        Talk {
            start: 0,
            end: 120 * MIN,
            code: CurriculumCode::new(76),
            units: Units::whole(2),
        }
    }

    fn stay(entry_min: i64, exit_min: i64) -> Stay {
        Stay {
            entry: entry_min * MIN,
            exit: Some(exit_min * MIN),
        }
    }

    #[test]
    fn present_within_the_window_earns_the_whole_talk() {
        let r = Rules::default();
        for s in [stay(-30, 125), stay(10, 110), stay(0, 120)] {
            let c = credit(&two_hours(), &[s], &r);
            assert_eq!(
                (c.units, c.outcome),
                (Units::whole(2), Outcome::Full),
                "{s:?}"
            );
        }
    }

    #[test]
    fn one_minute_outside_the_window_is_partial_credit() {
        let r = Rules::default();
        let late = credit(&two_hours(), &[stay(11, 125)], &r);
        assert_eq!(
            (late.units, late.outcome, late.minutes_present),
            (Units::halves(3), Outcome::Partial, 109)
        );
        let early = credit(&two_hours(), &[stay(0, 109)], &r);
        assert_eq!(
            (early.units, early.outcome),
            (Units::halves(3), Outcome::Partial)
        );
    }

    #[test]
    fn minutes_present_at_29_30_89_90() {
        let r = Rules::default();
        let cases = [
            (29, Units::ZERO),
            (30, Units::halves(1)),
            (89, Units::whole(1)),
            (90, Units::halves(3)),
        ];
        for (minutes, units) in cases {
            // Arrives late (outside the window) and stays `minutes` minutes.
            let c = credit(&two_hours(), &[stay(120 - minutes, 130)], &r);
            assert_eq!(c.units, units, "{minutes} minutes");
            assert_eq!(c.minutes_present, minutes);
        }
    }

    #[test]
    fn without_partial_credit_late_means_nothing() {
        let r = Rules {
            partial_credit: false,
            ..Rules::default()
        };
        let c = credit(&two_hours(), &[stay(30, 120)], &r);
        assert_eq!((c.units, c.outcome), (Units::ZERO, Outcome::Nothing));
    }

    #[test]
    fn partial_credit_never_exceeds_the_talks_units() {
        let r = Rules::default();
        let talk = Talk {
            units: Units::whole(1),
            ..two_hours()
        };
        let c = credit(&talk, &[stay(11, 120)], &r);
        assert_eq!(c.units, Units::whole(1));
    }

    #[test]
    fn an_entry_without_exit_earns_nothing_and_stays_add_up() {
        let r = Rules::default();
        let open = Stay {
            entry: 0,
            exit: None,
        };
        assert_eq!(credit(&two_hours(), &[open], &r).outcome, Outcome::Nothing);
        // Out for a phone call in the middle: 0–50 and 70–130 → 110 minutes, not the whole talk.
        let c = credit(&two_hours(), &[stay(0, 50), stay(70, 130)], &r);
        assert_eq!(
            (c.minutes_present, c.units, c.outcome),
            (100, Units::halves(3), Outcome::Partial)
        );
    }

    #[test]
    fn greetings_and_breaks_earn_nothing() {
        let r = Rules::default();
        let greeting = Talk {
            code: None,
            ..two_hours()
        };
        assert_eq!(
            credit(&greeting, &[stay(0, 120)], &r).outcome,
            Outcome::NotCredited
        );
        assert_eq!(Talk::units_for_length(0, 90 * MIN), Units::halves(3));
    }
}
