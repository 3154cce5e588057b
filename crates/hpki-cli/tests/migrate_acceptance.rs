//! Issue "Foundation", migrations: `hpki migrate` takes a data directory made by the release
//! before migrations (schema version 1: the kept fixture
//! `crates/hpki-store/tests/fixtures/release-1/`, made by its `make.sh`) to this build's schema
//! with every record and the audit chain intact, and the migrated directory keeps working
//! (listing, a CRL with the revoked certificate checked by openssl, a new certificate). Until it
//! is migrated, every command refuses it untouched; a database of a newer release is refused
//! untouched by every command, `hpki migrate` included. On SQLite (the fixture as it is) and on
//! PostgreSQL (the same records loaded into a schema created by migration 1, below).

mod common;

use hpki_testkit::on_both_backends;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::{Backend, Ca, sh};
use sqlx::{Any, AnyPool, Row};

/// The fixture's operator passphrase (`make.sh` ran with `HPKI_KEY_PASSPHRASE=demo`).
const FIXTURE_PASSPHRASE: &str = "demo";

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
}

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../hpki-store/tests/fixtures/release-1/release-1.tar.gz")
}

/// Every row of every table, each row as one line of text (columns in order, integers as
/// numbers, text quoted, bytes as hex), rows sorted: what must survive a migration.
async fn contents(url: &str) -> BTreeMap<String, Vec<String>> {
    sqlx::any::install_default_drivers();
    let pool = AnyPool::connect(url).await.expect("connect");
    let tables: Vec<String> = if url.starts_with("sqlite:") {
        sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
        )
        .fetch_all(&pool)
        .await
    } else {
        sqlx::query_scalar(
            "SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema()",
        )
        .fetch_all(&pool)
        .await
    }
    .expect("tables");
    let mut all = BTreeMap::new();
    for table in tables {
        let rows = sqlx::query::<Any>(sqlx::AssertSqlSafe(format!("SELECT * FROM {table}")))
            .fetch_all(&pool)
            .await
            .expect("rows");
        let mut lines: Vec<String> = rows
            .iter()
            .map(|row| {
                (0..row.columns().len())
                    .map(|i| {
                        if let Ok(v) = row.try_get::<Option<i64>, _>(i) {
                            format!("{v:?}")
                        } else if let Ok(v) = row.try_get::<Option<String>, _>(i) {
                            format!("{v:?}")
                        } else {
                            let v: Option<Vec<u8>> = row.try_get(i).expect("a known type");
                            format!(
                                "{:?}",
                                v.map(|b| b.iter().map(|x| format!("{x:02x}")).collect::<String>())
                            )
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(" | ")
            })
            .collect();
        lines.sort();
        all.insert(table, lines);
    }
    pool.close().await;
    all
}

/// The fixture's SQLite records loaded into the PostgreSQL schema at `url` as release 1 would
/// hold them: migration 1's tables (this build's copy of release 1's DDL), version 1, every row
/// of every table copied in creation order (so references resolve), identity counters moved
/// past the copied rows as a dump and restore would.
async fn load_into_postgres(sqlite_file: &Path, url: &str) {
    sqlx::any::install_default_drivers();
    let from = AnyPool::connect(&format!("sqlite://{}?mode=ro", sqlite_file.display()))
        .await
        .expect("fixture");
    let to = AnyPool::connect(url).await.expect("PostgreSQL");
    let mut tx = to.begin().await.expect("begin");
    for statement in hpki_store::MIGRATIONS[0].statements(hpki_store::Backend::Postgres) {
        sqlx::raw_sql(sqlx::AssertSqlSafe(statement))
            .execute(&mut *tx)
            .await
            .expect("release 1 DDL");
    }
    // Migration 1 seeds the audit head of a new database; the fixture's own head replaces it.
    sqlx::query("DELETE FROM audit_head")
        .execute(&mut *tx)
        .await
        .expect("audit head");
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY rowid",
    )
    .fetch_all(&from)
    .await
    .expect("tables");
    for table in tables {
        let columns: Vec<(String, String)> = sqlx::query::<Any>(sqlx::AssertSqlSafe(format!(
            "SELECT name, type FROM pragma_table_info('{table}') ORDER BY cid"
        )))
        .fetch_all(&from)
        .await
        .expect("columns")
        .iter()
        .map(|r| (r.get::<String, _>(0), r.get::<String, _>(1).to_uppercase()))
        .collect();
        let names: Vec<&str> = columns.iter().map(|(n, _)| n.as_str()).collect();
        let insert = format!(
            "INSERT INTO {table} ({}) VALUES ({})",
            names.join(", "),
            (1..=names.len())
                .map(|i| format!("${i}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let rows = sqlx::query::<Any>(sqlx::AssertSqlSafe(format!(
            "SELECT {} FROM {table}",
            names.join(", ")
        )))
        .fetch_all(&from)
        .await
        .expect("rows");
        for row in rows {
            let mut q = sqlx::query::<Any>(sqlx::AssertSqlSafe(insert.clone()));
            for (i, (_, ty)) in columns.iter().enumerate() {
                q = match ty.as_str() {
                    "BIGINT" | "INTEGER" => q.bind(row.get::<Option<i64>, _>(i)),
                    "TEXT" => q.bind(row.get::<Option<String>, _>(i)),
                    "BLOB" => q.bind(row.get::<Option<Vec<u8>>, _>(i)),
                    other => panic!("column type {other} of {table}"),
                };
            }
            q.execute(&mut *tx).await.expect("copy a row");
        }
    }
    sqlx::query(
        "SELECT setval(pg_get_serial_sequence('certificates', 'id'), (SELECT MAX(id) FROM certificates))",
    )
    .execute(&mut *tx)
    .await
    .expect("identity");
    tx.commit().await.expect("commit");
    from.close().await;
    to.close().await;
}

/// The fixture unpacked into a fresh directory, on `backend`.
fn release_1_directory(backend: Backend) -> Ca {
    let tmp = tempfile::tempdir().expect("tempdir");
    sh(&format!(
        "tar -xzf '{}' -C '{}'",
        fixture().display(),
        tmp.path().display()
    ));
    let dir = tmp.path().join("data");
    let sqlite_file = dir.join("hpki.db");
    let db_url = match backend {
        Backend::Sqlite => format!("sqlite://{}", sqlite_file.display()),
        Backend::Postgres => {
            let url = common::postgres_url();
            runtime().block_on(load_into_postgres(&sqlite_file, &url));
            std::fs::remove_file(&sqlite_file).expect("only PostgreSQL from now on");
            let config = dir.join("hpki.toml");
            let text = std::fs::read_to_string(&config).expect("hpki.toml");
            let text = text.replace(
                "database_url = \"sqlite://hpki.db\"",
                &format!("database_url = {url:?}"),
            );
            std::fs::write(&config, text).expect("hpki.toml");
            url
        }
    };
    let ca = Ca {
        tmp,
        dir,
        backend,
        db_url,
        env: Default::default(),
    };
    ca.set_env("HPKI_KEY_PASSPHRASE", FIXTURE_PASSPHRASE);
    ca.start_clock();
    ca
}

fn a_release_1_directory_is_migrated_with_every_record_and_the_audit_chain(backend: Backend) {
    common::require_tool("openssl");
    let ca = release_1_directory(backend);
    let rt = runtime();
    let before = rt.block_on(contents(&ca.db_url));
    assert_eq!(before["hpki_schema"], vec!["Some(1) | Some(1)"]);
    for (table, at_least) in [
        ("certificates", 4),
        ("applications", 3),
        ("application_events", 5),
        ("cards", 1),
        ("archive_documents", 1),
        ("timestamps", 2),
        ("crls", 1),
        ("fees", 1),
        ("audit_log", 100),
    ] {
        assert!(
            before[table].len() >= at_least,
            "the fixture holds {table}: {:?}",
            before[table]
        );
    }

    // Not migrated yet: refused, untouched, and told what to do.
    for args in [&["ca", "list"][..], &["card", "list"], &["audit", "verify"]] {
        let err = ca.fails(args);
        assert!(err.contains("hpki migrate"), "{args:?}: {err}");
        assert!(err.contains("schema version 1"), "{args:?}: {err}");
    }
    assert_eq!(
        rt.block_on(contents(&ca.db_url)),
        before,
        "refused, untouched"
    );

    // Migrated: every record as it was, the audit chain longer by one record per migration.
    let out = ca.ok(&["migrate"]);
    let latest = hpki_store::latest_version();
    for m in &hpki_store::MIGRATIONS[1..] {
        assert!(
            out.contains(&format!("migration {} ({}) applied", m.version, m.name)),
            "{out}"
        );
    }
    assert!(
        out.contains(&format!("from schema version 1 to {latest}")),
        "{out}"
    );
    let after = rt.block_on(contents(&ca.db_url));
    for (table, rows) in &before {
        match table.as_str() {
            "hpki_schema" => assert_eq!(after[table], vec![format!("Some(1) | Some({latest})")]),
            "audit_head" => {}
            "audit_log" => {
                let added = after[table].len() - rows.len();
                assert_eq!(added as i64, latest - 1, "one audit record per migration");
                for row in rows {
                    assert!(after[table].contains(row), "audit record kept: {row}");
                }
            }
            // Columns added by later migrations come last and are empty (or a zero count) in
            // old rows.
            _ => {
                assert_eq!(
                    after[table].len(),
                    rows.len(),
                    "{table} survived the migration"
                );
                for (a, r) in after[table].iter().zip(rows) {
                    let added = a.strip_prefix(r.as_str()).unwrap_or_else(|| {
                        panic!("{table} survived the migration: {r}\nbecame {a}")
                    });
                    assert!(
                        added
                            .split(" | ")
                            .skip(1)
                            .all(|c| c == "None" || c == "Some(0)"),
                        "{table}: columns added with values: {added}"
                    );
                }
            }
        }
    }
    assert_eq!(after["hpki_migrations"].len() as i64, latest);
    let audit = ca.ok(&["audit", "verify"]);
    assert!(
        audit.contains(&format!("intact: {} records", after["audit_log"].len())),
        "{audit}"
    );
    let actions = ca.audit_actions();
    assert_eq!(
        actions
            .iter()
            .filter(|a| a.starts_with("schema.migrated"))
            .count() as i64,
        latest - 1,
        "{actions:?}"
    );

    // Again: nothing to do, nothing written.
    let out = ca.ok(&["migrate"]);
    assert!(out.contains("nothing to do"), "{out}");
    assert_eq!(rt.block_on(contents(&ca.db_url)), after);

    // Recovery gives release 1's certificates their key hashes, so that their keys are refused
    // too; once only.
    let out = ca.ok(&["ca", "recover"]);
    assert!(out.contains("key hashes recorded for"), "{out}");
    let out = ca.ok(&["ca", "recover"]);
    assert!(out.contains("nothing to recover"), "{out}");

    // The migrated directory works: its records read, its revoked certificate on a new CRL
    // (number 2: the fixture published 1) that openssl checks, a new certificate issued.
    let list = ca.ok(&["ca", "list", "--ca", "auth"]);
    let revoked = list
        .lines()
        .find(|l| l.contains("revoked(superseded)"))
        .and_then(|l| l.split_whitespace().nth(1))
        .unwrap_or_else(|| panic!("the fixture's revoked certificate in\n{list}"))
        .to_owned();
    let cards = ca.ok(&["card", "list"]);
    assert!(cards.contains("JMA8888888888"), "{cards}");
    let archive = ca.ok(&["archive", "list"]);
    assert!(archive.contains("referral-letter"), "{archive}");
    ca.export_chain();
    let crl = ca.path("auth.crl");
    ca.ok(&["ca", "crl", "--ca", "auth", "--out", crl.to_str().unwrap()]);
    let text = sh(&format!(
        "openssl crl -inform DER -in '{}' -CAfile '{}' -verify -noout -text",
        crl.display(),
        ca.path("auth-ca.pem").display()
    ))
    .to_lowercase();
    assert!(text.contains("verify ok"), "{text}");
    assert!(
        text.contains("x509v3 crl number: \n                2"),
        "{text}"
    );
    assert!(text.contains(&revoked), "{revoked} in\n{text}");
    let (cert, serial) = ca.issue_doctor(
        "sign",
        "after-migration",
        r#"{"name_romaji":"Saburo Nichii","name_kanji":"日医 三郎","subscriber_id":"JMA1234567890","role":"Medical Doctor"}"#,
    );
    ca.verify_sign_chain(&cert);
    assert!(ca.ok(&["ca", "list", "--ca", "sign"]).contains(&serial));
    assert!(ca.ok(&["audit", "verify"]).contains("intact"));
}

fn a_database_of_a_newer_release_is_refused_untouched(backend: Backend) {
    let ca = release_1_directory(backend);
    ca.ok(&["migrate"]);
    let newer = hpki_store::latest_version() + 1;
    common::exec_sql(
        &ca.db_url,
        &format!("UPDATE hpki_schema SET version = {newer} WHERE id = 1"),
    );
    let rt = runtime();
    let before = rt.block_on(contents(&ca.db_url));
    let sqlite_bytes = || std::fs::read(ca.dir.join("hpki.db")).ok();
    let file_before = sqlite_bytes();
    for args in [&["migrate"][..], &["ca", "list"], &["audit", "verify"]] {
        let err = ca.fails(args);
        assert!(
            err.contains(&format!("schema version {newer}, newer than this build")),
            "{args:?}: {err}"
        );
    }
    assert_eq!(rt.block_on(contents(&ca.db_url)), before);
    assert_eq!(sqlite_bytes(), file_before);
}

on_both_backends!(
    a_release_1_directory_is_migrated_with_every_record_and_the_audit_chain,
    a_database_of_a_newer_release_is_refused_untouched,
);
