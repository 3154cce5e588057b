//! Signature verification with aws-lc-rs, for checking CSRs and the CA's own output.

use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_ASN1, RSA_PKCS1_2048_8192_SHA256, UnparsedPublicKey, VerificationAlgorithm,
};
use der::Decode;
use spki::SubjectPublicKeyInfoRef;

use crate::{KeyError, SignatureAlgorithm};

/// Verify `signature` over `message` with the key in `spki_der` (a DER SubjectPublicKeyInfo).
pub fn verify_signature(
    spki_der: &[u8],
    algorithm: SignatureAlgorithm,
    message: &[u8],
    signature: &[u8],
) -> Result<(), KeyError> {
    let spki = SubjectPublicKeyInfoRef::from_der(spki_der)?;
    let key_bytes = spki.subject_public_key.raw_bytes();
    let alg: &'static dyn VerificationAlgorithm = match algorithm {
        SignatureAlgorithm::RsaPkcs1Sha256 => &RSA_PKCS1_2048_8192_SHA256,
        SignatureAlgorithm::EcdsaP256Sha256 => &ECDSA_P256_SHA256_ASN1,
    };
    // aws-lc-rs takes the RSAPublicKey / EC point itself, not the SPKI wrapper.
    UnparsedPublicKey::new(alg, key_bytes)
        .verify(message, signature)
        .map_err(|_| KeyError::BadSignature)
}
