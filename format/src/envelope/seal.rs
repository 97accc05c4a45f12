//! The seal record: `[2, COSE_Sign1_Tagged]` with a detached payload (RFC
//! 9052 §4.2). The payload is the 32-byte image digest (spec §5.4); the
//! signature covers the RFC 9052 `Sig_structure`, so any COSE library can
//! check a seal given the image digest.
//!
//! The protected header is fixed except for the key id, so the whole seal
//! record has one length, [`SEAL_RECORD_LEN`], and one encoding.

use super::digest::{DIGEST_LEN, Digest};
use super::header::{KeyId, read_key_id};
use super::{KEY_ID_LEN, RecordType};
use crate::cbor::{Encoder, MapKeys, Reader, SliceSink, len_u64};
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

/// Encoded length of the protected header map
/// `{1: -19, 3: CONTENT_TYPE, 4: h'<32-byte key id>'}`.
pub const PROTECTED_LEN: usize = 1 + 1 + 1 + 1 + 2 + CONTENT_TYPE.len() + 1 + 2 + KEY_ID_LEN;
/// Encoded length of `Sig_structure` = `["Signature1", protected, h'', digest]`.
pub const TBS_LEN: usize = 1 + 1 + 10 + 2 + PROTECTED_LEN + 1 + 2 + DIGEST_LEN;
/// Encoded length of a seal record.
pub const SEAL_RECORD_LEN: usize = 1 + 1 + 1 + 1 + 2 + PROTECTED_LEN + 1 + 1 + 2 + SIGNATURE_LEN;

/// The protected header's exact bytes for `key_id`.
///
/// # Errors
///
/// None in practice (the buffer is sized exactly); an internal sizing
/// mistake would surface as [`ErrorCode::BufferTooSmall`].
pub fn protected_header(key_id: &KeyId) -> Result<[u8; PROTECTED_LEN]> {
    let mut out = [0u8; PROTECTED_LEN];
    let mut e = Encoder::new(SliceSink::new(&mut out));
    e.map(3)?
        .uint(LABEL_ALG)?
        .int(ALG_ED25519)?
        .uint(LABEL_CONTENT_TYPE)?
        .text(CONTENT_TYPE)?
        .uint(LABEL_KID)?
        .bytes(key_id)?;
    exact(e.finish()?.len(), PROTECTED_LEN)?;
    Ok(out)
}

fn exact(found: usize, expected: usize) -> Result<()> {
    if found == expected {
        Ok(())
    } else {
        Err(Error::new(ErrorCode::BufferTooSmall, len_u64(found))
            .with_detail(Detail::Value { expected: len_u64(expected), found: len_u64(found) }))
    }
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
        let mut r = Reader::with_base(bytes, base);
        r.read_array_exact(2, ErrorCode::RecordShape).map_err(|e| e.in_field("seal record"))?;
        r.read_int_eq(RecordType::Seal.number(), ErrorCode::UnknownRecordType)
            .map_err(|e| e.in_field("record type"))?;
        r.read_tag(TAG_COSE_SIGN1).map_err(|e| e.in_field("seal"))?;
        r.read_array_exact(4, ErrorCode::RecordShape).map_err(|e| e.in_field("seal"))?;

        let protected_at = r.offset();
        let protected = r.read_bytes(len_u64(PROTECTED_LEN)).map_err(|e| e.in_field("seal.protected"))?;
        let content_at = r.offset().saturating_sub(len_u64(protected.len()));
        let key_id = decode_protected(protected, content_at).map_err(|e| e.in_field("seal.protected"))?;
        // The map is canonical and every value was checked, so the bytes are
        // the template's; compare anyway, so the two can never drift apart.
        if protected != protected_header(&key_id)? {
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
        r.read_null()
            .map_err(|_| Error::new(ErrorCode::PayloadNotDetached, payload_at).in_field("seal.payload"))?;
        let sig_at = r.offset();
        let sig = r.read_bytes(len_u64(SIGNATURE_LEN)).map_err(|e| e.in_field("seal.signature"))?;
        let signature = <[u8; SIGNATURE_LEN]>::try_from(sig).map_err(|_| {
            Error::new(ErrorCode::InvalidFieldLength, sig_at)
                .with_detail(Detail::Value { expected: len_u64(SIGNATURE_LEN), found: len_u64(sig.len()) })
                .in_field("seal.signature")
        })?;
        r.finish()?;
        Ok(Self { key_id, signature })
    }

    /// Encodes the seal record.
    ///
    /// # Errors
    ///
    /// None in practice; see [`protected_header`].
    pub fn encode_record(&self) -> Result<[u8; SEAL_RECORD_LEN]> {
        let protected = protected_header(&self.key_id)?;
        let mut out = [0u8; SEAL_RECORD_LEN];
        let mut e = Encoder::new(SliceSink::new(&mut out));
        e.array(2)?
            .int(RecordType::Seal.number())?
            .tag(TAG_COSE_SIGN1)?
            .array(4)?
            .bytes(&protected)?
            .map(0)?
            .null()?
            .bytes(&self.signature)?;
        exact(e.finish()?.len(), SEAL_RECORD_LEN)?;
        Ok(out)
    }

    /// The bytes the signature covers: the RFC 9052 `Sig_structure`
    /// `["Signature1", protected, h'', image_digest]` for `key_id`.
    ///
    /// # Errors
    ///
    /// None in practice; see [`protected_header`].
    pub fn to_be_signed(key_id: &KeyId, image_digest: &Digest) -> Result<[u8; TBS_LEN]> {
        let protected = protected_header(key_id)?;
        let mut out = [0u8; TBS_LEN];
        let mut e = Encoder::new(SliceSink::new(&mut out));
        e.array(4)?.text("Signature1")?.bytes(&protected)?.bytes(&[])?.bytes(image_digest)?;
        exact(e.finish()?.len(), TBS_LEN)?;
        Ok(out)
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
    for _ in 0..pairs {
        let key_at = r.offset();
        match keys.next(&mut r)? {
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
    r.finish()?;
    let missing = |k| Error::new(ErrorCode::BadProtectedHeader, map_at).with_detail(Detail::Key(k));
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
        let record = seal.encode_record().unwrap();
        assert_eq!(Seal::decode_record(&record, 0).unwrap(), seal);
        assert_eq!(PROTECTED_LEN, 80);
        assert_eq!(SEAL_RECORD_LEN, 154);
        assert_eq!(TBS_LEN, 129);
    }

    #[test]
    fn sig_structure_is_rfc9052_shaped() {
        let tbs = Seal::to_be_signed(&[1; 32], &[2; 32]).unwrap();
        assert_eq!(tbs[0], 0x84);
        assert_eq!(&tbs[1..12], b"\x6aSignature1");
        assert_eq!(&tbs[12..14], &[0x58, u8::try_from(PROTECTED_LEN).unwrap()]);
        assert_eq!(&tbs[TBS_LEN - 35..TBS_LEN - 32], &[0x40, 0x58, 0x20]);
        assert_eq!(&tbs[TBS_LEN - 32..], &[2; 32]);
    }

    #[test]
    fn polymorphic_eddsa_is_refused() {
        let mut record = Seal { key_id: [7; 32], signature: [9; 64] }.encode_record().unwrap();
        // protected starts after 82 02 d2 84 58 50; then a3 01 32
        assert_eq!(record[7], 0x01);
        assert_eq!(record[8], 0x32);
        record[8] = 0x27; // -8
        let e = Seal::decode_record(&record, 0).unwrap_err();
        assert_eq!(e.code(), ErrorCode::UnsupportedAlgorithm);
        assert_eq!(e.offset(), 8);
    }
}
