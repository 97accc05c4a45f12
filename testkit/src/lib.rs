//! # migseal-testkit
//!
//! Test material, kept out of the published `migseal` crate:
//!
//! - [`samples`]: public test keys (derived from their names), sample
//!   headers, descriptors, an image builder and sample device states.
//! - [`oracles`]: properties shared by the tests and the fuzz targets.
//! - [`vectors`]: the deterministic generator of `spec/vectors`
//!   (`cargo run -p migseal-testkit --bin migseal-vectors -- --write spec/vectors`).
//!
//! The keys here are public: never trust them outside tests.
#![forbid(unsafe_code)]

pub mod oracles;
pub mod samples;
pub mod vectors;
