//! Card binding: the register knows a card by more than its token label.
//!
//! At personalisation the card generates a card-authentication key pair whose private key
//! signs without the holder's PIN (as PIV's card authentication key, NIST SP 800-73-4, 9E);
//! the register records its public key and the token's serial number
//! ([`Engine::bind_card`]). Before renewal or unblocking sends anything to a card — a CSR to
//! sign, the unblocking code — the card proves it is that card ([`Engine::prove_card`]): the
//! token serial and the certificates on it match the register, and it signs a fresh random
//! challenge that verifies under the registered key. A token labelled with a genuine card ID
//! fails, whatever public objects it copied.
//!
//! Cards of releases before binding have no card-authentication key: with the holder's PIN
//! (renewal) they prove themselves by signing the challenge with their authentication key
//! instead, checked against the registered authentication certificate; without a PIN
//! (unblocking) they cannot, and are refused.

use der::{Decode, Encode};
use hpki_keys::SignatureAlgorithm;
use hpki_store::CardRecord;
use hpki_text::Text;
use hpki_token::{Card, KeyUse};
use serde_json::json;

use crate::authority::Engine;
use crate::{CaError, CaName};

/// Bytes of a challenge.
const CHALLENGE_BYTES: usize = 32;

impl Engine {
    /// Creates the card-authentication key pair on `card` (with the holder's `pin`) and records
    /// it with the token's serial number for the register's card `card_id`.
    pub async fn bind_card(
        &self,
        card_id: &str,
        card: &dyn Card,
        pin: &str,
    ) -> Result<(), CaError> {
        let key = card.create_card_key(pin)?.to_der()?;
        let serial = card.token_serial()?;
        self.store
            .bind_card(
                card_id,
                &serial,
                &key,
                &self.audit(
                    "card.bound",
                    &format!("card/{card_id}"),
                    json!({"token_serial": serial,
                           "card_key_sha256": crate::issue::key_hash(&key)}),
                ),
            )
            .await?;
        Ok(())
    }

    /// Makes `card` prove that it is the register's card `record` (see the module docs), before
    /// anything is sent to it; `pin` is the holder's, when the operation has it. A failure is
    /// audited (`card.proof_failed`) and refused with [`CaError::CardNotGenuine`].
    pub async fn prove_card(
        &self,
        card: &dyn Card,
        record: &CardRecord,
        pin: Option<&str>,
    ) -> Result<(), CaError> {
        match self.check_card(card, record, pin).await {
            Ok(how) => {
                self.store
                    .append_audit(&self.audit(
                        "card.proved",
                        &format!("card/{}", record.card_id),
                        json!({"by": how}),
                    ))
                    .await?;
                Ok(())
            }
            Err(reason) => {
                self.store
                    .append_audit(&self.audit(
                        "card.proof_failed",
                        &format!("card/{}", record.card_id),
                        json!({"reason": reason.en}),
                    ))
                    .await?;
                Err(CaError::CardNotGenuine {
                    card: record.card_id.clone(),
                    reason,
                })
            }
        }
    }

    /// The checks of [`Engine::prove_card`]: how the card proved itself, or what failed.
    async fn check_card(
        &self,
        card: &dyn Card,
        record: &CardRecord,
        pin: Option<&str>,
    ) -> Result<&'static str, Text> {
        let unreadable = |e: hpki_token::TokenError| {
            Text::new(
                format!("カードを読めません：{}", hpki_text::Localized::text(&e).ja),
                format!("the card cannot be read: {e}"),
            )
        };
        if let Some(registered) = &record.token_serial
            && card.token_serial().map_err(unreadable)? != *registered
        {
            return Err(Text::new(
                "トークンのシリアル番号が登録と違います",
                "the token's serial number is not the registered one",
            ));
        }
        // The certificates on the card are the register's.
        for (key, ca, serial) in [
            (KeyUse::Signing, CaName::Sign, &record.sign_serial),
            (KeyUse::Authentication, CaName::Auth, &record.auth_serial),
        ] {
            let Some(serial) = serial else { continue };
            let registered = self
                .store
                .certificate(ca.as_str(), serial)
                .await
                .map_err(|e| Text::new("登録簿を読めません", e.to_string()))?
                .map(|c| c.der);
            let on_card = card.certificate(key).map_err(unreadable)?;
            if registered.is_none() || on_card != registered {
                return Err(Text::new(
                    format!("カードの{}用証明書が登録と違います", key.name().ja),
                    format!(
                        "the {} certificate on the card is not the registered one",
                        key.name().en
                    ),
                ));
            }
        }
        let challenge = challenge().map_err(|e| Text::new("乱数を得られません", e))?;
        let wrong_signature = || {
            Text::new(
                "カードの署名が登録された鍵で検証できません",
                "the card's signature of a fresh challenge does not verify under the registered key",
            )
        };
        if let Some(card_key) = &record.card_key {
            let on_card = card
                .card_key()
                .map_err(unreadable)?
                .map(|k| k.to_der())
                .transpose()
                .map_err(|e| Text::new("カード認証鍵を読めません", e.to_string()))?;
            if on_card.as_ref() != Some(card_key) {
                return Err(Text::new(
                    "カード認証鍵が登録と違います",
                    "the card-authentication key is not the registered one",
                ));
            }
            let signature = card.prove(&challenge).map_err(unreadable)?;
            hpki_keys::verify_signature(
                card_key,
                SignatureAlgorithm::RsaPkcs1Sha256,
                &challenge,
                &signature,
            )
            .map_err(|_| wrong_signature())?;
            return Ok("card_key");
        }
        // A card of an earlier release: its authentication key, with the holder's PIN.
        let (Some(pin), Some(serial)) = (pin, &record.auth_serial) else {
            return Err(Text::new(
                "このカードはカード認証鍵のない以前の発行のため、暗証番号なしでは本人のカードと確認できません（再発行してください）",
                "this card was personalised before card binding and cannot prove itself without the PIN; reissue it",
            ));
        };
        let cert = self
            .store
            .certificate(CaName::Auth.as_str(), serial)
            .await
            .map_err(|e| Text::new("登録簿を読めません", e.to_string()))?
            .ok_or_else(wrong_signature)?;
        let spki = x509_cert::Certificate::from_der(&cert.der)
            .and_then(|c| c.tbs_certificate().subject_public_key_info().to_der())
            .map_err(|e| Text::new("登録された証明書を読めません", e.to_string()))?;
        let signature = card
            .sign(KeyUse::Authentication, pin, &challenge)
            .map_err(unreadable)?;
        hpki_keys::verify_signature(
            &spki,
            SignatureAlgorithm::RsaPkcs1Sha256,
            &challenge,
            &signature,
        )
        .map_err(|_| wrong_signature())?;
        Ok("authentication_key")
    }
}

/// A fresh random challenge.
fn challenge() -> Result<Vec<u8>, String> {
    let mut c = vec![0u8; CHALLENGE_BYTES];
    aws_lc_rs::rand::fill(&mut c).map_err(|_| "random generator".to_owned())?;
    Ok(c)
}
