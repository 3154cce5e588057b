//! PAdES (ETSI EN 319 142-1): every signature of a PDF, read with
//! [`hpki_sign::pades::signatures`] and the Document Security Store with
//! [`hpki_sign::pades::dss`]. Each `/ETSI.CAdES.detached` signature is a CMS `SignedData` over
//! its `/ByteRange` (ISO 32000-1 §12.8.1: the whole file as it was, except the `/Contents`
//! hex string); its signature time-stamp is over the CMS signature value (EN 319 142-1 §6.3),
//! and each document time-stamp added after it (`/ETSI.RFC3161`, §5.4.3) is over its own byte
//! range — which covers the signature and the DSS added before it — so it serves as its archive
//! time-stamp. What the updates after a signature changed is checked too
//! ([`hpki_sign::pades::changes_after`]): a reader shows the latest revision, so anything but
//! validation data, time-stamps, signatures and metadata fails the signature as tampered — and
//! after a certification signature that permits no changes (DocMDP `/P 1`), further signatures
//! too.

use hpki_sign::cades;
use hpki_sign::cms::{ContentSource, SignerCertificate, verify_signer_info};
use hpki_sign::pades::{self, PdfSignature};

use super::{
    Document, Failure, Format, Found, Level, Text, TimeStampKind, Token, parse_time, unreadable,
};

/// The end of a signature's second signed part: how far into the file it reaches.
fn end(s: &PdfSignature) -> usize {
    s.byte_range[2].saturating_add(s.byte_range[3])
}

/// A document time-stamp verified over its byte range.
fn document_time_stamp(pdf: &[u8], ts: &PdfSignature) -> Token {
    let result = if ts.byte_range_ok {
        hpki_sign::tsp::verify_token_digesting(&ts.contents, &|alg| Ok(ts.digest(pdf, alg)))
    } else {
        Err(hpki_sign::SignError::Pdf(hpki_text::Text::new(
            "文書タイムスタンプの /ByteRange が不正です",
            "the /ByteRange of the document time-stamp is not sound",
        )))
    };
    Token {
        kind: TimeStampKind::Document,
        result,
    }
}

/// Every signature of the PDF `document`.
pub(crate) fn collect(document: &Document<'_>) -> Result<Vec<Found>, Failure> {
    let pdf = document.content;
    let sigs = pades::signatures(pdf).map_err(|e| unreadable(&e))?;
    if sigs.len() > super::MAX_SIGNATURES {
        return Err(super::too_many_signatures(sigs.len()));
    }
    let dss = pades::dss(pdf).map_err(|e| unreadable(&e))?;
    let doc_time_stamps: Vec<&PdfSignature> =
        sigs.iter().filter(|s| s.is_document_time_stamp()).collect();
    let mut out = Vec::new();
    for sig in sigs.iter().filter(|s| !s.is_document_time_stamp()) {
        let mut found = Found::new(Format::Pades, Level::B);
        found.label = Some(sig.field_name.clone());
        found.claimed_time = sig.signing_time.as_deref().and_then(parse_time);
        found.embedded = dss.clone();
        let (info, parsed) = match cades::read(&sig.contents) {
            Ok(read) => read,
            Err(e) => {
                found.integrity_error(&e);
                out.push(found);
                continue;
            }
        };
        found.embedded.merge(hpki_sign::ltv::ValidationData {
            certificates: info.certificates.clone(),
            crls: info.crls.clone(),
            ocsp_responses: info.ocsp_responses.clone(),
        });
        let Some(signer) = parsed.signer_infos.first() else {
            found.integrity_error(&hpki_sign::SignError::NoSuchSigner(0));
            out.push(found);
            continue;
        };
        // The signer's certificate, and its DER as carried.
        let signer_certificate = super::signer_certificate(signer, &info.certificates);
        let certificate = signer_certificate
            .as_ref()
            .map(|(c, der)| SignerCertificate::carried(c, der));
        found.signer = signer_certificate.as_ref().map(|(_, der)| der.clone());
        if !sig.byte_range_ok {
            found.tampered(Text::new(
                "/ByteRange が署名された範囲を正しく示していません",
                "the /ByteRange does not cover the file as signed",
            ));
        } else if let Some(cert) = certificate {
            let digest = sig.digest(pdf, info.digest_algorithm);
            match verify_signer_info(
                &parsed,
                signer,
                cert,
                ContentSource::DetachedDigest(&digest),
            ) {
                Ok(v) => {
                    if found.claimed_time.is_none() {
                        found.claimed_time = v.signing_time;
                    }
                }
                Err(e) => found.integrity_error(&e),
            }
        }
        // What the file shows is the latest revision: the updates after this signature may
        // only add validation data, time-stamps and signatures (hpki_sign::pades::changes_after);
        // after a certification signature that permits no changes (DocMDP P=1), only validation
        // data and document time-stamps (ISO 32000-2 §12.8.2.2.2 leaves those to PAdES LTV).
        if sig.byte_range_ok {
            match pades::changes_after(pdf, end(sig)) {
                Ok(changes) if changes.shows_what_was_signed() && sig.doc_mdp == Some(1) => {
                    let signed_since: Vec<&str> = changes
                        .signature_fields
                        .iter()
                        .filter(|f| !doc_time_stamps.iter().any(|ts| ts.field_name == **f))
                        .map(String::as_str)
                        .collect();
                    if !signed_since.is_empty() {
                        let what = signed_since.join(", ");
                        found.tampered(Text::new(
                            format!(
                                "作成者はこの PDF を変更不可（DocMDP P=1）として証明していますが、その後に署名欄が追加・署名されています（{what}）。追加できるのは検証情報と文書タイムスタンプのみです"
                            ),
                            format!(
                                "its author certified this PDF permitting no changes (DocMDP P=1), but signature fields were added or signed after it ({what}); only validation data and document time-stamps may be added"
                            ),
                        ));
                    }
                }
                Ok(changes) if !changes.shows_what_was_signed() => {
                    let what = Text::join(changes.other.clone());
                    found.tampered(Text::new(
                        format!(
                            "この署名の後に、表示内容を変え得る変更がファイルに加えられています（{}）。署名された版そのものは改ざんされていません",
                            what.ja
                        ),
                        format!(
                            "the file was changed after this signature in a way that can change what it shows ({}); the signed revision itself is intact",
                            what.en
                        ),
                    ));
                }
                Ok(_) => {}
                Err(e) => found.integrity_error(&e),
            }
        }
        for token in &info.signature_time_stamps {
            found.time_stamps.push(Token {
                kind: TimeStampKind::Signature,
                result: hpki_sign::tsp::verify_token_over(token, &info.signature_value),
            });
        }
        let later: Vec<&&PdfSignature> = doc_time_stamps
            .iter()
            .filter(|ts| end(ts) > end(sig))
            .collect();
        for ts in &later {
            found.time_stamps.push(document_time_stamp(pdf, ts));
        }
        let has_data = [
            &dss.crls,
            &dss.ocsp_responses,
            &info.crls,
            &info.ocsp_responses,
        ]
        .iter()
        .any(|v| !v.is_empty());
        found.structure_level = hpki_sign::Level::of_structure(
            !info.signature_time_stamps.is_empty(),
            has_data,
            !later.is_empty(),
        )
        .into();
        out.push(found);
    }
    // What no signature or time-stamp covers: incremental updates after the last one. When they
    // change what the file shows, every signature says so already (above).
    let covered = sigs.iter().map(end).max().unwrap_or(0);
    if covered < pdf.len()
        && pades::changes_after(pdf, covered).is_ok_and(|c| c.shows_what_was_signed())
        && let Some(last) = out.last_mut()
    {
        let extra = pdf.len() - covered;
        last.notes.push(Text::new(
            format!(
                "ファイル末尾の {extra} バイトは最後の署名・タイムスタンプの後に追加され、どの署名の対象でもありません。追加されたのは検証情報・メタデータ・署名欄のみで、署名された内容は変わりません"
            ),
            format!(
                "the last {extra} bytes of the file were added after the last signature or time-stamp and are covered by none; they add only validation data, metadata or signature fields, which do not change what was signed"
            ),
        ));
    }
    if out.is_empty() && !doc_time_stamps.is_empty() {
        return Err(Failure::NoSignature);
    }
    Ok(out)
}
