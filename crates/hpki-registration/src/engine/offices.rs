//! Offices: the 47 prefectural offices and HQ seeded, their status (未開設 / 開設済み / 受付可能),
//! the demo offices and officers.

use super::*;

impl Registration {
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
    /// `hq-operator`, `hq-seminar`), Tokyo (`tokyo-reception`, `tokyo-pre`, `tokyo-main`, `tokyo-seminar`), Minato City
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
    ("hq-seminar", "登録局 研修会担当 五郎", HQ, &[Role::Seminar]),
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
        "tokyo-seminar",
        "東京 研修会担当 四郎",
        "pref-13",
        &[Role::Seminar],
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

pub(crate) fn office_kind(o: &OfficeRecord) -> Result<OfficeKind, RegistrationError> {
    OfficeKind::parse(&o.kind)
        .ok_or_else(|| RegistrationError::Internal(format!("office {} of kind {:?}", o.id, o.kind)))
}
