//! XAdES (ETSI EN 319 132-1, TS 101 903 v1.3.2): the XAdES signature of an XML document
//! (enveloped, detached, or the Japanese e-prescription layout), read with
//! [`hpki_sign::xades::inspect`]. The XML-DSig core validation (XML-DSig §3.2) is done here
//! reference by reference so that each failure is named: every `ds:Reference` digest
//! recomputed from the document, the `SigningCertificateV2` naming a `KeyInfo` certificate, the
//! `SignatureValue` over the canonical `SignedInfo` (RFC 6931 algorithms); then
//! [`hpki_sign::xades::verify`] confirms the whole (the `SignedProperties` reference included)
//! when the time-stamps are sound. Time-stamps: `SignatureTimeStamp` over the canonical
//! `SignatureValue` (TS 101 903 §7.3), `xades141:ArchiveTimeStamp` over its EN 319 132-1
//! §5.5.2.2 input. An e-prescription (電子処方箋) is also checked with
//! [`hpki_sign::xades::verify_prescription`]: the signature in `PrescriptionSign` must sign that
//! very `PrescriptionDocument` (no signature wrapping).

use hpki_sign::SignError;
use hpki_sign::xades::{self, XadesInfo};

use super::{
    Document, Failure, Format, Found, PrescriptionReport, Text, TimeStampKind, Token, parse_time,
    unreadable,
};

/// XML-DSig core validation from what [`xades::inspect`] computed.
fn core_validation(info: &XadesInfo, detached_given: bool) -> Result<(), SignError> {
    for r in &info.references {
        match &r.computed_digest {
            Some(d) if *d == r.digest_value => {}
            Some(_) => {
                return Err(SignError::ReferenceDigestMismatch(if r.uri.is_empty() {
                    "\"\" (the document)".to_owned()
                } else {
                    r.uri.clone()
                }));
            }
            None if !r.uri.is_empty() && !r.uri.starts_with('#') && !detached_given => {
                return Err(SignError::NoContent);
            }
            None => {
                return Err(SignError::UnsupportedTransform(format!(
                    "reference {:?} cannot be computed",
                    r.uri
                )));
            }
        }
    }
    if !info
        .references
        .iter()
        .any(|r| r.reference_type.as_deref() == Some(xades::SIGNED_PROPERTIES_TYPE))
    {
        return Err(SignError::NotXades(
            "no reference of type SignedProperties".into(),
        ));
    }
    let signer = match &info.signer_certificate {
        Some(c) => c,
        None if info.signing_certificate_digests.is_empty() => {
            return Err(SignError::MissingAttribute("SigningCertificateV2"));
        }
        None => return Err(SignError::SigningCertificateMismatch),
    };
    xades::verify_signature_value(info, signer)
}

/// Whether the XML is an e-prescription: `Document/Prescription` (by local names).
fn is_prescription(text: &str) -> bool {
    let Ok(doc) = roxmltree::Document::parse(text) else {
        return false;
    };
    let root = doc.root_element();
    root.tag_name().name() == "Document"
        && root
            .children()
            .any(|c| c.is_element() && c.tag_name().name() == "Prescription")
}

/// The XAdES signature of `document`.
pub(crate) fn collect(document: &Document<'_>) -> Result<Vec<Found>, Failure> {
    let text = std::str::from_utf8(document.content).map_err(|_| Failure::Unreadable {
        detail: Text::new("XML が UTF-8 ではありません", "the XML is not UTF-8"),
    })?;
    let info = match document.detached {
        Some(data) => xades::inspect_detached(text, data),
        None => xades::inspect(text),
    }
    .map_err(|e| unreadable(&e))?;
    let mut found = Found::new(Format::Xades, info.level.into());
    found.label = info.signature_id.clone();
    found.claimed_time = info.signing_time.as_deref().and_then(parse_time);
    found.signer = info
        .signer_certificate
        .as_ref()
        .and_then(|c| der::Encode::to_der(c).ok())
        .or_else(|| info.key_info_certificates.first().cloned());
    found.embedded = info.validation_data.clone();
    found
        .embedded
        .merge(info.time_stamp_validation_data.clone());
    found.embedded.merge(hpki_sign::ltv::ValidationData {
        certificates: info.key_info_certificates.clone(),
        ..Default::default()
    });

    let core = core_validation(&info, document.detached.is_some());
    if let Err(e) = &core {
        found.integrity_error(e);
    }
    let mut tokens_ok = true;
    for (kind, list) in [
        (TimeStampKind::Signature, &info.signature_time_stamps),
        (TimeStampKind::Archive, &info.archive_time_stamps),
    ] {
        for ts in list {
            let result = ts.verify();
            tokens_ok &= result.is_ok();
            found.time_stamps.push(Token { kind, result });
        }
    }
    // With sound tokens, hpki-sign's own verification must agree (it also checks that the
    // SignedProperties reference names the signature's own SignedProperties).
    if core.is_ok() && tokens_ok {
        let whole = match document.detached {
            Some(data) => xades::verify_detached(text, data),
            None => xades::verify(text),
        };
        if let Err(e) = whole {
            found.integrity_error(&e);
        }
    }
    if document.detached.is_none() && is_prescription(text) {
        match xades::verify_prescription(text) {
            Ok((_, content)) => {
                found.prescription = Some(PrescriptionReport {
                    version: content.version,
                    prescription_id: content.prescription_id,
                })
            }
            Err(SignError::Prescription(m)) => {
                let detail = m;
                found.integrity = super::Integrity::Broken {
                    reason: detail.clone(),
                };
                found.failures.push(Failure::Prescription { detail });
            }
            // Another error is the core's or a time-stamp's, reported above.
            Err(_) => {}
        }
    }
    Ok(vec![found])
}
