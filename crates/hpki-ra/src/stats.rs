//! The statistics pictures of the registration authority's dashboard, drawn as SVG.
//!
//! The seed shows two pictures: the map of Japan with each prefecture coloured by the status of
//! its reception and review office (地域受付審査局開設状況), and the line chart of the total
//! number of cards issued (医師資格証発行総数の推移). The dashboard adds the pending work per
//! office. The server renders them ([`japan_map_svg`], [`issuance_chart_svg`],
//! [`pending_work_svg`]) and sends them inline: plain SVG strings, no script, no external
//! resource (no font file, no image, no stylesheet), so they show the same in every browser and
//! in a printed report.
//!
//! Accessibility: each picture is `<svg role="img">` labelled by its `<title>` and `<desc>`
//! (the desc says in words what the picture shows); every prefecture tile, data point and bar
//! has its own `<title>` (a tooltip on hover, read by screen readers). Text on a coloured tile
//! has a contrast of at least 4.5:1 (WCAG AA); the status colours follow the seed (red
//! accepting, yellow registered, white not opened), differ in lightness so that they stay
//! apart for colour-blind readers and in greyscale, and each status also has its own mark (a
//! dot, a ring, hatching) so that colour is never the only cue. Japanese is the default
//! language, English is available ([`Lang::En`]).
//!
//! The output is deterministic — the same input gives the same bytes — so the pictures in
//! `docs/` are checked against the code (`tests/stats.rs`, with the sample data of
//! [`demo_statuses`] and [`demo_issued`]). Text the caller supplies (office names) is
//! XML-escaped; the sizes of the pictures are the constants below (the pending-work chart grows
//! with its rows).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use time::{Date, Month};

use crate::Lang;
use crate::office::OfficeStatus;
use crate::prefecture::{PREFECTURES, TILE_ROWS};

/// Width of the map of Japan ([`japan_map_svg`]), in SVG user units (px at 100 %).
pub const MAP_WIDTH: u32 = 880;
/// Height of the map of Japan ([`japan_map_svg`]).
pub const MAP_HEIGHT: u32 = 752;
/// Width of the issuance chart ([`issuance_chart_svg`]).
pub const CHART_WIDTH: u32 = 800;
/// Height of the issuance chart ([`issuance_chart_svg`]).
pub const CHART_HEIGHT: u32 = 420;
/// Width of the pending-work chart ([`pending_work_svg`]).
pub const PENDING_WIDTH: u32 = 800;
/// Height of the pending-work chart without rows (title, margins; an empty chart is this high
/// plus one row for its message): the chart is `PENDING_BASE_HEIGHT + rows ×
/// PENDING_ROW_HEIGHT` high.
pub const PENDING_BASE_HEIGHT: u32 = 88;
/// Height of one office's row in the pending-work chart.
pub const PENDING_ROW_HEIGHT: u32 = 30;

/// The fonts the pictures ask for: a Japanese Gothic the server or the browser has (IPAex
/// Gothic, which the tests use, first), then the platform's own.
const FONT_FAMILY: &str = "IPAexGothic, 'IPAexゴシック', 'Noto Sans CJK JP', 'Noto Sans JP', \
                           'Hiragino Sans', 'Yu Gothic', Meiryo, sans-serif";

/// Body text: near black (contrast 16:1 on white).
const INK: &str = "#1f1f1f";
/// Secondary text and axes: grey with a contrast of 7:1 on white.
const INK_MUTED: &str = "#595959";
/// Grid lines and the border of the white tiles.
const RULE: &str = "#d0d0d0";
/// The colour of the issuance line and the pending-work bars (6.4:1 on white).
const SERIES: &str = "#1f5fa8";

/// The fill of a prefecture's tile in [`japan_map_svg`] (and of its legend swatch): the seed's
/// colours, chosen for contrast — 受付可能 a deep red (white text 6.0:1), 開設済み a yellow
/// (dark text 10.5:1), 未開設 white (dark text; hatched in the picture).
pub fn status_colour(status: OfficeStatus) -> &'static str {
    match status {
        OfficeStatus::Accepting => "#b83227",
        OfficeStatus::Registered => "#f6c945",
        OfficeStatus::NotOpened => "#ffffff",
    }
}

/// The class a prefecture's tile carries in [`japan_map_svg`] besides `tile`, for the page's
/// stylesheet and for tests: `accepting`, `registered` or `not-opened`.
pub fn status_class(status: OfficeStatus) -> &'static str {
    match status {
        OfficeStatus::Accepting => "accepting",
        OfficeStatus::Registered => "registered",
        OfficeStatus::NotOpened => "not-opened",
    }
}

/// The colour of the text drawn on a tile of `status`.
fn status_ink(status: OfficeStatus) -> &'static str {
    match status {
        OfficeStatus::Accepting => "#ffffff",
        OfficeStatus::Registered | OfficeStatus::NotOpened => INK,
    }
}

// ---------------------------------------------------------------------------------------------
// The map of Japan.

/// Side of a prefecture's square.
const TILE: u32 = 60;
/// Distance between the corners of two neighbouring squares (the square and a gap).
const PITCH: u32 = 64;
/// Left and top margin of the grid.
const MAP_MARGIN_X: u32 = 26;
const MAP_MARGIN_Y: u32 = 24;
/// The pattern that hatches the tiles of prefectures without an office.
const HATCH_ID: &str = "hpki-ra-map-hatch";

/// The map of Japan with every prefecture's square coloured by the status of its reception and
/// review office (地域受付審査局), as the seed's 開設状況 map.
///
/// `statuses` gives the status per JIS prefecture code (1–47); a prefecture missing from it has
/// no office yet ([`OfficeStatus::NotOpened`]), a code given twice takes its last status, and
/// codes outside 1–47 are ignored. Each square shows the prefecture's short name (東京, 大阪 …;
/// Tokyo, Osaka … in English) and the mark of its status; the legend gives each status with
/// the number of prefectures in it, in the order of [`OfficeStatus::ALL`]. [`MAP_WIDTH`] ×
/// [`MAP_HEIGHT`].
pub fn japan_map_svg(statuses: &[(u8, OfficeStatus)], lang: Lang) -> String {
    let given: BTreeMap<u8, OfficeStatus> = statuses.iter().copied().collect();
    let status_of = |code: u8| given.get(&code).copied().unwrap_or(OfficeStatus::NotOpened);
    let count = |status: OfficeStatus| {
        PREFECTURES
            .iter()
            .filter(|p| status_of(p.code) == status)
            .count()
    };

    let (title, desc) = match lang {
        Lang::Ja => {
            let counts: Vec<String> = OfficeStatus::ALL
                .iter()
                .map(|&s| format!("{} {}", s.label(lang), count(s)))
                .collect();
            (
                "都道府県別 受付審査局の開設状況",
                format!(
                    "日本地図（各都道府県を同じ大きさの正方形で表したタイル地図）。\
                     各都道府県医師会の地域受付審査局の状況で色分け。47都道府県のうち{}。",
                    counts.join("、")
                ),
            )
        }
        Lang::En => {
            let counts: Vec<String> = OfficeStatus::ALL
                .iter()
                .map(|&s| format!("{} {}", s.label(lang).to_lowercase(), count(s)))
                .collect();
            (
                "Reception and review offices by prefecture",
                format!(
                    "Tile map of Japan (one equal square per prefecture), each prefecture \
                     coloured by the status of the reception and review office of its medical \
                     association. Of the 47 prefectures: {}.",
                    counts.join(", ")
                ),
            )
        }
    };

    let mut svg = String::with_capacity(40_000);
    open_svg(
        &mut svg,
        "hpki-ra-map",
        MAP_WIDTH,
        MAP_HEIGHT,
        lang,
        title,
        &desc,
    );
    let _ = writeln!(
        svg,
        "<defs><pattern id=\"{HATCH_ID}\" width=\"8\" height=\"8\" patternUnits=\"userSpaceOnUse\" \
         patternTransform=\"rotate(45)\"><rect width=\"8\" height=\"8\" fill=\"#ffffff\"/>\
         <rect width=\"2.5\" height=\"8\" fill=\"{RULE}\"/></pattern></defs>"
    );

    // Title and legend, in the sea north-west of Honshu.
    let _ = writeln!(
        svg,
        "<text x=\"{MAP_MARGIN_X}\" y=\"{y}\" font-size=\"24\" font-weight=\"bold\" fill=\"{INK}\">{t}</text>",
        y = MAP_MARGIN_Y + 28,
        t = escape(title),
    );
    svg.push_str("<g id=\"hpki-ra-map-legend\" class=\"legend\">\n");
    let legend_top = MAP_MARGIN_Y + 58;
    let count_right = MAP_MARGIN_X
        + match lang {
            Lang::Ja => 190,
            Lang::En => 290,
        };
    for (i, &status) in OfficeStatus::ALL.iter().enumerate() {
        let y = legend_top + 36 * i as u32;
        let _ = writeln!(
            svg,
            "<g class=\"legend-item {class}\"><title>{t}</title>",
            class = status_class(status),
            t = escape(&labelled(
                lang,
                status.label(lang),
                &match lang {
                    Lang::Ja => format!("{}都道府県", count(status)),
                    Lang::En if count(status) == 1 => "1 prefecture".to_owned(),
                    Lang::En => format!("{} prefectures", count(status)),
                },
            )),
        );
        status_square(&mut svg, status, MAP_MARGIN_X, y, 28);
        let _ = writeln!(
            svg,
            "<text x=\"{x}\" y=\"{ty}\" font-size=\"16\" fill=\"{INK}\">{label}</text>\
             <text x=\"{count_right}\" y=\"{ty}\" font-size=\"16\" font-weight=\"bold\" fill=\"{INK}\" \
             text-anchor=\"end\">{n}</text></g>",
            x = MAP_MARGIN_X + 40,
            ty = y + 20,
            label = escape(status.label(lang)),
            n = count(status),
        );
    }
    let total_y = legend_top + 36 * 3 + 12;
    let _ = writeln!(
        svg,
        "<line x1=\"{MAP_MARGIN_X}\" y1=\"{total_y}\" x2=\"{count_right}\" y2=\"{total_y}\" stroke=\"{RULE}\"/>\
         <text x=\"{x}\" y=\"{ty}\" font-size=\"14\" fill=\"{INK_MUTED}\">{label}</text>\
         <text x=\"{count_right}\" y=\"{ty}\" font-size=\"14\" fill=\"{INK_MUTED}\" text-anchor=\"end\">{n}</text>",
        x = MAP_MARGIN_X + 40,
        ty = total_y + 20,
        label = match lang {
            Lang::Ja => "計",
            Lang::En => "Total",
        },
        n = PREFECTURES.len(),
    );
    svg.push_str("</g>\n");

    // The prefectures.
    svg.push_str("<g class=\"prefectures\">\n");
    for p in &PREFECTURES {
        let status = status_of(p.code);
        let x = MAP_MARGIN_X + PITCH * u32::from(p.tile.0);
        let y = MAP_MARGIN_Y + PITCH * u32::from(p.tile.1);
        let _ = writeln!(
            svg,
            "<g class=\"tile {class}\" data-code=\"{code}\"><title>{t}</title>",
            class = status_class(status),
            code = p.code_str(),
            t = escape(&labelled(lang, p.name(lang), status.label(lang))),
        );
        status_square(&mut svg, status, x, y, TILE);
        let name = p.short_name(lang);
        // Japanese short names have at most three characters (48 px); the longest romaji
        // (Kagoshima, Yamaguchi) are 5.2 to 5.5 em wide in the usual fonts, so 11 px, held
        // to the tile's width by textLength where the estimate says they could overflow.
        let (size, max_width) = match lang {
            Lang::Ja => (16.0, f64::from(TILE - 8)),
            Lang::En => (11.0, f64::from(TILE - 6)),
        };
        let _ = write!(
            svg,
            "<text id=\"hpki-ra-map-label-{code}\" x=\"{cx}\" y=\"{cy}\" font-size=\"{size}\" \
             text-anchor=\"middle\" fill=\"{ink}\"",
            code = p.code_str(),
            cx = x + TILE / 2,
            cy = y + TILE / 2 + 10,
            ink = status_ink(status),
        );
        if status == OfficeStatus::NotOpened {
            // A white halo keeps the name off the hatching.
            svg.push_str(" stroke=\"#ffffff\" stroke-width=\"4\" stroke-linejoin=\"round\" paint-order=\"stroke\"");
        }
        if width_em(name) * size > max_width {
            let _ = write!(
                svg,
                " textLength=\"{}\" lengthAdjust=\"spacingAndGlyphs\"",
                num(max_width)
            );
        }
        let _ = writeln!(svg, ">{}</text></g>", escape(name));
    }
    svg.push_str("</g>\n");

    // The seed's note on the statuses, in the sea south-east of Honshu.
    let note: &[&str] = match lang {
        Lang::Ja => &[
            "※「開設済み」は団体登録申請書を提出済みの医師会。",
            "　受付システムを設定し、利用者からの申請を受け付けて",
            "　いるのが「受付可能」の医師会。",
        ],
        Lang::En => &[
            "Registered: the medical association has filed its",
            "registration. Accepting applications: its reception",
            "system is set up and takes applications.",
        ],
    };
    let note_x = MAP_MARGIN_X + PITCH * 6;
    let note_y = MAP_MARGIN_Y + PITCH * (u32::from(TILE_ROWS) - 2) + 8;
    svg.push_str("<g id=\"hpki-ra-map-note\" class=\"note\">\n");
    for (i, line) in note.iter().enumerate() {
        let _ = writeln!(
            svg,
            "<text x=\"{note_x}\" y=\"{y}\" font-size=\"13\" fill=\"{INK_MUTED}\">{t}</text>",
            y = note_y + 20 * i as u32,
            t = escape(line),
        );
    }
    svg.push_str("</g>\n</svg>\n");
    svg
}

/// Draws the square of `status` (a tile, or a legend swatch) at (x, y): its colour, the hatching
/// of [`OfficeStatus::NotOpened`], and the mark of the status in the top right corner — a dot
/// for 受付可能, a ring for 開設済み.
fn status_square(svg: &mut String, status: OfficeStatus, x: u32, y: u32, side: u32) {
    let radius = (side / 10).max(2);
    let _ = write!(
        svg,
        "<rect x=\"{x}\" y=\"{y}\" width=\"{side}\" height=\"{side}\" rx=\"{radius}\" fill=\"{fill}\"",
        fill = status_colour(status),
    );
    if status == OfficeStatus::NotOpened {
        svg.push_str(" stroke=\"#8c8c8c\" stroke-width=\"1\"");
    }
    svg.push_str("/>");
    // The radius of the mark: 5 on a tile, 3.5 on a legend swatch.
    let mark = (f64::from(side) / 12.0).max(3.5);
    let (mx, my) = (f64::from(x + side) - 2.2 * mark, f64::from(y) + 2.2 * mark);
    match status {
        OfficeStatus::NotOpened => {
            let _ = write!(
                svg,
                "<rect x=\"{ix}\" y=\"{iy}\" width=\"{w}\" height=\"{w}\" rx=\"{r}\" fill=\"url(#{HATCH_ID})\"/>",
                ix = x + 1,
                iy = y + 1,
                w = side - 2,
                r = radius.saturating_sub(1),
            );
        }
        OfficeStatus::Registered => {
            let _ = write!(
                svg,
                "<circle class=\"mark\" cx=\"{}\" cy=\"{}\" r=\"{}\" fill=\"none\" stroke=\"{INK}\" stroke-width=\"{}\"/>",
                num(mx),
                num(my),
                num(mark * 0.8),
                num(mark * 0.45),
            );
        }
        OfficeStatus::Accepting => {
            let _ = write!(
                svg,
                "<circle class=\"mark\" cx=\"{}\" cy=\"{}\" r=\"{}\" fill=\"#ffffff\"/>",
                num(mx),
                num(my),
                num(mark),
            );
        }
    }
    svg.push('\n');
}

// ---------------------------------------------------------------------------------------------
// The issuance chart.

/// Plot area of the issuance chart (the right, top and bottom edges; the left edge depends on
/// the width of the y labels).
const PLOT_RIGHT: f64 = 760.0;
const PLOT_TOP: f64 = 92.0;
const PLOT_BOTTOM: f64 = 372.0;

/// The line chart of the total number of cards issued over time, as the seed's
/// 医師資格証発行総数の推移.
///
/// `points` are (date, total issued up to that date): cumulative totals, drawn as given — the
/// function neither accumulates nor smooths them, so a total that goes down (a correction, a
/// series of another kind) shows as a drop. The points are drawn in date order whatever their
/// order in the slice. The x axis is time (month ticks, labelled YYYY/MM, or YYYY-MM in English),
/// the y axis starts at 0 with round ticks (0, 1,000, 2,000 …), the last total is written by its
/// point. Without points the chart says so (データがありません / No data). [`CHART_WIDTH`] ×
/// [`CHART_HEIGHT`].
pub fn issuance_chart_svg(points: &[(Date, u64)], lang: Lang) -> String {
    let mut points = points.to_vec();
    points.sort_by_key(|&(date, _)| date);

    let title = match lang {
        Lang::Ja => "医師資格証 発行枚数の推移",
        Lang::En => "Cards issued (cumulative)",
    };
    let desc = match (points.first(), points.last()) {
        (Some(&(first, _)), Some(&(last, total))) => match lang {
            Lang::Ja => format!(
                "医師資格証の発行枚数の累計の折れ線グラフ。{}から{}まで、{}時点で{}枚。",
                long_date(first, lang),
                long_date(last, lang),
                long_date(last, lang),
                thousands(u128::from(total)),
            ),
            Lang::En => format!(
                "Line chart of the cumulative number of cards issued, from {} to {}: {} cards \
                 on {}.",
                long_date(first, lang),
                long_date(last, lang),
                thousands(u128::from(total)),
                long_date(last, lang),
            ),
        },
        _ => no_data(lang).to_owned(),
    };

    let mut svg = String::with_capacity(12_000);
    open_svg(
        &mut svg,
        "hpki-ra-issued",
        CHART_WIDTH,
        CHART_HEIGHT,
        lang,
        title,
        &desc,
    );
    let _ = writeln!(
        svg,
        "<text x=\"24\" y=\"40\" font-size=\"20\" font-weight=\"bold\" fill=\"{INK}\">{}</text>",
        escape(title)
    );
    // The seed's legend: one series, the total.
    let _ = writeln!(
        svg,
        "<g id=\"hpki-ra-issued-legend\" class=\"legend\"><line x1=\"{x1}\" y1=\"34\" x2=\"{x2}\" y2=\"34\" stroke=\"{SERIES}\" stroke-width=\"3\"/>\
         <circle cx=\"{cx}\" cy=\"34\" r=\"3.5\" fill=\"{SERIES}\"/>\
         <text x=\"{tx}\" y=\"39\" font-size=\"14\" fill=\"{INK}\">{label}</text></g>",
        x1 = PLOT_RIGHT - 110.0,
        x2 = PLOT_RIGHT - 82.0,
        cx = PLOT_RIGHT - 96.0,
        tx = PLOT_RIGHT - 74.0,
        label = match lang {
            Lang::Ja => "合計（累計）",
            Lang::En => "Total issued",
        },
    );

    let max = points.iter().map(|&(_, v)| v).max().unwrap_or(0);
    let (step, top) = nice_scale(max);
    let y_labels: Vec<String> = (0..=top / step).map(|i| thousands(i * step)).collect();
    let label_em = y_labels.iter().map(|l| width_em(l)).fold(0.0, f64::max);
    let plot_left = (label_em * 12.0 + 24.0).max(72.0).round();
    let plot_width = PLOT_RIGHT - plot_left;
    let plot_height = PLOT_BOTTOM - PLOT_TOP;

    // Unit of the y axis, as in the seed: (枚).
    let _ = writeln!(
        svg,
        "<text x=\"{x}\" y=\"{y}\" font-size=\"12\" fill=\"{INK_MUTED}\" text-anchor=\"end\">{unit}</text>",
        x = num(plot_left - 10.0),
        y = num(PLOT_TOP - 16.0),
        unit = match lang {
            Lang::Ja => "（枚）",
            Lang::En => "cards",
        },
    );

    let (Some(&(first, _)), Some(&(last, last_total))) = (points.first(), points.last()) else {
        // The empty state: the frame, and the message in its middle.
        let _ = writeln!(
            svg,
            "<rect x=\"{x}\" y=\"{PLOT_TOP}\" width=\"{w}\" height=\"{h}\" fill=\"#f7f7f7\" stroke=\"{RULE}\"/>\
             <line x1=\"{x}\" y1=\"{PLOT_BOTTOM}\" x2=\"{PLOT_RIGHT}\" y2=\"{PLOT_BOTTOM}\" stroke=\"{INK_MUTED}\"/>\
             <line x1=\"{x}\" y1=\"{PLOT_TOP}\" x2=\"{x}\" y2=\"{PLOT_BOTTOM}\" stroke=\"{INK_MUTED}\"/>\
             <text class=\"empty\" x=\"{cx}\" y=\"{cy}\" font-size=\"18\" text-anchor=\"middle\" fill=\"{INK_MUTED}\">{msg}</text>",
            x = num(plot_left),
            w = num(plot_width),
            h = num(plot_height),
            cx = num(plot_left + plot_width / 2.0),
            cy = num(PLOT_TOP + plot_height / 2.0 + 6.0),
            msg = no_data(lang),
        );
        svg.push_str("</svg>\n");
        return svg;
    };

    // Time axis: from the first date to the last, or 30 days either side of a single date.
    let first_jd = f64::from(first.to_julian_day());
    let last_jd = f64::from(last.to_julian_day());
    let (start_jd, end_jd) = if last_jd > first_jd {
        (first_jd, last_jd)
    } else {
        (first_jd - 30.0, first_jd + 30.0)
    };
    let x_of = |date: Date| {
        plot_left + (f64::from(date.to_julian_day()) - start_jd) / (end_jd - start_jd) * plot_width
    };
    let y_of = |value: u64| PLOT_BOTTOM - value as f64 / top as f64 * plot_height;

    // Grid and y ticks.
    svg.push_str("<g class=\"y-axis\">\n");
    for (i, label) in y_labels.iter().enumerate() {
        let y = PLOT_BOTTOM - i as f64 / (y_labels.len() - 1).max(1) as f64 * plot_height;
        let _ = writeln!(
            svg,
            "<line x1=\"{x1}\" y1=\"{y}\" x2=\"{PLOT_RIGHT}\" y2=\"{y}\" stroke=\"{stroke}\"/>\
             <text x=\"{tx}\" y=\"{ty}\" font-size=\"12\" text-anchor=\"end\" fill=\"{INK_MUTED}\">{label}</text>",
            x1 = num(plot_left),
            y = num(y),
            stroke = if i == 0 { INK_MUTED } else { "#e3e3e3" },
            tx = num(plot_left - 10.0),
            ty = num(y + 4.0),
        );
    }
    svg.push_str("</g>\n");

    // Month ticks; a range within one month has none, its first and last days are labelled.
    svg.push_str("<g class=\"x-axis\">\n");
    let months = month_ticks(start_jd, end_jd);
    let ticks: Vec<(Date, bool)> = if months.is_empty() {
        vec![(first, true), (last, true)]
    } else {
        months.into_iter().map(|d| (d, false)).collect()
    };
    for (date, with_day) in ticks {
        let x = x_of(date);
        let separator = match lang {
            Lang::Ja => '/',
            Lang::En => '-',
        };
        let mut label = format!("{}{separator}{:02}", date.year(), u8::from(date.month()));
        if with_day {
            let _ = write!(label, "{separator}{:02}", date.day());
        }
        let _ = writeln!(
            svg,
            "<line x1=\"{x}\" y1=\"{PLOT_BOTTOM}\" x2=\"{x}\" y2=\"{y2}\" stroke=\"{INK_MUTED}\"/>\
             <text x=\"{x}\" y=\"{ty}\" font-size=\"12\" text-anchor=\"middle\" fill=\"{INK_MUTED}\">{label}</text>",
            x = num(x),
            y2 = PLOT_BOTTOM + 6.0,
            ty = PLOT_BOTTOM + 22.0,
        );
    }
    let _ = writeln!(
        svg,
        "<line x1=\"{x}\" y1=\"{PLOT_TOP}\" x2=\"{x}\" y2=\"{PLOT_BOTTOM}\" stroke=\"{INK_MUTED}\"/>",
        x = num(plot_left),
    );
    svg.push_str("</g>\n");

    // The area under the line, the line, the points.
    let coords: Vec<(f64, f64)> = points.iter().map(|&(d, v)| (x_of(d), y_of(v))).collect();
    let line: Vec<String> = coords
        .iter()
        .map(|&(x, y)| format!("{},{}", num(x), num(y)))
        .collect();
    if let (Some(&(x0, _)), Some(&(xn, _))) = (coords.first(), coords.last()) {
        let _ = writeln!(
            svg,
            "<polygon class=\"area\" points=\"{x0},{b} {line} {xn},{b}\" fill=\"{SERIES}\" fill-opacity=\"0.1\"/>\n\
             <polyline class=\"line\" points=\"{line}\" fill=\"none\" stroke=\"{SERIES}\" stroke-width=\"3\" \
             stroke-linejoin=\"round\" stroke-linecap=\"round\"/>",
            x0 = num(x0),
            xn = num(xn),
            b = num(PLOT_BOTTOM),
            line = line.join(" "),
        );
    }
    let radius = if points.len() <= 60 { 4.0 } else { 2.0 };
    svg.push_str("<g class=\"points\">\n");
    for (&(date, value), &(x, y)) in points.iter().zip(&coords) {
        let _ = writeln!(
            svg,
            "<circle cx=\"{x}\" cy=\"{y}\" r=\"{radius}\" fill=\"{SERIES}\" stroke=\"#ffffff\" stroke-width=\"1.5\">\
             <title>{t}</title></circle>",
            x = num(x),
            y = num(y),
            t = escape(&labelled(
                lang,
                &long_date(date, lang),
                &count_with_unit(value, lang)
            )),
        );
    }
    svg.push_str("</g>\n");

    // The last total, by its point: on the side of the plot with room, above the point when
    // the line comes up to it (or is flat), below when it comes down.
    if let Some(&(x, y)) = coords.last() {
        let (tx, anchor) = if x > plot_left + plot_width / 2.0 {
            (x - 10.0, "end")
        } else {
            (x + 10.0, "start")
        };
        let falling = coords.len() >= 2 && coords[coords.len() - 2].1 < y;
        let ty = if falling && y + 26.0 <= PLOT_BOTTOM - 4.0 {
            y + 26.0
        } else {
            y - 12.0
        };
        let _ = writeln!(
            svg,
            "<text id=\"hpki-ra-issued-last\" class=\"last-value\" x=\"{tx}\" y=\"{ty}\" font-size=\"16\" font-weight=\"bold\" \
             text-anchor=\"{anchor}\" fill=\"{SERIES}\" stroke=\"#ffffff\" stroke-width=\"4\" \
             stroke-linejoin=\"round\" paint-order=\"stroke\">{v}</text>",
            tx = num(tx),
            ty = num(ty),
            v = count_with_unit(last_total, lang),
        );
    }
    svg.push_str("</svg>\n");
    svg
}

/// The first days of the months between two julian days, every 1, 2, 3, 6, 12 … months so that
/// at most eight are labelled, aligned on the calendar (quarters start in January, April …).
fn month_ticks(start_jd: f64, end_jd: f64) -> Vec<Date> {
    let month_index =
        |date: Date| i64::from(date.year()) * 12 + i64::from(u8::from(date.month())) - 1;
    let (Some(start), Some(end)) = (julian(start_jd.ceil()), julian(end_jd.floor())) else {
        return Vec::new();
    };
    let first = month_index(start) + i64::from(start.day() != 1);
    let last = month_index(end);
    if last < first {
        return Vec::new();
    }
    let span = last - first + 1;
    let mut step = 1;
    for candidate in [
        1, 2, 3, 6, 12, 24, 60, 120, 240, 600, 1200, 2400, 6000, 12000,
    ] {
        step = candidate;
        if (span + candidate - 1) / candidate <= 8 {
            break;
        }
    }
    let aligned = first + (step - first.rem_euclid(step)) % step;
    (aligned..=last)
        .step_by(usize::try_from(step).unwrap_or(1))
        .filter_map(|m| {
            let year = i32::try_from(m.div_euclid(12)).ok()?;
            let month = Month::try_from(u8::try_from(m.rem_euclid(12) + 1).ok()?).ok()?;
            Date::from_calendar_date(year, month, 1).ok()
        })
        .collect()
}

fn julian(jd: f64) -> Option<Date> {
    if !jd.is_finite() || jd < f64::from(i32::MIN) || jd > f64::from(i32::MAX) {
        return None;
    }
    Date::from_julian_day(jd as i32).ok()
}

/// A round step for about five ticks from 0 to at least `max`, and the top tick:
/// 1, 2, 2.5 or 5 × 10^k (counts are whole, so the step is at least 1).
fn nice_scale(max: u64) -> (u128, u128) {
    let max = u128::from(max);
    let mut magnitude: u128 = 1;
    loop {
        for factor in [10, 20, 25, 50] {
            let step = magnitude * factor / 10;
            if step == 0 || (factor == 25 && magnitude < 10) {
                continue;
            }
            if max.div_ceil(step) <= 5 {
                let top = max.div_ceil(step).max(1) * step;
                return (step, top);
            }
        }
        magnitude *= 10;
    }
}

// ---------------------------------------------------------------------------------------------
// Pending work.

/// Left edge of the office names, right edge of the name column, left edge of the bars.
const NAME_LEFT: f64 = 24.0;
const NAME_WIDTH: f64 = 232.0;
const BAR_LEFT: f64 = 268.0;
/// Room left for the count after the longest bar.
const BAR_RIGHT: f64 = 704.0;

/// The height of [`pending_work_svg`] for `rows` offices (an empty chart has room for one).
pub fn pending_work_height(rows: usize) -> u32 {
    let rows = u32::try_from(rows.max(1)).unwrap_or(u32::MAX);
    PENDING_BASE_HEIGHT.saturating_add(rows.saturating_mul(PENDING_ROW_HEIGHT))
}

/// Horizontal bars of the applications waiting at each office (審査待ち), one row per
/// (office name, count) in the order given (the caller sorts: by count, by office code …).
///
/// Office names are XML-escaped and shortened with … when longer than the name column (the
/// full name stays in the row's `<title>`); a zero count shows as 0 without a bar. Without rows
/// the chart says so. [`PENDING_WIDTH`] × [`pending_work_height`]`(rows.len())`.
pub fn pending_work_svg(rows: &[(String, u64)], lang: Lang) -> String {
    let height = pending_work_height(rows.len());
    let total: u128 = rows.iter().map(|(_, n)| u128::from(*n)).sum();
    let title = match lang {
        Lang::Ja => "受付審査局別 審査待ちの申請",
        Lang::En => "Pending applications by office",
    };
    let desc = if rows.is_empty() {
        no_data(lang).to_owned()
    } else {
        match lang {
            Lang::Ja => format!(
                "受付審査局ごとの審査待ちの申請件数の横棒グラフ。{}局、合計{}件。",
                rows.len(),
                thousands(total)
            ),
            Lang::En => format!(
                "Bar chart of the applications waiting for review at each office: {} offices, \
                 {} applications in total.",
                rows.len(),
                thousands(total)
            ),
        }
    };
    let mut svg = String::with_capacity(2_000 + rows.len() * 400);
    open_svg(
        &mut svg,
        "hpki-ra-pending",
        PENDING_WIDTH,
        height,
        lang,
        title,
        &desc,
    );
    let _ = writeln!(
        svg,
        "<text x=\"{NAME_LEFT}\" y=\"40\" font-size=\"20\" font-weight=\"bold\" fill=\"{INK}\">{}</text>",
        escape(title)
    );
    let top = 64.0;
    let row_height = f64::from(PENDING_ROW_HEIGHT);
    if rows.is_empty() {
        let _ = writeln!(
            svg,
            "<text class=\"empty\" x=\"{x}\" y=\"{y}\" font-size=\"16\" text-anchor=\"middle\" fill=\"{INK_MUTED}\">{msg}</text>",
            x = f64::from(PENDING_WIDTH) / 2.0,
            y = num(top + row_height / 2.0 + 10.0),
            msg = no_data(lang),
        );
        svg.push_str("</svg>\n");
        return svg;
    }
    let _ = writeln!(
        svg,
        "<text x=\"{right}\" y=\"40\" font-size=\"14\" text-anchor=\"end\" fill=\"{INK_MUTED}\">{}</text>",
        escape(&match lang {
            Lang::Ja => format!("合計 {}件", thousands(total)),
            Lang::En => format!("Total {}", thousands(total)),
        }),
        right = f64::from(PENDING_WIDTH) - NAME_LEFT,
    );
    let max = rows.iter().map(|(_, n)| *n).max().unwrap_or(0);
    let _ = writeln!(
        svg,
        "<line x1=\"{BAR_LEFT}\" y1=\"{top}\" x2=\"{BAR_LEFT}\" y2=\"{bottom}\" stroke=\"{INK_MUTED}\"/>",
        bottom = num(top + 8.0 + row_height * rows.len() as f64),
    );
    for (i, (name, count)) in rows.iter().enumerate() {
        let y = top + 8.0 + row_height * i as f64;
        let clean = sanitize(name);
        let shown = truncate(&clean, NAME_WIDTH / 14.0);
        let bar = if max == 0 {
            0.0
        } else {
            *count as f64 / max as f64 * (BAR_RIGHT - BAR_LEFT)
        };
        let _ = write!(
            svg,
            "<g class=\"row\"><title>{t}</title>\
             <text id=\"hpki-ra-pending-name-{i}\" class=\"office\" x=\"{NAME_LEFT}\" y=\"{ty}\" font-size=\"14\" fill=\"{INK}\">{shown}</text>",
            t = escape(&labelled(lang, &clean, &pending_with_unit(*count, lang))),
            ty = num(y + row_height / 2.0 + 5.0),
            shown = escape(&shown),
        );
        if *count > 0 {
            let _ = write!(
                svg,
                "<rect x=\"{BAR_LEFT}\" y=\"{by}\" width=\"{w}\" height=\"{h}\" fill=\"{SERIES}\"/>",
                by = num(y + 5.0),
                w = num(bar.max(2.0)),
                h = num(row_height - 10.0),
            );
        }
        // The count after its bar, or inside the end of the bar when it would leave the
        // picture (a long bar and a long number), in white there.
        let value = thousands(u128::from(*count));
        let end = BAR_LEFT + if *count > 0 { bar.max(2.0) } else { 0.0 };
        let (x, anchor, ink) =
            if end + 8.0 + width_em(&value) * 14.0 <= f64::from(PENDING_WIDTH) - 8.0 {
                (end + 8.0, "start", INK)
            } else {
                (end - 8.0, "end", "#ffffff")
            };
        let _ = writeln!(
            svg,
            "<text class=\"count\" x=\"{x}\" y=\"{ty}\" font-size=\"14\" font-weight=\"bold\" \
             text-anchor=\"{anchor}\" fill=\"{ink}\">{value}</text></g>",
            x = num(x),
            ty = num(y + row_height / 2.0 + 5.0),
        );
    }
    svg.push_str("</svg>\n");
    svg
}

// ---------------------------------------------------------------------------------------------
// Sample data.

/// The status of the 47 offices in the sample data the docs pictures and the demo use: the
/// seed's map as of 2015-09-01 (地域受付審査局開設状況, 2015年9月1日現在) — red 受付可能 in 40
/// prefectures, yellow 開設済み in 群馬, 滋賀, 奈良 and 和歌山, white 未開設 in 新潟 and 山梨.
/// The seed colours 高知 purple, a colour its text does not explain; it is shown as 開設済み.
pub fn demo_statuses() -> Vec<(u8, OfficeStatus)> {
    PREFECTURES
        .iter()
        .map(|p| {
            let status = match p.code {
                15 | 19 => OfficeStatus::NotOpened,
                10 | 25 | 29 | 30 | 39 => OfficeStatus::Registered,
                _ => OfficeStatus::Accepting,
            };
            (p.code, status)
        })
        .collect()
}

/// The cumulative number of cards issued in the sample data the docs pictures and the demo
/// use: the first day of each month from October 2013 (the JMA certification center opens) to
/// September 2015 (the seed's date), growing to about 3,500 cards. The seed's chart has no
/// numbers in its text: these are invented, plausible figures, not the JMA's.
pub fn demo_issued() -> Vec<(Date, u64)> {
    const TOTALS: [u64; 24] = [
        0, 52, 148, 263, 391, 540, 702, 866, 1020, 1163, 1297, 1428, 1571, 1720, 1864, 1985, 2130,
        2301, 2489, 2672, 2866, 3071, 3266, 3482,
    ];
    let mut out = Vec::with_capacity(TOTALS.len());
    let (mut year, mut month) = (2013, Month::October);
    for total in TOTALS {
        if let Ok(date) = Date::from_calendar_date(year, month, 1) {
            out.push((date, total));
        }
        if month == Month::December {
            year += 1;
        }
        month = month.next();
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Helpers.

/// The opening of every picture: the root element (accessible name from its title and desc),
/// the title and the description, and a white background.
fn open_svg(
    svg: &mut String,
    id: &str,
    width: u32,
    height: u32,
    lang: Lang,
    title: &str,
    desc: &str,
) {
    let _ = write!(
        svg,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" \
         viewBox=\"0 0 {width} {height}\" role=\"img\" aria-labelledby=\"{id}-title {id}-desc\" \
         lang=\"{lang}\" font-family=\"{FONT_FAMILY}\">\n\
         <title id=\"{id}-title\">{title}</title>\n<desc id=\"{id}-desc\">{desc}</desc>\n\
         <rect width=\"{width}\" height=\"{height}\" fill=\"#ffffff\"/>\n",
        lang = match lang {
            Lang::Ja => "ja",
            Lang::En => "en",
        },
        title = escape(title),
        desc = escape(desc),
    );
}

/// "name: value" for a tooltip, with the full-width colon in Japanese (東京都：受付可能).
fn labelled(lang: Lang, name: &str, value: &str) -> String {
    match lang {
        Lang::Ja => format!("{name}：{value}"),
        Lang::En => format!("{name}: {value}"),
    }
}

fn no_data(lang: Lang) -> &'static str {
    match lang {
        Lang::Ja => "データがありません",
        Lang::En => "No data",
    }
}

fn long_date(date: Date, lang: Lang) -> String {
    match lang {
        Lang::Ja => format!(
            "{}年{}月{}日",
            date.year(),
            u8::from(date.month()),
            date.day()
        ),
        Lang::En => format!(
            "{}-{:02}-{:02}",
            date.year(),
            u8::from(date.month()),
            date.day()
        ),
    }
}

fn count_with_unit(value: u64, lang: Lang) -> String {
    match lang {
        Lang::Ja => format!("{}枚", thousands(u128::from(value))),
        Lang::En => thousands(u128::from(value)),
    }
}

fn pending_with_unit(value: u64, lang: Lang) -> String {
    match lang {
        Lang::Ja => format!("{}件", thousands(u128::from(value))),
        Lang::En => format!("{} pending", thousands(u128::from(value))),
    }
}

/// `1234567` as `1,234,567`.
fn thousands(n: u128) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A coordinate with at most one decimal, without a trailing `.0` (and never `-0`).
fn num(v: f64) -> String {
    let s = format!("{:.1}", v);
    let s = s.strip_suffix(".0").unwrap_or(&s);
    if s == "-0" {
        "0".to_owned()
    } else {
        s.to_owned()
    }
}

/// `text` with what XML cannot carry or a one-line label should not: line breaks and tabs
/// become spaces, other control characters and the non-characters U+FFFE/U+FFFF go.
fn sanitize(text: &str) -> String {
    text.chars()
        .filter_map(|c| match c {
            '\t' | '\n' | '\r' => Some(' '),
            '\u{FFFE}' | '\u{FFFF}' => None,
            c if c.is_control() => None,
            c => Some(c),
        })
        .collect()
}

/// `text` escaped for XML character data and attribute values (after [`sanitize`]).
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in sanitize(text).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// Estimated advance of a character in em: DejaVu Sans's (the widest of the usual fonts for
/// Latin text) rounded up, one em for CJK, so that text measured with it fits.
fn char_em(c: char) -> f64 {
    match c {
        'i' | 'j' | 'l' | 'I' | 'J' | ' ' | '.' | ',' | ':' | ';' | '\'' | '!' | '|' => 0.32,
        'f' | 't' | 'r' | '(' | ')' | '[' | ']' | '-' => 0.42,
        'c' | 's' | 'z' => 0.56,
        'm' => 0.98,
        'w' => 0.82,
        'M' | 'W' => 1.0,
        'a'..='z' | '0'..='9' => 0.64,
        'A'..='Z' => 0.78,
        c if c.is_ascii() => 0.84,
        // Half-width katakana.
        '\u{FF61}'..='\u{FF9F}' => 0.5,
        // Latin with diacritics, CJK, kana, full-width forms, symbols.
        _ => 1.0,
    }
}

/// Estimated width of `text` in em.
fn width_em(text: &str) -> f64 {
    text.chars().map(char_em).sum()
}

/// `text` cut to at most `max_em` em, ending in … when it was cut.
fn truncate(text: &str, max_em: f64) -> String {
    if width_em(text) <= max_em {
        return text.to_owned();
    }
    let mut out = String::new();
    let mut width = 0.0;
    for c in text.chars() {
        let w = char_em(c);
        if width + w + 1.0 > max_em {
            break;
        }
        width += w;
        out.push(c);
    }
    let mut out = out.trim_end().to_owned();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    /// WCAG relative luminance of `#rrggbb`.
    fn luminance(hex: &str) -> f64 {
        let channel = |i: usize| {
            let v = f64::from(u8::from_str_radix(&hex[i..i + 2], 16).unwrap_or(0)) / 255.0;
            if v <= 0.039_28 {
                v / 12.92
            } else {
                ((v + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5)
    }

    fn contrast(a: &str, b: &str) -> f64 {
        let (la, lb) = (luminance(a), luminance(b));
        (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
    }

    #[test]
    fn text_on_tiles_meets_wcag_aa() {
        for status in OfficeStatus::ALL {
            let c = contrast(status_ink(status), status_colour(status));
            assert!(c >= 4.5, "{status:?}: {c:.2}");
        }
        for ink in [INK, INK_MUTED, SERIES] {
            assert!(contrast(ink, "#ffffff") >= 4.5, "{ink}");
        }
        // The statuses differ in lightness, not only in hue (colour-blind and greyscale
        // readers): each pair at least 1.5:1 apart.
        let [a, b, c] = OfficeStatus::ALL.map(status_colour);
        for (x, y) in [(a, b), (b, c), (a, c)] {
            assert!(contrast(x, y) >= 1.5, "{x} {y}");
        }
    }

    #[test]
    fn the_grid_fits_the_map() {
        use crate::prefecture::TILE_COLUMNS;
        let right = MAP_MARGIN_X + PITCH * u32::from(TILE_COLUMNS - 1) + TILE;
        let bottom = MAP_MARGIN_Y + PITCH * u32::from(TILE_ROWS - 1) + TILE;
        assert!(right + MAP_MARGIN_X <= MAP_WIDTH, "{right}");
        assert!(bottom + MAP_MARGIN_Y <= MAP_HEIGHT, "{bottom}");
    }

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(
            thousands(u128::from(u64::MAX)),
            "18,446,744,073,709,551,615"
        );
    }

    #[test]
    fn escaping() {
        assert_eq!(escape("<script>&\"'"), "&lt;script&gt;&amp;&quot;&apos;");
        assert_eq!(escape("a\nb\tc\u{0}d\u{FFFF}\u{7}"), "a b cd");
        assert_eq!(escape("東京都医師会"), "東京都医師会");
    }

    #[test]
    fn coordinates() {
        assert_eq!(num(1.0), "1");
        assert_eq!(num(1.25), "1.2");
        assert_eq!(num(-0.01), "0");
        assert_eq!(num(380.0), "380");
    }

    #[test]
    fn nice_scales() {
        assert_eq!(nice_scale(0), (1, 1));
        assert_eq!(nice_scale(1), (1, 1));
        assert_eq!(nice_scale(4), (1, 4));
        assert_eq!(nice_scale(7), (2, 8));
        assert_eq!(nice_scale(100), (20, 100));
        assert_eq!(nice_scale(3482), (1000, 4000));
        assert_eq!(nice_scale(2300), (500, 2500));
        assert_eq!(nice_scale(12_000), (2500, 12_500));
        let (step, top) = nice_scale(u64::MAX);
        assert!(top >= u128::from(u64::MAX) && top / step <= 5);
    }

    #[test]
    fn month_ticks_are_round() {
        let jd = |d: Date| f64::from(d.to_julian_day());
        let ticks = month_ticks(jd(date!(2013 - 10 - 01)), jd(date!(2015 - 09 - 01)));
        assert_eq!(ticks.first(), Some(&date!(2013 - 10 - 01)));
        assert!(ticks.len() <= 8 && ticks.len() >= 6, "{ticks:?}");
        assert!(
            ticks
                .iter()
                .all(|d| d.day() == 1 && u8::from(d.month()) % 3 == 1)
        );
        // A few days: no month start, no tick.
        assert!(month_ticks(jd(date!(2014 - 04 - 02)), jd(date!(2014 - 04 - 20))).is_empty());
        // A century: yearly or rarer ticks, at most eight.
        let long = month_ticks(jd(date!(1950 - 01 - 01)), jd(date!(2050 - 01 - 01)));
        assert!(long.len() <= 8 && long.iter().all(|d| d.month() == Month::January));
    }

    #[test]
    fn truncation() {
        assert_eq!(truncate("日本医師会", 10.0), "日本医師会");
        let long = "あ".repeat(30);
        let cut = truncate(&long, 16.0);
        assert!(cut.ends_with('…') && width_em(&cut) <= 16.0, "{cut}");
        assert_eq!(truncate("abc def ghi jkl", 3.0), "abc…");
    }

    #[test]
    fn deterministic() {
        assert_eq!(
            japan_map_svg(&demo_statuses(), Lang::Ja),
            japan_map_svg(&demo_statuses(), Lang::Ja)
        );
        assert_eq!(
            issuance_chart_svg(&demo_issued(), Lang::En),
            issuance_chart_svg(&demo_issued(), Lang::En)
        );
    }

    #[test]
    fn map_counts_and_defaults() {
        let svg = japan_map_svg(
            &[(13, OfficeStatus::Accepting), (99, OfficeStatus::Accepting)],
            Lang::Ja,
        );
        assert_eq!(svg.matches("class=\"tile ").count(), 47);
        assert_eq!(svg.matches("class=\"tile accepting\"").count(), 1);
        assert_eq!(svg.matches("class=\"tile not-opened\"").count(), 46);
        assert!(svg.contains("<title>東京都：受付可能</title>"));
        assert!(svg.contains("47都道府県のうち未開設 46、開設済み 0、受付可能 1。"));
        // Later entries win.
        let svg = japan_map_svg(
            &[(1, OfficeStatus::Accepting), (1, OfficeStatus::Registered)],
            Lang::En,
        );
        assert!(svg.contains("<title>Hokkaido: Registered</title>"));
    }

    #[test]
    fn demo_data() {
        let statuses = demo_statuses();
        assert_eq!(statuses.len(), 47);
        let n = |s| statuses.iter().filter(|(_, x)| *x == s).count();
        assert_eq!(
            (
                n(OfficeStatus::Accepting),
                n(OfficeStatus::Registered),
                n(OfficeStatus::NotOpened)
            ),
            (40, 5, 2)
        );
        let issued = demo_issued();
        assert_eq!(issued.first().map(|p| p.0), Some(date!(2013 - 10 - 01)));
        assert_eq!(issued.last().map(|p| p.0), Some(date!(2015 - 09 - 01)));
        assert!(
            issued
                .windows(2)
                .all(|w| w[0].0 < w[1].0 && w[0].1 <= w[1].1)
        );
    }

    #[test]
    fn chart_edge_cases() {
        let empty = issuance_chart_svg(&[], Lang::Ja);
        assert!(empty.contains("データがありません"));
        assert!(!empty.contains("<polyline"));
        let one = issuance_chart_svg(&[(date!(2014 - 04 - 15), 12)], Lang::En);
        assert!(one.contains("<polyline") && one.contains(">12</text>"));
        assert!(one.contains(">2014-04</text>") && one.contains(">2014-05</text>"));
        // Within one month: the first and last days are labelled.
        let days = issuance_chart_svg(
            &[(date!(2014 - 04 - 02), 1), (date!(2014 - 04 - 20), 5)],
            Lang::Ja,
        );
        assert!(days.contains(">2014/04/02</text>") && days.contains(">2014/04/20</text>"));
        // Unsorted and decreasing input: drawn in date order, values as given.
        let down = issuance_chart_svg(
            &[
                (date!(2015 - 01 - 01), 500),
                (date!(2014 - 01 - 01), 100),
                (date!(2014 - 07 - 01), 900),
            ],
            Lang::Ja,
        );
        assert!(down.contains(">500枚</text>"));
        let max = issuance_chart_svg(&[(date!(2014 - 01 - 01), u64::MAX)], Lang::En);
        assert!(max.contains("18,446,744,073,709,551,615"));
    }

    #[test]
    fn pending_edge_cases() {
        assert!(pending_work_svg(&[], Lang::En).contains("No data"));
        let svg = pending_work_svg(
            &[
                ("<script>&\"'".to_owned(), 3),
                ("日本医師会".to_owned(), 0),
                ("あ".repeat(40), 7),
            ],
            Lang::Ja,
        );
        assert!(!svg.contains("<script>"));
        assert!(svg.contains("&lt;script&gt;&amp;&quot;&apos;"));
        assert!(svg.contains('…'));
        assert_eq!(svg.matches("class=\"row\"").count(), 3);
        assert_eq!(
            pending_work_height(3),
            PENDING_BASE_HEIGHT + 3 * PENDING_ROW_HEIGHT
        );
        assert!(svg.contains(&format!("height=\"{}\"", pending_work_height(3))));
    }
}
