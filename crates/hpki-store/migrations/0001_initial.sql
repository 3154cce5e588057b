-- Migration 1: the schema of release 1, as every build of that release created it on connect.
-- Each statement is idempotent: a database made by an early build of release 1 that lacks a
-- table gets it when it is migrated (see `migrate.rs`).
-- Placeholders: {blob} is BLOB (SQLite) or BYTEA (PostgreSQL); {identity} an auto-increment key.

CREATE TABLE IF NOT EXISTS hpki_schema (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL
);

CREATE TABLE IF NOT EXISTS cas (
    name TEXT PRIMARY KEY,
    cert_der {blob} NOT NULL,
    key_ref TEXT NOT NULL,
    ocsp_cert_der {blob},
    ocsp_key_ref TEXT,
    created_at BIGINT NOT NULL
);

CREATE TABLE IF NOT EXISTS serials (
    ca TEXT NOT NULL,
    serial_hex TEXT NOT NULL,
    reserved_at BIGINT NOT NULL,
    PRIMARY KEY (ca, serial_hex)
);

CREATE TABLE IF NOT EXISTS certificates (
    id {identity},
    ca TEXT NOT NULL,
    serial_hex TEXT NOT NULL,
    subject TEXT NOT NULL,
    profile TEXT NOT NULL,
    not_before BIGINT NOT NULL,
    not_after BIGINT NOT NULL,
    der {blob} NOT NULL,
    issued_at BIGINT NOT NULL,
    revoked_at BIGINT,
    revocation_reason BIGINT,
    UNIQUE (ca, serial_hex),
    FOREIGN KEY (ca, serial_hex) REFERENCES serials (ca, serial_hex)
);

CREATE INDEX IF NOT EXISTS certificates_issued ON certificates (issued_at, id);

CREATE INDEX IF NOT EXISTS certificates_revoked ON certificates (ca, revoked_at);

CREATE TABLE IF NOT EXISTS ca_counters (
    ca TEXT PRIMARY KEY,
    crl_number BIGINT NOT NULL,
    revocation_epoch BIGINT NOT NULL
);

CREATE TABLE IF NOT EXISTS crls (
    ca TEXT NOT NULL,
    number BIGINT NOT NULL,
    this_update BIGINT NOT NULL,
    der {blob} NOT NULL,
    PRIMARY KEY (ca, number)
);

CREATE TABLE IF NOT EXISTS audit_log (
    seq BIGINT PRIMARY KEY,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    object TEXT NOT NULL,
    details TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS audit_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    last_seq BIGINT NOT NULL,
    last_hash TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS cards (
    card_id TEXT PRIMARY KEY,
    subscriber_id TEXT NOT NULL,
    holder TEXT NOT NULL,
    photo {blob},
    status TEXT NOT NULL,
    issued_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    sign_serial TEXT,
    auth_serial TEXT,
    unblock_code_sealed TEXT NOT NULL,
    replaces TEXT,
    updated_at BIGINT NOT NULL
);

CREATE INDEX IF NOT EXISTS cards_subscriber ON cards (subscriber_id);

CREATE TABLE IF NOT EXISTS offices (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    name_ja TEXT NOT NULL,
    name_en TEXT NOT NULL,
    prefecture_code BIGINT,
    parent_id TEXT,
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE IF NOT EXISTS officers (
    login TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    office_id TEXT NOT NULL REFERENCES offices (id),
    roles TEXT NOT NULL,
    password_hash TEXT,
    failed_logins BIGINT NOT NULL,
    locked_until BIGINT,
    active BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE IF NOT EXISTS officer_tokens (
    token_hash TEXT PRIMARY KEY,
    login TEXT NOT NULL REFERENCES officers (login),
    label TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);

CREATE TABLE IF NOT EXISTS officer_sessions (
    id_hash TEXT PRIMARY KEY,
    login TEXT NOT NULL REFERENCES officers (login),
    csrf TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE TABLE IF NOT EXISTS applications (
    id BIGINT PRIMARY KEY,
    office_id TEXT NOT NULL REFERENCES offices (id),
    review_office_id TEXT NOT NULL REFERENCES offices (id),
    stage TEXT NOT NULL,
    form TEXT NOT NULL,
    documents TEXT NOT NULL,
    photo {blob},
    name_kana TEXT NOT NULL,
    name_kanji TEXT NOT NULL,
    license_number TEXT NOT NULL,
    papers_tracking TEXT,
    papers_arrived BIGINT NOT NULL,
    subscriber_id TEXT,
    card_id TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    version BIGINT NOT NULL
);

CREATE INDEX IF NOT EXISTS applications_offices ON applications (office_id, review_office_id);

CREATE INDEX IF NOT EXISTS applications_stage ON applications (stage, updated_at);

CREATE TABLE IF NOT EXISTS application_events (
    seq BIGINT PRIMARY KEY,
    application_id BIGINT NOT NULL REFERENCES applications (id),
    at BIGINT NOT NULL,
    login TEXT NOT NULL,
    office_id TEXT NOT NULL,
    action TEXT NOT NULL,
    from_stage TEXT NOT NULL,
    to_stage TEXT NOT NULL,
    reason TEXT,
    details TEXT NOT NULL
);

CREATE INDEX IF NOT EXISTS application_events_app ON application_events (application_id, seq);

CREATE TABLE IF NOT EXISTS fees (
    subscriber_id TEXT NOT NULL,
    fiscal_year BIGINT NOT NULL,
    amount BIGINT NOT NULL,
    status TEXT NOT NULL,
    billed_at BIGINT NOT NULL,
    paid_at BIGINT,
    PRIMARY KEY (subscriber_id, fiscal_year)
);

CREATE TABLE IF NOT EXISTS tsa_units (
    name TEXT PRIMARY KEY,
    cert_der {blob} NOT NULL,
    key_ref TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE IF NOT EXISTS timestamps (
    serial_hex TEXT PRIMARY KEY,
    gen_time_ms BIGINT NOT NULL,
    policy TEXT NOT NULL,
    hash_algorithm TEXT NOT NULL,
    message_imprint TEXT NOT NULL,
    nonce TEXT,
    tsa_serial TEXT NOT NULL,
    tst_info {blob} NOT NULL
);

CREATE INDEX IF NOT EXISTS timestamps_time ON timestamps (gen_time_ms);

CREATE TABLE IF NOT EXISTS archive_documents (
    id BIGINT PRIMARY KEY,
    document_type TEXT NOT NULL,
    title TEXT NOT NULL,
    file_name TEXT NOT NULL,
    format TEXT NOT NULL,
    signed {blob},
    detached_content {blob},
    sha256 TEXT NOT NULL,
    content_sha256 TEXT,
    signer_subject TEXT NOT NULL,
    subscriber_id TEXT,
    signed_at BIGINT,
    archived_at BIGINT NOT NULL,
    archived_by TEXT NOT NULL,
    retain_from BIGINT NOT NULL,
    retain_years BIGINT NOT NULL,
    retain_until BIGINT NOT NULL,
    last_time_stamp_at BIGINT NOT NULL,
    next_renewal_due BIGINT NOT NULL,
    renewals BIGINT NOT NULL,
    deleted_at BIGINT,
    deleted_by TEXT,
    deletion_reason TEXT
);

CREATE INDEX IF NOT EXISTS archive_documents_due ON archive_documents (deleted_at, next_renewal_due);

-- The audit head marker: no record yet, chained from the genesis hash (audit.rs, GENESIS_HASH).
INSERT INTO audit_head (id, last_seq, last_hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000')
ON CONFLICT (id) DO NOTHING;
