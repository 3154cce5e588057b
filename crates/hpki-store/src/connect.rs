//! Connecting to SQLite or PostgreSQL: the URL forms, the SQLite session settings and WAL mode,
//! the PostgreSQL schema and its write-lock key.

use std::sync::Arc;
use std::time::Duration;

use sha2::{Digest, Sha256};
use sqlx::any::AnyPoolOptions;
use sqlx::{AnyConnection, AnyPool, Row};

use crate::{ACQUIRE_TIMEOUT, Backend, SQLITE_BUSY_TIMEOUT, Store, StoreError, sqlite_writer};

/// Tells the backend from the URL scheme, without echoing the rest (it may hold a password).
pub(crate) fn backend_of(url: &str) -> Result<Backend, StoreError> {
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
pub(crate) fn sqlite_in_memory(url: &str) -> bool {
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
pub(crate) fn sqlite_file_url(url: &str) -> Result<String, StoreError> {
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

pub(crate) async fn connect_sqlite(url: &str) -> Result<Store, StoreError> {
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
pub(crate) async fn set_wal(pool: &AnyPool) -> Result<(), StoreError> {
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
pub(crate) fn is_busy(e: &sqlx::Error) -> bool {
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

pub(crate) async fn connect_postgres(url: &str) -> Result<Store, StoreError> {
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
pub(crate) fn advisory_key(schema: &str) -> i64 {
    let digest = Sha256::digest(format!("hpki-store write lock\n{schema}").as_bytes());
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(bytes)
}
