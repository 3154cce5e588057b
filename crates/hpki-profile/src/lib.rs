//! HPKI certificate profiles and the lints every certificate passes before it is signed.
//!
//! - [`roles`]: the HPKI role table (Japanese name ↔ hcRole string), configuration, not code.
//! - [`subject`]: the subscriber JSON a registration officer supplies, validated.
//! - [`profile`]: the five certificate profiles of an HPKI CA (root, issuing CA, OCSP responder,
//!   end-entity signing, end-entity authentication) turned into a `TBSCertificate`.
//! - [`lint`]: checks of a `TBSCertificate` against its profile; issuance stops on any finding,
//!   as Boulder's linting does.
//! - [`key`]: which subject public keys HPKI accepts.
//! - [`time`]: RFC 5280 time encoding.
//!
//! Pure: no I/O, no private keys.
#![forbid(unsafe_code)]

pub mod key;
pub mod lint;
pub mod name;
pub mod profile;
pub mod roles;
pub mod subject;
pub mod time;

pub use profile::{CertificateProfile, TbsParams, build_tbs};

/// Errors of building a certificate from a profile.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    /// A DER structure could not be encoded.
    #[error("DER encoding error: {0}")]
    Der(#[from] der::Error),
    /// A configured object identifier is not a valid dotted OID.
    #[error("invalid OID in configuration: {0:?}")]
    BadOid(String),
    /// The subject input is invalid.
    #[error(transparent)]
    Subject(#[from] subject::SubjectError),
}

impl Localized for ProfileError {
    fn text(&self) -> Text {
        match self {
            ProfileError::Der(f0) => Text::new(
                format!("DER 形式に符号化できません{}", hpki_text::DETAIL_IN_ENGLISH),
                format!("DER encoding error: {f0}"),
            ),
            ProfileError::BadOid(f0) => Text::new(
                format!("設定のOIDが不正です（{f0:?}）"),
                format!("invalid OID in configuration: {f0:?}"),
            ),
            ProfileError::Subject(e) => e.text(),
        }
    }
}

use hpki_text::{Localized, Text};
