//! `hpki pki validate-path` (issue 5, item 4) on a demo CA made by the real binary, on SQLite
//! and on PostgreSQL, its verdicts checked against `openssl verify`.

mod common;

use hpki_testkit::on_both_backends;

use std::process::{Command, Output};

use common::*;

const DOCTOR: &str = r#"{"name_romaji":"Taro Nichii","name_kanji":"日医　太郎","subscriber_id":"JMA0000001","role":"Medical Doctor","organization_romaji":"Nichii Hospital","organization_kanji":"日医病院"}"#;

on_both_backends!(
    valid_path_prints_path_policy_and_hc_role,
    wrong_policy_is_invalid_with_the_reason,
    revoked_by_crl_is_invalid,
    beyond_not_after_is_expired,
    ocsp_response_from_the_responder_decides,
);

/// `hpki pki validate-path <args…>` (no data directory).
fn validate_path(args: &[&str]) -> Output {
    Command::new(hpki_bin())
        .arg("pki")
        .arg("validate-path")
        .args(args)
        .output()
        .expect("run hpki")
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A demo CA with the chain exported and a doctor's signing certificate.
fn setup(b: Backend) -> (Ca, String, String, String, String) {
    let ca = Ca::demo(b);
    ca.export_chain();
    let (cert, serial) = ca.issue_doctor("sign", "doctor", DOCTOR);
    let p = |f: &str| ca.path(f).display().to_string();
    let (root, sign_ca) = (p("root.pem"), p("sign-ca.pem"));
    (ca, root, sign_ca, cert.display().to_string(), serial)
}

fn valid_path_prints_path_policy_and_hc_role(b: Backend) {
    let (ca, root, sign_ca, leaf, _) = setup(b);
    // As on the real MHLW chain, the signing CA asserts its own CA policy and the doctor's
    // certificate the HPKI signing policy: RFC 5280 with that policy explicit finds none valid
    // (openssl agrees, see Ca::verify_sign_chain) …
    let strict = validate_path(&[
        "--trust",
        &root,
        "--intermediate",
        &sign_ca,
        "--policy",
        SIGN_POLICY,
        "--explicit-policy",
        &leaf,
    ]);
    let (_, stderr) = text(&strict);
    assert_eq!(strict.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("no acceptable certificate policy"),
        "{stderr}"
    );
    // … and the path is valid, the certificate asserting the signing policy: what an HPKI
    // relying party checks.
    let out = validate_path(&[
        "--trust",
        &root,
        "--intermediate",
        &sign_ca,
        "--policy",
        SIGN_POLICY,
        &leaf,
    ]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    assert!(
        stdout.contains("[0] SERIALNUMBER=JMA0000001,CN=Taro Nichii"),
        "{stdout}"
    );
    assert!(
        stdout.contains("[1] CN=HPKI-01-JMASignCA-forNonRepudiation"),
        "{stdout}"
    );
    assert!(stdout.contains("MHLW HPKI Root CA"), "{stdout}");
    assert!(
        stdout.contains("valid policies / 有効なポリシー: none"),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!(
            "policies of the certificate / 証明書のポリシー: {SIGN_POLICY}"
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains("hcRole / 資格: Medical Doctor (医師)"),
        "{stdout}"
    );
    assert!(stdout.contains("日医　太郎"), "{stdout}");
    assert!(stdout.contains("VALID / 有効"), "{stdout}");
    // openssl agrees.
    ca.verify_sign_chain(std::path::Path::new(&leaf));

    // DER inputs work as well as PEM.
    let der = |pem: &str, name: &str| {
        let out = ca.path(name).display().to_string();
        sh(&format!(
            "openssl x509 -in '{pem}' -outform DER -out '{out}'"
        ));
        out
    };
    let (root_der, ca_der, leaf_der) = (
        der(&root, "root.der"),
        der(&sign_ca, "sign-ca.der"),
        der(&leaf, "leaf.der"),
    );
    let out = validate_path(&["--trust", &root_der, "--intermediate", &ca_der, &leaf_der]);
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));

    // Usage errors exit 2, as clap does: a bad OID, a bad time, no --trust, a missing file.
    for args in [
        vec!["--trust", &root, "--policy", "not-an-oid", &leaf],
        vec!["--trust", &root, "--at", "yesterday", &leaf],
        vec![&leaf],
        vec!["--trust", "/nonexistent/root.pem", &leaf],
    ] {
        let out = validate_path(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {:?}", text(&out));
    }
    // Without the intermediate there is no path to the root.
    let out = validate_path(&["--trust", &root, &leaf]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr.contains("no path to a trust anchor"), "{stderr}");
}

fn wrong_policy_is_invalid_with_the_reason(b: Backend) {
    let (ca, root, sign_ca, leaf, _) = setup(b);
    let out = validate_path(&[
        "--trust",
        &root,
        "--intermediate",
        &sign_ca,
        "--policy",
        AUTH_POLICY,
        "--explicit-policy",
        &leaf,
    ]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert!(stderr.contains("INVALID / 無効"), "{stderr}");
    assert!(
        stderr.contains("no acceptable certificate policy"),
        "{stderr}"
    );
    assert!(stderr.contains(AUTH_POLICY), "{stderr}");
    // openssl agrees.
    let (ok, _) = sh_out(&format!(
        "openssl verify -CAfile '{root}' -untrusted '{sign_ca}' -policy_check -explicit_policy -policy {AUTH_POLICY} '{leaf}'"
    ));
    assert!(!ok);
    // Without --explicit-policy the path is valid for no policy (RFC 5280 §6.1.5), as openssl.
    let out = validate_path(&[
        "--trust",
        &root,
        "--intermediate",
        &sign_ca,
        "--policy",
        AUTH_POLICY,
        &leaf,
    ]);
    let (stdout, _) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("valid policies / 有効なポリシー: none"),
        "{stdout}"
    );
    drop(ca);
}

fn revoked_by_crl_is_invalid(b: Backend) {
    let (ca, root, sign_ca, leaf, serial) = setup(b);
    let crl = |name: &str| {
        let out = ca.path(name).display().to_string();
        ca.ok(&["ca", "crl", "--ca", "sign", "--out", &out]);
        out
    };
    let before = crl("before.crl");
    let out = validate_path(&[
        "--trust",
        &root,
        "--intermediate",
        &sign_ca,
        "--crl",
        &before,
        &leaf,
    ]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    assert!(stdout.contains("[0] good / 有効 (CRL #1"), "{stdout}");

    ca.ok(&[
        "ca",
        "revoke",
        "--ca",
        "sign",
        "--serial",
        &serial,
        "--reason",
        "keyCompromise",
    ]);
    let after = crl("after.crl");
    let out = validate_path(&[
        "--trust",
        &root,
        "--intermediate",
        &sign_ca,
        "--crl",
        &after,
        &leaf,
    ]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert!(stdout.contains("[0] REVOKED / 失効"), "{stdout}");
    assert!(stderr.contains("was revoked at"), "{stderr}");
    assert!(stderr.contains("keyCompromise"), "{stderr}");
    assert!(stderr.contains(&serial), "{stderr}");
    // openssl agrees (it reads the DER CRL after conversion to PEM).
    let crl_pem = ca.path("after-crl.pem").display().to_string();
    sh(&format!(
        "openssl crl -inform DER -in '{after}' -out '{crl_pem}'"
    ));
    let (ok, out) = sh_out(&format!(
        "openssl verify -CAfile '{root}' -untrusted '{sign_ca}' -crl_check -CRLfile '{crl_pem}' '{leaf}'"
    ));
    assert!(!ok && out.contains("certificate revoked"), "{out}");
}

fn beyond_not_after_is_expired(b: Backend) {
    let (ca, root, sign_ca, leaf, _) = setup(b);
    // The demo's end-entity certificates are valid 730 days.
    let out = validate_path(&[
        "--trust",
        &root,
        "--intermediate",
        &sign_ca,
        "--at",
        "2099-01-01",
        &leaf,
    ]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert!(stderr.contains("expired at"), "{stderr}");
    assert!(stderr.contains("有効期限が切れています"), "{stderr}");
    assert!(stdout.contains("2099-01-01T00:00:00Z"), "{stdout}");
    // An RFC 3339 time with an offset inside the validity period is fine.
    let soon = sh("date -u -d '+1 day' +%Y-%m-%dT%H:%M:%S+09:00");
    let out = validate_path(&[
        "--trust",
        &root,
        "--intermediate",
        &sign_ca,
        "--at",
        soon.trim(),
        &leaf,
    ]);
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    // openssl agrees on expiry.
    let (ok, out) = sh_out(&format!(
        "openssl verify -CAfile '{root}' -untrusted '{sign_ca}' -attime 4070908800 '{leaf}'"
    ));
    assert!(!ok && out.contains("expired"), "{out}");
    drop(ca);
}

fn ocsp_response_from_the_responder_decides(b: Backend) {
    let (ca, root, sign_ca, leaf, serial) = setup(b);
    let server = ca.serve();
    let fetch = |name: &str| {
        let out = ca.path(name).display().to_string();
        sh(&format!(
            "openssl ocsp -issuer '{sign_ca}' -cert '{leaf}' -url {}/ocsp/sign -CAfile '{root}' -respout '{out}'",
            server.url
        ));
        out
    };
    let good = fetch("good.ocsp");
    let out = validate_path(&[
        "--trust",
        &root,
        "--intermediate",
        &sign_ca,
        "--ocsp",
        &good,
        &leaf,
    ]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    assert!(
        stdout.contains("[0] good / 有効 (OCSP by responder"),
        "{stdout}"
    );

    ca.ok(&[
        "ca",
        "revoke",
        "--ca",
        "sign",
        "--serial",
        &serial,
        "--reason",
        "privilegeWithdrawn",
    ]);
    let revoked = fetch("revoked.ocsp");
    let out = validate_path(&[
        "--trust",
        &root,
        "--intermediate",
        &sign_ca,
        "--ocsp",
        &revoked,
        &leaf,
    ]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert!(stderr.contains("privilegeWithdrawn"), "{stderr}");
}
