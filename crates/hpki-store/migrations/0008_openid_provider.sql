-- Migration 8: the OpenID Connect provider of HPKI login. Relying parties registered by the
-- administrator (`oidc_clients`; a confidential client's secret only as its SHA-256), the
-- doctor's single sign-on sessions at the provider (`oidc_sessions`, the cookie only as its
-- SHA-256, with the authentication certificate so that a revocation ends the session at the
-- next check), what each doctor agreed to share with each client (`oidc_consents`),
-- authorization codes (`oidc_codes`, used once: a replay revokes what the code gave) and
-- access tokens (`oidc_tokens`), all kept as SHA-256 of the secret handed out. A code and its
-- token carry the doctor's identity as it was at sign-in (JSON), what UserInfo answers from.

CREATE TABLE oidc_clients (
    client_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    secret_sha256 TEXT,
    kind TEXT NOT NULL,
    subject_type TEXT NOT NULL,
    redirect_uris TEXT NOT NULL,
    post_logout_redirect_uris TEXT NOT NULL,
    disabled BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE oidc_sessions (
    session_sha256 TEXT PRIMARY KEY,
    subscriber_id TEXT NOT NULL,
    certificate TEXT NOT NULL,
    auth_time BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    ended_at BIGINT
);

CREATE TABLE oidc_consents (
    subscriber_id TEXT NOT NULL,
    client_id TEXT NOT NULL REFERENCES oidc_clients (client_id),
    scopes TEXT NOT NULL,
    granted_at BIGINT NOT NULL,
    PRIMARY KEY (subscriber_id, client_id)
);

CREATE TABLE oidc_codes (
    code_sha256 TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    session_sha256 TEXT NOT NULL,
    subscriber_id TEXT NOT NULL,
    redirect_uri TEXT NOT NULL,
    scopes TEXT NOT NULL,
    nonce TEXT,
    code_challenge TEXT,
    identity TEXT NOT NULL,
    auth_time BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);

CREATE TABLE oidc_tokens (
    token_sha256 TEXT PRIMARY KEY,
    code_sha256 TEXT NOT NULL,
    client_id TEXT NOT NULL,
    subscriber_id TEXT NOT NULL,
    scopes TEXT NOT NULL,
    identity TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX oidc_tokens_code ON oidc_tokens (code_sha256);
