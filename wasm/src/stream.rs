//! The streaming verifier behind the JavaScript `StreamVerifier`: chunks
//! from `File.stream()` or a `fetch` body go in one call at a time, memory
//! stays constant (the verifier's fixed buffers plus the chunk in hand).
//!
//! A [`Verifier`] borrows its policy, and the policy borrows the parsed
//! policy file, so all three must live together across calls that
//! JavaScript makes whenever a chunk arrives. Rather than `unsafe` or a
//! leak, they live as locals of one `async` task, which the compiler lays
//! out as a safe self-referential state machine, and [`StreamCore`] drives
//! it by hand: each `push` puts the chunk into a mailbox and polls the task
//! once, which verifies the chunk and parks at its next `.await`. There is
//! no executor and no timer, the waker is a no-op: everything runs inside
//! the call.

use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll, Waker};
use std::cell::RefCell;
use std::rc::Rc;

use migseal::policy_file::PolicyFile;
use migseal_format::envelope::Descriptor;
use migseal_verifier::Verifier;
use serde_json::Value;

use crate::error::{Failure, Input};
use crate::verify::verdict_json;

/// What the driver hands the task, and what the task reports back.
#[derive(Debug, Default)]
struct Mailbox {
    chunk: Option<Vec<u8>>,
    end: bool,
    /// Stream bytes the verifier has consumed.
    offset: u64,
}

enum Event {
    Chunk(Vec<u8>),
    End,
}

/// Ready once the driver has put a chunk or the end into the mailbox.
struct NextEvent<'m>(&'m RefCell<Mailbox>);

impl Future for NextEvent<'_> {
    type Output = Event;

    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Event> {
        let mut m = self.0.borrow_mut();
        match m.chunk.take() {
            Some(chunk) => Poll::Ready(Event::Chunk(chunk)),
            None if m.end => Poll::Ready(Event::End),
            None => Poll::Pending,
        }
    }
}

/// The task: builds the policy and the verifier, then verifies chunks as
/// they arrive until the end.
async fn verify_stream(
    mailbox: Rc<RefCell<Mailbox>>,
    policy_file: PolicyFile,
    device_cbor: Vec<u8>,
) -> Result<Value, Failure> {
    let device = Descriptor::decode(&device_cbor).map_err(|e| Failure::format(Input::Device, &e))?;
    let types = policy_file.device_type_lists().map_err(|e| Failure::policy(&e))?;
    let parts = policy_file.parts(&types).map_err(|e| Failure::policy(&e))?;
    let policy = parts.policy();
    let mut verifier = Verifier::new(&policy, &device);
    let refused = |e: migseal_verifier::Error| Failure::verifier(Input::Image, &e, None);
    loop {
        match NextEvent(&mailbox).await {
            Event::Chunk(bytes) => {
                let fed = verifier.feed(&bytes, |_| {});
                mailbox.borrow_mut().offset = verifier.offset();
                fed.map_err(refused)?;
            }
            Event::End => {
                let image_len = verifier.offset();
                let v = verifier.finish().map_err(refused)?;
                return Ok(verdict_json(
                    v.header(),
                    v.chunk_count(),
                    v.payload_len(),
                    image_len,
                    v.image_digest(),
                ));
            }
        }
    }
}

type Task = Pin<Box<dyn Future<Output = Result<Value, Failure>>>>;

/// One image, verified as it streams in.
pub struct StreamCore {
    mailbox: Rc<RefCell<Mailbox>>,
    task: Option<Task>,
    outcome: Option<Result<Value, Failure>>,
}

impl core::fmt::Debug for StreamCore {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("StreamCore").field("offset", &self.offset()).field("outcome", &self.outcome).finish()
    }
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
        let mailbox = Rc::new(RefCell::new(Mailbox::default()));
        let task: Task = Box::pin(verify_stream(Rc::clone(&mailbox), policy, device));
        let mut core = Self { mailbox, task: Some(task), outcome: None };
        // Runs the set-up up to the first wait for a chunk.
        core.step();
        match core.outcome {
            Some(Err(e)) => Err(e),
            _ => Ok(core),
        }
    }

    /// Polls the task once; it runs until it needs the next event.
    fn step(&mut self) {
        let Some(task) = self.task.as_mut() else { return };
        let mut cx = Context::from_waker(Waker::noop());
        if let Poll::Ready(outcome) = task.as_mut().poll(&mut cx) {
            self.task = None;
            self.outcome = Some(outcome);
        }
    }

    fn settled(&self) -> Option<Failure> {
        match &self.outcome {
            None => None,
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
    pub fn push(&mut self, chunk: Vec<u8>) -> Result<(), Failure> {
        if let Some(e) = self.settled() {
            return Err(e);
        }
        self.mailbox.borrow_mut().chunk = Some(chunk);
        self.step();
        match &self.outcome {
            Some(Err(e)) => Err(e.clone()),
            _ => Ok(()),
        }
    }

    /// Ends the stream and checks the seal: the only success. Calling it
    /// again returns the same outcome.
    ///
    /// # Errors
    ///
    /// The stream ended early (306), the signature does not verify (600,
    /// 601, 602), or the earlier refusal.
    pub fn finish(&mut self) -> Result<Value, Failure> {
        self.mailbox.borrow_mut().end = true;
        self.step();
        self.outcome.clone().unwrap_or_else(|| {
            Err(Failure::invalid(Input::Call, "the stream verifier did not finish: please report this bug"))
        })
    }

    /// Image bytes the verifier has consumed.
    #[must_use]
    pub fn offset(&self) -> u64 {
        self.mailbox.borrow().offset
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
                s.push(piece.to_vec()).unwrap();
            }
            assert_eq!(s.offset(), u64::try_from(MTTY2_SIX_CHUNKS.len()).unwrap());
            assert_eq!(s.finish().unwrap(), whole, "fragments of {size}");
            assert_eq!(s.finish().unwrap(), whole, "finish is repeatable");
        }
    }

    #[test]
    fn a_refusal_is_sticky_and_stops_at_its_offset() {
        let mut s = core();
        let f = s.push(CROSS_VENDOR.to_vec()).unwrap_err();
        assert_eq!(f.code, Some(500));
        assert_eq!(s.push(vec![0]).unwrap_err(), f);
        assert_eq!(s.finish().unwrap_err(), f);
    }

    #[test]
    fn a_bad_signature_shows_only_at_finish() {
        let mut s = core();
        s.push(TAMPERED.to_vec()).unwrap();
        assert_eq!(s.finish().unwrap_err().code, Some(600));
    }

    #[test]
    fn a_cut_off_stream_is_incomplete() {
        let mut s = core();
        s.push(MTTY2_IMAGE[..MTTY2_IMAGE.len() - 10].to_vec()).unwrap();
        let f = s.finish().unwrap_err();
        assert_eq!((f.code, f.name), (Some(306), Some("incomplete")));
    }

    #[test]
    fn nothing_is_accepted_after_success() {
        let mut s = core();
        s.push(MTTY2_IMAGE.to_vec()).unwrap();
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
