//! Helpers for tests (of this crate and the others) that need a PostgreSQL database of their own.
//!
//! Each test gets a fresh schema in the one test database, and a URL whose connections put that
//! schema first on their `search_path`; the store's unqualified table names then land there, so
//! tests run in parallel without seeing each other and without the right to create databases.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use sqlx::AnyConnection;
use sqlx::{AssertSqlSafe, Connection, Row};

use crate::{Backend, StoreError, backend_of};

/// The prefix of every schema [`fresh_postgres_url`] creates; [`drop_postgres_schema`] drops
/// nothing else.
const TEST_SCHEMA_PREFIX: &str = "hpki_test_";

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// Creates a uniquely named, empty schema in the PostgreSQL database at `base` and returns `base`
/// with `options=-c search_path=<schema>` added, so a [`crate::Store`] connected to the returned
/// URL keeps its tables in that schema only.
///
/// The name joins the process id, the time and a counter, so parallel tests and test processes
/// never share one. Fails (rather than skipping) if the server cannot be reached.
pub async fn fresh_postgres_url(base: &str) -> Result<String, StoreError> {
    sqlx::any::install_default_drivers();
    if backend_of(base)? != Backend::Postgres {
        return Err(StoreError::invalid(
            "fresh_postgres_url には postgres:// のURLが必要です",
            "fresh_postgres_url needs a postgres:// URL",
        ));
    }
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let schema = format!(
        "{TEST_SCHEMA_PREFIX}{}_{}_{}",
        std::process::id(),
        nanos,
        COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    let mut conn = AnyConnection::connect(base).await?;
    // The name is made of ASCII letters, digits and `_` only, so it needs no quoting.
    sqlx::raw_sql(AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
        .execute(&mut conn)
        .await?;
    conn.close().await?;
    let separator = if base.contains('?') { '&' } else { '?' };
    Ok(format!(
        "{base}{separator}options=-c%20search_path%3D{schema}"
    ))
}

/// The database of one scenario test, on SQLite or PostgreSQL: `Some(None)` for SQLite (the
/// data directory's own file), `Some(Some(url))` for a fresh schema ([`fresh_postgres_url`]) in
/// the database `HPKI_TEST_DATABASE_URL` names (default `postgres://postgres@127.0.0.1:5432/test`),
/// `None` when `HPKI_TEST_SKIP_POSTGRES=1` switches PostgreSQL tests off (scripts/test.sh
/// refuses that in CI). Panics when PostgreSQL cannot be reached: a missing server is a
/// failure, never a skip.
pub async fn test_database_url(postgres: bool) -> Option<Option<String>> {
    if !postgres {
        return Some(None);
    }
    if std::env::var("HPKI_TEST_SKIP_POSTGRES").as_deref() == Ok("1") {
        eprintln!("skipped: PostgreSQL (HPKI_TEST_SKIP_POSTGRES=1)");
        return None;
    }
    let base = std::env::var("HPKI_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    match fresh_postgres_url(&base).await {
        Ok(url) => Some(Some(url)),
        Err(e) => panic!("PostgreSQL must be reachable (HPKI_TEST_SKIP_POSTGRES=1 skips): {e}"),
    }
}

/// Drops the schema that `url` (from [`fresh_postgres_url`]) points at, with everything in it,
/// so test runs do not pile schemas up in the test database. Refuses any schema that
/// [`fresh_postgres_url`] did not name, so it can never drop real data.
pub async fn drop_postgres_schema(url: &str) -> Result<(), StoreError> {
    sqlx::any::install_default_drivers();
    if backend_of(url)? != Backend::Postgres {
        return Err(StoreError::invalid(
            "drop_postgres_schema には postgres:// のURLが必要です",
            "drop_postgres_schema needs a postgres:// URL",
        ));
    }
    let mut conn = AnyConnection::connect(url).await?;
    let row = sqlx::query("SELECT current_schema()::text")
        .fetch_one(&mut conn)
        .await?;
    let schema: Option<String> = row.try_get(0)?;
    let schema = schema.unwrap_or_default();
    let valid = schema.starts_with(TEST_SCHEMA_PREFIX)
        && schema
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if !valid {
        conn.close().await?;
        return Err(StoreError::invalid(
            format!(
                "スキーマ {schema:?} は fresh_postgres_url が作ったものではないため削除しません"
            ),
            format!("refusing to drop schema {schema:?}: not made by fresh_postgres_url"),
        ));
    }
    sqlx::raw_sql(AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
        .execute(&mut conn)
        .await?;
    conn.close().await?;
    Ok(())
}
