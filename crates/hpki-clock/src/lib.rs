//! The one clock of hpki, and the one place that knows Japan Standard Time.
//!
//! Engines (the CA, the registration authority, the archive, the cards) and the binary never read
//! the system time themselves: they are given a [`Clock`]. In production that is [`SystemClock`];
//! in tests a [`FixedClock`] that moves only when the test moves it, so a rule about "one second
//! later", "the 4th day" or "after the retention period" is tested without waiting.
//!
//! The `hpki` binary takes its clock from [`from_env`]: the system's, except in a debug build
//! (the one `cargo test` runs) where `HPKI_TEST_CLOCK` names a file holding the time, so that a
//! scenario test moves the time of every process it starts (server and commands) by rewriting one
//! file. A release build ignores the variable.
//!
//! | item | what |
//! |---|---|
//! | [`Clock`], [`SharedClock`] | what an engine is given |
//! | [`SystemClock`] | the system's clock: the only reader of the system time in hpki |
//! | [`FixedClock`] | a clock a test sets and advances |
//! | [`from_env`] | the binary's clock |
//! | [`jst`] | Japan Standard Time: dates, fiscal years, display |
#![forbid(unsafe_code)]

use std::fmt;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Where the time comes from.
pub trait Clock: Send + Sync + fmt::Debug {
    /// Now.
    fn now(&self) -> SystemTime;

    /// Now in whole Unix seconds (what the records store); 0 before 1970.
    fn unix(&self) -> i64 {
        unix(self.now())
    }
}

/// A clock shared by the parts of one process.
pub type SharedClock = Arc<dyn Clock>;

/// Whole Unix seconds of `t` (0 before 1970, saturating far in the future).
pub fn unix(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// The time at whole Unix seconds `s` (the epoch for a negative `s`).
pub fn from_unix(s: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(u64::try_from(s).unwrap_or(0))
}

/// The system's clock.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// The system's clock, shared.
pub fn system() -> SharedClock {
    Arc::new(SystemClock)
}

/// A clock that stands still until it is set or advanced: cloned, it is the same clock.
#[derive(Clone, Debug)]
pub struct FixedClock(Arc<Mutex<SystemTime>>);

impl FixedClock {
    /// A clock standing at `t`.
    pub fn at(t: SystemTime) -> FixedClock {
        FixedClock(Arc::new(Mutex::new(t)))
    }

    /// A clock standing at whole Unix seconds `s`.
    pub fn at_unix(s: i64) -> FixedClock {
        FixedClock::at(from_unix(s))
    }

    /// A clock standing at the system's time of the moment it is made: for a test whose outside
    /// judges (openssl, pdfsig) compare validity with the real time, while the test itself
    /// moves the time only when it says so.
    pub fn starting_now() -> FixedClock {
        FixedClock::at(SystemClock.now())
    }

    /// Sets the time.
    pub fn set(&self, t: SystemTime) {
        if let Ok(mut g) = self.0.lock() {
            *g = t;
        }
    }

    /// Moves the time on by `d`.
    pub fn advance(&self, d: Duration) {
        if let Ok(mut g) = self.0.lock() {
            *g += d;
        }
    }

    /// This clock, to give to an engine.
    pub fn shared(&self) -> SharedClock {
        Arc::new(self.clone())
    }
}

impl Clock for FixedClock {
    fn now(&self) -> SystemTime {
        self.0.lock().map(|g| *g).unwrap_or(UNIX_EPOCH)
    }
}

/// The variable naming the test clock file of a debug build (see [`from_env`]).
pub const TEST_CLOCK_VAR: &str = "HPKI_TEST_CLOCK";

/// A clock read from a file holding whole Unix seconds, rewritten by a test to move the time of
/// every process that reads it. Only [`from_env`] of a debug build makes one.
#[derive(Clone, Debug)]
pub struct FileClock {
    path: PathBuf,
}

impl FileClock {
    /// The clock of the file at `path`.
    pub fn new(path: impl Into<PathBuf>) -> FileClock {
        FileClock { path: path.into() }
    }

    /// Writes `t` (whole seconds) to the file at `path`: the time of every process using it.
    pub fn write(path: &std::path::Path, t: SystemTime) -> std::io::Result<()> {
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, unix(t).to_string())?;
        std::fs::rename(tmp, path)
    }
}

impl Clock for FileClock {
    /// The file's time; the system's when the file cannot be read (a test that forgot to write
    /// it sees the real time, never the epoch).
    fn now(&self) -> SystemTime {
        std::fs::read_to_string(&self.path)
            .ok()
            .and_then(|s| s.trim().parse::<i64>().ok())
            .map(from_unix)
            .unwrap_or_else(SystemTime::now)
    }
}

/// The clock of the `hpki` binary: the system's; in a debug build, the file `HPKI_TEST_CLOCK`
/// names when it is set (scenario tests). A release build never reads the variable, so a
/// production CA, TSA or OCSP responder cannot be made to lie about the time through its
/// environment.
pub fn from_env() -> SharedClock {
    if cfg!(debug_assertions)
        && let Some(path) = std::env::var_os(TEST_CLOCK_VAR)
    {
        return Arc::new(FileClock::new(path));
    }
    system()
}

/// Japan Standard Time (UTC+9, no daylight saving time): the one place that knows it.
pub mod jst {
    use std::time::SystemTime;

    use time::{Date, Month, OffsetDateTime, UtcOffset};

    /// UTC+9.
    pub const OFFSET: UtcOffset = time::macros::offset!(+9);

    /// `t` in Japan.
    pub fn datetime(t: SystemTime) -> OffsetDateTime {
        OffsetDateTime::from(t).to_offset(OFFSET)
    }

    /// Whole Unix seconds `s` in Japan.
    pub fn datetime_unix(s: i64) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(s)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH)
            .to_offset(OFFSET)
    }

    /// The date in Japan at `t`.
    pub fn date(t: SystemTime) -> Date {
        datetime(t).date()
    }

    /// The fiscal year (April–March, named by the year it starts) of `date`.
    pub fn fiscal_year(date: Date) -> i32 {
        if date.month() < Month::April {
            date.year() - 1
        } else {
            date.year()
        }
    }

    /// RFC 3339 in Japan, whole seconds (`2026-12-06T04:50:29+09:00`).
    pub fn rfc3339_unix(s: i64) -> String {
        let t = datetime_unix(s);
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}+09:00",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fixed_clock_moves_only_when_told() {
        let c = FixedClock::at_unix(1_800_000_000);
        let shared = c.shared();
        assert_eq!(shared.unix(), 1_800_000_000);
        c.advance(Duration::from_secs(1));
        assert_eq!(shared.unix(), 1_800_000_001);
        c.set(from_unix(5));
        assert_eq!(shared.unix(), 5);
    }

    #[test]
    fn a_file_clock_reads_its_file_and_falls_back_to_the_system() {
        let dir = std::env::temp_dir().join(format!("hpki-clock-{}", std::process::id()));
        std::fs::create_dir_all(&dir).ok();
        let path = dir.join("now");
        let c = FileClock::new(&path);
        assert!(unix(c.now()) > 1_700_000_000, "no file: the system's time");
        FileClock::write(&path, from_unix(1_900_000_000)).ok();
        assert_eq!(c.unix(), 1_900_000_000);
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn japan_standard_time() {
        // 2026-03-31T15:00:00Z is 2026-04-01 00:00 in Japan: fiscal year 2026 begins.
        let t = from_unix(1_774_969_200);
        assert_eq!(jst::date(t).to_string(), "2026-04-01");
        assert_eq!(jst::fiscal_year(jst::date(t)), 2026);
        assert_eq!(jst::fiscal_year(jst::date(from_unix(1_774_969_199))), 2025);
        assert_eq!(
            jst::rfc3339_unix(1_774_969_200),
            "2026-04-01T00:00:00+09:00"
        );
    }
}
