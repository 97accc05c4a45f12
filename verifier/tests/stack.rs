//! Bounded stack: a full streaming verification (header checks, chunk
//! hashing, seal, strict Ed25519) completes on a small thread stack.
//!
//! A thread that overflows its stack aborts the whole test process, so a
//! gross regression (a large array on the stack, unbounded recursion) fails
//! this test loudly. It is a coarse guard with generous budgets: the exact
//! peak is measured by stack painting in `probe/stack` (run by `cargo xtask
//! ci`, which fails when the kernel build's peak exceeds 8 KiB). Measured
//! there: 7.3 KiB in the kernel configuration (release, serial
//! curve25519 backend), of which finishing (strict Ed25519) takes 6.5 KiB; about
//! 84 KiB in an unoptimised debug build.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::arithmetic_side_effects)]

mod common;

/// Debug builds keep every temporary in its own stack slot.
const BUDGET: usize = if cfg!(debug_assertions) { 160 * 1024 } else { 32 * 1024 };

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
