//! The documents checked at reception (the seed's 「受付時に確認および受領する書類」) and their
//! rules: the 医師免許証, a photo ID of an accepted kind, the 住民票の写し within 3 months.

use serde::{Deserialize, Serialize};
use time::{Date, Month};

use super::*;

/// What the reception officer ticks on receiving the documents (the seed's 「受付時に確認および
/// 受領する書類」). A draft like the form: everything may be missing until
/// [`DocumentChecklist::check`].
#[derive(Clone, Debug, Default, Eq, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DocumentChecklist {
    /// How the 医師免許証 was shown.
    pub license: Option<LicenseEvidence>,
    /// With [`LicenseEvidence::CertifiedCopy`]: the copy bears the registered seal (実印) that
    /// the 印鑑登録証明書 certifies.
    pub license_copy_sealed: bool,
    /// With [`LicenseEvidence::CertifiedCopy`]: issue date of the 印鑑登録証明書.
    pub seal_certificate_issued: Option<Date>,
    /// The kind of photo ID shown.
    pub photo_id: Option<PhotoIdKind>,
    /// The photo ID shown was a copy (refused: 「身分証(コピー不可)」).
    pub photo_id_is_copy: bool,
    /// Issue date of the 住民票の写し (the date of the certification on it).
    pub residence_certificate_issued: Option<Date>,
    /// The applicant's photo for the card was received (uploaded with the form or brought).
    pub photo_received: bool,
}

impl DocumentChecklist {
    /// Checks the documents against the rules of the seed and the reference, returning every
    /// problem at once:
    ///
    /// - the licence: the original, or a copy with the 実印 and a 印鑑登録証明書;
    /// - the 印鑑登録証明書 must be issued within 3 months of reception, like the 住民票 (the
    ///   sources state the 3 months for the 住民票 only; applying it to the seal certificate is
    ///   this project's reading, as for other Japanese procedures that ask for one);
    /// - a photo ID of an accepted kind ([`PhotoIdKind::is_accepted`]), never a copy;
    /// - the 住民票の写し, issued within 3 months of reception (see [`earliest_issue_date`])
    ///   and not after it;
    /// - the applicant's photo.
    pub fn check(&self, reception_date: Date) -> Vec<FieldError> {
        let mut e = Errors::default();
        match self.license {
            None => e.push(
                "license",
                codes::REQUIRED,
                "医師免許証（原本、または実印を押印した写しと印鑑登録証明書）を確認してください"
                    .into(),
                "Check the medical licence: the original, or a copy with the registered seal and the seal registration certificate.".into(),
            ),
            Some(LicenseEvidence::Original) => {}
            Some(LicenseEvidence::CertifiedCopy) => {
                if !self.license_copy_sealed {
                    e.push(
                        "license_copy_sealed",
                        codes::SEAL_MISSING,
                        "医師免許証の写しには実印の押印が必要です".into(),
                        "A copy of the medical licence must bear the registered seal (jitsuin)."
                            .into(),
                    );
                }
                match self.seal_certificate_issued {
                    None => e.push(
                        "seal_certificate_issued",
                        codes::REQUIRED,
                        "医師免許証の写しで申請する場合は印鑑登録証明書が必要です（発行日を入力してください）".into(),
                        "A copy of the medical licence needs the seal registration certificate (enter its issue date).".into(),
                    ),
                    Some(d) => e.issued_within_3_months(
                        "seal_certificate_issued",
                        "印鑑登録証明書",
                        "seal registration certificate",
                        d,
                        reception_date,
                    ),
                }
            }
        }
        match self.photo_id {
            None => e.push(
                "photo_id",
                codes::REQUIRED,
                "身分証（写真付き・原本）を確認してください".into(),
                "Check a photo ID (the original).".into(),
            ),
            Some(kind) if !kind.is_accepted() => e.push(
                "photo_id",
                codes::NOT_ACCEPTED,
                format!(
                    "この身分証は受け付けられません。{}のいずれかを提示してください",
                    accepted_ids(Lang::Ja)
                ),
                format!(
                    "This ID is not accepted; show one of: {}.",
                    accepted_ids(Lang::En)
                ),
            ),
            Some(_) => {}
        }
        if self.photo_id_is_copy {
            e.push(
                "photo_id_is_copy",
                codes::COPY_NOT_ACCEPTED,
                "身分証のコピーは受け付けられません。原本を提示してください".into(),
                "A copy of the photo ID is not accepted; show the original.".into(),
            );
        }
        match self.residence_certificate_issued {
            None => e.push(
                "residence_certificate_issued",
                codes::REQUIRED,
                "住民票の写し（発行日から3か月以内のもの）が必要です（発行日を入力してください）"
                    .into(),
                "A residence certificate issued within 3 months is required (enter its issue date).".into(),
            ),
            Some(d) => e.issued_within_3_months(
                "residence_certificate_issued",
                "住民票の写し",
                "residence certificate (juminhyo)",
                d,
                reception_date,
            ),
        }
        if !self.photo_received {
            e.push(
                "photo_received",
                codes::REQUIRED,
                "申請者の写真を受け取ってください".into(),
                "The applicant's photo has not been received.".into(),
            );
        }
        e.0
    }
}

pub(super) fn accepted_ids(lang: Lang) -> String {
    let sep = match lang {
        Lang::Ja => "・",
        Lang::En => ", ",
    };
    PhotoIdKind::ALL
        .iter()
        .filter(|k| k.is_accepted())
        .map(|k| k.label(lang))
        .collect::<Vec<_>>()
        .join(sep)
}

/// The earliest issue date a document received on `reception_date` may carry to count as issued
/// "within 3 months" (発行日から3ヶ月以内): the same day of the month three calendar months
/// before, or the last day of that month when it is shorter. The document is accepted if it was
/// issued on or after this date (and not after reception).
///
/// Reception 2026-05-15 → 2026-02-15; 2026-05-31 → 2026-02-28; 2026-03-31 → 2025-12-31;
/// 2024-05-30 → 2024-02-29.
pub fn earliest_issue_date(reception_date: Date) -> Date {
    let months = reception_date.year() * 12 + i32::from(u8::from(reception_date.month())) - 1 - 3;
    let year = months.div_euclid(12);
    let month = u8::try_from(months.rem_euclid(12) + 1)
        .ok()
        .and_then(|m| Month::try_from(m).ok())
        .unwrap_or(Month::January);
    let day = reception_date.day().min(month.length(year));
    Date::from_calendar_date(year, month, day).unwrap_or(Date::MIN)
}
