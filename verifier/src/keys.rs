//! Keys: key ids, trusted public keys scoped to a vendor, and the sealing
//! key that zeroizes itself.

use ed25519_dalek::Signer;
use migseal_format::Ident;
use migseal_format::envelope::{DOMAIN_KEY_ID, IdentList, KeyId, SIGNATURE_LEN};
use zeroize::ZeroizeOnDrop;

use crate::crypto::{Crypto, CryptoFailure};
use crate::error::{Error, ErrorKind, Result};

/// The key id of an Ed25519 public key: `SHA-256("migseal/v1/key-id\0" ||
/// public key)` (spec §5.5).
#[must_use]
pub fn key_id<C: Crypto>(crypto: &C, public_key: &[u8; 32]) -> KeyId {
    crypto.digest(&[DOMAIN_KEY_ID, public_key])
}

/// A public key the policy trusts, for one vendor and optionally only some
/// of its device types.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TrustedKey<'a> {
    public_key: [u8; 32],
    /// The key decoded once, when it is trusted, so verifying an image
    /// does not decompress the same point again (the default provider
    /// uses it; another provider works from the bytes).
    prepared: Option<ed25519_dalek::VerifyingKey>,
    key_id: KeyId,
    vendor: Ident<'a>,
    device_types: IdentList<'a>,
}

impl<'a> TrustedKey<'a> {
    /// Trusts `public_key` for images of `vendor`; if `device_types` is not
    /// empty, only for those types.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidPublicKey`] for bytes that are not a point,
    /// [`ErrorKind::WeakKey`] for a small-order key (such a key would
    /// accept forged signatures under non-strict rules).
    pub fn new<C: Crypto>(
        crypto: &C,
        public_key: [u8; 32],
        vendor: Ident<'a>,
        device_types: IdentList<'a>,
    ) -> Result<Self> {
        crypto.check_public_key(&public_key).map_err(|f| {
            Error::new(
                match f {
                    CryptoFailure::WeakKey => ErrorKind::WeakKey,
                    _ => ErrorKind::InvalidPublicKey,
                },
                0,
            )
        })?;
        let prepared = crypto.prepare_public_key(&public_key);
        Ok(Self { public_key, prepared, key_id: key_id(crypto, &public_key), vendor, device_types })
    }

    /// The public key.
    #[must_use]
    pub const fn public_key(&self) -> &[u8; 32] {
        &self.public_key
    }

    /// The decoded key, when the bytes are a valid point.
    pub(crate) const fn prepared(&self) -> Option<&ed25519_dalek::VerifyingKey> {
        self.prepared.as_ref()
    }

    /// Its key id.
    #[must_use]
    pub const fn key_id(&self) -> &KeyId {
        &self.key_id
    }

    /// The vendor it is trusted for.
    #[must_use]
    pub const fn vendor(&self) -> Ident<'a> {
        self.vendor
    }

    /// The device types it is limited to (empty: all of the vendor's).
    #[must_use]
    pub const fn device_types(&self) -> IdentList<'a> {
        self.device_types
    }
}

/// An Ed25519 signing key for sealing. The secret is wiped from memory when
/// the key is dropped; it is never printed (no `Display`, a redacted
/// `Debug`).
#[derive(ZeroizeOnDrop)]
pub struct SealingKey {
    inner: ed25519_dalek::SigningKey,
}

impl SealingKey {
    /// The key whose 32-byte secret seed is `seed`. The caller should wipe
    /// its copy of the seed (for example by holding it in
    /// `zeroize::Zeroizing`).
    #[must_use]
    pub fn from_seed(seed: &[u8; 32]) -> Self {
        Self { inner: ed25519_dalek::SigningKey::from_bytes(seed) }
    }

    /// The matching public key.
    #[must_use]
    pub fn public_key(&self) -> [u8; 32] {
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
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::crypto::Dalek;

    #[test]
    fn debug_never_shows_the_secret() {
        let k = SealingKey::from_seed(&[0x42; 32]);
        assert_eq!(std::format!("{k:?}"), "SealingKey(<secret>)");
    }

    #[test]
    fn weak_keys_are_refused_when_trusted() {
        let mut identity = [0u8; 32];
        identity[0] = 1;
        let e = TrustedKey::new(&Dalek, identity, Ident::new("v").unwrap(), IdentList::EMPTY).unwrap_err();
        assert_eq!(e.kind(), &ErrorKind::WeakKey);
        assert_eq!(e.code(), 409);
    }

    #[test]
    fn key_id_is_domain_separated_sha256() {
        let k = SealingKey::from_seed(&[1; 32]);
        let pk = k.public_key();
        assert_eq!(k.key_id(&Dalek), Dalek.digest(&[b"migseal/v1/key-id\0", &pk]));
        assert_ne!(k.key_id(&Dalek), Dalek.digest(&[&pk]));
    }
}
