//! Officers: accounts, API tokens, and signing in (argon2id, lockout, sessions).

use super::*;

impl Registration {
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
        let claim = self
            .store()
            .claim_sign_in(login, now, auth::MAX_FAILED_LOGINS)
            .await?;
        let attempt = match claim {
            SignInClaim::NoAccount => {
                // The same work as a real check, so timing does not tell which logins exist.
                auth::check_password(dummy_hash(), password).await?;
                return Err(RegistrationError::LoginFailed);
            }
            SignInClaim::Locked { until } => {
                return Err(RegistrationError::Locked { until: iso(until) });
            }
            SignInClaim::Busy => return Err(RegistrationError::Busy),
            SignInClaim::Granted(attempt) => attempt,
        };
        let checked = match attempt.password_hash.as_deref() {
            Some(h) => auth::check_password(h, password).await,
            None => Ok(false),
        };
        // Settled whatever happened, so that the attempt does not stay in flight; a check that
        // could not run (the pool full) is no failure.
        let ok = matches!(checked, Ok(true));
        let lock_audit = self.audit(
            &format!("officer:{login}"),
            "officer.locked",
            &format!("officer/{login}"),
            json!({}),
        );
        // A success opens its session in the same transaction that settles the attempt.
        let cookie = auth::random_secret()?;
        let csrf = auth::random_secret()?;
        let session = SessionRecord {
            login: login.to_owned(),
            csrf: csrf.clone(),
            expires_at: now + auth::SESSION_SECONDS,
        };
        let cookie_hash = auth::secret_hash(&cookie);
        let lock = self
            .store()
            .settle_sign_in(
                login,
                checked.as_ref().ok().copied(),
                self.now_unix(),
                auth::MAX_FAILED_LOGINS,
                auth::LOCKOUT_SECONDS,
                &lock_audit,
                ok.then_some((cookie_hash.as_str(), &session)),
            )
            .await?;
        checked?;
        if !ok {
            return Err(match lock {
                Some(until) => RegistrationError::Locked { until: iso(until) },
                None => RegistrationError::LoginFailed,
            });
        }
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
}

/// An argon2id hash of a random password nobody knows, checked when a login does not exist.
pub(crate) fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| {
        auth::random_secret()
            .and_then(|p| auth::hash_password(&p))
            .unwrap_or_default()
    })
}

pub(crate) fn iso(unix: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| unix.to_string())
}
