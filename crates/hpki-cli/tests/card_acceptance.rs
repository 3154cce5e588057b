//! Issue #4, the card: a 医師資格証 personalised on a PKCS#11 token (SoftHSM2), checked with
//! OpenSC's `pkcs11-tool` and openssl, through its whole life: PIN countdown and blocking,
//! unblocking with the RA's code, PIN change, card face, renewal on the same card, loss and
//! reissue. On SQLite and PostgreSQL.

mod common;

use hpki_testkit::on_both_backends;

use common::{Ca, SoftHsm, require_tool, sh, sh_out};

const HOLDER: &str = r#"{"name_romaji":"Taro Nichii","name_kanji":"日医 太郎","subscriber_id":"JMA9999999999","role":"Medical Doctor","organization_romaji":"Nichii Hospital","organization_kanji":"日医病院","birth_date":"1955-01-01","member_id":"9999999999","license_number":"TESTC00021"}"#;

/// `hpki card <args>` for commands that take no `--dir` (the doctor's side).
fn holder_side(hsm: &SoftHsm, args: &[&str], vars: &[(&str, &str)]) -> (bool, String) {
    let out = std::process::Command::new(common::hpki_bin())
        .arg("card")
        .args(args)
        .env(hsm.env().0, hsm.env().1)
        .env_remove("HPKI_CARD_PIN")
        .env_remove("HPKI_CARD_NEW_PIN")
        .env_remove("HPKI_PKCS11_MODULE")
        .envs(vars.iter().copied())
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run hpki");
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

fn card_id_of(out: &str) -> String {
    out.split_whitespace()
        .skip_while(|w| *w != "card")
        .nth(1)
        .filter(|id| id.starts_with("JMAC"))
        .unwrap_or_else(|| panic!("no card ID in: {out}"))
        .to_owned()
}

fn serials_of(out: &str) -> (String, String) {
    let after = |label: &str| {
        out.lines()
            .find(|l| l.contains(label))
            .and_then(|l| l.split_whitespace().last())
            .unwrap_or_else(|| panic!("no {label} in {out}"))
            .to_owned()
    };
    (
        after("signing certificate"),
        after("authentication certificate"),
    )
}

/// The certificate on the card, read with pkcs11-tool without logging in, as PEM.
fn read_card_certificate(ca: &Ca, hsm: &SoftHsm, card: &str, label: &str) -> std::path::PathBuf {
    let der = ca.path(&format!("{card}-{label}.der"));
    let pem = ca.path(&format!("{card}-{label}.pem"));
    let (ok, out) = hsm.pkcs11_tool(&format!(
        "--token-label {card} --read-object --type cert --label {label} -o '{}'",
        der.display()
    ));
    assert!(ok, "reading the certificate without a PIN: {out}");
    sh(&format!(
        "openssl x509 -inform DER -in '{}' -out '{}'",
        der.display(),
        pem.display()
    ));
    pem
}

/// The revoked serials of the signing CA's current CRL, checked by openssl.
fn revoked_in_crl(ca: &Ca, name: &str) -> String {
    let crl = ca.path(name);
    ca.ok(&["ca", "crl", "--ca", "sign", "--out", crl.to_str().unwrap()]);
    sh(&format!(
        "openssl crl -inform DER -in '{}' -CAfile '{}' -verify -noout -text",
        crl.display(),
        ca.path("sign-ca.pem").display()
    ))
    .to_lowercase()
}

fn a_card_is_personalised_used_blocked_unblocked_renewed_and_reissued(backend: common::Backend) {
    for tool in ["openssl", "pkcs11-tool", "pdftotext"] {
        require_tool(tool);
    }
    let hsm = SoftHsm::new();
    let ca = Ca::demo(backend);
    ca.set_env(hsm.env().0, &hsm.env().1);
    ca.export_chain();
    let holder = ca.write("holder.json", HOLDER);
    let photo = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../docs/card-face-front.png")
        .canonicalize()
        .expect("a PNG for the photo");

    // Personalisation: a bad PIN or holder record is refused before the card is touched.
    let (ok, out) = ca.run_with(
        &["card", "personalize", "--holder", holder.to_str().unwrap()],
        &[("HPKI_CARD_PIN", "12345")],
    );
    assert!(!ok && out.contains("4 digits"), "{out}");
    let bad = ca.write("bad.json", &HOLDER.replace("1955-01-01", "1955-02-30"));
    let (ok, out) = ca.run_with(
        &["card", "personalize", "--holder", bad.to_str().unwrap()],
        &[("HPKI_CARD_PIN", "1234")],
    );
    assert!(!ok && out.contains("birth_date"), "{out}");
    let (ok, out) = ca.run_with(
        &[
            "card",
            "personalize",
            "--holder",
            holder.to_str().unwrap(),
            "--photo",
            photo.to_str().unwrap(),
        ],
        &[("HPKI_CARD_PIN", "1234")],
    );
    assert!(ok, "{out}");
    let card = card_id_of(&out);
    assert_eq!(card.len(), 12, "JMAC + YMM + five digits: {card}");
    let (first_sign, _) = serials_of(&out);

    // The certificates are readable without a PIN; of the private keys only the
    // card-authentication key is listed without one (it signs without the PIN, to prove the
    // card is present); all are sensitive and never extractable.
    let (ok, objects) = hsm.pkcs11_tool(&format!("--token-label {card} --list-objects"));
    assert!(ok, "{objects}");
    assert!(objects.contains("Certificate Object") && objects.contains("hpki-sign"));
    assert_eq!(
        objects.matches("Private Key Object").count(),
        1,
        "{objects}"
    );
    assert!(objects.contains("hpki-card-auth"), "{objects}");
    let (ok, private) = hsm.pkcs11_tool(&format!(
        "--token-label {card} --login --pin 1234 --list-objects --type privkey"
    ));
    assert!(ok, "{private}");
    assert_eq!(
        private.matches("Private Key Object").count(),
        3,
        "{private}"
    );
    assert_eq!(private.matches("never extractable").count(), 3, "{private}");
    assert_eq!(private.matches("always sensitive").count(), 3, "{private}");
    assert!(
        !private.contains("unwrap") && !private.contains("decrypt"),
        "{private}"
    );
    // The certificate on the card verifies to the demo root, and certifies the card's key.
    let sign_pem = read_card_certificate(&ca, &hsm, &card, "hpki-sign");
    ca.verify_sign_chain(&sign_pem);
    let token_pub = ca.path("token-pub.der");
    let (ok, out) = hsm.pkcs11_tool(&format!(
        "--token-label {card} --read-object --type pubkey --label hpki-sign -o '{}'",
        token_pub.display()
    ));
    assert!(ok, "{out}");
    let cert_pub = sh_out(&format!(
        "openssl x509 -in '{}' -pubkey -noout | openssl pkey -pubin -outform DER | od -An -tx1",
        sign_pem.display()
    ))
    .1;
    let card_pub = sh(&format!(
        "openssl pkey -pubin -inform DER -in '{}' -outform DER | od -An -tx1",
        token_pub.display()
    ));
    assert_eq!(
        cert_pub, card_pub,
        "the certificate is not for the key on the card"
    );

    // Signing with the PIN: pkcs11-tool signs, openssl verifies with the certificate.
    let data = ca.write("referral.txt", "紹介状 / referral letter");
    let sig = ca.path("referral.sig");
    let sign_key_id = private
        .split("Private Key Object")
        .find(|o| o.contains("label:      hpki-sign"))
        .and_then(|o| o.lines().find(|l| l.trim_start().starts_with("ID:")))
        .and_then(|l| l.split_whitespace().nth(1))
        .unwrap_or_else(|| panic!("no ID of hpki-sign in {private}"))
        .to_owned();
    let (ok, out) = hsm.pkcs11_tool(&format!(
        "--token-label {card} --login --pin 1234 --sign --mechanism SHA256-RSA-PKCS --id {sign_key_id} -i '{}' -o '{}'",
        data.display(),
        sig.display()
    ));
    assert!(ok, "{out}");
    sh(&format!(
        "openssl x509 -in '{}' -pubkey -noout > '{}' && openssl dgst -sha256 -verify '{}' -signature '{}' '{}'",
        sign_pem.display(),
        ca.path("sign-pub.pem").display(),
        ca.path("sign-pub.pem").display(),
        sig.display(),
        data.display()
    ));
    let (ok, out) = holder_side(
        &hsm,
        &["sign-test", "--card-id", &card],
        &[("HPKI_CARD_PIN", "1234")],
    );
    assert!(ok && out.contains("verifies"), "{out}");

    // Wrong PINs count down from 15, then the PIN is blocked, even for the right one.
    for left in (1..15).rev() {
        let (ok, out) = holder_side(
            &hsm,
            &["sign-test", "--card-id", &card, "--key", "auth"],
            &[("HPKI_CARD_PIN", "0000")],
        );
        assert!(!ok && out.contains(&format!("{left} tries left")), "{out}");
    }
    let (ok, out) = holder_side(
        &hsm,
        &["sign-test", "--card-id", &card],
        &[("HPKI_CARD_PIN", "0000")],
    );
    assert!(!ok && out.contains("blocked"), "{out}");
    let (ok, out) = holder_side(
        &hsm,
        &["sign-test", "--card-id", &card],
        &[("HPKI_CARD_PIN", "1234")],
    );
    assert!(!ok && out.contains("blocked"), "{out}");
    let (_, info) = holder_side(&hsm, &["info", "--card-id", &card], &[]);
    assert!(info.contains("BLOCKED") && info.contains(&card), "{info}");

    // The RA unblocks with the code it holds (opened with the operator passphrase).
    let (ok, out) = ca.run_with(
        &["card", "unblock", "--card-id", &card],
        &[("HPKI_CARD_NEW_PIN", "5678")],
    );
    assert!(ok, "{out}");
    let (ok, out) = holder_side(
        &hsm,
        &["sign-test", "--card-id", &card],
        &[("HPKI_CARD_PIN", "5678")],
    );
    assert!(ok, "{out}");
    let (ok, out) = holder_side(
        &hsm,
        &["change-pin", "--card-id", &card],
        &[("HPKI_CARD_PIN", "5678"), ("HPKI_CARD_NEW_PIN", "2468")],
    );
    assert!(ok, "{out}");
    let (_, info) = holder_side(&hsm, &["info", "--card-id", &card], &[]);
    assert!(info.contains("15 of 15 tries left"), "{info}");

    // The card face, drawn from the register.
    let faces = ca.path("faces");
    ca.ok(&[
        "card",
        "face",
        "--card-id",
        &card,
        "--out-dir",
        faces.to_str().unwrap(),
    ]);
    let png = std::fs::read(faces.join("front.png")).expect("front.png");
    assert_eq!(&png[1..4], b"PNG");
    let (w, h) = (
        u32::from_be_bytes(png[16..20].try_into().unwrap()),
        u32::from_be_bytes(png[20..24].try_into().unwrap()),
    );
    assert_eq!((w, h), (1011, 638));
    let text = sh(&format!(
        "pdftotext '{}' -",
        faces.join("card.pdf").display()
    ));
    for expected in [
        "日医 太郎",
        "Taro Nichii",
        "昭和30年01月01日",
        "TESTC00021",
        &card,
    ] {
        assert!(
            text.contains(expected),
            "{expected} not in the card face:\n{text}"
        );
    }

    // Renewal re-keys the same card: new certificate, old one revoked (superseded).
    let (ok, out) = ca.run_with(
        &["card", "renew", "--card-id", &card],
        &[("HPKI_CARD_PIN", "2468")],
    );
    assert!(ok, "{out}");
    let (renewed_sign, _) = serials_of(&out);
    assert_ne!(renewed_sign, first_sign);
    let renewed_pem = read_card_certificate(&ca, &hsm, &card, "hpki-sign");
    ca.verify_sign_chain(&renewed_pem);
    assert!(
        sh(&format!(
            "openssl x509 -in '{}' -noout -serial",
            renewed_pem.display()
        ))
        .to_lowercase()
        .contains(&renewed_sign)
    );
    let (ok, objects) = hsm.pkcs11_tool(&format!(
        "--token-label {card} --login --pin 2468 --list-objects --type privkey"
    ));
    assert!(ok, "{objects}");
    assert_eq!(
        objects.matches("Private Key Object").count(),
        3,
        "old keys left: {objects}"
    );
    let crl = revoked_in_crl(&ca, "after-renewal.crl");
    assert!(
        crl.contains(&first_sign) && crl.contains("superseded"),
        "{crl}"
    );
    assert!(!crl.contains(&renewed_sign));

    // Loss: reissue revokes the lost card's certificates first, then issues a new card.
    let (ok, out) = ca.run_with(
        &["card", "reissue", "--lost-card-id", &card],
        &[("HPKI_CARD_PIN", "1357")],
    );
    assert!(ok, "{out}");
    let new_card = card_id_of(&out);
    assert_ne!(new_card, card);
    let new_sign = read_card_certificate(&ca, &hsm, &new_card, "hpki-sign");
    ca.verify_sign_chain(&new_sign);
    let crl = revoked_in_crl(&ca, "after-loss.crl");
    assert!(
        crl.contains(&renewed_sign) && crl.contains("key compromise"),
        "{crl}"
    );
    let list = ca.ok(&["card", "list"]);
    let status_of = |id: &str| {
        list.lines()
            .find(|l| l.starts_with(id))
            .and_then(|l| l.split_whitespace().nth(1))
            .unwrap_or_default()
            .to_owned()
    };
    assert_eq!(status_of(&card), "lost", "{list}");
    assert_eq!(status_of(&new_card), "active", "{list}");
    // A lost card cannot be renewed or unblocked.
    let (ok, out) = ca.run_with(
        &["card", "renew", "--card-id", &card],
        &[("HPKI_CARD_PIN", "2468")],
    );
    assert!(!ok && out.contains("lost"), "{out}");

    // Every step is in the audit log, which verifies.
    let audit = ca.ok(&["audit", "show"]);
    for action in [
        "card.personalization_started",
        "card.personalized",
        "card.unblocked",
        "card.renewed",
        "card.lost",
    ] {
        assert!(audit.contains(action), "{action} not audited");
    }
    assert!(ca.ok(&["audit", "verify"]).contains("intact"));
}

/// Where OpenSC's pkcs11-spy is: the PKCS#11 module that logs every call to the module under
/// it, the way an attacker's token would see them.
const PKCS11_SPY: &str = "/usr/lib/x86_64-linux-gnu/pkcs11/pkcs11-spy.so";

/// Issue "Issuance integrity": a lookalike token labelled with a genuine card ID, holding a PIN
/// counter, keys and copies of the genuine card's certificates, is refused for renewal and for
/// unblocking and receives nothing: no certificate is issued or revoked, and pkcs11-spy shows
/// that the unblocking code was never presented to it (no login as security officer), while
/// the genuine card still proves itself and is unblocked. Also: a second card for the same
/// doctor is refused, and a renewal late in the card's life gives certificates that end with
/// the card.
fn a_lookalike_token_is_refused_and_receives_nothing(backend: common::Backend) {
    for tool in ["openssl", "pkcs11-tool"] {
        require_tool(tool);
    }
    assert!(
        std::path::Path::new(PKCS11_SPY).exists(),
        "{PKCS11_SPY} (OpenSC) is required: run scripts/test.sh, which installs opensc"
    );
    let genuine = SoftHsm::new();
    let ca = Ca::demo(backend);
    ca.start_clock();
    ca.set_env(genuine.env().0, &genuine.env().1);
    ca.export_chain();
    let holder = ca.write("holder.json", HOLDER);
    let (ok, out) = ca.run_with(
        &["card", "personalize", "--holder", holder.to_str().unwrap()],
        &[("HPKI_CARD_PIN", "1234")],
    );
    assert!(ok, "{out}");
    let card = card_id_of(&out);
    let (sign, auth) = serials_of(&out);
    // One doctor, one active card.
    let (ok, out) = ca.run_with(
        &["card", "personalize", "--holder", holder.to_str().unwrap()],
        &[("HPKI_CARD_PIN", "1234")],
    );
    assert!(!ok && out.contains("holds the active card"), "{out}");

    // The lookalike, built with the tools anyone has.
    let fake = SoftHsm::new();
    fake.util(&format!(
        "--init-token --free --label {card} --so-pin attacker-so --pin 1234"
    ));
    let state = ca.path("state.bin");
    std::fs::write(&state, [1u8, 15, 15]).unwrap();
    let id_file = ca.write("card-id.txt", &card);
    for (file, label) in [(&state, "hpki-pin-state"), (&id_file, "hpki-card-id")] {
        let (ok, out) = fake.pkcs11_tool(&format!(
            "--token-label {card} --login --pin 1234 --write-object '{}' --type data --label {label}",
            file.display()
        ));
        assert!(ok, "{out}");
    }
    for (label, id) in [
        ("hpki-sign", "01"),
        ("hpki-auth", "02"),
        ("hpki-card-auth", "03"),
    ] {
        let (ok, out) = fake.pkcs11_tool(&format!(
            "--token-label {card} --login --pin 1234 --keypairgen --key-type rsa:2048 --label {label} --id {id}"
        ));
        assert!(ok, "{out}");
        if label == "hpki-card-auth" {
            continue;
        }
        let pem = read_card_certificate(&ca, &genuine, &card, label);
        let der = ca.path(&format!("copy-{label}.der"));
        sh(&format!(
            "openssl x509 -in '{}' -outform DER -out '{}'",
            pem.display(),
            der.display()
        ));
        let (ok, out) = fake.pkcs11_tool(&format!(
            "--token-label {card} --login --pin 1234 --write-object '{}' --type cert --label {label} --id {id}",
            der.display()
        ));
        assert!(ok, "{out}");
    }

    // Renewal with the lookalike in the reader: refused, nothing issued, nothing revoked.
    let before = ca.certificate_count();
    let fake_env = [("SOFTHSM2_CONF", fake.conf.to_str().unwrap())];
    let (ok, out) = ca.run_with(
        &["card", "renew", "--card-id", &card],
        &[fake_env[0], ("HPKI_CARD_PIN", "1234")],
    );
    assert!(
        !ok && out.contains("is not card") && out.contains("nothing was sent"),
        "{out}"
    );
    assert_eq!(ca.certificate_count(), before, "nothing issued");
    let crl = revoked_in_crl(&ca, "after-lookalike.crl");
    assert!(!crl.contains(&sign) && !crl.contains(&auth), "{crl}");

    // Unblocking with the lookalike in the reader, every PKCS#11 call logged.
    let spy_log = ca.path("spy-fake.log");
    let (ok, out) = ca.run_with(
        &["card", "unblock", "--card-id", &card],
        &[
            fake_env[0],
            ("HPKI_CARD_NEW_PIN", "5678"),
            ("HPKI_PKCS11_MODULE", PKCS11_SPY),
            ("PKCS11SPY", common::SOFTHSM2_MODULE),
            ("PKCS11SPY_OUTPUT", spy_log.to_str().unwrap()),
        ],
    );
    assert!(!ok && out.contains("is not card"), "{out}");
    let log = std::fs::read_to_string(&spy_log).expect("pkcs11-spy log");
    assert!(
        log.contains("C_GetTokenInfo"),
        "the spy saw the calls: {log}"
    );
    assert!(
        !log.contains("CKU_SO"),
        "the unblocking code was presented to the lookalike:\n{log}"
    );

    // The genuine card proves itself and is unblocked; the spy does see that login.
    let spy_log = ca.path("spy-genuine.log");
    let (ok, out) = ca.run_with(
        &["card", "unblock", "--card-id", &card],
        &[
            ("HPKI_CARD_NEW_PIN", "5678"),
            ("HPKI_PKCS11_MODULE", PKCS11_SPY),
            ("PKCS11SPY", common::SOFTHSM2_MODULE),
            ("PKCS11SPY_OUTPUT", spy_log.to_str().unwrap()),
        ],
    );
    assert!(ok, "{out}");
    let log = std::fs::read_to_string(&spy_log).expect("pkcs11-spy log");
    assert!(log.contains("CKU_SO"), "{log}");
    let audit = ca.ok(&["audit", "show"]);
    for action in [
        "card.bound",
        "card.proof_failed",
        "card.proved",
        "card.unblocked",
    ] {
        assert!(audit.contains(action), "{action} not audited");
    }
    assert!(ca.ok(&["audit", "verify"]).contains("intact"));
}

/// HPKI login with the card itself: an application issued onto a card through the
/// registration authority (so the doctor is in the subscriber register), the server's HTTPS
/// certificate from the root (`hpki ca tls-cert`), and `hpki card login` signing the TLS 1.2
/// handshake with the card's authentication key through PKCS#11: welcomed by name; a wrong PIN
/// signs nobody in; PyPI authlib and npm openid-client complete code + PKCE with the card as
/// the browser; `hpki check` proves the doctor to a phone with the card signing the challenge;
/// after `hpki card lost` the same card is refused, and checked as revoked.
fn the_card_signs_in_over_tls_until_it_is_reported_lost(backend: common::Backend) {
    for tool in ["curl", "openssl"] {
        require_tool(tool);
    }
    let hsm = SoftHsm::new();
    let ca = Ca::demo(backend);
    ca.set_env(hsm.env().0, &hsm.env().1);
    ca.export_chain();
    let api = common::Api::new(&ca, ca.serve());
    let form = serde_json::json!({
        "application_date": common::today().to_string(), "kind": "new",
        "name_kana_family": "ニチイ", "name_kana_given": "ハナコ",
        "name_kanji_family": "日医", "name_kanji_given": "花子",
        "name_romaji_family": "Nichii", "name_romaji_given": "Hanako",
        "birth_date": "1970-04-01", "sex": "female",
        "address": {"postal_code": "113-8621", "prefecture_code": 13, "city": "文京区本駒込2-28-16", "building": ""},
        "license_number": "TESTH00002", "license_registration_date": "1995-05-01",
        "membership": "non_member", "phone": "03-3946-2121", "delivery": "home"
    });
    let documents = serde_json::json!({"license": "original", "photo_id": "passport",
        "residence_certificate_issued": common::today().to_string(), "photo_received": true});
    let draft = api.call(
        "tokyo-reception",
        "POST",
        "/api/v1/applications",
        Some(serde_json::json!({"form": form, "documents": documents})),
    );
    let id = draft["id"].as_i64().expect("id").to_string();
    api.act("tokyo-reception", &id, "submit", serde_json::json!({}));
    api.approve(&id);
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
    let card = card_id_of(&out);

    let (cert, key) = (ca.path("tls.pem"), ca.path("tls.key"));
    ca.ok(&[
        "ca",
        "tls-cert",
        "--name",
        "127.0.0.1",
        "--cert-out",
        cert.to_str().unwrap(),
        "--key-out",
        key.to_str().unwrap(),
    ]);
    let server = ca.serve_tls(&cert, &key);
    let login_url = format!("{}/login/card", server.tls_url.as_deref().expect("TLS"));
    let root = ca.path("root.pem");
    let login = |pin: &str| {
        holder_side(
            &hsm,
            &[
                "login",
                "--card-id",
                &card,
                "--url",
                &login_url,
                "--ca-cert",
                root.to_str().unwrap(),
            ],
            &[("HPKI_CARD_PIN", pin)],
        )
    };
    let (ok, out) = login("1234");
    assert!(ok, "{out}");
    assert!(out.contains("ようこそ、日医花子 先生"), "{out}");
    let (ok, out) = login("9999");
    assert!(!ok, "a wrong PIN: {out}");

    // The real relying parties (PyPI authlib, npm openid-client) with the card itself as the
    // browser: `hpki card login --consent --url <authorization URL>` signs the handshake on the
    // card and hands the redirect back.
    let rp_dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../hpki-server/tests/rp");
    let issuer = server.tls_url.clone().expect("TLS");
    for (client, program, script) in [
        ("card-authlib", "python3", format!("{rp_dir}/authlib_rp.py")),
        ("card-node", "node", format!("{rp_dir}/node/rp.mjs")),
    ] {
        let added = ca.ok(&[
            "oidc",
            "client",
            "add",
            "--id",
            client,
            "--name",
            "連携先",
            "--redirect-uri",
            "http://127.0.0.1:9/callback",
        ]);
        let secret = added
            .lines()
            .find_map(|l| l.strip_prefix("client_secret: "))
            .expect("secret")
            .to_owned();
        let browser = serde_json::json!([
            common::hpki_bin(),
            "card",
            "login",
            "--card-id",
            card,
            "--ca-cert",
            root.to_str().unwrap(),
            "--consent",
            "--url"
        ]);
        let out = std::process::Command::new(program)
            .args([
                script.as_str(),
                &issuer,
                root.to_str().unwrap(),
                client,
                &secret,
                "http://127.0.0.1:9/callback",
                "-",
                "-",
                "openid profile hpki",
            ])
            .env("HPKI_CARD_BROWSER", browser.to_string())
            .env("HPKI_CARD_PIN", "1234")
            .env("NODE_EXTRA_CA_CERTS", &root)
            .env(hsm.env().0, hsm.env().1)
            .env_remove("HPKI_PKCS11_MODULE")
            .output()
            .expect("relying party runs");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "{program}: {text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_str(text.trim()).expect("JSON");
        assert_eq!(v["id_token"]["hc_role"], "Medical Doctor", "{v}");
        assert_eq!(v["userinfo"]["name"], "日医　花子", "{v}");
    }

    // The qualification check with the card, as a phone does it (`hpki check`): the card
    // signs the server's challenge with the PIN.
    let check = |vars: &[(&str, &str)], extra: &[&str]| {
        let out = std::process::Command::new(common::hpki_bin())
            .args(["check", "--card-id", &card, "--url", &issuer, "--ca-cert"])
            .arg(&root)
            .args(extra)
            .env(hsm.env().0, hsm.env().1)
            .env_remove("HPKI_CARD_PIN")
            .env_remove("HPKI_PKCS11_MODULE")
            .envs(vars.iter().copied())
            .stdin(std::process::Stdio::null())
            .output()
            .expect("hpki check");
        let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
        text.push_str(&String::from_utf8_lossy(&out.stderr));
        (out.status.code(), text)
    };
    let (code, out) = check(&[("HPKI_CARD_PIN", "1234")], &[]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("✔ 医師です"), "{out}");
    assert!(out.contains("カードの提示を確認しました"), "{out}");
    assert!(
        out.contains("氏名 / Name: 日医　花子"),
        "public by default: {out}"
    );
    assert!(!out.contains("生年月日"), "not public by default: {out}");
    assert!(out.contains("/check/r/"), "the page that shows it: {out}");
    let (code, out) = check(&[("HPKI_CARD_PIN", "1234")], &["--json"]);
    assert_eq!(code, Some(0), "{out}");
    let answer: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(answer["result"]["card_present"], true, "{answer}");
    let (code, out) = check(&[], &["--no-pin"]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("カードの提示は確認していません"), "{out}");
    let (code, out) = check(&[("HPKI_CARD_PIN", "9999")], &[]);
    assert_ne!(code, Some(0), "a wrong PIN proves nothing: {out}");

    let (ok, out) = ca.run_with(&["card", "lost", "--card-id", &card], &[]);
    assert!(ok, "{out}");
    let (ok, out) = login("1234");
    assert!(!ok, "a lost card: {out}");
    assert!(out.contains("証明書の失効確認"), "{out}");
    let (code, out) = check(&[], &["--no-pin"]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("✖ この医師資格証は失効しています"), "{out}");
    drop(server);
}

on_both_backends!(
    a_card_is_personalised_used_blocked_unblocked_renewed_and_reissued,
    a_lookalike_token_is_refused_and_receives_nothing,
    the_card_signs_in_over_tls_until_it_is_reported_lost
);
