//! The card register: which 医師資格証 was issued to whom, with which certificates.
//!
//! A card is recorded before anything is written to it (`personalizing`), so an interrupted
//! personalisation leaves a trace; it becomes `active` when both certificates are on the card,
//! and `lost` or `revoked` when its certificates are revoked. Card IDs are allocated here, in the
//! same write transaction that records the card, so two officers personalising at once never
//! get the same ID.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{AuditEvent, Store, StoreError, check_event};

/// The states of a card.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardStatus {
    /// Recorded; keys and certificates are being put on the card.
    Personalizing,
    /// Both certificates are on the card.
    Active,
    /// Reported lost; its certificates are revoked.
    Lost,
    /// Its certificates are revoked for another reason (qualification lost, replaced).
    Revoked,
    /// Its personalisation did not complete (refused, interrupted): it never held a valid
    /// certificate; whatever was issued for it is revoked.
    Failed,
}

impl CardStatus {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            CardStatus::Personalizing => "personalizing",
            CardStatus::Active => "active",
            CardStatus::Lost => "lost",
            CardStatus::Revoked => "revoked",
            CardStatus::Failed => "failed",
        }
    }

    /// Japanese label for listings.
    pub fn label_ja(self) -> &'static str {
        match self {
            CardStatus::Personalizing => "発行処理中",
            CardStatus::Active => "有効",
            CardStatus::Lost => "紛失",
            CardStatus::Revoked => "失効",
            CardStatus::Failed => "発行失敗",
        }
    }

    fn parse(s: &str) -> Result<Self, StoreError> {
        Ok(match s {
            "personalizing" => CardStatus::Personalizing,
            "active" => CardStatus::Active,
            "lost" => CardStatus::Lost,
            "revoked" => CardStatus::Revoked,
            "failed" => CardStatus::Failed,
            other => {
                return Err(StoreError::corrupt(
                    format!("カードの状態 {other:?} は不明です"),
                    format!("unknown card status {other:?}"),
                ));
            }
        })
    }
}

/// A card to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCard {
    /// The doctor's subscriber ID (the certificates' serialNumber attribute).
    pub subscriber_id: String,
    /// The holder's record (JSON text): names, date of birth, member ID, licence number.
    pub holder: String,
    /// The holder's photo (JPEG or PNG), for the card face.
    pub photo: Option<Vec<u8>>,
    /// When the card was issued (Unix seconds).
    pub issued_at: i64,
    /// When the card expires (Unix seconds): 6 years by default (policy).
    pub expires_at: i64,
    /// The RA's unblocking code, sealed (never stored in the clear).
    pub unblock_code_sealed: String,
    /// The card this one replaces (reissue after loss).
    pub replaces: Option<String>,
}

/// A recorded card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardRecord {
    /// The card ID.
    pub card_id: String,
    /// The doctor's subscriber ID.
    pub subscriber_id: String,
    /// The holder's record (JSON text).
    pub holder: String,
    /// The holder's photo.
    pub photo: Option<Vec<u8>>,
    /// Where the card stands.
    pub status: CardStatus,
    /// Issued at (Unix seconds).
    pub issued_at: i64,
    /// Expires at (Unix seconds).
    pub expires_at: i64,
    /// Serial (hex) of the current signing certificate, of the signing CA.
    pub sign_serial: Option<String>,
    /// Serial (hex) of the current authentication certificate, of the authentication CA.
    pub auth_serial: Option<String>,
    /// The sealed unblocking code.
    pub unblock_code_sealed: String,
    /// The card this one replaces.
    pub replaces: Option<String>,
    /// Last change (Unix seconds).
    pub updated_at: i64,
    /// The token's serial number, recorded at personalisation (none for cards of releases
    /// before card binding).
    pub token_serial: Option<String>,
    /// The public key (DER SubjectPublicKeyInfo) of the card's card-authentication key pair.
    pub card_key: Option<Vec<u8>>,
}

const COLUMNS: &str = "card_id, subscriber_id, holder, photo, status, issued_at, expires_at,
     sign_serial, auth_serial, unblock_code_sealed, replaces, updated_at, token_serial, card_key";

fn card_from_row(row: &AnyRow) -> Result<CardRecord, StoreError> {
    let status: String = row.try_get(4)?;
    Ok(CardRecord {
        card_id: row.try_get(0)?,
        subscriber_id: row.try_get(1)?,
        holder: row.try_get(2)?,
        photo: row.try_get(3)?,
        status: CardStatus::parse(&status)?,
        issued_at: row.try_get(5)?,
        expires_at: row.try_get(6)?,
        sign_serial: row.try_get(7)?,
        auth_serial: row.try_get(8)?,
        unblock_code_sealed: row.try_get(9)?,
        replaces: row.try_get(10)?,
        updated_at: row.try_get(11)?,
        token_serial: row.try_get(12)?,
        card_key: row.try_get(13)?,
    })
}

/// The next card ID after `last` with `prefix` (e.g. `JMAC611`): the prefix and a five-digit
/// number, 00001 first.
fn next_card_id(prefix: &str, last: Option<&str>) -> Result<String, StoreError> {
    let n = match last {
        None => 1,
        Some(id) => {
            let digits = id.strip_prefix(prefix).unwrap_or("");
            let n: u32 = digits.parse().map_err(|_| {
                StoreError::corrupt(
                    format!("カードID {id:?} を読み取れません"),
                    format!("unreadable card ID {id:?}"),
                )
            })?;
            n + 1
        }
    };
    if n > 99_999 {
        return Err(StoreError::conflict(
            format!("カードID {prefix}00001〜99999 はすべて使用済みです"),
            format!("card IDs {prefix}00001-99999 are all used"),
        ));
    }
    Ok(format!("{prefix}{n:05}"))
}

impl Store {
    /// Records a new card under the next free ID with `prefix` and `audit`, in one
    /// transaction; returns the ID. `audit`'s object is set to `card/<id>`.
    pub async fn create_card(
        &self,
        prefix: &str,
        card: &NewCard,
        audit: &AuditEvent,
    ) -> Result<String, StoreError> {
        if prefix.is_empty() || !prefix.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(StoreError::invalid(
                format!("カードIDの接頭辞 {prefix:?} は使えません"),
                format!("unusable card ID prefix {prefix:?}"),
            ));
        }
        check_event(audit)?;
        let mut tx = self.begin_write().await?;
        let pattern = format!("{prefix}_____");
        let last: Option<String> = sqlx::query(
            "SELECT card_id FROM cards WHERE card_id LIKE $1 ORDER BY card_id DESC LIMIT 1",
        )
        .bind(pattern)
        .fetch_optional(&mut *tx)
        .await?
        .map(|r| r.try_get(0))
        .transpose()?;
        let card_id = next_card_id(prefix, last.as_deref())?;
        sqlx::query(
            "INSERT INTO cards (card_id, subscriber_id, holder, photo, status, issued_at,
                expires_at, sign_serial, auth_serial, unblock_code_sealed, replaces, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, NULL, $8, $9, $10)",
        )
        .bind(card_id.clone())
        .bind(card.subscriber_id.clone())
        .bind(card.holder.clone())
        .bind(card.photo.clone())
        .bind(CardStatus::Personalizing.as_str())
        .bind(card.issued_at)
        .bind(card.expires_at)
        .bind(card.unblock_code_sealed.clone())
        .bind(card.replaces.clone())
        .bind(self.now())
        .execute(&mut *tx)
        .await?;
        let mut audit = audit.clone();
        audit.object = format!("card/{card_id}");
        self.append_audit_in(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(card_id)
    }

    /// Sets the status and current certificates of `card_id`, with `audit`, in one transaction.
    pub async fn update_card(
        &self,
        card_id: &str,
        status: CardStatus,
        sign_serial: Option<&str>,
        auth_serial: Option<&str>,
        audit: &AuditEvent,
    ) -> Result<(), StoreError> {
        check_event(audit)?;
        let mut tx = self.begin_write().await?;
        let updated = sqlx::query(
            "UPDATE cards SET status = $1, sign_serial = $2, auth_serial = $3, updated_at = $4
             WHERE card_id = $5",
        )
        .bind(status.as_str())
        .bind(sign_serial.map(str::to_owned))
        .bind(auth_serial.map(str::to_owned))
        .bind(self.now())
        .bind(card_id.to_owned())
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() != 1 {
            tx.rollback().await?;
            return Err(StoreError::invalid(
                format!("カード {card_id} は登録されていません"),
                format!("no card {card_id}"),
            ));
        }
        if status == CardStatus::Active {
            // The card takes the certificates issued for it (see `issuance.rs`); those of an
            // earlier personalisation were taken then.
            let issued_for = format!("card/{card_id}");
            let mut new = Vec::new();
            for (ca, serial) in [("sign", sign_serial), ("auth", auth_serial)] {
                let Some(serial) = serial else { continue };
                let row = sqlx::query(
                    "SELECT issued_for, linked_at FROM certificates
                     WHERE ca = $1 AND serial_hex = $2",
                )
                .bind(ca)
                .bind(serial.to_owned())
                .fetch_optional(&mut *tx)
                .await?;
                let pending = match &row {
                    Some(r) => {
                        r.try_get::<Option<String>, _>(0)?.as_deref() == Some(issued_for.as_str())
                            && r.try_get::<Option<i64>, _>(1)?.is_none()
                    }
                    None => false,
                };
                if pending {
                    new.push((ca.to_owned(), serial.to_owned()));
                }
            }
            if let Err(e) = crate::issuance::link_in(&mut tx, &issued_for, &new, self.now()).await {
                tx.rollback().await?;
                return Err(e);
            }
        }
        self.append_audit_in(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Binds card `card_id` to its token: the token's serial number and the public key of its
    /// card-authentication key pair, with `audit`. Only once: a bound card keeps its binding.
    pub async fn bind_card(
        &self,
        card_id: &str,
        token_serial: &str,
        card_key: &[u8],
        audit: &AuditEvent,
    ) -> Result<(), StoreError> {
        check_event(audit)?;
        let mut tx = self.begin_write().await?;
        let bound = sqlx::query(
            "UPDATE cards SET token_serial = $1, card_key = $2, updated_at = $3
             WHERE card_id = $4 AND card_key IS NULL",
        )
        .bind(token_serial.to_owned())
        .bind(card_key.to_vec())
        .bind(self.now())
        .bind(card_id.to_owned())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if bound != 1 {
            tx.rollback().await?;
            return Err(StoreError::conflict(
                format!("カード {card_id} は登録されていないか、既に結び付けられています"),
                format!("card {card_id} is not registered or is bound already"),
            ));
        }
        self.append_audit_in(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The card `card_id`, if recorded.
    pub async fn card(&self, card_id: &str) -> Result<Option<CardRecord>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM cards WHERE card_id = $1"
        )))
        .bind(card_id.to_owned())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(card_from_row).transpose()
    }

    /// Every card, by ID; only those of `subscriber_id` when given.
    pub async fn cards(&self, subscriber_id: Option<&str>) -> Result<Vec<CardRecord>, StoreError> {
        let rows = match subscriber_id {
            Some(s) => {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT {COLUMNS} FROM cards WHERE subscriber_id = $1 ORDER BY card_id"
                )))
                .bind(s.to_owned())
                .fetch_all(&self.pool)
                .await?
            }
            None => {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT {COLUMNS} FROM cards ORDER BY card_id"
                )))
                .fetch_all(&self.pool)
                .await?
            }
        };
        rows.iter().map(card_from_row).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn card_ids_count_up_within_their_prefix() {
        assert_eq!(next_card_id("JMAC611", None).unwrap(), "JMAC61100001");
        assert_eq!(
            next_card_id("JMAC611", Some("JMAC61100041")).unwrap(),
            "JMAC61100042"
        );
        assert!(next_card_id("JMAC611", Some("JMAC61199999")).is_err());
        assert!(next_card_id("JMAC611", Some("JMAC611xxxxx")).is_err());
    }
}
