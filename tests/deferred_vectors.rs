//! The deferred verifier (chunk digests computed elsewhere, pushed in
//! order) gives exactly the streaming verifier's verdict — same image
//! digest, or the same error code, offset and message — on every image
//! vector and on damaged copies of them (truncated, bytes flipped in
//! header, chunk heads, payload and seal), whether the caller takes the
//! payload pieces or skips past them, and whether digests arrive as each
//! chunk ends or all after the seal.

use std::path::{Path, PathBuf};

use migseal::format::envelope::Descriptor;
use migseal::policy_file::PolicyFile;
use migseal::verifier::chain::chunk_digest;
use migseal::verifier::{Dalek, DeferredEvent, DeferredVerifier, Policy, Verifier};
use serde_json::Value;

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("spec/vectors")
}

fn read(rel: &str) -> Vec<u8> {
    std::fs::read(dir().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// The image digest, or the error's code, offset and message.
type Outcome = Result<[u8; 32], (u16, u64, String)>;

fn refused(e: &migseal::verifier::Error) -> (u16, u64, String) {
    (e.code(), e.offset(), e.to_string())
}

fn stream(image: &[u8], policy: &Policy, device: &Descriptor<'_>, fragment: usize) -> Outcome {
    let mut v = Verifier::default();
    for piece in image.chunks(fragment.max(1)) {
        v.feed(policy, device, piece, |_| {}).map_err(|e| refused(&e))?;
    }
    v.finish().map(|d| *d.image_digest()).map_err(|e| refused(&e))
}

/// How the deferred caller handles payload and digests.
#[derive(Clone, Copy, Debug)]
enum Mode {
    /// Takes payload pieces from `advance`, pushes each digest when its
    /// chunk ends; input in fragments.
    Pieces { fragment: usize },
    /// Skips the payload (reads it from the image itself, as a positioned
    /// read would), pushes every digest only at the end.
    Skip,
}

fn deferred(image: &[u8], policy: &Policy, device: &Descriptor<'_>, mode: Mode) -> Outcome {
    let mut v = DeferredVerifier::default();
    let mut later = Vec::new();
    match mode {
        Mode::Pieces { fragment } => {
            let mut current: Vec<u8> = Vec::new();
            for fragment in image.chunks(fragment.max(1)) {
                let mut rest = fragment;
                while !rest.is_empty() {
                    let step = v.advance(policy, device, rest).map_err(|e| refused(&e))?;
                    if let Some(DeferredEvent::Payload { piece, ends_chunk }) = step.event {
                        current.extend_from_slice(piece.bytes);
                        if ends_chunk {
                            let d = chunk_digest(&Dalek, piece.seq, &current);
                            v.push_chunk_digest(piece.seq, &d).map_err(|e| refused(&e))?;
                            current.clear();
                        }
                    }
                    rest = rest.get(step.consumed..).unwrap_or(&[]);
                }
            }
        }
        Mode::Skip => {
            let mut at = 0usize;
            while at < image.len() {
                let step = v.advance(policy, device, &image[at..]).map_err(|e| refused(&e))?;
                at += step.consumed;
                if let Some(DeferredEvent::ChunkStart { seq, len, stream_offset, .. }) = step.event {
                    let start = usize::try_from(stream_offset).expect("offset");
                    assert_eq!(start, at, "the payload starts where the head ended");
                    let avail = (image.len() - start) as u64;
                    let skipped = v.skip_payload(len.min(avail)).map_err(|e| refused(&e))?;
                    at += usize::try_from(skipped).expect("fits");
                    if skipped == len {
                        later.push((seq, chunk_digest(&Dalek, seq, &image[start..at])));
                    }
                }
            }
        }
    }
    for (seq, d) in later {
        v.push_chunk_digest(seq, &d).map_err(|e| refused(&e))?;
    }
    v.finish().map(|d| *d.image_digest()).map_err(|e| refused(&e))
}

/// Damaged copies of an image: truncations and one flipped byte at a
/// spread of places (header, heads, payload, seal).
fn damaged(image: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let n = image.len();
    let mut cuts = vec![0, 1, n / 3, n / 2, n.saturating_sub(155), n.saturating_sub(64), n.saturating_sub(1)];
    cuts.dedup();
    for cut in cuts {
        if cut < n {
            out.push((format!("cut@{cut}"), image[..cut].to_vec()));
        }
    }
    for at in (0..n).step_by((n / 24).max(1)).chain([n.saturating_sub(1), n.saturating_sub(100)]) {
        if at < n {
            let mut copy = image.to_vec();
            copy[at] ^= 0x5a;
            out.push((format!("flip@{at}"), copy));
        }
    }
    let mut longer = image.to_vec();
    longer.push(0);
    out.push(("trailing".into(), longer));
    out
}

#[test]
fn deferred_verifier_equals_streaming_verifier_on_every_image_vector() {
    let text = String::from_utf8(read("index.json")).expect("utf-8");
    let doc: Value = serde_json::from_str(&text).expect("index parses");
    let mut checked = 0usize;
    let mut failures = Vec::new();
    for vector in doc["vectors"].as_array().expect("vectors") {
        if vector["kind"] != "image" {
            continue;
        }
        let name = vector["name"].as_str().expect("name");
        let image = read(vector["file"].as_str().expect("file"));
        let device_bytes = read(vector["device"].as_str().expect("device"));
        let device = Descriptor::decode(&device_bytes).expect("device decodes");
        let policy_text = String::from_utf8(read(vector["policy"].as_str().expect("policy"))).expect("utf-8");
        let policy = PolicyFile::from_json(&policy_text).expect("policy parses");
        policy
            .with_policy(|p| {
                let mut cases = vec![("as is".to_owned(), image.clone())];
                cases.extend(damaged(&image));
                for (case, bytes) in cases {
                    let want = stream(&bytes, p, &device, 7);
                    assert_eq!(want, stream(&bytes, p, &device, bytes.len().max(1)), "{name} {case}");
                    for mode in [Mode::Pieces { fragment: 1 }, Mode::Pieces { fragment: 4096 }, Mode::Skip] {
                        let got = deferred(&bytes, p, &device, mode);
                        if got != want {
                            failures
                                .push(format!("{name} {case} {mode:?}: stream {want:?}, deferred {got:?}"));
                        }
                        checked += 1;
                    }
                }
            })
            .expect("policy builds");
    }
    assert!(checked > 1000, "checked {checked} cases");
    assert!(failures.is_empty(), "{} mismatches:\n{}", failures.len(), failures.join("\n"));
}

/// Walks the six-chunk vector with skipped payload; returns the verifier
/// at its seal and the chunk digests in order.
fn walked_six_chunks(p: &Policy, device: &Descriptor<'_>, image: &[u8]) -> (DeferredVerifier, Vec<[u8; 32]>) {
    let mut v = DeferredVerifier::default();
    let mut digests = Vec::new();
    let mut at = 0usize;
    while at < image.len() {
        let step = v.advance(p, device, &image[at..]).expect("walks");
        at += step.consumed;
        if let Some(DeferredEvent::ChunkStart { seq, len, .. }) = step.event {
            let len = usize::try_from(len).expect("fits");
            digests.push(chunk_digest(&Dalek, seq, &image[at..at + len]));
            assert_eq!(v.skip_payload(u64::MAX).expect("skips"), len as u64);
            at += len;
        }
    }
    assert!(v.is_sealed());
    (v, digests)
}

#[test]
fn digests_out_of_order_missing_or_wrong_are_refused() {
    let image = read("images/mtty-2-six-chunks.migseal");
    let device_bytes = read("devices/mtty-2.cbor");
    let device = Descriptor::decode(&device_bytes).expect("device decodes");
    let text = String::from_utf8(read("policies/default.json")).expect("utf-8");
    PolicyFile::from_json(&text)
        .expect("policy parses")
        .with_policy(|p| {
            let (mut v, digests) = walked_six_chunks(p, &device, &image);
            assert_eq!(digests.len(), 6);
            assert_eq!(v.chunks_walked(), 6);
            let out_of_order = v.push_chunk_digest(1, &digests[1]).expect_err("seq 1 before seq 0");
            assert_eq!(out_of_order.code(), 301, "{out_of_order}");
            assert_eq!(v.finish().expect_err("sticky"), out_of_order);

            let (mut v, digests) = walked_six_chunks(p, &device, &image);
            for (seq, d) in (0u64..).zip(&digests[..5]) {
                v.push_chunk_digest(seq, d).expect("in order");
            }
            assert_eq!(v.digests_pushed(), 5);
            assert_eq!(v.finish().expect_err("a digest missing").code(), 306);

            let (mut v, digests) = walked_six_chunks(p, &device, &image);
            for (seq, d) in (0u64..).zip(&digests) {
                let mut d = *d;
                if seq == 3 {
                    d[0] ^= 1;
                }
                v.push_chunk_digest(seq, &d).expect("in order");
            }
            assert_eq!(v.finish().expect_err("a wrong digest").code(), stream_bad_signature_code());

            let (mut v, digests) = walked_six_chunks(p, &device, &image);
            for (seq, d) in (0u64..).zip(&digests) {
                v.push_chunk_digest(seq, d).expect("in order");
            }
            let digest = *v.finish().expect("verifies").image_digest();
            assert_eq!(Ok(digest), stream(&image, p, &device, 7));
            assert!(v.push_chunk_digest(6, &digests[0]).is_err(), "no seventh chunk");

            // Before its chunk was walked, a digest is refused.
            let mut early = DeferredVerifier::default();
            assert_eq!(early.push_chunk_digest(0, &digests[0]).expect_err("no header yet").code(), 306);
        })
        .expect("policy builds");
}

fn stream_bad_signature_code() -> u16 {
    migseal::verifier::Error::new(migseal::verifier::ErrorKind::BadSignature, 0).code()
}
