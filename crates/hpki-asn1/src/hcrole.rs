//! The ISO 17090-3 healthcare role attribute (`hcRole`), as HPKI carries it.
//!
//! An HPKI end-entity certificate states the holder's national qualification in the
//! `subjectDirectoryAttributes` extension (RFC 5280 §4.2.1.8): one `Attribute` of type
//! `id-hcpki-at-healthcareactor` (1.0.17090.0.1) whose value is an [`HcActorData`]. Japanese
//! HPKI fills `codedData` with the HPKI coding scheme (1.2.392.100495.1.6.1.1) and the English
//! role name as free text ("Medical Doctor"). The layout below reproduces a real MEDIS HPKI
//! test certificate byte for byte:
//!
//! ```text
//! HCActorData ::= SET OF HCActor
//! HCActor ::= SEQUENCE {
//!     codedData            [0] EXPLICIT CodedData OPTIONAL,
//!     regionalHCActorData  [1] EXPLICIT SEQUENCE OF RegionalData OPTIONAL }
//! CodedData ::= SET {
//!     codingSchemeReference [0] EXPLICIT OBJECT IDENTIFIER,
//!     codeDataValue         [1] EXPLICIT UTF8String OPTIONAL,
//!     codeDataFreeText      [2] EXPLICIT DirectoryString OPTIONAL }
//! ```

use der::asn1::{Any, ObjectIdentifier, SetOfVec, Utf8StringRef};
use der::{
    Decode, DecodeValue, Encode, EncodeValue, FixedTag, Header, Length, Reader, Sequence, Tag,
    ValueOrd, Writer,
};
use x509_cert::attr::Attribute;
use x509_cert::ext::pkix::name::DirectoryString;

use crate::oid::{ID_HCPKI_AT_HEALTHCARE_ACTOR, ID_HPKI_ROLE_CODING_SCHEME};

/// `CodedData`: a role drawn from a coding scheme. A `SET` in ISO 17090-3, whose
/// components carry distinct context tags, so DER puts them in tag order.
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct CodedData {
    /// `codingSchemeReference [0]`: the coding scheme (HPKI: 1.2.392.100495.1.6.1.1).
    pub coding_scheme_reference: ObjectIdentifier,
    /// `codeDataValue [1]`: a code from the scheme (unused by Japanese HPKI).
    pub code_data_value: Option<String>,
    /// `codeDataFreeText [2]`: the role as text (HPKI: the English role name).
    pub code_data_free_text: Option<DirectoryString>,
}

/// The components of [`CodedData`] in DER order; encoded under the SET tag.
#[derive(Sequence)]
struct CodedDataComponents<'a> {
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT")]
    coding_scheme_reference: ObjectIdentifier,
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT", optional = "true")]
    code_data_value: Option<Utf8StringRef<'a>>,
    #[asn1(context_specific = "2", tag_mode = "EXPLICIT", optional = "true")]
    code_data_free_text: Option<DirectoryString>,
}

impl CodedData {
    fn components(&self) -> der::Result<CodedDataComponents<'_>> {
        Ok(CodedDataComponents {
            coding_scheme_reference: self.coding_scheme_reference,
            code_data_value: self
                .code_data_value
                .as_deref()
                .map(Utf8StringRef::new)
                .transpose()?,
            code_data_free_text: self.code_data_free_text.clone(),
        })
    }
}

impl FixedTag for CodedData {
    const TAG: Tag = Tag::Set;
}

impl EncodeValue for CodedData {
    fn value_len(&self) -> der::Result<Length> {
        self.components()?.value_len()
    }

    fn encode_value(&self, writer: &mut impl Writer) -> der::Result<()> {
        self.components()?.encode_value(writer)
    }
}

impl<'a> DecodeValue<'a> for CodedData {
    type Error = der::Error;

    fn decode_value<R: Reader<'a>>(reader: &mut R, header: Header) -> der::Result<Self> {
        let c = CodedDataComponents::decode_value(reader, header)?;
        Ok(CodedData {
            coding_scheme_reference: c.coding_scheme_reference,
            code_data_value: c.code_data_value.map(|s| s.as_str().to_owned()),
            code_data_free_text: c.code_data_free_text,
        })
    }
}

/// `HCActor`: one healthcare role of the subject.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct HcActor {
    /// `codedData [0]`.
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    pub coded_data: Option<CodedData>,
    /// `regionalHCActorData [1]`: kept as raw DER; Japanese HPKI does not use it.
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT", optional = "true")]
    pub regional_hc_actor_data: Option<Any>,
}

impl ValueOrd for HcActor {
    fn value_cmp(&self, other: &Self) -> der::Result<core::cmp::Ordering> {
        Ok(self.to_der()?.cmp(&other.to_der()?))
    }
}

/// `HCActorData ::= SET OF HCActor`: the value of the `hcRole` attribute.
pub type HcActorData = SetOfVec<HcActor>;

impl HcActor {
    /// The HPKI form of a role: coding scheme 1.2.392.100495.1.6.1.1 and the English
    /// role name (for example `"Medical Doctor"`) as `codeDataFreeText`.
    pub fn hpki(role_en: &str) -> der::Result<Self> {
        Ok(HcActor {
            coded_data: Some(CodedData {
                coding_scheme_reference: ID_HPKI_ROLE_CODING_SCHEME,
                code_data_value: None,
                code_data_free_text: Some(DirectoryString::Utf8String(role_en.to_owned())),
            }),
            regional_hc_actor_data: None,
        })
    }

    /// The role text of an HPKI role (`codeDataFreeText` under the HPKI scheme), if any.
    pub fn hpki_role_text(&self) -> Option<std::borrow::Cow<'_, str>> {
        let coded = self.coded_data.as_ref()?;
        if coded.coding_scheme_reference != ID_HPKI_ROLE_CODING_SCHEME {
            return None;
        }
        Some(coded.code_data_free_text.as_ref()?.value())
    }
}

/// Build the `hcRole` attribute (type 1.0.17090.0.1) holding the given HPKI roles, ready to
/// be put into a `SubjectDirectoryAttributes` extension.
pub fn hc_role_attribute(roles_en: &[&str]) -> der::Result<Attribute> {
    let mut data = HcActorData::new();
    for role in roles_en {
        data.insert(HcActor::hpki(role)?)?;
    }
    let mut values = SetOfVec::new();
    values.insert(Any::encode_from(&data)?)?;
    Ok(Attribute {
        oid: ID_HCPKI_AT_HEALTHCARE_ACTOR,
        values,
    })
}

/// Read the HPKI role strings from an `hcRole` attribute; `None` if the attribute is of
/// another type.
pub fn hpki_roles(attribute: &Attribute) -> der::Result<Option<Vec<String>>> {
    if attribute.oid != ID_HCPKI_AT_HEALTHCARE_ACTOR {
        return Ok(None);
    }
    let mut roles = Vec::new();
    for value in attribute.values.iter() {
        let data = HcActorData::from_der(&value.to_der()?)?;
        for actor in data.iter() {
            if let Some(text) = actor.hpki_role_text() {
                roles.push(text.into_owned());
            }
        }
    }
    Ok(Some(roles))
}

#[cfg(test)]
mod tests {
    use super::*;
    use x509_cert::ext::pkix::SubjectDirectoryAttributes;

    /// extnValue of subjectDirectoryAttributes in a real MEDIS HPKI test certificate
    /// (holder "Medical Doctor").
    const MEDIS_SDA: &str = "303430320606288185420001312831263024a0223120a00c060a2a830886910f01060101a2100c0e4d65646963616c20446f63746f72";

    #[test]
    fn medical_doctor_encodes_exactly_as_a_real_hpki_certificate() {
        let sda = SubjectDirectoryAttributes(vec![hc_role_attribute(&["Medical Doctor"]).unwrap()]);
        assert_eq!(hex(&sda.to_der().unwrap()), MEDIS_SDA);
    }

    #[test]
    fn roles_are_read_back_from_a_real_hpki_certificate() {
        let der = unhex(MEDIS_SDA);
        let sda = SubjectDirectoryAttributes::from_der(&der).unwrap();
        let roles = hpki_roles(&sda.0[0]).unwrap().unwrap();
        assert_eq!(roles, vec!["Medical Doctor".to_owned()]);
    }

    #[test]
    fn two_roles_round_trip() {
        let attr = hc_role_attribute(&["Medical Doctor", "Director of Hospital"]).unwrap();
        let der = attr.to_der().unwrap();
        let back = Attribute::from_der(&der).unwrap();
        let mut roles = hpki_roles(&back).unwrap().unwrap();
        roles.sort();
        assert_eq!(roles, vec!["Director of Hospital", "Medical Doctor"]);
    }

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }
}
