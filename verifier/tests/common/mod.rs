//! A complete verification built from the crate's own types (the verifier
//! cannot depend on the root crate's samples): one sealed image, a policy
//! trusting its key, the matching destination descriptor.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use migseal_format::Ident;
use migseal_format::envelope::{
    Descriptor, DeviceIdentity, Header, IdentList, MAX_HEADER_LEN, Role, StateVersion, VersionRange,
    VersionRanges,
};
use migseal_verifier::{Dalek, Policy, Sealer, SealingKey, Verifier};

pub const V1: [VersionRange; 1] =
    [VersionRange { min: StateVersion { major: 1, minor: 0 }, max: StateVersion { major: 1, minor: 0 } }];

pub fn identity() -> DeviceIdentity<'static> {
    DeviceIdentity {
        vendor: Ident::new("linux").unwrap(),
        device_api: Ident::new("vfio-pci").unwrap(),
        device_type: Ident::new("mtty-2").unwrap(),
    }
}

/// An image of `chunks` chunks of 1 KiB each.
pub fn image(chunks: usize) -> (Vec<u8>, [u8; 32]) {
    let key = SealingKey::from_seed(&[0x5a; 32]);
    let header = Header {
        identity: identity(),
        state_version: StateVersion::new(1, 0),
        features: IdentList::EMPTY,
        config: None,
        codec: Ident::new("mtty").unwrap(),
        security_version: 1,
        session: None,
        subject: None,
        key_id: key.key_id(&Dalek),
    };
    let mut out = vec![0u8; MAX_HEADER_LEN];
    let (mut sealer, n) = Sealer::new(SealingKey::from_seed(&[0x5a; 32]), Dalek, &header, &mut out).unwrap();
    out.truncate(n);
    for i in 0..chunks {
        let data = vec![u8::try_from(i % 251).unwrap(); 1024];
        out.extend_from_slice(sealer.chunk(&data).unwrap().as_bytes());
        out.extend_from_slice(&data);
    }
    out.extend_from_slice(&sealer.finish().unwrap());
    (out, key.public_key())
}

/// Calls `f` with a policy trusting `public_key` (in a `Box`: a kernel
/// keeps it in its own memory, not on the stack) and the destination of
/// [`image`].
pub fn with_policy<R>(public_key: [u8; 32], f: impl FnOnce(&Policy, &Descriptor<'_>) -> R) -> R {
    let codecs = [Ident::new("mtty").unwrap()];
    let device = Descriptor {
        role: Role::Destination,
        identity: identity(),
        versions: VersionRanges::from_slice(&V1, 16).unwrap(),
        features: IdentList::EMPTY,
        config: None,
        codecs: IdentList::from_slice(&codecs, 8).unwrap(),
    };
    let mut policy = Box::new(Policy::new());
    policy.trust_key(&Dalek, public_key, identity().vendor, &[]).unwrap();
    f(&policy, &device)
}

/// [`with_policy`], with a streaming verifier (boxed too).
pub fn with_verifier<R>(
    public_key: [u8; 32],
    f: impl FnOnce(&mut Verifier, &Policy, &Descriptor<'_>) -> R,
) -> R {
    with_policy(public_key, |policy, device| f(&mut Box::new(Verifier::default()), policy, device))
}

/// Verifies `image` streamed in 256-byte fragments; the payload length or
/// the error code.
pub fn verify(image: &[u8], public_key: [u8; 32]) -> Result<u64, u16> {
    with_verifier(public_key, |v, policy, device| {
        for fragment in image.chunks(256) {
            v.feed(policy, device, fragment, |_| {}).map_err(|e| e.code())?;
        }
        v.finish().map(|verdict| verdict.payload_len()).map_err(|e| e.code())
    })
}
