//! Reading certificates, CRLs and OCSP responses given as PEM (RFC 7468, one or several
//! blocks) or DER.

use der::Decode;
use x509_cert::Certificate;

use crate::error::PathError;

fn malformed(what: &str, detail: impl std::fmt::Display) -> PathError {
    PathError::Malformed {
        what: what.to_owned(),
        detail: detail.to_string(),
    }
}

/// The DER contents of every PEM block labelled `label` in `text`, in order.
fn pem_blocks(text: &str, label: &str, what: &str) -> Result<Vec<Vec<u8>>, PathError> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(&begin) {
        let after = &rest[start..];
        let stop = after
            .find(&end)
            .ok_or_else(|| malformed(what, format!("unterminated PEM block {label}")))?;
        let block = &after[..stop + end.len()];
        let (found, der) =
            pem_rfc7468::decode_vec(block.as_bytes()).map_err(|e| malformed(what, e))?;
        if found != label {
            return Err(malformed(
                what,
                format!("PEM label {found}, expected {label}"),
            ));
        }
        out.push(der);
        rest = &after[stop + end.len()..];
    }
    Ok(out)
}

/// PEM blocks of `label` if `bytes` is PEM text, else `bytes` as one DER object.
fn der_objects(bytes: &[u8], label: &str, what: &str) -> Result<Vec<Vec<u8>>, PathError> {
    match std::str::from_utf8(bytes) {
        Ok(text) if text.contains("-----BEGIN ") => {
            let blocks = pem_blocks(text, label, what)?;
            if blocks.is_empty() {
                return Err(malformed(what, format!("no PEM block labelled {label}")));
            }
            Ok(blocks)
        }
        _ => Ok(vec![bytes.to_vec()]),
    }
}

/// Every certificate in `bytes` as DER exactly as given (PEM `CERTIFICATE` blocks decoded, or
/// one DER certificate), each checked to decode: what [`crate::validate_path_der`] takes.
pub fn certificate_ders(bytes: &[u8]) -> Result<Vec<Vec<u8>>, PathError> {
    let objects = der_objects(bytes, "CERTIFICATE", "certificate")?;
    for der in &objects {
        Certificate::from_der(der).map_err(|e| malformed("certificate", e))?;
    }
    Ok(objects)
}

/// Every certificate in `bytes`: PEM `CERTIFICATE` blocks, or one DER certificate.
pub fn certificates(bytes: &[u8]) -> Result<Vec<Certificate>, PathError> {
    der_objects(bytes, "CERTIFICATE", "certificate")?
        .iter()
        .map(|der| Certificate::from_der(der).map_err(|e| malformed("certificate", e)))
        .collect()
}

/// Every CRL in `bytes` as DER: PEM `X509 CRL` blocks, or one DER CRL (checked to decode).
pub fn crls(bytes: &[u8]) -> Result<Vec<Vec<u8>>, PathError> {
    let objects = der_objects(bytes, "X509 CRL", "CRL")?;
    for der in &objects {
        <x509_cert::crl::CertificateList>::from_der(der).map_err(|e| malformed("CRL", e))?;
    }
    Ok(objects)
}

/// An OCSP response in `bytes` as DER (DER as `openssl ocsp -respout` writes it, or PEM
/// `OCSP RESPONSE`), checked to decode.
pub fn ocsp_responses(bytes: &[u8]) -> Result<Vec<Vec<u8>>, PathError> {
    let objects = der_objects(bytes, "OCSP RESPONSE", "OCSP response")?;
    for der in &objects {
        hpki_asn1::ocsp::OcspResponse::from_der(der).map_err(|e| malformed("OCSP response", e))?;
    }
    Ok(objects)
}
