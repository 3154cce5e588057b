//! HPKI login, the engine: what [`hpki_login`]'s rules need from the store, the clock and the
//! CA's certificates.
//!
//! | module | what |
//! |---|---|
//! | [`attendance`] | seminar attendance and credits: events, readers, taps, a doctor's credits, an event's report and reconciliation |
//! | [`card_login`] | a TLS client certificate chain → the doctor in the subscriber register ([`Provider::card_login`]), audited |
//! | [`clients`] | relying parties registered by the administrator, their secrets kept as SHA-256 |
//! | [`keys`] | the ID-token keys (generations, rotation, retirement) and the pairwise salt |
//! | [`oidc`] | single sign-on sessions (ended at the next check once the certificate is revoked), consent, codes used once, tokens, the ID token and UserInfo |
//! | [`portal`] | the doctor's portal: items, disclosure settings, what a viewer sees, profile edits, cards, 紛失届, the doctor's audit view |
//! | [`qualification`] | the qualification check: challenges, a card's certificate and signature checked, QR codes from the portal, signed results |
//! | [`secret`] | the random secrets handed out, and their hashes |
//! | [`error`] | [`LoginError`] |
#![forbid(unsafe_code)]

pub mod attendance;
pub mod card_login;
pub mod clients;
pub mod error;
pub mod keys;
pub mod oidc;
pub mod portal;
pub mod qualification;
pub mod secret;

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

    /// The attendance rules in force (`[attendance.rules]` of the configuration).
    pub fn attendance_rules(&self) -> hpki_attendance::Rules {
        self.ca.config.attendance.rules
    }

    /// The CA engine.
    pub fn ca(&self) -> &Arc<Engine> {
        &self.ca
    }
}
