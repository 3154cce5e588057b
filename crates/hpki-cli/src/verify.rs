//! `hpki verify`: verify a signed document — CAdES (`.p7s` with `--detached`, `.p7m`), PAdES
//! (every signature of a PDF), XAdES (enveloped, detached, e-prescription) — as a relying party:
//! who signed, with what qualification (hcRole), when (the time-stamps), whether the document is
//! intact, whether the certificate was valid at signing time and what it is now, and the level
//! reached ([`hpki_verify::document`]).
//!
//! The trust anchors are `--trust` (the MHLW HPKI root, or the demo's). Unless `--no-fetch`,
//! the current validation data of the signers' and the TSAs' certificates is fetched over HTTP
//! from the URLs inside them (`hpki-fetch`: issuers from AIA caIssuers, CRLs from the
//! distribution points, OCSP from AIA) and added to what the document embeds; a fetch that
//! fails is a note, not an error. The report goes to stdout in Japanese (`--lang en` for
//! English) or as JSON (`--json`).
//!
//! Several files are verified in one process, one summary line each and a total (`--json`:
//! one JSON report per line, with its `"file"`).
//!
//! Exit status: 0 only when every document is fully valid, 1 otherwise, 2 for a usage error
//! or when no file could be read.

use hpki_text::Localized;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::SystemTime;

use anyhow::Result;
use clap::Args;
use der::asn1::ObjectIdentifier;
use hpki_sign::ltv::{ValidationData, ValidationSource};
use hpki_verify::document::{self, Document, Lang, Text, TrustAnchors, VerifyOptions};
use x509_cert::Certificate;

#[derive(Args)]
pub(crate) struct VerifyArgs {
    /// The signed file(s): a CAdES signature (.p7s, .p7m; DER or PEM), a signed PDF, a signed
    /// XML document or detached XML signature. With several files, one summary line each
    /// (`--json`: one JSON report per line, with its "file").
    #[arg(value_name = "FILE", required = true)]
    files: Vec<PathBuf>,
    /// The signed content of a detached signature (CAdES .p7s, detached XAdES); one FILE only.
    #[arg(long, value_name = "CONTENT")]
    detached: Option<PathBuf>,
    /// Trusted root certificate(s) (PEM, several per file allowed, or DER; repeatable), e.g. the
    /// MHLW HPKI Root CA.
    #[arg(long = "trust", required = true, value_name = "ROOT.pem")]
    trust: Vec<PathBuf>,
    /// Validation time, "now" (RFC 3339 or YYYY-MM-DD); default the current time.
    #[arg(long, value_name = "TIME", value_parser = crate::pki::parse_time)]
    at: Option<SystemTime>,
    /// Acceptable certificate policy of the signer's certificate (repeatable; with it, the
    /// signer's certificate must assert one of them and its path be valid, as HPKI relying
    /// parties check), e.g. 1.2.392.100495.1.5.1.1.0.1. Default: any policy.
    #[arg(long = "policy", value_name = "OID", value_parser = crate::pki::parse_oid)]
    policies: Vec<ObjectIdentifier>,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
    /// Language of the report: ja (default) or en.
    #[arg(long, value_name = "ja|en", default_value = "ja", value_parser = parse_lang)]
    lang: Lang,
    /// Do not fetch current revocation data: only what the document embeds is used.
    #[arg(long)]
    no_fetch: bool,
    /// A qualification (hcRole, in English or Japanese: "Medical Doctor", 医師) a signature
    /// must show (repeatable: one of them). E-prescriptions need no option: the prescriber's
    /// signature must be a doctor's or dentist's, the dispensing result's a pharmacist's.
    /// Default for other documents: any healthcare qualification.
    #[arg(long = "role", value_name = "ROLE", value_parser = parse_role)]
    roles: Vec<String>,
    /// Do not fail when the revocation status cannot be established (a revocation that is
    /// known still fails).
    #[arg(long)]
    no_revocation_check: bool,
}

/// A role of the HPKI role table, by its English hcRole string or its Japanese name.
fn parse_role(s: &str) -> std::result::Result<String, String> {
    hpki_profile::roles::RoleTable::shipped()
        .find(s.trim())
        .map(|r| r.en.clone())
        .ok_or_else(|| format!("{s:?} is not an HPKI role / HPKI の資格ではありません"))
}

fn parse_lang(s: &str) -> std::result::Result<Lang, String> {
    Lang::parse(s).ok_or_else(|| format!("ja or en, not {s:?}"))
}

/// Exit 2 with the reason, in both languages: the file could not be read.
fn unreadable(path: &Path, why: &Text) -> ExitCode {
    let t = cannot_read(path, why);
    eprintln!("{}\n{}", t.ja, t.en);
    ExitCode::from(2)
}

/// "`path` cannot be read: `why`", in both languages.
fn cannot_read(path: &Path, why: &Text) -> Text {
    Text::new(
        format!("エラー: {} を読み込めません: {}", path.display(), why.ja),
        format!("error: cannot read {}: {}", path.display(), why.en),
    )
}

pub(crate) fn run(args: VerifyArgs) -> Result<ExitCode> {
    if args.detached.is_some() && args.files.len() > 1 {
        eprintln!(
            "エラー: --detached は署名ファイル 1 つとだけ使えます\nerror: --detached goes with one signature file only"
        );
        return Ok(ExitCode::from(2));
    }
    let detached = match &args.detached {
        Some(p) => match std::fs::read(p) {
            Ok(c) => Some(c),
            Err(e) => return Ok(unreadable(p, &hpki_text::io_error(&e))),
        },
        None => None,
    };
    let mut trust: Vec<Certificate> = Vec::new();
    for p in &args.trust {
        let certs = std::fs::read(p)
            .map_err(|e| hpki_text::io_error(&e))
            .and_then(|b| hpki_verify::input::certificates(&b).map_err(|e| e.text()));
        match certs {
            Ok(c) if !c.is_empty() => trust.extend(c),
            Ok(_) => {
                let none = Text::new("証明書がありません", "no certificate in it");
                return Ok(unreadable(p, &none));
            }
            Err(why) => return Ok(unreadable(p, &why)),
        }
    }
    let anchors = TrustAnchors::new(trust.clone());
    let at = args.at.unwrap_or_else(|| crate::clock().now());
    let batch = args.files.len() > 1;
    let (mut valid, mut not_valid, mut unreadable_files) = (0usize, 0usize, 0usize);
    for file in &args.files {
        let content = match std::fs::read(file) {
            Ok(c) => c,
            Err(e) if batch => {
                unreadable_files += 1;
                eprintln!(
                    "{}",
                    cannot_read(file, &hpki_text::io_error(&e)).get(args.lang)
                );
                continue;
            }
            Err(e) => return Ok(unreadable(file, &hpki_text::io_error(&e))),
        };
        let doc = Document {
            content: &content,
            detached: detached.as_deref(),
        };
        let mut notes = Vec::new();
        let extra_validation = if args.no_fetch {
            ValidationData::default()
        } else {
            fetch(&doc, &trust, &mut notes)
        };
        let options = VerifyOptions {
            at,
            policies: args.policies.clone(),
            extra_validation,
            revocation_check: !args.no_revocation_check,
            roles: document::RolePolicy {
                other: args.roles.clone(),
                ..Default::default()
            },
        };
        let mut report = document::verify(&doc, &anchors, &options);
        report.notes.extend(notes);
        if report.is_valid() {
            valid += 1;
        } else {
            not_valid += 1;
        }
        match (batch, args.json) {
            (false, false) => print!("{}", report.to_text(args.lang)),
            (false, true) => println!("{}", report.to_json()),
            (true, false) => println!("{}: {}", file.display(), report.summary(args.lang)),
            (true, true) => {
                let mut value = serde_json::to_value(&report)?;
                if let Some(object) = value.as_object_mut() {
                    object.insert("file".into(), file.display().to_string().into());
                }
                println!("{value}");
            }
        }
    }
    if batch && !args.json {
        let total = args.files.len();
        println!(
            "{}",
            match args.lang {
                Lang::Ja => format!(
                    "計 {total} 件: 有効 {valid} 件、有効でない {not_valid} 件、読めないファイル {unreadable_files} 件"
                ),
                Lang::En => format!(
                    "{total} files: {valid} valid, {not_valid} not valid, {unreadable_files} unreadable"
                ),
            }
        );
    }
    Ok(if not_valid == 0 && unreadable_files == 0 {
        ExitCode::SUCCESS
    } else if unreadable_files > 0 && valid + not_valid == 0 {
        ExitCode::from(2)
    } else {
        ExitCode::from(1)
    })
}

/// The current validation data of every end-entity certificate of the document (signers,
/// TSAs), fetched over HTTP; what cannot be fetched becomes a note.
fn fetch(doc: &Document<'_>, trust: &[Certificate], notes: &mut Vec<Text>) -> ValidationData {
    let certs = document::certificates(doc);
    let mut known = certs.carried.clone();
    known.extend(trust.iter().cloned());
    let source = hpki_fetch::HttpValidationSource::new(known);
    let mut data = ValidationData::default();
    for cert in &certs.end_entities {
        let subject = cert.tbs_certificate().subject().to_string();
        if trust.contains(cert) {
            continue;
        }
        eprintln!("fetching current revocation data for {subject} / 失効情報を取得中…");
        match source.validation_data(cert) {
            Ok(d) => data.merge(d),
            Err(e) => {
                let t = e.text();
                notes.push(Text::new(
                    format!(
                        "「{subject}」の現在の失効情報を取得できませんでした: {}",
                        t.ja
                    ),
                    format!(
                        "current revocation data for \"{subject}\" could not be fetched: {}",
                        t.en
                    ),
                ));
            }
        }
    }
    data
}
