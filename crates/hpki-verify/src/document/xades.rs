//! XAdES (ETSI EN 319 132-1, TS 101 903 v1.3.2): every XAdES signature of an XML document
//! (enveloped, detached, or the Japanese e-prescription and dispensing-result layouts), read
//! with [`hpki_sign::xades::inspect_all`]. The XML-DSig core validation (XML-DSig §3.2) is done
//! here reference by reference so that each failure is named: every `ds:Reference` digest
//! recomputed from the document, the `SigningCertificateV2` naming a `KeyInfo` certificate, the
//! `SignatureValue` over the canonical `SignedInfo` (RFC 6931 algorithms); then
//! [`hpki_sign::xades::verify_at`] confirms the whole (the `SignedProperties` reference
//! included) when the time-stamps are sound. Time-stamps: `SignatureTimeStamp` over the
//! canonical `SignatureValue` (TS 101 903 §7.3), `xades141:ArchiveTimeStamp` over its EN 319
//! 132-1 §5.5.2.2 input.
//!
//! A medical document ([`hpki_sign::xades::medical_document`]: 処方箋, 調剤結果) places each
//! signature: the one in `PrescriptionSign` must sign that very `PrescriptionDocument`, the
//! one in `DispensingSign` that very `Dispensing` (no signature wrapping), and each is held to
//! the role policy of its place (the prescriber a doctor or dentist, the dispenser a
//! pharmacist). A document may carry several signatures: each is reported on its own.

use hpki_sign::SignError;
use hpki_sign::xades::{self, MedicalDocument, MedicalDocumentKind, XadesInfo};

use super::{
    Document, Failure, Format, Found, MedicalReport, Text, TimeStampKind, Token, parse_time,
    unreadable,
};

/// XML-DSig core validation from what [`xades::inspect_all`] computed.
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

/// The references of the signed manifests (XML-DSig §5.1), which core validation leaves to
/// the application: one whose data in the document changed is tampering; external files named
/// there were not given and are not checked, so the signature's integrity is not known.
fn manifest_validation(info: &XadesInfo, found: &mut Found) {
    let mut unchecked = Vec::new();
    for r in &info.manifest_references {
        match &r.computed_digest {
            Some(d) if *d == r.digest_value => {}
            Some(_) => {
                found.tampered(Text::new(
                    format!(
                        "署名されたマニフェストの参照 {:?} のダイジェスト値が一致しません",
                        r.uri
                    ),
                    format!(
                        "the digest of the signed manifest's reference {:?} does not match",
                        r.uri
                    ),
                ));
                return;
            }
            None => unchecked.push(format!("{:?}", r.uri)),
        }
    }
    if !unchecked.is_empty() {
        let list = unchecked.join(", ");
        let detail = Text::new(
            format!(
                "署名はマニフェスト（参照先の一覧）に対するもので、参照先 {list} は確認していません"
            ),
            format!("the signature signs a manifest whose references {list} were not checked"),
        );
        found.integrity = super::Integrity::Unknown {
            reason: detail.clone(),
        };
        found.failures.push(Failure::IntegrityNotChecked { detail });
    }
}

/// The medical layout of the XML in `document` (`None` for another document, a detached
/// signature or a layout that cannot be read: the signatures are still verified).
fn layout(document: &Document<'_>, text: &str) -> Option<MedicalDocument> {
    if document.detached.is_some() {
        return None;
    }
    xades::medical_document(text).ok().flatten()
}

/// What the report says about a medical document as a whole: the report, and the failures
/// and notes of the whole document (a missing signature, an unknown version).
pub(crate) fn medical(document: &Document<'_>) -> Option<(MedicalReport, Vec<Failure>, Vec<Text>)> {
    let text = std::str::from_utf8(document.content).ok()?;
    let m = layout(document, text)?;
    let mut failures = Vec::new();
    let mut notes = Vec::new();
    if !m.version_known {
        notes.push(Text::new(
            format!(
                "文書の版 {:?} は hpki が知らない版です。署名は検証しましたが、内容の構成は確認していません",
                m.version
            ),
            format!(
                "the document's version {:?} is not one hpki knows: the signatures were verified, the layout of the content was not checked",
                m.version
            ),
        ));
    }
    let (needed, what) = match m.kind {
        MedicalDocumentKind::Prescription => (
            "PrescriptionSign",
            Text::new("処方医の署名", "the prescriber's signature"),
        ),
        MedicalDocumentKind::Dispensing => (
            "DispensingSign",
            Text::new("薬剤師の署名", "the pharmacist's signature"),
        ),
    };
    if !m.places.iter().any(|p| p.container == needed) {
        failures.push(Failure::Layout {
            detail: Text::new(
                format!("{}（{needed}）がありません", what.ja),
                format!("{} ({needed}) is missing", what.en),
            ),
        });
    }
    let report = MedicalReport {
        kind: m.kind.into(),
        version: m.version,
        version_known: m.version_known,
        document_id: m.document_id,
        prescription_id: m.prescription_id,
    };
    Some((report, failures, notes))
}

/// The XAdES signatures of `document`.
pub(crate) fn collect(document: &Document<'_>) -> Result<Vec<Found>, Failure> {
    let text = std::str::from_utf8(document.content).map_err(|_| Failure::Unreadable {
        detail: Text::new("XML が UTF-8 ではありません", "the XML is not UTF-8"),
    })?;
    let count = xades::count_signatures(text).map_err(|e| unreadable(&e))?;
    if count > super::MAX_SIGNATURES {
        return Err(super::too_many_signatures(count));
    }
    let infos = xades::inspect_all(text, document.detached).map_err(|e| unreadable(&e))?;
    let medical = layout(document, text);
    let mut out = Vec::with_capacity(infos.len());
    for (index, info) in infos.into_iter().enumerate() {
        let place = medical
            .as_ref()
            .and_then(|m| m.places.iter().find(|p| p.index == index));
        let mut found = Found::new(Format::Xades, info.level.into());
        found.label = info
            .signature_id
            .clone()
            .or_else(|| place.map(|p| p.container.to_owned()));
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
        match &core {
            Err(e) => found.integrity_error(e),
            Ok(()) => manifest_validation(&info, &mut found),
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
        if core.is_ok()
            && tokens_ok
            && let Err(e) = xades::verify_at(text, index, document.detached)
        {
            found.integrity_error(&e);
        }
        if let Some(p) = place {
            found.place = Some(p.signatory);
            if !p.signs_its_part {
                found.layout_broken(Text::new(
                    format!(
                        "{} の署名がこの文書の {} を対象としていません",
                        p.container, p.part
                    ),
                    format!(
                        "the signature in {} does not sign this document's {}",
                        p.container, p.part
                    ),
                ));
            }
        }
        out.push(found);
    }
    Ok(out)
}
