//! What the server's scenario tests over TLS share: the demo CA with doctors issued through the
//! registration authority (日医 太郎 with his key files; 日医 花子, a colleague; a nurse of this
//! CA; a doctor of another CA), the server on plain HTTP and TLS, and the outside judges (curl,
//! authlib, openid-client) run off the runtime's threads.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use hpki_ca::ceremony::{InitOptions, build_csr, init_with_clock};
use hpki_ca::{CaName, Engine};
use hpki_keys::{KeyKind, SoftwareKey};
use hpki_login::client::ClientKind;
use hpki_registration::Registration;
use hpki_server::tls::ServerIdentity;
use hpki_server::{Listeners, serve_listeners};
use hpki_testkit::Backend;

pub const PASSPHRASE: &str = "card login test";

pub fn pem(label: &str, der: &[u8]) -> String {
    pem_rfc7468::encode_string(label, pem_rfc7468::LineEnding::LF, der).expect("pem")
}

pub fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write");
    p.display().to_string()
}

pub async fn ca(dir: &Path, database_url: Option<String>) -> Engine {
    ca_with_clock(dir, database_url, hpki_clock::system()).await
}

/// [`ca`] on `clock`.
pub async fn ca_with_clock(
    dir: &Path,
    database_url: Option<String>,
    clock: hpki_clock::SharedClock,
) -> Engine {
    let opts = InitOptions {
        demo: true,
        database_url,
        public_base_url: "http://127.0.0.1".into(),
        passphrase: PASSPHRASE.into(),
        actor: "test".into(),
        hsm: None,
    };
    init_with_clock(dir, &opts, &mut |_| {}, clock)
        .await
        .expect("CA")
}

/// curl against `url` with an optional client certificate and key file; returns the HTTP
/// status and the body.
pub fn curl(url: &str, root: &str, client: Option<(&str, &str)>, tls: &str) -> (u16, String) {
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

/// The demo CA with the demo doctor issued through the registration authority, another CA's
/// doctor, the key and certificate files, and the server listening on plain HTTP and TLS.
pub struct World {
    pub engine: Arc<Engine>,
    pub db: Option<String>,
    pub server: tokio::task::JoinHandle<Result<(), hpki_server::ServerError>>,
    pub tls: SocketAddr,
    pub public: SocketAddr,
    pub subscriber_id: String,
    pub auth_serial: String,
    pub root: String,
    pub auth_cert: String,
    pub auth_key: String,
    pub sign_cert: String,
    pub sign_key: String,
    pub foreign_cert: String,
    pub foreign_key: String,
    /// 日医 花子: subscriber ID, authentication certificate and key files.
    pub hanako: (String, String, String),
    /// 日医 花子's authentication certificate serial (hex).
    pub hanako_auth_serial: String,
    /// A nurse of this CA (hcRole Nurse): authentication certificate and key files.
    pub nurse: (String, String),
    pub _dir: tempfile::TempDir,
}

impl World {
    pub async fn finish(self) {
        self.server.abort();
        self.engine.store.close().await;
        if let Some(url) = self.db {
            hpki_testkit::drop_postgres_schema(&url).await;
        }
    }
}

pub async fn world(backend: Backend) -> Option<World> {
    world_on(backend, hpki_clock::system()).await
}

/// [`world`] with the CA (and the server) on `clock`.
pub async fn world_on(backend: Backend, clock: hpki_clock::SharedClock) -> Option<World> {
    let db = hpki_testkit::test_database_url(matches!(backend, Backend::Postgres)).await?;
    let dir = tempfile::tempdir().expect("tmp");
    let engine = Arc::new(ca_with_clock(&dir.path().join("ca"), db.clone(), clock).await);
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

    // A colleague, 日医 花子, issued the same way.
    let hanako_key = SoftwareKey::generate(KeyKind::Rsa(2048)).expect("key");
    let hanako_sign = SoftwareKey::generate(KeyKind::Rsa(2048)).expect("key");
    let (hanako_app, _, hanako_auth) = ra
        .seed_doctor(
            &hpki_registration::DemoDoctor::HANAKO,
            &csr(&hanako_sign),
            &csr(&hanako_key),
        )
        .await
        .expect("second doctor issued");
    let hanako_auth_serial = hanako_auth.serial_hex.clone();
    let hanako = (
        hanako_app
            .record
            .subscriber_id
            .clone()
            .expect("subscriber ID"),
        write(files, "hanako.pem", &hanako_auth.pem()),
        write(
            files,
            "hanako.key",
            &pem("PRIVATE KEY", hanako_key.pkcs8_der()),
        ),
    );
    // A nurse of this CA: a valid HPKI authentication certificate, not a doctor's.
    let nurse_key = SoftwareKey::generate(KeyKind::Rsa(2048)).expect("key");
    let nurse_subject = hpki_ca::ceremony::DEMO_SUBSCRIBER
        .replace("Medical Doctor", "Nurse")
        .replace("JMA9999999999", "JMA8888888888");
    assert_ne!(nurse_subject, hpki_ca::ceremony::DEMO_SUBSCRIBER);
    let nurse_cert = engine
        .issue(
            CaName::Auth,
            &hpki_ca::issue::CheckedCsr::parse(&csr(&nurse_key)).expect("csr"),
            &engine.subject(&nurse_subject).expect("nurse subject"),
        )
        .await
        .expect("nurse certificate");
    let nurse = (
        write(files, "nurse.pem", &nurse_cert.pem()),
        write(
            files,
            "nurse.key",
            &pem("PRIVATE KEY", nurse_key.pkcs8_der()),
        ),
    );

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
        tls: Some(hpki_server::TlsListener {
            addr: "127.0.0.1:0".parse().expect("addr"),
            identity,
        }),
        // The proxy of the RFC 9440 check: 127.0.0.2 (loopback, but not what curl uses
        // unless told).
        trusted_proxies: vec!["127.0.0.2".parse().expect("addr")],
        ..Listeners::public("127.0.0.1:0".parse().expect("addr"))
    };
    let server = tokio::spawn(serve_listeners(engine.clone(), listeners, move |b| {
        let _ = tx.send(b);
    }));
    let bound = rx.await.expect("listening");
    Some(World {
        engine,
        db,
        server,
        tls: bound.tls.expect("TLS listener"),
        public: bound.public,
        subscriber_id,
        auth_serial: auth.serial_hex,
        root,
        auth_cert,
        auth_key: auth_key_file,
        sign_cert,
        sign_key: sign_key_file,
        foreign_cert,
        foreign_key,
        hanako,
        hanako_auth_serial,
        nurse,
        _dir: dir,
    })
}

/// Registers relying party `id` (pairwise `sub`) redirecting to `redirect_uri`; its secret
/// when confidential.
pub async fn register(
    provider: &hpki_provider::Provider,
    id: &str,
    name: &str,
    redirect_uri: &str,
    kind: ClientKind,
) -> (hpki_login::client::Client, Option<String>) {
    provider
        .add_client(&hpki_provider::clients::NewClient {
            client_id: id.into(),
            name: name.into(),
            redirect_uris: vec![redirect_uri.into()],
            post_logout_redirect_uris: vec![],
            kind,
            subject_type: hpki_login::client::SubjectType::Pairwise,
        })
        .await
        .expect("client registered")
}

/// Runs `tests/rp/authlib_rp.py` for `client` and returns its JSON.
pub async fn authlib(
    w: &World,
    client: (&str, &str),
    scope: &str,
    share: bool,
) -> serde_json::Value {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/rp/authlib_rp.py");
    let args: Vec<String> = vec![
        script.into(),
        format!("https://{}", w.tls),
        w.root.clone(),
        client.0.into(),
        client.1.into(),
        REDIRECT_URI.into(),
        w.auth_cert.clone(),
        w.auth_key.clone(),
        scope.into(),
        if share { "share-license" } else { "no-license" }.into(),
    ];
    let out = judge("python3", args, None, "authlib relying party").await;
    serde_json::from_slice(&out).expect("JSON")
}

/// Runs `program` with `args` (and NODE_EXTRA_CA_CERTS = `ca` when given) off the runtime's
/// threads; fails the test, showing what it printed, unless it succeeds; returns its stdout.
pub async fn judge(program: &str, args: Vec<String>, ca: Option<String>, what: &str) -> Vec<u8> {
    let program = program.to_owned();
    let out = tokio::task::spawn_blocking(move || {
        let mut c = Command::new(&program);
        c.args(&args);
        if let Some(ca) = ca {
            c.env("NODE_EXTRA_CA_CERTS", ca);
        }
        c.output()
            .unwrap_or_else(|e| panic!("{program} does not run: {e}"))
    })
    .await
    .expect("join");
    assert!(
        out.status.success(),
        "{what} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

pub const REDIRECT_URI: &str = "http://127.0.0.1:9/callback";

/// curl with arguments; returns the HTTP status, the headers and the body.
pub fn curl_raw(args: &[&str]) -> (u16, String) {
    let out = Command::new("curl")
        .args(["-sS", "-i"])
        .args(args)
        .output()
        .expect("curl");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, text)
}
