//! CMS `SignedData` (RFC 5652 §5): building with any [`Signer`], parsing, and verifying one
//! signer.
//!
//! Building ([`SignedDataBuilder`] with one or more [`SignerInfoBuilder`]s):
//!
//! 1. the content is hashed with the signer's hash (SHA-256 for RSA PKCS#1 v1.5, the curve's
//!    hash for ECDSA) — or the caller gives the digest of detached content;
//! 2. the signed attributes are assembled (RFC 5652 §5.3, §11): `content-type` (§11.1),
//!    `message-digest` (§11.2), `signing-time` (§11.3, when given), ESS
//!    `signing-certificate-v2` (RFC 5035 §3: SHA-256 of the signer's certificate, with its
//!    issuer and serial) unless turned off, then any further signed attributes;
//! 3. the signer signs the DER encoding of the `SET OF` signed attributes (RFC 5652 §5.4,
//!    `[0] IMPLICIT` re-tagged as `SET`), and the signature is checked against the
//!    certificate's public key before anything is returned;
//! 4. `SignedData` gets the version RFC 5652 §5.1 prescribes, the digest algorithms, the
//!    certificates and CRLs given, and each signer's unsigned attributes.
//!
//! The signer is identified by `issuerAndSerialNumber` (SignerInfo version 1), which every
//! CAdES / JAHIS verifier understands.
//!
//! Parsing ([`parse_content_info`], [`parse_signed_data`]) keeps, for every SignerInfo, the
//! signed attributes exactly as received ([`ParsedSignerInfo::signed_attrs_der`]): the
//! signature is over those bytes, which a decoder that sorts `SET OF` could otherwise change.
//! [`verify_signer_info`] then checks one signer against its certificate. Only DER input is
//! accepted (indefinite-length BER is refused).

use std::time::SystemTime;

use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
use cms::content_info::{CmsVersion, ContentInfo};
use cms::revocation::{RevocationInfoChoice, RevocationInfoChoices};
use cms::signed_data::{
    CertificateSet, EncapsulatedContentInfo, SignedAttributes, SignedData, SignerIdentifier,
    SignerInfo, SignerInfos,
};
use der::asn1::{ObjectIdentifier, OctetString, SetOfVec};
use der::{Any, Decode, Encode, Header, Reader, SliceReader, Tag};
use hpki_asn1::ess::{
    EssCertIdV2, ID_AA_SIGNING_CERTIFICATE, ID_AA_SIGNING_CERTIFICATE_V2, IssuerSerial,
    SigningCertificate, SigningCertificateV2,
};
use hpki_keys::Signer;
use x509_cert::Certificate;
use x509_cert::attr::Attribute;
use x509_cert::crl::CertificateList;
use x509_cert::ext::pkix::SubjectKeyIdentifier;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::time::Time;

use crate::digest::sha1_for_legacy_ess;
use crate::signature::verify_signature;
use crate::{DigestAlgorithm, SignError};

/// `id-data` (1.2.840.113549.1.7.1): arbitrary octets (RFC 5652 §4).
pub const ID_DATA: ObjectIdentifier = const_oid::db::rfc5911::ID_DATA;
/// `id-signedData` (1.2.840.113549.1.7.2) (RFC 5652 §5).
pub const ID_SIGNED_DATA: ObjectIdentifier = const_oid::db::rfc5911::ID_SIGNED_DATA;
/// `id-contentType` (1.2.840.113549.1.9.3) (RFC 5652 §11.1).
pub const ID_CONTENT_TYPE: ObjectIdentifier = const_oid::db::rfc5911::ID_CONTENT_TYPE;
/// `id-messageDigest` (1.2.840.113549.1.9.4) (RFC 5652 §11.2).
pub const ID_MESSAGE_DIGEST: ObjectIdentifier = const_oid::db::rfc5911::ID_MESSAGE_DIGEST;
/// `id-signingTime` (1.2.840.113549.1.9.5) (RFC 5652 §11.3).
pub const ID_SIGNING_TIME: ObjectIdentifier = const_oid::db::rfc5911::ID_SIGNING_TIME;

/// What a [`SignedDataBuilder`] signs.
#[derive(Clone, Debug)]
pub enum SignedContent<'a> {
    /// The content goes inside the SignedData (`eContent` present).
    Encapsulated(&'a [u8]),
    /// The content stays outside (detached signature, `eContent` absent); it is hashed here.
    Detached(&'a [u8]),
    /// Detached, and the caller has hashed it already with the signer's hash (e.g. the byte
    /// ranges of a PDF, see [`DigestAlgorithm::digest_parts`]). Every signer must use that
    /// hash.
    DetachedDigest(Vec<u8>),
}

/// One signer of a [`SignedDataBuilder`]: its key, its certificate and its attributes.
#[derive(Clone)]
pub struct SignerInfoBuilder<'a> {
    signer: &'a dyn Signer,
    certificate: &'a Certificate,
    signing_time: Option<SystemTime>,
    signing_certificate_v2: bool,
    ess_issuer_serial: bool,
    signed_attributes: Vec<Attribute>,
    unsigned_attributes: Vec<Attribute>,
}

impl<'a> SignerInfoBuilder<'a> {
    /// A signer with `signer`'s key, whose certificate is `certificate`. By default the
    /// signed attributes are content-type, message-digest and ESS signing-certificate-v2 with
    /// `issuerSerial`; no signing-time.
    pub fn new(signer: &'a dyn Signer, certificate: &'a Certificate) -> Self {
        SignerInfoBuilder {
            signer,
            certificate,
            signing_time: None,
            signing_certificate_v2: true,
            ess_issuer_serial: true,
            signed_attributes: Vec::new(),
            unsigned_attributes: Vec::new(),
        }
    }

    /// Adds the `signing-time` signed attribute (RFC 5652 §11.3): UTCTime through 2049,
    /// GeneralizedTime from 2050.
    pub fn signing_time(mut self, at: SystemTime) -> Self {
        self.signing_time = Some(at);
        self
    }

    /// Whether to add ESS `signing-certificate-v2` (RFC 5035; on by default).
    pub fn signing_certificate_v2(mut self, on: bool) -> Self {
        self.signing_certificate_v2 = on;
        self
    }

    /// Whether the `ESSCertIDv2` carries `issuerSerial` (on by default, as OpenSSL's TSA and
    /// RFC 5035 §4 suggest; the certificate hash alone already binds the certificate).
    pub fn ess_issuer_serial(mut self, on: bool) -> Self {
        self.ess_issuer_serial = on;
        self
    }

    /// Adds a further signed attribute (e.g. a CAdES signature policy identifier).
    pub fn signed_attribute(mut self, attribute: Attribute) -> Self {
        self.signed_attributes.push(attribute);
        self
    }

    /// Adds an unsigned attribute (e.g. a signature time-stamp token, RFC 3161 Appendix A).
    pub fn unsigned_attribute(mut self, attribute: Attribute) -> Self {
        self.unsigned_attributes.push(attribute);
        self
    }

    /// The digest algorithm of this signer: its key's hash.
    pub fn digest_algorithm(&self) -> DigestAlgorithm {
        DigestAlgorithm::of_signature(self.signer.algorithm())
    }

    /// The signed attributes for content of type `content_type` with digest `digest`.
    fn signed_attrs(
        &self,
        content_type: ObjectIdentifier,
        digest: &[u8],
    ) -> Result<SignedAttributes, SignError> {
        let mut attrs = vec![
            attribute(ID_CONTENT_TYPE, Any::encode_from(&content_type)?)?,
            attribute(
                ID_MESSAGE_DIGEST,
                Any::encode_from(&OctetString::new(digest)?)?,
            )?,
        ];
        if let Some(at) = self.signing_time {
            let since = at
                .duration_since(SystemTime::UNIX_EPOCH)
                .map_err(|_| SignError::MalformedAttribute("signing-time before 1970".into()))?;
            let time = Time::from(der::DateTime::from_unix_duration(since)?);
            attrs.push(attribute(ID_SIGNING_TIME, Any::encode_from(&time)?)?);
        }
        if self.signing_certificate_v2 {
            let v2 = signing_certificate_v2(self.certificate, self.ess_issuer_serial)?;
            attrs.push(attribute(
                ID_AA_SIGNING_CERTIFICATE_V2,
                Any::encode_from(&v2)?,
            )?);
        }
        for a in &self.signed_attributes {
            if attrs.iter().any(|b| b.oid == a.oid) {
                return Err(SignError::DuplicateAttribute(a.oid.to_string()));
            }
            attrs.push(a.clone());
        }
        Ok(SetOfVec::try_from(attrs)?)
    }

    fn build(
        &self,
        content_type: ObjectIdentifier,
        digest: &[u8],
    ) -> Result<SignerInfo, SignError> {
        let tbs = self.certificate.tbs_certificate();
        if self.signer.public_key() != tbs.subject_public_key_info() {
            return Err(SignError::CertificateKeyMismatch);
        }
        let digest_alg = self.digest_algorithm();
        if digest.len() != digest_alg.output_len() {
            return Err(SignError::DigestLength {
                expected: digest_alg.output_len(),
                actual: digest.len(),
            });
        }
        let signed_attrs = self.signed_attrs(content_type, digest)?;
        // RFC 5652 §5.4: the signature is over the DER of the SET OF (tag 0x31), not of the
        // [0] IMPLICIT form it takes inside the SignerInfo.
        let to_sign = signed_attrs.to_der()?;
        let signature = self.signer.sign(&to_sign)?;
        let signature_algorithm = self.signer.algorithm().algorithm_identifier();
        // A signature that does not verify with the certificate's key never leaves.
        verify_signature(
            tbs.subject_public_key_info(),
            &signature_algorithm,
            digest_alg,
            &to_sign,
            &signature,
        )?;
        let unsigned_attrs = if self.unsigned_attributes.is_empty() {
            None
        } else {
            Some(SetOfVec::try_from(self.unsigned_attributes.clone())?)
        };
        Ok(SignerInfo {
            version: CmsVersion::V1,
            sid: SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
                issuer: tbs.issuer().clone(),
                serial_number: tbs.serial_number().clone(),
            }),
            digest_alg: digest_alg.algorithm_identifier(),
            signed_attrs: Some(signed_attrs),
            signature_algorithm,
            signature: OctetString::new(signature)?,
            unsigned_attrs,
        })
    }
}

/// Builds a CMS `SignedData` (RFC 5652 §5).
///
/// ```ignore
/// let der = SignedDataBuilder::new(ID_DATA, SignedContent::Detached(document))
///     .certificate(doctor_cert.clone())
///     .certificate(sign_ca_cert.clone())
///     .signer(SignerInfoBuilder::new(&card_key, &doctor_cert).signing_time(now))
///     .build_der()?;
/// ```
#[derive(Clone)]
pub struct SignedDataBuilder<'a> {
    content_type: ObjectIdentifier,
    content: SignedContent<'a>,
    certificates: Vec<Certificate>,
    crls: Vec<CertificateList>,
    signers: Vec<SignerInfoBuilder<'a>>,
}

impl<'a> SignedDataBuilder<'a> {
    /// A SignedData over `content` of type `content_type` (`eContentType`).
    pub fn new(content_type: ObjectIdentifier, content: SignedContent<'a>) -> Self {
        SignedDataBuilder {
            content_type,
            content,
            certificates: Vec::new(),
            crls: Vec::new(),
            signers: Vec::new(),
        }
    }

    /// Adds a certificate to `certificates` (the signer's, its CA's…).
    pub fn certificate(mut self, certificate: Certificate) -> Self {
        self.certificates.push(certificate);
        self
    }

    /// Adds a CRL to `crls` (RFC 5652 §10.2.1).
    pub fn crl(mut self, crl: CertificateList) -> Self {
        self.crls.push(crl);
        self
    }

    /// Adds a signer.
    pub fn signer(mut self, signer: SignerInfoBuilder<'a>) -> Self {
        self.signers.push(signer);
        self
    }

    /// Signs and assembles the `SignedData`.
    ///
    /// # Errors
    /// [`SignError::NoSigner`] without a signer; [`SignError::CertificateKeyMismatch`] when a
    /// signer's key is not its certificate's; [`SignError::DuplicateAttribute`]; a key error
    /// from the signer; [`SignError::BadSignature`] if the signature made does not verify.
    pub fn build(&self) -> Result<SignedData, SignError> {
        if self.signers.is_empty() {
            return Err(SignError::NoSigner);
        }
        let mut signer_infos = Vec::with_capacity(self.signers.len());
        let mut digest_algorithms = Vec::new();
        for s in &self.signers {
            let alg = s.digest_algorithm();
            let digest = match &self.content {
                SignedContent::Encapsulated(c) | SignedContent::Detached(c) => alg.digest(c),
                SignedContent::DetachedDigest(d) => d.clone(),
            };
            signer_infos.push(s.build(self.content_type, &digest)?);
            let id = alg.algorithm_identifier();
            if !digest_algorithms.contains(&id) {
                digest_algorithms.push(id);
            }
        }
        let econtent = match &self.content {
            SignedContent::Encapsulated(c) => Some(Any::encode_from(&OctetString::new(*c)?)?),
            _ => None,
        };
        let certificates = if self.certificates.is_empty() {
            None
        } else {
            let choices: Vec<CertificateChoices> = self
                .certificates
                .iter()
                .cloned()
                .map(CertificateChoices::Certificate)
                .collect();
            Some(CertificateSet::try_from(choices)?)
        };
        let crls = if self.crls.is_empty() {
            None
        } else {
            let choices: Vec<RevocationInfoChoice> = self
                .crls
                .iter()
                .cloned()
                .map(RevocationInfoChoice::Crl)
                .collect();
            Some(RevocationInfoChoices(SetOfVec::try_from(choices)?))
        };
        // RFC 5652 §5.1: no "other" certificates or CRLs, no attribute certificates here, so
        // version 3 when a SignerInfo is v3 or the content is not id-data, 1 otherwise.
        let version = if self.content_type != ID_DATA
            || signer_infos.iter().any(|s| s.version == CmsVersion::V3)
        {
            CmsVersion::V3
        } else {
            CmsVersion::V1
        };
        Ok(SignedData {
            version,
            digest_algorithms: SetOfVec::try_from(digest_algorithms)?,
            encap_content_info: EncapsulatedContentInfo {
                econtent_type: self.content_type,
                econtent,
            },
            certificates,
            crls,
            signer_infos: SignerInfos::try_from(signer_infos)?,
        })
    }

    /// [`SignedDataBuilder::build`] wrapped in a `ContentInfo` (RFC 5652 §3).
    pub fn build_content_info(&self) -> Result<ContentInfo, SignError> {
        content_info(&self.build()?)
    }

    /// The DER of [`SignedDataBuilder::build_content_info`]: what `openssl cms -verify -inform
    /// DER` reads.
    pub fn build_der(&self) -> Result<Vec<u8>, SignError> {
        Ok(self.build_content_info()?.to_der()?)
    }
}

/// `signed_data` in a `ContentInfo` of type `id-signedData` (RFC 5652 §3).
pub fn content_info(signed_data: &SignedData) -> Result<ContentInfo, SignError> {
    Ok(ContentInfo {
        content_type: ID_SIGNED_DATA,
        content: Any::encode_from(signed_data)?,
    })
}

/// An attribute with one value.
pub fn attribute(oid: ObjectIdentifier, value: Any) -> Result<Attribute, SignError> {
    Ok(Attribute {
        oid,
        values: SetOfVec::try_from(vec![value])?,
    })
}

/// The ESS `SigningCertificateV2` identifying `certificate` by its SHA-256 hash (RFC 5035 §3,
/// `hashAlgorithm` left to its DEFAULT), with `issuerSerial` when `issuer_serial`.
pub fn signing_certificate_v2(
    certificate: &Certificate,
    issuer_serial: bool,
) -> Result<SigningCertificateV2, SignError> {
    let tbs = certificate.tbs_certificate();
    let hash = DigestAlgorithm::Sha256.digest(&certificate.to_der()?);
    Ok(SigningCertificateV2 {
        certs: vec![EssCertIdV2 {
            hash_algorithm: EssCertIdV2::default_hash_algorithm(),
            cert_hash: OctetString::new(hash)?,
            issuer_serial: issuer_serial.then(|| IssuerSerial {
                issuer: vec![GeneralName::DirectoryName(tbs.issuer().clone())],
                serial_number: tbs.serial_number().clone(),
            }),
        }],
        policies: None,
    })
}

/// A SignedData as parsed by [`parse_content_info`] / [`parse_signed_data`].
#[derive(Clone, Debug)]
pub struct ParsedSignedData {
    /// The decoded SignedData.
    pub signed_data: SignedData,
    /// `encapContentInfo.eContentType`.
    pub econtent_type: ObjectIdentifier,
    /// The encapsulated content's octets, when not detached.
    pub econtent: Option<Vec<u8>>,
    /// The X.509 certificates of `certificates` (other certificate formats are skipped).
    pub certificates: Vec<Certificate>,
    /// The CRLs of `crls` (other revocation formats are skipped).
    pub crls: Vec<CertificateList>,
    /// The SignerInfos, in the order of the encoding.
    pub signer_infos: Vec<ParsedSignerInfo>,
}

/// One SignerInfo with the exact bytes its signature covers.
#[derive(Clone, Debug)]
pub struct ParsedSignerInfo {
    /// The decoded SignerInfo.
    pub signer_info: SignerInfo,
    /// The DER of the signed attributes as received, re-tagged from `[0] IMPLICIT` to
    /// `SET OF` (0x31): what the signature is over (RFC 5652 §5.4). `None` without signed
    /// attributes.
    pub signed_attrs_der: Option<Vec<u8>>,
}

impl ParsedSignerInfo {
    /// The values of the signed attribute `oid` (empty if absent).
    pub fn signed_attribute_values(&self, oid: ObjectIdentifier) -> Vec<&Any> {
        attribute_values(self.signer_info.signed_attrs.as_ref(), oid)
    }

    /// The values of the unsigned attribute `oid` (empty if absent), e.g. the time-stamp
    /// tokens of `id-aa-timeStampToken`.
    pub fn unsigned_attribute_values(&self, oid: ObjectIdentifier) -> Vec<&Any> {
        attribute_values(self.signer_info.unsigned_attrs.as_ref(), oid)
    }

    /// The signature value: what a CAdES signature time-stamp covers (ETSI EN 319 122-1
    /// §5.3, the `signature` field of the SignerInfo).
    pub fn signature_value(&self) -> &[u8] {
        self.signer_info.signature.as_bytes()
    }

    /// Whether `certificate` is the one the signer identifier names (RFC 5652 §5.3).
    pub fn identifies(&self, certificate: &Certificate) -> bool {
        let tbs = certificate.tbs_certificate();
        match &self.signer_info.sid {
            SignerIdentifier::IssuerAndSerialNumber(isn) => {
                isn.issuer == *tbs.issuer() && isn.serial_number == *tbs.serial_number()
            }
            SignerIdentifier::SubjectKeyIdentifier(ski) => matches!(
                tbs.get_extension::<SubjectKeyIdentifier>(),
                Ok(Some((_, own))) if own == *ski
            ),
        }
    }
}

impl ParsedSignedData {
    /// The certificate of `certificates` the signer identifier of `signer` names.
    pub fn signer_certificate(&self, signer: &ParsedSignerInfo) -> Option<&Certificate> {
        self.certificates.iter().find(|c| signer.identifies(c))
    }
}

fn attribute_values(attrs: Option<&SetOfVec<Attribute>>, oid: ObjectIdentifier) -> Vec<&Any> {
    attrs
        .into_iter()
        .flat_map(|a| a.iter())
        .filter(|a| a.oid == oid)
        .flat_map(|a| a.values.iter())
        .collect()
}

/// Parses a `ContentInfo` holding a `SignedData` (DER).
///
/// # Errors
/// [`SignError::NotSignedData`] for another content type; DER errors.
pub fn parse_content_info(der: &[u8]) -> Result<ParsedSignedData, SignError> {
    let ci = ContentInfo::from_der(der)?;
    if ci.content_type != ID_SIGNED_DATA {
        return Err(SignError::NotSignedData(ci.content_type.to_string()));
    }
    parse_signed_data(&ci.content.to_der()?)
}

/// Parses a bare `SignedData` (DER).
pub fn parse_signed_data(der: &[u8]) -> Result<ParsedSignedData, SignError> {
    let signed_data = SignedData::from_der(der)?;
    let econtent = match &signed_data.encap_content_info.econtent {
        Some(any) => Some(any.decode_as::<OctetString>()?.into_bytes().into_vec()),
        None => None,
    };
    let certificates = signed_data
        .certificates
        .iter()
        .flat_map(|set| set.0.iter())
        .filter_map(|c| match c {
            CertificateChoices::Certificate(c) => Some(c.clone()),
            _ => None,
        })
        .collect();
    let crls = signed_data
        .crls
        .iter()
        .flat_map(|set| set.0.iter())
        .filter_map(|c| match c {
            RevocationInfoChoice::Crl(c) => Some(c.clone()),
            _ => None,
        })
        .collect();
    // In the order of the encoding: the decoded SET OF may have been sorted, except a set of
    // one (a time-stamp token's, RFC 3161 §2.4.2), whose SignerInfo is taken as decoded.
    let raw = raw_signer_infos(der)?;
    let mut signer_infos = Vec::with_capacity(raw.len());
    for r in raw.iter().copied() {
        let signer_info = match (raw.len(), signed_data.signer_infos.0.as_slice()) {
            (1, [only]) => only.clone(),
            _ => SignerInfo::from_der(r)?,
        };
        signer_infos.push(ParsedSignerInfo {
            signer_info,
            signed_attrs_der: raw_signed_attrs(r)?,
        });
    }
    Ok(ParsedSignedData {
        econtent_type: signed_data.encap_content_info.econtent_type,
        econtent,
        certificates,
        crls,
        signer_infos,
        signed_data,
    })
}

/// The TLVs of the SignerInfos of a DER SignedData, in their order.
fn raw_signer_infos(signed_data: &[u8]) -> der::Result<Vec<&[u8]>> {
    let mut reader = SliceReader::new(signed_data)?;
    let set = reader.sequence(|r| {
        r.tlv_bytes()?; // version
        r.tlv_bytes()?; // digestAlgorithms
        r.tlv_bytes()?; // encapContentInfo
        while r.peek_byte().is_some_and(|b| b & 0xC0 == 0x80) {
            r.tlv_bytes()?; // certificates [0], crls [1]
        }
        r.tlv_bytes() // signerInfos
    })?;
    reader.finish()?;
    let mut reader = SliceReader::new(set)?;
    let header = Header::decode(&mut reader)?;
    header.tag().assert_eq(Tag::Set)?;
    let mut out = Vec::new();
    while !reader.is_finished() {
        out.push(reader.tlv_bytes()?);
    }
    Ok(out)
}

/// The signed attributes of a DER SignerInfo as received, re-tagged as `SET OF`.
fn raw_signed_attrs(signer_info: &[u8]) -> der::Result<Option<Vec<u8>>> {
    let mut reader = SliceReader::new(signer_info)?;
    let raw = reader.sequence(|r| {
        r.tlv_bytes()?; // version
        r.tlv_bytes()?; // sid
        r.tlv_bytes()?; // digestAlgorithm
        let attrs = if r.peek_byte() == Some(0xA0) {
            Some(r.tlv_bytes()?.to_vec())
        } else {
            None
        };
        while !r.is_finished() {
            r.tlv_bytes()?;
        }
        Ok::<_, der::Error>(attrs)
    })?;
    Ok(raw.map(|mut bytes| {
        bytes[0] = 0x31;
        bytes
    }))
}

/// The certificate a signer is verified with ([`verify_signer_info`]): decoded, and its DER as
/// it was carried when the caller has it. The ESS `certHash` is over the certificate as encoded
/// (RFC 5035 §5.4); without the DER it is encoded again from the decoded form, which is the same
/// for a DER certificate and costs an encoding per signature.
#[derive(Clone, Copy, Debug)]
pub struct SignerCertificate<'a> {
    certificate: &'a Certificate,
    der: Option<&'a [u8]>,
}

impl<'a> SignerCertificate<'a> {
    /// `certificate` with `der`, the bytes it was decoded from.
    pub fn carried(certificate: &'a Certificate, der: &'a [u8]) -> Self {
        SignerCertificate {
            certificate,
            der: Some(der),
        }
    }
}

impl<'a> From<&'a Certificate> for SignerCertificate<'a> {
    fn from(certificate: &'a Certificate) -> Self {
        SignerCertificate {
            certificate,
            der: None,
        }
    }
}

/// Where the content of a verified signature is.
#[derive(Clone, Copy, Debug)]
pub enum ContentSource<'a> {
    /// Inside the SignedData (`eContent`).
    Encapsulated,
    /// Detached: these octets.
    Detached(&'a [u8]),
    /// Detached, already hashed with the signer's `digestAlgorithm`.
    DetachedDigest(&'a [u8]),
}

/// Which ESS signing-certificate attribute bound the signature to its certificate.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub enum SigningCertificateBinding {
    /// `signing-certificate-v2` (RFC 5035), with this hash.
    V2(DigestAlgorithm),
    /// `signing-certificate` (RFC 2634 §5.4, SHA-1).
    V1,
}

/// What [`verify_signer_info`] established about a signer.
#[derive(Clone, Debug)]
pub struct VerifiedSigner {
    /// The signer's digest algorithm.
    pub digest_algorithm: DigestAlgorithm,
    /// The digest of the content, as signed.
    pub message_digest: Vec<u8>,
    /// The `signing-time` attribute (the signer's claim, not a trusted time).
    pub signing_time: Option<SystemTime>,
    /// The ESS attribute that names the certificate, if any (CAdES and RFC 3161 require one).
    pub signing_certificate: Option<SigningCertificateBinding>,
}

/// The one value of a single-valued attribute that must not repeat (RFC 5652 §11), if
/// present.
fn single_value(
    attrs: &SetOfVec<Attribute>,
    oid: ObjectIdentifier,
) -> Result<Option<&Any>, SignError> {
    let mut found = attrs.iter().filter(|a| a.oid == oid);
    let Some(first) = found.next() else {
        return Ok(None);
    };
    if found.next().is_some() {
        return Err(SignError::DuplicateAttribute(oid.to_string()));
    }
    let mut values = first.values.iter();
    match (values.next(), values.next()) {
        (Some(v), None) => Ok(Some(v)),
        _ => Err(SignError::MalformedAttribute(oid.to_string())),
    }
}

/// Verifies one signer of `parsed` with its `certificate` (RFC 5652 §5.4, §5.6):
///
/// - the signer identifier names `certificate`;
/// - with signed attributes: exactly one `content-type` equal to `eContentType` (§11.1), exactly
///   one `message-digest` equal to the digest of the content (§11.2), at most one
///   `signing-time` (§11.3); an ESS `signing-certificate-v2` or `signing-certificate`, when
///   present, identifies `certificate` by its hash (and issuer and serial when given); the
///   signature verifies over the signed attributes as received;
/// - without signed attributes (only allowed for `id-data`): the signature verifies over the
///   content itself.
///
/// The certificate's validity, path and revocation status are not checked here.
/// `certificate` is a [`Certificate`] or, better, a [`SignerCertificate::carried`] with the DER
/// the certificate came in, which the ESS hash is then computed over as it is.
///
/// # Errors
/// The first check that fails, e.g. [`SignError::MessageDigestMismatch`] when the content was
/// changed, [`SignError::BadSignature`] when the signature does not verify.
pub fn verify_signer_info<'c>(
    parsed: &ParsedSignedData,
    signer: &ParsedSignerInfo,
    certificate: impl Into<SignerCertificate<'c>>,
    content: ContentSource<'_>,
) -> Result<VerifiedSigner, SignError> {
    let carried = certificate.into();
    let certificate = carried.certificate;
    let si = &signer.signer_info;
    if !signer.identifies(certificate) {
        return Err(SignError::SignerNotIdentified);
    }
    let digest_algorithm = DigestAlgorithm::from_algorithm_identifier(&si.digest_alg)?;
    let spki = certificate.tbs_certificate().subject_public_key_info();
    let content_bytes = match content {
        ContentSource::Encapsulated => {
            Some(parsed.econtent.as_deref().ok_or(SignError::NoContent)?)
        }
        ContentSource::Detached(c) => Some(c),
        ContentSource::DetachedDigest(_) => None,
    };
    let message_digest = match (content, content_bytes) {
        (ContentSource::DetachedDigest(d), _) => {
            if d.len() != digest_algorithm.output_len() {
                return Err(SignError::DigestLength {
                    expected: digest_algorithm.output_len(),
                    actual: d.len(),
                });
            }
            d.to_vec()
        }
        (_, Some(c)) => digest_algorithm.digest(c),
        (_, None) => return Err(SignError::NoContent),
    };

    let (Some(attrs), Some(attrs_der)) = (&si.signed_attrs, &signer.signed_attrs_der) else {
        // RFC 5652 §5.3: signed attributes may be absent only for id-data; the signature is
        // then over the content octets themselves.
        if parsed.econtent_type != ID_DATA {
            return Err(SignError::MissingAttribute("content-type"));
        }
        let content = content_bytes.ok_or(SignError::NoContent)?;
        verify_signature(
            spki,
            &si.signature_algorithm,
            digest_algorithm,
            content,
            si.signature.as_bytes(),
        )?;
        return Ok(VerifiedSigner {
            digest_algorithm,
            message_digest,
            signing_time: None,
            signing_certificate: None,
        });
    };

    let content_type = single_value(attrs, ID_CONTENT_TYPE)?
        .ok_or(SignError::MissingAttribute("content-type"))?
        .decode_as::<ObjectIdentifier>()
        .map_err(|_| SignError::MalformedAttribute("content-type".into()))?;
    if content_type != parsed.econtent_type {
        return Err(SignError::ContentTypeMismatch);
    }
    let signed_digest = single_value(attrs, ID_MESSAGE_DIGEST)?
        .ok_or(SignError::MissingAttribute("message-digest"))?
        .decode_as::<OctetString>()
        .map_err(|_| SignError::MalformedAttribute("message-digest".into()))?;
    let signing_time = match single_value(attrs, ID_SIGNING_TIME)? {
        Some(v) => Some(
            v.decode_as::<Time>()
                .map_err(|_| SignError::MalformedAttribute("signing-time".into()))?
                .to_system_time(),
        ),
        None => None,
    };
    let signing_certificate = check_signing_certificate(attrs, &carried)?;
    // The signature first: a forged SignerInfo is "bad signature", whatever its digest says.
    verify_signature(
        spki,
        &si.signature_algorithm,
        digest_algorithm,
        attrs_der,
        si.signature.as_bytes(),
    )?;
    if signed_digest.as_bytes() != message_digest.as_slice() {
        return Err(SignError::MessageDigestMismatch);
    }
    Ok(VerifiedSigner {
        digest_algorithm,
        message_digest,
        signing_time,
        signing_certificate,
    })
}

/// Checks the ESS signing-certificate attributes against `certificate` (RFC 5035 §5.4,
/// RFC 2634 §5.4): the first `ESSCertID(v2)` must be the hash of the certificate, and its
/// `issuerSerial`, when present, its issuer and serial number.
fn check_signing_certificate(
    attrs: &SetOfVec<Attribute>,
    carried: &SignerCertificate<'_>,
) -> Result<Option<SigningCertificateBinding>, SignError> {
    let has = |oid| attrs.iter().any(|a| a.oid == oid);
    if !has(ID_AA_SIGNING_CERTIFICATE_V2) && !has(ID_AA_SIGNING_CERTIFICATE) {
        return Ok(None);
    }
    let certificate = carried.certificate;
    let cert_der = match carried.der {
        Some(der) => std::borrow::Cow::Borrowed(der),
        None => std::borrow::Cow::Owned(certificate.to_der()?),
    };
    let tbs = certificate.tbs_certificate();
    let issuer_serial_ok = |is: &Option<IssuerSerial>| {
        is.as_ref().is_none_or(|is| {
            is.serial_number == *tbs.serial_number()
                && is
                    .issuer
                    .iter()
                    .any(|g| matches!(g, GeneralName::DirectoryName(n) if n == tbs.issuer()))
        })
    };
    let mut binding = None;
    if let Some(v) = single_value(attrs, ID_AA_SIGNING_CERTIFICATE_V2)? {
        let v2 = v
            .decode_as::<SigningCertificateV2>()
            .map_err(|_| SignError::MalformedAttribute("signing-certificate-v2".into()))?;
        let first = v2
            .certs
            .first()
            .ok_or(SignError::SigningCertificateMismatch)?;
        let alg = DigestAlgorithm::from_algorithm_identifier(&first.hash_algorithm)?;
        if first.cert_hash.as_bytes() != alg.digest(&cert_der).as_slice()
            || !issuer_serial_ok(&first.issuer_serial)
        {
            return Err(SignError::SigningCertificateMismatch);
        }
        binding = Some(SigningCertificateBinding::V2(alg));
    }
    if let Some(v) = single_value(attrs, ID_AA_SIGNING_CERTIFICATE)? {
        let v1 = v
            .decode_as::<SigningCertificate>()
            .map_err(|_| SignError::MalformedAttribute("signing-certificate".into()))?;
        let first = v1
            .certs
            .first()
            .ok_or(SignError::SigningCertificateMismatch)?;
        if first.cert_hash.as_bytes() != sha1_for_legacy_ess(&cert_der).as_slice()
            || !issuer_serial_ok(&first.issuer_serial)
        {
            return Err(SignError::SigningCertificateMismatch);
        }
        binding = binding.or(Some(SigningCertificateBinding::V1));
    }
    Ok(binding)
}

/// Adds the unsigned attribute `attribute` to the SignerInfo number `index` (in the order of
/// the encoding) of the `ContentInfo` `content_info_der`, e.g. a signature time-stamp token
/// obtained after signing (CAdES-T). The signed parts are re-encoded from their decoded form,
/// which is byte-identical for DER input.
pub fn add_unsigned_attribute(
    content_info_der: &[u8],
    index: usize,
    attribute: Attribute,
) -> Result<Vec<u8>, SignError> {
    let parsed = parse_content_info(content_info_der)?;
    let mut infos: Vec<SignerInfo> = parsed
        .signer_infos
        .iter()
        .map(|p| p.signer_info.clone())
        .collect();
    let target = infos.get_mut(index).ok_or(SignError::NoSuchSigner(index))?;
    let mut unsigned: Vec<Attribute> = target
        .unsigned_attrs
        .take()
        .map(|a| a.into_vec())
        .unwrap_or_default();
    unsigned.push(attribute);
    target.unsigned_attrs = Some(SetOfVec::try_from(unsigned)?);
    let mut signed_data = parsed.signed_data;
    signed_data.signer_infos = SignerInfos::try_from(infos)?;
    Ok(content_info(&signed_data)?.to_der()?)
}
