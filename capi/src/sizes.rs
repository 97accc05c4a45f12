//! Sizes and alignments of the caller-held objects as compile-time
//! constants, so that a C driver can embed them in its own structures
//! (`u8 mem[MIGSEAL_VERIFIER_SIZE] __aligned(MIGSEAL_VERIFIER_ALIGN)`).
//! They hold for 64-bit targets; the build fails, naming both numbers, the
//! moment one drifts from `size_of`/`align_of`. 32-bit callers use the
//! `*_size()`/`*_align()` functions.

use crate::device::migseal_device;
use crate::policy::migseal_policy;
use crate::verifier::migseal_verifier;

/// Bytes of a policy (`migseal_policy_size()`).
pub const MIGSEAL_POLICY_SIZE: usize = 17312;
/// Alignment of a policy (`migseal_policy_align()`).
pub const MIGSEAL_POLICY_ALIGN: usize = 8;
/// Bytes of a device (`migseal_device_size()`).
pub const MIGSEAL_DEVICE_SIZE: usize = 6160;
/// Alignment of a device (`migseal_device_align()`).
pub const MIGSEAL_DEVICE_ALIGN: usize = 8;
/// Bytes of a verifier (`migseal_verifier_size()`).
pub const MIGSEAL_VERIFIER_SIZE: usize = 5920;
/// Alignment of a verifier (`migseal_verifier_align()`).
pub const MIGSEAL_VERIFIER_ALIGN: usize = 8;

#[cfg(target_pointer_width = "64")]
const _: [(); MIGSEAL_POLICY_SIZE] = [(); core::mem::size_of::<migseal_policy>()];
#[cfg(target_pointer_width = "64")]
const _: [(); MIGSEAL_POLICY_ALIGN] = [(); core::mem::align_of::<migseal_policy>()];
#[cfg(target_pointer_width = "64")]
const _: [(); MIGSEAL_VERIFIER_SIZE] = [(); core::mem::size_of::<migseal_verifier>()];
#[cfg(target_pointer_width = "64")]
const _: [(); MIGSEAL_VERIFIER_ALIGN] = [(); core::mem::align_of::<migseal_verifier>()];
#[cfg(target_pointer_width = "64")]
const _: [(); MIGSEAL_DEVICE_SIZE] = [(); core::mem::size_of::<migseal_device>()];
#[cfg(target_pointer_width = "64")]
const _: [(); MIGSEAL_DEVICE_ALIGN] = [(); core::mem::align_of::<migseal_device>()];
