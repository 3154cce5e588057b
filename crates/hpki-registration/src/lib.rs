//! The registration engine of the 医師資格証 (Boulder's RA component, beside the CA engine).
//!
//! - [`auth`]: officers' passwords (argon2id), lockout, API tokens, web sessions.
//! - [`engine`]: [`Registration`]: offices, officers, office scoping, and the application
//!   workflow of `hpki_ra::workflow` with its checks (role, office, separation of duties,
//!   form and document rules), a history entry and an audit record for every step, and
//!   issuance through the CA (from the applicant's CSRs, or on a card).
//! - [`fees`]: the annual fees: policy, yearly billing run, payments, direct-debit export.
//! - [`import`]: bulk import of applications from CSV, with a per-row report.
//!
//! The rules themselves are pure and live in `hpki-ra`; records are kept by `hpki-store`.
#![forbid(unsafe_code)]

pub mod auth;
pub mod engine;
mod error;
pub mod fees;
pub mod import;

pub use engine::{
    ActInput, Application, DemoDoctor, DoctorNotice, Officer, RegisterFinding, Registration,
};
pub use error::RegistrationError;
