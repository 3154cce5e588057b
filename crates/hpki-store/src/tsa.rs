//! The time-stamping authority's records: its unit (certificate and key reference) and every
//! time-stamp token it issued.
//!
//! RFC 3161 §4 leaves to the TSA to show, in a dispute, what it time-stamped and when; a TSA
//! policy (ETSI EN 319 421 §7.10) asks it to keep a record of every token. Each token is
//! recorded here before the response leaves the TSA: its serial number (unique: the primary
//! key, so a serial is never issued twice), `genTime`, policy, the message imprint, the nonce,
//! the TSA certificate that signed it and the exact `TSTInfo` signed. Tokens are not written to
//! the hash-chained audit log: that log serialises its writers and would bound the TSA's rate;
//! setting up or replacing the unit is audited.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{AuditEvent, Store, StoreError, check_event};

/// The TSA unit: its certificate and where its key is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TsaUnitRecord {
    /// Name of the unit (`tsa`).
    pub name: String,
    /// The TSA certificate, DER.
    pub cert_der: Vec<u8>,
    /// Where its private key is (`file:keys/tsa.key.pem`, `pkcs11:object=…`).
    pub key_ref: String,
    /// When it was installed, Unix seconds.
    pub created_at: i64,
}

/// A time-stamp token to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTimestamp {
    /// `serialNumber`, lowercase hex without leading zeros.
    pub serial_hex: String,
    /// `genTime`, Unix milliseconds.
    pub gen_time_ms: i64,
    /// The policy OID, dotted.
    pub policy: String,
    /// The message imprint's hash algorithm OID, dotted.
    pub hash_algorithm: String,
    /// The message imprint, lowercase hex.
    pub message_imprint: String,
    /// The nonce, lowercase hex of its DER contents, if the request had one.
    pub nonce: Option<String>,
    /// Serial (hex) of the TSA certificate that signed the token.
    pub tsa_serial: String,
    /// The DER `TSTInfo`, exactly as signed.
    pub tst_info: Vec<u8>,
}

/// A recorded time-stamp token (same fields as [`NewTimestamp`]).
pub type TimestampRecord = NewTimestamp;

/// How many tokens were issued, and when the first and the last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TimestampStats {
    /// Number of tokens.
    pub count: i64,
    /// `genTime` of the first, Unix milliseconds.
    pub first_ms: Option<i64>,
    /// `genTime` of the last, Unix milliseconds.
    pub last_ms: Option<i64>,
}

const COLUMNS: &str = "serial_hex, gen_time_ms, policy, hash_algorithm, message_imprint, nonce,
     tsa_serial, tst_info";

fn timestamp_from_row(row: &AnyRow) -> Result<TimestampRecord, StoreError> {
    Ok(NewTimestamp {
        serial_hex: row.try_get(0)?,
        gen_time_ms: row.try_get(1)?,
        policy: row.try_get(2)?,
        hash_algorithm: row.try_get(3)?,
        message_imprint: row.try_get(4)?,
        nonce: row.try_get(5)?,
        tsa_serial: row.try_get(6)?,
        tst_info: row.try_get(7)?,
    })
}

impl Store {
    /// Records the TSA unit `unit` (replacing one of the same name) and `audit`, in one
    /// transaction.
    pub async fn put_tsa_unit(
        &self,
        unit: &TsaUnitRecord,
        audit: &AuditEvent,
    ) -> Result<(), StoreError> {
        check_event(audit)?;
        if unit.name.is_empty() {
            return Err(StoreError::invalid(
                "タイムスタンプ局の名前が空です",
                "TSA unit name is empty",
            ));
        }
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO tsa_units (name, cert_der, key_ref, created_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (name) DO UPDATE SET
                cert_der = excluded.cert_der,
                key_ref = excluded.key_ref,
                created_at = excluded.created_at",
        )
        .bind(unit.name.clone())
        .bind(unit.cert_der.clone())
        .bind(unit.key_ref.clone())
        .bind(unit.created_at)
        .execute(&mut *tx)
        .await?;
        self.append_audit_in(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The TSA unit `name`, if installed.
    pub async fn tsa_unit(&self, name: &str) -> Result<Option<TsaUnitRecord>, StoreError> {
        let row = sqlx::query(
            "SELECT name, cert_der, key_ref, created_at FROM tsa_units WHERE name = $1",
        )
        .bind(name.to_owned())
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| {
            Ok(TsaUnitRecord {
                name: row.try_get(0)?,
                cert_der: row.try_get(1)?,
                key_ref: row.try_get(2)?,
                created_at: row.try_get(3)?,
            })
        })
        .transpose()
    }

    /// Records an issued token. `Ok(false)` if a token with this serial was recorded before
    /// (nothing is written: the caller draws another serial and signs again).
    pub async fn record_timestamp(&self, ts: &NewTimestamp) -> Result<bool, StoreError> {
        let serial = crate::normalize_serial(&ts.serial_hex)?;
        let result = sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO timestamps ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (serial_hex) DO NOTHING"
        )))
        .bind(serial)
        .bind(ts.gen_time_ms)
        .bind(ts.policy.clone())
        .bind(ts.hash_algorithm.clone())
        .bind(ts.message_imprint.clone())
        .bind(ts.nonce.clone())
        .bind(ts.tsa_serial.clone())
        .bind(ts.tst_info.clone())
        .execute(&self.pool)
        .await?;
        Ok(result.rows_affected() == 1)
    }

    /// The token with serial `serial_hex`, if this TSA issued it.
    pub async fn timestamp(&self, serial_hex: &str) -> Result<Option<TimestampRecord>, StoreError> {
        let serial = crate::normalize_serial(serial_hex)?;
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM timestamps WHERE serial_hex = $1"
        )))
        .bind(serial)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(timestamp_from_row).transpose()
    }

    /// The last `limit` tokens, newest first.
    pub async fn recent_timestamps(&self, limit: i64) -> Result<Vec<TimestampRecord>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM timestamps ORDER BY gen_time_ms DESC, serial_hex LIMIT $1"
        )))
        .bind(limit.max(0))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(timestamp_from_row).collect()
    }

    /// How many tokens were issued, the first and the last `genTime`.
    pub async fn timestamp_stats(&self) -> Result<TimestampStats, StoreError> {
        let row =
            sqlx::query("SELECT COUNT(*), MIN(gen_time_ms), MAX(gen_time_ms) FROM timestamps")
                .fetch_one(&self.pool)
                .await?;
        Ok(TimestampStats {
            count: row.try_get(0)?,
            first_ms: row.try_get(1)?,
            last_ms: row.try_get(2)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(serial: &str, at: i64) -> NewTimestamp {
        NewTimestamp {
            serial_hex: serial.into(),
            gen_time_ms: at,
            policy: "1.3.6.1.4.1.99999.1".into(),
            hash_algorithm: "2.16.840.1.101.3.4.2.1".into(),
            message_imprint: "ab".repeat(32),
            nonce: Some("00b30e".into()),
            tsa_serial: "4001".into(),
            tst_info: vec![0x30, 0x00],
        }
    }

    #[tokio::test]
    async fn timestamps_are_recorded_once_per_serial() {
        let store = Store::connect("sqlite::memory:").await.unwrap();
        assert_eq!(
            store.timestamp_stats().await.unwrap(),
            TimestampStats::default()
        );
        assert!(store.record_timestamp(&ts("4a01", 1_000)).await.unwrap());
        assert!(store.record_timestamp(&ts("4a02", 2_000)).await.unwrap());
        assert!(!store.record_timestamp(&ts("4A01", 3_000)).await.unwrap());
        let stats = store.timestamp_stats().await.unwrap();
        assert_eq!(
            stats,
            TimestampStats {
                count: 2,
                first_ms: Some(1_000),
                last_ms: Some(2_000)
            }
        );
        assert_eq!(
            store.timestamp("0x4a02").await.unwrap(),
            Some(ts("4a02", 2_000))
        );
        let recent = store.recent_timestamps(1).await.unwrap();
        assert_eq!(recent, [ts("4a02", 2_000)]);
    }

    #[tokio::test]
    async fn the_unit_is_replaced_and_audited() {
        let store = Store::connect("sqlite::memory:").await.unwrap();
        assert_eq!(store.tsa_unit("tsa").await.unwrap(), None);
        let unit = TsaUnitRecord {
            name: "tsa".into(),
            cert_der: vec![1, 2, 3],
            key_ref: "file:keys/tsa.key.pem".into(),
            created_at: 10,
        };
        let audit = AuditEvent {
            actor: "test".into(),
            action: "tsa.certificate_installed".into(),
            object: "tsa".into(),
            details: serde_json::json!({}),
        };
        store.put_tsa_unit(&unit, &audit).await.unwrap();
        let newer = TsaUnitRecord {
            cert_der: vec![4],
            ..unit.clone()
        };
        store.put_tsa_unit(&newer, &audit).await.unwrap();
        assert_eq!(store.tsa_unit("tsa").await.unwrap(), Some(newer));
        assert_eq!(store.audit_records().await.unwrap().len(), 2);
    }
}
