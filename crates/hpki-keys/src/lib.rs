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

use spki::SubjectPublicKeyInfoOwned;

/// Everything that can go wrong with keys.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The key could not be generated.
    #[error("key generation failed / 鍵の生成に失敗しました")]
    Generation,
    /// The stored key could not be decrypted: almost always a wrong passphrase.
    #[error(
        "cannot decrypt the key: wrong passphrase? / 鍵を復号できません（パスフレーズの誤り？）"
    )]
    Decrypt,
    /// The stored key is not a key this signer supports.
    #[error("unsupported or malformed private key: {0} / 対応していない鍵です")]
    Unsupported(String),
    /// The signing operation failed.
    #[error("signing failed / 署名に失敗しました")]
    Signing,
    /// The device holding the key (an IC card, an HSM) refused: its own reason, e.g. a wrong
    /// PIN with the tries left.
    #[error("{0}")]
    Device(String),
    /// A signature did not verify.
    #[error("signature does not verify / 署名を検証できません")]
    BadSignature,
    /// A DER structure could not be encoded or decoded.
    #[error("DER error: {0}")]
    Der(#[from] der::Error),
    /// A PKCS#8 structure could not be processed.
    #[error("PKCS#8 error: {0}")]
    Pkcs8(String),
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
