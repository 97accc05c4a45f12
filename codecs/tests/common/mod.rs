//! Shared helpers for the codec tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use migseal_codecs::{Decoded, Error, ErrorCode, Registry};
use migseal_verifier::{ImageIdentity, VerifiedPayload};

/// The identity of a built-in codec for `device_type`.
pub fn identity(device_type: &str) -> ImageIdentity<'_> {
    let (vendor, device_api, codec) = match device_type {
        "mtty-1" | "mtty-2" => ("linux", "vfio-pci", "mtty"),
        "virtio-net" => ("virtio", "vfio-pci", "virtio-dev-parts"),
        "vfio_ap-passthrough" => ("ibm", "vfio-ap", "vfio-ap-matrix"),
        other => panic!("no test identity for {other}"),
    };
    ImageIdentity { vendor, device_api, device_type, codec, state_version: (1, 0) }
}

/// Decodes test bytes (not verified: tests only).
pub fn decode<'a>(device_type: &'a str, bytes: &'a [u8]) -> Result<Decoded<'a>, Error> {
    Registry::decode(VerifiedPayload::unverified_less_safe(bytes, identity(device_type)))
}

/// Asserts a decode fails with `code` at `offset`.
pub fn refuses(device_type: &str, bytes: &[u8], code: ErrorCode, offset: u64) -> Error {
    let e = decode(device_type, bytes).expect_err("must be refused");
    assert_eq!((e.code(), e.offset()), (code, offset), "{e}");
    e
}

/// decode → encode gives the same bytes.
pub fn round_trips(device_type: &str, bytes: &[u8]) {
    let d = decode(device_type, bytes).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(Registry::encoded_len(&d), bytes.len());
    assert_eq!(Registry::encode_to_vec(&d).unwrap(), bytes);
}
