//! What signing and verifying fetch over the network, implementing the long-term traits of
//! `hpki-sign` ([`hpki_sign::ltv`]):
//!
//! - [`HttpTimeStamper`]: RFC 3161 time-stamps from a TSA over HTTP (RFC 3161 §3.4:
//!   `application/timestamp-query` → `application/timestamp-reply`).
//! - [`HttpValidationSource`]: the issuer chain of a certificate (from the certificates given,
//!   else from AIA caIssuers, RFC 5280 §4.2.2.1) and its revocation data: CRLs from the CRL
//!   distribution points (§4.2.1.13) and an OCSP response from the AIA responder (RFC 6960,
//!   `application/ocsp-request`).
//!
//! HPKI publishes all of these over plain `http://` (RFC 5280 §4.2.1.13 and RFC 6960 expect
//! it: the data is signed), so this client speaks plain HTTP only; an `https://` URL is
//! refused.
#![forbid(unsafe_code)]

use hpki_text::{Localized, Text};
use std::time::Duration;

use der::{Decode, Encode};
use hpki_sign::DigestAlgorithm;
use hpki_sign::SignError;
use hpki_sign::ltv::{TimeStamper, ValidationData, ValidationSource, token_from_response};
use x509_cert::Certificate;
use x509_cert::ext::pkix::name::{DistributionPointName, GeneralName};
use x509_cert::ext::pkix::{AuthorityInfoAccessSyntax, CrlDistributionPoints};

/// The largest response read (a CRL of a large CA fits comfortably).
const MAX_BODY: u64 = 16 * 1024 * 1024;
/// How long one fetch may take.
const TIMEOUT: Duration = Duration::from_secs(20);
/// The most issuers followed up from a certificate.
const MAX_CHAIN: usize = 8;

const AD_OCSP: const_oid::ObjectIdentifier =
    const_oid::ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.48.1");
const AD_CA_ISSUERS: const_oid::ObjectIdentifier =
    const_oid::ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.48.2");
const ID_SHA256: const_oid::ObjectIdentifier =
    const_oid::ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");

/// Why a fetch failed.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// Only plain HTTP is spoken.
    #[error("only http:// URLs are fetched, not {0}")]
    NotHttp(String),
    /// The request failed or the server answered an error.
    #[error("fetching {url} failed: {reason}")]
    Http {
        /// The URL.
        url: String,
        /// What happened.
        reason: String,
    },
}

impl Localized for FetchError {
    fn text(&self) -> Text {
        match self {
            FetchError::NotHttp(f0) => Text::new(
                format!("http:// 以外の URL は取得しません: {f0}"),
                format!("only http:// URLs are fetched, not {f0}"),
            ),
            FetchError::Http { url, reason } => Text::new(
                format!("{url} の取得に失敗しました: {reason}"),
                format!("fetching {url} failed: {reason}"),
            ),
        }
    }
}

impl From<FetchError> for SignError {
    fn from(e: FetchError) -> Self {
        SignError::Fetch(e.text())
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_global(Some(TIMEOUT))
        .http_status_as_error(false)
        .build()
        .into()
}

fn check_url(url: &str) -> Result<(), FetchError> {
    if url.starts_with("http://") {
        Ok(())
    } else {
        Err(FetchError::NotHttp(url.to_owned()))
    }
}

fn read_body(url: &str, resp: ureq::http::Response<ureq::Body>) -> Result<Vec<u8>, FetchError> {
    let status = resp.status();
    if !status.is_success() {
        return Err(FetchError::Http {
            url: url.to_owned(),
            reason: format!("HTTP {status}"),
        });
    }
    resp.into_body()
        .with_config()
        .limit(MAX_BODY)
        .read_to_vec()
        .map_err(|e| FetchError::Http {
            url: url.to_owned(),
            reason: e.to_string(),
        })
}

/// `GET url`, the body.
pub fn get(url: &str) -> Result<Vec<u8>, FetchError> {
    check_url(url)?;
    let resp = agent().get(url).call().map_err(|e| FetchError::Http {
        url: url.to_owned(),
        reason: e.to_string(),
    })?;
    read_body(url, resp)
}

/// `POST body` with `content_type` to `url`, the response body.
pub fn post(url: &str, content_type: &str, body: &[u8]) -> Result<Vec<u8>, FetchError> {
    check_url(url)?;
    let resp = agent()
        .post(url)
        .header("content-type", content_type)
        .send(body)
        .map_err(|e| FetchError::Http {
            url: url.to_owned(),
            reason: e.to_string(),
        })?;
    read_body(url, resp)
}

/// A TSA reached over HTTP.
#[derive(Clone, Debug)]
pub struct HttpTimeStamper {
    url: String,
}

impl HttpTimeStamper {
    /// The TSA at `url` (e.g. `http://127.0.0.1:8080/tsa`).
    pub fn new(url: impl Into<String>) -> Self {
        HttpTimeStamper { url: url.into() }
    }
}

impl TimeStamper for HttpTimeStamper {
    fn time_stamp(&self, algorithm: DigestAlgorithm, digest: &[u8]) -> Result<Vec<u8>, SignError> {
        let mut nonce = [0u8; 8];
        aws_lc_rs::rand::fill(&mut nonce).map_err(|_| {
            SignError::Fetch(Text::new(
                "乱数を生成できません",
                "the random generator failed",
            ))
        })?;
        let request = hpki_sign::ltv::time_stamp_request(algorithm, digest, &nonce)?;
        let response = post(&self.url, "application/timestamp-query", &request)?;
        token_from_response(&response, algorithm, digest)
    }
}

/// Gathers the issuer chain and revocation data of certificates over HTTP.
#[derive(Clone, Debug, Default)]
pub struct HttpValidationSource {
    /// Certificates known without fetching (intermediates, the trust anchor).
    known: Vec<Certificate>,
    /// Also ask the OCSP responder of each certificate that names one (AIA).
    pub ocsp: bool,
    /// Also fetch the CRLs of each certificate's distribution points.
    pub crls: bool,
}

impl HttpValidationSource {
    /// A source knowing `known` certificates (issuers found among them are not fetched);
    /// fetches both CRLs and OCSP responses.
    pub fn new(known: Vec<Certificate>) -> Self {
        HttpValidationSource {
            known,
            ocsp: true,
            crls: true,
        }
    }

    /// The issuer of `cert`: a known certificate whose subject is its issuer, else the first
    /// AIA caIssuers URL's certificate.
    fn issuer_of(&self, cert: &Certificate) -> Result<Option<Certificate>, SignError> {
        let issuer = cert.tbs_certificate().issuer();
        if let Some(c) = self
            .known
            .iter()
            .find(|c| c.tbs_certificate().subject() == issuer)
        {
            return Ok(Some(c.clone()));
        }
        for url in aia_urls(cert, AD_CA_ISSUERS) {
            let body = get(&url)?;
            let c = Certificate::from_der(&body)?;
            if c.tbs_certificate().subject() == issuer {
                return Ok(Some(c));
            }
        }
        Ok(None)
    }
}

/// The `http://` URLs of an AIA access method in `cert`.
pub fn aia_urls(cert: &Certificate, method: const_oid::ObjectIdentifier) -> Vec<String> {
    let Ok(Some((_, aia))) = cert
        .tbs_certificate()
        .get_extension::<AuthorityInfoAccessSyntax>()
    else {
        return Vec::new();
    };
    aia.0
        .iter()
        .filter(|a| a.access_method == method)
        .filter_map(|a| match &a.access_location {
            GeneralName::UniformResourceIdentifier(u) => Some(u.as_str().to_owned()),
            _ => None,
        })
        .collect()
}

/// The `http://` URLs of the CRL distribution points of `cert`.
pub fn crl_urls(cert: &Certificate) -> Vec<String> {
    let Ok(Some((_, dps))) = cert
        .tbs_certificate()
        .get_extension::<CrlDistributionPoints>()
    else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for dp in &dps.0 {
        if let Some(DistributionPointName::FullName(names)) = &dp.distribution_point {
            for n in names {
                if let GeneralName::UniformResourceIdentifier(u) = n {
                    out.push(u.as_str().to_owned());
                }
            }
        }
    }
    out
}

fn is_self_issued(cert: &Certificate) -> bool {
    cert.tbs_certificate().subject() == cert.tbs_certificate().issuer()
}

/// An OCSP request (RFC 6960 §4.1.1) for `cert` issued by `issuer`, CertID with SHA-256.
pub fn ocsp_request(cert: &Certificate, issuer: &Certificate) -> Result<Vec<u8>, SignError> {
    use hpki_asn1::ocsp::{CertId, OcspRequest, Request, TbsRequest};
    let name = issuer.tbs_certificate().subject().to_der()?;
    let key = issuer
        .tbs_certificate()
        .subject_public_key_info()
        .subject_public_key
        .raw_bytes();
    let sha256 = |d: &[u8]| DigestAlgorithm::Sha256.digest(d);
    let req = OcspRequest {
        tbs_request: TbsRequest {
            version: Default::default(),
            requestor_name: None,
            request_list: vec![Request {
                req_cert: CertId {
                    hash_algorithm: spki::AlgorithmIdentifierOwned {
                        oid: ID_SHA256,
                        parameters: Some(der::asn1::Null.into()),
                    },
                    issuer_name_hash: der::asn1::OctetString::new(sha256(&name))?,
                    issuer_key_hash: der::asn1::OctetString::new(sha256(key))?,
                    serial_number: cert.tbs_certificate().serial_number().clone(),
                },
                single_request_extensions: None,
            }],
            request_extensions: None,
        },
        optional_signature: None,
    };
    Ok(req.to_der()?)
}

impl ValidationSource for HttpValidationSource {
    fn validation_data(&self, certificate: &Certificate) -> Result<ValidationData, SignError> {
        let mut data = ValidationData::default();
        let mut current = certificate.clone();
        for _ in 0..MAX_CHAIN {
            if is_self_issued(&current) {
                break;
            }
            let Some(issuer) = self.issuer_of(&current)? else {
                return Err(SignError::Fetch(Text::new(
                    format!(
                        "「{}」の発行者の証明書が見つかりません",
                        current.tbs_certificate().subject()
                    ),
                    format!(
                        "no issuer certificate for {}",
                        current.tbs_certificate().subject()
                    ),
                )));
            };
            if self.crls {
                for url in crl_urls(&current) {
                    let crl = get(&url)?;
                    x509_cert::crl::CertificateList::<x509_cert::certificate::Rfc5280>::from_der(
                        &crl,
                    )?;
                    data.merge(ValidationData {
                        crls: vec![crl],
                        ..Default::default()
                    });
                }
            }
            if self.ocsp {
                for url in aia_urls(&current, AD_OCSP) {
                    let response = post(
                        &url,
                        "application/ocsp-request",
                        &ocsp_request(&current, &issuer)?,
                    )?;
                    let parsed = hpki_asn1::ocsp::OcspResponse::from_der(&response)?;
                    if let Ok(basic) = hpki_asn1::ocsp::BasicOcspResponse::from_response(&parsed) {
                        for c in basic.certs.iter().flatten() {
                            data.merge(ValidationData {
                                certificates: vec![c.to_der()?],
                                ..Default::default()
                            });
                        }
                    }
                    data.merge(ValidationData {
                        ocsp_responses: vec![response],
                        ..Default::default()
                    });
                }
            }
            data.merge(ValidationData {
                certificates: vec![issuer.to_der()?],
                ..Default::default()
            });
            current = issuer;
        }
        Ok(data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_http_is_fetched() {
        assert!(matches!(
            get("https://example.jp/x.crl"),
            Err(FetchError::NotHttp(_))
        ));
        assert!(matches!(
            get("file:///etc/passwd"),
            Err(FetchError::NotHttp(_))
        ));
    }
}
