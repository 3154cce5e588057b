//! Text helpers for the SVG: XML escaping, a width estimate, shrink-to-fit and line wrapping.
//!
//! The layout is computed without the font (so that [`crate::render_svg`] needs none): widths
//! come from [`width_em`], an estimate that is never smaller than the advance widths of the
//! fonts this crate is used with (IPAex Gothic, Noto Sans CJK JP), so text fitted with it does
//! not overflow its box, at the cost of shrinking slightly earlier than strictly needed. The
//! layout tests check the real glyph boxes with the real font.

use std::borrow::Cow;

/// Advance widths (in thousandths of an em) of the printable ASCII characters `' '..='~'`:
/// IPAex Gothic's, rounded up and raised where Noto Sans CJK JP is wider.
const ASCII_ADVANCE: [u16; 95] = [
    280, 310, 360, 650, 650, 880, 720, 220, 350, 350, 390, 700, 280, 380, 280,
    520, // ' '..'/'
    650, 650, 650, 650, 650, 650, 650, 650, 650, 650, 340, 340, 700, 700, 700,
    580, // '0'..'?'
    920, 680, 690, 760, 790, 630, 600, 780, 780, 310, 420, 690, 560, 930, 790,
    830, // '@'..'O'
    650, 830, 690, 620, 640, 780, 680, 960, 720, 660, 670, 330, 520, 330, 520,
    520, // 'P'..'_'
    520, 580, 650, 570, 650, 600, 360, 600, 640, 300, 300, 560, 300, 900, 640,
    630, // '`'..'o'
    650, 650, 400, 490, 390, 640, 540, 790, 520, 540, 500, 350, 230, 350, 520, // 'p'..'~'
];

/// Characters a line must not start with (行頭禁則): closing brackets and punctuation.
const NO_LINE_START: &str = "、。，．,.)）」』】〕〉》]｝}！？!?：:；;ー・…";
/// Characters a line must not end with (行末禁則): opening brackets.
const NO_LINE_END: &str = "(（「『【〔〈《[｛{";

/// Escapes `text` for XML character data and attribute values.
///
/// `& < > " '` become entities; tab, CR and LF become a space (every field is one line on the
/// card); other characters XML 1.0 does not allow (C0 controls, U+FFFE, U+FFFF) are dropped,
/// so that no user-supplied text can break or inject into the SVG.
pub fn escape_xml(text: &str) -> Cow<'_, str> {
    let needs = |c: char| {
        matches!(c, '&' | '<' | '>' | '"' | '\'' | '\u{FFFE}' | '\u{FFFF}') || c.is_control()
    };
    if !text.chars().any(needs) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(' '),
            '\u{FFFE}' | '\u{FFFF}' => {}
            // C1 controls are legal XML but meaningless on a card: drop them with the C0 ones.
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Estimated advance width of one character, in em.
fn char_em(c: char) -> f32 {
    match c {
        ' '..='~' => f32::from(ASCII_ADVANCE[(c as usize) - 0x20]) / 1000.0,
        // Zero-width and combining marks.
        '\u{0300}'..='\u{036F}' | '\u{200B}'..='\u{200F}' | '\u{3099}'..='\u{309A}' => 0.0,
        // Half-width katakana and forms.
        '\u{FF61}'..='\u{FF9F}' | '\u{FFE8}'..='\u{FFEE}' => 0.5,
        // Latin-1 and Latin Extended (romaji with macrons: Ō, ū): as wide as the widest Latin.
        '\u{00A0}'..='\u{024F}' => 0.93,
        c if c.is_control() => 0.0,
        // Everything else on the card is CJK, kana, full-width forms or symbols: one em.
        _ => 1.0,
    }
}

/// Estimated width of `text` set at 1 unit font size (so, in em).
pub fn width_em(text: &str) -> f32 {
    text.chars().map(char_em).sum()
}

/// A text fitted into a width: the text itself (possibly shortened with `…`) and its size.
#[derive(Debug, Clone, PartialEq)]
pub struct Fitted {
    /// What to print.
    pub text: String,
    /// The font size to print it at.
    pub size: f32,
}

/// Fits `text` into `max_width` (same unit as `size`): at `size` if it fits; otherwise shrunk
/// down to no less than `size * min_ratio`; if even that is too wide, cut at the end and
/// ended with `…` at the smallest size. The rule for long names on the card face.
pub fn fit(text: &str, size: f32, max_width: f32, min_ratio: f32) -> Fitted {
    fit_spaced(text, size, max_width, min_ratio, 0.0)
}

/// [`fit`] for text set with `letter_spacing` (same unit as `size`) added after each
/// character, as SVG's `letter-spacing` does.
pub fn fit_spaced(
    text: &str,
    size: f32,
    max_width: f32,
    min_ratio: f32,
    letter_spacing: f32,
) -> Fitted {
    // SVG adds the spacing after every character, whatever the font size.
    let spacing = letter_spacing * text.chars().count() as f32;
    let em = width_em(text);
    if em * size + spacing <= max_width {
        return Fitted {
            text: text.to_string(),
            size,
        };
    }
    let shrunk = (max_width - spacing) / em;
    let min_size = size * min_ratio;
    if shrunk >= min_size {
        return Fitted {
            text: text.to_string(),
            size: shrunk,
        };
    }
    let budget = max_width - (char_em('…') * min_size + letter_spacing);
    let mut kept = String::new();
    let mut used = 0.0;
    for c in text.chars() {
        let w = char_em(c) * min_size + letter_spacing;
        if used + w > budget {
            break;
        }
        used += w;
        kept.push(c);
    }
    let mut text = kept.trim_end().to_string();
    text.push('…');
    Fitted {
        text,
        size: min_size,
    }
}

/// Splits `text` into lines no wider than `max_em` em, for the notes on the back.
///
/// Japanese text may break between any two characters, except that a closing bracket or
/// punctuation mark never starts a line (it stays on the line before, hanging over the edge
/// by at most one character: ぶら下げ) and an opening bracket never ends one. Runs of ASCII
/// letters and digits are kept whole; spaces are break points and vanish at line ends.
/// An explicit `\n` starts a new line.
pub fn wrap(text: &str, max_em: f32) -> Vec<String> {
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        wrap_paragraph(paragraph, max_em, &mut lines);
    }
    lines
}

fn wrap_paragraph(text: &str, max_em: f32, lines: &mut Vec<String>) {
    // Tokens: an ASCII word (letters, digits and the punctuation inside numbers), or a single
    // other character. A space is its own token.
    let mut tokens: Vec<String> = Vec::new();
    for c in text.chars() {
        let wordish = c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | ',' | '/' | '+');
        match tokens.last_mut() {
            Some(last)
                if wordish
                    && last
                        .chars()
                        .last()
                        .is_some_and(|p| p.is_ascii_alphanumeric() || "-./+".contains(p)) =>
            {
                last.push(c)
            }
            _ => tokens.push(c.to_string()),
        }
    }

    let mut line = String::new();
    let mut used = 0.0;
    for token in tokens {
        let w = width_em(&token);
        let starts_forbidden = token
            .chars()
            .next()
            .is_some_and(|c| NO_LINE_START.contains(c));
        if used + w > max_em && !line.is_empty() && !starts_forbidden {
            // Move a trailing opening bracket to the new line with this token.
            let mut carry = String::new();
            while let Some(c) = line.chars().last() {
                if NO_LINE_END.contains(c) {
                    line.pop();
                    carry.insert(0, c);
                } else {
                    break;
                }
            }
            lines.push(line.trim_end().to_string());
            line = carry;
            used = width_em(&line);
        }
        if line.is_empty() && token == " " {
            continue;
        }
        used += w;
        line.push_str(&token);
    }
    let last = line.trim_end();
    if !last.is_empty() || lines.is_empty() {
        lines.push(last.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        assert_eq!(escape_xml("日医 太郎"), "日医 太郎");
        assert!(matches!(escape_xml("Taro Nichii"), Cow::Borrowed(_)));
        assert_eq!(
            escape_xml(r#"<b>&"x"'y'</b>"#),
            "&lt;b&gt;&amp;&quot;x&quot;&apos;y&apos;&lt;/b&gt;"
        );
        assert_eq!(escape_xml("a\tb\nc\rd"), "a b c d");
        assert_eq!(escape_xml("a\u{0}b\u{1b}c\u{FFFE}d\u{85}e"), "abcde");
        // An injection attempt stays text.
        assert_eq!(
            escape_xml("</text><script>alert(1)</script>"),
            "&lt;/text&gt;&lt;script&gt;alert(1)&lt;/script&gt;"
        );
    }

    #[test]
    fn widths() {
        assert_eq!(width_em("日医太郎"), 4.0);
        assert!((width_em("0123") - 2.6).abs() < 1e-6);
        assert_eq!(width_em("ｱｲ"), 1.0);
    }

    #[test]
    fn short_text_keeps_its_size() {
        let f = fit("日医 太郎", 3.6, 38.0, 0.55);
        assert_eq!(f.text, "日医 太郎");
        assert_eq!(f.size, 3.6);
    }

    #[test]
    fn long_text_shrinks() {
        // 14 em at 3.6 = 50.4 > 38: shrinks to 38 / 14.
        let name = "寿限無寿限無五劫の擦り切れ海";
        let f = fit(name, 3.6, 38.0, 0.55);
        assert_eq!(f.text, name);
        assert!((f.size - 38.0 / 14.0).abs() < 1e-4);
        assert!(width_em(&f.text) * f.size <= 38.0 + 1e-4);
    }

    #[test]
    fn very_long_text_is_cut_with_an_ellipsis() {
        let name = "寿限無寿限無五劫の擦り切れ海砂利水魚の水行末雲来末風来末食う寝る処に住む処";
        let f = fit(name, 3.6, 38.0, 0.55);
        assert!((f.size - 3.6 * 0.55).abs() < 1e-6);
        assert!(f.text.ends_with('…'));
        assert!(name.starts_with(f.text.trim_end_matches('…')));
        assert!(width_em(&f.text) * f.size <= 38.0 + 1e-4);
        // Latin names are cut the same way, never in the middle of the width budget.
        let romaji = "Jugemu Jugemu Gokono Surikire Kaijari Suigyono Suigyomatsu Unraimatsu";
        let f = fit(romaji, 2.0, 38.0, 0.65);
        assert!(f.text.ends_with('…') && !f.text.ends_with(" …"));
        assert!(width_em(&f.text) * f.size <= 38.0 + 1e-4);
    }

    #[test]
    fn letter_spacing_counts() {
        // 10 em at 2.0 = 20 fits 21 alone, but not with 0.2 after each of the 10 characters.
        let text = "一二三四五六七八九十";
        assert_eq!(fit(text, 2.0, 21.0, 0.5).size, 2.0);
        let f = fit_spaced(text, 2.0, 21.0, 0.5, 0.2);
        assert!((f.size - 1.9).abs() < 1e-4, "{f:?}");
        // A very long spaced text is cut, never emptied, and stays inside.
        let long = "医".repeat(300);
        let f = fit_spaced(&long, 3.5, 40.0, 0.55, 0.2);
        let drawn = width_em(&f.text) * f.size + 0.2 * f.text.chars().count() as f32;
        assert!(f.text.chars().count() > 10 && drawn <= 40.0 + 1e-3, "{f:?}");
    }

    #[test]
    fn wrapping_keeps_kinsoku() {
        let note = "このカードの記載事項に変更が生じた場合、また、有効期限が満了した場合、その取り扱いについて発行者の指示に従わなくてはなりません。";
        let lines = wrap(note, 20.0);
        assert_eq!(lines.concat(), note);
        for line in &lines {
            let first = line.chars().next().unwrap();
            assert!(!NO_LINE_START.contains(first), "{line}");
            // At most one hanging punctuation mark beyond the width.
            assert!(width_em(line) <= 21.0, "{line}");
        }
        // 「、」 at position 21 hangs on the first line instead of starting the second.
        let lines = wrap("あいうえおかきくけこさしすせそたちつてとな、にぬ", 21.0);
        assert_eq!(
            lines,
            ["あいうえおかきくけこさしすせそたちつてとな、", "にぬ"]
        );
        // An opening bracket moves to the next line.
        let lines = wrap("あいう(えお)", 4.0);
        assert_eq!(lines, ["あいう", "(えお)"]);
    }

    #[test]
    fn wrapping_keeps_ascii_words_and_explicit_breaks() {
        let lines = wrap("電話 03-3942-7050 まで", 7.0);
        assert!(
            lines.iter().any(|l| l.contains("03-3942-7050")),
            "{lines:?}"
        );
        assert_eq!(wrap("一行目\n二行目", 40.0), ["一行目", "二行目"]);
    }
}
