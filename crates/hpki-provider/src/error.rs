//! Why a card login fails.

use hpki_login::card::Refusal;
use hpki_text::{Localized, Text};

/// A card login that signs nobody in.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// The certificate failed a check of [`hpki_login::card`].
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// A valid HPKI certificate whose subscriber ID is not in this register: the doctor was
    /// not issued here (or the register was not carried over).
    #[error("subscriber {0} is not in the subscriber register")]
    NotRegistered(String),
    /// The CA is not set up for login (no authentication CA).
    #[error("card login is not available: {0}")]
    Unavailable(String),
    /// Bad input from the administrator.
    #[error("{}", .0.en)]
    BadInput(Text),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] hpki_store::StoreError),
    /// The CA engine failed (keys, files).
    #[error(transparent)]
    Ca(#[from] hpki_ca::CaError),
}

impl LoginError {
    /// [`LoginError::BadInput`] in Japanese and English.
    pub fn bad_input(ja: impl Into<String>, en: impl Into<String>) -> LoginError {
        LoginError::BadInput(Text::new(ja, en))
    }
}

impl Localized for LoginError {
    fn text(&self) -> Text {
        match self {
            LoginError::Refused(r) => r.text(),
            LoginError::NotRegistered(id) => Text::new(
                format!(
                    "利用者ID {id} は医師資格証の登録簿にありません。発行を受けた医師会にお問い合わせください。"
                ),
                format!(
                    "Subscriber ID {id} is not in the register of this certification authority. Ask the medical association that issued the card."
                ),
            ),
            LoginError::Unavailable(why) => Text::new(
                format!("カードによるログインは利用できません：{why}"),
                format!("Card login is not available: {why}"),
            ),
            LoginError::BadInput(t) => t.clone(),
            LoginError::Store(e) => e.text(),
            LoginError::Ca(e) => e.text(),
        }
    }
}
