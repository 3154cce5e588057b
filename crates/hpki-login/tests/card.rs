//! The card check against certificates a real CA engine issued: the authentication
//! certificate signs in; the signing certificate, a certificate of another root, one revoked
//! one expired and one whose status is unknown do not, each for its own reason.

use std::time::{Duration, SystemTime};

use der::Decode;
use hpki_ca::ceremony::{DEMO_SUBSCRIBER, InitOptions, build_csr, init_with_clock};
use hpki_ca::{CaName, Engine};
use hpki_keys::{KeyKind, SoftwareKey};
use hpki_login::card::{Refusal, Trust, check};
use hpki_verify::RevocationData;
use x509_cert::Certificate;

const PASSPHRASE: &str = "card login test";

async fn ca(dir: &std::path::Path, clock: &hpki_clock::FixedClock) -> Engine {
    let opts = InitOptions {
        demo: true,
        database_url: None,
        public_base_url: "http://127.0.0.1".into(),
        passphrase: PASSPHRASE.into(),
        actor: "test".into(),
        hsm: None,
    };
    init_with_clock(dir, &opts, &mut |_| {}, clock.shared())
        .await
        .expect("CA")
}

async fn issue(engine: &Engine, ca: CaName, subject: &str) -> (String, Vec<u8>) {
    let key = SoftwareKey::generate(KeyKind::Rsa(2048)).expect("key");
    let csr = build_csr(&key, x509_cert::name::Name::default()).expect("csr");
    let issued = engine
        .issue(
            ca,
            &hpki_ca::issue::CheckedCsr::parse(&csr).expect("csr"),
            &engine.subject(subject).expect("subject"),
        )
        .await
        .expect("issued");
    (issued.serial_hex, issued.der)
}

fn trust(engine: &Engine) -> Trust {
    let cert = |ca| engine.authority(ca).expect("ca").ca.cert.clone();
    Trust {
        roots: vec![cert(CaName::Root)],
        intermediates: vec![cert(CaName::Auth)],
        policies: engine.end_entity_policies(CaName::Auth).expect("policies"),
    }
}

async fn crls(engine: &Engine) -> RevocationData {
    RevocationData {
        crls: vec![engine.publish_crl(CaName::Auth).await.expect("crl").der],
        ..Default::default()
    }
}

#[tokio::test]
async fn only_a_valid_authentication_certificate_signs_in() {
    let dir = tempfile::tempdir().expect("tmp");
    let clock = hpki_clock::FixedClock::starting_now();
    let engine = ca(&dir.path().join("ca"), &clock).await;
    let other = ca(&dir.path().join("other"), &clock).await;
    let trust = trust(&engine);
    let now = hpki_clock::Clock::now(&clock);

    let (serial, auth) = issue(&engine, CaName::Auth, DEMO_SUBSCRIBER).await;
    let holder = check(
        std::slice::from_ref(&auth),
        &trust,
        &crls(&engine).await,
        now,
    )
    .expect("signs in");
    assert_eq!(holder.subscriber_id, "JMA9999999999");
    assert_eq!(holder.role.role, "Medical Doctor");
    assert_eq!(holder.serial_hex, serial);

    // The chain the client sent is used too: the CA certificate from the client, none known.
    let ca_der = engine.authority(CaName::Auth).expect("auth").ca.der.clone();
    let bare = Trust {
        intermediates: vec![],
        ..trust.clone()
    };
    check(&[auth.clone(), ca_der], &bare, &crls(&engine).await, now)
        .expect("the client's chain completes the path");

    assert!(matches!(
        check(&[], &trust, &crls(&engine).await, now),
        Err(Refusal::NoCertificate)
    ));
    assert!(matches!(
        check(&[b"junk".to_vec()], &trust, &crls(&engine).await, now),
        Err(Refusal::Unreadable(_))
    ));

    let (_, sign) = issue(&engine, CaName::Sign, DEMO_SUBSCRIBER).await;
    let refusal = check(&[sign], &trust, &crls(&engine).await, now).expect_err("signing");
    assert!(
        matches!(refusal, Refusal::NotAuthentication { .. }),
        "{refusal}"
    );
    assert!(hpki_text::Localized::text(&refusal).ja.contains("署名用"));

    let (_, foreign) = issue(&other, CaName::Auth, DEMO_SUBSCRIBER).await;
    let refusal = check(&[foreign], &trust, &crls(&engine).await, now).expect_err("other root");
    assert!(matches!(refusal, Refusal::Path(_)), "{refusal}");

    // Without revocation data the status is unknown, which does not sign in either.
    let refusal = check(
        std::slice::from_ref(&auth),
        &trust,
        &RevocationData::default(),
        now,
    )
    .expect_err("status unknown");
    assert!(matches!(refusal, Refusal::Revocation(_)), "{refusal}");

    engine
        .revoke(
            CaName::Auth,
            &serial,
            x509_cert::ext::pkix::CrlReason::KeyCompromise,
        )
        .await
        .expect("revoke");
    let refusal = check(
        std::slice::from_ref(&auth),
        &trust,
        &crls(&engine).await,
        now,
    )
    .expect_err("revoked");
    assert!(matches!(refusal, Refusal::Revocation(_)), "{refusal}");

    let (_, fresh) = issue(&engine, CaName::Auth, DEMO_SUBSCRIBER).await;
    let not_after = Certificate::from_der(&fresh)
        .expect("cert")
        .tbs_certificate()
        .validity()
        .not_after
        .to_system_time();
    let later: SystemTime = not_after + Duration::from_secs(1);
    let refusal = check(&[fresh], &trust, &crls(&engine).await, later).expect_err("expired");
    assert!(matches!(refusal, Refusal::Path(_)), "{refusal}");
}
