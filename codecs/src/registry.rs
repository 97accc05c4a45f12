//! Dispatch by the verified identity: the one place that maps a header's
//! (vendor, device API, codec) to a decoder, so a payload of vendor A
//! never reaches vendor B's parser.

use migseal_verifier::{ImageIdentity, VerifiedPayload};

use crate::codec::{Codec, Handles};
use crate::error::{Error, ErrorCode, Result};
use crate::mtty::{Mtty, MttyState};
use crate::vfio_ap::{ApMatrix, VfioApMatrix};
use crate::virtio::{DevPartsStream, VirtioDevParts};

/// The built-in codecs.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CodecId {
    /// [`Mtty`].
    Mtty,
    /// [`VirtioDevParts`].
    VirtioDevParts,
    /// [`VfioApMatrix`].
    VfioApMatrix,
}

impl CodecId {
    /// What the codec handles.
    #[must_use]
    pub const fn handles(self) -> Handles {
        match self {
            Self::Mtty => Mtty::HANDLES,
            Self::VirtioDevParts => VirtioDevParts::HANDLES,
            Self::VfioApMatrix => VfioApMatrix::HANDLES,
        }
    }
}

/// A decoded state of any built-in codec.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decoded<'a> {
    /// An mtty state.
    Mtty(MttyState),
    /// A VIRTIO device-parts stream.
    VirtioDevParts(DevPartsStream<'a>),
    /// A vfio-ap matrix.
    VfioApMatrix(ApMatrix),
}

impl Decoded<'_> {
    /// Which codec made it.
    #[must_use]
    pub const fn codec(&self) -> CodecId {
        match self {
            Self::Mtty(_) => CodecId::Mtty,
            Self::VirtioDevParts(_) => CodecId::VirtioDevParts,
            Self::VfioApMatrix(_) => CodecId::VfioApMatrix,
        }
    }
}

/// The registry of built-in codecs. A vendor with its own format
/// implements [`Codec`] and dispatches the same way: on the verified
/// identity, before any payload byte is read.
#[derive(Clone, Copy, Debug, Default)]
pub struct Registry;

impl Registry {
    /// Every built-in codec.
    pub const CODECS: [CodecId; 3] = [CodecId::Mtty, CodecId::VirtioDevParts, CodecId::VfioApMatrix];

    /// The codec for an identity's vendor, device API and codec name.
    ///
    /// # Errors
    ///
    /// [`ErrorCode::NoCodec`] when none matches.
    pub fn find(id: &ImageIdentity<'_>) -> Result<CodecId> {
        Self::CODECS
            .iter()
            .copied()
            .find(|c| c.handles().dispatches(id))
            .ok_or(Error::new(ErrorCode::NoCodec, 0).in_field("identity.codec"))
    }

    /// Decodes a verified payload with the codec its identity names.
    ///
    /// # Errors
    ///
    /// 705 without a codec; then the codec's own errors.
    pub fn decode<'a>(payload: VerifiedPayload<'a>) -> Result<Decoded<'a>> {
        Ok(match Self::find(&payload.identity())? {
            CodecId::Mtty => Decoded::Mtty(Mtty::decode(payload)?),
            CodecId::VirtioDevParts => Decoded::VirtioDevParts(VirtioDevParts::decode(payload)?),
            CodecId::VfioApMatrix => Decoded::VfioApMatrix(VfioApMatrix::decode(payload)?),
        })
    }

    /// The exact encoded length of a decoded state.
    #[must_use]
    pub fn encoded_len(state: &Decoded<'_>) -> usize {
        match state {
            Decoded::Mtty(s) => Mtty::encoded_len(s),
            Decoded::VirtioDevParts(s) => VirtioDevParts::encoded_len(s),
            Decoded::VfioApMatrix(s) => VfioApMatrix::encoded_len(s),
        }
    }

    /// Encodes a decoded state back into `out`.
    ///
    /// # Errors
    ///
    /// 703 when `out` is too small; the codec's invariant codes.
    pub fn encode(state: &Decoded<'_>, out: &mut [u8]) -> Result<usize> {
        match state {
            Decoded::Mtty(s) => Mtty::encode(s, out),
            Decoded::VirtioDevParts(s) => VirtioDevParts::encode(s, out),
            Decoded::VfioApMatrix(s) => VfioApMatrix::encode(s, out),
        }
    }

    /// Encodes into a new vector of exactly the encoded length.
    ///
    /// # Errors
    ///
    /// As [`Registry::encode`].
    #[cfg(feature = "alloc")]
    pub fn encode_to_vec(state: &Decoded<'_>) -> Result<alloc::vec::Vec<u8>> {
        let mut out = alloc::vec![0u8; Self::encoded_len(state)];
        let n = Self::encode(state, &mut out)?;
        out.truncate(n);
        Ok(out)
    }
}
