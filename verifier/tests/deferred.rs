//! The deferred verifier on its own (the workspace's tests compare it with
//! the streaming verifier on every vector): its counters follow the walk,
//! skipped payload is accounted exactly, digests are taken only in order
//! and only for chunks already walked, a missing or wrong digest never
//! verifies, and every refusal is sticky.
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::as_conversions
)]

mod common;

use migseal_format::envelope::Descriptor;
use migseal_verifier::chain::chunk_digest;
use migseal_verifier::{Dalek, DeferredEvent, DeferredVerifier, Error, ErrorKind, Policy, verify_image};

const CHUNKS: u64 = 3;
const CHUNK_LEN: u64 = 1024;

/// What the caller of a deferred verifier does with one chunk.
enum Digests {
    /// Hash every chunk's payload and push its digest when it ends.
    Push,
    /// Push every digest but the last.
    SkipLast,
    /// Push chunk 1's digest in place of chunk 0's.
    Wrong,
}

/// Walks `image` in `fragment`-byte pieces; returns the verifier after its
/// walk (digests pushed as `digests` says) and the chunk starts it saw.
fn walk(
    image: &[u8],
    fragment: usize,
    digests: &Digests,
    policy: &Policy,
    device: &Descriptor<'_>,
) -> (DeferredVerifier, Vec<(u64, u64, u64, u64)>) {
    let mut v = DeferredVerifier::default();
    let mut starts = Vec::new();
    let mut chunk = Vec::new();
    for piece in image.chunks(fragment) {
        let mut rest = piece;
        while !rest.is_empty() {
            let before = v.offset();
            let step = v.advance(policy, device, rest).unwrap();
            assert!(step.consumed > 0, "a call on bytes consumes some");
            assert_eq!(v.offset() - before, step.consumed as u64, "offset counts the bytes walked");
            rest = &rest[step.consumed..];
            match step.event {
                Some(DeferredEvent::ChunkStart { seq, len, stream_offset, payload_offset }) => {
                    assert_eq!((stream_offset, v.payload_remaining()), (v.offset(), len));
                    assert_eq!(v.chunks_walked(), seq, "a chunk counts once walked to its end");
                    starts.push((seq, len, stream_offset, payload_offset));
                    chunk.clear();
                }
                Some(DeferredEvent::Payload { piece, ends_chunk }) => {
                    chunk.extend_from_slice(piece.bytes);
                    assert_eq!(v.payload_remaining(), CHUNK_LEN - chunk.len() as u64);
                    if ends_chunk {
                        let seq = piece.seq;
                        assert_eq!(v.chunks_walked(), seq + 1);
                        let pushed = v.digests_pushed();
                        match digests {
                            Digests::SkipLast if seq + 1 == CHUNKS => continue,
                            Digests::Wrong if seq == 0 => {
                                v.push_chunk_digest(0, &chunk_digest(&Dalek, 1, &chunk)).unwrap();
                            }
                            _ => v.push_chunk_digest(seq, &chunk_digest(&Dalek, seq, &chunk)).unwrap(),
                        }
                        assert_eq!(v.digests_pushed(), pushed + 1);
                    }
                }
                None => {}
            }
        }
    }
    (v, starts)
}

#[test]
fn counters_follow_the_walk_and_pushed_digests_verify() {
    let (image, public_key) = common::image(CHUNKS as usize);
    common::with_policy(public_key, |policy, device| {
        let streamed = verify_image(&image, policy, device).unwrap();
        for fragment in [1, 100, image.len()] {
            let (mut v, starts) = walk(&image, fragment, &Digests::Push, policy, device);
            let seqs: Vec<(u64, u64, u64)> = starts.iter().map(|s| (s.0, s.1, s.3)).collect();
            assert_eq!(seqs, [(0, CHUNK_LEN, 0), (1, CHUNK_LEN, CHUNK_LEN), (2, CHUNK_LEN, 2 * CHUNK_LEN)]);
            assert!(v.is_sealed());
            assert_eq!((v.chunks_walked(), v.digests_pushed()), (CHUNKS, CHUNKS));
            assert!(v.verdict().is_none(), "no verdict before finish");
            let shown = format!("{v:?}");
            assert!(shown.contains("DeferredVerifier") && shown.contains("digests: 3"), "{shown}");
            let verdict = v.finish().unwrap();
            assert_eq!(verdict.image_digest(), streamed.image_digest());
            assert_eq!((verdict.chunk_count(), verdict.payload_len()), (CHUNKS, CHUNKS * CHUNK_LEN));
            let digest = *verdict.image_digest();
            assert_eq!(v.verdict().unwrap().image_digest(), &digest, "the verdict stays after finish");
            assert_eq!(v.finish().unwrap().image_digest(), &digest, "finish again: the same verdict");
            assert!(v.failure().is_none());
        }
    });
}

#[test]
fn the_seal_is_known_only_once_read() {
    let (image, public_key) = common::image(1);
    common::with_policy(public_key, |policy, device| {
        let (v, _) = walk(&image[..image.len() - 1], 64, &Digests::Push, policy, device);
        assert!(!v.is_sealed());
        assert_eq!(v.chunks_walked(), 1);
    });
}

#[test]
fn skipped_payload_is_counted_exactly() {
    let (image, public_key) = common::image(2);
    common::with_policy(public_key, |policy, device| {
        let mut v = DeferredVerifier::default();
        let mut at = 0;
        let mut skipped = Vec::new();
        while at < image.len() {
            let step = v.advance(policy, device, &image[at..]).unwrap();
            at += step.consumed;
            if let Some(DeferredEvent::ChunkStart { seq, len, .. }) = step.event {
                assert_eq!(v.skip_payload(10).unwrap(), 10, "takes what was asked");
                assert_eq!(v.payload_remaining(), len - 10);
                assert_eq!(v.skip_payload(u64::MAX).unwrap(), len - 10, "at most what remains");
                assert_eq!((v.payload_remaining(), v.chunks_walked()), (0, seq + 1));
                let data = &image[at..at + len as usize];
                v.push_chunk_digest(seq, &chunk_digest(&Dalek, seq, data)).unwrap();
                at += len as usize;
                skipped.push(seq);
            }
        }
        assert_eq!(skipped, [0, 1]);
        assert_eq!(v.offset(), image.len() as u64, "skipped bytes count as walked");
        assert_eq!(v.finish().unwrap().payload_len(), 2 * CHUNK_LEN);
    });
}

/// Every later call returns `e`.
fn assert_sticky(v: &mut DeferredVerifier, policy: &Policy, device: &Descriptor<'_>, e: Error) {
    assert_eq!(v.failure(), Some(e));
    assert_eq!(v.advance(policy, device, &[0]).unwrap_err(), e);
    assert_eq!(v.skip_payload(1).unwrap_err(), e);
    assert_eq!(v.push_chunk_digest(0, &[0; 32]).unwrap_err(), e);
    assert_eq!(v.finish().unwrap_err(), e);
    assert!(v.verdict().is_none());
}

#[test]
fn digests_out_of_order_or_early_are_refused_for_good() {
    let (image, public_key) = common::image(2);
    common::with_policy(public_key, |policy, device| {
        // Before the header: nothing can be pushed.
        let mut v = DeferredVerifier::default();
        let e = v.push_chunk_digest(0, &[0; 32]).unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::Incomplete { .. }), "{e}");
        assert_sticky(&mut v, policy, device, e);

        // Chunk 0 started but not walked to its end: its digest is early.
        let mut v = DeferredVerifier::default();
        let mut at = 0;
        loop {
            let step = v.advance(policy, device, &image[at..]).unwrap();
            at += step.consumed;
            if matches!(step.event, Some(DeferredEvent::ChunkStart { .. })) {
                break;
            }
        }
        let e = v.push_chunk_digest(0, &[0; 32]).unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::Incomplete { .. }), "{e}");
        assert_eq!(e.offset(), at as u64);
        assert_sticky(&mut v, policy, device, e);

        // Both chunks walked, chunk 1's digest first: a sequence gap.
        let mut v = DeferredVerifier::default();
        let mut at = 0;
        while at < image.len() {
            let step = v.advance(policy, device, &image[at..]).unwrap();
            at += step.consumed;
            if let Some(DeferredEvent::ChunkStart { len, .. }) = step.event {
                v.skip_payload(len).unwrap();
                at += len as usize;
            }
        }
        assert!(v.is_sealed());
        let e = v.push_chunk_digest(1, &[0; 32]).unwrap_err();
        assert_eq!(*e.kind(), ErrorKind::SequenceGap { expected: 0, found: 1 });
        assert_sticky(&mut v, policy, device, e);
    });
}

#[test]
fn a_missing_or_wrong_digest_never_verifies() {
    let (image, public_key) = common::image(CHUNKS as usize);
    common::with_policy(public_key, |policy, device| {
        let (mut v, _) = walk(&image, 512, &Digests::SkipLast, policy, device);
        let e = v.finish().unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::Incomplete { .. }), "{e}");
        let seal_offset = (image.len() - migseal_format::envelope::SEAL_RECORD_LEN) as u64;
        assert_eq!(e.offset(), seal_offset);
        assert_sticky(&mut v, policy, device, e);

        let (mut v, _) = walk(&image, 512, &Digests::Wrong, policy, device);
        let e = v.finish().unwrap_err();
        assert_eq!(*e.kind(), ErrorKind::BadSignature);
        assert_sticky(&mut v, policy, device, e);
    });
}
