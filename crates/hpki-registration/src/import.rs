//! Bulk import of applications from CSV (issue "Registration", item 8), as a reception office
//! batch-enters the 発行申請書 it received on paper.
//!
//! The format is documented in `docs/import.md`: UTF-8 (a byte order mark is allowed), a header
//! row naming the columns, one application per row. The columns are the JSON fields of
//! [`ApplicationForm`], flattened (`address_postal_code`, `workplace_address_city`, …), and the
//! reception checklist [`DocumentChecklist`] ([`FORM_COLUMNS`], [`DOCUMENT_COLUMNS`]); any
//! subset in any order, a missing column is a blank field. Choices are their snake_case serde
//! names (`member`, `non_member`, `passport`, …), dates as [`hpki_ra::application::parse_date`]
//! reads them (`2026-05-31`, `2026/5/31`, `2026年5月31日`), prefectures as a code (13) or a name
//! (東京都), ticks as `true`/`false` (also `1`/`0`, `yes`/`no`, `○`/`×`, blank = false).
//!
//! What happens to each row ([`Registration::import_csv`]):
//!
//! - it **cannot be read** (wrong number of columns, a choice that does not exist, a date or
//!   number that cannot be read, bytes that are not UTF-8): reported with the column, **not
//!   imported**;
//! - it is read but the form or the documents **do not pass** their rules: kept as a **draft**
//!   (a half-filled form is never lost; reception corrects it as any draft) and reported with
//!   every field error;
//! - it passes: saved and **received** (受付), ready for 事前審査.
//!
//! A file naming a column that does not exist is refused whole before any row is imported (a
//! misspelt header would otherwise blank a field in every row). Each row is its own transactions
//! (the draft, then the submission), so one bad row never loses the others, and each is audited
//! as if entered by hand, by the reception officer on whose behalf the file is imported; the
//! import itself is audited once at the end (`application.imported`, with the counts and the
//! SHA-256 of the file).

use hpki_text::{Localized, Text};
use std::collections::HashSet;

use hpki_ra::Lang;
use hpki_ra::application::{
    Address, AddressChoice, ApplicationForm, ApplicationKind, DocumentChecklist, FieldError,
    LicenseEvidence, ManagerRole, Membership, PhotoIdKind, Sex, field_label, parse_date,
};
use hpki_ra::workflow::{Action, Role, Stage};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::{ActInput, Officer, Registration, RegistrationError};

/// The columns of the form, in the order of the 発行申請書: the JSON fields of
/// [`ApplicationForm`] with the addresses flattened (`address.city` → `address_city`). The
/// photo is not a column: reception ticks `photo_received` for the photo that came with the
/// paper form.
pub const FORM_COLUMNS: [&str; 36] = [
    "application_date",
    "kind",
    "previous_card_id",
    "name_kana_family",
    "name_kana_given",
    "name_kanji_family",
    "name_kanji_given",
    "name_romaji_family",
    "name_romaji_given",
    "birth_date",
    "sex",
    "address_postal_code",
    "address_prefecture_code",
    "address_city",
    "address_building",
    "license_number",
    "license_registration_date",
    "membership",
    "member_id",
    "manager_role",
    "workplace_name",
    "workplace_name_kana",
    "workplace_name_romaji",
    "workplace_address_postal_code",
    "workplace_address_prefecture_code",
    "workplace_address_city",
    "workplace_address_building",
    "phone",
    "fax",
    "email",
    "contact_address",
    "other_address_postal_code",
    "other_address_prefecture_code",
    "other_address_city",
    "other_address_building",
    "delivery",
];

/// The columns of the reception checklist: the JSON fields of [`DocumentChecklist`].
pub const DOCUMENT_COLUMNS: [&str; 7] = [
    "license",
    "license_copy_sealed",
    "seal_certificate_issued",
    "photo_id",
    "photo_id_is_copy",
    "residence_certificate_issued",
    "photo_received",
];

/// The most data rows one file may hold (a larger batch is split into several files).
pub const MAX_ROWS: usize = 10_000;

/// Codes of the problems that keep a row from being read (besides [`hpki_ra::application::codes`]
/// of the form's rules, which a row kept as a draft reports).
pub mod codes {
    /// The row has fewer columns than the header, or more that are not blank.
    pub const COLUMN_COUNT: &str = "column_count";
    /// A cell is not valid UTF-8.
    pub const NOT_UTF8: &str = "not_utf8";
    /// A choice is not one of the allowed values.
    pub const INVALID_CHOICE: &str = "invalid_choice";
    /// A tick is not true/false.
    pub const INVALID_BOOLEAN: &str = "invalid_boolean";
    /// A prefecture is neither a code nor a name.
    pub const INVALID_PREFECTURE: &str = "invalid_prefecture";
    /// The draft could not be saved (the row is not imported).
    pub const NOT_SAVED: &str = "not_saved";
    /// The draft was saved but could not be submitted for another reason than its fields.
    pub const NOT_SUBMITTED: &str = "not_submitted";
}

/// Why a whole file is refused (no row is imported).
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file is empty.
    #[error("the CSV file is empty: it needs a header row")]
    NoHeader,
    /// The header is not UTF-8 (a spreadsheet saved it as Shift_JIS).
    #[error("the CSV file is not UTF-8: save it as \"CSV UTF-8\"")]
    NotUtf8,
    /// The header names columns that do not exist.
    #[error("unknown column(s): {} (see docs/import.md)", .0.join(", "))]
    UnknownColumns(Vec<String>),
    /// The header names a column twice.
    #[error("the column {0} appears twice")]
    DuplicateColumn(String),
    /// More than [`MAX_ROWS`] data rows.
    #[error("the file has {0} rows; at most {max} per file", max = MAX_ROWS)]
    TooManyRows(usize),
    /// The CSV could not be read or written.
    #[error("CSV: {0}")]
    Csv(String),
    /// The officer may not import, or the engine failed.
    #[error(transparent)]
    Registration(#[from] RegistrationError),
}

impl Localized for ImportError {
    fn text(&self) -> Text {
        match self {
            ImportError::NoHeader => Text::new(
                "CSVファイルが空です（見出し行が必要です）",
                "the CSV file is empty: it needs a header row",
            ),
            ImportError::NotUtf8 => Text::new(
                "CSVファイルがUTF-8ではありません（「CSV UTF-8」形式で保存してください）",
                "the CSV file is not UTF-8: save it as \"CSV UTF-8\"",
            ),
            ImportError::UnknownColumns(f0) => Text::new(
                format!("不明な列があります: {}", f0.join("、")),
                format!("unknown column(s): {} (see docs/import.md)", f0.join(", ")),
            ),
            ImportError::DuplicateColumn(f0) => Text::new(
                format!("列 {f0} が重複しています"),
                format!("the column {f0} appears twice"),
            ),
            ImportError::TooManyRows(f0) => Text::new(
                format!(
                    "行数が{f0}行あります（1ファイル{max}行まで）",
                    max = MAX_ROWS
                ),
                format!(
                    "the file has {f0} rows; at most {max} per file",
                    max = MAX_ROWS
                ),
            ),
            ImportError::Csv(f0) => Text::new(
                format!("CSVを読み書きできません（{f0}）"),
                format!("CSV: {f0}"),
            ),
            ImportError::Registration(e) => e.text(),
        }
    }
}

/// One problem with one row: the column (empty for the row as a whole), a stable code, and
/// what is wrong in Japanese and English.
#[derive(Clone, Debug, Eq, PartialEq, Serialize)]
pub struct RowError {
    /// The CSV column (for a form rule on `address.postal_code`: `address_postal_code`); empty
    /// when the row as a whole is wrong (its column count).
    pub field: String,
    /// What kind of problem: [`codes`] or [`hpki_ra::application::codes`].
    pub code: String,
    /// The message in Japanese.
    pub message_ja: String,
    /// The message in English.
    pub message_en: String,
}

impl RowError {
    fn new(field: &str, code: &str, message_ja: String, message_en: String) -> Self {
        RowError {
            field: field.to_owned(),
            code: code.to_owned(),
            message_ja,
            message_en,
        }
    }

    /// A form or document rule, on its CSV column.
    fn from_field(e: &FieldError) -> Self {
        RowError::new(
            &e.field.replace('.', "_"),
            e.code,
            e.message_ja.clone(),
            e.message_en.clone(),
        )
    }

    /// The message in `lang`.
    pub fn message(&self, lang: Lang) -> &str {
        match lang {
            Lang::Ja => &self.message_ja,
            Lang::En => &self.message_en,
        }
    }
}

/// What became of one data row.
#[derive(Clone, Debug, Eq, PartialEq, Serialize)]
pub struct RowOutcome {
    /// The data row, from 1 (the header is row 0).
    pub row: usize,
    /// The application it became; `None` when the row could not be read.
    pub application_id: Option<i64>,
    /// Its stage: `received` when it passed, `draft` when kept with errors; `None` when not
    /// imported.
    pub stage: Option<Stage>,
    /// Every problem found (empty when received).
    pub errors: Vec<RowError>,
}

impl RowOutcome {
    /// Whether the row was received (受付).
    pub fn is_received(&self) -> bool {
        self.stage == Some(Stage::Received)
    }
}

/// The report of an import: one outcome per data row, in file order.
#[derive(Clone, Debug, Default, Eq, PartialEq, Serialize)]
pub struct ImportReport {
    /// The rows.
    pub rows: Vec<RowOutcome>,
}

/// The columns of the report CSV ([`ImportReport::to_csv`]).
pub const REPORT_COLUMNS: [&str; 7] = [
    "row",
    "application_id",
    "stage",
    "field",
    "code",
    "message_ja",
    "message_en",
];

impl ImportReport {
    /// Rows received.
    pub fn received(&self) -> usize {
        self.rows.iter().filter(|r| r.is_received()).count()
    }

    /// Rows kept as drafts with errors.
    pub fn drafts(&self) -> usize {
        self.rows
            .iter()
            .filter(|r| r.application_id.is_some() && !r.is_received())
            .count()
    }

    /// Rows not imported.
    pub fn not_imported(&self) -> usize {
        self.rows
            .iter()
            .filter(|r| r.application_id.is_none())
            .count()
    }

    /// Whether every row was received.
    pub fn all_received(&self) -> bool {
        self.rows.iter().all(RowOutcome::is_received)
    }

    /// The report as CSV (UTF-8 with a byte order mark, CRLF, RFC 4180 quoting), columns
    /// [`REPORT_COLUMNS`]: one line per error, and one line without error columns for a row
    /// that has none.
    pub fn to_csv(&self) -> Result<String, ImportError> {
        let err = |e: csv::Error| ImportError::Csv(e.to_string());
        let mut w = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(Vec::new());
        w.write_record(REPORT_COLUMNS).map_err(err)?;
        for r in &self.rows {
            let row = r.row.to_string();
            let id = r.application_id.map(|i| i.to_string()).unwrap_or_default();
            let stage = r.stage.map(Stage::as_str).unwrap_or("not_imported");
            if r.errors.is_empty() {
                w.write_record([row.as_str(), &id, stage, "", "", "", ""])
                    .map_err(err)?;
            }
            for e in &r.errors {
                w.write_record([
                    row.as_str(),
                    &id,
                    stage,
                    &e.field,
                    &e.code,
                    &e.message_ja,
                    &e.message_en,
                ])
                .map_err(err)?;
            }
        }
        let bytes = w
            .into_inner()
            .map_err(|e| ImportError::Csv(e.to_string()))?;
        let text = String::from_utf8(bytes).map_err(|e| ImportError::Csv(e.to_string()))?;
        Ok(format!("{}{text}", crate::fees::BOM))
    }
}

/// One data row as read: the form and documents, or why it cannot be read.
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct ParsedRow {
    /// The data row, from 1.
    pub row: usize,
    /// The application, or every problem that keeps it from being read.
    pub result: Result<(ApplicationForm, DocumentChecklist), Vec<RowError>>,
}

/// Reads an import file (see the module documentation): checks the header (refusing the whole
/// file for an unknown or repeated column) and reads every row. Pure.
pub fn parse_csv(csv: &[u8]) -> Result<Vec<ParsedRow>, ImportError> {
    let csv = csv.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(csv);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(csv);
    let mut records = reader.byte_records();
    let header = match records.next() {
        None => return Err(ImportError::NoHeader),
        Some(r) => r.map_err(|e| ImportError::Csv(e.to_string()))?,
    };
    let mut columns: Vec<&'static str> = Vec::new();
    let mut unknown = Vec::new();
    let mut seen = HashSet::new();
    let names = header
        .iter()
        .map(|cell| std::str::from_utf8(cell).map(|n| n.trim().to_ascii_lowercase()))
        .collect::<Result<Vec<String>, _>>()
        .map_err(|_| ImportError::NotUtf8)?;
    // Blank header cells at the end (a spreadsheet's) are no columns; cells under them must be
    // blank too (see `parse_row`).
    let used = names
        .iter()
        .rposition(|n| !n.is_empty())
        .map_or(0, |i| i + 1);
    for (i, name) in names.into_iter().take(used).enumerate() {
        if name.is_empty() {
            unknown.push(format!("(blank, column {})", i + 1));
            continue;
        }
        match FORM_COLUMNS
            .iter()
            .chain(DOCUMENT_COLUMNS.iter())
            .find(|c| **c == name)
        {
            Some(c) => {
                if !seen.insert(*c) {
                    return Err(ImportError::DuplicateColumn((*c).to_owned()));
                }
                columns.push(c);
            }
            None => unknown.push(name),
        }
    }
    if !unknown.is_empty() {
        return Err(ImportError::UnknownColumns(unknown));
    }
    if columns.is_empty() {
        return Err(ImportError::NoHeader);
    }
    let records = records
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ImportError::Csv(e.to_string()))?;
    if records.len() > MAX_ROWS {
        return Err(ImportError::TooManyRows(records.len()));
    }
    Ok(records
        .iter()
        .enumerate()
        .map(|(i, record)| ParsedRow {
            row: i + 1,
            result: parse_row(&columns, record),
        })
        .collect())
}

fn parse_row(
    columns: &[&'static str],
    record: &csv::ByteRecord,
) -> Result<(ApplicationForm, DocumentChecklist), Vec<RowError>> {
    let extra_filled = record
        .iter()
        .skip(columns.len())
        .any(|c| !c.iter().all(u8::is_ascii_whitespace));
    if record.len() < columns.len() || extra_filled {
        return Err(vec![RowError::new(
            "",
            codes::COLUMN_COUNT,
            format!(
                "この行は{}列あります（見出し行は{}列です）",
                record.len(),
                columns.len()
            ),
            format!(
                "This row has {} columns; the header has {}.",
                record.len(),
                columns.len()
            ),
        )]);
    }
    let mut form = ApplicationForm::default();
    let mut docs = DocumentChecklist::default();
    let mut errors = Vec::new();
    for (column, cell) in columns.iter().zip(record.iter()) {
        let value = match std::str::from_utf8(cell) {
            Ok(v) => v.trim(),
            Err(_) => {
                errors.push(RowError::new(
                    column,
                    codes::NOT_UTF8,
                    format!(
                        "{}の文字コードがUTF-8ではありません",
                        label(column, Lang::Ja)
                    ),
                    format!("The {} is not UTF-8 text.", label(column, Lang::En)),
                ));
                continue;
            }
        };
        if value.is_empty() {
            continue;
        }
        if let Err(e) = set(&mut form, &mut docs, column, value) {
            errors.push(e);
        }
    }
    if errors.is_empty() {
        Ok((form, docs))
    } else {
        Err(errors)
    }
}

/// The form's key of a column (`address_city` → `address.city`), for its label.
fn field_key(column: &str) -> String {
    for prefix in ["workplace_address", "other_address", "address"] {
        if let Some(rest) = column
            .strip_prefix(prefix)
            .and_then(|r| r.strip_prefix('_'))
        {
            return format!("{prefix}.{rest}");
        }
    }
    column.to_owned()
}

/// The label of a column in `lang` (the column name itself when the form has none).
fn label(column: &str, lang: Lang) -> String {
    field_label(&field_key(column), lang)
        .map(str::to_owned)
        .unwrap_or_else(|| column.to_owned())
}

/// Sets one non-blank cell.
fn set(
    form: &mut ApplicationForm,
    docs: &mut DocumentChecklist,
    column: &'static str,
    value: &str,
) -> Result<(), RowError> {
    let date = |v: &str| parse_date(column, v).map_err(|e| RowError::from_field(&e));
    let text = value.to_owned();
    match column {
        "application_date" => form.application_date = Some(date(value)?),
        "kind" => form.kind = Some(choice(column, value, ApplicationKind::ALL)?),
        "previous_card_id" => form.previous_card_id = text,
        "name_kana_family" => form.name_kana_family = text,
        "name_kana_given" => form.name_kana_given = text,
        "name_kanji_family" => form.name_kanji_family = text,
        "name_kanji_given" => form.name_kanji_given = text,
        "name_romaji_family" => form.name_romaji_family = text,
        "name_romaji_given" => form.name_romaji_given = text,
        "birth_date" => form.birth_date = Some(date(value)?),
        "sex" => form.sex = Some(choice(column, value, Sex::ALL)?),
        "license_number" => form.license_number = text,
        "license_registration_date" => form.license_registration_date = Some(date(value)?),
        "membership" => form.membership = Some(choice(column, value, Membership::ALL)?),
        "member_id" => form.member_id = text,
        "manager_role" => form.manager_role = Some(choice(column, value, ManagerRole::ALL)?),
        "workplace_name" => form.workplace_name = text,
        "workplace_name_kana" => form.workplace_name_kana = text,
        "workplace_name_romaji" => form.workplace_name_romaji = text,
        "phone" => form.phone = text,
        "fax" => form.fax = text,
        "email" => form.email = text,
        "contact_address" => {
            form.contact_address = Some(choice(column, value, AddressChoice::ALL)?)
        }
        "delivery" => form.delivery = Some(choice(column, value, AddressChoice::ALL)?),
        "license" => docs.license = Some(choice(column, value, LicenseEvidence::ALL)?),
        "license_copy_sealed" => docs.license_copy_sealed = boolean(column, value)?,
        "seal_certificate_issued" => docs.seal_certificate_issued = Some(date(value)?),
        "photo_id" => docs.photo_id = Some(choice(column, value, PhotoIdKind::ALL)?),
        "photo_id_is_copy" => docs.photo_id_is_copy = boolean(column, value)?,
        "residence_certificate_issued" => docs.residence_certificate_issued = Some(date(value)?),
        "photo_received" => docs.photo_received = boolean(column, value)?,
        _ => {
            let (address, part): (&mut Address, &str) =
                if let Some(part) = column.strip_prefix("workplace_address_") {
                    (form.workplace_address.get_or_insert_default(), part)
                } else if let Some(part) = column.strip_prefix("other_address_") {
                    (form.other_address.get_or_insert_default(), part)
                } else if let Some(part) = column.strip_prefix("address_") {
                    (&mut form.address, part)
                } else {
                    return Err(RowError::new(
                        column,
                        codes::INVALID_CHOICE,
                        format!("列 {column} は読み込めません"),
                        format!("The column {column} cannot be read."),
                    ));
                };
            match part {
                "postal_code" => address.postal_code = text,
                "prefecture_code" => address.prefecture_code = Some(prefecture(column, value)?),
                "city" => address.city = text,
                _ => address.building = text,
            }
        }
    }
    Ok(())
}

/// A choice by its serde name (`member`, `joining_within_3_months`, …), case-insensitive.
fn choice<T: DeserializeOwned + Serialize + Copy>(
    column: &str,
    value: &str,
    all: &[T],
) -> Result<T, RowError> {
    let wanted = value.to_ascii_lowercase();
    if let Ok(v) = serde_json::from_value::<T>(serde_json::Value::String(wanted)) {
        return Ok(v);
    }
    let names: Vec<String> = all
        .iter()
        .filter_map(|v| serde_json::to_value(v).ok())
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect();
    Err(RowError::new(
        column,
        codes::INVALID_CHOICE,
        format!(
            "{}の値「{value}」は選択できません。次のいずれかを入力してください: {}",
            label(column, Lang::Ja),
            names.join(", ")
        ),
        format!(
            "The {} \"{value}\" is not a choice; use one of: {}.",
            label(column, Lang::En),
            names.join(", ")
        ),
    ))
}

/// A tick: true/false, 1/0, yes/no, y/n, はい/いいえ, ○/×.
fn boolean(column: &str, value: &str) -> Result<bool, RowError> {
    match value.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "y" | "はい" | "○" | "◯" => Ok(true),
        "false" | "0" | "no" | "n" | "いいえ" | "×" => Ok(false),
        _ => Err(RowError::new(
            column,
            codes::INVALID_BOOLEAN,
            format!(
                "{}は true または false で入力してください（値: {value}）",
                label(column, Lang::Ja)
            ),
            format!(
                "The {} must be true or false (got \"{value}\").",
                label(column, Lang::En)
            ),
        )),
    }
}

/// A prefecture: its JIS X 0401 code (ASCII or full-width digits; the range is the form's
/// rule) or its name (東京都, 東京, Tokyo).
fn prefecture(column: &str, value: &str) -> Result<u8, RowError> {
    let digits: String = value
        .chars()
        .map(|c| match c {
            '０'..='９' => {
                char::from_u32(u32::from(c) - u32::from('０') + u32::from('0')).unwrap_or(c)
            }
            c => c,
        })
        .collect();
    if let Ok(code) = digits.parse::<u8>() {
        return Ok(code);
    }
    hpki_ra::prefecture::by_name(value)
        .map(|p| p.code)
        .ok_or_else(|| {
            RowError::new(
                column,
                codes::INVALID_PREFECTURE,
                format!(
                    "{}「{value}」は都道府県コード（1〜47）または都道府県名で入力してください",
                    label(column, Lang::Ja)
                ),
                format!(
                    "The {} \"{value}\" must be a prefecture code (1 to 47) or name.",
                    label(column, Lang::En)
                ),
            )
        })
}

impl Registration {
    /// Imports the applications of `csv` (see the module documentation and `docs/import.md`)
    /// as `officer`, a reception officer of a local office: each readable row becomes a draft,
    /// submitted (受付) when its form and documents pass; `progress(done, total)` is called
    /// before the first row and after each. The whole file is refused, nothing imported, when
    /// the header names an unknown or repeated column or the officer may not receive
    /// applications.
    pub async fn import_csv(
        &self,
        officer: &Officer,
        csv: &[u8],
        progress: &mut (dyn FnMut(usize, usize) + Send),
    ) -> Result<ImportReport, ImportError> {
        let actor = format!("officer:{}@{}", officer.login, officer.office.id);
        self.import_csv_by_operator(&actor, officer, csv, progress)
            .await
    }

    /// [`Registration::import_csv`] run by the operator at the console (`hpki application
    /// import`) on behalf of `officer`: the rows are recorded as `officer`'s, the import's own
    /// audit record names `actor`.
    pub async fn import_csv_by_operator(
        &self,
        actor: &str,
        officer: &Officer,
        csv: &[u8],
        progress: &mut (dyn FnMut(usize, usize) + Send),
    ) -> Result<ImportReport, ImportError> {
        if !officer.has(Role::Reception) || officer.is_hq() {
            return Err(RegistrationError::forbidden(
                "申請の一括登録は受付審査局の受付担当者として行います",
                "applications are imported on behalf of a reception officer of a local office",
            )
            .into());
        }
        let parsed = parse_csv(csv)?;
        let total = parsed.len();
        progress(0, total);
        let mut report = ImportReport::default();
        for (i, row) in parsed.into_iter().enumerate() {
            report.rows.push(self.import_row(officer, row).await);
            progress(i + 1, total);
        }
        let sha256 = hex::encode(Sha256::digest(csv));
        self.ca()
            .store
            .append_audit(&hpki_store::AuditEvent {
                actor: actor.to_owned(),
                action: "application.imported".into(),
                object: format!("import/{}", &sha256[..16]),
                details: json!({"on_behalf_of": officer.login, "office": officer.office.id,
                    "rows": total, "received": report.received(), "drafts": report.drafts(),
                    "not_imported": report.not_imported(), "sha256": sha256}),
            })
            .await
            .map_err(RegistrationError::from)?;
        Ok(report)
    }

    async fn import_row(&self, officer: &Officer, row: ParsedRow) -> RowOutcome {
        let (form, documents) = match row.result {
            Ok(v) => v,
            Err(errors) => {
                return RowOutcome {
                    row: row.row,
                    application_id: None,
                    stage: None,
                    errors,
                };
            }
        };
        let draft = match self.create_draft(officer, &form, &documents, None).await {
            Ok(d) => d,
            Err(e) => {
                return RowOutcome {
                    row: row.row,
                    application_id: None,
                    stage: None,
                    errors: vec![engine_error(codes::NOT_SAVED, &e)],
                };
            }
        };
        let id = draft.record.id;
        let (stage, errors) = match self
            .act(
                officer,
                id,
                draft.record.version,
                Action::Submit,
                &ActInput::default(),
            )
            .await
        {
            Ok(app) => (app.stage, Vec::new()),
            Err(RegistrationError::Invalid(problems)) => (
                draft.stage,
                problems.iter().map(RowError::from_field).collect(),
            ),
            Err(e) => (draft.stage, vec![engine_error(codes::NOT_SUBMITTED, &e)]),
        };
        RowOutcome {
            row: row.row,
            application_id: Some(id),
            stage: Some(stage),
            errors,
        }
    }
}

/// A refusal of the engine as a row error, in both languages.
fn engine_error(code: &str, e: &RegistrationError) -> RowError {
    let text = e.text();
    RowError::new("", code, text.ja, text.en)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_columns_are_the_form_s_fields() {
        // Every form column, unflattened, is a key of the form's JSON.
        let json = serde_json::to_value(ApplicationForm {
            workplace_address: Some(Address::default()),
            other_address: Some(Address::default()),
            ..ApplicationForm::default()
        })
        .unwrap();
        for c in FORM_COLUMNS {
            let key = field_key(c);
            let found = match key.split_once('.') {
                Some((a, b)) => json[a].get(b).is_some(),
                None => json.get(c).is_some(),
            };
            assert!(found, "{c}");
        }
        let docs = serde_json::to_value(DocumentChecklist::default()).unwrap();
        for c in DOCUMENT_COLUMNS {
            assert!(docs.get(c).is_some(), "{c}");
        }
        assert_eq!(
            json.as_object().unwrap().len(),
            FORM_COLUMNS.len() - 3 * 4 + 3 + 1,
            "a form field without a column (the photo is the only one)"
        );
    }

    #[test]
    fn cells_are_read_or_reported_with_their_column() {
        let csv = "\u{feff}Kind,birth_date,address_prefecture_code,workplace_address_prefecture_code,photo_received,membership\n\
                   renewal,1955/1/1,東京都,１３,○,joining_within_3_months\n\
                   newish,1955-02-30,13,Atlantis,maybe,member\n\
                   new,1955-01-01\n";
        let rows = parse_csv(csv.as_bytes()).unwrap();
        let (form, docs) = rows[0].result.clone().unwrap();
        assert_eq!(form.kind, Some(ApplicationKind::Renewal));
        assert_eq!(form.birth_date, Some(time::macros::date!(1955 - 01 - 01)));
        assert_eq!(form.address.prefecture_code, Some(13));
        assert_eq!(form.workplace_address.unwrap().prefecture_code, Some(13));
        assert!(docs.photo_received);
        assert_eq!(form.membership, Some(Membership::JoiningWithin3Months));
        let errors = rows[1].result.clone().unwrap_err();
        let got: Vec<(&str, &str)> = errors
            .iter()
            .map(|e| (e.field.as_str(), e.code.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("kind", codes::INVALID_CHOICE),
                ("birth_date", hpki_ra::application::codes::INVALID_DATE),
                (
                    "workplace_address_prefecture_code",
                    codes::INVALID_PREFECTURE
                ),
                ("photo_received", codes::INVALID_BOOLEAN),
            ]
        );
        assert!(errors[0].message_en.contains("new, renewal"), "{errors:?}");
        assert!(errors[1].message_ja.starts_with("生年月日は"), "{errors:?}");
        assert_eq!(
            rows[2].result.clone().unwrap_err()[0].code,
            codes::COLUMN_COUNT
        );
    }

    #[test]
    fn the_header_is_checked_whole() {
        let e = parse_csv(b"kind,name_kanji,birthday\nnew,x,y\n").unwrap_err();
        assert!(
            matches!(&e, ImportError::UnknownColumns(c) if c == &["name_kanji", "birthday"]),
            "{e}"
        );
        assert!(e.to_string().contains("name_kanji, birthday"));
        assert!(matches!(
            parse_csv(b"kind,KIND\n").unwrap_err(),
            ImportError::DuplicateColumn(c) if c == "kind"
        ));
        assert!(matches!(parse_csv(b"").unwrap_err(), ImportError::NoHeader));
        assert!(matches!(
            parse_csv(b"\x93\xfa\x88\xe3\n").unwrap_err(),
            ImportError::NotUtf8
        ));
        // Blank trailing cells (a spreadsheet's) are fine; a header alone imports nothing.
        let rows = parse_csv(b"kind,sex,,\nnew,male,,\nnew,male,,x\n").unwrap();
        assert!(rows[0].result.is_ok());
        assert_eq!(
            rows[1].result.clone().unwrap_err()[0].code,
            codes::COLUMN_COUNT
        );
        assert!(matches!(
            parse_csv(b"kind,,sex\n").unwrap_err(),
            ImportError::UnknownColumns(c) if c == ["(blank, column 2)"]
        ));
        assert!(parse_csv(b"kind,sex\r\n").unwrap().is_empty());
    }

    #[test]
    fn the_report_csv_has_a_line_per_error() {
        let report = ImportReport {
            rows: vec![
                RowOutcome {
                    row: 1,
                    application_id: Some(3),
                    stage: Some(Stage::Received),
                    errors: vec![],
                },
                RowOutcome {
                    row: 2,
                    application_id: None,
                    stage: None,
                    errors: vec![RowError::new(
                        "birth_date",
                        "invalid_date",
                        "日付, 誤り".into(),
                        "bad".into(),
                    )],
                },
            ],
        };
        assert_eq!(
            report.to_csv().unwrap(),
            "\u{feff}row,application_id,stage,field,code,message_ja,message_en\r\n\
             1,3,received,,,,\r\n\
             2,,not_imported,birth_date,invalid_date,\"日付, 誤り\",bad\r\n"
        );
        assert_eq!(
            (report.received(), report.drafts(), report.not_imported()),
            (1, 0, 1)
        );
        assert!(!report.all_received());
    }
}
