//! HPKI login, the engine: what [`hpki_login`]'s rules need from the store, the clock and the
//! CA's certificates.
//!
//! | module | what |
//! |---|---|
//! | [`card_login`] | a TLS client certificate chain → the doctor in the subscriber register ([`Provider::card_login`]), audited |
//! | [`error`] | [`LoginError`] |
//!
//! The OpenID Connect provider (clients, codes, tokens, sessions, signing keys) is built on
//! this next: see issue 16.
#![forbid(unsafe_code)]

pub mod card_login;
pub mod error;

use std::sync::Arc;

use hpki_ca::Engine;

pub use card_login::SignedIn;
pub use error::LoginError;

/// The login engine over a CA engine (its store, clock and certificates).
#[derive(Clone)]
pub struct Provider {
    ca: Arc<Engine>,
}

impl Provider {
    /// The provider of the CA behind `ca`.
    pub fn new(ca: Arc<Engine>) -> Provider {
        Provider { ca }
    }

    /// The CA engine.
    pub fn ca(&self) -> &Arc<Engine> {
        &self.ca
    }
}
