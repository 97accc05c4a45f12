//! Every REQUIRED key of the device descriptor is required: a map without
//! one is refused with `MissingField` naming the lowest missing key, and
//! the refusal comes as soon as a higher key shows the gap (before any
//! later value is examined), at the map's offset.

#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use migseal_format::cbor::Encoder;
use migseal_format::envelope::{
    Descriptor, DeviceIdentity, IdentList, Role, StateVersion, VersionRange, VersionRanges,
};
use migseal_format::{Detail, ErrorCode, Ident};

/// A valid descriptor's canonical bytes: a map of 8 pairs whose first two
/// are `1: 1` (format version) and `2: "v"` (vendor); the last value is
/// the role (`0`).
fn descriptor_bytes() -> Vec<u8> {
    let id = |s| Ident::new(s).unwrap();
    let ranges = [VersionRange::new(StateVersion::new(1, 0), StateVersion::new(1, 2)).unwrap()];
    let codecs = [id("c")];
    let d = Descriptor {
        role: Role::Source,
        identity: DeviceIdentity { vendor: id("v"), device_api: id("api"), device_type: id("t") },
        versions: VersionRanges::from_slice(&ranges, 4).unwrap(),
        features: IdentList::from_slice(&[], 4).unwrap(),
        config: None,
        codecs: IdentList::from_slice(&codecs, 4).unwrap(),
    };
    let mut e = Encoder::new(Vec::new());
    d.encode(&mut e).unwrap();
    let bytes = e.finish().unwrap();
    assert_eq!(bytes[..5], [0xa8, 0x01, 0x01, 0x02, 0x61], "the layout these tests cut");
    assert_eq!(*bytes.last().unwrap(), 0x00);
    Descriptor::decode(&bytes).unwrap();
    bytes
}

#[test]
fn a_descriptor_without_its_format_version_is_refused() {
    let full = descriptor_bytes();
    // Drop `1: 1` and count one pair less.
    let mut cut = vec![0xa7];
    cut.extend_from_slice(&full[3..]);
    let e = Descriptor::decode(&cut).unwrap_err();
    assert_eq!((e.code(), e.offset(), e.detail()), (ErrorCode::MissingField, 0, Detail::Key(1)));
    assert_eq!(e.field(), "descriptor.format-version");
}

#[test]
fn a_missing_vendor_is_refused_before_a_later_bad_value_is_read() {
    let full = descriptor_bytes();
    // Drop `2: "v"`, and make the role (the last value) one no role has.
    let mut cut = vec![0xa7, 0x01, 0x01];
    cut.extend_from_slice(&full[6..]);
    *cut.last_mut().unwrap() = 0x07;
    let e = Descriptor::decode(&cut).unwrap_err();
    assert_eq!((e.code(), e.offset(), e.detail()), (ErrorCode::MissingField, 0, Detail::Key(2)));
    assert_eq!(e.field(), "descriptor.vendor");
}
