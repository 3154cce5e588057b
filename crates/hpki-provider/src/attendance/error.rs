//! Why an attendance request is refused.

use hpki_attendance::ledger::RowError;
use hpki_text::{Localized, Text};

/// An attendance request that did nothing.
#[derive(Debug, thiserror::Error)]
pub enum AttendanceError {
    /// The reader's token is unknown or revoked.
    #[error("unknown or revoked reader token")]
    UnknownReader,
    /// No such event.
    #[error("no event {0}")]
    NoEvent(i64),
    /// Bad input (a form, a tap, a file), said for the person who sent it.
    #[error("{}", .0.en)]
    BadInput(Text),
    /// A ledger file with bad rows: every one of them, nothing imported.
    #[error("the ledger has {} bad rows", .0.len())]
    Ledger(Vec<RowError>),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] hpki_store::StoreError),
}

impl From<crate::LoginError> for AttendanceError {
    fn from(e: crate::LoginError) -> AttendanceError {
        match e {
            crate::LoginError::Store(e) => AttendanceError::Store(e),
            other => AttendanceError::BadInput(other.text()),
        }
    }
}

impl AttendanceError {
    /// [`AttendanceError::BadInput`] in Japanese and English.
    pub fn bad_input(ja: impl Into<String>, en: impl Into<String>) -> AttendanceError {
        AttendanceError::BadInput(Text::new(ja, en))
    }
}

impl Localized for AttendanceError {
    fn text(&self) -> Text {
        match self {
            AttendanceError::UnknownReader => Text::new(
                "この読み取り機は登録されていないか、無効にされています",
                "this reader is not registered or has been revoked",
            ),
            AttendanceError::NoEvent(id) => Text::new(
                format!("研修会 {id} はありません"),
                format!("no event {id}"),
            ),
            AttendanceError::BadInput(t) => t.clone(),
            AttendanceError::Ledger(rows) => Text::join(rows.iter().map(|r| {
                r.problem.clone().after(Text::new(
                    format!("{}行目", r.line),
                    format!("line {}", r.line),
                ))
            }))
            .after(Text::new(
                "帳簿を取り込めません（何も取り込んでいません）",
                "the ledger was not imported (nothing was taken)",
            )),
            AttendanceError::Store(e) => e.text(),
        }
    }
}
