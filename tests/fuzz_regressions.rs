//! Inputs the fuzz targets in `fuzz/` found, kept as regression tests in
//! the normal test suite (fuzz/README.md says how to add one). Each test
//! names the target that found it and the property it broke.

use migseal::format::ErrorCode;
use migseal::format::envelope::{Descriptor, peek_record_type};
use migseal::verifier::{Policy, Verifier, verify_image};

/// The destination every stream regression is checked against.
const MTTY2: &[u8] = include_bytes!("../spec/vectors/devices/mtty-2.cbor");

/// The verdict (code, offset) of `image` fed whole and fed in `size`-byte
/// fragments.
fn verdicts(image: &[u8], size: usize) -> ((u16, u64), (u16, u64)) {
    let device = Descriptor::decode(MTTY2).expect("vector device decodes");
    let policy = Policy::default();
    let whole = verify_image(image, &policy, &device).expect_err("not an image");
    let mut v = Verifier::default();
    let streamed = image
        .chunks(size)
        .find_map(|f| v.feed(&policy, &device, f, |_| {}).err())
        .or_else(|| v.finish().err())
        .expect("not an image");
    ((whole.code(), whole.offset()), (streamed.code(), streamed.offset()))
}

/// `stream_fragments`: an empty array `80` is a complete record with no
/// type number. `peek_record_type` used to read the *next* byte as its
/// type, so `80 07` fed whole was refused as an unknown record type (200)
/// at byte 1, but fed byte by byte as a malformed header record (201) at
/// byte 0: the verdict depended on the fragmentation.
#[test]
fn empty_record_array_has_one_verdict_in_every_fragmentation() {
    let image = [0x80, 0x07, 0x00, 0xce];
    for size in 1..=image.len() {
        let (whole, streamed) = verdicts(&image, size);
        assert_eq!(whole, streamed, "fragments of {size} bytes");
        assert_eq!(whole, (201, 0), "record-shape at the array");
    }
}

/// The same fault at the record level: whatever follows an empty array,
/// the array itself is refused, at its own offset.
#[test]
fn empty_record_array_is_a_shape_error_whatever_follows() {
    for next in [&[][..], &[0x00], &[0x01], &[0x02], &[0x07], &[0x80], &[0x18]] {
        let mut bytes = vec![0x80];
        bytes.extend_from_slice(next);
        let e = peek_record_type(&bytes, 40).expect_err("an empty array is no record");
        assert_eq!(e.code(), ErrorCode::RecordShape, "after {next:02x?}");
        assert_eq!(e.offset(), 40, "after {next:02x?}");
    }
}
