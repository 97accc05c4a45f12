//! The source side in caller memory: a sealer that writes the header
//! record, one chunk head per chunk and the seal record into the caller's
//! own buffers, and holds its secret key in the caller's memory until
//! `migseal_sealer_release` wipes it.
//!
//! ```c
//! uint8_t img[MIGSEAL_MAX_HEADER_LEN + MIGSEAL_CHUNK_HEAD_MAX_LEN + STATE + MIGSEAL_SEAL_RECORD_LEN];
//! size_t n = 0, w;
//! migseal_sealer_init(s, sizeof *s, seed, &hdr, img, sizeof img, &w);   n += w;
//! migseal_sealer_begin_chunk(s, STATE, img + n, sizeof img - n, &w);    n += w;
//! memcpy(img + n, state, STATE);
//! migseal_sealer_chunk_data(s, img + n, STATE);                         n += STATE;
//! migseal_sealer_finish(s, img + n, sizeof img - n, &w);                n += w;
//! migseal_sealer_release(s);
//! ```
//!
//! A sealer is used by one call at a time. It owns its key and holds no
//! pointer into itself, so it may be moved between calls; a copy would
//! duplicate the secret, so do not copy it (move, then wipe the old place,
//! or better, keep it where it was made).

use core::ffi::c_char;
use core::ptr::{addr_of, addr_of_mut};

use migseal_format::envelope::{
    CHUNK_HEAD_MAX_LEN, DeviceIdentity, Header, IdentList, MAX_HEADER_LEN, SEAL_RECORD_LEN, SessionNonce,
    StateVersion,
};
use migseal_format::{Ident, MAX_IDENT_LEN, MAX_SUBJECT_LEN, Subject};
use migseal_verifier::{Dalek, Sealer, SealingKey};

use crate::status::migseal_status;
use crate::status::migseal_status as S;
use crate::util::{bytes, c_str, check_ptr};

const SEALER_MAGIC: u64 = 0x6d69_6773_7365_6131; // "migssea1"

// Literal values, so that the C header gets numbers; the build fails if
// they drift from the format's.

/// Largest header record (bytes): room to give `migseal_sealer_init`.
pub const MIGSEAL_MAX_HEADER_LEN: usize = 4096;
/// Largest chunk head (bytes): room to give `migseal_sealer_begin_chunk`.
pub const MIGSEAL_CHUNK_HEAD_MAX_LEN: usize = 20;
/// Length of the seal record `migseal_sealer_finish` writes.
pub const MIGSEAL_SEAL_RECORD_LEN: usize = 154;
const _: [(); MIGSEAL_MAX_HEADER_LEN] = [(); MAX_HEADER_LEN];
const _: [(); MIGSEAL_CHUNK_HEAD_MAX_LEN] = [(); CHUNK_HEAD_MAX_LEN];
const _: [(); MIGSEAL_SEAL_RECORD_LEN] = [(); SEAL_RECORD_LEN];

/// Bytes of a sealer on 64-bit targets (equal to `migseal_sealer_size()`;
/// checked at compile time), for embedding it in a C structure.
pub const MIGSEAL_SEALER_SIZE: usize = 440;
/// Alignment of a sealer on 64-bit targets (`migseal_sealer_align()`).
pub const MIGSEAL_SEALER_ALIGN: usize = 8;

// A mismatch fails the build and names both numbers.
#[cfg(target_pointer_width = "64")]
const _: [(); MIGSEAL_SEALER_SIZE] = [(); core::mem::size_of::<migseal_sealer>()];
#[cfg(target_pointer_width = "64")]
const _: [(); MIGSEAL_SEALER_ALIGN] = [(); core::mem::align_of::<migseal_sealer>()];

/// A sealer, opaque to C. Embed `MIGSEAL_SEALER_SIZE` bytes aligned to
/// `MIGSEAL_SEALER_ALIGN` in the device's own structure.
#[allow(non_camel_case_types)]
pub struct migseal_sealer {
    magic: u64,
    /// Owns the key: `migseal_sealer_release` drops it, which wipes it
    /// (`SealingKey` zeroizes on drop). `None` once finished.
    sealer: Option<Sealer<Dalek>>,
    finished: bool,
}

/// The header fields a driver seals its state under. Strings are
/// NUL-terminated and copied into the header record at init.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct migseal_seal_header {
    /// Vendor, such as "linux".
    pub vendor: *const c_char,
    /// Device API, such as "vfio-pci".
    pub device_api: *const c_char,
    /// Device type (the mdev type id), such as "mtty-2".
    pub device_type: *const c_char,
    /// Payload codec, such as "mtty".
    pub codec: *const c_char,
    /// State version, major.
    pub state_version_major: u32,
    /// State version, minor.
    pub state_version_minor: u32,
    /// Security version number (anti-rollback).
    pub security_version: u64,
    /// Session nonce from the destination (16–64 bytes), or NULL.
    pub session: *const u8,
    /// Length of `session` (0 with NULL).
    pub session_len: usize,
    /// Subject (the VM the state belongs to), or NULL for none.
    pub subject: *const c_char,
}

/// Bytes of caller memory a sealer needs (`MIGSEAL_SEALER_SIZE`).
#[unsafe(no_mangle)]
pub extern "C" fn migseal_sealer_size() -> usize {
    core::mem::size_of::<migseal_sealer>()
}

/// Alignment the sealer memory needs (`MIGSEAL_SEALER_ALIGN`).
#[unsafe(no_mangle)]
pub extern "C" fn migseal_sealer_align() -> usize {
    core::mem::align_of::<migseal_sealer>()
}

/// Writes the public key of the 32-byte secret `seed` to `out[0..32]`.
///
/// # Safety
///
/// `seed` readable and `out` writable for 32 bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn migseal_public_key(seed: *const u8, out: *mut u8) -> migseal_status {
    if seed.is_null() || out.is_null() {
        return S::MIGSEAL_ABI_NULL_POINTER;
    }
    // SAFETY: 32 readable bytes by contract; `[u8; 32]` has alignment 1.
    let key = SealingKey::from_seed(unsafe { &*seed.cast::<[u8; 32]>() });
    // SAFETY: 32 writable bytes by contract.
    unsafe { out.cast::<[u8; 32]>().write(key.public_key()) };
    S::MIGSEAL_OK
}

/// Checks a sealer pointer: not NULL, aligned, initialised, not released.
///
/// # Safety
///
/// `s` must be NULL or point to `migseal_sealer_size()` readable bytes.
unsafe fn check_sealer(s: *const migseal_sealer) -> Result<(), S> {
    check_ptr(s)?;
    // SAFETY: not NULL and aligned; readable by contract. Only the integer
    // field is read, through a raw pointer.
    let magic = unsafe { addr_of!((*s).magic).read() };
    if magic != SEALER_MAGIC {
        return Err(S::MIGSEAL_ABI_BAD_STATE);
    }
    Ok(())
}

/// Starts an image sealed with the Ed25519 key whose 32-byte secret is
/// `seed` (copied into the sealer; wipe your copy). Makes the sealer in
/// `mem` (`size` >= `MIGSEAL_SEALER_SIZE`, aligned to
/// `MIGSEAL_SEALER_ALIGN`) and writes the header record to
/// `out[0..cap]` (`MIGSEAL_MAX_HEADER_LEN` is always enough), its length
/// to `*written`.
///
/// Returns a format code (205 identifier, 206 session length, 209
/// subject, 116 `out` too small) for a bad header field.
///
/// # Safety
///
/// `mem` writable for `size` bytes; `seed` 32 readable bytes; `header`
/// readable with valid strings; `out` writable for `cap`; `written`
/// writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn migseal_sealer_init(
    mem: *mut core::ffi::c_void,
    size: usize,
    seed: *const u8,
    header: *const migseal_seal_header,
    out: *mut u8,
    cap: usize,
    written: *mut usize,
) -> migseal_status {
    // SAFETY: forwarded contract.
    match unsafe { init(mem.cast(), size, seed, header, out, cap, written) } {
        Ok(()) => S::MIGSEAL_OK,
        Err(s) => s,
    }
}

unsafe fn init(
    s: *mut migseal_sealer,
    size: usize,
    seed: *const u8,
    header: *const migseal_seal_header,
    out: *mut u8,
    cap: usize,
    written: *mut usize,
) -> Result<(), S> {
    check_ptr(s)?;
    check_ptr(header)?;
    check_ptr(written)?;
    if seed.is_null() || out.is_null() {
        return Err(S::MIGSEAL_ABI_NULL_POINTER);
    }
    if size < migseal_sealer_size() {
        return Err(S::MIGSEAL_ABI_BUFFER_TOO_SMALL);
    }
    // SAFETY: checked not NULL and aligned; readable by contract.
    let h = unsafe { header.read() };
    let ident = |p: *const c_char| -> Result<Ident<'_>, S> {
        // SAFETY: the header's strings are valid by contract.
        let text = unsafe { c_str(p, MAX_IDENT_LEN, S::MIGSEAL_INVALID_IDENTIFIER) }?;
        Ident::new(text).map_err(|e| S::of_format(&e))
    };
    // SAFETY: `session_len` readable bytes by contract.
    let session = match unsafe { bytes(h.session, h.session_len) }? {
        [] => None,
        nonce => Some(SessionNonce::new(nonce).map_err(|e| S::of_format(&e))?),
    };
    let subject = if h.subject.is_null() {
        None
    } else {
        // SAFETY: a valid string by contract.
        let text = unsafe { c_str(h.subject, MAX_SUBJECT_LEN, S::MIGSEAL_INVALID_SUBJECT) }?;
        Some(Subject::new(text).map_err(|e| S::of_format(&e))?)
    };
    // SAFETY: 32 readable bytes by contract; alignment 1.
    let key = SealingKey::from_seed(unsafe { &*seed.cast::<[u8; 32]>() });
    let head = Header {
        identity: DeviceIdentity {
            vendor: ident(h.vendor)?,
            device_api: ident(h.device_api)?,
            device_type: ident(h.device_type)?,
        },
        state_version: StateVersion::new(h.state_version_major, h.state_version_minor),
        features: IdentList::EMPTY,
        config: None,
        codec: ident(h.codec)?,
        security_version: h.security_version,
        session,
        subject,
        key_id: key.key_id(&Dalek),
    };
    // SAFETY: `cap` writable bytes by contract, not NULL (checked).
    let out = unsafe { core::slice::from_raw_parts_mut(out, cap) };
    let (sealer, n) = Sealer::new(key, Dalek, &head, out).map_err(|e| S::of(&e))?;
    // SAFETY: `s` is not NULL, aligned and writable for the whole struct
    // (checked). Fields are written through raw pointers, without reading
    // or dropping the old (uninitialised) bytes; `written` is writable.
    unsafe {
        addr_of_mut!((*s).sealer).write(Some(sealer));
        addr_of_mut!((*s).finished).write(false);
        addr_of_mut!((*s).magic).write(SEALER_MAGIC);
        written.write(n);
    }
    Ok(())
}

/// The Rust sealer inside a checked block.
///
/// # Safety
///
/// `s` passed [`check_sealer`]; no other reference to its `sealer` field
/// is live.
unsafe fn inner<'a>(s: *mut migseal_sealer) -> Result<&'a mut Sealer<Dalek>, S> {
    // SAFETY: initialised (magic checked); one caller at a time by contract.
    let s = unsafe { &mut *s };
    if s.finished {
        return Err(S::MIGSEAL_ABI_BAD_STATE);
    }
    s.sealer.as_mut().ok_or(S::MIGSEAL_ABI_BAD_STATE)
}

/// Starts a chunk of `len` bytes (1 ..= 1 GiB): writes its head (at most
/// `MIGSEAL_CHUNK_HEAD_MAX_LEN` bytes) to `out[0..cap]` and its length to
/// `*written`. Put exactly `len` bytes after it and pass them to
/// `migseal_sealer_chunk_data`.
///
/// # Safety
///
/// `s` from `migseal_sealer_init`; `out` writable for `cap` bytes;
/// `written` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn migseal_sealer_begin_chunk(
    s: *mut migseal_sealer,
    len: u64,
    out: *mut u8,
    cap: usize,
    written: *mut usize,
) -> migseal_status {
    // SAFETY: forwarded contract; `check_sealer` runs before `inner`.
    let r = unsafe {
        check_sealer(s).and_then(|()| check_ptr(written)).and_then(|()| {
            let head = inner(s)?.begin_chunk(len).map_err(|e| S::of(&e))?;
            put(head.as_bytes(), out, cap, written)
        })
    };
    r.err().unwrap_or(S::MIGSEAL_OK)
}

/// Absorbs `data[0..len]` of the open chunk (in pieces of any size).
///
/// # Safety
///
/// `s` from `migseal_sealer_init`; `data` readable for `len` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn migseal_sealer_chunk_data(
    s: *mut migseal_sealer,
    data: *const u8,
    len: usize,
) -> migseal_status {
    // SAFETY: forwarded contract; `check_sealer` runs before `inner`.
    let r = unsafe {
        check_sealer(s).and_then(|()| {
            let data = bytes(data, len)?;
            inner(s)?.chunk_data(data).map_err(|e| S::of(&e))
        })
    };
    r.err().unwrap_or(S::MIGSEAL_OK)
}

/// Ends the image: writes the seal record (`MIGSEAL_SEAL_RECORD_LEN`
/// bytes) to `out[0..cap]` and its length to `*written`. The sealer can
/// seal nothing more (`MIGSEAL_ABI_BAD_STATE`); release it to wipe the
/// key.
///
/// # Safety
///
/// `s` from `migseal_sealer_init`; `out` writable for `cap` bytes;
/// `written` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn migseal_sealer_finish(
    s: *mut migseal_sealer,
    out: *mut u8,
    cap: usize,
    written: *mut usize,
) -> migseal_status {
    // SAFETY: forwarded contract; `check_sealer` runs before `sealer` is
    // touched.
    let r = unsafe {
        check_sealer(s).and_then(|()| check_ptr(written)).and_then(|()| {
            if cap < SEAL_RECORD_LEN {
                return Err(S::MIGSEAL_ABI_BUFFER_TOO_SMALL);
            }
            let seal = inner(s)?.finish().map_err(|e| S::of(&e))?;
            (*s).finished = true;
            put(&seal, out, cap, written)
        })
    };
    r.err().unwrap_or(S::MIGSEAL_OK)
}

/// Wipes the secret key and ends the sealer (finished or not). NULL and
/// an already released sealer are ignored.
///
/// # Safety
///
/// `s` NULL or from `migseal_sealer_init`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn migseal_sealer_release(s: *mut migseal_sealer) {
    // SAFETY: forwarded contract.
    if unsafe { check_sealer(s) }.is_err() {
        return;
    }
    // SAFETY: initialised (checked). Dropping the sealer drops its key,
    // which zeroizes it (`ZeroizeOnDrop`); the magic is cleared first, so
    // the block is never seen initialised after this. Then the whole block
    // is overwritten with zeros (the running digests too), so the caller's
    // memory holds plain zero bytes, not a dropped value.
    unsafe {
        addr_of_mut!((*s).magic).write(0);
        core::ptr::drop_in_place(addr_of_mut!((*s).sealer));
        core::ptr::write_bytes(s.cast::<u8>(), 0, core::mem::size_of::<migseal_sealer>());
    }
}

/// Copies `src` to `out[0..cap]` and its length to `*written`.
///
/// # Safety
///
/// `out` writable for `cap` bytes (or NULL); `written` writable.
unsafe fn put(src: &[u8], out: *mut u8, cap: usize, written: *mut usize) -> Result<(), S> {
    if out.is_null() {
        return Err(S::MIGSEAL_ABI_NULL_POINTER);
    }
    if cap < src.len() {
        return Err(S::MIGSEAL_ABI_BUFFER_TOO_SMALL);
    }
    // SAFETY: `out` has `cap` >= `src.len()` writable bytes and does not
    // overlap `src`, which lives in Rust memory; `written` writable.
    unsafe {
        core::ptr::copy_nonoverlapping(src.as_ptr(), out, src.len());
        written.write(src.len());
    }
    Ok(())
}
