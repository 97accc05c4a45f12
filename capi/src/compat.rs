//! The compatibility check on two canonical CBOR descriptors, with the
//! reasons written into caller memory.

use core::ffi::c_char;
use core::fmt::Write;

use migseal_format::envelope::Descriptor;
use migseal_verifier::compat;

use crate::status::migseal_status;
use crate::status::migseal_status as S;
use crate::util::{CBuf, as_bytes_mut, bytes, check_ptr};

/// Size of `migseal_reason.message`.
pub const MIGSEAL_REASON_MESSAGE_LEN: usize = 512;

/// One reason a source cannot go to a destination.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct migseal_reason {
    /// Its code (500–507).
    pub code: i32,
    /// What differs and what to do, NUL-terminated (cut with "..." if
    /// longer than the array).
    pub message: [c_char; MIGSEAL_REASON_MESSAGE_LEN],
}

/// The outcome of `migseal_compat_check` beyond the reasons.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct migseal_compat_info {
    /// Reasons found (may exceed the capacity given; 0 when compatible).
    pub reason_count: usize,
    /// 1 when a state version both sides support exists.
    pub has_version: i32,
    /// That (highest) version, major.
    pub version_major: u32,
    /// That version, minor.
    pub version_minor: u32,
    /// Which descriptor failed to decode: 0 none, 1 source, 2 destination.
    pub bad_descriptor: i32,
    /// The decode error's byte offset in that descriptor.
    pub error_offset: u64,
}

/// Decides whether the state of the device described by `source` (a
/// source descriptor, canonical CBOR) can be taken by the device described
/// by `destination` (a destination descriptor). The same function the
/// verifier runs against an image header at restore time.
///
/// Writes up to `cap` reasons to `reasons` (may be NULL when `cap` is 0)
/// and the details to `*info` (may be NULL). Returns `MIGSEAL_OK` when
/// compatible, the first reason's code (500–507) when not, or a decode
/// error (100–299) for a malformed descriptor (`info->bad_descriptor`
/// says which). Allocates nothing.
///
/// # Safety
///
/// `source`/`destination` readable for their lengths; `reasons` writable
/// for `cap` entries; `info` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn migseal_compat_check(
    source: *const u8,
    source_len: usize,
    destination: *const u8,
    destination_len: usize,
    reasons: *mut migseal_reason,
    cap: usize,
    info: *mut migseal_compat_info,
) -> migseal_status {
    if !info.is_null() {
        if !info.is_aligned() {
            return S::MIGSEAL_ABI_MISALIGNED;
        }
        // SAFETY: not NULL, aligned, writable by contract.
        unsafe { info.write(migseal_compat_info::default()) };
    }
    if cap > 0
        && let Err(s) = check_ptr(reasons)
    {
        return s;
    }
    let mut out = migseal_compat_info::default();
    // SAFETY: readable for their lengths by contract, used during this call.
    let (src, dst) = match unsafe { (bytes(source, source_len), bytes(destination, destination_len)) } {
        (Ok(s), Ok(d)) => (s, d),
        (Err(s), _) | (_, Err(s)) => return s,
    };
    let decoded = Descriptor::decode(src)
        .map_err(|e| (1, e))
        .and_then(|s| Descriptor::decode(dst).map(|d| (s, d)).map_err(|e| (2, e)));
    let (s, d) = match decoded {
        Ok(pair) => pair,
        Err((which, e)) => {
            out.bad_descriptor = which;
            out.error_offset = e.offset();
            if !info.is_null() {
                // SAFETY: as above.
                unsafe { info.write(out) };
            }
            return S::of_format(&e);
        }
    };
    let c = compat::check(&s, &d);
    out.reason_count = c.total();
    if let Some(v) = c.chosen_version() {
        out.has_version = 1;
        out.version_major = v.major;
        out.version_minor = v.minor;
    }
    for (i, r) in c.reasons().take(cap).enumerate() {
        let mut entry =
            migseal_reason { code: i32::from(r.code().code()), message: [0; MIGSEAL_REASON_MESSAGE_LEN] };
        let mut w = CBuf::new(as_bytes_mut(&mut entry.message));
        let _ = write!(w, "{r}");
        let _ = w.finish();
        // SAFETY: `reasons` is not NULL and aligned (checked because
        // cap > 0) and writable for `cap` entries by contract; `i < cap`.
        unsafe { reasons.add(i).write(entry) };
    }
    if !info.is_null() {
        // SAFETY: as above.
        unsafe { info.write(out) };
    }
    c.first().map_or(S::MIGSEAL_OK, |r| S::from_code(r.code().code()))
}
