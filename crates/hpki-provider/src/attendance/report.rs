//! An event's attendance as the organiser needs it after the event: each doctor seen with the
//! stays and the units per talk, the taps of unknown cards, the organiser's ledger imported, the
//! reconciliation (突合) in four lists, and the attendance list as CSV.

use std::collections::BTreeMap;

use hpki_attendance::Units;
use hpki_attendance::ledger::{LedgerRow, parse};
use hpki_attendance::presence::{Stay, stays};
use hpki_attendance::reconcile::{Attendee, Reconciliation, reconcile};
use hpki_attendance::talk::{TalkCredit, credit};
use hpki_ra::application::ApplicationForm;
use hpki_store::{AuditEvent, EventRecord, LedgerEntry, TapRecord};
use serde_json::json;

use super::AttendanceError;
use super::events::talk_of;
use super::taps::counts;
use crate::Provider;

/// One doctor seen at the event.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AttendeeRow {
    /// The doctor.
    pub subscriber_id: String,
    /// 氏名.
    pub name: String,
    /// 日医会員ID.
    pub member_id: Option<String>,
    /// 医籍登録番号.
    pub license_no: String,
    /// The cards tapped.
    pub card_ids: Vec<String>,
    /// The stays.
    pub stays: Vec<Stay>,
    /// The credit of each talk, in talk order.
    pub talks: Vec<TalkCredit>,
    /// Units earned at the event.
    pub units: Units,
    /// Flags of the doctor's taps (a lost card, taps outside the event).
    pub flags: Vec<String>,
}

/// An event's attendance.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct EventReport {
    /// The event with its talks.
    #[serde(skip)]
    pub event: EventRecord,
    /// The doctors seen, by name.
    pub attendees: Vec<AttendeeRow>,
    /// Taps of cards not in the register.
    #[serde(skip)]
    pub unknown_taps: Vec<TapRecord>,
    /// Rows in the organiser's ledger.
    pub ledger_rows: usize,
    /// The ledger against the attendance.
    pub reconciliation: Reconciliation,
}

impl Provider {
    /// The attendance of `event_id`.
    pub async fn event_report(&self, event_id: i64) -> Result<EventReport, AttendanceError> {
        let store = &self.ca.store;
        let rules = self.attendance_rules();
        let event = self.event(event_id).await?;
        let taps = store.event_taps(event_id).await?;
        let mut by_doctor: BTreeMap<String, Vec<&TapRecord>> = BTreeMap::new();
        let mut unknown_taps = Vec::new();
        for t in &taps {
            match &t.subscriber_id {
                Some(s) => by_doctor.entry(s.clone()).or_default().push(t),
                None => unknown_taps.push(t.clone()),
            }
        }
        let talks: Vec<_> = event.talks.iter().map(talk_of).collect();
        let mut attendees = Vec::with_capacity(by_doctor.len());
        for (sid, doctor_taps) in by_doctor {
            let mut flags: Vec<String> = doctor_taps
                .iter()
                .flat_map(|t| t.flags.split(','))
                .filter(|f| !f.is_empty())
                .map(str::to_string)
                .collect();
            flags.sort();
            flags.dedup();
            let counted: Vec<i64> = doctor_taps
                .iter()
                .filter(|t| counts(t))
                .map(|t| t.tapped_at)
                .collect();
            let doctor_stays = stays(&counted, &rules);
            let credits: Vec<TalkCredit> = talks
                .iter()
                .map(|t| credit(t, &doctor_stays, &rules))
                .collect();
            let mut card_ids: Vec<String> = doctor_taps
                .iter()
                .filter_map(|t| t.card_id.clone())
                .collect();
            card_ids.sort();
            card_ids.dedup();
            let subscriber = store.subscriber_by_id(&sid).await?;
            let member_id = match &subscriber {
                Some(s) => self
                    .issued_application(s)
                    .await?
                    .and_then(|a| serde_json::from_str::<ApplicationForm>(&a.form).ok())
                    .map(|f| f.member_id)
                    .filter(|m| !m.is_empty()),
                None => None,
            };
            attendees.push(AttendeeRow {
                name: subscriber
                    .as_ref()
                    .map_or_else(String::new, |s| s.name_kanji.clone()),
                license_no: subscriber
                    .as_ref()
                    .map_or_else(String::new, |s| s.license_number.clone()),
                member_id,
                subscriber_id: sid,
                card_ids,
                units: credits.iter().map(|c| c.units).sum(),
                talks: credits,
                stays: doctor_stays,
                flags,
            });
        }
        attendees.sort_by(|a, b| {
            a.name
                .cmp(&b.name)
                .then(a.subscriber_id.cmp(&b.subscriber_id))
        });
        let ledger: Vec<LedgerRow> = store
            .ledger(event_id)
            .await?
            .into_iter()
            .map(|r| LedgerRow {
                line: u64::try_from(r.line).unwrap_or(0),
                member_id: r.member_id,
                license_no: r.license_no,
                name: r.name,
            })
            .collect();
        // Doctors seen only through a lost or revoked card have no stays: listed with their
        // flags, but not reconciled as present.
        let seen: Vec<Attendee> = attendees
            .iter()
            .filter(|a| !a.stays.is_empty())
            .map(|a| Attendee {
                subscriber_id: a.subscriber_id.clone(),
                member_id: a.member_id.clone(),
                license_no: Some(a.license_no.clone()).filter(|l| !l.is_empty()),
                name: a.name.clone(),
                complete: a.stays.iter().any(|s| s.exit.is_some()),
                open_entry: a.stays.last().is_some_and(|s| s.exit.is_none()),
            })
            .collect();
        Ok(EventReport {
            reconciliation: reconcile(&ledger, &seen),
            ledger_rows: ledger.len(),
            event,
            attendees,
            unknown_taps,
        })
    }

    /// Imports the ledger file `bytes` of `event_id` as `actor`, replacing the last one; every
    /// bad row refuses the whole file. Returns the number of rows.
    pub async fn import_ledger(
        &self,
        actor: &str,
        event_id: i64,
        bytes: &[u8],
    ) -> Result<usize, AttendanceError> {
        let event = self.event(event_id).await?;
        let rows = parse(bytes).map_err(AttendanceError::Ledger)?;
        let entries: Vec<LedgerEntry> = rows
            .iter()
            .map(|r| LedgerEntry {
                line: i64::try_from(r.line).unwrap_or(0),
                member_id: r.member_id.clone(),
                license_no: r.license_no.clone(),
                name: r.name.clone(),
            })
            .collect();
        let audit = AuditEvent {
            actor: actor.to_string(),
            action: "attendance.ledger.import".into(),
            object: format!("event/{}", event.event_id),
            details: json!({"rows": entries.len()}),
        };
        self.ca
            .store
            .put_ledger(event.event_id, &entries, &audit)
            .await?;
        Ok(entries.len())
    }
}
