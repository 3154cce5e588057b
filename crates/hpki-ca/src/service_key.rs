//! Keys and secrets of the services built on the CA (the time-stamping authority, the OpenID
//! provider's ID-token key and its pairwise-subject salt): files under `keys/` of the data
//! directory, keys encrypted with the operator passphrase like every other key file, created on
//! first use and audited then.

use std::sync::Arc;

use hpki_keys::{KeyKind, Signer, SoftwareKey};
use serde_json::json;

use crate::{CaError, Engine};

impl Engine {
    /// The RSA-2048 key `keys/{name}.key.pem`: loaded when it exists, created (and audited
    /// as `action` on `object`) otherwise.
    pub async fn service_key(
        &self,
        name: &str,
        action: &str,
        object: &str,
    ) -> Result<Arc<dyn Signer>, CaError> {
        let key_ref = format!("file:keys/{name}.key.pem");
        if self.dir.key_path(&key_ref).is_some_and(|p| p.exists()) {
            return self.operator_key(&key_ref);
        }
        let passphrase = self
            .passphrase
            .as_deref()
            .ok_or_else(|| CaError::NoKey(name.to_owned()))?;
        let key = SoftwareKey::generate(KeyKind::Rsa(2048))?;
        self.dir.write_atomic(
            &format!("keys/{name}.key.pem"),
            key.to_encrypted_pem(passphrase)?.as_bytes(),
            true,
        )?;
        self.store
            .append_audit(&self.audit(
                action,
                object,
                json!({"key_ref": key_ref, "algorithm": "RSA-2048",
                       "storage": "PKCS#8 encrypted (scrypt, AES-256-CBC)"}),
            ))
            .await?;
        Ok(Arc::new(key))
    }

    /// The 32 random octets `keys/{name}.secret` (mode 0600): read when the file exists,
    /// created otherwise.
    pub fn service_secret(&self, name: &str) -> Result<Vec<u8>, CaError> {
        let rel = format!("keys/{name}.secret");
        let path = self.dir.path().join(&rel);
        match std::fs::read(&path) {
            Ok(s) if s.len() == 32 => Ok(s),
            Ok(_) => Err(CaError::Config(format!(
                "{} is not 32 octets",
                path.display()
            ))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut secret = vec![0u8; 32];
                aws_lc_rs::rand::fill(&mut secret)
                    .map_err(|_| CaError::Config("no randomness".into()))?;
                self.dir.write_atomic(&rel, &secret, true)?;
                Ok(secret)
            }
            Err(e) => Err(CaError::io(&path, e)),
        }
    }
}
