//! Certificate path validation for relying parties of HPKI (the healthcare PKI of Japan): is
//! this the person's certificate, does it chain to the MHLW HPKI root under the expected
//! policy, was it revoked, and what qualification (hcRole) does it state.
//!
//! - [`validate_path`]: RFC 5280 §6.1 path validation with certificate-policy processing
//!   (the RFC 9618 policy graph), by certval, with signatures verified by aws-lc-rs
//!   ([`signature`]); the path is built from the leaf through the given intermediates to one of
//!   the given trust anchors. Errors name the certificate and the rule: [`PathError`].
//! - [`check_revocation`]: the status of each certificate of a validated path at a given time,
//!   from CRLs (RFC 5280 §6.3) and OCSP responses (RFC 6960) passed as bytes: [`revocation`].
//! - [`hc_roles`] and [`Subscriber`]: the ISO 17090 hcRole and the subscriber's names and ID.
//! - [`input`]: certificates, CRLs and OCSP responses from PEM or DER.
//! - [`document`]: signed documents — CAdES, PAdES, XAdES, B-B … B-LTA — verified on top of
//!   `hpki-sign`'s readers: integrity, time-stamps, the signer's path at the proven time and
//!   now, hcRole, the level reached; the [`document::Report`] in Japanese, English and JSON.
//! - [`end_entity_policy`]: the certificate policies an end entity asserts, for the HPKI
//!   relying party's policy check of signed documents.
//! - [`dn`]: distinguished names as RFC 4514 text for reports and errors.
//!
//! Pure: no network, no files, no clock (the caller says when "now" is: [`PathOptions::at`],
//! [`document::VerifyOptions::at`]); the only state
//! is the bounded process memos of [`memo`] (decoded certificates and CRLs, validated paths,
//! signatures that verified), keyed by the bytes they were computed from, which answer exactly
//! what computing again would. Signature
//! verifiers (CAdES, PAdES, XAdES) validate at the time their timestamps prove by setting
//! [`PathOptions::at`] and passing the same time to [`check_revocation`].
//!
//! ```no_run
//! # fn demo(leaf: x509_cert::Certificate, ca: x509_cert::Certificate, root: x509_cert::Certificate,
//! #         crl: Vec<u8>) -> Result<(), hpki_verify::PathError> {
//! use hpki_verify::{PathOptions, RevocationData, RevocationScope, Subscriber};
//! let policy = const_oid::ObjectIdentifier::new_unwrap("1.2.392.100495.1.5.1.1.0.1");
//! let now = hpki_clock::Clock::now(&hpki_clock::SystemClock);
//! let options = PathOptions::requiring_policies(now, &[policy]);
//! let path = hpki_verify::validate_path(&leaf, &[ca], &[root], &options)?;
//! let data = RevocationData { crls: vec![crl], ..Default::default() };
//! hpki_verify::check_revocation(&path, &data, options.at).require(RevocationScope::Leaf)?;
//! let who = Subscriber::from_certificate(path.leaf()).expect("readable");
//! println!("{:?} is a {}", who.name_kanji, who.roles[0]);
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]

mod build;
pub mod dn;
pub mod document;
pub mod end_entity_policy;
mod error;
pub mod input;
pub mod memo;
mod path;
pub mod revocation;
pub mod signature;
mod subscriber;
pub mod time;

pub use error::PathError;
pub use path::{
    ID_CE_SUBJECT_DIRECTORY_ATTRIBUTES, PathOptions, ValidPath, validate_path, validate_path_der,
};
pub use revocation::{
    CertificateStatus, Responder, Revocation, RevocationData, RevocationReport, RevocationScope,
    RevocationStatus, StatusSource, check_revocation,
};
pub use subscriber::{
    ContentError, HcRole, Subscriber, hc_roles, hc_roles_of, subject_directory_attributes,
};
