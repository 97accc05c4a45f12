//! The kernel's fragment sizes (issue 18, item 2): streaming verification
//! fed 4 KiB fragments against raw SHA-256 on the same bytes, and whole
//! images fed one byte at a time against the same images fed at once (a
//! maximal 3.7 KiB header, a typical image), with the hash's own bytewise
//! cost beside them. The comparisons are `migseal_bench::fragments`.
// Benchmark code, like test code: a fixture that does not verify must stop
// the run loudly rather than time an error path.
#![allow(clippy::panic, clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use criterion::Throughput;
use migseal_bench::fixtures::{
    DEFAULT_POLICY, MTTY2_DEVICE, SESSION_POLICY, VIRTIO_NET_DEVICE, mtty2_image, with_policy,
};
use migseal_bench::fragments::{
    FRAGMENTS, MAX_HEADER_GROUP, PAGE, PAGES_CHUNK, PAGES_GROUP, TYPICAL_GROUP, maximal_inputs, pages_bytes,
    typical_image, verify_fed,
};
use migseal_bench::harness::{Run, ids_of};
use migseal_format::envelope::Descriptor;
use migseal_verifier::Policy;
use sha2::Digest;

/// Verifies `image` fed `fragment` bytes at a time; the image digest.
fn verify(image: &[u8], policy: &Policy, device: &Descriptor<'_>, fragment: usize) -> [u8; 32] {
    match verify_fed(image, policy, device, fragment) {
        Ok(digest) => digest,
        Err(e) => panic!("the benchmark image must verify: {e}"),
    }
}

/// Bytewise against at once, on `image`.
fn bytewise_pair(run: &mut Run, group: &str, image: &[u8], policy: &Policy, device: &Descriptor<'_>) {
    let mut g = run.small(group);
    g.throughput(Throughput::Bytes(u64::try_from(image.len()).unwrap_or(u64::MAX)));
    g.bench_function("bytewise", |b| b.iter(|| black_box(verify(image, policy, device, 1))));
    g.bench_function("whole", |b| b.iter(|| black_box(verify(image, policy, device, image.len()))));
    if group == TYPICAL_GROUP {
        g.bench_function("sha256-bytewise", |b| {
            b.iter(|| {
                let mut h = sha2::Sha256::new();
                for byte in image.chunks(1) {
                    h.update(black_box(byte));
                }
                black_box(h.finalize())
            });
        });
        g.bench_function("sha256-whole", |b| b.iter(|| black_box(sha2::Sha256::digest(black_box(image)))));
    }
    g.finish();
}

pub fn bench(run: &mut Run) {
    if run.wants(&ids_of(&FRAGMENTS[..1])) {
        let image = mtty2_image(usize::try_from(pages_bytes(run.mode)).unwrap_or(usize::MAX), PAGES_CHUNK);
        let bytes = u64::try_from(image.len()).unwrap_or(u64::MAX);
        with_policy(DEFAULT_POLICY, MTTY2_DEVICE, |policy, device| {
            let mut g = run.large(PAGES_GROUP, bytes);
            g.bench_function("migseal", |b| b.iter(|| black_box(verify(&image, policy, device, PAGE))));
            g.bench_function("sha256", |b| b.iter(|| black_box(sha2::Sha256::digest(black_box(&image)))));
            g.finish();
        });
    }
    if run.wants(&ids_of(&FRAGMENTS[1..2])) {
        let (image, policy, device) = maximal_inputs().expect("the maximal-header image builds");
        with_policy(&policy, &device, |policy, device| {
            bytewise_pair(run, MAX_HEADER_GROUP, &image, policy, device);
        });
    }
    if run.wants(&ids_of(&FRAGMENTS[2..])) {
        let image = typical_image().expect("the typical image builds");
        with_policy(SESSION_POLICY, VIRTIO_NET_DEVICE, |policy, device| {
            bytewise_pair(run, TYPICAL_GROUP, &image, policy, device);
        });
    }
}
