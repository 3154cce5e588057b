//! The registration engine: who the officer is, what they may see, and each step of an
//! application with its checks, history entry and audit record.
//!
//! | file | what [`Registration`] does there |
//! |---|---|
//! | `offices.rs` | offices and their status, the demo offices and officers |
//! | `officers.rs` | officers' accounts, API tokens, sign-in with lockout, sessions |
//! | `applications.rs` | what an officer sees, drafts, each step of the workflow |
//! | `change_request.rs` | a doctor's change-of-address request from the portal (記載事項変更), a draft at the doctor's office |
//! | `issuance.rs` | issuance through the CA, the previous card retired, lost cards and qualifications |
//! | `dashboard.rs` | the dashboard's figures |

use std::sync::Arc;

use hpki_ca::Engine;
use hpki_ca::cards::{CardHolder, CardIssued};
use hpki_ca::issue::Issued;
use hpki_ra::application::{ApplicationForm, DocumentChecklist, FieldError};
use hpki_ra::office::OfficeStatus;
use hpki_ra::workflow::{
    Action, OfficeKind, Role, Stage, check_role, check_separation, next_stage,
};
use hpki_ra::{Lang, prefecture};
use hpki_store::{
    ApplicationChange, ApplicationEvent, ApplicationFilter, ApplicationRecord, AuditEvent,
    OfficeRecord, OfficerRecord, SessionRecord, SignInClaim, Store,
};
use hpki_token::BlankCard;
use serde_json::json;
use time::OffsetDateTime;
use x509_cert::ext::pkix::crl::CrlReason;

use crate::RegistrationError;
use crate::auth;

mod applications;
mod change_request;
mod dashboard;
mod demo_doctor;
mod issuance;
mod officers;
mod offices;
mod register;

pub use change_request::DoctorNotice;
pub use demo_doctor::DemoDoctor;
use offices::office_kind;
pub use offices::{DEMO_OFFICERS, parse_status, status_str};
pub use register::RegisterFinding;

/// The JMA registration authority's office identifier.
pub const HQ: &str = "hq";

/// An officer, signed in.
#[derive(Debug, Clone)]
pub struct Officer {
    /// Login ID.
    pub login: String,
    /// Display name.
    pub name: String,
    /// Their office.
    pub office: OfficeRecord,
    /// Its kind.
    pub kind: OfficeKind,
    /// Their roles.
    pub roles: Vec<Role>,
}

impl Officer {
    /// Whether the officer works at the JMA registration authority (sees every application).
    pub fn is_hq(&self) -> bool {
        self.kind == OfficeKind::Headquarters
    }

    /// Whether the officer holds `role`.
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// Who this officer is in the audit log: `officer:LOGIN@OFFICE`.
    pub fn actor(&self) -> String {
        format!("officer:{}@{}", self.login, self.office.id)
    }
}

/// An application with its form and documents read.
#[derive(Debug, Clone)]
pub struct Application {
    /// As stored.
    pub record: ApplicationRecord,
    /// Its stage.
    pub stage: Stage,
    /// The form (possibly half-filled).
    pub form: ApplicationForm,
    /// The document checklist.
    pub documents: DocumentChecklist,
}

impl Application {
    fn from_record(record: ApplicationRecord) -> Result<Self, RegistrationError> {
        let stage = Stage::parse(&record.stage).ok_or_else(|| {
            RegistrationError::Internal(format!("unknown stage {:?}", record.stage))
        })?;
        let form = serde_json::from_str(&record.form)
            .map_err(|e| RegistrationError::Internal(format!("stored form: {e}")))?;
        let documents = serde_json::from_str(&record.documents)
            .map_err(|e| RegistrationError::Internal(format!("stored documents: {e}")))?;
        Ok(Application {
            record,
            stage,
            form,
            documents,
        })
    }
}

/// What the dashboard shows (see [`Registration::dashboard`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dashboard {
    /// Office status per prefecture (JIS X 0401 code).
    pub statuses: Vec<(u8, OfficeStatus)>,
    /// Cumulative cards issued, by month.
    pub issued: Vec<(time::Date, u64)>,
    /// Applications pending per office (Japanese name), most first.
    pub pending: Vec<(String, u64)>,
}

/// What an act may carry besides the act itself.
#[derive(Debug, Clone, Default)]
pub struct ActInput {
    /// The reason of a return (差戻し) or rejection (却下).
    pub reason: Option<String>,
    /// The tracking number of the papers mailed to HQ (本審査).
    pub tracking: Option<String>,
}

/// The search keys of a form: kana name, kanji name, licence number (empty when not filled).
fn search_keys(form: &ApplicationForm) -> (String, String, String) {
    let form = form.normalized();
    (
        form.name_kana(),
        form.name_kanji(),
        form.license_number.trim().to_owned(),
    )
}

/// A new draft application received at `office_id`, reviewed at `review_office_id`.
fn draft_record(
    office_id: &str,
    review_office_id: &str,
    form: &ApplicationForm,
    documents: &DocumentChecklist,
    photo: Option<Vec<u8>>,
) -> Result<ApplicationRecord, RegistrationError> {
    let (kana, kanji, license) = search_keys(form);
    Ok(ApplicationRecord {
        id: 0,
        office_id: office_id.to_owned(),
        review_office_id: review_office_id.to_owned(),
        stage: Stage::Draft.as_str().into(),
        form: to_json(form)?,
        documents: to_json(documents)?,
        photo,
        name_kana: kana,
        name_kanji: kanji,
        license_number: license,
        papers_tracking: None,
        papers_arrived: false,
        subscriber_id: None,
        card_id: None,
        created_at: 0,
        updated_at: 0,
        version: 1,
    })
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<String, RegistrationError> {
    serde_json::to_string(v).map_err(|e| RegistrationError::Internal(e.to_string()))
}

/// The registration engine over the CA engine (one data directory, one store).
#[derive(Clone)]
pub struct Registration {
    ca: Arc<Engine>,
}

impl Registration {
    /// The engine over `ca`.
    pub fn new(ca: Arc<Engine>) -> Self {
        Registration { ca }
    }

    /// The CA engine.
    pub fn ca(&self) -> &Arc<Engine> {
        &self.ca
    }

    /// Today in Japan by the CA's clock (the reception date of the document rules).
    pub fn today(&self) -> time::Date {
        hpki_clock::jst::date(self.ca.now())
    }

    /// Now in whole Unix seconds by the CA's clock.
    pub(crate) fn now_unix(&self) -> i64 {
        self.ca.clock.unix()
    }

    /// The fiscal year today in Japan (April–March, named by its starting year).
    pub fn current_fiscal_year(&self) -> i64 {
        crate::fees::fiscal_year_of(self.today())
    }

    pub(crate) fn store(&self) -> &Store {
        &self.ca.store
    }

    pub(crate) fn audit(
        &self,
        actor: &str,
        action: &str,
        object: &str,
        details: serde_json::Value,
    ) -> AuditEvent {
        AuditEvent {
            actor: actor.to_owned(),
            action: action.to_owned(),
            object: object.to_owned(),
            details,
        }
    }

    // ----- offices -----
}
