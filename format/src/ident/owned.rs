//! Identifiers and subjects copied inline, for state that must outlive the
//! bytes it came from without allocating (a trust store, a policy, a
//! verifier living in a driver's device struct).

use super::{Ident, MAX_IDENT_LEN, MAX_SUBJECT_LEN, Subject};

/// An [`Ident`] copied into a fixed array.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct IdentBuf {
    bytes: [u8; MAX_IDENT_LEN],
    /// At most [`MAX_IDENT_LEN`]: only [`IdentBuf::copy`] sets it.
    len: u8,
}

impl IdentBuf {
    /// Copies a validated identifier.
    #[must_use]
    pub fn copy(ident: Ident<'_>) -> Self {
        let mut bytes = [0u8; MAX_IDENT_LEN];
        let n = crate::bytes::copy_prefix(&mut bytes, ident.as_bytes());
        Self { bytes, len: u8::try_from(n).unwrap_or(0) }
    }

    /// The identifier.
    #[must_use]
    pub fn get(&self) -> Ident<'_> {
        // Copied from a valid identifier of at most MAX_IDENT_LEN bytes.
        Ident(self.bytes.get(..usize::from(self.len)).unwrap_or(&[]))
    }
}

impl core::fmt::Debug for IdentBuf {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        core::fmt::Debug::fmt(&self.get(), f)
    }
}

/// A [`Subject`] copied into a fixed array.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SubjectBuf {
    bytes: [u8; MAX_SUBJECT_LEN],
    /// At most [`MAX_SUBJECT_LEN`]: only [`SubjectBuf::copy`] sets it.
    len: u8,
}

impl SubjectBuf {
    /// Copies a validated subject.
    #[must_use]
    pub fn copy(subject: Subject<'_>) -> Self {
        let mut bytes = [0u8; MAX_SUBJECT_LEN];
        let n = crate::bytes::copy_prefix(&mut bytes, subject.as_str().as_bytes());
        Self { bytes, len: u8::try_from(n).unwrap_or(0) }
    }

    /// The subject.
    #[must_use]
    pub fn get(&self) -> Subject<'_> {
        // Copied from a valid subject: printable ASCII, so valid UTF-8.
        let bytes = self.bytes.get(..usize::from(self.len)).unwrap_or(&[]);
        Subject(core::str::from_utf8(bytes).unwrap_or_default())
    }
}

impl core::fmt::Debug for SubjectBuf {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        core::fmt::Debug::fmt(&self.get(), f)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn copies_read_back_equal() {
        let long = "a".repeat(MAX_IDENT_LEN);
        for s in ["mtty-2", long.as_str()] {
            let i = Ident::new(s).unwrap();
            assert_eq!(IdentBuf::copy(i).get(), i);
        }
        let long = "b".repeat(MAX_SUBJECT_LEN);
        for s in ["vm-1", long.as_str()] {
            let subject = Subject::new(s).unwrap();
            assert_eq!(SubjectBuf::copy(subject).get(), subject);
        }
    }
}
