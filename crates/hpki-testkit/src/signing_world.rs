//! A demo CA made in-process (hpki-ca's engine in a temporary directory) that signs documents
//! at any level as `hpki sign` does: its TSA for time-stamps, and its certificates, CRLs and
//! OCSP responder for the validation data of B-LT — what `hpki-fetch` would get from the URLs in
//! the certificates. Used by the verify bench and the damaged-document tests of hpki-verify.

use std::sync::Arc;

use hpki_ca::ceremony::{DEMO_SUBSCRIBER, InitOptions, build_csr, init_with_clock};
use hpki_ca::ocsp_responder::OcspResponder;
use hpki_ca::tsa::TsaResponder;
use hpki_ca::{CaName, Engine};
use hpki_keys::{KeyKind, SoftwareKey};
use hpki_sign::ltv::{TimeStamper, ValidationData, ValidationSource};
use hpki_sign::{DigestAlgorithm, SignContext, SignError};
use x509_cert::Certificate;

/// Any error of setting the world up.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

const PASSPHRASE: &str = "signing world passphrase";

/// The demo CA, its TSA and its validation data, in-process.
pub struct SigningWorld {
    tsa: Tsa,
    validation: Validation,
    engine: Arc<Engine>,
    rt: tokio::runtime::Runtime,
    /// The stand-in MHLW root: the trust anchor.
    pub root: Certificate,
    /// The JMA signing CA that issues the doctors' certificates.
    pub sign_ca: Certificate,
    /// The world's clock (CA, TSA, signing time): it stands at the real time of the world's
    /// making until a test moves it.
    pub clock: hpki_clock::FixedClock,
    _dir: tempfile::TempDir,
}

impl SigningWorld {
    /// A new demo CA in a temporary directory under `parent`, with the current CRLs of the
    /// signing CA and the root published.
    pub fn new(parent: &std::path::Path) -> Result<SigningWorld, BoxError> {
        let dir = tempfile::Builder::new()
            .prefix("hpki-signing-world")
            .tempdir_in(parent)?;
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()?;
        let clock = hpki_clock::FixedClock::starting_now();
        let engine = Arc::new(rt.block_on(async {
            let opts = InitOptions {
                demo: true,
                database_url: None,
                public_base_url: "http://127.0.0.1".into(),
                passphrase: PASSPHRASE.into(),
                actor: "signing world".into(),
                hsm: None,
            };
            init_with_clock(&dir.path().join("ca"), &opts, &mut |_| {}, clock.shared()).await
        })?);
        let crls = vec![
            (
                CaName::Sign,
                rt.block_on(engine.publish_crl(CaName::Sign))?.der,
            ),
            (
                CaName::Root,
                rt.block_on(engine.publish_crl(CaName::Root))?.der,
            ),
        ];
        Ok(SigningWorld {
            clock,
            tsa: Tsa {
                rt: rt.handle().clone(),
                tsa: TsaResponder::new(engine.clone()),
            },
            validation: Validation {
                rt: rt.handle().clone(),
                engine: engine.clone(),
                ocsp: OcspResponder::new(engine.clone()),
                crls,
            },
            root: engine.authority(CaName::Root)?.ca.cert.clone(),
            sign_ca: engine.authority(CaName::Sign)?.ca.cert.clone(),
            engine,
            rt,
            _dir: dir,
        })
    }

    /// A doctor (the demo subscriber, hcRole Medical Doctor) with a new RSA-2048 software key
    /// and a certificate of its own from the signing CA.
    pub fn doctor(&self) -> Result<(SoftwareKey, Certificate), BoxError> {
        self.professional("Medical Doctor")
    }

    /// The demo subscriber with another qualification (hcRole `role`, e.g. "Nurse",
    /// "Pharmacist"), a new RSA-2048 software key and a certificate from the signing CA.
    pub fn professional(&self, role: &str) -> Result<(SoftwareKey, Certificate), BoxError> {
        let mut subject: serde_json::Value = serde_json::from_str(DEMO_SUBSCRIBER)?;
        subject["role"] = role.into();
        let key = SoftwareKey::generate(KeyKind::Rsa(2048))?;
        let csr = build_csr(&key, x509_cert::name::Name::default())?;
        let issued = self.rt.block_on(self.engine.issue(
            CaName::Sign,
            &hpki_ca::issue::CheckedCsr::parse(&csr)?,
            &self.engine.subject(&subject.to_string())?,
        ))?;
        let cert = der::DecodePem::from_pem(issued.pem().as_bytes())?;
        Ok((key, cert))
    }

    /// What `key` with `certificate` signs with, now, at any level: the signing CA as its
    /// chain, this CA's TSA and validation data.
    pub fn context<'a>(
        &'a self,
        key: &'a SoftwareKey,
        certificate: &'a Certificate,
    ) -> SignContext<'a> {
        SignContext {
            signer: key,
            certificate,
            chain: std::slice::from_ref(&self.sign_ca),
            signing_time: hpki_clock::Clock::now(&self.clock),
            time_stamper: Some(&self.tsa),
            validation: Some(&self.validation),
        }
    }
}

/// The CA's TSA, in-process.
struct Tsa {
    rt: tokio::runtime::Handle,
    tsa: TsaResponder,
}

impl TimeStamper for Tsa {
    fn time_stamp(&self, algorithm: DigestAlgorithm, digest: &[u8]) -> Result<Vec<u8>, SignError> {
        let request = hpki_sign::ltv::time_stamp_request(algorithm, digest, &[1, 2, 3, 4])?;
        let response = self
            .rt
            .block_on(self.tsa.respond(&request))
            .map_err(|e| SignError::Fetch(hpki_text::Text::same(e.to_string())))?;
        hpki_sign::ltv::token_from_response(&response, algorithm, digest)
    }
}

/// The CA's certificates, CRLs and OCSP, in-process: what `hpki-fetch` would get from the
/// URLs in the certificates.
struct Validation {
    rt: tokio::runtime::Handle,
    engine: Arc<Engine>,
    ocsp: OcspResponder,
    crls: Vec<(CaName, Vec<u8>)>,
}

impl ValidationSource for Validation {
    fn validation_data(&self, certificate: &Certificate) -> Result<ValidationData, SignError> {
        let mut data = ValidationData::default();
        let mut current = certificate.clone();
        loop {
            let tbs = current.tbs_certificate();
            if tbs.issuer() == tbs.subject() {
                break;
            }
            let Some(ca) = [CaName::Sign, CaName::Auth, CaName::Root]
                .into_iter()
                .find(|ca| {
                    self.engine
                        .authority(*ca)
                        .is_ok_and(|a| a.ca.cert.tbs_certificate().subject() == tbs.issuer())
                })
            else {
                return Err(SignError::Fetch(hpki_text::Text::new(
                    "発行者が不明です",
                    "unknown issuer",
                )));
            };
            let issuer = self
                .engine
                .authority(ca)
                .map_err(|e| SignError::Fetch(hpki_text::Text::same(e.to_string())))?;
            if let Some((_, crl)) = self.crls.iter().find(|(c, _)| *c == ca) {
                data.crls.push(crl.clone());
            }
            if ca != CaName::Root {
                let request = hpki_fetch::ocsp_request(&current, &issuer.ca.cert)?;
                data.ocsp_responses
                    .push(self.rt.block_on(self.ocsp.respond(ca, &request)));
            }
            data.certificates.push(issuer.ca.der.clone());
            current = issuer.ca.cert.clone();
        }
        Ok(data)
    }
}
