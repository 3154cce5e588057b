//! Errors of the CA engine, each with its [`Text`] in Japanese and English (`Display` is
//! English).

use hpki_profile::lint::Finding;
use hpki_text::{Localized, Text};

/// Everything the CA can refuse or fail at.
#[derive(Debug, thiserror::Error)]
pub enum CaError {
    /// The data directory already exists and is not empty.
    #[error("{0} already exists; refusing to overwrite it")]
    AlreadyInitialised(String),
    /// The data directory is missing or incomplete.
    #[error("not an hpki data directory: {0}")]
    NotInitialised(String),
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The configuration file is invalid.
    #[error("configuration error: {0}")]
    Config(String),
    /// The named CA does not exist (or has no certificate yet).
    #[error("unknown CA {0:?} (expected root, sign or auth)")]
    UnknownCa(String),
    /// The CA exists but awaits its certificate from the root.
    #[error("CA {0} has no certificate yet: run `hpki ca csr` and `hpki ca install-cert`")]
    AwaitingCertificate(String),
    /// The CA's private key is not available in this installation.
    #[error("the private key of CA {0} is not held here")]
    NoKey(String),
    /// The CSR could not be parsed.
    #[error("the CSR is not a valid PKCS#10 request: {0}")]
    CsrMalformed(String),
    /// The CSR signature does not verify.
    #[error("the CSR signature does not verify")]
    CsrBadSignature,
    /// The CSR is signed with an algorithm hpki does not accept.
    #[error("the CSR uses an unsupported signature algorithm {0}")]
    CsrUnsupportedAlgorithm(String),
    /// The subject public key is not acceptable.
    #[error(transparent)]
    WeakKey(#[from] hpki_profile::key::KeyError),
    /// The subject JSON is not acceptable.
    #[error(transparent)]
    Subject(#[from] hpki_profile::subject::SubjectError),
    /// The certificate failed the pre-signing lints; nothing was signed.
    #[error("lint failed, nothing was signed: {}", .0.iter().map(|f| f.to_string()).collect::<Vec<_>>().join("; "))]
    Lint(Vec<Finding>),
    /// A certificate presented for installation does not match.
    #[error("certificate rejected: {0}")]
    CertificateMismatch(Text),
    /// A serial number could not be allocated.
    #[error("could not allocate a unique serial number")]
    SerialExhausted,
    /// The serial number given is not hexadecimal.
    #[error("serial number must be hexadecimal: {0:?}")]
    BadSerial(String),
    /// No certificate with that serial.
    #[error("no certificate with serial {0} under CA {1}")]
    NoSuchCertificate(String, String),
    /// The certificate was already revoked.
    #[error("certificate {0} is already revoked")]
    AlreadyRevoked(String),
    /// An unknown revocation reason name.
    #[error("unknown revocation reason {0:?}")]
    BadReason(String),
    /// Storage failed.
    #[error("storage error: {0}")]
    Store(#[from] hpki_store::StoreError),
    /// The store could not be read; the message of the error, shared by every caller of one
    /// coalesced read (see [`crate::epoch`]).
    #[error("storage error: {0}")]
    StoreUnavailable(String),
    /// A key operation failed.
    #[error(transparent)]
    Key(#[from] hpki_keys::KeyError),
    /// A profile could not be built.
    #[error(transparent)]
    Profile(#[from] hpki_profile::ProfileError),
    /// Under M-of-N custody, the CA keys are not activated.
    #[error(
        "the key of CA {0} is not activated: custodians must present their shares first (--custodian, or POST /admin/activation)"
    )]
    NotActivated(String),
    /// The CA keys are not under custody (no key ceremony took place).
    #[error("the CA keys are not under custodian control (run hpki ca ceremony first)")]
    NoCustody,
    /// A key ceremony already took place.
    #[error("the CA keys are already under custodian control")]
    CustodyExists,
    /// Custody refused (threshold, custodian, share).
    #[error(transparent)]
    Custody(#[from] crate::custody::CustodyError),
    /// An HSM-held CA key needs the HSM user PIN.
    #[error("the key of CA {0} is in the HSM: give its PIN in HPKI_HSM_PIN")]
    HsmPinRequired(String),
    /// A card or HSM token refused or failed.
    #[error(transparent)]
    Token(#[from] hpki_token::TokenError),
    /// No such card in the register.
    #[error("no card {0} in the register")]
    NoSuchCard(String),
    /// The card is not in a state that allows the operation.
    #[error("card {card} is {status}: {what} is not possible")]
    CardState {
        /// The card ID.
        card: String,
        /// Its status.
        status: &'static str,
        /// Its status in Japanese.
        status_ja: &'static str,
        /// What was refused.
        what: &'static str,
        /// What was refused, in Japanese.
        what_ja: &'static str,
    },
    /// The card in the reader did not prove that it is the card the register issued under this
    /// ID (a lookalike token, a copy): nothing was sent to it.
    #[error(
        "the card in the reader is not card {card} of the register: {reason}; nothing was sent to it"
    )]
    CardNotGenuine {
        /// The card ID it claims.
        card: String,
        /// What did not match.
        reason: Text,
    },
    /// The card holder record is not acceptable.
    #[error("card holder record: {0}")]
    Holder(Text),
    /// A sealed secret could not be opened (wrong operator passphrase, altered record).
    #[error("sealed secret: {0}")]
    Sealed(#[from] crate::sealed::SealError),
    /// The card face could not be drawn.
    #[error(transparent)]
    CardFace(#[from] hpki_cardface::CardFaceError),
    /// DER encoding or decoding failed.
    #[error("DER error: {0}")]
    Der(#[from] der::Error),
    /// No time-stamping authority is set up in this data directory.
    #[error("no time-stamping authority is set up: run hpki tsa init")]
    NoTsa,
    /// The time-stamping authority exists already.
    #[error("the time-stamping authority is set up already")]
    TsaExists,
    /// The TSA key exists but its certificate has not been installed.
    #[error(
        "the TSA key awaits its certificate: send tsa.csr to the CA, then hpki tsa install-cert"
    )]
    TsaAwaitingCertificate,
    /// The TSA may not issue tokens now (certificate not yet or no longer valid, revoked).
    #[error("the time-stamping authority is out of service: {0}")]
    TsaOutOfService(String),
    /// A CMS signature or time-stamp could not be made or verified.
    #[error(transparent)]
    Sign(#[from] hpki_sign::SignError),
}

impl Localized for CaError {
    fn text(&self) -> Text {
        match self {
            CaError::AlreadyInitialised(f0) => Text::new(
                format!("{f0} は既に存在します（上書きしません）"),
                format!("{f0} already exists; refusing to overwrite it"),
            ),
            CaError::NotInitialised(f0) => Text::new(
                format!("hpkiのデータディレクトリではありません: {f0}"),
                format!("not an hpki data directory: {f0}"),
            ),
            CaError::Io { path, source } => Text::new(
                format!("{path}：{}", hpki_text::io_error(source).ja),
                format!("{path}: {source}"),
            ),
            CaError::Config(f0) => Text::new(
                format!("設定ファイルの誤り: {f0}"),
                format!("configuration error: {f0}"),
            ),
            CaError::UnknownCa(f0) => Text::new(
                format!("認証局 {f0:?} はありません"),
                format!("unknown CA {f0:?} (expected root, sign or auth)"),
            ),
            CaError::AwaitingCertificate(f0) => Text::new(
                format!("認証局 {f0} の証明書が未登録です"),
                format!(
                    "CA {f0} has no certificate yet: run `hpki ca csr` and `hpki ca install-cert`"
                ),
            ),
            CaError::NoKey(f0) => Text::new(
                format!("認証局 {f0} の秘密鍵はここにはありません"),
                format!("the private key of CA {f0} is not held here"),
            ),
            CaError::CsrMalformed(f0) => Text::new(
                format!("CSRの形式が不正です: {f0}"),
                format!("the CSR is not a valid PKCS#10 request: {f0}"),
            ),
            CaError::CsrBadSignature => Text::new(
                "CSRの署名を検証できません",
                "the CSR signature does not verify",
            ),
            CaError::CsrUnsupportedAlgorithm(f0) => Text::new(
                format!("CSRの署名アルゴリズム {f0} には対応していません"),
                format!("the CSR uses an unsupported signature algorithm {f0}"),
            ),
            CaError::WeakKey(e) => e.text(),
            CaError::Subject(e) => e.text(),
            CaError::Lint(f0) => Text::new(
                format!(
                    "検査に不合格のため署名しませんでした: {}",
                    f0.iter()
                        .map(|f| f.to_string())
                        .collect::<Vec<_>>()
                        .join("; ")
                ),
                format!(
                    "lint failed, nothing was signed: {}",
                    f0.iter()
                        .map(|f| f.to_string())
                        .collect::<Vec<_>>()
                        .join("; ")
                ),
            ),
            CaError::CertificateMismatch(t) => t.clone().after(Text::new(
                "証明書を受け付けられません",
                "certificate rejected",
            )),
            CaError::SerialExhausted => Text::new(
                "一意なシリアル番号を割り当てられません",
                "could not allocate a unique serial number",
            ),
            CaError::BadSerial(f0) => Text::new(
                "シリアル番号は16進数で指定してください",
                format!("serial number must be hexadecimal: {f0:?}"),
            ),
            CaError::NoSuchCertificate(f0, f1) => Text::new(
                format!("認証局 {f1} にシリアル番号 {f0} の証明書はありません"),
                format!("no certificate with serial {f0} under CA {f1}"),
            ),
            CaError::AlreadyRevoked(f0) => Text::new(
                format!("証明書 {f0} は既に失効しています"),
                format!("certificate {f0} is already revoked"),
            ),
            CaError::BadReason(f0) => Text::new(
                format!("失効理由 {f0:?} は不明です"),
                format!("unknown revocation reason {f0:?}"),
            ),
            CaError::Store(f0) => {
                let (f0_ja, f0_en) = {
                    let t = f0.text();
                    (t.ja, t.en)
                };
                Text::new(
                    format!("データベースの誤り: {f0_ja}"),
                    format!("storage error: {f0_en}"),
                )
            }
            CaError::StoreUnavailable(f0) => Text::new(
                format!("データベースの誤り: {f0}"),
                format!("storage error: {f0}"),
            ),
            CaError::Key(e) => e.text(),
            CaError::Profile(e) => e.text(),
            CaError::NotActivated(f0) => Text::new(
                format!(
                    "認証局 {f0} の鍵は活性化されていません（鍵保管者の分散鍵の提示が必要です）"
                ),
                format!(
                    "the key of CA {f0} is not activated: custodians must present their shares first (--custodian, or POST /admin/activation)"
                ),
            ),
            CaError::NoCustody => Text::new(
                "認証局の鍵は分散管理されていません",
                "the CA keys are not under custodian control (run hpki ca ceremony first)",
            ),
            CaError::CustodyExists => Text::new(
                "認証局の鍵は既に分散管理されています",
                "the CA keys are already under custodian control",
            ),
            CaError::Custody(e) => e.text(),
            CaError::HsmPinRequired(f0) => Text::new(
                format!(
                    "認証局 {f0} の鍵は HSM にあります（HPKI_HSM_PIN で PIN を指定してください）"
                ),
                format!("the key of CA {f0} is in the HSM: give its PIN in HPKI_HSM_PIN"),
            ),
            CaError::Token(e) => e.text(),
            CaError::NoSuchCard(f0) => Text::new(
                format!("カード {f0} は登録されていません"),
                format!("no card {f0} in the register"),
            ),
            CaError::CardState {
                card,
                status,
                status_ja,
                what,
                what_ja,
            } => Text::new(
                format!("カード {card} は「{status_ja}」のため{what_ja}できません"),
                format!("card {card} is {status}: {what} is not possible"),
            ),
            CaError::CardNotGenuine { card, reason } => Text::new(
                format!(
                    "読み取り機のカードは登録簿のカード {card} であることを証明できませんでした（{}）。カードには何も送っていません",
                    reason.ja
                ),
                self.to_string(),
            ),
            CaError::Holder(t) => t
                .clone()
                .after(Text::new("券面情報の誤り", "card holder record")),
            CaError::Sealed(f0) => {
                let (f0_ja, f0_en) = {
                    let t = f0.text();
                    (t.ja, t.en)
                };
                Text::new(
                    format!("封印された秘密情報: {f0_ja}"),
                    format!("sealed secret: {f0_en}"),
                )
            }
            CaError::CardFace(e) => e.text(),
            CaError::Der(f0) => Text::new(
                format!("DER 形式の誤りです{}", hpki_text::DETAIL_IN_ENGLISH),
                format!("DER error: {f0}"),
            ),
            CaError::NoTsa => Text::new(
                "タイムスタンプ局が設定されていません（hpki tsa init）",
                "no time-stamping authority is set up: run hpki tsa init",
            ),
            CaError::TsaExists => Text::new(
                "タイムスタンプ局は既に設定されています",
                "the time-stamping authority is set up already",
            ),
            CaError::TsaAwaitingCertificate => Text::new(
                "タイムスタンプ局の証明書が未登録です",
                "the TSA key awaits its certificate: send tsa.csr to the CA, then hpki tsa install-cert",
            ),
            CaError::TsaOutOfService(f0) => Text::new(
                format!("タイムスタンプ局は停止中です: {f0}"),
                format!("the time-stamping authority is out of service: {f0}"),
            ),
            CaError::Sign(e) => e.text(),
        }
    }
}

impl CaError {
    /// [`CaError::Holder`] in Japanese and English.
    pub fn holder(ja: impl Into<String>, en: impl Into<String>) -> Self {
        CaError::Holder(Text::new(ja, en))
    }

    /// [`CaError::CertificateMismatch`] in Japanese and English.
    pub(crate) fn mismatch(ja: impl Into<String>, en: impl Into<String>) -> Self {
        CaError::CertificateMismatch(Text::new(ja, en))
    }

    pub(crate) fn io(path: &std::path::Path, source: std::io::Error) -> Self {
        CaError::Io {
            path: path.display().to_string(),
            source,
        }
    }
}
