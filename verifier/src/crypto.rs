//! The crypto seam: SHA-256 and strict Ed25519 verification behind a small
//! trait, so a kernel build can plug in its own SHA-256 (and signature
//! check) while everything else stays the same. [`Dalek`] is the default
//! provider (RustCrypto `sha2`, `ed25519-dalek`).

use migseal_format::envelope::{DIGEST_LEN, Digest, SIGNATURE_LEN};

use crate::keys::TrustedKey;

/// An incremental SHA-256.
pub trait Sha256 {
    /// Absorbs `data`.
    fn update(&mut self, data: &[u8]);
    /// Returns the digest.
    fn finish(self) -> Digest;
}

/// Why a signature or key was refused by a provider.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CryptoFailure {
    /// The signature does not verify (including small-order R).
    BadSignature,
    /// The public key does not decode to a curve point.
    InvalidPublicKey,
    /// The public key has small order.
    WeakKey,
}

/// What the verifier needs from cryptography.
pub trait Crypto {
    /// The hasher type.
    type Hasher: Sha256;

    /// A fresh SHA-256.
    fn sha256(&self) -> Self::Hasher;

    /// Verifies `signature` over `message` with Ed25519 under strict rules:
    /// canonical encodings, no small-order R, no small-order public key
    /// (RFC 8032 §5.1.7 plus the checks of ed25519-dalek's
    /// `verify_strict`).
    ///
    /// # Errors
    ///
    /// [`CryptoFailure::BadSignature`] or [`CryptoFailure::InvalidPublicKey`].
    fn verify_strict(
        &self,
        public_key: &[u8; 32],
        message: &[u8],
        signature: &[u8; SIGNATURE_LEN],
    ) -> Result<(), CryptoFailure>;

    /// Checks that a public key is a valid point of full order, before it
    /// enters a trust store.
    ///
    /// # Errors
    ///
    /// [`CryptoFailure::InvalidPublicKey`] or [`CryptoFailure::WeakKey`].
    fn check_public_key(&self, public_key: &[u8; 32]) -> Result<(), CryptoFailure>;

    /// The key decoded once when it is trusted, for
    /// [`Crypto::verify_strict_trusted`]; `None` (the default) keeps only
    /// the bytes, so a provider of its own links no ed25519-dalek code.
    fn prepare_public_key(&self, public_key: &[u8; 32]) -> Option<ed25519_dalek::VerifyingKey> {
        let _ = public_key;
        None
    }

    /// [`Crypto::verify_strict`] with a key from the trust store. A provider
    /// may use what the key prepared when it was trusted; the default
    /// works from the key's bytes.
    ///
    /// # Errors
    ///
    /// As [`Crypto::verify_strict`].
    fn verify_strict_trusted(
        &self,
        key: &TrustedKey<'_>,
        message: &[u8],
        signature: &[u8; SIGNATURE_LEN],
    ) -> Result<(), CryptoFailure> {
        self.verify_strict(key.public_key(), message, signature)
    }

    /// SHA-256 of the concatenation of `parts`.
    fn digest(&self, parts: &[&[u8]]) -> Digest {
        let mut h = self.sha256();
        for part in parts {
            h.update(part);
        }
        h.finish()
    }
}

/// The default provider: RustCrypto `sha2` and `ed25519-dalek`
/// (`verify_strict`; `legacy_compatibility` is never enabled).
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

impl Crypto for Dalek {
    type Hasher = DalekSha256;

    fn sha256(&self) -> DalekSha256 {
        DalekSha256::default()
    }

    fn verify_strict(
        &self,
        public_key: &[u8; 32],
        message: &[u8],
        signature: &[u8; SIGNATURE_LEN],
    ) -> Result<(), CryptoFailure> {
        let key = ed25519_dalek::VerifyingKey::from_bytes(public_key)
            .map_err(|_| CryptoFailure::InvalidPublicKey)?;
        let signature = ed25519_dalek::Signature::from_bytes(signature);
        key.verify_strict(message, &signature).map_err(|_| CryptoFailure::BadSignature)
    }

    fn prepare_public_key(&self, public_key: &[u8; 32]) -> Option<ed25519_dalek::VerifyingKey> {
        ed25519_dalek::VerifyingKey::from_bytes(public_key).ok()
    }

    fn verify_strict_trusted(
        &self,
        key: &TrustedKey<'_>,
        message: &[u8],
        signature: &[u8; SIGNATURE_LEN],
    ) -> Result<(), CryptoFailure> {
        match key.prepared() {
            Some(prepared) => prepared
                .verify_strict(message, &ed25519_dalek::Signature::from_bytes(signature))
                .map_err(|_| CryptoFailure::BadSignature),
            None => self.verify_strict(key.public_key(), message, signature),
        }
    }

    fn check_public_key(&self, public_key: &[u8; 32]) -> Result<(), CryptoFailure> {
        let key = ed25519_dalek::VerifyingKey::from_bytes(public_key)
            .map_err(|_| CryptoFailure::InvalidPublicKey)?;
        if key.is_weak() { Err(CryptoFailure::WeakKey) } else { Ok(()) }
    }
}

/// The Ed25519 group order L, little-endian.
const GROUP_ORDER: [u8; 32] = [
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
];

/// True when the signature's S (its second half, little-endian) is below
/// the group order L. Checked by migseal itself, whatever the provider, so
/// the malleable twin `S + L` of a valid signature is refused with its own
/// code even by a provider that would accept it.
#[must_use]
pub fn signature_s_is_canonical(signature: &[u8; SIGNATURE_LEN]) -> bool {
    let Some(s) = signature.get(32..) else { return false };
    // Compare as little-endian numbers: most significant byte last.
    for (a, l) in s.iter().rev().zip(GROUP_ORDER.iter().rev()) {
        if a != l {
            return a < l;
        }
    }
    false // S == L
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::arithmetic_side_effects)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_abc() {
        let d = Dalek.digest(&[b"a", b"bc"]);
        assert_eq!(hex::encode(d), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    #[test]
    fn s_bound() {
        let mut sig = [0u8; 64];
        sig[32..].copy_from_slice(&GROUP_ORDER);
        assert!(!signature_s_is_canonical(&sig));
        sig[32] -= 1;
        assert!(signature_s_is_canonical(&sig));
        sig[63] = 0xff;
        assert!(!signature_s_is_canonical(&sig));
    }

    #[test]
    fn small_order_keys_are_weak() {
        // The identity point (y = 1) has order 1.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        assert_eq!(Dalek.check_public_key(&identity), Err(CryptoFailure::WeakKey));
    }
}
