//! The codec layer's error: a stable code in 700–799, the byte offset in
//! the payload (or text) where the problem is, the field, and a message
//! that says what happened and what to do.

use core::fmt;

use migseal_format::errno;

/// Declares the codec layer's code table: one row per code generates the
/// variant, its number, name, errno and texts, and [`ErrorCode::ALL`].
/// A row is `Variant = code, "name", ERRNO, what: "...", advice: ...;`.
macro_rules! error_codes {
    (
        $(#[$meta:meta])*
        pub enum $Enum:ident {
            $(
                $(#[$doc:meta])*
                $Variant:ident = $code:literal, $name:literal, $errno:ident,
                    what: $what:expr,
                    advice: $advice:expr;
            )*
        }
    ) => {
        $(#[$meta])*
        pub enum $Enum {
            $( $(#[$doc])* $Variant = $code, )*
        }

        impl $Enum {
            /// Every code, in numeric order (for documentation and tests).
            pub const ALL: &'static [Self] = &[ $( Self::$Variant, )* ];

            /// The stable number of this code.
            #[must_use]
            pub const fn code(self) -> u16 {
                match self { $( Self::$Variant => $code, )* }
            }

            /// A short name, stable like the number.
            #[must_use]
            pub const fn name(self) -> &'static str {
                match self { $( Self::$Variant => $name, )* }
            }

            /// The errno a kernel caller returns for this code (positive
            /// value).
            ///
            /// A state that fails a codec check is a malformed message
            /// (`EBADMSG`); a state for another device or version is
            /// `EINVAL`, as the drivers return for a header they refuse; a
            /// missing codec is `EOPNOTSUPP`, as the virtio driver returns
            /// for a mandatory record it does not know; a small output
            /// buffer is `ENOSPC`; a matrix that differs from the device's
            /// configuration is `EINVAL`.
            #[must_use]
            pub const fn errno(self) -> i32 {
                match self { $( Self::$Variant => errno::$errno, )* }
            }

            /// What happened, in words, without the specifics.
            #[must_use]
            pub const fn what(self) -> &'static str {
                match self { $( Self::$Variant => $what, )* }
            }

            /// What a person should do about it.
            #[must_use]
            pub const fn advice(self) -> &'static str {
                match self { $( Self::$Variant => $advice, )* }
            }
        }
    };
}

/// Advice for a state cut off or padded on its way.
const CUT_OFF: &str = "the state was cut off or padded on its way; if the image verified, the source's driver wrote a malformed state: report it to the vendor and do not restore it";
/// Advice for a payload handed to the wrong codec.
const WRONG_CODEC: &str = "decode the payload with the codec of the vendor and device named in the verified header; a cross-vendor or cross-type payload never reaches another codec";
/// Advice for an mtty state of another driver version or mdev type.
const MTTY_TYPE: &str = "the state is for another mtty driver version or mdev type: migrate to a destination of the same type (mtty-1 has 1 port, mtty-2 has 2)";
/// Advice for a vfio-ap configuration not built by the encoder.
const AP_BUILD: &str = "build the configuration with `migseal descriptor --sysfs` or the codec's encoder: exactly APM|AQM|ADM, 32 bytes each";
/// Advice for vfio-ap sysfs text.
const AP_TEXT: &str = "give the text as the vfio-ap sysfs attributes print it: matrix lines AA.DDDD, AA. or .DDDD, control_domains lines DDDD, ap_config three 0x-masks (hex, ids 0-255)";
/// Advice for a state that breaks its device format's invariants.
const INVARIANT: &str = "the state breaks an invariant of the device's own format: even if its image verified, the source produced a state the destination must not load; do not restore it and report the image to the vendor";

error_codes! {
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
        Truncated = 700, "truncated", EBADMSG,
            what: "the state ends inside a structure",
            advice: CUT_OFF;
        /// Bytes follow the end of the state.
        TrailingBytes = 701, "trailing-bytes", EBADMSG,
            what: "bytes follow the end of the state",
            advice: CUT_OFF;
        /// A reserved or padding field is not zero.
        ReservedNotZero = 702, "reserved-not-zero", EBADMSG,
            what: "a reserved or padding field is not zero",
            advice: INVARIANT;
        /// A caller's output buffer is too small for the encoding.
        BufferTooSmall = 703, "buffer-too-small", ENOSPC,
            what: "the output buffer is too small for the encoded state",
            advice: "pass an output buffer of at least the encoded length";
        /// The codec does not handle this identity (vendor, device API, device
        /// type, codec name or state version).
        UnsupportedIdentity = 704, "unsupported-identity", EINVAL,
            what: "the codec does not handle this vendor, device API, device type, codec or state version",
            advice: WRONG_CODEC;
        /// No registered codec handles this identity.
        NoCodec = 705, "no-codec", EOPNOTSUPP,
            what: "no codec is registered for this vendor, device API and codec",
            advice: WRONG_CODEC;

        /// mtty: the magic number is not `0x7e9d09898c3e2c4e`.
        MttyBadMagic = 710, "mtty-bad-magic", EBADMSG,
            what: "the mtty header's magic is not 0x7e9d09898c3e2c4e",
            advice: INVARIANT;
        /// mtty: the stream version is not 1.0.
        MttyVersion = 711, "mtty-version", EINVAL,
            what: "the mtty stream version is not 1.0",
            advice: MTTY_TYPE;
        /// mtty: the header's flags are not zero.
        MttyFlags = 712, "mtty-flags", EBADMSG,
            what: "the mtty header's flags are not zero",
            advice: INVARIANT;
        /// mtty: the port count does not match the mdev type.
        MttyPortCount = 713, "mtty-port-count", EINVAL,
            what: "the mtty port count does not match the mdev type",
            advice: MTTY_TYPE;
        /// mtty: the payload length is not 24 + 36 × ports.
        MttySize = 714, "mtty-size", EBADMSG,
            what: "the mtty state is not 24 header bytes plus 36 bytes per port",
            advice: CUT_OFF;
        /// mtty: a FIFO head or tail index is 16 or more.
        MttyFifoIndex = 715, "mtty-fifo-index", EBADMSG,
            what: "an mtty FIFO head or tail index is outside 0..=15",
            advice: INVARIANT;
        /// mtty: a FIFO count above 16.
        MttyFifoCount = 716, "mtty-fifo-count", EBADMSG,
            what: "an mtty FIFO count is above 16",
            advice: INVARIANT;
        /// mtty: the FIFO count does not agree with head and tail.
        MttyFifoInconsistent = 717, "mtty-fifo-inconsistent", EBADMSG,
            what: "an mtty FIFO count does not agree with its head and tail",
            advice: INVARIANT;
        /// mtty: a C `bool` byte other than 0 or 1.
        MttyBool = 718, "mtty-bool", EBADMSG,
            what: "an mtty boolean (dlab, overrun) is neither 0 nor 1",
            advice: INVARIANT;
        /// mtty: a FIFO size other than 1 or 16.
        MttyFifoSize = 719, "mtty-fifo-size", EBADMSG,
            what: "an mtty FIFO size is neither 1 nor 16",
            advice: INVARIANT;
        /// mtty: an interrupt trigger level other than 0, 1, 4, 8 or 14.
        MttyTriggerLevel = 720, "mtty-trigger-level", EBADMSG,
            what: "an mtty interrupt trigger level is not 0, 1, 4, 8 or 14",
            advice: INVARIANT;
        /// mtty: the DLAB flag disagrees with bit 7 of the line control register.
        MttyDlab = 721, "mtty-dlab", EBADMSG,
            what: "the mtty DLAB flag disagrees with bit 7 of the line control register",
            advice: INVARIANT;
        /// mtty: a UART register the driver never stores is not zero.
        MttyUnusedRegister = 722, "mtty-unused-register", EBADMSG,
            what: "an mtty UART register the driver never stores (RX/TX, IIR/FCR, LSR, MSR) is not zero",
            advice: INVARIANT;

        /// virtio: a record header's size exceeds the driver's limit (2^32 − 1).
        VirtioRecordSize = 730, "virtio-record-size", ENOMEM, // as virtiovf_resume_read_header returns
            what: "a virtio record is larger than the driver accepts (2^32 - 1 bytes)",
            advice: INVARIANT;
        /// virtio: a record with an unknown tag that is not marked optional.
        VirtioUnknownRecord = 731, "virtio-unknown-record", EOPNOTSUPP,
            what: "a virtio record has an unknown tag and is not marked optional",
            advice: INVARIANT;
        /// virtio: record flags other than bit 0 (optional).
        VirtioRecordFlags = 732, "virtio-record-flags", EBADMSG,
            what: "a virtio record has flags other than bit 0 (optional)",
            advice: INVARIANT;
        /// virtio: no device-data record, or an empty one.
        VirtioNoDeviceData = 733, "virtio-no-device-data", EBADMSG,
            what: "the virtio stream has no device-data record, or an empty one",
            advice: INVARIANT;
        /// virtio: a part type this codec does not know, not marked optional.
        VirtioUnknownPart = 734, "virtio-unknown-part", EOPNOTSUPP,
            what: "a device part of unknown type is not marked optional",
            advice: INVARIANT;
        /// virtio: a part length other than its type requires.
        VirtioPartLength = 735, "virtio-part-length", EBADMSG,
            what: "a device part's length is not the one its type requires",
            advice: INVARIANT;
        /// virtio: a PCI common configuration offset that is not a field start.
        VirtioCommonCfgOffset = 736, "virtio-common-cfg-offset", EBADMSG,
            what: "a PCI common configuration part names an offset that is not a field of virtio_pci_common_cfg",
            advice: INVARIANT;
        /// virtio: parts out of the order the specification prescribes.
        VirtioPartOrder = 737, "virtio-part-order", EBADMSG,
            what: "device parts are not in the order the VIRTIO specification prescribes",
            advice: INVARIANT;
        /// virtio: the same part (type and selector) twice in one record.
        VirtioDuplicatePart = 738, "virtio-duplicate-part", EBADMSG,
            what: "the same device part appears twice in one record",
            advice: INVARIANT;
        /// virtio: a part whose mandatory preceding part is missing.
        VirtioMissingPart = 739, "virtio-missing-part", EBADMSG,
            what: "a device part's mandatory preceding part is missing",
            advice: INVARIANT;
        /// virtio: part flags other than the spec's (bit 0 on device features
        /// only).
        VirtioPartFlags = 740, "virtio-part-flags", EBADMSG,
            what: "a device part's flags are wrong (only device features carry bit 0, optional)",
            advice: INVARIANT;
        /// virtio: a virtqueue index at or above the device's queue count.
        VirtioQueueIndex = 741, "virtio-queue-index", EBADMSG,
            what: "a virtqueue index is not below the device's number of queues",
            advice: INVARIANT;
        /// virtio: a virtqueue configuration out of range (size above 32768,
        /// enable not 0 or 1).
        VirtioQueueConfig = 742, "virtio-queue-config", EBADMSG,
            what: "a virtqueue configuration is out of range (size above 32768, or enable not 0 or 1)",
            advice: INVARIANT;
        /// virtio: device status with reserved bits set.
        VirtioDeviceStatus = 743, "virtio-device-status", EBADMSG,
            what: "the device status has reserved bits (0x10, 0x20) set",
            advice: INVARIANT;
        /// virtio: the driver accepted a feature the device does not offer.
        VirtioFeatureNotOffered = 744, "virtio-feature-not-offered", EBADMSG,
            what: "the driver features include a feature the device does not offer",
            advice: INVARIANT;

        /// vfio-ap: a matrix that is not 96 bytes.
        ApMatrixLength = 760, "ap-matrix-length", EBADMSG,
            what: "a vfio-ap matrix is not 96 bytes (APM, AQM, ADM of 32 bytes each)",
            advice: AP_BUILD;
        /// vfio-ap: sysfs text that is not in the attribute's format.
        ApSyntax = 761, "ap-syntax", EINVAL,
            what: "vfio-ap sysfs text is not in the attribute's format",
            advice: AP_TEXT;
        /// vfio-ap: an adapter or domain number above 255.
        ApIdOutOfRange = 762, "ap-id-out-of-range", EINVAL,
            what: "a vfio-ap adapter or domain number is above 255",
            advice: AP_TEXT;
        /// vfio-ap: a shell configuration of another kind than `vfio-ap-matrix`.
        ApConfigKind = 763, "ap-config-kind", EINVAL,
            what: "the shell-device configuration is not of kind vfio-ap-matrix",
            advice: AP_BUILD;
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
