//! # migseal-verifier
//!
//! The security core of migseal: the piece a vendor driver calls before its
//! device takes any state. `no_std`, no allocation, no panics.
//!
//! The data flow, one module a step: bytes → the format crate's canonical
//! reader and records → [`framing`] (order, sequence numbers, limits,
//! offsets; trust-free) → [`chain`] (the digests) → the trust gate
//! (compatibility, policy, signature) → [`Verdict`].
//!
//! - [`compat::check`] — the one compatibility function (handshake, UI,
//!   restore time).
//! - [`Policy`] with its [`TrustStore`] — whom to trust for what, what is
//!   revoked, minimum security versions, session and subject binding, size
//!   limits. Owned, fixed capacity; keys are prepared once, when added.
//! - [`Verifier`] — the streaming verifier: fragments of any size in,
//!   payload positions out, [`Verifier::finish`] the only success. It
//!   borrows the policy and device per call, never for its life.
//! - [`verify_image`] — the same for an image in memory.
//! - [`DeferredVerifier`] — the same with chunk digests computed elsewhere
//!   (worker threads, WebCrypto), pushed back in order.
//! - [`Inspector`] — the framing walk and digests without trust, for tools.
//! - [`Sealer`] with [`SealingKey`] — the source side.
//! - [`Crypto`] — the seam for the host's SHA-256 and Ed25519.
#![no_std]
#![forbid(unsafe_code)]

#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(any(test, feature = "std"))]
extern crate std;

pub mod chain;
pub mod compat;
mod crypto;
mod dalek;
mod deferred;
mod error;
pub mod framing;
mod gate;
mod image;
mod inspect;
mod name;
#[cfg(feature = "std")]
mod parallel;
mod policy;
mod sealer;
mod sealing_key;
mod stream;
mod trust;
mod verdict;
pub mod webcrypto_checks;

pub use crypto::{
    Crypto, CryptoFailure, PUBLIC_KEY_LEN, PublicKey, Sha256, signature_s_is_canonical,
    verify_with_public_key,
};
pub use dalek::{Dalek, DalekKey, DalekSha256};
pub use deferred::{DeferredEvent, DeferredStep, DeferredVerifier};
pub use error::{CodeInfo, Error, ErrorKind, Result};
pub use framing::PayloadPiece;
pub use image::{Chunks, VerifiedImage, verify_image, verify_image_with};
pub use inspect::{Facts, Inspector};
pub use name::{KeyIdHex, NAME_CAPACITY, Name};
#[cfg(feature = "std")]
pub use parallel::{verify_image_in_runs, verify_image_parallel, verify_image_parallel_with};
pub use policy::{Limits, MAX_MIN_SECURITY, Policy};
pub use sealer::{ChunkHeadBytes, Sealer};
pub use sealing_key::{SealingKey, key_id};
pub use stream::{Advance, Verifier};
pub use trust::{MAX_KEY_TYPES, MAX_REVOKED, MAX_TRUSTED_KEYS, TrustStore, TrustedKey};
pub use verdict::{ImageIdentity, Verdict, VerifiedPayload};
