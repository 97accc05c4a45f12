//! The codec layer's error: a stable code in 700–799, the byte offset in
//! the payload (or text) where the problem is, the field, and a message
//! that says what happened and what to do.

use core::fmt;

/// Stable numeric error codes of the reference codecs (spec §9.6 reserves
/// 700–799 for them; `spec/codecs.md` lists every one).
///
/// The numbers never change meaning; new codes are only ever added. Kernel
/// callers map them to errno values with [`ErrorCode::errno`].
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u16)]
pub enum ErrorCode {
    /// The payload ends inside a structure.
    Truncated = 700,
    /// Bytes follow the end of the state.
    TrailingBytes = 701,
    /// A reserved or padding field is not zero.
    ReservedNotZero = 702,
    /// A caller's output buffer is too small for the encoding.
    BufferTooSmall = 703,
    /// The codec does not handle this identity (vendor, device API, device
    /// type, codec name or state version).
    UnsupportedIdentity = 704,
    /// No registered codec handles this identity.
    NoCodec = 705,

    /// mtty: the magic number is not `0x7e9d09898c3e2c4e`.
    MttyBadMagic = 710,
    /// mtty: the stream version is not 1.0.
    MttyVersion = 711,
    /// mtty: the header's flags are not zero.
    MttyFlags = 712,
    /// mtty: the port count does not match the mdev type.
    MttyPortCount = 713,
    /// mtty: the payload length is not 24 + 36 × ports.
    MttySize = 714,
    /// mtty: a FIFO head or tail index is 16 or more.
    MttyFifoIndex = 715,
    /// mtty: a FIFO count above 16.
    MttyFifoCount = 716,
    /// mtty: the FIFO count does not agree with head and tail.
    MttyFifoInconsistent = 717,
    /// mtty: a C `bool` byte other than 0 or 1.
    MttyBool = 718,
    /// mtty: a FIFO size other than 1 or 16.
    MttyFifoSize = 719,
    /// mtty: an interrupt trigger level other than 0, 1, 4, 8 or 14.
    MttyTriggerLevel = 720,
    /// mtty: the DLAB flag disagrees with bit 7 of the line control register.
    MttyDlab = 721,
    /// mtty: a UART register the driver never stores is not zero.
    MttyUnusedRegister = 722,

    /// virtio: a record header's size exceeds the driver's limit (2^32 − 1).
    VirtioRecordSize = 730,
    /// virtio: a record with an unknown tag that is not marked optional.
    VirtioUnknownRecord = 731,
    /// virtio: record flags other than bit 0 (optional).
    VirtioRecordFlags = 732,
    /// virtio: no device-data record, or an empty one.
    VirtioNoDeviceData = 733,
    /// virtio: a part type this codec does not know, not marked optional.
    VirtioUnknownPart = 734,
    /// virtio: a part length other than its type requires.
    VirtioPartLength = 735,
    /// virtio: a PCI common configuration offset that is not a field start.
    VirtioCommonCfgOffset = 736,
    /// virtio: parts out of the order the specification prescribes.
    VirtioPartOrder = 737,
    /// virtio: the same part (type and selector) twice in one record.
    VirtioDuplicatePart = 738,
    /// virtio: a part whose mandatory preceding part is missing.
    VirtioMissingPart = 739,
    /// virtio: part flags other than the spec's (bit 0 on device features
    /// only).
    VirtioPartFlags = 740,
    /// virtio: a virtqueue index at or above the device's queue count.
    VirtioQueueIndex = 741,
    /// virtio: a virtqueue configuration out of range (size above 32768,
    /// enable not 0 or 1).
    VirtioQueueConfig = 742,
    /// virtio: device status with reserved bits set.
    VirtioDeviceStatus = 743,
    /// virtio: the driver accepted a feature the device does not offer.
    VirtioFeatureNotOffered = 744,

    /// vfio-ap: a matrix that is not 96 bytes.
    ApMatrixLength = 760,
    /// vfio-ap: sysfs text that is not in the attribute's format.
    ApSyntax = 761,
    /// vfio-ap: an adapter or domain number above 255.
    ApIdOutOfRange = 762,
    /// vfio-ap: a shell configuration of another kind than `vfio-ap-matrix`.
    ApConfigKind = 763,
}

impl ErrorCode {
    /// Every code, in numeric order (for documentation and tests).
    pub const ALL: &'static [Self] = &[
        Self::Truncated,
        Self::TrailingBytes,
        Self::ReservedNotZero,
        Self::BufferTooSmall,
        Self::UnsupportedIdentity,
        Self::NoCodec,
        Self::MttyBadMagic,
        Self::MttyVersion,
        Self::MttyFlags,
        Self::MttyPortCount,
        Self::MttySize,
        Self::MttyFifoIndex,
        Self::MttyFifoCount,
        Self::MttyFifoInconsistent,
        Self::MttyBool,
        Self::MttyFifoSize,
        Self::MttyTriggerLevel,
        Self::MttyDlab,
        Self::MttyUnusedRegister,
        Self::VirtioRecordSize,
        Self::VirtioUnknownRecord,
        Self::VirtioRecordFlags,
        Self::VirtioNoDeviceData,
        Self::VirtioUnknownPart,
        Self::VirtioPartLength,
        Self::VirtioCommonCfgOffset,
        Self::VirtioPartOrder,
        Self::VirtioDuplicatePart,
        Self::VirtioMissingPart,
        Self::VirtioPartFlags,
        Self::VirtioQueueIndex,
        Self::VirtioQueueConfig,
        Self::VirtioDeviceStatus,
        Self::VirtioFeatureNotOffered,
        Self::ApMatrixLength,
        Self::ApSyntax,
        Self::ApIdOutOfRange,
        Self::ApConfigKind,
    ];

    /// The stable number of this code.
    #[must_use]
    pub const fn code(self) -> u16 {
        // `as` on a fieldless #[repr(u16)] enum is exact.
        #[allow(clippy::as_conversions)]
        {
            self as u16
        }
    }

    /// The errno a kernel caller returns for this code (positive value).
    ///
    /// A state that fails a codec check is a malformed message (`EBADMSG`);
    /// a state for another device or version is `EINVAL`, as the drivers
    /// return for a header they refuse; a missing codec is `EOPNOTSUPP`, as
    /// the virtio driver returns for a mandatory record it does not know;
    /// a small output buffer is `ENOSPC`; a matrix that differs from the
    /// device's configuration is `EINVAL`.
    #[must_use]
    pub const fn errno(self) -> i32 {
        match self {
            Self::BufferTooSmall => 28,                                                // ENOSPC
            Self::NoCodec | Self::VirtioUnknownRecord | Self::VirtioUnknownPart => 95, // EOPNOTSUPP
            Self::UnsupportedIdentity
            | Self::MttyVersion
            | Self::MttyPortCount
            | Self::ApConfigKind
            | Self::ApSyntax
            | Self::ApIdOutOfRange => 22, // EINVAL
            Self::VirtioRecordSize => 12, // ENOMEM, as virtiovf_resume_read_header returns
            _ => 74,                      // EBADMSG
        }
    }

    /// A short name, stable like the number.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Truncated => "truncated",
            Self::TrailingBytes => "trailing-bytes",
            Self::ReservedNotZero => "reserved-not-zero",
            Self::BufferTooSmall => "buffer-too-small",
            Self::UnsupportedIdentity => "unsupported-identity",
            Self::NoCodec => "no-codec",
            Self::MttyBadMagic => "mtty-bad-magic",
            Self::MttyVersion => "mtty-version",
            Self::MttyFlags => "mtty-flags",
            Self::MttyPortCount => "mtty-port-count",
            Self::MttySize => "mtty-size",
            Self::MttyFifoIndex => "mtty-fifo-index",
            Self::MttyFifoCount => "mtty-fifo-count",
            Self::MttyFifoInconsistent => "mtty-fifo-inconsistent",
            Self::MttyBool => "mtty-bool",
            Self::MttyFifoSize => "mtty-fifo-size",
            Self::MttyTriggerLevel => "mtty-trigger-level",
            Self::MttyDlab => "mtty-dlab",
            Self::MttyUnusedRegister => "mtty-unused-register",
            Self::VirtioRecordSize => "virtio-record-size",
            Self::VirtioUnknownRecord => "virtio-unknown-record",
            Self::VirtioRecordFlags => "virtio-record-flags",
            Self::VirtioNoDeviceData => "virtio-no-device-data",
            Self::VirtioUnknownPart => "virtio-unknown-part",
            Self::VirtioPartLength => "virtio-part-length",
            Self::VirtioCommonCfgOffset => "virtio-common-cfg-offset",
            Self::VirtioPartOrder => "virtio-part-order",
            Self::VirtioDuplicatePart => "virtio-duplicate-part",
            Self::VirtioMissingPart => "virtio-missing-part",
            Self::VirtioPartFlags => "virtio-part-flags",
            Self::VirtioQueueIndex => "virtio-queue-index",
            Self::VirtioQueueConfig => "virtio-queue-config",
            Self::VirtioDeviceStatus => "virtio-device-status",
            Self::VirtioFeatureNotOffered => "virtio-feature-not-offered",
            Self::ApMatrixLength => "ap-matrix-length",
            Self::ApSyntax => "ap-syntax",
            Self::ApIdOutOfRange => "ap-id-out-of-range",
            Self::ApConfigKind => "ap-config-kind",
        }
    }

    /// What happened, in words, without the specifics.
    #[must_use]
    pub const fn what(self) -> &'static str {
        match self {
            Self::Truncated => "the state ends inside a structure",
            Self::TrailingBytes => "bytes follow the end of the state",
            Self::ReservedNotZero => "a reserved or padding field is not zero",
            Self::BufferTooSmall => "the output buffer is too small for the encoded state",
            Self::UnsupportedIdentity => {
                "the codec does not handle this vendor, device API, device type, codec or state version"
            }
            Self::NoCodec => "no codec is registered for this vendor, device API and codec",
            Self::MttyBadMagic => "the mtty header's magic is not 0x7e9d09898c3e2c4e",
            Self::MttyVersion => "the mtty stream version is not 1.0",
            Self::MttyFlags => "the mtty header's flags are not zero",
            Self::MttyPortCount => "the mtty port count does not match the mdev type",
            Self::MttySize => "the mtty state is not 24 header bytes plus 36 bytes per port",
            Self::MttyFifoIndex => "an mtty FIFO head or tail index is outside 0..=15",
            Self::MttyFifoCount => "an mtty FIFO count is above 16",
            Self::MttyFifoInconsistent => "an mtty FIFO count does not agree with its head and tail",
            Self::MttyBool => "an mtty boolean (dlab, overrun) is neither 0 nor 1",
            Self::MttyFifoSize => "an mtty FIFO size is neither 1 nor 16",
            Self::MttyTriggerLevel => "an mtty interrupt trigger level is not 0, 1, 4, 8 or 14",
            Self::MttyDlab => "the mtty DLAB flag disagrees with bit 7 of the line control register",
            Self::MttyUnusedRegister => {
                "an mtty UART register the driver never stores (RX/TX, IIR/FCR, LSR, MSR) is not zero"
            }
            Self::VirtioRecordSize => "a virtio record is larger than the driver accepts (2^32 - 1 bytes)",
            Self::VirtioUnknownRecord => "a virtio record has an unknown tag and is not marked optional",
            Self::VirtioRecordFlags => "a virtio record has flags other than bit 0 (optional)",
            Self::VirtioNoDeviceData => "the virtio stream has no device-data record, or an empty one",
            Self::VirtioUnknownPart => "a device part of unknown type is not marked optional",
            Self::VirtioPartLength => "a device part's length is not the one its type requires",
            Self::VirtioCommonCfgOffset => {
                "a PCI common configuration part names an offset that is not a field of virtio_pci_common_cfg"
            }
            Self::VirtioPartOrder => "device parts are not in the order the VIRTIO specification prescribes",
            Self::VirtioDuplicatePart => "the same device part appears twice in one record",
            Self::VirtioMissingPart => "a device part's mandatory preceding part is missing",
            Self::VirtioPartFlags => {
                "a device part's flags are wrong (only device features carry bit 0, optional)"
            }
            Self::VirtioQueueIndex => "a virtqueue index is not below the device's number of queues",
            Self::VirtioQueueConfig => {
                "a virtqueue configuration is out of range (size above 32768, or enable not 0 or 1)"
            }
            Self::VirtioDeviceStatus => "the device status has reserved bits (0x10, 0x20) set",
            Self::VirtioFeatureNotOffered => {
                "the driver features include a feature the device does not offer"
            }
            Self::ApMatrixLength => "a vfio-ap matrix is not 96 bytes (APM, AQM, ADM of 32 bytes each)",
            Self::ApSyntax => "vfio-ap sysfs text is not in the attribute's format",
            Self::ApIdOutOfRange => "a vfio-ap adapter or domain number is above 255",
            Self::ApConfigKind => "the shell-device configuration is not of kind vfio-ap-matrix",
        }
    }

    /// What a person should do about it.
    #[must_use]
    pub const fn advice(self) -> &'static str {
        match self {
            Self::Truncated | Self::TrailingBytes | Self::MttySize => {
                "the state was cut off or padded on its way; if the image verified, the source's driver wrote a malformed state: report it to the vendor and do not restore it"
            }
            Self::BufferTooSmall => "pass an output buffer of at least the encoded length",
            Self::UnsupportedIdentity | Self::NoCodec => {
                "decode the payload with the codec of the vendor and device named in the verified header; a cross-vendor or cross-type payload never reaches another codec"
            }
            Self::MttyVersion | Self::MttyPortCount => {
                "the state is for another mtty driver version or mdev type: migrate to a destination of the same type (mtty-1 has 1 port, mtty-2 has 2)"
            }
            Self::ApMatrixLength | Self::ApConfigKind => {
                "build the configuration with `migseal descriptor --sysfs` or the codec's encoder: exactly APM|AQM|ADM, 32 bytes each"
            }
            Self::ApSyntax | Self::ApIdOutOfRange => {
                "give the text as the vfio-ap sysfs attributes print it: matrix lines AA.DDDD, AA. or .DDDD, control_domains lines DDDD, ap_config three 0x-masks (hex, ids 0-255)"
            }
            _ => {
                "the state breaks an invariant of the device's own format: even if its image verified, the source produced a state the destination must not load; do not restore it and report the image to the vendor"
            }
        }
    }
}

/// Specifics that make a message precise.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Detail {
    /// Nothing beyond the code.
    None,
    /// A value found where another was required.
    Value {
        /// The required value.
        expected: u64,
        /// The value found.
        found: u64,
    },
    /// A value found and the largest allowed.
    Limit {
        /// The bound.
        limit: u64,
        /// The value found.
        found: u64,
    },
    /// A value found (no single expected value).
    Found(u64),
}

/// A codec error: what went wrong, where, and in which field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Error {
    code: ErrorCode,
    offset: u64,
    field: &'static str,
    detail: Detail,
}

impl Error {
    /// An error at `offset` (bytes from the start of the payload or text).
    #[must_use]
    pub const fn new(code: ErrorCode, offset: u64) -> Self {
        Self { code, offset, field: "", detail: Detail::None }
    }

    /// An error at a `usize` offset (saturating on targets where it does
    /// not fit, which cannot happen for in-memory payloads).
    #[must_use]
    pub fn at(code: ErrorCode, offset: usize) -> Self {
        Self::new(code, u64::try_from(offset).unwrap_or(u64::MAX))
    }

    /// The same error with specifics attached.
    #[must_use]
    pub const fn with_detail(mut self, detail: Detail) -> Self {
        self.detail = detail;
        self
    }

    /// The same error naming the field (kept if one is set).
    #[must_use]
    pub const fn in_field(mut self, field: &'static str) -> Self {
        if self.field.is_empty() {
            self.field = field;
        }
        self
    }

    /// The stable code.
    #[must_use]
    pub const fn code(&self) -> ErrorCode {
        self.code
    }

    /// Byte offset from the start of the payload (or sysfs text) where the
    /// problem is.
    #[must_use]
    pub const fn offset(&self) -> u64 {
        self.offset
    }

    /// The field, such as `ports[1].rxtx.head`, or `""`.
    #[must_use]
    pub const fn field(&self) -> &'static str {
        self.field
    }

    /// Specifics.
    #[must_use]
    pub const fn detail(&self) -> Detail {
        self.detail
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "error {} ({}) at byte {}", self.code.code(), self.code.name(), self.offset)?;
        if !self.field.is_empty() {
            write!(f, " in {}", self.field)?;
        }
        write!(f, ": {}", self.code.what())?;
        match self.detail {
            Detail::None => {}
            Detail::Value { expected, found } => write!(f, " (expected {expected}, found {found})")?,
            Detail::Limit { limit, found } => write!(f, " (found {found}, limit {limit})")?,
            Detail::Found(found) => write!(f, " (found {found})")?,
        }
        write!(f, "; {}", self.code.advice())
    }
}

impl core::error::Error for Error {}

/// Shorthand for results of this crate.
pub type Result<T> = core::result::Result<T, Error>;

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_in_range_unique_and_named() {
        let mut seen = [false; 100];
        for c in ErrorCode::ALL {
            let n = c.code();
            assert!((700..800).contains(&n), "{n}");
            let i = usize::from(n - 700);
            assert!(!seen[i], "code {n} twice");
            seen[i] = true;
            assert!(!c.name().is_empty() && !c.what().is_empty() && !c.advice().is_empty());
            assert!(c.errno() > 0);
        }
        let mut names: std::vec::Vec<&str> = ErrorCode::ALL.iter().map(|c| c.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ErrorCode::ALL.len());
    }

    #[test]
    fn display_names_code_offset_field_and_advice() {
        let e = Error::new(ErrorCode::MttyFifoIndex, 43)
            .in_field("ports[0].rxtx.head")
            .in_field("outer")
            .with_detail(Detail::Limit { limit: 15, found: 200 });
        let s = std::format!("{e}");
        assert!(s.starts_with("error 715 (mtty-fifo-index) at byte 43 in ports[0].rxtx.head"), "{s}");
        assert!(s.contains("found 200, limit 15"), "{s}");
        assert!(s.contains("do not restore"), "{s}");
    }
}
