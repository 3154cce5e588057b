//! Dates as the card prints them: 和暦 (Japanese era) and the western form.
//!
//! The era computation is ICU4X's Japanese calendar (`icu_calendar`), whose era table carries
//! the exact first day of each era (1926-12-25 Showa, 1989-01-08 Heisei, 2019-05-01 Reiwa), so
//! no era table is kept here; this module only maps ICU's era codes to their kanji and formats.

use icu_calendar::Date as IcuDate;
use icu_calendar::cal::Japanese;
use time::{Date, Month};

use crate::CardFaceError;

/// The kanji of each era ICU4X's Japanese calendar names, by its era code.
///
/// ICU counts Meiji only from 1873-01-01 (Japan's adoption of the Gregorian calendar); before
/// that it answers with the western era, which [`wareki`] refuses.
const ERAS: [(&str, &str); 5] = [
    ("meiji", "明治"),
    ("taisho", "大正"),
    ("showa", "昭和"),
    ("heisei", "平成"),
    ("reiwa", "令和"),
];

/// `date` in 和暦 as printed on the card: era, year, zero-padded two-digit month and day, e.g.
/// 1955-01-01 → `昭和30年01月01日`, 2013-10-01 → `平成25年10月01日`.
///
/// The first year of an era is written **元年** (1989-01-08 → `平成元年01月08日`,
/// 2019-05-01 → `令和元年05月01日`), as Japanese official documents write it; later years are
/// plain numbers without padding (`平成9年`), as the seed's `平成25年` suggests.
///
/// Fails for dates before 1873-01-01 (no Gregorian 和暦) and for an era this crate does not
/// know the kanji of (a new era in a newer ICU data set).
pub fn wareki(date: Date) -> Result<String, CardFaceError> {
    let iso = IcuDate::try_new_iso(date.year(), u8::from(date.month()), date.day())
        .map_err(|_| CardFaceError::EraOutOfRange(date))?;
    let japanese = iso.to_calendar(Japanese::new());
    let era_year = japanese.era_year();
    let era = ERAS
        .iter()
        .find(|(code, _)| *code == era_year.era.as_str())
        .map(|(_, kanji)| *kanji)
        .ok_or(CardFaceError::EraOutOfRange(date))?;
    let year = match era_year.year {
        1 => "元".to_string(),
        n if n > 1 => n.to_string(),
        _ => return Err(CardFaceError::EraOutOfRange(date)),
    };
    Ok(format!(
        "{era}{year}年{:02}月{:02}日",
        u8::from(date.month()),
        date.day()
    ))
}

/// `date` in the western form printed under the 和暦 one: `DD MON YYYY` with an upper-case
/// English month abbreviation, e.g. 1955-01-01 → `01 JAN 1955`.
pub fn western(date: Date) -> String {
    let month = match date.month() {
        Month::January => "JAN",
        Month::February => "FEB",
        Month::March => "MAR",
        Month::April => "APR",
        Month::May => "MAY",
        Month::June => "JUN",
        Month::July => "JUL",
        Month::August => "AUG",
        Month::September => "SEP",
        Month::October => "OCT",
        Month::November => "NOV",
        Month::December => "DEC",
    };
    format!("{:02} {month} {:04}", date.day(), date.year())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn seed_dates() {
        assert_eq!(wareki(date!(1955 - 01 - 01)).unwrap(), "昭和30年01月01日");
        assert_eq!(wareki(date!(2013 - 10 - 01)).unwrap(), "平成25年10月01日");
        assert_eq!(wareki(date!(2018 - 09 - 30)).unwrap(), "平成30年09月30日");
    }

    #[test]
    fn era_boundaries() {
        assert_eq!(wareki(date!(1926 - 12 - 24)).unwrap(), "大正15年12月24日");
        assert_eq!(wareki(date!(1926 - 12 - 25)).unwrap(), "昭和元年12月25日");
        assert_eq!(wareki(date!(1989 - 01 - 07)).unwrap(), "昭和64年01月07日");
        assert_eq!(wareki(date!(1989 - 01 - 08)).unwrap(), "平成元年01月08日");
        assert_eq!(wareki(date!(2019 - 04 - 30)).unwrap(), "平成31年04月30日");
        assert_eq!(wareki(date!(2019 - 05 - 01)).unwrap(), "令和元年05月01日");
        assert_eq!(wareki(date!(2020 - 01 - 01)).unwrap(), "令和2年01月01日");
        assert_eq!(wareki(date!(1997 - 12 - 31)).unwrap(), "平成9年12月31日");
    }

    #[test]
    fn before_gregorian_wareki_is_an_error() {
        assert!(matches!(
            wareki(date!(1872 - 12 - 31)),
            Err(CardFaceError::EraOutOfRange(_))
        ));
        assert_eq!(wareki(date!(1873 - 01 - 01)).unwrap(), "明治6年01月01日");
    }

    #[test]
    fn western_form() {
        assert_eq!(western(date!(1955 - 01 - 01)), "01 JAN 1955");
        assert_eq!(western(date!(2018 - 09 - 30)), "30 SEP 2018");
        assert_eq!(western(date!(2013 - 10 - 01)), "01 OCT 2013");
        assert_eq!(western(date!(2019 - 05 - 01)), "01 MAY 2019");
        assert_eq!(western(date!(1989 - 12 - 31)), "31 DEC 1989");
    }
}
