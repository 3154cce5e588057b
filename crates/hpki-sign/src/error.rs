//! Errors of signing and verification. Messages are bilingual: English / Japanese.

/// Everything that can go wrong building, parsing or verifying a CMS signature or a time-stamp
/// token.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    /// A DER structure could not be encoded or decoded.
    #[error("DER error: {0} / DER の誤り: {0}")]
    Der(#[from] der::Error),
    /// The private key failed to sign.
    #[error(transparent)]
    Key(#[from] hpki_keys::KeyError),
    /// The `ContentInfo` does not hold a `SignedData`.
    #[error("not a CMS SignedData (content type {0}) / CMS SignedData ではありません（{0}）")]
    NotSignedData(String),
    /// A digest algorithm this crate does not support (SHA-256/384/512 are).
    #[error("unsupported digest algorithm {0} / 対応していないハッシュアルゴリズムです: {0}")]
    UnsupportedDigest(String),
    /// A signature algorithm (or key type) this crate does not support.
    #[error("unsupported signature algorithm {0} / 対応していない署名アルゴリズムです: {0}")]
    UnsupportedSignatureAlgorithm(String),
    /// The signer's public key is not the one in the certificate given for it.
    #[error(
        "the signing key does not match the signer's certificate / 署名鍵が署名者の証明書と一致しません"
    )]
    CertificateKeyMismatch,
    /// A signed attribute is given twice, or a built-in one again.
    #[error("attribute {0} appears more than once / 属性 {0} が重複しています")]
    DuplicateAttribute(String),
    /// A required signed attribute is missing.
    #[error("signed attribute {0} is missing / 署名属性 {0} がありません")]
    MissingAttribute(&'static str),
    /// An attribute's value is not what its type requires.
    #[error("attribute {0} is malformed / 属性 {0} の形式が不正です")]
    MalformedAttribute(String),
    /// The content-type attribute differs from the encapsulated content type (RFC 5652 §11.1).
    #[error(
        "the content-type attribute does not match the content / content-type 属性が内容と一致しません"
    )]
    ContentTypeMismatch,
    /// The message-digest attribute is not the digest of the content: the content was changed.
    #[error(
        "the content does not match the signed message digest (it was changed) / 署名対象の内容が一致しません（改ざんされています）"
    )]
    MessageDigestMismatch,
    /// The signature value does not verify with the signer's public key.
    #[error("the signature does not verify / 署名を検証できません")]
    BadSignature,
    /// The signer identifier does not name the certificate given.
    #[error(
        "the signer identifier does not name this certificate / 署名者識別子がこの証明書を指していません"
    )]
    SignerNotIdentified,
    /// No certificate of the signer was given or found in the SignedData.
    #[error("the signer's certificate is not available / 署名者の証明書がありません")]
    NoSignerCertificate,
    /// The ESS signing-certificate attribute names another certificate.
    #[error(
        "the ESS signing-certificate attribute names another certificate / ESS signing-certificate 属性が別の証明書を指しています"
    )]
    SigningCertificateMismatch,
    /// Detached content was not supplied to verify against, or encapsulated content is missing.
    #[error("the signed content is not available / 署名対象の内容がありません")]
    NoContent,
    /// A digest value has the wrong length for its algorithm.
    #[error("digest of {actual} octets, {expected} expected / ハッシュ値の長さが不正です")]
    DigestLength {
        /// The algorithm's output length.
        expected: usize,
        /// What was given.
        actual: usize,
    },
    /// The builder has no signer.
    #[error("no signer given / 署名者が指定されていません")]
    NoSigner,
    /// The index names no SignerInfo.
    #[error("no signer info number {0} / 署名者情報 {0} はありません")]
    NoSuchSigner(usize),
    /// The token is not an RFC 3161 time-stamp token.
    #[error("not an RFC 3161 time-stamp token: {0} / タイムスタンプトークンではありません: {0}")]
    NotTimeStampToken(String),
    /// The certificate may not sign time-stamp tokens (RFC 3161 §2.3).
    #[error("not a TSA certificate: {0} / タイムスタンプ局の証明書ではありません: {0}")]
    NotTsaCertificate(String),
    /// The token's message imprint is not the hash of the data given.
    #[error("the time-stamp is for other data / タイムスタンプは別のデータに対するものです")]
    ImprintMismatch,
    /// A time-stamp or validation data could not be obtained (network, TSA refusal); the
    /// message is already bilingual.
    #[error("{0}")]
    Fetch(String),
    /// The XML could not be read, or is not as XML-DSig / XAdES require (hpki-sign::xades).
    #[error("XML error: {0} / XML の誤り: {0}")]
    Xml(String),
    /// The document holds no XAdES signature, or not exactly one (hpki-sign::xades).
    #[error("not a XAdES signature: {0} / XAdES 署名ではありません: {0}")]
    NotXades(String),
    /// A `ds:Reference` digest does not match what it references: the signed data was changed.
    #[error(
        "the digest of reference {0} does not match (the signed data was changed) / 参照 {0} のダイジェスト値が一致しません（改ざんされています）"
    )]
    ReferenceDigestMismatch(String),
    /// An XML-DSig transform or canonicalization this crate does not support.
    #[error("unsupported XML transform {0} / 対応していない XML 変換です: {0}")]
    UnsupportedTransform(String),
    /// The document is not a Japanese e-prescription (電子処方箋) as expected.
    #[error("not an e-prescription: {0} / 電子処方箋の形式ではありません: {0}")]
    Prescription(String),
    /// The PDF cannot be read or updated (malformed, encrypted, no such page…).
    #[error("PDF: {0} / PDF を処理できません")]
    Pdf(String),
    /// The signature does not fit in the space reserved for it in the PDF.
    #[error(
        "the signature needs {needed} octets but {reserved} were reserved / 署名が確保した領域に収まりません（必要 {needed}、確保 {reserved} オクテット）"
    )]
    PdfContentsTooSmall {
        /// The DER length of the CMS object.
        needed: usize,
        /// The octets reserved in /Contents.
        reserved: usize,
    },
}
