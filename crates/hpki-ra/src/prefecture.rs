//! The 47 prefectures of Japan (都道府県), in the order and with the codes of JIS X 0401.
//!
//! Each prefectural medical association runs a local reception & review office (地域受付審査局),
//! so the prefecture is how offices are found ([`by_name`] reads what an operator types) and how
//! the dashboard draws them: every prefecture has a square on a tile-grid map of Japan
//! ([`Prefecture::tile`]), the kind of map where all prefectures get the same area and sit
//! roughly where they are — 北海道 top right, 東北 down the right side, 関東 bulging east,
//! 九州 bottom left and 沖縄 in the far corner.

use crate::Lang;

/// Width of the tile grid, in tiles: every [`Prefecture::tile`] column is below it.
pub const TILE_COLUMNS: u8 = 13;
/// Height of the tile grid, in tiles: every [`Prefecture::tile`] row is below it.
pub const TILE_ROWS: u8 = 11;

/// The eight regions (地方) the prefectures are usually grouped in.
#[derive(Clone, Copy, Debug, Eq, PartialEq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Region {
    /// 北海道.
    Hokkaido,
    /// 東北: 青森 to 福島.
    Tohoku,
    /// 関東: 茨城 to 神奈川.
    Kanto,
    /// 中部: 新潟 to 愛知.
    Chubu,
    /// 近畿: 三重 to 和歌山.
    Kinki,
    /// 中国: 鳥取 to 山口.
    Chugoku,
    /// 四国: 徳島 to 高知.
    Shikoku,
    /// 九州・沖縄: 福岡 to 沖縄.
    KyushuOkinawa,
}

impl Region {
    /// Every region, north to south (the order of the JIS codes).
    pub const ALL: [Region; 8] = [
        Region::Hokkaido,
        Region::Tohoku,
        Region::Kanto,
        Region::Chubu,
        Region::Kinki,
        Region::Chugoku,
        Region::Shikoku,
        Region::KyushuOkinawa,
    ];

    /// The name of the region in `lang` (北海道, 東北, … / Hokkaido, Tohoku, …).
    pub fn label(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Region::Hokkaido, Lang::Ja) => "北海道",
            (Region::Tohoku, Lang::Ja) => "東北",
            (Region::Kanto, Lang::Ja) => "関東",
            (Region::Chubu, Lang::Ja) => "中部",
            (Region::Kinki, Lang::Ja) => "近畿",
            (Region::Chugoku, Lang::Ja) => "中国",
            (Region::Shikoku, Lang::Ja) => "四国",
            (Region::KyushuOkinawa, Lang::Ja) => "九州・沖縄",
            (Region::Hokkaido, Lang::En) => "Hokkaido",
            (Region::Tohoku, Lang::En) => "Tohoku",
            (Region::Kanto, Lang::En) => "Kanto",
            (Region::Chubu, Lang::En) => "Chubu",
            (Region::Kinki, Lang::En) => "Kinki",
            (Region::Chugoku, Lang::En) => "Chugoku",
            (Region::Shikoku, Lang::En) => "Shikoku",
            (Region::KyushuOkinawa, Lang::En) => "Kyushu-Okinawa",
        }
    }
}

/// One prefecture (都道府県).
#[derive(Clone, Copy, Debug, Eq, PartialEq, Hash)]
pub struct Prefecture {
    /// The JIS X 0401 code, 1 (北海道) to 47 (沖縄県); also ISO 3166-2:JP without the `JP-`.
    pub code: u8,
    /// The full Japanese name, with its suffix: 北海道, 東京都, 大阪府, 青森県, ….
    pub name_ja: &'static str,
    /// The romanised name without suffix or macrons: Hokkaido, Tokyo, Osaka, Aomori, ….
    pub name_en: &'static str,
    /// The region the prefecture belongs to.
    pub region: Region,
    /// (column, row) of its square on the tile-grid map of Japan; column 0 is the west edge,
    /// row 0 the north edge, within [`TILE_COLUMNS`] × [`TILE_ROWS`].
    pub tile: (u8, u8),
}

impl Prefecture {
    /// The code as the two digits JIS X 0401 writes it: `"01"` for 北海道, `"47"` for 沖縄県.
    pub fn code_str(&self) -> String {
        format!("{:02}", self.code)
    }

    /// The full name in `lang`: 東京都 / Tokyo.
    pub fn name(&self, lang: Lang) -> &str {
        match lang {
            Lang::Ja => self.name_ja,
            Lang::En => self.name_en,
        }
    }

    /// The name as it is written where space is short (a map tile, a table column): the
    /// Japanese name without its 都・府・県 suffix (東京, 大阪, 青森; 北海道 stays whole), the
    /// English name as is.
    pub fn short_name(&self, lang: Lang) -> &str {
        match lang {
            Lang::En => self.name_en,
            Lang::Ja => self
                .name_ja
                .strip_suffix(['都', '府', '県'])
                .unwrap_or(self.name_ja),
        }
    }
}

macro_rules! pref {
    ($code:literal, $ja:literal, $en:literal, $region:ident, $col:literal, $row:literal) => {
        Prefecture {
            code: $code,
            name_ja: $ja,
            name_en: $en,
            region: Region::$region,
            tile: ($col, $row),
        }
    };
}

/// The 47 prefectures in JIS X 0401 order: `PREFECTURES[i].code == i + 1`.
///
/// The tile grid (13 × 11) reads, north to south:
///
/// ```text
///                                                                                     北海道
///                                                                              青森
///                                                                       秋田   岩手
///                                                                       山形   宮城
///                                                  石川   富山   新潟   福島
///                      島根   鳥取   兵庫   京都   福井   長野   群馬   栃木   茨城
///               山口   広島   岡山   大阪   滋賀   岐阜   山梨   埼玉   東京   千葉
///        佐賀   福岡                 和歌山 奈良   三重   愛知   静岡   神奈川
/// 長崎   熊本   大分   愛媛   香川
///        鹿児島 宮崎   高知   徳島
/// 沖縄
/// ```
pub const PREFECTURES: [Prefecture; 47] = [
    pref!(1, "北海道", "Hokkaido", Hokkaido, 12, 0),
    pref!(2, "青森県", "Aomori", Tohoku, 11, 1),
    pref!(3, "岩手県", "Iwate", Tohoku, 11, 2),
    pref!(4, "宮城県", "Miyagi", Tohoku, 11, 3),
    pref!(5, "秋田県", "Akita", Tohoku, 10, 2),
    pref!(6, "山形県", "Yamagata", Tohoku, 10, 3),
    pref!(7, "福島県", "Fukushima", Tohoku, 10, 4),
    pref!(8, "茨城県", "Ibaraki", Kanto, 11, 5),
    pref!(9, "栃木県", "Tochigi", Kanto, 10, 5),
    pref!(10, "群馬県", "Gunma", Kanto, 9, 5),
    pref!(11, "埼玉県", "Saitama", Kanto, 9, 6),
    pref!(12, "千葉県", "Chiba", Kanto, 11, 6),
    pref!(13, "東京都", "Tokyo", Kanto, 10, 6),
    pref!(14, "神奈川県", "Kanagawa", Kanto, 10, 7),
    pref!(15, "新潟県", "Niigata", Chubu, 9, 4),
    pref!(16, "富山県", "Toyama", Chubu, 8, 4),
    pref!(17, "石川県", "Ishikawa", Chubu, 7, 4),
    pref!(18, "福井県", "Fukui", Chubu, 7, 5),
    pref!(19, "山梨県", "Yamanashi", Chubu, 8, 6),
    pref!(20, "長野県", "Nagano", Chubu, 8, 5),
    pref!(21, "岐阜県", "Gifu", Chubu, 7, 6),
    pref!(22, "静岡県", "Shizuoka", Chubu, 9, 7),
    pref!(23, "愛知県", "Aichi", Chubu, 8, 7),
    pref!(24, "三重県", "Mie", Kinki, 7, 7),
    pref!(25, "滋賀県", "Shiga", Kinki, 6, 6),
    pref!(26, "京都府", "Kyoto", Kinki, 6, 5),
    pref!(27, "大阪府", "Osaka", Kinki, 5, 6),
    pref!(28, "兵庫県", "Hyogo", Kinki, 5, 5),
    pref!(29, "奈良県", "Nara", Kinki, 6, 7),
    pref!(30, "和歌山県", "Wakayama", Kinki, 5, 7),
    pref!(31, "鳥取県", "Tottori", Chugoku, 4, 5),
    pref!(32, "島根県", "Shimane", Chugoku, 3, 5),
    pref!(33, "岡山県", "Okayama", Chugoku, 4, 6),
    pref!(34, "広島県", "Hiroshima", Chugoku, 3, 6),
    pref!(35, "山口県", "Yamaguchi", Chugoku, 2, 6),
    pref!(36, "徳島県", "Tokushima", Shikoku, 4, 9),
    pref!(37, "香川県", "Kagawa", Shikoku, 4, 8),
    pref!(38, "愛媛県", "Ehime", Shikoku, 3, 8),
    pref!(39, "高知県", "Kochi", Shikoku, 3, 9),
    pref!(40, "福岡県", "Fukuoka", KyushuOkinawa, 2, 7),
    pref!(41, "佐賀県", "Saga", KyushuOkinawa, 1, 7),
    pref!(42, "長崎県", "Nagasaki", KyushuOkinawa, 0, 8),
    pref!(43, "熊本県", "Kumamoto", KyushuOkinawa, 1, 8),
    pref!(44, "大分県", "Oita", KyushuOkinawa, 2, 8),
    pref!(45, "宮崎県", "Miyazaki", KyushuOkinawa, 2, 9),
    pref!(46, "鹿児島県", "Kagoshima", KyushuOkinawa, 1, 9),
    pref!(47, "沖縄県", "Okinawa", KyushuOkinawa, 0, 10),
];

/// The prefecture with JIS X 0401 code `code` (1 to 47), `None` otherwise.
pub fn prefecture(code: u8) -> Option<&'static Prefecture> {
    let index = usize::from(code).checked_sub(1)?;
    PREFECTURES.get(index)
}

/// The prefecture an operator named, `None` if no prefecture has that name.
///
/// Accepted, around any surrounding whitespace: the full Japanese name (東京都), the name
/// without its 都・府・県 suffix (東京; 京都 is 京都府, never 東京都), the English name in any
/// case, with or without macrons (Tokyo, TOKYO, Tōkyō), and the English name with its
/// Japanese suffix or "Prefecture" (Tokyo-to, Osaka-fu, Aichi-ken, Hokkaido-do, Aichi
/// Prefecture).
pub fn by_name(name: &str) -> Option<&'static Prefecture> {
    let name = name.trim();
    if name.is_empty() {
        return None;
    }
    if let Some(p) = PREFECTURES
        .iter()
        .find(|p| p.name_ja == name || p.short_name(Lang::Ja) == name)
    {
        return Some(p);
    }
    let folded = fold_latin(name);
    let bare = [
        "-to",
        "-fu",
        "-ken",
        "-do",
        " prefecture",
        " pref.",
        " pref",
    ]
    .iter()
    .find_map(|suffix| folded.strip_suffix(suffix))
    .map_or(folded.as_str(), str::trim_end);
    PREFECTURES
        .iter()
        .find(|p| p.name_en.eq_ignore_ascii_case(&folded) || p.name_en.eq_ignore_ascii_case(bare))
}

/// Lowercase, with the long vowels of Hepburn romanisation (ō, ū, â, ô, …) written plain.
fn fold_latin(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            'ā' | 'Ā' | 'â' | 'Â' => 'a',
            'ē' | 'Ē' | 'ê' | 'Ê' => 'e',
            'ī' | 'Ī' | 'î' | 'Î' => 'i',
            'ō' | 'Ō' | 'ô' | 'Ô' => 'o',
            'ū' | 'Ū' | 'û' | 'Û' => 'u',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    /// Whether two tiles share an edge.
    fn adjacent(a: &Prefecture, b: &Prefecture) -> bool {
        let (ax, ay) = a.tile;
        let (bx, by) = b.tile;
        ax.abs_diff(bx) + ay.abs_diff(by) == 1
    }

    fn named(name: &str) -> &'static Prefecture {
        by_name(name).unwrap_or_else(|| panic!("{name} not found"))
    }

    #[test]
    fn forty_seven_in_jis_order() {
        assert_eq!(PREFECTURES.len(), 47);
        for (i, p) in PREFECTURES.iter().enumerate() {
            assert_eq!(usize::from(p.code), i + 1, "{}", p.name_ja);
            assert_eq!(prefecture(p.code), Some(p));
        }
        assert_eq!(prefecture(1).map(|p| p.name_ja), Some("北海道"));
        assert_eq!(prefecture(13).map(|p| p.name_ja), Some("東京都"));
        assert_eq!(prefecture(27).map(|p| p.name_en), Some("Osaka"));
        assert_eq!(prefecture(47).map(|p| p.name_ja), Some("沖縄県"));
        assert_eq!(prefecture(0), None);
        assert_eq!(prefecture(48), None);
        assert_eq!(prefecture(u8::MAX), None);
    }

    #[test]
    fn code_strings_have_two_digits() {
        assert_eq!(PREFECTURES[0].code_str(), "01");
        assert_eq!(PREFECTURES[12].code_str(), "13");
        assert_eq!(PREFECTURES[46].code_str(), "47");
    }

    #[test]
    fn names_are_unique_and_well_formed() {
        let mut ja = HashSet::new();
        let mut short = HashSet::new();
        let mut en = HashSet::new();
        for p in &PREFECTURES {
            assert!(ja.insert(p.name_ja), "{}", p.name_ja);
            assert!(short.insert(p.short_name(Lang::Ja)), "{}", p.name_ja);
            assert!(en.insert(p.name_en.to_ascii_lowercase()), "{}", p.name_en);
            assert!(p.name_en.is_ascii(), "{}", p.name_en);
            let suffix_ok = match p.code {
                1 => p.name_ja == "北海道",
                13 => p.name_ja.ends_with('都'),
                26 | 27 => p.name_ja.ends_with('府'),
                _ => p.name_ja.ends_with('県'),
            };
            assert!(suffix_ok, "{}", p.name_ja);
            assert_eq!(p.name(Lang::Ja), p.name_ja);
            assert_eq!(p.name(Lang::En), p.name_en);
        }
    }

    #[test]
    fn short_names() {
        let short = |code| prefecture(code).map(|p| p.short_name(Lang::Ja));
        assert_eq!(short(1), Some("北海道"));
        assert_eq!(short(13), Some("東京"));
        assert_eq!(short(26), Some("京都"));
        assert_eq!(short(27), Some("大阪"));
        assert_eq!(short(14), Some("神奈川"));
        assert_eq!(short(46), Some("鹿児島"));
        assert_eq!(
            prefecture(13).map(|p| p.short_name(Lang::En)),
            Some("Tokyo")
        );
    }

    #[test]
    fn regions_follow_the_codes() {
        let expected = |code: u8| match code {
            1 => Region::Hokkaido,
            2..=7 => Region::Tohoku,
            8..=14 => Region::Kanto,
            15..=23 => Region::Chubu,
            24..=30 => Region::Kinki,
            31..=35 => Region::Chugoku,
            36..=39 => Region::Shikoku,
            _ => Region::KyushuOkinawa,
        };
        for p in &PREFECTURES {
            assert_eq!(p.region, expected(p.code), "{}", p.name_ja);
        }
        for region in Region::ALL {
            assert!(PREFECTURES.iter().any(|p| p.region == region));
            assert!(!region.label(Lang::Ja).is_empty());
            assert!(region.label(Lang::En).is_ascii());
        }
        assert_eq!(Region::KyushuOkinawa.label(Lang::Ja), "九州・沖縄");
    }

    #[test]
    fn tiles_are_unique_and_inside_the_grid() {
        let mut seen = HashSet::new();
        for p in &PREFECTURES {
            assert!(
                p.tile.0 < TILE_COLUMNS && p.tile.1 < TILE_ROWS,
                "{}",
                p.name_ja
            );
            assert!(seen.insert(p.tile), "{} shares {:?}", p.name_ja, p.tile);
        }
        // Every column and row of the grid is used.
        for col in 0..TILE_COLUMNS {
            assert!(PREFECTURES.iter().any(|p| p.tile.0 == col), "column {col}");
        }
        for row in 0..TILE_ROWS {
            assert!(PREFECTURES.iter().any(|p| p.tile.1 == row), "row {row}");
        }
    }

    #[test]
    fn tiles_sit_where_the_prefectures_are() {
        let tile = |name| named(name).tile;
        // The corners: 北海道 top right, 沖縄 bottom left.
        assert_eq!(tile("北海道"), (TILE_COLUMNS - 1, 0));
        assert_eq!(tile("沖縄"), (0, TILE_ROWS - 1));
        // Neighbours share an edge.
        for (a, b) in [
            ("東京", "神奈川"),
            ("東京", "埼玉"),
            ("東京", "千葉"),
            ("青森", "岩手"),
            ("秋田", "岩手"),
            ("山形", "宮城"),
            ("新潟", "福島"),
            ("群馬", "栃木"),
            ("栃木", "茨城"),
            ("長野", "山梨"),
            ("静岡", "神奈川"),
            ("愛知", "三重"),
            ("京都", "滋賀"),
            ("大阪", "兵庫"),
            ("大阪", "和歌山"),
            ("鳥取", "島根"),
            ("広島", "岡山"),
            ("香川", "徳島"),
            ("愛媛", "高知"),
            ("福岡", "佐賀"),
            ("熊本", "鹿児島"),
            ("大分", "宮崎"),
        ] {
            assert!(adjacent(named(a), named(b)), "{a} {b}");
        }
        // Roughly north-east to south-west along the archipelago.
        assert!(tile("青森").1 < tile("東京").1 && tile("東京").1 < tile("鹿児島").1);
        assert!(tile("東京").0 > tile("大阪").0 && tile("大阪").0 > tile("福岡").0);
        // 九州 is west of 四国, 四国 south of 中国.
        assert!(tile("長崎").0 < tile("愛媛").0);
        assert!(tile("香川").1 > tile("岡山").1);
        // Every prefecture of Honshu, Shikoku and Kyushu touches another of its region
        // (or, for the small regions, a neighbouring one): no stray tile.
        for p in PREFECTURES.iter().filter(|p| p.code != 1 && p.code != 47) {
            assert!(
                PREFECTURES.iter().any(|q| adjacent(p, q)),
                "{} is isolated",
                p.name_ja
            );
        }
    }

    #[test]
    fn by_name_accepts_the_usual_forms() {
        for name in [
            "東京都",
            "東京",
            " 東京 ",
            "Tokyo",
            "tokyo",
            "TOKYO",
            "Tōkyō",
            "Tokyo-to",
            "tokyo prefecture",
        ] {
            assert_eq!(by_name(name).map(|p| p.code), Some(13), "{name:?}");
        }
        assert_eq!(by_name("京都").map(|p| p.code), Some(26));
        assert_eq!(by_name("京都府").map(|p| p.code), Some(26));
        assert_eq!(by_name("Kyoto-fu").map(|p| p.code), Some(26));
        assert_eq!(by_name("北海道").map(|p| p.code), Some(1));
        assert_eq!(by_name("Hokkaidō").map(|p| p.code), Some(1));
        assert_eq!(by_name("大阪").map(|p| p.code), Some(27));
        assert_eq!(by_name("Ōita").map(|p| p.code), Some(44));
        assert_eq!(by_name("Aichi-ken").map(|p| p.code), Some(23));
        assert_eq!(by_name("Aichi Prefecture").map(|p| p.code), Some(23));
        assert_eq!(by_name("沖縄県").map(|p| p.code), Some(47));
        for name in [
            "",
            " ",
            "東",
            "都",
            "県",
            "Tokio",
            "Edo",
            "13",
            "東京県",
            "<script>",
        ] {
            assert_eq!(by_name(name), None, "{name:?}");
        }
        for p in &PREFECTURES {
            assert_eq!(by_name(p.name_ja), Some(p));
            assert_eq!(by_name(p.short_name(Lang::Ja)), Some(p));
            assert_eq!(by_name(p.name_en), Some(p));
            assert_eq!(by_name(&p.name_en.to_uppercase()), Some(p));
        }
    }
}
