//! The provider's public keys as JSON Web Keys (RFC 7517), for its JWKS document.
//!
//! ```text
//! RSA public key parameters (RFC 7518 §6.3.1):
//!   "n"  the modulus, Base64urlUInt-encoded
//!   "e"  the exponent, Base64urlUInt-encoded
//! ```
//!
//! The key ID is the key's JWK thumbprint (RFC 7638 §3): SHA-256 over
//! `{"e":"…","kty":"RSA","n":"…"}` (the required members in lexicographic order, no
//! whitespace), base64url. The same key always has the same `kid`, so rotation is adding a
//! key, signing with it, and later dropping the old one from the set.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use der::Decode;
use hpki_asn1::rsa::RsaPublicKey;
use serde_json::{Value, json};
use spki::SubjectPublicKeyInfoOwned;

/// OID rsaEncryption (RFC 8017 Appendix C).
const RSA_ENCRYPTION: const_oid::ObjectIdentifier =
    const_oid::ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");

/// One RSA signing key of the provider.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Jwk {
    /// The RFC 7638 thumbprint.
    pub kid: String,
    /// `n`, base64url.
    pub n: String,
    /// `e`, base64url.
    pub e: String,
    /// The PKCS#1 `RSAPublicKey` DER (what verifying a signature takes).
    pub rsa_public_key_der: Vec<u8>,
}

/// The key is not an RSA public key.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("not an RSA public key")]
pub struct NotRsa;

impl Jwk {
    /// The JWK of an RSA subject public key.
    pub fn from_spki(spki: &SubjectPublicKeyInfoOwned) -> Result<Jwk, NotRsa> {
        if spki.algorithm.oid != RSA_ENCRYPTION {
            return Err(NotRsa);
        }
        let der = spki.subject_public_key.raw_bytes().to_vec();
        let key = RsaPublicKey::from_der(&der).map_err(|_| NotRsa)?;
        let n = URL_SAFE_NO_PAD.encode(key.modulus.as_bytes());
        let e = URL_SAFE_NO_PAD.encode(key.public_exponent.as_bytes());
        let canonical = format!(r#"{{"e":"{e}","kty":"RSA","n":"{n}"}}"#);
        let kid = URL_SAFE_NO_PAD.encode(aws_lc_rs::digest::digest(
            &aws_lc_rs::digest::SHA256,
            canonical.as_bytes(),
        ));
        Ok(Jwk {
            kid,
            n,
            e,
            rsa_public_key_der: der,
        })
    }

    /// The JSON form in a JWK Set (RFC 7517 §4, §5).
    pub fn to_json(&self) -> Value {
        json!({"kty": "RSA", "use": "sig", "alg": "RS256", "kid": self.kid,
               "n": self.n, "e": self.e})
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hpki_keys::{KeyKind, Signer, SoftwareKey};

    #[test]
    fn the_kid_is_the_rfc_7638_thumbprint() {
        // RFC 7638 §3.1: the example key and its thumbprint.
        let n = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
        let modulus = URL_SAFE_NO_PAD.decode(n).expect("b64");
        let der = der::Encode::to_der(&RsaPublicKey {
            modulus: der::asn1::UintRef::new(&modulus).expect("n"),
            public_exponent: der::asn1::UintRef::new(&[1, 0, 1]).expect("e"),
        })
        .expect("der");
        let spki = SubjectPublicKeyInfoOwned {
            algorithm: spki::AlgorithmIdentifierOwned {
                oid: RSA_ENCRYPTION,
                parameters: Some(der::asn1::Null.into()),
            },
            subject_public_key: der::asn1::BitString::from_bytes(&der).expect("bits"),
        };
        let jwk = Jwk::from_spki(&spki).expect("jwk");
        assert_eq!((jwk.n.as_str(), jwk.e.as_str()), (n, "AQAB"));
        assert_eq!(jwk.kid, "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
    }

    #[test]
    fn an_rsa_key_gives_its_modulus_and_exponent() {
        let key = SoftwareKey::generate(KeyKind::Rsa(2048)).expect("key");
        let jwk = Jwk::from_spki(key.public_key()).expect("jwk");
        assert_eq!(jwk.e, "AQAB");
        assert_eq!(URL_SAFE_NO_PAD.decode(&jwk.n).expect("b64").len(), 256);
        assert_eq!(jwk.kid.len(), 43);
        let p256 = SoftwareKey::generate(KeyKind::P256).expect("key");
        assert_eq!(Jwk::from_spki(p256.public_key()), Err(NotRsa));
    }
}
