//! A CBOR encoder that can only produce canonical output.
//!
//! Heads are always shortest and lengths always definite (the API has no
//! other way to write them), there is no float and no undefined, and map
//! keys are compared bytewise with the previous key as they are written:
//! an unsorted or repeated key fails the encoder instead of producing a
//! second encoding of the same value. Every container must receive exactly
//! the number of items its head declared before [`Encoder::finish`].

use super::head::{MAX_HEAD_LEN, encode_head};
use super::reader::{MAX_DEPTH, len_u64};
use crate::error::{Detail, Error, ErrorCode, Result};

/// Where encoded bytes go. The encoder reads back what it wrote to compare
/// map keys, so a sink keeps its output addressable.
pub trait Sink {
    /// Appends `bytes`.
    ///
    /// # Errors
    ///
    /// [`ErrorCode::BufferTooSmall`] when the sink is full.
    fn put(&mut self, bytes: &[u8]) -> Result<()>;

    /// Everything written so far.
    fn written(&self) -> &[u8];
}

/// A sink over a caller's buffer: no allocation.
#[derive(Debug)]
pub struct SliceSink<'b> {
    buf: &'b mut [u8],
    len: usize,
}

impl<'b> SliceSink<'b> {
    /// A sink that fills `buf` from its start.
    #[must_use]
    pub fn new(buf: &'b mut [u8]) -> Self {
        Self { buf, len: 0 }
    }

    /// Number of bytes written.
    #[must_use]
    pub const fn len(&self) -> usize {
        self.len
    }

    /// True when nothing was written.
    #[must_use]
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl Sink for SliceSink<'_> {
    fn put(&mut self, bytes: &[u8]) -> Result<()> {
        let end = self.len.checked_add(bytes.len());
        let capacity = self.buf.len();
        let dst = end.and_then(|end| self.buf.get_mut(self.len..end)).ok_or_else(|| {
            Error::new(ErrorCode::BufferTooSmall, len_u64(self.len)).with_detail(Detail::Limit {
                limit: len_u64(capacity),
                found: len_u64(self.len.saturating_add(bytes.len())),
            })
        })?;
        crate::bytes::copy_prefix(dst, bytes);
        self.len = end.unwrap_or(self.len);
        Ok(())
    }

    fn written(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or(&[])
    }
}

#[cfg(feature = "alloc")]
impl Sink for alloc::vec::Vec<u8> {
    fn put(&mut self, bytes: &[u8]) -> Result<()> {
        self.extend_from_slice(bytes);
        Ok(())
    }

    fn written(&self) -> &[u8] {
        self
    }
}

#[derive(Clone, Copy, Default)]
struct Frame {
    remaining: u64,
    is_map: bool,
    key_start: usize,
    prev_key: Option<(usize, usize)>,
}

/// Writes canonical CBOR into a [`Sink`].
///
/// ```
/// use migseal_format::cbor::{Encoder, SliceSink};
/// let mut buf = [0u8; 16];
/// let mut e = Encoder::new(SliceSink::new(&mut buf));
/// e.map(2)?.uint(1)?.text("a")?.uint(2)?.bytes(&[7])?;
/// let sink = e.finish()?;
/// assert_eq!(sink.len(), 7);
/// # Ok::<(), migseal_format::Error>(())
/// ```
pub struct Encoder<S> {
    sink: S,
    stack: [Frame; MAX_DEPTH],
    depth: usize,
    failed: Option<Error>,
}

impl<S> core::fmt::Debug for Encoder<S> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Encoder").field("depth", &self.depth).field("failed", &self.failed).finish()
    }
}

impl<S: Sink> Encoder<S> {
    /// An encoder writing to `sink`.
    pub fn new(sink: S) -> Self {
        Self { sink, stack: [Frame::default(); MAX_DEPTH], depth: 0, failed: None }
    }

    /// What has been written so far.
    pub fn written(&self) -> &[u8] {
        self.sink.written()
    }

    fn misuse(&self, detail: Detail) -> Error {
        Error::new(ErrorCode::EncoderMisuse, len_u64(self.sink.written().len())).with_detail(detail)
    }

    fn guarded(&mut self, f: impl FnOnce(&mut Self) -> Result<()>) -> Result<&mut Self> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        match f(self) {
            Ok(()) => Ok(self),
            Err(e) => {
                self.failed = Some(e);
                Err(e)
            }
        }
    }

    fn begin_item(&mut self) {
        let pos = self.sink.written().len();
        if let Some(top) = self.depth.checked_sub(1).and_then(|d| self.stack.get_mut(d))
            && top.is_map
            && top.remaining % 2 == 0
        {
            top.key_start = pos;
        }
    }

    fn head(&mut self, major: u8, n: u64) -> Result<()> {
        let mut buf = [0u8; MAX_HEAD_LEN];
        let len = encode_head(major, n, &mut buf);
        self.sink.put(buf.get(..len).unwrap_or(&[]))
    }

    /// Closes every container the item just written completes, checking
    /// map key order on the way.
    fn end_item(&mut self) -> Result<()> {
        let pos = self.sink.written().len();
        loop {
            let Some(top_index) = self.depth.checked_sub(1) else {
                return Ok(());
            };
            let written = self.sink.written();
            let Some(top) = self.stack.get_mut(top_index) else {
                return Err(Error::new(ErrorCode::EncoderMisuse, len_u64(pos)));
            };
            if top.is_map && top.remaining % 2 == 0 {
                let key = written.get(top.key_start..pos).unwrap_or(&[]);
                if let Some((a, b)) = top.prev_key {
                    let prev = written.get(a..b).unwrap_or(&[]);
                    if key <= prev {
                        let code =
                            if key == prev { ErrorCode::DuplicateMapKey } else { ErrorCode::MapKeysUnsorted };
                        return Err(Error::new(code, len_u64(top.key_start)));
                    }
                }
                top.prev_key = Some((top.key_start, pos));
            }
            top.remaining = top.remaining.saturating_sub(1);
            if top.remaining > 0 {
                return Ok(());
            }
            self.depth = top_index;
        }
    }

    fn scalar(&mut self, major: u8, n: u64, content: &[u8]) -> Result<&mut Self> {
        self.guarded(|e| {
            e.begin_item();
            e.head(major, n)?;
            e.sink.put(content)?;
            e.end_item()
        })
    }

    fn container(&mut self, major: u8, n: u64, items: Option<u64>) -> Result<&mut Self> {
        self.guarded(|e| {
            e.begin_item();
            e.head(major, n)?;
            match items {
                None | Some(0) => e.end_item(),
                Some(remaining) => {
                    let depth = e.depth;
                    let limit = len_u64(MAX_DEPTH);
                    let slot = e.stack.get_mut(depth).ok_or(
                        Error::new(ErrorCode::NestingTooDeep, 0)
                            .with_detail(Detail::Limit { limit, found: limit.saturating_add(1) }),
                    )?;
                    *slot = Frame { remaining, is_map: major == 5, ..Frame::default() };
                    e.depth = depth.saturating_add(1);
                    Ok(())
                }
            }
        })
    }

    /// Writes an unsigned integer.
    ///
    /// # Errors
    ///
    /// A sink error or a map key out of order; errors are sticky.
    pub fn uint(&mut self, n: u64) -> Result<&mut Self> {
        self.scalar(0, n, &[])
    }

    /// Writes a signed integer (major type 0 or 1).
    ///
    /// # Errors
    ///
    /// As [`Encoder::uint`].
    pub fn int(&mut self, n: i64) -> Result<&mut Self> {
        match u64::try_from(n) {
            Ok(u) => self.scalar(0, u, &[]),
            // -1 - n == !n in two's complement; for n < 0 it is >= 0.
            Err(_) => self.scalar(1, (!n).unsigned_abs(), &[]),
        }
    }

    pub(crate) fn nint_head(&mut self, n: u64) -> Result<&mut Self> {
        self.scalar(1, n, &[])
    }

    /// Writes a byte string.
    ///
    /// # Errors
    ///
    /// As [`Encoder::uint`].
    pub fn bytes(&mut self, b: &[u8]) -> Result<&mut Self> {
        self.scalar(2, len_u64(b.len()), b)
    }

    /// Writes a text string.
    ///
    /// # Errors
    ///
    /// As [`Encoder::uint`].
    pub fn text(&mut self, s: &str) -> Result<&mut Self> {
        self.scalar(3, len_u64(s.len()), s.as_bytes())
    }

    /// Starts an array of exactly `n` items.
    ///
    /// # Errors
    ///
    /// [`ErrorCode::NestingTooDeep`], a sink error, or a key out of order.
    pub fn array(&mut self, n: u64) -> Result<&mut Self> {
        self.container(4, n, Some(n))
    }

    /// Starts a map of exactly `n` pairs; keys must then come in canonical
    /// order.
    ///
    /// # Errors
    ///
    /// As [`Encoder::array`], plus [`ErrorCode::EncoderMisuse`] when `2n`
    /// overflows.
    pub fn map(&mut self, n: u64) -> Result<&mut Self> {
        let Some(items) = n.checked_mul(2) else {
            // Through `guarded`, so an earlier failure stays the one
            // reported (errors are sticky).
            return self.guarded(|e| Err(e.misuse(Detail::Limit { limit: u64::MAX / 2, found: n })));
        };
        self.container(5, n, Some(items))
    }

    /// Writes a tag; exactly one item must follow.
    ///
    /// # Errors
    ///
    /// As [`Encoder::array`].
    pub fn tag(&mut self, t: u64) -> Result<&mut Self> {
        self.container(6, t, Some(1))
    }

    /// Writes `null`.
    ///
    /// # Errors
    ///
    /// As [`Encoder::uint`].
    pub fn null(&mut self) -> Result<&mut Self> {
        self.raw_simple(0xf6)
    }

    /// Writes `true` or `false`.
    ///
    /// # Errors
    ///
    /// As [`Encoder::uint`].
    pub fn bool(&mut self, v: bool) -> Result<&mut Self> {
        self.raw_simple(if v { 0xf5 } else { 0xf4 })
    }

    fn raw_simple(&mut self, byte: u8) -> Result<&mut Self> {
        self.guarded(|e| {
            e.begin_item();
            e.sink.put(&[byte])?;
            e.end_item()
        })
    }

    /// Returns the sink once every container is complete.
    ///
    /// # Errors
    ///
    /// The sticky failure, or [`ErrorCode::EncoderMisuse`] when a container
    /// still waits for items.
    pub fn finish(self) -> Result<S> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        if self.depth != 0 {
            let missing =
                self.depth.checked_sub(1).and_then(|d| self.stack.get(d)).map_or(0, |f| f.remaining);
            return Err(self.misuse(Detail::Limit { limit: 0, found: missing }));
        }
        Ok(self.sink)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::cbor::skip::skip_item;

    fn encode(f: impl FnOnce(&mut Encoder<SliceSink<'_>>) -> Result<()>) -> Result<([u8; 64], usize)> {
        let mut buf = [0u8; 64];
        let mut e = Encoder::new(SliceSink::new(&mut buf));
        f(&mut e)?;
        let len = e.finish()?.len();
        Ok((buf, len))
    }

    #[test]
    fn writes_shortest_heads() {
        let (buf, len) = encode(|e| {
            e.array(4)?.uint(23)?.uint(24)?.int(-1)?.int(-25)?;
            Ok(())
        })
        .unwrap();
        assert_eq!(&buf[..len], &[0x84, 0x17, 0x18, 0x18, 0x20, 0x38, 0x18]);
    }

    #[test]
    fn int_extremes() {
        let (buf, len) = encode(|e| {
            e.array(2)?.int(i64::MIN)?.int(i64::MAX)?;
            Ok(())
        })
        .unwrap();
        assert_eq!(skip_item(&buf[..len], 0, &[]).unwrap(), len);
        assert_eq!(buf[1], 0x3b);
        assert_eq!(&buf[2..10], &(i64::MAX.unsigned_abs()).to_be_bytes());
    }

    #[test]
    fn unsorted_and_duplicate_keys_fail_the_encoder() {
        let e = encode(|e| {
            e.map(2)?.uint(2)?.null()?.uint(1)?.null()?;
            Ok(())
        })
        .unwrap_err();
        assert_eq!(e.code(), ErrorCode::MapKeysUnsorted);
        let e = encode(|e| {
            e.map(2)?.text("a")?.null()?.text("a")?.null()?;
            Ok(())
        })
        .unwrap_err();
        assert_eq!(e.code(), ErrorCode::DuplicateMapKey);
    }

    #[test]
    fn an_overflowing_map_after_a_failure_keeps_the_first_error() {
        // Found by the `sealer_calls` fuzz target: `map` with `2n`
        // overflowing replaced the sticky error instead of returning it.
        let mut buf = [0u8; 1];
        let mut e = Encoder::new(SliceSink::new(&mut buf));
        let first = e.bytes(&[1, 2, 3]).unwrap_err();
        assert_eq!(first.code(), ErrorCode::BufferTooSmall);
        assert_eq!(e.map(u64::MAX).unwrap_err(), first);
        assert_eq!(e.finish().unwrap_err(), first);
    }

    #[test]
    fn incomplete_containers_are_misuse() {
        let e = encode(|e| {
            e.array(2)?.uint(1)?;
            Ok(())
        })
        .unwrap_err();
        assert_eq!(e.code(), ErrorCode::EncoderMisuse);
    }

    #[test]
    fn a_full_buffer_is_reported_not_truncated_silently() {
        let mut buf = [0u8; 3];
        let mut e = Encoder::new(SliceSink::new(&mut buf));
        assert_eq!(e.bytes(&[1, 2, 3]).unwrap_err().code(), ErrorCode::BufferTooSmall);
    }

    #[test]
    fn depth_is_bounded() {
        let mut buf = [0u8; 64];
        let mut e = Encoder::new(SliceSink::new(&mut buf));
        for _ in 0..MAX_DEPTH {
            e.array(1).unwrap();
        }
        assert_eq!(e.array(1).unwrap_err().code(), ErrorCode::NestingTooDeep);
    }
}
