//! Verification with the chunk digests computed elsewhere: the framing
//! walk, the trust gate and the digest chain of the streaming verifier,
//! but the SHA-256 over each chunk's payload is left to the caller, who
//! hands the 32-byte chunk digests back, in order, when they are ready.
//!
//! Why it exists: the format hashes every chunk independently (spec §5.2)
//! and chains only the digests, so the one expensive step can run where it
//! is fastest — on worker threads (the CLI, [`verify_image_parallel`]), or
//! in the browser's WebCrypto (`crypto.subtle.digest`, native SHA-256,
//! answering through promises). The API is therefore a push API with no
//! callback: [`DeferredVerifier::advance`] walks the bytes it is given and
//! stops at each chunk so the caller can take its payload (or
//! [`DeferredVerifier::skip_payload`] past it, having read it elsewhere);
//! [`DeferredVerifier::push_chunk_digest`] takes digests whenever they
//! arrive, strictly in order, possibly long after the walk went on; and
//! [`DeferredVerifier::finish`] checks the seal.
//!
//! Structure, limits, the header's gate and the seal's signature are the
//! streaming verifier's own code ([`crate::framing`], the crate's gate), so
//! for the same bytes it gives exactly the streaming verifier's verdict, or
//! its error with the same code at the same offset. The chunk digests are
//! trusted to be [`chunk_digest`](crate::chain::chunk_digest) of the exact
//! payload bytes the walk reported for that chunk: a wrong digest makes the
//! seal check fail ([`ErrorKind::BadSignature`]), never a false success.
//!
//! `no_std`, no allocation: the caller keeps the payload while it hashes.
//!
//! ```text
//!  Header ──header accepted by the gate──▶ Gated { chain, pushed }
//!  Gated ──chunk head / payload / skip──▶ Gated          (walk ahead)
//!  Gated ──push_chunk_digest(seq)──▶ Gated { pushed + 1 } (in order)
//!  Gated ──seal record──▶ Gated { seal } ──finish(): all digests, signature──▶ Verified
//!  any phase ──error──▶ Failed (sticky: every later call returns the error)
//! ```
//!
//! [`verify_image_parallel`]: crate::verify_image_parallel

use migseal_format::envelope::{Descriptor, Digest, Seal};

use crate::chain::DigestChain;
use crate::crypto::Crypto;
use crate::dalek::Dalek;
use crate::error::{Error, ErrorKind, Result};
use crate::framing::{Event, PayloadPiece, Walker};
use crate::gate;
use crate::policy::Policy;
use crate::verdict::Verdict;

/// What the walk found that the caller must act on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeferredEvent<'i> {
    /// A chunk head was read: chunk `seq`'s `len` payload bytes start at
    /// `stream_offset` (at the end of the consumed input). Take them from
    /// the following [`DeferredEvent::Payload`] pieces, or read them
    /// elsewhere and call [`DeferredVerifier::skip_payload`].
    ChunkStart {
        /// Sequence number.
        seq: u64,
        /// Payload length.
        len: u64,
        /// Stream offset of the chunk's first payload byte.
        stream_offset: u64,
        /// Offset of that byte within the payload as a whole.
        payload_offset: u64,
    },
    /// Payload bytes of the current chunk, from the caller's input: not
    /// yet verified.
    Payload {
        /// Where they are.
        piece: PayloadPiece<'i>,
        /// Whether they are the chunk's last bytes: its digest may now be
        /// computed.
        ends_chunk: bool,
    },
}

/// What one [`DeferredVerifier::advance`] call did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeferredStep<'i> {
    /// Bytes of the input consumed.
    pub consumed: usize,
    /// The event the call stopped at; without one, the whole input was
    /// consumed.
    pub event: Option<DeferredEvent<'i>>,
}

/// The seal record, once read.
#[derive(Clone, Copy)]
struct SealAt {
    seal: Seal,
    offset: u64,
    chunk_count: u64,
    payload_len: u64,
}

enum Phase<C: Crypto> {
    /// Before the header record was accepted.
    Header,
    /// Header accepted: the walk goes on, digests arrive.
    Gated { key: C::PreparedKey, chain: DigestChain, pushed: u64, seal: Option<SealAt> },
    /// The seal verified.
    Verified { image_digest: Digest },
    /// Refused; every later call returns this error.
    Failed(Error),
}

/// Verifies one image whose chunk digests are computed by the caller. See
/// the module docs.
///
/// ```
/// # use migseal_verifier::{DeferredEvent, DeferredVerifier, Policy, chain::chunk_digest, Dalek};
/// # fn demo(image: &[u8], policy: &Policy, device: &migseal_format::envelope::Descriptor<'_>) -> migseal_verifier::Result<()> {
/// let mut v = DeferredVerifier::default();
/// let mut rest = image;
/// let mut ready = Vec::new(); // (seq, digest), e.g. from worker threads
/// while !rest.is_empty() {
///     let step = v.advance(policy, device, rest)?;
///     if let Some(DeferredEvent::Payload { piece, ends_chunk: true }) = step.event {
///         // In one slice, a chunk's payload is one piece.
///         ready.push((piece.seq, chunk_digest(&Dalek, piece.seq, piece.bytes)));
///     }
///     rest = &rest[step.consumed..];
/// }
/// for (seq, digest) in ready {
///     v.push_chunk_digest(seq, &digest)?;
/// }
/// let verdict = v.finish()?;
/// # let _ = verdict; Ok(()) }
/// ```
pub struct DeferredVerifier<C: Crypto = Dalek> {
    crypto: C,
    walker: Walker,
    phase: Phase<C>,
}

impl Default for DeferredVerifier<Dalek> {
    fn default() -> Self {
        Self::new(Dalek)
    }
}

impl<C: Crypto> core::fmt::Debug for DeferredVerifier<C> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("DeferredVerifier")
            .field("walker", &self.walker)
            .field("digests", &self.digests_pushed())
            .field("failure", &self.failure())
            .finish()
    }
}

impl<C: Crypto> DeferredVerifier<C> {
    /// A verifier at the start of an image, with `crypto` as its provider
    /// (for the header digest, the chain and the signature).
    #[must_use]
    pub const fn new(crypto: C) -> Self {
        Self { crypto, walker: Walker::new(), phase: Phase::Header }
    }

    /// The crypto provider.
    #[must_use]
    pub const fn crypto(&self) -> &C {
        &self.crypto
    }

    /// Stream bytes walked so far (skipped payload included).
    #[must_use]
    pub const fn offset(&self) -> u64 {
        self.walker.offset()
    }

    /// Chunks whose payload was walked or skipped to its end: their
    /// digests may be pushed.
    #[must_use]
    pub const fn chunks_walked(&self) -> u64 {
        self.walker.chunk_count()
    }

    /// Chunk digests pushed so far: the sequence number of the next one.
    #[must_use]
    pub const fn digests_pushed(&self) -> u64 {
        match self.phase {
            Phase::Gated { pushed, .. } => pushed,
            _ => 0,
        }
    }

    /// Payload bytes of the current chunk still to come (0 outside a
    /// chunk).
    #[must_use]
    pub const fn payload_remaining(&self) -> u64 {
        self.walker.payload_remaining()
    }

    /// Whether the seal record was read (the walk is complete; digests may
    /// still be due).
    #[must_use]
    pub const fn is_sealed(&self) -> bool {
        self.walker.is_sealed()
    }

    /// The error that stopped this verifier, if any.
    #[must_use]
    pub const fn failure(&self) -> Option<Error> {
        match self.phase {
            Phase::Failed(e) => Some(e),
            _ => None,
        }
    }

    /// Consumes a prefix of `input`: all of it, or up to the first chunk
    /// head or the end of the first run of payload bytes in it, which it
    /// reports. Call again with the rest. `policy` and `device` are used
    /// when the header record completes; pass the same ones to every call.
    ///
    /// # Errors
    ///
    /// The first structural, limit, compatibility, trust or policy refusal
    /// (the streaming verifier's, at the same offset); afterwards every
    /// call returns the same error.
    pub fn advance<'i>(
        &mut self,
        policy: &Policy<C>,
        device: &Descriptor<'_>,
        input: &'i [u8],
    ) -> Result<DeferredStep<'i>> {
        if let Phase::Failed(e) = self.phase {
            return Err(e);
        }
        self.walk(policy, device, input).inspect_err(|&e| self.phase = Phase::Failed(e))
    }

    /// Passes over up to `n` payload bytes of the current chunk that the
    /// caller reads elsewhere (they never reach this verifier); returns how
    /// many: `min(n, remaining)`. Offsets and counts stay exact, so a
    /// stream that ends inside a chunk is refused at the streaming
    /// verifier's offset.
    ///
    /// # Errors
    ///
    /// The earlier failure.
    pub fn skip_payload(&mut self, n: u64) -> Result<u64> {
        if let Phase::Failed(e) = self.phase {
            return Err(e);
        }
        Ok(self.walker.skip_payload(n))
    }

    /// Takes the digest of chunk `seq` ([`chunk_digest`] over its payload),
    /// which must be the next one in order and a chunk already walked to
    /// its end.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::SequenceGap`] for a digest out of order,
    /// [`ErrorKind::Incomplete`] for one before its chunk was walked or the
    /// header accepted (both caller defects, refused rather than trusted;
    /// sticky); the earlier failure.
    ///
    /// [`chunk_digest`]: crate::chain::chunk_digest
    pub fn push_chunk_digest(&mut self, seq: u64, digest: &Digest) -> Result<()> {
        let at = self.walker.offset();
        let walked = self.walker.chunk_count();
        let result = match &mut self.phase {
            Phase::Failed(e) => return Err(*e),
            Phase::Gated { chain, pushed, .. } if seq == *pushed && seq < walked => {
                chain.push(&self.crypto, digest);
                *pushed = pushed.saturating_add(1);
                Ok(())
            }
            Phase::Gated { pushed, .. } if seq != *pushed => {
                Err(Error::new(ErrorKind::SequenceGap { expected: *pushed, found: seq }, at))
            }
            _ => Err(Error::new(ErrorKind::Incomplete { state: "before the chunk of a digest pushed" }, at)),
        };
        result.inspect_err(|&e| self.phase = Phase::Failed(e))
    }

    /// Checks the seal and returns the verified header: the only success.
    /// Calling it again after success returns the same verdict.
    ///
    /// # Errors
    ///
    /// The streaming verifier's: [`ErrorKind::Incomplete`] (or the seal
    /// record's first deviation) when the stream ended before its seal;
    /// [`ErrorKind::NonCanonicalSignature`], [`ErrorKind::BadSignature`];
    /// the earlier failure. [`ErrorKind::Incomplete`] at the seal when a
    /// chunk digest was never pushed.
    pub fn finish(&mut self) -> Result<Verdict<'_>> {
        let image_digest = match &self.phase {
            Phase::Failed(e) => return Err(*e),
            Phase::Verified { image_digest } => *image_digest,
            Phase::Gated { key, chain, pushed, seal: Some(s) } => {
                let result = if *pushed == s.chunk_count {
                    let image_digest = chain.image_digest(&self.crypto, s.chunk_count, s.payload_len);
                    gate::check_seal(&self.crypto, key, &s.seal, &image_digest, s.offset)
                        .map(|()| image_digest)
                } else {
                    Err(Error::new(
                        ErrorKind::Incomplete { state: "before every chunk digest arrived" },
                        s.offset,
                    ))
                };
                match result {
                    Ok(d) => {
                        self.phase = Phase::Verified { image_digest: d };
                        d
                    }
                    Err(e) => {
                        self.phase = Phase::Failed(e);
                        return Err(e);
                    }
                }
            }
            Phase::Header | Phase::Gated { seal: None, .. } => {
                // The walker has not read a seal: it says where the stream
                // stopped.
                let e = self.walker.end_of_stream().err().unwrap_or(incomplete(self.walker.offset()));
                self.phase = Phase::Failed(e);
                return Err(e);
            }
        };
        self.verdict_for(image_digest).ok_or(incomplete(self.walker.offset()))
    }

    /// The verdict, once [`DeferredVerifier::finish`] has succeeded.
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
    ) -> Result<DeferredStep<'i>> {
        let mut used = 0usize;
        let limits = policy.limits();
        while let Some(rest) = input.get(used..).filter(|r| !r.is_empty()) {
            let step = self.walker.advance(&limits, rest)?;
            used = used.saturating_add(step.consumed);
            let found = match step.event {
                None => None,
                Some(Event::Header { record }) if matches!(self.phase, Phase::Header) => {
                    let header = record.header().ok_or(incomplete(0))?;
                    let key = gate::accept_header(policy, device, &header)?.prepared().clone();
                    let chain = DigestChain::start(&self.crypto, record.bytes());
                    self.phase = Phase::Gated { key, chain, pushed: 0, seal: None };
                    None
                }
                Some(Event::ChunkStart { seq, len }) if matches!(self.phase, Phase::Gated { .. }) => {
                    Some(DeferredEvent::ChunkStart {
                        seq,
                        len,
                        stream_offset: self.walker.offset(),
                        payload_offset: self.walker.payload_len(),
                    })
                }
                Some(Event::Payload { piece, ends_chunk }) if matches!(self.phase, Phase::Gated { .. }) => {
                    Some(DeferredEvent::Payload { piece, ends_chunk })
                }
                Some(Event::Seal { seal, offset, chunk_count, payload_len }) => match &mut self.phase {
                    Phase::Gated { seal: slot, .. } => {
                        *slot = Some(SealAt { seal: *seal, offset, chunk_count, payload_len });
                        None
                    }
                    _ => return Err(incomplete(0)),
                },
                // The walker emits events only in this order; anything
                // else would be a walker defect, refused rather than
                // trusted.
                Some(_) => return Err(incomplete(0)),
            };
            if found.is_some() {
                return Ok(DeferredStep { consumed: used, event: found });
            }
        }
        Ok(DeferredStep { consumed: used, event: None })
    }
}

fn incomplete(at: u64) -> Error {
    Error::new(ErrorKind::Incomplete { state: "before verification" }, at)
}
