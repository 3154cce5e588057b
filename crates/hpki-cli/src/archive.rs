//! The archive of signed documents at the console: `hpki archive …` (hpki-archive; see
//! docs/archive.md).
//!
//! Documents are kept in the data directory's database, at B-LTA; `hpki archive renew` is the
//! job that adds an archive time-stamp before the last one's TSA certificate expires (run it
//! daily from cron or a systemd timer); deletion is refused until the retention period ends.
//! The document types and the renewal margin are `archive.toml` of the data directory (or
//! `--config`), over the shipped table. Time-stamps and validation data come over HTTP
//! (hpki-fetch): `--tsa` and the certificates of `--trust` / `--chain`. No CA key is opened.

use crate::failure::{Context as _, fail, on_one_line};
use hpki_text::Text;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Result;
use clap::{Args, Subcommand};
use hpki_archive::{
    Archive, ArchiveConfig, NewDocument, RenewalEvent, Sources, format_jst, parse_time,
};
use hpki_store::ArchiveFilter;
use indicatif::{ProgressBar, ProgressStyle};
use x509_cert::Certificate;

use crate::{Common, actor, open, read, report, write};

/// The archive configuration looked for in the data directory.
pub(crate) const CONFIG_FILE: &str = "archive.toml";

/// Where time-stamps and validation data come from.
#[derive(Args)]
pub(crate) struct Network {
    /// The RFC 3161 time-stamping authority of the archive time-stamps, e.g.
    /// http://127.0.0.1:8080/tsa.
    #[arg(long, value_name = "URL")]
    tsa: String,
    /// Trusted root certificate(s) the validation data's chains end at (repeatable; known,
    /// not fetched).
    #[arg(long = "trust", value_name = "ROOT.pem")]
    trust: Vec<PathBuf>,
    /// Intermediate certificates known without fetching (repeatable), e.g. the signing CA's.
    #[arg(long = "chain", value_name = "CA.pem")]
    chain: Vec<PathBuf>,
}

/// The archive's configuration file.
#[derive(Args)]
pub(crate) struct ConfigArg {
    /// Document types and renewal margin (TOML, see docs/archive.md); default: archive.toml
    /// in the data directory when present, else the shipped table.
    #[arg(long, value_name = "archive.toml")]
    config: Option<PathBuf>,
}

#[derive(Subcommand)]
pub(crate) enum ArchiveCommand {
    /// Archive a signed document (CAdES .p7s/.p7m, PAdES .pdf, XAdES .xml): checked, raised
    /// to B-LTA when below, kept for its type's retention period (文書の保管).
    Add {
        #[command(flatten)]
        common: Common,
        #[command(flatten)]
        config: ConfigArg,
        /// Document type: its id or Japanese name (`hpki archive types`).
        #[arg(long = "type", value_name = "TYPE")]
        document_type: String,
        /// A title for the operator.
        #[arg(long)]
        title: String,
        /// The signed document.
        #[arg(long = "in", value_name = "SIGNED")]
        input: PathBuf,
        /// The signed content of a detached signature (kept with it).
        #[arg(long, value_name = "CONTENT")]
        detached: Option<PathBuf>,
        /// Count the retention period from this later date instead of the signature's time
        /// (e.g. the day a 診療録 was completed); RFC 3339 or YYYY-MM-DD (JST). It may only
        /// lengthen the period.
        #[arg(long, value_name = "TIME")]
        retain_from: Option<String>,
        #[command(flatten)]
        network: Network,
    },
    /// The archived documents (一覧): retention, next renewal, renewals.
    List {
        #[command(flatten)]
        common: Common,
        /// Only the documents whose archive time-stamp is due (at --now).
        #[arg(long)]
        due: bool,
        /// Also the deleted ones (tombstones).
        #[arg(long, conflicts_with = "due")]
        all: bool,
        /// The time --due is judged at: RFC 3339 or YYYY-MM-DD (JST); default now.
        #[arg(long, value_name = "TIME")]
        now: Option<String>,
    },
    /// The renewal job (アーカイブタイムスタンプの更新): every document due gets one more
    /// archive time-stamp. Run it daily; exits 1 if any document failed.
    Renew {
        #[command(flatten)]
        common: Common,
        #[command(flatten)]
        config: ConfigArg,
        #[command(flatten)]
        network: Network,
        /// Run as of this time (the operator's clock; tests): RFC 3339 or YYYY-MM-DD (JST).
        #[arg(long, value_name = "TIME")]
        now: Option<String>,
        /// Renew these documents now, due or not (after the TSA certificate was replaced, or
        /// when a hash algorithm weakens); repeatable.
        #[arg(long = "id", value_name = "N")]
        ids: Vec<i64>,
    },
    /// Delete a document whose retention period has ended (削除): the bytes go, a tombstone
    /// stays; refused (and audited) before the end.
    Delete {
        #[command(flatten)]
        common: Common,
        #[command(flatten)]
        config: ConfigArg,
        /// The document's number.
        #[arg(long)]
        id: i64,
        /// Why (kept in the tombstone and the audit log).
        #[arg(long)]
        reason: String,
        /// Delete as of this time (the operator's clock; audited as given, next to the real
        /// time): RFC 3339 or YYYY-MM-DD (JST).
        #[arg(long, value_name = "TIME")]
        now: Option<String>,
    },
    /// Write a document's current signed bytes, with every archive time-stamp so far
    /// (書き出し).
    Export {
        #[command(flatten)]
        common: Common,
        /// The document's number.
        #[arg(long)]
        id: i64,
        /// Where the signed document goes.
        #[arg(long)]
        out: PathBuf,
        /// Where the detached content goes (detached signatures).
        #[arg(long, value_name = "FILE")]
        content_out: Option<PathBuf>,
    },
    /// The document types with their retention periods and legal basis (文書種別と保存期間).
    Types {
        /// Data directory whose archive.toml applies (optional).
        #[arg(long, env = "HPKI_DIR")]
        dir: Option<PathBuf>,
        #[command(flatten)]
        config: ConfigArg,
    },
}

/// The configuration: `--config`, else `archive.toml` in `dir`, else the shipped one.
fn config(dir: Option<&Path>, arg: &ConfigArg) -> Result<ArchiveConfig> {
    let default_path = dir.map(|d| d.join(CONFIG_FILE));
    let path = match (&arg.config, default_path) {
        (Some(p), _) => p.clone(),
        (None, Some(p)) if p.exists() => p,
        _ => return Ok(ArchiveConfig::default()),
    };
    let text = String::from_utf8(read(&path)?).context_text(|| {
        Text::new(
            format!("{} は UTF-8 ではありません", path.display()),
            format!("{} is not UTF-8", path.display()),
        )
    })?;
    ArchiveConfig::from_toml(&text).context_text(|| Text::same(path.display().to_string()))
}

async fn archive(common: &Common, arg: &ConfigArg) -> Result<Archive> {
    let config = config(Some(&common.dir), arg)?;
    let engine = open(common, false).await?;
    Ok(Archive::new(engine.store.clone(), config))
}

fn certificates(path: &Path) -> Result<Vec<Certificate>> {
    hpki_verify::input::certificates(&read(path)?).context_text(|| {
        Text::new(
            format!("{} から証明書を読めません", path.display()),
            format!("{} holds no certificate", path.display()),
        )
    })
}

fn sources(network: &Network) -> Result<Sources> {
    let mut known = Vec::new();
    for p in network.chain.iter().chain(&network.trust) {
        known.extend(certificates(p)?);
    }
    Ok(Sources {
        time_stamper: Arc::new(hpki_fetch::HttpTimeStamper::new(network.tsa.clone())),
        validation: Arc::new(hpki_fetch::HttpValidationSource::new(known)),
    })
}

/// `--now`, or the system clock; Unix seconds.
fn now(arg: Option<&str>) -> Result<i64> {
    let clock = system_now();
    match arg {
        None => Ok(clock),
        Some(s) => Ok(parse_time(s)?),
    }
}

fn system_now() -> i64 {
    crate::clock().unix()
}

pub(crate) async fn run(cmd: ArchiveCommand) -> Result<ExitCode> {
    match cmd {
        ArchiveCommand::Add {
            common,
            config,
            document_type,
            title,
            input,
            detached,
            retain_from,
            network,
        } => {
            let archive = archive(&common, &config).await?;
            let sources = sources(&network)?;
            let signed = read(&input)?;
            let detached_content = detached.as_deref().map(read).transpose()?;
            let retain_from = retain_from.as_deref().map(parse_time).transpose()?;
            let file_name = input
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let pb = crate::spinner("archiving / 保管処理中");
            let added = archive
                .add(
                    NewDocument {
                        document_type,
                        title,
                        file_name,
                        signed,
                        detached_content,
                        retain_from,
                    },
                    &sources,
                    &actor(),
                    system_now(),
                )
                .await;
            pb.finish_and_clear();
            let added = added?;
            let r = &added.record;
            println!(
                "archived document {} / 文書 {} を保管しました: {} {} ({}{})",
                r.id,
                r.id,
                hpki_archive::Format::parse(&r.format)
                    .map(|f| f.to_string())
                    .unwrap_or_else(|| r.format.clone()),
                r.document_type,
                added.level_on_arrival.name(),
                if added.raised {
                    " → B-LTA"
                } else {
                    ", B-LTA"
                }
            );
            println!("  signer / 署名者: {}", r.signer_subject);
            println!(
                "  kept until / 保存期限: {} ({} years / 年, from / 起算 {})",
                format_jst(r.retain_until),
                r.retain_years,
                format_jst(r.retain_from)
            );
            println!(
                "  archive time-stamp / アーカイブタイムスタンプ: serial {} at {} by {}",
                added.latest.serial_hex,
                format_jst(added.latest.gen_time),
                added.latest.tsa_subject
            );
            println!(
                "  next renewal due / 次回更新期限: {}",
                format_jst(r.next_renewal_due)
            );
        }
        ArchiveCommand::List {
            common,
            due,
            all,
            now: at,
        } => {
            let archive = archive(&common, &ConfigArg { config: None }).await?;
            let at = now(at.as_deref())?;
            let filter = ArchiveFilter {
                due_at: due.then_some(at),
                include_deleted: all,
            };
            println!(
                "{:>4} {:<6} {:<26} {:<10} {:<10} {:>3} {:<8} title",
                "id", "format", "type", "kept_until", "renew_due", "ts+", "status"
            );
            for r in archive.list(filter).await? {
                let status = match r.deleted_at {
                    Some(_) => "deleted",
                    None if r.next_renewal_due <= at => "DUE",
                    None => "ok",
                };
                println!(
                    "{:>4} {:<6} {:<26} {:<10} {:<10} {:>3} {:<8} {}",
                    r.id,
                    r.format,
                    r.document_type,
                    hpki_archive::retention::date_jst(r.retain_until),
                    hpki_archive::retention::date_jst(r.next_renewal_due),
                    r.renewals,
                    status,
                    r.title
                );
            }
        }
        ArchiveCommand::Renew {
            common,
            config,
            network,
            now: at,
            ids,
        } => {
            let archive = archive(&common, &config).await?;
            let sources = sources(&network)?;
            let at = now(at.as_deref())?;
            let pb = ProgressBar::new(0);
            pb.set_style(
                ProgressStyle::with_template("{bar:40} {pos}/{len} {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            let line = |pb: &ProgressBar, text: String| report(pb, text);
            let mut progress = |event: &RenewalEvent| match event {
                RenewalEvent::Started { total } => {
                    pb.set_length(*total as u64);
                    line(
                        &pb,
                        format!(
                            "{total} document(s) due at {} / 更新対象 {total} 件",
                            format_jst(at)
                        ),
                    );
                }
                RenewalEvent::Renewed(r) => {
                    let mut text = format!(
                        "  {} {}: renewed / 更新しました: serial {} at {}, next due / 次回期限 {}",
                        r.id,
                        r.title,
                        r.time_stamp.serial_hex,
                        format_jst(r.time_stamp.gen_time),
                        format_jst(r.next_renewal_due)
                    );
                    if r.late {
                        text.push_str(
                                "\n    WARNING: the previous archive time-stamp's TSA certificate had expired: renewed too late / 警告: 前回のタイムスタンプ局証明書の期限後の更新です",
                            );
                    }
                    if r.still_due {
                        text.push_str(
                                "\n    WARNING: the TSA's certificate expires within the margin too: renew the TSA certificate / 警告: タイムスタンプ局の証明書も期限間近です。証明書を更新してください",
                            );
                    }
                    line(&pb, text);
                    pb.inc(1);
                }
                RenewalEvent::Failed(f) => {
                    line(
                        &pb,
                        format!(
                            "  {} {}: FAILED / 失敗: {}",
                            f.id,
                            f.title,
                            on_one_line(&f.error)
                        ),
                    );
                    pb.inc(1);
                }
            };
            let report = if ids.is_empty() {
                archive
                    .renew_due(at, &sources, &actor(), &mut progress)
                    .await?
            } else {
                archive
                    .renew_documents(&ids, at, &sources, &actor(), &mut progress)
                    .await
            };
            pb.finish_and_clear();
            println!(
                "{} renewed, {} failed / 更新 {} 件、失敗 {} 件",
                report.renewed.len(),
                report.failed.len(),
                report.renewed.len(),
                report.failed.len()
            );
            if !report.failed.is_empty() {
                return Ok(ExitCode::FAILURE);
            }
        }
        ArchiveCommand::Delete {
            common,
            config,
            id,
            reason,
            now: at,
        } => {
            let archive = archive(&common, &config).await?;
            let clock = system_now();
            let at = now(at.as_deref())?;
            if at != clock {
                eprintln!(
                    "note: deleting as of {} (not the system clock {}); both are audited / 注意: 指定日時で削除します（監査ログに記録されます）",
                    format_jst(at),
                    format_jst(clock)
                );
            }
            let r = archive.delete(id, &actor(), &reason, at).await?;
            println!(
                "deleted the bytes of document {} ({}); the record stays as a tombstone (sha256 {}) / 文書 {} を削除しました（記録は残ります）",
                r.id, r.title, r.sha256, r.id
            );
        }
        ArchiveCommand::Export {
            common,
            id,
            out,
            content_out,
        } => {
            let archive = archive(&common, &ConfigArg { config: None }).await?;
            let (signed, content) = archive.export(id).await?;
            write(&out, &signed)?;
            match (content, content_out) {
                (Some(c), Some(path)) => {
                    write(&path, &c)?;
                    println!("wrote {} / 書き出しました", path.display());
                }
                (Some(_), None) => eprintln!(
                    "note: the signature is detached: --content-out writes its document / 注意: 分離署名です（--content-out で文書を書き出せます）"
                ),
                (None, Some(_)) => {
                    return Err(fail(
                        format!("文書 {id} に分離した文書はありません"),
                        format!("document {id} has no detached content"),
                    ));
                }
                (None, None) => {}
            }
            println!(
                "wrote {} ({} bytes) / 書き出しました",
                out.display(),
                signed.len()
            );
        }
        ArchiveCommand::Types { dir, config: arg } => {
            let config = config(dir.as_deref(), &arg)?;
            println!(
                "renewal margin / 更新の余裕: {} days / 日",
                config.renewal_margin_days
            );
            println!(
                "{:<28} {:>5} {:<7} {:<16} {:<34} document / 書類",
                "id", "years", "source", "profession", "basis / 根拠"
            );
            for t in config.types.all() {
                println!(
                    "{:<28} {:>5} {:<7} {:<16} {:<34} {} / {}",
                    t.id,
                    t.retention_years,
                    t.source.as_str(),
                    t.profession_ja,
                    t.basis,
                    t.ja,
                    t.en
                );
                if let Some(note) = &t.note {
                    println!("{:<28}   note: {note}", "");
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
