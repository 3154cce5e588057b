//! A doctor's request, from the portal, to change the registered address (記載事項変更): a draft
//! application of kind [`ApplicationKind::Change`] at the office that received the doctor's
//! last issued application, its form copied from that one with the new address, and the
//! doctor (`subscriber/<id>`) as the actor of its history and audit record. The office's
//! reception finds it among its drafts, checks the 住民票 as for any application, and carries
//! it through the workflow.

use super::*;
use hpki_ra::application::{Address, ApplicationKind, normalize_postal_code};

impl Registration {
    /// Records the change-of-address request of the doctor `subscriber_id` (in the register)
    /// to `address`; returns the new application's number.
    pub async fn request_address_change(
        &self,
        subscriber_id: &str,
        address: &Address,
    ) -> Result<i64, RegistrationError> {
        let postal_code = normalize_postal_code(&address.postal_code).ok_or_else(|| {
            RegistrationError::bad_input(
                "郵便番号は7桁の数字で入力してください（例: 113-8621）。",
                "Enter the postal code as 7 digits (e.g. 113-8621).",
            )
        })?;
        if address
            .prefecture_code
            .and_then(prefecture::prefecture)
            .is_none()
        {
            return Err(RegistrationError::bad_input(
                "都道府県を選んでください。",
                "Choose the prefecture.",
            ));
        }
        if address.city.trim().is_empty() || address.city.chars().count() > 100 {
            return Err(RegistrationError::bad_input(
                "市区町村・番地を100文字以内で入力してください。",
                "Enter the city and street, at most 100 characters.",
            ));
        }
        if address.building.chars().count() > 100 {
            return Err(RegistrationError::bad_input(
                "建物名・部屋番号は100文字以内で入力してください。",
                "The building and room may be at most 100 characters.",
            ));
        }
        let store = self.store();
        let subscriber = store
            .subscriber_by_id(subscriber_id)
            .await?
            .ok_or_else(|| {
                RegistrationError::bad_input(
                    format!("利用者ID {subscriber_id} は登録簿にありません。"),
                    format!("Subscriber ID {subscriber_id} is not in the register."),
                )
            })?;
        let last = store
            .applications_with_license(&subscriber.license_number)
            .await?
            .into_iter()
            .rev()
            .find(|a| a.subscriber_id.as_deref() == Some(subscriber_id))
            .ok_or_else(|| {
                RegistrationError::Internal(format!("no issued application for {subscriber_id}"))
            })?;
        let mut form: ApplicationForm = serde_json::from_str(&last.form)
            .map_err(|e| RegistrationError::Internal(format!("stored form: {e}")))?;
        form.kind = Some(ApplicationKind::Change);
        form.application_date = Some(hpki_clock::jst::date(self.ca.now()));
        form.previous_card_id = last.card_id.clone().unwrap_or_default();
        form.address = Address {
            postal_code,
            prefecture_code: address.prefecture_code,
            city: address.city.trim().to_owned(),
            building: address.building.trim().to_owned(),
        };
        let actor = format!("subscriber/{subscriber_id}");
        let rec = draft_record(
            &last.office_id,
            &last.review_office_id,
            &form,
            &DocumentChecklist::default(),
            None,
        )?;
        let event = ApplicationEvent {
            at: 0,
            login: actor.clone(),
            office_id: last.office_id.clone(),
            action: "change_requested_by_doctor".into(),
            from_stage: Stage::Draft.as_str().into(),
            to_stage: Stage::Draft.as_str().into(),
            reason: None,
            details: json!({"previous_application": last.id}).to_string(),
        };
        let audit = self.audit(
            &actor,
            "application.change_requested",
            &actor,
            json!({"office": last.office_id, "previous_application": last.id}),
        );
        Ok(store.create_application(&rec, &event, &audit).await?)
    }
}

/// A doctor's request from the portal that an office acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DoctorNotice {
    /// When, Unix seconds.
    pub at: i64,
    /// The doctor.
    pub subscriber_id: String,
    /// What: a card reported lost, a change of address requested.
    pub what: hpki_text::Text,
}

impl Registration {
    /// The doctors' newest requests from the portal for `officer`'s office (every office's
    /// for HQ): cards reported lost (already revoked: the office arranges the reissue) and
    /// changes of address (a draft application to take through the workflow).
    pub async fn doctor_notices(
        &self,
        officer: &Officer,
    ) -> Result<Vec<DoctorNotice>, RegistrationError> {
        let mut notices = Vec::new();
        for (action, key) in [
            ("portal.card_reported_lost", "office_id"),
            ("application.change_requested", "office"),
        ] {
            for r in self.store().audit_records_of_action(action, 50).await? {
                let details: serde_json::Value =
                    serde_json::from_str(&r.details).unwrap_or_default();
                let office = details[key].as_str().unwrap_or_default();
                if !officer.is_hq() && office != officer.office.id {
                    continue;
                }
                let subscriber_id = r.actor.trim_start_matches("subscriber/").to_owned();
                let what = match action {
                    "portal.card_reported_lost" => {
                        let card = details["card_id"].as_str().unwrap_or_default();
                        hpki_text::Text::new(
                            format!(
                                "紛失届（カード {card}、失効済み）：再発行の案内をしてください"
                            ),
                            format!("card {card} reported lost (revoked): arrange the reissue"),
                        )
                    }
                    _ => hpki_text::Text::new(
                        "住所変更の申請（下書き）：住民票を確認して受付してください",
                        "change of address requested (a draft): check the residence certificate and receive it",
                    ),
                };
                notices.push(DoctorNotice {
                    at: r.at,
                    subscriber_id,
                    what,
                });
            }
        }
        notices.sort_by_key(|n| std::cmp::Reverse(n.at));
        notices.truncate(50);
        Ok(notices)
    }
}
