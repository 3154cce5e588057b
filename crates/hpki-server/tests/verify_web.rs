//! Issue #5, the public verification page through the real router, in-process: the form in
//! Japanese and English, a valid signature of the demo doctor (green, his names, subscriber ID,
//! qualification), the same with one byte changed (red, tampered / 改ざん), the JSON variant,
//! an upload over the limit. The trust anchor and the revocation data are the server's own (its
//! root, its CRLs and OCSP). On SQLite and PostgreSQL.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use der::DecodePem;
use hpki_ca::ceremony::{InitOptions, init, issue_demo_subscriber};
use hpki_keys::SoftwareKey;
use hpki_sign::cades::{self, Packaging};
use hpki_sign::{Level, SignContext};
use tower::ServiceExt;
use x509_cert::Certificate;

const PASSPHRASE: &str = "verify web test";
const LETTER: &str = "診療情報提供書（紹介状）\n患者: 日医 花子 様\n";

struct Web {
    router: Router,
    /// The demo doctor's enveloping CAdES B-B signature of [`LETTER`].
    p7m: Vec<u8>,
    _dir: tempfile::TempDir,
}

async fn setup(postgres: bool) -> Option<Web> {
    let database_url = hpki_testkit::test_database_url(postgres).await?;
    let dir = tempfile::tempdir().expect("tempdir");
    let opts = InitOptions {
        demo: true,
        database_url,
        public_base_url: "http://127.0.0.1".into(),
        passphrase: PASSPHRASE.into(),
        actor: "test".into(),
        hsm: None,
    };
    let engine = Arc::new(
        init(&dir.path().join("ca"), &opts, &mut |_| {})
            .await
            .expect("init"),
    );
    let files = issue_demo_subscriber(&engine, PASSPHRASE)
        .await
        .expect("demo doctor");
    let read = |suffix: &str| {
        let path = files
            .iter()
            .find(|f| f.to_string_lossy().ends_with(suffix))
            .expect("demo file");
        std::fs::read_to_string(path).expect("read")
    };
    let key = SoftwareKey::from_encrypted_pem(&read("taro-nichii-sign.key.pem"), PASSPHRASE)
        .expect("key");
    let cert = Certificate::from_pem(read("taro-nichii-sign.pem").as_bytes()).expect("cert");
    let ctx = SignContext {
        signer: &key,
        certificate: &cert,
        chain: &[],
        signing_time: hpki_clock::Clock::now(&hpki_clock::SystemClock),
        time_stamper: None,
        validation: None,
    };
    let p7m = cades::sign(&ctx, LETTER.as_bytes(), Packaging::Enveloping, Level::B).expect("sign");
    Some(Web {
        router: hpki_server::router(hpki_server::AppState::new(engine)),
        p7m,
        _dir: dir,
    })
}

impl Web {
    async fn send(&self, req: Request<Body>) -> (StatusCode, String) {
        let resp = self.router.clone().oneshot(req).await.expect("response");
        let status = resp.status();
        let body = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .expect("body");
        (status, String::from_utf8_lossy(&body).into_owned())
    }

    async fn get(&self, path: &str) -> (StatusCode, String) {
        self.send(Request::get(path).body(Body::empty()).unwrap())
            .await
    }

    /// `POST path` with the multipart form field `file` holding `data`.
    async fn upload(&self, path: &str, name: &str, data: &[u8]) -> (StatusCode, String) {
        let boundary = "hpkiVerifyBoundary1c8f0e2d";
        let mut body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        )
        .into_bytes();
        body.extend_from_slice(data);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        self.send(
            Request::builder()
                .method(Method::POST)
                .uri(path)
                .header(
                    header::CONTENT_TYPE,
                    format!("multipart/form-data; boundary={boundary}"),
                )
                .body(Body::from(body))
                .unwrap(),
        )
        .await
    }
}

async fn the_form_speaks_japanese_and_english(postgres: bool) {
    let Some(web) = setup(postgres).await else {
        return;
    };
    let (status, html) = web.get("/verify").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("<html lang=\"ja\">"), "{html}");
    assert!(html.contains("電子署名の検証") && html.contains("検証する"));
    assert!(html.contains("enctype=\"multipart/form-data\""));
    assert!(html.contains("type=\"file\" name=\"file\""));
    assert!(!html.contains("<script"), "works without JavaScript");
    let (_, html) = web.get("/verify?lang=en").await;
    assert!(html.contains("<html lang=\"en\">") && html.contains("Verify a signature"));
}

async fn a_valid_signature_is_green_and_a_changed_byte_is_red(postgres: bool) {
    let Some(web) = setup(postgres).await else {
        return;
    };
    let (status, html) = web.upload("/verify", "letter.p7m", &web.p7m).await;
    assert_eq!(status, StatusCode::OK);
    for needle in [
        "verdict valid",
        "有効な署名です",
        "日医　太郎（Taro Nichii）",
        "JMA9999999999",
        "医師（Medical Doctor）",
        "letter.p7m",
        "B-B",
    ] {
        assert!(html.contains(needle), "{needle:?} in {html}");
    }
    let (_, html) = web.upload("/verify?lang=en", "letter.p7m", &web.p7m).await;
    for needle in [
        "Valid signature",
        "Taro Nichii (日医　太郎)",
        "Medical Doctor (医師)",
        "intact",
    ] {
        assert!(html.contains(needle), "{needle:?} in {html}");
    }
    let (status, json) = web
        .upload("/verify?format=json", "letter.p7m", &web.p7m)
        .await;
    assert_eq!(status, StatusCode::OK);
    let report: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    assert_eq!(report["overall"], "valid", "{report}");
    assert_eq!(
        report["signatures"][0]["signer"]["subscriber_id"],
        "JMA9999999999"
    );

    // One character of the letter inside the signature changed.
    let mut tampered = web.p7m.clone();
    let from = "花子".as_bytes();
    let at = tampered
        .windows(from.len())
        .position(|w| w == from)
        .expect("the letter inside");
    tampered[at..at + from.len()].copy_from_slice("次郎".as_bytes());
    let (status, html) = web.upload("/verify", "letter.p7m", &tampered).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("verdict invalid"), "{html}");
    assert!(html.contains("改ざんされています"), "{html}");
    let (_, html) = web.upload("/verify?lang=en", "letter.p7m", &tampered).await;
    assert!(
        html.contains("NOT valid") && html.contains("tampered"),
        "{html}"
    );
}

async fn uploads_are_limited_and_checked(postgres: bool) {
    let Some(web) = setup(postgres).await else {
        return;
    };
    let big = vec![b'x'; hpki_server::verify_web::MAX_UPLOAD + 1];
    let (status, html) = web.upload("/verify", "big.pdf", &big).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(html.contains("ファイルが大きすぎます"), "{html}");
    let (status, html) = web.upload("/verify?lang=en", "empty.pdf", b"").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(html.contains("Choose a file"), "{html}");
    let (status, html) = web.upload("/verify?lang=en", "note.txt", b"hello").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("no signature could be checked") && html.contains("not a signature"),
        "{html}"
    );
}

macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
               async fn $name() { super::$name(false).await } )*
        }
        mod postgres {
            $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
               async fn $name() { super::$name(true).await } )*
        }
    };
}

on_both_backends!(
    the_form_speaks_japanese_and_english,
    a_valid_signature_is_green_and_a_changed_byte_is_red,
    uploads_are_limited_and_checked,
);
