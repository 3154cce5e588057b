//! The organiser's ledger (帳簿): the participants registered for an event, as the association
//! keeps them, imported as CSV for reconciliation (突合).
//!
//! Layout: a header row, then one participant per row. Columns are found by their header, in
//! any order; others are ignored:
//!
//! | header | content | |
//! |---|---|---|
//! | `会員ID` or `member_id` | 日医会員ID (10 digits) | one of these two |
//! | `医籍登録番号` or `license_no` | 医籍登録番号 (digits) | |
//! | `氏名` or `name` | the name | required |
//!
//! The file is UTF-8 (with or without BOM) or, as spreadsheets in Japanese offices save it,
//! Shift_JIS. Every bad row is reported with its line; nothing is taken from a file with one.

use hpki_text::Text;

/// At most this many rows (a national congress is a few thousand).
pub const MAX_ROWS: usize = 100_000;

/// One registered participant.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LedgerRow {
    /// The line in the file (the header is line 1).
    pub line: u64,
    /// 日医会員ID.
    pub member_id: Option<String>,
    /// 医籍登録番号.
    pub license_no: Option<String>,
    /// 氏名.
    pub name: String,
}

/// A row that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RowError {
    /// The line in the file (0: the file as a whole).
    pub line: u64,
    /// What is wrong.
    pub problem: Text,
}

/// The text of `bytes`: UTF-8 (a BOM dropped) or else Shift_JIS; neither is an error.
pub fn decode(bytes: &[u8]) -> Result<String, RowError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Ok(s.to_string());
    }
    let (text, had_errors) = encoding_rs::SHIFT_JIS.decode_without_bom_handling(bytes);
    if had_errors {
        return Err(RowError {
            line: 0,
            problem: Text::new(
                "文字コードを読み取れません（UTF-8 または Shift_JIS で保存してください）",
                "the file is neither UTF-8 nor Shift_JIS",
            ),
        });
    }
    Ok(text.into_owned())
}

/// The rows of a ledger file, or every problem found in it.
pub fn parse(bytes: &[u8]) -> Result<Vec<LedgerRow>, Vec<RowError>> {
    let text = decode(bytes).map_err(|e| vec![e])?;
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let whole = |problem: Text| vec![RowError { line: 1, problem }];
    let headers = reader
        .headers()
        .map_err(|e| whole(Text::new("見出し行を読み取れません", e.to_string())))?
        .clone();
    let find = |names: &[&str]| headers.iter().position(|h| names.contains(&h.trim()));
    let member = find(&["会員ID", "member_id"]);
    let license = find(&["医籍登録番号", "license_no"]);
    let name = find(&["氏名", "name"]).ok_or_else(|| {
        whole(Text::new(
            "見出し行に「氏名」(name) の列がありません",
            "the header has no 氏名 (name) column",
        ))
    })?;
    if member.is_none() && license.is_none() {
        return Err(whole(Text::new(
            "見出し行に「会員ID」(member_id) も「医籍登録番号」(license_no) もありません",
            "the header has neither 会員ID (member_id) nor 医籍登録番号 (license_no)",
        )));
    }
    // The line a record starts on, from its byte offset (the csv crate's own line count and
    // offsets include the blank lines it skipped before the record).
    let line_at = |byte: u64| {
        let bytes = text.as_bytes();
        let mut end = usize::try_from(byte).unwrap_or(usize::MAX).min(bytes.len());
        while end < bytes.len() && matches!(bytes[end], b'\n' | b'\r') {
            end += 1;
        }
        bytes[..end].iter().filter(|&&b| b == b'\n').count() as u64 + 1
    };
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| line_at(p.byte()));
                errors.push(RowError {
                    line,
                    problem: Text::new("CSV として読み取れません", e.to_string()),
                });
                continue;
            }
        };
        let line = record.position().map_or(0, |p| line_at(p.byte()));
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        if rows.len() >= MAX_ROWS {
            errors.push(RowError {
                line,
                problem: Text::new(
                    format!("行が多すぎます（上限 {MAX_ROWS} 行）"),
                    format!("more than {MAX_ROWS} rows"),
                ),
            });
            break;
        }
        let field = |i: Option<usize>| {
            i.and_then(|i| record.get(i))
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        let row = LedgerRow {
            line,
            member_id: field(member),
            license_no: field(license),
            name: field(Some(name)).unwrap_or_default(),
        };
        let mut problems = Vec::new();
        if row.name.is_empty() {
            problems.push(Text::new("氏名が空です", "the name is empty"));
        }
        match &row.member_id {
            Some(m) if m.len() != 10 || !m.bytes().all(|b| b.is_ascii_digit()) => {
                problems.push(Text::new(
                    format!("会員ID {m:?} は10桁の数字ではありません"),
                    format!("member ID {m:?} is not 10 digits"),
                ))
            }
            _ => {}
        }
        match &row.license_no {
            Some(l) if l.is_empty() || l.len() > 10 || !l.bytes().all(|b| b.is_ascii_digit()) => {
                problems.push(Text::new(
                    format!("医籍登録番号 {l:?} は数字ではありません"),
                    format!("licence number {l:?} is not a number"),
                ))
            }
            _ => {}
        }
        if row.member_id.is_none() && row.license_no.is_none() {
            problems.push(Text::new(
                "会員ID も医籍登録番号もありません",
                "neither a member ID nor a licence number",
            ));
        }
        if problems.is_empty() {
            rows.push(row);
        } else {
            errors.push(RowError {
                line,
                problem: Text::join(problems),
            });
        }
    }
    if errors.is_empty() {
        Ok(rows)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_utf8_ledger_with_bom_and_columns_in_any_order_is_read() {
        let csv =
            "\u{FEFF}氏名,備考,会員ID\n日医 太郎,,1234567890\n\n日医 花子,遅刻予定,2345678901\n";
        let rows = parse(csv.as_bytes()).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(
            (
                rows[1].line,
                rows[1].member_id.as_deref(),
                rows[1].name.as_str()
            ),
            (4, Some("2345678901"), "日医 花子")
        );
    }

    #[test]
    fn a_shift_jis_ledger_is_read() {
        let text = "医籍登録番号,氏名\n123456,日医 太郎\n";
        let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode(text);
        let rows = parse(&sjis).unwrap();
        assert_eq!(
            (rows[0].license_no.as_deref(), rows[0].name.as_str()),
            (Some("123456"), "日医 太郎")
        );
    }

    #[test]
    fn every_bad_row_is_reported_and_nothing_is_taken() {
        let csv = "会員ID,氏名\n1234567890,日医 太郎\n12345,日医 花子\n2345678901,\n,名無し\n";
        let errors = parse(csv.as_bytes()).unwrap_err();
        assert_eq!(
            errors.iter().map(|e| e.line).collect::<Vec<_>>(),
            vec![3, 4, 5]
        );
        assert!(errors[0].problem.ja.contains("10桁"), "{:?}", errors[0]);
    }

    #[test]
    fn a_file_without_the_needed_columns_or_in_another_encoding_is_refused() {
        assert_eq!(
            parse("会員ID,所属\n1234567890,x\n".as_bytes()).unwrap_err()[0].line,
            1
        );
        assert!(
            parse("氏名\nx\n".as_bytes()).unwrap_err()[0]
                .problem
                .en
                .contains("neither")
        );
        // Bytes that are valid in neither encoding.
        assert_eq!(parse(b"\xff\xff\xff").unwrap_err()[0].line, 0);
    }
}
