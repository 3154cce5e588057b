//! What long-term signatures take from outside: RFC 3161 time-stamp tokens, and the
//! validation data (certificates, CRLs, OCSP responses) that B-LT / XL levels embed so a
//! signature can be checked after the signer's certificate has expired (ETSI EN 319 122-1
//! §5.5, EN 319 142-1 §5.4, EN 319 132-1 §5.5; JIS X 5092/5093).
//!
//! The sources are traits so the formats stay pure: `hpki-fetch` implements them over HTTP
//! (a TSA at `POST /tsa`, CRL distribution points, OCSP responders), a test or the server may
//! implement them in-process.

use der::{Decode, Encode};
use x509_cert::Certificate;

use crate::SignError;
use crate::digest::DigestAlgorithm;

/// Gets RFC 3161 time-stamp tokens.
pub trait TimeStamper: Send + Sync {
    /// A `TimeStampToken` (RFC 3161 §2.4.2: a CMS `ContentInfo`, DER) over the message imprint
    /// `digest`, computed with `algorithm`. Implementations check that the token is over that
    /// imprint (see [`token_from_response`]).
    fn time_stamp(&self, algorithm: DigestAlgorithm, digest: &[u8]) -> Result<Vec<u8>, SignError>;
}

/// Certificates and revocation data, DER, as long-term formats embed them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ValidationData {
    /// Certificates of the path (issuers up to the trust anchor), and of OCSP responders.
    pub certificates: Vec<Vec<u8>>,
    /// CRLs (`CertificateList`).
    pub crls: Vec<Vec<u8>>,
    /// OCSP responses (`OCSPResponse`).
    pub ocsp_responses: Vec<Vec<u8>>,
}

impl ValidationData {
    /// Adds what `other` has that this does not (exact DER duplicates are dropped).
    pub fn merge(&mut self, other: ValidationData) {
        for (mine, theirs) in [
            (&mut self.certificates, other.certificates),
            (&mut self.crls, other.crls),
            (&mut self.ocsp_responses, other.ocsp_responses),
        ] {
            for item in theirs {
                if !mine.contains(&item) {
                    mine.push(item);
                }
            }
        }
    }
}

/// Gathers validation data.
pub trait ValidationSource: Send + Sync {
    /// The issuer chain of `certificate` (not including it) and current revocation data for
    /// it and each issuer below the trust anchor.
    fn validation_data(&self, certificate: &Certificate) -> Result<ValidationData, SignError>;
}

/// An RFC 3161 `TimeStampReq` (DER) for `digest`, asking for the TSA's certificate, with
/// `nonce` (8 random bytes from the caller are plenty).
pub fn time_stamp_request(
    algorithm: DigestAlgorithm,
    digest: &[u8],
    nonce: &[u8],
) -> Result<Vec<u8>, SignError> {
    use hpki_asn1::tsp::{MessageImprint, TSP_V1, TimeStampReq};
    let req = TimeStampReq {
        version: TSP_V1,
        message_imprint: MessageImprint {
            hash_algorithm: algorithm.algorithm_identifier(),
            hashed_message: der::asn1::OctetString::new(digest)?,
        },
        req_policy: None,
        nonce: Some(der::asn1::Int::new(&positive_integer(nonce))?),
        cert_req: true,
        extensions: None,
    };
    Ok(req.to_der()?)
}

/// The minimal two's-complement encoding of `bytes` read as an unsigned number (X.690 §8.3.2:
/// no redundant leading octets; a leading 0x00 when the top bit is set). A nonce is random
/// bytes, and a strict DER TSA refuses a non-minimal INTEGER.
fn positive_integer(bytes: &[u8]) -> Vec<u8> {
    let start = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    let digits = &bytes[start..];
    match digits.first() {
        None => vec![0],
        Some(b) if *b >= 0x80 => [&[0u8][..], digits].concat(),
        Some(_) => digits.to_vec(),
    }
}

/// The token of a `TimeStampResp` (DER), checked to be granted and over `digest`.
pub fn token_from_response(
    response: &[u8],
    algorithm: DigestAlgorithm,
    digest: &[u8],
) -> Result<Vec<u8>, SignError> {
    let token = crate::tsp::token_of_response(response)?;
    let imprint = hpki_asn1::tsp::MessageImprint {
        hash_algorithm: algorithm.algorithm_identifier(),
        hashed_message: der::asn1::OctetString::new(digest)?,
    };
    crate::tsp::verify_token(&token, &imprint, None)?;
    // Re-encode check: the token is one DER ContentInfo.
    cms::content_info::ContentInfo::from_der(&token)?;
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_data_merges_without_duplicates() {
        let mut a = ValidationData {
            certificates: vec![vec![1], vec![2]],
            crls: vec![vec![3]],
            ocsp_responses: vec![],
        };
        a.merge(ValidationData {
            certificates: vec![vec![2], vec![4]],
            crls: vec![vec![3]],
            ocsp_responses: vec![vec![5]],
        });
        assert_eq!(a.certificates, vec![vec![1], vec![2], vec![4]]);
        assert_eq!(a.crls, vec![vec![3]]);
        assert_eq!(a.ocsp_responses, vec![vec![5]]);
    }

    #[test]
    fn nonces_are_minimal_positive_integers() {
        assert_eq!(positive_integer(&[0, 0, 0x12, 0x34]), vec![0x12, 0x34]);
        assert_eq!(positive_integer(&[0, 0x92]), vec![0, 0x92]);
        assert_eq!(positive_integer(&[0xff, 1]), vec![0, 0xff, 1]);
        assert_eq!(positive_integer(&[0, 0]), vec![0]);
        for nonce in [[0u8, 0x01, 2, 3], [0, 0, 0, 0x7f], [0x80, 0, 0, 0]] {
            let digest = DigestAlgorithm::Sha256.digest(b"x");
            let der = time_stamp_request(DigestAlgorithm::Sha256, &digest, &nonce).unwrap();
            hpki_asn1::tsp::TimeStampReq::from_der(&der).expect("strict DER");
        }
    }

    #[test]
    fn a_request_carries_the_imprint_and_asks_for_the_certificate() {
        let digest = DigestAlgorithm::Sha256.digest(b"document");
        let der = time_stamp_request(DigestAlgorithm::Sha256, &digest, &[1, 2, 3]).unwrap();
        let req = hpki_asn1::tsp::TimeStampReq::from_der(&der).unwrap();
        assert!(req.cert_req);
        assert_eq!(req.message_imprint.hashed_message.as_bytes(), &digest[..]);
    }
}
