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

use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::{Date, Month};

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

/// The image format of an uploaded [`ApplicantPhoto`].
#[derive(Clone, Copy, Debug, Eq, PartialEq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PhotoFormat {
    /// JPEG.
    Jpeg,
    /// PNG.
    Png,
}

impl PhotoFormat {
    /// The media type (`image/jpeg`, `image/png`).
    pub fn media_type(self) -> &'static str {
        match self {
            PhotoFormat::Jpeg => "image/jpeg",
            PhotoFormat::Png => "image/png",
        }
    }
}

/// Largest applicant photo accepted for upload (a technical limit of this project, not a rule of
/// the sources: the card face prints it 18 × 24 mm at 300 dpi, well under this).
pub const MAX_PHOTO_BYTES: usize = 5 * 1024 * 1024;

/// The applicant's photo, uploaded with the form (it is printed on the card face). The form keeps
/// only this description; the store keeps the bytes under [`ApplicantPhoto::sha256`].
#[derive(Clone, Debug, Eq, PartialEq, Serialize, Deserialize)]
pub struct ApplicantPhoto {
    /// JPEG or PNG.
    pub format: PhotoFormat,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Size of the file in bytes.
    pub byte_len: u64,
    /// SHA-256 of the file, lower-case hex: the key the bytes are stored under.
    pub sha256: String,
}

impl ApplicantPhoto {
    /// Checks an uploaded file: a JPEG or PNG image whose size can be read (the card face accepts
    /// nothing else), at most [`MAX_PHOTO_BYTES`]. Errors are on the field `photo`.
    pub fn inspect(bytes: &[u8]) -> Result<ApplicantPhoto, FieldError> {
        if bytes.len() > MAX_PHOTO_BYTES {
            return Err(FieldError::new(
                "photo",
                codes::PHOTO_TOO_LARGE,
                format!(
                    "申請者写真のファイルが大きすぎます（{}MBまで）",
                    MAX_PHOTO_BYTES / (1024 * 1024)
                ),
                format!(
                    "The applicant photo is too large (at most {} MB).",
                    MAX_PHOTO_BYTES / (1024 * 1024)
                ),
            ));
        }
        let invalid = || {
            FieldError::new(
                "photo",
                codes::INVALID_PHOTO,
                "申請者写真はJPEGまたはPNG形式の画像を選んでください".into(),
                "The applicant photo must be a JPEG or PNG image.".into(),
            )
        };
        let format = match imagesize::image_type(bytes) {
            Ok(imagesize::ImageType::Jpeg) => PhotoFormat::Jpeg,
            Ok(imagesize::ImageType::Png) => PhotoFormat::Png,
            _ => return Err(invalid()),
        };
        let size = imagesize::blob_size(bytes).map_err(|_| invalid())?;
        let width = u32::try_from(size.width).map_err(|_| invalid())?;
        let height = u32::try_from(size.height).map_err(|_| invalid())?;
        if width == 0 || height == 0 {
            return Err(invalid());
        }
        Ok(ApplicantPhoto {
            format,
            width,
            height,
            byte_len: bytes.len() as u64,
            sha256: hex::encode(Sha256::digest(bytes)),
        })
    }
}

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

    fn normalize(&mut self) {
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

/// What the reception officer ticks on receiving the documents (the seed's 「受付時に確認および
/// 受領する書類」). A draft like the form: everything may be missing until
/// [`DocumentChecklist::check`].
#[derive(Clone, Debug, Default, Eq, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DocumentChecklist {
    /// How the 医師免許証 was shown.
    pub license: Option<LicenseEvidence>,
    /// With [`LicenseEvidence::CertifiedCopy`]: the copy bears the registered seal (実印) that
    /// the 印鑑登録証明書 certifies.
    pub license_copy_sealed: bool,
    /// With [`LicenseEvidence::CertifiedCopy`]: issue date of the 印鑑登録証明書.
    pub seal_certificate_issued: Option<Date>,
    /// The kind of photo ID shown.
    pub photo_id: Option<PhotoIdKind>,
    /// The photo ID shown was a copy (refused: 「身分証(コピー不可)」).
    pub photo_id_is_copy: bool,
    /// Issue date of the 住民票の写し (the date of the certification on it).
    pub residence_certificate_issued: Option<Date>,
    /// The applicant's photo for the card was received (uploaded with the form or brought).
    pub photo_received: bool,
}

impl DocumentChecklist {
    /// Checks the documents against the rules of the seed and the reference, returning every
    /// problem at once:
    ///
    /// - the licence: the original, or a copy with the 実印 and a 印鑑登録証明書;
    /// - the 印鑑登録証明書 must be issued within 3 months of reception, like the 住民票 (the
    ///   sources state the 3 months for the 住民票 only; applying it to the seal certificate is
    ///   this project's reading, as for other Japanese procedures that ask for one);
    /// - a photo ID of an accepted kind ([`PhotoIdKind::is_accepted`]), never a copy;
    /// - the 住民票の写し, issued within 3 months of reception (see [`earliest_issue_date`])
    ///   and not after it;
    /// - the applicant's photo.
    pub fn check(&self, reception_date: Date) -> Vec<FieldError> {
        let mut e = Errors::default();
        match self.license {
            None => e.push(
                "license",
                codes::REQUIRED,
                "医師免許証（原本、または実印を押印した写しと印鑑登録証明書）を確認してください"
                    .into(),
                "Check the medical licence: the original, or a copy with the registered seal and the seal registration certificate.".into(),
            ),
            Some(LicenseEvidence::Original) => {}
            Some(LicenseEvidence::CertifiedCopy) => {
                if !self.license_copy_sealed {
                    e.push(
                        "license_copy_sealed",
                        codes::SEAL_MISSING,
                        "医師免許証の写しには実印の押印が必要です".into(),
                        "A copy of the medical licence must bear the registered seal (jitsuin)."
                            .into(),
                    );
                }
                match self.seal_certificate_issued {
                    None => e.push(
                        "seal_certificate_issued",
                        codes::REQUIRED,
                        "医師免許証の写しで申請する場合は印鑑登録証明書が必要です（発行日を入力してください）".into(),
                        "A copy of the medical licence needs the seal registration certificate (enter its issue date).".into(),
                    ),
                    Some(d) => e.issued_within_3_months(
                        "seal_certificate_issued",
                        "印鑑登録証明書",
                        "seal registration certificate",
                        d,
                        reception_date,
                    ),
                }
            }
        }
        match self.photo_id {
            None => e.push(
                "photo_id",
                codes::REQUIRED,
                "身分証（写真付き・原本）を確認してください".into(),
                "Check a photo ID (the original).".into(),
            ),
            Some(kind) if !kind.is_accepted() => e.push(
                "photo_id",
                codes::NOT_ACCEPTED,
                format!(
                    "この身分証は受け付けられません。{}のいずれかを提示してください",
                    accepted_ids(Lang::Ja)
                ),
                format!(
                    "This ID is not accepted; show one of: {}.",
                    accepted_ids(Lang::En)
                ),
            ),
            Some(_) => {}
        }
        if self.photo_id_is_copy {
            e.push(
                "photo_id_is_copy",
                codes::COPY_NOT_ACCEPTED,
                "身分証のコピーは受け付けられません。原本を提示してください".into(),
                "A copy of the photo ID is not accepted; show the original.".into(),
            );
        }
        match self.residence_certificate_issued {
            None => e.push(
                "residence_certificate_issued",
                codes::REQUIRED,
                "住民票の写し（発行日から3か月以内のもの）が必要です（発行日を入力してください）"
                    .into(),
                "A residence certificate issued within 3 months is required (enter its issue date).".into(),
            ),
            Some(d) => e.issued_within_3_months(
                "residence_certificate_issued",
                "住民票の写し",
                "residence certificate (juminhyo)",
                d,
                reception_date,
            ),
        }
        if !self.photo_received {
            e.push(
                "photo_received",
                codes::REQUIRED,
                "申請者の写真を受け取ってください".into(),
                "The applicant's photo has not been received.".into(),
            );
        }
        e.0
    }
}

fn accepted_ids(lang: Lang) -> String {
    let sep = match lang {
        Lang::Ja => "・",
        Lang::En => ", ",
    };
    PhotoIdKind::ALL
        .iter()
        .filter(|k| k.is_accepted())
        .map(|k| k.label(lang))
        .collect::<Vec<_>>()
        .join(sep)
}

/// The earliest issue date a document received on `reception_date` may carry to count as issued
/// "within 3 months" (発行日から3ヶ月以内): the same day of the month three calendar months
/// before, or the last day of that month when it is shorter. The document is accepted if it was
/// issued on or after this date (and not after reception).
///
/// Reception 2026-05-15 → 2026-02-15; 2026-05-31 → 2026-02-28; 2026-03-31 → 2025-12-31;
/// 2024-05-30 → 2024-02-29.
pub fn earliest_issue_date(reception_date: Date) -> Date {
    let months = reception_date.year() * 12 + i32::from(u8::from(reception_date.month())) - 1 - 3;
    let year = months.div_euclid(12);
    let month = u8::try_from(months.rem_euclid(12) + 1)
        .ok()
        .and_then(|m| Month::try_from(m).ok())
        .unwrap_or(Month::January);
    let day = reception_date.day().min(month.length(year));
    Date::from_calendar_date(year, month, day).unwrap_or(Date::MIN)
}

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

fn format_date(d: Date) -> String {
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
    fn new(
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
        write!(
            f,
            "{}: {} / {}",
            self.field, self.message_ja, self.message_en
        )
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
const FIELD_LABELS: &[(&str, &str, &str)] = &[
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

fn labels(field: &'static str) -> (&'static str, &'static str) {
    match (field_label(field, Lang::Ja), field_label(field, Lang::En)) {
        (Some(ja), Some(en)) => (ja, en),
        _ => (field, field),
    }
}

/// The field names of one address on the form.
struct AddressFields {
    whole: &'static str,
    postal_code: &'static str,
    prefecture_code: &'static str,
    city: &'static str,
    building: &'static str,
}

const HOME: AddressFields = AddressFields {
    whole: "address",
    postal_code: "address.postal_code",
    prefecture_code: "address.prefecture_code",
    city: "address.city",
    building: "address.building",
};
const WORKPLACE: AddressFields = AddressFields {
    whole: "workplace_address",
    postal_code: "workplace_address.postal_code",
    prefecture_code: "workplace_address.prefecture_code",
    city: "workplace_address.city",
    building: "workplace_address.building",
};
const OTHER: AddressFields = AddressFields {
    whole: "other_address",
    postal_code: "other_address.postal_code",
    prefecture_code: "other_address.prefecture_code",
    city: "other_address.city",
    building: "other_address.building",
};

/// Collects errors in form order, once per (field, code).
#[derive(Default)]
struct Errors(Vec<FieldError>);

impl Errors {
    fn push(&mut self, field: &'static str, code: &'static str, ja: String, en: String) {
        if !self.0.iter().any(|e| e.field == field && e.code == code) {
            self.0.push(FieldError::new(field, code, ja, en));
        }
    }

    /// 「〜を入力してください」.
    fn required(&mut self, field: &'static str) {
        let (ja, en) = labels(field);
        self.push(
            field,
            codes::REQUIRED,
            format!("{ja}を入力してください"),
            format!("Enter the {en}."),
        );
    }

    /// 「〜を選択してください」 (a choice on the form).
    fn choose(&mut self, field: &'static str) {
        let (ja, en) = labels(field);
        self.push(
            field,
            codes::REQUIRED,
            format!("{ja}を選択してください"),
            format!("Choose the {en}."),
        );
    }

    fn too_long(&mut self, field: &'static str, ja_subject: &str, en_subject: &str) {
        self.push(
            field,
            codes::TOO_LONG,
            format!("{ja_subject}{MAX_NAME_CHARS}文字以内で入力してください"),
            format!("{en_subject} must be at most {MAX_NAME_CHARS} characters."),
        );
    }

    fn kana(&mut self, field: &'static str, v: &str) {
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

    fn free_text(&mut self, field: &'static str, v: &str, required: bool) {
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

    fn address(&mut self, f: &AddressFields, a: &Address) {
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
    fn chosen_address(
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
    fn issued_within_3_months(
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

fn join_name(first: &str, second: &str, sep: &str) -> String {
    match (first.is_empty(), second.is_empty()) {
        (false, false) => format!("{first}{sep}{second}"),
        (false, true) => first.to_string(),
        (true, _) => second.to_string(),
    }
}

fn is_romaji_char(c: char) -> bool {
    c.is_ascii_alphabetic() || " -'.".contains(c)
}

fn is_printable_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || " '()+,-./:=?".contains(c)
}

/// Full-width katakana (ァ–ヺ), the long vowel mark ー, the middle dot ・ and spaces.
fn is_katakana_char(c: char) -> bool {
    matches!(c, '\u{30A1}'..='\u{30FA}' | 'ー' | '・' | '\u{3000}' | ' ')
}

fn is_member_id(s: &str) -> bool {
    s.len() == 10 && s.bytes().all(|b| b.is_ascii_digit())
}

fn is_phone(s: &str) -> bool {
    let digits = s.bytes().filter(u8::is_ascii_digit).count();
    s.bytes().all(|b| b.is_ascii_digit() || b == b'-') && (10..=11).contains(&digits)
}

/// A sanity check, not RFC 5322: one `@`, a non-empty local part, a dotted domain, no spaces.
fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    s.len() <= 254
        && s.is_ascii()
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
        && !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
}

/// Full-width ASCII (U+FF01–U+FF5E) to ASCII, the ideographic space to a space.
fn to_ascii_width(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            c => c,
        })
        .collect()
}

/// The dashes people type in numbers (ー, ‐, −, …) to `-`.
fn normalize_hyphens(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            'ー' | '‐' | '‑' | '‒' | '–' | '—' | '―' | '−' | 'ｰ' => '-',
            c => c,
        })
        .collect()
}

/// Trims and collapses runs of whitespace to the first whitespace character of the run.
fn collapse_spaces(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_space = false;
    for c in s.trim().chars() {
        if c.is_whitespace() {
            if !in_space {
                out.push(c);
            }
            in_space = true;
        } else {
            out.push(c);
            in_space = false;
        }
    }
    out
}

/// Half-width katakana ｦ–ﾝ (U+FF66–U+FF9D) as full-width, in code point order.
const HALF_KATAKANA: &str = "ヲァィゥェォャュョッーアイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワン";

/// フリガナ: half-width katakana to full-width (with ﾞ ﾟ combined), spaces as U+3000, trimmed
/// and collapsed.
fn normalize_kana(s: &str) -> String {
    let mut out: Vec<char> = Vec::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\u{FF66}'..='\u{FF9D}' => {
                let i = (c as u32 - 0xFF66) as usize;
                out.push(HALF_KATAKANA.chars().nth(i).unwrap_or(c));
            }
            '\u{FF65}' => out.push('・'),
            '\u{FF9E}' | '\u{FF9F}' => {
                let voiced = c == '\u{FF9E}';
                let combined = out.last().and_then(|&p| combine_mark(p, voiced));
                match combined {
                    Some(v) => {
                        out.pop();
                        out.push(v);
                    }
                    None => out.push(if voiced { '゛' } else { '゜' }),
                }
            }
            ' ' => out.push('\u{3000}'),
            c => out.push(c),
        }
    }
    collapse_spaces(&out.into_iter().collect::<String>())
}

/// カ + ﾞ → ガ, ハ + ﾟ → パ, ウ + ﾞ → ヴ, ワ + ﾞ → ヷ, ヲ + ﾞ → ヺ.
fn combine_mark(base: char, voiced: bool) -> Option<char> {
    let offset = if voiced {
        match base {
            'ウ' => return Some('ヴ'),
            'ワ' => return Some('ヷ'),
            'ヲ' => return Some('ヺ'),
            _ if "カキクケコサシスセソタチツテトハヒフヘホ".contains(base) => 1,
            _ => return None,
        }
    } else if "ハヒフヘホ".contains(base) {
        2
    } else {
        return None;
    };
    char::from_u32(base as u32 + offset)
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
    fn png(width: u32, height: u32) -> Vec<u8> {
        let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
        b.extend_from_slice(&width.to_be_bytes());
        b.extend_from_slice(&height.to_be_bytes());
        b.extend_from_slice(&[8, 2, 0, 0, 0, 0, 0, 0, 0]);
        b
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
            ApplicantPhoto::inspect(&png(0, 400)).unwrap_err().code,
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
        assert_eq!(e.to_string(), "sex: ja / en");
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
