//! What hpki's tests share. A dev-dependency only: no production crate depends on it, and no
//! production crate exports test helpers.
//!
//! | module | what |
//! |---|---|
//! | [`db`] | one test's database: SQLite, or a fresh schema of the PostgreSQL test database; the [`on_both_backends!`] and [`on_both_backends_async!`] macros |
//! | [`softhsm`] | a SoftHSM2 token directory standing for the cards and the HSM, for the processes a test starts |
//! | [`signing_world`] | an in-process demo CA with its TSA, CRLs and OCSP responder that signs documents at any level |
//! | [`documents`] | sample documents written by hand (a one-page PDF letter) |
//!
//! Missing tools and servers are failures, never skips: `scripts/test.sh` installs them.
//! PostgreSQL tests are skipped only when `HPKI_TEST_SKIP_POSTGRES=1` is set explicitly (refused
//! in CI).
#![forbid(unsafe_code)]

pub mod db;
pub mod documents;
pub mod signing_world;
pub mod softhsm;

pub use db::{
    Backend, drop_postgres_schema, fresh_postgres_url, postgres_base_url, postgres_enabled,
    test_database_url,
};
pub use softhsm::{SOFTHSM2_MODULE, SoftHsm};
