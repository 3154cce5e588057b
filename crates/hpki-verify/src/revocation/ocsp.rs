//! OCSP response processing (RFC 6960 §3.2, §4.2.2.2) with hpki-asn1's OCSP types.

use super::problem::{ExtensionPlace, ResponderFault, RevocationProblem};
use std::time::SystemTime;

use aws_lc_rs::digest;
use const_oid::ObjectIdentifier;
use der::{Decode, Encode};
use hpki_asn1::ocsp::{
    BasicOcspResponse, CertId, CertStatus, ID_KP_OCSP_SIGNING, ID_PKIX_OCSP_NOCHECK,
    ID_PKIX_OCSP_NONCE, OcspResponse, OcspResponseStatus, ResponderId,
};
use x509_cert::Certificate;
use x509_cert::ext::pkix::{ExtendedKeyUsage, KeyUsage};

use super::crl::signed_part;
use super::{Evidence, Outcome, Responder, Revocation, StatusSource, covers};
use crate::time::{from_generalized, from_x509};

const ID_SHA1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.14.3.2.26");
const ID_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
const ID_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.2");
const ID_SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.3");

fn hash(alg: &ObjectIdentifier, data: &[u8]) -> Option<Vec<u8>> {
    let a = match *alg {
        ID_SHA1 => &digest::SHA1_FOR_LEGACY_USE_ONLY,
        ID_SHA256 => &digest::SHA256,
        ID_SHA384 => &digest::SHA384,
        ID_SHA512 => &digest::SHA512,
        _ => return None,
    };
    Some(digest::digest(a, data).as_ref().to_vec())
}

/// Whether `id` names `cert` issued by `issuer` (RFC 6960 §4.1.1: hashes of the issuer's name
/// and key, and the serial number).
fn names(id: &CertId, cert: &Certificate, issuer: &Certificate) -> bool {
    if id.serial_number.as_bytes() != cert.tbs_certificate().serial_number().as_bytes() {
        return false;
    }
    let itbs = issuer.tbs_certificate();
    let Ok(name_der) = itbs.subject().to_der() else {
        return false;
    };
    let key = itbs
        .subject_public_key_info()
        .subject_public_key
        .raw_bytes();
    hash(&id.hash_algorithm.oid, &name_der).is_some_and(|h| h == id.issuer_name_hash.as_bytes())
        && hash(&id.hash_algorithm.oid, key).is_some_and(|h| h == id.issuer_key_hash.as_bytes())
}

/// Whether `responder_id` identifies `cert` (by name, or by the SHA-1 hash of its key).
fn identifies(responder_id: &ResponderId, cert: &Certificate) -> bool {
    let tbs = cert.tbs_certificate();
    match responder_id {
        ResponderId::ByName(name) => certval::compare_names(name, tbs.subject()),
        ResponderId::ByKey(h) => hash(
            &ID_SHA1,
            tbs.subject_public_key_info().subject_public_key.raw_bytes(),
        )
        .is_some_and(|k| k == h.as_bytes()),
    }
}

fn has_ocsp_signing(cert: &Certificate) -> bool {
    matches!(
        cert.tbs_certificate().get_extension::<ExtendedKeyUsage>(),
        Ok(Some((_, eku))) if eku.0.contains(&ID_KP_OCSP_SIGNING)
    )
}

/// An OCSP responder certificate that asks not to be checked (id-pkix-ocsp-nocheck together
/// with id-kp-OCSPSigning, RFC 6960 §4.2.2.2.1).
pub(crate) fn is_nocheck_responder(cert: &Certificate) -> bool {
    has_ocsp_signing(cert)
        && cert
            .tbs_certificate()
            .extensions()
            .is_some_and(|e| e.iter().any(|x| x.extn_id == ID_PKIX_OCSP_NOCHECK))
}

/// A decoded OCSP response with the exact bytes its signature covers.
pub struct ParsedResponse {
    status: OcspResponseStatus,
    basic: Option<(BasicOcspResponse, Vec<u8>)>,
}

impl ParsedResponse {
    /// Decode a DER `OCSPResponse`.
    pub fn parse(der: &[u8]) -> Result<ParsedResponse, String> {
        let response = OcspResponse::from_der(der).map_err(|e| e.to_string())?;
        if response.response_status != OcspResponseStatus::Successful {
            return Ok(ParsedResponse {
                status: response.response_status,
                basic: None,
            });
        }
        let basic = BasicOcspResponse::from_response(&response).map_err(|e| e.to_string())?;
        let bytes = response
            .response_bytes
            .as_ref()
            .map(|b| b.response.as_bytes())
            .unwrap_or_default();
        let tbs = signed_part(bytes).map_err(|e| e.to_string())?.to_vec();
        Ok(ParsedResponse {
            status: response.response_status,
            basic: Some((basic, tbs)),
        })
    }

    /// What this response says about `cert` (issued by `issuer`) at `at`: `None` if it has no
    /// answer for `cert`, `Err` if it has one that cannot be used, with the reason.
    pub(crate) fn evidence(
        &self,
        cert: &Certificate,
        issuer: &Certificate,
        at: SystemTime,
    ) -> Option<Result<Evidence, RevocationProblem>> {
        let Some((basic, tbs)) = &self.basic else {
            // An error response (RFC 6960 §2.3) answers nothing about any certificate.
            return None;
        };
        let data = &basic.tbs_response_data;
        let single = data
            .responses
            .iter()
            .find(|r| names(&r.cert_id, cert, issuer))?;
        Some(self.check(basic, tbs, single, cert, issuer, at))
    }

    fn check(
        &self,
        basic: &BasicOcspResponse,
        tbs: &[u8],
        single: &hpki_asn1::ocsp::SingleResponse,
        cert: &Certificate,
        issuer: &Certificate,
        at: SystemTime,
    ) -> Result<Evidence, RevocationProblem> {
        let data = &basic.tbs_response_data;
        let produced_at = from_generalized(&data.produced_at);
        // RFC 6960 §4.2.2.2: the issuing CA itself, or a responder it certified for OCSP.
        let (responder, key) = if identifies(&data.responder_id, issuer) {
            (
                Responder::Issuer,
                issuer.tbs_certificate().subject_public_key_info(),
            )
        } else {
            let delegate = basic
                .certs
                .iter()
                .flatten()
                .find(|c| identifies(&data.responder_id, c))
                .ok_or(RevocationProblem::UnknownResponder)?;
            authorize_delegate(delegate, issuer, produced_at)?;
            (
                Responder::Delegated {
                    subject: crate::dn::display(delegate.tbs_certificate().subject()),
                },
                delegate.tbs_certificate().subject_public_key_info(),
            )
        };
        crate::signature::verify(key, &basic.signature_algorithm, tbs, &basic.signature).map_err(
            |e| RevocationProblem::BadSignature {
                detail: e.to_string(),
            },
        )?;
        // Critical extensions this client does not process make the response unusable.
        for x in data.response_extensions.iter().flatten() {
            if x.critical && x.extn_id != ID_PKIX_OCSP_NONCE {
                return Err(RevocationProblem::UnsupportedCriticalExtension {
                    oid: x.extn_id.to_string(),
                    place: ExtensionPlace::OcspResponse,
                });
            }
        }
        for x in single.single_extensions.iter().flatten() {
            if x.critical {
                return Err(RevocationProblem::UnsupportedCriticalExtension {
                    oid: x.extn_id.to_string(),
                    place: ExtensionPlace::OcspSingleResponse,
                });
            }
        }
        // RFC 6960 §3.2 (4)–(5): the status is current at `at` (see the module documentation).
        let this_update = from_generalized(&single.this_update);
        let next_update = single.next_update.as_ref().map(from_generalized);
        covers(this_update, next_update, at, cert)?;
        let outcome = match &single.cert_status {
            CertStatus::Good(_) => Outcome::Good,
            CertStatus::Revoked(info) => Outcome::Revoked(Revocation {
                revoked_at: from_generalized(&info.revocation_time),
                reason: info.revocation_reason,
                invalidity_date: None,
            }),
            CertStatus::Unknown(_) => Outcome::Unknown,
        };
        Ok(Evidence {
            source: StatusSource::Ocsp {
                responder,
                produced_at,
                this_update,
                next_update,
            },
            this_update,
            outcome,
            reasons: super::crl::ALL_REASONS,
        })
    }
}

/// RFC 6960 §4.2.2.2 (3): a delegated responder certificate is issued directly by the CA that
/// issued the certificate in question, carries id-kp-OCSPSigning, and was valid when the
/// response was produced.
fn authorize_delegate(
    delegate: &Certificate,
    issuer: &Certificate,
    produced_at: SystemTime,
) -> Result<(), RevocationProblem> {
    let who = crate::dn::display(delegate.tbs_certificate().subject());
    let fault = |why: ResponderFault| RevocationProblem::UnauthorisedResponder {
        responder: who.clone(),
        why,
    };
    if !crate::build::may_have_issued(delegate, issuer) {
        return Err(fault(ResponderFault::NotIssuedByTheIssuer));
    }
    let tbs_der = delegate.tbs_certificate().to_der().map_err(|e| {
        fault(ResponderFault::BadSignature {
            detail: e.to_string(),
        })
    })?;
    crate::signature::verify(
        issuer.tbs_certificate().subject_public_key_info(),
        delegate.signature_algorithm(),
        &tbs_der,
        delegate.signature(),
    )
    .map_err(|e| {
        fault(ResponderFault::BadSignature {
            detail: e.to_string(),
        })
    })?;
    if !has_ocsp_signing(delegate) {
        return Err(fault(ResponderFault::NoOcspSigning));
    }
    if let Ok(Some((_, ku))) = delegate.tbs_certificate().get_extension::<KeyUsage>()
        && !(ku.digital_signature() || ku.non_repudiation())
    {
        return Err(fault(ResponderFault::KeyUsage));
    }
    let validity = delegate.tbs_certificate().validity();
    let (nb, na) = (
        from_x509(&validity.not_before),
        from_x509(&validity.not_after),
    );
    if produced_at < nb || produced_at > na {
        return Err(fault(ResponderFault::NotValidAt { produced_at }));
    }
    Ok(())
}

impl std::fmt::Debug for ParsedResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "OCSP response ({:?})", self.status)
    }
}
