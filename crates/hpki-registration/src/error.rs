//! Errors of the registration engine, each with its [`Text`] in Japanese and English;
//! validation errors keep each field's message in both languages for the forms.

use hpki_ra::Lang;
use hpki_ra::application::FieldError;
use hpki_ra::workflow::TransitionError;
use hpki_text::{Localized, Text};

/// Everything the registration engine can refuse or fail at.
///
/// `Display` is English (logs); the officer reads [`Localized::text`], each language whole.
#[derive(Debug, thiserror::Error)]
pub enum RegistrationError {
    /// Unknown login or wrong password (which of the two is not said).
    #[error("sign-in failed: wrong login ID or password")]
    LoginFailed,
    /// Too many failed sign-ins.
    #[error("this account is locked after too many failed sign-ins; try again after {until}")]
    Locked {
        /// Until when (ISO 8601, UTC).
        until: String,
    },
    /// A password too short to be accepted.
    #[error(
        "the password must have at least {} characters",
        crate::auth::MIN_PASSWORD_CHARS
    )]
    WeakPassword,
    /// More sign-ins waiting for a password check than the pool takes.
    #[error("too many sign-ins at once; try again in a moment")]
    Busy,
    /// No valid session or token.
    #[error("please sign in")]
    NotAuthenticated,
    /// The request's CSRF token does not match the session's.
    #[error("the form expired or was not sent from this site; reload and try again")]
    Csrf,
    /// Not visible to this officer (another office's application, or none at all).
    #[error("{0} not found")]
    NotFound(Text),
    /// The officer's office or role does not allow this.
    #[error("{0}")]
    Forbidden(Text),
    /// The form or the documents do not pass their rules; every problem is listed.
    #[error("{}", .0.iter().map(|e| format!("{}: {}", e.field, e.message(Lang::En))).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<FieldError>),
    /// The workflow refuses the step.
    #[error(transparent)]
    Transition(#[from] TransitionError),
    /// Someone else changed the application since it was read.
    #[error("the application was changed by someone else meanwhile; reload it")]
    Conflict,
    /// Bad input outside the form (an unknown office, role, CSV column…).
    #[error("{0}")]
    BadInput(Text),
    /// The subscriber register stops the application: the doctor would hold two cards or two
    /// certificate sets, or (when `override_possible`) the HQ final reviewer must record a
    /// reason to go on.
    #[error("{}", register_text(findings, *override_possible).en)]
    Register {
        /// What the register says.
        findings: Vec<crate::RegisterFinding>,
        /// Whether the HQ final reviewer may go on with a reason.
        override_possible: bool,
    },
    /// Storage failed.
    #[error("storage error: {0}")]
    Store(hpki_store::StoreError),
    /// The CA refused or failed (issuance).
    #[error(transparent)]
    Ca(#[from] hpki_ca::CaError),
    /// Anything else: a fault of the program or of its environment, described for the
    /// operator's log (English).
    #[error("internal error: {0}")]
    Internal(String),
}

/// The register's refusal: what it found, and whether a reason lets the final reviewer go on.
fn register_text(findings: &[crate::RegisterFinding], override_possible: bool) -> Text {
    let lead = if override_possible {
        Text::new(
            "登録簿の確認事項があります。本部の最終審査者が理由を記入すれば続けられます",
            "the subscriber register has findings; the HQ final reviewer may go on by recording a reason",
        )
    } else {
        Text::new(
            "同じ医師に2枚目のカードまたは2組目の証明書を発行することになるため続けられません",
            "this would give the doctor a second card or a second certificate set",
        )
    };
    Text::join(findings.iter().map(Localized::text)).after(lead)
}

impl Localized for RegistrationError {
    fn text(&self) -> Text {
        match self {
            RegistrationError::LoginFailed => {
                Text::new("ログインIDまたはパスワードが違います", self.to_string())
            }
            RegistrationError::Locked { until } => Text::new(
                format!(
                    "ログインの失敗が続いたためロックされています（{until} 以降に再試行してください）"
                ),
                self.to_string(),
            ),
            RegistrationError::WeakPassword => Text::new(
                format!(
                    "パスワードは{}文字以上にしてください",
                    crate::auth::MIN_PASSWORD_CHARS
                ),
                self.to_string(),
            ),
            RegistrationError::Busy => Text::new(
                "ログインが混み合っています。しばらくしてから再試行してください",
                self.to_string(),
            ),
            RegistrationError::NotAuthenticated => {
                Text::new("ログインしてください", self.to_string())
            }
            RegistrationError::Csrf => Text::new(
                "フォームの有効期限が切れたか、不正な送信です。再読み込みしてください",
                self.to_string(),
            ),
            RegistrationError::NotFound(what) => Text::new(
                format!("{}が見つかりません", what.ja),
                format!("{} not found", what.en),
            ),
            RegistrationError::Forbidden(t) | RegistrationError::BadInput(t) => t.clone(),
            RegistrationError::Invalid(fields) => Text::join(fields.iter().map(|e| {
                Text::new(
                    format!("{}：{}", e.field, e.message(Lang::Ja)),
                    format!("{}: {}", e.field, e.message(Lang::En)),
                )
            })),
            RegistrationError::Transition(e) => e.text(),
            RegistrationError::Conflict => Text::new(
                "他の担当者が申請を更新しました。再読み込みしてください",
                self.to_string(),
            ),
            RegistrationError::Register {
                findings,
                override_possible,
            } => register_text(findings, *override_possible),
            RegistrationError::Store(e) => e
                .text()
                .after(Text::new("データベースの誤り", "storage error")),
            RegistrationError::Ca(e) => e.text(),
            RegistrationError::Internal(_) => Text::new(
                "内部エラーが発生しました（詳細は英語のメッセージと記録にあります）",
                self.to_string(),
            ),
        }
    }
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
    /// Nothing of this name (Japanese and English) is visible to the officer.
    pub fn not_found(ja: impl Into<String>, en: impl Into<String>) -> Self {
        RegistrationError::NotFound(Text::new(ja, en))
    }

    /// A refusal for lack of office or role.
    pub fn forbidden(ja: impl Into<String>, en: impl Into<String>) -> Self {
        RegistrationError::Forbidden(Text::new(ja, en))
    }

    /// Bad input outside the form.
    pub fn bad_input(ja: impl Into<String>, en: impl Into<String>) -> Self {
        RegistrationError::BadInput(Text::new(ja, en))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A storage error inside the engine reaches the officer in Japanese with no English and in
    /// English with no Japanese, each layer's words in its own language.
    #[test]
    fn a_nested_storage_error_is_whole_in_each_language() {
        let e =
            RegistrationError::from(hpki_store::StoreError::Database(sqlx::Error::PoolTimedOut));
        let t = e.text();
        assert!(t.ja.starts_with("データベースの誤り："), "{}", t.ja);
        assert!(!t.ja.chars().any(|c| c.is_ascii_alphabetic()), "{}", t.ja);
        assert_eq!(
            t.en,
            "storage error: database error: pool timed out while waiting for an open connection"
        );
        assert!(!hpki_text::has_japanese(&t.en));
        assert_eq!(t.en, e.to_string());
        // Through the CA engine (issuance) as well.
        let e = RegistrationError::Ca(hpki_ca::CaError::Store(hpki_store::StoreError::Database(
            sqlx::Error::PoolTimedOut,
        )));
        let t = e.text();
        assert!(!t.ja.chars().any(|c| c.is_ascii_alphabetic()), "{}", t.ja);
        assert!(!hpki_text::has_japanese(&t.en), "{}", t.en);
    }

    #[test]
    fn refusals_keep_both_languages() {
        let e = RegistrationError::not_found("申請 7 ", "application 7");
        assert_eq!(e.text().ja, "申請 7 が見つかりません");
        assert_eq!(e.to_string(), "application 7 not found");
        let e = RegistrationError::bad_input("操作 \"x\" は不明です", "unknown action \"x\"");
        assert_eq!(e.text().en, e.to_string());
    }
}
