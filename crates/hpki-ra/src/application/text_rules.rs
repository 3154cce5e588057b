//! How the form's text is read: names joined, the characters each field allows, and what
//! people type folded to one form (full-width digits, half-width kana, dashes, spaces).

pub(super) fn join_name(first: &str, second: &str, sep: &str) -> String {
    match (first.is_empty(), second.is_empty()) {
        (false, false) => format!("{first}{sep}{second}"),
        (false, true) => first.to_string(),
        (true, _) => second.to_string(),
    }
}

pub(super) fn is_romaji_char(c: char) -> bool {
    c.is_ascii_alphabetic() || " -'.".contains(c)
}

pub(super) fn is_printable_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || " '()+,-./:=?".contains(c)
}

/// Full-width katakana (ァ–ヺ), the long vowel mark ー, the middle dot ・ and spaces.
pub(super) fn is_katakana_char(c: char) -> bool {
    matches!(c, '\u{30A1}'..='\u{30FA}' | 'ー' | '・' | '\u{3000}' | ' ')
}

pub(super) fn is_member_id(s: &str) -> bool {
    s.len() == 10 && s.bytes().all(|b| b.is_ascii_digit())
}

pub(super) fn is_phone(s: &str) -> bool {
    let digits = s.bytes().filter(u8::is_ascii_digit).count();
    s.bytes().all(|b| b.is_ascii_digit() || b == b'-') && (10..=11).contains(&digits)
}

/// A sanity check, not RFC 5322: one `@`, a non-empty local part, a dotted domain, no spaces.
pub(super) fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    s.len() <= 254
        && s.is_ascii()
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
        && !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
}

/// Full-width ASCII (U+FF01–U+FF5E) to ASCII, the ideographic space to a space.
pub(super) fn to_ascii_width(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            c => c,
        })
        .collect()
}

/// The dashes people type in numbers (ー, ‐, −, …) to `-`.
pub(super) fn normalize_hyphens(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            'ー' | '‐' | '‑' | '‒' | '–' | '—' | '―' | '−' | 'ｰ' => '-',
            c => c,
        })
        .collect()
}

/// Trims and collapses runs of whitespace to the first whitespace character of the run.
pub(super) fn collapse_spaces(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_space = false;
    for c in s.trim().chars() {
        if c.is_whitespace() {
            if !in_space {
                out.push(c);
            }
            in_space = true;
        } else {
            out.push(c);
            in_space = false;
        }
    }
    out
}

/// Half-width katakana ｦ–ﾝ (U+FF66–U+FF9D) as full-width, in code point order.
pub(super) const HALF_KATAKANA: &str = "ヲァィゥェォャュョッーアイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワン";

/// フリガナ: half-width katakana to full-width (with ﾞ ﾟ combined), spaces as U+3000, trimmed
/// and collapsed.
pub(super) fn normalize_kana(s: &str) -> String {
    let mut out: Vec<char> = Vec::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\u{FF66}'..='\u{FF9D}' => {
                let i = (c as u32 - 0xFF66) as usize;
                out.push(HALF_KATAKANA.chars().nth(i).unwrap_or(c));
            }
            '\u{FF65}' => out.push('・'),
            '\u{FF9E}' | '\u{FF9F}' => {
                let voiced = c == '\u{FF9E}';
                let combined = out.last().and_then(|&p| combine_mark(p, voiced));
                match combined {
                    Some(v) => {
                        out.pop();
                        out.push(v);
                    }
                    None => out.push(if voiced { '゛' } else { '゜' }),
                }
            }
            ' ' => out.push('\u{3000}'),
            c => out.push(c),
        }
    }
    collapse_spaces(&out.into_iter().collect::<String>())
}

/// カ + ﾞ → ガ, ハ + ﾟ → パ, ウ + ﾞ → ヴ, ワ + ﾞ → ヷ, ヲ + ﾞ → ヺ.
pub(super) fn combine_mark(base: char, voiced: bool) -> Option<char> {
    let offset = if voiced {
        match base {
            'ウ' => return Some('ヴ'),
            'ワ' => return Some('ヷ'),
            'ヲ' => return Some('ヺ'),
            _ if "カキクケコサシスセソタチツテトハヒフヘホ".contains(base) => 1,
            _ => return None,
        }
    } else if "ハヒフヘホ".contains(base) {
        2
    } else {
        return None;
    };
    char::from_u32(base as u32 + offset)
}
