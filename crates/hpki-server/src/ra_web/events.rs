//! 研修会 (seminars) in the officers' web UI: the list, a new event with its talks, and each
//! event's page — its talks, reader tokens (shown once, with the command for the reception PC),
//! the organiser's ledger uploaded, the attendance per doctor and the reconciliation's four
//! lists, printable, and the attendance list as CSV. The same engine calls as the JSON API
//! (`/api/v1/attendance/*`), audited as the officer.

use super::*;
use hpki_provider::Provider;
use hpki_provider::attendance::AttendanceError;
use hpki_provider::attendance::events::{EventInput, TalkInput};
use hpki_provider::attendance::report::EventReport;
use hpki_text::Text;

use crate::attendance::{TalkLine, hhmm, may_handle, talk_lines};

/// Rows for talks on the new-event form.
const TALK_ROWS: usize = 8;

pub(super) struct EventTexts {
    title: &'static str,
    intro: &'static str,
    new_event: &'static str,
    name: &'static str,
    venue: &'static str,
    date: &'static str,
    talks: &'static str,
    talk_title: &'static str,
    speaker: &'static str,
    start: &'static str,
    end: &'static str,
    code: &'static str,
    units: &'static str,
    units_hint: &'static str,
    code_hint: &'static str,
    create: &'static str,
    none: &'static str,
    public_page: &'static str,
    readers: &'static str,
    reader_name: &'static str,
    add_reader: &'static str,
    token_once: &'static str,
    ledger: &'static str,
    ledger_hint: &'static str,
    upload: &'static str,
    attendance: &'static str,
    doctor: &'static str,
    stays: &'static str,
    total: &'static str,
    flags: &'static str,
    reconciliation: &'static str,
    matched: &'static str,
    absent: &'static str,
    unregistered: &'static str,
    incomplete: &'static str,
    unknown_cards: &'static str,
    csv: &'static str,
    xlsx: &'static str,
    print: &'static str,
    seminar_only: &'static str,
    no_ledger: &'static str,
    reported: &'static str,
    revoke: &'static str,
    revoked: &'static str,
}

const JA: EventTexts = EventTexts {
    title: "研修会",
    intro: "研修会・講習会の出欠（医師資格証の読み取り）と生涯教育の単位です。",
    new_event: "新しい研修会",
    name: "名称",
    venue: "会場",
    date: "開催日",
    talks: "講演",
    talk_title: "演題",
    speaker: "講師",
    start: "開始",
    end: "終了",
    code: "カリキュラムコード",
    units: "単位",
    units_hint: "空欄なら時間から（1時間=1単位、30分=0.5単位）",
    code_hint: "1〜84。開会挨拶・休憩は空欄（単位なし）",
    create: "登録する",
    none: "まだありません。",
    public_page: "公開ページ",
    readers: "読み取り機",
    reader_name: "読み取り機の名前（入口A、受付PC 2 など）",
    add_reader: "トークンを発行する",
    token_once: "トークンはこの一度だけ表示します。受付PCのファイルに保存し、次のコマンドで読み取りを始めてください。",
    ledger: "帳簿（申込者名簿）",
    ledger_hint: "CSV（UTF-8 または Shift_JIS）。見出し行に「氏名」と「会員ID」または「医籍登録番号」。誤りのある行が1行でもあれば何も取り込みません。",
    upload: "取り込む",
    attendance: "出席者",
    doctor: "氏名",
    stays: "入場・退出",
    total: "合計",
    flags: "注意",
    reconciliation: "突合",
    matched: "申込あり・出席",
    absent: "申込あり・欠席",
    unregistered: "申込なし・出席",
    incomplete: "退出の記録なし",
    unknown_cards: "登録されていないカードの読み取り",
    csv: "出席者一覧（CSV）",
    xlsx: "Excel",
    print: "この画面は印刷できます（ブラウザの印刷機能）。",
    seminar_only: "研修会担当の権限が必要です。",
    no_ledger: "帳簿はまだ取り込まれていません。",
    reported: "自己申告の承認・学会単位の取り込み",
    revoke: "無効にする",
    revoked: "無効",
};

const EN: EventTexts = EventTexts {
    title: "Seminars",
    intro: "Attendance at seminars (cards held to the readers) and lifelong-education units.",
    new_event: "New seminar",
    name: "Title",
    venue: "Venue",
    date: "Date",
    talks: "Talks",
    talk_title: "Talk",
    speaker: "Speaker",
    start: "Start",
    end: "End",
    code: "Curriculum code",
    units: "Units",
    units_hint: "Blank: by length (1 hour = 1 unit, 30 minutes = 0.5)",
    code_hint: "1-84; blank for greetings and breaks (no units)",
    create: "Create",
    none: "None yet.",
    public_page: "Public page",
    readers: "Readers",
    reader_name: "Reader name (Entrance A, Reception PC 2, …)",
    add_reader: "Issue a token",
    token_once: "The token is shown this once: save it to a file on the reception PC and start reading with the command below.",
    ledger: "Ledger (registered participants)",
    ledger_hint: "CSV (UTF-8 or Shift_JIS) with a header: 氏名 and 会員ID or 医籍登録番号. One bad row and nothing is imported.",
    upload: "Import",
    attendance: "Attendance",
    doctor: "Name",
    stays: "In / out",
    total: "Total",
    flags: "Notes",
    reconciliation: "Reconciliation",
    matched: "Registered and present",
    absent: "Registered, absent",
    unregistered: "Present, not registered",
    incomplete: "No exit recorded",
    unknown_cards: "Cards not in the register",
    csv: "Attendance list (CSV)",
    xlsx: "Excel",
    print: "This page prints as it is (the browser's print).",
    seminar_only: "The seminar role is required.",
    no_ledger: "No ledger imported yet.",
    reported: "Reported credits; imports from societies",
    revoke: "Revoke",
    revoked: "revoked",
};

fn t(lang: Lang) -> &'static EventTexts {
    match lang {
        Lang::Ja => &JA,
        Lang::En => &EN,
    }
}

fn attendance_error(lang: Lang, officer: &Officer, csrf: &str, e: &AttendanceError) -> Response {
    let status = match e {
        AttendanceError::NoEvent(_) => StatusCode::NOT_FOUND,
        AttendanceError::Store(_) => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::BAD_REQUEST,
    };
    render(
        ErrorPage {
            c: chrome(lang, Some((officer, csrf)), "events", "/ra/events"),
            message: e.text().get(lang).to_owned(),
        },
        status,
        None,
    )
}

/// Nothing, if `officer` may manage (`write`) or read the event `id`; else the page that says
/// why not.
async fn handled(
    provider: &Provider,
    lang: Lang,
    officer: &Officer,
    csrf: &str,
    id: i64,
    write: bool,
) -> Result<(), Response> {
    match provider.event(id).await {
        Ok(e) if may_handle(officer, &e, write) => Ok(()),
        Ok(_) => Err(forbidden(lang, officer, csrf)),
        Err(e) => Err(attendance_error(lang, officer, csrf, &e)),
    }
}

fn forbidden(lang: Lang, officer: &Officer, csrf: &str) -> Response {
    error_page(
        lang,
        Some((officer, csrf)),
        &RegistrationError::forbidden(JA.seminar_only, EN.seminar_only),
    )
}

struct EventRow {
    id: i64,
    date: String,
    title: String,
    venue: String,
    office: String,
}

#[derive(Template)]
#[template(path = "ra/events.html")]
pub(super) struct EventsPage {
    c: Chrome,
    t: &'static EventTexts,
    c_csrf: String,
    events: Vec<EventRow>,
    can_create: bool,
    error: String,
    /// The new-event form: event fields, then the talk rows (title, speaker, start, end, code, units).
    form: (String, String, String),
    rows: Vec<[String; 6]>,
}

async fn events_page(
    ra: &Registration,
    lang: Lang,
    officer: &Officer,
    csrf: &str,
    error: String,
    form: &[(String, String)],
    status: StatusCode,
) -> Response {
    let provider = Provider::new(ra.ca().clone());
    let events = match provider.events().await {
        Ok(e) => e,
        Err(e) => return attendance_error(lang, officer, csrf, &e),
    };
    let get = |k: &str| {
        form.iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let rows = (1..=TALK_ROWS)
        .map(|i| {
            ["title", "speaker", "start", "end", "code", "units"].map(|f| get(&format!("t{i}_{f}")))
        })
        .collect();
    render(
        EventsPage {
            c: chrome(lang, Some((officer, csrf)), "events", "/ra/events"),
            t: t(lang),
            c_csrf: csrf.to_owned(),
            events: events
                .into_iter()
                .filter(|e| may_handle(officer, e, false))
                .map(|e| EventRow {
                    id: e.event_id,
                    date: e.event_date,
                    title: e.title,
                    venue: e.venue,
                    office: e.office_id,
                })
                .collect(),
            can_create: officer.has(Role::Seminar),
            error,
            form: (get("title"), get("venue"), get("date")),
            rows,
        },
        status,
        None,
    )
}

pub(super) async fn events(
    State(ra): State<Registration>,
    SignedIn { officer, csrf }: SignedIn,
    headers: HeaderMap,
    Query(q): Query<LangQuery>,
) -> Response {
    let (lang, set) = lang_of(&headers, q.lang.as_deref());
    let mut r = events_page(
        &ra,
        lang,
        &officer,
        &csrf,
        String::new(),
        &[],
        StatusCode::OK,
    )
    .await;
    if let Some(c) = set {
        r.headers_mut().append(header::SET_COOKIE, c);
    }
    r
}

/// The event of the posted form (blank talk rows skipped).
fn event_input(form: &[(String, String)]) -> EventInput {
    let get = |k: &str| {
        form.iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default()
    };
    let talks = (1..=TALK_ROWS)
        .filter(|i| {
            !get(&format!("t{i}_title")).is_empty() || !get(&format!("t{i}_start")).is_empty()
        })
        .map(|i| {
            let f = |name: &str| get(&format!("t{i}_{name}"));
            TalkInput {
                title: f("title"),
                speaker: f("speaker"),
                start: f("start"),
                end: f("end"),
                // A code that is not a number is passed as 0, refused in words by the engine.
                code: Some(f("code"))
                    .filter(|c| !c.is_empty())
                    .map(|c| c.parse().unwrap_or(0)),
                units: Some(f("units")).filter(|u| !u.is_empty()),
                occupational: None,
            }
        })
        .collect();
    EventInput {
        title: get("title"),
        venue: get("venue"),
        date: get("date"),
        talks,
    }
}

pub(super) async fn create_event(
    State(ra): State<Registration>,
    SignedIn { officer, csrf }: SignedIn,
    headers: HeaderMap,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let (lang, _) = lang_of(&headers, None);
    let posted = form
        .iter()
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.as_str());
    if let Err(e) = check_csrf(&csrf, posted) {
        return error_page(lang, Some((&officer, &csrf)), &e);
    }
    if !officer.has(Role::Seminar) {
        return forbidden(lang, &officer, &csrf);
    }
    let provider = Provider::new(ra.ca().clone());
    match provider
        .create_event(&officer.actor(), &officer.office.id, &event_input(&form))
        .await
    {
        Ok(id) => Redirect::to(&format!("/ra/events/{id}")).into_response(),
        // Refused in words; everything typed is kept.
        Err(e) => {
            events_page(
                &ra,
                lang,
                &officer,
                &csrf,
                e.text().get(lang).to_owned(),
                &form,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

struct AttendeeLine {
    name: String,
    member_id: String,
    license_no: String,
    stays: String,
    talks: Vec<String>,
    total: String,
    flags: String,
}

#[derive(Template)]
#[template(path = "ra/event.html")]
pub(super) struct EventPage {
    c: Chrome,
    t: &'static EventTexts,
    c_csrf: String,
    id: i64,
    title: String,
    facts: Vec<(&'static str, String)>,
    talks: Vec<TalkLine>,
    can_manage: bool,
    new_token: Option<String>,
    command: String,
    notice: String,
    error: String,
    ledger_rows: usize,
    attendees: Vec<AttendeeLine>,
    /// The four lists: (label, names).
    lists: Vec<(&'static str, Vec<String>)>,
    unknown: Vec<String>,
    /// The readers: number, name, revoked.
    readers: Vec<(i64, String, bool)>,
}

#[allow(clippy::too_many_arguments)]
async fn event_page(
    ra: &Registration,
    lang: Lang,
    officer: &Officer,
    csrf: &str,
    id: i64,
    new_token: Option<String>,
    notice: String,
    error: String,
    status: StatusCode,
) -> Response {
    let provider = Provider::new(ra.ca().clone());
    let report: EventReport = match provider.event(id).await {
        Ok(e) if !may_handle(officer, &e, false) => return forbidden(lang, officer, csrf),
        Ok(_) => match provider.event_report(id).await {
            Ok(r) => r,
            Err(e) => return attendance_error(lang, officer, csrf, &e),
        },
        Err(e) => return attendance_error(lang, officer, csrf, &e),
    };
    let tx = t(lang);
    let e = &report.event;
    let time = |s: i64| hhmm(s);
    let attendees = report
        .attendees
        .iter()
        .map(|a| AttendeeLine {
            name: a.name.clone(),
            member_id: a.member_id.clone().unwrap_or_default(),
            license_no: a.license_no.clone(),
            stays: a
                .stays
                .iter()
                .map(|s| {
                    format!(
                        "{}–{}",
                        time(s.entry),
                        s.exit.map_or_else(|| "?".to_owned(), time)
                    )
                })
                .collect::<Vec<_>>()
                .join(" "),
            talks: a.talks.iter().map(|c| c.units.to_string()).collect(),
            total: a.units.to_string(),
            flags: a.flags.join(" "),
        })
        .collect();
    let rec = &report.reconciliation;
    let row = |r: &hpki_attendance::ledger::LedgerRow| match lang {
        Lang::Ja => format!("{}（{}行目）", r.name, r.line),
        Lang::En => format!("{} (line {})", r.name, r.line),
    };
    let lists = vec![
        (
            tx.matched,
            rec.matched.iter().map(|(r, _)| row(r)).collect(),
        ),
        (tx.absent, rec.absent.iter().map(row).collect()),
        (
            tx.unregistered,
            rec.unregistered.iter().map(|a| a.name.clone()).collect(),
        ),
        (
            tx.incomplete,
            rec.incomplete.iter().map(|(_, a)| a.name.clone()).collect(),
        ),
    ];
    let readers = match provider.readers(id).await {
        Ok(r) => r
            .into_iter()
            .map(|r| (r.reader_id, r.label, r.revoked_at.is_some()))
            .collect(),
        Err(e) => return attendance_error(lang, officer, csrf, &e),
    };
    let base = ra
        .ca()
        .config
        .public_base_url
        .trim_end_matches('/')
        .to_owned();
    render(
        EventPage {
            c: chrome(
                lang,
                Some((officer, csrf)),
                "events",
                &format!("/ra/events/{id}"),
            ),
            t: tx,
            c_csrf: csrf.to_owned(),
            id,
            title: e.title.clone(),
            facts: vec![(tx.date, e.event_date.clone()), (tx.venue, e.venue.clone())],
            talks: talk_lines(e),
            can_manage: may_handle(officer, e, true),
            command: format!(
                "hpki-reader run --server {base} --token-file reader-token --event {id}"
            ),
            new_token,
            notice,
            error,
            ledger_rows: report.ledger_rows,
            attendees,
            lists,
            readers,
            unknown: report
                .unknown_taps
                .iter()
                .map(|t| {
                    format!(
                        "{} {}",
                        hhmm(t.tapped_at),
                        t.uid.clone().or(t.card_id.clone()).unwrap_or_default()
                    )
                })
                .collect(),
        },
        status,
        None,
    )
}

pub(super) async fn event(
    State(ra): State<Registration>,
    SignedIn { officer, csrf }: SignedIn,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Query(q): Query<LangQuery>,
) -> Response {
    let (lang, _) = lang_of(&headers, q.lang.as_deref());
    event_page(
        &ra,
        lang,
        &officer,
        &csrf,
        id,
        None,
        String::new(),
        String::new(),
        StatusCode::OK,
    )
    .await
}

pub(super) async fn add_reader(
    State(ra): State<Registration>,
    SignedIn { officer, csrf }: SignedIn,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let (lang, _) = lang_of(&headers, None);
    let field = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    if let Err(e) = check_csrf(&csrf, field("csrf")) {
        return error_page(lang, Some((&officer, &csrf)), &e);
    }
    let provider = Provider::new(ra.ca().clone());
    if let Err(r) = handled(&provider, lang, &officer, &csrf, id, true).await {
        return r;
    }
    match provider
        .create_reader(&officer.actor(), id, field("label").unwrap_or_default())
        .await
    {
        Ok(r) => {
            event_page(
                &ra,
                lang,
                &officer,
                &csrf,
                id,
                Some(r.token),
                String::new(),
                String::new(),
                StatusCode::OK,
            )
            .await
        }
        Err(e) => {
            event_page(
                &ra,
                lang,
                &officer,
                &csrf,
                id,
                None,
                String::new(),
                e.text().get(lang).to_owned(),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

pub(super) async fn upload_ledger(
    State(ra): State<Registration>,
    SignedIn { officer, csrf }: SignedIn,
    headers: HeaderMap,
    Path(id): Path<i64>,
    mut multipart: Multipart,
) -> Response {
    let (lang, _) = lang_of(&headers, None);
    let mut posted_csrf = None;
    let mut file = Vec::new();
    while let Ok(Some(field)) = multipart.next_field().await {
        match field.name() {
            Some("csrf") => posted_csrf = field.text().await.ok(),
            Some("ledger") => file = field.bytes().await.map(|b| b.to_vec()).unwrap_or_default(),
            _ => {}
        }
    }
    if let Err(e) = check_csrf(&csrf, posted_csrf.as_deref()) {
        return error_page(lang, Some((&officer, &csrf)), &e);
    }
    let provider = Provider::new(ra.ca().clone());
    if let Err(r) = handled(&provider, lang, &officer, &csrf, id, true).await {
        return r;
    }
    match provider.import_ledger(&officer.actor(), id, &file).await {
        Ok(n) => {
            let notice = Text::new(
                format!("帳簿を取り込みました（{n}行）"),
                format!("ledger imported ({n} rows)"),
            );
            event_page(
                &ra,
                lang,
                &officer,
                &csrf,
                id,
                None,
                notice.get(lang).to_owned(),
                String::new(),
                StatusCode::OK,
            )
            .await
        }
        Err(e) => {
            event_page(
                &ra,
                lang,
                &officer,
                &csrf,
                id,
                None,
                String::new(),
                e.text().get(lang).to_owned(),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

async fn export(
    format: crate::attendance::Export,
    State(ra): State<Registration>,
    SignedIn { officer, csrf }: SignedIn,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Response {
    let (lang, _) = lang_of(&headers, None);
    let provider = Provider::new(ra.ca().clone());
    if let Err(r) = handled(&provider, lang, &officer, &csrf, id, false).await {
        return r;
    }
    match provider.event_report(id).await {
        Ok(r) => crate::attendance::export_response(id, &r, format),
        Err(e) => attendance_error(lang, &officer, &csrf, &e),
    }
}

pub(super) async fn revoke_reader(
    State(ra): State<Registration>,
    SignedIn { officer, csrf }: SignedIn,
    headers: HeaderMap,
    Path((id, reader)): Path<(i64, i64)>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let (lang, _) = lang_of(&headers, None);
    let posted = form
        .iter()
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.as_str());
    if let Err(e) = check_csrf(&csrf, posted) {
        return error_page(lang, Some((&officer, &csrf)), &e);
    }
    let provider = Provider::new(ra.ca().clone());
    if let Err(r) = handled(&provider, lang, &officer, &csrf, id, true).await {
        return r;
    }
    match provider.revoke_reader(&officer.actor(), id, reader).await {
        Ok(_) => {
            let n = Text::new(
                format!("読み取り機 {reader} を無効にしました"),
                format!("reader {reader} revoked"),
            );
            event_page(
                &ra,
                lang,
                &officer,
                &csrf,
                id,
                None,
                n.get(lang).to_owned(),
                String::new(),
                StatusCode::OK,
            )
            .await
        }
        Err(e) => attendance_error(lang, &officer, &csrf, &e),
    }
}

pub(super) async fn csv(
    state: State<Registration>,
    signed: SignedIn,
    headers: HeaderMap,
    id: Path<i64>,
) -> Response {
    export(crate::attendance::Export::Csv, state, signed, headers, id).await
}

pub(super) async fn xlsx(
    state: State<Registration>,
    signed: SignedIn,
    headers: HeaderMap,
    id: Path<i64>,
) -> Response {
    export(crate::attendance::Export::Xlsx, state, signed, headers, id).await
}
