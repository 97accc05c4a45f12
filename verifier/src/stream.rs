//! The streaming verifier: a push state machine that takes an image in
//! fragments of any size, checks structure as bytes arrive, hashes chunk
//! payloads in place, and reports where the payload bytes are so the caller
//! can stage them. [`Verifier::finish`] checks the seal; it is the only
//! success.
//!
//! Memory is constant: one header buffer of the format's 4096-byte bound
//! (with where the decoded header's fields lie, so it is decoded once),
//! one 154-byte record buffer, a running hash and a chain value. Nothing
//! of a chunk is ever buffered.
//!
//! ```text
//!  Header ──header record complete, all header checks pass──▶ RecordStart
//!  RecordStart ──chunk head──▶ ChunkData ──payload done──▶ RecordStart
//!  RecordStart ──seal record type──▶ Seal ──154 bytes──▶ Sealed
//!  Sealed ──finish(): signature verifies──▶ Verified
//!  any state ──error──▶ Failed (sticky: every later call returns the error)
//! ```

use migseal_format::bytes::copy_prefix;
use migseal_format::cbor::{len_u64, skip_item};
use migseal_format::envelope::{
    ChunkHead, DOMAIN_HEADER, Descriptor, Digest, HeaderRecord, KeyId, MAX_CHUNK_LEN, RecordType,
    SEAL_RECORD_LEN, Seal, chain_input, chunk_prefix, image_input, peek_record_type,
};

use crate::compat;
use crate::crypto::{Crypto, CryptoFailure, Dalek, Sha256, signature_s_is_canonical};
use crate::error::{Error, ErrorKind, Result};
use crate::keys::TrustedKey;
use crate::name::{KeyIdHex, Name};
use crate::policy::{Limits, Policy};
use crate::verdict::Verdict;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Header,
    RecordStart,
    ChunkData,
    Seal,
    Sealed,
    Verified,
    Failed,
}

/// What one [`Verifier::advance`] call did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Advance<'i> {
    /// Bytes of the input consumed.
    pub consumed: usize,
    /// Payload bytes within the consumed input, if the call ended on some.
    pub payload: Option<PayloadPiece<'i>>,
}

/// A run of payload bytes inside the caller's input. They are *not yet
/// verified*: stage them, and interpret them only after
/// [`Verifier::finish`] succeeds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PayloadPiece<'i> {
    /// The chunk they belong to.
    pub seq: u64,
    /// Their offset within the payload as a whole (all chunks in order).
    pub payload_offset: u64,
    /// Their offset in the stream.
    pub stream_offset: u64,
    /// The bytes (a subslice of the input given to `advance`).
    pub bytes: &'i [u8],
}

/// Verifies one image, streamed. See the module docs for the states.
///
/// ```
/// # use migseal_verifier::{Verifier, Policy};
/// # fn demo(image: &[u8], policy: &Policy<'_>, device: &migseal_format::envelope::Descriptor<'_>) -> migseal_verifier::Result<()> {
/// let mut v = Verifier::new(policy, device);
/// let mut staged = Vec::new();
/// for fragment in image.chunks(4096) {
///     v.feed(fragment, |piece| staged.extend_from_slice(piece.bytes))?;
/// }
/// let verdict = v.finish()?; // only now may `staged` reach a state parser
/// assert_eq!(verdict.payload_len(), staged.len() as u64);
/// # Ok(()) }
/// ```
pub struct Verifier<'p, C: Crypto = Dalek> {
    policy: &'p Policy<'p>,
    device: &'p Descriptor<'p>,
    limits: Limits,
    crypto: C,
    state: State,
    failed: Option<Error>,
    /// Stream bytes consumed so far.
    offset: u64,
    /// Where the record being read started.
    record_start: u64,
    /// The header record, gathered and then decoded once.
    header: HeaderRecord,
    /// A chunk head or the seal record, while it arrives.
    record: [u8; SEAL_RECORD_LEN],
    record_len: usize,
    /// The trusted key the header names, once the header is accepted.
    trusted_key: Option<&'p TrustedKey<'p>>,
    key_id: KeyId,
    chain: Digest,
    hasher: Option<C::Hasher>,
    chunk_seq: u64,
    chunk_remaining: u64,
    next_seq: u64,
    total: u64,
    seal: Option<Seal>,
    image_digest: Digest,
}

impl<'p> Verifier<'p, Dalek> {
    /// A verifier for an image destined for `device` (the destination's
    /// accept-descriptor) under `policy`, with the default crypto.
    #[must_use]
    pub fn new(policy: &'p Policy<'p>, device: &'p Descriptor<'p>) -> Self {
        Self::with_crypto(policy, device, Dalek)
    }
}

impl<'p, C: Crypto> Verifier<'p, C> {
    /// As [`Verifier::new`], with a caller's crypto provider.
    pub fn with_crypto(policy: &'p Policy<'p>, device: &'p Descriptor<'p>, crypto: C) -> Self {
        Self {
            policy,
            device,
            limits: policy.limits.effective(),
            crypto,
            state: State::Header,
            failed: None,
            offset: 0,
            record_start: 0,
            header: HeaderRecord::new(),
            record: [0; SEAL_RECORD_LEN],
            record_len: 0,
            trusted_key: None,
            key_id: [0; 32],
            chain: [0; 32],
            hasher: None,
            chunk_seq: 0,
            chunk_remaining: 0,
            next_seq: 0,
            total: 0,
            seal: None,
            image_digest: [0; 32],
        }
    }

    /// Stream bytes consumed so far.
    #[must_use]
    pub const fn offset(&self) -> u64 {
        self.offset
    }

    /// The error that stopped this verifier, if any.
    #[must_use]
    pub const fn failure(&self) -> Option<Error> {
        self.failed
    }

    /// Consumes a prefix of `input`: all of it, or up to the end of the
    /// first run of payload bytes in it, which it returns so the caller can
    /// stage them. Call again with the rest until `consumed` covers the
    /// input. This is the form C and kernel callers use.
    ///
    /// # Errors
    ///
    /// The first structural, limit, header, trust or policy refusal;
    /// afterwards every call returns the same error.
    pub fn advance<'i>(&mut self, input: &'i [u8]) -> Result<Advance<'i>> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        match self.advance_inner(input) {
            Ok(a) => Ok(a),
            Err(e) => Err(self.fail(e)),
        }
    }

    /// Consumes all of `input`, handing every payload run to `on_payload`.
    ///
    /// # Errors
    ///
    /// As [`Verifier::advance`].
    pub fn feed<'i>(
        &mut self,
        mut input: &'i [u8],
        mut on_payload: impl FnMut(PayloadPiece<'i>),
    ) -> Result<()> {
        while !input.is_empty() {
            let step = self.advance(input)?;
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
    /// [`ErrorKind::Incomplete`] when the stream ended before its seal;
    /// [`ErrorKind::NonCanonicalSignature`], [`ErrorKind::BadSignature`],
    /// [`ErrorKind::InvalidPublicKey`]; or the earlier failure.
    pub fn finish(&mut self) -> Result<Verdict<'_>> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        if let Err(e) = self.check_seal() {
            return Err(self.fail(e));
        }
        self.verdict()
            .ok_or_else(|| Error::new(ErrorKind::Incomplete { state: "before verification" }, self.offset))
    }

    /// The verdict, once [`Verifier::finish`] has succeeded.
    #[must_use]
    pub fn verdict(&self) -> Option<Verdict<'_>> {
        if self.state != State::Verified {
            return None;
        }
        let header = self.header.header()?;
        Some(Verdict::new(header, self.header.bytes(), self.image_digest, self.next_seq, self.total))
    }

    fn fail(&mut self, e: Error) -> Error {
        self.failed = Some(e);
        self.state = State::Failed;
        e
    }

    fn check_seal(&mut self) -> Result<()> {
        let incomplete = |state| Error::new(ErrorKind::Incomplete { state }, self.offset);
        let seal = match self.state {
            State::Verified => return Ok(()),
            State::Sealed => self.seal.ok_or_else(|| incomplete("before its seal record"))?,
            State::Header => return Err(incomplete("inside its header record")),
            State::RecordStart => return Err(incomplete("before its seal record")),
            State::ChunkData => return Err(incomplete("inside a chunk")),
            // The seal's bytes so far may already deviate (a wrong tag, no
            // tag, a short signature): the first deviation decides, and the
            // end of the stream only counts when none is among them (spec
            // §8.4, §8.6).
            State::Seal => {
                let held = self.record.get(..self.record_len).unwrap_or(&[]);
                return Err(match Seal::decode_record(held, self.record_start) {
                    Err(e) if !e.is_truncated() => e.into(),
                    _ => incomplete("inside its seal record"),
                });
            }
            State::Failed => return Err(incomplete("inside its seal record")),
        };
        let key = self.trusted_key.ok_or_else(|| incomplete("before its header was accepted"))?;
        verify_seal(&self.crypto, key, &seal, &self.image_digest, self.record_start)?;
        self.state = State::Verified;
        Ok(())
    }

    /// Everything the parallel path needs once the structural pass has
    /// reached the sealed state (chunk digests not yet trusted).
    #[cfg(feature = "std")]
    pub(crate) fn sealed_parts(&self) -> Option<SealedParts<'_>> {
        if self.state != State::Sealed {
            return None;
        }
        Some(SealedParts {
            header_bytes: self.header.bytes(),
            trusted_key: self.trusted_key?,
            seal: self.seal?,
            seal_offset: self.record_start,
            chunk_count: self.next_seq,
            payload_len: self.total,
        })
    }

    fn advance_inner<'i>(&mut self, input: &'i [u8]) -> Result<Advance<'i>> {
        let mut used = 0usize;
        loop {
            let rest = input.get(used..).unwrap_or(&[]);
            if rest.is_empty() {
                return Ok(Advance { consumed: used, payload: None });
            }
            let n = match self.state {
                State::Header => self.header_bytes(rest)?,
                State::RecordStart => self.record_start_bytes(rest)?,
                State::Seal => self.seal_bytes(rest)?,
                State::ChunkData => {
                    let piece = self.chunk_bytes(rest)?;
                    let consumed = used.saturating_add(piece.bytes.len());
                    return Ok(Advance { consumed, payload: Some(piece) });
                }
                State::Sealed | State::Verified => {
                    // No byte count: how many trailing bytes one call sees
                    // depends on the fragmentation, and the error must not.
                    return Err(migseal_format::Error::new(
                        migseal_format::ErrorCode::TrailingBytes,
                        self.offset,
                    )
                    .into());
                }
                State::Failed => {
                    return Err(self
                        .failed
                        .unwrap_or(Error::new(ErrorKind::Incomplete { state: "" }, self.offset)));
                }
            };
            used = used.saturating_add(n);
            self.offset = self.offset.saturating_add(len_u64(n));
        }
    }

    /// Gathers the header record; when complete, runs every header check
    /// before a single chunk byte is accepted.
    fn header_bytes(&mut self, rest: &[u8]) -> Result<usize> {
        let limit = self.limits.max_header_len;
        let old = self.header.bytes().len();
        let take = self.header.gather(rest, limit);
        let buf = self.header.bytes();

        // Refuse a stream that does not start with a header record as soon
        // as its first two bytes say so.
        match peek_record_type(buf, 0) {
            Ok(RecordType::Header) => {}
            Ok(other) => return Err(order_error("a header record", other, 0)),
            Err(e) if e.is_truncated() => {}
            Err(e) => return Err(e.into()),
        }
        // A header that decodes is canonical CBOR throughout (every item
        // went through a typed read that refuses non-canonical forms), so
        // the whole-item check of spec §8.2 step 3 cannot refuse it and is
        // skipped. Any refusal goes the long way below, which keeps the
        // spec's error precedence.
        if let Ok(len) = self.header.decode_prefix(0) {
            return self.accept_held_header(len, old);
        }
        let buf = self.header.bytes();
        match skip_item(buf, 0, &[]) {
            Ok(len) => {
                self.header.decode_exact(len, 0)?;
                self.accept_held_header(len, old)
            }
            Err(e) if e.is_truncated() => {
                if buf.len() >= limit {
                    return Err(Error::new(ErrorKind::HeaderTooLarge { limit: len_u64(limit) }, 0));
                }
                Ok(take)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Runs the header checks of spec §8.2 steps 4–6 on the decoded header
    /// record of `len` bytes (`old` of them from earlier calls) and moves
    /// past it; returns how many of this call's bytes it used.
    fn accept_held_header(&mut self, len: usize, old: usize) -> Result<usize> {
        let header = self
            .header
            .header()
            .ok_or_else(|| Error::new(ErrorKind::Incomplete { state: "inside its header record" }, 0))?;
        // The device first: an image for another device is refused for that
        // reason, whoever sealed it.
        let source = Descriptor::from_header(&header);
        if let Some(reason) = compat::check(&source, self.device).first() {
            return Err(Error::new(ErrorKind::Incompatible(reason.map(Name::from)), 0));
        }
        let key = self.policy.check_header(&header).map_err(|k| Error::new(k, 0))?;
        self.trusted_key = Some(key);
        self.key_id = header.key_id;
        self.chain = self.crypto.digest(&[DOMAIN_HEADER, self.header.bytes()]);
        self.state = State::RecordStart;
        self.record_start = len_u64(len);
        Ok(len.saturating_sub(old))
    }

    /// Gathers a record's head one byte at a time (at most 20 bytes for a
    /// chunk), so no payload byte is ever copied into the verifier.
    fn record_start_bytes(&mut self, rest: &[u8]) -> Result<usize> {
        let mut used = 0usize;
        for &byte in rest {
            if let Some(slot) = self.record.get_mut(self.record_len) {
                *slot = byte;
            }
            self.record_len = self.record_len.saturating_add(1);
            used = used.saturating_add(1);
            let buf = self.record.get(..self.record_len).unwrap_or(&[]);
            match peek_record_type(buf, self.record_start) {
                Err(e) if e.is_truncated() => continue,
                Err(e) => return Err(e.into()),
                Ok(RecordType::Header) => {
                    return Err(order_error("a chunk or seal record", RecordType::Header, self.record_start));
                }
                Ok(RecordType::Seal) => {
                    self.state = State::Seal;
                    return Ok(used);
                }
                Ok(RecordType::Chunk) => match ChunkHead::decode(buf, self.record_start, MAX_CHUNK_LEN) {
                    Err(e) if e.is_truncated() => continue,
                    Err(e) => return Err(e.into()),
                    Ok(head) => {
                        self.start_chunk(head)?;
                        return Ok(used);
                    }
                },
            }
        }
        Ok(used)
    }

    fn start_chunk(&mut self, head: ChunkHead) -> Result<()> {
        let at = self.record_start;
        if head.seq != self.next_seq {
            return Err(Error::new(ErrorKind::SequenceGap { expected: self.next_seq, found: head.seq }, at));
        }
        let limits = self.limits;
        if head.len > limits.max_chunk_len {
            return Err(Error::new(
                ErrorKind::ChunkTooLarge { limit: limits.max_chunk_len, found: head.len },
                at,
            ));
        }
        if self.next_seq >= limits.max_chunks {
            return Err(Error::new(ErrorKind::TooManyChunks { limit: limits.max_chunks }, at));
        }
        let total = self.total.saturating_add(head.len);
        if total > limits.max_total_len {
            return Err(Error::new(
                ErrorKind::TotalTooLarge { limit: limits.max_total_len, found: total },
                at,
            ));
        }
        let mut hasher = self.crypto.sha256();
        hasher.update(&chunk_prefix(head.seq, head.len));
        self.hasher = Some(hasher);
        self.chunk_seq = head.seq;
        self.chunk_remaining = head.len;
        self.record_len = 0;
        self.state = State::ChunkData;
        Ok(())
    }

    fn chunk_bytes<'i>(&mut self, rest: &'i [u8]) -> Result<PayloadPiece<'i>> {
        let n = usize::try_from(self.chunk_remaining).unwrap_or(usize::MAX).min(rest.len());
        let bytes = rest.get(..n).unwrap_or(&[]);
        let piece = PayloadPiece {
            seq: self.chunk_seq,
            payload_offset: self.total,
            stream_offset: self.offset,
            bytes,
        };
        if let Some(h) = self.hasher.as_mut() {
            h.update(bytes);
        }
        let n64 = len_u64(n);
        self.chunk_remaining = self.chunk_remaining.saturating_sub(n64);
        self.total = self.total.saturating_add(n64);
        self.offset = self.offset.saturating_add(n64);
        if self.chunk_remaining == 0 {
            let digest = self.hasher.take().map(Sha256::finish).unwrap_or_default();
            self.chain = self.crypto.digest(&[&chain_input(&self.chain, &digest)]);
            self.next_seq = self.next_seq.saturating_add(1);
            self.record_start = self.offset;
            self.state = State::RecordStart;
        }
        Ok(piece)
    }

    /// Gathers the fixed-length seal record, then decodes it.
    fn seal_bytes(&mut self, rest: &[u8]) -> Result<usize> {
        let old = self.record_len;
        let take = SEAL_RECORD_LEN.saturating_sub(old).min(rest.len());
        let end = old.saturating_add(take);
        if let (Some(dst), Some(src)) = (self.record.get_mut(old..end), rest.get(..take)) {
            copy_prefix(dst, src);
        }
        self.record_len = end;
        if end < SEAL_RECORD_LEN {
            return Ok(take);
        }
        let seal = Seal::decode_record(&self.record, self.record_start)?;
        if seal.key_id != self.key_id {
            return Err(Error::new(
                ErrorKind::KeyIdMismatch {
                    header: KeyIdHex::of(&self.key_id),
                    seal: KeyIdHex::of(&seal.key_id),
                },
                self.record_start,
            ));
        }
        self.image_digest = self.crypto.digest(&[&image_input(&self.chain, self.next_seq, self.total)]);
        self.seal = Some(seal);
        self.state = State::Sealed;
        Ok(take)
    }
}

/// What the structural pass leaves for the seal check.
#[cfg(feature = "std")]
pub(crate) struct SealedParts<'v> {
    pub(crate) header_bytes: &'v [u8],
    pub(crate) trusted_key: &'v TrustedKey<'v>,
    pub(crate) seal: Seal,
    pub(crate) seal_offset: u64,
    pub(crate) chunk_count: u64,
    pub(crate) payload_len: u64,
}

/// The final step, shared by the streaming and the parallel paths: S must
/// be canonical, then strict Ed25519 over the `Sig_structure`.
pub(crate) fn verify_seal<C: Crypto>(
    crypto: &C,
    key: &TrustedKey<'_>,
    seal: &Seal,
    image_digest: &Digest,
    seal_offset: u64,
) -> Result<()> {
    let sig_at = seal_offset.saturating_add(len_u64(SEAL_RECORD_LEN.saturating_sub(64)));
    if !signature_s_is_canonical(&seal.signature) {
        return Err(Error::new(ErrorKind::NonCanonicalSignature, sig_at));
    }
    let tbs = Seal::to_be_signed(&seal.key_id, image_digest);
    crypto.verify_strict_trusted(key, &tbs, &seal.signature).map_err(|f| {
        let kind = match f {
            CryptoFailure::BadSignature => ErrorKind::BadSignature,
            CryptoFailure::InvalidPublicKey | CryptoFailure::WeakKey => ErrorKind::InvalidPublicKey,
        };
        Error::new(kind, sig_at)
    })
}

fn order_error(expected: &'static str, found: RecordType, at: u64) -> Error {
    let found = match found {
        RecordType::Header => "header",
        RecordType::Chunk => "chunk",
        RecordType::Seal => "seal",
    };
    Error::new(ErrorKind::RecordOrder { expected, found }, at)
}
