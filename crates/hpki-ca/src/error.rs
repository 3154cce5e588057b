//! Errors of the CA engine. Messages are bilingual: English / Japanese.

use hpki_profile::lint::Finding;

/// Everything the CA can refuse or fail at.
#[derive(Debug, thiserror::Error)]
pub enum CaError {
    /// The data directory already exists and is not empty.
    #[error(
        "{0} already exists; refusing to overwrite it / {0} は既に存在します（上書きしません）"
    )]
    AlreadyInitialised(String),
    /// The data directory is missing or incomplete.
    #[error("not an hpki data directory: {0} / hpkiのデータディレクトリではありません: {0}")]
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
    #[error("configuration error: {0} / 設定ファイルの誤り: {0}")]
    Config(String),
    /// The named CA does not exist (or has no certificate yet).
    #[error("unknown CA {0:?} (expected root, sign or auth) / 認証局 {0:?} はありません")]
    UnknownCa(String),
    /// The CA exists but awaits its certificate from the root.
    #[error(
        "CA {0} has no certificate yet: run `hpki ca csr` and `hpki ca install-cert` / 認証局 {0} の証明書が未登録です"
    )]
    AwaitingCertificate(String),
    /// The CA's private key is not available in this installation.
    #[error("the private key of CA {0} is not held here / 認証局 {0} の秘密鍵はここにはありません")]
    NoKey(String),
    /// The CSR could not be parsed.
    #[error("the CSR is not a valid PKCS#10 request: {0} / CSRの形式が不正です: {0}")]
    CsrMalformed(String),
    /// The CSR signature does not verify.
    #[error("the CSR signature does not verify / CSRの署名を検証できません")]
    CsrBadSignature,
    /// The CSR is signed with an algorithm hpki does not accept.
    #[error(
        "the CSR uses an unsupported signature algorithm {0} / CSRの署名アルゴリズム {0} には対応していません"
    )]
    CsrUnsupportedAlgorithm(String),
    /// The subject public key is not acceptable.
    #[error(transparent)]
    WeakKey(#[from] hpki_profile::key::KeyError),
    /// The subject JSON is not acceptable.
    #[error(transparent)]
    Subject(#[from] hpki_profile::subject::SubjectError),
    /// The certificate failed the pre-signing lints; nothing was signed.
    #[error("lint failed, nothing was signed / 検査に不合格のため署名しませんでした: {}", .0.iter().map(|f| f.to_string()).collect::<Vec<_>>().join("; "))]
    Lint(Vec<Finding>),
    /// A certificate presented for installation does not match.
    #[error("certificate rejected: {0} / 証明書を受け付けられません: {0}")]
    CertificateMismatch(String),
    /// A serial number could not be allocated.
    #[error("could not allocate a unique serial number / 一意なシリアル番号を割り当てられません")]
    SerialExhausted,
    /// The serial number given is not hexadecimal.
    #[error("serial number must be hexadecimal: {0:?} / シリアル番号は16進数で指定してください")]
    BadSerial(String),
    /// No certificate with that serial.
    #[error(
        "no certificate with serial {0} under CA {1} / 認証局 {1} にシリアル番号 {0} の証明書はありません"
    )]
    NoSuchCertificate(String, String),
    /// The certificate was already revoked.
    #[error("certificate {0} is already revoked / 証明書 {0} は既に失効しています")]
    AlreadyRevoked(String),
    /// An unknown revocation reason name.
    #[error("unknown revocation reason {0:?} / 失効理由 {0:?} は不明です")]
    BadReason(String),
    /// Storage failed.
    #[error("storage error: {0} / データベースの誤り: {0}")]
    Store(#[from] hpki_store::StoreError),
    /// The store could not be read; the message of the error, shared by every caller of one
    /// coalesced read (see [`crate::epoch`]).
    #[error("storage error: {0} / データベースの誤り: {0}")]
    StoreUnavailable(String),
    /// A key operation failed.
    #[error(transparent)]
    Key(#[from] hpki_keys::KeyError),
    /// A profile could not be built.
    #[error(transparent)]
    Profile(#[from] hpki_profile::ProfileError),
    /// Under M-of-N custody, the CA keys are not activated.
    #[error(
        "the key of CA {0} is not activated: custodians must present their shares first (--custodian, or POST /admin/activation) / 認証局 {0} の鍵は活性化されていません（鍵保管者の分散鍵の提示が必要です）"
    )]
    NotActivated(String),
    /// The CA keys are not under custody (no key ceremony took place).
    #[error(
        "the CA keys are not under custodian control (run hpki ca ceremony first) / 認証局の鍵は分散管理されていません"
    )]
    NoCustody,
    /// A key ceremony already took place.
    #[error(
        "the CA keys are already under custodian control / 認証局の鍵は既に分散管理されています"
    )]
    CustodyExists,
    /// Custody refused (threshold, custodian, share).
    #[error(transparent)]
    Custody(#[from] crate::custody::CustodyError),
    /// An HSM-held CA key needs the HSM user PIN.
    #[error(
        "the key of CA {0} is in the HSM: give its PIN in HPKI_HSM_PIN / 認証局 {0} の鍵は HSM にあります（HPKI_HSM_PIN で PIN を指定してください）"
    )]
    HsmPinRequired(String),
    /// A card or HSM token refused or failed.
    #[error(transparent)]
    Token(#[from] hpki_token::TokenError),
    /// No such card in the register.
    #[error("no card {0} in the register / カード {0} は登録されていません")]
    NoSuchCard(String),
    /// The card is not in a state that allows the operation.
    #[error(
        "card {card} is {status}: {what} is not possible / カード {card} は「{status_ja}」のため{what_ja}できません"
    )]
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
    /// The card holder record is not acceptable.
    #[error("card holder record: {0} / 券面情報の誤り: {0}")]
    Holder(String),
    /// A sealed secret could not be opened (wrong operator passphrase, altered record).
    #[error("sealed secret: {0} / 封印された秘密情報: {0}")]
    Sealed(#[from] crate::sealed::SealError),
    /// The card face could not be drawn.
    #[error(transparent)]
    CardFace(#[from] hpki_cardface::CardFaceError),
    /// DER encoding or decoding failed.
    #[error("DER error: {0}")]
    Der(#[from] der::Error),
    /// No time-stamping authority is set up in this data directory.
    #[error(
        "no time-stamping authority is set up: run hpki tsa init / タイムスタンプ局が設定されていません（hpki tsa init）"
    )]
    NoTsa,
    /// The time-stamping authority exists already.
    #[error(
        "the time-stamping authority is set up already / タイムスタンプ局は既に設定されています"
    )]
    TsaExists,
    /// The TSA key exists but its certificate has not been installed.
    #[error(
        "the TSA key awaits its certificate: send tsa.csr to the CA, then hpki tsa install-cert / タイムスタンプ局の証明書が未登録です"
    )]
    TsaAwaitingCertificate,
    /// The TSA may not issue tokens now (certificate not yet or no longer valid, revoked).
    #[error(
        "the time-stamping authority is out of service: {0} / タイムスタンプ局は停止中です: {0}"
    )]
    TsaOutOfService(String),
    /// A CMS signature or time-stamp could not be made or verified.
    #[error(transparent)]
    Sign(#[from] hpki_sign::SignError),
}

impl CaError {
    pub(crate) fn io(path: &std::path::Path, source: std::io::Error) -> Self {
        CaError::Io {
            path: path.display().to_string(),
            source,
        }
    }
}
