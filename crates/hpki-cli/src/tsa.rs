//! The RFC 3161 time-stamping authority at the console: `hpki tsa …`.
//!
//! The TSA's settings live in `[tsa]` of `hpki.toml` (policy OID, accuracy, certificate
//! subject; docs/configuration.md); these commands set up its key and certificate and show
//! what it issued. The server answers at `POST /tsa`.

use crate::failure::Context as _;
use hpki_text::Text;
use std::path::PathBuf;

use anyhow::Result;
use clap::Subcommand;
use der::Decode;
use hpki_ca::issue::pem_encode;
use hpki_ca::tsa::TsaSetup;
use x509_cert::Certificate;

use crate::{Common, open, read, write};

#[derive(Subcommand)]
pub(crate) enum TsaCommand {
    /// The TSA: certificate, policy, accuracy, tokens issued (タイムスタンプ局の状態).
    Show {
        #[command(flatten)]
        common: Common,
    },
    /// Set up the TSA of a data directory that has none: create its key (encrypted under the
    /// operator passphrase), then its certificate from this installation's root when the
    /// root's key is here (demo); otherwise write a PKCS#10 request for the CA that certifies
    /// the TSA (then `hpki tsa install-cert`).
    Init {
        #[command(flatten)]
        common: Common,
        /// Where the request goes when a certificate is needed from elsewhere (PEM).
        #[arg(long, default_value = "tsa.csr")]
        csr_out: PathBuf,
    },
    /// Write the PKCS#10 request of the TSA key again (PEM).
    Csr {
        #[command(flatten)]
        common: Common,
        #[arg(long)]
        out: PathBuf,
    },
    /// Install the TSA certificate the CA returned (checked: the TSA key, the critical
    /// timeStamping EKU, valid now, the issuer's signature).
    InstallCert {
        #[command(flatten)]
        common: Common,
        /// The TSA certificate (PEM or DER).
        #[arg(long)]
        cert: PathBuf,
        /// The issuer's certificate (PEM); default: the installed CA certificate that issued
        /// it.
        #[arg(long)]
        issuer: Option<PathBuf>,
    },
    /// Export the TSA certificate (PEM), e.g. for `openssl ts -verify -untrusted`.
    Export {
        #[command(flatten)]
        common: Common,
        #[arg(long)]
        out: PathBuf,
    },
    /// The last tokens issued (serial, genTime, policy, hash of the time-stamped data).
    List {
        #[command(flatten)]
        common: Common,
        /// How many, newest first.
        #[arg(long, default_value_t = 20)]
        limit: i64,
    },
}

fn rfc3339_ms(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| ms.to_string())
}

pub(crate) async fn run(cmd: TsaCommand) -> Result<()> {
    match cmd {
        TsaCommand::Show { common } => {
            let engine = open(&common, false).await?;
            let status = engine.tsa_status().await?;
            let cfg = &engine.config.tsa;
            match &status.unit {
                Some(unit) => {
                    let cert = Certificate::from_der(&unit.cert_der)?;
                    let tbs = cert.tbs_certificate();
                    println!("TSA certificate / 証明書: {}", tbs.subject());
                    println!(
                        "  serial {}, issuer {}",
                        hpki_ca::authority::serial_hex(tbs.serial_number().as_bytes()),
                        tbs.issuer()
                    );
                    println!(
                        "  valid {} – {}",
                        tbs.validity().not_before,
                        tbs.validity().not_after
                    );
                    println!("  key {}", unit.key_ref);
                    println!(
                        "  endpoint {}/tsa (certificate {}/ca/tsa.crt)",
                        engine.config.public_base_url.trim_end_matches('/'),
                        engine.config.public_base_url.trim_end_matches('/')
                    );
                }
                None if status.awaiting_certificate => println!(
                    "TSA key created, certificate not installed: hpki tsa csr / hpki tsa install-cert / 証明書が未登録です"
                ),
                None => println!("no TSA is set up: hpki tsa init / タイムスタンプ局は未設定です"),
            }
            println!("policy / ポリシー: {}", cfg.policy);
            if !cfg.other_policies.is_empty() {
                println!("other policies: {}", cfg.other_policies.join(", "));
            }
            if cfg.policy == hpki_ca::config::PLACEHOLDER_TSA_POLICY {
                println!(
                    "  (placeholder OID for documentation, RFC 5612: set [tsa] policy in hpki.toml / 仮のOIDです)"
                );
            }
            println!(
                "accuracy / 精度: {} ms; hash algorithms: SHA-256, SHA-384, SHA-512",
                cfg.accuracy_ms
            );
            let s = status.stats;
            println!("tokens issued / 発行済みタイムスタンプ: {}", s.count);
            if let (Some(first), Some(last)) = (s.first_ms, s.last_ms) {
                println!("  first {}, last {}", rfc3339_ms(first), rfc3339_ms(last));
            }
        }
        TsaCommand::Init { common, csr_out } => {
            let engine = open(&common, true).await?;
            match engine.init_tsa().await? {
                TsaSetup::Installed(cert) => {
                    let tbs = cert.tbs_certificate();
                    println!(
                        "TSA certificate {} issued by {} / タイムスタンプ局の証明書を発行しました: {}",
                        hpki_ca::authority::serial_hex(tbs.serial_number().as_bytes()),
                        tbs.issuer(),
                        tbs.subject()
                    );
                }
                TsaSetup::AwaitingCertificate { csr_der } => {
                    write(
                        &csr_out,
                        pem_encode("CERTIFICATE REQUEST", &csr_der).as_bytes(),
                    )?;
                    println!(
                        "TSA key created; request written to {} / 証明書署名要求を書き出しました",
                        csr_out.display()
                    );
                    println!(
                        "next: have it certified (EKU timeStamping, critical), then hpki tsa install-cert --dir {} --cert tsa.pem",
                        common.dir.display()
                    );
                }
            }
        }
        TsaCommand::Csr { common, out } => {
            let engine = open(&common, true).await?;
            let der = engine.tsa_csr()?;
            write(&out, pem_encode("CERTIFICATE REQUEST", &der).as_bytes())?;
            println!("wrote {} / 書き出しました", out.display());
        }
        TsaCommand::InstallCert {
            common,
            cert,
            issuer,
        } => {
            let engine = open(&common, true).await?;
            let issuer_pem = match issuer {
                Some(p) => Some(String::from_utf8(read(&p)?).context_text(|| {
                    Text::new(
                        "発行者の証明書は PEM 形式で指定してください",
                        "the issuer certificate must be PEM",
                    )
                })?),
                None => None,
            };
            let installed = engine
                .install_tsa_certificate(&read(&cert)?, issuer_pem.as_deref())
                .await?;
            println!(
                "installed the TSA certificate {} / タイムスタンプ局の証明書を登録しました",
                installed.tbs_certificate().subject()
            );
        }
        TsaCommand::Export { common, out } => {
            let engine = open(&common, false).await?;
            let unit = engine.tsa_unit().await?.ok_or(hpki_ca::CaError::NoTsa)?;
            write(&out, pem_encode("CERTIFICATE", &unit.cert_der).as_bytes())?;
            println!("wrote {} / 書き出しました", out.display());
        }
        TsaCommand::List { common, limit } => {
            let engine = open(&common, false).await?;
            println!(
                "{:<34} {:<30} {:<26} imprint",
                "serial", "genTime", "policy"
            );
            for t in engine.store.recent_timestamps(limit).await? {
                let alg = hpki_sign::DigestAlgorithm::from_oid(
                    &der::asn1::ObjectIdentifier::new(&t.hash_algorithm)
                        .unwrap_or(hpki_sign::digest::ID_SHA256),
                )
                .map(|d| d.name())
                .unwrap_or("?");
                println!(
                    "{:<34} {:<30} {:<26} {alg}:{}",
                    t.serial_hex,
                    rfc3339_ms(t.gen_time_ms),
                    t.policy,
                    t.message_imprint
                );
            }
        }
    }
    Ok(())
}
