//! `hpki card …`: the 医師資格証 on PKCS#11 (personalisation, renewal, loss, reissue, PIN,
//! card face).
//!
//! PINs come from `HPKI_CARD_PIN` (and `HPKI_CARD_NEW_PIN` for a new one) or are asked on the
//! terminal; the RA's unblocking code never leaves the register (it is opened with the operator
//! passphrase only when a card is unblocked).

use crate::failure::{Context as _, fail, on_one_line};
use hpki_text::Text;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Result;
use clap::{Args, Subcommand, ValueEnum};
use der::Decode;
use hpki_ca::cards::CardHolder;
use hpki_ca::crl::parse_reason;
use hpki_store::CardStatus;
use hpki_token::{Card, KeyUse, Module, Pkcs11BlankCard, Pkcs11Card, SOFTHSM2_MODULE};
use zeroize::Zeroizing;

use crate::{Common, open, read, spinner, write};

/// Where the card is: the PKCS#11 module of the card reader middleware.
#[derive(Args, Clone)]
pub(crate) struct Reader {
    /// PKCS#11 module (OpenSC's opensc-pkcs11.so for real cards; default: [cards]
    /// pkcs11_module of hpki.toml, or SoftHSM2).
    #[arg(long, env = "HPKI_PKCS11_MODULE")]
    module: Option<PathBuf>,
}

/// A card in a reader that talks to a server over HTTPS (card login, the qualification check).
#[derive(clap::Args)]
pub(crate) struct CardToServer {
    #[command(flatten)]
    reader: Reader,
    /// The card ID (the token label).
    #[arg(long)]
    card_id: String,
    /// The CA certificate(s) the server's certificate chains to (PEM).
    #[arg(long)]
    pub(crate) ca_cert: PathBuf,
}

impl CardToServer {
    /// The card, opened through the reader's PKCS#11 module.
    pub(crate) fn open(&self) -> Result<Arc<dyn Card>> {
        Ok(Arc::new(Pkcs11Card::open(
            &self.reader.module(None)?,
            &self.card_id,
        )?))
    }
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum Key {
    /// The signing key (署名用).
    Sign,
    /// The authentication key (認証用).
    Auth,
}

impl From<Key> for KeyUse {
    fn from(k: Key) -> Self {
        match k {
            Key::Sign => KeyUse::Signing,
            Key::Auth => KeyUse::Authentication,
        }
    }
}

#[derive(Subcommand)]
pub(crate) enum CardCommand {
    /// Personalise a blank card for a doctor (発行): keys generated on the card, both
    /// certificates issued and written. Initial PIN from HPKI_CARD_PIN or asked.
    Personalize {
        #[command(flatten)]
        common: Common,
        #[command(flatten)]
        reader: Reader,
        /// Holder record JSON: the subject fields of `hpki ca issue` plus birth_date
        /// (YYYY-MM-DD), member_id (10 digits, members) and license_number (医籍登録番号).
        #[arg(long)]
        holder: PathBuf,
        /// The holder's photo for the card face (JPEG or PNG).
        #[arg(long)]
        photo: Option<PathBuf>,
        /// Slot of the blank card (default: the first uninitialised token).
        #[arg(long)]
        slot: Option<u64>,
    },
    /// Renew the certificates by re-keying the same card (更新). PIN from HPKI_CARD_PIN.
    Renew {
        #[command(flatten)]
        common: Common,
        #[command(flatten)]
        reader: Reader,
        #[arg(long)]
        card_id: String,
    },
    /// Sign in with the card (HPKIログイン): the card's authentication key signs the TLS 1.2
    /// handshake. With the card login page (…/login/card) prints the server's welcome or
    /// refusal; with an OpenID authorization request (…/oidc/authorize?…) follows it (agreeing
    /// on the consent screen with --consent) and prints the redirect back to the relying
    /// party, for scripts. PIN from HPKI_CARD_PIN or asked.
    Login {
        #[command(flatten)]
        card: CardToServer,
        /// The card login page (https://127.0.0.1:8443/login/card) or an authorization URL.
        #[arg(long)]
        url: String,
        /// Agree on the consent screen of an authorization request.
        #[arg(long)]
        consent: bool,
    },
    /// Report a card lost (紛失): its certificates are revoked (keyCompromise) at once; needs
    /// the operator passphrase.
    Lost {
        #[command(flatten)]
        common: Common,
        #[arg(long)]
        card_id: String,
    },
    /// Revoke a card's certificates for another reason, e.g. privilegeWithdrawn when the
    /// qualification is lost (資格喪失); needs the operator passphrase.
    Revoke {
        #[command(flatten)]
        common: Common,
        #[arg(long)]
        card_id: String,
        /// RFC 5280 reason (privilegeWithdrawn, affiliationChanged, cessationOfOperation, …).
        #[arg(long)]
        reason: String,
    },
    /// Reissue after loss (再発行): the lost card's certificates are revoked first, then a new
    /// blank card is personalised for the same holder. New card's PIN from HPKI_CARD_PIN.
    Reissue {
        #[command(flatten)]
        common: Common,
        #[command(flatten)]
        reader: Reader,
        /// The card that was lost.
        #[arg(long)]
        lost_card_id: String,
        /// Slot of the new blank card.
        #[arg(long)]
        slot: Option<u64>,
    },
    /// Unblock a card with the RA's unblocking code and set a new PIN (ロック解除).
    /// New PIN from HPKI_CARD_NEW_PIN or asked.
    Unblock {
        #[command(flatten)]
        common: Common,
        #[command(flatten)]
        reader: Reader,
        #[arg(long)]
        card_id: String,
    },
    /// The card register (発行済みカード一覧).
    List {
        #[command(flatten)]
        common: Common,
    },
    /// Draw the card face (券面): front.png, back.png (300 dpi) and card.pdf (two pages, with
    /// a text layer). Japanese font: HPKI_CJK_FONT, or IPAex Gothic (Debian
    /// fonts-ipaexfont-gothic) or Noto Sans CJK JP.
    Face {
        #[command(flatten)]
        common: Common,
        #[arg(long)]
        card_id: String,
        /// Output directory (created if missing).
        #[arg(long)]
        out_dir: PathBuf,
    },
    /// What a card holds, read without the PIN: card ID, certificates, PIN tries left.
    /// Without --card-id, every token the module sees.
    Info {
        #[command(flatten)]
        reader: Reader,
        #[arg(long)]
        card_id: Option<String>,
    },
    /// Change the PIN (暗証番号の変更): HPKI_CARD_PIN (old) and HPKI_CARD_NEW_PIN, or asked.
    ChangePin {
        #[command(flatten)]
        reader: Reader,
        #[arg(long)]
        card_id: String,
    },
    /// Sign a random challenge with the card and verify it against the certificate on the
    /// card (動作確認). PIN from HPKI_CARD_PIN or asked.
    SignTest {
        #[command(flatten)]
        reader: Reader,
        #[arg(long)]
        card_id: String,
        #[arg(long, value_enum, default_value = "sign")]
        key: Key,
    },
}

impl Reader {
    /// The module: `--module`, else the configuration of `engine` when there is one, else
    /// SoftHSM2.
    pub(crate) fn module(&self, engine: Option<&hpki_ca::Engine>) -> Result<Arc<Module>> {
        let path = self
            .module
            .clone()
            .or_else(|| engine.map(|e| PathBuf::from(&e.config.cards.pkcs11_module)))
            .unwrap_or_else(|| PathBuf::from(SOFTHSM2_MODULE));
        Ok(Module::open(&path)?)
    }
}

/// A card PIN from `var` or the terminal (twice when `confirm`); four digits.
fn pin(var: &str, prompt: &str, confirm: bool) -> Result<Zeroizing<String>> {
    let p = match std::env::var(var) {
        Ok(p) => Zeroizing::new(p),
        Err(_) => {
            let ask = |prompt: &str| {
                rpassword::prompt_password(prompt)
                    .map(Zeroizing::new)
                    .context_text(|| {
                        Text::new(
                            "暗証番号がありません",
                            format!("no PIN: set {var} or run on a terminal"),
                        )
                    })
            };
            let p = ask(prompt)?;
            if confirm && *ask("again / もう一度: ")? != *p {
                return Err(fail("暗証番号が一致しません", "the PINs differ"));
            }
            p
        }
    };
    hpki_token::check_pin(&p)?;
    Ok(p)
}

pub(crate) fn card_pin(confirm: bool) -> Result<Zeroizing<String>> {
    pin(
        "HPKI_CARD_PIN",
        "card PIN (4 digits) / 暗証番号（数字4桁）: ",
        confirm,
    )
}

fn new_pin() -> Result<Zeroizing<String>> {
    pin(
        "HPKI_CARD_NEW_PIN",
        "new PIN (4 digits) / 新しい暗証番号（数字4桁）: ",
        true,
    )
}

/// The last day (in Japan) of a card expiring at `expires_at`: the date on its face.
fn last_day(expires_at: i64) -> String {
    hpki_ca::cards::last_valid_day(expires_at).to_string()
}

fn print_issued(issued: &hpki_ca::cards::CardIssued) {
    println!(
        "card {} issued / カード {} を発行しました",
        issued.card_id, issued.card_id
    );
    println!(
        "  signing certificate / 署名用証明書:        {}",
        issued.sign.serial_hex
    );
    println!(
        "  authentication certificate / 認証用証明書: {}",
        issued.auth.serial_hex
    );
    println!(
        "  card valid through / カード有効期限: {}",
        last_day(issued.expires_at)
    );
}

pub(crate) async fn run(cmd: CardCommand) -> Result<()> {
    match cmd {
        CardCommand::Personalize {
            common,
            reader,
            holder,
            photo,
            slot,
        } => {
            let holder_json = String::from_utf8(read(&holder)?).context_text(|| {
                Text::new(
                    format!("{} は UTF-8 のテキストではありません", holder.display()),
                    format!("{} is not UTF-8 text", holder.display()),
                )
            })?;
            let holder = CardHolder::from_json(&holder_json)?;
            let photo = photo.as_deref().map(read).transpose()?;
            let pin = card_pin(true)?;
            let engine = open(&common, true).await?;
            let blank = Pkcs11BlankCard {
                module: reader.module(Some(&engine))?,
                slot,
            };
            let pb = spinner(
                "personalising: keys on the card, certificates, writing / 発行中（鍵生成・証明書発行・書き込み）",
            );
            let issued = engine
                .personalize_card(&blank, &holder, photo, &pin, None)
                .await;
            pb.finish_and_clear();
            print_issued(&issued?);
        }
        CardCommand::Renew {
            common,
            reader,
            card_id,
        } => {
            let pin = card_pin(false)?;
            let engine = open(&common, true).await?;
            let m = reader.module(Some(&engine))?;
            let card = Pkcs11Card::open(&m, &card_id)?;
            let pb = spinner("re-keying the card / カードの鍵を更新中");
            let issued = engine.renew_card(&card, &pin).await;
            pb.finish_and_clear();
            let issued = issued?;
            println!("renewed / 更新しました");
            print_issued(&issued);
        }
        CardCommand::Login {
            card: to_server,
            url,
            consent,
        } => {
            let card = to_server.open()?;
            let pin = card_pin(false)?;
            let ca = read(&to_server.ca_cert)?;
            if url.contains("/oidc/authorize") {
                let back = tokio::task::spawn_blocking(move || {
                    crate::card_login::authorize(card, pin, &url, &ca, consent)
                })
                .await??;
                println!("{back}");
                return Ok(());
            }
            let answer =
                tokio::task::spawn_blocking(move || crate::card_login::login(card, pin, &url, &ca))
                    .await??;
            println!("{}", answer.message);
            if answer.status != 200 {
                return Err(fail(
                    format!("ログインできませんでした（HTTP {}）", answer.status),
                    format!("not signed in (HTTP {})", answer.status),
                ));
            }
        }
        CardCommand::Lost { common, card_id } => {
            // Revocation is an operator's act: the operator passphrase is required.
            let engine = open(&common, true).await?;
            let r = engine
                .revoke_card(
                    &card_id,
                    x509_cert::ext::pkix::crl::CrlReason::KeyCompromise,
                )
                .await?;
            println!(
                "card {card_id} reported lost, certificates revoked / カード {card_id} を紛失として失効しました: {} {}",
                r.sign_serial.unwrap_or_default(),
                r.auth_serial.unwrap_or_default()
            );
        }
        CardCommand::Revoke {
            common,
            card_id,
            reason,
        } => {
            let reason = parse_reason(&reason)?;
            let engine = open(&common, true).await?;
            engine.revoke_card(&card_id, reason).await?;
            println!("card {card_id} revoked / カード {card_id} を失効しました");
        }
        CardCommand::Reissue {
            common,
            reader,
            lost_card_id,
            slot,
        } => {
            let pin = card_pin(true)?;
            let engine = open(&common, true).await?;
            let blank = Pkcs11BlankCard {
                module: reader.module(Some(&engine))?,
                slot,
            };
            let pb = spinner("revoking the lost card, personalising the new one / 再発行中");
            let issued = engine.reissue_card(&lost_card_id, &blank, &pin).await;
            pb.finish_and_clear();
            let issued = issued?;
            println!("replaces {lost_card_id} / {lost_card_id} の再発行");
            print_issued(&issued);
        }
        CardCommand::Unblock {
            common,
            reader,
            card_id,
        } => {
            let new = new_pin()?;
            let engine = open(&common, true).await?;
            let m = reader.module(Some(&engine))?;
            let card = Pkcs11Card::open(&m, &card_id)?;
            engine.unblock_card(&card, &new).await?;
            println!(
                "card {card_id} unblocked, new PIN set / カード {card_id} のロックを解除しました"
            );
        }
        CardCommand::List { common } => {
            let engine = open(&common, false).await?;
            println!(
                "card ID        status / 状態       subscriber          expires     sign serial / auth serial"
            );
            let now = engine.now_unix() as i64;
            for c in engine.store.cards(None).await? {
                // An active card past its last day is shown as what it is.
                let (status, label) = if c.status == CardStatus::Active && c.expires_at <= now {
                    ("expired", "期限切れ")
                } else {
                    (c.status.as_str(), c.status.label_ja())
                };
                println!(
                    "{:<14} {:<8} {:<10} {:<19} {}  {} / {}",
                    c.card_id,
                    status,
                    label,
                    c.subscriber_id,
                    last_day(c.expires_at),
                    c.sign_serial.as_deref().unwrap_or("-"),
                    c.auth_serial.as_deref().unwrap_or("-"),
                );
                if c.status == CardStatus::Personalizing {
                    println!("  (personalisation not finished / 発行処理が完了していません)");
                }
            }
        }
        CardCommand::Face {
            common,
            card_id,
            out_dir,
        } => {
            let engine = open(&common, false).await?;
            let face = engine.card_face(&engine.card_record(&card_id).await?)?;
            let font = hpki_cardface::find_system_cjk_font().context_text(|| {
                Text::new(
                    "日本語フォントがありません",
                    "no Japanese font: install fonts-ipaexfont-gothic or set HPKI_CJK_FONT",
                )
            })?;
            let fonts = hpki_cardface::Fonts::from_bytes(read(&font)?)?;
            std::fs::create_dir_all(&out_dir).context_text(|| {
                Text::new(
                    format!("{} を作成できません", out_dir.display()),
                    format!("cannot create {}", out_dir.display()),
                )
            })?;
            for (side, name) in [
                (hpki_cardface::Side::Front, "front.png"),
                (hpki_cardface::Side::Back, "back.png"),
            ] {
                let png = hpki_cardface::render_png(&face, side, &fonts, hpki_cardface::PNG_DPI)?;
                write(&out_dir.join(name), &png)?;
            }
            write(
                &out_dir.join("card.pdf"),
                &hpki_cardface::render_pdf(&face, &fonts)?,
            )?;
            println!(
                "card face of {card_id}: {}/front.png, back.png, card.pdf / 券面を出力しました",
                out_dir.display()
            );
        }
        CardCommand::Info { reader, card_id } => {
            let m = reader.module(None)?;
            match card_id {
                None => {
                    for t in m.tokens()? {
                        println!(
                            "slot {:<12} {:<32} {}",
                            t.slot_id,
                            if t.initialized {
                                t.label.as_str()
                            } else {
                                "(blank / 未発行)"
                            },
                            if t.user_pin_locked {
                                "PIN locked / ロック中"
                            } else {
                                ""
                            }
                        );
                    }
                }
                Some(id) => {
                    let card = Pkcs11Card::open(&m, &id)?;
                    let status = card.pin_status()?;
                    println!("card ID / カードID: {}", card.card_id());
                    println!(
                        "PIN: {} of {} tries left{} / 残り {} 回",
                        status.remaining,
                        status.max_tries,
                        if status.blocked() {
                            " — BLOCKED / ロック中"
                        } else {
                            ""
                        },
                        status.remaining
                    );
                    for key in KeyUse::ALL {
                        match card.certificate(key)? {
                            Some(der) => {
                                let c = x509_cert::Certificate::from_der(&der)?;
                                let tbs = c.tbs_certificate();
                                println!(
                                    "{}: {} serial {} until {}",
                                    on_one_line(&key.name()),
                                    tbs.subject(),
                                    hex_serial(tbs.serial_number().as_bytes()),
                                    tbs.validity().not_after
                                );
                            }
                            None => println!("{}: none / なし", on_one_line(&key.name())),
                        }
                    }
                }
            }
        }
        CardCommand::ChangePin { reader, card_id } => {
            let old = card_pin(false)?;
            let new = new_pin()?;
            let m = reader.module(None)?;
            Pkcs11Card::open(&m, &card_id)?.change_pin(&old, &new)?;
            println!("PIN changed / 暗証番号を変更しました");
        }
        CardCommand::SignTest {
            reader,
            card_id,
            key,
        } => {
            let pin = card_pin(false)?;
            let m = reader.module(None)?;
            let card = Pkcs11Card::open(&m, &card_id)?;
            let key = KeyUse::from(key);
            let der = card
                .certificate(key)?
                .ok_or(hpki_token::TokenError::NoCertificate(key))?;
            let cert = x509_cert::Certificate::from_der(&der)?;
            let mut challenge = [0u8; 32];
            hpki_ca::sealed::random(&mut challenge)?;
            let sig = card.sign(key, &pin, &challenge)?;
            let spki = der::Encode::to_der(cert.tbs_certificate().subject_public_key_info())?;
            hpki_keys::verify_signature(
                &spki,
                hpki_keys::SignatureAlgorithm::RsaPkcs1Sha256,
                &challenge,
                &sig,
            )
            .context_text(|| {
                Text::new(
                    "署名を証明書で検証できません",
                    "the card's signature does not verify with its certificate",
                )
            })?;
            println!(
                "signature by card {card_id} ({}) verifies with its certificate / 署名を確認しました",
                on_one_line(&key.name())
            );
        }
    }
    Ok(())
}

fn hex_serial(bytes: &[u8]) -> String {
    hpki_ca::authority::serial_hex(bytes)
}
