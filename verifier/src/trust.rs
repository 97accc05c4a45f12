//! The trust store: public keys scoped to a vendor (and optionally some of
//! its device types), and revoked key ids. Fixed capacity, no allocation,
//! identifiers copied inline, so it can live in a driver's device struct,
//! a C caller's block or a JS object next to the verifier. Each key is
//! checked and prepared once, when it is added.

use migseal_format::envelope::KeyId;
use migseal_format::{Ident, IdentBuf};

use crate::crypto::{Crypto, CryptoFailure, PublicKey};
use crate::error::{Error, ErrorKind, Result};
use crate::sealing_key::key_id;

/// Most trusted keys a store holds.
pub const MAX_TRUSTED_KEYS: usize = 16;
/// Most device types one trusted key can be limited to.
pub const MAX_KEY_TYPES: usize = 8;
/// Most revoked key ids a store holds.
pub const MAX_REVOKED: usize = 32;

/// A public key the store trusts, for one vendor and optionally only some
/// of its device types.
#[derive(Clone)]
pub struct TrustedKey<C: Crypto> {
    public_key: PublicKey,
    key_id: KeyId,
    prepared: C::PreparedKey,
    vendor: IdentBuf,
    /// The first `n_types` are set; none means every type of the vendor.
    device_types: [Option<IdentBuf>; MAX_KEY_TYPES],
}

impl<C: Crypto> core::fmt::Debug for TrustedKey<C> {
    // The provider's prepared form is left out: it is the public key again.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("TrustedKey")
            .field("key_id", &crate::name::KeyIdHex::of(&self.key_id))
            .field("vendor", &self.vendor)
            .field("device_types", &self.device_types)
            .finish()
    }
}

impl<C: Crypto> TrustedKey<C> {
    /// The public key.
    #[must_use]
    pub const fn public_key(&self) -> &PublicKey {
        &self.public_key
    }

    /// Its key id (spec §5.5).
    #[must_use]
    pub const fn key_id(&self) -> &KeyId {
        &self.key_id
    }

    /// The provider's prepared form of the key.
    #[must_use]
    pub const fn prepared(&self) -> &C::PreparedKey {
        &self.prepared
    }

    /// The vendor it is trusted for.
    #[must_use]
    pub fn vendor(&self) -> Ident<'_> {
        self.vendor.get()
    }

    /// The device types it is limited to (none: all of the vendor's).
    pub fn device_types(&self) -> impl Iterator<Item = Ident<'_>> {
        self.device_types.iter().map_while(Option::as_ref).map(IdentBuf::get)
    }

    /// Whether it may seal images of `device_type`.
    #[must_use]
    pub fn covers_type(&self, device_type: Ident<'_>) -> bool {
        let mut types = self.device_types().peekable();
        types.peek().is_none() || types.any(|t| t == device_type)
    }
}

/// Trusted keys and revoked key ids.
#[derive(Clone, Debug)]
pub struct TrustStore<C: Crypto> {
    keys: [Option<TrustedKey<C>>; MAX_TRUSTED_KEYS],
    revoked: [Option<KeyId>; MAX_REVOKED],
}

impl<C: Crypto> Default for TrustStore<C> {
    fn default() -> Self {
        Self::new()
    }
}

impl<C: Crypto> TrustStore<C> {
    /// An empty store.
    #[must_use]
    pub const fn new() -> Self {
        Self { keys: [const { None }; MAX_TRUSTED_KEYS], revoked: [None; MAX_REVOKED] }
    }

    /// Trusts `public_key` for images of `vendor`; if `device_types` is not
    /// empty, only for those types. The key is checked and prepared now,
    /// once. Returns its key id.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidPublicKey`] for bytes that are not a point,
    /// [`ErrorKind::WeakKey`] for a small-order key (it would accept forged
    /// signatures under non-strict rules), [`ErrorKind::TrustStoreFull`]
    /// when [`MAX_TRUSTED_KEYS`] keys are trusted or more than
    /// [`MAX_KEY_TYPES`] device types are given. The store is unchanged.
    pub fn trust(
        &mut self,
        crypto: &C,
        public_key: PublicKey,
        vendor: Ident<'_>,
        device_types: &[Ident<'_>],
    ) -> Result<KeyId> {
        if device_types.len() > MAX_KEY_TYPES {
            return Err(full(MAX_KEY_TYPES));
        }
        let slot = self.keys.iter_mut().find(|k| k.is_none()).ok_or(full(MAX_TRUSTED_KEYS))?;
        let prepared = crypto.prepare_public_key(&public_key).map_err(|f| {
            let kind = match f {
                CryptoFailure::WeakKey => ErrorKind::WeakKey,
                CryptoFailure::InvalidPublicKey | CryptoFailure::BadSignature => ErrorKind::InvalidPublicKey,
            };
            Error::new(kind, 0)
        })?;
        let mut types = [None; MAX_KEY_TYPES];
        for (slot, t) in types.iter_mut().zip(device_types) {
            *slot = Some(IdentBuf::copy(*t));
        }
        let key_id = key_id(crypto, &public_key);
        *slot = Some(TrustedKey {
            public_key,
            key_id,
            prepared,
            vendor: IdentBuf::copy(vendor),
            device_types: types,
        });
        Ok(key_id)
    }

    /// Revokes `key_id`: revocation wins over trust.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::TrustStoreFull`] when [`MAX_REVOKED`] ids are revoked.
    pub fn revoke(&mut self, key_id: KeyId) -> Result<()> {
        if self.is_revoked(&key_id) {
            return Ok(());
        }
        let slot = self.revoked.iter_mut().find(|r| r.is_none()).ok_or(full(MAX_REVOKED))?;
        *slot = Some(key_id);
        Ok(())
    }

    /// Whether `key_id` is revoked.
    #[must_use]
    pub fn is_revoked(&self, key_id: &KeyId) -> bool {
        self.revoked().any(|r| r == key_id)
    }

    /// The first trusted key with this id.
    #[must_use]
    pub fn find(&self, key_id: &KeyId) -> Option<&TrustedKey<C>> {
        self.keys().find(|k| k.key_id() == key_id)
    }

    /// The trusted keys, in the order they were added.
    pub fn keys(&self) -> impl Iterator<Item = &TrustedKey<C>> {
        // Slots fill from the front and are never emptied: the first empty
        // one ends the list (a header check never walks the spare slots).
        self.keys.iter().map_while(Option::as_ref)
    }

    /// The revoked key ids.
    pub fn revoked(&self) -> impl Iterator<Item = &KeyId> {
        self.revoked.iter().map_while(Option::as_ref)
    }
}

fn full(capacity: usize) -> Error {
    Error::new(ErrorKind::TrustStoreFull { capacity: migseal_format::cbor::len_u64(capacity) }, 0)
}

#[cfg(test)]
mod tests;
