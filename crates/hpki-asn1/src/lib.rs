//! ASN.1 types of the Japanese healthcare PKI (HPKI), mirroring their specifications one to one.
//!
//! - [`hcrole`]: the ISO 17090-3 `hcRole` attribute carried in `subjectDirectoryAttributes`.
//! - [`certificate`]: RFC 5280 §4.1 `TBSCertificate` with public fields, so a CA can build and
//!   lint the exact bytes it is about to sign.
//! - [`ocsp`]: RFC 6960 OCSP requests and responses.
//! - [`tsp`]: RFC 3161 time-stamp requests, responses and `TSTInfo`.
//! - [`ess`]: RFC 5035 / RFC 2634 ESS signing-certificate attributes (CMS signed attributes).
//! - [`rsa`]: the PKCS#1 `RSAPublicKey` (RFC 8017 §A.1.1), to measure key sizes.
//! - [`oid`]: the object identifiers HPKI uses that `const-oid` does not know.
//!
//! Nothing here performs I/O or cryptography.
#![forbid(unsafe_code)]

pub mod certificate;
pub mod ess;
pub mod hcrole;
pub mod ocsp;
pub mod oid;
pub mod rsa;
pub mod tsp;
