//! A chunk head's payload limit is inclusive: a payload of exactly the
//! limit (the policy's, or the format's 1 GiB when that is lower) is
//! accepted from the head alone, one byte more is `LengthOverLimit` at the
//! length's offset, naming both numbers.

#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use migseal_format::envelope::{ChunkHead, MAX_CHUNK_LEN};
use migseal_format::{Detail, ErrorCode};

/// The head of chunk 5 with a byte-string length of `len` (4-byte form).
fn head(len: u32) -> Vec<u8> {
    let mut h = vec![0x83, 0x01, 0x05, 0x5a];
    h.extend_from_slice(&len.to_be_bytes());
    h
}

#[test]
fn a_payload_of_exactly_the_policy_limit_is_accepted_and_one_byte_more_refused() {
    let at_limit = ChunkHead::decode(&head(70_000), 0, 70_000).unwrap();
    assert_eq!((at_limit.seq, at_limit.len, at_limit.head_len), (5, 70_000, 8));
    let e = ChunkHead::decode(&head(70_001), 100, 70_000).unwrap_err();
    assert_eq!((e.code(), e.offset()), (ErrorCode::LengthOverLimit, 103));
    assert_eq!(e.detail(), Detail::Limit { limit: 70_000, found: 70_001 });
}

#[test]
fn the_format_bound_applies_when_the_policy_allows_more() {
    let max = u32::try_from(MAX_CHUNK_LEN).unwrap();
    assert_eq!(ChunkHead::decode(&head(max), 0, u64::MAX).unwrap().len, MAX_CHUNK_LEN);
    let e = ChunkHead::decode(&head(max + 1), 0, u64::MAX).unwrap_err();
    assert_eq!(e.code(), ErrorCode::LengthOverLimit);
    assert_eq!(e.detail(), Detail::Limit { limit: MAX_CHUNK_LEN, found: MAX_CHUNK_LEN + 1 });
}

#[test]
fn a_head_is_encoded_for_up_to_the_format_bound_and_no_more() {
    let (buf, n) = ChunkHead::encode(5, MAX_CHUNK_LEN).unwrap();
    let max = u32::try_from(MAX_CHUNK_LEN).unwrap();
    assert_eq!(buf[..n], head(max));
    let e = ChunkHead::encode(5, MAX_CHUNK_LEN + 1).unwrap_err();
    assert_eq!(e.code(), ErrorCode::LengthOverLimit);
    assert_eq!(e.detail(), Detail::Limit { limit: MAX_CHUNK_LEN, found: MAX_CHUNK_LEN + 1 });
}
