//! Writing the XML of a signature: the `ds:Signature` with its `xades:QualifyingProperties`
//! (XML-DSig §4, TS 101 903 §6), and the unsigned properties added later. Careful string
//! building: every text and attribute value is escaped (XML 1.0 §2.4, §3.3.3), base64 is one
//! line, no whitespace is added between elements (nothing a canonicalization could disagree
//! about).

use std::fmt::Write as _;

use super::dom::{Prefixes, b64};
use super::{ALG_DIGEST_SHA256, NS_DS, NS_XADES, QUALIFYING_PROPERTIES, SIGNED_PROPERTIES_TYPE};
use crate::ltv::ValidationData;

/// `s` as XML character data.
pub(super) fn escape_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#xD;"),
            c => out.push(c),
        }
    }
    out
}

/// `s` as a double-quoted attribute value (whitespace characters kept through attribute-value
/// normalization, XML 1.0 §3.3.3).
pub(super) fn escape_attr(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\t' => out.push_str("&#x9;"),
            '\n' => out.push_str("&#xA;"),
            '\r' => out.push_str("&#xD;"),
            c => out.push(c),
        }
    }
    out
}

/// The IDs of one signature's parts, derived from `base`.
#[derive(Clone, Debug)]
pub(super) struct Ids {
    pub signature: String,
    pub signature_value: String,
    pub key_info: String,
    pub signed_properties: String,
    pub reference_document: String,
    pub reference_key_info: String,
    pub reference_signed_properties: String,
}

impl Ids {
    pub fn new(base: &str) -> Ids {
        Ids {
            signature: base.to_owned(),
            signature_value: format!("{base}-SignatureValue"),
            key_info: format!("{base}-KeyInfo"),
            signed_properties: format!("{base}-SignedProperties"),
            reference_document: format!("{base}-Reference-Document"),
            reference_key_info: format!("{base}-Reference-KeyInfo"),
            reference_signed_properties: format!("{base}-Reference-SignedProperties"),
        }
    }

    pub fn all(&self) -> [&str; 7] {
        [
            &self.signature,
            &self.signature_value,
            &self.key_info,
            &self.signed_properties,
            &self.reference_document,
            &self.reference_key_info,
            &self.reference_signed_properties,
        ]
    }
}

/// One `ds:Reference`.
#[derive(Clone, Debug)]
pub(super) struct Reference {
    pub id: String,
    pub uri: String,
    pub reference_type: Option<&'static str>,
    pub transforms: Vec<&'static str>,
    /// SHA-256 of the processed reference; empty `DigestValue` until known.
    pub digest: Option<Vec<u8>>,
}

/// Everything a `ds:Signature` is written from.
pub(super) struct SignatureParts<'a> {
    pub ids: &'a Ids,
    pub signature_method: &'a str,
    pub references: &'a [Reference],
    /// Base64 `SignatureValue`; empty until known.
    pub signature_value: Option<&'a str>,
    pub certificate_der: &'a [u8],
    /// `xsd:dateTime` of the claimed signing time.
    pub signing_time: &'a str,
    /// MIME type of the signed document (`xades:DataObjectFormat`).
    pub mime_type: &'a str,
}

/// The `ds:Signature` element (XML-DSig §4.1) with, in `ds:Object`, the XAdES
/// `QualifyingProperties` (TS 101 903 §6.2, EN 319 132-1 §4.3): `SigningTime` (§5.2.1),
/// `SigningCertificateV2` (EN 319 132-1 §5.2.2; the certificate's SHA-256, no
/// `IssuerSerialV2`, as the baseline recommends) and a `DataObjectFormat` for the document
/// (§5.2.4).
pub(super) fn signature_xml(p: &SignatureParts<'_>) -> String {
    let ids = p.ids;
    let mut s = String::with_capacity(4096 + 2 * p.certificate_der.len());
    let _ = write!(
        s,
        "<ds:Signature xmlns:ds=\"{NS_DS}\" Id=\"{}\"><ds:SignedInfo>\
         <ds:CanonicalizationMethod Algorithm=\"{}\"/>\
         <ds:SignatureMethod Algorithm=\"{}\"/>",
        escape_attr(&ids.signature),
        super::ALG_EXC_C14N,
        escape_attr(p.signature_method),
    );
    for r in p.references {
        let _ = write!(s, "<ds:Reference Id=\"{}\"", escape_attr(&r.id));
        if let Some(t) = r.reference_type {
            let _ = write!(s, " Type=\"{}\"", escape_attr(t));
        }
        let _ = write!(s, " URI=\"{}\">", escape_attr(&r.uri));
        if !r.transforms.is_empty() {
            s.push_str("<ds:Transforms>");
            for t in &r.transforms {
                let _ = write!(s, "<ds:Transform Algorithm=\"{}\"/>", escape_attr(t));
            }
            s.push_str("</ds:Transforms>");
        }
        let _ = write!(
            s,
            "<ds:DigestMethod Algorithm=\"{ALG_DIGEST_SHA256}\"/><ds:DigestValue>{}</ds:DigestValue></ds:Reference>",
            r.digest.as_deref().map(b64).unwrap_or_default()
        );
    }
    let _ = write!(
        s,
        "</ds:SignedInfo><ds:SignatureValue Id=\"{}\">{}</ds:SignatureValue>\
         <ds:KeyInfo Id=\"{}\"><ds:X509Data><ds:X509Certificate>{}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>\
         <ds:Object><xades:{QUALIFYING_PROPERTIES} xmlns:xades=\"{NS_XADES}\" Target=\"#{}\">\
         <xades:SignedProperties Id=\"{}\"><xades:SignedSignatureProperties>\
         <xades:SigningTime>{}</xades:SigningTime>\
         <xades:SigningCertificateV2><xades:Cert><xades:CertDigest>\
         <ds:DigestMethod Algorithm=\"{ALG_DIGEST_SHA256}\"/><ds:DigestValue>{}</ds:DigestValue>\
         </xades:CertDigest></xades:Cert></xades:SigningCertificateV2>\
         </xades:SignedSignatureProperties><xades:SignedDataObjectProperties>\
         <xades:DataObjectFormat ObjectReference=\"#{}\"><xades:MimeType>{}</xades:MimeType></xades:DataObjectFormat>\
         </xades:SignedDataObjectProperties></xades:SignedProperties>\
         </xades:{QUALIFYING_PROPERTIES}></ds:Object></ds:Signature>",
        escape_attr(&ids.signature_value),
        p.signature_value.unwrap_or_default(),
        escape_attr(&ids.key_info),
        b64(p.certificate_der),
        escape_attr(&ids.signature),
        escape_attr(&ids.signed_properties),
        escape_text(p.signing_time),
        b64(&crate::DigestAlgorithm::Sha256.digest(p.certificate_der)),
        escape_attr(&ids.reference_document),
        escape_text(p.mime_type),
    );
    s
}

/// The references of a signature: the document (`doc_uri`, `doc_transforms`), `ds:KeyInfo`
/// and `xades:SignedProperties` (typed, TS 101 903 §6.3), the latter two with exclusive C14N.
pub(super) fn references(
    ids: &Ids,
    doc_uri: &str,
    doc_transforms: Vec<&'static str>,
) -> Vec<Reference> {
    vec![
        Reference {
            id: ids.reference_document.clone(),
            uri: doc_uri.to_owned(),
            reference_type: None,
            transforms: doc_transforms,
            digest: None,
        },
        Reference {
            id: ids.reference_key_info.clone(),
            uri: format!("#{}", ids.key_info),
            reference_type: None,
            transforms: vec![super::ALG_EXC_C14N],
            digest: None,
        },
        Reference {
            id: ids.reference_signed_properties.clone(),
            uri: format!("#{}", ids.signed_properties),
            reference_type: Some(SIGNED_PROPERTIES_TYPE),
            transforms: vec![super::ALG_EXC_C14N],
            digest: None,
        },
    ]
}

/// Which time-stamp container.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub(super) enum TimeStampKind {
    /// `xades:SignatureTimeStamp` (TS 101 903 §7.3).
    Signature,
    /// `xades141:ArchiveTimeStamp` (TS 101 903 v1.4.1 §8.2, EN 319 132-1 §5.5.2).
    Archive,
}

/// A time-stamp container (`XAdESTimeStampType`, TS 101 903 §7.1.4.3) holding `token` as
/// `xades:EncapsulatedTimeStamp`, naming the canonicalization its input was computed with.
pub(super) fn time_stamp_xml(
    p: &Prefixes,
    kind: TimeStampKind,
    id: &str,
    c14n_uri: &str,
    token: &[u8],
) -> String {
    let (x, ds) = (&p.xades, &p.ds);
    let (name, decls) = match kind {
        TimeStampKind::Signature => (format!("{x}:SignatureTimeStamp"), p.decls()),
        TimeStampKind::Archive => (
            format!("{}:ArchiveTimeStamp", p.xades141),
            [p.decls(), p.xades141_decl.clone()].concat(),
        ),
    };
    format!(
        "<{name}{decls} Id=\"{}\"><{ds}:CanonicalizationMethod Algorithm=\"{}\"/>\
         <{x}:EncapsulatedTimeStamp>{}</{x}:EncapsulatedTimeStamp></{name}>",
        escape_attr(id),
        escape_attr(c14n_uri),
        b64(token),
    )
}

/// `xades:CertificateValues` (TS 101 903 §7.6.1), or nothing without certificates.
pub(super) fn certificate_values_xml(p: &Prefixes, decls: &str, certs: &[Vec<u8>]) -> String {
    if certs.is_empty() {
        return String::new();
    }
    let x = &p.xades;
    let mut s = format!("<{x}:CertificateValues{decls}>");
    for c in certs {
        let _ = write!(
            s,
            "<{x}:EncapsulatedX509Certificate>{}</{x}:EncapsulatedX509Certificate>",
            b64(c)
        );
    }
    let _ = write!(s, "</{x}:CertificateValues>");
    s
}

/// `xades:RevocationValues` (TS 101 903 §7.6.2) with `CRLValues` and `OCSPValues`, or nothing
/// without revocation data.
pub(super) fn revocation_values_xml(p: &Prefixes, decls: &str, data: &ValidationData) -> String {
    if data.crls.is_empty() && data.ocsp_responses.is_empty() {
        return String::new();
    }
    let x = &p.xades;
    let mut s = format!("<{x}:RevocationValues{decls}>");
    if !data.crls.is_empty() {
        let _ = write!(s, "<{x}:CRLValues>");
        for c in &data.crls {
            let _ = write!(
                s,
                "<{x}:EncapsulatedCRLValue>{}</{x}:EncapsulatedCRLValue>",
                b64(c)
            );
        }
        let _ = write!(s, "</{x}:CRLValues>");
    }
    if !data.ocsp_responses.is_empty() {
        let _ = write!(s, "<{x}:OCSPValues>");
        for o in &data.ocsp_responses {
            let _ = write!(
                s,
                "<{x}:EncapsulatedOCSPValue>{}</{x}:EncapsulatedOCSPValue>",
                b64(o)
            );
        }
        let _ = write!(s, "</{x}:OCSPValues>");
    }
    let _ = write!(s, "</{x}:RevocationValues>");
    s
}

/// `xades141:TimeStampValidationData` (TS 101 903 v1.4.1 §8.1, EN 319 132-1) with the
/// certificates and revocation data in `data`.
pub(super) fn time_stamp_validation_data_xml(
    p: &Prefixes,
    id: &str,
    data: &ValidationData,
) -> String {
    let name = format!("{}:TimeStampValidationData", p.xades141);
    format!(
        "<{name}{}{} Id=\"{}\">{}{}</{name}>",
        p.decls(),
        p.xades141_decl,
        escape_attr(id),
        certificate_values_xml(p, "", &data.certificates),
        revocation_values_xml(p, "", data),
    )
}

#[cfg(test)]
mod tests {
    use super::super::NS_XADES141;
    use super::*;

    /// Escaping, and nothing in the namespace constants needs it (they are written raw).
    #[test]
    fn escaping() {
        assert_eq!(escape_text("a<b>&c\r"), "a&lt;b&gt;&amp;c&#xD;");
        assert_eq!(escape_attr("\"x\"\t\n"), "&quot;x&quot;&#x9;&#xA;");
        for ns in [NS_DS, NS_XADES, NS_XADES141, SIGNED_PROPERTIES_TYPE] {
            assert_eq!(escape_attr(ns), ns);
        }
    }
}
