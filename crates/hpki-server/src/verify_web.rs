//! The public signature verification page, `/verify`: anyone (a hospital receiving a referral
//! letter, a pharmacy receiving an e-prescription) drops a signed file — PDF, XML, or a CAdES
//! `.p7s`/`.p7m`, with the signed content for a detached signature — and reads who signed it,
//! with what qualification (hcRole), when, whether it was changed, and whether the
//! certificate was valid, as [`hpki_verify::document::verify`] reports it. No sign-in; nothing
//! is stored; Japanese by default, English with `?lang=en`; no JavaScript (the drop zone is the
//! file input itself, which takes a dropped file in every current browser).
//!
//! | route | what |
//! |---|---|
//! | `GET /verify` | the form |
//! | `POST /verify` | multipart: `file`, optional `detached`; the report as a page |
//! | `POST /verify?format=json` | the same, the report as JSON (`hpki verify --json`) |
//!
//! Trust anchor: this server's root certificate (the engine's root: in production the MHLW
//! HPKI root installed with the issuing CAs). Revocation data: what the document embeds, plus
//! what this server publishes itself, obtained in-process — its current CRLs exactly as
//! `GET /crl/{root,sign,auth}.crl` serves them (a CRL is re-signed when the cached one is
//! stale, as for any download of it) and an OCSP answer of its responder for each signer and
//! TSA certificate its CAs issued. The CA certificates are added too, so a signature that
//! carries only the signer's certificate still chains. Nothing is fetched from elsewhere: a
//! certificate of another CA is checked with what its document embeds.
//!
//! Uploads are limited to [`MAX_UPLOAD`] bytes per file; a larger one gets a clear error
//! (HTTP 413).

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use hpki_ca::CaName;
use hpki_sign::ltv::ValidationData;
use hpki_verify::document::{self, Document, Lang, Report, TrustAnchors, VerifyOptions};
use serde::Deserialize;

use crate::AppState;

/// The largest file accepted, per file (20 MiB).
pub const MAX_UPLOAD: usize = 20 * 1024 * 1024;

/// The verification routes over the server's state.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/verify", get(form).post(submit))
        // Both files and the multipart framing.
        .layer(DefaultBodyLimit::max(2 * MAX_UPLOAD + 64 * 1024))
        .with_state(state)
}

#[derive(Deserialize, Default)]
struct VerifyQuery {
    lang: Option<String>,
    format: Option<String>,
}

impl VerifyQuery {
    fn lang(&self) -> Lang {
        self.lang
            .as_deref()
            .and_then(Lang::parse)
            .unwrap_or(Lang::Ja)
    }

    fn json(&self) -> bool {
        self.format.as_deref() == Some("json")
    }
}

/// The page's own words.
struct Texts {
    html_lang: &'static str,
    title: &'static str,
    system: &'static str,
    intro: &'static str,
    file_label: &'static str,
    file_hint: &'static str,
    detached_label: &'static str,
    detached_hint: &'static str,
    submit: &'static str,
    other_lang: &'static str,
    result: &'static str,
    reasons: &'static str,
    notes: &'static str,
    trust_note: &'static str,
    valid: &'static str,
    signature: &'static str,
    file: &'static str,
}

const JA: Texts = Texts {
    html_lang: "ja",
    title: "電子署名の検証",
    system: "日医HPKI 署名検証",
    intro: "医師資格証（HPKI）で電子署名された文書を確認できます。PDF、XML（電子処方箋を含む）、CAdES 署名ファイル（.p7s / .p7m）に対応しています。ファイルは保存されません。",
    file_label: "署名された文書を選ぶか、ここにドロップしてください",
    file_hint: "PDF・XML・.p7s・.p7m（20MB まで）",
    detached_label: "署名対象の文書（分離署名 .p7s の場合のみ）",
    detached_hint: "分離署名では、署名ファイルとは別に元の文書が必要です。",
    submit: "検証する",
    other_lang: "English",
    result: "検証結果",
    reasons: "無効の理由",
    notes: "補足",
    trust_note: "信頼の起点はこの認証局のルート証明書です。失効確認には、文書に埋め込まれた検証情報と、この認証局が公開している最新の CRL・OCSP を使います。",
    valid: "有効な署名です",
    signature: "署名",
    file: "ファイル",
};

const EN: Texts = Texts {
    html_lang: "en",
    title: "Verify a signature",
    system: "JMA HPKI signature verification",
    intro: "Check a document signed with a doctor's HPKI card (医師資格証): PDF, XML (e-prescriptions included) or a CAdES signature file (.p7s / .p7m). Files are not stored.",
    file_label: "Choose the signed document, or drop it here",
    file_hint: "PDF, XML, .p7s, .p7m (up to 20 MB)",
    detached_label: "The signed content (only for a detached .p7s signature)",
    detached_hint: "A detached signature needs the original document besides the signature file.",
    submit: "Verify",
    other_lang: "日本語",
    result: "Result",
    reasons: "Why it is not valid",
    notes: "Notes",
    trust_note: "The trust anchor is this CA's root certificate. Revocation is checked with the validation data embedded in the document and this CA's current CRLs and OCSP.",
    valid: "Valid signature",
    signature: "Signature",
    file: "File",
};

fn texts(lang: Lang) -> &'static Texts {
    match lang {
        Lang::Ja => &JA,
        Lang::En => &EN,
    }
}

/// How long the page waits for one verification.
pub const VERIFY_TIME_LIMIT: std::time::Duration = std::time::Duration::from_secs(30);

/// How many documents are verified at once.
pub const VERIFY_CONCURRENCY: usize = 4;

/// The permits for verifications in progress.
fn verifying() -> &'static tokio::sync::Semaphore {
    static SEMAPHORE: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    SEMAPHORE.get_or_init(|| tokio::sync::Semaphore::new(VERIFY_CONCURRENCY))
}

/// One signature on the page.
struct SignatureView {
    title: String,
    /// `valid`, `indeterminate` or `invalid`.
    state: &'static str,
    /// ✔, ？ or ✘.
    mark: &'static str,
    rows: Vec<(&'static str, String)>,
    failures: Vec<String>,
    notes: Vec<String>,
}

/// The verdict and the signatures.
struct ResultView {
    /// `valid`, `indeterminate` or `invalid` (the page's colour).
    state: &'static str,
    /// ✔, ？ or ✘.
    mark: &'static str,
    verdict: String,
    /// A medical document's kind and IDs, said to be outside the signatures.
    medical: Option<String>,
    file_name: String,
    failures: Vec<String>,
    notes: Vec<String>,
    signatures: Vec<SignatureView>,
}

#[derive(Template)]
#[template(path = "verify/page.html")]
struct Page {
    t: &'static Texts,
    lang: &'static str,
    other_lang_code: &'static str,
    root: String,
    error: Option<String>,
    result: Option<ResultView>,
}

fn page(lang: Lang, state: &AppState, error: Option<String>, result: Option<ResultView>) -> Page {
    Page {
        t: texts(lang),
        lang: lang.code(),
        other_lang_code: lang.other().code(),
        root: state
            .engine()
            .authority(CaName::Root)
            .map(|a| a.ca.cert.tbs_certificate().subject().to_string())
            .unwrap_or_default(),
        error,
        result,
    }
}

fn render(page: Page, status: StatusCode) -> Response {
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

async fn form(State(state): State<Arc<AppState>>, Query(q): Query<VerifyQuery>) -> Response {
    render(page(q.lang(), &state, None, None), StatusCode::OK)
}

/// An error as a page, or as JSON for `?format=json`.
fn error(state: &AppState, q: &VerifyQuery, status: StatusCode, ja: &str, en: &str) -> Response {
    if q.json() {
        let body = serde_json::json!({"error": {"en": en, "ja": ja}});
        return (status, axum::Json(body)).into_response();
    }
    let message = match q.lang() {
        Lang::Ja => ja,
        Lang::En => en,
    };
    render(
        page(q.lang(), state, Some(message.to_owned()), None),
        status,
    )
}

/// The files of the form.
struct Upload {
    file: Vec<u8>,
    file_name: String,
    detached: Option<Vec<u8>>,
}

enum UploadError {
    TooLarge,
    Malformed(String),
}

async fn read_upload(mut mp: Multipart) -> Result<Upload, UploadError> {
    let failed = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            UploadError::TooLarge
        } else {
            UploadError::Malformed(e.body_text())
        }
    };
    let mut upload = Upload {
        file: Vec::new(),
        file_name: String::new(),
        detached: None,
    };
    while let Some(field) = mp.next_field().await.map_err(failed)? {
        let name = field.name().unwrap_or("").to_owned();
        let file_name = field.file_name().unwrap_or("").to_owned();
        let bytes = field.bytes().await.map_err(failed)?;
        if bytes.len() > MAX_UPLOAD {
            return Err(UploadError::TooLarge);
        }
        match name.as_str() {
            "file" => {
                upload.file = bytes.to_vec();
                upload.file_name = file_name;
            }
            "detached" if !bytes.is_empty() => upload.detached = Some(bytes.to_vec()),
            _ => {}
        }
    }
    Ok(upload)
}

async fn submit(
    State(state): State<Arc<AppState>>,
    Query(q): Query<VerifyQuery>,
    mp: Multipart,
) -> Response {
    let upload = match read_upload(mp).await {
        Ok(u) => u,
        Err(UploadError::TooLarge) => {
            return error(
                &state,
                &q,
                StatusCode::PAYLOAD_TOO_LARGE,
                "ファイルが大きすぎます（1ファイル 20MB まで）",
                "The file is too large (20 MB per file at most)",
            );
        }
        Err(UploadError::Malformed(e)) => {
            return error(
                &state,
                &q,
                StatusCode::BAD_REQUEST,
                &format!("送信データを読めません: {e}"),
                &format!("The upload cannot be read: {e}"),
            );
        }
    };
    if upload.file.is_empty() {
        return error(
            &state,
            &q,
            StatusCode::BAD_REQUEST,
            "検証するファイルを選んでください",
            "Choose a file to verify",
        );
    }
    let Ok(root) = state
        .engine()
        .authority(CaName::Root)
        .map(|a| a.ca.cert.clone())
    else {
        return error(
            &state,
            &q,
            StatusCode::SERVICE_UNAVAILABLE,
            "この認証局のルート証明書がありません",
            "This CA has no root certificate",
        );
    };
    // At most a few documents are verified at once (each bounded in memory by the verifier's
    // limits); more wait their turn, and one that takes longer than VERIFY_TIME_LIMIT gets an
    // answer saying so.
    let Ok(_permit) = verifying().acquire().await else {
        return error(
            &state,
            &q,
            StatusCode::SERVICE_UNAVAILABLE,
            "検証を受け付けられません",
            "Verification is not available",
        );
    };
    let extra = own_validation_data(&state, &upload).await;
    let now = state.engine().now();
    let task = tokio::task::spawn_blocking(move || {
        let doc = Document {
            content: &upload.file,
            detached: upload.detached.as_deref(),
        };
        let options = VerifyOptions {
            extra_validation: extra,
            ..VerifyOptions::at(now)
        };
        (
            document::verify(&doc, &TrustAnchors::new([root]), &options),
            upload.file_name,
        )
    });
    let Ok(report) = tokio::time::timeout(VERIFY_TIME_LIMIT, task).await else {
        return error(
            &state,
            &q,
            StatusCode::SERVICE_UNAVAILABLE,
            &format!(
                "検証に {} 秒以上かかるため中止しました",
                VERIFY_TIME_LIMIT.as_secs()
            ),
            &format!(
                "Verification took longer than {} seconds and was given up",
                VERIFY_TIME_LIMIT.as_secs()
            ),
        );
    };
    let Ok((report, file_name)) = report else {
        return error(
            &state,
            &q,
            StatusCode::INTERNAL_SERVER_ERROR,
            "検証中にエラーが発生しました",
            "Verification failed unexpectedly",
        );
    };
    if q.json() {
        let mut r = (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json")],
            report.to_json(),
        )
            .into_response();
        r.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        return r;
    }
    let lang = q.lang();
    render(
        page(lang, &state, None, Some(view(&report, lang, file_name))),
        StatusCode::OK,
    )
}

fn view(report: &Report, lang: Lang, file_name: String) -> ResultView {
    let t = texts(lang);
    let total = report.signatures.len();
    ResultView {
        state: report.overall.name(),
        mark: report.mark(),
        verdict: if report.is_valid() {
            t.valid.to_owned()
        } else {
            report.headline().get(lang).to_owned()
        },
        medical: report
            .medical
            .as_ref()
            .map(|m| m.to_text(lang).trim_end().to_owned()),
        file_name,
        failures: report.failures.iter().map(|f| f.message(lang)).collect(),
        notes: report
            .notes
            .iter()
            .map(|n| n.get(lang).to_owned())
            .collect(),
        signatures: report
            .signatures
            .iter()
            .enumerate()
            .map(|(i, s)| SignatureView {
                title: format!(
                    "{} {}/{total}: {} {}{}",
                    t.signature,
                    i + 1,
                    s.format.name(),
                    s.structure_level.name(),
                    s.label
                        .as_deref()
                        .map(|l| format!(" [{l}]"))
                        .unwrap_or_default()
                ),
                state: s.verdict.name(),
                mark: s.verdict.mark(),
                rows: s.rows(lang),
                failures: s.failures.iter().map(|f| f.message(lang)).collect(),
                notes: s.notes.iter().map(|n| n.get(lang).to_owned()).collect(),
            })
            .collect(),
    }
}

/// What this server knows about the certificates of the upload: its CA certificates, its
/// current CRLs (as `GET /crl/…` serves them) and an OCSP answer for each end-entity certificate
/// one of its CAs issued.
async fn own_validation_data(state: &Arc<AppState>, upload: &Upload) -> ValidationData {
    let mut data = ValidationData::default();
    let engine = state.engine();
    for ca in [CaName::Root, CaName::Sign, CaName::Auth] {
        if let Ok(a) = engine.authority(ca) {
            data.certificates.push(a.ca.der.clone());
        }
        let response = crate::crl(State(state.clone()), Path(format!("{ca}.crl"))).await;
        if response.status() == StatusCode::OK
            && let Ok(body) = axum::body::to_bytes(response.into_body(), MAX_UPLOAD).await
        {
            data.crls.push(body.to_vec());
        }
    }
    let doc = Document {
        content: &upload.file,
        detached: upload.detached.as_deref(),
    };
    for cert in document::certificates(&doc).end_entities {
        for ca in [CaName::Sign, CaName::Auth] {
            let Ok(a) = engine.authority(ca) else {
                continue;
            };
            if cert.tbs_certificate().issuer() != a.ca.cert.tbs_certificate().subject() {
                continue;
            }
            if let Ok(request) = hpki_fetch::ocsp_request(&cert, &a.ca.cert) {
                data.ocsp_responses
                    .push(state.responder.respond(ca, &request).await);
            }
        }
    }
    data
}
