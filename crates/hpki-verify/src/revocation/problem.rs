//! Why a CRL or an OCSP response could not decide a certificate's status at the validation
//! time: one typed reason per rule of RFC 5280 §6.3 and RFC 6960 §3.2 / §4.2.2.2 that it broke,
//! said in Japanese and English.

use std::time::SystemTime;

use hpki_text::{Localized, Text};

use crate::time::display;

/// Where an unsupported critical extension sits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ExtensionPlace {
    /// `crlExtensions` (RFC 5280 §5.2).
    Crl,
    /// `crlEntryExtensions` (RFC 5280 §5.3).
    CrlEntry,
    /// `responseExtensions` (RFC 6960 §4.4).
    OcspResponse,
    /// `singleExtensions` (RFC 6960 §4.2.1).
    OcspSingleResponse,
}

/// Why one CRL or OCSP response did not decide a certificate's status.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RevocationProblem {
    /// An extension could not be decoded (`what`: its name; `detail`: the decoder's words).
    Malformed {
        /// The extension.
        what: &'static str,
        /// What the decoder said (English).
        detail: String,
    },
    /// Entries name certificate issuers (`certificateIssuer`, RFC 5280 §5.3.3) in a CRL that
    /// is not marked indirect (`indirectCRL` of its issuingDistributionPoint, §5.2.5).
    IndirectCrl,
    /// The CRLs found cover only some revocation reasons (`onlySomeReasons`, RFC 5280 §5.2.5,
    /// §6.3.3 (d)); none covers the others.
    PartitionedCrl,
    /// A delta CRL for this complete CRL (same issuer and scope, RFC 5280 §5.2.4) is not current
    /// at the validation time, so the complete CRL is not up to date on its own (§6.3.3 (c)).
    DeltaCrl,
    /// A critical extension this verifier does not process (RFC 5280 §5.2, §5.3; RFC 6960
    /// §4.4).
    UnsupportedCriticalExtension {
        /// The extension's OID.
        oid: String,
        /// Where it is.
        place: ExtensionPlace,
    },
    /// `signature` of the TBSCertList and `signatureAlgorithm` of the CRL differ (RFC 5280
    /// §5.1.1.2).
    SignatureAlgorithmsDiffer,
    /// The CRL names another key of its issuer (`authorityKeyIdentifier`, RFC 5280 §5.2.1).
    OtherIssuerKey,
    /// The CRL issuer's keyUsage lacks cRLSign (RFC 5280 §4.2.1.3, §6.3.3 (f)).
    NotCrlSigner,
    /// The signature does not verify (`detail`: the verifier's words).
    BadSignature {
        /// What the signature check said (English).
        detail: String,
    },
    /// No certificate of the CRL issuer that signed the CRL could be validated to the trust
    /// anchor of the path (RFC 5280 §6.3.3 (f): a certificate of the path, or a separate
    /// CRL-signing certificate with its own valid, unrevoked path to the same anchor); `first`
    /// says what was wrong with the first candidate.
    NoSignerInPath {
        /// What was wrong with the first certificate of the issuer tried.
        first: Option<Box<RevocationProblem>>,
    },
    /// A separate CRL-signing certificate signed the CRL, but its own path to the trust anchor
    /// is not valid or its status is not known and good (RFC 5280 §6.3.3 (f)).
    SignerPath {
        /// What its validation said.
        detail: Text,
    },
    /// The information is stale: its nextUpdate is before the validation time (RFC 5280
    /// §6.3.3 (a); RFC 6960 §3.2 (5)).
    Stale {
        /// Its nextUpdate.
        next_update: SystemTime,
        /// The validation time.
        at: SystemTime,
    },
    /// The information has no nextUpdate, so it is not known to be current.
    NoNextUpdate,
    /// The information was issued after the certificate expired, when its entry may have been
    /// removed (RFC 5280 §3.3).
    IssuedAfterExpiry {
        /// Its thisUpdate.
        this_update: SystemTime,
        /// The certificate's notAfter.
        not_after: SystemTime,
    },
    /// The OCSP response is signed by neither the issuing CA nor a certificate it includes
    /// (RFC 6960 §4.2.2.2).
    UnknownResponder,
    /// The delegated responder is not authorised by the certificate's issuer (RFC 6960
    /// §4.2.2.2): `why` says which condition failed.
    UnauthorisedResponder {
        /// The responder certificate's subject.
        responder: String,
        /// Which condition it fails.
        why: ResponderFault,
    },
    /// The OCSP responder does not know the certificate (RFC 6960 §2.2 `unknown`).
    ResponderDoesNotKnow,
}

/// Which condition of RFC 6960 §4.2.2.2 a delegated responder certificate fails.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ResponderFault {
    /// It is not issued by the CA that issued the certificate in question.
    NotIssuedByTheIssuer,
    /// Its signature by that CA does not verify (`detail`: the verifier's words).
    BadSignature {
        /// What the signature check said (English).
        detail: String,
    },
    /// It lacks id-kp-OCSPSigning.
    NoOcspSigning,
    /// Its keyUsage does not allow signatures.
    KeyUsage,
    /// It was not valid when the response was produced.
    NotValidAt {
        /// The response's producedAt.
        produced_at: SystemTime,
    },
}

impl Localized for RevocationProblem {
    fn text(&self) -> Text {
        use RevocationProblem::*;
        match self {
            Malformed { what, detail } => Text::new(
                format!("{what} を読み取れません{}", hpki_text::DETAIL_IN_ENGLISH),
                format!("malformed {what}: {detail}"),
            ),
            IndirectCrl => Text::new(
                "間接 CRL として示されていない CRL に、他の発行者の証明書のエントリがあります",
                "entries name other certificate issuers in a CRL not marked indirect",
            ),
            PartitionedCrl => Text::new(
                "見つかった CRL は一部の失効理由しか対象としていません（onlySomeReasons）",
                "the CRLs found cover only some revocation reasons (onlySomeReasons)",
            ),
            DeltaCrl => Text::new(
                "この CRL の差分 CRL が検証時刻に有効ではないため、最新の状態がわかりません",
                "a delta CRL of this CRL is not current at the validation time, so the CRL is not up to date",
            ),
            UnsupportedCriticalExtension { oid, place } => {
                let (ja, en) = match place {
                    ExtensionPlace::Crl => ("CRL", "CRL"),
                    ExtensionPlace::CrlEntry => ("CRL エントリ", "CRL entry"),
                    ExtensionPlace::OcspResponse => ("OCSP 応答", "response"),
                    ExtensionPlace::OcspSingleResponse => ("OCSP 応答（個別）", "single"),
                };
                Text::new(
                    format!("{ja}に処理できない重要（critical）拡張 {oid} があります"),
                    format!("unsupported critical {en} extension {oid}"),
                )
            }
            SignatureAlgorithmsDiffer => Text::new(
                "CRL の署名アルゴリズムの記載が一致しません",
                "signature algorithm fields of the CRL differ",
            ),
            OtherIssuerKey => Text::new(
                "発行者の別の鍵で署名されています（authorityKeyIdentifier が異なります）",
                "signed by another key of the issuer (authorityKeyIdentifier differs)",
            ),
            NotCrlSigner => Text::new(
                "発行者の鍵用途に cRLSign がありません",
                "the issuer's keyUsage does not include cRLSign",
            ),
            BadSignature { detail } => {
                Text::new("署名を検証できません", format!("signature: {detail}"))
            }
            NoSignerInPath { first } => match first {
                Some(p) => {
                    let p = p.text();
                    Text::new(
                        format!(
                            "{}（同じルート認証局まで検証できる CRL 発行者の証明書がありません）",
                            p.ja
                        ),
                        format!(
                            "{} (no certificate of the CRL issuer validates to the same trust anchor)",
                            p.en
                        ),
                    )
                }
                None => Text::new(
                    "CRL に署名した発行者の証明書を、同じルート認証局まで検証できません",
                    "no certificate of the CRL issuer that signed it validates to the same trust anchor",
                ),
            },
            SignerPath { detail } => Text::new(
                format!("CRL に署名した証明書を検証できません: {}", detail.ja),
                format!(
                    "the certificate that signed the CRL is not valid: {}",
                    detail.en
                ),
            ),
            Stale { next_update, at } => Text::new(
                format!(
                    "古い情報です（次回更新 {} が検証時刻 {} より前）",
                    display(*next_update),
                    display(*at)
                ),
                format!(
                    "stale: its nextUpdate {} is before the validation time {}",
                    display(*next_update),
                    display(*at)
                ),
            ),
            NoNextUpdate => Text::new(
                "次回更新（nextUpdate）がないため、最新かどうか分かりません",
                "it has no nextUpdate, so it is not known to be current",
            ),
            IssuedAfterExpiry {
                this_update,
                not_after,
            } => Text::new(
                format!(
                    "証明書の有効期限（{}）後の {} に発行されており、失効の記載が削除されている可能性があります",
                    display(*not_after),
                    display(*this_update)
                ),
                format!(
                    "issued at {}, after the certificate expired ({}), when its entry may have been removed",
                    display(*this_update),
                    display(*not_after)
                ),
            ),
            UnknownResponder => Text::new(
                "発行元の認証局でも、応答に含まれる証明書でもない者が署名しています",
                "signed by a responder that is neither the issuing CA nor a certificate included in the response",
            ),
            UnauthorisedResponder { responder, why } => {
                let (ja, en) = match why {
                    ResponderFault::NotIssuedByTheIssuer => (
                        "証明書の発行者が発行したものではありません".to_owned(),
                        "is not issued by the certificate's issuer".to_owned(),
                    ),
                    ResponderFault::BadSignature { detail } => (
                        "発行者の署名を検証できません".to_owned(),
                        format!("its issuer's signature does not verify: {detail}"),
                    ),
                    ResponderFault::NoOcspSigning => (
                        "id-kp-OCSPSigning がありません".to_owned(),
                        "lacks id-kp-OCSPSigning".to_owned(),
                    ),
                    ResponderFault::KeyUsage => (
                        "鍵用途が署名を許していません".to_owned(),
                        "has a keyUsage that does not allow signatures".to_owned(),
                    ),
                    ResponderFault::NotValidAt { produced_at } => (
                        format!(
                            "応答の作成時（{}）に有効ではありません",
                            display(*produced_at)
                        ),
                        format!(
                            "was not valid when the response was produced ({})",
                            display(*produced_at)
                        ),
                    ),
                };
                Text::new(
                    format!("OCSP レスポンダ証明書「{responder}」は{ja}"),
                    format!("responder certificate \"{responder}\" {en}"),
                )
            }
            ResponderDoesNotKnow => Text::new(
                "レスポンダはこの証明書を知りません（unknown）",
                "the responder does not know the certificate",
            ),
        }
    }
}

/// A problem of one named source ("CRL #3 of …", "OCSP response of …").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourcedProblem {
    /// The source, as [`crate::revocation::StatusSource`] or the CRL's description names it.
    pub source: Text,
    /// What was wrong with it.
    pub problem: RevocationProblem,
}

impl Localized for SourcedProblem {
    fn text(&self) -> Text {
        self.problem.text().after(self.source.clone())
    }
}

/// Why no source decided a certificate's status: every source's problem, or that there was no
/// source at all.
pub fn unknown_status_text(problems: &[SourcedProblem]) -> Text {
    if problems.is_empty() {
        Text::new(
            "該当する CRL・OCSP 応答がありません",
            "no CRL or OCSP response for it was given",
        )
    } else {
        Text::join(problems.iter().map(Localized::text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_problem_is_said_whole_in_each_language() {
        let t = SystemTime::UNIX_EPOCH;
        let all = [
            RevocationProblem::IndirectCrl,
            RevocationProblem::PartitionedCrl,
            RevocationProblem::DeltaCrl,
            RevocationProblem::UnsupportedCriticalExtension {
                oid: "1.2.3".into(),
                place: ExtensionPlace::CrlEntry,
            },
            RevocationProblem::SignatureAlgorithmsDiffer,
            RevocationProblem::OtherIssuerKey,
            RevocationProblem::NotCrlSigner,
            RevocationProblem::NoSignerInPath { first: None },
            RevocationProblem::Stale {
                next_update: t,
                at: t,
            },
            RevocationProblem::NoNextUpdate,
            RevocationProblem::IssuedAfterExpiry {
                this_update: t,
                not_after: t,
            },
            RevocationProblem::UnknownResponder,
            RevocationProblem::UnauthorisedResponder {
                responder: "CN=OCSP".into(),
                why: ResponderFault::NoOcspSigning,
            },
            RevocationProblem::ResponderDoesNotKnow,
        ];
        for p in all {
            let t = p.text();
            assert!(hpki_text::has_japanese(&t.ja), "{p:?}: {}", t.ja);
            assert!(!hpki_text::has_japanese(&t.en), "{p:?}: {}", t.en);
        }
        let s = SourcedProblem {
            source: Text::new("「X」の CRL #2", "CRL #2 of \"X\""),
            problem: RevocationProblem::NotCrlSigner,
        };
        assert_eq!(
            s.text().en,
            "CRL #2 of \"X\": the issuer's keyUsage does not include cRLSign"
        );
        assert_eq!(
            s.text().ja,
            "「X」の CRL #2：発行者の鍵用途に cRLSign がありません"
        );
    }
}
