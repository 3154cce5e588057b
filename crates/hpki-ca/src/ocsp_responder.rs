//! The OCSP responder (RFC 6960), including the RFC 5019 lightweight profile.
//!
//! Each issuing CA answers through its delegated responder certificate (id-kp-OCSPSigning,
//! id-pkix-ocsp-nocheck). Requests without a nonce for one certificate — what RFC 5019 clients
//! and CDNs send — are answered from a cache of signed responses, which is dropped whenever the
//! CA's revocation epoch changes (any revocation, from any process) and refreshed at half the
//! response validity. Requests with a nonce are signed fresh, echoing the nonce (RFC 8954).
//!
//! The cache is bounded ([`CACHE_ENTRIES`] responses, about 1.5 kB each): when it is full, the
//! answers that are stale are dropped, and if none is, the whole cache is emptied at once (a
//! client asking about random serials costs it its hit rate, never the process its memory).
//!
//! The epoch is read for every request, by a query that starts after the request arrived, so a
//! revocation committed before a request is always in its answer; concurrent requests share
//! those queries ([`crate::epoch`]).

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use aws_lc_rs::digest;
use der::asn1::{BitString, GeneralizedTime, Null, OctetString};
use der::{Decode, Encode};
use hpki_asn1::ocsp::{
    BasicOcspResponse, CertId, CertStatus, OcspRequest, OcspResponse, OcspResponseStatus,
    ResponderId, ResponseData, RevokedInfo, SingleResponse, Version,
};
use hpki_store::CertStatus as StoredStatus;

use crate::authority::{Authority, CaName, Engine, serial_hex};
use crate::crl::reason_from_code;
use crate::epoch::EpochReader;

const ID_SHA1: der::asn1::ObjectIdentifier =
    der::asn1::ObjectIdentifier::new_unwrap("1.3.14.3.2.26");
const ID_SHA256: der::asn1::ObjectIdentifier =
    der::asn1::ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");

/// How many signed responses the cache keeps at most.
pub const CACHE_ENTRIES: usize = 16_384;

#[derive(Clone)]
struct Cached {
    der: Arc<Vec<u8>>,
    epoch: i64,
    refresh_at: u64,
}

/// An OCSP responder for the issuing CAs of an engine.
pub struct OcspResponder {
    engine: Arc<Engine>,
    cache: RwLock<HashMap<(CaName, Vec<u8>), Cached>>,
    capacity: usize,
    epochs: EpochReader,
}

fn error(status: OcspResponseStatus) -> Vec<u8> {
    OcspResponse::error(status).to_der().unwrap_or_default()
}

/// The `malformedRequest` answer, for requests that cannot even be decoded (RFC 6960 §2.3).
pub fn malformed_request_response() -> Vec<u8> {
    error(OcspResponseStatus::MalformedRequest)
}

fn hash(alg: &der::asn1::ObjectIdentifier, data: &[u8]) -> Option<Vec<u8>> {
    let a = if *alg == ID_SHA1 {
        &digest::SHA1_FOR_LEGACY_USE_ONLY
    } else if *alg == ID_SHA256 {
        &digest::SHA256
    } else {
        return None;
    };
    Some(digest::digest(a, data).as_ref().to_vec())
}

/// Whether `id` names a certificate of `authority` (issuerNameHash and issuerKeyHash match,
/// RFC 6960 §4.1.1).
fn issued_by(id: &CertId, authority: &Authority) -> bool {
    let tbs = authority.ca.cert.tbs_certificate();
    let Ok(name_der) = tbs.subject().to_der() else {
        return false;
    };
    let key = tbs.subject_public_key_info().subject_public_key.raw_bytes();
    hash(&id.hash_algorithm.oid, &name_der).is_some_and(|h| h == id.issuer_name_hash.as_bytes())
        && hash(&id.hash_algorithm.oid, key).is_some_and(|h| h == id.issuer_key_hash.as_bytes())
}

fn gt(unix: u64) -> der::Result<GeneralizedTime> {
    GeneralizedTime::from_unix_duration(std::time::Duration::from_secs(unix))
}

impl OcspResponder {
    /// A responder over `engine`, which must have been opened with its keys.
    pub fn new(engine: Arc<Engine>) -> Self {
        OcspResponder {
            engine,
            cache: RwLock::new(HashMap::new()),
            capacity: CACHE_ENTRIES,
            epochs: EpochReader::new(),
        }
    }

    /// The same responder keeping at most `capacity` responses (tests, small machines).
    pub fn with_cache_capacity(mut self, capacity: usize) -> Self {
        self.capacity = capacity.max(1);
        self
    }

    /// How many signed responses the cache holds now.
    pub fn cached(&self) -> usize {
        self.cache.read().map_or(0, |c| c.len())
    }

    /// The revocation epoch of `ca`, read after this call began (shared with concurrent
    /// callers, see [`crate::epoch`]): what a cached answer about `ca` is checked against.
    pub async fn revocation_epoch(&self, ca: CaName) -> Result<i64, crate::CaError> {
        self.epochs.current(&self.engine.store, ca).await
    }

    /// The engine.
    pub fn engine(&self) -> &Arc<Engine> {
        &self.engine
    }

    /// Answer a DER `OCSPRequest` for `ca`; always returns a DER `OCSPResponse` (errors are
    /// OCSP error statuses, RFC 6960 §2.3).
    pub async fn respond(&self, ca: CaName, request_der: &[u8]) -> Vec<u8> {
        let Ok(request) = OcspRequest::from_der(request_der) else {
            return error(OcspResponseStatus::MalformedRequest);
        };
        let list = &request.tbs_request.request_list;
        if list.is_empty() {
            return error(OcspResponseStatus::MalformedRequest);
        }
        let Ok(authority) = self.engine.authority(ca) else {
            return error(OcspResponseStatus::Unauthorized);
        };
        if authority
            .responder
            .as_ref()
            .and_then(|r| r.signer.as_ref())
            .is_none()
        {
            return error(OcspResponseStatus::Unauthorized);
        }
        // RFC 5019 §2.2.3: not authoritative for another issuer.
        if !list.iter().all(|r| issued_by(&r.req_cert, authority)) {
            return error(OcspResponseStatus::Unauthorized);
        }
        let Ok(epoch) = self.revocation_epoch(ca).await else {
            return error(OcspResponseStatus::TryLater);
        };
        let nonce = request.nonce_extension().cloned();
        let cacheable = nonce.is_none() && list.len() == 1;
        let now = self.engine.now_unix();
        let cache_key = match (cacheable, list[0].req_cert.to_der()) {
            (true, Ok(k)) => Some((ca, k)),
            _ => None,
        };
        if let Some(key) = &cache_key
            && let Ok(cache) = self.cache.read()
            && let Some(hit) = cache.get(key)
            && hit.epoch == epoch
            && now < hit.refresh_at
        {
            return hit.der.as_ref().clone();
        }
        match self.sign_response(authority, &request, nonce, now).await {
            Ok(der) => {
                if let Some(key) = cache_key {
                    let refresh_at = now + self.engine.config.policy.ocsp_validity_hours * 3600 / 2;
                    if let Ok(mut cache) = self.cache.write() {
                        if cache.len() >= self.capacity && !cache.contains_key(&key) {
                            cache.retain(|(c, _), hit| {
                                *c != ca || (hit.epoch == epoch && now < hit.refresh_at)
                            });
                            if cache.len() >= self.capacity {
                                cache.clear();
                            }
                        }
                        cache.insert(
                            key,
                            Cached {
                                der: Arc::new(der.clone()),
                                epoch,
                                refresh_at,
                            },
                        );
                    }
                }
                der
            }
            Err(_) => error(OcspResponseStatus::InternalError),
        }
    }

    async fn sign_response(
        &self,
        authority: &Authority,
        request: &OcspRequest,
        nonce: Option<x509_cert::ext::Extension>,
        now: u64,
    ) -> Result<Vec<u8>, crate::CaError> {
        let responder = authority
            .responder
            .as_ref()
            .ok_or_else(|| crate::CaError::NoKey(authority.name.to_string()))?;
        let signer = responder
            .signer
            .as_ref()
            .ok_or_else(|| crate::CaError::NoKey(authority.name.to_string()))?;
        let next = now + self.engine.config.policy.ocsp_validity_hours * 3600;
        let mut responses = Vec::new();
        for r in &request.tbs_request.request_list {
            let serial = serial_hex(r.req_cert.serial_number.as_bytes());
            let status = match self
                .engine
                .store
                .certificate(authority.name.as_str(), &serial)
                .await?
            {
                None => CertStatus::Unknown(Null),
                Some(c) => match c.status {
                    StoredStatus::Good => CertStatus::Good(Null),
                    StoredStatus::Revoked => CertStatus::Revoked(RevokedInfo {
                        revocation_time: gt(c.revoked_at.unwrap_or(0).max(0) as u64)?,
                        revocation_reason: c.revocation_reason.map(reason_from_code),
                    }),
                },
            };
            responses.push(SingleResponse {
                cert_id: r.req_cert.clone(),
                cert_status: status,
                this_update: gt(now)?,
                next_update: Some(gt(next)?),
                single_extensions: None,
            });
        }
        // ResponderID byKey: SHA-1 of the responder's subjectPublicKey (RFC 6960 §4.2.1).
        let key_hash = digest::digest(
            &digest::SHA1_FOR_LEGACY_USE_ONLY,
            responder
                .cert
                .tbs_certificate()
                .subject_public_key_info()
                .subject_public_key
                .raw_bytes(),
        );
        let data = ResponseData {
            version: Version::default(),
            responder_id: ResponderId::ByKey(OctetString::new(key_hash.as_ref())?),
            produced_at: gt(now)?,
            responses,
            response_extensions: nonce.map(|n| vec![n]),
        };
        let tbs = data.to_der()?;
        let sig = signer.sign(&tbs)?;
        let basic = BasicOcspResponse {
            tbs_response_data: data,
            signature_algorithm: signer.algorithm().algorithm_identifier(),
            signature: BitString::from_bytes(&sig)?,
            certs: Some(vec![responder.cert.clone()]),
        };
        Ok(OcspResponse::successful(&basic)?.to_der()?)
    }
}
