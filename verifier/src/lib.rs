//! # migseal-verifier
//!
//! The security core of migseal: the piece a vendor driver calls before its
//! device takes any state. `no_std`, no allocation, no panics.
//!
//! - [`compat::check`] — the one compatibility function (handshake, UI,
//!   restore time).
//! - [`Policy`] and [`TrustedKey`] — whom to trust for which vendor, what
//!   is revoked, minimum security versions, session and subject binding,
//!   size limits.
//! - [`Verifier`] — the streaming verifier: fragments of any size in,
//!   payload positions out, [`Verifier::finish`] the only success.
//! - [`verify_image`] — the same for an image in memory.
//! - [`Sealer`] with [`SealingKey`] — the source side.
//! - [`Crypto`] — the seam for the host's SHA-256 and Ed25519.
#![no_std]
#![forbid(unsafe_code)]

#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(any(test, feature = "std"))]
extern crate std;

pub mod compat;
mod crypto;
mod error;
mod image;
mod keys;
mod name;
#[cfg(feature = "std")]
mod parallel;
mod policy;
mod sealer;
mod stream;
mod verdict;

pub use crypto::{Crypto, CryptoFailure, Dalek, DalekSha256, Sha256, signature_s_is_canonical};
pub use error::{Error, ErrorKind, Result};
pub use image::{Chunks, VerifiedImage, verify_image, verify_image_with};
pub use keys::{SealingKey, TrustedKey, key_id};
pub use name::{KeyIdHex, NAME_CAPACITY, Name};
#[cfg(feature = "std")]
pub use parallel::verify_image_parallel;
pub use policy::{Limits, MinSecurity, Policy};
pub use sealer::{ChunkHeadBytes, Sealer};
pub use stream::{Advance, PayloadPiece, Verifier};
pub use verdict::{ImageIdentity, Verdict, VerifiedPayload};
