//! Card login: the chain a TLS client presented, checked by [`hpki_login::card::check`]
//! against this CA's root and authentication CA, then mapped to the doctor through the
//! subscriber register (the subject serialNumber is the subscriber ID the register keeps for
//! life). A sign-in is audited (`login.card`) with the certificate serial.

use hpki_ca::CaName;
use hpki_disclosure::Item;
use hpki_login::card::{CardHolder, Trust, check};
use hpki_login::claims::{Identity, PersonName};
use hpki_store::SubscriberRecord;
use hpki_verify::RevocationData;
use serde_json::{Value, json};

use crate::{LoginError, Provider};

/// A doctor signed in with the card.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedIn {
    /// What the certificate says and passed.
    pub holder: CardHolder,
    /// The register's record.
    pub subscriber: SubscriberRecord,
    /// Names, role and licence number, for claims and pages.
    pub identity: Identity,
    /// When, Unix seconds.
    pub auth_time: u64,
}

impl Provider {
    /// What card login trusts: this CA's root, its authentication CA and the authentication
    /// policies.
    pub fn trust(&self) -> Result<Trust, LoginError> {
        let unavailable = |e: hpki_ca::CaError| LoginError::Unavailable(e.to_string());
        let cert = |ca| {
            self.ca
                .authority(ca)
                .map(|a| a.ca.cert.clone())
                .map_err(unavailable)
        };
        Ok(Trust {
            roots: vec![cert(CaName::Root)?],
            intermediates: vec![cert(CaName::Auth)?],
            policies: self
                .ca
                .end_entity_policies(CaName::Auth)
                .map_err(unavailable)?,
        })
    }

    /// The holder of `chain` (leaf first, DER), checked with the revocation status of
    /// `revocation` (the authentication CA's current CRL, as the server caches it) and found in
    /// the register. Writes nothing: [`Provider::card_login`] audits a sign-in,
    /// [`Provider::open_session`] opens a session with its audit record.
    pub async fn authenticate(
        &self,
        chain: &[Vec<u8>],
        revocation: &RevocationData,
    ) -> Result<SignedIn, LoginError> {
        let holder = check(chain, &self.trust()?, revocation, self.ca.now())?;
        let subscriber = self
            .ca
            .store
            .subscriber_by_id(&holder.subscriber_id)
            .await?
            .ok_or_else(|| LoginError::NotRegistered(holder.subscriber_id.clone()))?;
        let identity = self.identity(&holder, &subscriber).await?;
        Ok(SignedIn {
            holder,
            subscriber,
            identity,
            auth_time: self.ca.now_unix(),
        })
    }

    /// Signs in the holder of `chain` ([`Provider::authenticate`]), audited (`login.card`).
    pub async fn card_login(
        &self,
        chain: &[Vec<u8>],
        revocation: &RevocationData,
    ) -> Result<SignedIn, LoginError> {
        let signed_in = self.authenticate(chain, revocation).await?;
        self.ca
            .store
            .append_audit(&self.ca.audit(
                "login.card",
                &format!("subscriber/{}", signed_in.subscriber.subscriber_id),
                json!({"serial": signed_in.holder.serial_hex, "role": signed_in.holder.role.role}),
            ))
            .await?;
        Ok(signed_in)
    }

    /// The names of the doctor's latest issued application (kana and romaji are kept only
    /// there), the role from the certificate, the licence number from the register, and the
    /// portal's items (without the photo) and disclosure settings, for the claims.
    pub(crate) async fn identity(
        &self,
        holder: &CardHolder,
        subscriber: &SubscriberRecord,
    ) -> Result<Identity, LoginError> {
        let (doctor, app) = self.doctor_with_application(subscriber.clone()).await?;
        let form: Value = app
            .and_then(|a| serde_json::from_str(&a.form).ok())
            .unwrap_or(Value::Null);
        let name = |family: &str, given: &str| PersonName {
            family: form[family].as_str().unwrap_or_default().to_owned(),
            given: form[given].as_str().unwrap_or_default().to_owned(),
        };
        let mut kanji = name("name_kanji_family", "name_kanji_given");
        if kanji.family.is_empty() && kanji.given.is_empty() {
            kanji.family = subscriber.name_kanji.clone();
        }
        let mut romaji = name("name_romaji_family", "name_romaji_given");
        if romaji.family.is_empty() && romaji.given.is_empty() {
            romaji.given = holder.subscriber.name_romaji.clone().unwrap_or_default();
        }
        let mut record = doctor.record;
        record.set(Item::Photo, "");
        Ok(Identity {
            subscriber_id: subscriber.subscriber_id.clone(),
            kanji,
            kana: name("name_kana_family", "name_kana_given"),
            romaji,
            hc_role: holder.role.role.clone(),
            hc_role_ja: holder.role.role_ja.clone(),
            license_number: subscriber.license_number.clone(),
            record,
            settings: doctor.settings,
        })
    }
}
