//! Damaged documents, as a relying party may be handed them (a download cut short, a bit flipped
//! on the way, a file edited by hand): `document::verify` reads every one without panicking and
//! reports it, and no damage to the bytes a signature covers ever verifies.
//!
//! One B-LT document of each format is signed by a doctor of a demo CA made in-process; then
//! a bit is flipped at a few hundred positions spread over the whole file, and the file is cut at
//! sixteen lengths. The CAdES letter and the PDF's signed byte range are checked byte for
//! byte: every damage there is a failed verification.

use std::panic::{AssertUnwindSafe, catch_unwind};

use hpki_sign::Level;
use hpki_sign::cades::{self, Packaging};
use hpki_sign::pades::{self, PadesOptions};
use hpki_verify::document::{self, Document, Report, TrustAnchors, Verdict, VerifyOptions};

use hpki_testkit::documents::letter_pdf;
use hpki_testkit::signing_world::SigningWorld;

/// About how many positions of a file get a flipped bit.
const POSITIONS: usize = 300;

/// `bytes` with bit `i % 8` of byte `i` flipped.
fn flipped(bytes: &[u8], i: usize) -> Vec<u8> {
    let mut out = bytes.to_vec();
    out[i] ^= 1 << (i % 8);
    out
}

/// About [`POSITIONS`] positions spread over `0..len`, the first and last included.
fn spread(len: usize) -> Vec<usize> {
    let step = (len / POSITIONS).max(1);
    let mut positions: Vec<usize> = (0..len).step_by(step).collect();
    positions.extend(len.checked_sub(1));
    positions
}

/// Verifies one damaged variant; a panic is returned as its message.
fn verify(
    file: &[u8],
    detached: Option<&[u8]>,
    trust: &TrustAnchors,
    options: &VerifyOptions,
) -> Result<Report, String> {
    let document = Document {
        content: file,
        detached,
    };
    catch_unwind(AssertUnwindSafe(|| {
        document::verify(&document, trust, options)
    }))
    .map_err(|panic| {
        panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_default()
    })
}

/// What went wrong for the variants of one document: panics, and damage to signed bytes that
/// verified.
#[derive(Default)]
struct Findings {
    panics: Vec<String>,
    verified: Vec<String>,
}

impl Findings {
    /// Records the outcome of `what`; `must_fail`: the damage is in signed bytes.
    fn record(&mut self, what: String, outcome: Result<Report, String>, must_fail: bool) {
        match outcome {
            Err(message) => self.panics.push(format!("{what}: {message}")),
            Ok(r) if must_fail && r.overall == Verdict::Valid => self.verified.push(what),
            Ok(_) => {}
        }
    }
}

#[test]
fn damaged_documents_never_panic_and_damaged_signed_bytes_never_verify() {
    let world = SigningWorld::new(&std::env::temp_dir()).expect("demo CA");
    let (key, cert) = world.doctor().expect("doctor");
    let ctx = world.context(&key, &cert);
    let trust = TrustAnchors::new([world.root.clone()]);
    let options = VerifyOptions::at(hpki_clock::Clock::now(&world.clock));

    let letter = "診療情報提供書（紹介状）。日医病院 内科 御侍史。患者: 日医 花子 様。"
        .repeat(4)
        .into_bytes();
    let p7s = cades::sign(&ctx, &letter, Packaging::Detached, Level::Lt).expect("CAdES");
    let pdf = pades::sign(
        &ctx,
        &letter_pdf("Referral: Nichii Hanako"),
        Level::Lt,
        &PadesOptions::default(),
    )
    .expect("PAdES");
    let xml = hpki_sign::xades::sign_enveloped(
        &ctx,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<紹介状><宛先>日医病院 内科</宛先><患者>日医 花子</患者></紹介状>\n",
        Level::Lt,
    )
    .expect("XAdES")
    .into_bytes();

    // Undamaged, each verifies.
    for (name, file, detached) in [
        ("CAdES", &p7s, Some(letter.as_slice())),
        ("PAdES", &pdf, None),
        ("XAdES", &xml, None),
    ] {
        let report = verify(file, detached, &trust, &options).expect("no panic");
        assert_eq!(
            report.overall,
            Verdict::Valid,
            "{name}: {}",
            report.to_text(document::Lang::En)
        );
    }

    let mut findings = Findings::default();
    // The PDF's signature covers its byte range but the /Contents hole.
    let signature = pades::signatures(&pdf).expect("signatures")[0].clone();
    let [a, b, c, d] = signature.byte_range;
    let signed = |i: usize| (a..a + b).contains(&i) || (c..c + d).contains(&i);
    for (name, file, detached) in [
        ("CAdES", &p7s, Some(letter.as_slice())),
        ("PAdES", &pdf, None),
        ("XAdES", &xml, None),
    ] {
        for i in spread(file.len()) {
            let outcome = verify(&flipped(file, i), detached, &trust, &options);
            findings.record(
                format!("{name} bit flipped at {i}"),
                outcome,
                name == "PAdES" && signed(i),
            );
        }
        for k in 0..16 {
            let cut = file.len() * k / 16;
            let outcome = verify(&file[..cut], detached, &trust, &options);
            // Any cut loses signed bytes or the signature itself.
            findings.record(format!("{name} cut to {cut} bytes"), outcome, true);
        }
    }
    // Every byte of the detached letter is signed.
    for i in spread(letter.len()) {
        let damaged = flipped(&letter, i);
        let outcome = verify(&p7s, Some(&damaged), &trust, &options);
        findings.record(format!("CAdES letter bit flipped at {i}"), outcome, true);
    }

    assert!(
        findings.panics.is_empty(),
        "the verifier panicked on {} damaged documents:\n{}",
        findings.panics.len(),
        findings.panics.join("\n")
    );
    assert!(
        findings.verified.is_empty(),
        "damaged signed bytes verified as valid:\n{}",
        findings.verified.join("\n")
    );
}

/// The real e-prescription and dispensing result (tests/data/real-hpki): damaged anywhere,
/// never a panic; damaged inside a signed document part (the prescription's CSV, the
/// dispensing CSV), never valid.
#[test]
fn damaged_real_prescriptions_never_panic_and_damaged_signed_parts_never_verify() {
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/real-hpki");
    let read = |name: &str| std::fs::read(dir.join(name)).expect("sample");
    let trust =
        TrustAnchors::new(hpki_verify::input::certificates(&read("trust.pem")).expect("trust.pem"));
    let mut findings = Findings::default();
    for (name, at, parts) in [
        (
            "Prescription-004_01.xml",
            1_662_595_200, // 2022-09-08
            &["PrescriptionDocument"][..],
        ),
        (
            "Dispensing-005_03.xml",
            1_664_582_400, // 2022-10-01
            &["PrescriptionDocument", "DispensingDocument"][..],
        ),
    ] {
        let file = read(name);
        let options = VerifyOptions::at(std::time::UNIX_EPOCH + std::time::Duration::from_secs(at));
        // The text of each signed part: from after its start tag to its end tag.
        let ranges: Vec<std::ops::Range<usize>> = parts
            .iter()
            .map(|p| {
                let open = format!("<{p} id=\"{p}\">");
                let close = format!("</{p}>");
                let find = |s: &str| {
                    file.windows(s.len())
                        .position(|w| w == s.as_bytes())
                        .expect("part")
                };
                find(&open) + open.len()..find(&close)
            })
            .collect();
        let report = verify(&file, None, &trust, &options).expect("no panic");
        assert_eq!(report.overall, Verdict::Valid, "{name}");
        let mut positions = spread(file.len());
        for r in &ranges {
            positions.extend(r.clone().step_by((r.len() / 20).max(1)));
        }
        for i in positions {
            let outcome = verify(&flipped(&file, i), None, &trust, &options);
            let signed = ranges.iter().any(|r| r.contains(&i));
            findings.record(format!("{name} bit flipped at {i}"), outcome, signed);
        }
        for k in 0..16 {
            let cut = file.len() * k / 16;
            let outcome = verify(&file[..cut], None, &trust, &options);
            findings.record(format!("{name} cut to {cut} bytes"), outcome, true);
        }
    }
    // Swapped certificates: the prescription's KeyInfo carrying the pharmacist's certificate
    // (from the dispensing result) instead of the doctor's is never valid.
    let prescription = String::from_utf8(read("Prescription-004_01.xml")).unwrap();
    let dispensing = String::from_utf8(read("Dispensing-005_03.xml")).unwrap();
    let key_info_cert = |xml: &str, from: usize| -> String {
        let open = "<xs:X509Certificate>";
        let start = xml[from..].find(open).expect("X509Certificate") + from + open.len();
        let end = xml[start..].find("</xs:X509Certificate>").expect("end") + start;
        xml[start..end].to_owned()
    };
    let doctor = key_info_cert(&prescription, 0);
    let pharmacist = key_info_cert(
        &dispensing,
        dispensing
            .find("Id=\"DispensingSign\"")
            .expect("DispensingSign"),
    );
    assert_ne!(doctor, pharmacist);
    let swapped = prescription.replacen(&doctor, &pharmacist, 1);
    let options =
        VerifyOptions::at(std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_662_595_200));
    findings.record(
        "the prescription with the pharmacist's certificate in KeyInfo".into(),
        verify(swapped.as_bytes(), None, &trust, &options),
        true,
    );
    assert!(findings.panics.is_empty(), "{}", findings.panics.join("\n"));
    assert!(
        findings.verified.is_empty(),
        "damaged signed parts verified as valid:\n{}",
        findings.verified.join("\n")
    );
}
