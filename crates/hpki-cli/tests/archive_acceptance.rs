//! Issue #5, the archive of signed documents with the real `hpki` binary against a running
//! `hpki serve` (TSA, CRLs, OCSP): the demo doctor signs a referral letter (CAdES B-T,
//! detached), a PDF (PAdES B-B) and an XML medical certificate (XAdES B-T) with `hpki sign`;
//! `hpki archive add` keeps each at B-LTA; `hpki archive renew --now` renews nothing before
//! the due date and adds one archive time-stamp to each after it, and the exported documents
//! still verify with openssl, pyHanko and xmlsec1; deletion is refused before the retention
//! period ends and leaves a tombstone after; the audit log stays intact. On SQLite and
//! PostgreSQL.

mod common;

use hpki_testkit::on_both_backends;

use std::path::Path;
use std::process::{Command, Stdio};

use common::*;

on_both_backends!(documents_are_archived_renewed_and_deleted_after_their_period);

const LETTER: &str = "診療情報提供書（紹介状）\n日医病院 内科 御侍史\n患者: 日医 花子 様\n";
const CERTIFICATE_XML: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<診断書><患者>日医 花子</患者><病名>感冒</病名><所見>三日間の安静を要する。</所見></診断書>\n";

fn p(path: &Path) -> &str {
    path.to_str().expect("UTF-8 path")
}

/// The row of document `id` in `hpki archive list` output: its whitespace-separated fields.
fn row(list: &str, id: i64) -> Vec<String> {
    list.lines()
        .map(|l| l.split_whitespace().map(str::to_owned).collect::<Vec<_>>())
        .find(|f| f.first().map(String::as_str) == Some(&id.to_string()))
        .unwrap_or_else(|| panic!("no document {id} in\n{list}"))
}

/// `date` (YYYY-MM-DD) moved by `days`.
fn shift(date: &str, days: i64) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let d = time::Date::parse(date, &format).expect("a date") + time::Duration::days(days);
    d.format(&format).expect("format")
}

fn documents_are_archived_renewed_and_deleted_after_their_period(b: Backend) {
    for tool in ["pyhanko", "xmlsec1"] {
        require_tool(tool);
    }
    let (ca, server) = demo_served(b, &[]);
    let (key, cert) = demo_doctor(&ca);
    let tsa = format!("{}/tsa", server.url);
    let (root, sign_ca) = (ca.path("root.pem"), ca.path("sign-ca.pem"));

    // The doctor signs three documents with `hpki sign` (no data directory: his side).
    let sign = |format: &str, level: &str, input: &Path, out: &Path, extra: &[&str]| {
        let mut args = vec![
            "sign",
            "--format",
            format,
            "--level",
            level,
            "--in",
            p(input),
            "--out",
            p(out),
            "--key",
            p(&key),
            "--cert",
            p(&cert),
            "--chain",
            p(&sign_ca),
            "--trust",
            p(&root),
            "--tsa",
            &tsa,
        ];
        args.extend(extra);
        let out = Command::new(hpki_bin())
            .args(&args)
            .env("HPKI_SIGN_KEY_PASSPHRASE", PASSPHRASE)
            .stdin(Stdio::null())
            .output()
            .expect("hpki sign");
        assert!(
            out.status.success(),
            "hpki {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let letter = ca.write("letter.txt", LETTER);
    let letter_sig = ca.path("letter.txt.p7s");
    sign("cades", "t", &letter, &letter_sig, &[]);
    let pdf = ca.path("card-face.pdf");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/card-face.pdf"),
        &pdf,
    )
    .expect("a PDF to sign");
    let signed_pdf = ca.path("card-face-signed.pdf");
    sign("pades", "b", &pdf, &signed_pdf, &[]);
    let xml = ca.write("shindansho.xml", CERTIFICATE_XML);
    let signed_xml = ca.path("shindansho-signed.xml");
    sign("xades", "t", &xml, &signed_xml, &["--enveloping"]);

    // The table, with the seed's periods and the policy defaults marked.
    let types = ca.ok(&["archive", "types"]);
    for needle in [
        "照射録",
        "診療放射線技師法第28条",
        "調剤録",
        "薬剤師法第28条",
        "policy",
    ] {
        assert!(types.contains(needle), "{needle} in\n{types}");
    }

    // Archiving: each document comes in below B-LTA and is kept at B-LTA.
    let network = ["--tsa", &tsa, "--trust", p(&root), "--chain", p(&sign_ca)];
    let add = |ty: &str, title: &str, input: &Path, detached: Option<&Path>| {
        let mut args = vec![
            "archive",
            "add",
            "--type",
            ty,
            "--title",
            title,
            "--in",
            p(input),
        ];
        if let Some(d) = detached {
            args.extend(["--detached", p(d)]);
        }
        args.extend(network);
        ca.run_with(&args, &[])
    };
    let (ok, out) = add("referral-letter", "紹介状", &letter_sig, None);
    assert!(!ok && out.contains("--detached"), "{out}");
    let (ok, out) = add("prescription", "処方箋", &letter_sig, Some(&letter));
    assert!(!ok && out.contains("unknown document type"), "{out}");
    let (ok, out) = add(
        "referral-letter",
        "紹介状 日医花子様",
        &letter_sig,
        Some(&letter),
    );
    assert!(ok && out.contains("archived document 1"), "{out}");
    assert!(out.contains("B-T → B-LTA"), "{out}");
    let (ok, out) = add("診断書", "診断書 PDF 日医花子様", &signed_pdf, None);
    assert!(
        ok && out.contains("archived document 2") && out.contains("B-B → B-LTA"),
        "{out}"
    );
    let (ok, out) = add(
        "medical-certificate",
        "診断書 XML 日医花子様",
        &signed_xml,
        None,
    );
    assert!(
        ok && out.contains("archived document 3") && out.contains("B-T → B-LTA"),
        "{out}"
    );

    let export = |id: i64, name: &str| -> Vec<u8> {
        let out = ca.path(name);
        ca.ok(&[
            "archive",
            "export",
            "--id",
            &id.to_string(),
            "--out",
            p(&out),
        ]);
        std::fs::read(&out).expect("exported")
    };
    let archive_stamps = |cades: &[u8], pdf: &[u8], xml: &[u8]| {
        let c = hpki_sign::cades::inspect(cades).expect("CAdES");
        assert_eq!(c.level, hpki_sign::Level::Lta);
        let docs = hpki_sign::pades::signatures(pdf)
            .expect("PAdES")
            .iter()
            .filter(|s| s.is_document_time_stamp())
            .count();
        let x = hpki_sign::xades::inspect(std::str::from_utf8(xml).expect("UTF-8")).expect("XAdES");
        assert_eq!(x.level, hpki_sign::Level::Lta);
        (
            c.archive_time_stamps.len(),
            docs,
            x.archive_time_stamps.len(),
        )
    };
    let (c1, p1, x1) = (export(1, "1.p7s"), export(2, "2.pdf"), export(3, "3.xml"));
    assert_eq!(archive_stamps(&c1, &p1, &x1), (1, 1, 1));

    // The listing: kept 5 years, the renewal due 90 days before the TSA certificate ends.
    let list = ca.ok(&["archive", "list"]);
    let (kept_until, renew_due) = {
        let r = row(&list, 1);
        (r[3].clone(), r[4].clone())
    };
    let today = hpki_clock::jst::date(ca.now());
    let year = |d: &str| d[..4].parse::<i32>().expect("year");
    assert!(
        [today.year() + 5, today.year() + 6].contains(&year(&kept_until)),
        "{list}"
    );
    assert!(year(&renew_due) >= today.year() + 9, "{list}");
    assert_eq!(row(&list, 2)[2], "medical-certificate");

    // Before the due date the job renews nothing.
    let tomorrow = shift(&format!("{today}"), 1);
    let out = ca.ok(&[
        "archive",
        "renew",
        "--now",
        &tomorrow,
        "--tsa",
        &tsa,
        "--trust",
        p(&root),
    ]);
    assert!(out.contains("0 renewed, 0 failed"), "{out}");
    assert!(
        ca.ok(&["archive", "list", "--due", "--now", &tomorrow])
            .lines()
            .count()
            == 1
    );
    // After it, each document gets one more archive time-stamp.
    let after_due = shift(&renew_due, 1);
    let due = ca.ok(&["archive", "list", "--due", "--now", &after_due]);
    assert_eq!(
        due.lines().filter(|l| l.contains(" DUE ")).count(),
        3,
        "{due}"
    );
    let out = ca.ok(&[
        "archive",
        "renew",
        "--now",
        &after_due,
        "--tsa",
        &tsa,
        "--trust",
        p(&root),
        "--chain",
        p(&sign_ca),
    ]);
    assert!(out.contains("3 renewed, 0 failed"), "{out}");
    let (c2, p2, x2) = (
        export(1, "1-renewed.p7s"),
        export(2, "2-renewed.pdf"),
        export(3, "3-renewed.xml"),
    );
    assert_eq!(archive_stamps(&c2, &p2, &x2), (2, 2, 2));
    assert!(p2.starts_with(&p1), "a PDF grows by incremental updates");
    assert_eq!(row(&ca.ok(&["archive", "list"]), 1)[5], "1", "one renewal");

    // The renewed documents still verify with the relying parties' tools.
    let (ok, out) = sh_out(&format!(
        "openssl cms -verify -binary -inform DER -in '{}' -content '{}' -CAfile '{}' -purpose any -crl_check_all -out /dev/null 2>&1",
        ca.path("1-renewed.p7s").display(),
        letter.display(),
        root.display()
    ));
    assert!(ok && out.contains("Verification successful"), "{out}");
    let (ok, out) = sh_out(&format!(
        "pyhanko sign validate --trust-replace --trust '{}' '{}'",
        root.display(),
        ca.path("2-renewed.pdf").display()
    ));
    assert!(ok && out.contains("INTACT:TRUSTED"), "{out}");
    let (ok, out) = sh_out(&format!(
        "xmlsec1 --verify --trusted-pem '{}' --untrusted-pem '{}' \
         --id-attr:Id http://uri.etsi.org/01903/v1.3.2#:SignedProperties \
         --id-attr:Id http://www.w3.org/2000/09/xmldsig#:KeyInfo '{}'",
        root.display(),
        sign_ca.display(),
        ca.path("3-renewed.xml").display()
    ));
    assert!(ok && out.contains("OK"), "{out}");

    // A document renewed on demand (after a TSA certificate change), and a job with a
    // failure exits non-zero.
    let out = ca.ok(&[
        "archive",
        "renew",
        "--id",
        "3",
        "--tsa",
        &tsa,
        "--trust",
        p(&root),
    ]);
    assert!(out.contains("1 renewed, 0 failed"), "{out}");
    let x3 = export(3, "3-forced.xml");
    let info = hpki_sign::xades::inspect(std::str::from_utf8(&x3).expect("UTF-8")).expect("XAdES");
    assert_eq!(info.archive_time_stamps.len(), 3);
    let (ok, out) = ca.run_with(
        &[
            "archive",
            "renew",
            "--id",
            "99",
            "--tsa",
            &tsa,
            "--trust",
            p(&root),
        ],
        &[],
    );
    assert!(
        !ok && out.contains("0 renewed, 1 failed") && out.contains("文書 99"),
        "{out}"
    );

    // Deletion: refused before the retention period ends, with the reason; done after it.
    let (ok, out) = ca.run_with(&["archive", "delete", "--id", "1", "--reason", "不要"], &[]);
    assert!(!ok, "{out}");
    assert!(
        out.contains("deletion refused") && out.contains("保存しなければなりません"),
        "{out}"
    );
    assert!(
        out.contains(&kept_until),
        "the end of the period is named: {out}"
    );
    let day_before = shift(&kept_until, -1);
    let (ok, out) = ca.run_with(
        &[
            "archive",
            "delete",
            "--id",
            "1",
            "--reason",
            "保存期間満了",
            "--now",
            &day_before,
        ],
        &[],
    );
    assert!(!ok && out.contains("deletion refused"), "{out}");
    let out = ca.ok(&[
        "archive",
        "delete",
        "--id",
        "1",
        "--reason",
        "保存期間満了",
        "--now",
        &kept_until,
    ]);
    assert!(out.contains("tombstone"), "{out}");
    let (ok, out) = ca.run_with(
        &[
            "archive",
            "export",
            "--id",
            "1",
            "--out",
            p(&ca.path("gone.p7s")),
        ],
        &[],
    );
    assert!(!ok && out.contains("was deleted"), "{out}");
    let list = ca.ok(&["archive", "list"]);
    assert!(
        list.lines().all(|l| !l.trim_start().starts_with("1 ")),
        "{list}"
    );
    let all = ca.ok(&["archive", "list", "--all"]);
    assert_eq!(row(&all, 1)[6], "deleted", "{all}");

    ca.assert_audited_in_order(&[
        "archive.added archive/1",
        "archive.added archive/2",
        "archive.added archive/3",
        "archive.renewed archive/1",
        "archive.renewed archive/2",
        "archive.renewed archive/3",
        "archive.renewed archive/3",
        "archive.deletion_refused archive/1",
        "archive.deletion_refused archive/1",
        "archive.deleted archive/1",
    ]);
    drop(server);
}
