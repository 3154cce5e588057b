//! 情報開示・非開示: the settings page and its form (each box, すべて開示, すべて非開示).

use super::*;

struct DisclosureRowView {
    key: &'static str,
    label: String,
    registered: bool,
    members: bool,
    public: bool,
}

#[derive(Template)]
#[template(path = "portal/disclosure.html")]
struct DisclosurePage {
    lang: Lang,
    title: String,
    signed_in: bool,
    tables: Vec<Vec<DisclosureRowView>>,
    csrf: String,
    message: Option<String>,
}

pub(super) async fn disclosure(
    State(s): State<Arc<OidcState>>,
    Signed { lang, p }: Signed,
) -> Response {
    render_disclosure(&s, &p, lang, None).await
}

async fn render_disclosure(s: &OidcState, p: &Portal, lang: Lang, note: Option<Text>) -> Response {
    let doctor = match doctor_or_fail(s, p, lang).await {
        Ok(d) => d,
        Err(r) => return r,
    };
    let table = |source: Source| {
        Item::of(source)
            .map(|item| {
                let d = doctor.settings.get(item);
                DisclosureRowView {
                    key: item.key(),
                    label: item.label().get(lang).to_owned(),
                    registered: doctor.record.has(item),
                    members: d.members,
                    public: d.public,
                }
            })
            .collect()
    };
    let page = DisclosurePage {
        lang,
        title: lang.pick("情報開示・非開示", "Disclosure").to_owned(),
        signed_in: true,
        tables: vec![table(Source::Issuance), table(Source::Profile)],
        csrf: p.csrf(),
        message: note.map(|t| t.get(lang).to_owned()),
    };
    p.finish(html(StatusCode::OK, page.render()))
}

/// The settings a disclosure form asks for: the bulk buttons, or each registered item's two
/// boxes (unregistered items keep what they had: the form shows no boxes for them).
fn settings_from_form(doctor: &Doctor, form: &[(String, String)]) -> Settings {
    let action = form
        .iter()
        .find(|(k, _)| k == "action")
        .map_or("save", |(_, v)| v.as_str());
    match action {
        "all_on" => return Settings::all(true),
        "all_off" => return Settings::all(false),
        _ => {}
    }
    let has = |k: String| form.iter().any(|(f, v)| *f == k && v == "1");
    let mut settings = doctor.settings.clone();
    for item in Item::ALL {
        if doctor.record.has(*item) {
            settings.set(
                *item,
                Disclosure {
                    members: has(format!("m.{}", item.key())),
                    public: has(format!("p.{}", item.key())),
                },
            );
        }
    }
    settings
}

pub(super) async fn save_disclosure(
    State(s): State<Arc<OidcState>>,
    SignedForm { lang, p, form }: SignedForm,
) -> Response {
    let doctor = match doctor_or_fail(&s, &p, lang).await {
        Ok(d) => d,
        Err(r) => return r,
    };
    let settings = settings_from_form(&doctor, &form);
    if let Err(e) = s
        .provider()
        .save_disclosure(&p.session.subscriber_id, &settings)
        .await
    {
        return refused(lang, &e);
    }
    render_disclosure(
        &s,
        &p,
        lang,
        Some(Text::new(
            "開示設定を保存しました。",
            "Disclosure settings saved.",
        )),
    )
    .await
}
