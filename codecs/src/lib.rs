//! # migseal-codecs
//!
//! Reference vendor state codecs: real device state formats, byte-exact,
//! with every invariant checked — the model for a vendor plugging its own
//! format into migseal. `no_std`, no allocation by default, no panics.
//!
//! | codec | identity (vendor / device API / types / version) | format |
//! |---|---|---|
//! | [`mtty::Mtty`] | `linux` / `vfio-pci` / `mtty-1`, `mtty-2` / 1.0 | `struct mtty_data` of `samples/vfio-mdev/mtty.c`, x86_64 layout |
//! | [`virtio::VirtioDevParts`] | `virtio` / `vfio-pci` / `virtio-net` / 1.0 | VIRTIO device parts in the records of the Linux virtio VFIO driver |
//! | [`vfio_ap::VfioApMatrix`] | `ibm` / `vfio-ap` / `vfio_ap-passthrough` / 1.0 | the AP matrix (APM, AQM, ADM), also the shell-device config |
//!
//! Decoding takes a [`VerifiedPayload`](migseal_verifier::VerifiedPayload):
//! the verifier hands one out only after the whole image verified, so a
//! state parser never sees unverified bytes unless the caller wrote
//! `unverified_less_safe`. [`Registry::decode`] dispatches on the verified
//! identity; [`Registry::encode`] writes a decoded state back, byte for
//! byte (`encode(decode(x)) == x` for every valid `x`).
//!
//! ```
//! use migseal_codecs::{Decoded, Registry, mtty::{MttyState, SerialPort}};
//! use migseal_verifier::{ImageIdentity, VerifiedPayload};
//!
//! let state = MttyState::one(SerialPort::reset());
//! let mut bytes = [0u8; 60];
//! state.encode_bytes(&mut bytes)?;
//! let id = ImageIdentity {
//!     vendor: "linux", device_api: "vfio-pci", device_type: "mtty-1", codec: "mtty",
//!     state_version: (1, 0),
//! };
//! // In production the payload comes from the verifier; a test wraps bytes.
//! let decoded = Registry::decode(VerifiedPayload::unverified_less_safe(&bytes, id))?;
//! assert_eq!(decoded, Decoded::Mtty(state));
//! # Ok::<(), migseal_codecs::Error>(())
//! ```
//!
//! Errors have stable codes 700–799 ([`ErrorCode`]), the byte offset in
//! the payload and the field; `spec/codecs.md` documents each.
#![no_std]
#![forbid(unsafe_code)]

#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(any(test, feature = "std"))]
extern crate std;

mod codec;
#[cfg(feature = "json")]
pub mod describe;
mod error;
pub mod mtty;
mod registry;
pub mod vfio_ap;
pub mod virtio;
mod wire;

pub use codec::{Codec, Handles};
pub use error::{Detail, Error, ErrorCode, Result};
pub use registry::{CodecId, Decoded, Registry};
