//! The CMS core and the time-stamp tokens against OpenSSL, both ways: what hpki-sign signs,
//! `openssl cms -verify` / `openssl ts -verify` accept; what OpenSSL signs, hpki-sign parses
//! and verifies. A missing openssl is a failure (scripts/test.sh installs it).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime};

use der::asn1::{ObjectIdentifier, OctetString};
use der::{Any, DecodePem, Encode};
use hpki_asn1::tsp::{
    Accuracy, GenTime, ID_AA_TIME_STAMP_TOKEN, MessageImprint, PkiFailureInfo, TimeStampReq,
};
use hpki_keys::{Signer, SoftwareKey};
use hpki_sign::cms::{
    ContentSource, ID_DATA, SignedContent, SignedDataBuilder, SignerInfoBuilder,
    SigningCertificateBinding, add_unsigned_attribute, attribute, parse_content_info,
    verify_signer_info,
};
use hpki_sign::tsp::{
    TsaPolicy, check_request, imprint_of, sign_token, token_of_response, tst_info, verify_token,
    verify_token_digesting, verify_token_over,
};
use hpki_sign::{DigestAlgorithm, SignError};
use x509_cert::Certificate;
use x509_cert::ext::pkix::name::GeneralName;

const DOCUMENT: &[u8] = "紹介状: 日医 太郎 → 日医病院\n".as_bytes();

/// A throwaway PKI made by openssl: a root, and end entities whose keys hpki-sign loads.
struct Pki {
    dir: tempfile::TempDir,
}

struct Entity {
    key: SoftwareKey,
    cert: Certificate,
    cert_pem: PathBuf,
    key_pem: PathBuf,
}

fn sh(cmd: &str) -> (bool, String) {
    let out = Command::new("sh").arg("-c").arg(cmd).output().expect("sh");
    let mut s = String::from_utf8_lossy(&out.stdout).into_owned();
    s.push_str(&String::from_utf8_lossy(&out.stderr));
    (out.status.success(), s)
}

fn ok(cmd: &str) -> String {
    let (ok, out) = sh(cmd);
    assert!(ok, "{cmd}\n{out}");
    out
}

impl Pki {
    fn new() -> Pki {
        assert!(
            sh("command -v openssl").0,
            "openssl is required by the tests: run scripts/test.sh, which installs it"
        );
        let pki = Pki {
            dir: tempfile::tempdir().unwrap(),
        };
        ok(&format!(
            "cd '{}' && openssl req -x509 -newkey rsa:2048 -nodes -keyout root.key -out root.pem \
             -subj '/C=JP/O=hpki-sign test/CN=Test Root' -days 30 \
             -addext 'basicConstraints=critical,CA:TRUE' -addext 'keyUsage=critical,keyCertSign,cRLSign' 2>&1",
            pki.path().display()
        ));
        pki
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn file(&self, name: &str) -> PathBuf {
        self.path().join(name)
    }

    /// An end entity under the root with a key of `alg` (`rsa` or `ec`) and extensions `ext`.
    fn entity(&self, name: &str, alg: &str, ext: &str) -> Entity {
        let keygen = match alg {
            "rsa" => "-algorithm RSA -pkeyopt rsa_keygen_bits:2048",
            _ => "-algorithm EC -pkeyopt ec_paramgen_curve:P-256",
        };
        ok(&format!(
            "cd '{dir}' && openssl genpkey {keygen} -out {name}.key && \
             openssl pkcs8 -topk8 -nocrypt -in {name}.key -outform DER -out {name}.key.der && \
             openssl req -new -key {name}.key -subj '/C=JP/O=hpki-sign test/CN={name}' -out {name}.csr && \
             printf '{ext}\\n' > {name}.ext && \
             openssl x509 -req -in {name}.csr -CA root.pem -CAkey root.key -set_serial 0x{serial} \
                -days 30 -extfile {name}.ext -out {name}.pem 2>&1",
            dir = self.path().display(),
            serial = name.len() * 4099,
        ));
        let key = SoftwareKey::from_pkcs8_der(
            &std::fs::read(self.file(&format!("{name}.key.der"))).unwrap(),
        )
        .unwrap();
        let cert_pem = self.file(&format!("{name}.pem"));
        let cert = Certificate::from_pem(std::fs::read_to_string(&cert_pem).unwrap()).unwrap();
        Entity {
            key,
            cert,
            cert_pem,
            key_pem: self.file(&format!("{name}.key")),
        }
    }

    fn doctor(&self, alg: &str) -> Entity {
        self.entity(
            &format!("doctor-{alg}"),
            alg,
            "basicConstraints=CA:FALSE\\nkeyUsage=critical,nonRepudiation,digitalSignature\\nsubjectKeyIdentifier=hash",
        )
    }

    fn tsa(&self) -> Entity {
        self.entity(
            "tsa",
            "rsa",
            "basicConstraints=CA:FALSE\\nkeyUsage=critical,digitalSignature\\nextendedKeyUsage=critical,timeStamping\\nsubjectKeyIdentifier=hash",
        )
    }

    fn write(&self, name: &str, data: &[u8]) -> PathBuf {
        let p = self.file(name);
        std::fs::write(&p, data).unwrap();
        p
    }
}

fn now() -> SystemTime {
    hpki_clock::Clock::now(&hpki_clock::SystemClock)
}

#[test]
fn detached_rsa_signature_verifies_in_openssl_and_back() {
    let pki = Pki::new();
    let doctor = pki.doctor("rsa");
    let der = SignedDataBuilder::new(ID_DATA, SignedContent::Detached(DOCUMENT))
        .certificate(doctor.cert.clone())
        .signer(SignerInfoBuilder::new(&doctor.key, &doctor.cert).signing_time(now()))
        .build_der()
        .unwrap();
    let sig = pki.write("sig.p7s", &der);
    let doc = pki.write("doc.txt", DOCUMENT);
    let root = pki.file("root.pem");

    // The signature alone, then the chain to the root.
    let out = ok(&format!(
        "openssl cms -verify -binary -inform DER -in '{}' -content '{}' -noverify -purpose any -out /dev/null 2>&1",
        sig.display(),
        doc.display()
    ));
    assert!(out.contains("Verification successful"), "{out}");
    let out = ok(&format!(
        "openssl cms -verify -binary -inform DER -in '{}' -content '{}' -CAfile '{}' -purpose any -out /dev/null 2>&1",
        sig.display(),
        doc.display(),
        root.display()
    ));
    assert!(out.contains("Verification successful"), "{out}");
    // Changed content: openssl refuses.
    let other = pki.write("other.txt", b"changed");
    let (good, out) = sh(&format!(
        "openssl cms -verify -binary -inform DER -in '{}' -content '{}' -CAfile '{}' -purpose any -out /dev/null 2>&1",
        sig.display(),
        other.display(),
        root.display()
    ));
    assert!(!good, "changed content must not verify: {out}");

    // openssl sees the signed attributes.
    let dump = ok(&format!(
        "openssl cms -cmsout -print -inform DER -in '{}'",
        sig.display()
    ));
    for attr in [
        "contentType",
        "messageDigest",
        "signingTime",
        "id-smime-aa-signingCertificateV2",
    ] {
        assert!(dump.contains(attr), "{attr} missing:\n{dump}");
    }

    // Parsed back and verified here.
    let parsed = parse_content_info(&der).unwrap();
    assert_eq!(parsed.econtent_type, ID_DATA);
    assert_eq!(parsed.econtent, None, "detached");
    assert_eq!(parsed.certificates, std::slice::from_ref(&doctor.cert));
    let [signer] = &parsed.signer_infos[..] else {
        panic!("one signer");
    };
    let cert = parsed.signer_certificate(signer).unwrap();
    let v = verify_signer_info(&parsed, signer, cert, ContentSource::Detached(DOCUMENT)).unwrap();
    assert_eq!(v.digest_algorithm, DigestAlgorithm::Sha256);
    assert_eq!(
        v.signing_certificate,
        Some(SigningCertificateBinding::V2(DigestAlgorithm::Sha256))
    );
    let t = v.signing_time.unwrap();
    assert!(now().duration_since(t).unwrap_or_default() < Duration::from_secs(600));
    // The precomputed digest gives the same answer.
    let digest = DigestAlgorithm::Sha256.digest(DOCUMENT);
    verify_signer_info(
        &parsed,
        signer,
        cert,
        ContentSource::DetachedDigest(&digest),
    )
    .unwrap();
    // Changed content, another certificate, no content.
    assert!(matches!(
        verify_signer_info(&parsed, signer, cert, ContentSource::Detached(b"changed")),
        Err(SignError::MessageDigestMismatch)
    ));
    let other_doctor = pki.doctor("ec");
    assert!(matches!(
        verify_signer_info(
            &parsed,
            signer,
            &other_doctor.cert,
            ContentSource::Detached(DOCUMENT)
        ),
        Err(SignError::SignerNotIdentified)
    ));
    assert!(matches!(
        verify_signer_info(&parsed, signer, cert, ContentSource::Encapsulated),
        Err(SignError::NoContent)
    ));
}

#[test]
fn encapsulated_ecdsa_signature_with_unsigned_attributes() {
    let pki = Pki::new();
    let doctor = pki.doctor("ec");
    assert_eq!(
        doctor.key.algorithm(),
        hpki_keys::SignatureAlgorithm::EcdsaSha256
    );
    let extra = attribute(
        ObjectIdentifier::new_unwrap("1.2.392.200119.9.9.9"),
        Any::encode_from(&OctetString::new(b"hpki unsigned".as_slice()).unwrap()).unwrap(),
    )
    .unwrap();
    let der = SignedDataBuilder::new(ID_DATA, SignedContent::Encapsulated(DOCUMENT))
        .certificate(doctor.cert.clone())
        .signer(
            SignerInfoBuilder::new(&doctor.key, &doctor.cert)
                .ess_issuer_serial(false)
                .unsigned_attribute(extra.clone()),
        )
        .build_der()
        .unwrap();
    let sig = pki.write("sig.p7m", &der);
    let out_file = pki.file("out.txt");
    let out = ok(&format!(
        "openssl cms -verify -binary -inform DER -in '{}' -CAfile '{}' -purpose any -out '{}' 2>&1",
        sig.display(),
        pki.file("root.pem").display(),
        out_file.display()
    ));
    assert!(out.contains("Verification successful"), "{out}");
    assert_eq!(std::fs::read(&out_file).unwrap(), DOCUMENT);

    let parsed = parse_content_info(&der).unwrap();
    assert_eq!(parsed.econtent.as_deref(), Some(DOCUMENT));
    let signer = &parsed.signer_infos[0];
    assert_eq!(
        signer.unsigned_attribute_values(extra.oid),
        extra.values.iter().collect::<Vec<_>>()
    );
    verify_signer_info(&parsed, signer, &doctor.cert, ContentSource::Encapsulated).unwrap();

    // A signature over changed encapsulated content: same SignedData, other eContent.
    let mut tampered = parsed.signed_data.clone();
    tampered.encap_content_info.econtent =
        Some(Any::encode_from(&OctetString::new(b"changed".as_slice()).unwrap()).unwrap());
    let tampered_der = hpki_sign::cms::content_info(&tampered)
        .unwrap()
        .to_der()
        .unwrap();
    let t = parse_content_info(&tampered_der).unwrap();
    assert!(matches!(
        verify_signer_info(
            &t,
            &t.signer_infos[0],
            &doctor.cert,
            ContentSource::Encapsulated
        ),
        Err(SignError::MessageDigestMismatch)
    ));
}

#[test]
fn an_unsigned_attribute_added_after_signing_keeps_the_signature() {
    let pki = Pki::new();
    let doctor = pki.doctor("rsa");
    let der = SignedDataBuilder::new(ID_DATA, SignedContent::Detached(DOCUMENT))
        .certificate(doctor.cert.clone())
        .signer(SignerInfoBuilder::new(&doctor.key, &doctor.cert))
        .build_der()
        .unwrap();
    // What CAdES-T does: a token over the signature value, as an unsigned attribute.
    let parsed = parse_content_info(&der).unwrap();
    let token_stand_in = Any::encode_from(
        &OctetString::new(DigestAlgorithm::Sha256.digest(parsed.signer_infos[0].signature_value()))
            .unwrap(),
    )
    .unwrap();
    let with = add_unsigned_attribute(
        &der,
        0,
        attribute(ID_AA_TIME_STAMP_TOKEN, token_stand_in.clone()).unwrap(),
    )
    .unwrap();
    let parsed = parse_content_info(&with).unwrap();
    let signer = &parsed.signer_infos[0];
    assert_eq!(
        signer.unsigned_attribute_values(ID_AA_TIME_STAMP_TOKEN),
        [&token_stand_in]
    );
    verify_signer_info(
        &parsed,
        signer,
        &doctor.cert,
        ContentSource::Detached(DOCUMENT),
    )
    .unwrap();
    let sig = pki.write("sig.p7s", &with);
    let doc = pki.write("doc.txt", DOCUMENT);
    let out = ok(&format!(
        "openssl cms -verify -binary -inform DER -in '{}' -content '{}' -CAfile '{}' -purpose any -out /dev/null 2>&1",
        sig.display(),
        doc.display(),
        pki.file("root.pem").display()
    ));
    assert!(out.contains("Verification successful"), "{out}");
    assert!(matches!(
        add_unsigned_attribute(
            &der,
            1,
            attribute(ID_AA_TIME_STAMP_TOKEN, token_stand_in).unwrap()
        ),
        Err(SignError::NoSuchSigner(1))
    ));
}

#[test]
fn openssl_cades_signatures_verify_here() {
    let pki = Pki::new();
    for alg in ["rsa", "ec"] {
        let doctor = pki.doctor(alg);
        let doc = pki.write("doc.txt", DOCUMENT);
        let sig = pki.file(&format!("openssl-{alg}.p7s"));
        // -cades adds ESS signing-certificate-v2.
        ok(&format!(
            "openssl cms -sign -binary -cades -md sha256 -in '{}' -signer '{}' -inkey '{}' -outform DER -out '{}' 2>&1",
            doc.display(),
            doctor.cert_pem.display(),
            doctor.key_pem.display(),
            sig.display()
        ));
        let der = std::fs::read(&sig).unwrap();
        let parsed = parse_content_info(&der).unwrap();
        let signer = &parsed.signer_infos[0];
        let cert = parsed
            .signer_certificate(signer)
            .expect("openssl includes the signer");
        let v =
            verify_signer_info(&parsed, signer, cert, ContentSource::Detached(DOCUMENT)).unwrap();
        assert_eq!(
            v.signing_certificate,
            Some(SigningCertificateBinding::V2(DigestAlgorithm::Sha256))
        );
        assert!(v.signing_time.is_some());
        assert!(matches!(
            verify_signer_info(&parsed, signer, cert, ContentSource::Detached(b"x")),
            Err(SignError::MessageDigestMismatch)
        ));
    }
}

#[test]
fn a_key_that_is_not_the_certificates_is_refused_before_signing() {
    let pki = Pki::new();
    let doctor = pki.doctor("rsa");
    let other = pki.doctor("ec");
    let r = SignedDataBuilder::new(ID_DATA, SignedContent::Detached(DOCUMENT))
        .signer(SignerInfoBuilder::new(&other.key, &doctor.cert))
        .build_der();
    assert!(matches!(r, Err(SignError::CertificateKeyMismatch)));
    let r = SignedDataBuilder::new(ID_DATA, SignedContent::Detached(DOCUMENT)).build_der();
    assert!(matches!(r, Err(SignError::NoSigner)));
    let r = SignedDataBuilder::new(ID_DATA, SignedContent::DetachedDigest(vec![0; 20]))
        .signer(SignerInfoBuilder::new(&doctor.key, &doctor.cert))
        .build_der();
    assert!(matches!(r, Err(SignError::DigestLength { .. })));
}

const TSP_DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../hpki-asn1/tests/data/tsp/");

fn tsp_fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{TSP_DATA}{name}")).unwrap()
}

#[test]
fn openssl_tsa_tokens_verify_here() {
    let data = tsp_fixture("data.txt");
    let tsa = Certificate::from_pem(tsp_fixture("tsa.pem")).unwrap();
    let imprint = imprint_of(DigestAlgorithm::Sha256, &data).unwrap();
    let token = token_of_response(&tsp_fixture("resp-granted.tsr")).unwrap();
    let v = verify_token(&token, &imprint, Some(&tsa)).unwrap();
    assert_eq!(v.tst_info.serial_number.as_bytes(), [0x01, 0x01]);
    // Without the certificate: the token does not carry it (certReq was false).
    assert!(matches!(
        verify_token(&token, &imprint, None),
        Err(SignError::NoSignerCertificate)
    ));
    // Other data.
    let other = imprint_of(DigestAlgorithm::Sha256, b"other").unwrap();
    assert!(matches!(
        verify_token(&token, &other, Some(&tsa)),
        Err(SignError::ImprintMismatch)
    ));
    // The token with the certificate, SHA-512 imprint.
    let token = token_of_response(&tsp_fixture("resp-granted-policy.tsr")).unwrap();
    let imprint = imprint_of(DigestAlgorithm::Sha512, &data).unwrap();
    let v = verify_token(&token, &imprint, None).unwrap();
    assert_eq!(v.tsa_certificate, tsa);
    // Over the data itself, hashed with the token's own algorithm (SHA-512 here).
    let v = verify_token_over(&token, &data).unwrap();
    assert_eq!(
        v.tst_info.message_imprint.hashed_message,
        imprint.hashed_message
    );
    assert!(matches!(
        verify_token_over(&token, b"other"),
        Err(SignError::ImprintMismatch)
    ));
    let v = verify_token_digesting(&token, &|alg| {
        assert_eq!(alg, DigestAlgorithm::Sha512);
        Ok(alg.digest(&data))
    })
    .unwrap();
    assert_eq!(v.tsa_certificate, tsa);
    // A rejection has no token.
    assert!(matches!(
        token_of_response(&tsp_fixture("resp-rejected-md5.tsr")),
        Err(SignError::NotTimeStampToken(_))
    ));
}

#[test]
fn tsa_tokens_made_here_pass_openssl_ts_verify() {
    let pki = Pki::new();
    let tsa = pki.tsa();
    let doctor = pki.doctor("rsa");
    let data = pki.write("data.txt", DOCUMENT);
    let policy = TsaPolicy::new(
        ObjectIdentifier::new_unwrap("1.3.6.1.4.1.99999.1.1"),
        Some(Accuracy {
            seconds: Some(1),
            millis: None,
            micros: None,
        }),
    );
    for (args, cert_req) in [("-cert -no_nonce", true), ("", false)] {
        let query = pki.file("q.tsq");
        ok(&format!(
            "openssl ts -query -data '{}' -sha256 {args} -out '{}' 2>&1",
            data.display(),
            query.display()
        ));
        let (req, token_policy) = check_request(&std::fs::read(&query).unwrap(), &policy).unwrap();
        assert_eq!(req.cert_req, cert_req);
        let gen_time = GenTime::from_unix_duration(
            hpki_clock::Clock::now(&hpki_clock::SystemClock)
                .duration_since(SystemTime::UNIX_EPOCH)
                .unwrap(),
        )
        .unwrap();
        let tst = tst_info(
            &req,
            &policy,
            token_policy,
            &[0x4A, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08],
            gen_time,
            Some(GeneralName::DirectoryName(
                tsa.cert.tbs_certificate().subject().clone(),
            )),
        )
        .unwrap();
        let token = sign_token(&tst, &tsa.key, &tsa.cert, req.cert_req).unwrap();
        let reply = pki.write(
            "r.tsr",
            &hpki_sign::tsp::granted_response(token.clone()).unwrap(),
        );
        let text = ok(&format!(
            "openssl ts -reply -in '{}' -text 2>&1",
            reply.display()
        ));
        assert!(text.contains("Status: Granted."), "{text}");
        assert!(text.contains("Policy OID: 1.3.6.1.4.1.99999.1.1"), "{text}");
        let out = ok(&format!(
            "openssl ts -verify -data '{}' -in '{}' -CAfile '{}' -untrusted '{}' 2>&1",
            data.display(),
            reply.display(),
            pki.file("root.pem").display(),
            tsa.cert_pem.display()
        ));
        assert!(out.contains("Verification: OK"), "{out}");
        // Other data fails.
        let other = pki.write("other.txt", b"other");
        let (good, out) = sh(&format!(
            "openssl ts -verify -data '{}' -in '{}' -CAfile '{}' -untrusted '{}' 2>&1",
            other.display(),
            reply.display(),
            pki.file("root.pem").display(),
            tsa.cert_pem.display()
        ));
        assert!(!good && out.contains("FAILED"), "{out}");
        // And here.
        let token_der = token.to_der().unwrap();
        let imprint = imprint_of(DigestAlgorithm::Sha256, DOCUMENT).unwrap();
        let v = verify_token(&token_der, &imprint, Some(&tsa.cert)).unwrap();
        assert_eq!(v.tst_info, tst);
        if cert_req {
            verify_token(&token_der, &imprint, None).unwrap();
        }
    }
    // A doctor's certificate is no TSA certificate (no critical timeStamping EKU).
    let req_der = {
        let query = pki.file("q.tsq");
        ok(&format!(
            "openssl ts -query -data '{}' -sha256 -cert -out '{}' 2>&1",
            data.display(),
            query.display()
        ));
        std::fs::read(&query).unwrap()
    };
    let (req, p) = check_request(&req_der, &policy).unwrap();
    let gen_time = GenTime::from_unix_duration(Duration::from_secs(1_800_000_000)).unwrap();
    let tst = tst_info(&req, &policy, p, &[0x41; 16], gen_time, None).unwrap();
    let token = sign_token(&tst, &doctor.key, &doctor.cert, true).unwrap();
    let imprint = imprint_of(DigestAlgorithm::Sha256, DOCUMENT).unwrap();
    assert!(matches!(
        verify_token(&token.to_der().unwrap(), &imprint, None),
        Err(SignError::NotTsaCertificate(_))
    ));
}

#[test]
fn requests_are_checked_as_rfc_3161_says() {
    let policy = TsaPolicy::new(ObjectIdentifier::new_unwrap("1.3.6.1.4.1.99999.1.1"), None);
    let imprint = |alg: ObjectIdentifier, len: usize| MessageImprint {
        hash_algorithm: spki::AlgorithmIdentifierOwned {
            oid: alg,
            parameters: None,
        },
        hashed_message: OctetString::new(vec![7u8; len]).unwrap(),
    };
    let req = |message_imprint: MessageImprint| TimeStampReq {
        version: 1,
        message_imprint,
        req_policy: None,
        nonce: None,
        cert_req: false,
        extensions: None,
    };
    let refused = |r: TimeStampReq| {
        check_request(&r.to_der().unwrap(), &policy)
            .unwrap_err()
            .fail_info
    };
    let sha256 = DigestAlgorithm::Sha256.oid();
    assert!(check_request(&req(imprint(sha256, 32)).to_der().unwrap(), &policy).is_ok());
    assert_eq!(
        check_request(b"not DER", &policy).unwrap_err().fail_info,
        PkiFailureInfo::BAD_DATA_FORMAT
    );
    assert_eq!(
        refused(TimeStampReq {
            version: 2,
            ..req(imprint(sha256, 32))
        }),
        PkiFailureInfo::BAD_REQUEST
    );
    let sha1 = ObjectIdentifier::new_unwrap("1.3.14.3.2.26");
    let md5 = ObjectIdentifier::new_unwrap("1.2.840.113549.2.5");
    assert_eq!(refused(req(imprint(sha1, 20))), PkiFailureInfo::BAD_ALG);
    assert_eq!(refused(req(imprint(md5, 16))), PkiFailureInfo::BAD_ALG);
    assert_eq!(
        refused(req(imprint(sha256, 31))),
        PkiFailureInfo::BAD_DATA_FORMAT
    );
    assert_eq!(
        refused(TimeStampReq {
            req_policy: Some(ObjectIdentifier::new_unwrap("1.2.3.4")),
            ..req(imprint(sha256, 32))
        }),
        PkiFailureInfo::UNACCEPTED_POLICY
    );
    let (_, p) = check_request(
        &TimeStampReq {
            req_policy: Some(policy.default_policy),
            ..req(imprint(sha256, 32))
        }
        .to_der()
        .unwrap(),
        &policy,
    )
    .unwrap();
    assert_eq!(p, policy.default_policy);
    let ext = x509_cert::ext::Extension {
        extn_id: ObjectIdentifier::new_unwrap("1.2.3.4.5"),
        critical: false,
        extn_value: OctetString::new(vec![5u8, 0]).unwrap(),
    };
    assert_eq!(
        refused(TimeStampReq {
            extensions: Some(vec![ext]),
            ..req(imprint(sha256, 32))
        }),
        PkiFailureInfo::UNACCEPTED_EXTENSION
    );
}
