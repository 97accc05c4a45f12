//! A protected header without its `alg` label (1) is refused naming
//! label 1 as soon as label 3 shows the gap, not by whatever comes after
//! the map (spec §8.6: the first deviation decides).

#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use migseal_format::envelope::Seal;
use migseal_format::{Detail, ErrorCode};

#[test]
fn a_protected_header_without_alg_is_refused_naming_label_1() {
    let record = Seal { key_id: [7; 32], signature: [9; 64] }.encode_record();
    Seal::decode_record(&record, 0).unwrap();
    // `{3: content type, 4: key id}` (78 bytes) and two bytes of padding,
    // in place of the 80-byte `{1: -19, 3: ..., 4: ...}`.
    let mut protected = vec![0xa2, 0x03, 0x78, 0x27];
    protected.extend_from_slice(b"application/vnd.migseal.image-digest-v1");
    protected.extend_from_slice(&[0x04, 0x58, 0x20]);
    protected.extend_from_slice(&[7; 32]);
    protected.extend_from_slice(&[0, 0]);
    assert_eq!(protected.len(), 80);
    let mut bad = record;
    bad[6..86].copy_from_slice(&protected);
    let e = Seal::decode_record(&bad, 1000).unwrap_err();
    assert_eq!((e.code(), e.detail()), (ErrorCode::BadProtectedHeader, Detail::Key(1)), "{e}");
    assert_eq!(e.offset(), 1006, "at the protected map's head");
}
