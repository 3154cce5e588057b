//! The 発行申請書 as an HTML form: which inputs, in which section, and the conversion between
//! the posted fields and `ApplicationForm` / `DocumentChecklist` (field names are the JSON
//! field names, dotted for addresses: `address.postal_code`).

use std::collections::HashMap;

use hpki_ra::Lang;
use hpki_ra::application::{
    AddressChoice, ApplicationForm, ApplicationKind, DocumentChecklist, FieldError,
    LicenseEvidence, ManagerRole, Membership, PhotoIdKind, Sex, field_label, parse_date,
};
use hpki_ra::prefecture::PREFECTURES;
use serde_json::{Map, Value};

/// How a field is entered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Input {
    /// One line of text.
    Text,
    /// A date (`<input type=date>`; other spellings such as 2026/5/31 are accepted too).
    Date,
    /// A telephone number.
    Tel,
    /// An e-mail address.
    Email,
    /// One of a list.
    Select(Choices),
    /// Yes or no.
    Checkbox,
}

/// The lists a select draws from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Choices {
    /// 新規 / 更新.
    Kind,
    /// 男 / 女.
    Sex,
    /// The 47 prefectures.
    Prefecture,
    /// Membership.
    Membership,
    /// Director roles.
    Manager,
    /// Address choices.
    Address,
    /// Licence evidence.
    License,
    /// Photo ID kinds.
    PhotoId,
}

/// The form sections.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Section {
    /// ① 申請.
    Application,
    /// ② 申請者.
    Applicant,
    /// ③ 勤務先.
    Workplace,
    /// ④ 連絡先.
    Contact,
    /// ⑤ 送付先.
    Delivery,
    /// The document checklist.
    Documents,
}

/// One input of the form.
#[derive(Clone, Copy, Debug)]
pub struct FieldDef {
    /// Posted name (JSON path, dotted).
    pub name: &'static str,
    /// How it is entered.
    pub input: Input,
    /// Where it is shown.
    pub section: Section,
    /// Marked required (the rules themselves are the form's validation).
    pub required: bool,
}

const fn f(name: &'static str, input: Input, section: Section, required: bool) -> FieldDef {
    FieldDef {
        name,
        input,
        section,
        required,
    }
}

use Input::{Checkbox, Date, Email, Select, Tel, Text};
use Section::{Applicant, Application, Contact, Delivery, Documents, Workplace};

/// Every input, in the order of the paper form.
pub const FIELDS: &[FieldDef] = &[
    f("application_date", Date, Application, true),
    f("kind", Select(Choices::Kind), Application, true),
    f("previous_card_id", Text, Application, false),
    f("name_kana_family", Text, Applicant, true),
    f("name_kana_given", Text, Applicant, true),
    f("name_kanji_family", Text, Applicant, true),
    f("name_kanji_given", Text, Applicant, true),
    f("name_romaji_family", Text, Applicant, true),
    f("name_romaji_given", Text, Applicant, true),
    f("birth_date", Date, Applicant, true),
    f("sex", Select(Choices::Sex), Applicant, true),
    f("address.postal_code", Text, Applicant, true),
    f(
        "address.prefecture_code",
        Select(Choices::Prefecture),
        Applicant,
        true,
    ),
    f("address.city", Text, Applicant, true),
    f("address.building", Text, Applicant, false),
    f("license_number", Text, Applicant, true),
    f("license_registration_date", Date, Applicant, true),
    f("membership", Select(Choices::Membership), Applicant, true),
    f("member_id", Text, Applicant, false),
    f("workplace_name", Text, Workplace, false),
    f("workplace_name_kana", Text, Workplace, false),
    f("workplace_name_romaji", Text, Workplace, false),
    f("manager_role", Select(Choices::Manager), Workplace, false),
    f("workplace_address.postal_code", Text, Workplace, false),
    f(
        "workplace_address.prefecture_code",
        Select(Choices::Prefecture),
        Workplace,
        false,
    ),
    f("workplace_address.city", Text, Workplace, false),
    f("workplace_address.building", Text, Workplace, false),
    f("phone", Tel, Contact, true),
    f("fax", Tel, Contact, false),
    f("email", Email, Contact, false),
    f("contact_address", Select(Choices::Address), Contact, false),
    f("other_address.postal_code", Text, Contact, false),
    f(
        "other_address.prefecture_code",
        Select(Choices::Prefecture),
        Contact,
        false,
    ),
    f("other_address.city", Text, Contact, false),
    f("other_address.building", Text, Contact, false),
    f("delivery", Select(Choices::Address), Delivery, true),
    f("license", Select(Choices::License), Documents, true),
    f("license_copy_sealed", Checkbox, Documents, false),
    f("seal_certificate_issued", Date, Documents, false),
    f("photo_id", Select(Choices::PhotoId), Documents, true),
    f("photo_id_is_copy", Checkbox, Documents, false),
    f("residence_certificate_issued", Date, Documents, true),
    f("photo_received", Checkbox, Documents, true),
];

/// The serde name of an enum value (what the form posts).
fn serde_name<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// The options of a select: (value, label).
pub fn options(c: Choices, lang: Lang) -> Vec<(String, String)> {
    fn of<T: serde::Serialize + Copy>(
        all: &[T],
        label: impl Fn(T) -> &'static str,
    ) -> Vec<(String, String)> {
        all.iter()
            .map(|v| (serde_name(v), label(*v).to_owned()))
            .collect()
    }
    match c {
        Choices::Kind => of(ApplicationKind::ALL, |v| v.label(lang)),
        Choices::Sex => of(Sex::ALL, |v| v.label(lang)),
        Choices::Membership => of(Membership::ALL, |v| v.label(lang)),
        Choices::Manager => of(ManagerRole::ALL, |v| v.label(lang)),
        Choices::Address => of(AddressChoice::ALL, |v| v.label(lang)),
        Choices::License => of(LicenseEvidence::ALL, |v| v.label(lang)),
        Choices::PhotoId => of(PhotoIdKind::ALL, |v| v.label(lang)),
        Choices::Prefecture => PREFECTURES
            .iter()
            .map(|p| (p.code.to_string(), p.name(lang).to_owned()))
            .collect(),
    }
}

/// The label of a field in `lang`.
pub fn label(name: &str, lang: Lang) -> String {
    field_label(name, lang)
        .map(str::to_owned)
        .unwrap_or_else(|| name.to_owned())
}

/// The label of a checkbox: the statement the officer confirms by ticking it.
pub fn checkbox_label(name: &str, lang: Lang) -> String {
    match (name, lang) {
        ("license_copy_sealed", Lang::Ja) => "医師免許証の写しに実印が押されている".into(),
        ("license_copy_sealed", Lang::En) => {
            "The licence copy bears the registered seal (実印)".into()
        }
        ("photo_id_is_copy", Lang::Ja) => "提示された身分証は写し（コピー）である".into(),
        ("photo_id_is_copy", Lang::En) => "The photo ID presented is a copy".into(),
        ("photo_received", Lang::Ja) => "申請者の写真を受領した".into(),
        ("photo_received", Lang::En) => "The applicant's photo was received".into(),
        _ => label(name, lang),
    }
}

fn insert(root: &mut Map<String, Value>, path: &str, v: Value) {
    match path.split_once('.') {
        Some((head, rest)) => {
            let child = root
                .entry(head.to_owned())
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(m) = child {
                insert(m, rest, v);
            }
        }
        None => {
            root.insert(path.to_owned(), v);
        }
    }
}

/// The form and checklist from posted fields. Blank inputs are left out (a draft keeps what
/// was typed, however little); dates are read in the spellings people type; a value no select
/// offers is a field error.
pub fn from_fields(
    posted: &HashMap<String, String>,
) -> Result<(ApplicationForm, DocumentChecklist), Vec<FieldError>> {
    let mut form = Map::new();
    let mut docs = Map::new();
    let mut errors = Vec::new();
    for def in FIELDS {
        let raw = posted.get(def.name).map(|s| s.trim()).unwrap_or("");
        let target = if def.section == Section::Documents {
            &mut docs
        } else {
            &mut form
        };
        let value = match def.input {
            Input::Checkbox => Some(Value::Bool(!raw.is_empty())),
            _ if raw.is_empty() => None,
            Input::Date => match parse_date(def.name, raw) {
                Ok(d) => Some(Value::String(d.to_string())),
                Err(e) => {
                    errors.push(e);
                    None
                }
            },
            Input::Select(c) => {
                if options(c, Lang::Ja).iter().any(|(v, _)| v == raw) {
                    Some(match c {
                        Choices::Prefecture => {
                            raw.parse::<u8>().map(Value::from).unwrap_or(Value::Null)
                        }
                        _ => Value::String(raw.to_owned()),
                    })
                } else {
                    errors.push(FieldError {
                        field: def.name,
                        code: "not_a_choice",
                        message_ja: format!("{}の選択肢にない値です", label(def.name, Lang::Ja)),
                        message_en: format!(
                            "{}: not one of the choices",
                            label(def.name, Lang::En)
                        ),
                    });
                    None
                }
            }
            Input::Text | Input::Tel | Input::Email => Some(Value::String(raw.to_owned())),
        };
        if let Some(v) = value {
            insert(target, def.name, v);
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let internal = |what: &str, e: serde_json::Error| FieldError {
        field: "form",
        code: "malformed",
        message_ja: format!("{what}を読み取れません: {e}"),
        message_en: format!("cannot read the {what}: {e}"),
    };
    let form: ApplicationForm =
        serde_json::from_value(Value::Object(form)).map_err(|e| vec![internal("申請書", e)])?;
    let docs: DocumentChecklist =
        serde_json::from_value(Value::Object(docs)).map_err(|e| vec![internal("書類", e)])?;
    Ok((form, docs))
}

fn flatten(prefix: &str, v: &Value, out: &mut HashMap<String, String>) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                let path = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&path, v, out);
            }
        }
        Value::Null => {}
        Value::String(s) => {
            out.insert(prefix.to_owned(), s.clone());
        }
        Value::Bool(b) => {
            if *b {
                out.insert(prefix.to_owned(), "on".into());
            }
        }
        other => {
            out.insert(prefix.to_owned(), other.to_string());
        }
    }
}

/// The posted-field form of a stored form and checklist, to fill the inputs.
pub fn to_fields(form: &ApplicationForm, docs: &DocumentChecklist) -> HashMap<String, String> {
    let mut out = HashMap::new();
    flatten(
        "",
        &serde_json::to_value(form).unwrap_or_default(),
        &mut out,
    );
    flatten(
        "",
        &serde_json::to_value(docs).unwrap_or_default(),
        &mut out,
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn posted(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn a_posted_form_round_trips_through_the_inputs() {
        let p = posted(&[
            ("name_kanji_family", "日医"),
            ("birth_date", "1955/1/1"),
            ("address.prefecture_code", "13"),
            ("address.city", "文京区"),
            ("kind", "new"),
            ("license", "original"),
            ("photo_received", "on"),
        ]);
        let (form, docs) = from_fields(&p).unwrap();
        assert_eq!(form.name_kanji_family, "日医");
        assert_eq!(form.address.prefecture_code, Some(13));
        assert_eq!(form.kind, Some(ApplicationKind::New));
        assert!(docs.photo_received && !docs.photo_id_is_copy);
        let back = to_fields(&form, &docs);
        assert_eq!(back["birth_date"], "1955-01-01");
        assert_eq!(back["address.prefecture_code"], "13");
        assert_eq!(back["photo_received"], "on");
        assert!(!back.contains_key("photo_id_is_copy"));
        assert!(!back.contains_key("workplace_address.city"));
    }

    #[test]
    fn a_value_no_select_offers_and_a_bad_date_are_field_errors() {
        let errs =
            from_fields(&posted(&[("sex", "other"), ("birth_date", "yesterday")])).unwrap_err();
        let fields: Vec<&str> = errs.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["birth_date", "sex"]);
    }

    #[test]
    fn every_field_has_a_label_in_both_languages() {
        for def in FIELDS {
            assert!(field_label(def.name, Lang::Ja).is_some(), "{}", def.name);
            assert!(field_label(def.name, Lang::En).is_some(), "{}", def.name);
        }
    }
}
