//! `compat_pairs`: the compatibility check on arbitrary descriptor pairs,
//! against an independent oracle written over plain strings and tuples.
//!
//! Properties:
//! - every reason `check` gives, in order, and the chosen version, are the
//!   oracle's (so identity differences always refuse, a missing feature is
//!   always named, ...);
//! - identity, version, config and codec refusals are symmetric in the two
//!   descriptors;
//! - a descriptor as source is compatible with itself as destination;
//! - descriptors built from slices and descriptors decoded from their
//!   canonical encoding give identical answers, and the encoding
//!   round-trips byte for byte.

use arbitrary::{Arbitrary, Result, Unstructured};
use migseal_format::cbor::Encoder;
use migseal_format::envelope::{Descriptor, Role, StateVersion};
use migseal_testkit::samples::{DescriptorSpec, sorted_idents};
use migseal_verifier::compat::{self, CompatCode, Compatibility};

use crate::arb;

/// Two descriptors; the second often shares parts of the first, so the
/// interesting near-miss cases come up.
#[derive(Debug)]
pub struct CompatInput {
    /// The first descriptor (normally the source).
    pub a: DescriptorSpec,
    /// The second descriptor (normally the destination).
    pub b: DescriptorSpec,
}

impl<'a> Arbitrary<'a> for CompatInput {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let a = arb::descriptor_spec(u)?;
        let mut b = arb::descriptor_spec(u)?;
        if u.ratio(3u8, 4u8)? {
            (b.vendor, b.device_api, b.device_type) =
                (a.vendor.clone(), a.device_api.clone(), a.device_type.clone());
        }
        if u.arbitrary()? {
            b.versions = a.versions.clone();
        }
        if u.arbitrary()? {
            b.config = a.config.clone();
        }
        if u.arbitrary()? {
            b.features.extend(a.features.iter().filter(|_| u.arbitrary().unwrap_or(true)).cloned());
            // Still at most the format's 32 distinct features.
            b.features.sort();
            b.features.dedup();
            b.features.truncate(32);
        }
        if u.arbitrary()? {
            b.codecs.push(a.codecs[0].clone());
            b.codecs.truncate(8);
        }
        Ok(Self { a, b })
    }
}

/// `compat_pairs`.
///
/// # Panics
///
/// When `check` disagrees with the oracle or a property fails.
pub fn check(input: &CompatInput) {
    let (a, b) = (&input.a, &input.b);
    let (ea, eb) = (a.encode(), b.encode());
    a.with_descriptor(|da| {
        b.with_descriptor(|db| {
            let decoded_a =
                Descriptor::decode(&ea).unwrap_or_else(|e| panic!("encoded descriptor refused: {e}"));
            let decoded_b =
                Descriptor::decode(&eb).unwrap_or_else(|e| panic!("encoded descriptor refused: {e}"));
            assert_eq!(&decoded_a, da, "descriptor does not round-trip");
            assert_eq!(encode(&decoded_a), ea, "decoded descriptor re-encodes differently");

            // A descriptor's version set holds exactly its ranges' versions
            // (the bounds, and one step outside each), slice-built or
            // decoded alike.
            for (spec, d) in [(a, da), (a, &decoded_a), (b, db)] {
                assert!(!d.versions.is_empty(), "a descriptor without versions");
                for &(lo, hi) in &spec.versions {
                    for v in [lo, hi, (lo.0, lo.1.wrapping_sub(1)), (hi.0, hi.1.wrapping_add(1))] {
                        let want = spec.versions.iter().any(|&(l, h)| l <= v && v <= h);
                        let got = d.versions.contains(migseal_format::envelope::StateVersion::new(v.0, v.1));
                        assert_eq!(got, want, "versions.contains({v:?}) over {:?}", spec.versions);
                    }
                }
            }
            let c = compat::check(da, db);
            assert_eq!(
                compat::check(&decoded_a, &decoded_b),
                c,
                "slice-built and decoded descriptors disagree"
            );
            let (codes, version) = oracle(a, b);
            let got: Vec<CompatCode> = c.reasons().map(|r| r.code()).collect();
            assert_eq!(got, kept_by_rule(&codes), "reasons differ from the oracle's");
            for r in c.reasons() {
                // A reason says what differs, in words and with the
                // descriptors' own names; `map` changes the strings' type,
                // not the reason.
                let text = r.to_string();
                assert!(!text.is_empty(), "{:?} has no message", r.code());
                let mapped = r.map(|s| s.as_str());
                assert_eq!(mapped.code(), r.code(), "map keeps the reason");
                assert_eq!(mapped.to_string(), text, "map keeps the message");
                if let migseal_verifier::compat::Reason::ConfigMismatch { source, destination } = r {
                    for side in [source, destination] {
                        if let migseal_verifier::compat::ConfigSide::Present(k) = side {
                            assert!(text.contains(k.as_str()), "{text:?} does not name config kind {k}");
                        }
                    }
                }
            }
            assert_eq!(c.total(), codes.len(), "reason count differs from the oracle's");
            assert_eq!(c.is_compatible(), codes.is_empty());
            assert_eq!(c.chosen_version(), version, "chosen version differs from the oracle's");

            // Symmetric refusals. Every reason other than a missing
            // feature is always kept, so these compare in any case.
            let back = compat::check(db, da);
            for code in [
                CompatCode::VendorMismatch,
                CompatCode::DeviceApiMismatch,
                CompatCode::DeviceTypeMismatch,
                CompatCode::VersionUnsupported,
                CompatCode::ConfigMismatch,
                CompatCode::CodecUnsupported,
            ] {
                assert_eq!(has(&c, code), has(&back, code), "{code:?} is not symmetric");
            }

            for d in [da, db] {
                let src = Descriptor { role: Role::Source, ..*d };
                let dst = Descriptor { role: Role::Destination, ..*d };
                let own = compat::check(&src, &dst);
                assert!(own.is_compatible(), "a descriptor is incompatible with itself: {:?}", own.first());
            }
        });
    });
}

/// What a `Compatibility` lists of all the reasons, as the spec (§6.3)
/// says: every reason that is not a missing feature, and missing features
/// in order while they leave room for the config and codec reasons.
fn kept_by_rule(all: &[CompatCode]) -> Vec<CompatCode> {
    let mut kept = Vec::new();
    for &code in all {
        let room =
            if code == CompatCode::FeatureMissing { compat::MAX_REASONS - 2 } else { compat::MAX_REASONS };
        if kept.len() < room {
            kept.push(code);
        }
    }
    kept
}

fn has(c: &Compatibility<'_>, code: CompatCode) -> bool {
    c.reasons().any(|r| r.code() == code)
}

fn encode(d: &Descriptor<'_>) -> Vec<u8> {
    let mut e = Encoder::new(Vec::new());
    d.encode(&mut e).expect("encodes");
    e.finish().expect("complete")
}

/// The expected reason codes, in the spec's order, and the chosen version:
/// written from the spec's prose, over plain data.
fn oracle(a: &DescriptorSpec, b: &DescriptorSpec) -> (Vec<CompatCode>, Option<StateVersion>) {
    let mut codes = Vec::new();
    if a.role != Role::Source || b.role != Role::Destination {
        codes.push(CompatCode::RoleMismatch);
    }
    if a.vendor != b.vendor {
        codes.push(CompatCode::VendorMismatch);
    }
    if a.device_api != b.device_api {
        codes.push(CompatCode::DeviceApiMismatch);
    }
    if a.device_type != b.device_type {
        codes.push(CompatCode::DeviceTypeMismatch);
    }
    // Brute force over range pairs: the highest version inside both.
    let mut best: Option<(u32, u32)> = None;
    for &(smin, smax) in &a.versions {
        for &(dmin, dmax) in &b.versions {
            let (low, high) = (smin.max(dmin), smax.min(dmax));
            if low <= high && best.is_none_or(|b| high > b) {
                best = Some(high);
            }
        }
    }
    if best.is_none() {
        codes.push(CompatCode::VersionUnsupported);
    }
    let dest_features: Vec<&str> = b.features.iter().map(String::as_str).collect();
    for f in sorted_idents(&a.features) {
        if !dest_features.contains(&f.as_str()) {
            codes.push(CompatCode::FeatureMissing);
        }
    }
    if a.config != b.config {
        codes.push(CompatCode::ConfigMismatch);
    }
    if !a.codecs.iter().any(|c| b.codecs.contains(c)) {
        codes.push(CompatCode::CodecUnsupported);
    }
    (codes, best.map(|(major, minor)| StateVersion::new(major, minor)))
}
