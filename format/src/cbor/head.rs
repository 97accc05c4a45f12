//! One CBOR head (initial byte plus argument), parsed strictly.
//!
//! ciborium-ll's `Header` collapses the argument width, so `18 05` and `05`
//! both decode as 5; a canonical reader must see the width to refuse the
//! longer form. This parser keeps the width and refuses, at the head, every
//! form RFC 8949 §4.2.1 (core deterministic encoding) rules out and every
//! form migseal v1 does not use (floats, undefined, unassigned simple
//! values, indefinite lengths).

use crate::error::{Detail, Error, ErrorCode, Result};

/// A decoded head: the major type with its argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Head {
    /// Major type 0: an unsigned integer.
    Uint(u64),
    /// Major type 1: the negative integer `-1 - n`.
    Nint(u64),
    /// Major type 2: a byte string of this length.
    Bytes(u64),
    /// Major type 3: a text string of this length (in bytes).
    Text(u64),
    /// Major type 4: an array of this many items.
    Array(u64),
    /// Major type 5: a map of this many pairs.
    Map(u64),
    /// Major type 6: a tag number; one data item follows.
    Tag(u64),
    /// `false` (0xf4).
    False,
    /// `true` (0xf5).
    True,
    /// `null` (0xf6).
    Null,
}

impl Head {
    /// A short name of the kind of item, for messages.
    #[must_use]
    pub const fn kind(&self) -> &'static str {
        match self {
            Self::Uint(_) => "unsigned integer",
            Self::Nint(_) => "negative integer",
            Self::Bytes(_) => "byte string",
            Self::Text(_) => "text string",
            Self::Array(_) => "array",
            Self::Map(_) => "map",
            Self::Tag(_) => "tag",
            Self::False | Self::True => "boolean",
            Self::Null => "null",
        }
    }

    /// The number of bytes this head occupies when encoded canonically.
    #[must_use]
    pub const fn encoded_len(&self) -> usize {
        match self {
            Self::Uint(n)
            | Self::Nint(n)
            | Self::Bytes(n)
            | Self::Text(n)
            | Self::Array(n)
            | Self::Map(n)
            | Self::Tag(n) => argument_len(*n),
            Self::False | Self::True | Self::Null => 1,
        }
    }
}

/// Length of a head carrying argument `n` in shortest form.
#[must_use]
pub const fn argument_len(n: u64) -> usize {
    if n < 24 {
        1
    } else if n <= 0xff {
        2
    } else if n <= 0xffff {
        3
    } else if n <= 0xffff_ffff {
        5
    } else {
        9
    }
}

/// Largest encoded head: initial byte plus an 8-byte argument.
pub const MAX_HEAD_LEN: usize = 9;

/// Parses the head at the start of `input`; `offset` is where `input`
/// starts in the stream, for the error. Returns the head and its length.
///
/// # Errors
///
/// [`ErrorCode::Truncated`] when `input` ends inside the head; otherwise
/// the code for the refused form (non-shortest argument, reserved
/// additional information, indefinite length, stray break, float,
/// disallowed simple value).
pub fn parse_head(input: &[u8], offset: u64) -> Result<(Head, usize)> {
    let Some((&initial, rest)) = input.split_first() else {
        return Err(Error::new(ErrorCode::Truncated, offset));
    };
    let major = initial >> 5;
    let info = initial & 0x1f;
    let err = |code| Error::new(code, offset).with_detail(Detail::Byte(initial));

    if major == 7 {
        return match info {
            20 => Ok((Head::False, 1)),
            21 => Ok((Head::True, 1)),
            22 => Ok((Head::Null, 1)),
            // 0..=19 unassigned, 23 undefined, 24 two-byte simple values
            // (f8 00..1f are not even well-formed; the rest are unassigned).
            0..=19 | 23 | 24 => Err(err(ErrorCode::SimpleValueNotAllowed)),
            25..=27 => Err(err(ErrorCode::FloatNotAllowed)),
            28..=30 => Err(err(ErrorCode::ReservedAdditionalInfo)),
            _ => Err(err(ErrorCode::StrayBreak)),
        };
    }

    let (argument, len) = match info {
        0..=23 => (u64::from(info), 1),
        24 => {
            let [b] = take::<1>(rest, offset)?;
            // A one-byte argument below 24 fits in the initial byte.
            if b < 24 {
                return Err(err(ErrorCode::NonShortestHead));
            }
            (u64::from(b), 2)
        }
        25 => {
            let v = u16::from_be_bytes(take::<2>(rest, offset)?);
            if v <= 0xff {
                return Err(err(ErrorCode::NonShortestHead));
            }
            (u64::from(v), 3)
        }
        26 => {
            let v = u32::from_be_bytes(take::<4>(rest, offset)?);
            if v <= 0xffff {
                return Err(err(ErrorCode::NonShortestHead));
            }
            (u64::from(v), 5)
        }
        27 => {
            let v = u64::from_be_bytes(take::<8>(rest, offset)?);
            if v <= 0xffff_ffff {
                return Err(err(ErrorCode::NonShortestHead));
            }
            (v, 9)
        }
        28..=30 => return Err(err(ErrorCode::ReservedAdditionalInfo)),
        // 31: indefinite length for major types 2–5; for 0, 1 and 6 it is
        // not well-formed at all. Either way the item has no fixed length.
        _ => {
            return Err(err(if (2..=5).contains(&major) {
                ErrorCode::IndefiniteLength
            } else {
                ErrorCode::ReservedAdditionalInfo
            }));
        }
    };

    let head = match major {
        0 => Head::Uint(argument),
        1 => Head::Nint(argument),
        2 => Head::Bytes(argument),
        3 => Head::Text(argument),
        4 => Head::Array(argument),
        5 => Head::Map(argument),
        _ => Head::Tag(argument),
    };
    Ok((head, len))
}

fn take<const N: usize>(rest: &[u8], offset: u64) -> Result<[u8; N]> {
    rest.first_chunk::<N>().copied().ok_or_else(|| Error::new(ErrorCode::Truncated, offset))
}

/// Encodes a head with major type `major` (0–7) and argument `n` in
/// shortest form into `out`, returning the used prefix length.
///
/// Only the writer calls this, with `major` 0–6; major type 7 items are
/// written as fixed single bytes.
pub(crate) fn encode_head(major: u8, n: u64, out: &mut [u8; MAX_HEAD_LEN]) -> usize {
    // Each arm narrows `n` with try_from after the range test made it exact;
    // the fallbacks are unreachable but keep the code free of `as`. `info`
    // is the additional information: the argument itself below 24, else
    // 24–27 for 1, 2, 4 or 8 argument bytes.
    let (len, info) = if n < 24 {
        (1, u8::try_from(n).unwrap_or(0))
    } else if n <= 0xff {
        out[1] = u8::try_from(n).unwrap_or(0);
        (2, 24)
    } else if n <= 0xffff {
        let b = u16::try_from(n).unwrap_or(0).to_be_bytes();
        out[1..3].copy_from_slice(&b);
        (3, 25)
    } else if n <= 0xffff_ffff {
        let b = u32::try_from(n).unwrap_or(0).to_be_bytes();
        out[1..5].copy_from_slice(&b);
        (5, 26)
    } else {
        out[1..9].copy_from_slice(&n.to_be_bytes());
        (9, 27)
    };
    // Major type in bits 5–7, additional information (below 28) in bits 0–4.
    out[0] = major.wrapping_shl(5) | info;
    len
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::unwrap_used)]
mod tests {
    use super::*;

    fn code(bytes: &[u8]) -> ErrorCode {
        parse_head(bytes, 0).unwrap_err().code()
    }

    #[test]
    fn shortest_forms_parse_with_their_width() {
        assert_eq!(parse_head(&[0x17], 0).unwrap(), (Head::Uint(23), 1));
        assert_eq!(parse_head(&[0x18, 24], 0).unwrap(), (Head::Uint(24), 2));
        assert_eq!(parse_head(&[0x19, 1, 0], 0).unwrap(), (Head::Uint(256), 3));
        assert_eq!(parse_head(&[0x3a, 0, 1, 0, 0], 0).unwrap(), (Head::Nint(65536), 5));
        assert_eq!(parse_head(&[0x5b, 0, 0, 0, 1, 0, 0, 0, 0], 0).unwrap(), (Head::Bytes(1 << 32), 9));
        assert_eq!(parse_head(&[0xf6], 0).unwrap(), (Head::Null, 1));
    }

    #[test]
    fn every_non_shortest_width_is_refused() {
        assert_eq!(code(&[0x18, 0x05]), ErrorCode::NonShortestHead);
        assert_eq!(code(&[0x18, 0x17]), ErrorCode::NonShortestHead);
        assert_eq!(code(&[0x19, 0x00, 0xff]), ErrorCode::NonShortestHead);
        assert_eq!(code(&[0x1a, 0, 0, 0xff, 0xff]), ErrorCode::NonShortestHead);
        assert_eq!(code(&[0x1b, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]), ErrorCode::NonShortestHead);
        // Lengths and tags follow the same rule.
        assert_eq!(code(&[0x58, 0x01]), ErrorCode::NonShortestHead);
        assert_eq!(code(&[0xd8, 0x12]), ErrorCode::NonShortestHead);
    }

    #[test]
    fn refused_forms_have_their_codes() {
        assert_eq!(code(&[0x1c]), ErrorCode::ReservedAdditionalInfo);
        assert_eq!(code(&[0x1f]), ErrorCode::ReservedAdditionalInfo);
        assert_eq!(code(&[0x5f]), ErrorCode::IndefiniteLength);
        assert_eq!(code(&[0x9f]), ErrorCode::IndefiniteLength);
        assert_eq!(code(&[0xbf]), ErrorCode::IndefiniteLength);
        assert_eq!(code(&[0xff]), ErrorCode::StrayBreak);
        assert_eq!(code(&[0xf9, 0, 0]), ErrorCode::FloatNotAllowed);
        assert_eq!(code(&[0xfb]), ErrorCode::FloatNotAllowed);
        assert_eq!(code(&[0xf7]), ErrorCode::SimpleValueNotAllowed);
        assert_eq!(code(&[0xf0]), ErrorCode::SimpleValueNotAllowed);
        assert_eq!(code(&[0xf8, 0x20]), ErrorCode::SimpleValueNotAllowed);
        assert_eq!(code(&[0xf8, 0x00]), ErrorCode::SimpleValueNotAllowed);
        assert_eq!(code(&[]), ErrorCode::Truncated);
        assert_eq!(code(&[0x1b, 1, 2, 3]), ErrorCode::Truncated);
    }

    #[test]
    fn encode_then_parse_is_identity_at_every_width_boundary() {
        for n in [0, 23, 24, 255, 256, 65535, 65536, 0xffff_ffff, 0x1_0000_0000, u64::MAX] {
            for major in 0..=6u8 {
                let mut buf = [0u8; MAX_HEAD_LEN];
                let len = encode_head(major, n, &mut buf);
                assert_eq!(len, argument_len(n));
                let (head, used) = parse_head(&buf[..len], 0).unwrap();
                assert_eq!(used, len);
                assert_eq!(head.encoded_len(), len);
            }
        }
    }
}
