//! Iterative validation of one complete data item of any shape.
//!
//! Like minicbor's skipper this walks with an explicit, fixed-size stack
//! instead of recursion, so hostile nesting costs a bounded amount of stack
//! and is refused at [`MAX_DEPTH`]. Every loop iteration consumes at least
//! one input byte, so the work is bounded by the input length even when a
//! container declares 2^64 items.

use super::head::{Head, parse_head};
use super::reader::{MAX_DEPTH, len_u64};
use crate::error::{Detail, Error, ErrorCode, Result};

#[derive(Clone, Copy, Default)]
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
    let mut stack = [Frame::default(); MAX_DEPTH];
    let mut depth = 0usize;
    let mut pos = 0usize;
    let at = |pos: usize| base.saturating_add(len_u64(pos));

    loop {
        // Starting a new item: if it is a map key, remember where it starts.
        if let Some(top) = depth.checked_sub(1).and_then(|d| stack.get_mut(d))
            && top.is_map
            && top.remaining % 2 == 0
        {
            top.key_start = pos;
        }

        let rest = input.get(pos..).unwrap_or(&[]);
        let (head, head_len) = parse_head(rest, at(pos))?;
        let item_start = pos;
        pos = pos.checked_add(head_len).ok_or_else(|| Error::new(ErrorCode::Truncated, at(pos)))?;

        let push = match head {
            Head::Bytes(n) | Head::Text(n) => {
                let end = usize::try_from(n)
                    .ok()
                    .and_then(|n| pos.checked_add(n))
                    .filter(|&end| end <= input.len())
                    .ok_or_else(|| Error::new(ErrorCode::Truncated, at(item_start)))?;
                if matches!(head, Head::Text(_)) {
                    let content = input.get(pos..end).unwrap_or(&[]);
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

        if let Some(frame) = push {
            let slot = stack.get_mut(depth).ok_or_else(|| {
                Error::new(ErrorCode::NestingTooDeep, at(item_start)).with_detail(Detail::Limit {
                    limit: len_u64(MAX_DEPTH),
                    found: len_u64(depth.saturating_add(1)),
                })
            })?;
            *slot = frame;
            depth = depth.saturating_add(1);
            continue;
        }

        // An item completed: close every container it completes in turn.
        loop {
            let Some(top_index) = depth.checked_sub(1) else {
                return Ok(pos);
            };
            let Some(top) = stack.get_mut(top_index) else {
                return Err(Error::new(ErrorCode::NestingTooDeep, at(pos)));
            };
            if top.is_map && top.remaining % 2 == 0 {
                let key = (top.key_start, pos);
                if let Some(prev) = top.prev_key {
                    let prev_bytes = input.get(prev.0..prev.1).unwrap_or(&[]);
                    let key_bytes = input.get(key.0..key.1).unwrap_or(&[]);
                    if key_bytes == prev_bytes {
                        return Err(Error::new(ErrorCode::DuplicateMapKey, at(key.0)));
                    }
                    if key_bytes < prev_bytes {
                        return Err(Error::new(ErrorCode::MapKeysUnsorted, at(key.0)));
                    }
                }
                top.prev_key = Some(key);
            }
            top.remaining = top.remaining.saturating_sub(1);
            if top.remaining > 0 {
                break;
            }
            depth = top_index;
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
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

    #[test]
    fn offsets_are_shifted_by_base() {
        let e = skip_item(&[0x82, 0x01, 0x18, 0x01], 100, &[]).unwrap_err();
        assert_eq!(e.offset(), 102);
    }
}
