//! `hpki sign`: the doctor signs a document (紹介状, 診断書…) at a baseline level B-B … B-LTA
//! (ETSI EN 319 122-1 §6 for CAdES), with the 医師資格証 (PKCS#11, PIN in `HPKI_CARD_PIN` or
//! asked) or with a software key (encrypted PKCS#8, passphrase in `HPKI_SIGN_KEY_PASSPHRASE`
//! or the variable `--passphrase-env` names, or asked). No data directory is needed.
//!
//! B-T and above take an RFC 3161 TSA (`--tsa URL`); B-LT and above also fetch the validation
//! data over HTTP (`hpki-fetch`: the issuers from `--chain` / `--trust` or AIA caIssuers, CRLs
//! from the distribution points, OCSP from AIA). Everything is checked before the card is
//! asked to sign, so a PIN try is never spent on a signature that cannot be finished.
//! Progress goes to stderr; the signature is written crash-safe (temporary file, then rename).
//!
//! Formats:
//! - CAdES (`--format cades`, [`hpki_sign::cades`]): `--detached` (a .p7s, the default) or
//!   `--enveloping` (a .p7m).
//! - PAdES (`--format pades`, [`hpki_sign::pades`]): the signed PDF (an incremental update of
//!   the input); `--visible` adds a stamp (name and time) on the first page.
//! - XAdES (`--format xades`, [`hpki_sign::xades`]): `--enveloping` puts the signature inside
//!   the XML document (enveloped signature); otherwise a detached `ds:Signature` referencing the
//!   input by its file name; `--prescription` signs a Japanese e-prescription
//!   (`Document/Prescription/…`, the signature in `PrescriptionSign`).

use crate::failure::{Context as _, fail};
use hpki_text::Text;
use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::{ArgGroup, Args, ValueEnum};
use der::Decode;
use hpki_keys::{Signer, SoftwareKey};
use hpki_sign::cades;
use hpki_sign::ltv::{TimeStamper, ValidationSource};
use hpki_sign::{Level, SignContext};
use hpki_token::{Card, KeyUse, Pkcs11Card, TokenError};
use x509_cert::Certificate;
use zeroize::Zeroizing;

use crate::card::{Reader, card_pin};
use crate::{read, write};

/// The signature format.
#[derive(Clone, Copy, Debug, Eq, PartialEq, ValueEnum)]
pub(crate) enum Format {
    /// CAdES (ETSI EN 319 122-1): a CMS signature, detached (.p7s) or enveloping (.p7m).
    Cades,
    /// PAdES (ETSI EN 319 142-1): the signature inside the PDF.
    Pades,
    /// XAdES (ETSI EN 319 132-1): an XML signature.
    Xades,
}

/// The baseline level.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub(crate) enum LevelArg {
    /// B-B: the signature with signing-certificate-v2.
    B,
    /// B-T: with a signature time-stamp (needs --tsa).
    T,
    /// B-LT: with the certificates, CRLs and OCSP responses (needs --tsa).
    Lt,
    /// B-LTA: with an archive time-stamp (needs --tsa).
    Lta,
}

impl From<LevelArg> for Level {
    fn from(l: LevelArg) -> Self {
        match l {
            LevelArg::B => Level::B,
            LevelArg::T => Level::T,
            LevelArg::Lt => Level::Lt,
            LevelArg::Lta => Level::Lta,
        }
    }
}

/// Where the document goes relative to the signature.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub(crate) enum Packaging {
    /// A separate signature file (the default).
    Detached,
    /// The document inside the signature.
    Enveloping,
}

#[derive(Args)]
#[command(group(ArgGroup::new("signer").required(true).args(["key", "card"])))]
pub(crate) struct SignArgs {
    /// Signature format.
    #[arg(long, value_enum)]
    format: Format,
    /// Baseline level: b, t (signature time-stamp), lt (+ validation data), lta (+ archive
    /// time-stamp). t, lt and lta need --tsa.
    #[arg(long, value_enum)]
    level: LevelArg,
    /// The document to sign.
    #[arg(long = "in", value_name = "FILE")]
    input: PathBuf,
    /// Where to write the signature (DER).
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// The signature apart from the document (default for CAdES: a .p7s).
    #[arg(long, conflicts_with = "enveloping")]
    detached: bool,
    /// The document inside the signature (CAdES: a .p7m).
    #[arg(long)]
    enveloping: bool,
    /// A software signing key: encrypted PKCS#8 PEM (as `hpki demo` writes to
    /// demo-data/demo/taro-nichii-sign.key.pem); an unencrypted PKCS#8 PEM is accepted too.
    #[arg(long, value_name = "KEY.pem", requires = "cert")]
    key: Option<PathBuf>,
    /// The environment variable holding the key's passphrase (asked on the terminal if unset).
    #[arg(
        long,
        value_name = "VAR",
        default_value = "HPKI_SIGN_KEY_PASSPHRASE",
        requires = "key"
    )]
    passphrase_env: String,
    /// The certificate of --key (PEM or DER).
    #[arg(long, value_name = "CERT.pem", requires = "key")]
    cert: Option<PathBuf>,
    /// Sign with this card (医師資格証) and its signing key; PIN from HPKI_CARD_PIN or asked.
    #[arg(long, value_name = "CARD_ID")]
    card: Option<String>,
    #[command(flatten)]
    reader: Reader,
    /// Issuer certificates to include (repeatable; PEM, several per file allowed, or DER),
    /// e.g. the signing CA's.
    #[arg(long = "chain", value_name = "CA.pem")]
    chain: Vec<PathBuf>,
    /// The RFC 3161 time-stamping authority, e.g. http://127.0.0.1:8080/tsa.
    #[arg(long, value_name = "URL")]
    tsa: Option<String>,
    /// Trusted root certificate(s) the chain of the validation data ends at (repeatable; not
    /// fetched, only known).
    #[arg(long = "trust", value_name = "ROOT.pem")]
    trust: Vec<PathBuf>,
    /// PAdES: a visible stamp with the signer's name and the time on the first page (Japanese
    /// with the font of HPKI_CJK_FONT or IPAex Gothic, else ASCII).
    #[arg(long)]
    visible: bool,
    /// XAdES: the input is a Japanese e-prescription (電子処方箋) to sign in its layout.
    #[arg(long)]
    prescription: bool,
}

/// What a format takes besides the context and the document.
pub(crate) struct FormatOptions {
    packaging: Packaging,
    visible: bool,
    prescription: bool,
    /// The reference of a detached XML signature to its document: the input's file name.
    uri: String,
}

/// What makes the signature of one format from the signing context and the document.
type Produce = fn(&SignContext<'_>, &[u8], &FormatOptions, Level) -> Result<Vec<u8>>;

/// The one place a format is wired in: its producer.
fn producer(format: Format) -> Result<Produce> {
    Ok(match format {
        Format::Cades => produce_cades,
        Format::Pades => produce_pades,
        Format::Xades => produce_xades,
    })
}

impl Format {
    fn name(self) -> &'static str {
        match self {
            Format::Cades => "CAdES",
            Format::Pades => "PAdES",
            Format::Xades => "XAdES",
        }
    }
}

fn produce_cades(
    ctx: &SignContext<'_>,
    content: &[u8],
    options: &FormatOptions,
    level: Level,
) -> Result<Vec<u8>> {
    let packaging = match options.packaging {
        Packaging::Detached => cades::Packaging::Detached,
        Packaging::Enveloping => cades::Packaging::Enveloping,
    };
    Ok(cades::sign(ctx, content, packaging, level)?)
}

fn produce_pades(
    ctx: &SignContext<'_>,
    pdf: &[u8],
    options: &FormatOptions,
    level: Level,
) -> Result<Vec<u8>> {
    let mut pades_options = hpki_sign::pades::PadesOptions::default();
    if options.visible {
        let subscriber = hpki_verify::Subscriber::from_certificate(ctx.certificate).ok();
        let font = hpki_cardface::find_system_cjk_font().and_then(|p| std::fs::read(p).ok());
        let kanji = subscriber.as_ref().and_then(|s| s.name_kanji.clone());
        let romaji = subscriber.as_ref().and_then(|s| s.name_romaji.clone());
        let name = match (font.is_some(), kanji, romaji) {
            (true, Some(k), _) => k,
            (_, _, Some(r)) => r,
            _ => ctx.certificate.tbs_certificate().subject().to_string(),
        };
        pades_options.appearance = Some(hpki_sign::pades::Appearance::signer(
            0,
            [360.0, 40.0, 580.0, 90.0],
            &name,
            ctx.signing_time,
            font,
        )?);
    }
    Ok(hpki_sign::pades::sign(ctx, pdf, level, &pades_options)?)
}

fn produce_xades(
    ctx: &SignContext<'_>,
    content: &[u8],
    options: &FormatOptions,
    level: Level,
) -> Result<Vec<u8>> {
    use hpki_sign::xades;
    let xml = || {
        std::str::from_utf8(content).context_text(|| {
            Text::new(
                "文書が UTF-8 の XML ではありません",
                "the document is not UTF-8 XML",
            )
        })
    };
    let signed = if options.prescription {
        xades::sign_prescription(ctx, xml()?, level)?
    } else if options.packaging == Packaging::Enveloping {
        xades::sign_enveloped(ctx, xml()?, level)?
    } else {
        xades::sign_detached(ctx, content, &options.uri, level)?
    };
    Ok(signed.into_bytes())
}

pub(crate) fn run(args: SignArgs) -> Result<()> {
    // Everything that can be refused is refused before the key or the card is touched.
    let produce = producer(args.format)?;
    let level = Level::from(args.level);
    if level >= Level::T && args.tsa.is_none() {
        return Err(fail(
            format!(
                "{} にはタイムスタンプ局の URL（--tsa、例: http://127.0.0.1:8080/tsa）が必要です",
                level.name()
            ),
            format!(
                "--level {} ({}) needs a time-stamping authority: give --tsa URL (e.g. http://127.0.0.1:8080/tsa)",
                format!("{:?}", args.level).to_lowercase(),
                level.name()
            ),
        ));
    }
    let packaging = if args.enveloping {
        Packaging::Enveloping
    } else {
        Packaging::Detached
    };
    let options = FormatOptions {
        packaging,
        visible: args.visible,
        prescription: args.prescription,
        uri: args
            .input
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
    };
    let content = read(&args.input)?;
    let mut chain = Vec::new();
    for p in &args.chain {
        chain.extend(certificates(p)?);
    }
    let mut known = chain.clone();
    for p in &args.trust {
        known.extend(certificates(p)?);
    }
    let time_stamper = args.tsa.as_deref().map(hpki_fetch::HttpTimeStamper::new);
    let validation = hpki_fetch::HttpValidationSource::new(known);

    let context = |signer: &dyn Signer, certificate: &Certificate| -> Result<Vec<u8>> {
        let ctx = SignContext {
            signer,
            certificate,
            chain: &chain,
            signing_time: crate::clock().now(),
            time_stamper: time_stamper.as_ref().map(|t| t as &dyn TimeStamper),
            validation: (level >= Level::Lt).then_some(&validation as &dyn ValidationSource),
        };
        eprintln!(
            "signing {} as {} {} ({}){} / 署名中…",
            args.input.display(),
            args.format.name(),
            level.name(),
            match packaging {
                Packaging::Detached => "detached",
                Packaging::Enveloping => "enveloping",
            },
            args.tsa
                .as_deref()
                .map(|u| format!(", time-stamps from {u}"))
                .unwrap_or_default()
        );
        produce(&ctx, &content, &options, level)
    };

    let der = match (&args.key, &args.card) {
        (Some(key), _) => {
            let cert_path = args
                .cert
                .as_deref()
                .context_text(|| Text::new("--key には --cert が必要です", "--key needs --cert"))?;
            let certificate = one_certificate(cert_path)?;
            let key = software_key(key, &args.passphrase_env)?;
            eprintln!(
                "signer / 署名者: {} (software key / ソフトウェア鍵)",
                certificate.tbs_certificate().subject()
            );
            context(&key, &certificate)?
        }
        (None, Some(card_id)) => {
            let module = args.reader.module(None)?;
            let card = Pkcs11Card::open(&module, card_id)?;
            if card.pin_status()?.blocked() {
                return Err(TokenError::PinBlocked.into());
            }
            let der = card
                .certificate(KeyUse::Signing)?
                .ok_or(TokenError::NoCertificate(KeyUse::Signing))?;
            let certificate = Certificate::from_der(&der)?;
            let pin = card_pin(false)?;
            eprintln!(
                "signer / 署名者: {} (card / カード {card_id})",
                certificate.tbs_certificate().subject()
            );
            // A refusal keeps the card's own reason (a wrong PIN with the tries left).
            let signer = hpki_token::CardKeySigner::current(&card, KeyUse::Signing, &pin)?;
            context(&signer, &certificate)?
        }
        (None, None) => {
            return Err(fail(
                "--key と --cert、または --card を指定してください",
                "give --key and --cert, or --card",
            ));
        }
    };
    write(&args.out, &der)?;
    report(&args.out, &der, args.format);
    Ok(())
}

/// What was written, on stderr.
fn report(out: &Path, der: &[u8], format: Format) {
    let Format::Cades = format else {
        eprintln!(
            "wrote {} ({} bytes) / 書き出しました",
            out.display(),
            der.len()
        );
        return;
    };
    match cades::inspect(der) {
        Ok(info) => eprintln!(
            "wrote {}: CAdES {} {}, {} certificate(s), {} CRL(s), {} OCSP response(s), {} signature time-stamp(s), {} archive time-stamp(s) ({} bytes) / 署名を書き出しました",
            out.display(),
            info.level.name(),
            if info.detached {
                "detached"
            } else {
                "enveloping"
            },
            info.certificates.len(),
            info.crls.len(),
            info.ocsp_responses.len(),
            info.signature_time_stamps.len(),
            info.archive_time_stamps.len(),
            der.len()
        ),
        Err(e) => eprintln!("wrote {} ({e}) / 書き出しました", out.display()),
    }
}

/// Every certificate of a PEM (one or several) or DER file.
fn certificates(path: &Path) -> Result<Vec<Certificate>> {
    hpki_verify::input::certificates(&read(path)?).context_text(|| {
        Text::new(
            format!("{} から証明書を読めません", path.display()),
            format!("{} holds no certificate", path.display()),
        )
    })
}

fn one_certificate(path: &Path) -> Result<Certificate> {
    match certificates(path)?.into_iter().next() {
        Some(c) => Ok(c),
        None => Err(fail(
            format!("{} に証明書がありません", path.display()),
            format!("{} holds no certificate", path.display()),
        )),
    }
}

/// A software key: encrypted PKCS#8 (passphrase from `var` or asked), or unencrypted PKCS#8.
fn software_key(path: &Path, var: &str) -> Result<SoftwareKey> {
    let pem = String::from_utf8(read(path)?).context_text(|| {
        Text::new(
            format!("{} は PEM の鍵ではありません", path.display()),
            format!("{} is not a PEM key", path.display()),
        )
    })?;
    if pem.contains("-----BEGIN PRIVATE KEY-----") {
        eprintln!(
            "note: {} is not encrypted / 注意: 鍵が暗号化されていません",
            path.display()
        );
        let (_, der) = der::pem::decode_vec(pem.as_bytes()).context_text(|| {
            Text::new(
                format!("{} を PEM として読めません", path.display()),
                format!("{} is not PEM", path.display()),
            )
        })?;
        return Ok(SoftwareKey::from_pkcs8_der(&Zeroizing::new(der))?);
    }
    let passphrase = match std::env::var(var) {
        Ok(p) if !p.is_empty() => Zeroizing::new(p),
        Ok(_) => return Err(fail(format!("{var} が空です"), format!("{var} is empty"))),
        Err(_) => rpassword::prompt_password("signing key passphrase / 署名鍵のパスフレーズ: ")
            .map(Zeroizing::new)
            .context_text(|| {
                Text::new(
                    "パスフレーズがありません",
                    format!("no passphrase: set {var} or run on a terminal"),
                )
            })?,
    };
    SoftwareKey::from_encrypted_pem(&pem, &passphrase).context_text(|| {
        Text::new(
            format!("鍵 {} を開けません", path.display()),
            format!("cannot open the key {}", path.display()),
        )
    })
}
