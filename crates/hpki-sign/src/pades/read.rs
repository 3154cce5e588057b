//! Reading signatures back: the signature fields of the AcroForm, their dictionaries, and
//! whether each `/ByteRange` is sound.

use der::{Reader, SliceReader};
use lopdf::{Dictionary, Object};

use super::PdfSignature;
use super::form::decode_text;
use super::incremental::{Prior, pdf_error};
use crate::SignError;

/// The signatures and document time-stamps of `pdf` (the signature fields of its AcroForm
/// with a value), in the order they were added (by the end of their first signed part).
///
/// # Errors
/// [`SignError::Pdf`] when the file cannot be read or a signature dictionary is malformed.
pub fn signatures(pdf: &[u8]) -> Result<Vec<PdfSignature>, SignError> {
    let prior = Prior::load(pdf)?;
    let catalog = prior.catalog()?;
    let Ok(form) = catalog.get(b"AcroForm") else {
        return Ok(Vec::new());
    };
    let form = prior
        .resolve(form)?
        .as_dict()
        .map_err(|_| pdf_error("/AcroForm is not a dictionary"))?;
    let mut out = Vec::new();
    let mut stack: Vec<(Object, String, bool, usize)> = match form.get(b"Fields") {
        Ok(f) => prior
            .resolve(f)?
            .as_array()
            .map_err(|_| pdf_error("/Fields is not an array"))?
            .iter()
            .map(|o| (o.clone(), String::new(), false, 0))
            .collect(),
        Err(_) => Vec::new(),
    };
    while let Some((object, parent, parent_is_sig, depth)) = stack.pop() {
        let Ok(Object::Dictionary(field)) = prior.resolve(&object) else {
            continue;
        };
        let own = field
            .get(b"T")
            .and_then(Object::as_str)
            .map(decode_text)
            .ok();
        let name = match (&own, parent.is_empty()) {
            (Some(t), true) => t.clone(),
            (Some(t), false) => format!("{parent}.{t}"),
            (None, _) => parent.clone(),
        };
        let is_sig = match field.get(b"FT").and_then(Object::as_name) {
            Ok(ft) => ft == b"Sig",
            Err(_) => parent_is_sig,
        };
        if let Ok(kids) = field.get(b"Kids").and_then(Object::as_array)
            && depth < 32
        {
            for k in kids {
                stack.push((k.clone(), name.clone(), is_sig, depth + 1));
            }
        }
        if !is_sig {
            continue;
        }
        let Ok(value) = field.get(b"V") else { continue };
        let Ok(Object::Dictionary(sig)) = prior.resolve(value) else {
            continue;
        };
        out.push(read_signature(pdf, &prior, name, sig)?);
    }
    out.sort_by_key(|s| s.byte_range[1]);
    Ok(out)
}

/// One signature dictionary.
fn read_signature(
    pdf: &[u8],
    prior: &Prior<'_>,
    field_name: String,
    sig: &Dictionary,
) -> Result<PdfSignature, SignError> {
    let name_of = |key: &[u8]| {
        sig.get(key)
            .and_then(Object::as_name)
            .map(|n| String::from_utf8_lossy(n).into_owned())
            .unwrap_or_default()
    };
    let bad = |what: &str| pdf_error(format!("signature {field_name}: {what}"));
    let numbers: Vec<usize> = sig
        .get(b"ByteRange")
        .and_then(Object::as_array)
        .map_err(|_| bad("no /ByteRange"))?
        .iter()
        .map(|o| o.as_i64().ok().and_then(|n| usize::try_from(n).ok()))
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| bad("/ByteRange is not four offsets"))?;
    let byte_range: [usize; 4] = numbers
        .try_into()
        .map_err(|_| bad("/ByteRange is not four offsets"))?;
    let raw = sig
        .get(b"Contents")
        .and_then(Object::as_str)
        .map_err(|_| bad("no /Contents"))?;
    // The DER object without the zero padding after it.
    let contents = SliceReader::new(raw)
        .and_then(|mut r| r.tlv_bytes().map(<[u8]>::to_vec))
        .map_err(|_| bad("/Contents is not DER"))?;
    let [a, b, c, d] = byte_range;
    let end = c.checked_add(d);
    let byte_range_ok = a == 0
        && b < c
        && end.is_some_and(|e| e <= pdf.len())
        && pdf.get(b) == Some(&b'<')
        && pdf.get(c - 1) == Some(&b'>')
        && hex_matches(&pdf[b + 1..c - 1], raw);
    Ok(PdfSignature {
        field_name,
        kind: name_of(b"Type"),
        sub_filter: name_of(b"SubFilter"),
        byte_range,
        contents,
        signing_time: sig
            .get(b"M")
            .and_then(Object::as_str)
            .map(|s| String::from_utf8_lossy(s).into_owned())
            .ok(),
        byte_range_ok,
        covers_whole_file: byte_range_ok && end == Some(pdf.len()),
        doc_mdp: doc_mdp(prior, sig),
    })
}

/// The DocMDP permissions `/P` of a certification signature's `/Reference` (ISO 32000-1
/// §12.8.2.2, Tables 253–254), `None` when it has no DocMDP reference.
fn doc_mdp(prior: &Prior<'_>, sig: &Dictionary) -> Option<u8> {
    let references = prior.resolve(sig.get(b"Reference").ok()?).ok()?;
    references.as_array().ok()?.iter().find_map(|r| {
        let r = prior.resolve(r).ok()?.as_dict().ok()?;
        if r.get(b"TransformMethod").and_then(Object::as_name).ok()? != b"DocMDP" {
            return None;
        }
        // Parameters that cannot be read permit nothing.
        let p = match r.get(b"TransformParams") {
            Err(_) => Some(2),
            Ok(params) => match prior.resolve(params).ok().and_then(|o| o.as_dict().ok()) {
                Some(params) => match params.get(b"P") {
                    Err(_) => Some(2),
                    Ok(p) => prior.resolve(p).ok().and_then(|p| p.as_i64().ok()),
                },
                None => None,
            },
        };
        Some(match p {
            Some(2) => 2,
            Some(3) => 3,
            _ => 1,
        })
    })
}

/// Whether `hex` (hex digits, maybe with white space) spells `bytes`.
fn hex_matches(hex: &[u8], bytes: &[u8]) -> bool {
    let digits: Vec<u8> = hex
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    if digits.len() != bytes.len() * 2 || !digits.iter().all(u8::is_ascii_hexdigit) {
        return false;
    }
    let value = |d: u8| match d {
        b'0'..=b'9' => d - b'0',
        b'a'..=b'f' => d - b'a' + 10,
        _ => d - b'A' + 10,
    };
    digits
        .chunks_exact(2)
        .zip(bytes)
        .all(|(pair, &byte)| value(pair[0]) << 4 | value(pair[1]) == byte)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_strings_compare_with_padding_rules() {
        assert!(hex_matches(b"0a FF", &[0x0A, 0xFF]));
        assert!(!hex_matches(b"0aFF00", &[0x0A, 0xFF]));
        assert!(!hex_matches(b"0g", &[0x0A]));
    }
}
