//! Parallel verification of an image in memory (std): the format hashes
//! every chunk independently and only chains the 32-byte chunk digests, so
//! the expensive part — SHA-256 over the payload — splits across threads
//! without any change to the bytes.
//!
//! The structure, limits, header, trust and policy checks are the
//! streaming verifier's own (run with a hasher that does nothing), so the
//! parallel path refuses exactly what the streaming path refuses, at the
//! same offsets; only the digests are computed differently.

use std::num::NonZeroUsize;
use std::vec::Vec;

use migseal_format::envelope::{
    DOMAIN_HEADER, Descriptor, Digest, SIGNATURE_LEN, chain_input, chunk_prefix, image_input,
};

use crate::crypto::{Crypto, CryptoFailure, Dalek, Sha256};
use crate::error::{Error, ErrorKind, Result};
use crate::image::VerifiedImage;
use crate::policy::Policy;
use crate::stream::{Verifier, verify_seal};

/// A provider whose hashing does nothing: the structural pass only needs
/// the state machine's decisions, never a digest.
#[derive(Clone, Copy, Debug, Default)]
struct StructureOnly;

#[derive(Clone, Copy, Debug, Default)]
struct NoHash;

impl Sha256 for NoHash {
    fn update(&mut self, _: &[u8]) {}
    fn finish(self) -> Digest {
        [0; 32]
    }
}

impl Crypto for StructureOnly {
    type Hasher = NoHash;
    fn sha256(&self) -> NoHash {
        NoHash
    }
    fn verify_strict(
        &self,
        _: &[u8; 32],
        _: &[u8],
        _: &[u8; SIGNATURE_LEN],
    ) -> core::result::Result<(), CryptoFailure> {
        // Never reached: the parallel path checks the seal with real crypto.
        Err(CryptoFailure::BadSignature)
    }
    fn check_public_key(&self, _: &[u8; 32]) -> core::result::Result<(), CryptoFailure> {
        Ok(())
    }
}

/// Verifies an in-memory image with up to `threads` threads hashing chunks
/// concurrently. Gives the same verdict as [`crate::verify_image`].
///
/// # Errors
///
/// Exactly the error the streaming verifier gives for the same bytes.
pub fn verify_image_parallel<'i>(
    image: &'i [u8],
    policy: &Policy<'_>,
    device: &Descriptor<'_>,
    threads: NonZeroUsize,
) -> Result<VerifiedImage<'i>> {
    let mut structure = Verifier::with_crypto(policy, device, StructureOnly);
    structure.feed(image, |_| {})?;
    let Some(parts) = structure.sealed_parts() else {
        // Not sealed: finish() reports where the stream ended.
        structure.finish()?;
        return Err(Error::new(
            ErrorKind::Incomplete { state: "before its seal record" },
            structure.offset(),
        ));
    };

    let header_len = parts.header_bytes.len();
    let chunks: Vec<&[u8]> = VerifiedImage::chunks_of(image, header_len, parts.chunk_count).collect();
    let digests = chunk_digests(&chunks, threads);

    let crypto = Dalek;
    let mut chain = crypto.digest(&[DOMAIN_HEADER, parts.header_bytes]);
    for d in &digests {
        chain = crypto.digest(&[&chain_input(&chain, d)]);
    }
    let image_digest = crypto.digest(&[&image_input(&chain, parts.chunk_count, parts.payload_len)]);
    verify_seal(&crypto, parts.trusted_key, &parts.seal, &image_digest, parts.seal_offset)?;
    VerifiedImage::assemble(image, header_len, image_digest, parts.chunk_count, parts.payload_len)
}

/// Chunk digests in order, computed by up to `threads` scoped threads over
/// contiguous runs of chunks (so each thread streams through memory).
fn chunk_digests(chunks: &[&[u8]], threads: NonZeroUsize) -> Vec<Digest> {
    let digest = |seq: usize, data: &[u8]| {
        let seq = u64::try_from(seq).unwrap_or(u64::MAX);
        let len = u64::try_from(data.len()).unwrap_or(u64::MAX);
        let mut h = Dalek.sha256();
        h.update(&chunk_prefix(seq, len));
        h.update(data);
        h.finish()
    };
    let per_thread = chunks.len().div_ceil(threads.get()).max(1);
    let mut out = std::vec![[0u8; 32]; chunks.len()];
    std::thread::scope(|s| {
        for (run, (inputs, outputs)) in chunks.chunks(per_thread).zip(out.chunks_mut(per_thread)).enumerate()
        {
            let first = run.saturating_mul(per_thread);
            s.spawn(move || {
                for (i, (data, slot)) in inputs.iter().zip(outputs.iter_mut()).enumerate() {
                    *slot = digest(first.saturating_add(i), data);
                }
            });
        }
    });
    out
}
