//! RFC 5280 §4.1.2.5 time encoding: UTCTime through 2049, GeneralizedTime from 2050.

use std::time::Duration;

use der::DateTime;
use der::asn1::{GeneralizedTime, UtcTime};
use x509_cert::time::Time;

/// Encode a Unix time (whole seconds) as RFC 5280 requires.
pub fn x509_time(unix_seconds: u64) -> der::Result<Time> {
    let dt = DateTime::from_unix_duration(Duration::from_secs(unix_seconds))?;
    if dt.year() < 2050 {
        Ok(Time::UtcTime(UtcTime::from_date_time(dt)?))
    } else {
        Ok(Time::GeneralTime(GeneralizedTime::from_date_time(dt)))
    }
}

/// Whether a `Time` uses the encoding RFC 5280 requires for its year.
pub fn has_rfc5280_encoding(t: &Time) -> bool {
    match t {
        Time::UtcTime(u) => u.to_date_time().year() < 2050,
        Time::GeneralTime(g) => g.to_date_time().year() >= 2050,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utctime_through_2049_generalizedtime_from_2050() {
        // 2049-12-31T23:59:59Z and 2050-01-01T00:00:00Z
        assert!(matches!(
            x509_time(2_524_607_999).unwrap(),
            Time::UtcTime(_)
        ));
        assert!(matches!(
            x509_time(2_524_608_000).unwrap(),
            Time::GeneralTime(_)
        ));
    }
}
