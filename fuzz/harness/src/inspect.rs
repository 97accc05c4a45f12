//! `inspect_equals_verify`: for any bytes, inspection's first refusal is
//! the verifier's (`migseal_testkit::oracles::inspect_agrees`). Input
//! layout: as `stream_fragments` (selector, fragment sizes, image).

use crate::stream;

/// `inspect_equals_verify`.
///
/// # Panics
///
/// When inspection and verification disagree.
pub fn check(data: &[u8]) {
    let Some((setup, sizes, image)) = stream::parse(data) else { return };
    if let Err(e) = migseal_testkit::oracles::inspect_agrees(image, &setup.policy, &setup.device, sizes) {
        panic!("inspect and verify disagree ({}, {}): {e}", setup.names.0, setup.names.1);
    }
}
