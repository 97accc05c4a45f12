//! # migseal-format
//!
//! The bytes of a migseal image, and nothing else: a canonical CBOR reader
//! and writer, and the v1 envelope (header, chunk and seal records, the
//! device descriptor, the exact digest inputs). `no_std`, no allocation,
//! no panics, no recursion; every error carries a stable code and the byte
//! offset where it applies.
//!
//! Data flows one way: untrusted bytes → [`cbor::Reader`] (canonical form
//! only) → [`envelope`] records → the verifier crate's state machine →
//! verdict. This crate never decides whether an image is *trustworthy*;
//! it decides whether it is *well-formed*, exactly and in one way.
//!
//! ```
//! use migseal_format::envelope::{ChunkHead, peek_record_type, RecordType};
//! let (head, len) = ChunkHead::encode(0, 5)?;
//! let head = &head[..len];
//! assert_eq!(peek_record_type(head, 0)?, RecordType::Chunk);
//! assert_eq!(ChunkHead::decode(head, 0, 1024)?.len, 5);
//! # Ok::<(), migseal_format::Error>(())
//! ```
#![no_std]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "alloc")]
extern crate alloc;
// Tests may format and allocate; the library itself never does without
// the `std` feature.
#[cfg(any(test, feature = "std"))]
extern crate std;

pub mod bytes;
pub mod cbor;
pub mod envelope;
mod error;
mod ident;

pub use error::{Detail, Error, ErrorCode, Result, errno};
pub use ident::{Ident, IdentBuf, MAX_IDENT_LEN, MAX_SUBJECT_LEN, Subject, SubjectBuf};

#[cfg(test)]
pub(crate) mod testutil {
    /// A `fmt::Write` into a fixed array, for testing Display without alloc.
    pub struct ArrayWriter<'b> {
        buf: &'b mut [u8],
        len: usize,
    }

    impl<'b> ArrayWriter<'b> {
        pub fn new(buf: &'b mut [u8]) -> Self {
            Self { buf, len: 0 }
        }

        pub fn as_str(&self) -> &str {
            core::str::from_utf8(self.buf.get(..self.len).unwrap_or(&[])).unwrap_or("")
        }
    }

    impl core::fmt::Write for ArrayWriter<'_> {
        fn write_str(&mut self, s: &str) -> core::fmt::Result {
            let end = self.len.checked_add(s.len()).ok_or(core::fmt::Error)?;
            self.buf.get_mut(self.len..end).ok_or(core::fmt::Error)?.copy_from_slice(s.as_bytes());
            self.len = end;
            Ok(())
        }
    }
}
