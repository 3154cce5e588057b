//! Signing in and out: the login page, the password check with its lockout, the session cookie.

use super::*;

#[derive(Template)]
#[template(path = "ra/login.html")]
pub(super) struct LoginPage {
    c: Chrome,
    error: Option<String>,
    login: String,
}

pub(super) async fn login_page(headers: HeaderMap, Query(q): Query<LangQuery>) -> Response {
    let (lang, set) = lang_of(&headers, q.lang.as_deref());
    render(
        LoginPage {
            c: chrome(lang, None, "login", "/ra/login"),
            error: None,
            login: String::new(),
        },
        StatusCode::OK,
        set,
    )
}

#[derive(Deserialize)]
pub(super) struct LoginForm {
    login: String,
    password: String,
}

pub(super) async fn login(
    State(ra): State<Registration>,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    let (lang, _) = lang_of(&headers, None);
    match ra.sign_in(f.login.trim(), &f.password).await {
        Ok((cookie_value, _, _)) => {
            let mut r = Redirect::to("/ra/").into_response();
            if let Ok(v) = HeaderValue::from_str(&format!(
                "{SESSION_COOKIE}={cookie_value}; Path=/ra; HttpOnly; SameSite=Strict; Max-Age={SESSION_SECONDS}"
            )) {
                r.headers_mut().append(header::SET_COOKIE, v);
            }
            r
        }
        Err(e) => {
            let (status, _) = crate::ra_api::classify(&e);
            render(
                LoginPage {
                    c: chrome(lang, None, "login", "/ra/login"),
                    error: Some(e.text().get(lang).to_owned()),
                    login: f.login,
                },
                status,
                None,
            )
        }
    }
}

#[derive(Deserialize)]
pub(super) struct CsrfForm {
    csrf: Option<String>,
}

pub(super) async fn logout(
    State(ra): State<Registration>,
    headers: HeaderMap,
    Form(f): Form<CsrfForm>,
) -> Response {
    if let Ok((_, csrf)) = signed_in(&ra, &headers).await
        && check_csrf(&csrf, f.csrf.as_deref()).is_ok()
        && let Some(c) = cookie(&headers, SESSION_COOKIE)
    {
        let _ = ra.sign_out(c).await;
    }
    let mut r = Redirect::to("/ra/login").into_response();
    r.headers_mut().append(
        header::SET_COOKIE,
        HeaderValue::from_static(
            "hpki_ra_session=; Path=/ra; HttpOnly; SameSite=Strict; Max-Age=0",
        ),
    );
    r
}
