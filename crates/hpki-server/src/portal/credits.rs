//! 生涯教育: the doctor's credits, at once after a tap — this fiscal year's units and distinct
//! curriculum codes, the progress towards the 日医生涯教育認定証 as a bar, each year of the
//! three-year window, the history of talks attended (with how each talk's units came about),
//! credits awaiting the office, and the curriculum code areas not yet covered.

use hpki_attendance::Units;
use hpki_attendance::certificate::REQUIRED;
use hpki_attendance::talk::Outcome;

use super::*;

struct HistoryLine {
    date: String,
    title: String,
    event: String,
    code: String,
    units: String,
    how: String,
}

#[derive(Template)]
#[template(path = "portal/credits.html")]
struct CreditsPage {
    lang: Lang,
    title: String,
    signed_in: bool,
    fiscal_year: i32,
    year_units: String,
    year_codes: usize,
    first_year: i32,
    last_year: i32,
    window_units: String,
    window_codes: usize,
    score: String,
    required: u32,
    met: bool,
    /// The bar's filled width, percent (0–100).
    percent: u32,
    years: Vec<(i32, String, usize)>,
    history: Vec<HistoryLine>,
    pending: Vec<HistoryLine>,
    missing: Vec<String>,
    csrf: String,
    error: Option<String>,
    message: Option<String>,
    /// What the doctor typed into the report form (date, title, units, code), kept on refusal.
    typed: [String; 4],
    /// 日医認定産業医 over the last five years.
    occupational: Option<OccupationalBox>,
}

/// 日医認定産業医: (kind, units) of 更新・実地・専門, the total, whether renewal is met.
type OccupationalBox = (Vec<(String, String)>, String, bool);

fn outcome_label(o: Option<Outcome>, minutes: Option<i64>, lang: Lang) -> String {
    match (o, lang) {
        (Some(Outcome::Full), _) => lang.pick("全時間出席", "whole talk").to_owned(),
        (Some(Outcome::Partial), Lang::Ja) => format!("在席 {} 分", minutes.unwrap_or(0)),
        (Some(Outcome::Partial), Lang::En) => format!("{} minutes present", minutes.unwrap_or(0)),
        (Some(Outcome::Nothing), Lang::Ja) => {
            format!("在席 {} 分（単位なし）", minutes.unwrap_or(0))
        }
        (Some(Outcome::Nothing), Lang::En) => {
            format!("{} minutes present (no units)", minutes.unwrap_or(0))
        }
        (Some(Outcome::NotCredited), _) => "—".to_owned(),
        (None, _) => String::new(),
    }
}

fn code_label(code: Option<hpki_attendance::CurriculumCode>) -> String {
    code.map_or_else(|| "—".to_owned(), hpki_attendance::CurriculumCode::label)
}

pub(super) async fn credits(
    State(s): State<Arc<OidcState>>,
    Signed { lang, p }: Signed,
) -> Response {
    credits_page(&s, lang, p, None, None, Default::default()).await
}

/// 自己申告: a credit the doctor reports (e-learning, a paper), waiting for the office.
pub(super) async fn report_credit(
    State(s): State<Arc<OidcState>>,
    SignedForm { lang, p, form }: SignedForm,
) -> Response {
    let typed = ["date", "title", "units", "code"].map(|k| field(&form, k).to_owned());
    let input = hpki_provider::attendance::reported::CreditInput {
        date: typed[0].clone(),
        title: typed[1].clone(),
        units: typed[2].clone(),
        code: Some(typed[3].clone()).filter(|c| !c.trim().is_empty()),
        ..Default::default()
    };
    match s
        .provider()
        .report_credit(&p.session.subscriber_id, &input)
        .await
    {
        Ok(_) => {
            let m = lang.pick(
                "申告しました。医師会の承認後に単位に加わります。",
                "Reported: the units count once your association approves them.",
            );
            credits_page(&s, lang, p, None, Some(m.to_owned()), Default::default()).await
        }
        Err(e) => {
            let e = e.text().get(lang).to_owned();
            let mut r = credits_page(&s, lang, p, Some(e), None, typed).await;
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            r
        }
    }
}

async fn credits_page(
    s: &OidcState,
    lang: Lang,
    p: Portal,
    error: Option<String>,
    notice: Option<String>,
    typed: [String; 4],
) -> Response {
    let today = s.provider().today();
    let c = match s
        .provider()
        .doctor_credits(&p.session.subscriber_id, today)
        .await
    {
        Ok(c) => c,
        Err(e) => {
            return message(
                lang,
                StatusCode::SERVICE_UNAVAILABLE,
                Text::new("表示できません", "Not available"),
                e.text(),
                true,
            );
        }
    };
    let date = |d: time::Date| match lang {
        Lang::Ja => format!("{}年{}月{}日", d.year(), u8::from(d.month()), d.day()),
        Lang::En => d.to_string(),
    };
    let line = |l: &hpki_provider::attendance::credits::CreditLine| HistoryLine {
        date: date(l.entry.date),
        title: l.entry.title.clone(),
        event: l
            .event
            .clone()
            .unwrap_or_else(|| l.entry.source.label().get(lang).to_owned()),
        code: code_label(l.entry.code),
        units: l.entry.units.to_string(),
        how: outcome_label(l.outcome, l.minutes_present, lang),
    };
    let history: Vec<HistoryLine> = c.history.iter().rev().map(line).collect();
    let pending = c
        .pending
        .iter()
        .map(|e| HistoryLine {
            date: date(e.date),
            title: e.title.clone(),
            event: e.source.label().get(lang).to_owned(),
            code: code_label(e.code),
            units: e.units.to_string(),
            how: lang.pick("承認待ち", "awaiting approval").to_owned(),
        })
        .collect();
    let years = c
        .years
        .iter()
        .filter(|y| (c.certificate.first_year..=c.certificate.last_year).contains(&y.fiscal_year))
        .map(|y| (y.fiscal_year, y.units.to_string(), y.codes.len()))
        .collect();
    let percent = (c.certificate.score_halves * 100 / (REQUIRED * 2)).min(100);
    let page = CreditsPage {
        lang,
        title: lang
            .pick(
                "生涯教育（受講履歴・取得単位）",
                "Lifelong education: history and units",
            )
            .to_owned(),
        signed_in: true,
        fiscal_year: c.this_year.fiscal_year,
        year_units: c.this_year.units.to_string(),
        year_codes: c.this_year.codes.len(),
        first_year: c.certificate.first_year,
        last_year: c.certificate.last_year,
        window_units: c.certificate.units.to_string(),
        window_codes: c.certificate.codes.len(),
        score: Units::halves(c.certificate.score_halves).to_string(),
        required: REQUIRED,
        met: c.certificate.met,
        percent,
        years,
        history,
        pending,
        missing: c
            .certificate
            .missing_codes()
            .into_iter()
            .map(hpki_attendance::CurriculumCode::label)
            .collect(),
        occupational: c.occupational.as_ref().map(|r| {
            (
                r.by_kind
                    .iter()
                    .map(|(k, u)| (k.label().get(lang).to_owned(), u.to_string()))
                    .collect(),
                r.units.to_string(),
                r.met,
            )
        }),
        csrf: p.csrf(),
        error,
        message: notice,
        typed,
    };
    p.finish(html(StatusCode::OK, page.render()))
}

#[derive(Deserialize)]
pub(super) struct YearQuery {
    year: Option<i32>,
    lang: Option<String>,
}

/// 学習単位取得証: the doctor's units and codes of one fiscal year (`?year=`, this one by
/// default) as an A4 PDF, set in the server's CJK font.
pub(super) async fn certificate(
    State(s): State<Arc<OidcState>>,
    Query(q): Query<YearQuery>,
    Signed { lang, p }: Signed,
) -> Response {
    let _ = q.lang;
    let unavailable = |t: Text| {
        message(
            lang,
            StatusCode::SERVICE_UNAVAILABLE,
            Text::new("発行できません", "Not available"),
            t,
            true,
        )
    };
    let today = s.provider().today();
    let year = q
        .year
        .unwrap_or_else(|| hpki_clock::jst::fiscal_year(today));
    let (credits, doctor) = match (
        s.provider()
            .doctor_credits(&p.session.subscriber_id, today)
            .await,
        s.provider().doctor(&p.session.subscriber_id).await,
    ) {
        (Ok(c), Ok(Some(d))) => (c, d),
        (Err(e), _) => return unavailable(e.text()),
        (_, Err(e)) => return unavailable(e.text()),
        (_, Ok(None)) => return unavailable(Text::new("登録されていません", "not registered")),
    };
    let summary = credits.years.iter().find(|y| y.fiscal_year == year);
    let certificate = hpki_cardface::UnitsCertificate {
        name: doctor.record.get(Item::Name).unwrap_or_default().to_owned(),
        license_no: doctor
            .record
            .get(Item::LicenseNumber)
            .unwrap_or_default()
            .to_owned(),
        member_id: doctor
            .record
            .get(Item::MemberId)
            .map(str::to_owned)
            .filter(|m| !m.is_empty()),
        fiscal_year: year,
        units: summary.map_or_else(|| "0".to_owned(), |y| y.units.to_string()),
        codes: summary
            .map(|y| y.codes.iter().map(|c| (c.number(), c.name().ja)).collect())
            .unwrap_or_default(),
        issued: today,
        issuer: "公益社団法人 日本医師会".to_owned(),
    };
    let font = hpki_cardface::find_system_cjk_font().and_then(|f| std::fs::read(f).ok());
    let Some(font) = font else {
        return unavailable(Text::new(
            "サーバーに日本語フォントがありません（HPKI_CJK_FONT）",
            "the server has no Japanese font (HPKI_CJK_FONT)",
        ));
    };
    let pdf = hpki_cardface::Fonts::from_bytes(font)
        .and_then(|fonts| hpki_cardface::render_units_certificate_pdf(&certificate, &fonts));
    match pdf {
        Ok(bytes) => {
            let mut r = bytes.into_response();
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/pdf"),
            );
            if let Ok(v) = HeaderValue::from_str(&format!("inline; filename=\"units-{year}.pdf\""))
            {
                r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
            }
            p.finish(r)
        }
        Err(e) => unavailable(Text::new("PDF を作れません", e.to_string())),
    }
}
