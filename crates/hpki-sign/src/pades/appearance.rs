//! The widget of a signature field: invisible (a zero rectangle, ISO 32000-1 §12.7.4.5), or
//! visible with an appearance stream (§12.5.5) showing a few lines of text, e.g.
//! 「電子署名: 日医 太郎」 and the time.
//!
//! Japanese text needs a font in the file: with [`Appearance::font`] (a TrueType or OpenType
//! font such as IPAex Gothic) the glyphs used are embedded as a subset, as a CID-keyed font
//! with `Identity-H` encoding and a `ToUnicode` map (§9.7, §9.10.3) so the text can be
//! copied and searched. Without a font the text is drawn in the standard Helvetica, which has
//! only Latin characters: anything else is shown as `?`.

use std::time::{Duration, SystemTime};

use lopdf::{Dictionary, Object, ObjectId, Stream, StringFormat};

use super::incremental::{Update, pdf_refusal};
use crate::{DigestAlgorithm, SignError};

/// A visible signature.
#[derive(Clone, Debug, PartialEq)]
pub struct Appearance {
    /// The page, 0 for the first.
    pub page: usize,
    /// The rectangle `[x1, y1, x2, y2]` in default user space (1/72 inch from the page's
    /// lower left corner).
    pub rect: [f32; 4],
    /// The lines of text, top to bottom; the font size is chosen so they fit.
    pub lines: Vec<String>,
    /// A TrueType/OpenType font (e.g. IPAex Gothic, `ipaexg.ttf`) whose glyphs for `lines`
    /// are embedded as a subset; `None` for Helvetica (ASCII only).
    pub font: Option<Vec<u8>>,
}

impl Appearance {
    /// The usual stamp: 「電子署名: `name`」 and 「日時: YYYY-MM-DD hh:mm JST」 with `font`, or
    /// "Digitally signed: `name`" and "Date: … UTC" without one (ASCII; give the romaji name).
    pub fn signer(
        page: usize,
        rect: [f32; 4],
        name: &str,
        at: SystemTime,
        font: Option<Vec<u8>>,
    ) -> Result<Self, SignError> {
        let lines = if font.is_some() {
            let jst = der::DateTime::from_system_time(at + Duration::from_secs(9 * 3600))?;
            vec![
                format!("電子署名: {name}"),
                format!(
                    "日時: {:04}-{:02}-{:02} {:02}:{:02} JST",
                    jst.year(),
                    jst.month(),
                    jst.day(),
                    jst.hour(),
                    jst.minutes()
                ),
            ]
        } else {
            let utc = der::DateTime::from_system_time(at)?;
            vec![
                format!("Digitally signed: {name}"),
                format!(
                    "Date: {:04}-{:02}-{:02} {:02}:{:02} UTC",
                    utc.year(),
                    utc.month(),
                    utc.day(),
                    utc.hour(),
                    utc.minutes()
                ),
            ]
        };
        Ok(Appearance {
            page,
            rect,
            lines,
            font,
        })
    }
}

/// A merged field/widget dictionary before the field entries, and its page.
pub(crate) struct Widget {
    pub dict: Dictionary,
    pub page: ObjectId,
}

/// The annotation flags Print (4) and Locked (128) (ISO 32000-1 §12.5.3).
const FLAGS: i64 = 132;

fn widget_dict(rect: [f32; 4]) -> Dictionary {
    let mut d = Dictionary::new();
    d.set("Type", Object::Name(b"Annot".to_vec()));
    d.set("Subtype", Object::Name(b"Widget".to_vec()));
    d.set("F", Object::Integer(FLAGS));
    d.set(
        "Rect",
        Object::Array(rect.iter().map(|&v| Object::Real(v)).collect()),
    );
    d
}

fn page_id(update: &Update<'_, '_>, index: usize) -> Result<ObjectId, SignError> {
    let pages = update.prior().doc.get_pages();
    u32::try_from(index + 1)
        .ok()
        .and_then(|n| pages.get(&n).copied())
        .ok_or_else(|| {
            pdf_refusal(
                format!(
                    "{} ページ目はありません（文書は {} ページ）",
                    index + 1,
                    pages.len()
                ),
                format!("no page {} (the document has {})", index + 1, pages.len()),
            )
        })
}

/// An invisible widget on the first page.
pub(crate) fn invisible_widget(update: &mut Update<'_, '_>) -> Result<Widget, SignError> {
    Ok(Widget {
        dict: widget_dict([0.0; 4]),
        page: page_id(update, 0)?,
    })
}

/// A visible widget with its appearance stream (and font objects) written to `update`.
pub(crate) fn visible_widget(
    update: &mut Update<'_, '_>,
    appearance: &Appearance,
) -> Result<Widget, SignError> {
    let page = page_id(update, appearance.page)?;
    let [x1, y1, x2, y2] = appearance.rect;
    let (width, height) = ((x2 - x1).abs(), (y2 - y1).abs());
    if !(width.is_finite() && height.is_finite()) || width < 1.0 || height < 1.0 {
        return Err(pdf_refusal(
            "署名欄の矩形が空です",
            "the signature rectangle is empty",
        ));
    }
    let font = match &appearance.font {
        Some(data) => EmbeddedFont::new(data, &appearance.lines)?,
        None => EmbeddedFont::helvetica(),
    };
    let font_id = font.write(update)?;

    // Layout: a thin frame, the lines left-aligned with a margin, the size fitting both ways.
    let margin = (height * 0.08).clamp(2.0, 6.0);
    let n = appearance.lines.len().max(1) as f32;
    let widest = appearance
        .lines
        .iter()
        .map(|l| font.width_em(l))
        .fold(0.0f32, f32::max)
        .max(1.0);
    let size = ((height - 2.0 * margin) / (n * 1.25))
        .min((width - 2.0 * margin) / widest)
        .max(1.0);
    let mut content = format!(
        "q 1 1 1 rg 0.2 0.2 0.5 RG 0.8 w 0.4 0.4 {:.2} {:.2} re B Q\nBT 0 g /F1 {size:.2} Tf {:.2} TL {margin:.2} {:.2} Td\n",
        width - 0.8,
        height - 0.8,
        size * 1.25,
        height - margin - size,
    )
    .into_bytes();
    for (i, line) in appearance.lines.iter().enumerate() {
        if i > 0 {
            content.extend_from_slice(b"T* ");
        }
        content.extend_from_slice(&font.show(line));
        content.extend_from_slice(b" Tj\n");
    }
    content.extend_from_slice(b"ET\n");

    let mut resources = Dictionary::new();
    let mut fonts = Dictionary::new();
    fonts.set("F1", Object::Reference(font_id));
    resources.set("Font", Object::Dictionary(fonts));
    let mut form = Dictionary::new();
    form.set("Type", Object::Name(b"XObject".to_vec()));
    form.set("Subtype", Object::Name(b"Form".to_vec()));
    form.set(
        "BBox",
        Object::Array(vec![
            Object::Real(0.0),
            Object::Real(0.0),
            Object::Real(width),
            Object::Real(height),
        ]),
    );
    form.set("Resources", Object::Dictionary(resources));
    let form_id = update.reserve();
    update.put(form_id, &Object::Stream(Stream::new(form, content)))?;

    let mut dict = widget_dict([x1.min(x2), y1.min(y2), x1.max(x2), y1.max(y2)]);
    let mut ap = Dictionary::new();
    ap.set("N", Object::Reference(form_id));
    dict.set("AP", Object::Dictionary(ap));
    Ok(Widget { dict, page })
}

/// The font of an appearance: Helvetica, or a subset of a TrueType/OpenType font.
struct EmbeddedFont {
    kind: FontKind,
}

enum FontKind {
    Helvetica,
    Cid {
        /// The subset font program.
        program: Vec<u8>,
        /// Whether its outlines are TrueType (`glyf`), else CFF.
        truetype: bool,
        /// Per character of the text: the new glyph id (= CID) and its advance in 1/1000 em.
        glyphs: Vec<(char, u16, f32)>,
        name: String,
        /// Ascent, descent, cap height and bounding box in 1/1000 em.
        metrics: [f32; 3],
        bbox: [f32; 4],
    },
}

impl EmbeddedFont {
    fn helvetica() -> Self {
        EmbeddedFont {
            kind: FontKind::Helvetica,
        }
    }

    /// The subset of `data` (font collection member 0) for the characters of `lines`.
    fn new(data: &[u8], lines: &[String]) -> Result<Self, SignError> {
        let bad = |e: &dyn std::fmt::Display| {
            pdf_refusal(
                format!("フォントを使えません{}", hpki_text::DETAIL_IN_ENGLISH),
                format!("font: {e}"),
            )
        };
        let face = ttf_parser::Face::parse(data, 0).map_err(|e| bad(&e))?;
        let scale = 1000.0 / f32::from(face.units_per_em());
        let mut remapper = subsetter::GlyphRemapper::new();
        let mut glyphs: Vec<(char, u16, f32)> = Vec::new();
        for c in lines.iter().flat_map(|l| l.chars()) {
            if glyphs.iter().any(|(g, _, _)| *g == c) {
                continue;
            }
            let gid = face.glyph_index(c).unwrap_or(ttf_parser::GlyphId(0));
            let advance = f32::from(face.glyph_hor_advance(gid).unwrap_or(0)) * scale;
            glyphs.push((c, gid.0, advance));
        }
        for (_, gid, _) in &glyphs {
            remapper.remap(*gid);
        }
        let program = subsetter::subset(data, 0, &remapper).map_err(|e| bad(&e))?;
        let glyphs = glyphs
            .into_iter()
            .map(|(c, gid, adv)| (c, remapper.get(gid).unwrap_or(0), adv))
            .collect();
        let base = face
            .names()
            .into_iter()
            .find(|n| n.name_id == ttf_parser::name_id::POST_SCRIPT_NAME && n.is_unicode())
            .and_then(|n| n.to_string())
            .unwrap_or_else(|| "Embedded".to_owned());
        // A subset tag (ISO 32000-1 §9.6.4): six capitals derived from the subset.
        let hash = DigestAlgorithm::Sha256.digest(&program);
        let tag: String = hash[..6]
            .iter()
            .map(|b| char::from(b'A' + b % 26))
            .collect();
        let r = face.global_bounding_box();
        Ok(EmbeddedFont {
            kind: FontKind::Cid {
                truetype: face.tables().glyf.is_some(),
                program,
                glyphs,
                name: format!(
                    "{tag}+{}",
                    base.chars()
                        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
                        .collect::<String>()
                ),
                metrics: [
                    f32::from(face.ascender()) * scale,
                    f32::from(face.descender()) * scale,
                    f32::from(face.capital_height().unwrap_or(face.ascender())) * scale,
                ],
                bbox: [
                    f32::from(r.x_min) * scale,
                    f32::from(r.y_min) * scale,
                    f32::from(r.x_max) * scale,
                    f32::from(r.y_max) * scale,
                ],
            },
        })
    }

    /// The width of `text` in em.
    fn width_em(&self, text: &str) -> f32 {
        match &self.kind {
            // Helvetica's average advance is about 0.56 em; capitals are wider.
            FontKind::Helvetica => text.chars().count() as f32 * 0.6,
            FontKind::Cid { glyphs, .. } => {
                text.chars()
                    .map(|c| {
                        glyphs
                            .iter()
                            .find(|(g, _, _)| *g == c)
                            .map_or(1000.0, |(_, _, adv)| *adv)
                    })
                    .sum::<f32>()
                    / 1000.0
            }
        }
    }

    /// The string operand that shows `text`.
    fn show(&self, text: &str) -> Vec<u8> {
        let mut out = Vec::new();
        match &self.kind {
            FontKind::Helvetica => {
                let latin: Vec<u8> = text
                    .chars()
                    .map(|c| {
                        if c.is_ascii() && !c.is_ascii_control() {
                            c as u8
                        } else {
                            b'?'
                        }
                    })
                    .collect();
                lopdf::Writer::write_object(
                    &mut out,
                    &Object::String(latin, StringFormat::Literal),
                )
                .ok();
            }
            FontKind::Cid { glyphs, .. } => {
                out.push(b'<');
                for c in text.chars() {
                    let cid = glyphs
                        .iter()
                        .find(|(g, _, _)| *g == c)
                        .map_or(0, |(_, cid, _)| *cid);
                    out.extend_from_slice(format!("{cid:04X}").as_bytes());
                }
                out.push(b'>');
            }
        }
        out
    }

    /// Writes the font's objects; returns the font dictionary's id.
    fn write(&self, update: &mut Update<'_, '_>) -> Result<ObjectId, SignError> {
        let name = |s: &str| Object::Name(s.as_bytes().to_vec());
        let id = update.reserve();
        let mut font = Dictionary::new();
        font.set("Type", name("Font"));
        match &self.kind {
            FontKind::Helvetica => {
                font.set("Subtype", name("Type1"));
                font.set("BaseFont", name("Helvetica"));
                font.set("Encoding", name("WinAnsiEncoding"));
            }
            FontKind::Cid {
                program,
                truetype,
                glyphs,
                name: font_name,
                metrics,
                bbox,
            } => {
                let file_id = update.reserve();
                let mut file_dict = Dictionary::new();
                if !truetype {
                    file_dict.set("Subtype", name("OpenType"));
                }
                update.put(
                    file_id,
                    &Object::Stream(Stream::new(file_dict, program.clone())),
                )?;
                let descriptor_id = update.reserve();
                let mut descriptor = Dictionary::new();
                descriptor.set("Type", name("FontDescriptor"));
                descriptor.set("FontName", name(font_name));
                descriptor.set("Flags", Object::Integer(4));
                descriptor.set(
                    "FontBBox",
                    Object::Array(bbox.iter().map(|&v| Object::Real(v.round())).collect()),
                );
                descriptor.set("ItalicAngle", Object::Integer(0));
                descriptor.set("Ascent", Object::Real(metrics[0].round()));
                descriptor.set("Descent", Object::Real(metrics[1].round()));
                descriptor.set("CapHeight", Object::Real(metrics[2].round()));
                descriptor.set("StemV", Object::Integer(80));
                descriptor.set(
                    if *truetype { "FontFile2" } else { "FontFile3" },
                    Object::Reference(file_id),
                );
                update.put(descriptor_id, &Object::Dictionary(descriptor))?;

                let mut sorted: Vec<(u16, f32)> =
                    glyphs.iter().map(|(_, cid, adv)| (*cid, *adv)).collect();
                sorted.sort_by_key(|(cid, _)| *cid);
                sorted.dedup_by_key(|(cid, _)| *cid);
                let mut widths = Vec::new();
                for (cid, adv) in &sorted {
                    widths.push(Object::Integer(i64::from(*cid)));
                    widths.push(Object::Array(vec![Object::Real(adv.round())]));
                }
                let mut system_info = Dictionary::new();
                system_info.set("Registry", Object::string_literal("Adobe"));
                system_info.set("Ordering", Object::string_literal("Identity"));
                system_info.set("Supplement", Object::Integer(0));
                let cid_id = update.reserve();
                let mut cid_font = Dictionary::new();
                cid_font.set("Type", name("Font"));
                cid_font.set(
                    "Subtype",
                    name(if *truetype {
                        "CIDFontType2"
                    } else {
                        "CIDFontType0"
                    }),
                );
                cid_font.set("BaseFont", name(font_name));
                cid_font.set("CIDSystemInfo", Object::Dictionary(system_info));
                cid_font.set("FontDescriptor", Object::Reference(descriptor_id));
                cid_font.set("DW", Object::Integer(1000));
                cid_font.set("W", Object::Array(widths));
                if *truetype {
                    cid_font.set("CIDToGIDMap", name("Identity"));
                }
                update.put(cid_id, &Object::Dictionary(cid_font))?;

                let to_unicode_id = update.reserve();
                update.put(
                    to_unicode_id,
                    &Object::Stream(Stream::new(Dictionary::new(), to_unicode(glyphs))),
                )?;
                font.set("Subtype", name("Type0"));
                font.set("BaseFont", name(font_name));
                font.set("Encoding", name("Identity-H"));
                font.set(
                    "DescendantFonts",
                    Object::Array(vec![Object::Reference(cid_id)]),
                );
                font.set("ToUnicode", Object::Reference(to_unicode_id));
            }
        }
        update.put(id, &Object::Dictionary(font))?;
        Ok(id)
    }
}

/// A `ToUnicode` CMap (ISO 32000-1 §9.10.3) from the CIDs to the characters.
fn to_unicode(glyphs: &[(char, u16, f32)]) -> Vec<u8> {
    let mut out = String::from(
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n\
         /CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n\
         /CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n\
         1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n",
    );
    let entries: Vec<&(char, u16, f32)> = glyphs.iter().filter(|(_, cid, _)| *cid != 0).collect();
    for chunk in entries.chunks(100) {
        out.push_str(&format!("{} beginbfchar\n", chunk.len()));
        for (c, cid, _) in chunk {
            let mut units = [0u16; 2];
            let hex: String = c
                .encode_utf16(&mut units)
                .iter()
                .map(|u| format!("{u:04X}"))
                .collect();
            out.push_str(&format!("<{cid:04X}> <{hex}>\n"));
        }
        out.push_str("endbfchar\n");
    }
    out.push_str("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n");
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helvetica_shows_ascii_and_marks_the_rest() {
        let f = EmbeddedFont::helvetica();
        assert_eq!(f.show("Dr. (Taro)"), b"(Dr. (Taro))".to_vec());
        assert_eq!(f.show("日医"), b"(??)".to_vec());
    }

    #[test]
    fn the_unicode_map_names_each_cid() {
        let map = String::from_utf8(to_unicode(&[('日', 1, 1000.0), ('A', 2, 600.0)])).unwrap();
        assert!(map.contains("<0001> <65E5>"), "{map}");
        assert!(map.contains("<0002> <0041>"), "{map}");
    }

    #[test]
    fn the_stamp_text_is_japanese_with_a_font() {
        let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_743_500_000);
        let a =
            Appearance::signer(0, [0.0, 0.0, 200.0, 50.0], "日医 太郎", at, Some(vec![])).unwrap();
        assert_eq!(
            a.lines,
            ["電子署名: 日医 太郎", "日時: 2025-04-01 18:33 JST"]
        );
        let a = Appearance::signer(0, [0.0; 4], "Taro Nichii", at, None).unwrap();
        assert_eq!(a.lines[1], "Date: 2025-04-01 09:33 UTC");
    }
}
