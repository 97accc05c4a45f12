//! The properties migseal's fuzz targets check, as plain functions over
//! bytes or `arbitrary` inputs, so that:
//!
//! - each `fuzz/fuzz_targets/*.rs` is one line (libFuzzer entry → `check`);
//! - the same checks build and run on stable (`cargo test` in this crate
//!   replays the seed corpus through them), without cargo-fuzz;
//! - the seed-corpus generator (`src/bin/fuzz-corpus.rs`) writes inputs in
//!   exactly the layouts the checks read.
//!
//! A property violation panics with a message that says which property
//! broke; libFuzzer reports the panic as a crash and saves the input.
//! Panicking is the point here: this crate is test tooling, never linked
//! into migseal itself.

pub mod arb;
pub mod cbor;
pub mod codec_structured;
pub mod codecs;
pub mod compat;
pub mod corpus;
pub mod differential;
pub mod inspect;
pub mod policy_file;
pub mod records;
pub mod sealed;
pub mod sealer_calls;
pub mod setups;
pub mod stream;
pub mod structure;
pub mod typed;

/// Every fuzz target: its name (the `[[bin]]` in `fuzz/Cargo.toml`) and
/// what it checks. The corpus generator and the CI smoke walk this list.
pub const TARGETS: &[(&str, &str)] = &[
    ("cbor_reader", "canonical CBOR reader: no panic; accepted items re-encode to the same bytes"),
    ("decode_header", "header record decoder: accepted records re-encode to the same bytes"),
    ("decode_chunk_head", "chunk head decoder: limits, re-encoding, streaming prefixes"),
    ("decode_seal", "seal record decoder: accepted seals re-encode to the same bytes"),
    ("decode_descriptor", "descriptor decoder: round trip, self-compatibility"),
    ("stream_fragments", "streaming verifier in fuzzer-chosen fragments = whole-image verdict"),
    ("inspect_equals_verify", "inspection's first refusal is the streaming verifier's, for any bytes"),
    ("seal_then_mutate", "a sealed valid image verifies; any one mutation of it is refused"),
    (
        "sealed_structure",
        "an image described field by field, sealed by a chosen key, mutated in a chosen part: the verdict the input calls for",
    ),
    (
        "differential",
        "streaming vs whole image vs parallel vs the C ABI: one verdict, code, offset and errno",
    ),
    ("compat_pairs", "compatibility check against an independent oracle"),
    ("codec_mtty", "mtty codec: decode → encode → decode is stable, byte-exact"),
    ("codec_virtio", "VIRTIO device-parts codec: decode → encode → decode is stable, byte-exact"),
    ("codec_vfio_ap", "vfio-ap matrix codec: decode → encode → decode is stable, byte-exact"),
    (
        "policy_file",
        "policy files from input: loads or is refused exactly as the file says (409/602/410/206), and a fixed image gets the verdict the policy's rules call for",
    ),
    (
        "sealer_calls",
        "Sealer and CBOR Encoder call sequences: misuse gets its typed refusal; correct calls give an image that verifies with the payload that went in",
    ),
    (
        "codec_structured",
        "typed mtty / virtio / vfio-ap states: encode = the C layout, decode back, rule breaks refused with their code at their byte",
    ),
];

/// Compares a format error's outcome for a prefix of the input with the
/// outcome for the whole input: a streaming caller feeds growing buffers
/// and waits while the answer is "truncated", so a prefix may only say
/// "truncated" or give exactly the final answer.
pub(crate) fn prefix_consistent<T: PartialEq + core::fmt::Debug>(
    prefix: &migseal_format::Result<T>,
    whole: &migseal_format::Result<T>,
) -> bool {
    match prefix {
        Err(e) if e.is_truncated() => true,
        other => other == whole,
    }
}

/// Prefix lengths worth checking for an input of `len` bytes: all of them
/// for short inputs, a spread of them otherwise (the check is quadratic).
pub(crate) fn prefix_lengths(len: usize) -> Vec<usize> {
    if len <= 96 {
        return (0..len).collect();
    }
    let mut v: Vec<usize> = (0..32).collect();
    v.extend((1..16).map(|i| len * i / 16));
    v.extend(len.saturating_sub(32)..len);
    v.sort_unstable();
    v.dedup();
    v
}
