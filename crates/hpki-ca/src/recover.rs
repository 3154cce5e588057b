//! Recovery after a crash (`hpki ca recover`, and at every start of `hpki serve`): nothing
//! issued stays valid unless the register knows whose it is.
//!
//! - a certificate issued for an application or a card that the record never took (the process
//!   was killed between signing and recording; see `hpki_store`'s `issuance.rs`) is revoked,
//!   reason cessationOfOperation, audited as `issuance.abandoned`;
//! - a card left *being personalised* is marked failed (`card.personalization_abandoned`);
//! - an application left claimed for issuance by a process that died is freed, so that it can
//!   be issued again at once;
//! - certificates recorded by earlier releases get their key hash, so that their keys are
//!   refused too (two of them on one key are reported, never changed).
//!
//! Only what is older than a grace period is touched, so that recovery at the start of one
//! server does not take the work of another that is still issuing; even so a record cannot
//! take a certificate recovery revoked (the link refuses it), nor recovery revoke one that was
//! taken.

use serde_json::json;
use x509_cert::ext::pkix::crl::CrlReason;

use crate::CaError;
use crate::authority::Engine;
use crate::issue::key_hash;
use hpki_store::{CardStatus, RevokeOutcome};

/// What [`Engine::recover`] did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Recovery {
    /// Certificates revoked because no record took them: (CA, serial, what it was issued for).
    pub revoked: Vec<(String, String, String)>,
    /// Cards left being personalised, now failed.
    pub cards_failed: Vec<String>,
    /// Applications whose claim for issuance was left by a process that died, now free.
    pub claims_released: Vec<i64>,
    /// Certificates of earlier releases given their key hash.
    pub key_hashes_filled: usize,
    /// Certificates of earlier releases whose key another certificate holds: (CA, serial).
    pub keys_shared: Vec<(String, String)>,
}

impl Recovery {
    /// Whether recovery found nothing to do.
    pub fn is_empty(&self) -> bool {
        self.revoked.is_empty()
            && self.cards_failed.is_empty()
            && self.claims_released.is_empty()
            && self.key_hashes_filled == 0
            && self.keys_shared.is_empty()
    }
}

impl Engine {
    /// Revokes at once what was issued for `issued_for` and will not be taken by it (the
    /// issuance failed after signing): `serials` of their CAs, those still unlinked, audited as
    /// `issuance.abandoned`. Returns the serials revoked.
    pub async fn abandon(
        &self,
        issued_for: &str,
        serials: &[(crate::CaName, String)],
    ) -> Result<Vec<String>, CaError> {
        let now = self.now_unix() as i64;
        let mut revoked = Vec::new();
        for (ca, serial) in serials {
            let audit = self.audit(
                "issuance.abandoned",
                &format!("{ca}/{serial}"),
                json!({"issued_for": issued_for,
                       "reason": crate::crl::reason_name(CrlReason::CessationOfOperation as i32),
                       "revoked_at": now}),
            );
            if self
                .store
                .revoke_unlinked(
                    ca.as_str(),
                    serial,
                    CrlReason::CessationOfOperation as i32,
                    now,
                    &audit,
                )
                .await?
                == RevokeOutcome::Revoked
            {
                revoked.push(serial.clone());
            }
        }
        Ok(revoked)
    }

    /// Finds and settles what crashed issuances left behind, older than `grace_seconds` (see
    /// the module docs). Revoking needs no CA key: the next CRL and OCSP answers carry it.
    pub async fn recover(&self, grace_seconds: i64) -> Result<Recovery, CaError> {
        let now = self.now_unix() as i64;
        let before = now - grace_seconds.max(0);
        let mut done = Recovery::default();
        for c in self.store.unlinked_certificates(before).await? {
            let audit = self.audit(
                "issuance.abandoned",
                &format!("{}/{}", c.ca, c.serial_hex),
                json!({"issued_for": c.issued_for, "issued_at": c.issued_at,
                       "reason": crate::crl::reason_name(CrlReason::CessationOfOperation as i32),
                       "revoked_at": now}),
            );
            let outcome = self
                .store
                .revoke_unlinked(
                    &c.ca,
                    &c.serial_hex,
                    CrlReason::CessationOfOperation as i32,
                    now,
                    &audit,
                )
                .await?;
            if outcome == RevokeOutcome::Revoked {
                done.revoked.push((c.ca, c.serial_hex, c.issued_for));
            }
        }
        for card in self.store.cards(None).await? {
            if card.status == CardStatus::Personalizing && card.updated_at <= before {
                self.store
                    .update_card(
                        &card.card_id,
                        CardStatus::Failed,
                        None,
                        None,
                        &self.audit(
                            "card.personalization_abandoned",
                            &format!("card/{}", card.card_id),
                            json!({"subscriber_id": card.subscriber_id,
                                   "started_at": card.issued_at}),
                        ),
                    )
                    .await?;
                done.cards_failed.push(card.card_id);
            }
        }
        // After the certificates: a claim is freed only once what its process signed is settled.
        done.claims_released = self.store.release_stale_issuance_claims(before).await?;
        for (ca, serial, der) in self.store.certificates_without_key_hash().await? {
            let Some(spki) = spki_der(&der) else { continue };
            if self
                .store
                .set_key_hash(&ca, &serial, &key_hash(&spki))
                .await?
            {
                done.key_hashes_filled += 1;
            } else {
                done.keys_shared.push((ca, serial));
            }
        }
        if !done.is_empty() {
            self.store
                .append_audit(&self.audit(
                    "issuance.recovered",
                    "certificates",
                    json!({"revoked": done.revoked.len(), "cards_failed": done.cards_failed,
                           "claims_released": done.claims_released,
                           "key_hashes_filled": done.key_hashes_filled,
                           "keys_shared": done.keys_shared}),
                ))
                .await?;
        }
        Ok(done)
    }
}

/// The DER SubjectPublicKeyInfo of a certificate, if it parses.
fn spki_der(cert_der: &[u8]) -> Option<Vec<u8>> {
    use der::{Decode, Encode};
    let cert = x509_cert::Certificate::from_der(cert_der).ok()?;
    cert.tbs_certificate()
        .subject_public_key_info()
        .to_der()
        .ok()
}
