//! Record framing: which record comes next, and the head of a chunk record
//! (everything up to its payload bytes, which the verifier streams).

use super::MAX_CHUNK_LEN;
use crate::cbor::{Head, MAX_HEAD_LEN, Reader, encode_head, parse_head};
use crate::error::{Detail, Error, ErrorCode, Result};

/// The three record types (spec §3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordType {
    /// `[0, header]`, first and once.
    Header,
    /// `[1, seq, data]`, zero or more.
    Chunk,
    /// `[2, COSE_Sign1]`, last and once.
    Seal,
}

impl RecordType {
    /// The type number on the wire.
    #[must_use]
    pub const fn number(self) -> i64 {
        match self {
            Self::Header => 0,
            Self::Chunk => 1,
            Self::Seal => 2,
        }
    }

    /// Elements in the record array.
    #[must_use]
    pub const fn arity(self) -> u64 {
        match self {
            Self::Header | Self::Seal => 2,
            Self::Chunk => 3,
        }
    }
}

/// Reads the record array head and type number at the start of `bytes`
/// (stream offset `base`) without consuming anything.
///
/// # Errors
///
/// [`ErrorCode::Truncated`] while fewer than the needed bytes are there
/// (a streaming caller waits for more), [`ErrorCode::UnexpectedType`] when
/// the record is not an array, [`ErrorCode::UnknownRecordType`],
/// [`ErrorCode::RecordShape`].
pub fn peek_record_type(bytes: &[u8], base: u64) -> Result<RecordType> {
    let (head, head_len) = parse_head(bytes, base)?;
    let Head::Array(arity) = head else {
        return Err(Error::new(ErrorCode::UnexpectedType, base)
            .with_detail(Detail::Type { expected: "record array", found: head.kind() })
            .in_field("record"));
    };
    // An array of a length no record type has is refused at its head,
    // before the type (spec §8.6: the first deviation decides). For an
    // empty array this is also the only fragment-independent answer: it is
    // a complete record without a type number, and the byte after it
    // belongs to the next record (found by fuzzing, fuzz/README.md).
    if arity != RecordType::Header.arity() && arity != RecordType::Chunk.arity() {
        return Err(Error::new(ErrorCode::RecordShape, base)
            .with_detail(Detail::Value { expected: RecordType::Header.arity(), found: arity })
            .in_field("record"));
    }
    let rest = bytes.get(head_len..).unwrap_or(&[]);
    let type_at = base.saturating_add(crate::cbor::len_u64(head_len));
    let (type_head, _) = parse_head(rest, type_at)?;
    let record = match type_head {
        Head::Uint(0) => RecordType::Header,
        Head::Uint(1) => RecordType::Chunk,
        Head::Uint(2) => RecordType::Seal,
        Head::Uint(n) => {
            return Err(Error::new(ErrorCode::UnknownRecordType, type_at)
                .with_detail(Detail::Value { expected: 2, found: n })
                .in_field("record type"));
        }
        other => {
            return Err(Error::new(ErrorCode::UnexpectedType, type_at)
                .with_detail(Detail::Type { expected: "record type number", found: other.kind() })
                .in_field("record type"));
        }
    };
    if arity != record.arity() {
        return Err(Error::new(ErrorCode::RecordShape, base)
            .with_detail(Detail::Value { expected: record.arity(), found: arity })
            .in_field("record"));
    }
    Ok(record)
}

/// Longest chunk head: array(3), type, 9-byte sequence number, 9-byte
/// byte-string head.
pub const CHUNK_HEAD_MAX_LEN: usize = 20;

/// Everything of a chunk record before its payload bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChunkHead {
    /// Sequence number (0, 1, 2, ...).
    pub seq: u64,
    /// Payload length in bytes.
    pub len: u64,
    /// Encoded length of this head.
    pub head_len: usize,
}

impl ChunkHead {
    /// Parses a chunk head at the start of `bytes` (stream offset `base`),
    /// refusing a payload longer than `max_len` before any payload byte is
    /// looked at.
    ///
    /// # Errors
    ///
    /// [`ErrorCode::Truncated`] while the head is incomplete; record
    /// framing errors; [`ErrorCode::LengthOverLimit`] above `max_len` or
    /// the format's 1 GiB bound; [`ErrorCode::EmptyChunk`].
    pub fn decode(bytes: &[u8], base: u64, max_len: u64) -> Result<Self> {
        let record = peek_record_type(bytes, base)?;
        if record != RecordType::Chunk {
            return Err(Error::new(ErrorCode::UnknownRecordType, base).in_field("chunk record"));
        }
        let mut r = Reader::with_base(bytes, base);
        r.read_array(3)?;
        r.read_uint(1)?;
        let seq = r.read_uint(u64::MAX).map_err(|e| e.in_field("chunk.seq"))?;
        let len_at = r.offset();
        let head = r.read_head().map_err(|e| e.in_field("chunk.data"))?;
        let Head::Bytes(len) = head else {
            return Err(Error::new(ErrorCode::UnexpectedType, len_at)
                .with_detail(Detail::Type { expected: "byte string", found: head.kind() })
                .in_field("chunk.data"));
        };
        let limit = max_len.min(MAX_CHUNK_LEN);
        if len > limit {
            return Err(Error::new(ErrorCode::LengthOverLimit, len_at)
                .with_detail(Detail::Limit { limit, found: len })
                .in_field("chunk.data"));
        }
        if len == 0 {
            return Err(Error::new(ErrorCode::EmptyChunk, len_at).in_field("chunk.data"));
        }
        Ok(Self { seq, len, head_len: r.position() })
    }

    /// Encodes the head of chunk `seq` carrying `len` payload bytes; the
    /// payload bytes follow it directly.
    ///
    /// # Errors
    ///
    /// [`ErrorCode::EmptyChunk`] for `len == 0`,
    /// [`ErrorCode::LengthOverLimit`] above the format bound.
    pub fn encode(seq: u64, len: u64) -> Result<([u8; CHUNK_HEAD_MAX_LEN], usize)> {
        if len == 0 {
            return Err(Error::new(ErrorCode::EmptyChunk, 0));
        }
        if len > MAX_CHUNK_LEN {
            return Err(Error::new(ErrorCode::LengthOverLimit, 0)
                .with_detail(Detail::Limit { limit: MAX_CHUNK_LEN, found: len }));
        }
        // Three heads in a row: array(3) with type 1, the sequence number,
        // and the byte-string head; the payload bytes follow on the wire.
        let mut buf = [0u8; CHUNK_HEAD_MAX_LEN];
        let mut head = [0u8; MAX_HEAD_LEN];
        let mut end = 0usize;
        for (major, arg) in [(4u8, 3u64), (0, 1), (0, seq), (2, len)] {
            let n = encode_head(major, arg, &mut head);
            let next = end.saturating_add(n);
            let dst = buf.get_mut(end..next).ok_or(Error::new(ErrorCode::BufferTooSmall, 0))?;
            crate::bytes::copy_prefix(dst, head.get(..n).unwrap_or(&[]));
            end = next;
        }
        Ok((buf, end))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn refused(bytes: &[u8]) -> (ErrorCode, u64) {
        let e = peek_record_type(bytes, 0).unwrap_err();
        (e.code(), e.offset())
    }

    /// Spec §3 rule 1, §8.6: a length no record has is refused at the array
    /// head, before the type; otherwise the type, then its length.
    #[test]
    fn framing_order() {
        assert_eq!(refused(&[0x80]), (ErrorCode::RecordShape, 0));
        assert_eq!(refused(&[0x81]), (ErrorCode::RecordShape, 0));
        assert_eq!(refused(&[0x84, 0x05]), (ErrorCode::RecordShape, 0));
        assert_eq!(refused(&[0x83, 0x05]), (ErrorCode::UnknownRecordType, 1));
        assert_eq!(refused(&[0x82, 0x01]), (ErrorCode::RecordShape, 0));
        assert_eq!(refused(&[0x83, 0x00]), (ErrorCode::RecordShape, 0));
        assert_eq!(refused(&[0xc1, 0x83]), (ErrorCode::UnexpectedType, 0));
        assert!(peek_record_type(&[0x83], 0).unwrap_err().is_truncated());
        assert_eq!(peek_record_type(&[0x83, 0x01], 0).unwrap(), RecordType::Chunk);
    }
}
