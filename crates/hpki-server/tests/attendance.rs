//! Seminar attendance from outside, on SQLite and PostgreSQL: an office's 研修会担当 creates an
//! event over the API and a reader token; a reader posts taps (by contactless UID and by card
//! ID) as `hpki-reader` does, including the same tap again from its offline queue; the doctor's
//! portal shows the units at once; the organiser imports its ledger (Shift_JIS, a bad row
//! refused whole) and gets the reconciliation and the attendance CSV; the event's public page.
//! curl is every client.

mod common;

use std::process::Command;
use std::time::Duration;

use common::*;
use hpki_store::{AuditEvent, CardStatus, NewCard};
use hpki_testkit::Backend;
use serde_json::{Value, json};

/// `method` `url` with an optional bearer `token` and `body` (`content_type`); status and body.
async fn http(
    method: &str,
    url: String,
    token: Option<String>,
    body: Option<(Vec<u8>, &'static str)>,
) -> (u16, Vec<u8>) {
    let method = method.to_owned();
    tokio::task::spawn_blocking(move || {
        let dir = tempfile::tempdir().expect("tmp");
        let mut c = Command::new("curl");
        c.args(["-sS", "-X", &method, "-w", "\n%{http_code}"]);
        if let Some(t) = &token {
            c.args(["-H", &format!("Authorization: Bearer {t}")]);
        }
        if let Some((bytes, ct)) = &body {
            let f = dir.path().join("body");
            std::fs::write(&f, bytes).expect("body");
            c.args([
                "-H",
                &format!("Content-Type: {ct}"),
                "--data-binary",
                &format!("@{}", f.display()),
            ]);
        }
        let out = c.arg(&url).output().expect("curl");
        assert!(
            out.status.success(),
            "curl: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let split = out
            .stdout
            .iter()
            .rposition(|&b| b == b'\n')
            .expect("status line");
        let status = String::from_utf8_lossy(&out.stdout[split + 1..])
            .parse()
            .expect("status");
        (status, out.stdout[..split].to_vec())
    })
    .await
    .expect("join")
}

async fn json_of(
    method: &str,
    url: String,
    token: Option<String>,
    body: Option<Value>,
) -> (u16, Value) {
    let (status, bytes) = http(
        method,
        url,
        token,
        body.map(|b| (b.to_string().into_bytes(), "application/json")),
    )
    .await;
    let v = serde_json::from_slice(&bytes)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&bytes)));
    (status, v)
}

fn card_for(subscriber_id: &str, now: i64) -> NewCard {
    NewCard {
        subscriber_id: subscriber_id.into(),
        holder: "{}".into(),
        photo: None,
        issued_at: now,
        expires_at: now + 6 * 366 * 86_400,
        unblock_code_sealed: "sealed".into(),
        replaces: None,
    }
}

fn audit(action: &str) -> AuditEvent {
    AuditEvent {
        actor: "test".into(),
        action: action.into(),
        object: String::new(),
        details: json!({}),
    }
}

/// Unix seconds of `hh:mm` JST on `day`.
fn at(day: time::Date, hh: u8, mm: u8) -> i64 {
    time::PrimitiveDateTime::new(day, time::Time::from_hms(hh, mm, 0).expect("time"))
        .assume_offset(hpki_clock::jst::OFFSET)
        .unix_timestamp()
}

async fn attendance(backend: Backend) {
    let clock = hpki_clock::FixedClock::starting_now();
    let Some(w) = world_on(backend, clock.shared()).await else {
        return;
    };
    let base = format!("http://{}", w.public);
    let store = &w.engine.store;
    let now = w.engine.now_unix() as i64;
    let ra = hpki_registration::Registration::new(w.engine.clone());
    let seminar = ra
        .issue_token("test", "tokyo-seminar", "test")
        .await
        .expect("token");
    let reception = ra
        .issue_token("test", "tokyo-reception", "test")
        .await
        .expect("token");

    // Cards: 太郎's is active; 花子's was reported lost.
    let taro_card = store
        .create_card(
            "JMAC611",
            &card_for(&w.subscriber_id, now),
            &audit("card.create"),
        )
        .await
        .expect("card");
    store
        .update_card(
            &taro_card,
            CardStatus::Active,
            None,
            None,
            &audit("card.active"),
        )
        .await
        .expect("active");
    let hanako_card = store
        .create_card(
            "JMAC611",
            &card_for(&w.hanako.0, now),
            &audit("card.create"),
        )
        .await
        .expect("card");
    store
        .update_card(
            &hanako_card,
            CardStatus::Lost,
            None,
            None,
            &audit("card.lost"),
        )
        .await
        .expect("lost");

    // Tomorrow evening's seminar, created by the seminar officer; the receptionist may not.
    let day = hpki_clock::jst::datetime_unix(now)
        .date()
        .next_day()
        .expect("tomorrow");
    let event = json!({
        "title": "糖尿病診療の最新知見", "venue": "東京都医師会館", "date": day.to_string(),
        "talks": [
            {"title": "開会挨拶", "start": "18:50", "end": "19:00"},
            {"title": "2型糖尿病の薬物療法", "speaker": "日医 一郎", "start": "19:00", "end": "20:30", "code": 76},
            {"title": "高血圧の管理", "start": "20:30", "end": "21:00", "code": 74},
        ]
    });
    let (status, e) = json_of(
        "POST",
        format!("{base}/api/v1/attendance/events"),
        Some(reception.clone()),
        Some(event.clone()),
    )
    .await;
    assert_eq!(
        (status, e["error"]["code"].as_str()),
        (403, Some("forbidden")),
        "{e}"
    );
    let (status, e) = json_of(
        "POST",
        format!("{base}/api/v1/attendance/events"),
        Some(seminar.clone()),
        Some(event),
    )
    .await;
    assert_eq!(status, 201, "{e}");
    let id = e["id"].as_i64().expect("id");
    assert_eq!(e["talks"][1]["units"], json!(1.5), "{e}");
    assert_eq!(e["talks"][1]["code_name"], "糖尿病");
    let bad = json!({"title": "x", "venue": "y", "date": day.to_string(), "talks": [{"title": "t", "start": "19:00", "end": "20:00", "code": 85}]});
    let (status, e) = json_of(
        "POST",
        format!("{base}/api/v1/attendance/events"),
        Some(seminar.clone()),
        Some(bad),
    )
    .await;
    assert_eq!(status, 400, "{e}");
    assert!(
        e["error"]["message_ja"]
            .as_str()
            .is_some_and(|m| m.contains("1〜84")),
        "{e}"
    );

    // The public page.
    let (status, page) = http("GET", format!("{base}/events/{id}"), None, None).await;
    let page = String::from_utf8(page).expect("utf-8");
    assert_eq!(status, 200);
    assert!(
        page.contains("2型糖尿病の薬物療法")
            && page.contains("CC76 糖尿病")
            && page.contains(">2<"),
        "{page}"
    );

    // 太郎's card's contactless UID, registered by the seminar officer; a reader for the door.
    let uid = "04A1B2C3D4E5F6";
    let (status, r) = json_of(
        "POST",
        format!("{base}/api/v1/cards/{taro_card}/contactless"),
        Some(seminar.clone()),
        Some(json!({"uid": uid.to_lowercase()})),
    )
    .await;
    assert_eq!((status, r["uid"].as_str()), (200, Some(uid)), "{r}");
    let (status, r) = json_of(
        "POST",
        format!("{base}/api/v1/attendance/events/{id}/readers"),
        Some(seminar.clone()),
        Some(json!({"label": "入口A"})),
    )
    .await;
    assert_eq!(status, 201, "{r}");
    let reader = r["token"].as_str().expect("reader token").to_owned();

    let tap = |nonce: &str, uid: Option<&str>, card: Option<&str>, t: i64| {
        let body = json!({"nonce": nonce, "uid": uid, "card_id": card, "tapped_at": t});
        json_of(
            "POST",
            format!("{base}/api/v1/attendance/taps"),
            Some(reader.clone()),
            Some(body),
        )
    };
    clock.set(hpki_clock::from_unix(at(day, 18, 55)));
    let (status, a) = tap("t1", Some(uid), None, at(day, 18, 45)).await;
    assert_eq!(
        (status, a["result"].as_str(), a["name"].as_str()),
        (200, Some("entry"), Some("日医太郎")),
        "{a}"
    );
    assert_eq!(a["message_ja"], "受付しました");
    // The same tap again (the reader's queue after a lost answer): the same answer, nothing new.
    let taps_audited = store
        .audit_records_of_action("attendance.tap", 100)
        .await
        .expect("audit")
        .len();
    let (_, again) = tap("t1", Some(uid), None, at(day, 18, 45)).await;
    assert_eq!(
        (again["result"].as_str(), again["repeated"].as_bool()),
        (Some("entry"), Some(true)),
        "{again}"
    );
    assert_eq!(
        store
            .audit_records_of_action("attendance.tap", 100)
            .await
            .expect("audit")
            .len(),
        taps_audited
    );
    let (_, dup) = tap("t2", Some(uid), None, at(day, 18, 45) + 20).await;
    assert_eq!(dup["result"], "duplicate", "{dup}");
    let (_, lost) = tap("t3", None, Some(&hanako_card), at(day, 18, 50)).await;
    assert_eq!(
        (lost["result"].as_str(), lost["flags"][0].as_str()),
        (Some("lost_card"), Some("lost_card")),
        "{lost}"
    );
    let (_, unknown) = tap("t4", Some("0102030405060708"), None, at(day, 18, 51)).await;
    assert_eq!(unknown["result"], "unknown_card", "{unknown}");
    let (status, e) = json_of(
        "POST",
        format!("{base}/api/v1/attendance/taps"),
        Some("not-a-token".into()),
        Some(json!({"nonce": "x", "uid": uid, "tapped_at": now})),
    )
    .await;
    assert_eq!(
        (status, e["error"]["code"].as_str()),
        (401, Some("unknown_reader")),
        "{e}"
    );
    let (status, bytes) = http(
        "POST",
        format!("{base}/api/v1/attendance/taps"),
        Some(reader.clone()),
        Some((b"{nonce".to_vec(), "application/json")),
    )
    .await;
    assert_eq!(status, 400, "{}", String::from_utf8_lossy(&bytes));

    // Before the exit the portal shows the talks, with nothing earned yet.
    let portal = |lang: &str| {
        let (cert, key, root, url) = (
            w.auth_cert.clone(),
            w.auth_key.clone(),
            w.root.clone(),
            format!("https://{}/portal/credits?lang={lang}", w.tls),
        );
        tokio::task::spawn_blocking(move || curl(&url, &root, Some((&cert, &key)), "--tlsv1.3"))
    };
    let (status, page) = portal("ja").await.expect("join");
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("2型糖尿病の薬物療法") && page.contains("単位なし"),
        "{page}"
    );

    // 太郎 leaves at 21:05: the whole of both talks, 1.5 + 0.5 units, on the portal at once.
    clock.set(hpki_clock::from_unix(at(day, 21, 6)));
    let (_, exit) = tap("t5", Some(uid), None, at(day, 21, 5)).await;
    assert_eq!(exit["result"], "exit", "{exit}");
    let (_, page) = portal("ja").await.expect("join");
    assert!(page.contains("全時間出席"), "{page}");
    assert!(page.contains("取得単位 <strong>2</strong>"), "{page}");
    assert!(
        page.contains("コード 2 種類") || page.contains("カリキュラムコード <strong>2</strong>"),
        "{page}"
    );
    let (_, page) = portal("en").await.expect("join");
    assert!(page.contains("whole talk"), "{page}");

    // A tap two days after the event is kept, flagged.
    let (_, late) = tap("t6", Some(uid), None, at(day, 21, 5) + 2 * 86_400).await;
    assert!(
        late["flags"]
            .as_array()
            .is_some_and(|f| f.contains(&json!("outside_event"))),
        "{late}"
    );

    // A second reader's tablet is lost: revoked, its token stops working; the first goes on.
    let (_, r2) = json_of(
        "POST",
        format!("{base}/api/v1/attendance/events/{id}/readers"),
        Some(seminar.clone()),
        Some(json!({"label": "タブレット"})),
    )
    .await;
    let (lost_tablet, lost_id) = (
        r2["token"].as_str().expect("token").to_owned(),
        r2["reader_id"].as_i64().expect("id"),
    );
    let revoke_url = format!("{base}/api/v1/attendance/events/{id}/readers/{lost_id}/revoke");
    let (status, _) = json_of("POST", revoke_url.clone(), Some(reception.clone()), None).await;
    assert_eq!(status, 403, "a receptionist may not revoke");
    let (status, r) = json_of("POST", revoke_url.clone(), Some(seminar.clone()), None).await;
    assert_eq!(status, 200, "{r}");
    let (status, _) = json_of("POST", revoke_url, Some(seminar.clone()), None).await;
    assert_eq!(status, 404, "revoked once");
    let body = json!({"nonce": "stolen-1", "uid": uid, "tapped_at": at(day, 21, 0)});
    let (status, e) = json_of(
        "POST",
        format!("{base}/api/v1/attendance/taps"),
        Some(lost_tablet),
        Some(body),
    )
    .await;
    assert_eq!(
        (status, e["error"]["code"].as_str()),
        (401, Some("unknown_reader")),
        "{e}"
    );
    let (_, still) = tap("t7", Some(uid), None, at(day, 21, 5) + 2 * 86_400).await;
    assert_eq!(
        still["event_id"].as_i64(),
        Some(id),
        "the first reader still works: {still}"
    );

    // The organiser's ledger, Shift_JIS as a spreadsheet saves it: a bad row refuses the file.
    let license = store
        .subscriber_by_id(&w.subscriber_id)
        .await
        .expect("read")
        .expect("taro")
        .license_number;
    let sjis = |text: &str| encoding_rs::SHIFT_JIS.encode(text).0.into_owned();
    let ledger_url = format!("{base}/api/v1/attendance/events/{id}/ledger");
    let bad = format!("医籍登録番号,氏名\n{license},日医 太郎\nabc,誤り\n");
    let (status, body) = http(
        "PUT",
        ledger_url.clone(),
        Some(seminar.clone()),
        Some((sjis(&bad), "text/csv")),
    )
    .await;
    let e: Value = serde_json::from_slice(&body).expect("json");
    assert_eq!(
        (status, e["error"]["rows"][0]["line"].as_u64()),
        (422, Some(3)),
        "{e}"
    );
    let good = format!("医籍登録番号,氏名\n{license},日医 太郎\n999999,欠席 次郎\n");
    let (status, body) = http(
        "PUT",
        ledger_url,
        Some(seminar.clone()),
        Some((sjis(&good), "text/csv")),
    )
    .await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));

    let (status, r) = json_of(
        "GET",
        format!("{base}/api/v1/attendance/events/{id}/report"),
        Some(seminar.clone()),
        None,
    )
    .await;
    assert_eq!(status, 200, "{r}");
    let rec = &r["reconciliation"];
    assert_eq!(rec["matched"].as_array().map(Vec::len), Some(1), "{r}");
    assert_eq!(
        rec["matched"][0][1]["subscriber_id"],
        json!(w.subscriber_id)
    );
    assert_eq!(rec["absent"][0]["name"], "欠席 次郎", "{r}");
    assert_eq!(rec["unregistered"], json!([]), "{r}");
    assert_eq!(r["unknown_taps"].as_array().map(Vec::len), Some(1), "{r}");
    let hanako = r["attendees"]
        .as_array()
        .expect("attendees")
        .iter()
        .find(|a| a["subscriber_id"] == json!(w.hanako.0))
        .expect("花子 listed");
    assert!(
        hanako["flags"]
            .as_array()
            .is_some_and(|f| f.contains(&json!("lost_card"))),
        "{hanako}"
    );
    let (status, r) = json_of(
        "GET",
        format!("{base}/api/v1/attendance/events/{id}/report"),
        Some(reception.clone()),
        None,
    )
    .await;
    assert_eq!(status, 403, "{r}");

    let (status, csv) = http(
        "GET",
        format!("{base}/api/v1/attendance/events/{id}/attendance.csv"),
        Some(seminar.clone()),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert!(csv.starts_with(b"\xEF\xBB\xBF"), "a BOM for spreadsheets");
    let csv = String::from_utf8(csv).expect("utf-8");
    let taro_row = csv
        .lines()
        .find(|l| l.contains("日医太郎"))
        .expect("太郎's row");
    assert!(taro_row.contains(",1.5,0.5,2,"), "{csv}");

    // The same list as Excel, read back by openpyxl: numbers as numbers, and the
    // reconciliation on its own sheet.
    let (status, xlsx) = http(
        "GET",
        format!("{base}/api/v1/attendance/events/{id}/attendance.xlsx"),
        Some(seminar.clone()),
        None,
    )
    .await;
    assert_eq!(status, 200);
    let book = w._dir.path().join("attendance.xlsx");
    std::fs::write(&book, &xlsx).expect("xlsx");
    let script = "import sys, openpyxl\nb = openpyxl.load_workbook(sys.argv[1])\na = b['出席者']\nfor r in a.iter_rows(min_row=2, values_only=True):\n    print('A', r[1], r[7], r[8], r[9])\nfor r in b['突合'].iter_rows(min_row=2, values_only=True):\n    print('R', r[0], r[1], r[2])\n";
    let out = Command::new("python3")
        .args(["-c", script])
        .arg(&book)
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "openpyxl: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let read = String::from_utf8(out.stdout).expect("utf-8");
    assert!(read.contains("A 日医太郎 0 1.5 0.5"), "{read}");
    assert!(
        read.contains("R 申込あり・出席 2 日医 太郎")
            && read.contains("R 申込あり・欠席 3 欠席 次郎"),
        "{read}"
    );

    // 自己申告 in the portal: refused in words with what was typed kept, then reported; the
    // office approves it once; the units join the year's.
    let jar = w._dir.path().join("taro.jar").display().to_string();
    let portal_form = |path: &str, form: Vec<(&str, String)>| {
        let (cert, key, root, jar) = (
            w.auth_cert.clone(),
            w.auth_key.clone(),
            w.root.clone(),
            jar.clone(),
        );
        let url = format!("https://{}{path}", w.tls);
        let form: Vec<String> = form.into_iter().map(|(k, v)| format!("{k}={v}")).collect();
        tokio::task::spawn_blocking(move || {
            let mut c = Command::new("curl");
            c.args([
                "-sS",
                "--cacert",
                &root,
                "--cert",
                &cert,
                "--key",
                &key,
                "-b",
                &jar,
                "-c",
                &jar,
                "-w",
                "\n%{http_code}",
            ]);
            for f in &form {
                c.args(["--data-urlencode", f]);
            }
            let out = c.arg(url).output().expect("curl");
            let text = String::from_utf8(out.stdout).expect("utf-8");
            let (body, status) = text.rsplit_once('\n').expect("status");
            (status.parse::<u16>().expect("status"), body.to_owned())
        })
    };
    let (_, page) = portal_form("/portal/credits", vec![]).await.expect("join");
    let at = page.find("name=\"csrf\" value=\"").expect("csrf field") + 19;
    let token = page[at..].split('"').next().expect("csrf").to_owned();
    let day_text = day.to_string();
    let report = |units: &str| {
        vec![
            ("csrf", token.clone()),
            ("date", day_text.clone()),
            ("title", "日医e-ラーニング 糖尿病".to_owned()),
            ("units", units.to_owned()),
            ("code", "76".to_owned()),
        ]
    };
    let (status, page) = portal_form("/portal/credits/report", report("1.25"))
        .await
        .expect("join");
    assert_eq!(status, 422, "{page}");
    assert!(
        page.contains("0.5 刻み") && page.contains("日医e-ラーニング 糖尿病"),
        "refused in words, typed kept: {page}"
    );
    let (status, page) = portal_form(
        "/portal/credits/report",
        vec![
            ("date", day_text.clone()),
            ("title", "x".into()),
            ("units", "1".into()),
        ],
    )
    .await
    .expect("join");
    assert_eq!(status, 403, "no CSRF token: {page}");
    let (status, page) = portal_form("/portal/credits/report", report("1"))
        .await
        .expect("join");
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("申告しました") && page.contains("承認待ち"),
        "{page}"
    );
    let (status, p) = json_of(
        "GET",
        format!("{base}/api/v1/credits/pending"),
        Some(seminar.clone()),
        None,
    )
    .await;
    assert_eq!(status, 200, "{p}");
    let entry = p["credits"][0]["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("{p}"));
    assert_eq!(p["credits"][0]["name"], "日医太郎");
    let (status, _) = json_of(
        "POST",
        format!("{base}/api/v1/credits/{entry}/approve"),
        Some(reception.clone()),
        None,
    )
    .await;
    assert_eq!(status, 403, "a receptionist may not approve");
    let (status, r) = json_of(
        "POST",
        format!("{base}/api/v1/credits/{entry}/approve"),
        Some(seminar.clone()),
        None,
    )
    .await;
    assert_eq!(
        (status, r["status"].as_str()),
        (200, Some("approved")),
        "{r}"
    );
    let (status, r) = json_of(
        "POST",
        format!("{base}/api/v1/credits/{entry}/reject"),
        Some(seminar.clone()),
        None,
    )
    .await;
    assert_eq!(status, 409, "decided once: {r}");
    let (_, page) = portal_form("/portal/credits", vec![]).await.expect("join");
    assert!(
        page.contains("取得単位 <strong>3</strong>"),
        "2 from the seminar + 1 reported: {page}"
    );

    // A medical society's credits, imported at HQ: a bad row refuses the file, a good one is
    // taken once.
    let hq = ra
        .issue_token("test", "hq-seminar", "test")
        .await
        .expect("token");
    let import_url = format!("{base}/api/v1/credits/import/society");
    let bad = format!(
        "reference,license_no,date,units,code,title\nJSIM-1,{license},{day},2,73,日本内科学会 総会\nJSIM-2,000000,{day},1,,不明な医師\n"
    );
    let (status, body) = http(
        "POST",
        import_url.clone(),
        Some(hq.clone()),
        Some((bad.into_bytes(), "text/csv")),
    )
    .await;
    let e: Value = serde_json::from_slice(&body).expect("json");
    assert_eq!(
        (status, e["error"]["rows"][0]["line"].as_u64()),
        (422, Some(3)),
        "{e}"
    );
    let good = format!(
        "reference,license_no,date,units,code,title\nJSIM-1,{license},{day},2,73,日本内科学会 総会\n"
    );
    let (status, r) = http(
        "POST",
        import_url.clone(),
        Some(seminar.clone()),
        Some((good.clone().into_bytes(), "text/csv")),
    )
    .await;
    assert_eq!(
        status,
        403,
        "only HQ imports: {}",
        String::from_utf8_lossy(&r)
    );
    let (status, r) = http(
        "POST",
        import_url.clone(),
        Some(hq.clone()),
        Some((good.clone().into_bytes(), "text/csv")),
    )
    .await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&r));
    let (status, r) = http(
        "POST",
        import_url,
        Some(hq),
        Some((good.into_bytes(), "text/csv")),
    )
    .await;
    assert_eq!(
        status,
        409,
        "the same reference again: {}",
        String::from_utf8_lossy(&r)
    );
    let (_, page) = portal_form("/portal/credits", vec![]).await.expect("join");
    assert!(
        page.contains("取得単位 <strong>5</strong>") && page.contains("日本内科学会 総会"),
        "{page}"
    );

    // The national yearly run: 太郎 with his 5 units and 3 distinct codes (76 and 74 of the
    // seminar, 73 of the society), the same as his portal says; 花子 (taps of a lost card only)
    // not at all.
    let provider = hpki_provider::Provider::new(w.engine.clone());
    let fy = hpki_clock::jst::fiscal_year(day);
    let mut standings = Vec::new();
    let totals = provider
        .national_credits(fy, |s| standings.push(s.clone()))
        .await
        .expect("national run");
    assert_eq!((totals.doctors, totals.certified), (1, 0), "{standings:?}");
    let taro = &standings[0];
    assert_eq!(taro.subscriber_id, w.subscriber_id);
    assert_eq!(
        (taro.progress.units, taro.progress.codes.len()),
        (hpki_attendance::Units::whole(5), 3),
        "{taro:?}"
    );
    let portal_view = provider
        .doctor_credits(&w.subscriber_id, day)
        .await
        .expect("credits");
    assert_eq!(
        taro.progress, portal_view.certificate,
        "the run and the portal agree"
    );
    assert_eq!(
        taro.years.iter().map(|y| y.fiscal_year).collect::<Vec<_>>(),
        vec![fy - 2, fy - 1, fy]
    );

    // The specialist board's credits, as JSON: a 産業医 実地研修 shows in the portal's
    // 日医認定産業医 box.
    let board = json!([{"reference": "B-1", "license_no": license, "date": day.to_string(), "units": 1, "title": "産業医実地研修", "occupational": "practice"}]);
    let hq = ra
        .issue_token("test", "hq-seminar", "board")
        .await
        .expect("token");
    let (status, r) = http(
        "POST",
        format!("{base}/api/v1/credits/import/board"),
        Some(hq),
        Some((board.to_string().into_bytes(), "application/json")),
    )
    .await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&r));
    let (_, page) = portal_form("/portal/credits", vec![]).await.expect("join");
    assert!(
        page.contains("日医認定産業医")
            && page.contains("実地研修 1")
            && page.contains("<strong>1</strong> ／ 20"),
        "{page}"
    );

    // The year's 学習単位取得証 as a PDF, read by pdftotext.
    let pdf = w._dir.path().join("units.pdf");
    let (cert, key, root) = (w.auth_cert.clone(), w.auth_key.clone(), w.root.clone());
    let url = format!("https://{}/portal/credits/certificate.pdf?year={fy}", w.tls);
    let target = pdf.clone();
    let got = tokio::task::spawn_blocking(move || {
        Command::new("curl")
            .args([
                "-sS", "-f", "--cacert", &root, "--cert", &cert, "--key", &key, "-o",
            ])
            .arg(&target)
            .arg(url)
            .status()
            .expect("curl")
    })
    .await
    .expect("join");
    assert!(got.success(), "the certificate PDF");
    let text = Command::new("pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(&pdf)
        .arg("-")
        .output()
        .expect("pdftotext");
    let text = String::from_utf8(text.stdout).expect("utf-8");
    for expected in [
        "学習単位取得証",
        "日医",
        "6 単位",
        "3 種類",
        "CC76 糖尿病",
        "公益社団法人 日本医師会",
    ] {
        assert!(text.contains(expected), "{expected}: {text}");
    }

    clock.advance(Duration::from_secs(1));
    w.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attendance_on_sqlite() {
    attendance(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attendance_on_postgres() {
    attendance(Backend::Postgres).await;
}
