//! Signature verification of certificates, CRLs and OCSP responses with aws-lc-rs.
//!
//! The algorithm is named by the signed object's `signatureAlgorithm` (RFC 5280 §4.1.1.2) and
//! the key by the issuer's `SubjectPublicKeyInfo`. Accepted:
//!
//! | signature algorithm | key | reference |
//! |---|---|---|
//! | `sha256WithRSAEncryption`, `sha384WithRSAEncryption`, `sha512WithRSAEncryption` | RSA 2048–8192 bits | RFC 4055 §5 (parameters NULL or absent) |
//! | `ecdsa-with-SHA256`, `ecdsa-with-SHA384`, `ecdsa-with-SHA512` | P-256, P-384, P-521 | RFC 5758 §3.2, RFC 5480 §2.1.1.1 (no parameters) |
//!
//! The MHLW HPKI root and the JMA CAs sign with `sha256WithRSAEncryption` (MHLW HPKI CP).
//! SHA-1 signatures, RSASSA-PSS and DSA are refused as unsupported: HPKI does not use them.
//! The mathematics is aws-lc-rs's; this module only maps identifiers to its algorithms.

use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_ASN1, ECDSA_P256_SHA384_ASN1, ECDSA_P256_SHA512_ASN1, ECDSA_P384_SHA256_ASN1,
    ECDSA_P384_SHA384_ASN1, ECDSA_P384_SHA512_ASN1, ECDSA_P521_SHA256_ASN1, ECDSA_P521_SHA384_ASN1,
    ECDSA_P521_SHA512_ASN1, RSA_PKCS1_2048_8192_SHA256, RSA_PKCS1_2048_8192_SHA384,
    RSA_PKCS1_2048_8192_SHA512, UnparsedPublicKey, VerificationAlgorithm,
};
use const_oid::ObjectIdentifier;
use der::asn1::BitString;
use hpki_text::{Localized, Text};
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};

/// `rsaEncryption` (RFC 8017 §A.1).
const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
/// `sha256WithRSAEncryption` (RFC 4055 §5).
const SHA256_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11");
/// `sha384WithRSAEncryption` (RFC 4055 §5).
const SHA384_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.12");
/// `sha512WithRSAEncryption` (RFC 4055 §5).
const SHA512_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.13");
/// `id-ecPublicKey` (RFC 5480 §2.1.1).
const EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
/// `ecdsa-with-SHA256` (RFC 5758 §3.2).
const ECDSA_WITH_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
/// `ecdsa-with-SHA384` (RFC 5758 §3.2).
const ECDSA_WITH_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.3");
/// `ecdsa-with-SHA512` (RFC 5758 §3.2).
const ECDSA_WITH_SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.4");
/// `secp256r1` (RFC 5480 §2.1.1.1).
const SECP256R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
/// `secp384r1` (RFC 5480 §2.1.1.1).
const SECP384R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
/// `secp521r1` (RFC 5480 §2.1.1.1).
const SECP521R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.35");

/// Why a signature was not accepted.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The algorithm, or its combination with the key, is not one hpki accepts.
    #[error("unsupported signature algorithm {algorithm} for a {key} key")]
    Unsupported {
        /// The signature algorithm OID.
        algorithm: String,
        /// The key algorithm (and curve) OID.
        key: String,
    },
    /// The signature does not verify with the key.
    #[error("the signature does not verify")]
    Invalid,
}

impl Localized for SignatureError {
    fn text(&self) -> Text {
        match self {
            SignatureError::Unsupported { algorithm, key } => Text::new(
                format!("{key} 鍵の署名アルゴリズム {algorithm} には対応していません"),
                format!("unsupported signature algorithm {algorithm} for a {key} key"),
            ),
            SignatureError::Invalid => {
                Text::new("署名を検証できません", "the signature does not verify")
            }
        }
    }
}

/// The aws-lc-rs algorithm for a signature `algorithm` and the signer's key, or why there is none.
fn select(
    key: &SubjectPublicKeyInfoOwned,
    algorithm: &AlgorithmIdentifierOwned,
) -> Result<&'static dyn VerificationAlgorithm, SignatureError> {
    let unsupported = || {
        let curve = key
            .algorithm
            .parameters
            .as_ref()
            .and_then(|p| p.decode_as::<ObjectIdentifier>().ok())
            .map(|c| format!(" ({c})"))
            .unwrap_or_default();
        SignatureError::Unsupported {
            algorithm: algorithm.oid.to_string(),
            key: format!("{}{curve}", key.algorithm.oid),
        }
    };
    // RFC 4055 §5: the RSA signature algorithms carry NULL parameters (absent is tolerated, as
    // every validator does); RFC 5758 §3.2: ECDSA carries none.
    let null_or_absent = algorithm
        .parameters
        .as_ref()
        .is_none_or(|p| der::Tagged::tag(p) == der::Tag::Null && p.value().is_empty());
    let rsa = |alg: &'static dyn VerificationAlgorithm| {
        if key.algorithm.oid == RSA_ENCRYPTION && null_or_absent {
            Ok(alg)
        } else {
            Err(unsupported())
        }
    };
    let curve = key
        .algorithm
        .parameters
        .as_ref()
        .and_then(|p| p.decode_as::<ObjectIdentifier>().ok());
    let ecdsa = |p256, p384, p521| -> Result<&'static dyn VerificationAlgorithm, SignatureError> {
        if key.algorithm.oid != EC_PUBLIC_KEY || algorithm.parameters.is_some() {
            return Err(unsupported());
        }
        match curve {
            Some(c) if c == SECP256R1 => Ok(p256),
            Some(c) if c == SECP384R1 => Ok(p384),
            Some(c) if c == SECP521R1 => Ok(p521),
            _ => Err(unsupported()),
        }
    };
    match algorithm.oid {
        SHA256_WITH_RSA => rsa(&RSA_PKCS1_2048_8192_SHA256),
        SHA384_WITH_RSA => rsa(&RSA_PKCS1_2048_8192_SHA384),
        SHA512_WITH_RSA => rsa(&RSA_PKCS1_2048_8192_SHA512),
        ECDSA_WITH_SHA256 => ecdsa(
            &ECDSA_P256_SHA256_ASN1,
            &ECDSA_P384_SHA256_ASN1,
            &ECDSA_P521_SHA256_ASN1,
        ),
        ECDSA_WITH_SHA384 => ecdsa(
            &ECDSA_P256_SHA384_ASN1,
            &ECDSA_P384_SHA384_ASN1,
            &ECDSA_P521_SHA384_ASN1,
        ),
        ECDSA_WITH_SHA512 => ecdsa(
            &ECDSA_P256_SHA512_ASN1,
            &ECDSA_P384_SHA512_ASN1,
            &ECDSA_P521_SHA512_ASN1,
        ),
        _ => Err(unsupported()),
    }
}

/// Whether `algorithm` with `key` is one hpki can verify (without verifying anything).
pub fn check_supported(
    key: &SubjectPublicKeyInfoOwned,
    algorithm: &AlgorithmIdentifierOwned,
) -> Result<(), SignatureError> {
    select(key, algorithm).map(|_| ())
}

/// Verify `signature` (the BIT STRING of a certificate, CRL or OCSP response) over `message` (the
/// exact DER of the signed part) with `key` and `algorithm`.
///
/// Signatures that verified are remembered for the process (at most 16,384; see
/// [`crate::memo`]): a relying party sees the same CA certificates, CRLs and OCSP responder
/// certificates in document after document, and a validation checks one path several times
/// (at the proven time, now). The memo is keyed
/// by everything the result depends on — the algorithm, the key, the signature and the SHA-256
/// of the message — so it answers exactly what verifying again would; failures are not kept.
pub fn verify(
    key: &SubjectPublicKeyInfoOwned,
    algorithm: &AlgorithmIdentifierOwned,
    message: &[u8],
    signature: &BitString,
) -> Result<(), SignatureError> {
    let alg = select(key, algorithm)?;
    // A signature value is a whole number of octets (RFC 5280 §4.1.1.3).
    let sig = signature.as_bytes().ok_or(SignatureError::Invalid)?;
    let public_key = key.subject_public_key.raw_bytes();
    let memo_key = verified_key(algorithm, public_key, sig, message);
    if crate::memo::SIGNATURES.get(&memo_key).is_some() {
        return Ok(());
    }
    // aws-lc-rs takes the RSAPublicKey / EC point itself, not the SPKI wrapper.
    UnparsedPublicKey::new(alg, public_key)
        .verify(message, sig)
        .map_err(|_| SignatureError::Invalid)?;
    crate::memo::SIGNATURES.insert(&memo_key, ());
    Ok(())
}

/// The key of [`crate::memo::SIGNATURES`]: SHA-256 over the length-prefixed algorithm, key,
/// signature and message digest.
fn verified_key(
    algorithm: &AlgorithmIdentifierOwned,
    public_key: &[u8],
    signature: &[u8],
    message: &[u8],
) -> [u8; 32] {
    use aws_lc_rs::digest::{Context, SHA256, digest};
    let message_digest = digest(&SHA256, message);
    let algorithm = der::Encode::to_der(algorithm).unwrap_or_default();
    let mut ctx = Context::new(&SHA256);
    for part in [
        algorithm.as_slice(),
        public_key,
        signature,
        message_digest.as_ref(),
    ] {
        ctx.update(&(part.len() as u64).to_be_bytes());
        ctx.update(part);
    }
    let mut out = [0u8; 32];
    out.copy_from_slice(ctx.finish().as_ref());
    out
}

/// The signature callback registered with certval's `PkiEnvironment`: aws-lc-rs through
/// [`verify`]. An algorithm hpki does not accept is reported as `Unrecognized`, so certval fails
/// the path (no other callback is registered).
pub(crate) fn certval_verify(
    _pe: &certval::PkiEnvironment,
    message: &[u8],
    signature: &BitString,
    algorithm: &AlgorithmIdentifierOwned,
    key: &SubjectPublicKeyInfoOwned,
) -> certval::Result<()> {
    match verify(key, algorithm, message, signature) {
        Ok(()) => Ok(()),
        Err(SignatureError::Unsupported { .. }) => Err(certval::Error::Unrecognized),
        Err(SignatureError::Invalid) => Err(certval::Error::PathValidation(
            certval::PathValidationStatus::SignatureVerificationFailure,
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lc_rs::encoding::AsDer;
    use aws_lc_rs::rand::SystemRandom;
    use aws_lc_rs::rsa::{KeyPair as RsaKeyPair, KeySize};
    use aws_lc_rs::signature::{
        ECDSA_P256_SHA256_ASN1_SIGNING, ECDSA_P384_SHA384_ASN1_SIGNING,
        ECDSA_P521_SHA512_ASN1_SIGNING, EcdsaKeyPair, EcdsaSigningAlgorithm, KeyPair,
        RSA_PKCS1_SHA256, RSA_PKCS1_SHA384, RSA_PKCS1_SHA512, RsaEncoding,
    };
    use der::Decode;
    use der::asn1::{Any, Null};

    fn alg(oid: ObjectIdentifier, null: bool) -> AlgorithmIdentifierOwned {
        AlgorithmIdentifierOwned {
            oid,
            parameters: null.then(|| Any::from(Null)),
        }
    }

    fn rsa_key() -> (RsaKeyPair, SubjectPublicKeyInfoOwned) {
        let key = RsaKeyPair::generate(KeySize::Rsa2048).unwrap();
        let spki = key.public_key().as_der().unwrap();
        let spki = SubjectPublicKeyInfoOwned::from_der(spki.as_ref()).unwrap();
        (key, spki)
    }

    #[test]
    fn rsa_pkcs1_with_sha256_384_512() {
        let (key, spki) = rsa_key();
        let cases: [(&'static dyn RsaEncoding, ObjectIdentifier); 3] = [
            (&RSA_PKCS1_SHA256, SHA256_WITH_RSA),
            (&RSA_PKCS1_SHA384, SHA384_WITH_RSA),
            (&RSA_PKCS1_SHA512, SHA512_WITH_RSA),
        ];
        for (padding, oid) in cases {
            let mut sig = vec![0; key.public_modulus_len()];
            key.sign(padding, &SystemRandom::new(), b"tbs", &mut sig)
                .unwrap();
            let bits = BitString::from_bytes(&sig).unwrap();
            verify(&spki, &alg(oid, true), b"tbs", &bits).unwrap();
            // Absent parameters are tolerated (RFC 4055 says NULL; some encoders omit it).
            verify(&spki, &alg(oid, false), b"tbs", &bits).unwrap();
            assert_eq!(
                verify(&spki, &alg(oid, true), b"tbS", &bits),
                Err(SignatureError::Invalid)
            );
        }
        // The hash is part of the algorithm: a SHA-256 signature is not a SHA-512 one.
        let mut sig = vec![0; key.public_modulus_len()];
        key.sign(&RSA_PKCS1_SHA256, &SystemRandom::new(), b"tbs", &mut sig)
            .unwrap();
        assert_eq!(
            verify(
                &spki,
                &alg(SHA512_WITH_RSA, true),
                b"tbs",
                &BitString::from_bytes(&sig).unwrap()
            ),
            Err(SignatureError::Invalid)
        );
    }

    #[test]
    fn a_remembered_signature_answers_only_for_its_own_message_key_and_algorithm() {
        let (key, spki) = rsa_key();
        let (_, other_spki) = rsa_key();
        let mut sig = vec![0; key.public_modulus_len()];
        key.sign(&RSA_PKCS1_SHA256, &SystemRandom::new(), b"crl", &mut sig)
            .unwrap();
        let bits = BitString::from_bytes(&sig).unwrap();
        let sha256 = alg(SHA256_WITH_RSA, true);
        verify(&spki, &sha256, b"crl", &bits).unwrap();
        // Remembered now; the same question has the same answer.
        assert!(
            crate::memo::SIGNATURES
                .get(&verified_key(
                    &sha256,
                    spki.subject_public_key.raw_bytes(),
                    &sig,
                    b"crl"
                ))
                .is_some()
        );
        verify(&spki, &sha256, b"crl", &bits).unwrap();
        // Anything else is verified afresh, and fails.
        assert_eq!(
            verify(&spki, &sha256, b"crL", &bits),
            Err(SignatureError::Invalid)
        );
        assert_eq!(
            verify(&other_spki, &sha256, b"crl", &bits),
            Err(SignatureError::Invalid)
        );
        assert_eq!(
            verify(&spki, &alg(SHA384_WITH_RSA, true), b"crl", &bits),
            Err(SignatureError::Invalid)
        );
        let mut flipped = sig.clone();
        flipped[10] ^= 1;
        assert_eq!(
            verify(
                &spki,
                &sha256,
                b"crl",
                &BitString::from_bytes(&flipped).unwrap()
            ),
            Err(SignatureError::Invalid)
        );
    }

    #[test]
    fn ecdsa_on_the_three_nist_curves() {
        let cases: [(&'static EcdsaSigningAlgorithm, ObjectIdentifier); 3] = [
            (&ECDSA_P256_SHA256_ASN1_SIGNING, ECDSA_WITH_SHA256),
            (&ECDSA_P384_SHA384_ASN1_SIGNING, ECDSA_WITH_SHA384),
            (&ECDSA_P521_SHA512_ASN1_SIGNING, ECDSA_WITH_SHA512),
        ];
        for (signing, oid) in cases {
            let key = EcdsaKeyPair::generate(signing).unwrap();
            let spki = key.public_key().as_der().unwrap();
            let spki = SubjectPublicKeyInfoOwned::from_der(spki.as_ref()).unwrap();
            let sig = key.sign(&SystemRandom::new(), b"tbs").unwrap();
            let bits = BitString::from_bytes(sig.as_ref()).unwrap();
            verify(&spki, &alg(oid, false), b"tbs", &bits).unwrap();
            assert_eq!(
                verify(&spki, &alg(oid, false), b"other", &bits),
                Err(SignatureError::Invalid)
            );
            // RFC 5758 §3.2: ECDSA algorithm identifiers have no parameters.
            assert!(matches!(
                verify(&spki, &alg(oid, true), b"tbs", &bits),
                Err(SignatureError::Unsupported { .. })
            ));
        }
    }

    #[test]
    fn sha1_and_key_mismatch_are_unsupported() {
        let (_, spki) = rsa_key();
        let sha1_rsa = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.5");
        assert!(matches!(
            check_supported(&spki, &alg(sha1_rsa, true)),
            Err(SignatureError::Unsupported { .. })
        ));
        // An ECDSA algorithm with an RSA key.
        assert!(matches!(
            check_supported(&spki, &alg(ECDSA_WITH_SHA256, false)),
            Err(SignatureError::Unsupported { .. })
        ));
        check_supported(&spki, &alg(SHA256_WITH_RSA, true)).unwrap();
    }
}
