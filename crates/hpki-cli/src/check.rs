//! `hpki check`: the qualification check (資格確認) with the card, playing the phone's part (the
//! reference for a smartphone app that reads the 医師資格証 over NFC): reads the card's
//! authentication certificate through PKCS#11 (SoftHSM2 here; a contactless reader with
//! OpenSC's module in the field), asks the server for a challenge, has the card sign it with
//! the PIN (without a PIN, only the certificate is checked and the card's presence is not
//! proven), and prints the server's signed answer: the verdict in words, the basic information
//! and the profile the doctor discloses to the public, and the URL of the page that shows it.

use std::process::ExitCode;

use anyhow::Result;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hpki_disclosure::Item;
use hpki_token::KeyUse;
use serde_json::{Value, json};

use crate::card::{CardToServer, card_pin};
use crate::failure::fail;
use crate::https::{Https, split_url};

/// The arguments.
#[derive(clap::Args)]
pub(crate) struct CheckArgs {
    #[command(flatten)]
    card: CardToServer,
    /// The server (https://127.0.0.1:8443 in the demo).
    #[arg(long)]
    url: String,
    /// Check the certificate only: no PIN, the card does not sign (its presence is not proven).
    #[arg(long)]
    no_pin: bool,
    /// Print the server's JSON answer instead of the words.
    #[arg(long)]
    json: bool,
}

fn post(https: &Https, path: &str, body: &Value) -> Result<Value> {
    let a = https.request(
        "POST",
        path,
        &[("Accept", "application/json")],
        Some(("application/json", &body.to_string())),
    )?;
    let v: Value = serde_json::from_str(&a.body).map_err(|_| {
        fail(
            format!("サーバーの応答を読めません（HTTP {}）", a.status),
            format!("cannot read the server's answer (HTTP {})", a.status),
        )
    })?;
    if a.status != 200 {
        return Err(fail(
            format!(
                "資格確認できませんでした（HTTP {}）：{}",
                a.status,
                v["message"]["ja"].as_str().unwrap_or_default()
            ),
            format!(
                "the check failed (HTTP {}): {}",
                a.status,
                v["message"]["en"].as_str().unwrap_or_default()
            ),
        ));
    }
    Ok(v)
}

/// Runs the check; exit 0 when the card is a valid doctor's, 1 otherwise.
pub(crate) async fn run(args: CheckArgs) -> Result<ExitCode> {
    let card = args.card.open()?;
    let pin = if args.no_pin {
        None
    } else {
        Some(card_pin(false)?)
    };
    let ca = std::fs::read(&args.card.ca_cert)?;
    let answer = tokio::task::spawn_blocking(move || -> Result<Value> {
        let certificate = card.certificate(KeyUse::Authentication)?.ok_or_else(|| {
            fail(
                "カードに認証用の証明書がありません",
                "the card holds no authentication certificate",
            )
        })?;
        let (_, _, _, base) = split_url(&args.url)?;
        let base = base.trim_end_matches('/').to_owned();
        let https = Https::new(&args.url, &ca, None)?;
        let mut body = json!({"certificate": STANDARD.encode(&certificate)});
        if let Some(pin) = &pin {
            let challenge = post(
                &https,
                &format!("{base}/api/v1/qualification/challenge"),
                &json!({}),
            )?;
            let (Some(nonce), Some(to_sign)) =
                (challenge["nonce"].as_str(), challenge["sign"].as_str())
            else {
                return Err(fail(
                    "サーバーがチャレンジを返しませんでした",
                    "the server gave no challenge",
                ));
            };
            let signature = card.sign(KeyUse::Authentication, pin, to_sign.as_bytes())?;
            body["nonce"] = json!(nonce);
            body["signature"] = json!(STANDARD.encode(signature));
        }
        post(
            &https,
            &format!("{base}/api/v1/qualification/verify"),
            &body,
        )
    })
    .await??;
    let r = &answer["result"];
    if args.json {
        println!("{answer:#}");
    } else {
        print_result(r, answer["show"].as_str().unwrap_or_default());
    }
    Ok(if r["result"] == "valid" {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn print_result(r: &Value, show: &str) {
    let valid = r["result"] == "valid";
    let mark = if valid { "✔" } else { "✖" };
    println!(
        "{mark} {} / {}",
        r["message"]["ja"].as_str().unwrap_or_default(),
        r["message"]["en"].as_str().unwrap_or_default()
    );
    if let Some(role) = r["hc_role"].as_str() {
        println!(
            "資格 / qualification: {}{}",
            r["hc_role_ja"]
                .as_str()
                .map(|ja| format!("{ja} / "))
                .unwrap_or_default(),
            role
        );
    }
    if valid {
        println!(
            "{}",
            if r["card_present"] == true {
                "カードの提示を確認しました（カードの署名を検証） / the card itself was presented"
            } else {
                "カードの提示は確認していません（証明書のみ） / the card's presence was not proven (certificate only)"
            }
        );
        for part in ["basic", "profile"] {
            let Some(items) = r[part].as_object() else {
                continue;
            };
            for item in Item::ALL {
                if *item == Item::Photo {
                    continue;
                }
                if let Some(v) = items.get(item.key()).and_then(Value::as_str) {
                    let label = item.label();
                    println!("  {} / {}: {v}", label.ja, label.en);
                }
            }
        }
    }
    if !show.is_empty() {
        println!("{show}");
    }
}
