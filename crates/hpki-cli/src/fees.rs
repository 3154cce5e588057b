//! The registration authority's fees at the console: `hpki fees …` (the yearly billing run,
//! payments, the direct-debit export; see `docs/fees.md`).
//!
//! The console operator acts as themselves (named in the audit log, as for `hpki office
//! status`).

use crate::failure::Context as _;
use hpki_text::Text;
use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::Subcommand;
use hpki_ra::Lang;
use hpki_registration::fees::{FeePolicy, FeeStatus, rfc3339_jst};

use crate::ra::registration;
use crate::{Common, actor, read, write};

/// The fee policy file looked for in the data directory.
pub(crate) const POLICY_FILE: &str = "fees.toml";

#[derive(Subcommand)]
pub(crate) enum FeesCommand {
    /// The yearly billing run (年会費の請求): one fee per card holder not billed for the fiscal
    /// year yet (members ¥5,000 with the first year free, non-members ¥10,000, unless
    /// fees.toml in the data directory or --policy says otherwise). Running it again bills
    /// nothing new.
    Bill {
        #[command(flatten)]
        common: Common,
        /// Fiscal year, April–March, named by its starting year (2026 = 2026-04-01 to
        /// 2027-03-31).
        #[arg(long)]
        year: i64,
        /// Fee policy (TOML: member_yen, non_member_yen, member_first_year_free); default:
        /// fees.toml in the data directory if present, else the JMA's.
        #[arg(long)]
        policy: Option<PathBuf>,
    },
    /// The fees with their payment status (年会費の一覧).
    List {
        #[command(flatten)]
        common: Common,
        /// Only this fiscal year.
        #[arg(long)]
        year: Option<i64>,
    },
    /// Record a payment (入金の記録).
    Paid {
        #[command(flatten)]
        common: Common,
        /// The doctor's subscriber ID (JMA…, JMAN…).
        #[arg(long)]
        subscriber: String,
        /// Fiscal year.
        #[arg(long)]
        year: i64,
    },
    /// Write the direct-debit requests (口座引落) of a fiscal year as CSV for the bank: every
    /// fee billed and not paid (format: docs/fees.md).
    Export {
        #[command(flatten)]
        common: Common,
        /// Fiscal year.
        #[arg(long)]
        year: i64,
        /// Output file (CSV, UTF-8 with BOM, CRLF).
        #[arg(long)]
        out: PathBuf,
    },
}

/// The fee policy: `path`, else `fees.toml` in the data directory, else the default.
fn policy(dir: &Path, path: Option<&Path>) -> Result<FeePolicy> {
    let default_path = dir.join(POLICY_FILE);
    let path = match path {
        Some(p) => p.to_path_buf(),
        None if default_path.exists() => default_path,
        None => return Ok(FeePolicy::default()),
    };
    let text = String::from_utf8(read(&path)?).context_text(|| {
        Text::new(
            format!("{} は UTF-8 ではありません", path.display()),
            format!("{} is not UTF-8", path.display()),
        )
    })?;
    toml::from_str(&text).context_text(|| {
        Text::new(
            format!(
                "{} を年会費の設定（member_yen, non_member_yen, member_first_year_free）として読めません",
                path.display()
            ),
            format!(
                "{}: not a fee policy (member_yen, non_member_yen, member_first_year_free)",
                path.display()
            ),
        )
    })
}

fn yen(amount: i64) -> String {
    let digits = amount.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    format!("{}¥{out}", if amount < 0 { "-" } else { "" })
}

fn status_label(s: &str) -> String {
    FeeStatus::parse(s)
        .map(|st| format!("{} {}", st.as_str(), st.label(Lang::Ja)))
        .unwrap_or_else(|| s.to_owned())
}

pub(crate) async fn fees(cmd: FeesCommand) -> Result<()> {
    match cmd {
        FeesCommand::Bill {
            common,
            year,
            policy: path,
        } => {
            let policy = policy(&common.dir, path.as_deref())?;
            let ra = registration(&common).await?;
            let r = ra
                .bill_fiscal_year_by_operator(&actor(), year, &policy)
                .await?;
            println!(
                "policy / 年会費: member {} (first year {}), non-member {}",
                yen(i64::from(policy.member_yen)),
                if policy.member_first_year_free {
                    "free / 初年度無料"
                } else {
                    "charged / 初年度有料"
                },
                yen(i64::from(policy.non_member_yen))
            );
            for f in &r.fees {
                println!(
                    "  {:<16} {:>8}  {}",
                    f.subscriber_id,
                    yen(f.amount_yen),
                    status_label(f.status.as_str())
                );
            }
            println!(
                "fiscal year {year}: billed {} ({}), waived {}, already billed {} / {year}年度: 請求 {} 件（{}）、免除 {} 件、請求済 {} 件",
                r.billed,
                yen(r.total_yen),
                r.waived,
                r.already_billed,
                r.billed,
                yen(r.total_yen),
                r.waived,
                r.already_billed
            );
        }
        FeesCommand::List { common, year } => {
            let ra = registration(&common).await?;
            println!(
                "{:<6} {:<16} {:>8}  {:<12} {:<25} paid_at",
                "year", "subscriber_id", "amount", "status", "billed_at"
            );
            for f in ra.fees_by_operator(year).await? {
                println!(
                    "{:<6} {:<16} {:>8}  {:<12} {:<25} {}",
                    f.fiscal_year,
                    f.subscriber_id,
                    yen(f.amount),
                    status_label(&f.status),
                    rfc3339_jst(f.billed_at),
                    f.paid_at.map(rfc3339_jst).unwrap_or_default()
                );
            }
        }
        FeesCommand::Paid {
            common,
            subscriber,
            year,
        } => {
            let ra = registration(&common).await?;
            let f = ra
                .mark_paid_by_operator(&actor(), &subscriber, year)
                .await?;
            println!(
                "{} FY{}: {} paid / 入金を記録しました",
                f.subscriber_id,
                f.fiscal_year,
                yen(f.amount)
            );
        }
        FeesCommand::Export { common, year, out } => {
            let ra = registration(&common).await?;
            let csv = ra.direct_debit_csv_by_operator(&actor(), year).await?;
            write(&out, csv.as_bytes())?;
            let due: Vec<i64> = ra
                .fees_by_operator(Some(year))
                .await?
                .iter()
                .filter(|f| f.status == FeeStatus::Billed.as_str() && f.amount > 0)
                .map(|f| f.amount)
                .collect();
            println!(
                "{} direct-debit requests ({}) → {} / 口座引落依頼 {} 件を書き出しました",
                due.len(),
                yen(due.iter().sum()),
                out.display(),
                due.len()
            );
        }
    }
    Ok(())
}
