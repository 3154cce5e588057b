//! The subscriber register: one record per doctor, keyed by 医籍登録番号 (see migration 5).
//!
//! The register is written by [`Store::change_application`] with
//! [`crate::ApplicationChange::subscriber`], in the transaction that records an issuance.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{ApplicationRecord, Store, StoreError};

/// A doctor in the register.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriberRecord {
    /// 医籍登録番号, normalised (ASCII, trimmed).
    pub license_number: String,
    /// The subscriber ID the doctor was first issued under, kept for life.
    pub subscriber_id: String,
    /// Name in kanji, as last issued.
    pub name_kanji: String,
    /// Birth date, `YYYY-MM-DD`.
    pub birth_date: String,
    /// The office of the last issuance's application.
    pub office_id: String,
    /// The application of the first issuance.
    pub first_application_id: i64,
    /// First issued, Unix seconds.
    pub registered_at: i64,
    /// Last issued, Unix seconds.
    pub updated_at: i64,
}

const COLUMNS: &str = "license_number, subscriber_id, name_kanji, birth_date, office_id,
     first_application_id, registered_at, updated_at";

fn subscriber_from_row(r: &AnyRow) -> Result<SubscriberRecord, StoreError> {
    Ok(SubscriberRecord {
        license_number: r.try_get(0)?,
        subscriber_id: r.try_get(1)?,
        name_kanji: r.try_get(2)?,
        birth_date: r.try_get(3)?,
        office_id: r.try_get(4)?,
        first_application_id: r.try_get(5)?,
        registered_at: r.try_get(6)?,
        updated_at: r.try_get(7)?,
    })
}

impl Store {
    /// The doctor of 医籍登録番号 `license_number` (normalised), if ever issued.
    pub async fn subscriber(
        &self,
        license_number: &str,
    ) -> Result<Option<SubscriberRecord>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM subscribers WHERE license_number = $1"
        )))
        .bind(license_number.to_owned())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(subscriber_from_row).transpose()
    }

    /// The doctor whose subscriber ID is `subscriber_id` (the subject serialNumber of their
    /// certificates), if in the register.
    pub async fn subscriber_by_id(
        &self,
        subscriber_id: &str,
    ) -> Result<Option<SubscriberRecord>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM subscribers WHERE subscriber_id = $1"
        )))
        .bind(subscriber_id.to_owned())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(subscriber_from_row).transpose()
    }

    /// Every application for 医籍登録番号 `license_number` (normalised), oldest first.
    pub async fn applications_with_license(
        &self,
        license_number: &str,
    ) -> Result<Vec<ApplicationRecord>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {} FROM applications WHERE license_number = $1 ORDER BY id",
            crate::ra::APP_COLUMNS
        )))
        .bind(license_number.to_owned())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(crate::ra::application_from_row).collect()
    }
}

/// Records `s` in the register inside `tx`: a new doctor, or the same doctor issued again (the
/// subscriber ID, the first application and the registration time are kept).
pub(crate) async fn upsert_in(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    s: &SubscriberRecord,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO subscribers (license_number, subscriber_id, name_kanji, birth_date,
             office_id, first_application_id, registered_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (license_number) DO UPDATE SET name_kanji = $3, birth_date = $4,
             office_id = $5, updated_at = $8",
    )
    .bind(s.license_number.clone())
    .bind(s.subscriber_id.clone())
    .bind(s.name_kanji.clone())
    .bind(s.birth_date.clone())
    .bind(s.office_id.clone())
    .bind(s.first_application_id)
    .bind(s.registered_at)
    .bind(s.updated_at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
