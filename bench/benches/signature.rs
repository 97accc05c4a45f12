//! The signature step: Verifier::finish on a verifier that has taken a
//! whole image (S canonical check, Sig_structure, verify_strict with the
//! key the trust store decoded once, verdict) against raw ed25519-dalek verify_strict over
//! the same Sig_structure, with the key decoded beforehand and without.
// Benchmark code, like test code: a fixture that does not verify must stop
// the run loudly rather than time an error path.
#![allow(clippy::panic, clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use criterion::BatchSize;
use ed25519_dalek::{Signature, VerifyingKey};
use migseal_bench::comparisons::SIGNATURE;
use migseal_bench::fixtures::{DEFAULT_POLICY, MTTY2_DEVICE, empty_image, mtty2_spec, with_policy};
use migseal_bench::harness::{Run, ids_of};
use migseal_format::envelope::{SEAL_RECORD_LEN, Seal};
use migseal_testkit::samples::test_key;
use migseal_verifier::{Verifier, verify_image};

pub fn bench(run: &mut Run) {
    if !run.wants(&ids_of(SIGNATURE)) {
        return;
    }
    let image = empty_image(&mtty2_spec(), "linux");
    let public = test_key("linux").public_key();
    with_policy(DEFAULT_POLICY, MTTY2_DEVICE, |policy, device| {
        // The exact bytes the seal signs, from the image itself.
        let digest = match verify_image(&image, policy, device) {
            Ok(v) => *v.image_digest(),
            Err(e) => panic!("the benchmark image must verify: {e}"),
        };
        let seal_record = image.get(image.len().saturating_sub(SEAL_RECORD_LEN)..).unwrap_or(&[]);
        let (tbs, signature) = match Seal::decode_record(seal_record, 0) {
            Ok(seal) => (Seal::to_be_signed(&seal.key_id, &digest), Signature::from_bytes(&seal.signature)),
            Err(e) => panic!("the benchmark seal must decode: {e}"),
        };
        let key = match VerifyingKey::from_bytes(&public) {
            Ok(k) => k,
            Err(e) => panic!("test key: {e}"),
        };

        let mut g = run.small(SIGNATURE[0].group);
        g.bench_function("migseal", |b| {
            b.iter_batched(
                || {
                    let mut v = Verifier::default();
                    if let Err(e) = v.feed(policy, device, &image, |_| {}) {
                        panic!("the benchmark image must verify: {e}");
                    }
                    v
                },
                |mut v| match v.finish() {
                    Ok(verdict) => black_box(verdict.payload_len()),
                    Err(e) => panic!("the benchmark image must verify: {e}"),
                },
                BatchSize::SmallInput,
            );
        });
        g.bench_function("verify-strict", |b| {
            b.iter(|| black_box(key.verify_strict(black_box(&tbs), black_box(&signature)).is_ok()));
        });
        g.bench_function("decode-key+verify-strict", |b| {
            b.iter(|| {
                let ok = VerifyingKey::from_bytes(black_box(&public))
                    .is_ok_and(|k| k.verify_strict(black_box(&tbs), &signature).is_ok());
                black_box(ok)
            });
        });
        g.finish();
    });
}
