//! The default crypto provider: RustCrypto `sha2` and `ed25519-dalek`
//! (`verify_strict`; `legacy_compatibility` is never enabled). The only
//! module that names dalek's verification types.

use migseal_format::envelope::{DIGEST_LEN, Digest, SIGNATURE_LEN};

use crate::crypto::{Crypto, CryptoFailure, PublicKey, Sha256};

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
/// image does not decompress the same point again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DalekKey(ed25519_dalek::VerifyingKey);

impl Crypto for Dalek {
    type Hasher = DalekSha256;
    type PreparedKey = DalekKey;

    fn sha256(&self) -> DalekSha256 {
        DalekSha256::default()
    }

    fn prepare_public_key(&self, public_key: &PublicKey) -> Result<DalekKey, CryptoFailure> {
        let key = ed25519_dalek::VerifyingKey::from_bytes(public_key)
            .map_err(|_| CryptoFailure::InvalidPublicKey)?;
        if key.is_weak() { Err(CryptoFailure::WeakKey) } else { Ok(DalekKey(key)) }
    }

    fn verify_strict(
        &self,
        key: &DalekKey,
        message: &[u8],
        signature: &[u8; SIGNATURE_LEN],
    ) -> Result<(), CryptoFailure> {
        key.0
            .verify_strict(message, &ed25519_dalek::Signature::from_bytes(signature))
            .map_err(|_| CryptoFailure::BadSignature)
    }
}
