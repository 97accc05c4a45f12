//! The crypto seam: SHA-256 and strict Ed25519 behind a small trait that
//! speaks bytes and its own types, so a kernel can plug in its own SHA-256
//! and signature check (and a browser its WebCrypto) and link no dalek
//! code. [`crate::Dalek`] is the default provider.

use migseal_format::envelope::{CHUNK_PREFIX_LEN, Digest, SIGNATURE_LEN};

/// Length of an Ed25519 public key (and of a secret seed).
pub const PUBLIC_KEY_LEN: usize = 32;
/// An Ed25519 public key, as bytes.
pub type PublicKey = [u8; PUBLIC_KEY_LEN];
/// Length of each half of a signature (R, then S) and of a scalar.
const SCALAR_LEN: usize = 32;

/// An incremental SHA-256.
pub trait Sha256 {
    /// Absorbs `data`.
    fn update(&mut self, data: &[u8]);
    /// Returns the digest.
    fn finish(self) -> Digest;
}

/// Why a provider refused a signature or a public key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CryptoFailure {
    /// The signature does not verify (including small-order R).
    BadSignature,
    /// The public key does not decode to a curve point.
    InvalidPublicKey,
    /// The public key has small order.
    WeakKey,
}

/// What migseal needs from cryptography.
///
/// A trusted key is prepared once, when it enters a trust store
/// ([`Crypto::prepare_public_key`]), and every signature check works from
/// that prepared form, whatever it is for the provider: a decompressed
/// point, a handle into the host's key store, or just the bytes.
pub trait Crypto {
    /// The incremental hasher.
    type Hasher: Sha256;
    /// A public key checked and prepared for verification.
    type PreparedKey: Clone;

    /// A fresh SHA-256.
    fn sha256(&self) -> Self::Hasher;

    /// Checks that `public_key` is a valid Ed25519 point of full order and
    /// prepares it for [`Crypto::verify_strict`].
    ///
    /// # Errors
    ///
    /// [`CryptoFailure::InvalidPublicKey`] for bytes that are not a point,
    /// [`CryptoFailure::WeakKey`] for a point of small order.
    fn prepare_public_key(&self, public_key: &PublicKey) -> Result<Self::PreparedKey, CryptoFailure>;

    /// Verifies `signature` over `message` under strict rules: canonical
    /// encodings, no small-order R or public key (RFC 8032 §5.1.7 with the
    /// checks of spec §5.7).
    ///
    /// # Errors
    ///
    /// [`CryptoFailure::BadSignature`].
    fn verify_strict(
        &self,
        key: &Self::PreparedKey,
        message: &[u8],
        signature: &[u8; SIGNATURE_LEN],
    ) -> Result<(), CryptoFailure>;

    /// SHA-256 of the concatenation of `parts`.
    fn digest(&self, parts: &[&[u8]]) -> Digest {
        let mut h = self.sha256();
        for part in parts {
            h.update(part);
        }
        h.finish()
    }

    /// One chunk's digest, `SHA-256(prefix || data)`, when the whole chunk
    /// is in memory (whole-image and parallel verification, sealing). A
    /// provider whose hashing is one-shot only (WebCrypto) overrides this.
    fn chunk_digest(&self, prefix: &[u8; CHUNK_PREFIX_LEN], data: &[u8]) -> Digest {
        self.digest(&[prefix, data])
    }
}

/// Verifies `signature` over `message` with a public key given as bytes:
/// prepared, then checked, as a trust store would do it in two steps.
///
/// # Errors
///
/// As [`Crypto::prepare_public_key`] and [`Crypto::verify_strict`].
pub fn verify_with_public_key<C: Crypto>(
    crypto: &C,
    public_key: &PublicKey,
    message: &[u8],
    signature: &[u8; SIGNATURE_LEN],
) -> Result<(), CryptoFailure> {
    let key = crypto.prepare_public_key(public_key)?;
    crypto.verify_strict(&key, message, signature)
}

/// The Ed25519 group order L, little-endian.
const GROUP_ORDER: [u8; SCALAR_LEN] = [
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
];

/// True when the signature's S (its second half, little-endian) is below
/// the group order L. Checked by migseal itself, whatever the provider, so
/// the malleable twin `S + L` of a valid signature is refused with its own
/// code even by a provider that would accept it.
#[must_use]
pub fn signature_s_is_canonical(signature: &[u8; SIGNATURE_LEN]) -> bool {
    // R is the first half, S the second.
    let Some(s) = signature.get(SCALAR_LEN..) else { return false };
    // Compare as little-endian numbers: most significant byte last, so
    // the reversed byte sequences compare lexicographically. S = L is not
    // below L.
    s.iter().rev().lt(GROUP_ORDER.iter().rev())
}

#[cfg(test)]
mod tests;
