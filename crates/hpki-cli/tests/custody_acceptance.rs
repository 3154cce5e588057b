//! Issue #4, multi-person control: the CA keys under M-of-N custodians (2 of 3). With fewer
//! than M shares presented nothing is signed, with M it is; activation, deactivation and every
//! custodian's participation are in the audit log. On SQLite and PostgreSQL.

mod common;

use hpki_testkit::on_both_backends;

use common::{Ca, require_tool, sh};

const CUSTODIANS: [(&str, &str); 3] = [
    ("alice", "alice's passphrase"),
    ("bob", "bob's passphrase"),
    ("carol", "carol's passphrase"),
];
const SUBJECT: &str = r#"{"name_romaji":"Nichii Taro","name_kanji":"日医 太郎","subscriber_id":"CUST-0001","role":"Medical Doctor"}"#;

/// `hpki <args> --dir D` with the custodians' passphrases in the environment; `bob` may be
/// given a wrong one.
fn run(ca: &Ca, args: &[&str], bob: &str) -> (bool, String) {
    ca.run_with(
        args,
        &[
            ("HPKI_CUSTODIAN_PASSPHRASE_ALICE", CUSTODIANS[0].1),
            ("HPKI_CUSTODIAN_PASSPHRASE_BOB", bob),
            ("HPKI_CUSTODIAN_PASSPHRASE_CAROL", CUSTODIANS[2].1),
        ],
    )
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
    let server = ca.serve_with(true);
    let public = server.url.clone();
    let csr = ca.openssl_csr("doctor", 2048);
    let cert = ca.path("doctor.pem");
    let issue = || server.admin_issue(&ca, &csr, SUBJECT, &cert);
    assert_eq!(issue(), "409", "issuance before activation");
    assert!(
        sh(&format!(
            "curl -sS {public}/ca/sign.crt -o /dev/null -w '%{{http_code}}'"
        ))
        .contains("200")
    );

    let status = server.present_share(&ca, "alice", CUSTODIANS[0].1);
    assert!(status.contains("\"activated\":false"), "{status}");
    assert_eq!(issue(), "409", "issuance with one share of two");
    let refused = server.present_share(&ca, "bob", "wrong");
    assert!(refused.contains("cannot be opened"), "{refused}");
    assert_eq!(issue(), "409", "a refused share does not count");
    let status = server.present_share(&ca, "bob", right);
    assert!(status.contains("\"activated\":true"), "{status}");

    // Being on the machine is not a credential: without the operator's token, with a wrong
    // one, or with the token of an officer who is not a CA operator, nothing is done.
    let admin = server.admin_url.clone().expect("admin");
    let reception = ca
        .ok(&["officer", "token", "--login", "tokyo-reception"])
        .trim()
        .to_owned();
    for (credential, expected) in [
        (String::new(), "401"),
        ("-H 'authorization: Bearer 00112233'".to_owned(), "401"),
        (format!("-H 'authorization: Bearer {reception}'"), "403"),
    ] {
        assert_eq!(
            server.admin_issue_with(&ca, &csr, SUBJECT, &cert, &credential),
            expected,
            "{credential}"
        );
        let answer = std::fs::read_to_string(&cert).unwrap_or_default();
        assert!(
            !answer.contains("CERTIFICATE") && answer.contains("error_ja"),
            "nothing issued with {credential:?}: {answer}"
        );
        let (_, code) = common::sh_out(&format!(
            "curl -sS -o /dev/null -w '%{{http_code}}' -X DELETE {credential} {admin}/admin/activation"
        ));
        assert_eq!(code, expected, "deactivation with {credential:?}");
        let (_, code) = common::sh_out(&format!(
            "curl -sS -o /dev/null -w '%{{http_code}}' {credential} {admin}/admin/activation"
        ));
        assert_eq!(code, expected, "status with {credential:?}");
    }
    assert_eq!(
        issue(),
        "201",
        "issuance once activated, by the CA operator"
    );
    ca.verify_sign_chain(&cert);
    // OCSP answers for the certificate just issued.
    let ocsp = sh(&format!(
        "openssl ocsp -issuer '{}' -cert '{}' -url {public}/ocsp/sign -CAfile '{}'",
        ca.path("sign-ca.pem").display(),
        cert.display(),
        ca.path("root.pem").display()
    ));
    assert!(ocsp.contains(": good"), "{ocsp}");

    let status = server.deactivate();
    assert!(status.contains("\"activated\":false"), "{status}");
    assert_eq!(issue(), "409", "issuance after deactivation");

    // Guessing a custodian's passphrase: five refusals lock the custodian, and then even the
    // right passphrase is refused.
    for _ in 0..4 {
        let refused = server.present_share(&ca, "carol", "guess");
        assert!(refused.contains("cannot be opened"), "{refused}");
    }
    let refused = server.present_share(&ca, "carol", "guess");
    assert!(refused.contains("locked"), "{refused}");
    let refused = server.present_share(&ca, "carol", CUSTODIANS[2].1);
    assert!(refused.contains("locked"), "{refused}");
    drop(server);

    // Every action of the operator interface is audited as who did it.
    let audit = ca.ok(&["audit", "show"]);
    for (action, actor) in [
        ("custody.share_presented", "custodian:alice"),
        ("custody.share_refused", "custodian:carol"),
        ("certificate.issued", "officer:hq-operator@hq"),
        ("ca.deactivated", "officer:hq-operator@hq"),
    ] {
        assert!(
            audit
                .lines()
                .any(|l| l.contains(action) && l.contains(actor)),
            "{action} by {actor}:\n{audit}"
        );
    }

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
    ca.assert_audited_in_order(&[
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
    ]);
}

on_both_backends!(custodians_control_the_ca_keys);
