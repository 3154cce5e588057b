//! `hpki-reader`: the seminar reception's card reader program. See the library's module map.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use hpki_reader::announce::Announcer;
use hpki_reader::contactless::Readers;
use hpki_reader::queue::Queue;
use hpki_reader::server::{Delivery, Server};
use hpki_text::Text;

/// 医師資格証の出欠リーダー: holds the seminar's attendance at the reception.
#[derive(Parser)]
#[command(name = "hpki-reader", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args)]
struct Connection {
    /// The hpki server (`https://hpki.example.jp`, or `http://` on the venue's own network).
    #[arg(long)]
    server: String,
    /// A file holding the reader token the office created for this event.
    #[arg(long)]
    token_file: PathBuf,
    /// For HTTPS: the CA certificates (PEM) to trust for the server.
    #[arg(long)]
    ca: Option<PathBuf>,
    /// The local queue (SQLite; created if missing). Keep it on this PC's disk.
    #[arg(long, default_value = "hpki-reader-queue.db")]
    queue: PathBuf,
}

#[derive(Subcommand)]
enum Command {
    /// Reads every card held to the reader and records it: queued first, sent in order, the
    /// result shown (and spoken with --say); runs until stopped (Ctrl-C; the queue keeps
    /// whatever was not sent).
    Run {
        #[command(flatten)]
        connection: Connection,
        /// The event this reader is for: a token of another event is reported.
        #[arg(long)]
        event: Option<i64>,
        /// Only the readers whose name contains this.
        #[arg(long)]
        reader: Option<String>,
        /// A speech program that speaks the Japanese result (the message is appended), e.g.
        /// "espeak-ng -v ja" or "spd-say -l ja".
        #[arg(long)]
        say: Option<String>,
    },
    /// Checks a reader and a card: lists the readers, waits for a card, shows its ATR and UID.
    /// Nothing is recorded.
    Test {
        /// Only the readers whose name contains this.
        #[arg(long)]
        reader: Option<String>,
        /// Seconds to wait for a card.
        #[arg(long, default_value_t = 30)]
        wait: u64,
    },
    /// Sends the queued taps now, in order, and says what is left.
    Upload {
        #[command(flatten)]
        connection: Connection,
    },
}

fn server_of(c: &Connection) -> Result<Server> {
    let token = std::fs::read_to_string(&c.token_file)
        .with_context(|| format!("reading the token file {}", c.token_file.display()))?;
    let ca = match &c.ca {
        Some(p) => Some(std::fs::read(p).with_context(|| format!("reading {}", p.display()))?),
        None => None,
    };
    if c.server.starts_with("https://") && ca.is_none() {
        bail!(
            "HTTPS には --ca（サーバーの CA 証明書）が必要です / HTTPS needs --ca (the server's CA certificates)"
        );
    }
    Ok(Server::new(&c.server, &token, ca.as_deref())?)
}

/// Sends the queue in order until it is empty or a tap cannot be sent now; tells the result of
/// the tap `just` as the answer to the person at the reader, and of earlier ones as uploads.
/// Returns whether everything queued was sent.
async fn flush(
    queue: &Queue,
    server: &Server,
    tell: &Announcer,
    just: Option<i64>,
    event: Option<i64>,
) -> Result<bool> {
    loop {
        let pending = queue.pending(100).await?;
        if pending.is_empty() {
            return Ok(true);
        }
        for tap in pending {
            match server.send(&tap) {
                Delivery::Answered(json, answer) => {
                    queue.delivered(tap.seq, &json).await?;
                    if event.is_some_and(|e| e != answer.event_id) {
                        println!(
                            "注意: このトークンは研修会 {} のものです / warning: this token is for event {}",
                            answer.event_id, answer.event_id
                        );
                    }
                    let text = Text::new(answer.message_ja.clone(), answer.message_en.clone());
                    if Some(tap.seq) == just {
                        tell.tell(&text, answer.name.as_deref());
                    } else {
                        let when = hpki_clock::jst::rfc3339_unix(tap.tapped_at);
                        println!(
                            "送信しました（{when} のタップ）/ uploaded (tap of {when}): {} / {}",
                            text.ja, text.en
                        );
                    }
                }
                Delivery::Refused(why) => {
                    queue.refused(tap.seq, &why).await?;
                    println!("サーバーが受け付けませんでした / refused by the server: {why}");
                }
                Delivery::NotNow(why) => {
                    queue.failed(tap.seq, &why).await?;
                    return Ok(false);
                }
            }
        }
    }
}

async fn run(
    connection: Connection,
    event: Option<i64>,
    reader: Option<String>,
    say: Option<String>,
) -> Result<()> {
    let server = server_of(&connection)?;
    let queue = Queue::open(&connection.queue).await?;
    let clock = hpki_clock::from_env();
    let tell = Announcer::new(say.as_deref());
    let mut readers = Readers::open(reader.as_deref()).context(
        "PC/SC (pcscd) とカードリーダーを確認してください / check pcscd and the card reader",
    )?;
    println!("読み取り機 / readers: {}", readers.names().join(", "));
    let counts = queue.counts().await?;
    if counts.queued > 0 {
        println!(
            "未送信のタップ {} 件を送信します / sending {} queued taps",
            counts.queued, counts.queued
        );
    }
    println!("カードをかざしてください / hold a card to the reader");
    let mut backoff = Duration::from_secs(1);
    let mut retry_at = Instant::now();
    loop {
        match readers.next_card(Duration::from_millis(500))? {
            Some(card) => {
                let tap = queue.push(Some(&card.uid), None, clock.unix()).await?;
                if !flush(&queue, &server, &tell, Some(tap.seq), event).await? {
                    tell.tell(
                        &Text::new(
                            "記録しました（サーバーに接続できません。あとで送信します）",
                            "Recorded (the server cannot be reached; it will be sent later)",
                        ),
                        None,
                    );
                    retry_at = Instant::now() + backoff;
                }
            }
            None if Instant::now() >= retry_at => {
                if flush(&queue, &server, &tell, None, event).await? {
                    backoff = Duration::from_secs(1);
                } else {
                    backoff = (backoff * 2).min(Duration::from_secs(30));
                }
                retry_at = Instant::now() + backoff;
            }
            None => {}
        }
    }
}

fn test(reader: Option<String>, wait: u64) -> Result<()> {
    let mut readers = Readers::open(reader.as_deref()).context(
        "PC/SC (pcscd) とカードリーダーを確認してください / check pcscd and the card reader",
    )?;
    println!("読み取り機 / readers: {}", readers.names().join(", "));
    println!("カードをかざしてください（{wait} 秒） / hold a card to the reader ({wait} s)");
    let until = Instant::now() + Duration::from_secs(wait);
    while Instant::now() < until {
        if let Some(card) = readers.next_card(Duration::from_millis(500))? {
            println!(
                "reader: {}\nATR: {}\nUID: {}",
                card.reader, card.atr, card.uid
            );
            return Ok(());
        }
    }
    bail!("カードが読み取れませんでした / no card was read")
}

async fn upload(connection: Connection) -> Result<()> {
    let server = server_of(&connection)?;
    let queue = Queue::open(&connection.queue).await?;
    let all = flush(&queue, &server, &Announcer::new(None), None, None).await?;
    let c = queue.counts().await?;
    println!(
        "未送信 {} 件・送信済み {} 件・受付不可 {} 件 / queued {}, delivered {}, refused {}",
        c.queued, c.delivered, c.refused, c.queued, c.delivered, c.refused
    );
    if !all {
        bail!(
            "サーバーに送信できないタップが残っています / taps remain that the server could not take now"
        );
    }
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<()> {
    match Cli::parse().command {
        Command::Run {
            connection,
            event,
            reader,
            say,
        } => run(connection, event, reader, say).await,
        Command::Test { reader, wait } => test(reader, wait),
        Command::Upload { connection } => upload(connection).await,
    }
}
