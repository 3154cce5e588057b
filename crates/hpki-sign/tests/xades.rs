//! XAdES (hpki-sign::xades) against independent verifiers, with a demo CA served in-process
//! (its TSA, CRLs and OCSP responder over loopback HTTP) and a doctor's certificate from the
//! signing CA on a software key:
//!
//! - enveloped, detached and the e-prescription, each at B, T, LT and LTA (and LTA renewed);
//! - `xmlsec1 --verify` (the XML-DSig core: all references and the signature value, with the
//!   chain to the root) and signxml's `XAdESVerifier` accept every one, with the doctor's key;
//! - each time-stamp token verifies (hpki_sign::tsp::verify_token) over the octets computed
//!   independently by lxml in `tests/data/xades/signxml_verify.py`;
//! - bergshamra's verifier accepts them too, and hpki-sign's own `xades::verify`;
//! - a changed character in the signed document makes xmlsec1, signxml and `verify` fail.
//!
//! A missing xmlsec1 or signxml is a failure: scripts/test.sh installs them.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, OnceLock};

use base64::Engine as _;
use der::{DecodePem, Encode};
use hpki_ca::ceremony::{DEMO_SUBSCRIBER, InitOptions, build_csr, init};
use hpki_fetch::{HttpTimeStamper, HttpValidationSource};
use hpki_keys::{KeyKind, SoftwareKey};
use hpki_sign::ltv::{ValidationData, ValidationSource};
use hpki_sign::xades;
use hpki_sign::{DigestAlgorithm, Level, SignContext, SignError};
use x509_cert::Certificate;

const LEVELS: [Level; 4] = [Level::B, Level::T, Level::Lt, Level::Lta];

const REFERRAL_LETTER: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<!-- 診療情報提供書（紹介状） -->
<ReferralLetter xmlns="urn:example:hpki:referral" xmlns:p="urn:example:hpki:patient" date="2026-11-30">
  <From>日医病院 内科 日医 太郎</From>
  <To>東京大学医学部附属病院 循環器内科 御侍史</To>
  <p:Patient p:id="P-0001">山田 花子（昭和35年4月1日生）</p:Patient>
  <Body xml:lang="ja">労作時の胸部不快感あり。精査加療をお願いいたします。 &amp; &lt;既往歴&gt; 高血圧症</Body>
</ReferralLetter>
"#;

const DETACHED_URI: &str = "shindansho-20261130.txt";
const DETACHED_DATA: &str = "診断書\n氏名 山田 花子\n病名 急性上気道炎\n上記のとおり診断します。\n令和8年11月30日 日医病院 医師 日医 太郎\n";

const PRESCRIPTION_ID: &str = "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d";

/// A prescription CSV in the shape of the JAHIS 院外処方箋 CSV records (record number first:
/// 1 institution, 5 doctor, 11-13 patient, 22-23 insurance, 51 issue date, 101 RP, 111 usage,
/// 201 drug), illustrative values.
fn prescription_csv() -> Vec<u8> {
    [
        "JAHIS10",
        "1,1,1312345678,13,日医病院",
        "2,113-8621,東京都文京区本駒込２－２８－１６",
        "3,03-3946-2121",
        "4,1,01,内科",
        "5,,ニチイ　タロウ,日医　太郎",
        "11,,ヤマダ　ハナコ,山田　花子",
        "12,2",
        "13,19600401",
        "22,06132013",
        "23,１２３,４５６７,1,",
        "51,20261130",
        "101,1,1,,5,",
        "111,1,1,,１日３回毎食後,3",
        "201,1,1,1,7,620004479,ロキソプロフェンＮａ錠６０ｍｇ,3,1,錠",
        "",
    ]
    .join("\r\n")
    .into_bytes()
}

/// The demo CA, its server and the doctor's keys and certificates.
struct Fixture {
    dir: PathBuf,
    chain: Vec<Certificate>,
    doctor_key: SoftwareKey,
    doctor: Certificate,
    ec_key: SoftwareKey,
    ec_doctor: Certificate,
    tsa: HttpTimeStamper,
    validation: HttpValidationSource,
}

static FIXTURE: OnceLock<Fixture> = OnceLock::new();

/// Sets up the demo CA once per test binary, served by a runtime on its own thread for as long
/// as the tests run.
fn fixture() -> &'static Fixture {
    FIXTURE.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("hpki-sign-xades");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("test directory");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let base = format!("http://127.0.0.1:{port}");
        let (tx, rx) = std::sync::mpsc::channel();
        let ca_dir = dir.join("ca");
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                let opts = InitOptions {
                    demo: true,
                    database_url: None,
                    public_base_url: base.clone(),
                    passphrase: "xades test".into(),
                    actor: "test".into(),
                    hsm: None,
                };
                let engine = Arc::new(init(&ca_dir, &opts, &mut |_| {}).await.expect("init"));
                let mut issued = Vec::new();
                for kind in [KeyKind::Rsa(2048), KeyKind::P256] {
                    let key = SoftwareKey::generate(kind).expect("key");
                    let csr = build_csr(&key, x509_cert::name::Name::default()).expect("csr");
                    let cert = engine
                        .issue(
                            hpki_ca::CaName::Sign,
                            &hpki_ca::issue::CheckedCsr::parse(&csr).expect("CSR"),
                            &engine.subject(DEMO_SUBSCRIBER).expect("subject"),
                        )
                        .await
                        .expect("issue");
                    issued.push((
                        key,
                        Certificate::from_pem(cert.pem().as_bytes()).expect("pem"),
                    ));
                }
                let ca = |name| engine.authority(name).expect("authority").ca.cert.clone();
                let (root, sign_ca) = (ca(hpki_ca::CaName::Root), ca(hpki_ca::CaName::Sign));
                let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
                let server = engine.clone();
                tokio::spawn(async move {
                    hpki_server::serve(
                        server,
                        format!("127.0.0.1:{port}").parse().unwrap(),
                        |_| {
                            let _ = ready_tx.send(());
                        },
                    )
                    .await
                    .expect("serve");
                });
                ready_rx.await.expect("server up");
                let _ = tx.send((base, root, sign_ca, issued));
                std::future::pending::<()>().await;
            });
        });
        let (base, root, sign_ca, mut issued) = rx.recv().expect("the demo CA starts");
        let (ec_key, ec_doctor) = issued.pop().expect("EC doctor");
        let (doctor_key, doctor) = issued.pop().expect("RSA doctor");
        let pem =
            |c: &Certificate| der::EncodePem::to_pem(c, der::pem::LineEnding::LF).expect("pem");
        std::fs::write(dir.join("root.pem"), pem(&root)).unwrap();
        std::fs::write(dir.join("sign-ca.pem"), pem(&sign_ca)).unwrap();
        std::fs::write(dir.join("doctor.pem"), pem(&doctor)).unwrap();
        std::fs::write(dir.join("doctor-ec.pem"), pem(&ec_doctor)).unwrap();
        Fixture {
            dir,
            validation: HttpValidationSource::new(vec![root]),
            tsa: HttpTimeStamper::new(format!("{base}/tsa")),
            chain: vec![sign_ca],
            doctor_key,
            doctor,
            ec_key,
            ec_doctor,
        }
    })
}

impl Fixture {
    fn ctx(&self) -> SignContext<'_> {
        SignContext {
            signer: &self.doctor_key,
            certificate: &self.doctor,
            chain: &self.chain,
            signing_time: hpki_clock::Clock::now(&hpki_clock::SystemClock),
            time_stamper: Some(&self.tsa),
            validation: Some(&self.validation),
        }
    }

    fn file(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Layout {
    Enveloped,
    Detached,
    Prescription,
}

fn sign(f: &Fixture, layout: Layout, level: Level) -> String {
    let ctx = f.ctx();
    match layout {
        Layout::Enveloped => xades::sign_enveloped(&ctx, REFERRAL_LETTER, level),
        Layout::Detached => {
            xades::sign_detached(&ctx, DETACHED_DATA.as_bytes(), DETACHED_URI, level)
        }
        Layout::Prescription => xades::sign_prescription(
            &ctx,
            &xades::prescription_xml(PRESCRIPTION_ID, &prescription_csv()),
            level,
        ),
    }
    .unwrap_or_else(|e| panic!("{layout:?} {}: {e}", level.name()))
}

fn tool(program: &str, install: &str) {
    let found = Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {program}"))
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        found,
        "{program} is required by the XAdES tests: run scripts/test.sh, which installs {install}"
    );
}

/// `xmlsec1 --verify` of `path` with the demo root trusted: (accepted, output).
fn xmlsec1(f: &Fixture, path: &Path) -> (bool, String) {
    tool("xmlsec1", "Debian xmlsec1");
    let out = Command::new("xmlsec1")
        .current_dir(&f.dir)
        .arg("--verify")
        .arg("--trusted-pem")
        .arg(f.file("root.pem"))
        .arg("--untrusted-pem")
        .arg(f.file("sign-ca.pem"))
        .args([
            "--id-attr:Id",
            "http://uri.etsi.org/01903/v1.3.2#:SignedProperties",
        ])
        .args(["--id-attr:Id", "http://www.w3.org/2000/09/xmldsig#:KeyInfo"])
        .args(["--id-attr:Id", "PrescriptionDocument"])
        .args(["--id-attr:id", "PrescriptionDocument"])
        .arg(path)
        .output()
        .expect("xmlsec1 runs");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success() && text.contains("OK"), text)
}

/// What signxml and lxml said (see tests/data/xades/signxml_verify.py).
#[derive(Debug, Default)]
struct Signxml {
    accepted: bool,
    output: String,
    key_match: bool,
    signature_value_c14n: Vec<u8>,
    archive_inputs: Vec<Vec<u8>>,
}

fn signxml(f: &Fixture, path: &Path, signer_pem: &Path, detached: bool) -> Signxml {
    tool("python3", "python3");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/xades/signxml_verify.py");
    let probe = Command::new("python3")
        .args(["-c", "import signxml.xades, lxml"])
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        probe,
        "signxml is required by the XAdES tests: run scripts/test.sh, which installs it from PyPI"
    );
    let mut cmd = Command::new("python3");
    cmd.arg(script).arg(path).arg(signer_pem);
    if detached {
        cmd.arg(DETACHED_URI).arg(f.file(DETACHED_URI));
    }
    let out = cmd.output().expect("python3 runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let b64 = |s: &str| {
        base64::engine::general_purpose::STANDARD
            .decode(s.trim())
            .expect("base64 from the script")
    };
    let mut result = Signxml {
        accepted: out.status.success(),
        output: stdout.clone() + &String::from_utf8_lossy(&out.stderr),
        ..Default::default()
    };
    for line in stdout.lines() {
        match line.split_once(' ') {
            Some(("KEY_MATCH", v)) => result.key_match = v == "yes",
            Some(("SIGNATURE_VALUE_C14N", v)) => result.signature_value_c14n = b64(v),
            Some(("ARCHIVE_INPUT", v)) => result.archive_inputs.push(b64(v)),
            _ => {}
        }
    }
    result
}

/// bergshamra's XML-DSig verifier with the doctor's key. (Its certificate path validation
/// refuses the critical certificatePolicies every HPKI certificate has, "unrecognized critical
/// extension"; xmlsec1 checks the path.)
fn bergshamra_verifies(f: &Fixture, xml: &str, detached: bool) -> Result<bool, String> {
    let spki = f
        .doctor
        .tbs_certificate()
        .subject_public_key_info()
        .to_der()
        .unwrap();
    let mut keys = bergshamra::KeysManager::new();
    keys.add_key(bergshamra::keys::loader::load_spki_der(&spki).map_err(|e| e.to_string())?);
    // bergshamra's strict mode refuses references to elements inside ds:Signature (an XML
    // signature wrapping heuristic); XAdES always signs its SignedProperties there.
    let mut ctx = bergshamra::DsigContext::new(keys).with_strict_verification(false);
    if detached {
        ctx.add_url_map(DETACHED_URI, &f.file(DETACHED_URI).to_string_lossy());
    }
    bergshamra::verify(&ctx, xml)
        .map(|r| r.is_valid())
        .map_err(|e| e.to_string())
}

/// A token over `input` per hpki_sign::tsp (SHA-256 imprint, as the signer asked).
fn token_covers(token: &[u8], input: &[u8]) -> Result<(), SignError> {
    let imprint = hpki_sign::tsp::imprint_of(DigestAlgorithm::Sha256, input)?;
    hpki_sign::tsp::verify_token(token, &imprint, None).map(|_| ())
}

/// Every check on one signed document.
fn check(f: &Fixture, name: &str, layout: Layout, xml: &str, level: Level, archives: usize) {
    let detached = layout == Layout::Detached;
    let path = f.file(&format!("{name}.xml"));
    std::fs::write(&path, xml).unwrap();
    if detached {
        std::fs::write(f.file(DETACHED_URI), DETACHED_DATA).unwrap();
    }

    // hpki-sign's own reading and core verification.
    let info = if detached {
        xades::verify_detached(xml, DETACHED_DATA.as_bytes())
    } else {
        xades::verify(xml)
    }
    .unwrap_or_else(|e| panic!("{name}: xades::verify: {e}\n{xml}"));
    assert_eq!(info.level, level, "{name}");
    assert_eq!(info.references.len(), 3, "{name}");
    assert_eq!(info.archive_time_stamps.len(), archives, "{name}");
    assert_eq!(
        info.signer_certificate
            .as_ref()
            .map(|c| c.to_der().unwrap()),
        Some(f.doctor.to_der().unwrap()),
        "{name}"
    );

    // xmlsec1: the XML-DSig core with the chain to the demo root.
    let (ok, out) = xmlsec1(f, &path);
    assert!(ok, "{name}: xmlsec1 refused it:\n{out}");

    // signxml's XAdES verifier, and lxml's canonical forms.
    let s = signxml(f, &path, &f.file("doctor.pem"), detached);
    assert!(s.accepted, "{name}: signxml refused it:\n{}", s.output);
    assert!(
        s.key_match,
        "{name}: signxml verified with another key:\n{}",
        s.output
    );

    // The time-stamp tokens over what lxml computed.
    assert_eq!(
        info.signature_time_stamps.len(),
        usize::from(level >= Level::T)
    );
    for ts in &info.signature_time_stamps {
        token_covers(&ts.token, &s.signature_value_c14n)
            .unwrap_or_else(|e| panic!("{name}: signature time-stamp: {e}"));
        assert_eq!(ts.input.as_deref(), Some(&s.signature_value_c14n[..]));
    }
    assert_eq!(s.archive_inputs.len(), archives, "{name}: {}", s.output);
    for (ts, input) in info.archive_time_stamps.iter().zip(&s.archive_inputs) {
        token_covers(&ts.token, input)
            .unwrap_or_else(|e| panic!("{name}: archive time-stamp: {e}"));
        assert_eq!(
            ts.input.as_deref(),
            Some(&input[..]),
            "{name}: archive input"
        );
    }

    // The long-term values: the signing CA, the root, the OCSP responder and the TSA; the
    // signing CA's CRL and an OCSP response for the doctor.
    if level >= Level::Lt {
        let subjects: Vec<String> = info
            .validation_data
            .certificates
            .iter()
            .map(|d| {
                der::Decode::from_der(d)
                    .map(|c: Certificate| c.tbs_certificate().subject().to_string())
                    .unwrap()
            })
            .collect();
        for want in ["JMASignCA", "MHLW", "OCSP Responder", "Time-Stamping"] {
            assert!(
                subjects.iter().any(|s| s.contains(want)),
                "{name}: {want} not in {subjects:?}"
            );
        }
        assert!(!info.validation_data.crls.is_empty(), "{name}");
        assert!(!info.validation_data.ocsp_responses.is_empty(), "{name}");
    }

    // bergshamra's verifier.
    assert_eq!(
        bergshamra_verifies(f, xml, detached),
        Ok(true),
        "{name}: bergshamra"
    );
}

/// A changed character in what was signed: every verifier refuses.
fn check_tampered(f: &Fixture, name: &str, layout: Layout, xml: &str) {
    let path = f.file(&format!("{name}-tampered.xml"));
    let detached = layout == Layout::Detached;
    let tampered = match layout {
        Layout::Enveloped => xml.replacen("胸部不快感", "腹部不快感", 1),
        Layout::Prescription => {
            let csv = prescription_csv();
            let mut changed = csv.clone();
            let at = changed.windows(3).position(|w| w == b"3,1").unwrap();
            changed[at] = b'4';
            let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
            xml.replacen(&b64(&csv), &b64(&changed), 1)
        }
        Layout::Detached => xml.to_owned(),
    };
    std::fs::write(&path, &tampered).unwrap();
    if detached {
        std::fs::write(
            f.file(DETACHED_URI),
            DETACHED_DATA.replacen("急性", "慢性", 1),
        )
        .unwrap();
    } else {
        assert_ne!(tampered, xml, "{name}: the change applies");
    }
    let (ok, out) = xmlsec1(f, &path);
    assert!(!ok, "{name}: xmlsec1 accepted a changed document:\n{out}");
    let s = signxml(f, &path, &f.file("doctor.pem"), detached);
    assert!(!s.accepted, "{name}: signxml accepted a changed document");
    let mine = if detached {
        xades::verify_detached(
            &tampered,
            DETACHED_DATA.replacen("急性", "慢性", 1).as_bytes(),
        )
    } else {
        xades::verify(&tampered)
    };
    assert!(
        matches!(mine, Err(SignError::ReferenceDigestMismatch(_))),
        "{name}: {mine:?}"
    );
    if detached {
        std::fs::write(f.file(DETACHED_URI), DETACHED_DATA).unwrap();
    }
}

/// A validation source that brings one more certificate than `inner`.
struct Renewal<'a> {
    inner: &'a HttpValidationSource,
    extra: Vec<u8>,
}

impl ValidationSource for Renewal<'_> {
    fn validation_data(&self, certificate: &Certificate) -> Result<ValidationData, SignError> {
        let mut data = self.inner.validation_data(certificate)?;
        data.merge(ValidationData {
            certificates: vec![self.extra.clone()],
            ..Default::default()
        });
        Ok(data)
    }
}

fn every_level(layout: Layout) {
    let f = fixture();
    let tag = format!("{layout:?}").to_lowercase();
    for level in LEVELS {
        let name = format!("{tag}-{}", level.name());
        let xml = sign(f, layout, level);
        check(
            f,
            &name,
            layout,
            &xml,
            level,
            usize::from(level == Level::Lta),
        );
        if level == Level::B {
            check_tampered(f, &name, layout, &xml);
        }
        if level == Level::Lta {
            // The archive time-stamp renewed: it covers the first one and the validation data
            // that is new by then, which goes into a TimeStampValidationData before it. (The
            // demo's OCSP answers and CRL are the same octets seconds later, so the source
            // brings one more certificate to have something new.)
            let validation = Renewal {
                inner: &f.validation,
                extra: f.ec_doctor.to_der().unwrap(),
            };
            let renewed = match layout {
                Layout::Detached => xades::add_archive_time_stamp_detached(
                    &xml,
                    DETACHED_DATA.as_bytes(),
                    &f.tsa,
                    &validation,
                ),
                _ => xades::add_archive_time_stamp(&xml, &f.tsa, &validation),
            }
            .unwrap_or_else(|e| panic!("{name}: renewing: {e}"));
            let info = xades::inspect(&renewed).unwrap();
            assert_eq!(
                info.time_stamp_validation_data.certificates,
                vec![validation.extra.clone()],
                "{name}: the new data before the renewed time-stamp"
            );
            check(
                f,
                &format!("{name}-renewed"),
                layout,
                &renewed,
                Level::Lta,
                2,
            );
            check_tampered(f, &format!("{name}-renewed"), layout, &renewed);
        }
    }
}

#[test]
fn enveloped_at_every_level() {
    every_level(Layout::Enveloped);
}

#[test]
fn detached_at_every_level() {
    every_level(Layout::Detached);
}

#[test]
fn prescription_at_every_level() {
    every_level(Layout::Prescription);
}

/// A signer that records what it is asked to sign (an HSM or the doctor's card sees only
/// that).
struct Recording<'a> {
    inner: &'a SoftwareKey,
    seen: std::sync::Mutex<Vec<Vec<u8>>>,
}

impl hpki_keys::Signer for Recording<'_> {
    fn algorithm(&self) -> hpki_keys::SignatureAlgorithm {
        self.inner.algorithm()
    }
    fn public_key(&self) -> &spki::SubjectPublicKeyInfoOwned {
        self.inner.public_key()
    }
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, hpki_keys::KeyError> {
        self.seen.lock().unwrap().push(message.to_vec());
        self.inner.sign(message)
    }
}

#[test]
fn the_signer_signs_the_canonical_signed_info_once() {
    let f = fixture();
    let card = Recording {
        inner: &f.doctor_key,
        seen: Default::default(),
    };
    let ctx = SignContext {
        signer: &card,
        ..f.ctx()
    };
    let xml = xades::sign_enveloped(&ctx, REFERRAL_LETTER, Level::B).unwrap();
    let info = xades::verify(&xml).unwrap();
    let seen = card.seen.lock().unwrap();
    assert_eq!(*seen, vec![info.signed_info_c14n.clone()]);
    assert!(
        seen[0].starts_with(b"<ds:SignedInfo xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\">")
    );
    assert_eq!(info.signature_method, xades::ALG_RSA_SHA256);
    assert_eq!(info.canonicalization_method, xades::ALG_EXC_C14N);
}

#[test]
fn ecdsa_keys_sign_with_r_s_values() {
    let f = fixture();
    let ctx = SignContext {
        signer: &f.ec_key,
        certificate: &f.ec_doctor,
        ..f.ctx()
    };
    let xml = xades::sign_enveloped(&ctx, REFERRAL_LETTER, Level::B).unwrap();
    let info = xades::verify(&xml).unwrap();
    assert_eq!(info.signature_method, xades::ALG_ECDSA_SHA256);
    assert_eq!(info.signature_value.len(), 64, "r || s of P-256");
    let path = f.file("enveloped-ecdsa.xml");
    std::fs::write(&path, &xml).unwrap();
    let (ok, out) = xmlsec1(f, &path);
    assert!(ok, "xmlsec1 refused it:\n{out}");
    let s = signxml(f, &path, &f.file("doctor-ec.pem"), false);
    assert!(s.accepted && s.key_match, "signxml:\n{}", s.output);
    // signxml does check the key: not the RSA doctor's.
    let s = signxml(f, &path, &f.file("doctor.pem"), false);
    assert!(!s.accepted, "signxml accepted another certificate");
}

#[test]
fn unusual_documents_sign_and_verify() {
    let f = fixture();
    let documents = [
        ("self-closing", "<r xmlns=\"urn:x\" a=\"1\"/>".to_owned()),
        (
            "crlf",
            "<?xml version=\"1.0\"?>\r\n<r>\r\n  <a b=\"x&#9;y\">1 &lt; 2</a>\r\n</r>\r\n<!-- after -->\r\n"
                .to_owned(),
        ),
        (
            "prefixed",
            "<ds:r xmlns:ds=\"urn:not-xmldsig\"><ds:a>ds is someone else's prefix here</ds:a></ds:r>"
                .to_owned(),
        ),
    ];
    for (name, doc) in documents {
        let xml = xades::sign_enveloped(&f.ctx(), &doc, Level::Lt)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let info = xades::verify(&xml).unwrap_or_else(|e| panic!("{name}: {e}\n{xml}"));
        assert_eq!(info.level, Level::Lt, "{name}");
        let path = f.file(&format!("unusual-{name}.xml"));
        std::fs::write(&path, &xml).unwrap();
        let (ok, out) = xmlsec1(f, &path);
        assert!(ok, "{name}: xmlsec1 refused it:\n{out}\n{xml}");
        let s = signxml(f, &path, &f.file("doctor.pem"), false);
        assert!(s.accepted && s.key_match, "{name}: signxml:\n{}", s.output);
    }
}

#[test]
fn the_prescription_layout_is_read_and_checked() {
    let f = fixture();
    let csv = prescription_csv();
    let unsigned = xades::prescription_xml(PRESCRIPTION_ID, &csv);
    let expected = xades::PrescriptionContent {
        version: "EPS1.0".into(),
        prescription_id: PRESCRIPTION_ID.into(),
        csv: csv.clone(),
    };
    assert_eq!(xades::read_prescription(&unsigned).unwrap(), expected);
    let signed = xades::sign_prescription(&f.ctx(), &unsigned, Level::B).unwrap();
    assert_eq!(xades::read_prescription(&signed).unwrap(), expected);
    assert_eq!(
        xades::verify(&signed).unwrap().references[0].uri,
        "#PrescriptionDocument"
    );

    let (_, content) = xades::verify_prescription(&signed).unwrap();
    assert_eq!(content, expected);

    // XML signature wrapping: the signed document moved aside, another one in its place. The
    // XML-DSig core still verifies (the reference finds its ID); the prescription check does
    // not, so the forged CSV is never returned.
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    let original = format!(
        "<PrescriptionDocument id=\"PrescriptionDocument\">{}</PrescriptionDocument>",
        b64(&csv)
    );
    assert!(signed.contains(&original));
    let wrapped = signed
        .replacen(
            &original,
            &format!(
                "<PrescriptionDocument>{}</PrescriptionDocument>",
                b64(b"forged")
            ),
            1,
        )
        .replacen(
            "</PrescriptionManagement>",
            &format!("<Moved>{original}</Moved></PrescriptionManagement>"),
            1,
        );
    xades::verify(&wrapped).unwrap();
    assert_eq!(xades::read_prescription(&wrapped).unwrap().csv, b"forged");
    assert!(matches!(
        xades::verify_prescription(&wrapped),
        Err(SignError::Prescription(_))
    ));

    // Signed once only.
    assert!(matches!(
        xades::sign_prescription(&f.ctx(), &signed, Level::B),
        Err(SignError::Prescription(_))
    ));
    // Another version, no document, not base64.
    for bad in [
        unsigned.replace("EPS1.0", "EPS2.0"),
        unsigned.replace("PrescriptionDocument", "Other"),
        unsigned.replace(
            "<PrescriptionDocument id=\"PrescriptionDocument\">",
            "<PrescriptionDocument id=\"PrescriptionDocument\">%%",
        ),
        unsigned.replace(PRESCRIPTION_ID, ""),
    ] {
        assert!(
            matches!(
                xades::sign_prescription(&f.ctx(), &bad, Level::B),
                Err(SignError::Prescription(_))
            ),
            "{bad}"
        );
    }
    // A document without ID gets one; an empty PrescriptionSign is filled.
    let without_id = unsigned
        .replace(" id=\"PrescriptionDocument\"", "")
        .replace(
            "</PrescriptionDocument>",
            "</PrescriptionDocument><PrescriptionSign/>",
        );
    let signed = xades::sign_prescription(&f.ctx(), &without_id, Level::B).unwrap();
    assert!(signed.contains("<PrescriptionDocument id=\"PrescriptionDocument\">"));
    assert!(signed.contains("<PrescriptionSign><ds:Signature"));
    xades::verify(&signed).unwrap();
    let path = f.file("prescription-no-id.xml");
    std::fs::write(&path, &signed).unwrap();
    let (ok, out) = xmlsec1(f, &path);
    assert!(ok, "xmlsec1 refused it:\n{out}");
}

#[test]
fn bad_input_is_refused_before_the_key_is_used() {
    let f = fixture();
    let card = Recording {
        inner: &f.doctor_key,
        seen: Default::default(),
    };
    let ctx = SignContext {
        signer: &card,
        ..f.ctx()
    };
    let doctype = "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY e \"x\">]><r>&e;</r>";
    assert!(matches!(
        xades::sign_enveloped(&ctx, doctype, Level::B),
        Err(SignError::Xml(_))
    ));
    let sjis = "<?xml version=\"1.0\" encoding=\"Shift_JIS\"?><r/>";
    assert!(matches!(
        xades::sign_enveloped(&ctx, sjis, Level::B),
        Err(SignError::Xml(_))
    ));
    assert!(matches!(
        xades::sign_enveloped(&ctx, "<r><unclosed></r>", Level::B),
        Err(SignError::Xml(_))
    ));
    assert!(matches!(
        xades::sign_detached(&ctx, b"data", "#local", Level::B),
        Err(SignError::Xml(_))
    ));
    let no_tsa = SignContext {
        time_stamper: None,
        ..SignContext {
            signer: &card,
            ..f.ctx()
        }
    };
    assert!(matches!(
        xades::sign_enveloped(&no_tsa, REFERRAL_LETTER, Level::T),
        Err(SignError::NeedsTimeStamper("B-T"))
    ));
    let wrong_key = SignContext {
        certificate: &f.ec_doctor,
        ..SignContext {
            signer: &card,
            ..f.ctx()
        }
    };
    assert!(matches!(
        xades::sign_enveloped(&wrong_key, REFERRAL_LETTER, Level::B),
        Err(SignError::CertificateKeyMismatch)
    ));
    assert!(card.seen.lock().unwrap().is_empty(), "the key was used");

    // Reading: no signature, and a signature whose signed properties were changed.
    assert!(matches!(
        xades::inspect(REFERRAL_LETTER),
        Err(SignError::NotXades(_))
    ));
    let xml = xades::sign_enveloped(&f.ctx(), REFERRAL_LETTER, Level::B).unwrap();
    let changed = xml.replacen("<xades:SigningTime>20", "<xades:SigningTime>19", 1);
    assert!(matches!(
        xades::verify(&changed),
        Err(SignError::ReferenceDigestMismatch(_))
    ));
}
