//! The authorization request (RFC 6749 §4.1.1, OpenID Connect Core §3.1.2.1) and which of its
//! faults go back to the relying party.
//!
//! RFC 6749 §4.1.2.1: "If the request fails due to a missing, invalid, or mismatching
//! redirection URI, or if the client identifier is missing or invalid, the authorization server
//! SHOULD inform the resource owner of the error and MUST NOT automatically redirect the
//! user-agent to the invalid redirection URI." Every other fault is returned to the (then
//! validated) redirect URI with `error` and `state` ([`AuthorizeError::Redirect`]).
//!
//! Only the authorization code flow is offered (`response_type=code`, `response_mode=query`);
//! request objects are refused with `request_not_supported` (Core §6.1) and
//! `request_uri_not_supported` (§6.2). A public client must use PKCE with S256 (RFC 7636,
//! [`crate::pkce`]); a confidential client may.

use hpki_text::{Lang, Text};

use crate::client::{Client, ClientKind};
use crate::oauth_error::{ErrorCode, OAuthError};
use crate::pkce;

/// At most this many parameters in one request.
pub const MAX_PARAMETERS: usize = 32;
/// At most this many octets in one parameter value.
pub const MAX_VALUE_OCTETS: usize = 2048;

/// The `prompt` values (Core §3.1.2.1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Prompt {
    /// `none`: no page may be shown.
    pub none: bool,
    /// `login`: sign in again even within a session.
    pub login: bool,
    /// `consent`: ask for consent again.
    pub consent: bool,
}

/// A valid authorization request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthorizationRequest {
    /// The client.
    pub client: Client,
    /// The redirect URI, one of the client's.
    pub redirect_uri: String,
    /// The scopes asked for that the provider knows, `openid` first.
    pub scopes: Vec<String>,
    /// `state`, returned as given.
    pub state: Option<String>,
    /// `nonce`, put into the ID token.
    pub nonce: Option<String>,
    /// The S256 `code_challenge`.
    pub code_challenge: Option<String>,
    /// `prompt`.
    pub prompt: Prompt,
    /// `max_age`, seconds.
    pub max_age: Option<u64>,
    /// `id_token_hint`, as sent.
    pub id_token_hint: Option<String>,
    /// `login_hint`, as sent (a subscriber ID the relying party expects).
    pub login_hint: Option<String>,
    /// The first of `ui_locales` the provider speaks, if any.
    pub ui_locale: Option<Lang>,
}

/// A refused authorization request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuthorizeError {
    /// Shown to the person; never redirected (unknown client, redirect URI not registered).
    NoRedirect(Text),
    /// Sent to the validated redirect URI as `error`, `error_description` and `state`.
    Redirect {
        /// Where to.
        redirect_uri: String,
        /// The request's `state`.
        state: Option<String>,
        /// The error.
        error: OAuthError,
    },
}

/// The scopes the provider knows (`scopes_supported`).
pub const SCOPES_SUPPORTED: &[&str] =
    &["openid", "profile", "hpki", "hpki_license", "hpki_profile"];

/// Parses and validates an authorization request given as its decoded parameters, finding the
/// client with `client`.
pub fn parse(
    params: &[(String, String)],
    client: impl FnOnce(&str) -> Option<Client>,
) -> Result<AuthorizationRequest, AuthorizeError> {
    let no_redirect = |ja: &str, en: &str| AuthorizeError::NoRedirect(Text::new(ja, en));
    let single = |name: &str| -> Result<Option<&str>, usize> {
        let mut values = params.iter().filter(|(k, _)| k == name).map(|(_, v)| v);
        match (values.next(), values.next()) {
            (None, _) => Ok(None),
            (Some(v), None) => Ok(Some(v.as_str())),
            (Some(_), Some(_)) => Err(2),
        }
    };
    // Client and redirect URI first: until both are known good, nothing is redirected.
    let client_id = match single("client_id") {
        Ok(Some(c)) if !c.is_empty() && c.len() <= MAX_VALUE_OCTETS => c,
        Ok(_) => {
            return Err(no_redirect(
                "client_id がありません。連携先のシステムの設定を確認してください。",
                "client_id is missing: check the relying party's configuration.",
            ));
        }
        Err(_) => {
            return Err(no_redirect(
                "client_id が複数あります。",
                "client_id is repeated.",
            ));
        }
    };
    let client = match client(client_id) {
        Some(c) if !c.disabled => c,
        Some(_) => {
            return Err(no_redirect(
                "この連携先（クライアント）は無効にされています。",
                "This relying party (client) has been disabled.",
            ));
        }
        None => {
            return Err(no_redirect(
                "登録されていない連携先（client_id）です。",
                "Unknown relying party (client_id).",
            ));
        }
    };
    let redirect_uri = match single("redirect_uri") {
        Ok(Some(r)) if client.has_redirect_uri(r) => r.to_owned(),
        Ok(Some(_)) => {
            return Err(no_redirect(
                "redirect_uri が登録されたものと一致しません。不正な転送を防ぐため、ここで止めました。",
                "redirect_uri does not match a registered one; stopped here to prevent an open redirect.",
            ));
        }
        Ok(None) => {
            return Err(no_redirect(
                "redirect_uri がありません（OpenID Connect では必須です）。",
                "redirect_uri is missing (required by OpenID Connect).",
            ));
        }
        Err(_) => {
            return Err(no_redirect(
                "redirect_uri が複数あります。",
                "redirect_uri is repeated.",
            ));
        }
    };
    // `state` goes back with any error, so it is read before the rest is checked; a repeated
    // or oversized one is not echoed.
    let state = single("state")
        .ok()
        .flatten()
        .filter(|s| s.len() <= MAX_VALUE_OCTETS)
        .map(str::to_owned);
    let fail = |code: ErrorCode, why: &str| AuthorizeError::Redirect {
        redirect_uri: redirect_uri.clone(),
        state: state.clone(),
        error: OAuthError::new(code, why),
    };
    if params.len() > MAX_PARAMETERS {
        return Err(fail(ErrorCode::InvalidRequest, "too many parameters"));
    }
    if let Some((k, _)) = params.iter().find(|(_, v)| v.len() > MAX_VALUE_OCTETS) {
        return Err(fail(
            ErrorCode::InvalidRequest,
            &format!("parameter {k} is longer than {MAX_VALUE_OCTETS} octets"),
        ));
    }
    // RFC 6749 §3.1: "Request and response parameters MUST NOT be included more than once."
    for (i, (k, _)) in params.iter().enumerate() {
        if params[..i].iter().any(|(p, _)| p == k) {
            return Err(fail(
                ErrorCode::InvalidRequest,
                &format!("parameter {k} is repeated"),
            ));
        }
    }
    let get = |name: &str| single(name).ok().flatten().filter(|v| !v.is_empty());
    if get("request").is_some() {
        return Err(fail(
            ErrorCode::RequestNotSupported,
            "request objects are not supported",
        ));
    }
    if get("request_uri").is_some() {
        return Err(fail(
            ErrorCode::RequestUriNotSupported,
            "request_uri is not supported",
        ));
    }
    match get("response_type") {
        Some("code") => {}
        Some(_) => {
            return Err(fail(
                ErrorCode::UnsupportedResponseType,
                "only response_type=code is supported",
            ));
        }
        None => return Err(fail(ErrorCode::InvalidRequest, "response_type is missing")),
    }
    if !matches!(get("response_mode"), None | Some("query")) {
        return Err(fail(
            ErrorCode::InvalidRequest,
            "only response_mode=query is supported",
        ));
    }
    let asked: Vec<&str> = get("scope").unwrap_or("").split(' ').collect();
    if !asked.contains(&"openid") {
        return Err(fail(ErrorCode::InvalidScope, "scope must include openid"));
    }
    let mut scopes = vec!["openid".to_owned()];
    for s in SCOPES_SUPPORTED.iter().skip(1) {
        if asked.contains(s) {
            scopes.push((*s).to_owned());
        }
    }
    let code_challenge = match (get("code_challenge"), get("code_challenge_method")) {
        (None, None) if client.kind == ClientKind::Public => {
            return Err(fail(
                ErrorCode::InvalidRequest,
                "a public client must send code_challenge (PKCE, S256)",
            ));
        }
        (None, None) => None,
        (Some(c), Some(pkce::S256)) if pkce::is_s256_challenge(c) => Some(c.to_owned()),
        (Some(_), Some(pkce::S256)) => {
            return Err(fail(
                ErrorCode::InvalidRequest,
                "code_challenge is not a base64url SHA-256 value",
            ));
        }
        (Some(_), None | Some(_)) | (None, Some(_)) => {
            return Err(fail(
                ErrorCode::InvalidRequest,
                "code_challenge_method must be S256",
            ));
        }
    };
    let mut prompt = Prompt::default();
    for p in get("prompt")
        .unwrap_or("")
        .split(' ')
        .filter(|p| !p.is_empty())
    {
        match p {
            "none" => prompt.none = true,
            "login" => prompt.login = true,
            "consent" => prompt.consent = true,
            "select_account" => {}
            other => {
                return Err(fail(
                    ErrorCode::InvalidRequest,
                    &format!("unknown prompt value {other}"),
                ));
            }
        }
    }
    if prompt.none && (prompt.login || prompt.consent) {
        return Err(fail(
            ErrorCode::InvalidRequest,
            "prompt=none cannot be combined with other values",
        ));
    }
    let max_age = match get("max_age") {
        None => None,
        Some(m) => match m.parse::<u64>() {
            Ok(m) => Some(m),
            Err(_) => {
                return Err(fail(
                    ErrorCode::InvalidRequest,
                    "max_age must be a non-negative integer",
                ));
            }
        },
    };
    let ui_locale = get("ui_locales").and_then(|l| {
        l.split(' ')
            .find_map(|tag| Lang::parse(tag.split('-').next().unwrap_or(tag)))
    });
    Ok(AuthorizationRequest {
        client,
        redirect_uri,
        scopes,
        state,
        nonce: get("nonce").map(str::to_owned),
        code_challenge,
        prompt,
        max_age,
        id_token_hint: get("id_token_hint").map(str::to_owned),
        login_hint: get("login_hint").map(str::to_owned),
        ui_locale,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::SubjectType;

    fn client(kind: ClientKind) -> Client {
        Client {
            client_id: "rp1".into(),
            name: "まめネット".into(),
            redirect_uris: vec!["https://rp.example/cb".into()],
            post_logout_redirect_uris: vec![],
            kind,
            subject_type: SubjectType::Pairwise,
            disabled: false,
        }
    }

    fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    fn good() -> Vec<(&'static str, &'static str)> {
        vec![
            ("response_type", "code"),
            ("client_id", "rp1"),
            ("redirect_uri", "https://rp.example/cb"),
            ("scope", "openid profile hpki unknown"),
            ("state", "st"),
            ("nonce", "n-0S6_WzA2Mj"),
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
        ]
    }

    fn with(
        mut base: Vec<(&'static str, &'static str)>,
        k: &'static str,
        v: &'static str,
    ) -> Vec<(String, String)> {
        base.retain(|(p, _)| *p != k);
        base.push((k, v));
        params(&base)
    }

    fn run(
        p: &[(String, String)],
        kind: ClientKind,
    ) -> Result<AuthorizationRequest, AuthorizeError> {
        parse(p, |id| (id == "rp1").then(|| client(kind)))
    }

    fn redirected_code(
        r: Result<AuthorizationRequest, AuthorizeError>,
    ) -> (ErrorCode, Option<String>) {
        match r {
            Err(AuthorizeError::Redirect {
                error,
                state,
                redirect_uri,
            }) => {
                assert_eq!(redirect_uri, "https://rp.example/cb");
                (error.code, state)
            }
            other => panic!("expected a redirected error, got {other:?}"),
        }
    }

    #[test]
    fn a_good_request_keeps_the_known_scopes_in_order() {
        let r = run(&params(&good()), ClientKind::Public).expect("valid");
        assert_eq!(r.scopes, ["openid", "profile", "hpki"]);
        assert_eq!(r.state.as_deref(), Some("st"));
        assert_eq!(r.code_challenge.as_deref(), Some(CHALLENGE));
    }

    #[test]
    fn an_unknown_client_or_unregistered_redirect_uri_is_never_redirected() {
        for p in [
            with(good(), "client_id", "other"),
            with(good(), "redirect_uri", "https://evil.example/cb"),
            with(good(), "redirect_uri", "https://rp.example/cb?x=1"),
            params(
                &good()
                    .into_iter()
                    .filter(|(k, _)| *k != "redirect_uri")
                    .collect::<Vec<_>>(),
            ),
            params(
                &good()
                    .into_iter()
                    .filter(|(k, _)| *k != "client_id")
                    .collect::<Vec<_>>(),
            ),
        ] {
            assert!(
                matches!(
                    run(&p, ClientKind::Public),
                    Err(AuthorizeError::NoRedirect(_))
                ),
                "{p:?}"
            );
        }
        let mut disabled = client(ClientKind::Public);
        disabled.disabled = true;
        assert!(matches!(
            parse(&params(&good()), |_| Some(disabled)),
            Err(AuthorizeError::NoRedirect(_))
        ));
    }

    #[test]
    fn other_faults_go_back_with_state() {
        let cases: Vec<(Vec<(String, String)>, ErrorCode)> = vec![
            (
                with(good(), "response_type", "token"),
                ErrorCode::UnsupportedResponseType,
            ),
            (with(good(), "scope", "profile"), ErrorCode::InvalidScope),
            (
                with(good(), "request", "eyJhbGciOiJub25lIn0.e30."),
                ErrorCode::RequestNotSupported,
            ),
            (
                with(good(), "request_uri", "https://rp.example/req"),
                ErrorCode::RequestUriNotSupported,
            ),
            (
                with(good(), "code_challenge_method", "plain"),
                ErrorCode::InvalidRequest,
            ),
            (
                with(good(), "code_challenge", "short"),
                ErrorCode::InvalidRequest,
            ),
            (
                with(good(), "prompt", "none login"),
                ErrorCode::InvalidRequest,
            ),
            (with(good(), "max_age", "-1"), ErrorCode::InvalidRequest),
            (
                with(good(), "response_mode", "fragment"),
                ErrorCode::InvalidRequest,
            ),
        ];
        for (p, code) in cases {
            assert_eq!(
                redirected_code(run(&p, ClientKind::Public)),
                (code, Some("st".into())),
                "{p:?}"
            );
        }
    }

    #[test]
    fn a_repeated_or_oversized_parameter_is_invalid_request() {
        let mut p = params(&good());
        p.push(("nonce".into(), "again".into()));
        assert_eq!(
            redirected_code(run(&p, ClientKind::Public)).0,
            ErrorCode::InvalidRequest
        );
        let mut p = params(&good());
        p.push(("login_hint".into(), "x".repeat(MAX_VALUE_OCTETS + 1)));
        assert_eq!(
            redirected_code(run(&p, ClientKind::Public)).0,
            ErrorCode::InvalidRequest
        );
        let mut p = params(&good());
        for i in 0..MAX_PARAMETERS {
            p.push((format!("x{i}"), "y".into()));
        }
        assert_eq!(
            redirected_code(run(&p, ClientKind::Public)).0,
            ErrorCode::InvalidRequest
        );
    }

    #[test]
    fn pkce_is_required_of_public_clients_only() {
        let bare: Vec<_> = good()
            .into_iter()
            .filter(|(k, _)| !k.starts_with("code_challenge"))
            .collect();
        assert_eq!(
            redirected_code(run(&params(&bare), ClientKind::Public)).0,
            ErrorCode::InvalidRequest
        );
        let r = run(&params(&bare), ClientKind::Confidential).expect("valid without PKCE");
        assert_eq!(r.code_challenge, None);
    }

    #[test]
    fn prompt_max_age_and_ui_locales_are_read() {
        let mut p = with(good(), "prompt", "login consent");
        p.push(("max_age".into(), "0".into()));
        p.push(("ui_locales".into(), "fr-CA en-US ja".into()));
        let r = run(&p, ClientKind::Public).expect("valid");
        assert!(r.prompt.login && r.prompt.consent && !r.prompt.none);
        assert_eq!(r.max_age, Some(0));
        assert_eq!(r.ui_locale, Some(Lang::En));
    }
}
