//! The administrator's page of the OpenID provider's relying parties (`/ra/oidc-clients`):
//! the list, registration (the secret shown once), disabling and enabling. The same engine
//! calls as `hpki oidc client …`, audited as the officer.

use super::*;
use hpki_login::client::{ClientKind, SubjectType};
use hpki_provider::Provider;
use hpki_provider::clients::NewClient;

struct ClientTexts {
    title: &'static str,
    intro: &'static str,
    name: &'static str,
    kind: &'static str,
    status: &'static str,
    enabled: &'static str,
    disabled: &'static str,
    enable: &'static str,
    disable: &'static str,
    add: &'static str,
    one_per_line: &'static str,
    public_client: &'static str,
    public_subject: &'static str,
    register: &'static str,
    secret_once: &'static str,
    admins_only: &'static str,
}

const JA: ClientTexts = ClientTexts {
    title: "連携先（OpenID Connect）",
    intro: "医療認証基盤（HPKIログイン）を使う地域医療連携ネットワークなどの登録です。",
    name: "名前（同意画面に表示）",
    kind: "種別",
    status: "状態",
    enabled: "有効",
    disabled: "無効",
    enable: "有効にする",
    disable: "無効にする",
    add: "連携先を登録する",
    one_per_line: "1行に1つ。https（ループバックは http も可）",
    public_client: "公開クライアント（シークレットなし、PKCE 必須）",
    public_subject: "sub に利用者IDを渡す（既定は連携先ごとに異なる番号）",
    register: "登録する",
    secret_once: "client_secret はこの一度だけ表示します。連携先の管理者に安全な方法で渡してください。",
    admins_only: "この画面は管理者だけが使えます。",
};

const EN: ClientTexts = ClientTexts {
    title: "Relying parties (OpenID Connect)",
    intro: "Regional networks and other services that sign doctors in with HPKI login.",
    name: "Name (on the consent screen)",
    kind: "Kind",
    status: "Status",
    enabled: "enabled",
    disabled: "disabled",
    enable: "Enable",
    disable: "Disable",
    add: "Register a relying party",
    one_per_line: "One per line; https (http on the loopback)",
    public_client: "Public client (no secret, PKCE required)",
    public_subject: "Give the subscriber ID as sub (default: a pairwise identifier)",
    register: "Register",
    secret_once: "The client_secret is shown this once: hand it to the relying party's administrator securely.",
    admins_only: "Only administrators may use this page.",
};

struct ClientRow {
    id: String,
    name: String,
    kind: &'static str,
    redirect_uris: String,
    disabled: bool,
}

#[derive(Template)]
#[template(path = "ra/oidc_clients.html")]
pub(super) struct ClientsPage {
    c: Chrome,
    t: &'static ClientTexts,
    c_csrf: String,
    clients: Vec<ClientRow>,
    secret: Option<(String, String)>,
    error: String,
}

#[derive(Deserialize)]
pub(super) struct ClientForm {
    csrf: Option<String>,
    client_id: String,
    name: String,
    redirect_uris: String,
    #[serde(default)]
    post_logout_redirect_uris: String,
    public: Option<String>,
    public_subject: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct CsrfForm {
    csrf: Option<String>,
}

fn admin_only(lang: Lang, officer: &Officer, csrf: &str) -> Option<Response> {
    (!officer.has(Role::Administrator)).then(|| {
        let t = match lang {
            Lang::Ja => &JA,
            Lang::En => &EN,
        };
        error_page(
            lang,
            Some((officer, csrf)),
            &RegistrationError::forbidden(t.admins_only, EN.admins_only),
        )
    })
}

/// What a change on this page needs: an administrator, and the session's CSRF token posted.
fn admin_post(lang: Lang, officer: &Officer, csrf: &str, posted: Option<&str>) -> Option<Response> {
    admin_only(lang, officer, csrf).or_else(|| {
        check_csrf(csrf, posted)
            .err()
            .map(|e| error_page(lang, Some((officer, csrf)), &e))
    })
}

async fn page(
    ra: &Registration,
    lang: Lang,
    officer: &Officer,
    csrf: &str,
    secret: Option<(String, String)>,
    error: String,
    status: StatusCode,
) -> Response {
    let provider = Provider::new(ra.ca().clone());
    let clients = match provider.clients().await {
        Ok(c) => c,
        Err(e) => {
            return error_page(
                lang,
                Some((officer, csrf)),
                &RegistrationError::Internal(e.to_string()),
            );
        }
    };
    render(
        ClientsPage {
            c: chrome(lang, Some((officer, csrf)), "clients", "/ra/oidc-clients"),
            t: match lang {
                Lang::Ja => &JA,
                Lang::En => &EN,
            },
            c_csrf: csrf.to_owned(),
            clients: clients
                .into_iter()
                .map(|c| ClientRow {
                    id: c.client_id,
                    name: c.name,
                    kind: c.kind.as_str(),
                    redirect_uris: c.redirect_uris.join(" "),
                    disabled: c.disabled,
                })
                .collect(),
            secret,
            error,
        },
        status,
        None,
    )
}

pub(super) async fn clients(
    State(ra): State<Registration>,
    SignedIn { officer, csrf }: SignedIn,
    headers: HeaderMap,
    Query(q): Query<LangQuery>,
) -> Response {
    let (lang, _) = lang_of(&headers, q.lang.as_deref());
    if let Some(r) = admin_only(lang, &officer, &csrf) {
        return r;
    }
    page(
        &ra,
        lang,
        &officer,
        &csrf,
        None,
        String::new(),
        StatusCode::OK,
    )
    .await
}

fn lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

pub(super) async fn add_client(
    State(ra): State<Registration>,
    SignedIn { officer, csrf }: SignedIn,
    headers: HeaderMap,
    Form(form): Form<ClientForm>,
) -> Response {
    let (lang, _) = lang_of(&headers, None);
    if let Some(r) = admin_post(lang, &officer, &csrf, form.csrf.as_deref()) {
        return r;
    }
    let new = NewClient {
        client_id: form.client_id.trim().to_owned(),
        name: form.name,
        redirect_uris: lines(&form.redirect_uris),
        post_logout_redirect_uris: lines(&form.post_logout_redirect_uris),
        kind: if form.public.is_some() {
            ClientKind::Public
        } else {
            ClientKind::Confidential
        },
        subject_type: if form.public_subject.is_some() {
            SubjectType::Public
        } else {
            SubjectType::Pairwise
        },
    };
    let provider = Provider::new(ra.ca().clone());
    let added = hpki_ca::Engine::acting_as(&officer.actor(), provider.add_client(&new)).await;
    match added {
        Ok((client, secret)) => {
            let secret = secret.map(|s| (client.client_id, s));
            page(
                &ra,
                lang,
                &officer,
                &csrf,
                secret,
                String::new(),
                StatusCode::OK,
            )
            .await
        }
        // What was typed is refused in words; the page keeps the list (the form is short).
        Err(e) => {
            let message = e.text().get(lang).to_owned();
            page(
                &ra,
                lang,
                &officer,
                &csrf,
                None,
                message,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

pub(super) async fn set_client(
    State(ra): State<Registration>,
    SignedIn { officer, csrf }: SignedIn,
    headers: HeaderMap,
    Path((id, what)): Path<(String, String)>,
    Form(form): Form<CsrfForm>,
) -> Response {
    let (lang, _) = lang_of(&headers, None);
    if let Some(r) = admin_post(lang, &officer, &csrf, form.csrf.as_deref()) {
        return r;
    }
    let disabled = match what.as_str() {
        "disable" => true,
        "enable" => false,
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    let provider = Provider::new(ra.ca().clone());
    match hpki_ca::Engine::acting_as(
        &officer.actor(),
        provider.set_client_disabled(&id, disabled),
    )
    .await
    {
        Ok(()) => Redirect::to("/ra/oidc-clients").into_response(),
        Err(e) => {
            let message = e.text().get(lang).to_owned();
            page(
                &ra,
                lang,
                &officer,
                &csrf,
                None,
                message,
                StatusCode::NOT_FOUND,
            )
            .await
        }
    }
}
