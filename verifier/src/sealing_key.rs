//! The source side's secret: an Ed25519 signing key that wipes itself.

use ed25519_dalek::Signer;
use migseal_format::envelope::{DOMAIN_KEY_ID, KeyId, SIGNATURE_LEN};
use zeroize::ZeroizeOnDrop;

use crate::crypto::{Crypto, PUBLIC_KEY_LEN, PublicKey};

/// The key id of an Ed25519 public key: `SHA-256("migseal/v1/key-id\0" ||
/// public key)` (spec §5.5).
#[must_use]
pub fn key_id<C: Crypto>(crypto: &C, public_key: &PublicKey) -> KeyId {
    crypto.digest(&[DOMAIN_KEY_ID, public_key])
}

/// An Ed25519 signing key for sealing. The secret is wiped from memory when
/// the key is dropped; it is never printed (no `Display`, a redacted
/// `Debug`). A clone is a second copy of the secret, wiped on its own drop.
#[derive(Clone, ZeroizeOnDrop)]
pub struct SealingKey {
    inner: ed25519_dalek::SigningKey,
}

impl SealingKey {
    /// The key whose 32-byte secret seed is `seed`. The caller should wipe
    /// its copy of the seed (for example by holding it in
    /// `zeroize::Zeroizing`).
    #[must_use]
    pub fn from_seed(seed: &[u8; PUBLIC_KEY_LEN]) -> Self {
        Self { inner: ed25519_dalek::SigningKey::from_bytes(seed) }
    }

    /// The matching public key.
    #[must_use]
    pub fn public_key(&self) -> PublicKey {
        self.inner.verifying_key().to_bytes()
    }

    /// The public key's id.
    #[must_use]
    pub fn key_id<C: Crypto>(&self, crypto: &C) -> KeyId {
        key_id(crypto, &self.public_key())
    }

    /// Signs `message` (deterministic, RFC 8032).
    #[must_use]
    pub fn sign(&self, message: &[u8]) -> [u8; SIGNATURE_LEN] {
        self.inner.sign(message).to_bytes()
    }
}

impl core::fmt::Debug for SealingKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("SealingKey(<secret>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Dalek;

    #[test]
    fn debug_never_shows_the_secret() {
        let k = SealingKey::from_seed(&[0x42; 32]);
        assert_eq!(std::format!("{k:?}"), "SealingKey(<secret>)");
    }

    #[test]
    fn key_id_is_domain_separated_sha256() {
        let k = SealingKey::from_seed(&[1; 32]);
        let pk = k.public_key();
        assert_eq!(k.key_id(&Dalek), Dalek.digest(&[b"migseal/v1/key-id\0", &pk]));
        assert_ne!(k.key_id(&Dalek), Dalek.digest(&[&pk]));
    }

    #[test]
    fn signatures_verify_under_the_public_key() {
        let k = SealingKey::from_seed(&[2; 32]);
        let sig = k.sign(b"m");
        assert_eq!(crate::verify_with_public_key(&Dalek, &k.public_key(), b"m", &sig), Ok(()));
        assert!(crate::verify_with_public_key(&Dalek, &k.public_key(), b"n", &sig).is_err());
    }
}
