//! `hpki oidc`: the OpenID Connect provider's relying parties (regional networks, the portal,
//! the cloud signing service), registered by the administrator.

use std::sync::Arc;

use anyhow::Result;
use clap::Subcommand;
use hpki_login::client::{ClientKind, SubjectType};
use hpki_provider::Provider;
use hpki_provider::clients::NewClient;

use crate::{Common, open};

#[derive(Subcommand)]
pub(crate) enum OidcCommand {
    /// Relying parties (連携先).
    #[command(subcommand)]
    Client(ClientCommand),
    /// The ID-token signing keys: list, rotate, retire.
    #[command(subcommand)]
    Key(KeyCommand),
}

#[derive(Subcommand)]
pub(crate) enum KeyCommand {
    /// Every ID-token key with its kid; the newest signs, all are in the JWKS.
    List {
        #[command(flatten)]
        common: Common,
    },
    /// Add the next key (needs the operator passphrase); it signs once the server restarts,
    /// the old one stays in the JWKS.
    Rotate {
        #[command(flatten)]
        common: Common,
    },
    /// Withdraw an old key from the JWKS (after a rotation, once the tokens it signed have
    /// expired: 10 minutes after the restart).
    Retire {
        #[command(flatten)]
        common: Common,
        /// The key's kid.
        #[arg(long)]
        kid: String,
    },
}

#[derive(Subcommand)]
pub(crate) enum ClientCommand {
    /// Register a relying party; a confidential client's secret is printed once.
    Add {
        #[command(flatten)]
        common: Common,
        /// client_id (letters, digits, - _ .).
        #[arg(long)]
        id: String,
        /// The name shown to the doctor on the consent screen, e.g. まめネット.
        #[arg(long)]
        name: String,
        /// A redirect URI (https, or http on the loopback); repeat for more.
        #[arg(long = "redirect-uri", required = true)]
        redirect_uris: Vec<String>,
        /// A post-logout redirect URI; repeat for more.
        #[arg(long = "post-logout-redirect-uri")]
        post_logout_redirect_uris: Vec<String>,
        /// A public client (a browser or phone app): no secret, PKCE S256 required.
        #[arg(long)]
        public: bool,
        /// Give this client the subscriber ID as `sub` instead of a pairwise identifier.
        #[arg(long)]
        public_subject: bool,
    },
    /// Every relying party.
    List {
        #[command(flatten)]
        common: Common,
    },
    /// Disable a relying party (its users are refused at the authorization endpoint, its
    /// tokens at UserInfo); --enable turns it on again.
    Disable {
        #[command(flatten)]
        common: Common,
        /// client_id.
        #[arg(long)]
        id: String,
        /// Enable instead.
        #[arg(long)]
        enable: bool,
    },
}

pub(crate) async fn run(cmd: OidcCommand) -> Result<()> {
    let cmd = match cmd {
        OidcCommand::Client(c) => c,
        OidcCommand::Key(k) => return key(k).await,
    };
    match cmd {
        ClientCommand::Add {
            common,
            id,
            name,
            redirect_uris,
            post_logout_redirect_uris,
            public,
            public_subject,
        } => {
            let provider = Provider::new(Arc::new(open(&common, false).await?));
            let new = NewClient {
                client_id: id,
                name,
                redirect_uris,
                post_logout_redirect_uris,
                kind: if public {
                    ClientKind::Public
                } else {
                    ClientKind::Confidential
                },
                subject_type: if public_subject {
                    SubjectType::Public
                } else {
                    SubjectType::Pairwise
                },
            };
            let (client, secret) = provider.add_client(&new).await?;
            println!(
                "client {} registered / 連携先 {} を登録しました",
                client.client_id, client.client_id
            );
            if let Some(secret) = secret {
                println!("client_secret: {secret}");
                println!(
                    "(shown once; only its hash is kept / この一度だけ表示します。保存されるのはハッシュのみです)"
                );
            }
        }
        ClientCommand::List { common } => {
            let provider = Provider::new(Arc::new(open(&common, false).await?));
            for c in provider.clients().await? {
                println!(
                    "{:<24} {:<12} {:<8} {:<9} {} {}",
                    c.client_id,
                    c.kind.as_str(),
                    c.subject_type.as_str(),
                    if c.disabled { "disabled" } else { "enabled" },
                    c.name,
                    c.redirect_uris.join(" ")
                );
            }
        }
        ClientCommand::Disable { common, id, enable } => {
            let provider = Provider::new(Arc::new(open(&common, false).await?));
            provider.set_client_disabled(&id, !enable).await?;
            if enable {
                println!("client {id} enabled / 連携先 {id} を有効にしました");
            } else {
                println!("client {id} disabled / 連携先 {id} を無効にしました");
            }
        }
    }
    Ok(())
}

async fn key(cmd: KeyCommand) -> Result<()> {
    match cmd {
        KeyCommand::List { common } => {
            let provider = Provider::new(Arc::new(open(&common, true).await?));
            for k in provider.key_list().await? {
                let role = if k.signing {
                    "signing / 署名に使用"
                } else {
                    "published / 公開のみ"
                };
                println!("{:>3} {} {role}", k.generation, k.kid);
            }
        }
        KeyCommand::Rotate { common } => {
            let provider = Provider::new(Arc::new(open(&common, true).await?));
            let k = provider.rotate_key().await?;
            println!(
                "key {} (generation {}) created; it signs after the server restarts / 新しい鍵を作成しました（サーバーの再起動後に署名に使います）",
                k.kid, k.generation
            );
        }
        KeyCommand::Retire { common, kid } => {
            let provider = Provider::new(Arc::new(open(&common, true).await?));
            provider.retire_key(&kid).await?;
            println!("key {kid} retired / 鍵 {kid} を廃止しました");
        }
    }
    Ok(())
}
