//! Proof Key for Code Exchange (RFC 7636): the public client's proof that the code it redeems
//! is the one it asked for.
//!
//! ```text
//! code-verifier = 43*128unreserved                                       (§4.1)
//! unreserved = ALPHA / DIGIT / "-" / "." / "_" / "~"
//! S256: code_challenge = BASE64URL-ENCODE(SHA256(ASCII(code_verifier)))  (§4.2)
//! ```
//!
//! Only `S256` is offered (`code_challenge_methods_supported`): `plain` proves nothing an
//! eavesdropper of the authorization request does not also learn (§7.2).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// The one transformation offered.
pub const S256: &str = "S256";

/// Whether `challenge` is a well-formed S256 code challenge: the BASE64URL encoding, without
/// padding, of 32 octets (43 characters).
pub fn is_s256_challenge(challenge: &str) -> bool {
    challenge.len() == 43
        && URL_SAFE_NO_PAD
            .decode(challenge)
            .is_ok_and(|d| d.len() == 32)
}

/// Whether `verifier` is a code verifier of §4.1.
pub fn is_verifier(verifier: &str) -> bool {
    (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// The S256 challenge of `verifier`.
pub fn s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA256,
        verifier.as_bytes(),
    ))
}

/// §4.6: the server "verifies [the code_verifier] by calculating the code challenge from the
/// received code_verifier and comparing it with the previously associated code_challenge".
pub fn verify(verifier: &str, challenge: &str) -> bool {
    is_verifier(verifier)
        && aws_lc_rs::constant_time::verify_slices_are_equal(
            s256(verifier).as_bytes(),
            challenge.as_bytes(),
        )
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7636 Appendix B.
    #[test]
    fn the_example_of_appendix_b() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        assert_eq!(
            s256(verifier),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        assert!(verify(
            verifier,
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        ));
        assert!(is_s256_challenge(
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        ));
    }

    #[test]
    fn a_verifier_outside_section_4_1_never_verifies() {
        let short = "a".repeat(42);
        assert!(!verify(&short, &s256(&short)));
        let long = "a".repeat(129);
        assert!(!verify(&long, &s256(&long)));
        let spaced = format!("{} ", "a".repeat(50));
        assert!(!verify(&spaced, &s256(&spaced)));
        let ok = "a".repeat(43);
        assert!(verify(&ok, &s256(&ok)));
        assert!(!verify(&ok, &s256(&"b".repeat(43))));
    }

    #[test]
    fn a_plain_or_padded_challenge_is_not_s256() {
        assert!(!is_s256_challenge(
            "a-plain-verifier-of-fifty-characters-xxxxxxxxxxxxx"
        ));
        assert!(!is_s256_challenge(
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM="
        ));
        assert!(!is_s256_challenge(""));
    }
}
