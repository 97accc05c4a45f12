//! `decode_header`, `decode_chunk_head`, `decode_seal`,
//! `decode_descriptor`: each record decoder on any bytes.
//!
//! Shared properties: no panic; error offsets lie within the input and
//! move exactly with the stream offset the caller passes (`base`); an
//! accepted record is canonical CBOR and the encoder writes it back
//! byte-identically (one value, one encoding).

use migseal_format::cbor::{Encoder, skip_item, validate};
use migseal_format::envelope::{
    CHUNK_HEAD_MAX_LEN, ChunkHead, Descriptor, Header, HeaderRecord, MAX_CHUNK_LEN, MAX_HEADER_LEN,
    RecordType, Role, SEAL_RECORD_LEN, Seal, TAG_COSE_SIGN1, peek_record_type,
};
use migseal_format::{ErrorCode, Result};
use migseal_verifier::compat;

use crate::{prefix_consistent, prefix_lengths};

/// An arbitrary stream offset, to check that errors are reported relative
/// to it.
const BASE: u64 = 0x1_0000_0001;

fn len64(data: &[u8]) -> u64 {
    u64::try_from(data.len()).unwrap_or(u64::MAX)
}

/// Same outcome at offset 0 and at [`BASE`], errors shifted by exactly
/// `BASE`.
fn check_offsets<T: PartialEq + core::fmt::Debug>(data: &[u8], at0: &Result<T>, at_base: &Result<T>) {
    match (at0, at_base) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "the decoded value depends on the stream offset"),
        (Err(a), Err(b)) => {
            assert!(
                a.offset() <= len64(data),
                "error offset {} beyond {} bytes: {a}",
                a.offset(),
                data.len()
            );
            assert_eq!(a.code(), b.code(), "the error depends on the stream offset");
            crate::typed::assert_format_message(a);
            assert_eq!(b.offset(), a.offset() + BASE, "error offset not relative to the stream offset");
        }
        _ => panic!("outcome depends on the stream offset: {at0:?} vs {at_base:?}"),
    }
}

fn encoded(f: impl FnOnce(&mut Encoder<Vec<u8>>) -> Result<()>) -> Vec<u8> {
    let mut e = Encoder::new(Vec::new());
    f(&mut e).unwrap_or_else(|e| panic!("an accepted record does not encode: {e}"));
    e.finish().unwrap_or_else(|e| panic!("encoding left a container open: {e}"))
}

/// `decode_header`.
///
/// # Panics
///
/// When a property does not hold.
pub fn check_header(data: &[u8]) {
    check_header_prefix(data);
    let at0 = Header::decode_record(data, 0);
    check_offsets(data, &at0, &Header::decode_record(data, BASE));
    let Ok(header) = at0 else { return };
    assert_eq!(encoded(|e| header.encode_record(e)), data, "header re-encodes differently");
    assert_eq!(validate(data, &[]), Ok(()), "an accepted header is not canonical CBOR");
    assert_eq!(peek_record_type(data, 0), Ok(RecordType::Header));
    // What the verifier does at restore time: the header as a source
    // descriptor is compatible with a destination that accepts exactly it.
    let source = Descriptor::from_header(&header);
    let destination = Descriptor { role: Role::Destination, ..source };
    let c = compat::check(&source, &destination);
    assert!(c.is_compatible(), "a header is incompatible with its own device: {:?}", c.first());
    assert_eq!(c.chosen_version(), Some(header.state_version));
    let bytes = encoded(|e| source.encode(e));
    assert_eq!(Descriptor::decode(&bytes), Ok(source), "the header's descriptor does not round-trip");
}

/// The verifier's fast path: a header decoded from the front of longer
/// bytes is one the generic whole-item check accepts too, with the same
/// length (so skipping that check cannot change a verdict), it is the
/// header the exact decoder gives for those bytes, and a [`HeaderRecord`]
/// gives it back unchanged from its kept layout.
fn check_header_prefix(data: &[u8]) {
    let Ok((header, len)) = Header::decode_prefix(data, 0) else { return };
    assert_eq!(skip_item(data, 0, &[]), Ok(len), "decode_prefix accepted what the generic check refuses");
    assert_eq!(Header::decode_record(&data[..len], 0), Ok(header), "decode_prefix and decode_record differ");
    let mut held = HeaderRecord::new();
    held.gather(data, MAX_HEADER_LEN);
    if data.len() <= MAX_HEADER_LEN {
        assert_eq!(held.decode_prefix(0), Ok(len));
        assert_eq!(held.bytes(), &data[..len]);
        assert_eq!(held.header(), Some(header), "the kept layout rebuilds another header");
    }
}

/// `decode_chunk_head`.
///
/// # Panics
///
/// When a property does not hold.
pub fn check_chunk_head(data: &[u8]) {
    let whole = ChunkHead::decode(data, 0, u64::MAX);
    check_offsets(data, &whole, &ChunkHead::decode(data, BASE, u64::MAX));
    // The verifier feeds a chunk head byte by byte and waits while the
    // decoder says "truncated".
    for n in prefix_lengths(data.len().min(CHUNK_HEAD_MAX_LEN + 4)) {
        let prefix = ChunkHead::decode(&data[..n], 0, u64::MAX);
        let expected = match whole {
            Ok(h) if h.head_len <= n => Ok(h),
            Ok(h) => {
                assert!(
                    prefix.as_ref().is_err_and(|e| e.is_truncated()),
                    "{n} of the {} head bytes gave {prefix:?}, not truncated",
                    h.head_len
                );
                continue;
            }
            Err(e) => Err(e),
        };
        assert!(prefix_consistent(&prefix, &expected), "prefix of {n} bytes: {prefix:?}, whole: {whole:?}");
    }
    let Ok(head) = whole else { return };
    assert!(head.len > 0 && head.len <= MAX_CHUNK_LEN, "accepted a chunk of {} bytes", head.len);
    assert!(head.head_len <= CHUNK_HEAD_MAX_LEN && head.head_len <= data.len());
    let (bytes, n) = ChunkHead::encode(head.seq, head.len).expect("an accepted head encodes");
    assert_eq!(&bytes[..n], &data[..head.head_len], "chunk head re-encodes differently");
    assert_eq!(peek_record_type(data, 0), Ok(RecordType::Chunk));
    // The limit is exact: the declared length passes, one less refuses.
    assert_eq!(ChunkHead::decode(data, 0, head.len), Ok(head));
    let e = ChunkHead::decode(data, 0, head.len - 1).expect_err("a chunk above the limit was accepted");
    assert_eq!(e.code(), ErrorCode::LengthOverLimit);
}

/// `decode_seal`.
///
/// # Panics
///
/// When a property does not hold.
pub fn check_seal(data: &[u8]) {
    let at0 = Seal::decode_record(data, 0);
    check_offsets(data, &at0, &Seal::decode_record(data, BASE));
    let Ok(seal) = at0 else { return };
    assert_eq!(data.len(), SEAL_RECORD_LEN, "a seal record has one length");
    assert_eq!(&seal.encode_record()[..], data, "seal re-encodes differently");
    assert_eq!(validate(data, &[TAG_COSE_SIGN1]), Ok(()), "an accepted seal is not canonical CBOR");
    assert_eq!(peek_record_type(data, 0), Ok(RecordType::Seal));
    assert!(Seal::to_be_signed(&seal.key_id, &[0; 32]).ends_with(&[0; 32]));
}

/// `decode_descriptor`.
///
/// # Panics
///
/// When a property does not hold.
pub fn check_descriptor(data: &[u8]) {
    let d = Descriptor::decode(data);
    if let Err(e) = &d {
        assert!(e.offset() <= len64(data), "error offset {} beyond {} bytes: {e}", e.offset(), data.len());
        crate::typed::assert_format_message(e);
    }
    let Ok(d) = d else { return };
    assert_eq!(encoded(|e| d.encode(e)), data, "descriptor re-encodes differently");
    assert_eq!(validate(data, &[]), Ok(()), "an accepted descriptor is not canonical CBOR");
    // A decoded descriptor is self-consistent, so as a source it is
    // compatible with itself as a destination, at its highest version.
    let source = Descriptor { role: Role::Source, ..d };
    let destination = Descriptor { role: Role::Destination, ..d };
    let c = compat::check(&source, &destination);
    assert!(c.is_compatible(), "a descriptor is incompatible with itself: {:?}", c.first());
    assert_eq!(c.chosen_version(), d.versions.iter().last().map(|r| r.max));
    let swapped = compat::check(&destination, &source);
    assert_eq!(swapped.first().map(|r| r.code()), Some(compat::CompatCode::RoleMismatch));
}
