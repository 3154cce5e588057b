//! Object identifiers of HPKI and ISO 17090 (not in the `const-oid` database).

use der::asn1::ObjectIdentifier;

/// `id-hcpki-at-healthcareactor` (ISO 17090-3): the attribute type of `hcRole`,
/// carried in the `subjectDirectoryAttributes` extension.
pub const ID_HCPKI_AT_HEALTHCARE_ACTOR: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.0.17090.0.1");

/// The Japanese HPKI coding scheme of healthcare roles (MHLW HPKI CP), used as
/// `codingSchemeReference` in every `hcRole` value issued under HPKI.
pub const ID_HPKI_ROLE_CODING_SCHEME: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.392.100495.1.6.1.1");

/// HPKI end-entity signing certificate policy seen in the MEDIS test chain; the product's
/// default, configurable per CA.
pub const HPKI_SIGN_EE_POLICY: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.392.100495.1.5.1.1.0.1");

/// HPKI CA certificate policy seen in the MEDIS test chain; the product's default,
/// configurable per CA.
pub const HPKI_CA_POLICY: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.392.100495.1.5.1.1.3.1");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oids_have_their_dotted_form() {
        assert_eq!(ID_HCPKI_AT_HEALTHCARE_ACTOR.to_string(), "1.0.17090.0.1");
        assert_eq!(
            ID_HPKI_ROLE_CODING_SCHEME.to_string(),
            "1.2.392.100495.1.6.1.1"
        );
    }
}
