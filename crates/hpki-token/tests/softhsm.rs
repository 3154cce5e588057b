//! The card and HSM layers against a real PKCS#11 module: SoftHSM2 (Debian `softhsm2`, which
//! `scripts/test.sh` installs). A missing module is a failure, never a skip.

use std::path::Path;
use std::sync::{Arc, OnceLock};

use der::Encode;
use hpki_keys::{Signer, verify_signature};
use hpki_token::{Card, HsmToken, KeyUse, Module, Pkcs11Card, SOFTHSM2_MODULE, TokenError};

/// One SoftHSM2 token directory for this test binary: the module reads `SOFTHSM2_CONF` once,
/// at `C_Initialize`. Every test uses its own token label.
fn module() -> Arc<Module> {
    static HSM: OnceLock<hpki_testkit::SoftHsm> = OnceLock::new();
    HSM.get_or_init(|| {
        let hsm = hpki_testkit::SoftHsm::new();
        // SAFETY of the environment change: set once, before the module is loaded, while no
        // other thread of this binary reads SOFTHSM2_CONF.
        #[allow(unsafe_code)]
        unsafe {
            std::env::set_var("SOFTHSM2_CONF", &hsm.conf)
        };
        hsm
    });
    Module::open(Path::new(SOFTHSM2_MODULE)).expect("load SoftHSM2")
}

const CODE: &str = "987654321098";

#[test]
fn a_card_counts_wrong_pins_down_blocks_and_is_unblocked_with_the_ra_code() {
    let m = module();
    let card = Pkcs11Card::initialize(&m, None, "JMAC61100001", CODE, "1234", 3).unwrap();
    assert_eq!(card.card_id(), "JMAC61100001");
    let status = card.pin_status().unwrap();
    assert_eq!((status.max_tries, status.remaining), (3, 3));

    // The key pair is generated on the card; the proof of possession verifies.
    let pending = card.generate_key(KeyUse::Signing, "1234").unwrap();
    let sig = card.sign_pending(&pending, "1234", b"tbs").unwrap();
    verify_signature(
        &pending.public_key.to_der().unwrap(),
        hpki_keys::SignatureAlgorithm::RsaPkcs1Sha256,
        b"tbs",
        &sig,
    )
    .unwrap();

    // Wrong PINs count down; a right one restores the count.
    assert!(matches!(
        card.sign_pending(&pending, "0000", b"x"),
        Err(TokenError::WrongPin { remaining: 2 })
    ));
    card.sign_pending(&pending, "1234", b"x").unwrap();
    assert_eq!(card.pin_status().unwrap().remaining, 3);
    assert!(matches!(
        card.sign_pending(&pending, "0000", b"x"),
        Err(TokenError::WrongPin { remaining: 2 })
    ));
    assert!(matches!(
        card.sign_pending(&pending, "0000", b"x"),
        Err(TokenError::WrongPin { remaining: 1 })
    ));
    assert!(matches!(
        card.sign_pending(&pending, "0000", b"x"),
        Err(TokenError::PinBlocked)
    ));
    // Blocked: even the right PIN is refused, and does not reach the token.
    assert!(card.pin_status().unwrap().blocked());
    assert!(matches!(
        card.sign_pending(&pending, "1234", b"x"),
        Err(TokenError::PinBlocked)
    ));
    assert!(matches!(
        card.change_pin("1234", "5678"),
        Err(TokenError::PinBlocked)
    ));

    // Only the RA's code unblocks.
    assert!(matches!(
        card.unblock("000000000000", "5678"),
        Err(TokenError::WrongUnblockCode)
    ));
    assert!(card.pin_status().unwrap().blocked());
    card.unblock(CODE, "5678").unwrap();
    assert_eq!(card.pin_status().unwrap().remaining, 3);
    assert!(matches!(
        card.sign_pending(&pending, "1234", b"x"),
        Err(TokenError::WrongPin { .. })
    ));
    card.sign_pending(&pending, "5678", b"x").unwrap();

    // The holder changes the PIN; the old one stops working.
    card.change_pin("5678", "2468").unwrap();
    card.sign_pending(&pending, "2468", b"x").unwrap();
    assert!(matches!(
        card.change_pin("5678", "1111"),
        Err(TokenError::WrongPin { .. })
    ));
    // A PIN that is not four digits never reaches the card and costs no try.
    let before = card.pin_status().unwrap().remaining;
    assert!(matches!(
        card.sign_pending(&pending, "12345", b"x"),
        Err(TokenError::BadPinFormat)
    ));
    assert_eq!(card.pin_status().unwrap().remaining, before);
}

#[test]
fn a_card_id_is_never_given_twice_and_cards_open_by_it() {
    let m = module();
    Pkcs11Card::initialize(&m, None, "JMAC61100002", CODE, "1234", 15).unwrap();
    assert!(matches!(
        Pkcs11Card::initialize(&m, None, "JMAC61100002", CODE, "1234", 15),
        Err(TokenError::LabelInUse(_))
    ));
    let card = Pkcs11Card::open(&m, "JMAC61100002").unwrap();
    assert_eq!(card.pin_status().unwrap().remaining, 15);
    assert!(card.certificate(KeyUse::Signing).unwrap().is_none());
    assert!(matches!(
        card.sign(KeyUse::Signing, "1234", b"x"),
        Err(TokenError::NoCertificate(_))
    ));
    assert!(matches!(
        Pkcs11Card::open(&m, "JMAC00000000"),
        Err(TokenError::TokenNotFound(_))
    ));
    assert!(matches!(
        Pkcs11Card::initialize(&m, None, "JMAC61100003", CODE, "12", 15),
        Err(TokenError::BadPinFormat)
    ));
}

#[test]
fn hsm_keys_sign_stay_inside_and_need_the_pin() {
    let m = module();
    HsmToken::initialize_token(&m, None, "hpki-ca-test", "so-secret", "operator-pin").unwrap();
    assert!(matches!(
        HsmToken::login(&m, "hpki-ca-test", "wrong-pin"),
        Err(TokenError::HsmPinRefused(_))
    ));
    let token = HsmToken::login(&m, "hpki-ca-test", "operator-pin").unwrap();
    let signer = token.generate_rsa("hpki-sign", 2048).unwrap();
    assert!(matches!(
        token.generate_rsa("hpki-sign", 2048),
        Err(TokenError::HsmKeyExists(_))
    ));
    assert!(token.key_is_protected("hpki-sign").unwrap());
    let spki = signer.public_key().to_der().unwrap();
    // Several threads sign at once (the OCSP responder does).
    std::thread::scope(|scope| {
        for i in 0..4 {
            let signer = &signer;
            let spki = &spki;
            scope.spawn(move || {
                let msg = format!("message {i}");
                let sig = signer.sign(msg.as_bytes()).unwrap();
                verify_signature(spki, signer.algorithm(), msg.as_bytes(), &sig).unwrap();
            });
        }
    });
    // While logged in, another PIN does not ride on the login.
    assert!(matches!(
        HsmToken::login(&m, "hpki-ca-test", "wrong-pin"),
        Err(TokenError::HsmPinRefused(_))
    ));
    let again = HsmToken::login(&m, "hpki-ca-test", "operator-pin").unwrap();
    assert_eq!(
        again.signer("hpki-sign").unwrap().public_key(),
        signer.public_key()
    );
    drop((token, again, signer));

    // The PIN moves (the key ceremony's step); the old one stops working.
    HsmToken::change_pin(&m, "hpki-ca-test", "operator-pin", "custodians-secret").unwrap();
    assert!(matches!(
        HsmToken::login(&m, "hpki-ca-test", "operator-pin"),
        Err(TokenError::HsmPinRefused(_))
    ));
    let token = HsmToken::login(&m, "hpki-ca-test", "custodians-secret").unwrap();
    let sig = token.signer("hpki-sign").unwrap().sign(b"x").unwrap();
    verify_signature(
        &spki,
        hpki_keys::SignatureAlgorithm::RsaPkcs1Sha256,
        b"x",
        &sig,
    )
    .unwrap();
    assert!(matches!(
        token.signer("hpki-root"),
        Err(TokenError::NoHsmKey(_))
    ));
}
