//! The database of one test: SQLite (a file of the test's own directory), or a fresh schema of
//! the PostgreSQL test database.
//!
//! Each PostgreSQL test gets a new schema and a URL whose connections put it first on their
//! `search_path`; the store's unqualified table names land there, so tests run in parallel
//! without seeing each other and without the right to create databases.

use std::sync::atomic::{AtomicU64, Ordering};

use sqlx::{AnyConnection, AssertSqlSafe, Connection, Row};

/// Which database a scenario runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Backend {
    /// A SQLite file.
    Sqlite,
    /// A schema of the PostgreSQL test database.
    Postgres,
}

/// The prefix of every schema [`fresh_postgres_url`] creates; [`drop_postgres_schema`] drops
/// nothing else.
const TEST_SCHEMA_PREFIX: &str = "hpki_test_";

/// The PostgreSQL test database when `HPKI_TEST_DATABASE_URL` does not name another.
pub const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// Whether PostgreSQL tests run: always, unless `HPKI_TEST_SKIP_POSTGRES=1` (which says so).
pub fn postgres_enabled() -> bool {
    if std::env::var("HPKI_TEST_SKIP_POSTGRES").as_deref() == Ok("1") {
        eprintln!("skipped: PostgreSQL (HPKI_TEST_SKIP_POSTGRES=1)");
        return false;
    }
    true
}

/// `HPKI_TEST_DATABASE_URL`, or [`DEFAULT_POSTGRES_URL`].
pub fn postgres_base_url() -> String {
    std::env::var("HPKI_TEST_DATABASE_URL").unwrap_or_else(|_| DEFAULT_POSTGRES_URL.into())
}

/// Creates a uniquely named, empty schema in the PostgreSQL database at `base` and returns
/// `base` with `options=-c search_path=<schema>` added. The name joins the process id, a random
/// number and a counter. Panics when the server cannot be reached: a missing server is a
/// failure, never a skip.
pub async fn fresh_postgres_url(base: &str) -> String {
    sqlx::any::install_default_drivers();
    assert!(
        base.starts_with("postgres://") || base.starts_with("postgresql://"),
        "fresh_postgres_url needs a postgres:// URL, not {base:?}"
    );
    // A random 64-bit number (std's hasher keys are random per process and per call).
    let random = std::hash::BuildHasher::hash_one(
        &std::collections::hash_map::RandomState::new(),
        COUNTER.load(Ordering::Relaxed),
    );
    let schema = format!(
        "{TEST_SCHEMA_PREFIX}{}_{}_{}",
        std::process::id(),
        random,
        COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    let mut conn = AnyConnection::connect(base).await.unwrap_or_else(|e| {
        panic!(
            "PostgreSQL at {base} is unreachable ({e}): start it (scripts/test.sh does), point \
             HPKI_TEST_DATABASE_URL at it, or set HPKI_TEST_SKIP_POSTGRES=1 outside CI"
        )
    });
    // The name is made of ASCII letters, digits and `_` only, so it needs no quoting.
    sqlx::raw_sql(AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
        .execute(&mut conn)
        .await
        .expect("CREATE SCHEMA");
    conn.close().await.ok();
    let separator = if base.contains('?') { '&' } else { '?' };
    format!("{base}{separator}options=-c%20search_path%3D{schema}")
}

/// The database of one scenario test: `Some(None)` for SQLite (the data directory's own file),
/// `Some(Some(url))` for a fresh PostgreSQL schema, `None` when PostgreSQL tests are switched
/// off ([`postgres_enabled`]).
pub async fn test_database_url(postgres: bool) -> Option<Option<String>> {
    if !postgres {
        return Some(None);
    }
    if !postgres_enabled() {
        return None;
    }
    Some(Some(fresh_postgres_url(&postgres_base_url()).await))
}

/// Drops the schema that `url` (from [`fresh_postgres_url`]) points at, with everything in it,
/// so test runs do not pile schemas up. Refuses (panics on) any schema that
/// [`fresh_postgres_url`] did not name, so it can never drop real data.
pub async fn drop_postgres_schema(url: &str) {
    sqlx::any::install_default_drivers();
    let mut conn = AnyConnection::connect(url).await.expect("connect");
    let row = sqlx::query("SELECT current_schema()::text")
        .fetch_one(&mut conn)
        .await
        .expect("current schema");
    let schema: Option<String> = row.try_get(0).expect("schema name");
    let schema = schema.unwrap_or_default();
    let valid = schema.starts_with(TEST_SCHEMA_PREFIX)
        && schema
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    assert!(
        valid,
        "refusing to drop schema {schema:?}: not made by fresh_postgres_url"
    );
    sqlx::raw_sql(AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
        .execute(&mut conn)
        .await
        .expect("DROP SCHEMA");
    conn.close().await.ok();
}

/// One `#[test]` per backend for each scenario `fn(Backend)`: `sqlite::<name>` and
/// `postgres::<name>` (the latter returns at once when PostgreSQL tests are switched off).
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $( #[test] fn $name() { super::$name($crate::Backend::Sqlite) } )*
        }
        mod postgres {
            $( #[test] fn $name() {
                if $crate::postgres_enabled() { super::$name($crate::Backend::Postgres) }
            } )*
        }
    };
}

/// [`on_both_backends!`] for `async fn(Backend)` scenarios, each on a multi-threaded runtime.
#[macro_export]
macro_rules! on_both_backends_async {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $( #[tokio::test(flavor = "multi_thread")]
               async fn $name() { super::$name($crate::Backend::Sqlite).await } )*
        }
        mod postgres {
            $( #[tokio::test(flavor = "multi_thread")]
               async fn $name() { super::$name($crate::Backend::Postgres).await } )*
        }
    };
}
