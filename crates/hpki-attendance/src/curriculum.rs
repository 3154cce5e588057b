//! The curriculum codes (カリキュラムコード) of 日本医師会生涯教育カリキュラム〈2016〉: 1 to 84, each
//! with its name, read from `data/curriculum2016.tsv` (日医「生涯教育制度」実施要綱 別紙1). Every talk
//! carries exactly one code; a doctor's distinct codes count towards the 認定証 beside the units.

use std::fmt;
use std::sync::OnceLock;

use hpki_text::Text;

/// The data file: `code<TAB>name`, `#` comments.
const DATA: &str = include_str!("../data/curriculum2016.tsv");

/// The number of codes in カリキュラム〈2016〉.
pub const COUNT: u8 = 84;

/// One curriculum code, 1 to 84.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct CurriculumCode(u8);

impl CurriculumCode {
    /// The code `n`, if it is one of the 84.
    pub fn new(n: u8) -> Option<CurriculumCode> {
        (1..=COUNT).contains(&n).then_some(CurriculumCode(n))
    }

    /// The code written as a number (`"73"`, `" 8 "`), if it is one of the 84.
    pub fn parse(s: &str) -> Option<CurriculumCode> {
        s.trim().parse::<u8>().ok().and_then(CurriculumCode::new)
    }

    /// The code as stored (an integer column), if it is one of the 84.
    pub fn from_stored(n: i64) -> Option<CurriculumCode> {
        u8::try_from(n).ok().and_then(CurriculumCode::new)
    }

    /// The code as lists show it: `CC76 糖尿病`.
    pub fn label(self) -> String {
        format!("CC{} {}", self.0, self.name().ja)
    }

    /// The number.
    pub fn number(self) -> u8 {
        self.0
    }

    /// Its name in カリキュラム〈2016〉 (Japanese; the English text gives the number).
    pub fn name(self) -> Text {
        let ja = names()[usize::from(self.0 - 1)];
        Text::new(ja, format!("curriculum code {}", self.0))
    }

    /// All 84 codes in order.
    pub fn all() -> impl Iterator<Item = CurriculumCode> {
        (1..=COUNT).map(CurriculumCode)
    }
}

impl fmt::Display for CurriculumCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl<'de> serde::Deserialize<'de> for CurriculumCode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let n = u8::deserialize(d)?;
        CurriculumCode::new(n).ok_or_else(|| {
            serde::de::Error::custom(format!("curriculum code {n} is not one of 1-{COUNT}"))
        })
    }
}

/// The names, index = code − 1. The data file is part of the build; its shape is checked by
/// the tests below, so a malformed line is a build that fails its tests, not a panic at a user.
fn names() -> &'static [&'static str] {
    static NAMES: OnceLock<Vec<&'static str>> = OnceLock::new();
    NAMES.get_or_init(|| {
        let mut names = vec!["?"; usize::from(COUNT)];
        for line in DATA
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        {
            if let Some((code, name)) = line.split_once('\t')
                && let Some(code) = CurriculumCode::parse(code)
            {
                names[usize::from(code.0 - 1)] = name.trim();
            }
        }
        names
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_data_file_holds_each_of_the_84_codes_once_in_order() {
        let codes: Vec<u8> = DATA
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .map(|l| {
                l.split_once('\t')
                    .expect("code<TAB>name")
                    .0
                    .parse()
                    .expect("a number")
            })
            .collect();
        assert_eq!(codes, (1..=84).collect::<Vec<u8>>());
        assert!(CurriculumCode::all().all(|c| c.name().ja != "?" && !c.name().ja.is_empty()));
    }

    #[test]
    fn codes_outside_1_to_84_are_refused() {
        assert_eq!(CurriculumCode::new(0), None);
        assert_eq!(CurriculumCode::new(85), None);
        assert_eq!(
            CurriculumCode::parse(" 76 ").map(|c| c.name().ja),
            Some("糖尿病".into())
        );
        assert_eq!(CurriculumCode::parse("x"), None);
        assert!(serde_json::from_str::<CurriculumCode>("85").is_err());
        assert_eq!(
            CurriculumCode::from_stored(76).map(CurriculumCode::label),
            Some("CC76 糖尿病".into())
        );
        assert_eq!(CurriculumCode::from_stored(-1), None);
        assert_eq!(CurriculumCode::from_stored(300), None);
        assert_eq!(
            serde_json::from_str::<CurriculumCode>("1").ok(),
            CurriculumCode::new(1)
        );
    }
}
