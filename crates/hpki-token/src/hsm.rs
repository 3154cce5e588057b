//! CA keys inside an HSM token.
//!
//! PKCS#11 login state belongs to the application and the token, not to one session (PKCS#11
//! v2.40 §5.6): one [`HsmToken`] per token and process holds the login, keeps one session open so
//! the login lasts, and lends further sessions to concurrent signers. Dropping the last
//! [`HsmToken`] (and every [`Pkcs11Signer`] made from it) logs out.

use hpki_text::Text;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock, Weak};

use cryptoki::error::RvError;
use cryptoki::object::{AttributeType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::slot::Slot;
use cryptoki::types::AuthPin;
use hpki_keys::{KeyError, SignatureAlgorithm, Signer};
use sha2::{Digest, Sha256};
use spki::SubjectPublicKeyInfoOwned;

use crate::module::Module;
use crate::{TokenError, object, rv};

/// A logged-in HSM token.
#[derive(Clone)]
pub struct HsmToken {
    login: Arc<Login>,
}

struct Login {
    module: Arc<Module>,
    slot: Slot,
    label: String,
    /// SHA-256 of the PIN this login was made with: a second `login` with another PIN while this
    /// one lasts must fail as the token would, not ride on the existing login.
    pin_hash: [u8; 32],
    /// The session that holds the login.
    anchor: Mutex<Option<Session>>,
    /// Idle sessions for signers.
    idle: Mutex<Vec<Session>>,
}

impl Drop for Login {
    fn drop(&mut self) {
        if let Some(s) = self.anchor.lock().unwrap_or_else(|p| p.into_inner()).take() {
            let _ = s.logout();
        }
    }
}

type Registry = Mutex<HashMap<(PathBuf, String), Weak<Login>>>;

fn logins() -> &'static Registry {
    static LOGINS: OnceLock<Registry> = OnceLock::new();
    LOGINS.get_or_init(|| Mutex::new(HashMap::new()))
}

fn pin_hash(pin: &str) -> [u8; 32] {
    Sha256::digest(pin.as_bytes()).into()
}

impl HsmToken {
    /// Logs in as the user of the token labelled `label` with `pin`.
    pub fn login(module: &Arc<Module>, label: &str, pin: &str) -> Result<HsmToken, TokenError> {
        let key = (module.path().to_path_buf(), label.to_owned());
        let mut registry = logins().lock().unwrap_or_else(|p| p.into_inner());
        if let Some(login) = registry.get(&key).and_then(Weak::upgrade) {
            if login.pin_hash != pin_hash(pin) {
                return Err(TokenError::HsmPinRefused(label.to_owned()));
            }
            return Ok(HsmToken { login });
        }
        let slot = module.slot_of(label)?;
        let session = module.ctx().open_rw_session(slot)?;
        match session.login(UserType::User, Some(&AuthPin::from(pin.to_owned()))) {
            Ok(()) => {}
            Err(e) if rv(&e) == Some(RvError::UserAlreadyLoggedIn) => {}
            Err(e)
                if matches!(
                    rv(&e),
                    Some(RvError::PinIncorrect | RvError::PinLocked | RvError::PinLenRange)
                ) =>
            {
                return Err(TokenError::HsmPinRefused(label.to_owned()));
            }
            Err(e) => return Err(e.into()),
        }
        let login = Arc::new(Login {
            module: module.clone(),
            slot,
            label: label.to_owned(),
            pin_hash: pin_hash(pin),
            anchor: Mutex::new(Some(session)),
            idle: Mutex::new(Vec::new()),
        });
        registry.insert(key, Arc::downgrade(&login));
        Ok(HsmToken { login })
    }

    /// Initialises the token in a blank slot (or slot `slot`) with `label`, its SO PIN and
    /// user PIN, as an HSM vendor's tool does (`softhsm2-util --init-token`): for demos and
    /// tests on SoftHSM2. A production HSM is initialised with its own tools.
    pub fn initialize_token(
        module: &Arc<Module>,
        slot: Option<u64>,
        label: &str,
        so_pin: &str,
        user_pin: &str,
    ) -> Result<(), TokenError> {
        let _init = module.init_guard();
        if module.slot_of(label).is_ok() {
            return Err(TokenError::LabelInUse(label.to_owned()));
        }
        let blank = module.blank_slot(slot)?;
        module
            .ctx()
            .init_token(blank, &AuthPin::from(so_pin.to_owned()), label)?;
        let session = module.ctx().open_rw_session(module.slot_of(label)?)?;
        session.login(UserType::So, Some(&AuthPin::from(so_pin.to_owned())))?;
        let done = session.init_pin(&AuthPin::from(user_pin.to_owned()));
        let _ = session.logout();
        Ok(done?)
    }

    /// Changes the user PIN of the token labelled `label` (`C_SetPIN`): how the key ceremony
    /// moves the HSM under the custodians' secret.
    pub fn change_pin(
        module: &Arc<Module>,
        label: &str,
        old: &str,
        new: &str,
    ) -> Result<(), TokenError> {
        let slot = module.slot_of(label)?;
        let session = module.ctx().open_rw_session(slot)?;
        match session.set_pin(
            &AuthPin::from(old.to_owned()),
            &AuthPin::from(new.to_owned()),
        ) {
            Ok(()) => Ok(()),
            Err(e) if matches!(rv(&e), Some(RvError::PinIncorrect | RvError::PinLocked)) => {
                Err(TokenError::HsmPinRefused(label.to_owned()))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// The token label.
    pub fn label(&self) -> &str {
        &self.login.label
    }

    fn with_session<T>(
        &self,
        f: impl FnOnce(&Session) -> Result<T, TokenError>,
    ) -> Result<T, TokenError> {
        let session = self.login.take_session()?;
        let out = f(&session);
        self.login.give_back(session);
        out
    }

    /// Generates an RSA key pair of `bits` on the HSM under `key_label` (refused if one exists).
    pub fn generate_rsa(&self, key_label: &str, bits: u64) -> Result<Pkcs11Signer, TokenError> {
        self.with_session(|s| {
            if !object::find(s, ObjectClass::PRIVATE_KEY, key_label, None)?.is_empty() {
                return Err(TokenError::HsmKeyExists(key_label.to_owned()));
            }
            let id = s.generate_random_vec(8)?;
            object::generate_rsa(s, bits, key_label, &id)?;
            Ok(())
        })?;
        self.signer(key_label)
    }

    /// The signer of the private key labelled `key_label`.
    pub fn signer(&self, key_label: &str) -> Result<Pkcs11Signer, TokenError> {
        let (key, public_key) = self.with_session(|s| {
            let keys = object::find(s, ObjectClass::PRIVATE_KEY, key_label, None)?;
            let [key] = keys[..] else {
                return Err(if keys.is_empty() {
                    TokenError::NoHsmKey(key_label.to_owned())
                } else {
                    TokenError::Malformed(Text::new(
                        format!("ラベル {key_label:?} の鍵が {} 個あります", keys.len()),
                        format!("{} keys labelled {key_label:?}", keys.len()),
                    ))
                });
            };
            Ok((key, object::rsa_spki(s, key)?))
        })?;
        Ok(Pkcs11Signer {
            token: self.clone(),
            key,
            public_key,
        })
    }

    /// Whether the private key labelled `key_label` is sensitive and not extractable, as the
    /// token reports it.
    pub fn key_is_protected(&self, key_label: &str) -> Result<bool, TokenError> {
        self.with_session(|s| {
            let keys = object::find(s, ObjectClass::PRIVATE_KEY, key_label, None)?;
            let Some(key) = keys.first() else {
                return Err(TokenError::NoHsmKey(key_label.to_owned()));
            };
            let attrs = s.get_attributes(
                *key,
                &[
                    AttributeType::Sensitive,
                    AttributeType::Extractable,
                    AttributeType::NeverExtractable,
                ],
            )?;
            let mut ok = attrs.len() == 3;
            for a in attrs {
                ok &= match a {
                    cryptoki::object::Attribute::Sensitive(v) => v,
                    cryptoki::object::Attribute::Extractable(v) => !v,
                    cryptoki::object::Attribute::NeverExtractable(v) => v,
                    _ => false,
                };
            }
            Ok(ok)
        })
    }
}

impl Login {
    fn take_session(&self) -> Result<Session, TokenError> {
        if let Some(s) = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop() {
            return Ok(s);
        }
        Ok(self.module.ctx().open_rw_session(self.slot)?)
    }

    fn give_back(&self, session: Session) {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        // Enough for the cores of a CA machine; extra sessions are closed on drop.
        if idle.len() < 16 {
            idle.push(session);
        }
    }
}

/// A private key in an HSM, signing through PKCS#11 (`CKM_SHA256_RSA_PKCS`).
#[derive(Clone)]
pub struct Pkcs11Signer {
    token: HsmToken,
    key: ObjectHandle,
    public_key: SubjectPublicKeyInfoOwned,
}

impl std::fmt::Debug for Pkcs11Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pkcs11Signer")
            .field("token", &self.token.label())
            .finish()
    }
}

impl Signer for Pkcs11Signer {
    fn algorithm(&self) -> SignatureAlgorithm {
        SignatureAlgorithm::RsaPkcs1Sha256
    }

    fn public_key(&self) -> &SubjectPublicKeyInfoOwned {
        &self.public_key
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        self.token
            .with_session(|s| object::sign_sha256_rsa(s, self.key, message))
            .map_err(|_| KeyError::Signing)
    }
}
