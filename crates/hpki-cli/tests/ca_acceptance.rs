//! The acceptance lines of the CA core issue, each checked by independent tools, on SQLite and
//! on PostgreSQL.

mod common;

use hpki_testkit::on_both_backends;

use common::*;

const DOCTOR: &str = r#"{"name_romaji":"Taro Nichii","name_kanji":"日医　太郎","subscriber_id":"JMA0000001","role":"Medical Doctor","organization_romaji":"Nichii Hospital","organization_kanji":"日医病院"}"#;

on_both_backends!(
    signing_certificate_chain_profile_and_lints,
    authentication_certificate_profile,
    ocsp_good_revoked_unknown_and_crl,
    bad_input_changes_nothing,
    director_role_needs_o_and_ou,
    batch_issuance_reports_each_file,
    concurrent_issuance_from_processes,
    audit_log_detects_tampering,
    production_path_csr_and_install,
);

/// openssl verifies the chain with policy checking; asn1parse shows hcRole; keyUsage is
/// critical nonRepudiation only; pkilint finds no error.
fn signing_certificate_chain_profile_and_lints(b: Backend) {
    let ca = Ca::demo(b);
    ca.export_chain();
    let (cert, _) = ca.issue_doctor("sign", "doctor", DOCTOR);
    let (root, sign_ca) = (ca.path("root.pem"), ca.path("sign-ca.pem"));

    verify_hpki_chain(&root, &sign_ca, &cert, SIGN_POLICY, "");
    // Built as the real MHLW chain: strict RFC 5280 with the HPKI policy explicit refuses it.
    assert_strict_policy_refused(&root, &sign_ca, &cert, SIGN_POLICY);
    // The same chain with a policy the CA does not assert must fail: the check is real.
    let (ok, out) = sh_out(&format!(
        "openssl verify -CAfile '{}' -untrusted '{}' -policy_check -explicit_policy -policy 1.2.3.4 '{}'",
        root.display(),
        sign_ca.display(),
        cert.display()
    ));
    assert!(!ok, "a foreign policy must not verify: {out}");

    // subjectDirectoryAttributes: find its extnValue and parse inside it.
    let dump = sh(&format!("openssl asn1parse -in '{}'", cert.display()));
    let lines: Vec<&str> = dump.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.contains("X509v3 Subject Directory Attributes"))
        .expect("SDA present");
    let offset: usize = lines[at + 1]
        .split(':')
        .next()
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let inner = sh(&format!(
        "openssl asn1parse -in '{}' -strparse {offset}",
        cert.display()
    ));
    assert!(inner.contains(":1.0.17090.0.1"), "{inner}");
    assert!(inner.contains(":1.2.392.100495.1.6.1.1"), "{inner}");
    assert!(inner.contains(":Medical Doctor"), "{inner}");

    let text = sh(&format!(
        "openssl x509 -in '{}' -noout -text",
        cert.display()
    ));
    let ku = text
        .lines()
        .position(|l| l.contains("X509v3 Key Usage: critical"))
        .expect("critical keyUsage");
    assert_eq!(text.lines().nth(ku + 1).unwrap().trim(), "Non Repudiation");
    assert!(text.contains("X509v3 Certificate Policies: critical"));
    assert!(
        !text.contains("Extended Key Usage"),
        "signing certificates carry no EKU"
    );
    assert!(text.contains("serialNumber = JMA0000001"));
    assert!(text.contains("/ocsp/sign"));
    assert!(text.contains("/crl/sign.crl"));

    for c in [&cert, &root, &sign_ca] {
        assert_eq!(
            pkilint_errors("lint_pkix_cert lint", c),
            Vec::<String>::new(),
            "pkilint on {}",
            c.display()
        );
    }
    // pkilint itself must be able to fail: a certificate with an empty name and a negative serial.
    let bad = ca.path("bad.pem");
    sh(&format!(
        "openssl req -x509 -newkey rsa:2048 -nodes -keyout '{}' -subj / -days 1 -set_serial -5 -out '{}'",
        ca.path("bad.key").display(),
        bad.display()
    ));
    assert!(
        !pkilint_errors("lint_pkix_cert lint", &bad).is_empty(),
        "pkilint must flag a bad certificate"
    );
}

fn authentication_certificate_profile(b: Backend) {
    let ca = Ca::demo(b);
    ca.export_chain();
    let (cert, _) = ca.issue_doctor("auth", "doctor-auth", DOCTOR);
    verify_hpki_chain(
        &ca.path("root.pem"),
        &ca.path("auth-ca.pem"),
        &cert,
        AUTH_POLICY,
        "-purpose sslclient",
    );
    let text = sh(&format!(
        "openssl x509 -in '{}' -noout -text",
        cert.display()
    ));
    let ku = text
        .lines()
        .position(|l| l.contains("X509v3 Key Usage: critical"))
        .expect("critical keyUsage");
    assert_eq!(
        text.lines().nth(ku + 1).unwrap().trim(),
        "Digital Signature"
    );
    assert!(text.contains("TLS Web Client Authentication"));
    assert!(text.contains("/ocsp/auth"));
    assert_eq!(
        pkilint_errors("lint_pkix_cert lint", &cert),
        Vec::<String>::new()
    );
    // The signing chain does not vouch for it.
    let (ok, _) = sh_out(&format!(
        "openssl verify -CAfile '{}' -untrusted '{}' '{}'",
        ca.path("root.pem").display(),
        ca.path("sign-ca.pem").display(),
        cert.display()
    ));
    assert!(!ok);
}

/// OCSP answers good, then revoked right after `hpki ca revoke`, unknown for an unknown
/// serial; the CRL verifies and lists the revoked serial; pkilint is clean on both.
fn ocsp_good_revoked_unknown_and_crl(b: Backend) {
    let ca = Ca::demo(b);
    ca.export_chain();
    let (cert, serial) = ca.issue_doctor("sign", "doctor", DOCTOR);
    let (root, sign_ca) = (ca.path("root.pem"), ca.path("sign-ca.pem"));
    let server = ca.serve();
    let ocsp = |target: &str, resp: &str| {
        sh(&format!(
            "openssl ocsp -issuer '{}' {target} -url {}/ocsp/sign -CAfile '{}' -respout '{}'",
            sign_ca.display(),
            server.url,
            root.display(),
            ca.path(resp).display()
        ))
    };
    let cert_arg = format!("-cert '{}'", cert.display());

    let good = ocsp(&cert_arg, "good.der");
    assert!(good.contains("Response verify OK"), "{good}");
    assert!(good.contains(": good"), "{good}");
    // Twice more without nonce (the cached path) and with nonce: still good.
    let again = ocsp(&format!("{cert_arg} -no_nonce"), "good2.der");
    assert!(again.contains(": good"), "{again}");
    assert_eq!(
        pkilint_errors("lint_ocsp_response lint", &ca.path("good.der")),
        Vec::<String>::new()
    );

    // RFC 5019 GET form.
    let req = ca.path("req.der");
    sh(&format!(
        "openssl ocsp -issuer '{}' {cert_arg} -no_nonce -reqout '{}'",
        sign_ca.display(),
        req.display()
    ));
    let b64 = sh(&format!("base64 -w0 '{}'", req.display()));
    let encoded: String = b64
        .trim()
        .replace('+', "%2B")
        .replace('/', "%2F")
        .replace('=', "%3D");
    let get = ca.path("get.der");
    sh(&format!(
        "curl -sf -o '{}' '{}/ocsp/sign/{encoded}'",
        get.display(),
        server.url
    ));
    let parsed = sh(&format!(
        "openssl ocsp -respin '{}' -issuer '{}' {cert_arg} -CAfile '{}'",
        get.display(),
        sign_ca.display(),
        root.display()
    ));
    assert!(parsed.contains(": good"), "{parsed}");

    // Revocation is the operator's act: without the operator passphrase nothing is revoked.
    let revoke = [
        "ca",
        "revoke",
        "--ca",
        "sign",
        "--serial",
        &serial,
        "--reason",
        "keyCompromise",
    ];
    let (ok, out) = ca.run_with(&revoke, &[("HPKI_KEY_PASSPHRASE", "not the passphrase")]);
    assert!(!ok, "{out}");
    let good = ocsp(&format!("{cert_arg} -no_nonce"), "still-good.der");
    assert!(good.contains(": good"), "{good}");
    // With it, and named in the audit log as the operator who did it.
    let (ok, out) = ca.run_with(&revoke, &[("HPKI_OPERATOR", "yamada")]);
    assert!(ok, "{out}");
    assert!(
        ca.ok(&["audit", "show"])
            .lines()
            .any(|l| l.contains("certificate.revoked") && l.contains("operator:yamada")),
        "the revocation is audited as its operator"
    );
    let revoked = ocsp(&format!("{cert_arg} -no_nonce"), "revoked.der");
    assert!(revoked.contains(": revoked"), "{revoked}");
    assert!(revoked.contains("keyCompromise"), "{revoked}");
    let revoked = ocsp(&cert_arg, "revoked-nonce.der");
    assert!(revoked.contains(": revoked"), "{revoked}");
    assert_eq!(
        pkilint_errors("lint_ocsp_response lint", &ca.path("revoked.der")),
        Vec::<String>::new()
    );

    let unknown = ocsp("-serial 0x1234567890abcdef", "unknown.der");
    assert!(unknown.contains(": unknown"), "{unknown}");

    // A second revocation of the same certificate is refused and changes nothing.
    let err = ca.fails(&[
        "ca",
        "revoke",
        "--ca",
        "sign",
        "--serial",
        &serial,
        "--reason",
        "superseded",
    ]);
    assert!(err.contains("already revoked"), "{err}");

    // CRL from the server (always current) and from the CLI.
    let crl = ca.path("sign.crl");
    sh(&format!(
        "curl -sf -o '{}' {}/crl/sign.crl",
        crl.display(),
        server.url
    ));
    let text = sh(&format!(
        "openssl crl -inform DER -in '{}' -CAfile '{}' -verify -noout -text",
        crl.display(),
        sign_ca.display()
    ));
    assert!(text.contains("verify OK"), "{text}");
    assert!(text.to_lowercase().contains(&serial), "{text}");
    assert!(text.contains("Key Compromise"), "{text}");
    assert_eq!(
        pkilint_errors("lint_crl lint -t CRL -p PKIX", &crl),
        Vec::<String>::new()
    );

    let cli_crl = ca.path("cli.crl");
    ca.ok(&[
        "ca",
        "crl",
        "--ca",
        "sign",
        "--out",
        cli_crl.to_str().unwrap(),
    ]);
    let text = sh(&format!(
        "openssl crl -inform DER -in '{}' -CAfile '{}' -verify -noout -text",
        cli_crl.display(),
        sign_ca.display()
    ));
    assert!(
        text.contains("verify OK") && text.to_lowercase().contains(&serial),
        "{text}"
    );

    // With the CRL, openssl's own revocation check rejects the certificate.
    let (ok, out) = sh_out(&format!(
        "openssl crl -inform DER -in '{}' -out '{}' && openssl verify -crl_check -CAfile '{}' -untrusted '{}' -CRLfile '{}' '{}'",
        cli_crl.display(),
        ca.path("cli-crl.pem").display(),
        root.display(),
        sign_ca.display(),
        ca.path("cli-crl.pem").display(),
        cert.display()
    ));
    assert!(!ok && out.contains("revoked"), "{out}");
    assert_eq!(
        sh(&format!(
            "curl -sf -o /dev/null -w '%{{http_code}}' {}/ca/root.crt",
            server.url
        ))
        .trim(),
        "200"
    );
}

fn bad_input_changes_nothing(b: Backend) {
    let ca = Ca::demo(b);
    let csr = ca.openssl_csr("d", 2048);
    let csr = csr.to_str().unwrap();
    let out = ca.path("never.pem");
    let out = out.to_str().unwrap();
    let before = (ca.audit_count(), ca.certificate_count());
    let issue = |subject: &str, csr: &str| {
        let s = ca.write("s.json", subject);
        ca.fails(&[
            "ca",
            "issue",
            "--ca",
            "sign",
            "--csr",
            csr,
            "--subject",
            s.to_str().unwrap(),
            "--out",
            out,
        ])
    };
    assert!(issue("{not json", csr).contains("JSON"));
    assert!(
        issue(
            r#"{"name_romaji":"A","name_kanji":"甲","subscriber_id":"1","role":"Wizard"}"#,
            csr
        )
        .contains("unknown role")
    );
    // A CSR whose signature does not verify: flip a byte inside the signature.
    let der = ca.path("d.der");
    sh(&format!(
        "openssl req -in '{csr}' -outform DER -out '{}'",
        der.display()
    ));
    let mut bytes = std::fs::read(&der).unwrap();
    let n = bytes.len();
    bytes[n - 10] ^= 0xff;
    std::fs::write(&der, &bytes).unwrap();
    assert!(issue(DOCTOR, der.to_str().unwrap()).contains("signature"));
    // Garbage CSR.
    let garbage = ca.write(
        "garbage.csr",
        "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n",
    );
    assert!(issue(DOCTOR, garbage.to_str().unwrap()).contains("CSR"));
    // RSA-1024 is refused.
    let weak = ca.openssl_csr("weak", 1024);
    assert!(issue(DOCTOR, weak.to_str().unwrap()).contains("2048"));
    // An EC key below P-256 is refused too.
    let p192 = ca.path("p192.csr");
    sh(&format!(
        "openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime192v1 -nodes -keyout '{}' -subj /CN=x -out '{}'",
        ca.path("p192.key").display(),
        p192.display()
    ));
    assert!(issue(DOCTOR, p192.to_str().unwrap()).contains("curve"));
    assert!(!std::path::Path::new(out).exists());
    assert_eq!(
        (ca.audit_count(), ca.certificate_count()),
        before,
        "refused requests must change nothing"
    );
    // Stronger keys are accepted: P-384 signed with SHA-256 (openssl's default).
    let p384 = ca.path("p384.csr");
    sh(&format!(
        "openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-384 -nodes -keyout '{}' -subj /CN=x -out '{}'",
        ca.path("p384.key").display(),
        p384.display()
    ));
    let s = ca.write("s.json", DOCTOR);
    ca.ok(&[
        "ca",
        "issue",
        "--ca",
        "sign",
        "--csr",
        p384.to_str().unwrap(),
        "--subject",
        s.to_str().unwrap(),
        "--out",
        out,
    ]);
    // init refuses to overwrite.
    let err = ca.fails(&["init", "--demo"]);
    assert!(err.contains("already exists"), "{err}");
}

fn director_role_needs_o_and_ou(b: Backend) {
    let ca = Ca::demo(b);
    let csr = ca.openssl_csr("dir", 2048);
    let s = ca.write("s.json", r#"{"name_romaji":"Hanako Nichii","name_kanji":"日医　花子","subscriber_id":"JMA0000002","role":["Medical Doctor","Director of Hospital"]}"#);
    let out = ca.path("dir.pem");
    let args = [
        "ca",
        "issue",
        "--ca",
        "sign",
        "--csr",
        csr.to_str().unwrap(),
        "--subject",
        s.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    assert!(ca.fails(&args).contains("organization"));
    ca.write("s.json", r#"{"name_romaji":"Hanako Nichii","name_kanji":"日医　花子","subscriber_id":"JMA0000002","role":["医師","病院長"],"organization_romaji":"Nichii Hospital","organization_kanji":"日医病院"}"#);
    ca.ok(&args);
    let text = sh(&format!(
        "openssl x509 -in '{}' -noout -subject -nameopt RFC2253",
        out.display()
    ));
    assert!(
        text.contains("OU=Director") && text.contains("O=Nichii Hospital"),
        "{text}"
    );
    let dump = sh(&format!("openssl asn1parse -in '{}'", out.display()));
    let lines: Vec<&str> = dump.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.contains("Subject Directory Attributes"))
        .unwrap();
    let offset: usize = lines[at + 1]
        .split(':')
        .next()
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let inner = sh(&format!(
        "openssl asn1parse -in '{}' -strparse {offset}",
        out.display()
    ));
    assert!(
        inner.contains(":Medical Doctor") && inner.contains(":Director of Hospital"),
        "{inner}"
    );
    assert_eq!(
        pkilint_errors("lint_pkix_cert lint", &out),
        Vec::<String>::new()
    );
}

fn batch_issuance_reports_each_file(b: Backend) {
    let ca = Ca::demo(b);
    let dir = ca.path("batch");
    std::fs::create_dir_all(&dir).unwrap();
    for i in 0..3 {
        sh(&format!(
            "openssl req -new -newkey rsa:2048 -nodes -keyout '{d}/d{i}.key' -subj /CN=x -out '{d}/d{i}.csr'",
            d = dir.display()
        ));
        std::fs::write(
            dir.join(format!("d{i}.json")),
            format!(r#"{{"name_romaji":"Doctor {}","name_kanji":"医師{i}","subscriber_id":"JMA00000{i}","role":"Medical Doctor"}}"#, ["Ichiro", "Jiro", "Saburo"][i]),
        )
        .unwrap();
    }
    // A fourth CSR with an unknown role fails alone.
    sh(&format!("cp '{d}/d0.csr' '{d}/e.csr'", d = dir.display()));
    std::fs::write(
        dir.join("e.json"),
        r#"{"name_romaji":"X","name_kanji":"X","subscriber_id":"9","role":"Wizard"}"#,
    )
    .unwrap();
    let out_dir = ca.path("batch-out");
    let batch = [
        "ca",
        "issue",
        "--ca",
        "sign",
        "--csr-dir",
        dir.to_str().unwrap(),
        "--out-dir",
        out_dir.to_str().unwrap(),
    ];
    let out = ca.run(&batch);
    assert!(
        !out.status.success(),
        "a failed file makes the batch exit non-zero"
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("3 issued, 0 issued before, 1 failed"),
        "{text}"
    );
    assert!(text.contains("e: FAILED"), "{text}");
    for i in 0..3 {
        assert!(out_dir.join(format!("d{i}.pem")).exists());
    }
    assert!(!out_dir.join("e.pem").exists());
    assert_eq!(ca.certificate_count(), 3);

    // A re-run (say after a kill) issues nothing twice: what the register holds for a key is
    // written again, a lost file included.
    let first: Vec<_> = (0..3)
        .map(|i| std::fs::read(out_dir.join(format!("d{i}.pem"))).unwrap())
        .collect();
    std::fs::remove_file(out_dir.join("d1.pem")).unwrap();
    let out = ca.run(&batch);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("0 issued, 3 issued before, 1 failed"),
        "{text}"
    );
    assert_eq!(ca.certificate_count(), 3, "no duplicate");
    for (i, pem) in first.iter().enumerate() {
        assert_eq!(
            &std::fs::read(out_dir.join(format!("d{i}.pem"))).unwrap(),
            pem
        );
    }

    // One key, two doctors: d1's key asked for by another subscriber is refused.
    let other = ca.path("other.json");
    std::fs::write(
        &other,
        r#"{"name_romaji":"Other Doctor","name_kanji":"別の医師","subscriber_id":"JMA000099","role":"Medical Doctor"}"#,
    )
    .unwrap();
    let (ok, text) = ca.run_with(
        &[
            "ca",
            "issue",
            "--ca",
            "sign",
            "--csr",
            dir.join("d1.csr").to_str().unwrap(),
            "--subject",
            other.to_str().unwrap(),
            "--out",
            ca.path("other.pem").to_str().unwrap(),
        ],
        &[],
    );
    assert!(!ok && text.contains("certified before"), "{text}");
    // And for the same doctor under the other CA.
    let (ok, text) = ca.run_with(
        &[
            "ca",
            "issue",
            "--ca",
            "auth",
            "--csr",
            dir.join("d1.csr").to_str().unwrap(),
            "--subject",
            dir.join("d1.json").to_str().unwrap(),
            "--out",
            ca.path("other.pem").to_str().unwrap(),
        ],
        &[],
    );
    assert!(!ok && text.contains("certified before"), "{text}");
    assert_eq!(ca.certificate_count(), 3);
}

/// Several processes issue at once: every certificate is stored, serials are unique, the audit
/// chain is intact.
fn concurrent_issuance_from_processes(b: Backend) {
    let ca = Ca::demo(b);
    const PROCS: usize = 4;
    const EACH: usize = 4;
    let mut children = Vec::new();
    for p in 0..PROCS {
        let dir = ca.path(&format!("p{p}"));
        std::fs::create_dir_all(&dir).unwrap();
        for i in 0..EACH {
            sh(&format!(
                "openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout '{d}/c{i}.key' -subj /CN=x -out '{d}/c{i}.csr'",
                d = dir.display()
            ));
            std::fs::write(
                dir.join(format!("c{i}.json")),
                format!(r#"{{"name_romaji":"Doctor P","name_kanji":"医師","subscriber_id":"P{p}I{i}","role":"Medical Doctor"}}"#),
            )
            .unwrap();
        }
        let out_dir = ca.path(&format!("p{p}-out"));
        children.push(
            std::process::Command::new(hpki_bin())
                .args([
                    "ca",
                    "issue",
                    "--ca",
                    "sign",
                    "--csr-dir",
                    dir.to_str().unwrap(),
                    "--out-dir",
                    out_dir.to_str().unwrap(),
                    "--dir",
                    &ca.dir_arg(),
                ])
                .env("HPKI_KEY_PASSPHRASE", PASSPHRASE)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap(),
        );
    }
    for c in children {
        let out = c.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let list = ca.ok(&["ca", "list", "--ca", "sign"]);
    let mut serials: Vec<&str> = list
        .lines()
        .filter(|l| l.starts_with("sign "))
        .map(|l| l.split_whitespace().nth(1).unwrap())
        .collect();
    assert_eq!(serials.len(), PROCS * EACH, "{list}");
    serials.sort();
    serials.dedup();
    assert_eq!(serials.len(), PROCS * EACH, "serials must be unique");
    assert!(ca.ok(&["audit", "verify"]).contains("intact"));
}

/// Every state change is in the audit log; changing or removing a record is detected and named.
fn audit_log_detects_tampering(b: Backend) {
    let ca = Ca::demo(b);
    let (_, serial) = ca.issue_doctor("sign", "doctor", DOCTOR);
    ca.ok(&["ca", "revoke", "--ca", "sign", "--serial", &serial]);
    ca.ok(&[
        "ca",
        "crl",
        "--ca",
        "sign",
        "--out",
        ca.path("c.crl").to_str().unwrap(),
    ]);
    let log = ca.ok(&["audit", "show"]);
    for action in [
        "ca.key_created",
        "ca.certificate_issued",
        "ca.certificate_installed",
        "certificate.issued",
        "certificate.revoked",
        "crl.published",
    ] {
        assert!(
            log.contains(&format!("\"action\":\"{action}\"")),
            "missing {action}: {log}"
        );
    }
    assert!(ca.ok(&["audit", "verify"]).contains("intact"));

    // Change the details of record 3.
    assert_eq!(
        exec_sql(
            &ca.db_url,
            "UPDATE audit_log SET details = '{\"forged\":true}' WHERE seq = 3"
        ),
        1
    );
    let out = ca.run(&["audit", "verify"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("record 3"), "{err}");

    // A fresh CA: remove a record in the middle.
    let ca = Ca::demo(b);
    assert_eq!(
        exec_sql(&ca.db_url, "DELETE FROM audit_log WHERE seq = 2"),
        1
    );
    let out = ca.run(&["audit", "verify"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("BROKEN"));
}

/// Without --demo: keys and CSRs for the real root; the root's certificates are installed;
/// issuance then chains to that root. The "real root" here is made by openssl.
fn production_path_csr_and_install(b: Backend) {
    let ca = Ca::init(b, false);
    let err = ca.fails(&[
        "ca",
        "issue",
        "--ca",
        "sign",
        "--csr",
        "x",
        "--subject",
        "y",
        "--out",
        "z",
    ]);
    assert!(
        err.contains("install-cert") || err.contains("no certificate"),
        "{err}"
    );
    let root_key = ca.path("mhlw.key");
    let root = ca.path("mhlw.pem");
    sh(&format!(
        "openssl req -x509 -newkey rsa:2048 -nodes -keyout '{}' -subj '/C=JP/O=MHLW test root/OU=MHLW HPKI Root CA' -days 3650 -out '{}' \
         -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign",
        root_key.display(),
        root.display()
    ));
    let ext = ca.write("ca.ext", &format!("basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\ncertificatePolicies={SIGN_POLICY},{AUTH_POLICY}\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n"));
    for name in ["sign", "auth"] {
        let csr = ca.path(&format!("{name}.csr"));
        ca.ok(&["ca", "csr", "--ca", name, "--out", csr.to_str().unwrap()]);
        sh(&format!(
            "openssl req -in '{}' -verify -noout",
            csr.display()
        ));
        let cert = ca.path(&format!("{name}-ca.pem"));
        sh(&format!(
            "openssl x509 -req -in '{}' -CA '{}' -CAkey '{}' -set_serial 0x{} -days 3650 -extfile '{}' -out '{}'",
            csr.display(),
            root.display(),
            root_key.display(),
            if name == "sign" { "1001" } else { "1002" },
            ext.display(),
            cert.display()
        ));
        // The other CA's certificate is refused for this CA's key.
        if name == "auth" {
            let err = ca.fails(&[
                "ca",
                "install-cert",
                "--ca",
                "auth",
                "--cert",
                ca.path("sign-ca.pem").to_str().unwrap(),
                "--root",
                root.to_str().unwrap(),
            ]);
            assert!(err.contains("key"), "{err}");
        }
        ca.ok(&[
            "ca",
            "install-cert",
            "--ca",
            name,
            "--cert",
            cert.to_str().unwrap(),
            "--root",
            root.to_str().unwrap(),
        ]);
    }
    let (cert, _) = ca.issue_doctor("sign", "doctor", DOCTOR);
    verify_hpki_chain(&root, &ca.path("sign-ca.pem"), &cert, SIGN_POLICY, "");
    // The OCSP responder works on the installed CA too.
    let server = ca.serve();
    let good = sh(&format!(
        "openssl ocsp -issuer '{}' -cert '{}' -url {}/ocsp/sign -CAfile '{}'",
        ca.path("sign-ca.pem").display(),
        cert.display(),
        server.url,
        root.display()
    ));
    assert!(
        good.contains(": good") && good.contains("Response verify OK"),
        "{good}"
    );
    assert!(ca.ok(&["audit", "verify"]).contains("intact"));
}

/// The README's run command: `hpki demo` creates the demo data directory with a demo doctor and
/// serves it; the demo doctor's certificate is good over OCSP and chains with policy checking.
#[test]
fn readme_demo_command_runs_the_product() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("demo-data");
    let mut child = std::process::Command::new(hpki_bin())
        .args([
            "demo",
            "--dir",
            dir.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
            "--tls-listen",
            "127.0.0.1:0",
        ])
        .env("HPKI_KEY_PASSPHRASE", PASSPHRASE)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (mut url, mut login) = (None, None);
    for line in std::io::BufRead::lines(std::io::BufReader::new(stdout)) {
        let line = line.unwrap();
        if let Some(u) = line.split_whitespace().find(|w| w.starts_with("http://")) {
            url.get_or_insert(u.to_owned());
        }
        if let Some(u) = line.split_whitespace().find(|w| w.starts_with("https://")) {
            login = Some(u.to_owned());
            break;
        }
    }
    let url = url.expect("demo prints its URL");
    let login = login.expect("demo prints its card login URL");
    let cert = dir.join("demo/taro-nichii-sign.pem");
    let root = tmp.path().join("root.pem");
    let sign = tmp.path().join("sign-ca.pem");
    sh(&format!(
        "curl -sf {url}/ca/root.crt | openssl x509 -inform DER -out '{}'",
        root.display()
    ));
    sh(&format!(
        "curl -sf {url}/ca/sign.crt | openssl x509 -inform DER -out '{}'",
        sign.display()
    ));
    verify_hpki_chain(&root, &sign, &cert, SIGN_POLICY, "");
    let good = sh(&format!(
        "openssl ocsp -issuer '{}' -cert '{}' -url {url}/ocsp/sign -CAfile '{}'",
        sign.display(),
        cert.display(),
        root.display()
    ));
    assert!(good.contains(": good"), "{good}");
    let page = sh(&format!("curl -sf {url}/"));
    assert!(page.contains("lang=\"ja\"") && page.contains("認証局"));
    // The demo doctor is in the register: his authentication key signs him in over HTTPS.
    let key = tmp.path().join("auth.key");
    sh(&format!(
        "openssl pkey -in '{}' -passin 'pass:{PASSPHRASE}' -out '{}'",
        dir.join("demo/taro-nichii-auth.key.pem").display(),
        key.display()
    ));
    let page = sh(&format!(
        "curl -sf --cacert '{}' --cert '{}' --key '{}' {login}",
        root.display(),
        dir.join("demo/taro-nichii-auth.pem").display(),
        key.display()
    ));
    assert!(page.contains("ようこそ、日医太郎 先生"), "{page}");
    let _ = child.kill();
    let _ = child.wait();
}
