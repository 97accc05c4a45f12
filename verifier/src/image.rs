//! Verifying an image that is already in memory (userspace, WASM): the
//! same state machine, fed the whole slice, plus access to the verified
//! chunks without copying.

use migseal_format::envelope::{ChunkHead, Descriptor, Digest, Header, MAX_CHUNK_LEN};

use migseal_format::bytes::copy_prefix;

use crate::crypto::Crypto;
use crate::dalek::Dalek;
use crate::error::{Error, ErrorKind, Result};
use crate::policy::Policy;
use crate::stream::Verifier;
use crate::verdict::{ImageIdentity, VerifiedPayload};

/// An image that verified, borrowed from the caller's bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VerifiedImage<'i> {
    image: &'i [u8],
    header: Header<'i>,
    header_len: usize,
    image_digest: Digest,
    chunk_count: u64,
    payload_len: u64,
}

/// Verifies a whole image in memory with the default crypto.
///
/// # Errors
///
/// Exactly the error the streaming verifier gives for the same bytes.
pub fn verify_image<'i>(
    image: &'i [u8],
    policy: &Policy,
    device: &Descriptor<'_>,
) -> Result<VerifiedImage<'i>> {
    verify_image_with(image, policy, device, Dalek)
}

/// [`verify_image`] with a caller's crypto provider.
///
/// # Errors
///
/// As [`verify_image`].
pub fn verify_image_with<'i, C: Crypto>(
    image: &'i [u8],
    policy: &Policy<C>,
    device: &Descriptor<'_>,
    crypto: C,
) -> Result<VerifiedImage<'i>> {
    let mut v = Verifier::new(crypto);
    v.feed(policy, device, image, |_| {})?;
    let verdict = v.finish()?;
    let header_len = verdict.header_bytes().len();
    let (image_digest, chunk_count, payload_len) =
        (*verdict.image_digest(), verdict.chunk_count(), verdict.payload_len());
    // Re-borrow the header from the caller's bytes (identical to the
    // verifier's copy), so it lives as long as the image.
    VerifiedImage::assemble(image, header_len, image_digest, chunk_count, payload_len)
}

impl<'i> VerifiedImage<'i> {
    /// Builds the result once verification succeeded.
    pub(crate) fn assemble(
        image: &'i [u8],
        header_len: usize,
        image_digest: Digest,
        chunk_count: u64,
        payload_len: u64,
    ) -> Result<Self> {
        let header = Header::decode_record(image.get(..header_len).unwrap_or(&[]), 0)?;
        Ok(Self { image, header, header_len, image_digest, chunk_count, payload_len })
    }

    /// The chunks of `image` after a header of `header_len` bytes.
    pub(crate) fn chunks_of(image: &'i [u8], header_len: usize, chunk_count: u64) -> Chunks<'i> {
        Chunks { rest: image.get(header_len..).unwrap_or(&[]), left: chunk_count }
    }

    /// The verified header.
    #[must_use]
    pub const fn header(&self) -> &Header<'i> {
        &self.header
    }

    /// The image digest the seal signs.
    #[must_use]
    pub const fn image_digest(&self) -> &Digest {
        &self.image_digest
    }

    /// Number of chunks.
    #[must_use]
    pub const fn chunk_count(&self) -> u64 {
        self.chunk_count
    }

    /// Payload bytes in all chunks.
    #[must_use]
    pub const fn payload_len(&self) -> u64 {
        self.payload_len
    }

    /// The payload chunks, in order, borrowed from the image.
    #[must_use]
    pub fn chunks(&self) -> Chunks<'i> {
        Self::chunks_of(self.image, self.header_len, self.chunk_count)
    }

    /// The payload as one slice, when the image has at most one chunk (no
    /// copy); `None` otherwise — use [`VerifiedImage::collect_payload`].
    #[must_use]
    pub fn contiguous_payload(&self) -> Option<VerifiedPayload<'i>> {
        let mut chunks = self.chunks();
        let bytes = match self.chunk_count {
            0 => &[][..],
            1 => chunks.next()?,
            _ => return None,
        };
        Some(VerifiedPayload::new(bytes, ImageIdentity::of(&self.header)))
    }

    /// Copies the payload into `buf` and returns it as a verified payload.
    ///
    /// # Errors
    ///
    /// [`migseal_format::ErrorCode::BufferTooSmall`] when `buf` is shorter
    /// than [`VerifiedImage::payload_len`].
    pub fn collect_payload<'b>(&self, buf: &'b mut [u8]) -> Result<VerifiedPayload<'b>>
    where
        'i: 'b,
    {
        let mut at = 0usize;
        for chunk in self.chunks() {
            let end = at.saturating_add(chunk.len());
            let dst = buf.get_mut(at..end).ok_or_else(|| {
                Error::new(
                    ErrorKind::Format(migseal_format::Error::new(
                        migseal_format::ErrorCode::BufferTooSmall,
                        0,
                    )),
                    0,
                )
            })?;
            copy_prefix(dst, chunk);
            at = end;
        }
        let bytes = buf.get(..at).unwrap_or(&[]);
        Ok(VerifiedPayload::new(bytes, ImageIdentity::of(&self.header)))
    }
}

/// Iterator over a verified image's chunk payloads.
#[derive(Clone, Debug)]
pub struct Chunks<'i> {
    rest: &'i [u8],
    left: u64,
}

impl<'i> Iterator for Chunks<'i> {
    type Item = &'i [u8];

    fn next(&mut self) -> Option<&'i [u8]> {
        if self.left == 0 {
            return None;
        }
        // The image verified, so every head parses; a failure just ends
        // the iteration.
        let head = ChunkHead::decode(self.rest, 0, MAX_CHUNK_LEN).ok()?;
        let len = usize::try_from(head.len).ok()?;
        let end = head.head_len.checked_add(len)?;
        let data = self.rest.get(head.head_len..end)?;
        self.rest = self.rest.get(end..)?;
        self.left = self.left.saturating_sub(1);
        Some(data)
    }
}
