//! The streaming verifier in caller memory.
//!
//! # Lifetimes across the boundary
//!
//! The Rust [`Verifier<'p>`] borrows a [`Policy<'p>`] and a destination
//! [`Descriptor<'p>`]. Here those borrows are made of raw pointers the C
//! caller promises to keep valid:
//!
//! - the **policy object** (`migseal_policy`) must stay alive, at its
//!   address and unchanged until `migseal_verifier_drop`. The verifier
//!   registers itself in the policy's atomic `users` count at init and
//!   leaves it at drop; while the count is not zero every policy mutator
//!   returns `MIGSEAL_ABI_POLICY_IN_USE`, so the API itself cannot change
//!   a policy under a verifier. (Freeing or overwriting it by other means
//!   is the caller's bug, which no check can catch.)
//! - the **descriptor bytes** (canonical CBOR) must stay alive and
//!   unchanged until `migseal_verifier_drop`: the decoded descriptor points
//!   into them (no copy, no allocation).
//! - the **verifier memory** must not move: the verifier borrows the
//!   compiled policy and the descriptor stored in the same block. The
//!   block records its own address at init, and every call checks it, so a
//!   `memcpy`'d verifier is refused with `MIGSEAL_ABI_BAD_STATE` instead of
//!   reading through stale pointers.
//!
//! Inside the block, the `'static` lifetimes below stand for "until
//! `migseal_verifier_drop`": they are never handed out to callers.

use core::ffi::c_char;
use core::fmt::Write;
use core::mem::MaybeUninit;
use core::ptr::{addr_of, addr_of_mut};
use core::sync::atomic::Ordering;

use ::migseal_verifier::{Dalek, MinSecurity, Policy, TrustedKey, Verifier};
use migseal_format::Ident;
use migseal_format::envelope::{Descriptor, IdentList, Role};
use migseal_format::{MAX_IDENT_LEN, MAX_SUBJECT_LEN};

use crate::policy::{
    MIGSEAL_MAX_KEY_TYPES, MIGSEAL_MAX_MIN_SECURITY, MIGSEAL_MAX_TRUSTED_KEYS, migseal_policy, policy_ref,
};
use crate::status::migseal_status;
use crate::status::migseal_status as S;
use crate::util::{CBuf, as_bytes_mut, bytes, check_ptr, put_str};

const VERIFIER_MAGIC: u64 = 0x6d69_6773_7665_7231; // "migsver1"

/// A verifier, opaque to C. Allocate `migseal_verifier_size()` bytes
/// aligned to `migseal_verifier_align()`; never copy or move it after
/// `migseal_verifier_init`.
#[allow(non_camel_case_types)]
pub struct migseal_verifier {
    magic: u64,
    /// The block's own address at init: a moved copy is detected.
    this: usize,
    store: *const migseal_policy,
    /// Device-type identifiers of each trusted key (borrowed from `store`).
    types: [[Ident<'static>; MIGSEAL_MAX_KEY_TYPES]; MIGSEAL_MAX_TRUSTED_KEYS],
    /// The first `n_keys` are initialised.
    trusted: [MaybeUninit<TrustedKey<'static>>; MIGSEAL_MAX_TRUSTED_KEYS],
    mins: [MinSecurity<'static>; MIGSEAL_MAX_MIN_SECURITY],
    policy: Policy<'static>,
    device: Descriptor<'static>,
    verifier: Verifier<'static>,
}

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

/// Checks a verifier pointer: not NULL, aligned, initialised, not dropped,
/// not moved.
///
/// # Safety
///
/// `v` must be NULL or point to `migseal_verifier_size()` readable bytes.
unsafe fn check_verifier(v: *const migseal_verifier) -> Result<(), S> {
    check_ptr(v)?;
    // SAFETY: not NULL and aligned (checked); readable by contract. Only
    // the two plain integer fields are read, through raw pointers, so no
    // reference to a possibly uninitialised block is created.
    let (magic, this) = unsafe { (addr_of!((*v).magic).read(), addr_of!((*v).this).read()) };
    if magic != VERIFIER_MAGIC || this != v.addr() {
        return Err(S::MIGSEAL_ABI_BAD_STATE);
    }
    Ok(())
}

/// Makes a verifier in `mem` (`migseal_verifier_size()` bytes aligned to
/// `migseal_verifier_align()`) for images destined for the device whose
/// destination descriptor (canonical CBOR) is `device[0..device_len]`,
/// under `policy`. Writes the handle (== `mem`) to `*out`.
///
/// Until `migseal_verifier_drop`: keep `policy` and the descriptor bytes
/// alive and unchanged, and do not move or copy the verifier memory (see
/// the header's overview). The policy cannot be changed through the API
/// meanwhile (`MIGSEAL_ABI_POLICY_IN_USE`).
///
/// Returns the descriptor's decode error (100–299) for malformed bytes and
/// `MIGSEAL_ROLE_MISMATCH` (507) for a source descriptor.
///
/// Initialising memory that holds a live verifier without dropping it
/// first leaves its policy marked in use for good (fail-safe: the policy
/// can no longer change, nothing dangles).
///
/// # Safety
///
/// `mem` writable for `size` bytes; `policy` from `migseal_policy_init`;
/// `device` `device_len` readable bytes; `out` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn migseal_verifier_init(
    mem: *mut core::ffi::c_void,
    size: usize,
    policy: *const migseal_policy,
    device: *const u8,
    device_len: usize,
    out: *mut *mut migseal_verifier,
) -> migseal_status {
    // SAFETY: forwarded contract.
    match unsafe { init(mem.cast(), size, policy, device, device_len, out) } {
        Ok(()) => S::MIGSEAL_OK,
        Err(s) => s,
    }
}

unsafe fn init(
    v: *mut migseal_verifier,
    size: usize,
    policy: *const migseal_policy,
    device: *const u8,
    device_len: usize,
    out: *mut *mut migseal_verifier,
) -> Result<(), S> {
    check_ptr(v)?;
    check_ptr(out)?;
    if size < migseal_verifier_size() {
        return Err(S::MIGSEAL_ABI_BUFFER_TOO_SMALL);
    }
    if device_len == 0 {
        return Err(if device.is_null() { S::MIGSEAL_ABI_NULL_POINTER } else { S::MIGSEAL_TRUNCATED });
    }
    // SAFETY: the caller keeps the policy alive, in place and unchanged
    // until migseal_verifier_drop (documented contract), and the API
    // refuses to change it while `users` > 0, which is incremented below
    // before anything borrows it. So 'static stands for "until drop".
    let store: &'static migseal_policy = unsafe { policy_ref(policy) }?;
    // SAFETY: `device_len` readable bytes, kept alive and unchanged until
    // drop by the same contract.
    let device_bytes: &'static [u8] = unsafe { bytes(device, device_len) }?;
    let descriptor = Descriptor::decode(device_bytes).map_err(|e| S::of_format(&e))?;
    if descriptor.role != Role::Destination {
        return Err(S::MIGSEAL_ROLE_MISMATCH);
    }
    let placeholder = Ident::new("x").map_err(|_| S::MIGSEAL_ABI_INTERNAL)?;

    // Identifiers first (they borrow only the policy store).
    let mut types = [[placeholder; MIGSEAL_MAX_KEY_TYPES]; MIGSEAL_MAX_TRUSTED_KEYS];
    for (row, key) in types.iter_mut().zip(store.keys.iter().take(store.n_keys)) {
        for (slot, text) in row.iter_mut().zip(key.types.iter().take(key.n_types)) {
            *slot = Ident::new(text.as_str()).map_err(|_| S::MIGSEAL_ABI_INTERNAL)?;
        }
    }
    let mut mins =
        [MinSecurity { vendor: placeholder, device_type: None, minimum: 0 }; MIGSEAL_MAX_MIN_SECURITY];
    for (slot, m) in mins.iter_mut().zip(store.mins.iter().take(store.n_mins)) {
        *slot = MinSecurity {
            vendor: Ident::new(m.vendor.as_str()).map_err(|_| S::MIGSEAL_ABI_INTERNAL)?,
            device_type: match &m.device_type {
                Some(t) => Some(Ident::new(t.as_str()).map_err(|_| S::MIGSEAL_ABI_INTERNAL)?),
                None => None,
            },
            minimum: m.minimum,
        };
    }

    // SAFETY: `v` is not NULL, aligned and writable for the whole struct
    // (checked above). Each field is written through a raw pointer with
    // `write`, which neither reads nor drops the old, uninitialised bytes.
    // The shared references taken to `types`, `trusted`, `mins`, `policy`
    // and `device` point into this block, which the caller keeps in place
    // until drop (moves are detected through `this`); those fields are
    // never written again until drop, and no `&mut` to the whole block is
    // ever created, so the later `&mut` to the disjoint `verifier` field
    // does not alias them.
    unsafe {
        addr_of_mut!((*v).magic).write(0);
        addr_of_mut!((*v).types).write(types);
        addr_of_mut!((*v).mins).write(mins);
        let types_ref: &'static [[Ident<'static>; MIGSEAL_MAX_KEY_TYPES]; MIGSEAL_MAX_TRUSTED_KEYS] =
            &*addr_of!((*v).types);
        let trusted_ptr = addr_of_mut!((*v).trusted).cast::<MaybeUninit<TrustedKey<'static>>>();
        let mut n_keys = 0usize;
        for (i, (key, row)) in store.keys.iter().zip(types_ref.iter()).take(store.n_keys).enumerate() {
            let vendor = Ident::new(key.vendor.as_str()).map_err(|_| S::MIGSEAL_ABI_INTERNAL)?;
            let list = IdentList::from_slice(row.get(..key.n_types).unwrap_or(&[]), MIGSEAL_MAX_KEY_TYPES)
                .map_err(|e| S::of_format(&e))?;
            let trusted = TrustedKey::new(&Dalek, key.public_key, vendor, list).map_err(|e| S::of(&e))?;
            // `i` < MIGSEAL_MAX_TRUSTED_KEYS: `take(store.n_keys)` over an
            // array of that length.
            trusted_ptr.add(i).write(MaybeUninit::new(trusted));
            n_keys = i.saturating_add(1);
        }
        // The first `n_keys` entries were initialised just above.
        let trusted: &'static [TrustedKey<'static>] =
            core::slice::from_raw_parts(trusted_ptr.cast::<TrustedKey<'static>>(), n_keys);
        let mins_ref: &'static [MinSecurity<'static>; MIGSEAL_MAX_MIN_SECURITY] = &*addr_of!((*v).mins);
        let policy_value = Policy {
            trusted,
            revoked: store.revoked.get(..store.n_revoked).unwrap_or(&[]),
            min_security: mins_ref.get(..store.n_mins).unwrap_or(&[]),
            session: store.session(),
            subject: store.subject.as_ref().map(|s| s.as_str()),
            limits: store.limits,
        };
        addr_of_mut!((*v).policy).write(policy_value);
        addr_of_mut!((*v).device).write(descriptor);
        let policy_ref: &'static Policy<'static> = &*addr_of!((*v).policy);
        let device_ref: &'static Descriptor<'static> = &*addr_of!((*v).device);
        addr_of_mut!((*v).verifier).write(Verifier::new(policy_ref, device_ref));
        addr_of_mut!((*v).store).write(policy);
        addr_of_mut!((*v).this).write(v.addr());
        // Register before the block becomes valid; a count that would wrap
        // (4 billion verifiers never dropped) is refused, not wrapped.
        store
            .users
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_add(1))
            .map_err(|_| S::MIGSEAL_ABI_BAD_STATE)?;
        addr_of_mut!((*v).magic).write(VERIFIER_MAGIC);
        out.write(v);
    }
    Ok(())
}

/// The verifier inside a checked block.
///
/// # Safety
///
/// `v` passed [`check_verifier`]; no other reference to its `verifier`
/// field is live.
unsafe fn inner<'a>(v: *mut migseal_verifier) -> &'a mut Verifier<'static> {
    // SAFETY: initialised (magic checked by the caller of this function);
    // `verifier` is disjoint from the fields it borrows, and only one call
    // uses a verifier at a time (the caller's contract: not thread-safe).
    unsafe { &mut *addr_of_mut!((*v).verifier) }
}

/// Consumes a prefix of `buf[0..len]`: all of it, or up to the end of the
/// first run of payload bytes in it, which `*step` reports. Call again with
/// `buf + step->consumed` until all is consumed. Any fragment size works.
///
/// On a refusal returns its code (100–699; sticky: every later call returns
/// it) with `step->consumed == 0`; `migseal_verifier_error` gives the offset.
///
/// # Safety
///
/// `v` from `migseal_verifier_init`; `buf` `len` readable bytes (NULL
/// allowed with `len` 0); `step` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn migseal_verifier_advance(
    v: *mut migseal_verifier,
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
    if let Err(s) = unsafe { check_verifier(v) } {
        return s;
    }
    // SAFETY: `len` readable bytes by contract, used only during this call.
    let input = match unsafe { bytes(buf, len) } {
        Ok(b) => b,
        Err(s) => return s,
    };
    // SAFETY: checked above.
    let verifier = unsafe { inner(v) };
    match verifier.advance(input) {
        Ok(a) => {
            let (payload_len, payload_offset, chunk_seq) =
                a.payload.map_or((0, 0, 0), |p| (p.bytes.len(), p.payload_offset, p.seq));
            let out = migseal_step {
                consumed: a.consumed,
                payload_start: a.consumed.saturating_sub(payload_len),
                payload_len,
                payload_offset,
                chunk_seq,
            };
            // SAFETY: as above.
            unsafe { step.write(out) };
            S::MIGSEAL_OK
        }
        Err(e) => S::of(&e),
    }
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
    if let Err(s) = unsafe { check_verifier(v) } {
        return s;
    }
    if !verdict.is_null() && !verdict.is_aligned() {
        return S::MIGSEAL_ABI_MISALIGNED;
    }
    // SAFETY: checked above.
    let verifier = unsafe { inner(v) };
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
    v: *const migseal_verifier,
    err: *mut migseal_error,
) -> migseal_status {
    if let Err(s) = check_ptr(err) {
        return s;
    }
    // SAFETY: not NULL, aligned, writable by contract.
    unsafe { err.write(migseal_error::default()) };
    // SAFETY: forwarded contract.
    if let Err(s) = unsafe { check_verifier(v) } {
        return s;
    }
    // SAFETY: checked; only a shared reference to the `verifier` field is
    // made, and no `&mut` to it is live during this call.
    let failure = unsafe { &*addr_of!((*v).verifier) }.failure();
    let Some(e) = failure else { return S::MIGSEAL_OK };
    let status = S::of(&e);
    let out = migseal_error { code: status.code(), errno_value: e.errno(), offset: e.offset() };
    // SAFETY: as above.
    unsafe { err.write(out) };
    status
}

/// Writes the full message of the verifier's failure (what was expected,
/// what was found, what to do) into `buf[0..cap]`, NUL-terminated, and the
/// length it needs (without the NUL) to `*needed` (may be NULL). Returns
/// `MIGSEAL_ABI_BUFFER_TOO_SMALL` when it was cut (ending in "...");
/// an empty string and `MIGSEAL_OK` when the verifier has not failed.
///
/// # Safety
///
/// `v` from `migseal_verifier_init`; `buf` `cap` writable bytes;
/// `needed` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn migseal_verifier_message(
    v: *const migseal_verifier,
    buf: *mut c_char,
    cap: usize,
    needed: *mut usize,
) -> migseal_status {
    // SAFETY: forwarded contract.
    if let Err(s) = unsafe { check_verifier(v) } {
        return s;
    }
    if buf.is_null() {
        return S::MIGSEAL_ABI_NULL_POINTER;
    }
    if cap == 0 || isize::try_from(cap).is_err() {
        return S::MIGSEAL_ABI_BUFFER_TOO_SMALL;
    }
    // SAFETY: `cap` writable bytes at `buf` by contract (not NULL, `c_char`
    // needs no alignment, `cap` fits isize: checked).
    let dst = unsafe { core::slice::from_raw_parts_mut(buf, cap) };
    // SAFETY: checked; a shared reference to the `verifier` field only.
    let failure = unsafe { &*addr_of!((*v).verifier) }.failure();
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

/// Ends the verifier: leaves the policy (which may change again once no
/// verifier uses it) and wipes the block. The descriptor bytes and the
/// memory may be freed afterwards. Dropping twice returns
/// `MIGSEAL_ABI_BAD_STATE`.
///
/// # Safety
///
/// `v` from `migseal_verifier_init`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn migseal_verifier_drop(v: *mut migseal_verifier) -> migseal_status {
    // SAFETY: forwarded contract.
    if let Err(s) = unsafe { check_verifier(v) } {
        return s;
    }
    // SAFETY: checked, so `store` was set at init to a policy the caller
    // kept alive; `users` is atomic. Then the block is dropped in place
    // (the verifier owns no resources, but this keeps that an
    // implementation detail) and overwritten with zeros, so a later call
    // sees no magic. No reference into the block outlives this call.
    unsafe {
        let store = addr_of!((*v).store).read();
        if let Some(policy) = store.as_ref() {
            let _ = policy.users.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1));
        }
        core::ptr::drop_in_place(addr_of_mut!((*v).verifier));
        core::ptr::write_bytes(v.cast::<u8>(), 0, core::mem::size_of::<migseal_verifier>());
    }
    S::MIGSEAL_OK
}
