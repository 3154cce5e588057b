//! RFC 6960 OCSP types against real OpenSSL 3.0 requests and responses.
//!
//! The fixtures under `tests/data/ocsp/` come from `tests/data/ocsp/gen.sh`
//! (`openssl ocsp` client and index-file responder). The constants below are
//! those of the committed fixtures, as printed by `openssl ocsp -req_text` /
//! `-resp_text`.

use der::asn1::{GeneralizedTime, Null};
use der::{DateTime, Decode, Encode};
use hpki_asn1::ocsp::{
    BasicOcspResponse, CertId, CertStatus, ID_KP_OCSP_SIGNING, ID_PKIX_OCSP_BASIC,
    ID_PKIX_OCSP_NOCHECK, ID_PKIX_OCSP_NONCE, OcspRequest, OcspResponse, OcspResponseStatus,
    ResponderId, ResponseData, RevokedInfo, SingleResponse, Version,
};
use x509_cert::Certificate;
use x509_cert::ext::pkix::crl::CrlReason;
use x509_cert::ext::pkix::{AuthorityKeyIdentifier, ExtendedKeyUsage, SubjectKeyIdentifier};

const REQ_GOOD_NONCE: &[u8] = include_bytes!("data/ocsp/req-good-nonce.der");
const REQ_GOOD_NO_NONCE: &[u8] = include_bytes!("data/ocsp/req-good-no-nonce.der");
const REQ_REVOKED_NONCE: &[u8] = include_bytes!("data/ocsp/req-revoked-nonce.der");
const REQ_TWO: &[u8] = include_bytes!("data/ocsp/req-two.der");
const REQ_SIGNED: &[u8] = include_bytes!("data/ocsp/req-signed.der");
const RESP_GOOD: &[u8] = include_bytes!("data/ocsp/resp-good.der");
const RESP_REVOKED: &[u8] = include_bytes!("data/ocsp/resp-revoked.der");
const RESP_TWO_KEYID: &[u8] = include_bytes!("data/ocsp/resp-two-keyid.der");

/// SHA-1 of the DER of the CA subject `CN=Test OCSP CA, O=hpki`.
const ISSUER_NAME_HASH: &str = "c40231908a8e476f07c20fb4454fd2738b7788e7";
/// SHA-1 of the CA public key (also the CA's subject key identifier).
const ISSUER_KEY_HASH: &str = "58fecc71b39bbc2542c8680fcc6959272394db96";
/// SHA-1 of the responder public key (`-resp_key_id`).
const RESPONDER_KEY_HASH: &str = "8a047d9cc416012c4b181b943e7a9c0ce313c8f4";
const SHA1: &str = "1.3.14.3.2.26";
const SERIAL_GOOD: [u8; 2] = [0x10, 0x01];
const SERIAL_REVOKED: [u8; 2] = [0x10, 0x02];

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn time(y: u16, mo: u8, d: u8, h: u8, mi: u8, s: u8) -> GeneralizedTime {
    GeneralizedTime::from_date_time(DateTime::new(y, mo, d, h, mi, s).unwrap())
}

fn decode_request(der: &[u8]) -> OcspRequest {
    let req = OcspRequest::from_der(der).unwrap();
    assert_eq!(req.to_der().unwrap(), der, "request DER round trip");
    req
}

fn decode_response(der: &[u8]) -> (OcspResponse, BasicOcspResponse) {
    let resp = OcspResponse::from_der(der).unwrap();
    assert_eq!(resp.to_der().unwrap(), der, "response DER round trip");
    assert_eq!(resp.response_status, OcspResponseStatus::Successful);
    let bytes = resp.response_bytes.as_ref().unwrap();
    assert_eq!(bytes.response_type, ID_PKIX_OCSP_BASIC);
    let basic = BasicOcspResponse::from_response(&resp).unwrap();
    assert_eq!(basic.to_der().unwrap(), bytes.response.as_bytes());
    (resp, basic)
}

fn assert_cert_id(id: &CertId, serial: &[u8]) {
    assert_eq!(id.hash_algorithm.oid.to_string(), SHA1);
    assert_eq!(hex(id.issuer_name_hash.as_bytes()), ISSUER_NAME_HASH);
    assert_eq!(hex(id.issuer_key_hash.as_bytes()), ISSUER_KEY_HASH);
    assert_eq!(id.serial_number.as_bytes(), serial);
}

fn assert_responder_cert(data: &ResponseData, certs: &[Certificate]) {
    assert_eq!(certs.len(), 1);
    let tbs = certs[0].tbs_certificate();
    assert_eq!(tbs.subject().to_string(), "O=hpki,CN=OCSP responder");
    assert_eq!(
        data.responder_id,
        ResponderId::ByName(tbs.subject().clone())
    );
    let (_, eku) = tbs.get_extension::<ExtendedKeyUsage>().unwrap().unwrap();
    assert_eq!(eku.0, [ID_KP_OCSP_SIGNING]);
    assert!(
        tbs.extensions()
            .unwrap()
            .iter()
            .any(|ext| ext.extn_id == ID_PKIX_OCSP_NOCHECK)
    );
    let (_, ski) = tbs
        .get_extension::<SubjectKeyIdentifier>()
        .unwrap()
        .unwrap();
    assert_eq!(hex(ski.0.as_bytes()), RESPONDER_KEY_HASH);
}

#[test]
fn request_with_nonce() {
    let req = decode_request(REQ_GOOD_NONCE);
    let tbs = &req.tbs_request;
    assert_eq!(tbs.version, Version::V1);
    assert_eq!(tbs.requestor_name, None);
    assert!(req.optional_signature.is_none());
    assert_eq!(tbs.request_list.len(), 1);
    assert_cert_id(&tbs.request_list[0].req_cert, &SERIAL_GOOD);
    assert_eq!(tbs.request_list[0].single_request_extensions, None);

    let ext = req.nonce_extension().unwrap();
    assert_eq!(ext.extn_id, ID_PKIX_OCSP_NONCE);
    assert!(!ext.critical);
    let nonce = req.nonce().unwrap();
    assert_eq!(nonce.len(), 16, "openssl sends a 16-byte nonce");
    // extnValue = DER OCTET STRING of the nonce (RFC 8954).
    assert_eq!(ext.extn_value.as_bytes()[..2], [0x04, 0x10]);
    assert_eq!(ext.extn_value.as_bytes()[2..], *nonce);
}

#[test]
fn request_without_nonce() {
    let req = decode_request(REQ_GOOD_NO_NONCE);
    assert_eq!(req.tbs_request.request_extensions, None);
    assert_eq!(req.nonce_extension(), None);
    assert_eq!(req.nonce(), None);
    assert_cert_id(&req.tbs_request.request_list[0].req_cert, &SERIAL_GOOD);
    // Same request as the one with a nonce, minus requestExtensions.
    let mut with_nonce = decode_request(REQ_GOOD_NONCE);
    with_nonce.tbs_request.request_extensions = None;
    assert_eq!(with_nonce.to_der().unwrap(), REQ_GOOD_NO_NONCE);
}

#[test]
fn request_for_two_certificates() {
    let req = decode_request(REQ_TWO);
    let list = &req.tbs_request.request_list;
    assert_eq!(list.len(), 2);
    assert_cert_id(&list[0].req_cert, &SERIAL_GOOD);
    assert_cert_id(&list[1].req_cert, &SERIAL_REVOKED);
    assert_eq!(req.nonce(), None);

    let revoked = decode_request(REQ_REVOKED_NONCE);
    assert_cert_id(
        &revoked.tbs_request.request_list[0].req_cert,
        &SERIAL_REVOKED,
    );
    assert_eq!(revoked.nonce().map(<[u8]>::len), Some(16));
}

#[test]
fn signed_request() {
    let req = decode_request(REQ_SIGNED);
    let signature = req.optional_signature.as_ref().unwrap();
    assert_eq!(
        signature.signature_algorithm.oid.to_string(),
        "1.2.840.10045.4.3.2"
    );
    let certs = signature.certs.as_deref().unwrap();
    assert_eq!(certs.len(), 1);
    let signer = certs[0].tbs_certificate();
    assert_eq!(signer.serial_number().as_bytes(), SERIAL_GOOD);
    assert_eq!(
        req.tbs_request.requestor_name,
        Some(x509_cert::ext::pkix::name::GeneralName::DirectoryName(
            signer.subject().clone()
        ))
    );
    // The issuerKeyHash is the CA key's SHA-1, i.e. the signer's AKI keyid.
    let (_, aki) = signer
        .get_extension::<AuthorityKeyIdentifier>()
        .unwrap()
        .unwrap();
    assert_eq!(hex(aki.key_identifier.unwrap().as_bytes()), ISSUER_KEY_HASH);
    assert_cert_id(&req.tbs_request.request_list[0].req_cert, &SERIAL_GOOD);
    assert_eq!(req.nonce().map(<[u8]>::len), Some(16));
}

#[test]
fn good_response() {
    let (_, basic) = decode_response(RESP_GOOD);
    let data = &basic.tbs_response_data;
    assert_eq!(data.version, Version::V1);
    assert_eq!(data.produced_at, time(2026, 11, 25, 3, 50, 5));
    assert_eq!(
        basic.signature_algorithm.oid.to_string(),
        "1.2.840.10045.4.3.2"
    );
    assert_responder_cert(data, basic.certs.as_deref().unwrap());

    assert_eq!(data.responses.len(), 1);
    let single = &data.responses[0];
    assert_cert_id(&single.cert_id, &SERIAL_GOOD);
    assert_eq!(single.cert_status, CertStatus::Good(Null));
    assert_eq!(single.this_update, time(2026, 11, 25, 3, 50, 5));
    assert_eq!(single.next_update, Some(time(2026, 12, 2, 3, 50, 5)));
    assert_eq!(single.single_extensions, None);

    // OpenSSL echoed the request's nonce extension unchanged.
    let req = decode_request(REQ_GOOD_NONCE);
    assert_eq!(data.nonce_extension(), req.nonce_extension());
    assert_eq!(data.nonce(), req.nonce());
}

#[test]
fn revoked_response() {
    let (_, basic) = decode_response(RESP_REVOKED);
    let data = &basic.tbs_response_data;
    assert_responder_cert(data, basic.certs.as_deref().unwrap());
    assert_eq!(data.responses.len(), 1);
    let single = &data.responses[0];
    assert_cert_id(&single.cert_id, &SERIAL_REVOKED);
    assert_eq!(
        single.cert_status,
        CertStatus::Revoked(RevokedInfo {
            revocation_time: time(2026, 1, 1, 12, 0, 0),
            revocation_reason: Some(CrlReason::KeyCompromise),
        })
    );
    assert_eq!(single.next_update, None);

    let req = decode_request(REQ_REVOKED_NONCE);
    assert_eq!(data.nonce_extension(), req.nonce_extension());
}

#[test]
fn two_certificates_response_by_key() {
    let (_, basic) = decode_response(RESP_TWO_KEYID);
    let data = &basic.tbs_response_data;
    let ResponderId::ByKey(key_hash) = &data.responder_id else {
        panic!("expected responderID byKey, got {:?}", data.responder_id);
    };
    assert_eq!(hex(key_hash.as_bytes()), RESPONDER_KEY_HASH);
    assert_eq!(basic.certs, None, "-resp_no_certs");
    assert_eq!(data.response_extensions, None);

    let [good, revoked] = &data.responses[..] else {
        panic!("expected two single responses");
    };
    assert_cert_id(&good.cert_id, &SERIAL_GOOD);
    assert_eq!(good.cert_status, CertStatus::Good(Null));
    assert_cert_id(&revoked.cert_id, &SERIAL_REVOKED);
    let CertStatus::Revoked(info) = &revoked.cert_status else {
        panic!("expected revoked, got {:?}", revoked.cert_status);
    };
    assert_eq!(info.revocation_time, time(2026, 1, 1, 12, 0, 0));
    assert_eq!(info.revocation_reason, Some(CrlReason::KeyCompromise));
}

#[test]
fn responder_flow_echoes_request() {
    // What a responder does: copy certIDs and the nonce extension verbatim.
    let req = decode_request(REQ_GOOD_NONCE);
    let (_, reference) = decode_response(RESP_GOOD);
    let data = ResponseData {
        version: Version::V1,
        responder_id: reference.tbs_response_data.responder_id.clone(),
        produced_at: time(2026, 11, 25, 3, 50, 5),
        responses: req
            .tbs_request
            .request_list
            .iter()
            .map(|r| SingleResponse {
                cert_id: r.req_cert.clone(),
                cert_status: CertStatus::Good(Null),
                this_update: time(2026, 11, 25, 3, 50, 5),
                next_update: Some(time(2026, 12, 2, 3, 50, 5)),
                single_extensions: None,
            })
            .collect(),
        response_extensions: req.nonce_extension().cloned().map(|ext| vec![ext]),
    };
    // Same tbsResponseData bytes as OpenSSL's responder produced.
    assert_eq!(
        data.to_der().unwrap(),
        reference.tbs_response_data.to_der().unwrap()
    );
    let basic = BasicOcspResponse {
        tbs_response_data: data,
        ..reference
    };
    assert_eq!(
        OcspResponse::successful(&basic).unwrap().to_der().unwrap(),
        RESP_GOOD
    );
}

#[test]
fn error_responses() {
    let resp = OcspResponse::error(OcspResponseStatus::Unauthorized);
    let der = resp.to_der().unwrap();
    assert_eq!(der, [0x30, 0x03, 0x0A, 0x01, 0x06]);
    let back = OcspResponse::from_der(&der).unwrap();
    assert_eq!(back, resp);
    assert!(BasicOcspResponse::from_response(&back).is_err());
    let try_later = OcspResponse::from_der(&[0x30, 0x03, 0x0A, 0x01, 0x03]).unwrap();
    assert_eq!(try_later.response_status, OcspResponseStatus::TryLater);
    assert_eq!(try_later.response_bytes, None);
}
