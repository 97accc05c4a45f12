//! Inspection: what an image says about itself, UNVERIFIED. The same
//! framing walk as the verifier and the same digest chain, but no policy,
//! no device and no signature check, so a tool (the CLI's `inspect`, the
//! browser page) can show a header, its chunks and its digests, and the
//! first structural refusal — the one the verifier gives for the same
//! bytes, by construction.

use migseal_format::envelope::{Digest, Header, Seal};

use crate::chain::{DigestChain, open_chunk};
use crate::crypto::{Crypto, Sha256};
use crate::dalek::Dalek;
use crate::error::Result;
use crate::framing::{Event, Walker};
use crate::policy::Limits;

/// What an inspection has learned so far. Nothing here is authenticated.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Facts {
    /// The header digest (spec §5.2), once the header record was read.
    pub header_digest: Option<Digest>,
    /// The chain value after the last complete chunk (spec §5.3).
    pub chain: Option<Digest>,
    /// Complete chunks.
    pub chunks: u64,
    /// Payload bytes in complete and partial chunks.
    pub payload_len: u64,
    /// The smallest and largest chunk declared.
    pub chunk_sizes: Option<(u64, u64)>,
    /// The seal record and its stream offset, once read.
    pub seal: Option<(Seal, u64)>,
    /// The image digest (spec §5.4) the seal claims to sign, once the seal
    /// record was read.
    pub image_digest: Option<Digest>,
    /// Stream bytes read.
    pub offset: u64,
}

/// Walks an image for inspection, streamed.
pub struct Inspector<C: Crypto = Dalek> {
    crypto: C,
    limits: Limits,
    walker: Walker,
    chain: Option<DigestChain>,
    chunk: Option<C::Hasher>,
    facts: Facts,
}

impl Default for Inspector<Dalek> {
    fn default() -> Self {
        Self::new(Dalek, Limits::FORMAT)
    }
}

impl<C: Crypto> Inspector<C> {
    /// An inspection under `limits` ([`Limits::FORMAT`]: the format's own
    /// bounds; a policy's limits to predict that policy's refusal).
    #[must_use]
    pub const fn new(crypto: C, limits: Limits) -> Self {
        Self {
            crypto,
            limits,
            walker: Walker::new(),
            chain: None,
            chunk: None,
            facts: Facts {
                header_digest: None,
                chain: None,
                chunks: 0,
                payload_len: 0,
                chunk_sizes: None,
                seal: None,
                image_digest: None,
                offset: 0,
            },
        }
    }

    /// Reads all of `input`.
    ///
    /// # Errors
    ///
    /// The first structural refusal, the verifier's for the same bytes;
    /// afterwards every call returns it.
    pub fn feed(&mut self, mut input: &[u8]) -> Result<()> {
        while !input.is_empty() {
            let step = self.walker.advance(&self.limits, input)?;
            input = input.get(step.consumed..).unwrap_or(&[]);
            let Some(event) = step.event else { continue };
            match event {
                Event::Header { record } => {
                    let chain = DigestChain::start(&self.crypto, record.bytes());
                    self.facts.header_digest = Some(*chain.value());
                    self.chain = Some(chain);
                }
                Event::ChunkStart { seq, len } => {
                    self.chunk = Some(open_chunk(&self.crypto, seq, len));
                    let (lo, hi) = self.facts.chunk_sizes.unwrap_or((len, len));
                    self.facts.chunk_sizes = Some((lo.min(len), hi.max(len)));
                }
                Event::Payload { piece, ends_chunk } => {
                    if let Some(h) = self.chunk.as_mut() {
                        h.update(piece.bytes);
                    }
                    if ends_chunk && let (Some(h), Some(chain)) = (self.chunk.take(), self.chain.as_mut()) {
                        chain.push(&self.crypto, &h.finish());
                    }
                }
                Event::Seal { seal, offset, chunk_count, payload_len } => {
                    self.facts.seal = Some((*seal, offset));
                    self.facts.image_digest =
                        self.chain.map(|c| c.image_digest(&self.crypto, chunk_count, payload_len));
                }
            }
        }
        Ok(())
    }

    /// The end of the stream: `Ok` only when the image was complete.
    ///
    /// # Errors
    ///
    /// As [`Walker::end_of_stream`].
    pub fn end_of_stream(&self) -> Result<()> {
        self.walker.end_of_stream()
    }

    /// The header and its record bytes, once read.
    #[must_use]
    pub fn header(&self) -> Option<(Header<'_>, &[u8])> {
        self.walker.header()
    }

    /// What was learned so far.
    #[must_use]
    pub fn facts(&self) -> Facts {
        Facts {
            chain: self.chain.map(|c| *c.value()),
            chunks: self.walker.chunk_count(),
            payload_len: self.walker.payload_len(),
            offset: self.walker.offset(),
            ..self.facts
        }
    }
}
