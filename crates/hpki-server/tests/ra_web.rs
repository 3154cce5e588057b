//! Issue #3, the officers' web UI through the real router, in-process: sign-in with lockout,
//! the CSRF check, reception of a half-filled application that is never lost, errors shown
//! next to their fields, office scoping, the English switch, sign-out. (The whole walk through
//! the workflow in a real browser is `crates/hpki-cli/tests/browser_acceptance.rs`.)

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use hpki_ca::ceremony::{InitOptions, init};
use hpki_registration::Registration;
use tower::ServiceExt;

const PASSWORD: &str = "web test password";

struct Web {
    router: Router,
    ra: Registration,
    db_url: Option<String>,
    _dir: tempfile::TempDir,
}

async fn setup(postgres: bool) -> Option<Web> {
    let database_url = hpki_testkit::test_database_url(postgres).await?;
    let dir = tempfile::tempdir().expect("tempdir");
    let opts = InitOptions {
        demo: true,
        database_url: database_url.clone(),
        public_base_url: "http://127.0.0.1".into(),
        passphrase: "web test".into(),
        actor: "test".into(),
        hsm: None,
    };
    let engine = Arc::new(
        init(&dir.path().join("ca"), &opts, &mut |_| {})
            .await
            .expect("init"),
    );
    let ra = Registration::new(engine.clone());
    ra.seed_demo("test", PASSWORD).await.expect("seed");
    Some(Web {
        router: hpki_server::router(hpki_server::AppState::new(engine)),
        ra,
        db_url: database_url,
        _dir: dir,
    })
}

struct Page {
    status: StatusCode,
    location: Option<String>,
    cookies: Vec<String>,
    body: String,
}

impl Web {
    async fn send(&self, req: Request<Body>) -> Page {
        let resp = self.router.clone().oneshot(req).await.expect("response");
        let status = resp.status();
        let location = resp
            .headers()
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let cookies = resp
            .headers()
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(str::to_owned)
            .collect();
        let body = axum::body::to_bytes(resp.into_body(), 10 << 20)
            .await
            .expect("body");
        Page {
            status,
            location,
            cookies,
            body: String::from_utf8_lossy(&body).into_owned(),
        }
    }

    async fn get(&self, cookie: &str, path: &str) -> Page {
        self.send(
            Request::builder()
                .uri(path)
                .header(header::COOKIE, cookie)
                .body(Body::empty())
                .expect("request"),
        )
        .await
    }

    async fn post_form(&self, cookie: &str, path: &str, fields: &[(&str, &str)]) -> Page {
        let body: String = fields
            .iter()
            .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
            .collect::<Vec<_>>()
            .join("&");
        self.send(
            Request::builder()
                .method(Method::POST)
                .uri(path)
                .header(header::COOKIE, cookie)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(body))
                .expect("request"),
        )
        .await
    }

    async fn post_multipart(&self, cookie: &str, path: &str, fields: &[(&str, &str)]) -> Page {
        let boundary = "hpkiTestBoundary7MA4YWxkTrZu0gW";
        let mut body = String::new();
        for (k, v) in fields {
            body.push_str(&format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
            ));
        }
        body.push_str(&format!("--{boundary}--\r\n"));
        self.send(
            Request::builder()
                .method(Method::POST)
                .uri(path)
                .header(header::COOKIE, cookie)
                .header(
                    header::CONTENT_TYPE,
                    format!("multipart/form-data; boundary={boundary}"),
                )
                .body(Body::from(body))
                .expect("request"),
        )
        .await
    }

    /// Signs in; returns the session cookie and the page's CSRF token.
    async fn sign_in(&self, login: &str) -> (String, String) {
        let p = self
            .post_form("", "/ra/login", &[("login", login), ("password", PASSWORD)])
            .await;
        assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
        let cookie = p
            .cookies
            .iter()
            .find(|c| c.starts_with("hpki_ra_session="))
            .and_then(|c| c.split(';').next())
            .expect("session cookie")
            .to_owned();
        assert!(
            p.cookies[0].contains("HttpOnly") && p.cookies[0].contains("SameSite=Strict"),
            "{:?}",
            p.cookies
        );
        let page = self.get(&cookie, "/ra/").await;
        (cookie, csrf_of(&page.body))
    }
}

fn enc(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

fn csrf_of(html: &str) -> String {
    let at = html.find("name=\"csrf\" value=\"").expect("csrf field") + 19;
    html[at..at + 64].to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn sqlite() {
    officers_sign_in_receive_a_draft_that_is_never_lost_and_see_only_their_office(false).await
}

#[tokio::test(flavor = "multi_thread")]
async fn postgres() {
    officers_sign_in_receive_a_draft_that_is_never_lost_and_see_only_their_office(true).await
}

async fn officers_sign_in_receive_a_draft_that_is_never_lost_and_see_only_their_office(
    postgres: bool,
) {
    let Some(web) = setup(postgres).await else {
        return;
    };

    // Not signed in: to the login page.
    let p = web.get("", "/ra/").await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    assert_eq!(p.location.as_deref(), Some("/ra/login"));
    let p = web.get("", "/ra/login").await;
    assert!(p.body.contains("<html lang=\"ja\">") && p.body.contains("ログインID"));

    // A wrong password is refused without saying which of the two was wrong; five lock.
    for _ in 0..4 {
        let p = web
            .post_form(
                "",
                "/ra/login",
                &[("login", "osaka-review"), ("password", "wrong password")],
            )
            .await;
        assert_eq!(p.status, StatusCode::UNAUTHORIZED);
        assert!(
            p.body.contains("ログインIDまたはパスワードが違います"),
            "{}",
            p.body
        );
    }
    let p = web
        .post_form(
            "",
            "/ra/login",
            &[("login", "osaka-review"), ("password", "wrong password")],
        )
        .await;
    assert_eq!(p.status, StatusCode::LOCKED);
    assert!(p.body.contains("ロックされています"));
    let p = web
        .post_form(
            "",
            "/ra/login",
            &[("login", "osaka-review"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(
        p.status,
        StatusCode::LOCKED,
        "the right password does not open a locked account"
    );
    let p = web
        .post_form(
            "",
            "/ra/login",
            &[("login", "nobody"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNAUTHORIZED);

    // Reception: a form post without the CSRF token changes nothing.
    let (tokyo, csrf) = web.sign_in("tokyo-reception").await;
    let p = web
        .post_multipart(&tokyo, "/ra/applications", &[("name_kanji_family", "日医")])
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN, "{}", p.body);
    assert!(
        web.ra
            .ca()
            .store
            .applications(&Default::default())
            .await
            .unwrap()
            .is_empty()
    );

    // A half-filled form is kept as a draft.
    let p = web
        .post_multipart(
            &tokyo,
            "/ra/applications",
            &[
                ("csrf", &csrf),
                ("name_kanji_family", "日医"),
                ("name_kanji_given", "太郎"),
                ("birth_date", "1955/1/1"),
                ("submit_as", "save"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let location = p.location.expect("redirect to the application");
    assert!(location.ends_with("?notice=saved"), "{location}");
    let page = web.get(&tokyo, &location).await;
    assert!(page.body.contains("保存しました"));
    assert!(page.body.contains("value=\"日医\"") && page.body.contains("value=\"1955-01-01\""));
    let id: i64 = location
        .trim_start_matches("/ra/applications/")
        .trim_end_matches("?notice=saved")
        .parse()
        .expect("id");

    // Receiving it now shows every problem next to its field, and loses nothing typed.
    let p = web
        .post_multipart(
            &tokyo,
            &format!("/ra/applications/{id}"),
            &[
                ("csrf", &csrf),
                ("version", "1"),
                ("name_kanji_family", "日医"),
                ("name_kanji_given", "太郎"),
                ("name_kana_family", "にちい"),
                ("submit_as", "submit"),
            ],
        )
        .await;
    // The data is saved; the browser is sent to the page that says why (a reload sends
    // nothing again).
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let location = p.location.expect("redirect");
    assert_eq!(location, format!("/ra/applications/{id}?check=1"));
    let p = web.get(&tokyo, &location).await;
    assert!(p.body.contains("入力内容を確認してください"));
    assert!(
        p.body.contains("href=\"#f-name_kana_family\""),
        "the summary links to the field"
    );
    assert!(p.body.contains(
        "id=\"f-name_kana_family\" name=\"name_kana_family\" value=\"にちい\" aria-invalid=\"true\""
    ));
    assert!(p.body.contains("全角カタカナ"));
    let app = web
        .ra
        .get(&web.ra.officer("tokyo-reception").await.unwrap(), id)
        .await
        .unwrap();
    assert_eq!(
        app.form.name_kana_family, "にちい",
        "the typed value was saved"
    );
    assert_eq!(app.stage, hpki_ra::workflow::Stage::Draft);

    // English, remembered in a cookie.
    let p = web
        .get(&tokyo, &format!("/ra/applications/{id}?lang=en"))
        .await;
    assert!(p.body.contains("<html lang=\"en\">") && p.body.contains("Save and receive"));
    assert!(p.cookies.iter().any(|c| c.starts_with("hpki_lang=en")));

    // Another office: not found, not even confirmed to exist; its queue and search are empty.
    let (osaka, _) = web.sign_in("osaka-reception").await;
    let p = web.get(&osaka, &format!("/ra/applications/{id}")).await;
    assert_eq!(p.status, StatusCode::NOT_FOUND);
    assert!(p.body.contains("見つかりません"));
    assert!(!p.body.contains("日医"));
    let p = web.get(&osaka, "/ra/search?q=%E6%97%A5%E5%8C%BB").await;
    assert!(p.body.contains("該当する申請はありません"));
    let p = web
        .get(&osaka, &format!("/ra/applications/{id}/photo"))
        .await;
    assert_eq!(p.status, StatusCode::NOT_FOUND);

    // The dashboard draws the map and the charts.
    let p = web.get(&tokyo, "/ra/dashboard").await;
    assert!(p.body.matches("<svg").count() >= 3);
    assert!(p.body.contains("東京") && p.body.contains("受付可能"));

    // Sign-out ends the session.
    web.post_form(&tokyo, "/ra/logout", &[("csrf", &csrf)])
        .await;
    let p = web.get(&tokyo, "/ra/").await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);

    // Lockout and drafts are audited; the log verifies.
    let store = &web.ra.ca().store;
    let actions: Vec<String> = store
        .audit_records()
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.action)
        .collect();
    assert!(actions.iter().any(|a| a == "officer.locked"));
    assert!(actions.iter().any(|a| a == "application.draft_saved"));
    assert!(matches!(
        store.verify_audit().await.unwrap(),
        hpki_store::AuditVerification::Intact { .. }
    ));
    store.close().await;
    if let Some(url) = &web.db_url {
        hpki_testkit::drop_postgres_schema(url).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn register_sqlite() {
    the_final_reviewer_sees_the_register_and_goes_on_only_with_a_reason(false).await
}

#[tokio::test(flavor = "multi_thread")]
async fn register_postgres() {
    the_final_reviewer_sees_the_register_and_goes_on_only_with_a_reason(true).await
}

/// Issue "Issuance integrity" on the officers' page: two applications for one doctor (Tokyo and
/// Osaka) each show the subscriber register's finding; the final reviewer's page asks for a
/// reason, refuses the review without one (at the reason field, nothing changed) and records it.
async fn the_final_reviewer_sees_the_register_and_goes_on_only_with_a_reason(postgres: bool) {
    use hpki_ra::workflow::Action;
    use hpki_registration::ActInput;
    let Some(web) = setup(postgres).await else {
        return;
    };
    let today = web.ra.today();
    let form: hpki_ra::application::ApplicationForm = serde_json::from_value(serde_json::json!({
        "application_date": today.to_string(), "kind": "new",
        "name_kana_family": "ニチイ", "name_kana_given": "タロウ",
        "name_kanji_family": "日医", "name_kanji_given": "太郎",
        "name_romaji_family": "Nichii", "name_romaji_given": "Taro",
        "birth_date": "1955-01-01", "sex": "male",
        "address": {"postal_code": "113-8621", "prefecture_code": 13, "city": "文京区本駒込2-28-16"},
        "license_number": "WEB000777", "license_registration_date": "1980-05-01",
        "membership": "non_member", "member_id": "",
        "phone": "03-3946-2121", "delivery": "home"
    }))
    .expect("form");
    let documents: hpki_ra::application::DocumentChecklist =
        serde_json::from_value(serde_json::json!({
            "license": "original", "photo_id": "passport",
            "residence_certificate_issued": today.to_string(), "photo_received": true
        }))
        .expect("documents");
    let mut ids = Vec::new();
    for (reception, steps) in [
        (
            "tokyo-reception",
            [
                ("tokyo-pre", Action::PreReview),
                ("tokyo-main", Action::MainReview),
            ],
        ),
        (
            "osaka-reception",
            [
                ("osaka-reception", Action::PreReview),
                ("osaka-review", Action::MainReview),
            ],
        ),
    ] {
        let officer = web.ra.officer(reception).await.unwrap();
        let app = web
            .ra
            .create_draft(&officer, &form, &documents, None)
            .await
            .unwrap();
        let (id, mut version) = (app.record.id, app.record.version);
        let mut walk = vec![(reception, Action::Submit)];
        walk.extend(steps);
        walk.push(("hq-final", Action::PapersArrived));
        for (login, action) in walk {
            let input = ActInput {
                tracking: Some("1111-2222".into()),
                ..ActInput::default()
            };
            let o = web.ra.officer(login).await.unwrap();
            version = web
                .ra
                .act(&o, id, version, action, &input)
                .await
                .unwrap_or_else(|e| panic!("{action:?}: {e}"))
                .record
                .version;
        }
        ids.push((id, version));
    }
    let (cookie, _) = web.sign_in("hq-final").await;
    let (id, version) = ids[0];
    let page = web.get(&cookie, &format!("/ra/applications/{id}")).await;
    assert!(
        page.body.contains("登録簿の確認事項") && page.body.contains("処理中"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("reason-final_review"),
        "a reason field at 最終審査"
    );
    let csrf = csrf_of(&page.body);
    let act = |reason: &'static str| {
        let (cookie, csrf) = (cookie.clone(), csrf.clone());
        let version = version.to_string();
        let web = &web;
        async move {
            web.post_form(
                &cookie,
                &format!("/ra/applications/{id}/act"),
                &[
                    ("csrf", &csrf),
                    ("version", &version),
                    ("action", "final_review"),
                    ("reason", reason),
                ],
            )
            .await
        }
    };
    let refused = act("").await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    assert!(refused.body.contains("理由を記入"), "{}", refused.body);
    let app = web
        .ra
        .get(&web.ra.officer("hq-final").await.unwrap(), id)
        .await
        .unwrap();
    assert_eq!(app.record.version, version, "nothing changed");
    let done = act("大阪の申請は重複。東京で発行する").await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let page = web.get(&cookie, &format!("/ra/applications/{id}")).await;
    assert!(
        page.body.contains("大阪の申請は重複"),
        "the reason is in the history"
    );
    web.ra.ca().store.close().await;
    if let Some(url) = &web.db_url {
        hpki_testkit::drop_postgres_schema(url).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn relying_parties_sqlite() {
    the_administrator_registers_and_disables_relying_parties(false).await
}

#[tokio::test(flavor = "multi_thread")]
async fn relying_parties_postgres() {
    the_administrator_registers_and_disables_relying_parties(true).await
}

/// Issue "HPKI login": the administrator's page of the OpenID provider's relying parties.
/// Registration shows the secret once; a bad redirect URI is refused in words; disabling and
/// enabling work; the steps are audited as the administrator; other officers are refused.
async fn the_administrator_registers_and_disables_relying_parties(postgres: bool) {
    let Some(web) = setup(postgres).await else {
        return;
    };
    let (reception, _) = web.sign_in("tokyo-reception").await;
    let page = web.get(&reception, "/ra/oidc-clients").await;
    assert_eq!(page.status, StatusCode::FORBIDDEN, "{}", page.body);
    let page = web.get(&reception, "/ra/").await;
    assert!(
        !page.body.contains("/ra/oidc-clients"),
        "no link for others"
    );

    let (admin, csrf) = web.sign_in("hq-admin").await;
    let page = web.get(&admin, "/ra/").await;
    assert!(
        page.body.contains("/ra/oidc-clients"),
        "the administrator's link"
    );
    let add = |id: &'static str, uri: &'static str| {
        let (admin, csrf) = (admin.clone(), csrf.clone());
        let web = &web;
        async move {
            web.post_form(
                &admin,
                "/ra/oidc-clients",
                &[
                    ("csrf", &csrf),
                    ("client_id", id),
                    ("name", "まめネット"),
                    ("redirect_uris", uri),
                ],
            )
            .await
        }
    };
    let page = add("mamenet", "http://mamenet.example/cb").await;
    assert_eq!(
        page.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        page.body
    );
    assert!(page.body.contains("登録できません"), "{}", page.body);
    let page = add("mamenet", "https://mamenet.example/cb").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("id=\"new-secret\""), "{}", page.body);
    assert!(page.body.contains("mamenet"), "{}", page.body);
    let page = web
        .post_form(
            &admin,
            "/ra/oidc-clients/mamenet/disable",
            &[("csrf", "wrong")],
        )
        .await;
    assert_ne!(
        page.status,
        StatusCode::SEE_OTHER,
        "a bad CSRF token changes nothing"
    );
    let page = web
        .post_form(
            &admin,
            "/ra/oidc-clients/mamenet/disable",
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let page = web.get(&admin, "/ra/oidc-clients").await;
    assert!(page.body.contains("有効にする"), "{}", page.body);

    let records = web.ra.ca().store.audit_records().await.expect("audit");
    let added = records
        .iter()
        .find(|r| r.action == "oidc.client_added")
        .expect("audited");
    assert!(added.actor.contains("hq-admin"), "{}", added.actor);
    assert!(records.iter().any(|r| r.action == "oidc.client_disabled"));
    web.ra.ca().store.close().await;
    if let Some(url) = &web.db_url {
        hpki_testkit::drop_postgres_schema(url).await;
    }
}
