//! The 医師資格証 発行申請書 (application form) and the rules for the documents the applicant
//! brings (issue "Registration", item 3).
//!
//! The form follows the seed's 「日本医師会 医師資格証 発行申請書」 section by section:
//!
//! | seed | here |
//! |---|---|
//! | ① 申請日, 申請区分 A. 新規発行 / B. 更新発行 | [`ApplicationForm::application_date`], [`ApplicationKind`] |
//! | ② 氏名 フリガナ セイ・メイ, ローマ字, 漢字 姓・名 | `name_kana_*`, `name_romaji_*`, `name_kanji_*` |
//! | ② 生年月日, 性別 男・女, 住所 | [`ApplicationForm::birth_date`], [`Sex`], [`Address`] |
//! | ② 医師登録番号 (医籍登録番号) and its date | `license_number`, `license_registration_date` |
//! | ② 日医会員ID: 会員 / 3ヶ月以内に入会予定 / 非会員 | [`Membership`], `member_id` |
//! | ③ 勤務先: 医療機関名 (フリガナ, 名称), 医療機関住所 | `workplace_*` (and [`ManagerRole`] for a director) |
//! | ④ 連絡先: 電話, FAX, 連絡先住所 (住居 / 勤務先 / その他) | `phone`, `fax`, `email`, `contact_address`, `other_address` |
//! | ⑤ 医師資格証の送付先 (住居 / 勤務先 / その他) | [`ApplicationForm::delivery`] |
//!
//! and the reference (`shared/docs/hpki-reference.md`, "Registration"). The form's 暗証番号 (PIN)
//! is deliberately **not** a field: the PIN is set on the card at personalisation (hpki-token)
//! and is never kept in the RA's records.
//!
//! The documents checked at reception (the seed's 「受付時に確認および受領する書類」) are the
//! [`DocumentChecklist`]: the 医師免許証 original, or a copy stamped with the registered seal
//! (実印) together with the 印鑑登録証明書; a photo ID of an accepted kind, never a copy; the
//! 住民票の写し issued within 3 months (see [`earliest_issue_date`]).
//!
//! **Drafts are never lost.** An [`ApplicationForm`] is a draft: every field is optional or has a
//! default, so a half-filled form serialises to JSON and back unchanged (the store keeps it as
//! JSON text; unknown keys are ignored so that older drafts stay readable). Validation is a
//! separate step, [`ApplicationForm::validate`], which returns **every** problem at once, each a
//! [`FieldError`] naming the field and saying in Japanese and English what is wrong.
//!
//! Text fields are `String`s where blank means "not given"; [`ApplicationForm::normalize`] folds
//! full-width digits and Latin letters to ASCII, half-width katakana to full-width, and trims.
//!
//! Pure types and rules: no I/O.
//!
//! | file | what |
//! |---|---|
//! | `mod.rs` | the form's choices and [`ApplicationForm`] with its validation |
//! | `address.rs` | [`Address`], postal codes |
//! | `photo.rs` | [`ApplicantPhoto`] |
//! | `documents.rs` | [`DocumentChecklist`] and the 3-month rule of the 住民票 |
//! | `field_error.rs` | [`FieldError`], its [`codes`], the fields' labels, dates as typed |
//! | `text_rules.rs` | the characters each field allows, and what people type folded to one form |

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::Date;

use crate::Lang;

/// Declares a form choice: a `Copy` enum in serde `snake_case`, with `ALL` and `label(Lang)`.
macro_rules! labelled_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident => ($ja:literal, $en:literal), )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, Eq, PartialEq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
        }

        impl $name {
            /// Every value, in the order the form lists them.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The label in `lang`: the form's Japanese wording, or its English rendering.
            pub fn label(self, lang: Lang) -> &'static str {
                match (self, lang) {
                    $(
                        ($name::$variant, Lang::Ja) => $ja,
                        ($name::$variant, Lang::En) => $en,
                    )+
                }
            }
        }
    };
}

labelled_enum! {
    /// 申請区分: a first card or a renewal (the seed's "A. 新規発行 B. 更新発行"), and the two
    /// other reasons the issue names for a new card: a reissue after loss or damage, and a
    /// change of the registered details. All but the first name the card they replace
    /// ([`ApplicationForm::previous_card_id`]), whose certificates are revoked before the new
    /// card is issued.
    pub enum ApplicationKind {
        /// 新規発行: the first card.
        New => ("新規", "New"),
        /// 更新発行: a renewal.
        Renewal => ("更新", "Renewal"),
        /// 再発行: the card was lost or damaged.
        Reissue => ("再発行（紛失・破損）", "Reissue (lost or damaged card)"),
        /// 記載事項変更: the registered details changed (name, address, workplace…).
        Change => ("記載事項変更", "Change of registered details"),
    }
}

labelled_enum! {
    /// 性別, as the form offers it: 男 / 女.
    pub enum Sex {
        /// 男.
        Male => ("男", "Male"),
        /// 女.
        Female => ("女", "Female"),
    }
}

labelled_enum! {
    /// 日医会員区分: the three boxes of the form's 日医会員ID line. Only a member gives the
    /// 10-digit member ID; it decides the fee (reference, "Fees").
    pub enum Membership {
        /// 日医会員 (with the member ID).
        Member => ("会員（会員ID）", "JMA member (member ID)"),
        /// 申込日より3ヶ月以内で会員の承認: joining within 3 months; no ID yet.
        #[serde(rename = "joining_within_3_months")]
        JoiningWithin3Months => ("3か月以内に入会予定", "Joining the JMA within 3 months"),
        /// 日医非会員.
        NonMember => ("非会員", "Non-member"),
    }
}

labelled_enum! {
    /// An address the form lets the applicant pick, for ④ 連絡先住所 and ⑤ 送付先: 住居記載住所
    /// (②), 勤務先住所 (③) or その他の住所 (④, written out in
    /// [`ApplicationForm::other_address`]).
    pub enum AddressChoice {
        /// 住居記載住所: the home address of ②.
        Home => ("自宅（住居記載住所）", "Home address"),
        /// 勤務先住所: the workplace address of ③.
        Workplace => ("勤務先", "Workplace address"),
        /// その他の住所: the other address written under ④.
        Other => ("その他の住所", "Other address"),
    }
}

/// ⑤ 医師資格証の送付先: where the card is delivered (the same three choices as ④).
pub type DeliveryChoice = AddressChoice;

labelled_enum! {
    /// A manager role the applicant holds (reference: the JMA CA issues "Medical Doctor", plus a
    /// director role where the doctor manages an institution). It adds the hcRole and makes the
    /// workplace the certificate's O (with OU=Director).
    pub enum ManagerRole {
        /// 病院長: "Director of Hospital".
        DirectorOfHospital => ("病院長", "Director of Hospital"),
        /// 診療所院長: "Director of Clinic".
        DirectorOfClinic => ("診療所院長", "Director of Clinic"),
    }
}

impl ManagerRole {
    /// The hcRole string of the certificate (the HPKI role table's English name).
    pub fn hc_role(self) -> &'static str {
        self.label(Lang::En)
    }
}

labelled_enum! {
    /// How the medical licence was shown at reception (seed: 「医師免許証原本、もしくはコピーに
    /// 実印押印、印鑑登録証明書を提出」; the copy is accepted since an MHLW rule change).
    pub enum LicenseEvidence {
        /// 医師免許証の原本.
        Original => ("医師免許証原本", "Original medical licence"),
        /// A copy stamped with the registered seal (実印) plus the 印鑑登録証明書.
        CertifiedCopy => (
            "写し＋実印＋印鑑登録証明書",
            "Copy with registered seal and seal registration certificate"
        ),
    }
}

labelled_enum! {
    /// The photo ID shown at reception (seed: 「身分証(コピー不可)」 and its examples: passport,
    /// 住民基本台帳カード, 官公庁職員身分証明書 with photo; the reference adds the usual
    /// photo IDs). [`PhotoIdKind::Other`] is recorded but refused.
    pub enum PhotoIdKind {
        /// 運転免許証.
        DriversLicense => ("運転免許証", "Driver's licence"),
        /// 旅券 (日本国パスポート).
        Passport => ("旅券（パスポート）", "Passport"),
        /// 住民基本台帳カード, the kind with a photo.
        ResidentRegistryCard => ("住民基本台帳カード（写真付き）", "Basic Resident Registry card (with photo)"),
        /// 個人番号カード (マイナンバーカード).
        MyNumberCard => ("個人番号カード", "Individual Number card"),
        /// 官公庁職員身分証明書, with photo (and anti-tamper lamination, as the seed notes).
        GovernmentStaffId => (
            "官公庁職員身分証明書（写真付き）",
            "Government staff ID (with photo)"
        ),
        /// Anything else: not accepted.
        Other => ("その他（受付不可）", "Other (not accepted)"),
    }
}

impl PhotoIdKind {
    /// Whether reception may accept this kind of ID (everything but [`PhotoIdKind::Other`]).
    pub fn is_accepted(self) -> bool {
        self != PhotoIdKind::Other
    }
}

mod address;
mod documents;
mod field_error;
mod photo;
mod text_rules;

pub use address::*;
pub use documents::*;
pub use field_error::*;
pub use photo::*;
use text_rules::*;

/// The 発行申請書 as a draft: every field may be missing. See the module documentation for how
/// each field maps to the seed's form; [`ApplicationForm::validate`] says what is still wrong.
#[derive(Clone, Debug, Default, Eq, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ApplicationForm {
    /// ① 申請日.
    pub application_date: Option<Date>,
    /// ① 申請区分: 新規 / 更新.
    pub kind: Option<ApplicationKind>,
    /// The card this application replaces (renewal, reissue, change): its certificates are
    /// revoked when the new card is issued.
    pub previous_card_id: String,
    /// ② フリガナ セイ (全角カタカナ; ー, ・ and spaces allowed).
    pub name_kana_family: String,
    /// ② フリガナ メイ.
    pub name_kana_given: String,
    /// ② 氏名 姓 (as in the 戸籍; the certificate's kanji CN).
    pub name_kanji_family: String,
    /// ② 氏名 名.
    pub name_kanji_given: String,
    /// ② 氏名 ローマ字 姓 (Latin letters, space, `-`, `'`, `.`; the certificate's CN).
    pub name_romaji_family: String,
    /// ② 氏名 ローマ字 名.
    pub name_romaji_given: String,
    /// ② 生年月日.
    pub birth_date: Option<Date>,
    /// ② 性別.
    pub sex: Option<Sex>,
    /// ② 住所 (住居記載住所, as on the 住民票).
    pub address: Address,
    /// ② 医籍登録番号: 1–20 letters or digits (real numbers are 6–7 digits; test data such as
    /// `TESTC00021` has letters). Full-width characters are folded to ASCII.
    pub license_number: String,
    /// ② 医籍登録日: after the date of birth, not in the future.
    pub license_registration_date: Option<Date>,
    /// ② 日医会員区分.
    pub membership: Option<Membership>,
    /// ② 日医会員ID: 10 digits, given if and only if [`Membership::Member`].
    pub member_id: String,
    /// The applicant directs the institution of ③ (病院長 / 診療所院長): adds the director
    /// hcRole and needs the workplace name in kanji and romaji (the certificate's O).
    pub manager_role: Option<ManagerRole>,
    /// ③ 医療機関名 (名称).
    pub workplace_name: String,
    /// ③ 医療機関名 フリガナ.
    pub workplace_name_kana: String,
    /// ③ 医療機関名 in romaji: the certificate's O for a director (PrintableString characters).
    pub workplace_name_romaji: String,
    /// ③ 医療機関住所.
    pub workplace_address: Option<Address>,
    /// ④ 連絡先電話番号: digits and hyphens, 10 or 11 digits.
    pub phone: String,
    /// ④ 連絡先FAX番号 (optional; same rule as the phone).
    pub fax: String,
    /// E-mail address (optional; the seed's portal keeps the one given at application).
    pub email: String,
    /// ④ 連絡先住所: which address to contact; unset means the home address.
    pub contact_address: Option<AddressChoice>,
    /// ④ その他の住所: required when the contact or the delivery address is
    /// [`AddressChoice::Other`].
    pub other_address: Option<Address>,
    /// ⑤ 医師資格証の送付先.
    pub delivery: Option<DeliveryChoice>,
    /// The applicant's photo, when uploaded with the form (otherwise brought to reception; see
    /// [`DocumentChecklist::photo_received`]).
    pub photo: Option<ApplicantPhoto>,
}

/// The keys of the holder JSON [`ApplicationForm::holder_json`] produces, which are exactly the
/// keys `hpki_ca::cards::CardHolder::from_json` accepts (the subject's six, from
/// `hpki_profile::subject::SubjectInput`, then `birth_date`, `member_id`, `license_number`).
/// hpki-ra does not depend on hpki-ca, so this list is the coupling: if `CardHolder` changes,
/// change it here (the test `tests/application.rs` checks the produced JSON against it).
pub const CARD_HOLDER_KEYS: [&str; 9] = [
    "name_romaji",
    "name_kanji",
    "subscriber_id",
    "role",
    "organization_romaji",
    "organization_kanji",
    "birth_date",
    "member_id",
    "license_number",
];

/// The hcRole of every certificate the JMA CA issues.
pub const MEDICAL_DOCTOR_ROLE: &str = "Medical Doctor";

/// Longest name a certificate takes (X.520 ub-name, checked by hpki-profile).
const MAX_NAME_CHARS: usize = 64;

impl ApplicationForm {
    /// Folds the draft to its canonical form, in place: full-width digits, Latin letters and
    /// spaces to ASCII where the field is ASCII (romaji, numbers, phone, e-mail, postal codes),
    /// half-width katakana to full-width in the フリガナ, whitespace trimmed (and runs of spaces
    /// collapsed in names), postal codes as `123-4567`, blank optional addresses removed. Never
    /// drops anything the applicant typed otherwise.
    pub fn normalize(&mut self) {
        self.name_kana_family = normalize_kana(&self.name_kana_family);
        self.name_kana_given = normalize_kana(&self.name_kana_given);
        self.name_kanji_family = collapse_spaces(&self.name_kanji_family);
        self.name_kanji_given = collapse_spaces(&self.name_kanji_given);
        self.name_romaji_family = collapse_spaces(&to_ascii_width(&self.name_romaji_family));
        self.name_romaji_given = collapse_spaces(&to_ascii_width(&self.name_romaji_given));
        self.address.normalize();
        self.license_number = to_ascii_width(&self.license_number).trim().to_string();
        self.member_id = to_ascii_width(&self.member_id).trim().to_string();
        self.workplace_name = self.workplace_name.trim().to_string();
        self.workplace_name_kana = normalize_kana(&self.workplace_name_kana);
        self.workplace_name_romaji = collapse_spaces(&to_ascii_width(&self.workplace_name_romaji));
        for a in [&mut self.workplace_address, &mut self.other_address] {
            if let Some(addr) = a {
                addr.normalize();
            }
            if a.as_ref().is_some_and(Address::is_blank) {
                *a = None;
            }
        }
        self.phone = normalize_hyphens(&to_ascii_width(&self.phone))
            .trim()
            .to_string();
        self.fax = normalize_hyphens(&to_ascii_width(&self.fax))
            .trim()
            .to_string();
        self.email = to_ascii_width(&self.email).trim().to_string();
        self.previous_card_id = to_ascii_width(&self.previous_card_id)
            .trim()
            .to_ascii_uppercase();
    }

    /// Whether this application replaces an existing card (renewal, reissue, change).
    pub fn replaces_a_card(&self) -> bool {
        matches!(
            self.kind,
            Some(ApplicationKind::Renewal | ApplicationKind::Reissue | ApplicationKind::Change)
        )
    }

    /// A normalised copy (see [`ApplicationForm::normalize`]).
    pub fn normalized(&self) -> ApplicationForm {
        let mut f = self.clone();
        f.normalize();
        f
    }

    /// The name in romaji as the certificate's CN: "Given Family" (e.g. "Taro Nichii", as
    /// hpki-ca's demo subscriber), normalised.
    pub fn name_romaji(&self) -> String {
        join_name(
            &collapse_spaces(&to_ascii_width(&self.name_romaji_given)),
            &collapse_spaces(&to_ascii_width(&self.name_romaji_family)),
            " ",
        )
    }

    /// The name in kanji as the certificate's kanji CN: family name first, then an ideographic
    /// (full-width) space U+3000, then the given name — "日医　太郎", as hpki-ca's
    /// `DEMO_SUBSCRIBER` and the subject JSON example of hpki-profile write it.
    pub fn name_kanji(&self) -> String {
        join_name(
            &collapse_spaces(&self.name_kanji_family),
            &collapse_spaces(&self.name_kanji_given),
            "\u{3000}",
        )
    }

    /// The フリガナ, family first, separated by U+3000: "ニチイ　タロウ".
    pub fn name_kana(&self) -> String {
        join_name(
            &normalize_kana(&self.name_kana_family),
            &normalize_kana(&self.name_kana_given),
            "\u{3000}",
        )
    }

    /// Checks the (normalised) form and returns every problem at once, in the order of the
    /// form; empty when the form is complete. `today` is the date the check is made (dates of
    /// birth must be before it, 申請日 and 医籍登録日 not after it).
    ///
    /// Only what the sources give or what is checkable is checked: no minimum age is imposed.
    pub fn validate(&self, today: Date) -> Vec<FieldError> {
        let f = self.normalized();
        let mut e = Errors::default();

        // ① 申請日, 申請区分.
        match f.application_date {
            None => e.required("application_date"),
            Some(d) if d > today => e.push(
                "application_date",
                codes::FUTURE_DATE,
                "申請日に未来の日付は指定できません".into(),
                "The application date cannot be in the future.".into(),
            ),
            Some(_) => {}
        }
        if f.kind.is_none() {
            e.choose("kind");
        }
        if f.replaces_a_card() {
            let id = &f.previous_card_id;
            if id.is_empty() {
                e.push(
                    "previous_card_id",
                    codes::REQUIRED_BY_CHOICE,
                    "更新・再発行・記載事項変更では現在のカードIDを入力してください".into(),
                    "A renewal, reissue or change needs the ID of the current card.".into(),
                );
            } else if id.len() > 20 || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
                e.push(
                    "previous_card_id",
                    codes::INVALID_CARD_ID,
                    "カードIDは英数字20文字以内です（例: JMAC31000001）".into(),
                    "A card ID is at most 20 letters and digits (e.g. JMAC31000001).".into(),
                );
            }
        }

        // ② 氏名.
        e.kana("name_kana_family", &f.name_kana_family);
        e.kana("name_kana_given", &f.name_kana_given);
        e.free_text("name_kanji_family", &f.name_kanji_family, true);
        e.free_text("name_kanji_given", &f.name_kanji_given, true);
        if f.name_kanji().chars().count() > MAX_NAME_CHARS {
            e.too_long(
                "name_kanji_family",
                "氏名（漢字）は姓名あわせて",
                "The name in kanji",
            );
        }
        for (field, v) in [
            ("name_romaji_family", &f.name_romaji_family),
            ("name_romaji_given", &f.name_romaji_given),
        ] {
            if v.is_empty() {
                e.required(field);
            } else if !v.chars().all(is_romaji_char) {
                let (ja, en) = labels(field);
                e.push(
                    field,
                    codes::NOT_ROMAJI,
                    format!("{ja}は半角英字・空白・ハイフン(-)・アポストロフィ(')・ピリオド(.)で入力してください"),
                    format!("The {en} may contain only Latin letters, spaces, - ' and ."),
                );
            }
        }
        if f.name_romaji().chars().count() > MAX_NAME_CHARS {
            e.too_long(
                "name_romaji_family",
                "氏名（ローマ字）は姓名あわせて",
                "The name in romaji",
            );
        }

        // ② 生年月日, 性別, 住所.
        match f.birth_date {
            None => e.required("birth_date"),
            Some(d) if d >= today => e.push(
                "birth_date",
                codes::NOT_PAST,
                "生年月日は過去の日付を入力してください".into(),
                "The date of birth must be in the past.".into(),
            ),
            Some(d) if !hpki_cardface::plausible_birth_date(d, today) => e.push(
                "birth_date",
                codes::IMPLAUSIBLE_DATE,
                format!(
                    "生年月日を確認してください（{}歳以上{}歳以下の方が申請できます）",
                    hpki_cardface::MIN_HOLDER_AGE_YEARS,
                    hpki_cardface::MAX_HOLDER_AGE_YEARS
                ),
                format!(
                    "Please check the date of birth: applicants are {} to {} years old.",
                    hpki_cardface::MIN_HOLDER_AGE_YEARS,
                    hpki_cardface::MAX_HOLDER_AGE_YEARS
                ),
            ),
            Some(_) => {}
        }
        if f.sex.is_none() {
            e.choose("sex");
        }
        e.address(&HOME, &f.address);

        // ② 医籍登録番号と登録日.
        if f.license_number.is_empty() {
            e.required("license_number");
        } else if f.license_number.len() > 20
            || !f.license_number.bytes().all(|b| b.is_ascii_alphanumeric())
        {
            e.push(
                "license_number",
                codes::INVALID_LICENSE_NUMBER,
                "医籍登録番号は半角英数字20文字以内で入力してください（「第」「号」は不要です）"
                    .into(),
                "The medical registration number must be 1 to 20 letters or digits.".into(),
            );
        }
        match f.license_registration_date {
            None => e.required("license_registration_date"),
            Some(d) => {
                if d > today {
                    e.push(
                        "license_registration_date",
                        codes::FUTURE_DATE,
                        "医籍登録日に未来の日付は指定できません".into(),
                        "The medical registration date cannot be in the future.".into(),
                    );
                }
                if f.birth_date.is_some_and(|b| d <= b) {
                    e.push(
                        "license_registration_date",
                        codes::BEFORE_BIRTH,
                        "医籍登録日は生年月日より後の日付を入力してください".into(),
                        "The medical registration date must be after the date of birth.".into(),
                    );
                }
            }
        }

        // ② 日医会員.
        match f.membership {
            None => e.choose("membership"),
            Some(Membership::Member) => {
                if f.member_id.is_empty() {
                    e.push(
                        "member_id",
                        codes::REQUIRED,
                        "日医会員の場合は日医会員IDを入力してください".into(),
                        "Enter the JMA member ID (you chose: JMA member).".into(),
                    );
                } else if !is_member_id(&f.member_id) {
                    e.push(
                        "member_id",
                        codes::INVALID_MEMBER_ID,
                        "会員IDは数字10桁です".into(),
                        "The JMA member ID is 10 digits.".into(),
                    );
                }
            }
            Some(other) => {
                if !f.member_id.is_empty() {
                    e.push(
                        "member_id",
                        codes::MEMBER_ID_NOT_EXPECTED,
                        format!(
                            "日医会員IDは日医会員の場合のみ記入してください（選択: {}）",
                            other.label(Lang::Ja)
                        ),
                        format!(
                            "Give the JMA member ID only as a JMA member (you chose: {}).",
                            other.label(Lang::En)
                        ),
                    );
                }
            }
        }

        // ③ 勤務先.
        e.free_text("workplace_name", &f.workplace_name, false);
        if f.workplace_name.chars().count() > MAX_NAME_CHARS {
            e.too_long("workplace_name", "医療機関名は", "The workplace name");
        }
        if !f.workplace_name_kana.is_empty() {
            e.kana("workplace_name_kana", &f.workplace_name_kana);
        }
        if !f.workplace_name_romaji.is_empty() {
            if !f.workplace_name_romaji.chars().all(is_printable_char) {
                e.push(
                    "workplace_name_romaji",
                    codes::NOT_PRINTABLE,
                    "医療機関名（ローマ字）は半角英数字・空白と ' ( ) + , - . / : = ? のみで入力してください".into(),
                    "The workplace name in romaji may contain only A-Z a-z 0-9, space and ' ( ) + , - . / : = ?".into(),
                );
            }
            if f.workplace_name_romaji.chars().count() > MAX_NAME_CHARS {
                e.too_long(
                    "workplace_name_romaji",
                    "医療機関名（ローマ字）は",
                    "The workplace name in romaji",
                );
            }
        }
        if let Some(role) = f.manager_role {
            let (ja, en) = (role.label(Lang::Ja), role.label(Lang::En));
            if f.workplace_name.is_empty() {
                e.push(
                    "workplace_name",
                    codes::REQUIRED_BY_CHOICE,
                    format!("{ja}として申請する場合は医療機関名を入力してください（証明書の組織名になります）"),
                    format!("Enter the workplace name: as {en} it becomes the certificate's organization."),
                );
            }
            if f.workplace_name_romaji.is_empty() {
                e.push(
                    "workplace_name_romaji",
                    codes::REQUIRED_BY_CHOICE,
                    format!("{ja}として申請する場合は医療機関名のローマ字表記を入力してください（証明書の組織名になります）"),
                    format!("Enter the workplace name in romaji: as {en} it becomes the certificate's organization."),
                );
            }
        }
        if let Some(a) = &f.workplace_address {
            e.address(&WORKPLACE, a);
        }

        // ④ 連絡先.
        if f.phone.is_empty() {
            e.required("phone");
        } else if !is_phone(&f.phone) {
            e.push(
                "phone",
                codes::INVALID_PHONE,
                "連絡先電話番号は数字とハイフンで10桁または11桁を入力してください".into(),
                "The contact phone number must be 10 or 11 digits (hyphens allowed).".into(),
            );
        }
        if !f.fax.is_empty() && !is_phone(&f.fax) {
            e.push(
                "fax",
                codes::INVALID_PHONE,
                "連絡先FAX番号は数字とハイフンで10桁または11桁を入力してください".into(),
                "The contact fax number must be 10 or 11 digits (hyphens allowed).".into(),
            );
        }
        if !f.email.is_empty() && !is_email(&f.email) {
            e.push(
                "email",
                codes::INVALID_EMAIL,
                "メールアドレスの形式が正しくありません（例: taro@example.jp）".into(),
                "The e-mail address is not valid (e.g. taro@example.jp).".into(),
            );
        }
        if let Some(choice) = f.contact_address {
            e.chosen_address(&f, choice, "連絡先住所", "the contact address");
        }
        if let Some(a) = &f.other_address {
            e.address(&OTHER, a);
        }

        // ⑤ 送付先.
        match f.delivery {
            None => e.choose("delivery"),
            Some(choice) => e.chosen_address(&f, choice, "送付先", "the delivery address"),
        }

        e.0
    }

    /// Whether [`ApplicationForm::validate`] finds nothing wrong.
    pub fn is_complete(&self, today: Date) -> bool {
        self.validate(today).is_empty()
    }

    /// The hcRole strings: "Medical Doctor", then the director role if any.
    pub fn roles(&self) -> Vec<&'static str> {
        let mut roles = vec![MEDICAL_DOCTOR_ROLE];
        if let Some(m) = self.manager_role {
            roles.push(m.hc_role());
        }
        roles
    }

    /// The subject JSON that hpki-ca's issuance takes (`hpki_profile::subject::SubjectInput`):
    /// `name_romaji` ("Given Family"), `name_kanji` ("姓　名"), `subscriber_id`, `role`
    /// ("Medical Doctor", or `["Medical Doctor", "Director of Hospital"]` for a director) and, for
    /// a director only, `organization_romaji`/`organization_kanji` from the workplace (a plain
    /// doctor's certificate carries no O: the workplace changes more often than the card).
    ///
    /// Call it on a form that [`ApplicationForm::validate`] accepted; on an incomplete form the
    /// missing parts come out empty and hpki-profile refuses them.
    pub fn subject_json(&self, subscriber_id: &str) -> serde_json::Value {
        let f = self.normalized();
        let mut map = serde_json::Map::new();
        map.insert("name_romaji".into(), f.name_romaji().into());
        map.insert("name_kanji".into(), f.name_kanji().into());
        map.insert("subscriber_id".into(), subscriber_id.into());
        let roles = f.roles();
        let role = if roles.len() == 1 {
            serde_json::Value::from(roles[0])
        } else {
            serde_json::Value::from(roles)
        };
        map.insert("role".into(), role);
        if f.manager_role.is_some() {
            map.insert(
                "organization_romaji".into(),
                f.workplace_name_romaji.clone().into(),
            );
            map.insert("organization_kanji".into(), f.workplace_name.clone().into());
        }
        serde_json::Value::Object(map)
    }

    /// The card holder's record: [`ApplicationForm::subject_json`] plus `birth_date`
    /// (`YYYY-MM-DD`), `member_id` (members only) and `license_number` — exactly what
    /// `hpki_ca::cards::CardHolder::from_json` accepts (keys: [`CARD_HOLDER_KEYS`]).
    pub fn holder_json(&self, subscriber_id: &str) -> serde_json::Value {
        let f = self.normalized();
        let mut v = f.subject_json(subscriber_id);
        if let serde_json::Value::Object(map) = &mut v {
            let birth = f.birth_date.map(format_date).unwrap_or_default();
            map.insert("birth_date".into(), birth.into());
            if f.membership == Some(Membership::Member) && !f.member_id.is_empty() {
                map.insert("member_id".into(), f.member_id.clone().into());
            }
            map.insert("license_number".into(), f.license_number.clone().into());
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;
    use time::macros::date;

    const TODAY: Date = date!(2026 - 05 - 15);

    fn complete() -> ApplicationForm {
        ApplicationForm {
            previous_card_id: String::new(),
            application_date: Some(date!(2026 - 05 - 15)),
            kind: Some(ApplicationKind::New),
            name_kana_family: "ニチイ".into(),
            name_kana_given: "タロウ".into(),
            name_kanji_family: "日医".into(),
            name_kanji_given: "太郎".into(),
            name_romaji_family: "Nichii".into(),
            name_romaji_given: "Taro".into(),
            birth_date: Some(date!(1955 - 01 - 01)),
            sex: Some(Sex::Male),
            address: Address {
                postal_code: "113-8621".into(),
                prefecture_code: Some(13),
                city: "文京区本駒込2-28-16".into(),
                building: String::new(),
            },
            license_number: "TESTC00021".into(),
            license_registration_date: Some(date!(1980 - 05 - 01)),
            membership: Some(Membership::Member),
            member_id: "9999999999".into(),
            manager_role: None,
            workplace_name: "日医病院".into(),
            workplace_name_kana: "ニチイビョウイン".into(),
            workplace_name_romaji: "Nichii Hospital".into(),
            workplace_address: None,
            phone: "03-3946-2121".into(),
            fax: String::new(),
            email: String::new(),
            contact_address: None,
            other_address: None,
            delivery: Some(DeliveryChoice::Home),
            photo: None,
        }
    }

    fn codes_of(errors: &[FieldError]) -> Vec<(&'static str, &'static str)> {
        errors.iter().map(|e| (e.field, e.code)).collect()
    }

    fn has(errors: &[FieldError], field: &str, code: &str) -> bool {
        errors.iter().any(|e| e.field == field && e.code == code)
    }

    fn checklist() -> DocumentChecklist {
        DocumentChecklist {
            license: Some(LicenseEvidence::Original),
            license_copy_sealed: false,
            seal_certificate_issued: None,
            photo_id: Some(PhotoIdKind::DriversLicense),
            photo_id_is_copy: false,
            residence_certificate_issued: Some(date!(2026 - 05 - 01)),
            photo_received: true,
        }
    }

    /// A minimal PNG header: imagesize reads only the signature and the IHDR size.
    /// The header of a PNG file of that size, and nothing else.
    fn png_header(width: u32, height: u32) -> Vec<u8> {
        let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
        b.extend_from_slice(&width.to_be_bytes());
        b.extend_from_slice(&height.to_be_bytes());
        b.extend_from_slice(&[8, 2, 0, 0, 0, 0, 0, 0, 0]);
        b
    }

    /// A whole grey PNG image, written by the png crate.
    fn png(width: u32, height: u32) -> Vec<u8> {
        let mut out = Vec::new();
        let mut e = ::png::Encoder::new(&mut out, width, height);
        e.set_color(::png::ColorType::Grayscale);
        let mut w = e.write_header().expect("png header");
        w.write_image_data(&vec![128; (width * height) as usize])
            .expect("png data");
        w.finish().expect("png");
        out
    }

    #[test]
    fn a_complete_form_has_no_errors() {
        let f = complete();
        assert_eq!(f.validate(TODAY), vec![]);
        assert!(f.is_complete(TODAY));
        assert_eq!(checklist().check(TODAY), vec![]);
    }

    #[test]
    fn an_empty_draft_lists_every_required_field_at_once() {
        let errors = ApplicationForm::default().validate(TODAY);
        let fields: Vec<_> = errors.iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            [
                "application_date",
                "kind",
                "name_kana_family",
                "name_kana_given",
                "name_kanji_family",
                "name_kanji_given",
                "name_romaji_family",
                "name_romaji_given",
                "birth_date",
                "sex",
                "address.postal_code",
                "address.prefecture_code",
                "address.city",
                "license_number",
                "license_registration_date",
                "membership",
                "phone",
                "delivery",
            ]
        );
        assert!(errors.iter().all(|e| e.code == codes::REQUIRED));
        let birth = errors.iter().find(|e| e.field == "birth_date").unwrap();
        assert_eq!(birth.message(Lang::Ja), "生年月日を入力してください");
        assert_eq!(birth.message(Lang::En), "Enter the date of birth.");
        let sex = errors.iter().find(|e| e.field == "sex").unwrap();
        assert_eq!(sex.message_ja, "性別を選択してください");
        assert!(!ApplicationForm::default().is_complete(TODAY));
    }

    #[test]
    fn every_field_named_in_an_error_has_a_label() {
        let mut f = ApplicationForm {
            manager_role: Some(ManagerRole::DirectorOfClinic),
            delivery: Some(AddressChoice::Workplace),
            contact_address: Some(AddressChoice::Other),
            workplace_address: Some(Address {
                postal_code: "1".into(),
                ..Address::default()
            }),
            other_address: Some(Address {
                building: "x".into(),
                ..Address::default()
            }),
            fax: "1".into(),
            email: "x".into(),
            workplace_name_kana: "x".into(),
            ..ApplicationForm::default()
        };
        let mut errors = f.validate(TODAY);
        f.workplace_address = None;
        f.other_address = None;
        errors.extend(f.validate(TODAY));
        errors.extend(DocumentChecklist::default().check(TODAY));
        for e in &errors {
            assert!(field_label(e.field, Lang::Ja).is_some(), "{}", e.field);
            assert!(field_label(e.field, Lang::En).is_some(), "{}", e.field);
            assert!(!e.message_ja.contains(e.field), "{e}");
        }
    }

    #[test]
    fn dates_must_be_plausible() {
        let mut f = complete();
        f.application_date = Some(date!(2026 - 05 - 16));
        f.birth_date = Some(date!(2026 - 07 - 01));
        f.license_registration_date = Some(date!(2026 - 06 - 01));
        let e = f.validate(TODAY);
        assert!(has(&e, "application_date", codes::FUTURE_DATE));
        assert!(has(&e, "birth_date", codes::NOT_PAST));
        assert!(has(&e, "license_registration_date", codes::FUTURE_DATE));
        assert!(has(&e, "license_registration_date", codes::BEFORE_BIRTH));
        let birth = e.iter().find(|e| e.field == "birth_date").unwrap();
        assert_eq!(birth.message_ja, "生年月日は過去の日付を入力してください");

        let mut f = complete();
        f.license_registration_date = f.birth_date;
        assert_eq!(
            codes_of(&f.validate(TODAY)),
            [("license_registration_date", codes::BEFORE_BIRTH)]
        );
    }

    #[test]
    fn kana_must_be_full_width_katakana_and_half_width_is_folded() {
        let mut f = complete();
        f.name_kana_family = "にちい".into();
        f.name_kana_given = "Taro".into();
        let e = f.validate(TODAY);
        assert_eq!(
            codes_of(&e),
            [
                ("name_kana_family", codes::NOT_KATAKANA),
                ("name_kana_given", codes::NOT_KATAKANA)
            ]
        );
        assert_eq!(
            e[0].message_ja,
            "フリガナ（セイ）は全角カタカナで入力してください"
        );

        let mut f = complete();
        f.name_kana_family = " ﾆﾁｲ ".into();
        f.name_kana_given = "ｼﾞｮｰｼﾞ ﾎﾟｰﾙ".into();
        f.workplace_name_kana = "ｳﾞｧﾝｽ･ﾋﾞｮｳｲﾝ".into();
        assert_eq!(f.validate(TODAY), vec![]);
        f.normalize();
        assert_eq!(f.name_kana_family, "ニチイ");
        assert_eq!(f.name_kana_given, "ジョージ\u{3000}ポール");
        assert_eq!(f.workplace_name_kana, "ヴァンス・ビョウイン");
        assert_eq!(HALF_KATAKANA.chars().count(), 0xFF9D - 0xFF66 + 1);
        assert_eq!(f.name_kana(), "ニチイ\u{3000}ジョージ\u{3000}ポール");
    }

    #[test]
    fn romaji_and_names_follow_the_certificate_rules() {
        let mut f = complete();
        f.name_romaji_family = "日医".into();
        f.name_romaji_given = "Taro_1".into();
        let e = f.validate(TODAY);
        assert_eq!(
            codes_of(&e),
            [
                ("name_romaji_family", codes::NOT_ROMAJI),
                ("name_romaji_given", codes::NOT_ROMAJI)
            ]
        );

        // Full-width romaji is folded; the CN is "Given Family".
        let mut f = complete();
        f.name_romaji_family = "Ｏ'Ｎｅｉｌｌ".into();
        f.name_romaji_given = " Mary  Ann ".into();
        assert_eq!(f.validate(TODAY), vec![]);
        assert_eq!(f.name_romaji(), "Mary Ann O'Neill");
        assert_eq!(complete().name_kanji(), "日医\u{3000}太郎");

        let mut f = complete();
        f.name_romaji_family = "A".repeat(60);
        f.name_kanji_given = "太".repeat(62);
        f.name_kanji_family = "日\n医".into();
        let e = f.validate(TODAY);
        assert!(has(&e, "name_romaji_family", codes::TOO_LONG));
        assert!(has(&e, "name_kanji_family", codes::TOO_LONG));
        assert!(has(&e, "name_kanji_family", codes::INVALID_CHARACTERS));
    }

    #[test]
    fn addresses_are_checked_and_postal_codes_normalised() {
        for ok in [
            "〒113-8621",
            "1138621",
            "１１３－８６２１",
            "113ー8621",
            " 113-8621 ",
        ] {
            assert_eq!(
                normalize_postal_code(ok).as_deref(),
                Some("113-8621"),
                "{ok}"
            );
        }
        for bad in ["113-862", "11-38621", "12345678", "abc-defg", ""] {
            assert_eq!(normalize_postal_code(bad), None, "{bad}");
        }
        let mut f = complete();
        f.address.postal_code = "113-862".into();
        f.address.prefecture_code = Some(48);
        f.address.city = String::new();
        let e = f.validate(TODAY);
        assert_eq!(
            codes_of(&e),
            [
                ("address.postal_code", codes::INVALID_POSTAL_CODE),
                ("address.prefecture_code", codes::INVALID_PREFECTURE),
                ("address.city", codes::REQUIRED),
            ]
        );
        f.address.prefecture_code = Some(0);
        assert!(has(
            &f.validate(TODAY),
            "address.prefecture_code",
            codes::INVALID_PREFECTURE
        ));
        f.address.prefecture_code = Some(47);
        assert!(!has(
            &f.validate(TODAY),
            "address.prefecture_code",
            codes::INVALID_PREFECTURE
        ));

        let mut f = complete();
        f.address.postal_code = "〒１１３８６２１".into();
        f.normalize();
        assert_eq!(f.address.postal_code, "113-8621");
    }

    #[test]
    fn license_numbers_are_folded_to_ascii() {
        let mut f = complete();
        f.license_number = " １２３４５６ ".into();
        assert_eq!(f.validate(TODAY), vec![]);
        assert_eq!(f.normalized().license_number, "123456");
        for bad in ["第123456号", "TEST C21", "123456789012345678901"] {
            f.license_number = bad.into();
            assert_eq!(
                codes_of(&f.validate(TODAY)),
                [("license_number", codes::INVALID_LICENSE_NUMBER)],
                "{bad}"
            );
        }
    }

    #[test]
    fn the_member_id_is_ten_digits_and_only_for_members() {
        let mut f = complete();
        f.member_id = "12345".into();
        let e = f.validate(TODAY);
        assert_eq!(codes_of(&e), [("member_id", codes::INVALID_MEMBER_ID)]);
        assert_eq!(e[0].message_ja, "会員IDは数字10桁です");
        f.member_id = "１２３４５６７８９０".into();
        assert_eq!(f.validate(TODAY), vec![]);
        f.member_id = String::new();
        assert_eq!(
            codes_of(&f.validate(TODAY)),
            [("member_id", codes::REQUIRED)]
        );
        for m in [Membership::JoiningWithin3Months, Membership::NonMember] {
            f.membership = Some(m);
            assert_eq!(f.validate(TODAY), vec![]);
            f.member_id = "1234567890".into();
            assert_eq!(
                codes_of(&f.validate(TODAY)),
                [("member_id", codes::MEMBER_ID_NOT_EXPECTED)]
            );
            f.member_id = String::new();
        }
    }

    #[test]
    fn contact_details_are_checked() {
        let mut f = complete();
        f.phone = "０３－３９４６－２１２１".into();
        f.fax = "03-3946-2140".into();
        f.email = "taro@example.jp".into();
        assert_eq!(f.validate(TODAY), vec![]);
        assert_eq!(f.normalized().phone, "03-3946-2121");
        f.phone = "03-3946-212".into();
        f.fax = "03 3946 2140".into();
        f.email = "taro@localhost".into();
        assert_eq!(
            codes_of(&f.validate(TODAY)),
            [
                ("phone", codes::INVALID_PHONE),
                ("fax", codes::INVALID_PHONE),
                ("email", codes::INVALID_EMAIL)
            ]
        );
        for bad in [
            "@example.jp",
            "taro@",
            "a b@example.jp",
            "taro@example..jp",
            "t@@x.jp",
        ] {
            assert!(!is_email(bad), "{bad}");
        }
        f.phone = "090-1234-5678".into();
        assert!(!has(&f.validate(TODAY), "phone", codes::INVALID_PHONE));
    }

    #[test]
    fn choices_require_what_they_point_to() {
        let mut f = complete();
        f.delivery = Some(DeliveryChoice::Workplace);
        f.contact_address = Some(AddressChoice::Workplace);
        let e = f.validate(TODAY);
        // Reported once even though two choices need it.
        assert_eq!(
            codes_of(&e),
            [("workplace_address", codes::REQUIRED_BY_CHOICE)]
        );
        assert!(e[0].message_ja.contains("医療機関住所を入力してください"));

        f.workplace_address = Some(Address {
            postal_code: "113-8621".into(),
            prefecture_code: Some(13),
            city: "文京区本駒込2-28-16".into(),
            building: String::new(),
        });
        assert_eq!(f.validate(TODAY), vec![]);

        f.delivery = Some(DeliveryChoice::Other);
        assert_eq!(
            codes_of(&f.validate(TODAY)),
            [("other_address", codes::REQUIRED_BY_CHOICE)]
        );
        // A blank address counts as none.
        f.other_address = Some(Address::default());
        assert_eq!(
            codes_of(&f.validate(TODAY)),
            [("other_address", codes::REQUIRED_BY_CHOICE)]
        );
        f.other_address = Some(Address {
            city: "八王子市元本町3-24-1".into(),
            ..Address::default()
        });
        assert_eq!(
            codes_of(&f.validate(TODAY)),
            [
                ("other_address.postal_code", codes::REQUIRED),
                ("other_address.prefecture_code", codes::REQUIRED)
            ]
        );
    }

    #[test]
    fn a_director_needs_the_workplace_in_kanji_and_romaji() {
        let mut f = complete();
        f.manager_role = Some(ManagerRole::DirectorOfHospital);
        f.workplace_name = String::new();
        f.workplace_name_romaji = String::new();
        let e = f.validate(TODAY);
        assert_eq!(
            codes_of(&e),
            [
                ("workplace_name", codes::REQUIRED_BY_CHOICE),
                ("workplace_name_romaji", codes::REQUIRED_BY_CHOICE)
            ]
        );
        assert!(e[0].message_ja.starts_with("病院長として申請する場合は"));
        f.workplace_name = "日医病院".into();
        f.workplace_name_romaji = "Nichii Hospital & Clinic".into();
        assert_eq!(
            codes_of(&f.validate(TODAY)),
            [("workplace_name_romaji", codes::NOT_PRINTABLE)]
        );
        f.workplace_name_romaji = "N".repeat(65);
        assert_eq!(
            codes_of(&f.validate(TODAY)),
            [("workplace_name_romaji", codes::TOO_LONG)]
        );
    }

    #[test]
    fn the_subject_json_matches_hpki_profile() {
        let f = complete();
        assert_eq!(
            f.subject_json("JMA0000001"),
            serde_json::json!({"name_romaji": "Taro Nichii", "name_kanji": "日医\u{3000}太郎",
                "subscriber_id": "JMA0000001", "role": "Medical Doctor"})
        );
        let mut d = complete();
        d.manager_role = Some(ManagerRole::DirectorOfHospital);
        assert_eq!(
            d.subject_json("JMA0000001"),
            serde_json::json!({"name_romaji": "Taro Nichii", "name_kanji": "日医\u{3000}太郎",
                "subscriber_id": "JMA0000001", "role": ["Medical Doctor", "Director of Hospital"],
                "organization_romaji": "Nichii Hospital", "organization_kanji": "日医病院"})
        );
        let mut h = d.holder_json("JMA0000001");
        assert_eq!(h["birth_date"], "1955-01-01");
        assert_eq!(h["member_id"], "9999999999");
        assert_eq!(h["license_number"], "TESTC00021");
        d.membership = Some(Membership::NonMember);
        h = d.holder_json("JMA0000001");
        assert!(h.get("member_id").is_none());
    }

    #[test]
    fn a_draft_round_trips_through_json_with_missing_fields() {
        let draft: ApplicationForm =
            serde_json::from_str(r#"{"name_kanji_family":"日医","birth_date":"1955-01-01"}"#)
                .unwrap();
        assert_eq!(draft.name_kanji_family, "日医");
        assert_eq!(draft.birth_date, Some(date!(1955 - 01 - 01)));
        assert_eq!(draft.kind, None);
        let text = serde_json::to_string(&draft).unwrap();
        assert_eq!(
            serde_json::from_str::<ApplicationForm>(&text).unwrap(),
            draft
        );
        assert!(text.contains(r#""birth_date":"1955-01-01""#), "{text}");

        let full = ApplicationForm {
            photo: Some(ApplicantPhoto::inspect(&png(600, 800)).unwrap()),
            workplace_address: Some(Address::default()),
            manager_role: Some(ManagerRole::DirectorOfClinic),
            ..complete()
        };
        let text = serde_json::to_string(&full).unwrap();
        assert!(text.contains(r#""kind":"new""#));
        assert!(text.contains(r#""manager_role":"director_of_clinic""#));
        assert_eq!(
            serde_json::from_str::<ApplicationForm>(&text).unwrap(),
            full
        );
        // Unknown keys (a draft written by a later version) are ignored.
        assert!(serde_json::from_str::<ApplicationForm>(r#"{"pin":"1234"}"#).is_ok());

        let c: DocumentChecklist = serde_json::from_str(r#"{"photo_id":"passport"}"#).unwrap();
        assert_eq!(c.photo_id, Some(PhotoIdKind::Passport));
        assert_eq!(
            serde_json::from_str::<DocumentChecklist>(&serde_json::to_string(&c).unwrap()).unwrap(),
            c
        );
    }

    #[test]
    fn the_three_month_rule_handles_month_ends() {
        for (reception, earliest) in [
            (date!(2026 - 05 - 15), date!(2026 - 02 - 15)),
            (date!(2026 - 05 - 31), date!(2026 - 02 - 28)),
            (date!(2026 - 05 - 29), date!(2026 - 02 - 28)),
            (date!(2026 - 03 - 31), date!(2025 - 12 - 31)),
            (date!(2026 - 01 - 10), date!(2025 - 10 - 10)),
            (date!(2024 - 05 - 30), date!(2024 - 02 - 29)),
            (date!(2026 - 08 - 31), date!(2026 - 05 - 31)),
            (date!(2026 - 12 - 31), date!(2026 - 09 - 30)),
        ] {
            assert_eq!(earliest_issue_date(reception), earliest, "{reception}");
            let mut c = checklist();
            c.residence_certificate_issued = Some(earliest);
            assert_eq!(c.check(reception), vec![], "{reception}");
            c.residence_certificate_issued = earliest.previous_day();
            assert_eq!(
                codes_of(&c.check(reception)),
                [("residence_certificate_issued", codes::OLDER_THAN_3_MONTHS)],
                "{reception}"
            );
        }
        let mut c = checklist();
        c.residence_certificate_issued = Some(TODAY);
        assert_eq!(c.check(TODAY), vec![]);
        c.residence_certificate_issued = TODAY.next_day();
        assert_eq!(
            codes_of(&c.check(TODAY)),
            [(
                "residence_certificate_issued",
                codes::ISSUED_AFTER_RECEPTION
            )]
        );
    }

    #[test]
    fn the_documents_follow_the_seed() {
        let e = DocumentChecklist::default().check(TODAY);
        assert_eq!(
            codes_of(&e),
            [
                ("license", codes::REQUIRED),
                ("photo_id", codes::REQUIRED),
                ("residence_certificate_issued", codes::REQUIRED),
                ("photo_received", codes::REQUIRED),
            ]
        );

        let mut c = checklist();
        c.license = Some(LicenseEvidence::CertifiedCopy);
        assert_eq!(
            codes_of(&c.check(TODAY)),
            [
                ("license_copy_sealed", codes::SEAL_MISSING),
                ("seal_certificate_issued", codes::REQUIRED)
            ]
        );
        c.license_copy_sealed = true;
        c.seal_certificate_issued = Some(date!(2026 - 02 - 14));
        assert_eq!(
            codes_of(&c.check(TODAY)),
            [("seal_certificate_issued", codes::OLDER_THAN_3_MONTHS)]
        );
        c.seal_certificate_issued = Some(date!(2026 - 02 - 15));
        assert_eq!(c.check(TODAY), vec![]);

        let mut c = checklist();
        c.photo_id = Some(PhotoIdKind::Other);
        c.photo_id_is_copy = true;
        let e = c.check(TODAY);
        assert_eq!(
            codes_of(&e),
            [
                ("photo_id", codes::NOT_ACCEPTED),
                ("photo_id_is_copy", codes::COPY_NOT_ACCEPTED)
            ]
        );
        assert!(e[0].message_ja.contains("旅券（パスポート）"));
        assert!(!e[0].message_ja.contains("その他"));
        for kind in PhotoIdKind::ALL.iter().filter(|k| k.is_accepted()) {
            c.photo_id = Some(*kind);
            c.photo_id_is_copy = false;
            assert_eq!(c.check(TODAY), vec![], "{kind:?}");
        }
    }

    #[test]
    fn an_implausible_date_of_birth_is_refused_at_reception() {
        for (birth, ok) in [
            ("1872-05-01", false), // 1972 mistyped
            ("1916-05-14", false),
            ("1916-05-15", true),
            ("1955-01-01", true),
            ("2006-05-15", true),
            ("2006-05-16", false),
            ("2020-01-01", false),
        ] {
            let mut f = complete();
            f.birth_date = Some(parse_date("birth_date", birth).unwrap());
            f.license_registration_date = None;
            let codes_found: Vec<_> = f
                .validate(TODAY)
                .into_iter()
                .filter(|e| e.field == "birth_date")
                .map(|e| e.code)
                .collect();
            assert_eq!(
                codes_found.is_empty(),
                ok,
                "{birth} on {TODAY}: {codes_found:?}"
            );
            if !ok {
                assert_eq!(codes_found, [codes::IMPLAUSIBLE_DATE]);
            }
        }
    }

    #[test]
    fn photos_are_jpeg_or_png_of_reasonable_size() {
        let p = ApplicantPhoto::inspect(&png(300, 400)).unwrap();
        assert_eq!((p.format, p.width, p.height), (PhotoFormat::Png, 300, 400));
        assert_eq!(p.format.media_type(), "image/png");
        assert_eq!(p.sha256.len(), 64);
        assert_eq!(
            ApplicantPhoto::inspect(b"GIF89a....").unwrap_err().code,
            codes::INVALID_PHOTO
        );
        assert_eq!(
            ApplicantPhoto::inspect(&png_header(0, 400))
                .unwrap_err()
                .code,
            codes::INVALID_PHOTO
        );
        // A good header with nothing after it: refused at reception, not found at printing.
        assert_eq!(
            ApplicantPhoto::inspect(&png_header(300, 400))
                .unwrap_err()
                .code,
            codes::INVALID_PHOTO
        );
        let mut cut = png(300, 400);
        cut.truncate(cut.len() - 20);
        assert_eq!(
            ApplicantPhoto::inspect(&cut).unwrap_err().code,
            codes::INVALID_PHOTO
        );
        // Too many pixels to decode within bounds.
        assert_eq!(
            ApplicantPhoto::inspect(&png_header(10_000, 10_000))
                .unwrap_err()
                .code,
            codes::INVALID_PHOTO
        );
        let mut big = png(300, 400);
        big.resize(MAX_PHOTO_BYTES + 1, 0);
        assert_eq!(
            ApplicantPhoto::inspect(&big).unwrap_err().code,
            codes::PHOTO_TOO_LARGE
        );
    }

    #[test]
    fn typed_dates_are_parsed() {
        for ok in [
            "2026-05-31",
            "2026/5/31",
            "2026.05.31",
            "2026年5月31日",
            "２０２６－０５－３１",
            " 2026/05/31 ",
        ] {
            assert_eq!(
                parse_date("birth_date", ok),
                Ok(date!(2026 - 05 - 31)),
                "{ok}"
            );
        }
        for bad in [
            "2026-02-30",
            "2026-13-01",
            "26-05-31",
            "2026-05",
            "昭和51年1月1日",
            "",
        ] {
            let e = parse_date("birth_date", bad).unwrap_err();
            assert_eq!(
                (e.field, e.code),
                ("birth_date", codes::INVALID_DATE),
                "{bad}"
            );
            assert!(e.message_ja.starts_with("生年月日は"));
        }
    }

    #[test]
    fn labels_exist_in_both_languages() {
        assert_eq!(ApplicationKind::Renewal.label(Lang::Ja), "更新");
        assert_eq!(Sex::Female.label(Lang::Ja), "女");
        assert_eq!(
            Membership::JoiningWithin3Months.label(Lang::Ja),
            "3か月以内に入会予定"
        );
        assert_eq!(
            ManagerRole::DirectorOfClinic.hc_role(),
            "Director of Clinic"
        );
        assert_eq!(
            LicenseEvidence::CertifiedCopy.label(Lang::Ja),
            "写し＋実印＋印鑑登録証明書"
        );
        assert_eq!(
            serde_json::to_string(&Membership::JoiningWithin3Months).unwrap(),
            r#""joining_within_3_months""#
        );
        for lang in [Lang::Ja, Lang::En] {
            for k in PhotoIdKind::ALL {
                assert!(!k.label(lang).is_empty());
            }
            for k in AddressChoice::ALL {
                assert!(!k.label(lang).is_empty());
            }
        }
        let e = FieldError::new("sex", codes::REQUIRED, "ja".into(), "en".into());
        assert_eq!(e.message(Lang::En), "en");
        assert_eq!(e.to_string(), "sex: en");
    }

    /// Every code in [`codes::ALL`] is produced by some input (the tests above check each in
    /// context; this makes sure none is forgotten).
    #[test]
    fn every_code_is_produced() {
        let mut seen = HashSet::new();
        let mut f = complete();
        f.application_date = Some(date!(2027 - 01 - 01));
        f.birth_date = Some(date!(2027 - 01 - 01));
        f.license_registration_date = Some(date!(2027 - 01 - 01));
        f.name_kana_family = "にちい".into();
        f.name_romaji_family = "日医".into();
        f.name_kanji_family = "日\u{7}医".into();
        f.name_kanji_given = "太".repeat(70);
        f.workplace_name_romaji = "&".into();
        f.address.postal_code = "1".into();
        f.address.prefecture_code = Some(99);
        f.license_number = "-".into();
        f.member_id = "1".into();
        f.phone = "1".into();
        f.email = "1".into();
        f.delivery = Some(AddressChoice::Other);
        f.kind = Some(ApplicationKind::Reissue);
        f.previous_card_id = "JMAC-1".into();
        seen.extend(f.validate(TODAY).iter().map(|e| e.code));
        f.previous_card_id = String::new();
        f.member_id = String::new();
        f.membership = Some(Membership::NonMember);
        f.member_id = "1".into();
        seen.extend(f.validate(TODAY).iter().map(|e| e.code));
        let mut c = DocumentChecklist {
            license: Some(LicenseEvidence::CertifiedCopy),
            seal_certificate_issued: Some(date!(2000 - 01 - 01)),
            photo_id: Some(PhotoIdKind::Other),
            photo_id_is_copy: true,
            residence_certificate_issued: Some(date!(2027 - 01 - 01)),
            ..DocumentChecklist::default()
        };
        seen.extend(c.check(TODAY).iter().map(|e| e.code));
        c.license = None;
        seen.extend(c.check(TODAY).iter().map(|e| e.code));
        for bad in [b"x".to_vec(), vec![0; MAX_PHOTO_BYTES + 1]] {
            if let Err(e) = ApplicantPhoto::inspect(&bad) {
                seen.insert(e.code);
            }
        }
        if let Err(e) = parse_date("birth_date", "x") {
            seen.insert(e.code);
        }
        let missing: Vec<_> = codes::ALL.iter().filter(|c| !seen.contains(*c)).collect();
        assert!(missing.is_empty(), "never produced: {missing:?}");
    }
}
