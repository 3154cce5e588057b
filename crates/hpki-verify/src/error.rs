//! Why a certification path is not valid.

use hpki_text::{Localized, Text};
use std::time::SystemTime;

use const_oid::ObjectIdentifier;

use crate::time::display;

/// Why a certification path is not valid, naming the certificate at fault.
///
/// `index` counts from the end-entity certificate: 0 is the leaf, 1 its issuer, and so on up to
/// the trust anchor (the "depth" of `openssl verify`), the order of [`crate::ValidPath::certificates`].
/// `subject` is that certificate's subject (RFC 4514 string).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PathError {
    /// An input could not be decoded.
    #[error("cannot read {what}: {detail}")]
    Malformed {
        /// What was being read.
        what: String,
        /// The decoder's message.
        detail: String,
    },
    /// No chain of issuers leads from the leaf to one of the trust anchors (RFC 5280 §6.1: the
    /// path must begin with a certificate issued by a trust anchor).
    #[error(
        "no path to a trust anchor: the issuer \"{issuer}\" of \"{subject}\" is neither a trust anchor nor among the intermediates"
    )]
    UntrustedRoot {
        /// The certificate whose issuer was not found.
        subject: String,
        /// Its issuer name.
        issuer: String,
    },
    /// The validation time is after `notAfter` (RFC 5280 §6.1.3 (a)(2)).
    #[error("certificate [{index}] \"{subject}\" expired at {}", display(*.not_after))]
    Expired {
        /// Position in the path (0 = leaf).
        index: usize,
        /// Its subject.
        subject: String,
        /// Its `notAfter`.
        not_after: SystemTime,
    },
    /// The validation time is before `notBefore` (RFC 5280 §6.1.3 (a)(2)).
    #[error("certificate [{index}] \"{subject}\" is not valid before {}", display(*.not_before))]
    NotYetValid {
        /// Position in the path (0 = leaf).
        index: usize,
        /// Its subject.
        subject: String,
        /// Its `notBefore`.
        not_before: SystemTime,
    },
    /// The issuer name does not match the subject of the next certificate (RFC 5280 §6.1.3 (a)(4)).
    #[error(
        "certificate [{index}] \"{subject}\": its issuer name does not match the next certificate's subject"
    )]
    IssuerMismatch {
        /// Position in the path (0 = leaf).
        index: usize,
        /// Its subject.
        subject: String,
    },
    /// The certificate is signed with an algorithm hpki does not verify (see [`crate::signature`]).
    #[error(
        "certificate [{index}] \"{subject}\" is signed with an unsupported algorithm ({detail})"
    )]
    UnsupportedAlgorithm {
        /// Position in the path (0 = leaf).
        index: usize,
        /// Its subject.
        subject: String,
        /// The algorithm and key.
        detail: String,
    },
    /// The signature does not verify with the issuer's key (RFC 5280 §6.1.3 (a)(1)).
    #[error(
        "certificate [{index}] \"{subject}\": the signature does not verify with the issuer's key"
    )]
    BadSignature {
        /// Position in the path (0 = leaf).
        index: usize,
        /// Its subject.
        subject: String,
    },
    /// A certificate that issues another is not a CA: basicConstraints absent or cA false
    /// (RFC 5280 §6.1.4 (k)).
    #[error(
        "certificate [{index}] \"{subject}\" issues a certificate but is not a CA (basicConstraints)"
    )]
    NotACa {
        /// Position in the path (0 = leaf).
        index: usize,
        /// Its subject.
        subject: String,
    },
    /// More CA certificates follow than a pathLenConstraint allows (RFC 5280 §6.1.4 (l), (m)).
    #[error(
        "certificate [{index}] \"{subject}\" exceeds the path length allowed by a pathLenConstraint"
    )]
    PathLenExceeded {
        /// Position in the path (0 = leaf).
        index: usize,
        /// Its subject.
        subject: String,
    },
    /// A CA certificate's keyUsage lacks keyCertSign (RFC 5280 §6.1.4 (n)).
    #[error(
        "certificate [{index}] \"{subject}\": keyUsage does not allow signing certificates (keyCertSign)"
    )]
    KeyUsage {
        /// Position in the path (0 = leaf).
        index: usize,
        /// Its subject.
        subject: String,
    },
    /// A key that verifies signatures in the path is too small (RSA below 2048 bits).
    #[error(
        "certificate [{index}] \"{subject}\" has a key that is too small (RSA below 2048 bits)"
    )]
    WeakKey {
        /// Position in the path (0 = leaf).
        index: usize,
        /// Its subject.
        subject: String,
    },
    /// A critical extension the validator does not process (RFC 5280 §6.1.4 (o), §6.1.5 (f)).
    #[error("certificate [{index}] \"{subject}\" has an unrecognised critical extension {oid}")]
    UnknownCriticalExtension {
        /// Position in the path (0 = leaf).
        index: usize,
        /// Its subject.
        subject: String,
        /// The extension.
        oid: ObjectIdentifier,
    },
    /// The caller required an explicit policy (initial-explicit-policy) and no policy of the
    /// initial policy set is valid for the path (RFC 5280 §6.1.5 (g), §6.1.6).
    #[error("no acceptable certificate policy is valid for the path (acceptable: {}; checked at certificate [{index}])", policy_list(.acceptable))]
    NoValidPolicy {
        /// Where the valid policy set became empty.
        index: usize,
        /// The acceptable policies (the initial policy set; empty means any policy).
        acceptable: Vec<ObjectIdentifier>,
    },
    /// The relying party's policy check of HPKI (not RFC 5280's): the end-entity certificate
    /// asserts none of the acceptable policies in its certificatePolicies. The MHLW chain's
    /// CA certificates assert only their own CA policies, so RFC 5280 processing with an
    /// explicit HPKI policy finds no valid policy for any real path; HPKI relying parties check
    /// the end entity's CP OID and the chain to the MHLW root instead.
    #[error("the certificate asserts none of the acceptable policies ({})", policy_list(.acceptable))]
    PolicyNotAsserted {
        /// The acceptable policies.
        acceptable: Vec<ObjectIdentifier>,
    },
    /// A CA's policyConstraints (requireExplicitPolicy) requires a valid policy and there is
    /// none (RFC 5280 §6.1.4 (i), §6.1.5 (b)).
    #[error(
        "certificate [{index}] \"{subject}\": a CA requires an explicit policy and no policy is valid for the path"
    )]
    ExplicitPolicyRequired {
        /// Where the valid policy set became empty.
        index: usize,
        /// Its subject.
        subject: String,
    },
    /// A policyMappings extension maps to or from anyPolicy (RFC 5280 §6.1.4 (a)).
    #[error("certificate [{index}] \"{subject}\" maps anyPolicy in policyMappings")]
    InvalidPolicyMapping {
        /// Position in the path (0 = leaf).
        index: usize,
        /// Its subject.
        subject: String,
    },
    /// A name is outside the permitted or inside the excluded subtrees (RFC 5280 §6.1.3 (b), (c)).
    #[error("certificate [{index}] \"{subject}\" violates a name constraint")]
    NameConstraints {
        /// Position in the path (0 = leaf).
        index: usize,
        /// Its subject.
        subject: String,
    },
    /// The certificate was revoked at or before the validation time (RFC 5280 §6.3, RFC 6960).
    #[error("certificate [{index}] \"{subject}\" (serial {serial}) was revoked at {}{}", display(*.revoked_at), reason.as_deref().map(|r| format!(", reason {r}")).unwrap_or_default())]
    Revoked {
        /// Position in the path (0 = leaf).
        index: usize,
        /// Its subject.
        subject: String,
        /// Its serial number, lowercase hex.
        serial: String,
        /// `revocationDate` / `revocationTime`.
        revoked_at: SystemTime,
        /// The RFC 5280 reason name, if given.
        reason: Option<String>,
    },
    /// No CRL or OCSP response given determines the certificate's status at the validation time.
    #[error(
        "revocation status of certificate [{index}] \"{subject}\" is unknown: {}",
        crate::revocation::problem::unknown_status_text(problems).en
    )]
    RevocationUnknown {
        /// Position in the path (0 = leaf).
        index: usize,
        /// Its subject.
        subject: String,
        /// Why each candidate CRL or response did not answer (empty: there was none).
        problems: Vec<crate::revocation::SourcedProblem>,
    },
    /// Any other failure reported by path validation.
    #[error("certificate path is not valid: {detail}")]
    Other {
        /// Position in the path (0 = leaf), when known.
        index: Option<usize>,
        /// certval's status.
        detail: String,
    },
}

impl Localized for PathError {
    fn text(&self) -> Text {
        match self {
            PathError::Malformed { what, detail } => Text::new(
                format!("{what} を読み取れません"),
                format!("cannot read {what}: {detail}"),
            ),
            PathError::UntrustedRoot { subject, issuer } if subject == issuer => Text::new(
                format!(
                    "証明書は認証局「{subject}」につながりますが、この認証局は信頼するルート認証局ではありません"
                ),
                format!(
                    "the certificates lead to the root \"{subject}\", which is not a trusted root"
                ),
            ),
            PathError::UntrustedRoot { subject, issuer } => Text::new(
                format!(
                    "信頼するルート認証局までの証明書パスを構築できません（「{subject}」の発行者「{issuer}」が見つかりません）"
                ),
                format!(
                    "no path to a trust anchor: the issuer \"{issuer}\" of \"{subject}\" is neither a trust anchor nor among the intermediates"
                ),
            ),
            PathError::Expired {
                index,
                subject,
                not_after,
            } => Text::new(
                format!(
                    "証明書[{index}]「{subject}」の有効期限が切れています（{}）",
                    display(*not_after)
                ),
                format!(
                    "certificate [{index}] \"{subject}\" expired at {}",
                    display(*not_after)
                ),
            ),
            PathError::NotYetValid {
                index,
                subject,
                not_before,
            } => Text::new(
                format!(
                    "証明書[{index}]「{subject}」はまだ有効期間の開始前です（{}から有効）",
                    display(*not_before)
                ),
                format!(
                    "certificate [{index}] \"{subject}\" is not valid before {}",
                    display(*not_before)
                ),
            ),
            PathError::IssuerMismatch { index, subject } => Text::new(
                format!("証明書[{index}]の発行者名が上位の証明書と一致しません"),
                format!(
                    "certificate [{index}] \"{subject}\": its issuer name does not match the next certificate's subject"
                ),
            ),
            PathError::UnsupportedAlgorithm {
                index,
                subject,
                detail,
            } => Text::new(
                format!("証明書[{index}]の署名アルゴリズムに対応していません"),
                format!(
                    "certificate [{index}] \"{subject}\" is signed with an unsupported algorithm ({detail})"
                ),
            ),
            PathError::BadSignature { index, subject } => Text::new(
                format!(
                    "証明書[{index}]の署名を発行者の公開鍵で検証できません（改ざんまたは発行者の誤り）"
                ),
                format!(
                    "certificate [{index}] \"{subject}\": the signature does not verify with the issuer's key"
                ),
            ),
            PathError::NotACa { index, subject } => Text::new(
                format!("証明書[{index}]はCA証明書ではないのに証明書を発行しています"),
                format!(
                    "certificate [{index}] \"{subject}\" issues a certificate but is not a CA (basicConstraints)"
                ),
            ),
            PathError::PathLenExceeded { index, subject } => Text::new(
                format!("証明書[{index}]でパス長制約を超えています"),
                format!(
                    "certificate [{index}] \"{subject}\" exceeds the path length allowed by a pathLenConstraint"
                ),
            ),
            PathError::KeyUsage { index, subject } => Text::new(
                format!("証明書[{index}]の鍵用途に証明書署名（keyCertSign）がありません"),
                format!(
                    "certificate [{index}] \"{subject}\": keyUsage does not allow signing certificates (keyCertSign)"
                ),
            ),
            PathError::WeakKey { index, subject } => Text::new(
                format!("証明書[{index}]の鍵長が不足しています"),
                format!(
                    "certificate [{index}] \"{subject}\" has a key that is too small (RSA below 2048 bits)"
                ),
            ),
            PathError::UnknownCriticalExtension {
                index,
                subject,
                oid,
            } => Text::new(
                format!("証明書[{index}]に処理できない重要（critical）拡張 {oid} があります"),
                format!(
                    "certificate [{index}] \"{subject}\" has an unrecognised critical extension {oid}"
                ),
            ),
            PathError::NoValidPolicy { index, acceptable } => Text::new(
                format!(
                    "証明書パスに有効な受入可能な証明書ポリシーがありません（受入可能: {}、証明書[{index}]で確認）",
                    policy_list(acceptable)
                ),
                format!(
                    "no acceptable certificate policy is valid for the path (acceptable: {}; checked at certificate [{index}])",
                    policy_list(acceptable)
                ),
            ),
            PathError::PolicyNotAsserted { acceptable } => Text::new(
                format!(
                    "署名者の証明書は求められた証明書ポリシー（{}）の証明書ではありません",
                    policy_list(acceptable)
                ),
                format!(
                    "the certificate asserts none of the acceptable policies ({})",
                    policy_list(acceptable)
                ),
            ),
            PathError::ExplicitPolicyRequired { index, subject } => Text::new(
                "上位CAが明示的なポリシーを要求していますが、有効なポリシーがありません",
                format!(
                    "certificate [{index}] \"{subject}\": a CA requires an explicit policy and no policy is valid for the path"
                ),
            ),
            PathError::InvalidPolicyMapping { index, subject } => Text::new(
                format!("証明書[{index}]のポリシーマッピングが不正です"),
                format!("certificate [{index}] \"{subject}\" maps anyPolicy in policyMappings"),
            ),
            PathError::NameConstraints { index, subject } => Text::new(
                format!("証明書[{index}]が名前制約に違反しています"),
                format!("certificate [{index}] \"{subject}\" violates a name constraint"),
            ),
            PathError::Revoked {
                index,
                subject,
                serial,
                revoked_at,
                reason,
            } => Text::new(
                format!(
                    "証明書[{index}]「{subject}」（シリアル番号 {serial}）は失効しています（{}{}）",
                    display(*revoked_at),
                    reason
                        .as_deref()
                        .map(|r| format!("、理由 {r}"))
                        .unwrap_or_default()
                ),
                format!(
                    "certificate [{index}] \"{subject}\" (serial {serial}) was revoked at {}{}",
                    display(*revoked_at),
                    reason
                        .as_deref()
                        .map(|r| format!(", reason {r}"))
                        .unwrap_or_default()
                ),
            ),
            PathError::RevocationUnknown {
                index,
                subject,
                problems,
            } => Text::new(
                format!(
                    "証明書[{index}]「{subject}」の失効状態を確認できません：{}",
                    crate::revocation::problem::unknown_status_text(problems).ja
                ),
                self.to_string(),
            ),
            PathError::Other { detail, .. } => Text::new(
                format!("証明書パスが無効です{}", hpki_text::DETAIL_IN_ENGLISH),
                format!("certificate path is not valid: {detail}"),
            ),
        }
    }
}

fn policy_list(p: &[ObjectIdentifier]) -> String {
    if p.is_empty() {
        "any policy".into()
    } else {
        p.iter()
            .map(|o| o.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl PathError {
    /// The position of the certificate at fault (0 = leaf), if the error names one.
    pub fn index(&self) -> Option<usize> {
        use PathError::*;
        match self {
            Malformed { .. } | UntrustedRoot { .. } => None,
            PolicyNotAsserted { .. } => Some(0),
            Expired { index, .. }
            | NotYetValid { index, .. }
            | IssuerMismatch { index, .. }
            | UnsupportedAlgorithm { index, .. }
            | BadSignature { index, .. }
            | NotACa { index, .. }
            | PathLenExceeded { index, .. }
            | KeyUsage { index, .. }
            | WeakKey { index, .. }
            | UnknownCriticalExtension { index, .. }
            | NoValidPolicy { index, .. }
            | ExplicitPolicyRequired { index, .. }
            | InvalidPolicyMapping { index, .. }
            | NameConstraints { index, .. }
            | Revoked { index, .. }
            | RevocationUnknown { index, .. } => Some(*index),
            Other { index, .. } => *index,
        }
    }
}
