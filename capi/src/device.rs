//! A destination device's accept-descriptor in caller memory: an owned,
//! validated copy of its canonical CBOR, so the caller's bytes need not
//! outlive the call that passes them.

use migseal_format::envelope::{Descriptor, Role};

use crate::status::migseal_status;
use crate::status::migseal_status as S;
use crate::util::{bytes, check_ptr};

/// Longest descriptor a `migseal_device` holds, in bytes. A descriptor at
/// every field limit (16 version ranges, 32 features and 8 codecs of 64
/// bytes, a 1024-byte config) is about 4.2 KB.
pub const MIGSEAL_MAX_DESCRIPTOR_LEN: usize = 6144;

const DEVICE_MAGIC: u64 = 0x6d69_6773_6465_7631; // "migsdev1"

/// A destination device, opaque to C. Allocate `MIGSEAL_DEVICE_SIZE` bytes
/// aligned to `MIGSEAL_DEVICE_ALIGN` and pass them to `migseal_device_init`.
#[allow(non_camel_case_types)]
pub struct migseal_device {
    magic: u64,
    len: usize,
    bytes: [u8; MIGSEAL_MAX_DESCRIPTOR_LEN],
}

/// Not yet valid (no magic): filled in place by `migseal_device_init`.
const EMPTY: migseal_device = migseal_device { magic: 0, len: 0, bytes: [0; MIGSEAL_MAX_DESCRIPTOR_LEN] };

impl migseal_device {
    /// The descriptor, decoded from the validated copy.
    pub(crate) fn descriptor(&self) -> Result<Descriptor<'_>, S> {
        Descriptor::decode(self.bytes.get(..self.len).unwrap_or(&[])).map_err(|e| S::of_format(&e))
    }
}

/// Bytes of caller memory a device needs.
#[unsafe(no_mangle)]
pub extern "C" fn migseal_device_size() -> usize {
    core::mem::size_of::<migseal_device>()
}

/// Alignment the device memory needs.
#[unsafe(no_mangle)]
pub extern "C" fn migseal_device_align() -> usize {
    core::mem::align_of::<migseal_device>()
}

/// Checks a device pointer for reading.
///
/// # Safety
///
/// `d` must be NULL or point to memory of `MIGSEAL_DEVICE_SIZE` bytes.
pub(crate) unsafe fn device_ref<'a>(d: *const migseal_device) -> Result<&'a migseal_device, S> {
    check_ptr(d)?;
    // SAFETY: not NULL and aligned (checked); the magic is read through a
    // raw pointer before any reference to the block exists.
    if unsafe { core::ptr::addr_of!((*d).magic).read() } != DEVICE_MAGIC {
        return Err(S::MIGSEAL_ABI_BAD_STATE);
    }
    // SAFETY: initialised (magic checked); shared for the call only.
    Ok(unsafe { &*d })
}

/// Copies the destination descriptor `cbor[0..len]` (canonical CBOR, role
/// destination) into `mem` (`MIGSEAL_DEVICE_SIZE` bytes aligned to
/// `MIGSEAL_DEVICE_ALIGN`) after validating it, and writes the handle
/// (== `mem`) to `*out`.
///
/// Returns the descriptor's decode error (100–299),
/// `MIGSEAL_ROLE_MISMATCH` (507) for a source descriptor, and
/// `MIGSEAL_LENGTH_OVER_LIMIT` (111) above `MIGSEAL_MAX_DESCRIPTOR_LEN`.
/// On an error `mem` is left as it was.
///
/// # Safety
///
/// `mem` NULL or writable for `size` bytes; `cbor` `len` readable bytes;
/// `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn migseal_device_init(
    mem: *mut core::ffi::c_void,
    size: usize,
    cbor: *const u8,
    len: usize,
    out: *mut *mut migseal_device,
) -> migseal_status {
    let d = mem.cast::<migseal_device>();
    if let Err(s) = check_ptr(d).and(check_ptr(out)) {
        return s;
    }
    if size < core::mem::size_of::<migseal_device>() {
        return S::MIGSEAL_ABI_BUFFER_TOO_SMALL;
    }
    if len == 0 {
        return if cbor.is_null() { S::MIGSEAL_ABI_NULL_POINTER } else { S::MIGSEAL_TRUNCATED };
    }
    // SAFETY: `len` readable bytes by contract, used during this call only.
    let input = match unsafe { bytes(cbor, len) } {
        Ok(b) => b,
        Err(s) => return s,
    };
    if input.len() > MIGSEAL_MAX_DESCRIPTOR_LEN {
        return S::MIGSEAL_LENGTH_OVER_LIMIT;
    }
    match Descriptor::decode(input) {
        Ok(desc) if desc.role == Role::Destination => {}
        Ok(_) => return S::MIGSEAL_ROLE_MISMATCH,
        Err(e) => return S::of_format(&e),
    }
    // SAFETY: `d` is not NULL, aligned (checked) and writable for the whole
    // struct (size checked); `write` neither reads nor drops the old bytes,
    // and copies a constant (no 6 KB temporary on a kernel stack). The
    // exclusive reference then aliases nothing: the caller gave us the
    // memory for this call. `out` is not NULL, aligned and writable by
    // contract.
    unsafe {
        d.write(EMPTY);
        let dev = &mut *d;
        if let Some(dst) = dev.bytes.get_mut(..input.len()) {
            dst.copy_from_slice(input);
        }
        dev.len = input.len();
        dev.magic = DEVICE_MAGIC;
        out.write(d);
    }
    S::MIGSEAL_OK
}
