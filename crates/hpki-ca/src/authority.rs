//! The engine: the data directory, its configuration, the store, and the loaded CAs.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use der::{Decode, Encode};
use hpki_clock::SharedClock;
use hpki_keys::{Signer, SoftwareKey};
use hpki_profile::lint::{LintContext, lint};
use hpki_profile::profile::{
    CertificateProfile, PublicUrls, TbsParams, build_tbs, key_identifier, parse_oids,
};
use hpki_profile::roles::RoleTable;
use hpki_store::{AuditEvent, Store};
use x509_cert::Certificate;
use x509_cert::ext::pkix::SubjectKeyIdentifier;

use crate::CaError;
use crate::config::Config;
use crate::datadir::DataDir;

/// The three CAs of an hpki installation.
#[derive(Clone, Copy, Debug, Eq, Hash, PartialEq, PartialOrd, Ord)]
pub enum CaName {
    /// The root (demo stand-in for the MHLW HPKI Root CA, or the installed real root certificate).
    Root,
    /// The signing CA (…-forNonRepudiation).
    Sign,
    /// The authentication CA (…-forAuthentication).
    Auth,
}

impl CaName {
    /// Name used in URLs, files and the store.
    pub fn as_str(self) -> &'static str {
        match self {
            CaName::Root => "root",
            CaName::Sign => "sign",
            CaName::Auth => "auth",
        }
    }

    /// Parse `root`, `sign` or `auth`.
    pub fn parse(s: &str) -> Result<Self, CaError> {
        match s {
            "root" => Ok(CaName::Root),
            "sign" => Ok(CaName::Sign),
            "auth" => Ok(CaName::Auth),
            _ => Err(CaError::UnknownCa(s.to_owned())),
        }
    }

    /// The two issuing CAs.
    pub const ISSUING: [CaName; 2] = [CaName::Sign, CaName::Auth];

    /// The end-entity profile an issuing CA issues.
    pub fn end_entity_profile(self) -> Option<CertificateProfile> {
        match self {
            CaName::Sign => Some(CertificateProfile::EndEntitySigning),
            CaName::Auth => Some(CertificateProfile::EndEntityAuthentication),
            CaName::Root => None,
        }
    }

    /// Key reference of the CA's own key in the data directory.
    pub fn key_ref(self) -> String {
        format!("file:keys/{}.key.pem", self.as_str())
    }

    /// Key reference of the CA's own key in the configured HSM: the key object's label, in the
    /// form of an RFC 7512 PKCS#11 URI path (the token comes from `[hsm]` of `hpki.toml`).
    pub fn hsm_key_ref(self) -> String {
        format!("{HSM_KEY_REF_PREFIX}{}", self.hsm_key_label())
    }

    /// Label of the CA's key object in the HSM.
    pub fn hsm_key_label(self) -> String {
        format!("hpki-{}", self.as_str())
    }

    /// Key reference of the CA's OCSP responder key.
    pub fn ocsp_key_ref(self) -> String {
        format!("file:keys/{}-ocsp.key.pem", self.as_str())
    }
}

impl std::fmt::Display for CaName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A certificate with its key, if this installation holds the key.
#[derive(Clone)]
pub struct KeyedCertificate {
    /// The certificate.
    pub cert: Certificate,
    /// Its DER.
    pub der: Vec<u8>,
    /// The private key, when loaded.
    pub signer: Option<Arc<dyn Signer>>,
}

impl KeyedCertificate {
    /// The key identifier of this certificate: its subjectKeyIdentifier extension, which is
    /// what authorityKeyIdentifier must repeat (RFC 5280 §4.2.1.1) whatever method the issuer
    /// used (a real root may use SHA-1); computed by RFC 7093 method 1 only when absent.
    pub fn key_id(&self) -> Vec<u8> {
        subject_key_id(&self.cert)
    }
}

/// The subjectKeyIdentifier of `cert`, or RFC 7093 method 1 over its key when it has none.
pub fn subject_key_id(cert: &Certificate) -> Vec<u8> {
    match cert
        .tbs_certificate()
        .get_extension::<SubjectKeyIdentifier>()
    {
        Ok(Some((_, ski))) => ski.0.as_bytes().to_vec(),
        _ => key_identifier(cert.tbs_certificate().subject_public_key_info()),
    }
}

/// Key references of keys in the HSM start with this.
pub const HSM_KEY_REF_PREFIX: &str = "pkcs11:object=";

/// A CA as loaded from the store.
#[derive(Clone)]
pub struct Authority {
    /// Which CA.
    pub name: CaName,
    /// Where its key is kept (`file:keys/…` or `pkcs11:object=…`).
    pub key_ref: String,
    /// The CA certificate and key.
    pub ca: KeyedCertificate,
    /// The delegated OCSP responder (issuing CAs).
    pub responder: Option<KeyedCertificate>,
}

/// How much key material to load.
#[derive(Clone, Debug)]
pub enum KeyAccess {
    /// No private keys (listing, export, audit).
    None,
    /// Decrypt the keys with this passphrase.
    Passphrase(String),
    /// Decrypt the key files with `passphrase`; log in to the HSM holding CA keys with
    /// `hsm_pin`.
    WithHsm {
        /// The key files' passphrase.
        passphrase: String,
        /// The HSM user PIN.
        hsm_pin: String,
    },
}

tokio::task_local! {
    /// The actor of the engine's audit records in this task, set by [`Engine::acting_as`].
    static ACTING: String;
}

/// The CA engine.
pub struct Engine {
    /// The data directory.
    pub dir: DataDir,
    /// Its configuration.
    pub config: Config,
    /// The store.
    pub store: Store,
    /// The role table.
    pub roles: RoleTable,
    /// Loaded CAs.
    pub authorities: HashMap<CaName, Authority>,
    /// Who is acting, for the audit log.
    pub actor: String,
    /// Key decryption passphrase, when given.
    pub(crate) passphrase: Option<String>,
    /// The HSM user PIN, when given (and the CA keys are not under custody).
    pub(crate) hsm_pin: Option<String>,
    /// Serials reserved in the store and not used yet, per CA (see [`Engine::take_serial`]).
    serial_stock: Mutex<HashMap<CaName, SerialStock>>,
    /// The key ceremony's record when the CA keys are under M-of-N custody (see
    /// [`crate::custody`]); `None` when they are under the operator passphrase.
    pub custody: Option<crate::custody::CustodyRecord>,
    /// Custodians' shares presented towards the next activation.
    pub(crate) presented: Mutex<crate::custody::Presented>,
    /// Failed presentations per custodian (see [`crate::attempts`]).
    pub(crate) share_attempts: crate::attempts::AttemptLimit,
    /// The CA keys unlocked by the custodians, while activated.
    pub(crate) activated: std::sync::RwLock<HashMap<CaName, Arc<dyn Signer>>>,
    /// Where the CA's time comes from (notBefore, thisUpdate, producedAt, genTime, the store's
    /// records): the system's clock, or the one the engine was opened with.
    pub clock: SharedClock,
}

/// Serials one engine has reserved ahead for a CA.
#[derive(Default)]
struct SerialStock {
    /// Reserved, unused, as octets.
    ready: Vec<Vec<u8>>,
    /// How many to reserve at the next refill.
    next_batch: usize,
}

/// The largest number of serials reserved in one refill of the stock.
const SERIAL_BATCH_MAX: usize = 32;

/// The database of `dir`: `database_url` when given (a relative SQLite path is relative to the
/// directory), else the one its configuration names.
fn database_url_of(dir: &DataDir, config: &Config, database_url: Option<&str>) -> String {
    match database_url {
        Some(u) => crate::datadir::resolve_sqlite_url(u, dir.path()),
        None => dir.database_url(config),
    }
}

/// Brings the database of the data directory `dir` (or `database_url`) to this build's schema
/// (`hpki migrate`), telling `on_applied` of each migration as it commits; each migration is
/// audited as done by `actor` at the time `clock` gives. Needs no key. See [`hpki_store::Store::migrate`].
pub async fn migrate(
    dir: &Path,
    database_url: Option<&str>,
    actor: &str,
    clock: SharedClock,
    on_applied: &mut (dyn FnMut(&hpki_store::Migration) + Send),
) -> Result<hpki_store::MigrationReport, CaError> {
    let dir = DataDir::open(&std::path::absolute(dir).map_err(|e| CaError::io(dir, e))?)?;
    let config = dir.config()?;
    let url = database_url_of(&dir, &config, database_url);
    Ok(Store::migrate(&url, actor, clock, on_applied).await?)
}

impl Engine {
    /// Open an initialised data directory. `database_url` overrides the configured database.
    pub async fn open(
        dir: &Path,
        database_url: Option<&str>,
        keys: KeyAccess,
        actor: &str,
    ) -> Result<Self, CaError> {
        Engine::open_with_clock(dir, database_url, keys, actor, hpki_clock::system()).await
    }

    /// [`Engine::open`] with the clock the engine and its store take their time from.
    pub async fn open_with_clock(
        dir: &Path,
        database_url: Option<&str>,
        keys: KeyAccess,
        actor: &str,
        clock: SharedClock,
    ) -> Result<Self, CaError> {
        let dir = DataDir::open(&std::path::absolute(dir).map_err(|e| CaError::io(dir, e))?)?;
        let config = dir.config()?;
        let custody = crate::custody::load_record(&dir)?;
        let url = database_url_of(&dir, &config, database_url);
        let store = Store::connect(&url).await?.with_clock(clock.clone());
        let roles = match &config.roles_file {
            Some(f) => {
                let p = dir.path().join(f);
                let text = std::fs::read_to_string(&p).map_err(|e| CaError::io(&p, e))?;
                RoleTable::from_toml(&text).map_err(|e| CaError::Config(e.to_string()))?
            }
            None => RoleTable::hpki_default(),
        };
        let (passphrase, hsm_pin) = match keys {
            KeyAccess::None => (None, None),
            KeyAccess::Passphrase(p) => (Some(p), None),
            KeyAccess::WithHsm {
                passphrase,
                hsm_pin,
            } => (Some(passphrase), Some(hsm_pin)),
        };
        let mut engine = Engine {
            dir,
            config,
            store,
            roles,
            authorities: HashMap::new(),
            actor: actor.to_owned(),
            passphrase,
            hsm_pin,
            serial_stock: Mutex::new(HashMap::new()),
            custody,
            presented: Mutex::new(Default::default()),
            share_attempts: Default::default(),
            activated: Default::default(),
            clock,
        };
        engine.reload().await?;
        Ok(engine)
    }

    /// Now, by the engine's clock.
    pub fn now(&self) -> std::time::SystemTime {
        self.clock.now()
    }

    /// Now in whole Unix seconds, by the engine's clock.
    pub fn now_unix(&self) -> u64 {
        u64::try_from(self.clock.unix()).unwrap_or(0)
    }

    /// (Re)load the CAs from the store, decrypting keys if a passphrase was given.
    pub async fn reload(&mut self) -> Result<(), CaError> {
        let mut out = HashMap::new();
        for rec in self.store.cas().await? {
            let Ok(name) = CaName::parse(&rec.name) else {
                continue;
            };
            // Under custody the CA keys open only with the custodians' secret (activation); an
            // HSM-held key opens only with the HSM PIN (see `ca_signer` for the refusal).
            let ca_key_ref = if self.custody.is_some()
                || (rec.key_ref.starts_with(HSM_KEY_REF_PREFIX) && self.hsm_pin.is_none())
            {
                ""
            } else {
                rec.key_ref.as_str()
            };
            let ca = self.keyed(&rec.cert_der, ca_key_ref)?;
            let responder = match (&rec.ocsp_cert_der, &rec.ocsp_key_ref) {
                (Some(der), Some(key_ref)) => Some(self.keyed(der, key_ref)?),
                _ => None,
            };
            out.insert(
                name,
                Authority {
                    name,
                    key_ref: rec.key_ref.clone(),
                    ca,
                    responder,
                },
            );
        }
        self.authorities = out;
        Ok(())
    }

    fn keyed(&self, der: &[u8], key_ref: &str) -> Result<KeyedCertificate, CaError> {
        let cert = Certificate::from_der(der)?;
        let signer = match &self.passphrase {
            Some(_) if !key_ref.is_empty() => Some(self.operator_key(key_ref)?),
            _ => None,
        };
        Ok(KeyedCertificate {
            cert,
            der: der.to_vec(),
            signer,
        })
    }

    /// Where the key of CA `ca` is kept in this installation: the HSM when `[hsm]` names the
    /// CA, an encrypted file otherwise.
    pub fn ca_key_ref(&self, ca: CaName) -> String {
        match &self.config.hsm {
            Some(hsm) if hsm.cas.iter().any(|c| c == ca.as_str()) => ca.hsm_key_ref(),
            _ => ca.key_ref(),
        }
    }

    /// The configured HSM token, logged in with `pin`.
    pub fn hsm_token(&self, pin: &str) -> Result<hpki_token::HsmToken, CaError> {
        let hsm = self.config.hsm.as_ref().ok_or_else(|| {
            CaError::Config("a CA key is in an HSM but hpki.toml has no [hsm]".into())
        })?;
        let module = hpki_token::Module::open(Path::new(&hsm.module))?;
        Ok(hpki_token::HsmToken::login(&module, &hsm.token_label, pin)?)
    }

    /// Opens the key at `key_ref` with the operator's credentials: the passphrase for a key
    /// file, the HSM PIN for a key in the HSM.
    pub(crate) fn operator_key(&self, key_ref: &str) -> Result<Arc<dyn Signer>, CaError> {
        let secret = if key_ref.starts_with(HSM_KEY_REF_PREFIX) {
            self.hsm_pin.as_deref()
        } else {
            self.passphrase.as_deref()
        };
        let secret = secret.ok_or_else(|| CaError::NoKey(key_ref.to_owned()))?;
        self.load_key(key_ref, secret)
    }

    /// Opens the key at `key_ref` with `secret`: the passphrase of a key file, or the user PIN
    /// of the HSM for `pkcs11:object=<label>`.
    pub(crate) fn load_key(&self, key_ref: &str, secret: &str) -> Result<Arc<dyn Signer>, CaError> {
        if let Some(label) = key_ref.strip_prefix(HSM_KEY_REF_PREFIX) {
            return Ok(Arc::new(self.hsm_token(secret)?.signer(label)?));
        }
        let passphrase = secret;
        let path = self
            .dir
            .key_path(key_ref)
            .ok_or_else(|| CaError::Config(format!("unsupported key reference {key_ref}")))?;
        let pem = std::fs::read_to_string(&path).map_err(|e| CaError::io(&path, e))?;
        Ok(Arc::new(SoftwareKey::from_encrypted_pem(&pem, passphrase)?))
    }

    /// A loaded CA.
    pub fn authority(&self, name: CaName) -> Result<&Authority, CaError> {
        self.authorities.get(&name).ok_or_else(|| {
            if name != CaName::Root
                && self
                    .dir
                    .key_path(&name.key_ref())
                    .is_some_and(|p| p.exists())
            {
                CaError::AwaitingCertificate(name.to_string())
            } else {
                CaError::UnknownCa(name.to_string())
            }
        })
    }

    /// The key of CA `ca` for signing certificates and CRLs: under custody, only while the
    /// custodians have activated the CA keys.
    pub fn ca_signer(&self, ca: CaName) -> Result<Arc<dyn Signer>, CaError> {
        let authority = self.authority(ca)?;
        if self.custody.is_some() {
            return self
                .activated
                .read()
                .unwrap_or_else(|p| p.into_inner())
                .get(&ca)
                .cloned()
                .ok_or_else(|| CaError::NotActivated(ca.to_string()));
        }
        authority.ca.signer.clone().ok_or_else(|| {
            if authority.key_ref.starts_with(HSM_KEY_REF_PREFIX) && self.passphrase.is_some() {
                CaError::HsmPinRequired(ca.to_string())
            } else {
                CaError::NoKey(ca.to_string())
            }
        })
    }

    /// The public URLs from the configuration.
    pub fn urls(&self) -> PublicUrls {
        PublicUrls::new(&self.config.public_base_url)
    }

    /// Refuses unless this engine was opened with the operator passphrase (checked when it was
    /// opened, by decrypting the OCSP responders' keys): what revocation and other operator
    /// actions of the CA require.
    pub fn require_operator(&self) -> Result<(), CaError> {
        self.operator_passphrase().map(|_| ())
    }

    /// The operator passphrase this engine was opened with.
    pub(crate) fn operator_passphrase(&self) -> Result<&str, CaError> {
        self.passphrase
            .as_deref()
            .ok_or_else(|| CaError::NoKey("operator passphrase (HPKI_KEY_PASSPHRASE)".into()))
    }

    /// Runs `work` with `actor` as the actor of every audit record the engine writes for it
    /// (an officer of the registration authority issuing onto a card, revoking for a lost
    /// card), instead of the engine's own (the server process).
    pub async fn acting_as<F: std::future::Future>(actor: &str, work: F) -> F::Output {
        ACTING.scope(actor.to_owned(), work).await
    }

    /// Who acts now: the actor of [`Engine::acting_as`] around this task, else the engine's.
    pub fn current_actor(&self) -> String {
        ACTING
            .try_with(Clone::clone)
            .unwrap_or_else(|_| self.actor.clone())
    }

    /// An audit event by the actor acting now ([`Engine::current_actor`]).
    pub fn audit(&self, action: &str, object: &str, details: serde_json::Value) -> AuditEvent {
        AuditEvent {
            actor: self.current_actor(),
            action: action.to_owned(),
            object: object.to_owned(),
            details,
        }
    }

    /// A fresh random serial for a certificate of `ca`, already reserved in the store (so no
    /// other issuer, in any process, can ever use it), to be signed into at most one certificate.
    ///
    /// Reserving is a database commit, so the engine reserves ahead in batches: 1 the first
    /// time, then twice as many at each refill up to [`SERIAL_BATCH_MAX`], which keeps a
    /// one-shot CLI run from reserving serials it will not use and spreads the cost of a
    /// commit over many certificates when issuing many. Every serial handed out was reserved
    /// (committed) before the call returned, that is before anything is signed with it; serials
    /// still in stock when the engine is dropped are left reserved and unused.
    pub(crate) async fn take_serial(&self, ca: CaName) -> Result<Vec<u8>, CaError> {
        let batch = {
            let mut stock = self.serial_stock.lock().unwrap_or_else(|p| p.into_inner());
            let entry = stock.entry(ca).or_default();
            if let Some(serial) = entry.ready.pop() {
                return Ok(serial);
            }
            let batch = entry.next_batch.clamp(1, SERIAL_BATCH_MAX);
            entry.next_batch = (batch * 2).min(SERIAL_BATCH_MAX);
            batch
        };
        for _ in 0..8 {
            let mut candidates = Vec::with_capacity(batch);
            for _ in 0..batch {
                candidates.push(random_serial()?);
            }
            let hex: Vec<String> = candidates.iter().map(|c| serial_hex(c)).collect();
            let reserved = self.store.reserve_serials(ca.as_str(), &hex).await?;
            let mut mine: Vec<Vec<u8>> = candidates
                .into_iter()
                .zip(hex)
                .filter(|(_, h)| reserved.contains(h))
                .map(|(c, _)| c)
                .collect();
            if let Some(serial) = mine.pop() {
                if !mine.is_empty() {
                    let mut stock = self.serial_stock.lock().unwrap_or_else(|p| p.into_inner());
                    stock.entry(ca).or_default().ready.extend(mine);
                }
                return Ok(serial);
            }
        }
        Err(CaError::SerialExhausted)
    }

    /// Policies of a CA's end-entity certificates.
    pub fn end_entity_policies(
        &self,
        ca: CaName,
    ) -> Result<Vec<der::asn1::ObjectIdentifier>, CaError> {
        let c = match ca {
            CaName::Sign => &self.config.ca.sign,
            CaName::Auth => &self.config.ca.auth,
            CaName::Root => return Ok(Vec::new()),
        };
        Ok(parse_oids(&c.end_entity_policies)?)
    }
}

/// 16 random bytes, positive, with the top bits set so the encoding is always 16 octets:
/// 126 bits of entropy (RFC 5280 §4.1.2.2 allows up to 20 octets; CA/B requires 64 bits).
pub fn random_serial() -> Result<Vec<u8>, CaError> {
    let mut b = vec![0u8; 16];
    aws_lc_rs::rand::fill(&mut b).map_err(|_| CaError::SerialExhausted)?;
    b[0] = (b[0] & 0x3f) | 0x40;
    Ok(b)
}

/// Lowercase hex of a serial number without leading zero octets: the form the store keys on.
pub fn serial_hex(bytes: &[u8]) -> String {
    let start = bytes
        .iter()
        .position(|b| *b != 0)
        .unwrap_or(bytes.len().saturating_sub(1));
    hex::encode(&bytes[start..])
}

/// Normalise a serial typed by an operator (`0x…`, upper case, colons, leading zeros).
pub fn normalize_serial(input: &str) -> Result<String, CaError> {
    let cleaned: String = input
        .trim()
        .trim_start_matches("0x")
        .trim_start_matches("0X")
        .chars()
        .filter(|c| *c != ':')
        .collect();
    let padded = if cleaned.len() % 2 == 1 {
        format!("0{cleaned}")
    } else {
        cleaned.clone()
    };
    let bytes = hex::decode(&padded).map_err(|_| CaError::BadSerial(input.to_owned()))?;
    if bytes.is_empty() {
        return Err(CaError::BadSerial(input.to_owned()));
    }
    Ok(serial_hex(&bytes))
}

/// Lint, sign and verify one certificate; the only place hpki signs certificates.
pub(crate) fn sign_certificate(
    params: &TbsParams,
    signer: &dyn Signer,
    issuer_public_key_der: &[u8],
    ctx: &LintContext<'_>,
) -> Result<Certificate, CaError> {
    let der = sign_certificate_der(params, signer, issuer_public_key_der, ctx)?;
    Ok(Certificate::from_der(&der)?)
}

/// [`sign_certificate`], returning the certificate's DER (what issuance stores and returns,
/// without decoding it again).
pub(crate) fn sign_certificate_der(
    params: &TbsParams,
    signer: &dyn Signer,
    issuer_public_key_der: &[u8],
    ctx: &LintContext<'_>,
) -> Result<Vec<u8>, CaError> {
    let tbs = build_tbs(params)?;
    let findings = lint(&tbs, ctx);
    if !findings.is_empty() {
        return Err(CaError::Lint(findings));
    }
    let tbs_der = tbs.to_der()?;
    let signature = signer.sign(&tbs_der)?;
    // Check the signature before anything leaves the CA (a faulty key or HSM must not emit
    // a bad certificate).
    hpki_keys::verify_signature(
        issuer_public_key_der,
        signer.algorithm(),
        &tbs_der,
        &signature,
    )?;
    let cert = hpki_asn1::certificate::Certificate {
        tbs_certificate: tbs,
        signature_algorithm: signer.algorithm().algorithm_identifier(),
        signature_value: der::asn1::BitString::from_bytes(&signature)?,
    };
    Ok(cert.to_der()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serials_are_16_octets_positive_and_distinct() {
        let a = random_serial().unwrap();
        let b = random_serial().unwrap();
        assert_eq!(a.len(), 16);
        assert!(a[0] & 0x80 == 0 && a[0] != 0);
        assert_ne!(a, b);
    }

    #[test]
    fn operator_serials_are_normalised() {
        assert_eq!(normalize_serial("0x00AB:cd").unwrap(), "abcd");
        assert_eq!(normalize_serial("ABC").unwrap(), "0abc");
        assert!(normalize_serial("xyz").is_err());
        assert!(normalize_serial("").is_err());
    }
}

#[cfg(test)]
mod signing_tests {
    use super::*;
    use hpki_keys::{KeyKind, SignatureAlgorithm};
    use hpki_profile::name::{NameAttribute, build_name};
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A signer that counts how often it is asked to sign.
    struct Counting(SoftwareKey, AtomicUsize);

    impl Signer for Counting {
        fn algorithm(&self) -> SignatureAlgorithm {
            self.0.algorithm()
        }
        fn public_key(&self) -> &spki::SubjectPublicKeyInfoOwned {
            self.0.public_key()
        }
        fn sign(&self, m: &[u8]) -> Result<Vec<u8>, hpki_keys::KeyError> {
            self.1.fetch_add(1, Ordering::SeqCst);
            self.0.sign(m)
        }
    }

    fn root_params(key: &Counting) -> TbsParams {
        let name = build_name(&[
            NameAttribute::Country("JP".into()),
            NameAttribute::Organization("Test Root".into()),
        ])
        .unwrap();
        TbsParams {
            profile: CertificateProfile::Root,
            serial: random_serial().unwrap(),
            signature: key.algorithm().algorithm_identifier(),
            issuer: name.clone(),
            issuer_key_id: None,
            issuer_ca: "root".into(),
            subject: name,
            subject_alt_dir_name: None,
            server_names: Vec::new(),
            spki: key.public_key().clone(),
            not_before: 1_790_000_000,
            not_after: 1_790_000_000 + 86_400,
            policies: vec![],
            cps_uri: None,
            hc_roles: vec![],
            urls: PublicUrls::new("http://ca.example.jp"),
        }
    }

    #[test]
    fn a_failing_lint_means_nothing_is_signed() {
        let key = Counting(
            SoftwareKey::generate(KeyKind::P256).unwrap(),
            AtomicUsize::new(0),
        );
        let roles = RoleTable::hpki_default();
        let params = root_params(&key);
        let spki = key.public_key().to_der().unwrap();
        // Policy allows one hour: the one-day certificate must be refused before signing.
        let strict = LintContext {
            profile: CertificateProfile::Root,
            issuer_key_id: None,
            required_policies: &[],
            max_validity_seconds: 3600,
            roles: &roles,
        };
        match sign_certificate(&params, &key, &spki, &strict) {
            Err(CaError::Lint(f)) => assert_eq!(f[0].lint, "e_validity_exceeds_policy"),
            other => panic!("expected a lint refusal, got {:?}", other.map(|_| ())),
        }
        assert_eq!(
            key.1.load(Ordering::SeqCst),
            0,
            "the key must not have been used"
        );

        let ok = LintContext {
            max_validity_seconds: 86_400,
            ..strict
        };
        sign_certificate(&params, &key, &spki, &ok).unwrap();
        assert_eq!(key.1.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn a_signature_that_does_not_verify_is_never_emitted() {
        let key = Counting(
            SoftwareKey::generate(KeyKind::P256).unwrap(),
            AtomicUsize::new(0),
        );
        let other = SoftwareKey::generate(KeyKind::P256).unwrap();
        let roles = RoleTable::hpki_default();
        let ctx = LintContext {
            profile: CertificateProfile::Root,
            issuer_key_id: None,
            required_policies: &[],
            max_validity_seconds: 86_400,
            roles: &roles,
        };
        // Claim another public key for the issuer: the self-check after signing must refuse.
        let wrong = other.public_key().to_der().unwrap();
        assert!(sign_certificate(&root_params(&key), &key, &wrong, &ctx).is_err());
    }
}
