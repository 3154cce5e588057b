//! The doctor's portal, the engine: a doctor's items (from the issued application and the
//! doctor's own profile) and 情報開示・非開示 settings loaded from the store, what a viewer sees
//! ([`hpki_disclosure::view`], the one decision), the doctor's edits (audited, with the doctor
//! as the actor), the cards with their certificates, a card reported lost, and the doctor's own
//! audit view.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hpki_ca::Engine;
use hpki_disclosure::record::Shown;
use hpki_disclosure::{Disclosure, Item, Record, Settings, Source, Viewer, view};
use hpki_ra::application::ApplicationForm;
use hpki_store::{
    ApplicationRecord, AuditRecord, CardRecord, CardStatus, CertificateRecord, DisclosureRow,
    SubscriberRecord,
};
use serde_json::json;
use time::Date;

use crate::{LoginError, Provider};

/// A doctor as the portal knows them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Doctor {
    /// The register's record.
    pub subscriber: SubscriberRecord,
    /// Every item with a value (the photo as a `data:` URL).
    pub record: Record,
    /// The disclosure settings.
    pub settings: Settings,
}

/// A card of the doctor with its two certificates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CardView {
    /// The card.
    pub card: CardRecord,
    /// Its signing certificate.
    pub sign: Option<CertificateRecord>,
    /// Its authentication certificate.
    pub auth: Option<CertificateRecord>,
}

/// The audit actor of the doctor's own acts.
pub fn doctor_actor(subscriber_id: &str) -> String {
    format!("subscriber/{subscriber_id}")
}

/// The items of issuance, from the issued application `app` of the doctor `subscriber`.
pub fn issuance_record(subscriber: &SubscriberRecord, app: Option<&ApplicationRecord>) -> Record {
    let mut r = Record::new();
    r.set(Item::Name, subscriber.name_kanji.clone());
    r.set(Item::BirthDate, subscriber.birth_date.clone());
    r.set(Item::LicenseNumber, subscriber.license_number.clone());
    let Some(app) = app else {
        return r;
    };
    if let Ok(form) = serde_json::from_str::<ApplicationForm>(&app.form) {
        if !form.name_kanji_family.is_empty() {
            r.set(
                Item::Name,
                format!("{}　{}", form.name_kanji_family, form.name_kanji_given),
            );
        }
        if let Some(sex) = form.sex {
            r.set(Item::Sex, sex.label(hpki_text::Lang::Ja));
        }
        if let Some(d) = form.license_registration_date {
            r.set(Item::LicenseYear, d.year().to_string());
        }
        r.set(Item::MemberId, form.member_id.clone());
        let a = &form.address;
        if !a.is_blank() {
            let prefecture = a
                .prefecture_code
                .and_then(hpki_ra::prefecture::prefecture)
                .map_or("", |p| p.name_ja);
            let postal = if a.postal_code.is_empty() {
                String::new()
            } else {
                format!("〒{} ", a.postal_code)
            };
            let building = if a.building.is_empty() {
                String::new()
            } else {
                format!(" {}", a.building)
            };
            r.set(
                Item::Address,
                format!("{postal}{prefecture}{}{building}", a.city),
            );
        }
        r.set(Item::Email, form.email.clone());
    }
    if let Some(photo) = &app.photo {
        let mime = if photo.starts_with(b"\x89PNG") {
            "image/png"
        } else {
            "image/jpeg"
        };
        r.set(
            Item::Photo,
            format!("data:{mime};base64,{}", STANDARD.encode(photo)),
        );
    }
    r
}

/// The settings of stored `rows` (unknown item keys, from a later release, are skipped).
pub fn settings_of(rows: &[DisclosureRow]) -> Settings {
    let mut s = Settings::defaults();
    for row in rows {
        if let Some(item) = Item::parse(&row.item) {
            s.set(
                item,
                Disclosure {
                    members: row.members,
                    public: row.public,
                },
            );
        }
    }
    s
}

impl Provider {
    /// Today in Japan, by the engine's clock (年齢 is reckoned on it).
    pub fn today(&self) -> Date {
        hpki_clock::jst::date(self.ca.now())
    }

    /// The doctor's latest issued application.
    pub(crate) async fn issued_application(
        &self,
        subscriber: &SubscriberRecord,
    ) -> Result<Option<ApplicationRecord>, LoginError> {
        let applications = self
            .ca
            .store
            .applications_with_license(&subscriber.license_number)
            .await?;
        Ok(applications
            .into_iter()
            .rev()
            .find(|a| a.subscriber_id.as_deref() == Some(subscriber.subscriber_id.as_str())))
    }

    /// The doctor `subscriber`'s items and settings.
    pub async fn doctor_of(&self, subscriber: SubscriberRecord) -> Result<Doctor, LoginError> {
        Ok(self.doctor_with_application(subscriber).await?.0)
    }

    /// [`Provider::doctor_of`], and the issued application it read.
    pub(crate) async fn doctor_with_application(
        &self,
        subscriber: SubscriberRecord,
    ) -> Result<(Doctor, Option<ApplicationRecord>), LoginError> {
        let app = self.issued_application(&subscriber).await?;
        let mut record = issuance_record(&subscriber, app.as_ref());
        let (profile, disclosure) = self
            .ca
            .store
            .portal_items(&subscriber.subscriber_id)
            .await?;
        for (key, value) in profile {
            if let Some(item) = Item::parse(&key).filter(|i| i.source() == Source::Profile) {
                record.set(item, value);
            }
        }
        let settings = settings_of(&disclosure);
        Ok((
            Doctor {
                subscriber,
                record,
                settings,
            },
            app,
        ))
    }

    /// The doctor whose subscriber ID is `subscriber_id`, if registered.
    pub async fn doctor(&self, subscriber_id: &str) -> Result<Option<Doctor>, LoginError> {
        match self.ca.store.subscriber_by_id(subscriber_id).await? {
            Some(s) => Ok(Some(self.doctor_of(s).await?)),
            None => Ok(None),
        }
    }

    /// What `viewer` sees of `doctor` today.
    pub fn view_of(&self, doctor: &Doctor, viewer: &Viewer) -> Vec<Shown> {
        view(&doctor.record, &doctor.settings, viewer, self.today())
    }

    /// What `viewer` sees of the doctor `subscriber_id`, none if not registered. A member's
    /// look (`looker`, the member's subscriber ID) is audited (`portal.viewed`, the member as
    /// the actor), so the doctor sees who looked; the public's is anonymous.
    pub async fn look_at(
        &self,
        subscriber_id: &str,
        viewer: &Viewer,
        looker: Option<&str>,
    ) -> Result<Option<Vec<Shown>>, LoginError> {
        let Some(doctor) = self.doctor(subscriber_id).await? else {
            return Ok(None);
        };
        let shown = self.view_of(&doctor, viewer);
        if let (Viewer::Member, Some(looker)) = (viewer, looker) {
            let items: Vec<&str> = shown.iter().map(|s| s.item.key()).collect();
            Engine::acting_as(&doctor_actor(looker), async {
                self.ca
                    .store
                    .append_audit(&self.ca.audit(
                        "portal.viewed",
                        &doctor_actor(subscriber_id),
                        json!({"viewer": viewer.kind(), "items": items}),
                    ))
                    .await
            })
            .await?;
        }
        Ok(Some(shown))
    }

    /// Saves the doctor's 情報開示・非開示 settings, audited (`portal.disclosure_changed`, the
    /// doctor as actor).
    pub async fn save_disclosure(
        &self,
        subscriber_id: &str,
        settings: &Settings,
    ) -> Result<(), LoginError> {
        let rows: Vec<DisclosureRow> = settings
            .iter()
            .map(|(item, d)| DisclosureRow {
                item: item.key().to_owned(),
                members: d.members,
                public: d.public,
            })
            .collect();
        let summary: serde_json::Map<String, serde_json::Value> = settings
            .iter()
            .map(|(i, d)| (i.key().to_owned(), json!([d.members, d.public])))
            .collect();
        let actor = doctor_actor(subscriber_id);
        Engine::acting_as(&actor, async {
            let audit = self.ca.audit(
                "portal.disclosure_changed",
                &doctor_actor(subscriber_id),
                json!({"members_public": summary}),
            );
            self.ca
                .store
                .put_portal_disclosure(subscriber_id, &rows, &audit)
                .await
        })
        .await?;
        Ok(())
    }

    /// Saves the doctor's profile `edits` (each value checked; empty removes the item),
    /// audited (`portal.profile_changed`, the items named, not their values).
    pub async fn save_profile(
        &self,
        subscriber_id: &str,
        edits: &[(Item, String)],
    ) -> Result<(), LoginError> {
        let mut changes = Vec::new();
        for (item, value) in edits {
            let value = Record::check_profile_value(*item, value)
                .map_err(|e| LoginError::BadInput(e.text()))?;
            changes.push((item.key().to_owned(), (!value.is_empty()).then_some(value)));
        }
        let items: Vec<&str> = changes.iter().map(|(k, _)| k.as_str()).collect();
        let actor = doctor_actor(subscriber_id);
        Engine::acting_as(&actor, async {
            let audit = self.ca.audit(
                "portal.profile_changed",
                &doctor_actor(subscriber_id),
                json!({"items": items}),
            );
            self.ca
                .store
                .put_portal_profile(subscriber_id, &changes, &audit)
                .await
        })
        .await?;
        Ok(())
    }

    /// The doctor's cards, newest first, with their certificates.
    pub async fn cards_of(&self, subscriber_id: &str) -> Result<Vec<CardView>, LoginError> {
        let mut cards = self.ca.store.cards(Some(subscriber_id)).await?;
        cards.sort_by_key(|c| std::cmp::Reverse(c.issued_at));
        let mut out = Vec::new();
        for card in cards {
            let cert = async |ca: &str, serial: &Option<String>| match serial {
                Some(s) => self.ca.store.certificate(ca, s).await,
                None => Ok(None),
            };
            let sign = cert("sign", &card.sign_serial).await?;
            let auth = cert("auth", &card.auth_serial).await?;
            out.push(CardView { card, sign, auth });
        }
        Ok(out)
    }

    /// The doctor reports card `card_id` lost (紛失届): its certificates are revoked at once
    /// (keyCompromise) and the card recorded lost, with the doctor as the actor; the office of
    /// the doctor's last issuance is named in the audit record (`portal.card_reported_lost`),
    /// which its officers see.
    pub async fn report_lost(
        &self,
        subscriber_id: &str,
        card_id: &str,
    ) -> Result<CardRecord, LoginError> {
        let card = self
            .ca
            .store
            .card(card_id)
            .await?
            .filter(|c| c.subscriber_id == subscriber_id)
            .ok_or_else(|| {
                LoginError::bad_input(
                    format!("カード {card_id} はあなたのカードではありません。"),
                    format!("Card {card_id} is not yours."),
                )
            })?;
        if card.status != CardStatus::Active {
            return Err(LoginError::bad_input(
                format!("カード {card_id} はすでに{}です。", card.status.label_ja()),
                format!("Card {card_id} is already {}.", card.status.as_str()),
            ));
        }
        let office = self
            .ca
            .store
            .subscriber_by_id(subscriber_id)
            .await?
            .map(|s| s.office_id);
        let actor = doctor_actor(subscriber_id);
        let record = Engine::acting_as(&actor, async {
            let record = self
                .ca
                .revoke_card(card_id, x509_cert::ext::pkix::crl::CrlReason::KeyCompromise)
                .await?;
            self.ca
                .store
                .append_audit(&self.ca.audit(
                    "portal.card_reported_lost",
                    &doctor_actor(subscriber_id),
                    json!({"card_id": card_id, "office_id": office}),
                ))
                .await?;
            Ok::<_, LoginError>(record)
        })
        .await?;
        Ok(record)
    }

    /// Who did what about the doctor (sign-ins, relying parties, qualification checks, the
    /// doctor's own changes): the newest `limit` audit records about them.
    pub async fn audit_about(
        &self,
        subscriber_id: &str,
        limit: i64,
    ) -> Result<Vec<AuditRecord>, LoginError> {
        Ok(self
            .ca
            .store
            .audit_records_about(&doctor_actor(subscriber_id), limit)
            .await?)
    }
}
