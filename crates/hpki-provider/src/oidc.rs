//! The OpenID Connect provider: single sign-on sessions opened by card login, consent, codes,
//! tokens, the ID token and UserInfo. The rules are [`hpki_login`]'s; this holds the state.
//!
//! Lifetimes: a session `[login] session_minutes` of `hpki.toml` (8 hours by default, never
//! past its certificate), a code
//! [`CODE_SECONDS`] (RFC 6749 §4.1.2: "A maximum authorization code lifetime of 10 minutes is
//! RECOMMENDED"), an access token and an ID token [`TOKEN_SECONDS`].

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hpki_login::authorize::AuthorizationRequest;
use hpki_login::card::check;
use hpki_login::claims::{self, Grant, IdTokenInput, Identity};
use hpki_login::client::Client;
use hpki_login::oauth_error::{ErrorCode, OAuthError};
use hpki_login::pkce;
use hpki_store::{CodeRedemption, OidcCodeRecord, OidcSessionRecord, OidcTokenRecord};
use hpki_verify::RevocationData;
use serde_json::{Value, json};

use crate::keys::Keys;
use crate::secret::{random_secret, sha256_hex};
use crate::{LoginError, Provider, SignedIn};

/// How long a code may wait for the token request, seconds.
pub const CODE_SECONDS: u64 = 60;
/// How long an access token and an ID token are valid, seconds.
pub const TOKEN_SECONDS: u64 = 600;

/// A live single sign-on session.
#[derive(Clone, Debug)]
pub struct Session {
    /// SHA-256 of the cookie.
    pub id: String,
    /// The doctor.
    pub subscriber_id: String,
    /// The doctor's identity.
    pub identity: Identity,
    /// When the card was used.
    pub auth_time: u64,
    /// The authentication certificate the session was opened with, as checked now (none for
    /// a session not yet written).
    pub holder: Option<hpki_login::card::CardHolder>,
}

/// The token endpoint's answer (RFC 6749 §5.1, OIDC Core §3.1.3.3).
#[derive(Clone, Debug, serde::Serialize)]
pub struct TokenResponse {
    /// The access token.
    pub access_token: String,
    /// `Bearer`.
    pub token_type: &'static str,
    /// Seconds.
    pub expires_in: u64,
    /// The ID token.
    pub id_token: String,
    /// Granted scopes.
    pub scope: String,
}

/// A token request (RFC 6749 §4.1.3) with the client's credentials.
#[derive(Clone, Debug, Default)]
pub struct TokenRequest {
    /// `grant_type`.
    pub grant_type: String,
    /// `code`.
    pub code: String,
    /// `redirect_uri`.
    pub redirect_uri: String,
    /// `code_verifier`.
    pub code_verifier: Option<String>,
    /// The client ID (Basic or body).
    pub client_id: String,
    /// The client secret (Basic or body), none for a public client.
    pub client_secret: Option<String>,
}

fn oauth(code: ErrorCode, why: &str) -> OAuthError {
    OAuthError::new(code, why)
}

/// RFC 6749 §4.1.3 and RFC 7636 §4.6 on a code being redeemed by `client_id` at `now`.
fn check_code(
    code: &OidcCodeRecord,
    client_id: &str,
    now: u64,
    req: &TokenRequest,
) -> Result<(), OAuthError> {
    if code.client_id != client_id {
        return Err(oauth(
            ErrorCode::InvalidGrant,
            "the code is another client's",
        ));
    }
    if now as i64 >= code.expires_at {
        return Err(oauth(ErrorCode::InvalidGrant, "the code has expired"));
    }
    if code.redirect_uri != req.redirect_uri {
        return Err(oauth(
            ErrorCode::InvalidGrant,
            "redirect_uri differs from the authorization request's",
        ));
    }
    match (&code.code_challenge, &req.code_verifier) {
        (None, _) => Ok(()),
        (Some(challenge), Some(v)) if pkce::verify(v, challenge) => Ok(()),
        (Some(_), Some(_)) => Err(oauth(ErrorCode::InvalidGrant, "PKCE verification failed")),
        (Some(_), None) => Err(oauth(ErrorCode::InvalidGrant, "code_verifier is missing")),
    }
}

impl Provider {
    /// A new session for `signed_in` under a fresh cookie, not written yet: the cookie and the
    /// session.
    pub fn new_session(&self, signed_in: &SignedIn) -> Result<(String, Session), LoginError> {
        let cookie = random_secret()?;
        let session = Session {
            id: sha256_hex(&cookie),
            subscriber_id: signed_in.subscriber.subscriber_id.clone(),
            identity: signed_in.identity.clone(),
            auth_time: signed_in.auth_time,
            holder: Some(signed_in.holder.clone()),
        };
        Ok((cookie, session))
    }

    /// Writes `session` of `signed_in` (opened with `certificate`) with its audit record
    /// (`oidc.session_opened`) and, when given, a code for `code_for` (the request and the
    /// granted scopes), in one transaction; returns the code.
    pub async fn open(
        &self,
        signed_in: &SignedIn,
        certificate: &[u8],
        session: &Session,
        code_for: Option<(&AuthorizationRequest, &[String])>,
    ) -> Result<Option<String>, LoginError> {
        let lifetime = self.ca.config.login.session_minutes.saturating_mul(60);
        let expires = (signed_in.auth_time + lifetime).min(signed_in.holder.not_after);
        let code = match code_for {
            Some((request, scopes)) => Some(self.code_record(request, session, scopes)?),
            None => None,
        };
        let audit = self.ca.audit(
            "oidc.session_opened",
            &format!("subscriber/{}", session.subscriber_id),
            json!({"serial": signed_in.holder.serial_hex, "role": signed_in.holder.role.role,
                   "client_id": code_for.map(|(r, _)| r.client.client_id.clone())}),
        );
        self.ca
            .store
            .put_oidc_session(
                &OidcSessionRecord {
                    session_sha256: session.id.clone(),
                    subscriber_id: session.subscriber_id.clone(),
                    certificate: STANDARD.encode(certificate),
                    auth_time: signed_in.auth_time as i64,
                    expires_at: expires as i64,
                    ended_at: None,
                },
                &audit,
                code.as_ref().map(|(_, r)| r),
            )
            .await?;
        Ok(code.map(|(c, _)| c))
    }

    /// Opens a single sign-on session for a card login (audited); returns the cookie value.
    pub async fn open_session(
        &self,
        signed_in: &SignedIn,
        certificate: &[u8],
    ) -> Result<String, LoginError> {
        let (cookie, session) = self.new_session(signed_in)?;
        self.open(signed_in, certificate, &session, None).await?;
        Ok(cookie)
    }

    /// The live session of `cookie`: not ended, not expired, its certificate still valid and
    /// not revoked by `revocation` (a session whose certificate fails is ended now).
    pub async fn session(
        &self,
        cookie: &str,
        revocation: &RevocationData,
    ) -> Result<Option<Session>, LoginError> {
        let id = sha256_hex(cookie);
        let Some(s) = self.ca.store.oidc_session(&id).await? else {
            return Ok(None);
        };
        let now = self.ca.now_unix() as i64;
        if s.ended_at.is_some() || now >= s.expires_at {
            return Ok(None);
        }
        let certificate = STANDARD.decode(&s.certificate).unwrap_or_default();
        let holder = match check(
            std::slice::from_ref(&certificate),
            &self.trust()?,
            revocation,
            self.ca.now(),
        ) {
            Ok(h) => h,
            Err(refusal) => {
                let audit = self.ca.audit(
                    "oidc.session_ended",
                    &format!("subscriber/{}", s.subscriber_id),
                    json!({"why": refusal.to_string()}),
                );
                self.ca.store.end_oidc_session(&id, &audit).await?;
                return Ok(None);
            }
        };
        let subscriber = self
            .ca
            .store
            .subscriber_by_id(&s.subscriber_id)
            .await?
            .ok_or_else(|| LoginError::NotRegistered(s.subscriber_id.clone()))?;
        let identity = self.identity(&holder, &subscriber).await?;
        Ok(Some(Session {
            id,
            subscriber_id: s.subscriber_id,
            identity,
            auth_time: s.auth_time as u64,
            holder: Some(holder),
        }))
    }

    /// Ends the session of `cookie` (logout).
    pub async fn end_session(&self, cookie: &str) -> Result<(), LoginError> {
        let id = sha256_hex(cookie);
        if let Some(s) = self.ca.store.oidc_session(&id).await? {
            let audit = self.ca.audit(
                "oidc.logout",
                &format!("subscriber/{}", s.subscriber_id),
                json!({}),
            );
            self.ca.store.end_oidc_session(&id, &audit).await?;
        }
        Ok(())
    }

    /// The scopes the doctor agreed to share with `client`, if ever asked.
    pub async fn consented_scopes(
        &self,
        session: &Session,
        client: &Client,
    ) -> Result<Option<Vec<String>>, LoginError> {
        Ok(self
            .ca
            .store
            .oidc_consent(&session.subscriber_id, &client.client_id)
            .await?
            .map(|s| s.split(' ').map(str::to_owned).collect()))
    }

    /// Records the doctor's consent to share `scopes` with `client`.
    pub async fn consent(
        &self,
        session: &Session,
        client: &Client,
        scopes: &[String],
    ) -> Result<(), LoginError> {
        let audit = self.ca.audit(
            "oidc.consent_granted",
            &format!("subscriber/{}", session.subscriber_id),
            json!({"client_id": client.client_id, "scopes": scopes}),
        );
        self.ca
            .store
            .put_oidc_consent(
                &session.subscriber_id,
                &client.client_id,
                &scopes.join(" "),
                &audit,
            )
            .await?;
        Ok(())
    }

    /// A new code for `request`, granted `scopes`, from `session`: the code and its record.
    fn code_record(
        &self,
        request: &AuthorizationRequest,
        session: &Session,
        scopes: &[String],
    ) -> Result<(String, OidcCodeRecord), LoginError> {
        let code = random_secret()?;
        let now = self.ca.now_unix();
        let record = OidcCodeRecord {
            code_sha256: sha256_hex(&code),
            client_id: request.client.client_id.clone(),
            session_sha256: session.id.clone(),
            subscriber_id: session.subscriber_id.clone(),
            redirect_uri: request.redirect_uri.clone(),
            scopes: scopes.join(" "),
            nonce: request.nonce.clone(),
            code_challenge: request.code_challenge.clone(),
            identity: json!(session.identity).to_string(),
            auth_time: session.auth_time as i64,
            expires_at: (now + CODE_SECONDS) as i64,
            used_at: None,
        };
        Ok((code, record))
    }

    /// Issues a code for `request`, granted `scopes`, from `session`.
    pub async fn issue_code(
        &self,
        request: &AuthorizationRequest,
        session: &Session,
        scopes: &[String],
    ) -> Result<String, LoginError> {
        let (code, record) = self.code_record(request, session, scopes)?;
        self.ca.store.put_oidc_code(&record).await?;
        Ok(code)
    }

    /// The token endpoint (RFC 6749 §4.1.3, OIDC Core §3.1.3): the client authenticated, the
    /// code redeemed once, PKCE verified; an access token and an ID token signed by `keys`
    /// for `issuer`. A replayed code revokes the tokens it gave.
    pub async fn token(
        &self,
        keys: &Keys,
        issuer: &str,
        req: &TokenRequest,
    ) -> Result<TokenResponse, OAuthError> {
        let internal = |e: LoginError| oauth(ErrorCode::ServerError, &e.to_string());
        let client = self
            .authenticate_client(&req.client_id, req.client_secret.as_deref())
            .await
            .map_err(internal)?
            .ok_or_else(|| oauth(ErrorCode::InvalidClient, "client authentication failed"))?;
        if req.grant_type != "authorization_code" {
            return Err(oauth(
                ErrorCode::UnsupportedGrantType,
                "only authorization_code is supported",
            ));
        }
        let now = self.ca.now_unix();
        let replay = self.ca.audit(
            "oidc.code_replayed",
            &format!("oidc_client/{}", client.client_id),
            json!({"tokens": "revoked"}),
        );
        let access_token = random_secret().map_err(internal)?;
        // Every check of the code is made inside the redemption, which records the token only
        // when all pass; a code that fails one is used up all the same.
        let mut refusal = None;
        let redemption =
            self.ca
                .store
                .redeem_oidc_code(&sha256_hex(&req.code), now as i64, &replay, |code| {
                    match check_code(code, &client.client_id, now, req) {
                        Ok(()) => Some(OidcTokenRecord {
                            token_sha256: sha256_hex(&access_token),
                            code_sha256: code.code_sha256.clone(),
                            client_id: client.client_id.clone(),
                            subscriber_id: code.subscriber_id.clone(),
                            scopes: code.scopes.clone(),
                            identity: code.identity.clone(),
                            expires_at: (now + TOKEN_SECONDS) as i64,
                            revoked_at: None,
                        }),
                        Err(e) => {
                            refusal = Some(e);
                            None
                        }
                    }
                })
                .await
                .map_err(|e| internal(e.into()))?;
        let code = match redemption {
            CodeRedemption::Unknown => {
                return Err(oauth(ErrorCode::InvalidGrant, "unknown code"));
            }
            CodeRedemption::Replayed(_) => {
                return Err(oauth(
                    ErrorCode::InvalidGrant,
                    "the code was used before; the tokens it gave are revoked",
                ));
            }
            CodeRedemption::Redeemed(code) => code,
        };
        if let Some(e) = refusal {
            return Err(e);
        }
        let identity: Identity = serde_json::from_str(&code.identity)
            .map_err(|e| oauth(ErrorCode::ServerError, &e.to_string()))?;
        let grant = Grant {
            scopes: code.scopes.split(' ').map(str::to_owned).collect(),
        };
        let sub = claims::subject(&client, &code.subscriber_id, keys.salt());
        let claims = claims::id_token(
            &IdTokenInput {
                issuer,
                sub: &sub,
                audience: &client.client_id,
                issued_at: now,
                lifetime: TOKEN_SECONDS,
                auth_time: code.auth_time as u64,
                nonce: code.nonce.as_deref(),
            },
            &identity,
            &grant,
        );
        let id_token = keys
            .sign(&claims)
            .map_err(|e| oauth(ErrorCode::ServerError, &e.to_string()))?;
        Ok(TokenResponse {
            access_token,
            token_type: "Bearer",
            expires_in: TOKEN_SECONDS,
            id_token,
            scope: code.scopes,
        })
    }

    /// UserInfo (OIDC Core §5.3) for a bearer `token`: `sub` and the claims its scopes allow.
    pub async fn userinfo(&self, keys: &Keys, token: &str) -> Result<Value, OAuthError> {
        let invalid = || oauth(ErrorCode::InvalidToken, "the access token is not valid");
        let t = self
            .ca
            .store
            .oidc_token(&sha256_hex(token))
            .await
            .map_err(|e| oauth(ErrorCode::ServerError, &e.to_string()))?
            .ok_or_else(invalid)?;
        if t.revoked_at.is_some() || self.ca.now_unix() as i64 >= t.expires_at {
            return Err(invalid());
        }
        let client = self
            .client(&t.client_id)
            .await
            .map_err(|e| oauth(ErrorCode::ServerError, &e.to_string()))?
            .filter(|c| !c.disabled)
            .ok_or_else(invalid)?;
        let identity: Identity = serde_json::from_str(&t.identity)
            .map_err(|e| oauth(ErrorCode::ServerError, &e.to_string()))?;
        let grant = Grant {
            scopes: t.scopes.split(' ').map(str::to_owned).collect(),
        };
        let mut c = claims::user_claims(&identity, &grant, self.today());
        c.insert(
            "sub".into(),
            json!(claims::subject(&client, &t.subscriber_id, keys.salt())),
        );
        Ok(Value::Object(c))
    }

    /// The subject of an `id_token_hint` this provider issued to `client` (signature checked,
    /// expiry not: OIDC Core §3.1.2.1 allows an expired hint), or none.
    pub fn hinted_subject(keys: &Keys, hint: &str, client: &Client) -> Option<String> {
        let claims = keys.verify(hint)?;
        (claims["aud"] == client.client_id.as_str())
            .then(|| claims["sub"].as_str().map(str::to_owned))
            .flatten()
    }

    /// The `sub` `client` sees for `subscriber_id`.
    pub fn subject_for(keys: &Keys, client: &Client, subscriber_id: &str) -> String {
        claims::subject(client, subscriber_id, keys.salt())
    }
}
