//! Issuance takes its serials from a stock the engine reserves ahead in batches: every serial
//! used was reserved in the store before signing, none is used twice, and another engine on the
//! same database (another process) never gets one of them.

use std::collections::HashSet;

use der::Encode;
use der::asn1::BitString;
use hpki_ca::CaName;
use hpki_ca::authority::KeyAccess;
use hpki_ca::ceremony::{InitOptions, init};
use hpki_keys::{KeyKind, Signer, SoftwareKey};
use x509_cert::request::{CertReq, CertReqInfo, Version as CsrVersion};

fn csr() -> Vec<u8> {
    let key = SoftwareKey::generate(KeyKind::P256).expect("P-256 key");
    let info = CertReqInfo {
        version: CsrVersion::V1,
        subject: "CN=Serial Test,C=JP".parse().expect("name"),
        public_key: key.public_key().clone(),
        attributes: Default::default(),
    };
    let sig = key
        .sign(&info.to_der().expect("DER"))
        .expect("CSR signature");
    CertReq {
        info,
        algorithm: key.algorithm().algorithm_identifier(),
        signature: BitString::from_bytes(&sig).expect("bit string"),
    }
    .to_der()
    .expect("CSR DER")
}

const SUBJECT: &str = r#"{"name_romaji": "Hanako Nichii", "name_kanji": "日医　花子",
    "subscriber_id": "JMA0000002", "role": "Medical Doctor"}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serials_come_reserved_and_unique_from_two_engines() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let data = dir.path().join("ca");
    let opts = InitOptions {
        demo: true,
        database_url: None,
        public_base_url: "http://127.0.0.1".into(),
        passphrase: "serial test".into(),
        actor: "test".into(),
        hsm: None,
    };
    let first = init(&data, &opts, &mut |_| {}).await.expect("init");
    let second = hpki_ca::Engine::open(
        &data,
        None,
        KeyAccess::Passphrase("serial test".into()),
        "second",
    )
    .await
    .expect("second engine");

    let mut serials = Vec::new();
    for i in 0..40 {
        let engine = if i % 3 == 0 { &second } else { &first };
        let ca = if i % 2 == 0 {
            CaName::Sign
        } else {
            CaName::Auth
        };
        let issued = engine
            .issue(
                ca,
                &hpki_ca::issue::CheckedCsr::parse(&csr()).expect("CSR"),
                &engine.subject(SUBJECT).expect("subject"),
            )
            .await
            .expect("issue");
        serials.push((ca, issued.serial_hex));
    }
    let distinct: HashSet<_> = serials.iter().collect();
    assert_eq!(distinct.len(), serials.len(), "a serial was used twice");
    for (ca, serial) in &serials {
        assert!(
            !first
                .store
                .reserve_serial(ca.as_str(), serial)
                .await
                .expect("reserve"),
            "serial {serial} of {ca} was not reserved"
        );
    }
    let stored = first.store.certificates(None).await.expect("list");
    assert_eq!(stored.len(), serials.len());
    first.store.close().await;
    second.store.close().await;
}
