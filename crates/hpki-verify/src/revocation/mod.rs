//! Revocation status of the certificates of a validated path, from CRLs and OCSP responses the
//! caller passes as bytes (fetched, stapled, or embedded in a long-term signature as
//! RevocationValues). Nothing is fetched here.
//!
//! - CRLs ([`crl`]): RFC 5280 §6.3.3: complete CRLs of the certificate's issuer (the HPKI
//!   case: each CA publishes its own CRL) or indirect CRLs of the cRLIssuer its distribution
//!   points name (entries by certificateIssuer), honouring issuingDistributionPoint scopes;
//!   delta CRLs applied to the complete CRL of the same scope whose number they build on (one
//!   that cannot be used leaves that CRL not up to date); CRLs partitioned by reason
//!   (onlySomeReasons), whose good answers must together cover every reason; signed with the
//!   key that issued the certificate, another key of that CA in the validated path (a key
//!   rollover), or a separate CRL-signing certificate from [`RevocationData::certificates`]
//!   validated to the same trust anchor with a known, unrevoked status of its own (one level
//!   deep: its CRLs must be signed within its own path).
//! - OCSP ([`ocsp`]): RFC 6960 basic responses signed by the issuing CA itself or by a delegated
//!   responder certified by it with id-kp-OCSPSigning (§4.2.2.2). Locally configured responders
//!   are not supported.
//!
//! # When revocation data speaks about the validation time
//!
//! A CRL or response with `thisUpdate ≤ at ≤ nextUpdate` is current at `at` (RFC 5280
//! §6.3.3 (a)(2), RFC 6960 §4.2.2.1). One issued *after* `at` is evidence about `at` too —
//! revocation is permanent, so a later list that does not list the certificate, or lists it with a
//! later `revocationDate`, shows it was not revoked at `at`; this is how a long-term signature is
//! checked at the time its timestamp proves. It is used only if issued no later than the
//! certificate's `notAfter`, because entries of expired certificates may be removed (RFC 5280
//! §3.3, §5.1.2.6).
//!
//! A certificate is [`RevocationStatus::Revoked`] when any usable source shows a revocation
//! dated at or before `at`, [`RevocationStatus::Good`] when a usable source covers it otherwise,
//! and [`RevocationStatus::Unknown`] when none does.

pub mod crl;
pub mod ocsp;
pub mod problem;

pub use problem::{ExtensionPlace, ResponderFault, RevocationProblem, SourcedProblem};

use std::time::SystemTime;

use hpki_text::Text;
use x509_cert::Certificate;
use x509_cert::ext::pkix::CrlReason;

use crate::error::PathError;
use crate::path::ValidPath;
use crate::time::display;

/// CRLs and OCSP responses, DER-encoded, in any order and for any certificates.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RevocationData {
    /// `CertificateList`s (RFC 5280 §5.1), DER.
    pub crls: Vec<Vec<u8>>,
    /// `OCSPResponse`s (RFC 6960 §4.2.1), DER.
    pub ocsp_responses: Vec<Vec<u8>>,
    /// Certificates that may have signed a CRL outside the validated path (a separate
    /// CRL-signing certificate, an indirect CRL's issuer) and the CA certificates above them,
    /// DER; each is used only with a valid path to the path's own trust anchor.
    pub certificates: Vec<Vec<u8>>,
}

/// A revocation: when, why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Revocation {
    /// `revocationDate` (CRL) or `revocationTime` (OCSP).
    pub revoked_at: SystemTime,
    /// The reason code, if stated (RFC 5280 §5.3.1).
    pub reason: Option<CrlReason>,
    /// `invalidityDate` (RFC 5280 §5.3.2): when the key is known or suspected to have been
    /// compromised, if stated (CRL only).
    pub invalidity_date: Option<SystemTime>,
}

impl Revocation {
    /// The RFC 5280 name of the reason, if any.
    pub fn reason_name(&self) -> Option<&'static str> {
        self.reason.map(reason_name)
    }
}

/// The RFC 5280 §5.3.1 name of a reason code.
pub fn reason_name(r: CrlReason) -> &'static str {
    match r {
        CrlReason::Unspecified => "unspecified",
        CrlReason::KeyCompromise => "keyCompromise",
        CrlReason::CaCompromise => "cACompromise",
        CrlReason::AffiliationChanged => "affiliationChanged",
        CrlReason::Superseded => "superseded",
        CrlReason::CessationOfOperation => "cessationOfOperation",
        CrlReason::CertificateHold => "certificateHold",
        CrlReason::RemoveFromCRL => "removeFromCRL",
        CrlReason::PrivilegeWithdrawn => "privilegeWithdrawn",
        CrlReason::AaCompromise => "aACompromise",
    }
}

/// Who signed an OCSP response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Responder {
    /// The issuing CA itself.
    Issuer,
    /// A responder certificate issued by the CA with id-kp-OCSPSigning (RFC 6960 §4.2.2.2).
    Delegated {
        /// The responder certificate's subject.
        subject: String,
    },
}

/// Where a status came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StatusSource {
    /// A CRL of the certificate's issuer.
    Crl {
        /// The CRL issuer.
        issuer: String,
        /// cRLNumber (RFC 5280 §5.2.3), decimal, if present.
        number: Option<String>,
        /// thisUpdate.
        this_update: SystemTime,
        /// nextUpdate.
        next_update: Option<SystemTime>,
    },
    /// An OCSP response.
    Ocsp {
        /// Who signed it.
        responder: Responder,
        /// producedAt.
        produced_at: SystemTime,
        /// thisUpdate of the single response.
        this_update: SystemTime,
        /// nextUpdate of the single response.
        next_update: Option<SystemTime>,
    },
    /// An OCSP responder certificate with id-pkix-ocsp-nocheck (RFC 6960 §4.2.2.2.1): trusted
    /// for its lifetime, not checked.
    NoCheck,
}

impl std::fmt::Display for StatusSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StatusSource::Crl {
                number,
                this_update,
                ..
            } => {
                write!(f, "CRL")?;
                if let Some(n) = number {
                    write!(f, " #{n}")?;
                }
                write!(f, " of {}", display(*this_update))
            }
            StatusSource::Ocsp {
                responder,
                this_update,
                ..
            } => {
                let who = match responder {
                    Responder::Issuer => "the issuing CA".to_owned(),
                    Responder::Delegated { subject } => format!("responder \"{subject}\""),
                };
                write!(f, "OCSP by {who} at {}", display(*this_update))
            }
            StatusSource::NoCheck => write!(f, "id-pkix-ocsp-nocheck"),
        }
    }
}

/// The revocation status of one certificate at the validation time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RevocationStatus {
    /// Not revoked at the validation time.
    Good {
        /// The newest source that says so.
        source: StatusSource,
        /// A revocation dated after the validation time, if a source shows one: the certificate
        /// was good then and revoked later.
        later_revocation: Option<Revocation>,
    },
    /// Revoked at or before the validation time.
    Revoked {
        /// When and why.
        revocation: Revocation,
        /// The source that shows it.
        source: StatusSource,
    },
    /// No usable source covers the certificate at the validation time.
    Unknown {
        /// Why each candidate source did not answer (empty when there was none).
        reasons: Vec<SourcedProblem>,
    },
}

/// The status of one certificate of the path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertificateStatus {
    /// Position in the path (0 = leaf).
    pub index: usize,
    /// Its subject.
    pub subject: String,
    /// Its serial number, lowercase hex.
    pub serial: String,
    /// Its status.
    pub status: RevocationStatus,
}

/// Which certificates must have a known status for [`RevocationReport::require`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RevocationScope {
    /// Only a revocation fails; unknown status is accepted.
    RevokedOnly,
    /// The leaf's status must be known (as `openssl verify -crl_check`).
    Leaf,
    /// Every certificate's status must be known (as `openssl verify -crl_check_all`).
    All,
}

/// The revocation status of every certificate of a path except the trust anchor, leaf first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RevocationReport {
    /// One entry per certificate, leaf first.
    pub certificates: Vec<CertificateStatus>,
    /// Inputs that could not be decoded at all.
    pub unreadable: Vec<String>,
}

impl RevocationReport {
    /// The leaf's status.
    pub fn leaf(&self) -> &CertificateStatus {
        &self.certificates[0]
    }

    /// `Err` naming the first certificate revoked at the validation time, or whose status is
    /// unknown within `scope`.
    pub fn require(&self, scope: RevocationScope) -> Result<(), PathError> {
        for c in &self.certificates {
            if let RevocationStatus::Revoked { revocation, .. } = &c.status {
                return Err(PathError::Revoked {
                    index: c.index,
                    subject: c.subject.clone(),
                    serial: c.serial.clone(),
                    revoked_at: revocation.revoked_at,
                    reason: revocation.reason_name().map(str::to_owned),
                });
            }
        }
        for c in &self.certificates {
            let in_scope = match scope {
                RevocationScope::RevokedOnly => false,
                RevocationScope::Leaf => c.index == 0,
                RevocationScope::All => true,
            };
            if let (true, RevocationStatus::Unknown { reasons }) = (in_scope, &c.status) {
                return Err(PathError::RevocationUnknown {
                    index: c.index,
                    subject: c.subject.clone(),
                    problems: reasons.clone(),
                });
            }
        }
        Ok(())
    }
}

/// What one source says about one certificate.
#[derive(Clone, Debug)]
pub(crate) enum Outcome {
    Good,
    Revoked(Revocation),
    Unknown,
}

/// One usable answer about one certificate.
#[derive(Clone, Debug)]
pub(crate) struct Evidence {
    pub source: StatusSource,
    pub this_update: SystemTime,
    pub outcome: Outcome,
    /// The revocation reasons the source covers for the certificate (ReasonFlags bits; all
    /// for OCSP and most CRLs, fewer for a CRL partitioned by onlySomeReasons).
    pub reasons: u16,
}

/// Whether status information with `this_update` / `next_update` speaks about `at` for `cert`
/// (see the module documentation); `Err` says why not.
pub(crate) fn covers(
    this_update: SystemTime,
    next_update: Option<SystemTime>,
    at: SystemTime,
    cert: &Certificate,
) -> Result<(), RevocationProblem> {
    if this_update <= at {
        match next_update {
            Some(next) if at <= next => Ok(()),
            Some(next) => Err(RevocationProblem::Stale {
                next_update: next,
                at,
            }),
            None => Err(RevocationProblem::NoNextUpdate),
        }
    } else {
        let not_after = crate::time::from_x509(&cert.tbs_certificate().validity().not_after);
        if this_update <= not_after {
            Ok(())
        } else {
            Err(RevocationProblem::IssuedAfterExpiry {
                this_update,
                not_after,
            })
        }
    }
}

/// Lowercase hex of a serial number's octets.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// [`RevocationData`] decoded once, for several [`check_parsed`] calls (a verifier checks the
/// signer's path and each TSA's path against the same CRLs and OCSP responses).
#[derive(Debug)]
pub struct ParsedRevocationData {
    crls: Vec<std::sync::Arc<crl::ParsedCrl>>,
    responses: Vec<ocsp::ParsedResponse>,
    certificates: Vec<Vec<u8>>,
    unreadable: Vec<String>,
}

impl ParsedRevocationData {
    /// Decodes every CRL and OCSP response of `data`; one that cannot be decoded is listed in
    /// the reports' [`RevocationReport::unreadable`].
    pub fn parse(data: &RevocationData) -> Self {
        let mut unreadable = Vec::new();
        let crls = data
            .crls
            .iter()
            .enumerate()
            .filter_map(|(i, der)| {
                match crate::memo::CRLS.get_or_try(der, || crl::ParsedCrl::parse(der)) {
                    Ok(c) => Some(c),
                    Err(e) => {
                        unreadable.push(format!("CRL #{} of the input: {e}", i + 1));
                        None
                    }
                }
            })
            .collect();
        let responses = data
            .ocsp_responses
            .iter()
            .enumerate()
            .filter_map(|(i, der)| match ocsp::ParsedResponse::parse(der) {
                Ok(r) => Some(r),
                Err(e) => {
                    unreadable.push(format!("OCSP response #{} of the input: {e}", i + 1));
                    None
                }
            })
            .collect();
        ParsedRevocationData {
            crls,
            responses,
            certificates: data.certificates.clone(),
            unreadable,
        }
    }
}

/// Determine the revocation status of each certificate of `path` (all but the trust anchor) at
/// `at` from `data`.
pub fn check_revocation(
    path: &ValidPath,
    data: &RevocationData,
    at: SystemTime,
) -> RevocationReport {
    check_parsed(path, &ParsedRevocationData::parse(data), at)
}

/// [`check_revocation`] with data decoded once ([`ParsedRevocationData::parse`]).
pub fn check_parsed(
    path: &ValidPath,
    data: &ParsedRevocationData,
    at: SystemTime,
) -> RevocationReport {
    check_at_depth(path, data, at, &data.certificates, 0)
}

/// [`check_parsed`] for a path (`depth` 0) or for the path of a separate CRL-signing
/// certificate (`depth` 1, whose CRLs must be signed within its path), with `pool` the
/// candidate CRL signers and their CAs.
pub(crate) fn check_at_depth(
    path: &ValidPath,
    data: &ParsedRevocationData,
    at: SystemTime,
    pool: &[Vec<u8>],
    depth: u8,
) -> RevocationReport {
    let crls = &data.crls;
    let responses = &data.responses;
    let anchor = path.encoded.last().map(Vec::as_slice).unwrap_or_default();
    let signers = crl::Signers {
        pool,
        anchor,
        data,
        depth,
    };
    let mut certificates = Vec::new();
    for index in 0..path.certificates.len().saturating_sub(1) {
        let cert = &path.certificates[index];
        let issuer = &path.certificates[index + 1];
        let mut evidence = Vec::new();
        let mut reasons = Vec::new();
        if ocsp::is_nocheck_responder(cert) {
            evidence.push(Evidence {
                source: StatusSource::NoCheck,
                this_update: at,
                outcome: Outcome::Good,
                reasons: crl::ALL_REASONS,
            });
        }
        for r in responses {
            match r.evidence(cert, issuer, at) {
                None => {}
                Some(Ok(e)) => evidence.push(e),
                Some(Err(problem)) => reasons.push(SourcedProblem {
                    source: Text::new("OCSP 応答", "OCSP response"),
                    problem,
                }),
            }
        }
        for c in crls {
            match c.evidence(&path.certificates, index, at, &signers) {
                None => {}
                Some(Err(problem)) => reasons.push(SourcedProblem {
                    source: c.describe(),
                    problem,
                }),
                // §6.3.3 (c): the delta CRLs of this complete CRL update it; one that cannot
                // be used leaves the complete CRL not up to date.
                Some(Ok(mut e)) => {
                    let mut usable = true;
                    for d in crls.iter().filter(|d| d.is_delta_of(c)) {
                        match d.apply_delta(&path.certificates, index, at, &signers, e.clone()) {
                            Ok(updated) => e = updated,
                            Err(problem) => {
                                usable = false;
                                reasons.push(SourcedProblem {
                                    source: d.describe(),
                                    problem,
                                });
                                reasons.push(SourcedProblem {
                                    source: c.describe(),
                                    problem: RevocationProblem::DeltaCrl,
                                });
                            }
                        }
                    }
                    if usable {
                        evidence.push(e);
                    }
                }
            }
        }
        certificates.push(CertificateStatus {
            index,
            subject: crate::dn::display(cert.tbs_certificate().subject()),
            serial: hex(cert.tbs_certificate().serial_number().as_bytes()),
            status: decide(evidence, reasons, at),
        });
    }
    RevocationReport {
        certificates,
        unreadable: data.unreadable.clone(),
    }
}

/// Combine the usable answers about one certificate: a revocation at or before `at` wins, then
/// the newest good answer; an OCSP "unknown" alone leaves the status unknown.
fn decide(
    mut evidence: Vec<Evidence>,
    mut reasons: Vec<SourcedProblem>,
    at: SystemTime,
) -> RevocationStatus {
    // Newest first.
    evidence.sort_by_key(|e| std::cmp::Reverse(e.this_update));
    let revoked_by_at = evidence.iter().find_map(|e| match &e.outcome {
        Outcome::Revoked(r) if r.revoked_at <= at => Some((r.clone(), e.source.clone())),
        _ => None,
    });
    if let Some((revocation, source)) = revoked_by_at {
        return RevocationStatus::Revoked { revocation, source };
    }
    let later_revocation = evidence
        .iter()
        .filter_map(|e| match &e.outcome {
            Outcome::Revoked(r) => Some(r.clone()),
            _ => None,
        })
        .min_by_key(|r| r.revoked_at);
    // A revocation after `at` also shows the certificate was good at `at`; the good answers
    // together must cover every reason (RFC 5280 §6.3.3 (d), (j): reasons_mask all-reasons).
    let good: Vec<&Evidence> = evidence
        .iter()
        .filter(|e| matches!(e.outcome, Outcome::Good | Outcome::Revoked(_)))
        .collect();
    let covered = good.iter().fold(0, |m, e| m | e.reasons);
    if let Some(e) = good.first() {
        if covered & crl::ALL_REASONS == crl::ALL_REASONS {
            return RevocationStatus::Good {
                source: e.source.clone(),
                later_revocation,
            };
        }
        reasons.push(SourcedProblem {
            source: Text::same(e.source.to_string()),
            problem: RevocationProblem::PartitionedCrl,
        });
    }
    for e in &evidence {
        if matches!(e.outcome, Outcome::Unknown) {
            reasons.push(SourcedProblem {
                source: Text::same(e.source.to_string()),
                problem: RevocationProblem::ResponderDoesNotKnow,
            });
        }
    }
    RevocationStatus::Unknown { reasons }
}
