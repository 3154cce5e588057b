//! The attendance tables (migration 10) on SQLite and PostgreSQL: events with talks, readers,
//! taps recorded once per reader and nonce even when uploaded twice at once, ledgers replaced
//! whole, credits added all or none and decided once.

mod common;

use common::Ctx;
use hpki_store::{
    AuditEvent, CreditRow, LedgerEntry, NewEvent, StoreError, TalkRow, TapRecord, TapRecorded,
};
use serde_json::json;

both_backends!(
    events_keep_their_talks,
    a_tap_uploaded_twice_at_once_is_recorded_once,
    a_ledger_is_replaced_whole,
    credits_are_added_all_or_none_and_decided_once,
);

fn audit(action: &str) -> AuditEvent {
    AuditEvent {
        actor: "tokyo-seminar".into(),
        action: action.into(),
        object: String::new(),
        details: json!({}),
    }
}

fn talk(no: i64, start: i64, minutes: i64, code: Option<i64>) -> TalkRow {
    TalkRow {
        talk_no: no,
        title: format!("講演{no}"),
        speaker: "講師".into(),
        starts_at: start,
        ends_at: start + minutes * 60,
        curriculum_code: code,
        half_units: minutes / 30,
        occupational: None,
    }
}

fn tap(reader_id: i64, event_id: i64, nonce: &str, at: i64) -> TapRecord {
    TapRecord {
        reader_id,
        nonce: nonce.into(),
        event_id,
        uid: Some("04A1B2C3D4E5F6".into()),
        card_id: Some("JMAC61100001".into()),
        subscriber_id: Some("S1".into()),
        card_status: Some("active".into()),
        flags: String::new(),
        tapped_at: at,
        received_at: 0,
    }
}

async fn an_event(ctx: &Ctx) -> i64 {
    let event = NewEvent {
        office_id: "pref-13".into(),
        title: "糖尿病診療の最新知見".into(),
        venue: "東京都医師会館".into(),
        event_date: "2026-12-10".into(),
        talks: vec![
            talk(1, 1_000_000, 10, None),
            talk(2, 1_000_600, 90, Some(76)),
        ],
    };
    ctx.store
        .create_event(&event, audit("attendance.event.create"))
        .await
        .expect("event")
}

mod scenarios {
    use super::*;

    pub async fn events_keep_their_talks(ctx: &Ctx) -> Result<(), StoreError> {
        let id = an_event(ctx).await;
        let e = ctx.store.event(id).await?.expect("the event");
        assert_eq!((e.starts_at, e.ends_at), (1_000_000, 1_000_600 + 90 * 60));
        assert_eq!(e.talks.len(), 2);
        assert_eq!(
            (e.talks[1].curriculum_code, e.talks[1].half_units),
            (Some(76), 3)
        );
        assert_eq!(e.created_by, "tokyo-seminar");
        assert_eq!(ctx.store.events(10).await?.len(), 1);
        let empty = NewEvent {
            office_id: "x".into(),
            title: "x".into(),
            venue: "x".into(),
            event_date: "2026-01-01".into(),
            talks: vec![],
        };
        assert!(matches!(
            ctx.store.create_event(&empty, audit("x")).await,
            Err(StoreError::InvalidInput(_))
        ));
        let records = ctx
            .store
            .audit_records_about(&format!("event/{id}"), 10)
            .await?;
        assert_eq!(records.len(), 1);
        Ok(())
    }

    pub async fn a_tap_uploaded_twice_at_once_is_recorded_once(
        ctx: &Ctx,
    ) -> Result<(), StoreError> {
        let event_id = an_event(ctx).await;
        let reader = ctx
            .store
            .create_reader(
                event_id,
                "入口A",
                "ab".repeat(32).as_str(),
                audit("attendance.reader.create"),
            )
            .await?;
        assert_eq!(
            ctx.store
                .reader_by_token(&"ab".repeat(32))
                .await?
                .map(|r| r.event_id),
            Some(event_id)
        );
        let other = ctx.another_store().await;
        let t = tap(reader, event_id, "n-1", 1_000_000 - 300);
        let tap_audit = audit("attendance.tap");
        let (a, b) = tokio::join!(
            ctx.store.record_tap(&t, &tap_audit),
            other.record_tap(&t, &tap_audit)
        );
        let outcomes = [a?, b?];
        assert_eq!(
            outcomes.iter().filter(|o| **o == TapRecorded::New).count(),
            1,
            "{outcomes:?}"
        );
        assert!(
            outcomes
                .iter()
                .any(|o| matches!(o, TapRecorded::Again(e) if e.tapped_at == t.tapped_at))
        );
        ctx.store
            .record_tap(
                &tap(reader, event_id, "n-2", 1_000_000 + 6000),
                &audit("attendance.tap"),
            )
            .await?;
        assert_eq!(ctx.store.event_taps(event_id).await?.len(), 2);
        assert_eq!(
            ctx.store
                .taps_of("S1")
                .await?
                .iter()
                .map(|t| t.nonce.as_str())
                .collect::<Vec<_>>(),
            vec!["n-1", "n-2"]
        );
        assert_eq!(
            ctx.store
                .audit_records_of_action("attendance.tap", 10)
                .await?
                .len(),
            2,
            "one audit record per tap"
        );
        ctx.store
            .register_contactless("04A1B2C3D4E5F6", "JMAC61100001", &audit("card.contactless"))
            .await?;
        assert_eq!(
            ctx.store
                .contactless_card("04A1B2C3D4E5F6")
                .await?
                .as_deref(),
            Some("JMAC61100001")
        );
        assert_eq!(ctx.store.contactless_card("00").await?, None);
        other.close().await;
        Ok(())
    }

    pub async fn a_ledger_is_replaced_whole(ctx: &Ctx) -> Result<(), StoreError> {
        let event_id = an_event(ctx).await;
        let row = |line, name: &str| LedgerEntry {
            line,
            member_id: Some(format!("{line:010}")),
            license_no: None,
            name: name.into(),
        };
        ctx.store
            .put_ledger(
                event_id,
                &[row(2, "甲"), row(3, "乙")],
                &audit("attendance.ledger"),
            )
            .await?;
        ctx.store
            .put_ledger(event_id, &[row(2, "丙")], &audit("attendance.ledger"))
            .await?;
        let ledger = ctx.store.ledger(event_id).await?;
        assert_eq!(
            ledger.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(),
            vec!["丙"]
        );
        Ok(())
    }

    pub async fn credits_are_added_all_or_none_and_decided_once(
        ctx: &Ctx,
    ) -> Result<(), StoreError> {
        let credit = |reference: Option<&str>, status: &str| CreditRow {
            entry_id: 0,
            subscriber_id: "S1".into(),
            earned_on: "2026-06-01".into(),
            half_units: 2,
            curriculum_code: Some(1),
            occupational: None,
            source: if reference.is_some() {
                "society".into()
            } else {
                "self_reported".into()
            },
            title: "e-learning".into(),
            reference: reference.map(Into::into),
            status: status.into(),
            decided_by: None,
        };
        ctx.store
            .add_credits(
                &[credit(Some("JSIM-1"), "approved")],
                &audit("credits.import"),
            )
            .await?;
        // The second file repeats JSIM-1: nothing of it is taken.
        let again = ctx
            .store
            .add_credits(
                &[
                    credit(Some("JSIM-2"), "approved"),
                    credit(Some("JSIM-1"), "approved"),
                ],
                &audit("credits.import"),
            )
            .await;
        assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
        assert_eq!(ctx.store.credits_of("S1").await?.len(), 1);
        let ids = ctx
            .store
            .add_credits(&[credit(None, "pending")], &audit("credits.report"))
            .await?;
        assert_eq!(ctx.store.pending_credits().await?.len(), 1);
        let other = ctx.another_store().await;
        let (approve, reject) = (audit("credits.approve"), audit("credits.reject"));
        let (a, b) = tokio::join!(
            ctx.store.decide_credit(ids[0], true, &approve),
            other.decide_credit(ids[0], false, &reject)
        );
        assert_eq!(
            [a?, b?].iter().filter(|d| **d).count(),
            1,
            "one decision wins"
        );
        assert!(ctx.store.pending_credits().await?.is_empty());
        other.close().await;
        Ok(())
    }
}
