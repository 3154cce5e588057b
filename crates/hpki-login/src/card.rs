//! Is this TLS client certificate a card's HPKI authentication certificate, valid now?
//!
//! The card login of the provider asks the browser for a client certificate; TLS proves the
//! client holds its key (the handshake signature, checked by the listener). What TLS does not
//! decide is decided here, on the certificate chain the client sent and what the relying party
//! trusts, in the order a refusal is best explained to the person at the browser:
//!
//! 1. a certificate was presented and decodes (RFC 5280 §4.1);
//! 2. it is an **authentication** certificate: keyUsage digitalSignature (§4.2.1.3) and
//!    extendedKeyUsage id-kp-clientAuth (§4.2.1.12; RFC 5246 §7.4.6, RFC 8446 §4.4.2.4). A
//!    card's signing certificate (nonRepudiation only) is refused by name;
//! 3. the path from it through the authentication CA to the HPKI root is valid now (RFC 5280
//!    §6.1, [`hpki_verify::validate_path`]), and the certificate asserts one of the
//!    authentication policies (e.g. 1.2.392.100495.1.5.1.2.0.1). As for signatures
//!    ([`hpki_verify::end_entity_policy`]), the policy is checked on the end entity: the CA
//!    certificates of the MHLW chain assert their own CA policies and map none;
//! 4. it is not revoked, and its status is known, from the revocation data given (§6.3 CRLs,
//!    RFC 6960 OCSP): [`hpki_verify::check_revocation`];
//! 5. it states an hcRole (ISO 17090-3) and a subscriber ID (subject serialNumber).
//!
//! The outcome is a [`CardHolder`] or a [`Refusal`] whose [`Localized`] text is what the
//! refusal page says.

use std::time::SystemTime;

use const_oid::ObjectIdentifier;
use der::Decode;
use hpki_text::{Localized, Text};
use hpki_verify::end_entity_policy::asserted_policies;
use hpki_verify::{
    HcRole, PathError, PathOptions, RevocationData, RevocationScope, Subscriber, check_revocation,
    validate_path,
};
use x509_cert::Certificate;
use x509_cert::ext::pkix::{ExtendedKeyUsage, KeyUsage, KeyUsages};

/// `id-kp-clientAuth` (RFC 5280 §4.2.1.12).
pub const ID_KP_CLIENT_AUTH: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.2");

/// What the relying party trusts for card login.
#[derive(Clone, Debug)]
pub struct Trust {
    /// Trust anchors: the HPKI root(s).
    pub roots: Vec<Certificate>,
    /// Known intermediate CAs (the authentication CA), used besides those the client sends.
    pub intermediates: Vec<Certificate>,
    /// The certificate policies of authentication certificates; one is required explicitly.
    pub policies: Vec<ObjectIdentifier>,
}

/// The holder of a card whose authentication certificate passed every check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CardHolder {
    /// Names, subscriber ID and hcRoles from the certificate.
    pub subscriber: Subscriber,
    /// The subscriber ID (subject serialNumber).
    pub subscriber_id: String,
    /// The first hcRole, e.g. "Medical Doctor".
    pub role: HcRole,
    /// Serial number of the certificate, lower-case hex.
    pub serial_hex: String,
    /// notAfter, Unix seconds: a session does not outlive the certificate.
    pub not_after: u64,
    /// SHA-256 of the certificate's DER (RFC 8705 `x5t#S256` material), lower-case hex.
    pub certificate_sha256: String,
}

/// Why a client certificate does not sign anyone in.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    /// No client certificate was presented.
    #[error("no client certificate was presented")]
    NoCertificate,
    /// The certificate does not decode.
    #[error("the client certificate cannot be read: {0}")]
    Unreadable(String),
    /// The certificate is not for authentication: no digitalSignature or no id-kp-clientAuth
    /// (RFC 5280 §4.2.1.3, §4.2.1.12), e.g. the card's signing certificate.
    #[error("not an authentication certificate (keyUsage {key_usage}, extendedKeyUsage {eku})")]
    NotAuthentication {
        /// The keyUsage bits present, for the page.
        key_usage: String,
        /// The extended key usages present.
        eku: String,
    },
    /// RFC 5280 §6.1 path validation failed (another root, expired, wrong policy, …).
    #[error("the certificate path is not valid: {0}")]
    Path(#[source] PathError),
    /// The certificate asserts none of the authentication policies.
    #[error(
        "the certificate asserts none of the authentication policies (it asserts {asserted:?})"
    )]
    Policy {
        /// The policies it asserts.
        asserted: Vec<String>,
    },
    /// Revoked, or its status is not known (RFC 5280 §6.3, RFC 6960).
    #[error("revocation: {0}")]
    Revocation(#[source] PathError),
    /// The certificate states no hcRole (ISO 17090-3).
    #[error("the certificate states no hcRole")]
    NoHcRole,
    /// The certificate's subject has no serialNumber (the subscriber ID).
    #[error("the certificate names no subscriber ID")]
    NoSubscriberId,
}

impl Localized for Refusal {
    fn text(&self) -> Text {
        match self {
            Refusal::NoCertificate => Text::new(
                "クライアント証明書が提示されませんでした。医師資格証をカードリーダーに置き、ブラウザーで認証用の証明書を選んでください。",
                "No client certificate was presented. Put the card in the reader and choose its authentication certificate in the browser.",
            ),
            Refusal::Unreadable(e) => Text::new(
                format!("クライアント証明書を読み取れません：{e}"),
                format!("The client certificate cannot be read: {e}"),
            ),
            Refusal::NotAuthentication { key_usage, eku } => Text::new(
                format!(
                    "認証用の証明書ではありません（鍵用途 {key_usage}、拡張鍵用途 {eku}）。署名用の証明書ではログインできません。"
                ),
                format!(
                    "This is not an authentication certificate (key usage {key_usage}, extended key usage {eku}). A signing certificate cannot sign in."
                ),
            ),
            Refusal::Path(e) => {
                let t = e.text();
                Text::new(
                    format!("証明書の検証に失敗しました：{}", t.ja),
                    format!("The certificate did not validate: {}", t.en),
                )
            }
            Refusal::Policy { asserted } => Text::new(
                format!(
                    "HPKIの認証用証明書ポリシーの証明書ではありません（記載されたポリシー：{}）。",
                    asserted.join(", ")
                ),
                format!(
                    "Not a certificate of the HPKI authentication policy (it asserts {}).",
                    asserted.join(", ")
                ),
            ),
            Refusal::Revocation(e) => {
                let t = e.text();
                Text::new(
                    format!("証明書の失効確認：{}", t.ja),
                    format!("Revocation check: {}", t.en),
                )
            }
            Refusal::NoHcRole => Text::new(
                "証明書に保健医療福祉分野の資格（hcRole）が記載されていません。",
                "The certificate states no healthcare role (hcRole).",
            ),
            Refusal::NoSubscriberId => Text::new(
                "証明書に利用者ID（serialNumber）が記載されていません。",
                "The certificate names no subscriber ID (serialNumber).",
            ),
        }
    }
}

/// Checks the chain a TLS client presented (leaf first, DER) at `now` against `trust`, with
/// the revocation data in `revocation`.
pub fn check(
    chain: &[Vec<u8>],
    trust: &Trust,
    revocation: &RevocationData,
    now: SystemTime,
) -> Result<CardHolder, Refusal> {
    let (leaf_der, sent) = chain.split_first().ok_or(Refusal::NoCertificate)?;
    let leaf = Certificate::from_der(leaf_der).map_err(|e| Refusal::Unreadable(e.to_string()))?;
    check_key_purpose(&leaf)?;
    let mut intermediates: Vec<Certificate> = sent
        .iter()
        .filter_map(|d| Certificate::from_der(d).ok())
        .collect();
    intermediates.extend(trust.intermediates.iter().cloned());
    let path = validate_path(&leaf, &intermediates, &trust.roots, &PathOptions::at(now))
        .map_err(Refusal::Path)?;
    let asserted = asserted_policies(&leaf);
    if !trust.policies.iter().any(|p| asserted.contains(p)) {
        return Err(Refusal::Policy {
            asserted: asserted.iter().map(ToString::to_string).collect(),
        });
    }
    check_revocation(&path, revocation, now)
        .require(RevocationScope::Leaf)
        .map_err(Refusal::Revocation)?;
    let subscriber =
        Subscriber::from_certificate(&leaf).map_err(|e| Refusal::Unreadable(e.to_string()))?;
    let role = subscriber.roles.first().cloned().ok_or(Refusal::NoHcRole)?;
    let subscriber_id = subscriber
        .subscriber_id
        .clone()
        .filter(|s| !s.trim().is_empty())
        .ok_or(Refusal::NoSubscriberId)?;
    let tbs = leaf.tbs_certificate();
    Ok(CardHolder {
        subscriber,
        subscriber_id,
        role,
        serial_hex: hex::encode(tbs.serial_number().as_bytes()),
        not_after: tbs.validity().not_after.to_unix_duration().as_secs(),
        certificate_sha256: hex::encode(aws_lc_rs::digest::digest(
            &aws_lc_rs::digest::SHA256,
            leaf_der,
        )),
    })
}

/// keyUsage digitalSignature and extendedKeyUsage id-kp-clientAuth, both present.
fn check_key_purpose(leaf: &Certificate) -> Result<(), Refusal> {
    let tbs = leaf.tbs_certificate();
    let unreadable = |e: der::Error| Refusal::Unreadable(e.to_string());
    let ku = tbs
        .get_extension::<KeyUsage>()
        .map_err(unreadable)?
        .map(|(_, ku)| ku);
    let eku = tbs
        .get_extension::<ExtendedKeyUsage>()
        .map_err(unreadable)?
        .map(|(_, eku)| eku.0)
        .unwrap_or_default();
    let signs = ku.is_some_and(|k| k.0.contains(KeyUsages::DigitalSignature));
    if signs && eku.contains(&ID_KP_CLIENT_AUTH) {
        return Ok(());
    }
    let key_usage = match ku {
        Some(k) => format!("{:?}", k.0),
        None => "-".into(),
    };
    let eku = if eku.is_empty() {
        "-".into()
    } else {
        eku.iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    };
    Err(Refusal::NotAuthentication { key_usage, eku })
}
