//! Valid images: each verifies.

use super::fixtures::Fixtures;
use super::{Expect, VectorSet};
use crate::samples::seal_image;

/// Adds this group.
#[allow(clippy::too_many_lines)]
pub(super) fn add(set: &mut VectorSet, f: &Fixtures) {
    let Fixtures {
        linux,
        linux_mtty1,
        virtio,
        ibm,
        nvidia,
        mtty2,
        mtty1,
        vnet,
        ap,
        nv,
        payload_mtty1,
        payload_vnet,
        payload_ap,
        payload_nv,
        mtty2_image,
        mtty2_chunked,
        vnet_bound,
        ..
    } = f;
    // Valid images.
    set.image(
        "mtty-2-single-chunk",
        mtty2_image.clone(),
        "mtty-2",
        "default",
        Expect::Ok,
        "mtty-2 state in one chunk",
    );
    set.image(
        "mtty-2-six-chunks",
        mtty2_chunked.clone(),
        "mtty-2",
        "default",
        Expect::Ok,
        "the same state in 16-byte chunks",
    );
    set.image(
        "mtty-1-multi-chunk",
        seal_image(mtty1, linux, payload_mtty1, 7),
        "mtty-1",
        "default",
        Expect::Ok,
        "mtty-1 state in 9 chunks, the last shorter",
    );
    set.image(
        "mtty-1-scoped-key",
        seal_image(mtty1, linux_mtty1, payload_mtty1, 4096),
        "mtty-1",
        "default",
        Expect::Ok,
        "sealed by a key trusted for mtty-1 only",
    );
    set.image(
        "virtio-net-features",
        seal_image(vnet, virtio, payload_vnet, 256),
        "virtio-net",
        "default",
        Expect::Ok,
        "features are a subset of the destination's; versions 1.0 within 1.0..=1.3",
    );
    let vnet_bound_image = seal_image(vnet_bound, virtio, payload_vnet, 512);
    set.image(
        "virtio-net-session-subject",
        vnet_bound_image.clone(),
        "virtio-net",
        "session",
        Expect::Ok,
        "bound to the session nonce and the VM the policy requires",
    );
    set.image(
        "vfio-ap-config",
        seal_image(ap, ibm, payload_ap, 4096),
        "vfio-ap",
        "default",
        Expect::Ok,
        "shell device whose matrix configuration matches byte for byte",
    );
    set.image(
        "mtty-2-empty-payload",
        seal_image(mtty2, linux, &[], 16),
        "mtty-2",
        "default",
        Expect::Ok,
        "no chunk at all: header then seal",
    );
    set.image(
        "nvidia-own-device",
        seal_image(nv, nvidia, payload_nv, 128),
        "nvidia-35",
        "default",
        Expect::Ok,
        "an nvidia image on an nvidia device",
    );
}
