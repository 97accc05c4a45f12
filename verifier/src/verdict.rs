//! What a successful verification hands back, and the verified payload
//! type that vendor codecs accept.

use migseal_format::envelope::{Digest, Header};

/// The result of a successful verification: the header the seal vouches
/// for, and the image's digest and size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Verdict<'v> {
    header: Header<'v>,
    header_bytes: &'v [u8],
    image_digest: Digest,
    chunk_count: u64,
    payload_len: u64,
}

impl<'v> Verdict<'v> {
    pub(crate) fn new(
        header: Header<'v>,
        header_bytes: &'v [u8],
        image_digest: Digest,
        chunk_count: u64,
        payload_len: u64,
    ) -> Self {
        Self { header, header_bytes, image_digest, chunk_count, payload_len }
    }

    /// The verdict of a completed walk whose seal verified over
    /// `image_digest` (the streaming and the deferred verifier's one way to
    /// build it); `None` before the walk decoded its header.
    pub(crate) fn of_walk(walker: &'v crate::framing::Walker, image_digest: Digest) -> Option<Self> {
        let (header, record) = walker.header()?;
        Some(Self::new(header, record, image_digest, walker.chunk_count(), walker.payload_len()))
    }

    /// The verified header.
    #[must_use]
    pub const fn header(&self) -> &Header<'v> {
        &self.header
    }

    /// The header record's bytes, as received and verified.
    #[must_use]
    pub const fn header_bytes(&self) -> &'v [u8] {
        self.header_bytes
    }

    /// The image digest the seal signs (spec §5.4): a stable name for
    /// exactly this image.
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

    /// Declares `bytes` to be the payload this verifier reported, staged by
    /// the caller, and offers it to a vendor codec.
    ///
    /// *Less safe*: the verifier cannot see the caller's staging buffer, so
    /// the caller vouches that it holds exactly the reported pieces in
    /// order. Only the length is checked.
    ///
    /// # Errors
    ///
    /// `None` when the length differs from the verified payload length.
    #[must_use]
    pub fn stored_payload_less_safe<'b>(&self, bytes: &'b [u8]) -> Option<VerifiedPayload<'b>>
    where
        'v: 'b,
    {
        (u64::try_from(bytes.len()).ok() == Some(self.payload_len))
            .then(|| VerifiedPayload::new(bytes, ImageIdentity::of(&self.header)))
    }
}

/// The identity under which a verified payload was sealed: what a codec
/// registry dispatches on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ImageIdentity<'a> {
    /// Vendor.
    pub vendor: &'a str,
    /// Device API.
    pub device_api: &'a str,
    /// Device type.
    pub device_type: &'a str,
    /// Payload codec.
    pub codec: &'a str,
    /// State version `(major, minor)`.
    pub state_version: (u32, u32),
}

impl<'a> ImageIdentity<'a> {
    /// The identity a header declares.
    #[must_use]
    pub fn of(header: &Header<'a>) -> Self {
        Self {
            vendor: header.identity.vendor.as_str(),
            device_api: header.identity.device_api.as_str(),
            device_type: header.identity.device_type.as_str(),
            codec: header.codec.as_str(),
            state_version: (header.state_version.major, header.state_version.minor),
        }
    }
}

/// Payload bytes whose image verified: the only input vendor codecs decode.
/// It is made by the verifier (or by a function whose name ends in
/// `_less_safe`), so unverified bytes cannot reach a state parser by
/// accident.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VerifiedPayload<'a> {
    bytes: &'a [u8],
    identity: ImageIdentity<'a>,
}

impl<'a> VerifiedPayload<'a> {
    pub(crate) fn new(bytes: &'a [u8], identity: ImageIdentity<'a>) -> Self {
        Self { bytes, identity }
    }

    /// Wraps bytes that were *not* verified, for fuzzing, tests and
    /// inspection tools. Never use it on a restore path.
    #[must_use]
    pub fn unverified_less_safe(bytes: &'a [u8], identity: ImageIdentity<'a>) -> Self {
        Self { bytes, identity }
    }

    /// The payload bytes.
    #[must_use]
    pub const fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The identity the image was sealed under.
    #[must_use]
    pub const fn identity(&self) -> ImageIdentity<'a> {
        self.identity
    }
}
