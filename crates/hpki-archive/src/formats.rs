//! What the archive does with each signature format, on `hpki-sign`: recognise it, check it
//! (the signature over its content and every time-stamp over its input), raise it to B-LTA,
//! add the next archive time-stamp, and read the time-stamps that decide when the next one is
//! due.
//!
//! | format | archive time-stamp | raise on arrival | renew |
//! |---|---|---|---|
//! | CAdES | archive-time-stamp-v3 (EN 319 122-1 §5.5.3) | [`cades::augment`] to B-LTA | [`cades::add_archive_time_stamp`] |
//! | PAdES | document time-stamp (EN 319 142-1 §5.4.3) | [`pades::add_document_time_stamp`] (DSS first) | the same |
//! | XAdES | `xades141:ArchiveTimeStamp` (EN 319 132-1 §5.5.2) | signature time-stamp when B-B, then [`xades::add_archive_time_stamp`] (values first) | [`xades::add_archive_time_stamp`] / `_detached` |
//!
//! Certificate paths and revocation are not judged here (that is `hpki-verify`'s and the
//! document verifier's): the archive keeps what a verifier needs and checks that the document
//! is intact and its time-stamps are over what they claim.

use hpki_text::Text;
use std::fmt;

use der::{Decode, Encode};
use hpki_asn1::tsp::{MessageImprint, TstInfo};
use hpki_sign::cms::{ContentSource, parse_content_info, verify_signer_info};
use hpki_sign::ltv::{TimeStamper, ValidationSource};
use hpki_sign::tsp::{VerifiedTimeStamp, verify_token};
use hpki_sign::{DigestAlgorithm, Level, SignError, cades, pades, xades};
use x509_cert::Certificate;

use crate::ArchiveError;

/// The signature formats the archive keeps.
#[derive(Clone, Copy, Debug, Eq, PartialEq, Hash)]
pub enum Format {
    /// CAdES (ETSI EN 319 122-1): a DER CMS `ContentInfo`, detached or enveloping.
    Cades,
    /// PAdES (ETSI EN 319 142-1): a signed PDF.
    Pades,
    /// XAdES (ETSI EN 319 132-1): a signed XML document (enveloped, e-prescription or
    /// detached).
    Xades,
}

impl Format {
    /// The stored form: `cades`, `pades`, `xades`.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Cades => "cades",
            Format::Pades => "pades",
            Format::Xades => "xades",
        }
    }

    /// Reads the stored form.
    pub fn parse(s: &str) -> Option<Format> {
        match s {
            "cades" => Some(Format::Cades),
            "pades" => Some(Format::Pades),
            "xades" => Some(Format::Xades),
            _ => None,
        }
    }

    /// Recognises the format of `signed`: a PDF header in the first 1024 octets (ISO 32000-1
    /// §7.5.2 allows some before it), XML (after an optional byte order mark and white
    /// space), or a DER SEQUENCE (CMS).
    ///
    /// # Errors
    /// [`ArchiveError::UnknownFormat`].
    pub fn detect(signed: &[u8]) -> Result<Format, ArchiveError> {
        let head = &signed[..signed.len().min(1024)];
        if head.windows(5).any(|w| w == b"%PDF-") {
            return Ok(Format::Pades);
        }
        let text = signed.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(signed);
        let start = text.iter().position(|b| !b.is_ascii_whitespace());
        if start.is_some_and(|i| text[i] == b'<') {
            return Ok(Format::Xades);
        }
        if signed.first() == Some(&0x30) {
            return Ok(Format::Cades);
        }
        Err(ArchiveError::UnknownFormat)
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Cades => "CAdES",
            Format::Pades => "PAdES",
            Format::Xades => "XAdES",
        })
    }
}

/// A time-stamp token found in a document, verified over its input.
#[derive(Clone, Debug)]
pub struct TokenInfo {
    /// `genTime`, Unix seconds.
    pub gen_time: i64,
    /// `serialNumber`, lowercase hex.
    pub serial_hex: String,
    /// The TSA certificate's subject.
    pub tsa_subject: String,
    /// The TSA certificate's `notAfter`, Unix seconds.
    pub tsa_not_after: i64,
    /// The earliest `notAfter` of the TSA certificate and of the issuers of it the document
    /// carries: after it the token can no longer be validated, Unix seconds.
    pub chain_not_after: i64,
}

/// What the archive reads from a signed document.
#[derive(Clone, Debug)]
pub struct Examined {
    /// The format.
    pub format: Format,
    /// The baseline level the document reaches.
    pub level: Level,
    /// The (first) signer's certificate.
    pub signer: Certificate,
    /// Whether the signed content is outside the signature.
    pub detached: bool,
    /// Every time-stamp over the signature (signature, archive and document time-stamps),
    /// verified, by `genTime`.
    pub time_stamps: Vec<TokenInfo>,
    /// The archive (CAdES, XAdES) or document (PAdES) time-stamps, verified, by `genTime`.
    pub archive_time_stamps: Vec<TokenInfo>,
}

impl Examined {
    /// The earliest time the signature is proven to have existed at: its earliest time-stamp.
    pub fn proven_time(&self) -> Option<i64> {
        self.time_stamps.iter().map(|t| t.gen_time).min()
    }

    /// The latest archive time-stamp: the one the next renewal must come before.
    pub fn latest_archive_time_stamp(&self) -> Option<&TokenInfo> {
        self.archive_time_stamps.iter().max_by_key(|t| t.gen_time)
    }
}

fn unix(t: x509_cert::time::Time) -> i64 {
    i64::try_from(t.to_unix_duration().as_secs()).unwrap_or(i64::MAX)
}

/// Reads `signed` as `format` and checks it: the signature over its content (the detached
/// content when given), and every time-stamp over its input.
///
/// # Errors
/// [`ArchiveError::DetachedContentNeeded`] / [`ArchiveError::DetachedContentUnexpected`] when
/// `detached` does not fit the signature; [`ArchiveError::Signature`] when it cannot be read
/// or does not verify.
pub fn examine(
    format: Format,
    signed: &[u8],
    detached: Option<&[u8]>,
) -> Result<Examined, ArchiveError> {
    match format {
        Format::Cades => examine_cades(signed, detached),
        Format::Pades => examine_pades(signed, detached),
        Format::Xades => examine_xades(signed, detached),
    }
}

/// `signed` raised to B-LTA: unchanged when it carries an archive (document) time-stamp
/// already, else the time-stamps and validation data it lacks from `time_stamper` and
/// `validation` (see the module table).
///
/// # Errors
/// [`ArchiveError::Signature`] when a source fails or the document cannot be extended.
pub fn make_lta(
    examined: &Examined,
    signed: &[u8],
    detached: Option<&[u8]>,
    time_stamper: &dyn TimeStamper,
    validation: &dyn ValidationSource,
) -> Result<Vec<u8>, ArchiveError> {
    if !examined.archive_time_stamps.is_empty() {
        return Ok(signed.to_vec());
    }
    match examined.format {
        Format::Cades => Ok(cades::augment(
            signed,
            Level::Lta,
            Some(time_stamper),
            Some(validation),
        )?),
        Format::Pades => Ok(pades::add_document_time_stamp(
            signed,
            time_stamper,
            Some(validation),
        )?),
        Format::Xades => {
            let mut xml = utf8(signed)?.to_owned();
            if examined.level == Level::B {
                xml = xades::add_signature_time_stamp(&xml, time_stamper)?;
            }
            xades_archive_time_stamp(&xml, detached, time_stamper, validation)
        }
    }
}

/// `signed` with one more archive (document) time-stamp, after the validation data of the
/// time-stamps already there (see the module table).
///
/// # Errors
/// [`ArchiveError::Signature`] when a source fails or the document cannot be extended.
pub fn renew(
    format: Format,
    signed: &[u8],
    detached: Option<&[u8]>,
    time_stamper: &dyn TimeStamper,
    validation: &dyn ValidationSource,
) -> Result<Vec<u8>, ArchiveError> {
    match format {
        Format::Cades => Ok(cades::add_archive_time_stamp(
            signed,
            time_stamper,
            Some(validation),
        )?),
        Format::Pades => Ok(pades::add_document_time_stamp(
            signed,
            time_stamper,
            Some(validation),
        )?),
        Format::Xades => {
            xades_archive_time_stamp(utf8(signed)?, detached, time_stamper, validation)
        }
    }
}

fn xades_archive_time_stamp(
    xml: &str,
    detached: Option<&[u8]>,
    time_stamper: &dyn TimeStamper,
    validation: &dyn ValidationSource,
) -> Result<Vec<u8>, ArchiveError> {
    let out = match detached {
        Some(data) => xades::add_archive_time_stamp_detached(xml, data, time_stamper, validation)?,
        None => xades::add_archive_time_stamp(xml, time_stamper, validation)?,
    };
    Ok(out.into_bytes())
}

fn utf8(signed: &[u8]) -> Result<&str, ArchiveError> {
    std::str::from_utf8(signed)
        .map_err(|_| ArchiveError::Signature(SignError::Xml("the document is not UTF-8".into())))
}

/// The `TSTInfo` of a token.
fn tst_info(token: &[u8]) -> Result<TstInfo, ArchiveError> {
    let parsed = parse_content_info(token)?;
    let econtent = parsed.econtent.as_deref().ok_or(SignError::NoContent)?;
    Ok(TstInfo::from_der(econtent).map_err(SignError::from)?)
}

/// Verifies `token` over the data whose hash with the token's own algorithm is `digest_of`
/// gives; its TSA certificate is the one the token carries, else the one of `pool` its
/// signer identifier names. Returns what the archive keeps of it.
fn verified_token(
    token: &[u8],
    digest_of: &dyn Fn(DigestAlgorithm) -> Vec<u8>,
    pool: &[Certificate],
) -> Result<TokenInfo, ArchiveError> {
    let tst = tst_info(token)?;
    let alg = DigestAlgorithm::from_algorithm_identifier(&tst.message_imprint.hash_algorithm)?;
    let imprint = MessageImprint {
        hash_algorithm: alg.algorithm_identifier(),
        hashed_message: der::asn1::OctetString::new(digest_of(alg)).map_err(SignError::from)?,
    };
    let verified = match verify_token(token, &imprint, None) {
        Err(SignError::NoSignerCertificate) => {
            let parsed = parse_content_info(token)?;
            let signer = parsed
                .signer_infos
                .first()
                .ok_or(SignError::NoSuchSigner(0))?;
            let cert = pool
                .iter()
                .find(|c| signer.identifies(c))
                .ok_or(SignError::NoSignerCertificate)?;
            verify_token(token, &imprint, Some(cert))?
        }
        other => other?,
    };
    token_info(&verified, pool)
}

fn token_info(
    verified: &VerifiedTimeStamp,
    pool: &[Certificate],
) -> Result<TokenInfo, ArchiveError> {
    let tsa = &verified.tsa_certificate;
    let gen_time =
        i64::try_from(verified.tst_info.gen_time.to_unix_duration().as_secs()).unwrap_or(i64::MAX);
    Ok(TokenInfo {
        gen_time,
        serial_hex: serial_hex(verified.tst_info.serial_number.as_bytes()),
        tsa_subject: tsa.tbs_certificate().subject().to_string(),
        tsa_not_after: unix(tsa.tbs_certificate().validity().not_after),
        chain_not_after: chain_not_after(tsa, pool),
    })
}

/// Lowercase hex without leading zero octets.
pub(crate) fn serial_hex(bytes: &[u8]) -> String {
    let start = bytes
        .iter()
        .position(|b| *b != 0)
        .unwrap_or(bytes.len().saturating_sub(1));
    hex::encode(&bytes[start..])
}

/// The earliest `notAfter` of `cert` and of its issuers found in `pool` (by name, up to a
/// self-issued certificate or 8 levels).
pub(crate) fn chain_not_after(cert: &Certificate, pool: &[Certificate]) -> i64 {
    let mut earliest = unix(cert.tbs_certificate().validity().not_after);
    let mut current = cert;
    for _ in 0..8 {
        let tbs = current.tbs_certificate();
        if tbs.issuer() == tbs.subject() {
            break;
        }
        let Some(issuer) = pool
            .iter()
            .find(|c| c.tbs_certificate().subject() == tbs.issuer() && *c != current)
        else {
            break;
        };
        earliest = earliest.min(unix(issuer.tbs_certificate().validity().not_after));
        current = issuer;
    }
    earliest
}

fn certificates(ders: &[Vec<u8>]) -> Vec<Certificate> {
    ders.iter()
        .filter_map(|d| Certificate::from_der(d).ok())
        .collect()
}

fn sorted(mut tokens: Vec<TokenInfo>) -> Vec<TokenInfo> {
    tokens.sort_by_key(|t| t.gen_time);
    tokens
}

fn examine_cades(signed: &[u8], detached: Option<&[u8]>) -> Result<Examined, ArchiveError> {
    let (info, parsed) = cades::read(signed)?;
    let content = match (info.detached, detached) {
        (true, Some(c)) => ContentSource::Detached(c),
        (true, None) => return Err(ArchiveError::DetachedContentNeeded),
        (false, None) => ContentSource::Encapsulated,
        (false, Some(_)) => return Err(ArchiveError::DetachedContentUnexpected),
    };
    let signer_info = parsed
        .signer_infos
        .first()
        .ok_or(SignError::NoSuchSigner(0))?;
    let pool = certificates(&info.certificates);
    let signer = pool
        .iter()
        .find(|c| signer_info.identifies(c))
        .ok_or(SignError::NoSignerCertificate)?
        .clone();
    verify_signer_info(&parsed, signer_info, &signer, content)?;
    let mut time_stamps = Vec::new();
    for token in &info.signature_time_stamps {
        time_stamps.push(verified_token(
            token,
            &|alg| alg.digest(&info.signature_value),
            &pool,
        )?);
    }
    let mut archive = Vec::new();
    for token in &info.archive_time_stamps {
        let imprint = cades::archive_time_stamp_imprint(signed, token, detached)?;
        let hashed = imprint.hashed_message.as_bytes().to_vec();
        archive.push(verified_token(token, &|_| hashed.clone(), &pool)?);
    }
    time_stamps.extend(archive.iter().cloned());
    Ok(Examined {
        format: Format::Cades,
        level: info.level,
        signer,
        detached: info.detached,
        time_stamps: sorted(time_stamps),
        archive_time_stamps: sorted(archive),
    })
}

fn examine_pades(pdf: &[u8], detached: Option<&[u8]>) -> Result<Examined, ArchiveError> {
    if detached.is_some() {
        return Err(ArchiveError::DetachedContentUnexpected);
    }
    let sigs = pades::signatures(pdf)?;
    let dss = pades::dss(pdf)?;
    let mut pool = certificates(&dss.certificates);
    let mut signer = None;
    let mut has_signature_time_stamp = false;
    let mut time_stamps = Vec::new();
    let mut archive = Vec::new();
    let mut last_signature = None;
    for (i, sig) in sigs.iter().enumerate() {
        if !sig.byte_range_ok {
            return Err(SignError::Pdf(Text::new(
                format!("{} の署名範囲が不正です", sig.field_name),
                format!("the byte range of {} is not sound", sig.field_name),
            ))
            .into());
        }
        let parsed = parse_content_info(&sig.contents)?;
        pool.extend(parsed.certificates.iter().cloned());
        if sig.is_document_time_stamp() {
            archive.push(verified_token(
                &sig.contents,
                &|alg| sig.digest(pdf, alg),
                &pool,
            )?);
            continue;
        }
        last_signature = Some(i);
        for si in &parsed.signer_infos {
            let cert = parsed
                .signer_certificate(si)
                .ok_or(SignError::NoSignerCertificate)?
                .clone();
            let alg = DigestAlgorithm::from_algorithm_identifier(&si.signer_info.digest_alg)?;
            let digest = sig.digest(pdf, alg);
            verify_signer_info(&parsed, si, &cert, ContentSource::DetachedDigest(&digest))?;
            for token in si.unsigned_attribute_values(cades::ID_AA_SIGNATURE_TIME_STAMP_TOKEN) {
                let token = token.to_der().map_err(SignError::from)?;
                let value = si.signature_value().to_vec();
                time_stamps.push(verified_token(&token, &|alg| alg.digest(&value), &pool)?);
                has_signature_time_stamp = true;
            }
            signer.get_or_insert(cert);
        }
    }
    let signer = signer.ok_or_else(|| {
        SignError::Pdf(Text::new(
            "PDF に署名がありません",
            "the PDF holds no signature",
        ))
    })?;
    // Only the document time-stamps after the last signature cover it.
    let first_covering = last_signature.map_or(0, |i| i + 1);
    let covering = sigs[first_covering..]
        .iter()
        .filter(|s| s.is_document_time_stamp())
        .count();
    let archive: Vec<TokenInfo> = archive.into_iter().rev().take(covering).collect();
    time_stamps.extend(archive.iter().cloned());
    let level = if !archive.is_empty() {
        Level::Lta
    } else if !dss.certificates.is_empty() && has_signature_time_stamp {
        Level::Lt
    } else if has_signature_time_stamp {
        Level::T
    } else {
        Level::B
    };
    Ok(Examined {
        format: Format::Pades,
        level,
        signer,
        detached: false,
        time_stamps: sorted(time_stamps),
        archive_time_stamps: sorted(archive),
    })
}

/// Whether a XAdES signature references its document outside the XML (detached).
fn xades_is_detached(info: &xades::XadesInfo) -> bool {
    info.references
        .iter()
        .any(|r| !r.uri.is_empty() && !r.uri.starts_with('#'))
}

fn examine_xades(signed: &[u8], detached: Option<&[u8]>) -> Result<Examined, ArchiveError> {
    let xml = utf8(signed)?;
    let found = xades::inspect(xml)?;
    let is_detached = xades_is_detached(&found);
    let info = match (is_detached, detached) {
        (true, Some(data)) => xades::verify_detached(xml, data)?,
        (true, None) => return Err(ArchiveError::DetachedContentNeeded),
        (false, None) => xades::verify(xml)?,
        (false, Some(_)) => return Err(ArchiveError::DetachedContentUnexpected),
    };
    let signer = info
        .signer_certificate
        .clone()
        .ok_or(SignError::NoSignerCertificate)?;
    let mut ders = info.key_info_certificates.clone();
    ders.extend(info.validation_data.certificates.iter().cloned());
    ders.extend(info.time_stamp_validation_data.certificates.iter().cloned());
    let pool = certificates(&ders);
    let read = |ts: &xades::TimeStampInfo| -> Result<TokenInfo, ArchiveError> {
        let input = ts.input.clone().ok_or(SignError::NoContent)?;
        verified_token(&ts.token, &|alg| alg.digest(&input), &pool)
    };
    let mut time_stamps = Vec::new();
    for ts in &info.signature_time_stamps {
        time_stamps.push(read(ts)?);
    }
    let mut archive = Vec::new();
    for ts in &info.archive_time_stamps {
        archive.push(read(ts)?);
    }
    time_stamps.extend(archive.iter().cloned());
    Ok(Examined {
        format: Format::Xades,
        level: info.level,
        signer,
        detached: is_detached,
        time_stamps: sorted(time_stamps),
        archive_time_stamps: sorted(archive),
    })
}

/// The subscriber ID of a certificate: its subject `serialNumber` (2.5.4.5), as HPKI
/// certificates carry it.
pub fn subscriber_id(cert: &Certificate) -> Option<String> {
    cert.tbs_certificate()
        .subject()
        .iter()
        .filter(|atv| atv.oid == const_oid::db::rfc4519::SERIAL_NUMBER)
        .find_map(|atv| {
            atv.value
                .decode_as::<der::asn1::PrintableStringRef<'_>>()
                .map(|s| s.as_str().to_owned())
                .or_else(|_| {
                    atv.value
                        .decode_as::<der::asn1::Utf8StringRef<'_>>()
                        .map(|s| s.as_str().to_owned())
                })
                .ok()
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_recognised_by_their_first_octets() {
        assert_eq!(Format::detect(b"%PDF-1.7\n...").unwrap(), Format::Pades);
        assert_eq!(
            Format::detect(b"\xEF\xBB\xBF\n <?xml version=\"1.0\"?><a/>").unwrap(),
            Format::Xades
        );
        assert_eq!(
            Format::detect(&[0x30, 0x82, 0x01, 0x00]).unwrap(),
            Format::Cades
        );
        assert!(matches!(
            Format::detect(b"hello"),
            Err(ArchiveError::UnknownFormat)
        ));
        assert!(matches!(
            Format::detect(b""),
            Err(ArchiveError::UnknownFormat)
        ));
        for f in [Format::Cades, Format::Pades, Format::Xades] {
            assert_eq!(Format::parse(f.as_str()), Some(f));
        }
    }

    #[test]
    fn serials_drop_leading_zero_octets() {
        assert_eq!(serial_hex(&[0, 0x12, 0x34]), "1234");
        assert_eq!(serial_hex(&[0]), "00");
    }

    #[test]
    fn malformed_signatures_are_refused_with_the_reason() {
        let e = examine(Format::Cades, &[0x30, 0x03, 0x02, 0x01, 0x01], None).unwrap_err();
        assert!(matches!(e, ArchiveError::Signature(_)), "{e}");
        let e = examine(Format::Xades, b"<a/>", None).unwrap_err();
        assert!(e.to_string().contains("XAdES"), "{e}");
        let e = examine(Format::Pades, b"%PDF-1.7\nnothing", None).unwrap_err();
        assert!(matches!(e, ArchiveError::Signature(_)), "{e}");
    }
}
