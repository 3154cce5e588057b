//! Card login over TLS, judged by an independent TLS client: curl (OpenSSL) presents the demo
//! doctor's authentication key and certificate, over TLS 1.2 (the card's PKCS#1 v1.5
//! signature) and TLS 1.3 (RSASSA-PSS), and is welcomed by name; the signing certificate, no
//! certificate, a certificate of another CA, and the authentication certificate after its
//! revocation get the refusal page (HTTP 403) that says why. On SQLite and PostgreSQL.

use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use hpki_ca::ceremony::{InitOptions, build_csr, init_with_clock};
use hpki_ca::{CaName, Engine};
use hpki_keys::{KeyKind, SoftwareKey};
use hpki_registration::Registration;
use hpki_server::tls::ServerIdentity;
use hpki_server::{Listeners, serve_listeners};
use hpki_testkit::Backend;

const PASSPHRASE: &str = "card login test";

fn pem(label: &str, der: &[u8]) -> String {
    pem_rfc7468::encode_string(label, pem_rfc7468::LineEnding::LF, der).expect("pem")
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write");
    p.display().to_string()
}

async fn ca(dir: &Path, database_url: Option<String>) -> Engine {
    let opts = InitOptions {
        demo: true,
        database_url,
        public_base_url: "http://127.0.0.1".into(),
        passphrase: PASSPHRASE.into(),
        actor: "test".into(),
        hsm: None,
    };
    init_with_clock(dir, &opts, &mut |_| {}, hpki_clock::system())
        .await
        .expect("CA")
}

/// curl against `url` with an optional client certificate and key file; returns the HTTP
/// status and the body.
fn curl(url: &str, root: &str, client: Option<(&str, &str)>, tls: &str) -> (u16, String) {
    let mut c = Command::new("curl");
    c.args(["-sS", "--cacert", root, "-w", "\n%{http_code}", tls, url]);
    if let Some((cert, key)) = client {
        c.args(["--cert", cert, "--key", key]);
    }
    let out = c.output().expect("curl runs");
    assert!(
        out.status.success(),
        "curl: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("utf-8");
    let (body, status) = text.rsplit_once('\n').expect("status line");
    (status.parse().expect("status"), body.to_owned())
}

async fn scenario(backend: Backend) {
    let Some(db) = hpki_testkit::test_database_url(matches!(backend, Backend::Postgres)).await
    else {
        return;
    };
    let dir = tempfile::tempdir().expect("tmp");
    let engine = Arc::new(ca(&dir.path().join("ca"), db.clone()).await);
    let ra = Registration::new(engine.clone());
    ra.seed_demo("test", "test password").await.expect("seed");
    let sign_key = SoftwareKey::generate(KeyKind::Rsa(2048)).expect("key");
    let auth_key = SoftwareKey::generate(KeyKind::Rsa(2048)).expect("key");
    let csr = |k: &SoftwareKey| build_csr(k, x509_cert::name::Name::default()).expect("csr");
    let (app, sign, auth) = ra
        .seed_demo_doctor(&csr(&sign_key), &csr(&auth_key))
        .await
        .expect("demo doctor issued through the registration authority");
    let subscriber_id = app.record.subscriber_id.clone().expect("subscriber ID");

    let files = dir.path();
    let root = pem(
        "CERTIFICATE",
        &engine.authority(CaName::Root).expect("root").ca.der,
    );
    let root = write(files, "root.pem", &root);
    let auth_cert = write(files, "auth.pem", &auth.pem());
    let auth_key_file = write(files, "auth.key", &pem("PRIVATE KEY", auth_key.pkcs8_der()));
    let sign_cert = write(files, "sign.pem", &sign.pem());
    let sign_key_file = write(files, "sign.key", &pem("PRIVATE KEY", sign_key.pkcs8_der()));

    // A doctor of another HPKI CA: valid there, unknown here.
    let other = ca(&dir.path().join("other"), None).await;
    let other_key = SoftwareKey::generate(KeyKind::Rsa(2048)).expect("key");
    let foreign = other
        .issue(
            CaName::Auth,
            &hpki_ca::issue::CheckedCsr::parse(&csr(&other_key)).expect("csr"),
            &other
                .subject(hpki_ca::ceremony::DEMO_SUBSCRIBER)
                .expect("subject"),
        )
        .await
        .expect("issued");
    let foreign_cert = write(files, "foreign.pem", &foreign.pem());
    let foreign_key = write(
        files,
        "foreign.key",
        &pem("PRIVATE KEY", other_key.pkcs8_der()),
    );

    let server_key = SoftwareKey::generate(KeyKind::P256).expect("key");
    let server_cert = engine
        .issue_tls_server_certificate(&["127.0.0.1".into()], &server_key)
        .await
        .expect("server certificate");
    let identity = ServerIdentity::from_der(
        vec![der::Encode::to_der(&server_cert).expect("der")],
        server_key.pkcs8_der().to_vec(),
    );
    let (tx, rx) = tokio::sync::oneshot::channel();
    let listeners = Listeners {
        public: "127.0.0.1:0".parse().expect("addr"),
        admin: None,
        tls: Some(("127.0.0.1:0".parse().expect("addr"), identity)),
    };
    let server = tokio::spawn(serve_listeners(engine.clone(), listeners, move |b| {
        let _ = tx.send(b);
    }));
    let bound = rx.await.expect("listening");
    let tls: SocketAddr = bound.tls.expect("TLS listener");
    let url = format!("https://{tls}/login/card");

    let signed_in = tokio::task::spawn_blocking({
        let (url, root, auth_cert, auth_key_file) = (
            url.clone(),
            root.clone(),
            auth_cert.clone(),
            auth_key_file.clone(),
        );
        move || {
            ["--tlsv1.2 --tls-max 1.2", "--tlsv1.3"].map(|v| {
                let mut c = Command::new("curl");
                c.args([
                    "-sS",
                    "--cacert",
                    &root,
                    "--cert",
                    &auth_cert,
                    "--key",
                    &auth_key_file,
                ]);
                c.args(v.split(' '));
                c.args(["-w", "\n%{http_code}", &url]);
                let out = c.output().expect("curl");
                String::from_utf8(out.stdout).expect("utf-8")
            })
        }
    })
    .await
    .expect("curl");
    for (version, page) in ["TLS 1.2", "TLS 1.3"].iter().zip(signed_in) {
        assert!(page.ends_with("\n200"), "{version}: {page}");
        assert!(
            page.contains("ようこそ、日医太郎 先生"),
            "{version}: {page}"
        );
        assert!(page.contains("医師（Medical Doctor）"), "{version}: {page}");
        assert!(page.contains(&subscriber_id), "{version}: {page}");
    }
    let (status, page) = tokio::task::spawn_blocking({
        let (url, root, c, k) = (
            url.clone(),
            root.clone(),
            auth_cert.clone(),
            auth_key_file.clone(),
        );
        move || {
            curl(
                &format!("{url}?lang=en"),
                &root,
                Some((&c, &k)),
                "--tlsv1.3",
            )
        }
    })
    .await
    .expect("curl");
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Welcome, Dr. Taro Nichii"), "{page}");

    let refused = |client: Option<(String, String)>| {
        let (url, root) = (url.clone(), root.clone());
        tokio::task::spawn_blocking(move || {
            curl(
                &url,
                &root,
                client.as_ref().map(|(c, k)| (c.as_str(), k.as_str())),
                "--tlsv1.2",
            )
        })
    };
    let (status, page) = refused(Some((sign_cert, sign_key_file)))
        .await
        .expect("curl");
    assert_eq!(status, 403, "{page}");
    assert!(
        page.contains("署名用の証明書ではログインできません"),
        "{page}"
    );
    let (status, page) = refused(None).await.expect("curl");
    assert_eq!(status, 403, "{page}");
    assert!(
        page.contains("クライアント証明書が提示されませんでした"),
        "{page}"
    );
    let (status, page) = refused(Some((foreign_cert, foreign_key)))
        .await
        .expect("curl");
    assert_eq!(status, 403, "{page}");
    assert!(page.contains("証明書の検証に失敗しました"), "{page}");

    engine
        .revoke(
            CaName::Auth,
            &auth.serial_hex,
            x509_cert::ext::pkix::CrlReason::KeyCompromise,
        )
        .await
        .expect("revoke");
    let (status, page) = refused(Some((auth_cert, auth_key_file)))
        .await
        .expect("curl");
    assert_eq!(status, 403, "{page}");
    assert!(page.contains("証明書の失効確認"), "{page}");

    let records = engine.store.audit_records().await.expect("audit");
    assert_eq!(
        records.iter().filter(|r| r.action == "login.card").count(),
        3,
        "each sign-in audited, no refusal"
    );
    server.abort();
    engine.store.close().await;
    if let Some(url) = db {
        hpki_testkit::drop_postgres_schema(&url).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn card_login_on_sqlite() {
    scenario(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn card_login_on_postgres() {
    scenario(Backend::Postgres).await;
}
