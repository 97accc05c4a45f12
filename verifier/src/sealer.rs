//! The source side: a streaming sealer that emits the header record, one
//! chunk head per chunk (the caller writes the chunk's bytes right after
//! it), and the seal record. Output is deterministic for fixed inputs:
//! canonical CBOR and RFC 8032 deterministic signatures.

use migseal_format::cbor::{Encoder, SliceSink, len_u64};
use migseal_format::envelope::{
    CHUNK_HEAD_MAX_LEN, ChunkHead, DOMAIN_HEADER, Digest, Header, KeyId, MAX_HEADER_LEN, SEAL_RECORD_LEN,
    Seal, chain_input, chunk_prefix, image_input,
};

use crate::crypto::{Crypto, Dalek, Sha256};
use crate::error::{Error, ErrorKind, Result};
use crate::keys::SealingKey;
use crate::name::KeyIdHex;

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
/// let (mut sealer, n) = Sealer::new(&key, Dalek, &header, &mut image)?;
/// image.truncate(n);
/// let data = b"device state";
/// image.extend_from_slice(sealer.chunk(data)?.as_bytes());
/// image.extend_from_slice(data);
/// image.extend_from_slice(&sealer.finish()?);
/// # Ok::<(), migseal_verifier::Error>(())
/// ```
pub struct Sealer<'k, C: Crypto = Dalek> {
    key: &'k SealingKey,
    crypto: C,
    key_id: KeyId,
    chain: Digest,
    next_seq: u64,
    total: u64,
    open: Option<OpenChunk<C::Hasher>>,
}

struct OpenChunk<H> {
    hasher: H,
    remaining: u64,
}

impl<'k, C: Crypto> Sealer<'k, C> {
    /// Starts an image: encodes `header`'s record into `out` and returns
    /// the sealer and the number of bytes written.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::KeyIdMismatch`] when the header names another key than
    /// `key`; a format error when `out` is too small or the header record
    /// exceeds the 4096-byte bound.
    pub fn new(key: &'k SealingKey, crypto: C, header: &Header<'_>, out: &mut [u8]) -> Result<(Self, usize)> {
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
        let record = out.get(..len).unwrap_or(&[]);
        let chain = crypto.digest(&[DOMAIN_HEADER, record]);
        Ok((Self { key, crypto, key_id, chain, next_seq: 0, total: 0, open: None }, len))
    }

    /// Starts a chunk of `len` bytes; returns its head. Then pass exactly
    /// `len` bytes to [`Sealer::chunk_data`] (in pieces of any size).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::RecordOrder`] while another chunk is open; a format
    /// error for an empty or over-long chunk.
    pub fn begin_chunk(&mut self, len: u64) -> Result<ChunkHeadBytes> {
        if self.open.is_some() {
            return Err(Error::new(ErrorKind::RecordOrder { expected: "chunk data", found: "chunk" }, 0));
        }
        let (buf, head_len) = ChunkHead::encode(self.next_seq, len)?;
        let mut hasher = self.crypto.sha256();
        hasher.update(&chunk_prefix(self.next_seq, len));
        self.open = Some(OpenChunk { hasher, remaining: len });
        Ok(ChunkHeadBytes { buf, len: head_len })
    }

    /// Absorbs data of the open chunk; closes it when its length is reached.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::RecordOrder`] without an open chunk or beyond its length.
    pub fn chunk_data(&mut self, data: &[u8]) -> Result<()> {
        let n = len_u64(data.len());
        let Some(open) = self.open.as_mut().filter(|o| o.remaining >= n) else {
            return Err(Error::new(
                ErrorKind::RecordOrder { expected: "a chunk head", found: "chunk data" },
                0,
            ));
        };
        open.hasher.update(data);
        open.remaining = open.remaining.saturating_sub(n);
        self.total = self.total.saturating_add(n);
        if open.remaining == 0
            && let Some(done) = self.open.take()
        {
            let digest = done.hasher.finish();
            self.chain = self.crypto.digest(&[&chain_input(&self.chain, &digest)]);
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

    /// Ends the image: returns the seal record.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Incomplete`] while a chunk is open.
    pub fn finish(self) -> Result<[u8; SEAL_RECORD_LEN]> {
        if self.open.is_some() {
            return Err(Error::new(ErrorKind::Incomplete { state: "inside a chunk" }, 0));
        }
        let image_digest = self.crypto.digest(&[&image_input(&self.chain, self.next_seq, self.total)]);
        let tbs = Seal::to_be_signed(&self.key_id, &image_digest);
        let signature = self.key.sign(&tbs);
        Ok(Seal { key_id: self.key_id, signature }.encode_record())
    }
}
