//! The OpenID Connect provider's records (migration 8): clients, single sign-on sessions,
//! consents, authorization codes and access tokens. Secrets handed out (cookies, codes,
//! tokens, client secrets) are kept only as their SHA-256, hex.
//!
//! Clients, consents and the end of a session are written with their audit record in one
//! transaction; codes and tokens are short-lived credentials, recorded without an audit record
//! each (the sign-in that led to them is audited, and so is a replayed code).

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{AuditEvent, Store, StoreError, check_event};

/// A registered relying party.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcClientRecord {
    /// `client_id`.
    pub client_id: String,
    /// Shown on the consent screen.
    pub name: String,
    /// SHA-256 (hex) of the client secret; none for a public client.
    pub secret_sha256: Option<String>,
    /// `confidential` or `public`.
    pub kind: String,
    /// `pairwise` or `public`.
    pub subject_type: String,
    /// Redirect URIs, JSON array.
    pub redirect_uris: String,
    /// Post-logout redirect URIs, JSON array.
    pub post_logout_redirect_uris: String,
    /// Disabled by the administrator.
    pub disabled: bool,
    /// Registered, Unix seconds.
    pub created_at: i64,
}

/// A single sign-on session of a doctor at the provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcSessionRecord {
    /// SHA-256 (hex) of the cookie value.
    pub session_sha256: String,
    /// The doctor.
    pub subscriber_id: String,
    /// The authentication certificate the session was opened with, base64 DER.
    pub certificate: String,
    /// When the card was used, Unix seconds.
    pub auth_time: i64,
    /// Ends then at the latest.
    pub expires_at: i64,
    /// Ended by logout (or a failed check), Unix seconds.
    pub ended_at: Option<i64>,
}

/// An authorization code (RFC 6749 §4.1.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcCodeRecord {
    /// SHA-256 (hex) of the code.
    pub code_sha256: String,
    /// The client it was issued to.
    pub client_id: String,
    /// The session it came from.
    pub session_sha256: String,
    /// The doctor.
    pub subscriber_id: String,
    /// The redirect URI of the request.
    pub redirect_uri: String,
    /// Granted scopes, space-separated.
    pub scopes: String,
    /// `nonce` of the request.
    pub nonce: Option<String>,
    /// PKCE S256 challenge.
    pub code_challenge: Option<String>,
    /// The doctor's identity at sign-in, JSON.
    pub identity: String,
    /// When the card was used.
    pub auth_time: i64,
    /// Expires, Unix seconds.
    pub expires_at: i64,
    /// Redeemed, Unix seconds.
    pub used_at: Option<i64>,
}

/// An access token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcTokenRecord {
    /// SHA-256 (hex) of the token.
    pub token_sha256: String,
    /// The code it was issued for.
    pub code_sha256: String,
    /// The client.
    pub client_id: String,
    /// The doctor.
    pub subscriber_id: String,
    /// Granted scopes, space-separated.
    pub scopes: String,
    /// The doctor's identity at sign-in, JSON.
    pub identity: String,
    /// Expires, Unix seconds.
    pub expires_at: i64,
    /// Revoked (its code was replayed), Unix seconds.
    pub revoked_at: Option<i64>,
}

/// What redeeming a code found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeRedemption {
    /// No such code.
    Unknown,
    /// Redeemed before: the tokens it gave were revoked now (RFC 6749 §4.1.2: "If an
    /// authorization code is used more than once, the authorization server MUST deny the
    /// request and SHOULD revoke ... all tokens previously issued based on that code").
    Replayed(OidcCodeRecord),
    /// Redeemed now, once.
    Redeemed(OidcCodeRecord),
}

const CLIENT_COLUMNS: &str = "client_id, name, secret_sha256, kind, subject_type, redirect_uris,
     post_logout_redirect_uris, disabled, created_at";
const SESSION_COLUMNS: &str =
    "session_sha256, subscriber_id, certificate, auth_time, expires_at, ended_at";
const CODE_COLUMNS: &str = "code_sha256, client_id, session_sha256, subscriber_id, redirect_uri,
     scopes, nonce, code_challenge, identity, auth_time, expires_at, used_at";
const TOKEN_COLUMNS: &str =
    "token_sha256, code_sha256, client_id, subscriber_id, scopes, identity, expires_at, revoked_at";

fn client_from_row(r: &AnyRow) -> Result<OidcClientRecord, StoreError> {
    Ok(OidcClientRecord {
        client_id: r.try_get(0)?,
        name: r.try_get(1)?,
        secret_sha256: r.try_get(2)?,
        kind: r.try_get(3)?,
        subject_type: r.try_get(4)?,
        redirect_uris: r.try_get(5)?,
        post_logout_redirect_uris: r.try_get(6)?,
        disabled: r.try_get::<i64, _>(7)? != 0,
        created_at: r.try_get(8)?,
    })
}

fn session_from_row(r: &AnyRow) -> Result<OidcSessionRecord, StoreError> {
    Ok(OidcSessionRecord {
        session_sha256: r.try_get(0)?,
        subscriber_id: r.try_get(1)?,
        certificate: r.try_get(2)?,
        auth_time: r.try_get(3)?,
        expires_at: r.try_get(4)?,
        ended_at: r.try_get(5)?,
    })
}

fn code_from_row(r: &AnyRow) -> Result<OidcCodeRecord, StoreError> {
    Ok(OidcCodeRecord {
        code_sha256: r.try_get(0)?,
        client_id: r.try_get(1)?,
        session_sha256: r.try_get(2)?,
        subscriber_id: r.try_get(3)?,
        redirect_uri: r.try_get(4)?,
        scopes: r.try_get(5)?,
        nonce: r.try_get(6)?,
        code_challenge: r.try_get(7)?,
        identity: r.try_get(8)?,
        auth_time: r.try_get(9)?,
        expires_at: r.try_get(10)?,
        used_at: r.try_get(11)?,
    })
}

fn token_from_row(r: &AnyRow) -> Result<OidcTokenRecord, StoreError> {
    Ok(OidcTokenRecord {
        token_sha256: r.try_get(0)?,
        code_sha256: r.try_get(1)?,
        client_id: r.try_get(2)?,
        subscriber_id: r.try_get(3)?,
        scopes: r.try_get(4)?,
        identity: r.try_get(5)?,
        expires_at: r.try_get(6)?,
        revoked_at: r.try_get(7)?,
    })
}

impl Store {
    /// Registers a client, or refuses ([`StoreError::Conflict`]) when its ID exists.
    pub async fn put_oidc_client(
        &self,
        c: &OidcClientRecord,
        audit: &AuditEvent,
    ) -> Result<(), StoreError> {
        check_event(audit)?;
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "INSERT INTO oidc_clients (client_id, name, secret_sha256, kind, subject_type,
                redirect_uris, post_logout_redirect_uris, disabled, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (client_id) DO NOTHING",
        )
        .bind(c.client_id.clone())
        .bind(c.name.clone())
        .bind(c.secret_sha256.clone())
        .bind(c.kind.clone())
        .bind(c.subject_type.clone())
        .bind(c.redirect_uris.clone())
        .bind(c.post_logout_redirect_uris.clone())
        .bind(i64::from(c.disabled))
        .bind(c.created_at)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::conflict(
                format!("連携先 {} は登録済みです", c.client_id),
                format!("client {} exists", c.client_id),
            ));
        }
        self.append_audit_in(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Disables or enables client `client_id`; false when there is none.
    pub async fn set_oidc_client_disabled(
        &self,
        client_id: &str,
        disabled: bool,
        audit: &AuditEvent,
    ) -> Result<bool, StoreError> {
        check_event(audit)?;
        let mut tx = self.begin_write().await?;
        let done = sqlx::query("UPDATE oidc_clients SET disabled = $1 WHERE client_id = $2")
            .bind(i64::from(disabled))
            .bind(client_id.to_owned())
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        self.append_audit_in(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Client `client_id`.
    pub async fn oidc_client(
        &self,
        client_id: &str,
    ) -> Result<Option<OidcClientRecord>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {CLIENT_COLUMNS} FROM oidc_clients WHERE client_id = $1"
        )))
        .bind(client_id.to_owned())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(client_from_row).transpose()
    }

    /// Every client, by ID.
    pub async fn oidc_clients(&self) -> Result<Vec<OidcClientRecord>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {CLIENT_COLUMNS} FROM oidc_clients ORDER BY client_id"
        )))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(client_from_row).collect()
    }

    /// Opens a session with its audit record and, when given, the code it is opened for, in one
    /// transaction (one commit per card login on the way to a relying party).
    pub async fn put_oidc_session(
        &self,
        s: &OidcSessionRecord,
        audit: &AuditEvent,
        code: Option<&OidcCodeRecord>,
    ) -> Result<(), StoreError> {
        check_event(audit)?;
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO oidc_sessions (session_sha256, subscriber_id, certificate, auth_time,
                expires_at, ended_at) VALUES ($1, $2, $3, $4, $5, NULL)",
        )
        .bind(s.session_sha256.clone())
        .bind(s.subscriber_id.clone())
        .bind(s.certificate.clone())
        .bind(s.auth_time)
        .bind(s.expires_at)
        .execute(&mut *tx)
        .await?;
        if let Some(c) = code {
            insert_code(&mut tx, c).await?;
        }
        self.append_audit_in(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Session `session_sha256`, ended or not.
    pub async fn oidc_session(
        &self,
        session_sha256: &str,
    ) -> Result<Option<OidcSessionRecord>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {SESSION_COLUMNS} FROM oidc_sessions WHERE session_sha256 = $1"
        )))
        .bind(session_sha256.to_owned())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(session_from_row).transpose()
    }

    /// Ends session `session_sha256` now (logout, or a revoked certificate); false when it
    /// had ended already or does not exist.
    pub async fn end_oidc_session(
        &self,
        session_sha256: &str,
        audit: &AuditEvent,
    ) -> Result<bool, StoreError> {
        check_event(audit)?;
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE oidc_sessions SET ended_at = $1 WHERE session_sha256 = $2 AND ended_at IS NULL",
        )
        .bind(self.now())
        .bind(session_sha256.to_owned())
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        self.append_audit_in(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// The scopes (space-separated) the doctor agreed to share with the client, if ever.
    pub async fn oidc_consent(
        &self,
        subscriber_id: &str,
        client_id: &str,
    ) -> Result<Option<String>, StoreError> {
        let row = sqlx::query(
            "SELECT scopes FROM oidc_consents WHERE subscriber_id = $1 AND client_id = $2",
        )
        .bind(subscriber_id.to_owned())
        .bind(client_id.to_owned())
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| r.try_get(0)).transpose()?)
    }

    /// Records the doctor's consent (replacing an earlier one), audited.
    pub async fn put_oidc_consent(
        &self,
        subscriber_id: &str,
        client_id: &str,
        scopes: &str,
        audit: &AuditEvent,
    ) -> Result<(), StoreError> {
        check_event(audit)?;
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO oidc_consents (subscriber_id, client_id, scopes, granted_at)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (subscriber_id, client_id) DO UPDATE SET scopes = excluded.scopes,
                granted_at = excluded.granted_at",
        )
        .bind(subscriber_id.to_owned())
        .bind(client_id.to_owned())
        .bind(scopes.to_owned())
        .bind(self.now())
        .execute(&mut *tx)
        .await?;
        self.append_audit_in(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records an authorization code.
    pub async fn put_oidc_code(&self, c: &OidcCodeRecord) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        insert_code(&mut tx, c).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Redeems code `code_sha256` at `now`, in one transaction: the code is marked used (in one
    /// statement, so of parallel redemptions one wins) and the access token `issue` makes of it,
    /// if any, is recorded; a code used before has its tokens revoked and the replay audited
    /// (`audit_replay`). A redemption that `issue` refuses (wrong client, PKCE, …) still uses
    /// the code up: no second guess.
    pub async fn redeem_oidc_code(
        &self,
        code_sha256: &str,
        now: i64,
        audit_replay: &AuditEvent,
        issue: impl FnOnce(&OidcCodeRecord) -> Option<OidcTokenRecord>,
    ) -> Result<CodeRedemption, StoreError> {
        check_event(audit_replay)?;
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {CODE_COLUMNS} FROM oidc_codes WHERE code_sha256 = $1"
        )))
        .bind(code_sha256.to_owned())
        .fetch_optional(&mut *tx)
        .await?;
        let Some(code) = row.as_ref().map(code_from_row).transpose()? else {
            return Ok(CodeRedemption::Unknown);
        };
        let won = sqlx::query(
            "UPDATE oidc_codes SET used_at = $1 WHERE code_sha256 = $2 AND used_at IS NULL",
        )
        .bind(now)
        .bind(code_sha256.to_owned())
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if won {
            if let Some(t) = issue(&code) {
                insert_token(&mut tx, &t).await?;
            }
            tx.commit().await?;
            return Ok(CodeRedemption::Redeemed(code));
        }
        sqlx::query(
            "UPDATE oidc_tokens SET revoked_at = $1 WHERE code_sha256 = $2 AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(code_sha256.to_owned())
        .execute(&mut *tx)
        .await?;
        self.append_audit_in(&mut tx, audit_replay).await?;
        tx.commit().await?;
        Ok(CodeRedemption::Replayed(code))
    }

    /// Access token `token_sha256`.
    pub async fn oidc_token(
        &self,
        token_sha256: &str,
    ) -> Result<Option<OidcTokenRecord>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {TOKEN_COLUMNS} FROM oidc_tokens WHERE token_sha256 = $1"
        )))
        .bind(token_sha256.to_owned())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(token_from_row).transpose()
    }
}

async fn insert_token(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    t: &OidcTokenRecord,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO oidc_tokens (token_sha256, code_sha256, client_id, subscriber_id,
            scopes, identity, expires_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6, $7, NULL)",
    )
    .bind(t.token_sha256.clone())
    .bind(t.code_sha256.clone())
    .bind(t.client_id.clone())
    .bind(t.subscriber_id.clone())
    .bind(t.scopes.clone())
    .bind(t.identity.clone())
    .bind(t.expires_at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn insert_code(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    c: &OidcCodeRecord,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO oidc_codes (code_sha256, client_id, session_sha256, subscriber_id,
            redirect_uri, scopes, nonce, code_challenge, identity, auth_time, expires_at,
            used_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, NULL)",
    )
    .bind(c.code_sha256.clone())
    .bind(c.client_id.clone())
    .bind(c.session_sha256.clone())
    .bind(c.subscriber_id.clone())
    .bind(c.redirect_uri.clone())
    .bind(c.scopes.clone())
    .bind(c.nonce.clone())
    .bind(c.code_challenge.clone())
    .bind(c.identity.clone())
    .bind(c.auth_time)
    .bind(c.expires_at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
