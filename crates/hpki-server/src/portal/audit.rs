//! The doctor's access log: who did what about them.

use super::*;

#[derive(Template)]
#[template(path = "portal/audit.html")]
struct AuditPage {
    lang: Lang,
    title: String,
    signed_in: bool,
    rows: Vec<(String, String, String, String)>,
}

fn action_label(action: &str, lang: Lang) -> String {
    let (ja, en) = match action {
        "login.card" => ("カードでログイン", "signed in with the card"),
        "oidc.session_opened" => (
            "ログイン（連携先・ポータル）",
            "signed in (relying party or portal)",
        ),
        "oidc.session_ended" => ("ログアウト・セッション終了", "session ended"),
        "oidc.consent_granted" => ("連携先への情報提供に同意", "consented to a relying party"),
        "qualification.checked" => ("資格確認を受けた", "qualification checked"),
        "portal.disclosure_changed" => ("開示設定を変更", "disclosure settings changed"),
        "portal.profile_changed" => ("プロフィールを変更", "profile changed"),
        "portal.card_reported_lost" => ("紛失届", "card reported lost"),
        "portal.viewed" => ("会員が閲覧", "viewed by a member"),
        other => (other, other),
    };
    lang.pick(ja, en).to_owned()
}

pub(super) async fn audit(State(s): State<Arc<OidcState>>, Signed { lang, p }: Signed) -> Response {
    let records = match s
        .provider()
        .audit_about(&p.session.subscriber_id, 200)
        .await
    {
        Ok(r) => r,
        Err(e) => return refused(lang, &e),
    };
    let rows = records
        .iter()
        .map(|r| {
            (
                unix(lang, r.at),
                r.actor.clone(),
                action_label(&r.action, lang),
                r.details.clone(),
            )
        })
        .collect();
    let page = AuditPage {
        lang,
        title: lang.pick("閲覧記録", "Access log").to_owned(),
        signed_in: true,
        rows,
    };
    p.finish(html(StatusCode::OK, page.render()))
}
