//! Annual fees of the 医師資格証 (issue "Registration", item 5): the fee policy, the yearly
//! billing run, the payment status of each doctor, and the export of the direct-debit requests
//! (口座引落) for the bank.
//!
//! **Policy** (reference, "Registration": fees): JMA members ¥5,000 a year with the first year
//! free, non-members ¥10,000 a year. It is a [`FeePolicy`], configurable (the CLI reads
//! `fees.toml` in the data directory when there is one).
//!
//! **Fiscal year.** The JMA's fiscal year runs from April to March (reference, "Fiscal year
//! April–March") and is named by the year it starts in: fiscal year 2026 (令和8年度) is
//! 2026-04-01 to 2027-03-31. Dates are taken in Japan time (JST); see [`fiscal_year_of`].
//!
//! **Who is billed for fiscal year Y** ([`plan_fees`]): every doctor holding a card, i.e. with an
//! application at 発行済 or later (issued, shipped, active) and a subscriber ID, first issued in
//! fiscal year Y or before (a doctor whose first card comes later is not billed for Y). A doctor
//! is billed once a year however many applications they have (renewals): applications are the
//! same doctor when they share the subscriber ID or the 医籍登録番号 (a doctor who joins or
//! leaves the JMA gets a new subscriber ID, the licence number stays). The fee is decided by the
//! doctor's latest issued application: JMA member or joining within 3 months → member rate,
//! non-member → non-member rate; and billed under that application's subscriber ID. The member's
//! free first year is the fiscal year of the doctor's **first** issuance (a renewal does not
//! bring another free year); the free fee is recorded as ¥0 with status `waived`, so that the
//! doctor shows as settled for the year. Non-members pay from the first year.
//!
//! **Who may do it.** Fees are office work of the JMA registration authority, not CA operation:
//! billing, recording a payment and exporting the debit requests are for **administrators of
//! HQ** ([`Role::Administrator`] at [`crate::engine::HQ`]); the fee list is readable by HQ
//! administrators and HQ auditors. CA operators, who issue the certificates, do not handle the
//! money (one more separation of duties). The console operator (`hpki fees …`) uses the
//! `*_by_operator` functions, named in the audit log as the actor.
//!
//! Every billing run, payment and export is audited (`fee.billed`, `fee.paid`,
//! `fee.debit_exported`), the billing run in the same transaction as the fees it records.

use std::collections::{BTreeMap, HashMap, HashSet};

use hpki_ra::application::{ApplicationForm, Membership};
use hpki_ra::workflow::{Role, Stage};
use hpki_store::{AuditEvent, FeeRecord};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};
use time::{Date, OffsetDateTime};

use crate::{Officer, Registration, RegistrationError};

/// The annual fee policy. `Default` is the JMA's: members ¥5,000 with the first year free,
/// non-members ¥10,000 (reference, "Registration": fees).
///
/// As a file (`fees.toml` in the data directory, read by `hpki fees bill`):
/// `member_yen = 5000`, `non_member_yen = 10000`, `member_first_year_free = true`; missing keys
/// take the default, unknown keys are refused (a misspelt key must not silently bill the
/// default).
#[derive(Clone, Copy, Debug, Eq, PartialEq, Hash, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FeePolicy {
    /// The annual fee of a JMA member (and of a doctor joining within 3 months), yen.
    pub member_yen: u32,
    /// The annual fee of a non-member, yen.
    pub non_member_yen: u32,
    /// Whether a member's first fiscal year as a card holder is free.
    pub member_first_year_free: bool,
}

impl Default for FeePolicy {
    fn default() -> Self {
        FeePolicy {
            member_yen: 5_000,
            non_member_yen: 10_000,
            member_first_year_free: true,
        }
    }
}

impl FeePolicy {
    /// The fee of one doctor for one fiscal year: the amount and the status it is recorded
    /// with (`waived` when it is nothing to collect, `billed` otherwise).
    /// `membership` is from the doctor's latest application (none counts as a non-member: a
    /// received form always has one); `first_year` says whether the year is the doctor's first
    /// as a card holder.
    pub fn fee(&self, membership: Option<Membership>, first_year: bool) -> (i64, FeeStatus) {
        let amount = if is_member_rate(membership) {
            if first_year && self.member_first_year_free {
                0
            } else {
                self.member_yen
            }
        } else {
            self.non_member_yen
        };
        let status = if amount == 0 {
            FeeStatus::Waived
        } else {
            FeeStatus::Billed
        };
        (i64::from(amount), status)
    }
}

/// Whether `membership` pays the member rate: a member, or a doctor joining the JMA within 3
/// months (the form's second box).
pub fn is_member_rate(membership: Option<Membership>) -> bool {
    matches!(
        membership,
        Some(Membership::Member | Membership::JoiningWithin3Months)
    )
}

/// Where an annual fee stands (the store's `status`).
#[derive(Clone, Copy, Debug, Eq, PartialEq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeeStatus {
    /// 請求中: billed, not paid yet; goes into the direct-debit export.
    Billed,
    /// 入金済: paid.
    Paid,
    /// 免除: nothing to pay (a member's first year).
    Waived,
}

impl FeeStatus {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            FeeStatus::Billed => "billed",
            FeeStatus::Paid => "paid",
            FeeStatus::Waived => "waived",
        }
    }

    /// Parses the stored form.
    pub fn parse(s: &str) -> Option<FeeStatus> {
        [FeeStatus::Billed, FeeStatus::Paid, FeeStatus::Waived]
            .into_iter()
            .find(|st| st.as_str() == s)
    }

    /// The label in `lang`.
    pub fn label(self, lang: hpki_ra::Lang) -> &'static str {
        match (self, lang) {
            (FeeStatus::Billed, hpki_ra::Lang::Ja) => "請求中",
            (FeeStatus::Paid, hpki_ra::Lang::Ja) => "入金済",
            (FeeStatus::Waived, hpki_ra::Lang::Ja) => "免除",
            (FeeStatus::Billed, hpki_ra::Lang::En) => "Billed",
            (FeeStatus::Paid, hpki_ra::Lang::En) => "Paid",
            (FeeStatus::Waived, hpki_ra::Lang::En) => "Waived",
        }
    }
}

/// The fiscal year (April–March, named by its starting year) a date falls in:
/// 2026-03-31 → 2025, 2026-04-01 → 2026.
pub fn fiscal_year_of(date: Date) -> i64 {
    i64::from(hpki_clock::jst::fiscal_year(date))
}

/// The fiscal year of an instant (Unix seconds), on the calendar of Japan (JST, UTC+9):
/// 2026-03-31T15:00:00Z is 2026-04-01 in Japan, fiscal year 2026.
pub fn fiscal_year_at(unix: i64) -> i64 {
    fiscal_year_of(hpki_clock::jst::datetime_unix(unix).date())
}

/// The earliest fiscal year that can be billed (before it there were no 医師資格証).
pub const FIRST_BILLABLE_YEAR: i64 = 2000;

/// Checks that `year` can be billed or exported: from [`FIRST_BILLABLE_YEAR`] up to the next
/// fiscal year (the run for April may be prepared in March), no later.
fn check_year(year: i64, current: i64) -> Result<(), RegistrationError> {
    let last = current + 1;
    if !(FIRST_BILLABLE_YEAR..=last).contains(&year) {
        return Err(RegistrationError::bad_input(
            format!(
                "{year}年度は請求できません（{FIRST_BILLABLE_YEAR}〜{last}年度を指定してください。年度は4月始まりで開始年で表します）"
            ),
            format!(
                "fiscal year {year} cannot be billed: give a year from {FIRST_BILLABLE_YEAR} to {last} (April–March, named by its starting year)"
            ),
        ));
    }
    Ok(())
}

/// The stages at which a doctor holds a card and is billed (発行済, 発送済, 有効).
pub const BILLED_STAGES: [Stage; 3] = [Stage::Issued, Stage::Shipped, Stage::Active];

/// One issued application, as the billing run sees it.
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct IssuedApplication {
    /// The application's number.
    pub application_id: i64,
    /// The subscriber ID given at issuance.
    pub subscriber_id: String,
    /// The 医籍登録番号 (normalised; empty if none), which ties a doctor's applications together.
    pub license_number: String,
    /// 日医会員区分 on the form.
    pub membership: Option<Membership>,
    /// When it was issued (Unix seconds).
    pub issued_at: i64,
    /// The name in kana, family name first ("ニチイ　タロウ").
    pub name_kana: String,
    /// The name in kanji, family name first ("日医　太郎").
    pub name_kanji: String,
}

/// A fee the billing run decided for one doctor.
#[derive(Clone, Debug, Eq, PartialEq, Serialize)]
pub struct PlannedFee {
    /// The subscriber ID billed (that of the doctor's latest application).
    pub subscriber_id: String,
    /// Every subscriber ID of the doctor (joining or leaving the JMA changes it).
    pub subscriber_ids: Vec<String>,
    /// The application that decided the fee (the latest issued).
    pub application_id: i64,
    /// Its membership.
    pub membership: Option<Membership>,
    /// The fiscal year of the doctor's first issuance.
    pub first_fiscal_year: i64,
    /// The amount, yen.
    pub amount_yen: i64,
    /// `billed`, or `waived` for ¥0.
    pub status: FeeStatus,
}

/// Decides the fees of fiscal year `year` for the card holders in `issued` under `policy` (see
/// the module documentation for the rules). Pure; one fee per doctor, by subscriber ID.
pub fn plan_fees(policy: &FeePolicy, year: i64, issued: &[IssuedApplication]) -> Vec<PlannedFee> {
    let eligible: Vec<&IssuedApplication> = issued
        .iter()
        .filter(|a| fiscal_year_at(a.issued_at) <= year)
        .collect();
    let mut fees: Vec<PlannedFee> = same_doctor_groups(&eligible)
        .into_iter()
        .filter_map(|group| {
            let latest = group
                .iter()
                .max_by_key(|a| (a.issued_at, a.application_id))?;
            let first = group.iter().map(|a| fiscal_year_at(a.issued_at)).min()?;
            let (amount_yen, status) = policy.fee(latest.membership, first == year);
            let mut subscriber_ids: Vec<String> =
                group.iter().map(|a| a.subscriber_id.clone()).collect();
            subscriber_ids.sort();
            subscriber_ids.dedup();
            Some(PlannedFee {
                subscriber_id: latest.subscriber_id.clone(),
                subscriber_ids,
                application_id: latest.application_id,
                membership: latest.membership,
                first_fiscal_year: first,
                amount_yen,
                status,
            })
        })
        .collect();
    fees.sort_by(|a, b| a.subscriber_id.cmp(&b.subscriber_id));
    fees
}

/// Groups applications of the same doctor: linked when they share the subscriber ID or the
/// (non-empty) licence number, transitively (union–find).
fn same_doctor_groups<'a>(apps: &[&'a IssuedApplication]) -> Vec<Vec<&'a IssuedApplication>> {
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    let mut parent: Vec<usize> = (0..apps.len()).collect();
    let mut first_with: HashMap<(bool, &str), usize> = HashMap::new();
    for (i, a) in apps.iter().enumerate() {
        let mut keys = vec![(false, a.subscriber_id.as_str())];
        if !a.license_number.is_empty() {
            keys.push((true, a.license_number.as_str()));
        }
        for key in keys {
            match first_with.get(&key) {
                Some(&j) => {
                    let (ri, rj) = (root(&mut parent, i), root(&mut parent, j));
                    parent[ri] = rj;
                }
                None => {
                    first_with.insert(key, i);
                }
            }
        }
    }
    let mut groups: BTreeMap<usize, Vec<&IssuedApplication>> = BTreeMap::new();
    for (i, a) in apps.iter().enumerate() {
        let r = root(&mut parent, i);
        groups.entry(r).or_default().push(a);
    }
    groups.into_values().collect()
}

/// What a billing run did.
#[derive(Clone, Debug, Eq, PartialEq, Serialize)]
pub struct BillingReport {
    /// The fiscal year billed.
    pub fiscal_year: i64,
    /// The policy applied.
    pub policy: FeePolicy,
    /// The fees recorded by this run (billed and waived), by subscriber ID.
    pub fees: Vec<PlannedFee>,
    /// How many of them are to be collected (`billed`).
    pub billed: usize,
    /// How many of them are ¥0 (`waived`).
    pub waived: usize,
    /// The sum of the billed amounts, yen.
    pub total_yen: i64,
    /// Doctors who already had a fee for the year (left untouched: billing twice bills nothing
    /// new).
    pub already_billed: usize,
}

/// The columns of the direct-debit export, in order (see [`direct_debit_csv_from`]).
pub const DIRECT_DEBIT_COLUMNS: [&str; 7] = [
    "subscriber_id",
    "name_kana",
    "name_kanji",
    "fiscal_year",
    "amount_yen",
    "membership",
    "billed_at",
];

/// One direct-debit request: a billed, unpaid fee with the doctor's names.
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct DebitRequest {
    /// The subscriber ID: the key the JMA's account register (口座振替依頼書) is kept by.
    pub subscriber_id: String,
    /// The doctor's name in kana, family name first.
    pub name_kana: String,
    /// The doctor's name in kanji, family name first.
    pub name_kanji: String,
    /// The fiscal year.
    pub fiscal_year: i64,
    /// The amount to withdraw, yen.
    pub amount_yen: i64,
    /// The membership of the doctor's latest application.
    pub membership: Option<Membership>,
    /// When the fee was billed (Unix seconds).
    pub billed_at: i64,
}

/// The UTF-8 byte order mark the export starts with (spreadsheets in Japan read UTF-8 only with
/// it).
pub const BOM: &str = "\u{feff}";

/// The direct-debit export of `requests`, as documented in `docs/fees.md`: UTF-8 with a byte
/// order mark, a header row of [`DIRECT_DEBIT_COLUMNS`], one row per request, RFC 4180 quoting
/// (a field is quoted when it holds a comma, a quote or a line break; quotes are doubled),
/// CRLF line ends. `membership` is `member`, `joining_within_3_months` or `non_member`;
/// `billed_at` is RFC 3339 in Japan time (`2026-04-01T09:30:00+09:00`).
pub fn direct_debit_csv_from(requests: &[DebitRequest]) -> Result<String, RegistrationError> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    let internal = |e: csv::Error| RegistrationError::Internal(format!("CSV: {e}"));
    w.write_record(DIRECT_DEBIT_COLUMNS).map_err(internal)?;
    for r in requests {
        w.write_record([
            r.subscriber_id.as_str(),
            r.name_kana.as_str(),
            r.name_kanji.as_str(),
            &r.fiscal_year.to_string(),
            &r.amount_yen.to_string(),
            r.membership.map(membership_str).unwrap_or(""),
            &rfc3339_jst(r.billed_at),
        ])
        .map_err(internal)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| RegistrationError::Internal(format!("CSV: {e}")))?;
    let text = String::from_utf8(bytes)
        .map_err(|e| RegistrationError::Internal(format!("CSV is not UTF-8: {e}")))?;
    Ok(format!("{BOM}{text}"))
}

/// The serde name of a membership (`member`, `joining_within_3_months`, `non_member`).
pub fn membership_str(m: Membership) -> &'static str {
    match m {
        Membership::Member => "member",
        Membership::JoiningWithin3Months => "joining_within_3_months",
        Membership::NonMember => "non_member",
    }
}

/// An instant as RFC 3339 in Japan time.
pub fn rfc3339_jst(unix: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| {
            t.to_offset(hpki_clock::jst::OFFSET)
                .format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| unix.to_string())
}

fn actor_of(officer: &Officer) -> String {
    format!("officer:{}@{}", officer.login, officer.office.id)
}

/// Billing, payments and the export: administrators of HQ.
fn require_fee_admin(officer: &Officer) -> Result<(), RegistrationError> {
    if officer.is_hq() && officer.has(Role::Administrator) {
        Ok(())
    } else {
        Err(RegistrationError::forbidden(
            "年会費の請求・入金記録・口座引落データの出力は登録局の管理者のみ行えます",
            "fees are billed, recorded and exported by administrators of the registration authority",
        ))
    }
}

/// Reading the fees: administrators and auditors of HQ.
fn require_fee_reader(officer: &Officer) -> Result<(), RegistrationError> {
    if officer.is_hq() && (officer.has(Role::Administrator) || officer.has(Role::Auditor)) {
        Ok(())
    } else {
        Err(RegistrationError::forbidden(
            "年会費は登録局の管理者と監査担当者のみ閲覧できます",
            "the fees are seen by administrators and auditors of the registration authority",
        ))
    }
}

fn audit(actor: &str, action: &str, object: String, details: serde_json::Value) -> AuditEvent {
    AuditEvent {
        actor: actor.to_owned(),
        action: action.to_owned(),
        object,
        details,
    }
}

impl Registration {
    /// Every application whose doctor holds a card (stages [`BILLED_STAGES`], with a subscriber
    /// ID), read whole from the store (no page limit), with its issuance time.
    async fn issued_applications(&self) -> Result<Vec<IssuedApplication>, RegistrationError> {
        let stages: Vec<String> = BILLED_STAGES
            .iter()
            .map(|s| s.as_str().to_owned())
            .collect();
        let rows = self
            .ca()
            .store
            .applications_with_subscriber(&stages)
            .await?;
        rows.into_iter()
            .filter_map(|(rec, issued_at)| {
                let subscriber_id = rec.subscriber_id.clone()?;
                Some((rec, issued_at, subscriber_id))
            })
            .map(|(rec, issued_at, subscriber_id)| {
                let form: ApplicationForm = serde_json::from_str(&rec.form).map_err(|e| {
                    RegistrationError::Internal(format!(
                        "stored form of application {}: {e}",
                        rec.id
                    ))
                })?;
                Ok(IssuedApplication {
                    application_id: rec.id,
                    subscriber_id,
                    license_number: rec.license_number.clone(),
                    membership: form.membership,
                    // Issuance always writes its `issue` event; the last change is the
                    // closest stand-in should one be missing.
                    issued_at: issued_at.unwrap_or(rec.updated_at),
                    name_kana: rec.name_kana.clone(),
                    name_kanji: rec.name_kanji.clone(),
                })
            })
            .collect()
    }

    /// The yearly billing run for fiscal year `year` under `policy`, by an administrator of
    /// HQ: one fee per card holder not billed for the year yet (see the module documentation),
    /// recorded with one `fee.billed` audit record (counts, total, policy) in one transaction.
    /// Running it again bills nothing new. Two runs at the same moment cannot bill a doctor
    /// twice either (the store keeps one fee per subscriber ID and year), though the later
    /// report may then count a fee the other run recorded.
    pub async fn bill_fiscal_year(
        &self,
        officer: &Officer,
        year: i64,
        policy: &FeePolicy,
    ) -> Result<BillingReport, RegistrationError> {
        require_fee_admin(officer)?;
        self.bill_fiscal_year_by_operator(&actor_of(officer), year, policy)
            .await
    }

    /// [`Registration::bill_fiscal_year`] by the operator at the console (`hpki fees bill`),
    /// whom `actor` names in the audit log.
    pub async fn bill_fiscal_year_by_operator(
        &self,
        actor: &str,
        year: i64,
        policy: &FeePolicy,
    ) -> Result<BillingReport, RegistrationError> {
        check_year(year, self.current_fiscal_year())?;
        let store = &self.ca().store;
        let issued = self.issued_applications().await?;
        let existing: HashSet<String> = store
            .fees(Some(year))
            .await?
            .into_iter()
            .map(|f| f.subscriber_id)
            .collect();
        let (already, new): (Vec<PlannedFee>, Vec<PlannedFee>) = plan_fees(policy, year, &issued)
            .into_iter()
            .partition(|f| f.subscriber_ids.iter().any(|s| existing.contains(s)));
        let billed = new.iter().filter(|f| f.status == FeeStatus::Billed).count();
        let total_yen: i64 = new.iter().map(|f| f.amount_yen).sum();
        let report = BillingReport {
            fiscal_year: year,
            policy: *policy,
            billed,
            waived: new.len() - billed,
            total_yen,
            already_billed: already.len(),
            fees: new,
        };
        let rows: Vec<(String, i64, String)> = report
            .fees
            .iter()
            .map(|f| {
                (
                    f.subscriber_id.clone(),
                    f.amount_yen,
                    f.status.as_str().to_owned(),
                )
            })
            .collect();
        let event = audit(
            actor,
            "fee.billed",
            format!("fees/{year}"),
            json!({"fiscal_year": year, "billed": report.billed, "waived": report.waived,
                   "total_yen": report.total_yen, "already_billed": report.already_billed,
                   "policy": policy}),
        );
        store.bill_fees(year, &rows, &event).await?;
        Ok(report)
    }

    /// Records that `subscriber_id` paid the fee of fiscal year `year` (an administrator of
    /// HQ); audited as `fee.paid`. Only a `billed` fee can be paid.
    pub async fn mark_paid(
        &self,
        officer: &Officer,
        subscriber_id: &str,
        year: i64,
    ) -> Result<FeeRecord, RegistrationError> {
        require_fee_admin(officer)?;
        self.mark_paid_by_operator(&actor_of(officer), subscriber_id, year)
            .await
    }

    /// [`Registration::mark_paid`] by the operator at the console (`hpki fees paid`).
    pub async fn mark_paid_by_operator(
        &self,
        actor: &str,
        subscriber_id: &str,
        year: i64,
    ) -> Result<FeeRecord, RegistrationError> {
        let store = &self.ca().store;
        let subscriber_id = subscriber_id.trim();
        let find =
            |fees: Vec<FeeRecord>| fees.into_iter().find(|f| f.subscriber_id == subscriber_id);
        let fee = find(store.fees(Some(year)).await?).ok_or_else(|| {
            RegistrationError::not_found(
                format!("{subscriber_id} の{year}年度の年会費"),
                format!("the fee of {subscriber_id} for fiscal year {year}"),
            )
        })?;
        match FeeStatus::parse(&fee.status) {
            Some(FeeStatus::Billed) => {}
            Some(FeeStatus::Paid) => {
                return Err(RegistrationError::bad_input(
                    format!(
                        "{subscriber_id} の{year}年度の年会費は入金済です（{}）",
                        rfc3339_jst(fee.paid_at.unwrap_or(0))
                    ),
                    format!(
                        "the fee of {subscriber_id} for fiscal year {year} was already paid on {}",
                        rfc3339_jst(fee.paid_at.unwrap_or(0))
                    ),
                ));
            }
            Some(FeeStatus::Waived) => {
                return Err(RegistrationError::bad_input(
                    format!("{subscriber_id} の{year}年度の年会費は免除です（入金不要）"),
                    format!(
                        "the fee of {subscriber_id} for fiscal year {year} is waived: nothing to pay"
                    ),
                ));
            }
            None => {
                return Err(RegistrationError::Internal(format!(
                    "fee {subscriber_id}/{year} has status {:?}",
                    fee.status
                )));
            }
        }
        let event = audit(
            actor,
            "fee.paid",
            format!("fee/{year}/{subscriber_id}"),
            json!({"fiscal_year": year, "subscriber_id": subscriber_id, "amount_yen": fee.amount}),
        );
        store.mark_fee_paid(subscriber_id, year, &event).await?;
        find(store.fees(Some(year)).await?).ok_or_else(|| {
            RegistrationError::Internal(format!("fee {subscriber_id}/{year} vanished"))
        })
    }

    /// The fees of fiscal year `year` (every year when `None`), by subscriber ID: for HQ
    /// administrators and auditors.
    pub async fn fees(
        &self,
        officer: &Officer,
        year: Option<i64>,
    ) -> Result<Vec<FeeRecord>, RegistrationError> {
        require_fee_reader(officer)?;
        self.fees_by_operator(year).await
    }

    /// [`Registration::fees`] for the operator at the console (`hpki fees list`; reading is not
    /// audited).
    pub async fn fees_by_operator(
        &self,
        year: Option<i64>,
    ) -> Result<Vec<FeeRecord>, RegistrationError> {
        Ok(self.ca().store.fees(year).await?)
    }

    /// The direct-debit requests of fiscal year `year` for the bank (口座引落), as CSV (see
    /// [`direct_debit_csv_from`] and `docs/fees.md`): every fee still `billed` with an amount,
    /// by subscriber ID. An administrator of HQ; audited as `fee.debit_exported` with the
    /// number of requests, the total and the SHA-256 of the file, so the file sent can be
    /// proven later.
    pub async fn direct_debit_csv(
        &self,
        officer: &Officer,
        year: i64,
    ) -> Result<String, RegistrationError> {
        require_fee_admin(officer)?;
        self.direct_debit_csv_by_operator(&actor_of(officer), year)
            .await
    }

    /// [`Registration::direct_debit_csv`] by the operator at the console (`hpki fees export`).
    pub async fn direct_debit_csv_by_operator(
        &self,
        actor: &str,
        year: i64,
    ) -> Result<String, RegistrationError> {
        check_year(year, self.current_fiscal_year())?;
        let store = &self.ca().store;
        // The names and membership of each subscriber ID: its latest issued application.
        let mut latest: HashMap<String, IssuedApplication> = HashMap::new();
        for a in self.issued_applications().await? {
            let newer = latest
                .get(&a.subscriber_id)
                .is_none_or(|b| (a.issued_at, a.application_id) > (b.issued_at, b.application_id));
            if newer {
                latest.insert(a.subscriber_id.clone(), a);
            }
        }
        let requests: Vec<DebitRequest> = store
            .fees(Some(year))
            .await?
            .into_iter()
            .filter(|f| f.status == FeeStatus::Billed.as_str() && f.amount > 0)
            .map(|f| {
                let app = latest.get(&f.subscriber_id);
                DebitRequest {
                    name_kana: app.map(|a| a.name_kana.clone()).unwrap_or_default(),
                    name_kanji: app.map(|a| a.name_kanji.clone()).unwrap_or_default(),
                    membership: app.and_then(|a| a.membership),
                    subscriber_id: f.subscriber_id,
                    fiscal_year: f.fiscal_year,
                    amount_yen: f.amount,
                    billed_at: f.billed_at,
                }
            })
            .collect();
        let csv = direct_debit_csv_from(&requests)?;
        let total_yen: i64 = requests.iter().map(|r| r.amount_yen).sum();
        store
            .append_audit(&audit(
                actor,
                "fee.debit_exported",
                format!("fees/{year}"),
                json!({"fiscal_year": year, "requests": requests.len(), "total_yen": total_yen,
                       "sha256": hex::encode(Sha256::digest(csv.as_bytes()))}),
            ))
            .await?;
        Ok(csv)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    fn app(id: i64, sub: &str, license: &str, m: Membership, issued: Date) -> IssuedApplication {
        IssuedApplication {
            application_id: id,
            subscriber_id: sub.into(),
            license_number: license.into(),
            membership: Some(m),
            issued_at: issued
                .midnight()
                .assume_offset(hpki_clock::jst::OFFSET)
                .unix_timestamp(),
            name_kana: String::new(),
            name_kanji: String::new(),
        }
    }

    #[test]
    fn the_fiscal_year_runs_april_to_march_in_japan_time() {
        assert_eq!(fiscal_year_of(date!(2026 - 03 - 31)), 2025);
        assert_eq!(fiscal_year_of(date!(2026 - 04 - 01)), 2026);
        assert_eq!(fiscal_year_of(date!(2027 - 03 - 31)), 2026);
        assert_eq!(fiscal_year_of(date!(2026 - 12 - 31)), 2026);
        assert_eq!(fiscal_year_of(date!(2026 - 01 - 01)), 2025);
        // 00:00 JST on 1 April is still 31 March in UTC.
        assert_eq!(
            fiscal_year_at(datetime!(2026-03-31 15:00 UTC).unix_timestamp()),
            2026
        );
        assert_eq!(
            fiscal_year_at(datetime!(2026-03-31 14:59:59 UTC).unix_timestamp()),
            2025
        );
    }

    #[test]
    fn the_default_policy_is_the_jma_s() {
        let p = FeePolicy::default();
        assert_eq!(
            p.fee(Some(Membership::Member), true),
            (0, FeeStatus::Waived)
        );
        assert_eq!(
            p.fee(Some(Membership::Member), false),
            (5000, FeeStatus::Billed)
        );
        assert_eq!(
            p.fee(Some(Membership::JoiningWithin3Months), true),
            (0, FeeStatus::Waived)
        );
        assert_eq!(
            p.fee(Some(Membership::NonMember), true),
            (10000, FeeStatus::Billed)
        );
        assert_eq!(p.fee(None, false), (10000, FeeStatus::Billed));
        let no_free = FeePolicy {
            member_first_year_free: false,
            ..p
        };
        assert_eq!(
            no_free.fee(Some(Membership::Member), true),
            (5000, FeeStatus::Billed)
        );
        let parsed: FeePolicy = serde_json::from_str(r#"{"member_yen": 6000}"#).unwrap();
        assert_eq!((parsed.member_yen, parsed.non_member_yen), (6000, 10000));
        assert!(serde_json::from_str::<FeePolicy>(r#"{"member_fee": 6000}"#).is_err());
        assert!(serde_json::from_str::<FeePolicy>(r#"{"member_yen": -1}"#).is_err());
    }

    #[test]
    fn one_fee_per_doctor_with_the_first_year_free_only_once() {
        let issued = [
            // A member first issued in FY2024, renewed in FY2026 (same member ID).
            app(
                1,
                "JMA1111111111",
                "111",
                Membership::Member,
                date!(2024 - 05 - 01),
            ),
            app(
                7,
                "JMA1111111111",
                "111",
                Membership::Member,
                date!(2026 - 06 - 01),
            ),
            // A non-member renewed with a new subscriber ID, now a member: same licence.
            app(
                2,
                "JMAN000000002",
                "222",
                Membership::NonMember,
                date!(2025 - 04 - 01),
            ),
            app(
                8,
                "JMA2222222222",
                "222",
                Membership::Member,
                date!(2026 - 07 - 01),
            ),
            // A member first issued in FY2026.
            app(
                3,
                "JMA3333333333",
                "333",
                Membership::Member,
                date!(2027 - 03 - 31),
            ),
            // A non-member first issued in FY2026.
            app(
                4,
                "JMAN000000004",
                "444",
                Membership::NonMember,
                date!(2026 - 04 - 01),
            ),
        ];
        let p = FeePolicy::default();
        let fees = plan_fees(&p, 2026, &issued);
        let got: Vec<(&str, i64, FeeStatus)> = fees
            .iter()
            .map(|f| (f.subscriber_id.as_str(), f.amount_yen, f.status))
            .collect();
        assert_eq!(
            got,
            [
                ("JMA1111111111", 5000, FeeStatus::Billed),
                ("JMA2222222222", 5000, FeeStatus::Billed),
                ("JMA3333333333", 0, FeeStatus::Waived),
                ("JMAN000000004", 10000, FeeStatus::Billed),
            ]
        );
        assert_eq!(fees[1].subscriber_ids, ["JMA2222222222", "JMAN000000002"]);
        assert_eq!(fees[1].first_fiscal_year, 2025);

        // FY2025: only those issued by then; the non-member's licence ties nothing yet.
        let fees = plan_fees(&p, 2025, &issued);
        let got: Vec<(&str, i64)> = fees
            .iter()
            .map(|f| (f.subscriber_id.as_str(), f.amount_yen))
            .collect();
        assert_eq!(got, [("JMA1111111111", 5000), ("JMAN000000002", 10000)]);
        // FY2024: the member's first year.
        assert_eq!(plan_fees(&p, 2024, &issued)[0].status, FeeStatus::Waived);
        assert!(plan_fees(&p, 2023, &issued).is_empty());
    }

    #[test]
    fn the_export_is_rfc_4180_with_crlf_and_a_bom() {
        let csv = direct_debit_csv_from(&[DebitRequest {
            subscriber_id: "JMAN000000004".into(),
            name_kana: "ニチイ　ハナコ".into(),
            name_kanji: "日医　花,子\"".into(),
            fiscal_year: 2026,
            amount_yen: 10000,
            membership: Some(Membership::NonMember),
            billed_at: datetime!(2026-04-01 00:30 UTC).unix_timestamp(),
        }])
        .unwrap();
        assert_eq!(
            csv,
            "\u{feff}subscriber_id,name_kana,name_kanji,fiscal_year,amount_yen,membership,billed_at\r\n\
             JMAN000000004,ニチイ　ハナコ,\"日医　花,子\"\"\",2026,10000,non_member,2026-04-01T09:30:00+09:00\r\n"
        );
        assert_eq!(
            direct_debit_csv_from(&[]).unwrap(),
            format!("{BOM}{}\r\n", DIRECT_DEBIT_COLUMNS.join(","))
        );
    }
}
