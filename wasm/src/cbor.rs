//! `validateCbor`: whether bytes are exactly one canonical CBOR data item
//! (RFC 8949 §4.2.1 as the spec restricts it), by the reader every migseal
//! record goes through.

use migseal_format::cbor::{len_u64, validate};
use serde_json::{Value, json};

use crate::error::{Failure, Input};

/// Checks `bytes` with the canonical reader (no tags allowed).
///
/// # Errors
///
/// The first non-canonical or malformed form, at its offset (codes
/// 100–199), or trailing bytes.
pub fn validate_cbor(bytes: &[u8]) -> Result<Value, Failure> {
    validate(bytes, &[]).map_err(|e| Failure::format(Input::Bytes, &e))?;
    Ok(json!({ "valid": true, "len": len_u64(bytes.len()) }))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::arithmetic_side_effects)]
mod tests {
    use super::*;

    #[test]
    fn canonical_items_pass_and_others_name_the_offset() {
        assert_eq!(validate_cbor(&[0x18, 0x18]).unwrap()["valid"], true);
        // 5 written with a one-byte argument: not the shortest head.
        let f = validate_cbor(&[0x18, 0x05]).unwrap_err();
        assert!(f.code.is_some());
        assert_eq!(f.offset, Some(0));
        let f = validate_cbor(&[0x01, 0x02]).unwrap_err();
        assert_eq!(f.offset, Some(1), "trailing bytes after the item");
    }
}
