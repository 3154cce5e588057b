//! Throughput of HPKI login (issue #16) and the qualification check (issue #17): full card
//! logins per second against the rate of bare TLS handshakes with the same server key, the
//! token endpoint alone, and qualification checks against raw RSA-2048 verifies, in one run
//! on this machine over loopback.
//!
//! `cargo bench -p hpki-server --bench login`
//!
//! - **bare handshakes**: rustls clients connect to the TLS listener and complete the handshake
//!   (no client certificate), then close: the physical limit of anything on this listener.
//! - **full card logins**: a TLS handshake presenting the doctor's authentication certificate
//!   (RSA-2048, TLS 1.3), `GET /oidc/authorize` (the certificate validated against the CRL and
//!   mapped through the register, a session and a code written), then the relying party's
//!   `POST /oidc/token` on its own connection (the code redeemed, a token written, an ID token
//!   signed). Target: >= 0.5 of the bare handshake rate.
//! - **token endpoint**: `POST /oidc/token` on keep-alive TLS connections with codes made
//!   beforehand. Target: >= 5,000/s.
//! - **raw RSA-2048 verifies**: aws-lc-rs verifying one PKCS#1 v1.5 SHA-256 signature, on
//!   every core at once: the physical limit of a check (each check verifies the card's
//!   signature and the certificate's path).
//! - **qualification checks**: `POST /api/v1/qualification/challenge` then
//!   `POST /api/v1/qualification/verify` with the card's certificate and its signature over a
//!   challenge (the signatures made beforehand, so the client's private-key operations do not
//!   take the server's cores), on keep-alive TLS connections; the per-client rate limit is
//!   lifted for the run. Target: >= 0.2 of the raw verifies.
//!
//! A bench reports; it always exits 0 when it could measure, whatever the numbers. Environment
//! (optional): `HPKI_BENCH_SECS` (seconds per run, default 4), `HPKI_BENCH_CONCURRENCY`
//! (clients at once, default 16), `HPKI_BENCH_DIR` (parent of the temporary data directory).

mod window;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use der::Encode;
use hpki_ca::CaName;
use hpki_ca::ceremony::{InitOptions, build_csr, init};
use hpki_keys::{KeyKind, SoftwareKey};
use hpki_registration::Registration;
use hpki_server::tls::ServerIdentity;
use hpki_server::{Listeners, TlsListener, serve_listeners};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

const PASSPHRASE: &str = "bench passphrase";
const REDIRECT: &str = "http://127.0.0.1:9/callback";
const VERIFIER: &str = "bench-code-verifier-0123456789-abcdefghijklmnopqrstuvwxyz";

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("login: measures only under `cargo bench`");
        return;
    }
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("login bench: {e}");
            std::process::exit(1);
        }
    };
    if let Err(e) = rt.block_on(run()) {
        eprintln!("login bench could not run: {e}");
        std::process::exit(1);
    }
}

struct World {
    tls: SocketAddr,
    auth_der: Vec<u8>,
    bare: Arc<rustls::ClientConfig>,
    card: Arc<rustls::ClientConfig>,
    secret: String,
    provider: hpki_provider::Provider,
    auth_key: SoftwareKey,
    _dir: tempfile::TempDir,
}

async fn world() -> Result<World, BoxError> {
    let parent = std::env::var_os("HPKI_BENCH_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    let dir = tempfile::Builder::new()
        .prefix("hpki-login-bench")
        .tempdir_in(parent)?;
    let opts = InitOptions {
        demo: true,
        database_url: None,
        public_base_url: "http://127.0.0.1".into(),
        passphrase: PASSPHRASE.into(),
        actor: "bench".into(),
        hsm: None,
    };
    let mut engine = init(&dir.path().join("ca"), &opts, &mut |_| {}).await?;
    // One client address makes every check of the run: no per-client limit.
    engine.config.login.check_burst = u32::MAX;
    engine.config.login.check_per_second = u32::MAX;
    let engine = Arc::new(engine);
    let ra = Registration::new(engine.clone());
    ra.seed_demo("bench", "bench password").await?;
    let sign_key = SoftwareKey::generate(KeyKind::Rsa(2048))?;
    let auth_key = SoftwareKey::generate(KeyKind::Rsa(2048))?;
    let csr = |k: &SoftwareKey| build_csr(k, x509_cert::name::Name::default());
    let (_, _, auth) = ra
        .seed_demo_doctor(&csr(&sign_key)?, &csr(&auth_key)?)
        .await?;
    let provider = hpki_provider::Provider::new(engine.clone());
    let (_, secret) = provider
        .add_client(&hpki_provider::clients::NewClient {
            client_id: "bench".into(),
            name: "bench".into(),
            redirect_uris: vec![REDIRECT.into()],
            post_logout_redirect_uris: vec![],
            kind: hpki_login::client::ClientKind::Confidential,
            subject_type: hpki_login::client::SubjectType::Pairwise,
        })
        .await?;
    let server_key = SoftwareKey::generate(KeyKind::P256)?;
    let server_cert = engine
        .issue_tls_server_certificate(&["127.0.0.1".into()], &server_key)
        .await?;
    let (tx, rx) = tokio::sync::oneshot::channel();
    let listeners = Listeners {
        tls: Some(TlsListener {
            addr: "127.0.0.1:0".parse()?,
            identity: ServerIdentity::from_der(
                vec![server_cert.to_der()?],
                server_key.pkcs8_der().to_vec(),
            ),
        }),
        ..Listeners::public("127.0.0.1:0".parse()?)
    };
    tokio::spawn(serve_listeners(engine.clone(), listeners, move |b| {
        let _ = tx.send(b);
    }));
    let tls = rx.await?.tls.ok_or("no TLS listener")?;
    let mut roots = rustls::RootCertStore::empty();
    roots.add(CertificateDer::from(
        engine.authority(CaName::Root)?.ca.der.clone(),
    ))?;
    let provider_tls = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let bare = rustls::ClientConfig::builder_with_provider(provider_tls.clone())
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots.clone())
        .with_no_client_auth();
    // Not with_client_auth_cert: rustls parses the certificate with webpki to match it with the
    // key, and webpki refuses HPKI's critical certificatePolicies.
    let key = provider_tls
        .key_provider
        .load_private_key(PrivateKeyDer::Pkcs8(auth_key.pkcs8_der().to_vec().into()))?;
    let certified =
        rustls::sign::CertifiedKey::new(vec![CertificateDer::from(auth.der.clone())], key);
    let card = rustls::ClientConfig::builder_with_provider(provider_tls)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_client_cert_resolver(Arc::new(Card(Arc::new(certified))));
    Ok(World {
        tls,
        auth_der: auth.der.clone(),
        bare: Arc::new(bare),
        card: Arc::new(card),
        secret: secret.ok_or("no secret")?,
        provider,
        auth_key,
        _dir: dir,
    })
}

/// The doctor's certificate and key, always offered.
#[derive(Debug)]
struct Card(Arc<rustls::sign::CertifiedKey>);

impl rustls::client::ResolvesClientCert for Card {
    fn resolve(
        &self,
        _hints: &[&[u8]],
        _schemes: &[rustls::SignatureScheme],
    ) -> Option<Arc<rustls::sign::CertifiedKey>> {
        Some(self.0.clone())
    }

    fn has_certs(&self) -> bool {
        true
    }
}

async fn connect(
    addr: SocketAddr,
    config: &Arc<rustls::ClientConfig>,
) -> Result<tokio_rustls::client::TlsStream<TcpStream>, BoxError> {
    let tcp = TcpStream::connect(addr).await?;
    tcp.set_nodelay(true)?;
    let connector = tokio_rustls::TlsConnector::from(config.clone());
    Ok(connector
        .connect(ServerName::try_from("127.0.0.1")?, tcp)
        .await?)
}

/// Reads one HTTP/1.1 response with a Content-Length body: (status, head, body).
async fn read_response<S: AsyncRead + Unpin>(
    stream: &mut S,
) -> Result<(u16, String, Vec<u8>), BoxError> {
    let mut buf = Vec::with_capacity(4096);
    let mut chunk = [0u8; 8192];
    let header_end = loop {
        if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break p + 4;
        }
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err("connection closed".into());
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8(buf[..header_end].to_vec())?;
    let status: u16 = head
        .get(9..12)
        .and_then(|s| s.parse().ok())
        .ok_or("bad status line")?;
    let length: usize = head
        .split("\r\n")
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse().ok())
                .flatten()
        })
        .unwrap_or(0);
    while buf.len() < header_end + length {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err("connection closed".into());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Ok((status, head, buf[header_end..header_end + length].to_vec()))
}

fn authorize_request(state: &str) -> Vec<u8> {
    let mut q = form_urlencoded::Serializer::new(String::new());
    q.append_pair("response_type", "code")
        .append_pair("client_id", "bench")
        .append_pair("redirect_uri", REDIRECT)
        .append_pair("scope", "openid hpki")
        .append_pair("state", state)
        .append_pair("code_challenge", &hpki_login::pkce::s256(VERIFIER))
        .append_pair("code_challenge_method", "S256");
    format!(
        "GET /oidc/authorize?{} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
        q.finish()
    )
    .into_bytes()
}

fn token_request(secret: &str, code: &str) -> Vec<u8> {
    use base64::Engine as _;
    let body = form_urlencoded::Serializer::new(String::new())
        .append_pair("grant_type", "authorization_code")
        .append_pair("code", code)
        .append_pair("redirect_uri", REDIRECT)
        .append_pair("code_verifier", VERIFIER)
        .finish();
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("bench:{secret}"));
    format!(
        "POST /oidc/token HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic {basic}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// One exchange on `stream`: the response must be `want`.
async fn exchange<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    request: &[u8],
    want: u16,
) -> Result<(String, Vec<u8>), BoxError> {
    stream.write_all(request).await?;
    let (status, head, body) = read_response(stream).await?;
    if status != want {
        return Err(format!("HTTP {status}: {}", String::from_utf8_lossy(&body)).into());
    }
    Ok((head, body))
}

/// The code of a redirect to the relying party.
fn code_of(head: &str) -> Result<String, BoxError> {
    let location = head
        .split("\r\n")
        .find_map(|l| l.strip_prefix("location: "))
        .ok_or("no Location")?;
    let query = location.split_once('?').ok_or("no query")?.1;
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .ok_or_else(|| format!("no code in {location}").into())
}

/// One full card login: card handshake + authorize, then the relying party's token request.
async fn full_login(w: &World) -> Result<(), BoxError> {
    let mut browser = connect(w.tls, &w.card).await?;
    let (head, _) = exchange(&mut browser, &authorize_request("s"), 303).await?;
    let code = code_of(&head)?;
    let mut rp = connect(w.tls, &w.bare).await?;
    let (_, body) = exchange(&mut rp, &token_request(&w.secret, &code), 200).await?;
    if !body.windows(8).any(|x| x == b"id_token") {
        return Err("no id_token".into());
    }
    Ok(())
}

/// Runs `work` on `concurrency` tasks for `secs` after a short warm-up; completions per second.
async fn rate<F, Fut>(concurrency: usize, secs: f64, work: F) -> Result<f64, BoxError>
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<(), BoxError>> + Send,
{
    let work = Arc::new(work);
    let counting = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (work, counting, stop, done) =
            (work.clone(), counting.clone(), stop.clone(), done.clone());
        tasks.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                work().await?;
                if counting.load(Ordering::Relaxed) {
                    done.fetch_add(1, Ordering::Relaxed);
                }
            }
            Ok::<(), BoxError>(())
        }));
    }
    let elapsed = window::counted(secs, &counting, &stop).await;
    for t in tasks {
        t.await??;
    }
    Ok(done.load(Ordering::Relaxed) as f64 / elapsed)
}

async fn run() -> Result<(), BoxError> {
    let secs = env_u64("HPKI_BENCH_SECS", 4) as f64;
    let concurrency = env_u64("HPKI_BENCH_CONCURRENCY", 16) as usize;
    let w = Arc::new(world().await?);
    println!(
        "login bench: {} cores, {concurrency} clients at once, {secs} s per run",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );

    // The consent, given once (the first login shows the consent screen).
    {
        let mut browser = connect(w.tls, &w.card).await?;
        let (head, page) = exchange(&mut browser, &authorize_request("s"), 200).await?;
        let page = String::from_utf8(page)?;
        let cookie = head
            .split("\r\n")
            .find_map(|l| l.strip_prefix("set-cookie: "))
            .and_then(|c| c.split(';').next())
            .ok_or("no session cookie")?
            .to_owned();
        let mut form = form_urlencoded::Serializer::new(String::new());
        for part in page.split("<input type=\"hidden\" name=\"").skip(1) {
            let (name, rest) = part.split_once("\" value=\"").ok_or("hidden input")?;
            let value = rest.split_once('"').ok_or("value")?.0;
            let unescape = |s: &str| s.replace("&#x2f;", "/").replace("&amp;", "&");
            form.append_pair(&unescape(name), &unescape(value));
        }
        let body = form.append_pair("decision", "approve").finish();
        let (head, _) = read_response_after(&mut browser, &body, &cookie).await?;
        code_of(&head)?;
    }

    let bare = rate(concurrency, secs, {
        let w = w.clone();
        move || {
            let w = w.clone();
            async move {
                let mut s = connect(w.tls, &w.bare).await?;
                s.shutdown().await?;
                Ok(())
            }
        }
    })
    .await?;
    println!("bare TLS handshakes (same server key):   {bare:>9.0}/s");

    let logins = rate(concurrency, secs, {
        let w = w.clone();
        move || {
            let w = w.clone();
            async move { full_login(&w).await }
        }
    })
    .await?;
    println!(
        "full card logins (handshake + authorize + token): {logins:>7.0}/s = {:.2}x bare handshakes (target >= 0.5)",
        logins / bare
    );

    // Token endpoint alone: codes made beforehand, keep-alive connections.
    let n_codes = ((secs + 1.0) * 12_000.0) as usize;
    let codes = Arc::new(std::sync::Mutex::new(make_codes(&w, n_codes).await?));
    let token = keep_alive_rate(&w, concurrency, secs, codes).await?;
    println!("token endpoint (keep-alive):             {token:>9.0}/s (target >= 5,000/s)");

    let (one, all) = raw_verifies(secs)?;
    println!(
        "raw RSA-2048 verifies:                   {one:>9.0}/s on one core, {all:.0}/s on every core"
    );
    let signs = raw_signs(secs)?;
    println!(
        "raw RSA-2048 signs (every core):         {signs:>9.0}/s: each check's answer is signed RS256 by the provider key, so checks <= {:.3}x raw verifies",
        signs / all
    );
    let checks = qualification_rate(&w, concurrency, secs).await?;
    println!(
        "qualification checks (challenge + verify): {checks:>7.0}/s = {:.3}x raw verifies on every core (target >= 0.2)",
        checks / all
    );
    Ok(())
}

/// How many times per second `threads` threads together do `op` (each a fresh copy of `make()`,
/// counting the calls that return true) for `secs`.
fn per_second<F>(threads: usize, secs: f64, make: impl Fn() -> F) -> f64
where
    F: FnMut() -> bool + Send + 'static,
{
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let (stop, done, mut op) = (stop.clone(), done.clone(), make());
            std::thread::spawn(move || {
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    if op() {
                        n += 1;
                    }
                }
                done.fetch_add(n, Ordering::Relaxed);
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs_f64(secs));
    stop.store(true, Ordering::Relaxed);
    for h in handles {
        let _ = h.join();
    }
    done.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64()
}

/// RSA-2048 PKCS#1 v1.5 SHA-256 verifies per second: on one thread, and on one thread per core.
fn raw_verifies(secs: f64) -> Result<(f64, f64), BoxError> {
    let key = SoftwareKey::generate(KeyKind::Rsa(2048))?;
    let message = b"hpki-qualification-check:raw";
    let signature = hpki_keys::Signer::sign(&key, message)?;
    let public = hpki_keys::Signer::public_key(&key)
        .subject_public_key
        .raw_bytes()
        .to_vec();
    let verify = || {
        let key = aws_lc_rs::signature::UnparsedPublicKey::new(
            &aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256,
            public.clone(),
        );
        let signature = signature.clone();
        move || key.verify(message, &signature).is_ok()
    };
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    Ok((per_second(1, secs, verify), per_second(cores, secs, verify)))
}

/// RSA-2048 PKCS#1 v1.5 SHA-256 signatures per second, one thread per core (what signing each
/// check's answer with the provider's key costs).
fn raw_signs(secs: f64) -> Result<f64, BoxError> {
    let key = Arc::new(SoftwareKey::generate(KeyKind::Rsa(2048))?);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    Ok(per_second(cores, secs, || {
        let key = key.clone();
        move || hpki_keys::Signer::sign(key.as_ref(), b"hpki-qualification-result").is_ok()
    }))
}

fn json_post(path: &str, body: &str) -> Vec<u8> {
    format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Qualification checks per second: each a challenge and a verify of a challenge signed
/// beforehand, on `concurrency` keep-alive TLS connections.
async fn qualification_rate(
    w: &Arc<World>,
    concurrency: usize,
    secs: f64,
) -> Result<f64, BoxError> {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    let certificate = b64.encode(&w.auth_der);
    // Signed challenges for the run (and its warm-up), fetched and signed before it starts.
    let n = ((secs + 1.0) * 3_000.0) as usize;
    let mut signed = Vec::with_capacity(n);
    let mut s = connect(w.tls, &w.bare).await?;
    for _ in 0..n {
        let (_, body) = exchange(
            &mut s,
            &json_post("/api/v1/qualification/challenge", "{}"),
            200,
        )
        .await?;
        let v: serde_json::Value = serde_json::from_slice(&body)?;
        let nonce = v["nonce"].as_str().ok_or("no nonce")?.to_owned();
        let to_sign = v["sign"].as_str().ok_or("no sign")?;
        let signature = hpki_keys::Signer::sign(&w.auth_key, to_sign.as_bytes())?;
        signed.push(
            serde_json::json!({"certificate": certificate, "nonce": nonce,
                               "signature": b64.encode(signature)})
            .to_string(),
        );
    }
    let signed = Arc::new(std::sync::Mutex::new(signed));
    let pool = Arc::new(tokio::sync::Mutex::new(Vec::new()));
    for _ in 0..concurrency {
        pool.lock().await.push(connect(w.tls, &w.bare).await?);
    }
    rate(concurrency, secs, move || {
        let (signed, pool) = (signed.clone(), pool.clone());
        async move {
            let mut stream = pool.lock().await.pop().ok_or("no connection")?;
            let body = signed
                .lock()
                .map_err(|_| "lock")?
                .pop()
                .ok_or("out of challenges")?;
            exchange(
                &mut stream,
                &json_post("/api/v1/qualification/challenge", "{}"),
                200,
            )
            .await?;
            let (_, answer) = exchange(
                &mut stream,
                &json_post("/api/v1/qualification/verify", &body),
                200,
            )
            .await?;
            let valid = b"\"result\":\"valid\"";
            if !answer.windows(valid.len()).any(|w| w == valid) {
                return Err(format!("not valid: {}", String::from_utf8_lossy(&answer)).into());
            }
            pool.lock().await.push(stream);
            Ok(())
        }
    })
    .await
}

/// POSTs the consent form on the browser's connection; returns the response head.
async fn read_response_after<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    body: &str,
    cookie: &str,
) -> Result<(String, Vec<u8>), BoxError> {
    let request = format!(
        "POST /oidc/consent HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {cookie}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    exchange(stream, request.as_bytes(), 303).await
}

/// `n` codes for the bench client from one real card login's session, made through the
/// provider engine (the code the authorization endpoint runs), so that the run measures the
/// token endpoint alone.
async fn make_codes(w: &World, n: usize) -> Result<Vec<String>, BoxError> {
    let engine = w.provider.ca();
    let chain = vec![w.auth_der.clone()];
    let revocation = hpki_verify::RevocationData {
        crls: vec![engine.publish_crl(CaName::Auth).await?.der],
        ..Default::default()
    };
    let signed_in = w.provider.card_login(&chain, &revocation).await?;
    let cookie = w.provider.open_session(&signed_in, &chain[0]).await?;
    let session = w
        .provider
        .session(&cookie, &revocation)
        .await?
        .ok_or("no session")?;
    let query = String::from_utf8(authorize_request("s"))?;
    let query = query
        .split_once('?')
        .and_then(|(_, q)| q.split_once(' '))
        .ok_or("query")?
        .0;
    let params: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let client = w.provider.client("bench").await?;
    let request =
        hpki_login::authorize::parse(&params, |_| client).map_err(|e| format!("{e:?}"))?;
    let mut codes = Vec::with_capacity(n);
    for _ in 0..n {
        codes.push(
            w.provider
                .issue_code(&request, &session, &request.scopes)
                .await?,
        );
    }
    Ok(codes)
}

/// `concurrency` keep-alive TLS connections redeeming `codes` at the token endpoint for `secs`
/// (after a short warm-up); tokens per second.
async fn keep_alive_rate(
    w: &Arc<World>,
    concurrency: usize,
    secs: f64,
    codes: Arc<std::sync::Mutex<Vec<String>>>,
) -> Result<f64, BoxError> {
    // One connection per task, opened on its first redemption and kept.
    let pool = Arc::new(tokio::sync::Mutex::new(Vec::new()));
    for _ in 0..concurrency {
        pool.lock().await.push(connect(w.tls, &w.bare).await?);
    }
    let w = w.clone();
    rate(concurrency, secs, move || {
        let (w, codes, pool) = (w.clone(), codes.clone(), pool.clone());
        async move {
            let mut stream = pool.lock().await.pop().ok_or("no connection")?;
            let code = codes
                .lock()
                .map_err(|_| "lock")?
                .pop()
                .ok_or("out of codes")?;
            exchange(&mut stream, &token_request(&w.secret, &code), 200).await?;
            pool.lock().await.push(stream);
            Ok(())
        }
    })
    .await
}
