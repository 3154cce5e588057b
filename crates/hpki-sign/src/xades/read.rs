//! Reading a XAdES signature back: [`inspect`] (what is there, and the octets each time-stamp
//! must cover) and [`verify`] (XML-DSig core validation, XML-DSig §3.2, and the time-stamps).

use der::{Decode, Encode};
use hpki_keys::SignatureAlgorithm;
use hpki_text::Text;
use spki::AlgorithmIdentifierOwned;
use x509_cert::Certificate;

use super::dom::{C14n, Signature, Xml, unb64};
use super::{
    ALG_DIGEST_SHA256, ALG_DIGEST_SHA384, ALG_DIGEST_SHA512, ALG_ECDSA_SHA256, ALG_ECDSA_SHA384,
    ALG_ECDSA_SHA512, ALG_RSA_SHA256, ALG_RSA_SHA384, ALG_RSA_SHA512, NS_DS, NS_XADES, NS_XADES141,
    SIGNED_PROPERTIES_TYPE,
};
use crate::ltv::ValidationData;
use crate::tsp::VerifiedTimeStamp;
use crate::{DigestAlgorithm, Level, SignError};

/// What a XAdES signature carries, as [`inspect`] reads it.
#[derive(Clone, Debug)]
pub struct XadesInfo {
    /// The highest level whose properties are all present: B (signed properties), T (a
    /// signature time-stamp), Lt (and certificate and revocation values), Lta (and an
    /// archive time-stamp).
    pub level: Level,
    /// The `Id` of `ds:Signature`.
    pub signature_id: Option<String>,
    /// `SignedInfo/CanonicalizationMethod/@Algorithm`.
    pub canonicalization_method: String,
    /// `SignedInfo/SignatureMethod/@Algorithm`.
    pub signature_method: String,
    /// The decoded `ds:SignatureValue` (for ECDSA, `r || s` as XML-DSig writes it).
    pub signature_value: Vec<u8>,
    /// `ds:SignedInfo` canonicalized with its canonicalization method: what was signed.
    pub signed_info_c14n: Vec<u8>,
    /// The references of `SignedInfo`, in order.
    pub references: Vec<ReferenceInfo>,
    /// The references of the `ds:Manifest`s that `SignedInfo` references (XML-DSig §5.1):
    /// core validation does not check them; their digests are recomputed here for what the
    /// document holds (`computed_digest` is `None` for external data, which is never resolved
    /// for a manifest).
    pub manifest_references: Vec<ReferenceInfo>,
    /// `xades:SigningTime` as written (`xsd:dateTime`): the signer's claim.
    pub signing_time: Option<String>,
    /// `SigningCertificateV2` (or v1.3.2 `SigningCertificate`) digests: (DigestMethod URI,
    /// value), in order; the first names the signer's certificate.
    pub signing_certificate_digests: Vec<(String, Vec<u8>)>,
    /// `ds:KeyInfo/ds:X509Data/ds:X509Certificate`, DER.
    pub key_info_certificates: Vec<Vec<u8>>,
    /// The `KeyInfo` certificate the signing-certificate property names.
    pub signer_certificate: Option<Certificate>,
    /// `xades:SignatureTimeStamp` tokens.
    pub signature_time_stamps: Vec<TimeStampInfo>,
    /// `xades141:ArchiveTimeStamp` tokens, in order.
    pub archive_time_stamps: Vec<TimeStampInfo>,
    /// `xades:CertificateValues` (certificates) and `xades:RevocationValues` (CRLs, OCSP
    /// responses), DER.
    pub validation_data: ValidationData,
    /// The contents of every `xades141:TimeStampValidationData`, DER.
    pub time_stamp_validation_data: ValidationData,
}

/// One `ds:Reference`.
#[derive(Clone, Debug)]
pub struct ReferenceInfo {
    /// Its `Id`.
    pub id: Option<String>,
    /// Its `URI` (`""`, `#id`, or an external URI).
    pub uri: String,
    /// Its `Type` (the signed properties' is [`SIGNED_PROPERTIES_TYPE`]).
    pub reference_type: Option<String>,
    /// The transforms' algorithms, in order.
    pub transforms: Vec<String>,
    /// `DigestMethod/@Algorithm`.
    pub digest_method: String,
    /// The decoded `DigestValue`.
    pub digest_value: Vec<u8>,
    /// The digest recomputed from the document; `None` when it could not be (external data
    /// not given, an unsupported transform or digest).
    pub computed_digest: Option<Vec<u8>>,
}

/// One time-stamp token of a signature.
#[derive(Clone, Debug)]
pub struct TimeStampInfo {
    /// The container's `Id`.
    pub id: Option<String>,
    /// The canonicalization its input is computed with (Canonical XML 1.0 when the container
    /// names none).
    pub canonicalization: String,
    /// The RFC 3161 `TimeStampToken` (DER `ContentInfo`).
    pub token: Vec<u8>,
    /// The octets the token must time-stamp (for a signature time-stamp the canonical
    /// `ds:SignatureValue`; for an archive time-stamp the EN 319 132-1 §5.5.2.2 input);
    /// `None` when external data was needed and not given.
    pub input: Option<Vec<u8>>,
}

impl TimeStampInfo {
    /// Verifies the token (RFC 3161, `tsp::verify_token`) over [`Self::input`] hashed with
    /// the token's own imprint algorithm. The TSA certificate's path is not validated here.
    ///
    /// # Errors
    /// [`SignError::NoContent`] without input; [`SignError::ImprintMismatch`] when the token
    /// is over other data; the token's errors.
    pub fn verify(&self) -> Result<VerifiedTimeStamp, SignError> {
        let input = self.input.as_deref().ok_or(SignError::NoContent)?;
        crate::tsp::verify_token_over(&self.token, input)
    }
}

/// Reads the XAdES signature of `xml` (the only `ds:Signature` holding XAdES qualifying
/// properties). External references (detached signatures) are not resolved: their
/// [`ReferenceInfo::computed_digest`] and archive time-stamp inputs are `None` (see
/// [`inspect_detached`]).
///
/// # Errors
/// [`SignError::Xml`], [`SignError::NotXades`].
pub fn inspect(xml: &str) -> Result<XadesInfo, SignError> {
    inspect_with(xml, &|_| None)
}

/// [`inspect`] for a detached signature whose external reference names `data`.
pub fn inspect_detached(xml: &str, data: &[u8]) -> Result<XadesInfo, SignError> {
    inspect_with(xml, &|_| Some(data.to_vec()))
}

/// XML-DSig core validation (XML-DSig §3.2) and the XAdES checks of a signature, and every
/// time-stamp token over its input:
///
/// - every reference's digest recomputed from the document equals its `DigestValue`;
/// - one reference has `Type` [`SIGNED_PROPERTIES_TYPE`] and names the signature's
///   `xades:SignedProperties` (TS 101 903 §6.3);
/// - `SigningCertificateV2` (or `SigningCertificate`) names a `ds:KeyInfo` certificate by
///   its digest, and `ds:SignatureValue` verifies over the canonical `SignedInfo` with its
///   key;
/// - every signature and archive time-stamp token verifies over its input.
///
/// Certificate paths, validity and revocation are not checked (see `hpki-verify`).
///
/// # Errors
/// [`SignError::ReferenceDigestMismatch`] when the signed data was changed,
/// [`SignError::BadSignature`], [`SignError::SigningCertificateMismatch`],
/// [`SignError::ImprintMismatch`], …
pub fn verify(xml: &str) -> Result<XadesInfo, SignError> {
    verify_with(xml, &|_| None)
}

/// [`verify`] for a detached signature whose external reference names `data`.
pub fn verify_detached(xml: &str, data: &[u8]) -> Result<XadesInfo, SignError> {
    verify_with(xml, &|_| Some(data.to_vec()))
}

/// Every XAdES signature of `xml`, in document order, read as [`inspect`] reads one; a
/// detached signature's external reference names `detached` when given. A document may carry
/// several signatures: a dispensing result (調剤結果) holds the prescriber's signature inside
/// the part the pharmacist's signs.
///
/// # Errors
/// [`SignError::Xml`]; [`SignError::NotXades`] without any XAdES signature; the first
/// signature that cannot be read.
pub fn inspect_all(xml: &str, detached: Option<&[u8]>) -> Result<Vec<XadesInfo>, SignError> {
    let parsed = Xml::parse(xml)?;
    let external = |_: &str| detached.map(<[u8]>::to_vec);
    let signatures = parsed.xades_signatures();
    if signatures.is_empty() {
        return Err(SignError::NotXades(
            "no ds:Signature with xades:QualifyingProperties (v1.3.2)".into(),
        ));
    }
    signatures
        .iter()
        .map(|sig| inspect_signature(&parsed, sig, &external))
        .collect()
}

/// How many XAdES signatures `xml` carries (what [`inspect_all`] would read), without reading
/// them.
///
/// # Errors
/// [`SignError::Xml`].
pub fn count_signatures(xml: &str) -> Result<usize, SignError> {
    Ok(Xml::parse(xml)?.xades_signatures().len())
}

/// [`verify`] of the signature at `index` (document order, as [`inspect_all`] lists them).
///
/// # Errors
/// As [`verify`]; [`SignError::NotXades`] when there is no signature at `index`.
pub fn verify_at(xml: &str, index: usize, detached: Option<&[u8]>) -> Result<XadesInfo, SignError> {
    let parsed = Xml::parse(xml)?;
    let external = |_: &str| detached.map(<[u8]>::to_vec);
    let sig = parsed
        .xades_signatures()
        .get(index)
        .copied()
        .ok_or_else(|| SignError::NotXades(format!("no XAdES signature number {}", index + 1)))?;
    verify_signature(&parsed, &sig, &external)
}

/// [`verify`] for an e-prescription, and what it prescribes: also checks that the signature
/// is the one in `Prescription/PrescriptionSign` and that its document reference is the
/// `Prescription/PrescriptionDocument` the content is read from — not an element with that ID
/// moved elsewhere while another takes its place (XML signature wrapping).
///
/// # Errors
/// As [`verify`]; [`SignError::Prescription`] for a layout that is not the e-prescription's or
/// a signature that does not sign its document.
pub fn verify_prescription(
    xml: &str,
) -> Result<(XadesInfo, super::PrescriptionContent), SignError> {
    let info = verify(xml)?;
    let parsed = Xml::parse(xml)?;
    let layout = super::layout::prescription_layout(&parsed)?;
    let sig = parsed.xades_signature(None)?;
    let inside = layout
        .sign
        .is_some_and(|sign| parsed.doc.parent(sig.signature) == Some(sign));
    let document_id = parsed.id_of(layout.document);
    let signs_document = match (info.references.first(), document_id) {
        (Some(r), Some(id)) => {
            r.uri.strip_prefix('#') == Some(id) && parsed.find_id(id)? == layout.document
        }
        _ => false,
    };
    if !inside || !signs_document {
        return Err(SignError::Prescription(Text::new(
            "PrescriptionSign の署名がこの処方箋本体を対象としていません",
            "the signature in PrescriptionSign does not sign this PrescriptionDocument",
        )));
    }
    let content = super::PrescriptionContent {
        version: layout.version,
        prescription_id: layout.prescription_id,
        csv: unb64(&parsed.text_of(layout.document), "PrescriptionDocument")?,
    };
    Ok((info, content))
}

fn digest_algorithm(uri: &str) -> Result<DigestAlgorithm, SignError> {
    match uri {
        ALG_DIGEST_SHA256 => Ok(DigestAlgorithm::Sha256),
        ALG_DIGEST_SHA384 => Ok(DigestAlgorithm::Sha384),
        ALG_DIGEST_SHA512 => Ok(DigestAlgorithm::Sha512),
        other => Err(SignError::UnsupportedDigest(other.to_owned())),
    }
}

/// The signature algorithm of a `SignatureMethod` URI (RFC 6931 §2.3).
fn signature_algorithm(uri: &str) -> Result<(AlgorithmIdentifierOwned, bool), SignError> {
    use const_oid::db::rfc5912::{
        ECDSA_WITH_SHA_256, ECDSA_WITH_SHA_384, ECDSA_WITH_SHA_512, SHA_256_WITH_RSA_ENCRYPTION,
        SHA_384_WITH_RSA_ENCRYPTION, SHA_512_WITH_RSA_ENCRYPTION,
    };
    let (oid, ecdsa) = match uri {
        ALG_RSA_SHA256 => (SHA_256_WITH_RSA_ENCRYPTION, false),
        ALG_RSA_SHA384 => (SHA_384_WITH_RSA_ENCRYPTION, false),
        ALG_RSA_SHA512 => (SHA_512_WITH_RSA_ENCRYPTION, false),
        ALG_ECDSA_SHA256 => (ECDSA_WITH_SHA_256, true),
        ALG_ECDSA_SHA384 => (ECDSA_WITH_SHA_384, true),
        ALG_ECDSA_SHA512 => (ECDSA_WITH_SHA_512, true),
        other => return Err(SignError::UnsupportedSignatureAlgorithm(other.to_owned())),
    };
    Ok((
        AlgorithmIdentifierOwned {
            oid,
            parameters: None,
        },
        ecdsa,
    ))
}

/// ECDSA-Sig-Value (RFC 5480 §2.2 / RFC 3279 §2.2.3).
#[derive(der::Sequence)]
struct EcdsaSigValue {
    r: der::asn1::Uint,
    s: der::asn1::Uint,
}

/// The octets of an EC field element of the certificate's curve.
fn ec_field_len(certificate: &Certificate) -> Result<usize, SignError> {
    use const_oid::db::rfc5912::{SECP_256_R_1, SECP_384_R_1, SECP_521_R_1};
    let curve = certificate
        .tbs_certificate()
        .subject_public_key_info()
        .algorithm
        .parameters
        .as_ref()
        .and_then(|p| p.decode_as::<der::asn1::ObjectIdentifier>().ok())
        .ok_or_else(|| SignError::UnsupportedSignatureAlgorithm("EC key without curve".into()))?;
    match curve {
        c if c == SECP_256_R_1 => Ok(32),
        c if c == SECP_384_R_1 => Ok(48),
        c if c == SECP_521_R_1 => Ok(66),
        c => Err(SignError::UnsupportedSignatureAlgorithm(format!(
            "ECDSA on curve {c}"
        ))),
    }
}

/// The `ds:SignatureValue` octets of a signer's signature: RSA as is; ECDSA from DER to
/// `r || s`, each the size of the curve's field (RFC 6931 §2.3.6, XML-DSig 1.1 §6.4.3).
pub(super) fn xmldsig_signature_value(
    algorithm: SignatureAlgorithm,
    signature: &[u8],
    certificate: &Certificate,
) -> Result<Vec<u8>, SignError> {
    if algorithm == SignatureAlgorithm::RsaPkcs1Sha256 {
        return Ok(signature.to_vec());
    }
    let len = ec_field_len(certificate)?;
    let value = EcdsaSigValue::from_der(signature)?;
    let mut out = vec![0u8; 2 * len];
    for (i, n) in [value.r.as_bytes(), value.s.as_bytes()].iter().enumerate() {
        if n.len() > len {
            return Err(SignError::BadSignature);
        }
        out[(i + 1) * len - n.len()..(i + 1) * len].copy_from_slice(n);
    }
    Ok(out)
}

/// The DER ECDSA-Sig-Value of an XML-DSig `r || s` value.
fn ecdsa_der(value: &[u8]) -> Result<Vec<u8>, SignError> {
    if value.is_empty() || !value.len().is_multiple_of(2) {
        return Err(SignError::BadSignature);
    }
    let (r, s) = value.split_at(value.len() / 2);
    let strip = |n: &[u8]| -> Vec<u8> {
        let first = n.iter().position(|b| *b != 0).unwrap_or(n.len());
        n[first..].to_vec()
    };
    Ok(EcdsaSigValue {
        r: der::asn1::Uint::new(&strip(r))?,
        s: der::asn1::Uint::new(&strip(s))?,
    }
    .to_der()?)
}

/// The DER certificates of `KeyInfo/X509Data/X509Certificate`.
fn key_info_certificates(xml: &Xml<'_>, sig: &Signature) -> Result<Vec<Vec<u8>>, SignError> {
    let mut out = Vec::new();
    if let Some(ki) = xml.child(sig.signature, NS_DS, "KeyInfo") {
        for data in xml.children_named(ki, NS_DS, "X509Data") {
            for c in xml.children_named(data, NS_DS, "X509Certificate") {
                out.push(unb64(&xml.text_of(c), "X509Certificate")?);
            }
        }
    }
    Ok(out)
}

fn signed_signature_properties(xml: &Xml<'_>, sig: &Signature) -> Option<bergshamra::xml::NodeId> {
    let sp = xml.child(sig.qualifying_properties, NS_XADES, "SignedProperties")?;
    xml.child(sp, NS_XADES, "SignedSignatureProperties")
}

/// The `CertDigest`s of `SigningCertificateV2` / `SigningCertificate`.
fn signing_certificate_digests(
    xml: &Xml<'_>,
    sig: &Signature,
) -> Result<Vec<(String, Vec<u8>)>, SignError> {
    let mut out = Vec::new();
    let Some(ssp) = signed_signature_properties(xml, sig) else {
        return Ok(out);
    };
    for name in ["SigningCertificateV2", "SigningCertificate"] {
        for sc in xml.children_named(ssp, NS_XADES, name) {
            for cert in xml.children_named(sc, NS_XADES, "Cert") {
                let digest = xml.required_child(cert, NS_XADES, "CertDigest")?;
                let method = xml.required_child(digest, NS_DS, "DigestMethod")?;
                let value = xml.required_child(digest, NS_DS, "DigestValue")?;
                out.push((
                    xml.attr(method, "Algorithm").unwrap_or_default().to_owned(),
                    unb64(&xml.text_of(value), "CertDigest")?,
                ));
            }
        }
    }
    Ok(out)
}

/// The `KeyInfo` certificate the signing-certificate property names; `None` without the
/// property.
fn named_signer(xml: &Xml<'_>, sig: &Signature) -> Result<Option<Certificate>, SignError> {
    let digests = signing_certificate_digests(xml, sig)?;
    let Some((method, value)) = digests.first() else {
        return Ok(None);
    };
    let digest_of = |der: &[u8]| -> Result<Vec<u8>, SignError> {
        if method == "http://www.w3.org/2000/09/xmldsig#sha1" {
            return Ok(crate::digest::sha1_for_legacy_ess(der));
        }
        Ok(digest_algorithm(method)?.digest(der))
    };
    for der in key_info_certificates(xml, sig)? {
        if digest_of(&der)? == *value {
            return Ok(Some(Certificate::from_der(&der)?));
        }
    }
    Err(SignError::SigningCertificateMismatch)
}

/// The signer's certificate: the one the signing-certificate property names, else the first
/// of `KeyInfo`.
pub(super) fn signer_certificate(xml: &Xml<'_>, sig: &Signature) -> Result<Certificate, SignError> {
    if let Some(c) = named_signer(xml, sig)? {
        return Ok(c);
    }
    let first = key_info_certificates(xml, sig)?
        .into_iter()
        .next()
        .ok_or(SignError::NoSignerCertificate)?;
    Ok(Certificate::from_der(&first)?)
}

/// The containers of the signature's time-stamps: (container, is archive).
fn time_stamp_containers(xml: &Xml<'_>, sig: &Signature) -> Vec<(bergshamra::xml::NodeId, bool)> {
    xml.unsigned_properties_list(sig)
        .into_iter()
        .filter_map(|p| {
            if xml.is(p, NS_XADES, "SignatureTimeStamp") {
                Some((p, false))
            } else if xml.is(p, NS_XADES141, "ArchiveTimeStamp") {
                Some((p, true))
            } else {
                None
            }
        })
        .collect()
}

fn tokens_of(xml: &Xml<'_>, container: bergshamra::xml::NodeId) -> Result<Vec<Vec<u8>>, SignError> {
    xml.children_named(container, NS_XADES, "EncapsulatedTimeStamp")
        .into_iter()
        .map(|t| unb64(&xml.text_of(t), "EncapsulatedTimeStamp"))
        .collect()
}

/// Every time-stamp token of the signature (signature and archive time-stamps).
pub(super) fn time_stamp_tokens(xml: &Xml<'_>, sig: &Signature) -> Result<Vec<Vec<u8>>, SignError> {
    let mut out = Vec::new();
    for (c, _) in time_stamp_containers(xml, sig) {
        out.extend(tokens_of(xml, c)?);
    }
    Ok(out)
}

/// The certificate that signed a time-stamp token (carried in the token).
pub(super) fn token_signer(token: &[u8]) -> Result<Certificate, SignError> {
    let parsed = crate::cms::parse_content_info(token)?;
    let signer = parsed
        .signer_infos
        .first()
        .ok_or_else(|| SignError::NotTimeStampToken("no signer".into()))?;
    parsed
        .signer_certificate(signer)
        .cloned()
        .ok_or(SignError::NoSignerCertificate)
}

/// Certificate and revocation values inside `container` (`CertificateValues`,
/// `RevocationValues` children).
fn values_in(
    xml: &Xml<'_>,
    containers: &[bergshamra::xml::NodeId],
) -> Result<ValidationData, SignError> {
    let mut data = ValidationData::default();
    for c in containers {
        if xml.is(*c, NS_XADES, "CertificateValues") {
            for e in xml.children_named(*c, NS_XADES, "EncapsulatedX509Certificate") {
                data.certificates
                    .push(unb64(&xml.text_of(e), "EncapsulatedX509Certificate")?);
            }
        }
        if xml.is(*c, NS_XADES, "RevocationValues") {
            for crls in xml.children_named(*c, NS_XADES, "CRLValues") {
                for e in xml.children_named(crls, NS_XADES, "EncapsulatedCRLValue") {
                    data.crls
                        .push(unb64(&xml.text_of(e), "EncapsulatedCRLValue")?);
                }
            }
            for ocsps in xml.children_named(*c, NS_XADES, "OCSPValues") {
                for e in xml.children_named(ocsps, NS_XADES, "EncapsulatedOCSPValue") {
                    data.ocsp_responses
                        .push(unb64(&xml.text_of(e), "EncapsulatedOCSPValue")?);
                }
            }
        }
    }
    Ok(data)
}

/// (certificate and revocation values, time-stamp validation data) of a signature.
fn validation_values(
    xml: &Xml<'_>,
    sig: &Signature,
) -> Result<(ValidationData, ValidationData), SignError> {
    let props = xml.unsigned_properties_list(sig);
    let values = values_in(xml, &props)?;
    let mut ts = ValidationData::default();
    for p in props {
        if xml.is(p, NS_XADES141, "TimeStampValidationData") {
            ts.merge(values_in(xml, &xml.child_elements(p))?);
        }
    }
    Ok((values, ts))
}

/// All certificates and revocation data the signature carries anywhere.
pub(super) fn present_validation_data(
    xml: &Xml<'_>,
    sig: &Signature,
) -> Result<ValidationData, SignError> {
    let (mut data, ts) = validation_values(xml, sig)?;
    data.merge(ts);
    data.merge(ValidationData {
        certificates: key_info_certificates(xml, sig)?,
        ..Default::default()
    });
    Ok(data)
}

/// The input of an archive time-stamp (EN 319 132-1 §5.5.2.2, TS 101 903 v1.4.1 §8.2.1): the
/// processed references, canonical `SignedInfo`, `SignatureValue`, `KeyInfo`, the unsigned
/// signature properties before `before` (all of them for a new one), and the `ds:Object`s
/// neither referenced nor holding the qualifying properties.
pub(super) fn archive_input(
    xml: &Xml<'_>,
    sig: &Signature,
    before: Option<bergshamra::xml::NodeId>,
    external: &dyn Fn(&str) -> Option<Vec<u8>>,
    c14n: &C14n,
) -> Result<Vec<u8>, SignError> {
    let mut out = Vec::new();
    let signed_info = xml.required_child(sig.signature, NS_DS, "SignedInfo")?;
    let references = xml.children_named(signed_info, NS_DS, "Reference");
    // 2) The references, processed.
    for r in &references {
        out.extend(xml.reference_octets(sig.signature, *r, external, c14n)?);
    }
    // 3) SignedInfo, SignatureValue, KeyInfo.
    out.extend(xml.canonical_element(signed_info, c14n)?);
    out.extend(xml.canonical_element(
        xml.required_child(sig.signature, NS_DS, "SignatureValue")?,
        c14n,
    )?);
    if let Some(ki) = xml.child(sig.signature, NS_DS, "KeyInfo") {
        out.extend(xml.canonical_element(ki, c14n)?);
    }
    // 4) The unsigned signature properties before this time-stamp.
    for p in xml.unsigned_properties_list(sig) {
        if Some(p) == before {
            break;
        }
        out.extend(xml.canonical_element(p, c14n)?);
    }
    // 5) Other ds:Objects not referenced from SignedInfo.
    let referenced: Vec<String> = references
        .iter()
        .filter_map(|r| xml.attr(*r, "URI"))
        .filter_map(|u| u.strip_prefix('#'))
        .map(str::to_owned)
        .collect();
    for o in xml.children_named(sig.signature, NS_DS, "Object") {
        if o == sig.object
            || xml
                .id_of(o)
                .is_some_and(|id| referenced.iter().any(|r| r == id))
        {
            continue;
        }
        out.extend(xml.canonical_element(o, c14n)?);
    }
    Ok(out)
}

/// The digest of a reference recomputed from the document.
fn reference_digest(
    xml: &Xml<'_>,
    sig: &Signature,
    reference: bergshamra::xml::NodeId,
    external: &dyn Fn(&str) -> Option<Vec<u8>>,
) -> Result<Vec<u8>, SignError> {
    let method = xml.required_child(reference, NS_DS, "DigestMethod")?;
    let alg = digest_algorithm(xml.attr(method, "Algorithm").unwrap_or_default())?;
    // XML-DSig §4.3.3.2: a node-set result is converted to octets with Canonical XML 1.0.
    let octets = xml.reference_octets(
        sig.signature,
        reference,
        external,
        &C14n::from_uri(super::ALG_C14N10)?,
    )?;
    Ok(alg.digest(&octets))
}

fn inspect_with(
    text: &str,
    external: &dyn Fn(&str) -> Option<Vec<u8>>,
) -> Result<XadesInfo, SignError> {
    let xml = Xml::parse(text)?;
    let sig = xml.xades_signature(None)?;
    inspect_signature(&xml, &sig, external)
}

/// A `ds:Reference` as read, with its digest recomputed when it can be.
fn reference_info(
    xml: &Xml<'_>,
    sig: &Signature,
    r: bergshamra::xml::NodeId,
    external: &dyn Fn(&str) -> Option<Vec<u8>>,
) -> Result<ReferenceInfo, SignError> {
    let method = xml.required_child(r, NS_DS, "DigestMethod")?;
    let value = xml.required_child(r, NS_DS, "DigestValue")?;
    let transforms = xml
        .child(r, NS_DS, "Transforms")
        .map(|ts| {
            xml.children_named(ts, NS_DS, "Transform")
                .into_iter()
                .map(|t| xml.attr(t, "Algorithm").unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default();
    Ok(ReferenceInfo {
        id: xml.id_of(r).map(str::to_owned),
        uri: xml.attr(r, "URI").unwrap_or_default().to_owned(),
        reference_type: xml.attr(r, "Type").map(str::to_owned),
        transforms,
        digest_method: xml.attr(method, "Algorithm").unwrap_or_default().to_owned(),
        digest_value: unb64(&xml.text_of(value), "DigestValue")?,
        computed_digest: reference_digest(xml, sig, r, external).ok(),
    })
}

/// What one signature of a parsed document carries (see [`inspect`]).
fn inspect_signature(
    xml: &Xml<'_>,
    sig: &Signature,
    external: &dyn Fn(&str) -> Option<Vec<u8>>,
) -> Result<XadesInfo, SignError> {
    let (xml, sig) = (xml, *sig);
    let signed_info = xml.required_child(sig.signature, NS_DS, "SignedInfo")?;
    let c14n_method = xml.required_child(signed_info, NS_DS, "CanonicalizationMethod")?;
    let signature_method = xml.required_child(signed_info, NS_DS, "SignatureMethod")?;
    let signed_info_c14n = xml.canonical_element(signed_info, &xml.c14n_of(c14n_method)?)?;
    let value = xml.required_child(sig.signature, NS_DS, "SignatureValue")?;

    let mut references = Vec::new();
    let mut manifest_references = Vec::new();
    for r in xml.children_named(signed_info, NS_DS, "Reference") {
        references.push(reference_info(xml, &sig, r, external)?);
        // XML-DSig §5.1: a reference to a ds:Manifest signs the manifest, not what its own
        // references name; those are checked here as far as they are in the document, never
        // from external data.
        let target = xml
            .attr(r, "URI")
            .and_then(|u| u.strip_prefix('#'))
            .and_then(|id| xml.find_id(id).ok());
        if let Some(m) = target.filter(|m| xml.is(*m, NS_DS, "Manifest")) {
            for mr in xml.children_named(m, NS_DS, "Reference") {
                manifest_references.push(reference_info(xml, &sig, mr, &|_| None)?);
            }
        }
    }

    let signing_time = signed_signature_properties(xml, &sig)
        .and_then(|ssp| xml.child(ssp, NS_XADES, "SigningTime"))
        .map(|t| xml.text_of(t).trim().to_owned());

    let mut signature_time_stamps = Vec::new();
    let mut archive_time_stamps = Vec::new();
    for (container, archive) in time_stamp_containers(xml, &sig) {
        let c14n = xml.time_stamp_c14n(container)?;
        let input = if archive {
            match archive_input(xml, &sig, Some(container), external, &c14n) {
                Ok(i) => Some(i),
                Err(SignError::NoContent) => None,
                Err(e) => return Err(e),
            }
        } else {
            Some(xml.canonical_element(value, &c14n)?)
        };
        for token in tokens_of(xml, container)? {
            let info = TimeStampInfo {
                id: xml.id_of(container).map(str::to_owned),
                canonicalization: c14n.mode.uri().to_owned(),
                token,
                input: input.clone(),
            };
            if archive {
                archive_time_stamps.push(info);
            } else {
                signature_time_stamps.push(info);
            }
        }
    }
    let (validation_data, time_stamp_validation_data) = validation_values(xml, &sig)?;

    let has_values = !xml
        .unsigned_named(&sig, NS_XADES, "CertificateValues")
        .is_empty()
        && !xml
            .unsigned_named(&sig, NS_XADES, "RevocationValues")
            .is_empty();
    let level = match (
        signature_time_stamps.is_empty(),
        has_values,
        archive_time_stamps.is_empty(),
    ) {
        (true, _, _) => Level::B,
        (false, false, _) => Level::T,
        (false, true, true) => Level::Lt,
        (false, true, false) => Level::Lta,
    };
    if xml
        .child(sig.qualifying_properties, NS_XADES, "SignedProperties")
        .is_none()
    {
        return Err(SignError::NotXades("no xades:SignedProperties".into()));
    }

    Ok(XadesInfo {
        level,
        signature_id: xml.id_of(sig.signature).map(str::to_owned),
        canonicalization_method: xml
            .attr(c14n_method, "Algorithm")
            .unwrap_or_default()
            .to_owned(),
        signature_method: xml
            .attr(signature_method, "Algorithm")
            .unwrap_or_default()
            .to_owned(),
        signature_value: unb64(&xml.text_of(value), "SignatureValue")?,
        signed_info_c14n,
        references,
        manifest_references,
        signing_time,
        signing_certificate_digests: signing_certificate_digests(xml, &sig)?,
        key_info_certificates: key_info_certificates(xml, &sig)?,
        signer_certificate: named_signer(xml, &sig).ok().flatten(),
        signature_time_stamps,
        archive_time_stamps,
        validation_data,
        time_stamp_validation_data,
    })
}

/// Verifies the `SignatureValue` of `info` over its canonical `SignedInfo` with `signer`'s key,
/// by the `SignatureMethod` (RFC 6931 §2.3: RSA or ECDSA with SHA-256/384/512; an ECDSA value
/// is XML-DSig 1.1 §6.4.3's `r || s`). The references are not checked here.
pub fn verify_signature_value(info: &XadesInfo, signer: &Certificate) -> Result<(), SignError> {
    let (alg, ecdsa) = signature_algorithm(&info.signature_method)?;
    let value = if ecdsa {
        ecdsa_der(&info.signature_value)?
    } else {
        info.signature_value.clone()
    };
    crate::signature::verify_signature(
        signer.tbs_certificate().subject_public_key_info(),
        &alg,
        DigestAlgorithm::Sha256,
        &info.signed_info_c14n,
        &value,
    )
}

fn verify_with(
    text: &str,
    external: &dyn Fn(&str) -> Option<Vec<u8>>,
) -> Result<XadesInfo, SignError> {
    let xml = Xml::parse(text)?;
    let sig = xml.xades_signature(None)?;
    verify_signature(&xml, &sig, external)
}

/// [`verify`] of one signature of a parsed document.
fn verify_signature(
    xml: &Xml<'_>,
    sig: &Signature,
    external: &dyn Fn(&str) -> Option<Vec<u8>>,
) -> Result<XadesInfo, SignError> {
    let sig = *sig;
    let info = inspect_signature(xml, &sig, external)?;
    let signed_info = xml.required_child(sig.signature, NS_DS, "SignedInfo")?;
    // Every reference, recomputed strictly (errors are not hidden here).
    for (r, info) in xml
        .children_named(signed_info, NS_DS, "Reference")
        .into_iter()
        .zip(&info.references)
    {
        let computed = reference_digest(xml, &sig, r, external)?;
        if computed != info.digest_value {
            let name = if info.uri.is_empty() {
                "\"\" (the document)".to_owned()
            } else {
                info.uri.clone()
            };
            return Err(SignError::ReferenceDigestMismatch(name));
        }
    }
    // The signed properties are signed (TS 101 903 §6.3).
    let sp = xml.required_child(sig.qualifying_properties, NS_XADES, "SignedProperties")?;
    let sp_id = xml
        .id_of(sp)
        .ok_or_else(|| SignError::NotXades("SignedProperties has no Id".into()))?;
    if !info.references.iter().any(|r| {
        r.reference_type.as_deref() == Some(SIGNED_PROPERTIES_TYPE)
            && r.uri.strip_prefix('#') == Some(sp_id)
    }) {
        return Err(SignError::NotXades(
            "no reference of type SignedProperties names xades:SignedProperties".into(),
        ));
    }
    // The signature value, with the certificate the signed properties name.
    let signer =
        named_signer(xml, &sig)?.ok_or(SignError::MissingAttribute("SigningCertificateV2"))?;
    verify_signature_value(&info, &signer)?;
    for ts in info
        .signature_time_stamps
        .iter()
        .chain(&info.archive_time_stamps)
    {
        ts.verify()?;
    }
    Ok(info)
}
