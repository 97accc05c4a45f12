//! Verification with the host's crypto (WebCrypto), which is one-shot and
//! asynchronous, driven by the verifier's own checks in three synchronous
//! passes over the image in memory:
//!
//! 1. **plan**: the whole structure, the trust gate and the seal's own
//!    checks (every refusal that does not depend on a digest), recording
//!    each chunk's digest input (its 33-byte prefix and where its data
//!    lies) instead of hashing it;
//! 2. **seal request**: the host has hashed the chunks (all at once, in
//!    parallel); the chain and the image digest follow from them, and the
//!    signed message, key and signature are recorded for the host's
//!    Ed25519;
//! 3. **finish**: the host's answer on the signature, with the byte-level
//!    checks of [`migseal_verifier::webcrypto_checks`] that make it §5.7's,
//!    is replayed into the verifier, which gives the final verdict or
//!    error, exactly as it gives it with [`migseal_verifier::Dalek`].
//!
//! Each pass is the verifier's `verify_image_parallel_with` on one thread
//! with the [`Replay`] provider below: the structure and the order of the
//! checks are the verifier's, not re-implemented here. The small hashes
//! (header, chain steps, key ids, image digest: 81 bytes per chunk) stay
//! in WebAssembly: the verifier asks for them synchronously.

use std::num::NonZeroUsize;
use std::sync::{Mutex, PoisonError};

use migseal::policy_file::PolicyFile;
use migseal_format::cbor::len_u64;
use migseal_format::envelope::{CHUNK_PREFIX_LEN, DIGEST_LEN, Descriptor, Digest, SIGNATURE_LEN};
use migseal_verifier::webcrypto_checks::is_small_order_encoding;
use migseal_verifier::{
    Crypto, CryptoFailure, Dalek, DalekSha256, Policy, PublicKey, signature_s_is_canonical,
    verify_image_parallel_with,
};
use serde_json::Value;

use crate::error::{Failure, Input};
use crate::verify::verdict_json;

/// One chunk's digest input: `SHA-256(prefix || image[offset .. offset + len])`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChunkInput {
    /// `DOMAIN_CHUNK || u64be(seq) || u64be(len)`.
    pub prefix: [u8; CHUNK_PREFIX_LEN],
    /// Where the chunk's data starts in the image.
    pub offset: usize,
    /// Its length.
    pub len: usize,
}

/// What the host's Ed25519 is asked: does `signature` verify `message`
/// under `public_key` (RFC 8032, cofactorless)?
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SealRequest {
    /// The trusted key, as configured (it passed [`Crypto::prepare_public_key`]).
    pub public_key: PublicKey,
    /// The COSE `Sig_structure` over the image digest.
    pub message: Vec<u8>,
    /// R ‖ S.
    pub signature: [u8; SIGNATURE_LEN],
}

/// The signature's fate in a pass.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Signature {
    /// Not known yet: record the request, let the pass go on.
    Ask,
    /// The host answered (after the byte-level checks).
    Known(bool),
}

/// The provider the passes run with. Its hashing is [`Dalek`]'s SHA-256
/// (small inputs only); its chunk digests are the host's, or placeholders
/// in the plan pass; its signature check is the host's answer.
#[derive(Debug)]
pub struct Replay {
    /// Where the image starts, to locate each chunk's data.
    base: usize,
    /// The host's chunk digests, by sequence number (empty while planning).
    digests: Vec<Digest>,
    signature: Signature,
    chunks: Mutex<Vec<ChunkInput>>,
    seal: Mutex<Option<SealRequest>>,
}

impl Replay {
    fn new(image: &[u8], digests: Vec<Digest>, signature: Signature) -> Self {
        Self {
            base: image.as_ptr().addr(),
            digests,
            signature,
            chunks: Mutex::new(Vec::new()),
            seal: Mutex::new(None),
        }
    }

    /// A provider for preparing a policy's keys (never hashes a chunk).
    fn for_keys() -> Self {
        Self::new(&[], Vec::new(), Signature::Ask)
    }
}

impl Crypto for Replay {
    type Hasher = DalekSha256;
    type PreparedKey = PublicKey;

    fn sha256(&self) -> DalekSha256 {
        Dalek.sha256()
    }

    /// §5.7 rule 2 and A's small order as [`Dalek`] decides them: a host
    /// key import does not check that the bytes are a point.
    fn prepare_public_key(&self, public_key: &PublicKey) -> Result<PublicKey, CryptoFailure> {
        Dalek.prepare_public_key(public_key).map(|_| *public_key)
    }

    fn verify_strict(
        &self,
        key: &PublicKey,
        message: &[u8],
        signature: &[u8; SIGNATURE_LEN],
    ) -> Result<(), CryptoFailure> {
        match self.signature {
            Signature::Ask => {
                let request =
                    SealRequest { public_key: *key, message: message.to_vec(), signature: *signature };
                *self.seal.lock().unwrap_or_else(PoisonError::into_inner) = Some(request);
                Ok(())
            }
            Signature::Known(true) => Ok(()),
            Signature::Known(false) => Err(CryptoFailure::BadSignature),
        }
    }

    fn chunk_digest(&self, prefix: &[u8; CHUNK_PREFIX_LEN], data: &[u8]) -> Digest {
        if self.digests.is_empty() {
            let offset = data.as_ptr().addr().saturating_sub(self.base);
            let input = ChunkInput { prefix: *prefix, offset, len: data.len() };
            self.chunks.lock().unwrap_or_else(PoisonError::into_inner).push(input);
            return [0; DIGEST_LEN];
        }
        // The prefix carries the sequence number (after the 17-byte domain).
        let seq = prefix.get(17..25).and_then(|b| <[u8; 8]>::try_from(b).ok()).map(u64::from_be_bytes);
        let digest = seq.and_then(|s| usize::try_from(s).ok()).and_then(|i| self.digests.get(i));
        digest.copied().unwrap_or([0; DIGEST_LEN])
    }
}

/// One image being verified with the host's crypto: the passes above.
#[derive(Debug)]
pub struct Job {
    image: Vec<u8>,
    policy: Policy<Replay>,
    device: Vec<u8>,
}

impl Job {
    /// Takes the image, the policy file and the destination descriptor
    /// (canonical CBOR).
    ///
    /// # Errors
    ///
    /// The policy's refusal (an invalid entry, a key that is not a point
    /// or has small order: 409), or the device's (a descriptor that does
    /// not decode).
    pub fn new(image: Vec<u8>, policy: &PolicyFile, device: Vec<u8>) -> Result<Self, Failure> {
        Descriptor::decode(&device).map_err(|e| Failure::format(Input::Device, &e))?;
        let policy = policy.to_policy_with(&Replay::for_keys()).map_err(|e| Failure::policy(&e))?;
        Ok(Self { image, policy, device })
    }

    /// The image's length.
    #[must_use]
    pub fn image_len(&self) -> usize {
        self.image.len()
    }

    fn run(&self, crypto: &Replay) -> Result<Value, Failure> {
        let device = Descriptor::decode(&self.device).map_err(|e| Failure::format(Input::Device, &e))?;
        let v = verify_image_parallel_with(&self.image, &self.policy, &device, NonZeroUsize::MIN, crypto)
            .map_err(|e| Failure::verifier(Input::Image, &e, None))?;
        Ok(verdict_json(
            v.header(),
            v.chunk_count(),
            v.payload_len(),
            len_u64(self.image.len()),
            v.image_digest(),
        ))
    }

    /// Pass 1: every chunk's digest input, in order.
    ///
    /// # Errors
    ///
    /// The image's refusal when it does not depend on a digest or the
    /// signature (structure, limits, header, trust, policy, S ≥ L): the
    /// final verdict.
    pub fn plan(&self) -> Result<Vec<ChunkInput>, Failure> {
        let crypto = Replay::new(&self.image, Vec::new(), Signature::Ask);
        self.run(&crypto)?;
        Ok(core::mem::take(&mut *crypto.chunks.lock().unwrap_or_else(PoisonError::into_inner)))
    }

    /// The chunk digests of `plan` computed here, with [`Dalek`]'s SHA-256:
    /// the fallback where the host has no `crypto.subtle`.
    #[cfg(feature = "wasm-crypto")]
    #[must_use]
    pub fn digests_in_wasm(&self, plan: &[ChunkInput]) -> Vec<Digest> {
        let data = |c: &ChunkInput| self.image.get(c.offset..c.offset.saturating_add(c.len)).unwrap_or(&[]);
        plan.iter().map(|c| Dalek.chunk_digest(&c.prefix, data(c))).collect()
    }

    /// Pass 2: with the chunk digests the host computed for [`Job::plan`]'s
    /// inputs, what its Ed25519 must check.
    ///
    /// # Errors
    ///
    /// As [`Job::plan`] (the same refusal: it does not depend on digests).
    pub fn seal_request(&self, digests: Vec<Digest>) -> Result<SealRequest, Failure> {
        let crypto = Replay::new(&self.image, digests, Signature::Ask);
        self.run(&crypto)?;
        let request = crypto.seal.lock().unwrap_or_else(PoisonError::into_inner).take();
        request.ok_or_else(|| {
            Failure::invalid(Input::Image, "internal: the verifier asked for no signature check")
        })
    }

    /// Pass 3: the verdict, given the digests and the host's answer on the
    /// [`SealRequest`] (`true`: the signature verifies). The byte-level
    /// checks of §5.7 the host may skip are applied here.
    ///
    /// # Errors
    ///
    /// The verifier's refusal of the image, as [`migseal_verifier::verify_image`]
    /// gives it.
    pub fn finish(
        &self,
        digests: Vec<Digest>,
        request: &SealRequest,
        host_accepts: bool,
    ) -> Result<Value, Failure> {
        let accepted = host_accepts && strict_checks_pass(&request.public_key, &request.signature);
        self.run(&Replay::new(&self.image, digests, Signature::Known(accepted)))
    }
}

/// The checks of spec §5.7 a cofactorless host verifier (WebCrypto) may
/// skip, on bytes alone: S < L (rule 1; the verifier checked it already),
/// R and A not of small order (rule 3; A was checked when trusted).
#[must_use]
pub fn strict_checks_pass(public_key: &PublicKey, signature: &[u8; SIGNATURE_LEN]) -> bool {
    let r_small = signature.first_chunk::<32>().is_none_or(is_small_order_encoding);
    signature_s_is_canonical(signature) && !r_small && !is_small_order_encoding(public_key)
}

/// §5.7's verdict on one (key, message, signature) with the host's answer
/// (`host_accepts`), as a code: 0 accepted, 601 S ≥ L, 602 A is not a
/// point, 409 A has small order, 600 refused. The Ed25519 suites use it.
#[must_use]
pub fn suite_verdict(
    public_key: &PublicKey,
    signature: &[u8; SIGNATURE_LEN],
    host_accepts: impl FnOnce() -> bool,
) -> u16 {
    if !signature_s_is_canonical(signature) {
        return 601;
    }
    match Replay::for_keys().prepare_public_key(public_key) {
        Err(CryptoFailure::InvalidPublicKey) => 602,
        Err(_) => 409,
        Ok(_) if !strict_checks_pass(public_key, signature) => 600,
        Ok(_) => {
            if host_accepts() {
                0
            } else {
                600
            }
        }
    }
}

#[cfg(test)]
mod tests;
