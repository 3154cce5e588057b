//! `hpki credits`: the national yearly run of the 日医生涯教育制度 — every doctor's units and
//! distinct curriculum codes over the three fiscal years of the 認定証, written as CSV.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Result;
use clap::Subcommand;
use hpki_provider::Provider;
use hpki_provider::attendance::national::distinct_codes;

use crate::{Common, open};

#[derive(Subcommand)]
pub(crate) enum CreditsCommand {
    /// Every doctor's units and distinct codes over the three fiscal years ending with
    /// --fiscal-year, and whether they reach the 日医生涯教育認定証 (units + distinct codes ≥ 60),
    /// as CSV (UTF-8 with BOM): subscriber_id, then units and codes of each year, total units,
    /// distinct codes, score, met.
    Run {
        #[command(flatten)]
        common: Common,
        /// The last fiscal year of the window (2026 = April 2026 to March 2027).
        #[arg(long)]
        fiscal_year: i32,
        /// Where to write the CSV (written whole, then renamed into place).
        #[arg(long)]
        out: PathBuf,
    },
}

pub(crate) async fn run(cmd: CreditsCommand) -> Result<()> {
    match cmd {
        CreditsCommand::Run {
            common,
            fiscal_year,
            out,
        } => {
            let provider = Provider::new(Arc::new(open(&common, false).await?));
            let first = fiscal_year - 2;
            let mut w = csv::Writer::from_writer(vec![0xEF, 0xBB, 0xBF]);
            let mut header = vec!["subscriber_id".to_string()];
            for fy in first..=fiscal_year {
                header.push(format!("units_{fy}"));
                header.push(format!("codes_{fy}"));
            }
            header.extend(["units", "distinct_codes", "score", "met"].map(String::from));
            w.write_record(&header)?;
            let progress = indicatif::ProgressBar::new_spinner();
            progress.set_message("doctors / 医師");
            let mut failed = None;
            let totals = provider
                .national_credits(fiscal_year, |s| {
                    let mut row = vec![s.subscriber_id.clone()];
                    for y in &s.years {
                        row.push(y.units.to_string());
                        row.push(y.codes.len().to_string());
                    }
                    row.push(s.progress.units.to_string());
                    row.push(distinct_codes(&s.years).to_string());
                    row.push(s.progress.score().to_string());
                    row.push(if s.progress.met { "1" } else { "0" }.to_owned());
                    if let Err(e) = w.write_record(&row) {
                        failed.get_or_insert(e);
                    }
                    progress.inc(1);
                })
                .await?;
            progress.finish_and_clear();
            if let Some(e) = failed {
                return Err(e.into());
            }
            hpki_ca::datadir::write_atomic(&out, &w.into_inner()?, false)?;
            println!(
                "{} doctors, {} taps; {} reach the certificate / 医師 {} 名・タップ {} 件・認定証の要件を満たす医師 {} 名: {}",
                totals.doctors,
                totals.taps,
                totals.certified,
                totals.doctors,
                totals.taps,
                totals.certified,
                out.display()
            );
            Ok(())
        }
    }
}
