//! Multi-person control of the CA private keys (M of N custodians).
//!
//! The HPKI certificate policy requires the CA system to be operated by several people at once
//! (the seed: システムのログインは複数人で行うこと). hpki implements this for the CA keys:
//!
//! 1. At the key ceremony (`hpki ca ceremony`) a random 256-bit **key-unlock secret** is drawn.
//!    The CA private keys (root, sign, auth) are re-encrypted under it (their PKCS#8 passphrase
//!    becomes its hex form), and it is split with Shamir's threshold scheme over GF(256)
//!    (`vsss-rs`) into one share per custodian, any M of the N shares recovering it.
//! 2. Each share is sealed with its custodian's passphrase: scrypt (RFC 7914) derives a 256-bit
//!    key, and AES-256-GCM seals the share with the ceremony identifier and the custodian's name
//!    as associated data, so a share cannot be passed off as another custodian's or another
//!    ceremony's. The sealed shares are files in `custody/` of the data directory; the secret
//!    itself is never written anywhere.
//! 3. To activate the CA keys, custodians present their shares one by one (each presentation is
//!    an audit record). With M distinct custodians the secret is recombined, checked against the
//!    ceremony's commitment, and the CA keys are decrypted. Until then the engine refuses to sign
//!    anything with a CA key (issuance, CRLs); the OCSP responders' keys stay under the
//!    operator passphrase so that revocation status is answered at all times.
//!
//! The delegated OCSP responder keys are deliberately outside custody: an OCSP responder that
//! waits for two people to arrive would leave relying parties without revocation status.

use hpki_text::{Localized, Text};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use hpki_keys::SoftwareKey;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};
use vsss_rs::Gf256;
use zeroize::Zeroizing;

use crate::CaError;
use crate::authority::{CaName, Engine};
use crate::datadir::{DataDir, write_atomic};
use crate::sealed::{SealError, Sealed};

/// The folder of the data directory holding the ceremony record and the sealed shares.
pub const CUSTODY_DIR: &str = "custody";
/// The ceremony record inside [`CUSTODY_DIR`].
pub const RECORD_FILE: &str = "custody/ceremony.json";
/// Where a ceremony writes before it is complete (see [`crate::ceremony::key_ceremony`]).
pub const PENDING_DIR: &str = "custody.pending";

/// Bytes of the key-unlock secret.
const SECRET_LEN: usize = 32;
/// Format version of the files.
const VERSION: u32 = 1;

/// Why custody refused.
#[derive(Debug, thiserror::Error)]
pub enum CustodyError {
    /// M or N out of range.
    #[error(
        "threshold {threshold} of {custodians} custodians is not allowed: at least 2, at most the number of custodians (≤ 255)"
    )]
    BadThreshold {
        /// M.
        threshold: usize,
        /// N.
        custodians: usize,
    },
    /// A custodian name is empty, badly formed or repeated.
    #[error("custodian name {0:?} must be unique and made of a-z, 0-9, '-' or '_'")]
    BadCustodianName(String),
    /// The custodian is not one of this ceremony.
    #[error("{0:?} is not a custodian of these CA keys")]
    UnknownCustodian(String),
    /// Wrong passphrase, or a share that was altered or belongs elsewhere.
    #[error(
        "the share of custodian {0:?} cannot be opened: wrong passphrase, or the share file was altered"
    )]
    ShareRefused(String),
    /// The recombined secret does not match the ceremony.
    #[error("the shares presented do not recombine to this ceremony's secret")]
    Recombination,
    /// Too many refused presentations in a row: the custodian is locked for a while.
    #[error(
        "custodian {custodian:?} is locked after too many refused passphrases; try again after {until}"
    )]
    Locked {
        /// The custodian.
        custodian: String,
        /// Until when (ISO 8601, UTC).
        until: String,
    },
    /// A malformed custody file.
    #[error("custody file {0}: {1}")]
    Malformed(String, String),
    /// The random generator or a primitive failed.
    #[error("cryptographic failure: {0}")]
    Crypto(String),
}

impl Localized for CustodyError {
    fn text(&self) -> Text {
        match self {
            CustodyError::BadThreshold {
                threshold,
                custodians,
            } => Text::new(
                format!(
                    "閾値 {threshold}（保管者 {custodians} 名）は使えません（2以上、保管者数以下）"
                ),
                format!(
                    "threshold {threshold} of {custodians} custodians is not allowed: at least 2, at most the number of custodians (≤ 255)"
                ),
            ),
            CustodyError::BadCustodianName(f0) => Text::new(
                format!("保管者名 {f0:?} は重複のない英小文字・数字・-・_ で指定してください"),
                format!("custodian name {f0:?} must be unique and made of a-z, 0-9, '-' or '_'"),
            ),
            CustodyError::UnknownCustodian(f0) => Text::new(
                format!("{f0:?} はこの鍵の保管者ではありません"),
                format!("{f0:?} is not a custodian of these CA keys"),
            ),
            CustodyError::ShareRefused(f0) => Text::new(
                format!(
                    "保管者 {f0:?} の分散鍵を開けません（パスフレーズ誤り、またはファイルの改変）"
                ),
                format!(
                    "the share of custodian {f0:?} cannot be opened: wrong passphrase, or the share file was altered"
                ),
            ),
            CustodyError::Locked { custodian, until } => Text::new(
                format!(
                    "保管者 {custodian:?} はパスフレーズの誤りが続いたためロックされています（{until} 以降に再試行してください）"
                ),
                self.to_string(),
            ),
            CustodyError::Recombination => Text::new(
                "提示された分散鍵から正しい秘密を復元できません",
                "the shares presented do not recombine to this ceremony's secret",
            ),
            CustodyError::Malformed(f0, f1) => Text::new(
                format!("鍵保管ファイル {f0} が不正です: {f1}"),
                format!("custody file {f0}: {f1}"),
            ),
            CustodyError::Crypto(f0) => Text::new(
                format!("暗号処理に失敗しました: {f0}"),
                format!("cryptographic failure: {f0}"),
            ),
        }
    }
}

/// The public record of a key ceremony: who the custodians are and how many must come.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct CustodyRecord {
    /// Format version.
    pub version: u32,
    /// Random identifier of the ceremony (hex), bound into every share.
    pub ceremony_id: String,
    /// M: shares needed to activate.
    pub threshold: usize,
    /// The N custodians, in the order of the ceremony.
    pub custodians: Vec<String>,
    /// SHA-256 over a label, the ceremony identifier and the secret (hex): tells a correct
    /// recombination from a wrong one without revealing anything of a 256-bit random secret.
    pub secret_check: String,
    /// When the ceremony took place (Unix seconds).
    pub created_at: i64,
}

impl CustodyRecord {
    /// The file of a custodian's sealed share, relative to the data directory.
    pub fn share_file(custodian: &str) -> String {
        format!("{CUSTODY_DIR}/{custodian}.share.json")
    }
}

/// One custodian's share, sealed with their passphrase (see [`crate::sealed`]) and bound to
/// the ceremony and the custodian's name.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct SealedShare {
    /// The ceremony it belongs to.
    pub ceremony_id: String,
    /// Whose share it is.
    pub custodian: String,
    /// The sealed share.
    #[serde(flatten)]
    pub sealed: Sealed,
}

/// The secret in the form the CA keys' PKCS#8 encryption takes as passphrase.
pub fn unlock_passphrase(secret: &[u8]) -> Zeroizing<String> {
    Zeroizing::new(hex::encode(secret))
}

/// Checks M of N and the custodian names.
pub fn check_plan(custodians: &[String], threshold: usize) -> Result<(), CustodyError> {
    if threshold < 2 || threshold > custodians.len() || custodians.len() > 255 {
        return Err(CustodyError::BadThreshold {
            threshold,
            custodians: custodians.len(),
        });
    }
    let mut seen = std::collections::BTreeSet::new();
    for c in custodians {
        let well_formed = !c.is_empty()
            && c.len() <= 64
            && c.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
        if !well_formed || !seen.insert(c.as_str()) {
            return Err(CustodyError::BadCustodianName(c.clone()));
        }
    }
    Ok(())
}

/// What a key ceremony produces: the secret (kept only in memory), the public record, and the
/// sealed shares (written to the data directory).
pub struct Split {
    /// The key-unlock secret.
    pub secret: Zeroizing<Vec<u8>>,
    /// The ceremony record.
    pub record: CustodyRecord,
    /// One sealed share per custodian, in the order of the ceremony.
    pub shares: Vec<SealedShare>,
}

/// A fresh key-unlock secret, the ceremony record, and one sealed share per custodian.
/// `custodians` pairs each name with that custodian's passphrase.
pub fn split(
    custodians: &[(String, Zeroizing<String>)],
    threshold: usize,
    now: i64,
) -> Result<Split, CustodyError> {
    let names: Vec<String> = custodians.iter().map(|(n, _)| n.clone()).collect();
    check_plan(&names, threshold)?;
    let mut secret = Zeroizing::new(vec![0u8; SECRET_LEN]);
    random(&mut secret)?;
    let mut id = [0u8; 16];
    random(&mut id)?;
    let ceremony_id = hex::encode(id);
    let shares = Gf256::split_bytes(threshold, custodians.len(), &secret[..], rand::rng())
        .map_err(|e| CustodyError::Crypto(format!("{e:?}")))?;
    let mut sealed = Vec::with_capacity(shares.len());
    for ((name, passphrase), share) in custodians.iter().zip(shares) {
        let share = Zeroizing::new(share);
        sealed.push(seal(&ceremony_id, name, &share, passphrase)?);
    }
    let record = CustodyRecord {
        version: VERSION,
        secret_check: secret_check(&ceremony_id, &secret),
        ceremony_id,
        threshold,
        custodians: names,
        created_at: now,
    };
    Ok(Split {
        secret,
        record,
        shares: sealed,
    })
}

/// Shares presented so far towards one activation.
#[derive(Default)]
pub struct Presented {
    shares: BTreeMap<String, Zeroizing<Vec<u8>>>,
}

impl std::fmt::Debug for Presented {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Presented")
            .field("custodians", &self.custodians())
            .finish()
    }
}

impl Presented {
    /// Opens `sealed` with `passphrase` and keeps the share. The same custodian presenting
    /// twice counts once.
    pub fn present(
        &mut self,
        record: &CustodyRecord,
        sealed: &SealedShare,
        passphrase: &str,
    ) -> Result<(), CustodyError> {
        if !record.custodians.contains(&sealed.custodian) {
            return Err(CustodyError::UnknownCustodian(sealed.custodian.clone()));
        }
        if sealed.ceremony_id != record.ceremony_id {
            return Err(CustodyError::ShareRefused(sealed.custodian.clone()));
        }
        let share = open(sealed, passphrase)?;
        self.shares.insert(sealed.custodian.clone(), share);
        Ok(())
    }

    /// Custodians whose shares are held, in name order.
    pub fn custodians(&self) -> Vec<String> {
        self.shares.keys().cloned().collect()
    }

    /// How many distinct custodians presented.
    pub fn count(&self) -> usize {
        self.shares.len()
    }

    /// The secret, once `record.threshold` custodians presented; checked against the record.
    pub fn recombine(&self, record: &CustodyRecord) -> Result<Zeroizing<Vec<u8>>, CustodyError> {
        if self.shares.len() < record.threshold {
            return Err(CustodyError::Recombination);
        }
        let shares: Vec<Vec<u8>> = self.shares.values().map(|s| s.to_vec()).collect();
        let shares = Zeroizing::new(shares);
        let secret = Zeroizing::new(
            Gf256::combine_bytes(&shares[..])
                .map_err(|e| CustodyError::Crypto(format!("{e:?}")))?,
        );
        if secret_check(&record.ceremony_id, &secret) != record.secret_check {
            return Err(CustodyError::Recombination);
        }
        Ok(secret)
    }

    /// Adds the shares of `other`.
    pub fn merge(&mut self, other: Presented) {
        self.shares.extend(other.shares);
    }

    /// Forgets every share held.
    pub fn clear(&mut self) {
        self.shares.clear();
    }
}

fn secret_check(ceremony_id: &str, secret: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(b"hpki custody secret check v1\0");
    h.update(ceremony_id.as_bytes());
    h.update([0]);
    h.update(secret);
    hex::encode(h.finalize())
}

fn random(out: &mut [u8]) -> Result<(), CustodyError> {
    crate::sealed::random(out).map_err(|e| CustodyError::Crypto(e.to_string()))
}

fn aad(ceremony_id: &str, custodian: &str) -> Vec<u8> {
    format!("hpki custody share v1\0{ceremony_id}\0{custodian}").into_bytes()
}

fn seal(
    ceremony_id: &str,
    custodian: &str,
    share: &[u8],
    passphrase: &str,
) -> Result<SealedShare, CustodyError> {
    let sealed = crate::sealed::seal(share, &aad(ceremony_id, custodian), passphrase)
        .map_err(|e| CustodyError::Crypto(e.to_string()))?;
    Ok(SealedShare {
        ceremony_id: ceremony_id.to_owned(),
        custodian: custodian.to_owned(),
        sealed,
    })
}

fn open(sealed: &SealedShare, passphrase: &str) -> Result<Zeroizing<Vec<u8>>, CustodyError> {
    crate::sealed::open(
        &sealed.sealed,
        &aad(&sealed.ceremony_id, &sealed.custodian),
        passphrase,
    )
    .map_err(|e| match e {
        SealError::Refused => CustodyError::ShareRefused(sealed.custodian.clone()),
        SealError::Malformed(what) => CustodyError::Malformed(
            CustodyRecord::share_file(&sealed.custodian),
            what.to_owned(),
        ),
        SealError::Crypto(what) => CustodyError::Crypto(what.to_owned()),
    })
}

/// Where an engine stands with custody.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ActivationStatus {
    /// The CA keys are under custody.
    pub custody: bool,
    /// The CA keys are unlocked for signing.
    pub activated: bool,
    /// M.
    pub threshold: usize,
    /// Custodians whose shares are held towards the next activation.
    pub presented: Vec<String>,
}

/// The CAs whose keys custody protects.
const CUSTODIAL: [CaName; 3] = [CaName::Root, CaName::Sign, CaName::Auth];

fn key_file(dir: &DataDir, ca: CaName) -> Option<std::path::PathBuf> {
    dir.key_path(&ca.key_ref()).filter(|p| p.exists())
}

fn staged_key_file(path: &Path) -> std::path::PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".custody");
    s.into()
}

/// Reads the ceremony record, first finishing or undoing a ceremony that was interrupted.
///
/// A ceremony writes, in this order: the record and the sealed shares into
/// [`PENDING_DIR`]; each CA key re-encrypted under the secret beside the key as
/// `*.key.pem.custody`; the marker `keys-ready` in [`PENDING_DIR`]; then it renames the staged
/// keys over the old ones and [`PENDING_DIR`] to [`CUSTODY_DIR`]. Found with the marker, the
/// ceremony is completed (every share and staged key is on disk); without it, it is undone
/// (the old keys were never touched).
pub fn load_record(dir: &DataDir) -> Result<Option<CustodyRecord>, CaError> {
    let pending = dir.path().join(PENDING_DIR);
    if pending.exists() {
        let complete = pending.join("keys-ready").exists();
        for ca in CUSTODIAL {
            if let Some(path) = dir.key_path(&ca.key_ref()) {
                let staged = staged_key_file(&path);
                if staged.exists() {
                    if complete {
                        std::fs::rename(&staged, &path).map_err(|e| CaError::io(&path, e))?;
                    } else {
                        std::fs::remove_file(&staged).map_err(|e| CaError::io(&staged, e))?;
                    }
                }
            }
        }
        if complete {
            let done = dir.path().join(CUSTODY_DIR);
            std::fs::rename(&pending, &done).map_err(|e| CaError::io(&done, e))?;
            let _ = std::fs::remove_file(done.join("keys-ready"));
        } else {
            std::fs::remove_dir_all(&pending).map_err(|e| CaError::io(&pending, e))?;
        }
        sync_dir(dir.path());
    }
    let path = dir.path().join(RECORD_FILE);
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| CustodyError::Malformed(RECORD_FILE.into(), e.to_string()).into()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(CaError::io(&path, e)),
    }
}

fn sync_dir(path: &Path) {
    if let Ok(d) = std::fs::File::open(path) {
        let _ = d.sync_all();
    }
}

impl Engine {
    /// The key ceremony: puts the CA keys of this installation under M-of-N custody.
    ///
    /// The engine must have been opened with the operator passphrase, which the CA keys are
    /// under until now. `custodians` pairs each custodian's name with their passphrase. Crash
    /// safe: see [`load_record`]. Audited: the ceremony, and the creation of each share.
    pub async fn key_ceremony(
        &self,
        custodians: &[(String, Zeroizing<String>)],
        threshold: usize,
    ) -> Result<CustodyRecord, CaError> {
        if self.custody.is_some() || self.dir.path().join(CUSTODY_DIR).exists() {
            return Err(CaError::CustodyExists);
        }
        let operator = self
            .passphrase
            .as_deref()
            .ok_or_else(|| CaError::NoKey("root, sign, auth".into()))?;
        // CA keys in the HSM come under custody by moving the HSM user PIN to the secret: the
        // operator's PIN must work now, before anything is written.
        let hsm_cas = self.hsm_held_cas();
        let hsm_pin = match hsm_cas.first() {
            Some(ca) => {
                let pin = self
                    .hsm_pin
                    .as_deref()
                    .ok_or_else(|| CaError::HsmPinRequired(ca.to_string()))?;
                self.hsm_token(pin)?;
                Some(pin)
            }
            None => None,
        };
        let Split {
            secret,
            record,
            shares: sealed,
        } = split(custodians, threshold, self.now_unix() as i64)?;
        let unlock = unlock_passphrase(&secret);
        let pending = self.dir.path().join(PENDING_DIR);
        std::fs::create_dir_all(&pending).map_err(|e| CaError::io(&pending, e))?;
        for share in &sealed {
            let bytes = serde_json::to_vec_pretty(share)
                .map_err(|e| CustodyError::Malformed("share".into(), e.to_string()))?;
            let name = format!("{PENDING_DIR}/{}.share.json", share.custodian);
            self.dir.write_atomic(&name, &bytes, true)?;
        }
        let bytes = serde_json::to_vec_pretty(&record)
            .map_err(|e| CustodyError::Malformed(RECORD_FILE.into(), e.to_string()))?;
        self.dir
            .write_atomic(&format!("{PENDING_DIR}/ceremony.json"), &bytes, false)?;
        let mut moved = Vec::new();
        for ca in CUSTODIAL {
            let Some(path) = key_file(&self.dir, ca) else {
                continue;
            };
            let pem = std::fs::read_to_string(&path).map_err(|e| CaError::io(&path, e))?;
            let key = SoftwareKey::from_encrypted_pem(&pem, operator)?;
            let staged = staged_key_file(&path);
            write_atomic(&staged, key.to_encrypted_pem(&unlock)?.as_bytes(), true)?;
            moved.push(ca.as_str());
        }
        self.dir
            .write_atomic(&format!("{PENDING_DIR}/keys-ready"), b"", false)?;
        if let Some(pin) = hsm_pin {
            // After the marker: a crash from here on completes the ceremony, and activation
            // finishes moving the PIN if this did not happen (see `activate`).
            if let Err(e) = self.move_hsm_pin(pin, &unlock) {
                let _ = std::fs::remove_file(pending.join("keys-ready"));
                load_record(&self.dir)?;
                return Err(e);
            }
            moved.extend(hsm_cas.iter().map(|c| c.as_str()));
        }
        load_record(&self.dir)?;
        let mut events = vec![self.audit(
            "custody.ceremony",
            "ca-keys",
            json!({"ceremony_id": record.ceremony_id, "threshold": record.threshold,
                   "custodians": record.custodians, "keys": moved,
                   "hsm_keys": hsm_cas.iter().map(|c| c.as_str()).collect::<Vec<_>>()}),
        )];
        for c in &record.custodians {
            events.push(self.audit(
                "custody.share_created",
                &format!("custodian/{c}"),
                json!({"ceremony_id": record.ceremony_id}),
            ));
        }
        for e in &events {
            self.store.append_audit(e).await?;
        }
        Ok(record)
    }

    /// A custodian presents their share (opened with their passphrase). When the threshold is
    /// reached, the secret is recombined and the CA keys are activated. Every presentation,
    /// refused or accepted, and the activation are audit records.
    pub async fn present_share(
        &self,
        custodian: &str,
        passphrase: &str,
    ) -> Result<ActivationStatus, CaError> {
        let record = self.custody.as_ref().ok_or(CaError::NoCustody)?;
        if !record.custodians.iter().any(|c| c == custodian) {
            return Err(CustodyError::UnknownCustodian(custodian.to_owned()).into());
        }
        let path = self.dir.path().join(CustodyRecord::share_file(custodian));
        let bytes = std::fs::read(&path).map_err(|e| CaError::io(&path, e))?;
        let sealed: SealedShare = serde_json::from_slice(&bytes).map_err(|e| {
            CustodyError::Malformed(CustodyRecord::share_file(custodian), e.to_string())
        })?;
        if sealed.custodian != custodian {
            return Err(CustodyError::ShareRefused(custodian.to_owned()).into());
        }
        // Counted before it is checked: parallel guesses get no more checks than the limit.
        let now = self.now_unix();
        let attempt =
            self.share_attempts
                .claim(custodian, now)
                .map_err(|until| CustodyError::Locked {
                    custodian: custodian.to_owned(),
                    until: hpki_clock::jst::rfc3339_unix(until as i64),
                })?;
        // scrypt takes a fraction of a second: off the async worker threads.
        let opened = {
            let (record, passphrase) = (record.clone(), Zeroizing::new(passphrase.to_owned()));
            tokio::task::spawn_blocking(move || {
                let mut one = Presented::default();
                one.present(&record, &sealed, &passphrase).map(|()| one)
            })
            .await
            .map_err(|e| CaError::Config(format!("share check did not finish: {e}")))?
        };
        self.share_attempts
            .settle(custodian, attempt, opened.is_ok());
        let object = format!("custodian/{custodian}");
        let actor = format!("custodian:{custodian}");
        let one = match opened {
            Ok(one) => one,
            Err(e) => {
                let mut audit = self.audit(
                    "custody.share_refused",
                    &object,
                    json!({"ceremony_id": record.ceremony_id, "reason": e.to_string(),
                           "attempt": attempt.number, "locked_until": attempt.locks_until}),
                );
                audit.actor = actor;
                self.store.append_audit(&audit).await?;
                // The refusal that set the lock says so.
                return Err(match attempt.locks_until {
                    Some(until) => CustodyError::Locked {
                        custodian: custodian.to_owned(),
                        until: hpki_clock::jst::rfc3339_unix(until as i64),
                    },
                    None => e,
                }
                .into());
            }
        };
        let (count, ready) = {
            let mut presented = self.presented.lock().unwrap_or_else(|p| p.into_inner());
            presented.merge(one);
            (presented.count(), presented.count() >= record.threshold)
        };
        let mut audit = self.audit(
            "custody.share_presented",
            &object,
            json!({"ceremony_id": record.ceremony_id, "presented": count, "threshold": record.threshold}),
        );
        audit.actor = actor;
        self.store.append_audit(&audit).await?;
        if ready {
            self.activate(record).await?;
        }
        Ok(self.activation_status())
    }

    async fn activate(&self, record: &CustodyRecord) -> Result<(), CaError> {
        let (secret, custodians) = {
            let mut presented = self.presented.lock().unwrap_or_else(|p| p.into_inner());
            let custodians = presented.custodians();
            let secret = presented.recombine(record);
            presented.clear();
            (secret, custodians)
        };
        let secret = match secret {
            Ok(s) => s,
            Err(e) => {
                self.store
                    .append_audit(&self.audit(
                        "ca.activation_failed",
                        "ca-keys",
                        json!({"custodians": custodians, "reason": e.to_string()}),
                    ))
                    .await?;
                return Err(e.into());
            }
        };
        let unlock = unlock_passphrase(&secret);
        let mut keys = HashMap::new();
        for ca in CUSTODIAL {
            if key_file(&self.dir, ca).is_some() && self.authorities.contains_key(&ca) {
                keys.insert(ca, self.load_key(&ca.key_ref(), &unlock)?);
            }
        }
        for ca in self.hsm_held_cas() {
            let key_ref = ca.hsm_key_ref();
            let key = match self.load_key(&key_ref, &unlock) {
                // A ceremony interrupted before it moved the HSM PIN: finish it with the
                // operator's PIN, if this engine was given it.
                Err(CaError::Token(hpki_token::TokenError::HsmPinRefused(_)))
                    if self.hsm_pin.is_some() =>
                {
                    let pin = self.hsm_pin.as_deref().unwrap_or_default();
                    self.move_hsm_pin(pin, &unlock)?;
                    self.store
                        .append_audit(&self.audit(
                            "custody.hsm_pin_moved",
                            "ca-keys",
                            json!({"ceremony_id": record.ceremony_id, "late": true}),
                        ))
                        .await?;
                    self.load_key(&key_ref, &unlock)?
                }
                other => other?,
            };
            keys.insert(ca, key);
        }
        let names: Vec<&str> = keys.keys().map(|c| c.as_str()).collect();
        let details =
            json!({"ceremony_id": record.ceremony_id, "custodians": custodians, "keys": names});
        *self.activated.write().unwrap_or_else(|p| p.into_inner()) = keys;
        self.store
            .append_audit(&self.audit("ca.activated", "ca-keys", details))
            .await?;
        Ok(())
    }

    /// The CAs whose keys this installation keeps in its HSM.
    fn hsm_held_cas(&self) -> Vec<CaName> {
        CUSTODIAL
            .into_iter()
            .filter(|ca| {
                self.authorities
                    .get(ca)
                    .is_some_and(|a| a.key_ref.starts_with(crate::authority::HSM_KEY_REF_PREFIX))
            })
            .collect()
    }

    /// Changes the HSM user PIN from the operator's `pin` to the custodians' secret.
    fn move_hsm_pin(&self, pin: &str, unlock: &str) -> Result<(), CaError> {
        let hsm = self
            .config
            .hsm
            .as_ref()
            .ok_or_else(|| CaError::Config("no [hsm] in hpki.toml".into()))?;
        let module = hpki_token::Module::open(Path::new(&hsm.module))?;
        hpki_token::HsmToken::change_pin(&module, &hsm.token_label, pin, unlock)?;
        Ok(())
    }

    /// Locks the CA keys again and forgets any shares presented. Audited.
    pub async fn deactivate(&self) -> Result<ActivationStatus, CaError> {
        self.deactivate_as(&self.current_actor()).await
    }

    /// [`Engine::deactivate`] by `actor` (the operator of the operator interface), audited so.
    pub async fn deactivate_as(&self, actor: &str) -> Result<ActivationStatus, CaError> {
        if self.custody.is_none() {
            return Err(CaError::NoCustody);
        }
        let was_active = {
            let mut active = self.activated.write().unwrap_or_else(|p| p.into_inner());
            let was = !active.is_empty();
            active.clear();
            was
        };
        self.presented
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
        let mut audit = self.audit(
            "ca.deactivated",
            "ca-keys",
            json!({"was_activated": was_active}),
        );
        actor.clone_into(&mut audit.actor);
        self.store.append_audit(&audit).await?;
        Ok(self.activation_status())
    }

    /// Where custody stands.
    pub fn activation_status(&self) -> ActivationStatus {
        let activated = !self
            .activated
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .is_empty();
        ActivationStatus {
            custody: self.custody.is_some(),
            activated: activated || self.custody.is_none(),
            threshold: self.custody.as_ref().map_or(0, |r| r.threshold),
            presented: self
                .presented
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .custodians(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn custodians(names: &[&str]) -> Vec<(String, Zeroizing<String>)> {
        names
            .iter()
            .map(|n| (n.to_string(), Zeroizing::new(format!("passphrase of {n}"))))
            .collect()
    }

    #[test]
    fn any_two_of_three_recover_the_secret_and_one_does_not() {
        let c = custodians(&["alice", "bob", "carol"]);
        let Split {
            secret,
            record,
            shares: sealed,
        } = split(&c, 2, 0).unwrap();
        assert_eq!(secret.len(), 32);
        assert_eq!(sealed.len(), 3);
        for pair in [[0, 1], [0, 2], [1, 2]] {
            let mut p = Presented::default();
            for i in pair {
                p.present(&record, &sealed[i], &c[i].1).unwrap();
            }
            assert_eq!(*p.recombine(&record).unwrap(), *secret);
        }
        let mut one = Presented::default();
        one.present(&record, &sealed[0], &c[0].1).unwrap();
        assert!(matches!(
            one.recombine(&record),
            Err(CustodyError::Recombination)
        ));
        // The same custodian twice is still one.
        one.present(&record, &sealed[0], &c[0].1).unwrap();
        assert_eq!(one.count(), 1);
    }

    #[test]
    fn a_wrong_passphrase_or_a_moved_share_is_refused() {
        let c = custodians(&["alice", "bob"]);
        let Split {
            record,
            shares: sealed,
            ..
        } = split(&c, 2, 0).unwrap();
        let mut p = Presented::default();
        assert!(matches!(
            p.present(&record, &sealed[0], "wrong"),
            Err(CustodyError::ShareRefused(n)) if n == "alice"
        ));
        // Bob's share relabelled as Alice's: the associated data no longer matches.
        let mut moved = sealed[1].clone();
        moved.custodian = "alice".into();
        assert!(matches!(
            p.present(&record, &moved, &c[1].1),
            Err(CustodyError::ShareRefused(_))
        ));
        // One flipped byte of ciphertext.
        let mut altered = sealed[0].clone();
        let mut bytes = hex::decode(&altered.sealed.ciphertext).unwrap();
        bytes[0] ^= 1;
        altered.sealed.ciphertext = hex::encode(bytes);
        assert!(p.present(&record, &altered, &c[0].1).is_err());
        assert_eq!(p.count(), 0);
    }

    #[test]
    fn shares_of_another_ceremony_do_not_recombine() {
        let c = custodians(&["alice", "bob"]);
        let (a, b) = (split(&c, 2, 0).unwrap(), split(&c, 2, 0).unwrap());
        let (record_a, sealed_a) = (a.record, a.shares);
        let (record_b, sealed_b) = (b.record, b.shares);
        let mut p = Presented::default();
        assert!(p.present(&record_a, &sealed_b[0], &c[0].1).is_err());
        p.present(&record_a, &sealed_a[0], &c[0].1).unwrap();
        p.present(&record_b, &sealed_b[1], &c[1].1).unwrap();
        assert!(matches!(
            p.recombine(&record_a),
            Err(CustodyError::Recombination)
        ));
    }

    #[test]
    fn plans_need_two_distinct_well_named_custodians() {
        let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(check_plan(&names(&["a", "b", "c"]), 2).is_ok());
        assert!(check_plan(&names(&["a", "b"]), 1).is_err());
        assert!(check_plan(&names(&["a", "b"]), 3).is_err());
        assert!(check_plan(&names(&["a", "a"]), 2).is_err());
        assert!(check_plan(&names(&["a", "B"]), 2).is_err());
        assert!(check_plan(&names(&["a", ""]), 2).is_err());
    }
}
