//! Small secrets sealed under a passphrase: a custodian's share of the CA key-unlock secret, a
//! card's unblocking code held by the registration authority.
//!
//! scrypt (RFC 7914; N = 2^17, r = 8, p = 1, about 128 MiB and a fraction of a second, the
//! interactive-login cost RFC 7914 §2 and OWASP recommend) derives a 256-bit key from the
//! passphrase and a random salt; AES-256-GCM (NIST SP 800-38D) seals the secret with associated
//! data naming what it is, so a sealed value cannot be passed off as another.

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use hpki_text::{Localized, Text};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

const SCRYPT_LOG_N: u8 = 17;
const SCRYPT_R: u32 = 8;
const SCRYPT_P: u32 = 1;
/// Format version.
const VERSION: u32 = 1;

/// Why a sealed value could not be made or opened.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SealError {
    /// Wrong passphrase, altered ciphertext, or other associated data.
    #[error("wrong passphrase or altered data")]
    Refused,
    /// The sealed form itself is malformed.
    #[error("malformed sealed value: {0}")]
    Malformed(&'static str),
    /// The random generator or a primitive failed.
    #[error("cryptographic failure: {0}")]
    Crypto(&'static str),
}

impl Localized for SealError {
    fn text(&self) -> Text {
        match self {
            SealError::Refused => Text::new(
                "パスフレーズの誤り、またはデータの改変",
                "wrong passphrase or altered data",
            ),
            SealError::Malformed(f0) => Text::new(
                format!("封印データが不正です: {f0}"),
                format!("malformed sealed value: {f0}"),
            ),
            SealError::Crypto(f0) => Text::new(
                format!("暗号処理に失敗しました: {f0}"),
                format!("cryptographic failure: {f0}"),
            ),
        }
    }
}

/// A sealed secret, as stored (JSON, hex strings).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Sealed {
    /// Format version.
    pub version: u32,
    /// scrypt parameters (RFC 7914): log2 N, r, p.
    pub scrypt_log_n: u8,
    /// scrypt r.
    pub scrypt_r: u32,
    /// scrypt p.
    pub scrypt_p: u32,
    /// scrypt salt (hex, 16 bytes).
    pub salt: String,
    /// AES-GCM nonce (hex, 12 bytes).
    pub nonce: String,
    /// AES-256-GCM ciphertext with its tag (hex).
    pub ciphertext: String,
}

/// Fills `out` from the system random generator (aws-lc-rs).
pub fn random(out: &mut [u8]) -> Result<(), SealError> {
    aws_lc_rs::rand::fill(out).map_err(|_| SealError::Crypto("random generator"))
}

fn key(passphrase: &str, salt: &[u8], log_n: u8, r: u32, p: u32) -> Result<LessSafeKey, SealError> {
    let params =
        scrypt::Params::new(log_n, r, p).map_err(|_| SealError::Crypto("scrypt parameters"))?;
    let mut key = Zeroizing::new([0u8; 32]);
    scrypt::scrypt(passphrase.as_bytes(), salt, &params, &mut key[..])
        .map_err(|_| SealError::Crypto("scrypt"))?;
    let key = UnboundKey::new(&AES_256_GCM, &key[..])
        .map_err(|_| SealError::Crypto("AES-256-GCM key"))?;
    Ok(LessSafeKey::new(key))
}

/// Seals `secret` under `passphrase`, bound to `aad`.
pub fn seal(secret: &[u8], aad: &[u8], passphrase: &str) -> Result<Sealed, SealError> {
    let mut salt = [0u8; 16];
    random(&mut salt)?;
    let mut nonce = [0u8; NONCE_LEN];
    random(&mut nonce)?;
    let key = key(passphrase, &salt, SCRYPT_LOG_N, SCRYPT_R, SCRYPT_P)?;
    let mut data = secret.to_vec();
    key.seal_in_place_append_tag(
        Nonce::assume_unique_for_key(nonce),
        Aad::from(aad),
        &mut data,
    )
    .map_err(|_| SealError::Crypto("AES-256-GCM seal"))?;
    Ok(Sealed {
        version: VERSION,
        scrypt_log_n: SCRYPT_LOG_N,
        scrypt_r: SCRYPT_R,
        scrypt_p: SCRYPT_P,
        salt: hex::encode(salt),
        nonce: hex::encode(nonce),
        ciphertext: hex::encode(data),
    })
}

/// Opens `sealed` with `passphrase`; `aad` must be what it was sealed with.
pub fn open(
    sealed: &Sealed,
    aad: &[u8],
    passphrase: &str,
) -> Result<Zeroizing<Vec<u8>>, SealError> {
    if sealed.version != VERSION {
        return Err(SealError::Malformed("unknown version"));
    }
    // Bounded cost: a tampered file must not make opening allocate gigabytes.
    if !(10..=20).contains(&sealed.scrypt_log_n) || sealed.scrypt_r > 32 || sealed.scrypt_p > 16 {
        return Err(SealError::Malformed("scrypt parameters out of range"));
    }
    let salt = hex::decode(&sealed.salt).map_err(|_| SealError::Malformed("salt"))?;
    let nonce: [u8; NONCE_LEN] = hex::decode(&sealed.nonce)
        .ok()
        .and_then(|n| n.try_into().ok())
        .ok_or(SealError::Malformed("nonce"))?;
    let mut data =
        Zeroizing::new(hex::decode(&sealed.ciphertext).map_err(|_| SealError::Malformed("data"))?);
    let key = key(
        passphrase,
        &salt,
        sealed.scrypt_log_n,
        sealed.scrypt_r,
        sealed.scrypt_p,
    )?;
    let plain = key
        .open_in_place(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(aad),
            &mut data[..],
        )
        .map_err(|_| SealError::Refused)?;
    Ok(Zeroizing::new(plain.to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_only_with_the_passphrase_and_the_same_associated_data() {
        let s = seal(b"123456789012", b"card JMAC61100001", "operator").unwrap();
        assert_eq!(
            &*open(&s, b"card JMAC61100001", "operator").unwrap(),
            b"123456789012"
        );
        assert_eq!(
            open(&s, b"card JMAC61100001", "other"),
            Err(SealError::Refused)
        );
        assert_eq!(
            open(&s, b"card JMAC61100002", "operator"),
            Err(SealError::Refused)
        );
        let mut bad = s.clone();
        bad.scrypt_log_n = 30;
        assert!(matches!(
            open(&bad, b"card JMAC61100001", "operator"),
            Err(SealError::Malformed(_))
        ));
    }
}
