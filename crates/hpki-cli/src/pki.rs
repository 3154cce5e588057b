//! `hpki pki …`: relying-party tools that need no data directory.
//!
//! `hpki pki validate-path` validates a certificate path as RFC 5280 §6.1 describes
//! (hpki-verify: certval with aws-lc-rs), with the certificate-policy inputs of §6.1.1, at a
//! chosen time, and checks revocation from the CRLs and OCSP responses given. Exit status:
//! 0 valid, 1 invalid (the reason on stderr), 2 usage error (clap's, or an unreadable file).

use crate::failure::on_one_line;
use hpki_text::Localized;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::SystemTime;

use anyhow::Result;
use clap::{Args, Subcommand};
use der::asn1::ObjectIdentifier;
use hpki_verify::time::display;
use hpki_verify::{
    PathError, PathOptions, RevocationData, RevocationScope, RevocationStatus, Subscriber,
    ValidPath, check_revocation, input, validate_path_der,
};

#[derive(Subcommand)]
pub(crate) enum PkiCommand {
    /// Validate a certificate path (証明書パスの検証, RFC 5280 §6.1): chain to a trusted root,
    /// validity, certificate policies, revocation by the given CRLs / OCSP responses, hcRole.
    /// Exit 0 valid, 1 invalid (with the reason), 2 usage error.
    ValidatePath(ValidatePath),
}

#[derive(Args)]
pub(crate) struct ValidatePath {
    /// Trusted root certificate(s) (PEM, one or several, or DER), e.g. the MHLW HPKI Root CA.
    #[arg(long = "trust", required = true, value_name = "ROOT.pem")]
    trust: Vec<PathBuf>,
    /// Intermediate CA certificate(s), in any order (repeatable; PEM or DER).
    #[arg(long = "intermediate", value_name = "CA.pem")]
    intermediates: Vec<PathBuf>,
    /// CRL(s) (repeatable; DER or PEM). With CRLs or OCSP responses, the leaf's status must be
    /// known and no certificate of the path may be revoked.
    #[arg(long = "crl", value_name = "C.crl")]
    crls: Vec<PathBuf>,
    /// OCSP response(s) (repeatable; DER as `openssl ocsp -respout` writes).
    #[arg(long = "ocsp", value_name = "R.der")]
    ocsp: Vec<PathBuf>,
    /// Acceptable certificate policy (user-initial-policy-set; repeatable; default any policy),
    /// e.g. 1.2.392.100495.1.5.1.1.0.1.
    #[arg(long = "policy", value_name = "OID", value_parser = parse_oid)]
    policies: Vec<ObjectIdentifier>,
    /// Require the path to be valid for one of the policies (initial-explicit-policy).
    #[arg(long)]
    explicit_policy: bool,
    /// initial-policy-mapping-inhibit.
    #[arg(long)]
    inhibit_policy_mapping: bool,
    /// initial-any-policy-inhibit.
    #[arg(long)]
    inhibit_any_policy: bool,
    /// Validation time (検証時刻): RFC 3339 (2026-04-01T09:00:00+09:00) or YYYY-MM-DD (00:00
    /// UTC); default now.
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    at: Option<SystemTime>,
    /// The end-entity certificate (PEM or DER).
    #[arg(value_name = "LEAF.pem")]
    leaf: PathBuf,
}

pub(crate) fn parse_oid(s: &str) -> std::result::Result<ObjectIdentifier, String> {
    ObjectIdentifier::new(s.trim()).map_err(|_| format!("not a dotted OID: {s:?}"))
}

/// RFC 3339, or a date alone (midnight UTC).
pub(crate) fn parse_time(s: &str) -> std::result::Result<SystemTime, String> {
    use time::format_description::well_known::Rfc3339;
    if let Ok(t) = time::OffsetDateTime::parse(s, &Rfc3339) {
        return Ok(t.into());
    }
    let date_format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(s, &date_format)
        .map(|d| d.midnight().assume_utc().into())
        .map_err(|_| format!("not an RFC 3339 time or a YYYY-MM-DD date: {s:?}"))
}

/// Exit status 2 with a message: an input file that cannot be read is a usage error.
fn unreadable(path: &Path, e: std::io::Error) -> ExitCode {
    eprintln!(
        "error / エラー: cannot read {}: {e} / ファイルを読めません",
        path.display()
    );
    ExitCode::from(2)
}

fn invalid(e: &PathError) -> ExitCode {
    eprintln!("INVALID / 無効: {}", on_one_line(&e.text()));
    ExitCode::FAILURE
}

pub(crate) fn run(cmd: PkiCommand) -> Result<ExitCode> {
    match cmd {
        PkiCommand::ValidatePath(args) => Ok(validate(args)),
    }
}

/// Read every file, or the exit code of the first that cannot be read.
fn read_all(paths: &[PathBuf]) -> std::result::Result<Vec<Vec<u8>>, ExitCode> {
    paths
        .iter()
        .map(|p| std::fs::read(p).map_err(|e| unreadable(p, e)))
        .collect()
}

fn validate(args: ValidatePath) -> ExitCode {
    let leaf = match std::fs::read(&args.leaf) {
        Ok(b) => b,
        Err(e) => return unreadable(&args.leaf, e),
    };
    let (trust, inters, crl_files, ocsp_files) = match (
        read_all(&args.trust),
        read_all(&args.intermediates),
        read_all(&args.crls),
        read_all(&args.ocsp),
    ) {
        (Ok(a), Ok(b), Ok(c), Ok(d)) => (a, b, c, d),
        (Err(code), ..) | (_, Err(code), ..) | (_, _, Err(code), _) | (.., Err(code)) => {
            return code;
        }
    };
    // Decode everything to DER objects as given (a PEM file may hold several), so signatures
    // are checked over the bytes received.
    let decoded = (|| -> std::result::Result<_, PathError> {
        let leaf_der = input::certificate_ders(&leaf)?.swap_remove(0);
        let mut trust_der = Vec::new();
        for t in &trust {
            trust_der.extend(input::certificate_ders(t)?);
        }
        let mut inter_der = Vec::new();
        for i in &inters {
            inter_der.extend(input::certificate_ders(i)?);
        }
        let mut crls = Vec::new();
        for c in &crl_files {
            crls.extend(input::crls(c)?);
        }
        let mut ocsp_responses = Vec::new();
        for o in &ocsp_files {
            ocsp_responses.extend(input::ocsp_responses(o)?);
        }
        // CRL signers outside the path come from the intermediates given.
        let data = RevocationData {
            crls,
            ocsp_responses,
            certificates: inter_der.clone(),
        };
        Ok((leaf_der, trust_der, inter_der, data))
    })();
    let (leaf_der, trust_der, inter_der, data) = match decoded {
        Ok(d) => d,
        Err(e) => return invalid(&e),
    };

    let options = PathOptions {
        initial_policy_set: args.policies.clone(),
        initial_explicit_policy: args.explicit_policy,
        initial_policy_mapping_inhibit: args.inhibit_policy_mapping,
        initial_any_policy_inhibit: args.inhibit_any_policy,
        ..PathOptions::at(args.at.unwrap_or_else(|| crate::clock().now()))
    };
    let path = match validate_path_der(&leaf_der, &inter_der, &trust_der, &options) {
        Ok(p) => p,
        Err(e) => {
            println!("validation time / 検証時刻: {}", display(options.at));
            return invalid(&e);
        }
    };
    print_path(&path, &options);

    let check_revocation_status = !data.crls.is_empty() || !data.ocsp_responses.is_empty();
    let mut verdict = Ok(());
    if check_revocation_status {
        let report = check_revocation(&path, &data, options.at);
        println!("revocation / 失効確認:");
        for problem in &report.unreadable {
            println!("  unreadable input / 読めない入力: {problem}");
        }
        for c in &report.certificates {
            let line = match &c.status {
                RevocationStatus::Good {
                    source,
                    later_revocation,
                } => {
                    let later = later_revocation
                        .as_ref()
                        .map(|r| {
                            format!("; revoked later, at {} / 後日失効", display(r.revoked_at))
                        })
                        .unwrap_or_default();
                    format!("good / 有効 ({source}{later})")
                }
                RevocationStatus::Revoked { revocation, source } => format!(
                    "REVOKED / 失効 at {}{} ({source})",
                    display(revocation.revoked_at),
                    revocation
                        .reason_name()
                        .map(|r| format!(", reason {r}"))
                        .unwrap_or_default()
                ),
                RevocationStatus::Unknown { reasons } => format!(
                    "unknown / 不明 ({})",
                    on_one_line(&hpki_verify::revocation::problem::unknown_status_text(
                        reasons
                    ))
                ),
            };
            println!("  [{}] {line}", c.index);
        }
        // As `openssl verify -crl_check`: the leaf's status must be known; a revoked
        // certificate anywhere in the path fails.
        verdict = report.require(RevocationScope::Leaf);
    }

    print_subscriber(&path);
    match verdict {
        Ok(()) => {
            println!("VALID / 有効");
            ExitCode::SUCCESS
        }
        Err(e) => invalid(&e),
    }
}

fn print_path(path: &ValidPath, options: &PathOptions) {
    println!("path / 証明書パス:");
    let last = path.certificates.len() - 1;
    for (i, subject) in path.subjects().iter().enumerate() {
        let role = if i == last {
            " (trust anchor / トラストアンカー)"
        } else {
            ""
        };
        println!("  [{i}] {subject}{role}");
    }
    println!("validation time / 検証時刻: {}", display(options.at));
    if path.valid_policies.is_empty() {
        println!(
            "valid policies / 有効なポリシー: none / なし (the path is valid without a policy; --explicit-policy requires one)"
        );
    } else {
        let list: Vec<String> = path.valid_policies.iter().map(|o| o.to_string()).collect();
        println!("valid policies / 有効なポリシー: {}", list.join(", "));
    }
    // What HPKI relying parties check: the end entity's own CP OIDs (the MHLW chain's CA
    // certificates assert only their CA policies, so RFC 5280 finds no valid policy there).
    let asserted = hpki_verify::end_entity_policy::asserted_policies(path.leaf());
    let list: Vec<String> = asserted.iter().map(|o| o.to_string()).collect();
    println!(
        "policies of the certificate / 証明書のポリシー: {}",
        if list.is_empty() {
            "none / なし".to_owned()
        } else {
            list.join(", ")
        }
    );
}

fn print_subscriber(path: &ValidPath) {
    match Subscriber::from_certificate(path.leaf()) {
        Ok(s) => {
            if s.roles.is_empty() {
                println!("hcRole / 資格: none / なし");
            } else {
                let roles: Vec<String> = s.roles.iter().map(|r| r.to_string()).collect();
                println!("hcRole / 資格: {}", roles.join(", "));
            }
            let both = |a: &Option<String>, b: &Option<String>| match (a, b) {
                (Some(a), Some(b)) => format!("{a} / {b}"),
                (Some(a), None) | (None, Some(a)) => a.clone(),
                (None, None) => "-".into(),
            };
            println!(
                "subscriber / 利用者: {}, ID {}, {}",
                both(&s.name_romaji, &s.name_kanji),
                s.subscriber_id.as_deref().unwrap_or("-"),
                both(&s.organization, &s.organization_kanji)
            );
        }
        Err(e) => println!("hcRole / 資格: {}", on_one_line(&e.text())),
    }
}
