//! Errors of the registration engine. Messages are bilingual (English / Japanese); validation
//! errors keep each field's message in both languages for the forms.

use hpki_ra::Lang;
use hpki_ra::application::FieldError;
use hpki_ra::workflow::TransitionError;

/// Everything the registration engine can refuse or fail at.
#[derive(Debug, thiserror::Error)]
pub enum RegistrationError {
    /// Unknown login or wrong password (which of the two is not said).
    #[error("sign-in failed: wrong login ID or password / ログインIDまたはパスワードが違います")]
    LoginFailed,
    /// Too many failed sign-ins.
    #[error(
        "this account is locked after too many failed sign-ins; try again after {until} / ログインの失敗が続いたためロックされています（{until} 以降に再試行してください）"
    )]
    Locked {
        /// Until when (ISO 8601, UTC).
        until: String,
    },
    /// A password too short to be accepted.
    #[error(
        "the password must have at least {} characters / パスワードは{}文字以上にしてください",
        crate::auth::MIN_PASSWORD_CHARS,
        crate::auth::MIN_PASSWORD_CHARS
    )]
    WeakPassword,
    /// No valid session or token.
    #[error("please sign in / ログインしてください")]
    NotAuthenticated,
    /// The request's CSRF token does not match the session's.
    #[error(
        "the form expired or was not sent from this site; reload and try again / フォームの有効期限が切れたか、不正な送信です。再読み込みしてください"
    )]
    Csrf,
    /// Not visible to this officer (another office's application, or none at all).
    #[error("{en} not found / {ja}が見つかりません")]
    NotFound {
        /// What, in English.
        en: String,
        /// What, in Japanese.
        ja: String,
    },
    /// The officer's office or role does not allow this.
    #[error("{en} / {ja}")]
    Forbidden {
        /// English.
        en: String,
        /// Japanese.
        ja: String,
    },
    /// The form or the documents do not pass their rules; every problem is listed.
    #[error("{}", .0.iter().map(|e| format!("{}: {} / {}", e.field, e.message(Lang::En), e.message(Lang::Ja))).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<FieldError>),
    /// The workflow refuses the step.
    #[error(transparent)]
    Transition(#[from] TransitionError),
    /// Someone else changed the application since it was read.
    #[error(
        "the application was changed by someone else meanwhile; reload it / 他の担当者が申請を更新しました。再読み込みしてください"
    )]
    Conflict,
    /// Bad input outside the form (an unknown office, role, CSV column…).
    #[error("{0}")]
    BadInput(String),
    /// Storage failed.
    #[error("storage error: {0} / データベースの誤り: {0}")]
    Store(hpki_store::StoreError),
    /// The CA refused or failed (issuance).
    #[error(transparent)]
    Ca(#[from] hpki_ca::CaError),
    /// Anything else.
    #[error("internal error: {0} / 内部エラー: {0}")]
    Internal(String),
}

impl From<hpki_store::StoreError> for RegistrationError {
    fn from(e: hpki_store::StoreError) -> Self {
        match e {
            hpki_store::StoreError::Conflict(_) => RegistrationError::Conflict,
            other => RegistrationError::Store(other),
        }
    }
}

impl RegistrationError {
    /// Nothing of this name (English and Japanese) is visible to the officer.
    pub fn not_found(en: impl Into<String>, ja: impl Into<String>) -> Self {
        RegistrationError::NotFound {
            en: en.into(),
            ja: ja.into(),
        }
    }

    /// A refusal for lack of office or role.
    pub fn forbidden(en: impl Into<String>, ja: impl Into<String>) -> Self {
        RegistrationError::Forbidden {
            en: en.into(),
            ja: ja.into(),
        }
    }
}
