//! JSON Web Signature in the compact serialization (RFC 7515 §7.1), RS256 only (RFC 7518
//! §3.3): the provider's ID tokens.
//!
//! ```text
//! BASE64URL(UTF8(JWS Protected Header)) || '.' ||
//! BASE64URL(JWS Payload) || '.' ||
//! BASE64URL(JWS Signature)
//! ```
//!
//! The signature is made by an hpki-keys [`Signer`] (RSASSA-PKCS1-v1_5 with SHA-256 over the
//! ASCII of the first two parts), so the provider's key may live in a file or an HSM like any
//! other key of the CA. RS256 is the algorithm every OpenID relying party must accept
//! (OpenID Connect Core §15.1: "the default ... RS256").

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hpki_keys::{SignatureAlgorithm, Signer};
use serde_json::{Value, json};

/// Errors making or reading a JWS.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum JwsError {
    /// The key does not sign RS256.
    #[error("the signing key is not an RSA PKCS#1 v1.5 SHA-256 key (RS256)")]
    UnsupportedKey,
    /// The key failed to sign.
    #[error("signing failed: {0}")]
    Signing(String),
    /// Not three base64url parts with a JSON header and payload (RFC 7515 §5.2).
    #[error("malformed JWS: {0}")]
    Malformed(&'static str),
    /// The header names another algorithm or an unknown key.
    #[error("unknown key or algorithm")]
    UnknownKey,
    /// The signature does not verify.
    #[error("the signature does not verify")]
    BadSignature,
}

/// Signs `payload` (a JSON object) with `signer`, naming key `kid` in the header.
pub fn sign_compact(signer: &dyn Signer, kid: &str, payload: &Value) -> Result<String, JwsError> {
    if signer.algorithm() != SignatureAlgorithm::RsaPkcs1Sha256 {
        return Err(JwsError::UnsupportedKey);
    }
    let header = json!({"alg": "RS256", "typ": "JWT", "kid": kid});
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(payload.to_string())
    );
    let signature = signer
        .sign(signing_input.as_bytes())
        .map_err(|e| JwsError::Signing(e.to_string()))?;
    Ok(format!(
        "{signing_input}.{}",
        URL_SAFE_NO_PAD.encode(signature)
    ))
}

/// Verifies a compact RS256 JWS made by one of `keys` (`kid`, PKCS#1 `RSAPublicKey` DER, as in
/// the subjectPublicKey of an SPKI) and returns its payload. Times are not checked: the caller
/// decides what an expired token still proves (an `id_token_hint` may be expired).
pub fn verify_compact(token: &str, keys: &[(String, Vec<u8>)]) -> Result<Value, JwsError> {
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwsError::Malformed("three parts expected"));
    };
    let header: Value = decode_json(h)?;
    if header["alg"] != "RS256" {
        return Err(JwsError::UnknownKey);
    }
    let kid = header["kid"].as_str().ok_or(JwsError::UnknownKey)?;
    let (_, key) = keys
        .iter()
        .find(|(k, _)| k == kid)
        .ok_or(JwsError::UnknownKey)?;
    let signature = URL_SAFE_NO_PAD
        .decode(s)
        .map_err(|_| JwsError::Malformed("signature is not base64url"))?;
    aws_lc_rs::signature::UnparsedPublicKey::new(
        &aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256,
        key,
    )
    .verify(format!("{h}.{p}").as_bytes(), &signature)
    .map_err(|_| JwsError::BadSignature)?;
    decode_json(p)
}

fn decode_json(part: &str) -> Result<Value, JwsError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| JwsError::Malformed("not base64url"))?;
    let v: Value =
        serde_json::from_slice(&bytes).map_err(|_| JwsError::Malformed("not a JSON object"))?;
    if v.is_object() {
        Ok(v)
    } else {
        Err(JwsError::Malformed("not a JSON object"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jwk::Jwk;
    use hpki_keys::{KeyKind, SoftwareKey};

    #[test]
    fn a_token_verifies_with_its_key_and_not_when_changed() {
        let key = SoftwareKey::generate(KeyKind::Rsa(2048)).expect("key");
        let jwk = Jwk::from_spki(key.public_key()).expect("jwk");
        let token = sign_compact(&key, &jwk.kid, &json!({"sub": "s", "aud": "c"})).expect("sign");
        let keys = vec![(jwk.kid.clone(), jwk.rsa_public_key_der.clone())];
        assert_eq!(verify_compact(&token, &keys).expect("verifies")["sub"], "s");

        let mut parts: Vec<&str> = token.split('.').collect();
        let forged = URL_SAFE_NO_PAD.encode(json!({"sub": "other", "aud": "c"}).to_string());
        parts[1] = &forged;
        assert_eq!(
            verify_compact(&parts.join("."), &keys),
            Err(JwsError::BadSignature)
        );
        assert_eq!(
            verify_compact(&token, &[("other".into(), jwk.rsa_public_key_der)]),
            Err(JwsError::UnknownKey)
        );
        assert!(matches!(
            verify_compact("a.b", &keys),
            Err(JwsError::Malformed(_))
        ));
    }

    #[test]
    fn an_ecdsa_key_is_refused_rather_than_mislabelled() {
        let key = SoftwareKey::generate(KeyKind::P256).expect("key");
        assert_eq!(
            sign_compact(&key, "k", &json!({})),
            Err(JwsError::UnsupportedKey)
        );
    }
}
