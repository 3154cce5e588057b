//! CRL processing (RFC 5280 §6.3.3) for complete CRLs issued by the certificate's own issuer
//! (see the [module above](super) for what is supported).

use hpki_text::Text;

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
}

/// The decimal form of a non-negative INTEGER's octets (hex above 128 bits).
fn integer(bytes: &[u8]) -> String {
    let bytes: Vec<u8> = bytes.iter().copied().skip_while(|b| *b == 0).collect();
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

impl ParsedCrl {
    /// Decode a DER `CertificateList`.
    pub fn parse(der: &[u8]) -> Result<ParsedCrl, String> {
        let crl = CertificateList::from_der(der).map_err(|e| e.to_string())?;
        let tbs = signed_part(der).map_err(|e| e.to_string())?.to_vec();
        let number = find(crl.tbs_cert_list.crl_extensions.as_ref(), CRL_NUMBER)
            .and_then(|x| der::asn1::Uint::from_der(x.extn_value.as_bytes()).ok())
            .map(|n| integer(n.as_bytes()));
        Ok(ParsedCrl { crl, tbs, number })
    }

    /// `CRL #n of "issuer"`, for messages.
    pub fn describe(&self) -> Text {
        let issuer = crate::dn::display(&self.crl.tbs_cert_list.issuer);
        match &self.number {
            Some(n) => Text::new(
                format!("「{issuer}」の CRL #{n}"),
                format!("CRL #{n} of \"{issuer}\""),
            ),
            None => Text::new(
                format!("「{issuer}」の CRL"),
                format!("CRL of \"{issuer}\""),
            ),
        }
    }

    /// What this CRL says about the certificate at `index` of the validated `path` (leaf
    /// first) at `at`: `None` if it is not a CRL for that certificate at all (another issuer,
    /// or a scope that excludes it), `Err` if it is one but cannot be used, with the reason.
    pub(crate) fn evidence(
        &self,
        path: &[Certificate],
        index: usize,
        at: SystemTime,
    ) -> Option<Result<Evidence, RevocationProblem>> {
        let cert = &path[index];
        let tbs = &self.crl.tbs_cert_list;
        // §6.3.3 (b)(1): the CRL issuer is the certificate issuer (indirect CRLs unsupported).
        if !certval::compare_names(&tbs.issuer, cert.tbs_certificate().issuer()) {
            return None;
        }
        // The IDP decides whether this CRL covers the certificate at all (§6.3.3 (b)(2)).
        let idp = match find(tbs.crl_extensions.as_ref(), ISSUING_DISTRIBUTION_POINT) {
            Some(x) => match IssuingDistributionPoint::from_der(x.extn_value.as_bytes()) {
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
        if let Some(idp) = &idp {
            if idp.indirect_crl {
                return Some(Err(RevocationProblem::IndirectCrl));
            }
            if idp.only_some_reasons.is_some() {
                return Some(Err(RevocationProblem::PartitionedCrl));
            }
            let is_ca = matches!(
                cert.tbs_certificate().get_extension::<BasicConstraints>(),
                Ok(Some((_, bc))) if bc.ca
            );
            if idp.only_contains_attribute_certs
                || (idp.only_contains_user_certs && is_ca)
                || (idp.only_contains_ca_certs && !is_ca)
            {
                return None;
            }
            if let Some(name) = &idp.distribution_point
                && !distribution_point_matches(name, &tbs.issuer, cert)
            {
                return None;
            }
        }
        Some(self.check(path, index, at))
    }

    fn check(
        &self,
        path: &[Certificate],
        index: usize,
        at: SystemTime,
    ) -> Result<Evidence, RevocationProblem> {
        let cert = &path[index];
        let tbs = &self.crl.tbs_cert_list;
        // §5.2: a CRL with a critical extension the application cannot process is not used.
        for x in tbs.crl_extensions.iter().flatten() {
            match x.extn_id {
                DELTA_CRL_INDICATOR => {
                    return Err(RevocationProblem::DeltaCrl);
                }
                AUTHORITY_KEY_IDENTIFIER
                | CRL_NUMBER
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
        // same trust anchor: the certificate's issuer, or another certificate of the same CA
        // in the validated path (a key rollover through a self-issued certificate).
        self.verify_signer(path, index)?;
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
        // §6.3.3 (i): the entry for the certificate's serial number, if any.
        let serial = cert.tbs_certificate().serial_number();
        let entry = tbs
            .revoked_certificates
            .iter()
            .flatten()
            .find(|e| e.serial_number.as_bytes() == serial.as_bytes());
        let outcome = match entry {
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
                        CERTIFICATE_ISSUER => {
                            return Err(RevocationProblem::IndirectCrl);
                        }
                        HOLD_INSTRUCTION_CODE => {}
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
                    // Only meaningful in delta CRLs (§5.3.1); in a complete CRL: not revoked.
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
        Ok(Evidence {
            source,
            this_update,
            outcome,
        })
    }
}

impl ParsedCrl {
    /// Find the certificate whose key signed this CRL among the CRL issuer's certificates in the
    /// validated path above `index`, checking its key identifier, its keyUsage (cRLSign) and
    /// the signature.
    fn verify_signer(&self, path: &[Certificate], index: usize) -> Result<(), RevocationProblem> {
        let tbs = &self.crl.tbs_cert_list;
        let crl_key_id = find(tbs.crl_extensions.as_ref(), AUTHORITY_KEY_IDENTIFIER)
            .and_then(|x| AuthorityKeyIdentifier::from_der(x.extn_value.as_bytes()).ok())
            .and_then(|aki| aki.key_identifier);
        let mut first_problem = None;
        for signer in path[index + 1..]
            .iter()
            .filter(|c| certval::compare_names(c.tbs_certificate().subject(), &tbs.issuer))
        {
            let problem = if let (Some(kid), Ok(Some((_, ski)))) = (
                &crl_key_id,
                signer
                    .tbs_certificate()
                    .get_extension::<SubjectKeyIdentifier>(),
            ) && kid.as_bytes() != ski.0.as_bytes()
            {
                RevocationProblem::OtherIssuerKey
            } else if let Ok(Some((_, ku))) = signer.tbs_certificate().get_extension::<KeyUsage>()
                && !ku.crl_sign()
            {
                RevocationProblem::NotCrlSigner
            } else {
                match crate::signature::verify(
                    signer.tbs_certificate().subject_public_key_info(),
                    &self.crl.signature_algorithm,
                    &self.tbs,
                    &self.crl.signature,
                ) {
                    Ok(()) => return Ok(()),
                    Err(e) => RevocationProblem::BadSignature {
                        detail: e.to_string(),
                    },
                }
            };
            first_problem.get_or_insert(problem);
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

/// §6.3.3 (b)(2)(i): one of the IDP's names matches a name of one of the certificate's
/// distribution points, or of its cRLIssuer; a certificate without CRL distribution points is
/// treated as one distribution point whose cRLIssuer is its issuer (§6.3.3 first paragraph).
fn distribution_point_matches(
    idp: &DistributionPointName,
    crl_issuer: &Name,
    cert: &Certificate,
) -> bool {
    let idp_names = full_names(idp, crl_issuer);
    let issuer = cert.tbs_certificate().issuer();
    let dps = match cert
        .tbs_certificate()
        .get_extension::<CrlDistributionPoints>()
    {
        Ok(Some((_, dps))) => dps.0,
        _ => return intersect(&idp_names, &[GeneralName::DirectoryName(issuer.clone())]),
    };
    dps.iter().any(|dp| {
        let dp_issuer = dp
            .crl_issuer
            .iter()
            .flatten()
            .find_map(|g| match g {
                GeneralName::DirectoryName(n) => Some(n),
                _ => None,
            })
            .unwrap_or(issuer);
        match &dp.distribution_point {
            Some(name) => intersect(&idp_names, &full_names(name, dp_issuer)),
            None => dp
                .crl_issuer
                .as_ref()
                .is_some_and(|names| intersect(&idp_names, names)),
        }
    })
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
