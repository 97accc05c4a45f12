//! The streaming verifier behind the JavaScript `StreamVerifier`: chunks
//! from `File.stream()` or a `fetch` body go in one call at a time, memory
//! stays constant (the verifier's fixed buffers plus the chunk in hand).
//!
//! The object owns its policy (keys prepared once, when it is made), the
//! destination descriptor's bytes and the verifier; each `push` lends the
//! first two to the verifier for that call only.

use migseal::policy_file::PolicyFile;
use migseal_format::envelope::Descriptor;
use migseal_verifier::{Policy, Verifier};
use serde_json::Value;

use crate::error::{Failure, Input};
use crate::verify::verdict_json;

/// One image, verified as it streams in.
pub struct StreamCore {
    policy: Box<Policy>,
    device: Vec<u8>,
    verifier: Box<Verifier>,
    outcome: Option<Result<Value, Failure>>,
}

impl core::fmt::Debug for StreamCore {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("StreamCore").field("offset", &self.offset()).field("outcome", &self.outcome).finish()
    }
}

fn refused(e: migseal_verifier::Error) -> Failure {
    Failure::verifier(Input::Image, &e, None)
}

impl StreamCore {
    /// A verifier for an image destined for `device` (canonical CBOR)
    /// under `policy`.
    ///
    /// # Errors
    ///
    /// The policy's refusal (invalid entry, weak key) or the device's (a
    /// descriptor that does not decode), before any image byte.
    pub fn new(policy: PolicyFile, device: Vec<u8>) -> Result<Self, Failure> {
        Descriptor::decode(&device).map_err(|e| Failure::format(Input::Device, &e))?;
        let policy = Box::new(policy.to_policy().map_err(|e| Failure::policy(&e))?);
        Ok(Self { policy, device, verifier: Box::default(), outcome: None })
    }

    fn settled(&self) -> Option<Failure> {
        match &self.outcome {
            None => self.verifier.failure().map(refused),
            Some(Err(e)) => Some(e.clone()),
            Some(Ok(_)) => Some(Failure::invalid(
                Input::Call,
                "this StreamVerifier has finished: create a new one for the next image",
            )),
        }
    }

    /// Verifies the next piece of the image, of any size.
    ///
    /// # Errors
    ///
    /// The first structural, limit, header, trust or policy refusal, with
    /// its stream offset; afterwards every call returns the same error.
    pub fn push(&mut self, chunk: impl AsRef<[u8]>) -> Result<(), Failure> {
        if let Some(e) = self.settled() {
            return Err(e);
        }
        // Decoded in `new`, so this cannot fail; decoding is cheap next to
        // hashing the chunk.
        let device = Descriptor::decode(&self.device).map_err(|e| Failure::format(Input::Device, &e))?;
        self.verifier.feed(&self.policy, &device, chunk.as_ref(), |_| {}).map_err(refused)
    }

    /// Ends the stream and checks the seal: the only success. Calling it
    /// again returns the same outcome.
    ///
    /// # Errors
    ///
    /// The stream ended early (306), the signature does not verify (600,
    /// 601, 602), or the earlier refusal.
    pub fn finish(&mut self) -> Result<Value, Failure> {
        if let Some(outcome) = &self.outcome {
            return outcome.clone();
        }
        let image_len = self.verifier.offset();
        let outcome = self
            .verifier
            .finish()
            .map(|v| verdict_json(v.header(), v.chunk_count(), v.payload_len(), image_len, v.image_digest()))
            .map_err(refused);
        self.outcome = Some(outcome.clone());
        outcome
    }

    /// Image bytes the verifier has consumed.
    #[must_use]
    pub fn offset(&self) -> u64 {
        self.verifier.offset()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::arithmetic_side_effects)]
mod tests {
    use super::*;
    use crate::fixtures::*;
    use crate::verify::verify;

    fn core() -> StreamCore {
        StreamCore::new(PolicyFile::from_json(DEFAULT_POLICY).unwrap(), MTTY2_DEVICE.to_vec()).unwrap()
    }

    #[test]
    fn any_fragmentation_gives_the_whole_image_verdict() {
        let whole =
            verify(MTTY2_SIX_CHUNKS, &PolicyFile::from_json(DEFAULT_POLICY).unwrap(), MTTY2_DEVICE).unwrap();
        for size in [1, 3, 64, MTTY2_SIX_CHUNKS.len()] {
            let mut s = core();
            for piece in MTTY2_SIX_CHUNKS.chunks(size) {
                s.push(piece).unwrap();
            }
            assert_eq!(s.offset(), u64::try_from(MTTY2_SIX_CHUNKS.len()).unwrap());
            assert_eq!(s.finish().unwrap(), whole, "fragments of {size}");
            assert_eq!(s.finish().unwrap(), whole, "finish is repeatable");
        }
    }

    #[test]
    fn a_refusal_is_sticky_and_stops_at_its_offset() {
        let mut s = core();
        let f = s.push(CROSS_VENDOR).unwrap_err();
        assert_eq!(f.code, Some(500));
        assert_eq!(s.push(vec![0]).unwrap_err(), f);
        assert_eq!(s.finish().unwrap_err(), f);
    }

    #[test]
    fn a_bad_signature_shows_only_at_finish() {
        let mut s = core();
        s.push(TAMPERED).unwrap();
        assert_eq!(s.finish().unwrap_err().code, Some(600));
    }

    #[test]
    fn a_cut_off_stream_is_incomplete() {
        let mut s = core();
        s.push(&MTTY2_IMAGE[..MTTY2_IMAGE.len() - 10]).unwrap();
        let f = s.finish().unwrap_err();
        assert_eq!((f.code, f.name), (Some(306), Some("incomplete")));
    }

    #[test]
    fn nothing_is_accepted_after_success() {
        let mut s = core();
        s.push(MTTY2_IMAGE).unwrap();
        s.finish().unwrap();
        let f = s.push(vec![1]).unwrap_err();
        assert_eq!((f.input, f.code), (Input::Call, None));
    }

    #[test]
    fn policy_and_device_are_checked_before_any_byte() {
        let weak = StreamCore::new(PolicyFile::from_json(WEAK_KEY_POLICY).unwrap(), MTTY2_DEVICE.to_vec());
        assert_eq!(weak.unwrap_err().code, Some(409));
        let broken = StreamCore::new(PolicyFile::from_json(DEFAULT_POLICY).unwrap(), vec![0xa0]);
        assert_eq!(broken.unwrap_err().input, Input::Device);
    }
}
