//! # migseal
//!
//! The userspace Rust API of migseal: sealed, canonical migration envelopes
//! for assigned devices (VFIO mediated devices, vendor variant drivers,
//! vfio-ccw / vfio-ap shell devices). A source seals its device state into
//! an image (a header, chunk records, an Ed25519 seal); the destination
//! verifies the image against its policy (whom it trusts for what) and its
//! own device descriptor before any payload byte reaches a state parser.
//!
//! ## Verify an image from a file, in constant memory
//!
//! [`verify_reader`] reads any [`std::io::Read`] through one fixed buffer
//! and writes the payload to any [`std::io::Write`] as it passes. Those
//! bytes are verified only when it returns `Ok`: stage them, and use them
//! only then.
//!
//! ```
//! use migseal::{Descriptor, PolicyFile, descriptor_cbor, verify_reader};
//!
//! fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/spec/vectors");
//!     // The policy: JSON text, keys checked and prepared once.
//!     let policy = PolicyFile::from_json(&std::fs::read_to_string(format!("{dir}/policies/default.json"))?)?
//!         .to_policy()?;
//!     // The destination device: canonical CBOR or its JSON form.
//!     let device_bytes = descriptor_cbor(&std::fs::read(format!("{dir}/devices/mtty-2.cbor"))?)?;
//!     let device = Descriptor::decode(&device_bytes)?;
//!
//!     let image = std::fs::File::open(format!("{dir}/images/mtty-2-single-chunk.migseal"))?;
//!     let mut staged = Vec::new(); // or a temporary file, renamed on success
//!     let verified = verify_reader(image, &policy, &device, &mut staged)?;
//!
//!     // Only now may `staged` reach the device's state parser.
//!     assert_eq!(verified.payload_len(), staged.len() as u64);
//!     println!("{} / {}: codec {}, security version {}",
//!         verified.vendor(), verified.device_type(), verified.codec(), verified.security_version());
//!     Ok(())
//! }
//! ```
//!
//! A refusal is a [`VerifyError::Refused`] carrying the verifier's
//! [`Error`]: a stable code (spec §9), a name, an errno, the byte offset
//! and a message that says what to do:
//!
//! ```
//! use migseal::{Descriptor, PolicyFile, VerifyError, verify_reader};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/spec/vectors");
//! # let policy = PolicyFile::from_json(&std::fs::read_to_string(format!("{dir}/policies/default.json"))?)?.to_policy()?;
//! # let device_bytes = std::fs::read(format!("{dir}/devices/mtty-2.cbor"))?;
//! # let device = Descriptor::decode(&device_bytes)?;
//! let image = std::fs::File::open(format!("{dir}/images/cross-vendor.migseal"))?;
//! match verify_reader(image, &policy, &device, std::io::sink()) {
//!     Err(VerifyError::Refused(e)) => {
//!         assert_eq!((e.code(), e.name()), (500, "vendor-mismatch"));
//!         println!("refused: {e}");
//!     }
//!     other => panic!("expected a refusal, got {other:?}"),
//! }
//! # Ok(())
//! # }
//! ```
//!
//! ## Verify a whole image in memory
//!
//! [`verify_image`] takes the image as one slice and hands back the
//! verified payload's chunks, borrowed from it:
//!
//! ```
//! use migseal::{Descriptor, PolicyFile, verify_image};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/spec/vectors");
//! let policy = PolicyFile::from_json(&std::fs::read_to_string(format!("{dir}/policies/default.json"))?)?
//!     .to_policy()?;
//! let device_bytes = std::fs::read(format!("{dir}/devices/mtty-2.cbor"))?;
//! let device = Descriptor::decode(&device_bytes)?;
//! let image = std::fs::read(format!("{dir}/images/mtty-2-six-chunks.migseal"))?;
//!
//! let verified = verify_image(&image, &policy, &device)?;
//! let payload: Vec<u8> = verified.chunks().flatten().copied().collect();
//! assert_eq!(payload.len() as u64, verified.payload_len());
//! println!("codec {}, {} chunks", verified.header().codec, verified.chunk_count());
//! # Ok(())
//! # }
//! ```
//!
//! ## Where things are
//!
//! - [`verifier`] (`no_std`, no allocation, no panics): [`Policy`] (owned;
//!   trust store, revocations, minimum security versions, session and
//!   subject binding, limits), the streaming [`Verifier`], [`verify_image`],
//!   the [`Sealer`] with its [`SealingKey`], [`compat::check`].
//! - [`mod@format`] (`no_std`): canonical CBOR and the v1 envelope:
//!   [`Descriptor`], [`Header`].
//! - [`policy_file`]: the human-editable JSON policy ([`PolicyFile`]).
//! - [`descriptor_json`]: the JSON form of a device descriptor;
//!   [`descriptor_cbor`] reads either form.
//! - [`read`]: [`verify_reader`] and its owned [`Verified`] / [`VerifyError`].
//! - [`report_json`]: JSON shapes shared by the CLI and the WASM package.
#![forbid(unsafe_code)]

#[doc(inline)]
pub use migseal_format as format;
#[doc(inline)]
pub use migseal_verifier as verifier;

pub mod descriptor_json;
pub mod policy_file;
pub mod read;
pub mod report_json;

#[doc(inline)]
pub use descriptor_json::{DescriptorFileError, descriptor_cbor};
#[doc(inline)]
pub use migseal_format::envelope::{Descriptor, Header};
#[doc(inline)]
pub use migseal_verifier::{
    Dalek, Error, Policy, Sealer, SealingKey, Verdict, VerifiedImage, Verifier, compat, verify_image,
};
#[doc(inline)]
pub use policy_file::{PolicyFile, PolicyFileError};
#[doc(inline)]
pub use read::{Verified, VerifyError, verify_reader};
