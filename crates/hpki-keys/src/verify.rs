//! Signature verification with aws-lc-rs, for checking CSRs and the CA's own output.

use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_ASN1, ECDSA_P256_SHA384_ASN1, ECDSA_P256_SHA512_ASN1, ECDSA_P384_SHA256_ASN1,
    ECDSA_P384_SHA384_ASN1, ECDSA_P384_SHA512_ASN1, ECDSA_P521_SHA256_ASN1, ECDSA_P521_SHA384_ASN1,
    ECDSA_P521_SHA512_ASN1, RSA_PKCS1_2048_8192_SHA256, UnparsedPublicKey, VerificationAlgorithm,
};
use der::Decode;
use spki::SubjectPublicKeyInfoRef;

use crate::{KeyError, SignatureAlgorithm};

const SECP256R1: &str = "1.2.840.10045.3.1.7";
const SECP384R1: &str = "1.3.132.0.34";
const SECP521R1: &str = "1.3.132.0.35";

/// Verify `signature` over `message` with the key in `spki_der` (a DER SubjectPublicKeyInfo).
pub fn verify_signature(
    spki_der: &[u8],
    algorithm: SignatureAlgorithm,
    message: &[u8],
    signature: &[u8],
) -> Result<(), KeyError> {
    let spki = SubjectPublicKeyInfoRef::from_der(spki_der)?;
    let key_bytes = spki.subject_public_key.raw_bytes();
    // For ECDSA the signature OID names only the hash; the curve is the key's (RFC 5480 §2.1.1.1).
    let curve = spki
        .algorithm
        .parameters
        .and_then(|p| p.decode_as::<spki::ObjectIdentifier>().ok())
        .map(|oid| oid.to_string());
    use SignatureAlgorithm::*;
    let alg: &'static dyn VerificationAlgorithm = match (algorithm, curve.as_deref()) {
        (RsaPkcs1Sha256, _) => &RSA_PKCS1_2048_8192_SHA256,
        (EcdsaSha256, Some(SECP256R1)) => &ECDSA_P256_SHA256_ASN1,
        (EcdsaSha384, Some(SECP256R1)) => &ECDSA_P256_SHA384_ASN1,
        (EcdsaSha512, Some(SECP256R1)) => &ECDSA_P256_SHA512_ASN1,
        (EcdsaSha256, Some(SECP384R1)) => &ECDSA_P384_SHA256_ASN1,
        (EcdsaSha384, Some(SECP384R1)) => &ECDSA_P384_SHA384_ASN1,
        (EcdsaSha512, Some(SECP384R1)) => &ECDSA_P384_SHA512_ASN1,
        (EcdsaSha256, Some(SECP521R1)) => &ECDSA_P521_SHA256_ASN1,
        (EcdsaSha384, Some(SECP521R1)) => &ECDSA_P521_SHA384_ASN1,
        (EcdsaSha512, Some(SECP521R1)) => &ECDSA_P521_SHA512_ASN1,
        _ => {
            return Err(KeyError::Unsupported(format!(
                "{algorithm:?} with curve {curve:?}"
            )));
        }
    };
    // aws-lc-rs takes the RSAPublicKey / EC point itself, not the SPKI wrapper.
    UnparsedPublicKey::new(alg, key_bytes)
        .verify(message, signature)
        .map_err(|_| KeyError::BadSignature)
}
