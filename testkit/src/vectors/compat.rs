//! Compatibility refusals (5xx): each image is fine but for another device.

use super::fixtures::Fixtures;
use super::{VectorSet, err};
use crate::samples::{seal_image, states};

/// Adds this group.
#[allow(clippy::too_many_lines)]
pub(super) fn add(set: &mut VectorSet, f: &Fixtures) {
    let Fixtures {
        linux,
        virtio,
        ibm,
        nvidia,
        mtty2,
        mtty1,
        vnet,
        ap,
        nv,
        payload_mtty2,
        payload_mtty1,
        payload_vnet,
        payload_ap,
        payload_nv,
        ..
    } = f;
    // Compatibility refusals.
    set.image(
        "cross-vendor",
        seal_image(nv, nvidia, payload_nv, 128),
        "mtty-2",
        "default",
        err(500, "vendor-mismatch"),
        "an nvidia vGPU image pushed into an mtty device",
    );
    set.image(
        "wrong-device-type",
        seal_image(mtty1, linux, payload_mtty1, 4096),
        "mtty-2",
        "default",
        err(502, "device-type-mismatch"),
        "right vendor, wrong device type",
    );
    let mut v2 = mtty2.clone();
    v2.version = (2, 0);
    set.image(
        "version-out-of-range",
        seal_image(&v2, linux, payload_mtty2, 4096),
        "mtty-2",
        "default",
        err(503, "version-unsupported"),
        "state version 2.0, the device accepts 1.0",
    );
    let mut vnet_extra = vnet.clone();
    vnet_extra.features.push("VIRTIO_NET_F_RSS".into());
    set.image(
        "missing-feature",
        seal_image(&vnet_extra, virtio, payload_vnet, 256),
        "virtio-net",
        "default",
        err(504, "feature-missing"),
        "the state depends on a feature the destination lacks",
    );
    let mut ap_other = ap.clone();
    ap_other.config = Some(("vfio-ap-matrix".into(), states::ap_matrix_other().to_bytes().to_vec()));
    set.image(
        "config-mismatch",
        seal_image(&ap_other, ibm, payload_ap, 4096),
        "vfio-ap",
        "default",
        err(505, "config-mismatch"),
        "a shell device whose adapters/domains differ",
    );
    let mut other_codec = mtty2.clone();
    other_codec.codec = "mtty-raw".into();
    set.image(
        "codec-unsupported",
        seal_image(&other_codec, linux, payload_mtty2, 4096),
        "mtty-2",
        "default",
        err(506, "codec-unsupported"),
        "a codec the destination does not decode",
    );
}
