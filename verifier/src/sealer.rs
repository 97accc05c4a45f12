//! The source side: a streaming sealer that emits the header record, one
//! chunk head per chunk (the caller writes the chunk's bytes right after
//! it), and the seal record. Output is deterministic for fixed inputs:
//! canonical CBOR and RFC 8032 deterministic signatures. The sealer owns
//! its [`SealingKey`], which is wiped when the sealer is dropped.

use migseal_format::cbor::{Encoder, SliceSink, len_u64};
use migseal_format::envelope::{
    CHUNK_HEAD_MAX_LEN, ChunkHead, Digest, Header, KeyId, MAX_HEADER_LEN, SEAL_RECORD_LEN, Seal,
};

use crate::chain::{DigestChain, open_chunk};
use crate::crypto::{Crypto, Sha256};
use crate::dalek::Dalek;
use crate::error::{Error, ErrorKind, Result};
use crate::name::KeyIdHex;
use crate::sealing_key::SealingKey;

/// The bytes of one chunk head, to be written before the chunk's data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChunkHeadBytes {
    buf: [u8; CHUNK_HEAD_MAX_LEN],
    len: usize,
}

impl ChunkHeadBytes {
    /// The encoded head.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or(&[])
    }
}

/// Where sealing stands.
enum Phase<H> {
    /// Between chunks: a chunk may begin, or the image may end.
    Between,
    /// Inside a chunk of which `remaining` bytes are still due.
    Chunk { hasher: H, remaining: u64 },
    /// The seal record was made; nothing more can be added.
    Finished,
}

/// Seals one image, streamed.
///
/// ```
/// use migseal_format::{Ident, envelope::*};
/// use migseal_verifier::{Dalek, SealingKey, Sealer};
/// let key = SealingKey::from_seed(&[7; 32]);
/// let id = |s| Ident::new(s).unwrap();
/// let header = Header {
///     identity: DeviceIdentity { vendor: id("linux"), device_api: id("vfio-pci"), device_type: id("mtty-1") },
///     state_version: StateVersion::new(1, 0),
///     features: IdentList::EMPTY,
///     config: None,
///     codec: id("mtty"),
///     security_version: 1,
///     session: None,
///     subject: None,
///     key_id: key.key_id(&Dalek),
/// };
/// let mut image = vec![0u8; MAX_HEADER_LEN];
/// let (mut sealer, n) = Sealer::new(key, Dalek, &header, &mut image)?;
/// image.truncate(n);
/// let data = b"device state";
/// image.extend_from_slice(sealer.chunk(data)?.as_bytes());
/// image.extend_from_slice(data);
/// image.extend_from_slice(&sealer.finish()?);
/// # Ok::<(), migseal_verifier::Error>(())
/// ```
pub struct Sealer<C: Crypto = Dalek> {
    key: SealingKey,
    crypto: C,
    key_id: KeyId,
    chain: DigestChain,
    next_seq: u64,
    total: u64,
    phase: Phase<C::Hasher>,
}

impl<C: Crypto> core::fmt::Debug for Sealer<C> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Sealer")
            .field("chunks", &self.next_seq)
            .field("payload", &self.total)
            .finish_non_exhaustive()
    }
}

impl<C: Crypto> Sealer<C> {
    /// Starts an image: encodes `header`'s record into `out` and returns
    /// the sealer and the number of bytes written.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::KeyIdMismatch`] when the header names another key than
    /// `key`; a format error when `out` is too small or the header record
    /// exceeds the 4096-byte bound.
    pub fn new(key: SealingKey, crypto: C, header: &Header<'_>, out: &mut [u8]) -> Result<(Self, usize)> {
        let key_id = key.key_id(&crypto);
        if header.key_id != key_id {
            return Err(Error::new(
                ErrorKind::KeyIdMismatch {
                    header: KeyIdHex::of(&header.key_id),
                    seal: KeyIdHex::of(&key_id),
                },
                0,
            ));
        }
        let cap = out.len().min(MAX_HEADER_LEN);
        let mut e = Encoder::new(SliceSink::new(out.get_mut(..cap).unwrap_or(&mut [])));
        header.encode_record(&mut e)?;
        let len = e.finish()?.len();
        let chain = DigestChain::start(&crypto, out.get(..len).unwrap_or(&[]));
        Ok((Self { key, crypto, key_id, chain, next_seq: 0, total: 0, phase: Phase::Between }, len))
    }

    /// Starts a chunk of `len` bytes; returns its head. Then pass exactly
    /// `len` bytes to [`Sealer::chunk_data`] (in pieces of any size).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::RecordOrder`] while another chunk is open or after
    /// [`Sealer::finish`]; a format error for an empty or over-long chunk.
    pub fn begin_chunk(&mut self, len: u64) -> Result<ChunkHeadBytes> {
        if !matches!(self.phase, Phase::Between) {
            return Err(Error::new(
                ErrorKind::RecordOrder { expected: "chunk data or the end", found: "chunk" },
                0,
            ));
        }
        let (buf, head_len) = ChunkHead::encode(self.next_seq, len)?;
        self.phase = Phase::Chunk { hasher: open_chunk(&self.crypto, self.next_seq, len), remaining: len };
        Ok(ChunkHeadBytes { buf, len: head_len })
    }

    /// Absorbs data of the open chunk; closes it when its length is reached.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::RecordOrder`] without an open chunk or beyond its length.
    pub fn chunk_data(&mut self, data: &[u8]) -> Result<()> {
        let n = len_u64(data.len());
        let Phase::Chunk { hasher, remaining } = &mut self.phase else {
            return Err(order_error());
        };
        if *remaining < n {
            return Err(order_error());
        }
        hasher.update(data);
        *remaining = remaining.saturating_sub(n);
        self.total = self.total.saturating_add(n);
        if *remaining == 0
            && let Phase::Chunk { hasher, .. } = core::mem::replace(&mut self.phase, Phase::Between)
        {
            self.chain.push(&self.crypto, &hasher.finish());
            self.next_seq = self.next_seq.saturating_add(1);
        }
        Ok(())
    }

    /// One whole chunk: returns the head to write before `data`.
    ///
    /// # Errors
    ///
    /// As [`Sealer::begin_chunk`].
    pub fn chunk(&mut self, data: &[u8]) -> Result<ChunkHeadBytes> {
        let head = self.begin_chunk(len_u64(data.len()))?;
        self.chunk_data(data)?;
        Ok(head)
    }

    /// One whole chunk of `len` bytes whose digest was computed elsewhere
    /// (worker threads): `digest` must be
    /// [`chunk_digest`](crate::chain::chunk_digest) of the chunk's data
    /// under [`Sealer::next_seq`]. Returns the head to write before the
    /// data; the image is byte-identical to one made with
    /// [`Sealer::chunk`].
    ///
    /// # Errors
    ///
    /// As [`Sealer::begin_chunk`].
    pub fn chunk_with_digest(&mut self, len: u64, digest: &Digest) -> Result<ChunkHeadBytes> {
        if !matches!(self.phase, Phase::Between) {
            return Err(Error::new(
                ErrorKind::RecordOrder { expected: "chunk data or the end", found: "chunk" },
                0,
            ));
        }
        let (buf, head_len) = ChunkHead::encode(self.next_seq, len)?;
        self.chain.push(&self.crypto, digest);
        self.next_seq = self.next_seq.saturating_add(1);
        self.total = self.total.saturating_add(len);
        Ok(ChunkHeadBytes { buf, len: head_len })
    }

    /// The sequence number the next chunk gets.
    #[must_use]
    pub const fn next_seq(&self) -> u64 {
        self.next_seq
    }

    /// Ends the image: returns the seal record. Nothing can be added after.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Incomplete`] while a chunk is open;
    /// [`ErrorKind::RecordOrder`] when called twice.
    pub fn finish(&mut self) -> Result<[u8; SEAL_RECORD_LEN]> {
        match self.phase {
            Phase::Between => {}
            Phase::Chunk { .. } => {
                return Err(Error::new(ErrorKind::Incomplete { state: "inside a chunk" }, 0));
            }
            Phase::Finished => {
                return Err(Error::new(ErrorKind::RecordOrder { expected: "nothing", found: "seal" }, 0));
            }
        }
        self.phase = Phase::Finished;
        let image_digest = self.chain.image_digest(&self.crypto, self.next_seq, self.total);
        let signature = self.key.sign(&Seal::to_be_signed(&self.key_id, &image_digest));
        Ok(Seal { key_id: self.key_id, signature }.encode_record())
    }
}

fn order_error() -> Error {
    Error::new(ErrorKind::RecordOrder { expected: "a chunk head", found: "chunk data" }, 0)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::as_conversions)]
    use migseal_format::Ident;
    use migseal_format::envelope::{DeviceIdentity, IdentList, MAX_HEADER_LEN, StateVersion};
    use std::vec::Vec;

    use super::*;
    use crate::chain::chunk_digest;

    fn header(key_id: KeyId) -> Header<'static> {
        let id = |s| Ident::new(s).unwrap();
        Header {
            identity: DeviceIdentity {
                vendor: id("linux"),
                device_api: id("vfio-pci"),
                device_type: id("mtty-1"),
            },
            state_version: StateVersion::new(1, 0),
            features: IdentList::EMPTY,
            config: None,
            codec: id("mtty"),
            security_version: 1,
            session: None,
            subject: None,
            key_id,
        }
    }

    fn seal(data: &[u8], chunk: usize, precomputed: bool) -> Vec<u8> {
        let key = SealingKey::from_seed(&[9; 32]);
        let h = header(key.key_id(&Dalek));
        let mut out = std::vec![0u8; MAX_HEADER_LEN];
        let (mut sealer, n) = Sealer::new(key, Dalek, &h, &mut out).unwrap();
        out.truncate(n);
        for piece in data.chunks(chunk) {
            let head = if precomputed {
                let d = chunk_digest(&Dalek, sealer.next_seq(), piece);
                sealer.chunk_with_digest(piece.len() as u64, &d).unwrap()
            } else {
                sealer.chunk(piece).unwrap()
            };
            out.extend_from_slice(head.as_bytes());
            out.extend_from_slice(piece);
        }
        out.extend_from_slice(&sealer.finish().unwrap());
        out
    }

    #[test]
    fn precomputed_digests_give_the_same_image() {
        let data: Vec<u8> = (0..1000u32).map(|i| (i * 7) as u8).collect();
        for len in [0, 1, 99, 100, 101, 1000] {
            assert_eq!(seal(&data[..len], 100, true), seal(&data[..len], 100, false), "{len} bytes");
        }
    }

    #[test]
    fn a_precomputed_chunk_inside_an_open_chunk_is_refused() {
        let key = SealingKey::from_seed(&[9; 32]);
        let h = header(key.key_id(&Dalek));
        let mut out = std::vec![0u8; MAX_HEADER_LEN];
        let (mut sealer, _) = Sealer::new(key, Dalek, &h, &mut out).unwrap();
        sealer.begin_chunk(4).unwrap();
        assert!(sealer.chunk_with_digest(1, &[0; 32]).is_err());
    }
}
