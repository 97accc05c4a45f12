//! Facts the error precedence of spec §8.6 rests on, beyond the vectors:
//! the largest valid header (§4.2: every field at its limit gives 3738
//! bytes, so none can exceed the 4096-byte bound) and a policy session no
//! header could carry (§7.5).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use migseal::policy_file::{PolicyFile, PolicyFileError};
use migseal_format::cbor::{Encoder, Sink as _, SliceSink};
use migseal_format::envelope::{Header, MAX_HEADER_LEN};
use migseal_testkit::samples::HeaderSpec;

const SPEC: &str = include_str!("../spec/migseal.md");

/// The largest header the field limits allow: every identifier 64 bytes,
/// both version components 2^32 - 1, 32 features of 64 bytes, a config of
/// a 64-byte kind and 1024 bytes, the largest security version, a 64-byte
/// session and a 128-byte subject.
fn maximal_header() -> Vec<u8> {
    let name = |c: char| c.to_string().repeat(64);
    let mut spec = HeaderSpec::new(&name('v'), &name('a'), &name('t'), (u32::MAX, u32::MAX), &name('c'));
    // 32 distinct 64-byte identifiers (same length, so bytewise order).
    spec.features = (0..32).map(|i| format!("f{i:02}{}", "x".repeat(61))).collect();
    spec.config = Some((name('k'), vec![0xa5; 1024]));
    spec.security_version = u64::MAX;
    spec.session = Some(vec![0x5a; 64]);
    spec.subject = Some("s".repeat(128));
    spec.with_header([0x11; 32], |header| {
        let mut buf = [0u8; MAX_HEADER_LEN];
        let mut e = Encoder::new(SliceSink::new(&mut buf));
        header.encode_record(&mut e).expect("the maximal header fits 4096 bytes");
        let n = e.finish().unwrap().written().len();
        buf[..n].to_vec()
    })
}

#[test]
fn no_valid_header_exceeds_the_bound_the_largest_is_3738_bytes() {
    let record = maximal_header();
    let header = Header::decode_record(&record, 0).expect("valid");
    // Every field is at its limit.
    assert_eq!(header.identity.vendor.as_str().len(), 64);
    assert_eq!(header.features.len(), 32);
    assert_eq!(header.config.unwrap().data.len(), 1024);
    assert_eq!(header.session.unwrap().as_bytes().len(), 64);
    assert_eq!(header.subject.unwrap().as_str().len(), 128);
    assert_eq!(header.security_version, u64::MAX);
    // The same sum, field by field (heads + contents): record and map
    // heads 3, 12 keys, format version 1, three identifiers 3 x 66, state
    // version 11, features 2 + 32 x 66, config 1 + 66 + 3 + 1024, codec
    // 66, security version 9, session 66, subject 130, key id 34.
    let sum = 3 + 12 + 1 + 3 * 66 + 11 + (2 + 32 * 66) + (1 + 66 + 3 + 1024) + 66 + 9 + 66 + 130 + 34;
    assert_eq!(sum, 3738);
    assert_eq!(record.len(), 3738);
    assert!(record.len() < MAX_HEADER_LEN);
    assert!(SPEC.contains("3738 bytes"), "§4.2 states the figure");
}

#[test]
fn a_policy_session_outside_16_to_64_bytes_is_refused_when_loaded() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/spec/vectors/policies");
    let text = std::fs::read_to_string(format!("{dir}/session-too-short.json")).unwrap();
    let file = PolicyFile::from_json(&text).unwrap();
    assert_eq!(file.session.as_deref().map(str::len), Some(30), "15 bytes in hex");
    let refused = |hex_digits: usize| {
        let p = PolicyFile { session: Some("a".repeat(hex_digits)), ..PolicyFile::default() };
        matches!(p.to_policy(), Err(PolicyFileError::Invalid { ref field, error }) if field == "session" && error.code() == 206)
    };
    let e = file.to_policy().unwrap_err();
    assert!(matches!(e, PolicyFileError::Invalid { ref field, .. } if field == "session"), "{e}");
    assert_eq!(e.code(), Some(206), "the session nonce's own length code");
    assert!(refused(30) && refused(130) && refused(0));
    assert!(!refused(32) && !refused(128), "16 and 64 bytes are sessions");
}
