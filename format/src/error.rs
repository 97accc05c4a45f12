//! The format layer's error: a stable code, the byte offset, and a message
//! that says what happened and what to do.

use core::fmt;

/// Stable numeric error codes of the format layer (spec §9, range 100–299).
///
/// The numbers never change meaning; new codes are only ever added. Kernel
/// callers map them to errno values with [`ErrorCode::errno`].
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u16)]
pub enum ErrorCode {
    /// The input ended inside a data item.
    Truncated = 100,
    /// An integer, length or tag was not encoded in the shortest form.
    NonShortestHead = 101,
    /// An indefinite-length string, array or map.
    IndefiniteLength = 102,
    /// Additional information 28–30, reserved by RFC 8949.
    ReservedAdditionalInfo = 103,
    /// A floating-point value.
    FloatNotAllowed = 104,
    /// A simple value other than false, true and null.
    SimpleValueNotAllowed = 105,
    /// A tag the specification does not allow at this place.
    TagNotAllowed = 106,
    /// A text string that is not valid UTF-8.
    InvalidUtf8 = 107,
    /// Map keys not in bytewise order of their encodings.
    MapKeysUnsorted = 108,
    /// The same map key twice.
    DuplicateMapKey = 109,
    /// Arrays, maps and tags nested deeper than the fixed bound.
    NestingTooDeep = 110,
    /// A declared length or count above the limit for this place.
    LengthOverLimit = 111,
    /// Bytes after the last data item.
    TrailingBytes = 112,
    /// A data item of another type than this place requires.
    UnexpectedType = 113,
    /// An integer outside the range this field allows.
    IntegerOutOfRange = 114,
    /// A "break" byte (0xff) outside an indefinite-length item.
    StrayBreak = 115,
    /// A caller's output buffer is too small for the encoding.
    BufferTooSmall = 116,
    /// An encoder call that would not produce one canonical item.
    EncoderMisuse = 117,

    /// A record whose type is not header (0), chunk (1) or seal (2).
    UnknownRecordType = 200,
    /// A record array with the wrong number of elements.
    RecordShape = 201,
    /// A required map key is absent.
    MissingField = 202,
    /// A map key this format version does not define.
    UnknownField = 203,
    /// A format version other than 1.
    UnsupportedFormatVersion = 204,
    /// An identifier outside the alphabet or length the spec allows.
    InvalidIdentifier = 205,
    /// A byte string of the wrong length (key id, nonce, signature, ...).
    InvalidFieldLength = 206,
    /// A list that must be strictly increasing is not (unsorted or repeated).
    ListNotSorted = 207,
    /// A version range whose minimum is above its maximum.
    InvalidVersionRange = 208,
    /// A subject outside the alphabet or length the spec allows.
    InvalidSubject = 209,
    /// A chunk record that carries no bytes.
    EmptyChunk = 210,
    /// The COSE protected header is not the one the spec defines.
    BadProtectedHeader = 211,
    /// A COSE algorithm other than Ed25519 (-19).
    UnsupportedAlgorithm = 212,
    /// A non-empty COSE unprotected header.
    BadUnprotectedHeader = 213,
    /// A COSE_Sign1 whose payload is not detached (not null).
    PayloadNotDetached = 214,
    /// A descriptor role other than source (0) or destination (1), or a
    /// descriptor that contradicts its role.
    InvalidDescriptor = 215,
}

impl ErrorCode {
    /// Every code, in numeric order: for tables, bindings and tests that
    /// must cover them all.
    pub const ALL: &'static [Self] = &[
        Self::Truncated,
        Self::NonShortestHead,
        Self::IndefiniteLength,
        Self::ReservedAdditionalInfo,
        Self::FloatNotAllowed,
        Self::SimpleValueNotAllowed,
        Self::TagNotAllowed,
        Self::InvalidUtf8,
        Self::MapKeysUnsorted,
        Self::DuplicateMapKey,
        Self::NestingTooDeep,
        Self::LengthOverLimit,
        Self::TrailingBytes,
        Self::UnexpectedType,
        Self::IntegerOutOfRange,
        Self::StrayBreak,
        Self::BufferTooSmall,
        Self::EncoderMisuse,
        Self::UnknownRecordType,
        Self::RecordShape,
        Self::MissingField,
        Self::UnknownField,
        Self::UnsupportedFormatVersion,
        Self::InvalidIdentifier,
        Self::InvalidFieldLength,
        Self::ListNotSorted,
        Self::InvalidVersionRange,
        Self::InvalidSubject,
        Self::EmptyChunk,
        Self::BadProtectedHeader,
        Self::UnsupportedAlgorithm,
        Self::BadUnprotectedHeader,
        Self::PayloadNotDetached,
        Self::InvalidDescriptor,
    ];

    /// The stable number of this code.
    #[must_use]
    pub const fn code(self) -> u16 {
        // `as` on a fieldless #[repr(u16)] enum is exact; the lint exists for
        // numeric truncation, which cannot happen here.
        #[allow(clippy::as_conversions)]
        {
            self as u16
        }
    }

    /// The errno a kernel caller returns for this code (positive value).
    ///
    /// Everything the format layer refuses is a malformed or corrupt image:
    /// `EBADMSG` for damaged structure, `EINVAL` for an unsupported version
    /// or misuse, `E2BIG` for limits, `ENOSPC` for an output buffer.
    #[must_use]
    pub const fn errno(self) -> i32 {
        match self {
            Self::LengthOverLimit | Self::NestingTooDeep => 7, // E2BIG
            Self::BufferTooSmall => 28,                        // ENOSPC
            Self::UnsupportedFormatVersion | Self::UnsupportedAlgorithm | Self::EncoderMisuse => {
                22 // EINVAL
            }
            _ => 74, // EBADMSG
        }
    }

    /// A short name, stable like the number (used by the CLI's `--json`).
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Truncated => "truncated",
            Self::NonShortestHead => "non-shortest-head",
            Self::IndefiniteLength => "indefinite-length",
            Self::ReservedAdditionalInfo => "reserved-additional-info",
            Self::FloatNotAllowed => "float-not-allowed",
            Self::SimpleValueNotAllowed => "simple-value-not-allowed",
            Self::TagNotAllowed => "tag-not-allowed",
            Self::InvalidUtf8 => "invalid-utf8",
            Self::MapKeysUnsorted => "map-keys-unsorted",
            Self::DuplicateMapKey => "duplicate-map-key",
            Self::NestingTooDeep => "nesting-too-deep",
            Self::LengthOverLimit => "length-over-limit",
            Self::TrailingBytes => "trailing-bytes",
            Self::UnexpectedType => "unexpected-type",
            Self::IntegerOutOfRange => "integer-out-of-range",
            Self::StrayBreak => "stray-break",
            Self::BufferTooSmall => "buffer-too-small",
            Self::EncoderMisuse => "encoder-misuse",
            Self::UnknownRecordType => "unknown-record-type",
            Self::RecordShape => "record-shape",
            Self::MissingField => "missing-field",
            Self::UnknownField => "unknown-field",
            Self::UnsupportedFormatVersion => "unsupported-format-version",
            Self::InvalidIdentifier => "invalid-identifier",
            Self::InvalidFieldLength => "invalid-field-length",
            Self::ListNotSorted => "list-not-sorted",
            Self::InvalidVersionRange => "invalid-version-range",
            Self::InvalidSubject => "invalid-subject",
            Self::EmptyChunk => "empty-chunk",
            Self::BadProtectedHeader => "bad-protected-header",
            Self::UnsupportedAlgorithm => "unsupported-algorithm",
            Self::BadUnprotectedHeader => "bad-unprotected-header",
            Self::PayloadNotDetached => "payload-not-detached",
            Self::InvalidDescriptor => "invalid-descriptor",
        }
    }

    /// What happened, in words, without the specifics.
    #[must_use]
    pub const fn what(self) -> &'static str {
        match self {
            Self::Truncated => "the input ends inside a data item",
            Self::NonShortestHead => "an integer, length or tag is not encoded in its shortest form",
            Self::IndefiniteLength => "an indefinite-length item appears",
            Self::ReservedAdditionalInfo => "a reserved CBOR head (additional information 28-30) appears",
            Self::FloatNotAllowed => "a floating-point value appears",
            Self::SimpleValueNotAllowed => "a simple value other than false, true or null appears",
            Self::TagNotAllowed => "a CBOR tag appears where the format allows none",
            Self::InvalidUtf8 => "a text string is not valid UTF-8",
            Self::MapKeysUnsorted => "map keys are not in bytewise order of their encodings",
            Self::DuplicateMapKey => "a map key appears twice",
            Self::NestingTooDeep => "items are nested deeper than the fixed bound",
            Self::LengthOverLimit => "a declared length or count is above the limit",
            Self::TrailingBytes => "bytes follow the last data item",
            Self::UnexpectedType => "a data item has another type than required here",
            Self::IntegerOutOfRange => "an integer is outside the range of this field",
            Self::StrayBreak => "a break byte (0xff) appears outside an indefinite-length item",
            Self::BufferTooSmall => "the output buffer is too small",
            Self::EncoderMisuse => "the encoder was asked for something that is not one canonical item",
            Self::UnknownRecordType => "a record has an unknown type",
            Self::RecordShape => "a record has the wrong number of elements",
            Self::MissingField => "a required field is missing",
            Self::UnknownField => "a field this format version does not define appears",
            Self::UnsupportedFormatVersion => "the format version is not supported",
            Self::InvalidIdentifier => {
                "an identifier is empty, too long or has a byte outside [A-Za-z0-9._-]"
            }
            Self::InvalidFieldLength => "a byte string has the wrong length for its field",
            Self::ListNotSorted => "a list is not strictly increasing (unsorted or repeated entries)",
            Self::InvalidVersionRange => "a version range has its minimum above its maximum",
            Self::InvalidSubject => "the subject is empty, too long or has a byte outside printable ASCII",
            Self::EmptyChunk => "a chunk record carries no bytes",
            Self::BadProtectedHeader => "the COSE protected header is not the one migseal v1 defines",
            Self::UnsupportedAlgorithm => "the COSE algorithm is not Ed25519 (-19)",
            Self::BadUnprotectedHeader => "the COSE unprotected header is not empty",
            Self::PayloadNotDetached => "the COSE_Sign1 payload is not detached (null)",
            Self::InvalidDescriptor => {
                "the descriptor's role is unknown, or its codec or version list is empty"
            }
        }
    }

    /// What a person should do about it.
    #[must_use]
    pub const fn advice(self) -> &'static str {
        match self {
            Self::Truncated => "the image was cut off in transfer or storage; obtain the complete image",
            Self::NonShortestHead
            | Self::IndefiniteLength
            | Self::MapKeysUnsorted
            | Self::DuplicateMapKey
            | Self::FloatNotAllowed
            | Self::SimpleValueNotAllowed
            | Self::TagNotAllowed => {
                "migseal accepts only the one canonical encoding; the bytes were not written by a conforming encoder or were altered: re-create them with migseal"
            }
            Self::ReservedAdditionalInfo | Self::StrayBreak | Self::InvalidUtf8 => {
                "this is not well-formed CBOR: the input is damaged or is not a migseal image"
            }
            Self::NestingTooDeep | Self::LengthOverLimit => {
                "refused before reading further; if the producer is trusted, raise the limit in the policy, otherwise discard the input"
            }
            Self::TrailingBytes => {
                "an image ends with its last record; remove what was appended or check that two files were not concatenated"
            }
            Self::UnexpectedType
            | Self::IntegerOutOfRange
            | Self::RecordShape
            | Self::UnknownRecordType
            | Self::MissingField
            | Self::UnknownField
            | Self::InvalidIdentifier
            | Self::InvalidFieldLength
            | Self::ListNotSorted
            | Self::InvalidVersionRange
            | Self::InvalidSubject
            | Self::EmptyChunk => {
                "the bytes do not follow the migseal v1 schema (spec/migseal.cddl); re-create them with a conforming encoder"
            }
            Self::BufferTooSmall => "pass a larger output buffer",
            Self::EncoderMisuse => {
                "fix the calling code: every container must get exactly its declared number of items"
            }
            Self::UnsupportedFormatVersion => {
                "this image or descriptor needs a newer migseal; upgrade the destination or re-seal with format version 1"
            }
            Self::BadProtectedHeader
            | Self::UnsupportedAlgorithm
            | Self::BadUnprotectedHeader
            | Self::PayloadNotDetached => {
                "migseal v1 has exactly one seal form (COSE_Sign1, Ed25519 -19, detached payload); re-seal the image with migseal"
            }
            Self::InvalidDescriptor => {
                "give role 0 (source) or 1 (destination), at least one codec and one version range; fix the descriptor file"
            }
        }
    }
}

/// Specifics that make a message precise: what was found against what the
/// format allows.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Detail {
    /// Nothing beyond the code.
    None,
    /// A number found and the bound it broke.
    Limit {
        /// The bound.
        limit: u64,
        /// The value found.
        found: u64,
    },
    /// The type required and the type found.
    Type {
        /// What the place requires.
        expected: &'static str,
        /// What the input has.
        found: &'static str,
    },
    /// A map key (missing, unknown, unsorted, repeated).
    Key(u64),
    /// A value found where another was required.
    Value {
        /// The required value.
        expected: u64,
        /// The value found.
        found: u64,
    },
    /// The offending byte.
    Byte(u8),
}

/// A format-layer error: what went wrong, where, and in which field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Error {
    code: ErrorCode,
    offset: u64,
    field: &'static str,
    detail: Detail,
}

impl Error {
    /// An error at `offset` (bytes from the start of the input).
    #[must_use]
    pub const fn new(code: ErrorCode, offset: u64) -> Self {
        Self { code, offset, field: "", detail: Detail::None }
    }

    /// The same error with specifics attached.
    #[must_use]
    pub const fn with_detail(mut self, detail: Detail) -> Self {
        self.detail = detail;
        self
    }

    /// The same error, naming the field it occurred in (kept if one is set).
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

    /// Byte offset from the start of the input (for a stream: from its first
    /// byte) where the problem is.
    #[must_use]
    pub const fn offset(&self) -> u64 {
        self.offset
    }

    /// The field the error occurred in, such as `header.vendor`, or `""`.
    #[must_use]
    pub const fn field(&self) -> &'static str {
        self.field
    }

    /// Specifics (found vs allowed).
    #[must_use]
    pub const fn detail(&self) -> Detail {
        self.detail
    }

    /// True when more input could complete the item: the only error a
    /// streaming caller may answer by waiting for more bytes.
    #[must_use]
    pub fn is_truncated(&self) -> bool {
        self.code == ErrorCode::Truncated
    }

    /// The same error moved by `base` bytes, for input that is a window into
    /// a larger stream. Saturates: an offset never wraps.
    #[must_use]
    pub const fn shifted(mut self, base: u64) -> Self {
        self.offset = self.offset.saturating_add(base);
        self
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
            Detail::Limit { limit, found } => write!(f, " (found {found}, limit {limit})")?,
            Detail::Type { expected, found } => write!(f, " (expected {expected}, found {found})")?,
            Detail::Key(key) => write!(f, " (key {key})")?,
            Detail::Value { expected, found } => write!(f, " (expected {expected}, found {found})")?,
            Detail::Byte(b) => write!(f, " (byte 0x{b:02x})")?,
        }
        write!(f, "; {}", self.code.advice())
    }
}

impl core::error::Error for Error {}

/// Shorthand for results of this crate.
pub type Result<T> = core::result::Result<T, Error>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_lists_each_code_once_in_order_with_distinct_names() {
        for (a, b) in ErrorCode::ALL.iter().zip(ErrorCode::ALL.iter().skip(1)) {
            assert!(a.code() < b.code(), "{a:?} before {b:?}");
        }
        for (i, a) in ErrorCode::ALL.iter().enumerate() {
            for b in ErrorCode::ALL.iter().skip(i + 1) {
                assert_ne!(a.name(), b.name());
            }
        }
        // 100–117 and 200–215 are dense: strictly increasing codes inside
        // those ranges, as many as the ranges hold, are all of them.
        assert!(
            ErrorCode::ALL.iter().all(|c| (100..=117).contains(&c.code()) || (200..=215).contains(&c.code()))
        );
        assert_eq!(ErrorCode::ALL.len(), 18 + 16);
    }

    #[test]
    fn display_names_code_offset_field_and_advice() {
        let e = Error::new(ErrorCode::LengthOverLimit, 17)
            .in_field("chunk.data")
            .with_detail(Detail::Limit { limit: 16, found: 99 });
        let mut s = [0u8; 512];
        let mut w = crate::testutil::ArrayWriter::new(&mut s);
        core::fmt::write(&mut w, format_args!("{e}")).unwrap_or(());
        let text = w.as_str();
        assert!(text.starts_with("error 111 (length-over-limit) at byte 17 in chunk.data"), "{text}");
        assert!(text.contains("found 99, limit 16"));
        assert!(text.contains("raise the limit"));
    }

    #[test]
    fn in_field_keeps_the_innermost_name() {
        let e = Error::new(ErrorCode::Truncated, 0).in_field("inner").in_field("outer");
        assert_eq!(e.field(), "inner");
    }

    #[test]
    fn shifted_saturates() {
        assert_eq!(Error::new(ErrorCode::Truncated, u64::MAX - 1).shifted(5).offset(), u64::MAX);
    }
}
