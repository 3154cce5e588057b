//! What is wrong with a field, in Japanese and English: the errors of the form and the
//! documents, their stable codes, the fields' labels, and dates as people type them.

use std::fmt;

use serde::Serialize;
use time::{Date, Month};

use super::*;

/// Parses a date typed on the form: `2026-05-31`, `2026/5/31`, `2026.5.31` or `2026年5月31日`,
/// with ASCII or full-width digits. The error names `field` and is on the code
/// [`codes::INVALID_DATE`]. (和暦 is not accepted here.)
pub fn parse_date(field: &'static str, input: &str) -> Result<Date, FieldError> {
    let s = to_ascii_width(input);
    let s = s.trim();
    let invalid = || {
        let (ja, en) = labels(field);
        FieldError::new(
            field,
            codes::INVALID_DATE,
            format!("{ja}は正しい日付を 2026-05-31 または 2026年5月31日 の形式で入力してください"),
            format!("The {en} must be a valid date such as 2026-05-31."),
        )
    };
    let unified: String = s
        .trim_end_matches('日')
        .chars()
        .map(|c| match c {
            '年' | '月' | '/' | '.' => '-',
            c => c,
        })
        .collect();
    let parts: Vec<&str> = unified.split('-').collect();
    let [y, m, d] = parts.as_slice() else {
        return Err(invalid());
    };
    let num = |p: &str, max_len: usize| -> Option<u32> {
        if p.is_empty() || p.len() > max_len || !p.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        p.parse().ok()
    };
    let (Some(y), Some(m), Some(d)) = (num(y, 4), num(m, 2), num(d, 2)) else {
        return Err(invalid());
    };
    if y < 1000 {
        return Err(invalid());
    }
    let month = u8::try_from(m)
        .ok()
        .and_then(|m| Month::try_from(m).ok())
        .ok_or_else(invalid)?;
    let day = u8::try_from(d).map_err(|_| invalid())?;
    let year = i32::try_from(y).map_err(|_| invalid())?;
    Date::from_calendar_date(year, month, day).map_err(|_| invalid())
}

pub(super) fn format_date(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// One problem with one field: which field (the form's JSON key; address parts as
/// `address.postal_code`), a stable machine code (see [`codes`]), and what is wrong in Japanese
/// and in English, worded for the applicant or the reception officer.
#[derive(Clone, Debug, Eq, PartialEq, Serialize)]
pub struct FieldError {
    /// The field, as the JSON key of [`ApplicationForm`] or [`DocumentChecklist`].
    pub field: &'static str,
    /// What kind of problem (one of [`codes`]).
    pub code: &'static str,
    /// The message in Japanese.
    pub message_ja: String,
    /// The message in English.
    pub message_en: String,
}

impl FieldError {
    pub(super) fn new(
        field: &'static str,
        code: &'static str,
        message_ja: String,
        message_en: String,
    ) -> Self {
        FieldError {
            field,
            code,
            message_ja,
            message_en,
        }
    }

    /// The message in `lang`.
    pub fn message(&self, lang: Lang) -> &str {
        match lang {
            Lang::Ja => &self.message_ja,
            Lang::En => &self.message_en,
        }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // English, as every error's Display; a person reads `message(lang)`.
        write!(f, "{}: {}", self.field, self.message_en)
    }
}

impl std::error::Error for FieldError {}

/// The codes of [`FieldError`], stable for programs (the messages are for people).
pub mod codes {
    /// A required field or document is missing (「〜を入力してください」).
    pub const REQUIRED: &str = "required";
    /// A field required by another choice is missing (a director's workplace name, the
    /// workplace or other address chosen for contact or delivery).
    pub const REQUIRED_BY_CHOICE: &str = "required_by_choice";
    /// A date that cannot be in the future is (申請日, 医籍登録日).
    pub const FUTURE_DATE: &str = "future_date";
    /// The date of birth is not in the past.
    pub const NOT_PAST: &str = "not_past";
    /// A date of birth no card holder can have (more than 110 or fewer than 20 years ago).
    pub const IMPLAUSIBLE_DATE: &str = "implausible_date";
    /// The 医籍登録日 is not after the date of birth.
    pub const BEFORE_BIRTH: &str = "before_birth";
    /// A date could not be read ([`super::parse_date`]).
    pub const INVALID_DATE: &str = "invalid_date";
    /// A フリガナ is not full-width katakana.
    pub const NOT_KATAKANA: &str = "not_katakana";
    /// A romaji name has characters other than Latin letters, space, `-`, `'`, `.`.
    pub const NOT_ROMAJI: &str = "not_romaji";
    /// The romaji workplace name has characters a PrintableString cannot hold.
    pub const NOT_PRINTABLE: &str = "not_printable";
    /// Longer than a certificate takes (64 characters).
    pub const TOO_LONG: &str = "too_long";
    /// Control characters in free text.
    pub const INVALID_CHARACTERS: &str = "invalid_characters";
    /// Not a 7-digit postal code.
    pub const INVALID_POSTAL_CODE: &str = "invalid_postal_code";
    /// Not a JIS X 0401 prefecture code (1–47).
    pub const INVALID_PREFECTURE: &str = "invalid_prefecture";
    /// Not a 医籍登録番号 (1–20 letters or digits).
    pub const INVALID_LICENSE_NUMBER: &str = "invalid_license_number";
    /// Not a 10-digit JMA member ID.
    pub const INVALID_MEMBER_ID: &str = "invalid_member_id";
    /// A member ID given by someone who did not choose "member".
    pub const MEMBER_ID_NOT_EXPECTED: &str = "member_id_not_expected";
    /// Not a phone or fax number (10–11 digits and hyphens).
    pub const INVALID_PHONE: &str = "invalid_phone";
    /// Not an e-mail address.
    pub const INVALID_EMAIL: &str = "invalid_email";
    /// The uploaded photo is not a readable JPEG or PNG.
    pub const INVALID_PHOTO: &str = "invalid_photo";
    /// The uploaded photo is larger than [`super::MAX_PHOTO_BYTES`].
    pub const PHOTO_TOO_LARGE: &str = "photo_too_large";
    /// A licence copy without the registered seal.
    pub const SEAL_MISSING: &str = "seal_missing";
    /// A photo ID of a kind not accepted.
    pub const NOT_ACCEPTED: &str = "not_accepted";
    /// A copy where the original is required (the photo ID).
    pub const COPY_NOT_ACCEPTED: &str = "copy_not_accepted";
    /// A document issued more than 3 months before reception.
    pub const OLDER_THAN_3_MONTHS: &str = "older_than_3_months";
    /// A document dated after reception.
    pub const ISSUED_AFTER_RECEPTION: &str = "issued_after_reception";
    /// A card ID that is not letters and digits.
    pub const INVALID_CARD_ID: &str = "invalid_card_id";

    /// Every code.
    pub const ALL: [&str; 26] = [
        REQUIRED,
        REQUIRED_BY_CHOICE,
        FUTURE_DATE,
        NOT_PAST,
        BEFORE_BIRTH,
        INVALID_DATE,
        NOT_KATAKANA,
        NOT_ROMAJI,
        NOT_PRINTABLE,
        TOO_LONG,
        INVALID_CHARACTERS,
        INVALID_POSTAL_CODE,
        INVALID_PREFECTURE,
        INVALID_LICENSE_NUMBER,
        INVALID_MEMBER_ID,
        MEMBER_ID_NOT_EXPECTED,
        INVALID_PHONE,
        INVALID_EMAIL,
        INVALID_PHOTO,
        PHOTO_TOO_LARGE,
        SEAL_MISSING,
        NOT_ACCEPTED,
        COPY_NOT_ACCEPTED,
        OLDER_THAN_3_MONTHS,
        ISSUED_AFTER_RECEPTION,
        INVALID_CARD_ID,
    ];
}

/// Field → (Japanese label, English label), for messages and for the UI.
pub(super) const FIELD_LABELS: &[(&str, &str, &str)] = &[
    ("application_date", "申請日", "application date"),
    ("kind", "申請区分", "application type"),
    ("previous_card_id", "現在のカードID", "current card ID"),
    (
        "name_kana_family",
        "フリガナ（セイ）",
        "family name in katakana",
    ),
    (
        "name_kana_given",
        "フリガナ（メイ）",
        "given name in katakana",
    ),
    ("name_kanji_family", "氏名（姓）", "family name"),
    ("name_kanji_given", "氏名（名）", "given name"),
    (
        "name_romaji_family",
        "ローマ字（姓）",
        "family name in romaji",
    ),
    (
        "name_romaji_given",
        "ローマ字（名）",
        "given name in romaji",
    ),
    ("birth_date", "生年月日", "date of birth"),
    ("sex", "性別", "sex"),
    ("address", "住所", "home address"),
    (
        "address.postal_code",
        "住所の郵便番号",
        "postal code of the home address",
    ),
    (
        "address.prefecture_code",
        "住所の都道府県",
        "prefecture of the home address",
    ),
    (
        "address.city",
        "住所の市区町村・番地",
        "city and street of the home address",
    ),
    (
        "address.building",
        "住所の建物名",
        "building of the home address",
    ),
    (
        "license_number",
        "医籍登録番号",
        "medical registration number",
    ),
    (
        "license_registration_date",
        "医籍登録日",
        "medical registration date",
    ),
    ("membership", "日医会員区分", "JMA membership"),
    ("member_id", "日医会員ID", "JMA member ID"),
    ("manager_role", "管理者区分", "director role"),
    ("workplace_name", "医療機関名", "workplace name"),
    (
        "workplace_name_kana",
        "医療機関名のフリガナ",
        "workplace name in katakana",
    ),
    (
        "workplace_name_romaji",
        "医療機関名（ローマ字）",
        "workplace name in romaji",
    ),
    ("workplace_address", "医療機関住所", "workplace address"),
    (
        "workplace_address.postal_code",
        "医療機関住所の郵便番号",
        "postal code of the workplace address",
    ),
    (
        "workplace_address.prefecture_code",
        "医療機関住所の都道府県",
        "prefecture of the workplace address",
    ),
    (
        "workplace_address.city",
        "医療機関住所の市区町村・番地",
        "city and street of the workplace address",
    ),
    (
        "workplace_address.building",
        "医療機関住所の建物名",
        "building of the workplace address",
    ),
    ("phone", "連絡先電話番号", "contact phone number"),
    ("fax", "連絡先FAX番号", "contact fax number"),
    ("email", "メールアドレス", "e-mail address"),
    ("contact_address", "連絡先住所", "contact address"),
    ("other_address", "その他の住所", "other address"),
    (
        "other_address.postal_code",
        "その他の住所の郵便番号",
        "postal code of the other address",
    ),
    (
        "other_address.prefecture_code",
        "その他の住所の都道府県",
        "prefecture of the other address",
    ),
    (
        "other_address.city",
        "その他の住所の市区町村・番地",
        "city and street of the other address",
    ),
    (
        "other_address.building",
        "その他の住所の建物名",
        "building of the other address",
    ),
    (
        "delivery",
        "医師資格証の送付先",
        "delivery address of the card",
    ),
    ("photo", "申請者写真", "applicant photo"),
    ("license", "医師免許証", "medical licence"),
    (
        "license_copy_sealed",
        "医師免許証の写しの実印",
        "registered seal on the licence copy",
    ),
    (
        "seal_certificate_issued",
        "印鑑登録証明書の発行日",
        "issue date of the seal registration certificate",
    ),
    ("photo_id", "身分証", "photo ID"),
    ("photo_id_is_copy", "身分証（原本）", "photo ID (original)"),
    (
        "residence_certificate_issued",
        "住民票の写しの発行日",
        "issue date of the residence certificate",
    ),
    ("photo_received", "申請者写真", "applicant photo"),
];

/// The label of a field of [`ApplicationForm`] or [`DocumentChecklist`] (as named in
/// [`FieldError::field`]) in `lang`, e.g. `birth_date` → 生年月日 / "date of birth".
pub fn field_label(field: &str, lang: Lang) -> Option<&'static str> {
    FIELD_LABELS
        .iter()
        .find(|(f, _, _)| *f == field)
        .map(|(_, ja, en)| match lang {
            Lang::Ja => *ja,
            Lang::En => *en,
        })
}

pub(super) fn labels(field: &'static str) -> (&'static str, &'static str) {
    match (field_label(field, Lang::Ja), field_label(field, Lang::En)) {
        (Some(ja), Some(en)) => (ja, en),
        _ => (field, field),
    }
}

/// The field names of one address on the form.
pub(super) struct AddressFields {
    whole: &'static str,
    postal_code: &'static str,
    prefecture_code: &'static str,
    city: &'static str,
    building: &'static str,
}

pub(super) const HOME: AddressFields = AddressFields {
    whole: "address",
    postal_code: "address.postal_code",
    prefecture_code: "address.prefecture_code",
    city: "address.city",
    building: "address.building",
};
pub(super) const WORKPLACE: AddressFields = AddressFields {
    whole: "workplace_address",
    postal_code: "workplace_address.postal_code",
    prefecture_code: "workplace_address.prefecture_code",
    city: "workplace_address.city",
    building: "workplace_address.building",
};
pub(super) const OTHER: AddressFields = AddressFields {
    whole: "other_address",
    postal_code: "other_address.postal_code",
    prefecture_code: "other_address.prefecture_code",
    city: "other_address.city",
    building: "other_address.building",
};

/// Collects errors in form order, once per (field, code).
#[derive(Default)]
pub(super) struct Errors(pub(super) Vec<FieldError>);

impl Errors {
    pub(super) fn push(&mut self, field: &'static str, code: &'static str, ja: String, en: String) {
        if !self.0.iter().any(|e| e.field == field && e.code == code) {
            self.0.push(FieldError::new(field, code, ja, en));
        }
    }

    /// 「〜を入力してください」.
    pub(super) fn required(&mut self, field: &'static str) {
        let (ja, en) = labels(field);
        self.push(
            field,
            codes::REQUIRED,
            format!("{ja}を入力してください"),
            format!("Enter the {en}."),
        );
    }

    /// 「〜を選択してください」 (a choice on the form).
    pub(super) fn choose(&mut self, field: &'static str) {
        let (ja, en) = labels(field);
        self.push(
            field,
            codes::REQUIRED,
            format!("{ja}を選択してください"),
            format!("Choose the {en}."),
        );
    }

    pub(super) fn too_long(&mut self, field: &'static str, ja_subject: &str, en_subject: &str) {
        self.push(
            field,
            codes::TOO_LONG,
            format!("{ja_subject}{MAX_NAME_CHARS}文字以内で入力してください"),
            format!("{en_subject} must be at most {MAX_NAME_CHARS} characters."),
        );
    }

    pub(super) fn kana(&mut self, field: &'static str, v: &str) {
        if v.is_empty() {
            self.required(field);
        } else if !v.chars().all(is_katakana_char) {
            let (ja, en) = labels(field);
            self.push(
                field,
                codes::NOT_KATAKANA,
                format!("{ja}は全角カタカナで入力してください"),
                format!("The {en} must be written in full-width katakana."),
            );
        }
    }

    pub(super) fn free_text(&mut self, field: &'static str, v: &str, required: bool) {
        if v.is_empty() {
            if required {
                self.required(field);
            }
        } else if v.chars().any(char::is_control) {
            let (ja, en) = labels(field);
            self.push(
                field,
                codes::INVALID_CHARACTERS,
                format!("{ja}に使用できない文字（改行・制御文字）が含まれています"),
                format!("The {en} contains line breaks or control characters."),
            );
        }
    }

    pub(super) fn address(&mut self, f: &AddressFields, a: &Address) {
        if a.postal_code.is_empty() {
            self.required(f.postal_code);
        } else if normalize_postal_code(&a.postal_code).is_none() {
            let (ja, en) = labels(f.postal_code);
            self.push(
                f.postal_code,
                codes::INVALID_POSTAL_CODE,
                format!("{ja}は7桁の数字で入力してください（例: 123-4567）"),
                format!("The {en} must be 7 digits (e.g. 123-4567)."),
            );
        }
        match a.prefecture_code {
            None => self.choose(f.prefecture_code),
            Some(1..=47) => {}
            Some(code) => {
                let (ja, en) = labels(f.prefecture_code);
                self.push(
                    f.prefecture_code,
                    codes::INVALID_PREFECTURE,
                    format!("{ja}のコード {code} は正しくありません（1〜47）"),
                    format!("The {en} code {code} is not valid (1 to 47)."),
                );
            }
        }
        self.free_text(f.city, &a.city, true);
        self.free_text(f.building, &a.building, false);
    }

    /// An address chosen for contact or delivery must be written out.
    pub(super) fn chosen_address(
        &mut self,
        form: &ApplicationForm,
        choice: AddressChoice,
        purpose_ja: &str,
        purpose_en: &str,
    ) {
        let (given, fields) = match choice {
            AddressChoice::Home => return,
            AddressChoice::Workplace => (form.workplace_address.is_some(), &WORKPLACE),
            AddressChoice::Other => (form.other_address.is_some(), &OTHER),
        };
        if !given {
            let (ja, en) = labels(fields.whole);
            self.push(
                fields.whole,
                codes::REQUIRED_BY_CHOICE,
                format!(
                    "{purpose_ja}に「{}」を選んだ場合は{ja}を入力してください",
                    choice.label(Lang::Ja)
                ),
                format!(
                    "Enter the {en}: it was chosen as {purpose_en} (\"{}\").",
                    choice.label(Lang::En)
                ),
            );
        }
    }

    /// The 3-month rule of [`earliest_issue_date`], plus "not after reception".
    pub(super) fn issued_within_3_months(
        &mut self,
        field: &'static str,
        doc_ja: &str,
        doc_en: &str,
        issued: Date,
        reception: Date,
    ) {
        if issued > reception {
            self.push(
                field,
                codes::ISSUED_AFTER_RECEPTION,
                format!(
                    "{doc_ja}の発行日（{}）が受付日（{}）より後になっています",
                    format_date(issued),
                    format_date(reception)
                ),
                format!(
                    "The {doc_en} is dated {}, after the reception date {}.",
                    format_date(issued),
                    format_date(reception)
                ),
            );
        } else if issued < earliest_issue_date(reception) {
            self.push(
                field,
                codes::OLDER_THAN_3_MONTHS,
                format!(
                    "{doc_ja}は受付日から3か月以内に発行されたものが必要です（{}以降の発行。提出されたものは{}発行）",
                    format_date(earliest_issue_date(reception)),
                    format_date(issued)
                ),
                format!(
                    "The {doc_en} must be issued within 3 months of reception (on or after {}; this one was issued {}).",
                    format_date(earliest_issue_date(reception)),
                    format_date(issued)
                ),
            );
        }
    }
}
