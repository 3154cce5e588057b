//! Fresh reads of the revocation epoch, shared between concurrent callers.
//!
//! The OCSP responder and the CRL handler answer from signed responses kept ready, and must
//! notice any revocation made before a request arrived, by any process (the `hpki ca revoke`
//! CLI writes to the same SQLite file or PostgreSQL database). They do so by reading the CA's
//! revocation epoch, which every revocation bumps in its own transaction: if the epoch has not
//! moved since a response was signed, the response is still right.
//!
//! Reading the epoch once per request costs a database round trip per request. Instead,
//! requests that arrive together share one read, without weakening what each request sees:
//!
//! - at most one read per CA is in flight at a time;
//! - a request that arrives while a read is in flight does not take that read's result (the
//!   read may have started before the request arrived, and missed a revocation committed just
//!   before the request); it waits for the next read, which starts after it arrived;
//! - a request that arrives while no read is in flight starts one.
//!
//! So every caller gets an epoch read by a query that began after the caller arrived: a
//! revocation committed before the request arrived is seen, exactly as with a read per request.
//! Under load one read serves every request that arrived during the previous one.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::Notify;

use crate::{CaError, CaName};

#[derive(Default)]
struct State {
    /// Reads started so far.
    started: u64,
    /// The last read that completed (its number), with its result.
    completed: u64,
    last: Option<Result<i64, String>>,
    /// Whether a read is in flight.
    in_flight: bool,
}

/// Coalesces concurrent reads of one value so that each caller gets the result of a read that
/// started after the caller arrived.
#[derive(Default)]
pub(crate) struct FreshRead {
    state: Mutex<State>,
    notify: Notify,
}

/// Marks the read in flight as finished even if the leader's future is dropped (a client that
/// hangs up), so that a waiter starts the next read instead of waiting forever.
struct Leader<'a> {
    read: &'a FreshRead,
    round: u64,
    result: Option<Result<i64, String>>,
}

impl Drop for Leader<'_> {
    fn drop(&mut self) {
        let mut s = self.read.lock();
        s.in_flight = false;
        if let Some(result) = self.result.take() {
            s.completed = self.round;
            s.last = Some(result);
        }
        drop(s);
        self.read.notify.notify_waiters();
    }
}

impl FreshRead {
    fn lock(&self) -> MutexGuard<'_, State> {
        // The state is plain counters: a panic elsewhere cannot leave it half-updated.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The value, as read by a call of `query` that started after this call began.
    pub(crate) async fn get<F, Fut, E>(&self, query: F) -> Result<i64, CaError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<i64, E>>,
        E: std::fmt::Display,
    {
        let mut need = None;
        loop {
            // Registered before the state is looked at, so a read finishing in between still
            // wakes this caller.
            let notified = self.notify.notified();
            let round = {
                let mut s = self.lock();
                let need = *need.get_or_insert(s.started + 1);
                if s.completed >= need {
                    return match &s.last {
                        Some(Ok(v)) => Ok(*v),
                        Some(Err(e)) => Err(CaError::StoreUnavailable(e.clone())),
                        None => Err(CaError::StoreUnavailable("no result".into())),
                    };
                }
                if s.in_flight {
                    None
                } else {
                    s.in_flight = true;
                    s.started += 1;
                    Some(s.started)
                }
            };
            match round {
                Some(round) => {
                    let mut leader = Leader {
                        read: self,
                        round,
                        result: None,
                    };
                    let result = query().await.map_err(|e| e.to_string());
                    leader.result = Some(result.clone());
                    drop(leader);
                    return result.map_err(CaError::StoreUnavailable);
                }
                None => notified.await,
            }
        }
    }
}

/// Fresh revocation epochs of the CAs, one coalesced read per CA at a time.
#[derive(Default)]
pub struct EpochReader {
    reads: Mutex<HashMap<CaName, Arc<FreshRead>>>,
}

impl EpochReader {
    /// A reader with no read in flight.
    pub fn new() -> Self {
        Self::default()
    }

    /// The revocation epoch of `ca` in `store`, read by a query that began after this call did:
    /// any revocation committed before the call is counted.
    pub async fn current(&self, store: &hpki_store::Store, ca: CaName) -> Result<i64, CaError> {
        let read = {
            let mut reads = self.reads.lock().unwrap_or_else(|p| p.into_inner());
            reads.entry(ca).or_default().clone()
        };
        read.get(|| store.revocation_epoch(ca.as_str())).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
    use std::time::Duration;

    /// Many callers at once, while a writer keeps bumping the value: every caller gets a value
    /// at least as large as the value when it arrived, and the reads are shared.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn each_caller_sees_a_read_started_after_it_arrived() {
        let read = Arc::new(FreshRead::default());
        let value = Arc::new(AtomicI64::new(0));
        let queries = Arc::new(AtomicU64::new(0));
        let writer = {
            let value = value.clone();
            tokio::spawn(async move {
                for _ in 0..400 {
                    value.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_micros(200)).await;
                }
            })
        };
        let mut callers = Vec::new();
        for _ in 0..32 {
            let (read, value, queries) = (read.clone(), value.clone(), queries.clone());
            callers.push(tokio::spawn(async move {
                let mut calls = 0u64;
                for _ in 0..100 {
                    let before = value.load(Ordering::SeqCst);
                    let got = read
                        .get(|| {
                            let (value, queries) = (value.clone(), queries.clone());
                            async move {
                                queries.fetch_add(1, Ordering::SeqCst);
                                // The value is read when the query starts, then it takes a
                                // while, as a database read does.
                                let v = value.load(Ordering::SeqCst);
                                tokio::time::sleep(Duration::from_micros(300)).await;
                                Ok::<i64, std::convert::Infallible>(v)
                            }
                        })
                        .await
                        .expect("read");
                    assert!(got >= before, "stale read: {got} < {before}");
                    calls += 1;
                }
                calls
            }));
        }
        let mut calls = 0;
        for c in callers {
            calls += c.await.expect("caller");
        }
        writer.await.expect("writer");
        let queries = queries.load(Ordering::SeqCst);
        assert_eq!(calls, 3200);
        assert!(queries < calls / 2, "{queries} queries for {calls} calls");
    }

    /// A leader whose future is dropped mid-read does not strand the callers waiting on it.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_dropped_leader_hands_over() {
        let read = Arc::new(FreshRead::default());
        let leader = {
            let read = read.clone();
            tokio::spawn(async move {
                read.get(|| async {
                    tokio::time::sleep(Duration::from_secs(3600)).await;
                    Ok::<i64, std::convert::Infallible>(1)
                })
                .await
            })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        let waiter = {
            let read = read.clone();
            tokio::spawn(async move {
                read.get(|| async { Ok::<i64, std::convert::Infallible>(7) })
                    .await
            })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        leader.abort();
        let got = tokio::time::timeout(Duration::from_secs(5), waiter)
            .await
            .expect("the waiter was stranded")
            .expect("waiter task")
            .expect("read");
        assert_eq!(got, 7);
    }

    /// A failed read is reported to the callers that shared it, and the next call reads again.
    #[tokio::test]
    async fn errors_are_shared_then_retried() {
        let read = FreshRead::default();
        let err = read.get(|| async { Err::<i64, _>("database down") }).await;
        assert!(matches!(err, Err(CaError::StoreUnavailable(ref m)) if m == "database down"));
        let ok = read
            .get(|| async { Ok::<i64, std::convert::Infallible>(3) })
            .await;
        assert!(matches!(ok, Ok(3)));
    }
}
