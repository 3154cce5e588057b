//! Issue #5, signing with the real `hpki sign` against a running `hpki serve` (TSA, CRLs,
//! OCSP), checked by the validators relying parties use. CAdES: the demo doctor 日医太郎 with
//! his software key up to B-LTA, and a 医師資格証 (SoftHSM2) after its PIN; `openssl cms
//! -verify` checks every signature. PAdES: a visible B-LTA signature that pdfsig (NSS trusting
//! the root) and pyHanko accept. XAdES: an enveloped B-LT signature and an e-prescription that
//! xmlsec1 accepts. On SQLite and PostgreSQL.

mod common;

use hpki_testkit::on_both_backends;

use std::path::Path;

use common::*;

on_both_backends!(
    the_demo_doctor_signs_up_to_lta_with_his_software_key,
    a_card_signs_after_its_pin_and_counts_wrong_ones,
    the_demo_doctor_signs_a_pdf_and_xml_documents,
);

const LETTER: &str = "診療情報提供書（紹介状）\n日医病院 内科 御侍史\n患者: 日医 花子 様\n";
const HOLDER: &str = r#"{"name_romaji":"Taro Nichii","name_kanji":"日医 太郎","subscriber_id":"JMA9999999999","role":"Medical Doctor","organization_romaji":"Nichii Hospital","organization_kanji":"日医病院","birth_date":"1955-01-01","member_id":"9999999999","license_number":"TESTC00021"}"#;

/// `openssl cms -verify` of a DER signature to the demo root (`-content` when detached).
fn openssl_verify(ca: &Ca, sig: &Path, content: Option<&Path>, options: &str) -> (bool, String) {
    let content = content
        .map(|c| format!("-content '{}'", c.display()))
        .unwrap_or_default();
    sh_out(&format!(
        "openssl cms -verify -binary -inform DER -in '{}' {content} -CAfile '{}' -purpose any {options} -out '{}' 2>&1",
        sig.display(),
        ca.path("root.pem").display(),
        ca.path("verified.out").display()
    ))
}

fn the_demo_doctor_signs_up_to_lta_with_his_software_key(b: Backend) {
    let (ca, server) = demo_served(b, &[]);
    let (key, cert) = demo_doctor(&ca);
    let letter = ca.write("letter.txt", LETTER);
    let sig = ca.path("letter.txt.p7s");
    let tsa = format!("{}/tsa", server.url);
    let (key, cert, root, sign_ca) = (
        key.to_str().unwrap().to_owned(),
        cert.to_str().unwrap().to_owned(),
        ca.path("root.pem").to_str().unwrap().to_owned(),
        ca.path("sign-ca.pem").to_str().unwrap().to_owned(),
    );
    let key_args = |extra: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = ["--key", &key, "--cert", &cert]
            .iter()
            .map(|s| s.to_string())
            .collect();
        v.extend(extra.iter().map(|s| s.to_string()));
        v
    };
    let run = |args: &[String], vars: &[(&str, &str)]| {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        hpki_sign(&ca, &args, vars)
    };

    // B-LTA, detached, the demo key opened with the operator passphrase (as in the README).
    let (ok, out) = run(
        &key_args(&[
            "--format",
            "cades",
            "--level",
            "lta",
            "--in",
            letter.to_str().unwrap(),
            "--out",
            sig.to_str().unwrap(),
            "--tsa",
            &tsa,
            "--trust",
            &root,
            "--passphrase-env",
            "HPKI_KEY_PASSPHRASE",
        ]),
        &[("HPKI_KEY_PASSPHRASE", PASSPHRASE)],
    );
    assert!(ok, "{out}");
    assert!(out.contains("CAdES B-LTA detached"), "{out}");
    assert!(out.contains("Taro Nichii"), "{out}");
    let (ok, out) = openssl_verify(&ca, &sig, Some(&letter), "");
    assert!(ok && out.contains("Verification successful"), "{out}");
    // Revocation by the CRLs the signature carries, for the whole chain.
    let (ok, out) = openssl_verify(&ca, &sig, Some(&letter), "-crl_check_all");
    assert!(ok && out.contains("Verification successful"), "{out}");
    let dump = sh(&format!(
        "openssl cms -cmsout -print -inform DER -in '{}'",
        sig.display()
    ));
    for (what, needle) in [
        ("signing-certificate-v2", "id-smime-aa-signingCertificateV2"),
        ("signature time-stamp", "id-smime-aa-timeStampToken"),
        ("CRL", "d.crl:"),
        ("OCSP (RFC 5940)", "1.3.6.1.5.5.7.16.2"),
        ("archive-time-stamp-v3", "0.4.0.1733.2.4"),
    ] {
        assert!(dump.contains(needle), "{what} missing");
    }
    // The server's TSA issued both time-stamps (signature and archive) and recorded them.
    let list = ca.ok(&["tsa", "list"]);
    assert_eq!(list.lines().count(), 1 + 2, "{list}");
    // A changed letter: openssl refuses.
    let changed = ca.write("changed.txt", &LETTER.replace("花子", "次郎"));
    let (ok, out) = openssl_verify(&ca, &sig, Some(&changed), "");
    assert!(!ok, "a changed letter must not verify: {out}");

    // Enveloping B-B with the passphrase in HPKI_SIGN_KEY_PASSPHRASE: the letter comes back.
    let p7m = ca.path("letter.p7m");
    let (ok, out) = run(
        &key_args(&[
            "--format",
            "cades",
            "--level",
            "b",
            "--enveloping",
            "--chain",
            &sign_ca,
            "--in",
            letter.to_str().unwrap(),
            "--out",
            p7m.to_str().unwrap(),
        ]),
        &[("HPKI_SIGN_KEY_PASSPHRASE", PASSPHRASE)],
    );
    assert!(ok && out.contains("CAdES B-B enveloping"), "{out}");
    let (ok, out) = openssl_verify(&ca, &p7m, None, "");
    assert!(ok && out.contains("Verification successful"), "{out}");
    assert_eq!(
        std::fs::read_to_string(ca.path("verified.out")).unwrap(),
        LETTER
    );

    // Refusals, before anything is signed or written.
    let nothing = ca.path("nothing.p7s");
    let base = |level: &str| {
        key_args(&[
            "--format",
            "cades",
            "--level",
            level,
            "--in",
            letter.to_str().unwrap(),
            "--out",
            nothing.to_str().unwrap(),
        ])
    };
    let (ok, out) = run(&base("t"), &[("HPKI_SIGN_KEY_PASSPHRASE", PASSPHRASE)]);
    assert!(
        !ok && out.contains("needs a time-stamping authority"),
        "{out}"
    );
    assert!(out.contains("--tsa"), "{out}");
    let (ok, out) = run(&base("b"), &[("HPKI_SIGN_KEY_PASSPHRASE", "wrong")]);
    assert!(!ok && out.contains("wrong passphrase"), "{out}");
    let mut pades = base("b");
    pades[5] = "pades".into();
    let (ok, out) = run(&pades, &[("HPKI_SIGN_KEY_PASSPHRASE", PASSPHRASE)]);
    assert!(
        !ok && out.contains("not a PDF"),
        "a letter is no PDF: {out}"
    );
    assert!(!nothing.exists());
    drop(server);
}

fn a_card_signs_after_its_pin_and_counts_wrong_ones(b: Backend) {
    require_tool("pkcs11-tool");
    let hsm = SoftHsm::new();
    let conf = hsm.conf.display().to_string();
    let (ca, server) = demo_served(b, &[(hsm.env().0, conf.as_str())]);
    let holder = ca.write("holder.json", HOLDER);
    let (ok, out) = ca.run_with(
        &["card", "personalize", "--holder", holder.to_str().unwrap()],
        &[("HPKI_CARD_PIN", "1234")],
    );
    assert!(ok, "{out}");
    let card = out
        .split_whitespace()
        .skip_while(|w| *w != "card")
        .nth(1)
        .filter(|id| id.starts_with("JMAC"))
        .unwrap_or_else(|| panic!("no card ID in {out}"))
        .to_owned();

    let letter = ca.write("letter.txt", LETTER);
    let sig = ca.path("card.p7s");
    let tsa = format!("{}/tsa", server.url);
    let args = |out: &Path| -> Vec<String> {
        [
            "--format",
            "cades",
            "--level",
            "lt",
            "--card",
            &card,
            "--chain",
            ca.path("sign-ca.pem").to_str().unwrap(),
            "--trust",
            ca.path("root.pem").to_str().unwrap(),
            "--tsa",
            &tsa,
            "--in",
            letter.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };
    let run = |args: &[String], pin: &str| {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        hpki_sign(&ca, &args, &[("HPKI_CARD_PIN", pin)])
    };
    let (ok, out) = run(&args(&sig), "1234");
    assert!(ok, "{out}");
    assert!(out.contains(&format!("card / カード {card}")), "{out}");
    assert!(out.contains("CAdES B-LT detached"), "{out}");
    let (ok, out) = openssl_verify(&ca, &sig, Some(&letter), "-crl_check_all");
    assert!(ok && out.contains("Verification successful"), "{out}");
    // The signer is the card's certificate.
    let signer = sh(&format!(
        "openssl cms -verify -binary -inform DER -in '{}' -content '{}' -CAfile '{}' -purpose any -signer '{}' -out /dev/null 2>&1 && openssl x509 -in '{}' -noout -subject",
        sig.display(),
        letter.display(),
        ca.path("root.pem").display(),
        ca.path("card-signer.pem").display(),
        ca.path("card-signer.pem").display()
    ));
    assert!(signer.contains("Taro Nichii"), "{signer}");

    // A wrong PIN: the card counts down, nothing is written.
    let wrong = ca.path("wrong.p7s");
    let (ok, out) = run(&args(&wrong), "0000");
    assert!(!ok && out.contains("14 tries left"), "{out}");
    assert!(out.contains("残り 14 回"), "{out}");
    assert!(!wrong.exists());
    let (ok, out) = run(&args(&wrong), "12345");
    assert!(!ok && out.contains("4 digits"), "{out}");
    // The right PIN still works (and resets the counter).
    let (ok, out) = run(&args(&wrong), "1234");
    assert!(ok, "{out}");
    drop(server);
}

/// PAdES and XAdES through the CLI, as the demo doctor with his software key.
fn the_demo_doctor_signs_a_pdf_and_xml_documents(b: Backend) {
    for tool in ["pdfsig", "certutil", "pyhanko", "xmlsec1"] {
        require_tool(tool);
    }
    let (ca, server) = demo_served(b, &[]);
    let (key, cert) = demo_doctor(&ca);
    let tsa = format!("{}/tsa", server.url);
    let signer = |format: &str, level: &str, input: &Path, out: &Path, extra: &[&str]| {
        let mut args = vec![
            "--format",
            format,
            "--level",
            level,
            "--in",
            input.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--key",
            key.to_str().unwrap(),
            "--cert",
            cert.to_str().unwrap(),
            "--chain",
        ];
        let chain = ca.path("sign-ca.pem");
        let root = ca.path("root.pem");
        args.push(chain.to_str().unwrap());
        args.extend(["--trust", root.to_str().unwrap(), "--tsa", &tsa]);
        args.extend(extra);
        let (ok, text) = hpki_sign(&ca, &args, &[("HPKI_SIGN_KEY_PASSPHRASE", PASSPHRASE)]);
        assert!(ok, "hpki sign {args:?}: {text}");
    };

    // PAdES B-LTA with a visible stamp, on a real PDF (the card face of the docs).
    let pdf = ca.path("card-face.pdf");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/card-face.pdf"),
        &pdf,
    )
    .expect("a PDF to sign");
    let signed_pdf = ca.path("card-face-signed.pdf");
    signer("pades", "lta", &pdf, &signed_pdf, &["--visible"]);
    let original = std::fs::read(&pdf).unwrap();
    let signed = std::fs::read(&signed_pdf).unwrap();
    assert!(signed.starts_with(&original), "an incremental update");
    let nss = ca.path("nss");
    std::fs::create_dir_all(&nss).unwrap();
    sh(&format!(
        "certutil -N --empty-password -d sql:'{}'",
        nss.display()
    ));
    sh(&format!(
        "certutil -A -n hpki-root -t C,C,C -i '{}' -d sql:'{}'",
        ca.path("root.pem").display(),
        nss.display()
    ));
    let (_, out) = sh_out(&format!(
        "pdfsig -nssdir sql:'{}' '{}'",
        nss.display(),
        signed_pdf.display()
    ));
    assert!(
        out.contains("Signature is Valid.") && out.contains("Certificate is Trusted."),
        "{out}"
    );
    let (ok, out) = sh_out(&format!(
        "pyhanko sign validate --trust-replace --trust '{}' '{}'",
        ca.path("root.pem").display(),
        signed_pdf.display()
    ));
    assert!(ok && out.contains("INTACT:TRUSTED"), "{out}");
    // hpki's own verifier: the stamp's font and appearance, the DSS and the document
    // time-stamp added after the signature do not change what it signed.
    let (ok, out) = sh_out(&format!(
        "'{}' verify '{}' --trust '{}' --no-fetch --lang en",
        hpki_bin(),
        signed_pdf.display(),
        ca.path("root.pem").display()
    ));
    assert!(ok && out.contains("PAdES B-LTA"), "{out}");

    // XAdES, enveloped, B-LT: xmlsec1 checks the references, the value and the chain.
    let xml = ca.write(
        "referral.xml",
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<紹介状><宛先>日医病院 内科</宛先><本文>よろしくお願いいたします。</本文></紹介状>\n",
    );
    let signed_xml = ca.path("referral-signed.xml");
    signer("xades", "lt", &xml, &signed_xml, &["--enveloping"]);
    let xmlsec = |file: &Path| {
        sh_out(&format!(
            "xmlsec1 --verify --trusted-pem '{}' --untrusted-pem '{}' \
             --id-attr:Id http://uri.etsi.org/01903/v1.3.2#:SignedProperties \
             --id-attr:Id http://www.w3.org/2000/09/xmldsig#:KeyInfo \
             --id-attr:id PrescriptionDocument '{}'",
            ca.path("root.pem").display(),
            ca.path("sign-ca.pem").display(),
            file.display()
        ))
    };
    let (ok, out) = xmlsec(&signed_xml);
    assert!(ok && out.contains("OK"), "{out}");
    let info =
        hpki_sign::xades::inspect(&std::fs::read_to_string(&signed_xml).unwrap()).expect("inspect");
    assert_eq!(info.level, hpki_sign::Level::Lt);

    // The e-prescription layout, B-T.
    let prescription = ca.write(
        "prescription.xml",
        &hpki_sign::xades::prescription_xml(
            "0000000000000000000000000000000001",
            "1,1,4,1\r\n101,1,1234567890,日医病院\r\n".as_bytes(),
        ),
    );
    let signed_prescription = ca.path("prescription-signed.xml");
    signer(
        "xades",
        "t",
        &prescription,
        &signed_prescription,
        &["--prescription"],
    );
    let (ok, out) = xmlsec(&signed_prescription);
    assert!(ok && out.contains("OK"), "{out}");
    let content = hpki_sign::xades::verify_prescription(
        &std::fs::read_to_string(&signed_prescription).unwrap(),
    )
    .expect("the prescription verifies");
    assert!(String::from_utf8_lossy(&content.1.csv).contains("日医病院"));
    drop(server);
}
