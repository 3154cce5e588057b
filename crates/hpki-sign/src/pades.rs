//! PAdES: CMS signatures inside PDF documents (ETSI EN 319 142-1 baseline B-B … B-LTA, the
//! JAHIS PAdES edition for medical documents), made as incremental updates so the signed
//! document is never rewritten (ISO 32000-1 §7.5.6).
//!
//! [`sign`] adds, in one incremental update, a signature field with its widget (invisible, or
//! a visible [`Appearance`]) and the signature dictionary (ISO 32000-1 §12.8.1): `/Type /Sig`,
//! `/Filter /Adobe.PPKLite`, `/SubFilter /ETSI.CAdES.detached`, `/M`, and a `/ByteRange`
//! covering the whole file except the `/Contents` hex string, which receives a detached CMS
//! `SignedData` over those bytes. Per level (EN 319 142-1 §6.3, Table 1, and §5.3–5.5):
//!
//! | level | what is added |
//! |---|---|
//! | B-B | the CMS with signed attributes content-type, message-digest and ESS signing-certificate-v2, **no signing-time** (the claimed time is `/M`), the signer's certificate and its chain |
//! | B-T | the signature time-stamp (`id-aa-signatureTimeStampToken`, RFC 3161, over the CMS signature value) as an unsigned attribute |
//! | B-LT | a further update with the Document Security Store (ISO 32000-2 §12.8.4.3, EN 319 142-1 §5.4.2): `/Certs`, `/CRLs`, `/OCSPs` streams for the signer's and the TSA's chains (no `/VRI`: optional in EN 319 142-1 §5.4.2, and its SHA-1 keys are read differently by different tools) |
//! | B-LTA | a last update with a document time-stamp (`/Type /DocTimeStamp`, `/SubFilter /ETSI.RFC3161`, EN 319 142-1 §5.4.3) over the whole file, DSS included |
//!
//! [`add_document_time_stamp`] adds another document time-stamp later (archival renewal before
//! the previous TSA certificate expires), first completing the DSS with fresh validation data
//! for the time-stamps already there. [`signatures`] and [`dss`] read a signed file back for a
//! verifier.
//!
//! Modules: `incremental` writes an update (objects, cross-reference table or stream, trailer
//! with `/Prev`), `placeholder` the signature dictionary patched in place, `form` the field and
//! widget, `appearance` the visible stamp and its font subset, `store` the DSS, `read` the
//! reader.

mod appearance;
mod changes;
mod form;
mod incremental;
mod placeholder;
mod read;
mod store;

use std::time::SystemTime;

use der::asn1::ObjectIdentifier;
use der::{Any, Decode, Encode};
use lopdf::{Object, StringFormat};
use x509_cert::Certificate;

use crate::cms::{
    ID_DATA, SignedContent, SignedDataBuilder, SignerInfoBuilder, add_unsigned_attribute,
    attribute, parse_content_info,
};
use crate::level::{Level, SignContext};
use crate::ltv::{TimeStamper, ValidationData, ValidationSource};
use crate::{DigestAlgorithm, SignError};

pub use appearance::Appearance;
pub use changes::{Changes, changes_after};
use form::add_field;
use incremental::{Prior, Update};
use placeholder::{Placeholder, Prepared};
pub use read::signatures;
pub use store::dss;
use store::write_dss;

/// `id-aa-signatureTimeStampToken` (1.2.840.113549.1.9.16.2.14): the signature time-stamp
/// (RFC 3161 Appendix A, ETSI EN 319 122-1 §5.3).
pub const ID_AA_SIGNATURE_TIME_STAMP_TOKEN: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.14");

/// `/SubFilter` of a PAdES signature (EN 319 142-1 §5.1, ISO 32000-2 §12.8.3.4).
pub const SUB_FILTER_CADES: &str = "ETSI.CAdES.detached";
/// `/SubFilter` of a document time-stamp (EN 319 142-1 §5.4.3, ISO 32000-2 §12.8.5).
pub const SUB_FILTER_RFC3161: &str = "ETSI.RFC3161";

/// Octets reserved in `/Contents` for a time-stamp token (the token with the TSA's
/// certificate is 2–5 KiB; a larger one is retried with the size it needed).
const TOKEN_RESERVE: usize = 12 * 1024;
/// Octets reserved for the CMS besides its certificates and tokens.
const CMS_OVERHEAD: usize = 4 * 1024;

/// Options of [`sign`].
#[derive(Clone, Debug, Default)]
pub struct PadesOptions {
    /// A visible signature; `None` (the default) for an invisible one.
    pub appearance: Option<Appearance>,
    /// The field's name (`/T`); by default `Signature1`, `Signature2`… whichever is free.
    pub field_name: Option<String>,
    /// `/Reason` of the signature dictionary (ISO 32000-1 Table 252), e.g. `診断書の作成`.
    pub reason: Option<String>,
    /// `/Location`, e.g. the hospital.
    pub location: Option<String>,
    /// Octets to reserve in `/Contents` instead of the estimate (the CMS must fit; a CMS
    /// that does not fit the estimate is made again once with the size it needed).
    pub contents_reserve: Option<usize>,
}

/// A signature or document time-stamp found in a PDF (see [`signatures`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PdfSignature {
    /// The field's fully qualified name.
    pub field_name: String,
    /// `/Type`: `Sig` or `DocTimeStamp`.
    pub kind: String,
    /// `/SubFilter`, e.g. [`SUB_FILTER_CADES`] or [`SUB_FILTER_RFC3161`].
    pub sub_filter: String,
    /// `/ByteRange`: offset and length of the two signed parts.
    pub byte_range: [usize; 4],
    /// The CMS `ContentInfo` (DER) of `/Contents`, without the zero padding: a `SignedData`,
    /// or for a document time-stamp the RFC 3161 `TimeStampToken`.
    pub contents: Vec<u8>,
    /// `/M`, as written (a PDF date string such as `D:20250401093000Z`).
    pub signing_time: Option<String>,
    /// Whether the byte range is well formed: it starts at 0, the gap between its two parts is
    /// exactly the `/Contents` hex string, and it ends inside the file.
    pub byte_range_ok: bool,
    /// Whether the second part ends at the end of the file: no update after this signature.
    pub covers_whole_file: bool,
    /// For a certification signature (ISO 32000-1 §12.8.2.2: a `/Reference` with the DocMDP
    /// transform method), the `/P` of its transform parameters: the changes its author
    /// permits after it — 1 none, 2 filling in forms and signing, 3 also annotations (Table
    /// 254; 2 when absent, and a value other than 2 or 3 is read as 1, the strictest).
    /// `None` for an approval signature.
    pub doc_mdp: Option<u8>,
}

impl PdfSignature {
    /// The two signed parts of `pdf` (empty when the byte range is out of the file).
    pub fn signed_parts<'a>(&self, pdf: &'a [u8]) -> [&'a [u8]; 2] {
        let [a, b, c, d] = self.byte_range;
        let part = |from: usize, len: usize| {
            from.checked_add(len)
                .and_then(|end| pdf.get(from..end))
                .unwrap_or(&[])
        };
        [part(a, b), part(c, d)]
    }

    /// The hash of the signed parts with `algorithm`: the `message-digest` of a CAdES
    /// signature, the message imprint of a document time-stamp.
    pub fn digest(&self, pdf: &[u8], algorithm: DigestAlgorithm) -> Vec<u8> {
        let [first, second] = self.signed_parts(pdf);
        algorithm.digest_parts(&[first, second])
    }

    /// Whether this is a document time-stamp.
    pub fn is_document_time_stamp(&self) -> bool {
        self.sub_filter == SUB_FILTER_RFC3161 || self.kind == "DocTimeStamp"
    }
}

/// Signs `pdf` at `level` (ETSI EN 319 142-1 baseline) and returns the signed file: `pdf`
/// followed by one incremental update (B-B, B-T), two (B-LT: + DSS) or three (B-LTA: + document
/// time-stamp).
///
/// The claimed signing time `ctx.signing_time` becomes `/M` (§6.3 Table 1: the CMS carries no
/// signing-time attribute). `ctx.time_stamper` is needed from B-T on, `ctx.validation` from
/// B-LT on; both are checked before anything is signed.
///
/// # Errors
/// [`SignError::Pdf`] for a PDF that cannot be updated (encrypted, damaged, no such page);
/// [`SignError::Fetch`] when the level needs a source that is missing or fails; key errors.
pub fn sign(
    ctx: &SignContext<'_>,
    pdf: &[u8],
    level: Level,
    options: &PadesOptions,
) -> Result<Vec<u8>, SignError> {
    let time_stamper = match level {
        Level::B => None,
        _ => Some(ctx.time_stamper_for(level)?),
    };
    let validation = match level {
        Level::B | Level::T => None,
        _ => Some(ctx.validation_for(level)?),
    };
    let mut reserve = options
        .contents_reserve
        .unwrap_or_else(|| estimate(ctx, level));
    let mut signed = None;
    for _ in 0..2 {
        match sign_revision(ctx, pdf, time_stamper, options, reserve) {
            Err(SignError::PdfContentsTooSmall { needed, .. })
                if options.contents_reserve.is_none() =>
            {
                reserve = needed + 1024;
            }
            other => {
                signed = Some(other?);
                break;
            }
        }
    }
    let mut out = signed.ok_or(SignError::PdfContentsTooSmall {
        needed: reserve,
        reserved: reserve,
    })?;
    if let Some(validation) = validation {
        out = add_validation_data(&out, validation)?;
    }
    if level == Level::Lta
        && let Some(time_stamper) = time_stamper
    {
        out = add_document_time_stamp(&out, time_stamper, validation)?;
    }
    Ok(out)
}

/// What the CMS of `ctx` at `level` may take: certificates, signature, attributes, a token.
fn estimate(ctx: &SignContext<'_>, level: Level) -> usize {
    let certs: usize = std::iter::once(ctx.certificate)
        .chain(ctx.chain.iter())
        .map(|c| c.to_der().map(|d| d.len()).unwrap_or(2048))
        .sum();
    let token = if level >= Level::T { TOKEN_RESERVE } else { 0 };
    certs + CMS_OVERHEAD + token
}

/// The PDF date string of `at` in UTC (ISO 32000-1 §7.9.4), e.g. `D:20250401093000Z`.
fn pdf_date(at: SystemTime) -> Result<String, SignError> {
    let t = der::DateTime::from_system_time(at)?;
    Ok(format!(
        "D:{:04}{:02}{:02}{:02}{:02}{:02}Z",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minutes(),
        t.seconds()
    ))
}

/// A PDF text string (ISO 32000-1 §7.9.2.2): PDFDocEncoding for ASCII, UTF-16BE with a byte
/// order mark otherwise.
fn text_string(s: &str) -> Object {
    if s.chars().all(|c| c.is_ascii() && !c.is_ascii_control()) {
        Object::String(s.as_bytes().to_vec(), StringFormat::Literal)
    } else {
        let mut bytes = vec![0xFE, 0xFF];
        for unit in s.encode_utf16() {
            bytes.extend_from_slice(&unit.to_be_bytes());
        }
        Object::String(bytes, StringFormat::Hexadecimal)
    }
}

/// The update that adds the signature (B-B, or B-T with `time_stamper`).
fn sign_revision(
    ctx: &SignContext<'_>,
    pdf: &[u8],
    time_stamper: Option<&dyn TimeStamper>,
    options: &PadesOptions,
    reserve: usize,
) -> Result<Vec<u8>, SignError> {
    let prior = Prior::load(pdf)?;
    let mut update = Update::new(&prior);
    let sig_id = update.reserve();
    let mut entries = vec![
        ("Type", Object::Name(b"Sig".to_vec())),
        ("Filter", Object::Name(b"Adobe.PPKLite".to_vec())),
        (
            "SubFilter",
            Object::Name(SUB_FILTER_CADES.as_bytes().to_vec()),
        ),
        (
            "M",
            Object::String(
                pdf_date(ctx.signing_time)?.into_bytes(),
                StringFormat::Literal,
            ),
        ),
    ];
    if let Some(name) = common_name(ctx.certificate) {
        entries.push(("Name", text_string(&name)));
    }
    if let Some(reason) = &options.reason {
        entries.push(("Reason", text_string(reason)));
    }
    if let Some(location) = &options.location {
        entries.push(("Location", text_string(location)));
    }
    let placeholder = Placeholder::new(&entries, reserve)?;
    update.put_raw(sig_id, placeholder.body.clone())?;
    let widget = match &options.appearance {
        Some(a) => appearance::visible_widget(&mut update, a)?,
        None => appearance::invisible_widget(&mut update)?,
    };
    add_field(
        &mut update,
        sig_id,
        options.field_name.as_deref(),
        "Signature",
        widget,
    )?;
    let written = update.finish()?;
    let body_offset = written.body_offset(sig_id)?;
    let prepared = Prepared::new(written.bytes, body_offset, &placeholder)?;

    let algorithm = DigestAlgorithm::of_signature(ctx.signer.algorithm());
    let mut builder = SignedDataBuilder::new(
        ID_DATA,
        SignedContent::DetachedDigest(prepared.digest(algorithm)),
    )
    .certificate(ctx.certificate.clone());
    for c in ctx.chain {
        builder = builder.certificate(c.clone());
    }
    // EN 319 142-1 §6.3 Table 1: content-type, message-digest, signing-certificate-v2; the
    // signing-time attribute shall not be present (the builder adds none unless asked).
    let mut cms = builder
        .signer(SignerInfoBuilder::new(ctx.signer, ctx.certificate))
        .build_der()?;
    if let Some(time_stamper) = time_stamper {
        cms = add_signature_time_stamp(&cms, algorithm, time_stamper)?;
    }
    prepared.fill(&cms)
}

/// Adds the signature time-stamp (B-T) to the first SignerInfo of `cms`: a token over its
/// signature value (EN 319 122-1 §5.3, used by EN 319 142-1 §6.3).
fn add_signature_time_stamp(
    cms: &[u8],
    algorithm: DigestAlgorithm,
    time_stamper: &dyn TimeStamper,
) -> Result<Vec<u8>, SignError> {
    let parsed = parse_content_info(cms)?;
    let signer = parsed
        .signer_infos
        .first()
        .ok_or(SignError::NoSuchSigner(0))?;
    let digest = algorithm.digest(signer.signature_value());
    let token = time_stamper.time_stamp(algorithm, &digest)?;
    let attr = attribute(ID_AA_SIGNATURE_TIME_STAMP_TOKEN, Any::from_der(&token)?)?;
    add_unsigned_attribute(cms, 0, attr)
}

/// The subject's common name of `certificate`, if any.
fn common_name(certificate: &Certificate) -> Option<String> {
    let cn = const_oid::db::rfc4519::CN;
    certificate
        .tbs_certificate()
        .subject()
        .iter()
        .filter(|atv| atv.oid == cn)
        .find_map(|atv| {
            atv.value
                .decode_as::<der::asn1::Utf8StringRef<'_>>()
                .map(|s| s.as_str().to_owned())
                .or_else(|_| {
                    atv.value
                        .decode_as::<der::asn1::PrintableStringRef<'_>>()
                        .map(|s| s.as_str().to_owned())
                })
                .ok()
        })
}

/// The update that adds a document time-stamp over the whole of `pdf`.
fn time_stamp_revision(
    pdf: &[u8],
    time_stamper: &dyn TimeStamper,
    reserve: usize,
) -> Result<Vec<u8>, SignError> {
    let prior = Prior::load(pdf)?;
    let mut update = Update::new(&prior);
    let sig_id = update.reserve();
    let placeholder = Placeholder::new(
        &[
            ("Type", Object::Name(b"DocTimeStamp".to_vec())),
            ("Filter", Object::Name(b"Adobe.PPKLite".to_vec())),
            (
                "SubFilter",
                Object::Name(SUB_FILTER_RFC3161.as_bytes().to_vec()),
            ),
        ],
        reserve,
    )?;
    update.put_raw(sig_id, placeholder.body.clone())?;
    let widget = appearance::invisible_widget(&mut update)?;
    add_field(&mut update, sig_id, None, "DocTimeStamp", widget)?;
    let written = update.finish()?;
    let body_offset = written.body_offset(sig_id)?;
    let prepared = Prepared::new(written.bytes, body_offset, &placeholder)?;
    let algorithm = DigestAlgorithm::Sha256;
    let token = time_stamper.time_stamp(algorithm, &prepared.digest(algorithm))?;
    prepared.fill(&token)
}

/// Adds a document time-stamp (PAdES B-LTA, EN 319 142-1 §5.4.3: `/Type /DocTimeStamp`,
/// `/SubFilter /ETSI.RFC3161`) over the whole of `pdf`, in a new incremental update. Usable
/// again and again: the archive renews the time-stamp before the previous TSA certificate
/// expires or its algorithms weaken.
///
/// With `validation`:
/// 1. before the time-stamp, the DSS is completed (see [`add_validation_data`]) with the
///    validation data of every signature and time-stamp whose certificate it lacks, and with
///    fresh data for the TSA of the latest document time-stamp — so the new time-stamp covers
///    the proof that the previous one was valid (EN 319 142-1 §5.5);
/// 2. after it, when its TSA's certificate is not in the DSS yet, one more DSS update with that
///    TSA's chain and revocation data, so the newest time-stamp itself can be validated (as
///    pyHanko does; the next renewal covers it).
///
/// # Errors
/// [`SignError::Pdf`], [`SignError::Fetch`] and the TSA's errors.
pub fn add_document_time_stamp(
    pdf: &[u8],
    time_stamper: &dyn TimeStamper,
    validation: Option<&dyn ValidationSource>,
) -> Result<Vec<u8>, SignError> {
    let mut out = match validation {
        Some(v) => add_validation_data(pdf, v)?,
        None => pdf.to_vec(),
    };
    let mut reserve = TOKEN_RESERVE;
    let mut stamped = None;
    for _ in 0..2 {
        match time_stamp_revision(&out, time_stamper, reserve) {
            Err(SignError::PdfContentsTooSmall { needed, .. }) => reserve = needed + 1024,
            other => {
                stamped = Some(other?);
                break;
            }
        }
    }
    out = stamped.ok_or(SignError::PdfContentsTooSmall {
        needed: reserve,
        reserved: reserve,
    })?;
    if let Some(v) = validation {
        let known = dss(&out)?;
        let mut add = ValidationData::default();
        if let Some(last) = signatures(&out)?.last() {
            for tsa in signer_certificates(&last.contents)? {
                let der = tsa.to_der()?;
                if !known.certificates.contains(&der) {
                    add.merge(certificate_with_validation_data(&tsa, v)?);
                }
            }
        }
        if let Some(updated) = write_dss(&out, add)? {
            out = updated;
        }
    }
    Ok(out)
}

/// Completes the Document Security Store of `pdf` (ISO 32000-2 §12.8.4.3, EN 319 142-1 §5.4.2)
/// in a new incremental update: for each signature and time-stamp of the file (the signer of a
/// CMS signature, the TSAs of its signature time-stamps, the TSA of a document time-stamp)
/// whose certificate is not in the DSS yet, that certificate with its chain and revocation
/// data from `validation`; and fresh data for the TSA of the latest document time-stamp.
/// Returns `pdf` unchanged (copied) when there is nothing new.
///
/// # Errors
/// [`SignError::Pdf`]; the source's errors.
pub fn add_validation_data(
    pdf: &[u8],
    validation: &dyn ValidationSource,
) -> Result<Vec<u8>, SignError> {
    let known = dss(pdf)?;
    let sigs = signatures(pdf)?;
    let latest_doc_ts = sigs.iter().rposition(PdfSignature::is_document_time_stamp);
    let mut add = ValidationData::default();
    let mut seen: Vec<Vec<u8>> = Vec::new();
    for (i, sig) in sigs.iter().enumerate() {
        for cert in signer_certificates(&sig.contents)? {
            let der = cert.to_der()?;
            let fresh = Some(i) == latest_doc_ts;
            if seen.contains(&der) || (known.certificates.contains(&der) && !fresh) {
                continue;
            }
            seen.push(der);
            add.merge(certificate_with_validation_data(&cert, validation)?);
        }
    }
    Ok(write_dss(pdf, add)?.unwrap_or_else(|| pdf.to_vec()))
}

/// `certificate` itself followed by its validation data.
fn certificate_with_validation_data(
    certificate: &Certificate,
    validation: &dyn ValidationSource,
) -> Result<ValidationData, SignError> {
    let mut data = ValidationData {
        certificates: vec![certificate.to_der()?],
        ..ValidationData::default()
    };
    data.merge(validation.validation_data(certificate)?);
    Ok(data)
}

/// The certificates whose validation a signature's `/Contents` needs: its signer's (the TSA's
/// for a time-stamp token) and the TSAs' of its signature time-stamps.
fn signer_certificates(contents: &[u8]) -> Result<Vec<Certificate>, SignError> {
    let parsed = parse_content_info(contents)?;
    let mut out = Vec::new();
    for signer in &parsed.signer_infos {
        if let Some(c) = parsed.signer_certificate(signer) {
            out.push(c.clone());
        }
        for token in signer.unsigned_attribute_values(ID_AA_SIGNATURE_TIME_STAMP_TOKEN) {
            let token = parse_content_info(&token.to_der()?)?;
            for ts_signer in &token.signer_infos {
                if let Some(c) = token.signer_certificate(ts_signer) {
                    out.push(c.clone());
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::form::{decode_text, field_names};
    use super::*;

    /// A stand-in TSA: the "token" is the imprint as a DER OCTET STRING (enough for the PDF
    /// structure; the real tokens are checked in tests/pades.rs).
    pub(super) struct EchoStamper;

    impl TimeStamper for EchoStamper {
        fn time_stamp(&self, _: DigestAlgorithm, digest: &[u8]) -> Result<Vec<u8>, SignError> {
            Ok(der::asn1::OctetString::new(digest)?.to_der()?)
        }
    }

    /// A PDF whose AcroForm, its /Fields and the page's /Annots are indirect objects, with a
    /// text field already there.
    fn pdf_with_form() -> Vec<u8> {
        let objects = [
            "<</Type/Catalog/Pages 2 0 R/AcroForm 5 0 R>>",
            "<</Type/Pages/Kids[3 0 R]/Count 1>>",
            "<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]/Annots 7 0 R/Resources<<>>>>",
            "<</Type/Annot/Subtype/Widget/FT/Tx/T(Signature1)/Rect[0 0 10 10]/P 3 0 R>>",
            "<</Fields 6 0 R>>",
            "[4 0 R]",
            "[4 0 R]",
        ];
        let mut out = b"%PDF-1.7\n".to_vec();
        let mut offsets = Vec::new();
        for (i, body) in objects.iter().enumerate() {
            offsets.push(out.len());
            out.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", i + 1).as_bytes());
        }
        let xref = out.len();
        out.extend_from_slice(b"xref\n0 8\n0000000000 65535 f\r\n");
        for o in offsets {
            out.extend_from_slice(format!("{o:010} 00000 n\r\n").as_bytes());
        }
        out.extend_from_slice(
            format!("trailer\n<</Size 8/Root 1 0 R>>\nstartxref\n{xref}\n%%EOF").as_bytes(),
        );
        out
    }

    #[test]
    fn document_time_stamps_go_into_any_form_layout() {
        for pdf in [
            pdf_with_form(),
            incremental::tests::classic_pdf(),
            incremental::tests::xref_stream_pdf(),
        ] {
            let once = add_document_time_stamp(&pdf, &EchoStamper, None).unwrap();
            let twice = add_document_time_stamp(&once, &EchoStamper, None).unwrap();
            assert!(twice.starts_with(&once) && once.starts_with(&pdf));
            let sigs = signatures(&twice).unwrap();
            assert_eq!(sigs.len(), 2);
            assert_eq!(sigs[0].field_name, "DocTimeStamp1");
            assert_eq!(sigs[1].field_name, "DocTimeStamp2");
            for (sig, file) in sigs.iter().zip([&once, &twice]) {
                assert!(sig.byte_range_ok && sig.is_document_time_stamp());
                assert_eq!(sig.sub_filter, SUB_FILTER_RFC3161);
                // The "token" is the imprint of the file as it was when stamped.
                let token = der::asn1::OctetString::from_der(&sig.contents).unwrap();
                assert_eq!(
                    token.as_bytes(),
                    sig.digest(file, DigestAlgorithm::Sha256).as_slice()
                );
                assert_eq!(
                    sig.digest(file, DigestAlgorithm::Sha256),
                    sig.digest(&twice, DigestAlgorithm::Sha256)
                );
            }
            assert!(!sigs[0].covers_whole_file && sigs[1].covers_whole_file);
            // The form keeps its text field, the page both widgets, SigFlags 3.
            let doc = lopdf::Document::load_mem(&twice).unwrap();
            let prior = Prior::load(&twice).unwrap();
            let form = prior
                .resolve(doc.catalog().unwrap().get(b"AcroForm").unwrap())
                .unwrap();
            let form = form.as_dict().unwrap();
            assert_eq!(form.get(b"SigFlags").unwrap().as_i64().unwrap(), 3);
            let names = field_names(&prior, form);
            assert!(names.contains(&"DocTimeStamp2".to_owned()), "{names:?}");
            let page = doc
                .get_dictionary(*doc.get_pages().get(&1).unwrap())
                .unwrap();
            let annots = prior.resolve(page.get(b"Annots").unwrap()).unwrap();
            assert!(annots.as_array().unwrap().len() >= 2);
        }
        // The existing text field is seen, so the first signature is not "Signature1".
        let pdf = pdf_with_form();
        let prior = Prior::load(&pdf).unwrap();
        let form = prior
            .resolve(prior.catalog().unwrap().get(b"AcroForm").unwrap())
            .unwrap()
            .as_dict()
            .unwrap()
            .clone();
        assert_eq!(field_names(&prior, &form), ["Signature1"]);
    }

    #[test]
    fn pdf_dates_are_utc() {
        let at = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_743_500_000);
        assert_eq!(pdf_date(at).unwrap(), "D:20250401093320Z");
    }

    #[test]
    fn text_strings_are_ascii_or_utf16() {
        assert_eq!(
            text_string("Taro"),
            Object::String(b"Taro".to_vec(), StringFormat::Literal)
        );
        let Object::String(bytes, _) = text_string("日医") else {
            panic!()
        };
        assert_eq!(bytes, [0xFE, 0xFF, 0x65, 0xE5, 0x53, 0x3B]);
        assert_eq!(decode_text(&bytes), "日医");
    }
}
