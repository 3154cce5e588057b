//! Relying parties registered by the administrator (`hpki oidc client add|list|disable`).

use hpki_login::client::{Client, ClientKind, SubjectType, is_registrable_redirect_uri};
use hpki_store::OidcClientRecord;
use serde_json::json;

use crate::secret::{random_secret, sha256_hex};
use crate::{LoginError, Provider};

/// What registering a client needs.
#[derive(Clone, Debug)]
pub struct NewClient {
    /// `client_id` (letters, digits, `-`, `_`, `.`; 3–64).
    pub client_id: String,
    /// Shown on the consent screen.
    pub name: String,
    /// Redirect URIs (https, or http on the loopback).
    pub redirect_uris: Vec<String>,
    /// Post-logout redirect URIs.
    pub post_logout_redirect_uris: Vec<String>,
    /// Confidential (gets a secret) or public (PKCE).
    pub kind: ClientKind,
    /// Pairwise or public `sub`.
    pub subject_type: SubjectType,
}

fn to_client(r: &OidcClientRecord) -> Client {
    let list = |j: &str| serde_json::from_str::<Vec<String>>(j).unwrap_or_default();
    Client {
        client_id: r.client_id.clone(),
        name: r.name.clone(),
        redirect_uris: list(&r.redirect_uris),
        post_logout_redirect_uris: list(&r.post_logout_redirect_uris),
        kind: ClientKind::parse(&r.kind).unwrap_or(ClientKind::Confidential),
        subject_type: SubjectType::parse(&r.subject_type).unwrap_or(SubjectType::Pairwise),
        disabled: r.disabled,
    }
}

impl Provider {
    /// Registers `new`; returns the client and, for a confidential client, its secret (shown
    /// once; only its SHA-256 is kept).
    pub async fn add_client(
        &self,
        new: &NewClient,
    ) -> Result<(Client, Option<String>), LoginError> {
        let id_ok = (3..=64).contains(&new.client_id.len())
            && new
                .client_id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
        if !id_ok {
            return Err(LoginError::bad_input(
                "client_id は英数字と - _ . の3〜64文字にしてください",
                "client_id must be 3-64 letters, digits, -, _ or .",
            ));
        }
        if new.name.trim().is_empty() {
            return Err(LoginError::bad_input(
                "連携先の名前を入力してください",
                "the client needs a name",
            ));
        }
        if new.redirect_uris.is_empty() {
            return Err(LoginError::bad_input(
                "redirect_uri を1つ以上登録してください",
                "register at least one redirect_uri",
            ));
        }
        for uri in new
            .redirect_uris
            .iter()
            .chain(&new.post_logout_redirect_uris)
        {
            if !is_registrable_redirect_uri(uri) {
                return Err(LoginError::bad_input(
                    format!(
                        "{uri} は登録できません（https、またはループバックの http、フラグメントなし）"
                    ),
                    format!(
                        "{uri} cannot be registered (https, or http on the loopback, no fragment)"
                    ),
                ));
            }
        }
        let secret = match new.kind {
            ClientKind::Confidential => Some(random_secret()?),
            ClientKind::Public => None,
        };
        let record = OidcClientRecord {
            client_id: new.client_id.clone(),
            name: new.name.trim().to_owned(),
            secret_sha256: secret.as_deref().map(sha256_hex),
            kind: new.kind.as_str().into(),
            subject_type: new.subject_type.as_str().into(),
            redirect_uris: json!(new.redirect_uris).to_string(),
            post_logout_redirect_uris: json!(new.post_logout_redirect_uris).to_string(),
            disabled: false,
            created_at: self.ca.now_unix() as i64,
        };
        let audit = self.ca.audit(
            "oidc.client_added",
            &format!("oidc_client/{}", new.client_id),
            json!({"name": record.name, "kind": record.kind, "subject_type": record.subject_type,
                   "redirect_uris": new.redirect_uris}),
        );
        self.ca.store.put_oidc_client(&record, &audit).await?;
        Ok((to_client(&record), secret))
    }

    /// Every client.
    pub async fn clients(&self) -> Result<Vec<Client>, LoginError> {
        Ok(self
            .ca
            .store
            .oidc_clients()
            .await?
            .iter()
            .map(to_client)
            .collect())
    }

    /// Client `client_id`, disabled or not.
    pub async fn client(&self, client_id: &str) -> Result<Option<Client>, LoginError> {
        Ok(self
            .ca
            .store
            .oidc_client(client_id)
            .await?
            .as_ref()
            .map(to_client))
    }

    /// Disables (or enables again) client `client_id`.
    pub async fn set_client_disabled(
        &self,
        client_id: &str,
        disabled: bool,
    ) -> Result<(), LoginError> {
        let action = if disabled {
            "oidc.client_disabled"
        } else {
            "oidc.client_enabled"
        };
        let audit = self
            .ca
            .audit(action, &format!("oidc_client/{client_id}"), json!({}));
        if self
            .ca
            .store
            .set_oidc_client_disabled(client_id, disabled, &audit)
            .await?
        {
            Ok(())
        } else {
            Err(LoginError::bad_input(
                format!("連携先 {client_id} は登録されていません"),
                format!("no client {client_id}"),
            ))
        }
    }

    /// The client `client_id` if `secret` authenticates it (RFC 6749 §2.3.1): a confidential
    /// client with its secret, a public client with none.
    pub(crate) async fn authenticate_client(
        &self,
        client_id: &str,
        secret: Option<&str>,
    ) -> Result<Option<Client>, LoginError> {
        let Some(record) = self.ca.store.oidc_client(client_id).await? else {
            return Ok(None);
        };
        if record.disabled {
            return Ok(None);
        }
        let ok = match (&record.secret_sha256, secret) {
            (Some(expected), Some(given)) => aws_lc_rs::constant_time::verify_slices_are_equal(
                expected.as_bytes(),
                sha256_hex(given).as_bytes(),
            )
            .is_ok(),
            (None, None) => true,
            _ => false,
        };
        Ok(ok.then(|| to_client(&record)))
    }
}
