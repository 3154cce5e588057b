//! The document types of the archive and their retention periods, as data
//! (`data/document-types.toml`, from the seed's e-document-law table), and the archive's
//! configuration file (`archive.toml`), which overrides or adds types and sets the renewal
//! margin.

use serde::{Deserialize, Serialize};

use crate::ArchiveError;

/// The shipped table (see the file for its sources).
pub const DEFAULT_DOCUMENT_TYPES_TOML: &str = include_str!("../data/document-types.toml");

/// The default safety margin: an archive time-stamp is renewed this many days before the
/// earliest expiry of its TSA's certificate chain.
pub const DEFAULT_RENEWAL_MARGIN_DAYS: u32 = 90;

/// The longest retention period accepted, years (a typo such as 500 is refused).
pub const MAX_RETENTION_YEARS: u32 = 100;

/// Where a retention period comes from.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, Eq, PartialEq)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// The seed's table (the e-document-law examples).
    Seed,
    /// This project's (or the deployment's) policy, where the seed gives none.
    Policy,
}

impl Source {
    /// `seed` / `policy`.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Seed => "seed",
            Source::Policy => "policy",
        }
    }
}

/// One document type.
#[derive(Clone, Debug, Deserialize, Serialize, Eq, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DocumentType {
    /// Identifier, ASCII (`medical-certificate`); what `--type` takes (the Japanese name is
    /// accepted too).
    pub id: String,
    /// Japanese name (診断書).
    pub ja: String,
    /// English name.
    pub en: String,
    /// The profession that keeps it, in Japanese (医師).
    pub profession_ja: String,
    /// The profession, in English.
    pub profession_en: String,
    /// The legal basis (根拠), as the seed writes it.
    pub basis: String,
    /// The retention period (保存期間), years.
    pub retention_years: u32,
    /// Where the period comes from.
    pub source: Source,
    /// Why a policy period was chosen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The table of document types.
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct DocumentTypes {
    types: Vec<DocumentType>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TableFile {
    #[serde(default)]
    document_type: Vec<DocumentType>,
}

/// An entry of `archive.toml`: a new type (all fields) or changes to a shipped one (`id` and
/// the fields to change).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct TypeOverride {
    id: String,
    ja: Option<String>,
    en: Option<String>,
    profession_ja: Option<String>,
    profession_en: Option<String>,
    basis: Option<String>,
    retention_years: Option<u32>,
    source: Option<Source>,
    note: Option<String>,
}

/// `[archive]` of `archive.toml`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ArchiveSection {
    renewal_margin_days: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    #[serde(default)]
    archive: ArchiveSection,
    #[serde(default)]
    document_type: Vec<TypeOverride>,
}

/// The archive's configuration: the document types and the renewal margin.
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct ArchiveConfig {
    /// The document types.
    pub types: DocumentTypes,
    /// Days before the earliest expiry of the latest archive time-stamp's TSA certificate
    /// chain at which the next archive time-stamp is due.
    pub renewal_margin_days: u32,
}

impl Default for ArchiveConfig {
    fn default() -> Self {
        ArchiveConfig {
            types: DocumentTypes::hpki_default(),
            renewal_margin_days: DEFAULT_RENEWAL_MARGIN_DAYS,
        }
    }
}

impl ArchiveConfig {
    /// The shipped table and margin, changed by `archive.toml` text:
    ///
    /// ```toml
    /// [archive]
    /// renewal_margin_days = 120
    ///
    /// [[document_type]]          # a shipped type: only the fields given change
    /// id = "irradiation-record"
    /// retention_years = 3
    /// source = "policy"
    ///
    /// [[document_type]]          # a new type: every field
    /// id = "care-plan-opinion"
    /// ja = "主治医意見書"
    /// en = "Attending physician's opinion"
    /// profession_ja = "医師"
    /// profession_en = "Medical Doctor"
    /// basis = "介護保険法第27条第3項"
    /// retention_years = 5
    /// source = "policy"
    /// ```
    ///
    /// # Errors
    /// [`ArchiveError::Config`] for text that is not of this shape, a new type lacking a
    /// field, a period of 0 or more than [`MAX_RETENTION_YEARS`], a margin of 0, or a name
    /// used twice.
    pub fn from_toml(text: &str) -> Result<Self, ArchiveError> {
        let file: ConfigFile = toml::from_str(text).map_err(|e| {
            ArchiveError::config(
                format!("TOML として読めません{}", hpki_text::DETAIL_IN_ENGLISH),
                e.to_string(),
            )
        })?;
        let mut types = DocumentTypes::hpki_default().types;
        for o in file.document_type {
            match types.iter_mut().find(|t| t.id == o.id) {
                Some(t) => {
                    let o = o.clone();
                    if let Some(v) = o.ja {
                        t.ja = v;
                    }
                    if let Some(v) = o.en {
                        t.en = v;
                    }
                    if let Some(v) = o.profession_ja {
                        t.profession_ja = v;
                    }
                    if let Some(v) = o.profession_en {
                        t.profession_en = v;
                    }
                    if let Some(v) = o.basis {
                        t.basis = v;
                    }
                    if let Some(v) = o.retention_years {
                        t.retention_years = v;
                        // A changed period is the deployment's policy unless it says otherwise.
                        t.source = o.source.unwrap_or(Source::Policy);
                    } else if let Some(v) = o.source {
                        t.source = v;
                    }
                    if o.note.is_some() {
                        t.note = o.note;
                    }
                }
                None => {
                    let missing = |field: &str| {
                        ArchiveError::config(
                            format!("文書種別 {:?} に {field} がありません", o.id),
                            format!("new document type {:?} lacks {field}", o.id),
                        )
                    };
                    types.push(DocumentType {
                        ja: o.ja.clone().ok_or_else(|| missing("ja"))?,
                        en: o.en.clone().ok_or_else(|| missing("en"))?,
                        profession_ja: o
                            .profession_ja
                            .clone()
                            .ok_or_else(|| missing("profession_ja"))?,
                        profession_en: o
                            .profession_en
                            .clone()
                            .ok_or_else(|| missing("profession_en"))?,
                        basis: o.basis.clone().ok_or_else(|| missing("basis"))?,
                        retention_years: o
                            .retention_years
                            .ok_or_else(|| missing("retention_years"))?,
                        source: o.source.unwrap_or(Source::Policy),
                        note: o.note.clone(),
                        id: o.id,
                    });
                }
            }
        }
        let margin = file
            .archive
            .renewal_margin_days
            .unwrap_or(DEFAULT_RENEWAL_MARGIN_DAYS);
        if margin == 0 || margin > 3650 {
            return Err(ArchiveError::config(
                format!("renewal_margin_days は 1〜3650 日です（{margin}）"),
                format!("renewal_margin_days {margin}: 1 to 3650"),
            ));
        }
        Ok(ArchiveConfig {
            types: DocumentTypes::checked(types)?,
            renewal_margin_days: margin,
        })
    }
}

impl DocumentTypes {
    /// Parses a whole table (`[[document_type]]` with every field).
    ///
    /// # Errors
    /// [`ArchiveError::Config`] as for [`ArchiveConfig::from_toml`].
    pub fn from_toml(text: &str) -> Result<Self, ArchiveError> {
        let file: TableFile = toml::from_str(text).map_err(|e| {
            ArchiveError::config(
                format!("TOML として読めません{}", hpki_text::DETAIL_IN_ENGLISH),
                e.to_string(),
            )
        })?;
        Self::checked(file.document_type)
    }

    fn checked(types: Vec<DocumentType>) -> Result<Self, ArchiveError> {
        let mut seen = std::collections::HashSet::new();
        for t in &types {
            if t.id.is_empty()
                || !t
                    .id
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            {
                return Err(ArchiveError::config(
                    format!(
                        "文書種別の ID {:?} が不正です（英小文字・数字・'-' のみ）",
                        t.id
                    ),
                    format!(
                        "document type id {:?}: lowercase ASCII letters, digits and '-'",
                        t.id
                    ),
                ));
            }
            if t.retention_years == 0 || t.retention_years > MAX_RETENTION_YEARS {
                return Err(ArchiveError::config(
                    format!(
                        "{} の保存期間 {} 年が不正です（1〜{MAX_RETENTION_YEARS} 年）",
                        t.id, t.retention_years
                    ),
                    format!(
                        "{}: retention_years {} (1 to {MAX_RETENTION_YEARS})",
                        t.id, t.retention_years
                    ),
                ));
            }
            for name in [&t.id, &t.ja] {
                if !seen.insert(name.clone()) {
                    return Err(ArchiveError::config(
                        format!("文書種別 {name:?} が重複しています"),
                        format!("{name:?} appears twice in the document types"),
                    ));
                }
            }
        }
        Ok(DocumentTypes { types })
    }

    /// The table shipped with hpki.
    pub fn hpki_default() -> Self {
        // The shipped table is checked by a unit test; failing here would be a build defect.
        Self::from_toml(DEFAULT_DOCUMENT_TYPES_TOML).unwrap_or(DocumentTypes { types: Vec::new() })
    }

    /// The type named `name`: its id or its Japanese name.
    pub fn find(&self, name: &str) -> Option<&DocumentType> {
        let name = name.trim();
        self.types.iter().find(|t| t.id == name || t.ja == name)
    }

    /// Every type, in table order.
    pub fn all(&self) -> &[DocumentType] {
        &self.types
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_table_follows_the_seed() {
        let t = DocumentTypes::from_toml(DEFAULT_DOCUMENT_TYPES_TOML).unwrap();
        assert_eq!(t.all().len(), 13);
        let years = |id: &str| t.find(id).unwrap().retention_years;
        for id in [
            "medical-certificate",
            "postmortem-certificate",
            "birth-certificate",
            "stillbirth-certificate",
            "medical-record",
            "dental-medical-certificate",
            "dental-medical-record",
            "midwifery-record",
            "insurance-medical-record",
        ] {
            assert_eq!(years(id), 5, "{id}");
            assert_eq!(t.find(id).unwrap().source, Source::Seed, "{id}");
        }
        assert_eq!(years("prescription-annotation"), 3);
        assert_eq!(years("dispensing-record"), 3);
        // Where the seed is silent: policy defaults, said so.
        for id in ["irradiation-record", "referral-letter"] {
            let d = t.find(id).unwrap();
            assert_eq!((d.retention_years, d.source), (5, Source::Policy));
            assert!(
                d.note
                    .as_deref()
                    .is_some_and(|n| n.contains("this project"))
            );
        }
        assert_eq!(t.find("調剤録").unwrap().basis, "薬剤師法第28条");
        assert_eq!(t.find("診療録").unwrap().basis, "医師法第24条第1項");
        assert!(t.find("処方箋").is_none(), "電子化対象外 in the seed");
    }

    #[test]
    fn archive_toml_changes_and_adds_types() {
        let c = ArchiveConfig::from_toml(
            r#"
            [archive]
            renewal_margin_days = 120
            [[document_type]]
            id = "irradiation-record"
            retention_years = 2
            [[document_type]]
            id = "care-plan-opinion"
            ja = "主治医意見書"
            en = "Attending physician's opinion"
            profession_ja = "医師"
            profession_en = "Medical Doctor"
            basis = "介護保険法第27条第3項"
            retention_years = 5
            "#,
        )
        .unwrap();
        assert_eq!(c.renewal_margin_days, 120);
        let ir = c.types.find("照射録").unwrap();
        assert_eq!((ir.retention_years, ir.source), (2, Source::Policy));
        assert_eq!(ir.basis, "診療放射線技師法第28条", "unchanged fields stay");
        assert_eq!(
            c.types.find("主治医意見書").unwrap().id,
            "care-plan-opinion"
        );
        assert_eq!(c.types.all().len(), 14);
        assert_eq!(
            ArchiveConfig::from_toml("").unwrap(),
            ArchiveConfig::default()
        );
    }

    #[test]
    fn bad_configurations_are_refused() {
        for text in [
            "[[document_type]]\nid = \"x\"\nretention_years = 5\n",
            "[[document_type]]\nid = \"referral-letter\"\nretention_years = 0\n",
            "[[document_type]]\nid = \"referral-letter\"\nretention_years = 500\n",
            "[[document_type]]\nid = \"referral-letter\"\nja = \"診断書\"\n",
            "[archive]\nrenewal_margin_days = 0\n",
            "[archive]\nrenewal_margin = 30\n",
            "not toml",
        ] {
            assert!(
                matches!(ArchiveConfig::from_toml(text), Err(ArchiveError::Config(_))),
                "{text}"
            );
        }
    }
}
