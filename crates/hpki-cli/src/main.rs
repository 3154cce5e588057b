//! `hpki`: the command line of the HPKI certification authority and its IC cards.
//!
//! Keys are decrypted with the passphrase in `HPKI_KEY_PASSPHRASE`, or asked for on the
//! terminal. Every command accepts `--database-url` (or `HPKI_DATABASE_URL`) to use PostgreSQL
//! instead of the configured database.

use crate::failure::{Context as _, describe, fail, on_one_line};
use hpki_text::Text;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Result;
use clap::{Args, Parser, Subcommand, ValueEnum};
use hpki_ca::authority::KeyAccess;
use hpki_ca::ceremony::{InitOptions, init_with_clock};
use hpki_ca::crl::parse_reason;
use hpki_ca::datadir::write_atomic;
use hpki_ca::issue::pem_encode;
use hpki_ca::{CaName, Engine};
use hpki_store::{AuditProblem, AuditVerification};
use indicatif::{ProgressBar, ProgressStyle};
use zeroize::Zeroizing;

/// mimalloc rather than the system allocator: verification and the CMS/X.509 decoding behind
/// it allocate many small objects per document (the verify bench measures ~15 % more
/// documents per second with it).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod archive;
mod card;
mod card_login;
mod check;
mod credits;
mod failure;
mod fees;
mod https;
mod oidc;
mod pki;
mod ra;
mod sign;
mod tsa;
mod verify;

/// The password of the demo's officers (`hpki init --demo`, `hpki demo`).
pub(crate) const DEMO_OFFICER_PASSWORD: &str = "demo-password";

/// The registration authority of a new data directory: the offices, and with `demo` the demo
/// officers (password [`DEMO_OFFICER_PASSWORD`]).
async fn seed_registration(engine: Engine, demo: bool) -> Result<hpki_registration::Registration> {
    let ra = hpki_registration::Registration::new(Arc::new(engine));
    if demo {
        ra.seed_demo(&actor(), DEMO_OFFICER_PASSWORD).await?;
        println!(
            "  demo officers (password {DEMO_OFFICER_PASSWORD}) / デモ担当者: {}",
            hpki_registration::engine::DEMO_OFFICERS
                .iter()
                .map(|o| o.0)
                .collect::<Vec<_>>()
                .join(", ")
        );
    } else {
        ra.seed_offices(&actor(), &[], false).await?;
    }
    Ok(ra)
}

/// The demo doctor 日医太郎, issued through the registration authority (so that card login
/// finds him in the subscriber register): an RSA-2048 key for each certificate, generated
/// here because the demo has no card, written with the certificates into `D/demo/`.
async fn seed_demo_doctor(
    ra: &hpki_registration::Registration,
    passphrase: &str,
) -> Result<Vec<PathBuf>> {
    use hpki_keys::{KeyKind, SoftwareKey};
    let sign_key = SoftwareKey::generate(KeyKind::Rsa(2048))?;
    let auth_key = SoftwareKey::generate(KeyKind::Rsa(2048))?;
    let csr = |k: &SoftwareKey| hpki_ca::ceremony::build_csr(k, x509_cert::name::Name::default());
    let (_, sign, auth) = ra
        .seed_demo_doctor(&csr(&sign_key)?, &csr(&auth_key)?)
        .await?;
    let dir = &ra.ca().dir;
    std::fs::create_dir_all(dir.path().join("demo"))?;
    let mut files = Vec::new();
    for (name, key, cert) in [("sign", &sign_key, &sign), ("auth", &auth_key, &auth)] {
        files.push(dir.write_atomic(
            &format!("demo/taro-nichii-{name}.key.pem"),
            key.to_encrypted_pem(passphrase)?.as_bytes(),
            true,
        )?);
        files.push(dir.write_atomic(
            &format!("demo/taro-nichii-{name}.pem"),
            cert.pem().as_bytes(),
            false,
        )?);
    }
    Ok(files)
}

/// The demo relying party's client ID (`/demo-rp/`).
const DEMO_RP_CLIENT: &str = "demo-rp";
/// Where the demo keeps its relying party's client secret.
const DEMO_RP_SECRET: &str = "demo/demo-rp.secret";

/// Registers the demo relying party (`/demo-rp/` on the TLS listener at `tls`, also as
/// localhost) and keeps its secret in `D/demo/demo-rp.secret` (mode 0600).
async fn seed_demo_rp(engine: &Arc<Engine>, tls: SocketAddr) -> Result<()> {
    let provider = hpki_provider::Provider::new(engine.clone());
    let (_, secret) = provider
        .add_client(&hpki_provider::clients::NewClient {
            client_id: DEMO_RP_CLIENT.into(),
            name: "日医病院 医療連携ポータル（デモ）".into(),
            redirect_uris: vec![format!("https://{tls}/demo-rp/callback")],
            post_logout_redirect_uris: vec![],
            kind: hpki_login::client::ClientKind::Confidential,
            subject_type: hpki_login::client::SubjectType::Pairwise,
        })
        .await?;
    if let Some(secret) = secret {
        engine
            .dir
            .write_atomic(DEMO_RP_SECRET, secret.as_bytes(), true)?;
    }
    Ok(())
}

/// An HTTPS certificate for card login from the root of `engine`, for `names`, with a new
/// P-256 key: the certificate (PEM) to `cert_out`, the key (unencrypted PKCS#8 PEM, mode 0600)
/// to `key_out`, both written crash-safe.
async fn tls_identity(
    engine: &Engine,
    names: &[String],
    cert_out: &std::path::Path,
    key_out: &std::path::Path,
) -> Result<()> {
    use hpki_keys::{KeyKind, SoftwareKey};
    let key = SoftwareKey::generate(KeyKind::P256)?;
    let cert = engine.issue_tls_server_certificate(names, &key).await?;
    let cert_pem = hpki_ca::issue::pem_encode("CERTIFICATE", &der::Encode::to_der(&cert)?);
    let key_pem = hpki_ca::issue::pem_encode("PRIVATE KEY", key.pkcs8_der());
    for (path, data, private) in [(key_out, &key_pem, true), (cert_out, &cert_pem, false)] {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)?;
        }
        hpki_ca::datadir::write_atomic(path, data.as_bytes(), private)?;
    }
    Ok(())
}

#[derive(Parser)]
#[command(
    name = "hpki",
    version,
    about = "HPKI certification authority (日医HPKI認証局): CA, CRL, OCSP, key custody, IC cards (医師資格証), audit"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone)]
struct Common {
    /// Data directory (データディレクトリ).
    #[arg(long, env = "HPKI_DIR")]
    dir: PathBuf,
    /// Database URL overriding the configured one (e.g. postgres://user@host/db).
    #[arg(long, env = "HPKI_DATABASE_URL")]
    database_url: Option<String>,
    /// Under M-of-N custody: a custodian presenting their share to unlock the CA keys for this
    /// command (repeat for each; passphrase from HPKI_CUSTODIAN_PASSPHRASE_<NAME> or asked).
    /// 鍵保管者（M名以上）。
    #[arg(long = "custodian", env = "HPKI_CUSTODIANS", value_delimiter = ',')]
    custodians: Vec<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Create a data directory and its CA keys (初期化). With --demo, a complete demo hierarchy.
    Init {
        /// Data directory to create; refused if it exists and is not empty.
        #[arg(long)]
        dir: PathBuf,
        /// Create a stand-in MHLW HPKI root and certify both issuing CAs (demo / tests).
        #[arg(long)]
        demo: bool,
        /// Database URL (default: SQLite file hpki.db inside the data directory).
        #[arg(long, env = "HPKI_DATABASE_URL")]
        database_url: Option<String>,
        /// Public base URL written into certificates (CRL DP, OCSP, caIssuers).
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        public_url: String,
        /// Generate the CA keys in an HSM through this PKCS#11 module instead of encrypted
        /// files (HSM user PIN from HPKI_HSM_PIN or asked).
        #[arg(long, requires = "hsm_token")]
        hsm_module: Option<String>,
        /// Label of the HSM token (initialised beforehand with the HSM's own tools, e.g.
        /// softhsm2-util --init-token).
        #[arg(long, requires = "hsm_module")]
        hsm_token: Option<String>,
        /// Which CAs keep their key in the HSM.
        #[arg(
            long,
            value_enum,
            value_delimiter = ',',
            default_value = "root,sign,auth"
        )]
        hsm_cas: Vec<AnyCa>,
    },
    /// Certification authority operations (認証局の操作).
    #[command(subcommand)]
    Ca(CaCommand),
    /// The doctors' IC cards, 医師資格証 (カード): personalise, renew, lost, reissue, PIN.
    #[command(subcommand)]
    Card(card::CardCommand),
    /// Offices of the registration authority (受付審査局).
    #[command(subcommand)]
    Office(ra::OfficeCommand),
    /// Officers of the registration authority (担当者).
    #[command(subcommand)]
    Officer(ra::OfficerCommand),
    /// Applications to the registration authority (申請): bulk import from CSV.
    #[command(subcommand)]
    Application(ra::ApplicationCommand),
    /// Annual fees (年会費): the yearly billing run, payments, the direct-debit export.
    #[command(subcommand)]
    Fees(fees::FeesCommand),
    /// Lifelong-education credits (生涯教育): the national yearly run.
    #[command(subcommand)]
    Credits(credits::CreditsCommand),
    /// The OpenID Connect provider of HPKI login (医療認証基盤): its relying parties.
    #[command(subcommand)]
    Oidc(oidc::OidcCommand),
    /// Audit log (監査ログ).
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Bring the database to this build's schema (スキーマ移行), after upgrading hpki: applies
    /// the missing migrations in order, each in its own transaction and audited. Back up the
    /// database first; stop the servers using it. A database of a newer hpki is refused
    /// untouched. Needs no key.
    Migrate {
        #[command(flatten)]
        common: Common,
    },
    /// The qualification check with the card (資格確認), as a phone would do it: the card signs
    /// the server's challenge (PIN from HPKI_CARD_PIN or asked; --no-pin checks the
    /// certificate only) and the server answers valid / revoked / expired / not a doctor with
    /// what the doctor discloses to the public. Exit 0 for a valid doctor's card, 1 otherwise.
    Check(Box<check::CheckArgs>),
    /// Relying-party tools (検証): certificate path validation, no data directory needed.
    #[command(subcommand)]
    Pki(pki::PkiCommand),
    /// The RFC 3161 time-stamping authority (タイムスタンプ局): set-up, certificate, tokens.
    #[command(subcommand)]
    Tsa(tsa::TsaCommand),
    /// Sign a document (電子署名): CAdES at level B-B … B-LTA with the doctor's card (PIN) or a
    /// software key; time-stamps and validation data over HTTP. No data directory needed.
    Sign(Box<sign::SignArgs>),
    /// Verify a signed document (署名検証): CAdES, PAdES, XAdES up to B-LTA — who signed, the
    /// hcRole, the proven time, integrity, the certificate at signing time and now, the level.
    /// Exit 0 only when every document is fully valid, 1 otherwise, 2 usage error. No data directory needed.
    Verify(Box<verify::VerifyArgs>),
    /// The archive of signed documents (電子署名文書の保管): add at B-LTA, the renewal job,
    /// deletion after the retention period, export, the document types.
    #[command(subcommand)]
    Archive(archive::ArchiveCommand),
    /// Serve CRLs, CA certificates and OCSP over HTTP (配信サーバ).
    Serve {
        #[command(flatten)]
        common: Common,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// Loopback address for the operator interface (custodian activation, issuance):
        /// /admin/activation, /admin/issue/{sign,auth}; every route but a custodian's
        /// presentation takes a CA operator's token (`hpki officer token`) as
        /// "Authorization: Bearer". Off unless given.
        #[arg(long)]
        admin_listen: Option<SocketAddr>,
        #[command(flatten)]
        tls: TlsArgs,
    },
    /// Run the demo: create a demo data directory if it does not exist, then serve it.
    Demo {
        /// Data directory (created with --demo if missing).
        #[arg(long, default_value = "demo-data")]
        dir: PathBuf,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// Address of the HTTPS listener for card login, the OpenID provider, the member portal
        /// and the qualification check (the certificate from the demo's root is made on first
        /// run: D/tls/server.pem).
        #[arg(long, default_value = "127.0.0.1:8443")]
        tls_listen: SocketAddr,
    },
}

/// The HTTPS listener of card login: the public routes again, over TLS, asking for the
/// card's authentication certificate (`/login/card`).
#[derive(clap::Args, Clone)]
struct TlsArgs {
    /// Address of the HTTPS listener for card login, the OpenID provider, the member portal and
    /// the qualification check. Needs --tls-cert and --tls-key.
    #[arg(long, requires_all = ["tls_cert", "tls_key"])]
    tls_listen: Option<SocketAddr>,
    /// The server's certificate chain (PEM, leaf first).
    #[arg(long, requires = "tls_listen")]
    tls_cert: Option<PathBuf>,
    /// The server's private key (PEM, unencrypted PKCS#8, PKCS#1 or SEC1).
    #[arg(long, requires = "tls_listen")]
    tls_key: Option<PathBuf>,
    /// The OpenID Connect issuer (the HTTPS base URL relying parties use); default
    /// https://<the TLS listener's address>. With --trusted-proxy, the provider is also served
    /// on the plain listener behind the proxy under this issuer.
    #[arg(long)]
    issuer: Option<String>,
    /// A TLS-terminating reverse proxy (IP address) whose RFC 9440 Client-Cert and
    /// Client-Cert-Chain headers the plain listener believes; repeat for more. From any other
    /// address the headers are ignored.
    #[arg(long = "trusted-proxy")]
    trusted_proxies: Vec<std::net::IpAddr>,
}

#[derive(Clone, Copy, ValueEnum)]
enum IssuingCa {
    Sign,
    Auth,
}

impl From<IssuingCa> for CaName {
    fn from(c: IssuingCa) -> Self {
        match c {
            IssuingCa::Sign => CaName::Sign,
            IssuingCa::Auth => CaName::Auth,
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum AnyCa {
    Root,
    Sign,
    Auth,
}

impl From<AnyCa> for CaName {
    fn from(c: AnyCa) -> Self {
        match c {
            AnyCa::Root => CaName::Root,
            AnyCa::Sign => CaName::Sign,
            AnyCa::Auth => CaName::Auth,
        }
    }
}

#[derive(Subcommand)]
enum CaCommand {
    /// Issue an HTTPS server certificate for card login from this installation's root (for
    /// the demo and tests; production uses a certificate of a public web CA): a new P-256 key,
    /// unencrypted PEM, mode 0600.
    TlsCert {
        #[command(flatten)]
        common: Common,
        /// A host name or IP address of the server; repeat for more.
        #[arg(long = "name", required = true)]
        names: Vec<String>,
        /// Where the certificate goes (PEM).
        #[arg(long)]
        cert_out: PathBuf,
        /// Where the key goes (PEM, unencrypted PKCS#8).
        #[arg(long)]
        key_out: PathBuf,
    },
    /// Export the PKCS#10 request of an issuing CA for the root (production path).
    Csr {
        #[command(flatten)]
        common: Common,
        #[arg(long, value_enum)]
        ca: IssuingCa,
        /// Output file (PEM).
        #[arg(long)]
        out: PathBuf,
    },
    /// Install the certificate the root returned for an issuing CA.
    InstallCert {
        #[command(flatten)]
        common: Common,
        #[arg(long, value_enum)]
        ca: IssuingCa,
        /// The issuing CA's certificate (PEM).
        #[arg(long)]
        cert: PathBuf,
        /// The root's certificate (PEM).
        #[arg(long)]
        root: PathBuf,
    },
    /// Issue end-entity certificates from CSRs (証明書発行).
    Issue {
        #[command(flatten)]
        common: Common,
        #[arg(long, value_enum)]
        ca: IssuingCa,
        /// One CSR (PEM or DER).
        #[arg(long, conflicts_with = "csr_dir", requires_all = ["subject", "out"])]
        csr: Option<PathBuf>,
        /// Subject JSON: {"name_romaji","name_kanji","subscriber_id","role","organization_romaji"?,"organization_kanji"?}.
        #[arg(long)]
        subject: Option<PathBuf>,
        /// Output certificate (PEM).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Batch: every NAME.csr / NAME.pem / NAME.der in DIR with its subject in NAME.json.
        #[arg(long, requires = "out_dir")]
        csr_dir: Option<PathBuf>,
        /// Batch output directory (NAME.pem per certificate).
        #[arg(long)]
        out_dir: Option<PathBuf>,
    },
    /// Revoke a certificate (失効); needs the operator passphrase.
    Revoke {
        #[command(flatten)]
        common: Common,
        #[arg(long, value_enum)]
        ca: IssuingCa,
        /// Serial number, hexadecimal.
        #[arg(long)]
        serial: String,
        /// RFC 5280 reason: unspecified, keyCompromise, cACompromise, affiliationChanged,
        /// superseded, cessationOfOperation, privilegeWithdrawn.
        #[arg(long, default_value = "unspecified")]
        reason: String,
    },
    /// After a crash: revoke what was issued for an application or a card that never took it,
    /// mark cards left half-personalised as failed, free applications a dead process left
    /// claimed for issuance, give certificates of earlier releases their key hash (復旧); needs
    /// the operator passphrase. `hpki serve` does the same at start for what is older than 10
    /// minutes.
    Recover {
        #[command(flatten)]
        common: Common,
        /// Leave alone what was issued in the last SECONDS (an issuance still running in another
        /// process); 0 when nothing else is issuing.
        #[arg(long, default_value_t = 0)]
        grace: u64,
    },
    /// Publish a CRL now and write it (DER).
    Crl {
        #[command(flatten)]
        common: Common,
        #[arg(long, value_enum)]
        ca: AnyCa,
        #[arg(long)]
        out: PathBuf,
    },
    /// List CAs and issued certificates (一覧).
    List {
        #[command(flatten)]
        common: Common,
        /// Only this CA's certificates.
        #[arg(long, value_enum)]
        ca: Option<IssuingCa>,
    },
    /// Key ceremony: put the CA keys under M-of-N custodian control (鍵の分散管理).
    /// Each custodian's passphrase comes from HPKI_CUSTODIAN_PASSPHRASE_<NAME> or is asked.
    Ceremony {
        #[command(flatten)]
        common: Common,
        /// Shares needed to activate the CA keys (M).
        #[arg(long, default_value_t = 2)]
        threshold: usize,
    },
    /// Export a CA certificate (PEM).
    Export {
        #[command(flatten)]
        common: Common,
        #[arg(long, value_enum)]
        ca: AnyCa,
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check the hash chain of the audit log; exits non-zero naming the first bad record.
    Verify {
        #[command(flatten)]
        common: Common,
    },
    /// Print the audit log (one JSON object per line).
    Show {
        #[command(flatten)]
        common: Common,
    },
}

/// The clock of this process (see `hpki_clock::from_env`): every command takes its time from it.
fn clock() -> hpki_clock::SharedClock {
    static CLOCK: std::sync::OnceLock<hpki_clock::SharedClock> = std::sync::OnceLock::new();
    CLOCK.get_or_init(hpki_clock::from_env).clone()
}

/// Who runs this command, for the audit log: `HPKI_OPERATOR` when the operator names
/// themselves (a shared console account), else the login of the process (`USER`, `LOGNAME`),
/// else its user ID (a service or a container without a login name) — never "unknown".
fn actor() -> String {
    let named = |var: &str| std::env::var(var).ok().filter(|v| !v.trim().is_empty());
    if let Some(operator) = named("HPKI_OPERATOR") {
        return format!("operator:{}", operator.trim());
    }
    if let Some(user) = named("USER").or_else(|| named("LOGNAME")) {
        return format!("cli:{user}");
    }
    let uid = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Uid:"))
                .and_then(|l| l.split_whitespace().next().map(str::to_owned))
        })
        .unwrap_or_else(|| "?".into());
    format!("cli:uid-{uid}")
}

fn passphrase() -> Result<String> {
    if let Ok(p) = std::env::var("HPKI_KEY_PASSPHRASE") {
        if p.is_empty() {
            return Err(fail(
                "HPKI_KEY_PASSPHRASE が空です",
                "HPKI_KEY_PASSPHRASE is empty",
            ));
        }
        return Ok(p);
    }
    rpassword::prompt_password("CA key passphrase / 鍵のパスフレーズ: ").context_text(|| {
        Text::new(
            "パスフレーズがありません",
            "no passphrase: set HPKI_KEY_PASSPHRASE or run on a terminal",
        )
    })
}

/// The HSM user PIN: `HPKI_HSM_PIN`, or asked on the terminal.
fn hsm_pin() -> Result<String> {
    if let Ok(p) = std::env::var("HPKI_HSM_PIN") {
        return Ok(p);
    }
    rpassword::prompt_password("HSM user PIN / HSM の PIN: ").context_text(|| {
        Text::new(
            "HSM の PIN がありません",
            "no HSM PIN: set HPKI_HSM_PIN or run on a terminal",
        )
    })
}

async fn open(common: &Common, keys: bool) -> Result<Engine> {
    // CA keys in an HSM open with its PIN; under custody, with the custodians' shares instead.
    let access = match (keys, std::env::var("HPKI_HSM_PIN")) {
        (false, _) => KeyAccess::None,
        (true, Ok(hsm_pin)) => KeyAccess::WithHsm {
            passphrase: passphrase()?,
            hsm_pin,
        },
        (true, Err(_)) => KeyAccess::Passphrase(passphrase()?),
    };
    let engine = Engine::open_with_clock(
        &common.dir,
        common.database_url.as_deref(),
        access,
        &actor(),
        clock(),
    )
    .await?;
    if keys && engine.custody.is_some() {
        for custodian in &common.custodians {
            let status = engine
                .present_share(custodian, &custodian_passphrase(custodian, false)?)
                .await?;
            if status.activated {
                eprintln!("CA keys activated / 認証局の鍵を活性化しました");
                break;
            }
        }
    }
    Ok(engine)
}

/// A custodian's passphrase: `HPKI_CUSTODIAN_PASSPHRASE_<NAME>` (upper case, '-' as '_'), or
/// asked on the terminal (twice when `confirm`).
fn custodian_passphrase(name: &str, confirm: bool) -> Result<Zeroizing<String>> {
    let var = format!(
        "HPKI_CUSTODIAN_PASSPHRASE_{}",
        name.to_ascii_uppercase().replace('-', "_")
    );
    if let Ok(p) = std::env::var(&var) {
        if p.is_empty() {
            return Err(fail(format!("{var} が空です"), format!("{var} is empty")));
        }
        return Ok(Zeroizing::new(p));
    }
    let ask = |prompt: String| {
        rpassword::prompt_password(prompt)
            .map(Zeroizing::new)
            .context_text(|| {
                Text::new(
                    format!("保管者 {name} のパスフレーズがありません"),
                    format!("no passphrase for custodian {name}: set {var} or run on a terminal"),
                )
            })
    };
    let p = ask(format!(
        "passphrase of custodian {name} / 保管者 {name} のパスフレーズ: "
    ))?;
    if confirm && *ask(format!("again / もう一度 ({name}): "))? != *p {
        return Err(fail(
            format!("{name} のパスフレーズが一致しません"),
            format!("the passphrases of {name} differ"),
        ));
    }
    if p.is_empty() {
        return Err(fail(
            format!("{name} のパスフレーズが空です"),
            format!("empty passphrase for {name}"),
        ));
    }
    Ok(p)
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).context_text(|| {
        Text::new(
            format!("{} を読み込めません", path.display()),
            format!("cannot read {}", path.display()),
        )
    })
}

fn write(path: &Path, data: &[u8]) -> Result<()> {
    write_atomic(path, data, false).context_text(|| {
        Text::new(
            format!("{} に書き込めません", path.display()),
            format!("cannot write {}", path.display()),
        )
    })
}

fn spinner(msg: &str) -> ProgressBar {
    let pb = ProgressBar::new_spinner();
    pb.set_message(msg.to_owned());
    pb.enable_steady_tick(std::time::Duration::from_millis(120));
    pb
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(code) => code,
        Err(e) => {
            let text = describe(&e);
            eprintln!("エラー: {}", text.ja);
            eprintln!("error: {}", text.en);
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Init {
            dir,
            demo,
            database_url,
            public_url,
            hsm_module,
            hsm_token,
            hsm_cas,
        } => {
            let pass = passphrase()?;
            let hsm = match (hsm_module, hsm_token) {
                (Some(module), Some(token_label)) => Some(hpki_ca::ceremony::HsmInit {
                    module,
                    token_label,
                    pin: hsm_pin()?,
                    cas: hsm_cas.into_iter().map(CaName::from).collect(),
                }),
                _ => None,
            };
            let pb = spinner("initialising / 初期化中");
            let opts = InitOptions {
                demo,
                database_url,
                public_base_url: public_url,
                passphrase: pass,
                actor: actor(),
                hsm,
            };
            let engine = init_with_clock(
                &dir,
                &opts,
                &mut |step: &Text| pb.println(format!("  {}", on_one_line(step))),
                clock(),
            )
            .await?;
            pb.finish_and_clear();
            let path = engine.dir.path().display().to_string();
            seed_registration(engine, demo).await?;
            println!("initialised {path} / 初期化しました");
            if !demo {
                println!(
                    "next: hpki ca csr --dir {} --ca sign --out sign.csr (and auth), send them to the root, then hpki ca install-cert",
                    dir.display()
                );
            }
        }
        Command::Demo {
            dir,
            listen,
            tls_listen,
        } => {
            if !dir.join(hpki_ca::config::CONFIG_FILE).exists() {
                let opts = InitOptions {
                    demo: true,
                    database_url: None,
                    public_base_url: format!("http://{listen}"),
                    passphrase: passphrase()?,
                    actor: actor(),
                    hsm: None,
                };
                let engine = init_with_clock(
                    &dir,
                    &opts,
                    &mut |step: &Text| println!("  {}", on_one_line(step)),
                    clock(),
                )
                .await?;
                let ra = seed_registration(engine, true).await?;
                for f in seed_demo_doctor(&ra, &opts.passphrase).await? {
                    println!("  demo doctor 日医太郎: {}", f.display());
                }
                let cert = dir.join("tls/server.pem");
                tls_identity(
                    ra.ca(),
                    &["127.0.0.1".into(), "localhost".into()],
                    &cert,
                    &dir.join("tls/server.key"),
                )
                .await?;
                println!("  HTTPS certificate / HTTPSの証明書: {}", cert.display());
                seed_demo_rp(ra.ca(), tls_listen).await?;
            }
            let tls = TlsArgs {
                tls_listen: Some(tls_listen),
                tls_cert: Some(dir.join("tls/server.pem")),
                tls_key: Some(dir.join("tls/server.key")),
                issuer: None,
                trusted_proxies: Vec::new(),
            };
            let common = Common {
                dir,
                database_url: None,
                custodians: Vec::new(),
            };
            let demo_rp = std::fs::read_to_string(common.dir.join(DEMO_RP_SECRET))
                .ok()
                .map(|secret| hpki_server::demo_rp::DemoRp {
                    client_id: DEMO_RP_CLIENT.into(),
                    client_secret: secret.trim().to_owned(),
                });
            serve(&common, listen, None, &tls, demo_rp).await?;
        }
        Command::Serve {
            common,
            listen,
            admin_listen,
            tls,
        } => serve(&common, listen, admin_listen, &tls, None).await?,
        Command::Ca(cmd) => return ca(cmd).await,
        Command::Card(cmd) => card::run(cmd).await?,
        Command::Office(cmd) => ra::office(cmd).await?,
        Command::Officer(cmd) => ra::officer(cmd).await?,
        Command::Application(cmd) => return ra::application(cmd).await,
        Command::Fees(cmd) => fees::fees(cmd).await?,
        Command::Credits(cmd) => credits::run(cmd).await?,
        Command::Oidc(cmd) => oidc::run(cmd).await?,
        Command::Pki(cmd) => return pki::run(cmd),
        Command::Check(args) => return check::run(*args).await,
        Command::Tsa(cmd) => tsa::run(cmd).await?,
        Command::Sign(args) => sign::run(*args)?,
        Command::Verify(args) => return verify::run(*args),
        Command::Archive(cmd) => return archive::run(cmd).await,
        Command::Migrate { common } => migrate(&common).await?,
        Command::Audit(AuditCommand::Verify { common }) => {
            let engine = open(&common, false).await?;
            match engine.store.verify_audit().await? {
                AuditVerification::Intact { records } => {
                    println!(
                        "audit log intact: {records} records / 監査ログは改ざんされていません（{records}件）"
                    );
                }
                AuditVerification::Broken { seq, problem } => {
                    let what = match problem {
                        AuditProblem::HashMismatch => {
                            "its contents were changed / 内容が改ざんされています"
                        }
                        AuditProblem::ChainBroken => {
                            "it does not chain to the previous record / 直前の記録と連結していません"
                        }
                        AuditProblem::Missing => {
                            "a record before it was removed / 直前の記録が削除されています"
                        }
                        AuditProblem::TruncatedTail => {
                            "records after it were removed / 以降の記録が削除されています"
                        }
                        AuditProblem::HeadMismatch => {
                            "the log does not end where its head marker says / 末尾の記録が一致しません"
                        }
                    };
                    eprintln!(
                        "audit log BROKEN at record {seq}: {what} / 監査ログの記録 {seq} に異常があります"
                    );
                    return Ok(ExitCode::from(2));
                }
            }
        }
        Command::Audit(AuditCommand::Show { common }) => {
            let engine = open(&common, false).await?;
            for r in engine.store.audit_records().await? {
                let line = serde_json::json!({
                    "seq": r.seq, "at": r.at, "actor": r.actor, "action": r.action,
                    "object": r.object, "details": serde_json::from_str::<serde_json::Value>(&r.details).unwrap_or(serde_json::Value::String(r.details.clone())),
                    "hash": r.hash,
                });
                println!("{line}");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// What [`issue_from_files`] did.
enum FromFiles {
    /// A new certificate, written.
    Issued(hpki_ca::issue::Issued),
    /// The key's certificate of the same CA and subject existed (an earlier run, perhaps
    /// killed before it wrote the file): written again, nothing issued.
    Existing(String),
}

impl FromFiles {
    /// Its serial, hex.
    fn serial_hex(&self) -> &str {
        match self {
            FromFiles::Issued(i) => &i.serial_hex,
            FromFiles::Existing(s) => s,
        }
    }
}

/// One certificate from the files of a request: the CSR (PEM or DER) and the subject JSON
/// checked, issued under `ca`, written to `out` (PEM). Idempotent: if this key already has a
/// valid certificate of `ca` for the same subject, that one is written instead; a key certified
/// otherwise (another CA, another subject, revoked) is refused.
async fn issue_from_files(
    engine: &Engine,
    ca: CaName,
    csr: &Path,
    subject: &Path,
    out: &Path,
) -> Result<FromFiles> {
    let subject = String::from_utf8(read(subject)?).context_text(|| {
        Text::new(
            "申請者情報の JSON は UTF-8 で指定してください",
            "subject JSON must be UTF-8",
        )
    })?;
    let subject = engine.subject(&subject)?;
    let csr = hpki_ca::issue::CheckedCsr::parse(&read(csr)?)?;
    if let Some(earlier) = engine.store.certificate_by_key(&csr.key_hash()?).await?
        && earlier.ca == ca.as_str()
        && earlier.status == hpki_store::CertStatus::Good
        && earlier.subject == subject.subject_name()?.to_string()
    {
        let pem = hpki_ca::issue::pem_encode("CERTIFICATE", &earlier.der);
        if std::fs::read(out).ok().as_deref() != Some(pem.as_bytes()) {
            write(out, pem.as_bytes())?;
        }
        return Ok(FromFiles::Existing(earlier.serial_hex));
    }
    let issued = engine.issue(ca, &csr, &subject).await?;
    write(out, issued.pem().as_bytes())?;
    Ok(FromFiles::Issued(issued))
}

/// What recovery did, one line each.
fn print_recovery(r: &hpki_ca::recover::Recovery) {
    for (ca, serial, issued_for) in &r.revoked {
        println!(
            "  revoked {ca}/{serial}: issued for {issued_for}, never recorded / {issued_for} のために発行され記録されなかった証明書 {ca}/{serial} を失効させました"
        );
    }
    for card in &r.cards_failed {
        println!(
            "  card {card}: personalisation abandoned / カード {card} の発行処理は中断されたため失敗としました"
        );
    }
    for id in &r.claims_released {
        println!(
            "  application {id}: issuance left unfinished, free to issue again / 申請 {id} の発行処理は中断されたため、再び発行できます"
        );
    }
    if r.key_hashes_filled > 0 {
        println!(
            "  key hashes recorded for {} earlier certificate(s) / 以前の証明書 {} 件の鍵を記録しました",
            r.key_hashes_filled, r.key_hashes_filled
        );
    }
    for (ca, serial) in &r.keys_shared {
        println!(
            "  WARNING: {ca}/{serial} certifies a key another certificate holds / 警告：{ca}/{serial} の鍵は別の証明書と同じです"
        );
    }
    if r.is_empty() {
        println!("nothing to recover / 復旧の必要はありません");
    }
}

/// `hpki migrate`: each migration printed as it commits.
async fn migrate(common: &Common) -> Result<()> {
    let mut on_applied = |m: &hpki_store::Migration| {
        println!(
            "  migration {} ({}) applied / 移行 {} を適用しました",
            m.version, m.name, m.version
        );
    };
    let report = hpki_ca::authority::migrate(
        &common.dir,
        common.database_url.as_deref(),
        &actor(),
        clock(),
        &mut on_applied,
    )
    .await?;
    match report.from {
        hpki_store::SchemaState::Empty => println!(
            "new database created at schema version {} / 新しいデータベースをスキーマ版 {} で作成しました",
            report.to, report.to
        ),
        hpki_store::SchemaState::At(v) if report.applied.is_empty() => println!(
            "database already at schema version {v}, nothing to do / データベースは最新（スキーマ版 {v}）です"
        ),
        hpki_store::SchemaState::At(v) => println!(
            "database migrated from schema version {v} to {} / データベースをスキーマ版 {v} から {} に移行しました",
            report.to, report.to
        ),
    }
    Ok(())
}

/// At the start of `hpki serve`, recovery leaves alone what is younger than this.
const SERVE_RECOVERY_GRACE_SECONDS: i64 = 600;

async fn serve(
    common: &Common,
    listen: SocketAddr,
    admin: Option<SocketAddr>,
    tls: &TlsArgs,
    demo_rp: Option<hpki_server::demo_rp::DemoRp>,
) -> Result<()> {
    let engine = Arc::new(open(common, true).await?);
    // What a crash left behind; what is recent may be another server's issuance in progress.
    let recovered = engine.recover(SERVE_RECOVERY_GRACE_SECONDS).await?;
    if !recovered.is_empty() {
        print_recovery(&recovered);
    }
    let status = engine.activation_status();
    if status.custody && !status.activated {
        println!(
            "CA keys under custody, not activated: {} custodian(s) must present their shares / 認証局の鍵は未活性化です（保管者{}名の分散鍵が必要）",
            status.threshold, status.threshold
        );
    }
    let listener = match (tls.tls_listen, &tls.tls_cert, &tls.tls_key) {
        (Some(addr), Some(cert), Some(key)) => Some(hpki_server::TlsListener {
            addr,
            identity: hpki_server::tls::ServerIdentity::from_pem_files(cert, key)?,
        }),
        _ => None,
    };
    let listeners = hpki_server::Listeners {
        admin,
        tls: listener,
        trusted_proxies: tls.trusted_proxies.clone(),
        issuer: tls.issuer.clone(),
        demo_rp,
        ..hpki_server::Listeners::public(listen)
    };
    hpki_server::serve_listeners(engine, listeners, |bound| {
        let addr = bound.public;
        // Written and flushed at once, errors ignored: a reader that stops after the line it
        // waits for (a test, a supervisor, `| head`) must not stop the server.
        let mut said = format!("listening on http://{addr} / http://{addr} で待ち受けています\n");
        if let Some(a) = bound.admin {
            said +=
                &format!("operator interface on http://{a}/admin/ / 管理用 http://{a}/admin/\n");
        }
        if let Some(t) = bound.tls {
            said += &format!(
                "card login on https://{t}/login/card / カードでのログイン https://{t}/login/card\n\
                 member portal on https://{t}/portal/ / 会員ポータル https://{t}/portal/\n"
            );
        }
        let mut out = std::io::stdout().lock();
        let _ = std::io::Write::write_all(&mut out, said.as_bytes());
        let _ = std::io::Write::flush(&mut out);
    })
    .await?;
    Ok(())
}

async fn ca(cmd: CaCommand) -> Result<ExitCode> {
    match cmd {
        CaCommand::Csr { common, ca, out } => {
            let engine = open(&common, true).await?;
            let der = engine.ca_csr(ca.into())?;
            write(&out, pem_encode("CERTIFICATE REQUEST", &der).as_bytes())?;
            println!("wrote {} / CSRを書き出しました", out.display());
        }
        CaCommand::InstallCert {
            common,
            ca,
            cert,
            root,
        } => {
            let mut engine = open(&common, true).await?;
            let cert_pem = String::from_utf8(read(&cert)?).context_text(|| {
                Text::new(
                    "証明書は PEM 形式で指定してください",
                    "certificate must be PEM",
                )
            })?;
            let root_pem = String::from_utf8(read(&root)?).context_text(|| {
                Text::new(
                    "ルート証明書は PEM 形式で指定してください",
                    "root certificate must be PEM",
                )
            })?;
            engine
                .install_ca_certificate(ca.into(), &cert_pem, &root_pem)
                .await?;
            println!(
                "installed the certificate of CA {} / 証明書を登録しました",
                CaName::from(ca)
            );
        }
        CaCommand::Issue {
            common,
            ca,
            csr,
            subject,
            out,
            csr_dir,
            out_dir,
        } => {
            let engine = open(&common, true).await?;
            engine.authority(ca.into())?;
            if let (Some(csr), Some(subject), Some(out)) = (csr, subject, out) {
                match issue_from_files(&engine, ca.into(), &csr, &subject, &out).await? {
                    FromFiles::Issued(issued) => println!(
                        "issued serial {} → {} / 証明書を発行しました",
                        issued.serial_hex,
                        out.display()
                    ),
                    FromFiles::Existing(serial) => println!(
                        "this key's certificate {serial} was issued before; written again → {} / この鍵の証明書は発行済みです（再出力しました）",
                        out.display()
                    ),
                }
            } else if let (Some(dir), Some(out_dir)) = (csr_dir, out_dir) {
                return issue_batch(Arc::new(engine), ca.into(), &dir, &out_dir).await;
            } else {
                return Err(fail(
                    "引数が不足しています",
                    "give --csr, --subject and --out, or --csr-dir and --out-dir",
                ));
            }
        }
        CaCommand::Ceremony { common, threshold } => {
            if common.custodians.is_empty() {
                return Err(fail(
                    "--custodian で鍵保管者を指定してください",
                    "name the custodians with --custodian (M of N)",
                ));
            }
            let keyless = Common {
                custodians: Vec::new(),
                ..common.clone()
            };
            let engine = open(&keyless, true).await?;
            let mut custodians = Vec::new();
            for name in &common.custodians {
                custodians.push((name.clone(), custodian_passphrase(name, true)?));
            }
            let record = engine.key_ceremony(&custodians, threshold).await?;
            println!(
                "key ceremony {}: CA keys now need {} of {} custodians ({}) / 鍵の分散管理を開始しました（{}名中{}名）",
                record.ceremony_id,
                record.threshold,
                record.custodians.len(),
                record.custodians.join(", "),
                record.custodians.len(),
                record.threshold
            );
        }
        CaCommand::Revoke {
            common,
            ca,
            serial,
            reason,
        } => {
            // Revocation is an operator's act: the operator passphrase is required.
            let engine = open(&common, true).await?;
            let reason = parse_reason(&reason)?;
            let serial = engine.revoke(ca.into(), &serial, reason).await?;
            println!("revoked {serial} / 失効させました");
        }
        CaCommand::TlsCert {
            common,
            names,
            cert_out,
            key_out,
        } => {
            let engine = open(&common, true).await?;
            tls_identity(&engine, &names, &cert_out, &key_out).await?;
            println!(
                "wrote {} and {} / HTTPSの証明書と鍵を書き出しました",
                cert_out.display(),
                key_out.display()
            );
        }
        CaCommand::Recover { common, grace } => {
            let engine = open(&common, true).await?;
            engine.require_operator()?;
            print_recovery(&engine.recover(grace as i64).await?);
        }
        CaCommand::Crl { common, ca, out } => {
            let engine = open(&common, true).await?;
            let crl = engine.publish_crl(ca.into()).await?;
            write(&out, &crl.der)?;
            println!(
                "CRL number {} written to {} / CRLを発行しました",
                crl.number,
                out.display()
            );
        }
        CaCommand::List { common, ca } => {
            let engine = open(&common, false).await?;
            for (name, a) in &engine.authorities {
                let tbs = a.ca.cert.tbs_certificate();
                println!(
                    "CA {name}: {}  (serial {}, until {})",
                    tbs.subject(),
                    hpki_ca::authority::serial_hex(tbs.serial_number().as_bytes()),
                    tbs.validity().not_after
                );
            }
            let filter = ca.map(|c| CaName::from(c).as_str());
            println!(
                "{:<6} {:<34} {:<8} {:<10} subject",
                "ca", "serial", "status", "profile"
            );
            for c in engine.store.certificates(filter).await? {
                let status = match c.status {
                    hpki_store::CertStatus::Good => "good".to_owned(),
                    hpki_store::CertStatus::Revoked => format!(
                        "revoked({})",
                        hpki_ca::crl::reason_name(c.revocation_reason.unwrap_or(0))
                    ),
                };
                println!(
                    "{:<6} {:<34} {:<8} {:<10} {}",
                    c.ca, c.serial_hex, status, c.profile, c.subject
                );
            }
        }
        CaCommand::Export { common, ca, out } => {
            let engine = open(&common, false).await?;
            let a = engine.authority(ca.into())?;
            write(&out, pem_encode("CERTIFICATE", &a.ca.der).as_bytes())?;
            println!("wrote {} / 書き出しました", out.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A line for the operator: above the progress bar on a terminal, plain stdout otherwise.
fn report(pb: &ProgressBar, line: String) {
    if pb.is_hidden() {
        println!("{line}");
    } else {
        pb.println(line);
    }
}

/// Certificates a batch issuance works on at once.
const BATCH_IN_FLIGHT: usize = 8;

async fn issue_batch(
    engine: Arc<Engine>,
    ca: CaName,
    dir: &Path,
    out_dir: &Path,
) -> Result<ExitCode> {
    let mut csrs: Vec<PathBuf> = std::fs::read_dir(dir)
        .context_text(|| {
            Text::new(
                format!("{} を読み込めません", dir.display()),
                format!("cannot read {}", dir.display()),
            )
        })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            matches!(
                p.extension().and_then(|e| e.to_str()),
                Some("csr" | "pem" | "der" | "req")
            )
        })
        .collect();
    csrs.sort();
    std::fs::create_dir_all(out_dir).context_text(|| {
        Text::new(
            format!("{} を作成できません", out_dir.display()),
            format!("cannot create {}", out_dir.display()),
        )
    })?;
    let pb = ProgressBar::new(csrs.len() as u64);
    pb.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} {msg} ({eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    // A few certificates are in flight at once: one is signed while another waits for its
    // commit, and commits that meet share one disk flush (see hpki-store's group commit). The
    // results are reported in file order.
    let mut in_flight = std::collections::VecDeque::new();
    let mut failed = 0usize;
    let mut existing = 0usize;
    let mut next = csrs.iter();
    loop {
        while in_flight.len() < BATCH_IN_FLIGHT {
            let Some(csr) = next.next() else { break };
            let stem = csr
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or("certificate")
                .to_owned();
            let (engine, csr, out) = (
                engine.clone(),
                csr.clone(),
                out_dir.join(format!("{stem}.pem")),
            );
            let task = tokio::spawn(async move {
                let subject = csr.with_extension("json");
                issue_from_files(&engine, ca, &csr, &subject, &out).await
            });
            in_flight.push_back((stem, task));
        }
        let Some((stem, task)) = in_flight.pop_front() else {
            break;
        };
        pb.set_message(stem.clone());
        let result = match task.await {
            Ok(result) => result,
            Err(e) => Err(fail(
                "内部エラーが発生しました",
                format!("internal error: {e}"),
            )),
        };
        match result {
            Ok(FromFiles::Issued(i)) => report(&pb, format!("  {stem}: issued {}", i.serial_hex)),
            Ok(done @ FromFiles::Existing(_)) => {
                existing += 1;
                report(
                    &pb,
                    format!(
                        "  {stem}: issued before, {} (file written) / 発行済み",
                        done.serial_hex()
                    ),
                )
            }
            Err(e) => {
                failed += 1;
                report(
                    &pb,
                    format!("  {stem}: FAILED / 失敗: {}", on_one_line(&describe(&e))),
                );
            }
        }
        pb.inc(1);
    }
    pb.finish_and_clear();
    let issued = csrs.len() - failed - existing;
    println!(
        "{issued} issued, {existing} issued before, {failed} failed / 発行 {issued} 件、発行済み {existing} 件、失敗 {failed} 件"
    );
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
