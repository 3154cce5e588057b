//! A demo HPKI hierarchy made once per test binary with hpki-ca's engine (stand-in MHLW root,
//! JMA signing and authentication CAs, their OCSP responders), the certificates, CRLs and OCSP
//! responses the tests validate, and helpers to build variants signed by the real CA keys.
#![allow(dead_code)]

use hpki_clock::Clock as _;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime};

use aws_lc_rs::digest;
use der::asn1::{BitString, Null, OctetString};
use der::{Decode, Encode};
use hpki_asn1::certificate::{Certificate as Tbs, TbsCertificate};
use hpki_asn1::ocsp::{
    BasicOcspResponse, CertId, CertStatus, OcspRequest, OcspResponse, Request, ResponderId,
    ResponseData, SingleResponse, TbsRequest, Version,
};
use hpki_ca::ceremony::{InitOptions, build_csr};
use hpki_ca::ocsp_responder::OcspResponder;
use hpki_ca::{CaName, Engine};
use hpki_keys::{KeyKind, Signer, SoftwareKey};
use hpki_profile::name::{NameAttribute, build_name};
use x509_cert::Certificate;
use x509_cert::ext::pkix::CrlReason;
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::AlgorithmIdentifierOwned;

pub const SIGN_POLICY: &str = "1.2.392.100495.1.5.1.1.0.1";
pub const AUTH_POLICY: &str = "1.2.392.100495.1.5.1.2.0.1";
/// The signing CA's own policy (its certificate asserts only this one, as on the real chain).
pub const SIGN_CA_POLICY: &str = "1.2.392.100495.1.5.1.1.3.1";

pub const DOCTOR: &str = r#"{"name_romaji":"Taro Nichii","name_kanji":"日医　太郎","subscriber_id":"JMA0000001","role":"Medical Doctor","organization_romaji":"Nichii Hospital","organization_kanji":"日医病院"}"#;
pub const DIRECTOR: &str = r#"{"name_romaji":"Hanako Nichii","name_kanji":"日医　花子","subscriber_id":"JMA0000002","role":["Medical Doctor","Director of Hospital"],"organization_romaji":"Nichii Hospital","organization_kanji":"日医病院"}"#;

/// Everything the tests validate, as made by the CA.
pub struct Fixture {
    pub dir: tempfile::TempDir,
    /// The fixture CA's clock: "now" of every test that uses the fixture.
    pub clock: hpki_clock::FixedClock,
    pub root: Certificate,
    pub sign_ca: Certificate,
    pub auth_ca: Certificate,
    /// A good signing certificate of the demo doctor.
    pub leaf: Certificate,
    /// An authentication certificate of the same doctor.
    pub auth_leaf: Certificate,
    /// A signing certificate with two roles.
    pub director: Certificate,
    /// A signing certificate revoked (keyCompromise) at `revoked_at`.
    pub revoked: Certificate,
    /// Issued (notBefore) of `revoked`; before `revoked_at`.
    pub revoked_issued_at: SystemTime,
    /// When `revoked` was revoked (whole second, as on the CRL).
    pub revoked_at: SystemTime,
    /// The signing CA's CRL published before the revocation.
    pub crl_before: Vec<u8>,
    /// Its thisUpdate (at or after `revoked_issued_at`, before `revoked_at`).
    pub crl_before_this_update: SystemTime,
    /// The signing CA's CRL published after the revocation.
    pub crl_after: Vec<u8>,
    /// Its thisUpdate (at or after `revoked_at`).
    pub crl_after_this_update: SystemTime,
    /// The root's CRL (covers the issuing CAs).
    pub root_crl: Vec<u8>,
    /// OCSP responses of the signing CA's delegated responder.
    pub ocsp_leaf_good: Vec<u8>,
    pub ocsp_revoked_before: Vec<u8>,
    pub ocsp_revoked_after: Vec<u8>,
    /// A "good" answer about `leaf` signed by the other hierarchy's delegated responder (a CA
    /// with the same name and another key), the responder certificate included.
    pub ocsp_forged: Vec<u8>,
    /// A certificate "issued" by the leaf's key, naming the leaf as issuer.
    pub issued_by_leaf: Certificate,
    /// Another demo hierarchy with the same names and other keys.
    pub other_root: Certificate,
    pub other_sign_ca: Certificate,
    /// Certificates re-signed by the signing CA's key with changed contents, by name.
    pub variants: Vec<(&'static str, Certificate)>,
}

impl Fixture {
    pub fn variant(&self, name: &str) -> &Certificate {
        &self
            .variants
            .iter()
            .find(|(n, _)| *n == name)
            .unwrap_or_else(|| panic!("no variant {name}"))
            .1
    }

    pub fn write(&self, name: &str, data: &[u8]) -> std::path::PathBuf {
        let p = self.dir.path().join(name);
        std::fs::write(&p, data).expect("write");
        p
    }

    pub fn write_pem(&self, name: &str, cert: &Certificate) -> std::path::PathBuf {
        let pem = pem_rfc7468::encode_string(
            "CERTIFICATE",
            pem_rfc7468::LineEnding::LF,
            &cert.to_der().unwrap(),
        )
        .unwrap();
        self.write(name, pem.as_bytes())
    }
}

pub fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
            .block_on(make())
    })
}

pub fn oid(s: &str) -> const_oid::ObjectIdentifier {
    const_oid::ObjectIdentifier::new_unwrap(s)
}

pub fn not_after(c: &Certificate) -> SystemTime {
    SystemTime::UNIX_EPOCH + c.tbs_certificate().validity().not_after.to_unix_duration()
}

pub fn not_before(c: &Certificate) -> SystemTime {
    SystemTime::UNIX_EPOCH + c.tbs_certificate().validity().not_before.to_unix_duration()
}

fn csr(key: &SoftwareKey) -> Vec<u8> {
    build_csr(
        key,
        build_name(&[NameAttribute::CommonName("ignored".into())]).unwrap(),
    )
    .unwrap()
}

async fn demo(dir: &std::path::Path, clock: hpki_clock::SharedClock) -> Engine {
    let opts = InitOptions {
        demo: true,
        database_url: None,
        public_base_url: "http://127.0.0.1:8080".into(),
        passphrase: "verify tests".into(),
        actor: "test".into(),
        hsm: None,
    };
    hpki_ca::ceremony::init_with_clock(dir, &opts, &mut |_| {}, clock)
        .await
        .expect("demo CA")
}

fn cert_of(engine: &Engine, ca: CaName) -> Certificate {
    engine.authority(ca).expect("CA").ca.cert.clone()
}

/// An RFC 6960 request (SHA-1 CertID) for `cert` issued by `issuer`.
pub fn ocsp_request(issuer: &Certificate, cert: &Certificate) -> Vec<u8> {
    let tbs = issuer.tbs_certificate();
    let sha1 = |b: &[u8]| digest::digest(&digest::SHA1_FOR_LEGACY_USE_ONLY, b);
    let name_hash = sha1(&tbs.subject().to_der().unwrap());
    let key_hash = sha1(tbs.subject_public_key_info().subject_public_key.raw_bytes());
    OcspRequest {
        tbs_request: TbsRequest {
            version: Version::default(),
            requestor_name: None,
            request_list: vec![Request {
                req_cert: CertId {
                    hash_algorithm: AlgorithmIdentifierOwned {
                        oid: oid("1.3.14.3.2.26"),
                        parameters: Some(Null.into()),
                    },
                    issuer_name_hash: OctetString::new(name_hash.as_ref()).unwrap(),
                    issuer_key_hash: OctetString::new(key_hash.as_ref()).unwrap(),
                    serial_number: SerialNumber::new(
                        cert.tbs_certificate().serial_number().as_bytes(),
                    )
                    .unwrap(),
                },
                single_request_extensions: None,
            }],
            request_extensions: None,
        },
        optional_signature: None,
    }
    .to_der()
    .unwrap()
}

/// `cert` with its TBSCertificate changed by `edit` and signed again by `signer`.
pub fn resign(
    cert: &Certificate,
    signer: &dyn Signer,
    edit: impl FnOnce(&mut TbsCertificate),
) -> Certificate {
    let mut tbs = TbsCertificate::from_der(&cert.tbs_certificate().to_der().unwrap()).unwrap();
    edit(&mut tbs);
    tbs.signature = signer.algorithm().algorithm_identifier();
    let sig = signer.sign(&tbs.to_der().unwrap()).unwrap();
    let c = Tbs {
        tbs_certificate: tbs,
        signature_algorithm: signer.algorithm().algorithm_identifier(),
        signature_value: BitString::from_bytes(&sig).unwrap(),
    };
    c.into_x509().unwrap()
}

fn serial_hex(c: &Certificate) -> String {
    hex::encode(c.tbs_certificate().serial_number().as_bytes())
}

async fn make() -> Fixture {
    let dir = tempfile::tempdir().expect("tempdir");
    // The fixture's CA stands still at the real time of its making: the test moves it on.
    let clock = hpki_clock::FixedClock::starting_now();
    let engine = Arc::new(demo(&dir.path().join("ca"), clock.shared()).await);
    let responder = OcspResponder::new(engine.clone());
    let issue = async |ca: CaName, subject: &str, key: &SoftwareKey| -> Certificate {
        let issued = engine
            .issue(
                ca,
                &hpki_ca::issue::CheckedCsr::parse(&csr(key)).expect("CSR"),
                &engine.subject(subject).expect("subject"),
            )
            .await
            .expect("issue");
        Certificate::from_der(&issued.der).unwrap()
    };
    let leaf_key = SoftwareKey::generate(KeyKind::Rsa(2048)).unwrap();
    let leaf = issue(CaName::Sign, DOCTOR, &leaf_key).await;
    let auth_leaf = issue(
        CaName::Auth,
        DOCTOR,
        &SoftwareKey::generate(KeyKind::P256).unwrap(),
    )
    .await;
    let director = issue(
        CaName::Sign,
        DIRECTOR,
        &SoftwareKey::generate(KeyKind::P256).unwrap(),
    )
    .await;
    let revoked = issue(
        CaName::Sign,
        DOCTOR,
        &SoftwareKey::generate(KeyKind::P256).unwrap(),
    )
    .await;
    let revoked_issued_at = not_before(&revoked);
    let sign_ca = cert_of(&engine, CaName::Sign);
    let root = cert_of(&engine, CaName::Root);

    let before = engine.publish_crl(CaName::Sign).await.unwrap();
    let crl_before_this_update = SystemTime::UNIX_EPOCH + Duration::from_secs(before.this_update);
    let crl_before = before.der;
    let ocsp_revoked_before = responder
        .respond(CaName::Sign, &ocsp_request(&sign_ca, &revoked))
        .await;
    // The revocation must fall in a later second than the issuance and the first CRL.
    clock.advance(Duration::from_secs(1));
    engine
        .revoke(
            CaName::Sign,
            &serial_hex(&revoked),
            CrlReason::KeyCompromise,
        )
        .await
        .unwrap();
    let after = engine.publish_crl(CaName::Sign).await.unwrap();
    let ocsp_revoked_after = responder
        .respond(CaName::Sign, &ocsp_request(&sign_ca, &revoked))
        .await;
    let ocsp_leaf_good = responder
        .respond(CaName::Sign, &ocsp_request(&sign_ca, &leaf))
        .await;
    let revoked_at = {
        let crl = <x509_cert::crl::CertificateList>::from_der(&after.der).unwrap();
        let entry = &crl.tbs_cert_list.revoked_certificates.as_ref().unwrap()[0];
        SystemTime::UNIX_EPOCH + entry.revocation_date.to_unix_duration()
    };
    let root_crl = engine.publish_crl(CaName::Root).await.unwrap().der;

    // A "CA" certificate issued by the leaf's key: the leaf is not a CA.
    let issued_by_leaf = resign(&auth_leaf, &leaf_key, |tbs| {
        tbs.issuer = leaf.tbs_certificate().subject().clone();
        // Drop the authorityKeyIdentifier of the auth CA so key identifiers do not contradict.
        if let Some(exts) = tbs.extensions.as_mut() {
            exts.retain(|x| x.extn_id != oid("2.5.29.35"));
        }
    });

    let ca_signer = engine.ca_signer(CaName::Sign).unwrap();
    let mut variants = Vec::new();
    variants.push((
        "unknown-critical",
        resign(&leaf, ca_signer.as_ref(), |tbs| {
            tbs.extensions
                .as_mut()
                .unwrap()
                .push(x509_cert::ext::Extension {
                    extn_id: oid("1.2.3.4.5.6.7"),
                    critical: true,
                    extn_value: OctetString::new(Null.to_der().unwrap()).unwrap(),
                });
        }),
    ));
    variants.push((
        "critical-sda",
        resign(&leaf, ca_signer.as_ref(), |tbs| {
            for x in tbs.extensions.as_mut().unwrap() {
                if x.extn_id == oid("2.5.29.9") {
                    x.critical = true;
                }
            }
        }),
    ));
    variants.push((
        "no-policies",
        resign(&leaf, ca_signer.as_ref(), |tbs| {
            tbs.extensions
                .as_mut()
                .unwrap()
                .retain(|x| x.extn_id != oid("2.5.29.32"));
        }),
    ));

    variants.push((
        "outlives-ca",
        resign(&leaf, ca_signer.as_ref(), |tbs| {
            let end = not_after(&sign_ca) + Duration::from_secs(30 * 86_400);
            tbs.validity.not_after = x509_cert::time::Time::try_from(end).unwrap();
        }),
    ));

    let other_dir = dir.path().join("other");
    let other = demo(&other_dir, clock.shared()).await;
    let other_root = cert_of(&other, CaName::Root);
    let ocsp_forged = {
        let responder = other
            .authority(CaName::Sign)
            .unwrap()
            .responder
            .clone()
            .expect("delegated responder");
        let signer = responder.signer.expect("responder key");
        let request = OcspRequest::from_der(&ocsp_request(&sign_ca, &leaf)).unwrap();
        let now = der::asn1::GeneralizedTime::from_system_time(clock.now()).unwrap();
        let later =
            der::asn1::GeneralizedTime::from_system_time(clock.now() + Duration::from_secs(3600))
                .unwrap();
        let data = ResponseData {
            version: Version::default(),
            responder_id: ResponderId::ByName(responder.cert.tbs_certificate().subject().clone()),
            produced_at: now,
            responses: vec![SingleResponse {
                cert_id: request.tbs_request.request_list[0].req_cert.clone(),
                cert_status: CertStatus::Good(Null),
                this_update: now,
                next_update: Some(later),
                single_extensions: None,
            }],
            response_extensions: None,
        };
        let sig = signer.sign(&data.to_der().unwrap()).unwrap();
        let basic = BasicOcspResponse {
            tbs_response_data: data,
            signature_algorithm: signer.algorithm().algorithm_identifier(),
            signature: BitString::from_bytes(&sig).unwrap(),
            certs: Some(vec![responder.cert.clone()]),
        };
        OcspResponse::successful(&basic).unwrap().to_der().unwrap()
    };
    let other_sign_ca = cert_of(&other, CaName::Sign);

    Fixture {
        dir,
        clock,
        root,
        sign_ca,
        auth_ca: cert_of(&engine, CaName::Auth),
        leaf,
        auth_leaf,
        director,
        revoked,
        revoked_issued_at,
        revoked_at,
        crl_before,
        crl_before_this_update,
        crl_after_this_update: SystemTime::UNIX_EPOCH + Duration::from_secs(after.this_update),
        crl_after: after.der,
        root_crl,
        ocsp_leaf_good,
        ocsp_revoked_before,
        ocsp_revoked_after,
        ocsp_forged,
        issued_by_leaf,
        other_root,
        other_sign_ca,
        variants,
    }
}
