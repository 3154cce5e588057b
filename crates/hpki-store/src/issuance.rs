//! The saga of issuance: what each certificate was issued for, the record taking it (the link),
//! what recovery finds, and the claim that lets one of several parallel requests issue for an
//! application.
//!
//! A certificate issued for a record (an application, a card) is stored with
//! `issued_for` set and no `linked_at`. The record takes it in the transaction that records the
//! outcome ([`Store::change_application`] with [`crate::ApplicationChange::links`],
//! [`Store::update_card`] making a card active): the link and the record's change commit
//! together or not at all. A certificate that no record took (the process was killed between
//! signing and recording, the recording failed) is found by [`Store::unlinked_certificates`]
//! and revoked by recovery with [`Store::revoke_unlinked`]; a link refuses a certificate
//! revoked meanwhile. Nothing signed for a record can thus stay valid without the register
//! knowing whose it is.

use sqlx::Row;

use crate::{CertificateRecord, Store, StoreError};

/// A certificate issued for a record that has not taken it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnlinkedCertificate {
    /// The issuing CA.
    pub ca: String,
    /// Serial, hex.
    pub serial_hex: String,
    /// The record it was issued for (`application/ID`, `card/ID`).
    pub issued_for: String,
    /// When it was issued, Unix seconds.
    pub issued_at: i64,
}

impl Store {
    /// The certificate of the key whose DER SubjectPublicKeyInfo hashes (SHA-256, hex) to
    /// `spki_sha256`, if the store certified it.
    pub async fn certificate_by_key(
        &self,
        spki_sha256: &str,
    ) -> Result<Option<CertificateRecord>, StoreError> {
        let row = sqlx::query("SELECT ca, serial_hex FROM certificates WHERE spki_sha256 = $1")
            .bind(spki_sha256.to_owned())
            .fetch_optional(&self.pool)
            .await?;
        match row {
            Some(r) => {
                let (ca, serial): (String, String) = (r.try_get(0)?, r.try_get(1)?);
                self.certificate(&ca, &serial).await
            }
            None => Ok(None),
        }
    }

    /// Certificates issued for a record, not taken by it and not revoked, issued at or before
    /// `issued_before` (Unix seconds), oldest first.
    pub async fn unlinked_certificates(
        &self,
        issued_before: i64,
    ) -> Result<Vec<UnlinkedCertificate>, StoreError> {
        let rows = sqlx::query(
            "SELECT ca, serial_hex, issued_for, issued_at FROM certificates
             WHERE issued_for IS NOT NULL AND linked_at IS NULL AND revoked_at IS NULL
               AND issued_at <= $1
             ORDER BY issued_at, id",
        )
        .bind(issued_before)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(UnlinkedCertificate {
                    ca: r.try_get(0)?,
                    serial_hex: r.try_get(1)?,
                    issued_for: r.try_get(2)?,
                    issued_at: r.try_get(3)?,
                })
            })
            .collect()
    }

    /// End-entity certificates recorded by releases before key hashes were kept: CA, serial
    /// and DER of each whose `spki_sha256` is empty (the CAs' own certificates excepted).
    pub async fn certificates_without_key_hash(
        &self,
    ) -> Result<Vec<(String, String, Vec<u8>)>, StoreError> {
        let rows = sqlx::query(
            "SELECT ca, serial_hex, der FROM certificates
             WHERE spki_sha256 IS NULL AND profile IN ('ee-sign', 'ee-auth')
             ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
            .collect()
    }

    /// Records the key hash of a certificate recorded without one. `Ok(false)` when another
    /// certificate holds that key already (left without a hash, for the operator to look at).
    pub async fn set_key_hash(
        &self,
        ca: &str,
        serial_hex: &str,
        spki_sha256: &str,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let taken = sqlx::query("SELECT 1 AS taken FROM certificates WHERE spki_sha256 = $1")
            .bind(spki_sha256.to_owned())
            .fetch_optional(&mut *tx)
            .await?
            .is_some();
        if taken {
            tx.rollback().await?;
            return Ok(false);
        }
        sqlx::query(
            "UPDATE certificates SET spki_sha256 = $1
             WHERE ca = $2 AND serial_hex = $3 AND spki_sha256 IS NULL",
        )
        .bind(spki_sha256.to_owned())
        .bind(ca.to_owned())
        .bind(serial_hex.to_owned())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Claims application `id` at `version` for issuance with the random `claim`: of parallel
    /// requests one wins (`true`), the others are refused before anything is signed; so is a
    /// request while another application of the same 医籍登録番号 is being issued (one doctor
    /// is issued one thing at a time). A claim older than `stale_seconds` (its process died)
    /// may be taken over.
    pub async fn claim_issuance(
        &self,
        id: i64,
        version: i64,
        claim: &str,
        now: i64,
        stale_seconds: i64,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let claimed = sqlx::query(
            "UPDATE applications SET issuing_claim = $1, issuing_since = $2
             WHERE id = $3 AND version = $4
               AND (issuing_claim IS NULL OR issuing_since <= $5)
               AND NOT EXISTS (SELECT 1 FROM applications other
                   WHERE other.license_number = applications.license_number
                     AND other.id <> $3 AND other.issuing_claim IS NOT NULL
                     AND other.issuing_since > $5)",
        )
        .bind(claim.to_owned())
        .bind(now)
        .bind(id)
        .bind(version)
        .bind(now - stale_seconds)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        tx.commit().await?;
        Ok(claimed)
    }

    /// Gives up every claim on an application taken at or before `claimed_before` (Unix
    /// seconds): its process died. Returns the applications freed.
    pub async fn release_stale_issuance_claims(
        &self,
        claimed_before: i64,
    ) -> Result<Vec<i64>, StoreError> {
        let mut tx = self.begin_write().await?;
        let rows = sqlx::query(
            "SELECT id FROM applications
             WHERE issuing_claim IS NOT NULL AND issuing_since <= $1 ORDER BY id",
        )
        .bind(claimed_before)
        .fetch_all(&mut *tx)
        .await?;
        let ids = rows
            .iter()
            .map(|r| r.try_get::<i64, _>(0))
            .collect::<Result<Vec<_>, _>>()?;
        sqlx::query(
            "UPDATE applications SET issuing_claim = NULL, issuing_since = NULL
             WHERE issuing_claim IS NOT NULL AND issuing_since <= $1",
        )
        .bind(claimed_before)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(ids)
    }

    /// Gives up the claim `claim` on application `id` (the issuance failed; nothing of it is
    /// valid).
    pub async fn release_issuance(&self, id: i64, claim: &str) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "UPDATE applications SET issuing_claim = NULL, issuing_since = NULL
             WHERE id = $1 AND issuing_claim = $2",
        )
        .bind(id)
        .bind(claim.to_owned())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Links the certificates `serials` (CA, serial hex) to `issued_for` at `at` inside `tx`: each
/// must have been issued for it, not linked and not revoked, else nothing is linked and the
/// caller's transaction must be given up ([`StoreError::Conflict`]).
pub(crate) async fn link_in(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    issued_for: &str,
    serials: &[(String, String)],
    at: i64,
) -> Result<(), StoreError> {
    for (ca, serial) in serials {
        let linked = sqlx::query(
            "UPDATE certificates SET linked_at = $1
             WHERE ca = $2 AND serial_hex = $3 AND issued_for = $4
               AND linked_at IS NULL AND revoked_at IS NULL",
        )
        .bind(at)
        .bind(ca.clone())
        .bind(serial.clone())
        .bind(issued_for.to_owned())
        .execute(&mut **tx)
        .await?
        .rows_affected();
        if linked != 1 {
            return Err(StoreError::conflict(
                format!(
                    "証明書 {ca}/{serial} を {issued_for} に結び付けられません（失効済み、または別の記録のもの）"
                ),
                format!(
                    "certificate {ca}/{serial} cannot be linked to {issued_for}: revoked meanwhile, or issued for another record"
                ),
            ));
        }
    }
    Ok(())
}
