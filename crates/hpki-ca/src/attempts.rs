//! Limits on guessing a custodian's passphrase: failures in a row lock that custodian for a
//! while (OWASP Authentication Cheat Sheet, "Account Lockout"), the same rule as the
//! officers' sign-in (`hpki_registration::auth`).
//!
//! Each attempt is taken ([`AttemptLimit::claim`]) before the passphrase is checked, so parallel
//! guesses are counted one by one and no more than [`MAX_FAILURES`] are ever checked between
//! two locks. The count lives in the server process: a restart clears it (restarting the CA
//! server needs the operator already).

use std::collections::HashMap;
use std::sync::Mutex;

/// Failures in a row that lock a custodian.
pub const MAX_FAILURES: u32 = 5;
/// How long the lock lasts, seconds.
pub const LOCKOUT_SECONDS: u64 = 15 * 60;

/// The failure counts of every name tried.
#[derive(Debug, Default)]
pub struct AttemptLimit {
    state: Mutex<HashMap<String, Count>>,
}

#[derive(Debug, Default, Clone, Copy)]
struct Count {
    failures: u32,
    locked_until: Option<u64>,
}

/// One attempt taken by [`AttemptLimit::claim`]: settle it with [`AttemptLimit::settle`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attempt {
    /// Its number among the failures in a row.
    pub number: u32,
    /// The lock this attempt set, being the last allowed (lifted if it succeeds).
    pub locks_until: Option<u64>,
}

impl AttemptLimit {
    /// Takes an attempt for `name` at `now` (Unix seconds), or says until when `name` is locked.
    pub fn claim(&self, name: &str, now: u64) -> Result<Attempt, u64> {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let count = state.entry(name.to_owned()).or_default();
        match count.locked_until {
            Some(until) if until > now => return Err(until),
            Some(_) => *count = Count::default(),
            None => {}
        }
        count.failures += 1;
        let locks_until = (count.failures >= MAX_FAILURES).then_some(now + LOCKOUT_SECONDS);
        count.locked_until = locks_until;
        Ok(Attempt {
            number: count.failures,
            locks_until,
        })
    }

    /// Records how `attempt` of `name` ended: a success clears the count and the lock unless a
    /// later attempt was taken meanwhile; a failure was counted when it was taken.
    pub fn settle(&self, name: &str, attempt: Attempt, succeeded: bool) {
        if !succeeded {
            return;
        }
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if state
            .get(name)
            .is_some_and(|c| c.failures == attempt.number)
        {
            state.remove(name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fifth_failure_locks_and_the_lock_runs_out() {
        let limit = AttemptLimit::default();
        for n in 1..MAX_FAILURES {
            let a = limit.claim("bob", 100).unwrap();
            assert_eq!((a.number, a.locks_until), (n, None));
            limit.settle("bob", a, false);
        }
        let last = limit.claim("bob", 100).unwrap();
        assert_eq!(last.locks_until, Some(100 + LOCKOUT_SECONDS));
        limit.settle("bob", last, false);
        assert_eq!(limit.claim("bob", 101), Err(100 + LOCKOUT_SECONDS));
        assert!(
            limit.claim("alice", 101).is_ok(),
            "one custodian's lock only"
        );
        let after = limit.claim("bob", 100 + LOCKOUT_SECONDS).unwrap();
        assert_eq!(after.number, 1, "a lock that ran out starts a new count");
    }

    #[test]
    fn parallel_attempts_are_counted_before_they_are_checked() {
        let limit = AttemptLimit::default();
        let taken: Vec<_> = (0..40).filter_map(|_| limit.claim("bob", 5).ok()).collect();
        assert_eq!(taken.len(), MAX_FAILURES as usize);
        // The right passphrase among them (an early one) does not lift the lock a later one set.
        limit.settle("bob", taken[1], true);
        assert!(limit.claim("bob", 6).is_err());
        // The last one allowed succeeding does.
        let limit = AttemptLimit::default();
        let a = limit.claim("carol", 5).unwrap();
        limit.settle("carol", a, true);
        assert_eq!(limit.claim("carol", 5).unwrap().number, 1);
    }
}
