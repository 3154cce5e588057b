//! The registration authority's records: applications with their history, and annual fees
//! (offices and officers: `officers.rs`).
//!
//! As everywhere in the store, each state change is written with its audit record in one
//! transaction. Applications carry a version number: an update names the version it read and
//! is refused ([`StoreError::Conflict`]) if someone changed the application in between, so two
//! officers working on one application never overwrite each other.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{AuditEvent, Store, StoreError, check_event};

/// An application as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplicationRecord {
    /// Number.
    pub id: i64,
    /// The office that received it.
    pub office_id: String,
    /// The office that reviews it (本審査).
    pub review_office_id: String,
    /// Stage, stored form.
    pub stage: String,
    /// The form (JSON).
    pub form: String,
    /// The document checklist (JSON).
    pub documents: String,
    /// The applicant's photo.
    pub photo: Option<Vec<u8>>,
    /// Search keys: name in kana, name in kanji, licence number.
    pub name_kana: String,
    /// Name in kanji.
    pub name_kanji: String,
    /// 医籍登録番号.
    pub license_number: String,
    /// Tracking number of the papers mailed to HQ.
    pub papers_tracking: Option<String>,
    /// Whether HQ recorded the papers' arrival.
    pub papers_arrived: bool,
    /// The subscriber ID given at issuance.
    pub subscriber_id: Option<String>,
    /// The card personalised for it.
    pub card_id: Option<String>,
    /// Created at.
    pub created_at: i64,
    /// Last change.
    pub updated_at: i64,
    /// Version, for optimistic concurrency.
    pub version: i64,
}

/// One step in an application's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplicationEvent {
    /// When.
    pub at: i64,
    /// Who.
    pub login: String,
    /// From which office.
    pub office_id: String,
    /// What (stored form of the act, or `draft_saved`).
    pub action: String,
    /// Stage before.
    pub from_stage: String,
    /// Stage after.
    pub to_stage: String,
    /// The reason of a return or rejection.
    pub reason: Option<String>,
    /// Anything else (JSON).
    pub details: String,
}

/// What changes with a transition.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApplicationChange {
    /// New stage (stored form), if it changes.
    pub stage: Option<String>,
    /// New form (JSON), if it changes.
    pub form: Option<String>,
    /// New documents (JSON), if they change.
    pub documents: Option<String>,
    /// New photo, if it changes.
    pub photo: Option<Vec<u8>>,
    /// New search keys (kana, kanji, licence), if they change.
    pub search: Option<(String, String, String)>,
    /// Tracking number of the papers, if set now.
    pub papers_tracking: Option<String>,
    /// Papers arrived, if recorded now.
    pub papers_arrived: Option<bool>,
    /// Subscriber ID, if set now.
    pub subscriber_id: Option<String>,
    /// Card ID, if set now.
    pub card_id: Option<String>,
    /// Certificates issued for this application (CA, serial hex) that it takes now, in the
    /// same transaction (see `issuance.rs`); the change is refused if one was revoked meanwhile.
    pub links: Vec<(String, String)>,
    /// The doctor recorded in the subscriber register, in the same transaction (an issuance).
    pub subscriber: Option<crate::SubscriberRecord>,
}

/// Which applications to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApplicationFilter {
    /// Only those received by or reviewed at one of these offices (none: all).
    pub offices: Option<Vec<String>>,
    /// Only those at these stages (none: all).
    pub stages: Option<Vec<String>>,
    /// Text contained in the name (kana or kanji) or equal to the licence number.
    pub text: Option<String>,
}

/// An annual fee.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeeRecord {
    /// The doctor.
    pub subscriber_id: String,
    /// Fiscal year (April–March), by its starting year.
    pub fiscal_year: i64,
    /// Amount in yen.
    pub amount: i64,
    /// `billed`, `paid` or `waived`.
    pub status: String,
    /// Billed at.
    pub billed_at: i64,
    /// Paid at.
    pub paid_at: Option<i64>,
}

fn fee_from_row(r: &AnyRow) -> Result<FeeRecord, StoreError> {
    Ok(FeeRecord {
        subscriber_id: r.try_get(0)?,
        fiscal_year: r.try_get(1)?,
        amount: r.try_get(2)?,
        status: r.try_get(3)?,
        billed_at: r.try_get(4)?,
        paid_at: r.try_get(5)?,
    })
}

pub(crate) const APP_COLUMNS: &str =
    "id, office_id, review_office_id, stage, form, documents, photo,
     name_kana, name_kanji, license_number, papers_tracking, papers_arrived, subscriber_id,
     card_id, created_at, updated_at, version";

pub(crate) fn application_from_row(r: &AnyRow) -> Result<ApplicationRecord, StoreError> {
    Ok(ApplicationRecord {
        id: r.try_get(0)?,
        office_id: r.try_get(1)?,
        review_office_id: r.try_get(2)?,
        stage: r.try_get(3)?,
        form: r.try_get(4)?,
        documents: r.try_get(5)?,
        photo: r.try_get(6)?,
        name_kana: r.try_get(7)?,
        name_kanji: r.try_get(8)?,
        license_number: r.try_get(9)?,
        papers_tracking: r.try_get(10)?,
        papers_arrived: r.try_get::<i64, _>(11)? != 0,
        subscriber_id: r.try_get(12)?,
        card_id: r.try_get(13)?,
        created_at: r.try_get(14)?,
        updated_at: r.try_get(15)?,
        version: r.try_get(16)?,
    })
}

impl Store {
    /// Records a new application (its first event and `audit` with it); returns its number.
    /// `audit`'s object is set to `application/<number>`.
    pub async fn create_application(
        &self,
        app: &ApplicationRecord,
        event: &ApplicationEvent,
        audit: &AuditEvent,
    ) -> Result<i64, StoreError> {
        check_event(audit)?;
        let mut tx = self.begin_write().await?;
        let id: i64 = sqlx::query("SELECT COALESCE(MAX(id), 0) + 1 FROM applications")
            .fetch_one(&mut *tx)
            .await?
            .try_get(0)?;
        let at = self.now();
        sqlx::query(
            "INSERT INTO applications (id, office_id, review_office_id, stage, form, documents,
                photo, name_kana, name_kanji, license_number, papers_tracking, papers_arrived,
                subscriber_id, card_id, created_at, updated_at, version)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, NULL, 0, NULL, NULL, $11, $11, 1)",
        )
        .bind(id)
        .bind(app.office_id.clone())
        .bind(app.review_office_id.clone())
        .bind(app.stage.clone())
        .bind(app.form.clone())
        .bind(app.documents.clone())
        .bind(app.photo.clone())
        .bind(app.name_kana.clone())
        .bind(app.name_kanji.clone())
        .bind(app.license_number.clone())
        .bind(at)
        .execute(&mut *tx)
        .await?;
        insert_event(&mut tx, id, event, at).await?;
        let mut audit = audit.clone();
        audit.object = format!("application/{id}");
        self.append_audit_in(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Applies `change` to application `id` if it is still at `expected_version`, recording
    /// `event` and `audit` in the same transaction; returns the application as changed.
    pub async fn change_application(
        &self,
        id: i64,
        expected_version: i64,
        change: &ApplicationChange,
        event: &ApplicationEvent,
        audit: &AuditEvent,
    ) -> Result<ApplicationRecord, StoreError> {
        check_event(audit)?;
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {APP_COLUMNS} FROM applications WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            tx.rollback().await?;
            return Err(StoreError::invalid(
                format!("申請 {id} はありません"),
                format!("no application {id}"),
            ));
        };
        let mut app = application_from_row(&row)?;
        if app.version != expected_version {
            tx.rollback().await?;
            return Err(StoreError::conflict(
                format!(
                    "申請 {id} は他の担当者が更新しました（版 {} は {expected_version} ではありません）",
                    app.version
                ),
                format!(
                    "application {id} was changed by someone else (version {} is not {expected_version})",
                    app.version
                ),
            ));
        }
        if let Some(s) = &change.stage {
            app.stage = s.clone();
        }
        if let Some(f) = &change.form {
            app.form = f.clone();
        }
        if let Some(d) = &change.documents {
            app.documents = d.clone();
        }
        if let Some(p) = &change.photo {
            app.photo = Some(p.clone());
        }
        if let Some((kana, kanji, license)) = &change.search {
            app.name_kana = kana.clone();
            app.name_kanji = kanji.clone();
            app.license_number = license.clone();
        }
        if let Some(t) = &change.papers_tracking {
            app.papers_tracking = Some(t.clone());
        }
        if let Some(a) = change.papers_arrived {
            app.papers_arrived = a;
        }
        if let Some(s) = &change.subscriber_id {
            app.subscriber_id = Some(s.clone());
        }
        if let Some(c) = &change.card_id {
            app.card_id = Some(c.clone());
        }
        let at = self.now();
        if !change.links.is_empty() {
            let issued_for = format!("application/{id}");
            if let Err(e) = crate::issuance::link_in(&mut tx, &issued_for, &change.links, at).await
            {
                tx.rollback().await?;
                return Err(e);
            }
        }
        if let Some(sub) = &change.subscriber
            && let Err(e) = crate::subscribers::upsert_in(&mut tx, sub).await
        {
            tx.rollback().await?;
            return Err(e);
        }
        app.updated_at = at;
        app.version += 1;
        sqlx::query(
            "UPDATE applications SET stage = $1, form = $2, documents = $3, photo = $4,
                name_kana = $5, name_kanji = $6, license_number = $7, papers_tracking = $8,
                papers_arrived = $9, subscriber_id = $10, card_id = $11, updated_at = $12,
                version = $13, issuing_claim = NULL, issuing_since = NULL
             WHERE id = $14 AND version = $15",
        )
        .bind(app.stage.clone())
        .bind(app.form.clone())
        .bind(app.documents.clone())
        .bind(app.photo.clone())
        .bind(app.name_kana.clone())
        .bind(app.name_kanji.clone())
        .bind(app.license_number.clone())
        .bind(app.papers_tracking.clone())
        .bind(i64::from(app.papers_arrived))
        .bind(app.subscriber_id.clone())
        .bind(app.card_id.clone())
        .bind(at)
        .bind(app.version)
        .bind(id)
        .bind(expected_version)
        .execute(&mut *tx)
        .await?;
        insert_event(&mut tx, id, event, at).await?;
        self.append_audit_in(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(app)
    }

    /// One application.
    pub async fn application(&self, id: i64) -> Result<Option<ApplicationRecord>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {APP_COLUMNS} FROM applications WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(application_from_row).transpose()
    }

    /// Applications matching `filter`, newest change first (at most 500).
    pub async fn applications(
        &self,
        filter: &ApplicationFilter,
    ) -> Result<Vec<ApplicationRecord>, StoreError> {
        // Only placeholders are formatted into the statement; every value is bound.
        let mut conditions = Vec::new();
        let mut values: Vec<String> = Vec::new();
        let placeholder = |v: String, values: &mut Vec<String>| {
            values.push(v);
            format!("${}", values.len())
        };
        if let Some(offices) = &filter.offices {
            if offices.is_empty() {
                return Ok(Vec::new());
            }
            let list: Vec<String> = offices
                .iter()
                .map(|o| placeholder(o.clone(), &mut values))
                .collect();
            let list = list.join(", ");
            conditions.push(format!(
                "(office_id IN ({list}) OR review_office_id IN ({list}))"
            ));
        }
        if let Some(stages) = &filter.stages {
            if stages.is_empty() {
                return Ok(Vec::new());
            }
            let list: Vec<String> = stages
                .iter()
                .map(|s| placeholder(s.clone(), &mut values))
                .collect();
            conditions.push(format!("stage IN ({})", list.join(", ")));
        }
        if let Some(text) = filter
            .text
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
        {
            let like = placeholder(format!("%{}%", escape_like(text)), &mut values);
            let exact = placeholder(text.to_owned(), &mut values);
            conditions.push(format!(
                "(name_kana LIKE {like} ESCAPE '\\' OR name_kanji LIKE {like} ESCAPE '\\' OR license_number = {exact})"
            ));
        }
        let wh = if conditions.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", conditions.join(" AND "))
        };
        let sql = format!(
            "SELECT {APP_COLUMNS} FROM applications {wh} ORDER BY updated_at DESC, id DESC LIMIT 500"
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for v in values {
            q = q.bind(v);
        }
        let rows = q.fetch_all(&self.pool).await?;
        rows.iter().map(application_from_row).collect()
    }

    /// The history of application `id`, oldest first.
    pub async fn application_events(&self, id: i64) -> Result<Vec<ApplicationEvent>, StoreError> {
        let rows = sqlx::query(
            "SELECT at, login, office_id, action, from_stage, to_stage, reason, details
             FROM application_events WHERE application_id = $1 ORDER BY seq",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ApplicationEvent {
                    at: r.try_get(0)?,
                    login: r.try_get(1)?,
                    office_id: r.try_get(2)?,
                    action: r.try_get(3)?,
                    from_stage: r.try_get(4)?,
                    to_stage: r.try_get(5)?,
                    reason: r.try_get(6)?,
                    details: r.try_get(7)?,
                })
            })
            .collect()
    }

    /// Every application at one of `stages` (stored forms) that has a subscriber ID, oldest
    /// first, each with the time (Unix seconds) of its first `issue` event, if any. The photo is
    /// not read (it is `None` here). Unlike [`Store::applications`] the list is not limited: the
    /// yearly fee run must see every card holder.
    pub async fn applications_with_subscriber(
        &self,
        stages: &[String],
    ) -> Result<Vec<(ApplicationRecord, Option<i64>)>, StoreError> {
        if stages.is_empty() {
            return Ok(Vec::new());
        }
        // Only placeholders are formatted into the statement; every value is bound.
        let list: Vec<String> = (1..=stages.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT id, office_id, review_office_id, stage, form, documents, NULL,
                name_kana, name_kanji, license_number, papers_tracking, papers_arrived,
                subscriber_id, card_id, created_at, updated_at, version,
                (SELECT MIN(e.at) FROM application_events e
                 WHERE e.application_id = applications.id AND e.action = 'issue')
             FROM applications
             WHERE subscriber_id IS NOT NULL AND stage IN ({})
             ORDER BY id",
            list.join(", ")
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for s in stages {
            q = q.bind(s.clone());
        }
        let rows = q.fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| Ok((application_from_row(r)?, r.try_get(17)?)))
            .collect()
    }

    /// Bills the fees of a fiscal year: each `(subscriber, amount, status)` not billed for that
    /// year yet is recorded; returns how many were new. One transaction, one audit record.
    pub async fn bill_fees(
        &self,
        fiscal_year: i64,
        fees: &[(String, i64, String)],
        audit: &AuditEvent,
    ) -> Result<usize, StoreError> {
        check_event(audit)?;
        let mut tx = self.begin_write().await?;
        let at = self.now();
        let mut new = 0;
        for (subscriber, amount, status) in fees {
            let r = sqlx::query(
                "INSERT INTO fees (subscriber_id, fiscal_year, amount, status, billed_at, paid_at)
                 VALUES ($1, $2, $3, $4, $5, NULL)
                 ON CONFLICT (subscriber_id, fiscal_year) DO NOTHING",
            )
            .bind(subscriber.clone())
            .bind(fiscal_year)
            .bind(*amount)
            .bind(status.clone())
            .bind(at)
            .execute(&mut *tx)
            .await?;
            new += r.rows_affected() as usize;
        }
        self.append_audit_in(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(new)
    }

    /// Marks a fee paid, with `audit`.
    pub async fn mark_fee_paid(
        &self,
        subscriber_id: &str,
        fiscal_year: i64,
        audit: &AuditEvent,
    ) -> Result<(), StoreError> {
        check_event(audit)?;
        let mut tx = self.begin_write().await?;
        let r = sqlx::query(
            "UPDATE fees SET status = 'paid', paid_at = $1
             WHERE subscriber_id = $2 AND fiscal_year = $3 AND status = 'billed'",
        )
        .bind(self.now())
        .bind(subscriber_id.to_owned())
        .bind(fiscal_year)
        .execute(&mut *tx)
        .await?;
        if r.rows_affected() != 1 {
            tx.rollback().await?;
            return Err(StoreError::invalid(
                format!("{subscriber_id} の{fiscal_year}年度の未納の年会費はありません"),
                format!("no unpaid fee of {subscriber_id} for fiscal year {fiscal_year}"),
            ));
        }
        self.append_audit_in(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The fees of a fiscal year, or of every year, by subscriber.
    pub async fn fees(&self, fiscal_year: Option<i64>) -> Result<Vec<FeeRecord>, StoreError> {
        let rows = match fiscal_year {
            Some(y) => {
                sqlx::query(
                    "SELECT subscriber_id, fiscal_year, amount, status, billed_at, paid_at
                     FROM fees WHERE fiscal_year = $1 ORDER BY subscriber_id",
                )
                .bind(y)
                .fetch_all(&self.pool)
                .await?
            }
            None => {
                sqlx::query(
                    "SELECT subscriber_id, fiscal_year, amount, status, billed_at, paid_at
                     FROM fees ORDER BY fiscal_year, subscriber_id",
                )
                .fetch_all(&self.pool)
                .await?
            }
        };
        rows.iter().map(fee_from_row).collect()
    }

    /// The fees of the doctor `subscriber_id`, newest fiscal year first (the portal's view).
    pub async fn fees_of(&self, subscriber_id: &str) -> Result<Vec<FeeRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT subscriber_id, fiscal_year, amount, status, billed_at, paid_at
             FROM fees WHERE subscriber_id = $1 ORDER BY fiscal_year DESC",
        )
        .bind(subscriber_id.to_owned())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(fee_from_row).collect()
    }
}

async fn insert_event(
    tx: &mut sqlx::AnyConnection,
    id: i64,
    e: &ApplicationEvent,
    at: i64,
) -> Result<(), StoreError> {
    let seq: i64 = sqlx::query("SELECT COALESCE(MAX(seq), 0) + 1 FROM application_events")
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
    sqlx::query(
        "INSERT INTO application_events (seq, application_id, at, login, office_id, action,
            from_stage, to_stage, reason, details)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(seq)
    .bind(id)
    .bind(at)
    .bind(e.login.clone())
    .bind(e.office_id.clone())
    .bind(e.action.clone())
    .bind(e.from_stage.clone())
    .bind(e.to_stage.clone())
    .bind(e.reason.clone())
    .bind(e.details.clone())
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Escapes `%`, `_` and `\` for a LIKE pattern with `ESCAPE '\'`.
fn escape_like(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
