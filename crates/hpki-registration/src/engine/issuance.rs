//! Issuance through the CA (from CSRs or onto a card), the previous card retired, a lost card
//! and a lost qualification revoked.

use super::*;

/// How long a claim on an application being issued holds before another request may take it
/// over (its process died), seconds.
const ISSUANCE_CLAIM_SECONDS: i64 = 10 * 60;

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
            Engine::acting_as(&officer.actor(), self.ca.revoke_card(&card_id, reason)).await?;
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
        let card = Engine::acting_as(
            &officer.actor(),
            self.ca.revoke_card(card_id, CrlReason::KeyCompromise),
        )
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
                Engine::acting_as(&officer.actor(), self.ca.revoke_card(&card.card_id, reason))
                    .await?;
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
                        match Engine::acting_as(
                            &officer.actor(),
                            self.ca.revoke(ca, serial, reason),
                        )
                        .await
                        {
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
    ///
    /// Everything that can be refused is refused before anything is signed: a stale version,
    /// a bad CSR, one key for both certificates, a key certified before. The application is
    /// then claimed, so that of parallel requests one issues and the others are refused
    /// ([`RegistrationError::Conflict`]); the certificates are issued for the application and
    /// taken by it in the transaction that records 発行. If that fails, what was issued is
    /// revoked at once (and by recovery, should the process die first).
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
        if app.record.version != version {
            return Err(RegistrationError::Conflict);
        }
        let subscriber = self.issuance_subscriber_id(&app).await?;
        let subject = self
            .ca
            .subject(&app.form.subject_json(&subscriber).to_string())?;
        let (sign_csr, auth_csr) = (
            hpki_ca::issue::CheckedCsr::parse(sign_csr)?,
            hpki_ca::issue::CheckedCsr::parse(auth_csr)?,
        );
        if sign_csr.key_hash()? == auth_csr.key_hash()? {
            return Err(RegistrationError::bad_input(
                "署名用と認証用の証明書に同じ鍵は使えません。鍵ペアを別々に生成してください",
                "the signing and the authentication certificate cannot certify one key: generate two key pairs",
            ));
        }
        for csr in [&sign_csr, &auth_csr] {
            self.ca.check_key_unused(csr).await?;
        }
        let claim = self.claim_issuance(id, version).await?;
        let issued_for = format!("application/{id}");
        let mut issued = Vec::new();
        let actor = officer.actor();
        let outcome = Engine::acting_as(&actor, async {
            // Checked again now that no other application of this doctor is being issued.
            let overridden = self.register_override(id).await?;
            self.register_rule(&app, overridden.as_deref()).await?;
            let replaced = self.retire_previous_card(officer, &app).await?;
            for (ca, csr) in [
                (hpki_ca::CaName::Sign, &sign_csr),
                (hpki_ca::CaName::Auth, &auth_csr),
            ] {
                let cert = self
                    .ca
                    .issue_for_record(&officer.actor(), ca, csr, &subject, &issued_for)
                    .await?;
                issued.push((ca, cert));
            }
            let (sign, auth) = (&issued[0].1, &issued[1].1);
            let change = ApplicationChange {
                stage: Some(to.as_str().into()),
                subscriber_id: Some(subscriber.clone()),
                subscriber: Some(self.register_record(&app, &subscriber)),
                links: vec![
                    ("sign".into(), sign.serial_hex.clone()),
                    ("auth".into(), auth.serial_hex.clone()),
                ],
                ..Default::default()
            };
            self.record_act(
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
            .await
        })
        .await;
        match outcome {
            Ok(app) => {
                let mut certs = issued.into_iter().map(|(_, c)| c);
                match (certs.next(), certs.next()) {
                    (Some(sign), Some(auth)) => Ok((app, sign, auth)),
                    _ => Err(RegistrationError::Internal(
                        "two certificates expected".into(),
                    )),
                }
            }
            Err(e) => {
                Engine::acting_as(
                    &actor,
                    self.abandon_issuance(id, &claim, &issued_for, &issued),
                )
                .await;
                Err(e)
            }
        }
    }

    /// Claims application `id` at `version` for issuance: `Conflict` when another request has
    /// it (or it changed).
    async fn claim_issuance(&self, id: i64, version: i64) -> Result<String, RegistrationError> {
        let claim = auth::random_secret()?;
        if self
            .store()
            .claim_issuance(id, version, &claim, self.now_unix(), ISSUANCE_CLAIM_SECONDS)
            .await?
        {
            Ok(claim)
        } else {
            Err(RegistrationError::Conflict)
        }
    }

    /// An issuance that failed after its claim: what it issued is revoked (nothing took it),
    /// the claim given up. Failures here are left to recovery, which finds the same
    /// certificates; the caller reports the issuance's own error.
    async fn abandon_issuance(
        &self,
        id: i64,
        claim: &str,
        issued_for: &str,
        issued: &[(hpki_ca::CaName, Issued)],
    ) {
        let serials: Vec<_> = issued
            .iter()
            .map(|(ca, c)| (*ca, c.serial_hex.clone()))
            .collect();
        let _ = self.ca.abandon(issued_for, &serials).await;
        let _ = self.store().release_issuance(id, claim).await;
    }

    /// 発行 on a card: a blank card personalised for the applicant (keys generated on the
    /// card, certificates issued and written) with the applicant's PIN; the application moves
    /// to 発行済 with the card ID. Claimed as [`Registration::issue_with_csrs`] is.
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
        if app.record.version != version {
            return Err(RegistrationError::Conflict);
        }
        let subscriber = self.issuance_subscriber_id(&app).await?;
        let holder = CardHolder::from_json(&app.form.holder_json(&subscriber).to_string())?;
        let claim = self.claim_issuance(id, version).await?;
        let outcome = Engine::acting_as(&officer.actor(), async {
            // Checked again now that no other application of this doctor is being issued.
            let overridden = self.register_override(id).await?;
            self.register_rule(&app, overridden.as_deref()).await?;
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
                subscriber: Some(self.register_record(&app, &subscriber)),
                card_id: Some(issued.card_id.clone()),
                ..Default::default()
            };
            let recorded = self
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
                .await;
            match recorded {
                Ok(app) => Ok((app, issued)),
                Err(e) => {
                    // The card is active but the application did not record it: revoke it
                    // rather than leave a card no application accounts for.
                    let _ = self
                        .ca
                        .revoke_card(&issued.card_id, CrlReason::CessationOfOperation)
                        .await;
                    Err(e)
                }
            }
        })
        .await;
        if outcome.is_err() {
            let _ = self.store().release_issuance(id, &claim).await;
        }
        outcome
    }
}
