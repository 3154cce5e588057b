//! What the provider says about the doctor: the ID token's claims (OpenID Connect Core §2) and
//! the UserInfo response (§5.3), by scope and consent.
//!
//! | scope | claims |
//! |---|---|
//! | `openid` | `sub` (pairwise per sector, §8.1, unless the client is configured public) |
//! | `profile` | `name`, `family_name`, `given_name` (kanji), the same `#ja-Kana-JP` (kana) and `#en` (romaji), §5.2 language tags |
//! | `hpki` | `hc_role` (from the certificate: "Medical Doctor"), `hc_role_ja` (医師), `hpki_subscriber_id` |
//! | `hpki_license` | `hpki_license_number` (医籍登録番号), only with the doctor's consent to it |
//! | `hpki_profile` | `hpki_profile`: an object of the portal items the doctor shows to members (会員向け), by item key (`residence_area`, `age` …; never the photo) |
//!
//! Which items a relying party sees is decided by [`hpki_disclosure::may_see`] for a
//! [`Viewer::RelyingParty`] with the granted scopes, as for every other viewer.
//!
//! Card login is the only way in, so `acr` is always [`ACR_CARD`] and `amr` is `hwk` and `pin`
//! (RFC 8176 §2: a hardware-secured key, unlocked with a PIN): HPKI certificates are issued for
//! keys generated on the card (the CP), which is what the provider relies on.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hpki_disclosure::viewer::SCOPE_PROFILE;
use hpki_disclosure::{Item, Record, Settings, Viewer, view};
use serde_json::{Map, Value, json};
use time::Date;

use crate::client::{Client, SubjectType};

/// `acr` of a card login: the HPKI authentication certificate with its key on the card.
pub const ACR_CARD: &str = "urn:jma:hpki:acr:card";
/// `amr` of a card login (RFC 8176).
pub const AMR_CARD: &[&str] = &["hwk", "pin"];
/// The claims the provider may return (`claims_supported`).
pub const CLAIMS_SUPPORTED: &[&str] = &[
    "sub",
    "iss",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "nonce",
    "acr",
    "amr",
    "name",
    "family_name",
    "given_name",
    "name#ja-Kana-JP",
    "family_name#ja-Kana-JP",
    "given_name#ja-Kana-JP",
    "name#en",
    "family_name#en",
    "given_name#en",
    "hc_role",
    "hc_role_ja",
    "hpki_subscriber_id",
    "hpki_license_number",
    "hpki_profile",
];

/// One name in one script.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PersonName {
    /// Family name.
    pub family: String,
    /// Given name.
    pub given: String,
}

impl PersonName {
    /// "family given" joined as the script writes a full name: kanji and kana with an
    /// ideographic space, romaji given name first.
    fn full(&self, western: bool) -> String {
        match (self.family.is_empty(), self.given.is_empty(), western) {
            (true, _, _) => self.given.clone(),
            (_, true, _) => self.family.clone(),
            (false, false, true) => format!("{} {}", self.given, self.family),
            (false, false, false) => format!("{}　{}", self.family, self.given),
        }
    }
}

/// The doctor as the provider knows them after a card login.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Identity {
    /// Subscriber ID (the register's, for life).
    pub subscriber_id: String,
    /// Name in kanji.
    pub kanji: PersonName,
    /// Name in katakana.
    pub kana: PersonName,
    /// Name in romaji.
    pub romaji: PersonName,
    /// hcRole as stated ("Medical Doctor").
    pub hc_role: String,
    /// hcRole in Japanese (医師), when known.
    pub hc_role_ja: Option<String>,
    /// 医籍登録番号.
    pub license_number: String,
    /// The doctor's portal items (issuance and profile, without the photo).
    #[serde(default)]
    pub record: Record,
    /// The doctor's 情報開示・非開示 settings.
    #[serde(default)]
    pub settings: Settings,
}

/// What the doctor agreed the client may receive.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Grant {
    /// The scopes granted, `openid` first.
    pub scopes: Vec<String>,
}

impl Grant {
    /// Whether `scope` was granted.
    pub fn has(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }
}

/// The `sub` the client sees: OIDC Core §8.1's pairwise identifier, "a hash value of a
/// concatenation of the Sector Identifier, the local account ID, and a salt value that is kept
/// secret by the Provider" (SHA-256, base64url), or the subscriber ID for a public client.
pub fn subject(client: &Client, subscriber_id: &str, salt: &[u8]) -> String {
    match client.subject_type {
        SubjectType::Public => subscriber_id.to_owned(),
        SubjectType::Pairwise => {
            let mut ctx = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
            let sector = client.sector_identifier();
            // Lengths first, so no two (sector, id) pairs concatenate to the same bytes.
            for part in [sector.as_bytes(), subscriber_id.as_bytes()] {
                ctx.update(&(part.len() as u64).to_be_bytes());
                ctx.update(part);
            }
            ctx.update(salt);
            URL_SAFE_NO_PAD.encode(ctx.finish())
        }
    }
}

/// The claims of `identity` the grant allows on `today` (年齢 is reckoned on it), without
/// `sub` (UserInfo §5.3.2 adds it).
pub fn user_claims(identity: &Identity, grant: &Grant, today: Date) -> Map<String, Value> {
    let viewer = Viewer::RelyingParty {
        scopes: grant.scopes.clone(),
    };
    let shown = view(&identity.record, &identity.settings, &viewer, today);
    let value = |item: Item| shown.iter().find(|s| s.item == item).map(|s| &s.value);
    let mut c = Map::new();
    if value(Item::Name).is_some() {
        let mut names = |suffix: &str, n: &PersonName, western: bool| {
            if n.family.is_empty() && n.given.is_empty() {
                return;
            }
            c.insert(format!("name{suffix}"), json!(n.full(western)));
            c.insert(format!("family_name{suffix}"), json!(n.family));
            c.insert(format!("given_name{suffix}"), json!(n.given));
        };
        names("", &identity.kanji, false);
        names("#ja-Kana-JP", &identity.kana, false);
        names("#en", &identity.romaji, true);
    }
    if grant.has("hpki") {
        c.insert("hc_role".into(), json!(identity.hc_role));
        if let Some(ja) = &identity.hc_role_ja {
            c.insert("hc_role_ja".into(), json!(ja));
        }
        c.insert("hpki_subscriber_id".into(), json!(identity.subscriber_id));
    }
    if let Some(license) = value(Item::LicenseNumber)
        && grant.has(hpki_disclosure::viewer::SCOPE_LICENSE)
    {
        c.insert("hpki_license_number".into(), json!(license));
    }
    if grant.has(SCOPE_PROFILE) {
        let profile: Map<String, Value> = shown
            .iter()
            .filter(|s| s.item != Item::Photo)
            .map(|s| (s.item.key().to_owned(), json!(s.value)))
            .collect();
        c.insert("hpki_profile".into(), Value::Object(profile));
    }
    c
}

/// The inputs of one ID token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdTokenInput<'a> {
    /// `iss`.
    pub issuer: &'a str,
    /// `sub`.
    pub sub: &'a str,
    /// `aud` (the client ID).
    pub audience: &'a str,
    /// `iat`, Unix seconds.
    pub issued_at: u64,
    /// Lifetime, seconds.
    pub lifetime: u64,
    /// `auth_time`: when the card was used.
    pub auth_time: u64,
    /// `nonce` of the request.
    pub nonce: Option<&'a str>,
}

/// The ID token's claims (Core §2): the required ones, `auth_time`, `acr`, `amr`, `nonce`, and
/// the user claims the grant allows (Core §5.4: with no access token use, claims may be in the
/// ID token; they are also at UserInfo).
pub fn id_token(input: &IdTokenInput<'_>, identity: &Identity, grant: &Grant) -> Value {
    let today = hpki_clock::jst::date(hpki_clock::from_unix(input.issued_at as i64));
    let mut c = user_claims(identity, grant, today);
    c.insert("iss".into(), json!(input.issuer));
    c.insert("sub".into(), json!(input.sub));
    c.insert("aud".into(), json!(input.audience));
    c.insert("iat".into(), json!(input.issued_at));
    c.insert("exp".into(), json!(input.issued_at + input.lifetime));
    c.insert("auth_time".into(), json!(input.auth_time));
    c.insert("acr".into(), json!(ACR_CARD));
    c.insert("amr".into(), json!(AMR_CARD));
    if let Some(n) = input.nonce {
        c.insert("nonce".into(), json!(n));
    }
    Value::Object(c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::ClientKind;

    fn identity() -> Identity {
        Identity {
            subscriber_id: "JMA9999999999".into(),
            kanji: PersonName {
                family: "日医".into(),
                given: "太郎".into(),
            },
            kana: PersonName {
                family: "ニチイ".into(),
                given: "タロウ".into(),
            },
            romaji: PersonName {
                family: "Nichii".into(),
                given: "Taro".into(),
            },
            hc_role: "Medical Doctor".into(),
            hc_role_ja: Some("医師".into()),
            license_number: "123456".into(),
            record: {
                let mut r = Record::new();
                r.set(Item::Name, "日医　太郎");
                r.set(Item::LicenseNumber, "123456");
                r.set(Item::BirthDate, "1970-04-01");
                r.set(Item::ResidenceArea, "東京都");
                r.set(Item::Email, "taro@example.jp");
                r
            },
            settings: Settings::defaults(),
        }
    }

    fn today() -> Date {
        time::macros::date!(2026 - 12 - 07)
    }

    fn client(id: &str, uri: &str, subject_type: SubjectType) -> Client {
        Client {
            client_id: id.into(),
            name: id.into(),
            redirect_uris: vec![uri.into()],
            post_logout_redirect_uris: vec![],
            kind: ClientKind::Confidential,
            subject_type,
            disabled: false,
        }
    }

    fn grant(scopes: &[&str]) -> Grant {
        Grant {
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn pairwise_subjects_differ_by_sector_and_agree_within_one() {
        let salt = b"secret salt";
        let a1 = client("a1", "https://a.example/cb", SubjectType::Pairwise);
        let a2 = client("a2", "https://a.example/other", SubjectType::Pairwise);
        let b = client("b", "https://b.example/cb", SubjectType::Pairwise);
        let s = |c: &Client| subject(c, "JMA9999999999", salt);
        assert_eq!(s(&a1), s(&a2));
        assert_ne!(s(&a1), s(&b));
        assert_ne!(s(&a1), "JMA9999999999");
        assert_ne!(subject(&a1, "JMA9999999999", b"other salt"), s(&a1));
        let public = client("p", "https://p.example/cb", SubjectType::Public);
        assert_eq!(s(&public), "JMA9999999999");
    }

    #[test]
    fn claims_follow_the_grant() {
        let only_openid = user_claims(&identity(), &grant(&["openid"]), today());
        assert!(only_openid.is_empty());
        let c = user_claims(&identity(), &grant(&["openid", "profile", "hpki"]), today());
        assert_eq!(c["name"], "日医　太郎");
        assert_eq!(c["name#ja-Kana-JP"], "ニチイ　タロウ");
        assert_eq!(c["name#en"], "Taro Nichii");
        assert_eq!(c["hc_role"], "Medical Doctor");
        assert_eq!(c["hpki_subscriber_id"], "JMA9999999999");
        assert!(!c.contains_key("hpki_license_number"));
        let c = user_claims(&identity(), &grant(&["openid", "hpki_license"]), today());
        assert_eq!(c["hpki_license_number"], "123456");
        assert!(!c.contains_key("hc_role"));
    }

    #[test]
    fn the_profile_scope_gives_what_the_doctor_shows_members() {
        let c = user_claims(&identity(), &grant(&["openid", "hpki_profile"]), today());
        assert_eq!(
            c["hpki_profile"],
            json!({"name": "日医　太郎", "birth_date": "1970-04-01", "residence_area": "東京都"})
        );
        let mut none = identity();
        none.settings = Settings::all(false);
        let c = user_claims(&none, &grant(&["openid", "hpki_profile"]), today());
        assert_eq!(c["hpki_profile"], json!({}));
    }

    #[test]
    fn the_id_token_says_card_login() {
        let input = IdTokenInput {
            issuer: "https://op.example",
            sub: "s",
            audience: "a1",
            issued_at: 1000,
            lifetime: 300,
            auth_time: 990,
            nonce: Some("n"),
        };
        let t = id_token(&input, &identity(), &grant(&["openid", "hpki"]));
        assert_eq!(t["exp"], 1300);
        assert_eq!(t["acr"], ACR_CARD);
        assert_eq!(t["amr"], json!(["hwk", "pin"]));
        assert_eq!(t["nonce"], "n");
        assert_eq!(t["hc_role"], "Medical Doctor");
    }
}
