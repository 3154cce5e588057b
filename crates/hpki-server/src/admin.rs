//! The operator interface: activation of the CA keys by their custodians, and issuance.
//!
//! Served on its own listener (`hpki serve --admin-listen`), which must be a loopback address:
//! custodians' passphrases and issuance requests never cross the network in the clear. Being
//! local is not a credential: any process of the machine reaches a loopback port. Every route
//! but a custodian's presentation (whose passphrase is the credential, with its own lock, see
//! `hpki_ca::attempts`) takes an operator token, `Authorization: Bearer TOKEN`: an API token
//! (`hpki ra officer token`) of an officer with the CA operator role at headquarters. Without
//! one the answer is 401 and nothing is done; every action is audited as that officer.
//!
//! | route | what |
//! |---|---|
//! | `GET /admin/activation` | where custody stands (JSON); operator token |
//! | `POST /admin/activation` | a custodian presents their share: `{"custodian","passphrase"}` |
//! | `DELETE /admin/activation` | lock the CA keys again; operator token |
//! | `POST /admin/issue/{sign,auth}` | issue from `{"csr": PEM, "subject": {…}}`; operator token; refused (409) until activated |

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use hpki_ca::{CaError, CaName, Engine};
use hpki_registration::{Officer, Registration, RegistrationError};
use hpki_text::Localized;
use serde::Deserialize;
use serde_json::json;

/// A custodian presenting their share.
#[derive(Deserialize)]
struct Presentation {
    custodian: String,
    passphrase: String,
}

/// An issuance request.
#[derive(Deserialize)]
struct IssueRequest {
    /// PKCS#10, PEM.
    csr: String,
    /// The subject, as in `hpki ca issue --subject`.
    subject: serde_json::Value,
}

/// What the operator routes share: the CA engine, and the registration authority that knows the
/// operators' tokens.
#[derive(Clone)]
struct Admin {
    engine: Arc<Engine>,
    ra: Registration,
}

/// The operator router over `engine`.
pub fn router(engine: Arc<Engine>) -> Router {
    let ra = Registration::new(engine.clone());
    Router::new()
        .route(
            "/admin/activation",
            get(status).post(present).delete(deactivate),
        )
        .route("/admin/issue/{ca}", post(issue))
        .with_state(Admin { engine, ra })
}

/// The operator of the request: the officer of its bearer token, a CA operator at headquarters;
/// else the refusal to send (401 without a valid token, 403 for another officer).
async fn operator(admin: &Admin, headers: &HeaderMap) -> Result<Officer, Response> {
    let token = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty());
    let refused = |status: StatusCode, e: RegistrationError| {
        let t = e.text();
        (
            status,
            [("www-authenticate", "Bearer realm=\"hpki-admin\"")],
            Json(json!({"error": t.en, "error_ja": t.ja})),
        )
            .into_response()
    };
    let Some(token) = token else {
        return Err(refused(
            StatusCode::UNAUTHORIZED,
            RegistrationError::NotAuthenticated,
        ));
    };
    match admin.ra.token_officer(token).await {
        Ok(o) if o.is_hq() && o.has(hpki_ra::workflow::Role::CaOperator) => Ok(o),
        Ok(_) => Err(refused(
            StatusCode::FORBIDDEN,
            RegistrationError::forbidden(
                "運用者インタフェースは登録局の認証局運用者のみ使えます",
                "only a CA operator of the registration authority uses the operator interface",
            ),
        )),
        Err(RegistrationError::NotAuthenticated) => Err(refused(
            StatusCode::UNAUTHORIZED,
            RegistrationError::NotAuthenticated,
        )),
        Err(e) => Err(refused(StatusCode::INTERNAL_SERVER_ERROR, e)),
    }
}

/// The HTTP status for an engine refusal.
fn refusal(e: &CaError) -> StatusCode {
    match e {
        CaError::NotActivated(_) => StatusCode::CONFLICT,
        CaError::Custody(hpki_ca::custody::CustodyError::Locked { .. }) => StatusCode::LOCKED,
        CaError::Custody(hpki_ca::custody::CustodyError::ShareRefused(_))
        | CaError::Custody(hpki_ca::custody::CustodyError::UnknownCustodian(_)) => {
            StatusCode::FORBIDDEN
        }
        CaError::NoCustody | CaError::UnknownCa(_) => StatusCode::NOT_FOUND,
        CaError::Store(hpki_store::StoreError::KeyCertified { .. }) => StatusCode::CONFLICT,
        CaError::Store(_) | CaError::StoreUnavailable(_) | CaError::Io { .. } => {
            StatusCode::INTERNAL_SERVER_ERROR
        }
        _ => StatusCode::BAD_REQUEST,
    }
}

fn error_response(e: CaError) -> Response {
    let t = e.text();
    (refusal(&e), Json(json!({"error": t.en, "error_ja": t.ja}))).into_response()
}

async fn status(State(admin): State<Admin>, headers: HeaderMap) -> Response {
    if let Err(refused) = operator(&admin, &headers).await {
        return refused;
    }
    Json(admin.engine.activation_status()).into_response()
}

async fn present(State(admin): State<Admin>, Json(p): Json<Presentation>) -> Response {
    match admin
        .engine
        .present_share(&p.custodian, &p.passphrase)
        .await
    {
        Ok(s) => Json(s).into_response(),
        Err(e) => error_response(e),
    }
}

async fn deactivate(State(admin): State<Admin>, headers: HeaderMap) -> Response {
    let officer = match operator(&admin, &headers).await {
        Ok(o) => o,
        Err(refused) => return refused,
    };
    match admin.engine.deactivate_as(&officer.actor()).await {
        Ok(s) => Json(s).into_response(),
        Err(e) => error_response(e),
    }
}

async fn issue(
    State(admin): State<Admin>,
    headers: HeaderMap,
    Path(ca): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let officer = match operator(&admin, &headers).await {
        Ok(o) => o,
        Err(refused) => return refused,
    };
    let req: IssueRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => {
            return (
                StatusCode::BAD_REQUEST,
                Json(json!({"error": format!("request body: {e}"),
                            "error_ja": format!("要求の本文を読めません：{e}")})),
            )
                .into_response();
        }
    };
    let engine = &admin.engine;
    let ca = match CaName::parse(&ca) {
        Ok(ca @ (CaName::Sign | CaName::Auth)) => ca,
        _ => return error_response(CaError::UnknownCa(ca)),
    };
    let checked = engine
        .subject(&req.subject.to_string())
        .and_then(|subject| {
            hpki_ca::issue::CheckedCsr::parse(req.csr.as_bytes()).map(|csr| (csr, subject))
        });
    let (csr, subject) = match checked {
        Ok(c) => c,
        Err(e) => return error_response(e),
    };
    match engine.issue_as(&officer.actor(), ca, &csr, &subject).await {
        Ok(issued) => (
            StatusCode::CREATED,
            [("content-type", "application/x-pem-file")],
            issued.pem(),
        )
            .into_response(),
        Err(e) => error_response(e),
    }
}
