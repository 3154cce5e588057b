//! Loading a PKCS#11 module and finding its tokens.
//!
//! `C_Initialize` may be called once per module and process (PKCS#11 v2.40 §5.4), so modules are
//! kept in a process-wide registry: opening the same file twice gives the same [`Module`].

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::RvError;
use cryptoki::slot::Slot;

use crate::{TokenError, rv};

/// A loaded and initialised PKCS#11 module.
pub struct Module {
    ctx: Pkcs11,
    path: PathBuf,
    /// Held while a blank token is chosen and initialised: two initialisations in one
    /// process must not pick the same blank slot.
    init: Mutex<()>,
}

impl std::fmt::Debug for Module {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Module").field("path", &self.path).finish()
    }
}

/// A token as seen in a slot, without logging in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenSummary {
    /// The slot.
    pub slot_id: u64,
    /// The token label (the card ID on a 医師資格証), blank-trimmed.
    pub label: String,
    /// The token's serial number.
    pub serial: String,
    /// Whether the token was initialised (`CKF_TOKEN_INITIALIZED`).
    pub initialized: bool,
    /// Whether the token itself reports the user PIN locked (`CKF_USER_PIN_LOCKED`).
    pub user_pin_locked: bool,
}

fn registry() -> &'static Mutex<HashMap<PathBuf, Arc<Module>>> {
    static MODULES: OnceLock<Mutex<HashMap<PathBuf, Arc<Module>>>> = OnceLock::new();
    MODULES.get_or_init(|| Mutex::new(HashMap::new()))
}

impl Module {
    /// Loads and initialises the module at `path` (once per process).
    pub fn open(path: &Path) -> Result<Arc<Module>, TokenError> {
        let load_error = |reason: String| TokenError::ModuleLoad {
            path: path.display().to_string(),
            reason,
        };
        let key = std::fs::canonicalize(path).map_err(|e| load_error(e.to_string()))?;
        let mut modules = registry().lock().unwrap_or_else(|p| p.into_inner());
        if let Some(m) = modules.get(&key) {
            return Ok(m.clone());
        }
        let ctx = Pkcs11::new(&key).map_err(|e| load_error(e.to_string()))?;
        match ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
            Ok(()) => {}
            Err(e) if rv(&e) == Some(RvError::CryptokiAlreadyInitialized) => {}
            Err(e) => return Err(load_error(e.to_string())),
        }
        let module = Arc::new(Module {
            ctx,
            path: key,
            init: Mutex::new(()),
        });
        modules.insert(module.path.clone(), module.clone());
        Ok(module)
    }

    /// The module file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn ctx(&self) -> &Pkcs11 {
        &self.ctx
    }

    /// Every slot holding a token, with what the token says of itself.
    pub fn tokens(&self) -> Result<Vec<TokenSummary>, TokenError> {
        let mut out = Vec::new();
        for slot in self.ctx.get_slots_with_token()? {
            let info = self.ctx.get_token_info(slot)?;
            out.push(TokenSummary {
                slot_id: slot.id(),
                label: info.label().trim_end().to_owned(),
                serial: info.serial_number().trim_end().to_owned(),
                initialized: info.token_initialized(),
                user_pin_locked: info.user_pin_locked(),
            });
        }
        Ok(out)
    }

    /// The slot of the initialised token labelled `label`.
    pub fn slot_of(&self, label: &str) -> Result<Slot, TokenError> {
        for slot in self.ctx.get_slots_with_token()? {
            let info = self.ctx.get_token_info(slot)?;
            if info.token_initialized() && info.label().trim_end() == label {
                return Ok(slot);
            }
        }
        Err(TokenError::TokenNotFound(label.to_owned()))
    }

    /// Serialises the initialisation of blank tokens in this process (see [`Module::blank_slot`]).
    pub(crate) fn init_guard(&self) -> std::sync::MutexGuard<'_, ()> {
        self.init.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A slot whose token is not initialised yet (a blank card), or the slot `wanted`.
    pub fn blank_slot(&self, wanted: Option<u64>) -> Result<Slot, TokenError> {
        for slot in self.ctx.get_slots_with_token()? {
            let info = self.ctx.get_token_info(slot)?;
            match wanted {
                Some(id) if slot.id() == id => return Ok(slot),
                None if !info.token_initialized() => return Ok(slot),
                _ => {}
            }
        }
        Err(TokenError::NoBlankToken)
    }
}
