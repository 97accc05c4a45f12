//! The policy, built in caller memory: trusted keys scoped to vendors and
//! device types, revoked key ids, minimum security versions, session,
//! subject and limits. It holds plain data only (no pointers), copied
//! from the caller's arguments, so the caller's strings need not outlive
//! the calls that pass them.

use core::ffi::c_char;
use core::sync::atomic::{AtomicU32, Ordering};

use migseal_format::envelope::{KeyId, MAX_NONCE_LEN, MIN_NONCE_LEN};
use migseal_format::{Ident, MAX_IDENT_LEN, MAX_SUBJECT_LEN, Subject};
use migseal_verifier::{Dalek, Limits, TrustedKey};

use crate::status::migseal_status;
use crate::status::migseal_status as S;
use crate::util::{bytes, c_str, check_ptr};

/// Most trusted keys a policy holds.
pub const MIGSEAL_MAX_TRUSTED_KEYS: usize = 16;
/// Most device types one trusted key can be limited to.
pub const MIGSEAL_MAX_KEY_TYPES: usize = 8;
/// Most revoked key ids.
pub const MIGSEAL_MAX_REVOKED: usize = 32;
/// Most minimum-security entries.
pub const MIGSEAL_MAX_MIN_SECURITY: usize = 16;

const POLICY_MAGIC: u64 = 0x6d69_6773_706f_6c31; // "migspol1"

/// A fixed-capacity copy of a validated string.
#[derive(Clone, Copy)]
pub(crate) struct Text<const N: usize> {
    len: usize,
    bytes: [u8; N],
}

impl<const N: usize> Text<N> {
    const EMPTY: Self = Self { len: 0, bytes: [0; N] };

    fn copy(s: &str) -> Option<Self> {
        let mut t = Self::EMPTY;
        t.bytes.get_mut(..s.len())?.copy_from_slice(s.as_bytes());
        t.len = s.len();
        Some(t)
    }

    /// The text (validated when copied in).
    pub(crate) fn as_str(&self) -> &str {
        core::str::from_utf8(self.bytes.get(..self.len).unwrap_or(&[])).unwrap_or("")
    }
}

type IdentText = Text<MAX_IDENT_LEN>;

#[derive(Clone, Copy)]
pub(crate) struct KeySlot {
    pub(crate) public_key: [u8; 32],
    pub(crate) vendor: IdentText,
    pub(crate) types: [IdentText; MIGSEAL_MAX_KEY_TYPES],
    pub(crate) n_types: usize,
}

#[derive(Clone, Copy)]
pub(crate) struct MinSlot {
    pub(crate) vendor: IdentText,
    pub(crate) device_type: Option<IdentText>,
    pub(crate) minimum: u64,
}

/// A policy, opaque to C. Allocate `migseal_policy_size()` bytes aligned to
/// `migseal_policy_align()` and pass them to `migseal_policy_init`.
#[allow(non_camel_case_types)]
pub struct migseal_policy {
    magic: u64,
    /// Verifiers currently borrowing this policy (see
    /// `migseal_verifier_init` / `migseal_verifier_drop`).
    pub(crate) users: AtomicU32,
    pub(crate) keys: [KeySlot; MIGSEAL_MAX_TRUSTED_KEYS],
    pub(crate) n_keys: usize,
    pub(crate) revoked: [KeyId; MIGSEAL_MAX_REVOKED],
    pub(crate) n_revoked: usize,
    pub(crate) mins: [MinSlot; MIGSEAL_MAX_MIN_SECURITY],
    pub(crate) n_mins: usize,
    pub(crate) session: [u8; MAX_NONCE_LEN],
    pub(crate) session_len: usize,
    pub(crate) subject: Option<Text<MAX_SUBJECT_LEN>>,
    pub(crate) limits: Limits,
}

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

impl migseal_policy {
    pub(crate) fn is_valid(&self) -> bool {
        self.magic == POLICY_MAGIC
    }

    pub(crate) fn session(&self) -> Option<&[u8]> {
        (self.session_len > 0).then(|| self.session.get(..self.session_len).unwrap_or(&[]))
    }
}

/// Checks a policy pointer for reading.
///
/// # Safety
///
/// `p` must be NULL or point to memory of `migseal_policy_size()` bytes.
pub(crate) unsafe fn policy_ref<'a>(p: *const migseal_policy) -> Result<&'a migseal_policy, S> {
    check_ptr(p)?;
    // SAFETY: not NULL and aligned (checked); the caller guarantees the
    // memory is a policy object's. Its magic is checked before any other
    // field is trusted; a shared reference is fine while verifiers hold
    // shared references into it, and `users` is atomic.
    let policy = unsafe { &*p };
    if policy.is_valid() { Ok(policy) } else { Err(S::MIGSEAL_ABI_BAD_STATE) }
}

/// Checks a policy pointer for changing it: valid, and no verifier uses it.
///
/// # Safety
///
/// As [`policy_ref`], and no other thread uses the policy meanwhile.
unsafe fn policy_mut<'a>(p: *mut migseal_policy) -> Result<&'a mut migseal_policy, S> {
    // SAFETY: forwarded contract.
    let shared = unsafe { policy_ref(p) }?;
    if shared.users.load(Ordering::Acquire) != 0 {
        return Err(S::MIGSEAL_ABI_POLICY_IN_USE);
    }
    // SAFETY: valid (checked above) and no verifier borrows it (users is
    // 0, and verifiers register before they borrow), so this exclusive
    // reference aliases nothing; the caller does not use it from another
    // thread during the call.
    Ok(unsafe { &mut *p })
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
/// Do not call it on a policy that verifiers still use.
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
    let empty = KeySlot {
        public_key: [0; 32],
        vendor: Text::EMPTY,
        types: [Text::EMPTY; MIGSEAL_MAX_KEY_TYPES],
        n_types: 0,
    };
    let value = migseal_policy {
        magic: POLICY_MAGIC,
        users: AtomicU32::new(0),
        keys: [empty; MIGSEAL_MAX_TRUSTED_KEYS],
        n_keys: 0,
        revoked: [[0; 32]; MIGSEAL_MAX_REVOKED],
        n_revoked: 0,
        mins: [MinSlot { vendor: Text::EMPTY, device_type: None, minimum: 0 }; MIGSEAL_MAX_MIN_SECURITY],
        n_mins: 0,
        session: [0; MAX_NONCE_LEN],
        session_len: 0,
        subject: None,
        limits: Limits::DEFAULT,
    };
    // SAFETY: `p` is not NULL, aligned (checked) and writable for at least
    // `size_of::<migseal_policy>()` bytes (checked); `write` does not read
    // or drop the old, possibly uninitialised, contents. `out` is not NULL
    // and aligned (checked) and writable by contract.
    unsafe {
        p.write(value);
        out.write(p);
    }
    S::MIGSEAL_OK
}

fn ident_text(s: &str) -> Result<IdentText, S> {
    Ident::new(s).map_err(|_| S::MIGSEAL_INVALID_IDENTIFIER)?;
    Text::copy(s).ok_or(S::MIGSEAL_INVALID_IDENTIFIER)
}

/// Trusts the Ed25519 public key `public_key` (32 bytes) for images of
/// `vendor`; when `n_types > 0`, only for the `n_types` device types in
/// `device_types` (NUL-terminated strings; order does not matter).
///
/// Returns `MIGSEAL_WEAK_KEY` (409) for a small-order key,
/// `MIGSEAL_INVALID_PUBLIC_KEY` (602) for bytes that are not a point,
/// `MIGSEAL_INVALID_IDENTIFIER` (205) for a bad name,
/// `MIGSEAL_TRUST_STORE_FULL` (410) when `MIGSEAL_MAX_TRUSTED_KEYS` keys are
/// there or `n_types > MIGSEAL_MAX_KEY_TYPES`, `MIGSEAL_ABI_POLICY_IN_USE`
/// while a verifier uses the policy.
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
    let vendor = ident_text(unsafe { c_str(vendor, MAX_IDENT_LEN, S::MIGSEAL_INVALID_IDENTIFIER) }?)?;
    if n_types > MIGSEAL_MAX_KEY_TYPES {
        return Err(S::MIGSEAL_TRUST_STORE_FULL);
    }
    if n_types > 0 {
        check_ptr(device_types)?;
    }
    let mut types = [IdentText::EMPTY; MIGSEAL_MAX_KEY_TYPES];
    let mut n = 0usize;
    for i in 0..n_types {
        // SAFETY: `device_types` is not NULL, aligned (checked) and has
        // `n_types` readable entries by contract; `i < n_types`.
        let entry = unsafe { device_types.add(i).read() };
        // SAFETY: each entry is a NUL-terminated string by contract.
        let t = ident_text(unsafe { c_str(entry, MAX_IDENT_LEN, S::MIGSEAL_INVALID_IDENTIFIER) }?)?;
        // Insert in canonical order (length, then bytes), dropping repeats,
        // so the list is valid however C ordered it.
        let key = |x: &IdentText| (x.len, x.bytes);
        let filled = types.get(..n).unwrap_or(&[]);
        if filled.iter().any(|x| x.as_str() == t.as_str()) {
            continue;
        }
        let at = filled.iter().position(|x| key(x) > key(&t)).unwrap_or(n);
        if let Some(window) = types.get_mut(at..=n) {
            window.rotate_right(1);
            if let Some(first) = window.first_mut() {
                *first = t;
            }
        }
        n = n.saturating_add(1);
    }
    // The key check (weak, not on the curve) is the verifier's own.
    let check_vendor = Ident::new(vendor.as_str()).map_err(|_| S::MIGSEAL_INVALID_IDENTIFIER)?;
    TrustedKey::new(&Dalek, pk, check_vendor, migseal_format::envelope::IdentList::EMPTY)
        .map_err(|e| S::of(&e))?;
    let slot = p.keys.get_mut(p.n_keys).ok_or(S::MIGSEAL_TRUST_STORE_FULL)?;
    *slot = KeySlot { public_key: pk, vendor, types, n_types: n };
    p.n_keys = p.n_keys.saturating_add(1);
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
        let slot = p.revoked.get_mut(p.n_revoked).ok_or(S::MIGSEAL_TRUST_STORE_FULL)?;
        *slot = id;
        p.n_revoked = p.n_revoked.saturating_add(1);
        Ok(())
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
        let vendor = ident_text(unsafe { c_str(vendor, MAX_IDENT_LEN, S::MIGSEAL_INVALID_IDENTIFIER) }?)?;
        let device_type = if device_type.is_null() {
            None
        } else {
            // SAFETY: not NULL, so NUL-terminated by contract.
            Some(ident_text(unsafe { c_str(device_type, MAX_IDENT_LEN, S::MIGSEAL_INVALID_IDENTIFIER) }?)?)
        };
        let slot = p.mins.get_mut(p.n_mins).ok_or(S::MIGSEAL_TRUST_STORE_FULL)?;
        *slot = MinSlot { vendor, device_type, minimum };
        p.n_mins = p.n_mins.saturating_add(1);
        Ok(())
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
        if !n.is_empty() && !(MIN_NONCE_LEN..=MAX_NONCE_LEN).contains(&n.len()) {
            return Err(S::MIGSEAL_INVALID_FIELD_LENGTH);
        }
        p.session = [0; MAX_NONCE_LEN];
        p.session.get_mut(..n.len()).ok_or(S::MIGSEAL_INVALID_FIELD_LENGTH)?.copy_from_slice(n);
        p.session_len = n.len();
        Ok(())
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
            p.subject = None;
            return Ok(());
        }
        // SAFETY: not NULL, so NUL-terminated by contract.
        let s = unsafe { c_str(subject, MAX_SUBJECT_LEN, S::MIGSEAL_INVALID_SUBJECT) }?;
        Subject::new(s).map_err(|_| S::MIGSEAL_INVALID_SUBJECT)?;
        p.subject = Some(Text::copy(s).ok_or(S::MIGSEAL_INVALID_SUBJECT)?);
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
        p.limits = Limits {
            max_header_len: if l.max_header_len == 0 {
                d.max_header_len
            } else {
                usize::try_from(l.max_header_len).unwrap_or(usize::MAX)
            },
            max_chunk_len: pick(l.max_chunk_len, d.max_chunk_len),
            max_chunks: pick(l.max_chunks, d.max_chunks),
            max_total_len: pick(l.max_total_len, d.max_total_len),
        }
        .effective();
        Ok(())
    });
    r.err().unwrap_or(S::MIGSEAL_OK)
}
