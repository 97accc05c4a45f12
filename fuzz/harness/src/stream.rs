//! `stream_fragments`: the streaming verifier fed in fuzzer-chosen
//! fragments must reach exactly the verdict of the whole-image API and of
//! the parallel API on the same bytes: the same success (digest, counts,
//! payload bytes) or the same error (kind, details and offset).
//!
//! Input layout (the corpus generator writes it):
//!
//! ```text
//! byte 0       setup selector: policy × device (see setups.rs), mod 20
//! byte 1       k = number of fragment sizes, mod 33
//! k bytes      fragment sizes, used in a cycle; 0 means "all the rest"
//! rest         the image
//! ```

use std::num::NonZeroUsize;

use migseal_format::envelope::Descriptor;
use migseal_verifier::{Error, Policy, Verifier, verify_image, verify_image_in_runs};

use crate::setups;

/// Everything a success says, comparable across the three APIs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Accepted {
    /// The image digest the seal signs.
    pub image_digest: [u8; 32],
    /// Number of chunks.
    pub chunk_count: u64,
    /// Payload length.
    pub payload_len: u64,
    /// Header record length.
    pub header_len: usize,
    /// The payload, in order.
    pub payload: Vec<u8>,
}

/// Splits a stream-target input into setup, fragment sizes and image.
#[must_use]
pub fn parse(data: &[u8]) -> Option<(&'static setups::Setup, &[u8], &[u8])> {
    let (&sel, rest) = data.split_first()?;
    let (&k, rest) = rest.split_first()?;
    let k = usize::from(k % 33);
    let sizes = rest.get(..k)?;
    let image = rest.get(k..)?;
    let all = setups::all();
    Some((&all[usize::from(sel) % all.len()], sizes, image))
}

/// Builds a stream-target input (for the corpus generator).
#[must_use]
pub fn layout(selector: u8, sizes: &[u8], image: &[u8]) -> Vec<u8> {
    let mut v = vec![selector, u8::try_from(sizes.len()).expect("at most 32 sizes")];
    v.extend_from_slice(sizes);
    v.extend_from_slice(image);
    v
}

/// `stream_fragments`.
///
/// # Panics
///
/// When the three verdicts differ, or a streaming invariant breaks.
pub fn check(data: &[u8]) {
    let Some((setup, sizes, image)) = parse(data) else { return };
    let threads = NonZeroUsize::new(usize::from(data[0] >> 6) + 1).expect("1..=4");
    let _ = verify_three_ways(image, &setup.policy, &setup.device, sizes, threads);
}

/// Verifies `image` whole, streamed in fragments cycling through `sizes`,
/// and cut into `threads` runs of chunks as the parallel verifier cuts
/// them; asserts that all three agree and returns the verdict.
///
/// The runs are hashed on this thread ([`verify_image_in_runs`]), not on
/// threads started per input: LeakSanitizer's leak check can run while a
/// just-joined thread is still exiting, and then reports std's and glibc's
/// per-thread bookkeeping as leaked (seen after ~30 minutes of
/// `seal_then_mutate` and `stream_fragments`). The threads themselves are
/// the workspace tests' subject (`tests/vectors.rs`, the CLI's).
///
/// # Panics
///
/// When they disagree, or a streaming invariant breaks.
pub fn verify_three_ways(
    image: &[u8],
    policy: &Policy,
    device: &Descriptor<'_>,
    sizes: &[u8],
    threads: NonZeroUsize,
) -> Result<Accepted, Error> {
    let whole = verify_image(image, policy, device).map(|v| {
        let mut payload = vec![0u8; usize::try_from(v.payload_len()).expect("payload fits memory")];
        let collected = v.collect_payload(&mut payload).expect("buffer sized to the payload");
        assert_eq!(collected.bytes().len(), payload.len());
        let chunks: Vec<u8> = v.chunks().flatten().copied().collect();
        assert_eq!(chunks, payload, "chunks() and collect_payload() disagree");
        Accepted {
            image_digest: *v.image_digest(),
            chunk_count: v.chunk_count(),
            payload_len: v.payload_len(),
            header_len: header_len(image),
            payload,
        }
    });
    let streamed = streamed(image, policy, device, sizes);
    assert_same(&streamed, &whole, || format!("streamed in fragments {sizes:?} vs whole image"));
    let parallel = verify_image_in_runs(image, policy, device, threads).map(|v| Accepted {
        image_digest: *v.image_digest(),
        chunk_count: v.chunk_count(),
        payload_len: v.payload_len(),
        header_len: header_len(image),
        payload: v.chunks().flatten().copied().collect(),
    });
    assert_same(&parallel, &whole, || format!("parallel cut ({threads} runs) vs whole image"));
    if let Err(e) = &whole {
        crate::typed::assert_typed(e, image.len(), "verify_image");
    }
    whole
}

/// Two verdicts are the same when both succeed with equal results, or
/// both refuse with the same code at the same offset: the verdict the
/// spec defines (and the errno a kernel caller returns). The field name
/// may differ with fragmentation: a record cut short after its array head
/// may be reported by the header decoder (field "header record") rather
/// than the record peek (field "record").
fn assert_same(a: &Result<Accepted, Error>, b: &Result<Accepted, Error>, what: impl Fn() -> String) {
    match (a, b) {
        (Err(x), Err(y)) => {
            assert_eq!((x.code(), x.offset()), (y.code(), y.offset()), "{}: {x:?} vs {y:?}", what())
        }
        _ => assert_eq!(a, b, "{}", what()),
    }
}

fn header_len(image: &[u8]) -> usize {
    migseal_format::cbor::skip_item(image, 0, &[]).expect("a verified image starts with its header")
}

/// The streaming path, through `advance` so every piece can be checked.
fn streamed(image: &[u8], policy: &Policy, device: &Descriptor<'_>, sizes: &[u8]) -> Result<Accepted, Error> {
    let mut v = Verifier::default();
    let mut payload = Vec::new();
    let mut pos = 0usize;
    let mut cycle = sizes.iter().cycle();
    let base = image.as_ptr() as usize;
    let mut failed = None;
    'feed: while pos < image.len() {
        let n = match cycle.next() {
            None | Some(0) => image.len() - pos,
            Some(&n) => usize::from(n).min(image.len() - pos),
        };
        let mut rest = &image[pos..pos + n];
        while !rest.is_empty() {
            match v.advance(policy, device, rest) {
                Ok(step) => {
                    assert!(
                        step.consumed > 0 && step.consumed <= rest.len(),
                        "advance consumed {}",
                        step.consumed
                    );
                    if let Some(piece) = step.payload {
                        let at = piece.bytes.as_ptr() as usize - base;
                        assert_eq!(piece.stream_offset, at as u64, "payload piece stream offset");
                        assert_eq!(
                            piece.payload_offset,
                            payload.len() as u64,
                            "payload pieces not contiguous"
                        );
                        assert!(!piece.bytes.is_empty(), "empty payload piece");
                        // A piece ends the step: it is the tail of what was consumed.
                        assert_eq!(at + piece.bytes.len(), base_offset(rest, base) + step.consumed);
                        payload.extend_from_slice(piece.bytes);
                    }
                    rest = &rest[step.consumed..];
                }
                Err(e) => {
                    failed = Some(e);
                    break 'feed;
                }
            }
        }
        pos += n;
    }
    if let Some(e) = failed {
        // Sticky: the verifier says the same thing whatever comes next.
        assert_eq!(
            v.advance(policy, device, b"\x00").err(),
            Some(e),
            "the failure is not sticky in advance()"
        );
        assert_eq!(v.failure(), Some(e));
        assert_eq!(v.finish().err(), Some(e), "the failure is not sticky in finish()");
        return Err(e);
    }
    assert_eq!(v.offset(), image.len() as u64, "the verifier's offset is not the bytes fed");
    let verdict = v.finish()?;
    let accepted = Accepted {
        image_digest: *verdict.image_digest(),
        chunk_count: verdict.chunk_count(),
        payload_len: verdict.payload_len(),
        header_len: verdict.header_bytes().len(),
        payload,
    };
    assert_eq!(accepted.payload.len() as u64, accepted.payload_len, "staged payload length");
    // finish() again returns the same verdict.
    assert_eq!(v.finish().map(|again| *again.image_digest()), Ok(accepted.image_digest));
    Ok(accepted)
}

fn base_offset(s: &[u8], base: usize) -> usize {
    s.as_ptr() as usize - base
}
