//! Status codes: 0, every stable code of the specification (100–699), and
//! 800–899 for misuse of the C ABI itself.

use core::ffi::{CStr, c_char};

/// The result of every fallible call. `MIGSEAL_OK` (0) is success; 100–699
/// are the specification's stable codes (the image, descriptor, policy or
/// key was refused); 800–899 mean the C caller broke a rule of this ABI.
#[allow(non_camel_case_types, missing_docs, clippy::upper_case_acronyms)]
#[repr(i32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum migseal_status {
    MIGSEAL_OK = 0,

    MIGSEAL_TRUNCATED = 100,
    MIGSEAL_NON_SHORTEST_HEAD = 101,
    MIGSEAL_INDEFINITE_LENGTH = 102,
    MIGSEAL_RESERVED_ADDITIONAL_INFO = 103,
    MIGSEAL_FLOAT_NOT_ALLOWED = 104,
    MIGSEAL_SIMPLE_VALUE_NOT_ALLOWED = 105,
    MIGSEAL_TAG_NOT_ALLOWED = 106,
    MIGSEAL_INVALID_UTF8 = 107,
    MIGSEAL_MAP_KEYS_UNSORTED = 108,
    MIGSEAL_DUPLICATE_MAP_KEY = 109,
    MIGSEAL_NESTING_TOO_DEEP = 110,
    MIGSEAL_LENGTH_OVER_LIMIT = 111,
    MIGSEAL_TRAILING_BYTES = 112,
    MIGSEAL_UNEXPECTED_TYPE = 113,
    MIGSEAL_INTEGER_OUT_OF_RANGE = 114,
    MIGSEAL_STRAY_BREAK = 115,
    MIGSEAL_BUFFER_TOO_SMALL = 116,
    MIGSEAL_ENCODER_MISUSE = 117,

    MIGSEAL_UNKNOWN_RECORD_TYPE = 200,
    MIGSEAL_RECORD_SHAPE = 201,
    MIGSEAL_MISSING_FIELD = 202,
    MIGSEAL_UNKNOWN_FIELD = 203,
    MIGSEAL_UNSUPPORTED_FORMAT_VERSION = 204,
    MIGSEAL_INVALID_IDENTIFIER = 205,
    MIGSEAL_INVALID_FIELD_LENGTH = 206,
    MIGSEAL_LIST_NOT_SORTED = 207,
    MIGSEAL_INVALID_VERSION_RANGE = 208,
    MIGSEAL_INVALID_SUBJECT = 209,
    MIGSEAL_EMPTY_CHUNK = 210,
    MIGSEAL_BAD_PROTECTED_HEADER = 211,
    MIGSEAL_UNSUPPORTED_ALGORITHM = 212,
    MIGSEAL_BAD_UNPROTECTED_HEADER = 213,
    MIGSEAL_PAYLOAD_NOT_DETACHED = 214,
    MIGSEAL_INVALID_DESCRIPTOR = 215,

    MIGSEAL_RECORD_ORDER = 300,
    MIGSEAL_SEQUENCE_GAP = 301,
    MIGSEAL_HEADER_TOO_LARGE = 302,
    MIGSEAL_CHUNK_TOO_LARGE = 303,
    MIGSEAL_TOO_MANY_CHUNKS = 304,
    MIGSEAL_TOTAL_TOO_LARGE = 305,
    MIGSEAL_INCOMPLETE = 306,

    MIGSEAL_UNTRUSTED_KEY = 400,
    MIGSEAL_KEY_VENDOR_SCOPE = 401,
    MIGSEAL_KEY_TYPE_SCOPE = 402,
    MIGSEAL_REVOKED_KEY = 403,
    MIGSEAL_SECURITY_VERSION_TOO_LOW = 404,
    MIGSEAL_SESSION_MISSING = 405,
    MIGSEAL_SESSION_MISMATCH = 406,
    MIGSEAL_SUBJECT_MISSING = 407,
    MIGSEAL_SUBJECT_MISMATCH = 408,
    MIGSEAL_WEAK_KEY = 409,
    MIGSEAL_TRUST_STORE_FULL = 410,
    MIGSEAL_KEY_ID_MISMATCH = 411,

    MIGSEAL_VENDOR_MISMATCH = 500,
    MIGSEAL_DEVICE_API_MISMATCH = 501,
    MIGSEAL_DEVICE_TYPE_MISMATCH = 502,
    MIGSEAL_VERSION_UNSUPPORTED = 503,
    MIGSEAL_FEATURE_MISSING = 504,
    MIGSEAL_CONFIG_MISMATCH = 505,
    MIGSEAL_CODEC_UNSUPPORTED = 506,
    MIGSEAL_ROLE_MISMATCH = 507,

    MIGSEAL_BAD_SIGNATURE = 600,
    MIGSEAL_NON_CANONICAL_SIGNATURE = 601,
    MIGSEAL_INVALID_PUBLIC_KEY = 602,

    /// A pointer argument that must not be NULL was NULL.
    MIGSEAL_ABI_NULL_POINTER = 800,
    /// Caller memory is not aligned as `*_align()` requires.
    MIGSEAL_ABI_MISALIGNED = 801,
    /// Caller memory or an output buffer is smaller than required.
    MIGSEAL_ABI_BUFFER_TOO_SMALL = 802,
    /// The object is not initialised, was dropped, or is another kind of
    /// object.
    MIGSEAL_ABI_BAD_STATE = 803,
    /// An argument is out of range (such as a zero limit).
    MIGSEAL_ABI_INVALID_ARGUMENT = 804,
    /// The library returned a code this ABI does not know (a bug).
    MIGSEAL_ABI_INTERNAL = 899,
}

use migseal_status as S;

/// Every status with its stable name and a short message.
const TABLE: &[(S, &CStr, &CStr)] = &[
    (S::MIGSEAL_OK, c"ok", c"success"),
    (S::MIGSEAL_TRUNCATED, c"truncated", c"the input ends inside a data item: the image was cut off"),
    (
        S::MIGSEAL_NON_SHORTEST_HEAD,
        c"non-shortest-head",
        c"an integer, length or tag is not in its shortest form: not canonical CBOR",
    ),
    (S::MIGSEAL_INDEFINITE_LENGTH, c"indefinite-length", c"an indefinite-length item: not canonical CBOR"),
    (
        S::MIGSEAL_RESERVED_ADDITIONAL_INFO,
        c"reserved-additional-info",
        c"a reserved CBOR head (additional information 28-30): not well-formed CBOR",
    ),
    (S::MIGSEAL_FLOAT_NOT_ALLOWED, c"float-not-allowed", c"a floating-point value: migseal allows none"),
    (
        S::MIGSEAL_SIMPLE_VALUE_NOT_ALLOWED,
        c"simple-value-not-allowed",
        c"a simple value other than false, true or null",
    ),
    (S::MIGSEAL_TAG_NOT_ALLOWED, c"tag-not-allowed", c"a CBOR tag where the format allows none"),
    (S::MIGSEAL_INVALID_UTF8, c"invalid-utf8", c"a text string is not valid UTF-8"),
    (
        S::MIGSEAL_MAP_KEYS_UNSORTED,
        c"map-keys-unsorted",
        c"map keys are not in bytewise order: not canonical CBOR",
    ),
    (S::MIGSEAL_DUPLICATE_MAP_KEY, c"duplicate-map-key", c"a map key appears twice"),
    (S::MIGSEAL_NESTING_TOO_DEEP, c"nesting-too-deep", c"items are nested deeper than the fixed bound"),
    (
        S::MIGSEAL_LENGTH_OVER_LIMIT,
        c"length-over-limit",
        c"a declared length or count is above the limit: refused before reading it",
    ),
    (S::MIGSEAL_TRAILING_BYTES, c"trailing-bytes", c"bytes follow the last record or item"),
    (
        S::MIGSEAL_UNEXPECTED_TYPE,
        c"unexpected-type",
        c"a data item has another type than required here: not a migseal image",
    ),
    (
        S::MIGSEAL_INTEGER_OUT_OF_RANGE,
        c"integer-out-of-range",
        c"an integer is outside the range of its field",
    ),
    (S::MIGSEAL_STRAY_BREAK, c"stray-break", c"a break byte (0xff) outside an indefinite-length item"),
    (S::MIGSEAL_BUFFER_TOO_SMALL, c"buffer-too-small", c"an output buffer is too small for the encoding"),
    (
        S::MIGSEAL_ENCODER_MISUSE,
        c"encoder-misuse",
        c"the encoder was asked for something that is not one canonical item",
    ),
    (
        S::MIGSEAL_UNKNOWN_RECORD_TYPE,
        c"unknown-record-type",
        c"a record type other than header, chunk or seal",
    ),
    (S::MIGSEAL_RECORD_SHAPE, c"record-shape", c"a record has the wrong number of elements"),
    (S::MIGSEAL_MISSING_FIELD, c"missing-field", c"a required field is missing"),
    (S::MIGSEAL_UNKNOWN_FIELD, c"unknown-field", c"a field this format version does not define"),
    (
        S::MIGSEAL_UNSUPPORTED_FORMAT_VERSION,
        c"unsupported-format-version",
        c"the format version is not supported",
    ),
    (
        S::MIGSEAL_INVALID_IDENTIFIER,
        c"invalid-identifier",
        c"an identifier is empty, longer than 64 bytes or has a byte outside [A-Za-z0-9._-]",
    ),
    (
        S::MIGSEAL_INVALID_FIELD_LENGTH,
        c"invalid-field-length",
        c"a byte string has the wrong length for its field (key id, nonce, signature, config)",
    ),
    (
        S::MIGSEAL_LIST_NOT_SORTED,
        c"list-not-sorted",
        c"a list is not strictly increasing (unsorted or repeated entries)",
    ),
    (
        S::MIGSEAL_INVALID_VERSION_RANGE,
        c"invalid-version-range",
        c"a version range has its minimum above its maximum",
    ),
    (
        S::MIGSEAL_INVALID_SUBJECT,
        c"invalid-subject",
        c"the subject is empty, longer than 128 bytes or not printable ASCII",
    ),
    (S::MIGSEAL_EMPTY_CHUNK, c"empty-chunk", c"a chunk record carries no bytes"),
    (
        S::MIGSEAL_BAD_PROTECTED_HEADER,
        c"bad-protected-header",
        c"the COSE protected header is not the one migseal v1 defines",
    ),
    (S::MIGSEAL_UNSUPPORTED_ALGORITHM, c"unsupported-algorithm", c"the COSE algorithm is not Ed25519 (-19)"),
    (
        S::MIGSEAL_BAD_UNPROTECTED_HEADER,
        c"bad-unprotected-header",
        c"the COSE unprotected header is not empty",
    ),
    (S::MIGSEAL_PAYLOAD_NOT_DETACHED, c"payload-not-detached", c"the COSE_Sign1 payload is not detached"),
    (
        S::MIGSEAL_INVALID_DESCRIPTOR,
        c"invalid-descriptor",
        c"the descriptor is inconsistent with its role, or its role is unknown",
    ),
    (
        S::MIGSEAL_RECORD_ORDER,
        c"record-order",
        c"a record arrived where another was due: header, chunks in order, then the seal",
    ),
    (S::MIGSEAL_SEQUENCE_GAP, c"sequence-gap", c"chunks were reordered, duplicated or dropped"),
    (S::MIGSEAL_HEADER_TOO_LARGE, c"header-too-large", c"the header record is larger than the policy allows"),
    (S::MIGSEAL_CHUNK_TOO_LARGE, c"chunk-too-large", c"a chunk is larger than the policy allows"),
    (S::MIGSEAL_TOO_MANY_CHUNKS, c"too-many-chunks", c"the image has more chunks than the policy allows"),
    (S::MIGSEAL_TOTAL_TOO_LARGE, c"total-too-large", c"the payload is larger than the policy allows"),
    (S::MIGSEAL_INCOMPLETE, c"incomplete", c"the image ended before its seal: it was cut off"),
    (
        S::MIGSEAL_UNTRUSTED_KEY,
        c"untrusted-key",
        c"the image is sealed with a key that is not in the trust store",
    ),
    (S::MIGSEAL_KEY_VENDOR_SCOPE, c"key-vendor-scope", c"the key is trusted for another vendor only"),
    (S::MIGSEAL_KEY_TYPE_SCOPE, c"key-type-scope", c"the key is not trusted for this device type"),
    (S::MIGSEAL_REVOKED_KEY, c"revoked-key", c"the signing key is revoked"),
    (
        S::MIGSEAL_SECURITY_VERSION_TOO_LOW,
        c"security-version-too-low",
        c"the security version is below the policy's minimum (rollback)",
    ),
    (S::MIGSEAL_SESSION_MISSING, c"session-missing", c"the policy requires a session nonce the image lacks"),
    (
        S::MIGSEAL_SESSION_MISMATCH,
        c"session-mismatch",
        c"the image was sealed for another migration (replay)",
    ),
    (S::MIGSEAL_SUBJECT_MISSING, c"subject-missing", c"the policy requires a subject the image lacks"),
    (S::MIGSEAL_SUBJECT_MISMATCH, c"subject-mismatch", c"the image belongs to another VM"),
    (S::MIGSEAL_WEAK_KEY, c"weak-key", c"the public key is weak (small order) and cannot be trusted"),
    (S::MIGSEAL_TRUST_STORE_FULL, c"trust-store-full", c"the fixed-capacity trust store is full"),
    (S::MIGSEAL_KEY_ID_MISMATCH, c"key-id-mismatch", c"the seal names another key than the header"),
    (S::MIGSEAL_VENDOR_MISMATCH, c"vendor-mismatch", c"the state is for another vendor's device"),
    (S::MIGSEAL_DEVICE_API_MISMATCH, c"device-api-mismatch", c"the state is for another device API"),
    (S::MIGSEAL_DEVICE_TYPE_MISMATCH, c"device-type-mismatch", c"the state is for another device type"),
    (
        S::MIGSEAL_VERSION_UNSUPPORTED,
        c"version-unsupported",
        c"the state version is outside every version the device accepts",
    ),
    (S::MIGSEAL_FEATURE_MISSING, c"feature-missing", c"the state depends on a feature the device lacks"),
    (S::MIGSEAL_CONFIG_MISMATCH, c"config-mismatch", c"the shell-device configurations differ"),
    (S::MIGSEAL_CODEC_UNSUPPORTED, c"codec-unsupported", c"the device decodes none of the state's codecs"),
    (S::MIGSEAL_ROLE_MISMATCH, c"role-mismatch", c"the descriptors are not a source and a destination"),
    (
        S::MIGSEAL_BAD_SIGNATURE,
        c"bad-signature",
        c"the signature does not verify: the image was altered or the seal is from another image",
    ),
    (
        S::MIGSEAL_NON_CANONICAL_SIGNATURE,
        c"non-canonical-signature",
        c"the signature is not canonical (malleated)",
    ),
    (S::MIGSEAL_INVALID_PUBLIC_KEY, c"invalid-public-key", c"the public key is not a valid Ed25519 point"),
    (S::MIGSEAL_ABI_NULL_POINTER, c"abi-null-pointer", c"C ABI misuse: a required pointer argument is NULL"),
    (
        S::MIGSEAL_ABI_MISALIGNED,
        c"abi-misaligned",
        c"C ABI misuse: memory is not aligned as *_align() requires",
    ),
    (
        S::MIGSEAL_ABI_BUFFER_TOO_SMALL,
        c"abi-buffer-too-small",
        c"C ABI misuse: memory or an output buffer is smaller than required",
    ),
    (
        S::MIGSEAL_ABI_BAD_STATE,
        c"abi-bad-state",
        c"C ABI misuse: the object is not initialised, was dropped, or is another kind of object",
    ),
    (S::MIGSEAL_ABI_INVALID_ARGUMENT, c"abi-invalid-argument", c"C ABI misuse: an argument is out of range"),
    (
        S::MIGSEAL_ABI_INTERNAL,
        c"abi-internal",
        c"internal error: a code this ABI does not know (a bug in migseal)",
    ),
];

impl migseal_status {
    /// The number.
    #[must_use]
    pub const fn code(self) -> i32 {
        // A fieldless #[repr(i32)] enum: the cast is its discriminant, exact.
        #[allow(clippy::as_conversions)]
        {
            self as i32
        }
    }

    /// The status for a library code (100–699); [`S::MIGSEAL_ABI_INTERNAL`]
    /// for a code this table does not have.
    #[must_use]
    pub fn from_code(code: u16) -> Self {
        let code = i32::from(code);
        TABLE.iter().find(|(s, _, _)| s.code() == code).map_or(S::MIGSEAL_ABI_INTERNAL, |(s, _, _)| *s)
    }

    /// The status of a verifier error.
    #[must_use]
    pub fn of(e: &migseal_verifier::Error) -> Self {
        Self::from_code(e.code())
    }

    /// The status of a format error.
    #[must_use]
    pub fn of_format(e: &migseal_format::Error) -> Self {
        Self::from_code(e.code().code())
    }
}

/// Every status, for tests.
pub fn all() -> impl Iterator<Item = (migseal_status, &'static CStr, &'static CStr)> {
    TABLE.iter().copied()
}

fn lookup(code: i32) -> Option<(&'static CStr, &'static CStr)> {
    TABLE.iter().find(|(s, _, _)| s.code() == code).map(|(_, n, m)| (*n, *m))
}

/// A static, NUL-terminated message for `code` (any number: unknown codes
/// get a message saying so). Never NULL; never free it.
#[unsafe(no_mangle)]
pub extern "C" fn migseal_status_message(code: i32) -> *const c_char {
    lookup(code).map_or(c"unknown migseal status code".as_ptr(), |(_, m)| m.as_ptr())
}

/// The stable short name of `code` ("vendor-mismatch"), static and
/// NUL-terminated; "unknown" for an unknown code. Never NULL.
#[unsafe(no_mangle)]
pub extern "C" fn migseal_status_name(code: i32) -> *const c_char {
    lookup(code).map_or(c"unknown".as_ptr(), |(n, _)| n.as_ptr())
}

/// The errno a kernel driver returns for `code` (positive; the kernel
/// returns it negated), as specification §9 lists it: 0 for
/// `MIGSEAL_OK`, `EINVAL` for ABI misuse and unknown codes. A driver
/// needs no table of its own: `return -migseal_status_errno(st);`.
#[unsafe(no_mangle)]
pub extern "C" fn migseal_status_errno(code: i32) -> i32 {
    const EPERM: i32 = 1;
    const E2BIG: i32 = 7;
    const EINVAL: i32 = 22;
    const ENOSPC: i32 = 28;
    const EBADMSG: i32 = 74;
    const EOPNOTSUPP: i32 = 95;
    const EKEYREVOKED: i32 = 128;
    const EKEYREJECTED: i32 = 129;
    match code {
        0 => 0,
        110 | 111 | 302..=305 | 410 => E2BIG,
        116 | 802 => ENOSPC,
        117 | 204 | 212 | 409 | 602 => EINVAL,
        100..=399 => EBADMSG,
        403 => EKEYREVOKED,
        404..=408 => EPERM,
        400..=499 | 600 | 601 => EKEYREJECTED,
        500..=599 => EOPNOTSUPP,
        _ => EINVAL,
    }
}
