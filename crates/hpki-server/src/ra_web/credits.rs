//! 自己申告の承認 in the officers' web UI: the credits doctors of the officer's office reported
//! in the portal, each approved or rejected once; at HQ, the credits of a medical society or
//! the specialist board imported from a file. The same engine calls as `/api/v1/credits/*`.

use super::*;
use hpki_attendance::Units;
use hpki_provider::Provider;
use hpki_provider::attendance::reported::ImportSource;
use hpki_text::Text;

use crate::attendance::may_decide;

struct PendingLine {
    id: i64,
    name: String,
    date: String,
    title: String,
    units: String,
    code: String,
}

#[derive(Template)]
#[template(path = "ra/credits.html")]
pub(super) struct CreditsPage {
    c: Chrome,
    lang: Lang,
    c_csrf: String,
    pending: Vec<PendingLine>,
    can_import: bool,
    notice: String,
    error: String,
}

async fn credits_page(
    ra: &Registration,
    lang: Lang,
    officer: &Officer,
    csrf: &str,
    notice: String,
    error: String,
    status: StatusCode,
) -> Response {
    if !officer.has(Role::Seminar) {
        return error_page(
            lang,
            Some((officer, csrf)),
            &RegistrationError::forbidden(
                "研修会担当の権限が必要です。",
                "The seminar role is required.",
            ),
        );
    }
    let provider = Provider::new(ra.ca().clone());
    let pending = match provider.pending_credits().await {
        Ok(p) => p,
        Err(e) => {
            return error_page(
                lang,
                Some((officer, csrf)),
                &RegistrationError::Internal(e.to_string()),
            );
        }
    };
    let pending = pending
        .into_iter()
        .filter(|p| may_decide(officer, p.doctor.as_ref().map(|d| d.office_id.as_str())))
        .map(|p| PendingLine {
            id: p.row.entry_id,
            name: p.doctor.map(|d| d.name_kanji).unwrap_or_default(),
            date: p.row.earned_on,
            title: p.row.title,
            units: Units::halves(u32::try_from(p.row.half_units).unwrap_or(0)).to_string(),
            code: p
                .row
                .curriculum_code
                .map(|c| c.to_string())
                .unwrap_or_default(),
        })
        .collect();
    render(
        CreditsPage {
            c: chrome(lang, Some((officer, csrf)), "events", "/ra/credits"),
            lang,
            c_csrf: csrf.to_owned(),
            pending,
            can_import: officer.is_hq(),
            notice,
            error,
        },
        status,
        None,
    )
}

pub(super) async fn credits(
    State(ra): State<Registration>,
    SignedIn { officer, csrf }: SignedIn,
    headers: HeaderMap,
    Query(q): Query<LangQuery>,
) -> Response {
    let (lang, _) = lang_of(&headers, q.lang.as_deref());
    credits_page(
        &ra,
        lang,
        &officer,
        &csrf,
        String::new(),
        String::new(),
        StatusCode::OK,
    )
    .await
}

pub(super) async fn decide(
    State(ra): State<Registration>,
    SignedIn { officer, csrf }: SignedIn,
    headers: HeaderMap,
    Path((id, decision)): Path<(i64, String)>,
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
    let approve = decision == "approve";
    let provider = Provider::new(ra.ca().clone());
    let outcome = match provider.pending_credit(id).await {
        Ok(Some(p)) if may_decide(&officer, p.doctor.as_ref().map(|d| d.office_id.as_str())) => {
            provider.decide_credit(&officer.actor(), id, approve).await
        }
        Ok(_) => Ok(false),
        Err(e) => Err(e),
    };
    match outcome {
        Ok(true) => {
            let n = if approve {
                Text::new("承認しました", "Approved")
            } else {
                Text::new("却下しました", "Rejected")
            };
            credits_page(
                &ra,
                lang,
                &officer,
                &csrf,
                n.get(lang).to_owned(),
                String::new(),
                StatusCode::OK,
            )
            .await
        }
        Ok(false) => {
            let e = Text::new(
                format!("申告 {id} は承認待ちではありません"),
                format!("credit {id} is not waiting for your decision"),
            );
            credits_page(
                &ra,
                lang,
                &officer,
                &csrf,
                String::new(),
                e.get(lang).to_owned(),
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(e) => {
            credits_page(
                &ra,
                lang,
                &officer,
                &csrf,
                String::new(),
                e.text().get(lang).to_owned(),
                StatusCode::SERVICE_UNAVAILABLE,
            )
            .await
        }
    }
}

pub(super) async fn import(
    State(ra): State<Registration>,
    SignedIn { officer, csrf }: SignedIn,
    headers: HeaderMap,
    mut multipart: Multipart,
) -> Response {
    let (lang, _) = lang_of(&headers, None);
    let (mut posted, mut source, mut file) = (None, String::new(), Vec::new());
    while let Ok(Some(field)) = multipart.next_field().await {
        match field.name() {
            Some("csrf") => posted = field.text().await.ok(),
            Some("source") => source = field.text().await.unwrap_or_default(),
            Some("file") => file = field.bytes().await.map(|b| b.to_vec()).unwrap_or_default(),
            _ => {}
        }
    }
    if let Err(e) = check_csrf(&csrf, posted.as_deref()) {
        return error_page(lang, Some((&officer, &csrf)), &e);
    }
    let (Some(source), true) = (
        ImportSource::parse(&source),
        officer.is_hq() && officer.has(Role::Seminar),
    ) else {
        return error_page(
            lang,
            Some((&officer, &csrf)),
            &RegistrationError::forbidden(
                "日本医師会の研修会担当だけが取り込めます。",
                "Only HQ's seminar officers import credits.",
            ),
        );
    };
    match Provider::new(ra.ca().clone())
        .import_credits(&officer.actor(), source, &file)
        .await
    {
        Ok(n) => {
            let t = Text::new(
                format!("{n}件を取り込みました"),
                format!("{n} credits imported"),
            );
            credits_page(
                &ra,
                lang,
                &officer,
                &csrf,
                t.get(lang).to_owned(),
                String::new(),
                StatusCode::OK,
            )
            .await
        }
        Err(e) => {
            credits_page(
                &ra,
                lang,
                &officer,
                &csrf,
                String::new(),
                e.text().get(lang).to_owned(),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}
