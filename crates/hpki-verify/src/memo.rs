//! Process memos of pure results, keyed by the exact bytes they are computed from.
//!
//! A relying party sees the same trust anchor, CA certificates, TSA certificate and CRLs in
//! document after document (a day's referral letters all chain to the same JMA CA). Decoding
//! them, verifying their signatures and validating a path made of them gives the same answer
//! every time, so the answer is kept:
//!
//! - decoded certificates ([`certificate`]), certval's decoded certificates and trust anchors,
//!   and decoded CRLs: keyed by their DER;
//! - validated certification paths: keyed by the DER of every certificate of the path and the
//!   policy inputs of RFC 5280 §6.1.1, answered only at a time inside every certificate's
//!   validity period (the only time-dependent check of §6.1.3 (a)(2) without revocation), see
//!   `crate::path`;
//! - signatures that verified: see [`crate::signature::verify`].
//!
//! The keys are the bytes themselves (or, for signatures, a SHA-256 over them), so an entry
//! answers exactly what computing again would; only successes are kept, failures are computed
//! every time with their precise reason. Each memo is bounded and emptied all at once when full.
//! [`forget`] empties them all: the bench uses it to measure a cold start.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use certval::{PDVCertificate, PDVTrustAnchorChoice};
use der::Decode;
use x509_cert::Certificate;

/// The entries of a [`Memo`].
type Entries<V> = HashMap<Box<[u8]>, Arc<V>>;

/// A bounded map from bytes to a shared result.
pub(crate) struct Memo<V> {
    capacity: usize,
    map: OnceLock<Mutex<Entries<V>>>,
}

impl<V> Memo<V> {
    /// A memo of at most `capacity` entries.
    pub(crate) const fn new(capacity: usize) -> Self {
        Memo {
            capacity,
            map: OnceLock::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Entries<V>> {
        // A panic while the lock was held cannot leave a half-made entry: an entry is inserted
        // whole, after it was computed.
        self.map
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The result kept for `key`.
    pub(crate) fn get(&self, key: &[u8]) -> Option<Arc<V>> {
        self.lock().get(key).cloned()
    }

    /// Keeps `value` for `key` (emptying the memo first when it is full) and returns it shared.
    pub(crate) fn insert(&self, key: &[u8], value: V) -> Arc<V> {
        let value = Arc::new(value);
        let mut map = self.lock();
        if map.len() >= self.capacity {
            map.clear();
        }
        map.insert(key.into(), value.clone());
        value
    }

    /// The result kept for `key`, or `make`'s, kept when it succeeds.
    pub(crate) fn get_or_try<E>(
        &self,
        key: &[u8],
        make: impl FnOnce() -> Result<V, E>,
    ) -> Result<Arc<V>, E> {
        if let Some(v) = self.get(key) {
            return Ok(v);
        }
        Ok(self.insert(key, make()?))
    }

    /// Forgets every entry.
    pub(crate) fn clear(&self) {
        self.lock().clear();
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.lock().len()
    }
}

/// Decoded X.509 certificates (about 5 KiB each with their DER key).
pub(crate) static CERTIFICATES: Memo<Certificate> = Memo::new(1024);
/// certval's decoded certificates (extensions parsed).
pub(crate) static PDV_CERTIFICATES: Memo<PDVCertificate> = Memo::new(1024);
/// certval's decoded trust anchors.
pub(crate) static TRUST_ANCHORS: Memo<PDVTrustAnchorChoice> = Memo::new(64);
/// Validated paths: the valid policies (see `crate::path`).
pub(crate) static PATHS: Memo<Vec<const_oid::ObjectIdentifier>> = Memo::new(1024);
/// Signatures that verified, keyed by a SHA-256 over what the result depends on (see
/// [`crate::signature::verify`]); 32-byte keys, so many.
pub(crate) static SIGNATURES: Memo<()> = Memo::new(16_384);
/// Decoded CRLs; a CRL of a large CA can be megabytes, hence few.
pub(crate) static CRLS: Memo<crate::revocation::crl::ParsedCrl> = Memo::new(64);

/// The certificate `der` decoded, shared.
pub(crate) fn certificate(der: &[u8]) -> Result<Arc<Certificate>, der::Error> {
    CERTIFICATES.get_or_try(der, || Certificate::from_der(der))
}

/// Forgets everything the process remembers: decoded certificates, CRLs and trust anchors,
/// validated paths, verified signatures. The next verifications compute everything again. A
/// service never needs it (the memos are bounded); the bench uses it to measure verification
/// from a cold start.
pub fn forget() {
    CERTIFICATES.clear();
    PDV_CERTIFICATES.clear();
    TRUST_ANCHORS.clear();
    PATHS.clear();
    CRLS.clear();
    SIGNATURES.clear();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_memo_answers_only_for_its_own_bytes_and_keeps_only_successes() {
        let memo: Memo<usize> = Memo::new(2);
        assert_eq!(memo.get_or_try(b"ab", || Ok::<_, ()>(2)).map(|v| *v), Ok(2));
        // Kept: `make` is not called again.
        assert_eq!(
            memo.get_or_try(b"ab", || Err::<usize, _>("computed again"))
                .map(|v| *v),
            Ok(2)
        );
        assert!(memo.get(b"abc").is_none());
        assert!(memo.get(b"a").is_none());
        assert_eq!(memo.get_or_try(b"x", || Err::<usize, _>("bad")), Err("bad"));
        assert!(memo.get(b"x").is_none(), "a failure is not kept");
    }

    #[test]
    fn a_full_memo_is_emptied_before_the_next_entry() {
        let memo: Memo<u8> = Memo::new(2);
        memo.insert(b"1", 1);
        memo.insert(b"2", 2);
        assert_eq!(memo.len(), 2);
        memo.insert(b"3", 3);
        assert_eq!(memo.len(), 1);
        assert!(memo.get(b"1").is_none());
        assert_eq!(memo.get(b"3").map(|v| *v), Some(3));
        memo.clear();
        assert_eq!(memo.len(), 0);
    }
}
