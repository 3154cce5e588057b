//! RFC 5280 §4.1 `Certificate` and `TBSCertificate` with public fields.
//!
//! `x509-cert` keeps the fields of its `TbsCertificate` private and builds certificates through
//! a signer-trait builder. A CA that lints the exact to-be-signed structure and signs through an
//! HSM needs the structure itself: build a [`TbsCertificate`], lint it, sign its DER, then
//! [`Certificate::into_x509`] gives the `x509-cert` type for everything else.

use der::asn1::BitString;
use der::{Decode, Encode, Sequence};
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use x509_cert::certificate::Version;
use x509_cert::ext::Extensions;
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::Validity;

/// ```text
/// TBSCertificate  ::=  SEQUENCE  {
///     version         [0]  EXPLICIT Version DEFAULT v1,
///     serialNumber         CertificateSerialNumber,
///     signature            AlgorithmIdentifier,
///     issuer               Name,
///     validity             Validity,
///     subject              Name,
///     subjectPublicKeyInfo SubjectPublicKeyInfo,
///     extensions      [3]  EXPLICIT Extensions OPTIONAL }
/// ```
/// (The unique identifiers of v2 are never issued by hpki and left out.)
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct TbsCertificate {
    /// `version [0]`: always v3 for certificates with extensions.
    #[asn1(context_specific = "0", default = "Default::default")]
    pub version: Version,
    /// `serialNumber`.
    pub serial_number: SerialNumber,
    /// `signature`: the algorithm the issuer signs with (must equal `signatureAlgorithm`).
    pub signature: AlgorithmIdentifierOwned,
    /// `issuer`.
    pub issuer: Name,
    /// `validity`.
    pub validity: Validity,
    /// `subject`.
    pub subject: Name,
    /// `subjectPublicKeyInfo`.
    pub subject_public_key_info: SubjectPublicKeyInfoOwned,
    /// `extensions [3]`.
    #[asn1(context_specific = "3", tag_mode = "EXPLICIT", optional = "true")]
    pub extensions: Option<Extensions>,
}

/// ```text
/// Certificate  ::=  SEQUENCE  {
///     tbsCertificate       TBSCertificate,
///     signatureAlgorithm   AlgorithmIdentifier,
///     signatureValue       BIT STRING  }
/// ```
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct Certificate {
    /// `tbsCertificate`.
    pub tbs_certificate: TbsCertificate,
    /// `signatureAlgorithm`.
    pub signature_algorithm: AlgorithmIdentifierOwned,
    /// `signatureValue`.
    pub signature_value: BitString,
}

impl Certificate {
    /// Convert to the `x509-cert` type (through DER, so both agree byte for byte).
    pub fn into_x509(&self) -> der::Result<x509_cert::Certificate> {
        x509_cert::Certificate::from_der(&self.to_der()?)
    }
}
