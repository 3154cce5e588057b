//! The CA register: CA records, reserved serials, issued certificates and their revocation,
//! CRL numbers and published CRLs.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{AuditEvent, MAX_SERIAL_BATCH, Store, StoreError, check_event, group_commit};

/// A CA known to the store: its certificate and where its key is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaRecord {
    /// The CA's name, the key of the record (`"root"`, `"sign"` or `"auth"`).
    pub name: String,
    /// The CA certificate, DER.
    pub cert_der: Vec<u8>,
    /// Where the CA's private key is (a file path, a PKCS#11 URI...), as hpki-keys understands it.
    pub key_ref: String,
    /// The delegated OCSP responder certificate, DER, if the CA has one.
    pub ocsp_cert_der: Option<Vec<u8>>,
    /// Where the OCSP responder's private key is, if the CA has one.
    pub ocsp_key_ref: Option<String>,
    /// When the CA was set up, Unix seconds.
    pub created_at: i64,
}

/// A certificate to record once it has been signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCertificate {
    /// The issuing CA's name.
    pub ca: String,
    /// The serial, hex (normalised by the store: lowercase, no `0x`, no leading zeros).
    pub serial_hex: String,
    /// The subject DN, as text for listing and search.
    pub subject: String,
    /// The profile the certificate was issued under.
    pub profile: String,
    /// `notBefore`, Unix seconds.
    pub not_before: i64,
    /// `notAfter`, Unix seconds.
    pub not_after: i64,
    /// The certificate, DER.
    pub der: Vec<u8>,
    /// When it was issued, Unix seconds.
    pub issued_at: i64,
    /// SHA-256 of the certified key's DER SubjectPublicKeyInfo, hex, for an end-entity
    /// certificate: a key is certified once, ever ([`StoreError::KeyCertified`]).
    pub spki_sha256: Option<String>,
    /// The record that is to take the certificate (`application/ID`, `card/ID`), which links
    /// it with [`Store::change_application`] or [`Store::update_card`]; `None` for a
    /// certificate handed to its requester at once, complete when stored.
    pub issued_for: Option<String>,
}

impl NewCertificate {
    /// When the certificate is complete at insertion (nothing else is to take it): then.
    pub(crate) fn linked_at(&self) -> Option<i64> {
        self.issued_for.is_none().then_some(self.issued_at)
    }
}

/// Whether a certificate is revoked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CertStatus {
    /// Not revoked (it may still be expired: compare `not_after`).
    Good,
    /// Revoked; the record says when and why.
    Revoked,
}

/// A stored certificate with its revocation state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateRecord {
    /// The issuing CA's name.
    pub ca: String,
    /// The serial, normalised hex.
    pub serial_hex: String,
    /// The subject DN, as text.
    pub subject: String,
    /// The profile the certificate was issued under.
    pub profile: String,
    /// `notBefore`, Unix seconds.
    pub not_before: i64,
    /// `notAfter`, Unix seconds.
    pub not_after: i64,
    /// The certificate, DER.
    pub der: Vec<u8>,
    /// When it was issued, Unix seconds.
    pub issued_at: i64,
    /// Good or revoked.
    pub status: CertStatus,
    /// When it was revoked, Unix seconds, if it was.
    pub revoked_at: Option<i64>,
    /// The RFC 5280 `CRLReason` code, if it was revoked.
    pub revocation_reason: Option<i32>,
}

/// What [`Store::revoke`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RevokeOutcome {
    /// The certificate is now revoked (and the audit record written).
    Revoked,
    /// It was revoked before; nothing changed and no audit record was written.
    AlreadyRevoked,
    /// The CA issued no certificate with that serial; nothing changed.
    NotFound,
    /// Only for [`Store::revoke_unlinked`]: the record it was issued for took it meanwhile;
    /// nothing changed.
    Linked,
}

/// One entry of a CA's revocation list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevokedEntry {
    /// The serial, normalised hex.
    pub serial_hex: String,
    /// When it was revoked, Unix seconds.
    pub revoked_at: i64,
    /// The RFC 5280 `CRLReason` code.
    pub reason: i32,
}

/// A published CRL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrlRecord {
    /// The issuing CA's name.
    pub ca: String,
    /// The `cRLNumber`.
    pub number: i64,
    /// `thisUpdate`, Unix seconds.
    pub this_update: i64,
    /// The CRL, DER.
    pub der: Vec<u8>,
}

impl Store {
    /// Records the CA `ca` (replacing any record of the same name) and `audit`, in one
    /// transaction.
    pub async fn put_ca(&self, ca: &CaRecord, audit: &AuditEvent) -> Result<(), StoreError> {
        let name = normalize_ca(&ca.name)?;
        check_event(audit)?;
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO cas (name, cert_der, key_ref, ocsp_cert_der, ocsp_key_ref, created_at)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (name) DO UPDATE SET
                cert_der = excluded.cert_der,
                key_ref = excluded.key_ref,
                ocsp_cert_der = excluded.ocsp_cert_der,
                ocsp_key_ref = excluded.ocsp_key_ref,
                created_at = excluded.created_at",
        )
        .bind(name)
        .bind(ca.cert_der.clone())
        .bind(ca.key_ref.clone())
        .bind(ca.ocsp_cert_der.clone())
        .bind(ca.ocsp_key_ref.clone())
        .bind(ca.created_at)
        .execute(&mut *tx)
        .await?;
        self.append_audit_in(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The CA named `name`, if it has been recorded.
    pub async fn ca(&self, name: &str) -> Result<Option<CaRecord>, StoreError> {
        let name = normalize_ca(name)?;
        let row = sqlx::query(
            "SELECT name, cert_der, key_ref, ocsp_cert_der, ocsp_key_ref, created_at
             FROM cas WHERE name = $1",
        )
        .bind(name)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(ca_from_row).transpose()
    }

    /// Every recorded CA, by name.
    pub async fn cas(&self) -> Result<Vec<CaRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT name, cert_der, key_ref, ocsp_cert_der, ocsp_key_ref, created_at
             FROM cas ORDER BY name",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(ca_from_row).collect()
    }

    /// Reserves `serial_hex` for the CA `ca` before signing, as Boulder does: `Ok(true)` if the
    /// serial is now reserved for the caller, `Ok(false)` if it was reserved before (by anyone,
    /// ever). Reservations are never released, so a serial is never used twice even when
    /// signing fails after the reservation.
    pub async fn reserve_serial(&self, ca: &str, serial_hex: &str) -> Result<bool, StoreError> {
        let ca = normalize_ca(ca)?;
        let serial = normalize_serial(serial_hex)?;
        let result = sqlx::query(
            "INSERT INTO serials (ca, serial_hex, reserved_at) VALUES ($1, $2, $3)
             ON CONFLICT (ca, serial_hex) DO NOTHING",
        )
        .bind(ca)
        .bind(serial)
        .bind(self.now())
        .execute(&self.pool)
        .await?;
        Ok(result.rows_affected() == 1)
    }

    /// Reserves several serials of the CA `ca` at once, in one statement (one commit): the ones
    /// now reserved for the caller are returned, normalised, in the order given; a serial
    /// reserved before (by anyone, ever) or given twice is returned at most once. As with
    /// [`Store::reserve_serial`], reservations are never released: a caller that stops before
    /// using them leaves them unused forever. At most [`MAX_SERIAL_BATCH`] serials per call.
    pub async fn reserve_serials(
        &self,
        ca: &str,
        serials_hex: &[String],
    ) -> Result<Vec<String>, StoreError> {
        let ca = normalize_ca(ca)?;
        if serials_hex.len() > MAX_SERIAL_BATCH {
            return Err(StoreError::invalid(
                format!(
                    "一度に予約できるシリアル番号は{MAX_SERIAL_BATCH}個までです（{}個）",
                    serials_hex.len()
                ),
                format!(
                    "{} serials in one reservation (at most {MAX_SERIAL_BATCH})",
                    serials_hex.len()
                ),
            ));
        }
        let mut wanted: Vec<String> = Vec::with_capacity(serials_hex.len());
        for s in serials_hex {
            let s = normalize_serial(s)?;
            if !wanted.contains(&s) {
                wanted.push(s);
            }
        }
        if wanted.is_empty() {
            return Ok(Vec::new());
        }
        // Only placeholders are formatted into the statement; every value is bound.
        let rows: Vec<String> = (0..wanted.len())
            .map(|i| format!("($1, ${}, $2)", i + 3))
            .collect();
        let sql = format!(
            "INSERT INTO serials (ca, serial_hex, reserved_at) VALUES {}
             ON CONFLICT (ca, serial_hex) DO NOTHING RETURNING serial_hex",
            rows.join(", ")
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(ca)
            .bind(self.now());
        for s in &wanted {
            query = query.bind(s.clone());
        }
        let returned = query.fetch_all(&self.pool).await?;
        let mut reserved = Vec::with_capacity(returned.len());
        for row in &returned {
            reserved.push(row.try_get::<String, _>(0)?);
        }
        wanted.retain(|s| reserved.contains(s));
        Ok(wanted)
    }

    /// Records an issued certificate and `audit` in one transaction.
    ///
    /// The serial should have been reserved with [`Store::reserve_serial`]; if it was not, it is
    /// reserved here (so the certificate of a CA itself, signed before the store existed, can be
    /// recorded too). A second certificate for the same CA and serial is refused with
    /// [`StoreError::Conflict`].
    pub async fn insert_certificate(
        &self,
        cert: &NewCertificate,
        audit: &AuditEvent,
    ) -> Result<(), StoreError> {
        let ca = normalize_ca(&cert.ca)?;
        let serial = normalize_serial(&cert.serial_hex)?;
        check_event(audit)?;
        if self
            .insert_certificate_at_once(&ca, &serial, cert, audit)
            .await?
        {
            return Ok(());
        }
        let mut tx = self.begin_write().await?;
        // A key certified before, by any CA: told apart from a database error. Inside the write
        // transaction, so two issuers of one key cannot both pass.
        if let Some(spki) = &cert.spki_sha256 {
            let earlier =
                sqlx::query("SELECT ca, serial_hex FROM certificates WHERE spki_sha256 = $1")
                    .bind(spki.clone())
                    .fetch_optional(&mut *tx)
                    .await?;
            if let Some(row) = earlier {
                tx.rollback().await?;
                return Err(StoreError::KeyCertified {
                    ca: row.try_get(0)?,
                    serial_hex: row.try_get(1)?,
                });
            }
        }
        // The usual case, the serial was reserved before signing: one statement.
        let mut inserted = sqlx::query(
            "INSERT INTO certificates
                (ca, serial_hex, subject, profile, not_before, not_after, der, issued_at,
                 spki_sha256, issued_for, linked_at)
             SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11
             WHERE EXISTS (SELECT 1 FROM serials WHERE ca = $1 AND serial_hex = $2)
             ON CONFLICT (ca, serial_hex) DO NOTHING",
        )
        .bind(ca.clone())
        .bind(serial.clone())
        .bind(cert.subject.clone())
        .bind(cert.profile.clone())
        .bind(cert.not_before)
        .bind(cert.not_after)
        .bind(cert.der.clone())
        .bind(cert.issued_at)
        .bind(cert.spki_sha256.clone())
        .bind(cert.issued_for.clone())
        .bind(cert.linked_at())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 0 {
            // Not reserved yet (or already used): reserve it here and try again.
            sqlx::query(
                "INSERT INTO serials (ca, serial_hex, reserved_at) VALUES ($1, $2, $3)
                 ON CONFLICT (ca, serial_hex) DO NOTHING",
            )
            .bind(ca.clone())
            .bind(serial.clone())
            .bind(self.now())
            .execute(&mut *tx)
            .await?;
            inserted = sqlx::query(
                "INSERT INTO certificates
                    (ca, serial_hex, subject, profile, not_before, not_after, der, issued_at,
                     spki_sha256, issued_for, linked_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
                 ON CONFLICT (ca, serial_hex) DO NOTHING",
            )
            .bind(ca.clone())
            .bind(serial.clone())
            .bind(cert.subject.clone())
            .bind(cert.profile.clone())
            .bind(cert.not_before)
            .bind(cert.not_after)
            .bind(cert.der.clone())
            .bind(cert.issued_at)
            .bind(cert.spki_sha256.clone())
            .bind(cert.issued_for.clone())
            .bind(cert.linked_at())
            .execute(&mut *tx)
            .await?
            .rows_affected();
        }
        if inserted != 1 {
            return Err(StoreError::conflict(
                format!("認証局 {ca} のシリアル番号 {serial} の証明書は既に記録されています"),
                format!("certificate {serial} of CA {ca} is recorded already"),
            ));
        }
        self.append_audit_in(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The usual insertion on SQLite: one command, committed together with the insertions of
    /// other issuers that arrive meanwhile (see `group_commit.rs`). `Ok(false)` means nothing
    /// was written and the general path must be taken, which tells the cases apart (a serial
    /// not reserved yet, a certificate already recorded, an audit head moved by another
    /// process, a database error).
    async fn insert_certificate_at_once(
        &self,
        ca: &str,
        serial: &str,
        cert: &NewCertificate,
        audit: &AuditEvent,
    ) -> Result<bool, StoreError> {
        let Some(writer) = &self.sqlite_writer else {
            return Ok(false);
        };
        let insert = group_commit::CertificateInsert {
            ca: ca.to_owned(),
            serial: serial.to_owned(),
            cert: cert.clone(),
            audit: audit.clone(),
            at: self.now(),
        };
        Ok(group_commit::insert_certificate(writer, &self.audit_head, insert).await)
    }

    /// The certificate the CA `ca` issued with `serial_hex`, if any.
    pub async fn certificate(
        &self,
        ca: &str,
        serial_hex: &str,
    ) -> Result<Option<CertificateRecord>, StoreError> {
        let ca = normalize_ca(ca)?;
        let serial = normalize_serial(serial_hex)?;
        let row = sqlx::query(
            "SELECT ca, serial_hex, subject, profile, not_before, not_after, der, issued_at,
                    revoked_at, revocation_reason
             FROM certificates WHERE ca = $1 AND serial_hex = $2",
        )
        .bind(ca)
        .bind(serial)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(certificate_from_row).transpose()
    }

    /// Every certificate issued (by the CA `ca`, or by all CAs for `None`), in order of
    /// issuance: by `issued_at`, then insertion order.
    pub async fn certificates(
        &self,
        ca: Option<&str>,
    ) -> Result<Vec<CertificateRecord>, StoreError> {
        let rows = match ca {
            Some(ca) => {
                sqlx::query(
                    "SELECT ca, serial_hex, subject, profile, not_before, not_after, der,
                            issued_at, revoked_at, revocation_reason
                     FROM certificates WHERE ca = $1 ORDER BY issued_at, id",
                )
                .bind(normalize_ca(ca)?)
                .fetch_all(&self.pool)
                .await?
            }
            None => {
                sqlx::query(
                    "SELECT ca, serial_hex, subject, profile, not_before, not_after, der,
                            issued_at, revoked_at, revocation_reason
                     FROM certificates ORDER BY issued_at, id",
                )
                .fetch_all(&self.pool)
                .await?
            }
        };
        rows.iter().map(certificate_from_row).collect()
    }

    /// Revokes the certificate `serial_hex` of the CA `ca` with the RFC 5280 `CRLReason`
    /// `reason` (0 to 10 but not 7) at `revoked_at`, bumping the CA's revocation epoch and
    /// writing `audit`, in one transaction. Revoking twice, or an unknown serial, changes
    /// nothing and writes no audit record (see [`RevokeOutcome`]).
    pub async fn revoke(
        &self,
        ca: &str,
        serial_hex: &str,
        reason: i32,
        revoked_at: i64,
        audit: &AuditEvent,
    ) -> Result<RevokeOutcome, StoreError> {
        self.revoke_if(ca, serial_hex, reason, revoked_at, audit, false)
            .await
    }

    /// [`Store::revoke`], only if the certificate was issued for a record that has not taken
    /// it (see [`NewCertificate::issued_for`]): what recovery revokes. A certificate its record
    /// took meanwhile is left alone ([`RevokeOutcome::Linked`]); the record's link, for its
    /// part, refuses a certificate revoked meanwhile, so the two never both happen.
    pub async fn revoke_unlinked(
        &self,
        ca: &str,
        serial_hex: &str,
        reason: i32,
        revoked_at: i64,
        audit: &AuditEvent,
    ) -> Result<RevokeOutcome, StoreError> {
        self.revoke_if(ca, serial_hex, reason, revoked_at, audit, true)
            .await
    }

    async fn revoke_if(
        &self,
        ca: &str,
        serial_hex: &str,
        reason: i32,
        revoked_at: i64,
        audit: &AuditEvent,
        unlinked_only: bool,
    ) -> Result<RevokeOutcome, StoreError> {
        let ca = normalize_ca(ca)?;
        let serial = normalize_serial(serial_hex)?;
        if !(0..=10).contains(&reason) || reason == 7 {
            return Err(StoreError::invalid(
                format!("失効理由 {reason} は RFC 5280 の CRLReason ではありません"),
                format!("revocation reason {reason} is not an RFC 5280 CRLReason"),
            ));
        }
        check_event(audit)?;
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(
            "SELECT revoked_at, linked_at FROM certificates WHERE ca = $1 AND serial_hex = $2",
        )
        .bind(ca.clone())
        .bind(serial.clone())
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            tx.rollback().await?;
            return Ok(RevokeOutcome::NotFound);
        };
        if row.try_get::<Option<i64>, _>(0)?.is_some() {
            tx.rollback().await?;
            return Ok(RevokeOutcome::AlreadyRevoked);
        }
        if unlinked_only && row.try_get::<Option<i64>, _>(1)?.is_some() {
            tx.rollback().await?;
            return Ok(RevokeOutcome::Linked);
        }
        sqlx::query(
            "UPDATE certificates SET revoked_at = $1, revocation_reason = $2
             WHERE ca = $3 AND serial_hex = $4 AND revoked_at IS NULL",
        )
        .bind(revoked_at)
        .bind(i64::from(reason))
        .bind(ca.clone())
        .bind(serial)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO ca_counters (ca, crl_number, revocation_epoch) VALUES ($1, 0, 1)
             ON CONFLICT (ca) DO UPDATE SET revocation_epoch = ca_counters.revocation_epoch + 1",
        )
        .bind(ca)
        .execute(&mut *tx)
        .await?;
        self.append_audit_in(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(RevokeOutcome::Revoked)
    }

    /// Every revoked certificate of the CA `ca`, by revocation time then serial: the contents of
    /// its next CRL.
    pub async fn revoked(&self, ca: &str) -> Result<Vec<RevokedEntry>, StoreError> {
        let ca = normalize_ca(ca)?;
        let rows = sqlx::query(
            "SELECT serial_hex, revoked_at, revocation_reason FROM certificates
             WHERE ca = $1 AND revoked_at IS NOT NULL
             ORDER BY revoked_at, serial_hex",
        )
        .bind(ca)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(RevokedEntry {
                    serial_hex: row.try_get(0)?,
                    revoked_at: row.try_get(1)?,
                    reason: reason_from(row.try_get(2)?)?,
                })
            })
            .collect()
    }

    /// Allocates the next CRL number of the CA `ca`: 1 for the first, then one more each call,
    /// never the same twice even with several processes (a single atomic upsert).
    pub async fn next_crl_number(&self, ca: &str) -> Result<i64, StoreError> {
        let ca = normalize_ca(ca)?;
        let row = sqlx::query(
            "INSERT INTO ca_counters (ca, crl_number, revocation_epoch) VALUES ($1, 1, 0)
             ON CONFLICT (ca) DO UPDATE SET crl_number = ca_counters.crl_number + 1
             RETURNING crl_number",
        )
        .bind(ca)
        .fetch_one(&self.pool)
        .await?;
        Ok(row.try_get(0)?)
    }

    /// Records the CRL `number` of the CA `ca`, published at `this_update`, and `audit`, in one
    /// transaction. A number recorded before is refused with [`StoreError::Conflict`].
    pub async fn record_crl(
        &self,
        ca: &str,
        number: i64,
        this_update: i64,
        der: &[u8],
        audit: &AuditEvent,
    ) -> Result<(), StoreError> {
        let ca = normalize_ca(ca)?;
        if number < 1 {
            return Err(StoreError::invalid(
                format!("CRL番号 {number} は正の数ではありません"),
                format!("CRL number {number} is not positive"),
            ));
        }
        check_event(audit)?;
        let mut tx = self.begin_write().await?;
        let inserted = sqlx::query(
            "INSERT INTO crls (ca, number, this_update, der) VALUES ($1, $2, $3, $4)
             ON CONFLICT (ca, number) DO NOTHING",
        )
        .bind(ca.clone())
        .bind(number)
        .bind(this_update)
        .bind(der.to_vec())
        .execute(&mut *tx)
        .await?;
        if inserted.rows_affected() != 1 {
            return Err(StoreError::conflict(
                format!("認証局 {ca} のCRL番号 {number} は既に記録されています"),
                format!("CRL {number} of CA {ca} is recorded already"),
            ));
        }
        self.append_audit_in(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The CRL of the CA `ca` with the highest number, if one was recorded.
    pub async fn latest_crl(&self, ca: &str) -> Result<Option<CrlRecord>, StoreError> {
        let ca = normalize_ca(ca)?;
        let row = sqlx::query(
            "SELECT ca, number, this_update, der FROM crls WHERE ca = $1
             ORDER BY number DESC LIMIT 1",
        )
        .bind(ca)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| {
            Ok(CrlRecord {
                ca: row.try_get(0)?,
                number: row.try_get(1)?,
                this_update: row.try_get(2)?,
                der: row.try_get(3)?,
            })
        })
        .transpose()
    }

    /// The revocation epoch of the CA `ca`: 0 until its first revocation, then one more for
    /// each. A server polls it to notice cheaply that another process revoked something and
    /// its cached CRL or OCSP answers are stale.
    pub async fn revocation_epoch(&self, ca: &str) -> Result<i64, StoreError> {
        let ca = normalize_ca(ca)?;
        let row = sqlx::query("SELECT revocation_epoch FROM ca_counters WHERE ca = $1")
            .bind(ca)
            .fetch_optional(&self.pool)
            .await?;
        match row {
            Some(row) => Ok(row.try_get(0)?),
            None => Ok(0),
        }
    }
}

pub(crate) fn ca_from_row(row: &AnyRow) -> Result<CaRecord, StoreError> {
    Ok(CaRecord {
        name: row.try_get(0)?,
        cert_der: row.try_get(1)?,
        key_ref: row.try_get(2)?,
        ocsp_cert_der: row.try_get(3)?,
        ocsp_key_ref: row.try_get(4)?,
        created_at: row.try_get(5)?,
    })
}

pub(crate) fn certificate_from_row(row: &AnyRow) -> Result<CertificateRecord, StoreError> {
    let revoked_at: Option<i64> = row.try_get(8)?;
    let reason: Option<i64> = row.try_get(9)?;
    Ok(CertificateRecord {
        ca: row.try_get(0)?,
        serial_hex: row.try_get(1)?,
        subject: row.try_get(2)?,
        profile: row.try_get(3)?,
        not_before: row.try_get(4)?,
        not_after: row.try_get(5)?,
        der: row.try_get(6)?,
        issued_at: row.try_get(7)?,
        status: if revoked_at.is_some() {
            CertStatus::Revoked
        } else {
            CertStatus::Good
        },
        revoked_at,
        revocation_reason: reason.map(reason_from).transpose()?,
    })
}

/// Narrows a stored reason code; the store only writes valid ones.
pub(crate) fn reason_from(stored: i64) -> Result<i32, StoreError> {
    i32::try_from(stored).map_err(|_| {
        StoreError::corrupt(
            format!("記録された失効理由 {stored} は範囲外です"),
            format!("revocation reason {stored} out of range"),
        )
    })
}

/// Checks a CA name: non-empty, at most 64 characters, ASCII letters, digits, `-` and `_`.
pub(crate) fn normalize_ca(name: &str) -> Result<String, StoreError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(name.to_owned())
    } else {
        Err(StoreError::invalid(
            format!("認証局名 {name:?} は使えません（A-Z a-z 0-9 - _ の1〜64文字）"),
            format!("CA name {name:?} (expected 1-64 of A-Z a-z 0-9 - _)"),
        ))
    }
}

/// Normalises a serial number to the one form the store keys on: lowercase hex of the positive
/// integer, without `0x`, separators or leading zeros (so `0x00AB` and `ab` are the same
/// serial). Accepts `:` separators as `openssl` prints them. Refuses zero, non-hex and values
/// longer than 20 octets (RFC 5280 §4.1.2.2).
pub fn normalize_serial(serial: &str) -> Result<String, StoreError> {
    let trimmed = serial.trim();
    let digits = trimmed
        .strip_prefix("0x")
        .or_else(|| trimmed.strip_prefix("0X"))
        .unwrap_or(trimmed);
    let digits: String = digits
        .chars()
        .filter(|c| *c != ':')
        .map(|c| c.to_ascii_lowercase())
        .collect();
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(StoreError::invalid(
            format!("シリアル番号 {serial:?} は16進数ではありません"),
            format!("serial {serial:?} is not hexadecimal"),
        ));
    }
    let significant = digits.trim_start_matches('0');
    if significant.is_empty() {
        return Err(StoreError::invalid(
            "シリアル番号 0 は使えません",
            "serial number zero",
        ));
    }
    if significant.len() > 40 {
        return Err(StoreError::invalid(
            format!("シリアル番号 {serial:?} は20オクテットを超えています"),
            format!("serial {serial:?} is longer than 20 octets"),
        ));
    }
    Ok(significant.to_owned())
}
