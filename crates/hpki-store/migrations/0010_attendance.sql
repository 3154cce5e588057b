-- Migration 10: seminar attendance (出欠管理) and lifelong-education credits (生涯教育).
-- Events (研修会・講習会) of an office with their talks (講演: times, one curriculum code, units,
-- a kind of 産業医研修 where it counts there); the readers of an event, each with a token kept as
-- SHA-256; the taps the readers send, one row per (reader, client nonce) so a reader's offline
-- queue can upload again without doubling anything, with the reader's own time of the tap and
-- the card and doctor the server found for it at arrival (a tap of an unknown or lost card is
-- kept, flagged); the contactless UIDs (IDm) registered for cards; the organiser's ledger (帳簿)
-- for reconciliation; and credits from other sources (self-reported and approved by the office,
-- imported from medical societies and the specialist board). Credits from taps are not stored:
-- they are computed from the taps and the talks, so a corrected talk corrects every doctor.

CREATE TABLE attendance_events (
    event_id {identity},
    office_id TEXT NOT NULL,
    title TEXT NOT NULL,
    venue TEXT NOT NULL,
    event_date TEXT NOT NULL,
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE INDEX attendance_events_date ON attendance_events (event_date);

CREATE TABLE attendance_talks (
    event_id BIGINT NOT NULL,
    talk_no BIGINT NOT NULL,
    title TEXT NOT NULL,
    speaker TEXT NOT NULL,
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    curriculum_code BIGINT,
    half_units BIGINT NOT NULL,
    occupational TEXT,
    PRIMARY KEY (event_id, talk_no)
);

CREATE TABLE attendance_readers (
    reader_id {identity},
    event_id BIGINT NOT NULL,
    label TEXT NOT NULL,
    token_sha256 TEXT NOT NULL UNIQUE,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);

CREATE TABLE attendance_taps (
    reader_id BIGINT NOT NULL,
    nonce TEXT NOT NULL,
    event_id BIGINT NOT NULL,
    uid TEXT,
    card_id TEXT,
    subscriber_id TEXT,
    card_status TEXT,
    flags TEXT NOT NULL,
    tapped_at BIGINT NOT NULL,
    received_at BIGINT NOT NULL,
    PRIMARY KEY (reader_id, nonce)
);

CREATE INDEX attendance_taps_event ON attendance_taps (event_id, tapped_at);

CREATE INDEX attendance_taps_subscriber ON attendance_taps (subscriber_id, tapped_at);

CREATE TABLE card_contactless (
    uid TEXT PRIMARY KEY,
    card_id TEXT NOT NULL,
    registered_by TEXT NOT NULL,
    registered_at BIGINT NOT NULL
);

CREATE TABLE attendance_ledgers (
    event_id BIGINT NOT NULL,
    line BIGINT NOT NULL,
    member_id TEXT,
    license_no TEXT,
    name TEXT NOT NULL,
    imported_at BIGINT NOT NULL,
    PRIMARY KEY (event_id, line)
);

CREATE TABLE credit_entries (
    entry_id {identity},
    subscriber_id TEXT NOT NULL,
    earned_on TEXT NOT NULL,
    half_units BIGINT NOT NULL,
    curriculum_code BIGINT,
    occupational TEXT,
    source TEXT NOT NULL,
    title TEXT NOT NULL,
    reference TEXT,
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    decided_by TEXT,
    decided_at BIGINT
);

CREATE INDEX credit_entries_subscriber ON credit_entries (subscriber_id, earned_on);

CREATE UNIQUE INDEX credit_entries_reference ON credit_entries (source, reference);
