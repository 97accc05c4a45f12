//! A flat event view of canonical CBOR, for generic inspection (the CLI's
//! `inspect`, diagnostics) and for proving that re-encoding an accepted
//! item reproduces its bytes.

use super::head::{Head, parse_head};
use super::reader::len_u64;
use super::writer::{Encoder, Sink};
use crate::error::{Error, ErrorCode, Result};

/// One step of a pre-order walk over data items.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event<'a> {
    /// An unsigned integer.
    Uint(u64),
    /// The negative integer `-1 - n`.
    Nint(u64),
    /// A byte string.
    Bytes(&'a [u8]),
    /// A text string.
    Text(&'a str),
    /// An array of this many items; the items follow as events.
    Array(u64),
    /// A map of this many pairs; keys and values follow alternately.
    Map(u64),
    /// A tag; its one item follows.
    Tag(u64),
    /// `true` or `false`.
    Bool(bool),
    /// `null`.
    Null,
}

impl Event<'_> {
    /// Writes this event to an encoder.
    ///
    /// # Errors
    ///
    /// Whatever the encoder refuses.
    pub fn encode<S: Sink>(&self, e: &mut Encoder<S>) -> Result<()> {
        match *self {
            Event::Uint(n) => e.uint(n),
            Event::Nint(n) => match i64::try_from(n) {
                Ok(v) => e.int((-1i64).saturating_sub(v)),
                // Below i64::MIN: the encoder has no signed type for it, so
                // the canonical head is written through a one-item detour.
                Err(_) => e.raw_nint(n),
            },
            Event::Bytes(b) => e.bytes(b),
            Event::Text(t) => e.text(t),
            Event::Array(n) => e.array(n),
            Event::Map(n) => e.map(n),
            Event::Tag(t) => e.tag(t),
            Event::Bool(b) => e.bool(b),
            Event::Null => e.null(),
        }
        .map(|_| ())
    }
}

/// Iterates the events of a byte sequence. Stops at the first error, which
/// it yields once. It does not check map order or nesting: use
/// [`super::validate`] first for that.
#[derive(Clone, Debug)]
pub struct Events<'a> {
    input: &'a [u8],
    pos: usize,
    done: bool,
}

impl<'a> Events<'a> {
    /// Events of `input` from its first byte.
    #[must_use]
    pub const fn new(input: &'a [u8]) -> Self {
        Self { input, pos: 0, done: false }
    }

    /// Offset of the next event's head.
    #[must_use]
    pub fn offset(&self) -> u64 {
        len_u64(self.pos)
    }

    fn step(&mut self) -> Result<Event<'a>> {
        let rest = self.input.get(self.pos..).unwrap_or(&[]);
        let at = len_u64(self.pos);
        let (head, len) = parse_head(rest, at)?;
        let content_start = self.pos.saturating_add(len);
        let content = |n: u64| -> Result<(&'a [u8], usize)> {
            usize::try_from(n)
                .ok()
                .and_then(|n| content_start.checked_add(n))
                .and_then(|end| self.input.get(content_start..end).map(|c| (c, end)))
                .ok_or_else(|| Error::new(ErrorCode::Truncated, at))
        };
        let (event, next) = match head {
            Head::Uint(n) => (Event::Uint(n), content_start),
            Head::Nint(n) => (Event::Nint(n), content_start),
            Head::Bytes(n) => {
                let (c, end) = content(n)?;
                (Event::Bytes(c), end)
            }
            Head::Text(n) => {
                let (c, end) = content(n)?;
                let s = core::str::from_utf8(c).map_err(|e| {
                    Error::new(ErrorCode::InvalidUtf8, len_u64(content_start.saturating_add(e.valid_up_to())))
                })?;
                (Event::Text(s), end)
            }
            Head::Array(n) => (Event::Array(n), content_start),
            Head::Map(n) => (Event::Map(n), content_start),
            Head::Tag(t) => (Event::Tag(t), content_start),
            Head::True => (Event::Bool(true), content_start),
            Head::False => (Event::Bool(false), content_start),
            Head::Null => (Event::Null, content_start),
        };
        self.pos = next;
        Ok(event)
    }
}

impl<'a> Iterator for Events<'a> {
    type Item = Result<Event<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done || self.pos >= self.input.len() {
            return None;
        }
        let r = self.step();
        if r.is_err() {
            self.done = true;
        }
        Some(r)
    }
}

impl<S: Sink> Encoder<S> {
    /// Writes the negative integer `-1 - n` for any `n` (down to -2^64).
    ///
    /// # Errors
    ///
    /// As [`Encoder::uint`].
    pub fn raw_nint(&mut self, n: u64) -> Result<&mut Self> {
        self.nint_head(n)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::cbor::SliceSink;

    #[test]
    fn events_reencode_to_the_same_bytes() {
        let input = [
            0x84, 0x3b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xa1, 0x61, b'k', 0xf5, 0xd2, 0x41,
            0x07, 0xf6,
        ];
        crate::cbor::validate(&input, &[18]).unwrap();
        let mut buf = [0u8; 32];
        let mut e = Encoder::new(SliceSink::new(&mut buf));
        for ev in Events::new(&input) {
            ev.unwrap().encode(&mut e).unwrap();
        }
        let n = e.finish().unwrap().len();
        assert_eq!(&buf[..n], &input[..]);
    }
}
