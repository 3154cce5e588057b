//! Storage of the hpki certificate authority.
//!
//! One [`Store`] keeps everything the CA must not lose: its CA certificates, the serial numbers it
//! has reserved, the certificates it issued and their revocation, the CRL numbers and published
//! CRLs, the time-stamping authority's unit and the tokens it issued (`tsa.rs`), and a
//! hash-chained audit log. It runs on SQLite (a single file, the default) or
//! PostgreSQL through one code path: sqlx's `Any` driver with shared DML, and the schema built by
//! numbered migrations written once for both backends (see `migrate.rs`, `hpki migrate`). Because `Any` has no time or JSON types, times are `i64` Unix
//! seconds, binary data is `BLOB`/`BYTEA` and JSON is canonical text.
//!
//! Several processes may use one database at once (for example the CLI issuing while the server
//! answers OCSP). Every state change and its audit record are written in one transaction, and
//! write transactions are serialised: `BEGIN IMMEDIATE` on SQLite, a transaction-scoped advisory
//! lock on PostgreSQL. Serial numbers are reserved before signing against a `UNIQUE (ca, serial)`
//! constraint, so two issuers can never use the same serial.
//!
//! On SQLite a committed write survives a crash of the process and of the machine: WAL mode with
//! `synchronous = FULL`, the WAL is flushed to disk at every commit.
//!
//! | module | what |
//! |---|---|
//! | `connect` | the URL forms, SQLite session settings and WAL mode, the PostgreSQL schema and write lock |
//! | `migrate` | the numbered schema migrations (`migrations/`) and `Store::migrate` |
//! | `error` | [`StoreError`], in Japanese and English |
//! | `certificates` | CA records, reserved serials, issued certificates, revocation, CRLs |
//! | `audit`, `audit_log` | the hash chain's rules; the audit log's records in the database |
//! | `group_commit`, `sqlite_writer` | several certificates in one SQLite commit |
//! | `issuance` | the saga of issuance: what a certificate is for, its link, recovery, the claim on an application |
//! | `subscribers` | the subscriber register: one doctor per 医籍登録番号 |
//! | `officers` | offices, officers, sign-in failures and locks, API tokens, web sessions |
//! | `oidc` | the OpenID Connect provider: clients, single sign-on sessions, consents, codes (used once), access tokens |
//! | `portal` | the doctor's profile and disclosure settings, the qualification check's single-use nonces, the audit log by object |
//! | `attendance` | seminar events, talks, readers, taps (one per reader and nonce), contactless UIDs, ledgers, credits from other sources |
//! | `cards`, `ra`, `tsa`, `archive` | the card register; applications and fees; the TSA's records; the archive of signed documents |
#![forbid(unsafe_code)]

mod archive;
mod attendance;
mod audit;
mod audit_log;
mod cards;
mod certificates;
mod connect;
mod error;
mod group_commit;
mod issuance;
mod migrate;
mod officers;
mod oidc;
mod portal;
mod ra;
mod sqlite_writer;
mod subscribers;
mod tsa;

pub use archive::{
    ArchiveDocument, ArchiveDocumentRecord, ArchiveFilter, ArchiveRenewal, NewArchiveDocument,
};
pub use attendance::{
    CreditRow, EventRecord, LedgerEntry, NewEvent, ReaderRecord, ScannedTap, TalkRow, TapRecord,
    TapRecorded,
};
pub use audit::{GENESIS_HASH, canonical_json, record_hash, verify_chain};
pub use audit_log::{AuditEvent, AuditProblem, AuditRecord, AuditVerification};
pub use cards::{CardRecord, CardStatus, NewCard};
pub use certificates::{
    CaRecord, CertStatus, CertificateRecord, CrlRecord, NewCertificate, RevokeOutcome,
    RevokedEntry, normalize_serial,
};
pub use error::StoreError;
pub use issuance::UnlinkedCertificate;
pub use migrate::{MIGRATIONS, Migration, MigrationReport, SchemaState, latest_version};
pub use officers::{
    OfficeRecord, OfficerRecord, STALE_ATTEMPT_SECONDS, SessionRecord, SignInAttempt, SignInClaim,
};
pub use oidc::{
    CodeRedemption, OidcClientRecord, OidcCodeRecord, OidcSessionRecord, OidcTokenRecord,
};
pub use portal::{DisclosureRow, NewNonce, NonceUse};
pub use ra::{
    ApplicationChange, ApplicationEvent, ApplicationFilter, ApplicationRecord, FeeRecord,
};
pub use subscribers::SubscriberRecord;
pub use tsa::{NewTimestamp, TimestampRecord, TimestampStats, TsaUnitRecord};

pub(crate) use audit_log::{check_event, next_link};
pub(crate) use connect::sqlite_session_settings;
use connect::{backend_of, connect_postgres, connect_sqlite};

use std::sync::{Arc, Mutex};
use std::time::Duration;

use hpki_clock::SharedClock;
use sqlx::AnyPool;
use sqlx::{Any, Transaction};

/// How long a SQLite writer waits for another process's write transaction before failing.
pub(crate) const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// The most serials [`Store::reserve_serials`] reserves in one call.
pub const MAX_SERIAL_BATCH: usize = 64;

/// How long a caller waits for a pooled connection before failing.
pub(crate) const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(60);

/// The database behind a [`Store`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    /// A SQLite file (WAL mode), for a single machine.
    Sqlite,
    /// A PostgreSQL server, for several machines or larger volumes.
    Postgres,
}

/// The storage of the CA: a pool of connections to SQLite or PostgreSQL.
///
/// Cheap to clone (the pool is shared). Several `Store`s, in one process or many, may use the
/// same database at once.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// The PostgreSQL advisory lock key that serialises writers; derived from the schema name so
    /// independent stores in other schemas of the same database do not wait on each other.
    lock_key: i64,
    /// The audit head this store last wrote: a guess that saves reading the head before each
    /// append. It is only ever used through a conditional update that checks it against the
    /// database under the write lock, so a stale guess (another process appended since, or the
    /// transaction was rolled back) costs one extra read and is never chained on.
    audit_head: Arc<Mutex<Option<(i64, String)>>>,
    /// The one-command write path, for a SQLite file (see `sqlite_writer.rs`).
    sqlite_writer: Option<Arc<sqlite_writer::SqliteWriter>>,
    /// Where the times the store writes (audit records, reservations, updates) come from.
    clock: SharedClock,
}

impl Store {
    /// Connects to the database at `url`.
    ///
    /// `url` is `sqlite:///abs/path/hpki.db`, `sqlite://relative.db` (the file is created if
    /// missing, and put in WAL mode with `synchronous = FULL`, a 30 s busy timeout and foreign
    /// keys on),
    /// `sqlite::memory:` (one private in-memory database, for tests), or `postgres://...`
    /// (`postgresql://` too; libpq-style parameters such as `options=-c search_path=...` work).
    ///
    /// A new (empty) database is created at this build's schema; one at an older schema version
    /// is refused with [`StoreError::SchemaBehind`] (see [`Store::migrate`]) and one at a newer
    /// version with [`StoreError::SchemaAhead`], both untouched.
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        let store = Store::connect_unchecked(url).await?;
        if let Err(e) = store.open_schema().await {
            store.close().await;
            return Err(e);
        }
        Ok(store)
    }

    /// Connects without looking at the schema (for [`Store::migrate`]).
    async fn connect_unchecked(url: &str) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let backend = backend_of(url)?;
        match backend {
            Backend::Sqlite => connect_sqlite(url).await,
            Backend::Postgres => connect_postgres(url).await,
        }
    }

    /// This store, writing the times `clock` gives (the system's clock by default; a fixed one
    /// in tests). Clones made before keep their clock.
    pub fn with_clock(mut self, clock: SharedClock) -> Store {
        self.clock = clock;
        self
    }

    /// The clock the store writes its times with.
    pub fn clock(&self) -> &SharedClock {
        &self.clock
    }

    /// Now, whole Unix seconds, by the store's clock.
    pub(crate) fn now(&self) -> i64 {
        self.clock.unix()
    }

    /// Which database this store runs on.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Closes every connection of the pool; later calls fail. Lets tests drop their database
    /// while no connection is left open in it.
    pub async fn close(&self) {
        if let Some(writer) = &self.sqlite_writer {
            writer.close().await;
        }
        self.pool.close().await;
    }

    /// Starts a write transaction that no other writer (in any process) can interleave with.
    ///
    /// On SQLite `BEGIN IMMEDIATE` takes the database's write lock at once, waiting up to the
    /// busy timeout, instead of failing later when a read turns into a write. On PostgreSQL the
    /// transaction first takes an advisory lock released at commit or rollback.
    async fn begin_write(&self) -> Result<Transaction<'static, Any>, StoreError> {
        match self.backend {
            Backend::Sqlite => Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?),
            Backend::Postgres => {
                let mut tx = self.pool.begin().await?;
                sqlx::query("SELECT 1 AS locked FROM pg_advisory_xact_lock($1)")
                    .bind(self.lock_key)
                    .execute(&mut *tx)
                    .await?;
                Ok(tx)
            }
        }
    }

    /// Starts a read-only transaction whose reads all see one snapshot, without blocking
    /// writers: on SQLite (WAL) a deferred transaction keeps the snapshot of its first read, on
    /// PostgreSQL `REPEATABLE READ` does the same.
    async fn begin_snapshot(&self) -> Result<Transaction<'static, Any>, StoreError> {
        match self.backend {
            Backend::Sqlite => Ok(self.pool.begin().await?),
            Backend::Postgres => Ok(self
                .pool
                .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                .await?),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connect::{is_busy, sqlite_file_url, sqlite_in_memory};
    use hpki_text::{Localized, Text};
    use sqlx::AnyConnection;

    /// Each error says itself in Japanese with no English where no outside detail is involved,
    /// and in English with no Japanese, whatever it wraps.
    #[test]
    fn errors_speak_each_language_whole() {
        let all = [
            StoreError::UnsupportedUrl("mysql".into()),
            StoreError::invalid("シリアル番号 0 は使えません", "serial number zero"),
            StoreError::conflict("既に存在します", "exists already"),
            StoreError::corrupt(
                "監査ログの通し番号があふれました",
                "audit sequence overflow",
            ),
            StoreError::SchemaBehind {
                database: 1,
                build: 3,
            },
            StoreError::SchemaAhead {
                database: 4,
                build: 3,
            },
            StoreError::Database(sqlx::Error::PoolTimedOut),
        ];
        for e in &all {
            let t = e.text();
            assert!(hpki_text::has_japanese(&t.ja), "{e:?}: {}", t.ja);
            assert!(!hpki_text::has_japanese(&t.en), "{e:?}: {}", t.en);
            assert_eq!(t.en, e.to_string());
        }
        let db = StoreError::Database(sqlx::Error::PoolTimedOut).text();
        assert!(!db.ja.chars().any(|c| c.is_ascii_alphabetic()), "{}", db.ja);
        assert!(db.en.contains("pool timed out"), "{}", db.en);
    }
    use sqlx::Connection;

    #[test]
    fn serials_are_normalised() {
        assert_eq!(normalize_serial("0x00AB").ok().as_deref(), Some("ab"));
        assert_eq!(normalize_serial(" 01:fF ").ok().as_deref(), Some("1ff"));
        assert!(normalize_serial("").is_err());
        assert!(normalize_serial("00").is_err());
        assert!(normalize_serial("xyz").is_err());
        assert!(normalize_serial(&"f".repeat(41)).is_err());
        assert_eq!(
            normalize_serial(&format!("00{}", "f".repeat(40))).ok(),
            Some("f".repeat(40))
        );
    }

    #[test]
    fn urls_pick_the_backend() {
        assert_eq!(backend_of("sqlite:///a/b.db").ok(), Some(Backend::Sqlite));
        assert_eq!(backend_of("sqlite://b.db").ok(), Some(Backend::Sqlite));
        assert_eq!(
            backend_of("postgres://u@h/db").ok(),
            Some(Backend::Postgres)
        );
        assert_eq!(
            backend_of("postgresql://u@h/db").ok(),
            Some(Backend::Postgres)
        );
        let err = backend_of("mysql://user:secret@h/db")
            .err()
            .map(|e| e.to_string());
        assert!(err.is_some_and(|e| !e.contains("secret")));
        assert_eq!(
            sqlite_file_url("sqlite:///var/lib/hpki/CA.db")
                .ok()
                .as_deref(),
            Some("sqlite:///var/lib/hpki/CA.db?mode=rwc")
        );
        assert_eq!(
            sqlite_file_url("sqlite:///a.db?mode=ro").ok().as_deref(),
            Some("sqlite:///a.db?mode=ro")
        );
        assert_eq!(
            sqlite_file_url("sqlite:///a.db?cache=private")
                .ok()
                .as_deref(),
            Some("sqlite:///a.db?cache=private&mode=rwc")
        );
        let cwd = std::env::current_dir().ok();
        let cwd = cwd.as_ref().and_then(|d| d.to_str()).unwrap_or_default();
        assert_eq!(
            sqlite_file_url("sqlite://Data/Rel.db").ok(),
            Some(format!("sqlite://{cwd}/Data/Rel.db?mode=rwc"))
        );
        assert_eq!(
            sqlite_file_url("sqlite:rel.db").ok(),
            Some(format!("sqlite://{cwd}/rel.db?mode=rwc"))
        );
        assert!(sqlite_in_memory("sqlite::memory:"));
        assert!(!sqlite_in_memory("sqlite:///tmp/x.db"));
    }

    /// `BEGIN IMMEDIATE` through the `Any` driver really takes SQLite's write lock at BEGIN:
    /// while one store holds a write transaction, another connection that will not wait cannot
    /// start one.
    #[tokio::test]
    async fn sqlite_begin_immediate_takes_the_write_lock() -> Result<(), StoreError> {
        let dir =
            tempfile::tempdir().map_err(|e| StoreError::InvalidInput(Text::same(e.to_string())))?;
        let url = format!("sqlite://{}/lock.db", dir.path().display());
        let store = Store::connect(&url).await?;
        let tx = store.begin_write().await?;

        let mut other = AnyConnection::connect(&url).await?;
        sqlx::raw_sql("PRAGMA busy_timeout = 0")
            .execute(&mut other)
            .await?;
        let second = other.begin_with("BEGIN IMMEDIATE").await;
        let err = second.err();
        assert!(
            err.as_ref().is_some_and(is_busy),
            "second BEGIN IMMEDIATE should fail with SQLITE_BUSY, got {err:?}"
        );
        tx.rollback().await?;
        let again = other.begin_with("BEGIN IMMEDIATE").await?;
        again.rollback().await?;
        Ok(())
    }

    /// A relative URL is relative to the current directory and keeps its case and spaces; the
    /// file is created and gets WAL, the busy timeout and foreign keys.
    #[tokio::test]
    async fn sqlite_relative_url_and_pragmas() -> Result<(), StoreError> {
        let dir =
            tempfile::tempdir().map_err(|e| StoreError::InvalidInput(Text::same(e.to_string())))?;
        let cwd = std::env::current_dir()
            .map_err(|e| StoreError::InvalidInput(Text::same(e.to_string())))?;
        let ups = "../".repeat(cwd.components().count().saturating_sub(1));
        let target = dir.path().display().to_string();
        let relative = format!("{ups}{}", target.trim_start_matches('/'));
        let store = Store::connect(&format!("sqlite://{relative}/My%20CA.db")).await?;
        assert!(dir.path().join("My CA.db").is_file());

        let mut conn = store.pool.acquire().await?;
        let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
            .fetch_one(&mut *conn)
            .await?;
        let busy: i64 = sqlx::query_scalar("PRAGMA busy_timeout")
            .fetch_one(&mut *conn)
            .await?;
        let fk: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
            .fetch_one(&mut *conn)
            .await?;
        let synchronous: i64 = sqlx::query_scalar("PRAGMA synchronous")
            .fetch_one(&mut *conn)
            .await?;
        assert_eq!(
            (mode.as_str(), busy, fk, synchronous),
            ("wal", 30_000, 1, 2)
        );
        Ok(())
    }

    fn cert(serial: &str) -> NewCertificate {
        NewCertificate {
            ca: "sign".into(),
            serial_hex: serial.into(),
            subject: format!("CN=holder {serial}"),
            profile: "hpki-sign".into(),
            not_before: 1,
            not_after: 2,
            der: vec![0x30, 0x00],
            issued_at: 1,
            spki_sha256: Some(format!("key of {serial}")),
            issued_for: None,
        }
    }

    fn event(object: &str) -> AuditEvent {
        AuditEvent {
            actor: "tester".into(),
            action: "issue".into(),
            object: object.into(),
            details: serde_json::json!({"object": object}),
        }
    }

    async fn sqlite_file_store(dir: &tempfile::TempDir) -> Result<(String, Store), StoreError> {
        let url = format!("sqlite://{}/w.db", dir.path().display());
        let store = Store::connect(&url).await?;
        Ok((url, store))
    }

    /// Certificates committed through the group commit (the one-command path).
    fn committed_at_once(store: &Store) -> u64 {
        store
            .sqlite_writer
            .as_ref()
            .map_or(0, |w| w.queue.inserted())
    }

    /// The transactions that committed them.
    fn group_commits(store: &Store) -> u64 {
        store.sqlite_writer.as_ref().map_or(0, |w| w.queue.groups())
    }

    /// No write transaction is left open: a connection that will not wait can take the lock.
    async fn assert_unlocked(url: &str) -> Result<(), StoreError> {
        let mut other = AnyConnection::connect(url).await?;
        sqlx::raw_sql("PRAGMA busy_timeout = 0")
            .execute(&mut other)
            .await?;
        let tx = other.begin_with("BEGIN IMMEDIATE").await?;
        tx.rollback().await?;
        Ok(())
    }

    /// The one-command insertion is taken when it can be, and every case it cannot handle falls
    /// back to the general path with the same outcome, leaving nothing half-written or locked.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite_insert_at_once_and_its_fallbacks() -> Result<(), StoreError> {
        let dir =
            tempfile::tempdir().map_err(|e| StoreError::InvalidInput(Text::same(e.to_string())))?;
        let (url, store) = sqlite_file_store(&dir).await?;

        // The first write learns the audit head; the next insertions go in one command.
        assert!(store.reserve_serial("sign", "a1").await?);
        store.insert_certificate(&cert("a1"), &event("a1")).await?;
        assert_eq!(committed_at_once(&store), 0);
        let reserved = store
            .reserve_serials("sign", &["a2".into(), "a3".into()])
            .await?;
        assert_eq!(reserved, ["a2", "a3"]);
        store.insert_certificate(&cert("a2"), &event("a2")).await?;
        assert_eq!(committed_at_once(&store), 1);

        // A serial not reserved: reserved by the general path.
        store.insert_certificate(&cert("b1"), &event("b1")).await?;
        assert_eq!(committed_at_once(&store), 1);
        assert!(!store.reserve_serial("sign", "b1").await?);
        assert_unlocked(&url).await?;

        // A second certificate for a serial: refused, nothing written.
        let before = store.audit_records().await?.len();
        let mut another_key = cert("a2");
        another_key.spki_sha256 = Some("another key".into());
        let again = store
            .insert_certificate(&another_key, &event("a2 again"))
            .await;
        assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
        assert_eq!(store.audit_records().await?.len(), before);
        assert_unlocked(&url).await?;

        // A key certified before, under another serial: refused, nothing written.
        assert_eq!(store.reserve_serials("sign", &["c1".into()]).await?, ["c1"]);
        let mut same_key = cert("c1");
        same_key.spki_sha256 = cert("a2").spki_sha256;
        let again = store.insert_certificate(&same_key, &event("c1")).await;
        assert!(
            matches!(&again, Err(StoreError::KeyCertified { serial_hex, .. }) if serial_hex == "a2"),
            "{again:?}"
        );
        assert_eq!(store.audit_records().await?.len(), before);
        assert_unlocked(&url).await?;

        // Another writer moved the audit head: chained to the real head.
        let other = Store::connect(&url).await?;
        other.append_audit(&event("other")).await?;
        store.insert_certificate(&cert("a3"), &event("a3")).await?;
        // And the one-command path is used again afterwards.
        assert!(store.reserve_serial("sign", "a4").await?);
        let n = committed_at_once(&store);
        store.insert_certificate(&cert("a4"), &event("a4")).await?;
        assert_eq!(committed_at_once(&store), n + 1);

        let stored: Vec<String> = store
            .certificates(Some("sign"))
            .await?
            .into_iter()
            .map(|c| c.serial_hex)
            .collect();
        assert_eq!(stored, ["a1", "a2", "b1", "a3", "a4"]);
        let records = store.audit_records().await?;
        assert_eq!(
            records
                .iter()
                .map(|r| r.object.as_str())
                .collect::<Vec<_>>(),
            ["a1", "a2", "b1", "other", "a3", "a4"]
        );
        assert_eq!(
            store.verify_audit().await?,
            AuditVerification::Intact { records: 6 }
        );
        assert_unlocked(&url).await?;
        other.close().await;
        store.close().await;
        Ok(())
    }

    /// Concurrent insertions through one store all take the group commit and chain in order.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn sqlite_concurrent_inserts_through_one_store() -> Result<(), StoreError> {
        let dir =
            tempfile::tempdir().map_err(|e| StoreError::InvalidInput(Text::same(e.to_string())))?;
        let (_url, store) = sqlite_file_store(&dir).await?;
        store.append_audit(&event("start")).await?;
        let mut tasks = Vec::new();
        for t in 0..8 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                for i in 0..10 {
                    let serial = format!("d{t}{i:02}");
                    assert!(store.reserve_serial("sign", &serial).await?);
                    store
                        .insert_certificate(&cert(&serial), &event(&serial))
                        .await?;
                }
                Ok::<_, StoreError>(())
            }));
        }
        for t in tasks {
            t.await
                .map_err(|e| StoreError::InvalidInput(Text::same(e.to_string())))??;
        }
        assert_eq!(store.certificates(Some("sign")).await?.len(), 80);
        assert_eq!(committed_at_once(&store), 80);
        assert_eq!(
            store.verify_audit().await?,
            AuditVerification::Intact { records: 81 }
        );
        store.close().await;
        Ok(())
    }

    /// An insertion whose caller gave up while it waited for the write lock is still committed
    /// once the lock is free (the certificate was signed: the CA must not forget it), and
    /// leaves nothing open behind it; the next insertion succeeds.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite_abandoned_insert_is_committed_and_leaves_no_transaction()
    -> Result<(), StoreError> {
        let dir =
            tempfile::tempdir().map_err(|e| StoreError::InvalidInput(Text::same(e.to_string())))?;
        let (url, store) = sqlite_file_store(&dir).await?;
        store
            .reserve_serials("sign", &["c1".into(), "c2".into(), "c3".into()])
            .await?;
        store.insert_certificate(&cert("c1"), &event("c1")).await?;

        let mut holder = AnyConnection::connect(&url).await?;
        let lock = holder.begin_with("BEGIN IMMEDIATE").await?;
        let abandoned = tokio::time::timeout(
            Duration::from_millis(300),
            store.insert_certificate(&cert("c2"), &event("c2")),
        )
        .await;
        assert!(abandoned.is_err(), "the insertion should still be waiting");
        lock.rollback().await?;

        store.insert_certificate(&cert("c3"), &event("c3")).await?;
        assert_eq!(committed_at_once(&store), 2);
        assert_unlocked(&url).await?;
        let stored: Vec<String> = store
            .certificates(Some("sign"))
            .await?
            .into_iter()
            .map(|c| c.serial_hex)
            .collect();
        assert_eq!(stored, ["c1", "c2", "c3"]);
        assert_eq!(
            store.verify_audit().await?,
            AuditVerification::Intact { records: 3 }
        );
        store.close().await;
        Ok(())
    }

    /// Insertions that arrive while a commit waits for the disk share the next commit: one
    /// transaction for all of them, each answered only once it is committed, chained in order.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite_waiting_insertions_share_one_commit() -> Result<(), StoreError> {
        let dir =
            tempfile::tempdir().map_err(|e| StoreError::InvalidInput(Text::same(e.to_string())))?;
        let (url, store) = sqlite_file_store(&dir).await?;
        let serials: Vec<String> = (0..6).map(|i| format!("e{i}")).collect();
        store.reserve_serials("sign", &serials).await?;
        store.insert_certificate(&cert("e0"), &event("e0")).await?;

        // While another connection holds the write lock, the first insertion's commit waits,
        // and four more queue up behind it.
        let mut holder = AnyConnection::connect(&url).await?;
        let lock = holder.begin_with("BEGIN IMMEDIATE").await?;
        let mut tasks = Vec::new();
        for serial in &serials[1..] {
            let (store, serial) = (store.clone(), serial.clone());
            tasks.push(tokio::spawn(async move {
                store
                    .insert_certificate(&cert(&serial), &event(&serial))
                    .await
            }));
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(
            tasks.iter().all(|t| !t.is_finished()),
            "no insertion may return before its commit"
        );
        assert_eq!(store.certificates(Some("sign")).await?.len(), 1);
        lock.rollback().await?;
        for t in tasks {
            t.await
                .map_err(|e| StoreError::InvalidInput(Text::same(e.to_string())))??;
        }
        assert_eq!(committed_at_once(&store), 5);
        assert_eq!(
            group_commits(&store),
            2,
            "the first alone, then the four waiting"
        );
        assert_eq!(store.certificates(Some("sign")).await?.len(), 6);
        assert_eq!(
            store.verify_audit().await?,
            AuditVerification::Intact { records: 6 }
        );
        assert_unlocked(&url).await?;
        store.close().await;
        Ok(())
    }

    #[tokio::test]
    async fn in_memory_store_works() -> Result<(), StoreError> {
        let store = Store::connect("sqlite::memory:").await?;
        assert!(store.reserve_serial("root", "01").await?);
        assert!(!store.reserve_serial("root", "0x1").await?);
        assert_eq!(store.next_crl_number("root").await?, 1);
        Ok(())
    }
}
