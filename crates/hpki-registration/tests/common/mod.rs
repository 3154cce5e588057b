//! What the engine's scenario tests share: one demo CA with the demo offices and officers per
//! scenario, on SQLite or PostgreSQL; a standing clock; complete forms; fresh CSRs.
#![allow(dead_code)] // each test binary uses its own part

use hpki_testkit::Backend;
use std::sync::Arc;

use hpki_ca::ceremony::{InitOptions, build_csr, init_with_clock};
use hpki_keys::{KeyKind, SoftwareKey};
use hpki_ra::application::{ApplicationForm, DocumentChecklist};
use hpki_ra::workflow::{Action, Stage};
use hpki_registration::{ActInput, Officer, Registration, RegistrationError};
use serde_json::{Value, json};

pub const PASSWORD: &str = "test officer password";

pub struct Ra {
    pub ra: Registration,
    pub db_url: String,
    pub postgres: bool,
    _dir: tempfile::TempDir,
}

pub async fn setup(backend: Backend) -> Option<Ra> {
    let pg = hpki_testkit::test_database_url(matches!(backend, Backend::Postgres)).await?;
    let dir = tempfile::tempdir().expect("tempdir");
    let opts = InitOptions {
        demo: true,
        database_url: pg.clone(),
        public_base_url: "http://127.0.0.1".into(),
        passphrase: "registration test".into(),
        actor: "test".into(),
        hsm: None,
    };
    let engine = init_with_clock(&dir.path().join("ca"), &opts, &mut |_| {}, clock())
        .await
        .expect("init");
    let ra = Registration::new(Arc::new(engine));
    ra.seed_demo("test", PASSWORD).await.expect("seed demo");
    let db_url = pg
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}/ca/hpki.db", dir.path().display()));
    Some(Ra {
        ra,
        db_url,
        postgres: pg.is_some(),
        _dir: dir,
    })
}

impl Ra {
    pub async fn officer(&self, login: &str) -> Officer {
        self.ra.officer(login).await.expect("officer")
    }

    /// A complete application received in Tokyo and walked through final review (ready to
    /// issue); returns its number and version.
    pub async fn approved(&self, form: Value) -> (i64, i64) {
        let form: ApplicationForm = serde_json::from_value(form).expect("form");
        let documents: DocumentChecklist = serde_json::from_value(documents(7)).expect("documents");
        let reception = self.officer("tokyo-reception").await;
        let app = self
            .ra
            .create_draft(&reception, &form, &documents, None)
            .await
            .expect("draft");
        let id = app.record.id;
        let mut version = app.record.version;
        for (login, action, tracking) in [
            ("tokyo-reception", Action::Submit, None),
            ("tokyo-pre", Action::PreReview, None),
            ("tokyo-main", Action::MainReview, Some("1234-5678")),
            ("hq-final", Action::PapersArrived, None),
            ("hq-final", Action::FinalReview, None),
        ] {
            let input = ActInput {
                tracking: tracking.map(str::to_owned),
                ..ActInput::default()
            };
            let app = self
                .ra
                .act(&self.officer(login).await, id, version, action, &input)
                .await
                .unwrap_or_else(|e| panic!("{action:?}: {e}"));
            version = app.record.version;
        }
        (id, version)
    }

    /// A complete application received in Tokyo and walked to 発行済 from two fresh CSRs;
    /// returns its number and subscriber ID.
    pub async fn issued(&self, form: Value) -> (i64, String) {
        let (id, version) = self.approved(form).await;
        let (app, _, _) = self
            .ra
            .issue_with_csrs(
                &self.officer("hq-operator").await,
                id,
                version,
                &csr(),
                &csr(),
            )
            .await
            .expect("issue");
        assert_eq!(app.stage, Stage::Issued);
        (id, app.record.subscriber_id.expect("subscriber ID"))
    }

    pub async fn sql(&self, sql: &str) {
        use sqlx::Connection;
        sqlx::any::install_default_drivers();
        let mut c = sqlx::AnyConnection::connect(&self.db_url)
            .await
            .expect("connect");
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
            .execute(&mut c)
            .await
            .expect("sql");
        c.close().await.expect("close");
    }

    /// The audit log verifies and holds `actions`; returns the details of the records of
    /// `details_of`.
    pub async fn audited(&self, actions: &[&str], details_of: &str) -> Vec<Value> {
        let store = &self.ra.ca().store;
        assert!(matches!(
            store.verify_audit().await.expect("verify"),
            hpki_store::AuditVerification::Intact { .. }
        ));
        let records = store.audit_records().await.expect("audit");
        for a in actions {
            assert!(records.iter().any(|r| r.action == *a), "{a} not audited");
        }
        records
            .iter()
            .filter(|r| r.action == details_of)
            .map(|r| serde_json::from_str(&r.details).expect("details"))
            .collect()
    }

    pub async fn finish(self) {
        self.ra.ca().store.close().await;
        if self.postgres {
            hpki_testkit::drop_postgres_schema(&self.db_url).await;
        }
    }
}

/// The clock of every engine of this test binary: it stands still (no test waits for time to
/// pass), at the real time of the start so that outside tools agree with it.
pub fn clock() -> hpki_clock::SharedClock {
    static CLOCK: std::sync::OnceLock<hpki_clock::FixedClock> = std::sync::OnceLock::new();
    CLOCK
        .get_or_init(hpki_clock::FixedClock::starting_now)
        .shared()
}

pub fn today() -> time::Date {
    hpki_clock::jst::date(clock().now())
}

/// A complete form: 日医 太郎's with the given names, licence and membership.
pub fn form(
    kanji_given: &str,
    romaji_given: &str,
    license: &str,
    member_id: Option<&str>,
) -> Value {
    json!({
        "application_date": today().to_string(), "kind": "new",
        "name_kana_family": "ニチイ", "name_kana_given": "タロウ",
        "name_kanji_family": "日医", "name_kanji_given": kanji_given,
        "name_romaji_family": "Nichii", "name_romaji_given": romaji_given,
        "birth_date": "1955-01-01", "sex": "male",
        "address": {"postal_code": "113-8621", "prefecture_code": 13, "city": "文京区本駒込2-28-16"},
        "license_number": license, "license_registration_date": "1980-05-01",
        "membership": if member_id.is_some() { "member" } else { "non_member" },
        "member_id": member_id.unwrap_or(""),
        "phone": "03-3946-2121", "delivery": "home"
    })
}

/// The documents brought at reception, with a 住民票 issued `days` days ago.
pub fn documents(days: i64) -> Value {
    json!({
        "license": "original", "photo_id": "passport",
        "residence_certificate_issued": (today() - time::Duration::days(days)).to_string(),
        "photo_received": true
    })
}

/// A CSR of a fresh P-256 key (fast; the CA accepts ECDSA P-256).
pub fn csr() -> Vec<u8> {
    let key = SoftwareKey::generate(KeyKind::P256).expect("key");
    build_csr(&key, x509_cert::name::Name::default()).expect("csr")
}

pub fn forbidden<T: std::fmt::Debug>(r: Result<T, RegistrationError>) {
    assert!(
        matches!(r, Err(RegistrationError::Forbidden { .. })),
        "{r:?}"
    );
}
