//! Dispatch by identity: a payload only reaches the codec its verified
//! header names.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::as_conversions
)]

mod common;

use migseal_codecs::mtty::{MttyState, SerialPort};
use migseal_codecs::{CodecId, Decoded, ErrorCode, Registry};
use migseal_verifier::{ImageIdentity, VerifiedPayload};

fn mtty1_bytes() -> Vec<u8> {
    let mut b = vec![0u8; 60];
    MttyState::one(SerialPort::reset()).encode_bytes(&mut b).unwrap();
    b
}

#[test]
fn each_identity_reaches_its_codec() {
    for (ty, id) in [
        ("mtty-1", CodecId::Mtty),
        ("virtio-net", CodecId::VirtioDevParts),
        ("vfio_ap-passthrough", CodecId::VfioApMatrix),
    ] {
        assert_eq!(Registry::find(&common::identity(ty)).unwrap(), id);
        assert!(id.handles().device_types.contains(&ty));
    }
    let b = mtty1_bytes();
    let d = common::decode("mtty-1", &b).unwrap();
    assert_eq!(d.codec(), CodecId::Mtty);
}

#[test]
fn a_payload_of_another_vendor_never_reaches_a_decoder() {
    let b = mtty1_bytes();
    let nv = ImageIdentity {
        vendor: "nvidia",
        device_api: "vfio-pci",
        device_type: "mtty-1",
        codec: "mtty",
        state_version: (1, 0),
    };
    let e = Registry::decode(VerifiedPayload::unverified_less_safe(&b, nv)).unwrap_err();
    assert_eq!(e.code(), ErrorCode::NoCodec);
    // mtty bytes under the virtio identity go to the virtio codec, which refuses them.
    let e = common::decode("virtio-net", &b).unwrap_err();
    assert_ne!(e.code(), ErrorCode::NoCodec);
    // A codec name no one registered.
    let mut id = common::identity("mtty-1");
    id.codec = "mtty-raw";
    assert_eq!(
        Registry::decode(VerifiedPayload::unverified_less_safe(&b, id)).unwrap_err().code(),
        ErrorCode::NoCodec
    );
    // A type the codec does not handle: its codec says so precisely.
    let mut id = common::identity("mtty-1");
    id.device_type = "mdpy";
    let e = Registry::decode(VerifiedPayload::unverified_less_safe(&b, id)).unwrap_err();
    assert_eq!((e.code(), e.field()), (ErrorCode::UnsupportedIdentity, "identity.device_type"));
}

#[test]
fn encode_gives_back_the_bytes_and_checks_the_buffer() {
    let b = mtty1_bytes();
    let d = common::decode("mtty-1", &b).unwrap();
    let mut out = vec![0u8; Registry::encoded_len(&d)];
    assert_eq!(Registry::encode(&d, &mut out).unwrap(), 60);
    assert_eq!(out, b);
    assert_eq!(Registry::encode(&d, &mut out[..59]).unwrap_err().code(), ErrorCode::BufferTooSmall);
    assert!(matches!(d, Decoded::Mtty(_)));
}

#[test]
fn spec_codecs_md_documents_every_code_with_its_name_and_errno() {
    let spec = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../spec/codecs.md")).unwrap();
    for c in ErrorCode::ALL {
        let row = spec
            .lines()
            .find(|l| l.starts_with(&format!("| {} | `{}` |", c.code(), c.name())))
            .unwrap_or_else(|| panic!("spec/codecs.md has no row for {} {}", c.code(), c.name()));
        assert!(row.trim_end().ends_with(&format!(" {} |", c.errno())), "errno of {}: {row}", c.code());
    }
}
