//! The operator interface: activation of the CA keys by their custodians, and issuance.
//!
//! Served on its own listener (`hpki serve --admin-listen`), which must be a loopback address:
//! custodians' passphrases and issuance requests never cross the network in the clear. The
//! registration authority's authenticated web interface and API come on top of this.
//!
//! | route | what |
//! |---|---|
//! | `GET /admin/activation` | where custody stands (JSON) |
//! | `POST /admin/activation` | a custodian presents their share: `{"custodian","passphrase"}` |
//! | `DELETE /admin/activation` | lock the CA keys again |
//! | `POST /admin/issue/{sign,auth}` | issue from `{"csr": PEM, "subject": {…}}`; refused (409) until activated |

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use hpki_ca::{CaError, CaName, Engine};
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

/// The operator router over `engine`.
pub fn router(engine: Arc<Engine>) -> Router {
    Router::new()
        .route(
            "/admin/activation",
            get(status).post(present).delete(deactivate),
        )
        .route("/admin/issue/{ca}", post(issue))
        .with_state(engine)
}

/// The HTTP status for an engine refusal.
fn refusal(e: &CaError) -> StatusCode {
    match e {
        CaError::NotActivated(_) => StatusCode::CONFLICT,
        CaError::Custody(hpki_ca::custody::CustodyError::ShareRefused(_))
        | CaError::Custody(hpki_ca::custody::CustodyError::UnknownCustodian(_)) => {
            StatusCode::FORBIDDEN
        }
        CaError::NoCustody | CaError::UnknownCa(_) => StatusCode::NOT_FOUND,
        CaError::Store(_) | CaError::StoreUnavailable(_) | CaError::Io { .. } => {
            StatusCode::INTERNAL_SERVER_ERROR
        }
        _ => StatusCode::BAD_REQUEST,
    }
}

fn error_response(e: CaError) -> Response {
    (refusal(&e), Json(json!({"error": e.to_string()}))).into_response()
}

async fn status(State(engine): State<Arc<Engine>>) -> Response {
    Json(engine.activation_status()).into_response()
}

async fn present(State(engine): State<Arc<Engine>>, Json(p): Json<Presentation>) -> Response {
    match engine.present_share(&p.custodian, &p.passphrase).await {
        Ok(s) => Json(s).into_response(),
        Err(e) => error_response(e),
    }
}

async fn deactivate(State(engine): State<Arc<Engine>>) -> Response {
    match engine.deactivate().await {
        Ok(s) => Json(s).into_response(),
        Err(e) => error_response(e),
    }
}

async fn issue(
    State(engine): State<Arc<Engine>>,
    Path(ca): Path<String>,
    Json(req): Json<IssueRequest>,
) -> Response {
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
    match engine.issue(ca, &csr, &subject).await {
        Ok(issued) => (
            StatusCode::CREATED,
            [("content-type", "application/x-pem-file")],
            issued.pem(),
        )
            .into_response(),
        Err(e) => error_response(e),
    }
}
