//! The layout of both sides of the card, as SVG in millimetres.
//!
//! One SVG per side is the single source of the PNG and the PDF. Coordinates are millimetres
//! on an ID-1 card (85.60 × 53.98 mm), y downwards; text positions are baselines.

use std::fmt::Write as _;

use base64::Engine as _;

use crate::text::{Fitted, escape_xml, fit, fit_spaced, width_em, wrap};
use crate::{
    CARD_CORNER_MM, CARD_HEIGHT_MM, CARD_WIDTH_MM, CardFace, CardFaceError, PhotoKind, Side,
    wareki, western,
};

const W: f32 = CARD_WIDTH_MM;
const H: f32 = CARD_HEIGHT_MM;
/// Left and right margin.
const M: f32 = 4.0;

/// The font families asked for, best first; the renderers resolve `sans-serif` to the font
/// they were given.
pub(crate) const FONT_FAMILY: &str = "IPAexGothic, 'IPAexゴシック', 'Noto Sans CJK JP', sans-serif";

const NAVY: &str = "#123a66";
const INK: &str = "#111a24";
const LABEL: &str = "#2b3d52";
const LABEL_EN: &str = "#5d6e82";
const RULE: &str = "#c5d1de";

/// The certification sentence, in Japanese and English, as on the card.
pub const CERTIFICATION_JA: &str = "上記の者は、医師であることを証明する。";
/// The certification sentence in English.
pub const CERTIFICATION_EN: &str =
    "We hereby certify that the person above mentioned is a Medical Doctor.";
/// The card's title.
pub const TITLE_JA: &str = "医師資格証";
/// The card's title in English.
pub const TITLE_EN: &str = "Medical Doctor Qualification Certificate";

// Front layout.
const HEADER_H: f32 = 10.0;
const LABEL_X: f32 = M;
const VALUE_X: f32 = 21.2;
const PHOTO_W: f32 = 18.0;
const PHOTO_H: f32 = 24.0;
const PHOTO_X: f32 = W - M - PHOTO_W;
const PHOTO_Y: f32 = 12.0;
/// Right end of the rows beside the photo.
const ROW_END: f32 = PHOTO_X - 1.8;
const NAME_BOTTOM: f32 = 18.8;
const ROW_H: f32 = 5.0;
const FOOTER_RULE_Y: f32 = 45.0;

/// An SVG document being written, with the texts it prints (for the glyph check).
pub(crate) struct Svg {
    out: String,
    texts: Vec<String>,
}

#[derive(Clone, Copy)]
enum Anchor {
    Start,
    Middle,
    End,
}

impl Anchor {
    fn attr(self) -> &'static str {
        match self {
            Anchor::Start => "start",
            Anchor::Middle => "middle",
            Anchor::End => "end",
        }
    }
}

/// Formats a length in millimetres for the SVG (two decimals are 10 µm).
fn n(v: f32) -> String {
    let s = format!("{v:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.into() }
}

impl Svg {
    fn new() -> Self {
        let mut out = String::with_capacity(16 * 1024);
        // `write!` to a String cannot fail; the results are ignored throughout.
        let _ = write!(
            out,
            r#"<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="{w}mm" height="{h}mm" viewBox="0 0 {w} {h}" font-family="{FONT_FAMILY}">"#,
            w = n(W),
            h = n(H),
        );
        out.push('\n');
        Self {
            out,
            texts: Vec::new(),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn text(
        &mut self,
        id: &str,
        x: f32,
        y: f32,
        size: f32,
        anchor: Anchor,
        fill: &str,
        extra: &str,
        content: &str,
    ) {
        if content.trim().is_empty() {
            return;
        }
        let _ = writeln!(
            self.out,
            r#"<text id="{id}" x="{x}" y="{y}" font-size="{size}" text-anchor="{anchor}" fill="{fill}"{extra}>{content}</text>"#,
            x = n(x),
            y = n(y),
            size = n(size),
            anchor = anchor.attr(),
            content = escape_xml(content),
        );
        self.texts.push(content.to_string());
    }

    fn fitted(&mut self, id: &str, x: f32, y: f32, anchor: Anchor, fill: &str, f: &Fitted) {
        self.text(id, x, y, f.size, anchor, fill, "", &f.text);
    }

    fn rule(&mut self, x1: f32, x2: f32, y: f32, width: f32, color: &str) {
        let _ = writeln!(
            self.out,
            r#"<line x1="{}" y1="{y}" x2="{}" y2="{y}" stroke="{color}" stroke-width="{}"/>"#,
            n(x1),
            n(x2),
            n(width),
            y = n(y),
        );
    }

    fn finish(mut self) -> (String, Vec<String>) {
        self.out.push_str("</g>\n</svg>\n");
        (self.out, self.texts)
    }
}

/// The card shape, background and security-print waves, shared by both sides. Opens the
/// group clipped to the card that [`Svg::finish`] closes.
fn background(svg: &mut Svg, tint: &str) {
    let r = n(CARD_CORNER_MM);
    let _ = writeln!(
        svg.out,
        r##"<defs>
<clipPath id="card"><rect width="{w}" height="{h}" rx="{r}" ry="{r}"/></clipPath>
<linearGradient id="paper" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="#ffffff"/><stop offset="1" stop-color="{tint}"/></linearGradient>
<linearGradient id="band" x1="0" y1="0" x2="1" y2="0"><stop offset="0" stop-color="#0f3460"/><stop offset="1" stop-color="#1d5b93"/></linearGradient>
</defs>
<g clip-path="url(#card)">
<rect width="{w}" height="{h}" fill="url(#paper)"/>"##,
        w = n(W),
        h = n(H),
    );
    // Guilloche-like waves: thin, pale, behind everything.
    let mut d = String::new();
    for i in 0..16 {
        let y0 = 8.0 + i as f32 * 2.9;
        let phase = i as f32 * 0.7;
        let _ = write!(d, "M{},{}", n(-1.0), n(y0 + 1.1 * phase.sin()));
        let mut x = -1.0f32;
        while x < W + 1.0 {
            x += 0.8;
            let y = y0 + 1.1 * (x / 13.0 * std::f32::consts::TAU + phase).sin();
            let _ = write!(d, " L{},{}", n(x), n(y));
        }
    }
    let _ = writeln!(
        svg.out,
        r##"<path d="{d}" fill="none" stroke="#c9d9ea" stroke-width="0.07" opacity="0.8"/>"##
    );
}

fn border(svg: &mut Svg) {
    let r = n(CARD_CORNER_MM);
    let _ = writeln!(
        svg.out,
        r##"<rect x="0.1" y="0.1" width="{w}" height="{h}" rx="{r}" ry="{r}" fill="none" stroke="#aebccb" stroke-width="0.2"/>"##,
        w = n(W - 0.2),
        h = n(H - 0.2),
    );
}

/// Checks what the card cannot print sensibly.
fn validate(face: &CardFace) -> Result<(), CardFaceError> {
    let invalid = |field, reason: &str| CardFaceError::InvalidField {
        field,
        reason: reason.into(),
    };
    let holder = &face.holder;
    if holder.name_kanji.trim().is_empty() {
        return Err(invalid("name_kanji", "empty"));
    }
    if holder.name_romaji.trim().is_empty() {
        return Err(invalid("name_romaji", "empty"));
    }
    if let Some(id) = &holder.member_id
        && (id.len() != 10 || !id.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(invalid("member_id", "a JMA member ID is 10 digits"));
    }
    if holder.license_number.trim().is_empty() {
        return Err(invalid("license_number", "empty"));
    }
    if face.card_id.is_empty() || !face.card_id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(invalid("card_id", "must be ASCII letters and digits"));
    }
    if face.expires < face.issued {
        return Err(invalid("expires", "before the date of issue"));
    }
    let issuer = &face.issuer;
    if issuer.address_lines.len() > 3 || issuer.phone_lines.len() > 3 {
        return Err(invalid("issuer", "at most 3 address and 3 phone lines"));
    }
    if issuer.notes.len() > 9 {
        return Err(invalid("notes", "at most 9 notes"));
    }
    Ok(())
}

/// The SVG of one side of the card (millimetre units, ID-1 size).
///
/// Needs no font: the layout uses conservative width estimates (see [`crate::text`]), and the
/// SVG names IPAex Gothic, Noto Sans CJK JP, then `sans-serif`. Fails when a date has no 和暦
/// or a field cannot be printed (member ID not 10 digits, card ID not alphanumeric, expiry
/// before issue, empty name or licence number, too many notes or address lines).
pub fn render_svg(face: &CardFace, side: Side) -> Result<String, CardFaceError> {
    build(face, side).map(|(svg, _)| svg)
}

/// The SVG of one side and every text it prints.
pub(crate) fn build(face: &CardFace, side: Side) -> Result<(String, Vec<String>), CardFaceError> {
    validate(face)?;
    let mut svg = Svg::new();
    match side {
        Side::Front => front(face, &mut svg)?,
        Side::Back => back(face, &mut svg)?,
    }
    border(&mut svg);
    Ok(svg.finish())
}

/// A row of the front: Japanese label over English label, and their values.
struct Row<'a> {
    id: &'a str,
    ja: &'a str,
    en: &'a str,
}

fn labels(svg: &mut Svg, row: &Row, ja_y: f32, en_y: f32) {
    let max = VALUE_X - LABEL_X - 0.8;
    let ja = fit(row.ja, 1.75, max, 0.7);
    let en = fit(row.en, 1.25, max, 0.7);
    svg.fitted(
        &format!("{}-label", row.id),
        LABEL_X,
        ja_y,
        Anchor::Start,
        LABEL,
        &ja,
    );
    svg.fitted(
        &format!("{}-label-en", row.id),
        LABEL_X,
        en_y,
        Anchor::Start,
        LABEL_EN,
        &en,
    );
}

fn date_row(svg: &mut Svg, row: &Row, top: f32, date: time::Date) -> Result<(), CardFaceError> {
    labels(svg, row, top + ROW_H - 2.7, top + ROW_H - 0.8);
    let max = ROW_END - VALUE_X;
    let ja = fit(&wareki(date)?, 2.15, max, 0.7);
    let en = fit(&western(date), 1.7, max, 0.7);
    svg.fitted(
        &format!("{}-wareki", row.id),
        VALUE_X,
        top + ROW_H - 2.7,
        Anchor::Start,
        INK,
        &ja,
    );
    svg.fitted(
        &format!("{}-western", row.id),
        VALUE_X,
        top + ROW_H - 0.8,
        Anchor::Start,
        INK,
        &en,
    );
    Ok(())
}

fn value_row(svg: &mut Svg, row: &Row, top: f32, value: &str) {
    labels(svg, row, top + ROW_H - 2.7, top + ROW_H - 0.8);
    let v = fit_spaced(value, 2.3, ROW_END - VALUE_X, 0.6, 0.12);
    svg.text(
        &format!("{}-value", row.id),
        VALUE_X,
        top + ROW_H / 2.0 + 0.95,
        v.size,
        Anchor::Start,
        INK,
        r#" letter-spacing="0.12""#,
        &v.text,
    );
}

fn front(face: &CardFace, svg: &mut Svg) -> Result<(), CardFaceError> {
    background(svg, "#e6eef7");
    let holder = &face.holder;
    let issuer = &face.issuer;

    // Header band: title left, organisation right.
    let _ = writeln!(
        svg.out,
        r##"<rect width="{w}" height="{h}" fill="url(#band)"/>
<rect y="{h}" width="{w}" height="0.45" fill="#c8a043"/>"##,
        w = n(W),
        h = n(HEADER_H),
    );
    svg.text(
        "title",
        M,
        6.1,
        4.3,
        Anchor::Start,
        "#ffffff",
        r#" letter-spacing="0.45""#,
        TITLE_JA,
    );
    let sub = fit(TITLE_EN, 1.45, 36.0, 0.8);
    svg.fitted("title-en", M, 8.65, Anchor::Start, "#d5e3f2", &sub);
    let org_ja = fit(&issuer.organization_ja, 2.25, 38.0, 0.6);
    svg.fitted("org", W - M, 5.6, Anchor::End, "#ffffff", &org_ja);
    let org_en = fit_spaced(&issuer.organization_en, 1.4, 38.0, 0.6, 0.1);
    svg.text(
        "org-en",
        W - M,
        8.4,
        org_en.size,
        Anchor::End,
        "#d5e3f2",
        r#" letter-spacing="0.1""#,
        &org_en.text,
    );

    // Name: kanji large, romaji under it.
    let name_row = Row {
        id: "name",
        ja: "氏名",
        en: "Name",
    };
    labels(svg, &name_row, NAME_BOTTOM - 3.35, NAME_BOTTOM - 0.8);
    let max = ROW_END - VALUE_X;
    let kanji = fit_spaced(&holder.name_kanji, 3.5, max, 0.55, 0.2);
    svg.text(
        "name-kanji",
        VALUE_X,
        NAME_BOTTOM - 3.35,
        kanji.size,
        Anchor::Start,
        INK,
        r#" letter-spacing="0.2""#,
        &kanji.text,
    );
    let romaji = fit(&holder.name_romaji, 1.9, max, 0.65);
    svg.fitted(
        "name-romaji",
        VALUE_X,
        NAME_BOTTOM - 0.8,
        Anchor::Start,
        INK,
        &romaji,
    );
    svg.rule(LABEL_X, ROW_END, NAME_BOTTOM, 0.1, RULE);

    let mut top = NAME_BOTTOM;
    date_row(
        svg,
        &Row {
            id: "birth",
            ja: "生年月日",
            en: "Date of birth",
        },
        top,
        holder.birth_date,
    )?;
    top += ROW_H;
    svg.rule(LABEL_X, ROW_END, top, 0.1, RULE);
    value_row(
        svg,
        &Row {
            id: "member",
            ja: "医師会員ID番号",
            en: "JMA Membership ID No.",
        },
        top,
        holder.member_id.as_deref().unwrap_or(""),
    );
    top += ROW_H;
    svg.rule(LABEL_X, ROW_END, top, 0.1, RULE);
    value_row(
        svg,
        &Row {
            id: "license",
            ja: "医籍登録番号",
            en: "Medical License No.",
        },
        top,
        &holder.license_number,
    );
    top += ROW_H;
    svg.rule(LABEL_X, ROW_END, top, 0.1, RULE);
    date_row(
        svg,
        &Row {
            id: "expiry",
            ja: "有効期限",
            en: "Date of expiry",
        },
        top,
        face.expires,
    )?;
    top += ROW_H;
    svg.rule(LABEL_X, ROW_END, top, 0.1, RULE);
    date_row(
        svg,
        &Row {
            id: "issue",
            ja: "発行日",
            en: "Date of issue",
        },
        top,
        face.issued,
    )?;

    photo(face, svg);

    // Card ID under the photo.
    let cx = PHOTO_X + PHOTO_W / 2.0;
    svg.text(
        "card-id-label",
        cx,
        PHOTO_Y + PHOTO_H + 2.6,
        1.3,
        Anchor::Middle,
        LABEL,
        "",
        "カードID",
    );
    let id = fit_spaced(&face.card_id, 1.95, PHOTO_W + 2.6, 0.6, 0.08);
    svg.text(
        "card-id",
        cx,
        PHOTO_Y + PHOTO_H + 5.2,
        id.size,
        Anchor::Middle,
        INK,
        r#" letter-spacing="0.08""#,
        &id.text,
    );

    // Certification sentence.
    svg.rule(M, W - M, FOOTER_RULE_Y, 0.15, NAVY);
    let ja = fit(CERTIFICATION_JA, 1.95, W - 2.0 * M, 0.8);
    svg.fitted(
        "certification",
        W / 2.0,
        FOOTER_RULE_Y + 3.35,
        Anchor::Middle,
        INK,
        &ja,
    );
    let en = fit(CERTIFICATION_EN, 1.5, W - 2.0 * M, 0.8);
    svg.text(
        "certification-en",
        W / 2.0,
        FOOTER_RULE_Y + 5.85,
        en.size,
        Anchor::Middle,
        LABEL,
        "",
        &en.text,
    );
    Ok(())
}

/// The photo, cropped to 3:4 around its centre, or a neutral placeholder.
fn photo(face: &CardFace, svg: &mut Svg) {
    let (x, y, w, h) = (n(PHOTO_X), n(PHOTO_Y), n(PHOTO_W), n(PHOTO_H));
    match &face.holder.photo {
        Some(photo) => {
            let mime = match photo.kind() {
                PhotoKind::Jpeg => "image/jpeg",
                PhotoKind::Png => "image/png",
            };
            let data = base64::engine::general_purpose::STANDARD.encode(photo.bytes());
            let _ = writeln!(
                svg.out,
                r#"<clipPath id="photo-clip"><rect x="{x}" y="{y}" width="{w}" height="{h}"/></clipPath>
<image id="photo" x="{x}" y="{y}" width="{w}" height="{h}" preserveAspectRatio="xMidYMid slice" clip-path="url(#photo-clip)" xlink:href="data:{mime};base64,{data}"/>"#
            );
        }
        None => {
            let cx = PHOTO_X + PHOTO_W / 2.0;
            let _ = writeln!(
                svg.out,
                r##"<rect id="photo-placeholder" x="{x}" y="{y}" width="{w}" height="{h}" fill="#e8edf3"/>
<circle cx="{cx}" cy="{hy}" r="3.6" fill="#cfd8e2"/>
<path d="M{l},{b} C{l},{s1} {cl},{s2} {cx},{s2} C{cr},{s2} {r},{s1} {r},{b} Z" fill="#cfd8e2"/>"##,
                cx = n(cx),
                hy = n(PHOTO_Y + 8.6),
                l = n(PHOTO_X + 2.4),
                r = n(PHOTO_X + PHOTO_W - 2.4),
                cl = n(PHOTO_X + 4.0),
                cr = n(PHOTO_X + PHOTO_W - 4.0),
                b = n(PHOTO_Y + PHOTO_H),
                s1 = n(PHOTO_Y + 15.8),
                s2 = n(PHOTO_Y + 13.4),
            );
            svg.text(
                "photo-label",
                cx,
                PHOTO_Y + PHOTO_H - 3.2,
                2.1,
                Anchor::Middle,
                "#6c7c8f",
                "",
                "写真",
            );
        }
    }
    let _ = writeln!(
        svg.out,
        r##"<rect x="{x}" y="{y}" width="{w}" height="{h}" fill="none" stroke="#8595a8" stroke-width="0.15"/>"##
    );
}

// Back layout.
const BACK_BOX_Y: f32 = 3.4;
const BACK_BOX_H: f32 = 6.0;
const NOTES_HEADING_Y: f32 = 13.2;
const NOTES_TOP: f32 = 16.5;
const NOTE_SIZE: f32 = 1.6;
const NOTE_INDENT: f32 = 3.0;
const ISSUER_LINE_H: f32 = 2.25;
const BACK_BOTTOM: f32 = H - 3.3;

fn back(face: &CardFace, svg: &mut Svg) -> Result<(), CardFaceError> {
    background(svg, "#eef3f8");
    let issuer = &face.issuer;

    // Validity of the card and of the certificates.
    let _ = writeln!(
        svg.out,
        r##"<rect x="{x}" y="{y}" width="{w}" height="{h}" rx="0.8" fill="#e9f0f8" stroke="#9fb3c9" stroke-width="0.12"/>"##,
        x = n(M),
        y = n(BACK_BOX_Y),
        w = n(W - 2.0 * M),
        h = n(BACK_BOX_H),
    );
    let max = W - 2.0 * M - 3.2;
    let card = fit(
        &format!("◆ ICカードの有効期限:{}年", issuer.card_validity_years),
        1.6,
        max,
        0.7,
    );
    svg.fitted(
        "validity-card",
        M + 1.6,
        BACK_BOX_Y + 2.45,
        Anchor::Start,
        INK,
        &card,
    );
    let cert = fit(
        &format!(
            "◆ ICチップの中の情報(電子証明書)の有効期限:{}年",
            issuer.certificate_validity_years
        ),
        1.6,
        max,
        0.7,
    );
    svg.fitted(
        "validity-certificate",
        M + 1.6,
        BACK_BOX_Y + 4.75,
        Anchor::Start,
        INK,
        &cert,
    );

    // Issuer block, from the bottom up.
    let side_lines = issuer.address_lines.len().max(issuer.phone_lines.len());
    let issuer_lines = 2 + side_lines;
    let issuer_top = BACK_BOTTOM - ISSUER_LINE_H * (issuer_lines as f32 - 1.0) - 2.3;
    svg.rule(M, W - M, issuer_top, 0.12, "#9fb3c9");
    let mut y = issuer_top + 2.3;
    let full = W - 2.0 * M;
    let name_ja = fit(&format!("発行者：{}", issuer.name_ja), 1.55, full, 0.6);
    svg.fitted("issuer", M, y, Anchor::Start, INK, &name_ja);
    y += ISSUER_LINE_H;
    let name_en = fit(&format!("Issuer: {}", issuer.name_en), 1.4, full, 0.6);
    svg.fitted("issuer-en", M, y, Anchor::Start, LABEL, &name_en);
    for i in 0..side_lines {
        y += ISSUER_LINE_H;
        let phone = issuer
            .phone_lines
            .get(i)
            .map(|p| fit(p, 1.4, full / 2.5, 0.6));
        let phone_w = phone.as_ref().map_or(0.0, |p| width_em(&p.text) * p.size);
        if let Some(address) = issuer.address_lines.get(i) {
            let a = fit(address, 1.4, full - phone_w - 2.0, 0.6);
            svg.fitted(&format!("address-{i}"), M, y, Anchor::Start, LABEL, &a);
        }
        if let Some(p) = phone {
            svg.fitted(&format!("phone-{i}"), W - M, y, Anchor::End, LABEL, &p);
        }
    }

    // Notes, in the space between heading and issuer block; smaller type if there are many.
    svg.text(
        "notes-heading",
        M,
        NOTES_HEADING_Y,
        2.2,
        Anchor::Start,
        NAVY,
        r#" letter-spacing="0.3""#,
        "注意事項",
    );
    svg.rule(M, W - M, NOTES_HEADING_Y + 0.9, 0.12, NAVY);
    let available = issuer_top - 1.2 - NOTES_TOP;
    let text_x = M + NOTE_INDENT;
    let mut size = NOTE_SIZE;
    let (lines, pitch) = loop {
        // A closing punctuation mark may hang one em beyond this (ぶら下げ), into the margin.
        let max_em = (W - M - text_x) / size;
        let lines: Vec<Vec<String>> = issuer.notes.iter().map(|t| wrap(t, max_em)).collect();
        let pitch = size * 1.62;
        let count: usize = lines.iter().map(Vec::len).sum();
        let height = pitch * (count.saturating_sub(1)) as f32
            + 0.3 * issuer.notes.len().saturating_sub(1) as f32;
        if height <= available {
            break (lines, pitch);
        }
        size -= 0.05;
        if size < 1.1 {
            return Err(CardFaceError::InvalidField {
                field: "notes",
                reason: "too long to fit on the back of the card".into(),
            });
        }
    };
    let mut y = NOTES_TOP;
    for (i, note) in lines.iter().enumerate() {
        svg.text(
            &format!("note-{}-number", i + 1),
            M + 0.3,
            y,
            size,
            Anchor::Start,
            NAVY,
            "",
            &format!("{}.", i + 1),
        );
        for (j, line) in note.iter().enumerate() {
            svg.text(
                &format!("note-{}-{}", i + 1, j + 1),
                text_x,
                y,
                size,
                Anchor::Start,
                INK,
                "",
                line,
            );
            y += pitch;
        }
        y += 0.3;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CardHolder, Fonts, Issuer, find_system_cjk_font};
    use resvg::usvg::{Node, Tree};
    use time::macros::date;

    fn fonts() -> Fonts {
        let path = find_system_cjk_font().unwrap_or_else(|| {
            panic!("no CJK font: scripts/test.sh installs Debian fonts-ipaexfont-gothic")
        });
        let bytes = std::fs::read(&path).expect("read font");
        Fonts::from_bytes(bytes).expect("font")
    }

    fn face(kanji: &str, romaji: &str) -> CardFace {
        CardFace {
            holder: CardHolder {
                name_kanji: kanji.into(),
                name_romaji: romaji.into(),
                birth_date: date!(1955 - 01 - 01),
                member_id: Some("9999999999".into()),
                license_number: "TESTC00021".into(),
                photo: None,
            },
            card_id: "JMAC31000001".into(),
            issued: date!(2013 - 10 - 01),
            expires: date!(2018 - 09 - 30),
            issuer: Issuer::jma(),
        }
    }

    /// A text of the rendered card: id, advance box and ink box, in millimetres
    /// (left, top, right, bottom).
    struct Placed {
        id: String,
        advance: [f32; 4],
        ink: [f32; 4],
    }

    fn texts(tree: &Tree) -> Vec<Placed> {
        let mm = W / tree.size().width();
        let mut out = Vec::new();
        fn walk(group: &resvg::usvg::Group, mm: f32, out: &mut Vec<Placed>) {
            for node in group.children() {
                match node {
                    Node::Group(g) => walk(g, mm, out),
                    Node::Text(t) => {
                        let r = |b: resvg::usvg::Rect| {
                            [b.left() * mm, b.top() * mm, b.right() * mm, b.bottom() * mm]
                        };
                        out.push(Placed {
                            id: t.id().to_string(),
                            advance: r(t.abs_bounding_box()),
                            ink: r(t.abs_stroke_bounding_box()),
                        });
                    }
                    _ => {}
                }
            }
        }
        walk(tree.root(), mm, &mut out);
        out
    }

    /// No text leaves the card's printable area, crosses into the photo, or touches another.
    fn assert_clean(face: &CardFace) {
        let fonts = fonts();
        for side in [Side::Front, Side::Back] {
            let tree = fonts.tree_for_test(face, side).expect("tree");
            let placed = texts(&tree);
            assert!(placed.len() > 10, "{side:?}: texts drawn");
            for p in &placed {
                let [l, t, r, b] = p.advance;
                assert!(
                    l >= 1.5 && t >= 1.0 && r <= W - 1.5 && b <= H - 1.0,
                    "{side:?}: {} outside the card: {:?}",
                    p.id,
                    p.advance
                );
                let beside_photo = p.ink[1] < PHOTO_Y + PHOTO_H && p.ink[3] > PHOTO_Y;
                if side == Side::Front && beside_photo && l < PHOTO_X {
                    assert!(r <= PHOTO_X - 0.5, "{} runs into the photo: {r}", p.id);
                }
            }
            for (i, a) in placed.iter().enumerate() {
                for b in &placed[i + 1..] {
                    let overlap = a.ink[0] < b.ink[2] - 0.05
                        && b.ink[0] < a.ink[2] - 0.05
                        && a.ink[1] < b.ink[3] - 0.05
                        && b.ink[1] < a.ink[3] - 0.05;
                    assert!(
                        !overlap,
                        "{side:?}: {} {:?} overlaps {} {:?}",
                        a.id, a.ink, b.id, b.ink
                    );
                }
            }
        }
    }

    fn text_of<'a>(svg: &'a str, id: &str) -> (&'a str, f32) {
        let start = svg.find(&format!(r#"id="{id}""#)).expect("id");
        let element = &svg[start..];
        let size_at = element.find("font-size=\"").expect("size") + 11;
        let size: f32 = element[size_at..]
            .split('"')
            .next()
            .and_then(|s| s.parse().ok())
            .expect("size value");
        let content = element[element.find('>').expect(">") + 1..]
            .split("</text>")
            .next()
            .expect("content");
        (content, size)
    }

    #[test]
    fn the_seed_record_is_laid_out_cleanly() {
        assert_clean(&face("日医 太郎", "Taro Nichii"));
    }

    #[test]
    fn long_names_shrink_then_are_cut() {
        // Long enough to shrink.
        let long = face(
            "勅使河原 左衛門三郎之助右衛門",
            "Saemonsaburonosukeuemon Teshigawara",
        );
        assert_clean(&long);
        let svg = render_svg(&long, Side::Front).expect("svg");
        let (kanji, size) = text_of(&svg, "name-kanji");
        assert_eq!(kanji, "勅使河原 左衛門三郎之助右衛門");
        assert!((3.5 * 0.55..3.5).contains(&size), "{size}");
        let (romaji, _) = text_of(&svg, "name-romaji");
        assert_eq!(romaji, "Saemonsaburonosukeuemon Teshigawara");

        // Too long for the smallest size: cut with an ellipsis, still inside its row.
        let very_long = face(
            "寿限無寿限無五劫の擦り切れ海砂利水魚の水行末雲来末風来末食う寝る処に住む処",
            "WWWWWWWWWW MMMMMMMMMM WWWWWWWWWW MMMMMMMMMM WWWWWWWWWW",
        );
        assert_clean(&very_long);
        let svg = render_svg(&very_long, Side::Front).expect("svg");
        let (kanji, size) = text_of(&svg, "name-kanji");
        assert!(
            kanji.starts_with("寿限無寿限無") && kanji.ends_with('…'),
            "{kanji}"
        );
        assert!((size - 3.5 * 0.55).abs() < 1e-3, "{size}");
        let (romaji, _) = text_of(&svg, "name-romaji");
        assert!(
            romaji.starts_with("WWWW") && romaji.ends_with('…'),
            "{romaji}"
        );
    }

    #[test]
    fn long_fields_and_many_notes_stay_inside() {
        let mut f = face("日医 太郎", "Taro Nichii");
        f.holder.license_number = "TESTC0002100000000000000000000000000".into();
        f.card_id = "JMACWWWWWWWWWWWWWWWWWWWW".into();
        f.issuer.address_lines[0] =
            "〒113-0021 東京都文京区本駒込 2-28-8 文京グリーンコート 17 階 日本医師会館内 電子認証センター受付窓口"
                .into();
        f.issuer.notes.push(
            "このカードは日本医師会の財産です。不要になったカードは発行者に返却してください。"
                .into(),
        );
        f.issuer.notes.push(f.issuer.notes[3].clone());
        assert_clean(&f);
    }

    #[test]
    fn validity_years_come_from_the_issuer() {
        let mut f = face("日医 太郎", "Taro Nichii");
        f.issuer.card_validity_years = 5;
        f.issuer.certificate_validity_years = 3;
        let svg = render_svg(&f, Side::Back).expect("svg");
        assert!(svg.contains("ICカードの有効期限:5年"));
        assert!(svg.contains("ICチップの中の情報(電子証明書)の有効期限:3年"));
    }
}
