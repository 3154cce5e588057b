//! Issue "Issuance integrity": `kill -9` at points of a batch issuance, of issuance through
//! the registration API and of a card's personalisation, then a restart. Afterwards every valid certificate in the store is
//! accounted for (handed to its requester, or taken by its application), what no record took
//! is revoked by `hpki ca recover`, a re-run of the batch issues nothing twice and writes the
//! files a killed run did not, and `hpki audit verify` passes. On SQLite and PostgreSQL.
//!
//! The kill points are spread over the work by delays, some before anything is issued, some
//! in the middle, some near the end: which step is cut differs from run to run, as it would.

mod common;

use std::time::Duration;

use common::{Api, Ca, SoftHsm, require_tool, sh};
use hpki_testkit::on_both_backends;
use serde_json::json;
use sqlx::Row;

/// CSRs of the batch.
const BATCH: usize = 40;
/// Kill delays, milliseconds, for successive runs.
const KILL_AFTER_MS: [u64; 4] = [40, 250, 600, 1200];

/// (valid certificates issued for a record it never took, valid certificates in all).
fn unaccounted(ca: &Ca) -> (i64, i64) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(&ca.db_url).await.expect("connect");
        let count = |sql: &'static str| {
            let pool = pool.clone();
            async move {
                sqlx::query(sql)
                    .fetch_one(&pool)
                    .await
                    .expect("count")
                    .try_get::<i64, _>(0)
                    .expect("count")
            }
        };
        let orphans = count(
            "SELECT COUNT(*) FROM certificates WHERE revoked_at IS NULL
               AND issued_for IS NOT NULL AND linked_at IS NULL",
        )
        .await;
        let valid = count(
            "SELECT COUNT(*) FROM certificates WHERE revoked_at IS NULL
               AND profile IN ('ee-sign', 'ee-auth')",
        )
        .await;
        pool.close().await;
        (orphans, valid)
    })
}

fn batch_issuance_killed_and_run_again(b: common::Backend) {
    require_tool("openssl");
    let ca = Ca::demo(b);
    let before = ca.certificate_count();
    let dir = ca.path("batch");
    let out_dir = ca.path("batch-out");
    std::fs::create_dir_all(&dir).unwrap();
    sh(&format!(
        "cd '{}' && for i in $(seq -w 0 {}); do openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout d$i.key -subj /CN=x -out d$i.csr 2>/dev/null; printf '{{\"name_romaji\":\"Doctor Number\",\"name_kanji\":\"医師 %s\",\"subscriber_id\":\"JMAB%s\",\"role\":\"Medical Doctor\"}}' $i $i > d$i.json; done",
        dir.display(),
        BATCH - 1
    ));
    let args = [
        "ca",
        "issue",
        "--ca",
        "sign",
        "--csr-dir",
        dir.to_str().unwrap(),
        "--out-dir",
        out_dir.to_str().unwrap(),
    ];
    for ms in KILL_AFTER_MS {
        let mut child = ca.spawn(&args);
        std::thread::sleep(Duration::from_millis(ms));
        child.kill().expect("kill -9");
        child.wait().expect("wait");
        assert_eq!(unaccounted(&ca).0, 0, "after a kill at {ms} ms");
    }
    let out = ca.run(&args);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    let summary = text.lines().last().unwrap_or_default();
    let issued_before: usize = summary
        .split(" issued before")
        .next()
        .and_then(|s| s.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("summary: {text}"));
    assert!(summary.contains(", 0 failed"), "{text}");
    assert_eq!(
        ca.certificate_count(),
        before + BATCH,
        "one certificate per CSR, however often the batch was killed ({issued_before} were issued by killed runs)"
    );
    let mut pems = std::collections::BTreeSet::new();
    for i in 0..BATCH {
        let pem = std::fs::read_to_string(out_dir.join(format!("d{i:02}.pem"))).expect("file");
        assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"));
        pems.insert(pem);
    }
    assert_eq!(pems.len(), BATCH, "every file a different certificate");
    let recovered = ca.ok(&["ca", "recover"]);
    assert!(recovered.contains("nothing to recover"), "{recovered}");
    assert!(ca.ok(&["audit", "verify"]).contains("intact"));
}

/// A complete application form for doctor number `n`.
fn form(n: usize) -> serde_json::Value {
    let today = hpki_clock::jst::date(hpki_clock::Clock::now(&hpki_clock::SystemClock));
    json!({
        "application_date": today.to_string(), "kind": "new",
        "name_kana_family": "ニチイ", "name_kana_given": "タロウ",
        "name_kanji_family": "日医", "name_kanji_given": "太郎",
        "name_romaji_family": "Nichii", "name_romaji_given": "Taro",
        "birth_date": "1955-01-01", "sex": "male",
        "address": {"postal_code": "113-8621", "prefecture_code": 13, "city": "文京区本駒込2-28-16"},
        "license_number": format!("CRASH{n:04}"), "license_registration_date": "1980-05-01",
        "membership": "non_member", "member_id": "",
        "phone": "03-3946-2121", "delivery": "home"
    })
}

fn registration_issuance_killed(b: common::Backend) {
    require_tool("openssl");
    require_tool("curl");
    let ca = Ca::demo(b);
    const APPS: usize = 12;
    let (_, valid_before) = unaccounted(&ca);
    let mut ids = Vec::new();
    {
        let api = Api::new(&ca, ca.serve());
        let today = hpki_clock::jst::date(hpki_clock::Clock::now(&hpki_clock::SystemClock));
        for n in 0..APPS {
            let documents = json!({"license": "original", "photo_id": "passport",
                "residence_certificate_issued": today.to_string(), "photo_received": true});
            let v = api.call(
                "tokyo-reception",
                "POST",
                "/api/v1/applications",
                Some(json!({"form": form(n), "documents": documents})),
            );
            let id = v["id"]
                .as_i64()
                .unwrap_or_else(|| panic!("{v}"))
                .to_string();
            api.act("tokyo-reception", &id, "submit", json!({}));
            api.approve(&id);
            ids.push(id);
        }
    }
    for (round, ms) in [40u64, 100, 160, 240].into_iter().enumerate() {
        // Every application asked to issue three times, the requests spread over time; the
        // server killed while they arrive.
        let api = Api::new(&ca, ca.serve());
        let token = ca.ok(&["officer", "token", "--login", "hq-operator"]);
        let requests: Vec<(String, std::path::PathBuf)> = ids
            .iter()
            .map(|id| {
                let body = ca.write(
                    &format!("issue-{round}-{id}.json"),
                    &api.issue_request(id).to_string(),
                );
                (
                    format!("{}/api/v1/applications/{id}/issue", api.server.url),
                    body,
                )
            })
            .collect();
        let auth = format!("authorization: Bearer {}", token.trim());
        let sender = std::thread::spawn(move || {
            let mut curls = Vec::new();
            for (url, body) in &requests {
                for _ in 0..3 {
                    std::thread::sleep(Duration::from_millis(5));
                    curls.push(
                        std::process::Command::new("curl")
                            .args(["-sS", "-o", "/dev/null", "-H", &auth])
                            .args(["-H", "content-type: application/json", "--data-binary"])
                            .arg(format!("@{}", body.display()))
                            .arg(url)
                            .stderr(std::process::Stdio::null())
                            .spawn()
                            .expect("curl"),
                    );
                }
            }
            for mut c in curls {
                let _ = c.wait();
            }
        });
        std::thread::sleep(Duration::from_millis(ms));
        drop(api); // kill -9 the server
        sender.join().expect("requests");
        // Restarted: a server's own recovery leaves recent work alone; the operator's, with
        // no server running, settles everything.
        drop(ca.serve());
        let out = ca.ok(&["ca", "recover"]);
        let (orphans, _) = unaccounted(&ca);
        assert_eq!(orphans, 0, "round {round}: {out}");
    }
    // Each application issued once at most: two valid certificates for an issued one, none
    // for one still approved (which issues now).
    let api = Api::new(&ca, ca.serve());
    for id in &ids {
        let app = api.call(
            "hq-operator",
            "GET",
            &format!("/api/v1/applications/{id}"),
            None,
        );
        if app["stage"] == "approved" {
            api.call(
                "hq-operator",
                "POST",
                &format!("/api/v1/applications/{id}/issue"),
                Some(api.issue_request(id)),
            );
        }
    }
    drop(api);
    let (orphans, valid) = unaccounted(&ca);
    assert_eq!(orphans, 0);
    assert_eq!(
        valid,
        valid_before + 2 * APPS as i64,
        "one valid pair per application"
    );
    assert!(ca.ok(&["audit", "verify"]).contains("intact"));
}

/// Cards whose personalisation is unfinished, and active cards, in the register.
fn cards(ca: &Ca) -> (usize, usize) {
    let list = ca.ok(&["card", "list"]);
    let count = |status: &str| {
        list.lines()
            .filter(|l| l.split_whitespace().nth(1) == Some(status))
            .count()
    };
    (count("personalizing"), count("active"))
}

fn card_personalisation_killed(b: common::Backend) {
    require_tool("openssl");
    let hsm = SoftHsm::new();
    let ca = Ca::demo(b);
    ca.set_env(hsm.env().0, &hsm.env().1);
    let (_, valid_before) = unaccounted(&ca);
    ca.set_env("HPKI_CARD_PIN", "1234");
    let holder = |round: usize| {
        // A doctor per round: a card that did get finished is that doctor's one card.
        ca.write(
            &format!("holder-{round}.json"),
            &format!(
                r#"{{"name_romaji":"Taro Nichii","name_kanji":"日医 太郎","subscriber_id":"JMAK{round:04}","role":"Medical Doctor","birth_date":"1955-01-01","license_number":"KILL{round:04}"}}"#
            ),
        )
    };
    // How long a whole personalisation takes here: the kills are spread over its second half,
    // where the card is recorded, its keys made and its certificates issued and written.
    let start = std::time::Instant::now();
    let h = holder(0);
    ca.ok(&["card", "personalize", "--holder", h.to_str().unwrap()]);
    let whole = start.elapsed();
    let mut active = 1;
    for (round, part) in [0.45, 0.6, 0.7, 0.78, 0.85, 0.9, 0.95]
        .into_iter()
        .enumerate()
    {
        let round = round + 1;
        let ms = (whole.as_millis() as f64 * part) as u64;
        let holder = holder(round);
        let mut child = ca.spawn(&["card", "personalize", "--holder", holder.to_str().unwrap()]);
        std::thread::sleep(Duration::from_millis(ms));
        child.kill().expect("kill -9");
        let finished = child.wait().expect("wait").success();
        let out = ca.ok(&["ca", "recover"]);
        let (orphans, _) = unaccounted(&ca);
        assert_eq!(orphans, 0, "round {round} (killed at {ms} ms): {out}");
        let (unfinished, now_active) = cards(&ca);
        assert_eq!(
            unfinished, 0,
            "round {round}: a card left half-personalised: {out}"
        );
        if finished {
            active += 1;
        }
        assert!(now_active >= active, "round {round}");
        active = now_active;
    }
    // Every active card holds two valid certificates the register links to it; nothing else
    // issued for a card is valid.
    let (_, valid) = unaccounted(&ca);
    assert_eq!(
        valid,
        valid_before + 2 * active as i64,
        "{active} active cards"
    );
    assert!(ca.ok(&["audit", "verify"]).contains("intact"));
}

on_both_backends!(
    batch_issuance_killed_and_run_again,
    registration_issuance_killed,
    card_personalisation_killed
);
