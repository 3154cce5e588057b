//! Who the certificate names and what qualification it states: the subscriber summary of an
//! HPKI end-entity certificate and its ISO 17090 hcRole.
//!
//! An HPKI certificate names its holder twice (MHLW HPKI CP; a real MEDIS certificate): the
//! subject in romaji (`C=JP, O=<institution>, CN=<name>, serialNumber=<subscriber id>`) and a
//! subjectAltName directoryName in kanji (O, CN, serialNumber). The qualification is the
//! `hcRole` attribute (ISO 17090-3, type 1.0.17090.0.1) in subjectDirectoryAttributes
//! (RFC 5280 §4.2.1.8), decoded with hpki-asn1's types.

use const_oid::ObjectIdentifier;
use der::Decode;
use hpki_asn1::hcrole::{HcActor, HcActorData};
use hpki_asn1::oid::{ID_HCPKI_AT_HEALTHCARE_ACTOR, ID_HPKI_ROLE_CODING_SCHEME};
use hpki_profile::name::{
    COMMON_NAME, ORGANIZATION, ORGANIZATIONAL_UNIT, SERIAL_NUMBER, attribute_values,
};
use hpki_profile::roles::RoleTable;
use hpki_text::{Localized, Text};
use x509_cert::Certificate;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{SubjectAltName, SubjectDirectoryAttributes};
use x509_cert::name::Name;

/// A certificate's content could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("malformed {extension} extension: {detail}")]
pub struct ContentError {
    /// The extension.
    pub extension: &'static str,
    /// The decoder's message.
    pub detail: String,
}

impl Localized for ContentError {
    fn text(&self) -> Text {
        Text::new(
            format!("{} 拡張を読み取れません", self.extension),
            self.to_string(),
        )
    }
}

/// One healthcare role (`HCActor`) of the certificate holder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HcRole {
    /// The role as stated: `codeDataFreeText` (HPKI: the English role name, "Medical Doctor"),
    /// or `codeDataValue` when only a code is given.
    pub role: String,
    /// The Japanese name of an HPKI role from hpki's role table (医師 for "Medical Doctor"),
    /// when the coding scheme is HPKI's and the role is in the table.
    pub role_ja: Option<String>,
    /// `codingSchemeReference` (HPKI: 1.2.392.100495.1.6.1.1).
    pub coding_scheme: ObjectIdentifier,
    /// The decoded `HCActor`.
    pub actor: HcActor,
}

impl HcRole {
    /// Whether the role is stated under the Japanese HPKI coding scheme.
    pub fn is_hpki(&self) -> bool {
        self.coding_scheme == ID_HPKI_ROLE_CODING_SCHEME
    }
}

impl std::fmt::Display for HcRole {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.role_ja {
            Some(ja) => write!(f, "{} ({ja})", self.role),
            None => write!(f, "{}", self.role),
        }
    }
}

/// The hcRole values of `cert` (ISO 17090-3 `HCActorData` in subjectDirectoryAttributes), in
/// the certificate's order; empty when it carries none.
pub fn hc_roles(cert: &Certificate) -> Result<Vec<HcRole>, ContentError> {
    let bad = |detail: String| ContentError {
        extension: "subjectDirectoryAttributes",
        detail,
    };
    let sda = match cert
        .tbs_certificate()
        .get_extension::<SubjectDirectoryAttributes>()
    {
        Ok(Some((_, sda))) => sda,
        Ok(None) => return Ok(Vec::new()),
        Err(e) => return Err(bad(e.to_string())),
    };
    hc_roles_of(&sda).map_err(|e| bad(e.to_string()))
}

/// The hcRole values of a decoded subjectDirectoryAttributes extension.
pub fn hc_roles_of(sda: &SubjectDirectoryAttributes) -> der::Result<Vec<HcRole>> {
    let table = RoleTable::shipped();
    let mut roles = Vec::new();
    for attribute in sda.0.iter() {
        if attribute.oid != ID_HCPKI_AT_HEALTHCARE_ACTOR {
            continue;
        }
        for value in attribute.values.iter() {
            let data: HcActorData = value.decode_as()?;
            for actor in data.iter() {
                let Some(coded) = &actor.coded_data else {
                    continue;
                };
                let text = coded
                    .code_data_free_text
                    .as_ref()
                    .map(|t| t.value().into_owned())
                    .or_else(|| coded.code_data_value.clone());
                let Some(role) = text else { continue };
                let role_ja = (coded.coding_scheme_reference == ID_HPKI_ROLE_CODING_SCHEME)
                    .then(|| table.find(&role).map(|r| r.ja.clone()))
                    .flatten();
                roles.push(HcRole {
                    role,
                    role_ja,
                    coding_scheme: coded.coding_scheme_reference,
                    actor: actor.clone(),
                });
            }
        }
    }
    Ok(roles)
}

/// Who an HPKI end-entity certificate names, and their qualification: the "who signed, what
/// qualification" of a signature report.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Subscriber {
    /// Subject CN (romaji), e.g. "Taro Nichii".
    pub name_romaji: Option<String>,
    /// CN of the subjectAltName directoryName (kanji), e.g. "日医　太郎".
    pub name_kanji: Option<String>,
    /// Subject serialNumber: the subscriber ID, e.g. "JMA0000001".
    pub subscriber_id: Option<String>,
    /// Subject O (romaji), the institution.
    pub organization: Option<String>,
    /// O of the subjectAltName directoryName (kanji).
    pub organization_kanji: Option<String>,
    /// Subject OU ("Director" for a manager role).
    pub organizational_unit: Option<String>,
    /// The hcRole values.
    pub roles: Vec<HcRole>,
}

fn first(name: &Name, oid: ObjectIdentifier) -> Option<String> {
    attribute_values(name, oid).into_iter().next()
}

impl Subscriber {
    /// Read the subscriber summary of `cert`.
    pub fn from_certificate(cert: &Certificate) -> Result<Subscriber, ContentError> {
        let tbs = cert.tbs_certificate();
        let subject = tbs.subject();
        let kanji: Option<Name> = match tbs.get_extension::<SubjectAltName>() {
            Ok(Some((_, san))) => san.0.into_iter().find_map(|g| match g {
                GeneralName::DirectoryName(n) => Some(n),
                _ => None,
            }),
            Ok(None) => None,
            Err(e) => {
                return Err(ContentError {
                    extension: "subjectAltName",
                    detail: e.to_string(),
                });
            }
        };
        Ok(Subscriber {
            name_romaji: first(subject, COMMON_NAME),
            name_kanji: kanji.as_ref().and_then(|n| first(n, COMMON_NAME)),
            subscriber_id: first(subject, SERIAL_NUMBER)
                .or_else(|| kanji.as_ref().and_then(|n| first(n, SERIAL_NUMBER))),
            organization: first(subject, ORGANIZATION),
            organization_kanji: kanji.as_ref().and_then(|n| first(n, ORGANIZATION)),
            organizational_unit: first(subject, ORGANIZATIONAL_UNIT),
            roles: hc_roles(cert)?,
        })
    }
}

/// Decode a DER subjectDirectoryAttributes extension value (extnValue contents).
pub fn subject_directory_attributes(der: &[u8]) -> der::Result<SubjectDirectoryAttributes> {
    SubjectDirectoryAttributes::from_der(der)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// extnValue of subjectDirectoryAttributes in a real MEDIS HPKI test certificate (holder
    /// "Medical Doctor"), as recorded in hpki-asn1.
    const MEDIS_SDA: &str = "303430320606288185420001312831263024a0223120a00c060a2a830886910f01060101a2100c0e4d65646963616c20446f63746f72";

    #[test]
    fn real_medis_hc_role_reads_as_medical_doctor() {
        let der = hex::decode(MEDIS_SDA).unwrap();
        let sda = subject_directory_attributes(&der).unwrap();
        let roles = hc_roles_of(&sda).unwrap();
        assert_eq!(roles.len(), 1);
        assert_eq!(roles[0].role, "Medical Doctor");
        assert_eq!(roles[0].role_ja.as_deref(), Some("医師"));
        assert!(roles[0].is_hpki());
        assert_eq!(roles[0].to_string(), "Medical Doctor (医師)");
    }
}
