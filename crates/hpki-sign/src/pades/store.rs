//! The Document Security Store (ISO 32000-2 §12.8.4.3, ETSI EN 319 142-1 §5.4.2): the
//! certificates, CRLs and OCSP responses a long-term validation needs, one stream each.

use lopdf::{Dictionary, Object};

use super::incremental::{Prior, Update, pdf_error, pdf_refusal};
use crate::SignError;
use crate::ltv::ValidationData;

/// The three arrays of a DSS and the kinds of data they hold.
const DSS_KEYS: [&[u8]; 3] = [b"Certs", b"CRLs", b"OCSPs"];

/// Writes the items of `add` that the DSS of `pdf` lacks, in a new incremental update: one
/// stream per certificate, CRL and OCSP response (DER, ISO 32000-2 §12.8.4.3). `None` when
/// there is nothing new.
pub(super) fn write_dss(pdf: &[u8], add: ValidationData) -> Result<Option<Vec<u8>>, SignError> {
    let prior = Prior::load(pdf)?;
    let known = read_dss(&prior)?;
    let new: [Vec<Vec<u8>>; 3] = [
        (add.certificates, &known.certificates),
        (add.crls, &known.crls),
        (add.ocsp_responses, &known.ocsp_responses),
    ]
    .map(|(items, known)| {
        let mut out: Vec<Vec<u8>> = Vec::new();
        for item in items {
            if !known.contains(&item) && !out.contains(&item) {
                out.push(item);
            }
        }
        out
    });
    if new.iter().all(Vec::is_empty) {
        return Ok(None);
    }
    let mut update = Update::new(&prior);
    let root_id = prior.root_id()?;
    let mut catalog = prior.catalog()?.clone();
    let (mut dss_dict, dss_id) = match catalog.get(b"DSS") {
        Ok(Object::Reference(id)) => (
            prior
                .doc
                .get_dictionary(*id)
                .map_err(|e| pdf_error(format!("DSS: {e}")))?
                .clone(),
            Some(*id),
        ),
        Ok(Object::Dictionary(d)) => (d.clone(), None),
        _ => (Dictionary::new(), None),
    };
    dss_dict.set("Type", Object::Name(b"DSS".to_vec()));
    for (key, items) in DSS_KEYS.iter().zip(new) {
        let mut array = match dss_dict.get(key) {
            Ok(o) => prior
                .resolve(o)?
                .as_array()
                .map_err(|_| pdf_error("a DSS entry is not an array"))?
                .clone(),
            Err(_) => Vec::new(),
        };
        for item in items {
            let id = update.reserve();
            update.put(
                id,
                &Object::Stream(lopdf::Stream::new(Dictionary::new(), item)),
            )?;
            array.push(Object::Reference(id));
        }
        if !array.is_empty() {
            dss_dict.set(*key, Object::Array(array));
        }
    }
    match dss_id {
        Some(id) => update.put(id, &Object::Dictionary(dss_dict))?,
        None => {
            let id = update.reserve();
            update.put(id, &Object::Dictionary(dss_dict))?;
            catalog.set("DSS", Object::Reference(id));
            update.put(root_id, &Object::Dictionary(catalog))?;
        }
    }
    Ok(Some(update.finish()?.bytes))
}

/// The validation data of the Document Security Store of `pdf` (ISO 32000-2 §12.8.4.3):
/// the decoded contents of its `/Certs`, `/CRLs` and `/OCSPs` streams. Empty without a DSS.
///
/// # Errors
/// [`SignError::Pdf`] when the file cannot be read.
pub fn dss(pdf: &[u8]) -> Result<ValidationData, SignError> {
    read_dss(&Prior::load(pdf)?)
}

/// What the DSS streams of a PDF may inflate to, together: certificates, CRLs and OCSP
/// responses for a few signatures are kilobytes to a few megabytes (a large CRL).
pub const MAX_DSS_INFLATED: usize = 32 << 20;

fn read_dss(prior: &Prior<'_>) -> Result<ValidationData, SignError> {
    let mut data = ValidationData::default();
    let mut budget = MAX_DSS_INFLATED;
    let Ok(dss) = prior.catalog()?.get(b"DSS") else {
        return Ok(data);
    };
    let Ok(dss) = prior.resolve(dss)?.as_dict() else {
        return Err(pdf_error("/DSS is not a dictionary"));
    };
    let targets = [
        &mut data.certificates,
        &mut data.crls,
        &mut data.ocsp_responses,
    ];
    for (key, target) in DSS_KEYS.iter().zip(targets) {
        let Ok(array) = dss.get(key) else { continue };
        let array = prior
            .resolve(array)?
            .as_array()
            .map_err(|_| pdf_error("a DSS entry is not an array"))?;
        for item in array {
            let stream = prior
                .resolve(item)?
                .as_stream()
                .map_err(|_| pdf_error("a DSS item is not a stream"))?;
            let bytes = if stream.dict.has(b"Filter") {
                stream
                    .decompressed_content_with_limit(budget)
                    .map_err(|e| match e {
                        lopdf::Error::Decompress(lopdf::DecompressError::MemoryLimitExceeded {
                            ..
                        }) => pdf_refusal(
                            format!(
                                "DSS の検証情報を展開すると大きすぎます（上限 {} MiB）",
                                MAX_DSS_INFLATED >> 20
                            ),
                            format!(
                                "the validation data of its DSS inflates beyond the limit ({} MiB)",
                                MAX_DSS_INFLATED >> 20
                            ),
                        ),
                        e => pdf_error(e),
                    })?
            } else {
                stream.content.clone()
            };
            budget = budget.saturating_sub(bytes.len());
            if !target.contains(&bytes) {
                target.push(bytes);
            }
        }
    }
    Ok(data)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pades::incremental;

    #[test]
    fn the_dss_collects_new_items_only() {
        let pdf = incremental::tests::classic_pdf();
        assert_eq!(dss(&pdf).unwrap(), ValidationData::default());
        let data = ValidationData {
            certificates: vec![vec![0x30, 0x00], vec![0x30, 0x01, 0x00]],
            crls: vec![vec![0x30, 0x02, 0x05, 0x00]],
            ocsp_responses: vec![],
        };
        let with = write_dss(&pdf, data.clone()).unwrap().unwrap();
        assert!(with.starts_with(&pdf));
        assert_eq!(dss(&with).unwrap(), data);
        // The same again is nothing new; one more certificate is one more update.
        assert!(write_dss(&with, data.clone()).unwrap().is_none());
        let more = ValidationData {
            certificates: vec![vec![0x30, 0x03, 0x02, 0x01, 0x07]],
            ..ValidationData::default()
        };
        let again = write_dss(&with, more).unwrap().unwrap();
        assert_eq!(dss(&again).unwrap().certificates.len(), 3);
        assert_eq!(dss(&again).unwrap().crls, data.crls);
    }
}
