//! A tap from a reader: the reader known by its token, the card found from its card ID or its
//! contactless UID, the tap recorded once per reader nonce (kept and flagged when the card is
//! unknown, lost or revoked, or the time is outside the event), and the answer the reader shows:
//! 受付しました / 退出しました / 登録されていないカード / 失効したカード.

use hpki_attendance::presence::{TapRole, roles};
use hpki_store::{AuditEvent, CardStatus, TapRecord, TapRecorded};
use hpki_text::Text;
use serde_json::json;

use super::AttendanceError;
use crate::Provider;
use crate::secret::sha256_hex;

/// A tap as a reader sends it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct TapInput {
    /// The reader's own random identifier of this tap (1–64 of `A–Z a–z 0–9 - _`): the same tap
    /// sent again is recognised.
    pub nonce: String,
    /// The contactless UID / IDm the reader read (hex, 4 to 10 octets).
    #[serde(default)]
    pub uid: Option<String>,
    /// The card ID, where the reader could read it from the card.
    #[serde(default)]
    pub card_id: Option<String>,
    /// When the card was held to the reader, by the reader's clock (Unix seconds).
    pub tapped_at: i64,
}

/// What the reader shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TapResult {
    /// 受付しました.
    Entry,
    /// 退出しました.
    Exit,
    /// A second read of the same card within the duplicate interval.
    Duplicate,
    /// 登録されていないカード.
    UnknownCard,
    /// 紛失届の出ているカード.
    LostCard,
    /// 失効したカード.
    RevokedCard,
    /// Outside the event's hours (kept, flagged, not counted).
    OutsideEvent,
}

impl TapResult {
    /// What the reader says.
    pub fn message(self) -> Text {
        match self {
            TapResult::Entry => Text::new("受付しました", "Checked in"),
            TapResult::Exit => Text::new("退出を記録しました", "Checked out"),
            TapResult::Duplicate => Text::new("読み取り済みです", "Already read"),
            TapResult::UnknownCard => {
                Text::new("登録されていないカードです", "This card is not registered")
            }
            TapResult::LostCard => Text::new(
                "紛失届の出ているカードです。受付にお申し出ください",
                "This card was reported lost: please see the reception",
            ),
            TapResult::RevokedCard => Text::new(
                "失効したカードです。受付にお申し出ください",
                "This card is revoked: please see the reception",
            ),
            TapResult::OutsideEvent => Text::new(
                "研修会の時間外です（記録のみ）",
                "Outside the event's hours (recorded only)",
            ),
        }
    }
}

/// The answer to a tap.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TapAnswer {
    /// What the tap was.
    pub result: TapResult,
    /// What the reader shows and says.
    pub message: Text,
    /// The doctor's name, when the card is known.
    pub name: Option<String>,
    /// What is unusual about the tap (`unknown_card`, `lost_card`, `revoked_card`, `outside_event`, `reader_clock_ahead`).
    pub flags: Vec<String>,
    /// This nonce had been received before (an upload repeated from the offline queue).
    pub repeated: bool,
    /// The event.
    pub event_id: i64,
}

/// Leeway for a reader's clock ahead of the server's, seconds.
const CLOCK_LEEWAY_SECS: i64 = 300;

/// A contactless UID / IDm as stored: 4 to 10 octets, upper-case hex.
pub fn normalized_uid(uid: &str) -> Result<String, AttendanceError> {
    hex::decode(uid.trim())
        .ok()
        .filter(|b| (4..=10).contains(&b.len()))
        .map(hex::encode_upper)
        .ok_or_else(|| {
            AttendanceError::bad_input(
                format!("UID {uid:?} は4〜10オクテットの16進数ではありません"),
                format!("UID {uid:?} is not 4 to 10 octets in hex"),
            )
        })
}

fn checked(input: &TapInput) -> Result<(Option<String>, Option<String>), AttendanceError> {
    let n = &input.nonce;
    if n.is_empty()
        || n.len() > 64
        || !n
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(AttendanceError::bad_input(
            "nonce は英数字・-・_ の1〜64文字にしてください",
            "nonce: 1 to 64 of A-Z a-z 0-9 - _",
        ));
    }
    let uid = match input
        .uid
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty())
    {
        None => None,
        Some(u) => Some(normalized_uid(u)?),
    };
    let card_id = match input
        .card_id
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        None => None,
        Some(c) if c.len() <= 32 && c.bytes().all(|b| b.is_ascii_alphanumeric()) => {
            Some(c.to_string())
        }
        Some(c) => {
            return Err(AttendanceError::bad_input(
                format!("カードID {c:?} を読み取れません"),
                format!("card ID {c:?} is not alphanumeric (at most 32)"),
            ));
        }
    };
    if uid.is_none() && card_id.is_none() {
        return Err(AttendanceError::bad_input(
            "UID もカードIDもありません",
            "a tap needs a UID or a card ID",
        ));
    }
    // 2000-01-01 to 2100-01-01: anything else is a reader without a clock.
    if !(946_684_800..4_102_444_800).contains(&input.tapped_at) {
        return Err(AttendanceError::bad_input(
            "読み取り時刻が正しくありません",
            "tapped_at is not a plausible time",
        ));
    }
    Ok((uid, card_id))
}

/// Whether `tap` counts towards stays: not of a lost or revoked card, not outside the event.
pub fn counts(tap: &TapRecord) -> bool {
    counts_flags(&tap.flags)
}

/// Whether a tap with `flags` counts towards stays.
pub fn counts_flags(flags: &str) -> bool {
    !flags
        .split(',')
        .any(|f| matches!(f, "lost_card" | "revoked_card" | "outside_event"))
}

impl Provider {
    /// Records the tap `input` from the reader whose token is `token`, and answers it.
    pub async fn tap(&self, token: &str, input: &TapInput) -> Result<TapAnswer, AttendanceError> {
        let store = &self.ca.store;
        let reader = store
            .reader_by_token(&sha256_hex(token))
            .await?
            .filter(|r| r.revoked_at.is_none())
            .ok_or(AttendanceError::UnknownReader)?;
        let (uid, card_id) = checked(input)?;
        let event = self.event(reader.event_id).await?;
        let card_id = match (card_id, &uid) {
            (Some(c), _) => Some(c),
            (None, Some(uid)) => store.contactless_card(uid).await?,
            (None, None) => None,
        };
        let card = match &card_id {
            Some(id) => store.card(id).await?,
            None => None,
        };
        let mut flags = Vec::new();
        match card.as_ref().map(|c| c.status) {
            None => flags.push("unknown_card"),
            Some(CardStatus::Lost) => flags.push("lost_card"),
            Some(CardStatus::Revoked | CardStatus::Failed) => flags.push("revoked_card"),
            Some(CardStatus::Active | CardStatus::Personalizing) => {}
        }
        let margin = self.attendance_rules().event_margin_secs;
        if input.tapped_at < event.starts_at - margin || input.tapped_at > event.ends_at + margin {
            flags.push("outside_event");
        }
        if input.tapped_at > self.ca.now_unix() as i64 + CLOCK_LEEWAY_SECS {
            flags.push("reader_clock_ahead");
        }
        let tap = TapRecord {
            reader_id: reader.reader_id,
            nonce: input.nonce.clone(),
            event_id: event.event_id,
            uid: uid.clone(),
            card_id: card_id.clone(),
            subscriber_id: card.as_ref().map(|c| c.subscriber_id.clone()),
            card_status: card.as_ref().map(|c| c.status.as_str().to_string()),
            flags: flags.join(","),
            tapped_at: input.tapped_at,
            received_at: 0,
        };
        let audit = AuditEvent {
            actor: format!("reader/{}", reader.reader_id),
            action: "attendance.tap".into(),
            object: format!("event/{}", event.event_id),
            details: json!({
                "nonce": tap.nonce, "uid": tap.uid, "card_id": tap.card_id,
                "subscriber_id": tap.subscriber_id, "flags": tap.flags, "tapped_at": tap.tapped_at,
            }),
        };
        let (tap, repeated) = match store.record_tap(&tap, &audit).await? {
            TapRecorded::New => (tap, false),
            TapRecorded::Again(earlier) => (earlier, true),
        };
        self.answer(&tap, repeated).await
    }

    /// Registers the contactless UID `uid` (hex) for the card `card_id` as `actor`, audited;
    /// returns the card ID and the UID as stored (upper-case hex).
    pub async fn register_contactless(
        &self,
        actor: &str,
        card_id: &str,
        uid: &str,
    ) -> Result<(String, String), AttendanceError> {
        let uid = normalized_uid(uid)?;
        let card = self.ca.store.card(card_id).await?.ok_or_else(|| {
            AttendanceError::bad_input(
                format!("カード {card_id} はありません"),
                format!("no card {card_id}"),
            )
        })?;
        let audit = AuditEvent {
            actor: actor.to_string(),
            action: "card.contactless_registered".into(),
            object: format!("card/{}", card.card_id),
            details: json!({"uid": uid, "subscriber_id": card.subscriber_id}),
        };
        self.ca
            .store
            .register_contactless(&uid, &card.card_id, &audit)
            .await?;
        Ok((card.card_id, uid))
    }

    /// The answer to the recorded `tap`: its role among the doctor's taps at the event.
    async fn answer(&self, tap: &TapRecord, repeated: bool) -> Result<TapAnswer, AttendanceError> {
        let store = &self.ca.store;
        let flags: Vec<String> = tap
            .flags
            .split(',')
            .filter(|f| !f.is_empty())
            .map(str::to_string)
            .collect();
        let has = |f: &str| flags.iter().any(|g| g == f);
        let (result, name) = match &tap.subscriber_id {
            None => (TapResult::UnknownCard, None),
            Some(sid) => {
                let name = store.subscriber_by_id(sid).await?.map(|s| s.name_kanji);
                let result = if has("lost_card") {
                    TapResult::LostCard
                } else if has("revoked_card") {
                    TapResult::RevokedCard
                } else if has("outside_event") {
                    TapResult::OutsideEvent
                } else {
                    let taps: Vec<TapRecord> = store
                        .taps_of(sid)
                        .await?
                        .into_iter()
                        .filter(|t| t.event_id == tap.event_id)
                        .collect();
                    let times: Vec<i64> = taps.iter().map(|t| t.tapped_at).collect();
                    let roles = roles(&times, &self.attendance_rules());
                    let role = taps
                        .iter()
                        .zip(roles)
                        .find(|(t, _)| t.reader_id == tap.reader_id && t.nonce == tap.nonce)
                        .map_or(TapRole::Duplicate, |(_, r)| r);
                    match role {
                        TapRole::Entry => TapResult::Entry,
                        TapRole::Exit => TapResult::Exit,
                        TapRole::Duplicate => TapResult::Duplicate,
                    }
                };
                (result, name)
            }
        };
        Ok(TapAnswer {
            result,
            message: result.message(),
            name,
            flags,
            repeated,
            event_id: tap.event_id,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(uid: Option<&str>, card: Option<&str>) -> TapInput {
        TapInput {
            nonce: "abc-1".into(),
            uid: uid.map(Into::into),
            card_id: card.map(Into::into),
            tapped_at: 1_796_896_800,
        }
    }

    #[test]
    fn taps_are_checked_before_anything_is_looked_up() {
        assert_eq!(
            checked(&input(Some("04a1b2c3"), None))
                .unwrap()
                .0
                .as_deref(),
            Some("04A1B2C3")
        );
        assert!(checked(&input(Some("04a1b2"), None)).is_err(), "3 octets");
        assert!(checked(&input(Some("zz"), None)).is_err());
        assert!(checked(&input(None, Some("JMAC 1"))).is_err());
        assert!(checked(&input(None, None)).is_err());
        let mut i = input(None, Some("JMAC61100001"));
        i.nonce = "x".repeat(65);
        assert!(checked(&i).is_err());
        i.nonce = "ok".into();
        i.tapped_at = 0;
        assert!(checked(&i).is_err());
    }
}
