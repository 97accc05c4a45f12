//! Property tests of the format layer: encode → decode is the identity,
//! and every input the reader accepts re-encodes to exactly its bytes
//! (one value, one encoding).

#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::as_conversions
)]

use migseal_format::cbor::{Encoder, Events, validate};
use migseal_format::envelope::{
    Descriptor, DeviceIdentity, Header, IdentList, Role, SessionNonce, ShellConfig, StateVersion,
    VersionRange, VersionRanges,
};
use migseal_format::{Ident, Subject};
use proptest::prelude::*;

fn ident_string() -> impl Strategy<Value = String> {
    "[A-Za-z0-9][A-Za-z0-9._-]{0,63}"
}

fn id(s: &str) -> Ident<'_> {
    Ident::new(s).unwrap()
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort_by(|a, b| (a.len(), a.as_bytes()).cmp(&(b.len(), b.as_bytes())));
    v.dedup();
    v
}

#[derive(Debug, Clone)]
struct HeaderParts {
    names: [String; 4],
    version: (u32, u32),
    features: Vec<String>,
    config: Option<(String, Vec<u8>)>,
    security: u64,
    session: Option<Vec<u8>>,
    subject: Option<String>,
    key_id: [u8; 32],
}

fn header_parts() -> impl Strategy<Value = HeaderParts> {
    (
        [ident_string(), ident_string(), ident_string(), ident_string()],
        (any::<u32>(), any::<u32>()),
        proptest::collection::vec(ident_string(), 0..8).prop_map(sorted),
        proptest::option::of((ident_string(), proptest::collection::vec(any::<u8>(), 1..200))),
        any::<u64>(),
        proptest::option::of(proptest::collection::vec(any::<u8>(), 16..=64)),
        proptest::option::of("[!-~]{1,128}"),
        any::<[u8; 32]>(),
    )
        .prop_map(|(names, version, features, config, security, session, subject, key_id)| HeaderParts {
            names,
            version,
            features,
            config,
            security,
            session,
            subject,
            key_id,
        })
}

proptest! {
    #[test]
    fn header_encode_decode_is_identity(p in header_parts()) {
        let features: Vec<Ident<'_>> = p.features.iter().map(|s| id(s)).collect();
        let header = Header {
            identity: DeviceIdentity { vendor: id(&p.names[0]), device_api: id(&p.names[1]), device_type: id(&p.names[2]) },
            state_version: StateVersion::new(p.version.0, p.version.1),
            features: IdentList::from_slice(&features, 32).unwrap(),
            config: p.config.as_ref().map(|(k, d)| ShellConfig::new(id(k), d).unwrap()),
            codec: id(&p.names[3]),
            security_version: p.security,
            session: p.session.as_deref().map(|s| SessionNonce::new(s).unwrap()),
            subject: p.subject.as_deref().map(|s| Subject::new(s).unwrap()),
            key_id: p.key_id,
        };
        let mut e = Encoder::new(Vec::new());
        header.encode_record(&mut e).unwrap();
        let bytes = e.finish().unwrap();
        let decoded = Header::decode_record(&bytes, 0).unwrap();
        prop_assert_eq!(decoded, header);
        // And the decoded header encodes to the same bytes.
        let mut e = Encoder::new(Vec::new());
        decoded.encode_record(&mut e).unwrap();
        prop_assert_eq!(e.finish().unwrap(), bytes);
    }

    #[test]
    fn descriptor_encode_decode_is_identity(
        names in [ident_string(), ident_string(), ident_string()],
        bounds in proptest::collection::vec((any::<u16>(), any::<u16>()), 1..6),
        features in proptest::collection::vec(ident_string(), 0..8).prop_map(sorted),
        codecs in proptest::collection::vec(ident_string(), 1..8).prop_map(sorted),
        destination in any::<bool>(),
    ) {
        // Build sorted, disjoint ranges from increasing points.
        let mut points: Vec<u32> = bounds.iter().flat_map(|&(a, b)| [u32::from(a), u32::from(b)]).collect();
        points.sort_unstable();
        points.dedup();
        let ranges: Vec<VersionRange> = points
            .chunks(2)
            .map(|c| {
                let lo = c[0];
                let hi = *c.get(1).unwrap_or(&lo);
                VersionRange::new(StateVersion::new(lo, 0), StateVersion::new(hi, 0)).unwrap()
            })
            .collect();
        let f: Vec<Ident<'_>> = features.iter().map(|s| id(s)).collect();
        let c: Vec<Ident<'_>> = codecs.iter().map(|s| id(s)).collect();
        let d = Descriptor {
            role: if destination { Role::Destination } else { Role::Source },
            identity: DeviceIdentity { vendor: id(&names[0]), device_api: id(&names[1]), device_type: id(&names[2]) },
            versions: VersionRanges::from_slice(&ranges, 16).unwrap(),
            features: IdentList::from_slice(&f, 32).unwrap(),
            config: None,
            codecs: IdentList::from_slice(&c, 8).unwrap(),
        };
        let mut e = Encoder::new(Vec::new());
        d.encode(&mut e).unwrap();
        let bytes = e.finish().unwrap();
        prop_assert_eq!(Descriptor::decode(&bytes).unwrap(), d);
    }

    /// Whatever the reader accepts, the writer reproduces byte for byte.
    #[test]
    fn accepted_input_reencodes_identically(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        if validate(&bytes, &[]).is_ok() {
            let mut e = Encoder::new(Vec::new());
            for ev in Events::new(&bytes) {
                ev.unwrap().encode(&mut e).unwrap();
            }
            prop_assert_eq!(e.finish().unwrap(), bytes);
        }
    }

    /// Structured inputs reach deeper than random bytes: arrays and maps of
    /// small items, sometimes with a corrupted byte.
    #[test]
    fn structured_input_reencodes_or_is_refused(
        items in proptest::collection::vec(prop_oneof![
            any::<u64>().prop_map(|n| (0u8, n)),
            any::<u64>().prop_map(|n| (1u8, n)),
            (0u64..40).prop_map(|n| (2u8, n)),
        ], 0..12),
        corrupt in proptest::option::of((any::<usize>(), any::<u8>())),
    ) {
        let mut e = Encoder::new(Vec::new());
        e.array(items.len() as u64).unwrap();
        for (kind, n) in &items {
            match kind {
                0 => { e.uint(*n).unwrap(); }
                1 => { e.raw_nint(*n).unwrap(); }
                _ => { e.bytes(&vec![0xa5; *n as usize]).unwrap(); }
            }
        }
        let mut bytes = e.finish().unwrap();
        if let Some((pos, b)) = corrupt {
            let n = bytes.len();
            bytes[pos % n] = b;
        }
        match validate(&bytes, &[]) {
            Ok(()) => {
                let mut e = Encoder::new(Vec::new());
                for ev in Events::new(&bytes) {
                    ev.unwrap().encode(&mut e).unwrap();
                }
                prop_assert_eq!(e.finish().unwrap(), bytes);
            }
            Err(err) => prop_assert!(err.offset() <= bytes.len() as u64),
        }
    }
}
