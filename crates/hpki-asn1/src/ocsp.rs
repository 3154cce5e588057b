//! RFC 6960 Online Certificate Status Protocol (OCSP) message types.
//!
//! The types mirror the ASN.1 module of [RFC 6960 Appendix B.1] one to one
//! (in the style of the RustCrypto `formats` crates): one Rust type per ASN.1
//! type, one public field per component, with the tagging of the ASN.1
//! definition (the module is `DEFINITIONS EXPLICIT TAGS`, so context-specific
//! tags are EXPLICIT unless marked IMPLICIT).
//!
//! - Requests: [`OcspRequest`], [`TbsRequest`], [`Signature`], [`Request`],
//!   [`CertId`] ([RFC 6960 Section 4.1.1]).
//! - Responses: [`OcspResponse`], [`OcspResponseStatus`], [`ResponseBytes`],
//!   [`BasicOcspResponse`], [`ResponseData`], [`ResponderId`],
//!   [`SingleResponse`], [`CertStatus`], [`RevokedInfo`]
//!   ([RFC 6960 Section 4.2.1]).
//! - The nonce extension: [`Nonce`] ([RFC 6960 Section 4.4.1], [RFC 8954]).
//!
//! Signing, signature verification and hashing are out of scope: this module
//! is pure data.
//!
//! [RFC 6960 Appendix B.1]: https://datatracker.ietf.org/doc/html/rfc6960#appendix-B.1
//! [RFC 6960 Section 4.1.1]: https://datatracker.ietf.org/doc/html/rfc6960#section-4.1.1
//! [RFC 6960 Section 4.2.1]: https://datatracker.ietf.org/doc/html/rfc6960#section-4.2.1
//! [RFC 6960 Section 4.4.1]: https://datatracker.ietf.org/doc/html/rfc6960#section-4.4.1
//! [RFC 8954]: https://datatracker.ietf.org/doc/html/rfc8954

use const_oid::{AssociatedOid, ObjectIdentifier};
use der::asn1::{BitString, GeneralizedTime, Null, OctetString, OctetStringRef};
use der::{
    Choice, Decode, DecodeValue, Encode, EncodeValue, Enumerated, ErrorKind, FixedTag, Header,
    Length, Reader, Sequence, Tag, Writer,
};
use spki::AlgorithmIdentifierOwned;
use x509_cert::Certificate;
use x509_cert::ext::pkix::crl::CrlReason;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::{Extension, Extensions};
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;

/// `id-pkix-ocsp-basic` (1.3.6.1.5.5.7.48.1.1): the [`ResponseBytes`]
/// response type of a [`BasicOcspResponse`] ([RFC 6960 Section 4.2.1]).
///
/// [RFC 6960 Section 4.2.1]: https://datatracker.ietf.org/doc/html/rfc6960#section-4.2.1
pub const ID_PKIX_OCSP_BASIC: ObjectIdentifier = const_oid::db::rfc6960::ID_PKIX_OCSP_BASIC;

/// `id-pkix-ocsp-nonce` (1.3.6.1.5.5.7.48.1.2): the nonce extension
/// ([RFC 6960 Section 4.4.1], [RFC 8954]).
///
/// [RFC 6960 Section 4.4.1]: https://datatracker.ietf.org/doc/html/rfc6960#section-4.4.1
/// [RFC 8954]: https://datatracker.ietf.org/doc/html/rfc8954
pub const ID_PKIX_OCSP_NONCE: ObjectIdentifier = const_oid::db::rfc6960::ID_PKIX_OCSP_NONCE;

/// `id-pkix-ocsp-nocheck` (1.3.6.1.5.5.7.48.1.5): the certificate extension
/// telling clients not to check the revocation status of a delegated OCSP
/// responder certificate ([RFC 6960 Section 4.2.2.2.1]).
///
/// [RFC 6960 Section 4.2.2.2.1]: https://datatracker.ietf.org/doc/html/rfc6960#section-4.2.2.2.1
pub const ID_PKIX_OCSP_NOCHECK: ObjectIdentifier = const_oid::db::rfc6960::ID_PKIX_OCSP_NOCHECK;

/// `id-kp-OCSPSigning` (1.3.6.1.5.5.7.3.9): the extended key usage a
/// delegated OCSP responder certificate must carry ([RFC 6960 Section 4.2.2.2]).
///
/// [RFC 6960 Section 4.2.2.2]: https://datatracker.ietf.org/doc/html/rfc6960#section-4.2.2.2
pub const ID_KP_OCSP_SIGNING: ObjectIdentifier = const_oid::db::rfc5280::ID_KP_OCSP_SIGNING;

/// OCSP message version ([RFC 6960 Section 4.1.1]).
///
/// ```text
/// Version ::= INTEGER { v1(0) }
/// ```
///
/// Used with `DEFAULT v1` by [`TbsRequest`] and [`ResponseData`]: DER omits
/// it, so it never appears in encodings.
///
/// [RFC 6960 Section 4.1.1]: https://datatracker.ietf.org/doc/html/rfc6960#section-4.1.1
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Enumerated)]
#[asn1(type = "INTEGER")]
#[repr(u8)]
pub enum Version {
    /// `v1(0)`, the only version.
    #[default]
    V1 = 0,
}

/// OCSP request ([RFC 6960 Section 4.1.1]).
///
/// ```text
/// OCSPRequest ::= SEQUENCE {
///     tbsRequest              TBSRequest,
///     optionalSignature   [0] EXPLICIT Signature OPTIONAL }
/// ```
///
/// [RFC 6960 Section 4.1.1]: https://datatracker.ietf.org/doc/html/rfc6960#section-4.1.1
#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
pub struct OcspRequest {
    /// `tbsRequest`: the (optionally) signed part of the request.
    pub tbs_request: TbsRequest,

    /// `optionalSignature [0] EXPLICIT`: signature over the DER of
    /// `tbs_request`.
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    pub optional_signature: Option<Signature>,
}

impl OcspRequest {
    /// The nonce extension (`id-pkix-ocsp-nonce`) of the request's
    /// `requestExtensions`, exactly as received ([RFC 6960 Section 4.4.1]).
    ///
    /// A responder echoing the nonce must copy this extension unchanged into
    /// the response's [`ResponseData::response_extensions`]: cloning the
    /// returned [`Extension`] preserves its `critical` flag and `extnValue`
    /// bytes whatever their form.
    ///
    /// [RFC 6960 Section 4.4.1]: https://datatracker.ietf.org/doc/html/rfc6960#section-4.4.1
    pub fn nonce_extension(&self) -> Option<&Extension> {
        find_nonce(self.tbs_request.request_extensions.as_ref())
    }

    /// The nonce value of the request, if it has a nonce extension
    /// ([RFC 6960 Section 4.4.1], [RFC 8954 Section 2.1]).
    ///
    /// RFC 8954 defines the `extnValue` as the DER of `Nonce ::= OCTET STRING`
    /// (which is what OpenSSL sends); this returns the contents of that inner
    /// OCTET STRING. If the `extnValue` is not exactly one DER OCTET STRING
    /// (some pre-RFC 8954 clients put the raw nonce bytes there), the whole
    /// `extnValue` is returned instead. The length is not checked against
    /// RFC 8954's `SIZE(1..32)`; that is the responder's policy.
    ///
    /// [RFC 6960 Section 4.4.1]: https://datatracker.ietf.org/doc/html/rfc6960#section-4.4.1
    /// [RFC 8954 Section 2.1]: https://datatracker.ietf.org/doc/html/rfc8954#section-2.1
    pub fn nonce(&self) -> Option<&[u8]> {
        self.nonce_extension().map(nonce_value)
    }
}

/// The to-be-signed part of an OCSP request ([RFC 6960 Section 4.1.1]).
///
/// ```text
/// TBSRequest ::= SEQUENCE {
///     version             [0] EXPLICIT Version DEFAULT v1,
///     requestorName       [1] EXPLICIT GeneralName OPTIONAL,
///     requestList             SEQUENCE OF Request,
///     requestExtensions   [2] EXPLICIT Extensions OPTIONAL }
/// ```
///
/// [RFC 6960 Section 4.1.1]: https://datatracker.ietf.org/doc/html/rfc6960#section-4.1.1
#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
pub struct TbsRequest {
    /// `version [0] EXPLICIT DEFAULT v1`.
    #[asn1(
        context_specific = "0",
        tag_mode = "EXPLICIT",
        default = "Default::default"
    )]
    pub version: Version,

    /// `requestorName [1] EXPLICIT`: the requestor, required when the
    /// request is signed ([RFC 6960 Section 4.1.2]).
    ///
    /// [RFC 6960 Section 4.1.2]: https://datatracker.ietf.org/doc/html/rfc6960#section-4.1.2
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT", optional = "true")]
    pub requestor_name: Option<GeneralName>,

    /// `requestList`: one entry per certificate whose status is requested.
    pub request_list: Vec<Request>,

    /// `requestExtensions [2] EXPLICIT`, e.g. the nonce
    /// ([RFC 6960 Section 4.4]).
    ///
    /// [RFC 6960 Section 4.4]: https://datatracker.ietf.org/doc/html/rfc6960#section-4.4
    #[asn1(context_specific = "2", tag_mode = "EXPLICIT", optional = "true")]
    pub request_extensions: Option<Extensions>,
}

/// Signature of a signed OCSP request ([RFC 6960 Section 4.1.1]).
///
/// ```text
/// Signature ::= SEQUENCE {
///     signatureAlgorithm      AlgorithmIdentifier,
///     signature               BIT STRING,
///     certs               [0] EXPLICIT SEQUENCE OF Certificate OPTIONAL }
/// ```
///
/// [RFC 6960 Section 4.1.1]: https://datatracker.ietf.org/doc/html/rfc6960#section-4.1.1
#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
pub struct Signature {
    /// `signatureAlgorithm`.
    pub signature_algorithm: AlgorithmIdentifierOwned,

    /// `signature`: computed over the DER of the [`TbsRequest`].
    pub signature: BitString,

    /// `certs [0] EXPLICIT`: certificates helping to verify the signature.
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    pub certs: Option<Vec<Certificate>>,
}

/// One certificate status request ([RFC 6960 Section 4.1.1]).
///
/// ```text
/// Request ::= SEQUENCE {
///     reqCert                     CertID,
///     singleRequestExtensions [0] EXPLICIT Extensions OPTIONAL }
/// ```
///
/// [RFC 6960 Section 4.1.1]: https://datatracker.ietf.org/doc/html/rfc6960#section-4.1.1
#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
pub struct Request {
    /// `reqCert`: identifies the certificate.
    pub req_cert: CertId,

    /// `singleRequestExtensions [0] EXPLICIT`.
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    pub single_request_extensions: Option<Extensions>,
}

/// Certificate identifier ([RFC 6960 Section 4.1.1]).
///
/// ```text
/// CertID ::= SEQUENCE {
///     hashAlgorithm       AlgorithmIdentifier,
///     issuerNameHash      OCTET STRING, -- Hash of issuer's DN
///     issuerKeyHash       OCTET STRING, -- Hash of issuer's public key
///     serialNumber        CertificateSerialNumber }
/// ```
///
/// `issuerNameHash` is the hash of the DER of the issuer's subject name;
/// `issuerKeyHash` is the hash of the issuer's `subjectPublicKey` BIT STRING
/// contents (excluding tag, length and unused-bits octet).
///
/// [RFC 6960 Section 4.1.1]: https://datatracker.ietf.org/doc/html/rfc6960#section-4.1.1
#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
pub struct CertId {
    /// `hashAlgorithm`: the hash used for both hashes (SHA-1 in practice).
    pub hash_algorithm: AlgorithmIdentifierOwned,

    /// `issuerNameHash`.
    pub issuer_name_hash: OctetString,

    /// `issuerKeyHash`.
    pub issuer_key_hash: OctetString,

    /// `serialNumber`.
    pub serial_number: SerialNumber,
}

/// OCSP response ([RFC 6960 Section 4.2.1]).
///
/// ```text
/// OCSPResponse ::= SEQUENCE {
///     responseStatus          OCSPResponseStatus,
///     responseBytes       [0] EXPLICIT ResponseBytes OPTIONAL }
/// ```
///
/// [RFC 6960 Section 4.2.1]: https://datatracker.ietf.org/doc/html/rfc6960#section-4.2.1
#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
pub struct OcspResponse {
    /// `responseStatus`.
    pub response_status: OcspResponseStatus,

    /// `responseBytes [0] EXPLICIT`: present if and only if
    /// `response_status` is [`OcspResponseStatus::Successful`].
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    pub response_bytes: Option<ResponseBytes>,
}

impl OcspResponse {
    /// A `successful` response carrying `basic` as an `id-pkix-ocsp-basic`
    /// [`ResponseBytes`] ([RFC 6960 Section 4.2.1]).
    ///
    /// # Errors
    /// If `basic` cannot be DER-encoded.
    ///
    /// [RFC 6960 Section 4.2.1]: https://datatracker.ietf.org/doc/html/rfc6960#section-4.2.1
    pub fn successful(basic: &BasicOcspResponse) -> der::Result<Self> {
        Ok(Self {
            response_status: OcspResponseStatus::Successful,
            response_bytes: Some(ResponseBytes {
                response_type: ID_PKIX_OCSP_BASIC,
                response: OctetString::new(basic.to_der()?)?,
            }),
        })
    }

    /// An unsigned error response: `status` with no `responseBytes`
    /// ([RFC 6960 Section 4.2.1], [RFC 6960 Section 2.3]).
    ///
    /// `status` should be an error status; `error(Successful)` yields a
    /// response RFC 6960 does not allow (successful without response bytes).
    ///
    /// # Panics
    /// In debug builds, if `status` is [`OcspResponseStatus::Successful`].
    ///
    /// [RFC 6960 Section 4.2.1]: https://datatracker.ietf.org/doc/html/rfc6960#section-4.2.1
    /// [RFC 6960 Section 2.3]: https://datatracker.ietf.org/doc/html/rfc6960#section-2.3
    pub fn error(status: OcspResponseStatus) -> Self {
        debug_assert_ne!(
            status,
            OcspResponseStatus::Successful,
            "OcspResponse::error needs an error status"
        );
        Self {
            response_status: status,
            response_bytes: None,
        }
    }
}

/// OCSP response status ([RFC 6960 Section 4.2.1]).
///
/// ```text
/// OCSPResponseStatus ::= ENUMERATED {
///     successful            (0),  -- Response has valid confirmations
///     malformedRequest      (1),  -- Illegal confirmation request
///     internalError         (2),  -- Internal error in issuer
///     tryLater              (3),  -- Try again later
///                                 -- (4) is not used
///     sigRequired           (5),  -- Must sign the request
///     unauthorized          (6)   -- Request unauthorized
/// }
/// ```
///
/// [RFC 6960 Section 4.2.1]: https://datatracker.ietf.org/doc/html/rfc6960#section-4.2.1
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Enumerated)]
#[repr(u8)]
pub enum OcspResponseStatus {
    /// `successful (0)`: response has valid confirmations.
    Successful = 0,
    /// `malformedRequest (1)`: illegal confirmation request.
    MalformedRequest = 1,
    /// `internalError (2)`: internal error in issuer.
    InternalError = 2,
    /// `tryLater (3)`: try again later.
    TryLater = 3,
    /// `sigRequired (5)`: must sign the request.
    SigRequired = 5,
    /// `unauthorized (6)`: request unauthorized.
    Unauthorized = 6,
}

/// Typed response payload of a successful [`OcspResponse`]
/// ([RFC 6960 Section 4.2.1]).
///
/// ```text
/// ResponseBytes ::= SEQUENCE {
///     responseType   OBJECT IDENTIFIER,
///     response       OCTET STRING }
/// ```
///
/// [RFC 6960 Section 4.2.1]: https://datatracker.ietf.org/doc/html/rfc6960#section-4.2.1
#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
pub struct ResponseBytes {
    /// `responseType`: [`ID_PKIX_OCSP_BASIC`] in practice.
    pub response_type: ObjectIdentifier,

    /// `response`: the DER of the response type, e.g. a
    /// [`BasicOcspResponse`].
    pub response: OctetString,
}

/// Basic OCSP response ([RFC 6960 Section 4.2.1]).
///
/// ```text
/// BasicOCSPResponse ::= SEQUENCE {
///     tbsResponseData      ResponseData,
///     signatureAlgorithm   AlgorithmIdentifier,
///     signature            BIT STRING,
///     certs            [0] EXPLICIT SEQUENCE OF Certificate OPTIONAL }
/// ```
///
/// [RFC 6960 Section 4.2.1]: https://datatracker.ietf.org/doc/html/rfc6960#section-4.2.1
#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
pub struct BasicOcspResponse {
    /// `tbsResponseData`: the signed part.
    pub tbs_response_data: ResponseData,

    /// `signatureAlgorithm`.
    pub signature_algorithm: AlgorithmIdentifierOwned,

    /// `signature`: computed over the DER of `tbs_response_data`.
    pub signature: BitString,

    /// `certs [0] EXPLICIT`: certificates helping to verify the signature,
    /// e.g. a delegated responder certificate.
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    pub certs: Option<Vec<Certificate>>,
}

impl AssociatedOid for BasicOcspResponse {
    const OID: ObjectIdentifier = ID_PKIX_OCSP_BASIC;
}

impl BasicOcspResponse {
    /// Extracts the basic response of a successful [`OcspResponse`]
    /// ([RFC 6960 Section 4.2.1]).
    ///
    /// # Errors
    /// - [`ErrorKind::Value`] (tag `ENUMERATED`) if `response_status` is not
    ///   `successful`;
    /// - [`ErrorKind::TagUnexpected`] if `responseBytes` is absent;
    /// - [`ErrorKind::OidUnknown`] if `responseType` is not
    ///   [`ID_PKIX_OCSP_BASIC`];
    /// - any DER error decoding the `response` OCTET STRING contents.
    ///
    /// [RFC 6960 Section 4.2.1]: https://datatracker.ietf.org/doc/html/rfc6960#section-4.2.1
    pub fn from_response(response: &OcspResponse) -> der::Result<Self> {
        if response.response_status != OcspResponseStatus::Successful {
            return Err(ErrorKind::Value {
                tag: Tag::Enumerated,
            }
            .into());
        }
        let bytes = response
            .response_bytes
            .as_ref()
            .ok_or(ErrorKind::TagUnexpected {
                expected: Some(Tag::ContextSpecific {
                    constructed: true,
                    number: der::TagNumber(0),
                }),
                actual: Tag::Null,
            })?;
        if bytes.response_type != ID_PKIX_OCSP_BASIC {
            return Err(ErrorKind::OidUnknown {
                oid: bytes.response_type,
            }
            .into());
        }
        Self::from_der(bytes.response.as_bytes())
    }
}

/// The signed data of a [`BasicOcspResponse`] ([RFC 6960 Section 4.2.1]).
///
/// ```text
/// ResponseData ::= SEQUENCE {
///     version              [0] EXPLICIT Version DEFAULT v1,
///     responderID              ResponderID,
///     producedAt               GeneralizedTime,
///     responses                SEQUENCE OF SingleResponse,
///     responseExtensions   [1] EXPLICIT Extensions OPTIONAL }
/// ```
///
/// [RFC 6960 Section 4.2.1]: https://datatracker.ietf.org/doc/html/rfc6960#section-4.2.1
#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
pub struct ResponseData {
    /// `version [0] EXPLICIT DEFAULT v1`.
    #[asn1(
        context_specific = "0",
        tag_mode = "EXPLICIT",
        default = "Default::default"
    )]
    pub version: Version,

    /// `responderID`.
    pub responder_id: ResponderId,

    /// `producedAt`: when the response was signed.
    pub produced_at: GeneralizedTime,

    /// `responses`: one per requested certificate.
    pub responses: Vec<SingleResponse>,

    /// `responseExtensions [1] EXPLICIT`, e.g. the echoed nonce
    /// ([RFC 6960 Section 4.4]).
    ///
    /// [RFC 6960 Section 4.4]: https://datatracker.ietf.org/doc/html/rfc6960#section-4.4
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT", optional = "true")]
    pub response_extensions: Option<Extensions>,
}

impl ResponseData {
    /// The nonce extension of `responseExtensions`, exactly as encoded
    /// ([RFC 6960 Section 4.4.1]).
    ///
    /// [RFC 6960 Section 4.4.1]: https://datatracker.ietf.org/doc/html/rfc6960#section-4.4.1
    pub fn nonce_extension(&self) -> Option<&Extension> {
        find_nonce(self.response_extensions.as_ref())
    }

    /// The nonce value of the response, read like [`OcspRequest::nonce`]
    /// ([RFC 6960 Section 4.4.1], [RFC 8954 Section 2.1]).
    ///
    /// [RFC 6960 Section 4.4.1]: https://datatracker.ietf.org/doc/html/rfc6960#section-4.4.1
    /// [RFC 8954 Section 2.1]: https://datatracker.ietf.org/doc/html/rfc8954#section-2.1
    pub fn nonce(&self) -> Option<&[u8]> {
        self.nonce_extension().map(nonce_value)
    }
}

/// `KeyHash`: SHA-1 hash of the responder's public key (the
/// `subjectPublicKey` BIT STRING contents) ([RFC 6960 Section 4.2.1]).
///
/// ```text
/// KeyHash ::= OCTET STRING
/// ```
///
/// [RFC 6960 Section 4.2.1]: https://datatracker.ietf.org/doc/html/rfc6960#section-4.2.1
pub type KeyHash = OctetString;

/// Responder identifier ([RFC 6960 Section 4.2.1]).
///
/// ```text
/// ResponderID ::= CHOICE {
///     byName   [1] Name,
///     byKey    [2] KeyHash }
/// ```
///
/// Both alternatives are EXPLICIT (module default), hence constructed tags
/// `A1` / `A2`.
///
/// [RFC 6960 Section 4.2.1]: https://datatracker.ietf.org/doc/html/rfc6960#section-4.2.1
#[derive(Clone, Debug, PartialEq, Eq, Choice)]
pub enum ResponderId {
    /// `byName [1] EXPLICIT Name`: the responder certificate's subject.
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT", constructed = "true")]
    ByName(Name),

    /// `byKey [2] EXPLICIT KeyHash`.
    #[asn1(context_specific = "2", tag_mode = "EXPLICIT", constructed = "true")]
    ByKey(KeyHash),
}

/// Status of one certificate ([RFC 6960 Section 4.2.1]).
///
/// ```text
/// SingleResponse ::= SEQUENCE {
///     certID                       CertID,
///     certStatus                   CertStatus,
///     thisUpdate                   GeneralizedTime,
///     nextUpdate         [0]       EXPLICIT GeneralizedTime OPTIONAL,
///     singleExtensions   [1]       EXPLICIT Extensions OPTIONAL }
/// ```
///
/// [RFC 6960 Section 4.2.1]: https://datatracker.ietf.org/doc/html/rfc6960#section-4.2.1
#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
pub struct SingleResponse {
    /// `certID`: copied from the request.
    pub cert_id: CertId,

    /// `certStatus`.
    pub cert_status: CertStatus,

    /// `thisUpdate`: when the status was known to be correct.
    pub this_update: GeneralizedTime,

    /// `nextUpdate [0] EXPLICIT`: when newer status will be available.
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    pub next_update: Option<GeneralizedTime>,

    /// `singleExtensions [1] EXPLICIT`.
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT", optional = "true")]
    pub single_extensions: Option<Extensions>,
}

/// Certificate status ([RFC 6960 Section 4.2.1]).
///
/// ```text
/// CertStatus ::= CHOICE {
///     good        [0]     IMPLICIT NULL,
///     revoked     [1]     IMPLICIT RevokedInfo,
///     unknown     [2]     IMPLICIT UnknownInfo }
///
/// UnknownInfo ::= NULL
/// ```
///
/// On the wire: `good` is `80 00`, `unknown` is `82 00` (primitive) and
/// `revoked` is `A1 ...` (constructed, since the base type `RevokedInfo` is a
/// SEQUENCE).
///
/// [RFC 6960 Section 4.2.1]: https://datatracker.ietf.org/doc/html/rfc6960#section-4.2.1
#[derive(Clone, Debug, PartialEq, Eq, Choice)]
pub enum CertStatus {
    /// `good [0] IMPLICIT NULL`.
    #[asn1(context_specific = "0", tag_mode = "IMPLICIT")]
    Good(Null),

    /// `revoked [1] IMPLICIT RevokedInfo`.
    #[asn1(context_specific = "1", tag_mode = "IMPLICIT", constructed = "true")]
    Revoked(RevokedInfo),

    /// `unknown [2] IMPLICIT UnknownInfo` (`UnknownInfo ::= NULL`).
    #[asn1(context_specific = "2", tag_mode = "IMPLICIT")]
    Unknown(Null),
}

/// Revocation details of a revoked certificate ([RFC 6960 Section 4.2.1]).
///
/// ```text
/// RevokedInfo ::= SEQUENCE {
///     revocationTime              GeneralizedTime,
///     revocationReason    [0]     EXPLICIT CRLReason OPTIONAL }
/// ```
///
/// `CRLReason` is the ENUMERATED of RFC 5280 Section 5.3.1
/// ([`CrlReason`]).
///
/// [RFC 6960 Section 4.2.1]: https://datatracker.ietf.org/doc/html/rfc6960#section-4.2.1
#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
pub struct RevokedInfo {
    /// `revocationTime`.
    pub revocation_time: GeneralizedTime,

    /// `revocationReason [0] EXPLICIT`.
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    pub revocation_reason: Option<CrlReason>,
}

/// Nonce extension value ([RFC 6960 Section 4.4.1], [RFC 8954 Section 2.1]).
///
/// ```text
/// Nonce ::= OCTET STRING(SIZE(1..32))
/// ```
///
/// The `extnValue` of an `id-pkix-ocsp-nonce` extension is the DER of this
/// OCTET STRING. Decoding does not enforce the size constraint (a responder
/// may accept or ignore out-of-range nonces, RFC 8954 Section 2.1);
/// [`Nonce::new`] does.
///
/// [RFC 6960 Section 4.4.1]: https://datatracker.ietf.org/doc/html/rfc6960#section-4.4.1
/// [RFC 8954 Section 2.1]: https://datatracker.ietf.org/doc/html/rfc8954#section-2.1
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Nonce(pub OctetString);

impl Nonce {
    /// Maximum nonce length, 32 octets ([RFC 8954 Section 2.1]).
    ///
    /// [RFC 8954 Section 2.1]: https://datatracker.ietf.org/doc/html/rfc8954#section-2.1
    pub const MAX_LEN: usize = 32;

    /// A nonce of `bytes` ([RFC 8954 Section 2.1]).
    ///
    /// # Errors
    /// [`ErrorKind::Length`] if `bytes` is empty or longer than
    /// [`Nonce::MAX_LEN`].
    ///
    /// [RFC 8954 Section 2.1]: https://datatracker.ietf.org/doc/html/rfc8954#section-2.1
    pub fn new(bytes: &[u8]) -> der::Result<Self> {
        if bytes.is_empty() || bytes.len() > Self::MAX_LEN {
            return Err(ErrorKind::Length {
                tag: Tag::OctetString,
            }
            .into());
        }
        Ok(Self(OctetString::new(bytes)?))
    }

    /// The nonce bytes.
    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }

    /// The non-critical `id-pkix-ocsp-nonce` extension carrying this nonce
    /// ([RFC 6960 Section 4.4.1]).
    ///
    /// # Errors
    /// If the nonce cannot be DER-encoded.
    ///
    /// [RFC 6960 Section 4.4.1]: https://datatracker.ietf.org/doc/html/rfc6960#section-4.4.1
    pub fn to_extension(&self) -> der::Result<Extension> {
        Ok(Extension {
            extn_id: ID_PKIX_OCSP_NONCE,
            critical: false,
            extn_value: OctetString::new(self.to_der()?)?,
        })
    }
}

impl AssociatedOid for Nonce {
    const OID: ObjectIdentifier = ID_PKIX_OCSP_NONCE;
}

impl FixedTag for Nonce {
    const TAG: Tag = Tag::OctetString;
}

impl EncodeValue for Nonce {
    fn value_len(&self) -> der::Result<Length> {
        self.0.value_len()
    }

    fn encode_value(&self, writer: &mut impl Writer) -> der::Result<()> {
        self.0.encode_value(writer)
    }
}

impl<'a> DecodeValue<'a> for Nonce {
    type Error = der::Error;

    fn decode_value<R: Reader<'a>>(reader: &mut R, header: Header) -> der::Result<Self> {
        OctetString::decode_value(reader, header).map(Self)
    }
}

/// The first `id-pkix-ocsp-nonce` extension of `extensions`.
fn find_nonce(extensions: Option<&Extensions>) -> Option<&Extension> {
    extensions?
        .iter()
        .find(|ext| ext.extn_id == ID_PKIX_OCSP_NONCE)
}

/// The nonce bytes of a nonce extension: the contents of the DER OCTET STRING
/// in `extnValue` (RFC 8954), or the raw `extnValue` if it is not one.
fn nonce_value(extension: &Extension) -> &[u8] {
    let raw = extension.extn_value.as_bytes();
    <&OctetStringRef>::from_der(raw).map_or(raw, OctetStringRef::as_bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use der::DateTime;
    use der::asn1::BitString;
    use spki::AlgorithmIdentifierOwned;
    use x509_cert::ext::pkix::name::GeneralName;

    const SHA1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.14.3.2.26");
    const ECDSA_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");

    const REQ_NONCE: &[u8] = include_bytes!("../tests/data/ocsp/req-good-nonce.der");
    const REQ_SIGNED: &[u8] = include_bytes!("../tests/data/ocsp/req-signed.der");
    const RESP_GOOD: &[u8] = include_bytes!("../tests/data/ocsp/resp-good.der");
    const RESP_REVOKED: &[u8] = include_bytes!("../tests/data/ocsp/resp-revoked.der");
    const RESP_KEYID: &[u8] = include_bytes!("../tests/data/ocsp/resp-two-keyid.der");

    fn time(y: u16, mo: u8, d: u8, h: u8, mi: u8, s: u8) -> GeneralizedTime {
        GeneralizedTime::from_date_time(DateTime::new(y, mo, d, h, mi, s).unwrap())
    }

    fn sha1() -> AlgorithmIdentifierOwned {
        AlgorithmIdentifierOwned {
            oid: SHA1,
            parameters: Some(Null.into()),
        }
    }

    fn cert_id(serial: u32) -> CertId {
        CertId {
            hash_algorithm: sha1(),
            issuer_name_hash: OctetString::new([0x11; 20]).unwrap(),
            issuer_key_hash: OctetString::new([0x22; 20]).unwrap(),
            serial_number: SerialNumber::from(serial),
        }
    }

    fn name(cn: &str) -> Name {
        cn.parse().unwrap()
    }

    /// Encodes, decodes, re-encodes; checks equality of values and bytes.
    fn round_trip<T>(value: &T) -> Vec<u8>
    where
        T: Encode + for<'a> Decode<'a, Error = der::Error> + PartialEq + core::fmt::Debug,
    {
        let der = value.to_der().unwrap();
        let back = T::from_der(&der).unwrap();
        assert_eq!(&back, value);
        assert_eq!(back.to_der().unwrap(), der);
        der
    }

    fn single(status: CertStatus) -> SingleResponse {
        SingleResponse {
            cert_id: cert_id(0x1001),
            cert_status: status,
            this_update: time(2026, 1, 2, 3, 4, 5),
            next_update: Some(time(2026, 1, 9, 3, 4, 5)),
            single_extensions: None,
        }
    }

    fn basic(responses: Vec<SingleResponse>) -> BasicOcspResponse {
        BasicOcspResponse {
            tbs_response_data: ResponseData {
                version: Version::V1,
                responder_id: ResponderId::ByKey(OctetString::new([0x33; 20]).unwrap()),
                produced_at: time(2026, 1, 2, 3, 4, 5),
                responses,
                response_extensions: Some(vec![
                    Nonce::new(&[7; 16]).unwrap().to_extension().unwrap(),
                ]),
            },
            signature_algorithm: AlgorithmIdentifierOwned {
                oid: ECDSA_SHA256,
                parameters: None,
            },
            signature: BitString::from_bytes(&[0x30, 0x00]).unwrap(),
            certs: None,
        }
    }

    #[test]
    fn oids() {
        assert_eq!(ID_PKIX_OCSP_BASIC.to_string(), "1.3.6.1.5.5.7.48.1.1");
        assert_eq!(ID_PKIX_OCSP_NONCE.to_string(), "1.3.6.1.5.5.7.48.1.2");
        assert_eq!(ID_PKIX_OCSP_NOCHECK.to_string(), "1.3.6.1.5.5.7.48.1.5");
        assert_eq!(ID_KP_OCSP_SIGNING.to_string(), "1.3.6.1.5.5.7.3.9");
        assert_eq!(BasicOcspResponse::OID, ID_PKIX_OCSP_BASIC);
        assert_eq!(Nonce::OID, ID_PKIX_OCSP_NONCE);
    }

    #[test]
    fn cert_status_wire_tags() {
        // good [0] IMPLICIT NULL: primitive, empty.
        assert_eq!(round_trip(&CertStatus::Good(Null)), [0x80, 0x00]);
        // unknown [2] IMPLICIT NULL: primitive, empty.
        assert_eq!(round_trip(&CertStatus::Unknown(Null)), [0x82, 0x00]);
        // revoked [1] IMPLICIT RevokedInfo: constructed, SEQUENCE tag replaced.
        let revoked = CertStatus::Revoked(RevokedInfo {
            revocation_time: time(2026, 1, 1, 12, 0, 0),
            revocation_reason: Some(CrlReason::KeyCompromise),
        });
        let der = round_trip(&revoked);
        let mut expected = vec![0xA1, 0x16, 0x18, 0x0F];
        expected.extend_from_slice(b"20260101120000Z");
        expected.extend_from_slice(&[0xA0, 0x03, 0x0A, 0x01, 0x01]);
        assert_eq!(der, expected);
        // Without a reason.
        let revoked = CertStatus::Revoked(RevokedInfo {
            revocation_time: time(2026, 1, 1, 12, 0, 0),
            revocation_reason: None,
        });
        assert_eq!(round_trip(&revoked)[..2], [0xA1, 0x11]);
    }

    #[test]
    fn cert_status_rejects_wrong_constructed_bit() {
        // revoked with a primitive [1] tag, good/unknown with constructed tags.
        let mut bad = vec![0x81, 0x11, 0x18, 0x0F];
        bad.extend_from_slice(b"20260101120000Z");
        assert!(CertStatus::from_der(&bad).is_err());
        assert!(CertStatus::from_der(&[0xA0, 0x00]).is_err());
        assert!(CertStatus::from_der(&[0xA2, 0x00]).is_err());
        // NULL must be empty.
        assert!(CertStatus::from_der(&[0x80, 0x01, 0x00]).is_err());
        // Unassigned alternative.
        assert!(CertStatus::from_der(&[0x83, 0x00]).is_err());
    }

    #[test]
    fn response_status_round_trip() {
        for (status, byte) in [
            (OcspResponseStatus::Successful, 0),
            (OcspResponseStatus::MalformedRequest, 1),
            (OcspResponseStatus::InternalError, 2),
            (OcspResponseStatus::TryLater, 3),
            (OcspResponseStatus::SigRequired, 5),
            (OcspResponseStatus::Unauthorized, 6),
        ] {
            assert_eq!(round_trip(&status), [0x0A, 0x01, byte]);
        }
        assert!(OcspResponseStatus::from_der(&[0x0A, 0x01, 0x04]).is_err());
        // INTEGER is not ENUMERATED.
        assert!(OcspResponseStatus::from_der(&[0x02, 0x01, 0x00]).is_err());
    }

    #[test]
    fn error_response_encoding() {
        for (status, byte) in [
            (OcspResponseStatus::MalformedRequest, 1),
            (OcspResponseStatus::InternalError, 2),
            (OcspResponseStatus::TryLater, 3),
            (OcspResponseStatus::SigRequired, 5),
            (OcspResponseStatus::Unauthorized, 6),
        ] {
            let resp = OcspResponse::error(status);
            assert_eq!(resp.response_bytes, None);
            assert_eq!(round_trip(&resp), [0x30, 0x03, 0x0A, 0x01, byte]);
            assert!(BasicOcspResponse::from_response(&resp).is_err());
        }
    }

    #[test]
    fn version_default_is_omitted_and_explicit_v1_accepted() {
        let tbs = TbsRequest {
            version: Version::V1,
            requestor_name: None,
            request_list: vec![],
            request_extensions: None,
        };
        assert_eq!(round_trip(&tbs), [0x30, 0x02, 0x30, 0x00]);
        // A BER-style explicit `[0] { INTEGER 0 }` decodes to v1.
        let explicit = [0x30, 0x07, 0xA0, 0x03, 0x02, 0x01, 0x00, 0x30, 0x00];
        assert_eq!(TbsRequest::from_der(&explicit).unwrap(), tbs);
        // Unknown version.
        let v2 = [0x30, 0x07, 0xA0, 0x03, 0x02, 0x01, 0x01, 0x30, 0x00];
        assert!(TbsRequest::from_der(&v2).is_err());
    }

    #[test]
    fn request_types_round_trip() {
        round_trip(&cert_id(1));
        let request = Request {
            req_cert: cert_id(0x1001),
            single_request_extensions: Some(vec![Extension {
                extn_id: ID_PKIX_OCSP_NOCHECK,
                critical: false,
                extn_value: OctetString::new([0x05, 0x00]).unwrap(),
            }]),
        };
        round_trip(&request);
        let signature = Signature {
            signature_algorithm: AlgorithmIdentifierOwned {
                oid: ECDSA_SHA256,
                parameters: None,
            },
            signature: BitString::from_bytes(&[1, 2, 3]).unwrap(),
            certs: Some(vec![]),
        };
        round_trip(&signature);
        let nonce = Nonce::new(&[0xAB; 32]).unwrap();
        round_trip(&nonce);
        let req = OcspRequest {
            tbs_request: TbsRequest {
                version: Version::V1,
                requestor_name: Some(GeneralName::DirectoryName(name("CN=requestor,O=hpki"))),
                request_list: vec![
                    request,
                    Request {
                        req_cert: cert_id(0x1002),
                        single_request_extensions: None,
                    },
                ],
                request_extensions: Some(vec![nonce.to_extension().unwrap()]),
            },
            optional_signature: Some(signature),
        };
        let der = round_trip(&req);
        let back = OcspRequest::from_der(&der).unwrap();
        assert_eq!(back.nonce(), Some(&[0xAB; 32][..]));
        assert_eq!(back.nonce_extension(), Some(&nonce.to_extension().unwrap()));
    }

    #[test]
    fn response_types_round_trip() {
        round_trip(&ResponderId::ByName(name("CN=responder,O=hpki")));
        let by_key = round_trip(&ResponderId::ByKey(OctetString::new([0x33; 20]).unwrap()));
        assert_eq!(by_key[..4], [0xA2, 0x16, 0x04, 0x14]);
        round_trip(&RevokedInfo {
            revocation_time: time(2025, 12, 31, 23, 59, 59),
            revocation_reason: Some(CrlReason::AaCompromise),
        });
        let singles = vec![
            single(CertStatus::Good(Null)),
            single(CertStatus::Unknown(Null)),
            SingleResponse {
                next_update: None,
                single_extensions: Some(vec![]),
                ..single(CertStatus::Revoked(RevokedInfo {
                    revocation_time: time(2026, 1, 1, 0, 0, 0),
                    revocation_reason: None,
                }))
            },
        ];
        for s in &singles {
            round_trip(s);
        }
        let basic = basic(singles);
        round_trip(&basic.tbs_response_data);
        round_trip(&basic);
        assert_eq!(basic.tbs_response_data.nonce(), Some(&[7; 16][..]));

        let resp = OcspResponse::successful(&basic).unwrap();
        let bytes = resp.response_bytes.as_ref().unwrap();
        assert_eq!(bytes.response_type, ID_PKIX_OCSP_BASIC);
        assert_eq!(bytes.response.as_bytes(), basic.to_der().unwrap());
        round_trip(bytes);
        let der = round_trip(&resp);
        let back = OcspResponse::from_der(&der).unwrap();
        assert_eq!(BasicOcspResponse::from_response(&back).unwrap(), basic);
    }

    #[test]
    fn from_response_rejects_other_response_types() {
        let resp = OcspResponse {
            response_status: OcspResponseStatus::Successful,
            response_bytes: Some(ResponseBytes {
                response_type: ID_PKIX_OCSP_NONCE,
                response: OctetString::new(basic(vec![]).to_der().unwrap()).unwrap(),
            }),
        };
        let err = BasicOcspResponse::from_response(&resp).unwrap_err();
        assert!(matches!(err.kind(), ErrorKind::OidUnknown { .. }));
        let missing = OcspResponse {
            response_status: OcspResponseStatus::Successful,
            response_bytes: None,
        };
        assert!(BasicOcspResponse::from_response(&missing).is_err());
        let garbage = OcspResponse {
            response_status: OcspResponseStatus::Successful,
            response_bytes: Some(ResponseBytes {
                response_type: ID_PKIX_OCSP_BASIC,
                response: OctetString::new([0x30, 0x00]).unwrap(),
            }),
        };
        assert!(BasicOcspResponse::from_response(&garbage).is_err());
    }

    #[test]
    fn nonce_forms() {
        assert!(Nonce::new(&[]).is_err());
        assert!(Nonce::new(&[0; 33]).is_err());
        let ext = Nonce::new(&[1, 2, 3]).unwrap().to_extension().unwrap();
        assert_eq!(ext.extn_value.as_bytes(), [0x04, 0x03, 1, 2, 3]);
        assert!(!ext.critical);
        assert_eq!(nonce_value(&ext), [1, 2, 3]);
        // Legacy raw nonce (not wrapped in an OCTET STRING): returned as is.
        let raw = Extension {
            extn_id: ID_PKIX_OCSP_NONCE,
            critical: false,
            extn_value: OctetString::new([0xDE, 0xAD, 0xBE, 0xEF]).unwrap(),
        };
        assert_eq!(nonce_value(&raw), [0xDE, 0xAD, 0xBE, 0xEF]);
        // An OCTET STRING followed by trailing bytes is not a DER nonce either.
        let trailing = Extension {
            extn_value: OctetString::new([0x04, 0x01, 0xAA, 0xBB]).unwrap(),
            ..raw
        };
        assert_eq!(nonce_value(&trailing), [0x04, 0x01, 0xAA, 0xBB]);
    }

    #[test]
    fn openssl_request_with_nonce() {
        let req = OcspRequest::from_der(REQ_NONCE).unwrap();
        assert_eq!(req.to_der().unwrap(), REQ_NONCE);
        let tbs = &req.tbs_request;
        assert_eq!(tbs.version, Version::V1);
        assert_eq!(tbs.requestor_name, None);
        assert_eq!(tbs.request_list.len(), 1);
        let id = &tbs.request_list[0].req_cert;
        assert_eq!(id.hash_algorithm.oid, SHA1);
        assert_eq!(id.serial_number.as_bytes(), [0x10, 0x01]);
        let nonce = req.nonce().unwrap();
        assert_eq!(nonce.len(), 16);
        let ext = req.nonce_extension().unwrap();
        assert_eq!(ext.extn_value.as_bytes()[..2], [0x04, 0x10]);
        assert_eq!(ext.extn_value.as_bytes()[2..], *nonce);
    }

    #[test]
    fn openssl_signed_request() {
        let req = OcspRequest::from_der(REQ_SIGNED).unwrap();
        assert_eq!(req.to_der().unwrap(), REQ_SIGNED);
        let Some(GeneralName::DirectoryName(requestor)) = &req.tbs_request.requestor_name else {
            panic!("requestorName is not a directoryName");
        };
        // RFC 4514 strings list the last RDN first.
        assert_eq!(requestor.to_string(), "O=hpki,CN=good.example");
        let sig = req.optional_signature.as_ref().unwrap();
        assert_eq!(sig.signature_algorithm.oid, ECDSA_SHA256);
        let certs = sig.certs.as_ref().unwrap();
        assert_eq!(certs.len(), 1);
        assert_eq!(&certs[0].tbs_certificate().subject(), &requestor);
        assert!(req.nonce().is_some());
    }

    #[test]
    fn openssl_responses_decode_and_reencode() {
        for der in [RESP_GOOD, RESP_REVOKED, RESP_KEYID] {
            let resp = OcspResponse::from_der(der).unwrap();
            assert_eq!(resp.to_der().unwrap(), der);
            let basic = BasicOcspResponse::from_response(&resp).unwrap();
            let inner = resp.response_bytes.as_ref().unwrap().response.as_bytes();
            assert_eq!(basic.to_der().unwrap(), inner);
            // Rebuilding the envelope from the decoded basic response is
            // byte-identical too.
            assert_eq!(
                OcspResponse::successful(&basic).unwrap().to_der().unwrap(),
                der
            );
        }
    }

    #[test]
    fn openssl_revoked_response() {
        let resp = OcspResponse::from_der(RESP_REVOKED).unwrap();
        let basic = BasicOcspResponse::from_response(&resp).unwrap();
        let single = &basic.tbs_response_data.responses[0];
        assert_eq!(single.cert_id.serial_number.as_bytes(), [0x10, 0x02]);
        assert_eq!(
            single.cert_status,
            CertStatus::Revoked(RevokedInfo {
                revocation_time: time(2026, 1, 1, 12, 0, 0),
                revocation_reason: Some(CrlReason::KeyCompromise),
            })
        );
        assert_eq!(single.next_update, None);
    }

    #[test]
    fn openssl_key_id_response() {
        let resp = OcspResponse::from_der(RESP_KEYID).unwrap();
        let basic = BasicOcspResponse::from_response(&resp).unwrap();
        let data = &basic.tbs_response_data;
        let ResponderId::ByKey(hash) = &data.responder_id else {
            panic!("responderID is not byKey");
        };
        assert_eq!(hash.as_bytes().len(), 20);
        assert_eq!(basic.certs, None);
        assert_eq!(data.nonce(), None);
        let statuses: Vec<_> = data.responses.iter().map(|r| &r.cert_status).collect();
        assert!(matches!(
            statuses[..],
            [CertStatus::Good(_), CertStatus::Revoked(_)]
        ));
    }
}
