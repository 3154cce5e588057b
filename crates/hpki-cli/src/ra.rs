//! `hpki office …`, `hpki officer …` and `hpki application import`: the registration
//! authority's offices, officers, and bulk import of applications from CSV (see
//! `docs/import.md`; done on behalf of the reception officer named with `--as`).

use crate::failure::{Context as _, fail};
use hpki_text::Text;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Result;
use clap::Subcommand;
use hpki_ra::Lang;
use hpki_ra::workflow::Role;
use hpki_registration::engine::{parse_status, status_str};
use hpki_registration::{Registration, RegistrationError};
use indicatif::{ProgressBar, ProgressStyle};
use zeroize::Zeroizing;

use crate::{Common, actor, open, read, write};

#[derive(Subcommand)]
pub(crate) enum OfficeCommand {
    /// Every office with its status (受付審査局の一覧).
    List {
        #[command(flatten)]
        common: Common,
    },
    /// Create the JMA registration authority and the 47 prefectural offices (未開設) if they
    /// are missing.
    Seed {
        #[command(flatten)]
        common: Common,
    },
    /// Set a prefectural office's status: not_opened (未開設), registered (開設済み),
    /// accepting (受付可能).
    Status {
        #[command(flatten)]
        common: Common,
        /// Office ID, e.g. pref-13.
        #[arg(long)]
        office: String,
        #[arg(long)]
        status: String,
    },
}

#[derive(Subcommand)]
pub(crate) enum OfficerCommand {
    /// Create an officer (担当者の登録). Password from HPKI_OFFICER_PASSWORD or asked twice;
    /// --no-password for an API-only account.
    Add {
        #[command(flatten)]
        common: Common,
        /// Login ID (a-z 0-9 . _ -).
        #[arg(long)]
        login: String,
        /// Display name.
        #[arg(long)]
        name: String,
        /// Office ID (hq, pref-13, …; see `hpki office list`).
        #[arg(long)]
        office: String,
        /// Roles: reception, pre_review, main_review, final_review (HQ), ca_operator (HQ),
        /// auditor, administrator.
        #[arg(long, value_delimiter = ',', required = true)]
        roles: Vec<String>,
        /// No password: the officer uses API tokens only.
        #[arg(long)]
        no_password: bool,
    },
    /// Every officer.
    List {
        #[command(flatten)]
        common: Common,
    },
    /// Issue an API bearer token for an officer; printed once, only its hash is kept.
    Token {
        #[command(flatten)]
        common: Common,
        #[arg(long)]
        login: String,
        /// What the token is for.
        #[arg(long, default_value = "api")]
        label: String,
    },
}

/// The registration engine over the data directory of `common` (no keys).
pub(crate) async fn registration(common: &Common) -> Result<Registration> {
    Ok(Registration::new(Arc::new(open(common, false).await?)))
}

pub(crate) async fn office(cmd: OfficeCommand) -> Result<()> {
    match cmd {
        OfficeCommand::List { common } => {
            let ra = registration(&common).await?;
            for o in ra.offices().await? {
                let status = parse_status(&o.status)
                    .map(|s| s.label(Lang::Ja))
                    .unwrap_or("?");
                println!("{:<20} {:<12} {:<8} {}", o.id, o.kind, status, o.name_ja);
            }
        }
        OfficeCommand::Seed { common } => {
            let ra = registration(&common).await?;
            let n = ra.seed_offices(&actor(), &[], false).await?;
            println!("{n} offices created / {n} 件の局を作成しました");
        }
        OfficeCommand::Status {
            common,
            office,
            status,
        } => {
            let st = parse_status(&status).context_text(|| {
                Text::new(
                    format!(
                        "状態 {status:?} は不明です（not_opened・registered・accepting のいずれか）"
                    ),
                    format!("unknown status {status:?}: not_opened, registered or accepting"),
                )
            })?;
            let ra = registration(&common).await?;
            ra.set_office_status_by_operator(&actor(), &office, st)
                .await?;
            println!(
                "{office}: {} ({}) / 状態を変更しました",
                st.label(Lang::Ja),
                status_str(st)
            );
        }
    }
    Ok(())
}

fn officer_password() -> Result<Zeroizing<String>> {
    if let Ok(p) = std::env::var("HPKI_OFFICER_PASSWORD") {
        return Ok(Zeroizing::new(p));
    }
    let p = Zeroizing::new(
        rpassword::prompt_password("password / パスワード: ")
            .context_text(|| {
                Text::new(
                    "パスワードがありません（HPKI_OFFICER_PASSWORD を設定するか端末で実行してください）",
                    "no password: set HPKI_OFFICER_PASSWORD or run on a terminal",
                )
            })?,
    );
    let again = Zeroizing::new(rpassword::prompt_password("again / もう一度: ")?);
    if *p != *again {
        return Err(fail("パスワードが一致しません", "the passwords differ"));
    }
    Ok(p)
}

pub(crate) async fn officer(cmd: OfficerCommand) -> Result<()> {
    match cmd {
        OfficerCommand::Add {
            common,
            login,
            name,
            office,
            roles,
            no_password,
        } => {
            let mut parsed = Vec::new();
            for r in &roles {
                parsed.push(Role::parse(r.trim()).context_text(|| {
                    Text::new(
                        format!("権限 {r:?} は不明です（reception・pre_review・main_review・final_review・ca_operator・auditor・administrator）"),
                        format!("unknown role {r:?}: reception, pre_review, main_review, final_review, ca_operator, auditor, administrator"),
                    )
                })?);
            }
            let password = if no_password {
                None
            } else {
                Some(officer_password()?)
            };
            let ra = registration(&common).await?;
            ra.add_officer(
                &actor(),
                &login,
                &name,
                &office,
                &parsed,
                password.as_deref().map(|p| p.as_str()),
            )
            .await?;
            println!("officer {login} created / 担当者 {login} を登録しました");
        }
        OfficerCommand::List { common } => {
            let ra = registration(&common).await?;
            for o in ra.ca().store.officers().await? {
                println!(
                    "{:<20} {:<20} {:<40} {}",
                    o.login,
                    o.office_id,
                    o.roles.join(","),
                    o.name
                );
            }
        }
        OfficerCommand::Token {
            common,
            login,
            label,
        } => {
            let ra = registration(&common).await?;
            let token = ra.issue_token(&actor(), &login, &label).await?;
            println!("{token}");
        }
    }
    Ok(())
}

#[derive(Subcommand)]
pub(crate) enum ApplicationCommand {
    /// Import applications from CSV (申請の一括登録; format: docs/import.md) on behalf of a
    /// reception officer: a row that passes is received (受付), a row whose form or documents
    /// fail is kept as a draft and reported, a row that cannot be read is reported and not
    /// imported. A file with an unknown column is refused whole.
    ///
    /// Exit status: 0 when every row was received; 3 when some row was not (kept as a draft
    /// or not imported; see the report); 1 when the file was refused whole or on any other
    /// error.
    Import {
        #[command(flatten)]
        common: Common,
        /// The reception officer the applications are received by (their office receives
        /// them).
        #[arg(long = "as", value_name = "LOGIN")]
        officer: String,
        /// The CSV file.
        #[arg(long)]
        csv: PathBuf,
        /// Also write the per-row report as CSV (row, application_id, stage, field, code,
        /// message_ja, message_en).
        #[arg(long)]
        report: Option<PathBuf>,
    },
    /// 発行 on a card: personalise the blank card in the reader for an approved application
    /// (最終審査済), as the CA operator named with --as. The applicant's PIN from
    /// HPKI_CARD_PIN or asked. Under custody add --custodian.
    IssueCard {
        #[command(flatten)]
        common: Common,
        #[command(flatten)]
        reader: crate::card::Reader,
        /// The application number.
        #[arg(long)]
        id: i64,
        /// The CA operator of the registration authority who issues.
        #[arg(long = "as", value_name = "LOGIN")]
        officer: String,
        /// Slot of the blank card (default: the first uninitialised token).
        #[arg(long)]
        slot: Option<u64>,
    },
}

pub(crate) async fn application(cmd: ApplicationCommand) -> Result<ExitCode> {
    match cmd {
        ApplicationCommand::Import {
            common,
            officer,
            csv,
            report,
        } => import(common, officer, csv, report).await,
        ApplicationCommand::IssueCard {
            common,
            reader,
            id,
            officer,
            slot,
        } => issue_card(common, reader, id, officer, slot).await,
    }
}

async fn issue_card(
    common: Common,
    reader: crate::card::Reader,
    id: i64,
    officer: String,
    slot: Option<u64>,
) -> Result<ExitCode> {
    {
        let pin = crate::card::card_pin(true)?;
        let ra = Registration::new(Arc::new(open(&common, true).await?));
        let officer = ra.officer(&officer).await?;
        let app = ra.get(&officer, id).await?;
        let blank = hpki_token::Pkcs11BlankCard {
            module: reader.module(Some(ra.ca()))?,
            slot,
        };
        let pb = crate::spinner("personalising the card / カードを発行中");
        let issued = ra
            .issue_with_card(&officer, id, app.record.version, &blank, &pin)
            .await;
        pb.finish_and_clear();
        let (app, card) = issued?;
        println!(
            "application {id}: {} — card {} (signing {}, authentication {}) / カードを発行しました",
            app.stage.label(Lang::Ja),
            card.card_id,
            card.sign.serial_hex,
            card.auth.serial_hex
        );
        Ok(ExitCode::SUCCESS)
    }
}

async fn import(
    common: Common,
    officer: String,
    csv: PathBuf,
    report: Option<PathBuf>,
) -> Result<ExitCode> {
    let data = read(&csv)?;
    let ra = registration(&common).await?;
    let on_behalf = match ra.officer(&officer).await {
        Ok(o) => o,
        Err(RegistrationError::NotAuthenticated) => {
            return Err(fail(
                format!("担当者 {officer} は存在しないか無効です"),
                format!("no active officer {officer:?}"),
            ));
        }
        Err(e) => return Err(e.into()),
    };
    let pb = ProgressBar::new(0);
    pb.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} {msg} ({eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    pb.set_message("importing / 登録中");
    let result = ra
        .import_csv_by_operator(&actor(), &on_behalf, &data, &mut |done, total| {
            pb.set_length(total as u64);
            pb.set_position(done as u64);
        })
        .await;
    pb.finish_and_clear();
    let r = result?;
    for row in &r.rows {
        let what = match (row.application_id, row.stage) {
            (Some(id), Some(stage)) if row.errors.is_empty() => format!(
                "{} / {} — application {id}",
                stage.as_str(),
                stage.label(Lang::Ja)
            ),
            (Some(id), stage) => format!(
                "kept as {} / 下書きとして保存 — application {id}",
                stage.map(|s| s.as_str()).unwrap_or("draft")
            ),
            (None, _) => "not imported / 取り込みなし".to_owned(),
        };
        println!("  row {}: {what}", row.row);
        for e in &row.errors {
            let field = if e.field.is_empty() {
                "(row)"
            } else {
                &e.field
            };
            println!("      {field}: {} / {}", e.message_ja, e.message_en);
        }
    }
    println!(
        "{} received, {} kept as drafts, {} not imported / 受付 {} 件、下書き {} 件、取り込みなし {} 件",
        r.received(),
        r.drafts(),
        r.not_imported(),
        r.received(),
        r.drafts(),
        r.not_imported()
    );
    if let Some(path) = report {
        write(&path, r.to_csv()?.as_bytes())?;
        println!("report → {} / 結果を書き出しました", path.display());
    }
    Ok(if r.all_received() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(3)
    })
}
