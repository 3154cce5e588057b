//! CAdES baseline signatures B-B … B-LTA, detached and enveloping, made with a software key
//! under a demo CA made in-process, with the TSA, CRLs and OCSP of an in-process `hpki`
//! server on loopback reached through hpki-fetch; checked by `openssl cms` (a missing openssl
//! is a failure: scripts/test.sh installs it) and by hpki-sign's own token verification.

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;

use der::{Decode, DecodePem};
use hpki_ca::CaName;
use hpki_ca::ceremony::{DEMO_SUBSCRIBER, InitOptions, build_csr, init};
use hpki_ca::issue::pem_encode;
use hpki_fetch::{HttpTimeStamper, HttpValidationSource};
use hpki_keys::{KeyKind, SoftwareKey};
use hpki_sign::cades::{
    self, ID_AA_ETS_ARCHIVE_TIMESTAMP_V3, Packaging, add_archive_time_stamp,
    archive_time_stamp_imprint, inspect, parse_signed_data, verify_archive_time_stamp,
};
use hpki_sign::cms::{ContentSource, verify_signer_info};
use hpki_sign::tsp::{imprint_of, verify_token};
use hpki_sign::{Level, SignContext, SignError};
use x509_cert::Certificate;

const LETTER: &[u8] =
    "診療情報提供書（紹介状）\n日医病院 内科 御侍史\n患者: 日医 花子\n".as_bytes();

fn sh(cmd: &str) -> (bool, String) {
    let out = Command::new("sh").arg("-c").arg(cmd).output().expect("sh");
    let mut s = String::from_utf8_lossy(&out.stdout).into_owned();
    s.push_str(&String::from_utf8_lossy(&out.stderr));
    (out.status.success(), s)
}

/// A demo CA (root, signing CA with OCSP, TSA) served on loopback, and a doctor's software key
/// with a signing certificate from it.
struct Demo {
    _rt: tokio::runtime::Runtime,
    dir: tempfile::TempDir,
    base: String,
    key: SoftwareKey,
    cert: Certificate,
    sign_ca: Certificate,
    root: Certificate,
}

impl Demo {
    fn start() -> Demo {
        assert!(
            sh("command -v openssl").0,
            "openssl is required by the tests: run scripts/test.sh, which installs it"
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let base = format!("http://127.0.0.1:{port}");
        let dir = tempfile::tempdir().expect("tempdir");
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let opts = InitOptions {
            demo: true,
            database_url: None,
            public_base_url: base.clone(),
            passphrase: "cades test".into(),
            actor: "test".into(),
            hsm: None,
        };
        let engine = Arc::new(
            rt.block_on(init(&dir.path().join("ca"), &opts, &mut |_| {}))
                .expect("init"),
        );
        let key = SoftwareKey::generate(KeyKind::Rsa(2048)).expect("key");
        let csr = build_csr(&key, x509_cert::name::Name::default()).expect("csr");
        let issued = rt
            .block_on(engine.issue(
                CaName::Sign,
                &hpki_ca::issue::CheckedCsr::parse(&csr).expect("CSR"),
                &engine.subject(DEMO_SUBSCRIBER).expect("subject"),
            ))
            .expect("issue");
        let ca_cert = |name| engine.authority(name).expect("CA").ca.cert.clone();
        let (root, sign_ca) = (ca_cert(CaName::Root), ca_cert(CaName::Sign));
        let (tx, rx) = std::sync::mpsc::channel();
        let server = engine.clone();
        rt.spawn(async move {
            hpki_server::serve(server, format!("127.0.0.1:{port}").parse().unwrap(), |_| {
                let _ = tx.send(());
            })
            .await
            .expect("serve");
        });
        rx.recv().expect("server up");
        let demo = Demo {
            _rt: rt,
            dir,
            base,
            key,
            cert: Certificate::from_pem(issued.pem().as_bytes()).expect("leaf"),
            sign_ca,
            root,
        };
        let root_der = der::Encode::to_der(&demo.root).unwrap();
        demo.write("root.pem", pem_encode("CERTIFICATE", &root_der).as_bytes());
        demo
    }

    fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn write(&self, name: &str, data: &[u8]) -> PathBuf {
        let p = self.file(name);
        std::fs::write(&p, data).unwrap();
        p
    }

    /// `openssl cms -verify` of `signature` (over `content` when detached) to the demo root.
    fn openssl_verify(&self, signature: &[u8], content: Option<&[u8]>) -> (bool, String) {
        self.openssl_verify_with(signature, content, "")
    }

    /// The same with further options, e.g. `-crl_check_all` (the CRLs the signature carries).
    fn openssl_verify_with(
        &self,
        signature: &[u8],
        content: Option<&[u8]>,
        options: &str,
    ) -> (bool, String) {
        let sig = self.write("sig.der", signature);
        let content = match content {
            Some(c) => format!("-content '{}'", self.write("content.bin", c).display()),
            None => String::new(),
        };
        sh(&format!(
            "openssl cms -verify -binary -inform DER -in '{}' {content} -CAfile '{}' -purpose any {options} -out '{}' 2>&1",
            sig.display(),
            self.file("root.pem").display(),
            self.file("verified.out").display()
        ))
    }

    fn openssl_print(&self, der: &[u8], name: &str) -> String {
        let f = self.write(name, der);
        let (ok, out) = sh(&format!(
            "openssl cms -cmsout -print -inform DER -in '{}'",
            f.display()
        ));
        assert!(ok, "{out}");
        out
    }
}

fn signature_time_stamp_verifies(der: &[u8]) {
    let info = inspect(der).unwrap();
    let [token] = &info.signature_time_stamps[..] else {
        panic!("one signature time-stamp");
    };
    let imprint = imprint_of(info.digest_algorithm, &info.signature_value).unwrap();
    let v = verify_token(token, &imprint, None).expect("signature time-stamp over the signature");
    assert!(
        v.tsa_certificate
            .tbs_certificate()
            .subject()
            .to_string()
            .contains("Time-Stamping")
    );
    // Over anything else it does not verify.
    let other = imprint_of(info.digest_algorithm, b"another signature").unwrap();
    assert!(matches!(
        verify_token(token, &other, None),
        Err(SignError::ImprintMismatch)
    ));
}

/// The subjects of the certificates a signature carries.
fn subjects(der: &[u8]) -> Vec<String> {
    inspect(der)
        .unwrap()
        .certificates
        .iter()
        .map(|c| {
            Certificate::from_der(c)
                .unwrap()
                .tbs_certificate()
                .subject()
                .to_string()
        })
        .collect()
}

#[test]
fn every_level_detached_and_enveloping_verifies_in_openssl() {
    let demo = Demo::start();
    let tsa = HttpTimeStamper::new(format!("{}/tsa", demo.base));
    let validation = HttpValidationSource::new(vec![demo.root.clone()]);
    let chain = [demo.sign_ca.clone()];
    let ctx = SignContext {
        signer: &demo.key,
        certificate: &demo.cert,
        chain: &chain,
        signing_time: hpki_clock::Clock::now(&hpki_clock::SystemClock),
        time_stamper: Some(&tsa),
        validation: Some(&validation),
    };
    for packaging in [Packaging::Detached, Packaging::Enveloping] {
        let detached = packaging == Packaging::Detached;
        let content = detached.then_some(LETTER);
        for level in [Level::B, Level::T, Level::Lt, Level::Lta] {
            let what = format!("{packaging:?} {}", level.name());
            let der = cades::sign(&ctx, LETTER, packaging, level).expect(&what);

            // openssl accepts it, and gives the letter back when it is inside.
            let (ok, out) = demo.openssl_verify(&der, content);
            assert!(
                ok && out.contains("Verification successful"),
                "{what}: {out}"
            );
            if !detached {
                assert_eq!(std::fs::read(demo.file("verified.out")).unwrap(), LETTER);
            }

            let info = inspect(&der).unwrap();
            assert_eq!(info.level, level, "{what}");
            assert_eq!(info.detached, detached);
            assert_eq!(info.content.as_deref(), content.is_none().then_some(LETTER));
            let dump = demo.openssl_print(&der, "print.der");
            // B-B: the signed attributes of the CMS core.
            for attr in ["contentType", "messageDigest", "signingTime"] {
                assert!(dump.contains(attr), "{what}: {attr} missing");
            }
            assert!(dump.contains("id-smime-aa-signingCertificateV2"), "{what}");
            assert_eq!(
                dump.contains("id-smime-aa-timeStampToken"),
                level >= Level::T,
                "{what}: signature time-stamp"
            );
            assert_eq!(dump.contains("d.crl:"), level >= Level::Lt, "{what}: CRLs");
            assert_eq!(
                dump.contains("d.other:") && dump.contains("1.3.6.1.5.5.7.16.2"),
                level >= Level::Lt,
                "{what}: OCSP as other revocation info (RFC 5940)"
            );
            assert_eq!(
                dump.contains("0.4.0.1733.2.4"),
                level >= Level::Lta,
                "{what}: archive-time-stamp-v3"
            );
            // RFC 5652 §5.1: version 5 once an `other` RevocationInfoChoice is present.
            let version = dump
                .lines()
                .find(|l| l.trim_start().starts_with("version:"))
                .unwrap_or_default()
                .trim()
                .to_owned();
            let expected = if level >= Level::Lt { "5" } else { "1" };
            assert!(version.ends_with(expected), "{what}: {version}");

            // The signer verifies here too, B-LT included (parse_signed_data reads OCSP in crls).
            let parsed = parse_signed_data(&der).unwrap();
            let signer = &parsed.signer_infos[0];
            let source = match content {
                Some(c) => ContentSource::Detached(c),
                None => ContentSource::Encapsulated,
            };
            verify_signer_info(&parsed, signer, &demo.cert, source).unwrap();

            if level >= Level::T {
                signature_time_stamp_verifies(&der);
            }
            if level >= Level::Lt {
                // Revocation checked by openssl from the CRLs inside, for the whole chain.
                let (ok, out) = demo.openssl_verify_with(&der, content, "-crl_check_all");
                assert!(
                    ok && out.contains("Verification successful"),
                    "{what}: {out}"
                );
                // The signer's chain and the TSA's, the OCSP responder; the signing CA's and
                // the root's CRLs (the TSA certificate's issuer); an OCSP response for the
                // doctor's certificate.
                let s = subjects(&der);
                for who in ["JMASignCA", "MHLW", "OCSP Responder", "Time-Stamping"] {
                    assert!(s.iter().any(|n| n.contains(who)), "{what}: {who} in {s:?}");
                }
                assert!(info.crls.len() >= 2, "{what}: {} CRLs", info.crls.len());
                assert_eq!(info.ocsp_responses.len(), 1, "{what}");
                let resp =
                    hpki_asn1::ocsp::OcspResponse::from_der(&info.ocsp_responses[0]).unwrap();
                hpki_asn1::ocsp::BasicOcspResponse::from_response(&resp).unwrap();
            }
            if level == Level::Lta {
                let [token] = &info.archive_time_stamps[..] else {
                    panic!("{what}: one archive time-stamp");
                };
                // The imprint recomputed here is the one the TSA signed.
                let v = verify_archive_time_stamp(&der, token, content).expect(&what);
                let imprint = archive_time_stamp_imprint(&der, token, content).unwrap();
                assert_eq!(v.tst_info.message_imprint, imprint);
                // The token carries its ats-hash-index-v3 (openssl shows the unsigned attribute).
                let token_dump = demo.openssl_print(token, "ats.der");
                assert!(token_dump.contains("0.4.0.19122.1.5"), "{token_dump}");
                // Detached: from the message-digest alone, the same imprint.
                if detached {
                    assert_eq!(
                        archive_time_stamp_imprint(&der, token, None).unwrap(),
                        imprint
                    );
                }
            }

            // A changed letter: openssl refuses.
            let tampered: Vec<u8>;
            let (sig, changed) = if detached {
                (&der[..], Some("診療情報提供書（改ざん）".as_bytes()))
            } else {
                let at = der
                    .windows(LETTER.len())
                    .position(|w| w == LETTER)
                    .expect("the letter inside");
                let mut t = der.clone();
                t[at + 3] ^= 0x01;
                tampered = t;
                (&tampered[..], None)
            };
            let (ok, out) = demo.openssl_verify(sig, changed);
            assert!(!ok, "{what}: a changed letter must not verify: {out}");
        }
    }
}

#[test]
fn archive_time_stamps_are_renewed_and_every_one_stays_valid() {
    let demo = Demo::start();
    let tsa = HttpTimeStamper::new(format!("{}/tsa", demo.base));
    let validation = HttpValidationSource::new(vec![demo.root.clone()]);
    let ctx = SignContext {
        signer: &demo.key,
        certificate: &demo.cert,
        chain: &[],
        signing_time: hpki_clock::Clock::now(&hpki_clock::SystemClock),
        time_stamper: Some(&tsa),
        validation: Some(&validation),
    };
    // B-T now; the archive job raises it later, without the signer or the letter.
    let t = cades::sign(&ctx, LETTER, Packaging::Detached, Level::T).unwrap();
    assert!(matches!(
        cades::augment(&t, Level::Lt, Some(&tsa), None),
        Err(SignError::NeedsValidationData("B-LT"))
    ));
    let lta = cades::augment(&t, Level::Lta, Some(&tsa), Some(&validation)).unwrap();
    assert_eq!(inspect(&lta).unwrap().level, Level::Lta);
    assert_eq!(
        cades::augment(&lta, Level::Lt, None, None).unwrap(),
        lta,
        "already above: unchanged"
    );

    // Renewed twice: each archive time-stamp covers the earlier ones and the new validation
    // data; every one still verifies afterwards.
    let once = add_archive_time_stamp(&lta, &tsa, Some(&validation)).unwrap();
    let twice = add_archive_time_stamp(&once, &tsa, Some(&validation)).unwrap();
    let info = inspect(&twice).unwrap();
    assert_eq!(info.archive_time_stamps.len(), 3);
    assert_eq!(info.signature_time_stamps.len(), 1);
    for token in &info.archive_time_stamps {
        verify_archive_time_stamp(&twice, token, Some(LETTER)).unwrap();
    }
    let (ok, out) = demo.openssl_verify(&twice, Some(LETTER));
    assert!(ok && out.contains("Verification successful"), "{out}");
    let dump = demo.openssl_print(&twice, "twice.der");
    assert_eq!(dump.matches("0.4.0.1733.2.4").count(), 3, "{dump}");

    // Each index names every unsigned attribute value present when it was made: the last one
    // has the signature time-stamp and both earlier archive time-stamps (3 entries).
    let last = info
        .archive_time_stamps
        .iter()
        .max_by_key(|t| verify_token_gen_time(&twice, t))
        .unwrap();
    let index_entries = |token: &[u8]| {
        let parsed = hpki_sign::cms::parse_content_info(token).unwrap();
        let values = parsed.signer_infos[0]
            .unsigned_attribute_values(cades::ID_AA_ATS_HASH_INDEX_V3)
            .into_iter()
            .cloned()
            .collect::<Vec<_>>();
        assert_eq!(values.len(), 1);
        let seq: Vec<der::Any> = values[0].decode_as().unwrap();
        let attrs: Vec<der::asn1::OctetString> = seq[3].decode_as().unwrap();
        attrs.len()
    };
    assert_eq!(index_entries(last), 3);

    // A CRL changed after the archive time-stamps: the indexes name something no longer
    // there, so the archive time-stamps are invalid.
    let crl = &info.crls[0];
    let at = twice
        .windows(crl.len())
        .position(|w| w == &crl[..])
        .unwrap();
    let mut tampered = twice.clone();
    let last_byte = at + crl.len() - 1; // inside the CRL's signature value
    tampered[last_byte] ^= 0x01;
    for token in &info.archive_time_stamps {
        assert!(matches!(
            verify_archive_time_stamp(&tampered, token, Some(LETTER)),
            Err(SignError::ImprintMismatch)
        ));
    }
    // Another letter: the content hash differs, the TSA's imprint does not match.
    assert!(matches!(
        verify_archive_time_stamp(&twice, &info.archive_time_stamps[0], Some(b"other")),
        Err(SignError::ImprintMismatch)
    ));
    // The attribute holding them is the v3 one.
    let parsed = parse_signed_data(&twice).unwrap();
    assert_eq!(
        parsed.signer_infos[0]
            .unsigned_attribute_values(ID_AA_ETS_ARCHIVE_TIMESTAMP_V3)
            .len(),
        3
    );
}

/// genTime of an archive time-stamp token of `signature`, for ordering.
fn verify_token_gen_time(signature: &[u8], token: &[u8]) -> hpki_asn1::tsp::GenTime {
    verify_archive_time_stamp(signature, token, None)
        .unwrap()
        .tst_info
        .gen_time
}

#[test]
fn a_signature_needs_its_sources_before_anything_is_signed() {
    // No server needed: the context lacks the TSA, so nothing is signed.
    let key = SoftwareKey::generate(KeyKind::Rsa(2048)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cert_pem = dir.path().join("c.pem");
    let key_file = dir.path().join("k.pem");
    std::fs::write(&key_file, pem_encode("PRIVATE KEY", key.pkcs8_der())).unwrap();
    let (ok, out) = sh(&format!(
        "openssl req -x509 -key '{}' -subj '/CN=Doctor' -days 1 -out '{}' 2>&1",
        key_file.display(),
        cert_pem.display()
    ));
    assert!(ok, "{out}");
    let cert = Certificate::from_pem(std::fs::read(&cert_pem).unwrap()).unwrap();
    let ctx = SignContext {
        signer: &key,
        certificate: &cert,
        chain: &[],
        signing_time: hpki_clock::Clock::now(&hpki_clock::SystemClock),
        time_stamper: None,
        validation: None,
    };
    for level in [Level::T, Level::Lt, Level::Lta] {
        let err = cades::sign(&ctx, LETTER, Packaging::Detached, level).unwrap_err();
        assert!(err.to_string().contains("time-stamping authority"), "{err}");
    }
    let b = cades::sign(&ctx, LETTER, Packaging::Detached, Level::B).unwrap();
    assert_eq!(inspect(&b).unwrap().level, Level::B);
    assert!(inspect(b"not a signature").is_err());
}
