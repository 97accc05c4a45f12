//! The kernel's fragment sizes (issue 18, item 2): what streaming
//! verification costs when the image arrives in the pieces a driver's
//! `write()` gets — 4 KiB pages, or one byte at a time from a hostile
//! writer. The comparisons, their inputs, and why a goal was missed
//! (`benches/fragments.rs` measures them).

use std::hint::black_box;
use std::io;

use migseal::policy_file::{PolicyFile, TrustedKeyEntry};
use migseal_format::envelope::{Descriptor, MAX_CONFIG_LEN, MAX_NONCE_LEN};
use migseal_format::{MAX_IDENT_LEN, MAX_SUBJECT_LEN};
use migseal_testkit::samples::{HeaderSpec, destination_for, test_key};
use migseal_verifier::{Policy, Verifier};

use crate::comparisons::{Comparison, Goal};
use crate::fixtures::{virtio_bound_spec, write_image};
use crate::mode::Mode;
use crate::profile::Profile;
use crate::report::Row;
use crate::units;

/// Group of the 4 KiB-page comparison.
pub const PAGES_GROUP: &str = "fragments-4KiB";
/// Group of the bytewise comparison on the maximal header.
pub const MAX_HEADER_GROUP: &str = "fragments-bytewise-max-header";
/// Group of the bytewise comparisons on the typical image.
pub const TYPICAL_GROUP: &str = "fragments-bytewise-typical";

/// The fragment a kernel driver typically gets: one page.
pub const PAGE: usize = 4096;
/// Chunk size of the 4 KiB-page image.
pub const PAGES_CHUNK: usize = 1 << 20;
/// Payload of the typical image, and its chunk size: a small device's
/// state (virtio-net, mtty) is a few KiB to tens of KiB.
pub const TYPICAL_PAYLOAD: u64 = 64 << 10;
/// See [`TYPICAL_PAYLOAD`].
pub const TYPICAL_CHUNK: usize = 4 << 10;
/// Chunks of the maximal-header image, and their size: the header is the
/// subject there, the chunks make its heads and seal part of the walk.
pub const MAX_HEADER_CHUNKS: u64 = 4;
/// See [`MAX_HEADER_CHUNKS`].
pub const MAX_HEADER_CHUNK: usize = 64;

/// Every comparison of this module, in report order.
pub const FRAGMENTS: &[Comparison] = &[
    Comparison {
        title: "streaming verify fed 4 KiB fragments (a driver's write() pages), 1 MiB chunks",
        group: PAGES_GROUP,
        subject: "migseal",
        reference: &["sha256"],
        reference_title: "sha2 SHA-256 over the same bytes, at once",
        goal: Goal::SpeedAtLeast(0.95),
        max_ns: None,
        chunk_bytes: None,
    },
    Comparison {
        title: "maximal 3.7 KiB header image (4 chunks of 64 B) fed 1 byte at a time, whole verification",
        group: MAX_HEADER_GROUP,
        subject: "bytewise",
        reference: &["whole"],
        reference_title: "the same image fed at once",
        goal: Goal::TimeAtMost(2.0),
        max_ns: None,
        chunk_bytes: None,
    },
    Comparison {
        title: "typical image (virtio-net header, 64 KiB in 4 KiB chunks) fed 1 byte at a time",
        group: TYPICAL_GROUP,
        subject: "bytewise",
        reference: &["whole"],
        reference_title: "the same image fed at once",
        goal: Goal::TimeAtMost(2.0),
        max_ns: None,
        chunk_bytes: None,
    },
    Comparison {
        title: "raw SHA-256 fed 1 byte at a time, the typical image's bytes (the hash's own floor)",
        group: TYPICAL_GROUP,
        subject: "sha256-bytewise",
        reference: &["sha256-whole"],
        reference_title: "sha2 SHA-256 over the same bytes, at once",
        goal: Goal::None,
        max_ns: None,
        chunk_bytes: None,
    },
];

/// Payload bytes of the 4 KiB-page image: large enough to leave the
/// caches, small enough for the quick run.
#[must_use]
pub const fn pages_bytes(mode: Mode) -> u64 {
    match mode {
        Mode::Quick => 16 << 20,
        Mode::Full => 256 << 20,
    }
}

/// A header record as large as the field bounds allow with 32 features,
/// a 1 KiB shell config, a 64-byte session nonce and a 128-byte subject:
/// about 3.7 KiB of the 4 KiB limit.
#[must_use]
pub fn maximal_spec() -> HeaderSpec {
    let long = |c: char| c.to_string().repeat(MAX_IDENT_LEN);
    let mut spec = HeaderSpec::new("linux", &long('a'), &long('t'), (1, 0), &long('c'));
    spec.features = (0..32).map(|i| format!("{i:02}{}", "f".repeat(MAX_IDENT_LEN - 2))).collect();
    spec.config = Some((long('k'), vec![7; MAX_CONFIG_LEN]));
    spec.session = Some(vec![9; MAX_NONCE_LEN]);
    spec.subject = Some("s".repeat(MAX_SUBJECT_LEN));
    spec
}

/// The maximal-header image, the policy (JSON) that trusts its key and
/// the destination descriptor that accepts it (CBOR).
///
/// # Errors
///
/// When the image cannot be built (a bug in the spec).
pub fn maximal_inputs() -> io::Result<(Vec<u8>, String, Vec<u8>)> {
    let spec = maximal_spec();
    let mut image = Vec::new();
    let payload = MAX_HEADER_CHUNKS.saturating_mul(64);
    write_image(&mut image, &spec, "linux", payload, MAX_HEADER_CHUNK)?;
    let policy = PolicyFile {
        trusted: vec![TrustedKeyEntry {
            public_key: hex::encode(test_key("linux").public_key()),
            vendor: "linux".into(),
            device_types: vec![],
        }],
        ..PolicyFile::default()
    };
    let json = serde_json::to_string(&policy).map_err(io::Error::other)?;
    Ok((image, json, destination_for(&spec).encode()))
}

/// The typical image: the fullest typical header (virtio-net bound to a
/// session and a VM), accepted by the shipped session policy on the
/// shipped virtio-net device.
///
/// # Errors
///
/// When the image cannot be built (a bug in the spec).
pub fn typical_image() -> io::Result<Vec<u8>> {
    let mut image = Vec::new();
    write_image(&mut image, &virtio_bound_spec(), "virtio", TYPICAL_PAYLOAD, TYPICAL_CHUNK)?;
    Ok(image)
}

/// Verifies `image` fed `fragment` bytes at a time, as a driver's
/// `write()` calls would; the image digest. The benchmarks and the
/// profiler's workloads both run this.
///
/// # Errors
///
/// When the image does not verify (its refusal's message): a benchmark of
/// an error path measures nothing.
pub fn verify_fed(
    image: &[u8],
    policy: &Policy,
    device: &Descriptor<'_>,
    fragment: usize,
) -> Result<[u8; 32], String> {
    let mut v = Verifier::default();
    for piece in image.chunks(fragment.max(1)) {
        v.feed(policy, device, black_box(piece), |p| {
            black_box(p.bytes.len());
        })
        .map_err(|e| e.to_string())?;
    }
    v.finish().map(|verdict| *verdict.image_digest()).map_err(|e| e.to_string())
}

/// Whether `group` is one of this module's.
#[must_use]
pub fn owns(group: &str) -> bool {
    [PAGES_GROUP, MAX_HEADER_GROUP, TYPICAL_GROUP].contains(&group)
}

/// Why a comparison of this module missed its goal, from the run's
/// numbers (`rows` for the hash's own floor) and the workload's CPU
/// profile; `noise` says whether the medians' intervals overlap.
#[must_use]
pub fn why(row: &Row, rows: &[Row], noise: &str, profile: Option<&Result<Profile, String>>) -> String {
    let profile = crate::profile::quote(profile);
    // `noise` is a clause; here it starts a sentence.
    let mut chars = noise.chars();
    let noise: String = chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default();
    let c = &row.comparison;
    let gap = row.subject.median_ns - row.reference.median_ns;
    if c.group == PAGES_GROUP {
        let fragments = row.subject.bytes.unwrap_or(0).div_ceil(u64::try_from(PAGE).unwrap_or(1));
        return format!(
            "the verifier hashes every byte once, like the reference; per 4 KiB fragment it makes one \
             call through the framing walk and one hash update (the reference makes one call for all \
             bytes). migseal took {} more over {fragments} fragments, {} per fragment. {profile} \
             {noise}.",
            units::time(gap),
            units::time(gap / crate::units::to_f64(fragments.max(1))),
        );
    }
    let bytes = row.subject.bytes.unwrap_or(0);
    let per_byte = gap / crate::units::to_f64(bytes.max(1));
    let floor = rows
        .iter()
        .find(|r| r.comparison.group == TYPICAL_GROUP && r.comparison.subject == "sha256-bytewise")
        .map(|r| {
            format!(
                " The hash alone fed one byte at a time costs {} its one-call time on the same bytes \
                 ({} more per byte): that floor is the hash's, and no verifier built on it goes below it.",
                units::ratio(r.subject.median_ns / r.reference.median_ns),
                units::time(
                    (r.subject.median_ns - r.reference.median_ns) / crate::units::to_f64(bytes.max(1))
                ),
            )
        })
        .unwrap_or_default();
    format!(
        "one byte per call costs a call through the verifier, the framing walk and the hash per byte: \
         {} more per byte over {bytes} bytes. The header record is scanned once and decoded once \
         however it is split (the rescans that made it quadratic are gone, tested by counting the \
         decoders' work), so what remains is per-call overhead. {profile}{floor} {noise}.",
        units::time(per_byte),
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::arithmetic_side_effects)]
mod tests {
    use super::*;
    use migseal_format::envelope::Descriptor;
    use migseal_verifier::verify_image;

    #[test]
    fn the_maximal_image_verifies_and_its_header_is_about_3_7_kib() {
        let (image, json, device) = maximal_inputs().unwrap();
        let device = Descriptor::decode(&device).unwrap();
        let policy = PolicyFile::from_json(&json).unwrap();
        policy
            .with_policy(|p| {
                let v = verify_image(&image, p, &device).unwrap();
                assert_eq!(v.header().key_id, test_key("linux").key_id(&migseal_verifier::Dalek));
                let header_len = migseal_format::cbor::skip_item(&image, 0, &[]).unwrap();
                assert!((3600..=4096).contains(&header_len), "{header_len}");
                let mut s = Verifier::default();
                for b in image.chunks(1) {
                    s.feed(p, &device, b, |_| {}).unwrap();
                }
                s.finish().unwrap();
            })
            .unwrap();
    }

    #[test]
    fn a_missed_bytewise_goal_is_explained_with_the_hash_floor() {
        let est = |ns: f64, bytes| crate::estimates::Estimate {
            median_ns: ns,
            median_ci_ns: (ns * 0.9, ns * 1.1),
            bytes: Some(bytes),
        };
        let rows = vec![
            Row { comparison: FRAGMENTS[2], subject: est(5.0e6, 70_000), reference: est(2.0e5, 70_000) },
            Row { comparison: FRAGMENTS[3], subject: est(7.0e5, 70_000), reference: est(7.0e4, 70_000) },
        ];
        assert!(matches!(rows[0].outcome(), crate::comparisons::Outcome::Missed(_)));
        let profile = crate::profile::parse_report("  70.00%  [.] migseal_verifier::stream::x\n", 900);
        let why = why(&rows[0], &rows, "noise", Some(&profile));
        assert!(why.contains("68.6 ns more per byte over 70000 bytes"), "{why}");
        assert!(why.contains("(900 samples) puts verifier and framing walk (migseal_verifier, with the feed loop it is inlined into) 70.0 %"), "{why}");
        assert!(
            why.contains("The hash alone fed one byte at a time costs 10.00× its one-call time"),
            "{why}"
        );
        let pages =
            Row { comparison: FRAGMENTS[0], subject: est(1.1e6, 1 << 20), reference: est(1.0e6, 1 << 20) };
        let text = super::why(&pages, &[], "noise", Some(&Err("perf is not available".into())));
        assert!(text.contains("over 256 fragments"), "{text}");
        assert!(text.contains("No profile in this run: perf is not available."), "{text}");
    }

    #[test]
    fn every_group_is_owned_and_the_typical_image_builds() {
        assert!(FRAGMENTS.iter().all(|c| owns(c.group)));
        assert!(!owns("stream-1MiB"));
        assert!(typical_image().unwrap().len() > usize::try_from(TYPICAL_PAYLOAD).unwrap());
    }
}
