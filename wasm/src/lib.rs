//! # migseal-wasm
//!
//! migseal for management UIs and Node tools, through wasm-bindgen: the
//! same compatibility check, header inspection and (streaming)
//! verification as the `migseal` CLI, with the same JSON shapes and the
//! same stable error codes.
//!
//! | JavaScript | does | Rust |
//! |---|---|---|
//! | `checkCompat(source, destination)` | can this device's state go there, and why not | [`compat`] |
//! | `inspect(bytes)` | the header an image claims, UNVERIFIED | [`inspect`] |
//! | `verify(bytes, policy, device)` | whole image in memory → verdict or thrown error | [`verify`] |
//! | `new StreamVerifier(policy, device)` | `push(chunk)` … `finish()`, constant memory | [`stream`] |
//! | `await verifyWebCrypto(bytes, policy, device)` | as `verify`, hashing and the seal by WebCrypto | [`webcrypto`] |
//! | `validateCbor(bytes)` | one canonical CBOR item? | [`cbor`] |
//! | `descriptorToCbor(d)` / `descriptorToJson(d)` | convert a descriptor | [`inputs`] |
//! | `memoryBytes()` | WebAssembly memory in use (constant while streaming) | [`bindings`] |
//!
//! Everything but [`bindings`], [`from_js`] and [`to_js`] is plain Rust
//! over `serde_json::Value` and the CLI's own policy and descriptor types,
//! tested natively; those three only move values across the JavaScript
//! edge and are tested under Node (`tests/bindings.rs`).

pub mod bindings;
pub mod cbor;
pub mod compat;
pub mod error;
#[cfg(test)]
mod fixtures;
pub mod from_js;
pub mod host_crypto;
pub mod inputs;
pub mod inspect;
#[cfg(feature = "wasm-crypto")]
pub mod stream;
pub mod to_js;
pub mod verify;
pub mod webcrypto;
pub mod webcrypto_bindings;
