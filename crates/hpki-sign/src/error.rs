//! Errors of signing and verification, each with its [`Text`] in Japanese and English
//! (`Display` is English).

use hpki_text::{Localized, Text};
/// Everything that can go wrong building, parsing or verifying a CMS signature or a time-stamp
/// token.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    /// A DER structure could not be encoded or decoded.
    #[error("DER error: {0}")]
    Der(#[from] der::Error),
    /// The private key failed to sign.
    #[error(transparent)]
    Key(#[from] hpki_keys::KeyError),
    /// The `ContentInfo` does not hold a `SignedData`.
    #[error("not a CMS SignedData (content type {0})")]
    NotSignedData(String),
    /// A digest algorithm this crate does not support (SHA-256/384/512 are).
    #[error("unsupported digest algorithm {0}")]
    UnsupportedDigest(String),
    /// A signature algorithm (or key type) this crate does not support.
    #[error("unsupported signature algorithm {0}")]
    UnsupportedSignatureAlgorithm(String),
    /// The signer's public key is not the one in the certificate given for it.
    #[error("the signing key does not match the signer's certificate")]
    CertificateKeyMismatch,
    /// A signed attribute is given twice, or a built-in one again.
    #[error("attribute {0} appears more than once")]
    DuplicateAttribute(String),
    /// A required signed attribute is missing.
    #[error("signed attribute {0} is missing")]
    MissingAttribute(&'static str),
    /// An attribute's value is not what its type requires.
    #[error("attribute {0} is malformed")]
    MalformedAttribute(String),
    /// The content-type attribute differs from the encapsulated content type (RFC 5652 §11.1).
    #[error("the content-type attribute does not match the content")]
    ContentTypeMismatch,
    /// The message-digest attribute is not the digest of the content: the content was changed.
    #[error("the content does not match the signed message digest (it was changed)")]
    MessageDigestMismatch,
    /// The signature value does not verify with the signer's public key.
    #[error("the signature does not verify")]
    BadSignature,
    /// The signer identifier does not name the certificate given.
    #[error("the signer identifier does not name this certificate")]
    SignerNotIdentified,
    /// No certificate of the signer was given or found in the SignedData.
    #[error("the signer's certificate is not available")]
    NoSignerCertificate,
    /// The ESS signing-certificate attribute names another certificate.
    #[error("the ESS signing-certificate attribute names another certificate")]
    SigningCertificateMismatch,
    /// Detached content was not supplied to verify against, or encapsulated content is missing.
    #[error("the signed content is not available")]
    NoContent,
    /// A digest value has the wrong length for its algorithm.
    #[error("digest of {actual} octets, {expected} expected")]
    DigestLength {
        /// The algorithm's output length.
        expected: usize,
        /// What was given.
        actual: usize,
    },
    /// The builder has no signer.
    #[error("no signer given")]
    NoSigner,
    /// The index names no SignerInfo.
    #[error("no signer info number {0}")]
    NoSuchSigner(usize),
    /// The token is not an RFC 3161 time-stamp token.
    #[error("not an RFC 3161 time-stamp token: {0}")]
    NotTimeStampToken(String),
    /// The certificate may not sign time-stamp tokens (RFC 3161 §2.3).
    #[error("not a TSA certificate: {0}")]
    NotTsaCertificate(Text),
    /// The token's message imprint is not the hash of the data given.
    #[error("the time-stamp is for other data")]
    ImprintMismatch,
    /// A time-stamp or validation data could not be obtained (network, TSA refusal).
    #[error("{0}")]
    Fetch(Text),
    /// The level asked for needs a time-stamping authority and none was given (the level's
    /// name, `B-T` …).
    #[error("{0} needs a time-stamping authority (--tsa)")]
    NeedsTimeStamper(&'static str),
    /// The level asked for needs validation data and no source was given.
    #[error("{0} needs validation data (certificates, CRLs, OCSP)")]
    NeedsValidationData(&'static str),
    /// The XML could not be read, or is not as XML-DSig / XAdES require (hpki-sign::xades).
    #[error("XML error: {0}")]
    Xml(String),
    /// The document holds no XAdES signature, or not exactly one (hpki-sign::xades).
    #[error("not a XAdES signature: {0}")]
    NotXades(String),
    /// A `ds:Reference` digest does not match what it references: the signed data was changed.
    #[error("the digest of reference {0} does not match (the signed data was changed)")]
    ReferenceDigestMismatch(String),
    /// An XML-DSig transform or canonicalization this crate does not support.
    #[error("unsupported XML transform {0}")]
    UnsupportedTransform(String),
    /// The document is not a Japanese e-prescription (電子処方箋) as expected.
    #[error("not an e-prescription: {0}")]
    Prescription(Text),
    /// The PDF cannot be read or updated (malformed, encrypted, no such page…).
    #[error("PDF: {0}")]
    Pdf(Text),
    /// The signature does not fit in the space reserved for it in the PDF.
    #[error("the signature needs {needed} octets but {reserved} were reserved")]
    PdfContentsTooSmall {
        /// The DER length of the CMS object.
        needed: usize,
        /// The octets reserved in /Contents.
        reserved: usize,
    },
}

impl Localized for SignError {
    fn text(&self) -> Text {
        match self {
            SignError::Der(f0) => {
                Text::new(format!("DER の誤り: {f0}"), format!("DER error: {f0}"))
            }
            SignError::Key(e) => e.text(),
            SignError::NotSignedData(f0) => Text::new(
                format!("CMS SignedData ではありません（{f0}）"),
                format!("not a CMS SignedData (content type {f0})"),
            ),
            SignError::UnsupportedDigest(f0) => Text::new(
                format!("対応していないハッシュアルゴリズムです: {f0}"),
                format!("unsupported digest algorithm {f0}"),
            ),
            SignError::UnsupportedSignatureAlgorithm(f0) => Text::new(
                format!("対応していない署名アルゴリズムです: {f0}"),
                format!("unsupported signature algorithm {f0}"),
            ),
            SignError::CertificateKeyMismatch => Text::new(
                "署名鍵が署名者の証明書と一致しません",
                "the signing key does not match the signer's certificate",
            ),
            SignError::DuplicateAttribute(f0) => Text::new(
                format!("属性 {f0} が重複しています"),
                format!("attribute {f0} appears more than once"),
            ),
            SignError::MissingAttribute(f0) => Text::new(
                format!("署名属性 {f0} がありません"),
                format!("signed attribute {f0} is missing"),
            ),
            SignError::MalformedAttribute(f0) => Text::new(
                format!("属性 {f0} の形式が不正です"),
                format!("attribute {f0} is malformed"),
            ),
            SignError::ContentTypeMismatch => Text::new(
                "content-type 属性が内容と一致しません",
                "the content-type attribute does not match the content",
            ),
            SignError::MessageDigestMismatch => Text::new(
                "署名対象の内容が一致しません（改ざんされています）",
                "the content does not match the signed message digest (it was changed)",
            ),
            SignError::BadSignature => {
                Text::new("署名を検証できません", "the signature does not verify")
            }
            SignError::SignerNotIdentified => Text::new(
                "署名者識別子がこの証明書を指していません",
                "the signer identifier does not name this certificate",
            ),
            SignError::NoSignerCertificate => Text::new(
                "署名者の証明書がありません",
                "the signer's certificate is not available",
            ),
            SignError::SigningCertificateMismatch => Text::new(
                "ESS signing-certificate 属性が別の証明書を指しています",
                "the ESS signing-certificate attribute names another certificate",
            ),
            SignError::NoContent => Text::new(
                "署名対象の内容がありません",
                "the signed content is not available",
            ),
            SignError::DigestLength { expected, actual } => Text::new(
                format!(
                    "ハッシュ値の長さが不正です（{actual} オクテット、{expected} オクテットのはず）"
                ),
                format!("digest of {actual} octets, {expected} expected"),
            ),
            SignError::NoSigner => Text::new("署名者が指定されていません", "no signer given"),
            SignError::NoSuchSigner(f0) => Text::new(
                format!("署名者情報 {f0} はありません"),
                format!("no signer info number {f0}"),
            ),
            SignError::NotTimeStampToken(f0) => Text::new(
                format!("タイムスタンプトークンではありません: {f0}"),
                format!("not an RFC 3161 time-stamp token: {f0}"),
            ),
            SignError::NotTsaCertificate(t) => t.clone().after(Text::new(
                "タイムスタンプ局の証明書ではありません",
                "not a TSA certificate",
            )),
            SignError::ImprintMismatch => Text::new(
                "タイムスタンプは別のデータに対するものです",
                "the time-stamp is for other data",
            ),
            SignError::Fetch(t) => t.clone(),
            SignError::NeedsTimeStamper(level) => Text::new(
                format!("{level} にはタイムスタンプ局が必要です（--tsa）"),
                self.to_string(),
            ),
            SignError::NeedsValidationData(level) => Text::new(
                format!("{level} には検証情報（証明書・CRL・OCSP）が必要です"),
                self.to_string(),
            ),
            SignError::Xml(f0) => {
                Text::new(format!("XML の誤り: {f0}"), format!("XML error: {f0}"))
            }
            SignError::NotXades(f0) => Text::new(
                format!("XAdES 署名ではありません: {f0}"),
                format!("not a XAdES signature: {f0}"),
            ),
            SignError::ReferenceDigestMismatch(f0) => Text::new(
                format!("参照 {f0} のダイジェスト値が一致しません（改ざんされています）"),
                format!(
                    "the digest of reference {f0} does not match (the signed data was changed)"
                ),
            ),
            SignError::UnsupportedTransform(f0) => Text::new(
                format!("対応していない XML 変換です: {f0}"),
                format!("unsupported XML transform {f0}"),
            ),
            SignError::Prescription(t) => t.clone().after(Text::new(
                "電子処方箋の形式ではありません",
                "not an e-prescription",
            )),
            SignError::Pdf(t) => t.clone().after(Text::new("PDF を処理できません", "PDF")),
            SignError::PdfContentsTooSmall { needed, reserved } => Text::new(
                format!(
                    "署名が確保した領域に収まりません（必要 {needed}、確保 {reserved} オクテット）"
                ),
                format!("the signature needs {needed} octets but {reserved} were reserved"),
            ),
        }
    }
}
