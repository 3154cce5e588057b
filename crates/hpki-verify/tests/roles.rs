//! The relying party's role policy: "is it a doctor?" A prescription signed with a valid HPKI
//! certificate of a nurse is not a doctor's prescription; it fails with the role as its
//! reason, in plain words, and the report does not call the document changed.

use hpki_sign::Level;
use hpki_testkit::signing_world::SigningWorld;
use hpki_verify::document::{
    self, Document, Failure, Integrity, Lang, Report, RolePolicy, TrustAnchors, Verdict,
    VerifyOptions,
};

fn verify(world: &SigningWorld, xml: &str, roles: RolePolicy) -> Report {
    let mut options = VerifyOptions::at(hpki_clock::Clock::now(&world.clock));
    options.roles = roles;
    document::verify(
        &Document::new(xml.as_bytes()),
        &TrustAnchors::new([world.root.clone()]),
        &options,
    )
}

fn prescription_signed_by(world: &SigningWorld, role: &str) -> String {
    let (key, cert) = world.professional(role).expect("certificate");
    let unsigned = hpki_sign::xades::prescription_xml(
        "0000000000000000000000000000000042",
        "1,1,4,1\r\n".as_bytes(),
    );
    hpki_sign::xades::sign_prescription(&world.context(&key, &cert), &unsigned, Level::Lt)
        .expect("signed")
}

#[test]
fn a_prescription_needs_a_doctor_or_a_dentist() {
    let world = SigningWorld::new(&std::env::temp_dir()).expect("demo CA");
    for role in ["Medical Doctor", "Dentist"] {
        let report = verify(
            &world,
            &prescription_signed_by(&world, role),
            RolePolicy::default(),
        );
        assert_eq!(
            report.overall,
            Verdict::Valid,
            "{role}: {}",
            report.to_text(Lang::En)
        );
    }
    for (role, ja) in [("Nurse", "看護師"), ("Pharmacist", "薬剤師")] {
        let report = verify(
            &world,
            &prescription_signed_by(&world, role),
            RolePolicy::default(),
        );
        assert_eq!(report.overall, Verdict::Invalid);
        let sig = &report.signatures[0];
        assert_eq!(sig.integrity, Integrity::Intact);
        assert!(
            matches!(&sig.failures[..], [Failure::RoleNotAccepted { found, .. }] if found == &[role.to_owned()]),
            "{role}: {:?}",
            sig.failures
        );
        let ja_text = report.to_text(Lang::Ja);
        assert!(
            ja_text.starts_with(
                "✘ この文書に必要な医療資格の署名ではありません（文書の改ざんは検出されていません）"
            ),
            "{ja_text}"
        );
        assert!(
            ja_text.contains(&format!(
                "資格が違います: 処方箋の署名には医師または歯科医師の証明書が必要ですが、署名者の資格は{ja}です"
            )),
            "{ja_text}"
        );
        assert!(!ja_text.contains("改ざんされています"), "{ja_text}");
    }
}

#[test]
fn the_policy_is_the_relying_partys() {
    let world = SigningWorld::new(&std::env::temp_dir()).expect("demo CA");
    // A clinic that accepts nurse-signed prescriptions (a configuration, not the default).
    let nurse = prescription_signed_by(&world, "Nurse");
    let lenient = RolePolicy {
        prescriber: vec!["Medical Doctor".into(), "Dentist".into(), "Nurse".into()],
        ..RolePolicy::default()
    };
    assert_eq!(verify(&world, &nurse, lenient).overall, Verdict::Valid);
    // Another document: any qualification by default, the ones asked for otherwise.
    let (key, cert) = world.doctor().expect("doctor");
    let letter = hpki_sign::xades::sign_enveloped(
        &world.context(&key, &cert),
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<紹介状><患者>日医 花子</患者></紹介状>\n",
        Level::Lt,
    )
    .expect("signed");
    assert_eq!(
        verify(&world, &letter, RolePolicy::default()).overall,
        Verdict::Valid
    );
    let pharmacists_only = RolePolicy {
        other: vec!["Pharmacist".into()],
        ..RolePolicy::default()
    };
    let report = verify(&world, &letter, pharmacists_only);
    assert!(
        matches!(
            &report.signatures[0].failures[..],
            [Failure::RoleNotAccepted { .. }]
        ),
        "{}",
        report.to_text(Lang::En)
    );
}
