//! A small inline copy of an identifier or subject, so an error can name
//! what it found after the input it came from is gone, without allocating.

use core::fmt;

/// Bytes a [`Name`] keeps. Real names (`vfio_ap-passthrough`, a VM UUID)
/// fit; longer ones are shown cut, ending in `...`. The bound keeps the
/// verifier's `Result` small, which matters on a kernel stack.
pub const NAME_CAPACITY: usize = 40;

/// Up to [`NAME_CAPACITY`] bytes of printable ASCII, copied inline.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Name {
    bytes: [u8; NAME_CAPACITY],
    len: u8,
    cut: bool,
}

impl Name {
    /// Copies `s`, cutting it at [`NAME_CAPACITY`] bytes (on a character
    /// boundary; inputs are ASCII anyway).
    #[must_use]
    pub fn new(s: &str) -> Self {
        let mut n = s.len().min(NAME_CAPACITY);
        while !s.is_char_boundary(n) {
            n = n.saturating_sub(1);
        }
        let mut bytes = [0u8; NAME_CAPACITY];
        if let (Some(dst), Some(src)) = (bytes.get_mut(..n), s.as_bytes().get(..n)) {
            migseal_format::bytes::copy_prefix(dst, src);
        }
        Self { bytes, len: u8::try_from(n).unwrap_or(0), cut: n < s.len() }
    }

    /// The copied text (without the ellipsis of a cut name).
    #[must_use]
    pub fn as_str(&self) -> &str {
        let bytes = self.bytes.get(..usize::from(self.len)).unwrap_or(&[]);
        core::str::from_utf8(bytes).unwrap_or("")
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())?;
        // ASCII, so C callers and kernel logs show it as it is.
        if self.cut { f.write_str("...") } else { Ok(()) }
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.as_str())
    }
}

impl From<migseal_format::Ident<'_>> for Name {
    fn from(i: migseal_format::Ident<'_>) -> Self {
        Self::new(i.as_str())
    }
}

/// A key id, shown whole as 64 hex digits in messages: the same text as
/// `migseal keygen --show-id` prints for a public key, so a refused key can
/// be found in a trust file.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyIdHex(pub migseal_format::envelope::KeyId);

impl KeyIdHex {
    /// The key id's display form.
    #[must_use]
    pub const fn of(key_id: &migseal_format::envelope::KeyId) -> Self {
        Self(*key_id)
    }
}

impl fmt::Display for KeyIdHex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in &self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for KeyIdHex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_names_are_cut_visibly() {
        let n = Name::new("a-very-long-identifier-that-goes-beyond-forty-bytes");
        assert_eq!(n.as_str().len(), NAME_CAPACITY);
        assert!(std::format!("{n}").ends_with("..."));
        assert_eq!(std::format!("{}", Name::new("mtty-2")), "mtty-2");
    }

    #[test]
    fn key_ids_are_shown_whole() {
        let mut id = [0u8; 32];
        id[31] = 0xab;
        let shown = std::format!("{}", KeyIdHex::of(&id));
        assert_eq!(shown.len(), 64);
        assert!(shown.ends_with("ab") && shown.starts_with("0000"));
    }
}
