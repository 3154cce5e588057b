//! The audit log in the database: its records, appending one inside a write transaction (chained
//! to the head marker), reading and verifying the chain. The hash rules are in `audit.rs`.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::{Store, StoreError, canonical_json, record_hash, verify_chain};

/// Something to write to the audit log: who did what to which object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    /// Who acted (an operator, `"server"`, a client certificate subject...).
    pub actor: String,
    /// What was done (`"issue"`, `"revoke"`, `"crl"`...); must not be empty.
    pub action: String,
    /// What it was done to (a serial, a CA name...).
    pub object: String,
    /// Anything else worth keeping; stored as canonical JSON.
    pub details: serde_json::Value,
}

/// A record of the audit log as stored, with its place in the hash chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    /// Position in the log, from 1, without gaps.
    pub seq: i64,
    /// When it was written, Unix seconds (set by the store).
    pub at: i64,
    /// Who acted.
    pub actor: String,
    /// What was done.
    pub action: String,
    /// What it was done to.
    pub object: String,
    /// The details, canonical JSON (compact, keys sorted).
    pub details: String,
    /// The hash of the previous record ([`crate::GENESIS_HASH`] for the first).
    pub prev_hash: String,
    /// hex(sha256(prev_hash \n seq \n at \n actor \n action \n object \n details)).
    pub hash: String,
}

/// The result of [`Store::verify_audit`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuditVerification {
    /// Every record is present and chains to the next; `records` is how many there are.
    Intact {
        /// The number of records checked.
        records: i64,
    },
    /// The first bad record and what is wrong with it.
    Broken {
        /// The `seq` of the first bad (or first missing) record.
        seq: i64,
        /// What is wrong.
        problem: AuditProblem,
    },
}

/// What is wrong with a record of the audit log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuditProblem {
    /// The record's contents do not give its stored hash: it was changed.
    HashMismatch,
    /// The record's `prev_hash` is not the previous record's hash.
    ChainBroken,
    /// The record is absent: there is a gap in `seq`.
    Missing,
    /// The head marker says more records existed than there are: the tail was removed.
    TruncatedTail,
    /// The head marker disagrees with the last record in another way (it is behind the log, or
    /// names a different hash): the head or the last record was rewritten.
    HeadMismatch,
}

impl Store {
    /// Appends `event` to the audit log on its own, for events that change nothing else (a
    /// login, a failed attempt, a key ceremony step), and returns the stored record.
    pub async fn append_audit(&self, event: &AuditEvent) -> Result<AuditRecord, StoreError> {
        check_event(event)?;
        let mut tx = self.begin_write().await?;
        let record = self.append_audit_in(&mut tx, event).await?;
        tx.commit().await?;
        Ok(record)
    }

    /// The whole audit log, by `seq`.
    pub async fn audit_records(&self) -> Result<Vec<AuditRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT seq, at, actor, action, object, details, prev_hash, hash
             FROM audit_log ORDER BY seq",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(audit_from_row).collect()
    }

    /// The newest `limit` audit records about `object` (`subscriber/<id>` …), newest first.
    pub async fn audit_records_about(
        &self,
        object: &str,
        limit: i64,
    ) -> Result<Vec<AuditRecord>, StoreError> {
        self.newest_audit_records("object", object, limit).await
    }

    /// The newest `limit` audit records of `action` (`portal.card_reported_lost` …), newest
    /// first.
    pub async fn audit_records_of_action(
        &self,
        action: &str,
        limit: i64,
    ) -> Result<Vec<AuditRecord>, StoreError> {
        self.newest_audit_records("action", action, limit).await
    }

    /// The newest `limit` records whose `column` (`object` or `action`, both indexed with
    /// `seq`, migration 9) is `value`.
    async fn newest_audit_records(
        &self,
        column: &'static str,
        value: &str,
        limit: i64,
    ) -> Result<Vec<AuditRecord>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT seq, at, actor, action, object, details, prev_hash, hash
             FROM audit_log WHERE {column} = $1 ORDER BY seq DESC LIMIT $2"
        )))
        .bind(value.to_owned())
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(audit_from_row).collect()
    }

    /// Checks the audit log: every record present, chained to the previous one, unchanged, and
    /// the head marker agreeing with the last record. Reads the log and the head in one
    /// snapshot so concurrent appends do not cause false alarms.
    pub async fn verify_audit(&self) -> Result<AuditVerification, StoreError> {
        let mut tx = self.begin_snapshot().await?;
        let rows = sqlx::query(
            "SELECT seq, at, actor, action, object, details, prev_hash, hash
             FROM audit_log ORDER BY seq",
        )
        .fetch_all(&mut *tx)
        .await?;
        let (head_seq, head_hash) = audit_head(&mut tx).await?;
        tx.commit().await?;
        let records = rows
            .iter()
            .map(audit_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(verify_chain(&records, head_seq, &head_hash))
    }
}

/// Reads the audit head marker: the last `seq` and its hash.
pub(crate) async fn audit_head(conn: &mut AnyConnection) -> Result<(i64, String), StoreError> {
    let row = sqlx::query("SELECT last_seq, last_hash FROM audit_head WHERE id = 1")
        .fetch_optional(&mut *conn)
        .await?;
    let Some(row) = row else {
        return Err(StoreError::corrupt(
            "監査ログの末尾の記録（audit_head）がありません",
            "the audit head marker is missing",
        ));
    };
    Ok((row.try_get(0)?, row.try_get(1)?))
}

impl Store {
    /// Appends `event` to the audit log inside the caller's write transaction, chaining it to the
    /// head marker and moving the marker on.
    ///
    /// The head this store wrote last is tried first, with an update that only moves the marker
    /// if it still names exactly that record; otherwise (another process appended since) the
    /// head is read and the record chained to it. Either way the record is chained to the head
    /// as it is in the database, under the write lock.
    pub(crate) async fn append_audit_in(
        &self,
        conn: &mut AnyConnection,
        event: &AuditEvent,
    ) -> Result<AuditRecord, StoreError> {
        let at = self.now();
        let details = canonical_json(&event.details);
        let guess = self.audit_head.lock().ok().and_then(|g| g.clone());
        let mut chained = None;
        if let Some((last_seq, prev_hash)) = guess {
            let (seq, hash) = next_link(last_seq, &prev_hash, at, event, &details)?;
            let moved = sqlx::query(
                "UPDATE audit_head SET last_seq = $1, last_hash = $2
                 WHERE id = 1 AND last_seq = $3 AND last_hash = $4",
            )
            .bind(seq)
            .bind(hash.clone())
            .bind(last_seq)
            .bind(prev_hash.clone())
            .execute(&mut *conn)
            .await?;
            if moved.rows_affected() == 1 {
                chained = Some((seq, prev_hash, hash));
            }
        }
        let (seq, prev_hash, hash) = match chained {
            Some(c) => c,
            None => {
                let (last_seq, prev_hash) = audit_head(conn).await?;
                let (seq, hash) = next_link(last_seq, &prev_hash, at, event, &details)?;
                sqlx::query("UPDATE audit_head SET last_seq = $1, last_hash = $2 WHERE id = 1")
                    .bind(seq)
                    .bind(hash.clone())
                    .execute(&mut *conn)
                    .await?;
                (seq, prev_hash, hash)
            }
        };
        sqlx::query(
            "INSERT INTO audit_log (seq, at, actor, action, object, details, prev_hash, hash)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(seq)
        .bind(at)
        .bind(event.actor.clone())
        .bind(event.action.clone())
        .bind(event.object.clone())
        .bind(details.clone())
        .bind(prev_hash.clone())
        .bind(hash.clone())
        .execute(&mut *conn)
        .await?;
        // If the transaction is rolled back after all, the guess is ahead of the database and
        // the next append falls back to reading the head.
        if let Ok(mut g) = self.audit_head.lock() {
            *g = Some((seq, hash.clone()));
        }
        Ok(AuditRecord {
            seq,
            at,
            actor: event.actor.clone(),
            action: event.action.clone(),
            object: event.object.clone(),
            details,
            prev_hash,
            hash,
        })
    }
}

/// The `seq` and hash of the record that follows `last_seq` / `prev_hash`.
pub(crate) fn next_link(
    last_seq: i64,
    prev_hash: &str,
    at: i64,
    event: &AuditEvent,
    details: &str,
) -> Result<(i64, String), StoreError> {
    let seq = last_seq.checked_add(1).ok_or_else(|| {
        StoreError::corrupt(
            "監査ログの通し番号があふれました",
            "audit sequence overflow",
        )
    })?;
    let hash = record_hash(
        prev_hash,
        seq,
        at,
        &event.actor,
        &event.action,
        &event.object,
        details,
    );
    Ok((seq, hash))
}

pub(crate) fn audit_from_row(row: &AnyRow) -> Result<AuditRecord, StoreError> {
    Ok(AuditRecord {
        seq: row.try_get(0)?,
        at: row.try_get(1)?,
        actor: row.try_get(2)?,
        action: row.try_get(3)?,
        object: row.try_get(4)?,
        details: row.try_get(5)?,
        prev_hash: row.try_get(6)?,
        hash: row.try_get(7)?,
    })
}

/// Checks an audit event before any transaction starts.
pub(crate) fn check_event(event: &AuditEvent) -> Result<(), StoreError> {
    if event.action.trim().is_empty() {
        return Err(StoreError::invalid(
            "監査記録の操作名が空です",
            "audit action is empty",
        ));
    }
    Ok(())
}
