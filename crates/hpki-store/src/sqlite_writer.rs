//! The one-command write path of SQLite.
//!
//! sqlx runs each SQLite connection on a thread of its own, and every statement is a round trip
//! to that thread: two thread wake-ups, which on a small virtual machine cost more than the
//! statement. A certificate with its audit record takes five statements (`BEGIN IMMEDIATE`,
//! three writes, `COMMIT`) when sent one by one. The writer sends them as one command instead
//! (for several certificates at once, see `group_commit.rs`),
//! on a connection of its own, written so that either every statement succeeds and the last one
//! commits, or a statement fails before `COMMIT` and the transaction is rolled back.
//!
//! A command stopped half-way (its caller gave up, or a statement failed) may leave the
//! transaction open on the connection, holding SQLite's write lock. The connection is therefore
//! taken out of the writer while a command runs: if the caller's future is dropped, the
//! connection is dropped with it, and SQLite rolls back what was left open when it closes. After
//! a failed statement the writer rolls back and keeps the connection only if that worked.

use sqlx::any::AnyArguments;
use sqlx::query::Query;
use sqlx::{Any, AnyConnection, Connection};
use tokio::sync::{Mutex, MutexGuard};

/// A connection for whole-transaction commands, connected on first use.
#[derive(Debug)]
pub(crate) struct SqliteWriter {
    url: String,
    conn: Mutex<Option<AnyConnection>>,
    /// Certificate insertions waiting for their group commit (see `group_commit.rs`).
    pub(crate) queue: crate::group_commit::CommitQueue,
}

impl SqliteWriter {
    pub(crate) fn new(url: String) -> Self {
        SqliteWriter {
            url,
            conn: Mutex::new(None),
            queue: Default::default(),
        }
    }

    /// Waits for the connection. Commands through the writer run one after the other, so a
    /// caller that reads the audit head after taking the guard does not chain on the same head
    /// as another insertion of this process.
    pub(crate) async fn lock(&self) -> WriterGuard<'_> {
        WriterGuard {
            writer: self,
            slot: self.conn.lock().await,
        }
    }

    /// Closes the connection, if open.
    pub(crate) async fn close(&self) {
        if let Some(conn) = self.conn.lock().await.take() {
            let _ = conn.close().await;
        }
    }
}

/// The writer's connection, held by one caller.
pub(crate) struct WriterGuard<'a> {
    writer: &'a SqliteWriter,
    slot: MutexGuard<'a, Option<AnyConnection>>,
}

impl WriterGuard<'_> {
    /// Runs `query`, one whole transaction from `BEGIN IMMEDIATE` to `COMMIT`. `Ok` means it
    /// committed; `Err` means it did not (it was rolled back, or never began).
    pub(crate) async fn run_transaction(
        &mut self,
        query: Query<'_, Any, AnyArguments>,
    ) -> Result<(), sqlx::Error> {
        let mut conn = match self.slot.take() {
            Some(conn) => conn,
            None => {
                let mut conn = AnyConnection::connect(&self.writer.url).await?;
                crate::sqlite_session_settings(&mut conn).await?;
                conn
            }
        };
        match query.execute(&mut conn).await {
            Ok(_) => {
                *self.slot = Some(conn);
                Ok(())
            }
            Err(e) => {
                // Roll back what the failed statement left open. If that fails too (nothing was
                // open, or the connection is broken), the connection is dropped, which also
                // rolls back; the next command connects afresh.
                if sqlx::raw_sql("ROLLBACK").execute(&mut conn).await.is_ok() {
                    *self.slot = Some(conn);
                }
                Err(e)
            }
        }
    }
}
