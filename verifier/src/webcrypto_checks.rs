//! Byte-level checks that make a host's Ed25519 (WebCrypto: BoringSSL in
//! Chromium) give the verdicts of spec §5.7, without curve arithmetic.
//!
//! Such a host verifies cofactorless and compares encodings (rule 4), and
//! refuses S ≥ L, but it lets a small-order R (or A) through to the
//! equation, where a crafted signature can satisfy it. §5.7 rule 3 refuses
//! those. A point decodes to a small-order point exactly when its y
//! coordinate, reduced mod p, is that of one of the eight torsion points,
//! and only 14 byte strings do (listed in [`SMALL_ORDER_ENCODINGS`]), so
//! the rule is one table lookup. The table is checked against
//! `curve25519-dalek`'s decoding of every candidate encoding (tests).

/// Every 32-byte string that `curve25519-dalek` (so [`crate::Dalek`])
/// decodes to a point of order dividing 8: the canonical encodings of the
/// eight torsion points, the sign-bit-set encodings of the two with x = 0
/// ("negative zero"), and the non-canonical y + p for y = 0 and y = 1
/// with either sign bit.
pub const SMALL_ORDER_ENCODINGS: [[u8; 32]; 14] = [
    // y = 1 (the identity, order 1): canonical, then x = -0.
    enc(1, 0x00),
    enc(1, 0x80),
    // y = p - 1 (order 2): canonical, then x = -0.
    top(0xec, 0x7f),
    top(0xec, 0xff),
    // y = 0 (order 4): x = ±sqrt(-1).
    enc(0, 0x00),
    enc(0, 0x80),
    // y = p (≡ 0, non-canonical), either sign.
    top(0xed, 0x7f),
    top(0xed, 0xff),
    // y = p + 1 (≡ 1, non-canonical), either sign.
    top(0xee, 0x7f),
    top(0xee, 0xff),
    // The four points of order 8: two y values, each with either sign.
    ORDER_8_A,
    flip_sign(ORDER_8_A),
    ORDER_8_B,
    flip_sign(ORDER_8_B),
];

/// y = 2707385501144840649318225287225658788936804267575313519463743609750303402022, x even.
const ORDER_8_A: [u8; 32] = [
    0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef, 0x98, 0xf0, 0xd5,
    0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53, 0xfc, 0x05,
];

/// y = 55188659117513257062467267217118295137698188065244968500265048394206261417927, x even.
const ORDER_8_B: [u8; 32] = [
    0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b, 0x76, 0x0d, 0x10, 0x67, 0x0f, 0x2a,
    0x20, 0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac, 0x03, 0x7a,
];

/// A small y in the first byte, zeros, and `last` as the last byte.
const fn enc(first: u8, last: u8) -> [u8; 32] {
    let mut e = [0u8; 32];
    e[0] = first;
    e[31] = last;
    e
}

/// 2^255 - 19 + (first - 0xed): `first`, thirty 0xff, then `last`.
const fn top(first: u8, last: u8) -> [u8; 32] {
    let mut e = [0xffu8; 32];
    e[0] = first;
    e[31] = last;
    e
}

/// The same y with the other sign bit.
const fn flip_sign(mut e: [u8; 32]) -> [u8; 32] {
    e[31] ^= 0x80;
    e
}

/// True when `encoding` decodes to a point of small order (order dividing
/// 8): spec §5.7 rule 3 refuses such an R (600) and such an A (409 when
/// trusted, 600 at a signature).
#[must_use]
pub fn is_small_order_encoding(encoding: &[u8; 32]) -> bool {
    SMALL_ORDER_ENCODINGS.iter().any(|e| e == encoding)
}

#[cfg(test)]
mod tests;
