//! The dashboard pictures, checked as a browser and a reader would get them: parsed by a real
//! XML parser (structure, titles, legend counts, escaping, languages), rendered with resvg and
//! the system's fonts (not blank, every text inside the picture, every prefecture's name inside
//! its square), and the pictures in `docs/` equal to what the code draws now.
//!
//! `HPKI_RA_UPDATE_DOCS=1 cargo test -p hpki-ra --test stats` rewrites the pictures in `docs/`.
//! The rendering needs a font with Japanese glyphs (IPAex Gothic, `fonts-ipaexfont-gothic`,
//! which `scripts/test.sh` installs); without one the test fails, it does not skip.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use hpki_ra::Lang;
use hpki_ra::office::OfficeStatus;
use hpki_ra::prefecture::{PREFECTURES, prefecture};
use hpki_ra::stats::{
    CHART_HEIGHT, CHART_WIDTH, MAP_HEIGHT, MAP_WIDTH, PENDING_WIDTH, demo_issued, demo_statuses,
    issuance_chart_svg, japan_map_svg, pending_work_height, pending_work_svg, status_class,
    status_colour,
};
use resvg::tiny_skia::{Pixmap, Rect, Transform};
use resvg::usvg::{self, fontdb};
use roxmltree::{Document, Node};
use time::macros::date;

const HOSTILE: &str = "<script>&\"'";

// ---------------------------------------------------------------------------------------------
// Helpers.

fn parse(svg: &str) -> Document<'_> {
    match Document::parse(svg) {
        Ok(doc) => doc,
        Err(e) => panic!("not well-formed XML: {e}\n{svg}"),
    }
}

fn class_has(node: &Node, class: &str) -> bool {
    node.attribute("class")
        .is_some_and(|c| c.split_whitespace().any(|c| c == class))
}

fn elements<'a, 'input>(
    doc: &'a Document<'input>,
    name: &'a str,
    class: &'a str,
) -> impl Iterator<Item = Node<'a, 'input>> + 'a {
    doc.descendants()
        .filter(move |n| n.has_tag_name(name) && (class.is_empty() || class_has(n, class)))
}

/// All the text of an element, its descendants' included.
fn text_of(node: &Node) -> String {
    node.descendants()
        .filter(|n| n.is_text())
        .filter_map(|n| n.text())
        .collect()
}

/// The `<title>` child of an element.
fn title_of(node: &Node) -> Option<String> {
    node.children()
        .find(|c| c.has_tag_name("title"))
        .map(|t| text_of(&t))
}

fn number(node: &Node, attribute: &str) -> f32 {
    node.attribute(attribute)
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("{attribute} of {node:?}"))
}

/// What every picture must be: an accessible, self-contained SVG of the announced size.
fn check_common(svg: &str, width: u32, height: u32, title: &str) {
    let doc = parse(svg);
    let root = doc.root_element();
    assert!(root.has_tag_name(("http://www.w3.org/2000/svg", "svg")));
    assert_eq!(root.attribute("role"), Some("img"));
    assert_eq!(
        root.attribute("viewBox"),
        Some(format!("0 0 {width} {height}").as_str())
    );
    assert_eq!(root.attribute("width"), Some(width.to_string().as_str()));
    assert_eq!(root.attribute("height"), Some(height.to_string().as_str()));
    // aria-labelledby names the title and the desc, both present and not empty.
    let labelled_by = root.attribute("aria-labelledby").unwrap_or_default();
    let ids: Vec<&str> = labelled_by.split_whitespace().collect();
    assert_eq!(ids.len(), 2, "{labelled_by}");
    let by_id = |id: &str| doc.descendants().find(|n| n.attribute("id") == Some(id));
    let title_node = by_id(ids[0]).unwrap_or_else(|| panic!("no element {}", ids[0]));
    assert!(title_node.has_tag_name("title"));
    assert_eq!(
        title_node.parent(),
        Some(root),
        "the title is the svg's own"
    );
    assert_eq!(text_of(&title_node), title);
    let desc = by_id(ids[1]).unwrap_or_else(|| panic!("no element {}", ids[1]));
    assert!(desc.has_tag_name("desc"));
    assert!(text_of(&desc).chars().count() > 5);
    // The title is also drawn.
    assert!(
        elements(&doc, "text", "").any(|t| text_of(&t) == title),
        "title {title} not drawn"
    );
    // Self-contained: no script, no external reference, no stylesheet to fetch.
    for node in doc.descendants().filter(|n| n.is_element()) {
        let name = node.tag_name().name();
        assert!(
            !matches!(
                name,
                "script" | "foreignObject" | "image" | "use" | "a" | "style"
            ),
            "<{name}> in a picture"
        );
        for attr in node.attributes() {
            assert!(attr.name() != "href", "href in a picture");
            assert!(
                !attr.name().starts_with("on"),
                "event handler {}",
                attr.name()
            );
            assert!(!attr.value().contains("http:") && !attr.value().contains("https:"));
            if attr.value().contains("url(") {
                let target = attr
                    .value()
                    .trim_start_matches("url(#")
                    .trim_end_matches(')');
                assert!(
                    by_id(target).is_some(),
                    "url({}) points nowhere",
                    attr.value()
                );
            }
        }
    }
    // Ids are unique (several pictures go on one page, so they carry a prefix too).
    let mut seen = std::collections::HashSet::new();
    for id in doc.descendants().filter_map(|n| n.attribute("id")) {
        assert!(seen.insert(id), "duplicate id {id}");
        assert!(
            id.starts_with("hpki-ra-"),
            "id {id} without the crate's prefix"
        );
    }
    // Deterministic.
    assert!(!svg.contains("NaN") && !svg.contains("inf"));
}

// ---------------------------------------------------------------------------------------------
// (a) Structure.

#[test]
fn map_structure_japanese() {
    let statuses = demo_statuses();
    let svg = japan_map_svg(&statuses, Lang::Ja);
    check_common(
        &svg,
        MAP_WIDTH,
        MAP_HEIGHT,
        "都道府県別 受付審査局の開設状況",
    );
    let doc = parse(&svg);

    let tiles: Vec<Node> = elements(&doc, "g", "tile").collect();
    assert_eq!(tiles.len(), 47);
    for (tile, p) in tiles.iter().zip(&PREFECTURES) {
        assert_eq!(tile.attribute("data-code"), Some(p.code_str().as_str()));
        let status = statuses
            .iter()
            .find(|(code, _)| *code == p.code)
            .map(|(_, s)| *s)
            .unwrap_or(OfficeStatus::NotOpened);
        assert!(class_has(tile, status_class(status)), "{}", p.name_ja);
        // Hover / screen reader: full name and status.
        assert_eq!(
            title_of(tile),
            Some(format!("{}：{}", p.name_ja, status.label(Lang::Ja)))
        );
        let rects: Vec<Node> = tile.children().filter(|c| c.has_tag_name("rect")).collect();
        assert_eq!(rects[0].attribute("fill"), Some(status_colour(status)));
        assert_eq!(number(&rects[0], "width"), number(&rects[0], "height"));
        // Not only colour: hatching or a mark.
        match status {
            OfficeStatus::NotOpened => {
                assert_eq!(rects.len(), 2);
                assert_eq!(rects[1].attribute("fill"), Some("url(#hpki-ra-map-hatch)"));
            }
            OfficeStatus::Registered => {
                let mark = tile
                    .children()
                    .find(|c| class_has(c, "mark"))
                    .expect("mark");
                assert_eq!(mark.attribute("fill"), Some("none"));
            }
            OfficeStatus::Accepting => {
                let mark = tile
                    .children()
                    .find(|c| class_has(c, "mark"))
                    .expect("mark");
                assert_eq!(mark.attribute("fill"), Some("#ffffff"));
            }
        }
        let label = tile
            .children()
            .find(|c| c.has_tag_name("text"))
            .expect("label");
        assert_eq!(text_of(&label), p.short_name(Lang::Ja));
    }
    let labels: Vec<String> = tiles
        .iter()
        .filter_map(|t| t.children().find(|c| c.has_tag_name("text")))
        .map(|t| text_of(&t))
        .collect();
    for name in ["北海道", "東京", "大阪", "京都", "神奈川", "沖縄"] {
        assert!(labels.iter().any(|l| l == name), "{name}");
    }

    // The legend: each status with its count (the seed's map: 40, 5, 2).
    let legend: Vec<(String, String)> = elements(&doc, "g", "legend-item")
        .map(|item| {
            let texts: Vec<String> = item
                .children()
                .filter(|c| c.has_tag_name("text"))
                .map(|t| text_of(&t))
                .collect();
            (texts[0].clone(), texts[1].clone())
        })
        .collect();
    assert_eq!(
        legend,
        [
            ("未開設".to_owned(), "2".to_owned()),
            ("開設済み".to_owned(), "5".to_owned()),
            ("受付可能".to_owned(), "40".to_owned()),
        ]
    );
    let desc = text_of(&elements(&doc, "desc", "").next().expect("desc"));
    assert!(desc.contains("未開設 2、開設済み 5、受付可能 40"), "{desc}");
    assert!(elements(&doc, "pattern", "").any(|p| p.attribute("id") == Some("hpki-ra-map-hatch")));
}

#[test]
fn map_structure_english_and_defaults() {
    // Only two prefectures given: the others count as not opened; 99 is ignored.
    let svg = japan_map_svg(
        &[
            (13, OfficeStatus::Accepting),
            (27, OfficeStatus::Registered),
            (99, OfficeStatus::Accepting),
        ],
        Lang::En,
    );
    check_common(
        &svg,
        MAP_WIDTH,
        MAP_HEIGHT,
        "Reception and review offices by prefecture",
    );
    let doc = parse(&svg);
    assert_eq!(doc.root_element().attribute("lang"), Some("en"));
    let tiles: Vec<Node> = elements(&doc, "g", "tile").collect();
    assert_eq!(tiles.len(), 47);
    assert_eq!(
        tiles.iter().filter(|t| class_has(t, "not-opened")).count(),
        45
    );
    let tokyo = tiles
        .iter()
        .find(|t| t.attribute("data-code") == Some("13"))
        .expect("Tokyo");
    assert!(class_has(tokyo, "accepting"));
    assert_eq!(
        title_of(tokyo).as_deref(),
        Some("Tokyo: Accepting applications")
    );
    for (tile, p) in tiles.iter().zip(&PREFECTURES) {
        let label = tile
            .children()
            .find(|c| c.has_tag_name("text"))
            .expect("label");
        assert_eq!(text_of(&label), p.name_en);
        assert!(title_of(tile).is_some_and(|t| t.is_ascii()));
    }
    let counts: Vec<String> = elements(&doc, "g", "legend-item")
        .map(|item| title_of(&item).unwrap_or_default())
        .collect();
    assert_eq!(
        counts,
        [
            "Not opened: 45 prefectures",
            "Registered: 1 prefecture",
            "Accepting applications: 1 prefecture",
        ]
    );
    // No Japanese left in the English picture but the font names.
    for text in elements(&doc, "text", "") {
        assert!(text_of(&text).is_ascii(), "{}", text_of(&text));
    }

    // Nothing given at all: every prefecture not opened.
    let svg = japan_map_svg(&[], Lang::Ja);
    let doc = parse(&svg);
    assert_eq!(
        elements(&doc, "g", "not-opened")
            .filter(|g| class_has(g, "tile"))
            .count(),
        47
    );
    assert!(svg.contains("未開設 47"));
}

#[test]
fn issuance_chart_structure() {
    let points = demo_issued();
    let svg = issuance_chart_svg(&points, Lang::Ja);
    check_common(&svg, CHART_WIDTH, CHART_HEIGHT, "医師資格証 発行枚数の推移");
    let doc = parse(&svg);
    let line = elements(&doc, "polyline", "line").next().expect("line");
    let vertices: Vec<(f32, f32)> = line
        .attribute("points")
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|p| p.split_once(','))
        .map(|(x, y)| (x.parse().unwrap_or(f32::NAN), y.parse().unwrap_or(f32::NAN)))
        .collect();
    assert_eq!(vertices.len(), points.len());
    // Time goes right, a growing total goes up (smaller y).
    assert!(
        vertices
            .windows(2)
            .all(|w| w[0].0 < w[1].0 && w[0].1 >= w[1].1)
    );
    let dots: Vec<Node> = doc
        .descendants()
        .filter(|n| n.has_tag_name("circle") && title_of(n).is_some())
        .collect();
    assert_eq!(dots.len(), points.len());
    assert_eq!(title_of(&dots[0]).as_deref(), Some("2013年10月1日：0枚"));
    assert_eq!(
        title_of(&dots[23]).as_deref(),
        Some("2015年9月1日：3,482枚")
    );
    // Round y ticks with separators, month x ticks, the last value, the unit.
    let texts: Vec<String> = elements(&doc, "text", "").map(|t| text_of(&t)).collect();
    for label in [
        "0",
        "1,000",
        "2,000",
        "3,000",
        "4,000",
        "2013/10",
        "2014/04",
        "2015/07",
        "（枚）",
    ] {
        assert!(texts.iter().any(|t| t == label), "{label} in {texts:?}");
    }
    let last = elements(&doc, "text", "last-value")
        .next()
        .expect("last value");
    assert_eq!(text_of(&last), "3,482枚");

    // English.
    let svg = issuance_chart_svg(&points, Lang::En);
    check_common(&svg, CHART_WIDTH, CHART_HEIGHT, "Cards issued (cumulative)");
    let doc = parse(&svg);
    let texts: Vec<String> = elements(&doc, "text", "").map(|t| text_of(&t)).collect();
    for label in ["2013-10", "2015-07", "4,000", "3,482", "Total issued"] {
        assert!(texts.iter().any(|t| t == label), "{label} in {texts:?}");
    }
    assert!(texts.iter().all(|t| t.is_ascii()), "{texts:?}");
}

#[test]
fn issuance_chart_edge_cases() {
    // No points: the frame and the message.
    for (lang, message) in [(Lang::Ja, "データがありません"), (Lang::En, "No data")] {
        let svg = issuance_chart_svg(&[], lang);
        let title = match lang {
            Lang::Ja => "医師資格証 発行枚数の推移",
            Lang::En => "Cards issued (cumulative)",
        };
        check_common(&svg, CHART_WIDTH, CHART_HEIGHT, title);
        let doc = parse(&svg);
        let empty = elements(&doc, "text", "empty").next().expect("message");
        assert_eq!(text_of(&empty), message);
        assert_eq!(elements(&doc, "polyline", "").count(), 0);
    }
    // One point.
    let svg = issuance_chart_svg(&[(date!(2014 - 04 - 15), 12)], Lang::En);
    check_common(&svg, CHART_WIDTH, CHART_HEIGHT, "Cards issued (cumulative)");
    let doc = parse(&svg);
    assert_eq!(
        text_of(&elements(&doc, "text", "last-value").next().expect("last")),
        "12"
    );
    // Not monotonic and not sorted: drawn in date order, totals as given.
    let svg = issuance_chart_svg(
        &[
            (date!(2015 - 01 - 01), 500),
            (date!(2014 - 01 - 01), 100),
            (date!(2014 - 07 - 01), 900),
        ],
        Lang::Ja,
    );
    check_common(&svg, CHART_WIDTH, CHART_HEIGHT, "医師資格証 発行枚数の推移");
    let doc = parse(&svg);
    let titles: Vec<String> = doc
        .descendants()
        .filter(|n| n.has_tag_name("circle"))
        .filter_map(|n| title_of(&n))
        .collect();
    assert_eq!(
        titles,
        [
            "2014年1月1日：100枚",
            "2014年7月1日：900枚",
            "2015年1月1日：500枚"
        ]
    );
    assert_eq!(
        text_of(&elements(&doc, "text", "last-value").next().expect("last")),
        "500枚"
    );
    // Large totals keep their separators.
    let svg = issuance_chart_svg(
        &[
            (date!(2014 - 01 - 01), 0),
            (date!(2024 - 01 - 01), 12_345_678),
        ],
        Lang::En,
    );
    check_common(&svg, CHART_WIDTH, CHART_HEIGHT, "Cards issued (cumulative)");
    assert!(svg.contains(">12,345,678</text>"));
}

#[test]
fn pending_work_structure_and_escaping() {
    let rows = vec![
        ("日本医師会 登録局".to_owned(), 42),
        (HOSTILE.to_owned(), 3),
        ("大阪府医師会".to_owned(), 0),
        (
            "とても長い名前の病院受付審査局（医事課・医局）第二受付窓口".to_owned(),
            1234,
        ),
    ];
    let svg = pending_work_svg(&rows, Lang::Ja);
    check_common(
        &svg,
        PENDING_WIDTH,
        pending_work_height(rows.len()),
        "受付審査局別 審査待ちの申請",
    );
    assert!(!svg.contains("<script"), "unescaped office name");
    let doc = parse(&svg);
    assert!(!doc.descendants().any(|n| n.has_tag_name("script")));
    let row_nodes: Vec<Node> = elements(&doc, "g", "row").collect();
    assert_eq!(row_nodes.len(), rows.len());
    for (node, (name, count)) in row_nodes.iter().zip(&rows) {
        // The full name, exactly as given, in the title; the count drawn, even 0.
        assert_eq!(
            title_of(node),
            Some(format!("{name}：{count}件").replace("1234件", "1,234件"))
        );
        let office = node
            .children()
            .find(|c| class_has(c, "office"))
            .expect("name");
        let shown = text_of(&office);
        if shown.ends_with('…') {
            assert!(name.starts_with(shown.trim_end_matches('…')));
            assert!(shown.chars().count() < name.chars().count());
        } else {
            assert_eq!(&shown, name);
        }
        let drawn = node
            .children()
            .find(|c| class_has(c, "count"))
            .expect("count");
        let bar = node.children().find(|c| c.has_tag_name("rect"));
        assert_eq!(bar.is_some(), *count > 0);
        let expected = if *count == 1234 {
            "1,234".to_owned()
        } else {
            count.to_string()
        };
        assert_eq!(text_of(&drawn), expected);
    }
    let long = row_nodes[3]
        .children()
        .find(|c| class_has(c, "office"))
        .expect("name");
    assert!(text_of(&long).ends_with('…'));
    // Longest bar for the largest count.
    let widths: Vec<f32> = row_nodes
        .iter()
        .filter_map(|r| r.children().find(|c| c.has_tag_name("rect")))
        .map(|r| number(&r, "width"))
        .collect();
    assert!(widths[2] > widths[0] && widths[0] > widths[1], "{widths:?}");

    // English and empty.
    let svg = pending_work_svg(&rows, Lang::En);
    check_common(
        &svg,
        PENDING_WIDTH,
        pending_work_height(rows.len()),
        "Pending applications by office",
    );
    assert!(svg.contains("&lt;script&gt;&amp;&quot;&apos;"));
    let svg = pending_work_svg(&[], Lang::En);
    check_common(
        &svg,
        PENDING_WIDTH,
        pending_work_height(0),
        "Pending applications by office",
    );
    let doc = parse(&svg);
    assert_eq!(
        text_of(&elements(&doc, "text", "empty").next().expect("message")),
        "No data"
    );
    // Control characters never reach the XML.
    let svg = pending_work_svg(&[("a\u{0}b\u{1b}c\nd".to_owned(), 1)], Lang::Ja);
    let doc = parse(&svg);
    let row = elements(&doc, "g", "row").next().expect("row");
    assert_eq!(title_of(&row).as_deref(), Some("abc d：1件"));
}

// ---------------------------------------------------------------------------------------------
// (b) Rendering.

fn fonts() -> Arc<fontdb::Database> {
    static FONTS: OnceLock<Arc<fontdb::Database>> = OnceLock::new();
    Arc::clone(FONTS.get_or_init(|| {
        let mut db = fontdb::Database::new();
        db.load_system_fonts();
        Arc::new(db)
    }))
}

fn tree(svg: &str) -> usvg::Tree {
    let options = usvg::Options {
        fontdb: fonts(),
        languages: vec!["ja".into(), "en".into()],
        ..usvg::Options::default()
    };
    match usvg::Tree::from_str(svg, &options) {
        Ok(tree) => tree,
        Err(e) => panic!("usvg cannot read the picture: {e}"),
    }
}

/// Renders `svg` at its size and checks that it is not blank; returns the tree for more checks.
fn render(svg: &str, width: u32, height: u32) -> usvg::Tree {
    let tree = tree(svg);
    assert_eq!(tree.size().to_int_size().width(), width);
    assert_eq!(tree.size().to_int_size().height(), height);
    let mut pixmap = Pixmap::new(width, height).expect("pixmap");
    resvg::render(&tree, Transform::identity(), &mut pixmap.as_mut());
    let pixels = pixmap.pixels();
    let white = pixels
        .iter()
        .filter(|p| p.red() == 255 && p.green() == 255 && p.blue() == 255 && p.alpha() == 255)
        .count();
    let inked = pixels.len() - white;
    assert!(
        inked > pixels.len() / 100,
        "the picture is blank: {inked} of {} pixels drawn",
        pixels.len()
    );
    assert!(white > pixels.len() / 5, "the picture is a blot");
    tree
}

/// Every text of the tree, with its box, must lie inside the picture: nothing cut off. Returns
/// how many texts there were (a text whose glyphs no font has gets no box and fails).
fn texts_inside(group: &usvg::Group, width: u32, height: u32) -> usize {
    let mut count = 0;
    for node in group.children() {
        match node {
            usvg::Node::Group(g) => count += texts_inside(g, width, height),
            usvg::Node::Text(text) => {
                let b = text.abs_bounding_box();
                assert!(b.width() > 0.0, "text {:?} has no glyphs", text.id());
                assert!(
                    b.left() >= 0.0
                        && b.top() >= 0.0
                        && b.right() <= width as f32
                        && b.bottom() <= height as f32,
                    "text {:?} at {b:?} leaves the {width}x{height} picture",
                    text.id()
                );
                count += 1;
            }
            _ => {}
        }
    }
    count
}

fn node_box(tree: &usvg::Tree, id: &str) -> Rect {
    match tree.node_by_id(id) {
        Some(node) => node.abs_bounding_box(),
        None => panic!(
            "{id} was not drawn: is there a font with Japanese glyphs? \
             (apt-get install fonts-ipaexfont-gothic; scripts/test.sh does)"
        ),
    }
}

fn overlap(a: &Rect, b: &Rect) -> bool {
    a.left() < b.right() && b.left() < a.right() && a.top() < b.bottom() && b.top() < a.bottom()
}

#[test]
fn a_font_with_japanese_glyphs_is_installed() {
    // The pictures are Japanese first; rendering them without such a font would hide labels.
    let tree = tree(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"100\" height=\"40\">\
         <text id=\"t\" x=\"0\" y=\"30\" font-size=\"20\" font-family=\"IPAexGothic, sans-serif\">東京都</text></svg>",
    );
    let b = node_box(&tree, "t");
    assert!(b.width() > 40.0, "Japanese glyphs missing: {b:?}");
}

#[test]
fn the_map_renders_with_every_name_in_its_square() {
    for (lang, statuses) in [
        (Lang::Ja, demo_statuses()),
        (Lang::En, demo_statuses()),
        (Lang::Ja, Vec::new()),
    ] {
        let svg = japan_map_svg(&statuses, lang);
        let tree = render(&svg, MAP_WIDTH, MAP_HEIGHT);
        let texts = texts_inside(tree.root(), MAP_WIDTH, MAP_HEIGHT);
        assert!(texts >= 47 + 6, "{texts} texts drawn");
        let doc = parse(&svg);
        let legend = node_box(&tree, "hpki-ra-map-legend");
        let note = node_box(&tree, "hpki-ra-map-note");
        for tile in elements(&doc, "g", "tile") {
            let code = tile.attribute("data-code").unwrap_or_default();
            let rect = tile
                .children()
                .find(|c| c.has_tag_name("rect"))
                .expect("rect");
            let (x, y, side) = (
                number(&rect, "x"),
                number(&rect, "y"),
                number(&rect, "width"),
            );
            let square = Rect::from_xywh(x, y, side, side).expect("square");
            let label = node_box(&tree, &format!("hpki-ra-map-label-{code}"));
            let name = prefecture(code.parse().unwrap_or(0)).map(|p| p.name_en);
            assert!(
                label.left() >= x + 2.0
                    && label.right() <= x + side - 2.0
                    && label.top() >= y
                    && label.bottom() <= y + side,
                "{lang:?}: the label of {name:?} ({label:?}) is not inside its square {square:?}"
            );
            if let Some(mark) = tile.children().find(|c| class_has(c, "mark")) {
                let stroke = mark
                    .attribute("stroke-width")
                    .and_then(|w| w.parse::<f32>().ok())
                    .unwrap_or(0.0);
                let r = number(&mark, "r") + stroke / 2.0;
                let mark = Rect::from_ltrb(
                    number(&mark, "cx") - r,
                    number(&mark, "cy") - r,
                    number(&mark, "cx") + r,
                    number(&mark, "cy") + r,
                )
                .expect("mark");
                assert!(
                    !overlap(&mark, &label),
                    "{name:?}: the mark covers the label"
                );
            }
            assert!(!overlap(&legend, &square), "the legend covers {name:?}");
            assert!(!overlap(&note, &square), "the note covers {name:?}");
        }
    }
}

#[test]
fn the_charts_render() {
    for lang in [Lang::Ja, Lang::En] {
        for points in [
            demo_issued(),
            Vec::new(),
            vec![(date!(2014 - 04 - 15), 12)],
            vec![
                (date!(2014 - 01 - 01), 100),
                (date!(2014 - 07 - 01), 900),
                (date!(2015 - 01 - 01), 500),
            ],
            vec![
                (date!(2000 - 01 - 01), 0),
                (date!(2030 - 06 - 30), u64::MAX),
            ],
            vec![(date!(2014 - 04 - 02), 1), (date!(2014 - 04 - 20), 5)],
        ] {
            let svg = issuance_chart_svg(&points, lang);
            let tree = render(&svg, CHART_WIDTH, CHART_HEIGHT);
            assert!(texts_inside(tree.root(), CHART_WIDTH, CHART_HEIGHT) >= 3);
            if !points.is_empty() {
                let last = node_box(&tree, "hpki-ra-issued-last");
                let legend = node_box(&tree, "hpki-ra-issued-legend");
                assert!(!overlap(&last, &legend), "the last value covers the legend");
            }
        }
        let rows = vec![
            ("日本医師会 登録局".to_owned(), 42),
            (HOSTILE.to_owned(), 3),
            ("大阪府医師会".to_owned(), 0),
            ("W".repeat(80), u64::MAX),
            (
                "とても長い名前の病院受付審査局（医事課・医局）第二受付窓口".to_owned(),
                1234,
            ),
        ];
        let height = pending_work_height(rows.len());
        let tree = render(&pending_work_svg(&rows, lang), PENDING_WIDTH, height);
        assert!(texts_inside(tree.root(), PENDING_WIDTH, height) >= 2 * rows.len());
        for i in 0..rows.len() {
            let name = node_box(&tree, &format!("hpki-ra-pending-name-{i}"));
            assert!(
                name.right() < 268.0,
                "office name {i} runs into the bars: {name:?}"
            );
        }
        render(
            &pending_work_svg(&[], lang),
            PENDING_WIDTH,
            pending_work_height(0),
        );
    }
}

// ---------------------------------------------------------------------------------------------
// (c) The pictures in docs/.

#[test]
fn docs_pictures_are_current() {
    let docs = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs");
    let update = std::env::var_os("HPKI_RA_UPDATE_DOCS").is_some_and(|v| v == "1");
    for (file, svg) in [
        (
            "dashboard-map.svg",
            japan_map_svg(&demo_statuses(), Lang::Ja),
        ),
        (
            "dashboard-issued.svg",
            issuance_chart_svg(&demo_issued(), Lang::Ja),
        ),
    ] {
        let path = docs.join(file);
        if update {
            if let Err(e) = std::fs::write(&path, &svg) {
                panic!("cannot write {}: {e}", path.display());
            }
            continue;
        }
        let current = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "{}: {e}; HPKI_RA_UPDATE_DOCS=1 cargo test -p hpki-ra --test stats draws it",
                path.display()
            )
        });
        assert!(
            current == svg,
            "{} differs from what the code draws: HPKI_RA_UPDATE_DOCS=1 cargo test -p hpki-ra \
             --test stats redraws it",
            path.display()
        );
    }
}
