//! The HPKI role table: every qualification and manager role that may appear in an HPKI
//! `hcRole`, with its Japanese name. The table is data (`data/hpki-roles.toml`), replaceable
//! by a deployment's own file, because the CP — not the code — defines it.

use hpki_text::{Localized, Text};
use serde::Deserialize;

/// The table shipped with hpki (27 qualifications + 5 manager roles of the MHLW HPKI CP).
pub const DEFAULT_ROLES_TOML: &str = include_str!("../data/hpki-roles.toml");

/// Whether a role is a national qualification or an institution manager role.
#[derive(Clone, Copy, Debug, Deserialize, Eq, PartialEq)]
#[serde(rename_all = "lowercase")]
pub enum RoleKind {
    /// A national qualification (医師, 薬剤師, …).
    Qualification,
    /// A manager role (病院長, …): the subject must name the institution (O) and OU="Director".
    Manager,
}

/// One row of the role table.
#[derive(Clone, Debug, Deserialize, Eq, PartialEq)]
pub struct Role {
    /// Japanese name (医師).
    pub ja: String,
    /// The English string carried in hcRole ("Medical Doctor").
    pub en: String,
    /// Qualification or manager role.
    pub kind: RoleKind,
    /// Whether the English string has been seen in real HPKI certificates.
    #[serde(default)]
    pub confirmed: bool,
}

/// The role table.
#[derive(Clone, Debug, Deserialize, Eq, PartialEq)]
pub struct RoleTable {
    #[serde(rename = "role")]
    roles: Vec<Role>,
}

/// A role table file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum RoleTableError {
    /// Not valid TOML of the expected shape.
    #[error("role table is not valid: {0}")]
    Parse(String),
    /// The same English or Japanese name appears twice.
    #[error("role {0:?} appears twice in the role table")]
    Duplicate(String),
}

impl Localized for RoleTableError {
    fn text(&self) -> Text {
        match self {
            RoleTableError::Parse(f0) => Text::new(
                format!("資格表の形式が不正です{}", hpki_text::DETAIL_IN_ENGLISH),
                format!("role table is not valid: {f0}"),
            ),
            RoleTableError::Duplicate(f0) => Text::new(
                format!("資格 {f0:?} が資格表に重複しています"),
                format!("role {f0:?} appears twice in the role table"),
            ),
        }
    }
}

impl RoleTable {
    /// Parse a role table (`[[role]] ja = … en = … kind = …`).
    pub fn from_toml(text: &str) -> Result<Self, RoleTableError> {
        let table: RoleTable =
            toml::from_str(text).map_err(|e| RoleTableError::Parse(e.to_string()))?;
        let mut seen = std::collections::HashSet::new();
        for role in &table.roles {
            if !seen.insert(role.en.clone()) {
                return Err(RoleTableError::Duplicate(role.en.clone()));
            }
            if !seen.insert(role.ja.clone()) {
                return Err(RoleTableError::Duplicate(role.ja.clone()));
            }
        }
        Ok(table)
    }

    /// The table shipped with hpki.
    pub fn hpki_default() -> Self {
        Self::shipped().clone()
    }

    /// The table shipped with hpki, parsed once per process (a verifier looks roles up for
    /// every signature it checks).
    pub fn shipped() -> &'static RoleTable {
        static SHIPPED: std::sync::OnceLock<RoleTable> = std::sync::OnceLock::new();
        // The shipped table is checked by a unit test; failing here would be a build defect.
        SHIPPED.get_or_init(|| {
            Self::from_toml(DEFAULT_ROLES_TOML).unwrap_or(RoleTable { roles: Vec::new() })
        })
    }

    /// Find a role by its English hcRole string or its Japanese name.
    pub fn find(&self, name: &str) -> Option<&Role> {
        self.roles.iter().find(|r| r.en == name || r.ja == name)
    }

    /// All roles.
    pub fn roles(&self) -> &[Role] {
        &self.roles
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_table_has_27_qualifications_and_5_manager_roles() {
        let t = RoleTable::from_toml(DEFAULT_ROLES_TOML).unwrap();
        let q = t
            .roles()
            .iter()
            .filter(|r| r.kind == RoleKind::Qualification)
            .count();
        let m = t
            .roles()
            .iter()
            .filter(|r| r.kind == RoleKind::Manager)
            .count();
        assert_eq!((q, m), (27, 5));
    }

    #[test]
    fn roles_are_found_by_english_or_japanese_name() {
        let t = RoleTable::hpki_default();
        assert_eq!(t.find("医師").unwrap().en, "Medical Doctor");
        assert_eq!(
            t.find("Director of Hospital").unwrap().kind,
            RoleKind::Manager
        );
        assert!(t.find("Wizard").is_none());
    }

    #[test]
    fn duplicates_are_refused() {
        let text = "[[role]]\nja='医師'\nen='A'\nkind='qualification'\n[[role]]\nja='医師'\nen='B'\nkind='qualification'\n";
        assert!(matches!(
            RoleTable::from_toml(text),
            Err(RoleTableError::Duplicate(_))
        ));
    }
}
