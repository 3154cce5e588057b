//! Path validation, revocation and hcRole on certificates made by hpki's own CA engine.

mod common;

use hpki_text::Localized;
use std::time::{Duration, SystemTime};

use common::*;
use hpki_verify::{
    PathError, PathOptions, RevocationData, RevocationScope, RevocationStatus, StatusSource,
    Subscriber, check_revocation, hc_roles, validate_path,
};
use x509_cert::Certificate;
use x509_cert::ext::pkix::CrlReason;

const DAY: Duration = Duration::from_secs(86_400);

/// Now, by the fixture CA's clock (it stands still; the fixture moved it past its revocation).
fn now() -> SystemTime {
    hpki_clock::Clock::now(&fixture().clock)
}

/// Validation at `at` for any policy: the demo hierarchy is built as the real MHLW chain
/// (the issuing CA asserts its own CA policy, the doctor's certificate the HPKI CP OID), so a
/// path is valid without a valid RFC 5280 policy, and relying parties check the end entity's
/// OID ([`hpki_verify::end_entity_policy`]).
fn sign_options(at: SystemTime) -> PathOptions {
    PathOptions::at(at)
}

/// RFC 5280 validation with the HPKI signing policy explicit.
fn strict_sign_options(at: SystemTime) -> PathOptions {
    PathOptions::requiring_policies(at, &[oid(SIGN_POLICY)])
}

fn validate(
    leaf: &Certificate,
    options: &PathOptions,
) -> Result<hpki_verify::ValidPath, PathError> {
    let f = fixture();
    validate_path(
        leaf,
        &[f.sign_ca.clone(), f.auth_ca.clone()],
        std::slice::from_ref(&f.root),
        options,
    )
}

#[test]
fn signing_certificate_is_built_as_on_the_real_mhlw_chain() {
    let f = fixture();
    let path = validate(&f.leaf, &sign_options(now())).expect("valid");
    assert_eq!(path.certificates.len(), 3);
    assert_eq!(path.leaf(), &f.leaf);
    assert_eq!(path.certificates[1], f.sign_ca);
    assert_eq!(path.trust_anchor(), &f.root);
    // The doctor's certificate asserts the HPKI signing policy, the signing CA only its own CA
    // policy (as MEDIS's signing CA in the real sample documents): no RFC 5280 policy is valid
    // for the path, and with the signing policy explicit the path is refused — as openssl
    // does (openssl_agreement.rs) and as for every real HPKI path.
    use hpki_verify::end_entity_policy::asserted_policies;
    assert_eq!(asserted_policies(&f.leaf), vec![oid(SIGN_POLICY)]);
    assert_eq!(asserted_policies(&f.sign_ca), vec![oid(SIGN_CA_POLICY)]);
    assert!(path.valid_policies.is_empty());
    assert!(matches!(
        validate(&f.leaf, &strict_sign_options(now())),
        Err(PathError::NoValidPolicy { .. })
    ));
    // The leaf's certificatePolicies extension is critical, as HPKI requires, and accepted.
    let policies = f
        .leaf
        .tbs_certificate()
        .extensions()
        .unwrap()
        .iter()
        .find(|x| x.extn_id == oid("2.5.29.32"))
        .unwrap();
    assert!(policies.critical);
}

#[test]
fn each_leaf_asserts_its_own_hpki_policy() {
    use hpki_verify::end_entity_policy::asserted_policies;
    let f = fixture();
    let path = validate(&f.leaf, &PathOptions::at(now())).expect("valid");
    assert_eq!(asserted_policies(path.leaf()), vec![oid(SIGN_POLICY)]);
    let auth = validate(&f.auth_leaf, &PathOptions::at(now())).expect("valid");
    assert_eq!(auth.certificates[1], f.auth_ca);
    assert_eq!(asserted_policies(auth.leaf()), vec![oid(AUTH_POLICY)]);
}

#[test]
fn wrong_policy_with_explicit_policy_is_no_valid_policy() {
    let f = fixture();
    let err = validate(&f.auth_leaf, &strict_sign_options(now())).unwrap_err();
    assert!(
        matches!(&err, PathError::NoValidPolicy { acceptable, .. } if acceptable == &vec![oid(SIGN_POLICY)]),
        "{err:?}"
    );
    let msg = err.text();
    assert!(
        msg.en.contains(SIGN_POLICY) && msg.ja.contains(SIGN_POLICY) && msg.ja.contains("ポリシー"),
        "{msg:?}"
    );
    let err = validate(
        &f.leaf,
        &PathOptions::requiring_policies(now(), &[oid("1.2.3.4")]),
    )
    .unwrap_err();
    assert!(matches!(err, PathError::NoValidPolicy { .. }), "{err:?}");
}

#[test]
fn wrong_policy_without_explicit_policy_is_valid_with_no_policy() {
    // RFC 5280 §6.1.5: with explicit_policy > 0 an empty valid policy tree is not a failure;
    // the output policy set is empty (openssl agrees: see openssl_agreement.rs).
    let f = fixture();
    let options = PathOptions {
        initial_policy_set: vec![oid("1.2.3.4")],
        ..PathOptions::at(now())
    };
    let path = validate(&f.leaf, &options).expect("valid without a policy");
    assert!(path.valid_policies.is_empty());
}

#[test]
fn certificate_without_policies_fails_only_when_a_policy_is_required() {
    let f = fixture();
    let leaf = f.variant("no-policies");
    assert!(validate(leaf, &PathOptions::at(now())).is_ok());
    let err = validate(leaf, &strict_sign_options(now())).unwrap_err();
    assert!(
        matches!(err, PathError::NoValidPolicy { index: 0, .. }),
        "{err:?}"
    );
}

#[test]
fn expired_after_not_after() {
    let f = fixture();
    let at = not_after(&f.leaf) + DAY;
    let err = validate(&f.leaf, &sign_options(at)).unwrap_err();
    assert_eq!(
        err,
        PathError::Expired {
            index: 0,
            subject: f.leaf.tbs_certificate().subject().to_string(),
            not_after: not_after(&f.leaf),
        }
    );
    assert!(err.text().ja.contains("有効期限"), "{err}");
    assert!(err.to_string().contains("expired"), "{err}");
    // One second after notAfter is already too late; notAfter itself is still valid.
    assert!(validate(&f.leaf, &sign_options(not_after(&f.leaf))).is_ok());
    assert!(
        validate(
            &f.leaf,
            &sign_options(not_after(&f.leaf) + Duration::from_secs(1))
        )
        .is_err()
    );
}

#[test]
fn a_path_validated_before_is_valid_again_only_inside_every_validity_period_and_policy() {
    // hpki_verify::memo keeps validated paths; what it answers must be what validating again
    // would: the memo is emptied first, and after a success at a time inside the validity
    // periods, other times and other policy inputs are still decided on their own.
    hpki_verify::memo::forget();
    let f = fixture();
    let inside = not_before(&f.leaf) + DAY;
    let path = validate(&f.leaf, &sign_options(inside)).expect("valid");
    // Another time inside: the same answer, the validation time of the call.
    let later = not_after(&f.leaf) - DAY;
    let again = validate(&f.leaf, &sign_options(later)).expect("valid again");
    assert_eq!(again.valid_policies, path.valid_policies);
    assert_eq!(again.at, later);
    // Outside: the precise failures.
    assert!(matches!(
        validate(
            &f.leaf,
            &sign_options(not_after(&f.leaf) + Duration::from_secs(1))
        ),
        Err(PathError::Expired { index: 0, .. })
    ));
    assert!(matches!(
        validate(
            &f.leaf,
            &sign_options(not_before(&f.leaf) - Duration::from_secs(1))
        ),
        Err(PathError::NotYetValid { index: 0, .. })
    ));
    // Other policy inputs over the same certificates are not the path validated before.
    let auth = PathOptions::requiring_policies(inside, &[oid(AUTH_POLICY)]);
    assert!(matches!(
        validate(&f.leaf, &auth),
        Err(PathError::NoValidPolicy { .. })
    ));
    assert!(matches!(
        validate(&f.leaf, &strict_sign_options(inside)),
        Err(PathError::NoValidPolicy { .. })
    ));
    let any = validate(&f.leaf, &PathOptions::at(inside)).expect("valid for any policy");
    assert_eq!(any.valid_policies, path.valid_policies);
    // A changed byte is another path.
    let mut der = der::Encode::to_der(&f.leaf).unwrap();
    let last = der.len() - 1;
    der[last] ^= 0x01;
    let tampered: Certificate = der::Decode::from_der(&der).unwrap();
    assert!(matches!(
        validate(&tampered, &sign_options(inside)),
        Err(PathError::BadSignature { index: 0, .. })
    ));
}

#[test]
fn not_yet_valid_before_not_before() {
    let f = fixture();
    let err = validate(&f.leaf, &sign_options(not_before(&f.leaf) - DAY)).unwrap_err();
    assert!(
        matches!(err, PathError::NotYetValid { index: 0, not_before: nb, .. } if nb == not_before(&f.leaf)),
        "{err:?}"
    );
}

#[test]
fn intermediate_expiry_names_the_intermediate() {
    let f = fixture();
    // A leaf that outlives its CA (the CA's key signed it): after the CA's notAfter, the CA is
    // the certificate at fault.
    let at = not_after(&f.sign_ca) + DAY;
    let err = validate(f.variant("outlives-ca"), &sign_options(at)).unwrap_err();
    assert!(
        matches!(&err, PathError::Expired { index: 1, not_after: na, .. } if *na == not_after(&f.sign_ca)),
        "{err:?}"
    );
    // The ordinary leaf has expired long before.
    let err = validate(&f.leaf, &sign_options(at)).unwrap_err();
    assert!(
        matches!(err, PathError::Expired { index: 0, .. }),
        "{err:?}"
    );
}

#[test]
fn wrong_root_is_untrusted() {
    let f = fixture();
    // Same names, other keys: the key identifiers tell the roots apart, so no path is built.
    let err = validate_path(
        &f.leaf,
        std::slice::from_ref(&f.sign_ca),
        std::slice::from_ref(&f.other_root),
        &sign_options(now()),
    )
    .unwrap_err();
    assert!(matches!(err, PathError::UntrustedRoot { .. }), "{err:?}");
    // The other hierarchy's issuing CA with our root: the key identifiers differ again.
    let err = validate_path(
        &f.leaf,
        std::slice::from_ref(&f.other_sign_ca),
        std::slice::from_ref(&f.root),
        &sign_options(now()),
    )
    .unwrap_err();
    assert!(matches!(err, PathError::UntrustedRoot { .. }), "{err:?}");
    // Without the intermediate there is no path either.
    let err = validate_path(
        &f.leaf,
        &[],
        std::slice::from_ref(&f.root),
        &sign_options(now()),
    )
    .unwrap_err();
    assert!(
        matches!(&err, PathError::UntrustedRoot { issuer, .. } if issuer.contains("JMASignCA")),
        "{err:?}"
    );
}

#[test]
fn tampered_signature_and_tampered_contents_are_bad_signatures() {
    let f = fixture();
    let mut der = der::Encode::to_der(&f.leaf).unwrap();
    let last = der.len() - 1;
    der[last] ^= 0x01;
    let tampered: Certificate = der::Decode::from_der(&der).unwrap();
    let err = validate(&tampered, &sign_options(now())).unwrap_err();
    assert!(
        matches!(err, PathError::BadSignature { index: 0, .. }),
        "{err:?}"
    );

    // A changed subject serialNumber (JMA0000001 → JMA0000009) under the original signature.
    let mut der = der::Encode::to_der(&f.leaf).unwrap();
    let at = der
        .windows(10)
        .position(|w| w == b"JMA0000001")
        .expect("serialNumber in the DER");
    der[at + 9] = b'9';
    let tampered: Certificate = der::Decode::from_der(&der).unwrap();
    let err = validate(&tampered, &sign_options(now())).unwrap_err();
    assert!(
        matches!(err, PathError::BadSignature { index: 0, .. }),
        "{err:?}"
    );

    // A tampered intermediate is named as such.
    let mut der = der::Encode::to_der(&f.sign_ca).unwrap();
    let last = der.len() - 1;
    der[last] ^= 0x01;
    let ca: Certificate = der::Decode::from_der(&der).unwrap();
    let err = validate_path(
        &f.leaf,
        &[ca],
        std::slice::from_ref(&f.root),
        &sign_options(now()),
    )
    .unwrap_err();
    assert!(
        matches!(err, PathError::BadSignature { index: 1, .. }),
        "{err:?}"
    );
}

#[test]
fn leaf_used_as_a_ca_is_not_a_ca() {
    let f = fixture();
    let err = validate_path(
        &f.issued_by_leaf,
        &[f.leaf.clone(), f.sign_ca.clone()],
        std::slice::from_ref(&f.root),
        &PathOptions::at(now()),
    )
    .unwrap_err();
    assert!(
        matches!(&err, PathError::NotACa { index: 1, subject } if subject.contains("Taro Nichii")),
        "{err:?}"
    );
}

#[test]
fn unknown_critical_extension_is_refused_and_critical_sda_accepted() {
    let f = fixture();
    let err = validate(f.variant("unknown-critical"), &sign_options(now())).unwrap_err();
    assert!(
        matches!(&err, PathError::UnknownCriticalExtension { index: 0, oid: o, .. } if *o == oid("1.2.3.4.5.6.7")),
        "{err:?}"
    );
    // subjectDirectoryAttributes is processed (hcRole), so a critical one is accepted…
    let sda = f.variant("critical-sda");
    validate(sda, &sign_options(now())).expect("critical SDA accepted");
    // …unless the caller says it does not process it.
    let options = PathOptions {
        understood_critical_extensions: vec![],
        ..sign_options(now())
    };
    let err = validate(sda, &options).unwrap_err();
    assert!(
        matches!(&err, PathError::UnknownCriticalExtension { oid: o, .. } if *o == oid("2.5.29.9")),
        "{err:?}"
    );
}

#[test]
fn intermediates_in_any_order_with_extras() {
    let f = fixture();
    let path = validate_path(
        &f.leaf,
        &[
            f.other_sign_ca.clone(),
            f.auth_ca.clone(),
            f.root.clone(),
            f.sign_ca.clone(),
        ],
        &[f.other_root.clone(), f.root.clone()],
        &sign_options(now()),
    )
    .expect("valid");
    assert_eq!(
        path.certificates,
        vec![f.leaf.clone(), f.sign_ca.clone(), f.root.clone()]
    );
}

fn crl_data(crls: &[&[u8]]) -> RevocationData {
    RevocationData {
        crls: crls.iter().map(|c| c.to_vec()).collect(),
        ..Default::default()
    }
}

#[test]
fn crl_good_and_revoked_around_the_revocation_time() {
    let f = fixture();
    let after_revocation = f.revoked_at + Duration::from_secs(1);
    let path = validate(&f.revoked, &sign_options(after_revocation)).unwrap();
    let data = crl_data(&[&f.crl_before, &f.crl_after, &f.root_crl]);

    // After the revocation: revoked, with date and reason, from the second CRL.
    let report = check_revocation(&path, &data, after_revocation);
    match &report.leaf().status {
        RevocationStatus::Revoked { revocation, source } => {
            assert_eq!(revocation.revoked_at, f.revoked_at);
            assert_eq!(revocation.reason, Some(CrlReason::KeyCompromise));
            assert!(
                matches!(source, StatusSource::Crl { number: Some(n), .. } if n == "2"),
                "{source:?}"
            );
        }
        other => panic!("{other:?}"),
    }
    let err = report.require(RevocationScope::RevokedOnly).unwrap_err();
    assert!(
        matches!(&err, PathError::Revoked { index: 0, reason: Some(r), .. } if r == "keyCompromise"),
        "{err:?}"
    );
    assert!(err.text().ja.contains("失効"), "{err}");
    // The issuing CA is good by the root's CRL.
    assert!(matches!(
        report.certificates[1].status,
        RevocationStatus::Good { .. }
    ));

    // Before the revocation (just after issuance): good — by the first CRL, which was current,
    // and the later one shows the revocation came afterwards.
    let before = f.revoked_issued_at;
    let path = validate(&f.revoked, &sign_options(before)).unwrap();
    let report = check_revocation(&path, &data, before);
    match &report.leaf().status {
        RevocationStatus::Good {
            later_revocation: Some(r),
            ..
        } => assert_eq!(r.revoked_at, f.revoked_at),
        other => panic!("{other:?}"),
    }
    report.require(RevocationScope::All).unwrap();

    // Only the later CRL (as a long-term signature would carry): still good at `before`.
    let report = check_revocation(&path, &crl_data(&[&f.crl_after]), before);
    assert!(
        matches!(report.leaf().status, RevocationStatus::Good { .. }),
        "{:?}",
        report.leaf()
    );
    // The good leaf is good by either CRL.
    let path = validate(&f.leaf, &sign_options(after_revocation)).unwrap();
    let report = check_revocation(&path, &data, after_revocation);
    assert!(matches!(
        report.leaf().status,
        RevocationStatus::Good { .. }
    ));
}

#[test]
fn stale_crl_gives_unknown_status() {
    let f = fixture();
    // The demo CRLs are valid 48 hours: three days later they are stale.
    let later = now() + 3 * DAY;
    let path = validate(&f.leaf, &sign_options(later)).unwrap();
    let report = check_revocation(&path, &crl_data(&[&f.crl_after]), later);
    match &report.leaf().status {
        RevocationStatus::Unknown { reasons } => {
            assert!(
                reasons.iter().any(|r| matches!(
                    r.problem,
                    hpki_verify::revocation::RevocationProblem::Stale { .. }
                )),
                "{reasons:?}"
            )
        }
        other => panic!("{other:?}"),
    }
    let err = report.require(RevocationScope::Leaf).unwrap_err();
    assert!(
        matches!(err, PathError::RevocationUnknown { index: 0, .. }),
        "{err:?}"
    );
    report.require(RevocationScope::RevokedOnly).unwrap();
}

#[test]
fn crl_of_another_ca_or_tampered_does_not_count() {
    let f = fixture();
    let path = validate(&f.revoked, &sign_options(now())).unwrap();
    // The root's CRL is about the issuing CAs only.
    let report = check_revocation(&path, &crl_data(&[&f.root_crl]), now());
    assert!(matches!(
        &report.leaf().status,
        RevocationStatus::Unknown { reasons } if reasons.is_empty()
    ));
    // A CRL whose signature was tampered with is not used (and says why).
    let mut bad = f.crl_after.clone();
    let last = bad.len() - 1;
    bad[last] ^= 0x01;
    let report = check_revocation(&path, &crl_data(&[&bad]), now());
    match &report.leaf().status {
        RevocationStatus::Unknown { reasons } => {
            assert!(
                reasons.iter().any(|r| r.text().en.contains("signature")),
                "{reasons:?}"
            )
        }
        other => panic!("{other:?}"),
    }
    // Garbage is reported as unreadable.
    let report = check_revocation(&path, &crl_data(&[b"not a CRL"]), now());
    assert_eq!(report.unreadable.len(), 1);
}

#[test]
fn ocsp_good_and_revoked_from_the_delegated_responder() {
    let f = fixture();
    let at = now();
    let path = validate(&f.leaf, &sign_options(at)).unwrap();
    let data = RevocationData {
        crls: vec![],
        ocsp_responses: vec![f.ocsp_leaf_good.clone(), f.ocsp_revoked_after.clone()],
        ..Default::default()
    };
    let report = check_revocation(&path, &data, at);
    match &report.leaf().status {
        RevocationStatus::Good { source, .. } => assert!(
            matches!(source, StatusSource::Ocsp { responder: hpki_verify::Responder::Delegated { subject }, .. } if subject.contains("OCSP")),
            "{source:?}"
        ),
        other => panic!("{other:?}"),
    }
    let path = validate(&f.revoked, &sign_options(at)).unwrap();
    let report = check_revocation(&path, &data, at);
    match &report.leaf().status {
        RevocationStatus::Revoked { revocation, source } => {
            assert_eq!(revocation.revoked_at, f.revoked_at);
            assert_eq!(revocation.reason, Some(CrlReason::KeyCompromise));
            assert!(matches!(source, StatusSource::Ocsp { .. }));
        }
        other => panic!("{other:?}"),
    }
    // The response from before the revocation says good, and is current: but the newer
    // response's revocation wins.
    let both = RevocationData {
        crls: vec![],
        ocsp_responses: vec![f.ocsp_revoked_before.clone(), f.ocsp_revoked_after.clone()],
        ..Default::default()
    };
    assert!(matches!(
        check_revocation(&path, &both, at).leaf().status,
        RevocationStatus::Revoked { .. }
    ));
    // At issuance time, only the earlier response: good.
    let early = f.revoked_issued_at;
    let path = validate(&f.revoked, &sign_options(early)).unwrap();
    let only_before = RevocationData {
        crls: vec![],
        ocsp_responses: vec![f.ocsp_revoked_before.clone()],
        ..Default::default()
    };
    assert!(matches!(
        check_revocation(&path, &only_before, early).leaf().status,
        RevocationStatus::Good { .. }
    ));
}

#[test]
fn ocsp_answer_from_a_responder_of_another_ca_is_refused() {
    let f = fixture();
    let path = validate(&f.leaf, &sign_options(now())).unwrap();
    let report = check_revocation(
        &path,
        &RevocationData {
            crls: vec![],
            ocsp_responses: vec![f.ocsp_forged.clone()],
            ..Default::default()
        },
        now(),
    );
    // RFC 6960 §4.2.2.2: a delegated responder must be certified by the certificate's issuer;
    // this one is certified by a CA of the same name with another key.
    match &report.leaf().status {
        RevocationStatus::Unknown { reasons } => assert!(
            reasons.iter().any(|r| matches!(
                &r.problem,
                hpki_verify::revocation::RevocationProblem::UnauthorisedResponder {
                    why: hpki_verify::revocation::ResponderFault::NotIssuedByTheIssuer,
                    ..
                }
            )),
            "{reasons:?}"
        ),
        other => panic!("{other:?}"),
    }
}

#[test]
fn tampered_ocsp_response_is_not_used() {
    let f = fixture();
    let path = validate_path(
        &f.leaf,
        std::slice::from_ref(&f.sign_ca),
        std::slice::from_ref(&f.root),
        &PathOptions::at(now()),
    )
    .unwrap();
    // The response's own signature, one bit flipped.
    let response =
        <hpki_asn1::ocsp::OcspResponse as der::Decode>::from_der(&f.ocsp_leaf_good).unwrap();
    let mut basic = hpki_asn1::ocsp::BasicOcspResponse::from_response(&response).unwrap();
    let mut sig = basic.signature.raw_bytes().to_vec();
    sig[10] ^= 0x01;
    basic.signature = der::asn1::BitString::from_bytes(&sig).unwrap();
    let bad =
        der::Encode::to_der(&hpki_asn1::ocsp::OcspResponse::successful(&basic).unwrap()).unwrap();
    let report = check_revocation(
        &path,
        &RevocationData {
            crls: vec![],
            ocsp_responses: vec![bad],
            ..Default::default()
        },
        now(),
    );
    match &report.leaf().status {
        RevocationStatus::Unknown { reasons } => {
            assert!(
                reasons.iter().any(|r| r.text().en.contains("signature")),
                "{reasons:?}"
            )
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn hc_role_is_medical_doctor_and_subscriber_is_read() {
    let f = fixture();
    let roles = hc_roles(&f.leaf).unwrap();
    assert_eq!(roles.len(), 1);
    assert_eq!(roles[0].role, "Medical Doctor");
    assert_eq!(roles[0].role_ja.as_deref(), Some("医師"));
    assert!(roles[0].is_hpki());

    let s = Subscriber::from_certificate(&f.leaf).unwrap();
    assert_eq!(s.name_romaji.as_deref(), Some("Taro Nichii"));
    assert_eq!(s.name_kanji.as_deref(), Some("日医　太郎"));
    assert_eq!(s.subscriber_id.as_deref(), Some("JMA0000001"));
    assert_eq!(s.organization.as_deref(), Some("Nichii Hospital"));
    assert_eq!(s.organization_kanji.as_deref(), Some("日医病院"));

    let d = Subscriber::from_certificate(&f.director).unwrap();
    let mut roles: Vec<String> = d.roles.iter().map(|r| r.to_string()).collect();
    roles.sort();
    assert_eq!(
        roles,
        vec!["Director of Hospital (病院長)", "Medical Doctor (医師)"]
    );
    assert_eq!(d.organizational_unit.as_deref(), Some("Director"));
    // CA certificates carry no hcRole.
    assert!(hc_roles(&f.sign_ca).unwrap().is_empty());
}
