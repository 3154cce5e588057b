//! What the scenario tests of the store share: one test's database on SQLite (a file in a
//! temporary directory) or PostgreSQL (a fresh schema, see `hpki_testkit::fresh_postgres_url`), and
//! the macro that runs a scenario on both.
//!
//! PostgreSQL is at `HPKI_TEST_DATABASE_URL`, or `postgres://postgres@127.0.0.1:5432/test`. If it
//! cannot be reached the PostgreSQL tests fail; set `HPKI_TEST_SKIP_POSTGRES=1` to skip them.
#![allow(dead_code)]

use hpki_store::{Backend, Store};
use hpki_testkit::{drop_postgres_schema, fresh_postgres_url, postgres_base_url, postgres_enabled};
use sqlx::{AnyConnection, Connection};

/// One test's database: its URL, a store on it, and what must outlive the test.
pub struct Ctx {
    pub url: String,
    pub store: Store,
    pub backend: Backend,
    _dir: Option<tempfile::TempDir>,
}

impl Ctx {
    /// Another store on the same database, with its own pool, like another process.
    pub async fn another_store(&self) -> Store {
        Store::connect(&self.url)
            .await
            .expect("second connection to the test database")
    }

    /// A raw connection that bypasses the store, to tamper with the tables as an attacker with
    /// database access would.
    pub async fn raw(&self) -> AnyConnection {
        sqlx::any::install_default_drivers();
        AnyConnection::connect(&self.url)
            .await
            .expect("raw connection to the test database")
    }

    pub async fn finish(self) {
        self.store.close().await;
        if self.backend == Backend::Postgres {
            drop_postgres_schema(&self.url).await;
        }
    }
}

pub async fn sqlite_ctx() -> Ctx {
    let dir = tempfile::tempdir().expect("temporary directory");
    let url = format!("sqlite://{}/hpki.db", dir.path().display());
    let store = Store::connect(&url).await.expect("connect to SQLite");
    assert_eq!(store.backend(), Backend::Sqlite);
    Ctx {
        url,
        store,
        backend: Backend::Sqlite,
        _dir: Some(dir),
    }
}

/// A store in a fresh PostgreSQL schema, or `None` when PostgreSQL tests are switched off.
pub async fn postgres_ctx() -> Option<Ctx> {
    if !postgres_enabled() {
        return None;
    }
    let url = fresh_postgres_url(&postgres_base_url()).await;
    let store = Store::connect(&url).await.expect("connect to PostgreSQL");
    assert_eq!(store.backend(), Backend::Postgres);
    Some(Ctx {
        url,
        store,
        backend: Backend::Postgres,
        _dir: None,
    })
}

/// Generates `<name>::sqlite` and `<name>::postgres` tests running `scenarios::<name>`.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                let ctx = $crate::common::sqlite_ctx().await;
                super::scenarios::$name(&ctx).await.expect("scenario on SQLite");
                ctx.finish().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                let Some(ctx) = $crate::common::postgres_ctx().await else {
                    return;
                };
                super::scenarios::$name(&ctx).await.expect("scenario on PostgreSQL");
                ctx.finish().await;
            }
        }
    )*};
}
