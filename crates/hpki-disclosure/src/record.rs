//! A doctor's values, and what one viewer sees of them.

use std::collections::BTreeMap;

use hpki_text::Text;
use time::Date;
use time::macros::format_description;

use crate::{Item, Settings, Source, Viewer, may_see};

/// A doctor's items that have a value. 年齢 is never stored: [`view`] derives it.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Record {
    values: BTreeMap<Item, String>,
}

/// An item shown to a viewer.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Shown {
    /// Which.
    pub item: Item,
    /// Its value (年齢 in whole years; 顔写真 a `data:` URL).
    pub value: String,
}

/// A profile value the doctor cannot save.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ProfileError {
    /// The item comes from issuance.
    #[error("{0:?} comes from issuance and is changed through the office")]
    ReadOnly(Item),
    /// Too long.
    #[error("{item:?} is {chars} characters; at most {max}")]
    TooLong {
        /// Which.
        item: Item,
        /// How long it was.
        chars: usize,
        /// The limit.
        max: usize,
    },
    /// A control character other than a line break.
    #[error("{0:?} contains a control character")]
    ControlCharacter(Item),
}

impl ProfileError {
    /// What the doctor reads.
    pub fn text(&self) -> Text {
        match self {
            ProfileError::ReadOnly(i) => Text::new(
                format!(
                    "{}は発行時の情報です。変更は記載事項変更の申請で行います。",
                    i.label().ja
                ),
                format!(
                    "{} comes from issuance; change it with an application for a change of details.",
                    i.label().en
                ),
            ),
            ProfileError::TooLong { item, chars, max } => Text::new(
                format!(
                    "{}は{max}文字までです（{chars}文字あります）。",
                    item.label().ja
                ),
                format!(
                    "{} may be at most {max} characters ({chars} given).",
                    item.label().en
                ),
            ),
            ProfileError::ControlCharacter(i) => Text::new(
                format!(
                    "{}に使えない文字（制御文字）が含まれています。",
                    i.label().ja
                ),
                format!(
                    "{} contains a character that cannot be used (a control character).",
                    i.label().en
                ),
            ),
        }
    }
}

impl Record {
    /// An empty record.
    pub fn new() -> Record {
        Record::default()
    }

    /// Sets `item` to `value`; an empty value removes it. 年齢 is ignored (it is derived).
    pub fn set(&mut self, item: Item, value: impl Into<String>) {
        let value = value.into();
        if item == Item::Age {
            return;
        }
        if value.trim().is_empty() {
            self.values.remove(&item);
        } else {
            self.values.insert(item, value);
        }
    }

    /// The stored value of `item` (never 年齢).
    pub fn get(&self, item: Item) -> Option<&str> {
        self.values.get(&item).map(String::as_str)
    }

    /// 生年月日 as a date, when stored as `YYYY-MM-DD`.
    pub fn birth_date(&self) -> Option<Date> {
        let s = self.get(Item::BirthDate)?;
        Date::parse(s, format_description!("[year]-[month]-[day]")).ok()
    }

    /// The value of `item` on `today` (年齢 derived from 生年月日), if the doctor has one.
    pub fn value(&self, item: Item, today: Date) -> Option<String> {
        match item {
            Item::Age => self.birth_date().map(|b| age(b, today).to_string()),
            _ => self.get(item).map(str::to_owned),
        }
    }

    /// Whether `item` has a value (「(未登録です)」 when not).
    pub fn has(&self, item: Item) -> bool {
        match item {
            Item::Age => self.birth_date().is_some(),
            _ => self.values.contains_key(&item),
        }
    }

    /// A profile value as the doctor typed it, checked and normalised (trimmed, line breaks as
    /// `\n`); empty means "remove".
    pub fn check_profile_value(item: Item, value: &str) -> Result<String, ProfileError> {
        if item.source() != Source::Profile {
            return Err(ProfileError::ReadOnly(item));
        }
        let value = value.replace("\r\n", "\n").replace('\r', "\n");
        let value = value.trim();
        if value.chars().any(|c| c.is_control() && c != '\n') {
            return Err(ProfileError::ControlCharacter(item));
        }
        let chars = value.chars().count();
        if chars > item.max_chars() {
            return Err(ProfileError::TooLong {
                item,
                chars,
                max: item.max_chars(),
            });
        }
        Ok(value.to_owned())
    }
}

/// Whole years from `birth` to `today` (a birthday on 29 February counts on 1 March in other
/// years, as 年齢計算ニ関スル法律 reckons it by the calendar).
pub fn age(birth: Date, today: Date) -> u32 {
    let mut years = today.year() - birth.year();
    if (today.month() as u8, today.day()) < (birth.month() as u8, birth.day()) {
        years -= 1;
    }
    years.max(0) as u32
}

/// What `viewer` sees of `record` with `settings` on `today`: the items it may see that have a
/// value, in the screen's order.
pub fn view(record: &Record, settings: &Settings, viewer: &Viewer, today: Date) -> Vec<Shown> {
    Item::ALL
        .iter()
        .filter(|i| may_see(viewer, **i, settings))
        .filter_map(|i| {
            record
                .value(*i, today)
                .map(|value| Shown { item: *i, value })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn record() -> Record {
        let mut r = Record::new();
        r.set(Item::Name, "日医 太郎");
        r.set(Item::BirthDate, "1970-04-01");
        r.set(Item::Email, "taro@example.jp");
        r.set(Item::ResidenceArea, "東京都");
        r
    }

    #[test]
    fn age_counts_whole_years() {
        assert_eq!(age(date!(1970 - 04 - 01), date!(2026 - 03 - 31)), 55);
        assert_eq!(age(date!(1970 - 04 - 01), date!(2026 - 04 - 01)), 56);
        assert_eq!(age(date!(2000 - 02 - 29), date!(2025 - 02 - 28)), 24);
        assert_eq!(age(date!(2000 - 02 - 29), date!(2025 - 03 - 01)), 25);
        assert_eq!(age(date!(2030 - 01 - 01), date!(2026 - 01 - 01)), 0);
    }

    #[test]
    fn age_may_be_shown_without_the_birth_date() {
        let mut s = Settings::all(false);
        s.set(
            Item::Age,
            crate::Disclosure {
                members: false,
                public: true,
            },
        );
        let shown = view(&record(), &s, &Viewer::Public, date!(2026 - 12 - 07));
        assert_eq!(
            shown,
            vec![Shown {
                item: Item::Age,
                value: "56".into()
            }]
        );
    }

    #[test]
    fn the_public_sees_the_default_public_items_that_have_a_value() {
        let shown = view(
            &record(),
            &Settings::defaults(),
            &Viewer::Public,
            date!(2026 - 12 - 07),
        );
        let items: Vec<Item> = shown.iter().map(|s| s.item).collect();
        assert_eq!(items, [Item::Name, Item::ResidenceArea]);
        let all = view(
            &record(),
            &Settings::defaults(),
            &Viewer::Holder,
            date!(2026 - 12 - 07),
        );
        assert_eq!(all.len(), 5);
    }

    #[test]
    fn profile_values_are_checked() {
        assert_eq!(
            Record::check_profile_value(Item::Career, "  1995年 卒業\r\n2000年 開業 "),
            Ok("1995年 卒業\n2000年 開業".into())
        );
        assert_eq!(
            Record::check_profile_value(Item::Name, "x"),
            Err(ProfileError::ReadOnly(Item::Name))
        );
        assert!(matches!(
            Record::check_profile_value(Item::ResidenceArea, &"東".repeat(41)),
            Err(ProfileError::TooLong { max: 40, .. })
        ));
        assert_eq!(
            Record::check_profile_value(Item::Contact, "a\u{0}b"),
            Err(ProfileError::ControlCharacter(Item::Contact))
        );
    }
}
