//! The subscriber register at work: one doctor per 医籍登録番号.
//!
//! Every stage shows what the register says about an application ([`RegisterFinding`]):
//! the doctor already holds an active card, was issued before, has another application under
//! way at some office, or the number belongs to another person. At final review (HQ) a finding
//! that would give one doctor two cards or two certificate sets stops the application (it must
//! be a renewal, reissue or change naming the card it replaces); any other finding needs the
//! final reviewer's reason, recorded with the review. Issuance checks again, after claiming the
//! application (one application per doctor is issued at a time), and records the doctor in the
//! register in the transaction that records the issuance.

use hpki_ra::application::ApplicationKind;
use hpki_text::{Localized, Text};

use super::*;

/// What the subscriber register says about an application.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum RegisterFinding {
    /// The doctor holds an active card that this application does not replace.
    ActiveCard {
        /// The card.
        card_id: String,
        /// Its subscriber.
        subscriber_id: String,
    },
    /// The doctor was issued on another application, and this one is for a first card.
    IssuedBefore {
        /// The earlier application.
        application_id: i64,
        /// The office that received it.
        office_id: String,
    },
    /// Another application for the same 医籍登録番号 is under way.
    OpenApplication {
        /// The other application.
        application_id: i64,
        /// The office that received it.
        office_id: String,
        /// The name on it.
        name_kanji: String,
    },
    /// The register holds this 医籍登録番号 under another name or birth date.
    DifferentPerson {
        /// The name in the register.
        name_kanji: String,
        /// The birth date in the register.
        birth_date: String,
    },
}

impl RegisterFinding {
    /// Whether this finding stops an application of `kind` whatever the reviewer says: it would
    /// give the doctor a second card or a second certificate set.
    pub fn blocks(&self, kind: Option<ApplicationKind>) -> bool {
        match self {
            RegisterFinding::ActiveCard { .. } => true,
            RegisterFinding::IssuedBefore { .. } => {
                matches!(kind, None | Some(ApplicationKind::New))
            }
            RegisterFinding::OpenApplication { .. } | RegisterFinding::DifferentPerson { .. } => {
                false
            }
        }
    }
}

impl Localized for RegisterFinding {
    fn text(&self) -> Text {
        match self {
            RegisterFinding::ActiveCard {
                card_id,
                subscriber_id,
            } => Text::new(
                format!(
                    "この医籍登録番号の医師は有効なカード {card_id}（{subscriber_id}）を持っています。更新・再発行・変更の申請としてそのカードを指定してください"
                ),
                format!(
                    "the doctor of this medical licence number holds the active card {card_id} ({subscriber_id}); apply for a renewal, reissue or change naming it"
                ),
            ),
            RegisterFinding::IssuedBefore {
                application_id,
                office_id,
            } => Text::new(
                format!(
                    "この医籍登録番号の医師には申請 {application_id}（{office_id}）で発行済みです。新規ではなく更新・再発行・変更の申請にしてください"
                ),
                format!(
                    "the doctor of this medical licence number was issued on application {application_id} ({office_id}); this must be a renewal, reissue or change, not a new application"
                ),
            ),
            RegisterFinding::OpenApplication {
                application_id,
                office_id,
                name_kanji,
            } => Text::new(
                format!(
                    "同じ医籍登録番号の申請 {application_id}（{office_id}、{name_kanji}）が処理中です"
                ),
                format!(
                    "application {application_id} ({office_id}, {name_kanji}) for the same medical licence number is under way"
                ),
            ),
            RegisterFinding::DifferentPerson {
                name_kanji,
                birth_date,
            } => Text::new(
                format!(
                    "この医籍登録番号は登録簿では別の氏名・生年月日（{name_kanji}、{birth_date}）で登録されています"
                ),
                format!(
                    "the register holds this medical licence number under another name or birth date ({name_kanji}, {birth_date})"
                ),
            ),
        }
    }
}

/// The birth date of a form as the register keeps it, `YYYY-MM-DD` (empty when not given).
fn birth_text(form: &ApplicationForm) -> String {
    form.birth_date.map(|d| d.to_string()).unwrap_or_default()
}

/// The same name, ignoring spaces of either width.
fn same_name(a: &str, b: &str) -> bool {
    let strip = |s: &str| -> String { s.chars().filter(|c| !c.is_whitespace()).collect() };
    strip(a) == strip(b)
}

impl Registration {
    /// What the subscriber register says about `app` (nothing for a form without a licence
    /// number yet).
    pub async fn register_findings(
        &self,
        app: &Application,
    ) -> Result<Vec<RegisterFinding>, RegistrationError> {
        let form = app.form.normalized();
        let license = form.license_number.trim();
        if license.is_empty() {
            return Ok(Vec::new());
        }
        let mut findings = Vec::new();
        let registered = self.store().subscriber(license).await?;
        let name = format!("{}{}", form.name_kanji_family, form.name_kanji_given);
        let birth = birth_text(&form);
        if let Some(r) = &registered
            && (!same_name(&r.name_kanji, &name) || r.birth_date != birth)
        {
            findings.push(RegisterFinding::DifferentPerson {
                name_kanji: r.name_kanji.clone(),
                birth_date: r.birth_date.clone(),
            });
        }
        // Active cards: the register's subscriber and the one this application would make.
        let mut subscribers = vec![Self::subscriber_id(app)];
        if let Some(r) = &registered
            && !subscribers.contains(&r.subscriber_id)
        {
            subscribers.push(r.subscriber_id.clone());
        }
        let replaced = app
            .form
            .replaces_a_card()
            .then(|| form.previous_card_id.trim().to_owned());
        for s in &subscribers {
            for card in self.store().cards(Some(s)).await? {
                let licensed =
                    CardHolder::from_json(&card.holder).is_ok_and(|h| h.license_number == license);
                if card.status == hpki_store::CardStatus::Active
                    && licensed
                    && replaced.as_deref() != Some(card.card_id.as_str())
                {
                    findings.push(RegisterFinding::ActiveCard {
                        card_id: card.card_id.clone(),
                        subscriber_id: card.subscriber_id.clone(),
                    });
                }
            }
        }
        for other in self.store().applications_with_license(license).await? {
            if other.id == app.record.id {
                continue;
            }
            match Stage::parse(&other.stage) {
                Some(Stage::Issued | Stage::Shipped | Stage::Active) => {
                    // A card already reported as active says it better.
                    let reported = other
                        .card_id
                        .as_ref()
                        .is_some_and(|c| findings.iter().any(|f| matches!(f, RegisterFinding::ActiveCard { card_id, .. } if card_id == c)));
                    if !reported && !app.form.replaces_a_card() {
                        findings.push(RegisterFinding::IssuedBefore {
                            application_id: other.id,
                            office_id: other.office_id.clone(),
                        });
                    }
                }
                Some(Stage::Rejected) | None => {}
                Some(_) => findings.push(RegisterFinding::OpenApplication {
                    application_id: other.id,
                    office_id: other.office_id.clone(),
                    name_kanji: other.name_kanji.clone(),
                }),
            }
        }
        Ok(findings)
    }

    /// The register's rule at final review and at issuance: a blocking finding refuses; any
    /// other needs `reason`, the HQ final reviewer's (at issuance: the one recorded with the
    /// final review). Returns the findings to record.
    pub(crate) async fn register_rule(
        &self,
        app: &Application,
        reason: Option<&str>,
    ) -> Result<Vec<RegisterFinding>, RegistrationError> {
        let findings = self.register_findings(app).await?;
        let kind = app.form.kind;
        if findings.iter().any(|f| f.blocks(kind)) {
            return Err(RegistrationError::Register {
                findings,
                override_possible: false,
            });
        }
        if !findings.is_empty() && reason.is_none_or(|r| r.trim().is_empty()) {
            return Err(RegistrationError::Register {
                findings,
                override_possible: true,
            });
        }
        Ok(findings)
    }

    /// The reason the HQ final reviewer recorded for going on despite the register's findings,
    /// if the final review of application `id` recorded one.
    pub(crate) async fn register_override(
        &self,
        id: i64,
    ) -> Result<Option<String>, RegistrationError> {
        let events = self.store().application_events(id).await?;
        Ok(events
            .iter()
            .rev()
            .find(|e| e.action == Action::FinalReview.as_str())
            .and_then(|e| serde_json::from_str::<serde_json::Value>(&e.details).ok())
            .and_then(|d| d["register_override"].as_str().map(str::to_owned)))
    }

    /// The register record an issuance of `app` writes: a new doctor under `subscriber_id`,
    /// or the doctor's record brought up to date.
    pub(crate) fn register_record(
        &self,
        app: &Application,
        subscriber_id: &str,
    ) -> hpki_store::SubscriberRecord {
        let form = app.form.normalized();
        let now = self.now_unix();
        hpki_store::SubscriberRecord {
            license_number: form.license_number.trim().to_owned(),
            subscriber_id: subscriber_id.to_owned(),
            name_kanji: format!("{}{}", form.name_kanji_family, form.name_kanji_given),
            birth_date: birth_text(&form),
            office_id: app.record.office_id.clone(),
            first_application_id: app.record.id,
            registered_at: now,
            updated_at: now,
        }
    }

    /// The subscriber ID an issuance of `app` uses: the register's, for a doctor issued before
    /// (a later JMA membership does not make a second subscriber), else a new one.
    pub(crate) async fn issuance_subscriber_id(
        &self,
        app: &Application,
    ) -> Result<String, RegistrationError> {
        let form = app.form.normalized();
        Ok(
            match self.store().subscriber(form.license_number.trim()).await? {
                Some(r) => r.subscriber_id,
                None => Self::subscriber_id(app),
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_second_card_or_a_second_first_issuance_blocks() {
        let card = RegisterFinding::ActiveCard {
            card_id: "C1".into(),
            subscriber_id: "JMA1".into(),
        };
        let before = RegisterFinding::IssuedBefore {
            application_id: 1,
            office_id: "pref-13".into(),
        };
        let open = RegisterFinding::OpenApplication {
            application_id: 2,
            office_id: "pref-27".into(),
            name_kanji: "日医太郎".into(),
        };
        assert!(card.blocks(Some(ApplicationKind::Renewal)));
        assert!(before.blocks(Some(ApplicationKind::New)) && before.blocks(None));
        assert!(!before.blocks(Some(ApplicationKind::Reissue)));
        assert!(!open.blocks(Some(ApplicationKind::New)));
        for f in [card, before, open] {
            let t = f.text();
            // The English words carry no Japanese; a name in kanji is the doctor's, not words.
            assert!(hpki_text::has_japanese(&t.ja));
            assert!(
                !hpki_text::has_japanese(&t.en.replace("日医太郎", "")),
                "{}",
                t.en
            );
        }
        assert!(same_name("日医　太郎", "日医 太郎") && !same_name("日医太郎", "日医次郎"));
    }
}
