//! Group commit of certificate insertions on SQLite.
//!
//! With `synchronous = FULL` every commit waits for the disk to flush the WAL, which on a
//! small virtual machine takes about as long as an RSA-2048 signature. Issuers that finish at
//! about the same time therefore share a commit: each insertion is queued, one commit task
//! writes everything queued so far as one transaction (one flush), and every issuer is told
//! the outcome only after that transaction committed. A certificate is thus on disk when
//! `Store::insert_certificate` returns, exactly as with a commit of its own; only the flush
//! is shared.
//!
//! The transaction is all or nothing. If it fails (a serial not reserved, a certificate
//! already recorded, an audit head moved by another process, a database error), every
//! insertion of the group is answered "not done" and its caller takes the general path on its
//! own, which tells the cases apart; nothing of the group was written.
//!
//! The commit task is spawned on the runtime rather than run by one of the callers, so that a
//! caller that gives up (its future dropped) cannot cancel the others' commit half-way.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use sqlx::AssertSqlSafe;
use tokio::sync::oneshot;

use crate::sqlite_writer::SqliteWriter;
use crate::{AuditEvent, NewCertificate, StoreError, canonical_json, next_link};

/// The most insertions one transaction takes ([`PARAMS_PER_INSERT`] parameters each, far below SQLite's limit of
/// 32,766).
const GROUP_MAX: usize = 64;

/// The statements of one insertion, with its parameters written `:pN:`: renumbered for its
/// place in the group, they become `$N`.
const INSERT_ONE: &str = "
    INSERT INTO certificates
        (ca, serial_hex, subject, profile, not_before, not_after, der, issued_at,
         spki_sha256, issued_for, linked_at)
    SELECT :p1:, :p2:, :p3:, :p4:, :p5:, :p6:, :p7:, :p8:, :p18:, :p19:, :p20:
    WHERE EXISTS (SELECT 1 FROM serials WHERE ca = :p1: AND serial_hex = :p2:);
    UPDATE audit_head SET last_seq = :p9:, last_hash = :p10:
    WHERE id = 1 AND last_seq = :p11: AND last_hash = :p12: AND changes() = 1;
    INSERT INTO audit_log (seq, at, actor, action, object, details, prev_hash, hash)
    VALUES (:p9:, CASE WHEN changes() = 1 THEN :p13: END, :p14:, :p15:, :p16:, :p17:, :p12:, :p10:);";

/// Parameters of [`INSERT_ONE`].
const PARAMS_PER_INSERT: usize = 20;

/// One certificate with its audit record, normalised and checked by the store.
#[derive(Debug)]
pub(crate) struct CertificateInsert {
    pub(crate) ca: String,
    pub(crate) serial: String,
    pub(crate) cert: NewCertificate,
    pub(crate) audit: AuditEvent,
    /// When the insertion was asked for (the store's clock), the audit record's `at`.
    pub(crate) at: i64,
}

/// The queue, and whether a commit task is running to empty it.
#[derive(Debug, Default)]
pub(crate) struct CommitQueue {
    state: Mutex<QueueState>,
    /// Insertions committed, and the transactions that committed them (for tests).
    inserted: AtomicU64,
    groups: AtomicU64,
}

#[derive(Debug, Default)]
struct QueueState {
    pending: Vec<(CertificateInsert, oneshot::Sender<bool>)>,
    committing: bool,
}

impl CommitQueue {
    /// Insertions committed by group commits.
    #[cfg(test)]
    pub(crate) fn inserted(&self) -> u64 {
        self.inserted.load(Ordering::Relaxed)
    }

    /// Group commits (transactions) that committed them.
    #[cfg(test)]
    pub(crate) fn groups(&self) -> u64 {
        self.groups.load(Ordering::Relaxed)
    }

    fn state(&self) -> std::sync::MutexGuard<'_, QueueState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Queues `insert` for the next group commit and waits for it. `true`: the certificate and
/// its audit record are committed; `false`: nothing of it was written, and the caller should
/// take the general path.
pub(crate) async fn insert_certificate(
    writer: &Arc<SqliteWriter>,
    audit_head: &Arc<Mutex<Option<(i64, String)>>>,
    insert: CertificateInsert,
) -> bool {
    let (done, outcome) = oneshot::channel();
    let start = {
        let mut state = writer.queue.state();
        state.pending.push((insert, done));
        !std::mem::replace(&mut state.committing, true)
    };
    if start {
        tokio::spawn(commit_task(writer.clone(), audit_head.clone()));
    }
    // A commit task that stopped without answering (it panicked, or the runtime is shutting
    // down) dropped the sender: nothing was committed for this insertion.
    outcome.await.unwrap_or(false)
}

/// Commits what is queued, group by group, until the queue is empty.
async fn commit_task(writer: Arc<SqliteWriter>, audit_head: Arc<Mutex<Option<(i64, String)>>>) {
    // Whatever way this task ends, a later insertion must find `committing` false, and every
    // insertion still queued gets its answer ("not done", by its dropped sender).
    struct Stop<'a>(&'a CommitQueue);
    impl Drop for Stop<'_> {
        fn drop(&mut self) {
            let mut state = self.0.state();
            state.committing = false;
            state.pending.clear();
        }
    }
    let _stop = Stop(&writer.queue);
    loop {
        let group: Vec<_> = {
            let mut state = writer.queue.state();
            if state.pending.is_empty() {
                state.committing = false;
                return;
            }
            let n = state.pending.len().min(GROUP_MAX);
            state.pending.drain(..n).collect()
        };
        let (inserts, answers): (Vec<_>, Vec<_>) = group.into_iter().unzip();
        let committed = commit_group(&writer, &audit_head, &inserts)
            .await
            .unwrap_or(false);
        if committed {
            let queue = &writer.queue;
            queue.groups.fetch_add(1, Ordering::Relaxed);
            queue
                .inserted
                .fetch_add(inserts.len() as u64, Ordering::Relaxed);
        }
        for answer in answers {
            let _ = answer.send(committed);
        }
    }
}

/// Writes `inserts` in one transaction, chaining their audit records on the head this store
/// last wrote. `Ok(true)` only if it committed.
///
/// The statements of each insertion are chained so that `COMMIT` is only reached when all went
/// as planned: the certificate is inserted only if its serial is reserved (a second
/// certificate for the serial fails the `UNIQUE` constraint); the head only moves if the
/// certificate was inserted and the head is the one expected; and the audit record, inserted
/// only if the head moved, otherwise fails its `NOT NULL` constraint, which stops the command
/// before `COMMIT`.
async fn commit_group(
    writer: &SqliteWriter,
    audit_head: &Mutex<Option<(i64, String)>>,
    inserts: &[CertificateInsert],
) -> Result<bool, StoreError> {
    // The head is read once the connection is ours: groups chain one after the other.
    let mut conn = writer.lock().await;
    let Some((mut last_seq, mut last_hash)) = audit_head.lock().ok().and_then(|g| g.clone()) else {
        return Ok(false);
    };
    let mut sql = String::from("BEGIN IMMEDIATE;");
    let mut links = Vec::with_capacity(inserts.len());
    for (i, insert) in inserts.iter().enumerate() {
        let details = canonical_json(&insert.audit.details);
        let (seq, hash) = next_link(last_seq, &last_hash, insert.at, &insert.audit, &details)?;
        links.push((last_seq, last_hash, seq, hash.clone(), details));
        (last_seq, last_hash) = (seq, hash);
        let mut statements = String::from(INSERT_ONE);
        for k in (1..=PARAMS_PER_INSERT).rev() {
            statements = statements.replace(
                &format!(":p{k}:"),
                &format!("${}", PARAMS_PER_INSERT * i + k),
            );
        }
        sql.push_str(&statements);
    }
    sql.push_str("COMMIT");
    // Only placeholders and fixed SQL were put into `sql`; every value is bound.
    let mut query = sqlx::query(AssertSqlSafe(sql));
    for (insert, (prev_seq, prev_hash, seq, hash, details)) in inserts.iter().zip(links) {
        let cert = &insert.cert;
        query = query
            .bind(insert.ca.clone())
            .bind(insert.serial.clone())
            .bind(cert.subject.clone())
            .bind(cert.profile.clone())
            .bind(cert.not_before)
            .bind(cert.not_after)
            .bind(cert.der.clone())
            .bind(cert.issued_at)
            .bind(seq)
            .bind(hash)
            .bind(prev_seq)
            .bind(prev_hash)
            .bind(insert.at)
            .bind(insert.audit.actor.clone())
            .bind(insert.audit.action.clone())
            .bind(insert.audit.object.clone())
            .bind(details)
            .bind(cert.spki_sha256.clone())
            .bind(cert.issued_for.clone())
            .bind(cert.linked_at());
    }
    if conn.run_transaction(query).await.is_err() {
        return Ok(false);
    }
    if let Ok(mut g) = audit_head.lock() {
        *g = Some((last_seq, last_hash));
    }
    Ok(true)
}
