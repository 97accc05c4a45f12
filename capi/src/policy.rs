//! The policy, built in caller memory: the verifier's own owned
//! [`Policy`] (trusted keys scoped to vendors and device types, each
//! checked and prepared once when added; revoked key ids; minimum security
//! versions; session; subject; limits). It holds no pointers: strings are
//! copied, so the caller's need not outlive the calls that pass them, and
//! the block may be moved or copied between calls.

use core::ffi::c_char;

use migseal_format::envelope::KeyId;
use migseal_format::{Ident, MAX_IDENT_LEN, MAX_SUBJECT_LEN, Subject};
use migseal_verifier::{Dalek, Limits, Policy};

use crate::status::migseal_status;
use crate::status::migseal_status as S;
use crate::util::{bytes, c_str, check_ptr};

/// Most trusted keys a policy holds.
pub const MIGSEAL_MAX_TRUSTED_KEYS: usize = migseal_verifier::MAX_TRUSTED_KEYS;
/// Most device types one trusted key can be limited to.
pub const MIGSEAL_MAX_KEY_TYPES: usize = migseal_verifier::MAX_KEY_TYPES;
/// Most revoked key ids.
pub const MIGSEAL_MAX_REVOKED: usize = migseal_verifier::MAX_REVOKED;
/// Most minimum-security entries.
pub const MIGSEAL_MAX_MIN_SECURITY: usize = migseal_verifier::MAX_MIN_SECURITY;

const POLICY_MAGIC: u64 = 0x6d69_6773_706f_6c32; // "migspol2"

/// A policy, opaque to C. Allocate `migseal_policy_size()` bytes aligned to
/// `migseal_policy_align()` and pass them to `migseal_policy_init`.
#[allow(non_camel_case_types)]
pub struct migseal_policy {
    magic: u64,
    pub(crate) policy: Policy<Dalek>,
}

/// An empty policy as a constant, so initialising caller memory copies it
/// from read-only data instead of building ~17 KB on the (kernel) stack.
const EMPTY: migseal_policy = migseal_policy { magic: POLICY_MAGIC, policy: Policy::new() };

/// Size limits for `migseal_policy_set_limits`. A zero field keeps the
/// default (header 4096 B, chunk 16 MiB, 2^20 chunks, 64 GiB in total).
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct migseal_limits {
    /// Largest header record in bytes (at most 4096).
    pub max_header_len: u64,
    /// Largest chunk in bytes (at most 1 GiB).
    pub max_chunk_len: u64,
    /// Most chunks.
    pub max_chunks: u64,
    /// Most payload bytes in all.
    pub max_total_len: u64,
}

/// Checks a policy pointer for reading.
///
/// # Safety
///
/// `p` must be NULL or point to memory of `migseal_policy_size()` bytes.
pub(crate) unsafe fn policy_ref<'a>(p: *const migseal_policy) -> Result<&'a migseal_policy, S> {
    check_ptr(p)?;
    // SAFETY: not NULL and aligned (checked); the caller guarantees the
    // memory is a policy object's. The magic is read through a raw pointer
    // before a reference to the whole block is made, so a block that was
    // never initialised is refused without creating a reference to it.
    if unsafe { core::ptr::addr_of!((*p).magic).read() } != POLICY_MAGIC {
        return Err(S::MIGSEAL_ABI_BAD_STATE);
    }
    // SAFETY: initialised (magic checked); shared for the call only.
    Ok(unsafe { &*p })
}

/// Checks a policy pointer for changing it.
///
/// # Safety
///
/// As [`policy_ref`], and no other thread uses the policy meanwhile.
unsafe fn policy_mut<'a>(p: *mut migseal_policy) -> Result<&'a mut Policy<Dalek>, S> {
    // SAFETY: forwarded contract.
    unsafe { policy_ref(p) }?;
    // SAFETY: valid (checked above); the caller does not use the policy
    // from another thread during the call, and no verifier keeps a
    // reference to it between calls, so this exclusive reference aliases
    // nothing.
    Ok(unsafe { &mut (*p).policy })
}

/// Bytes of caller memory a policy needs.
#[unsafe(no_mangle)]
pub extern "C" fn migseal_policy_size() -> usize {
    core::mem::size_of::<migseal_policy>()
}

/// Alignment the policy memory needs.
#[unsafe(no_mangle)]
pub extern "C" fn migseal_policy_align() -> usize {
    core::mem::align_of::<migseal_policy>()
}

/// Makes an empty policy (no trusted key, default limits) in `mem`, which
/// must hold `migseal_policy_size()` bytes aligned to
/// `migseal_policy_align()`. Writes the handle (== `mem`) to `*out`.
///
/// Calling it again on a policy empties it.
///
/// # Safety
///
/// `mem` must be NULL or writable for `size` bytes; `out` NULL or a
/// writable pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn migseal_policy_init(
    mem: *mut core::ffi::c_void,
    size: usize,
    out: *mut *mut migseal_policy,
) -> migseal_status {
    let p = mem.cast::<migseal_policy>();
    if let Err(s) = check_ptr(p).and(check_ptr(out)) {
        return s;
    }
    if size < migseal_policy_size() {
        return S::MIGSEAL_ABI_BUFFER_TOO_SMALL;
    }
    // SAFETY: `p` is not NULL, aligned (checked) and writable for at least
    // `size_of::<migseal_policy>()` bytes (checked); `write` does not read
    // or drop the old, possibly uninitialised, contents. `out` is not NULL
    // and aligned (checked) and writable by contract.
    unsafe {
        p.write(EMPTY);
        out.write(p);
    }
    S::MIGSEAL_OK
}

/// An identifier from a NUL-terminated C string.
///
/// # Safety
///
/// `p` NULL or a NUL-terminated string valid for `'a`.
unsafe fn c_ident<'a>(p: *const c_char) -> Result<Ident<'a>, S> {
    // SAFETY: forwarded contract.
    let s = unsafe { c_str(p, MAX_IDENT_LEN, S::MIGSEAL_INVALID_IDENTIFIER) }?;
    Ident::new(s).map_err(|_| S::MIGSEAL_INVALID_IDENTIFIER)
}

/// Trusts the Ed25519 public key `public_key` (32 bytes) for images of
/// `vendor`; when `n_types > 0`, only for the `n_types` device types in
/// `device_types` (NUL-terminated strings; order does not matter).
///
/// Returns `MIGSEAL_WEAK_KEY` (409) for a small-order key,
/// `MIGSEAL_INVALID_PUBLIC_KEY` (602) for bytes that are not a point,
/// `MIGSEAL_INVALID_IDENTIFIER` (205) for a bad name,
/// `MIGSEAL_TRUST_STORE_FULL` (410) when `MIGSEAL_MAX_TRUSTED_KEYS` keys are
/// there or `n_types > MIGSEAL_MAX_KEY_TYPES`.
///
/// # Safety
///
/// `policy` from `migseal_policy_init`; `public_key` 32 readable bytes;
/// `vendor` and each of the `n_types` entries of `device_types`
/// NUL-terminated strings (copied: they need not outlive the call).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn migseal_policy_add_trusted_key(
    policy: *mut migseal_policy,
    public_key: *const u8,
    vendor: *const c_char,
    device_types: *const *const c_char,
    n_types: usize,
) -> migseal_status {
    // SAFETY: forwarded contract of this function.
    let r = unsafe { add_trusted_key(policy, public_key, vendor, device_types, n_types) };
    r.err().unwrap_or(S::MIGSEAL_OK)
}

unsafe fn add_trusted_key(
    policy: *mut migseal_policy,
    public_key: *const u8,
    vendor: *const c_char,
    device_types: *const *const c_char,
    n_types: usize,
) -> Result<(), S> {
    // SAFETY: forwarded contract (policy from migseal_policy_init).
    let p = unsafe { policy_mut(policy) }?;
    // SAFETY: the caller passes 32 readable bytes.
    let pk_bytes = unsafe { bytes(public_key, 32) }?;
    let pk = <[u8; 32]>::try_from(pk_bytes).map_err(|_| S::MIGSEAL_ABI_NULL_POINTER)?;
    // SAFETY: a NUL-terminated string by contract.
    let vendor = unsafe { c_ident(vendor) }?;
    if n_types > MIGSEAL_MAX_KEY_TYPES {
        return Err(S::MIGSEAL_TRUST_STORE_FULL);
    }
    if n_types > 0 {
        check_ptr(device_types)?;
    }
    // Filled with the vendor (a valid identifier); the first `n_types`
    // are replaced below and only those are passed on.
    let mut types = [vendor; MIGSEAL_MAX_KEY_TYPES];
    for (i, slot) in types.iter_mut().enumerate().take(n_types) {
        // SAFETY: `device_types` is not NULL, aligned (checked) and has
        // `n_types` readable entries by contract; `i < n_types`.
        let entry = unsafe { device_types.add(i).read() };
        // SAFETY: each entry is a NUL-terminated string by contract.
        *slot = unsafe { c_ident(entry) }?;
    }
    // The key is checked (weak, not on the curve) and prepared here, once.
    p.trust_key(&Dalek, pk, vendor, types.get(..n_types).unwrap_or(&[])).map_err(|e| S::of(&e))?;
    Ok(())
}

/// Revokes the key whose key id (32 bytes, SHA-256 of the domain and
/// the public key) is `key_id`: revocation wins over trust.
/// `MIGSEAL_TRUST_STORE_FULL` (410) after `MIGSEAL_MAX_REVOKED` ids.
///
/// # Safety
///
/// `policy` from `migseal_policy_init`; `key_id` 32 readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn migseal_policy_revoke(
    policy: *mut migseal_policy,
    key_id: *const u8,
) -> migseal_status {
    // SAFETY: forwarded contract.
    let r = unsafe { policy_mut(policy) }.and_then(|p| {
        // SAFETY: 32 readable bytes by contract.
        let id = unsafe { bytes(key_id, 32) }?;
        let id = KeyId::try_from(id).map_err(|_| S::MIGSEAL_ABI_NULL_POINTER)?;
        p.revoke(id).map_err(|e| S::of(&e))
    });
    r.err().unwrap_or(S::MIGSEAL_OK)
}

/// Requires security version `minimum` or higher for `vendor`, or only
/// for its `device_type` when that is not NULL (the more specific entry
/// wins). `MIGSEAL_TRUST_STORE_FULL` (410) after
/// `MIGSEAL_MAX_MIN_SECURITY` entries.
///
/// # Safety
///
/// `policy` from `migseal_policy_init`; `vendor` and `device_type` (if
/// not NULL) NUL-terminated strings (copied).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn migseal_policy_min_security(
    policy: *mut migseal_policy,
    vendor: *const c_char,
    device_type: *const c_char,
    minimum: u64,
) -> migseal_status {
    // SAFETY: forwarded contract.
    let r = unsafe { policy_mut(policy) }.and_then(|p| {
        // SAFETY: NUL-terminated by contract.
        let vendor = unsafe { c_ident(vendor) }?;
        let device_type = if device_type.is_null() {
            None
        } else {
            // SAFETY: not NULL, so NUL-terminated by contract.
            Some(unsafe { c_ident(device_type) }?)
        };
        p.require_min_security(vendor, device_type, minimum).map_err(|e| S::of(&e))
    });
    r.err().unwrap_or(S::MIGSEAL_OK)
}

/// Requires images to carry this migration's session nonce (16–64 bytes);
/// NULL with length 0 removes the requirement.
/// `MIGSEAL_INVALID_FIELD_LENGTH` (206) for another length.
///
/// # Safety
///
/// `policy` from `migseal_policy_init`; `nonce` `len` readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn migseal_policy_set_session(
    policy: *mut migseal_policy,
    nonce: *const u8,
    len: usize,
) -> migseal_status {
    // SAFETY: forwarded contract.
    let r = unsafe { policy_mut(policy) }.and_then(|p| {
        // SAFETY: `len` readable bytes by contract.
        let n = unsafe { bytes(nonce, len) }?;
        if n.is_empty() {
            p.forget_session();
            return Ok(());
        }
        p.require_session(n).map_err(|e| S::of(&e))
    });
    r.err().unwrap_or(S::MIGSEAL_OK)
}

/// Requires images to name `subject` (the VM; NUL-terminated, printable
/// ASCII, at most 128 bytes); NULL removes the requirement.
/// `MIGSEAL_INVALID_SUBJECT` (209) for an invalid subject.
///
/// # Safety
///
/// `policy` from `migseal_policy_init`; `subject` NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn migseal_policy_set_subject(
    policy: *mut migseal_policy,
    subject: *const c_char,
) -> migseal_status {
    // SAFETY: forwarded contract.
    let r = unsafe { policy_mut(policy) }.and_then(|p| {
        if subject.is_null() {
            p.forget_subject();
            return Ok(());
        }
        // SAFETY: not NULL, so NUL-terminated by contract.
        let s = unsafe { c_str(subject, MAX_SUBJECT_LEN, S::MIGSEAL_INVALID_SUBJECT) }?;
        p.require_subject(Subject::new(s).map_err(|_| S::MIGSEAL_INVALID_SUBJECT)?);
        Ok(())
    });
    r.err().unwrap_or(S::MIGSEAL_OK)
}

/// Sets the size limits; a zero field keeps the default. A policy can
/// lower the format's bounds (header 4096 B, chunk 1 GiB), never raise
/// them.
///
/// # Safety
///
/// `policy` from `migseal_policy_init`; `limits` a readable struct.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn migseal_policy_set_limits(
    policy: *mut migseal_policy,
    limits: *const migseal_limits,
) -> migseal_status {
    // SAFETY: forwarded contract.
    let r = unsafe { policy_mut(policy) }.and_then(|p| {
        check_ptr(limits)?;
        // SAFETY: not NULL, aligned (checked), readable by contract; a
        // plain-old-data struct of u64s, every bit pattern valid.
        let l = unsafe { limits.read() };
        let d = Limits::DEFAULT;
        let pick = |v: u64, default: u64| if v == 0 { default } else { v };
        p.set_limits(Limits {
            max_header_len: if l.max_header_len == 0 {
                d.max_header_len
            } else {
                usize::try_from(l.max_header_len).unwrap_or(usize::MAX)
            },
            max_chunk_len: pick(l.max_chunk_len, d.max_chunk_len),
            max_chunks: pick(l.max_chunks, d.max_chunks),
            max_total_len: pick(l.max_total_len, d.max_total_len),
        });
        Ok(())
    });
    r.err().unwrap_or(S::MIGSEAL_OK)
}
