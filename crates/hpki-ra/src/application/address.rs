//! A postal address as the form asks for it, and postal codes.

use serde::{Deserialize, Serialize};

use super::*;

/// A postal address as the form asks for it (住所 / 医療機関住所 / その他の住所).
#[derive(Clone, Debug, Default, Eq, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Address {
    /// 郵便番号: 7 digits; `〒123-4567`, `1234567` and full-width digits are accepted and
    /// normalised to `123-4567`.
    pub postal_code: String,
    /// 都道府県: JIS X 0401 code, 1 (北海道) to 47 (沖縄県).
    pub prefecture_code: Option<u8>,
    /// 市区町村・番地.
    pub city: String,
    /// 建物名・部屋番号 (optional).
    pub building: String,
}

impl Address {
    /// Whether nothing was filled in.
    pub fn is_blank(&self) -> bool {
        self.postal_code.trim().is_empty()
            && self.prefecture_code.is_none()
            && self.city.trim().is_empty()
            && self.building.trim().is_empty()
    }

    pub(super) fn normalize(&mut self) {
        self.postal_code = match normalize_postal_code(&self.postal_code) {
            Some(p) => p,
            None => to_ascii_width(&self.postal_code).trim().to_string(),
        };
        self.city = self.city.trim().to_string();
        self.building = self.building.trim().to_string();
    }
}

/// Normalises a postal code to `123-4567`: accepts an optional `〒`, full-width digits, any
/// hyphen or none. `None` unless exactly 7 digits remain.
pub fn normalize_postal_code(input: &str) -> Option<String> {
    let s = normalize_hyphens(&to_ascii_width(input));
    let s = s.trim().trim_start_matches('〒').trim();
    let digits: String = match s.split_once('-') {
        Some((a, b)) if a.len() == 3 && b.len() == 4 => format!("{a}{b}"),
        Some(_) => return None,
        None => s.to_string(),
    };
    if digits.len() != 7 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(format!("{}-{}", &digits[..3], &digits[3..]))
}
