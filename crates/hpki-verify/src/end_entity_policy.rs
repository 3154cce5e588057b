//! The certificate policies an end-entity certificate asserts (RFC 5280 §4.2.1.4), for the
//! HPKI relying party's policy check: the HPKI certificate policy (e.g. 1.2.392.100495.1.5.1.1.0.1
//! for signing) is asserted by the subscriber's certificate, while the CA certificates of the
//! MHLW chain assert their own CA policies and map none, so the check is on the end entity
//! together with a valid path to the MHLW root — not RFC 5280's policy tree.
//!
//! ```text
//! certificatePolicies ::= SEQUENCE SIZE (1..MAX) OF PolicyInformation
//! PolicyInformation ::= SEQUENCE {
//!      policyIdentifier   CertPolicyId,
//!      policyQualifiers   SEQUENCE SIZE (1..MAX) OF PolicyQualifierInfo OPTIONAL }
//! ```

use const_oid::ObjectIdentifier;
use x509_cert::Certificate;
use x509_cert::ext::pkix::CertificatePolicies;

/// The policy identifiers of `certificate`'s certificatePolicies extension, in order; empty
/// without the extension or when it cannot be decoded.
pub fn asserted_policies(certificate: &Certificate) -> Vec<ObjectIdentifier> {
    match certificate
        .tbs_certificate()
        .get_extension::<CertificatePolicies>()
    {
        Ok(Some((_, policies))) => policies.0.iter().map(|p| p.policy_identifier).collect(),
        _ => Vec::new(),
    }
}
