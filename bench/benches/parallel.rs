//! Parallel chunk verification (verify_image_parallel, threads = cores)
//! against the single-threaded path (verify_image) on the same image. The
//! format hashes chunks independently and chains only their digests, so
//! the hashing splits across threads without changing a byte.
//!
//! The same group measures raw SHA-256 split over the same threads against
//! one thread: how far this machine's cores scale at all, the limit the
//! parallel verifier is judged against in the report.
// Benchmark code, like test code: a fixture that does not verify must stop
// the run loudly rather than time an error path.
#![allow(clippy::panic, clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::num::NonZeroUsize;

use migseal_bench::comparisons::PARALLEL;
use migseal_bench::fixtures::{DEFAULT_POLICY, MTTY2_DEVICE, mtty2_image, with_policy};
use migseal_bench::harness::{Run, ids_of};
use migseal_verifier::{verify_image, verify_image_parallel};
use sha2::Digest;

pub fn bench(run: &mut Run) {
    if !run.wants(&ids_of(PARALLEL)) {
        return;
    }
    let threads = std::thread::available_parallelism().unwrap_or(NonZeroUsize::MIN);
    println!("parallel: {threads} threads");
    let total = usize::try_from(run.mode.image_bytes()).unwrap_or(usize::MAX);
    let image = mtty2_image(total, 1 << 20);
    let bytes = u64::try_from(image.len()).unwrap_or(u64::MAX);
    with_policy(DEFAULT_POLICY, MTTY2_DEVICE, |policy, device| {
        let mut g = run.large(PARALLEL[0].group, bytes);
        g.bench_function("single-thread", |b| {
            b.iter(|| match verify_image(black_box(&image), policy, device) {
                Ok(v) => black_box(*v.image_digest()),
                Err(e) => panic!("the benchmark image must verify: {e}"),
            });
        });
        g.bench_function("parallel", |b| {
            b.iter(|| match verify_image_parallel(black_box(&image), policy, device, threads) {
                Ok(v) => black_box(*v.image_digest()),
                Err(e) => panic!("the benchmark image must verify: {e}"),
            });
        });
        g.bench_function("sha256-1-thread", |b| {
            b.iter(|| black_box(sha2::Sha256::digest(black_box(&image))))
        });
        g.bench_function("sha256-threads", |b| {
            let per_thread = image.len().div_ceil(threads.get());
            b.iter(|| {
                std::thread::scope(|s| {
                    let parts: Vec<_> = image
                        .chunks(per_thread)
                        .map(|part| s.spawn(move || sha2::Sha256::digest(black_box(part))))
                        .collect();
                    for p in parts {
                        match p.join() {
                            Ok(d) => {
                                black_box(d);
                            }
                            Err(_) => panic!("a hashing thread panicked"),
                        }
                    }
                });
            });
        });
        g.finish();
    });
}
