//! The registration engine of the 医師資格証 (Boulder's RA component, beside the CA engine).
//!
//! - [`auth`]: officers' passwords (argon2id), lockout, API tokens, web sessions.
//! - [`engine`]: [`Registration`]: offices, officers, office scoping, and the application
//!   workflow of `hpki_ra::workflow` with its checks (role, office, separation of duties,
//!   form and document rules), a history entry and an audit record for every step, and
//!   issuance through the CA (from the applicant's CSRs, or on a card).
//!
//! The rules themselves are pure and live in `hpki-ra`; records are kept by `hpki-store`.
#![forbid(unsafe_code)]

pub mod auth;
pub mod engine;
mod error;

pub use engine::{ActInput, Application, Officer, Registration};
pub use error::RegistrationError;
