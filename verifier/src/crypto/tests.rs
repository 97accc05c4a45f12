#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use super::*;
use crate::Dalek;

#[test]
fn sha256_of_abc() {
    let d = Dalek.digest(&[b"a", b"bc"]);
    assert_eq!(hex::encode(d), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

#[test]
fn s_below_l_is_canonical_and_l_is_not() {
    let mut sig = [0u8; 64];
    sig[32..].copy_from_slice(&GROUP_ORDER);
    assert!(!signature_s_is_canonical(&sig), "S = L");
    sig[32] -= 1;
    assert!(signature_s_is_canonical(&sig), "S = L - 1");
    sig[32] += 2;
    assert!(!signature_s_is_canonical(&sig), "S = L + 1");
    sig[63] = 0xff;
    assert!(!signature_s_is_canonical(&sig));
    assert!(signature_s_is_canonical(&[0; 64]), "S = 0");
}

#[test]
fn small_order_keys_are_weak_and_non_points_invalid() {
    // The identity point (y = 1) has order 1.
    let mut identity = [0u8; 32];
    identity[0] = 1;
    assert_eq!(Dalek.prepare_public_key(&identity).err(), Some(CryptoFailure::WeakKey));
    // y = 2 is not on the curve.
    let mut off_curve = [0u8; 32];
    off_curve[0] = 2;
    assert_eq!(Dalek.prepare_public_key(&off_curve).err(), Some(CryptoFailure::InvalidPublicKey));
}

#[test]
fn one_shot_chunk_digest_equals_incremental() {
    let prefix = migseal_format::envelope::chunk_prefix(3, 5);
    assert_eq!(Dalek.chunk_digest(&prefix, b"hello"), Dalek.digest(&[&prefix, b"hello"]));
}
