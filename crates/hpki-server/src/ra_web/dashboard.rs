//! The dashboard: the doctors' requests from the portal for this office, the map of offices,
//! cards issued over time, pending work.

use super::*;

#[derive(Template)]
#[template(path = "ra/dashboard.html")]
pub(super) struct DashboardPage {
    c: Chrome,
    map: String,
    issued: String,
    pending: String,
    notices: Vec<(String, String, String)>,
}

pub(super) async fn dashboard(
    State(ra): State<Registration>,
    SignedIn { officer, csrf }: SignedIn,
    headers: HeaderMap,
    Query(q): Query<LangQuery>,
) -> Response {
    let (lang, set) = lang_of(&headers, q.lang.as_deref());
    let d = match ra.dashboard().await {
        Ok(d) => d,
        Err(e) => return error_page(lang, Some((&officer, &csrf)), &e),
    };
    let notices = match ra.doctor_notices(&officer).await {
        Ok(n) => n
            .into_iter()
            .map(|n| {
                (
                    hpki_clock::jst::rfc3339_unix(n.at),
                    n.subscriber_id,
                    n.what.get(lang).to_owned(),
                )
            })
            .collect(),
        Err(e) => return error_page(lang, Some((&officer, &csrf)), &e),
    };
    render(
        DashboardPage {
            c: chrome(lang, Some((&officer, &csrf)), "dashboard", "/ra/dashboard"),
            map: hpki_ra::stats::japan_map_svg(&d.statuses, lang),
            issued: hpki_ra::stats::issuance_chart_svg(&d.issued, lang),
            pending: hpki_ra::stats::pending_work_svg(&d.pending, lang),
            notices,
        },
        StatusCode::OK,
        set,
    )
}
