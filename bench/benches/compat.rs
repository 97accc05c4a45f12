//! The compatibility check on typical descriptors: what libvirt runs in
//! the migration handshake and the UI in the browser, and what the
//! verifier runs on every header. No peer does this; the figures stand
//! alone.
// Benchmark code, like test code: a fixture that does not verify must stop
// the run loudly rather than time an error path.
#![allow(clippy::panic, clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use migseal_bench::comparisons::COMPAT;
use migseal_bench::fixtures::{
    VFIO_AP_DEVICE, VIRTIO_NET_DEVICE, source_descriptor, vfio_ap_source, virtio_bound_spec,
};
use migseal_bench::harness::Run;
use migseal_format::envelope::Descriptor;
use migseal_verifier::compat;

fn decode(bytes: &[u8]) -> Descriptor<'_> {
    match Descriptor::decode(bytes) {
        Ok(d) => d,
        Err(e) => panic!("benchmark descriptor must decode: {e}"),
    }
}

pub fn bench(run: &mut Run) {
    let ids: Vec<String> = COMPAT.iter().map(|(g, b, _)| format!("{g}/{b}")).collect();
    if !run.wants(&ids) {
        return;
    }
    let vnet_src = source_descriptor(&virtio_bound_spec());
    let ap_src = vfio_ap_source();
    let (vnet_s, vnet_d) = (decode(&vnet_src), decode(VIRTIO_NET_DEVICE));
    let (ap_s, ap_d) = (decode(&ap_src), decode(VFIO_AP_DEVICE));
    for (s, d) in [(&vnet_s, &vnet_d), (&ap_s, &ap_d)] {
        assert!(compat::check(s, d).first().is_none(), "benchmark descriptors must be compatible");
    }

    let mut g = run.small("compat");
    g.bench_function("check-virtio-net", |b| {
        b.iter(|| black_box(compat::check(black_box(&vnet_s), black_box(&vnet_d)).first().is_none()));
    });
    g.bench_function("check-vfio-ap", |b| {
        b.iter(|| black_box(compat::check(black_box(&ap_s), black_box(&ap_d)).first().is_none()));
    });
    g.bench_function("decode+check-virtio-net", |b| {
        b.iter(|| {
            let s = decode(black_box(&vnet_src));
            let d = decode(black_box(VIRTIO_NET_DEVICE));
            black_box(compat::check(&s, &d).first().is_none())
        });
    });
    g.finish();
}
