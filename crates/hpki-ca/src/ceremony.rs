//! Creating the CA hierarchy.
//!
//! - Demo (`hpki init --demo`): a stand-in "MHLW HPKI Root CA" is created here and certifies the
//!   two JMA issuing CAs, each with a delegated OCSP responder, and the RFC 3161 time-stamping
//!   authority (see [`crate::tsa`]).
//! - Production (`hpki init`): only the two issuing CAs' keys are created; `hpki ca csr` exports
//!   their PKCS#10 requests for the real root, and `hpki ca install-cert` installs what the root
//!   returns (the cross-certification path).

use hpki_text::Text;
use std::path::Path;
use std::sync::Arc;

use der::asn1::BitString;
use der::{Decode, DecodePem, Encode};
use hpki_keys::{KeyKind, Signer, SoftwareKey};
use hpki_profile::lint::LintContext;
use hpki_profile::name::{NameAttribute, build_name};
use hpki_profile::profile::{CertificateProfile, TbsParams, parse_oids};
use hpki_store::{CaRecord, Store};
use serde_json::json;
use x509_cert::Certificate;
use x509_cert::ext::pkix::BasicConstraints;
use x509_cert::request::{CertReq, CertReqInfo, Version as CsrVersion};

use crate::CaError;
use crate::authority::{
    CaName, Engine, KeyAccess, random_serial, serial_hex, sign_certificate, subject_key_id,
};
use crate::config::{CaConfig, Config};
use crate::datadir::DataDir;

/// Options of `hpki init`.
#[derive(Clone, Debug)]
pub struct InitOptions {
    /// Create the demo hierarchy with a stand-in root.
    pub demo: bool,
    /// Database URL (default: SQLite in the data directory).
    pub database_url: Option<String>,
    /// Public base URL for CRL/OCSP/caIssuers URLs.
    pub public_base_url: String,
    /// Passphrase the keys are encrypted with.
    pub passphrase: String,
    /// Who runs the ceremony (audit).
    pub actor: String,
    /// Generate these CAs' keys in an HSM instead of encrypted files.
    pub hsm: Option<HsmInit>,
}

/// CA keys generated in an HSM at `hpki init`.
#[derive(Clone, Debug)]
pub struct HsmInit {
    /// The HSM's PKCS#11 module.
    pub module: String,
    /// The label of the (already initialised) token.
    pub token_label: String,
    /// Its user PIN.
    pub pin: String,
    /// The CAs whose keys go into the HSM.
    pub cas: Vec<CaName>,
}

const ONE_DAY: u64 = 86_400;
pub(crate) const ONE_YEAR: u64 = 365 * ONE_DAY + ONE_DAY / 4;

/// Progress callback: each step of the ceremony as it happens.
pub type Progress<'a> = &'a mut dyn FnMut(&Text);

fn save_key(
    dir: &DataDir,
    key_ref: &str,
    key: &SoftwareKey,
    passphrase: &str,
) -> Result<(), CaError> {
    let rel = key_ref.strip_prefix("file:").unwrap_or(key_ref);
    let pem = key.to_encrypted_pem(passphrase)?;
    dir.write_atomic(rel, pem.as_bytes(), true)?;
    Ok(())
}

fn ca_config(config: &Config, ca: CaName) -> &CaConfig {
    match ca {
        CaName::Root => &config.ca.root,
        CaName::Sign => &config.ca.sign,
        CaName::Auth => &config.ca.auth,
    }
}

/// Create a data directory and its CA hierarchy.
pub async fn init(
    path: &Path,
    opts: &InitOptions,
    progress: Progress<'_>,
) -> Result<Engine, CaError> {
    init_with_clock(path, opts, progress, hpki_clock::system()).await
}

/// [`init`] with the clock the new CA takes its time from (its certificates' validity, the
/// audit records): the binary's clock, or a fixed one in tests.
pub async fn init_with_clock(
    path: &Path,
    opts: &InitOptions,
    progress: Progress<'_>,
    clock: hpki_clock::SharedClock,
) -> Result<Engine, CaError> {
    let abs = std::path::absolute(path).map_err(|e| CaError::io(path, e))?;
    let dir = DataDir::create(&abs)?;
    let db = opts
        .database_url
        .clone()
        .unwrap_or_else(|| "sqlite://hpki.db".into());
    let mut config = Config::with_defaults(&db, &opts.public_base_url);
    config.hsm = opts.hsm.as_ref().map(|h| crate::config::HsmConfig {
        module: h.module.clone(),
        token_label: h.token_label.clone(),
        cas: h.cas.iter().map(|c| c.to_string()).collect(),
    });
    dir.write_atomic(
        crate::config::CONFIG_FILE,
        config.to_toml()?.as_bytes(),
        false,
    )?;
    progress(&Text::new(
        "設定ファイルを作成しました",
        "configuration written",
    ));

    // Touch the store (creates the schema) before any key exists, so a bad URL fails early.
    let url = dir.database_url(&config);
    let store = Store::connect(&url).await?.with_clock(clock.clone());
    let audit = |action: &str, object: &str, details: serde_json::Value| hpki_store::AuditEvent {
        actor: opts.actor.clone(),
        action: action.into(),
        object: object.into(),
        details,
    };
    store
        .append_audit(&audit(
            "datadir.initialised",
            &abs.display().to_string(),
            json!({"demo": opts.demo, "public_base_url": opts.public_base_url}),
        ))
        .await?;

    let mut keys: Vec<(CaName, Arc<dyn Signer>)> = Vec::new();
    let names: &[CaName] = if opts.demo {
        &[CaName::Root, CaName::Sign, CaName::Auth]
    } else {
        &[CaName::Sign, CaName::Auth]
    };
    let hsm_token = match &opts.hsm {
        Some(h) => {
            let module = hpki_token::Module::open(Path::new(&h.module))?;
            Some(hpki_token::HsmToken::login(
                &module,
                &h.token_label,
                &h.pin,
            )?)
        }
        None => None,
    };
    for ca in names {
        let in_hsm = opts.hsm.as_ref().is_some_and(|h| h.cas.contains(ca));
        let (key, details): (Arc<dyn Signer>, _) = match &hsm_token {
            Some(token) if in_hsm => {
                let key = token.generate_rsa(&ca.hsm_key_label(), 2048)?;
                let details = json!({"key_ref": ca.hsm_key_ref(), "algorithm": "RSA-2048",
                    "storage": format!("HSM (PKCS#11) token {:?}, sensitive, not extractable", token.label())});
                (Arc::new(key), details)
            }
            _ => {
                let key = SoftwareKey::generate(KeyKind::Rsa(2048))?;
                save_key(&dir, &ca.key_ref(), &key, &opts.passphrase)?;
                let details = json!({"key_ref": ca.key_ref(), "algorithm": "RSA-2048",
                    "storage": "PKCS#8 encrypted (scrypt, AES-256-CBC)"});
                (Arc::new(key), details)
            }
        };
        store
            .append_audit(&audit("ca.key_created", ca.as_str(), details))
            .await?;
        progress(&Text::new(
            format!("認証局 {ca} の鍵を生成しました"),
            format!("key created for CA {ca}"),
        ));
        keys.push((*ca, key));
    }
    drop(store);

    let access = match &opts.hsm {
        Some(h) => KeyAccess::WithHsm {
            passphrase: opts.passphrase.clone(),
            hsm_pin: h.pin.clone(),
        },
        None => KeyAccess::Passphrase(opts.passphrase.clone()),
    };
    let mut engine = Engine::open_with_clock(&abs, None, access, &opts.actor, clock).await?;
    if opts.demo {
        let key_of = |n: CaName| keys.iter().find(|(k, _)| *k == n).map(|(_, v)| v.clone());
        let root_key = key_of(CaName::Root).ok_or(CaError::NoKey("root".into()))?;
        let root = engine.issue_root(&root_key).await?;
        progress(&Text::new(
            "ルート認証局（代替）の証明書を作成しました",
            "stand-in MHLW HPKI Root CA certificate created",
        ));
        for ca in CaName::ISSUING {
            let key = key_of(ca).ok_or(CaError::NoKey(ca.to_string()))?;
            let spki = key.public_key().clone();
            let cert = engine.issue_ca_certificate(ca, &root, &root_key, spki)?;
            engine.install_issuing_ca(ca, cert).await?;
            progress(&Text::new(
                format!("認証局 {ca} の証明書とOCSPレスポンダ証明書を発行しました"),
                format!("CA {ca} certified by the root, OCSP responder issued"),
            ));
        }
    }
    engine.reload().await?;
    if opts.demo {
        engine.init_tsa().await?;
        progress(&Text::new(
            "タイムスタンプ局の証明書を発行しました",
            "time-stamping authority certified by the root",
        ));
    }
    Ok(engine)
}

/// A PKCS#10 request (RFC 2986) for `signer`'s key and `subject`, signed by that key: the
/// proof of possession a CA checks.
pub fn build_csr(signer: &dyn Signer, subject: x509_cert::name::Name) -> Result<Vec<u8>, CaError> {
    let info = CertReqInfo {
        version: CsrVersion::V1,
        subject,
        public_key: signer.public_key().clone(),
        attributes: Default::default(),
    };
    let sig = signer.sign(&info.to_der()?)?;
    let req = CertReq {
        info,
        algorithm: signer.algorithm().algorithm_identifier(),
        signature: BitString::from_bytes(&sig)?,
    };
    Ok(req.to_der()?)
}

/// The demo subscriber: 日医 太郎, as on the card face in the seed.
pub const DEMO_SUBSCRIBER: &str = r#"{"name_romaji":"Taro Nichii","name_kanji":"日医　太郎","subscriber_id":"JMA9999999999","role":"Medical Doctor","organization_romaji":"Nichii Hospital","organization_kanji":"日医病院"}"#;

/// Issue the demo doctor's signing and authentication certificates (one RSA-2048 key each,
/// generated here because the demo has no card) into `D/demo/`. Returns the files written.
pub async fn issue_demo_subscriber(
    engine: &Engine,
    passphrase: &str,
) -> Result<Vec<std::path::PathBuf>, CaError> {
    let mut files = Vec::new();
    for ca in CaName::ISSUING {
        let key = SoftwareKey::generate(KeyKind::Rsa(2048))?;
        let subject = build_name(&[NameAttribute::CommonName("Taro Nichii".into())])?;
        let csr = build_csr(&key, subject)?;
        let csr = crate::issue::CheckedCsr::parse(&csr)?;
        let issued = engine
            .issue(ca, &csr, &engine.subject(DEMO_SUBSCRIBER)?)
            .await?;
        let key_file = format!("demo/taro-nichii-{ca}.key.pem");
        let cert_file = format!("demo/taro-nichii-{ca}.pem");
        std::fs::create_dir_all(engine.dir.path().join("demo"))
            .map_err(|e| CaError::io(engine.dir.path(), e))?;
        files.push(engine.dir.write_atomic(
            &key_file,
            key.to_encrypted_pem(passphrase)?.as_bytes(),
            true,
        )?);
        files.push(
            engine
                .dir
                .write_atomic(&cert_file, issued.pem().as_bytes(), false)?,
        );
    }
    Ok(files)
}

impl Engine {
    fn ca_name(&self, ca: CaName) -> Result<x509_cert::name::Name, CaError> {
        Ok(build_name(&ca_config(&self.config, ca).name_attributes())?)
    }

    fn lint_context<'a>(
        &'a self,
        profile: CertificateProfile,
        issuer_key_id: Option<&'a [u8]>,
        policies: &'a [der::asn1::ObjectIdentifier],
        max: u64,
    ) -> LintContext<'a> {
        LintContext {
            profile,
            issuer_key_id,
            required_policies: policies,
            max_validity_seconds: max,
            roles: &self.roles,
        }
    }

    async fn issue_root(&mut self, key: &Arc<dyn Signer>) -> Result<Certificate, CaError> {
        let name = self.ca_name(CaName::Root)?;
        let now = self.now_unix();
        let validity = self.config.policy.root_validity_years * ONE_YEAR;
        let serial = random_serial()?;
        let params = TbsParams {
            profile: CertificateProfile::Root,
            serial: serial.clone(),
            signature: key.algorithm().algorithm_identifier(),
            issuer: name.clone(),
            issuer_key_id: None,
            issuer_ca: "root".into(),
            subject: name,
            subject_alt_dir_name: None,
            server_names: Vec::new(),
            spki: key.public_key().clone(),
            not_before: now,
            not_after: now + validity,
            policies: vec![],
            cps_uri: None,
            hc_roles: vec![],
            urls: self.urls(),
        };
        let ctx = self.lint_context(CertificateProfile::Root, None, &[], validity);
        let cert = sign_certificate(&params, key.as_ref(), &key.public_key().to_der()?, &ctx)?;
        let der = cert.to_der()?;
        let rec = CaRecord {
            name: "root".into(),
            cert_der: der.clone(),
            key_ref: self.ca_key_ref(CaName::Root),
            ocsp_cert_der: None,
            ocsp_key_ref: None,
            created_at: now as i64,
        };
        self.store
            .put_ca(
                &rec,
                &self.audit(
                    "ca.certificate_issued",
                    "root",
                    json!({"serial": serial_hex(&serial), "profile": "root", "self_signed": true}),
                ),
            )
            .await?;
        Ok(cert)
    }

    fn issue_ca_certificate(
        &self,
        ca: CaName,
        root: &Certificate,
        root_key: &Arc<dyn Signer>,
        spki: spki::SubjectPublicKeyInfoOwned,
    ) -> Result<Certificate, CaError> {
        let cfg = ca_config(&self.config, ca);
        // As the MHLW root certifies the real issuing CAs (MEDIS's signing CA in the sample
        // documents asserts only 1.2.392.100495.1.5.1.1.3.1): the CA certificate asserts the
        // CA's own policy, and only the subscribers' certificates the HPKI CP OID. RFC 5280
        // processing with that OID explicit then finds no valid policy, as on real paths, and
        // relying parties check the OID on the end entity (hpki_verify::end_entity_policy).
        // Without CA policies configured, the subscribers' are asserted instead.
        let policies = match parse_oids(&cfg.ca_policies)? {
            ca_policies if !ca_policies.is_empty() => ca_policies,
            _ => parse_oids(&cfg.end_entity_policies)?,
        };
        let now = self.now_unix();
        let validity = self.config.policy.ca_validity_years * ONE_YEAR;
        let root_key_id = subject_key_id(root);
        let params = TbsParams {
            profile: CertificateProfile::IssuingCa,
            serial: random_serial()?,
            signature: root_key.algorithm().algorithm_identifier(),
            issuer: root.tbs_certificate().subject().clone(),
            issuer_key_id: Some(root_key_id.clone()),
            issuer_ca: "root".into(),
            subject: self.ca_name(ca)?,
            subject_alt_dir_name: None,
            server_names: Vec::new(),
            spki,
            not_before: now,
            not_after: now + validity,
            policies: policies.clone(),
            cps_uri: self.config.policy.cps_uri.clone(),
            hc_roles: vec![],
            urls: self.urls(),
        };
        let ctx = self.lint_context(
            CertificateProfile::IssuingCa,
            Some(&root_key_id),
            &policies,
            validity,
        );
        sign_certificate(
            &params,
            root_key.as_ref(),
            &root_key.public_key().to_der()?,
            &ctx,
        )
    }

    /// Install an issuing CA's certificate and issue its delegated OCSP responder.
    async fn install_issuing_ca(&mut self, ca: CaName, cert: Certificate) -> Result<(), CaError> {
        let passphrase = self
            .passphrase
            .clone()
            .ok_or(CaError::NoKey(ca.to_string()))?;
        let ca_key = self.operator_key(&self.ca_key_ref(ca))?;
        let ocsp_key = SoftwareKey::generate(KeyKind::Rsa(2048))?;
        save_key(&self.dir, &ca.ocsp_key_ref(), &ocsp_key, &passphrase)?;
        self.store
            .append_audit(&self.audit(
                "ca.key_created",
                &format!("{ca}-ocsp"),
                json!({"key_ref": ca.ocsp_key_ref(), "algorithm": "RSA-2048"}),
            ))
            .await?;
        let now = self.now_unix();
        let validity = self.config.policy.ocsp_responder_validity_days * ONE_DAY;
        let ca_key_id = subject_key_id(&cert);
        let mut subject_attrs = ca_config(&self.config, ca).name_attributes();
        subject_attrs.retain(|a| !matches!(a, NameAttribute::CommonName(_)));
        subject_attrs.push(NameAttribute::CommonName(format!(
            "{} OCSP Responder",
            ca_config(&self.config, ca)
                .common_name
                .clone()
                .unwrap_or_else(|| ca.to_string())
        )));
        let serial = random_serial()?;
        let params = TbsParams {
            profile: CertificateProfile::OcspResponder,
            serial: serial.clone(),
            signature: ca_key.algorithm().algorithm_identifier(),
            issuer: cert.tbs_certificate().subject().clone(),
            issuer_key_id: Some(ca_key_id.clone()),
            issuer_ca: ca.as_str().into(),
            subject: build_name(&subject_attrs)?,
            subject_alt_dir_name: None,
            server_names: Vec::new(),
            spki: ocsp_key.public_key().clone(),
            not_before: now,
            not_after: now + validity,
            policies: vec![],
            cps_uri: None,
            hc_roles: vec![],
            urls: self.urls(),
        };
        let ctx = self.lint_context(
            CertificateProfile::OcspResponder,
            Some(&ca_key_id),
            &[],
            validity,
        );
        let responder = sign_certificate(
            &params,
            ca_key.as_ref(),
            &cert.tbs_certificate().subject_public_key_info().to_der()?,
            &ctx,
        )?;
        let rec = CaRecord {
            name: ca.as_str().into(),
            cert_der: cert.to_der()?,
            key_ref: self.ca_key_ref(ca),
            ocsp_cert_der: Some(responder.to_der()?),
            ocsp_key_ref: Some(ca.ocsp_key_ref()),
            created_at: now as i64,
        };
        self.store
            .put_ca(
                &rec,
                &self.audit(
                    "ca.certificate_installed",
                    ca.as_str(),
                    json!({
                        "serial": serial_hex(cert.tbs_certificate().serial_number().as_bytes()),
                        "issuer": cert.tbs_certificate().issuer().to_string(),
                        "ocsp_responder_serial": serial_hex(&serial),
                    }),
                ),
            )
            .await?;
        self.reload().await
    }

    /// PKCS#10 request (DER) for an issuing CA's key, to send to the root (production path).
    pub fn ca_csr(&self, ca: CaName) -> Result<Vec<u8>, CaError> {
        if ca == CaName::Root {
            return Err(CaError::UnknownCa("root".into()));
        }
        let key = self.operator_key(&self.ca_key_ref(ca))?;
        build_csr(key.as_ref(), self.ca_name(ca)?)
    }

    /// Install the certificate the root returned for an issuing CA, with the root's certificate.
    /// The certificate must be a CA certificate for this CA's key, signed by that root.
    pub async fn install_ca_certificate(
        &mut self,
        ca: CaName,
        cert_pem: &str,
        root_pem: &str,
    ) -> Result<(), CaError> {
        if ca == CaName::Root {
            return Err(CaError::UnknownCa("root".into()));
        }
        let cert = Certificate::from_pem(cert_pem.trim())
            .or_else(|_| Certificate::from_der(cert_pem.as_bytes()))
            .map_err(|e| {
                CaError::mismatch(
                    format!("証明書として読めません{}", hpki_text::DETAIL_IN_ENGLISH),
                    format!("not a certificate: {e}"),
                )
            })?;
        let root = Certificate::from_pem(root_pem.trim()).map_err(|e| {
            CaError::mismatch(
                format!(
                    "ルートの証明書として読めません{}",
                    hpki_text::DETAIL_IN_ENGLISH
                ),
                format!("root is not a certificate: {e}"),
            )
        })?;
        let key = self.operator_key(&self.ca_key_ref(ca))?;
        if cert.tbs_certificate().subject_public_key_info() != key.public_key() {
            return Err(CaError::mismatch(
                "公開鍵が一致しません",
                "its public key is not this CA's key",
            ));
        }
        let is_ca = cert
            .tbs_certificate()
            .get_extension::<BasicConstraints>()
            .ok()
            .flatten()
            .is_some_and(|(_, bc)| bc.ca);
        if !is_ca {
            return Err(CaError::mismatch(
                "CA証明書ではありません",
                "it is not a CA certificate (basicConstraints)",
            ));
        }
        if cert.tbs_certificate().issuer() != root.tbs_certificate().subject() {
            return Err(CaError::mismatch(
                "指定のルートが発行したものではありません",
                "it was not issued by the given root",
            ));
        }
        let alg = hpki_keys::SignatureAlgorithm::from_oid(&cert.signature_algorithm().oid)
            .ok_or_else(|| {
                CaError::mismatch(
                    "対応していない署名アルゴリズムです",
                    "unsupported signature algorithm",
                )
            })?;
        hpki_keys::verify_signature(
            &root.tbs_certificate().subject_public_key_info().to_der()?,
            alg,
            &cert.tbs_certificate().to_der()?,
            cert.signature().raw_bytes(),
        )
        .map_err(|_| {
            CaError::mismatch(
                "ルートの署名を検証できません",
                "the root's signature does not verify",
            )
        })?;
        if self.store.ca("root").await?.is_none() {
            let rec = CaRecord {
                name: "root".into(),
                cert_der: root.to_der()?,
                key_ref: String::new(),
                ocsp_cert_der: None,
                ocsp_key_ref: None,
                created_at: self.now_unix() as i64,
            };
            self.store
                .put_ca(
                    &rec,
                    &self.audit(
                        "ca.root_installed",
                        "root",
                        json!({"subject": root.tbs_certificate().subject().to_string()}),
                    ),
                )
                .await?;
        }
        self.install_issuing_ca(ca, cert).await
    }
}
