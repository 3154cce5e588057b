//! The archive of signed documents (`hpki-archive`): one row per document, with its current
//! signed bytes (replaced at every archive time-stamp renewal), its retention and renewal
//! dates, and, once deleted, a tombstone.
//!
//! Every state change — a document archived, its time-stamp renewed, its bytes deleted — is
//! written in one transaction with its audit record. The retention rule is enforced here too
//! (a deletion whose time is before `retain_until` changes nothing), and a renewal only
//! replaces the bytes it was computed from (`renewals` must still be what the caller read), so
//! two renewal jobs running at once cannot lose a time-stamp.
//!
//! Listing never reads the signed bytes: [`Store::archive_documents`] returns the metadata
//! only, [`Store::archive_document`] one document with its bytes.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{AuditEvent, Store, StoreError, check_event};

/// A document to archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewArchiveDocument {
    /// The document type's identifier (`medical-certificate`, `referral-letter`, …).
    pub document_type: String,
    /// A title for the operator (「診断書 日医花子様」).
    pub title: String,
    /// The file name it was received as.
    pub file_name: String,
    /// `cades`, `pades` or `xades`.
    pub format: String,
    /// The signed bytes, already raised to B-LTA.
    pub signed: Vec<u8>,
    /// The signed content, when the signature is detached.
    pub detached_content: Option<Vec<u8>>,
    /// SHA-256 of `signed`, lowercase hex.
    pub sha256: String,
    /// SHA-256 of `detached_content`, lowercase hex.
    pub content_sha256: Option<String>,
    /// The signer's certificate subject, as text.
    pub signer_subject: String,
    /// The subscriber ID (subject serialNumber) of the signer's certificate, when it has one.
    pub subscriber_id: Option<String>,
    /// The time the signature was proven to exist at (its earliest time-stamp on arrival),
    /// Unix seconds.
    pub signed_at: Option<i64>,
    /// When it was archived, Unix seconds.
    pub archived_at: i64,
    /// Who archived it.
    pub archived_by: String,
    /// Where the retention period counts from, Unix seconds.
    pub retain_from: i64,
    /// The retention period, years.
    pub retain_years: i64,
    /// The first moment the document may be deleted, Unix seconds.
    pub retain_until: i64,
    /// `genTime` of the latest archive (or document) time-stamp, Unix seconds.
    pub last_time_stamp_at: i64,
    /// When the next archive time-stamp is due, Unix seconds.
    pub next_renewal_due: i64,
}

/// An archived document, without its bytes ([`ArchiveDocument`] has them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveDocumentRecord {
    /// Its number in the archive.
    pub id: i64,
    /// The document type's identifier.
    pub document_type: String,
    /// Its title.
    pub title: String,
    /// The file name it was received as.
    pub file_name: String,
    /// `cades`, `pades` or `xades`.
    pub format: String,
    /// SHA-256 of the current signed bytes (of the last ones, once deleted), hex.
    pub sha256: String,
    /// SHA-256 of the detached content, hex.
    pub content_sha256: Option<String>,
    /// The signer's certificate subject.
    pub signer_subject: String,
    /// The signer's subscriber ID.
    pub subscriber_id: Option<String>,
    /// The proven signing time, Unix seconds.
    pub signed_at: Option<i64>,
    /// When it was archived, Unix seconds.
    pub archived_at: i64,
    /// Who archived it.
    pub archived_by: String,
    /// Where the retention period counts from, Unix seconds.
    pub retain_from: i64,
    /// The retention period, years.
    pub retain_years: i64,
    /// The first moment it may be deleted, Unix seconds.
    pub retain_until: i64,
    /// `genTime` of the latest archive time-stamp, Unix seconds.
    pub last_time_stamp_at: i64,
    /// When the next archive time-stamp is due, Unix seconds.
    pub next_renewal_due: i64,
    /// How many archive time-stamps were added after archiving.
    pub renewals: i64,
    /// When its bytes were deleted (the row stays as a tombstone), Unix seconds.
    pub deleted_at: Option<i64>,
    /// Who deleted them.
    pub deleted_by: Option<String>,
    /// Why.
    pub deletion_reason: Option<String>,
}

/// An archived document with its bytes (both `None` once deleted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveDocument {
    /// Its record.
    pub record: ArchiveDocumentRecord,
    /// The current signed bytes.
    pub signed: Option<Vec<u8>>,
    /// The detached content.
    pub detached_content: Option<Vec<u8>>,
}

/// The result of an archive time-stamp renewal, to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveRenewal {
    /// The signed bytes with the new time-stamp.
    pub signed: Vec<u8>,
    /// Their SHA-256, hex.
    pub sha256: String,
    /// `genTime` of the new time-stamp, Unix seconds.
    pub last_time_stamp_at: i64,
    /// The next renewal, Unix seconds.
    pub next_renewal_due: i64,
}

/// Which archived documents [`Store::archive_documents`] lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ArchiveFilter {
    /// Only those not deleted whose next renewal is due at or before this time (Unix seconds).
    pub due_at: Option<i64>,
    /// Also the deleted ones (tombstones).
    pub include_deleted: bool,
}

const COLUMNS: &str = "id, document_type, title, file_name, format, sha256, content_sha256,
     signer_subject, subscriber_id, signed_at, archived_at, archived_by, retain_from,
     retain_years, retain_until, last_time_stamp_at, next_renewal_due, renewals, deleted_at,
     deleted_by, deletion_reason";

fn record_from_row(row: &AnyRow) -> Result<ArchiveDocumentRecord, StoreError> {
    Ok(ArchiveDocumentRecord {
        id: row.try_get(0)?,
        document_type: row.try_get(1)?,
        title: row.try_get(2)?,
        file_name: row.try_get(3)?,
        format: row.try_get(4)?,
        sha256: row.try_get(5)?,
        content_sha256: row.try_get(6)?,
        signer_subject: row.try_get(7)?,
        subscriber_id: row.try_get(8)?,
        signed_at: row.try_get(9)?,
        archived_at: row.try_get(10)?,
        archived_by: row.try_get(11)?,
        retain_from: row.try_get(12)?,
        retain_years: row.try_get(13)?,
        retain_until: row.try_get(14)?,
        last_time_stamp_at: row.try_get(15)?,
        next_renewal_due: row.try_get(16)?,
        renewals: row.try_get(17)?,
        deleted_at: row.try_get(18)?,
        deleted_by: row.try_get(19)?,
        deletion_reason: row.try_get(20)?,
    })
}

impl Store {
    /// Archives `doc` with `audit` in one transaction; returns its number. `audit`'s object
    /// is set to `archive/<id>`.
    pub async fn add_archive_document(
        &self,
        doc: &NewArchiveDocument,
        audit: &AuditEvent,
    ) -> Result<i64, StoreError> {
        check_event(audit)?;
        if doc.signed.is_empty() {
            return Err(StoreError::invalid(
                "保管する署名済みデータがありません",
                "no signed bytes to archive",
            ));
        }
        let mut tx = self.begin_write().await?;
        let id: i64 = sqlx::query("SELECT COALESCE(MAX(id), 0) + 1 FROM archive_documents")
            .fetch_one(&mut *tx)
            .await?
            .try_get(0)?;
        sqlx::query(
            "INSERT INTO archive_documents (id, document_type, title, file_name, format, signed,
                detached_content, sha256, content_sha256, signer_subject, subscriber_id,
                signed_at, archived_at, archived_by, retain_from, retain_years, retain_until,
                last_time_stamp_at, next_renewal_due, renewals, deleted_at, deleted_by,
                deletion_reason)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
                $18, $19, 0, NULL, NULL, NULL)",
        )
        .bind(id)
        .bind(doc.document_type.clone())
        .bind(doc.title.clone())
        .bind(doc.file_name.clone())
        .bind(doc.format.clone())
        .bind(doc.signed.clone())
        .bind(doc.detached_content.clone())
        .bind(doc.sha256.clone())
        .bind(doc.content_sha256.clone())
        .bind(doc.signer_subject.clone())
        .bind(doc.subscriber_id.clone())
        .bind(doc.signed_at)
        .bind(doc.archived_at)
        .bind(doc.archived_by.clone())
        .bind(doc.retain_from)
        .bind(doc.retain_years)
        .bind(doc.retain_until)
        .bind(doc.last_time_stamp_at)
        .bind(doc.next_renewal_due)
        .execute(&mut *tx)
        .await?;
        let mut audit = audit.clone();
        audit.object = format!("archive/{id}");
        self.append_audit_in(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The archived documents `filter` selects, by number, without their bytes.
    pub async fn archive_documents(
        &self,
        filter: ArchiveFilter,
    ) -> Result<Vec<ArchiveDocumentRecord>, StoreError> {
        let rows =
            match (filter.due_at, filter.include_deleted) {
                (Some(due), _) => {
                    sqlx::query(sqlx::AssertSqlSafe(format!(
                        "SELECT {COLUMNS} FROM archive_documents
                     WHERE deleted_at IS NULL AND next_renewal_due <= $1
                     ORDER BY next_renewal_due, id"
                    )))
                    .bind(due)
                    .fetch_all(&self.pool)
                    .await?
                }
                (None, true) => {
                    sqlx::query(sqlx::AssertSqlSafe(format!(
                        "SELECT {COLUMNS} FROM archive_documents ORDER BY id"
                    )))
                    .fetch_all(&self.pool)
                    .await?
                }
                (None, false) => sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT {COLUMNS} FROM archive_documents WHERE deleted_at IS NULL ORDER BY id"
                )))
                .fetch_all(&self.pool)
                .await?,
            };
        rows.iter().map(record_from_row).collect()
    }

    /// The archived document `id` with its bytes, if there is one (deleted ones included).
    pub async fn archive_document(&self, id: i64) -> Result<Option<ArchiveDocument>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS}, signed, detached_content FROM archive_documents WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| {
            Ok(ArchiveDocument {
                record: record_from_row(&row)?,
                signed: row.try_get(21)?,
                detached_content: row.try_get(22)?,
            })
        })
        .transpose()
    }

    /// The record of archived document `id` (deleted ones included), without its bytes.
    pub async fn archive_document_record(
        &self,
        id: i64,
    ) -> Result<Option<ArchiveDocumentRecord>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM archive_documents WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(record_from_row).transpose()
    }

    /// Replaces the signed bytes of document `id` with `renewal` and writes `audit`, in one
    /// transaction — only if the document is not deleted and has had `expected_renewals`
    /// renewals (what the caller read before computing the renewal).
    ///
    /// # Errors
    /// [`StoreError::Conflict`] when the document was deleted or renewed meanwhile (nothing
    /// is written).
    pub async fn renew_archive_document(
        &self,
        id: i64,
        expected_renewals: i64,
        renewal: &ArchiveRenewal,
        audit: &AuditEvent,
    ) -> Result<(), StoreError> {
        check_event(audit)?;
        if renewal.signed.is_empty() {
            return Err(StoreError::invalid(
                "署名済みデータがありません",
                "no signed bytes",
            ));
        }
        let mut tx = self.begin_write().await?;
        let updated = sqlx::query(
            "UPDATE archive_documents SET signed = $1, sha256 = $2, last_time_stamp_at = $3,
                next_renewal_due = $4, renewals = renewals + 1
             WHERE id = $5 AND deleted_at IS NULL AND renewals = $6",
        )
        .bind(renewal.signed.clone())
        .bind(renewal.sha256.clone())
        .bind(renewal.last_time_stamp_at)
        .bind(renewal.next_renewal_due)
        .bind(id)
        .bind(expected_renewals)
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() != 1 {
            tx.rollback().await?;
            return Err(StoreError::conflict(
                format!("文書 {id} は他の処理で削除または更新されました"),
                format!("archive document {id} was deleted or renewed meanwhile"),
            ));
        }
        self.append_audit_in(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Deletes the bytes of document `id` (signed bytes and detached content), keeping the row
    /// as a tombstone with `deleted_at`, `deleted_by` and `reason`, and writes `audit`, in one
    /// transaction — only if it is not deleted yet and `deleted_at` is at or after its
    /// `retain_until`.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] when the document is already deleted or its retention period
    /// has not ended at `deleted_at` (nothing is written); [`StoreError::InvalidInput`] when
    /// there is no such document.
    pub async fn delete_archive_document(
        &self,
        id: i64,
        deleted_at: i64,
        deleted_by: &str,
        reason: &str,
        audit: &AuditEvent,
    ) -> Result<(), StoreError> {
        check_event(audit)?;
        let mut tx = self.begin_write().await?;
        let updated = sqlx::query(
            "UPDATE archive_documents SET signed = NULL, detached_content = NULL,
                deleted_at = $1, deleted_by = $2, deletion_reason = $3
             WHERE id = $4 AND deleted_at IS NULL AND retain_until <= $1",
        )
        .bind(deleted_at)
        .bind(deleted_by.to_owned())
        .bind(reason.to_owned())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() != 1 {
            let exists = sqlx::query("SELECT id FROM archive_documents WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?
                .is_some();
            tx.rollback().await?;
            return Err(if exists {
                StoreError::conflict(
                    format!("文書 {id} は削除済みか保存期間内です"),
                    format!(
                        "archive document {id} is deleted already or still within its retention period"
                    ),
                )
            } else {
                StoreError::invalid(
                    format!("文書 {id} はありません"),
                    format!("no archive document {id}"),
                )
            });
        }
        self.append_audit_in(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(n: u8) -> NewArchiveDocument {
        NewArchiveDocument {
            document_type: "referral-letter".into(),
            title: format!("紹介状 {n}"),
            file_name: "letter.p7s".into(),
            format: "cades".into(),
            signed: vec![0x30, n],
            detached_content: Some(vec![n]),
            sha256: "00".into(),
            content_sha256: Some("11".into()),
            signer_subject: "CN=Taro Nichii".into(),
            subscriber_id: Some("JMA9999999999".into()),
            signed_at: Some(1_000),
            archived_at: 2_000,
            archived_by: "test".into(),
            retain_from: 1_000,
            retain_years: 5,
            retain_until: 10_000,
            last_time_stamp_at: 2_000,
            next_renewal_due: 5_000 + i64::from(n),
        }
    }

    fn event(action: &str) -> AuditEvent {
        AuditEvent {
            actor: "test".into(),
            action: action.into(),
            object: "archive".into(),
            details: serde_json::json!({}),
        }
    }

    #[tokio::test]
    async fn documents_are_added_renewed_and_deleted_with_their_audit_records()
    -> Result<(), StoreError> {
        let store = Store::connect("sqlite::memory:").await?;
        let a = store
            .add_archive_document(&doc(1), &event("archive.added"))
            .await?;
        let b = store
            .add_archive_document(&doc(2), &event("archive.added"))
            .await?;
        assert_eq!((a, b), (1, 2));
        let due = store
            .archive_documents(ArchiveFilter {
                due_at: Some(5_001),
                include_deleted: false,
            })
            .await?;
        assert_eq!(due.iter().map(|d| d.id).collect::<Vec<_>>(), [1]);

        let renewal = ArchiveRenewal {
            signed: vec![0x30, 9],
            sha256: "99".into(),
            last_time_stamp_at: 6_000,
            next_renewal_due: 9_000,
        };
        store
            .renew_archive_document(1, 0, &renewal, &event("archive.renewed"))
            .await?;
        // A second job that read the same state is refused.
        assert!(matches!(
            store
                .renew_archive_document(1, 0, &renewal, &event("archive.renewed"))
                .await,
            Err(StoreError::Conflict(_))
        ));
        let got = store.archive_document(1).await?.expect("document 1");
        assert_eq!(got.signed.as_deref(), Some(&[0x30, 9][..]));
        assert_eq!(
            (got.record.renewals, got.record.next_renewal_due),
            (1, 9_000)
        );

        // Before retain_until: refused, nothing changes.
        assert!(matches!(
            store
                .delete_archive_document(1, 9_999, "test", "expired", &event("archive.deleted"))
                .await,
            Err(StoreError::Conflict(_))
        ));
        assert!(matches!(
            store
                .delete_archive_document(7, 99_999, "test", "expired", &event("archive.deleted"))
                .await,
            Err(StoreError::InvalidInput(_))
        ));
        store
            .delete_archive_document(1, 10_000, "test", "expired", &event("archive.deleted"))
            .await?;
        let gone = store.archive_document(1).await?.expect("tombstone");
        assert_eq!((gone.signed, gone.detached_content), (None, None));
        assert_eq!(gone.record.deleted_at, Some(10_000));
        assert_eq!(gone.record.deletion_reason.as_deref(), Some("expired"));
        assert_eq!(gone.record.sha256, "99");
        // Deleted: neither listed nor renewable nor deletable again.
        assert_eq!(
            store
                .archive_documents(ArchiveFilter::default())
                .await?
                .len(),
            1
        );
        assert_eq!(
            store
                .archive_documents(ArchiveFilter {
                    due_at: None,
                    include_deleted: true
                })
                .await?
                .len(),
            2
        );
        assert!(
            store
                .renew_archive_document(1, 1, &renewal, &event("archive.renewed"))
                .await
                .is_err()
        );
        let actions: Vec<String> = store
            .audit_records()
            .await?
            .into_iter()
            .map(|r| format!("{} {}", r.action, r.object))
            .collect();
        assert_eq!(
            actions,
            [
                "archive.added archive/1",
                "archive.added archive/2",
                "archive.renewed archive",
                "archive.deleted archive"
            ]
        );
        Ok(())
    }
}
