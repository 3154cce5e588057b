//! Dates of the retention period, counted as Japanese law counts periods in years, in Japan
//! Standard Time; and the times an operator types and reads.
//!
//! A period of N years from a document (民法第140条: the first day is not counted; 第143条:
//! a period in years ends on the day before the day of the last year corresponding to the
//! first counted day, or, when that month has no such day, on the month's last day) ends at
//! the end of the day N years after the document's day. So a document of 2026-04-01 kept
//! 5 years may be deleted from 2031-04-02 00:00 JST; one of 2028-02-28 (the day after is
//! 2028-02-29, with no corresponding day in 2033) from 2033-03-01 00:00 JST.

use hpki_text::Text;
use time::{Date, Month, OffsetDateTime, Time};

use crate::ArchiveError;

/// Japan Standard Time, UTC+9 (no daylight saving).
pub use hpki_clock::jst::OFFSET as JST;

/// The first moment (Unix seconds, 00:00 JST) a document of `from` (Unix seconds) kept
/// `years` years may be deleted.
///
/// # Errors
/// [`ArchiveError::Time`] for a time outside the calendar `time` handles.
pub fn retain_until(from: i64, years: u32) -> Result<i64, ArchiveError> {
    let out_of_range = || {
        ArchiveError::Time(Text::new(
            format!("{from} から {years} 年後は扱える範囲外です"),
            format!("{from} + {years} years is out of range"),
        ))
    };
    let day = OffsetDateTime::from_unix_timestamp(from)
        .map_err(|_| out_of_range())?
        .to_offset(JST)
        .date();
    // 民法第140条: the period starts the next day.
    let first = day.next_day().ok_or_else(out_of_range)?;
    let year = first
        .year()
        .checked_add(i32::try_from(years).map_err(|_| out_of_range())?)
        .ok_or_else(out_of_range)?;
    // 第143条第2項: it ends the day before the corresponding day; with no corresponding day
    // (29 February), at the end of the month — deletion from the 1st of the next month.
    let deletable = match Date::from_calendar_date(year, first.month(), first.day()) {
        Ok(d) => d,
        Err(_) => {
            let next = first.month().next();
            let year = if next == Month::January {
                year + 1
            } else {
                year
            };
            Date::from_calendar_date(year, next, 1).map_err(|_| out_of_range())?
        }
    };
    Ok(deletable
        .with_time(Time::MIDNIGHT)
        .assume_offset(JST)
        .unix_timestamp())
}

/// `unix` in RFC 3339 with the JST offset, e.g. `2031-04-02T00:00:00+09:00`.
pub fn format_jst(unix: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| {
            t.to_offset(JST)
                .format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| unix.to_string())
}

/// The date of `unix` in JST, `YYYY-MM-DD`.
pub fn date_jst(unix: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix)
        .map(|t| {
            let d = t.to_offset(JST).date();
            format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
        })
        .unwrap_or_else(|_| unix.to_string())
}

/// A time as an operator types it: RFC 3339 (`2036-01-01T09:00:00+09:00`,
/// `2036-01-01T00:00:00Z`) or a date (`2036-01-01`, meaning 00:00 JST); Unix seconds.
///
/// # Errors
/// [`ArchiveError::Time`] for anything else.
pub fn parse_time(s: &str) -> Result<i64, ArchiveError> {
    let s = s.trim();
    if let Ok(t) = OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339) {
        return Ok(t.unix_timestamp());
    }
    let date_format = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(s, &date_format)
        .map(|d| {
            d.with_time(Time::MIDNIGHT)
                .assume_offset(JST)
                .unix_timestamp()
        })
        .map_err(|_| {
            ArchiveError::Time(Text::new(
                format!("日時 {s:?} は RFC 3339 か YYYY-MM-DD で指定してください"),
                format!("not an RFC 3339 time or a YYYY-MM-DD date: {s:?}"),
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> i64 {
        parse_time(s).unwrap()
    }

    #[test]
    fn periods_end_as_the_civil_code_counts_them() {
        // Signed 2026-04-01 10:00 JST, 5 years: deletable from 2031-04-02 00:00 JST.
        assert_eq!(
            format_jst(retain_until(at("2026-04-01T10:00:00+09:00"), 5).unwrap()),
            "2031-04-02T00:00:00+09:00"
        );
        // 23:30 UTC on 31 March is already 1 April in Japan.
        assert_eq!(
            retain_until(at("2026-03-31T23:30:00Z"), 5).unwrap(),
            at("2031-04-02")
        );
        // The last day of the year: the period starts on 1 January.
        assert_eq!(
            retain_until(at("2026-12-31T12:00:00+09:00"), 3).unwrap(),
            at("2030-01-01")
        );
        // From 28 February of a leap year: the first day is 29 February, which 2033 lacks,
        // so the period ends on 28 February 2033 and deletion starts on 1 March.
        assert_eq!(
            retain_until(at("2028-02-28T15:00:00+09:00"), 5).unwrap(),
            at("2033-03-01")
        );
        // To a leap year from 28 February of one: 29 February exists there.
        assert_eq!(
            retain_until(at("2028-02-28T15:00:00+09:00"), 4).unwrap(),
            at("2032-02-29")
        );
    }

    #[test]
    fn times_parse_in_both_forms_and_print_in_jst() {
        assert_eq!(at("2036-01-01"), at("2035-12-31T15:00:00Z"));
        assert_eq!(format_jst(at("2036-01-01")), "2036-01-01T00:00:00+09:00");
        assert_eq!(date_jst(at("2035-12-31T15:00:00Z")), "2036-01-01");
        assert!(matches!(
            parse_time("yesterday"),
            Err(ArchiveError::Time(_))
        ));
    }
}
