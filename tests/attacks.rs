//! One named test per attack the verifier must refuse, built from the
//! sample keys so each test says in code what it does to the image.

use migseal::format::envelope::SEAL_RECORD_LEN;
use migseal::policy_file::{MinSecurityEntry, PolicyFile, TrustedKeyEntry};
use migseal::verifier::{Dalek, SealingKey, Verifier, verify_image};
use migseal_testkit::samples::{HeaderSpec, destination_for, filler, record_ranges, seal_image, test_key};
use proptest::prelude::*;

fn mtty2() -> HeaderSpec {
    HeaderSpec::new("linux", "vfio-pci", "mtty-2", (1, 0), "mtty")
}

fn trust(k: &SealingKey, vendor: &str, types: &[&str]) -> TrustedKeyEntry {
    TrustedKeyEntry {
        public_key: hex::encode(k.public_key()),
        vendor: vendor.into(),
        device_types: types.iter().map(|s| (*s).to_owned()).collect(),
    }
}

fn policy() -> PolicyFile {
    PolicyFile {
        trusted: vec![trust(&test_key("linux"), "linux", &["mtty-2"]), trust(&test_key("ibm"), "ibm", &[])],
        ..PolicyFile::default()
    }
}

/// Verifies `image` for the device described by `device` under `policy`,
/// streaming 1 byte at a time and whole, and insists both agree.
fn verify_with(image: &[u8], device: &HeaderSpec, policy: &PolicyFile) -> Result<(), u16> {
    destination_for(device).with_descriptor(|d| {
        policy
            .with_policy(|p| {
                let whole = verify_image(image, p, d).map(|_| ()).map_err(|e| e.code());
                let mut v = Verifier::default();
                let mut bytewise = Ok(());
                for b in image.chunks(1) {
                    if let Err(e) = v.feed(p, d, b, |_| {}) {
                        bytewise = Err(e.code());
                        break;
                    }
                }
                if bytewise.is_ok() {
                    bytewise = v.finish().map(|_| ()).map_err(|e| e.code());
                }
                assert_eq!(whole, bytewise, "whole-image and 1-byte streaming disagree");
                whole
            })
            .expect("policy builds")
    })
}

fn verify(image: &[u8]) -> Result<(), u16> {
    verify_with(image, &mtty2(), &policy())
}

fn sealed(chunk: usize) -> Vec<u8> {
    seal_image(&mtty2(), &test_key("linux"), &filler("state", 64), chunk)
}

#[test]
fn valid_image_verifies() {
    assert_eq!(verify(&sealed(16)), Ok(()));
}

#[test]
fn cross_vendor_image() {
    let nv = HeaderSpec::new("nvidia", "vfio-pci", "nvidia-35", (1, 0), "nvidia-vgpu");
    let image = seal_image(&nv, &test_key("nvidia"), b"vgpu", 16);
    assert_eq!(verify(&image), Err(500));
}

#[test]
fn right_vendor_wrong_type() {
    let spec = HeaderSpec::new("linux", "vfio-pci", "mtty-1", (1, 0), "mtty");
    assert_eq!(verify(&seal_image(&spec, &test_key("linux"), b"x", 16)), Err(502));
}

#[test]
fn version_out_of_range() {
    let mut spec = mtty2();
    spec.version = (1, 1);
    assert_eq!(verify(&seal_image(&spec, &test_key("linux"), b"x", 16)), Err(503));
}

#[test]
fn missing_feature() {
    let mut spec = mtty2();
    spec.features = vec!["fifo-64".into()];
    assert_eq!(verify(&seal_image(&spec, &test_key("linux"), b"x", 16)), Err(504));
}

#[test]
fn config_mismatch() {
    let mut image_spec = mtty2();
    image_spec.config = Some(("vfio-ap-matrix".into(), vec![1; 96]));
    let mut device = image_spec.clone();
    device.config = Some(("vfio-ap-matrix".into(), vec![2; 96]));
    let image = seal_image(&image_spec, &test_key("linux"), b"x", 16);
    assert_eq!(verify_with(&image, &device, &policy()), Err(505));
    // A device with no config at all refuses a configured image too.
    device.config = None;
    assert_eq!(verify_with(&image, &device, &policy()), Err(505));
}

#[test]
fn key_not_trusted() {
    assert_eq!(verify(&seal_image(&mtty2(), &test_key("stranger"), b"x", 16)), Err(400));
}

#[test]
fn key_trusted_for_another_vendor() {
    assert_eq!(verify(&seal_image(&mtty2(), &test_key("ibm"), b"x", 16)), Err(401));
}

#[test]
fn revoked_key() {
    let mut p = policy();
    p.revoked.push(hex::encode(test_key("linux").key_id(&Dalek)));
    assert_eq!(verify_with(&sealed(16), &mtty2(), &p), Err(403));
}

#[test]
fn security_version_below_minimum() {
    let mut p = policy();
    p.min_security.push(MinSecurityEntry { vendor: "linux".into(), device_type: None, minimum: 2 });
    assert_eq!(verify_with(&sealed(16), &mtty2(), &p), Err(404));
    // The type-specific entry is more specific and wins.
    p.min_security.push(MinSecurityEntry {
        vendor: "linux".into(),
        device_type: Some("mtty-2".into()),
        minimum: 1,
    });
    assert_eq!(verify_with(&sealed(16), &mtty2(), &p), Ok(()));
}

#[test]
fn wrong_or_missing_session() {
    let mut p = policy();
    p.session = Some(hex::encode([7u8; 16]));
    assert_eq!(verify_with(&sealed(16), &mtty2(), &p), Err(405));
    let mut spec = mtty2();
    spec.session = Some(vec![8u8; 16]);
    let image = seal_image(&spec, &test_key("linux"), b"x", 16);
    assert_eq!(verify_with(&image, &mtty2(), &p), Err(406));
    spec.session = Some(vec![7u8; 16]);
    let image = seal_image(&spec, &test_key("linux"), b"x", 16);
    assert_eq!(verify_with(&image, &mtty2(), &p), Ok(()));
}

#[test]
fn wrong_subject() {
    let mut p = policy();
    p.subject = Some("vm-a".into());
    let mut spec = mtty2();
    spec.subject = Some("vm-b".into());
    let image = seal_image(&spec, &test_key("linux"), b"x", 16);
    assert_eq!(verify_with(&image, &mtty2(), &p), Err(408));
    assert_eq!(verify_with(&sealed(16), &mtty2(), &p), Err(407));
}

fn split(image: &[u8]) -> (Vec<u8>, Vec<Vec<u8>>, Vec<u8>) {
    let r = record_ranges(image);
    let header = image[r[0].clone()].to_vec();
    let chunks = r[1..r.len() - 1].iter().map(|c| image[c.clone()].to_vec()).collect();
    let seal = image[r[r.len() - 1].clone()].to_vec();
    (header, chunks, seal)
}

#[test]
fn chunk_reordered() {
    let (h, mut c, s) = split(&sealed(16));
    c.swap(1, 2);
    assert_eq!(verify(&[h, c.concat(), s].concat()), Err(301));
}

#[test]
fn chunk_duplicated() {
    let (h, mut c, s) = split(&sealed(16));
    c.insert(1, c[1].clone());
    assert_eq!(verify(&[h, c.concat(), s].concat()), Err(301));
}

#[test]
fn chunk_dropped() {
    let (h, mut c, s) = split(&sealed(16));
    c.remove(1);
    assert_eq!(verify(&[h.clone(), c.concat(), s.clone()].concat()), Err(301));
    // Dropping the last chunk keeps the sequence intact: the signature
    // catches it (the chain and the chunk count are signed).
    let (_, mut c, _) = split(&sealed(16));
    c.pop();
    assert_eq!(verify(&[h, c.concat(), s].concat()), Err(600));
}

#[test]
fn truncated_mid_chunk() {
    let image = sealed(16);
    let r = record_ranges(&image);
    assert_eq!(verify(&image[..r[2].start + 5]), Err(306));
}

#[test]
fn seal_from_another_image() {
    let a = sealed(16);
    let b = seal_image(&mtty2(), &test_key("linux"), &filler("other", 64), 16);
    let mut forged = a[..a.len() - SEAL_RECORD_LEN].to_vec();
    forged.extend_from_slice(&b[b.len() - SEAL_RECORD_LEN..]);
    assert_eq!(verify(&forged), Err(600));
}

#[test]
fn header_changed_after_sealing() {
    let (_, c, s) = split(&sealed(16));
    let mut changed = mtty2();
    changed.security_version = 7;
    let (h2, _, _) = split(&seal_image(&changed, &test_key("linux"), &filler("state", 64), 16));
    assert_eq!(verify(&[h2, c.concat(), s].concat()), Err(600));
}

#[test]
fn trailing_bytes_after_the_seal() {
    let mut image = sealed(16);
    image.extend_from_slice(&[0x82, 0x00]);
    assert_eq!(verify(&image), Err(112));
}

#[test]
fn non_canonical_reencoding_of_a_valid_image() {
    // The security version (key 9, value 1) re-encoded with a one-byte
    // argument: the same value, a second encoding, refused.
    let image = sealed(16);
    let (h, c, s) = split(&image);
    let pos = h.windows(2).rposition(|w| w == [0x09, 0x01]).expect("security version in header");
    let mut h2 = h.clone();
    h2.splice(pos + 1..pos + 2, [0x18, 0x01]);
    assert_eq!(verify(&[h2, c.concat(), s].concat()), Err(101));
}

#[test]
fn declared_length_of_2_pow_63() {
    let (h, _, _) = split(&sealed(16));
    let mut image = h;
    image.extend_from_slice(&[0x83, 0x01, 0x00, 0x5b, 0x80, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(verify(&image), Err(111));
}

#[test]
fn malleable_signature_s_plus_l() {
    let mut image = sealed(16);
    let n = image.len();
    // S + L, little-endian, with L = 2^252 + 27742317777372353535851937790883648493.
    let l: [u8; 32] = [
        0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
    ];
    let mut carry = 0u16;
    for (b, l) in image[n - 32..].iter_mut().zip(l) {
        let sum = u16::from(*b) + u16::from(l) + carry;
        *b = sum.to_le_bytes()[0];
        carry = sum >> 8;
    }
    assert_eq!(verify(&image), Err(601));
}

#[test]
fn small_order_public_key() {
    // The identity point and a point of order 8 are refused as trusted keys.
    let mut identity = [0u8; 32];
    identity[0] = 1;
    let order8 =
        hex::decode("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa").expect("hex");
    for weak in [identity.to_vec(), order8] {
        let p = PolicyFile {
            trusted: vec![TrustedKeyEntry {
                public_key: hex::encode(&weak),
                vendor: "linux".into(),
                device_types: vec![],
            }],
            ..PolicyFile::default()
        };
        let err = p.with_policy(|_| ()).expect_err("weak key refused");
        assert_eq!(err.code(), Some(409), "{err}");
    }
}

#[test]
fn failed_verifier_stays_failed() {
    let (h, mut c, s) = split(&sealed(16));
    c.swap(0, 1);
    let image = [h, c.concat(), s].concat();
    policy()
        .with_policy(|p| {
            destination_for(&mtty2()).with_descriptor(|d| {
                let mut v = Verifier::default();
                let first = v.feed(p, d, &image, |_| {}).expect_err("refused");
                assert_eq!(first.code(), 301);
                // More bytes, or finish, give the same error: no recovery.
                assert_eq!(v.feed(p, d, &[0x00], |_| {}).expect_err("still failed"), first);
                assert_eq!(v.finish().expect_err("still failed"), first);
            })
        })
        .expect("policy");
}

#[test]
fn error_messages_name_expected_and_found() {
    let nv = HeaderSpec::new("nvidia", "vfio-pci", "nvidia-35", (1, 0), "nvidia-vgpu");
    let image = seal_image(&nv, &test_key("nvidia"), b"vgpu", 16);
    let text = policy()
        .with_policy(|p| {
            destination_for(&mtty2())
                .with_descriptor(|d| verify_image(&image, p, d).expect_err("refused").to_string())
        })
        .expect("policy");
    assert!(text.contains("vendor nvidia, this device is vendor linux"), "{text}");
    assert!(text.contains("cross-vendor migration is impossible"), "{text}");
    assert!(text.starts_with("error 500 (vendor-mismatch) at byte 0"), "{text}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    /// Any single bit flip anywhere in a valid image is refused.
    #[test]
    fn any_single_bit_flip_is_refused(pos in 0usize..10_000, bit in 0u8..8) {
        let image = sealed(24);
        let pos = pos % image.len();
        let mut flipped = image.clone();
        flipped[pos] ^= 1 << bit;
        prop_assert!(verify(&flipped).is_err(), "flip at byte {pos} bit {bit} accepted");
    }

    /// Any fragmentation gives the verdict of the whole image.
    #[test]
    fn fragmentation_does_not_change_the_verdict(cuts in proptest::collection::vec(1usize..40, 1..30), flip in proptest::option::of(0usize..500)) {
        let mut image = sealed(20);
        if let Some(f) = flip {
            let n = image.len();
            image[f % n] ^= 0x40;
        }
        let expected = verify(&image);
        let got = policy().with_policy(|p| destination_for(&mtty2()).with_descriptor(|d| {
            let mut v = Verifier::default();
            let mut rest: &[u8] = &image;
            let mut i = 0;
            while !rest.is_empty() {
                let n = cuts[i % cuts.len()].min(rest.len());
                if let Err(e) = v.feed(p, d, &rest[..n], |_| {}) { return Err(e.code()); }
                rest = &rest[n..];
                i += 1;
            }
            v.finish().map(|_| ()).map_err(|e| e.code())
        })).expect("policy");
        prop_assert_eq!(got, expected);
    }
}
