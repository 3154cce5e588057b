//! Words for people, in Japanese and English.
//!
//! hpki speaks Japanese first and English on request. Every message that reaches a person (an
//! error, a line of a verification report, a page) is a [`Text`] holding both, written whole in
//! each language: never one string joined with `" / "` and split again, which breaks as soon as
//! one message is put inside another. An error type implements [`Localized`] and builds its
//! text from the texts of the errors it wraps, so `storage error: database error` arrives in
//! Japanese as Japanese all the way down.
//!
//! `Display` of an error stays English (logs, `anyhow` chains at the binary's edge); a person's
//! screen, the API's `message_ja` / `message_en` and the reports take [`Text::get`] in the
//! reader's [`Lang`].
//!
//! | item | what |
//! |---|---|
//! | [`Lang`] | the reader's language: 日本語 (default) or English |
//! | [`Text`] | one message in both |
//! | [`Localized`] | anything that can say itself as a [`Text`] |
#![forbid(unsafe_code)]

use std::fmt;

/// The language a message, a report or a picture is written in: Japanese first, English
/// available.
#[derive(
    Clone, Copy, Debug, Default, Eq, PartialEq, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// 日本語 (the default).
    #[default]
    Ja,
    /// English.
    En,
}

impl Lang {
    /// `ja` or `en` (also `jp`, `japanese`, `english`; any case); anything else: `None`.
    pub fn parse(s: &str) -> Option<Lang> {
        match s.trim().to_ascii_lowercase().as_str() {
            "ja" | "jp" | "japanese" => Some(Lang::Ja),
            "en" | "english" => Some(Lang::En),
            _ => None,
        }
    }

    /// The other language.
    pub fn other(self) -> Lang {
        match self {
            Lang::Ja => Lang::En,
            Lang::En => Lang::Ja,
        }
    }

    /// `ja` / `en` (BCP 47).
    pub fn code(self) -> &'static str {
        match self {
            Lang::Ja => "ja",
            Lang::En => "en",
        }
    }

    /// `ja` or `en` of a pair, by this language.
    pub fn pick<'a>(self, ja: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Ja => ja,
            Lang::En => en,
        }
    }
}

/// One message in Japanese and English, each written whole.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Text {
    /// 日本語.
    pub ja: String,
    /// English.
    pub en: String,
}

impl Text {
    /// A text from its Japanese and English versions (Japanese first, as everywhere in hpki).
    pub fn new(ja: impl Into<String>, en: impl Into<String>) -> Text {
        Text {
            ja: ja.into(),
            en: en.into(),
        }
    }

    /// The same words in both languages: a name, a number, an identifier.
    pub fn same(s: impl Into<String>) -> Text {
        let s = s.into();
        Text {
            ja: s.clone(),
            en: s,
        }
    }

    /// The text in `lang`.
    pub fn get(&self, lang: Lang) -> &str {
        lang.pick(&self.ja, &self.en)
    }

    /// This text after `lead`, each language with its own separator (`: ` / `：`), as in
    /// "storage error: …" / "データベースの誤り：…".
    pub fn after(self, lead: Text) -> Text {
        Text {
            ja: format!("{}：{}", lead.ja, self.ja),
            en: format!("{}: {}", lead.en, self.en),
        }
    }

    /// Several texts as one, each language joined with its own separator (`; ` / `、`).
    pub fn join(texts: impl IntoIterator<Item = Text>) -> Text {
        let (ja, en): (Vec<String>, Vec<String>) = texts.into_iter().map(|t| (t.ja, t.en)).unzip();
        Text {
            ja: ja.join("、"),
            en: en.join("; "),
        }
    }
}

/// English, for logs and error chains; a person's screen takes [`Text::get`].
impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.en)
    }
}

/// Said in Japanese after a message whose details come from a library that speaks English only
/// (a database driver, a DER decoder): the English text carries them.
pub const DETAIL_IN_ENGLISH: &str = "（詳細は英語のメッセージにあります）";

/// What an I/O error means for the person at the screen, by its kind ("ファイルがありません",
/// "アクセスが許可されていません" …); the English text is the system's own message.
pub fn io_error(e: &std::io::Error) -> Text {
    use std::io::ErrorKind as K;
    let ja = match e.kind() {
        K::NotFound => "ファイルまたはディレクトリがありません",
        K::PermissionDenied => "アクセスが許可されていません",
        K::AlreadyExists => "既に存在します",
        K::ConnectionRefused => "接続を拒否されました",
        K::ConnectionReset | K::ConnectionAborted => "接続が切断されました",
        K::AddrInUse => "アドレスは使用中です",
        K::AddrNotAvailable => "このアドレスは使えません",
        K::TimedOut => "時間切れです",
        K::InvalidData | K::InvalidInput => "データが不正です",
        K::UnexpectedEof => "データが途中で終わっています",
        K::StorageFull => "ディスクの空きがありません",
        K::ReadOnlyFilesystem => "読み取り専用のファイルシステムです",
        K::IsADirectory => "ディレクトリです",
        K::NotADirectory => "ディレクトリではありません",
        K::DirectoryNotEmpty => "ディレクトリが空ではありません",
        _ => "入出力エラーが発生しました",
    };
    Text::new(ja, e.to_string())
}

/// Whether `s` holds Japanese script (kana, kanji, or the full-width and ideographic punctuation
/// that only Japanese text uses here): what an English message must never contain.
pub fn has_japanese(s: &str) -> bool {
    s.chars().any(|c| {
        matches!(c,
            '\u{3000}'..='\u{303F}'   // CJK symbols and punctuation (、。「」)
            | '\u{3040}'..='\u{30FF}' // hiragana, katakana
            | '\u{3400}'..='\u{4DBF}' // CJK extension A
            | '\u{4E00}'..='\u{9FFF}' // CJK unified ideographs
            | '\u{F900}'..='\u{FAFF}' // CJK compatibility ideographs
            | '\u{FF00}'..='\u{FFEF}' // full-width forms (：（）)
        )
    })
}

/// Something that can say itself to a person in both languages: every error hpki shows and every
/// line of its reports.
pub trait Localized {
    /// The message in Japanese and English.
    fn text(&self) -> Text;
}

impl Localized for Text {
    fn text(&self) -> Text {
        self.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn japanese_first_english_on_request() {
        assert_eq!(Lang::default(), Lang::Ja);
        let t = Text::new("証明書は失効しています", "the certificate is revoked");
        assert_eq!(t.get(Lang::Ja), "証明書は失効しています");
        assert_eq!(t.get(Lang::En), "the certificate is revoked");
        assert_eq!(t.to_string(), "the certificate is revoked");
    }

    #[test]
    fn nesting_keeps_each_language_whole() {
        let inner = Text::new(
            "データベースでエラーが発生しました",
            "database error: disk I/O",
        );
        let t = inner.after(Text::new("データベースの誤り", "storage error"));
        assert_eq!(
            t.ja,
            "データベースの誤り：データベースでエラーが発生しました"
        );
        assert_eq!(t.en, "storage error: database error: disk I/O");
        let both = Text::join([Text::new("一", "one"), Text::new("二", "two")]);
        assert_eq!((both.ja.as_str(), both.en.as_str()), ("一、二", "one; two"));
    }

    #[test]
    fn io_errors_speak_japanese_by_kind() {
        let e = std::io::Error::from(std::io::ErrorKind::NotFound);
        let t = io_error(&e);
        assert_eq!(t.ja, "ファイルまたはディレクトリがありません");
        assert_eq!(t.en, e.to_string());
    }

    #[test]
    fn japanese_script_is_recognised() {
        assert!(has_japanese("署名"));
        assert!(has_japanese("カード"));
        assert!(has_japanese("a：b"));
        assert!(!has_japanese(
            "storage error: database error (os error 2) — “x”"
        ));
    }

    #[test]
    fn lang_codes() {
        for (s, l) in [("ja", Lang::Ja), ("JP", Lang::Ja), (" english ", Lang::En)] {
            assert_eq!(Lang::parse(s), Some(l));
        }
        assert_eq!(Lang::parse("fr"), None);
        assert_eq!(Lang::Ja.other().code(), "en");
        assert_eq!(
            serde_json::to_string(&Lang::En).ok().as_deref(),
            Some("\"en\"")
        );
    }
}
