//! The single sign-on session: it lasts `[login] session_minutes`, and a revocation of its
//! certificate ends it at the next check.

use std::sync::Arc;
use std::time::Duration;

use hpki_ca::CaName;
use hpki_ca::ceremony::{InitOptions, build_csr, init_with_clock};
use hpki_keys::{KeyKind, SoftwareKey};
use hpki_provider::Provider;
use hpki_registration::Registration;
use hpki_verify::RevocationData;

#[tokio::test]
async fn a_session_lasts_the_configured_minutes_and_ends_with_its_certificate() {
    let dir = tempfile::tempdir().expect("tmp");
    let clock = hpki_clock::FixedClock::starting_now();
    let opts = InitOptions {
        demo: true,
        database_url: None,
        public_base_url: "http://127.0.0.1".into(),
        passphrase: "session test".into(),
        actor: "test".into(),
        hsm: None,
    };
    let mut engine = init_with_clock(&dir.path().join("ca"), &opts, &mut |_| {}, clock.shared())
        .await
        .expect("CA");
    engine.config.login.session_minutes = 30;
    let engine = Arc::new(engine);
    let ra = Registration::new(engine.clone());
    ra.seed_demo("test", "test password").await.expect("seed");
    let csr = || {
        let key = SoftwareKey::generate(KeyKind::P256).expect("key");
        build_csr(&key, x509_cert::name::Name::default()).expect("csr")
    };
    let (_, _, auth) = ra.seed_demo_doctor(&csr(), &csr()).await.expect("doctor");
    let provider = Provider::new(engine.clone());
    let crl = || async {
        RevocationData {
            crls: vec![engine.publish_crl(CaName::Auth).await.expect("crl").der],
            ..Default::default()
        }
    };
    let chain = vec![auth.der.clone()];
    let signed_in = provider
        .card_login(&chain, &crl().await)
        .await
        .expect("card login");
    let cookie = provider
        .open_session(&signed_in, &chain[0])
        .await
        .expect("session");

    clock.advance(Duration::from_secs(29 * 60));
    assert!(
        provider
            .session(&cookie, &crl().await)
            .await
            .expect("check")
            .is_some()
    );
    clock.advance(Duration::from_secs(60));
    assert!(
        provider
            .session(&cookie, &crl().await)
            .await
            .expect("check")
            .is_none(),
        "30 minutes on"
    );

    let signed_in = provider
        .card_login(&chain, &crl().await)
        .await
        .expect("card login again");
    let cookie = provider
        .open_session(&signed_in, &chain[0])
        .await
        .expect("session");
    assert!(
        provider
            .session(&cookie, &crl().await)
            .await
            .expect("check")
            .is_some()
    );
    engine
        .revoke(
            CaName::Auth,
            &auth.serial_hex,
            x509_cert::ext::pkix::CrlReason::KeyCompromise,
        )
        .await
        .expect("revoke");
    assert!(
        provider
            .session(&cookie, &crl().await)
            .await
            .expect("check")
            .is_none(),
        "revoked"
    );
}
