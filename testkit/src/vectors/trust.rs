//! Trust and policy refusals (4xx).

use super::fixtures::Fixtures;
use super::{VectorSet, err};
use crate::samples::seal_image;

/// Adds this group.
#[allow(clippy::too_many_lines)]
pub(super) fn add(set: &mut VectorSet, f: &Fixtures) {
    let Fixtures {
        linux,
        linux_mtty1,
        virtio,
        ibm,
        revoked,
        stranger,
        mtty2,
        vnet,
        payload_mtty2,
        payload_vnet,
        vnet_bound,
        ..
    } = f;
    // Trust and policy refusals.
    set.image(
        "untrusted-key",
        seal_image(mtty2, stranger, payload_mtty2, 4096),
        "mtty-2",
        "default",
        err(400, "untrusted-key"),
        "sealed by a key not in the trust store",
    );
    set.image(
        "key-of-other-vendor",
        seal_image(mtty2, ibm, payload_mtty2, 4096),
        "mtty-2",
        "default",
        err(401, "key-vendor-scope"),
        "a key trusted for ibm cannot authorize a linux image",
    );
    set.image(
        "key-of-other-type",
        seal_image(mtty2, linux_mtty1, payload_mtty2, 4096),
        "mtty-2",
        "default",
        err(402, "key-type-scope"),
        "a key trusted for mtty-1 only, on an mtty-2 image",
    );
    set.image(
        "revoked-key",
        seal_image(mtty2, revoked, payload_mtty2, 4096),
        "mtty-2",
        "default",
        err(403, "revoked-key"),
        "a key both trusted and revoked: revocation wins",
    );
    let mut old = mtty2.clone();
    old.security_version = 2;
    set.image(
        "rollback",
        seal_image(&old, linux, payload_mtty2, 4096),
        "mtty-2",
        "default",
        err(404, "security-version-too-low"),
        "security version 2, the policy requires 3 for mtty-2",
    );
    set.image(
        "session-missing",
        seal_image(vnet, virtio, payload_vnet, 256),
        "virtio-net",
        "session",
        err(405, "session-missing"),
        "the policy requires a session nonce, the image has none",
    );
    let mut replay = vnet_bound.clone();
    replay.session = Some(b"migration-0000\0\0".to_vec());
    set.image(
        "session-replay",
        seal_image(&replay, virtio, payload_vnet, 256),
        "virtio-net",
        "session",
        err(406, "session-mismatch"),
        "an image sealed for an earlier migration",
    );
    let mut no_subject = vnet_bound.clone();
    no_subject.subject = None;
    set.image(
        "subject-missing",
        seal_image(&no_subject, virtio, payload_vnet, 256),
        "virtio-net",
        "session",
        err(407, "subject-missing"),
        "the policy requires a subject, the image names none",
    );
    let mut other_vm = vnet_bound.clone();
    other_vm.subject = Some("vm-other-tenant".into());
    set.image(
        "subject-other-vm",
        seal_image(&other_vm, virtio, payload_vnet, 256),
        "virtio-net",
        "session",
        err(408, "subject-mismatch"),
        "another tenant's state restored into this VM",
    );
}
