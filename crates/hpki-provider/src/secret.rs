//! The secrets the provider hands out (session cookies, codes, access tokens, client
//! secrets): 32 random octets, base64url; kept only as SHA-256, hex.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::LoginError;

/// 256 random bits, base64url without padding (43 characters).
pub fn random_secret() -> Result<String, LoginError> {
    let mut b = [0u8; 32];
    aws_lc_rs::rand::fill(&mut b).map_err(|_| LoginError::Unavailable("no randomness".into()))?;
    Ok(URL_SAFE_NO_PAD.encode(b))
}

/// SHA-256 of `secret`, lower-case hex: what the store keeps.
pub fn sha256_hex(secret: &str) -> String {
    hex::encode(aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA256,
        secret.as_bytes(),
    ))
}
