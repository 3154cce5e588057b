//! The attendance API as the reader uses it: `POST /api/v1/attendance/taps` with the reader's
//! token. Plain HTTP on a venue's own network, or HTTPS trusting the CA certificates given
//! (`--ca`).

use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use serde_json::json;

use crate::queue::QueuedTap;

/// The server's answer to a tap.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TapAnswer {
    /// `entry`, `exit`, `duplicate`, `unknown_card`, `lost_card`, `revoked_card`, `outside_event`.
    pub result: String,
    /// What to show, in Japanese.
    pub message_ja: String,
    /// What to show, in English.
    pub message_en: String,
    /// The doctor, when known.
    pub name: Option<String>,
    /// What is unusual about the tap.
    #[serde(default)]
    pub flags: Vec<String>,
    /// The server had this tap already.
    #[serde(default)]
    pub repeated: bool,
    /// The event the reader's token is for.
    pub event_id: i64,
}

/// What sending one tap came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// Answered (the JSON as received, and read).
    Answered(String, TapAnswer),
    /// Refused as malformed (HTTP 400 or 422): sending it again would not help.
    Refused(String),
    /// Not now (no connection, timeout, 401 for a token the office must fix, 429, 5xx): it
    /// stays queued.
    NotNow(String),
}

/// Setting up the client failed.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The CA certificate file is not PEM certificates.
    #[error("the CA certificates: {0}")]
    Ca(String),
    /// The URL is neither http:// nor https://.
    #[error("the server URL must start with http:// or https://")]
    Url,
}

/// The attendance API of one server.
pub struct Server {
    taps_url: String,
    token: String,
    agent: ureq::Agent,
}

impl Server {
    /// The server at `base` (`https://hpki.example.jp`), the reader's `token`, and for HTTPS
    /// the CA certificates `ca_pem` to trust (none: plain HTTP only).
    pub fn new(base: &str, token: &str, ca_pem: Option<&[u8]>) -> Result<Server, ServerError> {
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(ServerError::Url);
        }
        let mut config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(5)));
        if let Some(pem) = ca_pem {
            let mut certs = Vec::new();
            for item in ureq::tls::parse_pem(pem) {
                if let ureq::tls::PemItem::Certificate(c) =
                    item.map_err(|e| ServerError::Ca(e.to_string()))?
                {
                    certs.push(c);
                }
            }
            if certs.is_empty() {
                return Err(ServerError::Ca("no certificate in the file".into()));
            }
            let tls = ureq::tls::TlsConfig::builder()
                .provider(ureq::tls::TlsProvider::Rustls)
                .root_certs(ureq::tls::RootCerts::Specific(Arc::new(certs)))
                .unversioned_rustls_crypto_provider(Arc::new(
                    rustls::crypto::aws_lc_rs::default_provider(),
                ))
                .build();
            config = config.tls_config(tls);
        }
        Ok(Server {
            taps_url: format!("{}/api/v1/attendance/taps", base.trim_end_matches('/')),
            token: token.trim().to_owned(),
            agent: ureq::Agent::new_with_config(config.build()),
        })
    }

    /// Sends `tap`.
    pub fn send(&self, tap: &QueuedTap) -> Delivery {
        let body = json!({"nonce": tap.nonce, "uid": tap.uid, "card_id": tap.card_id, "tapped_at": tap.tapped_at});
        let response = self
            .agent
            .post(&self.taps_url)
            .header("Authorization", &format!("Bearer {}", self.token))
            .send_json(&body);
        let mut response = match response {
            Ok(r) => r,
            Err(e) => return Delivery::NotNow(e.to_string()),
        };
        let status = response.status().as_u16();
        let text = match response
            .body_mut()
            .with_config()
            .limit(64 * 1024)
            .read_to_string()
        {
            Ok(t) => t,
            Err(e) => return Delivery::NotNow(e.to_string()),
        };
        match status {
            200 => match serde_json::from_str::<TapAnswer>(&text) {
                Ok(a) => Delivery::Answered(text, a),
                Err(e) => Delivery::NotNow(format!("unreadable answer: {e}: {text}")),
            },
            400 | 413 | 422 => Delivery::Refused(format!("HTTP {status}: {text}")),
            _ => Delivery::NotNow(format!("HTTP {status}: {text}")),
        }
    }
}
