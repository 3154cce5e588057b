//! Applications: what an officer sees, drafts, and each step of the workflow with its checks,
//! history entry and audit record.

use super::*;

impl Registration {
    /// Whether `officer` may see `app`: HQ sees all; an office sees what it received and what
    /// it reviews.
    pub(crate) fn visible(officer: &Officer, app: &ApplicationRecord) -> bool {
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
        let rec = draft_record(
            &officer.office.id,
            &review_office_id,
            form,
            documents,
            photo,
        )?;
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
    pub(crate) fn office_may(officer: &Officer, app: &Application, action: Action) -> bool {
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

    /// Checks everything about `action` on `app` by `officer` and returns the stage it leads to.
    pub(crate) async fn check_act(
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
        // The subscriber register's rule at final review: what it found, and the reviewer's
        // reason to go on, recorded with the review.
        let mut details = json!({});
        if action == Action::FinalReview {
            let findings = self.register_rule(&app, input.reason.as_deref()).await?;
            if !findings.is_empty() {
                details = json!({"register": findings,
                    "register_override": input.reason.as_deref().map(str::trim)});
            }
        }
        let change = ApplicationChange {
            stage: Some(to.as_str().into()),
            papers_tracking: (action == Action::MainReview)
                .then(|| input.tracking.clone().unwrap_or_default().trim().to_owned()),
            papers_arrived: (action == Action::PapersArrived).then_some(true),
            ..Default::default()
        };
        self.record_act(officer, &app, version, action, to, input, change, details)
            .await
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn record_act(
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
}
