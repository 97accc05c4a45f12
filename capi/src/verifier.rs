//! The streaming verifier in caller memory.
//!
//! The block owns everything it needs: the verifier's state (the header
//! record, the record being read, the digest chain, and once the header is
//! accepted, the signing key's prepared form copied out of the policy). The
//! policy and the destination device are passed to every
//! `migseal_verifier_advance` call and borrowed for that call only, so
//! nothing points into the block or out of it between calls: it may live
//! anywhere (a driver's device struct), and be moved or copied while no
//! call runs.

use core::ffi::c_char;
use core::fmt::Write;

use ::migseal_verifier::{Dalek, Verifier};
use migseal_format::{MAX_IDENT_LEN, MAX_SUBJECT_LEN};

use crate::device::{device_ref, migseal_device};
use crate::policy::{migseal_policy, policy_ref};
use crate::status::migseal_status;
use crate::status::migseal_status as S;
use crate::util::{CBuf, as_bytes_mut, bytes, check_ptr, put_str};

const VERIFIER_MAGIC: u64 = 0x6d69_6773_7665_7232; // "migsver2"

/// A verifier, opaque to C. Allocate `MIGSEAL_VERIFIER_SIZE` bytes aligned
/// to `MIGSEAL_VERIFIER_ALIGN` (or `migseal_verifier_size()` /
/// `migseal_verifier_align()`).
#[allow(non_camel_case_types)]
pub struct migseal_verifier {
    magic: u64,
    verifier: Verifier<Dalek>,
}

/// A verifier at the start of an image, as a constant: initialising caller
/// memory copies it instead of building it on the (kernel) stack.
const FRESH: migseal_verifier = migseal_verifier { magic: VERIFIER_MAGIC, verifier: Verifier::new(Dalek) };

/// What one `migseal_verifier_advance` call did.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct migseal_step {
    /// Bytes of the input consumed. Call again with the rest
    /// (`buf + consumed`) until all of it is consumed.
    pub consumed: usize,
    /// Index in the input of a run of payload bytes that ends at
    /// `consumed` (valid when `payload_len > 0`). These bytes are NOT yet
    /// verified: stage them; use them only after `migseal_verifier_finish`
    /// returned `MIGSEAL_OK`.
    pub payload_start: usize,
    /// Length of that run (0: none in this step).
    pub payload_len: usize,
    /// Offset of the run within the whole payload (all chunks in order).
    pub payload_offset: u64,
    /// The chunk the run belongs to.
    pub chunk_seq: u64,
}

/// Why the verifier stopped.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct migseal_error {
    /// The status code (100–699), or 0 when the verifier has not failed.
    pub code: i32,
    /// The errno a kernel caller would return (positive; 0 with code 0).
    pub errno_value: i32,
    /// Byte offset in the stream where the problem is.
    pub offset: u64,
}

/// The verified header and image facts.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct migseal_verdict {
    /// The image digest the seal signs: a stable name for this image.
    pub image_digest: [u8; 32],
    /// The signing key's id.
    pub key_id: [u8; 32],
    /// Number of chunks.
    pub chunk_count: u64,
    /// Payload bytes in all chunks.
    pub payload_len: u64,
    /// Security version number.
    pub security_version: u64,
    /// State version, major.
    pub state_version_major: u32,
    /// State version, minor.
    pub state_version_minor: u32,
    /// Vendor, NUL-terminated.
    pub vendor: [c_char; 65],
    /// Device API, NUL-terminated.
    pub device_api: [c_char; 65],
    /// Device type, NUL-terminated.
    pub device_type: [c_char; 65],
    /// Payload codec, NUL-terminated.
    pub codec: [c_char; 65],
    /// Subject, NUL-terminated ("" when the image has none).
    pub subject: [c_char; 129],
    /// Session nonce (the first `session_len` bytes).
    pub session: [u8; 64],
    /// Length of the session nonce (0: none).
    pub session_len: usize,
}

const _: () = assert!(MAX_IDENT_LEN < 65 && MAX_SUBJECT_LEN < 129);

/// Bytes of caller memory a verifier needs.
#[unsafe(no_mangle)]
pub extern "C" fn migseal_verifier_size() -> usize {
    core::mem::size_of::<migseal_verifier>()
}

/// Alignment the verifier memory needs.
#[unsafe(no_mangle)]
pub extern "C" fn migseal_verifier_align() -> usize {
    core::mem::align_of::<migseal_verifier>()
}

/// Checks a verifier pointer and returns the verifier: not NULL, aligned,
/// initialised, not dropped.
///
/// # Safety
///
/// `v` must be NULL or point to `migseal_verifier_size()` bytes that no
/// other call uses meanwhile.
unsafe fn verifier_mut<'a>(v: *mut migseal_verifier) -> Result<&'a mut Verifier<Dalek>, S> {
    check_ptr(v)?;
    // SAFETY: not NULL and aligned (checked), readable by contract; the
    // magic is read through a raw pointer before any reference to a
    // possibly uninitialised block exists.
    if unsafe { core::ptr::addr_of!((*v).magic).read() } != VERIFIER_MAGIC {
        return Err(S::MIGSEAL_ABI_BAD_STATE);
    }
    // SAFETY: initialised (magic checked); exclusive for this call by
    // contract (one call on a verifier at a time).
    Ok(unsafe { &mut (*v).verifier })
}

/// Makes a verifier at the start of an image in `mem`
/// (`migseal_verifier_size()` bytes aligned to `migseal_verifier_align()`)
/// and writes the handle (== `mem`) to `*out`. Nothing is borrowed: pass
/// the policy and the device to each `migseal_verifier_advance`. Calling
/// it again on the same memory starts a new verification.
///
/// # Safety
///
/// `mem` NULL or writable for `size` bytes; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn migseal_verifier_init(
    mem: *mut core::ffi::c_void,
    size: usize,
    out: *mut *mut migseal_verifier,
) -> migseal_status {
    let v = mem.cast::<migseal_verifier>();
    if let Err(s) = check_ptr(v).and(check_ptr(out)) {
        return s;
    }
    if size < migseal_verifier_size() {
        return S::MIGSEAL_ABI_BUFFER_TOO_SMALL;
    }
    // SAFETY: `v` is not NULL, aligned (checked) and writable for the whole
    // struct (size checked); `write` neither reads nor drops the old bytes.
    // `out` is not NULL, aligned (checked) and writable by contract.
    unsafe {
        v.write(FRESH);
        out.write(v);
    }
    S::MIGSEAL_OK
}

/// Consumes a prefix of `buf[0..len]`: all of it, or up to the end of the
/// first run of payload bytes in it, which `*step` reports. Call again with
/// `buf + step->consumed` until all is consumed. Any fragment size works.
/// `policy` and `device` decide whether the header is accepted; pass the
/// same ones to every call of one verification.
///
/// On a refusal returns its code (100–699; sticky: every later call returns
/// it) with `step->consumed == 0`; `migseal_verifier_error` gives the offset.
///
/// # Safety
///
/// `v` from `migseal_verifier_init`; `policy` from `migseal_policy_init`;
/// `device` from `migseal_device_init`; `buf` `len` readable bytes (NULL
/// allowed with `len` 0); `step` writable. None is used by another thread
/// during the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn migseal_verifier_advance(
    v: *mut migseal_verifier,
    policy: *const migseal_policy,
    device: *const migseal_device,
    buf: *const u8,
    len: usize,
    step: *mut migseal_step,
) -> migseal_status {
    if let Err(s) = check_ptr(step) {
        return s;
    }
    // SAFETY: `step` is not NULL, aligned (checked), writable by contract.
    unsafe { step.write(migseal_step::default()) };
    // SAFETY: forwarded contract.
    let r = unsafe { advance(v, policy, device, buf, len) };
    match r {
        Ok(out) => {
            // SAFETY: as above.
            unsafe { step.write(out) };
            S::MIGSEAL_OK
        }
        Err(s) => s,
    }
}

/// # Safety
///
/// As [`migseal_verifier_advance`].
unsafe fn advance(
    v: *mut migseal_verifier,
    policy: *const migseal_policy,
    device: *const migseal_device,
    buf: *const u8,
    len: usize,
) -> Result<migseal_step, S> {
    // SAFETY: forwarded contract.
    let verifier = unsafe { verifier_mut(v) }?;
    // SAFETY: forwarded contract.
    let policy = unsafe { policy_ref(policy) }?;
    // SAFETY: forwarded contract.
    let device = unsafe { device_ref(device) }?;
    // SAFETY: `len` readable bytes by contract, used only during this call.
    let input = unsafe { bytes(buf, len) }?;
    let descriptor = device.descriptor()?;
    let a = verifier.advance(&policy.policy, &descriptor, input).map_err(|e| S::of(&e))?;
    let (payload_len, payload_offset, chunk_seq) =
        a.payload.map_or((0, 0, 0), |p| (p.bytes.len(), p.payload_offset, p.seq));
    Ok(migseal_step {
        consumed: a.consumed,
        payload_start: a.consumed.saturating_sub(payload_len),
        payload_len,
        payload_offset,
        chunk_seq,
    })
}

/// Checks the seal: the only success. On `MIGSEAL_OK` fills `*verdict`
/// (may be NULL) with the verified header; only now may the staged payload
/// reach a state parser. Calling it again after success gives the same.
///
/// # Safety
///
/// `v` from `migseal_verifier_init`; `verdict` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn migseal_verifier_finish(
    v: *mut migseal_verifier,
    verdict: *mut migseal_verdict,
) -> migseal_status {
    // SAFETY: forwarded contract.
    let verifier = match unsafe { verifier_mut(v) } {
        Ok(v) => v,
        Err(s) => return s,
    };
    if !verdict.is_null() && !verdict.is_aligned() {
        return S::MIGSEAL_ABI_MISALIGNED;
    }
    let result = match verifier.finish() {
        Ok(d) => d,
        Err(e) => return S::of(&e),
    };
    if verdict.is_null() {
        return S::MIGSEAL_OK;
    }
    let h = result.header();
    let mut out = migseal_verdict {
        image_digest: *result.image_digest(),
        key_id: h.key_id,
        chunk_count: result.chunk_count(),
        payload_len: result.payload_len(),
        security_version: h.security_version,
        state_version_major: h.state_version.major,
        state_version_minor: h.state_version.minor,
        vendor: [0; 65],
        device_api: [0; 65],
        device_type: [0; 65],
        codec: [0; 65],
        subject: [0; 129],
        session: [0; 64],
        session_len: 0,
    };
    put_str(&mut out.vendor, h.identity.vendor.as_str());
    put_str(&mut out.device_api, h.identity.device_api.as_str());
    put_str(&mut out.device_type, h.identity.device_type.as_str());
    put_str(&mut out.codec, h.codec.as_str());
    if let Some(s) = h.subject {
        put_str(&mut out.subject, s.as_str());
    }
    if let Some(s) = h.session {
        let n = s.as_bytes().len().min(out.session.len());
        if let (Some(dst), Some(src)) = (out.session.get_mut(..n), s.as_bytes().get(..n)) {
            dst.copy_from_slice(src);
        }
        out.session_len = n;
    }
    // SAFETY: not NULL (checked), aligned (checked), writable by contract.
    unsafe { verdict.write(out) };
    S::MIGSEAL_OK
}

/// Fills `*err` with why the verifier stopped (code, errno, stream offset)
/// and returns that code; returns `MIGSEAL_OK` with a zeroed `*err` when it
/// has not failed.
///
/// # Safety
///
/// `v` from `migseal_verifier_init`; `err` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn migseal_verifier_error(
    v: *mut migseal_verifier,
    err: *mut migseal_error,
) -> migseal_status {
    if let Err(s) = check_ptr(err) {
        return s;
    }
    // SAFETY: not NULL, aligned, writable by contract.
    unsafe { err.write(migseal_error::default()) };
    // SAFETY: forwarded contract.
    let failure = match unsafe { verifier_mut(v) } {
        Ok(v) => v.failure(),
        Err(s) => return s,
    };
    let Some(e) = failure else { return S::MIGSEAL_OK };
    let status = S::of(&e);
    let out = migseal_error { code: status.code(), errno_value: e.errno(), offset: e.offset() };
    // SAFETY: as above.
    unsafe { err.write(out) };
    status
}

/// Writes the full message of the verifier's failure (what was expected,
/// what was found, what to do) into `buf[0..cap]`, NUL-terminated, and the
/// length it needs (without the NUL) to `*needed` (may be NULL). With
/// `buf` NULL and `cap` 0 it only reports the length (and returns
/// `MIGSEAL_ABI_BUFFER_TOO_SMALL` when there is a message). Returns
/// `MIGSEAL_ABI_BUFFER_TOO_SMALL` when it was cut (ending in "..."); an
/// empty string and `MIGSEAL_OK` when the verifier has not failed.
///
/// # Safety
///
/// `v` from `migseal_verifier_init`; `buf` `cap` writable bytes (or NULL
/// with `cap` 0); `needed` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn migseal_verifier_message(
    v: *mut migseal_verifier,
    buf: *mut c_char,
    cap: usize,
    needed: *mut usize,
) -> migseal_status {
    // SAFETY: forwarded contract.
    let failure = match unsafe { verifier_mut(v) } {
        Ok(v) => v.failure(),
        Err(s) => return s,
    };
    if buf.is_null() && cap != 0 {
        return S::MIGSEAL_ABI_NULL_POINTER;
    }
    if isize::try_from(cap).is_err() {
        return S::MIGSEAL_ABI_INVALID_ARGUMENT;
    }
    let dst: &mut [c_char] = if buf.is_null() {
        &mut []
    } else {
        // SAFETY: `cap` writable bytes at `buf` by contract (not NULL,
        // `c_char` needs no alignment, `cap` fits isize: checked).
        unsafe { core::slice::from_raw_parts_mut(buf, cap) }
    };
    let mut w = CBuf::new(as_bytes_mut(dst));
    if let Some(e) = failure {
        let _ = write!(w, "{e}");
    }
    let need = w.needed;
    let fits = w.finish();
    if !needed.is_null() && needed.is_aligned() {
        // SAFETY: not NULL, aligned, writable by contract.
        unsafe { needed.write(need) };
    }
    if fits { S::MIGSEAL_OK } else { S::MIGSEAL_ABI_BUFFER_TOO_SMALL }
}

/// Ends the verifier: wipes the block (header, digests, the key's prepared
/// form), so a later call on it returns `MIGSEAL_ABI_BAD_STATE`. The memory
/// may be freed afterwards.
///
/// # Safety
///
/// `v` from `migseal_verifier_init`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn migseal_verifier_drop(v: *mut migseal_verifier) -> migseal_status {
    // SAFETY: forwarded contract.
    if let Err(s) = unsafe { verifier_mut(v) } {
        return s;
    }
    // SAFETY: checked: initialised, aligned, exclusive for this call. The
    // verifier owns no resources; it is dropped in place anyway (so that
    // stays an implementation detail) and overwritten with zeros. No
    // reference into the block outlives this call.
    unsafe {
        core::ptr::drop_in_place(core::ptr::addr_of_mut!((*v).verifier));
        core::ptr::write_bytes(v.cast::<u8>(), 0, core::mem::size_of::<migseal_verifier>());
    }
    S::MIGSEAL_OK
}
