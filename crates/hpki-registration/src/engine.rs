//! The registration engine: who the officer is, what they may see, and each step of an
//! application with its checks, history entry and audit record.

use std::sync::Arc;

use hpki_ca::Engine;
use hpki_ca::cards::{CardHolder, CardIssued};
use hpki_ca::issue::Issued;
use hpki_ra::application::{ApplicationForm, DocumentChecklist, FieldError};
use hpki_ra::office::OfficeStatus;
use hpki_ra::workflow::{
    Action, OfficeKind, Role, Stage, check_role, check_separation, next_stage,
};
use hpki_ra::{Lang, prefecture};
use hpki_store::{
    ApplicationChange, ApplicationEvent, ApplicationFilter, ApplicationRecord, AuditEvent,
    OfficeRecord, OfficerRecord, SessionRecord, Store,
};
use hpki_token::BlankCard;
use serde_json::json;
use time::OffsetDateTime;
use x509_cert::ext::pkix::crl::CrlReason;

use crate::RegistrationError;
use crate::auth;

/// The JMA registration authority's office identifier.
pub const HQ: &str = "hq";

/// An officer, signed in.
#[derive(Debug, Clone)]
pub struct Officer {
    /// Login ID.
    pub login: String,
    /// Display name.
    pub name: String,
    /// Their office.
    pub office: OfficeRecord,
    /// Its kind.
    pub kind: OfficeKind,
    /// Their roles.
    pub roles: Vec<Role>,
}

impl Officer {
    /// Whether the officer works at the JMA registration authority (sees every application).
    pub fn is_hq(&self) -> bool {
        self.kind == OfficeKind::Headquarters
    }

    /// Whether the officer holds `role`.
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    fn actor(&self) -> String {
        format!("officer:{}@{}", self.login, self.office.id)
    }
}

/// An application with its form and documents read.
#[derive(Debug, Clone)]
pub struct Application {
    /// As stored.
    pub record: ApplicationRecord,
    /// Its stage.
    pub stage: Stage,
    /// The form (possibly half-filled).
    pub form: ApplicationForm,
    /// The document checklist.
    pub documents: DocumentChecklist,
}

impl Application {
    fn from_record(record: ApplicationRecord) -> Result<Self, RegistrationError> {
        let stage = Stage::parse(&record.stage).ok_or_else(|| {
            RegistrationError::Internal(format!("unknown stage {:?}", record.stage))
        })?;
        let form = serde_json::from_str(&record.form)
            .map_err(|e| RegistrationError::Internal(format!("stored form: {e}")))?;
        let documents = serde_json::from_str(&record.documents)
            .map_err(|e| RegistrationError::Internal(format!("stored documents: {e}")))?;
        Ok(Application {
            record,
            stage,
            form,
            documents,
        })
    }
}

/// What the dashboard shows (see [`Registration::dashboard`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dashboard {
    /// Office status per prefecture (JIS X 0401 code).
    pub statuses: Vec<(u8, OfficeStatus)>,
    /// Cumulative cards issued, by month.
    pub issued: Vec<(time::Date, u64)>,
    /// Applications pending per office (Japanese name), most first.
    pub pending: Vec<(String, u64)>,
}

/// What an act may carry besides the act itself.
#[derive(Debug, Clone, Default)]
pub struct ActInput {
    /// The reason of a return (差戻し) or rejection (却下).
    pub reason: Option<String>,
    /// The tracking number of the papers mailed to HQ (本審査).
    pub tracking: Option<String>,
}

/// The search keys of a form: kana name, kanji name, licence number (empty when not filled).
fn search_keys(form: &ApplicationForm) -> (String, String, String) {
    let form = form.normalized();
    (
        form.name_kana(),
        form.name_kanji(),
        form.license_number.trim().to_owned(),
    )
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<String, RegistrationError> {
    serde_json::to_string(v).map_err(|e| RegistrationError::Internal(e.to_string()))
}

/// The registration engine over the CA engine (one data directory, one store).
#[derive(Clone)]
pub struct Registration {
    ca: Arc<Engine>,
}

impl Registration {
    /// The engine over `ca`.
    pub fn new(ca: Arc<Engine>) -> Self {
        Registration { ca }
    }

    /// The CA engine.
    pub fn ca(&self) -> &Arc<Engine> {
        &self.ca
    }

    /// Today in Japan by the CA's clock (the reception date of the document rules).
    pub fn today(&self) -> time::Date {
        hpki_clock::jst::date(self.ca.now())
    }

    /// Now in whole Unix seconds by the CA's clock.
    fn now_unix(&self) -> i64 {
        self.ca.clock.unix()
    }

    /// The fiscal year today in Japan (April–March, named by its starting year).
    pub fn current_fiscal_year(&self) -> i64 {
        crate::fees::fiscal_year_of(self.today())
    }

    fn store(&self) -> &Store {
        &self.ca.store
    }

    fn audit(
        &self,
        actor: &str,
        action: &str,
        object: &str,
        details: serde_json::Value,
    ) -> AuditEvent {
        AuditEvent {
            actor: actor.to_owned(),
            action: action.to_owned(),
            object: object.to_owned(),
            details,
        }
    }

    // ----- offices -----

    /// Creates the offices of a new installation: the JMA registration authority and the 47
    /// prefectural offices (with `statuses`, 未開設 where not given); with `demo`, also a county
    /// medical association delegated by Tokyo and a hospital office. Existing offices are kept.
    pub async fn seed_offices(
        &self,
        actor: &str,
        statuses: &[(u8, OfficeStatus)],
        demo: bool,
    ) -> Result<usize, RegistrationError> {
        let existing: Vec<String> = self
            .store()
            .offices()
            .await?
            .into_iter()
            .map(|o| o.id)
            .collect();
        let mut offices = vec![OfficeRecord {
            id: HQ.into(),
            kind: OfficeKind::Headquarters.as_str().into(),
            name_ja: "日本医師会 電子認証センター 登録局".into(),
            name_en: "JMA Certification Authority, Registration Authority".into(),
            prefecture_code: None,
            parent_id: None,
            status: status_str(OfficeStatus::Accepting).into(),
        }];
        for p in prefecture::PREFECTURES.iter() {
            let status = statuses
                .iter()
                .find(|(c, _)| *c == p.code)
                .map(|(_, s)| *s)
                .unwrap_or(OfficeStatus::NotOpened);
            offices.push(OfficeRecord {
                id: format!("pref-{:02}", p.code),
                kind: OfficeKind::Prefectural.as_str().into(),
                name_ja: format!("{}医師会 地域受付審査局", p.name_ja),
                name_en: format!(
                    "{} Medical Association reception and review office",
                    p.name_en
                ),
                prefecture_code: Some(i64::from(p.code)),
                parent_id: None,
                status: status_str(status).into(),
            });
        }
        if demo {
            offices.push(OfficeRecord {
                id: "county-13-minato".into(),
                kind: OfficeKind::County.as_str().into(),
                name_ja: "港区医師会".into(),
                name_en: "Minato City Medical Association".into(),
                prefecture_code: Some(13),
                parent_id: Some("pref-13".into()),
                status: status_str(OfficeStatus::Accepting).into(),
            });
            offices.push(OfficeRecord {
                id: "hosp-13-nichii".into(),
                kind: OfficeKind::Hospital.as_str().into(),
                name_ja: "日医病院 病院受付審査局".into(),
                name_en: "Nichii Hospital reception and review office".into(),
                prefecture_code: Some(13),
                parent_id: None,
                status: status_str(OfficeStatus::Accepting).into(),
            });
        }
        let mut created = 0;
        for o in offices {
            if existing.contains(&o.id) {
                continue;
            }
            let audit = self.audit(
                actor,
                "office.created",
                &format!("office/{}", o.id),
                json!({"kind": o.kind, "name": o.name_ja, "status": o.status,
                       "prefecture": o.prefecture_code, "parent": o.parent_id}),
            );
            self.store().put_office(&o, &audit).await?;
            created += 1;
        }
        Ok(created)
    }

    /// Every office.
    pub async fn offices(&self) -> Result<Vec<OfficeRecord>, RegistrationError> {
        Ok(self.store().offices().await?)
    }

    /// Sets the status of a prefectural office (未開設 / 開設済み / 受付可能): administrators
    /// of HQ only.
    pub async fn set_office_status(
        &self,
        admin: &Officer,
        office_id: &str,
        status: OfficeStatus,
    ) -> Result<OfficeRecord, RegistrationError> {
        if !(admin.is_hq() && admin.has(Role::Administrator)) {
            return Err(RegistrationError::forbidden(
                "受付審査局の状態は登録局の管理者のみ変更できます",
                "only an administrator of the registration authority changes office status",
            ));
        }
        self.set_office_status_by_operator(&admin.actor(), office_id, status)
            .await
    }

    /// Sets an office's status as the operator at the console (`hpki office status`), who
    /// `actor` names in the audit log.
    pub async fn set_office_status_by_operator(
        &self,
        actor: &str,
        office_id: &str,
        status: OfficeStatus,
    ) -> Result<OfficeRecord, RegistrationError> {
        let mut office = self.store().office(office_id).await?.ok_or_else(|| {
            RegistrationError::not_found(format!("局 {office_id} "), format!("office {office_id}"))
        })?;
        let before = office.status.clone();
        office.status = status_str(status).into();
        let audit = self.audit(
            actor,
            "office.status_changed",
            &format!("office/{office_id}"),
            json!({"from": before, "to": office.status}),
        );
        self.store().put_office(&office, &audit).await?;
        Ok(office)
    }

    /// The demo's offices (with the sample statuses of the dashboard) and officers, all with
    /// the password `password`: the JMA registration authority (`hq-admin`, `hq-final`,
    /// `hq-operator`), Tokyo (`tokyo-reception`, `tokyo-pre`, `tokyo-main`), Minato City
    /// (`minato-reception`, delegated by Tokyo) and Osaka (`osaka-reception`, `osaka-review`).
    pub async fn seed_demo(&self, actor: &str, password: &str) -> Result<(), RegistrationError> {
        self.seed_offices(actor, &hpki_ra::stats::demo_statuses(), true)
            .await?;
        for (login, name, office, roles) in DEMO_OFFICERS {
            self.add_officer(actor, login, name, office, roles, Some(password))
                .await?;
        }
        Ok(())
    }

    // ----- officers -----

    /// Creates an officer of `office_id` with `roles` (each allowed at that kind of office)
    /// and, optionally, a password. `actor` is who does it (an administrator, or the CLI).
    pub async fn add_officer(
        &self,
        actor: &str,
        login: &str,
        name: &str,
        office_id: &str,
        roles: &[Role],
        password: Option<&str>,
    ) -> Result<(), RegistrationError> {
        if login.len() < 3
            || login.len() > 32
            || !login
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
        {
            return Err(RegistrationError::bad_input(
                "ログインIDは英小文字・数字・._- の3〜32文字です",
                format!("login ID {login:?} must be 3-32 of a-z 0-9 . _ -"),
            ));
        }
        if name.trim().is_empty() {
            return Err(RegistrationError::bad_input(
                "担当者名を入力してください",
                "the officer's name is required",
            ));
        }
        let office = self.store().office(office_id).await?.ok_or_else(|| {
            RegistrationError::not_found(format!("局 {office_id} "), format!("office {office_id}"))
        })?;
        let kind = office_kind(&office)?;
        if roles.is_empty() {
            return Err(RegistrationError::bad_input(
                "権限を一つ以上指定してください",
                "at least one role is required",
            ));
        }
        for r in roles {
            if !kind.allows(*r) {
                return Err(RegistrationError::forbidden(
                    format!(
                        "{}に「{}」の権限は設定できません",
                        kind.label(Lang::Ja),
                        r.label(Lang::Ja)
                    ),
                    format!(
                        "the role {} is not available at a {}",
                        r.label(Lang::En),
                        kind.label(Lang::En)
                    ),
                ));
            }
        }
        let password_hash = password.map(auth::hash_password).transpose()?;
        let rec = OfficerRecord {
            login: login.to_owned(),
            name: name.trim().to_owned(),
            office_id: office_id.to_owned(),
            roles: roles.iter().map(|r| r.as_str().to_owned()).collect(),
            password_hash,
            failed_logins: 0,
            locked_until: None,
            active: true,
        };
        let audit = self.audit(
            actor,
            "officer.created",
            &format!("officer/{login}"),
            json!({"office": office_id, "roles": rec.roles, "password_set": rec.password_hash.is_some()}),
        );
        match self.store().create_officer(&rec, &audit).await {
            Err(hpki_store::StoreError::Conflict(_)) => Err(RegistrationError::bad_input(
                format!("ログインID {login} は使用済みです"),
                format!("login ID {login} is taken"),
            )),
            other => Ok(other?),
        }
    }

    /// Issues an API bearer token for `login`; only its hash is kept, the token is returned
    /// once.
    pub async fn issue_token(
        &self,
        actor: &str,
        login: &str,
        label: &str,
    ) -> Result<String, RegistrationError> {
        self.officer(login).await?;
        let token = auth::random_secret()?;
        let audit = self.audit(
            actor,
            "officer.token_issued",
            &format!("officer/{login}"),
            json!({"label": label}),
        );
        self.store()
            .add_token(&auth::secret_hash(&token), login, label, &audit)
            .await?;
        Ok(token)
    }

    /// The active officer `login`.
    pub async fn officer(&self, login: &str) -> Result<Officer, RegistrationError> {
        let rec = self
            .store()
            .officer(login)
            .await?
            .filter(|o| o.active)
            .ok_or(RegistrationError::NotAuthenticated)?;
        let office = self
            .store()
            .office(&rec.office_id)
            .await?
            .ok_or_else(|| RegistrationError::Internal(format!("office {}", rec.office_id)))?;
        let kind = office_kind(&office)?;
        Ok(Officer {
            login: rec.login,
            name: rec.name,
            kind,
            office,
            roles: rec.roles.iter().filter_map(|r| Role::parse(r)).collect(),
        })
    }

    /// Signs in with a password: a new session (cookie value, CSRF token) or a refusal.
    /// [`auth::MAX_FAILED_LOGINS`] failures in a row lock the account for
    /// [`auth::LOCKOUT_SECONDS`]; the lock is audited.
    pub async fn sign_in(
        &self,
        login: &str,
        password: &str,
    ) -> Result<(String, String, Officer), RegistrationError> {
        let now = self.now_unix();
        let Some(rec) = self.store().officer(login).await?.filter(|o| o.active) else {
            // The same work as a real check, so timing does not tell which logins exist.
            auth::verify_password(dummy_hash(), password);
            return Err(RegistrationError::LoginFailed);
        };
        if let Some(until) = rec.locked_until.filter(|u| *u > now) {
            return Err(RegistrationError::Locked { until: iso(until) });
        }
        let ok = rec
            .password_hash
            .as_deref()
            .is_some_and(|h| auth::verify_password(h, password));
        if !ok {
            let failed = rec.failed_logins + 1;
            if failed >= auth::MAX_FAILED_LOGINS {
                let until = now + auth::LOCKOUT_SECONDS;
                let audit = self.audit(
                    &format!("officer:{login}"),
                    "officer.locked",
                    &format!("officer/{login}"),
                    json!({"failed_logins": failed, "locked_until": until}),
                );
                self.store()
                    .record_login(login, 0, Some(until), Some(&audit))
                    .await?;
                return Err(RegistrationError::Locked { until: iso(until) });
            }
            self.store().record_login(login, failed, None, None).await?;
            return Err(RegistrationError::LoginFailed);
        }
        if rec.failed_logins != 0 || rec.locked_until.is_some() {
            self.store().record_login(login, 0, None, None).await?;
        }
        let cookie = auth::random_secret()?;
        let csrf = auth::random_secret()?;
        self.store()
            .create_session(
                &auth::secret_hash(&cookie),
                &SessionRecord {
                    login: login.to_owned(),
                    csrf: csrf.clone(),
                    expires_at: now + auth::SESSION_SECONDS,
                },
            )
            .await?;
        let officer = self.officer(login).await?;
        Ok((cookie, csrf, officer))
    }

    /// The officer and CSRF token of a session cookie.
    pub async fn session(&self, cookie: &str) -> Result<(Officer, String), RegistrationError> {
        let s = self
            .store()
            .session(&auth::secret_hash(cookie))
            .await?
            .ok_or(RegistrationError::NotAuthenticated)?;
        Ok((self.officer(&s.login).await?, s.csrf))
    }

    /// Ends a session.
    pub async fn sign_out(&self, cookie: &str) -> Result<(), RegistrationError> {
        Ok(self
            .store()
            .delete_session(&auth::secret_hash(cookie))
            .await?)
    }

    /// The officer of an API bearer token.
    pub async fn token_officer(&self, token: &str) -> Result<Officer, RegistrationError> {
        let login = self
            .store()
            .token_owner(&auth::secret_hash(token))
            .await?
            .ok_or(RegistrationError::NotAuthenticated)?;
        self.officer(&login).await
    }

    // ----- applications -----

    /// Whether `officer` may see `app`: HQ sees all; an office sees what it received and what
    /// it reviews.
    fn visible(officer: &Officer, app: &ApplicationRecord) -> bool {
        officer.is_hq()
            || app.office_id == officer.office.id
            || app.review_office_id == officer.office.id
    }

    /// Application `id`, if `officer` may see it (otherwise: not found, so other offices'
    /// applications are not even confirmed to exist).
    pub async fn get(&self, officer: &Officer, id: i64) -> Result<Application, RegistrationError> {
        let rec = self
            .store()
            .application(id)
            .await?
            .filter(|a| Self::visible(officer, a))
            .ok_or_else(|| {
                RegistrationError::not_found(format!("申請 {id} "), format!("application {id}"))
            })?;
        Application::from_record(rec)
    }

    /// The history of application `id`.
    pub async fn history(
        &self,
        officer: &Officer,
        id: i64,
    ) -> Result<Vec<ApplicationEvent>, RegistrationError> {
        self.get(officer, id).await?;
        Ok(self.store().application_events(id).await?)
    }

    /// Applications `officer` may see, at `stages` (all when empty), matching `text` (name in
    /// kana or kanji, or licence number).
    pub async fn list(
        &self,
        officer: &Officer,
        stages: &[Stage],
        text: Option<&str>,
    ) -> Result<Vec<ApplicationRecord>, RegistrationError> {
        let filter = ApplicationFilter {
            offices: (!officer.is_hq()).then(|| vec![officer.office.id.clone()]),
            stages: (!stages.is_empty())
                .then(|| stages.iter().map(|s| s.as_str().to_owned()).collect()),
            text: text.map(str::to_owned),
        };
        Ok(self.store().applications(&filter).await?)
    }

    /// The stages at which `officer` has work to do (their work queue).
    pub fn queue_stages(officer: &Officer) -> Vec<Stage> {
        let mut v = Vec::new();
        for (role, stages) in [
            (Role::Reception, &[Stage::Draft, Stage::Returned][..]),
            (Role::PreReview, &[Stage::Received]),
            (Role::MainReview, &[Stage::PreReviewed]),
            (Role::FinalReview, &[Stage::MainReviewed]),
            (
                Role::CaOperator,
                &[Stage::Approved, Stage::Issued, Stage::Shipped],
            ),
        ] {
            if officer.has(role) {
                v.extend_from_slice(stages);
            }
        }
        v
    }

    /// Starts an application at reception (受付) as a draft, however incomplete: nothing typed
    /// is ever lost. Reception officers of a reception office only.
    pub async fn create_draft(
        &self,
        officer: &Officer,
        form: &ApplicationForm,
        documents: &DocumentChecklist,
        photo: Option<Vec<u8>>,
    ) -> Result<Application, RegistrationError> {
        if !officer.has(Role::Reception) || officer.is_hq() {
            return Err(RegistrationError::forbidden(
                "申請の受付は受付審査局の受付担当者が行います",
                "applications are received by the reception of a local office",
            ));
        }
        let review_office_id = match officer.kind {
            OfficeKind::County => officer.office.parent_id.clone().ok_or_else(|| {
                RegistrationError::Internal(format!(
                    "county office {} has no prefectural office",
                    officer.office.id
                ))
            })?,
            _ => officer.office.id.clone(),
        };
        let (kana, kanji, license) = search_keys(form);
        let rec = ApplicationRecord {
            id: 0,
            office_id: officer.office.id.clone(),
            review_office_id,
            stage: Stage::Draft.as_str().into(),
            form: to_json(form)?,
            documents: to_json(documents)?,
            photo,
            name_kana: kana,
            name_kanji: kanji,
            license_number: license,
            papers_tracking: None,
            papers_arrived: false,
            subscriber_id: None,
            card_id: None,
            created_at: 0,
            updated_at: 0,
            version: 1,
        };
        let event = ApplicationEvent {
            at: 0,
            login: officer.login.clone(),
            office_id: officer.office.id.clone(),
            action: "draft_created".into(),
            from_stage: Stage::Draft.as_str().into(),
            to_stage: Stage::Draft.as_str().into(),
            reason: None,
            details: "{}".into(),
        };
        let audit = self.audit(
            &officer.actor(),
            "application.draft_created",
            "application",
            json!({"office": officer.office.id}),
        );
        let id = self
            .store()
            .create_application(&rec, &event, &audit)
            .await?;
        self.get(officer, id).await
    }

    /// Saves the form of a draft or of a returned application (what reception corrects).
    pub async fn save_draft(
        &self,
        officer: &Officer,
        id: i64,
        version: i64,
        form: &ApplicationForm,
        documents: &DocumentChecklist,
        photo: Option<Vec<u8>>,
    ) -> Result<Application, RegistrationError> {
        let app = self.get(officer, id).await?;
        if !matches!(app.stage, Stage::Draft | Stage::Returned)
            || !officer.has(Role::Reception)
            || app.record.office_id != officer.office.id
        {
            return Err(RegistrationError::forbidden(
                "下書きまたは差戻しの申請は受付した局の受付担当者のみ編集できます",
                "only the receiving office's reception edits a draft or a returned application",
            ));
        }
        // A save without a new photo keeps the one received before.
        let mut form = form.clone();
        if photo.is_none() {
            form.photo = app.form.photo.clone();
        }
        let change = ApplicationChange {
            form: Some(to_json(&form)?),
            documents: Some(to_json(documents)?),
            photo,
            search: Some(search_keys(&form)),
            ..Default::default()
        };
        let event = ApplicationEvent {
            at: 0,
            login: officer.login.clone(),
            office_id: officer.office.id.clone(),
            action: "draft_saved".into(),
            from_stage: app.stage.as_str().into(),
            to_stage: app.stage.as_str().into(),
            reason: None,
            details: "{}".into(),
        };
        let audit = self.audit(
            &officer.actor(),
            "application.draft_saved",
            &format!("application/{id}"),
            json!({"stage": app.stage.as_str()}),
        );
        let rec = self
            .store()
            .change_application(id, version, &change, &event, &audit)
            .await?;
        Application::from_record(rec)
    }

    /// Whether `officer`'s office is the one that acts at this step of `app`.
    fn office_may(officer: &Officer, app: &Application, action: Action) -> bool {
        let reception = app.record.office_id == officer.office.id;
        let review = app.record.review_office_id == officer.office.id;
        match action {
            Action::Submit | Action::Resubmit => reception,
            Action::PreReview => reception || review,
            Action::MainReview => review,
            Action::PapersArrived
            | Action::FinalReview
            | Action::Issue
            | Action::Ship
            | Action::ConfirmDelivery => officer.is_hq(),
            Action::Return | Action::Reject => match app.stage {
                Stage::Draft | Stage::Returned => reception,
                Stage::Received => reception || review,
                Stage::PreReviewed => review,
                _ => officer.is_hq(),
            },
        }
    }

    /// The acts `officer` may try on `app` now (role, office and stage allow them; the
    /// separation of duties, reasons and the form are checked when the act is tried). What
    /// the web UI offers as buttons.
    pub fn available_actions(officer: &Officer, app: &Application) -> Vec<Action> {
        [
            Action::Submit,
            Action::Resubmit,
            Action::PreReview,
            Action::MainReview,
            Action::PapersArrived,
            Action::FinalReview,
            Action::Issue,
            Action::Ship,
            Action::ConfirmDelivery,
            Action::Return,
            Action::Reject,
        ]
        .into_iter()
        .filter(|a| {
            check_role(&officer.roles, *a, app.stage).is_ok()
                && Self::office_may(officer, app, *a)
                && next_stage(app.stage, *a, app.record.papers_arrived).is_ok()
        })
        .collect()
    }

    /// Whether `officer` may edit the form of `app` (a draft or a returned application, at
    /// the office that received it).
    pub fn may_edit(officer: &Officer, app: &Application) -> bool {
        matches!(app.stage, Stage::Draft | Stage::Returned)
            && officer.has(Role::Reception)
            && app.record.office_id == officer.office.id
    }

    /// What the dashboard shows: each prefecture's office status, the cumulative number of
    /// cards issued by month (cards personalised, and issuances from applicants' CSRs), and
    /// the applications pending per office (at the office whose step is next).
    pub async fn dashboard(&self) -> Result<Dashboard, RegistrationError> {
        let offices = self.store().offices().await?;
        let statuses = offices
            .iter()
            .filter(|o| o.kind == OfficeKind::Prefectural.as_str())
            .filter_map(|o| {
                let code = u8::try_from(o.prefecture_code?).ok()?;
                Some((code, parse_status(&o.status)?))
            })
            .collect();
        // Issued: every card, plus every issuance on CSRs (no card).
        let mut issued_at: Vec<i64> = self
            .store()
            .cards(None)
            .await?
            .iter()
            .filter(|c| c.status != hpki_store::CardStatus::Personalizing)
            .map(|c| c.issued_at)
            .collect();
        let all = self
            .store()
            .applications(&ApplicationFilter::default())
            .await?;
        for a in &all {
            if a.card_id.is_none() && a.subscriber_id.is_some() {
                for e in self.store().application_events(a.id).await? {
                    if e.action == Action::Issue.as_str() {
                        issued_at.push(e.at);
                    }
                }
            }
        }
        issued_at.sort_unstable();
        let mut issued: Vec<(time::Date, u64)> = Vec::new();
        for (n, at) in issued_at.iter().enumerate() {
            let day = OffsetDateTime::from_unix_timestamp(*at)
                .map(|t| t.to_offset(hpki_clock::jst::OFFSET).date())
                .map_err(|e| RegistrationError::Internal(e.to_string()))?;
            let month = day.replace_day(1).unwrap_or(day);
            match issued.last_mut() {
                Some((m, total)) if *m == month => *total = n as u64 + 1,
                _ => issued.push((month, n as u64 + 1)),
            }
        }
        let mut pending: Vec<(String, u64)> = Vec::new();
        for a in &all {
            let Some(stage) = Stage::parse(&a.stage) else {
                continue;
            };
            let office = match stage {
                Stage::Active | Stage::Rejected => continue,
                Stage::Draft | Stage::Returned | Stage::Received => a.office_id.clone(),
                Stage::PreReviewed => a.review_office_id.clone(),
                _ => HQ.to_owned(),
            };
            match pending.iter_mut().find(|(o, _)| *o == office) {
                Some((_, n)) => *n += 1,
                None => pending.push((office, 1)),
            }
        }
        let name_of = |id: &str| {
            offices
                .iter()
                .find(|o| o.id == id)
                .map(|o| o.name_ja.clone())
                .unwrap_or_else(|| id.to_owned())
        };
        pending.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let pending = pending.into_iter().map(|(o, n)| (name_of(&o), n)).collect();
        Ok(Dashboard {
            statuses,
            issued,
            pending,
        })
    }

    /// Checks everything about `action` on `app` by `officer` and returns the stage it leads to.
    async fn check_act(
        &self,
        officer: &Officer,
        app: &Application,
        action: Action,
        input: &ActInput,
    ) -> Result<Stage, RegistrationError> {
        check_role(&officer.roles, action, app.stage)?;
        if !Self::office_may(officer, app, action) {
            return Err(RegistrationError::forbidden(
                format!(
                    "この申請の「{}」はあなたの局では行えません",
                    action.label(Lang::Ja)
                ),
                format!(
                    "{} of this application is not done at your office",
                    action.label(Lang::En)
                ),
            ));
        }
        if action.is_review() {
            let done: Vec<Action> = self
                .store()
                .application_events(app.record.id)
                .await?
                .iter()
                .filter(|e| e.login == officer.login)
                .filter_map(|e| Action::parse(&e.action))
                .collect();
            check_separation(&done, action)?;
        }
        if action.needs_reason() && input.reason.as_deref().is_none_or(|r| r.trim().is_empty()) {
            return Err(hpki_ra::workflow::TransitionError::ReasonRequired.into());
        }
        if action == Action::MainReview
            && input
                .tracking
                .as_deref()
                .is_none_or(|t| t.trim().is_empty())
        {
            return Err(RegistrationError::Invalid(vec![FieldError {
                field: "tracking",
                code: "required",
                message_ja: "郵送した書類の追跡番号を入力してください".into(),
                message_en: "enter the tracking number of the papers mailed to HQ".into(),
            }]));
        }
        if matches!(action, Action::Submit | Action::Resubmit) {
            let today = self.today();
            let mut problems = app.form.validate(today);
            problems.extend(app.documents.check(today));
            // 病院受付審査局 receive non-members; members apply at their medical association.
            if officer.kind == OfficeKind::Hospital
                && app.form.membership != Some(hpki_ra::application::Membership::NonMember)
                && app.form.membership.is_some()
            {
                problems.push(FieldError {
                    field: "membership",
                    code: "member_at_hospital",
                    message_ja: "病院受付審査局では日医非会員の申請のみ受け付けます（会員は所属の医師会で申請してください）".into(),
                    message_en: "A hospital office receives applications of non-members only; members apply at their medical association.".into(),
                });
            }
            if !problems.is_empty() {
                return Err(RegistrationError::Invalid(problems));
            }
        }
        Ok(next_stage(app.stage, action, app.record.papers_arrived)?)
    }

    /// Performs `action` on application `id` (read at `version`) as `officer`. Issuance is not
    /// done here but by [`Registration::issue_with_csrs`] or [`Registration::issue_with_card`].
    pub async fn act(
        &self,
        officer: &Officer,
        id: i64,
        version: i64,
        action: Action,
        input: &ActInput,
    ) -> Result<Application, RegistrationError> {
        if action == Action::Issue {
            return Err(RegistrationError::bad_input(
                "発行にはCSRまたはカードが必要です",
                "issuance needs the applicant's CSRs or a card",
            ));
        }
        let app = self.get(officer, id).await?;
        let to = self.check_act(officer, &app, action, input).await?;
        let change = ApplicationChange {
            stage: Some(to.as_str().into()),
            papers_tracking: (action == Action::MainReview)
                .then(|| input.tracking.clone().unwrap_or_default().trim().to_owned()),
            papers_arrived: (action == Action::PapersArrived).then_some(true),
            ..Default::default()
        };
        self.record_act(officer, &app, version, action, to, input, change, json!({}))
            .await
    }

    #[allow(clippy::too_many_arguments)]
    async fn record_act(
        &self,
        officer: &Officer,
        app: &Application,
        version: i64,
        action: Action,
        to: Stage,
        input: &ActInput,
        change: ApplicationChange,
        details: serde_json::Value,
    ) -> Result<Application, RegistrationError> {
        let reason = input
            .reason
            .as_deref()
            .map(str::trim)
            .filter(|r| !r.is_empty());
        let mut all = json!({"from": app.stage.as_str(), "to": to.as_str(),
            "office": officer.office.id, "reason": reason, "tracking": change.papers_tracking});
        if let (Some(a), Some(b)) = (all.as_object_mut(), details.as_object()) {
            a.extend(b.clone());
        }
        let event = ApplicationEvent {
            at: 0,
            login: officer.login.clone(),
            office_id: officer.office.id.clone(),
            action: action.as_str().into(),
            from_stage: app.stage.as_str().into(),
            to_stage: to.as_str().into(),
            reason: reason.map(str::to_owned),
            details: all.to_string(),
        };
        let audit = self.audit(
            &officer.actor(),
            &format!("application.{}", action.as_str()),
            &format!("application/{}", app.record.id),
            all,
        );
        let rec = self
            .store()
            .change_application(app.record.id, version, &change, &event, &audit)
            .await?;
        Application::from_record(rec)
    }

    /// The subscriber ID of an application: `JMA` and the member ID for JMA members, else
    /// `JMAL` and the medical licence number (医籍登録番号, one per doctor for life), so a
    /// doctor keeps the ID across renewals.
    fn subscriber_id(app: &Application) -> String {
        let form = app.form.normalized();
        match form.member_id.trim() {
            "" => format!("JMAL{}", form.license_number.trim()),
            m => format!("JMA{m}"),
        }
    }

    /// For a renewal, reissue or change: the card it replaces, whose certificates are revoked
    /// now, before anything new is issued (reissue after loss: keyCompromise; renewal and
    /// change: superseded). The card must be the same doctor's: the same 医籍登録番号.
    async fn retire_previous_card(
        &self,
        officer: &Officer,
        app: &Application,
    ) -> Result<Option<String>, RegistrationError> {
        if !app.form.replaces_a_card() {
            return Ok(None);
        }
        let form = app.form.normalized();
        let card_id = form.previous_card_id.clone();
        let same_doctor = |holder: &str| {
            CardHolder::from_json(holder)
                .is_ok_and(|h| h.license_number == form.license_number.trim())
        };
        let card = match self.store().card(&card_id).await? {
            Some(c) if same_doctor(&c.holder) => c,
            _ => {
                return Err(RegistrationError::Invalid(vec![FieldError {
                    field: "previous_card_id",
                    code: "unknown_card",
                    message_ja: format!(
                        "カード {card_id} はこの申請者のカードとして登録されていません"
                    ),
                    message_en: format!("card {card_id} is not registered to this applicant"),
                }]));
            }
        };
        let reason = match app.form.kind {
            Some(hpki_ra::application::ApplicationKind::Reissue) => CrlReason::KeyCompromise,
            _ => CrlReason::Superseded,
        };
        if card.status == hpki_store::CardStatus::Active {
            self.ca.revoke_card(&card_id, reason).await?;
            self.store()
                .append_audit(&self.audit(
                    &officer.actor(),
                    "application.previous_card_revoked",
                    &format!("application/{}", app.record.id),
                    json!({"card": card_id, "reason": hpki_ca::crl::reason_name(reason as i32)}),
                ))
                .await?;
        }
        Ok(Some(card_id))
    }

    /// Reports card `card_id` lost (紛失届): its certificates are revoked at once
    /// (keyCompromise). CA operators of HQ only; the reissue is a new application of kind
    /// 再発行 naming this card.
    pub async fn report_card_lost(
        &self,
        officer: &Officer,
        card_id: &str,
    ) -> Result<hpki_store::CardRecord, RegistrationError> {
        if !(officer.is_hq() && officer.has(Role::CaOperator)) {
            return Err(RegistrationError::forbidden(
                "紛失届の処理は登録局の認証局運用者のみ行えます",
                "only a CA operator of the registration authority records a lost card",
            ));
        }
        let card = self
            .ca
            .revoke_card(card_id, CrlReason::KeyCompromise)
            .await?;
        self.store()
            .append_audit(&self.audit(
                &officer.actor(),
                "card.lost_reported",
                &format!("card/{card_id}"),
                json!({"subscriber_id": card.subscriber_id}),
            ))
            .await?;
        Ok(card)
    }

    /// Revokes every certificate of a doctor (cards and certificates issued on CSRs) when the
    /// qualification is lost or for another RFC 5280 `reason`: CA operators of HQ only.
    /// Returns the serials revoked now.
    pub async fn revoke_doctor(
        &self,
        officer: &Officer,
        subscriber_id: &str,
        reason: CrlReason,
    ) -> Result<Vec<String>, RegistrationError> {
        if !(officer.is_hq() && officer.has(Role::CaOperator)) {
            return Err(RegistrationError::forbidden(
                "医師の証明書の失効は登録局の認証局運用者のみ行えます",
                "only a CA operator of the registration authority revokes a doctor's certificates",
            ));
        }
        let mut revoked = Vec::new();
        for card in self.store().cards(Some(subscriber_id)).await? {
            if matches!(
                card.status,
                hpki_store::CardStatus::Active | hpki_store::CardStatus::Personalizing
            ) {
                self.ca.revoke_card(&card.card_id, reason).await?;
                revoked.extend(card.sign_serial.into_iter().chain(card.auth_serial));
            }
        }
        let apps = self
            .store()
            .applications(&ApplicationFilter::default())
            .await?;
        for a in apps
            .iter()
            .filter(|a| a.subscriber_id.as_deref() == Some(subscriber_id))
        {
            for e in self.store().application_events(a.id).await? {
                if e.action != Action::Issue.as_str() {
                    continue;
                }
                let d: serde_json::Value = serde_json::from_str(&e.details).unwrap_or_default();
                if d["card_id"].is_string() {
                    continue;
                }
                for (key, ca) in [
                    ("sign_serial", hpki_ca::CaName::Sign),
                    ("auth_serial", hpki_ca::CaName::Auth),
                ] {
                    if let Some(serial) = d[key].as_str() {
                        match self.ca.revoke(ca, serial, reason).await {
                            Ok(s) => revoked.push(s),
                            Err(hpki_ca::CaError::AlreadyRevoked(_)) => {}
                            Err(e) => return Err(e.into()),
                        }
                    }
                }
            }
        }
        if revoked.is_empty() {
            return Err(RegistrationError::not_found(
                format!("{subscriber_id} の有効な証明書"),
                format!("valid certificates of {subscriber_id}"),
            ));
        }
        self.store()
            .append_audit(&self.audit(
                &officer.actor(),
                "doctor.revoked",
                &format!("doctor/{subscriber_id}"),
                json!({"reason": hpki_ca::crl::reason_name(reason as i32), "serials": revoked}),
            ))
            .await?;
        Ok(revoked)
    }

    /// 発行 with the applicant's own keys: both certificates issued by the CA from the
    /// applicant's CSRs (PEM or DER) and the form; the application moves to 発行済.
    pub async fn issue_with_csrs(
        &self,
        officer: &Officer,
        id: i64,
        version: i64,
        sign_csr: &[u8],
        auth_csr: &[u8],
    ) -> Result<(Application, Issued, Issued), RegistrationError> {
        let app = self.get(officer, id).await?;
        let to = self
            .check_act(officer, &app, Action::Issue, &ActInput::default())
            .await?;
        let subscriber = Self::subscriber_id(&app);
        let replaced = self.retire_previous_card(officer, &app).await?;
        let subject = self
            .ca
            .subject(&app.form.subject_json(&subscriber).to_string())?;
        let (sign_csr, auth_csr) = (
            hpki_ca::issue::CheckedCsr::parse(sign_csr)?,
            hpki_ca::issue::CheckedCsr::parse(auth_csr)?,
        );
        let sign = self
            .ca
            .issue(hpki_ca::CaName::Sign, &sign_csr, &subject)
            .await?;
        let auth = self
            .ca
            .issue(hpki_ca::CaName::Auth, &auth_csr, &subject)
            .await?;
        let change = ApplicationChange {
            stage: Some(to.as_str().into()),
            subscriber_id: Some(subscriber.clone()),
            ..Default::default()
        };
        let app = self
            .record_act(
                officer,
                &app,
                version,
                Action::Issue,
                to,
                &ActInput::default(),
                change,
                json!({"subscriber_id": subscriber, "sign_serial": sign.serial_hex,
                       "auth_serial": auth.serial_hex, "replaces": replaced}),
            )
            .await?;
        Ok((app, sign, auth))
    }

    /// 発行 on a card: a blank card personalised for the applicant (keys generated on the
    /// card, certificates issued and written) with the applicant's PIN; the application moves
    /// to 発行済 with the card ID.
    pub async fn issue_with_card(
        &self,
        officer: &Officer,
        id: i64,
        version: i64,
        blank: &dyn BlankCard,
        pin: &str,
    ) -> Result<(Application, CardIssued), RegistrationError> {
        let app = self.get(officer, id).await?;
        let to = self
            .check_act(officer, &app, Action::Issue, &ActInput::default())
            .await?;
        let subscriber = Self::subscriber_id(&app);
        let holder = CardHolder::from_json(&app.form.holder_json(&subscriber).to_string())?;
        let replaced = self.retire_previous_card(officer, &app).await?;
        let issued = self
            .ca
            .personalize_card(
                blank,
                &holder,
                app.record.photo.clone(),
                pin,
                replaced.as_deref(),
            )
            .await?;
        let change = ApplicationChange {
            stage: Some(to.as_str().into()),
            subscriber_id: Some(subscriber.clone()),
            card_id: Some(issued.card_id.clone()),
            ..Default::default()
        };
        let app = self
            .record_act(
                officer,
                &app,
                version,
                Action::Issue,
                to,
                &ActInput::default(),
                change,
                json!({"subscriber_id": subscriber, "card_id": issued.card_id,
                       "sign_serial": issued.sign.serial_hex, "auth_serial": issued.auth.serial_hex,
                       "replaces": replaced}),
            )
            .await?;
        Ok((app, issued))
    }
}

/// The demo's officers: login, name, office, roles.
pub const DEMO_OFFICERS: &[(&str, &str, &str, &[Role])] = &[
    (
        "hq-admin",
        "登録局 管理者",
        HQ,
        &[Role::Administrator, Role::Auditor],
    ),
    ("hq-final", "登録局 最終審査 一郎", HQ, &[Role::FinalReview]),
    ("hq-operator", "登録局 発行 花子", HQ, &[Role::CaOperator]),
    (
        "tokyo-reception",
        "東京 受付 太郎",
        "pref-13",
        &[Role::Reception],
    ),
    (
        "tokyo-pre",
        "東京 事前審査 次郎",
        "pref-13",
        &[Role::PreReview],
    ),
    (
        "tokyo-main",
        "東京 本審査 三郎",
        "pref-13",
        &[Role::MainReview],
    ),
    (
        "minato-reception",
        "港区 受付 桜",
        "county-13-minato",
        &[Role::Reception, Role::PreReview],
    ),
    (
        "osaka-reception",
        "大阪 受付 梅",
        "pref-27",
        &[Role::Reception, Role::PreReview],
    ),
    (
        "osaka-review",
        "大阪 本審査 松",
        "pref-27",
        &[Role::PreReview, Role::MainReview],
    ),
];

/// An argon2id hash of a random password nobody knows, checked when a login does not exist.
fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| {
        auth::random_secret()
            .and_then(|p| auth::hash_password(&p))
            .unwrap_or_default()
    })
}

fn iso(unix: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| unix.to_string())
}

/// The stored form of an office status.
pub fn status_str(s: OfficeStatus) -> &'static str {
    match s {
        OfficeStatus::NotOpened => "not_opened",
        OfficeStatus::Registered => "registered",
        OfficeStatus::Accepting => "accepting",
    }
}

/// Parses the stored form of an office status.
pub fn parse_status(s: &str) -> Option<OfficeStatus> {
    OfficeStatus::ALL
        .into_iter()
        .find(|st| status_str(*st) == s)
}

fn office_kind(o: &OfficeRecord) -> Result<OfficeKind, RegistrationError> {
    OfficeKind::parse(&o.kind)
        .ok_or_else(|| RegistrationError::Internal(format!("office {} of kind {:?}", o.id, o.kind)))
}
