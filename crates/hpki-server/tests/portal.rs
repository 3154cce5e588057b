//! The doctor's portal and the qualification check, driven from outside: curl is the doctor's
//! browser (the card's authentication certificate and key from files, a cookie jar), openssl
//! is the phone that makes the card sign the challenge, authlib is a relying party. On SQLite
//! and PostgreSQL.
//!
//! - Every viewer kind × every item: for four disclosure settings (the seed's defaults, すべて
//!   開示, すべて非開示, and a mixed one set box by box), what the API
//!   (`/api/v1/doctors/{id}`), the pages (`/doctors/{id}`, the portal's previews) and the
//!   OpenID claims (`hpki_profile`, by authlib) show agrees with the boxes: the doctor sees
//!   everything with a value, a member doctor (日医 花子, signed in with her card) the 会員向け
//!   column, the public the 一般向け column, a relying party what was consented.
//! - Profile edits: saved and audited; a value too long is refused in words and kept.
//! - Qualification check: a card that signs a fresh challenge is a doctor with the public
//!   profile; the same nonce again is refused; a signature by another key, a nurse, another CA,
//!   a revoked card, an expired one each say so; the portal's QR code works once, and not after
//!   its lifetime; the client over its rate gets 429.
//! - 紛失届 and a change of address from the portal, and the office's notices of both.

mod common;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use common::*;
use hpki_ca::CaName;
use hpki_disclosure::Item;
use hpki_login::client::ClientKind;
use hpki_testkit::Backend;
use serde_json::{Value, json};

/// curl as a browser: a cookie jar, optionally a client certificate and key.
#[derive(Clone)]
struct Browser {
    base: String,
    root: String,
    jar: PathBuf,
    cert: Option<(String, String)>,
}

impl Browser {
    fn new(w: &World, name: &str, cert: Option<(String, String)>) -> Browser {
        Browser {
            base: format!("https://{}", w.tls),
            root: w.root.clone(),
            jar: w._dir.path().join(format!("{name}.jar")),
            cert,
        }
    }

    /// GET (no form) or POST (a form) `path`; the status and the body.
    async fn request(&self, path: &str, form: Option<Vec<(String, String)>>) -> (u16, String) {
        let b = self.clone();
        let path = path.to_owned();
        tokio::task::spawn_blocking(move || {
            let jar = b.jar.display().to_string();
            let mut c = Command::new("curl");
            c.args(["-sS", "--cacert", &b.root, "-b", &jar, "-c", &jar]);
            c.args(["-w", "\n%{http_code}"]);
            if let Some((cert, key)) = &b.cert {
                c.args(["--cert", cert, "--key", key]);
            }
            for (k, v) in form.iter().flatten() {
                c.args(["--data-urlencode", &format!("{k}={v}")]);
            }
            c.arg(format!("{}{path}", b.base));
            let out = c.output().expect("curl");
            assert!(
                out.status.success(),
                "curl: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let text = String::from_utf8(out.stdout).expect("utf-8");
            let (body, status) = text.rsplit_once('\n').expect("status");
            (status.parse().expect("status"), body.to_owned())
        })
        .await
        .expect("join")
    }

    async fn get(&self, path: &str) -> (u16, String) {
        self.request(path, None).await
    }

    async fn post(&self, path: &str, form: &[(&str, &str)]) -> (u16, String) {
        let form = form
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        self.request(path, Some(form)).await
    }

    async fn json(&self, path: &str, body: Option<&Value>) -> Value {
        let b = self.clone();
        let path = path.to_owned();
        let body = body.map(Value::to_string);
        tokio::task::spawn_blocking(move || {
            let jar = b.jar.display().to_string();
            let mut c = Command::new("curl");
            c.args(["-sS", "--cacert", &b.root, "-b", &jar]);
            if let Some(body) = &body {
                c.args(["-H", "Content-Type: application/json", "--data", body]);
            }
            c.arg(format!("{}{path}", b.base));
            let out = c.output().expect("curl");
            serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
                panic!(
                    "{path}: {e}: {}{}",
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr)
                );
            })
        })
        .await
        .expect("join")
    }
}

/// The value of the hidden `csrf` field of a page.
fn csrf(page: &str) -> String {
    let at = page.find("name=\"csrf\" value=\"").expect("csrf field") + 19;
    page[at..].split('"').next().expect("value").to_owned()
}

/// The item keys a page shows (`data-item` of its rows).
fn page_items(page: &str) -> BTreeSet<String> {
    page.split("data-item=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .map(str::to_owned)
        .collect()
}

fn api_items(v: &Value) -> BTreeSet<String> {
    v["items"]
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default()
}

/// A disclosure setting, as the test sets it and expects it.
#[derive(Clone, Copy, Debug)]
enum Setting {
    /// Nothing changed.
    Defaults,
    /// すべて開示.
    All,
    /// すべて非開示.
    None,
    /// Box by box: 会員向け for every other item, 一般向け for every third.
    Mixed,
}

impl Setting {
    /// (会員向け, 一般向け) of `item`, as the seed's screen and the buttons define it.
    fn boxes(self, index: usize, item: Item) -> (bool, bool) {
        match self {
            Setting::Defaults => match item {
                Item::Name | Item::Sex | Item::ResidenceArea | Item::ActivityArea => (true, true),
                Item::BirthDate | Item::Societies => (true, false),
                _ => (false, false),
            },
            Setting::All => (true, true),
            Setting::None => (false, false),
            Setting::Mixed => (index.is_multiple_of(2), index.is_multiple_of(3)),
        }
    }
}

/// Sets `setting` through the disclosure page, as the doctor clicks.
async fn set(taro: &Browser, setting: Setting) {
    let (status, page) = taro.get("/portal/disclosure").await;
    assert_eq!(status, 200, "{page}");
    let token = csrf(&page);
    let mut form: Vec<(String, String)> = vec![("csrf".into(), token)];
    match setting {
        Setting::Defaults => return,
        Setting::All => form.push(("action".into(), "all_on".into())),
        Setting::None => form.push(("action".into(), "all_off".into())),
        Setting::Mixed => {
            form.push(("action".into(), "save".into()));
            for (i, item) in Item::ALL.iter().enumerate() {
                let (m, p) = setting.boxes(i, *item);
                if m {
                    form.push((format!("m.{}", item.key()), "1".into()));
                }
                if p {
                    form.push((format!("p.{}", item.key()), "1".into()));
                }
            }
        }
    }
    let (status, page) = taro.request("/portal/disclosure", Some(form)).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("開示設定を保存しました"), "{page}");
}

async fn walk_every_viewer_and_item(w: &World, taro: &Browser, hanako: &Browser) {
    let provider = hpki_provider::Provider::new(w.engine.clone());
    let (client, secret) = register(
        &provider,
        "network",
        "地域医療連携ネットワーク",
        REDIRECT_URI,
        ClientKind::Confidential,
    )
    .await;
    let secret = secret.expect("secret");
    let public = Browser::new(w, "public", None);
    let doctor = format!("/api/v1/doctors/{}", w.subscriber_id);
    let page = format!("/doctors/{}", w.subscriber_id);

    // What Taro has a value for: the holder sees exactly that.
    let has: BTreeSet<String> = api_items(&taro.json(&doctor, None).await);
    for key in [
        "name",
        "sex",
        "birth_date",
        "age",
        "license_number",
        "member_id",
        "address",
    ] {
        assert!(has.contains(key), "{key} from issuance: {has:?}");
    }
    for key in ["residence_area", "activity_area", "societies", "career"] {
        assert!(has.contains(key), "{key} from the profile: {has:?}");
    }
    assert!(!has.contains("email"), "no e-mail was given: {has:?}");
    assert!(!has.contains("workplace"), "never entered: {has:?}");

    for setting in [
        Setting::Defaults,
        Setting::All,
        Setting::None,
        Setting::Mixed,
    ] {
        set(taro, setting).await;
        let column = |members: bool| -> BTreeSet<String> {
            Item::ALL
                .iter()
                .enumerate()
                .filter(|(i, item)| {
                    let (m, p) = setting.boxes(*i, **item);
                    if members { m } else { p }
                })
                .map(|(_, item)| item.key().to_owned())
                .filter(|k| has.contains(k))
                .collect()
        };
        let (members, everyone) = (column(true), column(false));

        let api_holder = taro.json(&doctor, None).await;
        assert_eq!(api_holder["viewer"], "holder");
        assert_eq!(api_items(&api_holder), has, "{setting:?}: holder");
        let api_member = hanako.json(&doctor, None).await;
        assert_eq!(api_member["viewer"], "member");
        assert_eq!(api_items(&api_member), members, "{setting:?}: member API");
        let api_public = public.json(&doctor, None).await;
        assert_eq!(api_public["viewer"], "public");
        assert_eq!(api_items(&api_public), everyone, "{setting:?}: public API");

        let (_, p) = hanako.get(&page).await;
        assert_eq!(page_items(&p), members, "{setting:?}: member page");
        let (_, p) = public.get(&page).await;
        assert_eq!(page_items(&p), everyone, "{setting:?}: public page");
        let (_, p) = taro.get(&page).await;
        assert_eq!(page_items(&p), has, "{setting:?}: the doctor's own page");
        let (_, p) = taro.get("/portal/preview?as=member").await;
        assert_eq!(page_items(&p), members, "{setting:?}: member preview");
        let (_, p) = taro.get("/portal/preview?as=public").await;
        assert_eq!(page_items(&p), everyone, "{setting:?}: public preview");

        // A relying party with the doctor's consent to profile, the licence number and the
        // member profile: the name and the licence by consent, the rest by the 会員向け column
        // (never the photo); `hpki_profile` holds everything it may see.
        let rp = authlib(
            w,
            (&client.client_id, &secret),
            "openid profile hpki hpki_license hpki_profile",
            true,
        )
        .await;
        let userinfo = &rp["userinfo"];
        let profile: BTreeSet<String> = userinfo["hpki_profile"]
            .as_object()
            .unwrap_or_else(|| panic!("hpki_profile claim: {userinfo}"))
            .keys()
            .cloned()
            .collect();
        let expected: BTreeSet<String> = members
            .iter()
            .map(String::as_str)
            .chain(["name", "license_number"])
            .filter(|k| *k != "photo" && has.contains(*k))
            .map(str::to_owned)
            .collect();
        assert_eq!(profile, expected, "{setting:?}: OIDC hpki_profile");
        assert_eq!(
            userinfo["name"], "日医　太郎",
            "{setting:?}: name by consent"
        );
        assert_eq!(
            userinfo["hpki_license_number"], "123456",
            "{setting:?}: licence by consent"
        );
        assert_eq!(rp["id_token"]["hpki_profile"], userinfo["hpki_profile"]);
    }
    // And back to the defaults for what follows: すべて非開示 then the seed's boxes.
    set(taro, Setting::None).await;
}

async fn edit_profile(taro: &Browser) {
    let (status, page) = taro.get("/portal/profile").await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("医籍登録番号"), "{page}");
    assert!(page.contains("123456"), "{page}");
    let token = csrf(&page);
    let (status, page) = taro
        .post(
            "/portal/profile",
            &[
                ("csrf", &token),
                ("f.residence_area", "東京都"),
                ("f.activity_area", "文京区"),
                ("f.societies", "日本内科学会"),
                ("f.career", "1980年 医籍登録\r\n1990年 日医病院"),
            ],
        )
        .await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("プロフィールを保存しました"), "{page}");
    assert!(page.contains("1990年 日医病院"), "{page}");

    // Too long: refused in words, what was typed kept, nothing saved.
    let long = "東".repeat(41);
    let (status, page) = taro
        .post(
            "/portal/profile",
            &[
                ("csrf", &token),
                ("f.residence_area", &long),
                ("f.workplace", "日医病院"),
            ],
        )
        .await;
    assert_eq!(status, 400, "{page}");
    assert!(page.contains("居住地域は40文字までです"), "{page}");
    assert!(page.contains(&long), "typed value kept: {page}");
    // An item from issuance cannot be changed here.
    let (status, page) = taro
        .post("/portal/profile", &[("csrf", &token), ("f.name", "別人")])
        .await;
    assert_eq!(status, 400, "{page}");
    assert!(page.contains("記載事項変更"), "{page}");
    // Without the form's token: refused.
    let (status, _) = taro
        .post("/portal/profile", &[("f.residence_area", "大阪府")])
        .await;
    assert_eq!(status, 403);
    let (_, page) = taro.get("/portal/profile").await;
    assert!(
        page.contains("東京都") && !page.contains("大阪府"),
        "{page}"
    );

    // The disclosure page: the seed's defaults, and (未登録です) where there is no value.
    let (_, page) = taro.get("/portal/disclosure").await;
    for label in [
        "会員向け",
        "一般向け",
        "すべて開示",
        "すべて非開示",
        "医療方針など自由コメント",
    ] {
        assert!(page.contains(label), "{label}: {page}");
    }
    assert!(page.contains(r#"name="m.name" value="1""#), "{page}");
    assert!(page.contains("(未登録です)"), "{page}");
    assert!(
        !page.contains(r#"name="m.workplace""#),
        "no box without a value: {page}"
    );
}

/// A change of address from the portal: refused in words when the postal code is wrong (what
/// was typed kept), else a draft 記載事項変更 application at the doctor's office, by the doctor.
async fn request_change(w: &World, taro: &Browser) {
    let (status, page) = taro.get("/portal/change").await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("文京区本駒込2-28-16"),
        "the current address: {page}"
    );
    let token = csrf(&page);
    let (status, page) = taro
        .post(
            "/portal/change",
            &[
                ("csrf", &token),
                ("postal_code", "12-34"),
                ("prefecture_code", "27"),
                ("city", "大阪市北区梅田1-1"),
            ],
        )
        .await;
    assert_eq!(status, 400, "{page}");
    assert!(page.contains("郵便番号は7桁"), "{page}");
    assert!(
        page.contains("大阪市北区梅田1-1"),
        "typed value kept: {page}"
    );
    let (status, page) = taro
        .post(
            "/portal/change",
            &[
                ("csrf", &token),
                ("postal_code", "５３０－０００１"),
                ("prefecture_code", "27"),
                ("city", "大阪市北区梅田1-1"),
                ("building", ""),
            ],
        )
        .await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("住所変更を申請しました"), "{page}");
    let store = &w.engine.store;
    let apps = store
        .applications_with_license("123456")
        .await
        .expect("apps");
    let draft = apps.last().expect("the request");
    assert_eq!(draft.stage, "draft");
    assert_eq!(draft.office_id, apps[0].office_id, "at the doctor's office");
    let form: Value = serde_json::from_str(&draft.form).expect("form");
    assert_eq!(form["kind"], "change");
    assert_eq!(form["address"]["postal_code"], "530-0001");
    assert_eq!(form["address"]["prefecture_code"], 27);
    let records = store.audit_records().await.expect("audit");
    assert!(
        records
            .iter()
            .any(|r| r.action == "application.change_requested"
                && r.actor == format!("subscriber/{}", w.subscriber_id))
    );
}

/// Signs `nonce` as the card would (openssl with the key file: the phone's part).
async fn card_signs(key: &str, nonce: &str, dir: &std::path::Path) -> String {
    let message = dir.join("challenge.txt");
    std::fs::write(&message, format!("hpki-qualification-check:{nonce}")).expect("write");
    let key = key.to_owned();
    let out = tokio::task::spawn_blocking(move || {
        Command::new("openssl")
            .args(["dgst", "-sha256", "-sign", &key])
            .arg(&message)
            .output()
            .expect("openssl")
    })
    .await
    .expect("join");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    STANDARD.encode(out.stdout)
}

/// A challenge's nonce from the server, as the phone asks for it.
async fn fresh_nonce(phone: &Browser) -> String {
    phone
        .json("/api/v1/qualification/challenge", Some(&json!({})))
        .await["nonce"]
        .as_str()
        .expect("nonce")
        .to_owned()
}

fn der_of(pem_file: &str) -> String {
    let pem = std::fs::read_to_string(pem_file).expect("pem");
    STANDARD.encode(pem_rfc7468::decode_vec(pem.as_bytes()).expect("pem").1)
}

async fn qualification_check(w: &World, clock: &hpki_clock::FixedClock, taro: &Browser) {
    let phone = Browser::new(w, "phone", None);
    let dir = w._dir.path();
    let verify = |cert: &str, nonce: Option<&str>, signature: Option<&str>| {
        let mut body = json!({"certificate": der_of(cert)});
        if let (Some(n), Some(s)) = (nonce, signature) {
            body["nonce"] = json!(n);
            body["signature"] = json!(s);
        }
        body
    };
    // The seed's defaults again (set(None) left everything hidden): 氏名 public.
    let provider = hpki_provider::Provider::new(w.engine.clone());
    provider
        .save_disclosure(&w.subscriber_id, &hpki_disclosure::Settings::defaults())
        .await
        .expect("defaults");

    let challenge = phone
        .json("/api/v1/qualification/challenge", Some(&json!({})))
        .await;
    let nonce = challenge["nonce"].as_str().expect("nonce").to_owned();
    assert_eq!(
        challenge["sign"],
        format!("hpki-qualification-check:{nonce}")
    );
    let signature = card_signs(&w.auth_key, &nonce, dir).await;
    let body = verify(&w.auth_cert, Some(&nonce), Some(&signature));
    let answer = phone
        .json("/api/v1/qualification/verify", Some(&body))
        .await;
    let r = &answer["result"];
    assert_eq!(r["result"], "valid", "{answer}");
    assert_eq!(r["card_present"], true, "{answer}");
    assert_eq!(r["hc_role"], "Medical Doctor");
    assert_eq!(r["basic"]["name"], "日医　太郎", "public name: {answer}");
    assert_eq!(r["profile"]["residence_area"], "東京都", "{answer}");
    assert!(
        r["basic"].get("birth_date").is_none(),
        "not public: {answer}"
    );
    assert!(
        r["profile"].get("societies").is_none(),
        "members only: {answer}"
    );
    // The signed result verifies with the provider's published keys (authlib's jose, an
    // outside judge), and the phone's page shows it in large type.
    let signed = answer["signed_result"].as_str().expect("signed").to_owned();
    let jwks = phone.json("/oidc/jwks", None).await;
    let jwks_file = dir.join("jwks.json");
    std::fs::write(&jwks_file, jwks.to_string()).expect("write");
    let checked = judge(
        "python3",
        vec![
            "-c".into(),
            "import sys,json,warnings; warnings.filterwarnings('ignore'); \
             from authlib.jose import JsonWebKey, jwt; \
             k=JsonWebKey.import_key_set(json.load(open(sys.argv[1]))); \
             print(json.dumps(dict(jwt.decode(sys.argv[2], k))))"
                .into(),
            jwks_file.display().to_string(),
            signed.clone(),
        ],
        None,
        "authlib verifies the signed result",
    )
    .await;
    let claims: Value = serde_json::from_slice(&checked).expect("JSON");
    assert_eq!(claims["result"], "valid");
    assert_eq!(claims["token_use"], "hpki-qualification-result");
    let (status, page) = phone.get(&format!("/check/r/{signed}")).await;
    assert_eq!(status, 200);
    assert!(page.contains("data-result=\"valid\""), "{page}");
    assert!(page.contains("医師です"), "{page}");
    assert!(page.contains("日医　太郎"), "{page}");

    // The same nonce and signature again: refused.
    let again = phone
        .json("/api/v1/qualification/verify", Some(&body))
        .await;
    assert_eq!(again["result"]["result"], "replayed", "{again}");
    assert!(
        again["result"]["basic"]
            .as_object()
            .is_none_or(|o| o.is_empty())
    );
    // A signature by another key (花子's card over 太郎's certificate).
    let nonce = fresh_nonce(&phone).await;
    let wrong = card_signs(&w.hanako.2, &nonce, dir).await;
    let r = phone
        .json(
            "/api/v1/qualification/verify",
            Some(&verify(&w.auth_cert, Some(&nonce), Some(&wrong))),
        )
        .await;
    assert_eq!(r["result"]["result"], "bad_signature", "{r}");
    // A nonce past its lifetime.
    let nonce = fresh_nonce(&phone).await;
    let sig = card_signs(&w.auth_key, &nonce, dir).await;
    clock.advance(Duration::from_secs(
        hpki_provider::qualification::CHALLENGE_SECONDS + 1,
    ));
    let r = phone
        .json(
            "/api/v1/qualification/verify",
            Some(&verify(&w.auth_cert, Some(&nonce), Some(&sig))),
        )
        .await;
    assert_eq!(r["result"]["result"], "too_old", "{r}");
    // A nonce never handed out.
    let sig = card_signs(&w.auth_key, "made-up", dir).await;
    let r = phone
        .json(
            "/api/v1/qualification/verify",
            Some(&verify(&w.auth_cert, Some("made-up"), Some(&sig))),
        )
        .await;
    assert_eq!(r["result"]["result"], "forged", "{r}");
    // The certificate alone: valid, the card not proven present.
    let r = phone
        .json(
            "/api/v1/qualification/verify",
            Some(&verify(&w.auth_cert, None, None)),
        )
        .await;
    assert_eq!(r["result"]["result"], "valid", "{r}");
    assert_eq!(r["result"]["card_present"], false, "{r}");
    // A nurse's HPKI certificate; a doctor of another CA.
    let r = phone
        .json(
            "/api/v1/qualification/verify",
            Some(&verify(&w.nurse.0, None, None)),
        )
        .await;
    assert_eq!(r["result"]["result"], "not_a_doctor", "{r}");
    assert_eq!(r["result"]["hc_role"], "Nurse", "{r}");
    let r = phone
        .json(
            "/api/v1/qualification/verify",
            Some(&verify(&w.foreign_cert, None, None)),
        )
        .await;
    assert_eq!(r["result"]["result"], "not_trusted", "{r}");
    // Bad input is a 400 in words, not a result.
    let r = phone
        .json(
            "/api/v1/qualification/verify",
            Some(&json!({"certificate": "%%%"})),
        )
        .await;
    assert_eq!(r["error"], "invalid_request", "{r}");
    assert!(
        r["message"]["ja"]
            .as_str()
            .is_some_and(|m| m.contains("Base64")),
        "{r}"
    );

    // The portal's QR code: the phone's camera opens it once.
    let qr_url = |page: &str| -> String {
        let at = page.find("/check/q/").expect("QR URL");
        page[at..].split('<').next().expect("url").to_owned()
    };
    let (status, page) = taro.get("/portal/qr").await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("<svg"), "the QR code is drawn: {page}");
    let url = qr_url(&page);
    let (status, shown) = phone.get(&url).await;
    assert_eq!(status, 200);
    assert!(shown.contains("data-result=\"valid\""), "{shown}");
    assert!(shown.contains("日医　太郎"), "{shown}");
    let (_, shown) = phone.get(&url).await;
    assert!(shown.contains("data-result=\"replayed\""), "{shown}");
    assert!(shown.contains("使用済み"), "{shown}");
    // A forged one (a signature changed), and one older than its lifetime.
    let mut forged: Vec<char> = url.chars().collect();
    let middle = url.len() / 2;
    forged[middle] = if forged[middle] == 'A' { 'B' } else { 'A' };
    let forged: String = forged.into_iter().collect();
    let (_, shown) = phone.get(&forged).await;
    assert!(shown.contains("data-result=\"forged\""), "{shown}");
    let (_, page) = taro.get("/portal/qr").await;
    let url = qr_url(&page);
    clock.advance(Duration::from_secs(
        hpki_provider::qualification::QR_SECONDS,
    ));
    let (_, shown) = phone.get(&url).await;
    assert!(shown.contains("data-result=\"too_old\""), "{shown}");
    assert!(shown.contains("有効期限が切れています"), "{shown}");

    // The doctor sees who checked them.
    let (_, page) = taro.get("/portal/audit").await;
    assert!(page.contains("資格確認を受けた"), "{page}");
    assert!(page.contains("プロフィールを変更"), "{page}");
    assert!(page.contains("開示設定を変更"), "{page}");
    assert!(page.contains("会員が閲覧"), "a member's look: {page}");
    assert!(
        page.contains(&format!("subscriber/{}", w.hanako.0)),
        "by whom: {page}"
    );

    // Revoked: the card check and a QR code made before say so.
    let (_, page) = taro.get("/portal/qr").await;
    let url = qr_url(&page);
    w.engine
        .revoke(
            CaName::Auth,
            &w.auth_serial,
            x509_cert::ext::pkix::CrlReason::KeyCompromise,
        )
        .await
        .expect("revoke");
    let r = phone
        .json(
            "/api/v1/qualification/verify",
            Some(&verify(&w.auth_cert, None, None)),
        )
        .await;
    assert_eq!(r["result"]["result"], "revoked", "{r}");
    let (_, shown) = phone.get(&url).await;
    assert!(shown.contains("data-result=\"revoked\""), "{shown}");
    assert!(shown.contains("失効しています"), "{shown}");

    // Per-client rate limit: a burst, then 429 with Retry-After.
    let b = phone.clone();
    let statuses = tokio::task::spawn_blocking(move || {
        // One connection, 80 requests back to back.
        let url = format!("{}/api/v1/qualification/challenge", b.base);
        let out = Command::new("curl")
            .args(["-sS", "-w", "%{http_code}\\n", "--cacert"])
            .arg(&b.root)
            .args(["-X", "POST"])
            .args((0..80).flat_map(|_| ["-o", "/dev/null", url.as_str()]))
            .output()
            .expect("curl");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_owned)
            .collect::<Vec<_>>()
    })
    .await
    .expect("join");
    assert!(statuses.iter().any(|s| s == "429"), "{statuses:?}");
    assert_eq!(statuses[0], "200", "{statuses:?}");

    let records = w.engine.store.audit_records().await.expect("audit");
    let checks = records
        .iter()
        .filter(|r| r.action == "qualification.checked")
        .count();
    assert!(checks >= 12, "every check audited: {checks}");
}

/// 花子 reports her card lost in the portal: revoked at once, audited with her as the actor,
/// and her next visit is refused.
async fn report_lost(w: &World, hanako: &Browser) {
    let store = &w.engine.store;
    let audit = |action: &str| hpki_store::AuditEvent {
        actor: "test".into(),
        action: action.into(),
        object: "card".into(),
        details: json!({}),
    };
    let now = w.engine.now_unix() as i64;
    let card = store
        .create_card(
            "HPKI",
            &hpki_store::NewCard {
                subscriber_id: w.hanako.0.clone(),
                holder: "{}".into(),
                photo: None,
                issued_at: now,
                expires_at: now + 5 * 365 * 86_400,
                unblock_code_sealed: String::new(),
                replaces: None,
            },
            &audit("card.created"),
        )
        .await
        .expect("card");
    store
        .update_card(
            &card,
            hpki_store::CardStatus::Active,
            None,
            Some(&w.hanako_auth_serial),
            &audit("card.personalized"),
        )
        .await
        .expect("active");
    let (status, page) = hanako.get("/portal/").await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains(&card), "{page}");
    assert!(page.contains(&w.hanako_auth_serial), "{page}");
    assert!(page.contains("紛失届を出す"), "{page}");
    let token = csrf(&page);
    let (status, page) = hanako
        .post("/portal/lost", &[("csrf", &token), ("card_id", &card)])
        .await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("確認のチェック"),
        "not without the confirmation: {page}"
    );
    let (status, page) = hanako
        .post(
            "/portal/lost",
            &[("csrf", &token), ("card_id", &card), ("confirm", "yes")],
        )
        .await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("紛失届を受け付けました"), "{page}");
    let record = store.card(&card).await.expect("card").expect("recorded");
    assert_eq!(record.status, hpki_store::CardStatus::Lost);
    let (status, page) = hanako.get("/portal/").await;
    assert_eq!(status, 403, "a lost card signs nobody in: {page}");
    let records = store.audit_records().await.expect("audit");
    let actor = format!("subscriber/{}", w.hanako.0);
    for action in ["card.lost", "portal.card_reported_lost"] {
        assert!(
            records
                .iter()
                .any(|r| r.action == action && r.actor == actor),
            "{action} by {actor}"
        );
    }
}

async fn portal(backend: Backend) {
    let clock = hpki_clock::FixedClock::starting_now();
    let Some(w) = world_on(backend, clock.shared()).await else {
        return;
    };
    let taro = Browser::new(&w, "taro", Some((w.auth_cert.clone(), w.auth_key.clone())));
    let hanako = Browser::new(&w, "hanako", Some((w.hanako.1.clone(), w.hanako.2.clone())));

    // Card login only: no certificate, no portal.
    let (status, page) = Browser::new(&w, "nobody", None).get("/portal/").await;
    assert_eq!(status, 403, "{page}");
    let (status, page) = Browser::new(&w, "nurse", Some(w.nurse.clone()))
        .get("/portal/")
        .await;
    assert_eq!(status, 403, "a nurse not in the register: {page}");

    let (status, page) = taro.get("/portal/").await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("日医　太郎"), "{page}");
    assert!(page.contains(&w.subscriber_id), "{page}");
    assert!(page.contains("医師（Medical Doctor）"), "{page}");
    // The year's fees billed by HQ: the doctor sees them on the top page.
    let year = hpki_registration::fees::fiscal_year_at(w.engine.now_unix() as i64);
    hpki_registration::Registration::new(w.engine.clone())
        .bill_fiscal_year_by_operator("test", year, &Default::default())
        .await
        .expect("billed");
    let (_, page) = taro.get("/portal/").await;
    assert!(page.contains(&format!("{year}年度")), "{page}");
    let (status, page) = taro.get("/portal/?lang=en").await;
    assert_eq!(status, 200);
    assert!(page.contains("Subscriber ID"), "{page}");
    let (status, page) = hanako.get("/portal/").await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("日医　花子"), "{page}");

    edit_profile(&taro).await;
    request_change(&w, &taro).await;
    walk_every_viewer_and_item(&w, &taro, &hanako).await;
    qualification_check(&w, &clock, &taro).await;
    report_lost(&w, &hanako).await;

    // The office hears of both: the lost card and the change of address, on its dashboard.
    let ra = hpki_registration::Registration::new(w.engine.clone());
    for login in ["tokyo-reception", "hq-final"] {
        let notices = ra
            .doctor_notices(&ra.officer(login).await.expect("officer"))
            .await
            .expect("notices");
        let said: Vec<&str> = notices.iter().map(|n| n.what.ja.as_str()).collect();
        assert!(
            said.iter().any(|t| t.contains("紛失届")),
            "{login}: {said:?}"
        );
        assert!(
            said.iter().any(|t| t.contains("住所変更")),
            "{login}: {said:?}"
        );
    }

    // Ten years on, a certificate past its notAfter is checked as expired.
    clock.advance(Duration::from_secs(10 * 366 * 86_400));
    let phone = Browser::new(&w, "phone", None);
    let r = phone
        .json(
            "/api/v1/qualification/verify",
            Some(&json!({"certificate": der_of(&w.nurse.0)})),
        )
        .await;
    assert_eq!(r["result"]["result"], "expired", "{r}");
    assert!(
        r["result"]["message"]["ja"]
            .as_str()
            .is_some_and(|m| m.contains("有効期限切れ")),
        "{r}"
    );
    w.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn portal_and_qualification_check_on_sqlite() {
    portal(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn portal_and_qualification_check_on_postgres() {
    portal(Backend::Postgres).await;
}
