//! Incremental updates of a PDF (ISO 32000-1 §7.5.6): the original bytes unchanged, then the
//! new and changed objects, a cross-reference section for exactly those objects and a trailer
//! whose `/Prev` points to the previous section.
//!
//! The previous file is read with lopdf (which follows object streams and cross-reference
//! streams); the update is written here by hand so that every offset is known: a signature's
//! `/ByteRange` and `/Contents` are patched in place afterwards (ISO 32000-1 §12.8.1).
//!
//! The new section is of the same kind as the last one of the file: a cross-reference table
//! (§7.5.4) after a table, a cross-reference stream (§7.5.8) after a stream, so that readers
//! which refuse to mix the two in one chain (pyHanko in strict mode) accept the result.

use hpki_text::Text;
use std::collections::BTreeMap;
use std::fmt::Display;

use lopdf::xref::XrefType;
use lopdf::{Dictionary, Document, LoadOptions, Object, ObjectId, Stream, Writer};

use crate::SignError;

/// What the object streams and cross-reference streams of one reading of a PDF may inflate to,
/// together: lopdf decodes them while loading, so a small file of compressed streams
/// ("decompression bombs") could otherwise take gigabytes before anything is checked. Real
/// files stay far below (a few object streams of some hundred kilobytes).
pub const MAX_LOAD_INFLATED: usize = 32 << 20;

/// The number of object and cross-reference streams `bytes` may hold (an upper bound: the
/// `/ObjStm` and `/XRef` names anywhere in the file; such streams are never themselves
/// compressed inside other streams, ISO 32000-1 §7.5.7).
fn compressed_structure_streams(bytes: &[u8]) -> usize {
    let count = |name: &[u8]| bytes.windows(name.len()).filter(|w| *w == name).count();
    count(b"/ObjStm") + count(b"/XRef")
}

/// A PDF error with `what` as its message.
pub(crate) fn pdf_error(what: impl Display) -> SignError {
    SignError::Pdf(Text::new(
        format!("PDF の構造を読めません{}", hpki_text::DETAIL_IN_ENGLISH),
        what.to_string(),
    ))
}

/// A PDF hpki refuses, with the reason in Japanese and English.
pub(crate) fn pdf_refusal(ja: impl Into<String>, en: impl Into<String>) -> SignError {
    SignError::Pdf(Text::new(ja, en))
}

/// The file an update is appended to, as read.
pub(crate) struct Prior<'a> {
    /// Its bytes, which the update leaves unchanged.
    pub bytes: &'a [u8],
    /// Its objects (the latest revision of each).
    pub doc: Document,
    /// The offset of its last cross-reference section (`startxref`).
    startxref: usize,
    /// Whether that section is a cross-reference stream.
    xref_stream: bool,
    /// The trailer's `/Size`: the first object number free for new objects.
    size: u32,
}

impl<'a> Prior<'a> {
    /// Reads `bytes`. Refuses what cannot be updated faithfully: an encrypted file, and a file
    /// whose cross-reference data is broken (a repaired table would not be the one other
    /// readers use, so offsets in the update would not match theirs).
    pub fn load(bytes: &'a [u8]) -> Result<Self, SignError> {
        if !bytes.starts_with(b"%PDF-") {
            return Err(pdf_refusal(
                "PDF ではありません",
                "not a PDF file (no %PDF- header)",
            ));
        }
        // Each stream decoded while loading gets its share of the budget.
        let streams = compressed_structure_streams(bytes).max(1);
        let options = LoadOptions {
            strict: true,
            max_decompressed_size: Some(MAX_LOAD_INFLATED / streams),
            ..LoadOptions::default()
        };
        let doc = Document::load_mem_with_options(bytes, options).map_err(|e| match e {
            lopdf::Error::Decompress(lopdf::DecompressError::MemoryLimitExceeded { .. }) => {
                pdf_refusal(
                    format!(
                        "圧縮されたデータを展開すると大きすぎます（上限 {} MiB）",
                        MAX_LOAD_INFLATED >> 20
                    ),
                    format!(
                        "its compressed structure inflates beyond the limit ({} MiB)",
                        MAX_LOAD_INFLATED >> 20
                    ),
                )
            }
            e => pdf_error(e),
        })?;
        if doc.trailer.has(b"Encrypt") || doc.encryption_state.is_some() {
            return Err(pdf_refusal(
                "暗号化された PDF には対応していません",
                "encrypted PDF files are not supported",
            ));
        }
        if doc.xref_recovery.is_some() || doc.xref_start == 0 {
            return Err(pdf_refusal(
                "相互参照表が壊れています",
                "the cross-reference data is damaged",
            ));
        }
        let xref_stream = matches!(
            doc.reference_table.cross_reference_type,
            XrefType::CrossReferenceStream
        );
        let trailer_size = doc
            .trailer
            .get(b"Size")
            .and_then(Object::as_i64)
            .ok()
            .and_then(|s| u32::try_from(s).ok())
            .unwrap_or(0);
        let size = trailer_size
            .max(doc.reference_table.size)
            .max(doc.max_id.saturating_add(1));
        Ok(Prior {
            bytes,
            startxref: doc.xref_start,
            xref_stream,
            size,
            doc,
        })
    }

    /// The catalog's object number (trailer `/Root`).
    pub fn root_id(&self) -> Result<ObjectId, SignError> {
        self.doc
            .trailer
            .get(b"Root")
            .and_then(Object::as_reference)
            .map_err(|_| pdf_refusal("トレーラに /Root がありません", "the trailer has no /Root"))
    }

    /// The catalog dictionary.
    pub fn catalog(&self) -> Result<&Dictionary, SignError> {
        self.doc
            .get_dictionary(self.root_id()?)
            .map_err(|e| pdf_error(format!("catalog: {e}")))
    }

    /// `object`, or what it refers to.
    pub fn resolve<'o>(&'o self, object: &'o Object) -> Result<&'o Object, SignError> {
        self.doc
            .dereference(object)
            .map(|(_, o)| o)
            .map_err(pdf_error)
    }

    /// Whether the last cross-reference section is a stream.
    #[cfg(test)]
    pub fn has_xref_stream(&self) -> bool {
        self.xref_stream
    }
}

/// New and changed objects of one incremental update.
pub(crate) struct Update<'p, 'a> {
    prior: &'p Prior<'a>,
    next_id: u32,
    objects: Vec<(ObjectId, Vec<u8>)>,
}

/// A written update: the whole file, and where each object's body starts in it.
pub(crate) struct Written {
    /// The previous bytes followed by the update.
    pub bytes: Vec<u8>,
    body_offsets: BTreeMap<ObjectId, usize>,
}

impl Written {
    /// Where the body of object `id` (after `N G obj\n`) starts.
    pub fn body_offset(&self, id: ObjectId) -> Result<usize, SignError> {
        self.body_offsets
            .get(&id)
            .copied()
            .ok_or_else(|| pdf_error(format!("object {} {} was not written", id.0, id.1)))
    }
}

impl<'p, 'a> Update<'p, 'a> {
    /// An empty update of `prior`.
    pub fn new(prior: &'p Prior<'a>) -> Self {
        Update {
            prior,
            next_id: prior.size,
            objects: Vec::new(),
        }
    }

    /// The file being updated.
    pub fn prior(&self) -> &'p Prior<'a> {
        self.prior
    }

    /// A new object number (generation 0), never used in the file before.
    pub fn reserve(&mut self) -> ObjectId {
        let id = (self.next_id, 0);
        self.next_id += 1;
        id
    }

    /// Writes `object` as the new value of `id` (a reserved number, or an existing object that
    /// changes: same number and generation, ISO 32000-1 §7.5.6).
    pub fn put(&mut self, id: ObjectId, object: &Object) -> Result<(), SignError> {
        let mut body = Vec::new();
        Writer::write_object(&mut body, object).map_err(pdf_error)?;
        self.put_raw(id, body)
    }

    /// Writes `body`, already serialised, as the value of `id`.
    pub fn put_raw(&mut self, id: ObjectId, body: Vec<u8>) -> Result<(), SignError> {
        if self.objects.iter().any(|(i, _)| *i == id) {
            return Err(pdf_error(format!(
                "object {} {} written twice in one update",
                id.0, id.1
            )));
        }
        self.objects.push((id, body));
        Ok(())
    }

    /// The file with this update appended: objects, cross-reference section, trailer.
    pub fn finish(mut self) -> Result<Written, SignError> {
        let prior = self.prior;
        let mut out = Vec::with_capacity(
            prior.bytes.len()
                + self
                    .objects
                    .iter()
                    .map(|(_, b)| b.len() + 32)
                    .sum::<usize>()
                + 512,
        );
        out.extend_from_slice(prior.bytes);
        if !matches!(out.last(), Some(b'\n' | b'\r')) {
            out.push(b'\n');
        }
        let mut offsets = BTreeMap::new();
        let mut body_offsets = BTreeMap::new();
        for (id, body) in &self.objects {
            offsets.insert(*id, out.len());
            out.extend_from_slice(format!("{} {} obj\n", id.0, id.1).as_bytes());
            body_offsets.insert(*id, out.len());
            out.extend_from_slice(body);
            out.extend_from_slice(b"\nendobj\n");
        }

        let mut trailer = Dictionary::new();
        trailer.set("Root", Object::Reference(prior.root_id()?));
        for key in [b"Info".as_slice(), b"ID".as_slice()] {
            if let Ok(value) = prior.doc.trailer.get(key) {
                trailer.set(key.to_vec(), value.clone());
            }
        }
        trailer.set("Prev", Object::Integer(prior.startxref as i64));

        let xref_offset = out.len();
        if prior.xref_stream {
            // ISO 32000-1 §7.5.8: the stream lists its own entry too.
            let xref_id = self.reserve();
            offsets.insert(xref_id, xref_offset);
            let width = offset_width(xref_offset);
            let mut data = Vec::new();
            let mut index = Vec::new();
            for run in runs(&offsets) {
                index.push(Object::Integer(i64::from(run[0].0.0)));
                index.push(Object::Integer(run.len() as i64));
                for ((_, generation), offset) in run {
                    data.push(1u8);
                    data.extend_from_slice(&(offset as u64).to_be_bytes()[8 - width..]);
                    data.extend_from_slice(&generation.to_be_bytes());
                }
            }
            trailer.set("Type", Object::Name(b"XRef".to_vec()));
            trailer.set("Size", Object::Integer(i64::from(self.next_id)));
            trailer.set(
                "W",
                Object::Array(vec![
                    Object::Integer(1),
                    Object::Integer(width as i64),
                    Object::Integer(2),
                ]),
            );
            trailer.set("Index", Object::Array(index));
            let stream = Stream::new(trailer, data);
            out.extend_from_slice(format!("{} {} obj\n", xref_id.0, xref_id.1).as_bytes());
            Writer::write_object(&mut out, &Object::Stream(stream)).map_err(pdf_error)?;
            out.extend_from_slice(b"\nendobj\n");
        } else {
            out.extend_from_slice(b"xref\n");
            for run in runs(&offsets) {
                out.extend_from_slice(format!("{} {}\n", run[0].0.0, run.len()).as_bytes());
                for ((_, generation), offset) in run {
                    // Exactly 20 octets per entry (§7.5.4).
                    out.extend_from_slice(format!("{offset:010} {generation:05} n\r\n").as_bytes());
                }
            }
            trailer.set("Size", Object::Integer(i64::from(self.next_id)));
            out.extend_from_slice(b"trailer\n");
            Writer::write_object(&mut out, &Object::Dictionary(trailer)).map_err(pdf_error)?;
            out.push(b'\n');
        }
        out.extend_from_slice(format!("startxref\n{xref_offset}\n%%EOF\n").as_bytes());
        Ok(Written {
            bytes: out,
            body_offsets,
        })
    }
}

/// Octets needed to write offsets up to `max` in a cross-reference stream (at least 4).
fn offset_width(max: usize) -> usize {
    let bits = usize::BITS - max.leading_zeros();
    (bits.div_ceil(8) as usize).clamp(4, 8)
}

/// The entries grouped in runs of consecutive object numbers (the subsections of §7.5.4, the
/// `/Index` pairs of §7.5.8.2).
fn runs(offsets: &BTreeMap<ObjectId, usize>) -> Vec<Vec<(ObjectId, usize)>> {
    let mut out: Vec<Vec<(ObjectId, usize)>> = Vec::new();
    for (&id, &offset) in offsets {
        match out.last_mut() {
            Some(run) if run.last().is_some_and(|(last, _)| last.0 + 1 == id.0) => {
                run.push((id, offset))
            }
            _ => out.push(vec![(id, offset)]),
        }
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A one-page PDF with a classic cross-reference table, offsets computed.
    pub(crate) fn classic_pdf() -> Vec<u8> {
        let objects = [
            "<</Type/Catalog/Pages 2 0 R>>",
            "<</Type/Pages/Kids[3 0 R]/Count 1>>",
            "<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]/Contents 4 0 R/Resources<<>>>>",
            "<</Length 8>>stream\n0 0 m S\n\nendstream",
        ];
        let mut out = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n".to_vec();
        let mut offsets = Vec::new();
        for (i, body) in objects.iter().enumerate() {
            offsets.push(out.len());
            out.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", i + 1).as_bytes());
        }
        let xref = out.len();
        out.extend_from_slice(b"xref\n0 5\n0000000000 65535 f\r\n");
        for o in offsets {
            out.extend_from_slice(format!("{o:010} 00000 n\r\n").as_bytes());
        }
        out.extend_from_slice(
            format!("trailer\n<</Size 5/Root 1 0 R>>\nstartxref\n{xref}\n%%EOF\n").as_bytes(),
        );
        out
    }

    /// The same document saved by lopdf with object streams and a cross-reference stream.
    pub(crate) fn xref_stream_pdf() -> Vec<u8> {
        let mut doc = Document::load_mem(&classic_pdf()).unwrap();
        let mut out = Vec::new();
        doc.save_modern(&mut out).unwrap();
        out
    }

    fn update_and_reload(pdf: &[u8]) -> (Vec<u8>, Document) {
        let prior = Prior::load(pdf).unwrap();
        let mut update = Update::new(&prior);
        let new = update.reserve();
        update
            .put(new, &Object::string_literal("appended"))
            .unwrap();
        let root = prior.root_id().unwrap();
        let mut catalog = prior.catalog().unwrap().clone();
        catalog.set("Extra", Object::Reference(new));
        update.put(root, &Object::Dictionary(catalog)).unwrap();
        let written = update.finish().unwrap();
        let doc = Document::load_mem_with_options(
            &written.bytes,
            LoadOptions {
                strict: true,
                ..LoadOptions::default()
            },
        )
        .unwrap();
        (written.bytes, doc)
    }

    #[test]
    fn an_update_keeps_the_original_bytes_and_its_xref_reads_back() {
        for (pdf, stream) in [(classic_pdf(), false), (xref_stream_pdf(), true)] {
            assert_eq!(Prior::load(&pdf).unwrap().has_xref_stream(), stream);
            let (bytes, doc) = update_and_reload(&pdf);
            assert!(
                bytes.starts_with(&pdf),
                "incremental: the original is a prefix"
            );
            assert!(
                doc.xref_recovery.is_none(),
                "the new xref is read as written"
            );
            let catalog = doc.catalog().unwrap();
            let extra = catalog.get(b"Extra").unwrap().as_reference().unwrap();
            assert_eq!(
                doc.get_object(extra).unwrap().as_str().unwrap(),
                b"appended"
            );
            // Every entry of the new section points at its "N G obj" header.
            let text = String::from_utf8_lossy(&bytes[pdf.len()..]).into_owned();
            assert!(text.contains("/Prev"), "{text}");
            assert_eq!(
                Prior::load(&bytes).unwrap().has_xref_stream(),
                stream,
                "same kind of section"
            );
            // A second update on top of the first.
            let (again, doc) = update_and_reload(&bytes);
            assert!(again.starts_with(&bytes));
            assert!(doc.catalog().unwrap().has(b"Extra"));
        }
    }

    #[test]
    fn classic_entries_are_twenty_octets_and_point_at_their_objects() {
        let (bytes, _) = update_and_reload(&classic_pdf());
        let start = bytes.windows(6).rposition(|w| w == b"\nxref\n").unwrap();
        let text = String::from_utf8_lossy(&bytes[start + 6..]).into_owned();
        let mut lines = text.split('\n');
        let mut checked = 0;
        while let Some(header) = lines.next().filter(|l| !l.starts_with("trailer")) {
            let (first, count) = header.split_once(' ').unwrap();
            let (first, count): (u32, usize) = (first.parse().unwrap(), count.parse().unwrap());
            for i in 0..count {
                let line = lines.next().unwrap();
                assert_eq!(line.len() + 1, 20, "{line:?}");
                let offset: usize = line[..10].parse().unwrap();
                let id = first + i as u32;
                assert!(bytes[offset..].starts_with(format!("{id} 0 obj").as_bytes()));
                checked += 1;
            }
        }
        assert_eq!(checked, 2, "the new object and the catalog");
    }

    #[test]
    fn garbage_and_encrypted_files_are_refused() {
        assert!(matches!(Prior::load(b"hello"), Err(SignError::Pdf(_))));
        let mut damaged = classic_pdf();
        let at = damaged.len() - 10;
        damaged[at..at + 3].copy_from_slice(b"999");
        assert!(Prior::load(&damaged).is_err());
    }

    #[test]
    fn runs_group_consecutive_numbers() {
        let offsets: BTreeMap<ObjectId, usize> = [((3, 0), 10), ((4, 0), 20), ((9, 0), 30)]
            .into_iter()
            .collect();
        let r = runs(&offsets);
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].len(), 2);
        assert_eq!(offset_width(70_000), 4);
        assert_eq!(offset_width(u32::MAX as usize + 1), 5);
    }
}
