//! Parallel verification of an image in memory (std): the format hashes
//! every chunk independently and only chains the 32-byte chunk digests, so
//! the expensive part — SHA-256 over the payload — splits across threads
//! without any change to the bytes.
//!
//! The structure and the gate are the [`DeferredVerifier`]'s, which is the
//! streaming verifier's own walk and checks in the same order, so the
//! parallel path refuses exactly what the streaming path refuses, at the
//! same offsets; only the chunk digests are computed elsewhere.

use std::num::NonZeroUsize;
use std::vec::Vec;

use migseal_format::envelope::{DIGEST_LEN, Descriptor, Digest};

use crate::chain::chunk_digest;
use crate::crypto::Crypto;
use crate::dalek::Dalek;
use crate::deferred::{DeferredEvent, DeferredVerifier};
use crate::error::Result;
use crate::image::VerifiedImage;
use crate::policy::Policy;

/// Verifies an in-memory image with up to `threads` threads hashing chunks
/// concurrently (one thread hashes on the caller's). Gives the same
/// verdict as [`crate::verify_image`].
///
/// # Errors
///
/// Exactly the error the streaming verifier gives for the same bytes.
pub fn verify_image_parallel<'i>(
    image: &'i [u8],
    policy: &Policy,
    device: &Descriptor<'_>,
    threads: NonZeroUsize,
) -> Result<VerifiedImage<'i>> {
    verify_image_parallel_with(image, policy, device, threads, &Dalek)
}

/// [`verify_image_parallel`] with a caller's crypto provider.
///
/// # Errors
///
/// As [`verify_image_parallel`].
pub fn verify_image_parallel_with<'i, C: Crypto + Sync + Clone>(
    image: &'i [u8],
    policy: &Policy<C>,
    device: &Descriptor<'_>,
    threads: NonZeroUsize,
    crypto: &C,
) -> Result<VerifiedImage<'i>> {
    let mut v = DeferredVerifier::new(crypto.clone());
    let chunks = walk(&mut v, image, policy, device)?;
    let digests = chunk_digests(crypto, &chunks, threads);
    for (seq, d) in (0u64..).zip(&digests) {
        v.push_chunk_digest(seq, d)?;
    }
    let verdict = v.finish()?;
    let (header_len, image_digest) = (verdict.header_bytes().len(), *verdict.image_digest());
    let (count, total) = (verdict.chunk_count(), verdict.payload_len());
    VerifiedImage::assemble(image, header_len, image_digest, count, total)
}

/// The deferred verifier's walk over the whole image (structure, limits,
/// the gate at the header, the seal record); returns each chunk's payload.
fn walk<'i, C: Crypto>(
    v: &mut DeferredVerifier<C>,
    image: &'i [u8],
    policy: &Policy<C>,
    device: &Descriptor<'_>,
) -> Result<Vec<&'i [u8]>> {
    let mut chunks = Vec::new();
    let mut rest = image;
    while !rest.is_empty() {
        let step = v.advance(policy, device, rest)?;
        // The whole image is in one slice, so each chunk's payload is one
        // piece.
        if let Some(DeferredEvent::Payload { piece, .. }) = step.event {
            chunks.push(piece.bytes);
        }
        rest = rest.get(step.consumed..).unwrap_or(&[]);
    }
    Ok(chunks)
}

/// Chunk digests in order, computed by up to `threads` scoped threads over
/// contiguous runs of chunks (so each thread streams through memory).
fn chunk_digests<C: Crypto + Sync>(crypto: &C, chunks: &[&[u8]], threads: NonZeroUsize) -> Vec<Digest> {
    let digest = |seq: usize, data: &[u8]| chunk_digest(crypto, u64::try_from(seq).unwrap_or(u64::MAX), data);
    let mut out = std::vec![[0u8; DIGEST_LEN]; chunks.len()];
    if threads.get() == 1 || chunks.len() < 2 {
        for (seq, (data, slot)) in chunks.iter().zip(out.iter_mut()).enumerate() {
            *slot = digest(seq, data);
        }
        return out;
    }
    let per_thread = chunks.len().div_ceil(threads.get()).max(1);
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
