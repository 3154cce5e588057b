//! A doctor as someone sees them: the portal's previews, `/doctors/{id}` and
//! `GET /api/v1/doctors/{id}` for the doctor, a member or the public.

use super::*;

#[derive(Template)]
#[template(path = "portal/shown.html")]
struct ShownPage {
    lang: Lang,
    title: String,
    signed_in: bool,
    viewer_note: String,
    rows: Vec<(&'static str, String, String, bool)>,
}

fn shown_rows(shown: &[Shown], lang: Lang) -> Vec<(&'static str, String, String, bool)> {
    shown
        .iter()
        .map(|s| {
            (
                s.item.key(),
                s.item.label().get(lang).to_owned(),
                shown_value(s.item, &s.value, lang),
                s.item == Item::Photo,
            )
        })
        .collect()
}

fn viewer_note(viewer: &Viewer, lang: Lang) -> String {
    match viewer {
        Viewer::Holder => lang.pick(
            "本人としての表示（すべての情報）",
            "As yourself (everything)",
        ),
        Viewer::Member => lang.pick(
            "会員（医師資格証でログインした医師）からの見え方",
            "As members (doctors signed in with their card) see this doctor",
        ),
        _ => lang.pick("一般からの見え方", "As the public sees this doctor"),
    }
    .to_owned()
}

pub(super) async fn preview(
    State(s): State<Arc<OidcState>>,
    Query(q): Query<LangQuery>,
    Signed { lang, p }: Signed,
) -> Response {
    let doctor = match doctor_or_fail(&s, &p, lang).await {
        Ok(d) => d,
        Err(r) => return r,
    };
    let viewer = match q.viewer.as_deref() {
        Some("member") => Viewer::Member,
        _ => Viewer::Public,
    };
    let shown = s.provider().view_of(&doctor, &viewer);
    let page = ShownPage {
        lang,
        title: lang.pick("見え方の確認", "Preview").to_owned(),
        signed_in: true,
        viewer_note: viewer_note(&viewer, lang),
        rows: shown_rows(&shown, lang),
    };
    p.finish(html(StatusCode::OK, page.render()))
}

/// The viewer of a request about `subscriber_id`: the doctor themself or a member with a
/// live session (and who), else the public.
async fn viewer_of(
    s: &OidcState,
    headers: &HeaderMap,
    subscriber_id: &str,
) -> (Viewer, Option<String>) {
    let Some(cookie) = cookie_of(headers) else {
        return (Viewer::Public, None);
    };
    let Ok(revocation) = revocation(s).await else {
        return (Viewer::Public, None);
    };
    match s.provider().session(&cookie, &revocation).await {
        Ok(Some(session)) if session.subscriber_id == subscriber_id => {
            (Viewer::Holder, Some(session.subscriber_id))
        }
        Ok(Some(session)) if session.identity.hc_role == hpki_login::qualification::DOCTOR_ROLE => {
            (Viewer::Member, Some(session.subscriber_id))
        }
        _ => (Viewer::Public, None),
    }
}

pub(super) async fn doctor_page(
    State(s): State<Arc<OidcState>>,
    Path(subscriber_id): Path<String>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    let lang = q.lang();
    let (viewer, looker) = viewer_of(&s, &headers, &subscriber_id).await;
    let shown = match s
        .provider()
        .look_at(&subscriber_id, &viewer, looker.as_deref())
        .await
    {
        Ok(Some(shown)) => shown,
        Ok(None) => {
            return message(
                lang,
                StatusCode::NOT_FOUND,
                Text::new("見つかりません", "Not found"),
                Text::new(
                    "この利用者IDの医師はいません。",
                    "No doctor has this subscriber ID.",
                ),
                false,
            );
        }
        Err(e) => return refused(lang, &e),
    };
    let page = ShownPage {
        lang,
        title: lang.pick("医師情報", "Doctor").to_owned(),
        signed_in: viewer != Viewer::Public,
        viewer_note: viewer_note(&viewer, lang),
        rows: shown_rows(&shown, lang),
    };
    let mut r = html(StatusCode::OK, page.render());
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

pub(super) async fn doctor_api(
    State(s): State<Arc<OidcState>>,
    Path(subscriber_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let (viewer, looker) = viewer_of(&s, &headers, &subscriber_id).await;
    match s
        .provider()
        .look_at(&subscriber_id, &viewer, looker.as_deref())
        .await
    {
        Ok(Some(shown)) => {
            let items: serde_json::Map<String, serde_json::Value> = shown
                .iter()
                .map(|s| (s.item.key().to_owned(), json!(s.value)))
                .collect();
            let mut r = axum::Json(json!({"viewer": viewer.kind(), "items": items})).into_response();
            r.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            r
        }
        Ok(None) => (
            StatusCode::NOT_FOUND,
            axum::Json(json!({"error": "not_found",
                "message": {"ja": "この利用者IDの医師はいません。", "en": "No doctor has this subscriber ID."}})),
        )
            .into_response(),
        Err(e) => {
            let t = e.text();
            (
                StatusCode::SERVICE_UNAVAILABLE,
                axum::Json(json!({"error": "unavailable", "message": {"ja": t.ja, "en": t.en}})),
            )
                .into_response()
        }
    }
}
