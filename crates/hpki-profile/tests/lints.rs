//! The lints, rule by rule: a certificate built from its profile passes; each departure from
//! the profile is caught by the lint named after the rule it breaks.

use der::Decode;
use der::asn1::ObjectIdentifier;
use hpki_asn1::certificate::TbsCertificate;
use hpki_profile::lint::{LintContext, lint};
use hpki_profile::name::{NameAttribute, build_name};
use hpki_profile::profile::{CertificateProfile, PublicUrls, TbsParams, build_tbs, key_identifier};
use hpki_profile::roles::RoleTable;
use hpki_profile::subject::SubjectInput;
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use x509_cert::ext::pkix::{ExtendedKeyUsage, KeyUsage};

const POLICY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.392.100495.1.5.1.1.0.1");
const TWO_YEARS: u64 = 730 * 86_400;
const NOW: u64 = 1_790_000_000;

fn spki(file: &str) -> SubjectPublicKeyInfoOwned {
    let path = format!("{}/tests/data/{file}", env!("CARGO_MANIFEST_DIR"));
    SubjectPublicKeyInfoOwned::from_der(&std::fs::read(path).unwrap()).unwrap()
}

fn issuer_key_id() -> Vec<u8> {
    vec![7u8; 20]
}

fn sha256_with_rsa() -> AlgorithmIdentifierOwned {
    AlgorithmIdentifierOwned {
        oid: ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11"),
        parameters: Some(der::asn1::Null.into()),
    }
}

fn params(profile: CertificateProfile, subject_json: &str) -> TbsParams {
    let roles = RoleTable::hpki_default();
    let s = SubjectInput::from_json(subject_json)
        .unwrap()
        .validate(&roles)
        .unwrap();
    TbsParams {
        profile,
        serial: vec![0x41; 16],
        signature: sha256_with_rsa(),
        issuer: build_name(&[
            NameAttribute::Country("JP".into()),
            NameAttribute::Organization("Japan Medical Association".into()),
            NameAttribute::CommonName("HPKI-01-JMASignCA-forNonRepudiation".into()),
        ])
        .unwrap(),
        issuer_key_id: Some(issuer_key_id()),
        issuer_ca: "sign".into(),
        subject: s.subject_name().unwrap(),
        subject_alt_dir_name: Some(s.kanji_name().unwrap()),
        server_names: Vec::new(),
        spki: spki("rsa2048.spki.der"),
        not_before: NOW,
        not_after: NOW + TWO_YEARS,
        policies: vec![POLICY],
        cps_uri: None,
        hc_roles: s.roles_en,
        urls: PublicUrls::new("http://ca.example.jp"),
    }
}

const DOCTOR: &str = r#"{"name_romaji":"Taro Nichii","name_kanji":"日医　太郎","subscriber_id":"JMA0000001","role":"Medical Doctor"}"#;
const DIRECTOR: &str = r#"{"name_romaji":"Taro Nichii","name_kanji":"日医　太郎","subscriber_id":"JMA0000001","role":["Medical Doctor","Director of Hospital"],"organization_romaji":"Nichii Hospital","organization_kanji":"日医病院"}"#;

fn findings(tbs: &TbsCertificate, profile: CertificateProfile) -> Vec<&'static str> {
    let roles = RoleTable::hpki_default();
    let id = issuer_key_id();
    let ctx = LintContext {
        profile,
        issuer_key_id: Some(&id),
        required_policies: &[POLICY],
        max_validity_seconds: TWO_YEARS,
        roles: &roles,
    };
    lint(tbs, &ctx).into_iter().map(|f| f.lint).collect()
}

fn signing() -> TbsCertificate {
    build_tbs(&params(CertificateProfile::EndEntitySigning, DOCTOR)).unwrap()
}

fn ext_mut<'a>(tbs: &'a mut TbsCertificate, oid: &str) -> &'a mut x509_cert::ext::Extension {
    let oid = ObjectIdentifier::new_unwrap(oid);
    tbs.extensions
        .as_mut()
        .unwrap()
        .iter_mut()
        .find(|e| e.extn_id == oid)
        .unwrap()
}

fn remove_ext(tbs: &mut TbsCertificate, oid: &str) {
    let oid = ObjectIdentifier::new_unwrap(oid);
    tbs.extensions
        .as_mut()
        .unwrap()
        .retain(|e| e.extn_id != oid);
}

#[test]
fn certificates_built_from_their_profiles_pass_every_lint() {
    assert_eq!(
        findings(&signing(), CertificateProfile::EndEntitySigning),
        Vec::<&str>::new()
    );
    let auth = build_tbs(&params(CertificateProfile::EndEntityAuthentication, DOCTOR)).unwrap();
    assert_eq!(
        findings(&auth, CertificateProfile::EndEntityAuthentication),
        Vec::<&str>::new()
    );
    let dir = build_tbs(&params(CertificateProfile::EndEntitySigning, DIRECTOR)).unwrap();
    assert_eq!(
        findings(&dir, CertificateProfile::EndEntitySigning),
        Vec::<&str>::new()
    );
}

#[test]
fn signing_key_usage_must_be_critical_non_repudiation_only() {
    let mut t = signing();
    ext_mut(&mut t, "2.5.29.15").critical = false;
    assert_eq!(
        findings(&t, CertificateProfile::EndEntitySigning),
        vec!["e_key_usage_not_critical"]
    );

    let mut t = signing();
    let ku = KeyUsage(
        x509_cert::ext::pkix::KeyUsages::NonRepudiation
            | x509_cert::ext::pkix::KeyUsages::DigitalSignature,
    );
    ext_mut(&mut t, "2.5.29.15").extn_value =
        der::asn1::OctetString::new(der::Encode::to_der(&ku).unwrap()).unwrap();
    assert_eq!(
        findings(&t, CertificateProfile::EndEntitySigning),
        vec!["e_key_usage_wrong_bits"]
    );

    let mut t = signing();
    remove_ext(&mut t, "2.5.29.15");
    assert_eq!(
        findings(&t, CertificateProfile::EndEntitySigning),
        vec!["e_key_usage_missing"]
    );
}

#[test]
fn signing_certificates_carry_no_extended_key_usage() {
    let mut t = signing();
    let eku = ExtendedKeyUsage(vec![ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.4")]);
    t.extensions
        .as_mut()
        .unwrap()
        .push(x509_cert::ext::Extension {
            extn_id: ObjectIdentifier::new_unwrap("2.5.29.37"),
            critical: false,
            extn_value: der::asn1::OctetString::new(der::Encode::to_der(&eku).unwrap()).unwrap(),
        });
    assert_eq!(
        findings(&t, CertificateProfile::EndEntitySigning),
        vec!["e_sign_has_eku"]
    );
}

#[test]
fn end_entity_policies_are_critical_and_include_the_configured_oid() {
    let mut t = signing();
    ext_mut(&mut t, "2.5.29.32").critical = false;
    assert_eq!(
        findings(&t, CertificateProfile::EndEntitySigning),
        vec!["e_ee_policies_not_critical"]
    );
    let mut p = params(CertificateProfile::EndEntitySigning, DOCTOR);
    p.policies = vec![ObjectIdentifier::new_unwrap("1.2.3.4")];
    let t = build_tbs(&p).unwrap();
    assert_eq!(
        findings(&t, CertificateProfile::EndEntitySigning),
        vec!["e_policy_missing"]
    );
}

#[test]
fn hc_role_is_required_and_must_be_an_hpki_role() {
    let mut t = signing();
    remove_ext(&mut t, "2.5.29.9");
    assert_eq!(
        findings(&t, CertificateProfile::EndEntitySigning),
        vec!["e_hcrole_missing"]
    );
    let mut p = params(CertificateProfile::EndEntitySigning, DOCTOR);
    p.hc_roles = vec!["Wizard".into()];
    let t = build_tbs(&p).unwrap();
    assert_eq!(
        findings(&t, CertificateProfile::EndEntitySigning),
        vec!["e_hcrole_unknown"]
    );
}

#[test]
fn a_director_role_requires_o_and_ou_director() {
    let mut p = params(CertificateProfile::EndEntitySigning, DIRECTOR);
    p.subject = build_name(&[
        NameAttribute::Country("JP".into()),
        NameAttribute::Organization("Nichii Hospital".into()),
        NameAttribute::CommonName("Taro Nichii".into()),
        NameAttribute::SerialNumber("JMA0000001".into()),
    ])
    .unwrap();
    let t = build_tbs(&p).unwrap();
    assert_eq!(
        findings(&t, CertificateProfile::EndEntitySigning),
        vec!["e_director_without_o_ou"]
    );
}

#[test]
fn serials_validity_keys_and_names_follow_rfc_5280_and_the_cp() {
    let mut p = params(CertificateProfile::EndEntitySigning, DOCTOR);
    p.serial = vec![0x41; 4];
    assert_eq!(
        findings(
            &build_tbs(&p).unwrap(),
            CertificateProfile::EndEntitySigning
        ),
        vec!["e_serial_low_entropy"]
    );

    let mut p = params(CertificateProfile::EndEntitySigning, DOCTOR);
    p.not_after = NOW + TWO_YEARS + 86_400;
    assert_eq!(
        findings(
            &build_tbs(&p).unwrap(),
            CertificateProfile::EndEntitySigning
        ),
        vec!["e_validity_exceeds_policy"]
    );

    let mut p = params(CertificateProfile::EndEntitySigning, DOCTOR);
    p.spki = spki("rsa1024.spki.der");
    // The SKI is computed from the (weak) key, so only the key lint fires.
    assert_eq!(
        findings(
            &build_tbs(&p).unwrap(),
            CertificateProfile::EndEntitySigning
        ),
        vec!["e_subject_key_weak"]
    );

    let mut p = params(CertificateProfile::EndEntitySigning, DOCTOR);
    p.subject = build_name(&[
        NameAttribute::Country("US".into()),
        NameAttribute::CommonName("X".into()),
        NameAttribute::SerialNumber("1".into()),
    ])
    .unwrap();
    assert!(
        findings(
            &build_tbs(&p).unwrap(),
            CertificateProfile::EndEntitySigning
        )
        .contains(&"e_subject_country_not_jp")
    );
}

#[test]
fn key_identifiers_must_match() {
    let mut p = params(CertificateProfile::EndEntitySigning, DOCTOR);
    p.issuer_key_id = Some(vec![9u8; 20]);
    assert_eq!(
        findings(
            &build_tbs(&p).unwrap(),
            CertificateProfile::EndEntitySigning
        ),
        vec!["e_aki_mismatch"]
    );
    let mut t = signing();
    t.subject_public_key_info = spki("rsa1024.spki.der");
    assert!(findings(&t, CertificateProfile::EndEntitySigning).contains(&"e_ski_mismatch"));
    assert_eq!(key_identifier(&spki("rsa2048.spki.der")).len(), 20);
}

#[test]
fn an_ocsp_responder_needs_ocsp_signing_and_nocheck() {
    let mut p = params(CertificateProfile::OcspResponder, DOCTOR);
    p.subject_alt_dir_name = None;
    let mut t = build_tbs(&p).unwrap();
    assert_eq!(
        findings(&t, CertificateProfile::OcspResponder),
        Vec::<&str>::new()
    );
    remove_ext(&mut t, "1.3.6.1.5.5.7.48.1.5");
    assert_eq!(
        findings(&t, CertificateProfile::OcspResponder),
        vec!["e_ocsp_missing_nocheck"]
    );
}

#[test]
fn a_certificate_linted_against_another_profile_fails() {
    // A signing certificate presented as an authentication certificate.
    let f = findings(&signing(), CertificateProfile::EndEntityAuthentication);
    assert!(
        f.contains(&"e_key_usage_wrong_bits") && f.contains(&"e_auth_missing_client_auth"),
        "{f:?}"
    );
}

fn tsa() -> TbsCertificate {
    let mut p = params(CertificateProfile::TimeStamping, DOCTOR);
    p.subject_alt_dir_name = None;
    p.hc_roles = vec![];
    p.policies = vec![];
    p.subject = build_name(&[
        NameAttribute::Country("JP".into()),
        NameAttribute::Organization("Japan Medical Association".into()),
        NameAttribute::CommonName("JMA HPKI Time-Stamping Authority".into()),
    ])
    .unwrap();
    build_tbs(&p).unwrap()
}

fn set_eku(tbs: &mut TbsCertificate, oids: &[&str], critical: bool) {
    let eku = ExtendedKeyUsage(
        oids.iter()
            .map(|o| ObjectIdentifier::new_unwrap(o))
            .collect(),
    );
    let ext = ext_mut(tbs, "2.5.29.37");
    ext.critical = critical;
    ext.extn_value = der::asn1::OctetString::new(der::Encode::to_der(&eku).unwrap()).unwrap();
}

/// RFC 3161 §2.3: one extendedKeyUsage, id-kp-timeStamping only, critical; keyUsage
/// digitalSignature; a CRL distribution point; a CN naming the TSA.
#[test]
fn a_tsa_certificate_has_the_sole_critical_time_stamping_eku() {
    let t = tsa();
    assert_eq!(
        findings(&t, CertificateProfile::TimeStamping),
        Vec::<&str>::new()
    );
    let eku = t
        .extensions
        .as_ref()
        .unwrap()
        .iter()
        .find(|e| e.extn_id == ObjectIdentifier::new_unwrap("2.5.29.37"))
        .unwrap();
    assert!(eku.critical);

    let mut t = tsa();
    set_eku(&mut t, &["1.3.6.1.5.5.7.3.8"], false);
    assert_eq!(
        findings(&t, CertificateProfile::TimeStamping),
        vec!["e_tsa_eku_not_critical"]
    );
    let mut t = tsa();
    set_eku(&mut t, &["1.3.6.1.5.5.7.3.8", "1.3.6.1.5.5.7.3.4"], true);
    assert_eq!(
        findings(&t, CertificateProfile::TimeStamping),
        vec!["e_tsa_eku_not_time_stamping_only"]
    );
    let mut t = tsa();
    remove_ext(&mut t, "2.5.29.37");
    assert_eq!(
        findings(&t, CertificateProfile::TimeStamping),
        vec!["e_tsa_eku_not_time_stamping_only"]
    );
    let mut t = tsa();
    let ku = KeyUsage(x509_cert::ext::pkix::KeyUsages::KeyCertSign.into());
    ext_mut(&mut t, "2.5.29.15").extn_value =
        der::asn1::OctetString::new(der::Encode::to_der(&ku).unwrap()).unwrap();
    assert_eq!(
        findings(&t, CertificateProfile::TimeStamping),
        vec!["e_key_usage_wrong_bits"]
    );
    let mut t = tsa();
    remove_ext(&mut t, "2.5.29.31");
    assert_eq!(
        findings(&t, CertificateProfile::TimeStamping),
        vec!["e_crl_dp_missing"]
    );
    let mut p = params(CertificateProfile::TimeStamping, DOCTOR);
    p.subject = build_name(&[NameAttribute::Country("JP".into())]).unwrap();
    assert_eq!(
        findings(&build_tbs(&p).unwrap(), CertificateProfile::TimeStamping),
        vec!["e_tsa_subject_cn_missing"]
    );
    // A signing certificate is no TSA certificate.
    assert!(
        findings(&signing(), CertificateProfile::TimeStamping)
            .contains(&"e_tsa_eku_not_time_stamping_only")
    );
}
