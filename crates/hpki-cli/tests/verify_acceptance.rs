//! Issue #5, verification with the real `hpki verify`, on documents the real `hpki sign` made
//! against a running `hpki serve` (TSA, CRLs, OCSP) of a demo CA; on SQLite and PostgreSQL.
//!
//! - valid CAdES B-LT, PAdES B-LTA, XAdES B-LT (and an e-prescription) → exit 0, the report
//!   names 日医　太郎 / Taro Nichii, JMA9999999999, Medical Doctor (医師), the TSA and the level;
//!   one changed byte of each → exit 1, tampered / 改ざん;
//! - an expired signer (a B-B signature verified after notAfter) → expired; a B-LTA CAdES and a
//!   XAdES-A (B-LTA) verified 30 days after the signer's notAfter → still valid, "expired
//!   since" now; a signer revoked after signing → valid at signing time, "revoked since"; a
//!   signer revoked before signing → revoked;
//! - a certificate without hcRole (from an ad-hoc openssl CA: hpki's own profiles always put
//!   the hcRole in, and a foreign CA is what a relying party meets) → "no hcRole"; a wrong
//!   root → untrusted; a genuine TSA token over other data in place of the signature
//!   time-stamp → "time-stamp over other data".

mod common;

use hpki_testkit::on_both_backends;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::*;
use der::{Decode, DecodePem};
use hpki_testkit::documents::{letter_pdf, letter_pdf_version};

on_both_backends!(
    valid_documents_verify_and_a_changed_byte_is_tampering,
    expired_and_revoked_signers,
    foreign_certificates_and_time_stamps_fail_with_their_reason,
);

const LETTER: &str = "診療情報提供書（紹介状）\n日医病院 内科 御侍史\n患者: 日医 花子 様\n";
const TSA_NAME: &str = "JMA HPKI Time-Stamping Authority";

/// `hpki verify <args>` on the clock of `ca`'s processes: (exit code, stdout, stderr).
fn hpki_verify(ca: &Ca, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(hpki_bin())
        .arg("verify")
        .args(args)
        .envs(ca.env.borrow().iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .output()
        .expect("run hpki verify");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `hpki verify --json`: (exit code, the report).
fn verify_json(ca: &Ca, args: &[&str]) -> (i32, serde_json::Value) {
    let mut all = args.to_vec();
    all.push("--json");
    let (code, out, err) = hpki_verify(ca, &all);
    let report = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}\n{err}"));
    (code, report)
}

/// The kinds of every failure of a JSON report.
fn failure_kinds(report: &serde_json::Value) -> Vec<String> {
    let mut kinds: Vec<String> = report["failures"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f["kind"].as_str().map(str::to_owned))
        .collect();
    for s in report["signatures"].as_array().into_iter().flatten() {
        for f in s["failures"].as_array().into_iter().flatten() {
            kinds.extend(f["kind"].as_str().map(str::to_owned));
        }
    }
    kinds
}

/// `pdf` with an incremental update (ISO 32000-1 §7.5.6, a classic cross-reference section)
/// giving object `number` (generation 0) the new value `body`.
fn append_update(pdf: &[u8], number: u32, body: &str) -> Vec<u8> {
    let text = String::from_utf8_lossy(pdf);
    let after = |key: &str| -> u64 {
        let at = text
            .rfind(key)
            .unwrap_or_else(|| panic!("no {key} in the PDF"))
            + key.len();
        let digits: String = text[at..]
            .trim_start()
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        digits.parse().unwrap()
    };
    let (prev, size, root) = (after("startxref"), after("/Size"), after("/Root"));
    let mut out = pdf.to_vec();
    out.push(b'\n');
    let offset = out.len();
    out.extend_from_slice(format!("{number} 0 obj\n{body}\nendobj\n").as_bytes());
    let xref = out.len();
    out.extend_from_slice(
        format!(
            "xref\n{number} 1\n{offset:010} 00000 n\r\ntrailer\n<</Size {size}/Root {root} 0 R/Prev {prev}>>\nstartxref\n{xref}\n%%EOF\n"
        )
        .as_bytes(),
    );
    out
}

/// The demo doctor signing with his software key (the chain and the root known, the served
/// TSA); panics with the output when signing fails.
struct Doctor<'a> {
    ca: &'a Ca,
    key: PathBuf,
    cert: PathBuf,
    tsa: String,
}

impl Doctor<'_> {
    fn sign(&self, format: &str, level: &str, input: &Path, out: &Path, extra: &[&str]) {
        let (ok, text) = self.try_sign(format, level, input, out, extra);
        assert!(ok, "hpki sign {format} {level}: {text}");
    }

    fn try_sign(
        &self,
        format: &str,
        level: &str,
        input: &Path,
        out: &Path,
        extra: &[&str],
    ) -> (bool, String) {
        let chain = self.ca.path("sign-ca.pem");
        let root = self.ca.path("root.pem");
        let mut args = vec![
            "--format",
            format,
            "--level",
            level,
            "--in",
            input.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--key",
            self.key.to_str().unwrap(),
            "--cert",
            self.cert.to_str().unwrap(),
            "--chain",
            chain.to_str().unwrap(),
            "--trust",
            root.to_str().unwrap(),
            "--tsa",
            &self.tsa,
            "--passphrase-env",
            "HPKI_KEY_PASSPHRASE",
        ];
        args.extend(extra);
        hpki_sign(self.ca, &args, &[("HPKI_KEY_PASSPHRASE", PASSPHRASE)])
    }

    /// The signer certificate's notAfter, plus `days`, as RFC 3339.
    fn not_after_plus(&self, days: u64) -> String {
        let pem = std::fs::read(&self.cert).unwrap();
        let cert = x509_cert::Certificate::from_pem(&pem).unwrap();
        let not_after = cert
            .tbs_certificate()
            .validity()
            .not_after
            .to_unix_duration();
        let at =
            time::OffsetDateTime::from_unix_timestamp((not_after.as_secs() + days * 86_400) as i64)
                .unwrap();
        at.format(&time::format_description::well_known::Rfc3339)
            .unwrap()
    }
}

fn doctor<'a>(ca: &'a Ca, server: &Served) -> Doctor<'a> {
    let (key, cert) = demo_doctor(ca);
    Doctor {
        ca,
        key,
        cert,
        tsa: format!("{}/tsa", server.url),
    }
}

/// A copy of `file` with one byte changed, the first occurrence of `from` becoming `to`.
fn changed(ca: &Ca, file: &Path, name: &str, from: &[u8], to: &[u8]) -> PathBuf {
    assert_eq!(from.len(), to.len());
    let mut bytes = std::fs::read(file).unwrap();
    let at = bytes
        .windows(from.len())
        .position(|w| w == from)
        .unwrap_or_else(|| panic!("{from:?} in {}", file.display()));
    bytes[at..at + to.len()].copy_from_slice(to);
    let out = ca.path(name);
    std::fs::write(&out, bytes).unwrap();
    out
}

fn valid_documents_verify_and_a_changed_byte_is_tampering(b: Backend) {
    let (ca, server) = demo_served(b, &[]);
    let dr = doctor(&ca, &server);
    let root = ca.path("root.pem");
    let root = root.to_str().unwrap();

    // CAdES B-LT, detached.
    let letter = ca.write("letter.txt", LETTER);
    let p7s = ca.path("letter.txt.p7s");
    dr.sign("cades", "lt", &letter, &p7s, &[]);
    let (code, out, err) = hpki_verify(
        &ca,
        &[
            p7s.to_str().unwrap(),
            "--detached",
            letter.to_str().unwrap(),
            "--trust",
            root,
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    for needle in [
        "有効な署名です",
        "日医　太郎（Taro Nichii）",
        "JMA9999999999",
        "医師（Medical Doctor）",
        "日医病院",
        TSA_NAME,
        "タイムスタンプで証明",
        "改ざん        なし",
        "署名時に有効",
        "B-LT",
    ] {
        assert!(out.contains(needle), "{needle:?} in\n{out}");
    }
    let (code, out, _) = hpki_verify(
        &ca,
        &[
            p7s.to_str().unwrap(),
            "--detached",
            letter.to_str().unwrap(),
            "--trust",
            root,
            "--lang",
            "en",
            "--no-fetch",
        ],
    );
    assert_eq!(code, 0, "the embedded validation data suffices: {out}");
    for needle in [
        "VALID signature",
        "Taro Nichii (日医　太郎)",
        "Medical Doctor (医師)",
        "Signature level     B-LT",
        "intact",
    ] {
        assert!(out.contains(needle), "{needle:?} in\n{out}");
    }
    let (code, json) = verify_json(
        &ca,
        &[
            p7s.to_str().unwrap(),
            "--detached",
            letter.to_str().unwrap(),
            "--trust",
            root,
            "--no-fetch",
            "--policy",
            SIGN_POLICY,
        ],
    );
    assert_eq!(code, 0, "{json}");
    let sig = &json["signatures"][0];
    assert_eq!(json["overall"], "valid");
    assert_eq!(sig["format"], "CAdES");
    assert_eq!(sig["level"], "B-LT");
    assert_eq!(sig["signer"]["subscriber_id"], "JMA9999999999");
    assert_eq!(sig["signer"]["roles"][0]["role"], "Medical Doctor");
    assert_eq!(sig["tsa"], TSA_NAME);
    assert_eq!(sig["integrity"]["state"], "intact");
    assert_eq!(sig["at_signing"]["state"], "valid");
    assert_eq!(sig["now"]["state"], "valid");
    // One changed character of the letter: tampered.
    let other = changed(
        &ca,
        &letter,
        "changed.txt",
        "花子".as_bytes(),
        "次郎".as_bytes(),
    );
    let (code, out, _) = hpki_verify(
        &ca,
        &[
            p7s.to_str().unwrap(),
            "--detached",
            other.to_str().unwrap(),
            "--trust",
            root,
        ],
    );
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("改ざんされています"), "{out}");
    let (code, out, _) = hpki_verify(
        &ca,
        &[
            p7s.to_str().unwrap(),
            "--detached",
            other.to_str().unwrap(),
            "--trust",
            root,
            "--lang",
            "en",
        ],
    );
    assert_eq!(code, 1);
    assert!(out.contains("tampered"), "{out}");
    // Without its content, a detached signature cannot be checked.
    let (code, json) = verify_json(&ca, &[p7s.to_str().unwrap(), "--trust", root, "--no-fetch"]);
    assert_eq!(code, 1);
    assert_eq!(failure_kinds(&json), ["content_missing"], "{json}");

    // PAdES B-LTA: a letter as a PDF.
    let pdf = ca.path("letter.pdf");
    std::fs::write(&pdf, letter_pdf("Referral: Nichii Hanako")).unwrap();
    let signed_pdf = ca.path("letter-signed.pdf");
    dr.sign("pades", "lta", &pdf, &signed_pdf, &[]);
    let (code, json) = verify_json(
        &ca,
        &[signed_pdf.to_str().unwrap(), "--trust", root, "--no-fetch"],
    );
    assert_eq!(code, 0, "{json}");
    let sig = &json["signatures"][0];
    assert_eq!(
        (&sig["format"], &sig["level"], &sig["tsa"]),
        (&"PAdES".into(), &"B-LTA".into(), &TSA_NAME.into()),
        "{json}"
    );
    assert_eq!(sig["signer"]["name_kanji"], "日医　太郎");
    assert!(
        sig["time_stamps"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["kind"] == "document" && t["valid"] == true),
        "{json}"
    );
    let (code, out, _) = hpki_verify(
        &ca,
        &[
            signed_pdf.to_str().unwrap(),
            "--trust",
            root,
            "--lang",
            "en",
        ],
    );
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("PAdES B-LTA") && out.contains("Taro Nichii"),
        "{out}"
    );
    // One byte of the page text, inside what was signed.
    let tampered_pdf = changed(&ca, &signed_pdf, "tampered.pdf", b"Hanako", b"Hanaki");
    let (code, out, _) = hpki_verify(&ca, &[tampered_pdf.to_str().unwrap(), "--trust", root]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("改ざん"), "{out}");
    let (_, json) = verify_json(&ca, &[tampered_pdf.to_str().unwrap(), "--trust", root]);
    assert!(
        failure_kinds(&json).contains(&"tampered".to_owned()),
        "{json}"
    );
    // A second signature after the time-stamps adds a signature field: the first still shows
    // what it signed.
    let twice_pdf = ca.path("letter-signed-twice.pdf");
    dr.sign("pades", "t", &signed_pdf, &twice_pdf, &[]);
    let (code, json) = verify_json(
        &ca,
        &[twice_pdf.to_str().unwrap(), "--trust", root, "--no-fetch"],
    );
    assert_eq!(code, 0, "{json}");
    assert_eq!(json["signatures"].as_array().unwrap().len(), 2, "{json}");
    // The signed revision untouched, but an incremental update appended after the time-stamps
    // gives the page other text: a reader shows the latest revision.
    let content = "BT /F1 18 Tf 40 760 Td (Referral: someone else) Tj ET";
    let shadowed = append_update(
        &std::fs::read(&signed_pdf).unwrap(),
        4,
        &format!("<</Length {}>>stream\n{content}\nendstream", content.len()),
    );
    let shadowed_pdf = ca.path("shadowed.pdf");
    std::fs::write(&shadowed_pdf, shadowed).unwrap();
    let (code, out, _) = hpki_verify(&ca, &[shadowed_pdf.to_str().unwrap(), "--trust", root]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("署名の後に") && out.contains("ストリーム 4 0 が変更されています"),
        "{out}"
    );
    let (_, json) = verify_json(&ca, &[shadowed_pdf.to_str().unwrap(), "--trust", root]);
    assert_eq!(failure_kinds(&json), ["tampered"], "{json}");

    // Another writer's long-term updates: pyHanko adds the DSS (ltvfix) and a document
    // time-stamp (ltaupdate) to the doctor's B-T PDF, as incremental updates of its own making;
    // they change nothing the signature shows.
    require_tool("pyhanko");
    let pyhanko_pdf = ca.path("letter-pyhanko.pdf");
    dr.sign("pades", "t", &pdf, &pyhanko_pdf, &[]);
    for command in [
        format!(
            "pyhanko sign ltvfix --field Signature1 --trust '{root}' --trust-replace --other-certs '{}' '{}'",
            ca.path("sign-ca.pem").display(),
            pyhanko_pdf.display()
        ),
        format!(
            "pyhanko sign ltaupdate --timestamp-url '{}' --trust '{root}' --trust-replace '{}'",
            dr.tsa,
            pyhanko_pdf.display()
        ),
    ] {
        let (ok, out) = sh_out(&format!("{command} 2>&1"));
        assert!(ok, "{command}: {out}");
    }
    let (code, json) = verify_json(
        &ca,
        &[pyhanko_pdf.to_str().unwrap(), "--trust", root, "--no-fetch"],
    );
    assert_eq!(code, 0, "{json}");
    assert_eq!(json["signatures"][0]["level"], "B-LTA", "{json}");

    // The same on a PDF 1.4 letter (what most office tools and browsers write), all of
    // pyHanko's maintenance steps: the DSS (ltvfix), a document time-stamp (timestamp), its
    // renewal (ltaupdate) and a co-signature with the doctor's key. pyHanko raises the
    // catalog's /Version to 1.7 on the way (ISO 32000-1 §7.7.2), which changes nothing shown;
    // hpki and pyHanko both keep every signature valid.
    let old_pdf = ca.path("letter-1.4.pdf");
    std::fs::write(
        &old_pdf,
        letter_pdf_version("Referral: Nichii Hanako", "1.4"),
    )
    .unwrap();
    let kept = ca.path("letter-1.4-pyhanko.pdf");
    dr.sign("pades", "t", &old_pdf, &kept, &[]);
    let passfile = ca.write("doctor-pass.txt", PASSPHRASE);
    let step = |command: String| {
        let (ok, out) = sh_out(&format!("{command} 2>&1"));
        assert!(ok, "{command}: {out}");
    };
    let chain = ca.path("sign-ca.pem");
    let in_place = |command: &str| {
        let tmp = ca.path("letter-1.4-step.pdf");
        step(format!(
            "{command} '{}' '{}' && mv '{}' '{}'",
            kept.display(),
            tmp.display(),
            tmp.display(),
            kept.display()
        ));
    };
    step(format!(
        "pyhanko sign ltvfix --field Signature1 --trust '{root}' --trust-replace --other-certs '{}' '{}'",
        chain.display(),
        kept.display()
    ));
    in_place(&format!(
        "pyhanko sign timestamp --timestamp-url '{}' --trust '{root}' --trust-replace",
        dr.tsa
    ));
    step(format!(
        "pyhanko sign ltaupdate --timestamp-url '{}' --trust '{root}' --trust-replace '{}'",
        dr.tsa,
        kept.display()
    ));
    in_place(&format!(
        "pyhanko sign addsig --field Cosign --use-pades --timestamp-url '{}' --with-validation-info --trust '{root}' --trust-replace --other-certs '{}' pemder --key '{}' --cert '{}' --chain '{}' --passfile '{}'",
        dr.tsa,
        chain.display(),
        dr.key.display(),
        dr.cert.display(),
        chain.display(),
        passfile.display()
    ));
    assert!(
        std::fs::read(&kept).unwrap().starts_with(b"%PDF-1.4"),
        "the header stays 1.4"
    );
    let (code, json) = verify_json(&ca, &[kept.to_str().unwrap(), "--trust", root]);
    assert_eq!(code, 0, "{json}");
    let sigs = json["signatures"].as_array().unwrap();
    assert_eq!(sigs.len(), 2, "{json}");
    assert!(sigs.iter().all(|s| s["verdict"] == "valid"), "{json}");
    let (ok, out) = sh_out(&format!(
        "pyhanko sign validate --trust '{root}' --trust-replace --other-certs '{}' --pretty-print '{}' 2>&1",
        chain.display(),
        kept.display()
    ));
    assert!(
        ok && !out.contains("INVALID") && out.matches("The signature is judged VALID").count() == 2,
        "{out}"
    );

    // A PDF certified by its author with pyHanko (ISO 32000-1 §12.8.2.2), then signed by the
    // doctor: a certification that permits no changes (DocMDP P=1) fails as tampered, one that
    // permits form filling and signing (P=2) does not. The author's own key is not under the
    // HPKI root, so that signature fails as untrusted either way; the doctor's is valid.
    sh(&format!(
        "openssl req -x509 -newkey rsa:2048 -nodes -keyout '{key}' -out '{cert}' -subj /CN=Author -days 30 2>/dev/null",
        key = ca.path("author-key.pem").display(),
        cert = ca.path("author.pem").display(),
    ));
    let certify = ca.write(
        "certify.py",
        "import sys\n\
         from pyhanko.sign import signers\n\
         from pyhanko.sign.fields import MDPPerm\n\
         from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter\n\
         key, cert, src, dst, perm = sys.argv[1:6]\n\
         signer = signers.SimpleSigner.load(key, cert)\n\
         meta = signers.PdfSignatureMetadata(field_name='Certification', certify=True, docmdp_permissions=MDPPerm[perm])\n\
         with open(src, 'rb') as f, open(dst, 'wb') as out:\n    \
         signers.sign_pdf(IncrementalPdfFileWriter(f), meta, signer=signer, output=out)\n",
    );
    for (perm, p, forbidden) in [("NO_CHANGES", 1, true), ("FILL_FORMS", 2, false)] {
        let certified = ca.path(&format!("letter-certified-p{p}.pdf"));
        sh(&format!(
            "python3 '{}' '{}' '{}' '{}' '{}' {perm}",
            certify.display(),
            ca.path("author-key.pem").display(),
            ca.path("author.pem").display(),
            pdf.display(),
            certified.display()
        ));
        // Certified alone: only the author's untrusted key fails.
        let (code, json) = verify_json(
            &ca,
            &[certified.to_str().unwrap(), "--trust", root, "--no-fetch"],
        );
        assert_eq!(code, 1, "{json}");
        assert!(
            !failure_kinds(&json).contains(&"tampered".to_owned()),
            "{json}"
        );
        let cosigned = ca.path(&format!("letter-certified-p{p}-signed.pdf"));
        dr.sign("pades", "t", &certified, &cosigned, &[]);
        let (code, json) = verify_json(&ca, &[cosigned.to_str().unwrap(), "--trust", root]);
        assert_eq!(code, 1, "{json}");
        let sigs = json["signatures"].as_array().unwrap();
        assert_eq!(sigs.len(), 2, "{json}");
        assert_eq!(sigs[0]["label"], "Certification", "{json}");
        let kinds: Vec<&str> = sigs[0]["failures"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|f| f["kind"].as_str())
            .collect();
        assert_eq!(kinds.contains(&"tampered"), forbidden, "P={p}: {json}");
        assert!(kinds.contains(&"untrusted_root"), "{json}");
        assert_eq!(sigs[1]["verdict"], "valid", "{json}");
        if forbidden {
            let (_, out, _) = hpki_verify(&ca, &[cosigned.to_str().unwrap(), "--trust", root]);
            assert!(
                out.contains("DocMDP P=1") && out.contains("Signature"),
                "{out}"
            );
        }
    }

    // XAdES B-LT, enveloped.
    let xml = ca.write(
        "referral.xml",
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<紹介状><宛先>日医病院 内科</宛先><患者>日医 花子</患者></紹介状>\n",
    );
    let signed_xml = ca.path("referral-signed.xml");
    dr.sign("xades", "lt", &xml, &signed_xml, &["--enveloping"]);
    let (code, out, _) = hpki_verify(
        &ca,
        &[signed_xml.to_str().unwrap(), "--trust", root, "--no-fetch"],
    );
    assert_eq!(code, 0, "{out}");
    for needle in [
        "XAdES B-LT",
        "日医　太郎",
        "JMA9999999999",
        "医師",
        TSA_NAME,
    ] {
        assert!(out.contains(needle), "{needle:?} in\n{out}");
    }
    let tampered_xml = changed(
        &ca,
        &signed_xml,
        "tampered.xml",
        "花子".as_bytes(),
        "次郎".as_bytes(),
    );
    let (code, out, _) = hpki_verify(
        &ca,
        &[
            tampered_xml.to_str().unwrap(),
            "--trust",
            root,
            "--lang",
            "en",
        ],
    );
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("tampered") && out.contains("reference"),
        "{out}"
    );

    // An e-prescription (電子処方箋), B-T: verified in its layout.
    let prescription = ca.write(
        "prescription.xml",
        &hpki_sign::xades::prescription_xml(
            "0000000000000000000000000000000001",
            "1,1,4,1\r\n101,1,1234567890,日医病院\r\n".as_bytes(),
        ),
    );
    let signed_prescription = ca.path("prescription-signed.xml");
    dr.sign(
        "xades",
        "t",
        &prescription,
        &signed_prescription,
        &["--prescription"],
    );
    let (code, json) = verify_json(
        &ca,
        &[signed_prescription.to_str().unwrap(), "--trust", root],
    );
    assert_eq!(code, 0, "{json}");
    let sig = &json["signatures"][0];
    assert_eq!(sig["level"], "B-T");
    assert_eq!(sig["signatory"], "prescriber", "{json}");
    // The management data is shown, and said not to be signed.
    assert_eq!(
        (&json["medical"]["kind"], &json["medical"]["document_id"]),
        (
            &"prescription".into(),
            &"0000000000000000000000000000000001".into()
        ),
        "{json}"
    );
    drop(server);
}

fn expired_and_revoked_signers(b: Backend) {
    let (ca, server) = demo_served(b, &[]);
    let dr = doctor(&ca, &server);
    let root = ca.path("root.pem");
    let root = root.to_str().unwrap();
    let letter = ca.write("letter.txt", LETTER);
    let after_expiry = dr.not_after_plus(30);

    // B-B verified after the certificate expired: nothing proves it was signed before.
    let bb = ca.path("letter-b.p7s");
    dr.sign("cades", "b", &letter, &bb, &[]);
    let (code, json) = verify_json(
        &ca,
        &[
            bb.to_str().unwrap(),
            "--detached",
            letter.to_str().unwrap(),
            "--trust",
            root,
            "--at",
            &after_expiry,
        ],
    );
    assert_eq!(code, 1, "{json}");
    assert_eq!(failure_kinds(&json), ["signer_expired"], "{json}");
    let (_, out, _) = hpki_verify(
        &ca,
        &[
            bb.to_str().unwrap(),
            "--detached",
            letter.to_str().unwrap(),
            "--trust",
            root,
            "--at",
            &after_expiry,
            "--lang",
            "en",
        ],
    );
    assert!(out.contains("had expired"), "{out}");

    // B-LTA CAdES and XAdES-A, 30 days after notAfter (the TSA certificate is valid for 10
    // years): valid at signing time, expired now.
    let lta = ca.path("letter-lta.p7s");
    dr.sign("cades", "lta", &letter, &lta, &[]);
    let xml = ca.write(
        "certificate.xml",
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<診断書><患者>日医 花子</患者><傷病名>感冒</傷病名></診断書>\n",
    );
    let xades_a = ca.path("certificate-signed.xml");
    dr.sign("xades", "lta", &xml, &xades_a, &["--enveloping"]);
    for (file, detached) in [(&lta, Some(&letter)), (&xades_a, None)] {
        let mut args = vec![
            file.to_str().unwrap(),
            "--trust",
            root,
            "--at",
            &after_expiry,
        ];
        if let Some(d) = detached {
            args.extend(["--detached", d.to_str().unwrap()]);
        }
        let (code, json) = verify_json(&ca, &args);
        assert_eq!(code, 0, "{json}");
        let sig = &json["signatures"][0];
        assert_eq!(sig["level"], "B-LTA", "{json}");
        assert_eq!(sig["at_signing"]["state"], "valid");
        assert_eq!(sig["now"]["state"], "expired");
        args.extend(["--lang", "en"]);
        let (code, out, _) = hpki_verify(&ca, &args);
        assert_eq!(code, 0);
        assert!(
            out.contains("valid at signing time") && out.contains("expired since"),
            "{out}"
        );
    }

    // Revoked after signing: the B-LT and B-T signatures stay valid, "revoked since".
    let blt = ca.path("letter-lt.p7s");
    dr.sign("cades", "lt", &letter, &blt, &[]);
    let bt = ca.path("letter-t.p7s");
    dr.sign("cades", "t", &letter, &bt, &[]);
    // revocationDate has whole seconds: revoke in a later second than the time-stamps.
    ca.advance_clock(std::time::Duration::from_secs(2));
    let serial = ca
        .ok(&["ca", "list", "--ca", "sign"])
        .lines()
        .find(|l| l.contains("Taro Nichii"))
        .and_then(|l| l.split_whitespace().find(|w| w.len() == 32))
        .unwrap_or_else(|| panic!("the demo doctor in the list"))
        .to_owned();
    ca.ok(&[
        "ca",
        "revoke",
        "--ca",
        "sign",
        "--serial",
        &serial,
        "--reason",
        "keyCompromise",
    ]);
    ca.advance_clock(std::time::Duration::from_secs(2));
    for file in [&blt, &bt] {
        let args = [
            file.to_str().unwrap(),
            "--detached",
            letter.to_str().unwrap(),
            "--trust",
            root,
            "--lang",
            "en",
        ];
        let (code, out, err) = hpki_verify(&ca, &args);
        assert_eq!(code, 0, "{}: {out}{err}", file.display());
        assert!(
            out.contains("valid at signing time") && out.contains("revoked since"),
            "{out}"
        );
        let (_, json) = verify_json(&ca, &args[..5]);
        assert_eq!(json["signatures"][0]["now"]["state"], "revoked", "{json}");
        assert_eq!(json["signatures"][0]["now"]["reason"], "keyCompromise");
    }
    // Signed after the revocation: revoked before the proven time.
    let late = ca.path("letter-late.p7s");
    dr.sign("cades", "lt", &letter, &late, &[]);
    let args = [
        late.to_str().unwrap(),
        "--detached",
        letter.to_str().unwrap(),
        "--trust",
        root,
    ];
    let (code, json) = verify_json(&ca, &args);
    assert_eq!(code, 1, "{json}");
    assert_eq!(failure_kinds(&json), ["signer_revoked"], "{json}");
    let (code, out, _) = hpki_verify(&ca, &args);
    assert_eq!(code, 1);
    assert!(out.contains("失効"), "{out}");
    drop(server);
}

fn foreign_certificates_and_time_stamps_fail_with_their_reason(b: Backend) {
    let (ca, server) = demo_served(b, &[]);
    let dr = doctor(&ca, &server);
    let root = ca.path("root.pem");
    let root = root.to_str().unwrap();
    let letter = ca.write("letter.txt", LETTER);

    // An ad-hoc CA made with openssl, and a certificate from it without hcRole.
    let other = |n: &str| ca.path(n).to_str().unwrap().to_owned();
    sh(&format!(
        "openssl req -x509 -newkey rsa:2048 -nodes -keyout '{}' -out '{}' -days 365 -subj '/C=JP/O=Other/CN=Other Root' \
         -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>&1",
        other("other-root.key"),
        other("other-root.pem")
    ));
    let ext = ca.write(
        "nohc.ext",
        "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,nonRepudiation\n",
    );
    sh(&format!(
        "openssl req -new -newkey rsa:2048 -nodes -keyout '{}' -out '{}' -subj '/C=JP/O=Nichii Hospital/CN=Taro Nichii' 2>&1 && \
         openssl x509 -req -in '{}' -CA '{}' -CAkey '{}' -CAcreateserial -days 30 -out '{}' -extfile '{}' 2>&1",
        other("nohc.key"),
        other("nohc.csr"),
        other("nohc.csr"),
        other("other-root.pem"),
        other("other-root.key"),
        other("nohc.pem"),
        ext.display()
    ));
    let nohc = ca.path("nohc.p7s");
    let key = other("nohc.key");
    let cert = other("nohc.pem");
    // openssl made the certificates valid from the real time.
    ca.set_clock_to_real_time();
    let (ok, text) = hpki_sign(
        &ca,
        &[
            "--format",
            "cades",
            "--level",
            "b",
            "--in",
            letter.to_str().unwrap(),
            "--out",
            nohc.to_str().unwrap(),
            "--key",
            &key,
            "--cert",
            &cert,
        ],
        &[],
    );
    assert!(ok, "{text}");
    let (code, json) = verify_json(
        &ca,
        &[
            nohc.to_str().unwrap(),
            "--detached",
            letter.to_str().unwrap(),
            "--trust",
            &other("other-root.pem"),
            "--no-fetch",
            "--no-revocation-check",
        ],
    );
    assert_eq!(code, 1, "{json}");
    assert_eq!(failure_kinds(&json), ["no_hc_role"], "{json}");
    let (_, out, _) = hpki_verify(
        &ca,
        &[
            nohc.to_str().unwrap(),
            "--detached",
            letter.to_str().unwrap(),
            "--trust",
            &other("other-root.pem"),
            "--no-fetch",
            "--no-revocation-check",
            "--lang",
            "en",
        ],
    );
    assert!(
        out.contains("not the HPKI certificate of a healthcare professional")
            && out.contains("no hcRole")
            && out.contains("no change to the document was found"),
        "{out}"
    );

    // The doctor's valid signature, checked against the wrong root.
    let lt = ca.path("letter-lt.p7s");
    dr.sign("cades", "lt", &letter, &lt, &[]);
    let (code, json) = verify_json(
        &ca,
        &[
            lt.to_str().unwrap(),
            "--detached",
            letter.to_str().unwrap(),
            "--trust",
            &other("other-root.pem"),
            "--no-fetch",
        ],
    );
    assert_eq!(code, 1, "{json}");
    // The signer's path, and the TSA's, lead to no trusted root.
    assert_eq!(
        json["signatures"][0]["at_signing"]["reason"]["kind"], "untrusted_root",
        "{json}"
    );
    assert!(failure_kinds(&json).contains(&"untrusted_root".to_owned()));

    // A second signer added by openssl (cms -resign) to the doctor's valid B-LT signature:
    // each SignerInfo is verified, and the second one's certificate leads to no trusted root.
    let cosigned = ca.path("letter-cosigned.p7s");
    sh(&format!(
        "openssl cms -resign -binary -inform DER -outform DER -in '{}' -out '{}' -signer '{}' -inkey '{}' -md sha256 2>&1",
        lt.display(),
        cosigned.display(),
        cert,
        key
    ));
    let (code, json) = verify_json(
        &ca,
        &[
            cosigned.to_str().unwrap(),
            "--detached",
            letter.to_str().unwrap(),
            "--trust",
            root,
            "--no-fetch",
        ],
    );
    assert_eq!(code, 1, "{json}");
    let signatures = json["signatures"].as_array().unwrap();
    assert_eq!(signatures.len(), 2, "{json}");
    // DER orders the SET OF SignerInfo by encoding (openssl re-sorts): find each by its signer.
    let by = |subscriber: serde_json::Value| {
        signatures
            .iter()
            .find(|s| s["signer"]["subscriber_id"] == subscriber)
            .unwrap_or_else(|| panic!("no signature of {subscriber}: {json}"))
    };
    let doctor = by("JMA9999999999".into());
    assert_eq!(
        (&doctor["verdict"], &doctor["level"]),
        (&"valid".into(), &"B-LT".into()),
        "{json}"
    );
    let other_signer = by(serde_json::Value::Null);
    assert_eq!(other_signer["verdict"], "invalid", "{json}");
    assert_eq!(
        other_signer["at_signing"]["reason"]["kind"], "untrusted_root",
        "{json}"
    );

    // A genuine token of the same TSA, but over other data, as the signature time-stamp.
    let bb = ca.path("letter-b.p7s");
    dr.sign("cades", "b", &letter, &bb, &[]);
    let stamper = hpki_fetch::HttpTimeStamper::new(dr.tsa.clone());
    let alg = hpki_sign::DigestAlgorithm::Sha256;
    let token = hpki_sign::ltv::TimeStamper::time_stamp(&stamper, alg, &alg.digest(b"other data"))
        .expect("a token over other data");
    let attribute = hpki_sign::cms::attribute(
        hpki_sign::cades::ID_AA_SIGNATURE_TIME_STAMP_TOKEN,
        der::Any::from_der(&token).unwrap(),
    )
    .unwrap();
    let forged =
        hpki_sign::cms::add_unsigned_attribute(&std::fs::read(&bb).unwrap(), 0, attribute).unwrap();
    let forged_path = ca.path("letter-foreign-ts.p7s");
    std::fs::write(&forged_path, forged).unwrap();
    let args = [
        forged_path.to_str().unwrap(),
        "--detached",
        letter.to_str().unwrap(),
        "--trust",
        root,
    ];
    let (code, json) = verify_json(&ca, &args);
    assert_eq!(code, 1, "{json}");
    assert_eq!(
        failure_kinds(&json),
        ["time_stamp_over_other_data"],
        "{json}"
    );
    let mut en = args.to_vec();
    en.extend(["--lang", "en"]);
    let (_, out, _) = hpki_verify(&ca, &en);
    assert!(out.contains("time-stamp over other data"), "{out}");

    // Usage errors and unreadable files: exit 2.
    let (code, _, err) = hpki_verify(&ca, &["/nonexistent.p7s", "--trust", root]);
    assert_eq!(code, 2, "{err}");
    let (code, _, _) = hpki_verify(&ca, &[lt.to_str().unwrap()]);
    assert_eq!(code, 2, "--trust is required");
    drop(server);
}
