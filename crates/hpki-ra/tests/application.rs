//! Scenarios of the 発行申請書 and of the documents checked at reception (issue "Registration":
//! "document rules (a 住民票 older than 3 months is refused)", "a rejected or returned application
//! keeps all its data").

use hpki_ra::Lang;
use hpki_ra::application::{
    Address, ApplicationForm, ApplicationKind, CARD_HOLDER_KEYS, DeliveryChoice, DocumentChecklist,
    LicenseEvidence, ManagerRole, Membership, PhotoIdKind, Sex, codes,
};
use time::Date;
use time::macros::date;

/// The day the applicant comes to the reception desk.
const RECEPTION: Date = date!(2026 - 05 - 15);

/// 日医 太郎, as the seed's sample card and hpki-ca's demo subscriber.
fn taro() -> ApplicationForm {
    ApplicationForm {
        application_date: Some(RECEPTION),
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
            postal_code: "〒113-8621".into(),
            prefecture_code: Some(13),
            city: "文京区本駒込2-28-16".into(),
            building: String::new(),
        },
        license_number: "TESTC00021".into(),
        license_registration_date: Some(date!(1980 - 05 - 01)),
        membership: Some(Membership::Member),
        member_id: "9999999999".into(),
        workplace_name: "日医病院".into(),
        workplace_name_romaji: "Nichii Hospital".into(),
        phone: "03-3946-2121".into(),
        delivery: Some(DeliveryChoice::Home),
        ..ApplicationForm::default()
    }
}

/// Everything in order: the licence original, a passport, a 住民票 from last week, the photo.
fn documents() -> DocumentChecklist {
    DocumentChecklist {
        license: Some(LicenseEvidence::Original),
        photo_id: Some(PhotoIdKind::Passport),
        residence_certificate_issued: Some(date!(2026 - 05 - 08)),
        photo_received: true,
        ..DocumentChecklist::default()
    }
}

fn problems(errors: &[hpki_ra::application::FieldError]) -> Vec<(&str, &str)> {
    errors.iter().map(|e| (e.field, e.code)).collect()
}

#[test]
fn a_complete_application_with_its_documents_is_accepted() {
    assert!(taro().is_complete(RECEPTION));
    assert_eq!(documents().check(RECEPTION), vec![]);
}

#[test]
fn a_juminhyo_issued_3_months_and_1_day_before_reception_is_refused() {
    let mut docs = documents();
    docs.residence_certificate_issued = Some(date!(2026 - 02 - 14));
    let errors = docs.check(RECEPTION);
    assert_eq!(
        problems(&errors),
        [("residence_certificate_issued", codes::OLDER_THAN_3_MONTHS)]
    );
    assert_eq!(
        errors[0].message(Lang::Ja),
        "住民票の写しは受付日から3か月以内に発行されたものが必要です（2026-02-15以降の発行。提出されたものは2026-02-14発行）"
    );
    assert!(errors[0].message(Lang::En).contains("within 3 months"));

    // Exactly 3 months before is still within.
    docs.residence_certificate_issued = Some(date!(2026 - 02 - 15));
    assert_eq!(docs.check(RECEPTION), vec![]);
}

#[test]
fn at_the_end_of_a_month_three_months_back_ends_at_the_shorter_month_end() {
    let mut docs = documents();
    docs.residence_certificate_issued = Some(date!(2026 - 02 - 28));
    assert_eq!(docs.check(date!(2026 - 05 - 31)), vec![]);
    docs.residence_certificate_issued = Some(date!(2026 - 02 - 27));
    assert_eq!(
        problems(&docs.check(date!(2026 - 05 - 31))),
        [("residence_certificate_issued", codes::OLDER_THAN_3_MONTHS)]
    );
    docs.residence_certificate_issued = Some(date!(2025 - 12 - 31));
    assert_eq!(docs.check(date!(2026 - 03 - 31)), vec![]);
}

#[test]
fn a_copy_of_the_photo_id_is_refused() {
    let mut docs = documents();
    docs.photo_id_is_copy = true;
    let errors = docs.check(RECEPTION);
    assert_eq!(
        problems(&errors),
        [("photo_id_is_copy", codes::COPY_NOT_ACCEPTED)]
    );
    assert_eq!(
        errors[0].message(Lang::Ja),
        "身分証のコピーは受け付けられません。原本を提示してください"
    );
}

#[test]
fn an_id_of_another_kind_is_refused() {
    let mut docs = documents();
    docs.photo_id = Some(PhotoIdKind::Other);
    assert_eq!(
        problems(&docs.check(RECEPTION)),
        [("photo_id", codes::NOT_ACCEPTED)]
    );
}

#[test]
fn a_licence_copy_without_the_seal_registration_certificate_is_refused() {
    let mut docs = documents();
    docs.license = Some(LicenseEvidence::CertifiedCopy);
    docs.license_copy_sealed = true;
    let errors = docs.check(RECEPTION);
    assert_eq!(
        problems(&errors),
        [("seal_certificate_issued", codes::REQUIRED)]
    );
    assert!(
        errors[0]
            .message(Lang::Ja)
            .contains("印鑑登録証明書が必要です")
    );

    // With the certificate (issued within 3 months) the copy is accepted.
    docs.seal_certificate_issued = Some(date!(2026 - 04 - 01));
    assert_eq!(docs.check(RECEPTION), vec![]);

    // Without the 実印 on the copy it is not.
    docs.license_copy_sealed = false;
    assert_eq!(
        problems(&docs.check(RECEPTION)),
        [("license_copy_sealed", codes::SEAL_MISSING)]
    );
}

#[test]
fn a_half_filled_draft_survives_json() {
    let mut draft = ApplicationForm {
        kind: Some(ApplicationKind::Renewal),
        name_kanji_family: "日医".into(),
        name_kana_family: "ﾆﾁｲ".into(),
        birth_date: Some(date!(1955 - 01 - 01)),
        manager_role: Some(ManagerRole::DirectorOfHospital),
        ..ApplicationForm::default()
    };
    let stored = serde_json::to_string(&draft).expect("a draft serialises");
    let back: ApplicationForm = serde_json::from_str(&stored).expect("and reads back");
    assert_eq!(back, draft);

    // A draft written with only a few keys (missing ones are empty, not errors).
    let sparse: ApplicationForm =
        serde_json::from_str(r#"{"kind":"renewal","name_kanji_family":"日医"}"#)
            .expect("missing fields are fine in a draft");
    assert_eq!(sparse.kind, Some(ApplicationKind::Renewal));
    assert!(sparse.name_kanji_given.is_empty());

    // Validation lists what is still missing, and the draft keeps what was typed.
    let errors = back.validate(RECEPTION);
    assert!(errors.iter().any(|e| e.field == "name_kanji_given"));
    assert!(!errors.iter().any(|e| e.field == "name_kanji_family"));
    assert!(
        errors
            .iter()
            .any(|e| e.field == "workplace_name" && e.code == codes::REQUIRED_BY_CHOICE)
    );
    draft.normalize();
    assert_eq!(draft.name_kana_family, "ニチイ");
}

#[test]
fn a_rejected_form_keeps_all_its_data() {
    // Validation never changes the form: the applicant corrects one field and resubmits.
    let mut form = taro();
    form.member_id = "12345".into();
    form.email = "taro@example.jp".into();
    let before = serde_json::to_value(&form).expect("serialises");
    let errors = form.validate(RECEPTION);
    assert_eq!(problems(&errors), [("member_id", codes::INVALID_MEMBER_ID)]);
    assert_eq!(errors[0].message(Lang::Ja), "会員IDは数字10桁です");
    assert_eq!(serde_json::to_value(&form).expect("serialises"), before);
    form.member_id = "9999999999".into();
    assert!(form.is_complete(RECEPTION));
}

#[test]
fn every_problem_is_reported_at_once_in_both_languages() {
    let mut form = taro();
    form.name_kana_given = "たろう".into();
    form.birth_date = Some(date!(2030 - 01 - 01));
    form.phone = "03".into();
    let errors = form.validate(RECEPTION);
    assert_eq!(
        problems(&errors),
        [
            ("name_kana_given", codes::NOT_KATAKANA),
            ("birth_date", codes::NOT_PAST),
            ("license_registration_date", codes::BEFORE_BIRTH),
            ("phone", codes::INVALID_PHONE),
        ]
    );
    let ja: Vec<_> = errors.iter().map(|e| e.message(Lang::Ja)).collect();
    assert_eq!(ja[0], "フリガナ（メイ）は全角カタカナで入力してください");
    assert_eq!(ja[1], "生年月日は過去の日付を入力してください");
    assert!(errors.iter().all(|e| e.message(Lang::En).is_ascii()));
}

/// `hpki_ca::cards::CardHolder::from_json` takes the subject's keys (`SubjectInput`, which
/// refuses unknown keys) plus `birth_date`, `member_id` and `license_number`. hpki-ra does not
/// depend on hpki-ca, so the list is written out here: if CardHolder changes, this test and
/// `CARD_HOLDER_KEYS` change with it.
#[test]
fn the_holder_json_has_exactly_the_keys_card_holder_takes() {
    const CARD_HOLDER_TAKES: [&str; 9] = [
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
    assert_eq!(CARD_HOLDER_KEYS, CARD_HOLDER_TAKES);

    let keys = |v: &serde_json::Value| -> Vec<String> {
        let mut k: Vec<String> = v.as_object().expect("an object").keys().cloned().collect();
        k.sort();
        k
    };
    let sorted = |names: &[&str]| -> Vec<String> {
        let mut k: Vec<String> = names.iter().map(|s| s.to_string()).collect();
        k.sort();
        k
    };

    // A director who is a member: every key.
    let mut director = taro();
    director.manager_role = Some(ManagerRole::DirectorOfHospital);
    assert!(director.is_complete(RECEPTION));
    let holder = director.holder_json("JMA9999999999");
    assert_eq!(keys(&holder), sorted(&CARD_HOLDER_TAKES));
    assert_eq!(
        holder,
        serde_json::json!({
            "name_romaji": "Taro Nichii",
            "name_kanji": "日医\u{3000}太郎",
            "subscriber_id": "JMA9999999999",
            "role": ["Medical Doctor", "Director of Hospital"],
            "organization_romaji": "Nichii Hospital",
            "organization_kanji": "日医病院",
            "birth_date": "1955-01-01",
            "member_id": "9999999999",
            "license_number": "TESTC00021",
        })
    );

    // A doctor who is not a member: no member_id, no organization.
    let mut doctor = taro();
    doctor.membership = Some(Membership::NonMember);
    doctor.member_id = String::new();
    let holder = doctor.holder_json("JMA0000002");
    assert_eq!(
        keys(&holder),
        sorted(&[
            "name_romaji",
            "name_kanji",
            "subscriber_id",
            "role",
            "birth_date",
            "license_number"
        ])
    );
    assert_eq!(holder["role"], "Medical Doctor");

    // The subject JSON is the holder JSON without the card's fields.
    let subject = director.subject_json("JMA9999999999");
    assert_eq!(keys(&subject), sorted(&CARD_HOLDER_TAKES[..6]));
}
