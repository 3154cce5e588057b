//! Issue #3, the registration authority's API: every transition of an application from
//! reception to an active card, the separation-of-duties rule, office scoping, the document
//! rules, returned and rejected applications keeping their data, and the audit log verifying
//! after it all (and catching a changed row). Requests go through the real router in-process,
//! on SQLite and on PostgreSQL.

use hpki_testkit::{Backend, on_both_backends_async};
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use hpki_ca::ceremony::{InitOptions, build_csr, init_with_clock};
use hpki_keys::{KeyKind, SoftwareKey};
use hpki_registration::Registration;
use serde_json::{Value, json};
use tower::ServiceExt;

const PASSWORD: &str = "test officer password";

struct Api {
    router: Router,
    ra: Registration,
    tokens: std::collections::HashMap<&'static str, String>,
    db_url: Option<String>,
    _dir: tempfile::TempDir,
}

async fn setup(backend: Backend) -> Option<Api> {
    let db_url = hpki_testkit::test_database_url(matches!(backend, Backend::Postgres)).await?;
    let dir = tempfile::tempdir().expect("tempdir");
    let opts = InitOptions {
        demo: true,
        database_url: db_url.clone(),
        public_base_url: "http://127.0.0.1".into(),
        passphrase: "ra test".into(),
        actor: "test".into(),
        hsm: None,
    };
    let engine = Arc::new(
        init_with_clock(&dir.path().join("ca"), &opts, &mut |_| {}, clock())
            .await
            .expect("init"),
    );
    let ra = Registration::new(engine.clone());
    ra.seed_demo("test", PASSWORD).await.expect("seed demo");
    let mut tokens = std::collections::HashMap::new();
    for (login, ..) in hpki_registration::engine::DEMO_OFFICERS {
        tokens.insert(
            *login,
            ra.issue_token("test", login, "test").await.expect("token"),
        );
    }
    let router = hpki_server::router(hpki_server::AppState::new(engine));
    Some(Api {
        router,
        ra,
        tokens,
        db_url,
        _dir: dir,
    })
}

impl Api {
    async fn call(
        &self,
        login: Option<&str>,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = Request::builder().method(method).uri(path);
        if let Some(l) = login {
            req = req.header("authorization", format!("Bearer {}", self.tokens[l]));
        }
        let req = match body {
            Some(b) => req
                .header("content-type", "application/json")
                .body(Body::from(b.to_string())),
            None => req.body(Body::empty()),
        }
        .expect("request");
        let resp = self.router.clone().oneshot(req).await.expect("response");
        let status = resp.status();
        let bytes = axum::body::to_bytes(resp.into_body(), 10 << 20)
            .await
            .expect("body");
        let value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        (status, value)
    }

    async fn get(&self, login: &str, path: &str) -> (StatusCode, Value) {
        self.call(Some(login), Method::GET, path, None).await
    }

    async fn post(&self, login: &str, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Some(login), Method::POST, path, Some(body)).await
    }

    /// Performs `action` on application `id` as `login` at its current version.
    async fn act(&self, login: &str, id: i64, action: &str, extra: Value) -> (StatusCode, Value) {
        let (_, app) = self.get(login, &format!("/api/v1/applications/{id}")).await;
        let mut body = json!({"version": app["version"]});
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            b.extend(e.clone());
        }
        self.post(
            login,
            &format!("/api/v1/applications/{id}/actions/{action}"),
            body,
        )
        .await
    }

    /// A complete application received by `login`: created as a draft, then submitted.
    async fn received(&self, login: &str) -> i64 {
        self.received_form(login, form()).await
    }

    /// Issues application `id` at its current version from two fresh CSRs, as the demo's CA
    /// operator.
    async fn issue_from_csrs(&self, id: i64) -> (StatusCode, Value) {
        let (_, app) = self
            .get("hq-operator", &format!("/api/v1/applications/{id}"))
            .await;
        self.post(
            "hq-operator",
            &format!("/api/v1/applications/{id}/issue"),
            json!({"version": app["version"], "sign_csr": csr_pem(), "auth_csr": csr_pem()}),
        )
        .await
    }

    /// [`Api::received`] with another `form`.
    async fn received_form(&self, login: &str, form: Value) -> i64 {
        let (status, app) = self
            .post(
                login,
                "/api/v1/applications",
                json!({"form": form, "documents": documents(7)}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{app}");
        let id = app["id"].as_i64().expect("id");
        let (status, app) = self.act(login, id, "submit", json!({})).await;
        assert_eq!(status, StatusCode::OK, "{app}");
        assert_eq!(app["stage"], "received");
        id
    }

    /// The URL of this test's database, for changing it behind the engine's back.
    fn database_url(&self) -> String {
        self.db_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}/ca/hpki.db", self._dir.path().display()))
    }

    async fn finish(self) {
        self.ra.ca().store.close().await;
        if let Some(url) = &self.db_url {
            hpki_testkit::drop_postgres_schema(url).await;
        }
    }
}

/// The clock of every engine of this test binary: it stands still (no test waits for time to
/// pass), at the real time of the start so that outside tools agree with it.
fn clock() -> hpki_clock::SharedClock {
    static CLOCK: std::sync::OnceLock<hpki_clock::FixedClock> = std::sync::OnceLock::new();
    CLOCK
        .get_or_init(hpki_clock::FixedClock::starting_now)
        .shared()
}

fn today() -> time::Date {
    hpki_clock::jst::date(clock().now())
}

/// 日医 太郎's form, complete.
fn form() -> Value {
    json!({
        "application_date": today().to_string(), "kind": "new",
        "name_kana_family": "ニチイ", "name_kana_given": "タロウ",
        "name_kanji_family": "日医", "name_kanji_given": "太郎",
        "name_romaji_family": "Nichii", "name_romaji_given": "Taro",
        "birth_date": "1955-01-01", "sex": "male",
        "address": {"postal_code": "113-8621", "prefecture_code": 13, "city": "文京区本駒込2-28-16", "building": ""},
        "license_number": "TESTC00021", "license_registration_date": "1980-05-01",
        "membership": "member", "member_id": "9999999999",
        "workplace_name": "日医病院", "workplace_name_romaji": "Nichii Hospital",
        "phone": "03-3946-2121", "delivery": "home"
    })
}

/// The documents brought at reception, with a 住民票 issued `days` days ago.
fn documents(days: i64) -> Value {
    json!({
        "license": "original", "photo_id": "passport",
        "residence_certificate_issued": (today() - time::Duration::days(days)).to_string(),
        "photo_received": true
    })
}

fn csr_pem() -> String {
    let key = SoftwareKey::generate(KeyKind::Rsa(2048)).expect("key");
    let der = build_csr(&key, x509_cert::name::Name::default()).expect("csr");
    pem_rfc7468::encode_string("CERTIFICATE REQUEST", pem_rfc7468::LineEnding::LF, &der)
        .expect("pem")
}

fn code(v: &Value) -> &str {
    v["error"]["code"].as_str().unwrap_or("")
}

async fn every_transition_from_reception_to_an_active_card(b: Backend) {
    let Some(api) = setup(b).await else { return };
    // No token, no API.
    let (status, v) = api
        .call(None, Method::GET, "/api/v1/applications", None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(code(&v), "not_authenticated");

    // Reception keeps a half-filled draft, then completes it.
    let (status, draft) = api
        .post(
            "tokyo-reception",
            "/api/v1/applications",
            json!({"form": {"name_kanji_family": "日医"}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{draft}");
    let id = draft["id"].as_i64().unwrap();
    assert_eq!(draft["form"]["name_kanji_family"], "日医");
    let (status, v) = api.act("tokyo-reception", id, "submit", json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(
        v["error"]["fields"].as_array().unwrap().len() > 5,
        "every missing field is reported: {v}"
    );
    let (status, v) = api
        .call(
            Some("tokyo-reception"),
            Method::PUT,
            &format!("/api/v1/applications/{id}"),
            Some(json!({"version": draft["version"], "form": form(), "documents": documents(7)})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let (status, v) = api.act("tokyo-reception", id, "submit", json!({})).await;
    assert_eq!(
        (status, v["stage"].as_str()),
        (StatusCode::OK, Some("received")),
        "{v}"
    );

    // 事前審査 → 本審査 (the papers are mailed, with a tracking number).
    let (status, v) = api
        .act("tokyo-reception", id, "pre_review", json!({}))
        .await;
    assert_eq!((status, code(&v)), (StatusCode::FORBIDDEN, "missing_role"));
    let (status, v) = api.act("tokyo-pre", id, "pre_review", json!({})).await;
    assert_eq!(v["stage"], "pre_reviewed", "{status} {v}");
    let (status, v) = api.act("tokyo-main", id, "main_review", json!({})).await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "tracking required: {v}"
    );
    let (_, v) = api
        .act(
            "tokyo-main",
            id,
            "main_review",
            json!({"tracking": "1234-5678-9012"}),
        )
        .await;
    assert_eq!(v["stage"], "main_reviewed", "{v}");
    assert_eq!(v["papers_tracking"], "1234-5678-9012");

    // 最終審査 at HQ, only once the papers arrived.
    let (status, v) = api.act("hq-final", id, "final_review", json!({})).await;
    assert_eq!(
        (status, code(&v)),
        (StatusCode::CONFLICT, "papers_not_arrived")
    );
    let (_, v) = api.act("hq-final", id, "papers_arrived", json!({})).await;
    assert_eq!(v["papers_arrived"], true, "{v}");
    let (_, v) = api.act("hq-final", id, "final_review", json!({})).await;
    assert_eq!(v["stage"], "approved", "{v}");

    // 発行 from the applicant's CSRs, 発送, 受取確認.
    let (_, app) = api
        .get("hq-operator", &format!("/api/v1/applications/{id}"))
        .await;
    let (status, issued) = api
        .post(
            "hq-operator",
            &format!("/api/v1/applications/{id}/issue"),
            json!({"version": app["version"], "sign_csr": csr_pem(), "auth_csr": csr_pem()}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{issued}");
    assert_eq!(issued["application"]["stage"], "issued");
    assert_eq!(issued["application"]["subscriber_id"], "JMA9999999999");
    assert!(
        issued["sign_certificate"]
            .as_str()
            .unwrap()
            .starts_with("-----BEGIN CERTIFICATE-----")
    );
    let (_, v) = api.act("hq-operator", id, "ship", json!({})).await;
    assert_eq!(v["stage"], "shipped");
    let (_, v) = api
        .act("hq-operator", id, "confirm_delivery", json!({}))
        .await;
    assert_eq!(v["stage"], "active");
    let (status, v) = api
        .act("hq-final", id, "reject", json!({"reason": "x"}))
        .await;
    assert_eq!(
        (status, code(&v)),
        (StatusCode::CONFLICT, "not_allowed_at_stage")
    );

    // The history names every step, its officer and office.
    let (_, h) = api
        .get("hq-admin", &format!("/api/v1/applications/{id}/history"))
        .await;
    let steps: Vec<(String, String)> = h["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap().to_owned(),
                e["login"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected = [
        ("draft_created", "tokyo-reception"),
        ("draft_saved", "tokyo-reception"),
        ("submit", "tokyo-reception"),
        ("pre_review", "tokyo-pre"),
        ("main_review", "tokyo-main"),
        ("papers_arrived", "hq-final"),
        ("final_review", "hq-final"),
        ("issue", "hq-operator"),
        ("ship", "hq-operator"),
        ("confirm_delivery", "hq-operator"),
    ];
    assert_eq!(
        steps,
        expected
            .iter()
            .map(|(a, l)| (a.to_string(), l.to_string()))
            .collect::<Vec<_>>()
    );
    api.finish().await;
}

async fn separation_of_duties_and_office_scoping(b: Backend) {
    let Some(api) = setup(b).await else { return };
    // Osaka's officer holds both review roles; after the 事前審査 the 本審査 is refused.
    let osaka = api.received("osaka-reception").await;
    let (status, v) = api
        .act("osaka-review", osaka, "pre_review", json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let (status, v) = api
        .act(
            "osaka-review",
            osaka,
            "main_review",
            json!({"tracking": "T-1"}),
        )
        .await;
    assert_eq!(
        (status, code(&v)),
        (StatusCode::FORBIDDEN, "separation_of_duties")
    );
    assert!(
        v["error"]["message_ja"]
            .as_str()
            .unwrap()
            .contains("職務分掌"),
        "{v}"
    );
    assert!(
        v["error"]["message_en"]
            .as_str()
            .unwrap()
            .contains("separation of duties")
    );

    // Tokyo's officers do not see Osaka's application, not even that it exists.
    let (status, v) = api
        .get("tokyo-pre", &format!("/api/v1/applications/{osaka}"))
        .await;
    assert_eq!((status, code(&v)), (StatusCode::NOT_FOUND, "not_found"));
    let (_, list) = api.get("tokyo-pre", "/api/v1/applications").await;
    assert!(
        list["applications"].as_array().unwrap().is_empty(),
        "{list}"
    );
    let (status, _) = api
        .post(
            "tokyo-main",
            &format!("/api/v1/applications/{osaka}/actions/main_review"),
            json!({"version": 3, "tracking": "T-2"}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Minato City receives for Tokyo: Tokyo's review office sees it, Osaka does not; HQ sees
    // both.
    let minato = api.received("minato-reception").await;
    let (status, v) = api
        .get("tokyo-pre", &format!("/api/v1/applications/{minato}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["review_office_id"], "pref-13");
    let (status, _) = api
        .get("osaka-review", &format!("/api/v1/applications/{minato}"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, all) = api.get("hq-admin", "/api/v1/applications").await;
    assert_eq!(all["applications"].as_array().unwrap().len(), 2, "{all}");
    // Search by kana, kanji and licence number, within the officer's scope.
    for q in [
        "%E3%83%8B%E3%83%81%E3%82%A4",
        "%E6%97%A5%E5%8C%BB",
        "TESTC00021",
    ] {
        let (_, found) = api
            .get("tokyo-pre", &format!("/api/v1/applications?q={q}"))
            .await;
        assert_eq!(
            found["applications"].as_array().unwrap().len(),
            1,
            "{q}: {found}"
        );
    }
    // The work queue of Tokyo's pre-reviewer holds Minato's application.
    let (_, queue) = api
        .get("tokyo-pre", "/api/v1/applications?queue=true")
        .await;
    assert_eq!(queue["applications"][0]["id"], minato, "{queue}");
    // A hospital office receives non-members only.
    api.ra
        .add_officer(
            "test",
            "hospital-reception",
            "病院 受付",
            "hosp-13-nichii",
            &[hpki_ra::workflow::Role::Reception],
            None,
        )
        .await
        .unwrap();
    let token = api
        .ra
        .issue_token("test", "hospital-reception", "test")
        .await
        .unwrap();
    let mut api = api;
    api.tokens.insert("hospital-reception", token);
    let (_, draft) = api
        .post(
            "hospital-reception",
            "/api/v1/applications",
            json!({"form": form(), "documents": documents(7)}),
        )
        .await;
    let hosp = draft["id"].as_i64().unwrap();
    let (status, v) = api
        .act("hospital-reception", hosp, "submit", json!({}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["error"]["fields"][0]["code"], "member_at_hospital", "{v}");
    let mut non_member = form();
    non_member["membership"] = json!("non_member");
    non_member["member_id"] = json!("");
    let (_, app) = api
        .get(
            "hospital-reception",
            &format!("/api/v1/applications/{hosp}"),
        )
        .await;
    api.call(
        Some("hospital-reception"),
        Method::PUT,
        &format!("/api/v1/applications/{hosp}"),
        Some(json!({"version": app["version"], "form": non_member, "documents": documents(7)})),
    )
    .await;
    let (status, v) = api
        .act("hospital-reception", hosp, "submit", json!({}))
        .await;
    assert_eq!(
        (status, v["stage"].as_str()),
        (StatusCode::OK, Some("received")),
        "{v}"
    );
    assert_eq!(
        v["review_office_id"], "hosp-13-nichii",
        "a hospital office reviews itself"
    );

    // 最終審査 is HQ's: Tokyo cannot even hold the role.
    let err = api
        .ra
        .add_officer(
            "test",
            "tokyo-final",
            "x",
            "pref-13",
            &[hpki_ra::workflow::Role::FinalReview],
            None,
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("Final review"), "{err}");
    api.finish().await;
}

async fn document_rules_and_data_kept_on_return_and_rejection(b: Backend) {
    let Some(api) = setup(b).await else { return };
    // A 住民票 older than three months is refused at reception, naming the field.
    let (_, draft) = api
        .post(
            "tokyo-reception",
            "/api/v1/applications",
            json!({"form": form(), "documents": documents(100)}),
        )
        .await;
    let id = draft["id"].as_i64().unwrap();
    let (status, v) = api.act("tokyo-reception", id, "submit", json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let fields = v["error"]["fields"].as_array().unwrap();
    assert_eq!(fields.len(), 1, "{v}");
    assert_eq!(fields[0]["field"], "residence_certificate_issued");
    assert!(
        fields[0]["message_ja"]
            .as_str()
            .unwrap()
            .contains("3か月以内")
    );
    // A copy of the photo ID is refused too.
    let (_, app) = api
        .get("tokyo-reception", &format!("/api/v1/applications/{id}"))
        .await;
    let mut docs = documents(7);
    docs["photo_id_is_copy"] = json!(true);
    let (status, _) = api
        .call(
            Some("tokyo-reception"),
            Method::PUT,
            &format!("/api/v1/applications/{id}"),
            Some(json!({"version": app["version"], "form": form(), "documents": docs})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, v) = api.act("tokyo-reception", id, "submit", json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(v["error"]["fields"][0]["field"], "photo_id_is_copy", "{v}");

    // Two officers saving the same version: the second is told, nothing is overwritten.
    let (_, app) = api
        .get("tokyo-reception", &format!("/api/v1/applications/{id}"))
        .await;
    let save = |docs: Value| json!({"version": app["version"], "form": form(), "documents": docs});
    let path = format!("/api/v1/applications/{id}");
    let (first, _) = api
        .call(
            Some("tokyo-reception"),
            Method::PUT,
            &path,
            Some(save(documents(7))),
        )
        .await;
    let (second, v) = api
        .call(
            Some("tokyo-reception"),
            Method::PUT,
            &path,
            Some(save(documents(7))),
        )
        .await;
    assert_eq!(
        (first, second),
        (StatusCode::OK, StatusCode::CONFLICT),
        "{v}"
    );
    assert_eq!(code(&v), "version_conflict");
    let (_, v) = api.act("tokyo-reception", id, "submit", json!({})).await;
    assert_eq!(v["stage"], "received", "{v}");

    // 差戻し needs a reason, keeps every field, and reception resubmits.
    let (status, v) = api.act("tokyo-pre", id, "return", json!({})).await;
    assert_eq!(
        (status, code(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "reason_required")
    );
    let (_, returned) = api
        .act("tokyo-pre", id, "return", json!({"reason": "写真が不鮮明"}))
        .await;
    assert_eq!(returned["stage"], "returned", "{returned}");
    assert_eq!(returned["form"]["license_number"], "TESTC00021");
    assert_eq!(returned["form"]["name_kana_given"], "タロウ");
    assert_eq!(returned["documents"]["photo_id"], "passport");
    let (_, v) = api.act("tokyo-reception", id, "resubmit", json!({})).await;
    assert_eq!(v["stage"], "received");

    // 却下 keeps every field too, and ends the application.
    let (_, rejected) = api
        .act(
            "tokyo-pre",
            id,
            "reject",
            json!({"reason": "医籍登録が確認できない"}),
        )
        .await;
    assert_eq!(rejected["stage"], "rejected", "{rejected}");
    assert_eq!(rejected["form"], returned["form"]);
    assert_eq!(rejected["documents"], returned["documents"]);
    let (status, _) = api.act("tokyo-reception", id, "resubmit", json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (_, h) = api
        .get("tokyo-pre", &format!("/api/v1/applications/{id}/history"))
        .await;
    let reasons: Vec<&str> = h["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["reason"].as_str())
        .collect();
    assert_eq!(reasons, ["写真が不鮮明", "医籍登録が確認できない"]);

    // The audit log verifies after the scenario, with every transition in it; a changed row
    // is detected.
    let store = &api.ra.ca().store;
    assert!(matches!(
        store.verify_audit().await.unwrap(),
        hpki_store::AuditVerification::Intact { .. }
    ));
    let actions: Vec<String> = store
        .audit_records()
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.action)
        .collect();
    for a in [
        "application.draft_created",
        "application.submit",
        "application.return",
        "application.resubmit",
        "application.reject",
    ] {
        assert!(actions.iter().any(|x| x == a), "{a} not audited");
    }
    let seq = store
        .audit_records()
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.action == "application.reject")
        .unwrap()
        .seq;
    let url = api.database_url();
    sqlx_exec(
        &url,
        &format!("UPDATE audit_log SET details = '{{}}' WHERE seq = {seq}"),
    )
    .await;
    assert!(matches!(
        store.verify_audit().await.unwrap(),
        hpki_store::AuditVerification::Broken { seq: s, .. } if s == seq
    ));
    api.finish().await;
}

/// A storage error deep in the engine (the table of applications is gone under the running
/// server) reaches the API's client as Japanese with no English in it and English with no
/// Japanese in it: `RegistrationError::Store(StoreError::Database(…))`, each layer's words in
/// each language.
async fn a_storage_error_reaches_the_api_whole_in_each_language(b: Backend) {
    let Some(api) = setup(b).await else { return };
    let (status, _) = api.get("tokyo-reception", "/api/v1/applications").await;
    assert_eq!(status, StatusCode::OK);
    let url = api.database_url();
    sqlx_exec(
        &url,
        "DROP TABLE application_events; DROP TABLE applications",
    )
    .await;
    let (status, v) = api.get("tokyo-reception", "/api/v1/applications").await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{v}");
    let ja = v["error"]["message_ja"].as_str().unwrap_or_default();
    let en = v["error"]["message_en"].as_str().unwrap_or_default();
    assert!(ja.starts_with("データベースの誤り："), "{ja}");
    assert!(
        !ja.chars().any(|c| c.is_ascii_alphabetic()),
        "English in the Japanese message: {ja}"
    );
    assert!(en.starts_with("storage error: database error:"), "{en}");
    assert!(
        !hpki_text::has_japanese(en),
        "Japanese in the English message: {en}"
    );
    assert_eq!(v["error"]["code"], "internal");
    api.finish().await;
}

async fn sqlx_exec(url: &str, sql: &str) {
    use sqlx::Connection;
    sqlx::any::install_default_drivers();
    let mut c = sqlx::AnyConnection::connect(url).await.expect("connect");
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
        .execute(&mut c)
        .await
        .expect("sql");
}

/// SoftHSM2 for this test binary (the module reads its configuration once per process).
fn softhsm() -> std::sync::Arc<hpki_token::Module> {
    static HSM: std::sync::OnceLock<hpki_testkit::SoftHsm> = std::sync::OnceLock::new();
    HSM.get_or_init(|| {
        let hsm = hpki_testkit::SoftHsm::new();
        // Set once, before the module is loaded.
        #[allow(unsafe_code)]
        unsafe {
            std::env::set_var("SOFTHSM2_CONF", &hsm.conf)
        };
        hsm
    });
    hpki_token::Module::open(std::path::Path::new(hpki_token::SOFTHSM2_MODULE))
        .expect("SoftHSM2 (scripts/test.sh installs softhsm2)")
}

async fn reissue_after_loss_and_revocation_when_the_qualification_is_lost(b: Backend) {
    let Some(api) = setup(b).await else { return };
    // 日医 太郎 already holds a card (card IDs differ per backend: one SoftHSM2 store).
    let prefix = match b {
        Backend::Sqlite => "JMACS",
        Backend::Postgres => "JMACP",
    };
    let ca_dir = api._dir.path().join("ca");
    let config = std::fs::read_to_string(ca_dir.join("hpki.toml")).unwrap();
    std::fs::write(
        ca_dir.join("hpki.toml"),
        config.replace(
            "card_id_prefix = \"JMAC\"",
            &format!("card_id_prefix = \"{prefix}\""),
        ),
    )
    .unwrap();
    let engine = hpki_ca::Engine::open(
        &ca_dir,
        api.db_url.as_deref(),
        hpki_ca::authority::KeyAccess::Passphrase("ra test".into()),
        "test",
    )
    .await
    .unwrap();
    let holder = hpki_ca::cards::CardHolder::from_json(
        &serde_json::to_string(&{
            let f: hpki_ra::application::ApplicationForm = serde_json::from_value(form()).unwrap();
            f.holder_json("JMA9999999999")
        })
        .unwrap(),
    )
    .unwrap();
    let blank = hpki_token::Pkcs11BlankCard {
        module: softhsm(),
        slot: None,
    };
    let old = engine
        .personalize_card(&blank, &holder, None, "1234", None)
        .await
        .expect("the first card");
    assert!(old.card_id.starts_with(prefix));

    // A reissue names the lost card; it goes through every review like a new application.
    let mut reissue = form();
    reissue["kind"] = json!("reissue");
    let (_, draft) = api
        .post(
            "tokyo-reception",
            "/api/v1/applications",
            json!({"form": reissue, "documents": documents(7)}),
        )
        .await;
    let id = draft["id"].as_i64().unwrap();
    let (status, v) = api.act("tokyo-reception", id, "submit", json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(v["error"]["fields"][0]["field"], "previous_card_id", "{v}");
    reissue["previous_card_id"] = json!(old.card_id);
    let (_, app) = api
        .get("tokyo-reception", &format!("/api/v1/applications/{id}"))
        .await;
    api.call(
        Some("tokyo-reception"),
        Method::PUT,
        &format!("/api/v1/applications/{id}"),
        Some(json!({"version": app["version"], "form": reissue, "documents": documents(7)})),
    )
    .await;
    for (who, act, extra) in [
        ("tokyo-reception", "submit", json!({})),
        ("tokyo-pre", "pre_review", json!({})),
        ("tokyo-main", "main_review", json!({"tracking": "T-9"})),
        ("hq-final", "papers_arrived", json!({})),
        ("hq-final", "final_review", json!({})),
    ] {
        let (status, v) = api.act(who, id, act, extra).await;
        assert_eq!(status, StatusCode::OK, "{act}: {v}");
    }
    // Issuance revokes the lost card's certificates first (keyCompromise).
    let (_, app) = api
        .get("hq-operator", &format!("/api/v1/applications/{id}"))
        .await;
    let (status, issued) = api
        .post(
            "hq-operator",
            &format!("/api/v1/applications/{id}/issue"),
            json!({"version": app["version"], "sign_csr": csr_pem(), "auth_csr": csr_pem()}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{issued}");
    let store = &api.ra.ca().store;
    let lost = store.card(&old.card_id).await.unwrap().unwrap();
    assert_eq!(lost.status, hpki_store::CardStatus::Lost);
    let sign = store
        .certificate("sign", &old.sign.serial_hex)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(sign.revocation_reason, Some(1), "keyCompromise");

    // The qualification is lost: every certificate of the doctor is revoked.
    let (status, v) = api
        .post(
            "tokyo-main",
            "/api/v1/doctors/JMA9999999999/revoke",
            json!({"reason": "privilegeWithdrawn"}),
        )
        .await;
    assert_eq!((status, code(&v)), (StatusCode::FORBIDDEN, "forbidden"));
    let (status, v) = api
        .post(
            "hq-operator",
            "/api/v1/doctors/JMA9999999999/revoke",
            json!({"reason": "privilegeWithdrawn"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let revoked: Vec<&str> = v["revoked"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s.as_str())
        .collect();
    assert!(
        revoked.contains(&issued["sign_serial"].as_str().unwrap()),
        "{v}"
    );
    assert!(
        revoked.contains(&issued["auth_serial"].as_str().unwrap()),
        "{v}"
    );
    let (status, _) = api
        .post(
            "hq-operator",
            "/api/v1/doctors/JMA9999999999/revoke",
            json!({"reason": "privilegeWithdrawn"}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "nothing left to revoke");
    let audit: Vec<String> = store
        .audit_records()
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.action)
        .collect();
    for a in ["application.previous_card_revoked", "doctor.revoked"] {
        assert!(audit.iter().any(|x| x == a), "{a} not audited");
    }
    // What the CA did for the officers is audited as the officers who asked, not the server:
    // every revocation (the lost card's, the doctor's), the reissue's certificates.
    let records = store.audit_records().await.unwrap();
    let by = |action: &str| -> Vec<&str> {
        records
            .iter()
            .filter(|r| r.action == action)
            .map(|r| r.actor.as_str())
            .collect()
    };
    let revoked = by("certificate.revoked");
    assert!(
        !revoked.is_empty() && revoked.iter().all(|x| x.starts_with("officer:")),
        "{revoked:?}"
    );
    assert!(
        by("certificate.issued").contains(&"officer:hq-operator@hq"),
        "{:?}",
        by("certificate.issued")
    );
    engine.store.close().await;
    api.finish().await;
}

/// Issue "Issuance integrity", the subscriber register: two applications for one new doctor
/// (Tokyo and Osaka) each show the other at every stage; the HQ final reviewer goes on only with
/// a reason, recorded; once one is issued the other cannot be issued, nor a third new one, and a
/// third under another name shows that the register knows the number as someone else's.
async fn one_doctor_one_issuance_by_the_subscriber_register(b: Backend) {
    let Some(api) = setup(b).await else { return };
    let doctor = |given: &str| {
        let mut f = form();
        f["license_number"] = json!("REG000777");
        f["member_id"] = json!("7777777777");
        f["name_kanji_given"] = json!(given);
        f
    };
    let register = |v: &Value| -> Vec<String> {
        v["register"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|f| f["code"].as_str().unwrap_or("").to_owned())
                    .collect()
            })
            .unwrap_or_default()
    };
    let tokyo = api.received_form("tokyo-reception", doctor("太郎")).await;
    let osaka = api.received_form("osaka-reception", doctor("太郎")).await;
    let walk = [
        (
            "tokyo",
            tokyo,
            [("tokyo-pre", "pre_review"), ("tokyo-main", "main_review")],
        ),
        (
            "osaka",
            osaka,
            [
                ("osaka-reception", "pre_review"),
                ("osaka-review", "main_review"),
            ],
        ),
    ];
    for (office, id, steps) in walk {
        let reception = if office == "tokyo" {
            "tokyo-reception"
        } else {
            "osaka-reception"
        };
        let (_, v) = api
            .get(reception, &format!("/api/v1/applications/{id}"))
            .await;
        assert_eq!(register(&v), ["open_application"], "at reception: {v}");
        assert!(
            v["register"][0]["message_ja"]
                .as_str()
                .unwrap()
                .contains("処理中")
        );
        for (login, action) in steps {
            let (status, v) = api
                .act(login, id, action, json!({"tracking": "1111-2222"}))
                .await;
            assert_eq!(status, StatusCode::OK, "{v}");
            let (_, v) = api.get(login, &format!("/api/v1/applications/{id}")).await;
            assert_eq!(register(&v), ["open_application"], "after {action}: {v}");
        }
        api.act("hq-final", id, "papers_arrived", json!({})).await;
    }
    // Final review: a reason is needed to go on, and is recorded.
    let (status, v) = api.act("hq-final", tokyo, "final_review", json!({})).await;
    assert_eq!(
        (status, code(&v)),
        (StatusCode::CONFLICT, "register_reason_required"),
        "{v}"
    );
    assert!(
        v["error"]["message_ja"]
            .as_str()
            .unwrap()
            .contains("理由を記入"),
        "{v}"
    );
    let (status, v) = api
        .act(
            "hq-final",
            tokyo,
            "final_review",
            json!({"reason": "大阪の申請は重複。東京で発行し大阪は却下する"}),
        )
        .await;
    assert_eq!(
        (status, v["stage"].as_str()),
        (StatusCode::OK, Some("approved")),
        "{v}"
    );
    let (status, v) = api
        .act(
            "hq-final",
            osaka,
            "final_review",
            json!({"reason": "確認中"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");

    // Tokyo issues; Osaka then cannot, and nothing is signed for it.
    let (status, v) = api.issue_from_csrs(tokyo).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let certificates = api.ra.ca().store.certificates(None).await.unwrap().len();
    let (status, v) = api.issue_from_csrs(osaka).await;
    assert_eq!(
        (status, code(&v)),
        (StatusCode::CONFLICT, "register_conflict"),
        "{v}"
    );
    assert_eq!(v["error"]["register"][0]["code"], "issued_before", "{v}");
    assert_eq!(
        api.ra.ca().store.certificates(None).await.unwrap().len(),
        certificates
    );
    let (_, v) = api
        .get("hq-operator", &format!("/api/v1/applications/{osaka}"))
        .await;
    assert_eq!(v["stage"], "approved");

    // The register holds the doctor; a third, new application under another name.
    let reg = api
        .ra
        .ca()
        .store
        .subscriber("REG000777")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (reg.subscriber_id.as_str(), reg.first_application_id),
        ("JMA7777777777", tokyo)
    );
    let third = api.received_form("tokyo-reception", doctor("次郎")).await;
    let (_, v) = api
        .get("tokyo-reception", &format!("/api/v1/applications/{third}"))
        .await;
    let found = register(&v);
    for c in ["different_person", "issued_before", "open_application"] {
        assert!(found.iter().any(|f| f == c), "{c}: {v}");
    }
    api.act("tokyo-pre", third, "pre_review", json!({})).await;
    api.act("tokyo-main", third, "main_review", json!({"tracking": "1"}))
        .await;
    api.act("hq-final", third, "papers_arrived", json!({}))
        .await;
    let (status, v) = api
        .act(
            "hq-final",
            third,
            "final_review",
            json!({"reason": "override"}),
        )
        .await;
    assert_eq!(
        (status, code(&v)),
        (StatusCode::CONFLICT, "register_conflict"),
        "{v}"
    );
    api.finish().await;
}

on_both_backends_async!(
    one_doctor_one_issuance_by_the_subscriber_register,
    every_transition_from_reception_to_an_active_card,
    separation_of_duties_and_office_scoping,
    document_rules_and_data_kept_on_return_and_rejection,
    reissue_after_loss_and_revocation_when_the_qualification_is_lost,
    a_storage_error_reaches_the_api_whole_in_each_language
);
