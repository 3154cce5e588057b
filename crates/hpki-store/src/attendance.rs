//! Seminar attendance and credits (migration 10): events and their talks, readers and their
//! tokens (as SHA-256), taps (one per reader and client nonce: an upload repeated from a
//! reader's offline queue is recognised, not doubled), contactless UIDs registered for cards,
//! the organiser's ledger, and credits from other sources. The rules are `hpki-attendance`'s;
//! this module stores plain values. Every state change is written with its audit record in one
//! transaction.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{AuditEvent, Store, StoreError, check_event};

/// A talk (講演) as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TalkRow {
    /// Its number in the event, from 1.
    pub talk_no: i64,
    /// 演題.
    pub title: String,
    /// 講師.
    pub speaker: String,
    /// Starts, Unix seconds.
    pub starts_at: i64,
    /// Ends, Unix seconds.
    pub ends_at: i64,
    /// The curriculum code (1–84); none for greetings and breaks.
    pub curriculum_code: Option<i64>,
    /// Units, counted in halves.
    pub half_units: i64,
    /// The kind of 産業医研修 (`update`, `practice`, `specialist`, `basic`), if it counts there.
    pub occupational: Option<String>,
}

/// An event to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEvent {
    /// The organising office.
    pub office_id: String,
    /// 名称.
    pub title: String,
    /// 会場.
    pub venue: String,
    /// The day (YYYY-MM-DD, in Japan).
    pub event_date: String,
    /// The talks (at least one).
    pub talks: Vec<TalkRow>,
}

/// A recorded event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRecord {
    /// Its number.
    pub event_id: i64,
    /// The organising office.
    pub office_id: String,
    /// 名称.
    pub title: String,
    /// 会場.
    pub venue: String,
    /// The day (YYYY-MM-DD).
    pub event_date: String,
    /// The first talk's start, Unix seconds.
    pub starts_at: i64,
    /// The last talk's end, Unix seconds.
    pub ends_at: i64,
    /// Who created it.
    pub created_by: String,
    /// The talks, in order (empty in lists).
    pub talks: Vec<TalkRow>,
}

/// A reader (a reception PC, a tablet) of an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReaderRecord {
    /// Its number.
    pub reader_id: i64,
    /// The event it records for.
    pub event_id: i64,
    /// 名前 (入口A, 受付PC 2).
    pub label: String,
    /// Revoked at (Unix seconds): its token no longer works.
    pub revoked_at: Option<i64>,
}

/// A tap, as sent by a reader and resolved by the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TapRecord {
    /// The reader.
    pub reader_id: i64,
    /// The reader's nonce of the tap (unique per reader).
    pub nonce: String,
    /// The event.
    pub event_id: i64,
    /// The card's contactless UID / IDm (hex), if read.
    pub uid: Option<String>,
    /// The card ID, if read from the card or found from the UID.
    pub card_id: Option<String>,
    /// The doctor the card is registered to, if found.
    pub subscriber_id: Option<String>,
    /// The card's status at arrival (`active`, `lost`, `revoked`, …), if found.
    pub card_status: Option<String>,
    /// What is unusual about it, comma-separated (`unknown_card`, `lost_card`, `revoked_card`, `outside_event`).
    pub flags: String,
    /// The reader's time of the tap, Unix seconds.
    pub tapped_at: i64,
    /// When the server received it (set by the store).
    pub received_at: i64,
}

/// What recording a tap did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TapRecorded {
    /// Recorded now.
    New,
    /// The reader sent this nonce before: the tap recorded then.
    Again(TapRecord),
}

/// A row of the organiser's ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerEntry {
    /// The line in the imported file.
    pub line: i64,
    /// 日医会員ID.
    pub member_id: Option<String>,
    /// 医籍登録番号.
    pub license_no: Option<String>,
    /// 氏名.
    pub name: String,
}

/// A credit from another source than the taps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreditRow {
    /// Its number (0 in a new one).
    pub entry_id: i64,
    /// The doctor.
    pub subscriber_id: String,
    /// The day it was earned (YYYY-MM-DD).
    pub earned_on: String,
    /// Units, in halves.
    pub half_units: i64,
    /// The curriculum code, if any.
    pub curriculum_code: Option<i64>,
    /// The kind of 産業医研修, if any.
    pub occupational: Option<String>,
    /// `self_reported`, `society` or `board`.
    pub source: String,
    /// What it was.
    pub title: String,
    /// The source's own reference (unique per source: an import run again adds nothing).
    pub reference: Option<String>,
    /// `pending`, `approved` or `rejected`.
    pub status: String,
    /// Who approved or rejected it.
    pub decided_by: Option<String>,
}

const EVENT_COLUMNS: &str =
    "event_id, office_id, title, venue, event_date, starts_at, ends_at, created_by";
const TAP_COLUMNS: &str = "reader_id, nonce, event_id, uid, card_id, subscriber_id, card_status,
     flags, tapped_at, received_at";
const CREDIT_COLUMNS: &str = "entry_id, subscriber_id, earned_on, half_units, curriculum_code,
     occupational, source, title, reference, status, decided_by";

fn event_from_row(r: &AnyRow) -> Result<EventRecord, StoreError> {
    Ok(EventRecord {
        event_id: r.try_get(0)?,
        office_id: r.try_get(1)?,
        title: r.try_get(2)?,
        venue: r.try_get(3)?,
        event_date: r.try_get(4)?,
        starts_at: r.try_get(5)?,
        ends_at: r.try_get(6)?,
        created_by: r.try_get(7)?,
        talks: Vec::new(),
    })
}

fn reader_from_row(r: &AnyRow) -> Result<ReaderRecord, StoreError> {
    Ok(ReaderRecord {
        reader_id: r.try_get(0)?,
        event_id: r.try_get(1)?,
        label: r.try_get(2)?,
        revoked_at: r.try_get(3)?,
    })
}

fn tap_from_row(r: &AnyRow) -> Result<TapRecord, StoreError> {
    Ok(TapRecord {
        reader_id: r.try_get(0)?,
        nonce: r.try_get(1)?,
        event_id: r.try_get(2)?,
        uid: r.try_get(3)?,
        card_id: r.try_get(4)?,
        subscriber_id: r.try_get(5)?,
        card_status: r.try_get(6)?,
        flags: r.try_get(7)?,
        tapped_at: r.try_get(8)?,
        received_at: r.try_get(9)?,
    })
}

fn credit_from_row(r: &AnyRow) -> Result<CreditRow, StoreError> {
    Ok(CreditRow {
        entry_id: r.try_get(0)?,
        subscriber_id: r.try_get(1)?,
        earned_on: r.try_get(2)?,
        half_units: r.try_get(3)?,
        curriculum_code: r.try_get(4)?,
        occupational: r.try_get(5)?,
        source: r.try_get(6)?,
        title: r.try_get(7)?,
        reference: r.try_get(8)?,
        status: r.try_get(9)?,
        decided_by: r.try_get(10)?,
    })
}

/// One tap as the national run reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScannedTap {
    /// The doctor.
    pub subscriber_id: String,
    /// The event.
    pub event_id: i64,
    /// The reader's time.
    pub tapped_at: i64,
    /// Its flags.
    pub flags: String,
}

impl Store {
    /// Calls `each` with every tap of a known doctor whose reader's time is in `from..to`,
    /// ordered by doctor, then time; rows are streamed, never all held. Returns how many.
    pub async fn scan_doctor_taps(
        &self,
        from: i64,
        to: i64,
        mut each: impl FnMut(ScannedTap),
    ) -> Result<u64, StoreError> {
        use futures_util::TryStreamExt;
        let mut rows = sqlx::query(
            "SELECT subscriber_id, event_id, tapped_at, flags FROM attendance_taps
             WHERE subscriber_id IS NOT NULL AND tapped_at >= $1 AND tapped_at < $2
             ORDER BY subscriber_id, tapped_at",
        )
        .bind(from)
        .bind(to)
        .fetch(&self.pool);
        let mut n = 0;
        while let Some(r) = rows.try_next().await? {
            each(ScannedTap {
                subscriber_id: r.try_get(0)?,
                event_id: r.try_get(1)?,
                tapped_at: r.try_get(2)?,
                flags: r.try_get(3)?,
            });
            n += 1;
        }
        Ok(n)
    }

    /// Events whose day is in `from..=to` (YYYY-MM-DD), without their talks.
    pub async fn events_between(
        &self,
        from: &str,
        to: &str,
    ) -> Result<Vec<EventRecord>, StoreError> {
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM attendance_events WHERE event_date >= $1 AND event_date <= $2 ORDER BY event_id"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(from.to_owned())
            .bind(to.to_owned())
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(event_from_row).collect()
    }

    /// Approved credits of other sources earned in `from..=to` (YYYY-MM-DD), every doctor.
    pub async fn approved_credits_between(
        &self,
        from: &str,
        to: &str,
    ) -> Result<Vec<CreditRow>, StoreError> {
        let sql = format!(
            "SELECT {CREDIT_COLUMNS} FROM credit_entries
             WHERE status = 'approved' AND earned_on >= $1 AND earned_on <= $2 ORDER BY subscriber_id, earned_on"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(from.to_owned())
            .bind(to.to_owned())
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(credit_from_row).collect()
    }

    /// Records an event with its talks and `audit` (its object set to `event/<id>`) in one
    /// transaction; returns the event's number.
    pub async fn create_event(
        &self,
        event: &NewEvent,
        audit: AuditEvent,
    ) -> Result<i64, StoreError> {
        check_event(&audit)?;
        let (Some(starts_at), Some(ends_at)) = (
            event.talks.iter().map(|t| t.starts_at).min(),
            event.talks.iter().map(|t| t.ends_at).max(),
        ) else {
            return Err(StoreError::invalid(
                "講演がありません",
                "an event needs at least one talk",
            ));
        };
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(
            "INSERT INTO attendance_events (office_id, title, venue, event_date, starts_at, ends_at,
                created_by, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING event_id",
        )
        .bind(event.office_id.clone())
        .bind(event.title.clone())
        .bind(event.venue.clone())
        .bind(event.event_date.clone())
        .bind(starts_at)
        .bind(ends_at)
        .bind(audit.actor.clone())
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        let event_id: i64 = row.try_get(0)?;
        for t in &event.talks {
            sqlx::query(
                "INSERT INTO attendance_talks (event_id, talk_no, title, speaker, starts_at, ends_at,
                    curriculum_code, half_units, occupational)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(event_id)
            .bind(t.talk_no)
            .bind(t.title.clone())
            .bind(t.speaker.clone())
            .bind(t.starts_at)
            .bind(t.ends_at)
            .bind(t.curriculum_code)
            .bind(t.half_units)
            .bind(t.occupational.clone())
            .execute(&mut *tx)
            .await?;
        }
        let audit = AuditEvent {
            object: format!("event/{event_id}"),
            ..audit
        };
        self.append_audit_in(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(event_id)
    }

    /// The event `event_id` with its talks.
    pub async fn event(&self, event_id: i64) -> Result<Option<EventRecord>, StoreError> {
        let sql = format!("SELECT {EVENT_COLUMNS} FROM attendance_events WHERE event_id = $1");
        let Some(row) = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(event_id)
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(None);
        };
        let mut event = event_from_row(&row)?;
        event.talks = self
            .talks_of(&[event_id])
            .await?
            .into_iter()
            .map(|(_, t)| t)
            .collect();
        Ok(Some(event))
    }

    /// The talks of `event_ids` ((event, talk), in event and talk order).
    pub async fn talks_of(&self, event_ids: &[i64]) -> Result<Vec<(i64, TalkRow)>, StoreError> {
        let mut talks = Vec::new();
        for chunk in event_ids.chunks(500) {
            let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "SELECT event_id, talk_no, title, speaker, starts_at, ends_at, curriculum_code,
                    half_units, occupational
                 FROM attendance_talks WHERE event_id IN ({}) ORDER BY event_id, talk_no",
                marks.join(", ")
            );
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for id in chunk {
                query = query.bind(*id);
            }
            for r in query.fetch_all(&self.pool).await? {
                talks.push((
                    r.try_get(0)?,
                    TalkRow {
                        talk_no: r.try_get(1)?,
                        title: r.try_get(2)?,
                        speaker: r.try_get(3)?,
                        starts_at: r.try_get(4)?,
                        ends_at: r.try_get(5)?,
                        curriculum_code: r.try_get(6)?,
                        half_units: r.try_get(7)?,
                        occupational: r.try_get(8)?,
                    },
                ));
            }
        }
        Ok(talks)
    }

    /// Events (without their talks), the latest day first, at most `limit`.
    pub async fn events(&self, limit: i64) -> Result<Vec<EventRecord>, StoreError> {
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM attendance_events ORDER BY event_date DESC, event_id DESC LIMIT $1"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(event_from_row).collect()
    }

    /// Records a reader of `event_id` whose token has SHA-256 `token_sha256`, and `audit`
    /// (object set to `reader/<id>`); returns its number.
    pub async fn create_reader(
        &self,
        event_id: i64,
        label: &str,
        token_sha256: &str,
        audit: AuditEvent,
    ) -> Result<i64, StoreError> {
        check_event(&audit)?;
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(
            "INSERT INTO attendance_readers (event_id, label, token_sha256, created_by, created_at)
             VALUES ($1, $2, $3, $4, $5) RETURNING reader_id",
        )
        .bind(event_id)
        .bind(label.to_owned())
        .bind(token_sha256.to_owned())
        .bind(audit.actor.clone())
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        let reader_id: i64 = row.try_get(0)?;
        let audit = AuditEvent {
            object: format!("reader/{reader_id}"),
            ..audit
        };
        self.append_audit_in(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(reader_id)
    }

    /// The reader whose token has SHA-256 `token_sha256`.
    pub async fn reader_by_token(
        &self,
        token_sha256: &str,
    ) -> Result<Option<ReaderRecord>, StoreError> {
        let row = sqlx::query(
            "SELECT reader_id, event_id, label, revoked_at FROM attendance_readers WHERE token_sha256 = $1",
        )
        .bind(token_sha256.to_owned())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(reader_from_row).transpose()
    }

    /// The readers of `event_id`, in the order they were created.
    pub async fn readers_of(&self, event_id: i64) -> Result<Vec<ReaderRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT reader_id, event_id, label, revoked_at FROM attendance_readers WHERE event_id = $1 ORDER BY reader_id",
        )
        .bind(event_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(reader_from_row).collect()
    }

    /// Revokes reader `reader_id` of `event_id` (its token stops working), with `audit`; false
    /// if there is no such reader or it was revoked already.
    pub async fn revoke_reader(
        &self,
        event_id: i64,
        reader_id: i64,
        audit: &AuditEvent,
    ) -> Result<bool, StoreError> {
        check_event(audit)?;
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE attendance_readers SET revoked_at = $1 WHERE reader_id = $2 AND event_id = $3 AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(reader_id)
        .bind(event_id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            tx.rollback().await?;
            return Ok(false);
        }
        self.append_audit_in(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Registers the contactless UID `uid` (hex) for card `card_id` (replacing an earlier
    /// registration of that UID), with `audit`.
    pub async fn register_contactless(
        &self,
        uid: &str,
        card_id: &str,
        audit: &AuditEvent,
    ) -> Result<(), StoreError> {
        check_event(audit)?;
        let now = self.now();
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO card_contactless (uid, card_id, registered_by, registered_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (uid) DO UPDATE SET card_id = excluded.card_id,
                registered_by = excluded.registered_by, registered_at = excluded.registered_at",
        )
        .bind(uid.to_owned())
        .bind(card_id.to_owned())
        .bind(audit.actor.clone())
        .bind(now)
        .execute(&mut *tx)
        .await?;
        self.append_audit_in(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The card registered for contactless UID `uid`.
    pub async fn contactless_card(&self, uid: &str) -> Result<Option<String>, StoreError> {
        let row = sqlx::query("SELECT card_id FROM card_contactless WHERE uid = $1")
            .bind(uid.to_owned())
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.try_get(0)).transpose()?)
    }

    /// Records `tap` (its `received_at` is set here) and `audit`, in one transaction; a tap whose
    /// reader and nonce are recorded already is not recorded again, and no audit is written.
    pub async fn record_tap(
        &self,
        tap: &TapRecord,
        audit: &AuditEvent,
    ) -> Result<TapRecorded, StoreError> {
        check_event(audit)?;
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let inserted = sqlx::query(
            "INSERT INTO attendance_taps (reader_id, nonce, event_id, uid, card_id, subscriber_id,
                card_status, flags, tapped_at, received_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
             ON CONFLICT (reader_id, nonce) DO NOTHING",
        )
        .bind(tap.reader_id)
        .bind(tap.nonce.clone())
        .bind(tap.event_id)
        .bind(tap.uid.clone())
        .bind(tap.card_id.clone())
        .bind(tap.subscriber_id.clone())
        .bind(tap.card_status.clone())
        .bind(tap.flags.clone())
        .bind(tap.tapped_at)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if inserted.rows_affected() == 0 {
            let sql = format!(
                "SELECT {TAP_COLUMNS} FROM attendance_taps WHERE reader_id = $1 AND nonce = $2"
            );
            let row = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(tap.reader_id)
                .bind(tap.nonce.clone())
                .fetch_one(&mut *tx)
                .await?;
            let earlier = tap_from_row(&row)?;
            tx.rollback().await?;
            return Ok(TapRecorded::Again(earlier));
        }
        self.append_audit_in(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(TapRecorded::New)
    }

    /// The taps of `event_id`, by the readers' time.
    pub async fn event_taps(&self, event_id: i64) -> Result<Vec<TapRecord>, StoreError> {
        let sql = format!(
            "SELECT {TAP_COLUMNS} FROM attendance_taps WHERE event_id = $1 ORDER BY tapped_at, reader_id, nonce"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(event_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(tap_from_row).collect()
    }

    /// The taps of the doctor `subscriber_id` at every event, by the readers' time.
    pub async fn taps_of(&self, subscriber_id: &str) -> Result<Vec<TapRecord>, StoreError> {
        let sql = format!(
            "SELECT {TAP_COLUMNS} FROM attendance_taps WHERE subscriber_id = $1 ORDER BY tapped_at, reader_id, nonce"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(subscriber_id.to_owned())
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(tap_from_row).collect()
    }

    /// Replaces the ledger of `event_id` with `rows`, and `audit`, in one transaction.
    pub async fn put_ledger(
        &self,
        event_id: i64,
        rows: &[LedgerEntry],
        audit: &AuditEvent,
    ) -> Result<(), StoreError> {
        check_event(audit)?;
        let now = self.now();
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM attendance_ledgers WHERE event_id = $1")
            .bind(event_id)
            .execute(&mut *tx)
            .await?;
        for r in rows {
            sqlx::query(
                "INSERT INTO attendance_ledgers (event_id, line, member_id, license_no, name, imported_at)
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(event_id)
            .bind(r.line)
            .bind(r.member_id.clone())
            .bind(r.license_no.clone())
            .bind(r.name.clone())
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        self.append_audit_in(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The ledger of `event_id`, by line.
    pub async fn ledger(&self, event_id: i64) -> Result<Vec<LedgerEntry>, StoreError> {
        let rows = sqlx::query(
            "SELECT line, member_id, license_no, name FROM attendance_ledgers WHERE event_id = $1 ORDER BY line",
        )
        .bind(event_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(LedgerEntry {
                    line: r.try_get(0)?,
                    member_id: r.try_get(1)?,
                    license_no: r.try_get(2)?,
                    name: r.try_get(3)?,
                })
            })
            .collect()
    }

    /// Adds `credits` and `audit` in one transaction, all or none; returns their numbers. A
    /// credit whose source and reference are recorded already makes the whole call a
    /// [`StoreError::Conflict`].
    pub async fn add_credits(
        &self,
        credits: &[CreditRow],
        audit: &AuditEvent,
    ) -> Result<Vec<i64>, StoreError> {
        check_event(audit)?;
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let mut ids = Vec::with_capacity(credits.len());
        for c in credits {
            if let Some(reference) = &c.reference {
                let exists = sqlx::query(
                    "SELECT entry_id FROM credit_entries WHERE source = $1 AND reference = $2",
                )
                .bind(c.source.clone())
                .bind(reference.clone())
                .fetch_optional(&mut *tx)
                .await?;
                if exists.is_some() {
                    return Err(StoreError::conflict(
                        format!("{} の {reference} は取り込み済みです", c.source),
                        format!("{} {reference} is recorded already", c.source),
                    ));
                }
            }
            let row = sqlx::query(
                "INSERT INTO credit_entries (subscriber_id, earned_on, half_units, curriculum_code,
                    occupational, source, title, reference, status, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING entry_id",
            )
            .bind(c.subscriber_id.clone())
            .bind(c.earned_on.clone())
            .bind(c.half_units)
            .bind(c.curriculum_code)
            .bind(c.occupational.clone())
            .bind(c.source.clone())
            .bind(c.title.clone())
            .bind(c.reference.clone())
            .bind(c.status.clone())
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            ids.push(row.try_get(0)?);
        }
        self.append_audit_in(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(ids)
    }

    /// The credits of the doctor `subscriber_id` from other sources, by day.
    pub async fn credits_of(&self, subscriber_id: &str) -> Result<Vec<CreditRow>, StoreError> {
        let sql = format!(
            "SELECT {CREDIT_COLUMNS} FROM credit_entries WHERE subscriber_id = $1 ORDER BY earned_on, entry_id"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(subscriber_id.to_owned())
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(credit_from_row).collect()
    }

    /// Credits waiting for an office's decision, oldest first.
    pub async fn pending_credits(&self) -> Result<Vec<CreditRow>, StoreError> {
        let sql = format!(
            "SELECT {CREDIT_COLUMNS} FROM credit_entries WHERE status = 'pending' ORDER BY entry_id"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(credit_from_row).collect()
    }

    /// Approves (`approve`) or rejects the pending credit `entry_id` as `audit.actor`, with
    /// `audit`; false if it is not pending (decided already, by someone else at the same time,
    /// or unknown).
    pub async fn decide_credit(
        &self,
        entry_id: i64,
        approve: bool,
        audit: &AuditEvent,
    ) -> Result<bool, StoreError> {
        check_event(audit)?;
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE credit_entries SET status = $1, decided_by = $2, decided_at = $3
             WHERE entry_id = $4 AND status = 'pending'",
        )
        .bind(if approve { "approved" } else { "rejected" })
        .bind(audit.actor.clone())
        .bind(now)
        .bind(entry_id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            tx.rollback().await?;
            return Ok(false);
        }
        self.append_audit_in(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(true)
    }
}
