//! Signature fields (ISO 32000-1 §12.7.4.5): the merged field/widget dictionary, the page's
//! `/Annots`, the AcroForm's `/Fields` and `/SigFlags`, whatever the form's layout (direct,
//! indirect, absent).

use lopdf::{Dictionary, Object, ObjectId};

use super::appearance::Widget;
use super::incremental::{Prior, Update, pdf_error, pdf_refusal};
use super::text_string;
use crate::SignError;

/// Adds a signature field whose value is `value` and whose widget is `widget` (a merged
/// field/widget dictionary without `/T`, `/V`, `/FT` yet, and its page): the widget goes into
/// the page's `/Annots`, the field into the AcroForm's `/Fields`, and `/SigFlags` becomes 3
/// (SignaturesExist, AppendOnly; ISO 32000-1 §12.7.2, Table 219).
pub(super) fn add_field(
    update: &mut Update<'_, '_>,
    value: ObjectId,
    name: Option<&str>,
    prefix: &str,
    widget: Widget,
) -> Result<(), SignError> {
    let prior = update.prior();
    let root_id = prior.root_id()?;
    let mut catalog = prior.catalog()?.clone();
    let mut catalog_changed = false;

    // The AcroForm: in the catalog, an indirect object, or new.
    let (mut form, form_id) = match catalog.get(b"AcroForm") {
        Ok(Object::Reference(id)) => (
            prior
                .doc
                .get_dictionary(*id)
                .map_err(|e| pdf_error(format!("AcroForm: {e}")))?
                .clone(),
            Some(*id),
        ),
        Ok(Object::Dictionary(d)) => (d.clone(), None),
        _ => (Dictionary::new(), None),
    };
    let existing = field_names(prior, &form);
    let name = match name {
        Some(n) if existing.iter().any(|e| e == n) => {
            return Err(pdf_refusal(
                format!("フィールド {n} は既にあります"),
                format!("a field named {n} exists already"),
            ));
        }
        Some(n) => n.to_owned(),
        None => (1..)
            .map(|i| format!("{prefix}{i}"))
            .find(|n| !existing.contains(n))
            .unwrap_or_else(|| prefix.to_owned()),
    };

    let field_id = update.reserve();
    let mut field = widget.dict;
    field.set("FT", Object::Name(b"Sig".to_vec()));
    field.set("T", text_string(&name));
    field.set("V", Object::Reference(value));
    field.set("P", Object::Reference(widget.page));
    update.put(field_id, &Object::Dictionary(field))?;

    // The page's annotations.
    let mut page = prior
        .doc
        .get_dictionary(widget.page)
        .map_err(|e| pdf_error(format!("page: {e}")))?
        .clone();
    match page.get(b"Annots") {
        Ok(Object::Reference(id)) => {
            let id = *id;
            let mut annots = prior
                .doc
                .get_object(id)
                .and_then(Object::as_array)
                .map_err(|e| pdf_error(format!("/Annots: {e}")))?
                .clone();
            annots.push(Object::Reference(field_id));
            update.put(id, &Object::Array(annots))?;
        }
        Ok(Object::Array(annots)) => {
            let mut annots = annots.clone();
            annots.push(Object::Reference(field_id));
            page.set("Annots", Object::Array(annots));
            update.put(widget.page, &Object::Dictionary(page))?;
        }
        _ => {
            page.set("Annots", Object::Array(vec![Object::Reference(field_id)]));
            update.put(widget.page, &Object::Dictionary(page))?;
        }
    }

    // The form's fields.
    match form.get(b"Fields") {
        Ok(Object::Reference(id)) => {
            let id = *id;
            let mut fields = prior
                .doc
                .get_object(id)
                .and_then(Object::as_array)
                .map_err(|e| pdf_error(format!("/Fields: {e}")))?
                .clone();
            fields.push(Object::Reference(field_id));
            update.put(id, &Object::Array(fields))?;
        }
        Ok(Object::Array(fields)) => {
            let mut fields = fields.clone();
            fields.push(Object::Reference(field_id));
            form.set("Fields", Object::Array(fields));
        }
        _ => form.set("Fields", Object::Array(vec![Object::Reference(field_id)])),
    }
    form.set("SigFlags", Object::Integer(3));
    match form_id {
        Some(id) => update.put(id, &Object::Dictionary(form))?,
        None => {
            let id = update.reserve();
            update.put(id, &Object::Dictionary(form))?;
            catalog.set("AcroForm", Object::Reference(id));
            catalog_changed = true;
        }
    }
    if catalog_changed {
        update.put(root_id, &Object::Dictionary(catalog))?;
    }
    Ok(())
}

/// The fully qualified names of the terminal fields of `form` (ISO 32000-1 §12.7.3.2).
pub(super) fn field_names(prior: &Prior<'_>, form: &Dictionary) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack: Vec<(Object, String, usize)> = match form.get(b"Fields") {
        Ok(fields) => match prior.resolve(fields).and_then(|f| {
            f.as_array()
                .map_err(|_| pdf_error("/Fields is not an array"))
        }) {
            Ok(a) => a.iter().map(|o| (o.clone(), String::new(), 0)).collect(),
            Err(_) => Vec::new(),
        },
        Err(_) => Vec::new(),
    };
    while let Some((object, parent, depth)) = stack.pop() {
        let Ok(Object::Dictionary(dict)) = prior.resolve(&object) else {
            continue;
        };
        let own = dict
            .get(b"T")
            .and_then(Object::as_str)
            .map(decode_text)
            .ok();
        let full = match (&own, parent.is_empty()) {
            (Some(t), true) => t.clone(),
            (Some(t), false) => format!("{parent}.{t}"),
            (None, _) => parent.clone(),
        };
        match dict.get(b"Kids").and_then(Object::as_array) {
            Ok(kids) if depth < 32 => {
                for k in kids {
                    stack.push((k.clone(), full.clone(), depth + 1));
                }
            }
            _ => {
                if !full.is_empty() {
                    out.push(full);
                }
            }
        }
    }
    out
}

/// A PDF text string as Rust text (UTF-16BE with BOM, else PDFDocEncoding ≈ Latin-1).
pub(super) fn decode_text(bytes: &[u8]) -> String {
    match bytes {
        [0xFE, 0xFF, rest @ ..] => {
            let units: Vec<u16> = rest
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect();
            String::from_utf16_lossy(&units)
        }
        _ => bytes.iter().map(|&b| char::from(b)).collect(),
    }
}
