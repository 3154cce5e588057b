//! CAdES (ETSI EN 319 122-1): every SignerInfo of a CMS `SignedData`, read with
//! [`hpki_sign::cades::read`] (which, unlike the `cms` crate, reads the RFC 5940 OCSP entries
//! of a B-LT signature), each verified with
//! [`hpki_sign::cms::verify_signer_info`] (RFC 5652 §5.4, §5.6, ESS signing-certificate-v2);
//! its signature time-stamps over its signature value (EN 319 122-1 §5.3) and, for the first
//! signer, its archive-time-stamp-v3 tokens over their ATSHashIndexV3 input (§5.5.3).

use der::Encode;
use hpki_sign::cades;
use hpki_sign::cms::{ContentSource, SignerCertificate, verify_signer_info};

use super::{Document, Failure, Format, Found, Text, TimeStampKind, Token, unreadable};

/// The DER of a CMS file given as DER or PEM (`PKCS7`, `CMS`; RFC 7468 §9).
fn der_of(content: &[u8]) -> Result<Vec<u8>, Failure> {
    if content.first() == Some(&0x30) {
        return Ok(content.to_vec());
    }
    let text = std::str::from_utf8(content).map_err(|_| Failure::Unreadable {
        detail: Text::new("DER でも PEM でもありません", "not DER nor PEM"),
    })?;
    let start = text
        .find("-----BEGIN ")
        .ok_or_else(|| Failure::Unreadable {
            detail: Text::new("PEM ブロックがありません", "no PEM block"),
        })?;
    let (label, der) =
        pem_rfc7468::decode_vec(text[start..].trim_end().as_bytes()).map_err(|e| {
            Failure::Unreadable {
                detail: Text::new(format!("PEM を読めません: {e}"), format!("PEM: {e}")),
            }
        })?;
    match label {
        "PKCS7" | "CMS" => Ok(der),
        other => Err(Failure::Unreadable {
            detail: Text::new(
                format!("PEM ブロック {other} は署名（PKCS7/CMS）ではありません"),
                format!("a PEM {other} block, not PKCS7 or CMS"),
            ),
        }),
    }
}

/// The signatures of a CAdES `document`: one per SignerInfo (RFC 5652 §5.1 allows several
/// signers of one content, each verified on its own).
pub(crate) fn collect(document: &Document<'_>) -> Result<Vec<Found>, Failure> {
    let der = der_of(document.content)?;
    let (info, parsed) = cades::read(&der).map_err(|e| unreadable(&e))?;
    if parsed.signer_infos.is_empty() {
        return Err(Failure::NoSignature);
    }
    if parsed.signer_infos.len() > super::MAX_SIGNATURES {
        return Err(super::too_many_signatures(parsed.signer_infos.len()));
    }
    let has_data = !(info.crls.is_empty() && info.ocsp_responses.is_empty());
    let several = parsed.signer_infos.len() > 1;
    let mut out = Vec::with_capacity(parsed.signer_infos.len());
    for (index, signer) in parsed.signer_infos.iter().enumerate() {
        // Each signer's tokens from its own unsigned attributes. Archive-time-stamp-v3 is
        // verified for the first signer only (its ATSHashIndexV3 input is built from that
        // SignerInfo): another signer's are left out, with a note, and its level counted
        // without them.
        let tokens = |oid| -> Vec<Vec<u8>> {
            signer
                .unsigned_attribute_values(oid)
                .into_iter()
                .filter_map(|v| v.to_der().ok())
                .collect()
        };
        let signature_time_stamps = tokens(cades::ID_AA_SIGNATURE_TIME_STAMP_TOKEN);
        let mut archive_time_stamps = tokens(cades::ID_AA_ETS_ARCHIVE_TIMESTAMP_V3);
        let unverified_archive = if index == 0 {
            0
        } else {
            std::mem::take(&mut archive_time_stamps).len()
        };
        let level = hpki_sign::Level::of_structure(
            !signature_time_stamps.is_empty(),
            has_data,
            !archive_time_stamps.is_empty(),
        );
        let mut found = Found::new(Format::Cades, level.into());
        if several {
            found.label = Some(format!("SignerInfo {}", index + 1));
        }
        if unverified_archive > 0 {
            found.notes.push(Text::new(
                format!(
                    "この署名者のアーカイブタイムスタンプ {unverified_archive} 件は検証していません（検証するのは最初の署名者のもののみです）"
                ),
                format!(
                    "{unverified_archive} archive time-stamp(s) of this signer were not verified: hpki verifies those of the first signer only"
                ),
            ));
        }
        found.embedded.certificates = info.certificates.clone();
        found.embedded.crls = info.crls.clone();
        found.embedded.ocsp_responses = info.ocsp_responses.clone();
        // The signer's certificate, and its DER as carried.
        let signer_certificate = super::signer_certificate(signer, &info.certificates);
        let certificate = signer_certificate
            .as_ref()
            .map(|(c, der)| SignerCertificate::carried(c, der));
        found.signer = signer_certificate.as_ref().map(|(_, der)| der.clone());

        // Integrity: the CMS signature over the signed attributes, the message digest over
        // the content (RFC 5652 §5.4).
        let source = match (info.detached, document.detached) {
            (true, Some(content)) => Some(ContentSource::Detached(content)),
            (true, None) => None,
            (false, given) => {
                if given.is_some() {
                    found.notes.push(Text::new(
                        "署名は内容を含んでいます。指定された分離データは使用していません",
                        "the signature encapsulates its content; the detached content given was not used",
                    ));
                }
                Some(ContentSource::Encapsulated)
            }
        };
        match (certificate, source) {
            (_, None) => found.integrity_error(&hpki_sign::SignError::NoContent),
            (None, Some(_)) => {
                found.integrity = super::Integrity::Unknown {
                    reason: Text::new(
                        "署名者の証明書がありません",
                        "the signer's certificate is missing",
                    ),
                };
            }
            (Some(cert), Some(source)) => match verify_signer_info(&parsed, signer, cert, source) {
                Ok(v) => found.claimed_time = v.signing_time,
                Err(e) => found.integrity_error(&e),
            },
        }

        for token in &signature_time_stamps {
            found.time_stamps.push(Token {
                kind: TimeStampKind::Signature,
                result: hpki_sign::tsp::verify_token_over(token, signer.signature_value()),
            });
        }
        for token in &archive_time_stamps {
            found.time_stamps.push(Token {
                kind: TimeStampKind::Archive,
                // The content's hash is the signed message-digest (the archive time-stamp
                // covers it; whether the content matches it is the integrity check above).
                result: cades::verify_archive_time_stamp(&der, token, None),
            });
        }
        out.push(found);
    }
    Ok(out)
}
