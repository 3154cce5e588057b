//! The reader's local queue: every tap is written here before anything is sent, with a random
//! nonce and the reader's time, and stays until the server has answered it (delivered) or
//! refused it as malformed (refused). SQLite in WAL mode with `synchronous = FULL`: a tap the
//! program reported queued survives a power cut.

use std::path::Path;
use std::str::FromStr;

use sqlx::Row;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

/// A queue that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    /// The database failed.
    #[error("reader queue: {0}")]
    Database(#[from] sqlx::Error),
    /// No randomness for a nonce.
    #[error("reader queue: no randomness for a nonce")]
    Random,
}

/// A tap in the queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedTap {
    /// Its place in the queue (sent in this order).
    pub seq: i64,
    /// Its nonce (32 hex digits).
    pub nonce: String,
    /// The card's UID (upper-case hex).
    pub uid: Option<String>,
    /// The card ID, when read.
    pub card_id: Option<String>,
    /// When it was tapped, Unix seconds by the reader's clock.
    pub tapped_at: i64,
    /// Delivery attempts so far.
    pub tries: i64,
}

/// How many taps are in each state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Waiting to be sent.
    pub queued: i64,
    /// Answered by the server.
    pub delivered: i64,
    /// Refused by the server as malformed; kept for the operator.
    pub refused: i64,
}

/// The queue file.
#[derive(Debug, Clone)]
pub struct Queue {
    pool: SqlitePool,
}

const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS taps (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    nonce TEXT NOT NULL UNIQUE,
    uid TEXT,
    card_id TEXT,
    tapped_at INTEGER NOT NULL,
    state TEXT NOT NULL,
    tries INTEGER NOT NULL DEFAULT 0,
    answer TEXT,
    last_error TEXT
)";

fn random_nonce() -> Result<String, QueueError> {
    let mut b = [0u8; 16];
    aws_lc_rs::rand::fill(&mut b).map_err(|_| QueueError::Random)?;
    Ok(hex::encode(b))
}

impl Queue {
    /// Opens (creating if missing) the queue at `path`.
    pub async fn open(path: &Path) -> Result<Queue, QueueError> {
        let options = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full);
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await?;
        sqlx::query(SCHEMA).execute(&pool).await?;
        Ok(Queue { pool })
    }

    /// Queues a tap of `uid` / `card_id` at `tapped_at`, with a fresh nonce.
    pub async fn push(
        &self,
        uid: Option<&str>,
        card_id: Option<&str>,
        tapped_at: i64,
    ) -> Result<QueuedTap, QueueError> {
        let nonce = random_nonce()?;
        let row = sqlx::query(
            "INSERT INTO taps (nonce, uid, card_id, tapped_at, state) VALUES (?, ?, ?, ?, 'queued') RETURNING seq",
        )
        .bind(&nonce)
        .bind(uid)
        .bind(card_id)
        .bind(tapped_at)
        .fetch_one(&self.pool)
        .await?;
        Ok(QueuedTap {
            seq: row.try_get(0)?,
            nonce,
            uid: uid.map(str::to_owned),
            card_id: card_id.map(str::to_owned),
            tapped_at,
            tries: 0,
        })
    }

    /// The queued taps, oldest first, at most `limit`.
    pub async fn pending(&self, limit: i64) -> Result<Vec<QueuedTap>, QueueError> {
        let rows = sqlx::query(
            "SELECT seq, nonce, uid, card_id, tapped_at, tries FROM taps WHERE state = 'queued' ORDER BY seq LIMIT ?",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(QueuedTap {
                    seq: r.try_get(0)?,
                    nonce: r.try_get(1)?,
                    uid: r.try_get(2)?,
                    card_id: r.try_get(3)?,
                    tapped_at: r.try_get(4)?,
                    tries: r.try_get(5)?,
                })
            })
            .collect()
    }

    /// The server answered tap `seq` with `answer` (JSON).
    pub async fn delivered(&self, seq: i64, answer: &str) -> Result<(), QueueError> {
        sqlx::query(
            "UPDATE taps SET state = 'delivered', answer = ?, tries = tries + 1 WHERE seq = ?",
        )
        .bind(answer)
        .bind(seq)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The server refused tap `seq` as malformed (`why`): it is not sent again.
    pub async fn refused(&self, seq: i64, why: &str) -> Result<(), QueueError> {
        sqlx::query(
            "UPDATE taps SET state = 'refused', last_error = ?, tries = tries + 1 WHERE seq = ?",
        )
        .bind(why)
        .bind(seq)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Sending tap `seq` failed for now (`why`): it stays queued.
    pub async fn failed(&self, seq: i64, why: &str) -> Result<(), QueueError> {
        sqlx::query("UPDATE taps SET last_error = ?, tries = tries + 1 WHERE seq = ?")
            .bind(why)
            .bind(seq)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// How many taps are in each state.
    pub async fn counts(&self) -> Result<Counts, QueueError> {
        let rows = sqlx::query("SELECT state, COUNT(*) FROM taps GROUP BY state")
            .fetch_all(&self.pool)
            .await?;
        let mut c = Counts::default();
        for r in rows {
            let state: String = r.try_get(0)?;
            let n: i64 = r.try_get(1)?;
            match state.as_str() {
                "queued" => c.queued = n,
                "delivered" => c.delivered = n,
                "refused" => c.refused = n,
                _ => {}
            }
        }
        Ok(c)
    }

    /// Closes the file.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn taps_leave_the_queue_in_order_and_only_when_answered_or_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("queue.db");
        let q = Queue::open(&path).await.unwrap();
        let a = q.push(Some("04A1B2C3"), None, 100).await.unwrap();
        let b = q.push(Some("04A1B2C3"), None, 200).await.unwrap();
        let c = q.push(None, Some("JMAC61100001"), 300).await.unwrap();
        assert_ne!(a.nonce, b.nonce);
        q.failed(a.seq, "connection refused").await.unwrap();
        let pending = q.pending(10).await.unwrap();
        assert_eq!(
            pending.iter().map(|t| t.tapped_at).collect::<Vec<_>>(),
            vec![100, 200, 300]
        );
        assert_eq!(pending[0].tries, 1);
        q.delivered(a.seq, "{}").await.unwrap();
        q.refused(c.seq, "bad").await.unwrap();
        q.close().await;
        // Reopened (as after a restart): the one tap not yet answered is still there.
        let q = Queue::open(&path).await.unwrap();
        assert_eq!(q.pending(10).await.unwrap(), vec![b]);
        assert_eq!(
            q.counts().await.unwrap(),
            Counts {
                queued: 1,
                delivered: 1,
                refused: 1
            }
        );
    }
}
