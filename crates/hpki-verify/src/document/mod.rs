//! Verification of signed documents — CAdES, PAdES and XAdES, from B-B to B-LTA — as a
//! relying party of HPKI needs it: is it the person (本人), is the person a healthcare
//! professional (hcRole), was it changed (改ざん).
//!
//! [`verify`] recognises the format ([`detect`]: a CMS `ContentInfo` in DER or PEM is CAdES, a
//! `%PDF` file is PAdES with every signature in it, XML is XAdES — the e-prescription layout
//! included), reads each signature with `hpki-sign`'s readers and checks it as ETSI EN 319
//! 102-1 describes the validation of baseline signatures:
//!
//! 1. **Integrity** (EN 319 102-1 §5.2.7, §5.2.8): the CMS signature over its signed
//!    attributes and the message digest of the content (RFC 5652 §5.4: the detached content
//!    given, or the encapsulated one; for PDF the `/ByteRange`, ISO 32000-1 §12.8.1), or the
//!    XML-DSig references and `SignatureValue` (XML-DSig §3.2); a mismatch is
//!    [`Failure::Tampered`].
//! 2. **Time** (§5.6.2.2, §5.6.3): every signature time-stamp is verified over the signature
//!    value (RFC 3161, EN 319 122-1 §5.3), every archive time-stamp (EN 319 122-1 §5.5.3,
//!    EN 319 132-1 §5.5.2) or PAdES document time-stamp (EN 319 142-1 §5.4.3) over its own
//!    input. Each token's TSA certificate is path-validated to the trust anchors with its
//!    revocation data, *at the time of the next proof*: an earlier time-stamp at the `genTime`
//!    of the next archive time-stamp (which protects it and its validation data), the newest
//!    one at the validation time ("now", or `--at`). The **proven signing time** is the
//!    earliest `genTime` of a valid signature time-stamp; without one, the signer's claim
//!    (signing-time, `/M`, `SigningTime`) is reported as unproven and the certificate is
//!    validated now.
//! 3. **The signer's certificate at the proven time** (§5.2.6, §5.6.2.1): RFC 5280 §6.1 path
//!    validation with the caller's policies ([`crate::validate_path_der`]) to the trust
//!    anchors, through the certificates the document carries and those given; revocation
//!    ([`crate::check_revocation`]) from the values embedded in the document (CAdES
//!    `certificates`/`crls` with RFC 5940 OCSP, PAdES DSS, XAdES `CertificateValues`,
//!    `RevocationValues`, `TimeStampValidationData`) and the data the caller fetched
//!    ([`VerifyOptions::extra_validation`]). A revocation dated at or before the proven time
//!    fails ([`Failure::SignerRevoked`]); one dated later leaves the signature valid and the
//!    report says "revoked since".
//! 4. **The status now**, reported apart ([`StatusNow`]): the same path's validity periods at
//!    the validation time and any revocation the data shows.
//! 5. **Who** ([`Signer`]): names in romaji and kanji, subscriber ID, institution, and the
//!    hcRole; a certificate without hcRole fails ([`Failure::NoHcRole`]): an HPKI signature is
//!    the signature of a healthcare professional. The relying party's [`RolePolicy`] says which
//!    qualification a signature needs where it stands (an e-prescription's prescriber a doctor
//!    or dentist, a dispensing result's pharmacist a pharmacist); another is
//!    [`Failure::RoleNotAccepted`]. A medical document's layout ([`MedicalReport`]) places each
//!    of its signatures, and its management data (IDs, version) is reported as unsigned.
//! 6. **The level reached** ([`Level`]): B-B when the signature and the certificate are valid,
//!    B-T with a valid signature time-stamp, B-LT when the data *in the document* establishes
//!    the signer's status, B-LTA when its archive (document) time-stamps are all valid.
//!
//! # Verdict rules
//!
//! A signature is valid exactly when its [`SignatureReport::failures`] is empty, indeterminate
//! when each failure is a lack of usable evidence ([`Failure::is_indeterminate`]: a revocation
//! status not established, a time-stamp, transform or manifest file that cannot be checked, the
//! content not given), invalid otherwise; the document ([`Report::overall`]) takes the worst
//! of its signatures and its own failures, and needs at least one signature.
//!
//! - **Revocation unknown**: the status of every certificate of the signer's path (below the
//!   trust anchor) must be established at the proven time by a CRL or OCSP response, embedded
//!   or fetched, that is current then or was issued later but before the certificate expired
//!   (see [`crate::revocation`]); otherwise [`Failure::RevocationUnknown`]. The same holds for a
//!   time-stamp's TSA certificate validated at the time of a later proof. Only the newest
//!   time-stamp, checked "now", may have an unknown current status (a note, not a failure):
//!   its protection is its TSA certificate's validity, and a revoked TSA shows in the data the
//!   command line fetches by default. [`VerifyOptions::revocation_check`] `false` turns every
//!   "unknown" into a note (a revocation that is known still fails).
//! - **Time**: the signer is validated at the proven time, so a signature time-stamped while
//!   the certificate was valid stays valid after it expires (the B-LTA / XAdES-A case) as long
//!   as the time-stamps chain up to now; a time-stamp whose `genTime` is after the validation
//!   time is not valid.
//! - Notes (not failures): later incremental updates of a PDF, current revocation data
//!   missing for the status now, the signer's claimed time after the proven time.
//!
//! Pure: no network, no files, no clock except the default "now" of [`VerifyOptions::at`].

mod cades;
mod pades;
mod policy;
mod report;
mod xades;

use std::sync::Arc;
use std::time::SystemTime;

use const_oid::ObjectIdentifier;
use der::{Decode, Encode};
use hpki_sign::SignError;
use hpki_sign::ltv::ValidationData;
use hpki_sign::tsp::VerifiedTimeStamp;
use hpki_text::Localized;
use x509_cert::Certificate;
use x509_cert::ext::pkix::name::GeneralName;

use crate::revocation::{
    ParsedRevocationData, RevocationData, RevocationStatus, StatusSource, check_parsed,
};
use crate::time::from_x509;
use crate::{PathError, PathOptions, ValidPath, hc_roles, validate_path_der};

pub use policy::RolePolicy;
pub use report::{
    AtSigning, Failure, Format, Integrity, Lang, Level, MedicalKind, MedicalReport, Report, Role,
    SignatoryReport, SignatureReport, Signer, StatusNow, Text, TimeStampKind, TimeStampReport,
    Verdict, format_time,
};

/// A document to verify: the signed file (a `.p7s`/`.p7m`, a PDF, an XML document or
/// signature), and the signed content when the signature is detached.
#[derive(Clone, Copy, Debug)]
pub struct Document<'a> {
    /// The file: CMS (DER or PEM), PDF or XML.
    pub content: &'a [u8],
    /// The content a detached signature signs (CAdES `.p7s`, XAdES detached).
    pub detached: Option<&'a [u8]>,
}

impl<'a> Document<'a> {
    /// A document without detached content.
    pub fn new(content: &'a [u8]) -> Self {
        Document {
            content,
            detached: None,
        }
    }

    /// A detached signature and the content it signs.
    pub fn detached(signature: &'a [u8], content: &'a [u8]) -> Self {
        Document {
            content: signature,
            detached: Some(content),
        }
    }
}

/// What the caller decides.
#[derive(Clone, Debug)]
pub struct VerifyOptions {
    /// The validation time, "now" (the caller's clock; a report is about this moment).
    pub at: SystemTime,
    /// The acceptable certificate policies of the signer's certificate, checked as HPKI relying
    /// parties do: the signer's certificate asserts one of them and its path to the trust
    /// anchor is valid (the MHLW chain's CA certificates assert only their own CA policies, so
    /// RFC 5280 §6.1 processing with an explicit policy would refuse every real path); empty:
    /// any policy. E.g. the HPKI signing policy 1.2.392.100495.1.5.1.1.0.1.
    pub policies: Vec<ObjectIdentifier>,
    /// Certificates and current revocation data fetched by the caller (the CLI and the server
    /// use `hpki-fetch` or their own CA), added to what the document embeds.
    pub extra_validation: ValidationData,
    /// Whether an unknown revocation status fails (default `true`).
    pub revocation_check: bool,
    /// The qualifications each signature must show (default: a prescription by a doctor or a
    /// dentist, a dispensing result by a pharmacist, any hcRole elsewhere).
    pub roles: RolePolicy,
}

impl VerifyOptions {
    /// Verification now = `at`, any policy, the document's own validation data, an unknown
    /// revocation status failing.
    pub fn at(at: SystemTime) -> Self {
        VerifyOptions {
            at,
            policies: Vec::new(),
            extra_validation: ValidationData::default(),
            revocation_check: true,
            roles: RolePolicy::default(),
        }
    }
}

/// The format of a file: CMS (DER `SEQUENCE`, or PEM `PKCS7`/`CMS`) is CAdES, `%PDF-` (in the
/// first KiB, ISO 32000-1 §7.5.2) is PAdES, XML (`<` after an optional BOM and white space) is
/// XAdES.
pub fn detect(bytes: &[u8]) -> Option<Format> {
    let head = &bytes[..bytes.len().min(1024)];
    if head.windows(5).any(|w| w == b"%PDF-") {
        return Some(Format::Pades);
    }
    let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let start = text.iter().position(|b| !b.is_ascii_whitespace());
    match start.map(|i| &text[i..]) {
        Some(t) if t.starts_with(b"-----BEGIN ") => Some(Format::Cades),
        Some(t) if t.starts_with(b"<") => Some(Format::Xades),
        _ if bytes.first() == Some(&0x30) => Some(Format::Cades),
        _ => None,
    }
}

/// The certificates whose current validation data a caller may fetch for `document`: the
/// end-entity certificates (signers, TSAs) and every certificate the document carries (known
/// issuers, so that only what is missing is fetched). Empty for an unreadable document.
#[derive(Clone, Debug, Default)]
pub struct Certificates {
    /// The signers' and the TSAs' certificates.
    pub end_entities: Vec<Certificate>,
    /// Every certificate the document carries.
    pub carried: Vec<Certificate>,
}

/// What [`verify`] would validate in `document`: see [`Certificates`].
pub fn certificates(document: &Document<'_>) -> Certificates {
    let found = match detect(document.content) {
        Some(Format::Cades) => cades::collect(document),
        Some(Format::Pades) => pades::collect(document),
        Some(Format::Xades) => xades::collect(document),
        None => return Certificates::default(),
    };
    let mut out = Certificates::default();
    let decode = |der: &[u8]| Certificate::from_der(der).ok();
    for f in found.into_iter().flatten() {
        if let Some(c) = f.signer.as_deref().and_then(decode)
            && !out.end_entities.contains(&c)
        {
            out.end_entities.push(c);
        }
        for t in &f.time_stamps {
            if let Ok(v) = &t.result
                && !out.end_entities.contains(&v.tsa_certificate)
            {
                out.end_entities.push(v.tsa_certificate.clone());
            }
        }
        for c in f.embedded.certificates.iter().filter_map(|d| decode(d)) {
            if !out.carried.contains(&c) {
                out.carried.push(c);
            }
        }
    }
    out
}

/// The trust anchors documents are verified against (the MHLW HPKI root, or the demo's),
/// decoded and as DER side by side. A process that verifies many documents (a verification
/// service, the bench) makes them once instead of encoding them again for every document.
/// A certificate that cannot be encoded is left out: it could not anchor a path.
#[derive(Clone, Debug, Default)]
pub struct TrustAnchors {
    certificates: Vec<Certificate>,
    ders: Vec<Vec<u8>>,
}

impl TrustAnchors {
    /// The anchors `certificates`.
    pub fn new(certificates: impl IntoIterator<Item = Certificate>) -> Self {
        let (certificates, ders) = certificates
            .into_iter()
            .filter_map(|c| c.to_der().ok().map(|d| (c, d)))
            .unzip();
        TrustAnchors { certificates, ders }
    }

    /// The anchors, decoded.
    pub fn certificates(&self) -> &[Certificate] {
        &self.certificates
    }
}

/// Verifies every signature of `document` against the trust anchors `trust` (see the module
/// documentation for the checks and the verdict rules). Never fails: what cannot be read is a
/// [`Failure`] in the report.
pub fn verify(document: &Document<'_>, trust: &TrustAnchors, options: &VerifyOptions) -> Report {
    let now = options.at;
    let Some(format) = detect(document.content) else {
        return Report::failed(
            None,
            now,
            Failure::Unreadable {
                detail: Text::new(
                    "CMS 署名、PDF、XML のいずれでもありません",
                    "neither a CMS signature, a PDF nor an XML document",
                ),
            },
        );
    };
    let found = match format {
        Format::Cades => cades::collect(document),
        Format::Pades => pades::collect(document),
        Format::Xades => xades::collect(document),
    };
    let found = match found {
        Ok(f) => f,
        Err(failure) => return Report::failed(Some(format), now, failure),
    };
    let context = Context::new(trust, options, now);
    let (medical, failures, notes) = match format {
        Format::Xades => xades::medical(document)
            .map(|(m, f, n)| (Some(m), f, n))
            .unwrap_or_default(),
        _ => Default::default(),
    };
    let mut report = Report {
        format: Some(format),
        validated_at: now,
        medical,
        signatures: found.into_iter().map(|f| context.evaluate(f)).collect(),
        failures,
        notes,
        overall: Verdict::Invalid,
    };
    report.conclude();
    report
}

/// One time-stamp token as a format reader found and checked it over its input.
pub(crate) struct Token {
    pub kind: TimeStampKind,
    /// The token verified over what it must cover (its TSA certificate not yet validated).
    pub result: Result<VerifiedTimeStamp, SignError>,
}

/// What a format reader found about one signature, before the certificates are validated.
pub(crate) struct Found {
    pub format: Format,
    pub label: Option<String>,
    pub structure_level: Level,
    pub integrity: Integrity,
    /// The failures integrity checking found (tampered, content missing…).
    pub failures: Vec<Failure>,
    /// The signer's certificate, DER.
    pub signer: Option<Vec<u8>>,
    pub claimed_time: Option<SystemTime>,
    /// Signature time-stamps, then archive (document) time-stamps, each in order.
    pub time_stamps: Vec<Token>,
    /// The certificates and revocation data the document carries for this signature.
    pub embedded: ValidationData,
    pub notes: Vec<Text>,
    /// Where a medical document's layout places the signature (who must sign there).
    pub place: Option<hpki_sign::xades::Signatory>,
}

impl Found {
    pub(crate) fn new(format: Format, structure_level: Level) -> Found {
        Found {
            format,
            label: None,
            structure_level,
            integrity: Integrity::Intact,
            failures: Vec::new(),
            signer: None,
            claimed_time: None,
            time_stamps: Vec::new(),
            embedded: ValidationData::default(),
            notes: Vec::new(),
            place: None,
        }
    }

    /// Records a signature that does not sign the part of the layout it stands for (the content
    /// shown is not what was signed): the failure, and the integrity broken.
    pub(crate) fn layout_broken(&mut self, detail: Text) {
        self.integrity = Integrity::Broken {
            reason: detail.clone(),
        };
        self.failures.push(Failure::Layout { detail });
    }

    /// Records a broken integrity: the failure and the state.
    pub(crate) fn tampered(&mut self, detail: Text) {
        self.integrity = Integrity::Broken {
            reason: detail.clone(),
        };
        self.failures.push(Failure::Tampered { detail });
    }

    /// Records the outcome of the signature's own cryptographic check (CMS or XML-DSig).
    pub(crate) fn integrity_error(&mut self, e: &SignError) {
        match e {
            SignError::NoContent => {
                self.integrity = Integrity::Unknown {
                    reason: Text::new(
                        "署名対象の内容が指定されていません",
                        "the signed content was not given",
                    ),
                };
                self.failures.push(Failure::ContentMissing);
            }
            SignError::UnsupportedDigest(_)
            | SignError::UnsupportedSignatureAlgorithm(_)
            | SignError::UnsupportedTransform(_) => {
                let detail = e.text();
                self.integrity = Integrity::Unknown {
                    reason: detail.clone(),
                };
                self.failures.push(Failure::IntegrityNotChecked { detail });
            }
            SignError::Der(_) | SignError::Xml(_) | SignError::Pdf(_) => {
                let detail = e.text();
                self.integrity = Integrity::Unknown {
                    reason: detail.clone(),
                };
                self.failures.push(Failure::Unreadable { detail });
            }
            _ => self.tampered(e.text()),
        }
    }
}

/// The certificate among `ders` (a signature's certificates, DER) that `signer` names, decoded
/// (through [`crate::memo`]), with its DER as carried. Certificates that do not decode are
/// skipped.
pub(crate) fn signer_certificate(
    signer: &hpki_sign::cms::ParsedSignerInfo,
    ders: &[Vec<u8>],
) -> Option<(Arc<Certificate>, Vec<u8>)> {
    ders.iter().find_map(|der| {
        let c = crate::memo::certificate(der).ok()?;
        signer.identifies(&c).then(|| (c, der.clone()))
    })
}

/// The most signatures (CMS SignerInfos, PDF signatures and document time-stamps, XAdES
/// signatures) one document may carry to be verified: each costs path validations and
/// signature checks, so a crafted file of a thousand signers would take minutes. Real
/// documents carry one to a few (a dispensing result three at most).
pub const MAX_SIGNATURES: usize = 32;

/// The refusal of a document with `n` signatures, over [`MAX_SIGNATURES`].
pub(crate) fn too_many_signatures(n: usize) -> Failure {
    Failure::Unreadable {
        detail: Text::new(
            format!("署名が {n} 個あります。検証できるのは {MAX_SIGNATURES} 個までです"),
            format!("it carries {n} signatures; at most {MAX_SIGNATURES} are verified"),
        ),
    }
}

/// A readable failure of a whole file.
pub(crate) fn unreadable(e: &SignError) -> Failure {
    Failure::Unreadable { detail: e.text() }
}

/// An RFC 3339 `xsd:dateTime` (`2026-11-30T09:15:00Z`, `…+09:00`, fractions allowed) or a PDF
/// date (`D:20261130091500Z`, `D:20261130181500+09'00'`, ISO 32000-1 §7.9.4).
pub(crate) fn parse_time(s: &str) -> Option<SystemTime> {
    let s = s.trim();
    let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    let num = |t: &str| -> Option<u32> {
        if t.is_empty() || !digits(t) {
            return None;
        }
        t.parse().ok()
    };
    let (date, rest) = if let Some(pdf) = s.strip_prefix("D:") {
        let n = pdf.bytes().take_while(u8::is_ascii_digit).count();
        if n < 8 {
            return None;
        }
        let d = &pdf[..n];
        let part = |from: usize, len: usize, default: u32| {
            d.get(from..from + len).and_then(num).unwrap_or(default)
        };
        (
            (
                num(&d[0..4])?,
                part(4, 2, 1),
                part(6, 2, 1),
                part(8, 2, 0),
                part(10, 2, 0),
                part(12, 2, 0),
            ),
            pdf[n..].replace('\'', ":").trim_end_matches(':').to_owned(),
        )
    } else {
        let (d, t) = s.split_once('T')?;
        let mut dp = d.split('-');
        let (y, mo, da) = (num(dp.next()?)?, num(dp.next()?)?, num(dp.next()?)?);
        let time_len = t
            .bytes()
            .take_while(|b| b.is_ascii_digit() || *b == b':' || *b == b'.')
            .count();
        let mut tp = t[..time_len].split(':');
        let (h, mi) = (num(tp.next()?)?, num(tp.next()?)?);
        let sec = tp.next().unwrap_or("0");
        let sec = num(sec.split('.').next().unwrap_or("0"))?;
        ((y, mo, da, h, mi, sec), t[time_len..].to_owned())
    };
    let (y, mo, d, h, mi, sec) = date;
    let dt = der::DateTime::new(
        u16::try_from(y).ok()?,
        u8::try_from(mo).ok()?,
        u8::try_from(d).ok()?,
        u8::try_from(h).ok()?,
        u8::try_from(mi).ok()?,
        u8::try_from(sec.min(59)).ok()?,
    )
    .ok()?;
    let base = dt.to_system_time();
    let offset = match rest.as_str() {
        "" | "Z" => 0i64,
        o => {
            let sign = match o.as_bytes().first() {
                Some(b'+') => 1,
                Some(b'-') => -1,
                _ => return None,
            };
            let mut parts = o[1..].split(':');
            let oh = i64::from(num(parts.next()?)?);
            let om = i64::from(parts.next().and_then(num).unwrap_or(0));
            sign * (oh * 3600 + om * 60)
        }
    };
    let secs = i64::try_from(report::secs(base)).ok()? - offset;
    Some(crate::time::from_unix_secs(u64::try_from(secs).ok()?))
}

/// The CN of a name, or the whole name.
fn common_name_of(name: &x509_cert::name::Name) -> String {
    hpki_profile::name::attribute_values(name, hpki_profile::name::COMMON_NAME)
        .into_iter()
        .next()
        .unwrap_or_else(|| name.to_string())
}

/// The TSA's name: the token's `tsa` field (RFC 3161 §2.4.2), else its certificate's subject.
fn tsa_name(v: &VerifiedTimeStamp) -> String {
    match &v.tst_info.tsa {
        Some(GeneralName::DirectoryName(n)) => common_name_of(n),
        _ => common_name_of(v.tsa_certificate.tbs_certificate().subject()),
    }
}

fn gen_time(v: &VerifiedTimeStamp) -> SystemTime {
    SystemTime::UNIX_EPOCH + v.tst_info.gen_time.to_unix_duration()
}

/// The time-independent outcome of revocation checking of a path at one time.
struct Revocations {
    failures: Vec<Failure>,
    /// The certificates whose status is unknown: (subject, why).
    unknown: Vec<(String, Text)>,
    /// What established the leaf's status.
    leaf_source: Option<StatusSource>,
    /// The newest revocation after the validation time, per certificate index.
    later: Vec<(usize, String, crate::Revocation)>,
}

fn revocations(path: &ValidPath, data: &ParsedRevocationData, at: SystemTime) -> Revocations {
    let report = check_parsed(path, data, at);
    let mut out = Revocations {
        failures: Vec::new(),
        unknown: Vec::new(),
        leaf_source: None,
        later: Vec::new(),
    };
    for c in &report.certificates {
        match &c.status {
            RevocationStatus::Revoked { revocation, .. } => {
                let reason = revocation.reason_name().map(str::to_owned);
                out.failures.push(if c.index == 0 {
                    Failure::SignerRevoked {
                        revoked_at: revocation.revoked_at,
                        reason,
                    }
                } else {
                    Failure::IssuerRevoked {
                        subject: c.subject.clone(),
                        revoked_at: revocation.revoked_at,
                        reason,
                    }
                });
            }
            RevocationStatus::Good {
                source,
                later_revocation,
            } => {
                if c.index == 0 {
                    out.leaf_source = Some(source.clone());
                }
                if let Some(r) = later_revocation {
                    out.later.push((c.index, c.subject.clone(), r.clone()));
                }
            }
            RevocationStatus::Unknown { reasons } => out.unknown.push((
                c.subject.clone(),
                crate::revocation::problem::unknown_status_text(reasons),
            )),
        }
    }
    out
}

/// Whether a status source is current at `at` (thisUpdate ≤ at ≤ nextUpdate).
fn current_at(source: &StatusSource, at: SystemTime) -> bool {
    let (this, next) = match source {
        StatusSource::Crl {
            this_update,
            next_update,
            ..
        }
        | StatusSource::Ocsp {
            this_update,
            next_update,
            ..
        } => (*this_update, *next_update),
        StatusSource::NoCheck => return true,
    };
    this <= at && next.is_some_and(|n| at <= n)
}

/// A path error of the signer's certificate as a failure.
fn path_failure(e: &PathError, at: SystemTime) -> Failure {
    match e {
        PathError::UntrustedRoot { .. } => Failure::UntrustedRoot { detail: e.text() },
        PathError::Expired {
            index: 0,
            not_after,
            ..
        } => Failure::SignerExpired {
            not_after: *not_after,
            at,
        },
        PathError::NotYetValid {
            index: 0,
            not_before,
            ..
        } => Failure::SignerNotYetValid {
            not_before: *not_before,
            at,
        },
        _ => Failure::CertificatePath { detail: e.text() },
    }
}

/// The validation inputs shared by every signature of a document.
struct Context<'a> {
    trust: &'a [Certificate],
    trust_der: &'a [Vec<u8>],
    options: &'a VerifyOptions,
    now: SystemTime,
}

/// The inputs of one signature: the certificate pool and the revocation data.
struct Inputs {
    pool: Vec<Vec<u8>>,
    /// The pool decoded (shared through [`crate::memo`]) for the several validations of a
    /// signature; `None` when one of them does not decode (validation then reports it, from
    /// the DER).
    decoded: Option<Vec<Arc<Certificate>>>,
    data: ParsedRevocationData,
}

impl<'a> Context<'a> {
    fn new(trust: &'a TrustAnchors, options: &'a VerifyOptions, now: SystemTime) -> Self {
        Context {
            trust: &trust.certificates,
            trust_der: &trust.ders,
            options,
            now,
        }
    }

    fn inputs(&self, data: &ValidationData) -> Inputs {
        let pool: Vec<Vec<u8>> = data
            .certificates
            .iter()
            .filter(|c| !self.trust_der.contains(c))
            .cloned()
            .collect();
        let decoded = pool
            .iter()
            .map(|d| crate::memo::certificate(d))
            .collect::<Result<Vec<_>, _>>()
            .ok();
        let data = ParsedRevocationData::parse(&RevocationData {
            crls: data.crls.clone(),
            ocsp_responses: data.ocsp_responses.clone(),
            certificates: pool.clone(),
        });
        Inputs {
            pool,
            decoded,
            data,
        }
    }

    fn validate(
        &self,
        leaf: &[u8],
        inputs: &Inputs,
        at: SystemTime,
        policies: bool,
    ) -> Result<ValidPath, PathError> {
        let options = PathOptions::at(at);
        let path = match (&inputs.decoded, crate::memo::certificate(leaf)) {
            (Some(decoded), Ok(leaf_cert)) => crate::path::validate_decoded(
                (&leaf_cert, leaf),
                (decoded, &inputs.pool),
                (self.trust, self.trust_der),
                &options,
            ),
            _ => validate_path_der(leaf, &inputs.pool, self.trust_der, &options),
        }?;
        // The HPKI relying party's policy check: the signer's certificate asserts one of the
        // acceptable CP OIDs (see PathError::PolicyNotAsserted); strict RFC 5280 policy
        // processing stays with `hpki pki validate-path --explicit-policy`.
        if policies && !self.options.policies.is_empty() {
            let asserted = crate::end_entity_policy::asserted_policies(path.leaf());
            if !self.options.policies.iter().any(|p| asserted.contains(p)) {
                return Err(PathError::PolicyNotAsserted {
                    acceptable: self.options.policies.clone(),
                });
            }
        }
        Ok(path)
    }

    /// Checks the TSA of a verified token at the time of the next proof (`next_proof`: the
    /// `genTime` of the next archive time-stamp; `None`: none, so now); failures and notes are
    /// added.
    fn check_tsa(
        &self,
        v: &VerifiedTimeStamp,
        kind: TimeStampKind,
        next_proof: Option<SystemTime>,
        inputs: &Inputs,
        failures: &mut Vec<Failure>,
        notes: &mut Vec<Text>,
    ) -> bool {
        let g = gen_time(v);
        let (at, is_now) = match next_proof {
            Some(a) => (a, false),
            None => (self.now, true),
        };
        let invalid = |detail: Text| Failure::TimeStampInvalid {
            time_stamp: kind,
            detail,
        };
        if g > self.now {
            failures.push(invalid(Text::new(
                format!(
                    "検証時刻より後の {} に作成されています",
                    format_time(g, Lang::Ja)
                ),
                format!(
                    "it was made at {}, after the validation time",
                    format_time(g, Lang::En)
                ),
            )));
            return false;
        }
        let validity = v.tsa_certificate.tbs_certificate().validity();
        let (nb, na) = (
            from_x509(&validity.not_before),
            from_x509(&validity.not_after),
        );
        if g < nb || g > na {
            failures.push(invalid(Text::new(
                "タイムスタンプの時刻に TSA 証明書が有効期間外です",
                "its TSA certificate was not valid at the time-stamp's time",
            )));
            return false;
        }
        let path = match self.validate(&v.tsa_certificate_der, inputs, at, false) {
            Ok(p) => p,
            Err(e) => {
                let t = e.text();
                failures.push(invalid(Text::new(
                    format!("TSA 証明書: {}", t.ja),
                    format!("its TSA certificate: {}", t.en),
                )));
                return false;
            }
        };
        let r = revocations(&path, &inputs.data, at);
        if let Some(f) = r.failures.into_iter().next() {
            let t = f.text();
            failures.push(invalid(Text::new(
                format!("TSA: {}", t.ja),
                format!("its TSA: {}", t.en),
            )));
            return false;
        }
        let mut ok = true;
        for (subject, detail) in r.unknown {
            if is_now || !self.options.revocation_check {
                notes.push(Text::new(
                    format!(
                        "TSA 証明書「{subject}」の現在の失効状態は確認できません（{}）。有効期間内です",
                        kind.text_ja()
                    ),
                    format!(
                        "the current revocation status of the TSA certificate \"{subject}\" is not known ({}); it is within its validity period",
                        kind.text_en()
                    ),
                ));
            } else {
                failures.push(Failure::RevocationUnknown { subject, detail });
                ok = false;
            }
        }
        ok
    }

    fn evaluate(&self, found: Found) -> SignatureReport {
        let Found {
            format,
            label,
            structure_level,
            integrity,
            mut failures,
            signer,
            claimed_time,
            time_stamps,
            embedded,
            mut notes,
            place,
        } = found;

        // The certificate pool: what the document carries, the TSA certificates of its
        // tokens, and what the caller fetched.
        let mut embedded = embedded;
        for t in &time_stamps {
            if let Ok(v) = &t.result {
                embedded.merge(ValidationData {
                    certificates: vec![v.tsa_certificate_der.clone()],
                    ..Default::default()
                });
            }
        }
        if let Some(s) = &signer {
            embedded.merge(ValidationData {
                certificates: vec![s.clone()],
                ..Default::default()
            });
        }
        let extra = &self.options.extra_validation;
        let has_extra = !(extra.certificates.is_empty()
            && extra.crls.is_empty()
            && extra.ocsp_responses.is_empty());
        let inputs = if has_extra {
            let mut all = embedded.clone();
            all.merge(extra.clone());
            self.inputs(&all)
        } else {
            self.inputs(&embedded)
        };

        // Who.
        let signer_cert = signer
            .as_deref()
            .and_then(|d| crate::memo::certificate(d).ok());
        let signer_report = signer_cert.as_deref().map(signer_of);
        match &signer_report {
            None => failures.push(Failure::SignerCertificateMissing),
            Some(s) if s.roles.is_empty() => failures.push(Failure::NoHcRole),
            Some(s) => {
                if let Some(r) = self.options.roles.requirement(place)
                    && !r.met_by(&s.roles)
                {
                    failures.push(Failure::RoleNotAccepted {
                        signature: r.what,
                        accepted: r.accepted,
                        found: s.roles.iter().map(|r| r.role.clone()).collect(),
                    });
                }
            }
        }

        // Time: every token, its TSA validated at the time of the next proof.
        let mut archive_times: Vec<SystemTime> = time_stamps
            .iter()
            .filter(|t| t.kind != TimeStampKind::Signature)
            .filter_map(|t| t.result.as_ref().ok().map(gen_time))
            .collect();
        archive_times.sort();
        let mut ts_reports = Vec::new();
        let mut proven: Option<(SystemTime, String)> = None;
        let mut archives_valid = true;
        let mut any_archive = false;
        for t in &time_stamps {
            if t.kind != TimeStampKind::Signature {
                any_archive = true;
            }
            match &t.result {
                Err(e) => {
                    failures.push(match e {
                        SignError::ImprintMismatch => {
                            Failure::TimeStampOverOtherData { time_stamp: t.kind }
                        }
                        SignError::UnsupportedDigest(_)
                        | SignError::UnsupportedSignatureAlgorithm(_) => {
                            Failure::TimeStampUnusable {
                                time_stamp: t.kind,
                                detail: e.text(),
                            }
                        }
                        other => Failure::TimeStampInvalid {
                            time_stamp: t.kind,
                            detail: other.text(),
                        },
                    });
                    if t.kind != TimeStampKind::Signature {
                        archives_valid = false;
                    }
                    ts_reports.push(TimeStampReport {
                        kind: t.kind,
                        gen_time: None,
                        tsa: None,
                        valid: false,
                        validated_at: None,
                    });
                }
                Ok(v) => {
                    let g = gen_time(v);
                    let next = archive_times.iter().copied().find(|a| *a > g);
                    let at = next.unwrap_or(self.now);
                    let valid = self.check_tsa(v, t.kind, next, &inputs, &mut failures, &mut notes);
                    if valid
                        && t.kind == TimeStampKind::Signature
                        && proven.as_ref().is_none_or(|(p, _)| g < *p)
                    {
                        proven = Some((g, tsa_name(v)));
                    }
                    if !valid && t.kind != TimeStampKind::Signature {
                        archives_valid = false;
                    }
                    ts_reports.push(TimeStampReport {
                        kind: t.kind,
                        gen_time: Some(g),
                        tsa: Some(tsa_name(v)),
                        valid,
                        validated_at: Some(at),
                    });
                }
            }
        }
        if let (Some((p, _)), Some(c)) = (&proven, claimed_time)
            && c > *p + std::time::Duration::from_secs(300)
        {
            notes.push(Text::new(
                format!(
                    "署名者が申告した署名時刻 {} はタイムスタンプの時刻より後です",
                    format_time(c, Lang::Ja)
                ),
                format!(
                    "the signer's claimed signing time {} is after the time-stamp's time",
                    format_time(c, Lang::En)
                ),
            ));
        }

        // The signer's certificate at the proven time (now when unproven).
        let at = proven.as_ref().map(|(p, _)| *p).unwrap_or(self.now);
        let mut signer_failures: Vec<Failure> = Vec::new();
        let mut path = None;
        let mut leaf_revocation = None;
        let mut later = Vec::new();
        if let Some(der) = &signer {
            match self.validate(der, &inputs, at, true) {
                Ok(p) => {
                    let r = revocations(&p, &inputs.data, at);
                    signer_failures.extend(r.failures);
                    for (subject, detail) in r.unknown {
                        if self.options.revocation_check {
                            signer_failures.push(Failure::RevocationUnknown { subject, detail });
                        } else {
                            notes.push(Text::new(
                                format!("「{subject}」の失効状態は確認していません（--no-revocation-check）"),
                                format!("the revocation status of \"{subject}\" was not checked (--no-revocation-check)"),
                            ));
                        }
                    }
                    leaf_revocation = r.leaf_source;
                    later = r.later;
                    path = Some(p);
                }
                Err(e) => signer_failures.push(path_failure(&e, at)),
            }
        }
        // A revocation at signing time is a revocation now too.
        for f in &signer_failures {
            match f {
                Failure::SignerRevoked { revoked_at, reason } => later.push((
                    0,
                    String::new(),
                    crate::Revocation {
                        revoked_at: *revoked_at,
                        reason: reason.as_deref().and_then(reason_code),
                        invalidity_date: None,
                    },
                )),
                Failure::IssuerRevoked {
                    subject,
                    revoked_at,
                    reason,
                } => later.push((
                    1,
                    subject.clone(),
                    crate::Revocation {
                        revoked_at: *revoked_at,
                        reason: reason.as_deref().and_then(reason_code),
                        invalidity_date: None,
                    },
                )),
                _ => {}
            }
        }
        let at_signing = match signer_failures.first() {
            Some(f) => AtSigning::Invalid { reason: f.clone() },
            None if signer.is_none() => AtSigning::Invalid {
                reason: Failure::SignerCertificateMissing,
            },
            None => AtSigning::Valid {
                at,
                proven: proven.is_some(),
                revocation: leaf_revocation.as_ref().map(describe_source),
            },
        };
        failures.extend(signer_failures);

        // The status now.
        let now_status = self.status_now(
            signer.as_deref(),
            path.as_ref(),
            &later,
            leaf_revocation.as_ref(),
            &inputs,
        );

        // The level reached.
        let base_ok =
            matches!(integrity, Integrity::Intact) && matches!(at_signing, AtSigning::Valid { .. });
        let level = base_ok.then(|| {
            if proven.is_none() {
                return Level::B;
            }
            let embedded_covers = match &path {
                Some(p) if has_extra => {
                    let own = self.inputs(&embedded);
                    let r = revocations(p, &own.data, at);
                    r.failures.is_empty() && r.unknown.is_empty()
                }
                Some(_) => {
                    leaf_revocation.is_some()
                        && !failures
                            .iter()
                            .any(|f| matches!(f, Failure::RevocationUnknown { .. }))
                }
                None => false,
            };
            match (embedded_covers, any_archive && archives_valid) {
                (false, _) => Level::T,
                (true, false) => Level::Lt,
                (true, true) => Level::Lta,
            }
        });
        if let Some(l) = level
            && l < structure_level
            && failures.is_empty()
        {
            notes.push(Text::new(
                format!(
                    "文書は {} の構成ですが、確認できたのは {} までです（埋め込まれた検証情報で署名者の失効状態を確認できないため、現在の情報を使いました）",
                    structure_level.name(),
                    l.name()
                ),
                format!(
                    "the document is built as {} but only {} was established (e.g. the embedded validation data does not cover the signer; current data was used)",
                    structure_level.name(),
                    l.name()
                ),
            ));
        }

        let verdict = Failure::verdict_of(&failures);
        let tsa = proven.as_ref().map(|(_, n)| n.clone());
        SignatureReport {
            format,
            label,
            structure_level,
            level,
            signer: signer_report,
            claimed_signing_time: claimed_time,
            proven_signing_time: proven.map(|(p, _)| p),
            tsa,
            time_stamps: ts_reports,
            integrity,
            at_signing,
            now: now_status,
            failures,
            notes,
            signatory: place.map(Into::into),
            verdict,
        }
    }

    /// The signer's certificate now: the validity periods of the path validated at signing
    /// time, at the validation time, and any later revocation; without such a path, a
    /// validation now.
    fn status_now(
        &self,
        signer: Option<&[u8]>,
        path: Option<&ValidPath>,
        later: &[(usize, String, crate::Revocation)],
        leaf_source: Option<&StatusSource>,
        inputs: &Inputs,
    ) -> StatusNow {
        let Some(path) = path else {
            let Some(der) = signer else {
                return StatusNow::Invalid {
                    reason: Text::new("署名者の証明書がありません", "no signer certificate"),
                };
            };
            return match self.validate(der, inputs, self.now, true) {
                Ok(p) => {
                    let r = revocations(&p, &inputs.data, self.now);
                    match r.failures.first() {
                        Some(Failure::SignerRevoked { revoked_at, reason }) => StatusNow::Revoked {
                            since: *revoked_at,
                            reason: reason.clone(),
                        },
                        Some(Failure::IssuerRevoked {
                            subject,
                            revoked_at,
                            ..
                        }) => StatusNow::IssuerRevoked {
                            subject: subject.clone(),
                            since: *revoked_at,
                        },
                        _ => StatusNow::Valid,
                    }
                }
                Err(e) => match path_failure(&e, self.now) {
                    Failure::SignerExpired { not_after, .. } => {
                        StatusNow::Expired { since: not_after }
                    }
                    Failure::SignerNotYetValid { not_before, .. } => {
                        StatusNow::NotYetValid { until: not_before }
                    }
                    f => StatusNow::Invalid { reason: f.text() },
                },
            };
        };
        if let Some((index, subject, r)) = later.iter().min_by_key(|(i, _, _)| *i) {
            return if *index == 0 {
                StatusNow::Revoked {
                    since: r.revoked_at,
                    reason: r.reason_name().map(str::to_owned),
                }
            } else {
                StatusNow::IssuerRevoked {
                    subject: subject.clone(),
                    since: r.revoked_at,
                }
            };
        }
        for (i, c) in path.certificates.iter().enumerate() {
            let v = c.tbs_certificate().validity();
            let (nb, na) = (from_x509(&v.not_before), from_x509(&v.not_after));
            if i == 0 && self.now > na {
                return StatusNow::Expired { since: na };
            }
            if i == 0 && self.now < nb {
                return StatusNow::NotYetValid { until: nb };
            }
            if self.now > na || self.now < nb {
                let subject = crate::dn::display(c.tbs_certificate().subject());
                return StatusNow::Invalid {
                    reason: Text::new(
                        format!("認証局の証明書「{subject}」が有効期間外です"),
                        format!("the CA certificate \"{subject}\" is outside its validity period"),
                    ),
                };
            }
        }
        if let Some(source) = leaf_source
            && !current_at(source, self.now)
        {
            return StatusNow::Unknown {
                latest: describe_source(source),
            };
        }
        StatusNow::Valid
    }
}

impl TimeStampKind {
    fn text_en(self) -> &'static str {
        match self {
            TimeStampKind::Signature => "signature time-stamp",
            TimeStampKind::Archive => "archive time-stamp",
            TimeStampKind::Document => "document time-stamp",
        }
    }

    fn text_ja(self) -> &'static str {
        match self {
            TimeStampKind::Signature => "署名タイムスタンプ",
            TimeStampKind::Archive => "アーカイブタイムスタンプ",
            TimeStampKind::Document => "文書タイムスタンプ",
        }
    }
}

/// The reason code of an RFC 5280 reason name.
fn reason_code(name: &str) -> Option<x509_cert::ext::pkix::CrlReason> {
    use x509_cert::ext::pkix::CrlReason::*;
    [
        Unspecified,
        KeyCompromise,
        CaCompromise,
        AffiliationChanged,
        Superseded,
        CessationOfOperation,
        CertificateHold,
        RemoveFromCRL,
        PrivilegeWithdrawn,
        AaCompromise,
    ]
    .into_iter()
    .find(|r| crate::revocation::reason_name(*r) == name)
}

/// What established a status, for people: the CRL (its number, issuer, time) or the OCSP
/// response (its responder, time).
fn describe_source(source: &StatusSource) -> Text {
    let cn = |s: &str| {
        s.split(',')
            .find_map(|p| p.trim().strip_prefix("CN="))
            .unwrap_or(s)
            .to_owned()
    };
    match source {
        StatusSource::Crl {
            issuer,
            number,
            this_update,
            ..
        } => Text::new(
            format!(
                "{} の CRL（{}{} 発行）",
                cn(issuer),
                number
                    .as_deref()
                    .map(|n| format!("第{n}号、"))
                    .unwrap_or_default(),
                format_time(*this_update, Lang::Ja)
            ),
            format!(
                "CRL{} of {} issued {}",
                number
                    .as_deref()
                    .map(|n| format!(" #{n}"))
                    .unwrap_or_default(),
                cn(issuer),
                format_time(*this_update, Lang::En)
            ),
        ),
        StatusSource::Ocsp {
            responder,
            this_update,
            ..
        } => {
            let who = match responder {
                crate::Responder::Issuer => Text::new("発行元の認証局", "the issuing CA"),
                crate::Responder::Delegated { subject } => Text::new(cn(subject), cn(subject)),
            };
            Text::new(
                format!(
                    "OCSP 応答（{}、{}）",
                    who.ja,
                    format_time(*this_update, Lang::Ja)
                ),
                format!(
                    "OCSP response of {} at {}",
                    who.en,
                    format_time(*this_update, Lang::En)
                ),
            )
        }
        StatusSource::NoCheck => Text::new(
            "id-pkix-ocsp-nocheck の応答者証明書",
            "a responder certificate with id-pkix-ocsp-nocheck",
        ),
    }
}

/// Who a certificate names.
fn signer_of(cert: &Certificate) -> Signer {
    let tbs = cert.tbs_certificate();
    let who = crate::Subscriber::from_certificate(cert).unwrap_or_default();
    let roles = hc_roles(cert)
        .unwrap_or_default()
        .into_iter()
        .map(|r| Role {
            role: r.role,
            role_ja: r.role_ja,
        })
        .collect();
    Signer {
        name_romaji: who.name_romaji,
        name_kanji: who.name_kanji,
        subscriber_id: who.subscriber_id,
        organization: who.organization,
        organization_kanji: who.organization_kanji,
        roles,
        subject: crate::dn::display(tbs.subject()),
        issuer: crate::dn::display(tbs.issuer()),
        serial: crate::revocation::hex(tbs.serial_number().as_bytes()),
        not_before: from_x509(&tbs.validity().not_before),
        not_after: from_x509(&tbs.validity().not_after),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::display;

    #[test]
    fn formats_are_recognised_by_their_first_bytes() {
        assert_eq!(detect(b"%PDF-1.7\n"), Some(Format::Pades));
        assert_eq!(
            detect(b"\xEF\xBB\xBF<?xml version=\"1.0\"?><a/>"),
            Some(Format::Xades)
        );
        assert_eq!(detect(b"  <Document/>"), Some(Format::Xades));
        assert_eq!(detect(&[0x30, 0x82, 0x01, 0x00]), Some(Format::Cades));
        assert_eq!(detect(b"-----BEGIN PKCS7-----\n"), Some(Format::Cades));
        assert_eq!(detect(b"hello"), None);
        let report = verify(
            &Document::new(b"hello"),
            &TrustAnchors::default(),
            &VerifyOptions::at(hpki_clock::from_unix(1_796_050_800)),
        );
        assert!(!report.is_valid());
        assert!(matches!(report.failures[..], [Failure::Unreadable { .. }]));
    }

    #[test]
    fn claimed_times_parse_in_xml_and_pdf_forms() {
        let t = |s: &str| parse_time(s).map(display);
        assert_eq!(
            t("2026-11-30T09:15:00Z").as_deref(),
            Some("2026-11-30T09:15:00Z")
        );
        assert_eq!(
            t("2026-11-30T18:15:00.123+09:00").as_deref(),
            Some("2026-11-30T09:15:00Z")
        );
        assert_eq!(
            t("D:20261130091500Z").as_deref(),
            Some("2026-11-30T09:15:00Z")
        );
        assert_eq!(
            t("D:20261130181500+09'00'").as_deref(),
            Some("2026-11-30T09:15:00Z")
        );
        assert_eq!(t("yesterday"), None);
    }
}
