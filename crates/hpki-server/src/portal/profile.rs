//! The profile page: the issuance items read-only, the doctor's own items edited.

use super::*;

struct ProfileField {
    key: &'static str,
    label: String,
    max: usize,
    value: String,
}

#[derive(Template)]
#[template(path = "portal/profile.html")]
struct ProfilePage {
    lang: Lang,
    title: String,
    signed_in: bool,
    basic: Vec<(String, String, bool)>,
    fields: Vec<ProfileField>,
    csrf: String,
    error: Option<String>,
    message: Option<String>,
}

pub(super) async fn profile(
    State(s): State<Arc<OidcState>>,
    Signed { lang, p }: Signed,
) -> Response {
    render_profile(&s, &p, lang, None, None, None).await
}

async fn render_profile(
    s: &OidcState,
    p: &Portal,
    lang: Lang,
    typed: Option<&[(String, String)]>,
    error: Option<Text>,
    note: Option<Text>,
) -> Response {
    let doctor = match doctor_or_fail(s, p, lang).await {
        Ok(d) => d,
        Err(r) => return r,
    };
    let today = s.provider().today();
    let basic = Item::of(Source::Issuance)
        .map(|i| {
            let v = doctor
                .record
                .value(i, today)
                .map(|v| shown_value(i, &v, lang))
                .unwrap_or_default();
            (i.label().get(lang).to_owned(), v, i == Item::Photo)
        })
        .collect();
    let fields = Item::of(Source::Profile)
        .map(|i| {
            let typed_value = typed.and_then(|t| {
                t.iter()
                    .find(|(k, _)| *k == format!("f.{}", i.key()))
                    .map(|(_, v)| v.clone())
            });
            ProfileField {
                key: i.key(),
                label: i.label().get(lang).to_owned(),
                max: i.max_chars(),
                value: typed_value
                    .unwrap_or_else(|| doctor.record.get(i).unwrap_or_default().to_owned()),
            }
        })
        .collect();
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let page = ProfilePage {
        lang,
        title: lang.pick("プロフィール", "Profile").to_owned(),
        signed_in: true,
        basic,
        fields,
        csrf: p.csrf(),
        error: error.map(|t| t.get(lang).to_owned()),
        message: note.map(|t| t.get(lang).to_owned()),
    };
    p.finish(html(status, page.render()))
}

pub(super) async fn save_profile(
    State(s): State<Arc<OidcState>>,
    SignedForm { lang, p, form }: SignedForm,
) -> Response {
    let edits: Vec<(Item, String)> = form
        .iter()
        .filter_map(|(k, v)| {
            let item = Item::parse(k.strip_prefix("f.")?)?;
            Some((item, v.clone()))
        })
        .collect();
    match s
        .provider()
        .save_profile(&p.session.subscriber_id, &edits)
        .await
    {
        Ok(()) => {
            render_profile(
                &s,
                &p,
                lang,
                None,
                None,
                Some(Text::new("プロフィールを保存しました。", "Profile saved.")),
            )
            .await
        }
        Err(LoginError::BadInput(t)) => {
            render_profile(&s, &p, lang, Some(&form), Some(t), None).await
        }
        Err(e) => refused(lang, &e),
    }
}
