//! The provider's ID-token keys and their rotation, and the pairwise-subject salt.
//!
//! Keys are RSA-2048 files of the CA's data directory, encrypted like every key there
//! ([`hpki_ca::Engine::service_key`]): generation 1 is `keys/oidc-id-token.key.pem`, later ones
//! `keys/oidc-id-token-{n}.key.pem`. The newest signs; every key in `keys/` is published in the
//! JWKS, so that tokens signed before a rotation still verify. Rotation (`hpki oidc key rotate`)
//! adds the next generation, which signs once the server restarts; an old key is withdrawn
//! from the JWKS with `hpki oidc key retire` (its file moved to `keys/retired/`) once no token
//! it signed is still in use ([`crate::oidc::TOKEN_SECONDS`] after the restart).

use std::path::PathBuf;
use std::sync::Arc;

use hpki_keys::Signer;
use hpki_login::jwk::Jwk;
use hpki_login::jws;
use serde_json::{Value, json};

use crate::{LoginError, Provider};

const STEM: &str = "oidc-id-token";

/// The provider's keys, loaded at start.
pub struct Keys {
    signer: Arc<dyn Signer>,
    signing: Jwk,
    published: Vec<Jwk>,
    salt: Vec<u8>,
}

/// One ID-token key on disk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyInfo {
    /// Its generation (1, 2, …).
    pub generation: u32,
    /// Its `kid` (RFC 7638 thumbprint).
    pub kid: String,
    /// Whether it signs (the newest).
    pub signing: bool,
}

fn name(generation: u32) -> String {
    match generation {
        1 => STEM.to_owned(),
        n => format!("{STEM}-{n}"),
    }
}

impl Keys {
    /// Signs ID-token `claims` with the newest key.
    pub fn sign(&self, claims: &Value) -> Result<String, jws::JwsError> {
        jws::sign_compact(self.signer.as_ref(), &self.signing.kid, claims)
    }

    /// The claims of a token signed with any published key (signature only; the caller checks
    /// `iss`, `aud`, `exp` and `nonce`).
    pub fn verify(&self, token: &str) -> Option<Value> {
        let keys: Vec<(String, Vec<u8>)> = self
            .published
            .iter()
            .map(|j| (j.kid.clone(), j.rsa_public_key_der.clone()))
            .collect();
        jws::verify_compact(token, &keys).ok()
    }

    /// The key set document (RFC 7517 §5): every published key, the signing key first.
    pub fn jwks(&self) -> Value {
        json!({"keys": self.published.iter().map(Jwk::to_json).collect::<Vec<_>>()})
    }

    /// The pairwise-subject salt.
    pub fn salt(&self) -> &[u8] {
        &self.salt
    }
}

impl Provider {
    fn keys_dir(&self) -> PathBuf {
        self.ca.dir.path().join("keys")
    }

    /// The generations of ID-token keys in `keys/`, oldest first.
    fn generations(&self) -> Result<Vec<u32>, LoginError> {
        let mut found = Vec::new();
        let entries = match std::fs::read_dir(self.keys_dir()) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(found),
            Err(e) => return Err(LoginError::Unavailable(e.to_string())),
        };
        for entry in entries.flatten() {
            let file = entry.file_name().to_string_lossy().into_owned();
            let Some(stem) = file.strip_suffix(".key.pem") else {
                continue;
            };
            if stem == STEM {
                found.push(1);
            } else if let Some(n) = stem
                .strip_prefix(STEM)
                .and_then(|r| r.strip_prefix('-'))
                .and_then(|n| n.parse::<u32>().ok())
                .filter(|n| *n >= 2)
            {
                found.push(n);
            }
        }
        found.sort_unstable();
        Ok(found)
    }

    async fn load(&self, generation: u32) -> Result<(Arc<dyn Signer>, Jwk), LoginError> {
        let signer = self
            .ca
            .service_key(&name(generation), "oidc.key_created", "oidc/id-token")
            .await?;
        let jwk = Jwk::from_spki(signer.public_key())
            .map_err(|e| LoginError::Unavailable(e.to_string()))?;
        Ok((signer, jwk))
    }

    /// The keys (generation 1 created on first use) and the pairwise-subject salt
    /// (`keys/oidc-pairwise.secret`).
    pub async fn keys(&self) -> Result<Keys, LoginError> {
        let mut generations = self.generations()?;
        if generations.is_empty() {
            generations.push(1);
        }
        let mut published = Vec::new();
        let mut signer = None;
        for g in generations.iter().rev() {
            let (s, jwk) = self.load(*g).await?;
            signer.get_or_insert(s);
            published.push(jwk);
        }
        let signer = signer.ok_or_else(|| LoginError::Unavailable("no ID-token key".into()))?;
        Ok(Keys {
            signer,
            signing: published[0].clone(),
            published,
            salt: self.ca.service_secret("oidc-pairwise")?,
        })
    }

    /// The ID-token keys on disk, oldest first.
    pub async fn key_list(&self) -> Result<Vec<KeyInfo>, LoginError> {
        let generations = self.generations()?;
        let newest = generations.last().copied();
        let mut out = Vec::new();
        for g in generations {
            out.push(KeyInfo {
                generation: g,
                kid: self.load(g).await?.1.kid,
                signing: Some(g) == newest,
            });
        }
        Ok(out)
    }

    /// Adds the next generation of ID-token key (audited); it signs once the server restarts.
    pub async fn rotate_key(&self) -> Result<KeyInfo, LoginError> {
        let next = self.generations()?.last().map_or(1, |g| g + 1);
        let (_, jwk) = self.load(next).await?;
        Ok(KeyInfo {
            generation: next,
            kid: jwk.kid,
            signing: true,
        })
    }

    /// Withdraws key `kid` from the JWKS: its file moves to `keys/retired/` (audited). The
    /// signing key cannot be retired.
    pub async fn retire_key(&self, kid: &str) -> Result<(), LoginError> {
        let keys = self.key_list().await?;
        let key = keys.iter().find(|k| k.kid == kid).ok_or_else(|| {
            LoginError::bad_input(format!("鍵 {kid} はありません"), format!("no key {kid}"))
        })?;
        if key.signing {
            return Err(LoginError::bad_input(
                "署名に使っている最新の鍵は廃止できません。先に hpki oidc key rotate で次の鍵を作ってください",
                "the newest key signs and cannot be retired: rotate first (hpki oidc key rotate)",
            ));
        }
        let file = format!("{}.key.pem", name(key.generation));
        let retired = self.keys_dir().join("retired");
        std::fs::create_dir_all(&retired).map_err(|e| LoginError::Unavailable(e.to_string()))?;
        std::fs::rename(self.keys_dir().join(&file), retired.join(&file))
            .map_err(|e| LoginError::Unavailable(e.to_string()))?;
        self.ca
            .store
            .append_audit(&self.ca.audit(
                "oidc.key_retired",
                "oidc/id-token",
                json!({"kid": kid, "generation": key.generation}),
            ))
            .await?;
        Ok(())
    }
}
