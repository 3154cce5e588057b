//! RFC 3161 Time-Stamp Protocol (TSP) message types.
//!
//! The types mirror the ASN.1 module of [RFC 3161 Appendix C] one to one (in the style of the
//! RustCrypto `formats` crates): one Rust type per ASN.1 type, one public field per component,
//! with the tagging of the ASN.1 definition. The module is `DEFINITIONS IMPLICIT TAGS`, so
//! context-specific tags are IMPLICIT, except where the tagged type is a CHOICE (`tsa [0]
//! GeneralName`), which X.680 always tags EXPLICIT.
//!
//! - Request: [`TimeStampReq`], [`MessageImprint`] ([RFC 3161 Section 2.4.1]).
//! - Response: [`TimeStampResp`], [`PkiStatusInfo`], [`PkiStatus`], [`PkiFailureInfo`],
//!   [`PkiFreeText`] ([RFC 3161 Section 2.4.2], from RFC 4210 Section 5.2.3).
//! - The token content: [`TstInfo`], [`Accuracy`], [`GenTime`] ([RFC 3161 Section 2.4.2]). The
//!   token itself is a CMS `ContentInfo` holding a `SignedData` whose encapsulated content is the
//!   DER of a [`TstInfo`] with content type [`ID_CT_TST_INFO`].
//!
//! Signing, verification and hashing are out of scope: this module is pure data.
//!
//! [RFC 3161 Appendix C]: https://datatracker.ietf.org/doc/html/rfc3161#appendix-C
//! [RFC 3161 Section 2.4.1]: https://datatracker.ietf.org/doc/html/rfc3161#section-2.4.1
//! [RFC 3161 Section 2.4.2]: https://datatracker.ietf.org/doc/html/rfc3161#section-2.4.2

use cms::content_info::ContentInfo;
use const_oid::ObjectIdentifier;
use der::asn1::{BitString, Int, OctetString};
use der::{
    DateTime, DecodeValue, EncodeValue, Enumerated, ErrorKind, FixedTag, Header, Length, Reader,
    Sequence, Tag, Writer,
};
use spki::AlgorithmIdentifierOwned;
use x509_cert::ext::Extensions;
use x509_cert::ext::pkix::name::GeneralName;

/// `id-ct-TSTInfo` (1.2.840.113549.1.9.16.1.4): the `eContentType` of a time-stamp token
/// ([RFC 3161 Section 2.4.2]).
///
/// [RFC 3161 Section 2.4.2]: https://datatracker.ietf.org/doc/html/rfc3161#section-2.4.2
pub const ID_CT_TST_INFO: ObjectIdentifier = const_oid::db::rfc3161::ID_CT_TST_INFO;

/// `id-aa-timeStampToken` (1.2.840.113549.1.9.16.2.14): the unsigned attribute carrying a
/// time-stamp token over a signature ([RFC 3161 Appendix A]; CAdES signature time-stamp).
///
/// [RFC 3161 Appendix A]: https://datatracker.ietf.org/doc/html/rfc3161#appendix-A
pub const ID_AA_TIME_STAMP_TOKEN: ObjectIdentifier = const_oid::db::rfc3161::ID_AA_TIME_STAMP_TOKEN;

/// `id-kp-timeStamping` (1.3.6.1.5.5.7.3.8): the extended key usage a TSA certificate must
/// carry, alone and critical ([RFC 3161 Section 2.3]).
///
/// [RFC 3161 Section 2.3]: https://datatracker.ietf.org/doc/html/rfc3161#section-2.3
pub const ID_KP_TIME_STAMPING: ObjectIdentifier = const_oid::db::rfc5280::ID_KP_TIME_STAMPING;

/// The only version of TSP messages, `v1(1)` ([RFC 3161 Section 2.4.1], [Section 2.4.2]).
///
/// ```text
/// version INTEGER { v1(1) }
/// ```
///
/// The named number list does not constrain the INTEGER, so requests of another version decode
/// (as a plain integer) and a TSA refuses them itself.
///
/// [RFC 3161 Section 2.4.1]: https://datatracker.ietf.org/doc/html/rfc3161#section-2.4.1
/// [Section 2.4.2]: https://datatracker.ietf.org/doc/html/rfc3161#section-2.4.2
pub const TSP_V1: u32 = 1;

/// A time-stamp request ([RFC 3161 Section 2.4.1]).
///
/// ```text
/// TimeStampReq ::= SEQUENCE  {
///    version                      INTEGER  { v1(1) },
///    messageImprint               MessageImprint,
///      --a hash algorithm OID and the hash value of the data to be
///      --time-stamped
///    reqPolicy             TSAPolicyId              OPTIONAL,
///    nonce                 INTEGER                  OPTIONAL,
///    certReq               BOOLEAN                  DEFAULT FALSE,
///    extensions            [0] IMPLICIT Extensions  OPTIONAL  }
///
/// TSAPolicyId ::= OBJECT IDENTIFIER
/// ```
///
/// [RFC 3161 Section 2.4.1]: https://datatracker.ietf.org/doc/html/rfc3161#section-2.4.1
#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
pub struct TimeStampReq {
    /// `version`: [`TSP_V1`].
    pub version: u32,

    /// `messageImprint`: the hash of the data to be time-stamped.
    pub message_imprint: MessageImprint,

    /// `reqPolicy`: the TSA policy the requester asks for, if any.
    pub req_policy: Option<ObjectIdentifier>,

    /// `nonce`: a large random number the TSA echoes in [`TstInfo::nonce`]. Kept as received
    /// (two's complement, minimal), so echoing it is byte-exact.
    pub nonce: Option<Int>,

    /// `certReq DEFAULT FALSE`: whether the TSA's certificate must be in the token's
    /// `certificates`.
    #[asn1(default = "Default::default")]
    pub cert_req: bool,

    /// `extensions [0] IMPLICIT`: request extensions (none is defined by RFC 3161).
    #[asn1(context_specific = "0", tag_mode = "IMPLICIT", optional = "true")]
    pub extensions: Option<Extensions>,
}

/// The hash of the time-stamped data ([RFC 3161 Section 2.4.1]).
///
/// ```text
/// MessageImprint ::= SEQUENCE  {
///      hashAlgorithm                AlgorithmIdentifier,
///      hashedMessage                OCTET STRING  }
/// ```
///
/// [RFC 3161 Section 2.4.1]: https://datatracker.ietf.org/doc/html/rfc3161#section-2.4.1
#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
pub struct MessageImprint {
    /// `hashAlgorithm`: e.g. `id-sha256`; its parameters are copied into the token unchanged.
    pub hash_algorithm: AlgorithmIdentifierOwned,

    /// `hashedMessage`: the hash value; its length must match the algorithm.
    pub hashed_message: OctetString,
}

/// A time-stamp response ([RFC 3161 Section 2.4.2]).
///
/// ```text
/// TimeStampResp ::= SEQUENCE  {
///      status                  PKIStatusInfo,
///      timeStampToken          TimeStampToken     OPTIONAL  }
///
/// TimeStampToken ::= ContentInfo
///      -- contentType is id-signedData ([CMS])
///      -- content is SignedData ([CMS])
/// ```
///
/// [RFC 3161 Section 2.4.2]: https://datatracker.ietf.org/doc/html/rfc3161#section-2.4.2
#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
pub struct TimeStampResp {
    /// `status`.
    pub status: PkiStatusInfo,

    /// `timeStampToken`: present when the status is granted or grantedWithMods, absent
    /// otherwise.
    pub time_stamp_token: Option<ContentInfo>,
}

impl TimeStampResp {
    /// A `granted` response carrying `token` ([RFC 3161 Section 2.4.2]).
    ///
    /// [RFC 3161 Section 2.4.2]: https://datatracker.ietf.org/doc/html/rfc3161#section-2.4.2
    pub fn granted(token: ContentInfo) -> Self {
        TimeStampResp {
            status: PkiStatusInfo {
                status: PkiStatus::Granted,
                status_string: None,
                fail_info: None,
            },
            time_stamp_token: Some(token),
        }
    }

    /// A `rejection` response without a token, with the reason as `failInfo` and, when given,
    /// a human-readable `statusString` ([RFC 3161 Section 2.4.2]).
    ///
    /// [RFC 3161 Section 2.4.2]: https://datatracker.ietf.org/doc/html/rfc3161#section-2.4.2
    pub fn rejection(fail_info: PkiFailureInfo, texts: Vec<String>) -> Self {
        TimeStampResp {
            status: PkiStatusInfo {
                status: PkiStatus::Rejection,
                status_string: (!texts.is_empty()).then_some(texts),
                fail_info: Some(fail_info),
            },
            time_stamp_token: None,
        }
    }
}

/// The status of a response ([RFC 3161 Section 2.4.2], from RFC 4210 Section 5.2.3).
///
/// ```text
/// PKIStatusInfo ::= SEQUENCE {
///     status        PKIStatus,
///     statusString  PKIFreeText     OPTIONAL,
///     failInfo      PKIFailureInfo  OPTIONAL  }
/// ```
///
/// [RFC 3161 Section 2.4.2]: https://datatracker.ietf.org/doc/html/rfc3161#section-2.4.2
#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
pub struct PkiStatusInfo {
    /// `status`.
    pub status: PkiStatus,

    /// `statusString`: text for a human (the TSA's reason).
    pub status_string: Option<PkiFreeText>,

    /// `failInfo`: why the request was rejected.
    pub fail_info: Option<PkiFailureInfo>,
}

/// `PKIFreeText` (RFC 4210 Section 5.1.1): one or more UTF-8 texts, each optionally tagged
/// with a language (RFC 3066) by the sender.
///
/// ```text
/// PKIFreeText ::= SEQUENCE SIZE (1..MAX) OF UTF8String
/// ```
pub type PkiFreeText = Vec<String>;

/// The status of a time-stamp response ([RFC 3161 Section 2.4.2]).
///
/// ```text
/// PKIStatus ::= INTEGER {
///     granted                (0),
///     -- when the PKIStatus contains the value zero a TimeStampToken, as
///        requested, is present.
///     grantedWithMods        (1),
///      -- when the PKIStatus contains the value one a TimeStampToken,
///        with modifications, is present.
///     rejection              (2),
///     waiting                (3),
///     revocationWarning      (4),
///      -- this message contains a warning that a revocation is
///      -- imminent
///     revocationNotification (5)
///      -- notification that a revocation has occurred  }
/// ```
///
/// [RFC 3161 Section 2.4.2]: https://datatracker.ietf.org/doc/html/rfc3161#section-2.4.2
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Enumerated)]
#[asn1(type = "INTEGER")]
#[repr(u8)]
pub enum PkiStatus {
    /// `granted(0)`: the token is present.
    Granted = 0,
    /// `grantedWithMods(1)`: a token with modifications is present.
    GrantedWithMods = 1,
    /// `rejection(2)`.
    Rejection = 2,
    /// `waiting(3)`.
    Waiting = 3,
    /// `revocationWarning(4)`: a revocation is imminent.
    RevocationWarning = 4,
    /// `revocationNotification(5)`: a revocation has occurred.
    RevocationNotification = 5,
}

/// Why a request was rejected: a named BIT STRING ([RFC 3161 Section 2.4.2]).
///
/// ```text
/// PKIFailureInfo ::= BIT STRING {
///     badAlg               (0),
///       -- unrecognized or unsupported Algorithm Identifier
///     badRequest           (2),
///       -- transaction not permitted or supported
///     badDataFormat        (5),
///       -- the data submitted has the wrong format
///     timeNotAvailable    (14),
///       -- the TSA's time source is not available
///     unacceptedPolicy    (15),
///       -- the requested TSA policy is not supported by the TSA.
///     unacceptedExtension (16),
///       -- the requested extension is not supported by the TSA.
///     addInfoNotAvailable (17)
///       -- the additional information requested could not be understood
///       -- or is not available
///     systemFailure       (25)
///       -- the request cannot be handled due to system failure  }
/// ```
///
/// Held as a bit mask (bit `n` of the ASN.1 is `1 << n`). DER encodes a named BIT STRING
/// without trailing zero bits (X.690 Section 11.2.2), which [`EncodeValue`] does.
///
/// [RFC 3161 Section 2.4.2]: https://datatracker.ietf.org/doc/html/rfc3161#section-2.4.2
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct PkiFailureInfo(pub u32);

impl PkiFailureInfo {
    /// `badAlg (0)`: unrecognized or unsupported algorithm identifier.
    pub const BAD_ALG: Self = Self(1 << 0);
    /// `badRequest (2)`: transaction not permitted or supported.
    pub const BAD_REQUEST: Self = Self(1 << 2);
    /// `badDataFormat (5)`: the data submitted has the wrong format.
    pub const BAD_DATA_FORMAT: Self = Self(1 << 5);
    /// `timeNotAvailable (14)`: the TSA's time source is not available.
    pub const TIME_NOT_AVAILABLE: Self = Self(1 << 14);
    /// `unacceptedPolicy (15)`: the requested TSA policy is not supported.
    pub const UNACCEPTED_POLICY: Self = Self(1 << 15);
    /// `unacceptedExtension (16)`: the requested extension is not supported.
    pub const UNACCEPTED_EXTENSION: Self = Self(1 << 16);
    /// `addInfoNotAvailable (17)`: the additional information is not available.
    pub const ADD_INFO_NOT_AVAILABLE: Self = Self(1 << 17);
    /// `systemFailure (25)`: the request cannot be handled due to system failure.
    pub const SYSTEM_FAILURE: Self = Self(1 << 25);

    /// Whether every bit of `other` is set.
    pub fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }

    /// The ASN.1 name of each set bit RFC 3161 names, in bit order.
    pub fn names(self) -> Vec<&'static str> {
        const NAMES: [(u32, &str); 8] = [
            (0, "badAlg"),
            (2, "badRequest"),
            (5, "badDataFormat"),
            (14, "timeNotAvailable"),
            (15, "unacceptedPolicy"),
            (16, "unacceptedExtension"),
            (17, "addInfoNotAvailable"),
            (25, "systemFailure"),
        ];
        NAMES
            .iter()
            .filter(|(bit, _)| self.0 & (1 << bit) != 0)
            .map(|(_, name)| *name)
            .collect()
    }

    /// The DER BIT STRING: bit 0 is the most significant bit of the first octet, trailing zero
    /// bits removed.
    fn to_bit_string(self) -> der::Result<BitString> {
        if self.0 == 0 {
            return BitString::new(0, Vec::new());
        }
        let highest = 31 - self.0.leading_zeros(); // index of the last set bit
        let len = (highest / 8 + 1) as usize;
        let mut bytes = vec![0u8; len];
        for bit in 0..=highest {
            if self.0 & (1 << bit) != 0 {
                bytes[(bit / 8) as usize] |= 0x80 >> (bit % 8);
            }
        }
        let unused = (7 - highest % 8) as u8;
        BitString::new(unused, bytes)
    }

    fn from_bit_string(bits: &BitString) -> der::Result<Self> {
        let mut value = 0u32;
        for (i, bit) in bits.bits().enumerate() {
            if bit {
                if i >= 32 {
                    return Err(ErrorKind::Value {
                        tag: Tag::BitString,
                    }
                    .into());
                }
                value |= 1 << i;
            }
        }
        Ok(Self(value))
    }
}

impl std::ops::BitOr for PkiFailureInfo {
    type Output = Self;
    fn bitor(self, rhs: Self) -> Self {
        Self(self.0 | rhs.0)
    }
}

impl FixedTag for PkiFailureInfo {
    const TAG: Tag = Tag::BitString;
}

impl EncodeValue for PkiFailureInfo {
    fn value_len(&self) -> der::Result<Length> {
        self.to_bit_string()?.value_len()
    }

    fn encode_value(&self, writer: &mut impl Writer) -> der::Result<()> {
        self.to_bit_string()?.encode_value(writer)
    }
}

impl<'a> DecodeValue<'a> for PkiFailureInfo {
    type Error = der::Error;

    fn decode_value<R: Reader<'a>>(reader: &mut R, header: Header) -> der::Result<Self> {
        Self::from_bit_string(&BitString::decode_value(reader, header)?)
    }
}

/// The content of a time-stamp token: what the TSA signs ([RFC 3161 Section 2.4.2]).
///
/// ```text
/// TSTInfo ::= SEQUENCE  {
///    version                      INTEGER  { v1(1) },
///    policy                       TSAPolicyId,
///    messageImprint               MessageImprint,
///      -- MUST have the same value as the similar field in
///      -- TimeStampReq
///    serialNumber                 INTEGER,
///     -- Time-Stamping users MUST be ready to accommodate integers
///     -- up to 160 bits.
///    genTime                      GeneralizedTime,
///    accuracy                     Accuracy                 OPTIONAL,
///    ordering                     BOOLEAN             DEFAULT FALSE,
///    nonce                        INTEGER                  OPTIONAL,
///      -- MUST be present if the similar field was present
///      -- in TimeStampReq.  In that case it MUST have the same value.
///    tsa                          [0] GeneralName          OPTIONAL,
///    extensions                   [1] IMPLICIT Extensions   OPTIONAL  }
/// ```
///
/// `tsa [0] GeneralName` is EXPLICIT: `GeneralName` is a CHOICE, which cannot be tagged
/// implicitly (X.680 Section 31.2.7), so the module's IMPLICIT default does not apply.
///
/// [RFC 3161 Section 2.4.2]: https://datatracker.ietf.org/doc/html/rfc3161#section-2.4.2
#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
pub struct TstInfo {
    /// `version`: [`TSP_V1`].
    pub version: u32,

    /// `policy`: the TSA policy under which the token was issued.
    pub policy: ObjectIdentifier,

    /// `messageImprint`: the request's, unchanged.
    pub message_imprint: MessageImprint,

    /// `serialNumber`: unique for each token of this TSA (up to 160 bits).
    pub serial_number: Int,

    /// `genTime`: when the token was created (UTC, optionally with fractional seconds).
    pub gen_time: GenTime,

    /// `accuracy`: the time deviation around `genTime`.
    pub accuracy: Option<Accuracy>,

    /// `ordering DEFAULT FALSE`: whether tokens of this TSA can be ordered by `genTime` alone.
    #[asn1(default = "Default::default")]
    pub ordering: bool,

    /// `nonce`: the request's nonce, unchanged.
    pub nonce: Option<Int>,

    /// `tsa [0] GeneralName`: a name of the TSA (the subject of its certificate, as a
    /// directoryName).
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    pub tsa: Option<GeneralName>,

    /// `extensions [1] IMPLICIT`.
    #[asn1(context_specific = "1", tag_mode = "IMPLICIT", optional = "true")]
    pub extensions: Option<Extensions>,
}

/// The accuracy of `genTime` ([RFC 3161 Section 2.4.2]).
///
/// ```text
/// Accuracy ::= SEQUENCE {
///          seconds        INTEGER              OPTIONAL,
///          millis     [0] INTEGER  (1..999)    OPTIONAL,
///          micros     [1] INTEGER  (1..999)    OPTIONAL  }
/// ```
///
/// A missing field means 0. The range constraints are not enforced on decoding;
/// [`Accuracy::is_valid`] checks them.
///
/// [RFC 3161 Section 2.4.2]: https://datatracker.ietf.org/doc/html/rfc3161#section-2.4.2
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Sequence)]
pub struct Accuracy {
    /// `seconds`.
    pub seconds: Option<u32>,

    /// `millis [0] IMPLICIT INTEGER (1..999)`.
    #[asn1(context_specific = "0", tag_mode = "IMPLICIT", optional = "true")]
    pub millis: Option<u16>,

    /// `micros [1] IMPLICIT INTEGER (1..999)`.
    #[asn1(context_specific = "1", tag_mode = "IMPLICIT", optional = "true")]
    pub micros: Option<u16>,
}

impl Accuracy {
    /// Whether `millis` and `micros`, when present, are within 1..999.
    pub fn is_valid(&self) -> bool {
        [self.millis, self.micros]
            .iter()
            .all(|v| v.is_none_or(|v| (1..=999).contains(&v)))
    }

    /// The accuracy in microseconds.
    pub fn as_micros(&self) -> u64 {
        u64::from(self.seconds.unwrap_or(0)) * 1_000_000
            + u64::from(self.millis.unwrap_or(0)) * 1_000
            + u64::from(self.micros.unwrap_or(0))
    }
}

/// The `genTime` of a [`TstInfo`]: a GeneralizedTime in UTC that may carry fractional seconds
/// ([RFC 3161 Section 2.4.2]).
///
/// ```text
/// genTime GeneralizedTime
///   -- YYYYMMDDhhmmss[.s...]Z; the fraction, when present, without trailing zeros
///   -- (and without the point when it would be empty)
/// ```
///
/// `der::asn1::GeneralizedTime` follows the RFC 5280 profile, which forbids fractions; RFC 3161
/// allows them ("19990609001326.34352Z"), so this type keeps them, to the nanosecond. Encoding
/// is DER: the fraction's trailing zeros removed, no fraction when it is zero.
///
/// [RFC 3161 Section 2.4.2]: https://datatracker.ietf.org/doc/html/rfc3161#section-2.4.2
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct GenTime {
    /// The time to the second.
    pub date_time: DateTime,
    /// The fraction of the second, in nanoseconds (0..1_000_000_000).
    pub nanos: u32,
}

impl GenTime {
    /// The time `unix` after the Unix epoch, to the nanosecond.
    ///
    /// # Errors
    /// If the time is outside what `GeneralizedTime` can express (years 1970–9999).
    pub fn from_unix_duration(unix: std::time::Duration) -> der::Result<Self> {
        let date_time =
            DateTime::from_unix_duration(std::time::Duration::from_secs(unix.as_secs()))
                .map_err(|_| Tag::GeneralizedTime.value_error())?;
        Ok(GenTime {
            date_time,
            nanos: unix.subsec_nanos(),
        })
    }

    /// The time since the Unix epoch.
    pub fn to_unix_duration(&self) -> std::time::Duration {
        self.date_time.unix_duration() + std::time::Duration::from_nanos(u64::from(self.nanos))
    }

    /// The text of the encoding: `YYYYMMDDhhmmss[.fff…]Z`.
    fn text(&self) -> String {
        let d = &self.date_time;
        let mut s = format!(
            "{:04}{:02}{:02}{:02}{:02}{:02}",
            d.year(),
            d.month(),
            d.day(),
            d.hour(),
            d.minutes(),
            d.seconds()
        );
        if self.nanos > 0 {
            let frac = format!("{:09}", self.nanos);
            s.push('.');
            s.push_str(frac.trim_end_matches('0'));
        }
        s.push('Z');
        s
    }
}

impl FixedTag for GenTime {
    const TAG: Tag = Tag::GeneralizedTime;
}

impl EncodeValue for GenTime {
    fn value_len(&self) -> der::Result<Length> {
        Length::try_from(self.text().len())
    }

    fn encode_value(&self, writer: &mut impl Writer) -> der::Result<()> {
        writer.write(self.text().as_bytes())
    }
}

impl<'a> DecodeValue<'a> for GenTime {
    type Error = der::Error;

    fn decode_value<R: Reader<'a>>(reader: &mut R, header: Header) -> der::Result<Self> {
        let bytes = reader.read_vec(header.length())?;
        parse_gen_time(&bytes).ok_or_else(|| Tag::GeneralizedTime.value_error().into())
    }
}

/// Parses `YYYYMMDDhhmmss[.f…]Z` as DER allows it (RFC 3161 Section 2.4.2, X.690 Section
/// 11.7): UTC, seconds present, a fraction of 1 to 9 digits not ending in 0.
fn parse_gen_time(bytes: &[u8]) -> Option<GenTime> {
    let (body, zulu) = bytes.split_at_checked(bytes.len().checked_sub(1)?)?;
    if zulu != b"Z" || body.len() < 14 {
        return None;
    }
    let (main, frac) = body.split_at(14);
    if !main.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let num = |range: std::ops::Range<usize>| -> Option<u16> {
        std::str::from_utf8(&main[range]).ok()?.parse().ok()
    };
    let date_time = DateTime::new(
        num(0..4)?,
        u8::try_from(num(4..6)?).ok()?,
        u8::try_from(num(6..8)?).ok()?,
        u8::try_from(num(8..10)?).ok()?,
        u8::try_from(num(10..12)?).ok()?,
        u8::try_from(num(12..14)?).ok()?,
    )
    .ok()?;
    let nanos = match frac {
        [] => 0,
        [b'.', digits @ ..] => {
            if digits.is_empty()
                || digits.len() > 9
                || !digits.iter().all(u8::is_ascii_digit)
                || digits.last() == Some(&b'0')
            {
                return None;
            }
            let mut n: u32 = std::str::from_utf8(digits).ok()?.parse().ok()?;
            for _ in digits.len()..9 {
                n *= 10;
            }
            n
        }
        _ => return None,
    };
    Some(GenTime { date_time, nanos })
}

#[cfg(test)]
mod tests {
    use super::*;
    use der::{Decode, Encode};

    #[test]
    fn failure_info_encodes_as_der_named_bits() {
        let cases: [(PkiFailureInfo, &[u8]); 5] = [
            (PkiFailureInfo::BAD_ALG, &[0x03, 0x02, 0x07, 0x80]),
            (PkiFailureInfo::BAD_DATA_FORMAT, &[0x03, 0x02, 0x02, 0x04]),
            (
                PkiFailureInfo::UNACCEPTED_POLICY,
                &[0x03, 0x03, 0x00, 0x00, 0x01],
            ),
            (
                PkiFailureInfo::SYSTEM_FAILURE,
                &[0x03, 0x05, 0x06, 0x00, 0x00, 0x00, 0x40],
            ),
            (
                PkiFailureInfo::BAD_ALG | PkiFailureInfo::BAD_REQUEST,
                &[0x03, 0x02, 0x05, 0xA0],
            ),
        ];
        for (info, der) in cases {
            assert_eq!(info.to_der().unwrap(), der, "{:?}", info.names());
            assert_eq!(PkiFailureInfo::from_der(der).unwrap(), info);
        }
        assert_eq!(
            (PkiFailureInfo::BAD_ALG | PkiFailureInfo::SYSTEM_FAILURE).names(),
            ["badAlg", "systemFailure"]
        );
    }

    #[test]
    fn gen_time_keeps_fractions_in_der_form() {
        for text in [
            "19990609001326.34352Z",
            "20261130152252.476Z",
            "20261130152252Z",
            "20261130152252.000000001Z",
        ] {
            let mut der = vec![0x18, text.len() as u8];
            der.extend_from_slice(text.as_bytes());
            let t = GenTime::from_der(&der).unwrap();
            assert_eq!(t.to_der().unwrap(), der, "{text}");
        }
        for bad in [
            "20261130152252.470Z", // trailing zero
            "20261130152252.Z",    // empty fraction
            "20261130152252",      // no Z
            "202611301522Z",       // no seconds
            "20261130152252+0900", // not UTC
            "20261330152252Z",     // month 13
        ] {
            let mut der = vec![0x18, bad.len() as u8];
            der.extend_from_slice(bad.as_bytes());
            assert!(GenTime::from_der(&der).is_err(), "{bad}");
        }
        let t = GenTime::from_unix_duration(std::time::Duration::from_millis(1_796_052_172_476))
            .unwrap();
        assert_eq!(t.text(), "20261130152252.476Z");
        assert_eq!(t.to_unix_duration().as_millis(), 1_796_052_172_476);
    }

    #[test]
    fn accuracy_ranges() {
        let a = Accuracy {
            seconds: Some(1),
            millis: Some(500),
            micros: Some(100),
        };
        assert!(a.is_valid());
        assert_eq!(a.as_micros(), 1_500_100);
        assert!(
            !Accuracy {
                millis: Some(1000),
                ..a
            }
            .is_valid()
        );
        assert_eq!(Accuracy::from_der(&a.to_der().unwrap()).unwrap(), a);
    }
}
