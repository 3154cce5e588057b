//! Every scenario runs on SQLite (a file in a temporary directory) and on PostgreSQL (a fresh
//! schema per test, see `hpki_testkit::fresh_postgres_url`).
//!
//! PostgreSQL is at `HPKI_TEST_DATABASE_URL`, or `postgres://postgres@127.0.0.1:5432/test`. If it
//! cannot be reached the PostgreSQL tests fail; set `HPKI_TEST_SKIP_POSTGRES=1` to skip them.

use std::collections::{BTreeSet, HashSet};
use std::hash::{BuildHasher, RandomState};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

mod common;

use common::{Ctx, postgres_ctx};
use hpki_store::{
    AuditEvent, AuditProblem, AuditVerification, CaRecord, CertStatus, NewCertificate,
    RevokeOutcome, RevokedEntry, Store, StoreError,
};
use serde_json::json;
use sqlx::Connection;

both_backends!(
    ca_put_get,
    serial_reservation_is_unique,
    serial_batch_reservation,
    insert_and_list_certificates,
    failed_insert_leaves_nothing,
    revoke_outcomes_and_epoch,
    crl_numbers_and_records,
    crl_numbers_are_atomic_across_stores,
    audit_append_and_verify,
    audit_tampered_details_detected,
    audit_deleted_middle_record_detected,
    audit_deleted_last_record_detected,
    concurrent_issuance_from_several_stores,
);

fn event(action: &str, object: &str) -> AuditEvent {
    AuditEvent {
        actor: "tester".into(),
        action: action.into(),
        object: object.into(),
        details: json!({"object": object, "action": action}),
    }
}

fn new_cert(ca: &str, serial: &str, issued_at: i64) -> NewCertificate {
    NewCertificate {
        ca: ca.into(),
        serial_hex: serial.into(),
        subject: format!("CN=holder {serial}"),
        profile: "hpki-sign".into(),
        not_before: issued_at,
        not_after: issued_at + 86_400 * 365,
        der: vec![0x30, 0x03, 0x02, 0x01, 0x01, 0x00, 0xff],
        issued_at,
        spki_sha256: Some(format!("key of {ca}/{serial}")),
        issued_for: None,
    }
}

/// A random 64-bit serial (top nibble 7, so never zero and always 16 digits).
fn random_serial() -> String {
    let n = RandomState::new().hash_one(std::time::Instant::now());
    format!("7{:015x}", n >> 4)
}

mod scenarios {
    use super::*;

    pub async fn ca_put_get(ctx: &Ctx) -> Result<(), StoreError> {
        let store = &ctx.store;
        assert_eq!(store.ca("root").await?, None);
        let mut root = CaRecord {
            name: "root".into(),
            cert_der: vec![0x30, 0x82, 0x00, 0x00, 0x00],
            key_ref: "file:/keys/root.p8".into(),
            ocsp_cert_der: None,
            ocsp_key_ref: None,
            created_at: 1_700_000_000,
        };
        store.put_ca(&root, &event("ca.create", "root")).await?;
        assert_eq!(store.ca("root").await?, Some(root.clone()));

        let sign = CaRecord {
            name: "sign".into(),
            cert_der: vec![1, 2, 3],
            key_ref: "pkcs11:token=sign".into(),
            ocsp_cert_der: Some(vec![4, 5, 6]),
            ocsp_key_ref: Some("file:/keys/sign-ocsp.p8".into()),
            created_at: 1_700_000_100,
        };
        store.put_ca(&sign, &event("ca.create", "sign")).await?;

        // Replace by name.
        root.ocsp_cert_der = Some(vec![9; 300]);
        root.ocsp_key_ref = Some("file:/keys/root-ocsp.p8".into());
        store.put_ca(&root, &event("ca.update", "root")).await?;
        assert_eq!(store.cas().await?, vec![root.clone(), sign.clone()]);

        // Bad names are refused before touching the database.
        assert!(matches!(
            store.ca("../etc").await,
            Err(StoreError::InvalidInput(_))
        ));

        // Reconnecting finds everything, and the schema creation is idempotent.
        let again = ctx.another_store().await;
        assert_eq!(again.ca("sign").await?, Some(sign));
        assert_eq!(
            again.verify_audit().await?,
            AuditVerification::Intact { records: 3 }
        );
        again.close().await;
        Ok(())
    }

    pub async fn serial_reservation_is_unique(ctx: &Ctx) -> Result<(), StoreError> {
        let store = &ctx.store;
        assert!(store.reserve_serial("sign", "0a1b").await?);
        assert!(!store.reserve_serial("sign", "0a1b").await?);
        // The same serial in another spelling is the same serial.
        assert!(!store.reserve_serial("sign", "0x0A1B").await?);
        assert!(!store.reserve_serial("sign", "0a:1b").await?);
        // Another CA has its own serial space.
        assert!(store.reserve_serial("auth", "a1b").await?);
        // A second store (another process) sees the reservation.
        let other = ctx.another_store().await;
        assert!(!other.reserve_serial("sign", "a1b").await?);
        assert!(other.reserve_serial("sign", "a1c").await?);
        other.close().await;
        // Malformed serials are input errors, not database errors.
        for bad in ["", "0", "xyz", "12 34"] {
            assert!(
                matches!(
                    store.reserve_serial("sign", bad).await,
                    Err(StoreError::InvalidInput(_))
                ),
                "{bad:?} should be refused"
            );
        }
        Ok(())
    }

    /// Several serials reserved in one statement: only the ones nobody reserved before are
    /// returned, normalised, in the order given, each once.
    pub async fn serial_batch_reservation(ctx: &Ctx) -> Result<(), StoreError> {
        let store = &ctx.store;
        assert!(store.reserve_serial("sign", "b2").await?);
        let other = ctx.another_store().await;
        let got = other
            .reserve_serials(
                "sign",
                &[
                    "0B1".into(),
                    "b2".into(),
                    "b3".into(),
                    "0x0b1".into(),
                    "b4".into(),
                ],
            )
            .await?;
        assert_eq!(got, ["b1", "b3", "b4"]);
        other.close().await;
        // Reserved in the batch means reserved for everyone.
        assert!(!store.reserve_serial("sign", "b3").await?);
        assert_eq!(
            store.reserve_serials("sign", &[]).await?,
            Vec::<String>::new()
        );
        let too_many: Vec<String> = (1..=hpki_store::MAX_SERIAL_BATCH + 1)
            .map(|i| format!("{i:x}"))
            .collect();
        assert!(matches!(
            store.reserve_serials("sign", &too_many).await,
            Err(StoreError::InvalidInput(_))
        ));
        assert!(matches!(
            store.reserve_serials("sign", &["zz".into()]).await,
            Err(StoreError::InvalidInput(_))
        ));
        // A full batch works on both backends.
        let full: Vec<String> = (1..=hpki_store::MAX_SERIAL_BATCH)
            .map(|i| format!("c0{i:04x}"))
            .collect();
        assert_eq!(
            store.reserve_serials("sign", &full).await?.len(),
            full.len()
        );
        Ok(())
    }

    pub async fn insert_and_list_certificates(ctx: &Ctx) -> Result<(), StoreError> {
        let store = &ctx.store;
        // Issued out of order in time, to check the ordering by issued_at then id.
        let certs = [
            new_cert("sign", "03", 300),
            new_cert("sign", "01", 100),
            new_cert("auth", "01", 200),
            new_cert("sign", "02", 100),
        ];
        for cert in &certs {
            assert!(store.reserve_serial(&cert.ca, &cert.serial_hex).await?);
            store
                .insert_certificate(cert, &event("issue", &cert.serial_hex))
                .await?;
        }
        // The serial is stored normalised ("03" -> "3").
        let got = store.certificate("sign", "0x03").await?.expect("stored");
        assert_eq!(got.serial_hex, "3");
        assert_eq!(got.subject, "CN=holder 03");
        assert_eq!(got.profile, "hpki-sign");
        assert_eq!(got.der, certs[0].der);
        assert_eq!((got.not_before, got.not_after), (300, 300 + 86_400 * 365));
        assert_eq!(got.status, CertStatus::Good);
        assert_eq!((got.revoked_at, got.revocation_reason), (None, None));
        assert_eq!(store.certificate("sign", "04").await?, None);
        assert_eq!(store.certificate("root", "01").await?, None);

        let all: Vec<(String, String)> = store
            .certificates(None)
            .await?
            .into_iter()
            .map(|c| (c.ca, c.serial_hex))
            .collect();
        let expect = |v: &[(&str, &str)]| -> Vec<(String, String)> {
            v.iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect()
        };
        assert_eq!(
            all,
            expect(&[("sign", "1"), ("sign", "2"), ("auth", "1"), ("sign", "3")])
        );
        let sign: Vec<String> = store
            .certificates(Some("sign"))
            .await?
            .into_iter()
            .map(|c| c.serial_hex)
            .collect();
        assert_eq!(sign, ["1", "2", "3"]);

        // A certificate whose serial was not reserved first (a CA's own certificate) is
        // reserved on insert, so the serial can never be handed out afterwards.
        store
            .insert_certificate(&new_cert("root", "77", 50), &event("issue", "root 77"))
            .await?;
        assert!(!store.reserve_serial("root", "77").await?);
        assert_eq!(
            store.verify_audit().await?,
            AuditVerification::Intact { records: 5 }
        );
        Ok(())
    }

    pub async fn failed_insert_leaves_nothing(ctx: &Ctx) -> Result<(), StoreError> {
        let store = &ctx.store;
        let cert = new_cert("sign", "aa", 10);
        store
            .insert_certificate(&cert, &event("issue", "aa"))
            .await?;
        // The same serial again: refused, and neither the row nor the audit record lands.
        let mut dup = new_cert("sign", "0xAA", 20);
        dup.subject = "CN=impostor".into();
        let err = store
            .insert_certificate(&dup, &event("issue", "aa again"))
            .await;
        assert!(matches!(err, Err(StoreError::Conflict(_))), "{err:?}");
        assert_eq!(store.certificates(None).await?.len(), 1);
        assert_eq!(
            store.certificate("sign", "aa").await?.map(|c| c.subject),
            Some("CN=holder aa".into())
        );
        let records = store.audit_records().await?;
        assert_eq!(records.len(), 1);
        assert_eq!(
            store.verify_audit().await?,
            AuditVerification::Intact { records: 1 }
        );
        // An empty audit action is refused before anything is written.
        let err = store
            .insert_certificate(&new_cert("sign", "ab", 30), &event("", "ab"))
            .await;
        assert!(matches!(err, Err(StoreError::InvalidInput(_))));
        assert_eq!(store.certificate("sign", "ab").await?, None);
        Ok(())
    }

    pub async fn revoke_outcomes_and_epoch(ctx: &Ctx) -> Result<(), StoreError> {
        let store = &ctx.store;
        for serial in ["10", "11", "12"] {
            store
                .insert_certificate(&new_cert("sign", serial, 100), &event("issue", serial))
                .await?;
        }
        assert_eq!(store.revocation_epoch("sign").await?, 0);
        assert_eq!(
            store
                .revoke("sign", "99", 1, 1000, &event("revoke", "99"))
                .await?,
            RevokeOutcome::NotFound
        );
        assert_eq!(store.revocation_epoch("sign").await?, 0);

        assert_eq!(
            store
                .revoke("sign", "11", 1, 1000, &event("revoke", "11"))
                .await?,
            RevokeOutcome::Revoked
        );
        assert_eq!(store.revocation_epoch("sign").await?, 1);
        let revoked = store.certificate("sign", "11").await?.expect("stored");
        assert_eq!(revoked.status, CertStatus::Revoked);
        assert_eq!(revoked.revoked_at, Some(1000));
        assert_eq!(revoked.revocation_reason, Some(1));

        // Twice: nothing changes, the first time and reason stay, the epoch stays.
        assert_eq!(
            store
                .revoke("sign", "0x11", 4, 2000, &event("revoke", "11"))
                .await?,
            RevokeOutcome::AlreadyRevoked
        );
        assert_eq!(store.revocation_epoch("sign").await?, 1);
        assert_eq!(
            store
                .certificate("sign", "11")
                .await?
                .and_then(|c| c.revocation_reason),
            Some(1)
        );

        // Another process revokes: this one notices through the epoch.
        let other = ctx.another_store().await;
        assert_eq!(
            other
                .revoke("sign", "10", 0, 900, &event("revoke", "10"))
                .await?,
            RevokeOutcome::Revoked
        );
        other.close().await;
        assert_eq!(store.revocation_epoch("sign").await?, 2);
        assert_eq!(store.revocation_epoch("auth").await?, 0);

        // Reason 7 is not a CRLReason.
        assert!(matches!(
            store
                .revoke("sign", "12", 7, 1, &event("revoke", "12"))
                .await,
            Err(StoreError::InvalidInput(_))
        ));

        assert_eq!(
            store.revoked("sign").await?,
            vec![
                RevokedEntry {
                    serial_hex: "10".into(),
                    revoked_at: 900,
                    reason: 0
                },
                RevokedEntry {
                    serial_hex: "11".into(),
                    revoked_at: 1000,
                    reason: 1
                },
            ]
        );
        assert_eq!(store.revoked("auth").await?, vec![]);
        // 3 issuances + 2 revocations; the no-op attempts wrote nothing.
        assert_eq!(
            store.verify_audit().await?,
            AuditVerification::Intact { records: 5 }
        );
        Ok(())
    }

    pub async fn crl_numbers_and_records(ctx: &Ctx) -> Result<(), StoreError> {
        let store = &ctx.store;
        assert_eq!(store.latest_crl("sign").await?, None);
        let numbers = [
            store.next_crl_number("sign").await?,
            store.next_crl_number("sign").await?,
            store.next_crl_number("auth").await?,
            store.next_crl_number("sign").await?,
        ];
        assert_eq!(numbers, [1, 2, 1, 3]);
        // Allocating CRL numbers does not touch the revocation epoch.
        assert_eq!(store.revocation_epoch("sign").await?, 0);

        store
            .record_crl("sign", 1, 5000, &[1, 1], &event("crl", "sign 1"))
            .await?;
        store
            .record_crl("sign", 3, 7000, &[3, 3, 3], &event("crl", "sign 3"))
            .await?;
        store
            .record_crl("sign", 2, 6000, &[2, 2], &event("crl", "sign 2"))
            .await?;
        let latest = store.latest_crl("sign").await?.expect("a CRL");
        assert_eq!(
            (latest.ca.as_str(), latest.number, latest.this_update),
            ("sign", 3, 7000)
        );
        assert_eq!(latest.der, vec![3, 3, 3]);
        assert_eq!(store.latest_crl("auth").await?, None);

        let err = store
            .record_crl("sign", 3, 8000, &[9], &event("crl", "sign 3 again"))
            .await;
        assert!(matches!(err, Err(StoreError::Conflict(_))), "{err:?}");
        assert!(matches!(
            store
                .record_crl("sign", 0, 1, &[], &event("crl", "zero"))
                .await,
            Err(StoreError::InvalidInput(_))
        ));
        assert_eq!(
            store.verify_audit().await?,
            AuditVerification::Intact { records: 3 }
        );
        // The counter keeps going after a restart.
        let again = ctx.another_store().await;
        assert_eq!(again.next_crl_number("sign").await?, 4);
        again.close().await;
        Ok(())
    }

    pub async fn crl_numbers_are_atomic_across_stores(ctx: &Ctx) -> Result<(), StoreError> {
        let mut tasks = Vec::new();
        for _ in 0..4 {
            let url = ctx.url.clone();
            tasks.push(tokio::spawn(async move {
                let store = Store::connect(&url).await?;
                let mut got = Vec::new();
                for _ in 0..10 {
                    got.push(store.next_crl_number("sign").await?);
                }
                store.close().await;
                Ok::<_, StoreError>(got)
            }));
        }
        let mut all = Vec::new();
        for task in tasks {
            let got = task.await.expect("task panicked")?;
            // Each process sees its own numbers increase.
            assert!(got.windows(2).all(|w| w[0] < w[1]), "{got:?}");
            all.extend(got);
        }
        all.sort_unstable();
        assert_eq!(all, (1..=40).collect::<Vec<i64>>());
        Ok(())
    }

    pub async fn audit_append_and_verify(ctx: &Ctx) -> Result<(), StoreError> {
        let store = &ctx.store;
        assert_eq!(
            store.verify_audit().await?,
            AuditVerification::Intact { records: 0 }
        );
        let before = hpki_clock::Clock::now(&hpki_clock::SystemClock)
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        let first = store
            .append_audit(&AuditEvent {
                actor: "operator 山田".into(),
                action: "login".into(),
                object: "console".into(),
                // Key order and whitespace of the caller do not matter: details are canonical.
                details: serde_json::from_str(r#"{ "z": 1, "a": {"y": [true, null], "b": "\n"} }"#)
                    .expect("valid JSON"),
            })
            .await?;
        assert_eq!(first.seq, 1);
        assert_eq!(first.prev_hash, hpki_store::GENESIS_HASH);
        assert_eq!(first.details, r#"{"a":{"b":"\n","y":[true,null]},"z":1}"#);
        assert!(first.at >= before);
        assert_eq!(first.hash.len(), 64);
        assert_eq!(
            first.hash,
            hpki_store::record_hash(
                &first.prev_hash,
                1,
                first.at,
                "operator 山田",
                "login",
                "console",
                &first.details
            )
        );
        let second = store.append_audit(&event("logout", "console")).await?;
        assert_eq!(
            (second.seq, second.prev_hash.as_str()),
            (2, first.hash.as_str())
        );

        let records = store.audit_records().await?;
        assert_eq!(records, vec![first, second]);
        assert_eq!(
            store.verify_audit().await?,
            AuditVerification::Intact { records: 2 }
        );
        Ok(())
    }

    async fn three_records(store: &Store) -> Result<(), StoreError> {
        for action in ["one", "two", "three"] {
            store.append_audit(&event(action, "x")).await?;
        }
        assert_eq!(
            store.verify_audit().await?,
            AuditVerification::Intact { records: 3 }
        );
        Ok(())
    }

    pub async fn audit_tampered_details_detected(ctx: &Ctx) -> Result<(), StoreError> {
        three_records(&ctx.store).await?;
        let mut raw = ctx.raw().await;
        sqlx::query("UPDATE audit_log SET details = $1 WHERE seq = $2")
            .bind(r#"{"action":"two","object":"y"}"#)
            .bind(2_i64)
            .execute(&mut raw)
            .await?;
        raw.close().await?;
        assert_eq!(
            ctx.store.verify_audit().await?,
            AuditVerification::Broken {
                seq: 2,
                problem: AuditProblem::HashMismatch
            }
        );
        Ok(())
    }

    pub async fn audit_deleted_middle_record_detected(ctx: &Ctx) -> Result<(), StoreError> {
        three_records(&ctx.store).await?;
        let mut raw = ctx.raw().await;
        sqlx::query("DELETE FROM audit_log WHERE seq = 2")
            .execute(&mut raw)
            .await?;
        raw.close().await?;
        assert_eq!(
            ctx.store.verify_audit().await?,
            AuditVerification::Broken {
                seq: 2,
                problem: AuditProblem::Missing
            }
        );
        Ok(())
    }

    pub async fn audit_deleted_last_record_detected(ctx: &Ctx) -> Result<(), StoreError> {
        three_records(&ctx.store).await?;
        let mut raw = ctx.raw().await;
        sqlx::query("DELETE FROM audit_log WHERE seq = 3")
            .execute(&mut raw)
            .await?;
        raw.close().await?;
        assert_eq!(
            ctx.store.verify_audit().await?,
            AuditVerification::Broken {
                seq: 3,
                problem: AuditProblem::TruncatedTail
            }
        );
        Ok(())
    }

    /// 4 stores with their own pools (like 4 processes) issue 25 certificates each at once.
    /// Each issuance first tries a serial that all 4 compete for (exactly one wins it), and the
    /// losers draw random serials until a reservation succeeds.
    pub async fn concurrent_issuance_from_several_stores(ctx: &Ctx) -> Result<(), StoreError> {
        const TASKS: usize = 4;
        const PER_TASK: usize = 25;
        let mut tasks = Vec::new();
        for task in 0..TASKS {
            let url = ctx.url.clone();
            tasks.push(tokio::spawn(async move {
                let store = Store::connect(&url).await?;
                let mut mine = Vec::new();
                let mut contested_won = Vec::new();
                let mut collisions = 0usize;
                for i in 0..PER_TASK {
                    let contested = format!("c0ffee{i:02x}");
                    let serial = if store.reserve_serial("sign", &contested).await? {
                        contested_won.push(contested.clone());
                        contested
                    } else {
                        collisions += 1;
                        loop {
                            let candidate = random_serial();
                            if store.reserve_serial("sign", &candidate).await? {
                                break candidate;
                            }
                        }
                    };
                    let cert = new_cert("sign", &serial, 1_000 + i as i64);
                    store
                        .insert_certificate(&cert, &event("issue", &format!("{task}/{serial}")))
                        .await?;
                    // Once used, a serial can never be reserved again.
                    assert!(!store.reserve_serial("sign", &serial).await?);
                    mine.push(serial);
                }
                store.close().await;
                Ok::<_, StoreError>((mine, contested_won, collisions))
            }));
        }
        // Meanwhile a fifth store verifies the log again and again: it must never see a
        // half-written state (a record without its head, or the other way round).
        let done = Arc::new(AtomicBool::new(false));
        let verifier = {
            let url = ctx.url.clone();
            let done = Arc::clone(&done);
            tokio::spawn(async move {
                let store = Store::connect(&url).await?;
                let mut checks = 0u32;
                while !done.load(Ordering::Relaxed) || checks == 0 {
                    let result = store.verify_audit().await?;
                    assert!(
                        matches!(result, AuditVerification::Intact { .. }),
                        "{result:?}"
                    );
                    checks += 1;
                }
                store.close().await;
                Ok::<_, StoreError>(checks)
            })
        };
        let mut issued = Vec::new();
        let mut contested_won = Vec::new();
        let mut collisions = 0;
        for task in tasks {
            let (mine, won, lost) = task.await.expect("task panicked")?;
            assert_eq!(mine.len(), PER_TASK);
            issued.extend(mine);
            contested_won.extend(won);
            collisions += lost;
        }
        done.store(true, Ordering::Relaxed);
        let checks = verifier.await.expect("verifier panicked")?;
        assert!(checks > 0);
        // Each contested serial went to exactly one issuer; the others collided.
        assert_eq!(contested_won.len(), PER_TASK);
        assert_eq!(contested_won.iter().collect::<HashSet<_>>().len(), PER_TASK);
        assert_eq!(collisions, PER_TASK * (TASKS - 1));

        let stored = ctx.store.certificates(Some("sign")).await?;
        assert_eq!(stored.len(), TASKS * PER_TASK, "a record was lost");
        let stored_serials: BTreeSet<String> =
            stored.iter().map(|c| c.serial_hex.clone()).collect();
        assert_eq!(
            stored_serials.len(),
            TASKS * PER_TASK,
            "a serial was reused"
        );
        let issued: BTreeSet<String> = issued.into_iter().collect();
        assert_eq!(issued, stored_serials);

        let records = ctx.store.audit_records().await?;
        assert_eq!(
            records.iter().map(|r| r.seq).collect::<Vec<_>>(),
            (1..=(TASKS * PER_TASK) as i64).collect::<Vec<_>>()
        );
        assert_eq!(
            ctx.store.verify_audit().await?,
            AuditVerification::Intact {
                records: (TASKS * PER_TASK) as i64
            }
        );
        Ok(())
    }
}

/// Two fresh PostgreSQL URLs are two separate worlds, and the URL really selects the schema.
#[tokio::test]
async fn postgres_schemas_are_isolated() {
    let (Some(a), Some(b)) = (postgres_ctx().await, postgres_ctx().await) else {
        return;
    };
    a.store
        .append_audit(&event("only-in-a", "x"))
        .await
        .expect("append");
    assert_eq!(b.store.audit_records().await.expect("read").len(), 0);
    assert_eq!(a.store.audit_records().await.expect("read").len(), 1);

    let mut raw = a.raw().await;
    let schema: String = sqlx::query_scalar("SELECT current_schema()::text")
        .fetch_one(&mut raw)
        .await
        .expect("current_schema");
    raw.close().await.expect("close");
    assert!(schema.starts_with("hpki_test_"), "{schema}");
    assert!(a.url.contains(&schema));

    a.finish().await;
    b.finish().await;
}
