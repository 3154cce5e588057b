//! The certificate profiles of an HPKI CA, as `TBSCertificate` builders.
//!
//! | profile | keyUsage (critical) | other |
//! |---|---|---|
//! | root (stand-in for the MHLW HPKI Root CA) | keyCertSign, cRLSign | basicConstraints CA (critical), SKI |
//! | issuing CA (…-forNonRepudiation / …-forAuthentication) | keyCertSign, cRLSign | basicConstraints CA pathLen 0, SKI, AKI, certificatePolicies, CRL DP + AIA of the root |
//! | OCSP responder (RFC 6960 §4.2.2.2 delegated) | digitalSignature | EKU id-kp-OCSPSigning, id-pkix-ocsp-nocheck, SKI, AKI |
//! | end-entity signing | nonRepudiation only | certificatePolicies **critical**, SAN directoryName (kanji), CRL DP, AIA OCSP, subjectDirectoryAttributes with hcRole, SKI, AKI |
//! | end-entity authentication | digitalSignature | as signing, plus EKU clientAuth |
//! | time-stamping authority (RFC 3161 §2.3) | digitalSignature | EKU id-kp-timeStamping only, **critical**; SKI, AKI, CRL DP + AIA caIssuers of the issuer |
//!
//! The extension order of end-entity certificates follows a real MEDIS HPKI certificate.

use const_oid::AssociatedOid;
use der::asn1::{Any, BitString, Ia5String, Null, ObjectIdentifier, OctetString};
use der::{Decode, Encode};
use hpki_asn1::certificate::TbsCertificate;
use hpki_asn1::hcrole::hc_role_attribute;
use sha2::{Digest, Sha256};
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use x509_cert::certificate::Version;
use x509_cert::ext::Extension;
use x509_cert::ext::pkix::certpolicy::{PolicyInformation, PolicyQualifierInfo};
use x509_cert::ext::pkix::crl::dp::DistributionPoint;
use x509_cert::ext::pkix::name::{DistributionPointName, GeneralName};
use x509_cert::ext::pkix::{
    AccessDescription, AuthorityInfoAccessSyntax, AuthorityKeyIdentifier, BasicConstraints,
    CertificatePolicies, CrlDistributionPoints, ExtendedKeyUsage, KeyUsage, KeyUsages,
    SubjectAltName, SubjectDirectoryAttributes, SubjectKeyIdentifier,
};
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::Validity;

use crate::ProfileError;
use crate::time::x509_time;

/// `id-kp-clientAuth` (RFC 5280 §4.2.1.12).
pub const ID_KP_CLIENT_AUTH: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.2");
/// `id-kp-serverAuth` (RFC 5280 §4.2.1.12).
pub const ID_KP_SERVER_AUTH: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.1");
/// `id-kp-OCSPSigning` (RFC 5280 §4.2.1.12).
pub const ID_KP_OCSP_SIGNING: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.9");
/// `id-kp-timeStamping` (RFC 5280 §4.2.1.12): the only extended key usage of a TSA certificate,
/// critical (RFC 3161 §2.3).
pub const ID_KP_TIME_STAMPING: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.8");
/// `id-pkix-ocsp-nocheck` (RFC 6960 §4.2.2.2.1).
pub const ID_PKIX_OCSP_NOCHECK: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.48.1.5");
/// `id-ad-ocsp` (RFC 5280 §4.2.2.1).
pub const ID_AD_OCSP: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.48.1");
/// `id-ad-caIssuers` (RFC 5280 §4.2.2.1).
pub const ID_AD_CA_ISSUERS: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.48.2");
/// `id-qt-cps` (RFC 5280 §4.2.1.4).
pub const ID_QT_CPS: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.2.1");

/// The kinds of certificate an HPKI CA signs.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub enum CertificateProfile {
    /// Self-signed root (the demo stand-in for the MHLW HPKI Root CA).
    Root,
    /// An issuing CA under the root.
    IssuingCa,
    /// A delegated OCSP responder of an issuing CA.
    OcspResponder,
    /// End-entity signing certificate (nonRepudiation).
    EndEntitySigning,
    /// End-entity authentication certificate (digitalSignature, clientAuth).
    EndEntityAuthentication,
    /// The certificate of an RFC 3161 time-stamping authority (digitalSignature, critical
    /// EKU id-kp-timeStamping only).
    TimeStamping,
    /// The HTTPS server certificate of card login (digitalSignature, EKU id-kp-serverAuth,
    /// the host names and addresses as subjectAltName dNSName / iPAddress, RFC 6125).
    TlsServer,
}

impl CertificateProfile {
    /// Stable name, stored with each certificate.
    pub fn name(self) -> &'static str {
        match self {
            CertificateProfile::Root => "root",
            CertificateProfile::IssuingCa => "issuing-ca",
            CertificateProfile::OcspResponder => "ocsp-responder",
            CertificateProfile::EndEntitySigning => "ee-sign",
            CertificateProfile::EndEntityAuthentication => "ee-auth",
            CertificateProfile::TimeStamping => "tsa",
            CertificateProfile::TlsServer => "tls-server",
        }
    }

    /// Whether this is an end-entity (subscriber) profile.
    pub fn is_end_entity(self) -> bool {
        matches!(
            self,
            CertificateProfile::EndEntitySigning | CertificateProfile::EndEntityAuthentication
        )
    }

    /// Whether this is a CA profile.
    pub fn is_ca(self) -> bool {
        matches!(
            self,
            CertificateProfile::Root | CertificateProfile::IssuingCa
        )
    }

    /// The keyUsage bits of the profile.
    pub fn key_usage(self) -> KeyUsage {
        KeyUsage(match self {
            CertificateProfile::Root | CertificateProfile::IssuingCa => {
                KeyUsages::KeyCertSign | KeyUsages::CRLSign
            }
            CertificateProfile::OcspResponder
            | CertificateProfile::EndEntityAuthentication
            | CertificateProfile::TimeStamping
            | CertificateProfile::TlsServer => KeyUsages::DigitalSignature.into(),
            CertificateProfile::EndEntitySigning => KeyUsages::NonRepudiation.into(),
        })
    }
}

/// Where relying parties fetch CRLs, OCSP answers and CA certificates: all under one public
/// base URL, by CA name (`root`, `sign`, `auth`).
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct PublicUrls {
    base: String,
}

impl PublicUrls {
    /// From the configured public base URL (`http://ca.example.jp`).
    pub fn new(base: &str) -> Self {
        PublicUrls {
            base: base.trim_end_matches('/').to_owned(),
        }
    }
    /// CRL distribution point of a CA.
    pub fn crl(&self, ca: &str) -> String {
        format!("{}/crl/{ca}.crl", self.base)
    }
    /// OCSP responder of a CA.
    pub fn ocsp(&self, ca: &str) -> String {
        format!("{}/ocsp/{ca}", self.base)
    }
    /// Certificate of a CA (DER), for AIA caIssuers.
    pub fn ca_certificate(&self, ca: &str) -> String {
        format!("{}/ca/{ca}.crt", self.base)
    }
}

/// Everything that goes into one certificate.
#[derive(Clone, Debug)]
pub struct TbsParams {
    /// The profile.
    pub profile: CertificateProfile,
    /// Serial number bytes (positive, big-endian; at least 64 random bits).
    pub serial: Vec<u8>,
    /// The issuer's signature algorithm.
    pub signature: AlgorithmIdentifierOwned,
    /// Issuer DN.
    pub issuer: Name,
    /// The issuer's subjectKeyIdentifier (None only for a self-signed root).
    pub issuer_key_id: Option<Vec<u8>>,
    /// The issuer's CA name in URLs (`root`, `sign`, `auth`).
    pub issuer_ca: String,
    /// Subject DN.
    pub subject: Name,
    /// The kanji form of the subject, as a directoryName subjectAltName (end entities).
    pub subject_alt_dir_name: Option<Name>,
    /// Host names and IP addresses of a TLS server certificate (subjectAltName dNSName /
    /// iPAddress); empty for every other profile.
    pub server_names: Vec<String>,
    /// Subject public key.
    pub spki: SubjectPublicKeyInfoOwned,
    /// notBefore, Unix seconds.
    pub not_before: u64,
    /// notAfter, Unix seconds.
    pub not_after: u64,
    /// certificatePolicies OIDs (configuration).
    pub policies: Vec<ObjectIdentifier>,
    /// CPS URI qualifier, if configured.
    pub cps_uri: Option<String>,
    /// hcRole strings (end entities).
    pub hc_roles: Vec<String>,
    /// Public URLs.
    pub urls: PublicUrls,
}

/// RFC 7093 §2 method 1: the leftmost 160 bits of the SHA-256 hash of the subjectPublicKey
/// BIT STRING value.
pub fn key_identifier(spki: &SubjectPublicKeyInfoOwned) -> Vec<u8> {
    let digest = Sha256::digest(spki.subject_public_key.raw_bytes());
    digest[..20].to_vec()
}

fn extension<T: Encode>(
    oid: ObjectIdentifier,
    critical: bool,
    value: &T,
) -> der::Result<Extension> {
    Ok(Extension {
        extn_id: oid,
        critical,
        extn_value: OctetString::new(value.to_der()?)?,
    })
}

fn uri(s: &str) -> der::Result<GeneralName> {
    Ok(GeneralName::UniformResourceIdentifier(Ia5String::new(s)?))
}

fn crl_dp(url: &str) -> der::Result<CrlDistributionPoints> {
    Ok(CrlDistributionPoints(vec![DistributionPoint {
        distribution_point: Some(DistributionPointName::FullName(vec![uri(url)?])),
        reasons: None,
        crl_issuer: None,
    }]))
}

fn policies(oids: &[ObjectIdentifier], cps_uri: Option<&str>) -> der::Result<CertificatePolicies> {
    let mut out = Vec::new();
    for oid in oids {
        let qualifiers = match cps_uri {
            Some(u) => Some(vec![PolicyQualifierInfo {
                policy_qualifier_id: ID_QT_CPS,
                qualifier: Some(Any::encode_from(&Ia5String::new(u)?)?),
            }]),
            None => None,
        };
        out.push(PolicyInformation {
            policy_identifier: *oid,
            policy_qualifiers: qualifiers,
        });
    }
    Ok(CertificatePolicies(out))
}

fn aki(key_id: &[u8]) -> der::Result<AuthorityKeyIdentifier> {
    Ok(AuthorityKeyIdentifier {
        key_identifier: Some(OctetString::new(key_id)?),
        authority_cert_issuer: None,
        authority_cert_serial_number: None,
    })
}

/// Parse configured dotted OIDs.
pub fn parse_oids(dotted: &[String]) -> Result<Vec<ObjectIdentifier>, ProfileError> {
    dotted
        .iter()
        .map(|s| ObjectIdentifier::new(s.trim()).map_err(|_| ProfileError::BadOid(s.clone())))
        .collect()
}

/// Build the `TBSCertificate` of a profile. The result still has to pass [`crate::lint`].
pub fn build_tbs(p: &TbsParams) -> Result<TbsCertificate, ProfileError> {
    use CertificateProfile::*;
    let ski = extension(
        SubjectKeyIdentifier::OID,
        false,
        &SubjectKeyIdentifier(OctetString::new(key_identifier(&p.spki))?),
    )?;
    let mut ext: Vec<Extension> = Vec::new();
    let issuer_aki = match (&p.issuer_key_id, p.profile) {
        (_, Root) => None,
        (Some(id), _) => Some(aki(id)?),
        (None, _) => None,
    };
    match p.profile {
        Root | IssuingCa => {
            ext.push(extension(
                BasicConstraints::OID,
                true,
                &BasicConstraints {
                    ca: true,
                    path_len_constraint: if p.profile == IssuingCa {
                        Some(0)
                    } else {
                        None
                    },
                },
            )?);
            ext.push(extension(KeyUsage::OID, true, &p.profile.key_usage())?);
            ext.push(ski.clone());
            if let Some(a) = issuer_aki {
                ext.push(extension(AuthorityKeyIdentifier::OID, false, &a)?);
            }
            if p.profile == IssuingCa {
                if !p.policies.is_empty() {
                    ext.push(extension(
                        CertificatePolicies::OID,
                        false,
                        &policies(&p.policies, p.cps_uri.as_deref())?,
                    )?);
                }
                ext.push(extension(
                    CrlDistributionPoints::OID,
                    false,
                    &crl_dp(&p.urls.crl(&p.issuer_ca))?,
                )?);
                ext.push(extension(
                    AuthorityInfoAccessSyntax::OID,
                    false,
                    &AuthorityInfoAccessSyntax(vec![AccessDescription {
                        access_method: ID_AD_CA_ISSUERS,
                        access_location: uri(&p.urls.ca_certificate(&p.issuer_ca))?,
                    }]),
                )?);
            }
        }
        OcspResponder => {
            if let Some(a) = issuer_aki {
                ext.push(extension(AuthorityKeyIdentifier::OID, false, &a)?);
            }
            ext.push(ski.clone());
            ext.push(extension(KeyUsage::OID, true, &p.profile.key_usage())?);
            ext.push(extension(
                ExtendedKeyUsage::OID,
                false,
                &ExtendedKeyUsage(vec![ID_KP_OCSP_SIGNING]),
            )?);
            ext.push(extension(ID_PKIX_OCSP_NOCHECK, false, &Null)?);
        }
        TimeStamping => {
            // RFC 3161 §2.3: "The corresponding certificate MUST contain only one instance of
            // the extended key usage field extension ... with KeyPurposeID having value
            // id-kp-timeStamping. This extension MUST be critical."
            if let Some(a) = issuer_aki {
                ext.push(extension(AuthorityKeyIdentifier::OID, false, &a)?);
            }
            ext.push(ski.clone());
            ext.push(extension(KeyUsage::OID, true, &p.profile.key_usage())?);
            ext.push(extension(
                ExtendedKeyUsage::OID,
                true,
                &ExtendedKeyUsage(vec![ID_KP_TIME_STAMPING]),
            )?);
            ext.push(extension(
                CrlDistributionPoints::OID,
                false,
                &crl_dp(&p.urls.crl(&p.issuer_ca))?,
            )?);
            ext.push(extension(
                AuthorityInfoAccessSyntax::OID,
                false,
                &AuthorityInfoAccessSyntax(vec![AccessDescription {
                    access_method: ID_AD_CA_ISSUERS,
                    access_location: uri(&p.urls.ca_certificate(&p.issuer_ca))?,
                }]),
            )?);
        }
        TlsServer => {
            if let Some(a) = issuer_aki {
                ext.push(extension(AuthorityKeyIdentifier::OID, false, &a)?);
            }
            ext.push(ski.clone());
            ext.push(extension(KeyUsage::OID, true, &p.profile.key_usage())?);
            ext.push(extension(
                ExtendedKeyUsage::OID,
                false,
                &ExtendedKeyUsage(vec![ID_KP_SERVER_AUTH]),
            )?);
            let names = p
                .server_names
                .iter()
                .map(|n| server_name(n))
                .collect::<Result<Vec<_>, _>>()?;
            // RFC 5280 §4.2.1.6: critical when the subject is empty.
            ext.push(extension(
                SubjectAltName::OID,
                true,
                &SubjectAltName(names),
            )?);
            ext.push(extension(
                CrlDistributionPoints::OID,
                false,
                &crl_dp(&p.urls.crl(&p.issuer_ca))?,
            )?);
        }
        EndEntitySigning | EndEntityAuthentication => {
            if let Some(a) = issuer_aki {
                ext.push(extension(AuthorityKeyIdentifier::OID, false, &a)?);
            }
            ext.push(ski.clone());
            ext.push(extension(KeyUsage::OID, true, &p.profile.key_usage())?);
            if p.profile == EndEntityAuthentication {
                ext.push(extension(
                    ExtendedKeyUsage::OID,
                    false,
                    &ExtendedKeyUsage(vec![ID_KP_CLIENT_AUTH]),
                )?);
            }
            if let Some(kanji) = &p.subject_alt_dir_name {
                ext.push(extension(
                    SubjectAltName::OID,
                    false,
                    &SubjectAltName(vec![GeneralName::DirectoryName(kanji.clone())]),
                )?);
            }
            ext.push(extension(
                CrlDistributionPoints::OID,
                false,
                &crl_dp(&p.urls.crl(&p.issuer_ca))?,
            )?);
            let roles: Vec<&str> = p.hc_roles.iter().map(String::as_str).collect();
            ext.push(extension(
                SubjectDirectoryAttributes::OID,
                false,
                &SubjectDirectoryAttributes(vec![hc_role_attribute(&roles)?]),
            )?);
            ext.push(extension(
                CertificatePolicies::OID,
                true,
                &policies(&p.policies, p.cps_uri.as_deref())?,
            )?);
            ext.push(extension(
                AuthorityInfoAccessSyntax::OID,
                false,
                &AuthorityInfoAccessSyntax(vec![
                    AccessDescription {
                        access_method: ID_AD_OCSP,
                        access_location: uri(&p.urls.ocsp(&p.issuer_ca))?,
                    },
                    AccessDescription {
                        access_method: ID_AD_CA_ISSUERS,
                        access_location: uri(&p.urls.ca_certificate(&p.issuer_ca))?,
                    },
                ]),
            )?);
        }
    }
    Ok(TbsCertificate {
        version: Version::V3,
        serial_number: SerialNumber::new(&p.serial)?,
        signature: p.signature.clone(),
        issuer: p.issuer.clone(),
        validity: Validity::new(x509_time(p.not_before)?, x509_time(p.not_after)?),
        subject: p.subject.clone(),
        subject_public_key_info: p.spki.clone(),
        extensions: Some(ext),
    })
}

/// A host name as dNSName, an IPv4 / IPv6 address as iPAddress (RFC 5280 §4.2.1.6).
fn server_name(name: &str) -> Result<GeneralName, ProfileError> {
    Ok(match name.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(a)) => GeneralName::IpAddress(OctetString::new(a.octets())?),
        Ok(std::net::IpAddr::V6(a)) => GeneralName::IpAddress(OctetString::new(a.octets())?),
        Err(_) => GeneralName::DnsName(Ia5String::new(name)?),
    })
}

/// Attach a signature to a TBSCertificate, giving the final certificate.
pub fn assemble(
    tbs: TbsCertificate,
    signature_algorithm: AlgorithmIdentifierOwned,
    signature: &[u8],
) -> der::Result<x509_cert::Certificate> {
    let cert = hpki_asn1::certificate::Certificate {
        tbs_certificate: tbs,
        signature_algorithm,
        signature_value: BitString::from_bytes(signature)?,
    };
    x509_cert::Certificate::from_der(&cert.to_der()?)
}
