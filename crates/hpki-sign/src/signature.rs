//! Verification of a signature value, by the signature `AlgorithmIdentifier` of a CMS
//! SignerInfo (RFC 5652 §5.3) or a certificate, with aws-lc-rs.
//!
//! | signatureAlgorithm | key | hash |
//! |---|---|---|
//! | `rsaEncryption` (RFC 3370 §3.2) | RSA 2048–8192 | the SignerInfo's `digestAlgorithm` |
//! | `sha{256,384,512}WithRSAEncryption` (RFC 4055 §5) | RSA 2048–8192 | from the OID |
//! | `ecdsa-with-SHA{256,384,512}` (RFC 5758 §3.2) | P-256, P-384, P-521 (RFC 5480) | from the OID |
//!
//! RSASSA-PSS and RSA keys under 2048 bits are refused (HPKI signs with PKCS#1 v1.5, RSA 2048
//! or more).

use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_ASN1, ECDSA_P256_SHA384_ASN1, ECDSA_P256_SHA512_ASN1, ECDSA_P384_SHA256_ASN1,
    ECDSA_P384_SHA384_ASN1, ECDSA_P384_SHA512_ASN1, ECDSA_P521_SHA256_ASN1, ECDSA_P521_SHA384_ASN1,
    ECDSA_P521_SHA512_ASN1, RSA_PKCS1_2048_8192_SHA256, RSA_PKCS1_2048_8192_SHA384,
    RSA_PKCS1_2048_8192_SHA512, UnparsedPublicKey, VerificationAlgorithm,
};
use der::asn1::ObjectIdentifier;
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};

use crate::{DigestAlgorithm, SignError};

use const_oid::db::rfc5912::{
    ECDSA_WITH_SHA_256, ECDSA_WITH_SHA_384, ECDSA_WITH_SHA_512, ID_EC_PUBLIC_KEY, RSA_ENCRYPTION,
    SECP_256_R_1, SECP_384_R_1, SECP_521_R_1, SHA_256_WITH_RSA_ENCRYPTION,
    SHA_384_WITH_RSA_ENCRYPTION, SHA_512_WITH_RSA_ENCRYPTION,
};

enum KeyType {
    Rsa,
    Ec(ObjectIdentifier),
}

fn key_type(spki: &SubjectPublicKeyInfoOwned) -> Result<KeyType, SignError> {
    if spki.algorithm.oid == RSA_ENCRYPTION {
        return Ok(KeyType::Rsa);
    }
    if spki.algorithm.oid == ID_EC_PUBLIC_KEY {
        let curve = spki
            .algorithm
            .parameters
            .as_ref()
            .and_then(|p| p.decode_as::<ObjectIdentifier>().ok())
            .ok_or_else(|| {
                SignError::UnsupportedSignatureAlgorithm("EC key without named curve".into())
            })?;
        return Ok(KeyType::Ec(curve));
    }
    Err(SignError::UnsupportedSignatureAlgorithm(format!(
        "public key {}",
        spki.algorithm.oid
    )))
}

/// The hash a signature algorithm identifier names; for `rsaEncryption`, `digest`.
fn signature_hash(
    signature_algorithm: &AlgorithmIdentifierOwned,
    digest: DigestAlgorithm,
) -> Result<(bool, DigestAlgorithm), SignError> {
    let oid = signature_algorithm.oid;
    let rsa = [
        (SHA_256_WITH_RSA_ENCRYPTION, DigestAlgorithm::Sha256),
        (SHA_384_WITH_RSA_ENCRYPTION, DigestAlgorithm::Sha384),
        (SHA_512_WITH_RSA_ENCRYPTION, DigestAlgorithm::Sha512),
    ];
    let ecdsa = [
        (ECDSA_WITH_SHA_256, DigestAlgorithm::Sha256),
        (ECDSA_WITH_SHA_384, DigestAlgorithm::Sha384),
        (ECDSA_WITH_SHA_512, DigestAlgorithm::Sha512),
    ];
    if oid == RSA_ENCRYPTION {
        return Ok((true, digest));
    }
    if let Some((_, h)) = rsa.iter().find(|(o, _)| *o == oid) {
        return Ok((true, *h));
    }
    if let Some((_, h)) = ecdsa.iter().find(|(o, _)| *o == oid) {
        return Ok((false, *h));
    }
    Err(SignError::UnsupportedSignatureAlgorithm(oid.to_string()))
}

/// Verify `signature` over `message` with the key `spki`, for the signature algorithm
/// `signature_algorithm` (and, for `rsaEncryption`, the hash `digest`).
///
/// # Errors
/// [`SignError::UnsupportedSignatureAlgorithm`] for an algorithm or key outside the table
/// above (or a key that does not fit the algorithm); [`SignError::BadSignature`] when the
/// signature does not verify.
pub fn verify_signature(
    spki: &SubjectPublicKeyInfoOwned,
    signature_algorithm: &AlgorithmIdentifierOwned,
    digest: DigestAlgorithm,
    message: &[u8],
    signature: &[u8],
) -> Result<(), SignError> {
    let (is_rsa, hash) = signature_hash(signature_algorithm, digest)?;
    use DigestAlgorithm::*;
    let alg: &'static dyn VerificationAlgorithm = match (key_type(spki)?, is_rsa, hash) {
        (KeyType::Rsa, true, Sha256) => &RSA_PKCS1_2048_8192_SHA256,
        (KeyType::Rsa, true, Sha384) => &RSA_PKCS1_2048_8192_SHA384,
        (KeyType::Rsa, true, Sha512) => &RSA_PKCS1_2048_8192_SHA512,
        (KeyType::Ec(c), false, h) => match (c, h) {
            (c, Sha256) if c == SECP_256_R_1 => &ECDSA_P256_SHA256_ASN1,
            (c, Sha384) if c == SECP_256_R_1 => &ECDSA_P256_SHA384_ASN1,
            (c, Sha512) if c == SECP_256_R_1 => &ECDSA_P256_SHA512_ASN1,
            (c, Sha256) if c == SECP_384_R_1 => &ECDSA_P384_SHA256_ASN1,
            (c, Sha384) if c == SECP_384_R_1 => &ECDSA_P384_SHA384_ASN1,
            (c, Sha512) if c == SECP_384_R_1 => &ECDSA_P384_SHA512_ASN1,
            (c, Sha256) if c == SECP_521_R_1 => &ECDSA_P521_SHA256_ASN1,
            (c, Sha384) if c == SECP_521_R_1 => &ECDSA_P521_SHA384_ASN1,
            (c, Sha512) if c == SECP_521_R_1 => &ECDSA_P521_SHA512_ASN1,
            (c, _) => {
                return Err(SignError::UnsupportedSignatureAlgorithm(format!(
                    "ECDSA on curve {c}"
                )));
            }
        },
        _ => {
            return Err(SignError::UnsupportedSignatureAlgorithm(format!(
                "{} with key {}",
                signature_algorithm.oid, spki.algorithm.oid
            )));
        }
    };
    UnparsedPublicKey::new(alg, spki.subject_public_key.raw_bytes())
        .verify(message, signature)
        .map_err(|_| SignError::BadSignature)
}
