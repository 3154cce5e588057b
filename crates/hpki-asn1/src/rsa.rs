//! PKCS#1 `RSAPublicKey` (RFC 8017 Appendix A.1.1), used to read the modulus size of a
//! subject public key before a CA agrees to certify it.

use der::Sequence;
use der::asn1::UintRef;

/// ```text
/// RSAPublicKey ::= SEQUENCE {
///     modulus           INTEGER,  -- n
///     publicExponent    INTEGER   -- e
/// }
/// ```
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct RsaPublicKey<'a> {
    /// The modulus `n`.
    pub modulus: UintRef<'a>,
    /// The public exponent `e`.
    pub public_exponent: UintRef<'a>,
}

impl RsaPublicKey<'_> {
    /// Size of the modulus in bits (leading zero bits not counted).
    pub fn modulus_bits(&self) -> usize {
        let bytes = self.modulus.as_bytes();
        match bytes.iter().position(|b| *b != 0) {
            None => 0,
            Some(i) => (bytes.len() - i) * 8 - bytes[i].leading_zeros() as usize,
        }
    }
}
