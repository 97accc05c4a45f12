//! Verification with the host's crypto (WebCrypto), which is one-shot and
//! asynchronous, driven by the verifier's [`DeferredVerifier`] (chunk
//! digests pushed by the caller) in three synchronous walks over the
//! image's record heads. The walks read the image through a [`Source`] and
//! skip every chunk's payload, so the payload never has to be copied into
//! WebAssembly memory: only the host hashes it, where it lies.
//!
//! 1. **plan**: the whole structure, the trust gate and the seal's own
//!    checks (every refusal that does not depend on a digest), recording
//!    each chunk's digest input (its 33-byte prefix and where its data
//!    lies);
//! 2. **seal request**: the host has hashed the chunks (all at once, in
//!    parallel); the chain and the image digest follow from them, and the
//!    signed message, key and signature are recorded for the host's
//!    Ed25519;
//! 3. **finish**: the host's answer on the signature, with the byte-level
//!    checks of [`migseal_verifier::webcrypto_checks`] that make it §5.7's,
//!    is replayed into the verifier, which gives the final verdict or
//!    error, exactly as it gives it with [`migseal_verifier::Dalek`].
//!
//! Each pass is a [`DeferredVerifier`] with the [`Replay`] provider below:
//! the structure and the order of the checks are the verifier's (the same
//! verdicts as streaming, by its own tests), not re-implemented here. The small hashes
//! (header, chain steps, key ids, image digest: 81 bytes per chunk) stay
//! in WebAssembly: the verifier asks for them synchronously.

use std::sync::{Mutex, PoisonError};

use migseal::policy_file::PolicyFile;
use migseal_format::envelope::{
    CHUNK_PREFIX_LEN, DIGEST_LEN, Descriptor, Digest, SIGNATURE_LEN, chunk_prefix,
};
use migseal_verifier::webcrypto_checks::is_small_order_encoding;
use migseal_verifier::{
    Crypto, CryptoFailure, Dalek, DalekSha256, DeferredEvent, DeferredVerifier, Policy, PublicKey,
    signature_s_is_canonical,
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
/// (small inputs only: the [`DeferredVerifier`] never hashes a payload);
/// its signature check is the host's answer.
#[derive(Debug)]
pub struct Replay {
    signature: Signature,
    seal: Mutex<Option<SealRequest>>,
}

impl Replay {
    const fn new(signature: Signature) -> Self {
        Self { signature, seal: Mutex::new(None) }
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
}

/// Where the walks read an image: only record heads, a window at a time.
pub trait Source {
    /// The image's length in bytes.
    fn size(&self) -> u64;
    /// Up to `max` bytes from `at` (fewer at the end).
    fn read(&self, at: u64, max: usize) -> Vec<u8>;
}

impl Source for [u8] {
    fn size(&self) -> u64 {
        u64::try_from(self.len()).unwrap_or(u64::MAX)
    }

    fn read(&self, at: u64, max: usize) -> Vec<u8> {
        let from = usize::try_from(at).unwrap_or(usize::MAX);
        self.get(from..).map(|rest| rest.get(..max).unwrap_or(rest).to_vec()).unwrap_or_default()
    }
}

/// Bytes read per walk step: a chunk's head is at most 20 bytes and the
/// walker keeps what it needs of a header across steps.
const WINDOW: usize = 4096;

/// One image being verified with the host's crypto: the passes above.
#[derive(Debug)]
pub struct Job {
    policy: Policy<Replay>,
    device: Vec<u8>,
}

impl Job {
    /// Takes the policy file and the destination descriptor (canonical CBOR).
    ///
    /// # Errors
    ///
    /// The policy's refusal (an invalid entry, a key that is not a point
    /// or has small order: 409), or the device's (a descriptor that does
    /// not decode).
    pub fn new(policy: &PolicyFile, device: Vec<u8>) -> Result<Self, Failure> {
        Descriptor::decode(&device).map_err(|e| Failure::format(Input::Device, &e))?;
        let policy = policy.to_policy_with(&Replay::new(Signature::Ask)).map_err(|e| Failure::policy(&e))?;
        Ok(Self { policy, device })
    }

    /// One walk: the heads through `v`, payloads skipped; returns the chunk
    /// inputs. The digests (placeholders while planning) are then pushed
    /// in order and the seal checked.
    fn run<S: Source + ?Sized>(
        &self,
        image: &S,
        crypto: &Replay,
        digests: Option<&[Digest]>,
    ) -> Result<(Value, Vec<ChunkInput>), Failure> {
        let fail = |e: migseal_verifier::Error| Failure::verifier(Input::Image, &e, None);
        let device = Descriptor::decode(&self.device).map_err(|e| Failure::format(Input::Device, &e))?;
        let mut v = DeferredVerifier::new(Replay::new(crypto.signature));
        let (total, mut at, mut chunks) = (image.size(), 0u64, Vec::new());
        while at < total {
            let window = image.read(at, WINDOW);
            let step = v.advance(&self.policy, &device, &window).map_err(fail)?;
            at = at.saturating_add(u64::try_from(step.consumed).unwrap_or(u64::MAX));
            if let Some(DeferredEvent::ChunkStart { seq, len, stream_offset, .. }) = step.event {
                let offset = usize::try_from(stream_offset).unwrap_or(usize::MAX);
                let len_usize = usize::try_from(len).unwrap_or(usize::MAX);
                chunks.push(ChunkInput { prefix: chunk_prefix(seq, len), offset, len: len_usize });
                // Only what is there: a cut-off image ends where it ends.
                let skipped = v.skip_payload(len.min(total.saturating_sub(at))).map_err(fail)?;
                at = at.saturating_add(skipped);
            }
            if step.consumed == 0 && step.event.is_none() {
                break; // cannot happen: a step consumes or stops at an event
            }
        }
        for seq in 0..v.chunks_walked() {
            let index = usize::try_from(seq).unwrap_or(usize::MAX);
            let digest = digests.and_then(|d| d.get(index)).copied().unwrap_or([0; DIGEST_LEN]);
            v.push_chunk_digest(seq, &digest).map_err(fail)?;
        }
        let verdict = v.finish().map_err(fail)?;
        let json = verdict_json(
            verdict.header(),
            verdict.chunk_count(),
            verdict.payload_len(),
            total,
            verdict.image_digest(),
        );
        if let Some(request) = v.crypto().seal.lock().unwrap_or_else(PoisonError::into_inner).take() {
            *crypto.seal.lock().unwrap_or_else(PoisonError::into_inner) = Some(request);
        }
        Ok((json, chunks))
    }

    /// Pass 1: every chunk's digest input, in order.
    ///
    /// # Errors
    ///
    /// The image's refusal when it does not depend on a digest or the
    /// signature (structure, limits, header, trust, policy, S ≥ L): the
    /// final verdict.
    pub fn plan<S: Source + ?Sized>(&self, image: &S) -> Result<Vec<ChunkInput>, Failure> {
        self.run(image, &Replay::new(Signature::Ask), None).map(|(_, chunks)| chunks)
    }

    /// The chunk digests of `plan` computed here, with [`Dalek`]'s SHA-256:
    /// the fallback where the host has no `crypto.subtle`.
    #[cfg(feature = "wasm-crypto")]
    #[must_use]
    pub fn digests_in_wasm<S: Source + ?Sized>(image: &S, plan: &[ChunkInput]) -> Vec<Digest> {
        let at = |c: &ChunkInput| u64::try_from(c.offset).unwrap_or(u64::MAX);
        plan.iter().map(|c| Dalek.chunk_digest(&c.prefix, &image.read(at(c), c.len))).collect()
    }

    /// Pass 2: with the chunk digests the host computed for [`Job::plan`]'s
    /// inputs, what its Ed25519 must check.
    ///
    /// # Errors
    ///
    /// As [`Job::plan`] (the same refusal: it does not depend on digests).
    pub fn seal_request<S: Source + ?Sized>(
        &self,
        image: &S,
        digests: &[Digest],
    ) -> Result<SealRequest, Failure> {
        let crypto = Replay::new(Signature::Ask);
        self.run(image, &crypto, Some(digests))?;
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
    pub fn finish<S: Source + ?Sized>(
        &self,
        image: &S,
        digests: &[Digest],
        request: &SealRequest,
        host_accepts: bool,
    ) -> Result<Value, Failure> {
        let accepted = host_accepts && strict_checks_pass(&request.public_key, &request.signature);
        self.run(image, &Replay::new(Signature::Known(accepted)), Some(digests)).map(|(v, _)| v)
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
    match Replay::new(Signature::Ask).prepare_public_key(public_key) {
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
