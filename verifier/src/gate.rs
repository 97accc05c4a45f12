//! The trust gate: what the framing walk cannot decide alone. At the
//! header, the compatibility check against the destination device and the
//! policy (revocation, trust, scope, rollback, session, subject); at the
//! end, the seal's signature over the image digest. Shared by the
//! streaming and the parallel paths, so both refuse alike.

use migseal_format::cbor::len_u64;
use migseal_format::envelope::{Descriptor, Digest, Header, SEAL_RECORD_LEN, SIGNATURE_LEN, Seal};

use crate::compat;
use crate::crypto::{Crypto, CryptoFailure, signature_s_is_canonical};
use crate::error::{Error, ErrorKind, Result};
use crate::name::Name;
use crate::policy::Policy;
use crate::trust::TrustedKey;

/// Spec §8.2 steps 4–6 for a decoded header: the device first (an image
/// for another device is refused for that reason, whoever sealed it), then
/// the policy. Returns the key that must have sealed the image.
///
/// # Errors
///
/// The first compatibility reason (500–507) or policy refusal (400–408).
pub(crate) fn accept_header<'p, C: Crypto>(
    policy: &'p Policy<C>,
    device: &Descriptor<'_>,
    header: &Header<'_>,
) -> Result<&'p TrustedKey<C>> {
    let source = Descriptor::from_header(header);
    if let Some(reason) = compat::check(&source, device).first() {
        return Err(Error::new(ErrorKind::Incompatible(reason.map(Name::from)), 0));
    }
    policy.check_header(header).map_err(|k| Error::new(k, 0))
}

/// Spec §8.5: S must be canonical, then strict Ed25519 over the
/// `Sig_structure` of the image digest.
///
/// # Errors
///
/// [`ErrorKind::NonCanonicalSignature`], [`ErrorKind::BadSignature`] at
/// the signature's offset.
pub(crate) fn check_seal<C: Crypto>(
    crypto: &C,
    key: &C::PreparedKey,
    seal: &Seal,
    image_digest: &Digest,
    seal_offset: u64,
) -> Result<()> {
    let sig_at = seal_offset.saturating_add(len_u64(SEAL_RECORD_LEN.saturating_sub(SIGNATURE_LEN)));
    if !signature_s_is_canonical(&seal.signature) {
        return Err(Error::new(ErrorKind::NonCanonicalSignature, sig_at));
    }
    let tbs = Seal::to_be_signed(&seal.key_id, image_digest);
    crypto.verify_strict(key, &tbs, &seal.signature).map_err(|f| {
        let kind = match f {
            CryptoFailure::BadSignature => ErrorKind::BadSignature,
            CryptoFailure::InvalidPublicKey | CryptoFailure::WeakKey => ErrorKind::InvalidPublicKey,
        };
        Error::new(kind, sig_at)
    })
}
