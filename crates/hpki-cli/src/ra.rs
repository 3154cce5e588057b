//! `hpki office …` and `hpki officer …`: the registration authority's offices and officers.

use std::sync::Arc;

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use hpki_ra::Lang;
use hpki_ra::workflow::Role;
use hpki_registration::Registration;
use hpki_registration::engine::{parse_status, status_str};
use zeroize::Zeroizing;

use crate::{Common, actor, open};

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

async fn registration(common: &Common) -> Result<Registration> {
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
            let st = parse_status(&status).with_context(|| {
                format!("unknown status {status:?}: not_opened, registered or accepting")
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
            .context("no password: set HPKI_OFFICER_PASSWORD or run on a terminal")?,
    );
    let again = Zeroizing::new(rpassword::prompt_password("again / もう一度: ")?);
    if *p != *again {
        bail!("the passwords differ / パスワードが一致しません");
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
                parsed.push(Role::parse(r.trim()).with_context(|| {
                    format!("unknown role {r:?}: reception, pre_review, main_review, final_review, ca_operator, auditor, administrator")
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
