//! The 医師資格証 (Medical Doctor Qualification Certificate) as an IC card.
//!
//! What the card holds (the seed and `shared/docs/hpki-reference.md`, "The card"):
//!
//! | on the card | PKCS#11 object | needs the PIN |
//! |---|---|---|
//! | card ID (e.g. `JMAC61100001`) | token label, and data object `hpki-card-id` | no |
//! | signing key pair (nonRepudiation certificate) | RSA-2048 pair labelled `hpki-sign`, private key sensitive and never extractable | to use |
//! | authentication key pair | RSA-2048 pair labelled `hpki-auth`, same protection | to use |
//! | the two certificates | X.509 certificate objects with the label and `CKA_ID` of their key | no |
//! | card-authentication key pair | RSA-2048 pair labelled `hpki-card-auth`, private key sensitive, never extractable, usable without the PIN | no |
//! | PIN retry counter | data object `hpki-pin-state` | no |
//! | unblocking code | the token's SO PIN, held by the registration authority | — |
//!
//! **PIN policy.** The PIN is exactly four digits. Every PIN check through [`Card`] first counts
//! the try down in `hpki-pin-state` (so pulling the card mid-check gains nothing), then asks the
//! token, and restores the counter only when the PIN was right. At zero the PIN is blocked
//! until the RA unblocks the card with the unblocking code (`C_Login` as SO, `C_InitPIN`). A
//! real card's chip enforces its own counter as well, which [`Pkcs11Card`] honours
//! (`CKF_USER_PIN_LOCKED`, `CKR_PIN_LOCKED`); SoftHSM2 has none, so there the counter on the
//! token is the only one — a program that calls the module directly, bypassing hpki, is not
//! counted.
//!
//! **Keys** are generated on the token and never leave it. Re-keying (renewal on the same card)
//! generates a new pair beside the old one ([`Card::generate_key`]), gets it certified, and only
//! when the new certificate is written ([`Card::install_certificate`]) removes the old pair and
//! certificate; if the card is pulled in between, the certificate with the latest notBefore is
//! the current one.

use hpki_text::{Localized, Text};
use std::sync::Arc;

use cryptoki::error::RvError;
use cryptoki::object::{AttributeType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::slot::Slot;
use cryptoki::types::AuthPin;
use der::{Decode, Encode};
use hpki_keys::{KeyError, SignatureAlgorithm, Signer};
use spki::SubjectPublicKeyInfoOwned;
use zeroize::Zeroizing;

use crate::module::Module;
use crate::{TokenError, object, rv};

/// Label of the card ID data object.
pub const CARD_ID_LABEL: &str = "hpki-card-id";
/// Label of the PIN retry counter data object.
pub const PIN_STATE_LABEL: &str = "hpki-pin-state";
/// Label of the card-authentication key pair: the card proves it is the card the register
/// knows by signing a fresh challenge with it, without the holder's PIN (so even a card whose
/// PIN is blocked can prove itself before the unblocking code is sent to it).
pub const CARD_AUTH_LABEL: &str = "hpki-card-auth";
/// Size of the card keys: HPKI requires RSA with at least 2048 bits (MHLW HPKI CP).
pub const CARD_KEY_BITS: u64 = 2048;

/// The two key pairs of the card.
#[derive(Clone, Copy, Debug, Eq, PartialEq, Hash)]
pub enum KeyUse {
    /// The signing key (certificate from the signing CA, nonRepudiation).
    Signing,
    /// The authentication key (certificate from the authentication CA, digitalSignature).
    Authentication,
}

impl KeyUse {
    /// Both, in the order of the card.
    pub const ALL: [KeyUse; 2] = [KeyUse::Signing, KeyUse::Authentication];

    /// The PKCS#11 label of the key pair and its certificate.
    pub fn label(self) -> &'static str {
        match self {
            KeyUse::Signing => "hpki-sign",
            KeyUse::Authentication => "hpki-auth",
        }
    }

    /// Its name for messages, in both languages.
    pub fn name(self) -> Text {
        match self {
            KeyUse::Signing => Text::new("署名", "signing"),
            KeyUse::Authentication => Text::new("認証", "authentication"),
        }
    }

    /// Parse `sign` or `auth`.
    pub fn parse(s: &str) -> Option<KeyUse> {
        match s {
            "sign" => Some(KeyUse::Signing),
            "auth" => Some(KeyUse::Authentication),
            _ => None,
        }
    }
}

/// Where the PIN stands.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub struct PinStatus {
    /// Wrong PINs allowed before the PIN blocks (policy; 15 by default, like MEDIS cards).
    pub max_tries: u8,
    /// Tries left.
    pub remaining: u8,
}

impl PinStatus {
    /// No tries left: only the RA can unblock.
    pub fn blocked(&self) -> bool {
        self.remaining == 0
    }
}

/// A key pair generated on the card and not certified yet.
#[derive(Clone, Debug)]
pub struct PendingKey {
    /// Which key of the card it will become.
    pub key_use: KeyUse,
    /// Its `CKA_ID`.
    pub id: Vec<u8>,
    /// Its public key.
    pub public_key: SubjectPublicKeyInfoOwned,
}

/// Checks the form of a 医師資格証 PIN: exactly four ASCII digits.
pub fn check_pin(pin: &str) -> Result<(), TokenError> {
    if pin.len() == 4 && pin.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(TokenError::BadPinFormat)
    }
}

/// What hpki does with a doctor's card. Reading needs no PIN; using a private key, changing
/// keys or certificates needs it; unblocking needs the RA's unblocking code.
pub trait Card: Send + Sync {
    /// The card ID (also what the contactless interface reports to seminar readers).
    fn card_id(&self) -> &str;
    /// Where the PIN stands.
    fn pin_status(&self) -> Result<PinStatus, TokenError>;
    /// The current certificate (DER) for `key`, read without a PIN.
    fn certificate(&self, key: KeyUse) -> Result<Option<Vec<u8>>, TokenError>;
    /// Signs `message` (RSASSA-PKCS1-v1_5, SHA-256) with the current `key`.
    fn sign(&self, key: KeyUse, pin: &str, message: &[u8]) -> Result<Vec<u8>, TokenError>;
    /// Changes the PIN (the holder's own act: the old PIN is checked and counted).
    fn change_pin(&self, old: &str, new: &str) -> Result<(), TokenError>;
    /// Unblocks the card and sets `new_pin`, with the RA's unblocking code.
    fn unblock(&self, unblock_code: &str, new_pin: &str) -> Result<(), TokenError>;
    /// Generates a new key pair for `key` on the card, beside the current one.
    fn generate_key(&self, key: KeyUse, pin: &str) -> Result<PendingKey, TokenError>;
    /// Signs with a key pair not certified yet (the CSR's proof of possession).
    fn sign_pending(
        &self,
        key: &PendingKey,
        pin: &str,
        message: &[u8],
    ) -> Result<Vec<u8>, TokenError>;
    /// Writes the certificate of `key` and then removes the pair and certificate it replaces.
    fn install_certificate(
        &self,
        key: &PendingKey,
        cert_der: &[u8],
        pin: &str,
    ) -> Result<(), TokenError>;
    /// The token's serial number (PKCS#11 `CK_TOKEN_INFO.serialNumber`), as the register keeps it.
    fn token_serial(&self) -> Result<String, TokenError>;
    /// Generates the card-authentication key pair (see [`CARD_AUTH_LABEL`]) at personalisation;
    /// returns its public key.
    fn create_card_key(&self, pin: &str) -> Result<SubjectPublicKeyInfoOwned, TokenError>;
    /// The public key of the card-authentication key pair, if the card has one.
    fn card_key(&self) -> Result<Option<SubjectPublicKeyInfoOwned>, TokenError>;
    /// Signs `challenge` (RSASSA-PKCS1-v1_5, SHA-256) with the card-authentication key, without
    /// a PIN: the card's proof that it is present.
    fn prove(&self, challenge: &[u8]) -> Result<Vec<u8>, TokenError>;
}

/// A card not issued yet: personalisation initialises it with its card ID, the RA's unblocking
/// code, the holder's PIN and the retry limit, and gets back the [`Card`].
pub trait BlankCard: Send {
    /// Initialises the card (erasing whatever it held).
    fn initialize(
        &self,
        card_id: &str,
        unblock_code: &str,
        pin: &str,
        max_tries: u8,
    ) -> Result<Box<dyn Card>, TokenError>;
}

/// A blank card in a PKCS#11 module: the first uninitialised token, or the token in `slot`.
#[derive(Clone, Debug)]
pub struct Pkcs11BlankCard {
    /// The module.
    pub module: Arc<Module>,
    /// The slot, when the operator names one.
    pub slot: Option<u64>,
}

impl BlankCard for Pkcs11BlankCard {
    fn initialize(
        &self,
        card_id: &str,
        unblock_code: &str,
        pin: &str,
        max_tries: u8,
    ) -> Result<Box<dyn Card>, TokenError> {
        Ok(Box::new(Pkcs11Card::initialize(
            &self.module,
            self.slot,
            card_id,
            unblock_code,
            pin,
            max_tries,
        )?))
    }
}

/// A 医師資格証 reached through PKCS#11 (SoftHSM2, or OpenSC for a real card).
pub struct Pkcs11Card {
    module: Arc<Module>,
    slot: Slot,
    card_id: String,
}

impl std::fmt::Debug for Pkcs11Card {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pkcs11Card")
            .field("card_id", &self.card_id)
            .field("slot", &self.slot.id())
            .finish()
    }
}

impl Pkcs11Card {
    /// The card whose token label is `card_id`.
    pub fn open(module: &Arc<Module>, card_id: &str) -> Result<Pkcs11Card, TokenError> {
        let slot = module.slot_of(card_id)?;
        Ok(Pkcs11Card {
            module: module.clone(),
            slot,
            card_id: card_id.to_owned(),
        })
    }

    /// Initialises a blank card (the first uninitialised token, or the token in slot `slot`):
    /// the token is initialised with `card_id` as its label and `unblock_code` as its SO PIN
    /// (erasing whatever it held), the user PIN is set, and the card ID and a full PIN counter
    /// of `max_tries` are written. No keys yet.
    pub fn initialize(
        module: &Arc<Module>,
        slot: Option<u64>,
        card_id: &str,
        unblock_code: &str,
        pin: &str,
        max_tries: u8,
    ) -> Result<Pkcs11Card, TokenError> {
        check_pin(pin)?;
        if max_tries == 0 {
            return Err(TokenError::Malformed(Text::new(
                "暗証番号の再試行回数の上限が 0 です",
                "PIN retry limit 0",
            )));
        }
        let _init = module.init_guard();
        if module.slot_of(card_id).is_ok() {
            return Err(TokenError::LabelInUse(card_id.to_owned()));
        }
        let blank = module.blank_slot(slot)?;
        module
            .ctx()
            .init_token(blank, &AuthPin::from(unblock_code.to_owned()), card_id)?;
        // SoftHSM2 moves an initialised token to a new slot: find it again by its label.
        let slot = module.slot_of(card_id)?;
        let session = module.ctx().open_rw_session(slot)?;
        session.login(UserType::So, Some(&AuthPin::from(unblock_code.to_owned())))?;
        let done = session.init_pin(&AuthPin::from(pin.to_owned()));
        let _ = session.logout();
        done?;
        object::create_data(&session, CARD_ID_LABEL, card_id.as_bytes())?;
        object::create_data(
            &session,
            PIN_STATE_LABEL,
            &encode_state(max_tries, max_tries),
        )?;
        Ok(Pkcs11Card {
            module: module.clone(),
            slot,
            card_id: card_id.to_owned(),
        })
    }

    fn session(&self) -> Result<Session, TokenError> {
        Ok(self.module.ctx().open_rw_session(self.slot)?)
    }

    fn state(&self, s: &Session) -> Result<(ObjectHandle, PinStatus), TokenError> {
        let mut lowest: Option<(ObjectHandle, PinStatus)> = None;
        for handle in object::find(s, ObjectClass::DATA, PIN_STATE_LABEL, None)? {
            let status = decode_state(&object::bytes(s, handle, AttributeType::Value)?)?;
            match lowest {
                Some((_, l)) if l.remaining <= status.remaining => s.destroy_object(handle)?,
                Some((h, _)) => {
                    s.destroy_object(h)?;
                    lowest = Some((handle, status));
                }
                None => lowest = Some((handle, status)),
            }
        }
        let Some((handle, mut status)) = lowest else {
            return Err(TokenError::Malformed(Text::new(
                format!(
                    "{PIN_STATE_LABEL} オブジェクトがありません（hpki が発行したカードではありません）"
                ),
                format!("no {PIN_STATE_LABEL} object: not a card personalised by hpki"),
            )));
        };
        if self
            .module
            .ctx()
            .get_token_info(self.slot)?
            .user_pin_locked()
        {
            status.remaining = 0;
        }
        Ok((handle, status))
    }

    /// Replaces the counter object (tokens such as SoftHSM2 do not let CKA_VALUE of a data
    /// object change): the new object is written before the old one is destroyed, and
    /// [`Pkcs11Card::state`] reads the lowest count if a crash leaves both.
    fn set_state(
        &self,
        s: &Session,
        old: ObjectHandle,
        max: u8,
        remaining: u8,
    ) -> Result<ObjectHandle, TokenError> {
        let new = object::create_data(s, PIN_STATE_LABEL, &encode_state(max, remaining))?;
        s.destroy_object(old)?;
        Ok(new)
    }

    /// Counts one try down, runs `check`, and restores the counter if the PIN was right.
    fn counted<T>(
        &self,
        s: &Session,
        check: impl FnOnce() -> Result<T, cryptoki::error::Error>,
    ) -> Result<T, TokenError> {
        let (handle, status) = self.state(s)?;
        if status.blocked() {
            return Err(TokenError::PinBlocked);
        }
        let left = status.remaining - 1;
        let handle = self.set_state(s, handle, status.max_tries, left)?;
        match check() {
            Ok(v) => {
                self.set_state(s, handle, status.max_tries, status.max_tries)?;
                Ok(v)
            }
            Err(e) => match rv(&e) {
                Some(RvError::PinIncorrect) if left == 0 => Err(TokenError::PinBlocked),
                Some(RvError::PinIncorrect) => Err(TokenError::WrongPin { remaining: left }),
                Some(RvError::PinLocked) => {
                    self.set_state(s, handle, status.max_tries, 0)?;
                    Err(TokenError::PinBlocked)
                }
                // Not a verdict on the PIN: give the try back.
                _ => {
                    self.set_state(s, handle, status.max_tries, status.remaining)?;
                    Err(e.into())
                }
            },
        }
    }

    /// Runs `f` logged in as the card holder with `pin` (counted), then logs out.
    fn as_holder<T>(
        &self,
        pin: &str,
        f: impl FnOnce(&Session) -> Result<T, TokenError>,
    ) -> Result<T, TokenError> {
        check_pin(pin)?;
        let s = self.session()?;
        let auth = AuthPin::from(pin.to_owned());
        // A login left over from elsewhere in this process would let any PIN through: log it out
        // so the token checks this PIN.
        let _ = s.logout();
        self.counted(&s, || s.login(UserType::User, Some(&auth)))?;
        let out = f(&s);
        let _ = s.logout();
        out
    }

    /// The current certificate of `key`: the one with the latest notBefore.
    fn current(&self, s: &Session, key: KeyUse) -> Result<Option<OnCard>, TokenError> {
        let mut best: Option<(der::DateTime, OnCard)> = None;
        for h in object::find(s, ObjectClass::CERTIFICATE, key.label(), None)? {
            let der = object::bytes(s, h, AttributeType::Value)?;
            let id = object::bytes(s, h, AttributeType::Id)?;
            let cert = x509_cert::Certificate::from_der(&der)?;
            let nb = cert.tbs_certificate().validity().not_before.to_date_time();
            if best.as_ref().is_none_or(|(b, _)| nb > *b) {
                best = Some((nb, OnCard { id, der }));
            }
        }
        Ok(best.map(|(_, c)| c))
    }

    fn private_key(&self, s: &Session, key: KeyUse, id: &[u8]) -> Result<ObjectHandle, TokenError> {
        object::find(s, ObjectClass::PRIVATE_KEY, key.label(), Some(id))?
            .first()
            .copied()
            .ok_or(TokenError::NoKey(key))
    }
}

impl Card for Pkcs11Card {
    fn card_id(&self) -> &str {
        &self.card_id
    }

    fn pin_status(&self) -> Result<PinStatus, TokenError> {
        let s = self.session()?;
        Ok(self.state(&s)?.1)
    }

    fn certificate(&self, key: KeyUse) -> Result<Option<Vec<u8>>, TokenError> {
        let s = self.module.ctx().open_ro_session(self.slot)?;
        Ok(self.current(&s, key)?.map(|c| c.der))
    }

    fn sign(&self, key: KeyUse, pin: &str, message: &[u8]) -> Result<Vec<u8>, TokenError> {
        self.as_holder(pin, |s| {
            let current = self
                .current(s, key)?
                .ok_or(TokenError::NoCertificate(key))?;
            let handle = self.private_key(s, key, &current.id)?;
            object::sign_sha256_rsa(s, handle, message)
        })
    }

    fn change_pin(&self, old: &str, new: &str) -> Result<(), TokenError> {
        check_pin(old)?;
        check_pin(new)?;
        let s = self.session()?;
        let _ = s.logout();
        // In a read/write public session C_SetPIN checks the old user PIN itself (PKCS#11 §5.6).
        self.counted(&s, || {
            s.set_pin(
                &AuthPin::from(old.to_owned()),
                &AuthPin::from(new.to_owned()),
            )
        })
    }

    fn unblock(&self, unblock_code: &str, new_pin: &str) -> Result<(), TokenError> {
        check_pin(new_pin)?;
        let s = self.session()?;
        let _ = s.logout();
        match s.login(UserType::So, Some(&AuthPin::from(unblock_code.to_owned()))) {
            Ok(()) => {}
            Err(e) if matches!(rv(&e), Some(RvError::PinIncorrect | RvError::PinLocked)) => {
                return Err(TokenError::WrongUnblockCode);
            }
            Err(e) => return Err(e.into()),
        }
        let done = s.init_pin(&AuthPin::from(new_pin.to_owned()));
        let _ = s.logout();
        done?;
        let (handle, status) = self.state(&s)?;
        self.set_state(&s, handle, status.max_tries, status.max_tries)
            .map(|_| ())
    }

    fn generate_key(&self, key: KeyUse, pin: &str) -> Result<PendingKey, TokenError> {
        self.as_holder(pin, |s| {
            let id = s.generate_random_vec(8)?;
            let (public, _) = object::generate_rsa(s, CARD_KEY_BITS, key.label(), &id)?;
            Ok(PendingKey {
                key_use: key,
                public_key: object::rsa_spki(s, public)?,
                id,
            })
        })
    }

    fn sign_pending(
        &self,
        key: &PendingKey,
        pin: &str,
        message: &[u8],
    ) -> Result<Vec<u8>, TokenError> {
        self.as_holder(pin, |s| {
            let handle = self.private_key(s, key.key_use, &key.id)?;
            object::sign_sha256_rsa(s, handle, message)
        })
    }

    fn install_certificate(
        &self,
        key: &PendingKey,
        cert_der: &[u8],
        pin: &str,
    ) -> Result<(), TokenError> {
        let cert = x509_cert::Certificate::from_der(cert_der)?;
        if cert.tbs_certificate().subject_public_key_info().to_der()? != key.public_key.to_der()? {
            return Err(TokenError::CertificateKeyMismatch);
        }
        self.as_holder(pin, |s| {
            self.private_key(s, key.key_use, &key.id)?;
            object::create_certificate(s, cert_der, key.key_use.label(), &key.id)?;
            // Only now is the old pair replaced: remove every other object of this use.
            for class in [
                ObjectClass::CERTIFICATE,
                ObjectClass::PRIVATE_KEY,
                ObjectClass::PUBLIC_KEY,
            ] {
                for h in object::find(s, class, key.key_use.label(), None)? {
                    if object::bytes(s, h, AttributeType::Id)? != key.id {
                        s.destroy_object(h)?;
                    }
                }
            }
            Ok(())
        })
    }

    fn token_serial(&self) -> Result<String, TokenError> {
        Ok(self
            .module
            .ctx()
            .get_token_info(self.slot)?
            .serial_number()
            .trim_end()
            .to_owned())
    }

    fn create_card_key(&self, pin: &str) -> Result<SubjectPublicKeyInfoOwned, TokenError> {
        self.as_holder(pin, |s| {
            if !self
                .card_key_handles(s, ObjectClass::PRIVATE_KEY)?
                .is_empty()
            {
                return Err(TokenError::Malformed(Text::new(
                    "カード認証鍵は既にあります",
                    "the card already holds a card-authentication key",
                )));
            }
            let id = s.generate_random_vec(8)?;
            let (public, _) =
                object::generate_rsa_without_login(s, CARD_KEY_BITS, CARD_AUTH_LABEL, &id)?;
            object::rsa_spki(s, public)
        })
    }

    fn card_key(&self) -> Result<Option<SubjectPublicKeyInfoOwned>, TokenError> {
        let s = self.module.ctx().open_ro_session(self.slot)?;
        match self
            .card_key_handles(&s, ObjectClass::PUBLIC_KEY)?
            .as_slice()
        {
            [] => Ok(None),
            [one] => Ok(Some(object::rsa_spki(&s, *one)?)),
            _ => Err(TokenError::Malformed(Text::new(
                "カード認証鍵が複数あります",
                "more than one card-authentication key",
            ))),
        }
    }

    fn prove(&self, challenge: &[u8]) -> Result<Vec<u8>, TokenError> {
        let s = self.module.ctx().open_ro_session(self.slot)?;
        match self
            .card_key_handles(&s, ObjectClass::PRIVATE_KEY)?
            .as_slice()
        {
            [one] => object::sign_sha256_rsa(&s, *one, challenge),
            _ => Err(TokenError::Malformed(Text::new(
                "カード認証鍵がありません（またはひとつではありません）",
                "no single card-authentication key on the card",
            ))),
        }
    }
}

impl Pkcs11Card {
    fn card_key_handles(
        &self,
        s: &Session,
        class: ObjectClass,
    ) -> Result<Vec<ObjectHandle>, TokenError> {
        object::find(s, class, CARD_AUTH_LABEL, None)
    }
}

/// A certificate on the card and the `CKA_ID` it shares with its key pair.
struct OnCard {
    id: Vec<u8>,
    der: Vec<u8>,
}

fn encode_state(max: u8, remaining: u8) -> Vec<u8> {
    vec![1, max, remaining]
}

fn decode_state(v: &[u8]) -> Result<PinStatus, TokenError> {
    match v {
        [1, max, remaining] if remaining <= max => Ok(PinStatus {
            max_tries: *max,
            remaining: *remaining,
        }),
        _ => Err(TokenError::Malformed(Text::new(
            format!(
                "{PIN_STATE_LABEL} の内容（{} バイト）の形式が不明です",
                v.len()
            ),
            format!(
                "{PIN_STATE_LABEL} holds {} bytes of an unknown form",
                v.len()
            ),
        ))),
    }
}

/// A card key as an [`hpki_keys::Signer`], with the PIN it signs under: for building a CSR
/// whose proof of possession the card makes, and for signing documents.
pub struct CardKeySigner<'a> {
    card: &'a dyn Card,
    target: Target,
    pin: Zeroizing<String>,
    public_key: SubjectPublicKeyInfoOwned,
}

enum Target {
    Pending(PendingKey),
    Current(KeyUse),
}

impl<'a> CardKeySigner<'a> {
    /// Signs with a key pair generated and not yet certified.
    pub fn pending(card: &'a dyn Card, key: &PendingKey, pin: &str) -> Self {
        CardKeySigner {
            card,
            public_key: key.public_key.clone(),
            target: Target::Pending(key.clone()),
            pin: Zeroizing::new(pin.to_owned()),
        }
    }

    /// Signs with the current, certified `key`; the public key comes from its certificate.
    pub fn current(card: &'a dyn Card, key: KeyUse, pin: &str) -> Result<Self, TokenError> {
        let der = card
            .certificate(key)?
            .ok_or(TokenError::NoCertificate(key))?;
        let cert = x509_cert::Certificate::from_der(&der)?;
        Ok(CardKeySigner {
            card,
            public_key: cert.tbs_certificate().subject_public_key_info().clone(),
            target: Target::Current(key),
            pin: Zeroizing::new(pin.to_owned()),
        })
    }
}

impl Signer for CardKeySigner<'_> {
    fn algorithm(&self) -> SignatureAlgorithm {
        SignatureAlgorithm::RsaPkcs1Sha256
    }

    fn public_key(&self) -> &SubjectPublicKeyInfoOwned {
        &self.public_key
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        match &self.target {
            Target::Pending(k) => self.card.sign_pending(k, &self.pin, message),
            Target::Current(k) => self.card.sign(*k, &self.pin, message),
        }
        // The card's own reason (a wrong PIN and the tries left, a blocked PIN) is kept.
        .map_err(|e| KeyError::Device(e.text()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pin_is_exactly_four_digits() {
        assert!(check_pin("0000").is_ok());
        assert!(check_pin("1234").is_ok());
        for bad in ["", "123", "12345", "12a4", "１２３４", " 123"] {
            assert!(
                matches!(check_pin(bad), Err(TokenError::BadPinFormat)),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn pin_state_round_trips_and_rejects_garbage() {
        assert_eq!(
            decode_state(&encode_state(15, 3)).unwrap(),
            PinStatus {
                max_tries: 15,
                remaining: 3
            }
        );
        assert!(decode_state(&encode_state(15, 0)).unwrap().blocked());
        assert!(decode_state(&[1, 3, 4]).is_err());
        assert!(decode_state(&[2, 3, 3]).is_err());
        assert!(decode_state(b"").is_err());
    }
}
