//! Issue #4, multi-person control: the CA keys under M-of-N custodians (2 of 3). With fewer
//! than M shares presented nothing is signed, with M it is; activation, deactivation and every
//! custodian's participation are in the audit log. On SQLite and PostgreSQL.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use common::{Ca, PASSPHRASE, SIGN_POLICY, hpki_bin, require_tool, sh, sh_out};

const CUSTODIANS: [(&str, &str); 3] = [
    ("alice", "alice's passphrase"),
    ("bob", "bob's passphrase"),
    ("carol", "carol's passphrase"),
];
const SUBJECT: &str = r#"{"name_romaji":"Nichii Taro","name_kanji":"日医 太郎","subscriber_id":"CUST-0001","role":"Medical Doctor"}"#;

/// `hpki <args> --dir D` with the custodians' passphrases in the environment; `bob` may be
/// given a wrong one.
fn run(ca: &Ca, args: &[&str], bob: &str) -> (bool, String) {
    let out = Command::new(hpki_bin())
        .args(args)
        .args(["--dir", &ca.dir_arg()])
        .env("HPKI_KEY_PASSPHRASE", PASSPHRASE)
        .env("HPKI_CUSTODIAN_PASSPHRASE_ALICE", CUSTODIANS[0].1)
        .env("HPKI_CUSTODIAN_PASSPHRASE_BOB", bob)
        .env("HPKI_CUSTODIAN_PASSPHRASE_CAROL", CUSTODIANS[2].1)
        .env_remove("HPKI_DATABASE_URL")
        .env_remove("HPKI_CUSTODIANS")
        .stdin(Stdio::null())
        .output()
        .expect("run hpki");
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

/// A server process, killed when the test ends, passed or failed.
struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn audit_actions(ca: &Ca) -> Vec<String> {
    ca.ok(&["audit", "show"])
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("audit JSON");
            format!(
                "{} {}",
                v["action"].as_str().unwrap_or(""),
                v["object"].as_str().unwrap_or("")
            )
        })
        .collect()
}

fn verify_chain(ca: &Ca, cert: &std::path::Path) {
    sh(&format!(
        "openssl verify -CAfile '{}' -untrusted '{}' -policy_check -explicit_policy -policy {SIGN_POLICY} '{}'",
        ca.path("root.pem").display(),
        ca.path("sign-ca.pem").display(),
        cert.display()
    ));
}

fn custodians_control_the_ca_keys(backend: common::Backend) {
    require_tool("openssl");
    require_tool("curl");
    let ca = Ca::demo(backend);
    ca.export_chain();
    let right = CUSTODIANS[1].1;

    // The key ceremony: 2 of alice, bob, carol.
    let (ok, out) = run(
        &ca,
        &[
            "ca",
            "ceremony",
            "--custodian",
            "alice,bob,carol",
            "--threshold",
            "2",
        ],
        right,
    );
    assert!(ok, "{out}");
    for (name, _) in CUSTODIANS {
        assert!(ca.dir.join(format!("custody/{name}.share.json")).exists());
    }
    // A second ceremony is refused.
    let (ok, out) = run(&ca, &["ca", "ceremony", "--custodian", "alice,bob"], right);
    assert!(
        !ok && out.contains("already under custodian control"),
        "{out}"
    );

    // The operator passphrase alone no longer signs: no CRL, no certificate.
    let crl = ca.path("sign.crl");
    let (ok, out) = run(
        &ca,
        &["ca", "crl", "--ca", "sign", "--out", crl.to_str().unwrap()],
        right,
    );
    assert!(!ok && out.contains("not activated"), "{out}");
    // One custodian is not enough.
    let (ok, out) = run(
        &ca,
        &[
            "ca",
            "crl",
            "--ca",
            "sign",
            "--out",
            crl.to_str().unwrap(),
            "--custodian",
            "alice",
        ],
        right,
    );
    assert!(!ok && out.contains("not activated"), "{out}");
    // A wrong passphrase is refused, and says whose.
    let (ok, out) = run(
        &ca,
        &[
            "ca",
            "crl",
            "--ca",
            "sign",
            "--out",
            crl.to_str().unwrap(),
            "--custodian",
            "alice,bob",
        ],
        "not bob's",
    );
    assert!(!ok && out.contains("\"bob\" cannot be opened"), "{out}");
    // Two custodians sign; the CRL verifies under the sign CA.
    let (ok, out) = run(
        &ca,
        &[
            "ca",
            "crl",
            "--ca",
            "sign",
            "--out",
            crl.to_str().unwrap(),
            "--custodian",
            "carol,alice",
        ],
        right,
    );
    assert!(ok, "{out}");
    sh(&format!(
        "openssl crl -inform DER -in '{}' -CAfile '{}' -noout -verify",
        crl.display(),
        ca.path("sign-ca.pem").display()
    ));

    // The server: OCSP and CA certificates are served at once; issuance waits for activation.
    let mut child = Killed(
        Command::new(hpki_bin())
            .args(["serve", "--dir", &ca.dir_arg(), "--listen", "127.0.0.1:0"])
            .args(["--admin-listen", "127.0.0.1:0"])
            .env("HPKI_KEY_PASSPHRASE", PASSPHRASE)
            .env_remove("HPKI_CUSTODIANS")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn server"),
    );
    let mut lines = BufReader::new(child.0.stdout.take().expect("stdout")).lines();
    let mut urls = Vec::new();
    while urls.len() < 2 {
        let line = lines.next().expect("server output").expect("line");
        if let Some(u) = line.split_whitespace().find(|w| w.starts_with("http://")) {
            urls.push(u.trim_end_matches("/admin/").to_owned());
        }
    }
    let (public, admin) = (urls[0].clone(), urls[1].clone());
    let csr = ca.openssl_csr("doctor", 2048);
    let request = serde_json::json!({
        "csr": std::fs::read_to_string(&csr).expect("csr"),
        "subject": serde_json::from_str::<serde_json::Value>(SUBJECT).expect("subject"),
    });
    let request_file = ca.write("issue.json", &request.to_string());
    let cert = ca.path("doctor.pem");
    let issue = || {
        sh_out(&format!(
            "curl -sS -o '{}' -w '%{{http_code}}' -H 'content-type: application/json' --data-binary @'{}' {admin}/admin/issue/sign",
            cert.display(),
            request_file.display()
        ))
        .1
    };
    let present = |name: &str, pass: &str| {
        let body = ca.write(
            "presentation.json",
            &serde_json::json!({"custodian": name, "passphrase": pass}).to_string(),
        );
        sh(&format!(
            "curl -sS -H 'content-type: application/json' --data-binary @'{}' {admin}/admin/activation",
            body.display()
        ))
    };
    assert_eq!(issue(), "409", "issuance before activation");
    assert!(
        sh(&format!(
            "curl -sS {public}/ca/sign.crt -o /dev/null -w '%{{http_code}}'"
        ))
        .contains("200")
    );

    let status = present("alice", CUSTODIANS[0].1);
    assert!(status.contains("\"activated\":false"), "{status}");
    assert_eq!(issue(), "409", "issuance with one share of two");
    let refused = present("bob", "wrong");
    assert!(refused.contains("cannot be opened"), "{refused}");
    assert_eq!(issue(), "409", "a refused share does not count");
    let status = present("bob", right);
    assert!(status.contains("\"activated\":true"), "{status}");
    assert_eq!(issue(), "201", "issuance once activated");
    verify_chain(&ca, &cert);
    // OCSP answers for the certificate just issued.
    let ocsp = sh(&format!(
        "openssl ocsp -issuer '{}' -cert '{}' -url {public}/ocsp/sign -CAfile '{}'",
        ca.path("sign-ca.pem").display(),
        cert.display(),
        ca.path("root.pem").display()
    ));
    assert!(ocsp.contains(": good"), "{ocsp}");

    let status = sh(&format!("curl -sS -X DELETE {admin}/admin/activation"));
    assert!(status.contains("\"activated\":false"), "{status}");
    assert_eq!(issue(), "409", "issuance after deactivation");
    drop(child);

    // The operator interface stays on loopback.
    let (ok, out) = run(
        &ca,
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--admin-listen",
            "0.0.0.0:0",
        ],
        right,
    );
    assert!(!ok && out.contains("loopback"), "{out}");

    // Everything is in the audit log, in order, and the log verifies.
    let actions = audit_actions(&ca);
    let expected = [
        "custody.ceremony ca-keys",
        "custody.share_created custodian/alice",
        "custody.share_created custodian/bob",
        "custody.share_created custodian/carol",
        "custody.share_presented custodian/alice",
        "custody.share_refused custodian/bob",
        "custody.share_presented custodian/carol",
        "custody.share_presented custodian/alice",
        "ca.activated ca-keys",
        "crl.published",
        "custody.share_presented custodian/alice",
        "custody.share_refused custodian/bob",
        "custody.share_presented custodian/bob",
        "ca.activated ca-keys",
        "certificate.issued sign/",
        "ca.deactivated ca-keys",
    ];
    let mut next = 0;
    for a in &actions {
        if next < expected.len() && a.starts_with(expected[next]) {
            next += 1;
        }
    }
    assert_eq!(
        next,
        expected.len(),
        "audit log lacks {:?} (in order); it has:\n{}",
        expected.get(next),
        actions.join("\n")
    );
    assert!(ca.ok(&["audit", "verify"]).contains("intact"));
}

on_both_backends!(custodians_control_the_ca_keys);
