//! The streaming verifier: the framing walk, the digest chain and the
//! trust gate over an image that arrives in fragments of any size. Payload
//! positions come out as they pass, so the caller can stage them;
//! [`Verifier::finish`] checks the seal and is the only success.
//!
//! The verifier owns everything it needs once the header is accepted (the
//! signing key's prepared form is copied out of the policy), and borrows
//! the policy and the destination device for the length of one call. So
//! it can live in a driver's device struct, a C caller's block or a JS
//! object next to its configuration, and be moved freely.
//!
//! ```text
//!  Header ──header accepted by the gate──▶ Records
//!  Records ──chunk head──▶ Chunk { hasher } ──last payload byte──▶ Records
//!  Records ──seal record──▶ Sealed ──finish(): signature verifies──▶ Verified
//!  any phase ──error──▶ Failed (sticky: every later call returns the error)
//! ```

use migseal_format::envelope::{Descriptor, Digest, Seal};

use crate::chain::{DigestChain, open_chunk};
use crate::crypto::{Crypto, Sha256};
use crate::dalek::Dalek;
use crate::error::{Error, ErrorKind, Result};
use crate::framing::{Event, PayloadPiece, Walker};
use crate::gate;
use crate::policy::Policy;
use crate::verdict::Verdict;

/// What one [`Verifier::advance`] call did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Advance<'i> {
    /// Bytes of the input consumed.
    pub consumed: usize,
    /// Payload bytes within the consumed input, if the call ended on some.
    pub payload: Option<PayloadPiece<'i>>,
}

/// Where a verification stands, with what each phase needs and nothing
/// else.
enum Phase<C: Crypto> {
    /// Before the header record was accepted.
    Header,
    /// Header accepted, between records.
    Records { key: C::PreparedKey, chain: DigestChain },
    /// Inside a chunk's payload.
    Chunk { key: C::PreparedKey, chain: DigestChain, hasher: C::Hasher },
    /// The seal record arrived; [`Verifier::finish`] checks it.
    Sealed { key: C::PreparedKey, seal: Seal, seal_offset: u64, image_digest: Digest },
    /// The seal verified.
    Verified { image_digest: Digest },
    /// Refused; every later call returns this error.
    Failed(Error),
}

/// Verifies one image, streamed. See the module docs.
///
/// ```
/// # use migseal_verifier::{Verifier, Policy};
/// # fn demo(image: &[u8], policy: &Policy, device: &migseal_format::envelope::Descriptor<'_>) -> migseal_verifier::Result<()> {
/// let mut v = Verifier::default();
/// let mut staged = Vec::new();
/// for fragment in image.chunks(4096) {
///     v.feed(policy, device, fragment, |piece| staged.extend_from_slice(piece.bytes))?;
/// }
/// let verdict = v.finish()?; // only now may `staged` reach a state parser
/// assert_eq!(verdict.payload_len(), staged.len() as u64);
/// # Ok(()) }
/// ```
pub struct Verifier<C: Crypto = Dalek> {
    crypto: C,
    walker: Walker,
    phase: Phase<C>,
}

impl Default for Verifier<Dalek> {
    fn default() -> Self {
        Self::new(Dalek)
    }
}

impl<C: Crypto> core::fmt::Debug for Verifier<C> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Verifier").field("walker", &self.walker).field("failure", &self.failure()).finish()
    }
}

impl<C: Crypto> Verifier<C> {
    /// A verifier at the start of an image, with `crypto` as its provider.
    #[must_use]
    pub const fn new(crypto: C) -> Self {
        Self { crypto, walker: Walker::new(), phase: Phase::Header }
    }

    /// Stream bytes consumed so far.
    #[must_use]
    pub const fn offset(&self) -> u64 {
        self.walker.offset()
    }

    /// The error that stopped this verifier, if any.
    #[must_use]
    pub const fn failure(&self) -> Option<Error> {
        match self.phase {
            Phase::Failed(e) => Some(e),
            _ => None,
        }
    }

    /// Whether the header is still to come: until then, [`Verifier::advance`]
    /// needs the policy and device it is given; afterwards it ignores them.
    #[must_use]
    pub const fn awaits_header(&self) -> bool {
        matches!(self.phase, Phase::Header)
    }

    /// Consumes a prefix of `input`: all of it, or up to the end of the
    /// first run of payload bytes in it, which it returns so the caller can
    /// stage them. Call again with the rest until `consumed` covers the
    /// input. `policy` and `device` (the destination's accept-descriptor)
    /// are used when the header record completes; pass the same ones to
    /// every call of one verification.
    ///
    /// # Errors
    ///
    /// The first structural, limit, compatibility, trust or policy refusal;
    /// afterwards every call returns the same error.
    pub fn advance<'i>(
        &mut self,
        policy: &Policy<C>,
        device: &Descriptor<'_>,
        input: &'i [u8],
    ) -> Result<Advance<'i>> {
        if let Phase::Failed(e) = self.phase {
            return Err(e);
        }
        self.walk(policy, device, input).inspect_err(|&e| self.phase = Phase::Failed(e))
    }

    /// Consumes all of `input`, handing every payload run to `on_payload`.
    ///
    /// # Errors
    ///
    /// As [`Verifier::advance`].
    pub fn feed<'i>(
        &mut self,
        policy: &Policy<C>,
        device: &Descriptor<'_>,
        mut input: &'i [u8],
        mut on_payload: impl FnMut(PayloadPiece<'i>),
    ) -> Result<()> {
        while !input.is_empty() {
            let step = self.advance(policy, device, input)?;
            if let Some(piece) = step.payload {
                on_payload(piece);
            }
            input = input.get(step.consumed..).unwrap_or(&[]);
        }
        Ok(())
    }

    /// Checks the seal and returns the verified header: the only success.
    /// Calling it again after success returns the same verdict.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Incomplete`] (or the seal record's first deviation) when
    /// the stream ended before its seal; [`ErrorKind::NonCanonicalSignature`],
    /// [`ErrorKind::BadSignature`]; or the earlier failure.
    pub fn finish(&mut self) -> Result<Verdict<'_>> {
        let image_digest = match &self.phase {
            Phase::Failed(e) => return Err(*e),
            Phase::Verified { image_digest } => *image_digest,
            Phase::Sealed { key, seal, seal_offset, image_digest } => {
                let image_digest = *image_digest;
                if let Err(e) = gate::check_seal(&self.crypto, key, seal, &image_digest, *seal_offset) {
                    self.phase = Phase::Failed(e);
                    return Err(e);
                }
                self.phase = Phase::Verified { image_digest };
                image_digest
            }
            Phase::Header | Phase::Records { .. } | Phase::Chunk { .. } => {
                // The walker has not read a seal in these phases: it says
                // where the stream stopped.
                let e = self.walker.end_of_stream().err().unwrap_or(incomplete(self.walker.offset()));
                self.phase = Phase::Failed(e);
                return Err(e);
            }
        };
        self.verdict_for(image_digest).ok_or(incomplete(self.walker.offset()))
    }

    /// The verdict, once [`Verifier::finish`] has succeeded.
    #[must_use]
    pub fn verdict(&self) -> Option<Verdict<'_>> {
        match self.phase {
            Phase::Verified { image_digest } => self.verdict_for(image_digest),
            _ => None,
        }
    }

    fn verdict_for(&self, image_digest: Digest) -> Option<Verdict<'_>> {
        Verdict::of_walk(&self.walker, image_digest)
    }

    fn walk<'i>(
        &mut self,
        policy: &Policy<C>,
        device: &Descriptor<'_>,
        input: &'i [u8],
    ) -> Result<Advance<'i>> {
        let mut used = 0usize;
        let limits = policy.limits();
        while let Some(rest) = input.get(used..).filter(|r| !r.is_empty()) {
            let step = self.walker.advance(&limits, rest)?;
            used = used.saturating_add(step.consumed);
            // The event is read where the walker wrote it, field by field: a
            // copy of the whole enum would read its small fields back wider
            // than they were stored, which stalls the load on every call.
            let Some(event) = &step.event else { continue };
            // Payload inside a chunk only feeds the chunk's hasher: done in
            // place, without moving the phase (keys, chain and hasher, some
            // hundred bytes) out and back for every fragment.
            if let (Event::Payload { piece, ends_chunk: false }, Phase::Chunk { hasher, .. }) =
                (event, &mut self.phase)
            {
                hasher.update(piece.bytes);
                return Ok(Advance { consumed: used, payload: Some(*piece) });
            }
            let piece = apply_event(&self.crypto, &mut self.phase, policy, device, *event)?;
            if piece.is_some() {
                return Ok(Advance { consumed: used, payload: piece });
            }
        }
        Ok(Advance { consumed: used, payload: None })
    }
}

/// Moves `phase` past one event (once per record, so out of line: the
/// per-fragment path of [`Verifier::advance`] stays small); the payload
/// run to hand out, if any.
#[inline(never)]
fn apply_event<'i, C: Crypto>(
    crypto: &C,
    phase: &mut Phase<C>,
    policy: &Policy<C>,
    device: &Descriptor<'_>,
    event: Event<'_, 'i>,
) -> Result<Option<PayloadPiece<'i>>> {
    let (next, piece) = on_event(crypto, policy, device, core::mem::replace(phase, Phase::Header), event)?;
    *phase = next;
    Ok(piece)
}

/// One event's effect on the phase: the next phase, and a payload run to
/// hand out.
fn on_event<'i, C: Crypto>(
    crypto: &C,
    policy: &Policy<C>,
    device: &Descriptor<'_>,
    phase: Phase<C>,
    event: Event<'_, 'i>,
) -> Result<(Phase<C>, Option<PayloadPiece<'i>>)> {
    Ok(match (phase, event) {
        (Phase::Header, Event::Header { record }) => {
            let header = record.header().ok_or(incomplete(0))?;
            let key = gate::accept_header(policy, device, &header)?.prepared().clone();
            (Phase::Records { key, chain: DigestChain::start(crypto, record.bytes()) }, None)
        }
        (Phase::Records { key, chain }, Event::ChunkStart { seq, len }) => {
            (Phase::Chunk { key, chain, hasher: open_chunk(crypto, seq, len) }, None)
        }
        (Phase::Chunk { key, mut chain, mut hasher }, Event::Payload { piece, ends_chunk }) => {
            hasher.update(piece.bytes);
            if ends_chunk {
                chain.push(crypto, &hasher.finish());
                (Phase::Records { key, chain }, Some(piece))
            } else {
                (Phase::Chunk { key, chain, hasher }, Some(piece))
            }
        }
        (Phase::Records { key, chain }, Event::Seal { seal, offset, chunk_count, payload_len }) => {
            let image_digest = chain.image_digest(crypto, chunk_count, payload_len);
            (Phase::Sealed { key, seal: *seal, seal_offset: offset, image_digest }, None)
        }
        // The walker emits events only in this order; anything else would
        // be a walker defect, refused rather than trusted.
        (_, _) => return Err(incomplete(0)),
    })
}

fn incomplete(at: u64) -> Error {
    Error::new(ErrorKind::Incomplete { state: "before verification" }, at)
}
