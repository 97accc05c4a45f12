//! The JSON policy file the `migseal` CLI reads, loaded by C callers
//! (userspace builds only: JSON needs allocation, which the kernel object
//! does not have). The same loader as the CLI's, so a C tool and the CLI
//! accept and refuse the same files with the same codes.

use core::ffi::c_char;

use migseal::policy_file::{PolicyFile, PolicyFileError};

use crate::policy::migseal_policy;
use crate::status::migseal_status;
use crate::status::migseal_status as S;
use crate::util::{bytes, check_ptr};

/// Loads the policy file's JSON text `text[0..len]` (UTF-8, the format the
/// CLI's `--policy` reads) into `policy` (from `migseal_policy_init`),
/// replacing everything it held (userspace builds only; the kernel object
/// has no JSON): trusted keys (each checked and prepared),
/// revocations, minimum security versions, session, subject and limits.
///
/// Returns `MIGSEAL_OK`; the refusal's own code where it has one (409 weak
/// key, 602 invalid key, 206 session length, 410 more entries than the
/// policy holds); or `MIGSEAL_ABI_INVALID_POLICY_FILE` (805) for text that
/// is not the policy file's JSON (syntax, an unknown field, bad hex, a bad
/// identifier), with `*line` and `*column` (1-based; each may be NULL)
/// saying where, both 0 when no position applies. On any refusal `policy`
/// is unchanged.
///
/// # Safety
///
/// `policy` from `migseal_policy_init`, used by no other thread during the
/// call; `text` `len` readable bytes; `line` and `column` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn migseal_policy_load_json(
    policy: *mut migseal_policy,
    text: *const c_char,
    len: usize,
    line: *mut usize,
    column: *mut usize,
) -> migseal_status {
    let at = |l: usize, c: usize| {
        for (out, v) in [(line, l), (column, c)] {
            if check_ptr(out).is_ok() {
                // SAFETY: not NULL, aligned (checked), writable by contract.
                unsafe { out.write(v) };
            }
        }
    };
    at(0, 0);
    // SAFETY: forwarded contract (checked for NULL, alignment and magic
    // before the policy is touched).
    if let Err(s) = unsafe { crate::policy::policy_ref(policy) } {
        return s;
    }
    // SAFETY: `len` readable bytes by contract, used during this call only.
    let raw = match unsafe { bytes(text.cast::<u8>(), len) } {
        Ok(b) => b,
        Err(s) => return s,
    };
    let Ok(text) = core::str::from_utf8(raw) else { return S::MIGSEAL_ABI_INVALID_POLICY_FILE };
    let built = PolicyFile::from_json(text).and_then(|f| f.to_policy());
    match built {
        Ok(p) => {
            // SAFETY: valid (checked above) and, by contract, used by no
            // other call meanwhile; the old policy is replaced whole.
            unsafe { (*policy).policy = p };
            S::MIGSEAL_OK
        }
        Err(PolicyFileError::Json(e)) => {
            at(e.line(), e.column());
            S::MIGSEAL_ABI_INVALID_POLICY_FILE
        }
        Err(e) => e.code().map_or(S::MIGSEAL_ABI_INVALID_POLICY_FILE, S::from_code),
    }
}
