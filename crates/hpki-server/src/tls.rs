//! The TLS listener of card login (`hpki serve --tls-listen`): HTTPS that asks every client for
//! a certificate, naming the HPKI authentication CA as the acceptable issuer.
//!
//! TLS proves one thing here: the client holds the private key of the certificate it sent (the
//! CertificateVerify signature of RFC 5246 §7.4.8 / RFC 8446 §4.4.3, checked by
//! [`HpkiClientVerifier`] with aws-lc-rs). Whether that certificate is a valid HPKI
//! authentication certificate, and whose, is decided afterwards by [`hpki_login::card::check`]
//! with hpki's own RFC 5280 validator, on the chain this listener hands to each request as a
//! [`ClientCertificate`] extension, so that a wrong certificate gets a page that says why
//! instead of a failed handshake. rustls-webpki cannot be used as the verifier: it refuses the
//! critical certificatePolicies that HPKI certificates carry.
//!
//! A client certificate is asked for but not required: pages that need none (discovery, the
//! token endpoint of a relying party's back end) are served on the same listener.
//!
//! Signature schemes accepted for the handshake: RSASSA-PKCS1-v1_5 (TLS 1.2 only: RFC 8446
//! §4.4.3 forbids it in TLS 1.3, and IC cards often can do nothing else), RSASSA-PSS,
//! ECDSA P-256/P-384 and Ed25519.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use aws_lc_rs::signature::{self, VerificationAlgorithm};
use axum::Router;
use der::{Decode, Encode};
use rustls::client::danger::HandshakeSignatureValid;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{DigitallySignedStruct, DistinguishedName, SignatureScheme};
use tokio::net::TcpListener;
use x509_cert::Certificate;

use crate::ServerError;

/// How long a client may take to complete the TLS handshake (a card asks for its PIN during
/// it, so this is generous).
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(120);

/// The certificate chain the TLS client presented (leaf first, DER), added to every request
/// of the connection; absent on the plain-HTTP listener.
#[derive(Clone, Debug, Default)]
pub struct ClientCertificate(pub Option<Arc<[Vec<u8>]>>);

/// The server certificate chain and key of the TLS listener, from PEM files.
pub struct ServerIdentity {
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
}

impl ServerIdentity {
    /// Reads the certificate chain (PEM, leaf first) and the unencrypted PKCS#8 / PKCS#1 /
    /// SEC1 key (PEM).
    pub fn from_pem_files(cert: &Path, key: &Path) -> Result<ServerIdentity, ServerError> {
        let bad = |path: &Path, e: String| ServerError::TlsFile(path.display().to_string(), e);
        let chain = CertificateDer::pem_file_iter(cert)
            .map_err(|e| bad(cert, e.to_string()))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| bad(cert, e.to_string()))?;
        if chain.is_empty() {
            return Err(bad(cert, "no certificate in the file".into()));
        }
        let key = PrivateKeyDer::from_pem_file(key).map_err(|e| bad(key, e.to_string()))?;
        Ok(ServerIdentity { chain, key })
    }

    /// From DER (tests, and the demo's generated certificate).
    pub fn from_der(chain: Vec<Vec<u8>>, pkcs8_key: Vec<u8>) -> ServerIdentity {
        ServerIdentity {
            chain: chain.into_iter().map(CertificateDer::from).collect(),
            key: PrivateKeyDer::Pkcs8(pkcs8_key.into()),
        }
    }
}

/// The rustls configuration: `identity` as the server, client certificates asked for with
/// the subjects of `acceptable_issuers` as hints (RFC 5246 §7.4.4
/// `certificate_authorities`, RFC 8446 §4.2.4).
pub fn server_config(
    identity: ServerIdentity,
    acceptable_issuers: &[Certificate],
) -> Result<Arc<rustls::ServerConfig>, ServerError> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let hints = acceptable_issuers
        .iter()
        .filter_map(|c| c.tbs_certificate().subject().to_der().ok())
        .map(DistinguishedName::from)
        .collect();
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ServerError::Tls(e.to_string()))?
        .with_client_cert_verifier(Arc::new(HpkiClientVerifier { hints }))
        .with_single_cert(identity.chain, identity.key)
        .map_err(|e| ServerError::Tls(e.to_string()))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// Asks for a client certificate; checks only that it decodes and that the handshake
/// signature is made by its key. See the module documentation.
#[derive(Debug)]
pub struct HpkiClientVerifier {
    hints: Vec<DistinguishedName>,
}

impl ClientCertVerifier for HpkiClientVerifier {
    fn offer_client_auth(&self) -> bool {
        true
    }

    fn client_auth_mandatory(&self) -> bool {
        false
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &self.hints
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        Certificate::from_der(end_entity)
            .map(|_| ClientCertVerified::assertion())
            .map_err(|_| rustls::Error::InvalidCertificate(rustls::CertificateError::BadEncoding))
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_handshake_signature(message, cert, dss, false)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_handshake_signature(message, cert, dss, true)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        vec![
            SignatureScheme::RSA_PSS_SHA256,
            SignatureScheme::RSA_PSS_SHA384,
            SignatureScheme::RSA_PSS_SHA512,
            SignatureScheme::RSA_PKCS1_SHA256,
            SignatureScheme::RSA_PKCS1_SHA384,
            SignatureScheme::RSA_PKCS1_SHA512,
            SignatureScheme::ECDSA_NISTP256_SHA256,
            SignatureScheme::ECDSA_NISTP384_SHA384,
            SignatureScheme::ED25519,
        ]
    }
}

/// The aws-lc-rs verification algorithm of `scheme`; PKCS#1 v1.5 only in TLS 1.2.
fn algorithm(scheme: SignatureScheme, tls13: bool) -> Option<&'static dyn VerificationAlgorithm> {
    Some(match scheme {
        SignatureScheme::RSA_PKCS1_SHA256 if !tls13 => &signature::RSA_PKCS1_2048_8192_SHA256,
        SignatureScheme::RSA_PKCS1_SHA384 if !tls13 => &signature::RSA_PKCS1_2048_8192_SHA384,
        SignatureScheme::RSA_PKCS1_SHA512 if !tls13 => &signature::RSA_PKCS1_2048_8192_SHA512,
        SignatureScheme::RSA_PSS_SHA256 => &signature::RSA_PSS_2048_8192_SHA256,
        SignatureScheme::RSA_PSS_SHA384 => &signature::RSA_PSS_2048_8192_SHA384,
        SignatureScheme::RSA_PSS_SHA512 => &signature::RSA_PSS_2048_8192_SHA512,
        SignatureScheme::ECDSA_NISTP256_SHA256 => &signature::ECDSA_P256_SHA256_ASN1,
        SignatureScheme::ECDSA_NISTP384_SHA384 => &signature::ECDSA_P384_SHA384_ASN1,
        SignatureScheme::ED25519 => &signature::ED25519,
        _ => return None,
    })
}

fn verify_handshake_signature(
    message: &[u8],
    cert: &CertificateDer<'_>,
    dss: &DigitallySignedStruct,
    tls13: bool,
) -> Result<HandshakeSignatureValid, rustls::Error> {
    let alg = algorithm(dss.scheme, tls13).ok_or(rustls::Error::PeerMisbehaved(
        rustls::PeerMisbehaved::SignedHandshakeWithUnadvertisedSigScheme,
    ))?;
    let cert = Certificate::from_der(cert)
        .map_err(|_| rustls::Error::InvalidCertificate(rustls::CertificateError::BadEncoding))?;
    let key = cert
        .tbs_certificate()
        .subject_public_key_info()
        .subject_public_key
        .raw_bytes();
    signature::UnparsedPublicKey::new(alg, key)
        .verify(message, dss.signature())
        .map(|_| HandshakeSignatureValid::assertion())
        .map_err(|_| rustls::Error::InvalidCertificate(rustls::CertificateError::BadSignature))
}

/// Serves `router` over TLS on `listener` until `shutdown` completes, through the shared
/// accept loop ([`crate::accept`]: connection cap, header timeout). Each connection's handshake
/// runs in its own task, bounded by [`HANDSHAKE_TIMEOUT`]; its requests carry the client's
/// [`ClientCertificate`].
pub async fn serve(
    listener: TcpListener,
    config: Arc<rustls::ServerConfig>,
    router: Router,
    shutdown: impl std::future::Future<Output = ()>,
) -> Result<(), ServerError> {
    let acceptor = tokio_rustls::TlsAcceptor::from(config);
    crate::accept::serve(listener, router, shutdown, move |tcp| {
        let acceptor = acceptor.clone();
        async move {
            let tls = tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp))
                .await
                .ok()?
                .ok()?;
            let chain: Option<Arc<[Vec<u8>]>> = tls
                .get_ref()
                .1
                .peer_certificates()
                .map(|certs| certs.iter().map(|c| c.to_vec()).collect());
            let h2 = tls.get_ref().1.alpn_protocol() == Some(b"h2");
            Some(crate::accept::Handshaken {
                io: tls,
                client: Some(ClientCertificate(chain)),
                h2,
            })
        }
    })
    .await
}
