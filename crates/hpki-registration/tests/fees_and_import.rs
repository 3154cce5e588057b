//! Issue "Registration", items 5 and 8, on the engine: the yearly billing run (member first year
//! free, renewal not bringing another free year, non-members from the first year, billing twice
//! billing nothing new), payments, the direct-debit CSV, the roles; the bulk import of
//! applications from CSV with its per-row report. Each scenario on SQLite and on PostgreSQL,
//! one demo CA per scenario; the audit log verifies after each.

mod common;

use common::*;
use hpki_testkit::{Backend, on_both_backends_async};

use hpki_ra::application::ApplicationForm;
use hpki_ra::workflow::{Action, Stage};
use hpki_registration::fees::{FeePolicy, FeeStatus, fiscal_year_of};
use hpki_registration::import::{ImportError, codes};
use hpki_registration::{ActInput, RegistrationError};
use serde_json::json;

async fn billing_payments_and_the_direct_debit_export(b: Backend) {
    let Some(t) = setup(b).await else { return };
    let fy = fiscal_year_of(today());
    let policy = FeePolicy::default();

    // 日医 太郎, a member whose first card was issued two fiscal years ago, renewed today under
    // the same subscriber ID; 一郎, a member first issued today; 花子, a non-member issued today
    // (her name has a comma); 次郎, received but not issued.
    let (taro, taro_sub) = t
        .issued(form("太郎", "Taro", "TESTC00021", Some("9999999999")))
        .await;
    let two_years_ago = time::Date::from_calendar_date(fy as i32 - 2, time::Month::October, 1)
        .unwrap()
        .midnight()
        .assume_offset(time::macros::offset!(+9))
        .unix_timestamp();
    t.sql(&format!(
        "UPDATE application_events SET at = {two_years_ago} WHERE application_id = {taro} AND action = 'issue'"
    ))
    .await;
    // The renewal names 太郎's current card, which must be in the card register.
    let first: ApplicationForm =
        serde_json::from_value(form("太郎", "Taro", "TESTC00021", Some("9999999999"))).unwrap();
    let card =
        t.ra.ca()
            .store
            .create_card(
                "JMACT",
                &hpki_store::NewCard {
                    subscriber_id: taro_sub.clone(),
                    holder: first.holder_json(&taro_sub).to_string(),
                    photo: None,
                    issued_at: two_years_ago,
                    expires_at: two_years_ago + 6 * 366 * 86_400,
                    unblock_code_sealed: String::new(),
                    replaces: None,
                },
                &hpki_store::AuditEvent {
                    actor: "test".into(),
                    action: "card.recorded".into(),
                    object: String::new(),
                    details: json!({}),
                },
            )
            .await
            .unwrap();
    let mut renewal = form("太郎", "Taro", "TESTC00021", Some("9999999999"));
    renewal["kind"] = json!("renewal");
    renewal["previous_card_id"] = json!(card);
    let (_, renewal_sub) = t.issued(renewal).await;
    assert_eq!(renewal_sub, taro_sub);
    let (_, ichiro) = t
        .issued(form("一郎", "Ichiro", "TESTC00031", Some("1234567890")))
        .await;
    let (_, hanako) = t.issued(form("花,子", "Hanako", "TESTC00041", None)).await;
    assert_ne!(hanako, taro_sub);
    let reception = t.officer("tokyo-reception").await;
    let jiro: ApplicationForm =
        serde_json::from_value(form("次郎", "Jiro", "TESTC00051", Some("1111111111"))).unwrap();
    let draft =
        t.ra.create_draft(
            &reception,
            &jiro,
            &serde_json::from_value(documents(7)).unwrap(),
            None,
        )
        .await
        .unwrap();
    t.ra.act(
        &reception,
        draft.record.id,
        draft.record.version,
        Action::Submit,
        &ActInput::default(),
    )
    .await
    .unwrap();

    // Only HQ administrators bill, record payments and export; auditors may read.
    let admin = t.officer("hq-admin").await;
    forbidden(t.ra.bill_fiscal_year(&reception, fy, &policy).await);
    forbidden(
        t.ra.bill_fiscal_year(&t.officer("hq-operator").await, fy, &policy)
            .await,
    );
    forbidden(t.ra.fees(&t.officer("hq-final").await, Some(fy)).await);
    forbidden(t.ra.direct_debit_csv(&reception, fy).await);
    forbidden(t.ra.mark_paid(&reception, &hanako, fy).await);
    assert!(matches!(
        t.ra.bill_fiscal_year(&admin, fy + 2, &policy).await,
        Err(RegistrationError::BadInput(_))
    ));

    // Two years ago: 太郎's first year, free; the others held no card yet.
    let r =
        t.ra.bill_fiscal_year(&admin, fy - 2, &policy)
            .await
            .unwrap();
    let got: Vec<_> = r
        .fees
        .iter()
        .map(|f| (f.subscriber_id.as_str(), f.amount_yen, f.status))
        .collect();
    assert_eq!(got, [(taro_sub.as_str(), 0, FeeStatus::Waived)]);

    // This year: 太郎 pays (his renewal brings no second free year), 一郎's first year is free,
    // 花子 pays the non-member fee from her first year; 次郎 holds no card.
    let r = t.ra.bill_fiscal_year(&admin, fy, &policy).await.unwrap();
    // (The report lists the fees by subscriber ID.)
    let got: Vec<_> = r
        .fees
        .iter()
        .map(|f| (f.subscriber_id.clone(), f.amount_yen, f.status))
        .collect();
    let mut want = vec![
        (taro_sub.clone(), 5000, FeeStatus::Billed),
        (ichiro.clone(), 0, FeeStatus::Waived),
        (hanako.clone(), 10000, FeeStatus::Billed),
    ];
    want.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(got, want);
    assert_eq!(
        (r.billed, r.waived, r.total_yen, r.already_billed),
        (2, 1, 15000, 0)
    );

    // Billing again bills nothing new.
    let again = t.ra.bill_fiscal_year(&admin, fy, &policy).await.unwrap();
    assert!(again.fees.is_empty());
    assert_eq!((again.already_billed, again.total_yen), (3, 0));
    assert_eq!(t.ra.fees(&admin, Some(fy)).await.unwrap().len(), 3);

    // Next year: the members ¥5,000, the non-member ¥10,000.
    let next =
        t.ra.bill_fiscal_year(&admin, fy + 1, &policy)
            .await
            .unwrap();
    assert_eq!((next.billed, next.waived, next.total_yen), (3, 0, 20000));
    let fees = t.ra.fees(&admin, Some(fy + 1)).await.unwrap();
    let ichiro_next = fees.iter().find(|f| f.subscriber_id == ichiro).unwrap();
    assert_eq!(
        (ichiro_next.amount, ichiro_next.status.as_str()),
        (5000, "billed")
    );
    assert_eq!(t.ra.fees(&admin, None).await.unwrap().len(), 7);

    // The direct-debit requests of this year: the two unpaid, non-zero fees.
    let text = t.ra.direct_debit_csv(&admin, fy).await.unwrap();
    assert!(text.starts_with('\u{feff}'), "byte order mark");
    assert!(text.ends_with("\r\n") && !text.replace("\r\n", "").contains('\n'));
    assert!(text.contains(",\"日医\u{3000}花,子\","), "{text}");
    let (header, rows) = parse_csv(&text);
    assert_eq!(
        header,
        [
            "subscriber_id",
            "name_kana",
            "name_kanji",
            "fiscal_year",
            "amount_yen",
            "membership",
            "billed_at"
        ]
    );
    // By subscriber ID: JMA9999999999 (太郎) before JMAN… (花子).
    let year = fy.to_string();
    let summary: Vec<Vec<&str>> = rows
        .iter()
        .map(|r| [0, 2, 3, 4, 5].iter().map(|i| r[*i].as_str()).collect())
        .collect();
    assert_eq!(
        summary,
        [
            [
                taro_sub.as_str(),
                "日医\u{3000}太郎",
                &year,
                "5000",
                "member"
            ],
            [
                hanako.as_str(),
                "日医\u{3000}花,子",
                &year,
                "10000",
                "non_member"
            ],
        ]
    );
    assert!(rows.iter().all(|r| r[1] == "ニチイ\u{3000}タロウ"));
    assert!(rows[0][6].ends_with("+09:00"), "{:?}", rows[0]);

    // Payments: recorded once, only on a billed fee; the export then leaves the fee out.
    let paid = t.ra.mark_paid(&admin, &hanako, fy).await.unwrap();
    assert_eq!(paid.status, "paid");
    assert!(paid.paid_at.is_some());
    assert!(matches!(
        t.ra.mark_paid(&admin, &hanako, fy).await,
        Err(RegistrationError::BadInput(m)) if m.en.contains("already paid") && m.ja.contains("入金済")
    ));
    assert!(matches!(
        t.ra.mark_paid(&admin, &ichiro, fy).await,
        Err(RegistrationError::BadInput(m)) if m.en.contains("waived")
    ));
    assert!(matches!(
        t.ra.mark_paid(&admin, "JMA0000000000", fy).await,
        Err(RegistrationError::NotFound { .. })
    ));
    let (_, rows) = parse_csv(&t.ra.direct_debit_csv(&admin, fy).await.unwrap());
    assert_eq!(
        rows.iter().map(|r| r[0].as_str()).collect::<Vec<_>>(),
        [taro_sub.as_str()]
    );
    let by_operator =
        t.ra.mark_paid_by_operator("cli:test", &taro_sub, fy)
            .await
            .unwrap();
    assert_eq!(by_operator.status, "paid");
    let (_, rows) = parse_csv(&t.ra.direct_debit_csv(&admin, fy).await.unwrap());
    assert!(rows.is_empty());

    let billed = t
        .audited(
            &["fee.billed", "fee.paid", "fee.debit_exported"],
            "fee.billed",
        )
        .await;
    assert_eq!(billed.len(), 4, "{billed:?}");
    assert_eq!(billed[1]["total_yen"], 15000);
    assert_eq!(billed[1]["policy"]["member_yen"], 5000);
    assert_eq!(billed[2]["already_billed"], 3);
    t.finish().await;
}

/// The header and rows of a CSV, read by the `csv` crate (which drops the byte order mark).
fn parse_csv(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let header = r
        .headers()
        .expect("header")
        .iter()
        .map(str::to_owned)
        .collect();
    let rows = r
        .records()
        .map(|rec| rec.expect("row").iter().map(str::to_owned).collect())
        .collect();
    (header, rows)
}

/// The header of docs/import.md and rows of applications.
const HEADER: &str = "application_date,kind,name_kana_family,name_kana_given,name_kanji_family,name_kanji_given,name_romaji_family,name_romaji_given,birth_date,sex,address_postal_code,address_prefecture_code,address_city,address_building,license_number,license_registration_date,membership,member_id,workplace_name,phone,delivery,license,photo_id,residence_certificate_issued,photo_received";

fn row(given_kana: &str, given: &str, romaji: &str, birth: &str, residence: time::Date) -> String {
    format!(
        "{},new,ニチイ,{given_kana},日医,{given},Nichii,{romaji},{birth},male,113-8621,13,\"文京区本駒込2-28-16\",,TESTC{romaji},1980-05-01,non_member,,\"日医病院, 本院\",03-3946-2121,home,original,passport,{residence},true",
        today()
    )
}

async fn bulk_import_with_a_per_row_report(b: Backend) {
    let Some(t) = setup(b).await else { return };
    let reception = t.officer("tokyo-reception").await;
    let recent = today() - time::Duration::days(7);
    let old = today() - time::Duration::days(120);
    let csv = format!(
        "\u{feff}{HEADER}\r\n{}\r\n{}\r\n{}\r\n{}\r\n{}\r\n",
        row("タロウ", "太郎", "Taro", "1955-01-01", recent),
        row("ハナコ", "花子", "Hanako", "1960/4/1", recent),
        row("ジロウ", "次郎", "Jiro", "1962年7月7日", recent),
        // The 住民票 is more than 3 months old: kept as a draft, reported.
        row("サブロウ", "三郎", "Saburo", "1965-03-03", old),
        // 30 February: the row cannot be read.
        row("シロウ", "四郎", "Shiro", "1966-02-30", recent),
    );

    // Refused whole: not a reception officer of a local office; an unknown column.
    let mut calls = Vec::new();
    let refused =
        t.ra.import_csv(&t.officer("hq-admin").await, csv.as_bytes(), &mut |d, n| {
            calls.push((d, n))
        })
        .await;
    assert!(
        matches!(
            refused,
            Err(ImportError::Registration(
                RegistrationError::Forbidden { .. }
            ))
        ),
        "{refused:?}"
    );
    let misspelt = csv.replacen("birth_date", "birthday", 1);
    let refused =
        t.ra.import_csv(&reception, misspelt.as_bytes(), &mut |d, n| {
            calls.push((d, n))
        })
        .await;
    match refused {
        Err(e @ ImportError::UnknownColumns(_)) => {
            assert!(e.to_string().contains("birthday"), "{e}")
        }
        other => panic!("{other:?}"),
    }
    assert!(calls.is_empty());
    assert!(t.ra.list(&reception, &[], None).await.unwrap().is_empty());

    let report =
        t.ra.import_csv(&reception, csv.as_bytes(), &mut |d, n| calls.push((d, n)))
            .await
            .expect("import");
    assert_eq!(calls, [(0, 5), (1, 5), (2, 5), (3, 5), (4, 5), (5, 5)]);
    assert_eq!(
        (report.received(), report.drafts(), report.not_imported()),
        (3, 1, 1)
    );
    for r in &report.rows[..3] {
        assert_eq!(r.stage, Some(Stage::Received), "{r:?}");
        assert!(r.errors.is_empty() && r.application_id.is_some());
    }
    let draft = &report.rows[3];
    assert_eq!((draft.row, draft.stage), (4, Some(Stage::Draft)));
    assert_eq!(draft.errors.len(), 1, "{:?}", draft.errors);
    assert_eq!(draft.errors[0].field, "residence_certificate_issued");
    assert_eq!(
        draft.errors[0].code,
        hpki_ra::application::codes::OLDER_THAN_3_MONTHS
    );
    assert!(draft.errors[0].message_ja.contains("住民票"));
    let unread = &report.rows[4];
    assert_eq!(
        (unread.row, unread.application_id, unread.stage),
        (5, None, None)
    );
    assert_eq!(
        (
            unread.errors[0].field.as_str(),
            unread.errors[0].code.as_str()
        ),
        ("birth_date", hpki_ra::application::codes::INVALID_DATE)
    );

    // What passed is received, with every cell; the draft keeps its form for reception.
    let received =
        t.ra.list(&reception, &[Stage::Received], None)
            .await
            .unwrap();
    assert_eq!(received.len(), 3);
    let hanako =
        t.ra.get(&reception, report.rows[1].application_id.unwrap())
            .await
            .unwrap();
    assert_eq!(hanako.form.name_kanji(), "日医\u{3000}花子");
    assert_eq!(
        hanako.form.birth_date,
        Some(time::macros::date!(1960 - 04 - 01))
    );
    assert_eq!(hanako.form.workplace_name, "日医病院, 本院");
    assert!(hanako.documents.photo_received);
    let saburo =
        t.ra.get(&reception, draft.application_id.unwrap())
            .await
            .unwrap();
    assert_eq!(saburo.stage, Stage::Draft);
    assert_eq!(saburo.form.name_kanji(), "日医\u{3000}三郎");
    assert_eq!(saburo.documents.residence_certificate_issued, Some(old));
    assert_eq!(t.ra.list(&reception, &[], None).await.unwrap().len(), 4);

    // The report as CSV names the row and the column.
    let (header, rows) = parse_csv(&report.to_csv().unwrap());
    assert_eq!(
        header[..5],
        ["row", "application_id", "stage", "field", "code"]
    );
    assert_eq!(rows.len(), 5);
    assert_eq!(
        rows[3][..5],
        [
            "4",
            &draft.application_id.unwrap().to_string(),
            "draft",
            "residence_certificate_issued",
            codes_old()
        ]
    );
    assert_eq!(
        rows[4][..5],
        ["5", "", "not_imported", "birth_date", "invalid_date"]
    );

    // A row with a wrong column count is reported, not imported.
    let short = format!("{HEADER}\nnew,ニチイ\n");
    let r =
        t.ra.import_csv(&reception, short.as_bytes(), &mut |_, _| {})
            .await
            .unwrap();
    assert_eq!(r.rows[0].errors[0].code, codes::COLUMN_COUNT);
    assert_eq!(t.ra.list(&reception, &[], None).await.unwrap().len(), 4);

    let imported = t
        .audited(
            &["application.draft_created", "application.submit"],
            "application.imported",
        )
        .await;
    assert_eq!(imported.len(), 2);
    assert_eq!(
        (
            &imported[0]["received"],
            &imported[0]["drafts"],
            &imported[0]["not_imported"],
            &imported[0]["on_behalf_of"]
        ),
        (&json!(3), &json!(1), &json!(1), &json!("tokyo-reception"))
    );
    t.finish().await;
}

fn codes_old() -> &'static str {
    hpki_ra::application::codes::OLDER_THAN_3_MONTHS
}

on_both_backends_async!(
    billing_payments_and_the_direct_debit_export,
    bulk_import_with_a_per_row_report
);

/// The examples of docs/import.md and docs/fees.md are what the code reads and writes.
#[test]
fn the_documented_formats_are_the_code_s() {
    let docs = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs");
    let import = std::fs::read_to_string(docs.join("import.md")).expect("docs/import.md");
    let example = import
        .split("```csv\n")
        .nth(1)
        .and_then(|s| s.split("```").next())
        .expect("CSV example");
    let rows = hpki_registration::import::parse_csv(example.as_bytes()).expect("header");
    assert_eq!(rows.len(), 1);
    let (form, documents) = rows[0].result.clone().expect("row");
    let reception = time::macros::date!(2026 - 05 - 15);
    assert_eq!(form.validate(reception), vec![]);
    assert_eq!(documents.check(reception), vec![]);
    assert_eq!(form.name_kanji(), "日医\u{3000}太郎");
    for c in hpki_registration::import::FORM_COLUMNS
        .iter()
        .chain(hpki_registration::import::DOCUMENT_COLUMNS.iter())
    {
        assert!(
            import.contains(&format!("`{c}`")),
            "docs/import.md lacks {c}"
        );
    }

    let fees = std::fs::read_to_string(docs.join("fees.md")).expect("docs/fees.md");
    let header = hpki_registration::fees::DIRECT_DEBIT_COLUMNS.join(",");
    assert!(fees.contains(&format!("```text\n{header}␍␊\n")), "{header}");
}
