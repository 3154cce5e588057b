//! The officer's work queue and the search by name or 医籍登録番号.

use super::*;

pub(super) struct Row {
    id: i64,
    name: String,
    kana: String,
    license: String,
    stage: &'static str,
    stage_label: &'static str,
    office: String,
    updated: String,
}

#[derive(Template)]
#[template(path = "ra/list.html")]
pub(super) struct ListPage {
    c: Chrome,
    title: &'static str,
    search: bool,
    q: String,
    stages: Vec<(&'static str, &'static str, bool)>,
    rows: Vec<Row>,
    count: String,
    empty: &'static str,
}

pub(super) fn time_text(unix: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix)
        .map(|t| {
            let t = t.to_offset(hpki_clock::jst::OFFSET);
            format!(
                "{:04}-{:02}-{:02} {:02}:{:02}",
                t.year(),
                u8::from(t.month()),
                t.day(),
                t.hour(),
                t.minute()
            )
        })
        .unwrap_or_default()
}

pub(super) async fn rows(
    ra: &Registration,
    lang: Lang,
    list: Vec<hpki_store::ApplicationRecord>,
) -> Vec<Row> {
    let offices = ra.offices().await.unwrap_or_default();
    list.into_iter()
        .map(|r| {
            let stage = Stage::parse(&r.stage).unwrap_or(Stage::Draft);
            let office = offices
                .iter()
                .find(|o| o.id == r.office_id)
                .map(|o| {
                    if lang == Lang::Ja {
                        o.name_ja.clone()
                    } else {
                        o.name_en.clone()
                    }
                })
                .unwrap_or(r.office_id.clone());
            Row {
                id: r.id,
                name: if r.name_kanji.is_empty() {
                    "—".into()
                } else {
                    r.name_kanji
                },
                kana: r.name_kana,
                license: r.license_number,
                stage: stage.as_str(),
                stage_label: stage.label(lang),
                office,
                updated: time_text(r.updated_at),
            }
        })
        .collect()
}

pub(super) async fn queue(
    State(ra): State<Registration>,
    SignedIn { officer, csrf }: SignedIn,
    headers: HeaderMap,
    Query(q): Query<LangQuery>,
) -> Response {
    let (lang, set) = lang_of(&headers, q.lang.as_deref());
    let stages = Registration::queue_stages(&officer);
    let list = if stages.is_empty() {
        Vec::new()
    } else {
        match ra.list(&officer, &stages, None).await {
            Ok(l) => l,
            Err(e) => return error_page(lang, Some((&officer, &csrf)), &e),
        }
    };
    let mut c = chrome(lang, Some((&officer, &csrf)), "queue", "/ra/");
    c.notice = notice_text(c.t, q.notice.as_deref());
    let t = c.t;
    render(
        ListPage {
            c,
            title: t.queue_title,
            search: false,
            q: String::new(),
            stages: Vec::new(),
            count: t.count.replace("{}", &list.len().to_string()),
            rows: rows(&ra, lang, list).await,
            empty: t.queue_empty,
        },
        StatusCode::OK,
        set,
    )
}

#[derive(Deserialize, Default)]
pub(super) struct SearchQuery {
    q: Option<String>,
    stage: Option<String>,
    lang: Option<String>,
}

pub(super) async fn search(
    State(ra): State<Registration>,
    SignedIn { officer, csrf }: SignedIn,
    headers: HeaderMap,
    Query(q): Query<SearchQuery>,
) -> Response {
    let (lang, set) = lang_of(&headers, q.lang.as_deref());
    let stage = q.stage.as_deref().and_then(Stage::parse);
    let text = q.q.clone().unwrap_or_default();
    let list = match ra
        .list(
            &officer,
            stage.as_slice(),
            Some(text.as_str()).filter(|s| !s.trim().is_empty()),
        )
        .await
    {
        Ok(l) => l,
        Err(e) => return error_page(lang, Some((&officer, &csrf)), &e),
    };
    let c = chrome(lang, Some((&officer, &csrf)), "search", "/ra/search");
    let t = c.t;
    render(
        ListPage {
            c,
            title: t.search_title,
            search: true,
            q: text,
            stages: Stage::ALL
                .iter()
                .map(|s| (s.as_str(), s.label(lang), Some(*s) == stage))
                .collect(),
            count: t.count.replace("{}", &list.len().to_string()),
            rows: rows(&ra, lang, list).await,
            empty: t.nothing_found,
        },
        StatusCode::OK,
        set,
    )
}
