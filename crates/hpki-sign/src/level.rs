//! What every signature format takes: who signs, at which baseline level, and the outside
//! sources the higher levels need.
//!
//! The levels are those of the ETSI baseline profiles (CAdES EN 319 122-1 §6, PAdES
//! EN 319 142-1 §6, XAdES EN 319 132-1 §6), which the JAHIS HPKI signature standards for
//! medical documents follow (ES-T / ES-XL / ES-A in JIS X 5092/5093 terms):
//!
//! | level | adds | JIS / old ETSI name |
//! |---|---|---|
//! | B-B | the signature with signing-certificate-v2 | BES |
//! | B-T | a signature time-stamp (RFC 3161) | ES-T |
//! | B-LT | the certificates and revocation data of the signer's and the TSA's chains | ES-XL |
//! | B-LTA | an archive time-stamp over all of it | ES-A |

use std::time::SystemTime;

use hpki_keys::Signer;
use x509_cert::Certificate;

use crate::SignError;
use crate::ltv::{TimeStamper, ValidationSource};

/// A baseline signature level.
#[derive(Clone, Copy, Debug, Eq, PartialEq, Hash, PartialOrd, Ord)]
pub enum Level {
    /// B-B: basic signature.
    B,
    /// B-T: with a signature time-stamp.
    T,
    /// B-LT: with the validation data.
    Lt,
    /// B-LTA: with an archive time-stamp.
    Lta,
}

impl Level {
    /// Parses `b`, `t`, `lt`, `lta` (case-insensitive, `B-LT` accepted).
    pub fn parse(s: &str) -> Option<Level> {
        match s.to_ascii_lowercase().trim_start_matches("b-") {
            "b" => Some(Level::B),
            "t" => Some(Level::T),
            "lt" => Some(Level::Lt),
            "lta" => Some(Level::Lta),
            _ => None,
        }
    }

    /// The level a signature's structure reaches (ETSI EN 319 122-1 / 319 142-1 §4, the
    /// baseline levels): B-T with a signature time-stamp, B-LT when validation data (CRLs or
    /// OCSP responses) is carried as well, B-LTA with an archive time-stamp on top. What is
    /// found, not what verifies.
    pub fn of_structure(
        signature_time_stamp: bool,
        validation_data: bool,
        archive_time_stamp: bool,
    ) -> Level {
        match (signature_time_stamp, validation_data, archive_time_stamp) {
            (false, _, _) => Level::B,
            (true, false, _) => Level::T,
            (true, true, false) => Level::Lt,
            (true, true, true) => Level::Lta,
        }
    }

    /// The ETSI name, `B-B` … `B-LTA`.
    pub fn name(self) -> &'static str {
        match self {
            Level::B => "B-B",
            Level::T => "B-T",
            Level::Lt => "B-LT",
            Level::Lta => "B-LTA",
        }
    }
}

/// Who signs and with what sources.
pub struct SignContext<'a> {
    /// The signer's key (software, HSM or the doctor's card).
    pub signer: &'a dyn Signer,
    /// The signer's certificate.
    pub certificate: &'a Certificate,
    /// Its issuers, to include in the signature (B-B carries at least the signer's certificate).
    pub chain: &'a [Certificate],
    /// The claimed signing time (signing-time attribute; B-T proves the time with a token).
    pub signing_time: SystemTime,
    /// The TSA, for B-T and above.
    pub time_stamper: Option<&'a dyn TimeStamper>,
    /// The validation data source, for B-LT and above.
    pub validation: Option<&'a dyn ValidationSource>,
}

impl SignContext<'_> {
    /// The TSA, or the error that `level` needs one.
    pub fn time_stamper_for(&self, level: Level) -> Result<&dyn TimeStamper, SignError> {
        self.time_stamper
            .ok_or_else(|| SignError::NeedsTimeStamper(level.name()))
    }

    /// The validation source, or the error that `level` needs one.
    pub fn validation_for(&self, level: Level) -> Result<&dyn ValidationSource, SignError> {
        self.validation
            .ok_or_else(|| SignError::NeedsValidationData(level.name()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_structure_reaches_the_level_of_what_it_holds_in_order() {
        assert_eq!(Level::of_structure(false, true, true), Level::B);
        assert_eq!(Level::of_structure(true, false, false), Level::T);
        // An archive time-stamp without validation data is not B-LTA.
        assert_eq!(Level::of_structure(true, false, true), Level::T);
        assert_eq!(Level::of_structure(true, true, false), Level::Lt);
        assert_eq!(Level::of_structure(true, true, true), Level::Lta);
    }

    #[test]
    fn levels_parse_in_both_spellings_and_order() {
        assert_eq!(Level::parse("lt"), Some(Level::Lt));
        assert_eq!(Level::parse("B-LTA"), Some(Level::Lta));
        assert_eq!(Level::parse("x"), None);
        assert!(Level::B < Level::T && Level::Lt < Level::Lta);
    }
}
