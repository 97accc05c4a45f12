//! Spec vectors the unit tests use, embedded so the same tests run
//! natively and under wasm32.

/// mtty-2 state in one chunk: verifies under `DEFAULT_POLICY` on `MTTY2_DEVICE`.
pub const MTTY2_IMAGE: &[u8] = include_bytes!("../../spec/vectors/images/mtty-2-single-chunk.migseal");
/// The same state in six chunks.
pub const MTTY2_SIX_CHUNKS: &[u8] = include_bytes!("../../spec/vectors/images/mtty-2-six-chunks.migseal");
/// An nvidia image pushed into an mtty device: refused with 500.
pub const CROSS_VENDOR: &[u8] = include_bytes!("../../spec/vectors/images/cross-vendor.migseal");
/// The header changed after sealing: refused with 600 at the seal.
pub const TAMPERED: &[u8] = include_bytes!("../../spec/vectors/images/header-changed-after-sealing.migseal");
/// The mtty-2 destination descriptor (canonical CBOR).
pub const MTTY2_DEVICE: &[u8] = include_bytes!("../../spec/vectors/devices/mtty-2.cbor");
/// The policy the image vectors use.
pub const DEFAULT_POLICY: &str = include_str!("../../spec/vectors/policies/default.json");
/// A policy trusting a small-order key: refused with 409.
pub const WEAK_KEY_POLICY: &str = include_str!("../../spec/vectors/policies/weak-key.json");
