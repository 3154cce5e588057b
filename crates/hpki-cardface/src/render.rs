//! From the SVG of a side to PNG (resvg) and PDF (krilla, text kept as text).

use std::collections::BTreeSet;
use std::fmt;
use std::sync::Arc;

use krilla::Document;
use krilla::geom::Size;
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla_svg::{SurfaceExt as _, SvgSettings};
use resvg::tiny_skia::{Pixmap, Transform};
use resvg::usvg::{self, fontdb};

use crate::layout::build;
use crate::{CARD_HEIGHT_MM, CARD_WIDTH_MM, CardFace, CardFaceError, Side};

/// The highest resolution [`render_png`] accepts (a 2400 dpi card is 8089 × 5101 pixels).
pub const MAX_DPI: f32 = 2400.0;

/// The font the card is set in: a font with Japanese glyphs, loaded from its bytes.
///
/// IPAex Gothic (`ipaexg.ttf`) or Noto Sans CJK JP (a `.ttc` collection; its Japanese face is
/// chosen) work. The bytes come from the caller, e.g. after [`crate::find_system_cjk_font`].
#[derive(Clone)]
pub struct Fonts {
    db: Arc<fontdb::Database>,
    face: fontdb::ID,
    family: String,
}

impl fmt::Debug for Fonts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fonts")
            .field("family", &self.family)
            .finish_non_exhaustive()
    }
}

impl Fonts {
    /// Loads a TrueType/OpenType font or collection from its bytes.
    ///
    /// In a collection the first face whose family name ends in `JP` is used (Noto Sans CJK
    /// holds Japanese, Korean and Chinese faces), otherwise the first face.
    pub fn from_bytes(data: Vec<u8>) -> Result<Self, CardFaceError> {
        let mut db = fontdb::Database::new();
        db.load_font_data(data);
        let chosen = db
            .faces()
            .find(|f| f.families.iter().any(|(name, _)| name.ends_with(" JP")))
            .or_else(|| db.faces().next())
            .ok_or_else(|| CardFaceError::Font("no font face in the data".into()))?;
        let face = chosen.id;
        let family = chosen
            .families
            .first()
            .map(|(name, _)| name.clone())
            .ok_or_else(|| CardFaceError::Font("the font has no family name".into()))?;
        let has_kana = db
            .with_face_data(face, |data, index| {
                ttf_parser::Face::parse(data, index)
                    .ok()
                    .map(|f| f.glyph_index('あ').is_some() && f.glyph_index('医').is_some())
            })
            .flatten()
            .unwrap_or(false);
        if !has_kana {
            return Err(CardFaceError::Font(format!(
                "{family} has no Japanese glyphs"
            )));
        }
        db.set_sans_serif_family(family.clone());
        Ok(Self {
            db: Arc::new(db),
            face,
            family,
        })
    }

    /// The family name of the font, e.g. `IPAexGothic`.
    pub fn family(&self) -> &str {
        &self.family
    }

    /// Fails with [`CardFaceError::MissingGlyph`] for the first character of `texts` the font
    /// cannot draw.
    fn check_glyphs(&self, texts: &[String]) -> Result<(), CardFaceError> {
        let missing = self
            .db
            .with_face_data(self.face, |data, index| {
                let face = ttf_parser::Face::parse(data, index).ok()?;
                let mut seen = BTreeSet::new();
                for text in texts {
                    for ch in text.chars() {
                        if ch.is_whitespace() || !seen.insert(ch) {
                            continue;
                        }
                        if face.glyph_index(ch).is_none() {
                            return Some((ch, text.clone()));
                        }
                    }
                }
                None
            })
            .flatten();
        match missing {
            Some((ch, text)) => Err(CardFaceError::MissingGlyph { ch, text }),
            None => Ok(()),
        }
    }

    /// The usvg tree of one side, after the glyph check.
    fn tree(&self, face: &CardFace, side: Side) -> Result<usvg::Tree, CardFaceError> {
        let (svg, texts) = build(face, side)?;
        self.tree_of(&svg, &texts)
    }

    /// The usvg tree of `svg`, after the glyph check of `texts` (the text it sets).
    pub(crate) fn tree_of(&self, svg: &str, texts: &[String]) -> Result<usvg::Tree, CardFaceError> {
        self.check_glyphs(texts)?;
        let options = usvg::Options {
            fontdb: Arc::clone(&self.db),
            font_family: self.family.clone(),
            languages: vec!["ja".into(), "en".into()],
            // Only the embedded photo (a data: URL) is an image; never read a file.
            image_href_resolver: usvg::ImageHrefResolver {
                resolve_data: usvg::ImageHrefResolver::default_data_resolver(),
                resolve_string: Box::new(|_, _| None),
            },
            ..usvg::Options::default()
        };
        usvg::Tree::from_str(svg, &options).map_err(|e| CardFaceError::Render(e.to_string()))
    }

    #[cfg(test)]
    pub(crate) fn tree_for_test(
        &self,
        face: &CardFace,
        side: Side,
    ) -> Result<usvg::Tree, CardFaceError> {
        self.tree(face, side)
    }
}

/// Pixel size (width, height) of a card PNG at `dpi`: the card's millimetres at that
/// resolution, rounded to whole pixels ([`crate::PNG_SIZE_300_DPI`] at 300 dpi).
pub fn png_size(dpi: f32) -> (u32, u32) {
    let px = |mm: f32| (mm / 25.4 * dpi).round() as u32;
    (px(CARD_WIDTH_MM), px(CARD_HEIGHT_MM))
}

/// One side of the card as a PNG image at `dpi` dots per inch ([`crate::PNG_DPI`] = 300 gives
/// [`crate::PNG_SIZE_300_DPI`]); outside the rounded corners is transparent.
pub fn render_png(
    face: &CardFace,
    side: Side,
    fonts: &Fonts,
    dpi: f32,
) -> Result<Vec<u8>, CardFaceError> {
    if !(1.0..=MAX_DPI).contains(&dpi) {
        return Err(CardFaceError::Dpi(dpi));
    }
    let tree = fonts.tree(face, side)?;
    let (width, height) = png_size(dpi);
    let mut pixmap = Pixmap::new(width, height).ok_or(CardFaceError::Dpi(dpi))?;
    let size = tree.size();
    let transform =
        Transform::from_scale(width as f32 / size.width(), height as f32 / size.height());
    resvg::render(&tree, transform, &mut pixmap.as_mut());
    pixmap
        .encode_png()
        .map_err(|e| CardFaceError::Render(e.to_string()))
}

/// Both sides of the card as a two-page PDF (front, then back), each page the size of the
/// card, with the text as real text (font subset embedded, Unicode mapping) so that it can be
/// searched, copied and extracted (`pdftotext`).
pub fn render_pdf(face: &CardFace, fonts: &Fonts) -> Result<Vec<u8>, CardFaceError> {
    let pages = [Side::Front, Side::Back]
        .into_iter()
        .map(|side| fonts.tree(face, side))
        .collect::<Result<Vec<_>, _>>()?;
    pdf_of(
        &pages,
        CARD_WIDTH_MM,
        CARD_HEIGHT_MM,
        &format!("医師資格証 {}", face.card_id),
    )
}

/// `pages` (each `width_mm` × `height_mm`) as one PDF with the text kept as text, titled `title`.
pub(crate) fn pdf_of(
    pages: &[usvg::Tree],
    width_mm: f32,
    height_mm: f32,
    title: &str,
) -> Result<Vec<u8>, CardFaceError> {
    let points = |mm: f32| mm / 25.4 * 72.0;
    let (w, h) = (points(width_mm), points(height_mm));
    let bad_size = || CardFaceError::Render("page size".into());
    let mut document = Document::new();
    for tree in pages {
        let mut page = document.start_page_with(PageSettings::from_wh(w, h).ok_or_else(bad_size)?);
        let mut surface = page.surface();
        surface
            .draw_svg(
                tree,
                Size::from_wh(w, h).ok_or_else(bad_size)?,
                SvgSettings::default(),
            )
            .ok_or_else(|| CardFaceError::Render("SVG to PDF".into()))?;
        surface.finish();
        page.finish();
    }
    document.set_metadata(
        Metadata::new()
            .title(title.to_owned())
            .language("ja".into())
            .creator("hpki-cardface".into()),
    );
    document
        .finish()
        .map_err(|e| CardFaceError::Render(format!("PDF: {e:?}")))
}
