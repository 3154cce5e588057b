//! CMS signatures for HPKI documents, made with any [`hpki_keys::Signer`] (a software key, an
//! HSM, the doctor's IC card), and RFC 3161 time-stamp tokens.
//!
//! - [`cms`]: the reusable core. [`cms::SignedDataBuilder`] builds an RFC 5652 §5 `SignedData`
//!   (encapsulated or detached content) with signed attributes content-type, message-digest,
//!   signing-time, ESS signing-certificate-v2 (RFC 5035) and any others, the certificates and
//!   CRLs to carry, and unsigned attributes (e.g. a signature time-stamp, added later with
//!   [`cms::add_unsigned_attribute`]). [`cms::parse_content_info`] /
//!   [`cms::parse_signed_data`] read one back keeping the exact signed-attribute bytes, and
//!   [`cms::verify_signer_info`] checks one signer: the signature over the DER `SET OF`
//!   signed attributes, the message digest, the content type and the ESS binding to the
//!   certificate. Certificate path validation is not done here (see `hpki-verify`).
//! - [`tsp`]: the pure part of an RFC 3161 TSA (checking a request, the `TSTInfo`, signing the
//!   token with the CMS core) and the verification of a token against the time-stamped data.
//! - [`cades`]: CAdES baseline signatures B-B … B-LTA (ETSI EN 319 122-1), detached or
//!   enveloping, with the archive-time-stamp-v3 that can be renewed; and their inspection.
//! - [`xades`]: XAdES signatures (ETSI TS 101 903 v1.3.2 / EN 319 132-1) B-B … B-LTA, enveloped,
//!   detached and the Japanese e-prescription (電子処方箋) layout, with exclusive C14N; the
//!   archive time-stamp can be renewed; and their inspection and XML-DSig core verification.
//! - [`pades`]: PAdES baseline signatures B-B … B-LTA (ETSI EN 319 142-1) in PDF incremental
//!   updates, with the DSS and renewable document time-stamps; visible appearance optional.
//! - [`level`]: the baseline levels B-B … B-LTA and the [`SignContext`] every format takes.
//! - [`ltv`]: what long-term levels take from outside — the [`ltv::TimeStamper`] and
//!   [`ltv::ValidationSource`] traits (implemented over HTTP by `hpki-fetch`).
//! - [`digest`]: the hash algorithms (SHA-256/384/512, RFC 5754 identifiers).
//! - [`signature`]: verification of a signature value by `AlgorithmIdentifier` (aws-lc-rs).
//!
//! Pure: no I/O, no clock (times are parameters), no hand-made cryptography (sha2, aws-lc-rs).
#![forbid(unsafe_code)]

pub mod cades;
pub mod cms;
pub mod digest;
mod error;
pub mod level;
pub mod ltv;
pub mod pades;
pub mod signature;
pub mod tsp;
pub mod xades;

pub use digest::DigestAlgorithm;
pub use error::SignError;
pub use level::{Level, SignContext};
