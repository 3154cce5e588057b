//! The HTTP sources against a real `hpki` server (demo CA, in-process, on loopback): a
//! time-stamp token over the right imprint, and a certificate's chain with its CRL and OCSP
//! response found from the URLs inside the certificates.

use std::sync::Arc;

use der::{Decode, DecodePem};
use hpki_ca::ceremony::{DEMO_SUBSCRIBER, InitOptions, build_csr, init};
use hpki_fetch::{HttpTimeStamper, HttpValidationSource};
use hpki_keys::{KeyKind, SoftwareKey};
use hpki_sign::DigestAlgorithm;
use hpki_sign::ltv::{TimeStamper, ValidationSource};
use x509_cert::Certificate;

#[tokio::test(flavor = "multi_thread")]
async fn time_stamps_chains_crls_and_ocsp_come_over_http() {
    // A free port, then a CA whose certificates name it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let base = format!("http://127.0.0.1:{port}");
    let dir = tempfile::tempdir().expect("tempdir");
    let opts = InitOptions {
        demo: true,
        database_url: None,
        public_base_url: base.clone(),
        passphrase: "fetch test".into(),
        actor: "test".into(),
        hsm: None,
    };
    let engine = Arc::new(
        init(&dir.path().join("ca"), &opts, &mut |_| {})
            .await
            .expect("init"),
    );
    let key = SoftwareKey::generate(KeyKind::Rsa(2048)).expect("key");
    let csr = build_csr(&key, x509_cert::name::Name::default()).expect("csr");
    let issued = engine
        .issue(
            hpki_ca::CaName::Sign,
            &hpki_ca::issue::CheckedCsr::parse(&csr).expect("CSR"),
            &engine.subject(DEMO_SUBSCRIBER).expect("subject"),
        )
        .await
        .expect("issue");
    let root = engine
        .authority(hpki_ca::CaName::Root)
        .expect("root")
        .ca
        .cert
        .clone();
    let (tx, rx) = tokio::sync::oneshot::channel();
    let server = engine.clone();
    tokio::spawn(async move {
        hpki_server::serve(server, format!("127.0.0.1:{port}").parse().unwrap(), |_| {
            let _ = tx.send(());
        })
        .await
        .expect("serve");
    });
    rx.await.expect("server up");

    let leaf = Certificate::from_pem(issued.pem().as_bytes()).expect("leaf");
    let tsa_url = format!("{base}/tsa");
    let (token, data) = tokio::task::spawn_blocking(move || {
        let digest = DigestAlgorithm::Sha256.digest(b"referral letter");
        let token = HttpTimeStamper::new(tsa_url)
            .time_stamp(DigestAlgorithm::Sha256, &digest)
            .expect("time-stamp");
        let data = HttpValidationSource::new(vec![root])
            .validation_data(&leaf)
            .expect("validation data");
        (token, data)
    })
    .await
    .expect("blocking");

    // The token is a ContentInfo over our imprint (checked again here independently).
    let imprint = hpki_sign::tsp::imprint_of(DigestAlgorithm::Sha256, b"referral letter").unwrap();
    hpki_sign::tsp::verify_token(&token, &imprint, None).expect("token over the imprint");
    let other = hpki_sign::tsp::imprint_of(DigestAlgorithm::Sha256, b"other").unwrap();
    assert!(hpki_sign::tsp::verify_token(&token, &other, None).is_err());

    // The chain: the signing CA (from AIA caIssuers) and the root given; the signing CA's CRL
    // and an OCSP response for the leaf, with the responder's certificate.
    let subjects: Vec<String> = data
        .certificates
        .iter()
        .map(|d| {
            Certificate::from_der(d)
                .unwrap()
                .tbs_certificate()
                .subject()
                .to_string()
        })
        .collect();
    assert!(
        subjects.iter().any(|s| s.contains("JMASignCA")),
        "{subjects:?}"
    );
    assert!(subjects.iter().any(|s| s.contains("MHLW")), "{subjects:?}");
    assert!(
        subjects.iter().any(|s| s.contains("OCSP Responder")),
        "{subjects:?}"
    );
    assert!(!data.crls.is_empty(), "the signing CA's CRL");
    assert_eq!(data.ocsp_responses.len(), 1);
    let resp = hpki_asn1::ocsp::OcspResponse::from_der(&data.ocsp_responses[0]).unwrap();
    let basic = hpki_asn1::ocsp::BasicOcspResponse::from_response(&resp).unwrap();
    assert!(matches!(
        basic.tbs_response_data.responses[0].cert_status,
        hpki_asn1::ocsp::CertStatus::Good(_)
    ));
}
