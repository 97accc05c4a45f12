//! The one LeakSanitizer suppression the fuzz targets carry, compiled into
//! the binaries that need it so that CI, `cargo fuzz run` and OSS-Fuzz all
//! see it without a suppressions file or `LSAN_OPTIONS`.
//!
//! Why: `stream_fragments`, `seal_then_mutate` and `differential` compare against
//! `verify_image_parallel`, which hashes chunks in `std::thread::scope`
//! threads spawned per call. When such a thread first touches a
//! thread-local with a destructor, Rust's std registers it with glibc's
//! `__cxa_thread_atexit_impl`, which `calloc`s a 32-byte list node that
//! glibc frees while the thread exits. A leak check that runs while a
//! just-joined thread is still unwinding its TLS sees that node as
//! unreachable and reports "Direct leak of 32 byte(s) ... calloc ←
//! __cxa_thread_atexit_impl" at random (about one in 30,000 runs). It is
//! glibc's bookkeeping for a live thread, not memory the program lost.
//!
//! Scope: only allocations whose stack contains `__cxa_thread_atexit_impl`
//! are suppressed; every other leak, from migseal or a dependency, still
//! stops the run (`detect_leaks` is on for every target).

/// Defines `__lsan_default_suppressions` in the fuzz target binary that
/// invokes it. LeakSanitizer calls this weak hook at start-up and adds the
/// returned rules to any `LSAN_OPTIONS=suppressions=` file.
#[macro_export]
macro_rules! lsan_suppress_thread_atexit {
    () => {
        /// LeakSanitizer's start-up hook: see `migseal_fuzz_harness::lsan`.
        #[unsafe(no_mangle)]
        pub extern "C" fn __lsan_default_suppressions() -> *const ::core::ffi::c_char {
            $crate::lsan::SUPPRESSIONS.as_ptr()
        }
    };
}

/// The suppression rules, one per line (LeakSanitizer's format).
pub const SUPPRESSIONS: &::core::ffi::CStr = c"leak:__cxa_thread_atexit_impl\n";
