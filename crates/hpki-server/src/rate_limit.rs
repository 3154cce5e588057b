//! Per-client rate limits: a token bucket per client address, for endpoints anyone may call
//! that do work (the qualification check). Bounded: at most [`MAX_CLIENTS`] addresses are
//! remembered; when full, buckets that have refilled completely are forgotten first, and if
//! none has, the table is cleared (a flood of addresses then costs the flooder its history,
//! not the server its memory).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Addresses remembered at most.
pub const MAX_CLIENTS: usize = 65_536;

/// A token bucket per client address.
pub struct RateLimiter {
    burst: f64,
    per_second: f64,
    buckets: Mutex<HashMap<IpAddr, (f64, Instant)>>,
}

impl RateLimiter {
    /// `burst` requests at once, then `per_second`.
    pub fn new(burst: u32, per_second: u32) -> Arc<RateLimiter> {
        Arc::new(RateLimiter {
            burst: f64::from(burst),
            per_second: f64::from(per_second),
            buckets: Mutex::new(HashMap::new()),
        })
    }

    /// Takes one request from `client`'s bucket at `now`: `Ok` or the seconds to wait.
    pub fn take(&self, client: IpAddr, now: Instant) -> Result<(), u64> {
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() >= MAX_CLIENTS && !buckets.contains_key(&client) {
            let full = self.burst;
            let rate = self.per_second;
            buckets.retain(|_, (tokens, at)| {
                *tokens + now.saturating_duration_since(*at).as_secs_f64() * rate < full
            });
            if buckets.len() >= MAX_CLIENTS {
                buckets.clear();
            }
        }
        let (tokens, at) = buckets.entry(client).or_insert((self.burst, now));
        let refilled = (*tokens
            + now.saturating_duration_since(*at).as_secs_f64() * self.per_second)
            .min(self.burst);
        *at = now;
        if refilled >= 1.0 {
            *tokens = refilled - 1.0;
            Ok(())
        } else {
            *tokens = refilled;
            Err(((1.0 - refilled) / self.per_second).ceil().max(1.0) as u64)
        }
    }
}

/// The middleware: 429 with `Retry-After` (RFC 6585 §4) when the client's bucket is empty.
pub async fn limit(
    State(limiter): State<Arc<RateLimiter>>,
    request: Request,
    next: Next,
) -> Response {
    let client = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    if let Some(ip) = client
        && let Err(wait) = limiter.take(ip, Instant::now())
    {
        let mut r = (
            StatusCode::TOO_MANY_REQUESTS,
            axum::Json(serde_json::json!({
                "error": "too_many_requests",
                "message": {"ja": "確認の回数が多すぎます。しばらく待ってからやり直してください。",
                            "en": "Too many checks; wait a moment and try again."},
            })),
        )
            .into_response();
        if let Ok(v) = HeaderValue::from_str(&wait.to_string()) {
            r.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return r;
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_burst_then_the_rate() {
        let l = RateLimiter::new(3, 2);
        let ip: IpAddr = "192.0.2.1".parse().unwrap_or(IpAddr::from([0, 0, 0, 0]));
        let t = Instant::now();
        assert!(l.take(ip, t).is_ok());
        assert!(l.take(ip, t).is_ok());
        assert!(l.take(ip, t).is_ok());
        assert_eq!(l.take(ip, t), Err(1));
        assert!(l.take(ip, t + Duration::from_millis(500)).is_ok());
        let other: IpAddr = "192.0.2.2".parse().unwrap_or(IpAddr::from([0, 0, 0, 1]));
        assert!(l.take(other, t).is_ok());
    }

    #[test]
    fn memory_is_bounded() {
        let l = RateLimiter::new(1, 1);
        let t = Instant::now();
        for i in 0..(MAX_CLIENTS as u32 + 10) {
            let _ = l.take(IpAddr::from(i.to_be_bytes()), t);
        }
        let n = l.buckets.lock().map(|b| b.len()).unwrap_or(usize::MAX);
        assert!(n <= MAX_CLIENTS, "{n}");
    }
}
