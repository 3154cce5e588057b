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
//! - [`level`]: the baseline levels B-B … B-LTA and the [`SignContext`] every format takes.
//! - [`ltv`]: what long-term levels take from outside — the [`ltv::TimeStamper`] and
//!   [`ltv::ValidationSource`] traits (implemented over HTTP by `hpki-fetch`).
//! - [`digest`]: the hash algorithms (SHA-256/384/512, RFC 5754 identifiers).
//! - [`signature`]: verification of a signature value by `AlgorithmIdentifier` (aws-lc-rs).
//!
//! Pure: no I/O, no clock (times are parameters), no hand-made cryptography (sha2, aws-lc-rs).
#![forbid(unsafe_code)]

pub mod cms;
pub mod digest;
mod error;
pub mod level;
pub mod ltv;
pub mod signature;
pub mod tsp;

pub use digest::DigestAlgorithm;
pub use error::SignError;
pub use level::{Level, SignContext};
