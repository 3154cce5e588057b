//! Offices and officers of the registration authority: accounts with their password hashes,
//! sign-in failures and locks, API tokens and web sessions.
//!
//! As everywhere in the store, each state change is written with its audit record in one
//! transaction.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{AuditEvent, Store, StoreError, check_event};

/// An office of the registration authority.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfficeRecord {
    /// Its identifier (`hq`, `pref-13`, …).
    pub id: String,
    /// `headquarters`, `prefectural`, `county` or `hospital`.
    pub kind: String,
    /// Name in Japanese.
    pub name_ja: String,
    /// Name in English.
    pub name_en: String,
    /// JIS X 0401 code of its prefecture (none for HQ).
    pub prefecture_code: Option<i64>,
    /// The office that reviews what this one receives (a county's prefectural office).
    pub parent_id: Option<String>,
    /// `not_opened`, `registered` or `accepting`.
    pub status: String,
}

/// An officer account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfficerRecord {
    /// Login name.
    pub login: String,
    /// Display name.
    pub name: String,
    /// Office.
    pub office_id: String,
    /// Roles, stored forms.
    pub roles: Vec<String>,
    /// PHC string of the password hash (argon2id), if a password is set.
    pub password_hash: Option<String>,
    /// Consecutive failed logins.
    pub failed_logins: i64,
    /// Locked until (Unix seconds), after too many failures.
    pub locked_until: Option<i64>,
    /// Whether the account may be used.
    pub active: bool,
}

/// The outcome of [`Store::claim_sign_in`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignInClaim {
    /// No active officer of that login.
    NoAccount,
    /// Locked until then (Unix seconds): nothing may be checked.
    Locked {
        /// Unix seconds.
        until: i64,
    },
    /// As many attempts are in flight as failures are left before the lock: try again when
    /// they are settled.
    Busy,
    /// One attempt granted: check the password, then [`Store::settle_sign_in`].
    Granted(SignInAttempt),
}

/// One counted sign-in attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignInAttempt {
    /// The password hash to check it against (PHC string), if a password is set.
    pub password_hash: Option<String>,
}

/// How long attempts in flight count without a new claim before they are taken for the
/// leftovers of a process that died, seconds (a password check takes well under one).
pub const STALE_ATTEMPT_SECONDS: i64 = 60;

/// A web session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    /// The officer.
    pub login: String,
    /// The CSRF token of the session's forms.
    pub csrf: String,
    /// Expires at (Unix seconds).
    pub expires_at: i64,
}

fn office_from_row(r: &AnyRow) -> Result<OfficeRecord, StoreError> {
    Ok(OfficeRecord {
        id: r.try_get(0)?,
        kind: r.try_get(1)?,
        name_ja: r.try_get(2)?,
        name_en: r.try_get(3)?,
        prefecture_code: r.try_get(4)?,
        parent_id: r.try_get(5)?,
        status: r.try_get(6)?,
    })
}

fn officer_from_row(r: &AnyRow) -> Result<OfficerRecord, StoreError> {
    let roles: String = r.try_get(3)?;
    Ok(OfficerRecord {
        login: r.try_get(0)?,
        name: r.try_get(1)?,
        office_id: r.try_get(2)?,
        roles: roles
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        password_hash: r.try_get(4)?,
        failed_logins: r.try_get(5)?,
        locked_until: r.try_get(6)?,
        active: r.try_get::<i64, _>(7)? != 0,
    })
}

const OFFICER_COLUMNS: &str =
    "login, name, office_id, roles, password_hash, failed_logins, locked_until, active";

impl Store {
    /// Records (or replaces) an office, with `audit`.
    pub async fn put_office(
        &self,
        office: &OfficeRecord,
        audit: &AuditEvent,
    ) -> Result<(), StoreError> {
        check_event(audit)?;
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO offices (id, kind, name_ja, name_en, prefecture_code, parent_id, status, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, name_ja = excluded.name_ja,
                name_en = excluded.name_en, prefecture_code = excluded.prefecture_code,
                parent_id = excluded.parent_id, status = excluded.status",
        )
        .bind(office.id.clone())
        .bind(office.kind.clone())
        .bind(office.name_ja.clone())
        .bind(office.name_en.clone())
        .bind(office.prefecture_code)
        .bind(office.parent_id.clone())
        .bind(office.status.clone())
        .bind(self.now())
        .execute(&mut *tx)
        .await?;
        self.append_audit_in(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Every office, HQ first, then by prefecture and identifier.
    pub async fn offices(&self) -> Result<Vec<OfficeRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, kind, name_ja, name_en, prefecture_code, parent_id, status FROM offices
             ORDER BY CASE WHEN kind = 'headquarters' THEN 0 ELSE 1 END,
                      COALESCE(prefecture_code, 0), id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(office_from_row).collect()
    }

    /// One office.
    pub async fn office(&self, id: &str) -> Result<Option<OfficeRecord>, StoreError> {
        let row = sqlx::query(
            "SELECT id, kind, name_ja, name_en, prefecture_code, parent_id, status FROM offices
             WHERE id = $1",
        )
        .bind(id.to_owned())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(office_from_row).transpose()
    }

    /// Records a new officer, with `audit`; refused if the login exists.
    pub async fn create_officer(
        &self,
        officer: &OfficerRecord,
        audit: &AuditEvent,
    ) -> Result<(), StoreError> {
        check_event(audit)?;
        let mut tx = self.begin_write().await?;
        let inserted = sqlx::query(
            "INSERT INTO officers (login, name, office_id, roles, password_hash, failed_logins,
                locked_until, active, created_at)
             VALUES ($1, $2, $3, $4, $5, 0, NULL, $6, $7)
             ON CONFLICT (login) DO NOTHING",
        )
        .bind(officer.login.clone())
        .bind(officer.name.clone())
        .bind(officer.office_id.clone())
        .bind(officer.roles.join(","))
        .bind(officer.password_hash.clone())
        .bind(i64::from(officer.active))
        .bind(self.now())
        .execute(&mut *tx)
        .await?;
        if inserted.rows_affected() != 1 {
            tx.rollback().await?;
            return Err(StoreError::conflict(
                format!("担当者 {} は既に登録されています", officer.login),
                format!("officer {} exists already", officer.login),
            ));
        }
        self.append_audit_in(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    /// One officer.
    pub async fn officer(&self, login: &str) -> Result<Option<OfficerRecord>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {OFFICER_COLUMNS} FROM officers WHERE login = $1"
        )))
        .bind(login.to_owned())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(officer_from_row).transpose()
    }

    /// Every officer, by office and login.
    pub async fn officers(&self) -> Result<Vec<OfficerRecord>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {OFFICER_COLUMNS} FROM officers ORDER BY office_id, login"
        )))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(officer_from_row).collect()
    }

    /// Takes one sign-in attempt of `login` at `now` (Unix seconds), in one write transaction,
    /// *before* the password is checked (OWASP Authentication Cheat Sheet, "Account Lockout"):
    /// the settled failures and the attempts in flight together never exceed `max_failures`,
    /// so parallel guesses get no more checks than the lockout allows. An attempt beyond that
    /// while others are in flight is [`SignInClaim::Busy`] (nothing is checked); a lock is set
    /// only by failures, so parallel correct sign-ins of one account do not lock it.
    /// [`Store::settle_sign_in`] records how the attempt ended. Attempts left in flight by a
    /// process that died are dropped after [`STALE_ATTEMPT_SECONDS`] without a claim.
    pub async fn claim_sign_in(
        &self,
        login: &str,
        now: i64,
        max_failures: i64,
    ) -> Result<SignInClaim, StoreError> {
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(
            "SELECT failed_logins, locked_until, password_hash, pending_logins, pending_since
             FROM officers WHERE login = $1 AND active <> 0",
        )
        .bind(login.to_owned())
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            tx.rollback().await?;
            return Ok(SignInClaim::NoAccount);
        };
        let mut failed: i64 = row.try_get(0)?;
        let locked_until: Option<i64> = row.try_get(1)?;
        let password_hash: Option<String> = row.try_get(2)?;
        let mut pending: i64 = row.try_get(3)?;
        let pending_since: Option<i64> = row.try_get(4)?;
        if let Some(until) = locked_until.filter(|u| *u > now) {
            tx.rollback().await?;
            return Ok(SignInClaim::Locked { until });
        }
        // A lock that has run out starts a new count.
        if locked_until.is_some() {
            failed = 0;
        }
        if pending_since.is_none_or(|s| s <= now - STALE_ATTEMPT_SECONDS) {
            pending = 0;
        }
        if failed + pending >= max_failures {
            tx.rollback().await?;
            return Ok(SignInClaim::Busy);
        }
        sqlx::query(
            "UPDATE officers SET failed_logins = $1, locked_until = NULL, pending_logins = $2,
                 pending_since = $3
             WHERE login = $4",
        )
        .bind(failed)
        .bind(pending + 1)
        .bind(now)
        .bind(login.to_owned())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(SignInClaim::Granted(SignInAttempt { password_hash }))
    }

    /// Records how an attempt of [`Store::claim_sign_in`] ended, at `now`: a success
    /// (`Some(true)`) clears the failures (unless a lock was set meanwhile, which stays); a
    /// failure (`Some(false)`) is counted, and the one that reaches `max_failures` locks the
    /// account until `now + lockout_seconds`, with `lock_audit` (its details set to the count
    /// and the lock); an attempt whose password could not be checked (`None`) only leaves the
    /// flight. A success records `session` (its cookie's hash and record) in the same
    /// transaction. Returns the lock it set.
    #[allow(clippy::too_many_arguments)]
    pub async fn settle_sign_in(
        &self,
        login: &str,
        outcome: Option<bool>,
        now: i64,
        max_failures: i64,
        lockout_seconds: i64,
        lock_audit: &AuditEvent,
        session: Option<(&str, &SessionRecord)>,
    ) -> Result<Option<i64>, StoreError> {
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(
            "SELECT failed_logins, locked_until, pending_logins FROM officers WHERE login = $1",
        )
        .bind(login.to_owned())
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            tx.rollback().await?;
            return Ok(None);
        };
        let failed: i64 = row.try_get(0)?;
        let locked_until: Option<i64> = row.try_get(1)?;
        let pending = (row.try_get::<i64, _>(2)? - 1).max(0);
        let locked = locked_until.is_some_and(|u| u > now);
        let (failed, lock) = match (outcome, locked) {
            (None, _) | (_, true) => (failed, None),
            (Some(true), false) => (0, None),
            (Some(false), false) if failed + 1 >= max_failures => {
                (failed + 1, Some(now + lockout_seconds))
            }
            (Some(false), false) => (failed + 1, None),
        };
        sqlx::query(
            "UPDATE officers SET failed_logins = $1, pending_logins = $2,
                 locked_until = COALESCE($3, locked_until)
             WHERE login = $4",
        )
        .bind(failed)
        .bind(pending)
        .bind(lock)
        .bind(login.to_owned())
        .execute(&mut *tx)
        .await?;
        if let (Some(true), Some((id_hash, session))) = (outcome, session) {
            sqlx::query(
                "INSERT INTO officer_sessions (id_hash, login, csrf, created_at, expires_at)
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(id_hash.to_owned())
            .bind(session.login.clone())
            .bind(session.csrf.clone())
            .bind(now)
            .bind(session.expires_at)
            .execute(&mut *tx)
            .await?;
        }
        if let Some(until) = lock {
            let mut audit = lock_audit.clone();
            audit.details = serde_json::json!({"failed_logins": failed, "locked_until": until});
            check_event(&audit)?;
            self.append_audit_in(&mut tx, &audit).await?;
        }
        tx.commit().await?;
        Ok(lock)
    }

    /// Sets an officer's password hash, with `audit`.
    pub async fn set_password(
        &self,
        login: &str,
        hash: &str,
        audit: &AuditEvent,
    ) -> Result<(), StoreError> {
        check_event(audit)?;
        let mut tx = self.begin_write().await?;
        let updated = sqlx::query(
            "UPDATE officers SET password_hash = $1, failed_logins = 0, locked_until = NULL
             WHERE login = $2",
        )
        .bind(hash.to_owned())
        .bind(login.to_owned())
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() != 1 {
            tx.rollback().await?;
            return Err(StoreError::invalid(
                format!("担当者 {login} はいません"),
                format!("no officer {login}"),
            ));
        }
        self.append_audit_in(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records an API token (by its hash) for `login`, with `audit`.
    pub async fn add_token(
        &self,
        token_hash: &str,
        login: &str,
        label: &str,
        audit: &AuditEvent,
    ) -> Result<(), StoreError> {
        check_event(audit)?;
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO officer_tokens (token_hash, login, label, created_at, revoked_at)
             VALUES ($1, $2, $3, $4, NULL)",
        )
        .bind(token_hash.to_owned())
        .bind(login.to_owned())
        .bind(label.to_owned())
        .bind(self.now())
        .execute(&mut *tx)
        .await?;
        self.append_audit_in(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The officer an unrevoked API token (by its hash) belongs to.
    pub async fn token_owner(&self, token_hash: &str) -> Result<Option<String>, StoreError> {
        let row = sqlx::query(
            "SELECT login FROM officer_tokens WHERE token_hash = $1 AND revoked_at IS NULL",
        )
        .bind(token_hash.to_owned())
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| r.try_get(0)).transpose()?)
    }

    /// A session that has not expired.
    pub async fn session(&self, id_hash: &str) -> Result<Option<SessionRecord>, StoreError> {
        let row = sqlx::query(
            "SELECT login, csrf, expires_at FROM officer_sessions
             WHERE id_hash = $1 AND expires_at > $2",
        )
        .bind(id_hash.to_owned())
        .bind(self.now())
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(SessionRecord {
                login: r.try_get(0)?,
                csrf: r.try_get(1)?,
                expires_at: r.try_get(2)?,
            })
        })
        .transpose()
    }

    /// Ends a session.
    pub async fn delete_session(&self, id_hash: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM officer_sessions WHERE id_hash = $1 OR expires_at <= $2")
            .bind(id_hash.to_owned())
            .bind(self.now())
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
