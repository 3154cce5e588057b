//! `hpki verify` on real HPKI documents made by other software (MEDIS test cards, see
//! `crates/hpki-verify/tests/data/real-hpki/SOURCE.md`), one at a time and as a batch: the
//! e-prescription is a doctor's valid signature, the dispensing result carries the doctor's
//! and the pharmacist's, and a copy with one changed byte of the prescription is tampered.

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::hpki_bin;

fn sample(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../hpki-verify/tests/data/real-hpki")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

fn hpki_verify(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(hpki_bin())
        .arg("verify")
        .args(args)
        .output()
        .expect("run hpki verify");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn real_documents_verify_one_by_one_and_as_a_batch() {
    let trust = sample("trust.pem");
    let prescription = sample("Prescription-004_01.xml");
    let dispensing = sample("Dispensing-005_03.xml");
    let common = ["--trust", &trust, "--at", "2022-10-01", "--no-fetch"];

    // One document: the full report, in Japanese.
    let mut args = vec![prescription.as_str()];
    args.extend(common);
    let (code, out, err) = hpki_verify(&args);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.starts_with("✔ 有効な署名です — XAdES"), "{out}");
    assert!(
        out.contains("神楽坂　三十四") && out.contains("医師（Medical Doctor）"),
        "{out}"
    );
    assert!(out.contains("（署名の対象外）"), "{out}");

    // A copy whose prescription (signed) has one changed byte.
    let dir = tempfile::tempdir().unwrap();
    let tampered = dir.path().join("tampered.xml");
    let text = std::fs::read_to_string(&prescription).unwrap();
    let marker = "<PrescriptionDocument id=\"PrescriptionDocument\">U";
    assert!(text.contains(marker));
    std::fs::write(
        &tampered,
        text.replacen(
            marker,
            "<PrescriptionDocument id=\"PrescriptionDocument\">V",
            1,
        ),
    )
    .unwrap();
    let tampered = tampered.to_string_lossy().into_owned();

    // A batch: one line each and a total; not valid as a whole.
    let mut args = vec![
        prescription.as_str(),
        dispensing.as_str(),
        tampered.as_str(),
    ];
    args.extend(common);
    let (code, out, err) = hpki_verify(&args);
    assert_eq!(code, 1, "{out}{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 4, "{out}");
    assert!(
        lines[0].starts_with(&format!(
            "{prescription}: ✔ 有効 — XAdES B-LT — 神楽坂　三十四"
        )),
        "{out}"
    );
    assert!(
        lines[1].contains("✔ 有効") && lines[1].contains("医師") && lines[1].contains("薬剤師"),
        "{out}"
    );
    assert!(lines[2].contains("✘ 改ざんされています"), "{out}");
    assert_eq!(
        lines[3],
        "計 3 件: 有効 2 件、有効でない 1 件、読めないファイル 0 件"
    );

    // As JSON lines, in English.
    args.extend(["--json", "--lang", "en"]);
    let (code, out, _) = hpki_verify(&args);
    assert_eq!(code, 1);
    let reports: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON report per line"))
        .collect();
    assert_eq!(reports.len(), 3);
    assert_eq!(
        reports
            .iter()
            .map(|r| r["overall"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["valid", "valid", "invalid"]
    );
    assert_eq!(reports[1]["signatures"][1]["signatory"], "dispenser");
    assert_eq!(reports[2]["file"], tampered.as_str());

    // --detached goes with one file only.
    let (code, _, err) = hpki_verify(&[
        &prescription,
        &dispensing,
        "--detached",
        &prescription,
        "--trust",
        &trust,
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--detached"), "{err}");
}
