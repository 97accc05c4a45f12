//! Which check refuses a damaged seal decides the code a caller sees, so
//! the order is pinned here: migseal's own canonical-S check (601) runs
//! before the provider's strict Ed25519 (600), whatever the provider does
//! with a non-canonical S, and both report the signature's offset.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::as_conversions
)]

mod common;

use migseal_format::envelope::SIGNATURE_LEN;
use migseal_verifier::{
    CryptoFailure, Dalek, Error, SealingKey, signature_s_is_canonical, verify_image, verify_with_public_key,
};

/// The Ed25519 group order L, little-endian (RFC 8032 §5.1).
const L: [u8; 32] = [
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
];

/// `a + b` for 32-byte little-endian numbers (S + L < 2^256 for S < L).
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

/// The whole-image verdict for `image` under the common policy.
fn verify(image: &[u8], public_key: [u8; 32]) -> Result<(), Error> {
    common::with_verifier(public_key, |_, policy, device| verify_image(image, policy, device).map(|_| ()))
}

/// The signature is the seal record's last 64 bytes, the image's last.
fn s_range(image: &[u8]) -> core::ops::Range<usize> {
    image.len() - 32..image.len()
}

#[test]
fn s_equal_to_l_is_refused_by_migseals_own_check_as_601_at_the_signature() {
    let (mut image, public_key) = common::image(2);
    let s = s_range(&image);
    image[s].copy_from_slice(&L);
    let e = verify(&image, public_key).unwrap_err();
    assert_eq!((e.code(), e.name()), (601, "non-canonical-signature"), "{e}");
    assert_eq!(e.offset(), (image.len() - SIGNATURE_LEN) as u64, "offset of the signature");
}

#[test]
fn s_just_below_l_is_left_to_the_signature_check_600() {
    let (mut image, public_key) = common::image(1);
    let s = s_range(&image);
    let mut below = L;
    below[0] -= 1;
    image[s].copy_from_slice(&below);
    let e = verify(&image, public_key).unwrap_err();
    assert_eq!((e.code(), e.name()), (600, "bad-signature"), "{e}");
    assert_eq!(e.offset(), (image.len() - SIGNATURE_LEN) as u64);
}

#[test]
fn the_malleable_twin_s_plus_l_is_601_although_the_provider_would_say_600() {
    let (mut image, public_key) = common::image(1);
    let s = s_range(&image);
    let twin = add_le(&image[s.clone()], &L);
    image[s].copy_from_slice(&twin);
    let e = verify(&image, public_key).unwrap_err();
    assert_eq!(e.code(), 601, "{e}");
    // The provider alone refuses the same signature as a plain bad one:
    // the 601 comes from migseal's check, not from which layer ran first.
    let signature: [u8; 64] = image[image.len() - 64..].try_into().unwrap();
    assert!(!signature_s_is_canonical(&signature));
    assert_eq!(
        verify_with_public_key(&Dalek, &public_key, b"any message", &signature),
        Err(CryptoFailure::BadSignature)
    );
}

#[test]
fn a_flipped_bit_in_r_is_600_at_the_signature() {
    let (mut image, public_key) = common::image(1);
    let r = image.len() - 64;
    image[r] ^= 1;
    let e = verify(&image, public_key).unwrap_err();
    assert_eq!((e.code(), e.offset()), (600, r as u64), "{e}");
}

#[test]
fn a_valid_signature_under_another_trusted_key_is_600() {
    // The header names key A and A is trusted; the seal is re-signed by B
    // over the same bytes: the provider's check must refuse it.
    let (image, public_key) = common::image(1);
    let other = SealingKey::from_seed(&[0x11; 32]);
    let mut forged = image.clone();
    let n = forged.len();
    let sig = other.sign(b"not the Sig_structure either");
    forged[n - 64..].copy_from_slice(&sig);
    let e = verify(&forged, public_key).unwrap_err();
    assert_eq!(e.code(), 600, "{e}");
    assert_eq!(verify(&image, public_key), Ok(()), "the untouched image verifies");
}

#[test]
fn the_provider_refuses_a_signature_of_another_message_for_a_key_not_prepared_in_advance() {
    let key = SealingKey::from_seed(&[0x33; 32]);
    let sig = key.sign(b"sealed message");
    assert_eq!(verify_with_public_key(&Dalek, &key.public_key(), b"sealed message", &sig), Ok(()));
    assert_eq!(
        verify_with_public_key(&Dalek, &key.public_key(), b"another message", &sig),
        Err(CryptoFailure::BadSignature)
    );
    let other = SealingKey::from_seed(&[0x34; 32]).public_key();
    assert_eq!(
        verify_with_public_key(&Dalek, &other, b"sealed message", &sig),
        Err(CryptoFailure::BadSignature)
    );
}

/// A provider that accepts every signature: what a lax host
/// implementation might do with a non-canonical S.
#[derive(Clone, Copy, Debug)]
struct AcceptsAnything;

impl migseal_verifier::Crypto for AcceptsAnything {
    type Hasher = migseal_verifier::DalekSha256;
    type PreparedKey = migseal_verifier::DalekKey;

    fn sha256(&self) -> Self::Hasher {
        Dalek.sha256()
    }

    fn prepare_public_key(&self, public_key: &[u8; 32]) -> Result<Self::PreparedKey, CryptoFailure> {
        Dalek.prepare_public_key(public_key)
    }

    fn verify_strict(&self, _: &Self::PreparedKey, _: &[u8], _: &[u8; 64]) -> Result<(), CryptoFailure> {
        Ok(())
    }
}

#[test]
fn s_not_below_l_is_601_even_with_a_provider_that_accepts_everything() {
    use migseal_format::Ident;
    use migseal_format::envelope::{Descriptor, IdentList, Role, VersionRanges};
    use migseal_verifier::{Policy, verify_image_with};

    let (mut image, public_key) = common::image(1);
    let codecs = [Ident::new("mtty").unwrap()];
    let device = Descriptor {
        role: Role::Destination,
        identity: common::identity(),
        versions: VersionRanges::from_slice(&common::V1, 16).unwrap(),
        features: IdentList::EMPTY,
        config: None,
        codecs: IdentList::from_slice(&codecs, 8).unwrap(),
    };
    let mut policy = Policy::<AcceptsAnything>::new();
    policy.trust_key(&AcceptsAnything, public_key, common::identity().vendor, &[]).unwrap();
    // The lax provider lets a wrong signature through: the seal check is
    // really its, so only migseal's own S check stands between S = L and
    // acceptance.
    let mut wrong = image.clone();
    let n = wrong.len();
    wrong[n - 64] ^= 1;
    assert!(verify_image_with(&wrong, &policy, &device, AcceptsAnything).is_ok());
    let s = s_range(&image);
    image[s].copy_from_slice(&L);
    let e = verify_image_with(&image, &policy, &device, AcceptsAnything).unwrap_err();
    assert_eq!((e.code(), e.offset()), (601, (image.len() - SIGNATURE_LEN) as u64), "{e}");
}
