//! XAdES signatures made by another signer, xmlsec1, in shapes hpki does not write itself:
//!
//! - the document reference with an XPath transform instead of the enveloped-signature
//!   transform (common in European XAdES): XML-DSig XPath filtering with
//!   `not(ancestor-or-self::ds:Signature)`, and XPath Filter 2.0 `subtract` of
//!   `here()/ancestor::ds:Signature[1]`. hpki verifies both, finds a changed character, and
//!   reports an expression it does not evaluate as not checkable (indeterminate), never as
//!   valid or as tampered;
//! - a signed `ds:Manifest` (XML-DSig §5.1): its references to external files are not checked
//!   (indeterminate, naming them), a reference inside the document that no longer matches is
//!   tampering.
//!
//! A missing xmlsec1 is a failure: scripts/test.sh installs it.

use std::process::Command;

use base64::Engine as _;
use der::Encode;
use hpki_testkit::signing_world::SigningWorld;
use hpki_verify::document::{
    self, Document, Failure, Integrity, Lang, Report, TrustAnchors, Verdict, VerifyOptions,
};

const DS: &str = "http://www.w3.org/2000/09/xmldsig#";

/// A XAdES B-B template for xmlsec1: the document reference with `transform`, the reference to
/// the signed properties, the signing certificate's digest filled in.
fn template(transform: &str, cert_der: &[u8]) -> String {
    template_with(transform, "", "", cert_der)
}

/// [`template`] with `references` added to SignedInfo and `objects` to the signature.
fn template_with(transform: &str, references: &str, objects: &str, cert_der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD;
    let digest = b64.encode(aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA256,
        cert_der,
    ));
    format!(
        r##"<?xml version="1.0" encoding="UTF-8"?>
<紹介状 xmlns:dsig="{DS}"><宛先>日医病院 内科</宛先><患者>日医 花子</患者><dsig:Signature Id="S1"><dsig:SignedInfo><dsig:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/><dsig:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/><dsig:Reference URI=""><dsig:Transforms>{transform}<dsig:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></dsig:Transforms><dsig:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><dsig:DigestValue/></dsig:Reference><dsig:Reference URI="#SP1" Type="http://uri.etsi.org/01903#SignedProperties"><dsig:Transforms><dsig:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></dsig:Transforms><dsig:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><dsig:DigestValue/></dsig:Reference>{references}</dsig:SignedInfo><dsig:SignatureValue/><dsig:KeyInfo><dsig:X509Data/></dsig:KeyInfo><dsig:Object><xades:QualifyingProperties xmlns:xades="http://uri.etsi.org/01903/v1.3.2#" Target="#S1"><xades:SignedProperties Id="SP1"><xades:SignedSignatureProperties><xades:SigningTime>2026-12-01T09:00:00Z</xades:SigningTime><xades:SigningCertificateV2><xades:Cert><xades:CertDigest><dsig:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><dsig:DigestValue>{digest}</dsig:DigestValue></xades:CertDigest></xades:Cert></xades:SigningCertificateV2></xades:SignedSignatureProperties></xades:SignedProperties></xades:QualifyingProperties></dsig:Object>{objects}</dsig:Signature></紹介状>
"##
    )
}

/// The template signed by `xmlsec1 --sign` with the doctor's key.
fn xmlsec1_sign(dir: &std::path::Path, name: &str, template: &str) -> String {
    let input = dir.join(format!("{name}.xml"));
    std::fs::write(&input, template).unwrap();
    let out = Command::new("xmlsec1")
        .args([
            "--sign",
            "--privkey-pem",
            &format!(
                "{},{}",
                dir.join("key.pem").display(),
                dir.join("cert.pem").display()
            ),
            "--id-attr:Id",
            "http://uri.etsi.org/01903/v1.3.2#:SignedProperties",
        ])
        .arg(&input)
        .current_dir(dir)
        .output()
        .expect("xmlsec1 (scripts/test.sh installs it)");
    assert!(
        out.status.success(),
        "xmlsec1 --sign: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn verify(world: &SigningWorld, xml: &str) -> Report {
    let mut options = VerifyOptions::at(hpki_clock::Clock::now(&world.clock));
    // B-B without validation data: the signature and the path are what is checked here.
    options.revocation_check = false;
    document::verify(
        &Document::new(xml.as_bytes()),
        &TrustAnchors::new([world.root.clone()]),
        &options,
    )
}

/// The demo CA, and the doctor's key and certificate as PEM files for xmlsec1 in `dir`.
struct Signer {
    world: SigningWorld,
    dir: tempfile::TempDir,
    cert_der: Vec<u8>,
}

impl Signer {
    fn new() -> Signer {
        let world = SigningWorld::new(&std::env::temp_dir()).expect("demo CA");
        let (key, cert) = world.doctor().expect("doctor");
        let dir = tempfile::tempdir().unwrap();
        let pem = |label: &str, der: &[u8]| {
            pem_rfc7468::encode_string(label, pem_rfc7468::LineEnding::LF, der).unwrap()
        };
        std::fs::write(
            dir.path().join("key.pem"),
            pem("PRIVATE KEY", key.pkcs8_der()),
        )
        .unwrap();
        let cert_der = cert.to_der().unwrap();
        std::fs::write(dir.path().join("cert.pem"), pem("CERTIFICATE", &cert_der)).unwrap();
        Signer {
            world,
            dir,
            cert_der,
        }
    }

    /// `template` signed by xmlsec1, the signing CA's certificate added beside the signer's in
    /// KeyInfo (not a signed part here) so that the path can be built.
    fn sign(&self, name: &str, template: &str) -> String {
        let signed = xmlsec1_sign(self.dir.path(), name, template);
        let ca =
            base64::engine::general_purpose::STANDARD.encode(self.world.sign_ca.to_der().unwrap());
        signed.replacen(
            "</dsig:X509Data>",
            &format!("<dsig:X509Certificate>{ca}</dsig:X509Certificate></dsig:X509Data>"),
            1,
        )
    }
}

#[test]
fn xpath_filtered_signatures_from_xmlsec1_verify() {
    let signer = Signer::new();
    let (world, cert_der) = (&signer.world, &signer.cert_der);
    let xpath = format!(
        r#"<dsig:Transform Algorithm="http://www.w3.org/TR/1999/REC-xpath-19991116"><dsig:XPath xmlns:sig="{DS}">not(ancestor-or-self::sig:Signature)</dsig:XPath></dsig:Transform>"#
    );
    let filter2 = r#"<dsig:Transform Algorithm="http://www.w3.org/2002/06/xmldsig-filter2"><dsig-xpath:XPath xmlns:dsig-xpath="http://www.w3.org/2002/06/xmldsig-filter2" Filter="subtract">here()/ancestor::dsig:Signature[1]</dsig-xpath:XPath></dsig:Transform>"#;
    for (name, transform) in [("xpath", xpath.as_str()), ("filter2", filter2)] {
        let signed = signer.sign(name, &template(transform, cert_der));
        let report = verify(world, &signed);
        assert_eq!(
            report.overall,
            Verdict::Valid,
            "{name}: {}",
            report.to_text(Lang::En)
        );
        // One changed character of the document: tampered.
        let changed = signed.replacen("日医 花子", "日医 花江", 1);
        let report = verify(world, &changed);
        assert!(
            matches!(report.signatures[0].integrity, Integrity::Broken { .. }),
            "{name}: {}",
            report.to_text(Lang::En)
        );
    }

    // An expression hpki does not evaluate: not checkable, never valid nor tampered.
    let other = format!(
        r#"<dsig:Transform Algorithm="http://www.w3.org/TR/1999/REC-xpath-19991116"><dsig:XPath xmlns:sig="{DS}">not(ancestor-or-self::患者)</dsig:XPath></dsig:Transform>"#
    );
    let signed = signer.sign("other", &template(&other, cert_der));
    let report = verify(world, &signed);
    assert_eq!(
        report.overall,
        Verdict::Indeterminate,
        "{}",
        report.to_text(Lang::En)
    );
    assert!(
        report.signatures[0]
            .failures
            .iter()
            .any(|f| matches!(f, Failure::IntegrityNotChecked { .. })),
        "{}",
        report.to_text(Lang::En)
    );
}

#[test]
fn a_signed_manifest_is_checked_as_far_as_the_document_holds_it() {
    let signer = Signer::new();
    let (world, cert_der, dir) = (&signer.world, &signer.cert_der, &signer.dir);
    let enveloped =
        r#"<dsig:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>"#;
    let manifest_reference = r##"<dsig:Reference URI="#M1" Type="http://www.w3.org/2000/09/xmldsig#Manifest"><dsig:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><dsig:DigestValue/></dsig:Reference>"##;
    let manifest = |uri: &str| {
        format!(
            r#"<dsig:Object><dsig:Manifest Id="M1"><dsig:Reference URI="{uri}"><dsig:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><dsig:DigestValue/></dsig:Reference></dsig:Manifest></dsig:Object><dsig:Object Id="A1">添付: 検査結果</dsig:Object>"#
        )
    };
    // A manifest naming an external file (xmlsec1 digests it from the directory): the
    // signature is sound, the file was not checked.
    std::fs::write(dir.path().join("attachment.pdf"), b"%PDF-1.4 attachment").unwrap();
    let signed = signer.sign(
        "manifest-external",
        &template_with(
            enveloped,
            manifest_reference,
            &manifest("attachment.pdf"),
            cert_der,
        ),
    );
    let report = verify(world, &signed);
    assert_eq!(
        report.overall,
        Verdict::Indeterminate,
        "{}",
        report.to_text(Lang::En)
    );
    assert!(
        matches!(&report.signatures[0].failures[..], [Failure::IntegrityNotChecked { detail }] if detail.en.contains("attachment.pdf")),
        "{}",
        report.to_text(Lang::En)
    );
    assert!(
        report
            .to_text(Lang::Ja)
            .contains("参照先 \"attachment.pdf\" は確認していません")
    );
    // A manifest reference inside the document (an object outside the enveloped reference):
    // checked, and a changed character is tampering.
    let signed = signer.sign(
        "manifest-internal",
        &template_with(enveloped, manifest_reference, &manifest("#A1"), cert_der),
    );
    let report = verify(world, &signed);
    assert_eq!(
        report.overall,
        Verdict::Valid,
        "{}",
        report.to_text(Lang::En)
    );
    let report = verify(world, &signed.replacen("検査結果", "検査結杲", 1));
    assert_eq!(report.overall, Verdict::Invalid);
    assert!(
        matches!(report.signatures[0].integrity, Integrity::Broken { .. }),
        "{}",
        report.to_text(Lang::En)
    );
}
