//! The signature dictionary written with room for its value: `/ByteRange` and `/Contents`
//! are patched in place once the update is written (ISO 32000-1 §12.8.1).

use lopdf::{Object, Writer};

use super::incremental::{pdf_error, pdf_refusal};
use crate::{DigestAlgorithm, SignError};

/// A signature dictionary with room for `reserve` octets of `/Contents`, and where to patch it.
pub(super) struct Placeholder {
    pub(super) body: Vec<u8>,
    /// Offset in `body` of the `/ByteRange` array's `[`.
    byte_range_at: usize,
    /// Offset in `body` of the `/Contents` string's `<`.
    contents_at: usize,
    /// Octets of `/Contents` (hex digits / 2).
    reserve: usize,
}

/// The width of the `/ByteRange` placeholder: `[0 ` and three 10-digit numbers.
const BYTE_RANGE_LEN: usize = 1 + 1 + 3 * 11 + 1;

impl Placeholder {
    /// `<<entries /ByteRange [...] /Contents <00…>>>`.
    pub(super) fn new(entries: &[(&str, Object)], reserve: usize) -> Result<Self, SignError> {
        let mut body = b"<<".to_vec();
        for (key, value) in entries {
            Writer::write_object(&mut body, &Object::Name(key.as_bytes().to_vec()))
                .map_err(pdf_error)?;
            body.push(b' ');
            Writer::write_object(&mut body, value).map_err(pdf_error)?;
        }
        body.extend_from_slice(b"/ByteRange ");
        let byte_range_at = body.len();
        body.extend_from_slice(&[b' '; BYTE_RANGE_LEN]);
        body.extend_from_slice(b"/Contents ");
        let contents_at = body.len();
        body.push(b'<');
        body.extend(std::iter::repeat_n(b'0', reserve * 2));
        body.extend_from_slice(b">>>");
        Ok(Placeholder {
            body,
            byte_range_at,
            contents_at,
            reserve,
        })
    }
}

/// A written placeholder: the file, the byte range, and where `/Contents` goes.
pub(super) struct Prepared {
    bytes: Vec<u8>,
    /// Offset of the first hex digit of `/Contents`.
    hex_at: usize,
    reserve: usize,
    byte_range: [usize; 4],
}

impl Prepared {
    /// Fills in `/ByteRange` for `placeholder` written at `body_offset` of `bytes`
    /// (ISO 32000-1 §12.8.1: everything but the `/Contents` string, `<` and `>` included).
    pub(super) fn new(
        mut bytes: Vec<u8>,
        body_offset: usize,
        placeholder: &Placeholder,
    ) -> Result<Self, SignError> {
        let lt = body_offset + placeholder.contents_at;
        let after = lt + 2 + placeholder.reserve * 2;
        let byte_range = [0, lt, after, bytes.len() - after];
        let text = format!("[0 {} {} {}]", byte_range[1], byte_range[2], byte_range[3]);
        if text.len() > BYTE_RANGE_LEN {
            return Err(pdf_refusal(
                "ファイルが大きすぎます",
                "the file is too large to sign",
            ));
        }
        let at = body_offset + placeholder.byte_range_at;
        bytes[at..at + text.len()].copy_from_slice(text.as_bytes());
        Ok(Prepared {
            bytes,
            hex_at: lt + 1,
            reserve: placeholder.reserve,
            byte_range,
        })
    }

    /// The hash of the signed parts.
    pub(super) fn digest(&self, algorithm: DigestAlgorithm) -> Vec<u8> {
        let [_, a, b, _] = self.byte_range;
        algorithm.digest_parts(&[&self.bytes[..a], &self.bytes[b..]])
    }

    /// The file with `der` in `/Contents` (hex, zero-padded).
    pub(super) fn fill(mut self, der: &[u8]) -> Result<Vec<u8>, SignError> {
        if der.len() > self.reserve {
            return Err(SignError::PdfContentsTooSmall {
                needed: der.len(),
                reserved: self.reserve,
            });
        }
        const HEX: &[u8; 16] = b"0123456789ABCDEF";
        for (i, byte) in der.iter().enumerate() {
            self.bytes[self.hex_at + 2 * i] = HEX[usize::from(byte >> 4)];
            self.bytes[self.hex_at + 2 * i + 1] = HEX[usize::from(byte & 0x0F)];
        }
        Ok(self.bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_placeholder_is_patched_in_place() {
        let p = Placeholder::new(&[("Type", Object::Name(b"Sig".to_vec()))], 4).unwrap();
        let mut file = b"0123".to_vec();
        file.extend_from_slice(&p.body);
        file.extend_from_slice(b"tail");
        let prepared = Prepared::new(file, 4, &p).unwrap();
        let text = String::from_utf8(prepared.bytes.clone()).unwrap();
        let [_, a, b, c] = prepared.byte_range;
        assert_eq!(&text[a..b], "<00000000>");
        assert_eq!(a + (b - a) + c, text.len());
        assert!(
            text.contains(&format!("/ByteRange [0 {a} {b} {c}]")),
            "{text}"
        );
        let filled = prepared.fill(&[0xAB, 0xCD]).unwrap();
        assert!(String::from_utf8(filled).unwrap().contains("<ABCD0000>"));
        let prepared = Prepared::new(text.into_bytes(), 4, &p).unwrap();
        assert!(matches!(
            prepared.fill(&[0; 5]),
            Err(SignError::PdfContentsTooSmall {
                needed: 5,
                reserved: 4
            })
        ));
    }
}
