//! Issue "Registration", items 5 and 8, from the command line, end to end: `hpki application
//! import` (per-row report, exit status 3 when a row failed, a file with an unknown column
//! refused whole), two imported applications walked to issuance through the API of `hpki serve`
//! (curl, bearer tokens, CSRs made by openssl), then `hpki fees bill` / `list` / `export` /
//! `paid` with the default policy and with a policy file. On SQLite and PostgreSQL.

mod common;

use hpki_testkit::on_both_backends;

use std::path::Path;

use common::{Api, Ca, require_tool, sh, today};
use serde_json::json;

/// The fiscal year (April–March, named by its starting year) of today in Japan.
fn fiscal_year() -> i64 {
    i64::from(hpki_clock::jst::fiscal_year(today()))
}

const HEADER: &str = "application_date,kind,name_kana_family,name_kana_given,name_kanji_family,name_kanji_given,name_romaji_family,name_romaji_given,birth_date,sex,address_postal_code,address_prefecture_code,address_city,license_number,license_registration_date,membership,member_id,phone,delivery,license,photo_id,residence_certificate_issued,photo_received";

fn row(
    kanji: &str,
    romaji: &str,
    membership: &str,
    member_id: &str,
    birth: &str,
    days: i64,
) -> String {
    format!(
        "{},new,ニチイ,タロウ,日医,\"{kanji}\",Nichii,{romaji},{birth},male,113-8621,東京都,文京区本駒込2-28-16,TEST{romaji},1980-05-01,{membership},{member_id},03-3946-2121,home,original,passport,{},true",
        today(),
        today() - time::Duration::days(days)
    )
}

/// Rows of a CSV file, header first (the `csv` crate drops the byte order mark).
fn read_csv(path: &Path) -> Vec<Vec<String>> {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_path(path)
        .expect("csv");
    r.records()
        .map(|rec| rec.expect("row").iter().map(str::to_owned).collect())
        .collect()
}

fn import_bill_and_export(backend: common::Backend) {
    require_tool("curl");
    require_tool("openssl");
    let ca = Ca::demo(backend);
    let fy = fiscal_year();
    let year = fy.to_string();

    // Two good rows, one whose 住民票 is too old (kept as a draft), one with 30 February.
    let file = ca.write(
        "applications.csv",
        &format!(
            "\u{feff}{HEADER}\r\n{}\r\n{}\r\n{}\r\n{}\r\n",
            row("太郎", "Taro", "member", "9999999999", "1955-01-01", 7),
            row("花,子", "Hanako", "non_member", "", "1960/4/1", 7),
            row("三郎", "Saburo", "member", "1234567890", "1965-03-03", 120),
            row("四郎", "Shiro", "non_member", "", "1966-02-30", 7),
        ),
    );
    let report = ca.path("report.csv");
    let out = ca.run(&[
        "application",
        "import",
        "--as",
        "tokyo-reception",
        "--csv",
        file.to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(3), "{stdout}");
    assert!(
        stdout.contains("2 received, 1 kept as drafts, 1 not imported"),
        "{stdout}"
    );
    assert!(stdout.contains("row 3: kept as draft"), "{stdout}");
    assert!(stdout.contains("row 4: not imported"), "{stdout}");
    assert!(stdout.contains("birth_date: 生年月日は"), "{stdout}");
    let rows = read_csv(&report);
    assert_eq!(
        rows[0],
        [
            "row",
            "application_id",
            "stage",
            "field",
            "code",
            "message_ja",
            "message_en"
        ]
    );
    assert_eq!(rows.len(), 5, "{rows:?}");
    assert_eq!(
        (rows[1][0].as_str(), rows[1][2].as_str()),
        ("1", "received")
    );
    assert_eq!(
        rows[3][..5],
        [
            "3",
            &rows[3][1],
            "draft",
            "residence_certificate_issued",
            "older_than_3_months"
        ]
    );
    assert_eq!(
        rows[4][..5],
        ["4", "", "not_imported", "birth_date", "invalid_date"]
    );
    let (taro, hanako) = (rows[1][1].clone(), rows[2][1].clone());

    // Refused whole: an unknown column; an officer who does not receive applications.
    let bad = ca.write(
        "bad.csv",
        &format!(
            "{}\r\n{}\r\n",
            HEADER.replace("sex", "gender"),
            row("五郎", "Goro", "member", "1111111111", "1970-01-01", 7)
        ),
    );
    let err = ca.fails(&[
        "application",
        "import",
        "--as",
        "tokyo-reception",
        "--csv",
        bad.to_str().unwrap(),
    ]);
    assert!(err.contains("unknown column(s): gender"), "{err}");
    let err = ca.fails(&[
        "application",
        "import",
        "--as",
        "hq-admin",
        "--csv",
        file.to_str().unwrap(),
    ]);
    assert!(err.contains("受付担当者"), "{err}");
    // A clean file exits 0.
    let good = ca.write(
        "good.csv",
        &format!(
            "{HEADER}\n{}\n",
            row("六郎", "Rokuro", "member", "2222222222", "1971-01-01", 7)
        ),
    );
    let out = ca.ok(&[
        "application",
        "import",
        "--as",
        "tokyo-reception",
        "--csv",
        good.to_str().unwrap(),
    ]);
    assert!(
        out.contains("1 received, 0 kept as drafts, 0 not imported"),
        "{out}"
    );

    // 太郎 (member) and 花子 (non-member) are issued through the API of the server.
    let api = Api::new(&ca, ca.serve());
    let taro_sub = api.issue(&taro);
    let hanako_sub = api.issue(&hanako);
    drop(api);
    assert_eq!(taro_sub, "JMA9999999999");

    // This year: 太郎's first year is free, 花子 pays ¥10,000; a second run bills nothing new.
    let out = ca.ok(&["fees", "bill", "--year", &year]);
    assert!(
        out.contains(&format!(
            "fiscal year {fy}: billed 1 (¥10,000), waived 1, already billed 0"
        )),
        "{out}"
    );
    let out = ca.ok(&["fees", "bill", "--year", &year]);
    assert!(
        out.contains("billed 0 (¥0), waived 0, already billed 2"),
        "{out}"
    );
    let list = ca.ok(&["fees", "list", "--year", &year]);
    assert!(
        list.contains(&taro_sub) && list.contains("waived"),
        "{list}"
    );

    // The direct-debit export holds 花子's request.
    let debit = ca.path("debit.csv");
    let out = ca.ok(&[
        "fees",
        "export",
        "--year",
        &year,
        "--out",
        debit.to_str().unwrap(),
    ]);
    assert!(out.contains("1 direct-debit requests (¥10,000)"), "{out}");
    let bytes = std::fs::read(&debit).unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF") && bytes.ends_with(b"\r\n"));
    let rows = read_csv(&debit);
    assert_eq!(
        rows[0],
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
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(
        rows[1][..6],
        [
            hanako_sub.as_str(),
            "ニチイ\u{3000}タロウ",
            "日医\u{3000}花,子",
            &year,
            "10000",
            "non_member"
        ]
    );

    // Paid: recorded once; the export is then empty.
    let out = ca.ok(&["fees", "paid", "--subscriber", &hanako_sub, "--year", &year]);
    assert!(out.contains("¥10,000 paid"), "{out}");
    let err = ca.fails(&["fees", "paid", "--subscriber", &hanako_sub, "--year", &year]);
    assert!(err.contains("already paid"), "{err}");
    ca.ok(&[
        "fees",
        "export",
        "--year",
        &year,
        "--out",
        debit.to_str().unwrap(),
    ]);
    assert_eq!(read_csv(&debit).len(), 1);

    // Next year under a policy file in the data directory; a misspelt key is refused.
    let next = (fy + 1).to_string();
    std::fs::write(ca.dir.join("fees.toml"), "member_yen = 6000\n").unwrap();
    let out = ca.ok(&["fees", "bill", "--year", &next]);
    assert!(out.contains("billed 2 (¥16,000), waived 0"), "{out}");
    let typo = ca.write("typo.toml", "member_fee = 6000\n");
    let err = ca.fails(&[
        "fees",
        "bill",
        "--year",
        &next,
        "--policy",
        typo.to_str().unwrap(),
    ]);
    assert!(err.contains("not a fee policy"), "{err}");
    let err = ca.fails(&["fees", "bill", "--year", &(fy + 2).to_string()]);
    assert!(err.contains("cannot be billed"), "{err}");

    ca.assert_audited_in_order(&[
        "application.imported",
        "application.issue",
        &format!("fee.billed fees/{fy}"),
        &format!("fee.debit_exported fees/{fy}"),
        &format!("fee.paid fee/{fy}/{hanako_sub}"),
        &format!("fee.billed fees/{next}"),
    ]);
}

/// 発行 on a card at the console: an application received and reviewed through the API, then
/// `hpki application issue-card` personalises a blank card (SoftHSM2) for it.
fn an_approved_application_is_issued_on_a_card(backend: common::Backend) {
    for tool in ["curl", "openssl", "pkcs11-tool"] {
        require_tool(tool);
    }
    let hsm = common::SoftHsm::new();
    let ca = Ca::demo(backend);
    ca.set_env(hsm.env().0, &hsm.env().1);
    ca.export_chain();
    let api = Api::new(&ca, ca.serve());
    let form = json!({
        "application_date": today().to_string(), "kind": "new",
        "name_kana_family": "ニチイ", "name_kana_given": "ハナコ",
        "name_kanji_family": "日医", "name_kanji_given": "花子",
        "name_romaji_family": "Nichii", "name_romaji_given": "Hanako",
        "birth_date": "1970-04-01", "sex": "female",
        "address": {"postal_code": "113-8621", "prefecture_code": 13, "city": "文京区本駒込2-28-16", "building": ""},
        "license_number": "TESTH00001", "license_registration_date": "1995-05-01",
        "membership": "non_member", "phone": "03-3946-2121", "delivery": "home"
    });
    let documents = json!({"license": "original", "photo_id": "passport",
        "residence_certificate_issued": (today() - time::Duration::days(3)).to_string(),
        "photo_received": true});
    let draft = api.call(
        "tokyo-reception",
        "POST",
        "/api/v1/applications",
        Some(json!({"form": form, "documents": documents})),
    );
    let id = draft["id"].as_i64().expect("id").to_string();
    api.act("tokyo-reception", &id, "submit", json!({}));
    api.act("tokyo-pre", &id, "pre_review", json!({}));
    api.act("tokyo-main", &id, "main_review", json!({"tracking": "T-1"}));
    api.act("hq-final", &id, "papers_arrived", json!({}));
    // Only a CA operator issues.
    let (ok, out) = ca.run_with(
        &["application", "issue-card", "--id", &id, "--as", "hq-final"],
        &[("HPKI_CARD_PIN", "1234")],
    );
    assert!(!ok, "issuance before final review / by a reviewer: {out}");
    api.act("hq-final", &id, "final_review", json!({}));
    let (ok, out) = ca.run_with(
        &[
            "application",
            "issue-card",
            "--id",
            &id,
            "--as",
            "hq-operator",
        ],
        &[("HPKI_CARD_PIN", "1234")],
    );
    assert!(ok, "{out}");
    let app = api.call(
        "hq-operator",
        "GET",
        &format!("/api/v1/applications/{id}"),
        None,
    );
    assert_eq!(app["stage"], "issued", "{app}");
    assert_eq!(app["subscriber_id"], "JMALTESTH00001");
    let card = app["card_id"].as_str().expect("card ID").to_owned();
    assert!(out.contains(&card), "{out}");
    // The card holds a certificate that verifies to the root, read without a PIN.
    let der = ca.path("card-sign.der");
    let (ok, listing) = hsm.pkcs11_tool(&format!(
        "--token-label {card} --read-object --type cert --label hpki-sign -o '{}'",
        der.display()
    ));
    assert!(ok, "{listing}");
    let pem = ca.path("card-sign.pem");
    sh(&format!(
        "openssl x509 -inform DER -in '{}' -out '{}'",
        der.display(),
        pem.display()
    ));
    ca.verify_sign_chain(&pem);
    let subject = sh(&format!(
        "openssl x509 -in '{}' -noout -subject -nameopt utf8",
        pem.display()
    ));
    assert!(
        subject.contains("Hanako Nichii") && subject.contains("JMALTESTH00001"),
        "{subject}"
    );
    ca.assert_audited_in_order(&[
        "application.final_review",
        "card.personalization_started",
        "card.personalized",
        "application.issue",
    ]);
    // The card's records are the operator's who issued it, not the command's.
    let audit = ca.ok(&["audit", "show"]);
    for action in [
        "card.personalization_started",
        "card.bound",
        "certificate.issued",
        "card.personalized",
    ] {
        assert!(
            audit
                .lines()
                .filter(|l| l.contains(&format!("\"action\":\"{action}\"")))
                .any(|l| l.contains("officer:hq-operator@hq")),
            "{action} as the operator:\n{audit}"
        );
    }
}

on_both_backends!(
    import_bill_and_export,
    an_approved_application_is_issued_on_a_card
);
