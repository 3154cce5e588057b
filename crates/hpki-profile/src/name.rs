//! Building X.501 names attribute by attribute, with the string types RFC 5280 §4.1.2.4 and
//! X.520 require: `countryName` and `serialNumber` as PrintableString, the rest as UTF8String.

use der::asn1::{Any, ObjectIdentifier, PrintableStringRef, Utf8StringRef};
use x509_cert::attr::AttributeTypeAndValue;
use x509_cert::name::{Name, RdnSequence, RelativeDistinguishedName};

/// `id-at-countryName`.
pub const COUNTRY: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.6");
/// `id-at-organizationName`.
pub const ORGANIZATION: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.10");
/// `id-at-organizationalUnitName`.
pub const ORGANIZATIONAL_UNIT: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.11");
/// `id-at-commonName`.
pub const COMMON_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.3");
/// `id-at-serialNumber`.
pub const SERIAL_NUMBER: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.5");

/// One attribute of a distinguished name, in order.
#[derive(Clone, Debug, Eq, PartialEq)]
pub enum NameAttribute {
    /// `C` (PrintableString, two letters).
    Country(String),
    /// `O`.
    Organization(String),
    /// `OU`.
    OrganizationalUnit(String),
    /// `CN`.
    CommonName(String),
    /// `serialNumber` (PrintableString).
    SerialNumber(String),
}

/// Build a `Name` with one attribute per RDN, in the given order.
pub fn build_name(attributes: &[NameAttribute]) -> der::Result<Name> {
    let mut rdns = RdnSequence::default();
    for attribute in attributes {
        let (oid, value) = match attribute {
            NameAttribute::Country(s) => (COUNTRY, Any::encode_from(&PrintableStringRef::new(s)?)?),
            NameAttribute::SerialNumber(s) => (
                SERIAL_NUMBER,
                Any::encode_from(&PrintableStringRef::new(s)?)?,
            ),
            NameAttribute::Organization(s) => {
                (ORGANIZATION, Any::encode_from(&Utf8StringRef::new(s)?)?)
            }
            NameAttribute::OrganizationalUnit(s) => (
                ORGANIZATIONAL_UNIT,
                Any::encode_from(&Utf8StringRef::new(s)?)?,
            ),
            NameAttribute::CommonName(s) => {
                (COMMON_NAME, Any::encode_from(&Utf8StringRef::new(s)?)?)
            }
        };
        let rdn = RelativeDistinguishedName::try_from(vec![AttributeTypeAndValue { oid, value }])?;
        rdns.push(rdn);
    }
    Ok(Name::hazmat_from_rdn_sequence(rdns))
}

/// The string values of every attribute of type `oid` in `name`, in order.
pub fn attribute_values(name: &Name, oid: ObjectIdentifier) -> Vec<String> {
    name.iter()
        .filter(|atv| atv.oid == oid)
        .filter_map(|atv| {
            atv.value
                .decode_as::<x509_cert::ext::pkix::name::DirectoryString>()
                .ok()
                .map(|d| d.value().into_owned())
                .or_else(|| atv.value.decode_as::<String>().ok())
        })
        .collect()
}

/// Whether every attribute of type `oid` in `name` is a PrintableString.
pub fn is_printable(name: &Name, oid: ObjectIdentifier) -> bool {
    name.iter()
        .filter(|atv| atv.oid == oid)
        .all(|atv| der::Tagged::tag(&atv.value) == der::Tag::PrintableString)
}
