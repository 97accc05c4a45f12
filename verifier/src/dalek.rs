//! The default crypto provider: RustCrypto `sha2` for SHA-256 and
//! SHA-512, `curve25519-dalek` for the curve. The only module that names
//! dalek's types.
//!
//! Strict Ed25519 verification is spelled out here from curve25519-dalek
//! primitives, step for step as spec §5.7 states it, rather than called
//! through `ed25519_dalek::VerifyingKey::verify_strict` (whose verdicts it
//! equals: the rules of §5.7 are that function's). Two reasons, both about
//! the kernel's stack (issue #14): the SHA-512 of `R ‖ A ‖ M` runs in a
//! frame of its own that has returned before the curve arithmetic starts,
//! instead of sharing one frame with it; and the public key's small order
//! is checked once, when the key is prepared, not on every signature.

use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::Scalar;
use migseal_format::envelope::{DIGEST_LEN, Digest, SIGNATURE_LEN};

use crate::crypto::{Crypto, CryptoFailure, PUBLIC_KEY_LEN, PublicKey, Sha256};

/// The default provider.
#[derive(Clone, Copy, Debug, Default)]
pub struct Dalek;

/// [`Dalek`]'s hasher.
#[derive(Clone, Debug, Default)]
pub struct DalekSha256(sha2::Sha256);

impl Sha256 for DalekSha256 {
    fn update(&mut self, data: &[u8]) {
        sha2::Digest::update(&mut self.0, data);
    }

    fn finish(self) -> Digest {
        let out = sha2::Digest::finalize(self.0);
        let mut digest = [0u8; DIGEST_LEN];
        migseal_format::bytes::copy_prefix(&mut digest, out.as_slice());
        digest
    }
}

/// A public key [`Dalek`] decoded once, when it was trusted: verifying an
/// image does not decompress the same point again. Only
/// [`Crypto::prepare_public_key`] makes one, so its point is never of
/// small order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DalekKey {
    /// The 32 bytes as configured: `k` hashes these, not a re-encoding
    /// (spec §5.7: a non-canonical encoding of A is hashed as given).
    bytes: PublicKey,
    /// `-A`: the verification equation only ever uses the negation.
    minus_point: EdwardsPoint,
}

impl Crypto for Dalek {
    type Hasher = DalekSha256;
    type PreparedKey = DalekKey;

    fn sha256(&self) -> DalekSha256 {
        DalekSha256::default()
    }

    /// Spec §5.7 rule 2 (A decodes) and the small-order half of rule 3 for
    /// A, as `ed25519_dalek::VerifyingKey::from_bytes` and `is_weak` decide.
    fn prepare_public_key(&self, public_key: &PublicKey) -> Result<DalekKey, CryptoFailure> {
        let point = CompressedEdwardsY(*public_key).decompress().ok_or(CryptoFailure::InvalidPublicKey)?;
        if point.is_small_order() {
            return Err(CryptoFailure::WeakKey);
        }
        // Group negation (x -> -x): no integer arithmetic, nothing to overflow.
        Ok(DalekKey { bytes: *public_key, minus_point: core::ops::Neg::neg(point) })
    }

    /// Spec §5.7 rules 1, 3 and 4 (rule 2 and A's order were decided when
    /// the key was prepared).
    fn verify_strict(
        &self,
        key: &DalekKey,
        message: &[u8],
        signature: &[u8; SIGNATURE_LEN],
    ) -> Result<(), CryptoFailure> {
        let (Some(&r_bytes), Some(&s_bytes)) =
            (signature.first_chunk::<PUBLIC_KEY_LEN>(), signature.last_chunk::<PUBLIC_KEY_LEN>())
        else {
            return Err(CryptoFailure::BadSignature); // unreachable: 64 = 32 + 32
        };
        // Rule 1. The verifier checks it first (601); a provider refuses a
        // non-canonical S on its own too, as verify_strict does.
        let s = Option::<Scalar>::from(Scalar::from_canonical_bytes(s_bytes))
            .ok_or(CryptoFailure::BadSignature)?;
        // Rule 3: R decodes and is not of small order.
        let r = CompressedEdwardsY(r_bytes).decompress().ok_or(CryptoFailure::BadSignature)?;
        if r.is_small_order() {
            return Err(CryptoFailure::BadSignature);
        }
        // Rule 4, cofactorless: [S]B - [k]A, compared by its encoding.
        let k = challenge(&r_bytes, &key.bytes, message);
        let r_prime = EdwardsPoint::vartime_double_scalar_mul_basepoint(&k, &key.minus_point, &s);
        if r_prime.compress().to_bytes() == r_bytes { Ok(()) } else { Err(CryptoFailure::BadSignature) }
    }
}

/// `k = SHA-512(R ‖ A ‖ M) mod L`. Never inlined: SHA-512's state and
/// message schedule then live in a frame that has returned before the
/// scalar multiplication's frames are pushed.
#[inline(never)]
fn challenge(r: &[u8; PUBLIC_KEY_LEN], a: &PublicKey, message: &[u8]) -> Scalar {
    let mut h = sha2::Sha512::default();
    sha2::Digest::update(&mut h, r);
    sha2::Digest::update(&mut h, a);
    sha2::Digest::update(&mut h, message);
    let mut wide = [0u8; 2 * PUBLIC_KEY_LEN];
    migseal_format::bytes::copy_prefix(&mut wide, sha2::Digest::finalize(h).as_slice());
    Scalar::from_bytes_mod_order_wide(&wide)
}

#[cfg(test)]
mod tests;
