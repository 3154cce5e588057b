//! Officers' credentials: passwords (argon2id, RFC 9106), API bearer tokens and web sessions.
//!
//! Only hashes are stored: the PHC string of a password, SHA-256 of a token or a session
//! cookie. Repeated failed sign-ins lock the account for a while (OWASP Authentication Cheat
//! Sheet), and the lock is an audit record. Each attempt is counted before its password is
//! checked (`Store::claim_sign_in`), so parallel guesses cannot get more checks than the limit;
//! the checks run off the async runtime in a bounded pool ([`check_password`]).

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use sha2::{Digest, Sha256};

use crate::RegistrationError;

/// Failed sign-ins in a row that lock an account.
pub const MAX_FAILED_LOGINS: i64 = 5;
/// How long a locked account stays locked, seconds.
pub const LOCKOUT_SECONDS: i64 = 15 * 60;
/// How long a web session lasts, seconds (one working day).
pub const SESSION_SECONDS: i64 = 8 * 3600;
/// The shortest password accepted (NIST SP 800-63B §5.1.1.2 asks for at least 8; officers
/// handle personal data, so 12).
pub const MIN_PASSWORD_CHARS: usize = 12;

/// The argon2id PHC string of `password`, with a random salt.
pub fn hash_password(password: &str) -> Result<String, RegistrationError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(RegistrationError::WeakPassword);
    }
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| RegistrationError::Internal(format!("argon2: {e}")))
}

/// Whether `password` matches the PHC string `hash`.
pub fn verify_password(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// Password checks that may run at once: half the machine's cores, at least one. An argon2id
/// check takes one core for tens of milliseconds and 19 MiB.
fn checks_at_once() -> usize {
    std::thread::available_parallelism().map_or(1, |n| (n.get() / 2).max(1))
}

/// Password checks that may wait for a turn; more are refused at once ([`RegistrationError::Busy`])
/// rather than queued without bound.
pub const MAX_WAITING_CHECKS: usize = 64;

/// A password to check against a PHC string, and where the answer goes.
type Job = (
    String,
    zeroize::Zeroizing<String>,
    tokio::sync::oneshot::Sender<bool>,
);

/// The pool of password checks: [`checks_at_once`] threads of the lowest scheduling priority
/// (niceness 19), at most [`MAX_WAITING_CHECKS`] checks waiting. Below everything else, a burst
/// of sign-ins takes only the CPU time that OCSP, the TSA and the pages leave.
struct CheckPool {
    jobs: std::sync::mpsc::SyncSender<Job>,
    checked: std::sync::atomic::AtomicU64,
}

fn pool() -> &'static CheckPool {
    static POOL: std::sync::OnceLock<CheckPool> = std::sync::OnceLock::new();
    POOL.get_or_init(|| {
        let (jobs, queue) = std::sync::mpsc::sync_channel::<Job>(MAX_WAITING_CHECKS);
        let queue = std::sync::Arc::new(std::sync::Mutex::new(queue));
        for i in 0..checks_at_once() {
            let queue = queue.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("hpki-password-{i}"))
                .spawn(move || {
                    // Best effort: an OS that refuses leaves the thread at normal priority.
                    let _ = thread_priority::set_current_thread_priority(
                        thread_priority::ThreadPriority::Min,
                    );
                    loop {
                        let job = match queue.lock() {
                            Ok(q) => q.recv(),
                            Err(_) => return,
                        };
                        let Ok((hash, password, answer)) = job else {
                            return;
                        };
                        let _ = answer.send(verify_password(&hash, &password));
                    }
                });
            // Without a thread the checks wait in the queue and callers are told "busy".
            drop(spawned);
        }
        CheckPool {
            jobs,
            checked: std::sync::atomic::AtomicU64::new(0),
        }
    })
}

/// Whether `password` matches the PHC string `hash`, checked off the async runtime in the
/// bounded pool of low-priority threads (see [`CheckPool`]), so that sign-ins never hold up the
/// threads that serve OCSP and time-stamps.
pub async fn check_password(hash: &str, password: &str) -> Result<bool, RegistrationError> {
    let pool = pool();
    let (answer, answered) = tokio::sync::oneshot::channel();
    pool.jobs
        .try_send((
            hash.to_owned(),
            zeroize::Zeroizing::new(password.to_owned()),
            answer,
        ))
        .map_err(|_| RegistrationError::Busy)?;
    let ok = answered
        .await
        .map_err(|_| RegistrationError::Internal("password check did not finish".into()))?;
    pool.checked
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    Ok(ok)
}

/// Passwords checked by [`check_password`] in this process so far (each one an argon2id
/// evaluation): what shows that a lock stops the guessing.
pub fn passwords_checked() -> u64 {
    pool().checked.load(std::sync::atomic::Ordering::Relaxed)
}

/// A fresh random secret (256 bits, hex): an API token, a session cookie, a CSRF token.
pub fn random_secret() -> Result<String, RegistrationError> {
    let mut b = [0u8; 32];
    aws_lc_rs::rand::fill(&mut b)
        .map_err(|_| RegistrationError::Internal("random generator".into()))?;
    Ok(hex::encode(b))
}

/// What the store keeps of a secret: its SHA-256, hex.
pub fn secret_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Compares two secrets in time independent of where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    aws_lc_rs::constant_time::verify_slices_are_equal(a.as_bytes(), b.as_bytes()).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_and_short_ones_are_refused() {
        let h = hash_password("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password(&h, "correct horse battery"));
        assert!(!verify_password(&h, "correct horse battery!"));
        assert!(!verify_password("not a phc string", "x"));
        assert!(matches!(
            hash_password("short"),
            Err(RegistrationError::WeakPassword)
        ));
    }

    #[test]
    fn secrets_are_random_and_stored_hashed() {
        let a = random_secret().unwrap();
        assert_eq!(a.len(), 64);
        assert_ne!(a, random_secret().unwrap());
        assert_ne!(secret_hash(&a), a);
        assert!(same_secret(&a, &a.clone()));
        assert!(!same_secret(&a, "x"));
    }
}
