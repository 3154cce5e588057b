//! RFC 3161 and RFC 5035 types against real OpenSSL 3.0 requests and responses.
//!
//! The fixtures under `tests/data/tsp/` come from `tests/data/tsp/gen.sh` (`openssl ts -query`
//! and `openssl ts -reply` with a throwaway TSA). The constants below are those of the committed
//! fixtures, as printed by `openssl ts -query -text` / `openssl ts -reply -text`.

use cms::signed_data::SignedData;
use der::asn1::ObjectIdentifier;
use der::{Decode, Encode};
use hpki_asn1::ess::{ID_AA_SIGNING_CERTIFICATE_V2, SigningCertificateV2};
use hpki_asn1::tsp::{
    Accuracy, ID_CT_TST_INFO, PkiFailureInfo, PkiStatus, TSP_V1, TimeStampReq, TimeStampResp,
    TstInfo,
};
use x509_cert::ext::pkix::name::GeneralName;

const REQ_SHA256_CERT: &[u8] = include_bytes!("data/tsp/req-sha256-cert-no-nonce.tsq");
const REQ_SHA256_NONCE: &[u8] = include_bytes!("data/tsp/req-sha256-nonce.tsq");
const REQ_SHA512_POLICY: &[u8] = include_bytes!("data/tsp/req-sha512-policy.tsq");
const REQ_MD5: &[u8] = include_bytes!("data/tsp/req-md5.tsq");
const RESP_GRANTED: &[u8] = include_bytes!("data/tsp/resp-granted.tsr");
const RESP_GRANTED_POLICY: &[u8] = include_bytes!("data/tsp/resp-granted-policy.tsr");
const RESP_REJECTED: &[u8] = include_bytes!("data/tsp/resp-rejected-md5.tsr");

/// SHA-256 of `data/tsp/data.txt`.
const DATA_SHA256: &str = "5ef3704a4296e5bb58490801bb7d8f6c4597bf3ffec3e10f8e0bcaff0df8261a";
const SHA256: &str = "2.16.840.1.101.3.4.2.1";
const SHA512: &str = "2.16.840.1.101.3.4.2.3";
const MD5: &str = "1.2.840.113549.2.5";

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn request(der: &[u8]) -> TimeStampReq {
    let req = TimeStampReq::from_der(der).unwrap();
    assert_eq!(req.to_der().unwrap(), der, "request DER round trip");
    req
}

/// The response, its SignedData and its TSTInfo, each re-encoded byte for byte.
fn granted(der: &[u8]) -> (TimeStampResp, SignedData, TstInfo) {
    let resp = TimeStampResp::from_der(der).unwrap();
    assert_eq!(resp.to_der().unwrap(), der, "response DER round trip");
    assert_eq!(resp.status.status, PkiStatus::Granted);
    let token = resp.time_stamp_token.as_ref().unwrap();
    assert_eq!(token.content_type, const_oid::db::rfc5911::ID_SIGNED_DATA);
    let sd_der = token.content.to_der().unwrap();
    let sd = SignedData::from_der(&sd_der).unwrap();
    assert_eq!(sd.to_der().unwrap(), sd_der, "SignedData round trip");
    assert_eq!(sd.encap_content_info.econtent_type, ID_CT_TST_INFO);
    let econtent = sd.encap_content_info.econtent.as_ref().unwrap();
    let octets = der::asn1::OctetString::from_der(&econtent.to_der().unwrap()).unwrap();
    let tst = TstInfo::from_der(octets.as_bytes()).unwrap();
    assert_eq!(
        tst.to_der().unwrap(),
        octets.as_bytes(),
        "TSTInfo round trip"
    );
    (resp, sd, tst)
}

#[test]
fn request_sha256_with_cert_req_and_no_nonce() {
    let req = request(REQ_SHA256_CERT);
    assert_eq!(req.version, TSP_V1);
    assert_eq!(req.message_imprint.hash_algorithm.oid.to_string(), SHA256);
    assert_eq!(
        hex(req.message_imprint.hashed_message.as_bytes()),
        DATA_SHA256
    );
    assert!(req.cert_req);
    assert_eq!(req.nonce, None);
    assert_eq!(req.req_policy, None);
    assert_eq!(req.extensions, None);
}

#[test]
fn request_with_nonce_and_without_cert_req() {
    let req = request(REQ_SHA256_NONCE);
    assert!(!req.cert_req, "certReq DEFAULT FALSE, omitted");
    // 0xB30E85F887F8F9E1, positive: DER puts a leading zero octet.
    assert_eq!(
        req.nonce.as_ref().unwrap().as_bytes(),
        [0x00, 0xB3, 0x0E, 0x85, 0xF8, 0x87, 0xF8, 0xF9, 0xE1]
    );
    // The same request with certReq and without a nonce is the other fixture.
    let mut other = req.clone();
    other.nonce = None;
    other.cert_req = true;
    assert_eq!(other.to_der().unwrap(), REQ_SHA256_CERT);
}

#[test]
fn request_with_policy_and_other_hashes() {
    let req = request(REQ_SHA512_POLICY);
    assert_eq!(req.message_imprint.hash_algorithm.oid.to_string(), SHA512);
    assert_eq!(req.message_imprint.hashed_message.as_bytes().len(), 64);
    assert_eq!(
        req.req_policy,
        Some(ObjectIdentifier::new_unwrap("1.2.3.4.5.6"))
    );
    let md5 = request(REQ_MD5);
    assert_eq!(md5.message_imprint.hash_algorithm.oid.to_string(), MD5);
    assert_eq!(md5.message_imprint.hashed_message.as_bytes().len(), 16);
}

#[test]
fn granted_response_and_its_tst_info() {
    let (resp, sd, tst) = granted(RESP_GRANTED);
    assert_eq!(resp.status.status_string, None);
    assert_eq!(resp.status.fail_info, None);
    assert_eq!(tst.version, TSP_V1);
    assert_eq!(tst.policy, ObjectIdentifier::new_unwrap("1.2.3.4.1"));
    let req = request(REQ_SHA256_NONCE);
    assert_eq!(
        tst.message_imprint, req.message_imprint,
        "imprint unchanged"
    );
    assert_eq!(tst.nonce, req.nonce, "nonce echoed");
    assert_eq!(tst.serial_number.as_bytes(), [0x01, 0x01]);
    // "Nov 30 15:22:52.476 2026 GMT" (clock_precision_digits = 3).
    let t = tst.gen_time;
    assert_eq!(
        (t.date_time.year(), t.date_time.month(), t.date_time.day()),
        (2026, 11, 30)
    );
    assert_eq!(t.nanos, 476_000_000);
    assert_eq!(
        tst.accuracy,
        Some(Accuracy {
            seconds: Some(1),
            millis: Some(500),
            micros: Some(100),
        })
    );
    assert!(tst.ordering);
    let Some(GeneralName::DirectoryName(name)) = &tst.tsa else {
        panic!("tsa is not a directoryName: {:?}", tst.tsa);
    };
    assert_eq!(name.to_string(), "O=hpki,CN=Test TSA");
    assert_eq!(tst.extensions, None);

    // The signer info carries the ESS signing-certificate-v2 attribute (RFC 5816).
    assert_eq!(sd.certificates, None, "certReq was false");
    let si = sd.signer_infos.0.iter().next().unwrap();
    let attrs = si.signed_attrs.as_ref().unwrap();
    let ess = attrs
        .iter()
        .find(|a| a.oid == ID_AA_SIGNING_CERTIFICATE_V2)
        .unwrap();
    let value = ess.values.iter().next().unwrap();
    let v2 = SigningCertificateV2::from_der(&value.to_der().unwrap()).unwrap();
    assert_eq!(v2.to_der().unwrap(), value.to_der().unwrap());
    assert_eq!(v2.certs.len(), 1);
    assert_eq!(
        v2.certs[0].hash_algorithm.oid.to_string(),
        SHA256,
        "DEFAULT sha256"
    );
    let tsa_cert = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/tsp/tsa.pem"
    ))
    .unwrap();
    let tsa = <x509_cert::Certificate as der::DecodePem>::from_pem(&tsa_cert).unwrap();
    assert_eq!(tsa.tbs_certificate().subject(), name);
    assert_eq!(v2.certs[0].cert_hash.as_bytes().len(), 32);
}

#[test]
fn granted_response_with_requested_policy_and_certificate() {
    let (_, sd, tst) = granted(RESP_GRANTED_POLICY);
    assert_eq!(tst.policy, ObjectIdentifier::new_unwrap("1.2.3.4.5.6"));
    assert_eq!(tst.message_imprint.hash_algorithm.oid.to_string(), SHA512);
    assert_eq!(tst.serial_number.as_bytes(), [0x01, 0x02]);
    let certs = sd.certificates.as_ref().expect("certReq was true");
    assert!(!certs.0.is_empty());
}

#[test]
fn rejection_with_bad_alg() {
    let resp = TimeStampResp::from_der(RESP_REJECTED).unwrap();
    assert_eq!(resp.to_der().unwrap(), RESP_REJECTED);
    assert_eq!(resp.status.status, PkiStatus::Rejection);
    assert_eq!(resp.time_stamp_token, None);
    assert_eq!(resp.status.fail_info, Some(PkiFailureInfo::BAD_ALG));
    assert_eq!(
        resp.status.status_string.as_deref(),
        Some(&["Message digest algorithm is not supported.".to_owned()][..])
    );
    // Built from its parts, the rejection is the same bytes.
    let rebuilt = TimeStampResp::rejection(
        PkiFailureInfo::BAD_ALG,
        vec!["Message digest algorithm is not supported.".into()],
    );
    assert_eq!(rebuilt.to_der().unwrap(), RESP_REJECTED);
}
