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
#![forbid(unsafe_code)]

mod archive;
mod audit;
mod cards;
mod group_commit;
mod migrate;
mod ra;
mod sqlite_writer;
mod tsa;

pub use archive::{
    ArchiveDocument, ArchiveDocumentRecord, ArchiveFilter, ArchiveRenewal, NewArchiveDocument,
};
pub use audit::{GENESIS_HASH, canonical_json, record_hash, verify_chain};
pub use cards::{CardRecord, CardStatus, NewCard};
pub use migrate::{MIGRATIONS, Migration, MigrationReport, SchemaState, latest_version};
pub use ra::{
    ApplicationChange, ApplicationEvent, ApplicationFilter, ApplicationRecord, FeeRecord,
    OfficeRecord, OfficerRecord, SessionRecord,
};
pub use tsa::{NewTimestamp, TimestampRecord, TimestampStats, TsaUnitRecord};

use hpki_clock::SharedClock;
use hpki_text::{Localized, Text};

use std::sync::{Arc, Mutex};
use std::time::Duration;

use sha2::{Digest, Sha256};
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{Any, Row, Transaction};
use sqlx::{AnyConnection, AnyPool};

/// How long a SQLite writer waits for another process's write transaction before failing.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// The most serials [`Store::reserve_serials`] reserves in one call.
pub const MAX_SERIAL_BATCH: usize = 64;

/// How long a caller waits for a pooled connection before failing.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(60);

/// Everything that can go wrong in the store.
///
/// `Display` is English (logs); a person reads [`Localized::text`], Japanese or English, each
/// whole.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database URL is not one the store understands; holds the scheme given.
    #[error("unsupported database URL (expected sqlite: or postgres://): scheme {0:?}")]
    UnsupportedUrl(String),
    /// An argument was malformed (a serial that is not hex, an unknown revocation reason...).
    #[error("invalid input: {0}")]
    InvalidInput(Text),
    /// The row already exists where the store must not overwrite it (a certificate for a serial
    /// already issued, a CRL number already recorded), or it changed meanwhile.
    #[error("{0}")]
    Conflict(Text),
    /// The database holds something this build cannot accept (a missing audit head, a changed
    /// migration, a value out of range).
    #[error("inconsistent database: {0}")]
    Corrupt(Text),
    /// The database is at an older schema version than this build: it must be migrated
    /// (`hpki migrate`) before use; nothing was changed.
    #[error(
        "the database is at schema version {database}, this build needs {build}: back it up and run `hpki migrate`; nothing was changed"
    )]
    SchemaBehind {
        /// The version the database is at.
        database: i64,
        /// The version this build needs.
        build: i64,
    },
    /// The database was written by a newer build; this one refuses it untouched.
    #[error(
        "the database is at schema version {database}, newer than this build's {build}: use a newer hpki; nothing was changed"
    )]
    SchemaAhead {
        /// The version the database is at.
        database: i64,
        /// The newest version this build knows.
        build: i64,
    },
    /// The database driver reported an error.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

impl StoreError {
    /// [`StoreError::InvalidInput`] in Japanese and English.
    pub fn invalid(ja: impl Into<String>, en: impl Into<String>) -> StoreError {
        StoreError::InvalidInput(Text::new(ja, en))
    }

    /// [`StoreError::Conflict`] in Japanese and English.
    pub fn conflict(ja: impl Into<String>, en: impl Into<String>) -> StoreError {
        StoreError::Conflict(Text::new(ja, en))
    }

    /// [`StoreError::Corrupt`] in Japanese and English.
    pub fn corrupt(ja: impl Into<String>, en: impl Into<String>) -> StoreError {
        StoreError::Corrupt(Text::new(ja, en))
    }
}

impl Localized for StoreError {
    fn text(&self) -> Text {
        match self {
            StoreError::UnsupportedUrl(scheme) => Text::new(
                format!(
                    "対応していないデータベースURLです（sqlite: または postgres:// を指定してください）：{scheme:?}"
                ),
                self.to_string(),
            ),
            StoreError::InvalidInput(t) => t
                .clone()
                .after(Text::new("入力が不正です", "invalid input")),
            StoreError::Conflict(t) => t.clone(),
            StoreError::Corrupt(t) => t.clone().after(Text::new(
                "データベースの内容が不整合です",
                "inconsistent database",
            )),
            StoreError::SchemaBehind { database, build } => Text::new(
                format!(
                    "データベースのスキーマは版 {database} で、このプログラムには版 {build} が必要です。バックアップの上 `hpki migrate` を実行してください（何も変更していません）"
                ),
                self.to_string(),
            ),
            StoreError::SchemaAhead { database, build } => Text::new(
                format!(
                    "データベースのスキーマ（版 {database}）はこのプログラム（版 {build}）より新しいため使えません。新しい hpki を使ってください（何も変更していません）"
                ),
                self.to_string(),
            ),
            // The driver speaks English only: its words stay in the English text.
            StoreError::Database(_) => Text::new(
                "データベースでエラーが発生しました（詳細は英語のメッセージにあります）",
                self.to_string(),
            ),
        }
    }
}

/// The database behind a [`Store`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    /// A SQLite file (WAL mode), for a single machine.
    Sqlite,
    /// A PostgreSQL server, for several machines or larger volumes.
    Postgres,
}

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
    /// The hash of the previous record ([`GENESIS_HASH`] for the first).
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
        // The usual case, the serial was reserved before signing: one statement.
        let mut inserted = sqlx::query(
            "INSERT INTO certificates
                (ca, serial_hex, subject, profile, not_before, not_after, der, issued_at)
             SELECT $1, $2, $3, $4, $5, $6, $7, $8
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
                    (ca, serial_hex, subject, profile, not_before, not_after, der, issued_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
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
        let row =
            sqlx::query("SELECT revoked_at FROM certificates WHERE ca = $1 AND serial_hex = $2")
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

/// Tells the backend from the URL scheme, without echoing the rest (it may hold a password).
fn backend_of(url: &str) -> Result<Backend, StoreError> {
    if url.starts_with("sqlite:") {
        Ok(Backend::Sqlite)
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Backend::Postgres)
    } else {
        let scheme = url.split(':').next().unwrap_or_default();
        Err(StoreError::UnsupportedUrl(scheme.to_owned()))
    }
}

/// Whether a SQLite URL names an in-memory database.
fn sqlite_in_memory(url: &str) -> bool {
    let rest = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    let (path, params) = rest.split_once('?').unwrap_or((rest, ""));
    path == ":memory:" || path.is_empty() || params.split('&').any(|p| p == "mode=memory")
}

/// Rewrites a SQLite file URL into the one form sqlx reads back faithfully:
/// `sqlite://<absolute path>?...`, with `mode=rwc` (create the file if missing) unless the URL
/// sets a mode.
///
/// A relative path is made absolute against the current directory: sqlx parses URLs with a URL
/// parser that would take the first part of `sqlite://Dir/x.db` for a host name and lowercase
/// it. As in sqlx, the path may be percent-encoded (`%20` for a space).
fn sqlite_file_url(url: &str) -> Result<String, StoreError> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    let (path, params) = match rest.split_once('?') {
        Some((path, params)) => (path, Some(params)),
        None => (rest, None),
    };
    let path = if path.starts_with('/') {
        path.to_owned()
    } else {
        let cwd = std::env::current_dir().map_err(|e| {
            StoreError::invalid(
                "SQLiteのパスが相対パスですが、カレントディレクトリがありません",
                format!("relative SQLite path but no current directory: {e}"),
            )
        })?;
        let cwd = cwd.to_str().ok_or_else(|| {
            StoreError::invalid(
                "カレントディレクトリの名前が UTF-8 ではありません",
                "the current directory is not UTF-8",
            )
        })?;
        // The directory is a plain path: escape what a URL would otherwise interpret.
        let cwd = cwd
            .replace('%', "%25")
            .replace('?', "%3F")
            .replace('#', "%23");
        format!("{}/{path}", cwd.trim_end_matches('/'))
    };
    Ok(match params {
        Some(params) if params.split('&').any(|p| p.starts_with("mode=")) => {
            format!("sqlite://{path}?{params}")
        }
        Some(params) if !params.is_empty() => format!("sqlite://{path}?{params}&mode=rwc"),
        _ => format!("sqlite://{path}?mode=rwc"),
    })
}

/// Sets the per-connection SQLite settings that cannot go in the URL.
pub(crate) async fn sqlite_session_settings(conn: &mut AnyConnection) -> Result<(), sqlx::Error> {
    let busy = format!("PRAGMA busy_timeout = {}", SQLITE_BUSY_TIMEOUT.as_millis());
    sqlx::raw_sql(sqlx::AssertSqlSafe(busy))
        .execute(&mut *conn)
        .await?;
    sqlx::raw_sql("PRAGMA foreign_keys = ON")
        .execute(&mut *conn)
        .await?;
    // FULL: the WAL is flushed at every commit, so a certificate the CA issued is on disk when
    // `issue()` returns, even across a power loss. A CA that forgot a certificate it signed could
    // no longer revoke it, and its OCSP responder would call it unknown. NORMAL (synced only at
    // checkpoints) would be faster — one disk flush less per certificate — and is deliberately
    // not used.
    sqlx::raw_sql("PRAGMA synchronous = FULL")
        .execute(&mut *conn)
        .await?;
    Ok(())
}

async fn connect_sqlite(url: &str) -> Result<Store, StoreError> {
    let in_memory = sqlite_in_memory(url);
    let url = if in_memory {
        url.to_owned()
    } else {
        sqlite_file_url(url)?
    };

    // No ping before each use: a SQLite connection is a local file handle that does not go
    // stale, and the ping is one more round trip to the connection's worker thread per
    // operation (the dominant cost of a simple statement).
    let options = AnyPoolOptions::new()
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .test_before_acquire(false)
        .after_connect(|conn, _meta| Box::pin(sqlite_session_settings(conn)));
    let options = if in_memory {
        // Each in-memory connection is its own database: keep exactly one, forever.
        options
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
    } else {
        options.max_connections(4)
    };
    let pool = options.connect(&url).await?;

    if !in_memory {
        set_wal(&pool).await?;
    }
    let store = Store {
        pool,
        backend: Backend::Sqlite,
        lock_key: 0,
        audit_head: Arc::default(),
        // An in-memory database exists only in the pool's one connection.
        sqlite_writer: (!in_memory).then(|| Arc::new(sqlite_writer::SqliteWriter::new(url))),
        clock: hpki_clock::system(),
    };
    Ok(store)
}

/// Puts the database in WAL mode (readers do not block the writer, and the other way round).
///
/// The mode is kept in the file, so this only changes something the first time. Switching needs
/// an exclusive lock that the busy timeout does not wait for, so a busy database is retried.
async fn set_wal(pool: &AnyPool) -> Result<(), StoreError> {
    let deadline = tokio::time::Instant::now() + SQLITE_BUSY_TIMEOUT;
    loop {
        let result = sqlx::query("PRAGMA journal_mode = WAL")
            .fetch_one(pool)
            .await;
        match result {
            Ok(row) => {
                let mode: String = row.try_get(0)?;
                if mode.eq_ignore_ascii_case("wal") {
                    return Ok(());
                }
                return Err(StoreError::corrupt(
                    format!("SQLite が WAL モードを拒否しました（ジャーナルモード {mode}）"),
                    format!("SQLite refused WAL mode (journal mode is {mode})"),
                ));
            }
            Err(e) if is_busy(&e) && tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// Whether `e` is SQLite's "database is locked/busy".
fn is_busy(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(db) => {
            let code = db.code();
            let code = code.as_deref().unwrap_or_default();
            // SQLITE_BUSY is 5, SQLITE_LOCKED 6; extended codes keep them in the low byte.
            code.parse::<i64>()
                .map(|c| c & 0xff == 5 || c & 0xff == 6)
                .unwrap_or(false)
        }
        _ => false,
    }
}

async fn connect_postgres(url: &str) -> Result<Store, StoreError> {
    let pool = AnyPoolOptions::new()
        .max_connections(8)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .connect(url)
        .await?;
    let row = sqlx::query("SELECT current_schema()::text")
        .fetch_one(&pool)
        .await?;
    let schema: Option<String> = row.try_get(0)?;
    let Some(schema) = schema else {
        return Err(StoreError::corrupt(
            "PostgreSQL の search_path に存在するスキーマがありません",
            "PostgreSQL search_path names no existing schema",
        ));
    };
    let store = Store {
        pool,
        backend: Backend::Postgres,
        lock_key: advisory_key(&schema),
        audit_head: Arc::default(),
        sqlite_writer: None,
        clock: hpki_clock::system(),
    };
    Ok(store)
}

/// The advisory lock key for the store in `schema`: the first 8 bytes of a hash of its name.
fn advisory_key(schema: &str) -> i64 {
    let digest = Sha256::digest(format!("hpki-store write lock\n{schema}").as_bytes());
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(bytes)
}

/// Reads the audit head marker: the last `seq` and its hash.
async fn audit_head(conn: &mut AnyConnection) -> Result<(i64, String), StoreError> {
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
    async fn append_audit_in(
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
fn next_link(
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

fn ca_from_row(row: &AnyRow) -> Result<CaRecord, StoreError> {
    Ok(CaRecord {
        name: row.try_get(0)?,
        cert_der: row.try_get(1)?,
        key_ref: row.try_get(2)?,
        ocsp_cert_der: row.try_get(3)?,
        ocsp_key_ref: row.try_get(4)?,
        created_at: row.try_get(5)?,
    })
}

fn certificate_from_row(row: &AnyRow) -> Result<CertificateRecord, StoreError> {
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

fn audit_from_row(row: &AnyRow) -> Result<AuditRecord, StoreError> {
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

/// Narrows a stored reason code; the store only writes valid ones.
fn reason_from(stored: i64) -> Result<i32, StoreError> {
    i32::try_from(stored).map_err(|_| {
        StoreError::corrupt(
            format!("記録された失効理由 {stored} は範囲外です"),
            format!("revocation reason {stored} out of range"),
        )
    })
}

/// Checks a CA name: non-empty, at most 64 characters, ASCII letters, digits, `-` and `_`.
fn normalize_ca(name: &str) -> Result<String, StoreError> {
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

/// Checks an audit event before any transaction starts.
fn check_event(event: &AuditEvent) -> Result<(), StoreError> {
    if event.action.trim().is_empty() {
        return Err(StoreError::invalid(
            "監査記録の操作名が空です",
            "audit action is empty",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let again = store
            .insert_certificate(&cert("a2"), &event("a2 again"))
            .await;
        assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
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
