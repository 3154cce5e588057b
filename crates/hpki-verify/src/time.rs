//! Time conversions between X.509 times and `SystemTime`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// An X.509 `Time` (UTCTime or GeneralizedTime, RFC 5280 §4.1.2.5) as `SystemTime`.
pub(crate) fn from_x509(t: &x509_cert::time::Time) -> SystemTime {
    UNIX_EPOCH + t.to_unix_duration()
}

/// A `GeneralizedTime` as `SystemTime`.
pub(crate) fn from_generalized(t: &der::asn1::GeneralizedTime) -> SystemTime {
    UNIX_EPOCH + t.to_unix_duration()
}

/// Whole seconds since the Unix epoch (0 before it).
pub(crate) fn unix_secs(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// `SystemTime` from whole Unix seconds.
pub fn from_unix_secs(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

/// RFC 3339 in UTC, whole seconds: `2026-11-30T09:15:00Z`.
pub fn display(t: SystemTime) -> String {
    match der::DateTime::from_system_time(t) {
        Ok(dt) => dt.to_string(),
        Err(_) => format!("{} seconds after 1970-01-01T00:00:00Z", unix_secs(t)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_rfc3339_utc() {
        assert_eq!(display(from_unix_secs(0)), "1970-01-01T00:00:00Z");
        assert_eq!(
            display(from_unix_secs(1_798_675_200)),
            "2026-12-31T00:00:00Z"
        );
    }
}
