//! The verification report: what [`super::verify`] found about each signature of a document,
//! in Japanese and English ([`Report::to_text`]) and as JSON ([`Report::to_json`], serde).
//!
//! A report answers the questions of a relying party of an HPKI signature (JAHIS HPKI
//! signature standard; the MHLW HPKI CP): who signed (本人: names, subscriber ID, institution),
//! with what qualification (hcRole, ISO 17090-3), when (the time a time-stamp proves, and its
//! TSA), whether the document is intact (改ざん), whether the certificate was valid at signing
//! time and what it is now, and the baseline level reached (ETSI EN 319 102-1 §5 validation of
//! B-B … B-LTA signatures). Each reason for failure is one [`Failure`].

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Serialize, Serializer};

use crate::time::display;

pub use hpki_text::{Lang, Localized, Text};

/// A time as RFC 3339 UTC (`2026-11-30T09:15:00Z`) in JSON.
fn ser_time<S: Serializer>(t: &SystemTime, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&display(*t))
}

fn ser_opt_time<S: Serializer>(t: &Option<SystemTime>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_str(&display(*t)),
        None => s.serialize_none(),
    }
}

/// A time for people: Japan time in Japanese (the signer's and the reader's), UTC in English.
pub fn format_time(t: SystemTime, lang: Lang) -> String {
    match lang {
        Lang::En => display(t),
        Lang::Ja => {
            let jst = t + Duration::from_secs(9 * 3600);
            match der::DateTime::from_system_time(jst) {
                Ok(d) => format!(
                    "{}年{}月{}日 {:02}:{:02}:{:02}（日本時間）",
                    d.year(),
                    d.month(),
                    d.day(),
                    d.hour(),
                    d.minutes(),
                    d.seconds()
                ),
                Err(_) => display(t),
            }
        }
    }
}

/// The signature format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Format {
    /// CAdES (ETSI EN 319 122-1): a CMS signature, detached or enveloping.
    #[serde(rename = "CAdES")]
    Cades,
    /// PAdES (ETSI EN 319 142-1): a signature inside a PDF.
    #[serde(rename = "PAdES")]
    Pades,
    /// XAdES (ETSI EN 319 132-1): an XML signature (enveloped, detached, e-prescription).
    #[serde(rename = "XAdES")]
    Xades,
}

impl Format {
    /// `CAdES`, `PAdES`, `XAdES`.
    pub fn name(self) -> &'static str {
        match self {
            Format::Cades => "CAdES",
            Format::Pades => "PAdES",
            Format::Xades => "XAdES",
        }
    }
}

/// A baseline level (ETSI EN 319 102-1 / EN 319 122-1 §6), as in reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Level {
    /// B-B: the signature with signing-certificate-v2.
    #[serde(rename = "B-B")]
    B,
    /// B-T: with a signature time-stamp.
    #[serde(rename = "B-T")]
    T,
    /// B-LT: with the validation data.
    #[serde(rename = "B-LT")]
    Lt,
    /// B-LTA: with archive (or document) time-stamps.
    #[serde(rename = "B-LTA")]
    Lta,
}

impl Level {
    /// `B-B` … `B-LTA`.
    pub fn name(self) -> &'static str {
        match self {
            Level::B => "B-B",
            Level::T => "B-T",
            Level::Lt => "B-LT",
            Level::Lta => "B-LTA",
        }
    }
}

impl From<hpki_sign::Level> for Level {
    fn from(l: hpki_sign::Level) -> Self {
        match l {
            hpki_sign::Level::B => Level::B,
            hpki_sign::Level::T => Level::T,
            hpki_sign::Level::Lt => Level::Lt,
            hpki_sign::Level::Lta => Level::Lta,
        }
    }
}

/// Which time-stamp a failure is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeStampKind {
    /// The signature time-stamp (B-T: over the signature value).
    Signature,
    /// An archive time-stamp (CAdES archive-time-stamp-v3, XAdES ArchiveTimeStamp).
    Archive,
    /// A PAdES document time-stamp (`/ETSI.RFC3161`).
    Document,
}

impl TimeStampKind {
    fn text(self) -> Text {
        match self {
            TimeStampKind::Signature => Text::new("署名タイムスタンプ", "signature time-stamp"),
            TimeStampKind::Archive => Text::new("アーカイブタイムスタンプ", "archive time-stamp"),
            TimeStampKind::Document => Text::new("文書タイムスタンプ", "document time-stamp"),
        }
    }
}

/// Why a verification failed: one precise reason each.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Failure {
    /// The file is not a signature or signed document hpki can read.
    Unreadable {
        /// Why.
        detail: Text,
    },
    /// The document carries no signature.
    NoSignature,
    /// A detached signature was given without its content (`--detached`).
    ContentMissing,
    /// The signed data was changed after signing (RFC 5652 §5.4 message digest, XML-DSig
    /// reference digests, the PDF byte range), or the signature value does not verify.
    Tampered {
        /// What did not match.
        detail: Text,
    },
    /// The signer's certificate is not in the signature.
    SignerCertificateMissing,
    /// No certification path from the signer's certificate to a trusted root (RFC 5280 §6.1).
    UntrustedRoot {
        /// The path builder's explanation.
        detail: Text,
    },
    /// The certification path is not valid for another reason (a CA certificate expired, a bad
    /// certificate signature, no acceptable policy…; RFC 5280 §6.1.3–§6.1.5).
    CertificatePath {
        /// The validator's explanation.
        detail: Text,
    },
    /// The signer's certificate had expired at the validation time.
    SignerExpired {
        /// Its `notAfter`.
        #[serde(serialize_with = "ser_time")]
        not_after: SystemTime,
        /// The validation time.
        #[serde(serialize_with = "ser_time")]
        at: SystemTime,
    },
    /// The signer's certificate was not yet valid at the validation time.
    SignerNotYetValid {
        /// Its `notBefore`.
        #[serde(serialize_with = "ser_time")]
        not_before: SystemTime,
        /// The validation time.
        #[serde(serialize_with = "ser_time")]
        at: SystemTime,
    },
    /// The signer's certificate was revoked at or before the validation time (RFC 5280 §6.3,
    /// RFC 6960).
    SignerRevoked {
        /// `revocationDate` / `revocationTime`.
        #[serde(serialize_with = "ser_time")]
        revoked_at: SystemTime,
        /// The RFC 5280 reason name, if stated.
        reason: Option<String>,
    },
    /// A CA certificate of the signer's path was revoked at or before the validation time.
    IssuerRevoked {
        /// The CA's subject.
        subject: String,
        /// When.
        #[serde(serialize_with = "ser_time")]
        revoked_at: SystemTime,
        /// The RFC 5280 reason name, if stated.
        reason: Option<String>,
    },
    /// No CRL or OCSP response, embedded or fetched, establishes the status of a certificate
    /// at the validation time.
    RevocationUnknown {
        /// The certificate's subject.
        subject: String,
        /// Why each source did not answer.
        detail: Text,
    },
    /// The signer's certificate states no hcRole: not the certificate of a healthcare
    /// professional (ISO 17090-3; the MHLW HPKI CP requires it).
    NoHcRole,
    /// A time-stamp token is valid but time-stamps other data (RFC 3161 §2.4.2 message imprint).
    TimeStampOverOtherData {
        /// Which time-stamp.
        time_stamp: TimeStampKind,
    },
    /// A time-stamp token is not valid: its signature, its TSA certificate, its path or
    /// revocation, or its time.
    TimeStampInvalid {
        /// Which time-stamp.
        time_stamp: TimeStampKind,
        /// Why.
        detail: Text,
    },
    /// A time-stamp token that cannot be checked: an algorithm hpki does not accept (SHA-1), a
    /// form it cannot read. Not evidence against the signature, but no evidence either.
    TimeStampUnusable {
        /// Which time-stamp.
        time_stamp: TimeStampKind,
        /// Why.
        detail: Text,
    },
    /// Whether the signed data is unchanged cannot be checked: a transform or digest hpki does
    /// not support, a reference to data that was not given.
    IntegrityNotChecked {
        /// Why.
        detail: Text,
    },
    /// A medical document (処方箋, 調剤結果) whose layout is not kept: a signature that does not
    /// sign the part it stands for, a signature missing from its place.
    Layout {
        /// Why.
        detail: Text,
    },
    /// The signer's qualification is not one the document needs (a prescription signed by a
    /// nurse): the relying party's role policy ([`super::RolePolicy`]).
    RoleNotAccepted {
        /// Which signature, for people.
        signature: Text,
        /// The hcRoles accepted there.
        accepted: Vec<String>,
        /// The hcRoles of the signer's certificate.
        found: Vec<String>,
    },
}

impl Failure {
    /// Whether the failure is a lack of usable evidence (the verdict is then indeterminate)
    /// rather than evidence that the signature is wrong.
    pub fn is_indeterminate(&self) -> bool {
        matches!(
            self,
            Failure::RevocationUnknown { .. }
                | Failure::ContentMissing
                | Failure::TimeStampUnusable { .. }
                | Failure::IntegrityNotChecked { .. }
        )
    }

    /// The verdict `failures` lead to: valid without any, indeterminate when each is a lack of
    /// evidence, invalid otherwise.
    pub fn verdict_of<'a>(failures: impl IntoIterator<Item = &'a Failure>) -> Verdict {
        let mut verdict = Verdict::Valid;
        for f in failures {
            if !f.is_indeterminate() {
                return Verdict::Invalid;
            }
            verdict = Verdict::Indeterminate;
        }
        verdict
    }

    /// The reason in `lang`, one sentence.
    pub fn message(&self, lang: Lang) -> String {
        let t = self.text();
        t.get(lang).to_owned()
    }

    /// The reason in both languages.
    pub fn text(&self) -> Text {
        use Failure::*;
        match self {
            Unreadable { detail } => Text::new(
                format!("署名として読み取れません: {}", detail.ja),
                format!("not a signature hpki can read: {}", detail.en),
            ),
            NoSignature => Text::new(
                "文書に署名がありません",
                "the document carries no signature",
            ),
            ContentMissing => Text::new(
                "分離署名です。署名対象の文書を指定してください（--detached）",
                "the signature is detached: give the signed document (--detached) to check it",
            ),
            Tampered { detail } => Text::new(
                format!(
                    "改ざんされています: 署名後に文書が変更されています — {}",
                    detail.ja
                ),
                format!(
                    "tampered: the document was changed after signing — {}",
                    detail.en
                ),
            ),
            SignerCertificateMissing => Text::new(
                "署名者の証明書が署名に含まれていません",
                "the signer's certificate is not in the signature",
            ),
            UntrustedRoot { detail } => Text::new(
                format!(
                    "信頼できません: 署名者の証明書が信頼するルート認証局につながりません（{}）",
                    detail.ja
                ),
                format!(
                    "untrusted: the signer's certificate does not chain to a trusted root ({})",
                    detail.en
                ),
            ),
            CertificatePath { detail } => Text::new(
                format!("証明書パスが有効ではありません: {}", detail.ja),
                format!("the certificate path is not valid: {}", detail.en),
            ),
            SignerExpired { not_after, at } => Text::new(
                format!(
                    "署名者の証明書は検証時刻 {} に有効期限（{}）が切れています",
                    format_time(*at, Lang::Ja),
                    format_time(*not_after, Lang::Ja)
                ),
                format!(
                    "the signer's certificate had expired ({}) at the validation time {}",
                    format_time(*not_after, Lang::En),
                    format_time(*at, Lang::En)
                ),
            ),
            SignerNotYetValid { not_before, at } => Text::new(
                format!(
                    "署名者の証明書は {} の時点でまだ有効期間前です（{} から有効）",
                    format_time(*at, Lang::Ja),
                    format_time(*not_before, Lang::Ja)
                ),
                format!(
                    "the signer's certificate was not yet valid (from {}) at {}",
                    format_time(*not_before, Lang::En),
                    format_time(*at, Lang::En)
                ),
            ),
            SignerRevoked { revoked_at, reason } => Text::new(
                format!(
                    "失効: 署名者の証明書は署名時刻より前の {} に失効しています{}",
                    format_time(*revoked_at, Lang::Ja),
                    reason
                        .as_deref()
                        .map(|r| format!("（理由 {r}）"))
                        .unwrap_or_default()
                ),
                format!(
                    "revoked: the signer's certificate was revoked at {}{} (before the signing time)",
                    format_time(*revoked_at, Lang::En),
                    reason
                        .as_deref()
                        .map(|r| format!(", reason {r}"))
                        .unwrap_or_default()
                ),
            ),
            IssuerRevoked {
                subject,
                revoked_at,
                reason,
            } => Text::new(
                format!(
                    "失効: 認証局の証明書「{subject}」は {} に失効しています{}",
                    format_time(*revoked_at, Lang::Ja),
                    reason
                        .as_deref()
                        .map(|r| format!("（理由 {r}）"))
                        .unwrap_or_default()
                ),
                format!(
                    "revoked: the CA certificate \"{subject}\" was revoked at {}{}",
                    format_time(*revoked_at, Lang::En),
                    reason
                        .as_deref()
                        .map(|r| format!(", reason {r}"))
                        .unwrap_or_default()
                ),
            ),
            RevocationUnknown { subject, detail } => Text::new(
                format!(
                    "失効状態を確認できません: 「{subject}」の検証時刻における失効情報（CRL・OCSP）がありません（{}）",
                    detail.ja
                ),
                format!(
                    "revocation status unknown: no CRL or OCSP response establishes the status of \"{subject}\" at the validation time ({})",
                    detail.en
                ),
            ),
            NoHcRole => Text::new(
                "医師・薬剤師などの医療資格を示す HPKI の証明書ではありません（証明書に資格（hcRole）の記載がありません）",
                "not the HPKI certificate of a healthcare professional: the certificate states no qualification (no hcRole)",
            ),
            TimeStampOverOtherData { time_stamp } => {
                let k = time_stamp.text();
                Text::new(
                    format!(
                        "{}は別のデータに対するタイムスタンプです（メッセージインプリントが一致しません）",
                        k.ja
                    ),
                    format!(
                        "the {} is a time-stamp over other data (its message imprint does not match)",
                        k.en
                    ),
                )
            }
            TimeStampInvalid { time_stamp, detail } => {
                let k = time_stamp.text();
                Text::new(
                    format!("{}が有効ではありません: {}", k.ja, detail.ja),
                    format!("the {} is not valid: {}", k.en, detail.en),
                )
            }
            TimeStampUnusable { time_stamp, detail } => {
                let k = time_stamp.text();
                Text::new(
                    format!("{}を確認できません: {}", k.ja, detail.ja),
                    format!("the {} cannot be checked: {}", k.en, detail.en),
                )
            }
            IntegrityNotChecked { detail } => Text::new(
                format!("改ざんの有無を確認できません: {}", detail.ja),
                format!(
                    "whether the document was changed cannot be checked: {}",
                    detail.en
                ),
            ),
            Layout { detail } => Text::new(
                format!("電子処方箋の構成が正しくありません: {}", detail.ja),
                format!("the e-prescription layout is not kept: {}", detail.en),
            ),
            RoleNotAccepted {
                signature,
                accepted,
                found,
            } => {
                let accepted = super::policy::roles_text(accepted, true);
                let found = super::policy::roles_text(found, false);
                Text::new(
                    format!(
                        "資格が違います: {}には{}の証明書が必要ですが、署名者の資格は{}です",
                        signature.ja, accepted.ja, found.ja
                    ),
                    format!(
                        "wrong qualification: {} needs the certificate of a {}, but the signer is a {}",
                        signature.en, accepted.en, found.en
                    ),
                )
            }
        }
    }
}

/// Whether the signed data is as it was signed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Integrity {
    /// The digests and the signature value verify: not changed since signing.
    Intact,
    /// Changed, or the signature does not verify.
    Broken {
        /// What did not match.
        reason: Text,
    },
    /// Could not be checked (the detached content was not given, the structure is unreadable).
    Unknown {
        /// Why.
        reason: Text,
    },
}

/// A role (hcRole) of the signer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Role {
    /// As stated in the certificate ("Medical Doctor").
    pub role: String,
    /// The Japanese name from the HPKI role table (医師), when known.
    pub role_ja: Option<String>,
}

impl Role {
    /// "医師（Medical Doctor）" / "Medical Doctor (医師)".
    pub fn display(&self, lang: Lang) -> String {
        match (&self.role_ja, lang) {
            (Some(ja), Lang::Ja) => format!("{ja}（{}）", self.role),
            (Some(ja), Lang::En) => format!("{} ({ja})", self.role),
            (None, _) => self.role.clone(),
        }
    }
}

/// Who signed: from the signer's certificate (HPKI subject in romaji, subjectAltName in kanji).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Signer {
    /// Subject CN, e.g. "Taro Nichii".
    pub name_romaji: Option<String>,
    /// The kanji name of the subjectAltName, e.g. "日医　太郎".
    pub name_kanji: Option<String>,
    /// The subscriber ID (subject serialNumber), e.g. "JMA9999999999".
    pub subscriber_id: Option<String>,
    /// The institution (subject O).
    pub organization: Option<String>,
    /// The institution in kanji.
    pub organization_kanji: Option<String>,
    /// The qualifications (hcRole); empty for a certificate without one.
    pub roles: Vec<Role>,
    /// The certificate's subject (RFC 4514).
    pub subject: String,
    /// Its issuer.
    pub issuer: String,
    /// Its serial number, lowercase hex.
    pub serial: String,
    /// `notBefore`.
    #[serde(serialize_with = "ser_time")]
    pub not_before: SystemTime,
    /// `notAfter`.
    #[serde(serialize_with = "ser_time")]
    pub not_after: SystemTime,
}

impl Signer {
    /// "日医　太郎（Taro Nichii）" / "Taro Nichii (日医　太郎)".
    pub fn name(&self, lang: Lang) -> String {
        match (&self.name_kanji, &self.name_romaji, lang) {
            (Some(k), Some(r), Lang::Ja) => format!("{k}（{r}）"),
            (Some(k), Some(r), Lang::En) => format!("{r} ({k})"),
            (Some(n), None, _) | (None, Some(n), _) => n.clone(),
            (None, None, _) => self.subject.clone(),
        }
    }

    fn organization(&self, lang: Lang) -> Option<String> {
        match (&self.organization_kanji, &self.organization, lang) {
            (Some(k), Some(r), Lang::Ja) => Some(format!("{k}（{r}）")),
            (Some(k), Some(r), Lang::En) => Some(format!("{r} ({k})")),
            (Some(n), None, _) | (None, Some(n), _) => Some(n.clone()),
            (None, None, _) => None,
        }
    }
}

/// One time-stamp of a signature, as checked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TimeStampReport {
    /// Signature, archive or document time-stamp.
    pub kind: TimeStampKind,
    /// `genTime`, when the token could be read.
    #[serde(serialize_with = "ser_opt_time")]
    pub gen_time: Option<SystemTime>,
    /// The TSA's name (the token's `tsa` field, else its certificate's subject CN).
    pub tsa: Option<String>,
    /// Whether the token, its TSA certificate and its path are valid.
    pub valid: bool,
    /// The time its TSA certificate was validated at: the next time-stamp's `genTime`, or now.
    #[serde(serialize_with = "ser_opt_time")]
    pub validated_at: Option<SystemTime>,
}

/// The signer's certificate at the signing time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum AtSigning {
    /// Valid: the path to a trusted root validates and no certificate of it was revoked.
    Valid {
        /// The time it was validated at (the proven time, or now when unproven).
        #[serde(serialize_with = "ser_time")]
        at: SystemTime,
        /// Whether `at` is a time proven by a time-stamp.
        proven: bool,
        /// What established the signer's revocation status (a CRL, an OCSP response), if
        /// checked.
        revocation: Option<Text>,
    },
    /// Not valid; the reason is among the signature's failures.
    Invalid {
        /// The first reason.
        reason: Failure,
    },
}

/// The signer's certificate now (or at `--at`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum StatusNow {
    /// Valid now.
    Valid,
    /// Within its validity period, but no revocation data current at the validation time was
    /// obtained: the latest data (`latest`) did not show it revoked, which says nothing of now.
    Unknown {
        /// The latest data seen, for people.
        latest: Text,
    },
    /// Expired since its `notAfter`.
    Expired {
        /// `notAfter`.
        #[serde(serialize_with = "ser_time")]
        since: SystemTime,
    },
    /// Not valid before its `notBefore`.
    NotYetValid {
        /// `notBefore`.
        #[serde(serialize_with = "ser_time")]
        until: SystemTime,
    },
    /// Revoked since.
    Revoked {
        /// The revocation time.
        #[serde(serialize_with = "ser_time")]
        since: SystemTime,
        /// The RFC 5280 reason name.
        reason: Option<String>,
    },
    /// A CA certificate of its path is revoked since.
    IssuerRevoked {
        /// The CA's subject.
        subject: String,
        /// The revocation time.
        #[serde(serialize_with = "ser_time")]
        since: SystemTime,
    },
    /// Not valid for another reason (no path to a trusted root, a CA certificate expired…).
    Invalid {
        /// Why.
        reason: Text,
    },
}

impl StatusNow {
    /// The status in `lang`.
    pub fn message(&self, lang: Lang) -> String {
        match self {
            StatusNow::Valid => lang.pick("有効", "valid").to_owned(),
            StatusNow::Unknown { latest } => match lang {
                Lang::Ja => format!(
                    "不明（有効期間内ですが、検証時刻の失効情報がありません。最新の失効情報（{}）では失効していません）",
                    latest.ja
                ),
                Lang::En => format!(
                    "unknown (within its validity period, but no revocation data current at the validation time; not revoked according to the latest data, {})",
                    latest.en
                ),
            },
            StatusNow::Expired { since } => match lang {
                Lang::Ja => format!("有効期限切れ（{} に満了）", format_time(*since, lang)),
                Lang::En => format!("expired since {}", format_time(*since, lang)),
            },
            StatusNow::NotYetValid { until } => match lang {
                Lang::Ja => format!("有効期間前（{} から有効）", format_time(*until, lang)),
                Lang::En => format!("not valid before {}", format_time(*until, lang)),
            },
            StatusNow::Revoked { since, reason } => match lang {
                Lang::Ja => format!(
                    "失効（{} に失効{}）",
                    format_time(*since, lang),
                    reason
                        .as_deref()
                        .map(|r| format!("、理由 {r}"))
                        .unwrap_or_default()
                ),
                Lang::En => format!(
                    "revoked since {}{}",
                    format_time(*since, lang),
                    reason
                        .as_deref()
                        .map(|r| format!(" ({r})"))
                        .unwrap_or_default()
                ),
            },
            StatusNow::IssuerRevoked { subject, since } => match lang {
                Lang::Ja => format!("認証局「{subject}」が {} に失効", format_time(*since, lang)),
                Lang::En => format!(
                    "the CA \"{subject}\" is revoked since {}",
                    format_time(*since, lang)
                ),
            },
            StatusNow::Invalid { reason } => match lang {
                Lang::Ja => format!("無効（{}）", reason.ja),
                Lang::En => format!("not valid ({})", reason.en),
            },
        }
    }
}

/// Which medical document.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MedicalKind {
    /// 処方箋.
    Prescription,
    /// 調剤結果.
    Dispensing,
}

impl From<hpki_sign::xades::MedicalDocumentKind> for MedicalKind {
    fn from(k: hpki_sign::xades::MedicalDocumentKind) -> Self {
        match k {
            hpki_sign::xades::MedicalDocumentKind::Prescription => MedicalKind::Prescription,
            hpki_sign::xades::MedicalDocumentKind::Dispensing => MedicalKind::Dispensing,
        }
    }
}

/// A medical document's management data: shown, but **not covered by any signature** (the
/// layout signs the prescription and the dispensing parts only), so it can be changed without
/// breaking a signature.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MedicalReport {
    /// Which document.
    pub kind: MedicalKind,
    /// The format version as written (EPS1.0, EPD1.0).
    pub version: String,
    /// Whether hpki knows the version.
    pub version_known: bool,
    /// The prescription ID, or the dispensing ID of a dispensing result.
    pub document_id: String,
    /// A dispensing result's prescription ID.
    pub prescription_id: Option<String>,
}

impl MedicalReport {
    /// The document's kind and IDs, each marked as not signed.
    pub fn to_text(&self, lang: Lang) -> String {
        let unsigned = lang.pick("署名の対象外", "not covered by the signatures");
        let (kind, id) = match (self.kind, lang) {
            (MedicalKind::Prescription, Lang::Ja) => ("電子処方箋", "処方箋ID"),
            (MedicalKind::Prescription, Lang::En) => ("E-prescription", "prescription ID"),
            (MedicalKind::Dispensing, Lang::Ja) => ("調剤結果", "調剤結果ID"),
            (MedicalKind::Dispensing, Lang::En) => ("Dispensing result", "dispensing ID"),
        };
        let mut out = format!(
            "{kind} ({}): {id} {}（{unsigned}）\n",
            self.version, self.document_id
        );
        if let Some(p) = &self.prescription_id {
            out.push_str(&format!(
                "  {} {p}（{unsigned}）\n",
                lang.pick("処方箋ID", "prescription ID")
            ));
        }
        if lang == Lang::En {
            out = out.replace('（', " (").replace('）', ")");
        }
        out
    }
}

/// Who signs at a place of a medical document.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SignatoryReport {
    /// The prescriber (PrescriptionSign).
    Prescriber,
    /// The dispensing pharmacist (DispensingSign).
    Dispenser,
}

impl From<hpki_sign::xades::Signatory> for SignatoryReport {
    fn from(s: hpki_sign::xades::Signatory) -> Self {
        match s {
            hpki_sign::xades::Signatory::Prescriber => SignatoryReport::Prescriber,
            hpki_sign::xades::Signatory::Dispenser => SignatoryReport::Dispenser,
        }
    }
}

/// Valid or not.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Every check passed.
    Valid,
    /// Nothing shows the signature is wrong, but evidence it needs could not be used: a
    /// revocation status not established, a time-stamp or a reference hpki cannot check, the
    /// signed content not given (ETSI EN 319 102-1 §5.1.3 INDETERMINATE).
    Indeterminate,
    /// A check failed.
    Invalid,
}

impl Verdict {
    /// `valid`, `indeterminate`, `invalid` (as in JSON).
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Valid => "valid",
            Verdict::Indeterminate => "indeterminate",
            Verdict::Invalid => "invalid",
        }
    }

    /// ✔ valid, ？ indeterminate, ✘ invalid.
    pub fn mark(self) -> &'static str {
        match self {
            Verdict::Valid => "✔",
            Verdict::Indeterminate => "？",
            Verdict::Invalid => "✘",
        }
    }
}

/// One signature of the document, verified.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SignatureReport {
    /// Its format.
    pub format: Format,
    /// Its name: the PDF field, the XML signature's Id.
    pub label: Option<String>,
    /// The level its structure has (what is present).
    pub structure_level: Level,
    /// The level whose checks all passed; `None` when even B-B did not.
    pub level: Option<Level>,
    /// Who signed; `None` without a readable signer certificate.
    pub signer: Option<Signer>,
    /// The signing time the signer claims (signing-time, `/M`, `xades:SigningTime`).
    #[serde(serialize_with = "ser_opt_time")]
    pub claimed_signing_time: Option<SystemTime>,
    /// The time a valid signature time-stamp proves (its `genTime`), if any.
    #[serde(serialize_with = "ser_opt_time")]
    pub proven_signing_time: Option<SystemTime>,
    /// The TSA of that time-stamp.
    pub tsa: Option<String>,
    /// Every time-stamp, in order.
    pub time_stamps: Vec<TimeStampReport>,
    /// Whether the signed data is intact.
    pub integrity: Integrity,
    /// The signer's certificate at the signing time.
    pub at_signing: AtSigning,
    /// The signer's certificate now (the validation time).
    pub now: StatusNow,
    /// Every reason the signature is not valid; empty for a valid one.
    pub failures: Vec<Failure>,
    /// What else a reader should know (not failures).
    pub notes: Vec<Text>,
    /// Who signs here, in a medical document (処方箋, 調剤結果).
    pub signatory: Option<SignatoryReport>,
    /// Valid or not (valid exactly when `failures` is empty).
    pub verdict: Verdict,
}

/// The verification of a document: every signature in it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Report {
    /// The format of the file, when recognised.
    pub format: Option<Format>,
    /// The validation time ("now", or `--at`).
    #[serde(serialize_with = "ser_time")]
    pub validated_at: SystemTime,
    /// A medical document's management data (not signed).
    pub medical: Option<MedicalReport>,
    /// The signatures, in the order of the document.
    pub signatures: Vec<SignatureReport>,
    /// Failures of the document as a whole (unreadable, no signature).
    pub failures: Vec<Failure>,
    /// Notes on the document as a whole (e.g. current revocation data that could not be
    /// fetched).
    pub notes: Vec<Text>,
    /// Valid only when every signature is valid and there is at least one.
    pub overall: Verdict,
}

impl Report {
    /// A report of a document that could not be verified at all.
    pub(crate) fn failed(format: Option<Format>, at: SystemTime, failure: Failure) -> Report {
        Report {
            format,
            validated_at: at,
            medical: None,
            signatures: Vec::new(),
            failures: vec![failure],
            notes: Vec::new(),
            overall: Verdict::Invalid,
        }
    }

    /// Sets [`Report::overall`] from the signatures and failures.
    pub(crate) fn conclude(&mut self) {
        if self.signatures.is_empty() && self.failures.is_empty() {
            self.failures.push(Failure::NoSignature);
        }
        let signatures = self.signatures.iter().map(|s| s.verdict);
        self.overall = signatures.fold(Failure::verdict_of(&self.failures), |a, b| a.max(b));
    }

    /// The mark of the verdict ([`Verdict::mark`]).
    pub fn mark(&self) -> &'static str {
        self.overall.mark()
    }

    /// The first line of a report that is not valid (without its [`Self::mark`]), answering the relying party's three
    /// questions in order of weight: changed (改ざん)? from a trusted HPKI certificate (本人)?
    /// with the qualification the document needs (医師)?
    pub fn headline(&self) -> Text {
        let all = self.all_failures();
        let any = |f: &dyn Fn(&Failure) -> bool| all.iter().any(|x| f(x));
        let unchanged = self
            .signatures
            .iter()
            .all(|s| matches!(s.integrity, Integrity::Intact))
            && !self.signatures.is_empty();
        let intact = |ja: &str, en: &str| {
            if unchanged {
                Text::new(
                    format!("{ja}（文書の改ざんは検出されていません）"),
                    format!("{en} (no change to the document was found)"),
                )
            } else {
                Text::new(ja, en)
            }
        };
        if self.overall == Verdict::Indeterminate {
            return intact(
                "判定できません: 確認に必要な情報が足りません",
                "INDETERMINATE: evidence needed to decide could not be used",
            );
        }
        if any(&|f| matches!(f, Failure::Tampered { .. } | Failure::Layout { .. })) {
            return Text::new(
                "改ざんされています: 署名の後に文書が変更されています",
                "TAMPERED: the document was changed after it was signed",
            );
        }
        if any(&|f| matches!(f, Failure::UntrustedRoot { .. })) {
            return intact(
                "信頼する認証局（HPKI）の証明書による署名ではありません",
                "NOT VALID: not signed with a certificate of a trusted (HPKI) authority",
            );
        }
        if any(&|f| matches!(f, Failure::NoHcRole | Failure::RoleNotAccepted { .. }))
            && all
                .iter()
                .all(|f| matches!(f, Failure::NoHcRole | Failure::RoleNotAccepted { .. }))
        {
            return intact(
                "この文書に必要な医療資格の署名ではありません",
                "NOT VALID: not signed with the qualification this document needs",
            );
        }
        if self.signatures.is_empty() {
            return Text::new(
                "署名を確認できませんでした",
                "NOT VALID: no signature could be checked",
            );
        }
        intact("有効な署名ではありません", "NOT VALID")
    }

    /// One line for a list of documents: the verdict, the format and level, who signed with
    /// which qualification; or the headline and the first reason.
    pub fn summary(&self, lang: Lang) -> String {
        let who: Vec<String> = self
            .signatures
            .iter()
            .filter_map(|s| {
                let signer = s.signer.as_ref()?;
                let roles: Vec<String> = signer
                    .roles
                    .iter()
                    .map(|r| match (lang, &r.role_ja) {
                        (Lang::Ja, Some(ja)) => ja.clone(),
                        _ => r.role.clone(),
                    })
                    .collect();
                Some(if roles.is_empty() {
                    signer.name(lang)
                } else {
                    match lang {
                        Lang::Ja => format!("{}（{}）", signer.name(lang), roles.join("、")),
                        Lang::En => format!("{} ({})", signer.name(lang), roles.join(", ")),
                    }
                })
            })
            .collect();
        let levels: Vec<&str> = self
            .signatures
            .iter()
            .map(|s| s.level.unwrap_or(s.structure_level).name())
            .collect();
        let what = format!(
            "{} {} — {}",
            self.format.map(Format::name).unwrap_or("?"),
            levels.join("+"),
            if who.is_empty() {
                lang.pick("署名者不明", "signer unknown").to_owned()
            } else {
                who.join(" / ")
            }
        );
        if self.overall == Verdict::Valid {
            return format!("{} — {what}", lang.pick("✔ 有効", "✔ valid"));
        }
        let reason = self
            .all_failures()
            .first()
            .map(|f| f.message(lang))
            .unwrap_or_default();
        format!(
            "{} {} — {what} — {reason}",
            self.mark(),
            self.headline().get(lang)
        )
    }

    /// Whether the document is fully valid.
    pub fn is_valid(&self) -> bool {
        self.overall == Verdict::Valid
    }

    /// Every failure, the document's and each signature's.
    pub fn all_failures(&self) -> Vec<&Failure> {
        self.failures
            .iter()
            .chain(self.signatures.iter().flat_map(|s| s.failures.iter()))
            .collect()
    }

    /// The report as JSON (pretty).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    }

    /// The report as readable text in `lang`: the verdict, then for each signature 署名者 /
    /// 資格 / 署名時刻 / 改ざん / 証明書の状態 / 署名レベル and the reasons.
    pub fn to_text(&self, lang: Lang) -> String {
        let l = |ja: &'static str, en: &'static str| lang.pick(ja, en);
        let mut out = String::new();
        let verdict = match (self.overall, lang) {
            (Verdict::Valid, Lang::Ja) => "✔ 有効な署名です".to_owned(),
            (Verdict::Valid, Lang::En) => "✔ VALID signature".to_owned(),
            (Verdict::Indeterminate | Verdict::Invalid, _) => {
                format!("{} {}", self.mark(), self.headline().get(lang))
            }
        };
        out.push_str(&format!(
            "{verdict}{}\n",
            self.format
                .map(|f| format!(" — {}", f.name()))
                .unwrap_or_default()
        ));
        out.push_str(&format!(
            "{}: {}\n",
            l("検証時刻", "Validated at"),
            format_time(self.validated_at, lang)
        ));
        if let Some(m) = &self.medical {
            out.push_str(&m.to_text(lang));
        }
        for f in &self.failures {
            out.push_str(&format!("  ✘ {}\n", f.message(lang)));
        }
        for n in &self.notes {
            out.push_str(&format!("  {} {}\n", l("注:", "Note:"), n.get(lang)));
        }
        let total = self.signatures.len();
        for (i, s) in self.signatures.iter().enumerate() {
            out.push('\n');
            out.push_str(&s.to_text(lang, i + 1, total));
        }
        out
    }
}

impl SignatureReport {
    /// The facts of the signature as (label, value) rows in `lang`: 判定, 署名者, 利用者ID,
    /// 所属, 資格, 証明書, 署名時刻, 長期署名, 改ざん, 証明書の状態, 現在の状態, 署名レベル
    /// (what [`Self::to_text`] prints and the web page shows).
    pub fn rows(&self, lang: Lang) -> Vec<(&'static str, String)> {
        let l = |ja: &'static str, en: &'static str| lang.pick(ja, en);
        let mut rows: Vec<(&'static str, String)> = Vec::new();
        rows.push((
            l("判定", "Verdict"),
            match self.verdict {
                Verdict::Valid => l("有効", "valid").to_owned(),
                Verdict::Indeterminate => {
                    l("判定保留（確認できない点があります）", "indeterminate").to_owned()
                }
                Verdict::Invalid => l("無効", "NOT valid").to_owned(),
            },
        ));
        match &self.signer {
            Some(s) => {
                rows.push((l("署名者", "Signer"), s.name(lang)));
                if let Some(id) = &s.subscriber_id {
                    rows.push((l("利用者ID", "Subscriber ID"), id.clone()));
                }
                if let Some(o) = s.organization(lang) {
                    rows.push((l("所属", "Institution"), o));
                }
                rows.push((
                    l("資格", "Qualification"),
                    if s.roles.is_empty() {
                        l(
                            "なし（医療資格の記載がない証明書）",
                            "none (the certificate states no qualification)",
                        )
                        .to_owned()
                    } else {
                        s.roles
                            .iter()
                            .map(|r| r.display(lang))
                            .collect::<Vec<_>>()
                            .join(", ")
                    },
                ));
                rows.push((
                    l("証明書", "Certificate"),
                    format!(
                        "{} {} ({} {} – {})",
                        l("シリアル", "serial"),
                        s.serial,
                        l("有効期間", "valid"),
                        format_time(s.not_before, lang),
                        format_time(s.not_after, lang)
                    ),
                ));
            }
            None => rows.push((l("署名者", "Signer"), l("不明", "unknown").to_owned())),
        }
        let time = match (
            self.proven_signing_time,
            &self.tsa,
            self.claimed_signing_time,
        ) {
            (Some(t), tsa, _) => match lang {
                Lang::Ja => format!(
                    "{}（タイムスタンプで証明{}）",
                    format_time(t, lang),
                    tsa.as_deref()
                        .map(|n| format!("、TSA: {n}"))
                        .unwrap_or_default()
                ),
                Lang::En => format!(
                    "{} (proven by a time-stamp{})",
                    format_time(t, lang),
                    tsa.as_deref()
                        .map(|n| format!(" from {n}"))
                        .unwrap_or_default()
                ),
            },
            (None, _, Some(c)) => match lang {
                Lang::Ja => format!(
                    "{}（署名者の申告のみ、タイムスタンプによる証明なし）",
                    format_time(c, lang)
                ),
                Lang::En => format!(
                    "{} (claimed by the signer only, not proven by a time-stamp)",
                    format_time(c, lang)
                ),
            },
            (None, _, None) => {
                let tokens = self
                    .time_stamps
                    .iter()
                    .filter(|t| t.kind == TimeStampKind::Signature)
                    .count();
                if tokens == 0 {
                    l("不明（タイムスタンプなし）", "unknown (no time-stamp)").to_owned()
                } else {
                    match lang {
                        Lang::Ja => {
                            format!("不明（署名タイムスタンプ {tokens} 件を確認できません）")
                        }
                        Lang::En => format!(
                            "unknown ({tokens} signature time-stamp(s) could not be checked)"
                        ),
                    }
                }
            }
        };
        rows.push((l("署名時刻", "Signing time"), time));
        for ts in self
            .time_stamps
            .iter()
            .filter(|t| t.kind != TimeStampKind::Signature)
        {
            rows.push((
                l("長期署名", "Archive"),
                format!(
                    "{} {}{}",
                    ts.kind.text().get(lang),
                    ts.gen_time
                        .map(|t| format_time(t, lang))
                        .unwrap_or_default(),
                    if ts.valid {
                        String::new()
                    } else {
                        l("（無効）", " (not valid)").to_owned()
                    }
                ),
            ));
        }
        rows.push((
            l("改ざん", "Integrity"),
            match &self.integrity {
                Integrity::Intact => l(
                    "なし（署名後に変更されていません）",
                    "intact (not changed since signing)",
                )
                .to_owned(),
                Integrity::Broken { reason } => match lang {
                    Lang::Ja => format!("あり — {}", reason.ja),
                    Lang::En => format!("TAMPERED ({})", reason.en),
                },
                Integrity::Unknown { reason } => match lang {
                    Lang::Ja => format!("確認できません（{}）", reason.ja),
                    Lang::En => format!("not checked ({})", reason.en),
                },
            },
        ));
        let at_signing = match &self.at_signing {
            AtSigning::Valid {
                at,
                proven,
                revocation,
            } => match lang {
                Lang::Ja => format!(
                    "署名時に有効（{}{}）",
                    if *proven {
                        format!("証明された時刻 {} で検証", format_time(*at, lang))
                    } else {
                        format!(
                            "署名時刻が証明されていないため現在 {} で検証",
                            format_time(*at, lang)
                        )
                    },
                    revocation
                        .as_ref()
                        .map(|r| format!("、失効確認: {}", r.ja))
                        .unwrap_or_else(|| "、失効確認なし".to_owned())
                ),
                Lang::En => format!(
                    "valid at signing time ({}{})",
                    if *proven {
                        format!("validated at the proven time {}", format_time(*at, lang))
                    } else {
                        format!(
                            "the signing time is not proven, validated now, {}",
                            format_time(*at, lang)
                        )
                    },
                    revocation
                        .as_ref()
                        .map(|r| format!("; revocation: {}", r.en))
                        .unwrap_or_else(|| "; revocation not checked".to_owned())
                ),
            },
            AtSigning::Invalid { reason } => match lang {
                Lang::Ja => format!("署名時に無効（{}）", reason.message(lang)),
                Lang::En => format!("NOT valid at signing time ({})", reason.message(lang)),
            },
        };
        rows.push((l("証明書の状態", "Certificate status"), at_signing));
        rows.push((l("現在の状態", "Status now"), self.now.message(lang)));
        rows.push((
            l("署名レベル", "Signature level"),
            match self.level {
                Some(level) if level == self.structure_level => level.name().to_owned(),
                Some(level) => match lang {
                    Lang::Ja => format!(
                        "{}（文書の構成は {}）",
                        level.name(),
                        self.structure_level.name()
                    ),
                    Lang::En => format!(
                        "{} (the document is built as {})",
                        level.name(),
                        self.structure_level.name()
                    ),
                },
                None => match lang {
                    Lang::Ja => format!("到達せず（文書の構成は {}）", self.structure_level.name()),
                    Lang::En => format!(
                        "none reached (the document is built as {})",
                        self.structure_level.name()
                    ),
                },
            },
        ));
        if let Some(s) = self.signatory {
            rows.push((
                l("署名の役割", "Signs as"),
                match s {
                    SignatoryReport::Prescriber => l("処方医", "the prescriber"),
                    SignatoryReport::Dispenser => l("調剤した薬剤師", "the dispensing pharmacist"),
                }
                .to_owned(),
            ));
        }
        rows
    }

    /// One signature as text (see [`Report::to_text`]).
    pub fn to_text(&self, lang: Lang, number: usize, total: usize) -> String {
        let l = |ja: &'static str, en: &'static str| lang.pick(ja, en);
        let rows = self.rows(lang);
        let width = rows
            .iter()
            .map(|(k, _)| display_width(k))
            .max()
            .unwrap_or(0);
        let mut out = format!(
            "{} {number}/{total}: {} {}{}\n",
            l("署名", "Signature"),
            self.format.name(),
            self.structure_level.name(),
            self.label
                .as_deref()
                .map(|n| format!(" [{n}]"))
                .unwrap_or_default()
        );
        for (k, v) in rows {
            let pad = width.saturating_sub(display_width(k));
            out.push_str(&format!("  {k}{}  {v}\n", " ".repeat(pad)));
        }
        if !self.failures.is_empty() {
            out.push_str(&format!("  {}\n", l("理由:", "Reasons:")));
            for f in &self.failures {
                out.push_str(&format!("    ✘ {}\n", f.message(lang)));
            }
        }
        for n in &self.notes {
            out.push_str(&format!("  {} {}\n", l("注:", "Note:"), n.get(lang)));
        }
        out
    }
}

/// Terminal columns of `s`: wide (2) for CJK, 1 otherwise.
fn display_width(s: &str) -> usize {
    s.chars()
        .map(|c| if (c as u32) >= 0x1100 { 2 } else { 1 })
        .sum()
}

/// Seconds since the epoch, for ordering (0 before it).
pub(crate) fn secs(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_speak_both() {
        let t = Text::new("署名を検証できません", "the signature does not verify");
        assert_eq!(t.en, "the signature does not verify");
        assert_eq!(t.ja, "署名を検証できません");
        let f = Failure::Tampered { detail: t };
        assert!(f.message(Lang::En).starts_with("tampered"));
        assert!(f.message(Lang::Ja).starts_with("改ざん"));
        assert!(Failure::NoHcRole.message(Lang::En).contains("no hcRole"));
        let json = serde_json::to_value(&Failure::NoHcRole).unwrap();
        assert_eq!(json["kind"], "no_hc_role");
    }

    #[test]
    fn missing_evidence_is_indeterminate_and_evidence_against_is_invalid() {
        let unusable = Failure::TimeStampUnusable {
            time_stamp: TimeStampKind::Signature,
            detail: Text::new("SHA-1 には対応していません", "SHA-1 is not accepted"),
        };
        let unknown = Failure::RevocationUnknown {
            subject: "CN=X".into(),
            detail: Text::new("CRL がありません", "no CRL"),
        };
        assert_eq!(Failure::verdict_of([]), Verdict::Valid);
        assert_eq!(
            Failure::verdict_of([&unusable, &unknown]),
            Verdict::Indeterminate
        );
        let tampered = Failure::Tampered {
            detail: Text::new("ダイジェスト値が一致しません", "digest mismatch"),
        };
        assert_eq!(
            Failure::verdict_of([&unusable, &tampered]),
            Verdict::Invalid
        );
        assert!(
            unusable
                .message(Lang::Ja)
                .starts_with("署名タイムスタンプを確認できません")
        );
    }

    /// A signature whose every time-stamp is unusable: the signing time is unknown *because*
    /// the tokens could not be checked, not because there are none.
    #[test]
    fn unusable_time_stamps_are_not_called_missing() {
        let token = |kind| TimeStampReport {
            kind,
            gen_time: None,
            tsa: None,
            valid: false,
            validated_at: None,
        };
        let report = SignatureReport {
            format: Format::Xades,
            label: None,
            structure_level: Level::Lta,
            level: None,
            signer: None,
            claimed_signing_time: None,
            proven_signing_time: None,
            tsa: None,
            time_stamps: vec![
                token(TimeStampKind::Signature),
                token(TimeStampKind::Signature),
                token(TimeStampKind::Archive),
            ],
            integrity: Integrity::Intact,
            at_signing: AtSigning::Invalid {
                reason: Failure::SignerCertificateMissing,
            },
            now: StatusNow::Valid,
            failures: Vec::new(),
            notes: Vec::new(),
            signatory: None,
            verdict: Verdict::Indeterminate,
        };
        let rows = report.rows(Lang::Ja);
        let time = rows.iter().find(|(k, _)| *k == "署名時刻").unwrap();
        assert_eq!(time.1, "不明（署名タイムスタンプ 2 件を確認できません）");
        assert!(
            !report
                .to_text(Lang::Ja, 1, 1)
                .contains("タイムスタンプなし")
        );
    }

    #[test]
    fn japanese_times_are_japan_time() {
        let t = crate::time::from_unix_secs(1_798_675_200); // 2026-12-31T00:00:00Z
        assert_eq!(format_time(t, Lang::En), "2026-12-31T00:00:00Z");
        assert_eq!(
            format_time(t, Lang::Ja),
            "2026年12月31日 09:00:00（日本時間）"
        );
    }
}
