//! Issue #5, part 1: the RFC 3161 time-stamping authority at `POST /tsa`, through the real
//! router in-process, on SQLite and on PostgreSQL: granted tokens that verify against the TSA
//! certificate of `GET /ca/tsa.crt`, the nonce echoed, the certificate included on request,
//! each refusal with its `failInfo`, every token recorded with a distinct serial.

use hpki_testkit::{Backend, on_both_backends_async};
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use der::asn1::{Int, ObjectIdentifier, OctetString};
use der::{Decode, Encode};
use hpki_asn1::tsp::{MessageImprint, PkiFailureInfo, PkiStatus, TimeStampReq, TimeStampResp};
use hpki_ca::ceremony::{InitOptions, init};
use hpki_sign::DigestAlgorithm;
use hpki_sign::tsp::{imprint_of, token_of_response, verify_token};
use tower::ServiceExt;
use x509_cert::Certificate;

const DOCUMENT: &[u8] = "診断書 2026-11-30 日医 太郎".as_bytes();

struct Tsa {
    router: Router,
    engine: Arc<hpki_ca::Engine>,
    _dir: tempfile::TempDir,
}

async fn setup(backend: Backend, demo: bool) -> Option<Tsa> {
    let db_url = hpki_testkit::test_database_url(matches!(backend, Backend::Postgres)).await?;
    let dir = tempfile::tempdir().expect("tempdir");
    let opts = InitOptions {
        demo,
        database_url: db_url,
        public_base_url: "http://127.0.0.1".into(),
        passphrase: "tsa test".into(),
        actor: "test".into(),
        hsm: None,
    };
    let engine = Arc::new(
        init(&dir.path().join("ca"), &opts, &mut |_| {})
            .await
            .expect("init"),
    );
    let router = hpki_server::router(hpki_server::AppState::new(engine.clone()));
    Some(Tsa {
        router,
        engine,
        _dir: dir,
    })
}

impl Tsa {
    async fn post(
        &self,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> (StatusCode, Option<String>, Vec<u8>) {
        let mut req = Request::builder().method("POST").uri("/tsa");
        if let Some(ct) = content_type {
            req = req.header(header::CONTENT_TYPE, ct);
        }
        let resp = self
            .router
            .clone()
            .oneshot(req.body(Body::from(body)).expect("request"))
            .await
            .expect("response");
        let status = resp.status();
        let ct = resp
            .headers()
            .get(header::CONTENT_TYPE)
            .map(|v| v.to_str().unwrap_or_default().to_owned());
        let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20)
            .await
            .expect("body");
        (status, ct, bytes.to_vec())
    }

    /// Posts `req` as RFC 3161 §3.4 says; the decoded reply.
    async fn stamp(&self, req: &TimeStampReq) -> (TimeStampResp, Vec<u8>) {
        let (status, ct, body) = self
            .post(Some("application/timestamp-query"), req.to_der().unwrap())
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(ct.as_deref(), Some("application/timestamp-reply"));
        (
            TimeStampResp::from_der(&body).expect("a TimeStampResp"),
            body,
        )
    }

    async fn certificate(&self) -> (StatusCode, Vec<u8>) {
        let resp = self
            .router
            .clone()
            .oneshot(
                Request::builder()
                    .uri("/ca/tsa.crt")
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        let status = resp.status();
        let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20)
            .await
            .unwrap();
        (status, bytes.to_vec())
    }
}

fn request(imprint: MessageImprint, nonce: Option<&[u8]>, cert_req: bool) -> TimeStampReq {
    TimeStampReq {
        version: 1,
        message_imprint: imprint,
        req_policy: None,
        nonce: nonce.map(|n| Int::new(n).unwrap()),
        cert_req,
        extensions: None,
    }
}

fn fail_info(resp: &TimeStampResp) -> Option<PkiFailureInfo> {
    assert_eq!(resp.status.status, PkiStatus::Rejection);
    assert!(resp.time_stamp_token.is_none());
    resp.status.fail_info
}

async fn granted_tokens_verify_and_are_recorded(backend: Backend) {
    let Some(tsa) = setup(backend, true).await else {
        return;
    };
    let (status, cert_der) = tsa.certificate().await;
    assert_eq!(status, StatusCode::OK);
    let tsa_cert = Certificate::from_der(&cert_der).unwrap();
    hpki_sign::tsp::check_tsa_certificate(&tsa_cert).unwrap();
    let policy = ObjectIdentifier::new_unwrap(hpki_ca::config::PLACEHOLDER_TSA_POLICY);

    for (digest, nonce, cert_req) in [
        (
            DigestAlgorithm::Sha256,
            Some(&[0x00, 0xB3, 0x0E, 0x85, 0xF8][..]),
            false,
        ),
        (DigestAlgorithm::Sha384, None, true),
        (DigestAlgorithm::Sha512, Some(&[0x11; 8][..]), true),
    ] {
        let imprint = imprint_of(digest, DOCUMENT).unwrap();
        let req = request(imprint.clone(), nonce, cert_req);
        let (resp, body) = tsa.stamp(&req).await;
        assert_eq!(resp.status.status, PkiStatus::Granted, "{:?}", resp.status);
        let token = token_of_response(&body).unwrap();
        let v = verify_token(&token, &imprint, Some(&tsa_cert)).unwrap();
        let tst = &v.tst_info;
        assert_eq!(tst.policy, policy);
        assert_eq!(tst.nonce, req.nonce, "nonce echoed");
        assert_eq!(
            tst.tsa,
            Some(x509_cert::ext::pkix::name::GeneralName::DirectoryName(
                tsa_cert.tbs_certificate().subject().clone()
            ))
        );
        assert_eq!(tst.accuracy.and_then(|a| a.seconds), Some(1));
        // certReq: the token carries the TSA certificate, and verifies without it given.
        assert_eq!(verify_token(&token, &imprint, None).is_ok(), cert_req);
        // Other data: refused.
        let other = imprint_of(digest, b"other").unwrap();
        assert!(verify_token(&token, &other, Some(&tsa_cert)).is_err());
        // Recorded before the answer left.
        let serial = hex::encode(tst.serial_number.as_bytes());
        let rec = tsa
            .engine
            .store
            .timestamp(&serial)
            .await
            .unwrap()
            .expect("recorded");
        assert_eq!(
            rec.message_imprint,
            hex::encode(imprint.hashed_message.as_bytes())
        );
        assert_eq!(rec.hash_algorithm, digest.oid().to_string());
        assert_eq!(rec.policy, policy.to_string());
        assert_eq!(rec.tst_info, tst.to_der().unwrap());
        assert_eq!(
            rec.gen_time_ms as u128,
            tst.gen_time.to_unix_duration().as_millis()
        );
    }
    assert_eq!(tsa.engine.store.timestamp_stats().await.unwrap().count, 3);
    assert!(matches!(
        tsa.engine.store.verify_audit().await.unwrap(),
        hpki_store::AuditVerification::Intact { .. }
    ));
}

async fn refusals_name_their_reason(backend: Backend) {
    let Some(tsa) = setup(backend, true).await else {
        return;
    };
    // Not a TimeStampReq: HTTP 200 with rejection / badDataFormat (RFC 3161 §2.4.2, §3.4).
    let (status, ct, body) = tsa
        .post(
            Some("application/timestamp-query"),
            b"not a request".to_vec(),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ct.as_deref(), Some("application/timestamp-reply"));
    let resp = TimeStampResp::from_der(&body).unwrap();
    assert_eq!(fail_info(&resp), Some(PkiFailureInfo::BAD_DATA_FORMAT));
    assert!(resp.status.status_string.is_some());

    // SHA-1 and MD5 imprints: badAlg.
    for (oid, len) in [("1.3.14.3.2.26", 20), ("1.2.840.113549.2.5", 16)] {
        let imprint = MessageImprint {
            hash_algorithm: spki::AlgorithmIdentifierOwned {
                oid: ObjectIdentifier::new_unwrap(oid),
                parameters: None,
            },
            hashed_message: OctetString::new(vec![1u8; len]).unwrap(),
        };
        let (resp, _) = tsa.stamp(&request(imprint, None, false)).await;
        assert_eq!(fail_info(&resp), Some(PkiFailureInfo::BAD_ALG), "{oid}");
    }
    // A policy the TSA does not offer: unacceptedPolicy.
    let mut req = request(
        imprint_of(DigestAlgorithm::Sha256, DOCUMENT).unwrap(),
        None,
        false,
    );
    req.req_policy = Some(ObjectIdentifier::new_unwrap("1.2.3.4"));
    let (resp, _) = tsa.stamp(&req).await;
    assert_eq!(fail_info(&resp), Some(PkiFailureInfo::UNACCEPTED_POLICY));
    // Version 2: badRequest.
    let mut req = request(
        imprint_of(DigestAlgorithm::Sha256, DOCUMENT).unwrap(),
        None,
        false,
    );
    req.version = 2;
    let (resp, _) = tsa.stamp(&req).await;
    assert_eq!(fail_info(&resp), Some(PkiFailureInfo::BAD_REQUEST));
    // A nonce of 33 octets (32 is the most): badRequest, nothing stored.
    let long = request(
        imprint_of(DigestAlgorithm::Sha256, DOCUMENT).unwrap(),
        Some(&[0x5a; 33]),
        false,
    );
    let (resp, _) = tsa.stamp(&long).await;
    assert_eq!(fail_info(&resp), Some(PkiFailureInfo::BAD_REQUEST));
    // A body far larger than any request: 413 before it is read whole.
    let (status, _, _) = tsa
        .post(Some("application/timestamp-query"), vec![0x30; 1 << 20])
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    // Another media type: 415, and no token.
    let (status, _, _) = tsa
        .post(Some("application/json"), req.to_der().unwrap())
        .await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(tsa.engine.store.timestamp_stats().await.unwrap().count, 0);
}

async fn concurrent_requests_get_distinct_recorded_serials(backend: Backend) {
    let Some(tsa) = setup(backend, true).await else {
        return;
    };
    let tsa = Arc::new(tsa);
    let mut tasks = Vec::new();
    for i in 0..16u8 {
        let tsa = tsa.clone();
        tasks.push(tokio::spawn(async move {
            let imprint = imprint_of(DigestAlgorithm::Sha256, &[i; 10]).unwrap();
            let (resp, body) = tsa
                .stamp(&request(imprint.clone(), Some(&[i + 1]), false))
                .await;
            assert_eq!(resp.status.status, PkiStatus::Granted);
            let token = token_of_response(&body).unwrap();
            verify_token(&token, &imprint, None).unwrap_err(); // no certificate carried
            let parsed = hpki_sign::cms::parse_content_info(&token).unwrap();
            let tst =
                hpki_asn1::tsp::TstInfo::from_der(parsed.econtent.as_deref().unwrap()).unwrap();
            hex::encode(tst.serial_number.as_bytes())
        }));
    }
    let mut serials = Vec::new();
    for t in tasks {
        serials.push(t.await.unwrap());
    }
    let distinct: std::collections::HashSet<_> = serials.iter().collect();
    assert_eq!(distinct.len(), 16);
    assert_eq!(tsa.engine.store.timestamp_stats().await.unwrap().count, 16);
    for s in &serials {
        assert!(tsa.engine.store.timestamp(s).await.unwrap().is_some());
    }
}

async fn without_a_tsa_the_routes_answer_404(backend: Backend) {
    let Some(tsa) = setup(backend, false).await else {
        return;
    };
    let req = request(
        imprint_of(DigestAlgorithm::Sha256, DOCUMENT).unwrap(),
        None,
        false,
    );
    let (status, _, _) = tsa
        .post(Some("application/timestamp-query"), req.to_der().unwrap())
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(tsa.certificate().await.0, StatusCode::NOT_FOUND);
}

on_both_backends_async!(
    granted_tokens_verify_and_are_recorded,
    refusals_name_their_reason,
    concurrent_requests_get_distinct_recorded_serials,
    without_a_tsa_the_routes_answer_404,
);
