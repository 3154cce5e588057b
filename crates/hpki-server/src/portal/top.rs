//! The top page: the doctor, the cards with both certificates, fees, notices; 紛失届.

use super::*;

struct CardRow {
    card_id: String,
    status: String,
    active: bool,
    expires: String,
    certificates: Vec<(String, String, String, String)>,
}

#[derive(Template)]
#[template(path = "portal/top.html")]
struct TopPage {
    lang: Lang,
    title: String,
    signed_in: bool,
    name: String,
    role: String,
    subscriber_id: String,
    cards: Vec<CardRow>,
    session_serial: String,
    session_until: String,
    fees: Vec<String>,
    csrf: String,
    message: Option<String>,
}

pub(super) async fn top(State(s): State<Arc<OidcState>>, Signed { lang, p }: Signed) -> Response {
    render_top(&s, &p, lang, None).await
}

async fn render_top(s: &OidcState, p: &Portal, lang: Lang, note: Option<Text>) -> Response {
    let doctor = match doctor_or_fail(s, p, lang).await {
        Ok(d) => d,
        Err(r) => return r,
    };
    let cards = match s.provider().cards_of(&p.session.subscriber_id).await {
        Ok(c) => c,
        Err(e) => return refused(lang, &e),
    };
    let now = s.app().engine().now_unix() as i64;
    let cert_status = |c: &hpki_store::CertificateRecord| -> String {
        match c.status {
            CertStatus::Revoked => lang.pick("失効", "revoked").to_owned(),
            _ if c.not_after <= now => lang.pick("期限切れ", "expired").to_owned(),
            _ => lang.pick("有効", "valid").to_owned(),
        }
    };
    let rows = cards
        .iter()
        .map(|c| CardRow {
            card_id: c.card.card_id.clone(),
            status: match lang {
                Lang::Ja => c.card.status.label_ja().to_owned(),
                Lang::En => c.card.status.as_str().to_owned(),
            },
            active: c.card.status == hpki_store::CardStatus::Active,
            expires: unix(lang, c.card.expires_at),
            certificates: [
                (lang.pick("署名用", "Signing"), &c.sign),
                (lang.pick("認証用", "Authentication"), &c.auth),
            ]
            .into_iter()
            .filter_map(|(label, cert)| {
                cert.as_ref().map(|cert| {
                    (
                        label.to_owned(),
                        cert.serial_hex.clone(),
                        format!(
                            "{} – {}",
                            unix(lang, cert.not_before),
                            unix(lang, cert.not_after)
                        ),
                        cert_status(cert),
                    )
                })
            })
            .collect(),
        })
        .collect();
    let (serial, until) = p
        .session
        .holder
        .as_ref()
        .map(|h| (h.serial_hex.clone(), unix(lang, h.not_after as i64)))
        .unwrap_or_default();
    let fees = match s
        .app()
        .engine()
        .store
        .fees_of(&p.session.subscriber_id)
        .await
    {
        Ok(f) => f
            .iter()
            .map(|f| {
                let status = hpki_registration::fees::FeeStatus::parse(&f.status)
                    .map_or(f.status.as_str(), |st| st.label(lang));
                match lang {
                    Lang::Ja => format!("{}年度 {}円 {status}", f.fiscal_year, f.amount),
                    Lang::En => format!("FY{} ¥{} {status}", f.fiscal_year, f.amount),
                }
            })
            .collect(),
        Err(e) => return refused(lang, &LoginError::Store(e)),
    };
    let name = doctor.record.get(Item::Name).unwrap_or_default().to_owned();
    let page = TopPage {
        lang,
        title: lang.pick("トップ", "Top").to_owned(),
        signed_in: true,
        name,
        role: role_of(&p.session, lang),
        subscriber_id: p.session.subscriber_id.clone(),
        cards: rows,
        session_serial: serial,
        session_until: until,
        fees,
        csrf: p.csrf(),
        message: note.map(|t| t.get(lang).to_owned()),
    };
    p.finish(html(StatusCode::OK, page.render()))
}

pub(super) async fn report_lost(
    State(s): State<Arc<OidcState>>,
    SignedForm { lang, p, form }: SignedForm,
) -> Response {
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    if field("confirm") != Some("yes") {
        return render_top(
            &s,
            &p,
            lang,
            Some(Text::new(
                "紛失届は、確認のチェックを入れてから送信してください。",
                "Tick the confirmation before reporting the card lost.",
            )),
        )
        .await;
    }
    let card_id = field("card_id").unwrap_or_default();
    match s
        .provider()
        .report_lost(&p.session.subscriber_id, card_id)
        .await
    {
        Ok(_) => message(
            lang,
            StatusCode::OK,
            Text::new("紛失届を受け付けました", "Card reported lost"),
            Text::new(
                format!(
                    "カード {card_id} の証明書を失効させました。発行を受けた医師会に連絡が届いています。再発行は医師会の窓口で申請してください。"
                ),
                format!(
                    "The certificates of card {card_id} are revoked; the issuing office has been told. Apply for a new card at the office."
                ),
            ),
            false,
        ),
        Err(e) => refused(lang, &e),
    }
}
