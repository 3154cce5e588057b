//! The signature algorithms hpki signs with, and their `AlgorithmIdentifier`s.

use der::asn1::Null;
use spki::{AlgorithmIdentifierOwned, ObjectIdentifier};

/// `sha256WithRSAEncryption` (RFC 4055 §5).
pub const SHA256_WITH_RSA_ENCRYPTION: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11");
/// `ecdsa-with-SHA384` (RFC 5758 §3.2).
pub const ECDSA_WITH_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.3");
/// `ecdsa-with-SHA512` (RFC 5758 §3.2).
pub const ECDSA_WITH_SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.4");
/// `ecdsa-with-SHA256` (RFC 5758 §3.2).
pub const ECDSA_WITH_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");

/// A signature algorithm hpki issues with. HPKI requires RSA 2048 or larger with SHA-256
/// (MHLW HPKI CP); P-256 is accepted for subscriber keys.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub enum SignatureAlgorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    RsaPkcs1Sha256,
    /// ECDSA with SHA-256 (`ecdsa-with-SHA256`); the curve is the key's. Signature DER-encoded.
    EcdsaSha256,
    /// ECDSA with SHA-384 (`ecdsa-with-SHA384`); accepted on subscriber CSRs.
    EcdsaSha384,
    /// ECDSA with SHA-512 (`ecdsa-with-SHA512`); accepted on subscriber CSRs.
    EcdsaSha512,
}

impl SignatureAlgorithm {
    /// The `AlgorithmIdentifier` for `signatureAlgorithm` fields. RFC 4055 §5 requires NULL
    /// parameters for RSA; RFC 5758 §3.2 requires absent parameters for ECDSA.
    pub fn algorithm_identifier(self) -> AlgorithmIdentifierOwned {
        match self {
            SignatureAlgorithm::RsaPkcs1Sha256 => AlgorithmIdentifierOwned {
                oid: SHA256_WITH_RSA_ENCRYPTION,
                parameters: Some(Null.into()),
            },
            SignatureAlgorithm::EcdsaSha256 => AlgorithmIdentifierOwned {
                oid: ECDSA_WITH_SHA256,
                parameters: None,
            },
            SignatureAlgorithm::EcdsaSha384 => AlgorithmIdentifierOwned {
                oid: ECDSA_WITH_SHA384,
                parameters: None,
            },
            SignatureAlgorithm::EcdsaSha512 => AlgorithmIdentifierOwned {
                oid: ECDSA_WITH_SHA512,
                parameters: None,
            },
        }
    }

    /// Recognise a signature `AlgorithmIdentifier`.
    pub fn from_oid(oid: &ObjectIdentifier) -> Option<Self> {
        if *oid == SHA256_WITH_RSA_ENCRYPTION {
            Some(SignatureAlgorithm::RsaPkcs1Sha256)
        } else if *oid == ECDSA_WITH_SHA256 {
            Some(SignatureAlgorithm::EcdsaSha256)
        } else if *oid == ECDSA_WITH_SHA384 {
            Some(SignatureAlgorithm::EcdsaSha384)
        } else if *oid == ECDSA_WITH_SHA512 {
            Some(SignatureAlgorithm::EcdsaSha512)
        } else {
            None
        }
    }
}
