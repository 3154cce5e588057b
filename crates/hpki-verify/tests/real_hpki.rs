//! Real HPKI documents made by other software: an e-prescription and a dispensing result
//! signed with MEDIS HPKI test cards under the MHLW HPKI Root CA V2 and time-stamped by a test
//! TSA (`tests/data/real-hpki/`, from MediSignVerifier's test resources; see its SOURCE.md).
//! They verify as their makers say, at the times they give and with only the data they
//! embed; a changed byte of what a signature covers is tampering, a changed byte of the
//! unsigned management data is not (and the report says it is not signed).

use std::path::PathBuf;

use hpki_verify::document::{
    self, Document, Failure, Integrity, Lang, Level, MedicalKind, Report, SignatoryReport,
    TrustAnchors, Verdict, VerifyOptions,
};

fn data(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/real-hpki")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn trust() -> TrustAnchors {
    TrustAnchors::new(hpki_verify::input::certificates(&data("trust.pem")).expect("trust.pem"))
}

/// Verification at `date` (midnight UTC), only with what the document embeds.
fn verify_at(file: &[u8], date: &str) -> Report {
    let at = time::Date::parse(date, &time::format_description::well_known::Iso8601::DATE)
        .expect("date")
        .midnight()
        .assume_utc();
    let options = VerifyOptions::at(at.into());
    document::verify(&Document::new(file), &trust(), &options)
}

fn text(r: &Report) -> String {
    r.to_text(Lang::Ja)
}

/// `file` with the byte right after `after` (the start of an element's text) changed to
/// another base64 letter.
fn changed(file: &[u8], after: &str) -> Vec<u8> {
    let at = file
        .windows(after.len())
        .position(|w| w == after.as_bytes())
        .unwrap_or_else(|| panic!("{after} not found"))
        + after.len();
    let mut out = file.to_vec();
    out[at] = if out[at] == b'A' { b'B' } else { b'A' };
    out
}

#[test]
fn the_medis_e_prescription_is_a_doctors_valid_b_lt_signature() {
    let file = data("Prescription-004_01.xml");
    let report = verify_at(&file, "2022-09-08");
    assert_eq!(report.overall, Verdict::Valid, "{}", text(&report));
    let medical = report.medical.as_ref().expect("an e-prescription");
    assert_eq!(
        (
            medical.kind,
            medical.version.as_str(),
            medical.document_id.as_str()
        ),
        (
            MedicalKind::Prescription,
            "EPS1.0",
            "1439e0c5-7c1d-4512-861d-263de48417bf"
        )
    );
    let [sig] = &report.signatures[..] else {
        panic!("one signature: {}", text(&report))
    };
    assert_eq!(sig.level, Some(Level::Lt));
    assert_eq!(sig.signatory, Some(SignatoryReport::Prescriber));
    assert_eq!(sig.integrity, Integrity::Intact);
    let signer = sig.signer.as_ref().expect("signer");
    assert_eq!(signer.name_kanji.as_deref(), Some("神楽坂　三十四"));
    assert_eq!(signer.name_romaji.as_deref(), Some("Sanjushi Kagurazaka"));
    assert_eq!(signer.subscriber_id.as_deref(), Some("Test117120"));
    assert_eq!(
        signer.organization_kanji.as_deref(),
        Some("医療情報大学病院")
    );
    assert_eq!(signer.roles[0].role, "Medical Doctor");
    // 2022-09-07 17:18:25 JST, proven by TimeStampServer01.
    assert_eq!(
        sig.proven_signing_time.map(hpki_verify::time::display),
        Some("2022-09-07T08:18:25Z".to_owned())
    );
    assert_eq!(sig.tsa.as_deref(), Some("TimeStampServer01"));
    let out = text(&report);
    assert!(
        out.contains("✔ 有効な署名です") && out.contains("処方医"),
        "{out}"
    );
    assert!(
        out.contains("処方箋ID 1439e0c5-7c1d-4512-861d-263de48417bf（署名の対象外）"),
        "{out}"
    );
    assert!(
        !out.contains("hcRole"),
        "jargon in the Japanese report: {out}"
    );
}

#[test]
fn a_changed_byte_of_the_prescription_is_tampering_and_of_its_id_is_not() {
    let file = data("Prescription-004_01.xml");
    // The CSV of the prescription (base64 in PrescriptionDocument): signed.
    let tampered = changed(&file, "<PrescriptionDocument id=\"PrescriptionDocument\">");
    let report = verify_at(&tampered, "2022-09-08");
    assert_eq!(report.overall, Verdict::Invalid);
    assert!(
        report.signatures[0]
            .failures
            .iter()
            .any(|f| matches!(f, Failure::Tampered { .. })),
        "{}",
        text(&report)
    );
    assert!(
        text(&report).starts_with("✘ 改ざんされています"),
        "{}",
        text(&report)
    );
    // The prescription ID (PrescriptionManagement): not signed, so the signature stays valid,
    // and the report says the ID shown is not covered.
    let id_changed = changed(&file, "<PrescriptionId Value=\"");
    let report = verify_at(&id_changed, "2022-09-08");
    assert_eq!(report.overall, Verdict::Valid, "{}", text(&report));
    let medical = report.medical.as_ref().expect("e-prescription");
    assert_eq!(medical.document_id, "A439e0c5-7c1d-4512-861d-263de48417bf");
    assert!(text(&report).contains("（署名の対象外）"));
}

#[test]
fn the_medis_dispensing_result_holds_the_doctors_and_the_pharmacists_signatures() {
    let file = data("Dispensing-005_03.xml");
    let report = verify_at(&file, "2022-10-01");
    let out = text(&report);
    let medical = report.medical.as_ref().expect("a dispensing result");
    assert_eq!(medical.kind, MedicalKind::Dispensing);
    assert_eq!(medical.version, "EPD1.0");
    assert_eq!(
        medical.prescription_id.as_deref(),
        Some("1439e0c5-7c1d-4512-861d-263de48417bf")
    );
    let [doctor, pharmacist] = &report.signatures[..] else {
        panic!("two signatures: {out}")
    };
    // The prescriber's, ES-XL (B-LT), over the prescription.
    assert_eq!(doctor.signatory, Some(SignatoryReport::Prescriber));
    assert_eq!(doctor.label.as_deref(), Some("PrescriptionSign"));
    assert_eq!(doctor.structure_level, Level::Lt);
    assert_eq!(doctor.integrity, Integrity::Intact);
    assert_eq!(
        doctor.signer.as_ref().unwrap().roles[0].role,
        "Medical Doctor"
    );
    assert_eq!(doctor.verdict, Verdict::Valid, "{out}");
    // The pharmacist's, ES-A (B-LTA), over the dispensing part (which holds the prescription
    // and the doctor's signature).
    assert_eq!(pharmacist.signatory, Some(SignatoryReport::Dispenser));
    assert_eq!(pharmacist.structure_level, Level::Lta);
    assert_eq!(pharmacist.integrity, Integrity::Intact);
    let signer = pharmacist.signer.as_ref().unwrap();
    assert_eq!(signer.name_kanji.as_deref(), Some("神楽坂　四十"));
    assert_eq!(signer.roles[0].role, "Pharmacist");
    assert!(
        pharmacist
            .time_stamps
            .iter()
            .any(|t| t.kind == document::TimeStampKind::Signature && t.valid),
        "{out}"
    );
    assert!(
        pharmacist
            .time_stamps
            .iter()
            .any(|t| t.kind == document::TimeStampKind::Archive),
        "{out}"
    );
    // MediSignVerifier calls the archive time-stamp indeterminate; hpki finds its TSA's status
    // in the TSA CA's CRL the document carries (see SOURCE.md, "In hpki's tests").
    assert_eq!(pharmacist.verdict, Verdict::Valid, "{out}");
    assert_eq!(pharmacist.level, Some(Level::Lta), "{out}");
    assert_eq!(report.overall, Verdict::Valid, "{out}");
    assert!(
        out.contains("署名 1/2") && out.contains("署名 2/2"),
        "{out}"
    );
    assert!(out.contains("調剤した薬剤師"), "{out}");
}

#[test]
fn a_changed_dispensing_byte_breaks_the_pharmacist_only_and_a_changed_prescription_both() {
    let file = data("Dispensing-005_03.xml");
    let tampered_result = changed(&file, "<DispensingDocument id=\"DispensingDocument\">");
    let report = verify_at(&tampered_result, "2022-10-01");
    assert_eq!(report.overall, Verdict::Invalid);
    assert_eq!(
        report.signatures[0].integrity,
        Integrity::Intact,
        "{}",
        text(&report)
    );
    assert!(
        matches!(report.signatures[1].integrity, Integrity::Broken { .. }),
        "{}",
        text(&report)
    );
    // The prescription inside the dispensing result is covered by both signatures.
    let tampered_prescription =
        changed(&file, "<PrescriptionDocument id=\"PrescriptionDocument\">");
    let report = verify_at(&tampered_prescription, "2022-10-01");
    for s in &report.signatures {
        assert!(
            matches!(s.integrity, Integrity::Broken { .. }),
            "{}",
            text(&report)
        );
    }
}

#[test]
fn a_signature_moved_out_of_its_place_is_not_the_prescriptions() {
    // The doctor's signature element renamed out of PrescriptionSign: the layout's signature
    // is missing, and the signature (still intact over its reference) signs as nobody.
    let file = String::from_utf8(data("Prescription-004_01.xml")).unwrap();
    let moved = file
        .replace("<PrescriptionSign>", "<Other>")
        .replace("</PrescriptionSign>", "</Other>");
    let report = verify_at(moved.as_bytes(), "2022-09-08");
    assert_eq!(report.overall, Verdict::Invalid, "{}", text(&report));
    assert!(
        report
            .failures
            .iter()
            .any(|f| matches!(f, Failure::Layout { .. })),
        "{}",
        text(&report)
    );
}

#[test]
fn the_hpki_signing_policy_is_checked_on_the_signer_as_relying_parties_do() {
    // The MEDIS signing CA asserts only its own CA policy (…1.3.1), the doctor's certificate
    // the HPKI signing policy (…0.1): RFC 5280 processing with that explicit policy would find
    // no valid policy for this real path; the relying party's check accepts it.
    let file = data("Prescription-004_01.xml");
    let with_policy = |oid: &str| {
        let at = time::macros::datetime!(2022-09-08 0:00 UTC);
        let mut options = VerifyOptions::at(at.into());
        options.policies = vec![oid.parse().expect("OID")];
        document::verify(&Document::new(&file), &trust(), &options)
    };
    let report = with_policy("1.2.392.100495.1.5.1.1.0.1");
    assert_eq!(report.overall, Verdict::Valid, "{}", text(&report));
    // The authentication policy is not the signing one.
    let report = with_policy("1.2.392.100495.1.5.1.1.0.2");
    assert_eq!(report.overall, Verdict::Invalid);
    assert!(
        report.signatures[0]
            .failures
            .iter()
            .any(|f| matches!(f, Failure::CertificatePath { detail } if detail.en.contains("asserts none of the acceptable policies"))),
        "{}",
        text(&report)
    );
}

#[test]
fn another_root_is_named_as_not_trusted_rather_than_as_missing() {
    // Trusting only the TSA's root: the doctor's chain reaches the MHLW root, which is there
    // but not trusted.
    let file = data("Prescription-004_01.xml");
    let anchors = hpki_verify::input::certificates(&data("trust.pem")).expect("trust.pem");
    let tsa_root: Vec<_> = anchors
        .into_iter()
        .filter(|c| !c.tbs_certificate().subject().to_string().contains("MHLW"))
        .collect();
    assert!(!tsa_root.is_empty());
    let at = time::macros::datetime!(2022-09-08 0:00 UTC);
    let report = document::verify(
        &Document::new(&file),
        &TrustAnchors::new(tsa_root),
        &VerifyOptions::at(at.into()),
    );
    assert!(
        report.signatures[0].failures.iter().any(|f| matches!(
            f,
            Failure::UntrustedRoot { detail }
                if detail.en.contains("MHLW HPKI Root CA V2") && detail.en.contains("which is not a trusted root")
        )),
        "{}",
        report.to_text(Lang::En)
    );
    assert!(report.to_text(Lang::Ja).starts_with("✘ 信頼する認証局（HPKI）の証明書による署名ではありません（文書の改ざんは検出されていません）"));
}
