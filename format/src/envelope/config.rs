//! The shell-device configuration: what must match, byte for byte, between
//! the source and the destination of a vfio-ccw / vfio-ap style device.

use crate::cbor::{Encoder, Reader, Sink, len_u64};
use crate::error::{Detail, Error, ErrorCode, Result};
use crate::ident::{Ident, read_ident};

/// Largest configuration data, in bytes.
pub const MAX_CONFIG_LEN: usize = 1024;

/// A shell device's configuration: a kind naming its layout (for example
/// `vfio-ap-matrix`) and the canonical bytes of that layout, encoded
/// `[kind, data]`. Two configurations are equal only when both are
/// byte-identical; the codec that defines a kind also defines its one
/// canonical byte form.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ShellConfig<'a> {
    /// The layout of `data`.
    pub kind: Ident<'a>,
    /// The configuration bytes (1–1024).
    pub data: &'a [u8],
}

impl<'a> ShellConfig<'a> {
    /// A configuration of `kind` with `data`.
    ///
    /// # Errors
    ///
    /// [`ErrorCode::InvalidFieldLength`] for empty or oversized data.
    pub fn new(kind: Ident<'a>, data: &'a [u8]) -> Result<Self> {
        if data.is_empty() || data.len() > MAX_CONFIG_LEN {
            return Err(Error::new(ErrorCode::InvalidFieldLength, 0)
                .with_detail(Detail::Limit { limit: len_u64(MAX_CONFIG_LEN), found: len_u64(data.len()) }));
        }
        Ok(Self { kind, data })
    }

    pub(crate) fn decode(r: &mut Reader<'a>) -> Result<Self> {
        r.read_array_exact(2, ErrorCode::RecordShape)?;
        let kind = read_ident(r)?;
        let data_at = r.offset();
        let data = r.read_bytes_in(1, len_u64(MAX_CONFIG_LEN))?;
        Self::new(kind, data).map_err(|e| e.shifted(data_at))
    }

    pub(crate) fn encode<S: Sink>(&self, e: &mut Encoder<S>) -> Result<()> {
        e.array(2)?.text(self.kind.as_str())?.bytes(self.data)?;
        Ok(())
    }
}
