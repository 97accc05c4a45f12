//! The panic handler of the kernel object (feature `kernel`, no `std`).
//!
//! Nothing in migseal's own code can panic (`cargo xtask kernel` checks
//! the optimised IR, as the probe does). What is left are dependency sites
//! the probe allowlists with their reasons (curve arithmetic under
//! overflow checks, bounds the compiler cannot see). Should one ever fire,
//! the module's hook runs with the source location: a C driver logs it and
//! calls `BUG()`, as for any broken kernel invariant.

unsafe extern "C" {
    /// Kernel modules only: the module linking migseal's object provides
    /// it (log, then `BUG()`); it never returns.
    /// `file[0..file_len]` (not NUL-terminated) and `line` say where.
    fn migseal_kernel_panic(file: *const core::ffi::c_char, file_len: usize, line: u32) -> !;
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    let (file, line) = info.location().map_or(("?", 0), |l| (l.file(), l.line()));
    // SAFETY: the module provides the hook (its link fails otherwise); it
    // reads `file_len` bytes of a static string and does not return.
    unsafe { migseal_kernel_panic(file.as_ptr().cast(), file.len(), line) }
}
