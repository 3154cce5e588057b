//! Card login's pages on the TLS listener ([`crate::tls`]).
//!
//! | route | what |
//! |---|---|
//! | `GET /login/card` | signs in with the client certificate of the TLS connection: who (名前, 資格, 利用者ID) or, with HTTP 403, why not (Japanese; `?lang=en`) |
//!
//! The authentication CA's revocation status comes from its current CRL, the one
//! `GET /crl/auth.crl` serves: re-signed after any revocation, so a card reported lost stops
//! signing in at once.

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use hpki_ca::CaName;
use hpki_provider::{LoginError, Provider, SignedIn};
use hpki_text::{Lang, Localized, Text};
use hpki_verify::RevocationData;
use serde::Deserialize;

use crate::AppState;
use crate::tls::ClientCertificate;

/// The routes.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/login/card", get(card_login))
        .with_state(state)
}

#[derive(Deserialize, Default)]
struct LangQuery {
    lang: Option<String>,
}

struct Texts {
    html_lang: &'static str,
    title: &'static str,
    system: &'static str,
    other_lang: &'static str,
    role: &'static str,
    subscriber_id: &'static str,
    serial: &'static str,
    valid_until: &'static str,
    refused: &'static str,
    help: &'static str,
}

const JA: Texts = Texts {
    html_lang: "ja",
    title: "HPKIカードでログイン",
    system: "日医 医療認証基盤",
    other_lang: "English",
    role: "資格",
    subscriber_id: "利用者ID",
    serial: "証明書シリアル番号",
    valid_until: "証明書の有効期限",
    refused: "ログインできませんでした",
    help: "医師資格証をカードリーダーに置き、ブラウザーを再起動してから、認証用の証明書を選んでやり直してください。",
};

const EN: Texts = Texts {
    html_lang: "en",
    title: "Sign in with the HPKI card",
    system: "JMA medical authentication platform",
    other_lang: "日本語",
    role: "Qualification",
    subscriber_id: "Subscriber ID",
    serial: "Certificate serial number",
    valid_until: "Certificate valid until",
    refused: "Not signed in",
    help: "Put the card in the reader, restart the browser, and choose the card's authentication certificate.",
};

struct SignedInView {
    welcome: String,
    role: String,
    subscriber_id: String,
    serial: String,
    valid_until: String,
}

#[derive(Template)]
#[template(path = "login/card.html")]
struct CardPage {
    t: &'static Texts,
    other_lang_code: &'static str,
    signed_in: Option<SignedInView>,
    reason: String,
}

/// The card login's outcome for the connection's client certificate.
pub(crate) async fn sign_in(
    state: &AppState,
    client: Option<&ClientCertificate>,
) -> Result<SignedIn, LoginError> {
    let Some(chain) = client.and_then(|c| c.0.clone()) else {
        return Err(LoginError::Refused(
            hpki_login::card::Refusal::NoCertificate,
        ));
    };
    let crl = state
        .current_crl(CaName::Auth)
        .await
        .map_err(|e| LoginError::Unavailable(e.to_string()))?;
    let revocation = RevocationData {
        crls: vec![crl.to_vec()],
        ..Default::default()
    };
    Provider::new(state.engine().clone())
        .card_login(&chain, &revocation)
        .await
}

async fn card_login(
    State(state): State<Arc<AppState>>,
    Query(q): Query<LangQuery>,
    client: Option<axum::Extension<ClientCertificate>>,
) -> Response {
    let lang = q.lang.as_deref().and_then(Lang::parse).unwrap_or_default();
    let t = match lang {
        Lang::Ja => &JA,
        Lang::En => &EN,
    };
    let outcome = match &client {
        Some(c) => sign_in(&state, Some(&c.0)).await,
        None => Err(LoginError::Unavailable(
            "this address is plain HTTP; card login is on the server's HTTPS address".into(),
        )),
    };
    let (status, signed_in, reason) = match outcome {
        Ok(s) => {
            let name = s.identity.kanji.family.clone() + &s.identity.kanji.given;
            let welcome = Text::new(
                format!("ようこそ、{name} 先生"),
                format!(
                    "Welcome, Dr. {} {}",
                    s.identity.romaji.given, s.identity.romaji.family
                ),
            );
            let view = SignedInView {
                welcome: welcome.get(lang).to_owned(),
                role: match (&s.identity.hc_role_ja, lang) {
                    (Some(ja), Lang::Ja) => format!("{ja}（{}）", s.identity.hc_role),
                    _ => s.identity.hc_role.clone(),
                },
                subscriber_id: s.subscriber.subscriber_id.clone(),
                serial: s.holder.serial_hex.clone(),
                valid_until: hpki_clock::jst::rfc3339_unix(s.holder.not_after as i64),
            };
            (StatusCode::OK, Some(view), String::new())
        }
        Err(e) => (StatusCode::FORBIDDEN, None, e.text().get(lang).to_owned()),
    };
    let page = CardPage {
        t,
        other_lang_code: lang.other().code(),
        signed_in,
        reason,
    };
    match page.render() {
        Ok(html) => {
            let mut r = (status, Html(html)).into_response();
            r.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            r
        }
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, format!("template: {e}")).into_response(),
    }
}
