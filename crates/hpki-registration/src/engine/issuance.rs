//! Issuance through the CA (from CSRs or onto a card), the previous card retired, a lost card
//! and a lost qualification revoked.

use super::*;

impl Registration {
    /// The subscriber ID of an application: `JMA` and the member ID for JMA members, else
    /// `JMAL` and the medical licence number (医籍登録番号, one per doctor for life), so a
    /// doctor keeps the ID across renewals.
    pub(crate) fn subscriber_id(app: &Application) -> String {
        let form = app.form.normalized();
        match form.member_id.trim() {
            "" => format!("JMAL{}", form.license_number.trim()),
            m => format!("JMA{m}"),
        }
    }

    /// For a renewal, reissue or change: the card it replaces, whose certificates are revoked
    /// now, before anything new is issued (reissue after loss: keyCompromise; renewal and
    /// change: superseded). The card must be the same doctor's: the same 医籍登録番号.
    pub(crate) async fn retire_previous_card(
        &self,
        officer: &Officer,
        app: &Application,
    ) -> Result<Option<String>, RegistrationError> {
        if !app.form.replaces_a_card() {
            return Ok(None);
        }
        let form = app.form.normalized();
        let card_id = form.previous_card_id.clone();
        let same_doctor = |holder: &str| {
            CardHolder::from_json(holder)
                .is_ok_and(|h| h.license_number == form.license_number.trim())
        };
        let card = match self.store().card(&card_id).await? {
            Some(c) if same_doctor(&c.holder) => c,
            _ => {
                return Err(RegistrationError::Invalid(vec![FieldError {
                    field: "previous_card_id",
                    code: "unknown_card",
                    message_ja: format!(
                        "カード {card_id} はこの申請者のカードとして登録されていません"
                    ),
                    message_en: format!("card {card_id} is not registered to this applicant"),
                }]));
            }
        };
        let reason = match app.form.kind {
            Some(hpki_ra::application::ApplicationKind::Reissue) => CrlReason::KeyCompromise,
            _ => CrlReason::Superseded,
        };
        if card.status == hpki_store::CardStatus::Active {
            self.ca.revoke_card(&card_id, reason).await?;
            self.store()
                .append_audit(&self.audit(
                    &officer.actor(),
                    "application.previous_card_revoked",
                    &format!("application/{}", app.record.id),
                    json!({"card": card_id, "reason": hpki_ca::crl::reason_name(reason as i32)}),
                ))
                .await?;
        }
        Ok(Some(card_id))
    }

    /// Reports card `card_id` lost (紛失届): its certificates are revoked at once
    /// (keyCompromise). CA operators of HQ only; the reissue is a new application of kind
    /// 再発行 naming this card.
    pub async fn report_card_lost(
        &self,
        officer: &Officer,
        card_id: &str,
    ) -> Result<hpki_store::CardRecord, RegistrationError> {
        if !(officer.is_hq() && officer.has(Role::CaOperator)) {
            return Err(RegistrationError::forbidden(
                "紛失届の処理は登録局の認証局運用者のみ行えます",
                "only a CA operator of the registration authority records a lost card",
            ));
        }
        let card = self
            .ca
            .revoke_card(card_id, CrlReason::KeyCompromise)
            .await?;
        self.store()
            .append_audit(&self.audit(
                &officer.actor(),
                "card.lost_reported",
                &format!("card/{card_id}"),
                json!({"subscriber_id": card.subscriber_id}),
            ))
            .await?;
        Ok(card)
    }

    /// Revokes every certificate of a doctor (cards and certificates issued on CSRs) when the
    /// qualification is lost or for another RFC 5280 `reason`: CA operators of HQ only.
    /// Returns the serials revoked now.
    pub async fn revoke_doctor(
        &self,
        officer: &Officer,
        subscriber_id: &str,
        reason: CrlReason,
    ) -> Result<Vec<String>, RegistrationError> {
        if !(officer.is_hq() && officer.has(Role::CaOperator)) {
            return Err(RegistrationError::forbidden(
                "医師の証明書の失効は登録局の認証局運用者のみ行えます",
                "only a CA operator of the registration authority revokes a doctor's certificates",
            ));
        }
        let mut revoked = Vec::new();
        for card in self.store().cards(Some(subscriber_id)).await? {
            if matches!(
                card.status,
                hpki_store::CardStatus::Active | hpki_store::CardStatus::Personalizing
            ) {
                self.ca.revoke_card(&card.card_id, reason).await?;
                revoked.extend(card.sign_serial.into_iter().chain(card.auth_serial));
            }
        }
        let apps = self
            .store()
            .applications(&ApplicationFilter::default())
            .await?;
        for a in apps
            .iter()
            .filter(|a| a.subscriber_id.as_deref() == Some(subscriber_id))
        {
            for e in self.store().application_events(a.id).await? {
                if e.action != Action::Issue.as_str() {
                    continue;
                }
                let d: serde_json::Value = serde_json::from_str(&e.details).unwrap_or_default();
                if d["card_id"].is_string() {
                    continue;
                }
                for (key, ca) in [
                    ("sign_serial", hpki_ca::CaName::Sign),
                    ("auth_serial", hpki_ca::CaName::Auth),
                ] {
                    if let Some(serial) = d[key].as_str() {
                        match self.ca.revoke(ca, serial, reason).await {
                            Ok(s) => revoked.push(s),
                            Err(hpki_ca::CaError::AlreadyRevoked(_)) => {}
                            Err(e) => return Err(e.into()),
                        }
                    }
                }
            }
        }
        if revoked.is_empty() {
            return Err(RegistrationError::not_found(
                format!("{subscriber_id} の有効な証明書"),
                format!("valid certificates of {subscriber_id}"),
            ));
        }
        self.store()
            .append_audit(&self.audit(
                &officer.actor(),
                "doctor.revoked",
                &format!("doctor/{subscriber_id}"),
                json!({"reason": hpki_ca::crl::reason_name(reason as i32), "serials": revoked}),
            ))
            .await?;
        Ok(revoked)
    }

    /// 発行 with the applicant's own keys: both certificates issued by the CA from the
    /// applicant's CSRs (PEM or DER) and the form; the application moves to 発行済.
    pub async fn issue_with_csrs(
        &self,
        officer: &Officer,
        id: i64,
        version: i64,
        sign_csr: &[u8],
        auth_csr: &[u8],
    ) -> Result<(Application, Issued, Issued), RegistrationError> {
        let app = self.get(officer, id).await?;
        let to = self
            .check_act(officer, &app, Action::Issue, &ActInput::default())
            .await?;
        let subscriber = Self::subscriber_id(&app);
        let replaced = self.retire_previous_card(officer, &app).await?;
        let subject = self
            .ca
            .subject(&app.form.subject_json(&subscriber).to_string())?;
        let (sign_csr, auth_csr) = (
            hpki_ca::issue::CheckedCsr::parse(sign_csr)?,
            hpki_ca::issue::CheckedCsr::parse(auth_csr)?,
        );
        let sign = self
            .ca
            .issue(hpki_ca::CaName::Sign, &sign_csr, &subject)
            .await?;
        let auth = self
            .ca
            .issue(hpki_ca::CaName::Auth, &auth_csr, &subject)
            .await?;
        let change = ApplicationChange {
            stage: Some(to.as_str().into()),
            subscriber_id: Some(subscriber.clone()),
            ..Default::default()
        };
        let app = self
            .record_act(
                officer,
                &app,
                version,
                Action::Issue,
                to,
                &ActInput::default(),
                change,
                json!({"subscriber_id": subscriber, "sign_serial": sign.serial_hex,
                       "auth_serial": auth.serial_hex, "replaces": replaced}),
            )
            .await?;
        Ok((app, sign, auth))
    }

    /// 発行 on a card: a blank card personalised for the applicant (keys generated on the
    /// card, certificates issued and written) with the applicant's PIN; the application moves
    /// to 発行済 with the card ID.
    pub async fn issue_with_card(
        &self,
        officer: &Officer,
        id: i64,
        version: i64,
        blank: &dyn BlankCard,
        pin: &str,
    ) -> Result<(Application, CardIssued), RegistrationError> {
        let app = self.get(officer, id).await?;
        let to = self
            .check_act(officer, &app, Action::Issue, &ActInput::default())
            .await?;
        let subscriber = Self::subscriber_id(&app);
        let holder = CardHolder::from_json(&app.form.holder_json(&subscriber).to_string())?;
        let replaced = self.retire_previous_card(officer, &app).await?;
        let issued = self
            .ca
            .personalize_card(
                blank,
                &holder,
                app.record.photo.clone(),
                pin,
                replaced.as_deref(),
            )
            .await?;
        let change = ApplicationChange {
            stage: Some(to.as_str().into()),
            subscriber_id: Some(subscriber.clone()),
            card_id: Some(issued.card_id.clone()),
            ..Default::default()
        };
        let app = self
            .record_act(
                officer,
                &app,
                version,
                Action::Issue,
                to,
                &ActInput::default(),
                change,
                json!({"subscriber_id": subscriber, "card_id": issued.card_id,
                       "sign_serial": issued.sign.serial_hex, "auth_serial": issued.auth.serial_hex,
                       "replaces": replaced}),
            )
            .await?;
        Ok((app, issued))
    }
}
