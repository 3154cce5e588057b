-- Migration 9: the doctor's portal and the qualification check. The doctor's own profile
-- (`portal_profile`, one row per item that has a value) and 情報開示・非開示 settings
-- (`portal_disclosure`, one row per item the doctor has set; unset items take the defaults of
-- the code, hpki-disclosure), both keyed by the subscriber ID of the register. The nonces of
-- the qualification check (`qualification_nonces`, as SHA-256: a card's challenge, or a QR code
-- the portal shows with the doctor and the authentication certificate it was made for), each
-- used at most once. The doctor's audit view reads the audit log by
-- object (`subscriber/<id>`), the offices' notices of the doctors' requests by action, hence
-- the indexes.

CREATE TABLE portal_profile (
    subscriber_id TEXT NOT NULL,
    item TEXT NOT NULL,
    value TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (subscriber_id, item)
);

CREATE TABLE portal_disclosure (
    subscriber_id TEXT NOT NULL,
    item TEXT NOT NULL,
    members BIGINT NOT NULL,
    public BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (subscriber_id, item)
);

CREATE TABLE qualification_nonces (
    nonce_sha256 TEXT PRIMARY KEY,
    purpose TEXT NOT NULL,
    subscriber_id TEXT,
    auth_serial TEXT,
    issued_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);

CREATE INDEX qualification_nonces_expiry ON qualification_nonces (expires_at);

CREATE INDEX audit_log_object ON audit_log (object, seq);

CREATE INDEX audit_log_action ON audit_log (action, seq);
