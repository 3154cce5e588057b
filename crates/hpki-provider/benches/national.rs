//! The national yearly run of the 日医生涯教育制度 against its physical limit, on generated data:
//! `HPKI_BENCH_DOCTORS` doctors (default 300,000) × 3 fiscal years, each attending 4 of the
//! year's 2,000 seminars (two talks each) a year, entry and exit: 7.2 million taps at the
//! default, in a SQLite file. Measured in the same run:
//!
//! - the limit: the database streaming the same rows in the same order, doing nothing with them
//!   (`SELECT … ORDER BY subscriber_id, tapped_at`): the run cannot be faster than reading its
//!   input;
//! - the run: `Provider::national_credits`, every doctor's standing computed.
//!
//! The target is < 60 s for 300,000 doctors × 3 years on 2 cores.
//!
//! `cargo bench -p hpki-provider --bench national` (`HPKI_BENCH_DOCTORS=30000` for a quick look).

use std::sync::Arc;
use std::time::Instant;

use hpki_ca::ceremony::{InitOptions, init_with_clock};
use hpki_provider::Provider;
use sqlx::Connection;

const EVENTS_PER_YEAR: i64 = 2_000;
const ATTENDED_PER_YEAR: i64 = 4;
const FIRST_YEAR: i32 = 2024;

/// Unix seconds of 19:00 JST on day `d` of fiscal year `fy` (day 0 = 1 April).
fn evening(fy: i32, d: i64) -> i64 {
    let april = time::Date::from_calendar_date(fy, time::Month::April, 1).expect("date");
    let day = april + time::Duration::days(d);
    time::PrimitiveDateTime::new(day, time::Time::from_hms(19, 0, 0).expect("time"))
        .assume_offset(hpki_clock::jst::OFFSET)
        .unix_timestamp()
}

fn main() {
    let doctors: i64 = std::env::var("HPKI_BENCH_DOCTORS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300_000);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("bench.db");
    let url = format!("sqlite://{}", db.display());
    let opts = InitOptions {
        demo: true,
        database_url: Some(url.clone()),
        public_base_url: "http://127.0.0.1".into(),
        passphrase: "bench".into(),
        actor: "bench".into(),
        hsm: None,
    };
    let engine = Arc::new(
        rt.block_on(init_with_clock(
            &dir.path().join("ca"),
            &opts,
            &mut |_| {},
            hpki_clock::system(),
        ))
        .expect("CA"),
    );
    let provider = Provider::new(engine.clone());

    // Generated data, written directly (the bench measures the run, not the taps API).
    let started = Instant::now();
    let taps = rt.block_on(async {
        sqlx::any::install_default_drivers();
        let mut c = sqlx::AnyConnection::connect(&url).await.expect("connect");
        let mut tx = c.begin().await.expect("begin");
        let mut event_id = 0i64;
        for year in 0..3 {
            let fy = FIRST_YEAR + year;
            for e in 0..EVENTS_PER_YEAR {
                event_id += 1;
                let start = evening(fy, e % 360);
                let date = hpki_clock::jst::datetime_unix(start).date().to_string();
                sqlx::query(
                    "INSERT INTO attendance_events (event_id, office_id, title, venue, event_date, starts_at, ends_at, created_by, created_at, updated_at)
                     VALUES ($1, 'pref-13', 'bench', 'bench', $2, $3, $4, 'bench', 0, 0)",
                )
                .bind(event_id)
                .bind(date)
                .bind(start)
                .bind(start + 7200)
                .execute(&mut *tx)
                .await
                .expect("event");
                for (no, (offset, code)) in [(0i64, 1 + e % 84), (3600, 1 + (e * 7) % 84)].into_iter().enumerate() {
                    sqlx::query(
                        "INSERT INTO attendance_talks (event_id, talk_no, title, speaker, starts_at, ends_at, curriculum_code, half_units, occupational)
                         VALUES ($1, $2, 'talk', '', $3, $4, $5, 2, NULL)",
                    )
                    .bind(event_id)
                    .bind(no as i64 + 1)
                    .bind(start + offset)
                    .bind(start + offset + 3600)
                    .bind(code)
                    .execute(&mut *tx)
                    .await
                    .expect("talk");
                }
            }
        }
        // Taps in multi-row INSERTs of 200 (8 columns bound each).
        let mut n = 0u64;
        let mut batch: Vec<(String, i64, String, i64)> = Vec::with_capacity(200);
        async fn flush(tx: &mut sqlx::Transaction<'_, sqlx::Any>, batch: &mut Vec<(String, i64, String, i64)>) {
            if batch.is_empty() {
                return;
            }
            let values: Vec<String> = (0..batch.len())
                .map(|i| format!("(1, ${}, ${}, NULL, NULL, ${}, 'active', '', ${}, 0)", 4 * i + 1, 4 * i + 2, 4 * i + 3, 4 * i + 4))
                .collect();
            let sql = format!(
                "INSERT INTO attendance_taps (reader_id, nonce, event_id, uid, card_id, subscriber_id, card_status, flags, tapped_at, received_at) VALUES {}",
                values.join(", ")
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for (nonce, event_id, subscriber, at) in batch.drain(..) {
                q = q.bind(nonce).bind(event_id).bind(subscriber).bind(at);
            }
            q.execute(&mut **tx).await.expect("taps");
        }
        for d in 0..doctors {
            let subscriber = format!("JMA{:010}", d);
            for year in 0..3i64 {
                for k in 0..ATTENDED_PER_YEAR {
                    let e = (d * 31 + k * 499 + year * 7) % EVENTS_PER_YEAR;
                    let event_id = year * EVENTS_PER_YEAR + e + 1;
                    let start = evening(FIRST_YEAR + year as i32, e % 360);
                    // Most stay the whole evening; every seventh leaves after the first talk.
                    let exit = if (d + k) % 7 == 0 { start + 3600 + 300 } else { start + 7200 + 120 };
                    for (i, at) in [start - 600, exit].into_iter().enumerate() {
                        batch.push((format!("{d}-{year}-{k}-{i}"), event_id, subscriber.clone(), at));
                        n += 1;
                        if batch.len() == 200 {
                            flush(&mut tx, &mut batch).await;
                        }
                    }
                }
            }
        }
        flush(&mut tx, &mut batch).await;
        tx.commit().await.expect("commit");
        c.close().await.expect("close");
        n
    });
    println!(
        "generated {doctors} doctors, {taps} taps in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let last_year = FIRST_YEAR + 2;
    // The limit: streaming the rows the run reads, in its order, and nothing else.
    let started = Instant::now();
    let scanned = rt
        .block_on(engine.store.scan_doctor_taps(i64::MIN, i64::MAX, |t| {
            std::hint::black_box(t);
        }))
        .expect("scan");
    let scan_secs = started.elapsed().as_secs_f64();
    // The run.
    let started = Instant::now();
    let mut certified = 0u64;
    let totals = rt
        .block_on(provider.national_credits(last_year, |s| certified += u64::from(s.progress.met)))
        .expect("run");
    let run_secs = started.elapsed().as_secs_f64();
    assert_eq!(totals.taps, scanned);
    assert_eq!(totals.doctors, doctors as u64);
    println!(
        "limit: the store streams {scanned} taps in {scan_secs:.2} s ({:.0} taps/s)",
        scanned as f64 / scan_secs
    );
    println!(
        "run:   {} doctors, {} taps in {run_secs:.2} s ({:.0} doctors/s); {} reach the certificate",
        totals.doctors,
        totals.taps,
        totals.doctors as f64 / run_secs,
        certified
    );
    // A doctor's portal view (the 生涯教育 page's data) for 1,000 doctors: p95.
    let today =
        time::Date::from_calendar_date(last_year + 1, time::Month::March, 31).expect("date");
    let mut times: Vec<f64> = (0..1_000)
        .map(|i| {
            let subscriber = format!("JMA{:010}", (i * 7919) % doctors);
            let started = Instant::now();
            let c = rt
                .block_on(provider.doctor_credits(&subscriber, today))
                .expect("credits");
            std::hint::black_box(c);
            started.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    times.sort_by(f64::total_cmp);
    println!(
        "portal view: p50 {:.1} ms, p95 {:.1} ms (target < 50 ms)",
        times[500], times[950]
    );
    println!(
        "ratio: {:.2}× the limit; target < 60 s for 300,000 doctors: {:.1} s projected",
        scan_secs / run_secs,
        run_secs * 300_000.0 / doctors as f64
    );
}
