//! Header and seal: migseal's canonical parsing of both records, the
//! compatibility check against the device, the policy checks (trust,
//! scope, revocation, rollback, session, subject) and the header hash,
//! with only the signature math left out — against coset parsing the same
//! COSE_Sign1 plus ciborium's serde decode of the same header into a
//! struct (which check none of that).
// Benchmark code, like test code: a fixture that does not verify must stop
// the run loudly rather than time an error path.
#![allow(clippy::panic, clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use migseal_bench::comparisons::{HEADER, HEADER_PARTS};
use migseal_bench::fixtures::{
    SESSION_POLICY, VIRTIO_NET_DEVICE, empty_image, virtio_bound_spec, with_policy_for,
};
use migseal_bench::harness::{Run, ids_of};
use migseal_bench::nosig::SignatureExcluded;
use migseal_bench::peers::{ciborium_header, coset_seal};
use migseal_format::cbor::skip_item;
use migseal_format::envelope::SEAL_RECORD_LEN;
use migseal_format::envelope::{DOMAIN_HEADER, Descriptor, Header, HeaderRecord, Seal};
use migseal_verifier::Verifier;
use migseal_verifier::{Crypto, Dalek, compat};

pub fn bench(run: &mut Run) {
    let mut ids = ids_of(HEADER);
    ids.extend(HEADER_PARTS.iter().map(|(b, _)| format!("header-parts/{b}")));
    if !run.wants(&ids) {
        return;
    }
    let image = empty_image(&virtio_bound_spec(), "virtio");
    let header_len = skip_item(&image, 0, &[]).unwrap_or(0);
    let header = image.get(..header_len).unwrap_or(&[]);
    let seal = image.get(image.len().saturating_sub(SEAL_RECORD_LEN)..).unwrap_or(&[]);
    println!("header: {} header bytes, {} seal bytes", header.len(), seal.len());
    with_policy_for(&SignatureExcluded, SESSION_POLICY, VIRTIO_NET_DEVICE, |policy, device| {
        let mut g = run.small(HEADER[0].group);
        g.bench_function("migseal", |b| {
            b.iter(|| {
                let mut v = Verifier::new(SignatureExcluded);
                let fed = v.feed(policy, device, black_box(&image), |_| {});
                match fed.and_then(|()| v.finish()) {
                    Ok(verdict) => black_box(verdict.header().security_version),
                    Err(e) => panic!("the benchmark image must pass: {e}"),
                }
            });
        });
        g.bench_function("coset-sign1", |b| {
            b.iter(|| match coset_seal(black_box(seal)) {
                Ok(s) => black_box(s.alg),
                Err(e) => panic!("coset must parse the seal: {e:?}"),
            });
        });
        g.bench_function("ciborium-serde-header", |b| {
            b.iter(|| match ciborium_header(black_box(header)) {
                Ok(h) => black_box(h.security_version),
                Err(e) => panic!("ciborium must decode the header: {e}"),
            });
        });
        g.finish();

        // Where migseal's time goes: each step of the header path alone.
        let mut g = run.small("header-parts");
        let parsed = match Header::decode_record(header, 0) {
            Ok(h) => h,
            Err(e) => panic!("the benchmark header must decode: {e}"),
        };
        g.bench_function("verifier-new", |b| {
            // The whole value through black_box, so its zeroing cannot be
            // optimised away.
            b.iter(|| black_box(Verifier::new(SignatureExcluded)));
        });
        g.bench_function("header-decode", |b| {
            b.iter(|| black_box(Header::decode_record(black_box(header), 0).is_ok()));
        });
        let mut held = HeaderRecord::new();
        held.gather(header, header.len());
        if let Err(e) = held.decode_prefix(0) {
            panic!("the benchmark header must decode: {e}");
        }
        g.bench_function("header-rebuild", |b| {
            b.iter(|| black_box(black_box(&held).header().map(|h| h.security_version)));
        });
        g.bench_function("compat-check", |b| {
            b.iter(|| black_box(compat::check(&Descriptor::from_header(black_box(&parsed)), device).first()));
        });
        g.bench_function("policy-check", |b| {
            b.iter(|| black_box(policy.check_header(black_box(&parsed)).is_ok()));
        });
        g.bench_function("header-hash", |b| {
            b.iter(|| black_box(Dalek.digest(&[DOMAIN_HEADER, black_box(header)])));
        });
        g.bench_function("seal-decode", |b| {
            b.iter(|| black_box(Seal::decode_record(black_box(seal), 0).is_ok()));
        });
        g.finish();
    });
}
