//! The application page: the form, the documents, the photo and the history; reception, saving
//! and every step of the workflow.

use super::*;

pub(super) struct FieldView {
    name: &'static str,
    id: String,
    label: String,
    input_type: &'static str,
    checkbox: bool,
    value: String,
    checked: bool,
    options: Vec<(String, String)>,
    error: Option<String>,
    required: bool,
}

pub(super) struct SectionView {
    title: &'static str,
    fields: Vec<FieldView>,
}

pub(super) struct ErrorView {
    anchor: Option<String>,
    text: String,
}

pub(super) struct AppInfo {
    stage: &'static str,
    stage_label: &'static str,
    office: String,
    review_office: String,
    tracking: Option<String>,
    papers_arrived: bool,
    subscriber: Option<String>,
    card: Option<String>,
}

pub(super) struct ActionView {
    /// The error of this action's reason or tracking field, after a refused try.
    error: Option<String>,
    name: &'static str,
    label: &'static str,
    reason: bool,
    tracking: bool,
    csr: bool,
    danger: bool,
}

pub(super) struct EventView {
    when: String,
    who: String,
    what: String,
    stage: String,
    reason: String,
}

#[derive(Template)]
#[template(path = "ra/application.html")]
pub(super) struct AppPage {
    c: Chrome,
    title: String,
    id: i64,
    version: i64,
    form_action: String,
    app: Option<AppInfo>,
    sections: Vec<SectionView>,
    errors: Vec<ErrorView>,
    editable: bool,
    has_photo: bool,
    photo_error: Option<String>,
    actions: Vec<ActionView>,
    history: Vec<EventView>,
    /// What the subscriber register says, in the page's language.
    register: Vec<String>,
}

pub(super) fn field_id(name: &str) -> String {
    format!("f-{}", name.replace('.', "-"))
}

pub(super) fn sections(
    lang: Lang,
    values: &HashMap<String, String>,
    errors: &[FieldError],
) -> Vec<SectionView> {
    let t = texts(lang);
    let title = |s: Section| match s {
        Section::Application => t.section_application,
        Section::Applicant => t.section_applicant,
        Section::Workplace => t.section_workplace,
        Section::Contact => t.section_contact,
        Section::Delivery => t.section_delivery,
        Section::Documents => t.section_documents,
    };
    let mut out: Vec<SectionView> = Vec::new();
    for def in FIELDS {
        let error = errors
            .iter()
            .filter(|e| e.field == def.name)
            .map(|e| e.message(lang).to_owned())
            .collect::<Vec<_>>();
        let value = values.get(def.name).cloned().unwrap_or_default();
        let view = FieldView {
            name: def.name,
            id: field_id(def.name),
            label: if def.input == Input::Checkbox {
                ra_form::checkbox_label(def.name, lang)
            } else {
                ra_form::label(def.name, lang)
            },
            input_type: match def.input {
                Input::Date => "date",
                Input::Tel => "tel",
                Input::Email => "email",
                _ => "text",
            },
            checkbox: def.input == Input::Checkbox,
            checked: !value.is_empty(),
            options: match def.input {
                Input::Select(c) => ra_form::options(c, lang),
                _ => Vec::new(),
            },
            value,
            error: (!error.is_empty()).then(|| error.join(" ")),
            required: def.required,
        };
        match out.last_mut() {
            Some(s) if s.title == title(def.section) => s.fields.push(view),
            _ => out.push(SectionView {
                title: title(def.section),
                fields: vec![view],
            }),
        }
    }
    out
}

pub(super) fn error_views(
    lang: Lang,
    errors: &[FieldError],
    failed: Option<Action>,
) -> Vec<ErrorView> {
    errors
        .iter()
        .map(|e| {
            let known = FIELDS.iter().any(|d| d.name == e.field);
            let anchor = match e.field {
                _ if known => Some(field_id(e.field)),
                "photo" => Some("photo".to_owned()),
                "tracking" => Some(format!("tracking-{}", Action::MainReview.as_str())),
                "reason" => failed.map(|a| format!("reason-{}", a.as_str())),
                _ => None,
            };
            ErrorView {
                anchor,
                text: if known {
                    format!("{}: {}", ra_form::label(e.field, lang), e.message(lang))
                } else {
                    e.message(lang).to_owned()
                },
            }
        })
        .collect()
}

/// Who is looking at a page: the engine, the language, the officer and their CSRF token.
pub(super) struct Viewer<'a> {
    ra: &'a Registration,
    lang: Lang,
    officer: &'a Officer,
    csrf: &'a str,
    /// The action just refused, whose fields the errors belong to.
    failed: Option<Action>,
}

pub(super) async fn app_page(
    v: &Viewer<'_>,
    app: &Application,
    values: Option<HashMap<String, String>>,
    errors: &[FieldError],
    notice: Option<String>,
) -> AppPage {
    let (ra, lang, officer, csrf) = (v.ra, v.lang, v.officer, v.csrf);
    let offices = ra.offices().await.unwrap_or_default();
    let office_name = |id: &str| {
        offices
            .iter()
            .find(|o| o.id == id)
            .map(|o| {
                if lang == Lang::Ja {
                    o.name_ja.clone()
                } else {
                    o.name_en.clone()
                }
            })
            .unwrap_or_else(|| id.to_owned())
    };
    let id = app.record.id;
    let values = values.unwrap_or_else(|| ra_form::to_fields(&app.form, &app.documents));
    let history = ra
        .history(officer, id)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|e| EventView {
            when: time_text(e.at),
            who: e.login.clone(),
            what: Action::parse(&e.action)
                .map(|a| a.label(lang).to_owned())
                .unwrap_or_else(|| match (e.action.as_str(), lang) {
                    ("draft_created", Lang::Ja) => "下書き作成".into(),
                    ("draft_saved", Lang::Ja) => "下書き保存".into(),
                    ("draft_created", Lang::En) => "Draft created".into(),
                    ("draft_saved", Lang::En) => "Draft saved".into(),
                    (other, _) => other.to_owned(),
                }),
            stage: Stage::parse(&e.to_stage)
                .map(|s| s.label(lang).to_owned())
                .unwrap_or(e.to_stage.clone()),
            reason: e.reason.unwrap_or_default(),
        })
        .collect();
    let findings = ra.register_findings(app).await.unwrap_or_default();
    let register = findings
        .iter()
        .map(|f| hpki_text::Localized::text(f).get(lang).to_owned())
        .collect();
    let actions = Registration::available_actions(officer, app)
        .into_iter()
        .filter(|a| {
            !matches!(a, Action::Submit | Action::Resubmit) || !Registration::may_edit(officer, app)
        })
        .map(|a| ActionView {
            error: errors
                .iter()
                .find(|e| {
                    (e.field == "reason" && v.failed == Some(a))
                        || (e.field == "tracking" && a == Action::MainReview)
                })
                .map(|e| e.message(lang).to_owned()),
            name: a.as_str(),
            label: a.label(lang),
            // The final reviewer's reason to go on despite the register's findings.
            reason: a.needs_reason() || (a == Action::FinalReview && !findings.is_empty()),
            tracking: a == Action::MainReview,
            csr: a == Action::Issue,
            danger: matches!(a, Action::Reject | Action::Return),
        })
        .collect();
    let mut c = chrome(
        lang,
        Some((officer, csrf)),
        "",
        &format!("/ra/applications/{id}"),
    );
    c.notice = notice;
    let t = c.t;
    AppPage {
        title: format!(
            "{} {} {}",
            t.application_title,
            id,
            if app.record.name_kanji.is_empty() {
                String::new()
            } else {
                format!("— {}", app.record.name_kanji)
            }
        ),
        c,
        id,
        version: app.record.version,
        form_action: format!("/ra/applications/{id}"),
        app: Some(AppInfo {
            stage: app.stage.as_str(),
            stage_label: app.stage.label(lang),
            office: office_name(&app.record.office_id),
            review_office: office_name(&app.record.review_office_id),
            tracking: app.record.papers_tracking.clone(),
            papers_arrived: app.record.papers_arrived,
            subscriber: app.record.subscriber_id.clone(),
            card: app.record.card_id.clone(),
        }),
        sections: sections(lang, &values, errors),
        errors: error_views(lang, errors, v.failed),
        editable: Registration::may_edit(officer, app),
        has_photo: app.record.photo.is_some(),
        photo_error: errors
            .iter()
            .find(|e| e.field == "photo")
            .map(|e| e.message(lang).to_owned()),
        actions,
        history,
        register,
    }
}

pub(super) async fn new_page(
    State(ra): State<Registration>,
    SignedIn { officer, csrf }: SignedIn,
    headers: HeaderMap,
    Query(q): Query<LangQuery>,
) -> Response {
    let (lang, set) = lang_of(&headers, q.lang.as_deref());
    let c = chrome(lang, Some((&officer, &csrf)), "new", "/ra/applications/new");
    let today = ra.today().to_string();
    let values = HashMap::from([("application_date".to_owned(), today)]);
    let t = c.t;
    render(
        AppPage {
            c,
            title: t.new_title.to_owned(),
            id: 0,
            version: 0,
            form_action: "/ra/applications".into(),
            app: None,
            sections: sections(lang, &values, &[]),
            errors: Vec::new(),
            editable: officer.has(Role::Reception) && !officer.is_hq(),
            has_photo: false,
            photo_error: None,
            actions: Vec::new(),
            history: Vec::new(),
            register: Vec::new(),
        },
        StatusCode::OK,
        set,
    )
}

/// What a multipart form of the application page brings.
pub(super) struct Posted {
    fields: HashMap<String, String>,
    photo: Option<Vec<u8>>,
}

pub(super) async fn read_multipart(mut mp: Multipart) -> Result<Posted, RegistrationError> {
    let mut fields = HashMap::new();
    let mut photo = None;
    let bad = |e: axum::extract::multipart::MultipartError| {
        RegistrationError::bad_input("送信データを読めません", format!("form upload: {e}"))
    };
    while let Some(field) = mp.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or("").to_owned();
        if name == "photo" {
            let bytes = field.bytes().await.map_err(bad)?;
            if !bytes.is_empty() {
                photo = Some(bytes.to_vec());
            }
        } else {
            fields.insert(name, field.text().await.map_err(bad)?);
        }
    }
    Ok(Posted { fields, photo })
}

/// Reads the posted form; the photo, if any, is checked and described in the form.
pub(super) fn posted_form(
    p: &Posted,
) -> Result<
    (
        hpki_ra::application::ApplicationForm,
        hpki_ra::application::DocumentChecklist,
    ),
    Vec<FieldError>,
> {
    let (mut form, docs) = ra_form::from_fields(&p.fields)?;
    if let Some(bytes) = &p.photo {
        form.photo = Some(ApplicantPhoto::inspect(bytes).map_err(|e| vec![e])?);
    }
    Ok((form, docs))
}

pub(super) async fn create(
    State(ra): State<Registration>,
    SignedIn { officer, csrf }: SignedIn,
    headers: HeaderMap,
    mp: Multipart,
) -> Response {
    let (lang, _) = lang_of(&headers, None);
    let posted = match read_multipart(mp).await {
        Ok(p) => p,
        Err(e) => return error_page(lang, Some((&officer, &csrf)), &e),
    };
    if let Err(e) = check_csrf(&csrf, posted.fields.get("csrf").map(String::as_str)) {
        return error_page(lang, Some((&officer, &csrf)), &e);
    }
    let (form, docs) = match posted_form(&posted) {
        Ok(v) => v,
        Err(errors) => {
            // Nothing is saved yet: show the form again with everything typed.
            let c = chrome(lang, Some((&officer, &csrf)), "new", "/ra/applications/new");
            let t = c.t;
            return render(
                AppPage {
                    c,
                    title: t.new_title.to_owned(),
                    id: 0,
                    version: 0,
                    form_action: "/ra/applications".into(),
                    app: None,
                    sections: sections(lang, &posted.fields, &errors),
                    errors: error_views(lang, &errors, None),
                    editable: true,
                    has_photo: false,
                    photo_error: errors
                        .iter()
                        .find(|e| e.field == "photo")
                        .map(|e| e.message(lang).to_owned()),
                    actions: Vec::new(),
                    history: Vec::new(),
                    register: Vec::new(),
                },
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
            );
        }
    };
    let app = match ra
        .create_draft(&officer, &form, &docs, posted.photo.clone())
        .await
    {
        Ok(a) => a,
        Err(e) => return error_page(lang, Some((&officer, &csrf)), &e),
    };
    if posted.fields.get("submit_as").map(String::as_str) == Some("submit") {
        return submit_after_save(&ra, lang, &officer, &csrf, app).await;
    }
    Redirect::to(&format!("/ra/applications/{}?notice=saved", app.record.id)).into_response()
}

/// Receives a just-saved application. On refusal the browser is sent to the application's
/// page with `?check=1`, which shows why (the data is saved already), so a reload never
/// sends the form again.
pub(super) async fn submit_after_save(
    ra: &Registration,
    lang: Lang,
    officer: &Officer,
    csrf: &str,
    app: Application,
) -> Response {
    let action = if app.stage == Stage::Returned {
        Action::Resubmit
    } else {
        Action::Submit
    };
    match ra
        .act(
            officer,
            app.record.id,
            app.record.version,
            action,
            &ActInput::default(),
        )
        .await
    {
        Ok(a) => Redirect::to(&format!("/ra/applications/{}", a.record.id)).into_response(),
        Err(RegistrationError::Invalid(_)) => {
            Redirect::to(&format!("/ra/applications/{}?check=1", app.record.id)).into_response()
        }
        Err(e) => error_page(lang, Some((officer, csrf)), &e),
    }
}

pub(super) async fn show(
    State(ra): State<Registration>,
    SignedIn { officer, csrf }: SignedIn,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Query(q): Query<LangQuery>,
) -> Response {
    let (lang, set) = lang_of(&headers, q.lang.as_deref());
    match ra.get(&officer, id).await {
        Ok(app) => {
            let notice = notice_text(texts(lang), q.notice.as_deref());
            // After a refused reception: the form's and the documents' problems.
            let errors = if q.check.is_some() && Registration::may_edit(&officer, &app) {
                let today = ra.today();
                let mut e = app.form.validate(today);
                e.extend(app.documents.check(today));
                e
            } else {
                Vec::new()
            };
            let page = app_page(
                &Viewer {
                    ra: &ra,
                    lang,
                    officer: &officer,
                    csrf: &csrf,
                    failed: None,
                },
                &app,
                None,
                &errors,
                notice,
            )
            .await;
            render(page, StatusCode::OK, set)
        }
        Err(e) => error_page(lang, Some((&officer, &csrf)), &e),
    }
}

pub(super) async fn save(
    State(ra): State<Registration>,
    SignedIn { officer, csrf }: SignedIn,
    headers: HeaderMap,
    Path(id): Path<i64>,
    mp: Multipart,
) -> Response {
    let (lang, _) = lang_of(&headers, None);
    let posted = match read_multipart(mp).await {
        Ok(p) => p,
        Err(e) => return error_page(lang, Some((&officer, &csrf)), &e),
    };
    if let Err(e) = check_csrf(&csrf, posted.fields.get("csrf").map(String::as_str)) {
        return error_page(lang, Some((&officer, &csrf)), &e);
    }
    let app = match ra.get(&officer, id).await {
        Ok(a) => a,
        Err(e) => return error_page(lang, Some((&officer, &csrf)), &e),
    };
    let version = posted
        .fields
        .get("version")
        .and_then(|v| v.parse().ok())
        .unwrap_or(app.record.version);
    let (form, docs) = match posted_form(&posted) {
        Ok(v) => v,
        Err(errors) => {
            let page = app_page(
                &Viewer {
                    ra: &ra,
                    lang,
                    officer: &officer,
                    csrf: &csrf,
                    failed: None,
                },
                &app,
                Some(posted.fields.clone()),
                &errors,
                None,
            )
            .await;
            return render(page, StatusCode::UNPROCESSABLE_ENTITY, None);
        }
    };
    let saved = match ra
        .save_draft(&officer, id, version, &form, &docs, posted.photo.clone())
        .await
    {
        Ok(a) => a,
        Err(e @ RegistrationError::Conflict) => {
            // Someone else saved meanwhile: show what this officer typed over the current
            // version, so nothing is lost, with the reason.
            let fresh = match ra.get(&officer, id).await {
                Ok(a) => a,
                Err(e) => return error_page(lang, Some((&officer, &csrf)), &e),
            };
            let text = e.text();
            let conflict = FieldError {
                field: "form",
                code: "version_conflict",
                message_ja: text.ja,
                message_en: text.en,
            };
            let page = app_page(
                &Viewer {
                    ra: &ra,
                    lang,
                    officer: &officer,
                    csrf: &csrf,
                    failed: None,
                },
                &fresh,
                Some(posted.fields.clone()),
                &[conflict],
                None,
            )
            .await;
            return render(page, StatusCode::CONFLICT, None);
        }
        Err(e) => return error_page(lang, Some((&officer, &csrf)), &e),
    };
    if posted.fields.get("submit_as").map(String::as_str) == Some("submit") {
        return submit_after_save(&ra, lang, &officer, &csrf, saved).await;
    }
    Redirect::to(&format!("/ra/applications/{id}?notice=saved")).into_response()
}

#[derive(Deserialize)]
pub(super) struct ActForm {
    csrf: Option<String>,
    version: i64,
    action: String,
    reason: Option<String>,
    tracking: Option<String>,
    sign_csr: Option<String>,
    auth_csr: Option<String>,
}

pub(super) async fn act(
    State(ra): State<Registration>,
    SignedIn { officer, csrf }: SignedIn,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(f): Form<ActForm>,
) -> Response {
    let (lang, _) = lang_of(&headers, None);
    if let Err(e) = check_csrf(&csrf, f.csrf.as_deref()) {
        return error_page(lang, Some((&officer, &csrf)), &e);
    }
    let Some(action) = Action::parse(&f.action) else {
        return error_page(
            lang,
            Some((&officer, &csrf)),
            &RegistrationError::bad_input(
                format!("操作 {:?} は不明です", f.action),
                format!("unknown action {:?}", f.action),
            ),
        );
    };
    let result = if action == Action::Issue {
        ra.issue_with_csrs(
            &officer,
            id,
            f.version,
            f.sign_csr.unwrap_or_default().as_bytes(),
            f.auth_csr.unwrap_or_default().as_bytes(),
        )
        .await
        .map(|(a, ..)| a)
    } else {
        let input = ActInput {
            reason: f.reason,
            tracking: f.tracking,
        };
        ra.act(&officer, id, f.version, action, &input).await
    };
    // A return or rejection without a reason is an error of the reason field.
    let result = result.map_err(|e| match e {
        RegistrationError::Transition(hpki_ra::workflow::TransitionError::ReasonRequired) => {
            RegistrationError::Invalid(vec![FieldError {
                field: "reason",
                code: "reason_required",
                message_ja: "差戻し・却下の理由を入力してください".into(),
                message_en: "Enter the reason for returning or rejecting.".into(),
            }])
        }
        // The register's findings need the final reviewer's reason: said at the reason field.
        e @ RegistrationError::Register {
            override_possible: true,
            ..
        } => {
            let t = e.text();
            RegistrationError::Invalid(vec![FieldError {
                field: "reason",
                code: "register_reason_required",
                message_ja: t.ja,
                message_en: t.en,
            }])
        }
        other => other,
    });
    match result {
        Ok(_) => Redirect::to(&format!("/ra/applications/{id}")).into_response(),
        Err(RegistrationError::Invalid(errors)) => match ra.get(&officer, id).await {
            Ok(app) => {
                let page = app_page(
                    &Viewer {
                        ra: &ra,
                        lang,
                        officer: &officer,
                        csrf: &csrf,
                        failed: Some(action),
                    },
                    &app,
                    None,
                    &errors,
                    None,
                )
                .await;
                render(page, StatusCode::UNPROCESSABLE_ENTITY, None)
            }
            Err(e) => error_page(lang, Some((&officer, &csrf)), &e),
        },
        Err(e) => error_page(lang, Some((&officer, &csrf)), &e),
    }
}

pub(super) async fn photo(
    State(ra): State<Registration>,
    SignedIn { officer, csrf: _ }: SignedIn,
    Path(id): Path<i64>,
) -> Response {
    match ra.get(&officer, id).await {
        Ok(app) => match app.record.photo {
            Some(bytes) => {
                let ct = app
                    .form
                    .photo
                    .as_ref()
                    .map(|p| p.format.media_type())
                    .unwrap_or("application/octet-stream");
                ([(header::CONTENT_TYPE, ct)], Bytes::from(bytes)).into_response()
            }
            None => StatusCode::NOT_FOUND.into_response(),
        },
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}
