//! vfio-ap: the AP configuration of an s390 crypto "shell" device — the
//! adapters (APM), usage domains (AQM) and control domains (ADM) assigned
//! to the mediated matrix device (`drivers/s390/crypto/vfio_ap_ops.c`,
//! `Documentation/arch/s390/vfio-ap.rst`).
//!
//! The configuration travels as the header's shell-device config of kind
//! `vfio-ap-matrix`, so the compatibility check refuses a destination
//! whose matrix differs, and (vfio-ap has no migration data of its own) as
//! the payload of codec `vfio-ap-matrix`. Its bytes are exactly what the
//! kernel's `ap_config` attribute prints, as binary:
//!
//! ```text
//! offset  0 .. 32  APM  adapters 0..=255
//! offset 32 .. 64  AQM  usage domains 0..=255
//! offset 64 .. 96  ADM  control domains 0..=255
//! ```
//!
//! Bit `n` of a mask is bit `7 - n % 8` of byte `n / 8` (most significant
//! bit first), as `set_bit_inv` numbers the kernel's bitmaps and as
//! `ap_config_show` prints them (`0x%016lx` of each big-endian long). The
//! encoding is a set: equal matrices are equal bytes, whatever order or
//! repetition the sysfs text had, so the byte-wise config comparison of the
//! compatibility check compares matrices.

pub mod sysfs;

use migseal_format::envelope::ShellConfig;
use migseal_verifier::VerifiedPayload;

use crate::codec::{Codec, Handles};
use crate::error::{Detail, Error, ErrorCode, Result};

/// Bytes of one mask (256 bits: `AP_DEVICES`, `AP_DOMAINS`).
pub const MASK_LEN: usize = 32;
/// Bytes of the whole matrix.
pub const MATRIX_LEN: usize = 96;
/// The shell-device config kind and codec name.
pub const KIND: &str = "vfio-ap-matrix";

/// One of the three masks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Mask {
    /// APM: adapters (APIDs).
    Adapters,
    /// AQM: usage domains (APQIs).
    Domains,
    /// ADM: control domains.
    ControlDomains,
}

impl Mask {
    /// The three masks in encoding order.
    pub const ALL: [Self; 3] = [Self::Adapters, Self::Domains, Self::ControlDomains];

    /// The kernel's name of the mask.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Adapters => "apm",
            Self::Domains => "aqm",
            Self::ControlDomains => "adm",
        }
    }
}

/// An AP matrix: three 256-bit masks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct ApMatrix {
    apm: [u8; MASK_LEN],
    aqm: [u8; MASK_LEN],
    adm: [u8; MASK_LEN],
}

impl ApMatrix {
    /// No adapter, no domain.
    #[must_use]
    pub const fn empty() -> Self {
        Self { apm: [0; MASK_LEN], aqm: [0; MASK_LEN], adm: [0; MASK_LEN] }
    }

    /// The mask's 32 bytes, MSB-first.
    #[must_use]
    pub const fn mask(&self, m: Mask) -> &[u8; MASK_LEN] {
        match m {
            Mask::Adapters => &self.apm,
            Mask::Domains => &self.aqm,
            Mask::ControlDomains => &self.adm,
        }
    }

    fn mask_mut(&mut self, m: Mask) -> &mut [u8; MASK_LEN] {
        match m {
            Mask::Adapters => &mut self.apm,
            Mask::Domains => &mut self.aqm,
            Mask::ControlDomains => &mut self.adm,
        }
    }

    /// Assigns adapter / domain / control domain `id` (`set_bit_inv`).
    pub fn set(&mut self, m: Mask, id: u8) {
        if let Some(b) = self.mask_mut(m).get_mut(usize::from(id / 8)) {
            *b |= 0x80u8 >> (id % 8);
        }
    }

    /// Whether `id` is assigned.
    #[must_use]
    pub fn has(&self, m: Mask, id: u8) -> bool {
        self.mask(m).get(usize::from(id / 8)).is_some_and(|b| b & (0x80u8 >> (id % 8)) != 0)
    }

    /// The assigned ids of a mask, ascending.
    pub fn ids(&self, m: Mask) -> impl Iterator<Item = u8> + '_ {
        (0..=u8::MAX).filter(move |id| self.has(m, *id))
    }

    /// Number of ids assigned in a mask.
    #[must_use]
    pub fn count(&self, m: Mask) -> u32 {
        self.mask(m).iter().map(|b| b.count_ones()).sum()
    }

    /// The 96-byte encoding (APM | AQM | ADM).
    #[must_use]
    pub fn to_bytes(&self) -> [u8; MATRIX_LEN] {
        let mut out = [0u8; MATRIX_LEN];
        let parts = self.apm.iter().chain(&self.aqm).chain(&self.adm);
        for (o, b) in out.iter_mut().zip(parts) {
            *o = *b;
        }
        out
    }

    /// A matrix from its 96-byte encoding. Every 96-byte value is a
    /// matrix: the masks cover exactly ids 0..=255.
    ///
    /// # Errors
    ///
    /// 760 for any other length.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        if bytes.len() != MATRIX_LEN {
            return Err(Error::at(ErrorCode::ApMatrixLength, bytes.len().min(MATRIX_LEN))
                .in_field("matrix")
                .with_detail(Detail::Value {
                    expected: 96,
                    found: u64::try_from(bytes.len()).unwrap_or(u64::MAX),
                }));
        }
        let mut m = Self::empty();
        let masks = m.apm.iter_mut().chain(m.aqm.iter_mut()).chain(m.adm.iter_mut());
        for (d, s) in masks.zip(bytes) {
            *d = *s;
        }
        Ok(m)
    }

    /// The matrix a header's or descriptor's shell-device config carries.
    ///
    /// # Errors
    ///
    /// 763 for a config of another kind, 760 for a wrong length.
    pub fn from_config(config: &ShellConfig<'_>) -> Result<Self> {
        if config.kind.as_str() != KIND {
            return Err(Error::new(ErrorCode::ApConfigKind, 0).in_field("config.kind"));
        }
        Self::from_bytes(config.data)
    }
}

/// The vfio-ap matrix codec (`ibm` / `vfio-ap` / `vfio_ap-passthrough` /
/// codec `vfio-ap-matrix` / state version 1.0).
#[derive(Clone, Copy, Debug, Default)]
pub struct VfioApMatrix;

impl Codec for VfioApMatrix {
    const HANDLES: Handles = Handles {
        vendor: "ibm",
        device_api: "vfio-ap",
        codec: KIND,
        device_types: &["vfio_ap-passthrough"],
        state_versions: &[(1, 0)],
    };
    type State<'a> = ApMatrix;

    fn decode<'a>(payload: VerifiedPayload<'a>) -> Result<ApMatrix> {
        Self::HANDLES.check(&payload.identity())?;
        ApMatrix::from_bytes(payload.bytes())
    }

    fn encoded_len(_: &ApMatrix) -> usize {
        MATRIX_LEN
    }

    fn encode(state: &ApMatrix, out: &mut [u8]) -> Result<usize> {
        let bytes = state.to_bytes();
        let room = u64::try_from(out.len()).unwrap_or(u64::MAX);
        let dst = out.get_mut(..MATRIX_LEN).ok_or_else(|| {
            Error::new(ErrorCode::BufferTooSmall, 0).with_detail(Detail::Limit { limit: room, found: 96 })
        })?;
        for (d, s) in dst.iter_mut().zip(bytes) {
            *d = s;
        }
        Ok(MATRIX_LEN)
    }
}
