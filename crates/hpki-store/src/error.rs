//! Everything that can go wrong in the store, said in Japanese and English.

use hpki_text::{Localized, Text};

/// Everything that can go wrong in the store.
///
/// `Display` is English (logs); a person reads [`Localized::text`], Japanese or English, each
/// whole.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database URL is not one the store understands; holds the scheme given.
    #[error("unsupported database URL (expected sqlite: or postgres://): scheme {0:?}")]
    UnsupportedUrl(String),
    /// An argument was malformed (a serial that is not hex, an unknown revocation reason...).
    #[error("invalid input: {0}")]
    InvalidInput(Text),
    /// The row already exists where the store must not overwrite it (a certificate for a serial
    /// already issued, a CRL number already recorded), or it changed meanwhile.
    #[error("{0}")]
    Conflict(Text),
    /// The public key was certified before (by any CA of this store): a key is certified for
    /// one certificate only, ever.
    #[error(
        "this public key was certified before (certificate {serial_hex} of CA {ca}); a key is certified once only: generate a new key pair"
    )]
    KeyCertified {
        /// The CA of the earlier certificate.
        ca: String,
        /// Its serial, hex.
        serial_hex: String,
    },
    /// The database holds something this build cannot accept (a missing audit head, a changed
    /// migration, a value out of range).
    #[error("inconsistent database: {0}")]
    Corrupt(Text),
    /// The database is at an older schema version than this build: it must be migrated
    /// (`hpki migrate`) before use; nothing was changed.
    #[error(
        "the database is at schema version {database}, this build needs {build}: back it up and run `hpki migrate`; nothing was changed"
    )]
    SchemaBehind {
        /// The version the database is at.
        database: i64,
        /// The version this build needs.
        build: i64,
    },
    /// The database was written by a newer build; this one refuses it untouched.
    #[error(
        "the database is at schema version {database}, newer than this build's {build}: use a newer hpki; nothing was changed"
    )]
    SchemaAhead {
        /// The version the database is at.
        database: i64,
        /// The newest version this build knows.
        build: i64,
    },
    /// The database driver reported an error.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

impl StoreError {
    /// [`StoreError::InvalidInput`] in Japanese and English.
    pub fn invalid(ja: impl Into<String>, en: impl Into<String>) -> StoreError {
        StoreError::InvalidInput(Text::new(ja, en))
    }

    /// [`StoreError::Conflict`] in Japanese and English.
    pub fn conflict(ja: impl Into<String>, en: impl Into<String>) -> StoreError {
        StoreError::Conflict(Text::new(ja, en))
    }

    /// [`StoreError::Corrupt`] in Japanese and English.
    pub fn corrupt(ja: impl Into<String>, en: impl Into<String>) -> StoreError {
        StoreError::Corrupt(Text::new(ja, en))
    }
}

impl Localized for StoreError {
    fn text(&self) -> Text {
        match self {
            StoreError::UnsupportedUrl(scheme) => Text::new(
                format!(
                    "対応していないデータベースURLです（sqlite: または postgres:// を指定してください）：{scheme:?}"
                ),
                self.to_string(),
            ),
            StoreError::InvalidInput(t) => t
                .clone()
                .after(Text::new("入力が不正です", "invalid input")),
            StoreError::Conflict(t) => t.clone(),
            StoreError::KeyCertified { ca, serial_hex } => Text::new(
                format!(
                    "この公開鍵は既に証明されています（認証局 {ca} の証明書 {serial_hex}）。鍵は一度しか証明しません。新しい鍵ペアを生成してください"
                ),
                self.to_string(),
            ),
            StoreError::Corrupt(t) => t.clone().after(Text::new(
                "データベースの内容が不整合です",
                "inconsistent database",
            )),
            StoreError::SchemaBehind { database, build } => Text::new(
                format!(
                    "データベースのスキーマは版 {database} で、このプログラムには版 {build} が必要です。バックアップの上 `hpki migrate` を実行してください（何も変更していません）"
                ),
                self.to_string(),
            ),
            StoreError::SchemaAhead { database, build } => Text::new(
                format!(
                    "データベースのスキーマ（版 {database}）はこのプログラム（版 {build}）より新しいため使えません。新しい hpki を使ってください（何も変更していません）"
                ),
                self.to_string(),
            ),
            // The driver speaks English only: its words stay in the English text.
            StoreError::Database(_) => Text::new(
                "データベースでエラーが発生しました（詳細は英語のメッセージにあります）",
                self.to_string(),
            ),
        }
    }
}
