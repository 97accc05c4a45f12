//! The format layer's error: a stable code, the byte offset, and a message
//! that says what happened and what to do.

use core::fmt;

/// errno values (Linux, positive) that the error tables name: one place
/// for the numbers, so a table row reads `EBADMSG`, not `74`.
pub mod errno {
    /// Operation not permitted.
    pub const EPERM: i32 = 1;
    /// Argument list too long: a limit.
    pub const E2BIG: i32 = 7;
    /// Out of memory.
    pub const ENOMEM: i32 = 12;
    /// Invalid argument.
    pub const EINVAL: i32 = 22;
    /// No space left on device: an output buffer.
    pub const ENOSPC: i32 = 28;
    /// Not a data message: a malformed image.
    pub const EBADMSG: i32 = 74;
    /// Operation not supported.
    pub const EOPNOTSUPP: i32 = 95;
    /// Key has been revoked.
    pub const EKEYREVOKED: i32 = 128;
    /// Key was rejected by service.
    pub const EKEYREJECTED: i32 = 129;
}

/// Declares the format layer's code table: one row per code generates the
/// variant, its number, name, errno and texts, and [`ErrorCode::ALL`].
///
/// A row is `Variant = code, "name", ERRNO, what: "...", advice: ...,`
/// optionally followed by `summary: "..."` when the one-line message of
/// the C ABI says more than `what` (it defaults to `what`).
macro_rules! error_codes {
    (
        $(#[$meta:meta])*
        pub enum $Enum:ident {
            $(
                $(#[$doc:meta])*
                $Variant:ident = $code:literal, $name:literal, $errno:ident,
                    what: $what:expr,
                    advice: $advice:expr
                    $(, summary: $summary:expr)? ;
            )*
        }
    ) => {
        $(#[$meta])*
        pub enum $Enum {
            $( $(#[$doc])* $Variant = $code, )*
        }

        impl $Enum {
            /// Every code, in numeric order: for tables, bindings and tests
            /// that must cover them all.
            pub const ALL: &'static [Self] = &[ $( Self::$Variant, )* ];

            /// The stable number of this code.
            #[must_use]
            pub const fn code(self) -> u16 {
                match self { $( Self::$Variant => $code, )* }
            }

            /// A short name, stable like the number (used by the CLI's
            /// `--json`).
            #[must_use]
            pub const fn name(self) -> &'static str {
                match self { $( Self::$Variant => $name, )* }
            }

            /// The errno a kernel caller returns for this code (positive
            /// value).
            ///
            /// Everything the format layer refuses is a malformed or corrupt
            /// image: `EBADMSG` for damaged structure, `EINVAL` for an
            /// unsupported version or misuse, `E2BIG` for limits, `ENOSPC`
            /// for an output buffer.
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

            /// One line that stands alone: what happened and, briefly, what
            /// it means (the C ABI's `migseal_status_message`).
            #[must_use]
            pub const fn summary(self) -> &'static str {
                match self { $( Self::$Variant => error_codes!(@or $($summary)?, $what), )* }
            }
        }
    };
    (@or $given:expr, $default:expr) => { $given };
    (@or , $default:expr) => { $default };
}

/// Advice for bytes that are CBOR but not the one canonical encoding.
const RECREATE_CANONICAL: &str = "migseal accepts only the one canonical encoding; the bytes were not written by a conforming encoder or were altered: re-create them with migseal";
/// Advice for bytes that are not well-formed CBOR at all.
const NOT_CBOR: &str = "this is not well-formed CBOR: the input is damaged or is not a migseal image";
/// Advice for a limit.
const LIMIT: &str = "refused before reading further; if the producer is trusted, raise the limit in the policy, otherwise discard the input";
/// Advice for well-formed CBOR that breaks the v1 schema.
const SCHEMA: &str = "the bytes do not follow the migseal v1 schema (spec/migseal.cddl); re-create them with a conforming encoder";
/// Advice for a seal of another form than v1's one.
const SEAL_FORM: &str = "migseal v1 has exactly one seal form (COSE_Sign1, Ed25519 -19, detached payload); re-seal the image with migseal";

error_codes! {
    /// Stable numeric error codes of the format layer (spec §9, range 100–299).
    ///
    /// The numbers never change meaning; new codes are only ever added. Kernel
    /// callers map them to errno values with [`ErrorCode::errno`].
    #[non_exhaustive]
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    #[repr(u16)]
    pub enum ErrorCode {
        /// The input ended inside a data item.
        Truncated = 100, "truncated", EBADMSG,
            what: "the input ends inside a data item",
            advice: "the image was cut off in transfer or storage; obtain the complete image",
            summary: "the input ends inside a data item: the image was cut off";
        /// An integer, length or tag was not encoded in the shortest form.
        NonShortestHead = 101, "non-shortest-head", EBADMSG,
            what: "an integer, length or tag is not encoded in its shortest form",
            advice: RECREATE_CANONICAL,
            summary: "an integer, length or tag is not in its shortest form: not canonical CBOR";
        /// An indefinite-length string, array or map.
        IndefiniteLength = 102, "indefinite-length", EBADMSG,
            what: "an indefinite-length item appears",
            advice: RECREATE_CANONICAL,
            summary: "an indefinite-length item: not canonical CBOR";
        /// Additional information 28–30, reserved by RFC 8949.
        ReservedAdditionalInfo = 103, "reserved-additional-info", EBADMSG,
            what: "a reserved CBOR head (additional information 28-30) appears",
            advice: NOT_CBOR,
            summary: "a reserved CBOR head (additional information 28-30): not well-formed CBOR";
        /// A floating-point value.
        FloatNotAllowed = 104, "float-not-allowed", EBADMSG,
            what: "a floating-point value appears",
            advice: RECREATE_CANONICAL,
            summary: "a floating-point value: migseal allows none";
        /// A simple value other than false, true and null.
        SimpleValueNotAllowed = 105, "simple-value-not-allowed", EBADMSG,
            what: "a simple value other than false, true or null appears",
            advice: RECREATE_CANONICAL,
            summary: "a simple value other than false, true or null";
        /// A tag the specification does not allow at this place.
        TagNotAllowed = 106, "tag-not-allowed", EBADMSG,
            what: "a CBOR tag appears where the format allows none",
            advice: RECREATE_CANONICAL,
            summary: "a CBOR tag where the format allows none";
        /// A text string that is not valid UTF-8.
        InvalidUtf8 = 107, "invalid-utf8", EBADMSG,
            what: "a text string is not valid UTF-8",
            advice: NOT_CBOR;
        /// Map keys not in bytewise order of their encodings.
        MapKeysUnsorted = 108, "map-keys-unsorted", EBADMSG,
            what: "map keys are not in bytewise order of their encodings",
            advice: RECREATE_CANONICAL,
            summary: "map keys are not in bytewise order: not canonical CBOR";
        /// The same map key twice.
        DuplicateMapKey = 109, "duplicate-map-key", EBADMSG,
            what: "a map key appears twice",
            advice: RECREATE_CANONICAL;
        /// Arrays, maps and tags nested deeper than the fixed bound.
        NestingTooDeep = 110, "nesting-too-deep", E2BIG,
            what: "items are nested deeper than the fixed bound",
            advice: LIMIT;
        /// A declared length or count above the limit for this place.
        LengthOverLimit = 111, "length-over-limit", E2BIG,
            what: "a declared length or count is above the limit",
            advice: LIMIT,
            summary: "a declared length or count is above the limit: refused before reading it";
        /// Bytes after the last data item.
        TrailingBytes = 112, "trailing-bytes", EBADMSG,
            what: "bytes follow the last data item",
            advice: "an image ends with its last record; remove what was appended or check that two files were not concatenated",
            summary: "bytes follow the last record or item";
        /// A data item of another type than this place requires.
        UnexpectedType = 113, "unexpected-type", EBADMSG,
            what: "a data item has another type than required here",
            advice: SCHEMA,
            summary: "a data item has another type than required here: not a migseal image";
        /// An integer outside the range this field allows.
        IntegerOutOfRange = 114, "integer-out-of-range", EBADMSG,
            what: "an integer is outside the range of this field",
            advice: SCHEMA,
            summary: "an integer is outside the range of its field";
        /// A "break" byte (0xff) outside an indefinite-length item.
        StrayBreak = 115, "stray-break", EBADMSG,
            what: "a break byte (0xff) appears outside an indefinite-length item",
            advice: NOT_CBOR,
            summary: "a break byte (0xff) outside an indefinite-length item";
        /// A caller's output buffer is too small for the encoding.
        BufferTooSmall = 116, "buffer-too-small", ENOSPC,
            what: "the output buffer is too small",
            advice: "pass a larger output buffer",
            summary: "an output buffer is too small for the encoding";
        /// An encoder call that would not produce one canonical item.
        EncoderMisuse = 117, "encoder-misuse", EINVAL,
            what: "the encoder was asked for something that is not one canonical item",
            advice: "fix the calling code: every container must get exactly its declared number of items";

        /// A record whose type is not header (0), chunk (1) or seal (2).
        UnknownRecordType = 200, "unknown-record-type", EBADMSG,
            what: "a record has an unknown type",
            advice: SCHEMA,
            summary: "a record type other than header, chunk or seal";
        /// A record array with the wrong number of elements.
        RecordShape = 201, "record-shape", EBADMSG,
            what: "a record has the wrong number of elements",
            advice: SCHEMA;
        /// A required map key is absent.
        MissingField = 202, "missing-field", EBADMSG,
            what: "a required field is missing",
            advice: SCHEMA;
        /// A map key this format version does not define.
        UnknownField = 203, "unknown-field", EBADMSG,
            what: "a field this format version does not define appears",
            advice: SCHEMA,
            summary: "a field this format version does not define";
        /// A format version other than 1.
        UnsupportedFormatVersion = 204, "unsupported-format-version", EINVAL,
            what: "the format version is not supported",
            advice: "this image or descriptor needs a newer migseal; upgrade the destination or re-seal with format version 1";
        /// An identifier outside the alphabet or length the spec allows.
        InvalidIdentifier = 205, "invalid-identifier", EBADMSG,
            what: "an identifier is empty, too long or has a byte outside [A-Za-z0-9._-]",
            advice: SCHEMA,
            summary: "an identifier is empty, longer than 64 bytes or has a byte outside [A-Za-z0-9._-]";
        /// A byte string of the wrong length (key id, nonce, signature, ...).
        InvalidFieldLength = 206, "invalid-field-length", EBADMSG,
            what: "a byte string has the wrong length for its field",
            advice: SCHEMA,
            summary: "a byte string has the wrong length for its field (key id, nonce, signature, config)";
        /// A list that must be strictly increasing is not (unsorted or repeated).
        ListNotSorted = 207, "list-not-sorted", EBADMSG,
            what: "a list is not strictly increasing (unsorted or repeated entries)",
            advice: SCHEMA;
        /// A version range whose minimum is above its maximum.
        InvalidVersionRange = 208, "invalid-version-range", EBADMSG,
            what: "a version range has its minimum above its maximum",
            advice: SCHEMA;
        /// A subject outside the alphabet or length the spec allows.
        InvalidSubject = 209, "invalid-subject", EBADMSG,
            what: "the subject is empty, too long or has a byte outside printable ASCII",
            advice: SCHEMA,
            summary: "the subject is empty, longer than 128 bytes or not printable ASCII";
        /// A chunk record that carries no bytes.
        EmptyChunk = 210, "empty-chunk", EBADMSG,
            what: "a chunk record carries no bytes",
            advice: SCHEMA;
        /// The COSE protected header is not the one the spec defines.
        BadProtectedHeader = 211, "bad-protected-header", EBADMSG,
            what: "the COSE protected header is not the one migseal v1 defines",
            advice: SEAL_FORM;
        /// A COSE algorithm other than Ed25519 (-19).
        UnsupportedAlgorithm = 212, "unsupported-algorithm", EINVAL,
            what: "the COSE algorithm is not Ed25519 (-19)",
            advice: SEAL_FORM;
        /// A non-empty COSE unprotected header.
        BadUnprotectedHeader = 213, "bad-unprotected-header", EBADMSG,
            what: "the COSE unprotected header is not empty",
            advice: SEAL_FORM;
        /// A COSE_Sign1 whose payload is not detached (not null).
        PayloadNotDetached = 214, "payload-not-detached", EBADMSG,
            what: "the COSE_Sign1 payload is not detached (null)",
            advice: SEAL_FORM,
            summary: "the COSE_Sign1 payload is not detached";
        /// A descriptor role other than source (0) or destination (1), or a
        /// descriptor that contradicts its role.
        InvalidDescriptor = 215, "invalid-descriptor", EBADMSG,
            what: "the descriptor's role is unknown, or its codec or version list is empty",
            advice: "give role 0 (source) or 1 (destination), at least one codec and one version range; fix the descriptor file",
            summary: "the descriptor is inconsistent with its role, or its role is unknown";
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
