//! The qualification check (資格確認), the pure core: "is the person holding this 医師資格証 a
//! doctor?" answered from the card's authentication certificate, optionally with the card's
//! signature over a server nonce (proving the card is present, not only a copy of its public
//! certificate), or from a short-lived QR code the doctor's portal shows.
//!
//! What the card signs is [`signed_message`]: the ASCII bytes `hpki-qualification-check:`
//! followed by the nonce, with the authentication key (RSASSA-PKCS1-v1_5 with SHA-256, as
//! cards sign; ECDSA with SHA-256 for EC keys). The prefix keeps a signature made for the check
//! from being anything else (a TLS handshake signs other bytes).

use der::Decode;
use der::asn1::BitString;
use hpki_text::{Localized, Text};
use hpki_verify::PathError;
use spki::AlgorithmIdentifierOwned;
use x509_cert::Certificate;

use crate::card::Refusal;

/// What a card signs for the check, before the nonce.
pub const SIGNED_PREFIX: &str = "hpki-qualification-check:";

/// The hcRole of a doctor (ISO 17090-3 as HPKI writes it).
pub const DOCTOR_ROLE: &str = "Medical Doctor";

/// The bytes the card signs for `nonce`.
pub fn signed_message(nonce: &str) -> Vec<u8> {
    format!("{SIGNED_PREFIX}{nonce}").into_bytes()
}

/// The check's answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// A doctor whose certificate is valid now.
    Valid,
    /// The certificate is revoked (the card reported lost, the qualification lost …).
    Revoked,
    /// The certificate has expired.
    Expired,
    /// A valid HPKI certificate, but not a doctor's (a nurse, a pharmacist …).
    NotADoctor,
    /// Not a certificate of this HPKI (another root, the signing certificate, unreadable).
    NotTrusted,
    /// Its status cannot be known now.
    StatusUnknown,
    /// The signature over the nonce is not the card's.
    BadSignature,
    /// The nonce was used before.
    Replayed,
    /// The nonce or the QR code is past its lifetime.
    TooOld,
    /// The nonce was never handed out, or the QR code is not one of this service's.
    Forged,
    /// A valid certificate of a doctor this register does not hold.
    NotRegistered,
}

impl Outcome {
    /// The wire name (`valid`, `revoked`, `expired`, `not_a_doctor` …).
    pub fn code(self) -> &'static str {
        match self {
            Outcome::Valid => "valid",
            Outcome::Revoked => "revoked",
            Outcome::Expired => "expired",
            Outcome::NotADoctor => "not_a_doctor",
            Outcome::NotTrusted => "not_trusted",
            Outcome::StatusUnknown => "status_unknown",
            Outcome::BadSignature => "bad_signature",
            Outcome::Replayed => "replayed",
            Outcome::TooOld => "too_old",
            Outcome::Forged => "forged",
            Outcome::NotRegistered => "not_registered",
        }
    }

    /// The outcome of a [`Outcome::code`].
    pub fn parse(code: &str) -> Option<Outcome> {
        [
            Outcome::Valid,
            Outcome::Revoked,
            Outcome::Expired,
            Outcome::NotADoctor,
            Outcome::NotTrusted,
            Outcome::StatusUnknown,
            Outcome::BadSignature,
            Outcome::Replayed,
            Outcome::TooOld,
            Outcome::Forged,
            Outcome::NotRegistered,
        ]
        .into_iter()
        .find(|o| o.code() == code)
    }

    /// The outcome of a card check that [`crate::card::check`] refused.
    pub fn of_refusal(r: &Refusal) -> Outcome {
        match r {
            Refusal::Revocation(PathError::Revoked { .. }) => Outcome::Revoked,
            Refusal::Revocation(_) => Outcome::StatusUnknown,
            Refusal::Path(PathError::Expired { .. }) => Outcome::Expired,
            Refusal::NoHcRole => Outcome::NotADoctor,
            _ => Outcome::NotTrusted,
        }
    }
}

/// What the verifier's screen says, in large type.
impl Localized for Outcome {
    fn text(&self) -> Text {
        match self {
            Outcome::Valid => Text::new(
                "医師です（資格確認済み）",
                "A doctor (qualification confirmed)",
            ),
            Outcome::Revoked => Text::new(
                "この医師資格証は失効しています",
                "This card has been revoked",
            ),
            Outcome::Expired => {
                Text::new("この医師資格証は有効期限切れです", "This card has expired")
            }
            Outcome::NotADoctor => {
                Text::new("医師の資格ではありません", "Not a doctor's qualification")
            }
            Outcome::NotTrusted => Text::new(
                "日本医師会認証局の医師資格証ではありません",
                "Not a card of the JMA certification authority",
            ),
            Outcome::StatusUnknown => Text::new(
                "失効情報を確認できません。しばらくしてからやり直してください",
                "The revocation status cannot be checked now; try again later",
            ),
            Outcome::BadSignature => Text::new(
                "カードの署名が一致しません（別のカードまたは偽造）",
                "The card's signature does not match (another card, or forged)",
            ),
            Outcome::Replayed => Text::new(
                "この確認コードは使用済みです（再利用は認められません）",
                "This check code was used before (it cannot be reused)",
            ),
            Outcome::TooOld => Text::new(
                "確認コードの有効期限が切れています。新しいコードでやり直してください",
                "The check code has expired; start again with a new one",
            ),
            Outcome::Forged => Text::new(
                "この確認コードは当サービスが発行したものではありません",
                "This check code was not issued by this service",
            ),
            Outcome::NotRegistered => Text::new(
                "登録簿にない利用者です",
                "This holder is not in the register",
            ),
        }
    }
}

/// Whether `signature` over [`signed_message`]`(nonce)` was made with the key of certificate
/// `leaf_der`.
pub fn card_signed(leaf_der: &[u8], nonce: &str, signature: &[u8]) -> bool {
    let Ok(leaf) = Certificate::from_der(leaf_der) else {
        return false;
    };
    let spki = leaf.tbs_certificate().subject_public_key_info();
    let algorithm = if spki.algorithm.oid == const_oid::db::rfc5912::ID_EC_PUBLIC_KEY {
        const_oid::db::rfc5912::ECDSA_WITH_SHA_256
    } else {
        const_oid::db::rfc5912::SHA_256_WITH_RSA_ENCRYPTION
    };
    let algorithm = AlgorithmIdentifierOwned {
        oid: algorithm,
        parameters: (algorithm == const_oid::db::rfc5912::SHA_256_WITH_RSA_ENCRYPTION)
            .then_some(der::Any::null()),
    };
    let Ok(signature) = BitString::from_bytes(signature) else {
        return false;
    };
    hpki_verify::signature::verify(spki, &algorithm, &signed_message(nonce), &signature).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for o in [
            Outcome::Valid,
            Outcome::Revoked,
            Outcome::NotADoctor,
            Outcome::Forged,
            Outcome::NotRegistered,
        ] {
            assert_eq!(Outcome::parse(o.code()), Some(o));
        }
        assert_eq!(Outcome::parse("ok"), None);
    }

    #[test]
    fn the_message_has_the_prefix() {
        assert_eq!(signed_message("abc"), b"hpki-qualification-check:abc");
    }

    #[test]
    fn garbage_is_not_signed() {
        assert!(!card_signed(b"not a certificate", "n", b"sig"));
    }
}
