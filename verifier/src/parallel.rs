//! Parallel verification of an image in memory (std): the format hashes
//! every chunk independently and only chains the 32-byte chunk digests, so
//! the expensive part — SHA-256 over the payload — splits across threads
//! without any change to the bytes.
//!
//! The structure and the gate are the streaming verifier's own (the same
//! framing walk, the same header and seal checks, in the same order), so
//! the parallel path refuses exactly what the streaming path refuses, at
//! the same offsets; only the chunk digests are computed elsewhere.

use std::num::NonZeroUsize;
use std::vec::Vec;

use migseal_format::envelope::{DIGEST_LEN, Descriptor, Digest, Seal};

use crate::chain::{DigestChain, chunk_digest};
use crate::crypto::Crypto;
use crate::dalek::Dalek;
use crate::error::{Error, ErrorKind, Result};
use crate::framing::{Event, Walker};
use crate::gate;
use crate::image::VerifiedImage;
use crate::policy::Policy;
use crate::trust::TrustedKey;

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
pub fn verify_image_parallel_with<'i, C: Crypto + Sync>(
    image: &'i [u8],
    policy: &Policy<C>,
    device: &Descriptor<'_>,
    threads: NonZeroUsize,
    crypto: &C,
) -> Result<VerifiedImage<'i>> {
    let walked = walk(image, policy, device)?;
    let digests = chunk_digests(crypto, &walked.chunks, threads);
    let mut chain = DigestChain::start(crypto, walked.header_record);
    for d in &digests {
        chain.push(crypto, d);
    }
    let (count, total) = (walked.chunk_count, walked.payload_len);
    let image_digest = chain.image_digest(crypto, count, total);
    gate::check_seal(crypto, walked.key.prepared(), &walked.seal, &image_digest, walked.seal_offset)?;
    VerifiedImage::assemble(image, walked.header_record.len(), image_digest, count, total)
}

/// What the structural pass leaves for hashing and the seal check.
struct Walked<'i, 'p, C: Crypto> {
    header_record: &'i [u8],
    key: &'p TrustedKey<C>,
    chunks: Vec<&'i [u8]>,
    seal: Seal,
    seal_offset: u64,
    chunk_count: u64,
    payload_len: u64,
}

/// The framing walk over the whole image, with the gate at the header.
fn walk<'i, 'p, C: Crypto>(
    image: &'i [u8],
    policy: &'p Policy<C>,
    device: &Descriptor<'_>,
) -> Result<Walked<'i, 'p, C>> {
    let limits = policy.limits();
    let mut walker = Walker::new();
    let mut key = None;
    let mut header_len = 0usize;
    let mut chunks = Vec::new();
    let mut used = 0usize;
    while let Some(rest) = image.get(used..).filter(|r| !r.is_empty()) {
        let step = walker.advance(&limits, rest)?;
        used = used.saturating_add(step.consumed);
        match step.event {
            Some(Event::Header { header, record }) => {
                key = Some(gate::accept_header(policy, device, &header)?);
                header_len = record.len();
            }
            // The whole image is in one slice, so each chunk's payload is
            // one piece.
            Some(Event::Payload { piece, .. }) => chunks.push(piece.bytes),
            Some(Event::Seal { seal, offset, chunk_count, payload_len }) => {
                let key = key.ok_or(Error::new(ErrorKind::Incomplete { state: "before its header" }, 0))?;
                // Nothing may follow the seal: the walker refuses it.
                if let Some(rest) = image.get(used..).filter(|r| !r.is_empty()) {
                    walker.advance(&limits, rest)?;
                }
                let header_record = image.get(..header_len).unwrap_or(&[]);
                return Ok(Walked {
                    header_record,
                    key,
                    chunks,
                    seal,
                    seal_offset: offset,
                    chunk_count,
                    payload_len,
                });
            }
            Some(Event::ChunkStart { .. }) | None => {}
        }
    }
    // The image ended before its seal: the walker says where.
    walker.end_of_stream()?;
    Err(Error::new(ErrorKind::Incomplete { state: "before its seal record" }, walker.offset()))
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
