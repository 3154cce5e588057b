//! The applicant's photo, uploaded with the form and printed on the card face.

use serde::{Deserialize, Serialize};

use super::*;

/// The image format of an uploaded [`ApplicantPhoto`].
#[derive(Clone, Copy, Debug, Eq, PartialEq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PhotoFormat {
    /// JPEG.
    Jpeg,
    /// PNG.
    Png,
}

impl PhotoFormat {
    /// The media type (`image/jpeg`, `image/png`).
    pub fn media_type(self) -> &'static str {
        match self {
            PhotoFormat::Jpeg => "image/jpeg",
            PhotoFormat::Png => "image/png",
        }
    }
}

/// Largest applicant photo accepted for upload (a technical limit of this project, not a rule of
/// the sources: the card face prints it 18 × 24 mm at 300 dpi, well under this).
pub const MAX_PHOTO_BYTES: usize = 5 * 1024 * 1024;

/// The applicant's photo, uploaded with the form (it is printed on the card face). The form keeps
/// only this description; the store keeps the bytes under [`ApplicantPhoto::sha256`].
#[derive(Clone, Debug, Eq, PartialEq, Serialize, Deserialize)]
pub struct ApplicantPhoto {
    /// JPEG or PNG.
    pub format: PhotoFormat,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Size of the file in bytes.
    pub byte_len: u64,
    /// SHA-256 of the file, lower-case hex: the key the bytes are stored under.
    pub sha256: String,
}

impl ApplicantPhoto {
    /// Checks an uploaded file: a JPEG or PNG image that decodes whole (the card face accepts
    /// nothing else, [`hpki_cardface::Photo`]), at most [`MAX_PHOTO_BYTES`]. Errors are on the
    /// field `photo`.
    pub fn inspect(bytes: &[u8]) -> Result<ApplicantPhoto, FieldError> {
        if bytes.len() > MAX_PHOTO_BYTES {
            return Err(FieldError::new(
                "photo",
                codes::PHOTO_TOO_LARGE,
                format!(
                    "申請者写真のファイルが大きすぎます（{}MBまで）",
                    MAX_PHOTO_BYTES / (1024 * 1024)
                ),
                format!(
                    "The applicant photo is too large (at most {} MB).",
                    MAX_PHOTO_BYTES / (1024 * 1024)
                ),
            ));
        }
        let invalid = || {
            FieldError::new(
                "photo",
                codes::INVALID_PHOTO,
                "申請者写真はJPEGまたはPNG形式の画像を選んでください".into(),
                "The applicant photo must be a JPEG or PNG image.".into(),
            )
        };
        // The card face's own check: a JPEG or PNG that decodes whole, of a bounded size.
        let photo = hpki_cardface::Photo::from_bytes(bytes.to_vec()).map_err(|_| invalid())?;
        let format = match photo.kind() {
            hpki_cardface::PhotoKind::Jpeg => PhotoFormat::Jpeg,
            hpki_cardface::PhotoKind::Png => PhotoFormat::Png,
        };
        let (width, height) = (photo.width(), photo.height());
        Ok(ApplicantPhoto {
            format,
            width,
            height,
            byte_len: bytes.len() as u64,
            sha256: hex::encode(Sha256::digest(bytes)),
        })
    }
}
