//! The guarantee of the OCSP responder's cache: a revocation made by another process (here
//! another engine with its own connections, as the `hpki ca revoke` CLI would be) is in every
//! answer to a request made after the revocation returned, while requests without a nonce are
//! answered from signed responses kept ready and the epoch reads are shared between requests.
//!
//! Runs on SQLite and on PostgreSQL (`HPKI_TEST_DATABASE_URL`, default
//! `postgres://postgres@127.0.0.1:5432/test`; `HPKI_TEST_SKIP_POSTGRES=1` skips it).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use aws_lc_rs::digest;
use der::asn1::{BitString, Null, OctetString};
use der::{Decode, Encode};
use hpki_asn1::ocsp::{
    BasicOcspResponse, CertId, CertStatus, OcspRequest, OcspResponse, OcspResponseStatus, Request,
    TbsRequest, Version,
};
use hpki_ca::authority::KeyAccess;
use hpki_ca::ceremony::{InitOptions, init};
use hpki_ca::ocsp_responder::OcspResponder;
use hpki_ca::{CaName, Engine};
use hpki_keys::{KeyKind, Signer, SoftwareKey};
use x509_cert::ext::pkix::CrlReason;
use x509_cert::request::{CertReq, CertReqInfo, Version as CsrVersion};
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::AlgorithmIdentifierOwned;

const ID_SHA1: der::asn1::ObjectIdentifier =
    der::asn1::ObjectIdentifier::new_unwrap("1.3.14.3.2.26");

fn csr() -> Vec<u8> {
    let key = SoftwareKey::generate(KeyKind::P256).expect("P-256 key");
    let info = CertReqInfo {
        version: CsrVersion::V1,
        subject: "CN=Freshness Test,C=JP".parse().expect("name"),
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

const SUBJECT: &str = r#"{"name_romaji": "Taro Nichii", "name_kanji": "日医　太郎",
    "subscriber_id": "JMA0000001", "role": "Medical Doctor",
    "organization_romaji": "Nichii Hospital", "organization_kanji": "日医病院"}"#;

/// An RFC 5019 request (SHA-1 CertID, no nonce) for `serial_hex` under `ca`.
fn request(engine: &Engine, ca: CaName, serial_hex: &str) -> Vec<u8> {
    let tbs = engine
        .authority(ca)
        .expect("issuing CA")
        .ca
        .cert
        .tbs_certificate();
    let sha1 = |b: &[u8]| digest::digest(&digest::SHA1_FOR_LEGACY_USE_ONLY, b);
    let name_hash = sha1(&tbs.subject().to_der().expect("name DER"));
    let key_hash = sha1(tbs.subject_public_key_info().subject_public_key.raw_bytes());
    OcspRequest {
        tbs_request: TbsRequest {
            version: Version::default(),
            requestor_name: None,
            request_list: vec![Request {
                req_cert: CertId {
                    hash_algorithm: AlgorithmIdentifierOwned {
                        oid: ID_SHA1,
                        parameters: Some(Null.into()),
                    },
                    issuer_name_hash: OctetString::new(name_hash.as_ref()).expect("hash"),
                    issuer_key_hash: OctetString::new(key_hash.as_ref()).expect("hash"),
                    serial_number: SerialNumber::new(&hex::decode(serial_hex).expect("hex"))
                        .expect("serial"),
                },
                single_request_extensions: None,
            }],
            request_extensions: None,
        },
        optional_signature: None,
    }
    .to_der()
    .expect("request DER")
}

fn status(answer: &[u8]) -> CertStatus {
    let response = OcspResponse::from_der(answer).expect("OCSPResponse");
    assert_eq!(response.response_status, OcspResponseStatus::Successful);
    let basic = BasicOcspResponse::from_response(&response).expect("basic response");
    basic.tbs_response_data.responses[0].cert_status.clone()
}

fn is_revoked(answer: &[u8]) -> bool {
    match &status(answer) {
        CertStatus::Good(_) => false,
        CertStatus::Revoked(_) => true,
        other => panic!("unexpected status {other:?}"),
    }
}

async fn scenario(database_url: Option<String>) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let data = dir.path().join("ca");
    let opts = InitOptions {
        demo: true,
        database_url,
        public_base_url: "http://127.0.0.1".into(),
        passphrase: "freshness test".into(),
        actor: "test".into(),
        hsm: None,
    };
    let engine = init(&data, &opts, &mut |_| {}).await.expect("init");
    let issued = engine
        .issue(
            CaName::Sign,
            &hpki_ca::issue::CheckedCsr::parse(&csr()).expect("CSR"),
            &engine.subject(SUBJECT).expect("subject"),
        )
        .await
        .expect("issue");
    let other = engine
        .issue(
            CaName::Sign,
            &hpki_ca::issue::CheckedCsr::parse(&csr()).expect("CSR"),
            &engine.subject(SUBJECT).expect("subject"),
        )
        .await
        .expect("issue");
    let engine = Arc::new(engine);
    let responder = Arc::new(OcspResponder::new(engine.clone()));
    let req = Arc::new(request(&engine, CaName::Sign, &issued.serial_hex));
    let other_req = request(&engine, CaName::Sign, &other.serial_hex);
    assert!(!is_revoked(&responder.respond(CaName::Sign, &req).await));

    // Clients keep asking, each noting when its request started and what it got.
    let stop = Arc::new(AtomicBool::new(false));
    let mut clients = Vec::new();
    for _ in 0..16 {
        let (responder, req, stop) = (responder.clone(), req.clone(), stop.clone());
        clients.push(tokio::spawn(async move {
            let mut seen = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let asked = Instant::now();
                let answer = responder.respond(CaName::Sign, &req).await;
                seen.push((asked, is_revoked(&answer)));
                // A cached answer completes without waiting: let the other tasks run.
                tokio::task::yield_now().await;
            }
            seen
        }));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;

    // Another process revokes: its own engine and connections, opened with the operator
    // passphrase (revocation is the operator's act).
    let revoker = Engine::open(
        &data,
        None,
        KeyAccess::Passphrase("freshness test".into()),
        "revoker",
    )
    .await
    .expect("second engine");
    // Without it, nothing is revoked.
    let keyless = Engine::open(&data, None, KeyAccess::None, "anyone")
        .await
        .expect("keyless engine");
    assert!(
        keyless
            .revoke(CaName::Sign, &issued.serial_hex, CrlReason::KeyCompromise)
            .await
            .is_err()
    );
    revoker
        .revoke(CaName::Sign, &issued.serial_hex, CrlReason::KeyCompromise)
        .await
        .expect("revoke");
    let revoked_at = Instant::now();
    // The very next answer, from this task, already says so.
    assert!(is_revoked(&responder.respond(CaName::Sign, &req).await));
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, Ordering::Relaxed);

    let (mut before, mut after) = (0, 0);
    for client in clients {
        for (asked, revoked) in client.await.expect("client") {
            if asked > revoked_at {
                assert!(
                    revoked,
                    "a request made after the revocation was answered good"
                );
                after += 1;
            } else if !revoked {
                before += 1;
            }
        }
    }
    assert!(before > 0 && after > 0, "before {before}, after {after}");
    // The other certificate is still good (its cached answer was checked, not dropped blindly).
    assert!(!is_revoked(
        &responder.respond(CaName::Sign, &other_req).await
    ));

    revoker.store.close().await;
    engine.store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_revocation_is_in_the_next_answer() {
    scenario(None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_revocation_is_in_the_next_answer() {
    if !hpki_testkit::postgres_enabled() {
        return;
    }
    let url = hpki_testkit::fresh_postgres_url(&hpki_testkit::postgres_base_url()).await;
    scenario(Some(url.clone())).await;
    hpki_testkit::drop_postgres_schema(&url).await;
}

/// Random serials (a client probing, or a flood) cannot grow the cache past its bound: when it
/// is full it is emptied, and the answers stay right.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_serials_do_not_grow_the_cache_past_its_bound() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let opts = InitOptions {
        demo: true,
        database_url: None,
        public_base_url: "http://127.0.0.1".into(),
        passphrase: "bound test".into(),
        actor: "test".into(),
        hsm: None,
    };
    let engine = Arc::new(
        init(&dir.path().join("ca"), &opts, &mut |_| {})
            .await
            .expect("init"),
    );
    let responder = OcspResponder::new(engine.clone()).with_cache_capacity(8);
    let mut most = 0;
    for n in 0..40u32 {
        let serial = format!("7f{n:08x}0123456789abcdef");
        let answer = responder
            .respond(CaName::Sign, &request(&engine, CaName::Sign, &serial))
            .await;
        assert!(
            matches!(status(&answer), CertStatus::Unknown(_)),
            "a serial never issued is unknown (RFC 6960 §2.2)"
        );
        most = most.max(responder.cached());
    }
    assert!(most <= 8, "the cache held {most} responses");
    assert!(responder.cached() >= 1, "answers are still cached");
}
