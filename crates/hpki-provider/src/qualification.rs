//! The qualification check, the engine: challenges handed out and used once, a card's
//! certificate (and signature over the challenge) checked with card login's rules, QR codes
//! the portal shows, and the answer signed with the provider's key (a JWS relying parties
//! verify with the JWKS). Every check is audited (`qualification.checked`: who checked, how,
//! the outcome) about the doctor checked, so the doctor sees it in the portal.
//!
//! The answer carries only what the doctor discloses to the public
//! ([`hpki_disclosure::Viewer::Public`]), split into 基本情報 (from issuance) and プロフィール.

use hpki_disclosure::record::Shown;
use hpki_disclosure::{Source, Viewer};
use hpki_login::card::check;
use hpki_login::qualification::{DOCTOR_ROLE, Outcome, card_signed};
use hpki_store::{AuditEvent, CertStatus, NewNonce, NonceUse};
use hpki_text::Localized;
use hpki_verify::RevocationData;
use serde_json::{Map, Value, json};

use crate::keys::Keys;
use crate::secret::{random_secret, sha256_hex};
use crate::{LoginError, Provider};

/// How long a challenge may wait for the card's signature, seconds.
pub const CHALLENGE_SECONDS: u64 = 120;
/// How long a QR code of the portal is good for, seconds (the page shows a new one before).
pub const QR_SECONDS: u64 = 60;
/// `token_use` of a QR code.
const QR_USE: &str = "hpki-qualification-qr";
/// `token_use` of a signed answer.
const RESULT_USE: &str = "hpki-qualification-result";

/// A challenge for the card to sign.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Challenge {
    /// The nonce (base64url, 256 bits).
    pub nonce: String,
    /// Expires, Unix seconds.
    pub expires_at: u64,
}

/// The card's proof of presence: its signature over a challenge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Presence {
    /// The challenge's nonce.
    pub nonce: String,
    /// The signature over [`hpki_login::qualification::signed_message`].
    pub signature: Vec<u8>,
}

/// The check's answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckResult {
    /// What was found.
    pub outcome: Outcome,
    /// Whether the card itself signed a fresh challenge.
    pub card_present: bool,
    /// `card` or `qr`.
    pub via: &'static str,
    /// hcRole of the certificate, when read.
    pub role: Option<String>,
    /// hcRole in Japanese.
    pub role_ja: Option<String>,
    /// What the doctor shows the public (valid doctors only).
    pub shown: Vec<Shown>,
    /// When, Unix seconds.
    pub checked_at: u64,
}

impl CheckResult {
    /// A check `via` the card or a QR code at `now`, valid until a step finds otherwise.
    fn valid_so_far(via: &'static str, now: u64) -> CheckResult {
        CheckResult {
            outcome: Outcome::Valid,
            card_present: false,
            via,
            role: None,
            role_ja: None,
            shown: Vec::new(),
            checked_at: now,
        }
    }

    /// The answer as JSON (the signed result's payload, without `iss` and `token_use`).
    pub fn to_json(&self) -> Value {
        let part = |source: Source| -> Map<String, Value> {
            self.shown
                .iter()
                .filter(|s| s.item.source() == source)
                .map(|s| (s.item.key().to_owned(), json!(s.value)))
                .collect()
        };
        let text = self.outcome.text();
        json!({
            "result": self.outcome.code(),
            "message": {"ja": text.ja, "en": text.en},
            "card_present": self.card_present,
            "via": self.via,
            "hc_role": self.role,
            "hc_role_ja": self.role_ja,
            "basic": part(Source::Issuance),
            "profile": part(Source::Profile),
            "iat": self.checked_at,
        })
    }
}

impl Provider {
    /// A new challenge, recorded.
    pub async fn challenge(&self) -> Result<Challenge, LoginError> {
        let nonce = random_secret()?;
        let expires_at = self.ca.now_unix() + CHALLENGE_SECONDS;
        self.ca
            .store
            .put_qualification_nonce(&NewNonce {
                nonce_sha256: sha256_hex(&nonce),
                purpose: "card".into(),
                subscriber_id: None,
                auth_serial: None,
                expires_at: expires_at as i64,
            })
            .await?;
        Ok(Challenge { nonce, expires_at })
    }

    /// Checks the card whose authentication certificate chain is `chain` (leaf first), with
    /// the card's `presence` when it signed a challenge, against `revocation`; audited with
    /// `checker` (the client's address or name).
    pub async fn check_card(
        &self,
        chain: &[Vec<u8>],
        presence: Option<&Presence>,
        revocation: &RevocationData,
        checker: &str,
    ) -> Result<CheckResult, LoginError> {
        let now = self.ca.now_unix();
        let mut result = CheckResult::valid_so_far("card", now);
        let mut subscriber_id = None;
        match check(chain, &self.trust()?, revocation, self.ca.now()) {
            Err(refusal) => result.outcome = Outcome::of_refusal(&refusal),
            Ok(holder) => {
                result.role = Some(holder.role.role.clone());
                result.role_ja = holder.role.role_ja.clone();
                subscriber_id = Some(holder.subscriber_id.clone());
                if holder.role.role != DOCTOR_ROLE {
                    result.outcome = Outcome::NotADoctor;
                }
            }
        }
        if let Some(p) = presence {
            let signed = chain
                .first()
                .is_some_and(|leaf| card_signed(leaf, &p.nonce, &p.signature));
            if !signed && result.outcome == Outcome::Valid {
                result.outcome = Outcome::BadSignature;
            }
            result.card_present = signed;
        }
        if result.outcome == Outcome::Valid
            && let Some(id) = &subscriber_id
        {
            match self.doctor(id).await? {
                Some(doctor) => result.shown = self.view_of(&doctor, &Viewer::Public),
                None => result.outcome = Outcome::NotRegistered,
            }
        }
        let object = subscriber_id.as_deref().map_or(
            "qualification/unknown".to_owned(),
            crate::portal::doctor_actor,
        );
        match presence {
            Some(p) => {
                let found = self
                    .ca
                    .store
                    .use_qualification_nonce(&sha256_hex(&p.nonce), "card", |used| {
                        Some(self.check_audit(&object, &nonce_outcome(&result, used), checker))
                    })
                    .await?;
                result = nonce_outcome(&result, &found);
            }
            None => {
                self.ca
                    .store
                    .append_audit(&self.check_audit(&object, &result, checker))
                    .await?;
            }
        }
        Ok(result)
    }

    fn check_audit(&self, object: &str, result: &CheckResult, checker: &str) -> AuditEvent {
        self.ca.audit(
            "qualification.checked",
            object,
            json!({"checker": checker, "via": result.via, "result": result.outcome.code(),
                   "card_present": result.card_present}),
        )
    }

    /// A QR code's token for the doctor signed in with authentication certificate
    /// `auth_serial` (hex) and hcRole `role`: a fresh nonce, recorded with the doctor and the
    /// certificate, good for [`QR_SECONDS`] and used once, in a JWS signed by the provider's
    /// key that carries only the nonce and the expiry (short, so the QR code stays easy to
    /// scan from a screen). Only a doctor's session makes one.
    pub async fn qr_token(
        &self,
        keys: &Keys,
        subscriber_id: &str,
        auth_serial: &str,
        role: &str,
    ) -> Result<(String, u64), LoginError> {
        if role != DOCTOR_ROLE {
            return Err(LoginError::bad_input(
                "資格確認のQRコードは医師の資格でのみ表示できます。",
                "The QR code for the qualification check is for doctors only.",
            ));
        }
        let nonce = random_secret()?;
        let now = self.ca.now_unix();
        let expires_at = now + QR_SECONDS;
        self.ca
            .store
            .put_qualification_nonce(&NewNonce {
                nonce_sha256: sha256_hex(&nonce),
                purpose: "qr".into(),
                subscriber_id: Some(subscriber_id.to_owned()),
                auth_serial: Some(auth_serial.to_owned()),
                expires_at: expires_at as i64,
            })
            .await?;
        let token = keys
            .sign(&json!({"use": QR_USE, "n": nonce, "exp": expires_at}))
            .map_err(|e| LoginError::Unavailable(e.to_string()))?;
        Ok((token, expires_at))
    }

    /// Checks a QR code's `token` (the provider's signature, its lifetime, used once, the
    /// certificate it was made with still valid); audited with `checker`.
    pub async fn check_qr(
        &self,
        keys: &Keys,
        token: &str,
        checker: &str,
    ) -> Result<CheckResult, LoginError> {
        let now = self.ca.now_unix();
        let mut result = CheckResult::valid_so_far("qr", now);
        let claims = keys
            .verify(token)
            .filter(|c| c["use"] == QR_USE && c["n"].is_string());
        let mut object = "qualification/unknown".to_owned();
        match claims {
            None => result.outcome = Outcome::Forged,
            Some(claims) => {
                let nonce = claims["n"].as_str().unwrap_or_default();
                let used = self
                    .ca
                    .store
                    .use_qualification_nonce(&sha256_hex(nonce), "qr", |_| None)
                    .await?;
                match used {
                    NonceUse::Fresh {
                        subscriber_id: Some(subscriber_id),
                        auth_serial,
                    } => {
                        object = crate::portal::doctor_actor(&subscriber_id);
                        if claims["exp"].as_u64().is_none_or(|exp| now >= exp) {
                            result.outcome = Outcome::TooOld;
                        } else {
                            result.outcome = self
                                .qr_holder(&subscriber_id, auth_serial.as_deref(), &mut result)
                                .await?;
                        }
                    }
                    NonceUse::Fresh { .. } | NonceUse::Unknown => result.outcome = Outcome::Forged,
                    NonceUse::Replayed => result.outcome = Outcome::Replayed,
                    NonceUse::Expired => result.outcome = Outcome::TooOld,
                }
            }
        }
        self.ca
            .store
            .append_audit(&self.check_audit(&object, &result, checker))
            .await?;
        Ok(result)
    }

    /// The doctor of a fresh QR code: the certificate it was made with still valid now, and
    /// what the doctor shows the public (into `result`).
    async fn qr_holder(
        &self,
        subscriber_id: &str,
        auth_serial: Option<&str>,
        result: &mut CheckResult,
    ) -> Result<Outcome, LoginError> {
        let now = self.ca.now_unix() as i64;
        let Some(serial) = auth_serial else {
            return Ok(Outcome::Forged);
        };
        let Some(cert) = self.ca.store.certificate("auth", serial).await? else {
            return Ok(Outcome::Forged);
        };
        if cert.status == CertStatus::Revoked {
            return Ok(Outcome::Revoked);
        }
        if cert.not_after <= now {
            return Ok(Outcome::Expired);
        }
        let Some(doctor) = self.doctor(subscriber_id).await? else {
            return Ok(Outcome::NotRegistered);
        };
        result.role = Some(DOCTOR_ROLE.into());
        result.role_ja = Some("医師".into());
        result.shown = self.view_of(&doctor, &Viewer::Public);
        Ok(Outcome::Valid)
    }

    /// `result` signed with the provider's key, as issuer `issuer`.
    pub fn sign_result(
        keys: &Keys,
        issuer: &str,
        result: &CheckResult,
    ) -> Result<String, LoginError> {
        let mut payload = result.to_json();
        payload["iss"] = json!(issuer);
        payload["token_use"] = json!(RESULT_USE);
        keys.sign(&payload)
            .map_err(|e| LoginError::Unavailable(e.to_string()))
    }

    /// The payload of a signed result this provider made, if `token` is one.
    pub fn signed_result(keys: &Keys, token: &str) -> Option<Value> {
        keys.verify(token).filter(|c| c["token_use"] == RESULT_USE)
    }
}

/// `result` after the nonce was used: a used, expired or unknown nonce is the answer, whatever
/// the certificate said; the disclosed items are then withheld.
fn nonce_outcome(result: &CheckResult, used: &NonceUse) -> CheckResult {
    let mut r = result.clone();
    let outcome = match used {
        NonceUse::Fresh { .. } => return r,
        NonceUse::Replayed => Outcome::Replayed,
        NonceUse::Expired => Outcome::TooOld,
        NonceUse::Unknown => Outcome::Forged,
    };
    r.outcome = outcome;
    r.card_present = false;
    r.shown.clear();
    r
}
