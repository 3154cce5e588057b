//! Issue #3 from the command line: the offices and officers `hpki init --demo` creates, the
//! `hpki office` and `hpki officer` commands, and a token that opens the API of `hpki serve`.
//! On SQLite and PostgreSQL.

mod common;

use hpki_testkit::on_both_backends;

use common::{Ca, require_tool, sh};

fn offices_officers_and_an_api_token(backend: common::Backend) {
    require_tool("curl");
    let ca = Ca::demo(backend);

    // The JMA registration authority, the 47 prefectures, the demo's county and hospital.
    let offices = ca.ok(&["office", "list"]);
    assert_eq!(
        offices.lines().filter(|l| l.starts_with("pref-")).count(),
        47,
        "{offices}"
    );
    assert!(
        offices.lines().next().unwrap().starts_with("hq "),
        "{offices}"
    );
    assert!(offices.contains("county-13-minato") && offices.contains("hosp-13-nichii"));
    assert!(offices.contains("東京都医師会 地域受付審査局"));

    // A status change is checked and audited.
    let out = ca.fails(&[
        "office", "status", "--office", "pref-01", "--status", "open",
    ]);
    assert!(out.contains("unknown status"), "{out}");
    let out = ca.ok(&[
        "office",
        "status",
        "--office",
        "pref-01",
        "--status",
        "accepting",
    ]);
    assert!(out.contains("受付可能"), "{out}");
    let line = ca
        .ok(&["office", "list"])
        .lines()
        .find(|l| l.starts_with("pref-01"))
        .unwrap()
        .to_owned();
    assert!(line.contains("受付可能"), "{line}");

    // Officers: roles are checked against the office; a short password is refused.
    ca.set_env("HPKI_OFFICER_PASSWORD", "short");
    let out = ca.fails(&[
        "officer",
        "add",
        "--login",
        "hokkaido-1",
        "--name",
        "北海道 太郎",
        "--office",
        "pref-01",
        "--roles",
        "reception,pre_review",
    ]);
    assert!(out.contains("at least 12"), "{out}");
    ca.set_env("HPKI_OFFICER_PASSWORD", "a long enough password");
    let out = ca.fails(&[
        "officer",
        "add",
        "--login",
        "hokkaido-2",
        "--name",
        "北海道 次郎",
        "--office",
        "pref-01",
        "--roles",
        "final_review",
    ]);
    assert!(out.contains("最終審査"), "{out}");
    ca.ok(&[
        "officer",
        "add",
        "--login",
        "hokkaido-1",
        "--name",
        "北海道 太郎",
        "--office",
        "pref-01",
        "--roles",
        "reception,pre_review",
    ]);
    let officers = ca.ok(&["officer", "list"]);
    assert!(
        officers.contains("hokkaido-1") && officers.contains("tokyo-reception"),
        "{officers}"
    );

    // A token opens the API of the running server.
    let token = ca.ok(&["officer", "token", "--login", "hokkaido-1"]);
    let token = token.trim();
    assert_eq!(token.len(), 64);
    let server = ca.serve();
    let me = sh(&format!(
        "curl -sS -H 'Authorization: Bearer {token}' {}/api/v1/me",
        server.url
    ));
    assert!(
        me.contains("\"login\":\"hokkaido-1\"") && me.contains("pref-01"),
        "{me}"
    );
    let refused = sh(&format!(
        "curl -sS -o /dev/null -w '%{{http_code}}' -H 'Authorization: Bearer {}' {}/api/v1/me",
        "0".repeat(64),
        server.url
    ));
    assert_eq!(refused, "401");
    let doc = sh(&format!("curl -sS {}/api/v1/openapi.json", server.url));
    assert!(doc.contains("\"openapi\": \"3.1.0\""), "{doc}");
    drop(server);

    ca.assert_audited_in_order(&[
        "office.created office/hq",
        "office.created office/pref-01",
        "officer.created officer/hq-admin",
        "office.status_changed office/pref-01",
        "officer.created officer/hokkaido-1",
        "officer.token_issued officer/hokkaido-1",
    ]);
}

on_both_backends!(offices_officers_and_an_api_token);
