//! Enhanced Security Services (ESS) signing-certificate attributes: RFC 5035 (v2, any hash)
//! and RFC 2634 Section 5.4 (v1, SHA-1).
//!
//! The signing-certificate attribute binds a CMS signature to the certificate of its signer:
//! it is a signed attribute holding the hash of that certificate, so a signature cannot be
//! passed off as made under another certificate for the same key. RFC 3161 Section 2.4.2
//! requires it in time-stamp tokens (v2 allowed by RFC 5816); CAdES requires it too.
//!
//! The types mirror the ASN.1 of [RFC 5035 Section 6] one to one (the module is
//! `DEFINITIONS IMPLICIT TAGS`; none of these types uses a tag).
//!
//! [RFC 5035 Section 6]: https://datatracker.ietf.org/doc/html/rfc5035#section-6

use const_oid::ObjectIdentifier;
use der::asn1::OctetString;
use der::{Decode, DecodeValue, Encode, EncodeValue, Header, Length, Reader, Sequence, Writer};
use spki::AlgorithmIdentifierOwned;
use x509_cert::ext::pkix::certpolicy::PolicyInformation;
use x509_cert::ext::pkix::name::GeneralNames;
use x509_cert::serial_number::SerialNumber;

/// `id-aa-signingCertificateV2` (1.2.840.113549.1.9.16.2.47) ([RFC 5035 Section 3]).
///
/// [RFC 5035 Section 3]: https://datatracker.ietf.org/doc/html/rfc5035#section-3
pub const ID_AA_SIGNING_CERTIFICATE_V2: ObjectIdentifier =
    const_oid::db::rfc5911::ID_AA_SIGNING_CERTIFICATE_V_2;

/// `id-aa-signingCertificate` (1.2.840.113549.1.9.16.2.12) ([RFC 2634 Section 5.4]).
///
/// [RFC 2634 Section 5.4]: https://datatracker.ietf.org/doc/html/rfc2634#section-5.4
pub const ID_AA_SIGNING_CERTIFICATE: ObjectIdentifier =
    const_oid::db::rfc5911::ID_AA_SIGNING_CERTIFICATE;

/// `id-sha256` (2.16.840.1.101.3.4.2.1): the default `hashAlgorithm` of an [`EssCertIdV2`].
pub const ID_SHA256: ObjectIdentifier = const_oid::db::rfc5912::ID_SHA_256;

/// The signing-certificate attribute, version 2 ([RFC 5035 Section 3]).
///
/// ```text
/// SigningCertificateV2 ::=  SEQUENCE {
///     certs        SEQUENCE OF ESSCertIDv2,
///     policies     SEQUENCE OF PolicyInformation OPTIONAL
/// }
/// ```
///
/// The first entry of `certs` identifies the signer's certificate; further entries may identify
/// the certificates of its path.
///
/// [RFC 5035 Section 3]: https://datatracker.ietf.org/doc/html/rfc5035#section-3
#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
pub struct SigningCertificateV2 {
    /// `certs`: the signer's certificate first.
    pub certs: Vec<EssCertIdV2>,

    /// `policies`: the policies under which the certificate may be used (rarely present).
    pub policies: Option<Vec<PolicyInformation>>,
}

/// A certificate identifier with any hash ([RFC 5035 Section 4]).
///
/// ```text
/// ESSCertIDv2 ::=  SEQUENCE {
///     hashAlgorithm           AlgorithmIdentifier
///            DEFAULT {algorithm id-sha256},
///     certHash                 Hash,
///     issuerSerial             IssuerSerial OPTIONAL
/// }
///
/// Hash ::= OCTET STRING
/// ```
///
/// `hash_algorithm` equal to [`EssCertIdV2::default_hash_algorithm`] (id-sha256, parameters
/// absent) is omitted from the encoding, as DER requires of a DEFAULT value.
///
/// [RFC 5035 Section 4]: https://datatracker.ietf.org/doc/html/rfc5035#section-4
///
/// (`Sequence` is implemented by hand: the derive cannot omit a DEFAULT field of a type that is
/// not `Copy`.)
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EssCertIdV2 {
    /// `hashAlgorithm DEFAULT {algorithm id-sha256}`.
    pub hash_algorithm: AlgorithmIdentifierOwned,

    /// `certHash`: the hash of the whole DER certificate.
    pub cert_hash: OctetString,

    /// `issuerSerial`: the certificate's issuer and serial number.
    pub issuer_serial: Option<IssuerSerial>,
}

impl EssCertIdV2 {
    /// `{algorithm id-sha256}`, parameters absent: the DEFAULT of `hashAlgorithm`.
    pub fn default_hash_algorithm() -> AlgorithmIdentifierOwned {
        AlgorithmIdentifierOwned {
            oid: ID_SHA256,
            parameters: None,
        }
    }

    /// `hashAlgorithm` as encoded: absent when it is the DEFAULT.
    fn encoded_hash_algorithm(&self) -> Option<&AlgorithmIdentifierOwned> {
        (self.hash_algorithm != Self::default_hash_algorithm()).then_some(&self.hash_algorithm)
    }
}

impl<'a> DecodeValue<'a> for EssCertIdV2 {
    type Error = der::Error;

    fn decode_value<R: Reader<'a>>(reader: &mut R, header: Header) -> der::Result<Self> {
        reader.read_nested(header.length(), |reader| {
            Ok(EssCertIdV2 {
                hash_algorithm: Option::<AlgorithmIdentifierOwned>::decode(reader)?
                    .unwrap_or_else(Self::default_hash_algorithm),
                cert_hash: reader.decode()?,
                issuer_serial: reader.decode()?,
            })
        })
    }
}

impl EncodeValue for EssCertIdV2 {
    fn value_len(&self) -> der::Result<Length> {
        let alg = match self.encoded_hash_algorithm() {
            Some(a) => a.encoded_len()?,
            None => Length::ZERO,
        };
        alg + self.cert_hash.encoded_len()? + self.issuer_serial.encoded_len()?
    }

    fn encode_value(&self, writer: &mut impl Writer) -> der::Result<()> {
        if let Some(a) = self.encoded_hash_algorithm() {
            a.encode(writer)?;
        }
        self.cert_hash.encode(writer)?;
        self.issuer_serial.encode(writer)
    }
}

impl<'a> Sequence<'a> for EssCertIdV2 {}

/// The signing-certificate attribute, version 1, SHA-1 only ([RFC 2634 Section 5.4]).
///
/// ```text
/// SigningCertificate ::=  SEQUENCE {
///     certs        SEQUENCE OF ESSCertID,
///     policies     SEQUENCE OF PolicyInformation OPTIONAL
/// }
/// ```
///
/// [RFC 2634 Section 5.4]: https://datatracker.ietf.org/doc/html/rfc2634#section-5.4
#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
pub struct SigningCertificate {
    /// `certs`: the signer's certificate first.
    pub certs: Vec<EssCertId>,

    /// `policies`.
    pub policies: Option<Vec<PolicyInformation>>,
}

/// A certificate identifier by SHA-1 ([RFC 2634 Section 5.4.1]).
///
/// ```text
/// ESSCertID ::=  SEQUENCE {
///      certHash                 Hash,
///      issuerSerial             IssuerSerial OPTIONAL
/// }
/// ```
///
/// [RFC 2634 Section 5.4.1]: https://datatracker.ietf.org/doc/html/rfc2634#section-5.4.1
#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
pub struct EssCertId {
    /// `certHash`: SHA-1 of the whole DER certificate.
    pub cert_hash: OctetString,

    /// `issuerSerial`.
    pub issuer_serial: Option<IssuerSerial>,
}

/// A certificate's issuer and serial number ([RFC 5035 Section 4], RFC 2634 Section 5.4.1).
///
/// ```text
/// IssuerSerial ::= SEQUENCE {
///     issuer                   GeneralNames,
///     serialNumber             CertificateSerialNumber
/// }
/// ```
///
/// `issuer` holds one `directoryName`: the certificate's issuer DN.
///
/// [RFC 5035 Section 4]: https://datatracker.ietf.org/doc/html/rfc5035#section-4
#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
pub struct IssuerSerial {
    /// `issuer`.
    pub issuer: GeneralNames,

    /// `serialNumber`.
    pub serial_number: SerialNumber,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_hash_algorithm_is_omitted_as_the_default() {
        let id = EssCertIdV2 {
            hash_algorithm: EssCertIdV2::default_hash_algorithm(),
            cert_hash: OctetString::new([0xAB; 32]).unwrap(),
            issuer_serial: None,
        };
        let der = id.to_der().unwrap();
        // SEQUENCE { OCTET STRING (32) }: no AlgorithmIdentifier.
        assert_eq!(&der[..4], &[0x30, 0x22, 0x04, 0x20]);
        assert_eq!(EssCertIdV2::from_der(&der).unwrap(), id);

        let sha384 = EssCertIdV2 {
            hash_algorithm: AlgorithmIdentifierOwned {
                oid: const_oid::db::rfc5912::ID_SHA_384,
                parameters: None,
            },
            cert_hash: OctetString::new([0xCD; 48]).unwrap(),
            issuer_serial: None,
        };
        let der = sha384.to_der().unwrap();
        assert_eq!(der[2], 0x30, "a non-default algorithm is encoded");
        assert_eq!(EssCertIdV2::from_der(&der).unwrap(), sha384);
    }
}
