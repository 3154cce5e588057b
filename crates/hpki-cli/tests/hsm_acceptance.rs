//! Issue #4, CA keys in an HSM (SoftHSM2): generated in the token and never extractable, they
//! issue certificates openssl verifies; after the key ceremony the HSM opens only with the
//! custodians' secret, so the server refuses to sign with fewer than M shares and signs with M.
//! Everything is in the audit log. On SQLite and PostgreSQL.

mod common;

use hpki_testkit::on_both_backends;

use common::{Ca, SOFTHSM2_MODULE, SoftHsm, require_tool, sh};

const OPERATOR_PIN: &str = "operator-pin-1";
const SUBJECT: &str = r#"{"name_romaji":"Hanako Nichii","name_kanji":"日医 花子","subscriber_id":"HSM-0001","role":"Medical Doctor"}"#;
const CUSTODIANS: [(&str, &str); 3] = [
    ("HPKI_CUSTODIAN_PASSPHRASE_ALICE", "alice's passphrase"),
    ("HPKI_CUSTODIAN_PASSPHRASE_BOB", "bob's passphrase"),
    ("HPKI_CUSTODIAN_PASSPHRASE_CAROL", "carol's passphrase"),
];

fn ca_keys_in_an_hsm_under_custodians(backend: common::Backend) {
    for tool in ["openssl", "curl", "pkcs11-tool", "softhsm2-util"] {
        require_tool(tool);
    }
    let hsm = SoftHsm::new();
    hsm.util(&format!(
        "--init-token --free --label hpki-ca --so-pin hsm-so-pin --pin {OPERATOR_PIN}"
    ));
    let (conf_var, conf) = hsm.env();
    let ca = Ca::init_with(
        backend,
        true,
        &["--hsm-module", SOFTHSM2_MODULE, "--hsm-token", "hpki-ca"],
        &[(conf_var, &conf), ("HPKI_HSM_PIN", OPERATOR_PIN)],
    );

    // The CA keys are in the token, sensitive and never extractable; no key file was written
    // for them (the OCSP responders' keys stay in encrypted files).
    for ca_name in ["root", "sign", "auth"] {
        assert!(!ca.dir.join(format!("keys/{ca_name}.key.pem")).exists());
    }
    assert!(ca.dir.join("keys/sign-ocsp.key.pem").exists());
    let (ok, keys) = hsm.pkcs11_tool(&format!(
        "--token-label hpki-ca --login --pin {OPERATOR_PIN} --list-objects --type privkey"
    ));
    assert!(ok, "{keys}");
    for label in ["hpki-root", "hpki-sign", "hpki-auth"] {
        assert!(keys.contains(&format!("label:      {label}")), "{keys}");
    }
    assert_eq!(keys.matches("never extractable").count(), 3, "{keys}");

    // The signing CA's certificate is for the key in the HSM, and the HSM key issues a
    // certificate that openssl verifies to the root.
    ca.export_chain();
    let hsm_pub = ca.path("hsm-sign-pub.der");
    let (ok, out) = hsm.pkcs11_tool(&format!(
        "--token-label hpki-ca --read-object --type pubkey --label hpki-sign -o '{}'",
        hsm_pub.display()
    ));
    assert!(ok, "{out}");
    assert_eq!(
        sh(&format!(
            "openssl x509 -in '{}' -pubkey -noout | openssl pkey -pubin -outform DER | od -An -tx1",
            ca.path("sign-ca.pem").display()
        )),
        sh(&format!(
            "openssl pkey -pubin -inform DER -in '{}' -outform DER | od -An -tx1",
            hsm_pub.display()
        ))
    );
    let (cert, _) = ca.issue_doctor("sign", "doctor", SUBJECT);
    ca.verify_sign_chain(&cert);

    // Without the HSM PIN nothing is signed.
    ca.unset_env("HPKI_HSM_PIN");
    let csr = ca.openssl_csr("second", 2048);
    let subject = ca.write("second.json", SUBJECT);
    let issue = [
        "ca",
        "issue",
        "--ca",
        "sign",
        "--csr",
        csr.to_str().unwrap(),
        "--subject",
        subject.to_str().unwrap(),
        "--out",
        "/dev/null",
    ];
    let (ok, out) = ca.run_with(&issue, &[]);
    assert!(!ok && out.contains("HPKI_HSM_PIN"), "{out}");

    // The key ceremony moves the HSM under 2 of 3 custodians: the operator's PIN stops
    // opening it.
    let mut env = CUSTODIANS.to_vec();
    env.push(("HPKI_HSM_PIN", OPERATOR_PIN));
    let (ok, out) = ca.run_with(
        &[
            "ca",
            "ceremony",
            "--custodian",
            "alice,bob,carol",
            "--threshold",
            "2",
        ],
        &env,
    );
    assert!(ok, "{out}");
    let (ok, out) = hsm.pkcs11_tool(&format!(
        "--token-label hpki-ca --login --pin {OPERATOR_PIN} --list-objects --type privkey"
    ));
    assert!(!ok || !out.contains("Private Key Object"), "{out}");
    let (ok, out) = ca.run_with(&issue, &[("HPKI_HSM_PIN", OPERATOR_PIN)]);
    assert!(!ok && out.contains("not activated"), "{out}");
    // Two custodians on the command line sign.
    let (ok, out) = ca.run_with(
        &[&issue[..9], &[ca.path("second.pem").to_str().unwrap()]].concat(),
        &[
            CUSTODIANS[0],
            CUSTODIANS[2],
            ("HPKI_CUSTODIANS", "alice,carol"),
        ],
    );
    assert!(ok, "{out}");
    ca.verify_sign_chain(&ca.path("second.pem"));

    // The server refuses to sign until M custodians presented their shares.
    let server = ca.serve_with(true);
    let csr = ca.openssl_csr("third", 2048);
    let third = ca.path("third.pem");
    assert_eq!(server.admin_issue(&ca, &csr, SUBJECT, &third), "409");
    let status = server.present_share(&ca, "carol", CUSTODIANS[2].1);
    assert!(status.contains("\"activated\":false"), "{status}");
    assert_eq!(server.admin_issue(&ca, &csr, SUBJECT, &third), "409");
    let status = server.present_share(&ca, "bob", CUSTODIANS[1].1);
    assert!(status.contains("\"activated\":true"), "{status}");
    assert_eq!(server.admin_issue(&ca, &csr, SUBJECT, &third), "201");
    ca.verify_sign_chain(&third);
    let status = server.deactivate();
    assert!(status.contains("\"activated\":false"), "{status}");
    assert_eq!(server.admin_issue(&ca, &csr, SUBJECT, &third), "409");
    drop(server);

    ca.assert_audited_in_order(&[
        "ca.key_created root",
        "ca.key_created sign",
        "ca.key_created auth",
        "certificate.issued sign/",
        "custody.ceremony ca-keys",
        "custody.share_presented custodian/alice",
        "custody.share_presented custodian/carol",
        "ca.activated ca-keys",
        "certificate.issued sign/",
        "custody.share_presented custodian/carol",
        "custody.share_presented custodian/bob",
        "ca.activated ca-keys",
        "certificate.issued sign/",
        "ca.deactivated ca-keys",
    ]);
    let audit = ca.ok(&["audit", "show"]);
    assert!(
        audit.contains("\"hsm_keys\":[\"root\",\"sign\",\"auth\"]"),
        "the ceremony does not record the HSM keys: {audit}"
    );
}

on_both_backends!(ca_keys_in_an_hsm_under_custodians);
