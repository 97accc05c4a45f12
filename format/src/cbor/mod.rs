//! Canonical CBOR (RFC 8949 §4.2.1, core deterministic encoding): a strict
//! head parser, a forward-only reader, an iterative item walker, an event
//! stream for generic inspection, and a writer that cannot produce anything
//! else.

mod events;
mod head;
mod reader;
mod skip;
mod writer;

pub use events::{Event, Events};
pub use head::{Head, MAX_HEAD_LEN, argument_len, parse_head};
pub use reader::{MAX_DEPTH, MapKeys, Reader, len_u64};
pub use skip::{ItemScan, skip_item};
pub use writer::{Encoder, Sink, SliceSink};

pub(crate) use head::encode_head;

/// Checks that `input` is exactly one canonical data item (tags only from
/// `allowed_tags`) and nothing else.
///
/// # Errors
///
/// The first refused form, at its offset, or [`crate::ErrorCode::TrailingBytes`].
pub fn validate(input: &[u8], allowed_tags: &[u64]) -> crate::Result<()> {
    let len = skip_item(input, 0, allowed_tags)?;
    if len == input.len() {
        Ok(())
    } else {
        Err(crate::Error::new(crate::ErrorCode::TrailingBytes, len_u64(len)))
    }
}
