//! Bounded lists that decode without allocation: the decoder validates the
//! whole list once and keeps the borrowed encoding; iteration re-reads it.
//! Lists built by a caller for encoding borrow the caller's slice.

use super::version::{VersionRange, check_follows};
use crate::cbor::{Encoder, Reader, Sink, len_u64};
use crate::error::{Detail, Error, ErrorCode, Result};
use crate::ident::{Ident, read_ident};

#[derive(Clone, Copy, Debug)]
enum Repr<'a, T: 'a> {
    /// Validated canonical encoding of the items (after the array head).
    Encoded { items: &'a [u8], len: usize },
    /// A caller's slice, validated when the list was made.
    Slice(&'a [T]),
    /// Exactly one item (a header's codec or version seen as a list).
    One(T),
}

/// Canonical order of identifiers: the order of their CBOR encodings, which
/// for text strings is length first, then bytes.
fn ident_order(a: &Ident<'_>, b: &Ident<'_>) -> core::cmp::Ordering {
    (a.as_bytes().len(), a.as_bytes()).cmp(&(b.as_bytes().len(), b.as_bytes()))
}

/// A strictly increasing set of identifiers (features, codecs).
#[derive(Clone, Copy, Debug)]
pub struct IdentList<'a> {
    repr: Repr<'a, Ident<'a>>,
}

impl<'a> IdentList<'a> {
    /// The empty list.
    pub const EMPTY: IdentList<'static> = IdentList { repr: Repr::Slice(&[]) };

    /// The list holding just `ident`.
    #[must_use]
    pub const fn single(ident: Ident<'a>) -> Self {
        Self { repr: Repr::One(ident) }
    }

    /// A list over `items`, which must be strictly increasing in canonical
    /// order (length first, then bytes) and at most `max` long.
    ///
    /// # Errors
    ///
    /// [`ErrorCode::ListNotSorted`] (offset = index of the offending item)
    /// or [`ErrorCode::LengthOverLimit`].
    pub fn from_slice(items: &'a [Ident<'a>], max: usize) -> Result<Self> {
        if items.len() > max {
            return Err(Error::new(ErrorCode::LengthOverLimit, 0)
                .with_detail(Detail::Limit { limit: len_u64(max), found: len_u64(items.len()) }));
        }
        for (i, pair) in items.windows(2).enumerate() {
            if let [a, b] = pair
                && ident_order(a, b) != core::cmp::Ordering::Less
            {
                return Err(Error::new(ErrorCode::ListNotSorted, len_u64(i.saturating_add(1))));
            }
        }
        Ok(Self { repr: Repr::Slice(items) })
    }

    pub(crate) fn decode(r: &mut Reader<'a>, max: u64) -> Result<Self> {
        let count = r.read_array(max)?;
        let start = r.position();
        let mut prev: Option<Ident<'a>> = None;
        for _ in 0..count {
            let at = r.offset();
            let ident = read_ident(r)?;
            if let Some(p) = prev
                && ident_order(&p, &ident) != core::cmp::Ordering::Less
            {
                return Err(Error::new(ErrorCode::ListNotSorted, at));
            }
            prev = Some(ident);
        }
        let items = r.consumed_since(start);
        let len = usize::try_from(count).unwrap_or(usize::MAX);
        Ok(Self { repr: Repr::Encoded { items, len } })
    }

    pub(crate) fn encode<S: Sink>(&self, e: &mut Encoder<S>) -> Result<()> {
        e.array(len_u64(self.len()))?;
        for ident in self.iter() {
            e.text(ident.as_str())?;
        }
        Ok(())
    }

    /// The validated encoding and item count of a decoded list.
    pub(crate) fn encoded_parts(&self) -> Option<(&'a [u8], usize)> {
        match self.repr {
            Repr::Encoded { items, len } => Some((items, len)),
            Repr::Slice(_) | Repr::One(_) => None,
        }
    }

    /// A list over items that [`IdentList::decode`] validated (given back
    /// by [`IdentList::encoded_parts`]). It does not validate.
    pub(crate) const fn validated_by_decoder(items: &'a [u8], len: usize) -> Self {
        Self { repr: Repr::Encoded { items, len } }
    }

    /// Number of identifiers.
    #[must_use]
    pub fn len(&self) -> usize {
        match self.repr {
            Repr::Encoded { len, .. } => len,
            Repr::Slice(s) => s.len(),
            Repr::One(_) => 1,
        }
    }

    /// True for the empty list.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The identifiers, in canonical order.
    #[must_use]
    pub fn iter(&self) -> IdentIter<'a> {
        match self.repr {
            Repr::Encoded { items, .. } => IdentIter::Encoded(items),
            Repr::Slice(s) => IdentIter::Slice(s.iter()),
            Repr::One(i) => IdentIter::One(Some(i)),
        }
    }

    /// True when `ident` is in the list (byte equality).
    #[must_use]
    pub fn contains(&self, ident: Ident<'_>) -> bool {
        self.iter().any(|i| i == ident)
    }
}

impl PartialEq for IdentList<'_> {
    fn eq(&self, other: &Self) -> bool {
        // Canonical encodings are unique: equal lists have equal bytes.
        if let (Repr::Encoded { items: a, .. }, Repr::Encoded { items: b, .. }) = (self.repr, other.repr) {
            return a == b;
        }
        self.len() == other.len() && self.iter().zip(other.iter()).all(|(a, b)| a == b)
    }
}

impl Eq for IdentList<'_> {}

/// Iterator over an [`IdentList`].
#[derive(Clone, Debug)]
pub enum IdentIter<'a> {
    /// Over a validated encoding (the items not yet visited).
    #[doc(hidden)]
    Encoded(&'a [u8]),
    /// Over a caller's slice.
    #[doc(hidden)]
    Slice(core::slice::Iter<'a, Ident<'a>>),
    /// Over one item.
    #[doc(hidden)]
    One(Option<Ident<'a>>),
}

impl<'a> Iterator for IdentIter<'a> {
    type Item = Ident<'a>;

    fn next(&mut self) -> Option<Ident<'a>> {
        match self {
            IdentIter::Encoded(rest) => {
                let (ident, after) = next_encoded_ident(rest)?;
                *rest = after;
                Some(ident)
            }
            IdentIter::Slice(it) => it.next().copied(),
            IdentIter::One(i) => i.take(),
        }
    }
}

/// Splits the first identifier off a validated encoded list. Only the two
/// head forms an identifier can have (`0x61`–`0x77`, and `0x78 n` for
/// n = 24–64) are read; the decoder checked every item, so anything else
/// cannot occur, and would end the iteration rather than be guessed at.
fn next_encoded_ident<'a>(items: &'a [u8]) -> Option<(Ident<'a>, &'a [u8])> {
    let (head_len, len) = match *items {
        [0x78, n, ..] => (2usize, usize::from(n)),
        [h @ 0x61..=0x77, ..] => (1, usize::from(h.checked_sub(0x60)?)),
        _ => return None,
    };
    let end = head_len.checked_add(len)?;
    let text = items.get(head_len..end)?;
    Some((Ident::validated_by_decoder(text), items.get(end..)?))
}

/// A sorted, disjoint set of version ranges.
#[derive(Clone, Copy, Debug)]
pub struct VersionRanges<'a> {
    repr: Repr<'a, VersionRange>,
}

impl<'a> VersionRanges<'a> {
    /// The set holding just `range`.
    #[must_use]
    pub const fn single(range: VersionRange) -> Self {
        Self { repr: Repr::One(range) }
    }

    /// Ranges over `items`, sorted and disjoint, at least one, at most `max`.
    ///
    /// # Errors
    ///
    /// [`ErrorCode::ListNotSorted`] for overlapping or unsorted ranges,
    /// [`ErrorCode::InvalidDescriptor`] for an empty list, [`ErrorCode::LengthOverLimit`] for a too long one.
    pub fn from_slice(items: &'a [VersionRange], max: usize) -> Result<Self> {
        if items.is_empty() {
            return Err(Error::new(ErrorCode::InvalidDescriptor, 0)
                .with_detail(Detail::Value { expected: 1, found: 0 }));
        }
        if items.len() > max {
            return Err(Error::new(ErrorCode::LengthOverLimit, 0)
                .with_detail(Detail::Limit { limit: len_u64(max), found: len_u64(items.len()) }));
        }
        let mut prev = None;
        for (i, r) in items.iter().enumerate() {
            check_follows(prev, r.min, len_u64(i))?;
            prev = Some(*r);
        }
        Ok(Self { repr: Repr::Slice(items) })
    }

    pub(crate) fn decode(r: &mut Reader<'a>, max: u64) -> Result<Self> {
        let at = r.offset();
        let count = r.read_array(max)?;
        // Below the list's minimum of one range: the descriptor's own code,
        // as for an empty codec list (spec §6.1), decided at the head.
        if count == 0 {
            return Err(Error::new(ErrorCode::InvalidDescriptor, at)
                .with_detail(Detail::Value { expected: 1, found: 0 }));
        }
        let start = r.position();
        let mut prev = None;
        for _ in 0..count {
            prev = Some(VersionRange::decode_after(r, prev)?);
        }
        let items = r.consumed_since(start);
        let len = usize::try_from(count).unwrap_or(usize::MAX);
        Ok(Self { repr: Repr::Encoded { items, len } })
    }

    pub(crate) fn encode<S: Sink>(&self, e: &mut Encoder<S>) -> Result<()> {
        e.array(len_u64(self.len()))?;
        for range in self.iter() {
            range.encode(e)?;
        }
        Ok(())
    }

    /// Number of ranges.
    #[must_use]
    pub fn len(&self) -> usize {
        match self.repr {
            Repr::Encoded { len, .. } => len,
            Repr::Slice(s) => s.len(),
            Repr::One(_) => 1,
        }
    }

    /// Always false for a valid set (it holds at least one range).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The ranges, lowest first.
    #[must_use]
    pub fn iter(&self) -> RangeIter<'a> {
        match self.repr {
            Repr::Encoded { items, .. } => RangeIter::Encoded(Reader::new(items)),
            Repr::Slice(s) => RangeIter::Slice(s.iter()),
            Repr::One(r) => RangeIter::One(Some(r)),
        }
    }

    /// True when some range contains `v`.
    #[must_use]
    pub fn contains(&self, v: super::StateVersion) -> bool {
        self.iter().any(|r| r.contains(v))
    }
}

impl PartialEq for VersionRanges<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().zip(other.iter()).all(|(a, b)| a == b)
    }
}

impl Eq for VersionRanges<'_> {}

/// Iterator over [`VersionRanges`].
#[derive(Clone, Debug)]
pub enum RangeIter<'a> {
    /// Over a validated encoding.
    #[doc(hidden)]
    Encoded(Reader<'a>),
    /// Over a caller's slice.
    #[doc(hidden)]
    Slice(core::slice::Iter<'a, VersionRange>),
    /// Over one item.
    #[doc(hidden)]
    One(Option<VersionRange>),
}

impl Iterator for RangeIter<'_> {
    type Item = VersionRange;

    fn next(&mut self) -> Option<VersionRange> {
        match self {
            RangeIter::Encoded(r) if !r.at_end() => VersionRange::decode_after(r, None).ok(),
            RangeIter::Encoded(_) => None,
            RangeIter::Slice(it) => it.next().copied(),
            RangeIter::One(r) => r.take(),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::cbor::SliceSink;

    /// Both head forms (one byte up to 23, `0x78 n` from 24) and the
    /// longest identifier come back out of an encoded list unchanged.
    #[test]
    fn encoded_lists_iterate_to_their_items() {
        let texts = ["a", "b2", &"c".repeat(23), &"d".repeat(24), &"e".repeat(64)];
        let idents: [Ident<'_>; 5] = texts.map(|t| Ident::new(t).unwrap());
        let list = IdentList::from_slice(&idents, 8).unwrap();
        let mut buf = [0u8; 256];
        let mut e = Encoder::new(SliceSink::new(&mut buf));
        list.encode(&mut e).unwrap();
        let sink = e.finish().unwrap();
        let bytes = sink.written();
        let decoded = IdentList::decode(&mut Reader::new(bytes), 8).unwrap();
        assert!(matches!(decoded.repr, Repr::Encoded { len: 5, .. }));
        assert!(decoded.iter().map(|i| i.as_str()).eq(texts));
        assert_eq!(decoded, list);
        assert!(decoded.contains(Ident::new(&"d".repeat(24)).unwrap()));
        assert!(!decoded.contains(Ident::new(&"d".repeat(25)).unwrap()));
    }

    /// Two decoded lists are equal exactly when their encodings are.
    #[test]
    fn encoded_lists_compare_by_their_bytes() {
        let decode = |bytes: &'static [u8]| IdentList::decode(&mut Reader::new(bytes), 8).unwrap();
        assert_eq!(decode(b"\x82\x61a\x61b"), decode(b"\x82\x61a\x61b"));
        assert_ne!(decode(b"\x82\x61a\x61b"), decode(b"\x82\x61a\x61c"));
        assert_ne!(decode(b"\x81\x61a"), decode(b"\x82\x61a\x61b"));
    }
}
