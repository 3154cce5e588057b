//! Lints: checks of a `TBSCertificate` against its profile, run before every signature.
//!
//! Like Boulder's linting, a CA built on hpki signs nothing that fails a lint. Each lint has a
//! stable name (`e_…`) so a refusal can be traced to the rule it enforces (RFC 5280 section or
//! MHLW HPKI CP requirement).

use const_oid::AssociatedOid;
use der::Decode;
use der::asn1::ObjectIdentifier;
use hpki_asn1::certificate::TbsCertificate;
use hpki_asn1::hcrole::hpki_roles;
use x509_cert::certificate::Version;
use x509_cert::ext::Extension;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{
    AuthorityInfoAccessSyntax, AuthorityKeyIdentifier, BasicConstraints, CertificatePolicies,
    CrlDistributionPoints, ExtendedKeyUsage, KeyUsage, SubjectAltName, SubjectDirectoryAttributes,
    SubjectKeyIdentifier,
};

use crate::key::check_subject_public_key;
use crate::name::{
    COMMON_NAME, COUNTRY, ORGANIZATION, ORGANIZATIONAL_UNIT, SERIAL_NUMBER, attribute_values,
    is_printable,
};
use crate::profile::{
    CertificateProfile, ID_AD_OCSP, ID_KP_CLIENT_AUTH, ID_KP_OCSP_SIGNING, ID_KP_SERVER_AUTH,
    ID_KP_TIME_STAMPING, ID_PKIX_OCSP_NOCHECK, key_identifier,
};
use crate::roles::{RoleKind, RoleTable};
use crate::subject::DIRECTOR_OU;
use crate::time::has_rfc5280_encoding;

/// What the lints check a certificate against.
#[derive(Clone, Debug)]
pub struct LintContext<'a> {
    /// The profile the certificate claims to follow.
    pub profile: CertificateProfile,
    /// The issuer's key identifier (None for a self-signed root).
    pub issuer_key_id: Option<&'a [u8]>,
    /// Policies that must be asserted (configuration).
    pub required_policies: &'a [ObjectIdentifier],
    /// Longest validity the policy allows, in seconds.
    pub max_validity_seconds: u64,
    /// The HPKI role table.
    pub roles: &'a RoleTable,
}

/// One failed lint.
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct Finding {
    /// Stable lint name.
    pub lint: &'static str,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.lint, self.message)
    }
}

struct Findings(Vec<Finding>);

impl Findings {
    fn check(&mut self, ok: bool, lint: &'static str, message: impl Into<String>) {
        if !ok {
            self.0.push(Finding {
                lint,
                message: message.into(),
            });
        }
    }
}

fn find(exts: &[Extension], oid: ObjectIdentifier) -> Option<&Extension> {
    exts.iter().find(|e| e.extn_id == oid)
}

fn decode<'a, T: Decode<'a>>(e: &'a Extension) -> Option<T> {
    T::from_der(e.extn_value.as_bytes()).ok()
}

/// Run every lint that applies to `ctx.profile`; an empty result means the certificate may be signed.
pub fn lint(tbs: &TbsCertificate, ctx: &LintContext<'_>) -> Vec<Finding> {
    use CertificateProfile::*;
    let mut f = Findings(Vec::new());
    let profile = ctx.profile;
    let empty = Vec::new();
    let exts = tbs.extensions.as_ref().unwrap_or(&empty);

    // RFC 5280 §4.1.2.1: extensions require v3.
    f.check(
        tbs.version == Version::V3,
        "e_version_not_v3",
        "certificate must be X.509 v3",
    );

    // RFC 5280 §4.1.2.2 + CA/B practice: positive, at most 20 octets, at least 64 bits of entropy.
    let serial = tbs.serial_number.as_bytes();
    f.check(
        serial.len() <= 20,
        "e_serial_too_long",
        "serial number exceeds 20 octets",
    );
    f.check(
        serial.len() >= 9,
        "e_serial_low_entropy",
        "serial number must carry at least 64 random bits",
    );
    f.check(
        serial.first().is_some_and(|b| b & 0x80 == 0),
        "e_serial_not_positive",
        "serial number must be positive",
    );

    // RFC 5280 §4.1.2.5.
    let nb = tbs.validity.not_before.to_unix_duration().as_secs();
    let na = tbs.validity.not_after.to_unix_duration().as_secs();
    f.check(
        nb < na,
        "e_validity_reversed",
        "notBefore must precede notAfter",
    );
    f.check(
        na.saturating_sub(nb) <= ctx.max_validity_seconds,
        "e_validity_exceeds_policy",
        format!(
            "validity of {} days exceeds the policy's {} days",
            (na - nb.min(na)) / 86400,
            ctx.max_validity_seconds / 86400
        ),
    );
    f.check(
        has_rfc5280_encoding(&tbs.validity.not_before)
            && has_rfc5280_encoding(&tbs.validity.not_after),
        "e_validity_time_encoding",
        "UTCTime through 2049, GeneralizedTime from 2050 (RFC 5280 §4.1.2.5)",
    );

    // Subject public key (MHLW HPKI CP: RSA >= 2048).
    if let Err(e) = check_subject_public_key(&tbs.subject_public_key_info) {
        f.check(false, "e_subject_key_weak", e.to_string());
    }

    // Subject: C=JP, PrintableString country and serialNumber.
    f.check(
        attribute_values(&tbs.subject, COUNTRY) == ["JP"],
        "e_subject_country_not_jp",
        "subject must contain exactly one C=JP",
    );
    f.check(
        is_printable(&tbs.subject, COUNTRY),
        "e_subject_country_not_printable",
        "countryName must be PrintableString",
    );
    f.check(
        is_printable(&tbs.subject, SERIAL_NUMBER),
        "e_subject_serial_number_not_printable",
        "serialNumber must be PrintableString (X.520)",
    );

    // No duplicate extensions (RFC 5280 §4.2).
    let mut oids: Vec<_> = exts.iter().map(|e| e.extn_id).collect();
    oids.sort();
    let n = oids.len();
    oids.dedup();
    f.check(
        oids.len() == n,
        "e_duplicate_extension",
        "an extension appears more than once",
    );

    // SKI (RFC 5280 §4.2.1.2), matching the key.
    match find(exts, SubjectKeyIdentifier::OID).and_then(decode::<SubjectKeyIdentifier>) {
        Some(ski) => f.check(
            ski.0.as_bytes() == key_identifier(&tbs.subject_public_key_info).as_slice(),
            "e_ski_mismatch",
            "subjectKeyIdentifier does not match the subject public key",
        ),
        None => f.check(false, "e_ski_missing", "subjectKeyIdentifier is required"),
    }

    // AKI (RFC 5280 §4.2.1.1): required except on a self-signed root, and must name the issuer's key.
    if profile != Root {
        let aki =
            find(exts, AuthorityKeyIdentifier::OID).and_then(decode::<AuthorityKeyIdentifier>);
        let id = aki
            .as_ref()
            .and_then(|a| a.key_identifier.as_ref())
            .map(|k| k.as_bytes().to_vec());
        f.check(
            id.is_some() && id.as_deref() == ctx.issuer_key_id,
            "e_aki_mismatch",
            "authorityKeyIdentifier must be the issuer's subjectKeyIdentifier",
        );
    }

    // keyUsage: present, critical, exactly the profile's bits.
    match find(exts, KeyUsage::OID) {
        Some(e) => {
            f.check(
                e.critical,
                "e_key_usage_not_critical",
                "keyUsage must be critical",
            );
            let ku = decode::<KeyUsage>(e);
            f.check(
                ku.as_ref().map(|k| k.0) == Some(profile.key_usage().0),
                "e_key_usage_wrong_bits",
                match profile {
                    EndEntitySigning => "signing certificates carry nonRepudiation only (HPKI CP)",
                    EndEntityAuthentication | OcspResponder | TimeStamping | TlsServer => {
                        "keyUsage must be digitalSignature only"
                    }
                    Root | IssuingCa => "CA keyUsage must be keyCertSign and cRLSign",
                },
            );
        }
        None => f.check(false, "e_key_usage_missing", "keyUsage is required"),
    }

    // basicConstraints.
    let bc = find(exts, BasicConstraints::OID);
    if profile.is_ca() {
        f.check(
            bc.is_some_and(|e| e.critical && decode::<BasicConstraints>(e).is_some_and(|b| b.ca)),
            "e_ca_basic_constraints",
            "a CA certificate needs critical basicConstraints cA=TRUE",
        );
    } else {
        f.check(
            bc.is_none_or(|e| decode::<BasicConstraints>(e).is_some_and(|b| !b.ca)),
            "e_ee_basic_constraints_ca",
            "a non-CA certificate must not assert cA=TRUE",
        );
    }

    // extendedKeyUsage.
    let eku = find(exts, ExtendedKeyUsage::OID).and_then(decode::<ExtendedKeyUsage>);
    match profile {
        EndEntitySigning => f.check(
            eku.is_none(),
            "e_sign_has_eku",
            "HPKI signing certificates carry no extendedKeyUsage",
        ),
        EndEntityAuthentication => f.check(
            eku.as_ref()
                .is_some_and(|k| k.0.contains(&ID_KP_CLIENT_AUTH)),
            "e_auth_missing_client_auth",
            "authentication certificates need id-kp-clientAuth",
        ),
        OcspResponder => {
            f.check(
                eku.as_ref().is_some_and(|k| k.0 == [ID_KP_OCSP_SIGNING]),
                "e_ocsp_missing_ocsp_signing",
                "a delegated OCSP responder needs id-kp-OCSPSigning (RFC 6960 §4.2.2.2)",
            );
            f.check(
                find(exts, ID_PKIX_OCSP_NOCHECK).is_some(),
                "e_ocsp_missing_nocheck",
                "a delegated OCSP responder needs id-pkix-ocsp-nocheck (RFC 6960 §4.2.2.2.1)",
            );
        }
        Root | IssuingCa => f.check(
            eku.is_none(),
            "e_ca_has_eku",
            "CA certificates carry no extendedKeyUsage",
        ),
        TlsServer => {
            f.check(
                eku.as_ref().is_some_and(|k| k.0 == [ID_KP_SERVER_AUTH]),
                "e_tls_server_missing_server_auth",
                "a TLS server certificate needs id-kp-serverAuth only (RFC 5280 §4.2.1.12)",
            );
            f.check(
                find(exts, SubjectAltName::OID).is_some(),
                "e_tls_server_missing_san",
                "a TLS server certificate names its hosts in subjectAltName (RFC 6125 §6.4.4)",
            );
        }
        TimeStamping => {
            let eku_exts: Vec<&Extension> = exts
                .iter()
                .filter(|e| e.extn_id == ExtendedKeyUsage::OID)
                .collect();
            f.check(
                eku_exts.len() == 1 && eku.as_ref().is_some_and(|k| k.0 == [ID_KP_TIME_STAMPING]),
                "e_tsa_eku_not_time_stamping_only",
                "a TSA certificate needs one extendedKeyUsage with id-kp-timeStamping only (RFC 3161 §2.3)",
            );
            f.check(
                eku_exts.iter().all(|e| e.critical),
                "e_tsa_eku_not_critical",
                "the extendedKeyUsage of a TSA certificate must be critical (RFC 3161 §2.3)",
            );
            f.check(
                attribute_values(&tbs.subject, COMMON_NAME).len() == 1,
                "e_tsa_subject_cn_missing",
                "a TSA certificate's subject needs one CN: it names the TSA in every token (tsa field)",
            );
        }
    }

    // certificatePolicies: the configured OIDs; critical on end entities (HPKI CP).
    if profile.is_end_entity() || profile == IssuingCa {
        let cp_ext = find(exts, CertificatePolicies::OID);
        let cp = cp_ext.and_then(decode::<CertificatePolicies>);
        let asserted: Vec<ObjectIdentifier> = cp
            .map(|c| c.0.iter().map(|p| p.policy_identifier).collect())
            .unwrap_or_default();
        for required in ctx.required_policies {
            f.check(
                asserted.contains(required),
                "e_policy_missing",
                format!("certificatePolicies must assert {required}"),
            );
        }
        if profile.is_end_entity() {
            f.check(
                cp_ext.is_some_and(|e| e.critical),
                "e_ee_policies_not_critical",
                "end-entity certificatePolicies must be critical (HPKI CP)",
            );
        }
    }

    // CRL distribution point over HTTP (issuing CA, end entities and the TSA, so that a
    // compromised TSA key can be revoked where relying parties look).
    if profile.is_end_entity() || profile == IssuingCa || profile == TimeStamping {
        let ok = find(exts, CrlDistributionPoints::OID)
            .and_then(decode::<CrlDistributionPoints>)
            .is_some_and(|dps| {
                dps.0.iter().any(|dp| {
                    matches!(&dp.distribution_point,
                        Some(x509_cert::ext::pkix::name::DistributionPointName::FullName(names))
                            if names.iter().any(|n| matches!(n, GeneralName::UniformResourceIdentifier(u) if u.as_str().starts_with("http://"))))
                })
            });
        f.check(
            ok,
            "e_crl_dp_missing",
            "a CRL distribution point with an http:// URI is required",
        );
    }

    if profile.is_end_entity() {
        // AIA with an OCSP responder.
        let ok = find(exts, AuthorityInfoAccessSyntax::OID)
            .and_then(decode::<AuthorityInfoAccessSyntax>)
            .is_some_and(|aia| {
                aia.0.iter().any(|ad| {
                    ad.access_method == ID_AD_OCSP
                        && matches!(&ad.access_location, GeneralName::UniformResourceIdentifier(u) if u.as_str().starts_with("http://"))
                })
            });
        f.check(
            ok,
            "e_aia_ocsp_missing",
            "authorityInfoAccess must name the OCSP responder over http://",
        );

        // subjectAltName directoryName with the kanji forms.
        let san = find(exts, SubjectAltName::OID).and_then(decode::<SubjectAltName>);
        let dir = san.as_ref().and_then(|s| {
            s.0.iter().find_map(|g| match g {
                GeneralName::DirectoryName(n) => Some(n.clone()),
                _ => None,
            })
        });
        match &dir {
            Some(n) => {
                f.check(
                    !attribute_values(n, COMMON_NAME).is_empty(),
                    "e_san_dirname_missing_cn",
                    "the kanji directoryName needs CN",
                );
                f.check(
                    attribute_values(n, SERIAL_NUMBER)
                        == attribute_values(&tbs.subject, SERIAL_NUMBER),
                    "e_san_dirname_serial_mismatch",
                    "the kanji directoryName must carry the subject's serialNumber",
                );
            }
            None => f.check(
                false,
                "e_san_dirname_missing",
                "subjectAltName directoryName with the kanji name is required",
            ),
        }
        f.check(
            attribute_values(&tbs.subject, SERIAL_NUMBER).len() == 1,
            "e_subject_serial_number_missing",
            "subject serialNumber (subscriber id) is required",
        );
        f.check(
            attribute_values(&tbs.subject, COMMON_NAME).len() == 1,
            "e_subject_cn_missing",
            "subject CN is required",
        );

        // subjectDirectoryAttributes with hcRole (ISO 17090-3); non-critical (RFC 5280 §4.2.1.8).
        let sda_ext = find(exts, SubjectDirectoryAttributes::OID);
        f.check(
            sda_ext.is_none_or(|e| !e.critical),
            "e_sda_critical",
            "subjectDirectoryAttributes must be non-critical",
        );
        let roles: Vec<String> = sda_ext
            .and_then(decode::<SubjectDirectoryAttributes>)
            .map(|sda| {
                sda.0
                    .iter()
                    .filter_map(|a| hpki_roles(a).ok().flatten())
                    .flatten()
                    .collect()
            })
            .unwrap_or_default();
        f.check(
            !roles.is_empty(),
            "e_hcrole_missing",
            "hcRole (1.0.17090.0.1) with an HPKI role is required",
        );
        let mut director = false;
        for role in &roles {
            match ctx.roles.find(role) {
                Some(r) if r.en == *role => director |= r.kind == RoleKind::Manager,
                _ => f.check(
                    false,
                    "e_hcrole_unknown",
                    format!("hcRole {role:?} is not in the HPKI role list"),
                ),
            }
        }
        if director {
            f.check(
                !attribute_values(&tbs.subject, ORGANIZATION).is_empty()
                    && attribute_values(&tbs.subject, ORGANIZATIONAL_UNIT)
                        .contains(&DIRECTOR_OU.to_owned()),
                "e_director_without_o_ou",
                "a manager role requires O and OU=Director in the subject (HPKI CP)",
            );
        }
    }
    f.0
}
