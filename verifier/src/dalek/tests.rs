//! The provider against `ed25519_dalek::VerifyingKey::verify_strict`, the
//! function whose verdicts spec §5.7 names: the same accept/refuse on
//! valid signatures and on every kind of damage. The edge-case suites
//! (Wycheproof, "Taming the many EdDSAs") are in the workspace's
//! `tests/ed25519_suites.rs`.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use proptest::prelude::*;

use super::*;

/// Encodings of points of small order, canonical and not: the identity,
/// the point of order 2, points of order 4 and 8, and y ≥ p forms.
const SMALL_ORDER: [&str; 7] = [
    "0100000000000000000000000000000000000000000000000000000000000000",
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "0000000000000000000000000000000000000000000000000000000000000000",
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
    "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "0100000000000000000000000000000000000000000000000000000000000080",
];

/// ed25519-dalek's verdict, with a key refused when it is weak, as
/// [`Dalek::prepare_public_key`] refuses it.
fn reference(public_key: &[u8; 32], message: &[u8], signature: &[u8; 64]) -> Result<(), CryptoFailure> {
    let key = VerifyingKey::from_bytes(public_key).map_err(|_| CryptoFailure::InvalidPublicKey)?;
    if key.is_weak() {
        return Err(CryptoFailure::WeakKey);
    }
    key.verify_strict(message, &Signature::from_bytes(signature)).map_err(|_| CryptoFailure::BadSignature)
}

fn ours(public_key: &[u8; 32], message: &[u8], signature: &[u8; 64]) -> Result<(), CryptoFailure> {
    crate::verify_with_public_key(&Dalek, public_key, message, signature)
}

#[derive(Clone, Debug)]
enum Damage {
    None,
    FlipBit(u16),
    SmallOrderR(usize),
    /// S + L: the malleable twin (the verifier refuses it first, 601; the
    /// provider must refuse it too).
    SPlusL,
    /// Another public key.
    OtherKey([u8; 32]),
    SmallOrderKey(usize),
}

fn damage() -> impl Strategy<Value = Damage> {
    prop_oneof![
        Just(Damage::None),
        (0u16..512).prop_map(Damage::FlipBit),
        (0..SMALL_ORDER.len()).prop_map(Damage::SmallOrderR),
        Just(Damage::SPlusL),
        any::<[u8; 32]>().prop_map(Damage::OtherKey),
        (0..SMALL_ORDER.len()).prop_map(Damage::SmallOrderKey),
    ]
}

/// `a + b` for 32-byte little-endian numbers (S + L fits: S < L < 2^253).
fn add_le(a: &[u8], b: &[u8; 32]) -> [u8; 32] {
    let mut out = [0u8; 32];
    let mut carry = 0u16;
    for i in 0..32 {
        let sum = u16::from(a[i]) + u16::from(b[i]) + carry;
        out[i] = sum.to_le_bytes()[0];
        carry = sum >> 8;
    }
    out
}

const L: [u8; 32] = [
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
];

proptest! {
    #[test]
    fn verdicts_equal_ed25519_dalek_verify_strict(
        seed in any::<[u8; 32]>(),
        message in proptest::collection::vec(any::<u8>(), 0..200),
        damage in damage(),
    ) {
        let signing = SigningKey::from_bytes(&seed);
        let mut public_key = signing.verifying_key().to_bytes();
        let mut signature = signing.sign(&message).to_bytes();
        match damage {
            Damage::None => {}
            Damage::FlipBit(bit) => signature[usize::from(bit / 8)] ^= 1 << (bit % 8),
            Damage::SmallOrderR(i) => signature[..32].copy_from_slice(&hex::decode(SMALL_ORDER[i]).unwrap()),
            Damage::SPlusL => {
                let twin = add_le(&signature[32..], &L);
                signature[32..].copy_from_slice(&twin);
            }
            Damage::OtherKey(k) => public_key = k,
            Damage::SmallOrderKey(i) => public_key.copy_from_slice(&hex::decode(SMALL_ORDER[i]).unwrap()),
        }
        let expected = reference(&public_key, &message, &signature);
        prop_assert_eq!(ours(&public_key, &message, &signature), expected);
        if matches!(damage, Damage::None) {
            prop_assert_eq!(expected, Ok(()));
        }
    }
}

#[test]
fn small_order_keys_are_weak_and_non_points_invalid() {
    for hex_key in SMALL_ORDER {
        let key: [u8; 32] = hex::decode(hex_key).unwrap().try_into().unwrap();
        assert_eq!(Dalek.prepare_public_key(&key), Err(CryptoFailure::WeakKey), "{hex_key}");
    }
    // y = 2 is not the y-coordinate of a curve point.
    let mut not_a_point = [0u8; 32];
    not_a_point[0] = 2;
    assert_eq!(Dalek.prepare_public_key(&not_a_point), Err(CryptoFailure::InvalidPublicKey));
}
