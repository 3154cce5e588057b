//! The QR code for the qualification check.

use super::*;

#[derive(Template)]
#[template(path = "portal/qr.html")]
struct QrPage {
    lang: Lang,
    title: String,
    signed_in: bool,
    svg: String,
    url: String,
    expires: String,
    refresh: u64,
}

pub(super) async fn qr(State(s): State<Arc<OidcState>>, Signed { lang, p }: Signed) -> Response {
    let Some(holder) = &p.session.holder else {
        return refused(
            lang,
            &LoginError::Unavailable("no certificate in the session".into()),
        );
    };
    let (token, expires) = match s
        .provider()
        .qr_token(
            s.keys(),
            &p.session.subscriber_id,
            &holder.serial_hex,
            &holder.role.role,
        )
        .await
    {
        Ok(t) => t,
        Err(e) => return refused(lang, &e),
    };
    let url = format!("{}/check/q/{token}", s.issuer());
    let svg = match qrcode::QrCode::with_error_correction_level(url.as_bytes(), qrcode::EcLevel::L)
    {
        Ok(code) => code
            .render::<qrcode::render::svg::Color<'_>>()
            .min_dimensions(320, 320)
            .build(),
        Err(e) => return refused(lang, &LoginError::Unavailable(e.to_string())),
    };
    let page = QrPage {
        lang,
        title: lang
            .pick("資格確認QRコード", "QR code for the qualification check")
            .to_owned(),
        signed_in: true,
        svg,
        url,
        expires: unix(lang, expires as i64),
        refresh: hpki_provider::qualification::QR_SECONDS * 3 / 4,
    };
    p.finish(html(StatusCode::OK, page.render()))
}
