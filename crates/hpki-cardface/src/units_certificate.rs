//! The yearly 日本医師会生涯教育制度 学習単位取得証: an A4 page certifying a doctor's units and
//! curriculum codes of one fiscal year, set in the card's font and made a PDF with its text
//! kept as text (so `pdftotext` and screen readers read it), like the card face.

use std::fmt::Write as _;

use time::Date;

use crate::layout::FONT_FAMILY;
use crate::render::{Fonts, pdf_of};
use crate::text::{escape_xml, wrap};
use crate::{CardFaceError, wareki};

/// A4, millimetres.
const W: f32 = 210.0;
const H: f32 = 297.0;
/// Lines for the list of codes between the table and the certifying sentence.
const MAX_CODE_LINES: usize = 14;

/// What the certificate says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitsCertificate {
    /// 氏名.
    pub name: String,
    /// 医籍登録番号.
    pub license_no: String,
    /// 日医会員ID, for members.
    pub member_id: Option<String>,
    /// The fiscal year (2026 = 2026年4月〜2027年3月).
    pub fiscal_year: i32,
    /// Units, as written (`"12.5"`).
    pub units: String,
    /// The curriculum codes earned: number and name.
    pub codes: Vec<(u8, String)>,
    /// The day it is issued.
    pub issued: Date,
    /// The issuer (公益社団法人 日本医師会).
    pub issuer: String,
}

struct Page {
    svg: String,
    texts: Vec<String>,
}

impl Page {
    fn text(&mut self, x: f32, y: f32, size: f32, anchor: &str, content: &str) {
        let _ = writeln!(
            self.svg,
            r#"<text x="{x}" y="{y}" font-size="{size}" text-anchor="{anchor}">{}</text>"#,
            escape_xml(content)
        );
        self.texts.push(content.to_owned());
    }
}

/// The certificate as SVG, and every text it sets.
pub fn units_certificate_svg(c: &UnitsCertificate) -> (String, Vec<String>) {
    let mut p = Page {
        svg: format!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{W}mm" height="{H}mm" viewBox="0 0 {W} {H}" font-family="{FONT_FAMILY}">"#
        ),
        texts: Vec::new(),
    };
    p.svg.push_str(r##"<rect x="12" y="12" width="186" height="273" fill="none" stroke="#0b3d78" stroke-width="1.2"/>"##);
    p.svg.push_str(r##"<rect x="14.5" y="14.5" width="181" height="268" fill="none" stroke="#0b3d78" stroke-width="0.3"/>"##);
    p.text(W / 2.0, 42.0, 7.0, "middle", "学習単位取得証");
    p.text(W / 2.0, 52.0, 4.2, "middle", "日本医師会生涯教育制度");
    let mut y = 74.0;
    let rows = [
        ("氏名", c.name.clone()),
        ("医籍登録番号", c.license_no.clone()),
        (
            "日医会員ID",
            c.member_id.clone().unwrap_or_else(|| "—".into()),
        ),
        (
            "年度",
            format!(
                "{}年度（{}年4月〜{}年3月）",
                c.fiscal_year,
                c.fiscal_year,
                c.fiscal_year + 1
            ),
        ),
        ("取得単位", format!("{} 単位", c.units)),
        ("取得カリキュラムコード", format!("{} 種類", c.codes.len())),
    ];
    for (label, value) in rows {
        p.text(30.0, y, 4.2, "start", label);
        p.text(82.0, y, 4.8, "start", &value);
        y += 11.0;
    }
    // The codes with their names; when they would not fit the space, by number only (84 codes
    // by number take ten lines), so that none is ever left out.
    let named: Vec<String> = c
        .codes
        .iter()
        .map(|(n, name)| format!("CC{n} {name}"))
        .collect();
    let mut lines = wrap(&named.join("、"), 38.0);
    if lines.len() > MAX_CODE_LINES {
        let numbers: Vec<String> = c.codes.iter().map(|(n, _)| format!("CC{n}")).collect();
        lines = wrap(&numbers.join("、"), 38.0);
    }
    let mut line_y = y + 2.0;
    for line in lines {
        p.text(30.0, line_y, 3.6, "start", &line);
        line_y += 5.6;
    }
    p.text(
        W / 2.0,
        232.0,
        4.2,
        "middle",
        &format!(
            "上記の者は、{}年度に上記の単位を取得したことを証明する。",
            c.fiscal_year
        ),
    );
    let issued = wareki(c.issued).unwrap_or_else(|_| c.issued.to_string());
    p.text(W - 30.0, 252.0, 4.2, "end", &issued);
    p.text(W - 30.0, 264.0, 5.0, "end", &c.issuer);
    p.svg.push_str("</svg>\n");
    (p.svg, p.texts)
}

/// The certificate as a one-page A4 PDF.
pub fn render_units_certificate_pdf(
    c: &UnitsCertificate,
    fonts: &Fonts,
) -> Result<Vec<u8>, CardFaceError> {
    let (svg, texts) = units_certificate_svg(c);
    let tree = fonts.tree_of(&svg, &texts)?;
    pdf_of(
        &[tree],
        W,
        H,
        &format!("学習単位取得証 {}年度 {}", c.fiscal_year, c.name),
    )
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    #[test]
    fn the_certificate_says_the_year_the_units_and_the_codes() {
        let c = UnitsCertificate {
            name: "日医 太郎".into(),
            license_no: "123456".into(),
            member_id: Some("9999999999".into()),
            fiscal_year: 2026,
            units: "12.5".into(),
            codes: vec![
                (76, "糖尿病".into()),
                (1, "医師のプロフェッショナリズム".into()),
            ],
            issued: date!(2027 - 04 - 15),
            issuer: "公益社団法人 日本医師会".into(),
        };
        let (svg, texts) = units_certificate_svg(&c);
        for expected in [
            "学習単位取得証",
            "日医 太郎",
            "12.5 単位",
            "2 種類",
            "令和9年04月15日",
            "2026年度（2026年4月〜2027年3月）",
        ] {
            assert!(texts.iter().any(|t| t == expected), "{expected}: {texts:?}");
        }
        assert!(texts.iter().any(|t| t.contains("CC76 糖尿病")), "{texts:?}");
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>\n"));
        // All 84 codes with their names do not fit: by number, every one of them.
        let all = UnitsCertificate {
            codes: (1..=84)
                .map(|n| (n, "医療と介護および福祉の連携".to_owned()))
                .collect(),
            ..c.clone()
        };
        let (_, texts) = units_certificate_svg(&all);
        let listed: Vec<&str> = texts
            .iter()
            .filter(|t| t.starts_with("CC"))
            .flat_map(|t| t.split('、'))
            .filter(|s| !s.is_empty())
            .collect();
        assert_eq!(listed.len(), 84, "{texts:?}");
        // Text from the register is escaped.
        let (svg, _) = units_certificate_svg(&UnitsCertificate {
            name: "<a&b>".into(),
            ..c
        });
        assert!(svg.contains("&lt;a&amp;b&gt;") && !svg.contains("<a&b>"));
    }
}
