//! The hash algorithms of CMS signatures and time-stamps: SHA-256, SHA-384 and SHA-512
//! (FIPS 180-4), with their RFC 5754 identifiers.

use der::Tagged;
use der::asn1::ObjectIdentifier;
use hpki_keys::SignatureAlgorithm;
use sha2::Digest as _;
use spki::AlgorithmIdentifierOwned;

use crate::SignError;

/// `id-sha256` (2.16.840.1.101.3.4.2.1).
pub const ID_SHA256: ObjectIdentifier = const_oid::db::rfc5912::ID_SHA_256;
/// `id-sha384` (2.16.840.1.101.3.4.2.2).
pub const ID_SHA384: ObjectIdentifier = const_oid::db::rfc5912::ID_SHA_384;
/// `id-sha512` (2.16.840.1.101.3.4.2.3).
pub const ID_SHA512: ObjectIdentifier = const_oid::db::rfc5912::ID_SHA_512;
/// `id-sha1` (1.3.14.3.2.26): only to check ESS v1 `ESSCertID` hashes (RFC 2634 §5.4.1).
pub const ID_SHA1: ObjectIdentifier = const_oid::db::rfc5912::ID_SHA_1;

/// A hash algorithm of the SHA-2 family.
#[derive(Clone, Copy, Debug, Eq, Hash, PartialEq)]
pub enum DigestAlgorithm {
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl DigestAlgorithm {
    /// Every supported algorithm, strongest last.
    pub const ALL: [DigestAlgorithm; 3] = [
        DigestAlgorithm::Sha256,
        DigestAlgorithm::Sha384,
        DigestAlgorithm::Sha512,
    ];

    /// The algorithm's object identifier.
    pub fn oid(self) -> ObjectIdentifier {
        match self {
            DigestAlgorithm::Sha256 => ID_SHA256,
            DigestAlgorithm::Sha384 => ID_SHA384,
            DigestAlgorithm::Sha512 => ID_SHA512,
        }
    }

    /// The `AlgorithmIdentifier` with absent parameters, as RFC 5754 §2 requires of
    /// generators.
    pub fn algorithm_identifier(self) -> AlgorithmIdentifierOwned {
        AlgorithmIdentifierOwned {
            oid: self.oid(),
            parameters: None,
        }
    }

    /// Recognise an object identifier.
    pub fn from_oid(oid: &ObjectIdentifier) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.oid() == *oid)
    }

    /// Recognise an `AlgorithmIdentifier`: parameters absent or NULL (RFC 5754 §2: both
    /// MUST be accepted).
    pub fn from_algorithm_identifier(alg: &AlgorithmIdentifierOwned) -> Result<Self, SignError> {
        let params_ok = match &alg.parameters {
            None => true,
            Some(p) => p.tag() == der::Tag::Null && p.value().is_empty(),
        };
        match Self::from_oid(&alg.oid) {
            Some(a) if params_ok => Ok(a),
            _ => Err(SignError::UnsupportedDigest(alg.oid.to_string())),
        }
    }

    /// The hash a [`hpki_keys::Signer`] signs with: the digest algorithm of its SignerInfos.
    pub fn of_signature(alg: SignatureAlgorithm) -> Self {
        match alg {
            SignatureAlgorithm::RsaPkcs1Sha256 | SignatureAlgorithm::EcdsaSha256 => {
                DigestAlgorithm::Sha256
            }
            SignatureAlgorithm::EcdsaSha384 => DigestAlgorithm::Sha384,
            SignatureAlgorithm::EcdsaSha512 => DigestAlgorithm::Sha512,
        }
    }

    /// Output length in octets.
    pub fn output_len(self) -> usize {
        match self {
            DigestAlgorithm::Sha256 => 32,
            DigestAlgorithm::Sha384 => 48,
            DigestAlgorithm::Sha512 => 64,
        }
    }

    /// The hash of `data`.
    pub fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            DigestAlgorithm::Sha256 => sha2::Sha256::digest(data).to_vec(),
            DigestAlgorithm::Sha384 => sha2::Sha384::digest(data).to_vec(),
            DigestAlgorithm::Sha512 => sha2::Sha512::digest(data).to_vec(),
        }
    }

    /// The hash of the concatenation of `parts`, without concatenating them (e.g. the two byte
    /// ranges of a signed PDF).
    pub fn digest_parts(self, parts: &[&[u8]]) -> Vec<u8> {
        fn run<D: sha2::Digest>(parts: &[&[u8]]) -> Vec<u8> {
            let mut h = D::new();
            for p in parts {
                h.update(p);
            }
            h.finalize().to_vec()
        }
        match self {
            DigestAlgorithm::Sha256 => run::<sha2::Sha256>(parts),
            DigestAlgorithm::Sha384 => run::<sha2::Sha384>(parts),
            DigestAlgorithm::Sha512 => run::<sha2::Sha512>(parts),
        }
    }

    /// The short name (`sha256`…), as OpenSSL prints it.
    pub fn name(self) -> &'static str {
        match self {
            DigestAlgorithm::Sha256 => "sha256",
            DigestAlgorithm::Sha384 => "sha384",
            DigestAlgorithm::Sha512 => "sha512",
        }
    }
}

/// SHA-1 of `data`, only for ESS v1 certificate hashes (RFC 2634 §5.4.1) when verifying.
pub(crate) fn sha1_for_legacy_ess(data: &[u8]) -> Vec<u8> {
    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, data)
        .as_ref()
        .to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_answers() {
        // FIPS 180-4 examples ("abc").
        assert_eq!(
            DigestAlgorithm::Sha256.digest(b"abc")[..4],
            [0xba, 0x78, 0x16, 0xbf]
        );
        assert_eq!(
            DigestAlgorithm::Sha384.digest(b"abc")[..4],
            [0xcb, 0x00, 0x75, 0x3f]
        );
        assert_eq!(
            DigestAlgorithm::Sha512.digest(b"abc")[..4],
            [0xdd, 0xaf, 0x35, 0xa1]
        );
        for a in DigestAlgorithm::ALL {
            assert_eq!(a.digest(b"abc").len(), a.output_len());
            assert_eq!(a.digest_parts(&[b"a", b"", b"bc"]), a.digest(b"abc"));
            assert_eq!(DigestAlgorithm::from_oid(&a.oid()), Some(a));
        }
    }

    #[test]
    fn parameters_absent_or_null_only() {
        let mut id = DigestAlgorithm::Sha256.algorithm_identifier();
        assert!(DigestAlgorithm::from_algorithm_identifier(&id).is_ok());
        id.parameters = Some(der::asn1::Null.into());
        assert!(DigestAlgorithm::from_algorithm_identifier(&id).is_ok());
        id.parameters = Some(der::Any::encode_from(&1u8).unwrap());
        assert!(DigestAlgorithm::from_algorithm_identifier(&id).is_err());
        id = AlgorithmIdentifierOwned {
            oid: ID_SHA1,
            parameters: None,
        };
        assert!(matches!(
            DigestAlgorithm::from_algorithm_identifier(&id),
            Err(SignError::UnsupportedDigest(_))
        ));
    }
}
