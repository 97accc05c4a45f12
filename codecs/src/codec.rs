//! The codec trait: what a vendor implements to plug its state format into
//! migseal, and the identity check every decode starts with.

use migseal_verifier::{ImageIdentity, VerifiedPayload};

use crate::error::{Detail, Error, ErrorCode, Result};

/// What a codec handles: the verified header's identity must match all of
/// it before a single payload byte is interpreted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Handles {
    /// Vendor (`linux`, `virtio`, `ibm`).
    pub vendor: &'static str,
    /// Device API (`vfio-pci`, `vfio-ap`).
    pub device_api: &'static str,
    /// The header's codec name.
    pub codec: &'static str,
    /// Device types (mdev type ids), exact byte equality.
    pub device_types: &'static [&'static str],
    /// State versions `(major, minor)` decoded, exact.
    pub state_versions: &'static [(u32, u32)],
}

impl Handles {
    /// True when vendor, device API and codec name match: the registry's
    /// dispatch key. Device type and version are then the codec's to check,
    /// so an unsupported type gets a precise error instead of "no codec".
    #[must_use]
    pub fn dispatches(&self, id: &ImageIdentity<'_>) -> bool {
        id.vendor == self.vendor && id.device_api == self.device_api && id.codec == self.codec
    }

    /// Checks the whole identity.
    ///
    /// # Errors
    ///
    /// [`ErrorCode::UnsupportedIdentity`] at offset 0, naming the field
    /// (`identity.vendor`, ... `identity.state_version`).
    pub fn check(&self, id: &ImageIdentity<'_>) -> Result<()> {
        let refuse = |field| Err(Error::new(ErrorCode::UnsupportedIdentity, 0).in_field(field));
        if id.vendor != self.vendor {
            return refuse("identity.vendor");
        }
        if id.device_api != self.device_api {
            return refuse("identity.device_api");
        }
        if id.codec != self.codec {
            return refuse("identity.codec");
        }
        if !self.device_types.contains(&id.device_type) {
            return refuse("identity.device_type");
        }
        if !self.state_versions.contains(&id.state_version) {
            let (major, minor) = id.state_version;
            return Err(Error::new(ErrorCode::UnsupportedIdentity, 0)
                .in_field("identity.state_version")
                .with_detail(Detail::Found(u64::from(major).saturating_mul(1 << 32) | u64::from(minor))));
        }
        Ok(())
    }
}

/// A vendor state codec: decodes a verified payload into a typed state with
/// every invariant checked, and encodes a typed state back to exactly the
/// bytes the device's driver reads and writes.
///
/// Decoding takes a [`VerifiedPayload`], which only the verifier makes (or
/// a function named `..._less_safe`), so unverified bytes cannot reach a
/// state parser by accident. Implementations check [`Codec::HANDLES`]
/// against the payload's identity first.
pub trait Codec {
    /// What this codec handles.
    const HANDLES: Handles;

    /// The typed state. It may borrow from the payload (variable-length
    /// formats without allocation).
    type State<'a>;

    /// Decodes and validates a payload.
    ///
    /// # Errors
    ///
    /// [`ErrorCode::UnsupportedIdentity`] for a payload of another identity,
    /// then the codec's own codes with the byte offset of the problem.
    fn decode<'a>(payload: VerifiedPayload<'a>) -> Result<Self::State<'a>>;

    /// The exact length [`Codec::encode`] writes for `state`.
    fn encoded_len(state: &Self::State<'_>) -> usize;

    /// Encodes `state` into `out`, returning the length written. The
    /// typed state's invariants are checked as on decode, so an encoder
    /// never emits a state the decoder refuses.
    ///
    /// # Errors
    ///
    /// [`ErrorCode::BufferTooSmall`], or the invariant the state breaks
    /// (with the offset where the offending byte would be).
    fn encode(state: &Self::State<'_>, out: &mut [u8]) -> Result<usize>;
}
