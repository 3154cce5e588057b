//! A doctor's taps at one event become stays: the first tap is the entry, the next the exit,
//! and so on; taps closer together than [`Rules::duplicate_secs`] are one tap. A last entry
//! without an exit is kept as an incomplete stay (the doctor forgot to tap out, or is still in
//! the hall): it earns nothing until the exit arrives, and reconciliation lists it.
//!
//! Taps are ordered by the reader's own time, not by arrival: a reader's offline queue uploads
//! later, and the stays come out the same.

use crate::Rules;

/// What one tap was, once ordered among the card's other taps at the event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TapRole {
    /// 受付 (入場).
    Entry,
    /// 退出.
    Exit,
    /// Within the duplicate interval of the tap before it: merged.
    Duplicate,
}

/// One stay in the hall.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Stay {
    /// Entry, Unix seconds.
    pub entry: i64,
    /// Exit, Unix seconds; none when the doctor has not tapped out (yet).
    pub exit: Option<i64>,
}

/// The role of each tap (`taps` in any order; the answer in the same order as `taps`).
pub fn roles(taps: &[i64], rules: &Rules) -> Vec<TapRole> {
    let mut order: Vec<usize> = (0..taps.len()).collect();
    order.sort_by_key(|&i| (taps[i], i));
    let mut roles = vec![TapRole::Duplicate; taps.len()];
    let mut last_kept: Option<i64> = None;
    let mut inside = false;
    for i in order {
        let at = taps[i];
        if last_kept.is_some_and(|last| at - last < rules.duplicate_secs) {
            continue;
        }
        roles[i] = if inside {
            TapRole::Exit
        } else {
            TapRole::Entry
        };
        inside = !inside;
        last_kept = Some(at);
    }
    roles
}

/// The stays that `taps` (any order) make, in time order.
pub fn stays(taps: &[i64], rules: &Rules) -> Vec<Stay> {
    let mut sorted = taps.to_vec();
    sorted.sort_unstable();
    let roles = roles(&sorted, rules);
    let mut stays = Vec::new();
    for (at, role) in sorted.into_iter().zip(roles) {
        match role {
            TapRole::Entry => stays.push(Stay {
                entry: at,
                exit: None,
            }),
            TapRole::Exit => {
                if let Some(stay) = stays.last_mut() {
                    stay.exit = Some(at);
                }
            }
            TapRole::Duplicate => {}
        }
    }
    stays
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60;

    #[test]
    fn taps_alternate_entry_and_exit_and_a_last_entry_stays_open() {
        let r = Rules::default();
        let s = stays(&[0, 50 * MIN, 60 * MIN], &r);
        assert_eq!(
            s,
            vec![
                Stay {
                    entry: 0,
                    exit: Some(50 * MIN)
                },
                Stay {
                    entry: 60 * MIN,
                    exit: None
                }
            ]
        );
    }

    #[test]
    fn taps_within_the_duplicate_interval_are_one_tap() {
        let r = Rules::default();
        assert_eq!(
            roles(&[0, 59, 60, 3600], &r),
            vec![
                TapRole::Entry,
                TapRole::Duplicate,
                TapRole::Exit,
                TapRole::Entry
            ]
        );
        // A burst: each within 60 s of the first kept tap is merged; 60 s after it is the next.
        assert_eq!(
            stays(&[0, 10, 20, 30], &r),
            vec![Stay {
                entry: 0,
                exit: None
            }]
        );
    }

    #[test]
    fn the_order_of_arrival_does_not_matter() {
        let r = Rules::default();
        let in_order = stays(&[0, 3600, 7200, 9000], &r);
        assert_eq!(stays(&[9000, 0, 7200, 3600], &r), in_order);
        assert_eq!(
            roles(&[3600, 0], &r),
            vec![TapRole::Exit, TapRole::Entry],
            "roles answer in the order asked"
        );
    }
}
