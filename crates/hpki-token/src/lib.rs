//! PKCS#11 tokens for hpki: the doctor's IC card and the CA's HSM.
//!
//! Both are reached through PKCS#11 (OASIS PKCS#11 v2.40/3.x) with the `cryptoki` crate, so the
//! same code drives SoftHSM2 (tests and demos) and real devices (OpenSC's `opensc-pkcs11.so`
//! for the 医師資格証, a vendor module for an HSM):
//!
//! - [`module`]: loading a PKCS#11 module once per process, and finding tokens by label.
//! - [`card`]: the [`Card`] interface of the 医師資格証 and its PKCS#11 implementation
//!   [`Pkcs11Card`]: card ID, signing and authentication key pairs generated on the token
//!   (sensitive, never extractable), certificates readable without a PIN, a 4-digit PIN with a
//!   retry counter, and an unblocking code (the token's SO PIN) held by the RA.
//! - [`hsm`]: CA keys inside an HSM token, as [`hpki_keys::Signer`]s ([`Pkcs11Signer`]).
//!
//! Private keys never leave the token: the token generates them and signs with them
//! (`CKM_SHA256_RSA_PKCS`, RSASSA-PKCS1-v1_5 with SHA-256, RFC 8017 §8.2), and the public key is
//! read back as a PKCS#1 `RSAPublicKey` inside a SubjectPublicKeyInfo (RFC 3279 §2.3.1).
#![forbid(unsafe_code)]

pub mod card;
pub mod hsm;
pub mod module;
mod object;

pub use card::{
    BlankCard, Card, CardKeySigner, KeyUse, PendingKey, PinStatus, Pkcs11BlankCard, Pkcs11Card,
    check_pin,
};
pub use hsm::{HsmToken, Pkcs11Signer};
pub use module::{Module, TokenSummary};

/// The Debian path of SoftHSM2's module: the default for demos and tests.
pub const SOFTHSM2_MODULE: &str = "/usr/lib/softhsm/libsofthsm2.so";

/// Everything that can go wrong with a token.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// The PKCS#11 module could not be loaded or initialised.
    #[error("cannot load the PKCS#11 module {path}: {reason}")]
    ModuleLoad {
        /// The module file.
        path: String,
        /// What the loader said.
        reason: String,
    },
    /// No token carries this label (card ID or HSM token label).
    #[error("no token labelled {0:?} is present")]
    TokenNotFound(String),
    /// Personalisation needs an uninitialised token and there is none.
    #[error("no blank card (uninitialised token) is present")]
    NoBlankToken,
    /// A token with this label already exists.
    #[error("a token labelled {0:?} already exists")]
    LabelInUse(String),
    /// A card PIN must be exactly four digits (the 医師資格証 PIN).
    #[error("the PIN must be exactly 4 digits")]
    BadPinFormat,
    /// The PIN was wrong; the card counts down.
    #[error("wrong PIN: {remaining} tries left before the card locks")]
    WrongPin {
        /// Tries left.
        remaining: u8,
    },
    /// Too many wrong PINs: only the RA's unblocking code opens the card again.
    #[error(
        "the PIN is blocked after too many wrong tries: the registration authority must unblock the card"
    )]
    PinBlocked,
    /// The unblocking code (SO PIN) was refused.
    #[error("the unblocking code is wrong")]
    WrongUnblockCode,
    /// The HSM refused the PIN.
    #[error("the HSM token {0:?} refused the PIN")]
    HsmPinRefused(String),
    /// The card holds no key for this use.
    #[error("the card holds no {} key", .0.name().en)]
    NoKey(card::KeyUse),
    /// No key with this label in the HSM.
    #[error("no key labelled {0:?} in the HSM")]
    NoHsmKey(String),
    /// A key with this label already exists in the HSM.
    #[error("a key labelled {0:?} already exists in the HSM")]
    HsmKeyExists(String),
    /// The card holds no certificate for this use.
    #[error("the card holds no {} certificate", .0.name().en)]
    NoCertificate(card::KeyUse),
    /// The certificate to write does not certify the key it is written for.
    #[error("the certificate is not for the key generated on the card")]
    CertificateKeyMismatch,
    /// An object on the token is not what hpki wrote.
    #[error("unexpected object on the token: {0}")]
    Malformed(Text),
    /// Any other PKCS#11 failure, with the function and return value.
    #[error("PKCS#11 failure: {0}")]
    Pkcs11(String),
    /// DER encoding or decoding failed.
    #[error("DER error: {0}")]
    Der(#[from] der::Error),
}

impl Localized for TokenError {
    fn text(&self) -> Text {
        match self {
            TokenError::ModuleLoad { path, reason } => Text::new(
                format!("PKCS#11 モジュール {path} を読み込めません: {reason}"),
                format!("cannot load the PKCS#11 module {path}: {reason}"),
            ),
            TokenError::TokenNotFound(f0) => Text::new(
                format!("ラベル {f0:?} のトークン（カード）が見つかりません"),
                format!("no token labelled {f0:?} is present"),
            ),
            TokenError::NoBlankToken => Text::new(
                "未発行のカード（初期化されていないトークン）がありません",
                "no blank card (uninitialised token) is present",
            ),
            TokenError::LabelInUse(f0) => Text::new(
                format!("ラベル {f0:?} のトークンは既に存在します"),
                format!("a token labelled {f0:?} already exists"),
            ),
            TokenError::BadPinFormat => Text::new(
                "暗証番号は数字4桁で指定してください",
                "the PIN must be exactly 4 digits",
            ),
            TokenError::WrongPin { remaining } => Text::new(
                format!("暗証番号が違います（ロックまで残り {remaining} 回）"),
                format!("wrong PIN: {remaining} tries left before the card locks"),
            ),
            TokenError::PinBlocked => Text::new(
                "暗証番号がロックされています（登録局でロック解除が必要です）",
                "the PIN is blocked after too many wrong tries: the registration authority must unblock the card",
            ),
            TokenError::WrongUnblockCode => {
                Text::new("ロック解除コードが違います", "the unblocking code is wrong")
            }
            TokenError::HsmPinRefused(f0) => Text::new(
                format!("HSM トークン {f0:?} の PIN が違います"),
                format!("the HSM token {f0:?} refused the PIN"),
            ),
            TokenError::NoKey(key) => Text::new(
                format!("カードに{}用の鍵がありません", key.name().ja),
                self.to_string(),
            ),
            TokenError::NoHsmKey(f0) => Text::new(
                format!("HSM にラベル {f0:?} の鍵がありません"),
                format!("no key labelled {f0:?} in the HSM"),
            ),
            TokenError::HsmKeyExists(f0) => Text::new(
                format!("HSM にラベル {f0:?} の鍵が既にあります"),
                format!("a key labelled {f0:?} already exists in the HSM"),
            ),
            TokenError::NoCertificate(key) => Text::new(
                format!("カードに{}用の証明書がありません", key.name().ja),
                self.to_string(),
            ),
            TokenError::CertificateKeyMismatch => Text::new(
                "証明書の公開鍵がカードの鍵と一致しません",
                "the certificate is not for the key generated on the card",
            ),
            TokenError::Malformed(t) => t.clone().after(Text::new(
                "トークン上のオブジェクトが不正です",
                "unexpected object on the token",
            )),
            TokenError::Pkcs11(f0) => Text::new(
                format!("PKCS#11 の処理に失敗しました: {f0}"),
                format!("PKCS#11 failure: {f0}"),
            ),
            TokenError::Der(f0) => Text::new(
                format!("DER 形式の誤りです{}", hpki_text::DETAIL_IN_ENGLISH),
                format!("DER error: {f0}"),
            ),
        }
    }
}

impl From<cryptoki::error::Error> for TokenError {
    fn from(e: cryptoki::error::Error) -> Self {
        TokenError::Pkcs11(e.to_string())
    }
}

/// The PKCS#11 return value of an error, when it is one.
pub(crate) fn rv(e: &cryptoki::error::Error) -> Option<cryptoki::error::RvError> {
    match e {
        cryptoki::error::Error::Pkcs11(rv, _) => Some(*rv),
        _ => None,
    }
}

use hpki_text::{Localized, Text};
