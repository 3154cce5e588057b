//! RFC 3161 time-stamping: the pure part of a TSA, and the verification of a token.
//!
//! A TSA ([`check_request`], [`tst_info`], [`sign_token`]):
//!
//! 1. decodes the `TimeStampReq` (badDataFormat if it cannot), checks its version
//!    (badRequest), its hash algorithm (badAlg unless SHA-256/384/512; SHA-1 and MD5 are
//!    refused), the length of the hash (badDataFormat), the requested policy (unacceptedPolicy
//!    unless one the TSA issues under) and its extensions (unacceptedExtension: none is
//!    supported) — RFC 3161 §2.4.1, §2.4.2;
//! 2. fills a `TSTInfo` with the policy, the request's message imprint and nonce unchanged, a
//!    serial number, `genTime`, the accuracy and the TSA's name;
//! 3. signs it with the CMS core: `eContentType` id-ct-TSTInfo, signed attributes
//!    content-type, message-digest and ESS signing-certificate-v2 (RFC 5816), the TSA
//!    certificate in `certificates` when `certReq` asked for it.
//!
//! The engine around it (clock, serial uniqueness, logging, the key) is the caller's:
//! `hpki-ca`'s TSA.
//!
//! Verification ([`verify_token`]): the token is a SignedData of id-ct-TSTInfo with one
//! signer; the signature, content type and message digest verify; an ESS signing-certificate
//! attribute binds it to the TSA certificate; that certificate has the sole, critical
//! extended key usage id-kp-timeStamping (§2.3); the message imprint is the hash of the data.
//! The TSA certificate's path is not validated here.

use cms::content_info::ContentInfo;
use der::asn1::{Int, ObjectIdentifier};
use der::{Decode, Encode};
use hpki_asn1::tsp::{
    Accuracy, GenTime, ID_CT_TST_INFO, ID_KP_TIME_STAMPING, MessageImprint, PkiFailureInfo, TSP_V1,
    TimeStampReq, TimeStampResp, TstInfo,
};
use hpki_keys::Signer;
use hpki_text::Text;
use x509_cert::Certificate;
use x509_cert::ext::pkix::ExtendedKeyUsage;
use x509_cert::ext::pkix::name::GeneralName;

use crate::cms::{
    ContentSource, SignedContent, SignedDataBuilder, SignerCertificate, SignerInfoBuilder,
    VerifiedSigner, verify_signer_info,
};
use crate::{DigestAlgorithm, SignError};

/// What a TSA issues under.
#[derive(Clone, Debug)]
pub struct TsaPolicy {
    /// The policy of tokens when the request names none.
    pub default_policy: ObjectIdentifier,
    /// Further policies a request may ask for (the default is always accepted).
    pub other_policies: Vec<ObjectIdentifier>,
    /// The hash algorithms accepted in message imprints.
    pub accepted_digests: Vec<DigestAlgorithm>,
    /// `accuracy` of every token, if stated.
    pub accuracy: Option<Accuracy>,
    /// `ordering`: whether tokens can be ordered by `genTime` alone.
    pub ordering: bool,
}

impl TsaPolicy {
    /// `default_policy` only, SHA-256/384/512, the given accuracy, no ordering.
    pub fn new(default_policy: ObjectIdentifier, accuracy: Option<Accuracy>) -> Self {
        TsaPolicy {
            default_policy,
            other_policies: Vec::new(),
            accepted_digests: DigestAlgorithm::ALL.to_vec(),
            accuracy,
            ordering: false,
        }
    }
}

/// The longest nonce a request may carry, octets (256 bits: four times what RFC 3161 §2.4.1
/// calls typical).
pub const MAX_NONCE_OCTETS: usize = 32;

/// A refused request: the `failInfo` and a text for the `statusString`.
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct Rejection {
    /// Why (RFC 3161 §2.4.2 `PKIFailureInfo`).
    pub fail_info: PkiFailureInfo,
    /// Why, for people; the `statusString` carries it as two UTF8Strings, English then
    /// Japanese (RFC 4210 `PKIFreeText` is a sequence of texts).
    pub text: Text,
}

impl Rejection {
    /// A rejection with `fail_info` and its reason in Japanese and English.
    pub fn new(fail_info: PkiFailureInfo, ja: impl Into<String>, en: impl Into<String>) -> Self {
        Rejection {
            fail_info,
            text: Text::new(ja, en),
        }
    }

    /// The `TimeStampResp` with status `rejection` (RFC 3161 §2.4.2).
    pub fn response(&self) -> TimeStampResp {
        TimeStampResp::rejection(
            self.fail_info,
            vec![self.text.en.clone(), self.text.ja.clone()],
        )
    }

    /// Its DER. Never fails: a rejection that could not be encoded (it always can) becomes the
    /// bare `systemFailure` rejection.
    pub fn response_der(&self) -> Vec<u8> {
        self.response()
            .to_der()
            .or_else(|_| {
                TimeStampResp::rejection(PkiFailureInfo::SYSTEM_FAILURE, Vec::new()).to_der()
            })
            .unwrap_or_default()
    }
}

/// Checks a DER `TimeStampReq` against `policy` (RFC 3161 §2.4.1); returns the request and the
/// policy its token gets.
///
/// # Errors
/// A [`Rejection`] with the `failInfo` RFC 3161 names for the problem.
pub fn check_request(
    der: &[u8],
    policy: &TsaPolicy,
) -> Result<(TimeStampReq, ObjectIdentifier), Rejection> {
    let req = TimeStampReq::from_der(der).map_err(|_| {
        Rejection::new(
            PkiFailureInfo::BAD_DATA_FORMAT,
            "タイムスタンプ要求の形式が不正です",
            "the request is not a DER TimeStampReq",
        )
    })?;
    if req.version != TSP_V1 {
        return Err(Rejection::new(
            PkiFailureInfo::BAD_REQUEST,
            format!(
                "要求のバージョン {} には対応していません（v1 のみ）",
                req.version
            ),
            format!("unsupported version {} (only v1)", req.version),
        ));
    }
    let alg = &req.message_imprint.hash_algorithm;
    let digest = DigestAlgorithm::from_algorithm_identifier(alg)
        .ok()
        .filter(|d| policy.accepted_digests.contains(d))
        .ok_or_else(|| {
            Rejection::new(
                PkiFailureInfo::BAD_ALG,
                format!(
                    "ハッシュアルゴリズム {} は受け付けません（SHA-256・SHA-384・SHA-512 のみ）",
                    alg.oid
                ),
                format!(
                    "hash algorithm {} is not accepted (SHA-256, SHA-384, SHA-512)",
                    alg.oid
                ),
            )
        })?;
    let len = req.message_imprint.hashed_message.as_bytes().len();
    if len != digest.output_len() {
        return Err(Rejection::new(
            PkiFailureInfo::BAD_DATA_FORMAT,
            format!(
                "ハッシュ値の長さが不正です（{} は {} オクテット、要求は {len} オクテット）",
                digest.name(),
                digest.output_len()
            ),
            format!(
                "a {} hash has {} octets, not {len}",
                digest.name(),
                digest.output_len()
            ),
        ));
    }
    let token_policy = match req.req_policy {
        None => policy.default_policy,
        Some(p) if p == policy.default_policy || policy.other_policies.contains(&p) => p,
        Some(p) => {
            return Err(Rejection::new(
                PkiFailureInfo::UNACCEPTED_POLICY,
                format!("ポリシー {p} には対応していません"),
                format!("policy {p} is not offered by this TSA"),
            ));
        }
    };
    // RFC 3161 §2.4.1 lets the nonce be any INTEGER ("typically 64 bits"); a longer one is
    // refused rather than stored and signed for anyone who asks.
    if let Some(nonce) = &req.nonce {
        let len = nonce.as_bytes().len();
        if len > MAX_NONCE_OCTETS {
            return Err(Rejection::new(
                PkiFailureInfo::BAD_REQUEST,
                format!("nonce は{MAX_NONCE_OCTETS}オクテットまでです（要求は{len}オクテット）"),
                format!("the nonce may be at most {MAX_NONCE_OCTETS} octets ({len} given)"),
            ));
        }
    }
    // RFC 3161 §2.4.1: an extension the TSA does not recognise, critical or not, is refused.
    if req.extensions.as_ref().is_some_and(|e| !e.is_empty()) {
        return Err(Rejection::new(
            PkiFailureInfo::UNACCEPTED_EXTENSION,
            "要求の拡張には対応していません",
            "request extensions are not supported",
        ));
    }
    Ok((req, token_policy))
}

/// The `TSTInfo` for an accepted request (RFC 3161 §2.4.2): `policy`, the request's message
/// imprint and nonce unchanged, `serial` (positive, at most 160 bits), `gen_time`, the
/// policy's accuracy and ordering, and `tsa` as the TSA's name.
pub fn tst_info(
    request: &TimeStampReq,
    policy: &TsaPolicy,
    token_policy: ObjectIdentifier,
    serial: &[u8],
    gen_time: GenTime,
    tsa: Option<GeneralName>,
) -> Result<TstInfo, SignError> {
    Ok(TstInfo {
        version: TSP_V1,
        policy: token_policy,
        message_imprint: request.message_imprint.clone(),
        serial_number: Int::new(serial)?,
        gen_time,
        accuracy: policy.accuracy,
        ordering: policy.ordering,
        nonce: request.nonce.clone(),
        tsa,
        extensions: None,
    })
}

/// Signs `tst_info` into a time-stamp token (RFC 3161 §2.4.2): a `ContentInfo` with a
/// SignedData of id-ct-TSTInfo signed by `signer`, whose certificate `certificate` is included
/// when `include_certificate` (the request's `certReq`), and identified in the ESS
/// signing-certificate-v2 attribute (RFC 5816).
pub fn sign_token(
    tst_info: &TstInfo,
    signer: &dyn Signer,
    certificate: &Certificate,
    include_certificate: bool,
) -> Result<ContentInfo, SignError> {
    let content = tst_info.to_der()?;
    let mut builder = SignedDataBuilder::new(ID_CT_TST_INFO, SignedContent::Encapsulated(&content))
        .signer(SignerInfoBuilder::new(signer, certificate));
    if include_certificate {
        builder = builder.certificate(certificate.clone());
    }
    builder.build_content_info()
}

/// The DER `TimeStampResp` granting `token`.
pub fn granted_response(token: ContentInfo) -> Result<Vec<u8>, SignError> {
    Ok(TimeStampResp::granted(token).to_der()?)
}

/// A verified time-stamp token.
#[derive(Clone, Debug)]
pub struct VerifiedTimeStamp {
    /// Its content.
    pub tst_info: TstInfo,
    /// What the CMS verification established.
    pub signer: VerifiedSigner,
    /// The TSA certificate that signed it.
    pub tsa_certificate: Certificate,
    /// Its DER, as the token carried it (or encoded from the certificate the caller gave).
    pub tsa_certificate_der: Vec<u8>,
}

/// Whether `certificate` may sign time-stamp tokens (RFC 3161 §2.3): exactly one extended key
/// usage extension, critical, holding only id-kp-timeStamping.
pub fn check_tsa_certificate(certificate: &Certificate) -> Result<(), SignError> {
    let tbs = certificate.tbs_certificate();
    let ekus: Vec<_> = tbs
        .extensions()
        .into_iter()
        .flatten()
        .filter(|e| e.extn_id == const_oid::db::rfc5280::ID_CE_EXT_KEY_USAGE)
        .collect();
    let [ext] = ekus[..] else {
        return Err(SignError::NotTsaCertificate(Text::new(
            "extendedKeyUsage 拡張がちょうど1つ必要です",
            "exactly one extendedKeyUsage extension is required",
        )));
    };
    if !ext.critical {
        return Err(SignError::NotTsaCertificate(Text::new(
            "extendedKeyUsage 拡張は critical でなければなりません",
            "extendedKeyUsage must be critical",
        )));
    }
    let eku = ExtendedKeyUsage::from_der(ext.extn_value.as_bytes())?;
    if eku.0 != [ID_KP_TIME_STAMPING] {
        return Err(SignError::NotTsaCertificate(Text::new(
            "extendedKeyUsage は id-kp-timeStamping のみでなければなりません",
            "extendedKeyUsage must be id-kp-timeStamping only",
        )));
    }
    Ok(())
}

/// Parses a token (DER `ContentInfo`) and verifies it as issued by `tsa_certificate` (or, when
/// `None`, the certificate the token carries for its signer), over the data whose hash is
/// `imprint` (see [`imprint_of`]).
///
/// # Errors
/// [`SignError::NotTimeStampToken`], [`SignError::NotTsaCertificate`],
/// [`SignError::NoSignerCertificate`], [`SignError::ImprintMismatch`] when it time-stamps other
/// data, and every error of [`verify_signer_info`].
pub fn verify_token(
    token_der: &[u8],
    imprint: &MessageImprint,
    tsa_certificate: Option<&Certificate>,
) -> Result<VerifiedTimeStamp, SignError> {
    verify_token_with(token_der, &|_| Ok(imprint.clone()), tsa_certificate)
}

/// [`verify_token`] over `data` hashed with the token's own imprint algorithm (RFC 3161
/// §2.4.2: the requester chose it; SHA-256/384/512): how a verifier checks a signature or
/// archive time-stamp over its input. The token is parsed once.
pub fn verify_token_over(token_der: &[u8], data: &[u8]) -> Result<VerifiedTimeStamp, SignError> {
    verify_token_digesting(token_der, &|alg| Ok(alg.digest(data)))
}

/// [`verify_token_over`] for data that is hashed by `digest_of` with the algorithm it is given
/// (a PDF's byte range, for example), the token's own imprint algorithm.
pub fn verify_token_digesting(
    token_der: &[u8],
    digest_of: &dyn Fn(DigestAlgorithm) -> Result<Vec<u8>, SignError>,
) -> Result<VerifiedTimeStamp, SignError> {
    verify_token_with(
        token_der,
        &|own| {
            let alg = DigestAlgorithm::from_algorithm_identifier(&own.hash_algorithm)?;
            Ok(MessageImprint {
                hash_algorithm: alg.algorithm_identifier(),
                hashed_message: der::asn1::OctetString::new(digest_of(alg)?)?,
            })
        },
        None,
    )
}

/// The one token check: `expected` gives the imprint the token must carry, from the token's
/// own (so that a verifier can hash with the token's algorithm without parsing it twice).
fn verify_token_with(
    token_der: &[u8],
    expected: &dyn Fn(&MessageImprint) -> Result<MessageImprint, SignError>,
    tsa_certificate: Option<&Certificate>,
) -> Result<VerifiedTimeStamp, SignError> {
    let (parsed, carried) = crate::cades::read_signed_data(token_der)?;
    if parsed.econtent_type != ID_CT_TST_INFO {
        return Err(SignError::NotTimeStampToken(format!(
            "content type {}",
            parsed.econtent_type
        )));
    }
    let [signer] = &parsed.signer_infos[..] else {
        return Err(SignError::NotTimeStampToken(format!(
            "{} signers (one expected)",
            parsed.signer_infos.len()
        )));
    };
    let econtent = parsed.econtent.as_deref().ok_or(SignError::NoContent)?;
    let tst_info = TstInfo::from_der(econtent)?;
    let imprint = expected(&tst_info.message_imprint)?;
    // The TSA certificate and its DER: the one given, or the one carried that the signer
    // identifier names (only that one is decoded).
    let (certificate, der) = match tsa_certificate {
        Some(c) => (c.clone(), c.to_der()?),
        None => carried
            .into_iter()
            .find_map(|der| {
                let c = Certificate::from_der(&der).ok()?;
                signer.identifies(&c).then_some((c, der))
            })
            .ok_or(SignError::NoSignerCertificate)?,
    };
    check_tsa_certificate(&certificate)?;
    let verified = verify_signer_info(
        &parsed,
        signer,
        SignerCertificate::carried(&certificate, &der),
        ContentSource::Encapsulated,
    )?;
    // RFC 3161 §2.4.2 (RFC 5816): the token names its TSA certificate in an ESS attribute.
    if verified.signing_certificate.is_none() {
        return Err(SignError::MissingAttribute("signing-certificate(-v2)"));
    }
    if tst_info.message_imprint.hash_algorithm.oid != imprint.hash_algorithm.oid
        || tst_info.message_imprint.hashed_message != imprint.hashed_message
    {
        return Err(SignError::ImprintMismatch);
    }
    Ok(VerifiedTimeStamp {
        tst_info,
        signer: verified,
        tsa_certificate: certificate,
        tsa_certificate_der: der,
    })
}

/// The message imprint of `data` with `digest`, as a requester puts it in a `TimeStampReq`.
pub fn imprint_of(digest: DigestAlgorithm, data: &[u8]) -> Result<MessageImprint, SignError> {
    Ok(MessageImprint {
        hash_algorithm: digest.algorithm_identifier(),
        hashed_message: der::asn1::OctetString::new(digest.digest(data))?,
    })
}

/// The token of a granted DER `TimeStampResp`, as DER.
///
/// # Errors
/// [`SignError::NotTimeStampToken`] when the status is not granted (or with modifications) or
/// the token is absent.
pub fn token_of_response(response_der: &[u8]) -> Result<Vec<u8>, SignError> {
    use hpki_asn1::tsp::PkiStatus;
    let resp = TimeStampResp::from_der(response_der)?;
    match (resp.status.status, resp.time_stamp_token) {
        (PkiStatus::Granted | PkiStatus::GrantedWithMods, Some(token)) => Ok(token.to_der()?),
        (status, _) => Err(SignError::NotTimeStampToken(format!(
            "status {status:?}, failInfo {:?}",
            resp.status.fail_info.map(|f| f.names())
        ))),
    }
}
