//! # migseal C ABI
//!
//! The streaming verifier and the compatibility check for C callers
//! (QEMU, libvirt, C drivers), in caller-provided memory: nothing here
//! allocates. The header is `capi/include/migseal.h`, generated from this
//! crate by cbindgen (`tests/header.rs` fails when it is stale; run it
//! with `MIGSEAL_BLESS=1` to regenerate).
//!
//! ```c
//! migseal_policy *p;   void *pm = aligned_alloc(migseal_policy_align(), migseal_policy_size());
//! migseal_policy_init(pm, migseal_policy_size(), &p);
//! migseal_policy_add_trusted_key(p, pk, "linux", NULL, 0);
//! migseal_device *d;  void *dm = aligned_alloc(migseal_device_align(), migseal_device_size());
//! migseal_device_init(dm, migseal_device_size(), dev_cbor, dev_len, &d);
//! migseal_verifier *v; void *vm = aligned_alloc(migseal_verifier_align(), migseal_verifier_size());
//! migseal_verifier_init(vm, migseal_verifier_size(), &v);
//! while ((n = read(fd, buf, sizeof buf)) > 0)
//!     for (size_t off = 0; off < n; off += step.consumed) {
//!         if (migseal_verifier_advance(v, p, d, buf + off, n - off, &step) != MIGSEAL_OK) goto refused;
//!         stage(buf + off + step.payload_start, step.payload_len);
//!     }
//! if (migseal_verifier_finish(v, &verdict) == MIGSEAL_OK) restore(staged);
//! migseal_verifier_drop(v);
//! ```
//!
//! Lifetimes: every object owns what it holds (strings and descriptor
//! bytes are copied in); a verifier borrows the policy and the device only
//! for the length of one `migseal_verifier_advance` call. Any object may be
//! moved or copied between calls. Thread safety: one call on an object at
//! a time; a policy and a device may be read by several verifiers on
//! several threads while no one changes them.
//!
//! The source side: `migseal_sealer_*` writes the header record, chunk
//! heads and the seal into the caller's buffers, with the secret key held
//! in the sealer's caller memory until `migseal_sealer_release` wipes it.
//! A sealer may be moved, but copying it would duplicate the key.
//! `migseal_status_errno(code)` gives a kernel caller its errno, and the
//! `MIGSEAL_*_SIZE`/`_ALIGN` constants let a driver embed every object in
//! its own device structure.
//!
//! This is the only crate of the workspace with `unsafe`; every block
//! says why it is sound (`clippy::undocumented_unsafe_blocks` is denied).
//!
//! The crate is `no_std`: with default features off (`std` only links the
//! standard library's panic handler for the userspace static and shared
//! libraries) and the `kernel` feature on, it is the object a kernel
//! module links (`cargo xtask kernel`).
#![no_std]

#[cfg(feature = "std")]
extern crate std;

#[cfg(all(feature = "kernel", not(feature = "std")))]
mod kernel;

pub mod compat;
pub mod device;
pub mod policy;
#[cfg(feature = "std")]
pub mod policy_file;
pub mod sealer;
pub mod sizes;
pub mod status;
mod util;
pub mod verifier;

pub use compat::{MIGSEAL_REASON_MESSAGE_LEN, migseal_compat_check, migseal_compat_info, migseal_reason};
pub use device::{
    MIGSEAL_MAX_DESCRIPTOR_LEN, migseal_device, migseal_device_align, migseal_device_init,
    migseal_device_size,
};
pub use policy::{
    MIGSEAL_MAX_KEY_TYPES, MIGSEAL_MAX_MIN_SECURITY, MIGSEAL_MAX_REVOKED, MIGSEAL_MAX_TRUSTED_KEYS,
    migseal_limits, migseal_policy, migseal_policy_add_trusted_key, migseal_policy_align,
    migseal_policy_init, migseal_policy_min_security, migseal_policy_revoke, migseal_policy_set_limits,
    migseal_policy_set_session, migseal_policy_set_subject, migseal_policy_size,
};
pub use sealer::{
    MIGSEAL_CHUNK_HEAD_MAX_LEN, MIGSEAL_MAX_HEADER_LEN, MIGSEAL_SEAL_RECORD_LEN, MIGSEAL_SEALER_ALIGN,
    MIGSEAL_SEALER_SIZE, migseal_public_key, migseal_seal_header, migseal_sealer, migseal_sealer_align,
    migseal_sealer_begin_chunk, migseal_sealer_chunk_data, migseal_sealer_finish, migseal_sealer_init,
    migseal_sealer_release, migseal_sealer_size,
};
pub use sizes::{
    MIGSEAL_DEVICE_ALIGN, MIGSEAL_DEVICE_SIZE, MIGSEAL_POLICY_ALIGN, MIGSEAL_POLICY_SIZE,
    MIGSEAL_VERIFIER_ALIGN, MIGSEAL_VERIFIER_SIZE,
};
pub use status::{migseal_status, migseal_status_errno, migseal_status_message, migseal_status_name};
pub use verifier::{
    migseal_error, migseal_step, migseal_verdict, migseal_verifier, migseal_verifier_advance,
    migseal_verifier_align, migseal_verifier_drop, migseal_verifier_error, migseal_verifier_finish,
    migseal_verifier_init, migseal_verifier_message, migseal_verifier_size,
};

/// The library version, static and NUL-terminated.
#[unsafe(no_mangle)]
pub extern "C" fn migseal_version() -> *const core::ffi::c_char {
    const V: &core::ffi::CStr =
        match core::ffi::CStr::from_bytes_with_nul(concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes()) {
            Ok(v) => v,
            Err(_) => c"unknown",
        };
    V.as_ptr()
}
