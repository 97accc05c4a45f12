//! A crypto provider for measuring everything but the signature: real
//! SHA-256, and a signature check that accepts without doing the curve
//! arithmetic. It exists only so the header benchmark can isolate
//! parsing, compatibility and policy checks from the Ed25519 step, which
//! the signature benchmark measures on its own.
//!
//! Never verify anything with it: it accepts every signature.

use migseal_format::envelope::SIGNATURE_LEN;
use migseal_verifier::{Crypto, CryptoFailure, Dalek, DalekKey, DalekSha256};

/// [`Dalek`]'s hashing and key checks, with the signature check skipped.
#[derive(Clone, Copy, Debug, Default)]
pub struct SignatureExcluded;

impl Crypto for SignatureExcluded {
    type Hasher = DalekSha256;
    type PreparedKey = DalekKey;

    fn sha256(&self) -> DalekSha256 {
        Dalek.sha256()
    }

    fn prepare_public_key(&self, public_key: &[u8; 32]) -> Result<DalekKey, CryptoFailure> {
        Dalek.prepare_public_key(public_key)
    }

    fn verify_strict(
        &self,
        _key: &DalekKey,
        _message: &[u8],
        _signature: &[u8; SIGNATURE_LEN],
    ) -> Result<(), CryptoFailure> {
        Ok(())
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic,
    clippy::unreachable
)]
mod tests {
    use super::*;
    use crate::fixtures::{DEFAULT_POLICY, MTTY2_DEVICE, empty_image, mtty2_spec, with_policy};
    use migseal::policy_file::PolicyFile;
    use migseal_format::envelope::Descriptor;
    use migseal_verifier::{verify_image, verify_image_with};

    /// The shipped policy and device, the policy built for [`SignatureExcluded`].
    fn with_excluded(f: impl FnOnce(&migseal_verifier::Policy<SignatureExcluded>, &Descriptor<'_>)) {
        let policy =
            PolicyFile::from_json(DEFAULT_POLICY).unwrap().to_policy_with(&SignatureExcluded).unwrap();
        f(&policy, &Descriptor::decode(MTTY2_DEVICE).unwrap());
    }

    #[test]
    fn only_the_signature_is_skipped() {
        let mut image = empty_image(&mtty2_spec(), "linux");
        with_excluded(|policy, device| {
            assert!(verify_image_with(&image, policy, device, SignatureExcluded).is_ok());
        });
        // A flipped bit in the signature's R: the real provider refuses,
        // this one does not (that is what it is for) ...
        let r = image.len() - 64;
        image[r] ^= 1;
        with_policy(DEFAULT_POLICY, MTTY2_DEVICE, |policy, device| {
            assert_eq!(verify_image(&image, policy, device).unwrap_err().name(), "bad-signature");
        });
        with_excluded(|policy, device| {
            assert!(verify_image_with(&image, policy, device, SignatureExcluded).is_ok());
        });
        // ... but structure, header and policy checks still run.
        image[0] ^= 0xff;
        with_excluded(|policy, device| {
            assert!(verify_image_with(&image, policy, device, SignatureExcluded).is_err());
        });
    }
}
