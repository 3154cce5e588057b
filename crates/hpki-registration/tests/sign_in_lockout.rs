//! Issue "Issuance integrity", atomic lockout: forty wrong passwords sent at once for one
//! officer are counted one by one, so no more than the limit are ever checked; the lock holds
//! against the right password; the lock is audited once; thirty-two correct sign-ins of one
//! officer at once do not lock the account. On SQLite and on PostgreSQL.
//!
//! One test function runs both backends in turn: the count of password checks is the process's
//! ([`hpki_registration::auth::passwords_checked`]), so nothing else may sign in meanwhile.

mod common;

use common::*;
use hpki_registration::RegistrationError;
use hpki_registration::auth::{MAX_FAILED_LOGINS, passwords_checked};
use hpki_testkit::Backend;

/// Parallel guesses.
const GUESSES: usize = 40;

async fn forty_parallel_wrong_passwords(b: Backend) {
    let Some(t) = setup(b).await else { return };
    let before = passwords_checked();
    let guesses = (0..GUESSES).map(|i| {
        let ra = t.ra.clone();
        tokio::spawn(async move {
            ra.sign_in("osaka-review", &format!("wrong guess {i}"))
                .await
        })
    });
    let (mut failed, mut locked, mut busy) = (0, 0, 0);
    for g in guesses.collect::<Vec<_>>() {
        match g.await.expect("task") {
            Err(RegistrationError::LoginFailed) => failed += 1,
            Err(RegistrationError::Locked { .. }) => locked += 1,
            // As many in flight as failures are left: told to wait, nothing checked.
            Err(RegistrationError::Busy) => busy += 1,
            other => panic!("{b:?}: a wrong password got {:?}", other.map(|_| "in")),
        }
    }
    let checked = passwords_checked() - before;
    assert_eq!(failed + locked + busy, GUESSES);
    assert!(locked >= 1, "{b:?}: the fifth failure locks");
    assert_eq!(
        checked, MAX_FAILED_LOGINS as u64,
        "{b:?}: {checked} of {GUESSES} parallel guesses were checked; the limit is {MAX_FAILED_LOGINS}"
    );
    assert_eq!(
        failed as i64,
        MAX_FAILED_LOGINS - 1,
        "{b:?}: the guesses before the last one allowed are told the password is wrong"
    );

    // The right password, once the account is locked: refused without a check.
    let r = t.ra.sign_in("osaka-review", PASSWORD).await;
    assert!(
        matches!(r, Err(RegistrationError::Locked { .. })),
        "{b:?}: the right password opened a locked account"
    );
    assert_eq!(passwords_checked() - before, MAX_FAILED_LOGINS as u64);
    let locks = t.audited(&["officer.locked"], "officer.locked").await;
    assert_eq!(locks.len(), 1, "{b:?}: one lock, audited once: {locks:?}");
    assert_eq!(locks[0]["failed_logins"], MAX_FAILED_LOGINS);

    // Correct sign-ins of one officer at once: some wait, none locks the account.
    let before = passwords_checked();
    let sign_ins = (0..32).map(|_| {
        let ra = t.ra.clone();
        tokio::spawn(async move { ra.sign_in("tokyo-main", PASSWORD).await })
    });
    let mut signed_in = 0;
    for s in sign_ins.collect::<Vec<_>>() {
        match s.await.expect("task") {
            Ok(_) => signed_in += 1,
            Err(RegistrationError::Busy) => {}
            Err(e) => panic!("{b:?}: a correct sign-in failed: {e}"),
        }
    }
    assert!(signed_in >= 1);
    assert_eq!(passwords_checked() - before, signed_in as u64);
    let rec =
        t.ra.ca()
            .store
            .officer("tokyo-main")
            .await
            .unwrap()
            .unwrap();
    assert_eq!((rec.failed_logins, rec.locked_until), (0, None));
    t.ra.sign_in("tokyo-main", PASSWORD)
        .await
        .expect("still open");

    // Another officer is not affected, and a success clears that officer's earlier failures.
    for _ in 0..MAX_FAILED_LOGINS - 1 {
        assert!(t.ra.sign_in("tokyo-pre", "wrong").await.is_err());
    }
    t.ra.sign_in("tokyo-pre", PASSWORD)
        .await
        .expect("the right password before the limit");
    let rec = t.ra.ca().store.officer("tokyo-pre").await.unwrap().unwrap();
    assert_eq!((rec.failed_logins, rec.locked_until), (0, None));
    t.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn forty_parallel_wrong_passwords_check_at_most_the_limit() {
    forty_parallel_wrong_passwords(Backend::Sqlite).await;
    forty_parallel_wrong_passwords(Backend::Postgres).await;
}
