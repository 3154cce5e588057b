//! The items of the portal's 情報開示・非開示 screen, in the seed's order: the first table comes
//! from issuance (the application the office vetted) and is read-only; the second is the
//! doctor's own profile. 顔写真 (the application's photo) is added to the first table: the
//! qualification check shows it only when the doctor discloses it.

use hpki_text::Text;

/// Where an item's value comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Source {
    /// The issued application (基本情報): read-only in the portal.
    Issuance,
    /// The doctor's profile (プロフィール): the doctor edits it.
    Profile,
}

macro_rules! items {
    ($( $(#[$doc:meta])* $variant:ident = $key:literal, $source:ident, $ja:literal, $en:literal, $members:literal, $public:literal, $max:literal; )*) => {
        /// One item of the 情報開示・非開示 screen.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Item {
            $( $(#[$doc])* $variant, )*
        }

        impl Item {
            /// Every item, in the screen's order.
            pub const ALL: &'static [Item] = &[$(Item::$variant,)*];

            /// The stored and wire name (`name`, `residence_area` …).
            pub fn key(self) -> &'static str {
                match self { $(Item::$variant => $key,)* }
            }

            /// The item of a [`Item::key`].
            pub fn parse(key: &str) -> Option<Item> {
                match key { $($key => Some(Item::$variant),)* _ => None }
            }

            /// Where the value comes from.
            pub fn source(self) -> Source {
                match self { $(Item::$variant => Source::$source,)* }
            }

            /// The item's name on the screen.
            pub fn label(self) -> Text {
                match self { $(Item::$variant => Text::new($ja, $en),)* }
            }

            /// (会員向け, 一般向け) before the doctor changes anything: the seed's screen.
            pub fn default_disclosure(self) -> (bool, bool) {
                match self { $(Item::$variant => ($members, $public),)* }
            }

            /// The longest value the doctor may enter, in characters (profile items).
            pub fn max_chars(self) -> usize {
                match self { $(Item::$variant => $max,)* }
            }
        }
    };
}

items! {
    /// 氏名.
    Name = "name", Issuance, "氏名", "Name", true, true, 0;
    /// 性別.
    Sex = "sex", Issuance, "性別", "Sex", true, true, 0;
    /// 生年月日.
    BirthDate = "birth_date", Issuance, "生年月日", "Date of birth", true, false, 0;
    /// 年齢: derived from 生年月日 on the day it is shown; may be shown without it.
    Age = "age", Issuance, "年齢", "Age", false, false, 0;
    /// 医籍登録番号.
    LicenseNumber = "license_number", Issuance, "医籍登録番号", "Medical licence number", false, false, 0;
    /// 医籍登録年.
    LicenseYear = "license_year", Issuance, "医籍登録年", "Year of licence registration", false, false, 0;
    /// 日医会員ID番号.
    MemberId = "member_id", Issuance, "日医会員ID番号", "JMA member ID", false, false, 0;
    /// 住所(申請時).
    Address = "address", Issuance, "住所(申請時)", "Address (at application)", false, false, 0;
    /// メールアドレス(申請時).
    Email = "email", Issuance, "メールアドレス(申請時)", "E-mail address (at application)", false, false, 0;
    /// 顔写真 (the application's photo).
    Photo = "photo", Issuance, "顔写真", "Photo", false, false, 0;
    /// 居住地域.
    ResidenceArea = "residence_area", Profile, "居住地域", "Area of residence", true, true, 40;
    /// 主たる活動地域.
    ActivityArea = "activity_area", Profile, "主たる活動地域", "Main area of activity", true, true, 40;
    /// 所属医学会.
    Societies = "societies", Profile, "所属医学会", "Medical societies", true, false, 400;
    /// 主たる所属施設.
    MainFacility = "main_facility", Profile, "主たる所属施設", "Main facility", false, false, 100;
    /// 主たる診療科目.
    MainSpecialty = "main_specialty", Profile, "主たる診療科目", "Main specialty", false, false, 100;
    /// 勤務先.
    Workplace = "workplace", Profile, "勤務先", "Workplace", false, false, 200;
    /// 出身大学・卒業年.
    University = "university", Profile, "出身大学・卒業年", "University and year of graduation", false, false, 100;
    /// 診療科目・専門領域など.
    Specialties = "specialties", Profile, "診療科目・専門領域など", "Specialties and fields", false, false, 400;
    /// 認定資格・学会活動など.
    Qualifications = "qualifications", Profile, "認定資格・学会活動など", "Certifications and society work", false, false, 400;
    /// 略歴.
    Career = "career", Profile, "略歴", "Career", false, false, 1000;
    /// 医療方針など自由コメント.
    PolicyComment = "policy_comment", Profile, "医療方針など自由コメント", "Comment (medical policy and more)", false, false, 1000;
    /// 連絡先.
    Contact = "contact", Profile, "連絡先", "Contact", false, false, 200;
}

/// Serialised as its key.
impl serde::Serialize for Item {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.key())
    }
}

impl<'de> serde::Deserialize<'de> for Item {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Item, D::Error> {
        let key = String::deserialize(d)?;
        Item::parse(&key).ok_or_else(|| serde::de::Error::custom(format!("unknown item {key}")))
    }
}

impl Item {
    /// The items of one source, in the screen's order.
    pub fn of(source: Source) -> impl Iterator<Item = Item> {
        Item::ALL
            .iter()
            .copied()
            .filter(move |i| i.source() == source)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_screen_has_the_seeds_items_in_its_order() {
        let ja: Vec<String> = Item::ALL.iter().map(|i| i.label().ja).collect();
        assert_eq!(
            ja,
            [
                "氏名",
                "性別",
                "生年月日",
                "年齢",
                "医籍登録番号",
                "医籍登録年",
                "日医会員ID番号",
                "住所(申請時)",
                "メールアドレス(申請時)",
                "顔写真",
                "居住地域",
                "主たる活動地域",
                "所属医学会",
                "主たる所属施設",
                "主たる診療科目",
                "勤務先",
                "出身大学・卒業年",
                "診療科目・専門領域など",
                "認定資格・学会活動など",
                "略歴",
                "医療方針など自由コメント",
                "連絡先",
            ]
        );
        assert_eq!(Item::of(Source::Issuance).count(), 10);
        assert!(Item::of(Source::Profile).all(|i| i.max_chars() > 0));
    }

    #[test]
    fn keys_round_trip() {
        for item in Item::ALL {
            assert_eq!(Item::parse(item.key()), Some(*item));
        }
        assert_eq!(Item::parse("password"), None);
    }

    #[test]
    fn defaults_are_the_seeds_screen() {
        use Item::*;
        assert_eq!(Name.default_disclosure(), (true, true));
        assert_eq!(Sex.default_disclosure(), (true, true));
        assert_eq!(BirthDate.default_disclosure(), (true, false));
        assert_eq!(Age.default_disclosure(), (false, false));
        assert_eq!(Email.default_disclosure(), (false, false));
        assert_eq!(ResidenceArea.default_disclosure(), (true, true));
        assert_eq!(ActivityArea.default_disclosure(), (true, true));
        assert_eq!(Societies.default_disclosure(), (true, false));
        assert_eq!(Career.default_disclosure(), (false, false));
    }
}
