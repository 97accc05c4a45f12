//! Identifiers and subjects: small, validated ASCII strings compared byte
//! for byte.
//!
//! Nothing is normalised or case-folded. `nvidia` and `NVIDIA` are two
//! vendors; two implementations agree on equality because there is nothing
//! to agree on but the bytes.

mod owned;

pub use owned::{IdentBuf, SubjectBuf};

use crate::cbor::{Reader, len_u64};
use crate::error::{Detail, Error, ErrorCode, Result};

/// Reads a text string and validates it as an identifier; errors point at
/// the offending byte in the stream.
pub(crate) fn read_ident<'a>(r: &mut Reader<'a>) -> Result<Ident<'a>> {
    r.read_ascii_text(len_u64(MAX_IDENT_LEN), Ident::from_bytes)
}

/// Reads a text string and validates it as a subject.
pub(crate) fn read_subject<'a>(r: &mut Reader<'a>) -> Result<Subject<'a>> {
    let text = r.read_text(len_u64(MAX_SUBJECT_LEN))?;
    let content_at = r.offset().saturating_sub(len_u64(text.len()));
    Subject::new(text).map_err(|e| e.shifted(content_at))
}

/// `[A-Za-z0-9._-]`: a byte an identifier may hold after its first.
const fn is_ident_byte(b: u8) -> bool {
    matches!(b, b'0'..=b'9' | b'A'..=b'Z' | b'a'..=b'z' | b'.' | b'_' | b'-')
}

/// Longest identifier, in bytes.
pub const MAX_IDENT_LEN: usize = 64;
/// Longest subject, in bytes.
pub const MAX_SUBJECT_LEN: usize = 128;

/// A vendor, device API, device type, feature, codec or config kind name:
/// 1–64 bytes of `[A-Za-z0-9._-]`, starting with a letter or digit.
///
/// It holds bytes, not `&str`: an identifier is ASCII, so a decoder that
/// checks the alphabet needs no separate UTF-8 pass (the header path
/// decodes a dozen of them).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ident<'a>(&'a [u8]);

impl<'a> Ident<'a> {
    /// Validates `s` as an identifier.
    ///
    /// # Errors
    ///
    /// [`ErrorCode::InvalidIdentifier`] with the offending byte's index as
    /// the offset (or the length, for an empty or too long string).
    pub fn new(s: &'a str) -> Result<Self> {
        Self::from_bytes(s.as_bytes())
    }

    /// Validates `bytes` as an identifier (which makes them ASCII).
    fn from_bytes(bytes: &'a [u8]) -> Result<Self> {
        if bytes.is_empty() || bytes.len() > MAX_IDENT_LEN {
            return Err(Error::new(ErrorCode::InvalidIdentifier, 0)
                .with_detail(Detail::Limit { limit: len_u64(MAX_IDENT_LEN), found: len_u64(bytes.len()) }));
        }
        let first_ok = bytes.first().is_some_and(u8::is_ascii_alphanumeric);
        let bad = if first_ok { bytes.iter().position(|&b| !is_ident_byte(b)) } else { Some(0) };
        if let Some(i) = bad {
            let b = bytes.get(i).copied().unwrap_or(0);
            return Err(Error::new(ErrorCode::InvalidIdentifier, len_u64(i)).with_detail(Detail::Byte(b)));
        }
        Ok(Self(bytes))
    }

    /// The identifier's text.
    #[must_use]
    pub fn as_str(&self) -> &'a str {
        // Validated ASCII, so this conversion cannot fail.
        core::str::from_utf8(self.0).unwrap_or_default()
    }

    /// The identifier's bytes (ASCII).
    #[must_use]
    pub const fn as_bytes(&self) -> &'a [u8] {
        self.0
    }

    /// An identifier the decoder already validated, read back out of a
    /// validated list encoding (whose iteration would otherwise check each
    /// item again). Never for anything else: it does not validate.
    pub(crate) const fn validated_by_decoder(bytes: &'a [u8]) -> Self {
        Self(bytes)
    }
}

impl core::fmt::Debug for Ident<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_tuple("Ident").field(&self.as_str()).finish()
    }
}

impl core::fmt::Display for Ident<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The VM or instance a state belongs to: 1–128 bytes of printable ASCII
/// without space (0x21–0x7e), such as a UUID or a libvirt domain name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Subject<'a>(&'a str);

impl<'a> Subject<'a> {
    /// Validates `s` as a subject.
    ///
    /// # Errors
    ///
    /// [`ErrorCode::InvalidSubject`] with the offending byte's index.
    pub fn new(s: &'a str) -> Result<Self> {
        let bytes = s.as_bytes();
        if bytes.is_empty() || bytes.len() > MAX_SUBJECT_LEN {
            return Err(Error::new(ErrorCode::InvalidSubject, 0).with_detail(Detail::Limit {
                limit: len_u64(MAX_SUBJECT_LEN),
                found: len_u64(bytes.len()),
            }));
        }
        if let Some(i) = bytes.iter().position(|b| !(0x21..=0x7e).contains(b)) {
            let b = bytes.get(i).copied().unwrap_or(0);
            return Err(Error::new(ErrorCode::InvalidSubject, len_u64(i)).with_detail(Detail::Byte(b)));
        }
        Ok(Self(s))
    }

    /// The subject's text.
    #[must_use]
    pub const fn as_str(&self) -> &'a str {
        self.0
    }

    /// A subject the decoder already validated. It does not validate.
    pub(crate) const fn validated_by_decoder(s: &'a str) -> Self {
        Self(s)
    }
}

impl core::fmt::Display for Subject<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.0)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn real_mdev_type_names_are_identifiers() {
        for s in ["mtty-2", "i915-GVTg_V5_4", "nvidia-35", "vfio_ap-passthrough", "vfio-pci", "a"] {
            assert_eq!(Ident::new(s).unwrap().as_str(), s);
        }
    }

    #[test]
    fn refused_identifiers() {
        let long = "a".repeat(65);
        for (s, at) in [("", 0), (long.as_str(), 0), ("-x", 0), ("a b", 1), ("é", 0), ("a/b", 1)] {
            let e = Ident::new(s).unwrap_err();
            assert_eq!(e.code(), ErrorCode::InvalidIdentifier, "{s:?}");
            assert_eq!(e.offset(), at, "{s:?}");
        }
        assert!(Ident::new(&"a".repeat(64)).is_ok());
    }

    #[test]
    fn no_case_folding() {
        assert_ne!(Ident::new("Intel").unwrap(), Ident::new("intel").unwrap());
    }

    #[test]
    fn subjects() {
        assert!(Subject::new("6f1e3c2a-0b5d-4e1f-9a7c-1d2e3f4a5b6c").is_ok());
        assert_eq!(Subject::new("vm one").unwrap_err().offset(), 2);
        assert_eq!(Subject::new("").unwrap_err().code(), ErrorCode::InvalidSubject);
    }
}
