//! The seal record: `[2, COSE_Sign1_Tagged]` with a detached payload (RFC
//! 9052 §4.2). The payload is the 32-byte image digest (spec §5.4); the
//! signature covers the RFC 9052 `Sig_structure`, so any COSE library can
//! check a seal given the image digest.
//!
//! The protected header is fixed except for the key id, so the whole seal
//! record has one length, [`SEAL_RECORD_LEN`], and one encoding.

use super::digest::{DIGEST_LEN, Digest};
use super::header::{KeyId, read_key_id};
use super::{KEY_ID_LEN, RecordType, first_missing, key_bit, key_set};
use crate::bytes::concat;
use crate::cbor::{MapKeys, Reader, len_u64};
use crate::error::{Detail, Error, ErrorCode, Result};

/// COSE algorithm: Ed25519 as a fully specified algorithm (RFC 9864).
/// The polymorphic `EdDSA` (-8) is refused: it names a family, not one
/// curve and hash, and RFC 9864 deprecates it.
pub const ALG_ED25519: i64 = -19;
/// COSE content type (label 3) in the protected header. It names what the
/// detached payload is, and separates migseal signatures from every other
/// use of the same key.
pub const CONTENT_TYPE: &str = "application/vnd.migseal.image-digest-v1";
/// CBOR tag of COSE_Sign1.
pub const TAG_COSE_SIGN1: u64 = 18;
/// Length of an Ed25519 signature.
pub const SIGNATURE_LEN: usize = 64;

/// COSE header labels used (RFC 9052 §3.1).
const LABEL_ALG: u64 = 1;
const LABEL_CONTENT_TYPE: u64 = 3;
const LABEL_KID: u64 = 4;
/// All three are required in the protected header.
const REQUIRED_LABELS: u64 = key_set(&[LABEL_ALG, LABEL_CONTENT_TYPE, LABEL_KID]);

/// Encoded length of the protected header map
/// `{1: -19, 3: CONTENT_TYPE, 4: h'<32-byte key id>'}`.
pub const PROTECTED_LEN: usize = 1 + 1 + 1 + 1 + 2 + CONTENT_TYPE.len() + 1 + 2 + KEY_ID_LEN;
/// Encoded length of `Sig_structure` = `["Signature1", protected, h'', digest]`.
pub const TBS_LEN: usize = 1 + 1 + 10 + 2 + PROTECTED_LEN + 1 + 2 + DIGEST_LEN;
/// Encoded length of a seal record.
pub const SEAL_RECORD_LEN: usize = 1 + 1 + 1 + 1 + 2 + PROTECTED_LEN + 1 + 1 + 2 + SIGNATURE_LEN;

/// The protected header's bytes before the key id, `{1: -19, 3:
/// CONTENT_TYPE, 4:` and the key id's byte-string head. v1 allows one
/// encoding, so it is spelled out: the verifier compares bytes instead of
/// re-encoding (a test holds it equal to the encoder's output).
const PROTECTED_PREFIX: &[u8; PROTECTED_LEN - KEY_ID_LEN] =
    b"\xa3\x01\x32\x03\x78\x27application/vnd.migseal.image-digest-v1\x04\x58\x20";
/// A seal record's bytes before the protected header: `[2, 18([` and the
/// protected header's byte-string head.
const SEAL_HEAD: &[u8; 6] = b"\x82\x02\xd2\x84\x58\x50";
/// Between the protected header and the signature: the empty unprotected
/// map, the detached (null) payload and the signature's byte-string head.
const SEAL_MIDDLE: &[u8; 4] = b"\xa0\xf6\x58\x40";
/// Where the key id sits in a seal record.
const SEAL_KID_AT: usize = SEAL_HEAD.len() + PROTECTED_PREFIX.len();
/// Where the signature sits in a seal record.
const SEAL_SIGNATURE_AT: usize = SEAL_KID_AT + KEY_ID_LEN + SEAL_MIDDLE.len();
/// `Sig_structure`'s bytes before the protected header: a 4-array, the
/// context text `Signature1` and the protected header's byte-string head.
const TBS_HEAD: &[u8; 14] = b"\x84\x6aSignature1\x58\x50";
/// Between the protected header and the image digest: the empty external
/// AAD and the digest's byte-string head.
const TBS_MIDDLE: &[u8; 3] = b"\x40\x58\x20";

/// The protected header's exact bytes for `key_id`.
#[must_use]
pub fn protected_header(key_id: &KeyId) -> [u8; PROTECTED_LEN] {
    let mut out = [0u8; PROTECTED_LEN];
    concat(&mut out, &[PROTECTED_PREFIX, key_id]);
    out
}

/// A decoded seal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Seal {
    /// The signing key's id, from the protected header.
    pub key_id: KeyId,
    /// The Ed25519 signature.
    pub signature: [u8; SIGNATURE_LEN],
}

impl Seal {
    /// Decodes a complete seal record occupying all of `bytes` (stream
    /// offset `base`).
    ///
    /// # Errors
    ///
    /// Framing errors; [`ErrorCode::TagNotAllowed`] without tag 18;
    /// [`ErrorCode::UnsupportedAlgorithm`] for any algorithm but -19;
    /// [`ErrorCode::BadProtectedHeader`] for any other protected header;
    /// [`ErrorCode::BadUnprotectedHeader`], [`ErrorCode::PayloadNotDetached`],
    /// [`ErrorCode::InvalidFieldLength`] for a signature not 64 bytes.
    pub fn decode_record(bytes: &[u8], base: u64) -> Result<Self> {
        // The one encoding v1 allows: take the key id and signature from
        // their places. Anything else is decoded item by item, so that it is
        // refused with the code and offset of its first deviation.
        if let Some(seal) = Self::from_exact_layout(bytes) {
            return Ok(seal);
        }
        let mut r = Reader::with_base(bytes, base);
        r.read_array_exact(2, ErrorCode::RecordShape).map_err(|e| e.in_field("seal record"))?;
        r.read_int_eq(RecordType::Seal.number(), ErrorCode::UnknownRecordType)
            .map_err(|e| e.in_field("record type"))?;
        r.read_tag(TAG_COSE_SIGN1).map_err(|e| e.in_field("seal"))?;
        r.read_array_exact(4, ErrorCode::RecordShape).map_err(|e| e.in_field("seal"))?;

        let protected_at = r.offset();
        // Exactly 80 bytes, judged at the head (111 above, 206 below): so no
        // item inside can run past the byte string's end (spec §4.4).
        let protected = match r.read_bytes_in(len_u64(PROTECTED_LEN), len_u64(PROTECTED_LEN)) {
            Ok(p) => p,
            // The bytes end inside the protected header (a seal cut short,
            // spec §8.4): what did arrive of it may already deviate, and the
            // first deviation decides (§8.6). Its head was the canonical
            // `58 50`, so its content starts right after SEAL_HEAD.
            Err(e) if e.is_truncated() => {
                let content = bytes.get(SEAL_HEAD.len()..).unwrap_or(&[]);
                let content_at = base.saturating_add(len_u64(SEAL_HEAD.len()));
                return Err(match decode_protected(content, content_at) {
                    Err(inner) if !inner.is_truncated() => inner,
                    _ => e,
                }
                .in_field("seal.protected"));
            }
            Err(e) => return Err(e.in_field("seal.protected")),
        };
        let content_at = r.offset().saturating_sub(len_u64(protected.len()));
        let key_id = decode_protected(protected, content_at).map_err(|e| e.in_field("seal.protected"))?;
        // The map is canonical and every value was checked, so the bytes are
        // the template's; compare anyway, so the two can never drift apart.
        if protected != protected_header(&key_id) {
            return Err(Error::new(ErrorCode::BadProtectedHeader, protected_at).in_field("seal.protected"));
        }

        let unprotected_at = r.offset();
        let pairs = r.read_map(u64::MAX).map_err(|e| e.in_field("seal.unprotected"))?;
        if pairs != 0 {
            return Err(Error::new(ErrorCode::BadUnprotectedHeader, unprotected_at)
                .with_detail(Detail::Limit { limit: 0, found: pairs })
                .in_field("seal.unprotected"));
        }
        let payload_at = r.offset();
        // A well-formed item other than null is 214; a head refused by its
        // own form keeps its code (104 for a float), and a truncated one
        // stays truncated (spec §8.6).
        r.read_null().map_err(|e| {
            if e.code() == ErrorCode::UnexpectedType {
                Error::new(ErrorCode::PayloadNotDetached, payload_at).in_field("seal.payload")
            } else {
                e.in_field("seal.payload")
            }
        })?;
        let sig_at = r.offset();
        let sig = r
            .read_bytes_in(len_u64(SIGNATURE_LEN), len_u64(SIGNATURE_LEN))
            .map_err(|e| e.in_field("seal.signature"))?;
        let signature = <[u8; SIGNATURE_LEN]>::try_from(sig).map_err(|_| {
            Error::new(ErrorCode::InvalidFieldLength, sig_at)
                .with_detail(Detail::Value { expected: len_u64(SIGNATURE_LEN), found: len_u64(sig.len()) })
                .in_field("seal.signature")
        })?;
        r.finish()?;
        Ok(Self { key_id, signature })
    }

    /// The seal when `bytes` are exactly a v1 seal record.
    fn from_exact_layout(bytes: &[u8]) -> Option<Self> {
        let kid_end = SEAL_KID_AT.checked_add(KEY_ID_LEN)?;
        let fixed = bytes.len() == SEAL_RECORD_LEN
            && bytes.get(..SEAL_HEAD.len())? == SEAL_HEAD
            && bytes.get(SEAL_HEAD.len()..SEAL_KID_AT)? == PROTECTED_PREFIX
            && bytes.get(kid_end..SEAL_SIGNATURE_AT)? == SEAL_MIDDLE;
        if !fixed {
            return None;
        }
        Some(Self {
            key_id: KeyId::try_from(bytes.get(SEAL_KID_AT..kid_end)?).ok()?,
            signature: <[u8; SIGNATURE_LEN]>::try_from(bytes.get(SEAL_SIGNATURE_AT..)?).ok()?,
        })
    }

    /// Encodes the seal record.
    #[must_use]
    pub fn encode_record(&self) -> [u8; SEAL_RECORD_LEN] {
        let mut out = [0u8; SEAL_RECORD_LEN];
        concat(&mut out, &[SEAL_HEAD, PROTECTED_PREFIX, &self.key_id, SEAL_MIDDLE, &self.signature]);
        out
    }

    /// The bytes the signature covers: the RFC 9052 `Sig_structure`
    /// `["Signature1", protected, h'', image_digest]` for `key_id`.
    #[must_use]
    pub fn to_be_signed(key_id: &KeyId, image_digest: &Digest) -> [u8; TBS_LEN] {
        let mut out = [0u8; TBS_LEN];
        concat(&mut out, &[TBS_HEAD, PROTECTED_PREFIX, key_id, TBS_MIDDLE, image_digest]);
        out
    }
}

/// Decodes the protected header map and returns the key id.
fn decode_protected(bytes: &[u8], base: u64) -> Result<KeyId> {
    let mut r = Reader::with_base(bytes, base);
    let map_at = r.offset();
    let pairs = r.read_map(3)?;
    let mut keys = MapKeys::new();
    let mut alg = false;
    let mut content_type = false;
    let mut key_id = None;
    let mut seen = 0u64;
    let missing = |k| Error::new(ErrorCode::BadProtectedHeader, map_at).with_detail(Detail::Key(k));
    for _ in 0..pairs {
        let key_at = r.offset();
        let label = keys.next(&mut r)?;
        if let Some(m) = first_missing(REQUIRED_LABELS, seen, label) {
            return Err(missing(m));
        }
        seen |= key_bit(label);
        match label {
            LABEL_ALG => {
                r.read_int_eq(ALG_ED25519, ErrorCode::UnsupportedAlgorithm)?;
                alg = true;
            }
            LABEL_CONTENT_TYPE => {
                let at = r.offset();
                if r.read_text(len_u64(CONTENT_TYPE.len()))? != CONTENT_TYPE {
                    return Err(Error::new(ErrorCode::BadProtectedHeader, at));
                }
                content_type = true;
            }
            LABEL_KID => key_id = Some(read_key_id(&mut r)?),
            // Any other parameter (crit, iv, counter signatures, ...) is one
            // the verifier would have to understand; v1 has none.
            other => {
                return Err(Error::new(ErrorCode::BadProtectedHeader, key_at).with_detail(Detail::Key(other)));
            }
        }
    }
    // A missing label is known when the map ends, before the bytes after
    // it are looked at (spec §8.6).
    if let Some(m) = first_missing(REQUIRED_LABELS, seen, u64::MAX) {
        return Err(missing(m));
    }
    r.finish()?;
    if !alg {
        return Err(missing(LABEL_ALG));
    }
    if !content_type {
        return Err(missing(LABEL_CONTENT_TYPE));
    }
    key_id.ok_or_else(|| missing(LABEL_KID))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn sizes_match_the_encodings() {
        let seal = Seal { key_id: [7; 32], signature: [9; 64] };
        let record = seal.encode_record();
        assert_eq!(Seal::decode_record(&record, 0).unwrap(), seal);
        assert_eq!(PROTECTED_LEN, 80);
        assert_eq!(SEAL_RECORD_LEN, 154);
        assert_eq!(TBS_LEN, 129);
    }

    /// The spelled-out layouts are exactly what the canonical encoder
    /// writes for the same fields.
    #[test]
    fn layouts_are_the_encoders_output() {
        use crate::cbor::{Encoder, SliceSink};
        let (kid, signature, digest) = ([0x5a; 32], [0xa5; 64], [0x3c; 32]);
        let mut protected = [0u8; PROTECTED_LEN];
        let mut e = Encoder::new(SliceSink::new(&mut protected));
        e.map(3).unwrap().uint(LABEL_ALG).unwrap().int(ALG_ED25519).unwrap();
        e.uint(LABEL_CONTENT_TYPE).unwrap().text(CONTENT_TYPE).unwrap();
        e.uint(LABEL_KID).unwrap().bytes(&kid).unwrap();
        assert_eq!(e.finish().unwrap().len(), PROTECTED_LEN);
        assert_eq!(protected_header(&kid), protected);

        let mut record = [0u8; SEAL_RECORD_LEN];
        let mut e = Encoder::new(SliceSink::new(&mut record));
        e.array(2).unwrap().int(RecordType::Seal.number()).unwrap().tag(TAG_COSE_SIGN1).unwrap();
        e.array(4).unwrap().bytes(&protected).unwrap().map(0).unwrap().null().unwrap();
        e.bytes(&signature).unwrap();
        assert_eq!(e.finish().unwrap().len(), SEAL_RECORD_LEN);
        assert_eq!(Seal { key_id: kid, signature }.encode_record(), record);

        let mut tbs = [0u8; TBS_LEN];
        let mut e = Encoder::new(SliceSink::new(&mut tbs));
        e.array(4).unwrap().text("Signature1").unwrap().bytes(&protected).unwrap();
        e.bytes(&[]).unwrap().bytes(&digest).unwrap();
        assert_eq!(e.finish().unwrap().len(), TBS_LEN);
        assert_eq!(Seal::to_be_signed(&kid, &digest), tbs);
    }

    /// Every byte outside the key id and the signature is fixed: changing
    /// any of them is refused (by the item-by-item decoder, which names
    /// the deviation), and the fixed-layout path never accepts it.
    #[test]
    fn every_fixed_byte_is_checked() {
        let seal = Seal { key_id: [7; 32], signature: [9; 64] };
        let record = seal.encode_record();
        let kid = SEAL_KID_AT..SEAL_KID_AT + KEY_ID_LEN;
        for at in (0..SEAL_RECORD_LEN).filter(|i| !kid.contains(i) && *i < SEAL_SIGNATURE_AT) {
            for flip in [0x01, 0x20, 0x80] {
                let mut bad = record;
                bad[at] ^= flip;
                assert_eq!(Seal::from_exact_layout(&bad), None, "byte {at}");
                assert!(Seal::decode_record(&bad, 0).is_err(), "byte {at} ^ {flip:#x} accepted");
            }
        }
        assert_eq!(Seal::from_exact_layout(&record[..SEAL_RECORD_LEN - 1]), None);
    }

    #[test]
    fn sig_structure_is_rfc9052_shaped() {
        let tbs = Seal::to_be_signed(&[1; 32], &[2; 32]);
        assert_eq!(tbs[0], 0x84);
        assert_eq!(&tbs[1..12], b"\x6aSignature1");
        assert_eq!(&tbs[12..14], &[0x58, u8::try_from(PROTECTED_LEN).unwrap()]);
        assert_eq!(&tbs[TBS_LEN - 35..TBS_LEN - 32], &[0x40, 0x58, 0x20]);
        assert_eq!(&tbs[TBS_LEN - 32..], &[2; 32]);
    }

    /// The verifier decodes the bytes of a seal cut short (spec §8.4): a
    /// prefix of a valid seal must never look like a deviation, and a
    /// deviation must give the same code and offset in every prefix that
    /// holds it as in the whole record.
    #[test]
    fn prefixes_are_truncated_or_keep_the_first_deviation() {
        let record = Seal { key_id: [7; 32], signature: [9; 64] }.encode_record();
        for n in 0..SEAL_RECORD_LEN {
            assert!(Seal::decode_record(&record[..n], 0).unwrap_err().is_truncated(), "prefix {n}");
        }
        let mut short_sig = [0u8; SEAL_RECORD_LEN];
        short_sig[..88].copy_from_slice(&record[..88]);
        short_sig[88..90].copy_from_slice(&[0x58, 0x3f]);
        let cases: [(&str, [u8; SEAL_RECORD_LEN], usize, ErrorCode, u64); 8] = [
            ("wrong tag", edit(&record, 2, 0xc1), 3, ErrorCode::TagNotAllowed, 2),
            ("untagged", edit(&record, 2, 0x84), 3, ErrorCode::UnexpectedType, 2),
            ("short protected", edit(&record, 5, 0x4f), 6, ErrorCode::InvalidFieldLength, 4),
            ("alg float", edit(&record, 8, 0xf9), 9, ErrorCode::FloatNotAllowed, 8),
            ("alg tag", edit(&record, 8, 0xc1), 9, ErrorCode::UnsupportedAlgorithm, 8),
            ("no kid", edit(&record, 6, 0xa2), 52, ErrorCode::BadProtectedHeader, 6),
            ("payload tag", edit(&record, 87, 0xc1), 88, ErrorCode::PayloadNotDetached, 87),
            ("short signature", short_sig, 90, ErrorCode::InvalidFieldLength, 88),
        ];
        for (what, bad, seen, code, at) in cases {
            for n in seen..=SEAL_RECORD_LEN {
                let e = Seal::decode_record(&bad[..n], 0).unwrap_err();
                assert_eq!((e.code(), e.offset()), (code, at), "{what}, {n} bytes");
            }
        }
    }

    /// A missing label is decided when a greater label is read or the map
    /// ends, before bytes after the map (spec §8.6).
    #[test]
    fn a_missing_label_comes_before_trailing_bytes() {
        let record = Seal { key_id: [7; 32], signature: [9; 64] }.encode_record();
        let e = Seal::decode_record(&edit(&record, 6, 0xa2), 0).unwrap_err();
        assert_eq!((e.code(), e.offset()), (ErrorCode::BadProtectedHeader, 6));
        // {1: -19, 4: kid}: label 4 shows label 3 is missing.
        let mut p = [0u8; PROTECTED_LEN];
        p[..3].copy_from_slice(&[0xa2, 0x01, 0x32]);
        p[3..6].copy_from_slice(&[0x04, 0x58, 0x20]);
        let mut bad = record;
        bad[6..6 + PROTECTED_LEN].copy_from_slice(&p);
        let e = Seal::decode_record(&bad, 0).unwrap_err();
        assert_eq!(e.code(), ErrorCode::BadProtectedHeader);
    }

    fn edit(record: &[u8; SEAL_RECORD_LEN], at: usize, value: u8) -> [u8; SEAL_RECORD_LEN] {
        let mut out = *record;
        out[at] = value;
        out
    }

    #[test]
    fn polymorphic_eddsa_is_refused() {
        let mut record = Seal { key_id: [7; 32], signature: [9; 64] }.encode_record();
        // protected starts after 82 02 d2 84 58 50; then a3 01 32
        assert_eq!(record[7], 0x01);
        assert_eq!(record[8], 0x32);
        record[8] = 0x27; // -8
        let e = Seal::decode_record(&record, 0).unwrap_err();
        assert_eq!(e.code(), ErrorCode::UnsupportedAlgorithm);
        assert_eq!(e.offset(), 8);
    }
}
