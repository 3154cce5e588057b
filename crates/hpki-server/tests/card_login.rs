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

mod common;

use std::path::Path;
use std::process::Command;

use common::*;
use hpki_ca::CaName;
use hpki_login::client::ClientKind;
use hpki_testkit::Backend;

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
