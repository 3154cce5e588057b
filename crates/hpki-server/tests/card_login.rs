//! Card login over TLS, judged by an independent TLS client: curl (OpenSSL) presents the demo
//! doctor's authentication key and certificate, over TLS 1.2 (the card's PKCS#1 v1.5
//! signature) and TLS 1.3 (RSASSA-PSS), and is welcomed by name; the signing certificate, no
//! certificate, a certificate of another CA, and the authentication certificate after its
//! revocation get the refusal page (HTTP 403) that says why; behind a TLS-terminating proxy
//! the RFC 9440 Client-Cert header is believed from the configured proxy address only. Then the OpenID Connect provider
//! with real relying parties: PyPI authlib and npm openid-client complete code + PKCE with the
//! doctor's certificate in the browser and validate the ID token with the JWKS; a replayed code, a wrong client
//! secret and an unregistered redirect URI are refused the standard ways. On SQLite and
//! PostgreSQL.

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

/// The demo CA with the demo doctor issued through the registration authority, another CA's
/// doctor, the key and certificate files, and the server listening on plain HTTP and TLS.
struct World {
    engine: Arc<Engine>,
    db: Option<String>,
    server: tokio::task::JoinHandle<Result<(), hpki_server::ServerError>>,
    tls: SocketAddr,
    public: SocketAddr,
    subscriber_id: String,
    auth_serial: String,
    root: String,
    auth_cert: String,
    auth_key: String,
    sign_cert: String,
    sign_key: String,
    foreign_cert: String,
    foreign_key: String,
    _dir: tempfile::TempDir,
}

impl World {
    async fn finish(self) {
        self.server.abort();
        self.engine.store.close().await;
        if let Some(url) = self.db {
            hpki_testkit::drop_postgres_schema(&url).await;
        }
    }
}

async fn world(backend: Backend) -> Option<World> {
    let db = hpki_testkit::test_database_url(matches!(backend, Backend::Postgres)).await?;
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
        _dir: dir,
    })
}

async fn card_login(backend: Backend) {
    let Some(w) = world(backend).await else {
        return;
    };
    let url = format!("https://{}/login/card", w.tls);
    let (root, auth_cert, auth_key_file) =
        (w.root.clone(), w.auth_cert.clone(), w.auth_key.clone());
    let subscriber_id = w.subscriber_id.clone();

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
    let (status, page) = refused(Some((w.sign_cert.clone(), w.sign_key.clone())))
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
    let (status, page) = refused(Some((w.foreign_cert.clone(), w.foreign_key.clone())))
        .await
        .expect("curl");
    assert_eq!(status, 403, "{page}");
    assert!(page.contains("証明書の検証に失敗しました"), "{page}");

    // Behind a TLS-terminating proxy (RFC 9440): the certificate in Client-Cert is believed
    // from the configured proxy address only.
    let der_b64 = {
        use base64::Engine as _;
        let pem = std::fs::read_to_string(&auth_cert).expect("pem");
        let der = pem_rfc7468::decode_vec(pem.as_bytes()).expect("pem").1;
        base64::engine::general_purpose::STANDARD.encode(der)
    };
    let plain = format!("http://{}/login/card", w.public);
    let forwarded = |interface: &'static str| {
        let (plain, der_b64) = (plain.clone(), der_b64.clone());
        tokio::task::spawn_blocking(move || {
            let out = Command::new("curl")
                .args(["-sS", "--interface", interface, "-w", "\n%{http_code}"])
                .args(["-H", &format!("Client-Cert: :{der_b64}:"), &plain])
                .output()
                .expect("curl");
            String::from_utf8_lossy(&out.stdout).into_owned()
        })
    };
    let page = forwarded("127.0.0.2").await.expect("curl");
    assert!(page.ends_with("\n200"), "{page}");
    assert!(page.contains("ようこそ、日医太郎 先生"), "{page}");
    let page = forwarded("127.0.0.1").await.expect("curl");
    assert!(page.ends_with("\n403"), "from another address: {page}");

    w.engine
        .revoke(
            CaName::Auth,
            &w.auth_serial,
            x509_cert::ext::pkix::CrlReason::KeyCompromise,
        )
        .await
        .expect("revoke");
    let (status, page) = refused(Some((auth_cert, auth_key_file)))
        .await
        .expect("curl");
    assert_eq!(status, 403, "{page}");
    assert!(page.contains("証明書の失効確認"), "{page}");

    let records = w.engine.store.audit_records().await.expect("audit");
    assert_eq!(
        records.iter().filter(|r| r.action == "login.card").count(),
        4,
        "each sign-in audited, no refusal"
    );
    w.finish().await;
}

/// Registers relying party `id` (pairwise `sub`) redirecting to `redirect_uri`; its secret
/// when confidential.
async fn register(
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
async fn authlib(w: &World, client: (&str, &str), scope: &str, share: bool) -> serde_json::Value {
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
async fn judge(program: &str, args: Vec<String>, ca: Option<String>, what: &str) -> Vec<u8> {
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

const REDIRECT_URI: &str = "http://127.0.0.1:9/callback";

/// curl with arguments; returns the HTTP status, the headers and the body.
fn curl_raw(args: &[&str]) -> (u16, String) {
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

async fn openid_provider(backend: Backend) {
    let Some(w) = world(backend).await else {
        return;
    };
    let provider = hpki_provider::Provider::new(w.engine.clone());
    let (_, secret) = register(
        &provider,
        "mamenet",
        "まめネット",
        REDIRECT_URI,
        ClientKind::Confidential,
    )
    .await;
    let secret = secret.expect("a confidential client has a secret");

    let r = authlib(
        &w,
        ("mamenet", &secret),
        "openid profile hpki hpki_license",
        true,
    )
    .await;
    let id = &r["id_token"];
    assert_eq!(id["hc_role"], "Medical Doctor", "{r}");
    assert_eq!(id["hpki_subscriber_id"], w.subscriber_id.as_str(), "{r}");
    assert_eq!(id["acr"], hpki_login::claims::ACR_CARD, "{r}");
    assert_eq!(id["amr"], serde_json::json!(["hwk", "pin"]), "{r}");
    assert_eq!(id["name"], "日医　太郎", "{r}");
    assert!(id["auth_time"].as_u64().is_some(), "{r}");
    let sub = id["sub"].as_str().expect("sub");
    assert_ne!(sub, w.subscriber_id, "pairwise, not the subscriber ID");
    let ui = &r["userinfo"];
    assert_eq!(ui["sub"], sub, "{r}");
    assert_eq!(ui["hpki_license_number"], "123456", "consented: {r}");
    assert_eq!(ui["name#ja-Kana-JP"], "ニチイ　タロウ", "{r}");
    assert_eq!(ui["name#en"], "Taro Nichii", "{r}");

    // The code again: invalid_grant, and the token it gave stops working.
    let code = r["code"].as_str().expect("code").to_owned();
    let token_url = format!("https://{}/oidc/token", w.tls);
    let (root, basic) = (w.root.clone(), format!("mamenet:{secret}"));
    let (status, text) = tokio::task::spawn_blocking({
        let (token_url, root, basic, code) = (token_url.clone(), root.clone(), basic.clone(), code);
        move || {
            curl_raw(&[
                "--cacert",
                &root,
                "-u",
                &basic,
                "-d",
                "grant_type=authorization_code",
                "-d",
                &format!("code={code}"),
                "-d",
                &format!("redirect_uri={REDIRECT_URI}"),
                &token_url,
            ])
        }
    })
    .await
    .expect("curl");
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("\"invalid_grant\""), "{text}");
    let records = w.engine.store.audit_records().await.expect("audit");
    assert!(records.iter().any(|r| r.action == "oidc.code_replayed"));
    assert!(records.iter().any(|r| r.action == "oidc.consent_granted"));

    // A wrong secret: 401 invalid_client.
    let (status, text) = tokio::task::spawn_blocking({
        let (token_url, root) = (token_url.clone(), root.clone());
        move || {
            curl_raw(&[
                "--cacert",
                &root,
                "-u",
                "mamenet:wrong",
                "-d",
                "grant_type=authorization_code",
                "-d",
                "code=x",
                &token_url,
            ])
        }
    })
    .await
    .expect("curl");
    assert_eq!(status, 401, "{text}");
    assert!(text.contains("\"invalid_client\""), "{text}");

    // An unregistered redirect URI: a page, never a redirect.
    let (status, text) = tokio::task::spawn_blocking({
        let root = root.clone();
        let url = format!(
            "https://{}/oidc/authorize?response_type=code&client_id=mamenet&scope=openid&redirect_uri=https%3A%2F%2Fevil.example%2Fcb&state=s",
            w.tls
        );
        move || curl_raw(&["--cacert", &root, &url])
    })
    .await
    .expect("curl");
    assert_eq!(status, 400, "{text}");
    assert!(!text.to_ascii_lowercase().contains("\nlocation:"), "{text}");
    assert!(text.contains("redirect_uri"), "{text}");

    // npm openid-client, the other real relying party.
    let (_, node_secret) = register(
        &provider,
        "ibaraki",
        "いばらき安心ネット",
        REDIRECT_URI,
        ClientKind::Confidential,
    )
    .await;
    let node_secret = node_secret.expect("secret");
    let r = openid_client(&w, ("ibaraki", &node_secret), "openid profile hpki").await;
    assert_eq!(r["id_token"]["hc_role"], "Medical Doctor", "{r}");
    assert_eq!(r["id_token"]["acr"], hpki_login::claims::ACR_CARD, "{r}");
    assert_eq!(
        r["userinfo"]["hpki_subscriber_id"],
        w.subscriber_id.as_str(),
        "{r}"
    );
    assert_eq!(r["userinfo"]["name"], "日医　太郎", "{r}");
    assert!(
        r["userinfo"].get("hpki_license_number").is_none(),
        "not asked: {r}"
    );

    // Single sign-on across two networks, prompt, max_age, ui_locales, request objects,
    // logout, and a session ended by the certificate's revocation.
    register(
        &provider,
        "haruka",
        "晴れやかネット",
        "http://localhost:9/callback",
        ClientKind::Public,
    )
    .await;
    let jar = w._dir.path().join("cookies-1");
    op_checks(&w, "sso", &jar, &secret).await;
    op_checks(&w, "checks", &jar, &secret).await;
    let jar = w._dir.path().join("cookies-2");
    op_checks(&w, "sso", &jar, &secret).await;
    w.engine
        .revoke(
            CaName::Auth,
            &w.auth_serial,
            x509_cert::ext::pkix::CrlReason::KeyCompromise,
        )
        .await
        .expect("revoke");
    op_checks(&w, "after-revoke", &jar, &secret).await;
    let records = w.engine.store.audit_records().await.expect("audit");
    assert!(records.iter().any(|r| r.action == "oidc.logout"));
    assert!(records.iter().any(|r| r.action == "oidc.session_ended"));
    w.finish().await;
}

/// Runs `tests/rp/node/rp.mjs` (npm openid-client, installed by scripts/test.sh with
/// `npm ci`) for `client` and returns its JSON.
async fn openid_client(w: &World, client: (&str, &str), scope: &str) -> serde_json::Value {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/rp/node");
    assert!(
        Path::new(dir).join("node_modules/openid-client").exists(),
        "npm openid-client is not installed: run scripts/test.sh (npm ci --prefix {dir})"
    );
    let args: Vec<String> = vec![
        format!("{dir}/rp.mjs"),
        format!("https://{}", w.tls),
        w.root.clone(),
        client.0.into(),
        client.1.into(),
        REDIRECT_URI.into(),
        w.auth_cert.clone(),
        w.auth_key.clone(),
        scope.into(),
    ];
    let out = judge(
        "node",
        args,
        Some(w.root.clone()),
        "openid-client relying party",
    )
    .await;
    serde_json::from_slice(&out).expect("JSON")
}

/// Runs a phase of `tests/rp/op_checks.py`.
async fn op_checks(w: &World, phase: &str, jar: &Path, secret: &str) {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/rp/op_checks.py");
    let args: Vec<String> = vec![
        script.into(),
        phase.into(),
        format!("https://{}", w.tls),
        w.root.clone(),
        w.auth_cert.clone(),
        w.auth_key.clone(),
        jar.display().to_string(),
        secret.into(),
    ];
    judge("python3", args, None, &format!("op_checks.py {phase}")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openid_provider_on_sqlite() {
    openid_provider(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openid_provider_on_postgres() {
    openid_provider(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn card_login_on_sqlite() {
    card_login(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn card_login_on_postgres() {
    card_login(Backend::Postgres).await;
}
