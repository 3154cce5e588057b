//! PAdES B-B … B-LTA against the validators relying parties use: pyHanko (`pyhanko sign
//! validate`, and `pyhanko sign adesverify` for the long-term levels with the server stopped, so
//! only the DSS can answer) and poppler's `pdfsig` with the demo root trusted in an NSS
//! database. The signer is a doctor's certificate from a demo CA running in-process on
//! loopback (`hpki_server::serve`: TSA, CRLs, OCSP); the documents are the card face rendered by
//! krilla (classic cross-reference table) and the same saved with a cross-reference stream.
//!
//! Needs `pyhanko` (PyPI pyhanko + pyhanko-cli), `pdfsig` (Debian poppler-utils), `certutil`
//! (Debian libnss3-tools) and IPAex Gothic (fonts-ipaexfont-gothic); `scripts/test.sh` installs
//! them. A missing tool is a failure, never a skip.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use der::{DecodePem, Encode};
use hpki_ca::ceremony::{DEMO_SUBSCRIBER, InitOptions, build_csr, init};
use hpki_cardface::{CardFace, CardHolder, Fonts, Issuer, render_pdf};
use hpki_fetch::{HttpTimeStamper, HttpValidationSource};
use hpki_keys::{KeyKind, SoftwareKey};
use hpki_sign::cms::{ContentSource, parse_content_info, verify_signer_info};
use hpki_sign::pades::{
    self, Appearance, ID_AA_SIGNATURE_TIME_STAMP_TOKEN, PadesOptions, SUB_FILTER_CADES,
    SUB_FILTER_RFC3161,
};
use hpki_sign::{DigestAlgorithm, Level, SignContext};
use x509_cert::Certificate;

const IPAEX_GOTHIC: &str = "/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf";
const INSTALL_HINT: &str = "scripts/test.sh installs it (PyPI pyhanko + pyhanko-cli, Debian \
                            poppler-utils, libnss3-tools, fonts-ipaexfont-gothic)";

/// Runs `program` with `args`; panics naming scripts/test.sh when the program is missing.
fn run(program: &str, args: &[&str]) -> (bool, String) {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}; {INSTALL_HINT}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

fn path(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// The card face of the demo doctor as a PDF (krilla: classic cross-reference table).
fn card_face_pdf(font: &[u8]) -> Vec<u8> {
    let fonts = Fonts::from_bytes(font.to_vec()).expect("usable CJK font");
    let face = CardFace {
        holder: CardHolder {
            name_kanji: "日医 太郎".into(),
            name_romaji: "Taro Nichii".into(),
            birth_date: time::macros::date!(1955 - 01 - 01),
            member_id: Some("9999999999".into()),
            license_number: "TESTC00021".into(),
            photo: None,
        },
        card_id: "JMAC61100001".into(),
        issued: time::macros::date!(2025 - 04 - 01),
        expires: time::macros::date!(2031 - 03 - 31),
        issuer: Issuer::jma(),
    };
    render_pdf(&face, &fonts).expect("card face pdf")
}

/// The same document written by lopdf with object streams and a cross-reference stream.
fn with_xref_stream(pdf: &[u8]) -> Vec<u8> {
    let mut doc = lopdf::Document::load_mem(pdf).expect("lopdf reads the card face");
    let mut out = Vec::new();
    doc.save_modern(&mut out).expect("save with xref stream");
    assert!(
        out.windows(10).any(|w| w == b"/Type/XRef") || out.windows(11).any(|w| w == b"/Type /XRef"),
        "lopdf wrote a cross-reference stream"
    );
    out
}

/// pyHanko's one-line summary of each signature (`validate` without --pretty-print), and
/// whether it judged every signature valid.
fn pyhanko_validate(root: &Path, file: &Path) -> (bool, String) {
    run(
        "pyhanko",
        &[
            "sign",
            "validate",
            "--trust-replace",
            "--trust",
            path(root),
            path(file),
        ],
    )
}

fn pyhanko_pretty(root: &Path, file: &Path) -> (bool, String) {
    run(
        "pyhanko",
        &[
            "sign",
            "validate",
            "--pretty-print",
            "--trust-replace",
            "--trust",
            path(root),
            path(file),
        ],
    )
}

/// pyHanko's AdES validation (ETSI EN 319 102-1 with long-term processes): revocation data is
/// required and not fetched, so it must come from the file.
fn pyhanko_ades(root: &Path, file: &Path) -> (bool, String) {
    run(
        "pyhanko",
        &[
            "sign",
            "adesverify",
            "--pretty-print",
            "--trust-replace",
            "--trust",
            path(root),
            path(file),
        ],
    )
}

/// pyHanko's validation of each document time-stamp (which `pyhanko sign validate` does not
/// list), with only the DSS as source of revocation data (required, no fetching). Prints one
/// summary line per time-stamp, e.g. `DocTimeStamp1:INTACT:TRUSTED,UNTOUCHED`.
const PYHANKO_DOC_TIME_STAMPS: &str = r#"
import sys
from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_timestamp
from pyhanko.sign.validation.dss import DocumentSecurityStore
root = load_cert_from_pemder(sys.argv[1])
ok = True
with open(sys.argv[2], 'rb') as f:
    r = PdfFileReader(f)
    stamps = r.embedded_timestamp_signatures
    if not stamps:
        sys.exit('no document time-stamp')
    for ts in stamps:
        vc = DocumentSecurityStore.read_dss(r).as_validation_context(
            {'trust_roots': [root], 'allow_fetching': False, 'revocation_mode': 'require'})
        status = validate_pdf_timestamp(ts, validation_context=vc)
        print(f'{ts.field_name}:{status.summary()}')
        ok &= status.valid and status.intact and status.trusted
sys.exit(0 if ok else 1)
"#;

fn pyhanko_document_time_stamps(root: &Path, file: &Path) -> (bool, String) {
    run(
        "python3",
        &["-c", PYHANKO_DOC_TIME_STAMPS, path(root), path(file)],
    )
}

fn pdfsig(nss: &str, file: &Path) -> (bool, String) {
    run("pdfsig", &["-nssdir", nss, path(file)])
}

/// An NSS database in `dir` trusting `root` as a CA.
fn nss_db(dir: &Path, root: &Path) -> String {
    std::fs::create_dir_all(dir).unwrap();
    let db = format!("sql:{}", path(dir));
    let (ok, out) = run("certutil", &["-N", "--empty-password", "-d", &db]);
    assert!(ok, "certutil -N: {out}");
    let (ok, out) = run(
        "certutil",
        &[
            "-A",
            "-n",
            "hpki-root",
            "-t",
            "C,C,C",
            "-i",
            path(root),
            "-d",
            &db,
        ],
    );
    assert!(ok, "certutil -A: {out}");
    db
}

/// The pdfsig block of signature `n` (1-based).
fn pdfsig_block(output: &str, n: usize) -> &str {
    let start = output
        .find(&format!("Signature #{n}:"))
        .unwrap_or_else(|| panic!("no signature #{n}:\n{output}"));
    let rest = &output[start..];
    let end = rest[1..].find("Signature #").map_or(rest.len(), |e| e + 1);
    &rest[..end]
}

/// A byte of `pdf` in the middle of the original document's first stream: inside the signed
/// range, and harmless to the file's structure.
fn flip_byte_inside(pdf: &[u8], original_len: usize) -> Vec<u8> {
    let at = pdf[..original_len]
        .windows(7)
        .position(|w| w == b"stream\n")
        .expect("a stream")
        + 20;
    let mut changed = pdf.to_vec();
    changed[at] ^= 0x01;
    changed
}

struct Fixture {
    dir: tempfile::TempDir,
    key: SoftwareKey,
    leaf: Certificate,
    chain: Vec<Certificate>,
    root_pem: PathBuf,
    nss: String,
    tsa: HttpTimeStamper,
    validation: HttpValidationSource,
}

impl Fixture {
    fn ctx(&self) -> SignContext<'_> {
        SignContext {
            signer: &self.key,
            certificate: &self.leaf,
            chain: &self.chain,
            signing_time: hpki_clock::Clock::now(&hpki_clock::SystemClock),
            time_stamper: Some(&self.tsa),
            validation: Some(&self.validation),
        }
    }

    fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        // HPKI_PADES_OUT=dir keeps the files for a look (pdftoppm, a viewer).
        if let Some(out) = std::env::var_os("HPKI_PADES_OUT") {
            std::fs::write(Path::new(&out).join(name), bytes).unwrap();
        }
        p
    }
}

/// Checks what the library itself reads back from a signed file.
fn check_structure(original: &[u8], signed: &[u8], level: Level, leaf: &Certificate) {
    assert!(
        signed.starts_with(original),
        "{level:?}: incremental update"
    );
    let sigs = pades::signatures(signed).expect("signatures");
    let expected = if level == Level::Lta { 2 } else { 1 };
    assert_eq!(sigs.len(), expected, "{level:?}: {sigs:?}");
    let sig = &sigs[0];
    assert_eq!(sig.sub_filter, SUB_FILTER_CADES);
    assert_eq!(sig.kind, "Sig");
    assert!(sig.byte_range_ok);
    assert_eq!(sig.byte_range[0], 0);
    assert_eq!(sig.covers_whole_file, level <= Level::T);
    assert!(
        sig.signing_time
            .as_deref()
            .is_some_and(|m| m.starts_with("D:"))
    );
    // The CMS: detached, over the byte ranges, no signing-time, signing-certificate-v2.
    let parsed = parse_content_info(&sig.contents).expect("CMS");
    assert!(parsed.econtent.is_none());
    let signer = &parsed.signer_infos[0];
    let verified = verify_signer_info(
        &parsed,
        signer,
        leaf,
        ContentSource::DetachedDigest(&sig.digest(signed, DigestAlgorithm::Sha256)),
    )
    .expect("the CMS verifies over the byte ranges");
    assert!(verified.signing_time.is_none(), "PAdES: no signing-time");
    assert!(verified.signing_certificate.is_some());
    let tokens = signer.unsigned_attribute_values(ID_AA_SIGNATURE_TIME_STAMP_TOKEN);
    assert_eq!(tokens.len(), usize::from(level >= Level::T), "{level:?}");
    let dss = pades::dss(signed).expect("dss");
    if level >= Level::Lt {
        assert!(dss.certificates.contains(&leaf.to_der().unwrap()));
        assert!(
            dss.certificates.len() >= 4,
            "leaf, CA, root, TSA, OCSP responder"
        );
        assert!(!dss.crls.is_empty());
        assert!(!dss.ocsp_responses.is_empty());
    } else {
        assert_eq!(dss, Default::default());
    }
    if level == Level::Lta {
        let ts = &sigs[1];
        assert_eq!(ts.sub_filter, SUB_FILTER_RFC3161);
        assert_eq!(ts.kind, "DocTimeStamp");
        assert!(ts.covers_whole_file, "the document time-stamp is last");
        let imprint = hpki_asn1::tsp::MessageImprint {
            hash_algorithm: DigestAlgorithm::Sha256.algorithm_identifier(),
            hashed_message: der::asn1::OctetString::new(ts.digest(signed, DigestAlgorithm::Sha256))
                .unwrap(),
        };
        hpki_sign::tsp::verify_token(&ts.contents, &imprint, None)
            .expect("the document time-stamp is over the byte ranges");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn pades_levels_validate_in_pyhanko_and_pdfsig() {
    let font = std::fs::read(IPAEX_GOTHIC)
        .unwrap_or_else(|e| panic!("cannot read {IPAEX_GOTHIC}: {e}; {INSTALL_HINT}"));
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let base = format!("http://127.0.0.1:{port}");
    let dir = tempfile::tempdir().expect("tempdir");
    let opts = InitOptions {
        demo: true,
        database_url: None,
        public_base_url: base.clone(),
        passphrase: "pades test".into(),
        actor: "test".into(),
        hsm: None,
    };
    let engine = Arc::new(
        init(&dir.path().join("ca"), &opts, &mut |_| {})
            .await
            .expect("init"),
    );
    let key = SoftwareKey::generate(KeyKind::Rsa(2048)).expect("key");
    let csr = build_csr(&key, x509_cert::name::Name::default()).expect("csr");
    let issued = engine
        .issue(
            hpki_ca::CaName::Sign,
            &hpki_ca::issue::CheckedCsr::parse(&csr).expect("CSR"),
            &engine.subject(DEMO_SUBSCRIBER).expect("subject"),
        )
        .await
        .expect("issue");
    let root = engine
        .authority(hpki_ca::CaName::Root)
        .expect("root")
        .ca
        .cert
        .clone();
    let sign_ca = engine
        .authority(hpki_ca::CaName::Sign)
        .expect("sign CA")
        .ca
        .cert
        .clone();
    let (tx, rx) = tokio::sync::oneshot::channel();
    let server = engine.clone();
    let server = tokio::spawn(async move {
        hpki_server::serve(server, format!("127.0.0.1:{port}").parse().unwrap(), |_| {
            let _ = tx.send(());
        })
        .await
        .expect("serve");
    });
    rx.await.expect("server up");

    let leaf = Certificate::from_pem(issued.pem().as_bytes()).expect("leaf");
    let root_pem = dir.path().join("root.pem");
    std::fs::write(
        &root_pem,
        der::pem::encode_string(
            "CERTIFICATE",
            der::pem::LineEnding::LF,
            &root.to_der().unwrap(),
        )
        .unwrap(),
    )
    .unwrap();
    let nss = nss_db(&dir.path().join("nss"), &root_pem);
    let fixture = Fixture {
        key,
        leaf,
        chain: vec![sign_ca, root.clone()],
        root_pem,
        nss,
        tsa: HttpTimeStamper::new(format!("{base}/tsa")),
        validation: HttpValidationSource::new(vec![root]),
        dir,
    };

    // Everything that talks to the server and the tools runs off the async runtime.
    let (fixture, offline_checks) = tokio::task::spawn_blocking(move || {
        let classic = card_face_pdf(&font);
        assert!(
            classic.windows(5).any(|w| w == b"xref\n")
                && !classic.windows(10).any(|w| w == b"/Type/XRef"),
            "krilla writes a classic cross-reference table"
        );
        let stream = with_xref_stream(&classic);
        let mut offline = Vec::new();
        for (input_name, original) in [("classic", &classic), ("xrefstream", &stream)] {
            let input = fixture.write(&format!("{input_name}.pdf"), original);
            let (ok, out) = pdfsig(&fixture.nss, &input);
            assert!(!out.contains("Signature #1"), "unsigned input: {ok} {out}");
            for level in [Level::B, Level::T, Level::Lt, Level::Lta] {
                let appearance = (level == Level::Lt).then(|| {
                    Appearance::signer(
                        0,
                        [20.0, 20.0, 200.0, 60.0],
                        "日医 太郎",
                        hpki_clock::Clock::now(&hpki_clock::SystemClock),
                        Some(font.clone()),
                    )
                    .unwrap()
                });
                let options = PadesOptions {
                    appearance,
                    reason: Some("診断書の作成".into()),
                    ..PadesOptions::default()
                };
                let signed = pades::sign(&fixture.ctx(), original, level, &options)
                    .unwrap_or_else(|e| panic!("{input_name} {level:?}: {e}"));
                check_structure(original, &signed, level, &fixture.leaf);
                let name = format!("{input_name}-{}.pdf", level.name());
                let file = fixture.write(&name, &signed);

                // pyHanko: intact, valid, trusted (revocation checked online for B-B/B-T).
                let (ok, out) = pyhanko_validate(&fixture.root_pem, &file);
                assert!(ok, "pyhanko {name}:\n{out}");
                let summary = out.lines().find(|l| l.contains(":INTACT:")).unwrap_or("");
                assert!(summary.contains("INTACT:TRUSTED"), "pyhanko {name}:\n{out}");
                let has_ts = summary.contains("TIMESTAMP_TOKEN<INTACT:TRUSTED>");
                assert_eq!(has_ts, level >= Level::T, "pyhanko {name}:\n{out}");
                if level <= Level::T {
                    assert!(summary.ends_with("UNTOUCHED"), "pyhanko {name}:\n{out}");
                } else {
                    assert!(
                        summary.contains("EXTENDED_WITH_LTA_UPDATES"),
                        "pyhanko {name}: later updates are DSS / time-stamps only:\n{out}"
                    );
                }
                if input_name == "classic" {
                    let (ok, pretty) = pyhanko_pretty(&fixture.root_pem, &file);
                    assert!(
                        ok && pretty.contains("The signature is judged VALID."),
                        "{pretty}"
                    );
                    eprintln!("== pyhanko sign validate --pretty-print {name}\n{pretty}");
                }

                // pdfsig with the root trusted in NSS.
                let (_, out) = pdfsig(&fixture.nss, &file);
                let first = pdfsig_block(&out, 1);
                assert!(
                    first.contains("Signature Validation: Signature is Valid."),
                    "pdfsig {name}:\n{out}"
                );
                assert!(
                    first.contains("Certificate Validation: Certificate is Trusted."),
                    "pdfsig {name}:\n{out}"
                );
                if input_name == "classic" {
                    eprintln!("== pdfsig {name}\n{out}");
                }

                // One byte changed inside the signed range: both validators refuse.
                let tampered = fixture.write(
                    &format!("tampered-{name}"),
                    &flip_byte_inside(&signed, original.len()),
                );
                let (ok, out) = pyhanko_validate(&fixture.root_pem, &tampered);
                assert!(!ok, "pyhanko accepts a changed {name}:\n{out}");
                let (_, out) = pdfsig(&fixture.nss, &tampered);
                assert!(
                    !pdfsig_block(&out, 1).contains("Signature is Valid."),
                    "pdfsig accepts a changed {name}:\n{out}"
                );
                offline.push((name, level, file));
                if level == Level::Lta && input_name == "classic" {
                    // The archive renews: a second document time-stamp over the first.
                    let renewed = pades::add_document_time_stamp(
                        &signed,
                        &fixture.tsa,
                        Some(&fixture.validation),
                    )
                    .expect("renewal");
                    assert!(renewed.starts_with(&signed));
                    let sigs = pades::signatures(&renewed).unwrap();
                    assert_eq!(sigs.len(), 3);
                    assert!(sigs[1].is_document_time_stamp() && sigs[2].is_document_time_stamp());
                    let name = "classic-B-LTA-renewed.pdf".to_owned();
                    let file = fixture.write(&name, &renewed);
                    let (ok, out) = pyhanko_validate(&fixture.root_pem, &file);
                    assert!(
                        ok && out.contains("INTACT:TRUSTED"),
                        "pyhanko {name}:\n{out}"
                    );
                    let (_, out) = pdfsig(&fixture.nss, &file);
                    assert!(
                        pdfsig_block(&out, 1).contains("Signature is Valid."),
                        "pdfsig {name}:\n{out}"
                    );
                    offline.push((name, Level::Lta, file));
                }
            }
        }
        (fixture, offline)
    })
    .await
    .expect("checks");

    // The server goes away: from now on only what the files carry can answer.
    server.abort();
    let _ = server.await;
    tokio::task::spawn_blocking(move || {
        for (name, level, file) in &offline_checks {
            let (ok, out) = pyhanko_ades(&fixture.root_pem, file);
            if *level >= Level::Lt {
                assert!(ok, "pyhanko adesverify {name} (DSS only):\n{out}");
                assert!(out.contains("The signature is judged VALID."), "{out}");
                if name.starts_with("classic") {
                    eprintln!("== pyhanko sign adesverify --pretty-print {name}\n{out}");
                }
                if *level == Level::Lta {
                    let (ok, out) = pyhanko_document_time_stamps(&fixture.root_pem, file);
                    assert!(ok, "pyhanko document time-stamps of {name}:\n{out}");
                    let stamps = out
                        .lines()
                        .filter(|l| l.contains(":INTACT:TRUSTED"))
                        .count();
                    let expected = if name.contains("renewed") { 2 } else { 1 };
                    assert_eq!(stamps, expected, "{name}:\n{out}");
                    eprintln!("== pyhanko document time-stamps of {name}\n{out}");
                }
            } else {
                assert!(
                    !ok,
                    "adesverify {name} passes without validation data:\n{out}"
                );
                if name.starts_with("classic") {
                    eprintln!("== pyhanko sign adesverify {name} (expected to fail)\n{out}");
                }
            }
        }
    })
    .await
    .expect("offline checks");
}
