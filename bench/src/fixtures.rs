//! What every benchmark measures on: the shipped policies and devices of
//! `spec/vectors`, the public test keys, and sealed images built in memory
//! (or streamed to a writer) so no large file is ever committed.

use std::io::{self, Write};

use migseal::policy_file::PolicyFile;
use migseal_format::cbor::Encoder;
use migseal_format::envelope::{Descriptor, MAX_HEADER_LEN, Role};
use migseal_testkit::samples::{HeaderSpec, filler, test_key};
use migseal_testkit::vectors::{SESSION, SUBJECT};
use migseal_verifier::{Dalek, Policy, Sealer};

/// The shipped default policy (six keys, a revocation, rollback minimums).
pub const DEFAULT_POLICY: &str = include_str!("../../spec/vectors/policies/default.json");
/// The shipped policy that requires a session nonce and a subject.
pub const SESSION_POLICY: &str = include_str!("../../spec/vectors/policies/session.json");
/// The shipped mtty-2 destination descriptor (canonical CBOR).
pub const MTTY2_DEVICE: &[u8] = include_bytes!("../../spec/vectors/devices/mtty-2.cbor");
/// The shipped virtio-net destination descriptor (versions 1.0–1.3, four
/// features).
pub const VIRTIO_NET_DEVICE: &[u8] = include_bytes!("../../spec/vectors/devices/virtio-net.cbor");
/// The shipped vfio-ap destination descriptor (with a shell config).
pub const VFIO_AP_DEVICE: &[u8] = include_bytes!("../../spec/vectors/devices/vfio-ap.cbor");

/// Paths of the same files relative to the repository root, for the CLI
/// and the WASM runs.
pub mod paths {
    /// [`super::DEFAULT_POLICY`].
    pub const DEFAULT_POLICY: &str = "spec/vectors/policies/default.json";
    /// [`super::MTTY2_DEVICE`].
    pub const MTTY2_DEVICE: &str = "spec/vectors/devices/mtty-2.cbor";
}

/// The header of the large images: mtty-2 state, security version 3, as
/// the shipped vectors have it (trusted by the default policy).
#[must_use]
pub fn mtty2_spec() -> HeaderSpec {
    let mut spec = HeaderSpec::new("linux", "vfio-pci", "mtty-2", (1, 0), "mtty");
    spec.security_version = 3;
    spec
}

/// The fullest typical header: virtio-net with three features, bound to a
/// session nonce and a VM (accepted by [`SESSION_POLICY`] on
/// [`VIRTIO_NET_DEVICE`]).
#[must_use]
pub fn virtio_bound_spec() -> HeaderSpec {
    let mut spec = HeaderSpec::new("virtio", "vfio-pci", "virtio-net", (1, 0), "virtio-dev-parts");
    spec.features = vec!["VIRTIO_F_VERSION_1".into(), "VIRTIO_NET_F_MAC".into(), "VIRTIO_NET_F_MQ".into()];
    spec.session = Some(SESSION.to_vec());
    spec.subject = Some(SUBJECT.into());
    spec
}

/// Streams a sealed image of `total` payload bytes in chunks of
/// `chunk_size` under `spec`, signed with the public test key `key_name`,
/// into `out`; returns the image length. Memory stays at one chunk: every
/// chunk carries the same filler bytes (SHA-256 costs the same for any
/// content).
///
/// # Errors
///
/// The writer's error; `InvalidInput` for a zero chunk size, a spec the
/// key does not fit or a chunk the format refuses.
pub fn write_image(
    out: &mut dyn Write,
    spec: &HeaderSpec,
    key_name: &str,
    total: u64,
    chunk_size: usize,
) -> io::Result<u64> {
    if chunk_size == 0 {
        return Err(invalid("chunk size must be positive"));
    }
    let key = test_key(key_name);
    let data = filler("migseal-bench payload", chunk_size);
    spec.with_header(key.key_id(&Dalek), |header| {
        let mut head = vec![0u8; MAX_HEADER_LEN];
        let (mut sealer, n) = Sealer::new(key.clone(), Dalek, header, &mut head).map_err(invalid)?;
        let mut written = 0u64;
        let mut put = |out: &mut dyn Write, bytes: &[u8]| -> io::Result<()> {
            out.write_all(bytes)?;
            written = written.saturating_add(u64::try_from(bytes.len()).unwrap_or(u64::MAX));
            Ok(())
        };
        put(out, head.get(..n).unwrap_or(&[]))?;
        let mut left = total;
        while left > 0 {
            let len = usize::try_from(left).unwrap_or(usize::MAX).min(chunk_size);
            let piece = data.get(..len).unwrap_or(&[]);
            put(out, sealer.chunk(piece).map_err(invalid)?.as_bytes())?;
            put(out, piece)?;
            left = left.saturating_sub(u64::try_from(len).unwrap_or(u64::MAX));
        }
        put(out, &sealer.finish().map_err(invalid)?)?;
        Ok(written)
    })
}

/// [`write_image`] into memory: an mtty-2 image of `total` payload bytes.
///
/// # Panics
///
/// On a zero chunk size (benchmark tooling: a bug in the benchmark).
#[allow(clippy::expect_used)]
#[must_use]
pub fn mtty2_image(total: usize, chunk_size: usize) -> Vec<u8> {
    // Heads are at most 20 bytes a chunk; the header and seal are small.
    let chunks = total.div_ceil(chunk_size.max(1));
    let mut image = Vec::with_capacity(total.saturating_add(chunks.saturating_mul(20)).saturating_add(8192));
    let total = u64::try_from(total).expect("usize fits u64");
    write_image(&mut image, &mtty2_spec(), "linux", total, chunk_size).expect("in-memory image");
    image
}

/// A sealed image with no chunk: header and seal only, the input of the
/// header and signature benchmarks.
///
/// # Panics
///
/// Never for the specs of this module (benchmark tooling).
#[allow(clippy::expect_used)]
#[must_use]
pub fn empty_image(spec: &HeaderSpec, key_name: &str) -> Vec<u8> {
    let mut image = Vec::new();
    write_image(&mut image, spec, key_name, 0, 1).expect("in-memory image");
    image
}

/// [`with_policy`] with the policy's keys prepared by `crypto`.
///
/// # Panics
///
/// When the shipped files do not parse (benchmark tooling).
#[allow(clippy::expect_used)]
pub fn with_policy_for<C: migseal_verifier::Crypto, R>(
    crypto: &C,
    policy_json: &str,
    device: &[u8],
    f: impl FnOnce(&migseal_verifier::Policy<C>, &Descriptor<'_>) -> R,
) -> R {
    let file = PolicyFile::from_json(policy_json).expect("shipped policy parses");
    let device = Descriptor::decode(device).expect("shipped device decodes");
    f(&file.to_policy_with(crypto).expect("shipped policy is valid"), &device)
}

/// Runs `f` with the parsed `policy_json` and the decoded `device`.
///
/// # Panics
///
/// When the shipped files do not parse (benchmark tooling).
#[allow(clippy::expect_used)]
pub fn with_policy<R>(policy_json: &str, device: &[u8], f: impl FnOnce(&Policy, &Descriptor<'_>) -> R) -> R {
    let file = PolicyFile::from_json(policy_json).expect("shipped policy parses");
    let device = Descriptor::decode(device).expect("shipped device decodes");
    file.with_policy(|policy| f(policy, &device)).expect("shipped policy is valid")
}

/// The source descriptor matching `spec` (what a source host emits in the
/// migration handshake), as canonical CBOR.
#[must_use]
pub fn source_descriptor(spec: &HeaderSpec) -> Vec<u8> {
    let mut d = migseal_testkit::samples::destination_for(spec);
    d.role = Role::Source;
    d.encode()
}

/// A source descriptor for the shipped vfio-ap device: the destination's
/// own fields (its 96-byte shell config included) with the source role,
/// as canonical CBOR. Derived from the shipped file so the two always
/// match, whatever configuration the vectors carry.
///
/// # Panics
///
/// When the shipped descriptor does not decode (benchmark tooling).
#[allow(clippy::expect_used)]
#[must_use]
pub fn vfio_ap_source() -> Vec<u8> {
    let mut d = Descriptor::decode(VFIO_AP_DEVICE).expect("shipped device decodes");
    d.role = Role::Source;
    let mut e = Encoder::new(Vec::new());
    d.encode(&mut e).expect("descriptor encodes");
    e.finish().expect("complete")
}

fn invalid(e: impl std::fmt::Display) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, e.to_string())
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic,
    clippy::unreachable
)]
mod tests {
    use super::*;
    use migseal_verifier::{verify_image, verify_image_parallel};
    use std::num::NonZeroUsize;

    #[test]
    fn large_images_verify_under_the_shipped_policy() {
        // 3 chunks, the last one short.
        let image = mtty2_image(2500, 1000);
        with_policy(DEFAULT_POLICY, MTTY2_DEVICE, |policy, device| {
            let v = verify_image(&image, policy, device).unwrap();
            assert_eq!(v.chunk_count(), 3);
            assert_eq!(v.payload_len(), 2500);
            let p = verify_image_parallel(&image, policy, device, NonZeroUsize::new(2).unwrap()).unwrap();
            assert_eq!(p.image_digest(), v.image_digest());
        });
    }

    #[test]
    fn bound_header_verifies_under_the_session_policy_only() {
        let image = empty_image(&virtio_bound_spec(), "virtio");
        with_policy(SESSION_POLICY, VIRTIO_NET_DEVICE, |policy, device| {
            assert_eq!(verify_image(&image, policy, device).unwrap().chunk_count(), 0);
        });
        // The policy checks run: the same image without its binding is
        // refused by that policy.
        let mut unbound = virtio_bound_spec();
        unbound.session = None;
        let image = empty_image(&unbound, "virtio");
        with_policy(SESSION_POLICY, VIRTIO_NET_DEVICE, |policy, device| {
            let e = verify_image(&image, policy, device).unwrap_err();
            assert_eq!(e.name(), "session-missing");
        });
    }

    #[test]
    fn written_length_is_the_image_length() {
        let mut out = Vec::new();
        let n = write_image(&mut out, &mtty2_spec(), "linux", 10, 4).unwrap();
        assert_eq!(usize::try_from(n).unwrap(), out.len());
        assert!(write_image(&mut Vec::new(), &mtty2_spec(), "linux", 10, 0).is_err());
    }

    #[test]
    fn source_descriptors_are_compatible_with_the_shipped_devices() {
        for (src, device) in
            [(source_descriptor(&virtio_bound_spec()), VIRTIO_NET_DEVICE), (vfio_ap_source(), VFIO_AP_DEVICE)]
        {
            let src = Descriptor::decode(&src).unwrap();
            assert_eq!(src.role, Role::Source);
            let dst = Descriptor::decode(device).unwrap();
            let first = migseal_verifier::compat::check(&src, &dst).first();
            assert!(first.is_none(), "{first:?}");
        }
    }
}
