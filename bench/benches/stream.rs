//! Streaming verification (Verifier::feed in 64 KiB fragments, then
//! finish) of a sealed image against raw SHA-256 over the same bytes: the
//! limit of one core. Chunk sizes 64 KiB, 1 MiB and 16 MiB.
// Benchmark code, like test code: a fixture that does not verify must stop
// the run loudly rather than time an error path.
#![allow(clippy::panic, clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use migseal_bench::comparisons::STREAM;
use migseal_bench::fixtures::{DEFAULT_POLICY, MTTY2_DEVICE, mtty2_image, with_policy};
use migseal_bench::harness::{Run, ids_of};
use migseal_verifier::Verifier;
use sha2::Digest;

/// The CLI's default read size: how a streamed image arrives.
const FRAGMENT: usize = 64 << 10;

pub fn bench(run: &mut Run) {
    if !run.wants(&ids_of(STREAM)) {
        return;
    }
    let total = usize::try_from(run.mode.image_bytes()).unwrap_or(usize::MAX);
    for (c, chunk) in STREAM.iter().zip([64 << 10, 1 << 20, 16 << 20]) {
        let image = mtty2_image(total, chunk);
        let bytes = u64::try_from(image.len()).unwrap_or(u64::MAX);
        with_policy(DEFAULT_POLICY, MTTY2_DEVICE, |policy, device| {
            let mut g = run.large(c.group, bytes);
            g.bench_function("migseal", |b| {
                b.iter(|| {
                    let mut v = Verifier::default();
                    for fragment in image.chunks(FRAGMENT) {
                        if let Err(e) = v.feed(policy, device, black_box(fragment), |piece| {
                            black_box(piece.bytes.len());
                        }) {
                            panic!("the benchmark image must verify: {e}");
                        }
                    }
                    match v.finish() {
                        Ok(verdict) => black_box(*verdict.image_digest()),
                        Err(e) => panic!("the benchmark image must verify: {e}"),
                    }
                });
            });
            g.bench_function("sha256", |b| b.iter(|| black_box(sha2::Sha256::digest(black_box(&image)))));
            g.finish();
        });
    }
}
