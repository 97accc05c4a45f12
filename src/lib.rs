//! # migseal
//!
//! The userspace Rust API of migseal: sealed, canonical migration envelopes
//! for assigned devices (VFIO mediated devices, vendor variant drivers,
//! vfio-ccw / vfio-ap shell devices).
//!
//! - [`mod@format`]: canonical CBOR and the v1 envelope (`no_std`).
//! - [`verifier`]: compatibility check, policy, streaming verifier, sealer
//!   (`no_std`).
//! - [`policy_file`]: the human-editable JSON policy.
//! - [`descriptor_json`]: the human-editable JSON form of a device
//!   descriptor, converted to and from canonical CBOR.
//! - [`report_json`]: JSON shapes shared by the CLI and the WASM package.
//! - [`error_class`]: the class of a stable error code (the CLI's exit
//!   status, the WASM error's `class`).
#![forbid(unsafe_code)]

pub use migseal_format as format;
pub use migseal_verifier as verifier;

pub mod descriptor_json;
pub mod error_class;
pub mod policy_file;
pub mod report_json;
