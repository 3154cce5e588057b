//! Schema migrations on both backends: a new database is made at the latest version; an older
//! one is refused until `Store::migrate` brings it forward (one audited transaction per
//! migration, safe when several processes migrate at once); a database whose applied migration
//! differs from this build's, or that is newer than this build, is refused untouched. (The kept
//! database of release 1 is migrated by `crates/hpki-cli/tests/migrate_acceptance.rs`.)

mod common;

use common::Ctx;
use hpki_store::{MIGRATIONS, SchemaState, Store, StoreError, latest_version};
use sqlx::Row;

both_backends!(
    a_new_database_is_made_at_the_latest_version_with_its_history,
    an_older_database_is_refused_until_migrated_and_each_step_is_audited,
    two_processes_migrating_at_once_apply_each_migration_once,
    a_release_1_database_without_a_later_table_gains_it,
    a_changed_applied_migration_is_refused,
    a_newer_database_is_refused_by_connect_and_migrate,
    a_failing_migration_leaves_the_database_at_the_last_one_that_committed,
);

/// Executes `sql` outside the store, as an operator with database access (or an older build).
async fn exec(ctx: &Ctx, sql: &str) {
    let mut conn = ctx.raw().await;
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
        .execute(&mut conn)
        .await
        .expect("raw SQL");
}

/// Takes the database back to release 1's schema, as that release left it: version 1, no
/// history, none of the later migrations' objects.
async fn back_to_release_1(ctx: &Ctx) {
    exec(
        ctx,
        "DROP TABLE credit_entries; DROP TABLE attendance_ledgers; DROP TABLE card_contactless;
         DROP TABLE attendance_taps; DROP TABLE attendance_readers; DROP TABLE attendance_talks;
         DROP TABLE attendance_events;
         DROP INDEX audit_log_object; DROP INDEX audit_log_action; DROP TABLE qualification_nonces;
         DROP TABLE portal_disclosure; DROP TABLE portal_profile;
         DROP TABLE oidc_tokens; DROP TABLE oidc_codes; DROP TABLE oidc_consents;
         DROP TABLE oidc_sessions; DROP TABLE oidc_clients;
         DROP TABLE hpki_migrations; DROP INDEX applications_license;
         DROP TABLE subscribers;
         ALTER TABLE officers DROP COLUMN pending_logins;
         ALTER TABLE officers DROP COLUMN pending_since;
         ALTER TABLE cards DROP COLUMN token_serial;
         ALTER TABLE cards DROP COLUMN card_key;
         DROP INDEX certificates_spki; DROP INDEX certificates_issued_for;
         ALTER TABLE certificates DROP COLUMN spki_sha256;
         ALTER TABLE certificates DROP COLUMN issued_for;
         ALTER TABLE certificates DROP COLUMN linked_at;
         ALTER TABLE applications DROP COLUMN issuing_claim;
         ALTER TABLE applications DROP COLUMN issuing_since;
         UPDATE hpki_schema SET version = 1",
    )
    .await;
}

async fn audit_actions(store: &Store) -> Vec<String> {
    store
        .audit_records()
        .await
        .expect("audit records")
        .into_iter()
        .map(|r| format!("{} {}", r.action, r.object))
        .collect()
}

mod scenarios {
    use super::*;

    pub async fn a_new_database_is_made_at_the_latest_version_with_its_history(
        ctx: &Ctx,
    ) -> Result<(), StoreError> {
        assert_eq!(
            ctx.store.schema_version().await?,
            SchemaState::At(latest_version())
        );
        let mut conn = ctx.raw().await;
        let rows = sqlx::query(
            "SELECT version, name, sha256, applied_at FROM hpki_migrations ORDER BY version",
        )
        .fetch_all(&mut conn)
        .await?;
        assert_eq!(rows.len(), MIGRATIONS.len());
        for (row, m) in rows.iter().zip(MIGRATIONS) {
            assert_eq!(row.try_get::<i64, _>(0)?, m.version);
            assert_eq!(row.try_get::<String, _>(1)?, m.name);
            assert_eq!(row.try_get::<String, _>(2)?, m.sha256());
            assert!(
                row.try_get::<Option<i64>, _>(3)?.is_some(),
                "made here, so known when"
            );
        }
        // Making a database is not an audited change of one; a second connect changes nothing.
        assert!(audit_actions(&ctx.store).await.is_empty());
        ctx.another_store().await.close().await;
        assert_eq!(
            ctx.store.schema_version().await?,
            SchemaState::At(latest_version())
        );
        Ok(())
    }

    pub async fn an_older_database_is_refused_until_migrated_and_each_step_is_audited(
        ctx: &Ctx,
    ) -> Result<(), StoreError> {
        ctx.store
            .append_audit(&hpki_store::AuditEvent {
                actor: "tester".into(),
                action: "before".into(),
                object: "release 1".into(),
                details: serde_json::json!({}),
            })
            .await?;
        back_to_release_1(ctx).await;
        let err = Store::connect(&ctx.url).await.err();
        assert!(
            matches!(
                err,
                Some(StoreError::SchemaBehind { database: 1, build }) if build == latest_version()
            ),
            "{err:?}"
        );

        let mut seen = Vec::new();
        let report = Store::migrate(&ctx.url, "operator", hpki_clock::system(), &mut |m| {
            seen.push(m.version)
        })
        .await?;
        assert_eq!(report.from, SchemaState::At(1));
        assert_eq!(report.to, latest_version());
        let expected: Vec<i64> = (2..=latest_version()).collect();
        assert_eq!(seen, expected);
        assert_eq!(
            report.applied.iter().map(|m| m.version).collect::<Vec<_>>(),
            expected
        );

        let store = Store::connect(&ctx.url).await?;
        let actions = audit_actions(&store).await;
        let mut wanted = vec!["before release 1".to_owned()];
        wanted.extend(
            expected
                .iter()
                .map(|v| format!("schema.migrated schema version {v}")),
        );
        assert_eq!(actions, wanted);
        assert!(matches!(
            store.verify_audit().await?,
            hpki_store::AuditVerification::Intact { .. }
        ));
        let records = store.audit_records().await?;
        assert!(records.iter().skip(1).all(|r| r.actor == "operator"));

        // Release 1 did not record when migration 1 ran: NULL, never a made-up time.
        let mut conn = ctx.raw().await;
        let first: Option<i64> =
            sqlx::query("SELECT applied_at FROM hpki_migrations WHERE version = 1")
                .fetch_one(&mut conn)
                .await?
                .try_get(0)?;
        assert_eq!(first, None);

        // Nothing left to do.
        let again = Store::migrate(&ctx.url, "operator", hpki_clock::system(), &mut |_| {}).await?;
        assert!(again.applied.is_empty());
        assert_eq!(audit_actions(&store).await.len(), wanted.len());
        store.close().await;
        Ok(())
    }

    pub async fn two_processes_migrating_at_once_apply_each_migration_once(
        ctx: &Ctx,
    ) -> Result<(), StoreError> {
        back_to_release_1(ctx).await;
        let migrate = |actor: &'static str| {
            let url = ctx.url.clone();
            tokio::spawn(async move {
                Store::migrate(&url, actor, hpki_clock::system(), &mut |_| {}).await
            })
        };
        let (a, b) = (migrate("operator-a"), migrate("operator-b"));
        let (a, b) = (a.await.expect("task")?, b.await.expect("task")?);
        assert_eq!(
            a.applied.len() + b.applied.len(),
            MIGRATIONS.len() - 1,
            "each migration applied by exactly one of them"
        );
        let store = Store::connect(&ctx.url).await?;
        assert_eq!(
            audit_actions(&store)
                .await
                .iter()
                .filter(|a| a.starts_with("schema.migrated"))
                .count(),
            MIGRATIONS.len() - 1
        );
        assert!(matches!(
            store.verify_audit().await?,
            hpki_store::AuditVerification::Intact { .. }
        ));
        store.close().await;
        Ok(())
    }

    pub async fn a_release_1_database_without_a_later_table_gains_it(
        ctx: &Ctx,
    ) -> Result<(), StoreError> {
        // An early build of release 1 had no archive; later builds of it created the table on
        // connect. Migration completes release 1's schema first.
        back_to_release_1(ctx).await;
        exec(ctx, "DROP TABLE archive_documents").await;
        Store::migrate(&ctx.url, "operator", hpki_clock::system(), &mut |_| {}).await?;
        let store = Store::connect(&ctx.url).await?;
        let page = store
            .archive_documents(hpki_store::ArchiveFilter::default())
            .await?;
        assert!(page.is_empty());
        store.close().await;
        Ok(())
    }

    pub async fn a_changed_applied_migration_is_refused(ctx: &Ctx) -> Result<(), StoreError> {
        exec(
            ctx,
            "UPDATE hpki_migrations SET sha256 = 'changed' WHERE version = 2",
        )
        .await;
        for result in [
            Store::connect(&ctx.url).await.err(),
            Store::migrate(&ctx.url, "operator", hpki_clock::system(), &mut |_| {})
                .await
                .err(),
        ] {
            assert!(
                matches!(&result, Some(StoreError::Corrupt(m)) if m.en.contains("migration 2") && m.ja.contains("移行 2")),
                "{result:?}"
            );
        }
        Ok(())
    }

    pub async fn a_newer_database_is_refused_by_connect_and_migrate(
        ctx: &Ctx,
    ) -> Result<(), StoreError> {
        let newer = latest_version() + 1;
        exec(ctx, &format!("UPDATE hpki_schema SET version = {newer}")).await;
        let before = audit_actions(&ctx.store).await;
        for result in [
            Store::connect(&ctx.url).await.err(),
            Store::migrate(&ctx.url, "operator", hpki_clock::system(), &mut |_| {})
                .await
                .err(),
        ] {
            assert!(
                matches!(result, Some(StoreError::SchemaAhead { database, build })
                    if database == newer && build == latest_version()),
                "{result:?}"
            );
        }
        assert_eq!(
            ctx.store.schema_version().await?,
            SchemaState::At(newer),
            "left as it was"
        );
        assert_eq!(audit_actions(&ctx.store).await, before);
        Ok(())
    }

    pub async fn a_failing_migration_leaves_the_database_at_the_last_one_that_committed(
        ctx: &Ctx,
    ) -> Result<(), StoreError> {
        // Something in the way of migration 3 (an index of that name on another table): its
        // statement fails, as a crash would stop it.
        back_to_release_1(ctx).await;
        exec(ctx, "CREATE INDEX applications_license ON fees (amount)").await;
        let err = Store::migrate(&ctx.url, "operator", hpki_clock::system(), &mut |_| {})
            .await
            .err();
        assert!(matches!(err, Some(StoreError::Database(_))), "{err:?}");
        // Migration 2 committed with its history row and audit record; nothing of 3 is left.
        let mut conn = ctx.raw().await;
        let version: i64 = sqlx::query("SELECT version FROM hpki_schema WHERE id = 1")
            .fetch_one(&mut conn)
            .await?
            .try_get(0)?;
        assert_eq!(version, 2);
        let recorded: i64 = sqlx::query("SELECT COUNT(*) FROM hpki_migrations WHERE version = 3")
            .fetch_one(&mut conn)
            .await?
            .try_get(0)?;
        assert_eq!(recorded, 0);
        assert!(matches!(
            Store::connect(&ctx.url).await.err(),
            Some(StoreError::SchemaBehind { database: 2, .. })
        ));
        // The obstacle removed, migrating again goes on from 2, audited once per step.
        exec(ctx, "DROP INDEX applications_license").await;
        let report =
            Store::migrate(&ctx.url, "operator", hpki_clock::system(), &mut |_| {}).await?;
        assert_eq!(report.from, SchemaState::At(2));
        assert_eq!(
            report.applied.iter().map(|m| m.version).collect::<Vec<_>>(),
            (3..=latest_version()).collect::<Vec<_>>()
        );
        let store = Store::connect(&ctx.url).await?;
        let migrated = audit_actions(&store)
            .await
            .into_iter()
            .filter(|a| a.starts_with("schema.migrated"))
            .collect::<Vec<_>>();
        assert_eq!(
            migrated,
            (2..=latest_version())
                .map(|v| format!("schema.migrated schema version {v}"))
                .collect::<Vec<_>>()
        );
        assert!(matches!(
            store.verify_audit().await?,
            hpki_store::AuditVerification::Intact { .. }
        ));
        store.close().await;
        Ok(())
    }
}
