//! The card lifecycle: personalisation, renewal on the same card, loss and reissue, unblocking.
//!
//! **Personalisation** (the issuance step of the registration workflow, and
//! `hpki card personalize`): the card is recorded first (`personalizing`, with a fresh card ID
//! and the RA's unblocking code sealed under the operator passphrase), then the blank token is
//! initialised, both key pairs are generated on it, each CSR is signed by the card (proof of
//! possession), the CA issues the signing and the authentication certificate from the holder's
//! record, both are written to the card, and the card becomes `active`. If anything fails after
//! a certificate was issued, what was issued is revoked and the card is recorded `revoked`: no
//! valid certificate is ever left for a card that was not finished.
//!
//! **Renewal** re-keys the same card: new key pairs beside the old ones, new certificates, then
//! the old pairs are removed and the old certificates revoked (superseded). **Loss** revokes the
//! card's certificates (keyCompromise) before anything else; **reissue** then personalises a new
//! card for the same holder, recording which card it replaces.
//!
//! Card policy (`[cards]` in `hpki.toml`): card validity 6 years, certificates 2 years
//! (`end_entity_validity_days`), PIN blocked after 15 wrong tries.

use hpki_profile::subject::SubjectInput;
use hpki_store::{CardRecord, CardStatus, NewCard};
use hpki_token::{BlankCard, Card, CardKeySigner, KeyUse};
use serde::{Deserialize, Serialize};
use serde_json::json;
use x509_cert::ext::pkix::crl::CrlReason;
use zeroize::Zeroizing;

use crate::CaError;
use crate::authority::{CaName, Engine};
use crate::ceremony::build_csr;
use crate::issue::Issued;

/// Digits of the RA's unblocking code (the card's SO PIN).
const UNBLOCK_CODE_DIGITS: usize = 12;

/// The holder's record for the card: the certificate subject (as `hpki ca issue --subject`)
/// and what the card face shows.
///
/// ```json
/// {"name_romaji": "Taro Nichii", "name_kanji": "日医 太郎", "subscriber_id": "JMA9999999999",
///  "role": "Medical Doctor", "birth_date": "1955-01-01", "member_id": "9999999999",
///  "license_number": "TESTC00021"}
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardHolder {
    /// The certificate subject.
    pub subject: SubjectInput,
    /// Date of birth, `YYYY-MM-DD`.
    pub birth_date: String,
    /// JMA member ID (10 digits), for members.
    pub member_id: Option<String>,
    /// 医籍登録番号 (medical licence registration number).
    pub license_number: String,
}

/// The fields of the holder record that are not the subject's.
const HOLDER_FIELDS: [&str; 3] = ["birth_date", "member_id", "license_number"];

impl CardHolder {
    /// Reads the flat JSON form above, checking every field.
    pub fn from_json(text: &str) -> Result<CardHolder, CaError> {
        let mut map: serde_json::Map<String, serde_json::Value> = serde_json::from_str(text)
            .map_err(|e| {
                CaError::holder(
                    format!(
                        "券面情報が JSON として読めません{}",
                        hpki_text::DETAIL_IN_ENGLISH
                    ),
                    e.to_string(),
                )
            })?;
        let mut take = |k: &str| -> Result<Option<String>, CaError> {
            match map.remove(k) {
                None | Some(serde_json::Value::Null) => Ok(None),
                Some(serde_json::Value::String(s)) => Ok(Some(s)),
                Some(_) => Err(CaError::holder(
                    format!("{k} は文字列で指定してください"),
                    format!("{k} must be a string"),
                )),
            }
        };
        let birth_date = take(HOLDER_FIELDS[0])?.ok_or_else(|| {
            CaError::holder(
                "birth_date（生年月日、YYYY-MM-DD）が必要です",
                "birth_date is required (YYYY-MM-DD)",
            )
        })?;
        let member_id = take(HOLDER_FIELDS[1])?;
        let license_number = take(HOLDER_FIELDS[2])?.ok_or_else(|| {
            CaError::holder(
                "license_number（医籍登録番号）が必要です",
                "license_number is required",
            )
        })?;
        let subject = SubjectInput::from_json(&serde_json::Value::Object(map).to_string())?;
        let holder = CardHolder {
            subject,
            birth_date,
            member_id,
            license_number,
        };
        holder.check()?;
        Ok(holder)
    }

    /// The date of birth, checked to be a date.
    fn born(&self) -> Result<time::Date, CaError> {
        let format = time::macros::format_description!("[year]-[month]-[day]");
        time::Date::parse(&self.birth_date, format).map_err(|_| {
            CaError::holder(
                format!(
                    "birth_date {:?} は YYYY-MM-DD の日付ではありません",
                    self.birth_date
                ),
                format!("birth_date {:?} is not a date YYYY-MM-DD", self.birth_date),
            )
        })
    }

    /// The checks a card is issued with on `today` (in Japan): the record's own, and a date of
    /// birth in the past.
    fn check_on(&self, today: time::Date) -> Result<(), CaError> {
        self.check()?;
        if self.born()? >= today {
            return Err(CaError::holder(
                format!("birth_date {} が未来の日付です", self.birth_date),
                format!("birth_date {} is not in the past", self.birth_date),
            ));
        }
        if !hpki_cardface::plausible_birth_date(self.born()?, today) {
            return Err(CaError::holder(
                format!(
                    "birth_date {} を確認してください（{}歳以上{}歳以下）",
                    self.birth_date,
                    hpki_cardface::MIN_HOLDER_AGE_YEARS,
                    hpki_cardface::MAX_HOLDER_AGE_YEARS
                ),
                format!(
                    "birth_date {}: a card holder is {} to {} years old",
                    self.birth_date,
                    hpki_cardface::MIN_HOLDER_AGE_YEARS,
                    hpki_cardface::MAX_HOLDER_AGE_YEARS
                ),
            ));
        }
        Ok(())
    }

    fn check(&self) -> Result<(), CaError> {
        self.born()?;
        if let Some(m) = &self.member_id
            && (m.len() != 10 || !m.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(CaError::holder(
                format!("member_id {m:?} は10桁の日医会員ID番号で指定してください"),
                format!("member_id {m:?} must be the 10-digit JMA member ID"),
            ));
        }
        let l = &self.license_number;
        if l.is_empty() || l.len() > 20 || !l.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(CaError::holder(
                format!("license_number {l:?} は英数字1〜20文字で指定してください"),
                format!("license_number {l:?} must be 1-20 letters or digits"),
            ));
        }
        Ok(())
    }

    /// The flat JSON form.
    pub fn to_json(&self) -> Result<String, CaError> {
        let mut v = serde_json::to_value(&self.subject_json_value()?).map_err(|e| {
            CaError::holder(
                format!("券面情報を書き出せません{}", hpki_text::DETAIL_IN_ENGLISH),
                e.to_string(),
            )
        })?;
        if let Some(map) = v.as_object_mut() {
            map.insert("birth_date".into(), json!(self.birth_date));
            if let Some(m) = &self.member_id {
                map.insert("member_id".into(), json!(m));
            }
            map.insert("license_number".into(), json!(self.license_number));
        }
        Ok(v.to_string())
    }

    fn subject_json_value(&self) -> Result<serde_json::Value, CaError> {
        serde_json::to_value(&self.subject).map_err(|e| {
            CaError::holder(
                format!("券面情報を書き出せません{}", hpki_text::DETAIL_IN_ENGLISH),
                e.to_string(),
            )
        })
    }

    /// The subject JSON the CA issues from.
    pub fn subject_json(&self) -> Result<String, CaError> {
        Ok(self.subject_json_value()?.to_string())
    }
}

/// A card just personalised or renewed.
#[derive(Clone, Debug)]
pub struct CardIssued {
    /// The card ID.
    pub card_id: String,
    /// The signing certificate.
    pub sign: Issued,
    /// The authentication certificate.
    pub auth: Issued,
    /// When the card expires (Unix seconds).
    pub expires_at: i64,
}

fn ca_of(key: KeyUse) -> CaName {
    match key {
        KeyUse::Signing => CaName::Sign,
        KeyUse::Authentication => CaName::Auth,
    }
}

fn aad(card_id: &str) -> Vec<u8> {
    format!("hpki card unblock code v1\0{card_id}").into_bytes()
}

/// A fresh unblocking code: twelve random digits.
fn unblock_code() -> Result<Zeroizing<String>, CaError> {
    let mut bytes = Zeroizing::new([0u8; UNBLOCK_CODE_DIGITS]);
    crate::sealed::random(&mut bytes[..])?;
    // 250 is a multiple of 10: rejection keeps the digits uniform.
    let mut out = Zeroizing::new(String::with_capacity(UNBLOCK_CODE_DIGITS));
    let mut pool = bytes.to_vec();
    while out.len() < UNBLOCK_CODE_DIGITS {
        match pool.pop() {
            Some(b) if b < 250 => out.push(char::from(b'0' + b % 10)),
            Some(_) => {}
            None => {
                pool = vec![0u8; UNBLOCK_CODE_DIGITS];
                crate::sealed::random(&mut pool)?;
            }
        }
    }
    Ok(out)
}

/// The card ID prefix for a card issued at `now`: the configured prefix, the last digit of the
/// year and the month in Japan (`JMAC` + `YMM`).
fn card_id_prefix(prefix: &str, now: std::time::SystemTime) -> String {
    let now = hpki_clock::jst::datetime(now);
    format!(
        "{prefix}{}{:02}",
        now.year().rem_euclid(10),
        u8::from(now.month())
    )
}

impl Engine {
    /// The card `card_id` from the register.
    pub async fn card_record(&self, card_id: &str) -> Result<CardRecord, CaError> {
        self.store
            .card(card_id)
            .await?
            .ok_or_else(|| CaError::NoSuchCard(card_id.to_owned()))
    }

    /// Personalises a blank card for `holder` with the initial `pin` (from the application
    /// form). `replaces` names the card this one replaces (reissue). See the module docs.
    pub async fn personalize_card(
        &self,
        blank: &dyn BlankCard,
        holder: &CardHolder,
        photo: Option<Vec<u8>>,
        pin: &str,
        replaces: Option<&str>,
    ) -> Result<CardIssued, CaError> {
        hpki_token::check_pin(pin)?;
        holder.check_on(hpki_clock::jst::date(self.now()))?;
        // The photo decodes whole before anything is issued (else it is found missing on the face).
        if let Some(p) = &photo {
            hpki_cardface::Photo::from_bytes(p.clone())?;
        }
        let subject_json = holder.subject_json()?;
        // Everything that can be refused is refused before the card is touched.
        SubjectInput::from_json(&subject_json)?.validate(&self.roles)?;
        for key in KeyUse::ALL {
            self.ca_signer(ca_of(key))?;
        }
        let passphrase = self.operator_passphrase()?.to_owned();
        let code = unblock_code()?;
        // One doctor, one active card: a second is refused unless it replaces the first.
        for other in self
            .store
            .cards(Some(&holder.subject.subscriber_id))
            .await?
        {
            let same_doctor = CardHolder::from_json(&other.holder)
                .is_ok_and(|h| h.license_number == holder.license_number);
            if other.status == CardStatus::Active
                && other.expires_at > self.now_unix() as i64
                && same_doctor
                && replaces != Some(other.card_id.as_str())
            {
                return Err(CaError::holder(
                    format!(
                        "この医師は有効なカード {} を持っています（2枚目は発行できません。更新・再発行ではそのカードを指定してください）",
                        other.card_id
                    ),
                    format!(
                        "this doctor holds the active card {}: a second card is not issued (a renewal or reissue names it)",
                        other.card_id
                    ),
                ));
            }
        }
        let now = self.now_unix() as i64;
        let expires_at = card_expiry(now, self.config.cards.validity_years);
        // The card ID is allocated by the store in the transaction that records the card, so
        // the sealed code is bound to the holder and the moment of issue instead.
        let binding = format!("{}\0{now}", holder.subject.subscriber_id);
        let sealed = crate::sealed::seal(code.as_bytes(), &aad(&binding), &passphrase)?;
        let sealed = serde_json::to_string(&json!({"binding": binding, "sealed": sealed}))
            .map_err(|e| {
                CaError::holder(
                    format!(
                        "封印したロック解除コードを書き出せません{}",
                        hpki_text::DETAIL_IN_ENGLISH
                    ),
                    e.to_string(),
                )
            })?;
        let card_id = self
            .store
            .create_card(
                &card_id_prefix(&self.config.cards.card_id_prefix, self.now()),
                &NewCard {
                    subscriber_id: holder.subject.subscriber_id.clone(),
                    holder: holder.to_json()?,
                    photo,
                    issued_at: now,
                    expires_at,
                    unblock_code_sealed: sealed,
                    replaces: replaces.map(str::to_owned),
                },
                &self.audit(
                    "card.personalization_started",
                    "card",
                    json!({"subscriber_id": holder.subject.subscriber_id, "replaces": replaces,
                           "expires_at": expires_at}),
                ),
            )
            .await?;
        let mut issued = Vec::new();
        let outcome = async {
            let card = blank.initialize(&card_id, &code, pin, self.config.cards.pin_max_tries)?;
            self.bind_card(&card_id, card.as_ref(), pin).await?;
            self.put_certificates(card.as_ref(), &subject_json, pin, expires_at, &mut issued)
                .await
        }
        .await;
        self.finish(&card_id, expires_at, issued, outcome, None)
            .await
    }

    /// Generates both key pairs on `card`, has them certified (valid no longer than the card,
    /// `card_expires_at`) and writes the certificates; what was issued is pushed to `issued` as
    /// soon as it exists.
    async fn put_certificates(
        &self,
        card: &dyn Card,
        subject_json: &str,
        pin: &str,
        card_expires_at: i64,
        issued: &mut Vec<Issued>,
    ) -> Result<(), CaError> {
        let mut pending = Vec::new();
        for key in KeyUse::ALL {
            let new = card.generate_key(key, pin)?;
            let signer = CardKeySigner::pending(card, &new, pin);
            let subject =
                hpki_profile::name::build_name(&[hpki_profile::name::NameAttribute::CommonName(
                    card.card_id().to_owned(),
                )])?;
            let csr = build_csr(&signer, subject)?;
            let checked = crate::issue::CheckedCsr::parse(&csr)?;
            let subject = self.subject(subject_json)?;
            let issued_for = format!("card/{}", card.card_id());
            issued.push(
                self.issue_for_card(
                    &self.current_actor(),
                    ca_of(key),
                    &checked,
                    &subject,
                    &issued_for,
                    card_expires_at,
                )
                .await?,
            );
            pending.push(new);
        }
        for (new, cert) in pending.iter().zip(issued.iter()) {
            card.install_certificate(new, &cert.der, pin)?;
        }
        Ok(())
    }

    /// Records the end of a personalisation or renewal: `active` with the new serials, or,
    /// on failure, the certificates issued so far revoked and the card `revoked` (first
    /// personalisation) or left as it was (renewal, `previous` serials).
    async fn finish(
        &self,
        card_id: &str,
        expires_at: i64,
        issued: Vec<Issued>,
        outcome: Result<(), CaError>,
        previous: Option<(Option<String>, Option<String>)>,
    ) -> Result<CardIssued, CaError> {
        match outcome {
            Ok(()) => {
                let [sign, auth]: [Issued; 2] = issued.try_into().map_err(|_| {
                    CaError::holder("証明書が2通ではありません", "two certificates expected")
                })?;
                let renewal = previous.is_some();
                self.store
                    .update_card(
                        card_id,
                        CardStatus::Active,
                        Some(&sign.serial_hex),
                        Some(&auth.serial_hex),
                        &self.audit(
                            if renewal {
                                "card.renewed"
                            } else {
                                "card.personalized"
                            },
                            &format!("card/{card_id}"),
                            json!({"sign_serial": sign.serial_hex, "auth_serial": auth.serial_hex,
                                   "expires_at": expires_at}),
                        ),
                    )
                    .await?;
                if let Some((old_sign, old_auth)) = previous {
                    self.revoke_serials(
                        old_sign.as_deref(),
                        old_auth.as_deref(),
                        CrlReason::Superseded,
                    )
                    .await?;
                }
                Ok(CardIssued {
                    card_id: card_id.to_owned(),
                    sign,
                    auth,
                    expires_at,
                })
            }
            Err(e) => {
                for (cert, key) in issued.iter().zip(KeyUse::ALL) {
                    let _ = self
                        .revoke(
                            ca_of(key),
                            &cert.serial_hex,
                            CrlReason::CessationOfOperation,
                        )
                        .await;
                }
                let (status, sign, auth) = match &previous {
                    Some((s, a)) => (CardStatus::Active, s.clone(), a.clone()),
                    None => (CardStatus::Failed, None, None),
                };
                self.store
                    .update_card(
                        card_id,
                        status,
                        sign.as_deref(),
                        auth.as_deref(),
                        &self.audit(
                            "card.personalization_failed",
                            &format!("card/{card_id}"),
                            json!({"reason": e.to_string(), "revoked": issued.iter().map(|c| &c.serial_hex).collect::<Vec<_>>(),
                                   "renewal": previous.is_some()}),
                        ),
                    )
                    .await?;
                Err(e)
            }
        }
    }

    async fn revoke_serials(
        &self,
        sign: Option<&str>,
        auth: Option<&str>,
        reason: CrlReason,
    ) -> Result<(), CaError> {
        for (serial, ca) in [(sign, CaName::Sign), (auth, CaName::Auth)] {
            if let Some(serial) = serial {
                match self.revoke(ca, serial, reason).await {
                    Ok(_) | Err(CaError::AlreadyRevoked(_)) => {}
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(())
    }

    fn active(
        record: &CardRecord,
        what: &'static str,
        what_ja: &'static str,
    ) -> Result<(), CaError> {
        if record.status == CardStatus::Active {
            Ok(())
        } else {
            Err(CaError::CardState {
                card: record.card_id.clone(),
                status: record.status.as_str(),
                status_ja: record.status.label_ja(),
                what,
                what_ja,
            })
        }
    }

    /// Renews the certificates of an active card by re-keying it: new key pairs on the same
    /// card, new certificates, then the old pairs removed and the old certificates revoked
    /// (superseded). The holder's PIN authorises the key generation.
    pub async fn renew_card(&self, card: &dyn Card, pin: &str) -> Result<CardIssued, CaError> {
        hpki_token::check_pin(pin)?;
        let record = self.card_record(card.card_id()).await?;
        Self::active(&record, "renewal", "更新")?;
        if record.expires_at <= self.now_unix() as i64 {
            return Err(CaError::CardState {
                card: record.card_id.clone(),
                status: "expired",
                status_ja: "有効期限切れ",
                what: "renewal",
                what_ja: "更新",
            });
        }
        let holder = CardHolder::from_json(&record.holder)?;
        let subject_json = holder.subject_json()?;
        for key in KeyUse::ALL {
            self.ca_signer(ca_of(key))?;
        }
        // The card in the reader is the register's, before it is asked for anything.
        self.prove_card(card, &record, Some(pin)).await?;
        let mut issued = Vec::new();
        let outcome = self
            .put_certificates(card, &subject_json, pin, record.expires_at, &mut issued)
            .await;
        self.finish(
            &record.card_id,
            record.expires_at,
            issued,
            outcome,
            Some((record.sign_serial.clone(), record.auth_serial.clone())),
        )
        .await
    }

    /// Revokes the certificates of card `card_id` with `reason` and records the card `lost`
    /// (reason keyCompromise) or `revoked`. Revocation comes first: a crash between the two
    /// leaves revoked certificates, never a lost card with valid ones; calling again finishes.
    pub async fn revoke_card(
        &self,
        card_id: &str,
        reason: CrlReason,
    ) -> Result<CardRecord, CaError> {
        self.require_operator()?;
        let record = self.card_record(card_id).await?;
        if matches!(record.status, CardStatus::Lost | CardStatus::Revoked) {
            return Err(CaError::CardState {
                card: record.card_id.clone(),
                status: record.status.as_str(),
                status_ja: record.status.label_ja(),
                what: "revocation",
                what_ja: "失効",
            });
        }
        self.revoke_serials(
            record.sign_serial.as_deref(),
            record.auth_serial.as_deref(),
            reason,
        )
        .await?;
        let status = if reason == CrlReason::KeyCompromise {
            CardStatus::Lost
        } else {
            CardStatus::Revoked
        };
        self.store
            .update_card(
                card_id,
                status,
                record.sign_serial.as_deref(),
                record.auth_serial.as_deref(),
                &self.audit(
                    if status == CardStatus::Lost {
                        "card.lost"
                    } else {
                        "card.revoked"
                    },
                    &format!("card/{card_id}"),
                    json!({"reason": crate::crl::reason_name(reason as i32),
                           "sign_serial": record.sign_serial, "auth_serial": record.auth_serial}),
                ),
            )
            .await?;
        self.card_record(card_id).await
    }

    /// Reissue after loss: the lost card's certificates are revoked first (if they are not
    /// yet), then a new card is personalised for the same holder with `pin`.
    pub async fn reissue_card(
        &self,
        lost_card_id: &str,
        blank: &dyn BlankCard,
        pin: &str,
    ) -> Result<CardIssued, CaError> {
        hpki_token::check_pin(pin)?;
        let mut record = self.card_record(lost_card_id).await?;
        if record.status == CardStatus::Personalizing {
            return Err(CaError::CardState {
                card: record.card_id.clone(),
                status: record.status.as_str(),
                status_ja: record.status.label_ja(),
                what: "reissue",
                what_ja: "再発行",
            });
        }
        if record.status == CardStatus::Active {
            record = self
                .revoke_card(lost_card_id, CrlReason::KeyCompromise)
                .await?;
        }
        let holder = CardHolder::from_json(&record.holder)?;
        self.personalize_card(
            blank,
            &holder,
            record.photo.clone(),
            pin,
            Some(lost_card_id),
        )
        .await
    }

    /// Unblocks `card` with the unblocking code the RA holds for it (opened with the operator
    /// passphrase) and sets `new_pin`. Audited, refused or not.
    pub async fn unblock_card(&self, card: &dyn Card, new_pin: &str) -> Result<(), CaError> {
        hpki_token::check_pin(new_pin)?;
        let record = self.card_record(card.card_id()).await?;
        Self::active(&record, "unblocking", "ロック解除")?;
        // The unblocking code never goes to a card that has not proved it is this one.
        self.prove_card(card, &record, None).await?;
        let unreadable = |e: serde_json::Error| {
            CaError::holder(
                format!(
                    "封印したロック解除コードを読めません{}",
                    hpki_text::DETAIL_IN_ENGLISH
                ),
                format!("sealed unblocking code: {e}"),
            )
        };
        let stored: serde_json::Value =
            serde_json::from_str(&record.unblock_code_sealed).map_err(unreadable)?;
        let binding = stored["binding"].as_str().unwrap_or_default();
        let sealed: crate::sealed::Sealed =
            serde_json::from_value(stored["sealed"].clone()).map_err(unreadable)?;
        let code = crate::sealed::open(&sealed, &aad(binding), self.operator_passphrase()?)?;
        let code = std::str::from_utf8(&code).map_err(|_| {
            CaError::holder(
                "封印したロック解除コードが文字列ではありません",
                "sealed unblocking code is not text",
            )
        })?;
        let result = card.unblock(code, new_pin);
        let object = format!("card/{}", record.card_id);
        let event = match &result {
            Ok(()) => self.audit("card.unblocked", &object, json!({})),
            Err(e) => self.audit(
                "card.unblock_failed",
                &object,
                json!({"reason": e.to_string()}),
            ),
        };
        self.store.append_audit(&event).await?;
        Ok(result?)
    }

    /// The face of the register's card `record` (front and back), for printing and for the
    /// portal: the holder's names, dates, IDs and photo, the card's ID, issue and expiry dates,
    /// and the card policy of this installation.
    pub fn card_face(&self, record: &CardRecord) -> Result<hpki_cardface::CardFace, CaError> {
        let holder = CardHolder::from_json(&record.holder)?;
        let birth_date = holder.born()?;
        let day = |unix: i64| -> Result<time::Date, CaError> {
            Ok(hpki_clock::jst::datetime_unix(unix).date())
        };
        let photo = record
            .photo
            .clone()
            .map(hpki_cardface::Photo::from_bytes)
            .transpose()?;
        let mut issuer = hpki_cardface::Issuer::jma();
        issuer.card_validity_years = self.config.cards.validity_years;
        issuer.certificate_validity_years =
            (self.config.policy.end_entity_validity_days / 365).max(1) as u32;
        Ok(hpki_cardface::CardFace {
            holder: hpki_cardface::CardHolder {
                name_kanji: holder.subject.name_kanji.clone(),
                name_romaji: holder.subject.name_romaji.clone(),
                birth_date,
                member_id: holder.member_id.clone(),
                license_number: holder.license_number.clone(),
                photo,
            },
            card_id: record.card_id.clone(),
            issued: day(record.issued_at)?,
            // The last day the card is valid, in Japan.
            expires: last_valid_day(record.expires_at),
            issuer,
        })
    }
}

/// When a card issued at `issued_at` (Unix seconds) for `years` expires: midnight in Japan at
/// the start of the `years`-th anniversary of its issue date in Japan (a card issued on 29
/// February expires on 1 March). The card is valid through the day before
/// ([`last_valid_day`]), the date its face shows.
pub fn card_expiry(issued_at: i64, years: u32) -> i64 {
    let issued = hpki_clock::jst::datetime_unix(issued_at).date();
    let year = issued.year() + years as i32;
    let anniversary = issued.replace_year(year).unwrap_or_else(|_| {
        time::Date::from_calendar_date(year, time::Month::March, 1).unwrap_or(issued)
    });
    time::PrimitiveDateTime::new(anniversary, time::Time::MIDNIGHT)
        .assume_offset(hpki_clock::jst::OFFSET)
        .unix_timestamp()
}

/// The last day, in Japan, of a card that expires at `expires_at` (Unix seconds): the date on
/// its face and in every listing.
pub fn last_valid_day(expires_at: i64) -> time::Date {
    hpki_clock::jst::datetime_unix(expires_at - 1).date()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_card_expires_at_midnight_in_japan_and_its_last_day_is_one_date_everywhere() {
        // Issued 2026-12-07 20:00 UTC, already 12-08 in Japan: five years, through 2031-12-07.
        let issued = 1_796_673_600;
        assert_eq!(
            hpki_clock::jst::datetime_unix(issued).date().to_string(),
            "2026-12-08"
        );
        let expires = card_expiry(issued, 5);
        assert_eq!(
            hpki_clock::jst::rfc3339_unix(expires),
            "2031-12-08T00:00:00+09:00"
        );
        assert_eq!(last_valid_day(expires).to_string(), "2031-12-07");
        // 29 February: to 1 March.
        let leap = time::PrimitiveDateTime::new(
            time::macros::date!(2028 - 02 - 29),
            time::macros::time!(10:00),
        )
        .assume_offset(hpki_clock::jst::OFFSET)
        .unix_timestamp();
        assert_eq!(
            last_valid_day(card_expiry(leap, 5)).to_string(),
            "2033-02-28"
        );
    }

    const HOLDER: &str = r#"{"name_romaji":"Taro Nichii","name_kanji":"日医 太郎","subscriber_id":"JMA9999999999","role":"Medical Doctor","birth_date":"1955-01-01","member_id":"9999999999","license_number":"TESTC00021"}"#;

    #[test]
    fn a_holder_record_round_trips() {
        let h = CardHolder::from_json(HOLDER).unwrap();
        assert_eq!(h.birth_date, "1955-01-01");
        assert_eq!(h.subject.subscriber_id, "JMA9999999999");
        assert_eq!(CardHolder::from_json(&h.to_json().unwrap()).unwrap(), h);
        assert!(!h.subject_json().unwrap().contains("birth_date"));
    }

    #[test]
    fn a_bad_holder_record_is_refused_with_the_field_named() {
        for (bad, field) in [
            (HOLDER.replace("1955-01-01", "1955-13-01"), "birth_date"),
            (HOLDER.replace("\"9999999999\"", "\"123\""), "member_id"),
            (HOLDER.replace("TESTC00021", "TEST C21"), "license_number"),
            (
                HOLDER.replace(",\"license_number\":\"TESTC00021\"", ""),
                "license_number",
            ),
        ] {
            let e = CardHolder::from_json(&bad).unwrap_err().to_string();
            assert!(e.contains(field), "{e}");
        }
        // A date of birth in the future is refused when the card is issued (by the CA's clock).
        let h = CardHolder::from_json(&HOLDER.replace("1955-01-01", "2999-01-01")).unwrap();
        let e = h
            .check_on(hpki_clock::jst::date(hpki_clock::from_unix(1_796_050_800)))
            .unwrap_err();
        assert!(e.to_string().contains("birth_date"), "{e}");
        assert!(hpki_text::Localized::text(&e).ja.contains("未来"), "{e}");
        // Unknown subject fields are refused (the role itself is checked against the role
        // table when the card is personalised).
        assert!(CardHolder::from_json(&HOLDER.replace("\"role\"", "\"rolle\"")).is_err());
    }

    #[test]
    fn unblock_codes_are_twelve_digits_and_differ() {
        let a = unblock_code().unwrap();
        let b = unblock_code().unwrap();
        assert_eq!(a.len(), 12);
        assert!(a.bytes().all(|c| c.is_ascii_digit()));
        assert_ne!(*a, *b);
    }

    #[test]
    fn card_id_prefixes_carry_year_digit_and_month() {
        // 2026-11-30T15:00:00Z is already December in Japan.
        let p = card_id_prefix("JMAC", hpki_clock::from_unix(1_796_050_800));
        assert_eq!(p, "JMAC612");
        let p = card_id_prefix("JMAC", hpki_clock::from_unix(1_796_050_799));
        assert_eq!(p, "JMAC611");
    }
}
