//! XAdES signatures: XML-DSig 1.0 with the XAdES qualifying properties of ETSI TS 101 903
//! v1.3.2 (namespace `http://uri.etsi.org/01903/v1.3.2#`) as profiled by the ETSI baseline
//! (EN 319 132-1) and by the JAHIS HPKI signature standard for medical documents, at the
//! levels B-B (BES), B-T (ES-T), B-LT (ES-XL in the JAHIS / e-prescription sense) and B-LTA
//! (ES-A), in three layouts:
//!
//! - [`sign_enveloped`]: the signature is appended to the document element and signs the
//!   whole document (`URI=""`, transforms enveloped-signature and exclusive C14N);
//! - [`sign_detached`]: a standalone `ds:Signature` over data referenced by URI (the octets
//!   themselves are digested, no transform);
//! - [`sign_prescription`]: the Japanese e-prescription (電子処方箋):
//!   `Document/Prescription/{PrescriptionManagement, PrescriptionDocument,
//!   PrescriptionSign/ds:Signature}`, the signature inside `PrescriptionSign` referencing
//!   `PrescriptionDocument` by its ID ([`prescription_xml`] writes the unsigned document).
//!
//! Every signature has the same shape (XML-DSig §4; TS 101 903 §6):
//!
//! - `ds:SignedInfo` canonicalized with exclusive C14N (`http://www.w3.org/2001/10/xml-exc-c14n#`),
//!   `SignatureMethod` rsa-sha256 (`http://www.w3.org/2001/04/xmldsig-more#rsa-sha256`, RFC
//!   6931 §2.3.2; ecdsa-sha256/384/512 for EC keys), three SHA-256 references: the document,
//!   `ds:KeyInfo` and `xades:SignedProperties` (`Type="http://uri.etsi.org/01903#SignedProperties"`),
//!   the last two with exclusive C14N — the three references the e-prescription requires;
//! - `ds:SignatureValue` computed by [`SignContext::signer`] over the canonical `SignedInfo`
//!   octets (an HSM or the doctor's card holds the key) and checked with the certificate
//!   before it is written;
//! - `ds:KeyInfo` with the signer's certificate in `ds:X509Data`;
//! - `xades:QualifyingProperties` / `xades:SignedProperties` with `SigningTime` (§7.2.1) and
//!   `SigningCertificateV2` (EN 319 132-1 §5.2.2: the certificate's SHA-256) and a
//!   `DataObjectFormat` naming the document's MIME type (§5.2.4).
//!
//! # Namespaces
//!
//! All XAdES elements are in the v1.3.2 namespace except the archive time-stamp and its
//! validation data. `SigningCertificateV2` is one of the v1.3.2 elements: EN 319 132-1 added it
//! to the v1.3.2 namespace (schema `XAdES01903v132-201601.xsd`, which also keeps the v1.3.2
//! `SigningCertificate`); the v1.4.1 namespace (`XAdES01903v141-201601.xsd`) holds only
//! `ArchiveTimeStamp`, `TimeStampValidationData`, `SignaturePolicyStore`,
//! `RenewedDigests`. There is no `xades141:SigningCertificateV2`, so "XAdES 1.3.2 with
//! SigningCertificateV2", as the e-prescription profile and the project's reference ask, is
//! `xades:SigningCertificateV2` in the v1.3.2 namespace — also what signxml and the EU DSS
//! write and check.
//!
//! # Levels
//!
//! | [`Level`] | unsigned properties added |
//! |---|---|
//! | `B` (BES) | none |
//! | `T` (ES-T) | `xades:SignatureTimeStamp` (TS 101 903 §7.3): an RFC 3161 token (`EncapsulatedTimeStamp`, base64 DER) over SHA-256 of the exclusive canonical form of `ds:SignatureValue`, the canonicalization named in the container |
//! | `Lt` (ES-XL of the e-prescription; EN 319 132-1 B-LT) | `xades:CertificateValues` (§7.6.1: the signer's chain, OCSP responder and TSA certificates, not the signer's certificate already in `KeyInfo`) and `xades:RevocationValues` (§7.6.2: `CRLValues`, `OCSPValues`) from [`SignContext::validation`] |
//! | `Lta` (ES-A) | `xades141:ArchiveTimeStamp` (see below); [`add_archive_time_stamp`] adds another later |
//!
//! ES-XL here is what the e-prescription profile names so (time-stamp + certificate and
//! revocation values), i.e. XAdES-B-LT; TS 101 903's XAdES-X-L would also need the complete
//! references and a `SigAndRefsTimeStamp`, which are not written.
//!
//! # The archive time-stamp
//!
//! `xades141:ArchiveTimeStamp` of TS 101 903 v1.4.1 §8.2, the one EN 319 132-1 §5.5.2
//! specifies, whose input takes the unsigned properties in their order of appearance (the
//! older v1.3.2 `xades:ArchiveTimeStamp`, TS 101 903 v1.3.2 §7.7, is not written). Its input
//! (EN 319 132-1 §5.5.2.2, not distributed case), with the canonicalization the container
//! names (exclusive C14N here):
//!
//! 1. for each `ds:Reference` of `SignedInfo` in order, the octets the reference processing
//!    gives (dereference, transforms; a node-set result canonicalized) — the document, the
//!    `KeyInfo`, the `SignedProperties`;
//! 2. canonical `ds:SignedInfo`, `ds:SignatureValue` and `ds:KeyInfo`;
//! 3. each unsigned signature property before the new archive time-stamp, in order,
//!    canonicalized (signature time-stamp, certificate and revocation values, earlier archive
//!    time-stamps and `TimeStampValidationData`);
//! 4. each `ds:Object` not referenced from `SignedInfo` other than the one holding the
//!    qualifying properties (none in the signatures written here).
//!
//! Before each archive time-stamp [`add_archive_time_stamp`] makes sure the values of step 3
//! are complete (§5.5.2.2 4 a/b): without certificate and revocation values it adds them;
//! otherwise the validation data that is new — the TSAs' and fresh revocation data — goes
//! into a `xades141:TimeStampValidationData` placed before the new time-stamp (TS 101 903
//! v1.4.1 §8.1).
//!
//! # Reading
//!
//! [`inspect`] reads a signature ([`XadesInfo`]: level, signature value, references, signing
//! certificate, time-stamps with the octets they must cover, certificate and revocation
//! values); [`verify`] checks the XML-DSig core (every reference digest, the signature value
//! with the `KeyInfo` certificate that `SigningCertificateV2` names) and every time-stamp
//! token over its input; [`verify_prescription`] also checks that an e-prescription's
//! signature signs the very `PrescriptionDocument` whose CSV it returns. A document with
//! several signatures (a dispensing result: the prescriber's inside the part the pharmacist's
//! signs) is read with [`inspect_all`] and checked signature by signature with [`verify_at`];
//! [`medical_document`] reads the e-prescription and dispensing-result layouts as the MHLW
//! documents write them (`Value="…"`) and places each signature. References may use the XPath
//! filters of the enveloped pattern ([`ALG_XPATH`], [`ALG_XPATH_FILTER2`]); the references of a
//! signed `ds:Manifest` are read too ([`XadesInfo::manifest_references`]). Path validation of
//! the certificates is `hpki-verify`'s.
//!
//! Input documents must be UTF-8 without a DTD. The text is never re-serialized: elements are
//! inserted into it, so what was signed stays as it was.

mod build;
mod dom;
mod layout;
mod read;
mod xpath;

use hpki_text::Text;
use std::time::SystemTime;

use der::Encode;
use hpki_keys::SignatureAlgorithm;
use x509_cert::Certificate;

use crate::ltv::{TimeStamper, ValidationData, ValidationSource};
use crate::{DigestAlgorithm, Level, SignContext, SignError};
use build::{Ids, SignatureParts, TimeStampKind};
use dom::{C14n, Signature, Xml, b64, unb64};

pub use layout::{
    DISPENSING_VERSION, MedicalDocument, MedicalDocumentKind, Signatory, SignaturePlace,
    medical_document,
};
pub use read::{
    ReferenceInfo, TimeStampInfo, XadesInfo, count_signatures, inspect, inspect_all,
    inspect_detached, verify, verify_at, verify_detached, verify_prescription,
    verify_signature_value,
};
pub use xpath::{ALG_XPATH, ALG_XPATH_FILTER2};

/// XML-DSig namespace (XML-DSig §4).
pub const NS_DS: &str = "http://www.w3.org/2000/09/xmldsig#";
/// XAdES v1.3.2 namespace (TS 101 903 v1.3.2; EN 319 132-1 adds `SigningCertificateV2` to it).
pub const NS_XADES: &str = "http://uri.etsi.org/01903/v1.3.2#";
/// XAdES v1.4.1 namespace (TS 101 903 v1.4.1 §8; EN 319 132-1): `ArchiveTimeStamp`,
/// `TimeStampValidationData`.
pub const NS_XADES141: &str = "http://uri.etsi.org/01903/v1.4.1#";
/// Exclusive XML Canonicalization 1.0, also the namespace of its `InclusiveNamespaces`.
pub const ALG_EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
const NS_EXC_C14N: &str = ALG_EXC_C14N;
/// Canonical XML 1.0 (omits comments): the default canonicalization of XAdES time-stamps.
pub const ALG_C14N10: &str = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315";
/// The enveloped-signature transform (XML-DSig §6.6.4).
pub const ALG_ENVELOPED: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";
/// SHA-256 (XML Encryption §5.7.2).
pub const ALG_DIGEST_SHA256: &str = "http://www.w3.org/2001/04/xmlenc#sha256";
/// SHA-384 (RFC 6931 §2.1.3).
pub const ALG_DIGEST_SHA384: &str = "http://www.w3.org/2001/04/xmldsig-more#sha384";
/// SHA-512 (XML Encryption §5.7.4).
pub const ALG_DIGEST_SHA512: &str = "http://www.w3.org/2001/04/xmlenc#sha512";
/// RSASSA-PKCS1-v1_5 with SHA-256 (RFC 6931 §2.3.2).
pub const ALG_RSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
/// RSASSA-PKCS1-v1_5 with SHA-384 (RFC 6931 §2.3.3).
pub const ALG_RSA_SHA384: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384";
/// RSASSA-PKCS1-v1_5 with SHA-512 (RFC 6931 §2.3.4).
pub const ALG_RSA_SHA512: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512";
/// ECDSA with SHA-256 (RFC 6931 §2.3.6; value `r || s`).
pub const ALG_ECDSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256";
/// ECDSA with SHA-384 (RFC 6931 §2.3.6).
pub const ALG_ECDSA_SHA384: &str = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384";
/// ECDSA with SHA-512 (RFC 6931 §2.3.6).
pub const ALG_ECDSA_SHA512: &str = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512";
/// The `Type` of the reference to `SignedProperties` (TS 101 903 §6.3).
pub const SIGNED_PROPERTIES_TYPE: &str = "http://uri.etsi.org/01903#SignedProperties";
/// The e-prescription format version (`PrescriptionManagement/Version`).
pub const PRESCRIPTION_VERSION: &str = "EPS1.0";
/// The ID given to `PrescriptionDocument` when it has none.
pub const PRESCRIPTION_DOCUMENT_ID: &str = "PrescriptionDocument";

const QUALIFYING_PROPERTIES: &str = "QualifyingProperties";

/// Signs `xml` with an enveloped signature (XML-DSig §6.6.4): the `ds:Signature` is appended to
/// the document element; its first reference is `URI=""` with the enveloped-signature and
/// exclusive C14N transforms, so it covers the whole document (without comments) except the
/// signature. Levels above B take the TSA and validation data from `ctx`.
///
/// # Errors
/// [`SignError::Xml`] for input that is not UTF-8 XML without DTD;
/// [`SignError::CertificateKeyMismatch`]; the signer's, TSA's or validation source's errors.
pub fn sign_enveloped(ctx: &SignContext, xml: &str, level: Level) -> Result<String, SignError> {
    let parsed = Xml::parse(xml)?;
    let root = parsed.root_element()?;
    // Where the signature goes: just before the document element's end tag.
    let marker = "\u{0}";
    let with_marker = parsed.insert_last(root, marker)?;
    let (prefix, suffix) = with_marker
        .split_once(marker)
        .ok_or_else(|| SignError::Xml("cannot place the signature".into()))?;
    sign_in(
        ctx,
        prefix,
        suffix,
        &DocumentReference::Enveloped,
        "text/xml",
        level,
    )
}

/// A detached signature (XML-DSig §2, TS 101 903 §4.4): a standalone `ds:Signature` document
/// whose first reference is `uri` (no transform: the `data` octets are digested). Level B-LTA
/// and [`add_archive_time_stamp_detached`] need `data` again, as does [`verify_detached`].
///
/// # Errors
/// As [`sign_enveloped`]; [`SignError::Xml`] for an empty or same-document `uri`.
pub fn sign_detached(
    ctx: &SignContext,
    data: &[u8],
    uri: &str,
    level: Level,
) -> Result<String, SignError> {
    if uri.is_empty() || uri.starts_with('#') {
        return Err(SignError::Xml(format!(
            "a detached signature references an external URI, not {uri:?}"
        )));
    }
    sign_in(
        ctx,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
        "\n",
        &DocumentReference::External { uri, data },
        "application/octet-stream",
        level,
    )
}

/// Signs a Japanese e-prescription (電子処方箋, the XML the MHLW e-prescription service and the
/// JAHIS 電子処方箋実装ガイド describe; see [`prescription_xml`]):
///
/// ```text
/// Document
/// └─ Prescription
///    ├─ PrescriptionManagement (Version EPS1.0, PrescriptionId)
///    ├─ PrescriptionDocument Id="PrescriptionDocument"   (the prescription CSV, base64)
///    └─ PrescriptionSign
///       └─ ds:Signature   (references #PrescriptionDocument, KeyInfo, SignedProperties)
/// ```
///
/// `PrescriptionSign` is created after `PrescriptionDocument` (or filled when present and
/// empty); `PrescriptionDocument` gets `Id="PrescriptionDocument"` when it has no ID. The
/// document reference has the exclusive C14N transform. The patient's 引換番号 (exchange
/// number) is not part of the signed XML.
///
/// # Errors
/// [`SignError::Prescription`] when the layout is not as above (or the version is not
/// EPS1.0, the prescription ID is empty, the document is not base64, `PrescriptionSign`
/// already holds something); otherwise as [`sign_enveloped`].
pub fn sign_prescription(
    ctx: &SignContext,
    prescription_xml: &str,
    level: Level,
) -> Result<String, SignError> {
    let parsed = Xml::parse(prescription_xml)?;
    let layout = layout::prescription_layout(&parsed)?;
    // The document needs an ID to be referenced by.
    let (text, doc_id) = match parsed.id_of(layout.document) {
        Some(id) => (prescription_xml.to_owned(), id.to_owned()),
        None => {
            if parsed.has_id(PRESCRIPTION_DOCUMENT_ID) {
                return Err(SignError::Prescription(Text::new(
                    format!("ID {PRESCRIPTION_DOCUMENT_ID} は別の要素が使っています"),
                    format!("another element has the ID {PRESCRIPTION_DOCUMENT_ID}"),
                )));
            }
            (
                parsed.add_attribute(layout.document, "id", PRESCRIPTION_DOCUMENT_ID)?,
                PRESCRIPTION_DOCUMENT_ID.to_owned(),
            )
        }
    };
    let parsed = Xml::parse(&text)?;
    let layout = layout::prescription_layout(&parsed)?;
    let marker = "\u{0}";
    let with_marker = match layout.sign {
        Some(sign) => {
            if !parsed.child_elements(sign).is_empty() || !parsed.text_of(sign).trim().is_empty() {
                return Err(SignError::Prescription(Text::new(
                    "PrescriptionSign が空ではありません（署名済みではありませんか）",
                    "PrescriptionSign is not empty (already signed?)",
                )));
            }
            parsed.insert_last(sign, marker)?
        }
        None => parsed.insert_after(
            layout.document,
            &format!("<PrescriptionSign>{marker}</PrescriptionSign>"),
        )?,
    };
    let (prefix, suffix) = with_marker
        .split_once(marker)
        .ok_or_else(|| SignError::Xml("cannot place the signature".into()))?;
    sign_in(
        ctx,
        prefix,
        suffix,
        &DocumentReference::Id(doc_id),
        "text/xml",
        level,
    )
}

/// The unsigned e-prescription document for [`sign_prescription`], in the layout the MHLW
/// e-prescription documents use (`Document id="Document"`, `Value="…"` attributes, lower-case
/// `id`s): version [`PRESCRIPTION_VERSION`], `prescription_id`, and `csv` (the prescription
/// CSV of the e-prescription record specification, as the octets to transmit, normally UTF-8)
/// base64 encoded in `PrescriptionDocument id="PrescriptionDocument"`.
pub fn prescription_xml(prescription_id: &str, csv: &[u8]) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Document \
         xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" id=\"Document\" \
         xsi:noNamespaceSchemaLocation=\"EP.xsd\"><Prescription>\
         <PrescriptionManagement id=\"PrescriptionManagement\">\
         <Version Value=\"{PRESCRIPTION_VERSION}\"/>\
         <PrescriptionId Value=\"{}\"/></PrescriptionManagement>\
         <PrescriptionDocument id=\"{PRESCRIPTION_DOCUMENT_ID}\">{}</PrescriptionDocument>\
         </Prescription></Document>\n",
        build::escape_attr(prescription_id),
        b64(csv)
    )
}

/// What an e-prescription carries, as [`read_prescription`] finds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PrescriptionContent {
    /// `PrescriptionManagement/Version` (EPS1.0).
    pub version: String,
    /// `PrescriptionManagement/PrescriptionId`.
    pub prescription_id: String,
    /// The prescription CSV, decoded from `PrescriptionDocument`.
    pub csv: Vec<u8>,
}

/// Reads the management data and the CSV of an e-prescription (signed or not). The signature,
/// if any, is not checked here: [`verify_prescription`] checks it and returns the same.
///
/// # Errors
/// [`SignError::Xml`], [`SignError::Prescription`].
pub fn read_prescription(xml: &str) -> Result<PrescriptionContent, SignError> {
    let parsed = Xml::parse(xml)?;
    let layout = layout::prescription_layout(&parsed)?;
    Ok(PrescriptionContent {
        version: layout.version,
        prescription_id: layout.prescription_id,
        csv: unb64(&parsed.text_of(layout.document), "PrescriptionDocument")?,
    })
}

/// Adds a `xades:SignatureTimeStamp` (TS 101 903 §7.3) to the XAdES signature of `xml`: a
/// token from `time_stamper` over SHA-256 of the exclusive canonical form of
/// `ds:SignatureValue`. B-B → B-T.
///
/// # Errors
/// [`SignError::NotXades`] unless the document holds exactly one XAdES signature; the TSA's.
pub fn add_signature_time_stamp(
    xml: &str,
    time_stamper: &dyn TimeStamper,
) -> Result<String, SignError> {
    signature_time_stamp(xml, None, time_stamper)
}

/// Adds `xades:CertificateValues` and `xades:RevocationValues` (TS 101 903 §7.6) with the
/// validation data of the signer's certificate and of every TSA that time-stamped the
/// signature, plus `chain` (issuers known to the caller). Data already present is not added
/// again; once the values exist (or an archive time-stamp does) new data goes into a
/// `xades141:TimeStampValidationData`. B-T → B-LT.
///
/// # Errors
/// [`SignError::NotXades`], [`SignError::NoSignerCertificate`]; the source's.
pub fn add_validation_data(
    xml: &str,
    validation: &dyn ValidationSource,
    chain: &[Certificate],
) -> Result<String, SignError> {
    validation_values(xml, None, validation, chain)
}

/// Adds a `xades141:ArchiveTimeStamp` (EN 319 132-1 §5.5.2, input in the module
/// documentation) to an enveloped or e-prescription signature, after completing the
/// validation data from `validation` (the signer's and every TSA's, see
/// [`add_validation_data`]). Repeatable: each call time-stamps everything before it,
/// earlier archive time-stamps included. B-LT → B-LTA.
///
/// # Errors
/// [`SignError::NoContent`] for a detached signature (use
/// [`add_archive_time_stamp_detached`]); as [`add_signature_time_stamp`].
pub fn add_archive_time_stamp(
    xml: &str,
    time_stamper: &dyn TimeStamper,
    validation: &dyn ValidationSource,
) -> Result<String, SignError> {
    archive_time_stamp(xml, None, &|_| None, time_stamper, Some(validation))
}

/// [`add_archive_time_stamp`] for a detached signature: `data` are the octets its external
/// reference names (they are part of the archive time-stamp's input).
pub fn add_archive_time_stamp_detached(
    xml: &str,
    data: &[u8],
    time_stamper: &dyn TimeStamper,
    validation: &dyn ValidationSource,
) -> Result<String, SignError> {
    archive_time_stamp(
        xml,
        None,
        &|_| Some(data.to_vec()),
        time_stamper,
        Some(validation),
    )
}

/// What the document reference of a new signature points at.
enum DocumentReference<'a> {
    Enveloped,
    Id(String),
    External { uri: &'a str, data: &'a [u8] },
}

impl DocumentReference<'_> {
    fn uri_and_transforms(&self) -> (String, Vec<&'static str>) {
        match self {
            DocumentReference::Enveloped => (String::new(), vec![ALG_ENVELOPED, ALG_EXC_C14N]),
            DocumentReference::Id(id) => (format!("#{id}"), vec![ALG_EXC_C14N]),
            DocumentReference::External { uri, .. } => ((*uri).to_owned(), Vec::new()),
        }
    }

    fn external(&self, wanted: &str) -> Option<Vec<u8>> {
        match self {
            DocumentReference::External { uri, data } if *uri == wanted => Some(data.to_vec()),
            _ => None,
        }
    }
}

/// The XML-DSig `SignatureMethod` of a signer.
fn signature_method(alg: SignatureAlgorithm) -> &'static str {
    match alg {
        SignatureAlgorithm::RsaPkcs1Sha256 => ALG_RSA_SHA256,
        SignatureAlgorithm::EcdsaSha256 => ALG_ECDSA_SHA256,
        SignatureAlgorithm::EcdsaSha384 => ALG_ECDSA_SHA384,
        SignatureAlgorithm::EcdsaSha512 => ALG_ECDSA_SHA512,
    }
}

/// `xsd:dateTime` in UTC (TS 101 903 §7.2.1).
fn xsd_date_time(t: SystemTime) -> Result<String, SignError> {
    let d = der::DateTime::from_system_time(t)
        .map_err(|e| SignError::Xml(format!("signing time: {e}")))?;
    Ok(format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        d.year(),
        d.month(),
        d.day(),
        d.hour(),
        d.minutes(),
        d.seconds()
    ))
}

/// IDs for a new signature that no element of the host document uses.
fn choose_ids(host: Option<&Xml<'_>>, seed: &[&[u8]]) -> Result<Ids, SignError> {
    for attempt in 0u8..16 {
        let mut parts: Vec<&[u8]> = seed.to_vec();
        let counter = [attempt];
        parts.push(&counter);
        let hash = DigestAlgorithm::Sha256.digest_parts(&parts);
        let hex: String = hash[..6].iter().map(|b| format!("{b:02x}")).collect();
        let ids = Ids::new(&format!("xades-{hex}"));
        if ids
            .all()
            .iter()
            .all(|id| !host.is_some_and(|h| h.has_id(id)))
        {
            return Ok(ids);
        }
    }
    Err(SignError::Xml("cannot choose unique IDs".into()))
}

/// Signs with the signature between `prefix` and `suffix`, then adds what `level` needs.
fn sign_in(
    ctx: &SignContext,
    prefix: &str,
    suffix: &str,
    document: &DocumentReference<'_>,
    mime_type: &str,
    level: Level,
) -> Result<String, SignError> {
    let tbs = ctx.certificate.tbs_certificate();
    if ctx.signer.public_key() != tbs.subject_public_key_info() {
        return Err(SignError::CertificateKeyMismatch);
    }
    // What the level needs is checked before the key is used (a card asks for its PIN).
    if level >= Level::T {
        ctx.time_stamper_for(level)?;
    }
    if level >= Level::Lt {
        ctx.validation_for(level)?;
    }
    let algorithm = ctx.signer.algorithm();
    let certificate_der = ctx.certificate.to_der()?;
    let signing_time = xsd_date_time(ctx.signing_time)?;
    let host_text = [prefix, suffix].concat();
    let host = match document {
        // A detached signature is the whole document: no host to share IDs with.
        DocumentReference::External { .. } => None,
        _ => Some(Xml::parse(&host_text)?),
    };
    let ids = choose_ids(
        host.as_ref(),
        &[
            host_text.as_bytes(),
            &certificate_der,
            signing_time.as_bytes(),
        ],
    )?;
    let (doc_uri, doc_transforms) = document.uri_and_transforms();
    let mut references = build::references(&ids, &doc_uri, doc_transforms);
    let external = |uri: &str| document.external(uri);
    let assemble = |references: &[build::Reference], value: Option<&str>| {
        let signature = build::signature_xml(&SignatureParts {
            ids: &ids,
            signature_method: signature_method(algorithm),
            references,
            signature_value: value,
            certificate_der: &certificate_der,
            signing_time: &signing_time,
            mime_type,
        });
        [prefix, signature.as_str(), suffix].concat()
    };

    // 1. The reference digests, by the same reference processing a verifier runs.
    let skeleton = assemble(&references, None);
    {
        let xml = Xml::parse(&skeleton)?;
        let sig = xml.find_id(&ids.signature)?;
        let signed_info = xml.required_child(sig, NS_DS, "SignedInfo")?;
        let nodes = xml.children_named(signed_info, NS_DS, "Reference");
        for (reference, node) in references.iter_mut().zip(nodes) {
            let octets =
                xml.reference_octets(sig, node, &external, &C14n::from_uri(ALG_C14N10)?)?;
            reference.digest = Some(DigestAlgorithm::Sha256.digest(&octets));
        }
    }

    // 2. The signature value over the canonical SignedInfo, from the signer.
    let with_digests = assemble(&references, None);
    let to_sign = {
        let xml = Xml::parse(&with_digests)?;
        let sig = xml.find_id(&ids.signature)?;
        let signed_info = xml.required_child(sig, NS_DS, "SignedInfo")?;
        xml.canonical_element(signed_info, &C14n::exclusive())?
    };
    let raw = ctx.signer.sign(&to_sign)?;
    // A signature that does not verify with the certificate's key never leaves.
    crate::signature::verify_signature(
        tbs.subject_public_key_info(),
        &algorithm.algorithm_identifier(),
        DigestAlgorithm::of_signature(algorithm),
        &to_sign,
        &raw,
    )?;
    let value = read::xmldsig_signature_value(algorithm, &raw, ctx.certificate)?;
    let signed = assemble(&references, Some(&b64(&value)));

    // 3. The unsigned properties of the level.
    let mut out = signed;
    if level >= Level::T {
        out = signature_time_stamp(&out, Some(&ids.signature), ctx.time_stamper_for(level)?)?;
    }
    if level >= Level::Lt {
        out = validation_values(
            &out,
            Some(&ids.signature),
            ctx.validation_for(level)?,
            ctx.chain,
        )?;
    }
    if level >= Level::Lta {
        // The validation data was just added: no second round of fetching.
        out = archive_time_stamp(
            &out,
            Some(&ids.signature),
            &external,
            ctx.time_stamper_for(level)?,
            None,
        )?;
    }
    Ok(out)
}

/// An ID `base`, `base-2`, … that the document does not use yet.
fn fresh_id(xml: &Xml<'_>, base: &str) -> String {
    let mut id = base.to_owned();
    let mut n = 1;
    while xml.has_id(&id) {
        n += 1;
        id = format!("{base}-{n}");
    }
    id
}

fn id_base(xml: &Xml<'_>, sig: &Signature) -> String {
    xml.id_of(sig.signature).unwrap_or("xades").to_owned()
}

fn signature_time_stamp(
    text: &str,
    sig_id: Option<&str>,
    time_stamper: &dyn TimeStamper,
) -> Result<String, SignError> {
    let xml = Xml::parse(text)?;
    let sig = xml.xades_signature(sig_id)?;
    let value = xml.required_child(sig.signature, NS_DS, "SignatureValue")?;
    let input = xml.canonical_element(value, &C14n::exclusive())?;
    let token = time_stamper.time_stamp(
        DigestAlgorithm::Sha256,
        &DigestAlgorithm::Sha256.digest(&input),
    )?;
    let id = fresh_id(&xml, &format!("{}-SignatureTimeStamp", id_base(&xml, &sig)));
    xml.append_unsigned(&sig, &|p| {
        build::time_stamp_xml(p, TimeStampKind::Signature, &id, ALG_EXC_C14N, &token)
    })
}

fn validation_values(
    text: &str,
    sig_id: Option<&str>,
    validation: &dyn ValidationSource,
    chain: &[Certificate],
) -> Result<String, SignError> {
    let xml = Xml::parse(text)?;
    let sig = xml.xades_signature(sig_id)?;
    let signer = read::signer_certificate(&xml, &sig)?;
    let mut data = validation.validation_data(&signer)?;
    for c in chain {
        data.merge(ValidationData {
            certificates: vec![c.to_der()?],
            ..Default::default()
        });
    }
    for token in read::time_stamp_tokens(&xml, &sig)? {
        let tsa = read::token_signer(&token)?;
        data.merge(ValidationData {
            certificates: vec![tsa.to_der()?],
            ..Default::default()
        });
        data.merge(validation.validation_data(&tsa)?);
    }
    append_validation(&xml, &sig, data)
}

/// Adds what `data` has that the signature does not carry yet: as certificate and revocation
/// values when it has neither and no archive time-stamp, else as time-stamp validation data.
fn append_validation(
    xml: &Xml<'_>,
    sig: &Signature,
    mut data: ValidationData,
) -> Result<String, SignError> {
    let present = read::present_validation_data(xml, sig)?;
    data.certificates
        .retain(|c| !present.certificates.contains(c));
    data.crls.retain(|c| !present.crls.contains(c));
    data.ocsp_responses
        .retain(|o| !present.ocsp_responses.contains(o));
    if data == ValidationData::default() {
        return Ok(xml.text.to_owned());
    }
    let has_values = !xml
        .unsigned_named(sig, NS_XADES, "CertificateValues")
        .is_empty()
        || !xml
            .unsigned_named(sig, NS_XADES, "RevocationValues")
            .is_empty()
        || !xml.archive_time_stamps(sig).is_empty();
    if !has_values {
        return xml.append_unsigned(sig, &|p| {
            [
                build::certificate_values_xml(p, &p.xades_decl, &data.certificates),
                build::revocation_values_xml(p, &p.xades_decl, &data),
            ]
            .concat()
        });
    }
    let id = fresh_id(
        xml,
        &format!("{}-TimeStampValidationData", id_base(xml, sig)),
    );
    xml.append_unsigned(sig, &|p| {
        build::time_stamp_validation_data_xml(p, &id, &data)
    })
}

fn archive_time_stamp(
    text: &str,
    sig_id: Option<&str>,
    external: &dyn Fn(&str) -> Option<Vec<u8>>,
    time_stamper: &dyn TimeStamper,
    validation: Option<&dyn ValidationSource>,
) -> Result<String, SignError> {
    let completed;
    let text = match validation {
        Some(v) => {
            completed = validation_values(text, sig_id, v, &[])?;
            completed.as_str()
        }
        None => text,
    };
    let xml = Xml::parse(text)?;
    let sig = xml.xades_signature(sig_id)?;
    let input = read::archive_input(&xml, &sig, None, external, &C14n::exclusive())?;
    let token = time_stamper.time_stamp(
        DigestAlgorithm::Sha256,
        &DigestAlgorithm::Sha256.digest(&input),
    )?;
    let id = fresh_id(&xml, &format!("{}-ArchiveTimeStamp", id_base(&xml, &sig)));
    xml.append_unsigned(&sig, &|p| {
        build::time_stamp_xml(p, TimeStampKind::Archive, &id, ALG_EXC_C14N, &token)
    })
}
