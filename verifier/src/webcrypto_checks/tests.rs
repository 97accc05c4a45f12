#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use curve25519_dalek::constants::EIGHT_TORSION;
use curve25519_dalek::edwards::CompressedEdwardsY;

use std::vec::Vec;

use super::*;

/// What the table stands for: `curve25519-dalek` decodes the bytes, to a
/// point of small order.
fn dalek_small(e: &[u8; 32]) -> bool {
    CompressedEdwardsY(*e).decompress().is_some_and(|p| p.is_small_order())
}

/// Adds 2^255 - 19 to a little-endian number below 19 (so no carry out).
fn plus_p(e: &[u8; 32]) -> Option<[u8; 32]> {
    let y_small = e[0] < 19 && e[1..31].iter().all(|&b| b == 0) && e[31] & 0x7f == 0;
    y_small.then(|| {
        let mut out = [0xffu8; 32];
        out[0] = 0xed + e[0];
        out[31] = 0x7f | (e[31] & 0x80);
        out
    })
}

/// Every byte string whose y is congruent to a torsion point's, with
/// either sign bit: a superset of what decodes to a small-order point
/// (small order fixes y mod p).
fn candidates() -> Vec<[u8; 32]> {
    let mut out = Vec::new();
    for t in EIGHT_TORSION {
        let canonical = t.compress().to_bytes();
        for e in [canonical, flip_sign(canonical)] {
            out.push(e);
            out.extend(plus_p(&e));
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

#[test]
fn the_table_is_exactly_what_dalek_decodes_to_small_order() {
    let found: Vec<[u8; 32]> = candidates().into_iter().filter(dalek_small).collect();
    let mut table = SMALL_ORDER_ENCODINGS.to_vec();
    table.sort_unstable();
    let hex = |v: &[[u8; 32]]| v.iter().map(hex::encode).collect::<Vec<_>>();
    assert_eq!(hex(&table), hex(&found));
    // Every candidate gets the verdict dalek gives it.
    for e in candidates() {
        assert_eq!(is_small_order_encoding(&e), dalek_small(&e), "{}", hex::encode(e));
    }
}

#[test]
fn full_order_and_mixed_points_are_not_in_the_table() {
    let basepoint = curve25519_dalek::constants::ED25519_BASEPOINT_POINT;
    assert!(!is_small_order_encoding(&basepoint.compress().to_bytes()));
    for t in EIGHT_TORSION {
        // A full-order point plus a torsion component: mixed order, which
        // §5.7 does not refuse.
        let mixed = (basepoint + t).compress().to_bytes();
        assert!(!is_small_order_encoding(&mixed));
        assert!(!dalek_small(&mixed));
    }
}
