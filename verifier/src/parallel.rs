//! Parallel verification of an image in memory (std): the format hashes
//! every chunk independently and only chains the 32-byte chunk digests, so
//! the expensive part — SHA-256 over the payload — splits across threads
//! without any change to the bytes.
//!
//! The structure and the gate are the [`DeferredVerifier`]'s, which is the
//! streaming verifier's own walk and checks in the same order, so the
//! parallel path refuses exactly what the streaming path refuses, at the
//! same offsets; only the chunk digests are computed elsewhere.
//!
//! The chunks are cut into contiguous runs, one per thread. The same cut
//! can be hashed run after run on the caller's thread
//! ([`verify_image_in_runs`]): for callers that must not start threads
//! per call (a fuzzer whose leak check races the exit of threads it did
//! not start itself, a host without threads), and to test the cut itself
//! deterministically.

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
    verify_split(image, policy, device, threads, Hashing::Threads, crypto)
}

/// [`verify_image_parallel`]'s work on the caller's thread: the chunks cut
/// into `runs` contiguous runs exactly as that many threads would get
/// them, each run hashed in turn. Same verdict as [`crate::verify_image`].
///
/// # Errors
///
/// As [`verify_image_parallel`].
pub fn verify_image_in_runs<'i>(
    image: &'i [u8],
    policy: &Policy,
    device: &Descriptor<'_>,
    runs: NonZeroUsize,
) -> Result<VerifiedImage<'i>> {
    verify_split(image, policy, device, runs, Hashing::CallerThread, &Dalek)
}

/// Where the runs of chunks are hashed.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Hashing {
    /// One scoped thread per run.
    Threads,
    /// One run after another on the caller's thread.
    CallerThread,
}

fn verify_split<'i, C: Crypto + Sync + Clone>(
    image: &'i [u8],
    policy: &Policy<C>,
    device: &Descriptor<'_>,
    runs: NonZeroUsize,
    hashing: Hashing,
    crypto: &C,
) -> Result<VerifiedImage<'i>> {
    let mut v = DeferredVerifier::new(crypto.clone());
    let chunks = walk(&mut v, image, policy, device)?;
    let digests = chunk_digests(crypto, &chunks, runs, hashing);
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

/// Chunk digests in order: the chunks cut into up to `runs` contiguous
/// runs (so each run streams through memory), hashed as `hashing` says.
fn chunk_digests<C: Crypto + Sync>(
    crypto: &C,
    chunks: &[&[u8]],
    runs: NonZeroUsize,
    hashing: Hashing,
) -> Vec<Digest> {
    let mut out = std::vec![[0u8; DIGEST_LEN]; chunks.len()];
    let per_run = chunks.len().div_ceil(runs.get()).max(1);
    let cut = chunks
        .chunks(per_run)
        .zip(out.chunks_mut(per_run))
        .enumerate()
        .map(|(run, (inputs, outputs))| (run.saturating_mul(per_run), inputs, outputs));
    // One run needs no thread.
    if hashing == Hashing::Threads && per_run < chunks.len() {
        std::thread::scope(|s| {
            for (first, inputs, outputs) in cut {
                s.spawn(move || hash_run(crypto, first, inputs, outputs));
            }
        });
    } else {
        for (first, inputs, outputs) in cut {
            hash_run(crypto, first, inputs, outputs);
        }
    }
    out
}

/// The digests of one run of chunks, the first of which is chunk `first`.
fn hash_run<C: Crypto>(crypto: &C, first: usize, inputs: &[&[u8]], outputs: &mut [Digest]) {
    for (i, (data, slot)) in inputs.iter().zip(outputs.iter_mut()).enumerate() {
        let seq = u64::try_from(first.saturating_add(i)).unwrap_or(u64::MAX);
        *slot = chunk_digest(crypto, seq, data);
    }
}
