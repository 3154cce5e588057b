//! The subscriber, as the registration authority describes it in JSON:
//!
//! ```json
//! {"name_romaji": "Taro Nichii", "name_kanji": "日医　太郎", "subscriber_id": "JMA0000001",
//!  "role": "Medical Doctor", "organization_romaji": "Nichii Hospital", "organization_kanji": "日医病院"}
//! ```
//!
//! `role` is one HPKI role (English or Japanese name) or a list of them. The subject DN follows
//! the HPKI convention `C=JP, O=<institution>, [OU=Director,] CN=<name>, serialNumber=<id>` in
//! romaji; the kanji forms go into a `directoryName` subjectAltName.

use hpki_text::{Localized, Text};
use serde::{Deserialize, Serialize};
use x509_cert::name::Name;

use crate::name::{NameAttribute, build_name};
use crate::roles::{RoleKind, RoleTable};

/// The OU value manager roles require (MHLW HPKI CP).
pub const DIRECTOR_OU: &str = "Director";

/// One role or several.
#[derive(Clone, Debug, Deserialize, Serialize, Eq, PartialEq)]
#[serde(untagged)]
pub enum RoleInput {
    /// A single role.
    One(String),
    /// Several roles (a doctor who also directs a hospital).
    Many(Vec<String>),
}

/// The JSON subject input.
#[derive(Clone, Debug, Deserialize, Serialize, Eq, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SubjectInput {
    /// Name in romaji (subject CN).
    pub name_romaji: String,
    /// Name in kanji (subjectAltName CN).
    pub name_kanji: String,
    /// Subscriber identifier (serialNumber attribute), unique per subscriber.
    pub subscriber_id: String,
    /// HPKI role(s).
    pub role: RoleInput,
    /// Institution in romaji (subject O).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization_romaji: Option<String>,
    /// Institution in kanji (subjectAltName O).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization_kanji: Option<String>,
}

/// What is wrong with a subject input. Messages are for the registration officer.
#[derive(Debug, Eq, PartialEq, thiserror::Error)]
pub enum SubjectError {
    /// Not valid JSON of the expected shape.
    #[error("subject JSON is invalid: {0}")]
    Json(String),
    /// A required field is empty.
    #[error("{0} must not be empty")]
    Empty(&'static str),
    /// A field is too long for the certificate (ub-name 64 characters).
    #[error("{0} is longer than 64 characters")]
    TooLong(&'static str),
    /// The romaji name contains characters other than Latin letters, spaces, `-`, `'` and `.`.
    #[error("{0} may contain only Latin letters, spaces and - ' .")]
    NotRomaji(&'static str),
    /// The subscriber id is not a PrintableString.
    #[error("subscriber_id may contain only A-Z a-z 0-9 and space ' ( ) + , - . / : = ?")]
    NotPrintable,
    /// The role is not in the HPKI role table.
    #[error("unknown role {0:?}: not in the HPKI role list")]
    UnknownRole(String),
    /// No role given.
    #[error("at least one role is required")]
    NoRole,
    /// A manager role was given without the institution.
    #[error("role {0:?} requires organization_romaji and organization_kanji")]
    DirectorNeedsOrganization(String),
    /// Only one of the two organization forms was given.
    #[error("organization_romaji and organization_kanji must be given together")]
    HalfOrganization,
}

impl Localized for SubjectError {
    fn text(&self) -> Text {
        match self {
            SubjectError::Json(f0) => Text::new(
                format!("申請者情報のJSONが不正です: {f0}"),
                format!("subject JSON is invalid: {f0}"),
            ),
            SubjectError::Empty(f0) => {
                Text::new(format!("{f0} が空です"), format!("{f0} must not be empty"))
            }
            SubjectError::TooLong(f0) => Text::new(
                format!("{f0} が64文字を超えています"),
                format!("{f0} is longer than 64 characters"),
            ),
            SubjectError::NotRomaji(f0) => Text::new(
                format!("{f0} にはローマ字・空白・- ' . のみ使用できます"),
                format!("{f0} may contain only Latin letters, spaces and - ' ."),
            ),
            SubjectError::NotPrintable => Text::new(
                "subscriber_id に使用できない文字があります（A-Z a-z 0-9 と空白 ' ( ) + , - . / : = ? のみ）",
                self.to_string(),
            ),
            SubjectError::UnknownRole(f0) => Text::new(
                format!("資格 {f0:?} はHPKIの資格一覧にありません"),
                format!("unknown role {f0:?}: not in the HPKI role list"),
            ),
            SubjectError::NoRole => {
                Text::new("資格を指定してください", "at least one role is required")
            }
            SubjectError::DirectorNeedsOrganization(f0) => Text::new(
                format!("管理者資格 {f0:?} には組織名（ローマ字・漢字）が必要です"),
                format!("role {f0:?} requires organization_romaji and organization_kanji"),
            ),
            SubjectError::HalfOrganization => Text::new(
                "組織名はローマ字と漢字の両方を指定してください",
                "organization_romaji and organization_kanji must be given together",
            ),
        }
    }
}

/// A validated subject, ready for a certificate.
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct ValidatedSubject {
    /// The input it came from.
    pub input: SubjectInput,
    /// The hcRole strings (English), in input order.
    pub roles_en: Vec<String>,
    /// Whether a manager role is among them.
    pub is_director: bool,
}

fn check_text(field: &'static str, s: &str) -> Result<(), SubjectError> {
    if s.trim().is_empty() {
        return Err(SubjectError::Empty(field));
    }
    if s.chars().count() > 64 {
        return Err(SubjectError::TooLong(field));
    }
    Ok(())
}

fn is_printable_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || " '()+,-./:=?".contains(c)
}

impl SubjectInput {
    /// Parse the JSON text.
    pub fn from_json(text: &str) -> Result<Self, SubjectError> {
        serde_json::from_str(text).map_err(|e| SubjectError::Json(e.to_string()))
    }

    /// Check every field against the HPKI rules and the role table.
    pub fn validate(self, roles: &RoleTable) -> Result<ValidatedSubject, SubjectError> {
        check_text("name_romaji", &self.name_romaji)?;
        if !self
            .name_romaji
            .chars()
            .all(|c| c.is_ascii_alphabetic() || " -'.".contains(c))
        {
            return Err(SubjectError::NotRomaji("name_romaji"));
        }
        check_text("name_kanji", &self.name_kanji)?;
        check_text("subscriber_id", &self.subscriber_id)?;
        if !self.subscriber_id.chars().all(is_printable_char) {
            return Err(SubjectError::NotPrintable);
        }
        match (&self.organization_romaji, &self.organization_kanji) {
            (Some(r), Some(k)) => {
                check_text("organization_romaji", r)?;
                if !r.chars().all(is_printable_char) {
                    return Err(SubjectError::NotRomaji("organization_romaji"));
                }
                check_text("organization_kanji", k)?;
            }
            (None, None) => {}
            _ => return Err(SubjectError::HalfOrganization),
        }
        let names: Vec<String> = match &self.role {
            RoleInput::One(r) => vec![r.clone()],
            RoleInput::Many(rs) => rs.clone(),
        };
        if names.is_empty() {
            return Err(SubjectError::NoRole);
        }
        let mut roles_en = Vec::new();
        let mut is_director = false;
        for name in names {
            let role = roles
                .find(name.trim())
                .ok_or_else(|| SubjectError::UnknownRole(name.clone()))?;
            if role.kind == RoleKind::Manager {
                is_director = true;
                if self.organization_romaji.is_none() {
                    return Err(SubjectError::DirectorNeedsOrganization(role.en.clone()));
                }
            }
            if !roles_en.contains(&role.en) {
                roles_en.push(role.en.clone());
            }
        }
        Ok(ValidatedSubject {
            input: self,
            roles_en,
            is_director,
        })
    }
}

impl ValidatedSubject {
    /// `C=JP, [O=…,] [OU=Director,] CN=<romaji>, serialNumber=<id>`.
    pub fn subject_name(&self) -> der::Result<Name> {
        let i = &self.input;
        let mut attrs = vec![NameAttribute::Country("JP".into())];
        if let Some(o) = &i.organization_romaji {
            attrs.push(NameAttribute::Organization(o.clone()));
        }
        if self.is_director {
            attrs.push(NameAttribute::OrganizationalUnit(DIRECTOR_OU.into()));
        }
        attrs.push(NameAttribute::CommonName(i.name_romaji.clone()));
        attrs.push(NameAttribute::SerialNumber(i.subscriber_id.clone()));
        build_name(&attrs)
    }

    /// The kanji forms for the `directoryName` subjectAltName:
    /// `C=JP, [O=<kanji>,] [OU=Director,] CN=<kanji>, serialNumber=<id>`.
    pub fn kanji_name(&self) -> der::Result<Name> {
        let i = &self.input;
        let mut attrs = vec![NameAttribute::Country("JP".into())];
        if let Some(o) = &i.organization_kanji {
            attrs.push(NameAttribute::Organization(o.clone()));
        }
        if self.is_director {
            attrs.push(NameAttribute::OrganizationalUnit(DIRECTOR_OU.into()));
        }
        attrs.push(NameAttribute::CommonName(i.name_kanji.clone()));
        attrs.push(NameAttribute::SerialNumber(i.subscriber_id.clone()));
        build_name(&attrs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<ValidatedSubject, SubjectError> {
        SubjectInput::from_json(json)?.validate(&RoleTable::hpki_default())
    }

    #[test]
    fn a_doctor_validates() {
        let s = parse(r#"{"name_romaji":"Taro Nichii","name_kanji":"日医　太郎","subscriber_id":"JMA0000001","role":"Medical Doctor"}"#).unwrap();
        assert_eq!(s.roles_en, vec!["Medical Doctor"]);
        assert_eq!(
            s.subject_name().unwrap().to_string(),
            "SERIALNUMBER=JMA0000001,CN=Taro Nichii,C=JP"
        );
    }

    #[test]
    fn japanese_role_names_are_accepted() {
        let s = parse(r#"{"name_romaji":"A","name_kanji":"甲","subscriber_id":"1","role":"医師"}"#)
            .unwrap();
        assert_eq!(s.roles_en, vec!["Medical Doctor"]);
    }

    #[test]
    fn unknown_roles_are_refused() {
        let e =
            parse(r#"{"name_romaji":"A","name_kanji":"甲","subscriber_id":"1","role":"Wizard"}"#)
                .unwrap_err();
        assert_eq!(e, SubjectError::UnknownRole("Wizard".into()));
    }

    #[test]
    fn a_director_needs_the_institution_and_gets_ou_director() {
        let e = parse(r#"{"name_romaji":"A","name_kanji":"甲","subscriber_id":"1","role":["Medical Doctor","Director of Hospital"]}"#).unwrap_err();
        assert!(matches!(e, SubjectError::DirectorNeedsOrganization(_)));
        let s = parse(r#"{"name_romaji":"A","name_kanji":"甲","subscriber_id":"1","role":["Medical Doctor","Director of Hospital"],"organization_romaji":"Nichii Hospital","organization_kanji":"日医病院"}"#).unwrap();
        assert!(s.is_director);
        assert_eq!(
            s.subject_name().unwrap().to_string(),
            "SERIALNUMBER=1,CN=A,OU=Director,O=Nichii Hospital,C=JP"
        );
    }

    #[test]
    fn bad_json_and_bad_fields_are_refused() {
        assert!(matches!(parse("{"), Err(SubjectError::Json(_))));
        assert!(matches!(
            parse(
                r#"{"name_romaji":"A","name_kanji":"甲","subscriber_id":"1","role":"医師","extra":1}"#
            ),
            Err(SubjectError::Json(_))
        ));
        assert_eq!(
            parse(r#"{"name_romaji":"日医","name_kanji":"甲","subscriber_id":"1","role":"医師"}"#)
                .unwrap_err(),
            SubjectError::NotRomaji("name_romaji")
        );
        assert_eq!(
            parse(r#"{"name_romaji":"A","name_kanji":"甲","subscriber_id":"ID_1","role":"医師"}"#)
                .unwrap_err(),
            SubjectError::NotPrintable
        );
        assert_eq!(
            parse(r#"{"name_romaji":" ","name_kanji":"甲","subscriber_id":"1","role":"医師"}"#)
                .unwrap_err(),
            SubjectError::Empty("name_romaji")
        );
    }
}
