//! The attendance list of an event as the offices take it away: CSV (UTF-8 with BOM, so that
//! spreadsheets in Japanese read it) and Excel (.xlsx: the attendance with numbers as numbers,
//! and the reconciliation's four lists on a second sheet).

use hpki_text::Text;
use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};

use super::AttendanceError;
use super::report::EventReport;

/// The header of the attendance list: the doctor, the stays, the units of each talk, the total.
fn header(report: &EventReport) -> Vec<String> {
    let mut header = vec![
        "利用者ID".to_string(),
        "氏名".into(),
        "会員ID".into(),
        "医籍登録番号".into(),
        "カードID".into(),
        "入場".into(),
        "退出".into(),
    ];
    for t in &report.event.talks {
        header.push(format!("講演{} 単位", t.talk_no));
    }
    header.extend(["合計単位".to_string(), "注意".into()]);
    header
}

/// The fixed columns of one doctor's row (before the units).
fn doctor_columns(a: &super::report::AttendeeRow) -> [String; 7] {
    let time = |t: Option<i64>| t.map_or_else(String::new, hpki_clock::jst::rfc3339_unix);
    [
        a.subscriber_id.clone(),
        a.name.clone(),
        a.member_id.clone().unwrap_or_default(),
        a.license_no.clone(),
        a.card_ids.join(" "),
        a.stays
            .iter()
            .map(|s| time(Some(s.entry)))
            .collect::<Vec<_>>()
            .join(" "),
        a.stays
            .iter()
            .map(|s| time(s.exit))
            .collect::<Vec<_>>()
            .join(" "),
    ]
}

/// The attendance list as CSV (UTF-8 with BOM, so spreadsheets in Japanese read it): one row
/// per doctor, with entry and exit of each stay and the units of each talk.
pub fn attendance_csv(report: &EventReport) -> String {
    let mut w = csv::Writer::from_writer(vec![0xEF, 0xBB, 0xBF]);
    let _ = w.write_record(header(report));
    for a in &report.attendees {
        let mut row = doctor_columns(a).to_vec();
        row.extend(a.talks.iter().map(|c| c.units.to_string()));
        row.extend([a.units.to_string(), a.flags.join(" ")]);
        let _ = w.write_record(&row);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// The attendance list and the reconciliation as an Excel workbook.
pub fn attendance_xlsx(report: &EventReport) -> Result<Vec<u8>, AttendanceError> {
    build_xlsx(report).map_err(|e| {
        AttendanceError::BadInput(Text::new(
            format!("Excel ファイルを作れません{}", hpki_text::DETAIL_IN_ENGLISH),
            format!("the Excel file could not be made: {e}"),
        ))
    })
}

fn build_xlsx(report: &EventReport) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let sheet: &mut Worksheet = book.add_worksheet();
    sheet.set_name("出席者")?;
    for (c, h) in header(report).iter().enumerate() {
        sheet.write_string_with_format(0, col(c), h, &bold)?;
    }
    for (r, a) in report.attendees.iter().enumerate() {
        let row = u32::try_from(r + 1).unwrap_or(u32::MAX);
        let fixed = doctor_columns(a);
        for (c, v) in fixed.iter().enumerate() {
            sheet.write_string(row, col(c), v)?;
        }
        for (i, t) in a.talks.iter().enumerate() {
            sheet.write_number(
                row,
                col(fixed.len() + i),
                f64::from(t.units.as_halves()) / 2.0,
            )?;
        }
        let after = fixed.len() + a.talks.len();
        sheet.write_number(row, col(after), f64::from(a.units.as_halves()) / 2.0)?;
        sheet.write_string(row, col(after + 1), a.flags.join(" "))?;
    }
    sheet.set_column_width(1, 16)?;
    let sheet = book.add_worksheet();
    sheet.set_name("突合")?;
    for (c, h) in ["区分", "帳簿の行", "氏名", "会員ID", "医籍登録番号"]
        .iter()
        .enumerate()
    {
        sheet.write_string_with_format(0, col(c), *h, &bold)?;
    }
    let rec = &report.reconciliation;
    let mut lines: Vec<ReconciledLine> = Vec::new();
    for (l, a) in &rec.matched {
        lines.push((
            "申込あり・出席",
            Some(l.line),
            l.name.clone(),
            a.member_id.clone(),
            a.license_no.clone(),
        ));
    }
    for l in &rec.absent {
        lines.push((
            "申込あり・欠席",
            Some(l.line),
            l.name.clone(),
            l.member_id.clone(),
            l.license_no.clone(),
        ));
    }
    for a in &rec.unregistered {
        lines.push((
            "申込なし・出席",
            None,
            a.name.clone(),
            a.member_id.clone(),
            a.license_no.clone(),
        ));
    }
    for (l, a) in &rec.incomplete {
        lines.push((
            "退出の記録なし",
            l.as_ref().map(|l| l.line),
            a.name.clone(),
            a.member_id.clone(),
            a.license_no.clone(),
        ));
    }
    for (r, (what, line, name, member, license)) in lines.into_iter().enumerate() {
        let row = u32::try_from(r + 1).unwrap_or(u32::MAX);
        sheet.write_string(row, 0, what)?;
        if let Some(line) = line {
            sheet.write_number(row, 1, line as f64)?;
        }
        sheet.write_string(row, 2, name)?;
        sheet.write_string(row, 3, member.unwrap_or_default())?;
        sheet.write_string(row, 4, license.unwrap_or_default())?;
    }
    sheet.set_column_width(0, 18)?;
    book.save_to_buffer()
}

/// A line of the reconciliation sheet: the list, the ledger's line, name, member ID, licence.
type ReconciledLine = (
    &'static str,
    Option<u64>,
    String,
    Option<String>,
    Option<String>,
);

fn col(c: usize) -> u16 {
    u16::try_from(c).unwrap_or(u16::MAX)
}
