//! The binary's edge: every error as words for the operator, Japanese first, then English.
//!
//! The libraries' errors say themselves through [`Localized`]; the binary's own refusals are
//! [`Failure`]s made with [`fail`] or [`Context::context_text`], each in both languages. What
//! [`describe`] prints for an error chain joins the binary's words with the first library error's
//! text (which already says its own causes), each language whole.

use std::error::Error as StdError;
use std::fmt;

use hpki_text::{Localized, Text};

/// A refusal of the binary itself, in both languages, with what caused it.
#[derive(Debug)]
pub struct Failure {
    text: Text,
    source: Option<anyhow::Error>,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text.en)
    }
}

impl StdError for Failure {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source
            .as_ref()
            .map(|e| -> &(dyn StdError + 'static) { e.as_ref() })
    }
}

/// A refusal in Japanese and English, as an error to return.
pub fn fail(ja: impl Into<String>, en: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(Failure {
        text: Text::new(ja, en),
        source: None,
    })
}

/// Words in both languages put before an error, as `anyhow::Context` does in one.
pub trait Context<T> {
    /// On error, says `text()` before it.
    fn context_text(self, text: impl FnOnce() -> Text) -> anyhow::Result<T>;
}

impl<T, E> Context<T> for Result<T, E>
where
    E: Into<anyhow::Error>,
{
    fn context_text(self, text: impl FnOnce() -> Text) -> anyhow::Result<T> {
        self.map_err(|e| {
            anyhow::Error::new(Failure {
                text: text(),
                source: Some(e.into()),
            })
        })
    }
}

impl<T> Context<T> for Option<T> {
    fn context_text(self, text: impl FnOnce() -> Text) -> anyhow::Result<T> {
        self.ok_or_else(|| {
            anyhow::Error::new(Failure {
                text: text(),
                source: None,
            })
        })
    }
}

/// The text of a library error that says itself, if `e` is one.
fn localized(e: &(dyn StdError + 'static)) -> Option<Text> {
    macro_rules! try_types {
        ($($t:ty),* $(,)?) => {
            $(if let Some(x) = e.downcast_ref::<$t>() {
                return Some(x.text());
            })*
        };
    }
    try_types!(
        hpki_ca::CaError,
        hpki_ca::custody::CustodyError,
        hpki_ca::sealed::SealError,
        hpki_store::StoreError,
        hpki_registration::RegistrationError,
        hpki_registration::import::ImportError,
        hpki_archive::ArchiveError,
        hpki_sign::SignError,
        hpki_verify::PathError,
        hpki_verify::signature::SignatureError,
        hpki_verify::ContentError,
        hpki_token::TokenError,
        hpki_keys::KeyError,
        hpki_profile::key::KeyError,
        hpki_profile::subject::SubjectError,
        hpki_profile::ProfileError,
        hpki_profile::roles::RoleTableError,
        hpki_cardface::CardFaceError,
        hpki_fetch::FetchError,
        hpki_ra::workflow::TransitionError,
        hpki_server::ServerError,
    );
    None
}

/// A text on one line of the terminal, where the binary writes both languages side by side
/// (`English / 日本語`, as its other lines); once when both are the same.
pub fn on_one_line(t: &Text) -> String {
    if t.ja == t.en {
        t.en.clone()
    } else {
        format!("{} / {}", t.en, t.ja)
    }
}

/// What went wrong, in both languages: the binary's words, then the first library error's
/// text (it says its own causes), or a system error by its kind, or another library's own
/// words (English; the Japanese says they are in the English message).
pub fn describe(e: &anyhow::Error) -> Text {
    let mut parts: Vec<Text> = Vec::new();
    for cause in e.chain() {
        if let Some(f) = cause.downcast_ref::<Failure>() {
            parts.push(f.text.clone());
        } else if let Some(t) = localized(cause) {
            parts.push(t);
            break;
        } else if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            parts.push(hpki_text::io_error(io));
            break;
        } else {
            // Another library's words: English only.
            parts.push(Text::new(
                "詳細は英語のメッセージにあります",
                cause.to_string(),
            ));
            break;
        }
    }
    let mut parts = parts.into_iter();
    let first = parts.next().unwrap_or_default();
    parts.fold(first, |acc, next| next.after(acc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nested_storage_error_reaches_the_operator_whole_in_each_language() {
        let store = hpki_store::StoreError::Database(sqlx::Error::PoolTimedOut);
        let ca = hpki_ca::CaError::Store(store);
        let e = Err::<(), _>(ca)
            .context_text(|| Text::new("証明書を発行できません", "cannot issue the certificate"))
            .err()
            .map(|e| describe(&e))
            .unwrap_or_default();
        assert!(e.ja.starts_with("証明書を発行できません："), "{}", e.ja);
        assert!(e.ja.contains("データベース"), "{}", e.ja);
        assert!(!e.ja.chars().any(|c| c.is_ascii_alphabetic()), "{}", e.ja);
        assert!(e.en.starts_with("cannot issue the certificate: storage error:"));
        assert!(!hpki_text::has_japanese(&e.en), "{}", e.en);
    }

    #[test]
    fn system_errors_by_kind_and_own_refusals() {
        let io = std::io::Error::from(std::io::ErrorKind::PermissionDenied);
        let e = Err::<(), _>(io)
            .context_text(|| Text::new("hpki.toml を読み込めません", "cannot read hpki.toml"))
            .err()
            .map(|e| describe(&e))
            .unwrap_or_default();
        assert_eq!(
            e.ja,
            "hpki.toml を読み込めません：アクセスが許可されていません"
        );
        let e = describe(&fail("暗証番号が一致しません", "the PINs differ"));
        assert_eq!(
            (e.ja.as_str(), e.en.as_str()),
            ("暗証番号が一致しません", "the PINs differ")
        );
    }
}
