//! The doctor's portal and the qualification check (migration 9): profile values, disclosure
//! settings, the check's single-use nonces, and the audit log read by object for the doctor's
//! own view (the audit log read by object is in `audit_log.rs`). Items are stored by their key (`hpki_disclosure::Item::key`); this crate does not
//! interpret them.

use sqlx::Row;

use crate::{AuditEvent, Store, StoreError, check_event};

/// One item's stored 開示設定.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisclosureRow {
    /// The item's key.
    pub item: String,
    /// 会員向け.
    pub members: bool,
    /// 一般向け.
    pub public: bool,
}

/// A nonce of the qualification check to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewNonce {
    /// SHA-256 (hex) of the nonce handed out.
    pub nonce_sha256: String,
    /// `card` (a challenge the card signs) or `qr` (a QR code the portal shows).
    pub purpose: String,
    /// The doctor a QR code is for.
    pub subscriber_id: Option<String>,
    /// The authentication certificate (serial, hex) of the session a QR code was made in.
    pub auth_serial: Option<String>,
    /// Expires, Unix seconds.
    pub expires_at: i64,
}

/// What using a nonce found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NonceUse {
    /// Fresh: now used; the doctor it was for, if any.
    Fresh {
        /// The doctor of a QR code.
        subscriber_id: Option<String>,
        /// The authentication certificate of a QR code.
        auth_serial: Option<String>,
    },
    /// Never handed out (or for another purpose).
    Unknown,
    /// Used before.
    Replayed,
    /// Past its lifetime.
    Expired,
}

impl Store {
    /// The doctor's profile ((item key, value)) and the disclosure settings the doctor has
    /// set, in one read (every sign-in needs both for the claims).
    pub async fn portal_items(
        &self,
        subscriber_id: &str,
    ) -> Result<(Vec<(String, String)>, Vec<DisclosureRow>), StoreError> {
        let rows = sqlx::query(
            "SELECT 'p', item, value, 0, 0 FROM portal_profile WHERE subscriber_id = $1
             UNION ALL
             SELECT 'd', item, '', members, public FROM portal_disclosure
             WHERE subscriber_id = $1",
        )
        .bind(subscriber_id.to_owned())
        .fetch_all(&self.pool)
        .await?;
        let (mut profile, mut disclosure) = (Vec::new(), Vec::new());
        for r in &rows {
            let kind: String = r.try_get(0)?;
            let item: String = r.try_get(1)?;
            if kind == "p" {
                profile.push((item, r.try_get(2)?));
            } else {
                disclosure.push(DisclosureRow {
                    item,
                    members: r.try_get::<i64, _>(3)? != 0,
                    public: r.try_get::<i64, _>(4)? != 0,
                });
            }
        }
        Ok((profile, disclosure))
    }

    /// Saves the doctor's profile edits (`None` removes the item) and `audit`, in one
    /// transaction.
    pub async fn put_portal_profile(
        &self,
        subscriber_id: &str,
        changes: &[(String, Option<String>)],
        audit: &AuditEvent,
    ) -> Result<(), StoreError> {
        check_event(audit)?;
        let now = self.now();
        let mut tx = self.begin_write().await?;
        for (item, value) in changes {
            match value {
                Some(v) => {
                    sqlx::query(
                        "INSERT INTO portal_profile (subscriber_id, item, value, updated_at)
                         VALUES ($1, $2, $3, $4)
                         ON CONFLICT (subscriber_id, item) DO UPDATE SET value = excluded.value,
                            updated_at = excluded.updated_at",
                    )
                    .bind(subscriber_id.to_owned())
                    .bind(item.clone())
                    .bind(v.clone())
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                }
                None => {
                    sqlx::query(
                        "DELETE FROM portal_profile WHERE subscriber_id = $1 AND item = $2",
                    )
                    .bind(subscriber_id.to_owned())
                    .bind(item.clone())
                    .execute(&mut *tx)
                    .await?;
                }
            }
        }
        self.append_audit_in(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Saves the doctor's disclosure settings for `rows` and `audit`, in one transaction.
    pub async fn put_portal_disclosure(
        &self,
        subscriber_id: &str,
        rows: &[DisclosureRow],
        audit: &AuditEvent,
    ) -> Result<(), StoreError> {
        check_event(audit)?;
        let now = self.now();
        let mut tx = self.begin_write().await?;
        for row in rows {
            sqlx::query(
                "INSERT INTO portal_disclosure (subscriber_id, item, members, public, updated_at)
                 VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (subscriber_id, item) DO UPDATE SET members = excluded.members,
                    public = excluded.public, updated_at = excluded.updated_at",
            )
            .bind(subscriber_id.to_owned())
            .bind(row.item.clone())
            .bind(i64::from(row.members))
            .bind(i64::from(row.public))
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        self.append_audit_in(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records a nonce handed out, and forgets those that expired more than an hour ago (used
    /// or not, they can only be answered "unknown" from then on).
    pub async fn put_qualification_nonce(&self, nonce: &NewNonce) -> Result<(), StoreError> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM qualification_nonces WHERE expires_at < $1")
            .bind(now - 3600)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO qualification_nonces (nonce_sha256, purpose, subscriber_id, auth_serial,
                issued_at, expires_at, used_at)
             VALUES ($1, $2, $3, $4, $5, $6, NULL)",
        )
        .bind(nonce.nonce_sha256.clone())
        .bind(nonce.purpose.clone())
        .bind(nonce.subscriber_id.clone())
        .bind(nonce.auth_serial.clone())
        .bind(now)
        .bind(nonce.expires_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Uses nonce `nonce_sha256` of `purpose` now (of parallel uses one wins) and appends the
    /// audit record `audit` makes of the outcome, in one transaction.
    pub async fn use_qualification_nonce(
        &self,
        nonce_sha256: &str,
        purpose: &str,
        audit: impl FnOnce(&NonceUse) -> Option<AuditEvent>,
    ) -> Result<NonceUse, StoreError> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(
            "SELECT subscriber_id, expires_at, used_at, auth_serial FROM qualification_nonces
             WHERE nonce_sha256 = $1 AND purpose = $2",
        )
        .bind(nonce_sha256.to_owned())
        .bind(purpose.to_owned())
        .fetch_optional(&mut *tx)
        .await?;
        let outcome = match row {
            None => NonceUse::Unknown,
            Some(r) => {
                let expires_at: i64 = r.try_get(1)?;
                let used_at: Option<i64> = r.try_get(2)?;
                if used_at.is_some() {
                    NonceUse::Replayed
                } else if now >= expires_at {
                    NonceUse::Expired
                } else {
                    let used = sqlx::query(
                        "UPDATE qualification_nonces SET used_at = $1
                         WHERE nonce_sha256 = $2 AND used_at IS NULL",
                    )
                    .bind(now)
                    .bind(nonce_sha256.to_owned())
                    .execute(&mut *tx)
                    .await?;
                    if used.rows_affected() == 1 {
                        NonceUse::Fresh {
                            subscriber_id: r.try_get(0)?,
                            auth_serial: r.try_get(3)?,
                        }
                    } else {
                        NonceUse::Replayed
                    }
                }
            }
        };
        if let Some(event) = audit(&outcome) {
            check_event(&event)?;
            self.append_audit_in(&mut tx, &event).await?;
        }
        tx.commit().await?;
        Ok(outcome)
    }
}
