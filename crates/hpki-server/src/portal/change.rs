//! A change of address (記載事項変更) requested from the portal.

use super::*;

#[derive(Template)]
#[template(path = "portal/change.html")]
struct ChangePage {
    lang: Lang,
    title: String,
    signed_in: bool,
    current: String,
    csrf: String,
    error: Option<String>,
    postal_code: String,
    prefectures: Vec<(u8, &'static str, bool)>,
    city: String,
    building: String,
}

pub(super) async fn change(
    State(s): State<Arc<OidcState>>,
    Signed { lang, p }: Signed,
) -> Response {
    render_change(&s, &p, lang, &[], None).await
}

async fn render_change(
    s: &OidcState,
    p: &Portal,
    lang: Lang,
    typed: &[(String, String)],
    error: Option<Text>,
) -> Response {
    let doctor = match doctor_or_fail(s, p, lang).await {
        Ok(d) => d,
        Err(r) => return r,
    };
    let chosen: Option<u8> = field(typed, "prefecture_code").parse().ok();
    let page = ChangePage {
        lang,
        title: lang.pick("住所変更の申請", "Change of address").to_owned(),
        signed_in: true,
        current: doctor
            .record
            .get(Item::Address)
            .unwrap_or_default()
            .to_owned(),
        csrf: p.csrf(),
        error: error.as_ref().map(|t| t.get(lang).to_owned()),
        postal_code: field(typed, "postal_code").to_owned(),
        prefectures: (1..=47u8)
            .filter_map(hpki_ra::prefecture::prefecture)
            .map(|pr| {
                (
                    pr.code,
                    lang.pick(pr.name_ja, pr.name_en),
                    Some(pr.code) == chosen,
                )
            })
            .collect(),
        city: field(typed, "city").to_owned(),
        building: field(typed, "building").to_owned(),
    };
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    p.finish(html(status, page.render()))
}

pub(super) async fn request_change(
    State(s): State<Arc<OidcState>>,
    SignedForm { lang, p, form }: SignedForm,
) -> Response {
    let address = hpki_ra::application::Address {
        postal_code: field(&form, "postal_code").to_owned(),
        prefecture_code: field(&form, "prefecture_code").parse().ok(),
        city: field(&form, "city").to_owned(),
        building: field(&form, "building").to_owned(),
    };
    let ra = hpki_registration::Registration::new(s.app().engine().clone());
    match ra
        .request_address_change(&p.session.subscriber_id, &address)
        .await
    {
        Ok(id) => p.finish(message(
            lang,
            StatusCode::OK,
            Text::new("住所変更を申請しました", "Change of address requested"),
            Text::new(
                format!("申請番号 {id} で医師会の窓口に届きました。住民票をお持ちのうえ、窓口の案内に従ってください。"),
                format!("Your request (application {id}) went to your medical association's office; bring your residence certificate as they ask."),
            ),
            true,
        )),
        Err(hpki_registration::RegistrationError::BadInput(t)) => {
            render_change(&s, &p, lang, &form, Some(t)).await
        }
        Err(e) => message(
            lang,
            StatusCode::SERVICE_UNAVAILABLE,
            Text::new("申請できませんでした", "Not requested"),
            e.text(),
            true,
        ),
    }
}
