//! The HPKI certification authority engine.
//!
//! Separated as Boulder separates its CA: this crate decides *what* is signed (profiles and
//! lints from `hpki-profile`), signs through the `hpki-keys` [`Signer`](hpki_keys::Signer)
//! interface, and records everything through `hpki-store`, whose every state change appends to
//! the hash-chained audit log.
//!
//! - [`config`]: the data directory's `hpki.toml` (policy OIDs, validity, public URLs).
//! - [`datadir`]: the data directory on disk (crash-safe writes, encrypted keys).
//! - [`authority`]: a loaded CA: certificate, key, OCSP responder.
//! - [`ceremony`]: creating the hierarchy (`init`), CSRs and installing certificates.
//! - [`issue`]: issuance from a PKCS#10 CSR.
//! - [`crl`]: CRLs (RFC 5280 §5).
//! - [`recover`]: after a crash, what no record took is revoked (`hpki ca recover`).
//! - [`cards`]: the 医師資格証 lifecycle (personalisation, renewal, loss, reissue, unblocking).
//! - [`card_binding`]: a card proves it is the register's card before anything is sent to it.
//! - [`custody`]: M-of-N custodian control of the CA keys (key ceremony, activation).
//! - [`attempts`]: the lock on guessing a custodian's passphrase.
//! - [`epoch`]: fresh reads of the revocation epoch, shared between concurrent requests.
//! - [`ocsp_responder`]: OCSP answers (RFC 6960, RFC 5019).
//! - [`tsa`]: the RFC 3161 time-stamping authority (its key and certificate, `POST /tsa`).
//! - [`service_key`]: keys and secrets of services on the CA (TSA, OpenID provider), created on first use.
//! - [`root_issued`]: the root signing the installation's own service certificates.
//! - [`tls_server`]: the HTTPS certificate of card login from the root (demo, tests).
#![forbid(unsafe_code)]

pub mod attempts;
pub mod authority;
pub mod card_binding;
pub mod cards;
pub mod ceremony;
pub mod config;
pub mod crl;
pub mod custody;
pub mod datadir;
pub mod epoch;
pub mod error;
pub mod issue;
pub mod ocsp_responder;
pub mod recover;
pub mod root_issued;
pub mod sealed;
pub mod service_key;
pub mod tls_server;
pub mod tsa;

pub use authority::{CaName, Engine};
pub use error::CaError;
