//! What the incremental updates after a signed revision changed (ISO 32000-1 §7.5.6).
//!
//! A PDF signature covers the file as it was when signed (its `/ByteRange`); updates appended
//! later are covered by no signature of that revision, and a reader shows the latest revision.
//! Some updates are expected and cannot change what the signed revision shows: validation data
//! in the Document Security Store (ETSI EN 319 142-1 §5.4.2) and further signature fields —
//! document time-stamps (§5.4.3) and later signatures (ISO 32000-1 §12.7.4.5) — with the form
//! and page entries that hold them. Anything else (page contents, resources, the page tree,
//! other annotations, form values, actions…) may change what the reader sees, the "incremental
//! saving" attacks on PDF signatures, and is listed as such.
//!
//! The comparison is object by object between the revision's objects and the latest ones, as
//! lopdf reads them; an object that a later update does not reach from anything that changed
//! (a new object nobody refers to) cannot change the document and is not listed.

use std::collections::BTreeSet;

use hpki_text::Text;
use lopdf::{Dictionary, Document, Object, ObjectId};

use super::form::decode_text;
use super::incremental::{Prior, pdf_refusal};
use crate::SignError;

/// The catalog entries an update may set: the DSS, the form (checked on its own) and the
/// developer extensions that announce ETSI's (EN 319 142-1 §5.4.1).
const CATALOG_KEYS: [&[u8]; 3] = [b"DSS", b"AcroForm", b"Extensions"];
/// The AcroForm entries adding a signature field changes (ISO 32000-1 Table 218).
const FORM_KEYS: [&[u8]; 2] = [b"Fields", b"SigFlags"];
/// The entries a signature field that existed empty gets when it is signed.
const FILLED_FIELD_KEYS: [&[u8]; 2] = [b"V", b"AP"];
/// How deep references are followed.
const MAX_DEPTH: usize = 64;

/// What changed after a signed revision, sorted by what it may do to the document shown.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Changes {
    /// Validation data was added or extended (the DSS and its VRI, certificates, CRLs, OCSP
    /// responses).
    pub validation_data: bool,
    /// The names of the signature fields added or signed since (document time-stamps and later
    /// signatures), in the order of the form's `/Fields`.
    pub signature_fields: Vec<String>,
    /// The document information dictionary or the XMP metadata changed (not shown as page
    /// content).
    pub metadata: bool,
    /// Everything else that changed, described: each may change what a reader shows from what
    /// was signed.
    pub other: Vec<Text>,
}

impl Changes {
    /// Whether the later updates can only have added validation data, signature fields and
    /// metadata: what the signed revision shows is what the file shows.
    pub fn shows_what_was_signed(&self) -> bool {
        self.other.is_empty()
    }
}

/// Compares the latest revision of `pdf` with its revision that ends at `revision_end` (the
/// end of a signature's `/ByteRange`).
///
/// # Errors
/// [`SignError::Pdf`] when either revision cannot be read.
pub fn changes_after(pdf: &[u8], revision_end: usize) -> Result<Changes, SignError> {
    let signed = pdf.get(..revision_end).ok_or_else(|| {
        pdf_refusal(
            "署名された版がファイルの外で終わります",
            "the signed revision ends after the file",
        )
    })?;
    let before = Prior::load(signed)?;
    let after = Prior::load(pdf)?;
    Ok(compare(&before.doc, &after.doc))
}

/// The objects of `before` and `after` compared (see the module documentation).
fn compare(before: &Document, after: &Document) -> Changes {
    let mut changes = Changes::default();
    // Object numbers whose latest value differs from the signed one, and those new since.
    let mut modified: BTreeSet<ObjectId> = after
        .objects
        .iter()
        .filter(|(id, o)| before.objects.get(id).is_some_and(|b| b != *o))
        .map(|(id, _)| *id)
        .collect();
    for id in before.objects.keys() {
        if !after.objects.contains_key(id) {
            changes.other.push(Text::new(
                format!("オブジェクト {} {} が削除されています", id.0, id.1),
                format!("object {} {} was deleted", id.0, id.1),
            ));
        }
    }

    // The catalog: only the DSS, the form and the extensions may change; the page tree, the
    // actions, the outlines… are the document.
    let empty = Dictionary::new();
    let (root_b, catalog_b) = catalog(before);
    let (root_a, catalog_a) = catalog(after);
    let (catalog_b, catalog_a) = (catalog_b.unwrap_or(&empty), catalog_a.unwrap_or(&empty));
    if root_a.is_none() {
        changes.other.push(Text::new(
            "最新の版にカタログがありません",
            "the latest revision has no catalog",
        ));
    }
    for key in differing_keys(catalog_b, catalog_a) {
        if key == b"Metadata" {
            changes.metadata = true;
        } else if key == b"Version" && version_raised(catalog_b, catalog_a) {
            // A writer that adds what a later version defines (a DSS, ETSI's extensions)
            // announces that version in the catalog (ISO 32000-1 §7.7.2: it overrides the
            // header when later): pyHanko does so on a PDF 1.4–1.6 file.
        } else if !CATALOG_KEYS.contains(&key.as_slice()) {
            let key = String::from_utf8_lossy(&key);
            changes.other.push(Text::new(
                format!("カタログの /{key}"),
                format!("the catalog's /{key}"),
            ));
        }
    }
    for id in [root_a, root_b].into_iter().flatten() {
        modified.remove(&id);
    }

    // What the document itself uses: everything the catalog reaches but through the DSS and
    // the metadata. A changed object the document uses is never excused as validation data or
    // metadata (a changed content stream listed among the DSS certificates is still a changed
    // page).
    let mut rest = catalog_a.clone();
    rest.remove(b"DSS");
    rest.remove(b"Metadata");
    let document = reachable(after, &Object::Dictionary(rest));

    // Metadata: the information dictionary and the XMP stream.
    let info = after
        .trailer
        .get(b"Info")
        .and_then(Object::as_reference)
        .ok();
    let xmp = catalog_a
        .get(b"Metadata")
        .and_then(Object::as_reference)
        .ok();
    for id in [info, xmp].into_iter().flatten() {
        if !document.contains(&id) && modified.remove(&id) {
            changes.metadata = true;
        }
    }
    if before.trailer.get(b"Info").ok() != after.trailer.get(b"Info").ok() {
        changes.metadata = true;
    }

    // The Document Security Store and what it holds.
    if let Ok(dss) = catalog_a.get(b"DSS") {
        let held: BTreeSet<ObjectId> = reachable(after, dss)
            .difference(&document)
            .copied()
            .collect();
        if catalog_b.get(b"DSS").ok() != Some(dss) || modified.iter().any(|id| held.contains(id)) {
            changes.validation_data = true;
        }
        modified.retain(|id| !held.contains(id));
    } else if catalog_b.has(b"DSS") {
        changes
            .other
            .push(Text::new("DSS が削除されています", "the DSS was removed"));
    }

    // The form: fields may only be added, and only signature fields.
    let form_b = resolved_dict(before, catalog_b.get(b"AcroForm").ok());
    let form_a = resolved_dict(after, catalog_a.get(b"AcroForm").ok());
    if let Some(id) = reference(catalog_a.get(b"AcroForm").ok()) {
        modified.remove(&id);
    }
    let (form_b, form_a) = (form_b.unwrap_or(&empty), form_a.unwrap_or(&empty));
    for key in differing_keys(form_b, form_a) {
        if !FORM_KEYS.contains(&key.as_slice()) {
            let key = String::from_utf8_lossy(&key);
            changes.other.push(Text::new(
                format!("フォームの /{key}"),
                format!("the form's /{key}"),
            ));
        }
    }
    if let Some(id) = reference(form_a.get(b"Fields").ok()) {
        modified.remove(&id);
    }
    let fields_b = resolved_array(before, form_b.get(b"Fields").ok());
    let fields_a = resolved_array(after, form_a.get(b"Fields").ok());
    added_elements(
        after,
        &fields_b,
        &fields_a,
        &Text::new("フォームのフィールド", "a form field"),
        &mut changes,
    );

    // The pages: only their annotations may change, and only by signature widgets added.
    for page in after.get_pages().into_values() {
        let (Some(Object::Dictionary(page_b)), Some(Object::Dictionary(page_a))) =
            (before.objects.get(&page), after.objects.get(&page))
        else {
            continue; // a new page changes the page tree, which is listed
        };
        let page_changed = modified.remove(&page);
        let annots_id = reference(page_a.get(b"Annots").ok());
        if !page_changed && !annots_id.is_some_and(|id| modified.contains(&id)) {
            continue;
        }
        for key in differing_keys(page_b, page_a) {
            if key != b"Annots" {
                let key = String::from_utf8_lossy(&key);
                changes.other.push(Text::new(
                    format!("ページ {} {} の /{key}", page.0, page.1),
                    format!("page object {} {}: /{key}", page.0, page.1),
                ));
            }
        }
        if let Some(id) = annots_id {
            modified.remove(&id);
        }
        let annots_b = resolved_array(before, page_b.get(b"Annots").ok());
        let annots_a = resolved_array(after, page_a.get(b"Annots").ok());
        added_elements(
            after,
            &annots_b,
            &annots_a,
            &Text::new("注釈", "an annotation"),
            &mut changes,
        );
    }

    // Signature fields that existed empty and were signed since.
    for id in modified.clone() {
        let (Some(Object::Dictionary(b)), Some(Object::Dictionary(a))) =
            (before.objects.get(&id), after.objects.get(&id))
        else {
            continue;
        };
        if is_signature_field(before, b)
            && is_signature_field(after, a)
            && differing_keys(b, a)
                .iter()
                .all(|k| FILLED_FIELD_KEYS.contains(&k.as_slice()))
        {
            modified.remove(&id);
            let name = field_name(a);
            if !changes.signature_fields.contains(&name) {
                changes.signature_fields.push(name);
            }
        }
    }

    for id in modified {
        let what = after
            .objects
            .get(&id)
            .map(describe)
            .unwrap_or_else(|| Text::new("オブジェクト", "object"));
        changes.other.push(Text::new(
            format!("{} {} {} が変更されています", what.ja, id.0, id.1),
            format!("{} {} {} was changed", what.en, id.0, id.1),
        ));
    }
    changes
}

/// A PDF version name (`1.4`, `2.0`) as (major, minor).
fn pdf_version(object: &Object) -> Option<(u8, u8)> {
    let name = object.as_name().ok()?;
    let text = std::str::from_utf8(name).ok()?;
    let (major, minor) = text.split_once('.')?;
    let parse = |s: &str| (s.len() == 1).then(|| s.parse::<u8>().ok()).flatten();
    Some((parse(major)?, parse(minor)?))
}

/// Whether the catalog's `/Version` was added or raised to a known PDF version (1.0–2.0),
/// and nothing else about it changed.
fn version_raised(before: &Dictionary, after: &Dictionary) -> bool {
    let Some(new) = after.get(b"Version").ok().and_then(pdf_version) else {
        return false;
    };
    let known = new.0 == 1 && new.1 <= 7 || new == (2, 0);
    let old = before.get(b"Version").ok();
    known && old.is_none_or(|o| pdf_version(o).is_some_and(|o| o < new))
}

/// The trailer's `/Root` and the catalog it names.
fn catalog(doc: &Document) -> (Option<ObjectId>, Option<&Dictionary>) {
    let root = doc.trailer.get(b"Root").and_then(Object::as_reference).ok();
    (root, root.and_then(|id| doc.get_dictionary(id).ok()))
}

/// The keys whose values differ between `a` and `b`, present in either.
fn differing_keys(a: &Dictionary, b: &Dictionary) -> Vec<Vec<u8>> {
    let mut keys: Vec<Vec<u8>> = a
        .iter()
        .filter(|(k, v)| b.get(k).ok() != Some(*v))
        .map(|(k, _)| k.clone())
        .collect();
    for (k, _) in b.iter() {
        if !a.has(k) {
            keys.push(k.clone());
        }
    }
    keys
}

/// The object number `object` refers to, if it is a reference.
fn reference(object: Option<&Object>) -> Option<ObjectId> {
    object.and_then(|o| o.as_reference().ok())
}

/// `object`, or what it refers to, followed through references.
fn resolve<'d>(doc: &'d Document, object: &'d Object) -> Option<&'d Object> {
    doc.dereference(object).ok().map(|(_, o)| o)
}

fn resolved_dict<'d>(doc: &'d Document, object: Option<&'d Object>) -> Option<&'d Dictionary> {
    object
        .and_then(|o| resolve(doc, o))
        .and_then(|o| o.as_dict().ok())
}

fn resolved_array(doc: &Document, object: Option<&Object>) -> Vec<Object> {
    object
        .and_then(|o| resolve(doc, o))
        .and_then(|o| o.as_array().ok())
        .cloned()
        .unwrap_or_default()
}

/// Checks that the array `after` keeps every element of `before` (`what` names one, with its
/// article) and that each element added is a signature field (with its widget): their names go
/// to `signature_fields`, anything else to `other`. An added element that is an existing object
/// changed is judged with the other changed objects.
fn added_elements(
    doc: &Document,
    before: &[Object],
    after: &[Object],
    what: &Text,
    changes: &mut Changes,
) {
    if before.iter().any(|b| !after.contains(b)) {
        changes.other.push(Text::new(
            format!("{}が削除されています", what.ja),
            format!("{} was removed", what.en),
        ));
    }
    for element in after.iter().filter(|a| !before.contains(a)) {
        match resolve(doc, element).and_then(|o| o.as_dict().ok()) {
            Some(d) if is_signature_field(doc, d) => {
                let name = field_name(d);
                if !changes.signature_fields.contains(&name) {
                    changes.signature_fields.push(name);
                }
            }
            Some(d) => {
                let kind = kind(d).unwrap_or_else(|| "dictionary".into());
                changes.other.push(Text::new(
                    format!("{}が追加されています（{kind}）", what.ja),
                    format!("{} was added ({kind})", what.en),
                ))
            }
            None => changes.other.push(Text::new(
                format!("{}が追加されています", what.ja),
                format!("{} was added", what.en),
            )),
        }
    }
}

/// Whether `dict` is a signature field or the widget of one (ISO 32000-1 §12.7.4.5: `/FT
/// /Sig`, on the dictionary or inherited from its parent).
fn is_signature_field(doc: &Document, dict: &Dictionary) -> bool {
    let mut current = dict;
    for _ in 0..MAX_DEPTH {
        if let Ok(ft) = current.get(b"FT") {
            return ft.as_name().is_ok_and(|n| n == b"Sig");
        }
        match resolved_dict(doc, current.get(b"Parent").ok()) {
            Some(parent) => current = parent,
            None => return false,
        }
    }
    false
}

/// A field's partial name (`/T`), or "(unnamed)".
fn field_name(dict: &Dictionary) -> String {
    dict.get(b"T")
        .and_then(Object::as_str)
        .map(decode_text)
        .unwrap_or_else(|_| "(unnamed)".into())
}

/// `/Subtype` or `/Type` of a dictionary, for a description.
fn kind(dict: &Dictionary) -> Option<String> {
    [b"Subtype".as_slice(), b"Type"]
        .iter()
        .find_map(|k| dict.get(k).and_then(Object::as_name).ok())
        .map(|n| format!("/{}", String::from_utf8_lossy(n)))
}

/// What an object is, for a description.
fn describe(object: &Object) -> Text {
    let with_kind = |kind: Option<String>, ja: &str, en: &str| match kind {
        Some(k) => Text::new(format!("{k} {ja}"), format!("{k} {en}")),
        None => Text::new(ja, en),
    };
    match object {
        Object::Dictionary(d) => with_kind(kind(d), "辞書", "object"),
        Object::Stream(s) => with_kind(kind(&s.dict), "ストリーム", "stream"),
        Object::Array(_) => Text::new("配列", "array"),
        _ => Text::new("オブジェクト", "object"),
    }
}

/// The object numbers reached from `object` through references.
fn reachable(doc: &Document, object: &Object) -> BTreeSet<ObjectId> {
    let mut seen = BTreeSet::new();
    let mut stack: Vec<(&Object, usize)> = vec![(object, 0)];
    while let Some((o, depth)) = stack.pop() {
        if depth > MAX_DEPTH {
            continue;
        }
        match o {
            Object::Reference(id) => {
                if seen.insert(*id)
                    && let Ok(target) = doc.get_object(*id)
                {
                    stack.push((target, depth + 1));
                }
            }
            Object::Array(items) => stack.extend(items.iter().map(|i| (i, depth + 1))),
            Object::Dictionary(d) => stack.extend(d.iter().map(|(_, v)| (v, depth + 1))),
            Object::Stream(s) => stack.extend(s.dict.iter().map(|(_, v)| (v, depth + 1))),
            _ => {}
        }
    }
    seen
}

#[cfg(test)]
mod tests {
    use lopdf::Stream;

    use super::super::incremental::Update;
    use super::super::incremental::tests::{classic_pdf, xref_stream_pdf};
    use super::super::store::write_dss;
    use super::super::tests::EchoStamper;
    use super::*;
    use crate::ltv::ValidationData;

    /// `pdf` with one incremental update made by `change`.
    fn updated(pdf: &[u8], change: impl FnOnce(&Prior<'_>, &mut Update<'_, '_>)) -> Vec<u8> {
        let prior = Prior::load(pdf).unwrap();
        let mut update = Update::new(&prior);
        change(&prior, &mut update);
        update.finish().unwrap().bytes
    }

    /// The first page's object number and dictionary.
    fn first_page(prior: &Prior<'_>) -> (ObjectId, Dictionary) {
        let id = *prior.doc.get_pages().get(&1).unwrap();
        (id, prior.doc.get_dictionary(id).unwrap().clone())
    }

    /// Gives the first page's content stream other drawing, in `update`; its object number.
    fn draw_other_content(prior: &Prior<'_>, update: &mut Update<'_, '_>) -> ObjectId {
        let (_, page) = first_page(prior);
        let contents = page.get(b"Contents").unwrap().as_reference().unwrap();
        let stream = Stream::new(Dictionary::new(), b"0 0 m 100 100 l S".to_vec());
        update.put(contents, &Object::Stream(stream)).unwrap();
        contents
    }

    fn validation_data() -> ValidationData {
        ValidationData {
            certificates: vec![b"a certificate".to_vec()],
            crls: vec![b"a CRL".to_vec()],
            ocsp_responses: vec![b"an OCSP response".to_vec()],
        }
    }

    #[test]
    fn nothing_after_the_revision_is_no_change() {
        let pdf = classic_pdf();
        let changes = changes_after(&pdf, pdf.len()).unwrap();
        assert_eq!(changes, Changes::default());
        assert!(changes.shows_what_was_signed());
        assert!(changes_after(&pdf, pdf.len() + 1).is_err());
    }

    #[test]
    fn validation_data_and_document_time_stamps_show_what_was_signed() {
        for signed in [classic_pdf(), xref_stream_pdf()] {
            let with_dss = write_dss(&signed, validation_data()).unwrap().unwrap();
            let stamped =
                crate::pades::add_document_time_stamp(&with_dss, &EchoStamper, None).unwrap();
            let more = ValidationData {
                certificates: vec![b"another certificate".to_vec()],
                ..Default::default()
            };
            let again = write_dss(&stamped, more).unwrap().unwrap();
            let last = crate::pades::add_document_time_stamp(&again, &EchoStamper, None).unwrap();
            let changes = changes_after(&last, signed.len()).unwrap();
            assert!(changes.shows_what_was_signed(), "{changes:?}");
            assert!(changes.validation_data);
            assert_eq!(changes.signature_fields, ["DocTimeStamp1", "DocTimeStamp2"]);
            // From the first time-stamp on, only the DSS grew and one more time-stamp came.
            let since_stamp = changes_after(&last, stamped.len()).unwrap();
            assert!(since_stamp.shows_what_was_signed(), "{since_stamp:?}");
            assert!(since_stamp.validation_data);
            assert_eq!(since_stamp.signature_fields, ["DocTimeStamp2"]);
        }
    }

    #[test]
    fn a_changed_page_content_is_listed() {
        for signed in [classic_pdf(), xref_stream_pdf()] {
            let changed = updated(&signed, |prior, update| {
                draw_other_content(prior, update);
            });
            let changes = changes_after(&changed, signed.len()).unwrap();
            assert!(!changes.shows_what_was_signed());
            assert_eq!(changes.other.len(), 1, "{changes:?}");
            assert!(changes.other[0].en.contains("stream"), "{changes:?}");
        }
    }

    #[test]
    fn a_page_entry_other_than_its_annotations_is_listed() {
        let signed = classic_pdf();
        let changed = updated(&signed, |prior, update| {
            let (id, mut page) = first_page(prior);
            page.set("Rotate", Object::Integer(90));
            update.put(id, &Object::Dictionary(page)).unwrap();
        });
        let changes = changes_after(&changed, signed.len()).unwrap();
        assert_eq!(changes.other.len(), 1, "{changes:?}");
        assert!(changes.other[0].en.ends_with("/Rotate"), "{changes:?}");
    }

    #[test]
    fn an_annotation_that_is_not_a_signature_is_listed() {
        let signed = classic_pdf();
        let changed = updated(&signed, |prior, update| {
            let (id, mut page) = first_page(prior);
            let note = update.reserve();
            let mut annot = Dictionary::new();
            annot.set("Type", Object::Name(b"Annot".to_vec()));
            annot.set("Subtype", Object::Name(b"FreeText".to_vec()));
            annot.set("Contents", Object::string_literal("not what was signed"));
            update.put(note, &Object::Dictionary(annot)).unwrap();
            page.set("Annots", Object::Array(vec![Object::Reference(note)]));
            update.put(id, &Object::Dictionary(page)).unwrap();
        });
        let changes = changes_after(&changed, signed.len()).unwrap();
        assert_eq!(
            changes.other,
            [Text::new(
                "注釈が追加されています（/FreeText）",
                "an annotation was added (/FreeText)"
            )],
            "{changes:?}"
        );
    }

    #[test]
    fn a_raised_catalog_version_is_no_change_and_a_strange_one_is() {
        let pdf = classic_pdf();
        for (version, listed) in [("1.7", false), ("2.0", false), ("1.9", true), ("x", true)] {
            let after = updated(&pdf, |prior, update| {
                let mut catalog = prior.catalog().unwrap().clone();
                catalog.set("Version", Object::Name(version.as_bytes().to_vec()));
                update
                    .put(prior.root_id().unwrap(), &Object::Dictionary(catalog))
                    .unwrap();
            });
            let changes = changes_after(&after, pdf.len()).unwrap();
            assert_eq!(!changes.other.is_empty(), listed, "{version}: {changes:?}");
        }
    }

    #[test]
    fn a_catalog_entry_other_than_dss_form_and_extensions_is_listed() {
        let signed = classic_pdf();
        let changed = updated(&signed, |prior, update| {
            let mut catalog = prior.catalog().unwrap().clone();
            catalog.set("OpenAction", Object::Array(vec![]));
            update
                .put(prior.root_id().unwrap(), &Object::Dictionary(catalog))
                .unwrap();
        });
        let changes = changes_after(&changed, signed.len()).unwrap();
        assert_eq!(
            changes.other,
            [Text::new(
                "カタログの /OpenAction",
                "the catalog's /OpenAction"
            )]
        );
    }

    #[test]
    fn a_changed_page_content_listed_in_the_dss_is_still_a_changed_page() {
        let signed = classic_pdf();
        let changed = updated(&signed, |prior, update| {
            let contents = draw_other_content(prior, update);
            let mut dss = Dictionary::new();
            dss.set("Certs", Object::Array(vec![Object::Reference(contents)]));
            let mut catalog = prior.catalog().unwrap().clone();
            catalog.set("DSS", Object::Dictionary(dss));
            update
                .put(prior.root_id().unwrap(), &Object::Dictionary(catalog))
                .unwrap();
        });
        let changes = changes_after(&changed, signed.len()).unwrap();
        assert!(changes.validation_data);
        assert_eq!(changes.other.len(), 1, "{changes:?}");
    }

    #[test]
    fn a_changed_page_content_named_as_metadata_is_still_a_changed_page() {
        let signed = classic_pdf();
        let changed = updated(&signed, |prior, update| {
            let contents = draw_other_content(prior, update);
            let mut catalog = prior.catalog().unwrap().clone();
            catalog.set("Metadata", Object::Reference(contents));
            update
                .put(prior.root_id().unwrap(), &Object::Dictionary(catalog))
                .unwrap();
        });
        let changes = changes_after(&changed, signed.len()).unwrap();
        assert_eq!(
            changes.other,
            [Text::new(
                "ストリーム 4 0 が変更されています",
                "stream 4 0 was changed"
            )],
            "{changes:?}"
        );
    }

    #[test]
    fn metadata_is_not_page_content() {
        let signed = classic_pdf();
        let changed = updated(&signed, |prior, update| {
            let xmp = update.reserve();
            update
                .put(
                    xmp,
                    &Object::Stream(Stream::new(Dictionary::new(), b"<x:xmpmeta/>".to_vec())),
                )
                .unwrap();
            let mut catalog = prior.catalog().unwrap().clone();
            catalog.set("Metadata", Object::Reference(xmp));
            update
                .put(prior.root_id().unwrap(), &Object::Dictionary(catalog))
                .unwrap();
        });
        let changes = changes_after(&changed, signed.len()).unwrap();
        assert!(
            changes.metadata && changes.shows_what_was_signed(),
            "{changes:?}"
        );
    }
}
