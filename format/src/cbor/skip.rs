//! Iterative validation of one complete data item of any shape.
//!
//! Like minicbor's skipper this walks with an explicit, fixed-size stack
//! instead of recursion, so hostile nesting costs a bounded amount of stack
//! and is refused at [`MAX_DEPTH`]. Every loop iteration consumes at least
//! one input byte, so the work is bounded by the input length even when a
//! container declares 2^64 items.
//!
//! The walk is resumable ([`ItemScan`]): a caller that receives an item in
//! fragments keeps the scan beside the bytes gathered so far and resumes
//! it after each fragment. The scan stops before the first item it cannot
//! finish and starts there next time, so every byte is validated once
//! however the item is split (a streaming verifier fed one byte at a time
//! must not re-scan what it has gathered on every call).

use core::cmp::Ordering;

use super::head::{Head, parse_head};
use super::reader::{MAX_DEPTH, len_u64};
use crate::error::{Detail, Error, ErrorCode, Result};

#[derive(Clone, Copy, Debug, Default)]
struct Frame {
    /// Items still to come in this container (a map counts keys and values).
    remaining: u64,
    is_map: bool,
    /// Where the key being read started.
    key_start: usize,
    /// The previous key's encoding, as a range of the input.
    prev_key: Option<(usize, usize)>,
}

/// Returns the length of the canonical data item at the start of `input`.
/// `base` is the stream offset of `input[0]`, for errors.
///
/// # Errors
///
/// [`ErrorCode::Truncated`] when the item does not end within `input`;
/// otherwise the code for the first refused form, at its offset.
pub fn skip_item(input: &[u8], base: u64, allowed_tags: &[u64]) -> Result<usize> {
    ItemScan::new().resume(input, base, allowed_tags)
}

/// A [`skip_item`] walk that can stop where its input ends and resume when
/// more has arrived, keeping a fixed-size state (one frame per open
/// container, at most [`MAX_DEPTH`]).
///
/// Each call to [`ItemScan::resume`] gets the whole item so far: the bytes
/// of earlier calls, unchanged, followed by the new ones. It answers
/// exactly what [`skip_item`] answers for those bytes, but examines only
/// what earlier calls did not finish: the head of the item it stopped at
/// (at most [`MAX_HEAD_LEN`](crate::cbor::MAX_HEAD_LEN) bytes), then the new bytes.
///
/// ```
/// # use migseal_format::cbor::ItemScan;
/// // [1, "ab"] arriving in three pieces.
/// let item = [0x82, 0x01, 0x62, b'a', b'b'];
/// let mut scan = ItemScan::new();
/// assert!(scan.resume(&item[..2], 0, &[]).unwrap_err().is_truncated());
/// assert!(scan.resume(&item[..4], 0, &[]).unwrap_err().is_truncated());
/// assert_eq!(scan.resume(&item, 0, &[]), Ok(5));
/// ```
#[derive(Clone, Copy, Debug)]
pub struct ItemScan {
    stack: [Frame; MAX_DEPTH],
    depth: usize,
    /// Bytes of the item validated so far: where the next item starts.
    pos: usize,
    /// Once the walk ended, its answer (a length or a refusal other than
    /// truncation): every later call repeats it.
    end: Option<Result<usize>>,
    /// After a truncation: the input length it takes to change the answer
    /// (the end of the string the walk stopped in, or one more byte), and
    /// the answer until then. A long string fed one byte at a time costs a
    /// comparison per call, not a head parse.
    pending: Option<(usize, Error)>,
    /// Bytes examined by all calls so far, for the tests that bound it.
    #[cfg(test)]
    examined: usize,
}

impl Default for ItemScan {
    fn default() -> Self {
        Self::new()
    }
}

impl ItemScan {
    /// A scan at the start of an item.
    #[must_use]
    pub const fn new() -> Self {
        const EMPTY: Frame = Frame { remaining: 0, is_map: false, key_start: 0, prev_key: None };
        Self {
            stack: [EMPTY; MAX_DEPTH],
            depth: 0,
            pos: 0,
            end: None,
            pending: None,
            #[cfg(test)]
            examined: 0,
        }
    }

    /// Bytes at the start of the item validated so far.
    #[must_use]
    pub const fn position(&self) -> usize {
        self.pos
    }

    /// After a truncation, the input length below which [`ItemScan::resume`]
    /// is sure to answer the same truncation again (the end of the string
    /// the walk stopped in, or one byte more than it had): a caller may
    /// gather bytes up to there without resuming. `None` before the first
    /// call and once the walk ended.
    #[must_use]
    #[inline]
    pub fn needed(&self) -> Option<usize> {
        match (self.end, self.pending) {
            (None, Some((need, _))) => Some(need),
            _ => None,
        }
    }

    /// Continues the walk over `input`: the item so far, starting with the
    /// bytes given to earlier calls. `base` is the stream offset of
    /// `input[0]`, for errors; `base` and `allowed_tags` must be the same
    /// on every call.
    ///
    /// # Errors
    ///
    /// As [`skip_item`] over `input`. After [`ErrorCode::Truncated`], call
    /// again with more bytes; any other answer, a length or a refusal, is
    /// final and every later call returns it again.
    pub fn resume(&mut self, input: &[u8], base: u64, allowed_tags: &[u64]) -> Result<usize> {
        if let Some(end) = self.end {
            return end;
        }
        if let Some((need, e)) = self.pending
            && input.len() < need
        {
            return Err(e);
        }
        let end = self.walk(input, base, allowed_tags);
        match end {
            Err(e) if e.is_truncated() => {
                // `walk` set the pending length when it stopped in a string.
                let need = match self.pending {
                    Some((need, _)) if need > input.len() => need,
                    _ => input.len().saturating_add(1),
                };
                self.pending = Some((need, e));
            }
            _ => self.end = Some(end),
        }
        end
    }

    /// The walk of [`skip_item`], with its state in `self`: an item whose
    /// bytes have not all arrived leaves the state as it was before it.
    fn walk(&mut self, input: &[u8], base: u64, allowed_tags: &[u64]) -> Result<usize> {
        let at = |pos: usize| base.saturating_add(len_u64(pos));

        loop {
            let mut pos = self.pos;
            // Starting a new item: if it is a map key, remember where it starts.
            if let Some(top) = self.depth.checked_sub(1).and_then(|d| self.stack.get_mut(d))
                && top.is_map
                && top.remaining % 2 == 0
            {
                top.key_start = pos;
            }

            let rest = input.get(pos..).unwrap_or(&[]);
            #[cfg(test)]
            {
                self.examined = self.examined.saturating_add(rest.len().min(super::head::MAX_HEAD_LEN));
            }
            let (head, head_len) = parse_head(rest, at(pos))?;
            let item_start = pos;
            pos = pos.checked_add(head_len).ok_or_else(|| Error::new(ErrorCode::Truncated, at(pos)))?;

            let push = match head {
                Head::Bytes(n) | Head::Text(n) => {
                    let end = usize::try_from(n).ok().and_then(|n| pos.checked_add(n));
                    let end = match end {
                        Some(end) if end <= input.len() => end,
                        _ => {
                            let e = Error::new(ErrorCode::Truncated, at(item_start));
                            self.pending = Some((end.unwrap_or(usize::MAX), e));
                            return Err(e);
                        }
                    };
                    if matches!(head, Head::Text(_)) {
                        let content = input.get(pos..end).unwrap_or(&[]);
                        #[cfg(test)]
                        {
                            self.examined = self.examined.saturating_add(content.len());
                        }
                        if let Err(e) = core::str::from_utf8(content) {
                            let bad = pos.saturating_add(e.valid_up_to());
                            return Err(Error::new(ErrorCode::InvalidUtf8, at(bad)));
                        }
                    }
                    pos = end;
                    None
                }
                Head::Uint(_) | Head::Nint(_) | Head::False | Head::True | Head::Null => None,
                Head::Array(0) | Head::Map(0) => None,
                Head::Array(n) => Some(Frame { remaining: n, ..Frame::default() }),
                Head::Map(n) => {
                    // 2n items; a count this large can never be satisfied by the
                    // input, so overflow is simply "truncated".
                    let items =
                        n.checked_mul(2).ok_or_else(|| Error::new(ErrorCode::Truncated, at(item_start)))?;
                    Some(Frame { remaining: items, is_map: true, ..Frame::default() })
                }
                Head::Tag(t) => {
                    if !allowed_tags.contains(&t) {
                        return Err(Error::new(ErrorCode::TagNotAllowed, at(item_start))
                            .with_detail(Detail::Value { expected: 0, found: t }));
                    }
                    Some(Frame { remaining: 1, ..Frame::default() })
                }
            };

            // The item is whole: from here on the state moves past it.
            self.pos = pos;
            if let Some(frame) = push {
                let slot = self.stack.get_mut(self.depth).ok_or_else(|| {
                    Error::new(ErrorCode::NestingTooDeep, at(item_start)).with_detail(Detail::Limit {
                        limit: len_u64(MAX_DEPTH),
                        found: len_u64(self.depth.saturating_add(1)),
                    })
                })?;
                *slot = frame;
                self.depth = self.depth.saturating_add(1);
                continue;
            }

            // An item completed: close every container it completes in turn.
            loop {
                let Some(top_index) = self.depth.checked_sub(1) else {
                    return Ok(pos);
                };
                let Some(top) = self.stack.get_mut(top_index) else {
                    return Err(Error::new(ErrorCode::NestingTooDeep, at(pos)));
                };
                if top.is_map && top.remaining % 2 == 0 {
                    let key = (top.key_start, pos);
                    if let Some(prev) = top.prev_key {
                        let prev_bytes = input.get(prev.0..prev.1).unwrap_or(&[]);
                        let key_bytes = input.get(key.0..key.1).unwrap_or(&[]);
                        #[cfg(test)]
                        {
                            self.examined =
                                self.examined.saturating_add(prev_bytes.len().min(key_bytes.len()));
                        }
                        // Deterministic encoding orders keys by their bytes.
                        match key_bytes.cmp(prev_bytes) {
                            Ordering::Equal => {
                                return Err(Error::new(ErrorCode::DuplicateMapKey, at(key.0)));
                            }
                            Ordering::Less => {
                                return Err(Error::new(ErrorCode::MapKeysUnsorted, at(key.0)));
                            }
                            Ordering::Greater => {}
                        }
                    }
                    top.prev_key = Some(key);
                }
                top.remaining = top.remaining.saturating_sub(1);
                if top.remaining > 0 {
                    break;
                }
                self.depth = top_index;
            }
        }
    }
}
#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::arithmetic_side_effects)]
mod tests {
    use super::*;

    fn code(bytes: &[u8]) -> ErrorCode {
        skip_item(bytes, 0, &[]).unwrap_err().code()
    }

    #[test]
    fn nested_items_are_measured() {
        // [1, {"a": [h'00']}, "x"] followed by a trailing byte
        let bytes = [0x83, 0x01, 0xa1, 0x61, b'a', 0x81, 0x41, 0x00, 0x61, b'x', 0xff];
        assert_eq!(skip_item(&bytes, 0, &[]).unwrap(), 10);
    }

    #[test]
    fn map_keys_compare_by_encoded_bytes() {
        // {10: 0, -1: 0}: 0x0a < 0x20 bytewise, so this is canonical.
        assert_eq!(skip_item(&[0xa2, 0x0a, 0, 0x20, 0], 0, &[]).unwrap(), 5);
        // {-1: 0, 10: 0} is not.
        assert_eq!(code(&[0xa2, 0x20, 0, 0x0a, 0]), ErrorCode::MapKeysUnsorted);
        // {"b": 0, "aa": 0}: bytewise, 0x61 'b' < 0x62 'a''a'.
        assert_eq!(skip_item(&[0xa2, 0x61, b'b', 0, 0x62, b'a', b'a', 0], 0, &[]).unwrap(), 8);
        assert_eq!(code(&[0xa2, 0x01, 0, 0x01, 1]), ErrorCode::DuplicateMapKey);
        // Duplicate structured keys are caught too.
        assert_eq!(code(&[0xa2, 0x81, 0x01, 0, 0x81, 0x01, 1]), ErrorCode::DuplicateMapKey);
    }

    #[test]
    fn depth_is_bounded_without_recursion() {
        let mut deep = [0x81u8; 64];
        deep[63] = 0x00;
        assert_eq!(code(&deep), ErrorCode::NestingTooDeep);
        let mut ok = [0x81u8; 16];
        ok[15] = 0x00;
        assert_eq!(skip_item(&ok, 0, &[]).unwrap(), 16);
    }

    #[test]
    fn huge_counts_end_as_truncated() {
        assert_eq!(code(&[0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00]), ErrorCode::Truncated);
        assert_eq!(code(&[0xbb, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), ErrorCode::Truncated);
        assert_eq!(code(&[0x5b, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), ErrorCode::Truncated);
    }

    #[test]
    fn tags_only_when_allowed() {
        assert_eq!(code(&[0xc1, 0x00]), ErrorCode::TagNotAllowed);
        assert_eq!(skip_item(&[0xd2, 0x80], 0, &[18]).unwrap(), 2);
    }

    /// Items of every shape, valid or refused somewhere inside.
    fn samples() -> std::vec::Vec<std::vec::Vec<u8>> {
        let mut out = std::vec![
            std::vec![0x83, 0x01, 0xa1, 0x61, b'a', 0x81, 0x41, 0x00, 0x61, b'x', 0xff],
            std::vec![0xa2, 0x0a, 0, 0x20, 0],
            std::vec![0xa2, 0x20, 0, 0x0a, 0],
            std::vec![0xa2, 0x81, 0x01, 0, 0x81, 0x01, 1],
            std::vec![0x82, 0x62, 0xff, b'a', 0x00],
            std::vec![0x82, 0x01, 0x18, 0x01],
            std::vec![0xc1, 0x00],
            std::vec![0xbb, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
            std::vec![0x5b, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
            std::vec![0x82, 0x9f, 0x00],
        ];
        let mut deep = std::vec![0x81u8; 40];
        deep.push(0);
        out.push(deep);
        out.push(big_map());
        out
    }

    /// A map of 60 text keys to text values, about 4 KiB, like a maximal
    /// header record.
    fn big_map() -> std::vec::Vec<u8> {
        let mut out = std::vec![0xb8, 60];
        for i in 0..60u8 {
            out.extend_from_slice(&[0x63, b'k', b'0' + i / 10, b'0' + i % 10]);
            out.extend_from_slice(&[0x78, 60]);
            out.extend(core::iter::repeat_n(b'v', 60));
        }
        out
    }

    #[test]
    fn a_resumed_scan_answers_as_a_fresh_one_for_every_prefix() {
        for item in samples() {
            let mut scan = ItemScan::new();
            for k in 0..=item.len() {
                let fresh = skip_item(&item[..k], 7, &[18]);
                let resumed = scan.resume(&item[..k], 7, &[18]);
                assert_eq!(resumed, fresh, "prefix {k} of {item:02x?}");
                if fresh.is_ok() || fresh.is_err_and(|e| !e.is_truncated()) {
                    // Final: more bytes change nothing.
                    assert_eq!(scan.resume(&item, 7, &[18]), fresh);
                    break;
                }
            }
        }
    }

    #[test]
    fn big_map_is_a_valid_4_kib_item() {
        let item = big_map();
        assert!(item.len() > 3900);
        assert_eq!(skip_item(&item, 0, &[]).unwrap(), item.len());
    }

    /// The cost bound the streaming verifier relies on: fed one byte at a
    /// time, the scan examines each byte a bounded number of times (plus at
    /// most one head per call), not the whole prefix on every call.
    #[test]
    fn bytewise_feeding_examines_each_byte_a_bounded_number_of_times() {
        let item = big_map();
        let mut whole = ItemScan::new();
        assert_eq!(whole.resume(&item, 0, &[]).unwrap(), item.len());
        assert!(whole.examined <= 2 * item.len(), "whole: {} for {}", whole.examined, item.len());

        let mut bytewise = ItemScan::new();
        let mut calls = 0usize;
        for k in 1..=item.len() {
            calls += 1;
            if bytewise.resume(&item[..k], 0, &[]).is_ok() {
                break;
            }
        }
        assert_eq!(calls, item.len());
        let bound = 2 * item.len() + super::super::head::MAX_HEAD_LEN * calls;
        assert!(bytewise.examined <= bound, "bytewise: {} > {bound}", bytewise.examined);
        // A rescan of the prefix per call would examine about len²/2 bytes.
        assert!(bytewise.examined < item.len() * item.len() / 64);
    }

    #[test]
    fn the_state_is_small() {
        // One frame per nesting level and a few words: it lives in the
        // streaming verifier, which a kernel keeps per migration. (Frames
        // of two words for the previous key, without the `Option`, would
        // save 128 bytes, but made the stack probe's boxed verifier be
        // built on the stack first: 4 KiB more peak stack.)
        assert_eq!(core::mem::size_of::<Frame>(), 48);
        let size = core::mem::size_of::<ItemScan>();
        assert!(size <= MAX_DEPTH * 48 + 192, "{size}");
    }

    #[test]
    fn offsets_are_shifted_by_base() {
        let e = skip_item(&[0x82, 0x01, 0x18, 0x01], 100, &[]).unwrap_err();
        assert_eq!(e.offset(), 102);
    }
}
