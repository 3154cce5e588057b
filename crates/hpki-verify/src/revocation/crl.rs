//! CRL processing (RFC 5280 §6.3.3): complete CRLs with their issuingDistributionPoint scope
//! and reasons, delta CRLs applied to their complete CRL, indirect CRLs (cRLIssuer,
//! certificateIssuer), and CRLs signed by another key of the issuer or a separate CRL-signing
//! certificate validated to the same trust anchor.

use hpki_text::{Localized, Text};

use super::problem::{ExtensionPlace, RevocationProblem};
use std::time::SystemTime;

use const_oid::ObjectIdentifier;
use der::asn1::GeneralizedTime;
use der::{Decode, Header, Reader, SliceReader, Tag};
use x509_cert::Certificate;
use x509_cert::crl::CertificateList;
use x509_cert::ext::Extension;
use x509_cert::ext::pkix::crl::CrlDistributionPoints;
use x509_cert::ext::pkix::crl::dp::IssuingDistributionPoint;
use x509_cert::ext::pkix::name::{DistributionPointName, GeneralName};
use x509_cert::ext::pkix::{
    AuthorityKeyIdentifier, BasicConstraints, CrlReason, KeyUsage, SubjectKeyIdentifier,
};
use x509_cert::name::{Name, RdnSequence};

use super::{Evidence, Outcome, Revocation, StatusSource, covers};
use crate::time::{display, from_generalized, from_x509};

/// authorityKeyIdentifier (RFC 5280 §5.2.1).
const AUTHORITY_KEY_IDENTIFIER: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.35");
/// cRLNumber (RFC 5280 §5.2.3).
const CRL_NUMBER: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.20");
/// deltaCRLIndicator (RFC 5280 §5.2.4).
const DELTA_CRL_INDICATOR: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.27");
/// issuingDistributionPoint (RFC 5280 §5.2.5). (x509-cert 0.3.0 associates its
/// `IssuingDistributionPoint` type with the wrong OID, so the extension is found by this one.)
const ISSUING_DISTRIBUTION_POINT: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.28");
/// freshestCRL (RFC 5280 §5.2.6).
const FRESHEST_CRL: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.46");
/// authorityInfoAccess (RFC 5280 §5.2.7).
const AUTHORITY_INFO_ACCESS: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.1.1");
/// expiredCertsOnCRL (X.509 (2019) §9.6.2.9).
const EXPIRED_CERTS_ON_CRL: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.60");
/// reasonCode (RFC 5280 §5.3.1).
const REASON_CODE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.21");
/// holdInstructionCode (RFC 5280 §5.3.2 of RFC 3280; deprecated).
const HOLD_INSTRUCTION_CODE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.23");
/// invalidityDate (RFC 5280 §5.3.2).
const INVALIDITY_DATE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.24");
/// certificateIssuer (RFC 5280 §5.3.3).
const CERTIFICATE_ISSUER: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.29");

/// The DER of the first element of the outer SEQUENCE of `der`: the exact signed bytes of a
/// signed structure (TBSCertList, ResponseData), without re-encoding.
pub(crate) fn signed_part(der: &[u8]) -> der::Result<&[u8]> {
    let mut reader = SliceReader::new(der)?;
    let header = Header::decode(&mut reader)?;
    header.tag().assert_eq(Tag::Sequence)?;
    reader.tlv_bytes()
}

/// A decoded CRL with the exact bytes its signature covers.
pub struct ParsedCrl {
    crl: CertificateList,
    tbs: Vec<u8>,
    number: Option<String>,
    /// cRLNumber's octets, leading zeros removed (for comparisons with a delta's base).
    number_octets: Option<Vec<u8>>,
    /// deltaCRLIndicator's BaseCRLNumber octets, leading zeros removed: a delta CRL.
    delta_base: Option<Vec<u8>>,
    /// The issuingDistributionPoint extension's value, as carried (a delta CRL applies to a
    /// complete CRL of the same scope, RFC 5280 §5.2.4).
    idp_der: Option<Vec<u8>>,
}

/// Every reason of ReasonFlags (RFC 5280 §4.2.1.13) but `unused`: keyCompromise (1) …
/// aACompromise (8).
pub(crate) const ALL_REASONS: u16 = 0x1fe;

/// The octets of a non-negative INTEGER without leading zeros.
fn octets(bytes: &[u8]) -> Vec<u8> {
    bytes.iter().copied().skip_while(|b| *b == 0).collect()
}

/// `a ≤ b` for unsigned big-endian octets without leading zeros.
fn not_above(a: &[u8], b: &[u8]) -> bool {
    (a.len(), a) <= (b.len(), b)
}

/// The decimal form of a non-negative INTEGER's octets (hex above 128 bits).
fn integer(bytes: &[u8]) -> String {
    let bytes = octets(bytes);
    if bytes.len() > 16 {
        return format!("0x{}", super::hex(&bytes));
    }
    let mut v: u128 = 0;
    for b in &bytes {
        v = (v << 8) | u128::from(*b);
    }
    v.to_string()
}

fn find(exts: Option<&Vec<Extension>>, oid: ObjectIdentifier) -> Option<&Extension> {
    exts.and_then(|e| e.iter().find(|x| x.extn_id == oid))
}

/// What CRL processing may use beyond the validated path: the certificates that may have
/// signed a CRL outside it (a separate CRL-signing certificate, an indirect CRL's issuer),
/// validated to the path's own trust anchor (RFC 5280 §6.3.3 (f)) with the same revocation
/// data, one level deep (the CRL signer's own status must come from CRLs signed within its
/// path).
pub(crate) struct Signers<'a> {
    /// Candidate certificates, DER.
    pub pool: &'a [Vec<u8>],
    /// The trust anchor of the path being checked, DER.
    pub anchor: &'a [u8],
    /// The revocation data, for the CRL signer's own status.
    pub data: &'a super::ParsedRevocationData,
    /// 0 for the path being checked, 1 for a CRL signer's path.
    pub depth: u8,
}

/// One of a certificate's distribution points (RFC 5280 §4.2.1.13), as CRL processing uses it.
struct CertDp {
    /// Its name as full names (`None`: no distributionPoint).
    names: Option<Vec<GeneralName>>,
    /// Its cRLIssuer.
    crl_issuer: Option<Vec<GeneralName>>,
    /// Its reasons (all when absent).
    reasons: u16,
}

/// The distribution points of `cert`; one without name, issuer and reasons when it has none
/// (§6.3.3: "as if it had a distribution point whose cRLIssuer is the certificate issuer").
fn cert_dps(cert: &Certificate) -> Vec<CertDp> {
    let issuer = cert.tbs_certificate().issuer();
    match cert
        .tbs_certificate()
        .get_extension::<CrlDistributionPoints>()
    {
        Ok(Some((_, dps))) => dps
            .0
            .iter()
            .map(|dp| {
                let dp_issuer = dp
                    .crl_issuer
                    .iter()
                    .flatten()
                    .find_map(|g| match g {
                        GeneralName::DirectoryName(n) => Some(n),
                        _ => None,
                    })
                    .unwrap_or(issuer);
                CertDp {
                    names: dp
                        .distribution_point
                        .as_ref()
                        .map(|n| full_names(n, dp_issuer)),
                    crl_issuer: dp.crl_issuer.clone(),
                    reasons: dp.reasons.map_or(ALL_REASONS, |r| r.bits()),
                }
            })
            .collect(),
        _ => vec![CertDp {
            names: None,
            crl_issuer: None,
            reasons: ALL_REASONS,
        }],
    }
}

impl ParsedCrl {
    /// Decode a DER `CertificateList`.
    pub fn parse(der: &[u8]) -> Result<ParsedCrl, String> {
        let crl = CertificateList::from_der(der).map_err(|e| e.to_string())?;
        let tbs = signed_part(der).map_err(|e| e.to_string())?.to_vec();
        let exts = crl.tbs_cert_list.crl_extensions.as_ref();
        let uint = |oid| {
            find(exts, oid)
                .and_then(|x| der::asn1::Uint::from_der(x.extn_value.as_bytes()).ok())
                .map(|n| octets(n.as_bytes()))
        };
        let number_octets = uint(CRL_NUMBER);
        let delta_base = uint(DELTA_CRL_INDICATOR);
        if find(exts, DELTA_CRL_INDICATOR).is_some() && delta_base.is_none() {
            return Err("a deltaCRLIndicator without a readable BaseCRLNumber".into());
        }
        let number = number_octets.as_deref().map(integer);
        let idp_der =
            find(exts, ISSUING_DISTRIBUTION_POINT).map(|x| x.extn_value.as_bytes().to_vec());
        Ok(ParsedCrl {
            crl,
            tbs,
            number,
            number_octets,
            delta_base,
            idp_der,
        })
    }

    /// Whether this is a delta CRL (RFC 5280 §5.2.4).
    pub(crate) fn is_delta(&self) -> bool {
        self.delta_base.is_some()
    }

    /// `CRL #n of "issuer"`, for messages.
    pub fn describe(&self) -> Text {
        let issuer = crate::dn::display(&self.crl.tbs_cert_list.issuer);
        let kind = if self.is_delta() {
            ("差分 CRL", "delta CRL")
        } else {
            ("CRL", "CRL")
        };
        match &self.number {
            Some(n) => Text::new(
                format!("「{issuer}」の {} #{n}", kind.0),
                format!("{} #{n} of \"{issuer}\"", kind.1),
            ),
            None => Text::new(
                format!("「{issuer}」の {}", kind.0),
                format!("{} of \"{issuer}\"", kind.1),
            ),
        }
    }

    /// The scope check of RFC 5280 §6.3.3 (b) and (d) for `cert`: `None` if this CRL is not
    /// for it (another issuer not named by its distribution points, a distribution point or a
    /// kind of certificate it does not cover), else the reasons it covers for it (`Err` when
    /// its issuingDistributionPoint cannot be read).
    fn scope(&self, cert: &Certificate) -> Option<Result<u16, RevocationProblem>> {
        let tbs = &self.crl.tbs_cert_list;
        let cert_issuer = cert.tbs_certificate().issuer();
        let direct = certval::compare_names(&tbs.issuer, cert_issuer);
        // The common case, each HPKI CA's own CRL: without an issuingDistributionPoint a CRL of
        // the certificate's issuer covers all its certificates for all reasons (§5.2.5).
        if self.idp_der.is_none() {
            return direct.then_some(Ok(ALL_REASONS));
        }
        let idp = match &self.idp_der {
            Some(der) => match IssuingDistributionPoint::from_der(der) {
                Ok(idp) => Some(idp),
                Err(e) => {
                    return Some(Err(RevocationProblem::Malformed {
                        what: "issuingDistributionPoint",
                        detail: e.to_string(),
                    }));
                }
            },
            None => None,
        };
        let indirect = idp.as_ref().is_some_and(|i| i.indirect_crl);
        let is_ca = matches!(
            cert.tbs_certificate().get_extension::<BasicConstraints>(),
            Ok(Some((_, bc))) if bc.ca
        );
        if let Some(idp) = &idp
            && (idp.only_contains_attribute_certs
                || (idp.only_contains_user_certs && is_ca)
                || (idp.only_contains_ca_certs && !is_ca))
        {
            return None;
        }
        let idp_names = idp
            .as_ref()
            .and_then(|i| i.distribution_point.as_ref())
            .map(|n| full_names(n, &tbs.issuer));
        let crl_issuer = GeneralName::DirectoryName(tbs.issuer.clone());
        let mut reasons = None::<u16>;
        for dp in cert_dps(cert) {
            // §6.3.3 (b)(1): the CRL issuer is the cRLIssuer of the point (an indirect CRL),
            // else the certificate's issuer.
            let issuer_ok = match &dp.crl_issuer {
                Some(names) => indirect && intersect(names, std::slice::from_ref(&crl_issuer)),
                None => direct,
            };
            // §6.3.3 (b)(2)(i): the IDP's name is one of the point's names (or of its
            // cRLIssuer when the point has no name).
            let name_ok = match (&idp_names, &dp.names, &dp.crl_issuer) {
                (None, _, _) => true,
                (Some(idp), Some(names), _) => intersect(idp, names),
                (Some(idp), None, Some(issuers)) => intersect(idp, issuers),
                (Some(idp), None, None) => {
                    intersect(idp, &[GeneralName::DirectoryName(cert_issuer.clone())])
                }
            };
            if issuer_ok && name_ok {
                reasons = Some(reasons.unwrap_or(0) | dp.reasons);
            }
        }
        // A complete CRL of the certificate's own issuer for every point (no IDP name) covers
        // it even where its points name other issuers.
        if reasons.is_none() && direct && idp_names.is_none() {
            reasons = Some(ALL_REASONS);
        }
        let reasons = reasons?;
        // §6.3.3 (d): the reasons the CRL covers for this certificate.
        let idp_reasons = idp
            .as_ref()
            .and_then(|i| i.only_some_reasons)
            .map_or(ALL_REASONS, |r| r.bits());
        let interim = reasons & idp_reasons & ALL_REASONS;
        (interim != 0).then_some(Ok(interim))
    }

    /// What this complete CRL says about the certificate at `index` of the validated `path`
    /// (leaf first) at `at`: `None` if it is not a CRL for that certificate at all (another
    /// issuer, a scope that excludes it, or a delta CRL, which [`Self::apply_delta`] uses),
    /// `Err` if it is one but cannot be used, with the reason.
    pub(crate) fn evidence(
        &self,
        path: &[Certificate],
        index: usize,
        at: SystemTime,
        signers: &Signers<'_>,
    ) -> Option<Result<Evidence, RevocationProblem>> {
        if self.is_delta() {
            return None;
        }
        let cert = &path[index];
        let reasons = match self.scope(cert)? {
            Ok(r) => r,
            Err(e) => return Some(Err(e)),
        };
        Some(
            self.check(path, index, at, signers)
                .map(|(source, this_update, outcome)| Evidence {
                    source,
                    this_update,
                    outcome,
                    reasons,
                }),
        )
    }

    /// Whether this delta CRL applies to the complete CRL `base` (RFC 5280 §5.2.4, §6.3.3
    /// (c)): the same issuer and scope, and its BaseCRLNumber not above `base`'s cRLNumber.
    pub(crate) fn is_delta_of(&self, base: &ParsedCrl) -> bool {
        let (Some(delta_base), Some(number)) = (&self.delta_base, &base.number_octets) else {
            return false;
        };
        certval::compare_names(
            &self.crl.tbs_cert_list.issuer,
            &base.crl.tbs_cert_list.issuer,
        ) && self.idp_der == base.idp_der
            && not_above(delta_base, number)
    }

    /// The complete CRL's `evidence` about the certificate at `index`, updated by this delta
    /// CRL (RFC 5280 §6.3.3 (c), (i)): an entry in the delta decides (removeFromCRL: not
    /// revoked), otherwise the complete CRL's answer stands. `Err` when the delta cannot be
    /// used (its signature, its time).
    pub(crate) fn apply_delta(
        &self,
        path: &[Certificate],
        index: usize,
        at: SystemTime,
        signers: &Signers<'_>,
        evidence: Evidence,
    ) -> Result<Evidence, RevocationProblem> {
        let (source, this_update, outcome) = self.check(path, index, at, signers)?;
        match self.entry_for(&path[index])? {
            Some(_) => Ok(Evidence {
                source,
                this_update,
                outcome,
                reasons: evidence.reasons,
            }),
            None => Ok(evidence),
        }
    }

    /// The CRL's own checks and what it says of the certificate at `index`: (its source, its
    /// thisUpdate, the outcome).
    fn check(
        &self,
        path: &[Certificate],
        index: usize,
        at: SystemTime,
        signers: &Signers<'_>,
    ) -> Result<(StatusSource, SystemTime, Outcome), RevocationProblem> {
        let cert = &path[index];
        let tbs = &self.crl.tbs_cert_list;
        // §5.2: a CRL with a critical extension the application cannot process is not used.
        for x in tbs.crl_extensions.iter().flatten() {
            match x.extn_id {
                AUTHORITY_KEY_IDENTIFIER
                | CRL_NUMBER
                | DELTA_CRL_INDICATOR
                | ISSUING_DISTRIBUTION_POINT
                | FRESHEST_CRL
                | AUTHORITY_INFO_ACCESS
                | EXPIRED_CERTS_ON_CRL => {}
                other if x.critical => {
                    return Err(RevocationProblem::UnsupportedCriticalExtension {
                        oid: other.to_string(),
                        place: ExtensionPlace::Crl,
                    });
                }
                _ => {}
            }
        }
        if tbs.signature != self.crl.signature_algorithm {
            return Err(RevocationProblem::SignatureAlgorithmsDiffer);
        }
        // §6.3.3 (f), (g): the CRL is signed by a certificate of the CRL issuer validated to the
        // same trust anchor.
        self.verify_signer(path, index, at, signers)?;
        // §6.3.3 (a): the CRL speaks about `at`.
        let this_update = from_x509(&tbs.this_update);
        let next_update = tbs.next_update.as_ref().map(from_x509);
        covers(this_update, next_update, at, cert)?;

        let source = StatusSource::Crl {
            issuer: crate::dn::display(&tbs.issuer),
            number: self.number.clone(),
            this_update,
            next_update,
        };
        let outcome = match self.entry_for(cert)? {
            None => Outcome::Good,
            Some(entry) => {
                let mut reason = None;
                let mut invalidity_date = None;
                for x in entry.crl_entry_extensions.iter().flatten() {
                    match x.extn_id {
                        REASON_CODE => {
                            reason = Some(CrlReason::from_der(x.extn_value.as_bytes()).map_err(
                                |e| RevocationProblem::Malformed {
                                    what: "reasonCode",
                                    detail: e.to_string(),
                                },
                            )?);
                        }
                        INVALIDITY_DATE => {
                            invalidity_date = GeneralizedTime::from_der(x.extn_value.as_bytes())
                                .ok()
                                .map(|t| from_generalized(&t));
                        }
                        CERTIFICATE_ISSUER | HOLD_INSTRUCTION_CODE => {}
                        other if x.critical => {
                            return Err(RevocationProblem::UnsupportedCriticalExtension {
                                oid: other.to_string(),
                                place: ExtensionPlace::CrlEntry,
                            });
                        }
                        _ => {}
                    }
                }
                if reason == Some(CrlReason::RemoveFromCRL) {
                    // In a delta CRL: taken off hold since the base; in a complete CRL
                    // meaningless (§5.3.1): either way, not revoked.
                    Outcome::Good
                } else {
                    Outcome::Revoked(Revocation {
                        revoked_at: from_x509(&entry.revocation_date),
                        reason,
                        invalidity_date,
                    })
                }
            }
        };
        Ok((source, this_update, outcome))
    }

    /// §6.3.3 (i): the entry for `cert` — its serial number, and its issuer: the CRL issuer,
    /// or in an indirect CRL the certificateIssuer of this entry or of the entries before it
    /// (§5.3.3).
    fn entry_for(
        &self,
        cert: &Certificate,
    ) -> Result<Option<&x509_cert::crl::RevokedCert>, RevocationProblem> {
        let tbs = &self.crl.tbs_cert_list;
        let serial = cert.tbs_certificate().serial_number();
        let cert_issuer = cert.tbs_certificate().issuer();
        let mut current: Name = tbs.issuer.clone();
        for entry in tbs.revoked_certificates.iter().flatten() {
            if let Some(x) = find(entry.crl_entry_extensions.as_ref(), CERTIFICATE_ISSUER) {
                let names =
                    x509_cert::ext::pkix::name::GeneralNames::from_der(x.extn_value.as_bytes())
                        .map_err(|e| RevocationProblem::Malformed {
                            what: "certificateIssuer",
                            detail: e.to_string(),
                        })?;
                if let Some(n) = names.iter().find_map(|g| match g {
                    GeneralName::DirectoryName(n) => Some(n),
                    _ => None,
                }) {
                    current = n.clone();
                }
            }
            if entry.serial_number.as_bytes() == serial.as_bytes()
                && certval::compare_names(&current, cert_issuer)
            {
                return Ok(Some(entry));
            }
        }
        Ok(None)
    }
}

impl ParsedCrl {
    /// Whether `signer` may have signed this CRL and did: its key identifier (when both are
    /// stated), its keyUsage (cRLSign) and the signature.
    fn signed_by(&self, signer: &Certificate) -> Result<(), RevocationProblem> {
        let tbs = &self.crl.tbs_cert_list;
        let crl_key_id = find(tbs.crl_extensions.as_ref(), AUTHORITY_KEY_IDENTIFIER)
            .and_then(|x| AuthorityKeyIdentifier::from_der(x.extn_value.as_bytes()).ok())
            .and_then(|aki| aki.key_identifier);
        if let (Some(kid), Ok(Some((_, ski)))) = (
            &crl_key_id,
            signer
                .tbs_certificate()
                .get_extension::<SubjectKeyIdentifier>(),
        ) && kid.as_bytes() != ski.0.as_bytes()
        {
            return Err(RevocationProblem::OtherIssuerKey);
        }
        if let Ok(Some((_, ku))) = signer.tbs_certificate().get_extension::<KeyUsage>()
            && !ku.crl_sign()
        {
            return Err(RevocationProblem::NotCrlSigner);
        }
        crate::signature::verify(
            signer.tbs_certificate().subject_public_key_info(),
            &self.crl.signature_algorithm,
            &self.tbs,
            &self.crl.signature,
        )
        .map_err(|e| RevocationProblem::BadSignature {
            detail: e.to_string(),
        })
    }

    /// Find the certificate whose key signed this CRL (RFC 5280 §6.3.3 (f)): among the CRL
    /// issuer's certificates in the validated path above `index` (the issuer, or another
    /// certificate of the same CA after a key rollover; for a CRL signer's own path, also the
    /// signer itself), else — for the path being checked,
    /// not for a CRL signer's own — among the candidate certificates, with a valid path to
    /// the same trust anchor and a known, unrevoked status of its own.
    fn verify_signer(
        &self,
        path: &[Certificate],
        index: usize,
        at: SystemTime,
        signers: &Signers<'_>,
    ) -> Result<(), RevocationProblem> {
        let tbs = &self.crl.tbs_cert_list;
        let mut first_problem = None;
        // A CRL signer's own status may come from the CRL it signs itself (an indirect CRL
        // issuer whose certificate names it as its cRLIssuer, PKITS 4.14.30).
        let from = if signers.depth > 0 { index } else { index + 1 };
        for signer in path[from..]
            .iter()
            .filter(|c| certval::compare_names(c.tbs_certificate().subject(), &tbs.issuer))
        {
            match self.signed_by(signer) {
                Ok(()) => return Ok(()),
                Err(p) => {
                    first_problem.get_or_insert(p);
                }
            }
        }
        if signers.depth == 0 {
            for der in signers.pool {
                let Ok(candidate) = crate::memo::certificate(der) else {
                    continue;
                };
                if !certval::compare_names(candidate.tbs_certificate().subject(), &tbs.issuer)
                    || path.iter().any(|c| c == &*candidate)
                {
                    continue;
                }
                if let Err(p) = self.signed_by(&candidate) {
                    first_problem.get_or_insert(p);
                    continue;
                }
                let options = crate::PathOptions::at(at);
                let valid = crate::validate_path_der(
                    der,
                    signers.pool,
                    std::slice::from_ref(&signers.anchor),
                    &options,
                )
                .and_then(|p| {
                    super::check_at_depth(&p, signers.data, at, signers.pool, 1)
                        .require(super::RevocationScope::All)
                });
                match valid {
                    Ok(()) => return Ok(()),
                    Err(e) => {
                        first_problem
                            .get_or_insert(RevocationProblem::SignerPath { detail: e.text() });
                    }
                }
            }
        }
        Err(RevocationProblem::NoSignerInPath {
            first: first_problem.map(Box::new),
        })
    }
}

/// A distribution point name as full names: nameRelativeToCRLIssuer is appended to the name of
/// the CRL issuer (RFC 5280 §4.2.1.13).
fn full_names(name: &DistributionPointName, crl_issuer: &Name) -> Vec<GeneralName> {
    match name {
        DistributionPointName::FullName(names) => names.clone(),
        DistributionPointName::NameRelativeToCRLIssuer(rdn) => {
            let mut seq = RdnSequence::default();
            for r in crl_issuer.iter_rdn() {
                seq.push(r.clone());
            }
            seq.push(rdn.clone());
            vec![GeneralName::DirectoryName(Name::hazmat_from_rdn_sequence(
                seq,
            ))]
        }
    }
}

fn same_name(a: &GeneralName, b: &GeneralName) -> bool {
    match (a, b) {
        (GeneralName::DirectoryName(x), GeneralName::DirectoryName(y)) => {
            certval::compare_names(x, y)
        }
        _ => a == b,
    }
}

fn intersect(a: &[GeneralName], b: &[GeneralName]) -> bool {
    a.iter().any(|x| b.iter().any(|y| same_name(x, y)))
}

impl std::fmt::Debug for ParsedCrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} (thisUpdate {})",
            self.describe(),
            display(from_x509(&self.crl.tbs_cert_list.this_update))
        )
    }
}
