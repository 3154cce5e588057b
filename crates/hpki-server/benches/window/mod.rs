//! The measuring window the server benches share: clients run from the start, a warm-up of
//! half a second, then `counting` is raised for `secs`, then `stop` ends the clients.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Waits out the warm-up, counts for `secs` and stops the clients; returns the seconds that
/// were counted (the divisor of a rate).
pub async fn counted(secs: f64, counting: &AtomicBool, stop: &AtomicBool) -> f64 {
    tokio::time::sleep(Duration::from_millis(500)).await;
    counting.store(true, Ordering::Relaxed);
    let start = Instant::now();
    tokio::time::sleep(Duration::from_secs_f64(secs)).await;
    counting.store(false, Ordering::Relaxed);
    let elapsed = start.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    elapsed
}
