//! Subject public keys HPKI accepts: RSA with a modulus of at least 2048 bits (MHLW HPKI CP),
//! or ECDSA on P-256, P-384 or P-521 (NIST curves of at least 256 bits).

use der::Decode;
use hpki_asn1::rsa::RsaPublicKey;
use hpki_text::{Localized, Text};
use spki::{ObjectIdentifier, SubjectPublicKeyInfoOwned};

/// `rsaEncryption` (RFC 8017).
pub const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
/// `id-ecPublicKey` (RFC 5480).
pub const EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
/// `secp256r1` (RFC 5480).
pub const SECP256R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
/// `secp384r1` (RFC 5480).
pub const SECP384R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
/// `secp521r1` (RFC 5480).
pub const SECP521R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.35");

/// Smallest RSA modulus accepted.
pub const MIN_RSA_BITS: usize = 2048;

/// What a subject public key is.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub enum KeyType {
    /// RSA with this many modulus bits.
    Rsa(usize),
    /// ECDSA P-256.
    P256,
    /// ECDSA P-384.
    P384,
    /// ECDSA P-521.
    P521,
}

/// Why a subject public key is refused.
#[derive(Debug, Eq, PartialEq, thiserror::Error)]
pub enum KeyError {
    /// RSA modulus too small.
    #[error("RSA key of {0} bits is too small: at least 2048 bits are required")]
    RsaTooSmall(usize),
    /// An elliptic curve other than P-256.
    #[error("unsupported elliptic curve {0} (P-256, P-384 or P-521)")]
    UnsupportedCurve(String),
    /// Neither RSA nor EC.
    #[error("unsupported key algorithm {0}")]
    UnsupportedAlgorithm(String),
    /// The key could not be parsed.
    #[error("malformed public key")]
    Malformed,
}

impl Localized for KeyError {
    fn text(&self) -> Text {
        match self {
            KeyError::RsaTooSmall(f0) => Text::new(
                format!("RSA鍵長{f0}ビットは短すぎます（2048ビット以上が必要）"),
                format!("RSA key of {f0} bits is too small: at least 2048 bits are required"),
            ),
            KeyError::UnsupportedCurve(f0) => Text::new(
                format!("対応していない楕円曲線です（{f0}。P-256・P-384・P-521のみ）"),
                format!("unsupported elliptic curve {f0} (P-256, P-384 or P-521)"),
            ),
            KeyError::UnsupportedAlgorithm(f0) => Text::new(
                format!("対応していない鍵アルゴリズムです（{f0}）"),
                format!("unsupported key algorithm {f0}"),
            ),
            KeyError::Malformed => Text::new("公開鍵の形式が不正です", "malformed public key"),
        }
    }
}

/// Classify a subject public key and refuse the ones HPKI does not allow.
pub fn check_subject_public_key(spki: &SubjectPublicKeyInfoOwned) -> Result<KeyType, KeyError> {
    let oid = spki.algorithm.oid;
    if oid == RSA_ENCRYPTION {
        let bytes = spki
            .subject_public_key
            .as_bytes()
            .ok_or(KeyError::Malformed)?;
        let rsa = RsaPublicKey::from_der(bytes).map_err(|_| KeyError::Malformed)?;
        let bits = rsa.modulus_bits();
        if bits < MIN_RSA_BITS {
            return Err(KeyError::RsaTooSmall(bits));
        }
        Ok(KeyType::Rsa(bits))
    } else if oid == EC_PUBLIC_KEY {
        let curve = spki
            .algorithm
            .parameters
            .as_ref()
            .and_then(|p| p.decode_as::<ObjectIdentifier>().ok())
            .ok_or(KeyError::Malformed)?;
        if curve == SECP256R1 {
            Ok(KeyType::P256)
        } else if curve == SECP384R1 {
            Ok(KeyType::P384)
        } else if curve == SECP521R1 {
            Ok(KeyType::P521)
        } else {
            Err(KeyError::UnsupportedCurve(curve.to_string()))
        }
    } else {
        Err(KeyError::UnsupportedAlgorithm(oid.to_string()))
    }
}
