//! Bounded stack: a full streaming verification (header checks, chunk
//! hashing, seal, strict Ed25519) completes on a small thread stack.
//!
//! A thread that overflows its stack aborts the whole test process, so a
//! regression (a large array on the stack, unbounded recursion) fails this
//! test loudly. The budget is per build profile: debug code keeps every
//! temporary in its own slot; the measured peaks are in
//! `examples/stack_peak.rs` (debug ≈ 40 KiB, release within Linux's 16 KiB
//! thread minimum, which is also the x86_64 kernel's THREAD_SIZE).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::arithmetic_side_effects)]

mod common;

/// Debug builds get 64 KiB, optimised builds 16 KiB.
const BUDGET: usize = if cfg!(debug_assertions) { 64 * 1024 } else { 16 * 1024 };

#[test]
fn full_verification_fits_the_stack_budget() {
    let (image, public_key) = common::image(4);
    let result = std::thread::Builder::new()
        .stack_size(BUDGET)
        .spawn(move || common::verify(&image, public_key))
        .unwrap()
        .join()
        .unwrap();
    assert_eq!(result, Ok(4096), "4 chunks of 1 KiB verify");
}

#[test]
fn a_refused_image_also_fits_the_stack_budget() {
    let (mut image, public_key) = common::image(2);
    let last = image.len() - 1;
    image[last] ^= 1;
    let result = std::thread::Builder::new()
        .stack_size(BUDGET)
        .spawn(move || common::verify(&image, public_key))
        .unwrap()
        .join()
        .unwrap();
    assert!(result.is_err(), "a flipped seal bit is refused, got {result:?}");
}
