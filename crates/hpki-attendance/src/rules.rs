//! The attendance rules, configurable per deployment (`[attendance]` in the configuration), with
//! the defaults of practice: entry on time means at most 10 minutes after the talk starts, exit
//! at most 10 minutes before it ends; taps of one card within 60 seconds are one tap; a doctor
//! who came late or left early gets the units of the time present, in steps of 0.5.

/// How taps become credits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Rules {
    /// The tap window around a talk's start and end, seconds: an entry no later than
    /// start + window and an exit no earlier than end − window count as the whole talk.
    pub window_secs: i64,
    /// Taps of the same card closer than this, seconds, are one tap (a card held to the reader
    /// twice, or read by two readers at one door).
    pub duplicate_secs: i64,
    /// A doctor outside the window earns the units of the time present in the talk (0.5 per
    /// full 30 minutes, at most the talk's units); when false, nothing for that talk.
    pub partial_credit: bool,
    /// Taps this long before the event's first talk or after its last, seconds, are still the
    /// event's; outside it a tap is kept and flagged.
    pub event_margin_secs: i64,
}

impl Default for Rules {
    fn default() -> Rules {
        Rules {
            window_secs: 10 * 60,
            duplicate_secs: 60,
            partial_credit: true,
            event_margin_secs: 2 * 3600,
        }
    }
}
