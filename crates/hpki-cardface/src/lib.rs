//! The face of the 医師資格証 (Medical Doctor Qualification Certificate), the IC card the Japan
//! Medical Association issues to doctors: front and back rendered as SVG, PNG and PDF; and, in
//! the same font and the same way, the yearly 学習単位取得証 of the 日医生涯教育制度
//! ([`units_certificate`], an A4 PDF).
//!
//! The layout and wording follow the card of the JMA certification centre: on the front (表)
//! the title 医師資格証 / Medical Doctor Qualification Certificate, the issuer (JAPAN MEDICAL
//! ASSOCIATION / 公益社団法人日本医師会), rows with a Japanese and an English label — 氏名 Name
//! (kanji and romaji), 生年月日 Date of birth, 医師会員ID番号 JMA Membership ID No., 医籍登録番号
//! Medical License No., 有効期限 Date of expiry, 発行日 Date of issue — each date in 和暦
//! (`昭和30年01月01日`, see [`wareki`]) and western form (`01 JAN 1955`, see [`western`]), the
//! photo with the カードID under it, and the certification sentence 上記の者は、医師であることを
//! 証明する。 / We hereby certify that the person above mentioned is a Medical Doctor. On the back
//! (裏): the validity of the card and of its certificates, the numbered 注意事項, and the issuer's
//! name, address and telephone ([`Issuer`]).
//!
//! Rendering is pure: no file or network access. [`render_svg`] needs nothing but the record;
//! [`render_png`] and [`render_pdf`] also need a font with Japanese glyphs ([`Fonts`], built from
//! the font file's bytes). The PDF has a real text layer (the font embedded as a subset, with a
//! Unicode map), so `pdftotext` or a screen reader reads the card; the PNG is for printing
//! previews and web pages. Everything is drawn from one SVG per side, so the three agree.
//!
//! [`find_system_cjk_font`] is the one function that looks at the file system: it finds IPAex
//! Gothic (Debian `fonts-ipaexfont-gothic`, IPA Font License, which allows embedding and
//! redistribution) or Noto Sans CJK JP. `HPKI_CJK_FONT` overrides it.
//!
//! Long text never overflows its box: a name too wide for its row is set smaller, down to a
//! minimum size, and only then cut with `…` (the full name stays in the certificate and the
//! record; see [`text::fit`]). A character the font cannot draw is an error
//! ([`CardFaceError::MissingGlyph`]), never an empty box on a card.
//!
//! The example images `docs/card-face-front.png`, `docs/card-face-back.png` and
//! `docs/card-face.pdf` are the fixed test record rendered with IPAex Gothic at 300 dpi; a test
//! (`tests/card_face.rs`) checks that they are what the code renders now, and rewrites them when
//! run with `HPKI_CARDFACE_UPDATE_DOCS=1`.
//!
//! ```no_run
//! use hpki_cardface::{CardFace, CardHolder, Fonts, Issuer, Side, find_system_cjk_font};
//! use time::macros::date;
//!
//! let face = CardFace {
//!     holder: CardHolder {
//!         name_kanji: "日医 太郎".into(),
//!         name_romaji: "Taro Nichii".into(),
//!         birth_date: date!(1955 - 01 - 01),
//!         member_id: Some("9999999999".into()),
//!         license_number: "TESTC00021".into(),
//!         photo: None,
//!     },
//!     card_id: "JMAC61100001".into(),
//!     issued: date!(2013 - 10 - 01),
//!     expires: date!(2018 - 09 - 30),
//!     issuer: Issuer::jma(),
//! };
//! let font = std::fs::read(find_system_cjk_font().expect("a CJK font"))?;
//! let fonts = Fonts::from_bytes(font)?;
//! let png = hpki_cardface::render_png(&face, Side::Front, &fonts, hpki_cardface::PNG_DPI)?;
//! let pdf = hpki_cardface::render_pdf(&face, &fonts)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]

mod layout;
mod render;
pub mod text;
pub mod units_certificate;
mod wareki;

use std::path::{Path, PathBuf};

use hpki_text::{Localized, Text};
pub use layout::{CERTIFICATION_EN, CERTIFICATION_JA, TITLE_EN, TITLE_JA, render_svg};
pub use render::{Fonts, MAX_DPI, png_size, render_pdf, render_png};
pub use units_certificate::{UnitsCertificate, render_units_certificate_pdf};
pub use wareki::{wareki, western};

/// Width of the card, ISO/IEC 7810 ID-1, in millimetres.
pub const CARD_WIDTH_MM: f32 = 85.60;
/// Height of the card, ISO/IEC 7810 ID-1, in millimetres.
pub const CARD_HEIGHT_MM: f32 = 53.98;
/// Corner radius of the card, ISO/IEC 7810 ID-1, in millimetres.
pub const CARD_CORNER_MM: f32 = 3.18;
/// The resolution of card printers and of the example images, in dots per inch.
pub const PNG_DPI: f32 = 300.0;
/// Size in pixels (width, height) of a PNG at [`PNG_DPI`]: 85.60 × 53.98 mm at 300 dpi,
/// rounded to whole pixels.
pub const PNG_SIZE_300_DPI: (u32, u32) = (1011, 638);

/// Everything that can go wrong when rendering a card face.
#[derive(Debug, thiserror::Error)]
pub enum CardFaceError {
    /// The date cannot be written in 和暦 (before 1873, or an era this crate does not know).
    #[error("{0} cannot be written in the Japanese calendar")]
    EraOutOfRange(time::Date),
    /// A field of the record is not what the card can carry.
    #[error("invalid {field}: {reason}")]
    InvalidField {
        /// Which field.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The photo is not a JPEG or PNG image whose size can be read.
    #[error("the photo is not a readable JPEG or PNG image")]
    Photo,
    /// The font bytes are not a usable font.
    #[error("unusable font: {0}")]
    Font(String),
    /// The font has no glyph for a character of the card.
    #[error("the font has no glyph for {ch:?} (U+{code:04X}) in {text:?}", code = u32::from(*ch))]
    MissingGlyph {
        /// The character.
        ch: char,
        /// The text it is in.
        text: String,
    },
    /// The requested resolution is not between 1 and [`MAX_DPI`] dpi.
    #[error("resolution {0} dpi out of range")]
    Dpi(f32),
    /// The SVG could not be turned into an image or PDF (a bug, reported with its cause).
    #[error("rendering failed: {0}")]
    Render(String),
}

impl Localized for CardFaceError {
    fn text(&self) -> Text {
        match self {
            CardFaceError::EraOutOfRange(f0) => Text::new(
                format!("{f0} は和暦で表せません"),
                format!("{f0} cannot be written in the Japanese calendar"),
            ),
            CardFaceError::InvalidField { field, reason } => Text::new(
                format!("券面の項目 {field} に記載できない値です（{reason}）"),
                format!("invalid {field}: {reason}"),
            ),
            CardFaceError::Photo => Text::new(
                "写真がJPEGまたはPNG画像として読めません",
                "the photo is not a readable JPEG or PNG image",
            ),
            CardFaceError::Font(f0) => Text::new(
                format!("フォントを使用できません（{f0}）"),
                format!("unusable font: {f0}"),
            ),
            CardFaceError::MissingGlyph { ch, text } => Text::new(
                format!(
                    "フォントに文字 {ch:?}（U+{:04X}）がありません（{text:?}）",
                    u32::from(*ch)
                ),
                format!(
                    "the font has no glyph for {ch:?} (U+{code:04X}) in {text:?}",
                    code = u32::from(*ch)
                ),
            ),
            CardFaceError::Dpi(f0) => Text::new(
                format!("解像度 {f0} dpi は範囲外です（1〜{MAX_DPI} dpi）"),
                format!("resolution {f0} dpi out of range"),
            ),
            CardFaceError::Render(f0) => Text::new(
                format!("描画に失敗しました（{f0}）"),
                format!("rendering failed: {f0}"),
            ),
        }
    }
}

/// Which side of the card.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// 表: title, holder, dates, photo, certification sentence.
    Front,
    /// 裏: validity, notes (注意事項), issuer.
    Back,
}

/// The format of a [`Photo`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhotoKind {
    /// JPEG (JFIF/Exif), what cameras and application forms give.
    Jpeg,
    /// PNG.
    Png,
}

/// The oldest a card holder may be, in years: older birth dates are typing errors (1872 for
/// 1972), refused at reception rather than printed on a card.
pub const MAX_HOLDER_AGE_YEARS: i32 = 110;
/// The youngest a card holder may be, in years: nobody holds a Japanese medical, dental or
/// pharmacy licence younger (six years of university after high school).
pub const MIN_HOLDER_AGE_YEARS: i32 = 20;

/// Whether `birth` is a plausible date of birth for a card holder on `today`: between
/// [`MAX_HOLDER_AGE_YEARS`] and [`MIN_HOLDER_AGE_YEARS`] years before it.
pub fn plausible_birth_date(birth: time::Date, today: time::Date) -> bool {
    let years_before = |n: i32| {
        today
            .replace_year(today.year() - n)
            .unwrap_or_else(|_| today - time::Duration::days(365 * i64::from(n)))
    };
    birth >= years_before(MAX_HOLDER_AGE_YEARS) && birth <= years_before(MIN_HOLDER_AGE_YEARS)
}

/// The most pixels a photo may have (about 40 megapixels): decoding is bounded in memory (the
/// face prints it 18 × 24 mm at 300 dpi, some 60 thousand pixels).
pub const MAX_PHOTO_PIXELS: u64 = 40_000_000;

/// Whether a PNG file decodes whole.
fn decode_png(bytes: &[u8]) -> bool {
    let Ok(mut reader) = png::Decoder::new(std::io::Cursor::new(bytes)).read_info() else {
        return false;
    };
    let Some(size) = reader.output_buffer_size() else {
        return false;
    };
    let mut buf = vec![0; size];
    reader.next_frame(&mut buf).is_ok()
}

/// The holder's photo, checked to be a JPEG or PNG image that decodes whole.
///
/// Checking at construction keeps a corrupt photo from silently vanishing from the card (the
/// SVG renderers skip images they cannot decode).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Photo {
    bytes: Vec<u8>,
    kind: PhotoKind,
    width: u32,
    height: u32,
}

impl Photo {
    /// Checks `bytes` (a JPEG or PNG file) and keeps them.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Self, CardFaceError> {
        let kind = match imagesize::image_type(&bytes) {
            Ok(imagesize::ImageType::Jpeg) => PhotoKind::Jpeg,
            Ok(imagesize::ImageType::Png) => PhotoKind::Png,
            _ => return Err(CardFaceError::Photo),
        };
        let size = imagesize::blob_size(&bytes).map_err(|_| CardFaceError::Photo)?;
        let (width, height) = (
            u32::try_from(size.width).map_err(|_| CardFaceError::Photo)?,
            u32::try_from(size.height).map_err(|_| CardFaceError::Photo)?,
        );
        if width == 0 || height == 0 || u64::from(width) * u64::from(height) > MAX_PHOTO_PIXELS {
            return Err(CardFaceError::Photo);
        }
        // The whole image decodes: a file with a good header and broken data is refused here,
        // at reception, not found missing on the printed card.
        let decoded = match kind {
            PhotoKind::Png => decode_png(&bytes),
            PhotoKind::Jpeg => zune_jpeg::JpegDecoder::new(std::io::Cursor::new(&bytes[..]))
                .decode()
                .is_ok(),
        };
        if !decoded {
            return Err(CardFaceError::Photo);
        }
        Ok(Self {
            bytes,
            kind,
            width,
            height,
        })
    }

    /// JPEG or PNG.
    pub fn kind(&self) -> PhotoKind {
        self.kind
    }

    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// Width and height in pixels.
    pub fn dimensions(&self) -> (u32, u32) {
        (self.width, self.height)
    }

    /// The image file's bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }
}

/// The doctor, as the card shows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardHolder {
    /// Name in kanji as registered, family name first, e.g. `日医 太郎`.
    pub name_kanji: String,
    /// Name in romaji as printed, e.g. `Taro Nichii`.
    pub name_romaji: String,
    /// Date of birth (printed in 和暦 and western form).
    pub birth_date: time::Date,
    /// JMA member ID (医師会員ID番号), 10 digits; `None` for a doctor who is not a JMA member
    /// (the row stays, empty).
    pub member_id: Option<String>,
    /// Medical licence registration number (医籍登録番号).
    pub license_number: String,
    /// The photo; `None` prints a neutral placeholder labelled 写真.
    pub photo: Option<Photo>,
}

/// Who issues the card: printed on the front (organisation) and back (issuer block).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issuer {
    /// The organisation on the front, in Japanese: `公益社団法人日本医師会`.
    pub organization_ja: String,
    /// The organisation on the front, in English: `JAPAN MEDICAL ASSOCIATION`.
    pub organization_en: String,
    /// The issuer on the back, in Japanese (printed after `発行者：`).
    pub name_ja: String,
    /// The issuer on the back, in English (printed after `Issuer: `).
    pub name_en: String,
    /// Postal address lines (Japanese, then English).
    pub address_lines: Vec<String>,
    /// Telephone lines, printed beside the address lines.
    pub phone_lines: Vec<String>,
    /// Validity of the IC card in years (printed as ICカードの有効期限).
    pub card_validity_years: u32,
    /// Validity of the certificates on the chip in years (printed as
    /// ICチップの中の情報(電子証明書)の有効期限).
    pub certificate_validity_years: u32,
    /// The numbered notes (注意事項) on the back, in order; a `\n` starts a new line inside a
    /// note.
    pub notes: Vec<String>,
}

impl Issuer {
    /// The Japan Medical Association Certification Authority (日本医師会電子認証センター), with
    /// the wording, address, telephone, validity periods and notes of its card.
    pub fn jma() -> Self {
        Self {
            organization_ja: "公益社団法人日本医師会".into(),
            organization_en: "JAPAN MEDICAL ASSOCIATION".into(),
            name_ja: "公益社団法人 日本医師会 電子認証センター".into(),
            name_en: "Japan Medical Association Certification Authority".into(),
            address_lines: vec![
                "〒113-0021 東京都文京区本駒込 2-28-8 文京グリーンコート 17 階".into(),
                "2-28-8 Honkomagome, Bunkyo-ku, Tokyo, 113-0021, Japan".into(),
            ],
            phone_lines: vec!["TEL 03-3942-7050(代表)".into(), "TEL (+81) 3-3942-7050".into()],
            card_validity_years: 6,
            certificate_validity_years: 2,
            notes: vec![
                "このカードは、利用規約に則ってご利用ください。".into(),
                "暗証番号は、他人に知られないようご注意ください。".into(),
                "このカードは、他人に貸与または譲渡してはいけません。\n\
                 このカードを紛失または破損した場合は、速やかに発行者に届出なくてはなりません。"
                    .into(),
                "このカードの記載事項に変更が生じた場合、また、有効期限が満了した場合、\
                 その取り扱いについて発行者の指示に従わなくてはなりません。"
                    .into(),
                "資格を失った場合は直ちに届出し、カードの取り扱いについて発行者の指示に従わなくてはなりません。"
                    .into(),
                "このカードを拾得された場合、発行者にご連絡ください。".into(),
            ],
        }
    }
}

/// One card: its holder, identity, validity and issuer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardFace {
    /// The doctor.
    pub holder: CardHolder,
    /// The card ID (カードID), also what the contactless interface answers, e.g. `JMAC61100001`.
    pub card_id: String,
    /// Date of issue (発行日).
    pub issued: time::Date,
    /// Date of expiry (有効期限).
    pub expires: time::Date,
    /// The issuer.
    pub issuer: Issuer,
}

/// Where the Japanese font is on this machine, for callers that load it from disk.
///
/// `HPKI_CJK_FONT`, if set, is the answer (or `None` when that file does not exist: a
/// configured font that is missing is an error to report, not a reason to use another one).
/// Otherwise the first that exists of IPAex Gothic (Debian `fonts-ipaexfont-gothic`) and
/// Noto Sans CJK (Debian `fonts-noto-cjk` and other distributions' paths).
pub fn find_system_cjk_font() -> Option<PathBuf> {
    if let Some(configured) = std::env::var_os("HPKI_CJK_FONT") {
        let path = PathBuf::from(configured);
        return path.is_file().then_some(path);
    }
    const CANDIDATES: [&str; 6] = [
        "/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf",
        "/usr/share/fonts/truetype/ipaexfont-gothic/ipaexg.ttf",
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
        "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
        "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
        "/usr/share/fonts/opentype/noto/NotoSansCJKjp-Regular.otf",
    ];
    CANDIDATES
        .iter()
        .map(Path::new)
        .find(|p| p.is_file())
        .map(Path::to_path_buf)
}
