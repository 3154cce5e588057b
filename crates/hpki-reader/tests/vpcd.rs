//! `hpki-reader` against pcscd with vsmartcard's virtual reader (`vsmartcard-vpcd`) and a small
//! fake contactless card that answers GET DATA `FF CA 00 00 00` with its UID, as a venue's
//! reception PC runs it: `hpki-reader test` reads the card; `hpki-reader run` records the
//! doctor's entry; the server goes down; the exit is recorded in the local queue; the server
//! comes back and the exit arrives, once, after the entry, with the reader's own time; the
//! doctor's credits follow.
//!
//! Needs pcscd running with the vpcd driver (`scripts/test.sh` installs `vsmartcard-vpcd` and
//! starts pcscd); the virtual card connects to vpcd's first slot, 127.0.0.1:35963.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use hpki_ca::ceremony::{InitOptions, build_csr, init_with_clock};
use hpki_keys::{KeyKind, SoftwareKey};
use hpki_provider::Provider;
use hpki_provider::attendance::events::{EventInput, TalkInput};
use hpki_registration::Registration;
use hpki_store::{AuditEvent, CardStatus, NewCard};

/// vpcd's first slot ("Virtual PCD 00 00").
const VPCD: &str = "127.0.0.1:35963";
const READER: &str = "Virtual PCD 00 00";
/// A MIFARE-style contactless ATR (PC/SC part 3).
const ATR: [u8; 20] = [
    0x3B, 0x8F, 0x80, 0x01, 0x80, 0x4F, 0x0C, 0xA0, 0x00, 0x00, 0x03, 0x06, 0x03, 0x00, 0x01, 0x00,
    0x00, 0x00, 0x00, 0x6A,
];
const UID: [u8; 7] = [0x04, 0xA1, 0xB2, 0xC3, 0xD4, 0xE5, 0xF6];

/// A fake contactless card on vpcd: present while it is connected.
struct FakeCard {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl FakeCard {
    /// Puts the card on the reader.
    fn present() -> FakeCard {
        let stop = Arc::new(AtomicBool::new(false));
        let mut socket = connect_vpcd();
        socket
            .set_read_timeout(Some(Duration::from_millis(200)))
            .expect("timeout");
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            while !flag.load(Ordering::SeqCst) {
                let mut len = [0u8; 2];
                match socket.read_exact(&mut len) {
                    Ok(()) => {}
                    Err(e)
                        if matches!(
                            e.kind(),
                            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                        ) =>
                    {
                        continue;
                    }
                    Err(_) => return,
                }
                socket.set_read_timeout(None).expect("timeout");
                let mut msg = vec![0u8; usize::from(u16::from_be_bytes(len))];
                if socket.read_exact(&mut msg).is_err() {
                    return;
                }
                socket
                    .set_read_timeout(Some(Duration::from_millis(200)))
                    .expect("timeout");
                let reply: Option<Vec<u8>> = match msg.as_slice() {
                    [4] => Some(ATR.to_vec()), // get ATR
                    [0] | [1] | [2] => None,   // off, on, reset
                    [0xFF, 0xCA, 0x00, 0x00, _] => Some([&UID[..], &[0x90, 0x00]].concat()),
                    _ => Some(vec![0x6D, 0x00]), // instruction not supported
                };
                if let Some(r) = reply {
                    let len = u16::try_from(r.len()).expect("short").to_be_bytes();
                    if socket.write_all(&[&len[..], &r].concat()).is_err() {
                        return;
                    }
                }
            }
        });
        FakeCard {
            stop,
            thread: Some(thread),
        }
    }

    /// Takes the card off the reader, and waits until PC/SC has seen it go.
    fn remove(mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            t.join().expect("card thread");
        }
        std::thread::sleep(Duration::from_millis(1500));
    }
}

fn connect_vpcd() -> TcpStream {
    let until = Instant::now() + Duration::from_secs(10);
    loop {
        match TcpStream::connect(VPCD) {
            Ok(s) => return s,
            Err(e) if Instant::now() > until => {
                panic!(
                    "vpcd at {VPCD}: {e}: start pcscd with vsmartcard-vpcd installed (scripts/test.sh does)"
                )
            }
            Err(_) => std::thread::sleep(Duration::from_millis(200)),
        }
    }
}

/// The server on its own runtime, so that stopping it closes every connection, as a crash does.
struct Server {
    rt: tokio::runtime::Runtime,
}

impl Server {
    fn start(engine: Arc<hpki_ca::Engine>, addr: SocketAddr) -> (Server, SocketAddr) {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let (tx, rx) = mpsc::channel();
        rt.spawn(hpki_server::serve_listeners(
            engine,
            hpki_server::Listeners::public(addr),
            move |b| {
                let _ = tx.send(b.public);
            },
        ));
        let bound = rx.recv_timeout(Duration::from_secs(30)).expect("listening");
        (Server { rt }, bound)
    }

    fn stop(self) {
        self.rt.shutdown_background();
    }
}

/// Lines of a child's stdout, as they come.
fn lines_of(child: &mut Child) -> mpsc::Receiver<String> {
    let out = child.stdout.take().expect("stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    rx
}

/// Waits for a line containing `what`; every line read on the way is returned too.
fn expect_line(rx: &mpsc::Receiver<String>, what: &str, seen: &mut Vec<String>) -> String {
    let until = Instant::now() + Duration::from_secs(60);
    while Instant::now() < until {
        if let Ok(line) = rx.recv_timeout(Duration::from_millis(200)) {
            seen.push(line.clone());
            if line.contains(what) {
                return line;
            }
        }
    }
    panic!("no line with {what:?}; the reader said: {seen:#?}");
}

fn jst(day: time::Date, hh: u8, mm: u8) -> i64 {
    time::PrimitiveDateTime::new(day, time::Time::from_hms(hh, mm, 0).expect("time"))
        .assume_offset(hpki_clock::jst::OFFSET)
        .unix_timestamp()
}

fn audit(action: &str) -> AuditEvent {
    AuditEvent {
        actor: "test".into(),
        action: action.into(),
        object: String::new(),
        details: serde_json::json!({}),
    }
}

#[test]
fn the_reader_records_entry_and_exit_and_uploads_the_exit_after_an_outage() {
    let setup = tokio::runtime::Runtime::new().expect("runtime");
    let dir = tempfile::tempdir().expect("tmp");
    let day = time::macros::date!(2026 - 12 - 10);
    let clock = hpki_clock::FixedClock::at_unix(jst(day, 18, 55));
    let clock_file = dir.path().join("reader-clock");
    hpki_clock::FileClock::write(&clock_file, hpki_clock::from_unix(jst(day, 18, 55)))
        .expect("clock");

    // The CA with 日医 太郎 issued through the registration authority, his card in the register
    // with its contactless UID, tomorrow's seminar and a reader token for its entrance.
    let opts = InitOptions {
        demo: true,
        database_url: None,
        public_base_url: "http://127.0.0.1".into(),
        passphrase: "reader test".into(),
        actor: "test".into(),
        hsm: None,
    };
    let engine = Arc::new(
        setup
            .block_on(init_with_clock(
                &dir.path().join("ca"),
                &opts,
                &mut |_| {},
                clock.shared(),
            ))
            .expect("CA"),
    );
    let ra = Registration::new(engine.clone());
    let provider = Provider::new(engine.clone());
    let (subscriber, event, token) = setup.block_on(async {
        ra.seed_demo("test", "test password").await.expect("seed");
        let csr = |k: &SoftwareKey| build_csr(k, x509_cert::name::Name::default()).expect("csr");
        let (sign, auth) = (
            SoftwareKey::generate(KeyKind::Rsa(2048)).expect("key"),
            SoftwareKey::generate(KeyKind::Rsa(2048)).expect("key"),
        );
        let (app, _, _) = ra
            .seed_demo_doctor(&csr(&sign), &csr(&auth))
            .await
            .expect("doctor");
        let subscriber = app.record.subscriber_id.expect("subscriber");
        let now = engine.now_unix() as i64;
        let card = NewCard {
            subscriber_id: subscriber.clone(),
            holder: "{}".into(),
            photo: None,
            issued_at: now,
            expires_at: now + 6 * 366 * 86_400,
            unblock_code_sealed: "sealed".into(),
            replaces: None,
        };
        let card_id = engine
            .store
            .create_card("JMAC611", &card, &audit("card.create"))
            .await
            .expect("card");
        engine
            .store
            .update_card(
                &card_id,
                CardStatus::Active,
                None,
                None,
                &audit("card.active"),
            )
            .await
            .expect("active");
        provider
            .register_contactless("tokyo-seminar", &card_id, &hex::encode(UID))
            .await
            .expect("UID");
        let talk = TalkInput {
            title: "医療倫理".into(),
            speaker: String::new(),
            start: "19:00".into(),
            end: "20:00".into(),
            code: Some(2),
            units: None,
            occupational: None,
        };
        let input = EventInput {
            title: "研修会".into(),
            venue: "会館".into(),
            date: day.to_string(),
            talks: vec![talk],
        };
        let event = provider
            .create_event("tokyo-seminar", "pref-13", &input)
            .await
            .expect("event");
        let reader = provider
            .create_reader("tokyo-seminar", event, "受付")
            .await
            .expect("reader");
        (subscriber, event, reader.token)
    });
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, &token).expect("token");
    let (server, addr) = Server::start(engine.clone(), "127.0.0.1:0".parse().expect("addr"));

    // hpki-reader test: the reader and the card.
    let exe = env!("CARGO_BIN_EXE_hpki-reader");
    let mut test = Command::new(exe)
        .args(["test", "--reader", READER, "--wait", "30"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("hpki-reader test");
    let rx = lines_of(&mut test);
    let mut seen = Vec::new();
    expect_line(&rx, "hold a card", &mut seen);
    let card = FakeCard::present();
    expect_line(&rx, &format!("UID: {}", hex::encode_upper(UID)), &mut seen);
    assert!(test.wait().expect("test").success());
    card.remove();

    // hpki-reader run: the entry.
    let queue = dir.path().join("queue.db");
    let mut run = Command::new(exe)
        .args(["run", "--server", &format!("http://{addr}"), "--token-file"])
        .arg(&token_file)
        .arg("--queue")
        .arg(&queue)
        .args(["--event", &event.to_string(), "--reader", READER])
        .env(hpki_clock::TEST_CLOCK_VAR, &clock_file)
        .stdout(Stdio::piped())
        .spawn()
        .expect("hpki-reader run");
    let rx = lines_of(&mut run);
    let mut seen = Vec::new();
    expect_line(&rx, "hold a card", &mut seen);
    let card = FakeCard::present();
    let line = expect_line(&rx, "受付しました", &mut seen);
    assert!(line.contains("日医太郎"), "{line}");
    card.remove();

    // The server goes down; 太郎 leaves at 20:05: the exit waits in the reader's queue.
    server.stop();
    clock.set(hpki_clock::from_unix(jst(day, 20, 5)));
    hpki_clock::FileClock::write(&clock_file, hpki_clock::from_unix(jst(day, 20, 5)))
        .expect("clock");
    let card = FakeCard::present();
    expect_line(&rx, "あとで送信します", &mut seen);
    card.remove();

    // Back on the same address: the exit arrives, once, after the entry.
    let (server, _) = Server::start(engine.clone(), addr);
    let line = expect_line(&rx, "送信しました", &mut seen);
    assert!(line.contains("退出を記録しました"), "{line}");
    let _ = run.kill();
    let _ = run.wait();

    let (taps, credits) = setup.block_on(async {
        let taps = engine.store.taps_of(&subscriber).await.expect("taps");
        let credits = provider
            .doctor_credits(&subscriber, day)
            .await
            .expect("credits");
        (taps, credits)
    });
    assert_eq!(
        taps.iter().map(|t| t.tapped_at).collect::<Vec<_>>(),
        vec![jst(day, 18, 55), jst(day, 20, 5)],
        "{taps:?}"
    );
    assert!(taps.iter().all(|t| t.flags.is_empty()), "{taps:?}");
    assert_eq!(
        credits.this_year.units,
        hpki_attendance::Units::whole(1),
        "the whole talk"
    );
    server.stop();
    setup.block_on(engine.store.close());
}
