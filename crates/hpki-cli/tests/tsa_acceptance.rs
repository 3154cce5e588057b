//! Issue #5, part 1, the acceptance line "`openssl ts -verify` accepts the TSA's responses":
//! the real `hpki` binary serves `POST /tsa`, openssl makes the queries and checks the replies,
//! pkilint the TSA certificate, on SQLite and on PostgreSQL.

mod common;

use hpki_testkit::on_both_backends;

use std::path::{Path, PathBuf};

use common::*;

on_both_backends!(openssl_ts_verifies_the_demo_tsa, production_tsa_from_a_csr,);

const DATA: &str = "紹介状\n日医 太郎 先生 → 日医病院 内科\n";
const PLACEHOLDER_POLICY: &str = "1.3.6.1.4.1.32473.3161.1";

/// `openssl ts -query -data F <args>` into `name`.
fn query(ca: &Ca, data: &Path, args: &str, name: &str) -> PathBuf {
    let q = ca.path(name);
    sh(&format!(
        "openssl ts -query -data '{}' {args} -out '{}'",
        data.display(),
        q.display()
    ));
    q
}

/// POST a query file to `/tsa` with curl; the reply file and the HTTP status.
fn post(server: &Server, ca: &Ca, query: &Path, name: &str) -> (PathBuf, String) {
    let r = ca.path(name);
    let (_, status) = sh_out(&format!(
        "curl -sS -o '{}' -w '%{{http_code}}' -H 'Content-Type: application/timestamp-query' --data-binary @'{}' {}/tsa",
        r.display(),
        query.display(),
        server.url
    ));
    (r, status)
}

fn reply_text(reply: &Path) -> String {
    sh(&format!(
        "openssl ts -reply -in '{}' -text",
        reply.display()
    ))
}

/// `openssl ts -verify` of `reply` over `data`: (success, output).
fn ts_verify(
    data: &Path,
    reply: &Path,
    ca_file: &Path,
    untrusted: Option<&Path>,
) -> (bool, String) {
    let untrusted = untrusted
        .map(|u| format!("-untrusted '{}'", u.display()))
        .unwrap_or_default();
    sh_out(&format!(
        "openssl ts -verify -data '{}' -in '{}' -CAfile '{}' {untrusted}",
        data.display(),
        reply.display(),
        ca_file.display()
    ))
}

fn serial_of(text: &str) -> String {
    let line = text
        .lines()
        .find(|l| l.starts_with("Serial number:"))
        .expect("serial number");
    line.trim_start_matches("Serial number:")
        .trim()
        .trim_start_matches("0x")
        .trim_start_matches('0')
        .to_lowercase()
}

/// The demo TSA: certificate linted clean with the critical timeStamping EKU under the root;
/// tokens for SHA-256 (certificate requested, no nonce) and SHA-512 (nonce) granted under the
/// configured policy and verified by openssl; other data fails; SHA-1, MD5 and a malformed
/// query are rejected with their reason; every token is recorded; the audit log verifies.
fn openssl_ts_verifies_the_demo_tsa(b: Backend) {
    require_tool("openssl");
    require_tool("curl");
    let ca = Ca::demo(b);
    ca.export_chain();
    let root = ca.path("root.pem");
    let tsa = ca.path("tsa.pem");
    ca.ok(&["tsa", "export", "--out", tsa.to_str().unwrap()]);

    let text = sh(&format!(
        "openssl x509 -in '{}' -noout -text",
        tsa.display()
    ));
    let eku = text
        .lines()
        .position(|l| l.contains("X509v3 Extended Key Usage: critical"))
        .expect("critical EKU");
    assert_eq!(text.lines().nth(eku + 1).unwrap().trim(), "Time Stamping");
    let ku = text
        .lines()
        .position(|l| l.contains("X509v3 Key Usage: critical"))
        .expect("critical keyUsage");
    assert_eq!(
        text.lines().nth(ku + 1).unwrap().trim(),
        "Digital Signature"
    );
    assert!(text.contains("/crl/root.crl"), "{text}");
    let out = sh(&format!(
        "openssl verify -CAfile '{}' -purpose timestampsign '{}'",
        root.display(),
        tsa.display()
    ));
    assert!(out.contains(": OK"), "{out}");
    assert_eq!(
        pkilint_errors("lint_pkix_cert lint", &tsa),
        Vec::<String>::new()
    );

    let server = ca.serve();
    // The certificate is published too.
    let fetched = ca.path("tsa.der");
    sh(&format!(
        "curl -sf -o '{}' {}/ca/tsa.crt",
        fetched.display(),
        server.url
    ));
    let fetched_pem = sh(&format!(
        "openssl x509 -inform DER -in '{}'",
        fetched.display()
    ));
    assert_eq!(
        fetched_pem.trim(),
        std::fs::read_to_string(&tsa).unwrap().trim()
    );

    let data = ca.write("letter.txt", DATA);
    let mut serials = Vec::new();
    for (args, name) in [
        ("-sha256 -cert -no_nonce", "sha256"),
        ("-sha512", "sha512-nonce"),
    ] {
        let q = query(&ca, &data, args, &format!("{name}.tsq"));
        let (reply, status) = post(&server, &ca, &q, &format!("{name}.tsr"));
        assert_eq!(status, "200");
        let text = reply_text(&reply);
        assert!(text.contains("Status: Granted."), "{text}");
        assert!(
            text.contains(&format!("Policy OID: {PLACEHOLDER_POLICY}")),
            "{text}"
        );
        assert!(
            text.contains(
                "TSA: DirName:/C=JP/O=Japan Medical Association/CN=JMA HPKI Time-Stamping Authority"
            ),
            "{text}"
        );
        assert!(text.contains("Accuracy: 0x01 seconds"), "{text}");
        let q_text = sh(&format!("openssl ts -query -in '{}' -text", q.display()));
        let nonce = |t: &str| {
            t.lines()
                .find(|l| l.starts_with("Nonce:"))
                .map(str::to_owned)
        };
        assert_eq!(nonce(&text), nonce(&q_text), "nonce echoed");
        serials.push(serial_of(&text));

        let (ok, out) = ts_verify(&data, &reply, &root, Some(&tsa));
        assert!(ok && out.contains("Verification: OK"), "{out}");
        // Against the query too (imprint, nonce, policy checked by openssl).
        let (ok, out) = sh_out(&format!(
            "openssl ts -verify -queryfile '{}' -in '{}' -CAfile '{}' -untrusted '{}'",
            q.display(),
            reply.display(),
            root.display(),
            tsa.display()
        ));
        assert!(ok && out.contains("Verification: OK"), "{out}");
        // Other data: openssl refuses.
        let other = ca.write("other.txt", "改ざんされた紹介状\n");
        let (ok, out) = ts_verify(&other, &reply, &root, Some(&tsa));
        assert!(!ok, "a token over other data must not verify: {out}");
        assert!(out.contains("FAILED"), "{out}");
    }
    // The -cert token carries the TSA certificate: the root alone suffices.
    let (ok, out) = ts_verify(&data, &ca.path("sha256.tsr"), &root, None);
    assert!(ok && out.contains("Verification: OK"), "{out}");
    // A token does not verify under another root.
    let (ok, _) = ts_verify(
        &data,
        &ca.path("sha256.tsr"),
        &ca.path("sign-ca.pem"),
        Some(&tsa),
    );
    assert!(!ok);

    // SHA-1 and MD5 are refused (badAlg): RFC 3161 leaves the choice to the TSA, and a
    // collision-prone hash would let a requester time-stamp two documents at once.
    for alg in ["sha1", "md5"] {
        let q = query(&ca, &data, &format!("-{alg}"), &format!("{alg}.tsq"));
        let (reply, status) = post(&server, &ca, &q, &format!("{alg}.tsr"));
        assert_eq!(status, "200");
        let text = reply_text(&reply);
        assert!(text.contains("Status: Rejected."), "{text}");
        assert!(
            text.contains("unrecognized or unsupported algorithm identifier"),
            "{text}"
        );
        assert!(text.contains("TST info:\nNot included."), "{text}");
    }
    // Not a TimeStampReq: HTTP 200, rejection, badDataFormat (RFC 3161 §2.4.2).
    let garbage = ca.write("garbage.tsq", "this is not DER");
    let (reply, status) = post(&server, &ca, &garbage, "garbage.tsr");
    assert_eq!(status, "200");
    let text = reply_text(&reply);
    assert!(text.contains("Status: Rejected."), "{text}");
    assert!(
        text.contains("the data submitted has the wrong format"),
        "{text}"
    );
    drop(server);

    // Every granted token is in the TSA's records, the refused ones are not.
    let list = ca.ok(&["tsa", "list"]);
    for s in &serials {
        assert!(
            list.contains(s.as_str()),
            "serial {s} not recorded:\n{list}"
        );
    }
    assert_eq!(list.lines().count(), 1 + serials.len(), "{list}");
    let show = ca.ok(&["tsa", "show"]);
    assert!(
        show.contains("tokens issued / 発行済みタイムスタンプ: 2"),
        "{show}"
    );
    assert!(show.contains(PLACEHOLDER_POLICY), "{show}");
    ca.assert_audited_in_order(&[
        "ca.certificate_issued root",
        "tsa.key_created tsa",
        "tsa.certificate_installed tsa",
    ]);
    // The TSA exists: a second set-up is refused.
    let err = ca.fails(&["tsa", "init"]);
    assert!(err.contains("already"), "{err}");
}

/// A production data directory: `hpki tsa init` creates the key and a request, an outside CA
/// certifies it, `hpki tsa install-cert` refuses a certificate without the TSA EKU and installs
/// the right one; the tokens then verify under that CA.
fn production_tsa_from_a_csr(b: Backend) {
    require_tool("openssl");
    require_tool("curl");
    let ca = Ca::init(b, false);
    assert!(ca.ok(&["tsa", "show"]).contains("no TSA is set up"));
    let csr = ca.path("tsa.csr");
    let out = ca.ok(&["tsa", "init", "--csr-out", csr.to_str().unwrap()]);
    assert!(out.contains("install-cert"), "{out}");
    sh(&format!(
        "openssl req -in '{}' -verify -noout",
        csr.display()
    ));
    let subject = sh(&format!(
        "openssl req -in '{}' -noout -subject",
        csr.display()
    ));
    assert!(
        subject.contains("CN = JMA HPKI Time-Stamping Authority"),
        "{subject}"
    );
    assert!(
        ca.ok(&["tsa", "show"])
            .contains("certificate not installed")
    );

    let (root_key, root) = (ca.path("tsa-root.key"), ca.path("tsa-root.pem"));
    sh(&format!(
        "openssl req -x509 -newkey rsa:2048 -nodes -keyout '{}' -subj '/C=JP/O=Outside TSA root' -days 3650 -out '{}' \
         -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign",
        root_key.display(),
        root.display()
    ));
    let certify = |ext: &str, out: &str| {
        let ext_file = ca.write(&format!("{out}.ext"), ext);
        let cert = ca.path(out);
        sh(&format!(
            "openssl x509 -req -in '{}' -CA '{}' -CAkey '{}' -set_serial 0x5001 -days 365 -extfile '{}' -out '{}'",
            csr.display(),
            root.display(),
            root_key.display(),
            ext_file.display(),
            cert.display()
        ));
        // openssl made it valid from the second it signed it (on a loaded machine a second or
        // more after the last clock setting): the CA's time follows, so that each refusal below
        // is for what it tests and not "not valid yet".
        ca.set_clock_to_real_time();
        cert
    };
    // Non-critical EKU: refused (RFC 3161 §2.3).
    let weak = certify(
        "keyUsage=critical,digitalSignature\nextendedKeyUsage=timeStamping\n",
        "weak.pem",
    );
    let err = ca.fails(&[
        "tsa",
        "install-cert",
        "--cert",
        weak.to_str().unwrap(),
        "--issuer",
        root.to_str().unwrap(),
    ]);
    assert!(err.contains("critical"), "{err}");
    let good = certify(
        "keyUsage=critical,digitalSignature\nextendedKeyUsage=critical,timeStamping\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n",
        "tsa.pem",
    );
    // Without the issuer, hpki cannot check the signature: refused.
    let err = ca.fails(&["tsa", "install-cert", "--cert", good.to_str().unwrap()]);
    assert!(err.contains("issuer"), "{err}");
    ca.ok(&[
        "tsa",
        "install-cert",
        "--cert",
        good.to_str().unwrap(),
        "--issuer",
        root.to_str().unwrap(),
    ]);

    let server = ca.serve();
    let data = ca.write("letter.txt", DATA);
    let q = query(&ca, &data, "-sha384 -cert", "q.tsq");
    let (reply, status) = post(&server, &ca, &q, "r.tsr");
    assert_eq!(status, "200");
    assert!(reply_text(&reply).contains("Status: Granted."));
    let (ok, out) = ts_verify(&data, &reply, &root, None);
    assert!(ok && out.contains("Verification: OK"), "{out}");
    drop(server);
    ca.assert_audited_in_order(&["tsa.key_created tsa", "tsa.certificate_installed tsa"]);
}
