//! A forward-only reader over untrusted bytes that accepts only canonical
//! CBOR, one data item at a time.
//!
//! Shaped after `untrusted::Reader` and RustCrypto `der::Reader`: the input
//! is wrapped once, the position only moves forward, every read names the
//! limit it is willing to accept, the first error sticks (every later call
//! returns it again, so a caller that forgets one `?` cannot read past a
//! failure), and [`Reader::finish`] refuses trailing bytes.

use core::cmp::Ordering;

use super::head::{Head, parse_head};
use super::skip::skip_item;
use crate::error::{Detail, Error, ErrorCode, Result};

/// Deepest nesting of arrays, maps and tags the generic walker follows.
///
/// migseal's own records nest at most 5 levels; 16 leaves room for
/// generic inspection while keeping the walker's stack a fixed few
/// hundred bytes.
pub const MAX_DEPTH: usize = 16;

/// Reads canonical CBOR items from a borrowed byte slice.
#[derive(Clone, Debug)]
pub struct Reader<'a> {
    input: &'a [u8],
    pos: usize,
    base: u64,
    failed: Option<Error>,
}

impl<'a> Reader<'a> {
    /// A reader at the start of `input`; error offsets count from its first
    /// byte.
    #[must_use]
    pub const fn new(input: &'a [u8]) -> Self {
        Self::with_base(input, 0)
    }

    /// A reader whose error offsets are shifted by `base`: for a window
    /// into a larger stream, so errors still point into the stream.
    #[must_use]
    pub const fn with_base(input: &'a [u8], base: u64) -> Self {
        Self { input, pos: 0, base, failed: None }
    }

    /// Offset of the next unread byte, counted like error offsets.
    #[must_use]
    pub fn offset(&self) -> u64 {
        self.base.saturating_add(len_u64(self.pos))
    }

    /// True when every byte has been read.
    #[must_use]
    pub fn at_end(&self) -> bool {
        self.pos >= self.input.len()
    }

    /// Bytes not read yet.
    #[must_use]
    pub fn remaining_len(&self) -> usize {
        self.input.len().saturating_sub(self.pos)
    }

    /// Position of the next unread byte within the input slice.
    #[must_use]
    pub const fn position(&self) -> usize {
        self.pos
    }

    /// The bytes read since position `start` (a value of
    /// [`Reader::position`]): the raw encoding of what was just validated.
    #[must_use]
    pub fn consumed_since(&self, start: usize) -> &'a [u8] {
        self.input.get(start..self.pos).unwrap_or(&[])
    }

    /// The error that stopped this reader, if any.
    #[must_use]
    pub const fn failure(&self) -> Option<Error> {
        self.failed
    }

    fn rest(&self) -> &'a [u8] {
        self.input.get(self.pos..).unwrap_or(&[])
    }

    fn check(&self) -> Result<()> {
        match self.failed {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Records `e` as the sticky failure and returns it.
    fn fail<T>(&mut self, e: Error) -> Result<T> {
        self.failed = Some(e);
        Err(e)
    }

    fn error(&self, code: ErrorCode) -> Error {
        Error::new(code, self.offset())
    }

    /// Runs `f`, making any error it returns sticky.
    fn guarded<T>(&mut self, f: impl FnOnce(&mut Self) -> Result<T>) -> Result<T> {
        self.check()?;
        match f(self) {
            Ok(v) => Ok(v),
            Err(e) => self.fail(e),
        }
    }

    fn advance(&mut self, n: usize) {
        self.pos = self.pos.saturating_add(n);
    }

    /// The next head without consuming it.
    ///
    /// # Errors
    ///
    /// Any head-level refusal (see [`parse_head`]), or the sticky failure.
    pub fn peek_head(&self) -> Result<Head> {
        self.check()?;
        parse_head(self.rest(), self.offset()).map(|(h, _)| h)
    }

    /// Consumes and returns the next head. For strings, the content is *not*
    /// consumed; use [`Reader::read_bytes`] or [`Reader::read_text`].
    ///
    /// # Errors
    ///
    /// Any head-level refusal, or the sticky failure.
    pub fn read_head(&mut self) -> Result<Head> {
        self.guarded(|r| {
            let (head, len) = parse_head(r.rest(), r.offset())?;
            r.advance(len);
            Ok(head)
        })
    }

    fn expect<T>(&mut self, expected: &'static str, f: impl FnOnce(Head) -> Option<T>) -> Result<T> {
        self.guarded(|r| {
            let at = r.offset();
            let (head, len) = parse_head(r.rest(), at)?;
            match f(head) {
                Some(v) => {
                    r.advance(len);
                    Ok(v)
                }
                None => Err(Error::new(ErrorCode::UnexpectedType, at)
                    .with_detail(Detail::Type { expected, found: head.kind() })),
            }
        })
    }

    /// Reads an unsigned integer no larger than `max`.
    ///
    /// # Errors
    ///
    /// [`ErrorCode::UnexpectedType`] for another item type,
    /// [`ErrorCode::IntegerOutOfRange`] above `max`, or a head refusal.
    pub fn read_uint(&mut self, max: u64) -> Result<u64> {
        let at = self.offset();
        let v = self.expect("unsigned integer", |h| match h {
            Head::Uint(v) => Some(v),
            _ => None,
        })?;
        if v > max {
            return self.fail(
                Error::new(ErrorCode::IntegerOutOfRange, at)
                    .with_detail(Detail::Limit { limit: max, found: v }),
            );
        }
        Ok(v)
    }

    /// Reads an integer that must equal `expected` (a record type, a format
    /// version, a COSE label).
    ///
    /// # Errors
    ///
    /// `mismatch` with the found value when the integer differs;
    /// [`ErrorCode::UnexpectedType`] for a non-integer.
    pub fn read_int_eq(&mut self, expected: i64, mismatch: ErrorCode) -> Result<()> {
        let at = self.offset();
        let found = self.expect("integer", |h| match h {
            Head::Uint(v) => i64::try_from(v).ok(),
            // -1 - n, computed without overflow for n <= i64::MAX.
            Head::Nint(n) => i64::try_from(n).ok().and_then(|n| (-1i64).checked_sub(n)),
            _ => None,
        });
        match found {
            Ok(v) if v == expected => Ok(()),
            Ok(v) => {
                self.fail(Error::new(mismatch, at).with_detail(Detail::Value {
                    expected: expected.unsigned_abs(),
                    found: v.unsigned_abs(),
                }))
            }
            Err(e) if e.code() == ErrorCode::UnexpectedType => {
                // A huge integer that does not fit i64 is still "another value".
                self.failed = None;
                self.fail(Error::new(mismatch, at))
            }
            Err(e) => Err(e),
        }
    }

    /// Reads a byte string of at most `max_len` bytes, borrowed from the
    /// input.
    ///
    /// # Errors
    ///
    /// [`ErrorCode::LengthOverLimit`] above `max_len` (checked before the
    /// bytes are looked at), [`ErrorCode::Truncated`] when the input holds
    /// fewer bytes than declared, [`ErrorCode::UnexpectedType`].
    pub fn read_bytes(&mut self, max_len: u64) -> Result<&'a [u8]> {
        let at = self.offset();
        let len = self.expect("byte string", |h| match h {
            Head::Bytes(n) => Some(n),
            _ => None,
        })?;
        self.take_content(len, max_len, at)
    }

    /// Reads a byte string of `min_len` to `max_len` bytes, borrowed from
    /// the input. Its declared length is judged at its head, before any
    /// content byte is needed (spec §8.6): above `max_len`
    /// [`ErrorCode::LengthOverLimit`], below `min_len`
    /// [`ErrorCode::InvalidFieldLength`], both at the head's offset.
    ///
    /// # Errors
    ///
    /// As [`Reader::read_bytes`], plus [`ErrorCode::InvalidFieldLength`].
    pub fn read_bytes_in(&mut self, min_len: u64, max_len: u64) -> Result<&'a [u8]> {
        let at = self.offset();
        let len = self.expect("byte string", |h| match h {
            Head::Bytes(n) => Some(n),
            _ => None,
        })?;
        if len < min_len && len <= max_len {
            return self.fail(
                Error::new(ErrorCode::InvalidFieldLength, at)
                    .with_detail(Detail::Limit { limit: min_len, found: len }),
            );
        }
        self.take_content(len, max_len, at)
    }

    /// Reads a UTF-8 text string of at most `max_len` bytes.
    ///
    /// # Errors
    ///
    /// As [`Reader::read_bytes`], plus [`ErrorCode::InvalidUtf8`].
    pub fn read_text(&mut self, max_len: u64) -> Result<&'a str> {
        let (start, bytes) = self.read_text_content(max_len)?;
        match core::str::from_utf8(bytes) {
            Ok(s) => Ok(s),
            Err(e) => {
                let bad = start.saturating_add(len_u64(e.valid_up_to()));
                self.fail(Error::new(ErrorCode::InvalidUtf8, bad))
            }
        }
    }

    /// Reads a text string of at most `max_len` bytes whose content must
    /// pass `check`, a rule stricter than UTF-8 that admits only ASCII
    /// (identifiers). Content that passes is ASCII, so it is not checked as
    /// UTF-8 again; content that fails is, so that text which is not UTF-8
    /// at all is refused with [`ErrorCode::InvalidUtf8`] exactly as by
    /// [`Reader::read_text`]. `check`'s error offsets count from the
    /// content's first byte.
    ///
    /// # Errors
    ///
    /// As [`Reader::read_text`], then `check`'s refusal.
    pub fn read_ascii_text<T>(
        &mut self,
        max_len: u64,
        check: impl FnOnce(&'a [u8]) -> Result<T>,
    ) -> Result<T> {
        let (start, bytes) = self.read_text_content(max_len)?;
        match check(bytes) {
            Ok(value) => Ok(value),
            Err(refused) => {
                let e = match core::str::from_utf8(bytes) {
                    Ok(_) => refused.shifted(start),
                    Err(e) => {
                        Error::new(ErrorCode::InvalidUtf8, start.saturating_add(len_u64(e.valid_up_to())))
                    }
                };
                self.fail(e)
            }
        }
    }

    /// Reads a text string head and takes its content, not yet checked as
    /// UTF-8; returns the content's offset with it.
    fn read_text_content(&mut self, max_len: u64) -> Result<(u64, &'a [u8])> {
        let at = self.offset();
        let len = self.expect("text string", |h| match h {
            Head::Text(n) => Some(n),
            _ => None,
        })?;
        let start = self.offset();
        let bytes = self.take_content(len, max_len, at)?;
        Ok((start, bytes))
    }

    /// Takes `len` content bytes after a string head read at `at`.
    fn take_content(&mut self, len: u64, max_len: u64, at: u64) -> Result<&'a [u8]> {
        self.guarded(|r| {
            // The limit comes first: a declared length is never trusted
            // before the bytes are there, and never acted on above the limit.
            if len > max_len {
                return Err(Error::new(ErrorCode::LengthOverLimit, at)
                    .with_detail(Detail::Limit { limit: max_len, found: len }));
            }
            let n = usize::try_from(len).map_err(|_| r.error(ErrorCode::Truncated))?;
            let end = r.pos.checked_add(n).ok_or_else(|| r.error(ErrorCode::Truncated))?;
            let bytes = r.input.get(r.pos..end).ok_or_else(|| r.error(ErrorCode::Truncated))?;
            r.pos = end;
            Ok(bytes)
        })
    }

    /// Reads an array head with at most `max_len` items; returns the count.
    ///
    /// # Errors
    ///
    /// [`ErrorCode::LengthOverLimit`], [`ErrorCode::UnexpectedType`], or a
    /// head refusal.
    pub fn read_array(&mut self, max_len: u64) -> Result<u64> {
        self.read_container(max_len, "array", |h| match h {
            Head::Array(n) => Some(n),
            _ => None,
        })
    }

    /// Reads an array head that must have exactly `len` items.
    ///
    /// # Errors
    ///
    /// `mismatch` when the count differs; as [`Reader::read_array`] otherwise.
    pub fn read_array_exact(&mut self, len: u64, mismatch: ErrorCode) -> Result<()> {
        let at = self.offset();
        let n = self.read_array(u64::MAX)?;
        if n != len {
            return self
                .fail(Error::new(mismatch, at).with_detail(Detail::Value { expected: len, found: n }));
        }
        Ok(())
    }

    /// Reads a map head with at most `max_len` pairs; returns the count.
    /// Keys are then read with a [`MapKeys`] tracker.
    ///
    /// # Errors
    ///
    /// [`ErrorCode::LengthOverLimit`], [`ErrorCode::UnexpectedType`], or a
    /// head refusal.
    pub fn read_map(&mut self, max_len: u64) -> Result<u64> {
        self.read_container(max_len, "map", |h| match h {
            Head::Map(n) => Some(n),
            _ => None,
        })
    }

    fn read_container(
        &mut self,
        max_len: u64,
        what: &'static str,
        f: impl FnOnce(Head) -> Option<u64>,
    ) -> Result<u64> {
        let at = self.offset();
        let n = self.expect(what, f)?;
        if n > max_len {
            return self.fail(
                Error::new(ErrorCode::LengthOverLimit, at)
                    .with_detail(Detail::Limit { limit: max_len, found: n }),
            );
        }
        Ok(n)
    }

    /// Reads a tag head that must be exactly `expected`.
    ///
    /// # Errors
    ///
    /// [`ErrorCode::TagNotAllowed`] for another tag or a missing tag.
    pub fn read_tag(&mut self, expected: u64) -> Result<()> {
        let at = self.offset();
        let head = self.peek_head()?;
        match head {
            Head::Tag(t) if t == expected => self.read_head().map(|_| ()),
            Head::Tag(t) => self.fail(
                Error::new(ErrorCode::TagNotAllowed, at).with_detail(Detail::Value { expected, found: t }),
            ),
            other => self.fail(
                Error::new(ErrorCode::UnexpectedType, at)
                    .with_detail(Detail::Type { expected: "tag", found: other.kind() }),
            ),
        }
    }

    /// Reads `null`.
    ///
    /// # Errors
    ///
    /// [`ErrorCode::UnexpectedType`] for anything else.
    pub fn read_null(&mut self) -> Result<()> {
        self.expect("null", |h| (h == Head::Null).then_some(()))
    }

    /// Reads `true` or `false`.
    ///
    /// # Errors
    ///
    /// [`ErrorCode::UnexpectedType`] for anything else.
    pub fn read_bool(&mut self) -> Result<bool> {
        self.expect("boolean", |h| match h {
            Head::True => Some(true),
            Head::False => Some(false),
            _ => None,
        })
    }

    /// Reads one complete data item of any shape, checking it is canonical
    /// (walked iteratively, nesting bounded by [`MAX_DEPTH`], no tags
    /// unless listed in `allowed_tags`), and returns its encoded bytes.
    ///
    /// # Errors
    ///
    /// Any refusal inside the item.
    pub fn read_item(&mut self, allowed_tags: &[u64]) -> Result<&'a [u8]> {
        self.guarded(|r| {
            let rest = r.rest();
            let len = skip_item(rest, r.offset(), allowed_tags)?;
            let item = rest.get(..len).ok_or_else(|| r.error(ErrorCode::Truncated))?;
            r.advance(len);
            Ok(item)
        })
    }

    /// Succeeds only when every byte was consumed and no error occurred.
    ///
    /// # Errors
    ///
    /// The sticky failure, or [`ErrorCode::TrailingBytes`].
    pub fn finish(self) -> Result<()> {
        self.check()?;
        if self.at_end() {
            Ok(())
        } else {
            Err(self
                .error(ErrorCode::TrailingBytes)
                .with_detail(Detail::Limit { limit: 0, found: len_u64(self.remaining_len()) }))
        }
    }

    /// Consumes the whole input as exactly one canonical item and checks it
    /// with `f`: the `untrusted::read_all` pattern.
    ///
    /// # Errors
    ///
    /// Whatever `f` returns, or [`ErrorCode::TrailingBytes`].
    pub fn read_all<T>(input: &'a [u8], f: impl FnOnce(&mut Self) -> Result<T>) -> Result<T> {
        let mut r = Self::new(input);
        let v = r.guarded(f)?;
        r.finish()?;
        Ok(v)
    }
}

/// Tracks map keys so that unsorted and repeated keys are refused in one
/// comparison: for unsigned keys, canonical encodings sort bytewise exactly
/// as the numbers do, so "strictly increasing" is the whole rule.
#[derive(Clone, Copy, Debug, Default)]
pub struct MapKeys {
    last: Option<u64>,
}

impl MapKeys {
    /// A tracker for a fresh map.
    #[must_use]
    pub const fn new() -> Self {
        Self { last: None }
    }

    /// Reads the next key, which must be an unsigned integer greater than
    /// the previous one.
    ///
    /// # Errors
    ///
    /// [`ErrorCode::DuplicateMapKey`], [`ErrorCode::MapKeysUnsorted`],
    /// [`ErrorCode::UnexpectedType`].
    pub fn next(&mut self, r: &mut Reader<'_>) -> Result<u64> {
        let at = r.offset();
        let key = r.read_uint(u64::MAX)?;
        match self.last.map(|prev| key.cmp(&prev)) {
            Some(Ordering::Equal) => {
                r.fail(Error::new(ErrorCode::DuplicateMapKey, at).with_detail(Detail::Key(key)))
            }
            Some(Ordering::Less) => {
                r.fail(Error::new(ErrorCode::MapKeysUnsorted, at).with_detail(Detail::Key(key)))
            }
            None | Some(Ordering::Greater) => {
                self.last = Some(key);
                Ok(key)
            }
        }
    }
}

/// `usize` to `u64` without `as`: lossless on every target Rust supports
/// (usize is at most 64 bits); saturates if that ever changes.
#[must_use]
pub fn len_u64(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_small_map_and_finishes() {
        // {1: h'0102', 2: "ab"}
        let bytes = [0xa2, 0x01, 0x42, 1, 2, 0x02, 0x62, b'a', b'b'];
        Reader::read_all(&bytes, |r| {
            assert_eq!(r.read_map(2)?, 2);
            let mut keys = MapKeys::new();
            assert_eq!(keys.next(r)?, 1);
            assert_eq!(r.read_bytes(8)?, &[1, 2]);
            assert_eq!(keys.next(r)?, 2);
            assert_eq!(r.read_text(8)?, "ab");
            Ok(())
        })
        .unwrap();
    }

    #[test]
    fn trailing_bytes_are_refused_with_their_offset() {
        let e = Reader::read_all(&[0x01, 0x02], |r| r.read_uint(10)).unwrap_err();
        assert_eq!(e.code(), ErrorCode::TrailingBytes);
        assert_eq!(e.offset(), 1);
    }

    #[test]
    fn first_failure_sticks() {
        let mut r = Reader::new(&[0x18, 0x01, 0x01]);
        let e = r.read_uint(10).unwrap_err();
        assert_eq!(e.code(), ErrorCode::NonShortestHead);
        // The next call does not resynchronise on the following byte.
        assert_eq!(r.read_uint(10).unwrap_err(), e);
        assert_eq!(r.finish().unwrap_err(), e);
    }

    #[test]
    fn limit_is_checked_before_length_is_trusted() {
        // A byte string declaring 2^63 bytes with nothing behind it.
        let bytes = [0x5b, 0x80, 0, 0, 0, 0, 0, 0, 0];
        let e = Reader::new(&bytes).read_bytes(1024).unwrap_err();
        assert_eq!(e.code(), ErrorCode::LengthOverLimit);
        assert_eq!(e.detail(), Detail::Limit { limit: 1024, found: 1 << 63 });
        // Under a huge limit it is still refused, as truncated, not panicking.
        let e = Reader::new(&bytes).read_bytes(u64::MAX).unwrap_err();
        assert_eq!(e.code(), ErrorCode::Truncated);
    }

    #[test]
    fn keys_must_strictly_increase() {
        let mut r = Reader::new(&[0x01, 0x01]);
        let mut k = MapKeys::new();
        k.next(&mut r).unwrap();
        assert_eq!(k.next(&mut r).unwrap_err().code(), ErrorCode::DuplicateMapKey);
        let mut r = Reader::new(&[0x02, 0x01]);
        let mut k = MapKeys::new();
        k.next(&mut r).unwrap();
        assert_eq!(k.next(&mut r).unwrap_err().code(), ErrorCode::MapKeysUnsorted);
    }

    #[test]
    fn invalid_utf8_points_at_the_bad_byte() {
        let e = Reader::new(&[0x63, b'a', 0xff, b'b']).read_text(8).unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidUtf8);
        assert_eq!(e.offset(), 2);
    }

    #[test]
    fn read_int_eq_handles_negative_and_huge_values() {
        Reader::new(&[0x32]).read_int_eq(-19, ErrorCode::UnsupportedAlgorithm).unwrap();
        let e = Reader::new(&[0x27]).read_int_eq(-19, ErrorCode::UnsupportedAlgorithm).unwrap_err();
        assert_eq!(e.code(), ErrorCode::UnsupportedAlgorithm);
        let e = Reader::new(&[0x3b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])
            .read_int_eq(-19, ErrorCode::UnsupportedAlgorithm)
            .unwrap_err();
        assert_eq!(e.code(), ErrorCode::UnsupportedAlgorithm);
    }

    #[test]
    fn wrong_type_names_both_sides() {
        let e = Reader::new(&[0x40]).read_uint(5).unwrap_err();
        assert_eq!(e.detail(), Detail::Type { expected: "unsigned integer", found: "byte string" });
    }
}
