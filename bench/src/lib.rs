//! # migseal-bench
//!
//! Benchmarks of migseal against the physical limit (SHA-256 on one core)
//! and its peers (coset, ciborium, ed25519-dalek, `openssl dgst`), and the
//! report that writes `BENCHMARKS.md`.
//!
//! - `benches/`: the criterion benchmarks (one binary, a module per
//!   subject); each measures migseal and its reference in the same run,
//!   and the run ends with the ratios ([`comparisons`] is the table of
//!   what is compared with what, and the goals).
//! - the `migseal-bench` binary: the measurements criterion cannot make
//!   (peak RSS of `migseal verify` on a pipe, the CLI against `openssl`,
//!   WASM in Node) and the report.
//! - `cargo xtask bench [--quick]` runs everything in one go.
#![forbid(unsafe_code)]
// A measurement report computes rates and ratios.
#![allow(clippy::float_arithmetic)]

pub mod cli_parallel;
pub mod comparisons;
pub mod estimates;
pub mod fixtures;
pub mod fragments;
pub mod harness;
pub mod machine;
pub mod mode;
pub mod nosig;
pub mod peers;
pub mod profile;
pub mod report;
pub mod system;
pub mod units;
pub mod wasm;
pub mod webcrypto;
