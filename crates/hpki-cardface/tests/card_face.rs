//! Scenario: the card face of a fixed test record (the seed's 日医 太郎) rendered to PNG and PDF,
//! checked by size, by pixels and by the PDF's text layer as `pdftotext` extracts it; era
//! dates at the Showa/Heisei and Heisei/Reiwa boundaries; the example images in `docs/`.
//!
//! Needs `pdftotext` (Debian poppler-utils) and IPAex Gothic (Debian fonts-ipaexfont-gothic);
//! `scripts/test.sh` installs both. Missing either is a failure, not a skip.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use hpki_cardface::{
    CardFace, CardFaceError, CardHolder, Fonts, Issuer, PNG_DPI, PNG_SIZE_300_DPI, Photo, Side,
    find_system_cjk_font, png_size, render_pdf, render_png, render_svg,
};
use resvg::tiny_skia::Pixmap;
use time::Date;
use time::macros::date;

/// The font the example images in docs/ are rendered with.
const IPAEX_GOTHIC: &str = "/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf";
const INSTALL_HINT: &str =
    "scripts/test.sh installs it (Debian fonts-ipaexfont-gothic and poppler-utils)";

fn read_font(path: &Path) -> Fonts {
    let bytes = std::fs::read(path).unwrap_or_else(|e| {
        panic!(
            "cannot read the CJK font {}: {e}; {INSTALL_HINT}",
            path.display()
        )
    });
    Fonts::from_bytes(bytes).expect("usable CJK font")
}

/// The CJK font as a caller would find it.
fn fonts() -> &'static Fonts {
    static FONTS: OnceLock<Fonts> = OnceLock::new();
    FONTS.get_or_init(|| {
        let path = find_system_cjk_font().unwrap_or_else(|| {
            panic!(
                "no CJK font found (HPKI_CJK_FONT, IPAex Gothic, Noto Sans CJK JP); {INSTALL_HINT}"
            )
        });
        read_font(&path)
    })
}

/// IPAex Gothic itself, for the example images.
fn ipaex() -> &'static Fonts {
    static FONTS: OnceLock<Fonts> = OnceLock::new();
    FONTS.get_or_init(|| read_font(Path::new(IPAEX_GOTHIC)))
}

/// A stand-in photo: a neutral silhouette on a pale blue background, 300 × 400 pixels (3:4).
fn test_photo() -> Photo {
    let svg = r##"<svg xmlns="http://www.w3.org/2000/svg" width="300" height="400" viewBox="0 0 300 400">
<defs><linearGradient id="bg" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#dce9f5"/><stop offset="1" stop-color="#b9cfe4"/></linearGradient></defs>
<rect width="300" height="400" fill="url(#bg)"/>
<ellipse cx="150" cy="150" rx="62" ry="74" fill="#56677a"/>
<path d="M30,400 C30,290 80,250 150,250 C220,250 270,290 270,400 Z" fill="#3d4d60"/>
<path d="M118,252 L150,330 L182,252 Z" fill="#f4f6f8"/>
</svg>"##;
    let tree =
        resvg::usvg::Tree::from_str(svg, &resvg::usvg::Options::default()).expect("photo svg");
    let mut pixmap = Pixmap::new(300, 400).expect("pixmap");
    resvg::render(
        &tree,
        resvg::tiny_skia::Transform::identity(),
        &mut pixmap.as_mut(),
    );
    Photo::from_bytes(pixmap.encode_png().expect("png")).expect("photo")
}

/// The seed's card: 日医 太郎, born 1955-01-01, issued 2013-10-01, expiring 2018-09-30.
fn test_record() -> CardFace {
    CardFace {
        holder: CardHolder {
            name_kanji: "日医 太郎".into(),
            name_romaji: "Taro Nichii".into(),
            birth_date: date!(1955 - 01 - 01),
            member_id: Some("9999999999".into()),
            license_number: "TESTC00021".into(),
            photo: Some(test_photo()),
        },
        card_id: "JMAC31000001".into(),
        issued: date!(2013 - 10 - 01),
        expires: date!(2018 - 09 - 30),
        issuer: Issuer::jma(),
    }
}

/// The text layer of `pdf`, one string per page, as `pdftotext` extracts it.
fn pdftotext(pdf: &[u8]) -> Vec<String> {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("card.pdf");
    std::fs::write(&path, pdf).expect("write pdf");
    let out = Command::new("pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(&path)
        .arg("-")
        .output()
        .unwrap_or_else(|e| panic!("cannot run pdftotext: {e}; {INSTALL_HINT}"));
    assert!(
        out.status.success(),
        "pdftotext failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("UTF-8 text");
    text.split('\u{c}')
        .filter(|page| !page.trim().is_empty())
        .map(str::to_string)
        .collect()
}

/// `text` without any whitespace, to find sentences that the layout wrapped.
fn squeezed(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

fn png_header_size(png: &[u8]) -> (u32, u32) {
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
    assert_eq!(&png[12..16], b"IHDR", "first chunk is IHDR");
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    (be(&png[16..20]), be(&png[20..24]))
}

#[test]
fn png_has_the_card_size_and_is_drawn() {
    let face = test_record();
    for side in [Side::Front, Side::Back] {
        let png = render_png(&face, side, fonts(), PNG_DPI).expect("render png");
        assert_eq!(png_header_size(&png), PNG_SIZE_300_DPI, "{side:?}");
        assert_eq!(PNG_SIZE_300_DPI, (1011, 638));

        let pixmap = Pixmap::decode_png(&png).expect("decode png");
        let pixels = pixmap.pixels();
        let opaque = pixels.iter().filter(|p| p.alpha() == 255).count();
        // Everything but the rounded corners is card.
        assert!(
            opaque as f64 > 0.99 * pixels.len() as f64,
            "{side:?}: {opaque} opaque"
        );
        // Text and rules: a fair share of dark pixels, but far from all.
        let dark = pixels
            .iter()
            .filter(|p| {
                p.alpha() == 255
                    && u32::from(p.red()) + u32::from(p.green()) + u32::from(p.blue()) < 300
            })
            .count();
        let share = dark as f64 / pixels.len() as f64;
        assert!((0.02..0.5).contains(&share), "{side:?}: dark share {share}");
        // The corners are cut (ID-1 radius), so the very corner pixel is transparent.
        assert_eq!(pixels[0].alpha(), 0, "{side:?}: top-left corner");
    }
    // Other resolutions scale.
    let png = render_png(&face, Side::Front, fonts(), 150.0).expect("150 dpi");
    assert_eq!(png_header_size(&png), png_size(150.0));
    assert_eq!(png_size(150.0), (506, 319));
    assert!(matches!(
        render_png(&face, Side::Front, fonts(), 0.0),
        Err(CardFaceError::Dpi(_))
    ));
}

#[test]
fn pdf_text_layer_has_the_card() {
    let pdf = render_pdf(&test_record(), fonts()).expect("render pdf");
    assert!(pdf.starts_with(b"%PDF-"));
    let pages = pdftotext(&pdf);
    assert_eq!(pages.len(), 2, "front and back: {pages:?}");
    let (front, back) = (&pages[0], &pages[1]);
    for expected in [
        "医師資格証",
        "Medical Doctor Qualification Certificate",
        "公益社団法人日本医師会",
        "JAPAN MEDICAL ASSOCIATION",
        "氏名",
        "Name",
        "日医 太郎",
        "Taro Nichii",
        "生年月日",
        "Date of birth",
        "昭和30年01月01日",
        "01 JAN 1955",
        "医師会員ID番号",
        "JMA Membership ID No.",
        "9999999999",
        "医籍登録番号",
        "Medical License No.",
        "TESTC00021",
        "有効期限",
        "Date of expiry",
        "平成30年09月30日",
        "30 SEP 2018",
        "発行日",
        "Date of issue",
        "平成25年10月01日",
        "01 OCT 2013",
        "カードID",
        "JMAC31000001",
        "上記の者は、医師であることを証明する。",
        "We hereby certify that the person above mentioned is a Medical Doctor.",
    ] {
        assert!(
            front.contains(expected),
            "front lacks {expected:?}:\n{front}"
        );
    }
    assert!(!front.contains("注意事項"), "the notes are on the back");
    assert!(!front.contains("写真"), "a photo replaces the placeholder");

    let issuer = Issuer::jma();
    for expected in [
        "注意事項",
        "ICカードの有効期限:6年",
        "ICチップの中の情報(電子証明書)の有効期限:2年",
        "発行者：公益社団法人 日本医師会 電子認証センター",
        "Issuer: Japan Medical Association Certification Authority",
        "〒113-0021 東京都文京区本駒込 2-28-8 文京グリーンコート 17 階",
        "2-28-8 Honkomagome, Bunkyo-ku, Tokyo, 113-0021, Japan",
        "TEL 03-3942-7050(代表)",
        "TEL (+81) 3-3942-7050",
    ] {
        assert!(back.contains(expected), "back lacks {expected:?}:\n{back}");
    }
    // The six notes, verbatim (possibly wrapped onto several lines) and numbered in order.
    let back_squeezed = squeezed(back);
    let mut from = 0;
    for (i, note) in issuer.notes.iter().enumerate() {
        let numbered = format!("{}.{}", i + 1, squeezed(note));
        let at = back_squeezed[from..]
            .find(&numbered)
            .unwrap_or_else(|| panic!("back lacks note {numbered:?} in order:\n{back}"));
        from += at + numbered.len();
    }
    assert_eq!(issuer.notes.len(), 6);
}

fn record_born(birth: Date) -> CardFace {
    let mut face = test_record();
    face.holder.birth_date = birth;
    face.holder.photo = None;
    face
}

#[test]
fn era_dates_at_the_boundaries_in_the_pdf() {
    for (birth, wareki, western) in [
        (date!(1989 - 01 - 07), "昭和64年01月07日", "07 JAN 1989"),
        (date!(1989 - 01 - 08), "平成元年01月08日", "08 JAN 1989"),
        (date!(2019 - 04 - 30), "平成31年04月30日", "30 APR 2019"),
        (date!(2019 - 05 - 01), "令和元年05月01日", "01 MAY 2019"),
    ] {
        let pdf = render_pdf(&record_born(birth), fonts()).expect("render pdf");
        let pages = pdftotext(&pdf);
        // The birth date row: label, then the two forms of the date.
        let front = &pages[0];
        assert!(front.contains(wareki), "{birth}: no {wareki:?} in\n{front}");
        assert!(
            front.contains(western),
            "{birth}: no {western:?} in\n{front}"
        );
    }
}

#[test]
fn placeholder_without_photo() {
    let face = record_born(date!(1955 - 01 - 01));
    let svg = render_svg(&face, Side::Front).expect("svg");
    assert!(svg.contains("写真") && !svg.contains("<image"));
    let pages = pdftotext(&render_pdf(&face, fonts()).expect("pdf"));
    assert!(pages[0].contains("写真"));
}

#[test]
fn photo_is_on_the_card() {
    let face = test_record();
    let png = render_png(&face, Side::Front, fonts(), PNG_DPI).expect("png");
    let pixmap = Pixmap::decode_png(&png).expect("decode");
    // The centre of the face in the photo (photo box at 63.6..81.6 × 12..36 mm) is the
    // silhouette's dark head, not the placeholder's pale grey.
    let px = |mm: f32| (mm / 25.4 * PNG_DPI).round() as u32;
    let head = pixmap.pixel(px(72.6), px(21.0)).expect("pixel");
    assert!(
        u32::from(head.red()) + u32::from(head.green()) + u32::from(head.blue()) < 400,
        "{head:?}"
    );
    // A file that is not an image is refused at once.
    assert!(matches!(
        Photo::from_bytes(b"GIF89a not a photo".to_vec()),
        Err(CardFaceError::Photo)
    ));
    assert!(matches!(
        Photo::from_bytes(b"\x89PNG\r\n\x1a\ntruncated".to_vec()),
        Err(CardFaceError::Photo)
    ));
}

#[test]
fn records_the_card_cannot_carry_are_refused() {
    let mut face = test_record();
    face.holder.member_id = Some("12345".into());
    assert!(matches!(
        render_svg(&face, Side::Front),
        Err(CardFaceError::InvalidField {
            field: "member_id",
            ..
        })
    ));
    let mut face = test_record();
    face.expires = date!(2013 - 09 - 30);
    assert!(matches!(
        render_svg(&face, Side::Back),
        Err(CardFaceError::InvalidField {
            field: "expires",
            ..
        })
    ));
    let mut face = test_record();
    face.holder.birth_date = date!(1850 - 01 - 01);
    assert!(matches!(
        render_svg(&face, Side::Front),
        Err(CardFaceError::EraOutOfRange(_))
    ));
    // A character the font cannot draw is an error, not an empty box.
    let mut face = test_record();
    face.holder.name_kanji = "日医 太郎\u{1F600}".into();
    match render_png(&face, Side::Front, fonts(), PNG_DPI) {
        Err(CardFaceError::MissingGlyph { ch, .. }) => assert_eq!(ch, '\u{1F600}'),
        other => panic!("expected MissingGlyph, got {other:?}"),
    }
    // Non-members have no member ID: the row stays, empty.
    let mut face = test_record();
    face.holder.member_id = None;
    let svg = render_svg(&face, Side::Front).expect("svg");
    assert!(svg.contains("医師会員ID番号") && !svg.contains("9999999999"));
}

#[test]
fn user_text_is_escaped_in_the_svg() {
    let mut face = test_record();
    face.holder.name_romaji = "Taro <Nichii> & \"Co\"".into();
    let svg = render_svg(&face, Side::Front).expect("svg");
    assert!(svg.contains("Taro &lt;Nichii&gt; &amp; &quot;Co&quot;"));
    // Still a well-formed document that renders.
    render_png(&face, Side::Front, fonts(), 72.0).expect("renders");
}

fn docs_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs")
}

/// The example images in docs/ are what the code renders now (with IPAex Gothic, 300 dpi).
/// `HPKI_CARDFACE_UPDATE_DOCS=1 cargo test -p hpki-cardface --test card_face` rewrites them.
#[test]
fn docs_images_match_the_renderer() {
    let face = test_record();
    let update = std::env::var_os("HPKI_CARDFACE_UPDATE_DOCS").is_some_and(|v| v == "1");
    let rendered = [
        (
            "card-face-front.png",
            render_png(&face, Side::Front, ipaex(), PNG_DPI).expect("front"),
        ),
        (
            "card-face-back.png",
            render_png(&face, Side::Back, ipaex(), PNG_DPI).expect("back"),
        ),
        ("card-face.pdf", render_pdf(&face, ipaex()).expect("pdf")),
    ];
    for (name, bytes) in rendered {
        let path = docs_dir().join(name);
        if update {
            std::fs::write(&path, &bytes).expect("write docs image");
            continue;
        }
        let committed = std::fs::read(&path).unwrap_or_else(|e| {
            panic!(
                "{}: {e}; create it with HPKI_CARDFACE_UPDATE_DOCS=1",
                path.display()
            )
        });
        let same = if name.ends_with(".png") {
            // Compare pixels, not the PNG encoder's bytes.
            let a = Pixmap::decode_png(&committed).expect("decode committed");
            let b = Pixmap::decode_png(&bytes).expect("decode rendered");
            a.width() == b.width() && a.height() == b.height() && a.data() == b.data()
        } else {
            committed == bytes
        };
        assert!(
            same,
            "{} differs from what the renderer draws now; if the change is intended, run \
             HPKI_CARDFACE_UPDATE_DOCS=1 cargo test -p hpki-cardface --test card_face",
            path.display()
        );
    }
}
