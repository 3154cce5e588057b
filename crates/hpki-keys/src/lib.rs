//! Key custody for hpki.
//!
//! Every private-key operation of the CA (certificates, CRLs, OCSP responses) goes through the
//! [`Signer`] interface, so the key can live in software ([`SoftwareKey`], aws-lc-rs) or in an
//! HSM or IC card (the PKCS#11 implementation of the cards issue). Software keys are stored only
//! encrypted, as PKCS#8 `EncryptedPrivateKeyInfo` (RFC 5958 §3) with PBES2 (scrypt + AES-256-CBC,
//! RFC 8018), which `openssl pkey` reads as well.
#![forbid(unsafe_code)]

mod algorithm;
mod software;
mod verify;

pub use algorithm::SignatureAlgorithm;
pub use software::{KeyKind, SoftwareKey};
pub use verify::verify_signature;

use hpki_text::{Localized, Text};
use spki::SubjectPublicKeyInfoOwned;

/// Everything that can go wrong with keys.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The key could not be generated.
    #[error("key generation failed")]
    Generation,
    /// The stored key could not be decrypted: almost always a wrong passphrase.
    #[error("cannot decrypt the key: wrong passphrase?")]
    Decrypt,
    /// The stored key is not a key this signer supports.
    #[error("unsupported or malformed private key: {0}")]
    Unsupported(String),
    /// The signing operation failed.
    #[error("signing failed")]
    Signing,
    /// The device holding the key (an IC card, an HSM) refused: its own reason, e.g. a wrong
    /// PIN with the tries left.
    #[error("{0}")]
    Device(Text),
    /// A signature did not verify.
    #[error("signature does not verify")]
    BadSignature,
    /// A DER structure could not be encoded or decoded.
    #[error("DER error: {0}")]
    Der(#[from] der::Error),
    /// A PKCS#8 structure could not be processed.
    #[error("PKCS#8 error: {0}")]
    Pkcs8(String),
}

impl Localized for KeyError {
    fn text(&self) -> Text {
        match self {
            KeyError::Generation => Text::new("鍵の生成に失敗しました", "key generation failed"),
            KeyError::Decrypt => Text::new(
                "鍵を復号できません（パスフレーズの誤り？）",
                "cannot decrypt the key: wrong passphrase?",
            ),
            KeyError::Unsupported(f0) => Text::new(
                "対応していない鍵です",
                format!("unsupported or malformed private key: {f0}"),
            ),
            KeyError::Signing => Text::new("署名に失敗しました", "signing failed"),
            KeyError::Device(t) => t.clone(),
            KeyError::BadSignature => {
                Text::new("署名を検証できません", "signature does not verify")
            }
            KeyError::Der(f0) => Text::new(
                format!("DER 形式の誤りです{}", hpki_text::DETAIL_IN_ENGLISH),
                format!("DER error: {f0}"),
            ),
            KeyError::Pkcs8(f0) => Text::new(
                format!(
                    "PKCS#8 の鍵を処理できません{}",
                    hpki_text::DETAIL_IN_ENGLISH
                ),
                format!("PKCS#8 error: {f0}"),
            ),
        }
    }
}

/// A private key that can sign, wherever it is kept.
///
/// Implementations must be usable from several threads: the OCSP responder signs in parallel.
pub trait Signer: Send + Sync {
    /// The signature algorithm this key signs with (it goes into `signatureAlgorithm`).
    fn algorithm(&self) -> SignatureAlgorithm;
    /// The public key, as it goes into a certificate.
    fn public_key(&self) -> &SubjectPublicKeyInfoOwned;
    /// Sign `message` (the signer hashes it), returning the signature value bytes.
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyError>;
}
