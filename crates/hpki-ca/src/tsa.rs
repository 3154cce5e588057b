//! The RFC 3161 time-stamping authority (TSA): `POST /tsa` of the server.
//!
//! One TSA unit per data directory: an RSA-2048 key (`keys/tsa.key.pem`, encrypted under the
//! operator passphrase like the OCSP responder keys, so the server time-stamps without the
//! custodians; the key reference may name an HSM object later) and its certificate (profile
//! `tsa`: critical EKU id-kp-timeStamping only, RFC 3161 §2.3).
//!
//! - `hpki init --demo` creates both, the certificate issued by the demo root.
//! - `hpki tsa init` on a data directory without a TSA creates the key and, when this
//!   installation holds the root's key (a demo root), the certificate; otherwise it returns a
//!   PKCS#10 request for the CA that certifies the TSA, and `hpki tsa install-cert` installs
//!   the answer (checked: our key, the TSA EKU, the issuer's signature, currently valid).
//!
//! Each request ([`TsaResponder::respond`]) is checked and answered by `hpki-sign`'s TSA core
//! (RFC 3161 §2.4): SHA-256/384/512 imprints only, the configured policy (`[tsa] policy`, or
//! one of `other_policies` when the request asks), nonce echoed, the TSA certificate included
//! when `certReq`, a random 126-bit serial number, `genTime` from the system clock to the
//! millisecond with the configured accuracy, `tsa` = the certificate's subject, and the ESS
//! signing-certificate-v2 attribute (RFC 5816). Every token is recorded in the store
//! (`timestamps`) before the response leaves; a token whose serial is taken is signed again
//! with a new one. The TSA refuses (systemFailure) when its certificate is not valid now.

use hpki_text::Localized;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use der::{Decode, DecodePem, Encode};
use hpki_asn1::tsp::{Accuracy, GenTime, PkiFailureInfo};
use hpki_keys::Signer;
use hpki_profile::name::{NameAttribute, build_name};
use hpki_profile::profile::{CertificateProfile, parse_oids};
use hpki_sign::tsp::{Rejection, TsaPolicy, check_request, granted_response, sign_token, tst_info};
use hpki_store::{NewTimestamp, TsaUnitRecord};
use serde_json::json;
use x509_cert::Certificate;
use x509_cert::ext::pkix::name::GeneralName;

use crate::CaError;
use crate::authority::{CaName, Engine, serial_hex};
use crate::ceremony::{ONE_YEAR, build_csr};

/// The name of the TSA unit in the store.
pub const TSA_UNIT: &str = "tsa";
/// Where the TSA key is kept: an encrypted PKCS#8 file of the data directory.
pub const TSA_KEY_REF: &str = "file:keys/tsa.key.pem";

/// What `hpki tsa init` achieved.
#[derive(Clone, Debug)]
pub enum TsaSetup {
    /// The TSA is ready: its certificate, issued by this installation's root.
    Installed(Box<Certificate>),
    /// The key exists; the certificate must come from the CA this PKCS#10 request (DER) goes
    /// to, then `hpki tsa install-cert`.
    AwaitingCertificate {
        /// The request.
        csr_der: Vec<u8>,
    },
}

/// What `hpki tsa show` prints.
#[derive(Clone, Debug)]
pub struct TsaStatus {
    /// The installed unit, if any.
    pub unit: Option<TsaUnitRecord>,
    /// Whether a TSA key exists without a certificate.
    pub awaiting_certificate: bool,
    /// The tokens issued so far.
    pub stats: hpki_store::TimestampStats,
}

impl Engine {
    /// The TSA policy of `[tsa]`: default and other policies, accuracy, SHA-2 imprints only.
    pub fn tsa_policy(&self) -> Result<TsaPolicy, CaError> {
        let cfg = &self.config.tsa;
        let default_policy = *parse_oids(std::slice::from_ref(&cfg.policy))?
            .first()
            .ok_or_else(|| CaError::Config("[tsa] policy".into()))?;
        let accuracy = (cfg.accuracy_ms > 0).then(|| Accuracy {
            seconds: (cfg.accuracy_ms >= 1000).then_some(cfg.accuracy_ms / 1000),
            millis: u16::try_from(cfg.accuracy_ms % 1000)
                .ok()
                .filter(|m| *m > 0),
            micros: None,
        });
        let mut policy = TsaPolicy::new(default_policy, accuracy);
        policy.other_policies = parse_oids(&cfg.other_policies)?;
        Ok(policy)
    }

    /// The TSA certificate's subject: C=JP, O and CN of `[tsa]`.
    fn tsa_subject(&self) -> Result<x509_cert::name::Name, CaError> {
        Ok(build_name(&[
            NameAttribute::Country("JP".into()),
            NameAttribute::Organization(self.config.tsa.organization.clone()),
            NameAttribute::CommonName(self.config.tsa.common_name.clone()),
        ])?)
    }

    /// The installed TSA unit, if any.
    pub async fn tsa_unit(&self) -> Result<Option<TsaUnitRecord>, CaError> {
        Ok(self.store.tsa_unit(TSA_UNIT).await?)
    }

    fn tsa_key_exists(&self) -> bool {
        self.dir.key_path(TSA_KEY_REF).is_some_and(|p| p.exists())
    }

    /// The TSA's key: loaded when it exists, created (and audited) otherwise.
    async fn tsa_key(&self) -> Result<Arc<dyn Signer>, CaError> {
        self.service_key("tsa", "tsa.key_created", TSA_UNIT).await
    }

    /// Sets up the TSA (`hpki init --demo`, `hpki tsa init`): the key, then the certificate
    /// from this installation's root when its key is here; otherwise a request for it.
    ///
    /// # Errors
    /// [`CaError::TsaExists`] when a TSA is installed already.
    pub async fn init_tsa(&self) -> Result<TsaSetup, CaError> {
        if self.tsa_unit().await?.is_some() {
            return Err(CaError::TsaExists);
        }
        let key = self.tsa_key().await?;
        let root_key = self
            .authority(CaName::Root)
            .ok()
            .and_then(|_| self.ca_signer(CaName::Root).ok());
        match root_key {
            Some(root_key) => {
                let cert = self
                    .issue_tsa_certificate(root_key.as_ref(), key.as_ref())
                    .await?;
                Ok(TsaSetup::Installed(Box::new(cert)))
            }
            None => Ok(TsaSetup::AwaitingCertificate {
                csr_der: build_csr(key.as_ref(), self.tsa_subject()?)?,
            }),
        }
    }

    /// The PKCS#10 request for the TSA key (the production path).
    pub fn tsa_csr(&self) -> Result<Vec<u8>, CaError> {
        if !self.tsa_key_exists() {
            return Err(CaError::NoTsa);
        }
        let key = self.operator_key(TSA_KEY_REF)?;
        build_csr(key.as_ref(), self.tsa_subject()?)
    }

    /// Issues the TSA certificate under the root (profile `tsa`, linted before signing) and
    /// installs it.
    async fn issue_tsa_certificate(
        &self,
        root_key: &dyn Signer,
        tsa_key: &dyn Signer,
    ) -> Result<Certificate, CaError> {
        let (cert, _) = self
            .sign_under_root(
                root_key,
                crate::root_issued::RootIssued {
                    profile: CertificateProfile::TimeStamping,
                    subject: self.tsa_subject()?,
                    key: tsa_key,
                    validity: self.config.tsa.certificate_validity_years * ONE_YEAR,
                    server_names: Vec::new(),
                },
            )
            .await?;
        self.put_tsa(&cert, "root").await?;
        Ok(cert)
    }

    async fn put_tsa(&self, cert: &Certificate, issuer: &str) -> Result<(), CaError> {
        let tbs = cert.tbs_certificate();
        let rec = TsaUnitRecord {
            name: TSA_UNIT.into(),
            cert_der: cert.to_der()?,
            key_ref: TSA_KEY_REF.into(),
            created_at: self.now_unix() as i64,
        };
        self.store
            .put_tsa_unit(
                &rec,
                &self.audit(
                    "tsa.certificate_installed",
                    TSA_UNIT,
                    json!({
                        "serial": serial_hex(tbs.serial_number().as_bytes()),
                        "subject": tbs.subject().to_string(),
                        "issuer": issuer,
                        "not_after": tbs.validity().not_after.to_unix_duration().as_secs(),
                        "policy": self.config.tsa.policy,
                    }),
                ),
            )
            .await?;
        Ok(())
    }

    /// Installs the TSA certificate a CA returned for [`Engine::tsa_csr`] (PEM or DER).
    /// `issuer_pem` is the issuer's certificate; without it, the installed CA certificate
    /// whose subject is the certificate's issuer.
    ///
    /// # Errors
    /// [`CaError::CertificateMismatch`] unless the certificate holds the TSA key, is a TSA
    /// certificate (RFC 3161 §2.3), is valid now and its issuer's signature verifies.
    pub async fn install_tsa_certificate(
        &self,
        cert_input: &[u8],
        issuer_pem: Option<&str>,
    ) -> Result<Certificate, CaError> {
        if self.tsa_unit().await?.is_some() {
            return Err(CaError::TsaExists);
        }
        if !self.tsa_key_exists() {
            return Err(CaError::NoTsa);
        }
        let cert = parse_certificate(cert_input)
            .ok_or_else(|| CaError::mismatch("証明書ではありません", "not a certificate"))?;
        let key = self.operator_key(TSA_KEY_REF)?;
        let tbs = cert.tbs_certificate();
        if tbs.subject_public_key_info() != key.public_key() {
            return Err(CaError::mismatch(
                "公開鍵がタイムスタンプ局の鍵と一致しません",
                "its public key is not the TSA key",
            ));
        }
        hpki_sign::tsp::check_tsa_certificate(&cert)
            .map_err(|e| CaError::CertificateMismatch(e.text()))?;
        let now = self.now_unix();
        let nb = tbs.validity().not_before.to_unix_duration().as_secs();
        let na = tbs.validity().not_after.to_unix_duration().as_secs();
        if now < nb || now >= na {
            return Err(CaError::mismatch("有効期間外です", "it is not valid now"));
        }
        let issuer = match issuer_pem {
            Some(pem) => Certificate::from_pem(pem.trim()).map_err(|e| {
                CaError::mismatch(
                    format!("発行者の証明書を読めません{}", hpki_text::DETAIL_IN_ENGLISH),
                    format!("issuer: {e}"),
                )
            })?,
            None => self
                .authorities
                .values()
                .map(|a| a.ca.cert.clone())
                .find(|c| c.tbs_certificate().subject() == tbs.issuer())
                .ok_or_else(|| {
                    CaError::mismatch(
                        "発行者の証明書を指定してください",
                        "its issuer is unknown here: give --issuer",
                    )
                })?,
        };
        if issuer.tbs_certificate().subject() != tbs.issuer() {
            return Err(CaError::mismatch(
                "指定の発行者が発行したものではありません",
                "it was not issued by the given issuer",
            ));
        }
        let digest = hpki_sign::DigestAlgorithm::Sha256;
        hpki_sign::signature::verify_signature(
            issuer.tbs_certificate().subject_public_key_info(),
            cert.signature_algorithm(),
            digest,
            &tbs.to_der()?,
            cert.signature().raw_bytes(),
        )
        .map_err(|_| {
            CaError::mismatch(
                "発行者の署名を検証できません",
                "the issuer's signature does not verify",
            )
        })?;
        self.put_tsa(&cert, &issuer.tbs_certificate().subject().to_string())
            .await?;
        Ok(cert)
    }

    /// The TSA's certificate, key state and counts.
    pub async fn tsa_status(&self) -> Result<TsaStatus, CaError> {
        let unit = self.tsa_unit().await?;
        Ok(TsaStatus {
            awaiting_certificate: unit.is_none() && self.tsa_key_exists(),
            unit,
            stats: self.store.timestamp_stats().await?,
        })
    }
}

fn parse_certificate(input: &[u8]) -> Option<Certificate> {
    match std::str::from_utf8(input) {
        Ok(text) if text.contains("-----BEGIN") => Certificate::from_pem(text.trim()).ok(),
        _ => Certificate::from_der(input).ok(),
    }
}

/// The loaded TSA unit.
struct LoadedTsa {
    cert: Certificate,
    cert_der: Vec<u8>,
    cert_serial_hex: String,
    signer: Option<Arc<dyn Signer>>,
    policy: TsaPolicy,
    name: GeneralName,
    not_before: u64,
    not_after: u64,
}

/// The TSA behind `POST /tsa`: loads the unit from the store on first use (and again while
/// none is installed, so `hpki tsa init` on a running server takes effect), then answers.
pub struct TsaResponder {
    engine: Arc<Engine>,
    loaded: tokio::sync::RwLock<Option<Arc<LoadedTsa>>>,
}

fn system_failure(ja: &str, en: &str) -> Vec<u8> {
    Rejection::new(PkiFailureInfo::SYSTEM_FAILURE, ja, en).response_der()
}

impl TsaResponder {
    /// A TSA over `engine` (opened with the operator passphrase to sign).
    pub fn new(engine: Arc<Engine>) -> Self {
        TsaResponder {
            engine,
            loaded: tokio::sync::RwLock::new(None),
        }
    }

    async fn unit(&self) -> Result<Arc<LoadedTsa>, CaError> {
        if let Some(u) = self.loaded.read().await.as_ref() {
            return Ok(u.clone());
        }
        let mut slot = self.loaded.write().await;
        if let Some(u) = slot.as_ref() {
            return Ok(u.clone());
        }
        let rec = self.engine.tsa_unit().await?.ok_or(CaError::NoTsa)?;
        let cert = Certificate::from_der(&rec.cert_der)?;
        let tbs = cert.tbs_certificate();
        // Without the passphrase (a keyless engine) the certificate is still served.
        let signer = match self.engine.passphrase {
            Some(_) => Some(self.engine.operator_key(&rec.key_ref)?),
            None => None,
        };
        let loaded = Arc::new(LoadedTsa {
            cert_serial_hex: serial_hex(tbs.serial_number().as_bytes()),
            name: GeneralName::DirectoryName(tbs.subject().clone()),
            not_before: tbs.validity().not_before.to_unix_duration().as_secs(),
            not_after: tbs.validity().not_after.to_unix_duration().as_secs(),
            policy: self.engine.tsa_policy()?,
            signer,
            cert_der: rec.cert_der,
            cert,
        });
        *slot = Some(loaded.clone());
        Ok(loaded)
    }

    /// The TSA certificate (DER), when a TSA is installed.
    pub async fn certificate_der(&self) -> Option<Vec<u8>> {
        self.unit().await.ok().map(|u| u.cert_der.clone())
    }

    /// Answers a DER `TimeStampReq` with a DER `TimeStampResp` (RFC 3161 §2.4.2): granted
    /// with a recorded token, or a rejection naming the reason.
    ///
    /// # Errors
    /// [`CaError::NoTsa`] when no TSA is installed (the server answers 404).
    pub async fn respond(&self, request_der: &[u8]) -> Result<Vec<u8>, CaError> {
        let unit = match self.unit().await {
            Ok(u) => u,
            Err(CaError::NoTsa) => return Err(CaError::NoTsa),
            Err(_) => {
                return Ok(system_failure(
                    "鍵を読み込めません",
                    "the TSA key is not available",
                ));
            }
        };
        let (request, token_policy) = match check_request(request_der, &unit.policy) {
            Ok(r) => r,
            Err(rejection) => return Ok(rejection.response_der()),
        };
        let Some(signer) = unit.signer.as_ref() else {
            return Ok(system_failure(
                "鍵が読み込まれていません",
                "the TSA key is not loaded",
            ));
        };
        for _ in 0..4 {
            let now = self
                .engine
                .now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .unwrap_or_default();
            let secs = now.as_secs();
            // RFC 3161 §4: no token outside the validity of the TSA certificate.
            if secs < unit.not_before || secs >= unit.not_after {
                return Ok(system_failure(
                    "タイムスタンプ局の証明書が有効期間外です",
                    "the TSA certificate is not valid now",
                ));
            }
            let millis = Duration::from_millis(now.as_millis() as u64);
            let (Ok(gen_time), Ok(serial)) = (
                GenTime::from_unix_duration(millis),
                crate::authority::random_serial(),
            ) else {
                return Ok(system_failure(
                    "時刻またはシリアル番号を得られません",
                    "no time or serial",
                ));
            };
            let signed = tst_info(
                &request,
                &unit.policy,
                token_policy,
                &serial,
                gen_time,
                Some(unit.name.clone()),
            )
            .and_then(|tst| {
                let token = sign_token(&tst, signer.as_ref(), &unit.cert, request.cert_req)?;
                Ok((tst.to_der()?, token))
            });
            let Ok((tst_der, token)) = signed else {
                return Ok(system_failure("署名に失敗しました", "signing failed"));
            };
            let record = NewTimestamp {
                serial_hex: serial_hex(&serial),
                gen_time_ms: millis.as_millis() as i64,
                policy: token_policy.to_string(),
                hash_algorithm: request.message_imprint.hash_algorithm.oid.to_string(),
                message_imprint: hex::encode(request.message_imprint.hashed_message.as_bytes()),
                nonce: request.nonce.as_ref().map(|n| hex::encode(n.as_bytes())),
                tsa_serial: unit.cert_serial_hex.clone(),
                tst_info: tst_der,
            };
            match self.engine.store.record_timestamp(&record).await {
                Ok(true) => {
                    return Ok(granted_response(token).unwrap_or_else(|_| {
                        system_failure("符号化に失敗しました", "encoding failed")
                    }));
                }
                Ok(false) => continue, // serial taken: draw another
                Err(_) => {
                    return Ok(system_failure(
                        "記録できませんでした",
                        "the token could not be recorded",
                    ));
                }
            }
        }
        Ok(system_failure(
            "シリアル番号を割り当てられません",
            "no free serial number",
        ))
    }
}
