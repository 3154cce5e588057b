-- Migration 5: the subscriber register, one record per doctor keyed by 医籍登録番号 (the
-- medical licence number, one per doctor for life, normalised to ASCII). Written when a doctor
-- is first issued, kept up to date at each later issuance, in the transaction that records
-- the issuance. It keeps the subscriber ID a doctor was first issued under (a later membership
-- does not make a second subscriber), and the name and birth date the licence number belongs
-- to, so that the same number under another person is noticed at reception.

CREATE TABLE subscribers (
    license_number TEXT PRIMARY KEY,
    subscriber_id TEXT NOT NULL UNIQUE,
    name_kanji TEXT NOT NULL,
    birth_date TEXT NOT NULL,
    office_id TEXT NOT NULL REFERENCES offices (id),
    first_application_id BIGINT NOT NULL,
    registered_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
