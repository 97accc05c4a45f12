//! Little-endian reading and writing over byte slices, without a panic
//! path: every read is checked against what is left, every write against
//! the caller's buffer, and offsets are tracked so errors can name them.

use crate::error::{Detail, Error, ErrorCode, Result};

/// A cursor over untrusted bytes.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
    /// Added to positions in errors: where `bytes` starts in the payload.
    base: usize,
}

impl<'a> Reader<'a> {
    pub(crate) const fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, at: 0, base: 0 }
    }

    /// A reader over a window that starts `base` bytes into the payload.
    pub(crate) const fn window(bytes: &'a [u8], base: usize) -> Self {
        Self { bytes, at: 0, base }
    }

    /// Position in the payload.
    pub(crate) fn offset(&self) -> usize {
        self.base.saturating_add(self.at)
    }

    pub(crate) fn remaining(&self) -> usize {
        self.bytes.len().saturating_sub(self.at)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    /// The next `n` bytes; a truncation error names the end of the input
    /// and how many bytes were needed.
    pub(crate) fn take(&mut self, n: usize, field: &'static str) -> Result<&'a [u8]> {
        let end = self.at.checked_add(n);
        match end.and_then(|e| self.bytes.get(self.at..e)) {
            Some(s) => {
                self.at = end.unwrap_or(self.at);
                Ok(s)
            }
            None => Err(Error::at(ErrorCode::Truncated, self.base.saturating_add(self.bytes.len()))
                .in_field(field)
                .with_detail(Detail::Value {
                    expected: u64::try_from(n).unwrap_or(u64::MAX),
                    found: u64::try_from(self.remaining()).unwrap_or(u64::MAX),
                })),
        }
    }

    pub(crate) fn array<const N: usize>(&mut self, field: &'static str) -> Result<[u8; N]> {
        let s = self.take(N, field)?;
        let mut out = [0u8; N];
        for (o, b) in out.iter_mut().zip(s) {
            *o = *b;
        }
        Ok(out)
    }

    pub(crate) fn u8(&mut self, field: &'static str) -> Result<u8> {
        Ok(u8::from_le_bytes(self.array::<1>(field)?))
    }

    pub(crate) fn le16(&mut self, field: &'static str) -> Result<u16> {
        Ok(u16::from_le_bytes(self.array(field)?))
    }

    pub(crate) fn le32(&mut self, field: &'static str) -> Result<u32> {
        Ok(u32::from_le_bytes(self.array(field)?))
    }

    pub(crate) fn le64(&mut self, field: &'static str) -> Result<u64> {
        Ok(u64::from_le_bytes(self.array(field)?))
    }

    /// Reads `n` bytes that must all be zero (padding, reserved fields).
    pub(crate) fn zeros(&mut self, n: usize, field: &'static str) -> Result<()> {
        let start = self.offset();
        let s = self.take(n, field)?;
        match s.iter().position(|b| *b != 0) {
            None => Ok(()),
            Some(i) => Err(Error::at(ErrorCode::ReservedNotZero, start.saturating_add(i))
                .in_field(field)
                .with_detail(Detail::Value {
                    expected: 0,
                    found: u64::from(s.get(i).copied().unwrap_or(0)),
                })),
        }
    }

    /// Refuses anything after the end of a fixed-size state.
    pub(crate) fn finish(&self, field: &'static str) -> Result<()> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(Error::at(ErrorCode::TrailingBytes, self.offset())
                .in_field(field)
                .with_detail(Detail::Found(u64::try_from(self.remaining()).unwrap_or(u64::MAX))))
        }
    }
}

/// A cursor into a caller's output buffer.
#[derive(Debug)]
pub(crate) struct Writer<'o> {
    out: &'o mut [u8],
    at: usize,
}

impl<'o> Writer<'o> {
    pub(crate) fn new(out: &'o mut [u8]) -> Self {
        Self { out, at: 0 }
    }

    pub(crate) fn written(&self) -> usize {
        self.at
    }

    pub(crate) fn bytes(&mut self, b: &[u8]) -> Result<&mut Self> {
        let end = self.at.checked_add(b.len());
        let room = self.out.len();
        match end.and_then(|e| self.out.get_mut(self.at..e)) {
            Some(dst) => {
                for (d, s) in dst.iter_mut().zip(b) {
                    *d = *s;
                }
                self.at = end.unwrap_or(self.at);
                Ok(self)
            }
            None => Err(Error::at(ErrorCode::BufferTooSmall, self.at).with_detail(Detail::Limit {
                limit: u64::try_from(room).unwrap_or(u64::MAX),
                found: end.and_then(|e| u64::try_from(e).ok()).unwrap_or(u64::MAX),
            })),
        }
    }

    pub(crate) fn u8(&mut self, v: u8) -> Result<&mut Self> {
        self.bytes(&[v])
    }

    pub(crate) fn le16(&mut self, v: u16) -> Result<&mut Self> {
        self.bytes(&v.to_le_bytes())
    }

    pub(crate) fn le32(&mut self, v: u32) -> Result<&mut Self> {
        self.bytes(&v.to_le_bytes())
    }

    pub(crate) fn le64(&mut self, v: u64) -> Result<&mut Self> {
        self.bytes(&v.to_le_bytes())
    }

    pub(crate) fn zeros(&mut self, n: usize) -> Result<&mut Self> {
        for _ in 0..n {
            self.u8(0)?;
        }
        Ok(self)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn truncation_names_the_end_of_input() {
        let mut r = Reader::window(&[1, 2, 3], 10);
        assert_eq!(r.le16("a").unwrap(), 0x0201);
        let e = r.le32("b").unwrap_err();
        assert_eq!((e.code(), e.offset(), e.field()), (ErrorCode::Truncated, 13, "b"));
        assert_eq!(e.detail(), Detail::Value { expected: 4, found: 1 });
    }

    #[test]
    fn zeros_names_the_first_nonzero_byte() {
        let mut r = Reader::new(&[0, 0, 7, 0]);
        let e = r.zeros(4, "pad").unwrap_err();
        assert_eq!((e.code(), e.offset()), (ErrorCode::ReservedNotZero, 2));
    }

    #[test]
    fn writer_refuses_overflow() {
        let mut buf = [0u8; 3];
        let mut w = Writer::new(&mut buf);
        w.le16(0xbeef).unwrap();
        let e = w.le16(1).unwrap_err();
        assert_eq!(e.code(), ErrorCode::BufferTooSmall);
        assert_eq!(w.written(), 2);
    }
}
