//! Status codes: 0, every stable code of the specification (100–699), and
//! 800–899 for misuse of the C ABI itself.
//!
//! The enum [`migseal_status`] and its name/message table are generated
//! (`status/generated.rs`) from the error tables of the layers: format
//! codes from `migseal_format::ErrorCode`, verifier codes from
//! `migseal_verifier::ErrorKind::CODES`, compatibility codes from
//! `migseal_verifier::compat::CompatCode`, and this ABI's own codes from
//! [`CAPI_CODES`]. cbindgen needs the enum written out in the source it
//! parses, so it is a checked-in file like the header; `tests/header.rs`
//! fails when either is stale and rewrites both with `MIGSEAL_BLESS=1`.

use core::ffi::{CStr, c_char};

use migseal_format::errno::{EINVAL, ENOSPC};
use migseal_verifier::CodeInfo;

// Written by tests/header.rs, laid out by it too.
#[rustfmt::skip]
mod generated;

use generated::TABLE;
pub use generated::migseal_status;

/// The C ABI's own codes: success, and 800–899 for a caller that broke a
/// rule of this ABI (spec §9.6). One row per code; the enum and the
/// header follow from it.
pub const CAPI_CODES: &[CodeInfo] = &[
    CodeInfo { code: 0, name: "ok", errno: 0, summary: "success" },
    CodeInfo {
        code: 800,
        name: "abi-null-pointer",
        errno: EINVAL,
        summary: "C ABI misuse: a required pointer argument is NULL",
    },
    CodeInfo {
        code: 801,
        name: "abi-misaligned",
        errno: EINVAL,
        summary: "C ABI misuse: memory is not aligned as *_align() requires",
    },
    CodeInfo {
        code: 802,
        name: "abi-buffer-too-small",
        errno: ENOSPC,
        summary: "C ABI misuse: memory or an output buffer is smaller than required",
    },
    CodeInfo {
        code: 803,
        name: "abi-bad-state",
        errno: EINVAL,
        summary: "C ABI misuse: the object is not initialised, was dropped, or is another kind of object",
    },
    CodeInfo {
        code: 804,
        name: "abi-invalid-argument",
        errno: EINVAL,
        summary: "C ABI misuse: an argument is out of range",
    },
    CodeInfo {
        code: 805,
        name: "abi-invalid-policy-file",
        errno: EINVAL,
        summary: "the policy file text is not valid JSON of its schema, or a field's value is wrong",
    },
    CodeInfo {
        code: 899,
        name: "abi-internal",
        errno: EINVAL,
        summary: "internal error: a code this ABI does not know (a bug in migseal)",
    },
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

    /// The status for a library code (100–699);
    /// [`MIGSEAL_ABI_INTERNAL`](migseal_status::MIGSEAL_ABI_INTERNAL) for a
    /// code this table does not have.
    #[must_use]
    pub fn from_code(code: u16) -> Self {
        let code = i32::from(code);
        TABLE
            .iter()
            .find(|(s, ..)| s.code() == code)
            .map_or(migseal_status::MIGSEAL_ABI_INTERNAL, |(s, ..)| *s)
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

/// Every status with its stable name and message, in numeric order (for
/// tests).
pub fn all() -> impl Iterator<Item = (migseal_status, &'static CStr, &'static CStr)> {
    TABLE.iter().map(|(s, n, m, _)| (*s, *n, *m))
}

fn lookup(code: i32) -> Option<(&'static CStr, &'static CStr, i32)> {
    TABLE.iter().find(|(s, ..)| s.code() == code).map(|(_, n, m, e)| (*n, *m, *e))
}

/// A static, NUL-terminated message for `code` (any number: unknown codes
/// get a message saying so). Never NULL; never free it.
#[unsafe(no_mangle)]
pub extern "C" fn migseal_status_message(code: i32) -> *const c_char {
    lookup(code).map_or(c"unknown migseal status code".as_ptr(), |(_, m, _)| m.as_ptr())
}

/// The stable short name of `code` ("vendor-mismatch"), static and
/// NUL-terminated; "unknown" for an unknown code. Never NULL.
#[unsafe(no_mangle)]
pub extern "C" fn migseal_status_name(code: i32) -> *const c_char {
    lookup(code).map_or(c"unknown".as_ptr(), |(n, ..)| n.as_ptr())
}

/// The errno a kernel driver returns for `code` (positive; the kernel
/// returns it negated), as specification §9 lists it: 0 for
/// `MIGSEAL_OK`, `EINVAL` for an unknown code. A driver needs no table of
/// its own: `return -migseal_status_errno(st);`.
#[unsafe(no_mangle)]
pub extern "C" fn migseal_status_errno(code: i32) -> i32 {
    lookup(code).map_or(EINVAL, |(.., e)| e)
}
