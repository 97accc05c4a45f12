//! Every REQUIRED key of the device descriptor and of the header is
//! required (spec §8.6): a map without one is refused with `MissingField`
//! naming the missing key and its field, at the map's offset; the refusal
//! comes as soon as a higher key shows the gap, before any later value is
//! examined.

#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use migseal_format::cbor::{Encoder, Reader};
use migseal_format::envelope::{
    Descriptor, DeviceIdentity, Header, IdentList, Role, StateVersion, VersionRange, VersionRanges,
    descriptor_key as key, header_key,
};
use migseal_format::{Detail, ErrorCode, Ident};

/// A valid descriptor's canonical bytes (no configuration: 8 pairs).
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
    Descriptor::decode(&bytes).unwrap();
    bytes
}

/// The descriptor's pairs: (key, the value's encoded bytes).
fn pairs(bytes: &[u8]) -> Vec<(u64, Vec<u8>)> {
    let mut r = Reader::new(bytes);
    let n = r.read_map(16).unwrap();
    (0..n).map(|_| (r.read_uint(23).unwrap(), r.read_item(&[]).unwrap().to_vec())).collect()
}

/// A map of fewer than 24 pairs with keys below 24, from its pairs.
fn map_of(pairs: &[(u64, Vec<u8>)]) -> Vec<u8> {
    let mut out = vec![0xa0 | u8::try_from(pairs.len()).unwrap()];
    for (k, v) in pairs {
        out.push(u8::try_from(*k).unwrap());
        out.extend_from_slice(v);
    }
    out
}

/// Every REQUIRED descriptor key and the field its absence names.
const REQUIRED: [(u64, &str); 8] = [
    (key::FORMAT_VERSION, "descriptor.format-version"),
    (key::VENDOR, "descriptor.vendor"),
    (key::DEVICE_API, "descriptor.device-api"),
    (key::DEVICE_TYPE, "descriptor.device-type"),
    (key::VERSIONS, "descriptor.versions"),
    (key::FEATURES, "descriptor.features"),
    (key::CODECS, "descriptor.codecs"),
    (key::ROLE, "descriptor.role"),
];

#[test]
fn a_descriptor_without_any_one_required_key_is_refused_naming_it() {
    let all = pairs(&descriptor_bytes());
    assert_eq!(all.iter().map(|(k, _)| *k).collect::<Vec<_>>(), REQUIRED.map(|(k, _)| k));
    for (missing, field) in REQUIRED {
        let cut: Vec<_> = all.iter().filter(|(k, _)| *k != missing).cloned().collect();
        let e = Descriptor::decode(&map_of(&cut)).unwrap_err();
        assert_eq!((e.code(), e.offset(), e.detail()), (ErrorCode::MissingField, 0, Detail::Key(missing)));
        assert_eq!(e.field(), field);
    }
}

#[test]
fn a_missing_key_is_refused_before_a_later_bad_value_is_read() {
    let all = pairs(&descriptor_bytes());
    // Every key but the role, which is last: drop it, and give the role a
    // number no role has. The gap is seen at the next key, before the role.
    for (missing, field) in REQUIRED.iter().filter(|(k, _)| *k != key::ROLE) {
        let mut cut: Vec<_> = all.iter().filter(|(k, _)| k != missing).cloned().collect();
        cut.last_mut().unwrap().1 = vec![0x07];
        let e = Descriptor::decode(&map_of(&cut)).unwrap_err();
        assert_eq!((e.code(), e.offset(), e.detail()), (ErrorCode::MissingField, 0, Detail::Key(*missing)));
        assert_eq!(e.field(), *field);
    }
}

/// A valid header record's canonical bytes `[0, {...}]` (no optional
/// keys: 9 pairs), and its map's pairs.
fn header_pairs() -> Vec<(u64, Vec<u8>)> {
    let id = |s| Ident::new(s).unwrap();
    let h = Header {
        identity: DeviceIdentity { vendor: id("v"), device_api: id("api"), device_type: id("t") },
        state_version: StateVersion::new(1, 2),
        features: IdentList::from_slice(&[], 4).unwrap(),
        config: None,
        codec: id("c"),
        security_version: 3,
        session: None,
        subject: None,
        key_id: [7; 32],
    };
    let mut e = Encoder::new(Vec::new());
    h.encode_record(&mut e).unwrap();
    let bytes = e.finish().unwrap();
    Header::decode_record(&bytes, 0).unwrap();
    assert_eq!(bytes[..2], [0x82, 0x00]);
    pairs(&bytes[2..])
}

fn header_record(pairs: &[(u64, Vec<u8>)]) -> Vec<u8> {
    let mut out = vec![0x82, 0x00];
    out.extend(map_of(pairs));
    out
}

/// Every REQUIRED header key and the field its absence names.
const HEADER_REQUIRED: [(u64, &str); 9] = [
    (header_key::FORMAT_VERSION, "header.format-version"),
    (header_key::VENDOR, "header.vendor"),
    (header_key::DEVICE_API, "header.device-api"),
    (header_key::DEVICE_TYPE, "header.device-type"),
    (header_key::STATE_VERSION, "header.state-version"),
    (header_key::FEATURES, "header.features"),
    (header_key::CODEC, "header.codec"),
    (header_key::SECURITY_VERSION, "header.security-version"),
    (header_key::KEY_ID, "header.key-id"),
];

#[test]
fn a_header_without_any_one_required_key_is_refused_naming_it() {
    let all = header_pairs();
    assert_eq!(all.iter().map(|(k, _)| *k).collect::<Vec<_>>(), HEADER_REQUIRED.map(|(k, _)| k));
    for (missing, field) in HEADER_REQUIRED {
        let cut: Vec<_> = all.iter().filter(|(k, _)| *k != missing).cloned().collect();
        // The record starts at stream offset 100: the map's head is at 102.
        let e = Header::decode_record(&header_record(&cut), 100).unwrap_err();
        assert_eq!((e.code(), e.offset(), e.detail()), (ErrorCode::MissingField, 102, Detail::Key(missing)));
        assert_eq!(e.field(), field);
    }
}

#[test]
fn a_missing_header_key_is_refused_before_a_later_bad_value_is_read() {
    let all = header_pairs();
    // Every key but the key id, which is last: drop it, and make the key
    // id one byte long. The gap is seen at the next key, before the key id.
    for (missing, field) in HEADER_REQUIRED.iter().filter(|(k, _)| *k != header_key::KEY_ID) {
        let mut cut: Vec<_> = all.iter().filter(|(k, _)| k != missing).cloned().collect();
        cut.last_mut().unwrap().1 = vec![0x41, 0x07];
        let e = Header::decode_record(&header_record(&cut), 0).unwrap_err();
        assert_eq!((e.code(), e.offset(), e.detail()), (ErrorCode::MissingField, 2, Detail::Key(*missing)));
        assert_eq!(e.field(), *field);
    }
}

#[test]
fn a_missing_last_key_is_refused_before_an_unknown_higher_key() {
    // The role (9) and the key id (12) are the highest REQUIRED keys: only
    // an unknown key above them shows their gap before the map ends.
    let mut d = pairs(&descriptor_bytes());
    d.last_mut().unwrap().0 = 10;
    let e = Descriptor::decode(&map_of(&d)).unwrap_err();
    assert_eq!((e.code(), e.detail()), (ErrorCode::MissingField, Detail::Key(key::ROLE)));

    let mut h = header_pairs();
    h.last_mut().unwrap().0 = 13;
    let e = Header::decode_record(&header_record(&h), 0).unwrap_err();
    assert_eq!((e.code(), e.detail()), (ErrorCode::MissingField, Detail::Key(header_key::KEY_ID)));
}
