//! Measures the smallest thread stack on which a full streaming
//! verification (feed, header checks, chunk hashing, seal, strict Ed25519)
//! completes. A thread that overflows its stack aborts the process, so each
//! try runs in a child process; the parent binary-searches the size.
//!
//! ```sh
//! cargo run --release -p migseal-verifier --example stack_peak
//! cargo run -p migseal-verifier --example stack_peak   # debug build
//! ```
//!
//! Linux does not create threads below PTHREAD_STACK_MIN (16 KiB plus the
//! TLS size), so a result at that floor means "at most the floor".
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::as_conversions,
    clippy::cast_precision_loss,
    clippy::float_arithmetic
)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::process::Command;

/// PTHREAD_STACK_MIN on x86_64 Linux: glibc never makes a smaller thread.
const FLOOR: usize = 16 * 1024;

fn main() {
    if let Ok(size) = std::env::var("MIGSEAL_STACK_TRY") {
        let size: usize = size.parse().unwrap();
        let (image, pk) = common::image(4);
        let ok = std::thread::Builder::new()
            .stack_size(size)
            .spawn(move || common::verify(&image, pk))
            .unwrap()
            .join()
            .unwrap();
        std::process::exit(if ok == Ok(4096) { 0 } else { 3 });
    }
    println!(
        "Verifier state (placed by the caller, boxed here): {} bytes",
        std::mem::size_of::<migseal_verifier::Verifier<'static>>()
    );
    let exe = std::env::current_exe().unwrap();
    let works = |size: usize| {
        Command::new(&exe)
            .env("MIGSEAL_STACK_TRY", size.to_string())
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false)
    };
    let (mut lo, mut hi) = (1024usize, 1 << 20);
    assert!(works(hi), "verification fails even on a 1 MiB stack");
    while hi - lo > 256 {
        let mid = (lo + hi) / 2;
        if works(mid) { hi = mid } else { lo = mid }
    }
    let profile = if cfg!(debug_assertions) { "debug" } else { "release" };
    if hi <= FLOOR {
        // Every request below the floor got a floor-sized stack, so the
        // search only shows that the floor suffices.
        println!(
            "full verification ({profile}) completes within Linux's minimum thread stack ({} KiB)",
            FLOOR / 1024
        );
    } else {
        println!(
            "smallest thread stack that completes a full verification ({profile}): {hi} bytes ({:.1} KiB)",
            hi as f64 / 1024.0
        );
    }
}
