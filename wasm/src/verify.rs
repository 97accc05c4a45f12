//! `verify`: a whole image in memory against a policy and the destination
//! device, and the verdict object both it and the streaming verifier
//! return (the shape of `migseal verify --json`).

use migseal::report_json::header_json;
use migseal_format::envelope::{Digest, Header};
use serde_json::{Value, json};
#[cfg(feature = "wasm-crypto")]
use {
    crate::error::{Failure, Input},
    migseal::policy_file::PolicyFile,
    migseal_format::cbor::len_u64,
    migseal_format::envelope::Descriptor,
    migseal_verifier::verify_image,
};

/// The verdict object for an image that verified.
#[must_use]
pub fn verdict_json(
    header: &Header<'_>,
    chunk_count: u64,
    payload_len: u64,
    image_len: u64,
    image_digest: &Digest,
) -> Value {
    json!({
        "verdict": "verified",
        "header": header_json(header),
        "chunk_count": chunk_count,
        "payload_len": payload_len,
        "image_len": image_len,
        "image_digest": hex::encode(image_digest),
    })
}

/// Verifies `image` for the destination `device` (canonical CBOR) under
/// `policy`.
///
/// # Errors
///
/// The policy's refusal (an invalid entry, a weak key: 409), the device's
/// (a descriptor that does not decode), or the verifier's refusal of the
/// image with its stable code and offset.
#[cfg(feature = "wasm-crypto")]
pub fn verify(image: &[u8], policy: &PolicyFile, device: &[u8]) -> Result<Value, Failure> {
    let device = Descriptor::decode(device).map_err(|e| Failure::format(Input::Device, &e))?;
    policy
        .with_policy(|p| {
            let v = verify_image(image, p, &device).map_err(|e| Failure::verifier(Input::Image, &e, None))?;
            Ok(verdict_json(
                v.header(),
                v.chunk_count(),
                v.payload_len(),
                len_u64(image.len()),
                v.image_digest(),
            ))
        })
        .map_err(|e| Failure::policy(&e))?
}

#[cfg(all(test, feature = "wasm-crypto"))]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::arithmetic_side_effects)]
mod tests {
    use super::*;
    use crate::fixtures::*;

    fn policy(text: &str) -> PolicyFile {
        PolicyFile::from_json(text).unwrap()
    }

    #[test]
    fn a_good_image_gives_the_verdict() {
        let v = verify(MTTY2_SIX_CHUNKS, &policy(DEFAULT_POLICY), MTTY2_DEVICE).unwrap();
        assert_eq!(v["verdict"], "verified");
        // 16-byte chunks.
        let payload = v["payload_len"].as_u64().unwrap();
        assert_eq!(v["chunk_count"].as_u64().unwrap(), payload.div_ceil(16));
        assert_eq!(v["image_len"], MTTY2_SIX_CHUNKS.len());
        assert_eq!(v["header"]["vendor"], "linux");
        assert_eq!(v["image_digest"].as_str().unwrap().len(), 64);
        // The same state in one chunk is a different image.
        let one = verify(MTTY2_IMAGE, &policy(DEFAULT_POLICY), MTTY2_DEVICE).unwrap();
        assert_eq!(one["payload_len"], v["payload_len"]);
        assert_ne!(one["image_digest"], v["image_digest"]);
    }

    #[test]
    fn refusals_carry_the_stable_code_and_offset() {
        let f = verify(CROSS_VENDOR, &policy(DEFAULT_POLICY), MTTY2_DEVICE).unwrap_err();
        assert_eq!((f.input, f.code, f.name), (Input::Image, Some(500), Some("vendor-mismatch")));
        assert!(f.message.starts_with("error 500 (vendor-mismatch) at byte 0: "), "{}", f.message);
        let f = verify(TAMPERED, &policy(DEFAULT_POLICY), MTTY2_DEVICE).unwrap_err();
        assert_eq!(f.code, Some(600));
        assert!(f.offset.unwrap() > 0);
    }

    #[test]
    fn a_weak_key_in_the_policy_is_the_policys_fault() {
        let f = verify(MTTY2_IMAGE, &policy(WEAK_KEY_POLICY), MTTY2_DEVICE).unwrap_err();
        assert_eq!((f.input, f.code), (Input::Policy, Some(409)));
        assert!(f.message.starts_with("policy: trusted[0]: "), "{}", f.message);
    }

    #[test]
    fn a_broken_device_is_the_devices_fault() {
        let f = verify(MTTY2_IMAGE, &policy(DEFAULT_POLICY), &MTTY2_DEVICE[1..]).unwrap_err();
        assert_eq!(f.input, Input::Device);
        assert!(f.code.is_some());
    }
}
