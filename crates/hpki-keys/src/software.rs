//! Software keys (aws-lc-rs), encrypted at rest as PKCS#8.

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeyPair as RsaKeyPair, KeySize};
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair as _, RSA_PKCS1_SHA256,
};
use der::Decode;
use der::zeroize::Zeroizing;
use pkcs8::{EncryptedPrivateKeyInfoRef, LineEnding, PrivateKeyInfoRef, SecretDocument};
use spki::SubjectPublicKeyInfoOwned;

use crate::{KeyError, SignatureAlgorithm, Signer};

const ENCRYPTED_PEM_LABEL: &str = "ENCRYPTED PRIVATE KEY";

/// Kinds of software key hpki generates.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub enum KeyKind {
    /// RSA with the given modulus size (2048, 3072 or 4096 bits).
    Rsa(usize),
    /// ECDSA on P-256.
    P256,
}

enum Inner {
    Rsa(RsaKeyPair),
    P256(EcdsaKeyPair),
}

/// A private key held in process memory, loaded from or saved to an encrypted PKCS#8 file.
pub struct SoftwareKey {
    inner: Inner,
    pkcs8: Zeroizing<Vec<u8>>,
    public_key: SubjectPublicKeyInfoOwned,
    rng: SystemRandom,
}

impl SoftwareKey {
    /// Generate a new key.
    pub fn generate(kind: KeyKind) -> Result<Self, KeyError> {
        let pkcs8 = match kind {
            KeyKind::Rsa(bits) => {
                let size = match bits {
                    2048 => KeySize::Rsa2048,
                    3072 => KeySize::Rsa3072,
                    4096 => KeySize::Rsa4096,
                    _ => return Err(KeyError::Unsupported(format!("RSA-{bits}"))),
                };
                let kp = RsaKeyPair::generate(size).map_err(|_| KeyError::Generation)?;
                let der = kp.as_der().map_err(|_| KeyError::Generation)?;
                Zeroizing::new(der.as_ref().to_vec())
            }
            KeyKind::P256 => {
                let kp = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_ASN1_SIGNING)
                    .map_err(|_| KeyError::Generation)?;
                let doc = kp.to_pkcs8v1().map_err(|_| KeyError::Generation)?;
                Zeroizing::new(doc.as_ref().to_vec())
            }
        };
        Self::from_pkcs8_der(&pkcs8)
    }

    /// Load an unencrypted PKCS#8 `PrivateKeyInfo` (RSA or P-256).
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, KeyError> {
        let (inner, spki_der) = if let Ok(kp) = RsaKeyPair::from_pkcs8(der) {
            let spki = kp
                .public_key()
                .as_der()
                .map_err(|_| KeyError::Unsupported("RSA public key".into()))?;
            (Inner::Rsa(kp), spki.as_ref().to_vec())
        } else if let Ok(kp) = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, der) {
            let spki = kp
                .public_key()
                .as_der()
                .map_err(|_| KeyError::Unsupported("EC public key".into()))?;
            (Inner::P256(kp), spki.as_ref().to_vec())
        } else {
            return Err(KeyError::Unsupported("neither RSA nor P-256 PKCS#8".into()));
        };
        Ok(SoftwareKey {
            inner,
            pkcs8: Zeroizing::new(der.to_vec()),
            public_key: SubjectPublicKeyInfoOwned::from_der(&spki_der)?,
            rng: SystemRandom::new(),
        })
    }

    /// Encrypt under `passphrase` and return PEM (`ENCRYPTED PRIVATE KEY`).
    pub fn to_encrypted_pem(&self, passphrase: &str) -> Result<Zeroizing<String>, KeyError> {
        let info = PrivateKeyInfoRef::try_from(self.pkcs8.as_slice())
            .map_err(|e| KeyError::Pkcs8(e.to_string()))?;
        let doc: SecretDocument = info
            .encrypt(passphrase)
            .map_err(|e| KeyError::Pkcs8(e.to_string()))?;
        doc.to_pem(ENCRYPTED_PEM_LABEL, LineEnding::LF)
            .map_err(|e| KeyError::Pkcs8(e.to_string()))
    }

    /// Decrypt a PEM `ENCRYPTED PRIVATE KEY` with `passphrase`.
    pub fn from_encrypted_pem(pem: &str, passphrase: &str) -> Result<Self, KeyError> {
        let (label, der) =
            SecretDocument::from_pem(pem).map_err(|e| KeyError::Pkcs8(e.to_string()))?;
        if label != ENCRYPTED_PEM_LABEL {
            return Err(KeyError::Unsupported(format!("PEM label {label}")));
        }
        let enc = EncryptedPrivateKeyInfoRef::try_from(der.as_bytes())
            .map_err(|e| KeyError::Pkcs8(e.to_string()))?;
        let plain = enc.decrypt(passphrase).map_err(|_| KeyError::Decrypt)?;
        Self::from_pkcs8_der(plain.as_bytes())
    }

    /// The unencrypted PKCS#8 DER, for a test or a hand-over to an HSM import.
    pub fn pkcs8_der(&self) -> &[u8] {
        &self.pkcs8
    }
}

impl Signer for SoftwareKey {
    fn algorithm(&self) -> SignatureAlgorithm {
        match self.inner {
            Inner::Rsa(_) => SignatureAlgorithm::RsaPkcs1Sha256,
            Inner::P256(_) => SignatureAlgorithm::EcdsaSha256,
        }
    }

    fn public_key(&self) -> &SubjectPublicKeyInfoOwned {
        &self.public_key
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        match &self.inner {
            Inner::Rsa(kp) => {
                let mut sig = vec![0u8; kp.public_modulus_len()];
                kp.sign(&RSA_PKCS1_SHA256, &self.rng, message, &mut sig)
                    .map_err(|_| KeyError::Signing)?;
                Ok(sig)
            }
            Inner::P256(kp) => {
                let sig = kp.sign(&self.rng, message).map_err(|_| KeyError::Signing)?;
                Ok(sig.as_ref().to_vec())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify_signature;
    use der::Encode;

    #[test]
    fn rsa_and_p256_sign_and_verify() {
        for kind in [KeyKind::Rsa(2048), KeyKind::P256] {
            let key = SoftwareKey::generate(kind).unwrap();
            let sig = key.sign(b"tbs").unwrap();
            let spki = key.public_key().to_der().unwrap();
            verify_signature(&spki, key.algorithm(), b"tbs", &sig).unwrap();
            assert!(verify_signature(&spki, key.algorithm(), b"changed", &sig).is_err());
        }
    }

    #[test]
    fn encrypted_pem_round_trips_and_refuses_a_wrong_passphrase() {
        let key = SoftwareKey::generate(KeyKind::P256).unwrap();
        let pem = key.to_encrypted_pem("correct horse").unwrap();
        assert!(pem.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"));
        let back = SoftwareKey::from_encrypted_pem(&pem, "correct horse").unwrap();
        assert_eq!(back.public_key(), key.public_key());
        assert!(matches!(
            SoftwareKey::from_encrypted_pem(&pem, "wrong"),
            Err(KeyError::Decrypt)
        ));
    }

    #[test]
    fn rsa_1024_is_not_generated() {
        assert!(SoftwareKey::generate(KeyKind::Rsa(1024)).is_err());
    }
}
