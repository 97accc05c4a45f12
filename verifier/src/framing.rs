//! The framing walk: one trust-free push state machine that takes an image
//! in fragments of any size and decides its structure — record order,
//! sequence numbers, size limits, offsets, the header and seal records'
//! decoding — and emits events. It knows no key, policy or digest: the
//! streaming verifier, inspection, parallel verification and the fuzz
//! oracles are its callers, so they refuse the same bytes with the same
//! error at the same offset.
//!
//! ```text
//!  Header ──header record decoded──▶ RecordStart           (Event::Header)
//!  RecordStart ──chunk head──▶ Chunk { seq, remaining }     (Event::ChunkStart)
//!  Chunk ──payload bytes──▶ Chunk | RecordStart             (Event::Payload)
//!  RecordStart ──seal record type──▶ Seal ──154 bytes──▶ Sealed   (Event::Seal)
//!  any phase ──error──▶ Failed (sticky: every later call returns the error)
//! ```
//!
//! Memory is constant: the header record (at most 4096 bytes, decoded once)
//! and one seal-sized record buffer, then the decoded seal. No payload
//! byte is ever copied.

use migseal_format::cbor::{ItemScan, len_u64};
use migseal_format::envelope::{
    ChunkHead, Header, HeaderRecord, KEY_ID_LEN, KeyId, MAX_CHUNK_LEN, RecordType, SEAL_RECORD_LEN, Seal,
    peek_record_type,
};

use crate::error::{Error, ErrorKind, Result};
use crate::name::KeyIdHex;
use crate::policy::Limits;

/// A run of payload bytes inside the caller's input. They are *not yet
/// verified*: stage them, and interpret them only after the verifier's
/// `finish` succeeds.
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

/// What the walk found at the end of one [`Walker::advance`] call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event<'w, 'i> {
    /// The header record is complete and decoded.
    Header {
        /// The record: its bytes as received ([`HeaderRecord::bytes`]) and
        /// the decoded header ([`HeaderRecord::header`], `Some` for every
        /// record the walker emits). Borrowed, so that every [`Step`]
        /// stays a few words wide: a writer feeding one byte at a time
        /// pays for a step per byte.
        record: &'w HeaderRecord,
    },
    /// A chunk head was read: `len` payload bytes of chunk `seq` follow.
    ChunkStart {
        /// Sequence number.
        seq: u64,
        /// Payload length.
        len: u64,
    },
    /// Payload bytes of the current chunk.
    Payload {
        /// Where they are.
        piece: PayloadPiece<'i>,
        /// Whether they are the chunk's last bytes.
        ends_chunk: bool,
    },
    /// The seal record is complete and decoded; its key id is the header's.
    Seal {
        /// The seal (borrowed, as the header record is).
        seal: &'w Seal,
        /// Stream offset of the seal record.
        offset: u64,
        /// Chunks in the image.
        chunk_count: u64,
        /// Payload bytes in all chunks.
        payload_len: u64,
    },
}

/// What one [`Walker::advance`] call did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Step<'w, 'i> {
    /// Bytes of the input consumed.
    pub consumed: usize,
    /// The event the call stopped at, if any; without one, the whole input
    /// was consumed.
    pub event: Option<Event<'w, 'i>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Header,
    RecordStart,
    Chunk { seq: u64, remaining: u64 },
    Seal,
    Sealed,
    Failed(Error),
}

/// A chunk head or the seal record while it arrives.
#[derive(Clone, Copy)]
struct RecordBuf {
    bytes: [u8; SEAL_RECORD_LEN],
    len: usize,
}

impl RecordBuf {
    const EMPTY: Self = Self { bytes: [0; SEAL_RECORD_LEN], len: 0 };

    fn bytes(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or(&[])
    }
}

/// The framing walk over one image. See the module docs.
#[derive(Clone)]
pub struct Walker {
    phase: Phase,
    /// Stream bytes consumed so far.
    offset: u64,
    /// Where the record being read started.
    record_start: u64,
    header: HeaderRecord,
    /// Where the header record's item ends, found as its bytes arrive.
    header_scan: ItemScan,
    /// Whether the stream's first record was seen to be a header record
    /// (a fact of its first bytes, so checked until it holds).
    header_typed: bool,
    /// The header's key id, which the seal must repeat.
    key_id: KeyId,
    record: RecordBuf,
    /// The seal record, once decoded.
    seal: Option<Seal>,
    next_seq: u64,
    total: u64,
    /// What the decoders were handed, for the tests that bound it.
    #[cfg(test)]
    work: Work,
}

/// The work of one walk, counted by the tests: a decoder that reads a
/// buffer from its start costs that buffer's length on every call.
#[cfg(test)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Work {
    /// Calls of the resumable header scan.
    header_scans: u64,
    /// Full decodes of the header record.
    header_decodes: u64,
    /// Bytes handed to the decoders that read from the buffer's start:
    /// the header record's, the record heads' and the seal's.
    decoder_bytes: u64,
}

#[cfg(test)]
impl Work {
    fn decoder(&mut self, bytes: &[u8]) {
        self.decoder_bytes = self.decoder_bytes.saturating_add(len_u64(bytes.len()));
    }
}

impl core::fmt::Debug for Walker {
    // Never the buffers: untrusted bytes are not printed.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Walker")
            .field("phase", &self.phase)
            .field("offset", &self.offset)
            .field("chunks", &self.next_seq)
            .finish_non_exhaustive()
    }
}

impl Default for Walker {
    fn default() -> Self {
        Self::new()
    }
}

impl Walker {
    /// A walk at the start of an image.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            phase: Phase::Header,
            offset: 0,
            record_start: 0,
            header: HeaderRecord::new(),
            header_scan: ItemScan::new(),
            header_typed: false,
            key_id: [0; KEY_ID_LEN],
            record: RecordBuf::EMPTY,
            seal: None,
            next_seq: 0,
            total: 0,
            #[cfg(test)]
            work: Work { header_scans: 0, header_decodes: 0, decoder_bytes: 0 },
        }
    }

    /// Stream bytes consumed so far.
    #[must_use]
    pub const fn offset(&self) -> u64 {
        self.offset
    }

    /// Chunks completed so far.
    #[must_use]
    pub const fn chunk_count(&self) -> u64 {
        self.next_seq
    }

    /// Payload bytes seen so far.
    #[must_use]
    pub const fn payload_len(&self) -> u64 {
        self.total
    }

    /// The header and its record bytes, once the header record was decoded.
    #[must_use]
    pub fn header(&self) -> Option<(Header<'_>, &[u8])> {
        Some((self.header.header()?, self.header.bytes()))
    }

    /// The error that stopped the walk, if any.
    #[must_use]
    pub const fn failure(&self) -> Option<Error> {
        match self.phase {
            Phase::Failed(e) => Some(e),
            _ => None,
        }
    }

    /// Whether the seal record was read.
    #[must_use]
    pub const fn is_sealed(&self) -> bool {
        matches!(self.phase, Phase::Sealed)
    }

    /// Consumes a prefix of `input` under `limits`: up to the first event,
    /// or all of it. Call again with the rest.
    ///
    /// # Errors
    ///
    /// The first structural or limit refusal (spec §8.1–8.4); afterwards
    /// every call returns the same error.
    pub fn advance<'w, 'i>(&'w mut self, limits: &Limits, input: &'i [u8]) -> Result<Step<'w, 'i>> {
        match self.phase {
            Phase::Failed(e) => return Err(e),
            // Inside a chunk: one payload run, the common case, without
            // the walk's loop.
            Phase::Chunk { seq, remaining } if !input.is_empty() => {
                let (n, stop) = self.chunk_bytes(seq, remaining, input);
                self.offset = self.offset.saturating_add(len_u64(n));
                return Ok(self.step(Found { consumed: n, event: stop }));
            }
            // Inside a string of the header record that this input does
            // not complete: nothing can be decided, the bytes are only
            // gathered (a writer feeding one byte at a time pays a copy per
            // call, not a scan).
            Phase::Header if self.header_waits_beyond(limits, input.len()) => {
                let n = self.header.gather(input, limits.max_header_len);
                self.offset = self.offset.saturating_add(len_u64(n));
                return Ok(Step { consumed: n, event: None });
            }
            _ => {}
        }
        self.advance_walk(limits, input)
    }

    /// Whether `n` more header bytes all fit below both the header limit
    /// and the length the header scan needs before its answer can change.
    fn header_waits_beyond(&self, limits: &Limits, n: usize) -> bool {
        let after = self.header.bytes().len().saturating_add(n);
        let room = limits.max_header_len.min(migseal_format::envelope::MAX_HEADER_LEN);
        self.header_typed && after < room && self.header_scan.needed().is_some_and(|need| after < need)
    }

    /// [`Walker::advance`] past its fast paths: the walk's loop.
    #[inline(never)]
    fn advance_walk<'w, 'i>(&'w mut self, limits: &Limits, input: &'i [u8]) -> Result<Step<'w, 'i>> {
        match self.walk(limits, input) {
            Ok(found) => Ok(self.step(found)),
            Err(e) => {
                self.phase = Phase::Failed(e);
                Err(e)
            }
        }
    }

    /// The answer at the end of the stream: `Ok` only once the seal record
    /// was read.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Incomplete`] where the stream stopped, or the seal
    /// record's first deviation when the bytes that did arrive already
    /// deviate (spec §8.4); the earlier failure.
    pub fn end_of_stream(&self) -> Result<()> {
        let incomplete = |state| Err(Error::new(ErrorKind::Incomplete { state }, self.offset));
        match self.phase {
            Phase::Sealed => Ok(()),
            Phase::Failed(e) => Err(e),
            Phase::Header => incomplete("inside its header record"),
            Phase::RecordStart => incomplete("before its seal record"),
            Phase::Chunk { .. } => incomplete("inside a chunk"),
            Phase::Seal => match Seal::decode_record(self.record.bytes(), self.record_start) {
                Err(e) if !e.is_truncated() => Err(e.into()),
                _ => incomplete("inside its seal record"),
            },
        }
    }

    /// The event of a walk that stopped at one, re-borrowed from `self`.
    fn step<'w, 'i>(&'w self, found: Found<'i>) -> Step<'w, 'i> {
        let event = match found.event {
            None => None,
            Some(Stop::Header) => Some(Event::Header { record: &self.header }),
            Some(Stop::ChunkStart { seq, len }) => Some(Event::ChunkStart { seq, len }),
            Some(Stop::Payload { piece, ends_chunk }) => Some(Event::Payload { piece, ends_chunk }),
            Some(Stop::Seal) => self.seal.as_ref().map(|seal| Event::Seal {
                seal,
                offset: self.record_start,
                chunk_count: self.next_seq,
                payload_len: self.total,
            }),
        };
        Step { consumed: found.consumed, event }
    }

    fn walk<'i>(&mut self, limits: &Limits, input: &'i [u8]) -> Result<Found<'i>> {
        let mut used = 0usize;
        loop {
            let rest = input.get(used..).unwrap_or(&[]);
            if rest.is_empty() {
                return Ok(Found { consumed: used, event: None });
            }
            let (n, stop) = match self.phase {
                Phase::Header => self.header_bytes(limits, rest)?,
                Phase::RecordStart => self.record_start_bytes(limits, rest)?,
                Phase::Chunk { seq, remaining } => self.chunk_bytes(seq, remaining, rest),
                Phase::Seal => self.seal_bytes(rest)?,
                // No byte count: how many trailing bytes one call sees
                // depends on the fragmentation, and the error must not.
                Phase::Sealed => {
                    return Err(migseal_format::Error::new(
                        migseal_format::ErrorCode::TrailingBytes,
                        self.offset,
                    )
                    .into());
                }
                Phase::Failed(e) => return Err(e),
            };
            used = used.saturating_add(n);
            self.offset = self.offset.saturating_add(len_u64(n));
            if stop.is_some() {
                return Ok(Found { consumed: used, event: stop });
            }
        }
    }

    /// Gathers the header record; decodes it once complete.
    fn header_bytes<'i>(&mut self, limits: &Limits, rest: &[u8]) -> Result<(usize, Option<Stop<'i>>)> {
        let limit = limits.max_header_len;
        let old = self.header.bytes().len();
        let take = self.header.gather(rest, limit);

        // Refuse a stream that does not start with a header record as soon
        // as its first two bytes say so (once they said "header", more bytes
        // cannot change that).
        if !self.header_typed {
            #[cfg(test)]
            {
                // The record type check reads at most two heads.
                let held = self.header.bytes();
                self.work.decoder(held.get(..2 * migseal_format::cbor::MAX_HEAD_LEN).unwrap_or(held));
            }
            match peek_record_type(self.header.bytes(), 0) {
                Ok(RecordType::Header) => self.header_typed = true,
                Ok(other) => return Err(order_error("a header record", other, 0)),
                Err(e) if e.is_truncated() => {}
                Err(e) => return Err(e.into()),
            }
        }
        // The generic CBOR rules over the whole item come first (spec §8.2
        // step 3, §8.6), and they also say where the record ends. The scan
        // resumes where the previous call stopped, so each byte is checked
        // once however the writer splits the stream, and a deviation is
        // refused in the call that brings it, as the whole-buffer walk
        // would. The field rules run once, over the complete record.
        #[cfg(test)]
        {
            self.work.header_scans = self.work.header_scans.saturating_add(1);
        }
        // The common case, a whole header in the first call: a header that
        // decodes is canonical CBOR throughout (every item went through a
        // typed read that refuses non-canonical forms), so the scan could
        // not refuse it and is skipped. Tried once, on the first bytes, so
        // it never repeats over a header that arrives in pieces; any
        // failure goes the scan's way, which keeps the spec's precedence.
        if old == 0 {
            let decoded = self.header.decode_prefix(0);
            #[cfg(test)]
            {
                // A decode reads up to the record's end; a failed one, at
                // most what is held.
                let held = self.header.bytes();
                self.work.decoder(decoded.map_or(held, |len| held.get(..len).unwrap_or(held)));
                self.work.header_decodes =
                    self.work.header_decodes.saturating_add(u64::from(decoded.is_ok()));
            }
            if let Ok(len) = decoded {
                return Ok(self.header_decoded(len, old));
            }
        }
        let len = match self.header_scan.resume(self.header.bytes(), 0, &[]) {
            Ok(len) => len,
            Err(e) if e.is_truncated() => {
                if self.header.bytes().len() >= limit {
                    return Err(Error::new(ErrorKind::HeaderTooLarge { limit: len_u64(limit) }, 0));
                }
                return Ok((take, None));
            }
            Err(e) => return Err(e.into()),
        };
        #[cfg(test)]
        {
            self.work.header_decodes = self.work.header_decodes.saturating_add(1);
            self.work.decoder(self.header.bytes().get(..len).unwrap_or(&[]));
        }
        self.header.decode_exact(len, 0)?;
        Ok(self.header_decoded(len, old))
    }

    /// The header record of `len` bytes is decoded; `old` of them were
    /// gathered by earlier calls.
    fn header_decoded<'i>(&mut self, len: usize, old: usize) -> (usize, Option<Stop<'i>>) {
        // A decoded record always yields its header; were it ever missing,
        // the all-zero id would make the seal refuse (fail-safe).
        self.key_id = self.header.key_id().unwrap_or_default();
        self.phase = Phase::RecordStart;
        self.record_start = len_u64(len);
        (len.saturating_sub(old), Some(Stop::Header))
    }

    /// Gathers a record's head one byte at a time (at most 20 bytes for a
    /// chunk), so no payload byte is ever copied.
    fn record_start_bytes<'i>(&mut self, limits: &Limits, rest: &[u8]) -> Result<(usize, Option<Stop<'i>>)> {
        let mut used = 0usize;
        for &byte in rest {
            if let Some(slot) = self.record.bytes.get_mut(self.record.len) {
                *slot = byte;
            }
            self.record.len = self.record.len.saturating_add(1);
            used = used.saturating_add(1);
            let buf = self.record.bytes();
            #[cfg(test)]
            self.work.decoder(buf);
            match peek_record_type(buf, self.record_start) {
                Err(e) if e.is_truncated() => continue,
                Err(e) => return Err(e.into()),
                Ok(RecordType::Header) => {
                    return Err(order_error("a chunk or seal record", RecordType::Header, self.record_start));
                }
                Ok(RecordType::Seal) => {
                    self.phase = Phase::Seal;
                    return Ok((used, None));
                }
                Ok(RecordType::Chunk) => {
                    #[cfg(test)]
                    self.work.decoder(buf);
                    match ChunkHead::decode(buf, self.record_start, MAX_CHUNK_LEN) {
                        Err(e) if e.is_truncated() => continue,
                        Err(e) => return Err(e.into()),
                        Ok(head) => return Ok((used, Some(self.start_chunk(limits, head)?))),
                    }
                }
            }
        }
        Ok((used, None))
    }

    /// The sequence and limit checks of a chunk head (spec §8.3).
    fn start_chunk<'i>(&mut self, limits: &Limits, head: ChunkHead) -> Result<Stop<'i>> {
        let at = self.record_start;
        if head.seq != self.next_seq {
            return Err(Error::new(ErrorKind::SequenceGap { expected: self.next_seq, found: head.seq }, at));
        }
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
        self.record = RecordBuf::EMPTY;
        self.phase = Phase::Chunk { seq: head.seq, remaining: head.len };
        Ok(Stop::ChunkStart { seq: head.seq, len: head.len })
    }

    fn chunk_bytes<'i>(&mut self, seq: u64, remaining: u64, rest: &'i [u8]) -> (usize, Option<Stop<'i>>) {
        let n = usize::try_from(remaining).unwrap_or(usize::MAX).min(rest.len());
        let bytes = rest.get(..n).unwrap_or(&[]);
        let piece = PayloadPiece { seq, payload_offset: self.total, stream_offset: self.offset, bytes };
        let n64 = len_u64(n);
        let remaining = remaining.saturating_sub(n64);
        self.total = self.total.saturating_add(n64);
        let ends_chunk = remaining == 0;
        if ends_chunk {
            self.next_seq = self.next_seq.saturating_add(1);
            self.record_start = self.offset.saturating_add(n64);
            self.phase = Phase::RecordStart;
        } else {
            self.phase = Phase::Chunk { seq, remaining };
        }
        (n, Some(Stop::Payload { piece, ends_chunk }))
    }

    /// Gathers the fixed-length seal record, then decodes it.
    fn seal_bytes<'i>(&mut self, rest: &[u8]) -> Result<(usize, Option<Stop<'i>>)> {
        let old = self.record.len;
        let take = SEAL_RECORD_LEN.saturating_sub(old).min(rest.len());
        let end = old.saturating_add(take);
        if let (Some(dst), Some(src)) = (self.record.bytes.get_mut(old..end), rest.get(..take)) {
            migseal_format::bytes::copy_prefix(dst, src);
        }
        self.record.len = end;
        if end < SEAL_RECORD_LEN {
            return Ok((take, None));
        }
        #[cfg(test)]
        self.work.decoder(self.record.bytes());
        let seal = Seal::decode_record(self.record.bytes(), self.record_start)?;
        if seal.key_id != self.key_id {
            return Err(Error::new(
                ErrorKind::KeyIdMismatch {
                    header: KeyIdHex::of(&self.key_id),
                    seal: KeyIdHex::of(&seal.key_id),
                },
                self.record_start,
            ));
        }
        self.phase = Phase::Sealed;
        self.seal = Some(seal);
        Ok((take, Some(Stop::Seal)))
    }

    /// Payload bytes of the current chunk still to come (0 outside a
    /// chunk).
    #[must_use]
    pub const fn payload_remaining(&self) -> u64 {
        match self.phase {
            Phase::Chunk { remaining, .. } => remaining,
            _ => 0,
        }
    }

    /// Passes over up to `n` payload bytes of the current chunk without
    /// seeing them, for a caller that reads and hashes them elsewhere
    /// (positioned reads, worker threads). Offsets, payload total and
    /// chunk count move exactly as if the bytes had gone through
    /// [`Walker::advance`]; after a chunk's last byte the next record is
    /// due. Returns the bytes passed over: `min(n, remaining)`, 0 outside
    /// a chunk (and after a failure).
    pub fn skip_payload(&mut self, n: u64) -> u64 {
        let Phase::Chunk { seq, remaining } = self.phase else { return 0 };
        let k = n.min(remaining);
        let remaining = remaining.saturating_sub(k);
        self.offset = self.offset.saturating_add(k);
        self.total = self.total.saturating_add(k);
        if remaining == 0 {
            self.next_seq = self.next_seq.saturating_add(1);
            self.record_start = self.offset;
            self.phase = Phase::RecordStart;
        } else {
            self.phase = Phase::Chunk { seq, remaining };
        }
        k
    }
}

/// Where a walk stopped, before the event is re-borrowed from the walker.
struct Found<'i> {
    consumed: usize,
    event: Option<Stop<'i>>,
}

enum Stop<'i> {
    Header,
    ChunkStart { seq: u64, len: u64 },
    Payload { piece: PayloadPiece<'i>, ends_chunk: bool },
    Seal,
}

fn order_error(expected: &'static str, found: RecordType, at: u64) -> Error {
    let found = match found {
        RecordType::Header => "header",
        RecordType::Chunk => "chunk",
        RecordType::Seal => "seal",
    };
    Error::new(ErrorKind::RecordOrder { expected, found }, at)
}

#[cfg(test)]
mod tests;
