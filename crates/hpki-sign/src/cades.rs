//! CAdES baseline signatures (ETSI EN 319 122-1: building blocks §5, baseline levels §6) made
//! with the CMS core of this crate: the JAHIS / JIS X 5092 long-term CMS signature of a medical
//! document (紹介状, 診断書…), detached (`.p7s`) or enveloping (the document inside).
//!
//! | level | what [`sign`] / [`augment`] add | EN 319 122-1 |
//! |---|---|---|
//! | B-B | SignedData over the content with content-type, message-digest, signing-time and ESS signing-certificate-v2 (RFC 5035), the signer's certificate and the chain given | §5.1, §5.2.1, §5.2.2, §6.3 |
//! | B-T | the unsigned attribute `signature-time-stamp` (id-aa-signatureTimeStampToken, 1.2.840.113549.1.9.16.2.14): an RFC 3161 token over the signature value (RFC 5126 §6.1.1) | §5.3 |
//! | B-LT | in `SignedData.certificates` the certificates of the signer's chain and of every TSA's chain, in `SignedData.crls` their CRLs and OCSP responses, the latter as `other` RevocationInfoChoice with id-ri-ocsp-response (RFC 5940 §3) | §6.3 (validation data in SignedData, not in attributes) |
//! | B-LTA | an `archive-time-stamp-v3` (0.4.0.1733.2.4) whose token carries the `ats-hash-index-v3` (0.4.0.19122.1.5) | §5.5.2, §5.5.3 |
//!
//! The archive time-stamp is the **v3** of EN 319 122-1 (not the RFC 5126 v2): its message
//! imprint is the hash of the concatenation of (1) the DER of `eContentType`, (2) the hash of
//! the signed content, (3) the fields version … signature of the SignerInfo as encoded, and
//! (4) the DER of the `ATSHashIndexV3` value, which lists the hash of every certificate and
//! every RevocationInfoChoice of the SignedData and of `attrType ‖ value` for every unsigned
//! attribute value of the signer (§5.5.2). The index goes into the token's own unsigned
//! attributes. Because the imprint covers only the index, not the sets themselves, later
//! additions (validation data, further archive time-stamps) leave every earlier archive
//! time-stamp verifiable: [`add_archive_time_stamp`] can be applied again and again, each time
//! before the previous TSA certificate expires, first adding the validation data of the
//! time-stamps already there (§5.5.3).
//!
//! All the changes after signing are made on the DER itself: the signed parts and every
//! element already present keep their exact bytes, only the `SET OF`s that grow are
//! re-sorted (X.690 §11.6) and the SignedData version set as RFC 5652 §5.1 requires (5 once
//! an OCSP response is carried). The `cms` crate (0.3.0-rc.0) decodes `other` revocation
//! entries wrongly (an AlgorithmIdentifier where RFC 5652 §10.2.1 has an OBJECT IDENTIFIER), so
//! [`crate::cms::parse_content_info`] refuses a B-LT signature: [`parse_signed_data`] here
//! reads one for [`crate::cms::verify_signer_info`], and [`inspect`] lists its parts.
//!
//! Only the first SignerInfo is time-stamped, extended and inspected (a CAdES signature of
//! one doctor has one). Nothing here validates certificate paths or revocation (`hpki-verify`).

use std::cmp::Ordering;

use cms::signed_data::SignerInfo;
use der::asn1::{ObjectIdentifier, OctetString};
use der::{Decode, Encode, Header, Reader, SliceReader};
use hpki_asn1::tsp::{ID_AA_TIME_STAMP_TOKEN, MessageImprint};
use x509_cert::Certificate;

use crate::cms::{
    ID_DATA, ID_MESSAGE_DIGEST, ID_SIGNED_DATA, ParsedSignedData, ParsedSignerInfo, SignedContent,
    SignedDataBuilder, SignerInfoBuilder, parse_content_info,
};
use crate::ltv::{TimeStamper, ValidationData, ValidationSource};
use crate::tsp::{VerifiedTimeStamp, verify_token};
use crate::{DigestAlgorithm, Level, SignContext, SignError};

/// `id-aa-signatureTimeStampToken` (1.2.840.113549.1.9.16.2.14): the signature time-stamp of
/// B-T (EN 319 122-1 §5.3, RFC 3161 Appendix A).
pub const ID_AA_SIGNATURE_TIME_STAMP_TOKEN: ObjectIdentifier = ID_AA_TIME_STAMP_TOKEN;
/// `id-aa-ets-archiveTimestampV3` (0.4.0.1733.2.4): the archive time-stamp of B-LTA
/// (EN 319 122-1 §5.5.3).
pub const ID_AA_ETS_ARCHIVE_TIMESTAMP_V3: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("0.4.0.1733.2.4");
/// `id-aa-ATSHashIndex-v3` (0.4.0.19122.1.5): the hash index inside an archive time-stamp
/// token (EN 319 122-1 §5.5.2).
pub const ID_AA_ATS_HASH_INDEX_V3: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("0.4.0.19122.1.5");
/// `id-ri-ocsp-response` (1.3.6.1.5.5.7.16.2): an OCSPResponse as `other` revocation
/// information in SignedData.crls (RFC 5940 §3).
pub const ID_RI_OCSP_RESPONSE: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.16.2");

/// Where the signed content goes.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub enum Packaging {
    /// Outside the signature (`eContent` absent): the signature is a separate `.p7s`.
    Detached,
    /// Inside the signature (`eContent` present): one `.p7m` file carries both.
    Enveloping,
}

/// Signs `content` as a CAdES baseline signature of `level` (EN 319 122-1 §6): B-B with the
/// CMS core, then [`augment`]. The sources `level` needs are checked before anything is signed
/// (a card's PIN try is not spent on a signature that could not be finished).
///
/// Returns the DER `ContentInfo` (what `openssl cms -verify -inform DER` reads).
///
/// # Errors
/// [`SignError::Fetch`] when the level needs a TSA or validation source the context lacks, or
/// one fails; the errors of the CMS builder (key, certificate mismatch).
pub fn sign(
    ctx: &SignContext<'_>,
    content: &[u8],
    packaging: Packaging,
    level: Level,
) -> Result<Vec<u8>, SignError> {
    if level >= Level::T {
        ctx.time_stamper_for(level)?;
    }
    if level >= Level::Lt {
        ctx.validation_for(level)?;
    }
    let content = match packaging {
        Packaging::Detached => SignedContent::Detached(content),
        Packaging::Enveloping => SignedContent::Encapsulated(content),
    };
    let mut builder = SignedDataBuilder::new(ID_DATA, content).certificate(ctx.certificate.clone());
    let mut included = vec![ctx.certificate];
    for c in ctx.chain {
        if !included.contains(&c) {
            builder = builder.certificate(c.clone());
            included.push(c);
        }
    }
    let basic = builder
        .signer(SignerInfoBuilder::new(ctx.signer, ctx.certificate).signing_time(ctx.signing_time))
        .build_der()?;
    augment(&basic, level, ctx.time_stamper, ctx.validation)
}

/// Raises an existing CAdES signature to `to`: a signature time-stamp when it has none (B-T),
/// the validation data of the signer and of the time-stamps when it has no revocation data
/// (B-LT), an archive time-stamp when it has none (B-LTA). A signature already at `to` or
/// above is returned unchanged; to renew the archive time-stamp of a B-LTA signature, call
/// [`add_archive_time_stamp`].
///
/// # Errors
/// [`SignError::Fetch`] when a source `to` needs is `None` or fails; DER errors for input that
/// is not a DER CMS SignedData.
pub fn augment(
    existing: &[u8],
    to: Level,
    time_stamper: Option<&dyn TimeStamper>,
    validation: Option<&dyn ValidationSource>,
) -> Result<Vec<u8>, SignError> {
    let need_tsa = || time_stamper.ok_or_else(|| SignError::NeedsTimeStamper(to.name()));
    let need_validation = || validation.ok_or_else(|| SignError::NeedsValidationData(to.name()));
    let info = inspect(existing)?;
    let mut der = existing.to_vec();
    if to >= Level::T && info.signature_time_stamps.is_empty() {
        der = add_signature_time_stamp(&der, need_tsa()?)?;
    }
    if to >= Level::Lt && info.level < Level::Lt {
        der = add_validation_data(&der, need_validation()?)?;
    }
    if to >= Level::Lta && info.archive_time_stamps.is_empty() {
        der = add_archive_time_stamp(&der, need_tsa()?, Some(need_validation()?))?;
    }
    Ok(der)
}

/// Adds a signature time-stamp (EN 319 122-1 §5.3): a token from `time_stamper` over the
/// signature value of the first SignerInfo, hashed with its digest algorithm (RFC 3161
/// Appendix A), checked, as the unsigned attribute id-aa-signatureTimeStampToken.
pub fn add_signature_time_stamp(
    signature: &[u8],
    time_stamper: &dyn TimeStamper,
) -> Result<Vec<u8>, SignError> {
    let mut parts = Parts::parse(signature)?;
    let si = parts.first_signer()?.decode()?;
    let alg = DigestAlgorithm::from_algorithm_identifier(&si.digest_alg)?;
    let digest = alg.digest(si.signature.as_bytes());
    let token = time_stamper.time_stamp(alg, &digest)?;
    verify_token(&token, &imprint(alg, digest)?, None)?;
    parts
        .first_signer_mut()?
        .unsigned
        .push(attribute(ID_AA_SIGNATURE_TIME_STAMP_TOKEN, &[&token])?);
    parts.encode()
}

/// Adds the validation data of B-LT (EN 319 122-1 §6.3): from `validation`, the issuer chain
/// and current CRLs and OCSP responses of the signer's certificate and of the TSA certificate
/// of every time-stamp token in the signature (signature and archive time-stamps), with the
/// TSA certificates themselves, into `SignedData.certificates` and `SignedData.crls` (OCSP
/// per RFC 5940). What is there already (same DER) is not added twice.
///
/// # Errors
/// [`SignError::NoSignerCertificate`] when the signer's certificate or a token's TSA
/// certificate is not in the signature; the source's errors.
pub fn add_validation_data(
    signature: &[u8],
    validation: &dyn ValidationSource,
) -> Result<Vec<u8>, SignError> {
    let mut parts = Parts::parse(signature)?;
    parts.add_validation(validation, true)?;
    parts.encode()
}

/// Adds an archive-time-stamp-v3 (EN 319 122-1 §5.5.3) to the first SignerInfo; apply it
/// again before the last archive time-stamp's TSA certificate expires (or its algorithms
/// weaken) to extend the signature's life.
///
/// With `validation`, first adds the validation data of the TSA certificate of every
/// time-stamp already in the signature (including earlier archive time-stamps), and of the
/// signer's certificate when the signature carries no revocation data yet (§5.5.3: the
/// validation material is incorporated before the archive time-stamp covers it). Then builds
/// the `ats-hash-index-v3` over the SignedData as it now is (§5.5.2), has `time_stamper`
/// time-stamp the imprint ([`archive_time_stamp_imprint`]), puts the index into the token's
/// unsigned attributes and the token into the signer's.
///
/// The hash is the signer's digest algorithm; the hash of the content is the signed
/// message-digest (the same content, the same algorithm), so detached content is not needed.
pub fn add_archive_time_stamp(
    signature: &[u8],
    time_stamper: &dyn TimeStamper,
    validation: Option<&dyn ValidationSource>,
) -> Result<Vec<u8>, SignError> {
    let mut parts = Parts::parse(signature)?;
    if let Some(v) = validation {
        let include_signer = parts.crls.is_empty();
        parts.add_validation(v, include_signer)?;
    }
    parts.normalize();
    let si = parts.first_signer()?.decode()?;
    let alg = DigestAlgorithm::from_algorithm_identifier(&si.digest_alg)?;
    let index = parts.ats_hash_index_v3(alg)?;
    let digest = alg.digest(&parts.archive_imprint_input(alg, &index, None)?);
    let token = time_stamper.time_stamp(alg, &digest)?;
    verify_token(&token, &imprint(alg, digest)?, None)?;
    let mut token_parts = Parts::parse(&token)?;
    token_parts
        .first_signer_mut()?
        .unsigned
        .push(attribute(ID_AA_ATS_HASH_INDEX_V3, &[&index])?);
    let token = token_parts.encode()?;
    parts
        .first_signer_mut()?
        .unsigned
        .push(attribute(ID_AA_ETS_ARCHIVE_TIMESTAMP_V3, &[&token])?);
    parts.encode()
}

/// The message imprint an archive-time-stamp-v3 `token` of `signature` must carry
/// (EN 319 122-1 §5.5.3), recomputed from the signature and the `ats-hash-index-v3` in the
/// token, after checking that every entry of that index is the hash of a certificate, a
/// RevocationInfoChoice or an unsigned attribute value present in the signature (§5.5.2: an
/// index with any other entry is invalid).
///
/// The content hash comes from `detached_content` when given, else from `eContent`, else
/// from the signed message-digest (when the index's hash is the signer's).
///
/// # Errors
/// [`SignError::MissingAttribute`] when the token carries no single index;
/// [`SignError::ImprintMismatch`] when an index entry matches nothing;
/// [`SignError::NoContent`] when the content hash cannot be had.
pub fn archive_time_stamp_imprint(
    signature: &[u8],
    token: &[u8],
    detached_content: Option<&[u8]>,
) -> Result<MessageImprint, SignError> {
    let mut parts = Parts::parse(signature)?;
    parts.normalize();
    let token_parts = Parts::parse(token)?;
    let index_values: Vec<Vec<u8>> = token_parts
        .first_signer()?
        .attribute_values(ID_AA_ATS_HASH_INDEX_V3)?
        .into_iter()
        .flatten()
        .collect();
    let [index] = &index_values[..] else {
        return Err(SignError::MissingAttribute("ats-hash-index-v3"));
    };
    let (alg, lists) = read_hash_index(index)?;
    let [certs, crls, attrs] = &lists;
    let hashed = |items: &[Vec<u8>]| items.iter().map(|i| alg.digest(i)).collect::<Vec<_>>();
    let have_certs = hashed(&parts.certificates);
    let have_crls = hashed(&parts.crls);
    let have_attrs = hashed(&parts.first_signer()?.attribute_value_octets()?);
    for (entries, have) in [
        (certs, &have_certs),
        (crls, &have_crls),
        (attrs, &have_attrs),
    ] {
        if entries.iter().any(|e| !have.contains(e)) {
            return Err(SignError::ImprintMismatch);
        }
    }
    let digest = alg.digest(&parts.archive_imprint_input(alg, index, detached_content)?);
    imprint(alg, digest)
}

/// Verifies an archive-time-stamp-v3 `token` of `signature`: the index and imprint of
/// [`archive_time_stamp_imprint`], then the token itself ([`crate::tsp::verify_token`], with
/// the TSA certificate the token carries). The TSA certificate's path is not validated here.
pub fn verify_archive_time_stamp(
    signature: &[u8],
    token: &[u8],
    detached_content: Option<&[u8]>,
) -> Result<VerifiedTimeStamp, SignError> {
    let imprint = archive_time_stamp_imprint(signature, token, detached_content)?;
    verify_token(token, &imprint, None)
}

/// What a CAdES signature holds, as found: nothing is verified (see
/// [`crate::cms::verify_signer_info`], [`crate::tsp::verify_token`],
/// [`verify_archive_time_stamp`] and `hpki-verify`).
#[derive(Clone, Debug)]
pub struct CadesInfo {
    /// The level the structure reaches: B-T with a signature time-stamp, B-LT when revocation
    /// data is carried as well, B-LTA with an archive-time-stamp-v3 on top.
    pub level: Level,
    /// The content is outside the signature.
    pub detached: bool,
    /// `eContentType`.
    pub content_type: ObjectIdentifier,
    /// The enveloped content, when not detached.
    pub content: Option<Vec<u8>>,
    /// The first signer's digest algorithm.
    pub digest_algorithm: DigestAlgorithm,
    /// The first signer's signature value: what its signature time-stamps cover.
    pub signature_value: Vec<u8>,
    /// The signature time-stamp tokens (DER ContentInfo), in the order of the encoding.
    pub signature_time_stamps: Vec<Vec<u8>>,
    /// The archive-time-stamp-v3 tokens (DER ContentInfo), in the order of the encoding.
    pub archive_time_stamps: Vec<Vec<u8>>,
    /// The X.509 certificates of `SignedData.certificates` (DER).
    pub certificates: Vec<Vec<u8>>,
    /// The CRLs of `SignedData.crls` (DER CertificateList).
    pub crls: Vec<Vec<u8>>,
    /// The OCSP responses of `SignedData.crls` (DER OCSPResponse, RFC 5940).
    pub ocsp_responses: Vec<Vec<u8>>,
}

/// Lists the parts of a CAdES signature (DER ContentInfo): see [`CadesInfo`].
pub fn inspect(signature: &[u8]) -> Result<CadesInfo, SignError> {
    let (parts, signer_infos) = Parts::parse_decoding(signature)?;
    info_of(
        &parts,
        signer_infos.first().ok_or(SignError::NoSuchSigner(0))?,
    )
}

/// [`inspect`] and [`parse_signed_data`] of one signature, taken apart once and each
/// SignerInfo decoded once: what a verifier reads.
///
/// Unlike [`parse_signed_data`], the certificates and CRLs are not decoded: the returned
/// [`ParsedSignedData`] has empty `certificates` and `crls`, and [`CadesInfo`] lists their
/// DER in the order of the encoding. A verifier decodes the ones it needs, through its own
/// cache when it reads document after document carrying the same CA certificates and CRLs.
pub fn read(signature: &[u8]) -> Result<(CadesInfo, ParsedSignedData), SignError> {
    let (parts, signer_infos) = Parts::parse_decoding(signature)?;
    let first = signer_infos.first().ok_or(SignError::NoSuchSigner(0))?;
    let info = info_of(&parts, first)?;
    Ok((info, parsed_of(&parts, signer_infos, false)?))
}

/// A SignedData (DER `ContentInfo`) taken apart once for verifying its signer, as [`read`]
/// without the CAdES listing: the [`ParsedSignedData`] with `certificates` and `crls` left empty,
/// and the X.509 certificates it carries as encoded, in their order. What
/// [`crate::tsp`] reads a time-stamp token with: only the certificate of its signer is decoded,
/// and its DER is kept for the ESS hash and for the verifier's certificate pool.
pub(crate) fn read_signed_data(
    content_info: &[u8],
) -> Result<(ParsedSignedData, Vec<Vec<u8>>), SignError> {
    let (mut parts, signer_infos) = Parts::parse_decoding(content_info)?;
    let parsed = parsed_of(&parts, signer_infos, false)?;
    let mut certificates = std::mem::take(&mut parts.certificates);
    certificates.retain(|c| c.first() == Some(&0x30));
    Ok((parsed, certificates))
}

/// The [`CadesInfo`] of `parts`, whose first SignerInfo decodes to `si`.
fn info_of(parts: &Parts, si: &SignerInfo) -> Result<CadesInfo, SignError> {
    let signer = parts.first_signer()?;
    let signature_time_stamps: Vec<Vec<u8>> = signer
        .attribute_values(ID_AA_SIGNATURE_TIME_STAMP_TOKEN)?
        .into_iter()
        .flatten()
        .collect();
    let archive_time_stamps: Vec<Vec<u8>> = signer
        .attribute_values(ID_AA_ETS_ARCHIVE_TIMESTAMP_V3)?
        .into_iter()
        .flatten()
        .collect();
    let mut crls = Vec::new();
    let mut ocsp_responses = Vec::new();
    for c in &parts.crls {
        match c.first() {
            Some(0x30) => crls.push(c.clone()),
            Some(0xA1) => {
                if let Some(r) = ocsp_of_other(c)? {
                    ocsp_responses.push(r);
                }
            }
            _ => {}
        }
    }
    let level = Level::of_structure(
        !signature_time_stamps.is_empty(),
        !(crls.is_empty() && ocsp_responses.is_empty()),
        !archive_time_stamps.is_empty(),
    );
    let (content_type, content) = parts.encap_content()?;
    Ok(CadesInfo {
        level,
        detached: content.is_none(),
        content_type,
        content,
        digest_algorithm: DigestAlgorithm::from_algorithm_identifier(&si.digest_alg)?,
        signature_value: si.signature.as_bytes().to_vec(),
        signature_time_stamps,
        archive_time_stamps,
        certificates: parts
            .certificates
            .iter()
            .filter(|c| c.first() == Some(&0x30))
            .cloned()
            .collect(),
        crls,
        ocsp_responses,
    })
}

/// Parses a CAdES signature (DER ContentInfo) for [`crate::cms::verify_signer_info`], also
/// when `SignedData.crls` carries OCSP responses (RFC 5940), which the `cms` crate cannot
/// decode.
///
/// The X.509 certificates and CRLs are decoded once each, into `certificates` and `crls` (in
/// the order of the encoding, as [`inspect`] lists their DER); `signed_data` holds the other
/// fields, with its `certificates` and `crls` left `None` rather than decoded a second time.
/// A verifier of document after document uses [`read`], which leaves the certificates and CRLs
/// to it.
pub fn parse_signed_data(signature: &[u8]) -> Result<ParsedSignedData, SignError> {
    let (parts, signer_infos) = Parts::parse_decoding(signature)?;
    parsed_of(&parts, signer_infos, true)
}

/// The [`ParsedSignedData`] of `parts`, whose SignerInfos decode to `signer_infos` (in the
/// same order); its certificates and CRLs decoded only when `decode_certificates`.
fn parsed_of(
    parts: &Parts,
    signer_infos: Vec<SignerInfo>,
    decode_certificates: bool,
) -> Result<ParsedSignedData, SignError> {
    let (econtent_type, econtent) = parts.encap_content()?;
    let signed_data = cms::signed_data::SignedData {
        version: cms::content_info::CmsVersion::from_der(&tlv(0x02, &[parts.version()?]))?,
        digest_algorithms: Decode::from_der(&parts.digest_algorithms)?,
        encap_content_info: Decode::from_der(&parts.encap)?,
        certificates: None,
        crls: None,
        signer_infos: cms::signed_data::SignerInfos(der::asn1::SetOfVec::try_from(
            signer_infos.clone(),
        )?),
    };
    let (mut certificates, mut crls) = (Vec::new(), Vec::new());
    if decode_certificates {
        certificates = parts
            .certificates
            .iter()
            .filter(|c| c.first() == Some(&0x30))
            .map(|c| Certificate::from_der(c))
            .collect::<Result<_, _>>()?;
        crls = parts
            .crls
            .iter()
            .filter(|c| c.first() == Some(&0x30))
            .map(|c| x509_cert::crl::CertificateList::from_der(c))
            .collect::<Result<_, _>>()?;
    }
    // The signer infos exactly as received (their signed attributes are what is verified).
    let signer_infos = parts
        .signer_infos
        .iter()
        .zip(signer_infos)
        .map(|(s, signer_info)| {
            Ok(ParsedSignerInfo {
                signer_info,
                signed_attrs_der: s.signed_attrs_as_set()?,
            })
        })
        .collect::<Result<_, SignError>>()?;
    Ok(ParsedSignedData {
        signed_data,
        econtent_type,
        econtent,
        certificates,
        crls,
        signer_infos,
    })
}

// ---------------------------------------------------------------------------------------
// DER, taken apart and put together again.

/// One DER TLV: its identifier octet, its contents and its whole encoding.
#[derive(Clone, Copy)]
struct Tlv<'a> {
    tag: u8,
    value: &'a [u8],
    all: &'a [u8],
}

/// The first TLV of `input` and what follows it.
fn read_tlv(input: &[u8]) -> Result<(Tlv<'_>, &[u8]), SignError> {
    let mut reader = SliceReader::new(input)?;
    let all = reader.tlv_bytes()?;
    let rest = &input[all.len()..];
    let mut inner = SliceReader::new(all)?;
    let header = Header::decode(&mut inner)?;
    let value = inner.read_slice(header.length())?;
    let tag = all
        .first()
        .copied()
        .ok_or(der::Error::from(der::ErrorKind::Reader))?;
    Ok((Tlv { tag, value, all }, rest))
}

/// Exactly one TLV with identifier `tag`.
fn one(input: &[u8], tag: u8) -> Result<Tlv<'_>, SignError> {
    let (tlv, rest) = read_tlv(input)?;
    if !rest.is_empty() {
        return Err(der::Error::from(der::ErrorKind::TrailingData {
            decoded: der::Length::new(u32::try_from(tlv.all.len()).unwrap_or(u32::MAX)),
            remaining: der::Length::new(u32::try_from(rest.len()).unwrap_or(u32::MAX)),
        })
        .into());
    }
    with_tag(tlv, tag)
}

fn with_tag(tlv: Tlv<'_>, tag: u8) -> Result<Tlv<'_>, SignError> {
    if tlv.tag != tag {
        return Err(der::Error::from(der::ErrorKind::TagUnknown { byte: tlv.tag }).into());
    }
    Ok(tlv)
}

/// The TLVs the contents `value` is made of.
fn children(mut value: &[u8]) -> Result<Vec<Tlv<'_>>, SignError> {
    let mut out = Vec::new();
    while !value.is_empty() {
        let (tlv, rest) = read_tlv(value)?;
        out.push(tlv);
        value = rest;
    }
    Ok(out)
}

/// The elements of a constructed TLV, each as encoded.
fn elements(t: &Tlv<'_>) -> Result<Vec<Vec<u8>>, SignError> {
    Ok(children(t.value)?.iter().map(|c| c.all.to_vec()).collect())
}

/// A DER TLV with identifier `tag` around `content`.
fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let len = content.len();
    let mut out = Vec::with_capacity(len + 6);
    out.push(tag);
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(content);
    out
}

/// The order of the elements of a DER `SET OF` (X.690 §11.6): as octet strings, the shorter
/// padded with zeros at its end.
fn der_set_order(a: &[u8], b: &[u8]) -> Ordering {
    for i in 0..a.len().max(b.len()) {
        let (x, y) = (
            a.get(i).copied().unwrap_or(0),
            b.get(i).copied().unwrap_or(0),
        );
        if x != y {
            return x.cmp(&y);
        }
    }
    a.len().cmp(&b.len())
}

/// A `SET OF` with identifier `tag` holding `items` in DER order.
fn set_of(tag: u8, items: &[Vec<u8>]) -> Vec<u8> {
    let mut sorted: Vec<&Vec<u8>> = items.iter().collect();
    sorted.sort_by(|a, b| der_set_order(a, b));
    tlv(
        tag,
        &sorted.into_iter().flatten().copied().collect::<Vec<u8>>(),
    )
}

/// An `Attribute` (RFC 5652 §5.3) of type `oid` with the DER `values`.
fn attribute(oid: ObjectIdentifier, values: &[&[u8]]) -> Result<Vec<u8>, SignError> {
    let values: Vec<Vec<u8>> = values.iter().map(|v| v.to_vec()).collect();
    let mut content = oid.to_der()?;
    content.extend(set_of(0x31, &values));
    Ok(tlv(0x30, &content))
}

/// The OCSPResponse of an `other` RevocationInfoChoice with id-ri-ocsp-response, if it is one.
fn ocsp_of_other(other: &[u8]) -> Result<Option<Vec<u8>>, SignError> {
    let t = one(other, 0xA1)?;
    match &children(t.value)?[..] {
        [format, info] if ObjectIdentifier::from_der(format.all)? == ID_RI_OCSP_RESPONSE => {
            Ok(Some(info.all.to_vec()))
        }
        _ => Ok(None),
    }
}

/// An OCSPResponse as `other` RevocationInfoChoice (RFC 5940 §3).
fn other_of_ocsp(response: &[u8]) -> Result<Vec<u8>, SignError> {
    let mut content = ID_RI_OCSP_RESPONSE.to_der()?;
    content.extend_from_slice(response);
    Ok(tlv(0xA1, &content))
}

fn imprint(alg: DigestAlgorithm, digest: Vec<u8>) -> Result<MessageImprint, SignError> {
    Ok(MessageImprint {
        hash_algorithm: alg.algorithm_identifier(),
        hashed_message: OctetString::new(digest)?,
    })
}

/// The TSA certificate a token carries for its signer.
fn tsa_certificate(token: &[u8]) -> Result<Certificate, SignError> {
    let parsed = parse_content_info(token)?;
    parsed
        .signer_infos
        .first()
        .and_then(|s| parsed.signer_certificate(s))
        .cloned()
        .ok_or(SignError::NoSignerCertificate)
}

/// A `ContentInfo` of `SignedData` taken apart into the DER of its fields (RFC 5652 §5.1).
#[derive(Clone, Debug)]
struct Parts {
    digest_algorithms: Vec<u8>,
    encap: Vec<u8>,
    /// `CertificateChoices`, each as encoded.
    certificates: Vec<Vec<u8>>,
    /// `RevocationInfoChoice`s, each as encoded.
    crls: Vec<Vec<u8>>,
    signer_infos: Vec<SignerParts>,
}

/// A `SignerInfo` (RFC 5652 §5.3): the fields version … signature as encoded, and the
/// unsigned attributes one by one.
#[derive(Clone, Debug)]
struct SignerParts {
    signed: Vec<u8>,
    unsigned: Vec<Vec<u8>>,
}

impl Parts {
    fn parse(content_info: &[u8]) -> Result<Parts, SignError> {
        Ok(Self::parse_decoding(content_info)?.0)
    }

    /// [`Parts::parse`], with the SignerInfos as decoded while checking them.
    fn parse_decoding(content_info: &[u8]) -> Result<(Parts, Vec<SignerInfo>), SignError> {
        let ci = one(content_info, 0x30)?;
        let [content_type, content] = &children(ci.value)?[..] else {
            return Err(der::Error::from(der::ErrorKind::Length {
                tag: der::Tag::Sequence,
            })
            .into());
        };
        let oid = ObjectIdentifier::from_der(content_type.all)?;
        if oid != ID_SIGNED_DATA {
            return Err(SignError::NotSignedData(oid.to_string()));
        }
        let sd = one(with_tag(*content, 0xA0)?.value, 0x30)?;
        let fields = children(sd.value)?;
        let malformed = || {
            SignError::from(der::Error::from(der::ErrorKind::Length {
                tag: der::Tag::Sequence,
            }))
        };
        // version, digestAlgorithms, encapContentInfo, [0] certificates, [1] crls, signerInfos
        let [version, digest_algorithms, encap, optional @ .., signer_set] = &fields[..] else {
            return Err(malformed());
        };
        with_tag(*version, 0x02)?; // set again on encoding (RFC 5652 §5.1)
        let digest_algorithms = with_tag(*digest_algorithms, 0x31)?.all.to_vec();
        let encap = with_tag(*encap, 0x30)?.all.to_vec();
        let signer_set = with_tag(*signer_set, 0x31)?;
        let (mut certificates, mut crls) = (Vec::new(), Vec::new());
        match optional {
            [] => {}
            [c] if c.tag == 0xA0 => certificates = elements(c)?,
            [r] if r.tag == 0xA1 => crls = elements(r)?,
            [c, r] if c.tag == 0xA0 && r.tag == 0xA1 => {
                certificates = elements(c)?;
                crls = elements(r)?;
            }
            _ => return Err(malformed()),
        }
        let (signer_infos, decoded) = children(signer_set.value)?
            .into_iter()
            .map(SignerParts::parse)
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .unzip();
        Ok((
            Parts {
                digest_algorithms,
                encap,
                certificates,
                crls,
                signer_infos,
            },
            decoded,
        ))
    }

    /// Sorts every `SET OF` as DER requires, so that indexes are made in the order that will
    /// be encoded.
    fn normalize(&mut self) {
        self.certificates.sort_by(|a, b| der_set_order(a, b));
        self.crls.sort_by(|a, b| der_set_order(a, b));
        for s in &mut self.signer_infos {
            s.unsigned.sort_by(|a, b| der_set_order(a, b));
        }
    }

    /// The SignedData version RFC 5652 §5.1 prescribes for what it holds.
    fn version(&self) -> Result<u8, SignError> {
        let any = |items: &[Vec<u8>], tag: u8| items.iter().any(|i| i.first() == Some(&tag));
        if any(&self.certificates, 0xA3) || any(&self.crls, 0xA1) {
            return Ok(5);
        }
        if any(&self.certificates, 0xA2) {
            return Ok(4);
        }
        let (content_type, _) = self.encap_content()?;
        let v3_signer = self
            .signer_infos
            .iter()
            .any(|s| s.signed.starts_with(&[0x02, 0x01, 0x03]));
        if any(&self.certificates, 0xA1) || v3_signer || content_type != ID_DATA {
            return Ok(3);
        }
        Ok(1)
    }

    fn encode(&self) -> Result<Vec<u8>, SignError> {
        let mut sd = tlv(0x02, &[self.version()?]);
        sd.extend_from_slice(&self.digest_algorithms);
        sd.extend_from_slice(&self.encap);
        if !self.certificates.is_empty() {
            sd.extend(set_of(0xA0, &self.certificates));
        }
        if !self.crls.is_empty() {
            sd.extend(set_of(0xA1, &self.crls));
        }
        // SignerInfos keep their order: callers name them by position.
        let infos: Vec<u8> = self.signer_infos.iter().flat_map(|s| s.encode()).collect();
        sd.extend(tlv(0x31, &infos));
        let mut ci = ID_SIGNED_DATA.to_der()?;
        ci.extend(tlv(0xA0, &tlv(0x30, &sd)));
        Ok(tlv(0x30, &ci))
    }

    fn first_signer(&self) -> Result<&SignerParts, SignError> {
        self.signer_infos.first().ok_or(SignError::NoSuchSigner(0))
    }

    fn first_signer_mut(&mut self) -> Result<&mut SignerParts, SignError> {
        self.signer_infos
            .first_mut()
            .ok_or(SignError::NoSuchSigner(0))
    }

    /// `eContentType`, and the content when encapsulated.
    fn encap_content(&self) -> Result<(ObjectIdentifier, Option<Vec<u8>>), SignError> {
        let encap = one(&self.encap, 0x30)?;
        match &children(encap.value)?[..] {
            [t] => Ok((ObjectIdentifier::from_der(t.all)?, None)),
            [t, c] => {
                let octets = OctetString::from_der(with_tag(*c, 0xA0)?.value)?;
                Ok((
                    ObjectIdentifier::from_der(t.all)?,
                    Some(octets.as_bytes().to_vec()),
                ))
            }
            _ => Err(der::Error::from(der::ErrorKind::Length {
                tag: der::Tag::Sequence,
            })
            .into()),
        }
    }

    /// The certificate the first SignerInfo's identifier names.
    fn signer_certificate(&self) -> Result<Certificate, SignError> {
        let named = ParsedSignerInfo {
            signer_info: self.first_signer()?.decode()?,
            signed_attrs_der: None,
        };
        self.certificates
            .iter()
            .filter(|c| c.first() == Some(&0x30))
            .filter_map(|c| Certificate::from_der(c).ok())
            .find(|c| named.identifies(c))
            .ok_or(SignError::NoSignerCertificate)
    }

    /// Every time-stamp token of the first signer: signature and archive time-stamps.
    fn time_stamp_tokens(&self) -> Result<Vec<Vec<u8>>, SignError> {
        let signer = self.first_signer()?;
        let mut tokens: Vec<Vec<u8>> = Vec::new();
        for oid in [
            ID_AA_SIGNATURE_TIME_STAMP_TOKEN,
            ID_AA_ETS_ARCHIVE_TIMESTAMP_V3,
        ] {
            tokens.extend(signer.attribute_values(oid)?.into_iter().flatten());
        }
        Ok(tokens)
    }

    /// Adds the validation data of the signer's certificate (when `include_signer`) and of the
    /// TSA certificate of every time-stamp token.
    fn add_validation(
        &mut self,
        validation: &dyn ValidationSource,
        include_signer: bool,
    ) -> Result<(), SignError> {
        let mut data = ValidationData::default();
        if include_signer {
            data.merge(validation.validation_data(&self.signer_certificate()?)?);
        }
        for token in self.time_stamp_tokens()? {
            let tsa = tsa_certificate(&token)?;
            data.merge(ValidationData {
                certificates: vec![tsa.to_der()?],
                ..Default::default()
            });
            data.merge(validation.validation_data(&tsa)?);
        }
        for c in data.certificates {
            Certificate::from_der(&c)?;
            if !self.certificates.contains(&c) {
                self.certificates.push(c);
            }
        }
        let others = data
            .ocsp_responses
            .iter()
            .map(|r| other_of_ocsp(r))
            .collect::<Result<Vec<_>, _>>()?;
        for r in data.crls.into_iter().chain(others) {
            if !self.crls.contains(&r) {
                self.crls.push(r);
            }
        }
        Ok(())
    }

    /// The `ATSHashIndexV3` (EN 319 122-1 §5.5.2) of the first signer, DER, with `alg`
    /// written out: the hash of every CertificateChoices, every RevocationInfoChoice, and of
    /// `attrType ‖ value` for every value of every unsigned attribute, in the order of the
    /// (normalised) encoding.
    fn ats_hash_index_v3(&self, alg: DigestAlgorithm) -> Result<Vec<u8>, SignError> {
        let list = |items: &[Vec<u8>]| -> Result<Vec<u8>, SignError> {
            let mut content = Vec::new();
            for i in items {
                content.extend(OctetString::new(alg.digest(i))?.to_der()?);
            }
            Ok(tlv(0x30, &content))
        };
        let mut content = alg.algorithm_identifier().to_der()?;
        content.extend(list(&self.certificates)?);
        content.extend(list(&self.crls)?);
        content.extend(list(&self.first_signer()?.attribute_value_octets()?)?);
        Ok(tlv(0x30, &content))
    }

    /// The input of the archive-time-stamp-v3 message imprint (EN 319 122-1 §5.5.3): the DER
    /// of eContentType, the hash with `alg` of the signed content, the SignerInfo's fields
    /// version … signature as encoded, and the DER of the ATSHashIndexV3 value `index`.
    fn archive_imprint_input(
        &self,
        alg: DigestAlgorithm,
        index: &[u8],
        detached_content: Option<&[u8]>,
    ) -> Result<Vec<u8>, SignError> {
        let (content_type, econtent) = self.encap_content()?;
        let signer = self.first_signer()?;
        let content_hash = match (detached_content, econtent.as_deref()) {
            (Some(c), _) | (None, Some(c)) => alg.digest(c),
            (None, None) => {
                let si = signer.decode()?;
                if DigestAlgorithm::from_algorithm_identifier(&si.digest_alg)? != alg {
                    return Err(SignError::NoContent);
                }
                let digest = signer
                    .signed_attribute_values(ID_MESSAGE_DIGEST)?
                    .into_iter()
                    .next()
                    .ok_or(SignError::MissingAttribute("message-digest"))?;
                OctetString::from_der(&digest)?.as_bytes().to_vec()
            }
        };
        let mut input = content_type.to_der()?;
        input.extend(content_hash);
        input.extend_from_slice(&signer.signed);
        input.extend_from_slice(index);
        Ok(input)
    }
}

impl SignerParts {
    /// The parts of one SignerInfo TLV, and the SignerInfo decoded (which checks it).
    fn parse(t: Tlv<'_>) -> Result<(SignerParts, SignerInfo), SignError> {
        let t = with_tag(t, 0x30)?;
        let fields = children(t.value)?;
        let (signed_len, unsigned) = match fields.last() {
            Some(last) if last.tag == 0xA1 => (
                t.value.len() - last.all.len(),
                children(last.value)?
                    .into_iter()
                    .map(|a| Ok(with_tag(a, 0x30)?.all.to_vec()))
                    .collect::<Result<_, SignError>>()?,
            ),
            _ => (t.value.len(), Vec::new()),
        };
        let parts = SignerParts {
            signed: t.value[..signed_len].to_vec(),
            unsigned,
        };
        let decoded = SignerInfo::from_der(t.all)?;
        Ok((parts, decoded))
    }

    fn encode(&self) -> Vec<u8> {
        let mut content = self.signed.clone();
        if !self.unsigned.is_empty() {
            content.extend(set_of(0xA1, &self.unsigned));
        }
        tlv(0x30, &content)
    }

    fn decode(&self) -> Result<SignerInfo, SignError> {
        Ok(SignerInfo::from_der(&self.encode())?)
    }

    /// The signed attributes as received, re-tagged `SET OF`: what the signature covers.
    fn signed_attrs_as_set(&self) -> Result<Option<Vec<u8>>, SignError> {
        Ok(children(&self.signed)?
            .into_iter()
            .find(|f| f.tag == 0xA0)
            .map(|f| {
                let mut der = f.all.to_vec();
                der[0] = 0x31;
                der
            }))
    }

    /// The values (DER) of each unsigned attribute of type `oid`.
    fn attribute_values(&self, oid: ObjectIdentifier) -> Result<Vec<Vec<Vec<u8>>>, SignError> {
        let mut out = Vec::new();
        for a in &self.unsigned {
            let (attr_type, values) = split_attribute(a)?;
            if ObjectIdentifier::from_der(attr_type)? == oid {
                out.push(values);
            }
        }
        Ok(out)
    }

    /// The values (DER) of the signed attribute `oid`.
    fn signed_attribute_values(&self, oid: ObjectIdentifier) -> Result<Vec<Vec<u8>>, SignError> {
        let mut out = Vec::new();
        if let Some(attrs) = children(&self.signed)?.into_iter().find(|f| f.tag == 0xA0) {
            for a in children(attrs.value)? {
                let (attr_type, values) = split_attribute(a.all)?;
                if ObjectIdentifier::from_der(attr_type)? == oid {
                    out.extend(values);
                }
            }
        }
        Ok(out)
    }

    /// `attrType ‖ value` for every value of every unsigned attribute: what
    /// unsignedAttrValuesHashIndex hashes (EN 319 122-1 §5.5.2).
    fn attribute_value_octets(&self) -> Result<Vec<Vec<u8>>, SignError> {
        let mut out = Vec::new();
        for a in &self.unsigned {
            let (attr_type, values) = split_attribute(a)?;
            for v in values {
                let mut octets = attr_type.to_vec();
                octets.extend(v);
                out.push(octets);
            }
        }
        Ok(out)
    }
}

/// The DER of an Attribute's `attrType` and of each of its values.
fn split_attribute(attribute: &[u8]) -> Result<(&[u8], Vec<Vec<u8>>), SignError> {
    let a = one(attribute, 0x30)?;
    let [attr_type, values] = &children(a.value)?[..] else {
        return Err(SignError::MalformedAttribute("Attribute".into()));
    };
    let values = children(with_tag(*values, 0x31)?.value)?
        .into_iter()
        .map(|v| v.all.to_vec())
        .collect();
    Ok((with_tag(*attr_type, 0x06)?.all, values))
}

/// The hash algorithm of an ATSHashIndexV3 and its three lists of hashes: certificates,
/// RevocationInfoChoices, unsigned attribute values.
type HashIndex = (DigestAlgorithm, [Vec<Vec<u8>>; 3]);

/// `ATSHashIndexV3 ::= SEQUENCE { hashIndAlgorithm, certificatesHashIndex, crlsHashIndex,
/// unsignedAttrValuesHashIndex }` (EN 319 122-1 §5.5.2): the algorithm (SHA-256 when left
/// out) and the three lists of hashes.
fn read_hash_index(index: &[u8]) -> Result<HashIndex, SignError> {
    let seq = one(index, 0x30)?;
    let fields = children(seq.value)?;
    let (alg, lists) = match &fields[..] {
        [alg, a, b, c] => (
            DigestAlgorithm::from_algorithm_identifier(&spki::AlgorithmIdentifierOwned::from_der(
                alg.all,
            )?)?,
            [*a, *b, *c],
        ),
        [a, b, c] => (DigestAlgorithm::Sha256, [*a, *b, *c]),
        _ => return Err(SignError::MalformedAttribute("ats-hash-index-v3".into())),
    };
    let mut out: [Vec<Vec<u8>>; 3] = Default::default();
    for (list, slot) in lists.into_iter().zip(out.iter_mut()) {
        for h in children(with_tag(list, 0x30)?.value)? {
            slot.push(OctetString::from_der(h.all)?.as_bytes().to_vec());
        }
    }
    Ok((alg, out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn der_lengths_and_set_order() {
        assert_eq!(tlv(0x04, &[]), [0x04, 0x00]);
        assert_eq!(tlv(0x04, &[7; 0x7f])[..2], [0x04, 0x7f]);
        assert_eq!(tlv(0x04, &[7; 0x80])[..3], [0x04, 0x81, 0x80]);
        assert_eq!(tlv(0x04, &[7; 0x1234])[..4], [0x04, 0x82, 0x12, 0x34]);
        let (t, rest) = read_tlv(&[0x04, 0x01, 0x09, 0xff]).unwrap();
        assert_eq!((t.tag, t.value, rest), (0x04, &[0x09][..], &[0xff][..]));
        assert!(
            read_tlv(&[0x04, 0x80, 0x00, 0x00]).is_err(),
            "indefinite length"
        );
        assert!(read_tlv(&[0x04, 0x05, 0x00]).is_err(), "truncated");
        assert_eq!(der_set_order(&[0x30, 0x01], &[0x30, 0x02]), Ordering::Less);
        assert_eq!(der_set_order(&[0x31], &[0x30, 0xff]), Ordering::Greater);
        let set = set_of(0x31, &[vec![0x04, 0x01, 0x02], vec![0x04, 0x01, 0x01]]);
        assert_eq!(set, [0x31, 0x06, 0x04, 0x01, 0x01, 0x04, 0x01, 0x02]);
    }

    #[test]
    fn ocsp_as_other_revocation_info_round_trips() {
        let response = [0x30, 0x03, 0x0A, 0x01, 0x00];
        let other = other_of_ocsp(&response).unwrap();
        assert_eq!(other[0], 0xA1);
        assert_eq!(
            ocsp_of_other(&other).unwrap().as_deref(),
            Some(&response[..])
        );
    }

    #[test]
    fn a_hash_index_reads_back() {
        let mut content = DigestAlgorithm::Sha384
            .algorithm_identifier()
            .to_der()
            .unwrap();
        content.extend(tlv(0x30, &tlv(0x04, &[1; 48])));
        content.extend(tlv(0x30, &[]));
        content.extend(tlv(
            0x30,
            &[tlv(0x04, &[2; 48]), tlv(0x04, &[3; 48])].concat(),
        ));
        let (alg, [certs, crls, attrs]) = read_hash_index(&tlv(0x30, &content)).unwrap();
        assert_eq!(alg, DigestAlgorithm::Sha384);
        assert_eq!((certs.len(), crls.len(), attrs.len()), (1, 0, 2));
        assert_eq!(attrs[1], vec![3; 48]);
    }
}
