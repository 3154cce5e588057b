//! Token objects hpki reads and writes: RSA key pairs, X.509 certificates, data objects.

use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, AttributeType, CertificateType, ObjectClass, ObjectHandle};
use cryptoki::session::Session;
use der::asn1::{BitString, UintRef};
use der::{Decode, Encode};
use hpki_text::Text;
use spki::{AlgorithmIdentifierOwned, ObjectIdentifier, SubjectPublicKeyInfoOwned};

use crate::TokenError;

/// `rsaEncryption` (RFC 8017 Appendix C; RFC 3279 §2.3.1).
const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");

/// Objects of `class` with `label` (and `id`, when given).
pub(crate) fn find(
    session: &Session,
    class: ObjectClass,
    label: &str,
    id: Option<&[u8]>,
) -> Result<Vec<ObjectHandle>, TokenError> {
    let mut template = vec![
        Attribute::Class(class),
        Attribute::Label(label.as_bytes().to_vec()),
    ];
    if let Some(id) = id {
        template.push(Attribute::Id(id.to_vec()));
    }
    Ok(session.find_objects(&template)?)
}

/// One attribute of `object` as bytes (CKA_VALUE, CKA_ID, …).
pub(crate) fn bytes(
    session: &Session,
    object: ObjectHandle,
    kind: AttributeType,
) -> Result<Vec<u8>, TokenError> {
    for a in session.get_attributes(object, &[kind])? {
        match a {
            Attribute::Value(v) | Attribute::Id(v) | Attribute::Label(v) => return Ok(v),
            _ => {}
        }
    }
    Err(TokenError::Malformed(Text::new(
        format!("{kind:?} のないオブジェクトがあります"),
        format!("object without {kind:?}"),
    )))
}

/// The SubjectPublicKeyInfo of an RSA key object (public or private: both carry CKA_MODULUS and
/// CKA_PUBLIC_EXPONENT), as it goes into a certificate (RFC 3279 §2.3.1: NULL parameters).
pub(crate) fn rsa_spki(
    session: &Session,
    key: ObjectHandle,
) -> Result<SubjectPublicKeyInfoOwned, TokenError> {
    let (mut modulus, mut exponent) = (None, None);
    for a in session.get_attributes(
        key,
        &[AttributeType::Modulus, AttributeType::PublicExponent],
    )? {
        match a {
            Attribute::Modulus(m) => modulus = Some(m),
            Attribute::PublicExponent(e) => exponent = Some(e),
            _ => {}
        }
    }
    let (Some(modulus), Some(exponent)) = (modulus, exponent) else {
        return Err(TokenError::Malformed(Text::new(
            "RSA 鍵の公開情報（modulus・exponent）がありません",
            "RSA key without modulus or exponent",
        )));
    };
    let pkcs1 = hpki_asn1::rsa::RsaPublicKey {
        modulus: UintRef::new(&modulus)?,
        public_exponent: UintRef::new(&exponent)?,
    }
    .to_der()?;
    Ok(SubjectPublicKeyInfoOwned {
        algorithm: AlgorithmIdentifierOwned {
            oid: RSA_ENCRYPTION,
            parameters: Some(der::asn1::Null.into()),
        },
        subject_public_key: BitString::from_bytes(&pkcs1)?,
    })
}

/// Generates an RSA key pair of `bits` on the token: the private key is a token object,
/// private (needs login), sensitive and not extractable (PKCS#11 v2.40 §4.9), so it can sign
/// but never be read out; `label` and `id` name both halves. Returns (public, private).
pub(crate) fn generate_rsa(
    session: &Session,
    bits: u64,
    label: &str,
    id: &[u8],
) -> Result<(ObjectHandle, ObjectHandle), TokenError> {
    generate_rsa_pair(session, bits, label, id, true)
}

/// [`generate_rsa`] with a private key usable without login (`CKA_PRIVATE` false, still
/// sensitive and never extractable): the card-authentication key, whose use proves the card is
/// present, as PIV's card authentication key does (NIST SP 800-73-4, key reference 9E).
pub(crate) fn generate_rsa_without_login(
    session: &Session,
    bits: u64,
    label: &str,
    id: &[u8],
) -> Result<(ObjectHandle, ObjectHandle), TokenError> {
    generate_rsa_pair(session, bits, label, id, false)
}

fn generate_rsa_pair(
    session: &Session,
    bits: u64,
    label: &str,
    id: &[u8],
    needs_login: bool,
) -> Result<(ObjectHandle, ObjectHandle), TokenError> {
    let public = [
        Attribute::Token(true),
        Attribute::Private(false),
        Attribute::Verify(true),
        Attribute::Encrypt(false),
        Attribute::Wrap(false),
        Attribute::Derive(false),
        Attribute::ModulusBits(bits.into()),
        Attribute::PublicExponent(vec![0x01, 0x00, 0x01]),
        Attribute::Label(label.as_bytes().to_vec()),
        Attribute::Id(id.to_vec()),
    ];
    let private = [
        Attribute::Token(true),
        Attribute::Private(needs_login),
        Attribute::Sensitive(true),
        Attribute::Extractable(false),
        Attribute::Sign(true),
        Attribute::Decrypt(false),
        Attribute::Unwrap(false),
        Attribute::Derive(false),
        Attribute::Label(label.as_bytes().to_vec()),
        Attribute::Id(id.to_vec()),
    ];
    Ok(session.generate_key_pair(&Mechanism::RsaPkcsKeyPairGen, &public, &private)?)
}

/// Writes an X.509 certificate as a public token object (readable without login) with the
/// `label` and `id` of its key pair, as PKCS#11 v2.40 §4.6.3 describes.
pub(crate) fn create_certificate(
    session: &Session,
    cert_der: &[u8],
    label: &str,
    id: &[u8],
) -> Result<ObjectHandle, TokenError> {
    let cert = x509_cert::Certificate::from_der(cert_der)?;
    let tbs = cert.tbs_certificate();
    let template = [
        Attribute::Class(ObjectClass::CERTIFICATE),
        Attribute::CertificateType(CertificateType::X_509),
        Attribute::Token(true),
        Attribute::Private(false),
        Attribute::Label(label.as_bytes().to_vec()),
        Attribute::Id(id.to_vec()),
        Attribute::Subject(tbs.subject().to_der()?),
        Attribute::Issuer(tbs.issuer().to_der()?),
        Attribute::SerialNumber(tbs.serial_number().to_der()?),
        Attribute::Value(cert_der.to_vec()),
    ];
    Ok(session.create_object(&template)?)
}

/// A public data object (`CKO_DATA`) of application "hpki", readable without login.
pub(crate) fn create_data(
    session: &Session,
    label: &str,
    value: &[u8],
) -> Result<ObjectHandle, TokenError> {
    let template = [
        Attribute::Class(ObjectClass::DATA),
        Attribute::Token(true),
        Attribute::Private(false),
        Attribute::Modifiable(true),
        Attribute::Application(b"hpki".to_vec()),
        Attribute::Label(label.as_bytes().to_vec()),
        Attribute::Value(value.to_vec()),
    ];
    Ok(session.create_object(&template)?)
}

/// RSASSA-PKCS1-v1_5 with SHA-256 on the token (`CKM_SHA256_RSA_PKCS`; the token hashes).
pub(crate) fn sign_sha256_rsa(
    session: &Session,
    key: ObjectHandle,
    message: &[u8],
) -> Result<Vec<u8>, TokenError> {
    Ok(session.sign(&Mechanism::Sha256RsaPkcs, key, message)?)
}
