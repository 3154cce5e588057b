//! Issue "Issuance integrity" on the engine: one key for one certificate only, ever; of parallel
//! issue requests one issues and nothing else is signed; what is refused is refused before
//! anything is signed; a certificate issued for an application that never took it is revoked by
//! recovery, and an application can no longer take a certificate recovery revoked. Each
//! scenario on SQLite and on PostgreSQL; the audit log verifies after each.

mod common;

use common::*;
use hpki_ra::workflow::Stage;
use hpki_registration::RegistrationError;
use hpki_store::{ApplicationChange, CertStatus, StoreError};
use hpki_testkit::{Backend, on_both_backends_async};

/// Parallel issue requests for one application.
const PARALLEL: usize = 10;

/// Valid certificates whose subject names `subscriber`.
async fn valid_certificates_of(t: &Ra, subscriber: &str) -> Vec<hpki_store::CertificateRecord> {
    t.ra.ca()
        .store
        .certificates(None)
        .await
        .expect("certificates")
        .into_iter()
        .filter(|c| c.subject.contains(subscriber) && c.status == CertStatus::Good)
        .collect()
}

fn key_certified<T: std::fmt::Debug>(r: &Result<T, RegistrationError>) -> bool {
    matches!(
        r,
        Err(RegistrationError::Ca(hpki_ca::CaError::Store(
            StoreError::KeyCertified { .. }
        )))
    )
}

async fn ten_parallel_issue_requests_issue_one_pair(b: Backend) {
    let Some(t) = setup(b).await else { return };
    let (id, version) = t
        .approved(form("一郎", "Ichiro", "500001", Some("5000000001")))
        .await;
    let operator = t.officer("hq-operator").await;
    // Each request with its own fresh keys, as a client retrying with new keys would send.
    let requests = (0..PARALLEL).map(|_| {
        let (ra, operator) = (t.ra.clone(), operator.clone());
        let (sign, auth) = (csr(), csr());
        tokio::spawn(async move {
            ra.issue_with_csrs(&operator, id, version, &sign, &auth)
                .await
        })
    });
    let mut won = 0;
    for r in requests.collect::<Vec<_>>() {
        match r.await.expect("task") {
            Ok((app, _, _)) => {
                won += 1;
                assert_eq!(app.stage, Stage::Issued);
            }
            Err(RegistrationError::Conflict) => {}
            Err(e) => panic!("{b:?}: a parallel request failed otherwise: {e}"),
        }
    }
    assert_eq!(won, 1, "{b:?}: one request issues");
    let all: Vec<_> =
        t.ra.ca()
            .store
            .certificates(None)
            .await
            .unwrap()
            .into_iter()
            .filter(|c| c.subject.contains("JMA5000000001"))
            .collect();
    assert_eq!(
        all.len(),
        2,
        "{b:?}: exactly one certificate pair was signed, none revoked or left over: {:?}",
        all.iter().map(|c| &c.serial_hex).collect::<Vec<_>>()
    );
    assert!(
        t.ra.ca().recover(0).await.unwrap().is_empty(),
        "nothing for recovery"
    );
    t.audited(&["application.issue", "certificate.issued"], "")
        .await;
    t.finish().await;
}

async fn a_key_is_certified_once_and_refusals_come_before_signing(b: Backend) {
    let Some(t) = setup(b).await else { return };
    let operator = t.officer("hq-operator").await;
    let (first, first_version) = t
        .approved(form("一郎", "Ichiro", "500001", Some("5000000001")))
        .await;
    let (sign, auth) = (csr(), csr());
    t.ra.issue_with_csrs(&operator, first, first_version, &sign, &auth)
        .await
        .expect("first doctor");
    let before = t.ra.ca().store.certificates(None).await.unwrap().len();

    // Another doctor with the first one's keys: refused, nothing signed, the application
    // unchanged.
    let (second, version) = t
        .approved(form("二郎", "Jiro", "500002", Some("5000000002")))
        .await;
    let r =
        t.ra.issue_with_csrs(&operator, second, version, &sign, &csr())
            .await;
    assert!(key_certified(&r), "{b:?}: {:?}", r.map(|_| ()));
    let t_ja = hpki_text::Localized::text(&r.err().unwrap());
    assert!(t_ja.ja.contains("既に証明されています"), "{}", t_ja.ja);
    let r =
        t.ra.issue_with_csrs(&operator, second, version, &csr(), &auth)
            .await;
    assert!(key_certified(&r), "{b:?}: the authentication key too");
    // One key for both certificates.
    let one = csr();
    let r =
        t.ra.issue_with_csrs(&operator, second, version, &one, &one)
            .await;
    assert!(
        matches!(r, Err(RegistrationError::BadInput(_))),
        "{:?}",
        r.map(|_| ())
    );
    // A stale version.
    let r =
        t.ra.issue_with_csrs(&operator, second, version - 1, &csr(), &csr())
            .await;
    assert!(
        matches!(r, Err(RegistrationError::Conflict)),
        "stale version"
    );
    // A bad authentication CSR.
    let r =
        t.ra.issue_with_csrs(&operator, second, version, &csr(), b"not a CSR")
            .await;
    assert!(r.is_err());
    assert_eq!(
        t.ra.ca().store.certificates(None).await.unwrap().len(),
        before,
        "{b:?}: nothing signed for a refused request"
    );
    let app = t.ra.get(&operator, second).await.unwrap();
    assert_eq!((app.stage, app.record.version), (Stage::Approved, version));
    // With fresh keys it issues.
    t.ra.issue_with_csrs(&operator, second, version, &csr(), &csr())
        .await
        .expect("second doctor with fresh keys");
    t.audited(&[], "").await;
    t.finish().await;
}

async fn recovery_revokes_what_no_application_took(b: Backend) {
    let Some(t) = setup(b).await else { return };
    let (id, version) = t
        .approved(form("一郎", "Ichiro", "500001", Some("5000000001")))
        .await;
    let engine = t.ra.ca();
    // A process signed for the application and died before recording it.
    let subject = engine
        .subject(r#"{"name_romaji":"Nichii Ichiro","name_kanji":"日医 一郎","subscriber_id":"JMA5000000001","role":"Medical Doctor"}"#)
        .unwrap();
    let checked = hpki_ca::issue::CheckedCsr::parse(&csr()).unwrap();
    let orphan = engine
        .issue_for_record(
            "officer:hq-operator@hq",
            hpki_ca::CaName::Sign,
            &checked,
            &subject,
            &format!("application/{id}"),
        )
        .await
        .unwrap();
    assert_eq!(valid_certificates_of(&t, "JMA5000000001").await.len(), 1);
    // Recovery with a grace period leaves recent work alone; without, it revokes.
    assert!(engine.recover(600).await.unwrap().revoked.is_empty());
    let done = engine.recover(0).await.unwrap();
    assert_eq!(
        done.revoked,
        [(
            "sign".to_owned(),
            orphan.serial_hex.clone(),
            format!("application/{id}")
        )]
    );
    assert!(valid_certificates_of(&t, "JMA5000000001").await.is_empty());
    let rec = engine
        .store
        .certificate("sign", &orphan.serial_hex)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(rec.revocation_reason, Some(5), "cessationOfOperation");
    // The application cannot take it now.
    let taken = engine
        .store
        .change_application(
            id,
            version,
            &ApplicationChange {
                links: vec![("sign".into(), orphan.serial_hex.clone())],
                ..Default::default()
            },
            &hpki_store::ApplicationEvent {
                at: 0,
                login: "hq-operator".into(),
                office_id: "hq".into(),
                action: "issue".into(),
                from_stage: "approved".into(),
                to_stage: "issued".into(),
                reason: None,
                details: "{}".into(),
            },
            &engine.audit("application.issue", "application", serde_json::json!({})),
        )
        .await;
    assert!(matches!(taken, Err(StoreError::Conflict(_))), "{taken:?}");
    // A second recovery finds nothing; the application issues normally.
    assert!(engine.recover(0).await.unwrap().is_empty());
    t.ra.issue_with_csrs(&t.officer("hq-operator").await, id, version, &csr(), &csr())
        .await
        .expect("issue after recovery");
    assert_eq!(valid_certificates_of(&t, "JMA5000000001").await.len(), 2);
    assert!(engine.recover(0).await.unwrap().is_empty());
    t.audited(&["issuance.abandoned", "issuance.recovered"], "")
        .await;
    t.finish().await;
}

on_both_backends_async!(
    ten_parallel_issue_requests_issue_one_pair,
    a_key_is_certified_once_and_refusals_come_before_signing,
    recovery_revokes_what_no_application_took
);
