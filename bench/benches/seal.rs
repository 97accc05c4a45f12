//! Sealing throughput (Sealer: chunk heads, chunk hashing, the chain and
//! the signature) against raw SHA-256 over the same payload.
// Benchmark code, like test code: a fixture that does not verify must stop
// the run loudly rather than time an error path.
#![allow(clippy::panic, clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use migseal_bench::comparisons::SEAL;
use migseal_bench::fixtures::mtty2_spec;
use migseal_bench::harness::{Run, ids_of};
use migseal_format::envelope::MAX_HEADER_LEN;
use migseal_testkit::samples::{filler, test_key};
use migseal_verifier::{Dalek, Sealer};
use sha2::Digest;

const CHUNK: usize = 1 << 20;

pub fn bench(run: &mut Run) {
    if !run.wants(&ids_of(SEAL)) {
        return;
    }
    let total = usize::try_from(run.mode.image_bytes()).unwrap_or(usize::MAX);
    // One payload in memory, sealed in 1 MiB chunks; the output is the
    // heads and the seal (the caller writes the chunk bytes itself).
    let mut payload = filler("migseal-bench seal", CHUNK);
    payload.resize(total, 0xa5);
    let key = test_key("linux");
    let spec = mtty2_spec();
    let mut g = run.large(SEAL[0].group, u64::try_from(total).unwrap_or(u64::MAX));
    g.bench_function("migseal", |b| {
        b.iter(|| {
            spec.with_header(key.key_id(&Dalek), |header| {
                let mut head = [0u8; MAX_HEADER_LEN];
                let (mut sealer, n) = match Sealer::new(key.clone(), Dalek, header, &mut head) {
                    Ok(s) => s,
                    Err(e) => panic!("sealer: {e}"),
                };
                black_box(n);
                for chunk in black_box(&payload).chunks(CHUNK) {
                    match sealer.chunk(chunk) {
                        Ok(h) => black_box(h.as_bytes().len()),
                        Err(e) => panic!("chunk: {e}"),
                    };
                }
                match sealer.finish() {
                    Ok(seal) => black_box(seal),
                    Err(e) => panic!("seal: {e}"),
                }
            })
        });
    });
    g.bench_function("sha256", |b| b.iter(|| black_box(sha2::Sha256::digest(black_box(&payload)))));
    g.finish();
}
