//! Test harness for the scenario tests: runs the real `hpki` binary against SQLite and
//! PostgreSQL, and checks its output with independent tools (openssl, pkilint).
//!
//! A missing tool is a failure, never a skip: `scripts/test.sh` installs them. PostgreSQL tests
//! are skipped only when `HPKI_TEST_SKIP_POSTGRES=1` is set explicitly.
#![allow(dead_code)]

use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

pub const PASSPHRASE: &str = "test passphrase";
pub const SIGN_POLICY: &str = "1.2.392.100495.1.5.1.1.0.1";
pub const AUTH_POLICY: &str = "1.2.392.100495.1.5.1.2.0.1";

#[allow(unused_imports)] // each test binary uses some of them
pub use hpki_testkit::{Backend, SOFTHSM2_MODULE, SoftHsm, postgres_enabled};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// A fresh, isolated PostgreSQL schema URL.
pub fn postgres_url() -> String {
    runtime().block_on(hpki_testkit::fresh_postgres_url(
        &hpki_testkit::postgres_base_url(),
    ))
}

/// Run raw SQL against a CA's database (for tampering tests).
pub fn exec_sql(url: &str, sql: &str) -> u64 {
    runtime().block_on(async {
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(url).await.expect("connect");
        let r = sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
            .execute(&pool)
            .await
            .expect("sql");
        pool.close().await;
        r.rows_affected()
    })
}

/// A demo (or empty) CA in a temporary directory.
pub struct Ca {
    pub tmp: tempfile::TempDir,
    pub dir: PathBuf,
    pub backend: Backend,
    pub db_url: String,
    /// Environment variables every `hpki` run of this CA gets (SOFTHSM2_CONF, PINs…).
    pub env: std::cell::RefCell<Vec<(String, String)>>,
}

/// What an HPKI relying party checks of a chain, judged by openssl: the path from `cert`
/// through `ca` to `root` is valid (`extra`: more `openssl verify` options, e.g. `-purpose
/// sslclient`), and the certificate asserts `policy` in its certificatePolicies (as on the
/// real MHLW chain, the CA certificate asserts only its own CA policy; see
/// [`assert_strict_policy_refused`]).
pub fn verify_hpki_chain(root: &Path, ca: &Path, cert: &Path, policy: &str, extra: &str) {
    let (root, ca, cert) = (root.display(), ca.display(), cert.display());
    let out = sh(&format!(
        "openssl verify -CAfile '{root}' -untrusted '{ca}' {extra} '{cert}'"
    ));
    assert!(out.contains(": OK"), "{out}");
    let policies = sh(&format!(
        "openssl x509 -in '{cert}' -noout -ext certificatePolicies"
    ));
    assert!(
        policies.contains(&format!("Policy: {policy}")),
        "{policies}"
    );
}

/// RFC 5280 processing with the HPKI `policy` explicit finds no valid policy on a chain built
/// as the real MHLW one (the CA asserting only its own CA policy): openssl says so.
pub fn assert_strict_policy_refused(root: &Path, ca: &Path, cert: &Path, policy: &str) {
    let (root, ca, cert) = (root.display(), ca.display(), cert.display());
    let (strict, out) = sh_out(&format!(
        "openssl verify -CAfile '{root}' -untrusted '{ca}' -policy_check -explicit_policy -policy {policy} '{cert}' 2>&1"
    ));
    assert!(!strict && out.contains("no explicit policy"), "{out}");
}

pub fn hpki_bin() -> &'static str {
    env!("CARGO_BIN_EXE_hpki")
}

pub fn require_tool(tool: &str) {
    let ok = Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {tool}"))
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    assert!(
        ok,
        "{tool} is required by the tests: run scripts/test.sh, which installs it"
    );
}

impl Ca {
    /// `hpki init --demo` on the backend.
    pub fn demo(backend: Backend) -> Ca {
        Self::init(backend, true)
    }

    pub fn init(backend: Backend, demo: bool) -> Ca {
        Self::init_with(backend, demo, &[], &[])
    }

    /// `hpki init` with further arguments and environment (kept for every later run).
    pub fn init_with(backend: Backend, demo: bool, extra: &[&str], env: &[(&str, &str)]) -> Ca {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("ca");
        let db_url = match backend {
            Backend::Sqlite => format!("sqlite://{}", dir.join("hpki.db").display()),
            Backend::Postgres => postgres_url(),
        };
        let ca = Ca {
            tmp,
            dir,
            backend,
            db_url,
            env: std::cell::RefCell::new(
                env.iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            ),
        };
        ca.start_clock();
        let mut args = vec![
            "init".to_owned(),
            "--dir".into(),
            ca.dir.display().to_string(),
        ];
        if demo {
            args.push("--demo".into());
        }
        if let Backend::Postgres = backend {
            args.push("--database-url".into());
            args.push(ca.db_url.clone());
        }
        args.extend(extra.iter().map(|a| a.to_string()));
        let out = ca.run_args(&args);
        assert!(
            out.status.success(),
            "init failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        ca
    }

    /// Every process of this CA (commands, servers, `hpki sign` and `hpki verify`) from now on
    /// reads the time from one file (`HPKI_TEST_CLOCK`, honoured by debug builds): it stands at
    /// the real time of this call until [`Ca::advance_clock`] moves it, so no test waits for
    /// time to pass and outside tools (openssl) still agree with the certificates' validity.
    pub fn start_clock(&self) {
        let file = self.path("clock");
        hpki_clock::FileClock::write(&file, hpki_clock::Clock::now(&hpki_clock::SystemClock))
            .expect("clock file");
        self.set_env(hpki_clock::TEST_CLOCK_VAR, &file.display().to_string());
    }

    /// Sets this CA's clock to the real time: outside tools (openssl) make certificates valid
    /// from the real time, and the test hands them to hpki.
    pub fn set_clock_to_real_time(&self) {
        hpki_clock::FileClock::write(
            &self.path("clock"),
            hpki_clock::Clock::now(&hpki_clock::SystemClock),
        )
        .expect("clock file");
    }

    /// Now, by this CA's clock.
    pub fn now(&self) -> std::time::SystemTime {
        hpki_clock::Clock::now(&hpki_clock::FileClock::new(self.path("clock")))
    }

    /// Moves the time of this CA's processes on by `d`.
    pub fn advance_clock(&self, d: std::time::Duration) {
        let file = self.path("clock");
        let clock = hpki_clock::FileClock::new(&file);
        hpki_clock::FileClock::write(&file, hpki_clock::Clock::now(&clock) + d)
            .expect("clock file");
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.tmp.path().join(name)
    }

    pub fn dir_arg(&self) -> String {
        self.dir.display().to_string()
    }

    /// Sets (or replaces) an environment variable for later runs.
    pub fn set_env(&self, key: &str, value: &str) {
        let mut env = self.env.borrow_mut();
        env.retain(|(k, _)| k != key);
        env.push((key.to_owned(), value.to_owned()));
    }

    /// Removes an environment variable from later runs.
    pub fn unset_env(&self, key: &str) {
        self.env.borrow_mut().retain(|(k, _)| k != key);
    }

    /// The command `hpki <args…>` in this CA's environment.
    fn command(&self, args: &[String]) -> Command {
        let mut cmd = Command::new(hpki_bin());
        cmd.args(args)
            .env("HPKI_KEY_PASSPHRASE", PASSPHRASE)
            .env_remove("HPKI_DATABASE_URL")
            .env_remove("HPKI_DIR")
            .env_remove("HPKI_CUSTODIANS")
            .envs(self.env.borrow().iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null());
        cmd
    }

    pub fn run_args(&self, args: &[String]) -> Output {
        self.command(args).output().expect("run hpki")
    }

    /// Starts `hpki <args…> --dir <dir>` without waiting for it (to be killed), its output
    /// discarded.
    pub fn spawn(&self, args: &[&str]) -> Child {
        let mut v: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        v.push("--dir".into());
        v.push(self.dir_arg());
        self.command(&v)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn hpki")
    }

    /// Run `hpki <args…> --dir <dir>`.
    pub fn run(&self, args: &[&str]) -> Output {
        let mut v: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        v.push("--dir".into());
        v.push(self.dir_arg());
        self.run_args(&v)
    }

    /// Run `hpki <args…> --dir <dir>` with `vars` added to the environment for this run;
    /// (success, stdout + stderr).
    pub fn run_with(&self, args: &[&str], vars: &[(&str, &str)]) -> (bool, String) {
        let saved = self.env.borrow().clone();
        for (k, v) in vars {
            self.set_env(k, v);
        }
        let out = self.run(args);
        *self.env.borrow_mut() = saved;
        let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
        text.push_str(&String::from_utf8_lossy(&out.stderr));
        (out.status.success(), text)
    }

    /// Run and require success; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "hpki {args:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Run and require failure; returns stderr.
    pub fn fails(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(!out.status.success(), "hpki {args:?} should have failed");
        String::from_utf8_lossy(&out.stderr).into_owned()
    }

    /// Export root, sign and auth CA certificates to root.pem, sign-ca.pem, auth-ca.pem.
    pub fn export_chain(&self) {
        for (ca, file) in [
            ("root", "root.pem"),
            ("sign", "sign-ca.pem"),
            ("auth", "auth-ca.pem"),
        ] {
            let out = self.path(file);
            self.ok(&["ca", "export", "--ca", ca, "--out", out.to_str().unwrap()]);
        }
    }

    /// A fresh RSA key and CSR made by openssl; returns the CSR path.
    pub fn openssl_csr(&self, stem: &str, bits: u32) -> PathBuf {
        require_tool("openssl");
        let key = self.path(&format!("{stem}.key"));
        let csr = self.path(&format!("{stem}.csr"));
        sh(&format!(
            "openssl req -new -newkey rsa:{bits} -nodes -keyout '{}' -subj '/CN=ignored' -out '{}'",
            key.display(),
            csr.display()
        ));
        csr
    }

    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, text).expect("write");
        p
    }

    /// Issue a doctor's certificate under `ca`; returns (cert path, serial hex).
    pub fn issue_doctor(&self, ca: &str, stem: &str, subject_json: &str) -> (PathBuf, String) {
        let csr = self.openssl_csr(stem, 2048);
        let subject = self.write(&format!("{stem}.json"), subject_json);
        let cert = self.path(&format!("{stem}.pem"));
        let out = self.ok(&[
            "ca",
            "issue",
            "--ca",
            ca,
            "--csr",
            csr.to_str().unwrap(),
            "--subject",
            subject.to_str().unwrap(),
            "--out",
            cert.to_str().unwrap(),
        ]);
        let serial = out
            .split_whitespace()
            .skip_while(|w| *w != "serial")
            .nth(1)
            .expect("serial in output")
            .to_owned();
        (cert, serial)
    }

    /// `openssl verify` of a signing-CA end-entity certificate to the exported root (see
    /// [`Ca::export_chain`]), the certificate asserting the HPKI signing policy (see
    /// [`verify_hpki_chain`]).
    pub fn verify_sign_chain(&self, cert: &Path) {
        verify_hpki_chain(
            &self.path("root.pem"),
            &self.path("sign-ca.pem"),
            cert,
            SIGN_POLICY,
            "",
        );
    }

    /// `action object` of every audit record, in order.
    pub fn audit_actions(&self) -> Vec<String> {
        self.ok(&["audit", "show"])
            .lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).expect("audit JSON");
                format!(
                    "{} {}",
                    v["action"].as_str().unwrap_or(""),
                    v["object"].as_str().unwrap_or("")
                )
            })
            .collect()
    }

    /// The audit log holds records starting with each of `expected`, in this order (other
    /// records may come between), and verifies.
    pub fn assert_audited_in_order(&self, expected: &[&str]) {
        let actions = self.audit_actions();
        let mut next = 0;
        for a in &actions {
            if next < expected.len() && a.starts_with(expected[next]) {
                next += 1;
            }
        }
        assert_eq!(
            next,
            expected.len(),
            "audit log lacks {:?} (in order); it has:\n{}",
            expected.get(next),
            actions.join("\n")
        );
        assert!(self.ok(&["audit", "verify"]).contains("intact"));
    }

    /// Number of audit records, via `hpki audit show`.
    pub fn audit_count(&self) -> usize {
        self.ok(&["audit", "show"]).lines().count()
    }

    /// Number of issued end-entity certificates, via `hpki ca list`.
    pub fn certificate_count(&self) -> usize {
        self.ok(&["ca", "list"])
            .lines()
            .filter(|l| l.starts_with("sign ") || l.starts_with("auth "))
            .count()
    }

    /// Start `hpki serve` on a free loopback port.
    pub fn serve(&self) -> Server {
        self.serve_with(false)
    }

    /// Start `hpki serve` on a free loopback port, with the operator interface on another
    /// (`admin_url`) when `admin`.
    pub fn serve_with(&self, admin: bool) -> Server {
        self.spawn_server(admin, None)
    }

    /// Start `hpki serve` with the TLS listener of card login and the OpenID provider too
    /// (`tls_url`), presenting `cert` and `key`.
    pub fn serve_tls(&self, cert: &std::path::Path, key: &std::path::Path) -> Server {
        self.spawn_server(false, Some((cert, key)))
    }

    fn spawn_server(
        &self,
        admin: bool,
        tls: Option<(&std::path::Path, &std::path::Path)>,
    ) -> Server {
        let mut cmd = Command::new(hpki_bin());
        cmd.args(["serve", "--dir", &self.dir_arg(), "--listen", "127.0.0.1:0"]);
        if admin {
            cmd.args(["--admin-listen", "127.0.0.1:0"]);
        }
        if let Some((cert, key)) = tls {
            cmd.args(["--tls-listen", "127.0.0.1:0", "--tls-cert"])
                .arg(cert)
                .arg("--tls-key")
                .arg(key);
        }
        let mut child = cmd
            .envs(self.env.borrow().iter().map(|(k, v)| (k, v)))
            .env("HPKI_KEY_PASSPHRASE", PASSPHRASE)
            .env_remove("HPKI_CUSTODIANS")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn server");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let mut urls = Vec::new();
        let mut tls_url = None;
        while urls.len() < 1 + usize::from(admin) || (tls.is_some() && tls_url.is_none()) {
            let line = match lines.next() {
                Some(Ok(l)) => l,
                _ => panic!("server did not start"),
            };
            if let Some(u) = line.split_whitespace().find(|w| w.starts_with("http://")) {
                urls.push(u.trim_end_matches("/admin/").to_owned());
            }
            if let Some(u) = line.split_whitespace().find(|w| w.starts_with("https://")) {
                tls_url = Some(u.trim_end_matches("/login/card").to_owned());
            }
        }
        // The demo's CA operator signs in to the operator interface with an API token.
        let operator_token = admin.then(|| {
            self.ok(&["officer", "token", "--login", "hq-operator"])
                .trim()
                .to_owned()
        });
        Server {
            child,
            url: urls[0].clone(),
            admin_url: urls.get(1).cloned(),
            tls_url,
            operator_token,
        }
    }
}

pub struct Server {
    child: Child,
    pub url: String,
    /// The operator interface, when started with it.
    pub admin_url: Option<String>,
    /// The TLS listener (`https://…`, no path), when started with it.
    pub tls_url: Option<String>,
    /// The demo CA operator's token for it.
    operator_token: Option<String>,
}

impl Server {
    /// A custodian presents their share on the operator interface; the JSON answer.
    pub fn present_share(&self, ca: &Ca, custodian: &str, passphrase: &str) -> String {
        let admin = self
            .admin_url
            .as_deref()
            .expect("started with the operator interface");
        let body = ca.write(
            "presentation.json",
            &serde_json::json!({"custodian": custodian, "passphrase": passphrase}).to_string(),
        );
        sh(&format!(
            "curl -sS -H 'content-type: application/json' --data-binary @'{}' {admin}/admin/activation",
            body.display()
        ))
    }

    /// The `Authorization` header option of curl with the operator's token.
    fn operator(&self) -> String {
        let token = self.operator_token.as_deref().expect("operator token");
        format!("-H 'authorization: Bearer {token}'")
    }

    /// Locks the CA keys again on the operator interface; the JSON answer.
    pub fn deactivate(&self) -> String {
        let admin = self
            .admin_url
            .as_deref()
            .expect("started with the operator interface");
        sh(&format!(
            "curl -sS -X DELETE {} {admin}/admin/activation",
            self.operator()
        ))
    }

    /// Asks the operator interface to issue a signing certificate for `csr` and `subject`
    /// into `out`; the HTTP status.
    pub fn admin_issue(&self, ca: &Ca, csr: &Path, subject: &str, out: &Path) -> String {
        self.admin_issue_with(ca, csr, subject, out, &self.operator())
    }

    /// [`Server::admin_issue`] with the curl options `credential` instead of the operator's
    /// token (none, another officer's, a wrong one).
    pub fn admin_issue_with(
        &self,
        ca: &Ca,
        csr: &Path,
        subject: &str,
        out: &Path,
        credential: &str,
    ) -> String {
        let admin = self
            .admin_url
            .as_deref()
            .expect("started with the operator interface");
        let request = serde_json::json!({
            "csr": std::fs::read_to_string(csr).expect("csr"),
            "subject": serde_json::from_str::<serde_json::Value>(subject).expect("subject"),
        });
        let file = ca.write("issue.json", &request.to_string());
        sh_out(&format!(
            "curl -sS -o '{}' -w '%{{http_code}}' {credential} -H 'content-type: application/json' --data-binary @'{}' {admin}/admin/issue/sign",
            out.display(),
            file.display()
        ))
        .1
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Run a shell command; return (success, stdout+stderr).
pub fn sh_out(cmd: &str) -> (bool, String) {
    let out = Command::new("sh").arg("-c").arg(cmd).output().expect("sh");
    let mut s = String::from_utf8_lossy(&out.stdout).into_owned();
    s.push_str(&String::from_utf8_lossy(&out.stderr));
    (out.status.success(), s)
}

/// Run a shell command that must succeed; return its output.
pub fn sh(cmd: &str) -> String {
    let (ok, out) = sh_out(cmd);
    assert!(ok, "command failed: {cmd}\n{out}");
    out
}

/// pkilint findings at ERROR or FATAL severity (an empty vector means clean).
pub fn pkilint_errors(cmd: &str, file: &Path) -> Vec<String> {
    let tool = cmd.split_whitespace().next().unwrap_or(cmd);
    require_tool(tool);
    let (_, out) = sh_out(&format!("{cmd} -s WARNING '{}'", file.display()));
    out.lines()
        .filter(|l| l.contains("(ERROR)") || l.contains("(FATAL)") || l.contains("Traceback"))
        .map(str::to_owned)
        .collect()
}

// ---------------------------------------------------------------------------------------
// Signing as the doctor against a served demo CA (sign_acceptance.rs, verify_acceptance.rs).

/// `hpki serve` on a port chosen before `hpki init`, so that the URLs inside the certificates
/// (CRL distribution points, OCSP, caIssuers) reach it.
pub struct Served {
    child: Child,
    pub url: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A demo CA whose certificates name `http://127.0.0.1:<port>`, served there, with the chain
/// exported (root.pem, sign-ca.pem); `env` for every run (SoftHSM2's configuration).
pub fn demo_served(b: Backend, env: &[(&str, &str)]) -> (Ca, Served) {
    require_tool("openssl");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let ca = Ca::init_with(b, true, &["--public-url", &url], env);
    ca.export_chain();
    let child = serve_on(&ca, port);
    (ca, Served { child, url })
}

/// `hpki serve --listen 127.0.0.1:<port>` of `ca`, once it listens.
pub fn serve_on(ca: &Ca, port: u16) -> Child {
    let mut child = Command::new(hpki_bin())
        .args([
            "serve",
            "--dir",
            &ca.dir_arg(),
            "--listen",
            &format!("127.0.0.1:{port}"),
        ])
        .envs(ca.env.borrow().iter().map(|(k, v)| (k, v)))
        .env("HPKI_KEY_PASSPHRASE", PASSPHRASE)
        .env_remove("HPKI_CUSTODIANS")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn server");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    loop {
        match lines.next() {
            Some(Ok(l)) if l.contains("listening on") => break,
            Some(Ok(_)) => {}
            _ => panic!("server did not start"),
        }
    }
    child
}

/// `hpki sign <args>` (no data directory: the doctor's side), with `vars` set and the
/// signing environment otherwise clean; (success, stdout + stderr).
pub fn hpki_sign(ca: &Ca, args: &[&str], vars: &[(&str, &str)]) -> (bool, String) {
    let out = Command::new(hpki_bin())
        .arg("sign")
        .args(args)
        .env_remove("HPKI_CARD_PIN")
        .env_remove("HPKI_SIGN_KEY_PASSPHRASE")
        .env_remove("HPKI_PKCS11_MODULE")
        .env_remove("HPKI_KEY_PASSPHRASE")
        .envs(ca.env.borrow().iter().map(|(k, v)| (k, v)))
        .envs(vars.iter().copied())
        .stdin(Stdio::null())
        .output()
        .expect("run hpki sign");
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

/// 日医太郎's signing key and certificate as `hpki demo` writes them (demo/ in the data
/// directory; the key under the operator passphrase).
pub fn demo_doctor(ca: &Ca) -> (PathBuf, PathBuf) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let files = rt.block_on(async {
        let engine = hpki_ca::Engine::open_with_clock(
            &ca.dir,
            None,
            hpki_ca::authority::KeyAccess::Passphrase(PASSPHRASE.into()),
            "test",
            std::sync::Arc::new(hpki_clock::FileClock::new(ca.path("clock"))),
        )
        .await
        .expect("open the CA");
        hpki_ca::ceremony::issue_demo_subscriber(&engine, PASSPHRASE)
            .await
            .expect("demo doctor")
    });
    let find = |suffix: &str| {
        files
            .iter()
            .find(|f| f.to_string_lossy().ends_with(suffix))
            .unwrap_or_else(|| panic!("{suffix} in {files:?}"))
            .clone()
    };
    (
        find("taro-nichii-sign.key.pem"),
        find("taro-nichii-sign.pem"),
    )
}

/// The registration API of a running `hpki serve`, called with curl as the demo officers
/// (bearer tokens from `hpki officer token`).
/// Today in Japan by the system's clock (the CA's clock stands at the real time of its start).
pub fn today() -> time::Date {
    hpki_clock::jst::date(hpki_clock::Clock::now(&hpki_clock::SystemClock))
}

pub struct Api<'a> {
    pub ca: &'a Ca,
    pub server: Server,
    /// Bearer tokens by login (`hpki officer token`).
    tokens: std::cell::RefCell<std::collections::HashMap<String, String>>,
}

impl<'a> Api<'a> {
    /// The API of `server`, serving `ca`.
    pub fn new(ca: &'a Ca, server: Server) -> Api<'a> {
        Api {
            ca,
            server,
            tokens: Default::default(),
        }
    }

    /// `method path` with `body` as `login`; the JSON answer.
    pub fn call(&self, login: &str, method: &str, path: &str, body: Option<Value>) -> Value {
        let token = self
            .tokens
            .borrow_mut()
            .entry(login.to_owned())
            .or_insert_with(|| self.ca.ok(&["officer", "token", "--login", login]))
            .clone();
        let data = match body {
            Some(b) => format!(
                "-H 'content-type: application/json' --data-binary @'{}'",
                self.ca.write("body.json", &b.to_string()).display()
            ),
            None => String::new(),
        };
        let out = sh(&format!(
            "curl -sS -X {method} -H 'Authorization: Bearer {}' {data} {}{path}",
            token.trim(),
            self.server.url
        ));
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{path}: {e}: {out}"))
    }

    /// The current version of application `id`.
    pub fn version(&self, login: &str, id: &str) -> Value {
        self.call(login, "GET", &format!("/api/v1/applications/{id}"), None)["version"].clone()
    }

    /// Performs `action` on application `id` as `login` at its current version.
    pub fn act(&self, login: &str, id: &str, action: &str, extra: Value) {
        let mut body = json!({"version": self.version(login, id)});
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            b.extend(e.clone());
        }
        let v = self.call(
            login,
            "POST",
            &format!("/api/v1/applications/{id}/actions/{action}"),
            Some(body),
        );
        assert!(v.get("stage").is_some(), "{action}: {v}");
    }

    /// Walks received application `id` through final review (ready to issue).
    pub fn approve(&self, id: &str) {
        self.act("tokyo-pre", id, "pre_review", json!({}));
        self.act(
            "tokyo-main",
            id,
            "main_review",
            json!({"tracking": "1234-5678"}),
        );
        self.act("hq-final", id, "papers_arrived", json!({}));
        self.act("hq-final", id, "final_review", json!({}));
    }

    /// The body of the issue request for application `id` at its current version, with two
    /// fresh P-256 CSRs made by openssl.
    pub fn issue_request(&self, id: &str) -> Value {
        let csr = |name: &str| {
            let key = self.ca.path(&format!("{name}.key"));
            let csr = self.ca.path(&format!("{name}.csr"));
            sh(&format!(
                "openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout '{}' -subj '/CN=ignored' -out '{}'",
                key.display(),
                csr.display()
            ));
            std::fs::read_to_string(csr).expect("csr")
        };
        json!({"version": self.version("hq-operator", id),
            "sign_csr": csr(&format!("{id}-sign")), "auth_csr": csr(&format!("{id}-auth"))})
    }

    /// Walks received application `id` to 発行済; returns its subscriber ID.
    pub fn issue(&self, id: &str) -> String {
        self.approve(id);
        let body = self.issue_request(id);
        let v = self.call(
            "hq-operator",
            "POST",
            &format!("/api/v1/applications/{id}/issue"),
            Some(body),
        );
        assert_eq!(v["application"]["stage"], "issued", "{v}");
        v["application"]["subscriber_id"]
            .as_str()
            .expect("subscriber ID")
            .to_owned()
    }
}
