//! `hpki.toml`, the configuration in the data directory.
//!
//! Policy OIDs, validity periods and names are configuration (MHLW HPKI CP; see
//! `docs/configuration.md`), written with defaults by `hpki init` and read by every command.

use serde::{Deserialize, Serialize};

use crate::CaError;
use hpki_profile::name::NameAttribute;

/// Name of the configuration file inside the data directory.
pub const CONFIG_FILE: &str = "hpki.toml";

/// The whole configuration.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Database URL: `sqlite://hpki.db` (relative to the data directory) or `postgres://…`.
    pub database_url: String,
    /// Base URL relying parties reach the server at; CRL DP, OCSP and caIssuers URLs in
    /// certificates are built from it.
    pub public_base_url: String,
    /// Optional role table replacing the shipped HPKI table (path relative to the data directory).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles_file: Option<String>,
    /// Validity and freshness policy.
    pub policy: PolicyConfig,
    /// The three CAs.
    pub ca: CaSet,
    /// The doctors' IC cards (医師資格証).
    #[serde(default)]
    pub cards: CardsConfig,
    /// CA keys held in an HSM (PKCS#11), when configured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hsm: Option<HsmConfig>,
    /// The RFC 3161 time-stamping authority (`POST /tsa`).
    #[serde(default)]
    pub tsa: TsaConfig,
    /// HPKI login and the OpenID Connect provider.
    #[serde(default)]
    pub login: LoginConfig,
    /// Seminar attendance: the readers' limits and the rules.
    #[serde(default)]
    pub attendance: AttendanceConfig,
}

/// Seminar attendance (`[attendance]`): how many taps one client address (a venue's readers
/// often share one) may send, and the rules of `[attendance.rules]`.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct AttendanceConfig {
    /// Taps one client address may send at once ...
    pub tap_burst: u32,
    /// ... and per second after that (HTTP 429 with Retry-After beyond; a reader's offline
    /// queue waits and sends again).
    pub tap_per_second: u32,
    /// The tap window, duplicate taps, partial credit ([`hpki_attendance::Rules`]).
    pub rules: hpki_attendance::Rules,
}

impl Default for AttendanceConfig {
    fn default() -> Self {
        AttendanceConfig {
            tap_burst: 120,
            tap_per_second: 20,
            rules: hpki_attendance::Rules::default(),
        }
    }
}

/// HPKI login (the card over TLS) and the OpenID Connect provider.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct LoginConfig {
    /// How long a single sign-on session lasts, minutes (never past the certificate): within
    /// it, a second relying party signs the doctor in without the card.
    pub session_minutes: u64,
    /// The qualification check (`/api/v1/qualification/*`, `/check/*`): requests one client
    /// address may make at once ...
    pub check_burst: u32,
    /// ... and per second after that (HTTP 429 with Retry-After beyond).
    pub check_per_second: u32,
}

impl Default for LoginConfig {
    fn default() -> Self {
        LoginConfig {
            session_minutes: 8 * 60,
            check_burst: 30,
            check_per_second: 10,
        }
    }
}

/// The placeholder TSA policy OID: under the IANA enterprise number 32473 reserved for
/// documentation (RFC 5612), so it names no real policy. An operator sets the OID of its own
/// TSA policy (its TSA practice statement) in `[tsa] policy`.
pub const PLACEHOLDER_TSA_POLICY: &str = "1.3.6.1.4.1.32473.3161.1";

/// The time-stamping authority (RFC 3161): its policy, its accuracy, and the subject and
/// validity of its certificate.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct TsaConfig {
    /// Policy OID of every token whose request names no policy (`TSTInfo.policy`).
    pub policy: String,
    /// Further policy OIDs a request may ask for (`reqPolicy`); any other is refused with
    /// `unacceptedPolicy`.
    pub other_policies: Vec<String>,
    /// The accuracy stated in tokens, milliseconds (0: no `accuracy` field). `genTime` has
    /// millisecond precision and comes from the system clock, which must be kept on UTC by
    /// NTP within this bound.
    pub accuracy_ms: u32,
    /// Subject O of the TSA certificate.
    pub organization: String,
    /// Subject CN of the TSA certificate: the TSA's name in every token (`tsa` field).
    pub common_name: String,
    /// Validity of the TSA certificate issued under the demo root, years.
    pub certificate_validity_years: u64,
}

impl Default for TsaConfig {
    fn default() -> Self {
        TsaConfig {
            policy: PLACEHOLDER_TSA_POLICY.into(),
            other_policies: Vec::new(),
            accuracy_ms: 1000,
            organization: "Japan Medical Association".into(),
            common_name: "JMA HPKI Time-Stamping Authority".into(),
            certificate_validity_years: 10,
        }
    }
}

/// The IC card policy (the seed: card 6 years, certificates in the chip 2 years; MEDIS cards
/// lock after 15 wrong PINs).
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct CardsConfig {
    /// PKCS#11 module of the card readers' middleware: OpenSC's `opensc-pkcs11.so` for real
    /// cards, SoftHSM2 for demos and tests.
    pub pkcs11_module: String,
    /// Card validity, years (the certificates on it follow `end_entity_validity_days`).
    pub validity_years: u32,
    /// Wrong PINs allowed before the PIN blocks.
    pub pin_max_tries: u8,
    /// Card IDs are this prefix, the last digit of the year and the month of issue, and a
    /// five-digit number: `JMAC` + `YMM` + `00000` as on the seed's card face.
    pub card_id_prefix: String,
}

impl Default for CardsConfig {
    fn default() -> Self {
        CardsConfig {
            pkcs11_module: hpki_token::SOFTHSM2_MODULE.into(),
            validity_years: 6,
            pin_max_tries: 15,
            card_id_prefix: "JMAC".into(),
        }
    }
}

/// CA keys in an HSM: the token that holds them and which CAs use it.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct HsmConfig {
    /// The HSM vendor's PKCS#11 module (SoftHSM2 in tests).
    pub module: String,
    /// Label of the token holding the CA keys.
    pub token_label: String,
    /// The CAs whose keys are in the HSM (`root`, `sign`, `auth`); the others stay in
    /// encrypted files.
    pub cas: Vec<String>,
}

/// Validity and freshness policy (MHLW HPKI CP; the seed gives 2 years for the certificates in
/// the chip).
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PolicyConfig {
    /// End-entity certificate validity, days.
    pub end_entity_validity_days: u64,
    /// Issuing CA certificate validity, years.
    pub ca_validity_years: u64,
    /// Root (demo stand-in) validity, years.
    pub root_validity_years: u64,
    /// OCSP responder certificate validity, days.
    pub ocsp_responder_validity_days: u64,
    /// CRL nextUpdate − thisUpdate, hours.
    pub crl_validity_hours: u64,
    /// OCSP nextUpdate − thisUpdate, hours.
    pub ocsp_validity_hours: u64,
    /// CPS URI placed as a policy qualifier, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cps_uri: Option<String>,
}

/// The root and the two issuing CAs.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CaSet {
    /// The root (in production, the MHLW HPKI Root CA's certificate is installed instead).
    pub root: CaConfig,
    /// The signing CA (…-forNonRepudiation).
    pub sign: CaConfig,
    /// The authentication CA (…-forAuthentication).
    pub auth: CaConfig,
}

/// One CA's names and policies.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CaConfig {
    /// Subject O.
    pub organization: String,
    /// Subject OUs, in order.
    #[serde(default)]
    pub organizational_units: Vec<String>,
    /// Subject CN, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub common_name: Option<String>,
    /// Policies asserted in end-entity certificates of this CA (the HPKI CP OID relying
    /// parties check on the subscriber's certificate).
    #[serde(default)]
    pub end_entity_policies: Vec<String>,
    /// Policies asserted in the CA's own certificate: the CA's policy, as on the real MHLW
    /// chain (RFC 5280 processing with the subscribers' OID explicit then finds none valid, as
    /// for real HPKI paths); empty: the end-entity policies are asserted instead.
    #[serde(default)]
    pub ca_policies: Vec<String>,
}

impl CaConfig {
    /// The CA's distinguished name: C=JP, O, OU…, CN.
    pub fn name_attributes(&self) -> Vec<NameAttribute> {
        let mut v = vec![
            NameAttribute::Country("JP".into()),
            NameAttribute::Organization(self.organization.clone()),
        ];
        v.extend(
            self.organizational_units
                .iter()
                .cloned()
                .map(NameAttribute::OrganizationalUnit),
        );
        if let Some(cn) = &self.common_name {
            v.push(NameAttribute::CommonName(cn.clone()));
        }
        v
    }
}

impl Config {
    /// The defaults `hpki init` writes.
    pub fn with_defaults(database_url: &str, public_base_url: &str) -> Self {
        Config {
            database_url: database_url.to_owned(),
            public_base_url: public_base_url.to_owned(),
            roles_file: None,
            policy: PolicyConfig {
                end_entity_validity_days: 730,
                ca_validity_years: 20,
                root_validity_years: 30,
                ocsp_responder_validity_days: 365,
                crl_validity_hours: 48,
                ocsp_validity_hours: 24,
                cps_uri: None,
            },
            ca: CaSet {
                root: CaConfig {
                    organization: "Ministry of Health, Labour and Welfare".into(),
                    organizational_units: vec![
                        "Director-General for Policy Planning and Evaluation".into(),
                        "MHLW HPKI Root CA V2 (hpki demo stand-in)".into(),
                    ],
                    common_name: None,
                    end_entity_policies: vec![],
                    ca_policies: vec![],
                },
                sign: CaConfig {
                    organization: "Japan Medical Association".into(),
                    organizational_units: vec!["JMA HPKI CA".into()],
                    common_name: Some("HPKI-01-JMASignCA-forNonRepudiation".into()),
                    end_entity_policies: vec!["1.2.392.100495.1.5.1.1.0.1".into()],
                    ca_policies: vec!["1.2.392.100495.1.5.1.1.3.1".into()],
                },
                auth: CaConfig {
                    organization: "Japan Medical Association".into(),
                    organizational_units: vec!["JMA HPKI CA".into()],
                    common_name: Some("HPKI-01-JMAAuthCA-forAuthentication".into()),
                    end_entity_policies: vec!["1.2.392.100495.1.5.1.2.0.1".into()],
                    ca_policies: vec!["1.2.392.100495.1.5.1.2.3.1".into()],
                },
            },
            cards: CardsConfig::default(),
            hsm: None,
            tsa: TsaConfig::default(),
            login: LoginConfig::default(),
            attendance: AttendanceConfig::default(),
        }
    }

    /// Parse `hpki.toml`.
    pub fn from_toml(text: &str) -> Result<Self, CaError> {
        let c: Config = toml::from_str(text).map_err(|e| CaError::Config(e.to_string()))?;
        for (name, ca) in [("sign", &c.ca.sign), ("auth", &c.ca.auth)] {
            hpki_profile::profile::parse_oids(&ca.end_entity_policies)
                .and_then(|_| hpki_profile::profile::parse_oids(&ca.ca_policies))
                .map_err(|e| CaError::Config(format!("[ca.{name}] {e}")))?;
            if ca.end_entity_policies.is_empty() {
                return Err(CaError::Config(format!(
                    "[ca.{name}] end_entity_policies must name at least one policy OID"
                )));
            }
        }
        if let Some(hsm) = &c.hsm {
            for ca in &hsm.cas {
                if !matches!(ca.as_str(), "root" | "sign" | "auth") {
                    return Err(CaError::Config(format!(
                        "[hsm] cas: unknown CA {ca:?} (root, sign or auth)"
                    )));
                }
            }
        }
        let prefix = &c.cards.card_id_prefix;
        if prefix.is_empty()
            || prefix.len() > 20
            || !prefix
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        {
            return Err(CaError::Config(format!(
                "[cards] card_id_prefix {prefix:?} must be 1-20 of A-Z 0-9"
            )));
        }
        if c.cards.pin_max_tries == 0 || c.cards.validity_years == 0 {
            return Err(CaError::Config(
                "[cards] pin_max_tries and validity_years must be at least 1".into(),
            ));
        }
        hpki_profile::profile::parse_oids(std::slice::from_ref(&c.tsa.policy))
            .and_then(|_| hpki_profile::profile::parse_oids(&c.tsa.other_policies))
            .map_err(|e| CaError::Config(format!("[tsa] {e}")))?;
        if c.tsa.accuracy_ms > 3_600_000 {
            return Err(CaError::Config(
                "[tsa] accuracy_ms must be at most 3600000 (one hour)".into(),
            ));
        }
        if c.tsa.common_name.trim().is_empty() || c.tsa.organization.trim().is_empty() {
            return Err(CaError::Config(
                "[tsa] organization and common_name must not be empty".into(),
            ));
        }
        if !(1..=30).contains(&c.tsa.certificate_validity_years) {
            return Err(CaError::Config(
                "[tsa] certificate_validity_years must be 1 to 30".into(),
            ));
        }
        if !c.public_base_url.starts_with("http://") {
            return Err(CaError::Config(
                "public_base_url must start with http:// (RFC 5280 §4.2.1.13 CRL DP / RFC 6960 over HTTP)".into(),
            ));
        }
        Ok(c)
    }

    /// Serialise for writing.
    pub fn to_toml(&self) -> Result<String, CaError> {
        toml::to_string_pretty(self).map_err(|e| CaError::Config(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_round_trip() {
        let c = Config::with_defaults("sqlite://hpki.db", "http://127.0.0.1:8080");
        assert_eq!(Config::from_toml(&c.to_toml().unwrap()).unwrap(), c);
    }

    #[test]
    fn a_configuration_from_before_cards_and_hsm_still_reads() {
        let c = Config::with_defaults("sqlite://hpki.db", "http://127.0.0.1:8080");
        let mut v: toml::Value = toml::from_str(&c.to_toml().unwrap()).unwrap();
        v.as_table_mut().unwrap().remove("cards");
        let old = toml::to_string(&v).unwrap();
        assert_eq!(Config::from_toml(&old).unwrap().cards.pin_max_tries, 15);
    }

    #[test]
    fn tsa_settings_default_and_are_checked() {
        let c = Config::with_defaults("sqlite://hpki.db", "http://127.0.0.1:8080");
        let mut v: toml::Value = toml::from_str(&c.to_toml().unwrap()).unwrap();
        v.as_table_mut().unwrap().remove("tsa");
        let old = toml::to_string(&v).unwrap();
        assert_eq!(Config::from_toml(&old).unwrap().tsa, TsaConfig::default());
        let mut bad = c.clone();
        bad.tsa.policy = "not.an.oid".into();
        assert!(Config::from_toml(&bad.to_toml().unwrap()).is_err());
        let mut bad = c;
        bad.tsa.accuracy_ms = 7_200_000;
        assert!(Config::from_toml(&bad.to_toml().unwrap()).is_err());
    }

    #[test]
    fn a_bad_policy_oid_is_refused() {
        let mut c = Config::with_defaults("sqlite://hpki.db", "http://127.0.0.1:8080");
        c.ca.sign.end_entity_policies = vec!["not.an.oid".into()];
        assert!(Config::from_toml(&c.to_toml().unwrap()).is_err());
    }
}
