//! The `miri` CI step: the C ABI's Rust-side tests (`capi/tests/abi_miri.rs`,
//! every call through raw pointers into caller-owned buffers, as C makes
//! them) run under Miri, which checks the `unsafe` blocks of `capi/` they
//! reach for undefined behaviour (out-of-bounds, misaligned or
//! uninitialised reads, aliasing violations, leaks).
//!
//! `capi/` is the one crate with `unsafe`. The test file keeps Miri's cost
//! down: inputs via `include_bytes!` (Miri isolates the file system), two
//! Ed25519 verifications and one signature in all. Miri builds into
//! `target/miri`, so the main build cache is untouched.

use crate::{Ctx, cargo, output, run};

/// The test files that run under Miri.
const TESTS: &[&str] = &["abi_miri"];

/// Installs Miri for nightly if missing, prepares its sysroot, runs [`TESTS`].
pub fn step(ctx: &Ctx) -> Result<(), String> {
    let toolchains = output("rustup", &["toolchain", "list"]);
    if !toolchains.lines().any(|l| l.starts_with("nightly")) {
        run(ctx, "rustup", &["toolchain", "install", "nightly", "--profile", "minimal"], &[])?;
    }
    let components = output("rustup", &["+nightly", "component", "list", "--installed"]);
    for c in ["miri", "rust-src"] {
        if !components.lines().any(|l| l.starts_with(c)) {
            run(ctx, "rustup", &["+nightly", "component", "add", c], &[])?;
        }
    }
    let mut args = vec!["+nightly", "miri", "test", "-p", "migseal-capi"];
    for t in TESTS {
        args.extend(["--test", t]);
    }
    // A compiler wrapper (sccache) cannot cache Miri's interpreted builds.
    cargo(ctx, &args, &[("RUSTC_WRAPPER", ""), ("MIRIFLAGS", "")])
}
